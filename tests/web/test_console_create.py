"""Opening a ticket from the console: on behalf of a tenant, addressed to one, or
internal, through the API's own service and schema; refusals in plain English."""

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import Ticket
from tests.web.pages import csrf, post, sign_in


def signed_in(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def ticket_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Ticket))


def form(people, **changes):
    data = {
        "for": "reporter",
        "tenant_id": people.tenant.id,
        "block_id": people.block.id,
        "unit_id": people.unit.id,
        "summary": "Boiler pressure low",
        "description": "Rang the office: the boiler keeps losing pressure.",
        "type": "general",
        "priority": "high",
        "billing": "included",
        "visibility": "management",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_staff_open_a_ticket_on_behalf_of_a_tenant(app, people):
    client = signed_in(app, people.manager)
    answer = post(client, "/tickets/new", form(people), token_from="/tickets/new")
    assert answer.status_code == 303
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        assert answer.headers["Location"] == f"/tickets/{ticket.id}"
        assert (ticket.reporter_id, ticket.unit_id) == (people.tenant.id, people.unit.id)
        assert (ticket.priority, ticket.type, ticket.triaged_at is not None) == (
            "high",
            "general",
            True,
        )


def test_a_ticket_addressed_to_a_tenant_and_an_internal_one(app, people):
    client = signed_in(app, people.admin)
    post(client, "/tickets/new", form(people, **{"for": "addressed"}), token_from="/tickets/new")
    internal = form(people, **{"for": "internal", "tenant_id": None, "unit_id": None})
    post(client, "/tickets/new", internal, token_from="/tickets/new")
    with app.app_context():
        addressed, inside = db.session.scalars(select(Ticket).order_by(Ticket.id)).all()
        assert (addressed.addressed_to_id, addressed.reporter_id) == (
            people.tenant.id,
            people.admin.id,
        )
        assert (inside.addressed_to_id, inside.reporter_id, inside.unit_id) == (
            None,
            people.admin.id,
            None,
        )


def test_the_form_offers_the_blocks_units_and_tenants(app, people):
    client = signed_in(app, people.manager)
    html = client.get("/tickets/new").get_data(as_text=True)
    assert f'<option value="{people.block.id}">{people.block.name}' in html
    place = client.get(f"/tickets/new/place?block_id={people.block.id}").get_data(as_text=True)
    assert f'<option value="{people.unit.id}">{people.unit.name}</option>' in place
    assert f'<option value="{people.tenant.id}">{people.tenant.name}' in place
    # Without JavaScript: the "Show units and tenants" step re-renders, creating nothing.
    token = csrf(client, "/tickets/new")
    step = client.post(
        "/tickets/new",
        data={"block_id": people.block.id, "step": "place", "csrf_token": token},
    )
    assert step.status_code == 200
    assert f'<option value="{people.unit.id}">{people.unit.name}</option>' in step.get_data(
        as_text=True
    )
    assert ticket_count(app) == 0


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"summary": None}, "summary", "Enter a summary."),
        ({"summary": "x" * 201}, "summary", "Length must be between 1 and 200."),
        ({"block_id": "abc"}, "block_id", "Not a valid integer."),
        ({"block_id": "99999"}, "block_id", "unknown block"),
        ({"unit_id": "99999"}, "unit_id", "not a unit of this block"),
        ({"tenant_id": None}, "tenant_id", "Choose the tenant."),
        ({"tenant_id": "99999"}, "tenant_id", "Choose a tenant from the list."),
        ({"priority": "urgent"}, "priority", "Must be one of"),
        ({"type": "made_up"}, "type", "unknown type"),
        ({"for": "everyone"}, "for", "Choose one."),
    ],
)
def test_hostile_input_is_explained_and_creates_nothing(app, people, changes, field, message):
    client = signed_in(app, people.manager)
    answer = post(client, "/tickets/new", form(people, **changes), token_from="/tickets/new")
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "There is a problem" in html
    assert f'href="#field-{field}"' in html and message in html
    assert "Rang the office" in html  # what was typed is kept
    assert ticket_count(app) == 0


def test_a_tenant_or_contractor_gets_the_403_page(app, people):
    for user in (people.tenant, people.contractor):
        client = signed_in(app, user)
        assert client.get("/tickets/new").status_code == 403
        token = csrf(client, "/account/password")
        forced = client.post("/tickets/new", data={**form(people), "csrf_token": token})
        assert forced.status_code == 403
    assert ticket_count(app) == 0


def test_opening_a_ticket_needs_the_csrf_token(app, people):
    client = signed_in(app, people.manager)
    assert client.post("/tickets/new", data=form(people)).status_code == 400
    assert ticket_count(app) == 0


def test_signed_out_visitors_go_to_sign_in(client):
    answer = client.get("/tickets/new")
    assert answer.status_code == 303 and answer.headers["Location"] == "/?next=/tickets/new"

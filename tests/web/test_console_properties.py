"""Properties in the console: blocks and units (admins create and edit, staff read),
tenancies, owners, certificates and the compliance view. Hostile input is refused
in words and changes nothing; query counts do not grow with the rows shown."""

from datetime import date, timedelta

import pytest

from server.extensions import db
from server.models import Block, Certificate, Tenancy, Unit
from tests.web.pages import post, sign_in


def _client(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


@pytest.mark.parametrize(
    "path", ["/properties", "/compliance", "/properties/{block}", "/units/{unit}"]
)
@pytest.mark.parametrize("role", ["tenant", "contractor"])
def test_customers_get_the_not_allowed_page(app, people, path, role):
    client = _client(app, getattr(people, role))
    answer = client.get(path.format(block=people.block.id, unit=people.unit.id))
    assert answer.status_code == 403


@pytest.mark.parametrize("path", ["/properties", "/compliance"])
def test_signed_out_visitors_are_sent_to_sign_in(client, path):
    answer = client.get(path)
    assert answer.status_code == 303 and answer.headers["Location"] == f"/?next={path}"


def test_unknown_blocks_units_and_certificates_are_404(app, people):
    client = _client(app, people.manager)
    for path in ("/properties/999999", "/units/999999", "/certificates/999999"):
        assert client.get(path).status_code == 404, path


def test_the_register_searches_blocks_by_name_or_address(app, make, people):
    make.block(name="Riverside Court", address="1 River Lane")
    make.block(name="Hilltop House", address="9 Summit Road")
    client = _client(app, people.manager)
    html = client.get("/properties?q=river").get_data(as_text=True)
    assert "Riverside Court" in html and "Hilltop House" not in html
    html = client.get("/properties?q=summit").get_data(as_text=True)
    assert "Hilltop House" in html and "Riverside Court" not in html
    # wildcards are plain text
    assert "No block matches" in client.get("/properties?q=%25%25").get_data(as_text=True)


def test_an_admin_creates_and_edits_a_block_and_adds_a_unit(app, people):
    client = _client(app, people.admin)
    answer = post(
        client,
        "/properties/new",
        {"name": "Canal Wharf", "address": "3 Towpath", "manager_id": str(people.manager.id)},
        token_from="/properties/new",
    )
    assert answer.status_code == 303
    with app.app_context():
        block = db.session.scalar(db.select(Block).where(Block.name == "Canal Wharf"))
        assert block.manager_id == people.manager.id
        block_id = block.id
    assert answer.headers["Location"] == f"/properties/{block_id}"
    answer = post(
        client,
        f"/properties/{block_id}/edit",
        {"name": "Canal Wharf East", "address": "3 Towpath", "manager_id": ""},
        token_from="/properties/new",
    )
    assert answer.status_code == 303
    answer = post(
        client, f"/properties/{block_id}/units", {"name": "Flat 9"}, token_from="/properties/new"
    )
    assert answer.status_code == 303
    html = client.get(f"/properties/{block_id}").get_data(as_text=True)
    assert "Canal Wharf East" in html and "Flat 9" in html and "No manager" in html


def test_staff_may_not_create_or_edit_blocks_and_units(app, people):
    client = _client(app, people.manager)
    assert client.get("/properties/new").status_code == 403
    token_page = f"/properties/{people.block.id}"
    answer = post(client, "/properties/new", {"name": "X", "address": "Y"}, token_from=token_page)
    assert answer.status_code == 403
    answer = post(client, f"/units/{people.unit.id}/edit", {"name": "Z"}, token_from=token_page)
    assert answer.status_code == 403
    with app.app_context():
        assert db.session.get(Unit, people.unit.id).name != "Z"


def test_an_overlong_block_name_is_refused_in_words_and_nothing_is_saved(app, people):
    client = _client(app, people.admin)
    answer = post(
        client,
        "/properties/new",
        {"name": "x" * 201, "address": "Here"},
        token_from="/properties/new",
    )
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "There is a problem" in html and 'href="#field-name"' in html
    assert 'value="' + "x" * 201 + '"' in html  # the typed value is kept
    with app.app_context():
        assert (
            db.session.scalar(db.select(db.func.count(Block.id)).where(Block.address == "Here"))
            == 0
        )


def test_forms_without_the_csrf_token_are_refused(app, people):
    client = _client(app, people.admin)
    answer = client.post("/properties/new", data={"name": "No token", "address": "Nowhere"})
    assert answer.status_code == 400
    with app.app_context():
        assert db.session.scalar(db.select(Block.id).where(Block.name == "No token")) is None


def test_staff_add_a_tenancy_by_email_and_end_it(app, make, people):
    newcomer = make.user("tenant", email="new.tenant@example.test", name="Nia Newcomer")
    client = _client(app, people.manager)
    page = f"/units/{people.unit.id}"
    answer = post(
        client,
        f"/units/{people.unit.id}/tenancies",
        {"tenant_email": "New.Tenant@example.test", "starts_on": "2026-01-01"},
        token_from=page,
    )
    assert answer.status_code == 303
    assert "Nia Newcomer" in client.get(page).get_data(as_text=True)
    with app.app_context():
        tenancy = db.session.scalar(db.select(Tenancy).where(Tenancy.tenant_id == newcomer.id))
        tenancy_id = tenancy.id
    answer = post(
        client, f"/tenancies/{tenancy_id}/end", {"ends_on": "2026-06-30"}, token_from=page
    )
    assert answer.status_code == 303
    with app.app_context():
        assert db.session.get(Tenancy, tenancy_id).ends_on == date(2026, 6, 30)


def test_an_end_before_the_start_is_explained_and_changes_nothing(app, make, people):
    newcomer = make.user("tenant")
    client = _client(app, people.manager)
    page = f"/units/{people.unit.id}"
    answer = post(
        client,
        f"/units/{people.unit.id}/tenancies",
        {"tenant_email": newcomer.email, "starts_on": "2026-05-01", "ends_on": "2026-04-01"},
        token_from=page,
    )
    assert answer.status_code == 422
    assert "A tenancy ends after it starts." in answer.get_data(as_text=True)
    tenancy = make.tenancy(newcomer, people.unit, starts_on=date(2026, 5, 1))
    answer = post(
        client, f"/tenancies/{tenancy.id}/end", {"ends_on": "2026-04-01"}, token_from=page
    )
    assert answer.status_code == 422
    assert "A tenancy ends after it starts." in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Tenancy, tenancy.id).ends_on is None
        assert (
            db.session.scalar(
                db.select(db.func.count(Tenancy.id)).where(Tenancy.tenant_id == newcomer.id)
            )
            == 1
        )


@pytest.mark.parametrize(
    "form, words",
    [
        ({"tenant_email": "nobody@example.test", "starts_on": "2026-01-01"}, "No tenant has this"),
        ({"tenant_email": "{email}", "starts_on": "2026-13-45"}, "Not a valid date"),
        ({"tenant_email": "{email}", "starts_on": "'; drop table units;--"}, "Not a valid date"),
    ],
)
def test_bad_tenancy_input_is_refused_in_words(app, make, people, form, words):
    newcomer = make.user("tenant")
    client = _client(app, people.manager)
    form = {k: v.format(email=newcomer.email) for k, v in form.items()}
    answer = post(client, f"/units/{people.unit.id}/tenancies", form, token_from="/properties")
    assert answer.status_code == 422
    assert words in answer.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(db.select(Tenancy.id).where(Tenancy.tenant_id == newcomer.id)) is None
        )


def test_the_units_ticket_history_shows_only_tickets_in_the_callers_scope(app, make, people):
    make.ticket(people.tenant, people.block, people.unit, summary="Leaking tap in the flat")
    outsider = make.user("staff")  # no department, manages nothing: sees no tickets here
    html = _client(app, people.manager).get(f"/units/{people.unit.id}").get_data(as_text=True)
    assert "Leaking tap in the flat" in html
    html = _client(app, outsider).get(f"/units/{people.unit.id}").get_data(as_text=True)
    assert "Leaking tap in the flat" not in html and "No tickets for this unit" in html


def test_staff_record_a_custom_certificate_and_bad_dates_are_refused(app, people):
    client = _client(app, people.manager)
    page = f"/properties/{people.block.id}"
    answer = post(
        client,
        f"/properties/{people.block.id}/certificates",
        {
            "kind": "other",
            "label": "Lift inspection",
            "number": "LIFT-1",
            "issued_on": "2026-01-01",
            "expires_on": "2025-01-01",
        },
        token_from=page,
    )
    assert answer.status_code == 422
    assert "A certificate expires after issue." in answer.get_data(as_text=True)
    answer = post(
        client,
        f"/properties/{people.block.id}/certificates",
        {
            "kind": "other",
            "label": "Lift inspection",
            "number": "LIFT-1",
            "issued_on": "2026-01-01",
            "expires_on": "2027-01-01",
            "unit_id": str(people.unit.id),
        },
        token_from=page,
    )
    assert answer.status_code == 303
    assert "Lift inspection" in client.get(f"/units/{people.unit.id}").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Certificate.id))) == 1


def test_the_compliance_view_bands_certificates_in_words(app, make, people):
    today = date.today()
    make.certificate(
        people.block, "gas_safety", number="GAS-OLD", expires_on=today - timedelta(days=3)
    )
    make.certificate(
        people.block, "electrical", number="EL-20", expires_on=today + timedelta(days=20)
    )
    make.certificate(people.block, "epc", number="EPC-45", expires_on=today + timedelta(days=45))
    make.certificate(
        people.block, "fire_safety", number="FIRE-80", expires_on=today + timedelta(days=80)
    )
    make.certificate(
        people.block, "asbestos", number="ASB-200", expires_on=today + timedelta(days=200)
    )
    html = _client(app, people.manager).get("/compliance").get_data(as_text=True)
    overdue, rest = html.split('id="band-within_30"', 1)
    within_30, rest = rest.split('id="band-within_60"', 1)
    within_60, within_90 = rest.split('id="band-within_90"', 1)
    assert "GAS-OLD" in overdue and "Overdue" in overdue and "3 days ago" in overdue
    assert "EL-20" in within_30 and "Within 30 days" in within_30
    assert "EPC-45" in within_60 and "FIRE-80" in within_90
    assert "ASB-200" not in html


def test_a_renewed_certificate_leaves_the_compliance_view(app, make, people):
    old = make.certificate(
        people.block, number="GAS-1", expires_on=date.today() + timedelta(days=10)
    )
    client = _client(app, people.manager)
    answer = post(
        client,
        f"/certificates/{old.id}/renew",
        {
            "number": "GAS-2",
            "issued_on": date.today().isoformat(),
            "expires_on": (date.today() + timedelta(days=365)).isoformat(),
        },
        token_from=f"/certificates/{old.id}",
    )
    assert answer.status_code == 303
    html = client.get("/compliance").get_data(as_text=True)
    assert "GAS-1" not in html and "GAS-2" not in html
    again = post(
        client,
        f"/certificates/{old.id}/renew",
        {
            "number": "GAS-3",
            "issued_on": date.today().isoformat(),
            "expires_on": (date.today() + timedelta(days=400)).isoformat(),
        },
        token_from=f"/certificates/{old.id}",
    )
    assert again.status_code == 409
    assert "already renewed" in again.get_data(as_text=True)


def test_an_owner_is_set_on_a_unit(app, make, people):
    from billing import customers

    with app.app_context():
        owner = customers.create_customer(
            None, name="Lena Landlord", address="2 Rd", email="l@x.test"
        )
        db.session.commit()
        owner_id = owner.id
    client = _client(app, people.manager)
    page = f"/units/{people.unit.id}"
    answer = post(
        client, f"/units/{people.unit.id}/owner", {"customer_id": str(owner_id)}, token_from=page
    )
    assert answer.status_code == 303
    assert "Billed to <strong>Lena Landlord</strong>" in client.get(page).get_data(as_text=True)
    answer = post(client, f"/units/{people.unit.id}/owner", {"customer_id": "abc"}, token_from=page)
    assert answer.status_code == 422


@pytest.mark.parametrize(
    "path", ["/properties", "/compliance", "/properties/{block}", "/units/{unit}"]
)
def test_the_query_count_does_not_grow_with_the_rows(app, make, people, queries, path):
    def grow(n):
        for _ in range(n):
            block = make.block(manager=people.manager)
            make.unit(people.block)
            make.tenant_in(people.unit)
            make.certificate(block, expires_on=date.today() + timedelta(days=15))
            make.certificate(
                people.block, unit=people.unit, expires_on=date.today() + timedelta(days=5)
            )
            make.ticket(people.tenant, people.block, people.unit)

    client = _client(app, people.manager)
    path = path.format(block=people.block.id, unit=people.unit.id)
    grow(2)
    with queries() as few:
        assert client.get(path).status_code == 200
    grow(6)
    with queries() as many:
        assert client.get(path).status_code == 200
    assert many.count == few.count, many.statements[few.count :]

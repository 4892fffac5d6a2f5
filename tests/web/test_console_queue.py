"""The queue's extras: sorts with cursors, the SLA filter, people and unit selects,
date inputs in the agency's zone, and saved filter sets per user."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from server.extensions import db
from server.models import SavedFilter, Ticket
from tests.web.pages import csrf, post, sign_in


def signed_in(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def saved_names(app, user):
    with app.app_context():
        return db.session.scalars(
            select(SavedFilter.name).where(SavedFilter.user_id == user.id)
        ).all()


def test_tenants_and_contractors_get_the_403_page(app, people):
    for user in (people.tenant, people.contractor):
        client = signed_in(app, user)
        answer = client.get("/tickets?sort=due")
        assert answer.status_code == 403
        assert "not for your role" in answer.get_data(as_text=True) or answer.status_code == 403
        token = csrf(client, "/account/password")
        forced = client.post(
            "/tickets/saved-filters", data={"name": "x", "query": "sort=due", "csrf_token": token}
        )
        assert forced.status_code == 403
    assert saved_names(app, people.tenant) == []


def test_sorting_by_priority_pages_through_every_ticket_once(app, make, people):
    made = [make.ticket(people.manager, people.block, summary=f"Job {n}") for n in range(5)]
    for ticket, priority in zip(made, ["low", "critical", "normal", "high", "low"], strict=True):
        make.triage(ticket, people.manager, priority=priority)
    client = signed_in(app, people.manager)
    seen, url = [], "/tickets?sort=priority&limit=2"
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += [t.summary for t in made if f">{t.summary}</a>" in html]
        marker = 'href="/tickets?'
        nexts = [part for part in html.split(marker)[1:] if 'rel="next"' in part.split(">")[0]]
        url = ("/tickets?" + nexts[0].split('"')[0].replace("&amp;", "&")) if nexts else None
    assert seen.count("Job 1") == 1 and len(seen) == 5
    html = client.get("/tickets?sort=priority").get_data(as_text=True)
    order = [html.index(f">Job {n}</a>") for n in (1, 3, 2, 4, 0)]
    assert order == sorted(order)  # critical, high, normal, then the lows newest first


@pytest.mark.parametrize(
    "query, message",
    [
        ("sort=oldest", "Choose one of the orders in the list."),
        ("sla=late", "Choose On time, At risk or Breached."),
        ("created_after=2026-02-31", "Enter a real date, for example 2026-12-01."),
        ("manager=abc", "Manager"),
        ("cursor=not-a-cursor", "That page link is out of date"),
    ],
)
def test_bogus_filters_are_explained_in_plain_english(app, people, query, message):
    answer = signed_in(app, people.manager).get(f"/tickets?{query}")
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "There is a problem" in html and message in html


def test_a_date_input_means_the_agencys_midnight(app, make, people):
    app.config["TIMEZONE"] = "Europe/London"
    early, late = (make.ticket(people.manager, people.block, summary=s) for s in ("Early", "Late"))
    with app.app_context():  # 23:30 UTC on 30 June is already 1 July in London (BST)
        moments = {early.id: datetime(2026, 6, 30, 22, 30, tzinfo=UTC)}
        moments[late.id] = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
        for ticket_id, moment in moments.items():
            db.session.execute(
                update(Ticket).where(Ticket.id == ticket_id).values(created_at=moment)
            )
        db.session.commit()
    html = (
        signed_in(app, people.manager)
        .get("/tickets?created_after=2026-07-01")
        .get_data(as_text=True)
    )
    assert ">Late</a>" in html and ">Early</a>" not in html
    assert 'value="2026-07-01"' in html


def test_the_sla_filter_offers_all_three_states(app, people):
    html = signed_in(app, people.manager).get("/tickets?sla=warning").get_data(as_text=True)
    assert '<option value="warning" selected>At risk</option>' in html
    assert '<option value="ok">On time</option>' in html


def test_people_selects_list_staff_and_contractors(app, people):
    html = signed_in(app, people.manager).get("/tickets").get_data(as_text=True)
    assert f'<option value="{people.contractor.id}">{people.contractor.name}' in html
    assert f'<option value="{people.manager.id}">{people.manager.name}</option>' in html
    units = signed_in(app, people.manager).get(f"/tickets/unit-options?block={people.block.id}")
    assert f'<option value="{people.unit.id}">{people.unit.name}</option>' in units.get_data(
        as_text=True
    )


def test_a_saved_filter_is_listed_reopened_and_deleted(app, make, people):
    make.ticket(people.manager, people.block, summary="Broken lift")
    client = signed_in(app, people.manager)
    page = client.get("/tickets?sort=updated&priority=normal").get_data(as_text=True)
    assert 'name="query" value="sort=updated&amp;priority=normal"' in page
    answer = post(
        client,
        "/tickets/saved-filters",
        {"name": "  Normal  work ", "query": "sort=updated&priority=normal"},
        token_from="/tickets",
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/tickets?sort=updated&priority=normal"
    html = client.get("/tickets").get_data(as_text=True)
    assert '<a href="/tickets?sort=updated&amp;priority=normal">Normal work</a>' in html
    other = signed_in(app, people.admin).get("/tickets").get_data(as_text=True)
    assert "Normal work" not in other  # saved filters are per user
    with app.app_context():
        saved_id = db.session.scalar(select(SavedFilter.id))
    refused = post(
        signed_in(app, people.admin),
        f"/tickets/saved-filters/{saved_id}/delete",
        token_from="/tickets",
    )
    assert refused.status_code == 404
    deleted = post(client, f"/tickets/saved-filters/{saved_id}/delete", token_from="/tickets")
    assert deleted.status_code == 303
    assert saved_names(app, people.manager) == []


@pytest.mark.parametrize(
    "name, query, message",
    [
        ("x" * 81, "sort=due", "The name must be 80 characters or fewer."),
        ("   ", "sort=due", "Enter a name for the filter."),
        ("Bad", "sort=sideways", "Apply some valid filters first"),
        ("Long", "q=" + "a" * 2100, "Apply some valid filters first"),
        ("Empty", "", "Apply some valid filters first"),
    ],
)
def test_hostile_saved_filters_change_nothing(app, people, name, query, message):
    client = signed_in(app, people.manager)
    answer = post(
        client, "/tickets/saved-filters", {"name": name, "query": query}, token_from="/tickets"
    )
    assert answer.status_code == 422
    assert message in answer.get_data(as_text=True)
    assert saved_names(app, people.manager) == []


def test_a_duplicate_name_and_the_fifty_filter_limit_are_refused(app, people):
    client = signed_in(app, people.manager)
    with app.app_context():
        db.session.add_all(
            SavedFilter(user_id=people.manager.id, name=f"F{n}", query="sort=due")
            for n in range(49)
        )
        db.session.commit()
    same = post(
        client, "/tickets/saved-filters", {"name": "F1", "query": "sort=due"}, token_from="/tickets"
    )
    assert same.status_code == 409 and "already have a filter called" in same.get_data(as_text=True)
    assert (
        post(
            client,
            "/tickets/saved-filters",
            {"name": "F49", "query": "sort=due"},
            token_from="/tickets",
        ).status_code
        == 303
    )
    over = post(
        client,
        "/tickets/saved-filters",
        {"name": "F50", "query": "sort=due"},
        token_from="/tickets",
    )
    assert over.status_code == 409 and "up to 50 saved filters" in over.get_data(as_text=True)
    assert len(saved_names(app, people.manager)) == 50


def test_saving_a_filter_needs_the_csrf_token(app, people):
    client = signed_in(app, people.manager)
    answer = client.post("/tickets/saved-filters", data={"name": "x", "query": "sort=due"})
    assert answer.status_code == 400
    assert saved_names(app, people.manager) == []


@pytest.mark.parametrize("sort", ["newest", "updated", "due", "priority"])
def test_the_queue_runs_the_same_queries_for_5_or_40_tickets(app, make, people, queries, sort):
    client = signed_in(app, people.manager)

    def count(rows):
        while len(made) < rows:
            ticket = make.ticket(people.tenant, people.block, people.unit)
            make.message(ticket, people.tenant)
            made.append(ticket)
        with queries() as counted:
            assert client.get(f"/tickets?sort={sort}&limit=50").status_code == 200
        return counted.count

    made = []
    assert count(5) == count(40)

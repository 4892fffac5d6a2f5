"""The dashboard and the queue: the caller's scope only, roles kept out, bad filters
answered in words, and a query count that does not grow with the rows shown."""

import pytest
from sqlalchemy import select, text

from server.extensions import db
from server.models import Ticket
from server.models.tickets import RESPONSE_CLOCK, UNTRIAGED
from server.services import dashboard
from tests.conftest import POSTGRES_URL
from tests.web.pages import sign_in


def _tickets(make, people, count, **fields):
    return [make.ticket(people.tenant, people.block, people.unit, **fields) for _ in range(count)]


@pytest.mark.parametrize("path", ["/dashboard", "/tickets"])
@pytest.mark.parametrize("role", ["tenant", "contractor"])
def test_customers_get_the_not_allowed_page(app, people, path, role):
    client = app.test_client()
    sign_in(client, getattr(people, role))
    answer = client.get(path)
    assert answer.status_code == 403
    assert "You cannot do this" in answer.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/dashboard", "/tickets"])
def test_signed_out_visitors_are_sent_to_sign_in(client, path):
    answer = client.get(path)
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/?next={path}"


def test_the_dashboard_shows_a_new_report_and_not_another_blocks(app, make, people):
    mine = make.ticket(people.tenant, people.block, people.unit, summary="Boiler is cold")
    other_block = make.block(name="Elsewhere House")
    other_tenant = make.tenant_in(make.unit(other_block))
    make.ticket(other_tenant, other_block, summary="Not my block at all")
    client = app.test_client()
    sign_in(client, people.manager)
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Boiler is cold" in html and f'href="/tickets/{mine.id}"' in html
    assert "New reports to triage" in html
    assert "Not my block at all" not in html
    queue = client.get("/tickets").get_data(as_text=True)
    assert "Boiler is cold" in queue and "Not my block at all" not in queue


def test_a_bad_filter_is_explained_on_the_page(app, people):
    client = app.test_client()
    sign_in(client, people.manager)
    answer = client.get("/tickets?status=exploded&limit=100000")
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "There is a problem" in html and 'href="#field-status"' in html


def test_the_search_box_finds_by_words(app, make, people):
    make.ticket(people.tenant, people.block, people.unit, summary="Cracked window pane")
    make.ticket(people.tenant, people.block, people.unit, summary="Noisy extractor fan")
    client = app.test_client()
    sign_in(client, people.manager)
    html = client.get("/tickets?q=window").get_data(as_text=True)
    assert "Cracked window pane" in html and "Noisy extractor fan" not in html


@pytest.mark.parametrize("path", ["/dashboard", "/tickets"])
def test_the_query_count_does_not_grow_with_the_rows(app, make, people, queries, path):
    client = app.test_client()
    sign_in(client, people.manager)
    _tickets(make, people, 3)
    with queries() as few:
        assert client.get(path).status_code == 200
    _tickets(make, people, 25)
    with queries() as many:
        assert client.get(path).status_code == 200
    assert many.count == few.count, many.statements[few.count :]


def _section(html: str, heading: str) -> str:
    start = html.index(heading)
    return html[start : html.index("</section>", start)]


def test_waiting_for_an_answer_until_staff_write_to_the_customer(app, make, people):
    from server.extensions import db
    from server.services.messages import post_message
    from tests.factories import as_caller

    ticket = make.ticket(people.tenant, people.block, people.unit, summary="Radiator cold")
    make.triage(ticket, people.manager)
    client = app.test_client()
    sign_in(client, people.manager)

    def waiting() -> bool:
        html = client.get("/dashboard").get_data(as_text=True)
        return "Radiator cold" in _section(html, "Waiting for an answer")

    def say(user, visibility):
        with app.app_context():
            post_message(as_caller(user), ticket.id, f"A {visibility} word", visibility)
            db.session.commit()

    assert waiting()  # the tenant's report itself waits for a word from staff
    say(people.manager, "staff")
    assert waiting()  # a staff-only note is no answer
    say(people.manager, "public")
    assert not waiting()
    say(people.tenant, "public")
    assert waiting()


@pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite's INDEXED BY (PostgreSQL plans alone)")
@pytest.mark.parametrize(
    "index, predicate", [("untriaged", UNTRIAGED), ("response_clock", RESPONSE_CLOCK)]
)
def test_the_dashboard_walks_reach_sqlite_with_their_index(app, index, predicate):
    """SQLAlchemy drops table hints on SQLite unless the engine renders them: without
    them the planner scanned every new ticket (66 ms on 100,000) instead of a partial
    index holding the few it wants."""
    with app.app_context():
        query = dashboard._walk(select(Ticket.id).where(text(predicate)), index)
        sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
        assert f"INDEXED BY ix_tickets_{index}" in sql
        plan = " ".join(row[-1] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
        assert f"ix_tickets_{index}" in plan

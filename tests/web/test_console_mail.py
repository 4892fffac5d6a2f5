"""Mail in the console: the quarantine (read, raw download, release onto a ticket found
by search or reference, reject) and username requests (approve with a unit and a
start date, reject), through the API's services and scope."""

import pytest

from server.extensions import db
from server.models import InboundMail, Message, SignupRequest, Tenancy, User
from tests.mail.mailclient import INBOUND_SECRET, fresh_mail, post_raw
from tests.web.pages import post, sign_in


@pytest.fixture
def quarantined(app):
    """A mail from a stranger, quarantined as `unknown_sender`; returns its id."""
    app.config["MAIL_INBOUND_SECRET"] = INBOUND_SECRET
    mail = fresh_mail(
        "stranger@elsewhere.test", "Water in the hallway", "There is water <b>everywhere</b>."
    )
    result = post_raw(app.test_client(), bytes(mail)).get_json()
    assert result["status"] == "quarantined"
    with app.app_context():
        return db.session.scalar(db.select(InboundMail.id))


def _client(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


@pytest.mark.parametrize("path", ["/mail/quarantine", "/mail/requests", "/mail/quarantine/{id}"])
@pytest.mark.parametrize("role", ["tenant", "contractor"])
def test_customers_get_the_not_allowed_page(app, people, quarantined, path, role):
    client = _client(app, getattr(people, role))
    assert client.get(path.format(id=quarantined)).status_code == 403


def test_the_quarantine_lists_reason_sender_and_subject(app, people, quarantined):
    client = _client(app, people.manager)
    html = client.get("/mail/quarantine").get_data(as_text=True)
    assert "Water in the hallway" in html and "stranger@elsewhere.test" in html
    assert "unknown sender" in html
    page = client.get(f"/mail/quarantine/{quarantined}").get_data(as_text=True)
    assert "There is water &lt;b&gt;everywhere&lt;/b&gt;." in page
    raw = client.get(f"/mail/quarantine/{quarantined}/raw")
    assert raw.status_code == 200 and raw.mimetype == "message/rfc822"
    assert b"Subject: Water in the hallway" in raw.data
    assert "attachment" in raw.headers["Content-Disposition"]


def test_a_bad_filter_is_explained(app, people):
    answer = _client(app, people.manager).get("/mail/quarantine?status=exploded&limit=9999")
    assert answer.status_code == 422 and "There is a problem" in answer.get_data(as_text=True)


def test_a_mail_is_released_onto_a_ticket_found_by_search(app, make, people, quarantined):
    ticket = make.ticket(people.tenant, people.block, people.unit, summary="Damp hallway ceiling")
    make.triage(ticket, people.manager)
    client = _client(app, people.manager)
    page = f"/mail/quarantine/{quarantined}"
    html = client.get(page + "?q=hallway").get_data(as_text=True)
    assert f'value="{ticket.id}"' in html and "Damp hallway ceiling" in html
    answer = post(
        client,
        f"{page}/release",
        {"ticket_id": str(ticket.id), "visibility": "staff"},
        token_from=page,
    )
    assert answer.status_code == 303 and answer.headers["Location"] == f"/tickets/{ticket.id}"
    with app.app_context():
        mail = db.session.get(InboundMail, quarantined)
        assert (mail.status, mail.ticket_id) == ("appended", ticket.id)
        body = db.session.scalar(db.select(Message.body).where(Message.ticket_id == ticket.id))
        assert "stranger@elsewhere.test" in body and "water" in body
    again = post(
        client, f"{page}/release", {"ticket_id": str(ticket.id)}, token_from="/mail/quarantine"
    )
    assert again.status_code == 409 and "already appended" in again.get_data(as_text=True)


def test_a_release_by_reference_outside_scope_or_unknown_is_refused(app, make, people, quarantined):
    elsewhere = make.block(name="Elsewhere House")
    other = make.ticket(make.tenant_in(make.unit(elsewhere)), elsewhere, summary="Not mine")
    client = _client(app, people.manager)
    page = f"/mail/quarantine/{quarantined}"
    for ref in (other.ref, "T-999999", "<script>"):
        answer = post(client, f"{page}/release", {"ticket_ref": ref}, token_from=page)
        assert answer.status_code == 422, ref
        assert "No ticket you can see has this reference." in answer.get_data(as_text=True)
    answer = post(client, f"{page}/release", {"ticket_id": str(other.id)}, token_from=page)
    assert answer.status_code == 404
    answer = post(client, f"{page}/release", {}, token_from=page)
    assert answer.status_code == 422 and "names no ticket" in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(InboundMail, quarantined).status == "quarantined"


def test_a_mail_is_rejected_and_stays_recorded(app, people, quarantined):
    client = _client(app, people.manager)
    answer = post(client, f"/mail/quarantine/{quarantined}/reject", token_from="/mail/quarantine")
    assert answer.status_code == 303
    with app.app_context():
        assert db.session.get(InboundMail, quarantined).status == "rejected"
    assert "Water in the hallway" in client.get("/mail/quarantine?status=rejected").get_data(
        as_text=True
    )


def _request(app, email="nina@example.test"):
    with app.app_context():
        row = SignupRequest(
            email=email, name="Nina Newby", block_hint="Block A", unit_hint="Flat 2"
        )
        db.session.add(row)
        db.session.commit()
        return row.id


def test_a_username_request_is_approved_with_a_unit_and_start_date(app, people):
    request_id = _request(app)
    client = _client(app, people.manager)
    assert "Nina Newby" in client.get("/mail/requests").get_data(as_text=True)
    answer = post(
        client,
        f"/mail/requests/{request_id}/approve",
        {"unit_id": str(people.unit.id), "starts_on": "2026-02-01"},
        token_from="/mail/requests",
    )
    assert answer.status_code == 303
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == "nina@example.test"))
        tenancy = db.session.scalar(db.select(Tenancy).where(Tenancy.tenant_id == user.id))
        assert (tenancy.unit_id, tenancy.starts_on.isoformat()) == (people.unit.id, "2026-02-01")


def test_a_bad_start_date_is_explained_and_creates_nobody(app, people):
    request_id = _request(app)
    client = _client(app, people.manager)
    answer = post(
        client,
        f"/mail/requests/{request_id}/approve",
        {"unit_id": str(people.unit.id), "starts_on": "31/02/2026"},
        token_from="/mail/requests",
    )
    assert answer.status_code == 422 and "Not a valid date" in answer.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(db.select(User.id).where(User.email == "nina@example.test")) is None
        )
        assert db.session.get(SignupRequest, request_id).status == "pending"


def test_a_username_request_is_rejected_once(app, people):
    request_id = _request(app)
    client = _client(app, people.manager)
    path = f"/mail/requests/{request_id}/reject"
    assert post(client, path, token_from="/mail/requests").status_code == 303
    again = post(client, path, token_from="/mail/requests")
    assert again.status_code == 409 and "already rejected" in again.get_data(as_text=True)


def test_the_query_count_does_not_grow_with_quarantined_mail(app, people, queries):
    app.config["MAIL_INBOUND_SECRET"] = INBOUND_SECRET
    api = app.test_client()
    client = _client(app, people.manager)

    def stranger_mails(n, start):
        for i in range(start, start + n):
            post_raw(api, bytes(fresh_mail(f"s{i}@elsewhere.test", f"Mail {i}", "Hello")))
            _request(app, f"person{i}@example.test")

    stranger_mails(2, 0)
    with queries() as few:
        assert client.get("/mail/quarantine").status_code == 200
        assert client.get("/mail/requests").status_code == 200
    stranger_mails(6, 10)
    with queries() as many:
        assert client.get("/mail/quarantine").status_code == 200
        assert client.get("/mail/requests").status_code == 200
    assert many.count == few.count, many.statements[few.count :]

"""Who is told about what (docs/NOTIFICATIONS.md), through the API and a real SMTP
server: the reporter's confirmation, the department, admins who asked, triage and
deadline changes; every mail links to the ticket's page; the raw List-Unsubscribe."""

import pytest

from server.worker import run_once
from tests.api.mailbox import agency, smtp_server


@pytest.fixture
def people(make):
    return agency(make)


@pytest.fixture
def smtp(app):
    with smtp_server() as server:
        app.config["SMTP_URL"] = server.url
        app.config["PUBLIC_BASE_URL"] = "https://desk.example.test"
        yield server


def subjects(app, smtp, user) -> list[str]:
    run_once(app)
    return [m["Subject"] for m in smtp.inbox.to(user.email)]


def report(client, make, people, **body):
    response = client.post(
        "/api/tickets",
        json={
            "summary": "Gas smell",
            "description": "In the stairwell",
            "block_id": people.block.id,
            "unit_id": people.unit.id,
            **body,
        },
        headers=make.headers(people.tenant),
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_the_reporter_gets_a_confirmation_that_links_to_the_ticket(app, client, make, people, smtp):
    ticket = report(client, make, people)
    run_once(app)
    [mail] = smtp.inbox.to(people.tenant.email)
    assert mail["Subject"] == f"[{ticket['ref']}] We received your report: Gas smell"
    text = mail.get_body(("plain",)).get_content()
    assert f"https://desk.example.test/tickets/{ticket['id']}" in text


def test_the_list_unsubscribe_header_is_a_literal_url_in_the_raw_bytes(
    app, client, make, people, smtp
):
    report(client, make, people)
    run_once(app)
    [raw] = [e.content for e in smtp.inbox.envelopes if people.tenant.email in e.rcpt_tos]
    header = next(
        line for line in raw.split(b"\r\n") if line.lower().startswith(b"list-unsubscribe:")
    )
    assert header.startswith(b"List-Unsubscribe: <https://desk.example.test/api/mail/unsubscribe/")
    assert header.endswith(b">") and b"=?" not in header


def test_a_new_ticket_tells_its_department_and_the_admins_who_asked(
    app, client, make, people, smtp
):
    colleague = make.user("staff", departments=[people.department])
    keen_admin = make.user("admin")
    client.patch(
        f"/api/users/{keen_admin.id}",
        json={"notify_new_tickets": True},
        headers=make.headers(keen_admin),
    )
    ticket = report(client, make, people)
    expected = f"[{ticket['ref']}] New ticket: Gas smell"
    assert subjects(app, smtp, colleague) == [expected]
    assert subjects(app, smtp, people.manager) == [expected]
    assert subjects(app, smtp, keen_admin) == [expected]
    assert subjects(app, smtp, people.admin) == []  # did not ask


def test_triage_and_a_deadline_change_reach_the_people_on_the_ticket(
    app, client, make, people, smtp
):
    ticket = report(client, make, people)
    other = make.user("staff", departments=[people.department])
    headers = make.headers(other)
    client.post(
        f"/api/tickets/{ticket['id']}/triage",
        json={"type": "repair", "priority": "critical"},
        headers=headers,
    )
    client.post(
        f"/api/tickets/{ticket['id']}/assignments",
        json={"contractor_id": people.contractor.id},
        headers=headers,
    )
    client.patch(
        f"/api/tickets/{ticket['id']}",
        json={"deadline_at": "2030-01-01T12:00:00Z"},
        headers=headers,
    )
    ref = ticket["ref"]
    assert f"[{ref}] Triaged (critical): Gas smell" in subjects(app, smtp, people.manager)
    contractor = subjects(app, smtp, people.contractor)
    assert f"[{ref}] Assigned: Gas smell" in contractor
    assert f"[{ref}] Ticket updated: Gas smell" in contractor
    # Triage and edits are team events: the tenant hears of neither (but of the visit).
    assert subjects(app, smtp, people.tenant) == [
        f"[{ref}] We received your report: Gas smell",
        f"[{ref}] Assigned: Gas smell",
    ]

"""My tickets in the portal: the tenant's scope exactly (their own, addressed to them,
shared with their flat or building, marked), the public timeline only, files behind
the same scope, reply with photos, close and reopen as the workflow allows."""

import html as entities
import re

from sqlalchemy import func, select

from server.extensions import db
from server.models import Attachment, Message
from server.services import attachments
from tests.delivery_notes.conftest import Agency
from tests.factories import as_caller
from tests.web.pages import post, sign_in
from tests.web.portal import counts, photo, send

PUBLIC = "Carl will come on Tuesday morning."
TEAM = "Team only: bring the long ladder."
STAFF_NOTE = "Staff note: this tenant complains a lot."


def _discussed(make, people):
    """A tenant's triaged ticket with a public reply, a team message and a staff note."""
    ticket = make.ticket(people.tenant, people.block, people.unit, summary="Dripping tap")
    make.triage(ticket, people.manager)
    make.assign(ticket, people.contractor, people.manager)
    make.message(ticket, people.contractor, "Contractor to team: parts ordered.", "team")
    make.message(ticket, people.manager, PUBLIC, "public")
    make.message(ticket, people.manager, TEAM, "team")
    make.message(ticket, people.manager, STAFF_NOTE, "staff")
    return ticket


def test_the_list_shows_my_scope_marked_and_nothing_else(client, make, people):
    mine = make.ticket(people.tenant, people.block, people.unit, summary="My own tap")
    neighbour = make.tenant_in(make.unit(people.block))
    block_wide = make.ticket(neighbour, people.block, summary="Lift broken", visibility="block")
    private = make.ticket(neighbour, people.block, summary="Neighbour's private leak")
    addressed = make.ticket(
        people.manager,
        people.block,
        people.unit,
        summary="Access for the gas check",
        addressed_to_id=people.tenant.id,
        type="general",
    )
    closed = make.ticket(people.tenant, people.block, people.unit, summary="Old squeak")
    make.status(closed, people.tenant, "closed")
    sign_in(client, people.tenant)
    html = client.get("/portal/tickets").get_data(as_text=True)
    for ticket in (mine, block_wide, addressed, closed):
        assert f'href="/portal/tickets/{ticket.id}"' in html
    assert private.summary not in html and f"/portal/tickets/{private.id}" not in html
    assert "Shared with your building" in html
    assert "Sent to you by the agent" in html
    open_part, closed_part = html.split('id="closed-heading"')
    assert "Old squeak" in closed_part and "My own tap" in open_part


def test_the_list_costs_the_same_queries_with_more_rows(client, make, people, queries):
    sign_in(client, people.tenant)
    make.ticket(people.tenant, people.block, people.unit)
    with queries() as few:
        assert client.get("/portal/tickets").status_code == 200
    other_unit = make.unit(people.block)
    make.tenancy(people.tenant, other_unit)
    for n in range(8):
        make.ticket(people.tenant, people.block, other_unit if n % 2 else people.unit)
    with queries() as many:
        assert client.get("/portal/tickets").status_code == 200
    assert many.count == few.count


def test_the_ticket_page_shows_the_public_timeline_only(client, make, people):
    ticket = _discussed(make, people)
    sign_in(client, people.tenant)
    answer = client.get(f"/portal/tickets/{ticket.id}")
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert PUBLIC in html and "Waiting for you" in html
    assert f"booked {people.contractor.name} to do the work" in html
    for hidden in (TEAM, STAFF_NOTE, "parts ordered", "triaged", "repair"):
        assert hidden not in html
    for page in ("/portal", "/portal/tickets", "/portal/report"):
        text = client.get(page).get_data(as_text=True)
        assert TEAM not in text and STAFF_NOTE not in text


def test_another_tenants_ticket_and_files_are_a_404_page(client, make, people):
    ticket = _discussed(make, people)
    stranger = make.tenant_in(make.unit(make.block()))
    sign_in(client, people.tenant)
    send(
        client,
        f"/portal/tickets/{ticket.id}/reply",
        {"body": "Photo"},
        [photo()],
        token_from=f"/portal/tickets/{ticket.id}",
    )
    page = client.get(f"/portal/tickets/{ticket.id}").get_data(as_text=True)
    file_url = re.search(rf"/portal/tickets/{ticket.id}/files/[\w-]+", page).group(0)
    served = client.get(file_url)
    served.close()  # the stored file it streamed
    assert served.status_code == 200

    other = client.application.test_client()
    sign_in(other, stranger)
    for url in (
        f"/portal/tickets/{ticket.id}",
        file_url,
        f"/portal/tickets/{ticket.id}/delivery-notes/anything.pdf",
        "/portal/tickets/999999",
        f"/portal/reported/{ticket.id}",
    ):
        answer = other.get(url)
        assert answer.status_code == 404, url
        assert "Page not found" in answer.get_data(as_text=True)
    assert (
        send(
            other, f"/portal/tickets/{ticket.id}/reply", {"body": "hi"}, token_from="/portal"
        ).status_code
        == 404
    )


def test_a_file_on_a_staff_note_is_never_served(app, client, make, people):
    ticket = _discussed(make, people)
    note = make.message(ticket, people.manager, "Staff: the invoice dispute", "staff")
    with app.app_context():
        hidden = attachments.add_attachment(
            as_caller(people.manager),
            ticket.id,
            photo()[0],
            "dispute.png",
            "image/png",
            message_id=note.id,
        )
        db.session.commit()
        hidden_id = hidden.id
    sign_in(client, people.tenant)
    assert "dispute.png" not in client.get(f"/portal/tickets/{ticket.id}").get_data(as_text=True)
    assert client.get(f"/portal/tickets/{ticket.id}/files/{hidden_id}").status_code == 404


def test_photos_are_served_inline_with_their_own_strict_policy(client, make, people):
    ticket = make.ticket(people.tenant, people.block, people.unit)
    sign_in(client, people.tenant)
    send(
        client,
        f"/portal/tickets/{ticket.id}/reply",
        {"body": "See photo"},
        [photo()],
        token_from=f"/portal/tickets/{ticket.id}",
    )
    page = client.get(f"/portal/tickets/{ticket.id}").get_data(as_text=True)
    url = re.search(rf"/portal/tickets/{ticket.id}/files/[\w-]+", page).group(0)
    answer = client.get(url)
    answer.close()
    assert answer.mimetype == "image/png"
    assert answer.headers["Content-Disposition"].startswith("inline")
    assert "sandbox" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_a_tenant_replies_with_a_photo(app, client, make, people):
    ticket = _discussed(make, people)
    sign_in(client, people.tenant)
    answer = send(
        client,
        f"/portal/tickets/{ticket.id}/reply",
        {"body": "Tuesday is fine."},
        [photo()],
        token_from=f"/portal/tickets/{ticket.id}",
    )
    assert answer.status_code == 303
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Your reply has been sent." in page and "Tuesday is fine." in page
    assert make.reload(ticket).status == "open"  # back with the agent
    with app.app_context():
        message = db.session.scalar(select(Message).where(Message.body == "Tuesday is fine."))
        assert message.visibility == "public"
        files = db.session.scalar(
            select(func.count()).select_from(Attachment).where(Attachment.message_id == message.id)
        )
        assert files == 1


def test_a_refused_photo_keeps_the_reply_unsent(app, client, make, people):
    ticket = _discussed(make, people)
    sign_in(client, people.tenant)
    before = counts(app)
    fake = photo(b"<html><body>hi</body></html>", "tap.jpg", "image/jpeg")
    answer = send(
        client, f"/portal/tickets/{ticket.id}/reply", {"body": "Look"}, [fake], token_from="/portal"
    )
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "“tap.jpg” is not a photo we can take" in html
    assert "Look</textarea>" in html
    assert html.count("Look") == 1  # the unsent reply is not on the timeline
    assert counts(app) == before
    empty = send(
        client, f"/portal/tickets/{ticket.id}/reply", {"body": "   "}, token_from="/portal"
    )
    assert empty.status_code == 422 and "Write your message." in empty.get_data(as_text=True)
    huge = send(
        client, f"/portal/tickets/{ticket.id}/reply", {"body": "z" * 25000}, token_from="/portal"
    )
    assert "Keep it under 20,000 characters." in huge.get_data(as_text=True)
    assert counts(app) == before


def test_a_reply_without_the_csrf_token_changes_nothing(app, client, make, people):
    ticket = make.ticket(people.tenant, people.block, people.unit)
    sign_in(client, people.tenant)
    before = counts(app)
    answer = client.post(f"/portal/tickets/{ticket.id}/reply", data={"body": "hello"})
    assert answer.status_code == 400
    closing = client.post(f"/portal/tickets/{ticket.id}/status", data={"status": "closed"})
    assert closing.status_code == 400
    assert counts(app) == before and make.reload(ticket).status == "new"


def test_a_resolved_ticket_is_closed_or_reopened_in_plain_words(app, client, make, people):
    app.config["INCLUDED_CLOSE_GRACE_SECONDS"] = 86400  # resolved stays resolved a while
    ticket = _discussed(make, people)
    make.status(ticket, people.manager, "resolved")
    sign_in(client, people.tenant)
    page = entities.unescape(client.get(f"/portal/tickets/{ticket.id}").get_data(as_text=True))
    assert "Resolved — close it or tell us it isn't fixed" in page
    assert "It is fixed: close the ticket" in page and "It isn't fixed" in page
    path = f"/portal/tickets/{ticket.id}"
    answer = post(client, f"{path}/status", {"status": "open"}, token_from=path)
    assert answer.status_code == 303 and make.reload(ticket).status == "open"
    assert "You have reopened this ticket" in client.get(path).get_data(as_text=True)
    page = entities.unescape(client.get(path).get_data(as_text=True))
    assert "It isn't fixed" not in page and "Reopen the ticket" not in page
    answer = post(client, f"{path}/status", {"status": "closed"}, token_from=path)
    assert answer.status_code == 303 and make.reload(ticket).status == "closed"
    page = client.get(path).get_data(as_text=True)
    assert "Reopen the ticket" in page
    refused = post(client, f"{path}/status", {"status": "resolved"}, token_from=path)
    assert refused.status_code == 403
    assert "Tenants may close or reopen a ticket." in refused.get_data(as_text=True)


def test_a_neighbour_follows_a_shared_ticket_but_cannot_act_on_it(client, make, people):
    neighbour = make.tenant_in(make.unit(people.block))
    ticket = make.ticket(neighbour, people.block, summary="Lift broken", visibility="block")
    sign_in(client, people.tenant)
    path = f"/portal/tickets/{ticket.id}"
    page = client.get(path).get_data(as_text=True)
    assert "Shared with your building" in page
    assert "Send reply" not in page and "Close the ticket" not in page
    assert send(client, f"{path}/reply", {"body": "Me too"}, token_from=path).status_code == 403
    answer = post(client, f"{path}/status", {"status": "closed"}, token_from=path)
    assert answer.status_code == 403 and make.reload(ticket).status == "new"


def test_staff_and_contractors_get_a_403_page_and_visitors_sign_in(client, make, people):
    ticket = make.ticket(people.tenant, people.block, people.unit)
    for user in (people.manager, people.contractor):
        other = client.application.test_client()
        sign_in(other, user)
        for url in ("/portal", "/portal/tickets", f"/portal/tickets/{ticket.id}"):
            assert other.get(url).status_code == 403
    answer = client.get(f"/portal/tickets/{ticket.id}")
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/?next=/portal/tickets/{ticket.id}"


def test_the_signed_delivery_note_is_offered_as_a_pdf(app, client, make):
    agency = Agency(app, make)
    ticket_id = agency.ticket()
    note = agency.sign(ticket_id)
    sign_in(client, agency.tenant)
    page = client.get(f"/portal/tickets/{ticket_id}").get_data(as_text=True)
    url = f"/portal/tickets/{ticket_id}/delivery-notes/{note['id']}.pdf"
    assert url in page and f"Delivery note {note['number']}" in page
    answer = client.get(url)
    assert answer.status_code == 200 and answer.data.startswith(b"%PDF-")
    other = app.test_client()
    sign_in(other, agency.other_tenant)
    assert other.get(url).status_code == 404

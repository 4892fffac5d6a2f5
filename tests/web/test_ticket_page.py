"""The console's ticket page: what staff see, what each form does (through the API's
services, recorded on the timeline), and what nobody else can reach through it."""

import io
import re

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import Attachment, InboundMail, Message, Ticket, TicketEvent
from server.services import attachments, settings
from server.services import messages as messages_service
from tests.factories import as_caller
from tests.web.pages import sign_in

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def token(client, path: str) -> str:
    found = TOKEN.search(client.get(path).get_data(as_text=True))
    assert found, f"no form on {path}"
    return found.group(1)


def send(client, ticket, action: str, data: dict | None = None, **options):
    """Post one of the ticket page's forms, with the page's CSRF token."""
    path = f"/tickets/{ticket.id}"
    return client.post(
        f"{path}/{action}", data={**(data or {}), "csrf_token": token(client, path)}, **options
    )


def events(app, ticket, kind: str | None = None) -> list[TicketEvent]:
    with app.app_context():
        query = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
        if kind:
            query = query.where(TicketEvent.kind == kind)
        return db.session.scalars(query.order_by(TicketEvent.position)).all()


def fresh(app, ticket) -> Ticket:
    with app.app_context():
        return db.session.get(Ticket, ticket.id)


@pytest.fixture
def ticket(make, people):
    """A triaged ticket of the tenant's with one message of each visibility."""
    ticket = make.ticket(people.tenant, people.block, people.unit, summary="Dripping tap")
    make.triage(ticket, people.manager, priority="high")
    make.message(ticket, people.manager, "We will send someone.", "public")
    make.message(ticket, people.manager, "Team knows the stopcock is stiff.", "team")
    make.message(ticket, people.manager, "Tenant owes two months.", "staff")
    return make.reload(ticket)


@pytest.fixture
def manager(app, people):
    client = app.test_client()
    sign_in(client, people.manager)
    return client


def test_staff_see_the_header_and_a_timeline_with_unmistakable_visibility(manager, ticket):
    answer = manager.get(f"/tickets/{ticket.id}")
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert ticket.ref in html and "Dripping tap" in html
    assert "pill--status-on_hold" in html and "pill--priority-high" in html
    assert "History verified" in html
    for body, tint, badge in (
        ("We will send someone.", "entry--staff", ">Public<"),
        ("Team knows the stopcock is stiff.", "entry--team", ">Team<"),
        ("Tenant owes two months.", "entry--staff-only", "Staff only"),
    ):
        entry = html[: html.index(body)].rsplit("<li", 1)[1]
        assert tint in entry and badge in entry, entry
    assert "Maria Manager" in html and ">Staff<" in html and ">Tenant<" in html
    assert "triaged the report: type repair, priority high" in html
    assert 'hx-trigger="every 20s"' in html


def test_the_timeline_fragment_is_the_timeline_alone(manager, ticket):
    answer = manager.get(f"/tickets/{ticket.id}/timeline")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert html.lstrip().startswith("<ol") and "Tenant owes two months." in html


def test_an_untriaged_report_shows_the_triage_form_first_with_its_rule(manager, make, people):
    report = make.ticket(people.tenant, people.block, people.unit, summary="No hot water")
    html = manager.get(f"/tickets/{report.id}").get_data(as_text=True)
    assert "Set type and priority before anything else" in html
    assert html.index(f'action="/tickets/{report.id}/triage"') < html.index("Timeline")
    assert f'action="/tickets/{report.id}/reply"' not in html
    assert f'action="/tickets/{report.id}/assign"' not in html


def test_triage_sets_type_and_priority_and_records_it(app, manager, make, people):
    report = make.ticket(people.tenant, people.block, people.unit)
    form = {
        "type": "repair",
        "priority": "high",
        "billing": "chargeable",
        "deadline_at": "2027-01-05T14:30",
    }
    answer = send(manager, report, "triage", form)
    assert answer.status_code == 303 and answer.headers["Location"] == f"/tickets/{report.id}"
    now = fresh(app, report)
    assert (now.type, now.priority, now.billing) == ("repair", "high", "chargeable")
    assert now.deadline_at.isoformat() == "2027-01-05T14:30:00+00:00"  # London, winter
    assert len(events(app, report, "triaged")) == 1
    assert "Triaged: repair, high priority." in manager.get(f"/tickets/{report.id}").get_data(
        as_text=True
    )


def test_triage_refuses_a_missing_priority_in_words_and_keeps_the_type(app, manager, make, people):
    report = make.ticket(people.tenant, people.block, people.unit)
    answer = send(manager, report, "triage", {"type": "repair"})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "There is a problem" in html and 'href="#f-triage-priority"' in html
    assert '<option value="repair" selected>' in html
    assert fresh(app, report).triaged_at is None


def test_a_public_reply_with_a_photo_is_saved_with_its_file_and_shown_inline(app, manager, ticket):
    data = {
        "body": "Photo of the tap",
        "visibility": "public",
        "files": (io.BytesIO(PNG), "tap.png", "image/png"),
    }
    answer = send(manager, ticket, "reply", data, content_type="multipart/form-data")
    assert answer.status_code == 303
    with app.app_context():
        message = db.session.scalar(select(Message).where(Message.body == "Photo of the tap"))
        file = db.session.scalar(select(Attachment).where(Attachment.message_id == message.id))
        assert message.visibility == "public" and file.filename == "tap.png"
    html = manager.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert f'<img src="/tickets/{ticket.id}/files/{file.id}"' in html
    assert "Reply sent with 1 file." in html
    served = manager.get(f"/tickets/{ticket.id}/files/{file.id}")
    assert served.status_code == 200 and served.data == PNG
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in served.headers["Content-Security-Policy"]
    served.close()


def test_a_refused_file_says_why_and_keeps_nothing_of_the_reply(app, manager, ticket):
    before = len(events(app, ticket))
    data = {
        "body": "See the attached",
        "visibility": "public",
        "files": (io.BytesIO(b"MZ\x00\x01 not a picture"), "tap.exe", "image/png"),
    }
    answer = send(manager, ticket, "reply", data, content_type="multipart/form-data")
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "tap.exe was not sent: Attachments must be one of" in html
    assert "See the attached" in html  # the typed text is kept in the box
    assert len(events(app, ticket)) == before
    with app.app_context():
        assert db.session.scalar(select(Message).where(Message.body == "See the attached")) is None


def test_staff_only_and_team_notes_are_recorded_with_their_visibility(app, manager, ticket):
    for visibility, words in (("staff", "Staff-only note added."), ("team", "Team note added.")):
        answer = send(
            manager, ticket, "reply", {"body": f"A {visibility} note", "visibility": visibility}
        )
        assert answer.status_code == 303
        assert words in manager.get(f"/tickets/{ticket.id}").get_data(as_text=True)
        assert events(app, ticket, "message")[-1].visibility == visibility


def test_canned_responses_are_offered_for_insertion(app, manager, ticket, people):
    with app.app_context():
        settings.create_canned_response(
            as_caller(people.admin),
            title="Visit booked",
            body="An engineer will visit on <Tuesday>.",
        )
        db.session.commit()
    html = manager.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert 'data-insert-into="f-reply-body"' in html
    assert 'data-body="An engineer will visit on &lt;Tuesday&gt;."' in html


def test_assigning_and_unassigning_a_contractor_are_recorded(app, manager, ticket, people, make):
    busy = make.ticket(people.tenant, people.block, people.unit)
    make.triage(busy, people.manager)
    make.assign(busy, people.contractor, people.manager)
    html = manager.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "Carl Plumber – no trade set · 1 active job" in html
    answer = send(manager, ticket, "assign", {"contractor_id": people.contractor.id})
    assert answer.status_code == 303
    assert events(app, ticket, "assigned")[-1].author_id == people.manager.id
    answer = send(manager, ticket, f"assignments/{people.contractor.id}/end")
    assert answer.status_code == 303
    assert len(events(app, ticket, "unassigned")) == 1


def test_only_the_moves_the_workflow_allows_are_offered(manager, ticket):
    html = manager.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    offered = re.search(r'id="f-status-status".*?</select>', html, re.S).group(0)
    assert '"open"' in offered and '"resolved"' in offered and '"closed"' in offered
    assert '"new"' not in offered and '"on_hold"' not in offered  # it is on hold already


def test_a_status_change_records_the_reason(app, manager, ticket):
    answer = send(manager, ticket, "status", {"status": "resolved", "reason": "Washer replaced"})
    assert answer.status_code == 303
    moves = [e.data for e in events(app, ticket, "status_changed")]
    assert '{"from":"on_hold","reason":"Washer replaced","to":"resolved"}' in moves
    assert fresh(app, ticket).status == "closed"  # included work closes once resolved
    html = manager.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "changed the status from On hold to Resolved: Washer replaced" in html
    assert "The ticket is closed." in html


def test_a_forced_move_the_workflow_refuses_changes_nothing(app, manager, ticket):
    before = len(events(app, ticket))
    answer = send(manager, ticket, "status", {"status": "new"})
    assert answer.status_code == 409
    assert "A ticket cannot go back to new." in answer.get_data(as_text=True)
    assert len(events(app, ticket)) == before and fresh(app, ticket).status == "on_hold"


def test_editing_details_people_and_deadline_goes_through_the_update_service(
    app, manager, ticket, people, make
):
    owner = make.user("staff", name="Olga Owner")
    assert (
        send(
            manager,
            ticket,
            "edit/details",
            {"summary": "Dripping kitchen tap", "description": "Drips.", "visibility": "unit"},
        ).status_code
        == 303
    )
    assert (
        send(
            manager,
            ticket,
            "edit/people",
            {
                "owner_id": owner.id,
                "manager_id": people.manager.id,
                "department_id": people.department.id,
                "unit_id": people.unit.id,
            },
        ).status_code
        == 303
    )
    assert (
        send(manager, ticket, "edit/deadline", {"deadline_at": "2027-06-01T09:00"}).status_code
        == 303
    )
    now = fresh(app, ticket)
    assert (now.summary, now.visibility, now.owner_id) == ("Dripping kitchen tap", "unit", owner.id)
    assert now.deadline_at.isoformat() == "2027-06-01T08:00:00+00:00"  # London, summer
    assert send(manager, ticket, "edit/deadline", {"deadline_at": ""}).status_code == 303
    assert fresh(app, ticket).deadline_at is None
    assert len(events(app, ticket, "updated")) == 4
    html = manager.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "changed the owner from nothing to Olga Owner" in html
    assert "edited the description" in html and "(edited since the report)" in html


def test_marking_a_duplicate_by_its_ref_closes_this_ticket(app, manager, ticket, make, people):
    original = make.ticket(people.tenant, people.block, people.unit)
    answer = send(manager, ticket, "duplicate", {"duplicate_of": original.ref.lower()})
    assert answer.status_code == 303
    now = fresh(app, ticket)
    assert now.duplicate_of_id == original.id and now.status == "closed"
    assert len(events(app, original, "duplicate_linked")) == 1
    html = manager.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "Closed as a duplicate of" in html and original.ref in html


@pytest.mark.parametrize(
    "action, data, status, words",
    [
        ("reply", {"body": "x" * 20001, "visibility": "public"}, 422, "Length must be between"),
        ("reply", {"body": "Hello", "visibility": "secret"}, 422, "Must be one of"),
        ("reply", {"body": "", "visibility": "public"}, 422, "There is a problem"),
        ("assign", {"contractor_id": "not a number"}, 422, "There is a problem"),
        ("assign", {"contractor_id": "999999"}, 422, "no active contractor"),
        ("status", {"status": "exploded"}, 422, "Must be one of"),
        ("status", {"status": "resolved", "reason": "r" * 2001}, 422, "Longer than maximum"),
        ("duplicate", {"duplicate_of": "T-999999"}, 422, "Enter the reference (like T-000123)"),
        (
            "duplicate",
            {"duplicate_of": "'; DROP TABLE tickets; --"},
            422,
            "Enter the reference (like T-000123)",
        ),
        ("edit/people", {"owner_id": "-5"}, 422, "There is a problem"),
        ("edit/deadline", {"deadline_at": "next tuesday"}, 422, "There is a problem"),
        ("edit/nothing", {"summary": "x"}, 422, "unknown form"),
    ],
)
def test_hostile_input_is_refused_in_words_and_changes_nothing(
    app, manager, ticket, action, data, status, words
):
    before = len(events(app, ticket))
    answer = send(manager, ticket, action, data)
    html = answer.get_data(as_text=True)
    assert answer.status_code == status, html[:500]
    assert words in html and "Nothing was changed." in html
    assert len(events(app, ticket)) == before


def test_a_contractor_who_is_a_tenant_cannot_be_assigned(app, manager, ticket, people):
    answer = send(manager, ticket, "assign", {"contractor_id": people.tenant.id})
    assert answer.status_code == 422 and "no active contractor with id" in answer.get_data(
        as_text=True
    )


def test_bad_ids_are_the_not_found_page(manager, ticket):
    for path in (
        "/tickets/999999",
        "/tickets/999999/timeline",
        f"/tickets/{ticket.id}/files/nope",
        f"/tickets/{ticket.id}/files/" + "a" * 500,
        f"/tickets/{ticket.id}/delivery-notes/nope.pdf",
        f"/tickets/{ticket.id}/invoices/999999.pdf",
    ):
        answer = manager.get(path)
        assert answer.status_code == 404, path
        assert "Page not found" in answer.get_data(as_text=True)
    assert manager.get("/tickets/abc").status_code == 404


def test_another_blocks_ticket_is_the_not_found_page_for_reads_and_actions(app, make, people):
    other_manager = make.user("staff", departments=[make.department()])
    other_block = make.block(manager=other_manager)
    hidden = make.ticket(other_manager, other_block, summary="Someone else's roof")
    client = app.test_client()
    sign_in(client, people.manager)
    for path in (f"/tickets/{hidden.id}", f"/tickets/{hidden.id}/timeline"):
        answer = client.get(path)
        assert answer.status_code == 404 and "Someone else" not in answer.get_data(as_text=True)
    page_token = token(client, "/dashboard")
    for action, data in (
        ("reply", {"body": "hi"}),
        ("status", {"status": "closed"}),
        ("assign", {"contractor_id": people.contractor.id}),
        ("triage", {"type": "repair", "priority": "low"}),
        ("edit/details", {"summary": "mine now"}),
        ("duplicate", {"duplicate_of": hidden.ref}),
    ):
        answer = client.post(
            f"/tickets/{hidden.id}/{action}", data={**data, "csrf_token": page_token}
        )
        assert answer.status_code == 404, action
    assert len(events(app, hidden)) == 1  # only its report


def test_tenants_and_contractors_following_a_mail_link_are_sent_home(app, people, ticket):
    for user, home in (
        (people.tenant, f"/portal/tickets/{ticket.id}"),
        (people.contractor, "/field/"),
    ):
        client = app.test_client()
        sign_in(client, user)
        answer = client.get(f"/tickets/{ticket.id}")
        assert answer.status_code == 303 and answer.headers["Location"] == home
    signed_out = app.test_client().get(f"/tickets/{ticket.id}")
    assert signed_out.headers["Location"] == f"/?next=/tickets/{ticket.id}"


def test_a_tenant_never_reads_team_or_staff_notes_through_any_page_route(app, people, ticket):
    with app.app_context():
        staff = as_caller(people.manager)
        note = db.session.scalar(select(Message).where(Message.visibility == "staff"))
        secret = attachments.add_attachment(
            staff,
            ticket.id,
            io.BytesIO(b"%PDF-1.4 minutes"),
            "minutes.pdf",
            "application/pdf",
            message_id=note.id,
        )
        db.session.commit()
        secret_id = secret.id
    client = app.test_client()
    sign_in(client, people.tenant)
    for path in (
        f"/tickets/{ticket.id}",
        f"/tickets/{ticket.id}/timeline",
        f"/tickets/{ticket.id}/files/{secret_id}",
        f"/tickets/{ticket.id}/delivery-notes/x.pdf",
        f"/tickets/{ticket.id}/invoices/1.pdf",
    ):
        answer = client.get(path, follow_redirects=False)
        html = answer.get_data(as_text=True)
        assert answer.status_code in (303, 403, 404), path
        assert (
            "Tenant owes" not in html and "stopcock" not in html and b"minutes" not in answer.data
        )
    posted = client.post(
        f"/tickets/{ticket.id}/status",
        data={"status": "closed", "csrf_token": token(client, "/account/password")},
    )
    assert posted.status_code == 403 and "You cannot do this" in posted.get_data(as_text=True)
    assert fresh(app, ticket).status == "on_hold"


@pytest.mark.parametrize(
    "action",
    ["triage", "edit/details", "reply", "assign", "assignments/1/end", "status", "duplicate"],
)
def test_every_form_needs_the_csrf_token(app, manager, ticket, action):
    before = len(events(app, ticket))
    answer = manager.post(f"/tickets/{ticket.id}/{action}", data={"body": "x", "status": "closed"})
    assert answer.status_code == 400
    forged = manager.post(
        f"/tickets/{ticket.id}/{action}",
        data={"body": "x", "status": "closed", "csrf_token": "forged"},
    )
    assert forged.status_code == 400
    assert len(events(app, ticket)) == before


def test_the_page_query_count_does_not_grow_with_the_timeline(app, make, people, manager, queries):
    def ticket_with(count):
        ticket = make.ticket(people.tenant, people.block, people.unit)
        make.triage(ticket, people.manager)
        make.assign(ticket, people.contractor, people.manager)
        with app.app_context():
            staff = as_caller(people.manager)
            for n in range(count):
                messages_service.post_message(staff, ticket.id, f"Note {n}", "staff")
                if n % 5 == 0:
                    attachments.add_attachment(
                        staff, ticket.id, io.BytesIO(PNG), f"p{n}.png", "image/png"
                    )
            db.session.commit()
        return ticket

    small, large = ticket_with(5), ticket_with(50)
    counts = []
    for ticket in (small, large):
        manager.get(f"/tickets/{ticket.id}")  # warm
        with queries() as counted:
            assert manager.get(f"/tickets/{ticket.id}").status_code == 200
        counts.append(counted.count)
    assert counts[0] == counts[1], counts
    with queries() as small_fragment:
        manager.get(f"/tickets/{small.id}/timeline")
    with queries() as large_fragment:
        manager.get(f"/tickets/{large.id}/timeline")
    assert small_fragment.count == large_fragment.count


def test_a_poll_after_the_session_ended_sends_the_browser_to_sign_in(app, ticket):
    answer = app.test_client().get(f"/tickets/{ticket.id}/timeline", headers={"HX-Request": "true"})
    assert answer.status_code == 204 and answer.data == b""
    assert answer.headers["HX-Redirect"] == f"/?next=/tickets/{ticket.id}"


def test_a_reply_that_came_by_email_says_so(app, manager, ticket, people):
    with app.app_context():
        message = messages_service.post_message(
            as_caller(people.tenant), ticket.id, "Sent from my phone"
        )
        db.session.add(
            InboundMail(
                message_id="<m1@example.test>",
                status="appended",
                ticket_id=ticket.id,
                appended_message_id=message.id,
                sender=people.tenant.email,
                sender_name="Zoë",
                subject="Re: tap",
                body_text="Sent from my phone",
                raw_size=10,
                source="imap",
            )
        )
        db.session.commit()
    html = manager.get(f"/tickets/{ticket.id}/timeline").get_data(as_text=True)
    entry = html[html.index("Sent from my phone") - 900 : html.index("Sent from my phone")]
    assert "wrote by email" in entry and "Tenant" in entry


@pytest.mark.parametrize("role", ["tenant", "contractor"])
def test_a_tenant_or_contractor_forcing_a_staff_form_gets_the_403_page(
    app, people, ticket, make, role
):
    make.assign(ticket, people.contractor, people.manager)
    user = getattr(people, role)
    client = app.test_client()
    sign_in(client, user)
    before = len(events(app, ticket))
    page_token = token(client, "/account/password")
    for action, data in (
        ("reply", {"body": "Let me in", "visibility": "staff"}),
        ("assign", {"contractor_id": people.contractor.id}),
        ("edit/details", {"summary": "Taken over"}),
        (f"assignments/{people.contractor.id}/end", {}),
    ):
        answer = client.post(
            f"/tickets/{ticket.id}/{action}", data={**data, "csrf_token": page_token}
        )
        assert answer.status_code == 403, action
        assert "You cannot do this" in answer.get_data(as_text=True)
    assert len(events(app, ticket)) == before

"""Receiving a pushed note: numbering, sealing, re-pushes, late signatures, and what
signing does to the ticket. A push never fails for a business reason."""

from datetime import timedelta

from delivery_notes.signals import note_signed
from server.services.timeline import append_event
from tests.delivery_notes.conftest import SIGNED_AT, VISIT
from tests.unit.delivery_notes.note_factories import make_png


def events(agency, ticket_id, kind=None) -> list[dict]:
    found = agency.detail(ticket_id)["events"]
    return [e for e in found if kind is None or e["kind"] == kind]


def test_signing_an_included_ticket_resolves_and_closes_it(agency, visit):
    note = agency.sign(visit)

    ticket = agency.detail(visit)
    assert ticket["status"] == "closed"
    kinds = [e["kind"] for e in ticket["events"]]
    signed = kinds.index("delivery_note_signed")
    # Resolved, closed, and the contractor's assignment ends with the close.
    assert kinds[signed + 1 :] == ["status_changed", "status_changed", "unassigned"]
    [event] = events(agency, visit, "delivery_note_signed")
    assert event["data"] == {
        "note_id": note["id"],
        "number": note["number"],
        "content_sha256": note["content_sha256"],
    }
    assert event["device_time"].startswith("2026-03-12T14:00")
    moves = [e["data"]["to"] for e in events(agency, visit, "status_changed")]
    assert moves[-2:] == ["resolved", "closed"]


def test_signing_a_chargeable_ticket_signals_billing_then_resolves_it(agency):
    ticket_id = agency.ticket(billing="chargeable")
    agency.log_time(ticket_id)
    received = []

    def billing(note, ticket, caller):
        received.append((note.number, ticket.id, caller.user.id))

    with note_signed.connected_to(billing):
        note = agency.sign(ticket_id)

    assert received == [(note["number"], ticket_id, agency.contractor.id)]
    assert agency.detail(ticket_id)["status"] == "resolved"  # it waits for payment
    [resolved] = events(agency, ticket_id, "status_changed")
    assert resolved["data"]["to"] == "resolved"
    assert resolved["data"]["reason"] == f"Signed delivery note {note['number']}."


def test_a_billing_refusal_is_kept_as_a_conflict_and_the_note_is_recorded(agency):
    from server.errors import Conflict

    ticket_id = agency.ticket(billing="chargeable")

    def refusing_billing(note, ticket, caller):
        append_event(ticket, "invoice_drafted", caller, {"half": "done"})
        raise Conflict("No labour rate for this contractor.", code="no_labour_rate")

    with note_signed.connected_to(refusing_billing):
        note = agency.sign(ticket_id)

    assert note["number"].startswith("DN-")
    assert events(agency, ticket_id, "invoice_drafted") == []  # its writes were undone
    [conflict] = events(agency, ticket_id, "sync_conflict")
    assert conflict["visibility"] == "staff"
    assert conflict["data"]["code"] == "no_labour_rate"
    verified = agency.app.test_client().get(
        f"/api/tickets/{ticket_id}/verify", headers=agency.headers(agency.staff)
    )
    assert verified.get_json()["intact"] is True


def test_notes_are_numbered_gaplessly_per_year(agency, visit):
    first = agency.sign(visit)
    second = agency.sign(visit, signed_at=SIGNED_AT + timedelta(hours=1))
    third = agency.sign(agency.ticket())

    year = first["received_at"].year
    assert [first["number"], second["number"], third["number"]] == [
        f"DN-{year}-000001",
        f"DN-{year}-000002",
        f"DN-{year}-000003",
    ]


def test_a_second_note_covers_only_work_not_on_the_first(agency, visit):
    first = agency.sign(visit)
    later = VISIT + timedelta(days=1)
    extra = agency.log_time(visit, minutes=45, started_at=later)

    second = agency.sign(visit, signed_at=later + timedelta(hours=1))

    assert extra not in first["time_entry_ids"]
    assert second["time_entry_ids"] == f'["{extra}"]'
    assert second["material_ids"] == "[]"
    assert second["content_sha256"] != first["content_sha256"]


def test_work_logged_after_the_signature_is_not_on_the_note(agency, visit):
    # Pushed before the note (sync records hours first) but logged after the customer signed.
    after = SIGNED_AT + timedelta(minutes=5)
    late = agency.log_time(visit, minutes=15, started_at=after, created_at=after)

    note = agency.sign(visit)

    assert late not in note["time_entry_ids"]
    assert note["time_entry_ids"].count("te-") == 2


def test_later_work_never_changes_a_signed_note(agency, visit):
    note = agency.sign(visit)
    agency.log_time(visit, minutes=15, started_at=VISIT, created_at=VISIT)

    assert agency.note(note["id"])["time_entry_ids"] == note["time_entry_ids"]
    page = agency.app.test_client().get(f"/verify/{note['id']}").get_data(as_text=True)
    assert ">Valid<" in page


def test_re_pushing_the_same_note_changes_nothing(agency, visit):
    fields = agency.fields(visit, agency.signature(visit))
    first = agency.receive(fields)
    before = agency.detail(visit)["events"]

    again = agency.receive(dict(fields))

    assert again == first
    assert agency.detail(visit)["events"] == before
    assert len(agency.notes_of(visit)) == 1


def test_a_re_push_with_other_content_keeps_the_recorded_note_and_a_conflict(agency, visit):
    fields = agency.fields(visit, agency.signature(visit))
    recorded = agency.receive(fields)

    kept = agency.receive(dict(fields, signed_by="Someone Else", work_summary="Edited later"))

    assert kept["sync_seq"] > recorded["sync_seq"]  # the device pulls the recorded version
    assert kept["signed_by"] == recorded["signed_by"]
    assert kept["work_summary"] == recorded["work_summary"]
    assert kept["number"] == recorded["number"]
    [conflict] = events(agency, visit, "sync_conflict")
    assert conflict["visibility"] == "staff"
    assert conflict["data"]["rejected"]["signed_by"] == "Someone Else"
    assert conflict["data"]["recorded"]["signed_by"] == recorded["signed_by"]
    assert len(agency.notes_of(visit)) == 1


def test_a_note_on_a_closed_ticket_is_recorded_with_a_conflict(agency, visit):
    agency.sign(visit)
    assert agency.detail(visit)["status"] == "closed"

    late = agency.sign(visit, signed_at=SIGNED_AT + timedelta(hours=2))

    assert late["number"].endswith("000002")
    [conflict] = events(agency, visit, "sync_conflict")
    assert conflict["data"]["id"] == late["id"]
    assert agency.detail(visit)["status"] == "closed"


def test_a_note_from_a_contractor_unassigned_before_signing_is_held_not_resolving(agency, visit):
    def unassign():
        from server.services.assignments import end_assignment

        end_assignment(agency.caller(agency.staff), visit, agency.contractor.id)

    agency.run(unassign)

    note = agency.sign(visit)

    assert agency.detail(visit)["status"] not in ("resolved", "closed")
    [conflict] = events(agency, visit, "sync_conflict")
    assert conflict["data"]["code"] == "held_for_review"
    assert conflict["data"]["id"] == note["id"]


def test_a_note_waits_for_its_signature_bytes_then_the_worker_renders_it(agency, visit):
    png = make_png(320, 90)
    attachment_id = agency.signature(visit, png, upload=False)
    note = agency.receive(agency.fields(visit, attachment_id))

    assert note["content_sha256"] is not None  # sealed from the declared digest
    waiting = agency.pdf(visit, note["id"], agency.tenant)
    assert waiting.status_code == 409
    assert waiting.get_json()["code"] == "note_not_ready"
    assert waiting.headers["Retry-After"]
    assert agency.render_pending()["rendered"] == 0

    agency.upload(attachment_id, png)
    assert agency.render_pending()["rendered"] == 1

    rendered = agency.note(note["id"])
    assert rendered["pdf_sha256"] and rendered["render_error"] is None
    etag = agency.pdf(visit, note["id"], agency.tenant).headers["ETag"]
    assert etag == f'"{rendered["pdf_sha256"]}"'


def test_a_note_whose_signature_record_comes_later_is_sealed_when_it_arrives(agency, visit):
    attachment_id = "sig-late-record"
    note = agency.receive(agency.fields(visit, attachment_id))
    assert note["content_sha256"] is None
    assert note["number"].startswith("DN-")

    png = make_png(300, 100)
    agency.upload(attachment_id, png)  # bytes first, record second: both orders happen

    def record_later():
        import hashlib

        from server.extensions import db
        from server.models import Ticket
        from server.services.attachments import record_attachment
        from server.storage import StoredBlob

        ticket = db.session.get(Ticket, visit)
        record_attachment(
            agency.caller(agency.contractor),
            ticket,
            filename="signature.png",
            content_type="image/png",
            blob=StoredBlob(hashlib.sha256(png).hexdigest(), len(png)),
            attachment_id=attachment_id,
        )

    agency.run(record_later)
    assert agency.render_pending()["rendered"] == 1

    sealed = agency.note(note["id"])
    assert sealed["content_sha256"] and sealed["pdf_sha256"]
    [event] = events(agency, visit, "delivery_note_sealed")
    assert event["data"]["content_sha256"] == sealed["content_sha256"]
    page = agency.app.test_client().get(f"/verify/{note['id']}").get_data(as_text=True)
    assert ">Valid<" in page


def test_a_broken_signature_png_is_recorded_as_a_render_error_not_a_failed_push(agency, visit):
    broken = make_png(300, 100)[:-20] + b"\x00" * 20  # PNG magic, corrupt chunks
    note = agency.receive(agency.fields(visit, agency.signature(visit, broken)))

    assert note["number"].startswith("DN-")
    assert agency.render_pending() == {"rendered": 0, "waiting": 0, "failed": 1, "skipped": 0}
    failed = agency.note(note["id"])
    assert failed["render_error"].startswith("failed: The signature image is unusable (not_png")
    assert failed["render_attempts"] == 1
    assert agency.render_pending()["failed"] == 0  # not retried
    response = agency.pdf(visit, note["id"], agency.staff)
    assert response.status_code == 409
    assert response.get_json()["code"] == "note_not_renderable"


def test_the_database_refuses_to_change_or_delete_a_signed_note(agency, visit):
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from server.extensions import db

    note = agency.sign(visit)
    for statement in (
        "UPDATE delivery_notes SET signed_by = 'Forger' WHERE id = :id",
        "UPDATE delivery_notes SET content_sha256 = 'x' WHERE id = :id",
        "DELETE FROM delivery_notes WHERE id = :id",
    ):
        with agency.app.app_context():
            with pytest.raises(DBAPIError):
                db.session.execute(text(statement), {"id": note["id"]})
            db.session.rollback()

    def render_state():
        db.session.execute(
            text("UPDATE delivery_notes SET render_error = 'x', sync_seq = 99 WHERE id = :id"),
            {"id": note["id"]},
        )

    agency.run(render_state)
    assert agency.note(note["id"])["render_error"] == "x"

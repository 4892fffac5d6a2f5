"""PDFs are made after commit by the worker (outbox channel `delivery_note_pdf` plus a
sweep job for late signatures), or by the CLI; a push never renders."""

from server.worker import run_once
from tests.unit.delivery_notes.note_factories import make_png


def test_the_worker_renders_a_received_note(agency, visit):
    note = agency.sign(visit)
    assert note["pdf_sha256"] is None  # the push only recorded it

    run_once(agency.app)

    rendered = agency.note(note["id"])
    assert rendered["pdf_sha256"] and rendered["pdf_rendered_at"]
    assert rendered["render_attempts"] == 1


def test_the_worker_waits_for_a_missing_signature_and_renders_when_it_comes(agency, visit):
    png = make_png(300, 100)
    attachment_id = agency.signature(visit, png, upload=False)
    note = agency.receive(agency.fields(visit, attachment_id))

    stats = run_once(agency.app)

    assert stats.retrying == 1  # the note's outbox row, asked to come back later
    waiting = agency.note(note["id"])
    assert waiting["pdf_sha256"] is None
    assert waiting["render_error"].startswith("waiting: ")
    assert waiting["render_attempts"] == 0

    agency.upload(attachment_id, png)
    run_once(agency.app)  # the sweep job does not wait for the row's retry time

    assert agency.note(note["id"])["pdf_sha256"]


def test_the_cli_renders_notes_left_without_a_pdf(agency, visit):
    note = agency.sign(visit)

    result = agency.app.test_cli_runner().invoke(args=["render-delivery-notes"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "rendered: 1, waiting: 0, failed: 0, skipped: 0"
    assert agency.note(note["id"])["pdf_sha256"]

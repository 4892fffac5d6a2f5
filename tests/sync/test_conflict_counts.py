"""Every conflict a push records is counted: in the push's answer and in the device's
pending-conflict count that staff see, whatever the table it concerns."""

import pytest

from server.services import tickets
from tests.sync.test_push import MS, material, message, time_entry


def attachment(world, id="att-1", **extra):
    return {
        "id": id,
        "ticket_id": str(world.ticket_id),
        "message_id": None,
        "filename": "photo.jpg",
        "content_type": "image/jpeg",
        "sha256": "a" * 64,
        "size": 1234,
        "created_at": MS,
        **extra,
    }


def note(world, id="note-1", **extra):
    return {
        "id": id,
        "ticket_id": str(world.ticket_id),
        "signed_by": "Zoë Łukasiewicz",
        "signed_at": MS,
        "signature_attachment_id": "sig-1",
        "work_summary": "Washer replaced.",
        "created_at": MS,
        **extra,
    }


# table -> (the record as first pushed, the same id with other content)
EDITS = {
    "ticket_messages": (message, {"body": "Edited after a lost response"}),
    "time_entries": (time_entry, {"minutes": 45}),
    "materials": (material, {"quantity": "3"}),
    "attachments": (attachment, {"filename": "renamed.jpg"}),
    "delivery_notes": (note, {"work_summary": "Another summary"}),
}


def pending(world, device_id="handheld-1") -> int:
    staff = world.headers("staff@x.test", None)
    devices = world.client.get("/api/sync/devices", headers=staff).get_json()
    return next(d for d in devices if d["device_id"] == device_id)["pending_conflicts"]


def conflict_events(world) -> list[dict]:
    staff = world.headers("staff@x.test", None)
    detail = world.client.get(f"/api/tickets/{world.ticket_id}", headers=staff).get_json()
    return [e for e in detail["events"] if e["kind"] == "sync_conflict"]


@pytest.mark.parametrize("table", sorted(EDITS))
def test_an_edited_re_push_is_counted_in_the_answer_and_on_the_device(world, table):
    build, edit = EDITS[table]
    headers = world.headers("carl@x.test")
    first = world.push(headers, {table: {"created": [build(world)]}})
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["conflicts"] == 0
    assert pending(world) == 0

    again = world.push(headers, {table: {"created": [build(world, **edit)]}})

    assert again.status_code == 200, again.get_json()
    assert len(conflict_events(world)) == 1
    assert again.get_json()["conflicts"] == 1
    assert pending(world) == 1


@pytest.mark.parametrize("table", ["ticket_messages", "time_entries", "materials"])
def test_a_refused_delete_is_counted_in_the_answer_and_on_the_device(world, table):
    build, _ = EDITS[table]
    headers = world.headers("carl@x.test")
    assert world.push(headers, {table: {"created": [build(world)]}}).status_code == 200

    response = world.push(headers, {table: {"deleted": [build(world)["id"]]}})

    assert response.get_json()["conflicts"] == 1
    assert pending(world) == 1


def test_a_refused_status_is_counted_in_the_answer_and_on_the_device(world):
    headers = world.headers("carl@x.test")
    [ticket] = world.pull(headers).get_json()["changes"]["tickets"]["created"]
    world.as_staff(tickets.change_status, world.ticket_id, "closed")

    response = world.push(headers, {"tickets": {"updated": [dict(ticket, status="on_hold")]}})

    assert response.get_json()["conflicts"] == 1
    assert pending(world) == 1


def test_a_note_signed_on_a_closed_ticket_is_counted_in_the_answer_and_on_the_device(world):
    headers = world.headers("carl@x.test")
    world.as_staff(tickets.change_status, world.ticket_id, "closed")

    response = world.push(headers, {"delivery_notes": {"created": [note(world)]}})

    assert response.status_code == 200, response.get_json()
    assert [e["data"]["table"] for e in conflict_events(world)] == ["delivery_notes"]
    assert response.get_json()["conflicts"] == 1
    assert pending(world) == 1


def test_several_conflicts_of_one_push_are_all_counted(world):
    headers = world.headers("carl@x.test")
    originals = {table: build(world) for table, (build, _) in EDITS.items()}
    first = world.push(headers, {t: {"created": [r]} for t, r in originals.items()})
    assert first.status_code == 200

    edited = {t: {"created": [build(world, **edit)]} for t, (build, edit) in EDITS.items()}
    response = world.push(headers, edited)

    assert len(conflict_events(world)) == len(EDITS)
    assert response.get_json()["conflicts"] == len(EDITS)
    assert pending(world) == len(EDITS)

"""A push tells the device about each conflict it recorded (`details`): which record,
what kind, why, and the office's values next to the phone's, so the app can show it
on the job in plain words."""

import time

from server.services import assignments, tickets
from tests.sync.test_conflict_counts import note
from tests.sync.test_push import material, time_entry


def details(response) -> list[dict]:
    assert response.status_code == 200, response.get_json()
    return response.get_json()["details"]


def test_a_push_without_conflicts_has_no_details(world):
    response = world.push(
        world.headers("carl@x.test"), {"materials": {"created": [material(world)]}}
    )
    assert details(response) == []


def test_an_edited_re_push_names_the_columns_with_the_office_and_phone_values(world):
    headers = world.headers("carl@x.test")
    world.push(headers, {"time_entries": {"created": [time_entry(world)]}})

    response = world.push(headers, {"time_entries": {"created": [time_entry(world, minutes=120)]}})

    [detail] = details(response)
    assert detail["kind"] == "edited_again"
    assert (detail["table"], detail["id"], detail["ticket_id"]) == (
        "time_entries",
        "t-1",
        str(world.ticket_id),
    )
    assert detail["office"] == {"minutes": 90}
    assert detail["phone"] == {"minutes": 120}


def test_a_refused_delete_is_described(world):
    headers = world.headers("carl@x.test")
    world.push(headers, {"materials": {"created": [material(world)]}})

    [detail] = details(world.push(headers, {"materials": {"deleted": ["mat-1"]}}))

    assert (detail["kind"], detail["table"], detail["id"]) == (
        "delete_refused",
        "materials",
        "mat-1",
    )


def test_a_refused_status_gives_the_office_status_and_the_reason(world):
    headers = world.headers("carl@x.test")
    [ticket] = world.pull(headers).get_json()["changes"]["tickets"]["created"]
    world.as_staff(tickets.change_status, world.ticket_id, "closed")

    response = world.push(headers, {"tickets": {"updated": [dict(ticket, status="resolved")]}})

    [detail] = details(response)
    assert detail["kind"] == "status_refused"
    assert detail["office"] == {"status": "closed"}
    assert detail["phone"] == {"status": "resolved"}
    assert detail["reason"]


def test_a_note_on_a_closed_ticket_is_kept_but_not_applied(world):
    headers = world.headers("carl@x.test")
    signed = note(world, created_at=int(time.time() * 1000))  # while on the job
    world.as_staff(tickets.change_status, world.ticket_id, "closed")

    [detail] = details(world.push(headers, {"delivery_notes": {"created": [signed]}}))

    assert (detail["kind"], detail["code"]) == ("note_not_applied", "ticket_closed")
    assert detail["number"].startswith("DN-")


def test_a_different_version_of_a_note_shows_both_versions(world):
    headers = world.headers("carl@x.test")
    world.push(headers, {"delivery_notes": {"created": [note(world)]}})

    response = world.push(
        headers, {"delivery_notes": {"created": [note(world, work_summary="Another summary")]}}
    )

    [detail] = details(response)
    assert detail["kind"] == "edited_again"
    assert detail["office"] == {"work_summary": "Washer replaced."}
    assert detail["phone"] == {"work_summary": "Another summary"}


def test_work_made_after_the_contractor_left_the_job_is_held_for_review(world):
    headers = world.headers("carl@x.test")
    world.pull(headers)
    world.as_staff(assignments.end_assignment, world.ticket_id, world.contractor_id)
    later = int(time.time() * 1000) + 3_600_000

    response = world.push(
        headers, {"time_entries": {"created": [time_entry(world, created_at=later)]}}
    )

    [detail] = details(response)
    assert (detail["kind"], detail["code"], detail["table"]) == (
        "held_for_review",
        "held_for_review",
        "time_entries",
    )

"""Timeline events read as plain sentences, whatever their kind or data (no app)."""

import pytest

from web.console.event_text import SENTENCES, describe, referenced_ids


def test_a_status_move_names_both_statuses_and_the_reason():
    text = describe("status_changed", {"from": "on_hold", "to": "resolved", "reason": "Fixed"})
    assert text == "changed the status from On hold to Resolved: Fixed"


def test_triage_says_the_type_and_priority_and_the_department_by_name():
    data = {"from": {}, "to": {"type": "repair", "priority": "high", "department_id": 4}}
    text = describe("triaged", data, {("department", 4): "Maintenance"})
    assert text == "triaged the report: type repair, priority high, department Maintenance"


def test_an_edit_names_people_by_name_and_never_shows_ids_as_json():
    data = {"changes": {"owner_id": {"from": None, "to": 7}, "summary": {"from": "a", "to": "b"}}}
    text = describe("updated", data, {("user", 7): "Maria Manager"})
    assert (
        text
        == "changed the owner from nothing to Maria Manager; changed the summary from “a” to “b”"
    )
    assert describe("updated", {"changes": {"unit_id": {"from": 1, "to": 2}}}) == (
        "changed the unit from #1 to #2"
    )


def test_hours_and_materials_are_summed_and_listed():
    hours = {"entries": [{"minutes": 90, "note": "Washer"}, {"minutes": 30, "chargeable": False}]}
    assert describe("time_logged", hours) == (
        "logged 2 h of work in 2 entries (some not chargeable): “Washer”"
    )
    materials = {
        "entries": [
            {"quantity": "2", "unit": "each", "description": "Washer", "unit_price": "0.50"}
        ]
    }
    assert describe("material_used", materials) == "used materials: 2 each Washer at £0.50 each"


def test_money_events_use_pounds_and_pence():
    assert describe("invoice_issued", {"number": "INV-2026-0001", "gross_total": "1234.5"}) == (
        "issued invoice INV-2026-0001 for £1,234.50"
    )
    payment = {"number": "INV-1", "amount": "100", "outstanding": "20.00", "method": "card"}
    assert describe("payment_received", payment) == (
        "recorded a payment of £100.00 on invoice INV-1 by card; £20.00 outstanding"
    )


def test_sync_conflicts_and_held_work_are_explained():
    held = {"table": "time_entries", "held": True, "code": "held_for_review"}
    assert "held for staff review" in describe("sync_conflict", held)
    conflict = {"table": "tickets", "detail": "The device set status 'resolved', refused."}
    assert describe("sync_conflict", conflict).endswith("refused.")
    decided = describe(
        "held_work_approved", {"table": "materials", "contractor_id": 3}, {("user", 3): "Carl"}
    )
    assert decided == "approved the held materials of Carl"


@pytest.mark.parametrize("kind", sorted(SENTENCES))
def test_every_known_kind_reads_as_words_even_with_no_data(kind):
    text = describe(kind, {})
    assert text and "{" not in text and "None" not in text


def test_unknown_kinds_and_odd_data_fall_back_to_a_readable_default():
    assert describe("roof_inspected", {"x": 1}) == "recorded: roof inspected"
    assert describe("status_changed", "not a dict") == "changed the status from unknown to unknown"
    assert describe("time_logged", {"entries": [{"minutes": "lots"}]}) == "recorded: time logged"
    assert describe("assigned", None) == "assigned a contractor"


def test_referenced_ids_collects_what_the_view_looks_up_once():
    events = [
        ("updated", {"changes": {"owner_id": {"from": 1, "to": 2}, "unit_id": {"to": 9}}}),
        ("triaged", {"to": {"department_id": 5}}),
        ("held_work_rejected", {"contractor_id": 3}),
        ("message", {"body": "hi"}),
    ]
    assert referenced_ids(events) == {"user": {1, 2, 3}, "unit": {9}, "department": {5}}

"""Pull: WatermelonDB's format, scope per contractor, assignment start and end."""

import json

import pytest

from server.extensions import db
from server.services import assignments, tickets
from tests.factories import PASSWORD
from tests.sync.conftest import ids


def test_first_pull_sends_the_assigned_ticket_with_what_a_contractor_needs_on_site(world):
    headers = world.headers("carl@x.test")
    response = world.pull(headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["timestamp"] > 0
    [ticket] = body["changes"]["tickets"]["created"]
    assert ticket["id"] == str(world.ticket_id)
    assert ticket["ref"].startswith("T-")
    assert ticket["address"] == "1 River Lane"
    assert ticket["unit_name"] == "Flat 1"
    assert ticket["tenant_name"] == "Zoë Łukasiewicz"
    assert ticket["tenant_phone"] == "+44 7700 900000"
    assert ticket["access_notes"] == "Key safe code 1234"
    assert json.loads(ticket["certificates"])[0]["kind"] == "gas_safety"
    assert isinstance(ticket["created_at"], int) and isinstance(ticket["updated_at"], int)
    assert not any(k.startswith("_") for k in ticket)


def test_first_pull_accepts_null_and_empty_last_pulled_at(world):
    headers = world.headers("carl@x.test")
    for value in ("null", ""):
        response = world.client.get(
            f"/api/sync/pull?last_pulled_at={value}&schema_version=1&migration=null",
            headers=headers,
        )
        assert response.status_code == 200
        assert len(response.get_json()["changes"]["tickets"]["created"]) == 1


def test_every_table_is_present_with_three_lists(world):
    changes = world.pull(world.headers("carl@x.test")).get_json()["changes"]
    assert set(changes) == {
        "tickets",
        "ticket_messages",
        "time_entries",
        "materials",
        "delivery_notes",
        "attachments",
    }
    for section in changes.values():
        assert set(section) == {"created", "updated", "deleted"}


def test_unit_history_lists_earlier_tickets_of_the_unit(world):
    older = world.new_ticket("Broken window")
    headers = world.headers("carl@x.test")
    [ticket] = world.pull(headers).get_json()["changes"]["tickets"]["created"]
    history = json.loads(ticket["unit_history"])
    assert [h["summary"] for h in history] == ["Broken window"]
    assert history[0]["ref"] and history[0]["outcome"] == "new"
    assert older != world.ticket_id


def test_a_new_outcome_in_the_unit_re_sends_its_other_tickets_with_the_history(world):
    other = world.new_ticket("Broken window")  # same unit, on nobody's device
    headers = world.headers("carl@x.test")
    first = world.pull(headers).get_json()
    world.staff_reply(other, "Glazier booked")  # new -> on_hold
    later = world.pull(headers, first["timestamp"]).get_json()["changes"]
    [ticket] = later["tickets"]["updated"]
    assert ticket["id"] == str(world.ticket_id)
    assert [h["outcome"] for h in json.loads(ticket["unit_history"])] == ["on_hold"]
    again = world.pull(headers, world.pull(headers, first["timestamp"]).get_json()["timestamp"])
    assert again.get_json()["changes"]["tickets"]["updated"] == []


@pytest.mark.parametrize("on_unit", [False, True], ids=["block", "unit"])
def test_a_new_certificate_re_sends_the_tickets_it_shows_on(world, on_unit):
    headers = world.headers("carl@x.test")
    first = world.pull(headers).get_json()
    certificate = {
        "kind": "electrical",
        "number": "EICR-9",
        "issued_on": "2026-06-01",
        "expires_on": "2031-06-01",
        "unit_id": world.unit_id if on_unit else None,
    }
    response = world.client.post(
        f"/api/blocks/{world.block_id}/certificates",
        json=certificate,
        headers=world.headers("staff@x.test", device_id=None),
    )
    assert response.status_code == 201
    later = world.pull(headers, first["timestamp"]).get_json()
    [ticket] = later["changes"]["tickets"]["updated"]
    kinds = [c["kind"] for c in json.loads(ticket["certificates"])]
    assert sorted(kinds) == ["electrical", "gas_safety"]
    again = world.pull(headers, later["timestamp"]).get_json()
    assert again["changes"]["tickets"]["updated"] == []


def test_a_new_tenancy_re_sends_the_unit_tickets_with_the_new_tenant(world):
    with world.app.app_context():
        from server.services import properties
        from server.services.people import create_user

        unit = properties.create_unit(world.caller(world.staff_id), world.block_id, name="Flat 2")
        tenant = create_user(
            None,
            email="ted@x.test",
            name="Ted Tenant",
            role="tenant",
            password=PASSWORD,
            phone="+44 7700 900111",
        )
        db.session.commit()
        unit_id, tenant_id = unit.id, tenant.id
    with world.app.app_context():
        staff = world.caller(world.staff_id)
        ticket = tickets.report_ticket(
            staff,
            summary="Damp",
            description="Wall",
            block_id=world.block_id,
            unit_id=unit_id,
            type="repair",
            priority="normal",
        )
        assignments.assign(staff, ticket.id, world.contractor_id)
        db.session.commit()
        ticket_id = ticket.id
    headers = world.headers("carl@x.test")
    first = world.pull(headers).get_json()
    [before] = [t for t in first["changes"]["tickets"]["created"] if t["id"] == str(ticket_id)]
    assert before["tenant_name"] is None
    response = world.client.post(
        f"/api/units/{unit_id}/tenancies",
        json={"tenant_id": tenant_id, "starts_on": "2020-01-01"},
        headers=world.headers("staff@x.test", device_id=None),
    )
    assert response.status_code == 201
    later = world.pull(headers, first["timestamp"]).get_json()["changes"]["tickets"]
    [after] = later["updated"]
    assert after["id"] == str(ticket_id)
    assert (after["tenant_name"], after["tenant_phone"]) == ("Ted Tenant", "+44 7700 900111")


def test_a_contractor_never_sees_tickets_of_others(world):
    world.new_ticket("Olga's job", assign_to=world.other_contractor_id)
    tickets = world.pull(world.headers("carl@x.test")).get_json()["changes"]["tickets"]
    assert ids(tickets)["created"] == [str(world.ticket_id)]


def test_staff_only_messages_never_reach_a_device(world):
    world.staff_reply(world.ticket_id, "Internal note", visibility="staff")
    team = world.staff_reply(world.ticket_id, "For the team", visibility="team")
    public = world.staff_reply(world.ticket_id, "Visit on Tuesday")
    messages = world.pull(world.headers("carl@x.test")).get_json()["changes"]["ticket_messages"]
    assert ids(messages)["created"] == sorted([team, public])


def test_empty_incremental_pull_returns_nothing_and_the_same_timestamp(world):
    headers = world.headers("carl@x.test")
    first = world.pull(headers).get_json()
    again = world.pull(headers, first["timestamp"]).get_json()
    assert again["timestamp"] == first["timestamp"]
    assert all(not any(s.values()) for s in again["changes"].values())


def test_a_staff_reply_that_moves_the_status_sends_the_ticket_again(world):
    headers = world.headers("carl@x.test")
    first = world.pull(headers).get_json()
    message_id = world.staff_reply(world.ticket_id, "Parts ordered")  # new -> on_hold
    later = world.pull(headers, first["timestamp"]).get_json()
    assert later["timestamp"] > first["timestamp"]
    assert ids(later["changes"]["ticket_messages"])["created"] == [message_id]
    [ticket] = later["changes"]["tickets"]["updated"]
    assert ticket["status"] == "on_hold"
    assert ticket["updated_at"] > first["changes"]["tickets"]["created"][0]["updated_at"]


def test_a_reply_that_leaves_the_ticket_record_as_it_was_sends_only_the_message(world):
    """Activity under a ticket (replies, hours) does not re-send the ticket with its
    address, tenant and unit history: only what changed travels."""
    headers = world.headers("carl@x.test")
    world.staff_reply(world.ticket_id, "Parts ordered")  # the status moves here
    first = world.pull(headers).get_json()
    message_id = world.staff_reply(world.ticket_id, "Arriving Tuesday")
    later = world.pull(headers, first["timestamp"]).get_json()["changes"]
    assert ids(later["ticket_messages"])["created"] == [message_id]
    assert later["tickets"] == {"created": [], "updated": [], "deleted": []}


def test_assignment_start_sends_an_old_ticket_and_its_history_as_created(world):
    headers = world.headers("carl@x.test")
    first = world.pull(headers).get_json()
    old = world.new_ticket("Old job")
    old_message = world.staff_reply(old, "Long history")
    from server.services import assignments

    world.as_staff(assignments.assign, old, world.contractor_id)
    later = world.pull(headers, first["timestamp"]).get_json()["changes"]
    assert ids(later["tickets"])["created"] == [str(old)]
    assert old_message in ids(later["ticket_messages"])["created"]


def test_assignment_end_sends_the_ticket_and_its_children_as_deleted(world):
    headers = world.headers("carl@x.test")
    message_id = world.staff_reply(world.ticket_id, "Hello")
    first = world.pull(headers).get_json()
    from server.services import assignments

    world.as_staff(assignments.end_assignment, world.ticket_id, world.contractor_id)
    later = world.pull(headers, first["timestamp"]).get_json()["changes"]
    assert later["tickets"]["deleted"] == [str(world.ticket_id)]
    assert later["ticket_messages"]["deleted"] == [message_id]
    assert later["tickets"]["created"] == later["tickets"]["updated"] == []


def test_each_id_appears_once_per_pull(world):
    headers = world.headers("carl@x.test")
    for n in range(3):
        world.staff_reply(world.ticket_id, f"message {n}")
    changes = world.pull(headers).get_json()["changes"]
    for section in changes.values():
        seen = [r["id"] if isinstance(r, dict) else r for k in section for r in section[k]]
        assert len(seen) == len(set(seen))


def test_pulls_are_for_contractors_only(world):
    response = world.pull(world.headers("staff@x.test"))
    assert response.status_code == 403


def test_unknown_schema_version_is_a_clear_error(world):
    response = world.pull(world.headers("carl@x.test"), schema_version=99)
    assert response.status_code == 400
    assert response.get_json()["code"] == "unsupported_schema_version"


def test_bad_last_pulled_at_is_422(world):
    response = world.pull(world.headers("carl@x.test"), last="yesterday")
    assert response.status_code == 422


def test_migration_pull_sends_whole_records_of_the_added_table(world):
    headers = world.headers("carl@x.test")
    world.staff_reply(world.ticket_id, "before")
    first = world.pull(headers).get_json()
    migration = json.dumps({"from": 0, "tables": ["ticket_messages"], "columns": []})
    later = world.pull(headers, first["timestamp"], migration=migration).get_json()["changes"]
    assert len(later["ticket_messages"]["updated"] + later["ticket_messages"]["created"]) == 1


def test_device_registry_records_the_pull(world, client):
    world.pull(world.headers("carl@x.test"))
    devices = client.get("/api/sync/devices", headers=world.headers("staff@x.test", None))
    [device] = [d for d in devices.get_json() if d["device_id"] == "handheld-1"]
    assert device["last_pull_at"] is not None

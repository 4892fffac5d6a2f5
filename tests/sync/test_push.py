"""Push: atomic, idempotent, conflicts server-wins, never wedging a device."""

from tests.sync.conftest import ids

MS = 1795400000000


def message(world, id="m-1", body="On my way", **extra):
    return {
        "id": id,
        "ticket_id": str(world.ticket_id),
        "body": body,
        "visibility": "public",
        "author_id": "",
        "created_at": MS,
        "_status": "created",
        "_changed": "",
        **extra,
    }


def time_entry(world, id="t-1", minutes=90, **extra):
    return {
        "id": id,
        "ticket_id": str(world.ticket_id),
        "started_at": MS,
        "ended_at": MS + 5400000,
        "minutes": minutes,
        "chargeable": True,
        "note": "Replaced washer",
        "created_at": MS,
        "contractor_id": "",
        "_status": "created",
        "_changed": "",
        **extra,
    }


def material(world, id="mat-1", **extra):
    return {
        "id": id,
        "ticket_id": str(world.ticket_id),
        "description": "Tap washer",
        "quantity": "2",
        "unit": "each",
        "unit_price": "1.50",
        "chargeable": True,
        "created_at": MS,
        "local_only_column": "ignored",
        **extra,
    }


def timeline(world, headers):
    return world.client.get(f"/api/tickets/{world.ticket_id}", headers=headers).get_json()["events"]


def test_push_records_messages_hours_and_materials_with_device_and_server_time(world):
    headers = world.headers("carl@x.test")
    last = world.pull(headers).get_json()["timestamp"]
    response = world.push(
        headers,
        {
            "ticket_messages": {"created": [message(world)]},
            "time_entries": {"created": [time_entry(world)]},
            "materials": {"created": [material(world)]},
        },
        last,
    )
    assert response.status_code == 200, response.get_json()
    staff = world.headers("staff@x.test", None)
    events = timeline(world, staff)
    kinds = [e["kind"] for e in events]
    assert {"message", "time_logged", "material_used"} <= set(kinds)
    logged = next(e for e in events if e["kind"] == "time_logged")
    assert logged["device_time"] is not None and logged["created_at"] is not None
    assert [e["minutes"] for e in logged["data"]["entries"]] == [90]
    assert (
        world.client.get(f"/api/tickets/{world.ticket_id}/verify", headers=staff).get_json()[
            "intact"
        ]
        is True
    )


def test_the_hours_one_push_logs_on_a_ticket_are_one_timeline_event(world):
    headers = world.headers("carl@x.test")
    last = world.pull(headers).get_json()["timestamp"]
    first = [time_entry(world, id="t-a", minutes=30), time_entry(world, id="t-b", minutes=45)]
    assert world.push(headers, {"time_entries": {"created": first}}, last).status_code == 200
    later = {"time_entries": {"created": [time_entry(world, id="t-c", minutes=15)]}}
    assert world.push(headers, later, last).status_code == 200
    staff = world.headers("staff@x.test", None)
    logged = [e["data"]["entries"] for e in timeline(world, staff) if e["kind"] == "time_logged"]
    assert [[(e["time_entry_id"], e["minutes"]) for e in entries] for entries in logged] == [
        [("t-a", 30), ("t-b", 45)],
        [("t-c", 15)],
    ]
    verdict = world.client.get(f"/api/tickets/{world.ticket_id}/verify", headers=staff)
    assert verdict.get_json()["intact"] is True


def test_push_accepts_any_content_type(world):
    headers = world.headers("carl@x.test")
    for n, content_type in enumerate(("text/plain", "application/json", "")):
        response = world.push(
            headers,
            {"ticket_messages": {"created": [message(world, id=f"m-ct-{n}")]}},
            content_type=content_type,
        )
        assert response.status_code == 200


def test_pushing_the_same_records_again_changes_nothing(world):
    headers = world.headers("carl@x.test")
    changes = {
        "ticket_messages": {"created": [message(world)]},
        "time_entries": {"created": [time_entry(world)]},
    }
    assert world.push(headers, changes).status_code == 200
    staff = world.headers("staff@x.test", None)
    before = len(timeline(world, staff))
    retry = world.push(headers, changes)
    assert retry.status_code == 200
    assert retry.get_json()["conflicts"] == 0
    assert len(timeline(world, staff)) == before


def test_an_edited_re_push_keeps_the_recorded_version_and_records_a_conflict(world):
    headers = world.headers("carl@x.test")
    first = world.pull(headers).get_json()["timestamp"]
    assert (
        world.push(headers, {"ticket_messages": {"created": [message(world)]}}).status_code == 200
    )
    after_push = world.pull(headers, first).get_json()["timestamp"]
    edited = world.push(
        headers,
        {
            "ticket_messages": {
                "created": [message(world, body="On my way, 10 minutes late", _changed="body")]
            }
        },
    )
    assert edited.status_code == 200
    assert edited.get_json()["conflicts"] == 1
    staff = world.headers("staff@x.test", None)
    conflict = [e for e in timeline(world, staff) if e["kind"] == "sync_conflict"]
    assert conflict and conflict[0]["data"]["pushed"]["body"] == "On my way, 10 minutes late"
    back = world.pull(headers, after_push).get_json()["changes"]["ticket_messages"]
    assert back["created"] == []
    assert [m["body"] for m in back["updated"]] == ["On my way"]


def test_a_devices_own_records_come_back_as_updated_never_created(world):
    headers = world.headers("carl@x.test")
    world.push(headers, {"time_entries": {"created": [time_entry(world)]}})
    pulled = world.pull(headers).get_json()["changes"]["time_entries"]
    assert ids(pulled)["created"] == []
    assert ids(pulled)["updated"] == ["t-1"]


def test_another_users_id_is_a_409_and_nothing_is_recorded(world):
    carl = world.headers("carl@x.test")
    world.push(carl, {"ticket_messages": {"created": [message(world, id="shared-id")]}})
    from server.services import assignments

    world.as_staff(assignments.assign, world.ticket_id, world.other_contractor_id)
    olga = world.headers("olga@x.test", "olga-phone")
    staff = world.headers("staff@x.test", None)
    before = len(timeline(world, staff))
    response = world.push(
        olga,
        {
            "time_entries": {"created": [time_entry(world, id="olga-t")]},
            "ticket_messages": {"created": [message(world, id="shared-id", body="hijack")]},
        },
    )
    assert response.status_code == 409
    assert response.get_json()["code"] == "sync_id_conflict"
    assert len(timeline(world, staff)) == before  # atomic: the time entry was not kept


def test_a_malformed_record_fails_the_whole_push(world):
    headers = world.headers("carl@x.test")
    staff = world.headers("staff@x.test", None)
    before = len(timeline(world, staff))
    response = world.push(
        headers,
        {
            "ticket_messages": {"created": [message(world)]},
            "time_entries": {"created": [time_entry(world, minutes="ninety")]},
        },
    )
    assert response.status_code == 422
    assert "time_entries" in response.get_json()["errors"]
    assert len(timeline(world, staff)) == before


def test_unknown_table_is_400_problem(world):
    response = world.client.post(
        "/api/sync/push?last_pulled_at=1",
        data='{"invoices": {}}',
        headers=world.headers("carl@x.test"),
    )
    assert response.status_code == 400
    assert response.get_json()["code"] == "sync_unknown_table"
    assert response.mimetype == "application/problem+json"


def test_invalid_json_is_400(world):
    response = world.client.post(
        "/api/sync/push", data="{oops", headers=world.headers("carl@x.test")
    )
    assert response.status_code == 400


def test_oversized_push_is_413(world, app):
    app.config["SYNC_MAX_PUSH_BYTES"] = 1000
    response = world.push(
        world.headers("carl@x.test"),
        {"ticket_messages": {"created": [message(world, body="x" * 2000)]}},
    )
    assert response.status_code == 413


def test_deleting_an_unknown_id_is_ignored(world):
    response = world.push(
        world.headers("carl@x.test"), {"ticket_messages": {"deleted": ["never-existed"]}}
    )
    assert response.status_code == 200
    assert response.get_json()["conflicts"] == 0


def test_deleting_a_recorded_message_is_refused_server_wins(world):
    headers = world.headers("carl@x.test")
    world.push(headers, {"ticket_messages": {"created": [message(world)]}})
    last = world.pull(headers).get_json()["timestamp"]
    response = world.push(headers, {"ticket_messages": {"deleted": ["m-1"]}}, last)
    assert response.get_json()["conflicts"] == 1
    back = world.pull(headers, last).get_json()["changes"]["ticket_messages"]
    assert ids(back)["updated"] == ["m-1"]


def test_device_resolves_a_ticket_by_pushing_its_status(world):
    world.as_staff(_triage, world.ticket_id)
    headers = world.headers("carl@x.test")
    [ticket] = world.pull(headers).get_json()["changes"]["tickets"]["created"]
    response = world.push(
        headers,
        {
            "tickets": {
                "updated": [dict(ticket, status="resolved", _status="updated", _changed="status")]
            }
        },
    )
    assert response.status_code == 200
    assert response.get_json()["conflicts"] == 0
    staff = world.headers("staff@x.test", None)
    detail = world.client.get(f"/api/tickets/{world.ticket_id}", headers=staff).get_json()
    assert detail["status"] in ("resolved", "closed")


def _triage(caller, ticket_id):
    from server.services import tickets

    return tickets.triage(caller, ticket_id, type="repair", priority="normal")


def test_status_change_on_a_closed_ticket_is_server_wins_and_the_ticket_stays_off_the_device(
    world,
):
    headers = world.headers("carl@x.test")
    first = world.pull(headers).get_json()
    [ticket] = first["changes"]["tickets"]["created"]
    from server.extensions import db
    from server.models import Ticket
    from server.services import tickets

    world.as_staff(tickets.change_status, world.ticket_id, "closed")
    # Closing ends the assignment, so the ticket leaves the device.
    second = world.pull(headers, first["timestamp"]).get_json()
    assert second["changes"]["tickets"]["deleted"] == [str(world.ticket_id)]
    last = second["timestamp"]
    response = world.push(headers, {"tickets": {"updated": [dict(ticket, status="on_hold")]}}, last)
    assert response.status_code == 200
    assert response.get_json()["conflicts"] == 1
    with world.app.app_context():
        assert db.session.get(Ticket, world.ticket_id).status == "closed"
    back = world.pull(headers, last).get_json()["changes"]["tickets"]
    assert back["updated"] == [] and back["created"] == []


def test_work_logged_offline_on_a_ticket_unassigned_meanwhile_is_kept(world):
    headers = world.headers("carl@x.test")
    world.pull(headers)
    from server.services import assignments

    world.as_staff(assignments.end_assignment, world.ticket_id, world.contractor_id)
    response = world.push(headers, {"time_entries": {"created": [time_entry(world)]}})
    assert response.status_code == 200
    staff = world.headers("staff@x.test", None)
    assert any(e["kind"] == "time_logged" for e in timeline(world, staff))


def test_a_ticket_the_device_never_had_is_422(world):
    other = world.new_ticket("Someone else's", assign_to=world.other_contractor_id)
    response = world.push(
        world.headers("carl@x.test"),
        {"ticket_messages": {"created": [dict(message(world), ticket_id=str(other))]}},
    )
    assert response.status_code == 422
    assert response.get_json()["code"] == "sync_unknown_ticket"


def test_revoked_device_cannot_push(world, client):
    headers = world.headers("carl@x.test", "lost-phone")
    staff = world.headers("staff@x.test", None)
    device = next(
        d
        for d in client.get("/api/sync/devices", headers=staff).get_json()
        if d["device_id"] == "lost-phone"
    )
    client.post(f"/api/sync/devices/{device['id']}/revoke", headers=staff)
    response = world.push(headers, {"ticket_messages": {"created": [message(world)]}})
    assert response.status_code == 401


def test_work_pushed_to_a_ticket_unassigned_meanwhile_then_leaves_the_device(world):
    headers = world.headers("carl@x.test")
    last = world.pull(headers).get_json()["timestamp"]
    from server.services import assignments

    world.as_staff(assignments.end_assignment, world.ticket_id, world.contractor_id)
    gone = world.pull(headers, last).get_json()
    assert gone["changes"]["tickets"]["deleted"] == [str(world.ticket_id)]
    # The device still had this entry pending when the ticket left it: pushed, kept, removed.
    pushed = world.push(
        headers, {"time_entries": {"created": [time_entry(world)]}}, gone["timestamp"]
    )
    assert pushed.status_code == 200
    after = world.pull(headers, gone["timestamp"]).get_json()["changes"]["time_entries"]
    assert after["deleted"] == ["t-1"]
    assert after["created"] == after["updated"] == []


def test_a_big_push_is_written_in_bulk_whole_and_chained(world):
    """Past BULK_FROM records hours and materials take the bulk path (Core/COPY): the
    same records, events and chain as the row-by-row path, seen once by a fresh pull."""
    from server.services.work import BULK_FROM

    headers = world.headers("carl@x.test")
    last = world.pull(headers).get_json()["timestamp"]
    count = BULK_FROM + 10
    response = world.push(
        headers,
        {
            "ticket_messages": {"created": [message(world)]},
            "time_entries": {
                "created": [time_entry(world, id=f"t-{n}", minutes=n + 1) for n in range(count)]
            },
            "materials": {
                "created": [
                    material(world, id=f"mat-{n}", quantity=f"{n}.25", unit_price="12.34")
                    for n in range(count)
                ]
            },
        },
        last,
    )
    assert response.status_code == 200, response.get_json()
    staff = world.headers("staff@x.test", None)
    events = timeline(world, staff)
    kinds = [e["kind"] for e in events]
    # What one push logged on a ticket is one event of each kind, listing every entry.
    assert kinds.count("time_logged") == 1 and kinds.count("material_used") == 1
    logged = next(e for e in events if e["kind"] == "time_logged")["data"]["entries"]
    assert [(e["time_entry_id"], e["minutes"]) for e in logged] == [
        (f"t-{n}", n + 1) for n in range(count)
    ]
    used = next(e for e in events if e["kind"] == "material_used")["data"]["entries"]
    assert [(e["material_id"], e["quantity"]) for e in used] == [
        (f"mat-{n}", f"{n}.250") for n in range(count)
    ]
    verdict = world.client.get(f"/api/tickets/{world.ticket_id}/verify", headers=staff)
    assert verdict.get_json() == {"intact": True, "events": len(kinds)}
    again = world.pull(headers, last).get_json()["changes"]
    assert sorted(r["id"] for r in again["time_entries"]["updated"]) == sorted(
        f"t-{n}" for n in range(count)
    )
    fresh = world.pull(world.headers("carl@x.test", "handheld-2")).get_json()["changes"]
    entries = [r for r in fresh["time_entries"]["created"] if r["id"].startswith("t-")]
    assert sorted(r["minutes"] for r in entries) == list(range(1, count + 1))
    assert len({r["id"] for r in fresh["materials"]["created"]}) == len(
        fresh["materials"]["created"]
    )
    materials = {r["id"]: r for r in fresh["materials"]["created"]}
    assert {(r["quantity"], r["unit_price"]) for r in materials.values()} == {
        (f"{n}.25", "12.34") for n in range(count)
    }
    assert materials["mat-3"]["created_at"] == MS
    retry = world.push(
        headers,
        {
            "time_entries": {
                "created": [time_entry(world, id=f"t-{n}", minutes=n + 1) for n in range(count)]
            }
        },
    )
    assert retry.get_json()["conflicts"] == 0
    assert len(timeline(world, staff)) == len(kinds)


def test_a_price_with_more_decimals_than_kept_is_rounded_half_up_and_sent_back(world):
    headers = world.headers("carl@x.test")
    last = world.pull(headers).get_json()["timestamp"]
    pushed = material(world, id="mat-round", quantity="1.0005", unit_price="12.345")
    assert world.push(headers, {"materials": {"created": [pushed]}}, last).status_code == 200
    [back] = world.pull(headers, last).get_json()["changes"]["materials"]["updated"]
    assert (back["quantity"], back["unit_price"]) == ("1.001", "12.35")


def test_a_status_pushed_with_a_big_push_of_hours_chains_after_their_event(world):
    """The hours move the ticket's chain head with Core; the status move that follows
    in the same push goes through the ORM ticket and must link to that new head."""
    from server.services.work import BULK_FROM

    world.as_staff(_triage, world.ticket_id)
    headers = world.headers("carl@x.test")
    [ticket] = world.pull(headers).get_json()["changes"]["tickets"]["created"]
    hours = [time_entry(world, id=f"h-{n}", minutes=10) for n in range(BULK_FROM)]
    response = world.push(
        headers,
        {
            "time_entries": {"created": hours},
            "tickets": {"updated": [dict(ticket, status="resolved", _status="updated")]},
        },
    )
    assert response.status_code == 200 and response.get_json()["conflicts"] == 0
    staff = world.headers("staff@x.test", None)
    kinds = [e["kind"] for e in timeline(world, staff)]
    assert kinds.index("time_logged") < kinds.index("status_changed")
    verdict = world.client.get(f"/api/tickets/{world.ticket_id}/verify", headers=staff)
    assert verdict.get_json() == {"intact": True, "events": len(kinds)}


def test_hours_written_in_bulk_are_found_by_time_like_those_written_one_by_one(world, app):
    """Both write paths store a time as the same value: on SQLite the same text, so a
    comparison with a bound time (a delivery note's `created_at <= signed_at`) treats
    a big push's hours like a small one's, whole seconds included."""
    from datetime import UTC, datetime

    from sqlalchemy import func, select

    from server.extensions import db
    from server.models import TimeEntry
    from server.services.work import BULK_FROM

    headers = world.headers("carl@x.test")
    bulk = [time_entry(world, id=f"t-{n}") for n in range(BULK_FROM)]
    assert world.push(headers, {"time_entries": {"created": bulk}}).status_code == 200
    one = {"time_entries": {"created": [time_entry(world, id="t-one")]}}
    assert world.push(headers, one).status_code == 200
    instant = datetime.fromtimestamp(MS / 1000, UTC)  # a whole second
    with app.app_context():
        at_instant = db.session.scalar(select(func.count()).where(TimeEntry.created_at == instant))
        later = db.session.scalar(select(func.count()).where(TimeEntry.created_at > instant))
    assert (at_instant, later) == (BULK_FROM + 1, 0)

"""The sync bodies the OpenAPI document describes (SyncPullBody, SyncPushBody, built
from sync.schemas' msgspec structs) are the ones real pulls send and pushes take."""

import pytest
from jsonschema import Draft202012Validator

from tests.sync.test_attachment_bytes import attachment, put
from tests.sync.test_push import MS, material, message, time_entry
from tests.unit.delivery_notes.note_factories import make_png


def validator(client, name: str) -> Draft202012Validator:
    spec = client.get("/api/openapi.json").get_json()
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}", **spec})


def problems(validator, body) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]


def test_a_real_push_and_the_pull_after_it_match_the_documented_shapes(world):
    from server.services import tickets

    # Chargeable: signing the note resolves the ticket but keeps it on the device.
    world.as_staff(
        tickets.triage, world.ticket_id, type="repair", priority="normal", billing="chargeable"
    )
    headers = world.headers("carl@x.test")
    first = world.pull(headers).get_json()
    png = make_png(40, 20)
    note = {
        "id": "note-1",
        "ticket_id": str(world.ticket_id),
        "signed_by": "Zoë",
        "signed_at": MS,
        "signature_attachment_id": "sig-1",
        "work_summary": "Washer replaced",
        "created_at": MS,
    }
    body = {
        "ticket_messages": {"created": [message(world)], "updated": [], "deleted": []},
        "time_entries": {"created": [time_entry(world)], "updated": [], "deleted": []},
        "materials": {"created": [material(world)], "updated": [], "deleted": []},
        "attachments": {
            "created": [attachment(world, png, id="sig-1")],
            "updated": [],
            "deleted": [],
        },
        "delivery_notes": {"created": [note], "updated": [], "deleted": []},
    }
    assert problems(validator(world.client, "SyncPushBody"), body) == []
    response = world.push(headers, body, first["timestamp"])
    assert response.status_code == 200, response.get_json()
    assert put(world, headers, "sig-1", png).status_code in (200, 201)
    world.staff_reply(world.ticket_id, "A staff answer")
    # A second handheld of the contractor's: its first pull carries everything.
    pulled = world.pull(world.headers("carl@x.test", "handheld-2")).get_json()
    tables = {t for t, section in pulled["changes"].items() if section["created"]}
    assert tables == set(pulled["changes"])  # every table has a record to check
    assert problems(validator(world.client, "SyncPullBody"), first) == []
    assert problems(validator(world.client, "SyncPullBody"), pulled) == []


def test_the_documented_shapes_refuse_what_the_server_refuses(world):
    push = validator(world.client, "SyncPushBody")
    bad_minutes = {"time_entries": {"created": [time_entry(world, minutes="ninety")]}}
    assert problems(push, bad_minutes)
    headers = world.headers("carl@x.test")
    assert world.push(headers, bad_minutes).status_code == 422
    new_ticket = {"tickets": {"created": [{"id": "9", "status": "new"}]}}
    assert problems(push, new_ticket)
    assert world.push(headers, new_ticket).status_code == 400


@pytest.mark.parametrize("name", ["SyncPullBody", "SyncPushBody"])
def test_the_documented_examples_are_valid_bodies(client, name):
    spec = client.get("/api/openapi.json").get_json()
    schema = spec["components"]["schemas"][name]
    assert problems(validator(client, name), schema["example"]) == []
    for table, section in schema["properties"].get("changes", schema)["properties"].items():
        if table in ("changes", "timestamp"):
            continue
        record = spec["components"]["schemas"][
            section["properties"]["updated"]["items"]["$ref"].split("/")[-1]
        ]
        assert record["properties"], table

"""WatermelonDB's own synchronize() in Node against a live server: the real client."""

import base64
import hashlib

import requests

from server.services import assignments, tickets
from tests.e2e.watermelon_client import WatermelonDevice
from tests.factories import PASSWORD
from tests.unit.delivery_notes.note_factories import make_png


def token(base: str, email: str, device_id: str | None) -> str:
    body = {"email": email, "password": PASSWORD}
    if device_id:
        body["device_id"] = device_id
    response = requests.post(f"{base}/api/auth/token", json=body, timeout=10)
    response.raise_for_status()
    return response.json()["access_token"]


def records(device: WatermelonDevice, table: str) -> dict:
    return {r["id"]: r for r in device.dump()["tables"][table]}


def test_offline_work_syncs_to_a_second_device_and_unassignment_removes_it(
    world, live_server, node_client
):
    world.as_staff(
        tickets.triage, world.ticket_id, type="repair", priority="normal", billing="chargeable"
    )
    world.as_staff(assignments.assign, world.ticket_id, world.other_contractor_id)
    ticket_id = str(world.ticket_id)
    carl = token(live_server, "carl@x.test", "carl-phone")
    olga = token(live_server, "olga@x.test", "olga-phone")
    with (
        WatermelonDevice(live_server, carl, node_client, name="carl") as first,
        WatermelonDevice(live_server, olga, node_client, name="olga") as second,
    ):
        first.sync()
        assert ticket_id in records(first, "tickets")
        assert records(first, "tickets")[ticket_id]["tenant_name"] == "Zoë Łukasiewicz"

        # Offline on site: a message, hours, a material, a signature and a signed note.
        png = make_png(120, 60)
        digest = base64.b64encode(hashlib.sha256(png).digest()).decode()
        message = first.create(
            "ticket_messages", ticket_id=ticket_id, body="Washer replaced", visibility="public"
        )
        hours = first.create(
            "time_entries",
            ticket_id=ticket_id,
            minutes=75,
            chargeable=True,
            started_at=1795400000000,
            ended_at=1795404500000,
            note="Tap",
        )
        part = first.create(
            "materials",
            ticket_id=ticket_id,
            description="Tap washer",
            quantity="2",
            unit="each",
            unit_price="1.50",
            chargeable=True,
        )
        signature = first.create(
            "attachments",
            ticket_id=ticket_id,
            filename="signature.png",
            content_type="image/png",
            sha256=hashlib.sha256(png).hexdigest(),
            size=len(png),
            uploaded=False,
        )
        note = first.create(
            "delivery_notes",
            ticket_id=ticket_id,
            signed_by="Zoë Łukasiewicz",
            signed_at=1795404600000,
            signature_attachment_id=signature,
            work_summary="Replaced the tap washer",
        )
        lost = first.sync(drop_push_response=True, check=False)  # the response is lost
        assert lost["ok"] is False and first.dump()["pending"] > 0
        retried = first.sync()
        assert not [w for w in retried["warnings"] if "exist" in str(w)], retried["warnings"]
        upload = requests.put(
            f"{live_server}/api/sync/attachments/{signature}",
            data=png,
            headers={
                "Authorization": f"Bearer {carl}",
                "Content-Type": "image/png",
                "Content-Digest": f"sha-256=:{digest}:",
            },
            timeout=10,
        )
        assert upload.status_code == 201, upload.text
        echoed = first.sync()
        assert not [w for w in echoed["warnings"] if "exist" in str(w)], echoed["warnings"]
        state = first.dump()
        assert state["pending"] == 0
        assert records(first, "ticket_messages")[message]["author_name"] == "Carl Contractor"
        assert records(first, "attachments")[signature]["uploaded"] is True
        assert records(first, "delivery_notes")[note]["number"].startswith("DN-")

        second.sync()
        assert message in records(second, "ticket_messages")
        assert records(second, "time_entries")[hours]["minutes"] == 75
        assert records(second, "materials")[part]["quantity"] == "2"
        assert note in records(second, "delivery_notes")

        staff = token(live_server, "staff@x.test", None)
        timeline = requests.get(
            f"{live_server}/api/tickets/{ticket_id}",
            headers={"Authorization": f"Bearer {staff}"},
            timeout=10,
        ).json()
        assert sum(e["kind"] == "time_logged" for e in timeline["events"]) == 1
        ended = requests.post(
            f"{live_server}/api/tickets/{ticket_id}/assignments/{world.contractor_id}/end",
            headers={"Authorization": f"Bearer {staff}"},
            timeout=10,
        )
        assert ended.status_code == 200, ended.text
        first.sync()
        after = first.dump()["tables"]
        assert after["tickets"] == []
        assert after["ticket_messages"] == [] and after["time_entries"] == []

"""Attachment bytes from devices: Content-Digest, before or after the record, signatures."""

import base64
import hashlib

from tests.unit.delivery_notes.note_factories import make_png

MS = 1795400000000


def digest(data: bytes) -> str:
    return "sha-256=:" + base64.b64encode(hashlib.sha256(data).digest()).decode() + ":"


def attachment(world, data: bytes, id="att-1", content_type="image/png"):
    return {
        "id": id,
        "ticket_id": str(world.ticket_id),
        "filename": "photo.png",
        "content_type": content_type,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "created_at": MS,
        "message_id": None,
    }


def put(world, headers, id, data, header=None, content_type="image/png"):
    return world.client.put(
        f"/api/sync/attachments/{id}",
        data=data,
        headers={**headers, "Content-Digest": header or digest(data)},
        content_type=content_type,
    )


def test_bytes_after_the_record_mark_it_uploaded_and_come_back_on_the_next_pull(world):
    headers = world.headers("carl@x.test")
    png = make_png(30, 20)
    assert (
        world.push(headers, {"attachments": {"created": [attachment(world, png)]}}).status_code
        == 200
    )
    last = world.pull(headers).get_json()["timestamp"]
    assert put(world, headers, "att-1", png).status_code == 201
    [record] = world.pull(headers, last).get_json()["changes"]["attachments"]["updated"]
    assert record["uploaded"] is True
    got = world.client.get("/api/sync/attachments/att-1", headers=headers)
    assert got.status_code == 200 and got.data == png
    got.close()


def test_bytes_before_the_record_wait_under_their_hash(world):
    headers = world.headers("carl@x.test")
    png = make_png(31, 20)
    assert put(world, headers, "att-early", png).status_code == 201
    world.push(headers, {"attachments": {"created": [attachment(world, png, id="att-early")]}})
    [record] = world.pull(headers).get_json()["changes"]["attachments"]["updated"]
    assert record["uploaded"] is True


def test_digest_that_does_not_match_the_bytes_is_refused_and_nothing_is_stored(world):
    headers = world.headers("carl@x.test")
    png = make_png(32, 20)
    response = put(world, headers, "att-2", png, header=digest(b"other bytes"))
    assert response.status_code == 400
    assert response.get_json()["code"] == "content_digest_mismatch"
    world.push(headers, {"attachments": {"created": [attachment(world, png, id="att-2")]}})
    [record] = world.pull(headers).get_json()["changes"]["attachments"]["updated"]
    assert record["uploaded"] is False


def test_missing_or_malformed_digest_is_400(world):
    headers = world.headers("carl@x.test")
    png = make_png(33, 20)
    for header in ("", "md5=:abc:", "sha-256=:not base64!:"):
        response = world.client.put(
            "/api/sync/attachments/att-3",
            data=png,
            headers={**headers, "Content-Digest": header},
            content_type="image/png",
        )
        assert response.status_code == 400, header


def test_a_signature_that_is_not_a_png_is_415(world):
    headers = world.headers("carl@x.test")
    fake = b"%PDF-1.4 not a signature"
    note = {
        "id": "note-1",
        "ticket_id": str(world.ticket_id),
        "signed_by": "Zoë",
        "signed_at": MS,
        "signature_attachment_id": "sig-1",
        "work_summary": "done",
        "created_at": MS,
    }
    world.push(
        headers,
        {
            "attachments": {"created": [attachment(world, fake, id="sig-1")]},
            "delivery_notes": {"created": [note]},
        },
    )
    response = put(world, headers, "sig-1", fake)
    assert response.status_code == 415
    assert response.get_json()["code"] == "signature_not_png"


def test_outsiders_cannot_read_attachment_bytes(world):
    headers = world.headers("carl@x.test")
    png = make_png(34, 20)
    world.push(headers, {"attachments": {"created": [attachment(world, png, id="att-4")]}})
    put(world, headers, "att-4", png)
    olga = world.headers("olga@x.test", "olga")
    assert world.client.get("/api/sync/attachments/att-4", headers=olga).status_code == 404

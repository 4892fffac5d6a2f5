"""Attachments through the real API: upload, list, download, scope, limits, storage."""

import errno
import hashlib
import io
import os

import pytest
from sqlalchemy import func, select
from werkzeug.http import parse_options_header

from server.errors import DomainError, UnsupportedMedia
from server.extensions import db
from server.models import Attachment
from server.scope import get_visible_ticket
from server.services.attachments import (
    store_bytes_for,
)
from server.storage import MemoryBlobStore, blob_store
from sync.attachments import record_pushed
from tests.factories import as_caller

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200)
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(200)
TEXT = "Meter reading: 4521 kWh — boiler pressure 1.2 bar\n".encode()


def upload(
    client, headers, ticket_id, data, filename="photo.png", content_type="image/png", **form
):
    return client.post(
        f"/api/tickets/{ticket_id}/attachments",
        data={"file": (io.BytesIO(data), filename, content_type), **form},
        content_type="multipart/form-data",
        headers=headers,
    )


def fetch(client, url, headers):
    """GET, buffered and closed as a WSGI server would (releases the blob's file)."""
    return client.get(url, headers=headers, buffered=True)


def stored_files(app) -> list[str]:
    root = app.config["ATTACHMENT_DIR"]
    found = []
    for folder, _dirs, files in os.walk(root):
        found += [os.path.relpath(os.path.join(folder, name), root) for name in files]
    return sorted(found)


def attachment_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Attachment))


def assert_problem(response, status: int, code: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == code


def test_tenant_uploads_a_photo_and_reads_back_the_same_bytes(app, client, make, world):
    headers = make.headers(world.tenant)
    created = upload(client, headers, world.ticket.id, PNG, "boiler.png")
    assert created.status_code == 201, created.json
    meta = created.json
    sha = hashlib.sha256(PNG).hexdigest()
    assert meta["filename"] == "boiler.png"
    assert (meta["content_type"], meta["sha256"], meta["size"]) == ("image/png", sha, len(PNG))
    assert meta["uploaded"] is True
    assert meta["uploader_id"] == world.tenant.id
    assert meta["url"] == f"/api/tickets/{world.ticket.id}/attachments/{meta['id']}"
    assert stored_files(app) == [f"{sha[:2]}/{sha[2:4]}/{sha}"]

    listed = client.get(f"/api/tickets/{world.ticket.id}/attachments", headers=headers)
    assert [a["id"] for a in listed.json] == [meta["id"]]

    download = fetch(client, meta["url"], headers=headers)
    assert download.status_code == 200
    assert download.data == PNG
    assert download.mimetype == "image/png"
    # An ASCII name needs no RFC 5987 `filename*` (werkzeug writes the header).
    assert download.headers["Content-Disposition"] == "attachment; filename=boiler.png"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["ETag"] == f'"{sha}"'
    assert download.headers["Cache-Control"].startswith("private")

    unchanged = fetch(client, meta["url"], headers={**headers, "If-None-Match": f'"{sha}"'})
    assert unchanged.status_code == 304


def test_staff_and_the_assigned_contractor_read_a_tenant_upload(client, make, world):
    meta = upload(
        client, make.headers(world.tenant), world.ticket.id, PDF, "quote.pdf", "application/pdf"
    ).json
    for person in (world.staff, world.contractor):
        response = fetch(client, meta["url"], headers=make.headers(person))
        assert response.status_code == 200
        assert (response.data, response.mimetype) == (PDF, "application/pdf")


@pytest.mark.parametrize("outsider", ["tenant_of_another_block", "unassigned_contractor"])
def test_people_outside_the_ticket_get_404_for_list_bytes_and_upload(
    app, client, make, world, outsider
):
    meta = upload(client, make.headers(world.tenant), world.ticket.id, PNG).json
    if outsider == "tenant_of_another_block":
        person = make.tenant_in(make.unit(make.block()))
    else:
        person = make.user("contractor")
    headers = make.headers(person)
    listing = f"/api/tickets/{world.ticket.id}/attachments"
    assert_problem(client.get(listing, headers=headers), 404, "ticket_not_found")
    assert_problem(fetch(client, meta["url"], headers=headers), 404, "ticket_not_found")
    assert_problem(
        upload(client, headers, world.ticket.id, JPEG, "x.jpg", "image/jpeg"),
        404,
        "ticket_not_found",
    )
    assert attachment_rows(app) == 1


def test_an_attachment_is_not_served_through_another_ticket(client, make, world):
    meta = upload(client, make.headers(world.tenant), world.ticket.id, PNG).json
    second = make.ticket(world.staff, world.block)
    wrong_url = f"/api/tickets/{second.id}/attachments/{meta['id']}"
    response = fetch(client, wrong_url, headers=make.headers(world.staff))
    assert_problem(response, 404, "attachment_not_found")


@pytest.mark.parametrize(
    ("visibility", "reader", "sees"),
    [
        ("staff", "tenant", False),
        ("staff", "contractor", False),
        ("staff", "staff", True),
        ("team", "tenant", False),
        ("team", "contractor", True),
    ],
)
def test_an_attachment_is_as_private_as_its_message(client, make, world, visibility, reader, sees):
    message = make.message(world.ticket, world.staff, "Internal note", visibility)
    created = upload(
        client,
        make.headers(world.staff),
        world.ticket.id,
        PDF,
        "survey.pdf",
        "application/pdf",
        message_id=message.id,
    )
    assert created.status_code == 201, created.json
    assert created.json["message_id"] == message.id
    headers = make.headers(getattr(world, reader))
    listed = client.get(f"/api/tickets/{world.ticket.id}/attachments", headers=headers).json
    download = fetch(client, created.json["url"], headers=headers)
    detail = client.get(f"/api/tickets/{world.ticket.id}", headers=headers).json
    added = [e for e in detail["events"] if e["kind"] == "attachment_added"]
    if sees:
        assert [a["id"] for a in listed] == [created.json["id"]]
        assert download.data == PDF
        assert [e["data"]["attachment_id"] for e in added] == [created.json["id"]]
    else:
        assert listed == []
        assert_problem(download, 404, "attachment_not_found")
        assert added == []


def test_a_tenant_cannot_attach_to_a_message_they_cannot_read(app, client, make, world):
    message = make.message(world.ticket, world.staff, "Internal", "staff")
    response = upload(
        client, make.headers(world.tenant), world.ticket.id, PNG, message_id=message.id
    )
    assert_problem(response, 422, "validation_failed")
    assert "message_id" in response.json["errors"]
    assert (attachment_rows(app), stored_files(app)) == (0, [])


def test_files_are_attached_to_your_own_messages_only(client, make, world):
    message = make.message(world.ticket, world.staff, "Public answer", "public")
    response = upload(
        client, make.headers(world.tenant), world.ticket.id, PNG, message_id=message.id
    )
    assert_problem(response, 403, "not_message_author")


def test_an_oversize_upload_answers_413_and_stores_nothing(app, client, make, world):
    app.config["ATTACHMENT_MAX_BYTES"] = 1000
    response = upload(client, make.headers(world.tenant), world.ticket.id, PNG)
    assert_problem(response, 413, "payload_too_large")
    assert (attachment_rows(app), stored_files(app)) == (0, [])


def test_an_oversize_upload_without_content_length_answers_413(app, client, make, world):
    app.config["ATTACHMENT_MAX_BYTES"] = 1000
    boundary = "fieldline-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
            f"Content-Type: image/png\r\n\r\n"
        ).encode()
        + PNG
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.post(
        f"/api/tickets/{world.ticket.id}/attachments",
        input_stream=io.BytesIO(body),
        headers={
            **make.headers(world.tenant),
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Transfer-Encoding": "chunked",
        },
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert_problem(response, 413, "payload_too_large")
    assert (attachment_rows(app), stored_files(app)) == (0, [])


def test_a_request_over_the_whole_request_limit_answers_413(app, client, make, world):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = upload(client, make.headers(world.tenant), world.ticket.id, PNG)
    assert_problem(response, 413, "payload_too_large")
    assert attachment_rows(app) == 0


@pytest.mark.parametrize(
    ("data", "declared", "code"),
    [
        (PDF, "image/png", "attachment_type_mismatch"),
        (PNG, "application/pdf", "attachment_type_mismatch"),
        (TEXT, "image/jpeg", "attachment_type_mismatch"),
        (b"PK\x03\x04" + bytes(100), "application/zip", "attachment_type_refused"),
        (b"MZ\x90\x00" + bytes(100) + b"\xff\xfe", "image/png", "attachment_type_refused"),
        (b"looks like text\x00but has a NUL", "text/plain", "attachment_type_refused"),
        (b"caf\xe9 latin-1 is not UTF-8", "text/plain", "attachment_type_refused"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml", "attachment_type_mismatch"),
    ],
)
def test_a_file_whose_bytes_are_not_an_allowed_type_or_not_what_was_declared_answers_415(
    app, client, make, world, data, declared, code
):
    response = upload(client, make.headers(world.tenant), world.ticket.id, data, "f", declared)
    assert_problem(response, 415, code)
    assert (attachment_rows(app), stored_files(app)) == (0, [])


def test_types_outside_attachment_types_are_refused_even_when_recognised(app, client, make, world):
    app.config["ATTACHMENT_TYPES"] = ("image/png",)
    response = upload(
        client, make.headers(world.tenant), world.ticket.id, PDF, "a.pdf", "application/pdf"
    )
    assert_problem(response, 415, "attachment_type_refused")


@pytest.mark.parametrize(
    ("data", "declared", "expected"),
    [
        (JPEG, "image/jpg", "image/jpeg"),
        (WEBP, "image/webp", "image/webp"),
        (TEXT, "text/plain; charset=utf-8", "text/plain"),
        (PDF, "application/octet-stream", "application/pdf"),
    ],
)
def test_the_recorded_type_is_the_sniffed_one(client, make, world, data, declared, expected):
    response = upload(client, make.headers(world.tenant), world.ticket.id, data, "f", declared)
    assert response.status_code == 201, response.json
    assert response.json["content_type"] == expected
    download = fetch(client, response.json["url"], headers=make.headers(world.tenant))
    assert download.data == data
    assert download.mimetype == expected


def test_a_body_that_is_not_multipart_answers_415(client, make, world):
    response = client.post(
        f"/api/tickets/{world.ticket.id}/attachments",
        data=PNG,
        headers={**make.headers(world.tenant), "Content-Type": "image/png"},
    )
    assert_problem(response, 415, "unsupported_media_type")


def test_an_upload_without_a_file_part_answers_422(client, make, world):
    response = client.post(
        f"/api/tickets/{world.ticket.id}/attachments",
        data={"message_id": "m-1"},
        content_type="multipart/form-data",
        headers=make.headers(world.tenant),
    )
    assert_problem(response, 422, "validation_failed")
    assert "file" in response.json["errors"]


def test_the_same_bytes_uploaded_twice_make_one_file_and_two_records(app, client, make, world):
    headers = make.headers(world.tenant)
    first = upload(client, headers, world.ticket.id, PNG, "one.png").json
    second = upload(client, headers, world.ticket.id, PNG, "two.png").json
    assert first["id"] != second["id"]
    assert first["sha256"] == second["sha256"]
    assert attachment_rows(app) == 2
    sha = first["sha256"]
    assert stored_files(app) == [f"{sha[:2]}/{sha[2:4]}/{sha}"]
    for meta in (first, second):
        assert fetch(client, meta["url"], headers=headers).data == PNG


def test_an_attachment_directory_under_a_file_answers_507_and_records_nothing(
    app, client, make, world, tmp_path
):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a regular file")
    app.config["ATTACHMENT_DIR"] = str(blocker / "attachments")
    response = upload(client, make.headers(world.tenant), world.ticket.id, PNG)
    assert_problem(response, 507, "insufficient_storage")
    assert attachment_rows(app) == 0
    detail = client.get(f"/api/tickets/{world.ticket.id}", headers=make.headers(world.staff))
    assert "attachment_added" not in [e["kind"] for e in detail.json["events"]]


def test_a_full_disk_answers_507_and_leaves_neither_row_nor_file(
    app, client, make, world, monkeypatch
):
    headers = make.headers(world.tenant)

    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    response = upload(client, headers, world.ticket.id, PNG)
    monkeypatch.undo()
    assert_problem(response, 507, "insufficient_storage")
    assert (attachment_rows(app), stored_files(app)) == (0, [])


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("../../etc/passwd", "passwd"),
        ("/absolute/path/report.pdf", "report.pdf"),
        ("..", "attachment.txt"),
        ("bell\x07and\x1bescape.txt", "bellandescape.txt"),
        ("evil\u202etxt.exe", "eviltxt.exe"),
        ("x" * 300 + ".txt", "x" * 251 + ".txt"),
    ],
)
def test_filenames_are_stored_sanitised(client, make, world, sent, stored):
    response = upload(client, make.headers(world.tenant), world.ticket.id, TEXT, sent, "text/plain")
    assert response.status_code == 201, response.json
    assert response.json["filename"] == stored
    download = fetch(client, response.json["url"], headers=make.headers(world.tenant))
    disposition = download.headers["Content-Disposition"]
    assert parse_options_header(disposition) == ("attachment", {"filename": stored})
    assert "\r" not in disposition and "\n" not in disposition


def test_non_ascii_filenames_travel_as_rfc_5987(client, make, world):
    response = upload(
        client, make.headers(world.tenant), world.ticket.id, PNG, "salle de bain é (1).png"
    )
    download = fetch(client, response.json["url"], headers=make.headers(world.tenant))
    assert download.headers["Content-Disposition"] == (
        'attachment; filename="salle de bain e (1).png"; '
        "filename*=UTF-8''salle%20de%20bain%20%C3%A9%20%281%29.png"
    )


def test_an_upload_adds_a_timeline_event_and_the_chain_still_verifies(client, make, world):
    headers = make.headers(world.tenant)
    meta = upload(client, headers, world.ticket.id, PNG, "leak.png").json
    detail = client.get(f"/api/tickets/{world.ticket.id}", headers=headers).json
    event = detail["events"][-1]
    assert event["kind"] == "attachment_added"
    assert event["visibility"] == "public"
    assert event["author_id"] == world.tenant.id
    assert event["data"] == {
        "attachment_id": meta["id"],
        "message_id": None,
        "filename": "leak.png",
        "content_type": "image/png",
        "sha256": meta["sha256"],
        "size": len(PNG),
    }
    verify = client.get(f"/api/tickets/{world.ticket.id}/verify", headers=headers)
    assert verify.json["intact"] is True


def test_staff_cannot_attach_to_an_untriaged_ticket(app, client, make, world):
    ticket = make.ticket(world.tenant, world.block)
    response = upload(client, make.headers(world.staff), ticket.id, PNG)
    assert_problem(response, 409, "ticket_not_triaged")
    assert (attachment_rows(app), stored_files(app)) == (0, [])


def test_upload_and_download_are_documented_in_openapi(client):
    spec = client.get("/api/openapi.json").json
    post = spec["paths"]["/api/tickets/{ticket_id}/attachments"]["post"]
    assert "multipart/form-data" in post["requestBody"]["content"]
    assert {"413", "415", "507"} <= set(post["responses"])


# The store is chosen per app -----------------------------------------------


def test_the_app_store_can_be_swapped_for_the_in_memory_fake(app, client, make, world):
    fake = MemoryBlobStore()
    app.extensions["blob_store"] = fake
    meta = upload(client, make.headers(world.tenant), world.ticket.id, PNG).json
    assert fake.blobs == {meta["sha256"]: PNG}
    assert stored_files(app) == []
    with app.app_context():
        assert blob_store() is fake


# Bytes from devices (the sync PUT calls store_bytes_for) ---------------------


def record_without_bytes(app, world, data: bytes, attachment_id: str) -> None:
    """What a sync push does: record the metadata a device sent, bytes to follow."""
    with app.app_context():
        caller = as_caller(world.contractor)
        ticket = get_visible_ticket(caller, world.ticket.id, for_update=True)
        fields = {
            "id": attachment_id,
            "filename": "site.png",
            "content_type": "image/png",
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
        }
        record_pushed(caller, ticket, fields, None)
        db.session.commit()


def send_bytes(app, world, attachment_id: str, data: bytes, digest: str | None = None):
    with app.app_context():
        received = store_bytes_for(
            as_caller(world.contractor),
            attachment_id,
            io.BytesIO(data),
            digest or hashlib.sha256(data).hexdigest(),
        )
        db.session.commit()
        return received


def test_a_record_whose_bytes_are_due_answers_404_until_they_arrive(app, client, make, world):
    record_without_bytes(app, world, PNG, "dev-att-1")
    headers = make.headers(world.contractor)
    listed = client.get(f"/api/tickets/{world.ticket.id}/attachments", headers=headers).json
    assert [(a["id"], a["uploaded"]) for a in listed] == [("dev-att-1", False)]
    url = listed[0]["url"]
    assert_problem(fetch(client, url, headers), 404, "attachment_not_uploaded")

    received = send_bytes(app, world, "dev-att-1", PNG)
    assert received.attachment is not None and received.content_type == "image/png"
    listed = client.get(f"/api/tickets/{world.ticket.id}/attachments", headers=headers).json
    assert listed[0]["uploaded"] is True
    assert fetch(client, url, headers).data == PNG


def test_bytes_sent_before_their_record_mark_it_uploaded_when_it_arrives(app, client, make, world):
    received = send_bytes(app, world, "dev-att-2", PNG)
    assert received.attachment is None
    record_without_bytes(app, world, PNG, "dev-att-2")
    listed = client.get(
        f"/api/tickets/{world.ticket.id}/attachments", headers=make.headers(world.staff)
    ).json
    assert [(a["id"], a["uploaded"]) for a in listed] == [("dev-att-2", True)]


def test_device_bytes_that_do_not_match_their_digest_or_record_are_not_stored(app, world):
    with pytest.raises(DomainError) as refused:
        send_bytes(app, world, "dev-att-3", PNG, digest=hashlib.sha256(b"other").hexdigest())
    assert refused.value.code == "content_digest_mismatch"
    record_without_bytes(app, world, PNG, "dev-att-4")
    with pytest.raises(DomainError) as refused:
        send_bytes(app, world, "dev-att-4", JPEG)
    assert refused.value.code == "content_digest_mismatch"
    with pytest.raises(UnsupportedMedia):
        send_bytes(app, world, "dev-att-5", b"MZ\x90\x00\xff\xfe")
    assert stored_files(app) == []

"""Attachment bytes: knowing a hash grants nothing, the stored type is the sniffed one,
events say no more than the file's message allows, and bytes without a record are
bounded (ids, a per-user quota) and swept."""

import base64
import hashlib
import io
import json
import os
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from server.db import utcnow
from server.extensions import db
from server.models import Attachment, PendingUpload, TicketEvent
from server.services.attachments import sweep_orphans
from tests.reliability.conftest import row_counts
from tests.reliability.test_hostile_input import assert_refused

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
SECRET_PDF = b"%PDF-1.4 their staff-only minutes\n"


def digest(data: bytes) -> str:
    return "sha-256=:" + base64.b64encode(hashlib.sha256(data).digest()).decode() + ":"


def record(ticket_id: int, id: str, data: bytes, **extra) -> dict:
    return {
        "id": id,
        "ticket_id": str(ticket_id),
        "filename": "photo.png",
        "content_type": "image/png",
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        **extra,
    }


def push(client, headers, *records, **tables):
    changes = {"attachments": {"created": list(records)}, **tables}
    return client.post("/api/sync/push", data=json.dumps(changes), headers=headers)


def put(client, headers, id: str, data: bytes):
    return client.put(
        f"/api/sync/attachments/{id}",
        data=data,
        headers={**headers, "Content-Digest": digest(data)},
        content_type="application/octet-stream",
    )


def pulled(client, headers) -> dict:
    pull = client.get("/api/sync/pull", headers=headers).get_json()
    return {r["id"]: r for r in pull["changes"]["attachments"]["updated"]}


@pytest.fixture
def their_secret(client, make, theirs) -> str:
    """A staff-only file of the other department (on a staff message)."""
    staff = make.headers(theirs.staff)
    message = client.post(
        f"/api/tickets/{theirs.ticket.id}/messages",
        json={"body": "Minutes", "visibility": "staff"},
        headers=staff,
    )
    assert message.status_code == 201, message.get_json()
    upload = client.post(
        f"/api/tickets/{theirs.ticket.id}/attachments",
        data={
            "file": (io.BytesIO(SECRET_PDF), "minutes.pdf", "application/pdf"),
            "message_id": message.get_json()["id"],
        },
        headers=staff,
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201, upload.get_json()
    return hashlib.sha256(SECRET_PDF).hexdigest()


# Possession ---------------------------------------------------------------------------


def test_a_record_naming_someone_elses_hash_never_serves_their_bytes(
    client, make, ours, their_secret
):
    device = make.headers(ours.contractor, device_id="probe")
    stolen = record(ours.ticket.id, "att-steal", SECRET_PDF, content_type="application/pdf")
    guessed = record(ours.ticket.id, "att-guess", b"bytes nobody has", content_type="text/plain")
    assert push(client, device, stolen, guessed).status_code == 200
    records = pulled(client, device)
    # The same answer for a hash that is stored and one that is not: no oracle.
    assert records["att-steal"]["uploaded"] is records["att-guess"]["uploaded"] is False
    urls = ("/api/sync/attachments/", f"/api/tickets/{ours.ticket.id}/attachments/")
    for url in (u + "att-steal" for u in urls):
        assert_refused(client.get(url, headers=device), 404, "attachment_not_uploaded")


def test_bytes_uploaded_later_by_someone_else_do_not_complete_a_record(
    app, client, make, ours, theirs
):
    device = make.headers(ours.contractor, device_id="probe")
    assert push(client, device, record(ours.ticket.id, "att-wait", PNG)).status_code == 200
    # The other department's tenant uploads those very bytes, through REST and sync.
    their_tenant = make.headers(theirs.tenant)
    upload = client.post(
        f"/api/tickets/{theirs.ticket.id}/attachments",
        data={"file": (io.BytesIO(PNG), "leak.png", "image/png")},
        headers=their_tenant,
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201
    assert put(client, their_tenant, "att-wait", PNG).status_code == 201  # absent to them
    assert pulled(client, device)["att-wait"]["uploaded"] is False
    # Bytes another user sent for that id before a record do not serve a later one.
    assert put(client, their_tenant, "att-early", PNG).status_code == 201
    assert push(client, device, record(ours.ticket.id, "att-early", PNG)).status_code == 200
    assert pulled(client, device)["att-early"]["uploaded"] is False
    # The uploader proves possession by sending the bytes for their own record.
    assert put(client, device, "att-wait", PNG).status_code == 201
    got = client.get("/api/sync/attachments/att-wait", headers=device)
    assert got.status_code == 200 and got.data == PNG
    got.close()


def test_only_the_uploader_sends_the_bytes_of_a_record(client, make, ours):
    device = make.headers(ours.contractor, device_id="probe")
    assert push(client, device, record(ours.ticket.id, "att-mine", PNG)).status_code == 200
    staff = make.headers(ours.staff)
    assert_refused(put(client, staff, "att-mine", PNG), 403, "not_attachment_uploader")


# Types ----------------------------------------------------------------------------------

HTML = b"<!doctype html><script>alert(document.cookie)</script>"


@pytest.mark.parametrize("declared", ["text/html", "image/svg+xml", "application/xhtml+xml"])
def test_a_pushed_record_declaring_a_dangerous_type_is_refused(app, client, make, ours, declared):
    device = make.headers(ours.contractor, device_id="probe")
    before = row_counts(app)
    response = push(client, device, record(ours.ticket.id, "att-html", HTML, content_type=declared))
    assert_refused(response, 415, "attachment_type_refused")
    assert row_counts(app) == before


def test_html_sent_as_text_is_served_as_text_for_download_only(client, make, ours):
    device = make.headers(ours.contractor, device_id="probe")
    assert put(client, device, "att-text", HTML).status_code == 201
    pushed = record(ours.ticket.id, "att-text", HTML, content_type="application/octet-stream")
    assert push(client, device, pushed).status_code == 200
    assert pulled(client, device)["att-text"]["content_type"] == "text/plain"  # sniffed
    got = client.get("/api/sync/attachments/att-text", headers=device)
    assert got.status_code == 200
    assert got.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    got.close()


def test_bytes_after_an_undeclared_record_give_it_the_sniffed_type(client, make, ours):
    device = make.headers(ours.contractor, device_id="probe")
    pushed = record(ours.ticket.id, "att-later", PNG, content_type="application/octet-stream")
    assert push(client, device, pushed).status_code == 200
    assert put(client, device, "att-later", PNG).status_code == 201
    assert pulled(client, device)["att-later"]["content_type"] == "image/png"


def test_a_stored_type_outside_the_allowed_list_is_served_as_opaque_bytes(app, client, make, ours):
    device = make.headers(ours.contractor, device_id="probe")
    assert put(client, device, "att-old", PNG).status_code == 201
    assert push(client, device, record(ours.ticket.id, "att-old", PNG)).status_code == 200
    with app.app_context():  # a row written before types were sniffed
        db.session.execute(
            update(Attachment).where(Attachment.id == "att-old").values(content_type="text/html")
        )
        db.session.commit()
    got = client.get("/api/sync/attachments/att-old", headers=device)
    assert got.headers["Content-Type"] == "application/octet-stream"
    got.close()


# Events -----------------------------------------------------------------------------------


def test_a_file_arriving_before_its_team_message_is_never_in_a_public_event(
    app, client, make, ours
):
    device = make.headers(ours.contractor, device_id="probe")
    early = record(ours.ticket.id, "att-team", PNG, filename="secret-plan.png", message_id="m-team")
    assert push(client, device, early).status_code == 200
    team = {
        "id": "m-team",
        "ticket_id": str(ours.ticket.id),
        "body": "For the team",
        "visibility": "team",
    }
    assert push(client, device, ticket_messages={"created": [team]}).status_code == 200
    tenant_view = client.get(f"/api/tickets/{ours.ticket.id}", headers=make.headers(ours.tenant))
    assert "secret-plan" not in tenant_view.get_data(as_text=True)
    assert hashlib.sha256(PNG).hexdigest() not in tenant_view.get_data(as_text=True)
    with app.app_context():
        [event] = db.session.scalars(
            select(TicketEvent).where(TicketEvent.kind == "attachment_added")
        ).all()
        assert event.visibility == "staff"


# Bytes without a record -----------------------------------------------------------------


@pytest.mark.parametrize("bad_id", ["a.b", "x" * 65, "name with space", "ü"])
def test_bytes_for_an_id_no_record_could_have_are_422(app, client, make, ours, bad_id):
    before = row_counts(app)
    response = put(client, make.headers(ours.tenant), bad_id, PNG)
    assert_refused(response, 422, "validation_failed")
    assert row_counts(app) == before


def test_bytes_without_records_are_limited_per_user(app, client, make, ours):
    app.config["ATTACHMENT_PENDING_MAX_BYTES"] = 2 * len(PNG) + 1
    tenant = make.headers(ours.tenant)
    assert put(client, tenant, "p-1", PNG).status_code == 201
    assert put(client, tenant, "p-1", PNG).status_code == 201  # the same id again: no more
    assert put(client, tenant, "p-2", PNG + b"2").status_code == 201
    before = row_counts(app)
    files = sorted(os.walk(app.config["ATTACHMENT_DIR"]))
    refused = put(client, tenant, "p-3", PNG + b"3")
    assert_refused(refused, 507, "upload_quota_exceeded")
    assert row_counts(app) == before
    assert sorted(os.walk(app.config["ATTACHMENT_DIR"])) == files
    other = make.headers(ours.staff)
    assert put(client, other, "p-3", PNG + b"3").status_code == 201  # their own budget


def test_the_sweep_removes_bytes_nothing_refers_to_after_the_grace_period(app, client, make, ours):
    device = make.headers(ours.contractor, device_id="probe")
    kept, orphan = PNG + b"kept", PNG + b"orphan"
    assert put(client, device, "att-kept", kept).status_code == 201
    assert push(client, device, record(ours.ticket.id, "att-kept", kept)).status_code == 200
    assert put(client, device, "att-orphan", orphan).status_code == 201
    grace = timedelta(hours=app.config["ATTACHMENT_ORPHAN_GRACE_HOURS"])
    root = app.config["ATTACHMENT_DIR"]

    def stored(data):
        sha = hashlib.sha256(data).hexdigest()
        return os.path.exists(os.path.join(root, sha[:2], sha[2:4], sha))

    with app.app_context():
        soon = sweep_orphans(utcnow() + timedelta(hours=1))
        db.session.commit()
        assert soon == {"pending uploads expired": 0, "orphan blobs removed": 0}
        later = sweep_orphans(utcnow() + grace + timedelta(hours=1))
        db.session.commit()
        assert later == {"pending uploads expired": 1, "orphan blobs removed": 1}
        assert db.session.scalars(select(PendingUpload)).all() == []
    assert stored(kept) and not stored(orphan)
    got = client.get("/api/sync/attachments/att-kept", headers=device)
    assert got.status_code == 200 and got.data == kept
    got.close()


def test_the_worker_sweeps_at_most_once_an_hour(app, client, make, ours):
    from server.worker import run_once

    assert put(client, make.headers(ours.tenant), "att-left", PNG).status_code == 201
    now = utcnow()
    first = run_once(app, now=now)
    second = run_once(app, now=now + timedelta(minutes=30))
    third = run_once(
        app, now=now + timedelta(hours=app.config["ATTACHMENT_ORPHAN_GRACE_HOURS"] + 1)
    )
    assert first.jobs["attachments"]["orphan blobs removed"] == 0
    assert second.jobs["attachments"] == {}
    assert third.jobs["attachments"]["orphan blobs removed"] == 1


def test_bytes_for_a_record_still_waiting_for_its_message_complete_it(client, make, ours):
    device = make.headers(ours.contractor, device_id="probe")
    early = record(ours.ticket.id, "att-hidden", PNG, message_id="m-later")
    assert push(client, device, early).status_code == 200
    sent = put(client, device, "att-hidden", PNG)
    assert sent.status_code == 201 and sent.get_json()["record"] is True
    later = {"id": "m-later", "ticket_id": str(ours.ticket.id), "body": "Photo"}
    assert push(client, device, ticket_messages={"created": [later]}).status_code == 200
    got = client.get("/api/sync/attachments/att-hidden", headers=device)
    assert got.status_code == 200 and got.data == PNG
    got.close()

"""A full or read-only attachment store: uploads answer 507 problem+json and nothing is
recorded, neither by the REST upload nor by a device's `PUT /api/sync/attachments`.

Where the test may mount file systems (root with CAP_SYS_ADMIN) the faults are real: a
64 KiB tmpfs filled to the last byte, and a tmpfs mounted read-only. Elsewhere the same
errors are injected where the store meets the operating system: a directory without
write permission (EROFS when running as root), and a failing fsync (ENOSPC)."""

import base64
import errno
import hashlib
import io
import os
import subprocess

import pytest

from tests.reliability.conftest import row_counts
from tests.unit.delivery_notes.note_factories import make_png


def _mount(target, *options) -> bool:
    target.mkdir()
    command = ["mount", "-t", "tmpfs", "-o", ",".join(("size=64k", *options)), "tmpfs"]
    try:
        done = subprocess.run([*command, str(target)], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _fill(directory) -> None:
    fd = os.open(directory / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as error:
        assert error.errno == errno.ENOSPC
    finally:
        os.close(fd)


@pytest.fixture(params=["full", "read-only"])
def broken_store(request, app, tmp_path, monkeypatch):
    """Point ATTACHMENT_DIR at a store that cannot take a byte more."""
    target = tmp_path / "store"
    mounted = _mount(target, "ro" if request.param == "read-only" else "rw")
    try:
        if mounted and request.param == "full":
            _fill(target)
        elif not mounted:
            _refuse_writes(target, request.param, monkeypatch)
        app.config["ATTACHMENT_DIR"] = str(target / "attachments")
        yield target
    finally:
        monkeypatch.undo()
        if mounted:
            subprocess.run(["umount", "-l", str(target)], capture_output=True, timeout=10)
        else:
            target.chmod(0o700)


def _refuse_writes(target, kind: str, monkeypatch) -> None:
    target.mkdir(exist_ok=True)
    if kind == "full":

        def disk_full(fd):
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(os, "fsync", disk_full)
        return
    target.chmod(0o500)
    if os.geteuid() == 0:  # permissions do not stop root: refuse as a read-only fs would

        def read_only(*args, **kwargs):
            raise OSError(errno.EROFS, "Read-only file system")

        monkeypatch.setattr("server.storage.tempfile.mkstemp", read_only)


def files_under(root) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(d, f), root)
        for d, _, names in os.walk(root)
        for f in names
        if f != "filler"
    )


def assert_insufficient_storage(response) -> None:
    assert response.status_code == 507, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "insufficient_storage"


def test_a_rest_upload_to_a_broken_store_is_507_and_records_nothing(
    app, client, make, ours, broken_store
):
    headers = make.headers(ours.tenant)
    before = row_counts(app)
    response = client.post(
        f"/api/tickets/{ours.ticket.id}/attachments",
        data={"file": (io.BytesIO(make_png(40, 40)), "leak.png", "image/png")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert_insufficient_storage(response)
    assert row_counts(app) == before
    assert files_under(broken_store) == []
    detail = client.get(f"/api/tickets/{ours.ticket.id}", headers=headers).get_json()
    assert "attachment_added" not in [event["kind"] for event in detail["events"]]


def test_device_bytes_for_a_broken_store_are_507_and_the_record_stays_not_uploaded(
    app, world, broken_store
):
    headers = world.headers("carl@x.test")
    png = make_png(41, 41)
    record = {
        "id": "att-disk",
        "ticket_id": str(world.ticket_id),
        "filename": "photo.png",
        "content_type": "image/png",
        "sha256": hashlib.sha256(png).hexdigest(),
        "size": len(png),
        "created_at": 1795400000000,
    }
    assert world.push(headers, {"attachments": {"created": [record]}}).status_code == 200
    last = world.pull(headers).get_json()["timestamp"]
    before = row_counts(app)
    digest = base64.b64encode(hashlib.sha256(png).digest()).decode()
    response = world.client.put(
        "/api/sync/attachments/att-disk",
        data=png,
        headers={**headers, "Content-Digest": f"sha-256=:{digest}:"},
        content_type="image/png",
    )
    assert_insufficient_storage(response)
    assert row_counts(app) == before
    assert files_under(broken_store) == []
    pulled = world.pull(headers, last).get_json()["changes"]["attachments"]
    assert pulled["updated"] == []  # nothing changed: still waiting for its bytes
    download = world.client.get("/api/sync/attachments/att-disk", headers=headers)
    assert download.status_code == 404
    assert download.get_json()["code"] == "attachment_not_uploaded"

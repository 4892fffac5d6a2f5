"""A backup taken while the service writes restores into a fresh database with every
hash chain, attachment and count intact; `verify-all` finds what was tampered with."""

import io
import os
import threading
import uuid

import pytest
from sqlalchemy import func, select, text

from server import create_app
from server.extensions import db
from server.models import Message, Ticket
from server.services import attachments, messages
from server.storage import blob_store
from tests.conftest import POSTGRES_URL, _admin, app_config
from tests.factories import as_caller

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Ticket)),
            db.session.scalar(select(func.count()).select_from(Message)),
        )


@pytest.fixture
def fresh_app(tmp_path, database_template):
    """An app on a new, empty database (and its own attachment folder)."""
    if POSTGRES_URL:
        name = f"restore_{uuid.uuid4().hex[:10]}"
        _admin(POSTGRES_URL, f'CREATE DATABASE "{name}"')
        from sqlalchemy.engine import make_url

        url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    app = create_app(app_config(tmp_path / "restored-instance", url))
    yield app
    with app.app_context():
        db.engine.dispose()
    if POSTGRES_URL:
        _admin(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_backup_taken_under_load_restores_whole(app, world, fresh_app, tmp_path):
    staff = world.staff
    with app.app_context():
        attachments.add_attachment(
            as_caller(staff), world.ticket.id, io.BytesIO(PNG), "meter.png", "image/png"
        )
        db.session.commit()
    before = _counts(app)
    stop = threading.Event()

    def keep_writing():
        n = 0
        while not stop.is_set() and n < 200:
            with app.app_context():
                messages.post_message(as_caller(staff), world.ticket.id, f"note {n}", "team")
                db.session.commit()
            n += 1

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "backup")])
    finally:
        stop.set()
        writer.join(timeout=60)
    assert result.exit_code == 0, result.output
    after = _counts(app)

    restored = fresh_app.test_cli_runner().invoke(args=["restore", str(tmp_path / "backup")])
    assert restored.exit_code == 0, restored.output
    verified = fresh_app.test_cli_runner().invoke(args=["verify-all"])
    assert verified.exit_code == 0, verified.output
    assert "ticket timelines: 1 checked, all intact" in verified.output
    assert "attachment files: 1 checked, all intact" in verified.output
    tickets, notes = _counts(fresh_app)
    assert tickets == before[0] and before[1] <= notes <= after[1]


def test_verify_all_names_a_tampered_timeline_and_a_lost_file(app, world):
    with app.app_context():
        attachment = attachments.add_attachment(
            as_caller(world.staff), world.ticket.id, io.BytesIO(PNG), "meter.png", "image/png"
        )
        db.session.commit()
        sha = attachment.sha256
    runner = app.test_cli_runner()
    assert runner.invoke(args=["verify-all"]).exit_code == 0
    with app.app_context():
        if POSTGRES_URL:  # the history table refuses UPDATE: an attacker turns it off
            db.session.execute(text("SET session_replication_role = replica"))
        else:
            db.session.execute(text("PRAGMA ignore_check_constraints = 1"))
            triggers = (
                db.session.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
                .scalars()
                .all()
            )
            for name in triggers:
                db.session.execute(text(f'DROP TRIGGER "{name}"'))
        db.session.execute(
            text("UPDATE ticket_events SET data = '{}' WHERE ticket_id = :t AND position = 1"),
            {"t": world.ticket.id},
        )
        db.session.commit()
        os.remove(blob_store().path_of(sha))  # a disk that lost a file
    result = runner.invoke(args=["verify-all"])
    assert result.exit_code == 1
    assert f"{world.ticket.ref}: the chain breaks at event" in result.output
    assert "meter.png" in result.output and "the file is missing" in result.output


def test_restore_refuses_a_database_that_is_not_empty(app, world, tmp_path):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", str(tmp_path / "b")]).exit_code == 0
    result = runner.invoke(args=["restore", str(tmp_path / "b")])
    assert result.exit_code == 1
    assert "not empty" in result.output
    again = runner.invoke(args=["backup", str(tmp_path / "b")])
    assert again.exit_code == 1 and "not empty" in again.output

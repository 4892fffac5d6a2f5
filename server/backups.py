"""`fieldline backup DIR` and `fieldline restore DIR`: the database and the attachment
files, taken while the service runs, restored into an empty database.

- SQLite (the embedded default): SQLite's online backup API, a consistent copy while
  others read and write.
- PostgreSQL: `pg_dump --format=custom`, one consistent snapshot; `pg_restore` back.
- Attachments are copied after the database: a blob is stored before the row that
  names it commits, and only unreferenced old blobs are ever deleted, so every file
  the database copy names is in the copy of the files.

`fieldline verify-all` on the restored copy proves it whole (docs/OPERATIONS.md).
"""

import json
import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from server.extensions import db

SQLITE_FILE = "fieldline.sqlite3"
PG_FILE = "fieldline.pgdump"
FILES = "attachments"
MANIFEST = "manifest.json"


class BackupError(click.ClickException):
    """A backup or restore that cannot go ahead, said in one line."""


def _kind(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else "sqlite"


def _libpq(url: str) -> tuple[str, dict]:
    """A libpq URL without its password, and the environment that carries it (so the
    password never shows in the process list)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def backup(target: Path) -> dict:
    """Copy the database and the attachment files into `target` (new or empty)."""
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: back up into a new folder.")
    target.mkdir(parents=True, exist_ok=True)
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    kind = _kind(url)
    if kind == "sqlite":
        source = sqlite3.connect(make_url(url).database)
        copy = sqlite3.connect(target / SQLITE_FILE)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
    else:
        libpq, env = _libpq(url)
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={target / PG_FILE}", libpq], env)
    files = _copy_files(Path(current_app.config["ATTACHMENT_DIR"]), target / FILES)
    manifest = {
        "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": kind,
        "attachment_files": files,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def restore(source: Path) -> dict:
    """Restore a backup folder into the configured database, which must be empty."""
    manifest_path = source / MANIFEST
    if not manifest_path.exists():
        raise BackupError(f"{source} holds no Fieldline backup ({MANIFEST} is missing).")
    manifest = json.loads(manifest_path.read_text())
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if manifest["database"] != _kind(url):
        raise BackupError(
            f"This backup is of a {manifest['database']} database; "
            f"the configured one is {_kind(url)}."
        )
    if inspect(db.engine).get_table_names():
        raise BackupError("The configured database is not empty: restore into a new one.")
    db.engine.dispose()
    if manifest["database"] == "sqlite":
        shutil.copyfile(source / SQLITE_FILE, make_url(url).database)
    else:
        libpq, env = _libpq(url)
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--exit-on-error",
                f"--dbname={libpq}",
                str(source / PG_FILE),
            ],
            env,
        )
    _copy_files(source / FILES, Path(current_app.config["ATTACHMENT_DIR"]))
    return manifest


def _copy_files(source: Path, target: Path) -> int:
    if not source.exists():
        target.mkdir(parents=True, exist_ok=True)
        return 0
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".tmp"), dirs_exist_ok=True)
    return sum(len(files) for _, _, files in os.walk(target))


def _run(command: list[str], env: dict) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL's client tools).")
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-500:]}")


@click.command("backup", short_help="Back up the database and attachment files.")
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup_command(target):
    """Back up the database and the attachment files into TARGET, while serving."""
    manifest = backup(target)
    click.echo(
        f"backed up the {manifest['database']} database and "
        f"{manifest['attachment_files']} attachment file(s) into {target}"
    )


@click.command("restore", short_help="Restore a backup into an empty database.")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_appcontext
def restore_command(source):
    """Restore a backup folder into the configured (empty) database; then run
    `fieldline verify-all`."""
    manifest = restore(source)
    click.echo(f"restored the backup taken at {manifest['taken_at']}")

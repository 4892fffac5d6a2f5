"""Sync endpoints for devices: pull, push, attachment bytes."""

import json
import re
from functools import wraps
from http import HTTPStatus

import msgspec
from flask import current_app, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import update

from server import json_body
from server.api.access import accepts_any_content_type, requires
from server.api.attachments import attachment_response
from server.auth import current_caller
from server.db import utcnow
from server.errors import DomainError, Invalid
from server.extensions import db
from server.models import Device
from server.services import attachments as attachment_service
from sync import attachments, pull, push, records

blp = Blueprint(
    "sync",
    __name__,
    url_prefix="/api/sync",
    description=(
        "WatermelonDB-compatible sync for contractors' devices. `timestamp` is an opaque, "
        "never-decreasing change sequence (not wall-clock time); pass it back as "
        "`last_pulled_at`. Pulls are not paginated: a contractor's scope is their "
        "assigned tickets."
    ),
)


class SyncVersionError(DomainError):
    status, code, title = 400, "unsupported_schema_version", "Unsupported schema version"


class PullQuerySchema(Schema):
    last_pulled_at = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=20),
        metadata={"description": "timestamp of the last pull; absent, empty or `null` = first"},
    )
    schema_version = fields.Integer(
        load_default=records.SCHEMA_VERSION,
        metadata={"description": "the device schema version the app speaks (this server: 1)"},
    )
    migration = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=10000),
        metadata={"description": 'URL-encoded JSON {"from", "tables", "columns"} or `null`'},
    )


class PushQuerySchema(Schema):
    last_pulled_at = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "`timestamp` of the pull the pushed changes are based on"},
    )


class ConflictSchema(Schema):
    ticket_id = fields.String()
    table = fields.String(metadata={"description": "the device table of the record"})
    id = fields.String(metadata={"description": "the record's id (the ticket's for a status)"})
    kind = fields.String(
        metadata={
            "description": "`edited_again`, `delete_refused`, `status_refused`, "
            "`held_for_review` or `note_not_applied` (docs/SYNC.md)"
        }
    )
    code = fields.String(allow_none=True, metadata={"description": "a finer reason, if any"})
    number = fields.String(allow_none=True, metadata={"description": "a delivery note's number"})
    reason = fields.String(metadata={"description": "why, in English"})
    office = fields.Dict(metadata={"description": "the values that stand, where they differ"})
    phone = fields.Dict(metadata={"description": "the pushed values that were not taken"})


class PushResponseSchema(Schema):
    conflicts = fields.Integer(metadata={"description": "records resolved server-wins"})
    details = fields.List(
        fields.Nested(ConflictSchema),
        metadata={"description": "each conflict this push recorded, for the device to show"},
    )


class AttachmentUploadSchema(Schema):
    id = fields.String()
    sha256 = fields.String()
    size = fields.Integer()
    record = fields.Boolean(metadata={"description": "whether the record was pushed already"})


# ASCII digits only (str.isdigit() also takes "²" and "٣"), and within a BIGINT.
TIMESTAMP = re.compile(r"[1-9][0-9]{0,17}")


def _last_pulled_at(value: str | None) -> int | None:
    if value in (None, "", "null", "undefined"):
        return None
    if not TIMESTAMP.fullmatch(value):
        raise Invalid(
            "last_pulled_at is a timestamp from a previous pull.",
            errors={"last_pulled_at": ["not a timestamp"]},
        )
    return int(value)


def _migration(value: str | None) -> dict | None:
    if value in (None, "", "null"):
        return None
    try:
        migration = json.loads(value)
        if not isinstance(migration, dict):
            raise ValueError
        tables = migration.get("tables") or []
        columns = migration.get("columns") or []
        if not all(t in records.TABLES for t in tables):
            raise ValueError
        if not all(isinstance(c, dict) and c.get("table") in records.TABLES for c in columns):
            raise ValueError
    except (ValueError, TypeError):
        raise Invalid(
            "migration must be JSON {from, tables, columns} naming known tables.",
            errors={"migration": ["invalid"]},
        ) from None
    return migration


PULL_STAMP_SECONDS = 30


def _seen(device_id: int, **fields) -> None:
    """Stamp the device registry (last seen, app version, and `fields`) with one
    UPDATE statement, so nothing of the device object needs reloading."""
    values = {"last_seen_at": utcnow(), **fields}
    version = request.headers.get("X-App-Version")
    if version:
        values["app_version"] = version[:50]
    db.session.execute(update(Device).where(Device.id == device_id).values(**values))


def in_one_snapshot(view):
    """Run the whole request, authentication included, in the pull's snapshot: one
    transaction instead of ending the one authentication began and opening another."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        pull.begin_snapshot()
        return view(*args, **kwargs)

    return wrapper


@blp.get("/pull")
@in_one_snapshot
@requires("contractor")
@blp.arguments(PullQuerySchema, location="query")
@blp.response(200, {"$ref": "#/components/schemas/SyncPullBody"})
@blp.doc(responses={"400": "BAD_REQUEST"})  # unsupported_schema_version
def pull_changes(query):
    """Changes since `last_pulled_at` for the calling contractor's tickets.

    Every table is present with `created`, `updated` and `deleted` (ids); the records'
    columns are in the `SyncPullBody` schema (docs/SYNC.md explains when a record is
    sent again). Send the returned `timestamp` as `last_pulled_at` next time."""
    if query["schema_version"] != records.SCHEMA_VERSION:
        raise SyncVersionError(
            f"This server speaks device schema version {records.SCHEMA_VERSION}; "
            f"the app sent {query['schema_version']}. Update the server or the app."
        )
    caller = current_caller()
    result = pull.pull(
        caller, _last_pulled_at(query["last_pulled_at"]), _migration(query["migration"])
    )
    # Thousands of records: encoded directly by msgspec, several times faster than the
    # json module (the schema above documents the shape).
    body = msgspec.json.encode(result)
    # The read-only snapshot ends before the device registry is written: an UPDATE in
    # a REPEATABLE READ snapshot fails (SerializationFailure; SQLite: a stale read
    # transaction cannot write) when another request of the same device — a retry of
    # a slow pull, a push — wrote the row meanwhile. In a new transaction it waits.
    # An idle device polling for changes costs no write: stamped every 30 s at most.
    device = caller.device
    device_id, previous = (device.id, device.last_pull_at) if device else (None, None)
    db.session.commit()
    now = utcnow()
    recent = previous is not None and (now - previous).total_seconds() < PULL_STAMP_SECONDS
    if device_id is not None and not recent:
        _seen(device_id, last_pull_at=now)
    return current_app.response_class(body, mimetype="application/json")


@blp.post("/push")
@accepts_any_content_type
@requires("contractor")
@blp.arguments(PushQuerySchema, location="query")
@blp.response(200, PushResponseSchema)
@blp.doc(
    responses={
        "400": "BAD_REQUEST",
        "409": "CONFLICT",
        "413": "REQUEST_ENTITY_TOO_LARGE",
        "415": "UNSUPPORTED_MEDIA_TYPE",  # attachment_type_refused
    },
    requestBody={
        "description": "The changes object itself, as WatermelonDB's pushChanges sends it "
        "(any content type; records may carry other columns, which are ignored).",
        "content": {
            "text/plain": {"schema": {"$ref": "#/components/schemas/SyncPushBody"}},
            "application/json": {"schema": {"$ref": "#/components/schemas/SyncPushBody"}},
        },
    },
)
def push_changes(query):
    """Record a device's offline work atomically; retries change nothing.

    The body is WatermelonDB's changes object (`SyncPushBody`: per table, the columns a
    device may write). Invalid records answer 422 naming table, index and field, and
    nothing is recorded; business conflicts are resolved server-wins and counted."""
    limit = current_app.config["SYNC_MAX_PUSH_BYTES"]
    body = json_body.read_limited(limit, f"A push is limited to {limit} bytes.")
    try:
        changes = json_body.parse(body)  # also refuses NaN, deep nesting and NUL (422)
    except json_body.MalformedJson as error:
        raise push.BadPush(error.detail) from None
    caller = current_caller()
    try:
        result = push.push(caller, changes, current_app.config["SYNC_MAX_PUSH_RECORDS"])
    except DomainError as error:
        db.session.rollback()
        if caller.device is not None:
            caller.device.last_error = f"{error.code}: {error.detail}"[:500]
            db.session.commit()
        raise
    if caller.device is not None:
        _seen(caller.device.id, last_error=None)
    return result


@blp.put("/attachments/<string:attachment_id>")
@accepts_any_content_type
@requires()
@blp.response(201, AttachmentUploadSchema)
@blp.doc(
    parameters=[
        {
            "in": "header",
            "name": "Content-Digest",
            "required": True,
            "schema": {"type": "string"},
            "description": "RFC 9530, e.g. `sha-256=:<base64 of the SHA-256>:`",
        }
    ],
    requestBody={
        "required": True,
        "description": "The file's bytes, with its content type (sniffed, never trusted).",
        "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
    },
    responses={str(status): HTTPStatus(status).name for status in (400, 403, 413, 415, 422, 507)},
)
def upload_attachment(attachment_id):
    """Upload an attachment's bytes with `Content-Digest: sha-256=:<base64>:`."""
    return attachments.upload(
        current_caller(), attachment_id, request.stream, request.headers.get("Content-Digest")
    )


@blp.get("/attachments/<string:attachment_id>")
@requires()
@blp.response(200, description="The attachment's bytes")
def download_attachment(attachment_id):
    """An attachment's bytes, for anyone in the ticket's scope."""
    attachment, handle = attachment_service.open_attachment(current_caller(), None, attachment_id)
    return attachment_response(attachment, handle)

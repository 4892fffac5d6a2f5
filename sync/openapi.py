"""The sync bodies in the OpenAPI document, generated from sync.schemas' msgspec structs
(msgspec.json.schema_components), so the documented shapes are the validated ones."""

import msgspec

from sync import records, schemas

REF = "#/components/schemas/{name}"


def _ref(struct) -> dict:
    return {"$ref": REF.format(name=struct.__name__)}


def _table(struct, *, ticket_push: bool = False) -> dict:
    listed = {"type": "array", "items": _ref(struct)}
    deleted = {"type": "array", "items": {"type": "string", "maxLength": 64}}
    created = listed
    if ticket_push:  # devices only push a ticket's new status, in `updated`
        created = deleted = {"type": "array", "maxItems": 0}
    return {
        "type": "object",
        "properties": {"created": created, "updated": listed, "deleted": deleted},
    }


def components() -> dict:
    """Every record struct's schema, and the two bodies built from them."""
    structs = [*schemas.STRUCTS.values(), *schemas.RECORDS.values()]
    _, found = msgspec.json.schema_components(structs, ref_template=REF)
    pull_tables = {}
    for table, struct in schemas.RECORDS.items():
        pull_tables[table] = _table(struct)
        pull_tables[table]["required"] = ["created", "updated", "deleted"]
    found["SyncPullBody"] = {
        "type": "object",
        "description": "WatermelonDB's pullChanges result: every table, each with created, "
        "updated and deleted (ids) records.",
        "required": ["changes", "timestamp"],
        "properties": {
            "changes": {
                "type": "object",
                "required": list(records.TABLES),
                "properties": pull_tables,
            },
            "timestamp": {
                "type": "integer",
                "description": "pass as `last_pulled_at` to the next pull and to push",
            },
        },
        "example": PULL_EXAMPLE,
    }
    found["SyncPushBody"] = {
        "type": "object",
        "description": "WatermelonDB's pushChanges object: any of the tables, each with "
        "created, updated and deleted lists. Columns not listed are ignored (local-only "
        "columns, `_status`, `_changed`).",
        "properties": {
            table: _table(struct, ticket_push=table == "tickets")
            for table, struct in schemas.STRUCTS.items()
        },
        "additionalProperties": False,
        "example": PUSH_EXAMPLE,
    }
    return found


def _empty() -> dict:
    return {"created": [], "updated": [], "deleted": []}


PULL_EXAMPLE = {
    "changes": {
        **{table: _empty() for table in records.TABLES},
        "ticket_messages": {
            "created": [
                {
                    "id": "6f1c2a9e-msg",
                    "ticket_id": "123",
                    "body": "The boiler part arrives on Tuesday.",
                    "visibility": "public",
                    "author_id": "7",
                    "author_name": "Maria Manager",
                    "author_role": "staff",
                    "created_at": 1796524357964,
                }
            ],
            "updated": [],
            "deleted": [],
        },
    },
    "timestamp": 4211,
}
PUSH_EXAMPLE = {
    "tickets": {"created": [], "updated": [{"id": "123", "status": "resolved"}], "deleted": []},
    "time_entries": {
        "created": [
            {
                "id": "b7e1-time",
                "ticket_id": "123",
                "minutes": 90,
                "started_at": 1796520000000,
                "ended_at": 1796525400000,
                "chargeable": True,
                "note": "Replaced the valve",
            }
        ],
        "updated": [],
        "deleted": [],
    },
    "materials": {
        "created": [
            {
                "id": "c2d4-mat",
                "ticket_id": "123",
                "description": "15 mm valve",
                "quantity": "1",
                "unit": "each",
                "unit_price": "12.50",
            }
        ],
        "updated": [],
        "deleted": [],
    },
}

"""Bad input to every ticket, property and settings write endpoint: 422 with the field
named in `errors`, and not a single row written."""

import pytest
from sqlalchemy import text

from server.extensions import db
from tests.conftest import World

TABLES = (
    "tickets",
    "ticket_events",
    "messages",
    "assignments",
    "ticket_contractors",
    "blocks",
    "units",
    "tenancies",
    "certificates",
    "canned_responses",
    "ticket_types",
    "sla_policies",
    "holidays",
    "notifications",
    "outbox",
)


def snapshot(app) -> dict:
    with app.app_context():
        counts = {t: db.session.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES}
        counts["counters"] = db.session.execute(
            text("SELECT name, value FROM counters ORDER BY name")
        ).all()
        return counts


LONG = "x" * 201
REPORT = {"summary": "Leak", "description": "Drip", "block_id": "@block"}
TRIAGED = {"type": "repair", "priority": "high"}
CANNED = {"title": "Hi", "body": "Hello"}

# endpoint -> (who calls it, method, url)
ENDPOINTS = {
    "report": ("tenant", "POST", "/api/tickets"),
    "open": ("staff", "POST", "/api/tickets"),
    "reply": ("tenant", "POST", "/api/tickets/{ticket}/messages"),
    "staff reply": ("staff", "POST", "/api/tickets/{ticket}/messages"),
    "triage": ("staff", "POST", "/api/tickets/{ticket}/triage"),
    "assign": ("staff", "POST", "/api/tickets/{ticket}/assignments"),
    "status": ("staff", "POST", "/api/tickets/{ticket}/status"),
    "canned": ("staff", "POST", "/api/canned-responses"),
    "ticket type": ("admin", "POST", "/api/ticket-types"),
    "sla": ("admin", "PUT", "/api/sla-policies/high"),
    "holiday": ("admin", "POST", "/api/holidays"),
    "preferences": ("tenant", "PUT", "/api/me/preferences"),
}

# Values "@name" in a body stand for the id of that member of the world.
CASES = [
    # (endpoint, what is wrong, body, field named in errors)
    ("report", "unknown block", {**REPORT, "block_id": 999999}, "block_id"),
    ("report", "block id as text", {**REPORT, "block_id": "1"}, "block_id"),
    ("report", "block id as boolean", {**REPORT, "block_id": True}, "block_id"),
    ("report", "block id too large", {**REPORT, "block_id": 10**30}, "block_id"),
    ("report", "unknown unit", {**REPORT, "unit_id": 999999}, "unit_id"),
    ("open", "unit of another block", {**REPORT, "unit_id": "@foreign_unit"}, "unit_id"),
    ("open", "unknown department", {**REPORT, "department_id": 999999}, "department_id"),
    ("open", "unknown reporter", {**REPORT, "reporter_id": 999999}, "reporter_id"),
    ("open", "unknown type", {**REPORT, "type": "alchemy"}, "type"),
    ("open", "naive deadline", {**REPORT, "deadline_at": "2030-01-01T09:00"}, "deadline_at"),
    ("report", "summary too long", {**REPORT, "summary": LONG}, "summary"),
    ("report", "empty summary", {**REPORT, "summary": ""}, "summary"),
    ("report", "no description", {"summary": "Leak", "block_id": "@block"}, "description"),
    ("report", "description not text", {**REPORT, "description": 42}, "description"),
    ("report", "unknown visibility", {**REPORT, "visibility": "world"}, "visibility"),
    ("report", "unknown field", {**REPORT, "urgent": True}, "urgent"),
    ("reply", "no body", {}, "body"),
    ("reply", "empty body", {"body": ""}, "body"),
    ("reply", "body not text", {"body": ["hi"]}, "body"),
    ("staff reply", "unknown visibility", {"body": "hi", "visibility": "private"}, "visibility"),
    ("reply", "unknown field", {"body": "hi", "colour": "red"}, "colour"),
    ("triage", "unknown department", {**TRIAGED, "department_id": 999999}, "department_id"),
    ("triage", "priority not text", {"type": "repair", "priority": 3}, "priority"),
    ("triage", "unknown field", {**TRIAGED, "status": "open"}, "status"),
    ("assign", "unknown contractor", {"contractor_id": 999999}, "contractor_id"),
    ("assign", "a tenant is no contractor", {"contractor_id": "@tenant"}, "contractor_id"),
    ("assign", "contractor id as text", {"contractor_id": "carl"}, "contractor_id"),
    ("assign", "no contractor", {}, "contractor_id"),
    ("assign", "unknown field", {"contractor_id": "@contractor", "rate": 5}, "rate"),
    ("status", "no status", {}, "status"),
    ("status", "status not text", {"status": 1}, "status"),
    ("status", "reason too long", {"status": "on_hold", "reason": "x" * 2001}, "reason"),
    ("status", "unknown field", {"status": "on_hold", "when": "now"}, "when"),
    ("canned", "unknown department", {**CANNED, "department_id": 999999}, "department_id"),
    ("canned", "title too long", {**CANNED, "title": LONG}, "title"),
    ("canned", "unknown field", {**CANNED, "shared": True}, "shared"),
    ("ticket type", "name not snake_case", {"name": "Pest Control", "label": "Pests"}, "name"),
    ("ticket type", "no label", {"name": "pests"}, "label"),
    ("ticket type", "built_in given", {"name": "pest", "label": "P", "built_in": 1}, "built_in"),
    ("sla", "minutes as text", {"first_response_minutes": "60"}, "first_response_minutes"),
    ("sla", "zero minutes", {"resolution_minutes": 0}, "resolution_minutes"),
    ("sla", "warning at 100%", {"warning_percent": 100}, "warning_percent"),
    ("holiday", "not a date", {"day": "christmas", "name": "Xmas"}, "day"),
    ("holiday", "no name", {"day": "2026-12-25"}, "name"),
    ("preferences", "not a boolean", {"notify_me": "maybe"}, "notify_me"),
    ("preferences", "missing", {}, "notify_me"),
]  # fmt: skip


def resolve(world: World, body: dict) -> dict:
    def value(v):
        return getattr(world, v[1:]).id if isinstance(v, str) and v.startswith("@") else v

    return {key: value(v) for key, v in body.items()}


@pytest.mark.parametrize(
    ("endpoint", "body", "field"),
    [(endpoint, body, field) for endpoint, _, body, field in CASES],
    ids=[f"{endpoint}: {wrong}" for endpoint, wrong, _, _ in CASES],
)
def test_bad_input_is_422_and_writes_nothing(app, client, make, world, endpoint, body, field):
    who, method, url = ENDPOINTS[endpoint]
    before = snapshot(app)
    response = client.open(
        url.format(ticket=world.ticket.id),
        method=method,
        json=resolve(world, body),
        headers=make.headers(getattr(world, who)),
    )
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]
    assert snapshot(app) == before


@pytest.mark.parametrize("body", ["[]", '"text"', "42", "null"])
def test_a_body_that_is_not_an_object_is_rejected(app, client, make, world, body):
    before = snapshot(app)
    response = client.post(
        ENDPOINTS["reply"][2].format(ticket=world.ticket.id),
        data=body,
        content_type="application/json",
        headers=make.headers(world.tenant),
    )
    assert response.status_code in (400, 422)
    assert response.mimetype == "application/problem+json"
    assert snapshot(app) == before


def test_an_sla_policy_for_the_untriaged_priority_does_not_exist(client, make, world):
    response = client.put(
        "/api/sla-policies/unassigned",
        json={"first_response_minutes": 60},
        headers=make.headers(world.admin),
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/tickets/{big}"),
        ("GET", "/api/tickets/{big}/verify"),
        ("POST", "/api/tickets/{ticket}/assignments/{big}/end"),
        ("GET", "/api/blocks/{big}/certificates"),
        ("POST", "/api/blocks/{big}/units"),
        ("POST", "/api/notifications/{big}/read"),
    ],
)
def test_an_id_too_large_to_exist_in_the_path_is_404(client, make, world, method, path):
    url = path.format(big=10**20, ticket=world.ticket.id)
    body = {"name": "Flat 9"} if url.endswith("/units") else None
    response = client.open(url, method=method, json=body, headers=make.headers(world.admin))
    assert response.status_code == 404

"""Who may do what to a ticket, through the real API: one row per (endpoint, role).

The cast stands around one ticket published to its block: the reporter, a neighbour
in the same block, a tenant of another block, the assigned contractor, a contractor
whose assignment ended, a contractor never assigned, staff of the ticket's department,
staff of another department, the block's manager (in no department) and an admin.
Outside a caller's scope is 404; a forbidden action on a visible ticket is 403.
"""

from dataclasses import dataclass
from datetime import date

import pytest

ROLES = (
    "reporter",
    "neighbour",
    "tenant_elsewhere",
    "contractor",
    "former_contractor",
    "other_contractor",
    "department_staff",
    "other_department_staff",
    "block_manager",
    "admin",
)


@dataclass
class Cast:
    people: dict
    ticket: object
    block: object
    unit: object
    spare_contractor: object
    spare_tenant: object


@pytest.fixture
def cast(make) -> Cast:
    department, other_department = make.department(), make.department()
    department_staff = make.user("staff", departments=[department])
    other_department_staff = make.user("staff", departments=[other_department])
    block_manager = make.user("staff")
    admin = make.user("admin")
    block = make.block(manager=block_manager, department=department)
    other_block = make.block(department=other_department)
    unit, next_door = make.unit(block), make.unit(block)
    reporter = make.tenant_in(unit)
    contractor, former = make.user("contractor"), make.user("contractor")
    ticket = make.ticket(reporter, block, unit, visibility="block")
    make.triage(ticket, department_staff)
    make.assign(ticket, contractor, department_staff)
    make.assign(ticket, former, department_staff)
    make.end_assignment(ticket, former, department_staff)
    make.certificate(block)
    people = {
        "reporter": reporter,
        "neighbour": make.tenant_in(next_door),
        "tenant_elsewhere": make.tenant_in(make.unit(other_block)),
        "contractor": contractor,
        "former_contractor": former,
        "other_contractor": make.user("contractor"),
        "department_staff": department_staff,
        "other_department_staff": other_department_staff,
        "block_manager": block_manager,
        "admin": admin,
    }
    return Cast(
        people,
        make.reload(ticket),
        block,
        unit,
        spare_contractor=make.user("contractor"),
        spare_tenant=make.user("tenant"),
    )


def _ticket(c: Cast) -> str:
    return f"/api/tickets/{c.ticket.id}"


# endpoint name -> (method, url, json body) for a cast; True marks ticket-scoped writes.
ENDPOINTS = {
    "list": lambda c: ("GET", "/api/tickets", None),
    "detail": lambda c: ("GET", _ticket(c), None),
    "reply": lambda c: ("POST", _ticket(c) + "/messages", {"body": "Any news?"}),
    "triage": lambda c: ("POST", _ticket(c) + "/triage", {"type": "repair", "priority": "high"}),
    "assign": lambda c: (
        "POST",
        _ticket(c) + "/assignments",
        {"contractor_id": c.spare_contractor.id},
    ),
    "unassign": lambda c: (
        "POST",
        _ticket(c) + f"/assignments/{c.people['contractor'].id}/end",
        None,
    ),
    "close": lambda c: ("POST", _ticket(c) + "/status", {"status": "closed"}),
    "verify": lambda c: ("GET", _ticket(c) + "/verify", None),
    "report": lambda c: (
        "POST",
        "/api/tickets",
        {"summary": "Broken lift", "description": "Stuck on 3", "block_id": c.block.id},
    ),
    "certificates": lambda c: ("GET", f"/api/blocks/{c.block.id}/certificates", None),
    "add_certificate": lambda c: (
        "POST",
        f"/api/blocks/{c.block.id}/certificates",
        {"kind": "epc", "number": "EPC-1", "issued_on": "2026-01-01", "expires_on": "2036-01-01"},
    ),
    "dashboard": lambda c: ("GET", "/api/dashboard/updates", None),
    "canned_responses": lambda c: ("GET", "/api/canned-responses", None),
    "add_canned_response": lambda c: (
        "POST",
        "/api/canned-responses",
        {"title": "Thanks", "body": "Thank you for reporting this."},
    ),
    "ticket_types": lambda c: ("GET", "/api/ticket-types", None),
    "add_ticket_type": lambda c: ("POST", "/api/ticket-types", {"name": "pest", "label": "Pests"}),
    "sla_policies": lambda c: ("GET", "/api/sla-policies", None),
    "set_sla_policy": lambda c: (
        "PUT",
        "/api/sla-policies/high",
        {"first_response_minutes": 60, "resolution_minutes": 480},
    ),
    "holidays": lambda c: ("GET", "/api/holidays", None),
    "add_holiday": lambda c: ("POST", "/api/holidays", {"day": "2026-12-25", "name": "Xmas"}),
    "blocks": lambda c: ("GET", "/api/blocks", None),
    "add_block": lambda c: ("POST", "/api/blocks", {"name": "New Court", "address": "1 Road"}),
    "add_unit": lambda c: ("POST", f"/api/blocks/{c.block.id}/units", {"name": "Flat 9"}),
    "add_tenancy": lambda c: (
        "POST",
        f"/api/units/{c.unit.id}/tenancies",
        {"tenant_id": c.spare_tenant.id, "starts_on": date.today().isoformat()},
    ),
    "notifications": lambda c: ("GET", "/api/notifications", None),
}
TICKET_WRITES = {"reply", "triage", "assign", "unassign", "close"}

MATRIX = [
    # endpoint               role                      status
    ("list",                 "reporter",               200),
    ("list",                 "neighbour",              200),
    ("list",                 "tenant_elsewhere",       200),
    ("list",                 "contractor",             200),
    ("list",                 "former_contractor",      200),
    ("list",                 "other_contractor",       200),
    ("list",                 "department_staff",       200),
    ("list",                 "other_department_staff", 200),
    ("list",                 "block_manager",          200),
    ("list",                 "admin",                  200),
    ("detail",               "reporter",               200),
    ("detail",               "neighbour",              200),
    ("detail",               "tenant_elsewhere",       404),
    ("detail",               "contractor",             200),
    ("detail",               "former_contractor",      200),
    ("detail",               "other_contractor",       404),
    ("detail",               "department_staff",       200),
    ("detail",               "other_department_staff", 404),
    ("detail",               "block_manager",          200),
    ("detail",               "admin",                  200),
    ("reply",                "reporter",               201),
    ("reply",                "neighbour",              403),
    ("reply",                "tenant_elsewhere",       404),
    ("reply",                "contractor",             201),
    ("reply",                "former_contractor",      403),
    ("reply",                "other_contractor",       404),
    ("reply",                "department_staff",       201),
    ("reply",                "other_department_staff", 404),
    ("reply",                "block_manager",          201),
    ("reply",                "admin",                  201),
    ("triage",               "reporter",               403),
    ("triage",               "neighbour",              403),
    ("triage",               "tenant_elsewhere",       404),
    ("triage",               "contractor",             403),
    ("triage",               "former_contractor",      403),
    ("triage",               "other_contractor",       404),
    ("triage",               "department_staff",       200),
    ("triage",               "other_department_staff", 404),
    ("triage",               "block_manager",          200),
    ("triage",               "admin",                  200),
    ("assign",               "reporter",               403),
    ("assign",               "neighbour",              403),
    ("assign",               "tenant_elsewhere",       404),
    ("assign",               "contractor",             403),
    ("assign",               "former_contractor",      403),
    ("assign",               "other_contractor",       404),
    ("assign",               "department_staff",       201),
    ("assign",               "other_department_staff", 404),
    ("assign",               "block_manager",          201),
    ("assign",               "admin",                  201),
    ("unassign",             "reporter",               403),
    ("unassign",             "neighbour",              403),
    ("unassign",             "tenant_elsewhere",       404),
    ("unassign",             "contractor",             403),
    ("unassign",             "former_contractor",      403),
    ("unassign",             "other_contractor",       404),
    ("unassign",             "department_staff",       200),
    ("unassign",             "other_department_staff", 404),
    ("unassign",             "block_manager",          200),
    ("unassign",             "admin",                  200),
    ("close",                "reporter",               200),
    ("close",                "neighbour",              403),
    ("close",                "tenant_elsewhere",       404),
    ("close",                "contractor",             200),
    ("close",                "former_contractor",      403),
    ("close",                "other_contractor",       404),
    ("close",                "department_staff",       200),
    ("close",                "other_department_staff", 404),
    ("close",                "block_manager",          200),
    ("close",                "admin",                  200),
    ("verify",               "reporter",               200),
    ("verify",               "neighbour",              200),
    ("verify",               "tenant_elsewhere",       404),
    ("verify",               "contractor",             200),
    ("verify",               "former_contractor",      200),
    ("verify",               "other_contractor",       404),
    ("verify",               "department_staff",       200),
    ("verify",               "other_department_staff", 404),
    ("verify",               "block_manager",          200),
    ("verify",               "admin",                  200),
    ("report",               "reporter",               201),
    ("report",               "neighbour",              201),
    ("report",               "tenant_elsewhere",       422),
    ("report",               "contractor",             201),
    ("report",               "former_contractor",      201),
    ("report",               "other_contractor",       201),
    ("report",               "department_staff",       201),
    ("report",               "other_department_staff", 201),
    ("report",               "block_manager",          201),
    ("report",               "admin",                  201),
    ("certificates",         "reporter",               200),
    ("certificates",         "neighbour",              200),
    ("certificates",         "tenant_elsewhere",       404),
    ("certificates",         "contractor",             200),
    ("certificates",         "former_contractor",      404),
    ("certificates",         "other_contractor",       404),
    ("certificates",         "department_staff",       200),
    ("certificates",         "other_department_staff", 200),
    ("certificates",         "block_manager",          200),
    ("certificates",         "admin",                  200),
    ("add_certificate",      "reporter",               403),
    ("add_certificate",      "neighbour",              403),
    ("add_certificate",      "tenant_elsewhere",       403),
    ("add_certificate",      "contractor",             403),
    ("add_certificate",      "former_contractor",      403),
    ("add_certificate",      "other_contractor",       403),
    ("add_certificate",      "department_staff",       201),
    ("add_certificate",      "other_department_staff", 201),
    ("add_certificate",      "block_manager",          201),
    ("add_certificate",      "admin",                  201),
    ("dashboard",            "reporter",               403),
    ("dashboard",            "neighbour",              403),
    ("dashboard",            "tenant_elsewhere",       403),
    ("dashboard",            "contractor",             403),
    ("dashboard",            "former_contractor",      403),
    ("dashboard",            "other_contractor",       403),
    ("dashboard",            "department_staff",       200),
    ("dashboard",            "other_department_staff", 200),
    ("dashboard",            "block_manager",          200),
    ("dashboard",            "admin",                  200),
    ("canned_responses",     "reporter",               403),
    ("canned_responses",     "neighbour",              403),
    ("canned_responses",     "tenant_elsewhere",       403),
    ("canned_responses",     "contractor",             403),
    ("canned_responses",     "former_contractor",      403),
    ("canned_responses",     "other_contractor",       403),
    ("canned_responses",     "department_staff",       200),
    ("canned_responses",     "other_department_staff", 200),
    ("canned_responses",     "block_manager",          200),
    ("canned_responses",     "admin",                  200),
    ("add_canned_response",  "reporter",               403),
    ("add_canned_response",  "neighbour",              403),
    ("add_canned_response",  "tenant_elsewhere",       403),
    ("add_canned_response",  "contractor",             403),
    ("add_canned_response",  "former_contractor",      403),
    ("add_canned_response",  "other_contractor",       403),
    ("add_canned_response",  "department_staff",       201),
    ("add_canned_response",  "other_department_staff", 201),
    ("add_canned_response",  "block_manager",          201),
    ("add_canned_response",  "admin",                  201),
    ("ticket_types",         "reporter",               200),
    ("ticket_types",         "neighbour",              200),
    ("ticket_types",         "tenant_elsewhere",       200),
    ("ticket_types",         "contractor",             200),
    ("ticket_types",         "former_contractor",      200),
    ("ticket_types",         "other_contractor",       200),
    ("ticket_types",         "department_staff",       200),
    ("ticket_types",         "other_department_staff", 200),
    ("ticket_types",         "block_manager",          200),
    ("ticket_types",         "admin",                  200),
    ("add_ticket_type",      "reporter",               403),
    ("add_ticket_type",      "neighbour",              403),
    ("add_ticket_type",      "tenant_elsewhere",       403),
    ("add_ticket_type",      "contractor",             403),
    ("add_ticket_type",      "former_contractor",      403),
    ("add_ticket_type",      "other_contractor",       403),
    ("add_ticket_type",      "department_staff",       403),
    ("add_ticket_type",      "other_department_staff", 403),
    ("add_ticket_type",      "block_manager",          403),
    ("add_ticket_type",      "admin",                  201),
    ("sla_policies",         "reporter",               403),
    ("sla_policies",         "neighbour",              403),
    ("sla_policies",         "tenant_elsewhere",       403),
    ("sla_policies",         "contractor",             403),
    ("sla_policies",         "former_contractor",      403),
    ("sla_policies",         "other_contractor",       403),
    ("sla_policies",         "department_staff",       200),
    ("sla_policies",         "other_department_staff", 200),
    ("sla_policies",         "block_manager",          200),
    ("sla_policies",         "admin",                  200),
    ("set_sla_policy",       "reporter",               403),
    ("set_sla_policy",       "neighbour",              403),
    ("set_sla_policy",       "tenant_elsewhere",       403),
    ("set_sla_policy",       "contractor",             403),
    ("set_sla_policy",       "former_contractor",      403),
    ("set_sla_policy",       "other_contractor",       403),
    ("set_sla_policy",       "department_staff",       403),
    ("set_sla_policy",       "other_department_staff", 403),
    ("set_sla_policy",       "block_manager",          403),
    ("set_sla_policy",       "admin",                  200),
    ("holidays",             "reporter",               403),
    ("holidays",             "neighbour",              403),
    ("holidays",             "tenant_elsewhere",       403),
    ("holidays",             "contractor",             403),
    ("holidays",             "former_contractor",      403),
    ("holidays",             "other_contractor",       403),
    ("holidays",             "department_staff",       200),
    ("holidays",             "other_department_staff", 200),
    ("holidays",             "block_manager",          200),
    ("holidays",             "admin",                  200),
    ("add_holiday",          "reporter",               403),
    ("add_holiday",          "neighbour",              403),
    ("add_holiday",          "tenant_elsewhere",       403),
    ("add_holiday",          "contractor",             403),
    ("add_holiday",          "former_contractor",      403),
    ("add_holiday",          "other_contractor",       403),
    ("add_holiday",          "department_staff",       403),
    ("add_holiday",          "other_department_staff", 403),
    ("add_holiday",          "block_manager",          403),
    ("add_holiday",          "admin",                  201),
    ("blocks",               "reporter",               403),
    ("blocks",               "neighbour",              403),
    ("blocks",               "tenant_elsewhere",       403),
    ("blocks",               "contractor",             403),
    ("blocks",               "former_contractor",      403),
    ("blocks",               "other_contractor",       403),
    ("blocks",               "department_staff",       200),
    ("blocks",               "other_department_staff", 200),
    ("blocks",               "block_manager",          200),
    ("blocks",               "admin",                  200),
    ("add_block",            "reporter",               403),
    ("add_block",            "neighbour",              403),
    ("add_block",            "tenant_elsewhere",       403),
    ("add_block",            "contractor",             403),
    ("add_block",            "former_contractor",      403),
    ("add_block",            "other_contractor",       403),
    ("add_block",            "department_staff",       403),
    ("add_block",            "other_department_staff", 403),
    ("add_block",            "block_manager",          403),
    ("add_block",            "admin",                  201),
    ("add_unit",             "reporter",               403),
    ("add_unit",             "neighbour",              403),
    ("add_unit",             "tenant_elsewhere",       403),
    ("add_unit",             "contractor",             403),
    ("add_unit",             "former_contractor",      403),
    ("add_unit",             "other_contractor",       403),
    ("add_unit",             "department_staff",       403),
    ("add_unit",             "other_department_staff", 403),
    ("add_unit",             "block_manager",          403),
    ("add_unit",             "admin",                  201),
    ("add_tenancy",          "reporter",               403),
    ("add_tenancy",          "neighbour",              403),
    ("add_tenancy",          "tenant_elsewhere",       403),
    ("add_tenancy",          "contractor",             403),
    ("add_tenancy",          "former_contractor",      403),
    ("add_tenancy",          "other_contractor",       403),
    ("add_tenancy",          "department_staff",       201),
    ("add_tenancy",          "other_department_staff", 201),
    ("add_tenancy",          "block_manager",          201),
    ("add_tenancy",          "admin",                  201),
    ("notifications",        "reporter",               200),
    ("notifications",        "neighbour",              200),
    ("notifications",        "tenant_elsewhere",       200),
    ("notifications",        "contractor",             200),
    ("notifications",        "former_contractor",      200),
    ("notifications",        "other_contractor",       200),
    ("notifications",        "department_staff",       200),
    ("notifications",        "other_department_staff", 200),
    ("notifications",        "block_manager",          200),
    ("notifications",        "admin",                  200),
]  # fmt: skip


def test_the_matrix_covers_every_endpoint_for_every_role():
    assert {(e, r) for e, r, _ in MATRIX} == {(e, r) for e in ENDPOINTS for r in ROLES}
    assert len(MATRIX) == len(ENDPOINTS) * len(ROLES)


@pytest.mark.parametrize(("endpoint", "role", "status"), MATRIX, ids=lambda v: str(v))
def test_access(client, make, cast, endpoint, role, status):
    method, url, body = ENDPOINTS[endpoint](cast)
    response = client.open(url, method=method, json=body, headers=make.headers(cast.people[role]))
    assert response.status_code == status, response.get_json()
    if status >= 400:
        assert response.mimetype == "application/problem+json"
    if endpoint in TICKET_WRITES and status >= 400:
        # A refused write leaves the timeline exactly as it was.
        assert make.reload(cast.ticket).event_count == cast.ticket.event_count


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_the_list_shows_the_ticket_exactly_to_those_who_may_open_it(client, make, cast, role):
    may_open = dict(((e, r), s) for e, r, s in MATRIX)[("detail", role)] == 200
    response = client.get("/api/tickets", headers=make.headers(cast.people[role]))
    listed = [t["id"] for t in response.get_json()["items"]]
    assert (cast.ticket.id in listed) is may_open

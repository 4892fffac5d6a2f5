"""Security as tests: an IDOR sweep over every route with an id in its path, tokens of
revoked devices and tampered tokens on the sync endpoints, login throttling, and
replayed ERP payment webhooks."""

import base64
import hashlib
import io
import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from server.extensions import db
from server.models import Notification
from tests.api.test_auth import SECRET
from tests.reliability.conftest import row_counts
from tests.sync.test_push import MS, message

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)

# Routes whose id names something every staff member manages agency-wide (the
# device fleet, ERP endpoints and deliveries, the shared mail quarantine, sign-up
# requests, contractors' rates): role-gated (403), not scoped per department.
AGENCY_WIDE = {
    "devices.revoke": "staff manage the whole device fleet",
    "erp.update_endpoint": "admin only; endpoints are agency-wide",
    "erp.replay": "staff: deliveries are agency-wide",
    "billing_rates.set_labour_category": "admin only",
    "billing_customers.get_customer": "staff: customers (bill-to parties) are agency-wide",
    "billing_customers.update_customer": "staff: customers (bill-to parties) are agency-wide",
    "billing_customers.set_block_owner": "staff maintain every block (properties)",
    "billing_customers.set_unit_owner": "staff maintain every unit (properties)",
    "users.unlock_user": "admin only; accounts are agency-wide",
    "mail.quarantined_mail": "the agency's shared inbound-mail quarantine",
    "mail.quarantined_raw": "the agency's shared inbound-mail quarantine",
    "mail.release": "the agency's shared inbound-mail quarantine",
    "mail.reject": "the agency's shared inbound-mail quarantine",
    "signup.approve": "staff review every sign-up request",
    "signup.reject": "staff review every sign-up request",
    "mail.unsubscribe_page": "a signed token, not an id",
    "mail.unsubscribe": "a signed token, not an id",
    "verify.verify": "public by design: valid / not valid, no personal data",
    "static": "static files",
    "field.field_file": "the field app's public shell files: a file name, not an id",
    "reference.asset": "the API reference page's files (a name, not an id)",
    "reports.report": "a report's name, not an id; figures over the caller's scope",
    "reports.report_csv": "a report's name, not an id; figures over the caller's scope",
    "console.report_page": "a report's name, not an id; figures over the caller's scope",
    "console.report_csv": "a report's name, not an id; figures over the caller's scope",
    "properties.get_block": "staff read the shared property register; 403 for others",
    "properties.update_block": "admin only; the property register is agency-wide",
    "properties.list_units": "staff read the shared property register; 403 for others",
    "properties.get_unit": "staff read the shared property register; 403 for others",
    "properties.update_unit": "admin only; the property register is agency-wide",
    "properties.list_tenancies": "staff read the shared property register; 403 for others",
    "properties.end_tenancy": "staff maintain tenancies agency-wide; 403 for others",
    "users.deactivate_user": "admin only",
    "users.reactivate_user": "admin only",
    "users.send_password_link": "admin only",
    "users.get_user": "the user directory (server.scope.user_scope: staff see every "
    "contractor), checked per role in tests/api/test_ticket_access.py",
    "users.update_user": "as users.get_user",
    "properties.renew_certificate": "staff maintain the shared property register",
    "settings.update_canned_response": "admin only; canned responses are agency-wide",
    "settings.retire_canned_response": "admin only; canned responses are agency-wide",
}
# The console's back-office pages call the same services as these API routes, with the
# same roles (tests/web/test_console_*.py check 403, 404 and the ticket scope per page).
AGENCY_WIDE.update(
    {
        f"console.{name}": f"the console page of {api} (same service and roles)"
        for name, api in {
            "block_page": "properties.get_block",
            "edit_block": "properties.update_block",
            "update_block": "properties.update_block",
            "add_unit": "properties.create_unit",
            "set_block_owner": "billing_customers.set_block_owner",
            "unit_page": "properties.get_unit (its tickets through server.scope)",
            "update_unit": "properties.update_unit",
            "add_tenancy": "properties.create_tenancy",
            "end_tenancy": "properties.end_tenancy",
            "set_unit_owner": "billing_customers.set_unit_owner",
            "add_certificate": "properties.create_certificate",
            "certificate_page": "properties.list_certificates",
            "renew_certificate": "properties.renew_certificate",
            "device_page": "devices.list_devices (conflicts through server.scope)",
            "revoke_device": "devices.revoke",
            "quarantined_mail": "mail.quarantined_mail",
            "quarantined_raw": "mail.quarantined_raw",
            "release_mail": "mail.release",
            "reject_mail": "mail.reject",
            "approve_request": "signup.approve",
            "reject_request": "signup.reject",
            "canned_page": "settings.update_canned_response",
            "edit_canned": "settings.update_canned_response",
            "retire_canned": "settings.retire_canned_response",
        }.items()
    }
)
# Console pages with an id whose scope (404 outside it) and roles (403) are tested
# page by page, as the API routes they share a service with: the test file says where.
CONSOLE_PAGES = {
    "console.add_line": "tests/web/test_console_billing.py",
    "console.change_line": "tests/web/test_console_billing.py",
    "console.credit": "tests/web/test_console_billing.py",
    "console.customer_detail": "tests/web/test_console_billing.py",
    "console.discard": "tests/web/test_console_billing.py",
    "console.invoice_detail": "tests/web/test_console_billing.py",
    "console.invoice_pdf": "tests/web/test_console_billing.py",
    "console.invoice_xml": "tests/web/test_console_billing.py",
    "console.issue": "tests/web/test_console_billing.py",
    "console.record_payment": "tests/web/test_console_billing.py",
    "console.remove_line": "tests/web/test_console_billing.py",
    "console.update_customer": "tests/web/test_console_billing.py",
    "console.update_rate": "tests/web/test_console_billing.py",
    "console.endpoint": "tests/web/test_console_erp.py",
    "console.replay": "tests/web/test_console_erp.py",
    "console.replay_failed": "tests/web/test_console_erp.py",
    "console.rotate": "tests/web/test_console_erp.py",
    "console.switch_endpoint": "tests/web/test_console_erp.py",
    "console.test_event": "tests/web/test_console_erp.py",
    "console.update_endpoint": "tests/web/test_console_erp.py",
    "console.deactivate_person": "tests/web/test_console_people.py",
    "console.edit_person": "tests/web/test_console_people.py",
    "console.password_link": "tests/web/test_console_people.py",
    "console.person": "tests/web/test_console_people.py",
    "console.reactivate_person": "tests/web/test_console_people.py",
    "console.revoke_person_device": "tests/web/test_console_people.py",
    "console.unlock_person": "tests/web/test_console_people.py",
    "console.update_person": "tests/web/test_console_people.py",
    "console.delete_filter": "tests/web/test_console_queue.py",
    "console.read_notification": "tests/web/test_console_notifications.py",
}
CONSOLE_PAGES.update(
    {
        name: "tests/web/test_ticket_page.py"
        for name in (
            "console.ticket_page",
            "console.ticket_timeline",
            "console.ticket_file",
            "console.ticket_note_pdf",
            "console.ticket_invoice_pdf",
            "console.ticket_triage",
            "console.ticket_edit",
            "console.ticket_reply",
            "console.ticket_assign",
            "console.ticket_unassign",
            "console.ticket_status",
            "console.ticket_duplicate",
        )
    }
)
# Page routes answer browser sessions, not bearer tokens: each is swept by its own test
# with a signed-in session and the form's CSRF token.
PAGES = {
    endpoint: "tests/web/test_portal_sweep.py"
    for endpoint in (
        "portal.ticket_page",
        "portal.reply",
        "portal.change_status",
        "portal.reported",
        "portal.attachment",
        "portal.delivery_note",
    )
}
NOT_IDS = {"priority", "kind", "filename"}


def id_routes(app) -> list:
    """(endpoint, method, rule) for every route with an id (or token) in its path."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not set(rule.arguments) - NOT_IDS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, method, rule))
    return routes


@pytest.fixture
def theirs_things(app, client, make, ours, theirs):
    """Ids of rows that belong to the other department, its tenant and its contractor."""
    headers = make.headers(theirs.tenant)
    upload = client.post(
        f"/api/tickets/{theirs.ticket.id}/attachments",
        data={"file": (io.BytesIO(PNG), "leak.png", "image/png")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201
    device = make.headers(theirs.contractor, device_id="their-handheld")
    signature = f"sig-{uuid.uuid4().hex[:8]}"
    note = str(uuid.uuid4())
    changes = {
        "attachments": {
            "created": [
                {
                    "id": signature,
                    "ticket_id": str(theirs.ticket.id),
                    "filename": "signature.png",
                    "content_type": "image/png",
                    "sha256": hashlib.sha256(PNG).hexdigest(),
                    "size": len(PNG),
                }
            ]
        },
        "delivery_notes": {
            "created": [
                {
                    "id": note,
                    "ticket_id": str(theirs.ticket.id),
                    "signed_by": "Their Tenant",
                    "signed_at": 1795400000000,
                    "signature_attachment_id": signature,
                    "work_summary": "Fixed",
                    "created_at": 1795400000000,
                }
            ]
        },
    }
    pushed = client.post("/api/sync/push", data=json.dumps(changes), headers=device)
    assert pushed.status_code == 200, pushed.get_json()
    with app.app_context():
        notification = db.session.scalar(
            select(Notification.id).where(Notification.user_id == theirs.staff.id)
        )
    assert notification is not None
    return {
        "ticket_id": theirs.ticket.id,
        "block_id": theirs.block.id,
        "unit_id": theirs.unit.id,
        "contractor_id": theirs.contractor.id,
        "attachment_id": upload.get_json()["id"],
        "note_id": note,
        "notification_id": notification,
        **their_invoice(app, client, make, theirs),
        "kind": "time_entries",
        "record_id": "their-hours",
    }


def hours(ticket_id: int, entry_id: str) -> dict:
    """An hour of chargeable work, as a device pushes it."""
    return {
        "id": entry_id,
        "ticket_id": str(ticket_id),
        "started_at": MS,
        "ended_at": MS + 3_600_000,
        "minutes": 60,
        "chargeable": True,
        "created_at": MS,
    }


def their_invoice(app, client, make, theirs) -> dict:
    app.config["DEFAULT_HOURLY_RATE"] = "50.00"
    ticket = make.ticket(
        theirs.staff,
        theirs.block,
        theirs.unit,
        type="repair",
        priority="normal",
        billing="chargeable",
        reporter_id=theirs.tenant.id,
    )
    make.assign(ticket, theirs.contractor, theirs.staff)
    device = make.headers(theirs.contractor, device_id="their-handheld")
    entry = hours(ticket.id, "their-hours")
    body = {"time_entries": {"created": [entry]}}
    assert client.post("/api/sync/push", json=body, headers=device).status_code == 200
    draft = client.post(
        "/api/invoices", json={"ticket_id": ticket.id}, headers=make.headers(theirs.staff)
    )
    assert draft.status_code == 201, draft.get_json()
    invoice = draft.get_json()
    return {"invoice_id": invoice["id"], "line_id": invoice["lines"][0]["id"]}


def request_for(client, method, rule, values, headers, ours):
    """Call the route with a body that would be valid, so only scope can refuse it."""
    url = rule.rule
    for name in rule.arguments:
        url = re.sub(rf"<(?:[^:<>]+:)?{name}>", str(values[name]), url)
    bodies = {
        "tickets.post_message": {"body": "Hello"},
        "tickets.triage": {"type": "repair", "priority": "high"},
        "tickets.assign": {"contractor_id": ours.contractor.id},
        "tickets.change_status": {"status": "on_hold"},
        "tickets.update": {"summary": "Edited"},
        "tickets.mark_duplicate": {"duplicate_of": 1},
        "properties.create_unit": {"name": "Flat 9"},
        "properties.create_tenancy": {"tenant_id": ours.tenant.id, "starts_on": "2026-01-01"},
        "properties.create_certificate": {
            "kind": "gas_safety",
            "number": "GS-9",
            "issued_on": "2026-01-01",
            "expires_on": "2027-01-01",
        },
        "invoices.credit": {"reason": "Wrong rate"},
        "invoices.record_payment": {
            "amount": "1.00",
            "currency": "GBP",
            "method": "cash",
            "paid_at": "2026-04-01T10:00:00+00:00",
        },
        "ticket_bill_to.set_bill_to": {"customer_id": None},
        "invoice_drafts.set_invoice_bill_to": {"customer_id": None},
        "invoice_drafts.add_line": {"description": "Extra", "quantity": "1", "unit_price": "1"},
        "invoice_drafts.change_line": {"quantity": "2"},
    }
    if rule.endpoint == "attachments.upload":
        return client.post(
            url,
            data={"file": (io.BytesIO(PNG), "x.png", "image/png")},
            headers=headers,
            content_type="multipart/form-data",
        )
    if rule.endpoint == "sync.upload_attachment":
        digest = base64.b64encode(hashlib.sha256(PNG).digest()).decode()
        headers = {**headers, "Content-Digest": f"sha-256=:{digest}:"}
        return client.put(url, data=PNG, headers=headers, content_type="image/png")
    body = bodies.get(rule.endpoint)
    return client.open(url, method=method, json=body, headers=headers)


def test_the_idor_sweep_knows_every_route_with_an_id(app, ours):
    unknown = sorted(
        {endpoint for endpoint, _, rule in id_routes(app) if endpoint not in AGENCY_WIDE}
        - SCOPED
        - set(CONSOLE_PAGES)
        - set(PAGES)
    )
    assert unknown == [], "classify these routes in SCOPED, AGENCY_WIDE or PAGES"


# Properties are the agency's reference data: staff read and maintain every block
# (server.scope.may_read_block); tenants and contractors are scoped.
STAFF_AGENCY_WIDE = {
    "properties.create_tenancy",
    "properties.create_certificate",
    "properties.list_certificates",
}
# Bytes may arrive before their record, so an unknown id is accepted (201, kept as the
# caller's pending upload for that id); a record outside the caller's scope must
# answer the same.
ABSENT_IS_ACCEPTED = {"sync.upload_attachment"}


def _code(response):
    body = response.get_json(silent=True) or {}
    return body.get("code") if response.status_code >= 400 else sorted(body)


SCOPED = {
    "tickets.detail",
    "tickets.verify",
    "tickets.post_message",
    "tickets.triage",
    "tickets.assign",
    "tickets.end_assignment",
    "tickets.change_status",
    "tickets.update",
    "tickets.mark_duplicate",
    "tickets.list_messages",
    "attachments.upload",
    "attachments.list_attachments",
    "attachments.download",
    "delivery_notes.list_notes",
    "delivery_notes.note_pdf",
    "sync.upload_attachment",
    "sync.download_attachment",
    "properties.create_unit",
    "properties.create_tenancy",
    "properties.create_certificate",
    "properties.list_certificates",
    "notifications.mark_read",
    "invoices.detail",
    "invoices.discard",
    "invoices.pdf",
    "invoices.xml",
    "invoices.credit",
    "invoices.issue",
    "invoices.record_payment",
    "invoices.list_payments",
    "held_work.list_held",
    "held_work.approve",
    "held_work.reject",
    "ticket_bill_to.get_bill_to",
    "ticket_bill_to.set_bill_to",
    "invoice_drafts.set_invoice_bill_to",
    "invoice_drafts.add_line",
    "invoice_drafts.change_line",
    "invoice_drafts.remove_line",
}


@pytest.mark.parametrize("endpoint", sorted(SCOPED))
def test_ids_of_another_department_tenant_or_contractor_answer_like_ids_that_do_not_exist(
    app, client, make, ours, theirs_things, endpoint
):
    [(method, rule)] = [(m, r) for e, m, r in id_routes(app) if e == endpoint]
    missing = {
        name: 999_999 if f"<int:{name}>" in rule.rule else "no-such-id" for name in rule.arguments
    }
    mismatches = []
    for role in ("tenant", "contractor", "staff"):
        if role == "staff" and endpoint in STAFF_AGENCY_WIDE:
            continue
        headers = make.headers(getattr(ours, role), device_id=f"{role}-probe")
        before = row_counts(app)
        theirs = request_for(client, method, rule, theirs_things, headers, ours)
        after = row_counts(app)
        if endpoint in ABSENT_IS_ACCEPTED:
            # The bytes wait as the caller's own upload for that id, which can only ever
            # complete a record of the caller's: nothing of theirs changes.
            before.pop("pending_uploads"), after.pop("pending_uploads")
        absent = request_for(client, method, rule, missing, headers, ours)
        refused = theirs.status_code in (403, 404) or endpoint in ABSENT_IS_ACCEPTED
        if (
            not refused
            or theirs.status_code != absent.status_code
            or _code(theirs) != _code(absent)
            or after != before
        ):
            mismatches.append((role, theirs.status_code, absent.status_code))
    assert mismatches == []


# Tokens -------------------------------------------------------------------------


def sync_calls():
    digest = base64.b64encode(hashlib.sha256(PNG).digest()).decode()
    return [
        ("GET", "/api/sync/pull?last_pulled_at=", None, {}),
        ("POST", "/api/sync/push", json.dumps({"ticket_messages": {"created": []}}), {}),
        ("PUT", "/api/sync/attachments/att-x", PNG, {"Content-Digest": f"sha-256=:{digest}:"}),
        ("GET", "/api/sync/attachments/att-x", None, {}),
    ]


def test_a_revoked_devices_token_is_401_on_every_sync_endpoint(app, world):
    headers = world.headers("carl@x.test", "lost-handheld")
    staff = world.headers("staff@x.test", None)
    devices = world.client.get("/api/sync/devices", headers=staff).get_json()
    device = next(d for d in devices if d["device_id"] == "lost-handheld")
    revoke = world.client.post(f"/api/sync/devices/{device['id']}/revoke", headers=staff)
    assert revoke.status_code == 200
    before = row_counts(app)
    for method, url, body, extra in sync_calls():
        response = world.client.open(url, method=method, data=body, headers={**headers, **extra})
        assert response.status_code == 401, url
        assert response.get_json()["code"] == "device_revoked"
    push = world.push(headers, {"ticket_messages": {"created": [message(world)]}})
    assert push.status_code == 401
    assert row_counts(app) == before


def _tampered(token: str) -> list[str]:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    other_user = dict(claims, sub=str(int(claims["sub"]) + 1))
    forged = base64.urlsafe_b64encode(json.dumps(other_user).encode()).rstrip(b"=").decode()
    none = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    return [
        f"{header}.{forged}.{signature}",  # another user's id, old signature
        f"{none}.{payload}.",  # alg none
        jwt.encode(dict(claims, exp=claims["iat"] - 1), SECRET, algorithm="HS256"),  # expired
        jwt.encode(claims, "x" * 64, algorithm="HS256"),  # another key
        jwt.encode(dict(claims, dev="someone-elses-handheld"), "y" * 64, algorithm="HS256"),
        token[:-2] + ("AA" if token[-2:] != "AA" else "BB"),  # flipped signature bits
    ]


def test_tampered_tokens_are_401_on_every_sync_endpoint(app, world):
    token = world.headers("carl@x.test")["Authorization"].split()[1]
    before = row_counts(app)
    for forged in _tampered(token):
        for method, url, body, extra in sync_calls():
            headers = {"Authorization": f"Bearer {forged}", **extra}
            response = world.client.open(url, method=method, data=body, headers=headers)
            assert response.status_code == 401, (url, forged)
            assert response.mimetype == "application/problem+json"
    assert row_counts(app) == before


# Login throttling -----------------------------------------------------------------


def login(client, email, password, ip):
    return client.post(
        "/api/auth/token",
        json={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_guessing_one_accounts_password_from_many_addresses_is_throttled(app, client, make, ours):
    """A botnet's guesses block the account past LOGIN_ACCOUNT_MAX_FAILURES, except for
    an address its owner logged in from before: nobody outside can lock them out."""
    app.config["LOGIN_ACCOUNT_MAX_FAILURES"] = 5
    home = "198.51.100.7"
    assert login(client, ours.tenant.email, "correct horse battery", home).status_code == 200
    statuses = [
        login(client, ours.tenant.email, f"guess-{n}", f"203.0.113.{n}").status_code
        for n in range(8)
    ]
    assert statuses == [401] * 5 + [429] * 3
    right = login(client, ours.tenant.email, "correct horse battery", "198.51.100.99")
    assert right.status_code == 429  # an address the account never used waits
    assert login(client, ours.tenant.email, "correct horse battery", home).status_code == 200


def test_spraying_one_password_over_many_accounts_gets_each_account_five_guesses(
    client, make, ours
):
    """One address gets at most five guesses per account, and LOGIN_ADDRESS_MAX_FAILURES
    over all accounts; the accounts' owners elsewhere are not affected."""
    accounts = [make.user("tenant").email for _ in range(4)]
    for _ in range(6):
        for email in accounts:
            login(client, email, "Summer2026!", "203.0.113.9")
    for email in accounts:
        assert login(client, email, "Summer2026!", "203.0.113.9").status_code == 429
        assert login(client, email, "correct horse battery", "198.51.100.1").status_code == 200


# ERP payments, replayed -------------------------------------------------------------

ERP_SECRET = "whsec_" + base64.b64encode(b"erp-inbound-secret-0123456789ab").decode()


def signed(body: str, msg_id: str, at: datetime) -> dict:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(ERP_SECRET).sign(msg_id, at, body),
        "Content-Type": "application/json",
    }


@pytest.fixture
def issued_invoice(app, client, make, ours) -> dict:
    app.config.update(
        ERP_INBOUND_SECRET=ERP_SECRET, DEFAULT_HOURLY_RATE="50.00", AGENCY_VAT_ID="GB123456789"
    )
    ticket = make.ticket(
        ours.staff, ours.block, ours.unit, type="repair", priority="normal",
        billing="chargeable", reporter_id=ours.tenant.id,
    )  # fmt: skip
    make.assign(ticket, ours.contractor, ours.staff)
    device = make.headers(ours.contractor, device_id="handheld")
    entry = hours(ticket.id, "hours-1")
    body = {"time_entries": {"created": [entry]}}
    assert client.post("/api/sync/push", json=body, headers=device).status_code == 200
    staff = make.headers(ours.staff)
    draft = client.post("/api/invoices", json={"ticket_id": ticket.id}, headers=staff).get_json()
    issued = client.post(f"/api/invoices/{draft['id']}/issue", headers=staff)
    assert issued.status_code == 200, issued.get_json()
    return issued.get_json()


def payment(invoice: dict, amount: str) -> str:
    return json.dumps(
        {
            "invoice_number": invoice["number"],
            "amount": amount,
            "currency": invoice["currency"],
            "paid_at": "2026-04-01T10:00:00+00:00",
            "reference": "BANK-1",
        }
    )


def test_a_replayed_payment_webhook_is_acknowledged_and_pays_once(
    app, client, make, ours, issued_invoice
):
    body = payment(issued_invoice, "10.00")
    headers = signed(body, "msg_replayed", datetime.now(UTC))
    first = client.post("/api/erp/payments", data=body, headers=headers)
    assert first.status_code == 200 and first.get_json()["status"] == "applied"
    counts = row_counts(app)
    for _ in range(3):  # the identical request again, byte for byte
        again = client.post("/api/erp/payments", data=body, headers=headers)
        assert again.status_code == 200 and again.get_json()["status"] == "duplicate"
    fresh = signed(body, "msg_replayed", datetime.now(UTC))  # re-signed retry, same id
    assert client.post("/api/erp/payments", data=body, headers=fresh).get_json() == {
        "status": "duplicate"
    }
    assert row_counts(app) == counts
    invoice = client.get(
        f"/api/invoices/{issued_invoice['id']}", headers=make.headers(ours.staff)
    ).get_json()
    assert invoice["amount_paid"] == "10.00"


@pytest.mark.parametrize("age", [timedelta(minutes=6), timedelta(days=2), -timedelta(minutes=6)])
def test_a_payment_webhook_with_a_stale_or_future_timestamp_is_401(
    app, client, issued_invoice, age
):
    body = payment(issued_invoice, "10.00")
    before = row_counts(app)
    headers = signed(body, f"msg_{uuid.uuid4().hex}", datetime.now(UTC) - age)
    response = client.post("/api/erp/payments", data=body, headers=headers)
    assert response.status_code == 401
    assert response.get_json()["code"] == "webhook_stale_timestamp"
    assert row_counts(app) == before


@pytest.mark.parametrize(
    "body",
    [
        "[" * 30_000 + "]" * 30_000,  # under ERP_MAX_BODY_BYTES, over any parser's depth
        '{"invoice_number": "INV", "amount": NaN, "currency": "GBP"}',
        '{"invoice_number": "INV-\\u0000", "amount": "1.00", "currency": "GBP", '
        '"paid_at": "2026-04-01T10:00:00+00:00", "reference": "x\\u0000"}',
        '{"invoice_number": "INV-1", "amount": "1.00", "reference": "raw \x00 byte"}',
    ],
    ids=["deeply nested", "NaN", "NUL", "raw NUL byte"],
)
def test_a_signed_but_hostile_payment_body_is_4xx_and_pays_nothing(
    app, client, make, ours, issued_invoice, body
):
    before = {k: v for k, v in row_counts(app).items() if k != "rejected_payments"}
    headers = signed(body, f"msg_{uuid.uuid4().hex}", datetime.now(UTC))
    response = client.post("/api/erp/payments", data=body, headers=headers)
    assert response.status_code in (400, 422), response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    after = {k: v for k, v in row_counts(app).items() if k != "rejected_payments"}
    assert after == before

"""Billing in `fieldline demo`: rates, an owner who pays, seller and bank details, an ERP
secret, and `fieldline demo --walkthrough`, the commands from a device push to a paid,
closed ticket.

Demo settings live in the demo process only (`fieldline demo` serves with them): each
applies unless the environment sets it. The ERP secret is generated once and kept in
the instance folder (`demo-erp-secret`), so every run prints the same one.
"""

import base64
import hashlib
import json
import math
import os
import secrets
import shlex
import struct
import zlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from billing.customers import create_customer, owner_of, set_block_owner
from billing.models import BlockOwner, Customer, LabourCategory
from billing.service import create_labour_category
from server.extensions import db
from server.models import Block, Ticket, User

SETTINGS = {
    "AGENCY_VAT_ID": "GB123456789",
    "AGENCY_COMPANY_NUMBER": "09876543",
    "AGENCY_POSTCODE": "EC1A 1BB",
    "AGENCY_CITY": "London",
    "BANK_NAME": "Demo Bank plc",
    "BANK_SORT_CODE": "12-34-56",
    "BANK_ACCOUNT_NUMBER": "12345678",
    "BANK_IBAN": "GB33BUKB20201555555555",
    "DEFAULT_HOURLY_RATE": "45.00",
}
CATEGORIES = {"Plumber": ("52.50", "carl.plumber"), "Electrician": ("58.00", "eve.electric")}
OWNER = {
    "name": "Riverside Freehold Ltd",
    "address": "8 Wharf Road\nLondon N1 7GR",
    "email": "accounts@riverside-freehold.example",
    "vat_number": "GB987654321",
}
OWNED_BLOCK = "Riverside Court"
WALKTHROUGH_TICKET = "Leaking kitchen tap"
SECRET_FILE = "demo-erp-secret"


def apply_settings(app) -> dict[str, str]:
    """Put the demo's billing settings into `app.config` where the environment left them
    empty; returns what the demo uses (shown with the logins)."""
    used = {}
    for name, value in SETTINGS.items():
        if not os.environ.get(name) and not app.config.get(name):
            app.config[name] = value
        used[name] = str(app.config.get(name))
    if not app.config.get("ERP_INBOUND_SECRET"):
        app.config["ERP_INBOUND_SECRET"] = _instance_secret(app.instance_path)
    used["ERP_INBOUND_SECRET"] = app.config["ERP_INBOUND_SECRET"]
    return used


def _instance_secret(instance_path: str) -> str:
    os.makedirs(instance_path, exist_ok=True)
    path = os.path.join(instance_path, SECRET_FILE)
    if not os.path.exists(path):
        secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secret)
    with open(path) as f:
        return f.read().strip()


def load_billing_data() -> None:
    """Labour categories for the demo contractors and an owner for Riverside Court;
    safe to run again (finds what is there by name)."""
    names = set(db.session.scalars(select(LabourCategory.name)))
    for name, (rate, login) in CATEGORIES.items():
        if name not in names:
            category = create_labour_category(None, name=name, hourly_rate=Decimal(rate))
            contractor = db.session.scalar(
                select(User).where(User.email == f"{login}@demo.fieldline")
            )
            if contractor is not None and contractor.labour_category_id is None:
                contractor.labour_category_id = category.id
    block = db.session.scalar(select(Block).where(Block.name == OWNED_BLOCK))
    if block is not None and owner_of(BlockOwner, block.id) is None:
        owner = db.session.scalar(select(Customer).where(Customer.name == OWNER["name"]))
        owner = owner or create_customer(None, **OWNER)
        set_block_owner(None, block.id, owner.id)
    db.session.flush()


# The walkthrough ---------------------------------------------------------------------


def _signature_png(width: int = 360, height: int = 120) -> bytes:
    """A greyscale PNG of a scribbled signature (deterministic)."""
    ink = set()
    for step in range(1400):
        x = 20 + step * (width - 40) / 1400
        y = height / 2 + 28 * math.sin(step / 55) * math.cos(step / 170) + 9 * math.sin(step / 9)
        for dx in (0, 1):
            for dy in (-1, 0, 1):
                ink.add((int(x) + dx, int(y) + dy))
    rows = b"".join(
        b"\x00" + bytes(0 if (x, y) in ink else 255 for x in range(width)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def _record(ticket_id: int, created: int, **fields) -> dict:
    return {"ticket_id": str(ticket_id), "created_at": created, "_status": "created",
            "_changed": "", **fields}  # fmt: skip


def _push_body(ticket_id: int, signature_id: str, png: bytes, now: datetime) -> dict:
    """What Carl's handheld sends after the visit: 95 minutes, two valves, the customer's
    signature and the signed delivery note."""
    signed = int(now.timestamp() * 1000)
    started = signed - 100 * 60 * 1000
    tables = ("tickets", "ticket_messages", "time_entries", "materials", "delivery_notes",
              "attachments")  # fmt: skip
    body = {table: {"created": [], "updated": [], "deleted": []} for table in tables}
    body["time_entries"]["created"].append(_record(
        ticket_id, signed, id=f"demo-te-{ticket_id}", started_at=started,
        ended_at=started + 95 * 60 * 1000, minutes=95, chargeable=True,
        note="Replaced the tap cartridge and the valve under the sink"))  # fmt: skip
    body["materials"]["created"].append(_record(
        ticket_id, signed, id=f"demo-mat-{ticket_id}", description="Thermostatic valve 15 mm",
        quantity="2", unit="pc", unit_price="18.50", chargeable=True))  # fmt: skip
    body["attachments"]["created"].append(_record(
        ticket_id, signed, id=signature_id, message_id=None, filename="signature.png",
        content_type="image/png", sha256=hashlib.sha256(png).hexdigest(),
        size=len(png)))  # fmt: skip
    body["delivery_notes"]["created"].append(_record(
        ticket_id, signed, id=f"demo-note-{ticket_id}", signed_by="Zoë Łukasiewicz",
        signed_at=signed, signature_attachment_id=signature_id,
        work_summary="Kitchen tap cartridge and valve replaced; no more leaks."))  # fmt: skip
    return body


def walkthrough(base_url: str, password: str) -> str:
    """The walkthrough as a bash script (prose in comments), with the files it sends
    written to `<instance>/walkthrough/`. Meant for a fresh demo."""
    app = current_app
    ticket = db.session.scalar(select(Ticket).where(Ticket.summary == WALKTHROUGH_TICKET))
    if ticket is None:
        raise RuntimeError("the demo data is not loaded")
    folder = os.path.join(app.instance_path, "walkthrough")
    os.makedirs(folder, exist_ok=True)
    png = _signature_png()
    signature_id = f"demo-signature-{ticket.id}"
    push = _push_body(ticket.id, signature_id, png, datetime.now(UTC) - timedelta(minutes=5))
    push_file = os.path.join(folder, "push.json")
    png_file = os.path.join(folder, "signature.png")
    with open(push_file, "w") as f:
        json.dump(push, f, ensure_ascii=False, indent=1)
    with open(png_file, "wb") as f:
        f.write(png)
    digest = base64.b64encode(hashlib.sha256(png).digest()).decode()
    secret = app.config["ERP_INBOUND_SECRET"]
    field = "python3 -c 'import json,sys; print(json.load(sys.stdin){})'"
    return WALKTHROUGH.format(
        base=base_url,
        password=password,
        ticket=ticket.id,
        ref=ticket.ref,
        folder=shlex.quote(folder),
        signature_id=signature_id,
        digest=digest,
        secret=secret,
        token=field.format('["access_token"]'),
        draft_id=field.format('[0]["id"]'),
        number=field.format('["number"]'),
        gross=field.format('["gross_total"]'),
        status=field.format('["status"]'),
        invoice_status=field.format('[0]["status"]'),
    )


WALKTHROUGH = """\
# Fieldline demo walkthrough: from a contractor's device to a paid, closed ticket.
# Run it against a fresh `fieldline demo` serving on {base} (delete the
# instance folder to start again); every command is bash with curl.
# Ticket {ref} ("Leaking kitchen tap", Flat 1, Riverside Court) is chargeable and assigned
# to Carl Plumber (labour category Plumber, 52.50/h).
# Riverside Court's owner, Riverside Freehold Ltd, pays for its repairs.
set -euo pipefail
BASE={base}
TICKET={ticket}
FILES={folder}

# 1. Carl logs in on his handheld (a device token).
CARL=$(curl -sf "$BASE/api/auth/token" -H 'Content-Type: application/json' \\
  -d '{{"email": "carl.plumber@demo.fieldline", "password": "{password}",
       "device_id": "demo-handheld"}}' | {token})

# 2. The handheld pushes the visit: 95 minutes of chargeable work, two valves at 18.50,
#    the customer's signature and the signed delivery note ($FILES/push.json).
curl -sf -X POST "$BASE/api/sync/push?last_pulled_at=1" -H "Authorization: Bearer $CARL" \\
  -H 'Content-Type: application/json' --data-binary "@$FILES/push.json"
echo
#    ...and uploads the signature image the note refers to.
curl -sf -X PUT "$BASE/api/sync/attachments/{signature_id}" -H "Authorization: Bearer $CARL" \\
  -H 'Content-Type: image/png' -H 'Content-Digest: sha-256=:{digest}:' \\
  --data-binary "@$FILES/signature.png"
echo

# 3. Maria (staff) finds the draft invoice the signed note made: billed to Riverside
#    Freehold Ltd, 1.58 h x 52.50 and 2 x 18.50, VAT 20 %, no warnings.
MARIA=$(curl -sf "$BASE/api/auth/token" -H 'Content-Type: application/json' \\
  -d '{{"email": "maria.manager@demo.fieldline", "password": "{password}"}}' | {token})
INVOICE=$(curl -sf "$BASE/api/invoices?ticket_id=$TICKET" -H "Authorization: Bearer $MARIA" \\
  | {draft_id})
curl -sf "$BASE/api/invoices/$INVOICE" -H "Authorization: Bearer $MARIA"
echo

# 4. She issues it (a draft with warnings would answer 409 invoice_has_warnings) and
#    saves the VAT invoice PDF.
ISSUED=$(curl -sf -X POST "$BASE/api/invoices/$INVOICE/issue" -H "Authorization: Bearer $MARIA")
NUMBER=$(echo "$ISSUED" | {number})
AMOUNT=$(echo "$ISSUED" | {gross})
curl -sf "$BASE/api/invoices/$INVOICE.pdf" -H "Authorization: Bearer $MARIA" -o "$NUMBER.pdf"
echo "Issued $NUMBER for GBP $AMOUNT; the PDF is in $NUMBER.pdf"

# 5. The bank pays it, and the ERP reports the payment, signed with the demo's
#    ERP_INBOUND_SECRET (Standard Webhooks). `fieldline erp sign-payment` signs it.
#    (Staff can record the same payment by hand instead:
#     curl -X POST "$BASE/api/invoices/$INVOICE/payments" -H "Authorization: Bearer $MARIA" \\
#       -H 'Content-Type: application/json' -H 'Idempotency-Key: demo-payment-1' \\
#       -d '{{"amount": "'$AMOUNT'", "currency": "GBP", "method": "bank_transfer",
#            "paid_at": "2026-01-01T10:00:00+00:00", "reference": "BACS 1"}}')
fieldline erp sign-payment --url "$BASE/api/erp/payments" --secret '{secret}' \\
  --invoice "$NUMBER" --amount "$AMOUNT" --currency GBP --reference "BACS $NUMBER" --send
echo

# 6. Paid in full, the ticket closed by itself (and the ERP heard invoice.paid and
#    ticket.closed).
curl -sf "$BASE/api/invoices?ticket_id=$TICKET" -H "Authorization: Bearer $MARIA" \\
  | {invoice_status}
curl -sf "$BASE/api/tickets/$TICKET" -H "Authorization: Bearer $MARIA" | {status}
"""

"""Rates and invoices: labour categories (admin), drafts, issue, credit notes, PDF and XML.

Invoices are for staff only: tenants and contractors get 403 on every invoice
endpoint (whatever the ticket), staff see the invoices of the tickets in their scope
(departments, managed blocks) and 404 for the rest, admins see all.
"""

from flask import current_app, stream_with_context
from flask_smorest import Blueprint
from sqlalchemy import select

from billing import exports, invoice_documents, invoice_payments, service
from billing.customer_schemas import IssueSchema
from billing.models import LabourCategory
from billing.schemas import (
    ContractorCategorySchema,
    ContractorRateSchema,
    CreditNoteCreateSchema,
    DraftCreateSchema,
    ExportQuerySchema,
    InvoiceListQuerySchema,
    InvoiceSchema,
    LabourCategoryCreateSchema,
    LabourCategorySchema,
    PaymentCreateSchema,
    PaymentSchema,
    XmlQuerySchema,
)
from server import idempotency
from server.api.access import requires
from server.api.downloads import send_bytes
from server.auth import current_caller
from server.errors import Invalid, NotFound
from server.extensions import db
from server.models import User
from server.scope import ticket_scope

rates_blp = Blueprint(
    "billing_rates", __name__, url_prefix="/api/billing", description="Billing rates"
)
blp = Blueprint(
    "invoices",
    __name__,
    url_prefix="/api/invoices",
    description=(
        "Invoices and credit notes (staff). Amounts are decimal strings. Numbers are "
        "gapless per series and year (INV-2026-000001, credit notes CN-2026-000001) and "
        "given when a draft is issued; issued documents never change."
    ),
)
ACTION_ERRORS = {"403": "FORBIDDEN", "409": "CONFLICT"}
STAFF = ("staff", "admin")
# Access is re-checked on every read, so caches revalidate.
DOCUMENT_HEADERS = {"Cache-Control": "private, no-cache"}


@rates_blp.post("/labour-categories")
@requires("admin")
@rates_blp.arguments(LabourCategoryCreateSchema)
@rates_blp.response(201, LabourCategorySchema)
@rates_blp.alt_response(409, response="CONFLICT")
def create_labour_category(data):
    """Admin: a labour category with its hourly rate (net of VAT)."""
    return service.create_labour_category(current_caller(), **data)


@rates_blp.get("/labour-categories")
@requires(*STAFF)
@rates_blp.response(200, LabourCategorySchema(many=True))
def list_labour_categories():
    """Labour categories and their hourly rates."""
    return db.session.scalars(select(LabourCategory).order_by(LabourCategory.name)).all()


@rates_blp.put("/contractors/<int:user_id>/labour-category")
@requires("admin")
@rates_blp.arguments(ContractorCategorySchema)
@rates_blp.response(200, ContractorRateSchema)
def set_labour_category(data, user_id):
    """Admin: put a contractor in a labour category (null: none). Drafts made from now
    on bill their hours at that category's rate."""
    user = db.session.get(User, user_id)
    if user is None or user.role != "contractor":
        raise NotFound("No such contractor.", code="contractor_not_found")
    category = data["labour_category"]
    if category is not None and db.session.get(LabourCategory, category) is None:
        raise Invalid("Unknown labour category.", errors={"labour_category": ["unknown"]})
    user.labour_category_id = category
    db.session.flush()
    return user


@blp.get("")
@requires(*STAFF)
@blp.arguments(InvoiceListQuerySchema, location="query")
@blp.response(200, InvoiceSchema(many=True))
def list_invoices(query):
    """Invoices and credit notes in the caller's scope, oldest first (`ticket_id` filters)."""
    return service.list_invoices(current_caller(), query.get("ticket_id"))


@blp.post("")
@requires(*STAFF)
@blp.doc(responses=ACTION_ERRORS)
@blp.arguments(DraftCreateSchema)
@blp.response(201, InvoiceSchema)
def create_draft(data):
    """Draft an invoice by hand from a chargeable ticket's work not yet invoiced.

    Signing a delivery note does this by itself; by hand it is for work invoiced
    again after a credit note, or after a draft was discarded."""
    return service.draft_for_ticket(current_caller(), data["ticket_id"])


@blp.get("/<int:invoice_id>")
@requires(*STAFF)
@blp.response(200, InvoiceSchema)
def detail(invoice_id):
    """An invoice or credit note with its lines."""
    return service.get_visible_invoice(current_caller(), invoice_id)


@blp.delete("/<int:invoice_id>")
@requires(*STAFF)
@blp.doc(responses=ACTION_ERRORS)
@blp.response(204)
def discard(invoice_id):
    """Discard a draft (409 once issued); its work can be drafted again."""
    service.discard_draft(current_caller(), invoice_id)


@blp.post("/<int:invoice_id>/issue")
@requires(*STAFF)
@blp.doc(responses=ACTION_ERRORS)
@blp.arguments(IssueSchema, required=False)
@blp.response(200, InvoiceSchema)
def issue(data, invoice_id):
    """Issue a draft: it gets the next number of its series and never changes again.
    Sends `invoice.issued` to the ERP endpoints. 409 `invoice_has_warnings` (listed in
    `errors.warnings`) unless `{"force": true}`; 409 `seller_vat_id_missing` when a line
    charges VAT and AGENCY_VAT_ID is not set."""
    return service.issue_invoice(current_caller(), invoice_id, force=data.get("force", False))


@blp.post("/<int:invoice_id>/credit-notes")
@requires(*STAFF)
@blp.doc(responses=ACTION_ERRORS)
@blp.arguments(CreditNoteCreateSchema)
@blp.response(201, InvoiceSchema)
def credit(data, invoice_id):
    """Credit an issued invoice, in full or in part: a credit note with its own number
    (CN-…) whose lines are the credited quantities negated at the same prices (totals
    exactly negated), `invoice.credited` to the ERP.

    Without `lines` everything not credited yet is credited and the invoice becomes
    `credited` (its work can be invoiced again). With `lines: [{line_id, quantity?}]`
    only those lines (or quantities; default all that is left of the line) are
    credited; more than is left answers 422 `credit_exceeds_invoice`. The invoice's
    `amount_credited` and `outstanding` follow."""
    return service.credit_invoice(current_caller(), invoice_id, data["reason"], data.get("lines"))


@blp.post("/<int:invoice_id>/payments")
@requires(*STAFF)
@blp.doc(
    parameters=[
        {
            "in": "header",
            "name": idempotency.HEADER,
            "required": False,
            "schema": {"type": "string", "maxLength": idempotency.MAX_LENGTH},
            "description": (
                "A unique key per payment (a Structured Fields string, e.g. a UUID in "
                "quotes). The same key with the same body answers the first response "
                "again (same status and body, `Idempotent-Replayed: true`) and records "
                "nothing; with another body, 422 `idempotency_key_reused`. Keys are per "
                "user and kept for IDEMPOTENCY_KEY_RETENTION_HOURS."
            ),
        }
    ],
    responses={"403": "FORBIDDEN", "404": "NOT_FOUND"},
)
@blp.arguments(PaymentCreateSchema)
@blp.response(201, PaymentSchema)
def record_payment(data, invoice_id):
    """Record a payment received outside the ERP (bank transfer, card, cash, cheque).

    The rules of ERP payments: the invoice's currency (422 `currency_mismatch`), an
    issued invoice (422 `invoice_not_payable`), never more than is outstanding (422
    `overpayment`); partial payments add up. The one that settles the invoice marks it
    `paid`, sends `invoice.paid`, and closes the ticket if it is resolved."""
    caller = current_caller()
    return idempotency.respond_once(
        caller,
        201,
        lambda: PaymentSchema().dump(
            invoice_payments.record_staff_payment(caller, invoice_id, **data)
        ),
    )


@blp.get("/<int:invoice_id>/payments")
@requires(*STAFF)
@blp.response(200, PaymentSchema(many=True))
def list_payments(invoice_id):
    """The payments of an invoice, from the ERP and recorded by staff, oldest first."""
    return invoice_payments.payments_of(service.get_visible_invoice(current_caller(), invoice_id))


@blp.get("/<int:invoice_id>.pdf")
@requires(*STAFF)
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf")
def pdf(invoice_id):
    """The invoice as PDF: Factur-X (PDF/A-3 with the CII XML inside) once issued, when
    AGENCY_VAT_ID is set. The same invoice always gives the same bytes."""
    invoice = service.get_visible_invoice(current_caller(), invoice_id)
    name = invoice.number or f"draft-{invoice.id}"
    return send_bytes(
        invoice_documents.pdf_bytes(invoice),
        f"{name}.pdf",
        "application/pdf",
        headers=DOCUMENT_HEADERS,
    )


@blp.get("/<int:invoice_id>.xml")
@requires(*STAFF)
@blp.arguments(XmlQuerySchema, location="query")
@blp.response(200, {"type": "string"}, content_type="application/xml")
@blp.alt_response(409, response="CONFLICT")
def xml(query, invoice_id):
    """EN 16931 e-invoice of an issued invoice or credit note: `flavor=cii` (Factur-X /
    UN/CEFACT CII, the default) or `ubl` (UBL 2.1). 409 for a draft, or when
    AGENCY_VAT_ID is not set."""
    invoice = service.get_visible_invoice(current_caller(), invoice_id)
    flavor = query["flavor"]
    return send_bytes(
        invoice_documents.xml_bytes(invoice, flavor),
        f"{invoice.number}-{flavor}.xml",
        "application/xml",
        headers=DOCUMENT_HEADERS,
    )


exports_blp = Blueprint(
    "exports",
    __name__,
    url_prefix="/api/exports",
    description=(
        "Back-office CSV exports (staff: their departments and blocks; admin: all), "
        "streamed. UTF-8, header row, ISO 8601 dates and UTC times, decimal strings, "
        "cells that could start a spreadsheet formula escaped with a leading quote."
    ),
)


@exports_blp.get(f"/<any({', '.join(exports.KINDS)}):kind>.csv")
@requires(*STAFF)
@exports_blp.arguments(ExportQuerySchema, location="query")
@exports_blp.response(200, {"type": "string"}, content_type="text/csv")
def export(query, kind):
    """One export as CSV: `tickets`, `time_entries`, `materials`, `invoices`,
    `invoice_lines`, or `xero_invoices` (Xero's sales invoice import, one row per line).
    `from` and `to` are dates in the agency's timezone, both inclusive."""
    scope = ticket_scope(current_caller())
    chunks = exports.csv_chunks(kind, scope, query.get("start"), query.get("end"))
    headers = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
    response = current_app.response_class(
        stream_with_context(chunks), mimetype="text/csv", headers=headers
    )
    # Streamed (send_file wants the whole file); werkzeug still writes the header.
    response.headers.set("Content-Disposition", "attachment", filename=f"{kind}.csv")
    return response

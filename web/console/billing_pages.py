"""Invoices in the console: the list (filters, cursor pages), an invoice's page, and
its PDF and e-invoice. Scope and roles are the API's: `service.get_visible_invoice`
and `invoice_queries` (the caller's tickets), staff and admins only."""

import uuid
from urllib.parse import urlencode

from flask import current_app, request
from sqlalchemy import select

from billing import crediting, invoice_documents, invoice_payments, invoice_queries, service
from billing.issue_checks import current_warnings
from billing.models import INVOICE_STATUSES, PAYMENT_METHODS, Customer, Invoice
from billing.schemas import XmlQuerySchema, outstanding_of
from server.errors import Invalid
from server.extensions import db
from server.models import Block, Ticket
from web.access import STAFF, signed_in
from web.console import bp
from web.forms import read_form
from web.rendering import page

FILTER_LABELS = {
    "status": "Status",
    "kind": "Kind",
    "issued_from": "Issued from",
    "issued_to": "Issued to",
    "block": "Block",
    "customer": "Customer",
    "overdue": "Overdue",
    "cursor": "Page",
    "limit": "Rows",
}
METHOD_NAMES = {
    "bank_transfer": "Bank transfer",
    "card": "Card",
    "cash": "Cash",
    "cheque": "Cheque",
    "other": "Other",
}
DOCUMENT_HEADERS = {"Cache-Control": "private, no-cache"}


def page_urls(path: str, args, next_cursor) -> tuple[str | None, str | None]:
    """(next page, first page) links that keep the filters."""
    kept = {k: v for k, v in args.items() if k != "cursor" and v}
    next_url = f"{path}?{urlencode({**kept, 'cursor': next_cursor})}" if next_cursor else None
    first_url = f"{path}?{urlencode(kept)}" if args.get("cursor") else None
    return next_url, first_url


@bp.get("/billing/invoices")
@signed_in(*STAFF)
def invoice_list(caller):
    errors = {}
    try:
        filters = read_form(invoice_queries.InvoiceFilterSchema(), request.args, flags=())
    except Invalid as error:
        errors, filters = error.errors or {}, {"limit": 50}
    result = invoice_queries.invoice_page(caller, filters)
    next_url, first_url = page_urls("/billing/invoices", request.args, result["next_cursor"])
    return page(
        "console/billing/invoices.html",
        status=422 if errors else 200,
        invoices=result["items"],
        tickets=result["tickets"],
        outstanding_of=outstanding_of,
        errors=errors,
        labels=FILTER_LABELS,
        args=request.args,
        statuses=INVOICE_STATUSES,
        blocks=db.session.scalars(select(Block).order_by(Block.name).limit(500)).all(),
        customers=db.session.scalars(select(Customer).order_by(Customer.name).limit(500)).all(),
        today=invoice_queries.local_today(),
        next_url=next_url,
        first_url=first_url,
    )


def invoice_page(caller, invoice_id: int, *, status: int = 200, errors=None, values=None,
                 problem=None, key=None):  # fmt: skip
    """An invoice's page; the actions re-render it with their errors (nothing changed)."""
    invoice = service.get_visible_invoice(caller, invoice_id)
    ticket = db.session.get(Ticket, invoice.ticket_id)
    left = crediting.uncredited(invoice) if invoice.kind == "invoice" else {}
    notes = db.session.scalars(
        select(Invoice).where(Invoice.credited_invoice_id == invoice.id).order_by(Invoice.id)
    ).all()
    credited = None
    if invoice.credited_invoice_id:
        credited = db.session.get(Invoice, invoice.credited_invoice_id)
    return page(
        "console/billing/invoice.html",
        status=status,
        invoice=invoice,
        ticket=ticket,
        warnings=current_warnings(invoice) if invoice.status == "draft" else [],
        left=left,
        notes=notes,
        credited=credited,
        payments=invoice_payments.payments_of(invoice),
        outstanding=outstanding_of(invoice),
        methods=[(m, METHOD_NAMES[m]) for m in PAYMENT_METHODS],
        method_names=METHOD_NAMES,
        errors=errors or {},
        values=values or {},
        problem=problem,
        key=key or uuid.uuid4().hex,
        today=invoice_queries.local_today(),
    )


@bp.get("/billing/invoices/<int:invoice_id>")
@signed_in(*STAFF)
def invoice_detail(caller, invoice_id):
    return invoice_page(caller, invoice_id)


@bp.get("/billing/invoices/<int:invoice_id>.pdf")
@signed_in(*STAFF)
def invoice_pdf(caller, invoice_id):
    invoice = service.get_visible_invoice(caller, invoice_id)
    name = invoice.number or f"draft-{invoice.id}"
    headers = dict(DOCUMENT_HEADERS, **{"Content-Disposition": f'inline; filename="{name}.pdf"'})
    return current_app.response_class(
        invoice_documents.pdf_bytes(invoice), mimetype="application/pdf", headers=headers
    )


@bp.get("/billing/invoices/<int:invoice_id>.xml")
@signed_in(*STAFF)
def invoice_xml(caller, invoice_id):
    flavor = read_form(XmlQuerySchema(), request.args)["flavor"]
    invoice = service.get_visible_invoice(caller, invoice_id)
    body = invoice_documents.xml_bytes(invoice, flavor)
    name = f"{invoice.number}-{flavor}.xml"
    headers = dict(DOCUMENT_HEADERS, **{"Content-Disposition": f'attachment; filename="{name}"'})
    return current_app.response_class(body, mimetype="application/xml", headers=headers)

"""What staff do on an invoice's page: edit a draft's lines, issue, discard, record a
payment, credit. Each POST calls the API's service and redirects (post/redirect/get);
a refusal re-renders the page with the problem in words and nothing changed.

A payment form carries a one-time key (hidden field) that goes through the API's own
idempotency mechanism (`server.idempotency.run_once`): a double submit records one
payment and the second answer says so."""

import hashlib
import json
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app, flash, redirect, request

from billing import draft_edits, invoice_payments, service
from billing.customer_schemas import LineChangeSchema, LineCreateSchema
from billing.money import to_str
from billing.schemas import CreditNoteCreateSchema, PaymentCreateSchema, PaymentSchema
from server import idempotency
from server.errors import DomainError, Invalid
from web.access import STAFF, signed_in
from web.console import bp
from web.console.billing_pages import invoice_page
from web.forms import load, read_form
from web.rendering import problem_text

# The page's words for refusals whose API sentence names the API's own knobs.
PAGE_WORDS = {
    "invoice_has_warnings": (
        "This draft has warnings (listed below). Fix its lines, or tick "
        "“Issue anyway, despite the warnings” and issue it again."
    ),
    "credit_exceeds_invoice": "Some lines cannot be credited: see the highlighted quantities.",
}


def _back(invoice_id: int):
    return redirect(f"/billing/invoices/{invoice_id}", code=303)


def _refused(caller, invoice_id, error: DomainError, *, prefix="", values=None, key=None):
    """The invoice page again, with the refusal: field errors (ids `field-<prefix><name>`)
    and the problem's sentence; the request boundary rolls everything back."""
    errors = {f"{prefix}{name}": list(messages) for name, messages in (error.errors or {}).items()}
    words = PAGE_WORDS.get(error.code) or problem_text(error)
    if error.code == "invoice_has_warnings":
        errors.pop(f"{prefix}warnings", None)  # shown as the draft's warnings list
    return invoice_page(
        caller,
        invoice_id,
        status=error.status,
        errors=errors,
        values=values,
        problem=words,
        key=key,
    )


# Draft lines ------------------------------------------------------------------


@bp.post("/billing/invoices/<int:invoice_id>/lines/<int:line_id>")
@signed_in(*STAFF)
def change_line(caller, invoice_id, line_id):
    prefix = f"line{line_id}_"
    form = {k.removeprefix(prefix): v for k, v in request.form.items() if k.startswith(prefix)}
    try:
        changes = read_form(LineChangeSchema(), form)
        draft_edits.change_line(caller, invoice_id, line_id, changes)
    except DomainError as error:
        values = {f"{prefix}{k}": v for k, v in form.items()}
        return _refused(caller, invoice_id, error, prefix=prefix, values=values)
    flash("Line saved; the totals are recomputed.", "success")
    return _back(invoice_id)


@bp.post("/billing/invoices/<int:invoice_id>/lines/<int:line_id>/remove")
@signed_in(*STAFF)
def remove_line(caller, invoice_id, line_id):
    try:
        draft_edits.remove_line(caller, invoice_id, line_id)
    except DomainError as error:
        if error.status == 404 and error.code == "invoice_not_found":
            raise
        return _refused(caller, invoice_id, error)
    flash("Line removed; its work can be drafted again.", "success")
    return _back(invoice_id)


@bp.post("/billing/invoices/<int:invoice_id>/lines")
@signed_in(*STAFF)
def add_line(caller, invoice_id):
    form = {k.removeprefix("new_"): v for k, v in request.form.items() if k.startswith("new_")}
    try:
        draft_edits.add_line(caller, invoice_id, read_form(LineCreateSchema(), form))
    except DomainError as error:
        values = {f"new_{k}": v for k, v in form.items()}
        return _refused(caller, invoice_id, error, prefix="new_", values=values)
    flash("Line added.", "success")
    return _back(invoice_id)


# Issue, discard ------------------------------------------------------------------


@bp.post("/billing/invoices/<int:invoice_id>/issue")
@signed_in(*STAFF)
def issue(caller, invoice_id):
    force = request.form.get("force") in ("on", "true", "1")
    try:
        invoice = service.issue_invoice(caller, invoice_id, force=force)
    except DomainError as error:
        if error.status == 404:
            raise
        return _refused(caller, invoice_id, error)
    flash(f"Invoice {invoice.number} issued.", "success")
    return _back(invoice_id)


@bp.post("/billing/invoices/<int:invoice_id>/discard")
@signed_in(*STAFF)
def discard(caller, invoice_id):
    try:
        service.discard_draft(caller, invoice_id)
    except DomainError as error:
        if error.status == 404:
            raise
        return _refused(caller, invoice_id, error)
    flash("The draft is discarded; its work can be drafted again.", "success")
    return redirect("/billing/invoices", code=303)


# Payments -------------------------------------------------------------------------


def _paid_at(text: str):
    """A date from the form as noon in the agency's zone (the API takes an instant)."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise Invalid(
            "Check the highlighted fields.",
            errors={"paid_at": ["enter the date it was paid, like 2026-12-06"]},
        ) from None
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    return datetime.combine(day, time(12), zone).isoformat()


def _fingerprint(fields: dict) -> str:
    text = json.dumps([request.method, request.path, fields], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


@bp.post("/billing/invoices/<int:invoice_id>/payments")
@signed_in(*STAFF)
def record_payment(caller, invoice_id):
    fields = {
        name: request.form.get(name, "")
        for name in ("amount", "currency", "method", "paid_at", "reference")
    }
    key_text = request.form.get("idempotency_key", "")
    try:
        raw = {k: v.strip() for k, v in fields.items() if v.strip()}
        if "paid_at" in raw:
            raw["paid_at"] = _paid_at(raw["paid_at"])
        data = load(PaymentCreateSchema(), raw)

        def produce():
            payment = invoice_payments.record_staff_payment(caller, invoice_id, **data)
            return PaymentSchema().dump(payment)

        if key_text:
            key = idempotency.checked_key(key_text)
            body, _, replayed = idempotency.run_once(
                caller, key, _fingerprint(fields), 201, produce
            )
            answer = json.loads(body)
        else:
            answer, replayed = produce(), False
    except DomainError as error:
        if error.status == 404:
            raise
        return _refused(caller, invoice_id, error, values=fields, key=key_text or None)
    if replayed:
        flash("This payment was already recorded; it was not recorded twice.", "info")
    else:
        left = answer["invoice"]["outstanding"]
        flash(f"Payment of {answer['amount']} recorded; {left} is outstanding.", "success")
    return _back(invoice_id)


# Credit notes ----------------------------------------------------------------------


@bp.post("/billing/invoices/<int:invoice_id>/credit")
@signed_in(*STAFF)
def credit(caller, invoice_id):
    reason = request.form.get("reason", "").strip()
    partial = request.form.get("what") == "lines"
    requested = []
    if partial:
        for name, value in request.form.items():
            if name.startswith("qty-") and value.strip():
                line_id = name.removeprefix("qty-")
                line_id = int(line_id) if line_id.isdigit() else line_id
                requested.append({"line_id": line_id, "quantity": value.strip()})
    values = dict(request.form.items())
    try:
        if partial and not requested:
            raise Invalid(
                "Check the highlighted fields.",
                errors={"lines": ["enter a quantity for at least one line"]},
            )
        raw = {"reason": reason} if reason else {}
        if requested:
            raw["lines"] = requested
        data = load(CreditNoteCreateSchema(), raw)
        note = service.credit_invoice(caller, invoice_id, data["reason"], data.get("lines"))
    except DomainError as error:
        if error.status == 404 and error.code == "invoice_not_found":
            raise
        if error.errors and isinstance(error.errors.get("lines"), dict):
            error.errors = _line_errors(error.errors, requested)
        return _refused(caller, invoice_id, error, values=values)
    flash(f"Credit note {note.number} issued for {to_str(-note.gross_total)}.", "success")
    return _back(invoice_id)


def _line_errors(errors: dict, requested: list[dict]) -> dict:
    """The service's per-row errors ({"lines": {"0": {...}}}) on the rows' own fields."""
    mapped = {k: v for k, v in errors.items() if k != "lines"}
    for index, problems in errors["lines"].items():
        line_id = requested[int(index)]["line_id"]
        messages = [m for texts in problems.values() for m in texts]
        mapped[f"qty-{line_id}"] = messages
    return mapped

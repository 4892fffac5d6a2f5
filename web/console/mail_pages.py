"""Mail that needs a person: the quarantine (read, download the raw message, release
onto a ticket found by search, or reject) and username requests (approve with a unit
and start date, or reject). The same services as /api/quarantine and
/api/signup-requests, with the same scope."""

from flask import current_app, request
from sqlalchemy import select

from server.errors import Invalid
from server.extensions import db
from server.models import Block, Ticket, Unit
from server.schemas.mail import QuarantineQuerySchema, ReleaseSchema
from server.schemas.signup import SignupApproveSchema, SignupQuerySchema
from server.scope import block_scope, visible_tickets
from server.services import mail_quarantine, signup, ticket_queries
from web.access import STAFF, signed_in
from web.console import bp
from web.console.actions import act
from web.forms import read_form
from web.rendering import page

LABELS = {
    "ticket_id": "Ticket",
    "ticket_ref": "Ticket reference",
    "visibility": "Visibility",
    "unit_id": "Unit",
    "starts_on": "Start date",
    "name": "Name",
    "status": "Show",
    "limit": "Page size",
    "before": "Page",
}


@bp.get("/mail/quarantine")
@signed_in(*STAFF)
def quarantine(caller):
    errors = {}
    try:
        query = read_form(QuarantineQuerySchema(), request.args)
    except Invalid as error:
        errors, query = error.errors or {}, {"status": "quarantined", "limit": 50}
    rows = mail_quarantine.list_inbound(
        caller, query["status"], query["limit"], query.get("before")
    )
    more = len(rows) == query["limit"]
    return page(
        "console/mail/quarantine.html",
        status=422 if errors else 200,
        mails=rows,
        shown=query["status"],
        next_url=f"/mail/quarantine?status={query['status']}&before={rows[-1].id}"
        if more
        else None,
        errors=errors,
        labels=LABELS,
    )


def _mail_page(caller, inbound_id, *, status=200, errors=None, problem=None):
    mail = mail_quarantine.get_inbound(caller, inbound_id)
    q = request.args.get("q", "").strip()[:200]
    found = []
    if q:
        found = ticket_queries.list_tickets(caller, {"q": q, "limit": 10})["items"]
    named = None
    if mail.ticket_id:
        named = db.session.scalar(visible_tickets(caller).where(Ticket.id == mail.ticket_id))
    return page(
        "console/mail/mail.html",
        status=status,
        mail=mail,
        q=q,
        found=found,
        named=named,
        errors=errors or {},
        problem=problem,
        labels=LABELS,
        values=request.form,
    )


@bp.get("/mail/quarantine/<int:inbound_id>")
@signed_in(*STAFF)
def quarantined_mail(caller, inbound_id):
    return _mail_page(caller, inbound_id)


@bp.get("/mail/quarantine/<int:inbound_id>/raw")
@signed_in(*STAFF)
def quarantined_raw(caller, inbound_id):
    raw = mail_quarantine.raw_bytes(caller, inbound_id)
    return current_app.response_class(
        raw,
        mimetype="message/rfc822",
        headers={
            "Content-Disposition": f'attachment; filename="mail-{inbound_id}.eml"',
            "X-Content-Type-Options": "nosniff",
        },
    )


def _ticket_from_form(caller) -> str | None:
    """The ticket id the form names: a typed reference (T-000123) wins over a search hit."""
    ref = request.form.get("ticket_ref", "").strip().upper()[:20]
    if ref:
        found = db.session.scalar(
            visible_tickets(caller).with_only_columns(Ticket.id).where(Ticket.ref == ref)
        )
        if found is None:
            raise Invalid(
                "No ticket you can see has this reference.",
                errors={"ticket_ref": ["Enter a reference like T-000123, or pick a ticket."]},
            )
        return str(found)
    return request.form.get("ticket_id") or None


@bp.post("/mail/quarantine/<int:inbound_id>/release")
@signed_in(*STAFF)
def release_mail(caller, inbound_id):
    target = {}

    def run():
        raw = {"visibility": request.form.get("visibility", "staff")}
        ticket_id = _ticket_from_form(caller)
        if ticket_id:
            raw["ticket_id"] = ticket_id
        data = read_form(ReleaseSchema(), raw, ints=("ticket_id",))
        row = mail_quarantine.release(
            caller, inbound_id, ticket_id=data.get("ticket_id"), visibility=data["visibility"]
        )
        target["ticket"] = row.ticket_id

    response = act(
        run,
        done="/mail/quarantine",
        message="Mail posted on the ticket.",
        again=lambda **e: _mail_page(caller, inbound_id, **e),
    )
    if target.get("ticket") and response.status_code == 303:
        response.headers["Location"] = f"/tickets/{target['ticket']}"
    return response


@bp.post("/mail/quarantine/<int:inbound_id>/reject")
@signed_in(*STAFF)
def reject_mail(caller, inbound_id):
    return act(
        lambda: mail_quarantine.reject(caller, inbound_id),
        done="/mail/quarantine",
        message="Mail rejected. It stays recorded with its raw message.",
        again=lambda **e: _mail_page(caller, inbound_id, **e),
    )


# Username requests -------------------------------------------------------------


def _requests_page(caller, *, status=200, errors=None, problem=None, failed=None):
    try:
        query = read_form(SignupQuerySchema(), request.args)
    except Invalid as error:
        errors, query = {**(errors or {}), **(error.errors or {})}, {"limit": 50}
        status = 422
    shown = query.get("status", "pending") if "status" in request.args else "pending"
    rows = signup.list_requests(caller, shown, query["limit"])
    units = db.session.execute(
        select(Unit.id, Unit.name, Block.name)
        .join(Block, Block.id == Unit.block_id)
        .where(block_scope(caller))
        .order_by(Block.name, Unit.name)
        .limit(1000)
    ).all()
    return page(
        "console/mail/requests.html",
        status=status,
        requests=rows,
        shown=shown,
        units=units,
        errors=errors or {},
        problem=problem,
        failed=failed,
        labels=LABELS,
        values=request.form,
    )


@bp.get("/mail/requests")
@signed_in(*STAFF)
def requests(caller):
    return _requests_page(caller)


@bp.post("/mail/requests/<int:request_id>/approve")
@signed_in(*STAFF)
def approve_request(caller, request_id):
    def run():
        form = {k: request.form.get(k, "") for k in ("name", "unit_id", "starts_on")}
        data = read_form(SignupApproveSchema(), form, ints=("unit_id",))
        signup.approve(caller, request_id, **data)

    return act(
        run,
        done="/mail/requests",
        message="Request approved: the tenant is mailed a link to set their password.",
        again=lambda **e: _requests_page(caller, failed=request_id, **e),
    )


@bp.post("/mail/requests/<int:request_id>/reject")
@signed_in(*STAFF)
def reject_request(caller, request_id):
    return act(
        lambda: signup.reject(caller, request_id),
        done="/mail/requests",
        message="Request rejected.",
        again=lambda **e: _requests_page(caller, failed=request_id, **e),
    )

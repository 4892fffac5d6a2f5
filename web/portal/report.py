"""Report a problem: the unit from my tenancies, what is wrong, photos from the
camera or gallery, and "email me" (on by default). The ticket and its photos are
saved in one transaction, or nothing is (web.portal.photos)."""

from flask import redirect, request

from server.errors import DomainError, Invalid
from server.extensions import db
from server.schemas.tickets import TicketCreateSchema
from server.scope import get_visible_ticket
from server.services import notifications, properties, tickets
from web.access import signed_in
from web.forms import read_form
from web.portal import bp, photos
from web.rendering import page, problem_text

LABELS = {
    "unit_id": "Your home",
    "summary": "What is the problem?",
    "description": "Tell us more",
    "photos": "Photos",
    "block_id": "Your home",
}


def _homes(caller):
    return properties.current_tenancies(caller.user.id)


def _form(caller, status=200, *, errors=None, values=None, message=None):
    homes = _homes(caller)
    values = values or {}
    if "unit_id" not in values and len(homes) == 1:
        values["unit_id"] = str(homes[0].unit_id)
    values.setdefault("notify_me", caller.user.notify_me)
    return page(
        "portal/report.html",
        status,
        homes=homes,
        errors=errors or {},
        values=values,
        message=message,
        labels=LABELS,
    )


@bp.get("/portal/report")
@signed_in("tenant")
def report_form(caller):
    return _form(caller, values={"notify_me": True})


@bp.post("/portal/report")
@signed_in("tenant")
def report(caller):
    values = {
        "unit_id": request.form.get("unit_id", ""),
        "summary": request.form.get("summary", "")[:400],
        "description": request.form.get("description", "")[:40000],
        "notify_me": request.form.get("notify_me") == "on",
    }
    homes = {str(t.unit_id): t.unit for t in _homes(caller)}
    unit = homes.get(values["unit_id"])
    try:
        errors = {}
        if unit is None:
            errors["unit_id"] = ["Choose the home the problem is in."]
        try:
            data = read_form(
                TicketCreateSchema(only=("summary", "description")),
                {k: request.form.get(k, "") for k in ("summary", "description")},
            )
        except Invalid as error:
            errors.update(_plain(error.errors or {}, values))
        chosen = photos.chosen(request.files)
        try:
            photos.check_count(chosen)
        except Invalid as error:
            errors.update(error.errors or {})
        if errors:
            raise Invalid("Check the highlighted fields.", errors=errors)
        notifications.set_notify_me(caller, values["notify_me"])
        ticket = tickets.report_ticket(
            caller,
            block_id=unit.block_id,
            unit_id=unit.id,
            summary=data["summary"],
            description=data["description"],
        )
        photos.attach(caller, ticket.id, chosen)
    except Invalid as error:
        db.session.rollback()  # the ticket and any photo before the refused one
        return _form(caller, 422, errors=error.errors or {}, values=values)
    except DomainError as error:
        # Anything else the services refuse: the same form, its sentence on top.
        db.session.rollback()
        return _form(caller, error.status, values=values, message=problem_text(error))
    return redirect(f"/portal/reported/{ticket.id}", code=303)


@bp.get("/portal/reported/<int:ticket_id>")
@signed_in("tenant")
def reported(caller, ticket_id):
    ticket = get_visible_ticket(caller, ticket_id)
    return page("portal/reported.html", ticket=ticket)


def _plain(errors: dict, values: dict) -> dict:
    """The schema's refusals said as a form would (GOV.UK style): what to do about it."""
    words = {
        "summary": (
            "Say what the problem is, in a few words.",
            "Keep it under 200 characters; put the details in “Tell us more”.",
        ),
        "description": ("Tell us more about the problem.", "Keep it under 20,000 characters."),
    }
    plain = {}
    for name, messages in errors.items():
        if name in words:
            empty, long = words[name]
            plain[name] = [empty if not values.get(name, "").strip() else long]
        else:
            plain[name] = messages
    return plain

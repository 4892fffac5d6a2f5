"""The ERP link in the console: endpoints (admins, as the API: create with the secret
shown once, edit events, enable or disable, rotate the secret, send a test event),
deliveries and replays, and payment reports that were refused (staff)."""

import json
from urllib.parse import urlencode

from flask import current_app, flash, redirect, request

from billing import erp_payment_reports, webhook_endpoints, webhook_events
from billing.models import DELIVERY_STATUSES, EVENT_TYPES
from billing.schemas import DeliveryListQuerySchema, EndpointCreateSchema, EndpointUpdateSchema
from server.errors import DomainError, Invalid
from server.extensions import db
from web.access import STAFF, signed_in
from web.console import bp
from web.forms import read_form
from web.rendering import page, problem_text

LABELS = {
    "url": "URL",
    "event_types": "Events",
    "description": "Description",
    "overlap_hours": "Overlap",
    "status": "Status",
    "endpoint_id": "Endpoint",
    "before": "Page",
    "limit": "Rows",
}


def _endpoints_page(status=200, errors=None, values=None, problem=None):
    return page(
        "console/billing/endpoints.html",
        status=status,
        endpoints=webhook_endpoints.list_endpoints(),
        event_types=EVENT_TYPES,
        errors=errors or {},
        values=values or {},
        labels=LABELS,
        problem=problem,
    )


@bp.get("/erp/endpoints")
@signed_in("admin")
def endpoints(caller):
    return _endpoints_page()


@bp.post("/erp/endpoints")
@signed_in("admin")
def create_endpoint(caller):
    try:
        data = read_form(EndpointCreateSchema(), request.form, lists=("event_types",))
        data.pop("secret", None)  # the page always lets the server generate it
        endpoint = webhook_endpoints.create_endpoint(caller, **data)
    except DomainError as error:
        if error.status >= 500:
            raise
        values = {**request.form, "event_types": request.form.getlist("event_types")}
        return _endpoints_page(error.status, error.errors, values, problem_text(error))
    # Shown in this answer only: the database keeps it, no page shows it again.
    return page("console/billing/endpoint_secret.html", endpoint=endpoint, rotated=False)


def _endpoint_page(endpoint_id, status=200, errors=None, values=None, problem=None):
    endpoint = webhook_endpoints.get_endpoint(endpoint_id)
    deliveries = webhook_events.list_deliveries({"endpoint_id": endpoint.id, "limit": 20})
    return page(
        "console/billing/endpoint.html",
        status=status,
        endpoint=endpoint,
        subscribed=json.loads(endpoint.event_types),
        event_types=EVENT_TYPES,
        deliveries=deliveries,
        endpoints={endpoint.id: endpoint},
        default_overlap=current_app.config["WEBHOOK_SECRET_OVERLAP_HOURS"],
        max_overlap=webhook_endpoints.MAX_OVERLAP_HOURS,
        errors=errors or {},
        values=values or {},
        labels=LABELS,
        problem=problem,
    )


@bp.get("/erp/endpoints/<int:endpoint_id>")
@signed_in("admin")
def endpoint(caller, endpoint_id):
    return _endpoint_page(endpoint_id)


def _act(endpoint_id, action, done: str, where: str | None = None):
    """Run one endpoint action; its refusal re-renders the page, nothing changed."""
    try:
        action()
    except DomainError as error:
        if error.status == 404 and error.code == "endpoint_not_found":
            raise
        values = {**request.form, "event_types": request.form.getlist("event_types")}
        return _endpoint_page(endpoint_id, error.status, error.errors, values, problem_text(error))
    flash(done, "success")
    return redirect(where or f"/erp/endpoints/{endpoint_id}", code=303)


@bp.post("/erp/endpoints/<int:endpoint_id>")
@signed_in("admin")
def update_endpoint(caller, endpoint_id):
    def change():
        data = read_form(
            EndpointUpdateSchema(), request.form, lists=("event_types",), nullable=("description",)
        )
        if "event_types" not in request.form:
            data["event_types"] = []  # no box ticked: refused by the service in its words
        webhook_endpoints.update_endpoint(caller, endpoint_id, **data)

    return _act(endpoint_id, change, "Endpoint saved.")


@bp.post("/erp/endpoints/<int:endpoint_id>/enabled")
@signed_in("admin")
def switch_endpoint(caller, endpoint_id):
    on = request.form.get("enabled") == "true"
    done = "Endpoint enabled." if on else "Endpoint disabled; nothing more is sent to it."
    return _act(
        endpoint_id,
        lambda: webhook_endpoints.update_endpoint(caller, endpoint_id, enabled=on),
        done,
    )


@bp.post("/erp/endpoints/<int:endpoint_id>/test")
@signed_in("admin")
def test_event(caller, endpoint_id):
    return _act(
        endpoint_id,
        lambda: webhook_events.send_test_event(caller, endpoint_id),
        "A test event is queued; it appears under deliveries once sent.",
    )


@bp.post("/erp/endpoints/<int:endpoint_id>/rotate")
@signed_in("admin")
def rotate(caller, endpoint_id):
    try:
        text = request.form.get("overlap_hours", "").strip()
        if not text.isdigit():
            raise Invalid(
                "Check the highlighted fields.",
                errors={"overlap_hours": ["a whole number of hours, e.g. 24"]},
            )
        endpoint = webhook_endpoints.rotate_secret(caller, endpoint_id, int(text))
    except DomainError as error:
        if error.status == 404:
            raise
        return _endpoint_page(endpoint_id, error.status, error.errors, dict(request.form))
    return page("console/billing/endpoint_secret.html", endpoint=endpoint, rotated=True)


# Deliveries and replays (staff) --------------------------------------------------


@bp.get("/erp/deliveries")
@signed_in(*STAFF)
def deliveries(caller):
    errors = {}
    try:
        filters = read_form(DeliveryListQuerySchema(), request.args)
    except Invalid as error:
        errors, filters = error.errors or {}, {"limit": 50}
    rows = webhook_events.list_deliveries(filters)
    all_endpoints = webhook_endpoints.list_endpoints()
    next_url = None
    if len(rows) == filters["limit"]:
        kept = {k: v for k, v in request.args.items() if k != "before" and v}
        next_url = "/erp/deliveries?" + urlencode({**kept, "before": rows[-1].id})
    return page(
        "console/billing/deliveries.html",
        status=422 if errors else 200,
        deliveries=rows,
        endpoints={e.id: e for e in all_endpoints},
        statuses=DELIVERY_STATUSES,
        args=request.args,
        errors=errors,
        labels=LABELS,
        next_url=next_url,
        first_url="/erp/deliveries" if request.args.get("before") else None,
    )


def _back_to(default: str) -> str:
    target = request.form.get("next", "")
    return target if target.startswith("/erp/") and "//" not in target else default


@bp.post("/erp/deliveries/<int:delivery_id>/replay")
@signed_in(*STAFF)
def replay(caller, delivery_id):
    where = _back_to("/erp/deliveries")
    try:
        webhook_events.replay(caller, delivery_id)
    except DomainError as error:
        if error.status == 404:
            raise
        db.session.rollback()  # the redirect answers 303: nothing of this may commit
        flash(f"Not replayed: {problem_text(error)}", "error")
        return redirect(where, code=303)
    flash("The event is queued to be sent again (same webhook-id).", "success")
    return redirect(where, code=303)


@bp.post("/erp/endpoints/<int:endpoint_id>/replay-failed")
@signed_in(*STAFF)
def replay_failed(caller, endpoint_id):
    where = _back_to(f"/erp/deliveries?endpoint_id={endpoint_id}")
    try:
        count = webhook_events.replay_failed(caller, endpoint_id)
    except DomainError as error:
        if error.status == 404:
            raise
        db.session.rollback()  # the redirect answers 303: nothing of this may commit
        flash(f"Not replayed: {problem_text(error)}", "error")
        return redirect(where, code=303)
    flash(
        f"{count} failed deliveries queued to be sent again."
        if count
        else "No failed deliveries to replay.",
        "success",
    )
    return redirect(where, code=303)


@bp.get("/erp/rejected-payments")
@signed_in(*STAFF)
def rejected_payments(caller):
    return page("console/billing/rejected.html", rejections=erp_payment_reports.list_rejections())

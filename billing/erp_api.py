"""ERP endpoints: webhook endpoints (admin), deliveries and replays (staff), payments in."""

from flask import request
from flask_smorest import Blueprint

from billing import erp_payment_reports, webhook_endpoints, webhook_events
from billing.schemas import (
    DeliveryListQuerySchema,
    DeliverySchema,
    EndpointCreateSchema,
    EndpointSchema,
    EndpointUpdateSchema,
    PaymentResultSchema,
    RejectedPaymentSchema,
)
from server.api.access import accepts_any_content_type, requires
from server.auth import current_caller
from server.errors import DomainError
from server.extensions import db

blp = Blueprint(
    "erp",
    __name__,
    url_prefix="/api/erp",
    description=(
        "The ERP link. Out: events `invoice.issued`, `invoice.credited`, `invoice.paid` and "
        "`ticket.closed` are POSTed to each enabled endpoint, signed per Standard Webhooks "
        "(`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`), "
        "retried on the Standard Webhooks schedule, then dead-lettered. In: the ERP reports "
        "payments, signed the same way with ERP_INBOUND_SECRET."
    ),
)
STAFF = ("staff", "admin")


@blp.post("/endpoints")
@requires("admin")
@blp.arguments(EndpointCreateSchema)
@blp.response(201, EndpointSchema)
def create_endpoint(data):
    """Admin: add an ERP endpoint. The secret (`whsec_…`, generated unless given) is shown
    in this response only. URLs resolving to link-local/metadata, private or loopback
    addresses are refused (422 `url_refused`) unless allowed by configuration."""
    return webhook_endpoints.create_endpoint(current_caller(), **data)


@blp.get("/endpoints")
@requires("admin")
@blp.response(200, EndpointSchema(many=True))
def list_endpoints():
    """Admin: the ERP endpoints (without their secrets)."""
    return webhook_endpoints.list_endpoints()


@blp.patch("/endpoints/<int:endpoint_id>")
@requires("admin")
@blp.arguments(EndpointUpdateSchema)
@blp.response(200, EndpointSchema)
def update_endpoint(data, endpoint_id):
    """Admin: change URL, event types or description; enable again after a 410, or
    disable (history is kept, so endpoints are disabled rather than deleted)."""
    return webhook_endpoints.update_endpoint(current_caller(), endpoint_id, **data)


@blp.get("/deliveries")
@requires(*STAFF)
@blp.arguments(DeliveryListQuerySchema, location="query")
@blp.response(200, DeliverySchema(many=True))
def list_deliveries(filters):
    """Staff: webhook deliveries, newest first, with their last outcome."""
    return webhook_events.list_deliveries(filters)


@blp.post("/deliveries/<int:delivery_id>/replay")
@requires(*STAFF)
@blp.doc(responses={"403": "FORBIDDEN", "409": "CONFLICT"})
@blp.response(200, DeliverySchema)
def replay(delivery_id):
    """Staff: send a delivered or dead-lettered event again, same `webhook-id`, fresh
    retry schedule (409 while it is still being tried, or the endpoint is disabled)."""
    return webhook_events.replay(current_caller(), delivery_id)


@blp.get("/rejected-payments")
@requires(*STAFF)
@blp.response(200, RejectedPaymentSchema(many=True))
def rejected_payments():
    """Staff: signed payment reports that were refused (422), newest first."""
    return erp_payment_reports.list_rejections()


@blp.post("/payments")
@accepts_any_content_type
@blp.response(200, PaymentResultSchema)
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
@blp.doc(
    security=[],
    requestBody={
        "description": (
            "`{invoice_number, amount, currency, paid_at, reference?}`, signed per Standard "
            "Webhooks with ERP_INBOUND_SECRET over the raw body. `amount` is a decimal "
            "string; `paid_at` an ISO 8601 time with offset."
        ),
        "content": {"application/json": {"schema": {"type": "object"}}},
    },
)
def receive_payment():
    """The ERP reports a payment (no bearer token: the signature authenticates).

    401 for a missing or wrong signature or a timestamp more than 5 minutes off; 200
    `duplicate` for a webhook-id already applied; 422 with nothing changed for an
    unknown invoice (`unknown_invoice`), another currency (`currency_mismatch`), more
    than is outstanding (`overpayment`) or an invoice that takes no payments
    (`invoice_not_payable`): staff see those under `/api/erp/rejected-payments`."""
    body = erp_payment_reports.read_body()
    webhook_id = erp_payment_reports.authenticate(body, request.headers)
    try:
        return erp_payment_reports.receive(body, webhook_id)
    except DomainError as refusal:
        db.session.rollback()
        erp_payment_reports.record_rejection(webhook_id, refusal, body)
        db.session.commit()  # the refusal is kept although the request answers 4xx
        raise

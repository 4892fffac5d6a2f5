"""Shapes of rates, invoices, webhook endpoints, deliveries and payments in the REST API.

Money and quantities travel as decimal strings ("12.50"), never JSON numbers.
"""

import json
import re
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate

from billing.models import DELIVERY_STATUSES, EVENT_TYPES
from billing.money import to_str
from billing.webhooks import invoice_links
from server.schemas.ids import id_field

_DECIMAL = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,4})?")


class DecimalString(fields.Field):
    """A non-negative decimal given as a string with at most 4 decimals ("45", "52.50")."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
            raise ValidationError('a decimal string such as "52.50" (at most 4 decimals)')
        return Decimal(value)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else to_str(value)


def _plain(value: Decimal) -> str:
    """A quantity or price without trailing zeros: "1.5", "18.5", "100"."""
    text = to_str(value)
    return text.rstrip("0").rstrip(".") if "." in text else text


# Rates ----------------------------------------------------------------------


class LabourCategoryCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    hourly_rate = DecimalString(required=True, metadata={"example": "52.50"})


class LabourCategorySchema(Schema):
    id = fields.Integer()
    name = fields.String()
    hourly_rate = fields.Function(lambda c: _plain(c.hourly_rate))
    created_at = fields.DateTime()


class ContractorCategorySchema(Schema):
    labour_category = id_field(
        required=True, allow_none=True, metadata={"description": "a labour category id, or null"}
    )


class ContractorRateSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    labour_category = fields.Integer(attribute="labour_category_id", allow_none=True)


# Invoices -------------------------------------------------------------------


class InvoiceLineSchema(Schema):
    position = fields.Integer()
    kind = fields.String(metadata={"description": "`labour`, `material` or `callout`"})
    description = fields.String()
    quantity = fields.Function(lambda line: _plain(line.quantity))
    unit_code = fields.String(metadata={"description": "UN/ECE Rec. 20, e.g. HUR, C62"})
    unit_price = fields.Function(lambda line: _plain(line.unit_price))
    vat_rate = fields.Function(lambda line: _plain(line.vat_rate))
    net = fields.Function(lambda line: to_str(line.net))
    time_entry_id = fields.String(allow_none=True)
    material_id = fields.String(allow_none=True)


def _money(name):
    return fields.Function(lambda invoice: to_str(getattr(invoice, name)))


class InvoiceSchema(Schema):
    id = fields.Integer()
    number = fields.String(
        allow_none=True, metadata={"description": "null for a draft; INV-2026-000001"}
    )
    kind = fields.String(metadata={"description": "`invoice` or `credit_note`"})
    status = fields.String(
        metadata={"description": "`draft`, `issued`, `partially_paid`, `paid` or `credited`"}
    )
    ticket_id = fields.Integer()
    credited_invoice_id = fields.Integer(allow_none=True)
    delivery_note_id = fields.String(allow_none=True)
    currency = fields.String()
    net_total = _money("net_total")
    vat_total = _money("vat_total")
    gross_total = _money("gross_total")
    amount_paid = _money("amount_paid")
    outstanding = fields.Function(
        lambda i: to_str(i.gross_total - i.amount_paid) if i.kind == "invoice" else "0"
    )
    issue_date = fields.Date(allow_none=True)
    due_date = fields.Date(allow_none=True)
    bill_to = fields.String()
    reason = fields.String(allow_none=True)
    warnings = fields.Function(
        lambda i: json.loads(i.warnings),
        metadata={"description": "what to check before issuing (missing rates or prices)"},
    )
    created_at = fields.DateTime()
    issued_at = fields.DateTime(allow_none=True)
    paid_at = fields.DateTime(allow_none=True)
    lines = fields.List(fields.Nested(InvoiceLineSchema))
    links = fields.Function(invoice_links)


class InvoiceListQuerySchema(Schema):
    ticket_id = id_field(strict=False, metadata={"description": "only this ticket's documents"})


class DraftCreateSchema(Schema):
    ticket_id = id_field(required=True)


class CreditNoteCreateSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ExportQuerySchema(Schema):
    start = fields.Date(data_key="from", metadata={"description": "first day, inclusive"})
    end = fields.Date(data_key="to", metadata={"description": "last day, inclusive"})


class XmlQuerySchema(Schema):
    flavor = fields.String(
        load_default="cii",
        validate=validate.OneOf(("cii", "ubl")),
        metadata={"description": "`cii` (UN/CEFACT CII, Factur-X; default) or `ubl` (UBL 2.1)"},
    )


# ERP out --------------------------------------------------------------------


class EndpointCreateSchema(Schema):
    url = fields.URL(required=True, schemes={"http", "https"}, require_tld=False)
    event_types = fields.List(
        fields.String(validate=validate.OneOf(EVENT_TYPES)),
        metadata={"description": "default: every event type"},
    )
    secret = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "a `whsec_` secret; generated when left out"},
    )
    description = fields.String(validate=validate.Length(max=200), allow_none=True)


class EndpointUpdateSchema(Schema):
    url = fields.URL(schemes={"http", "https"}, require_tld=False)
    event_types = fields.List(fields.String(validate=validate.OneOf(EVENT_TYPES)))
    description = fields.String(validate=validate.Length(max=200), allow_none=True)
    enabled = fields.Boolean()


class EndpointSchema(Schema):
    id = fields.Integer()
    url = fields.String()
    event_types = fields.Function(lambda e: json.loads(e.event_types))
    description = fields.String(allow_none=True)
    enabled = fields.Boolean()
    disabled_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()
    secret = fields.Function(
        lambda e: e.secret if getattr(e, "reveal_secret", False) else None,
        metadata={"description": "only in the response that created the endpoint"},
    )


class DeliveryListQuerySchema(Schema):
    status = fields.String(
        validate=validate.OneOf(DELIVERY_STATUSES),
        metadata={"description": "only deliveries in this state"},
    )
    endpoint_id = id_field(strict=False, metadata={"description": "only to this endpoint"})
    event_type = fields.String(
        validate=validate.OneOf(EVENT_TYPES), metadata={"description": "only this event type"}
    )
    before = id_field(strict=False, metadata={"description": "page back: ids below this"})
    limit = fields.Integer(
        load_default=50,
        validate=validate.Range(min=1, max=200),
        metadata={"description": "page size (1 to 200)"},
    )


class DeliverySchema(Schema):
    id = fields.Integer()
    endpoint_id = fields.Integer()
    event_type = fields.String()
    webhook_id = fields.String(metadata={"description": "the same on every retry and replay"})
    status = fields.String(metadata={"description": "`pending`, `failed`, `delivered`, `dead`"})
    attempts = fields.Integer()
    replays = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True)
    last_attempt_at = fields.DateTime(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    delivered_at = fields.DateTime(allow_none=True)
    payload = fields.Function(lambda d: json.loads(d.payload))


# ERP in ---------------------------------------------------------------------


class PaymentInSchema(Schema):
    invoice_number = fields.String(required=True, validate=validate.Length(min=1, max=100))
    amount = fields.String(required=True, validate=validate.Length(min=1, max=40))
    currency = fields.String(required=True, validate=validate.Length(equal=3))
    paid_at = fields.AwareDateTime(required=True)
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class PaymentResultSchema(Schema):
    status = fields.String(metadata={"description": "`applied` or `duplicate` (no effect)"})
    invoice_number = fields.String(allow_none=True)
    invoice_status = fields.String(allow_none=True)
    amount_paid = fields.String(allow_none=True)
    outstanding = fields.String(allow_none=True)


class RejectedPaymentSchema(Schema):
    id = fields.Integer()
    webhook_id = fields.String()
    code = fields.String()
    detail = fields.String()
    invoice_number = fields.String(allow_none=True)
    body = fields.String()
    received_at = fields.DateTime()

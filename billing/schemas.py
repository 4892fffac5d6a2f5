"""Shapes of rates, invoices, webhook endpoints, deliveries and payments in the REST API.

Money and quantities travel as decimal strings ("12.50"), never JSON numbers.
"""

import json
import re
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from billing.issue_checks import current_warnings
from billing.models import DELIVERY_STATUSES, EVENT_TYPES, PAYMENT_METHODS
from billing.money import MAX_QUANTITY, MAX_RATE, outstanding, price_str, to_str
from billing.webhook_events import invoice_links
from server.schemas.ids import id_field
from server.schemas.times import Day, Instant


class DecimalString(fields.Field):
    """A non-negative decimal given as a string with at most 4 decimals ("45", "52.50"),
    no larger than `limit` (what its column stores, billing.money)."""

    def __init__(self, *, limit: Decimal, **kwargs):
        super().__init__(**kwargs)
        self.limit = limit
        digits = len(str(int(limit)))
        self.pattern = re.compile(rf"[0-9]{{1,{digits}}}(?:\.[0-9]{{1,4}})?")

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not self.pattern.fullmatch(value):
            raise ValidationError('a decimal string such as "52.50" (at most 4 decimals)')
        if Decimal(value) > self.limit:
            raise ValidationError(f"at most {to_str(self.limit)}")
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
    hourly_rate = DecimalString(limit=MAX_RATE, required=True, metadata={"example": "52.50"})


class LabourCategorySchema(Schema):
    id = fields.Integer()
    name = fields.String()
    hourly_rate = fields.Function(lambda c: price_str(c.hourly_rate))
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
    id = fields.Integer(
        metadata={"description": "the line's id: for editing a draft, or `line_id` when crediting"}
    )
    position = fields.Integer()
    kind = fields.String(metadata={"description": "`labour`, `material` or `callout`"})
    description = fields.String()
    quantity = fields.Function(lambda line: _plain(line.quantity))
    unit_code = fields.String(metadata={"description": "UN/ECE Rec. 20, e.g. HUR, C62"})
    unit_price = fields.Function(
        lambda line: price_str(line.unit_price),
        metadata={"description": 'at least 2 decimals: "18.50" stays "18.50"'},
    )
    vat_rate = fields.Function(lambda line: _plain(line.vat_rate))
    net = fields.Function(lambda line: to_str(line.net))
    time_entry_id = fields.String(allow_none=True)
    material_id = fields.String(allow_none=True)
    credited_line_id = fields.Integer(
        allow_none=True, metadata={"description": "on a credit note: the line it credits"}
    )


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
    amount_credited = fields.Function(
        lambda i: to_str(i.amount_credited),
        metadata={"description": "gross of the credit notes issued against this invoice"},
    )
    outstanding = fields.Function(
        lambda i: to_str(outstanding_of(i)),
        metadata={
            "description": "gross_total - amount_credited - amount_paid (0 on a credit note "
            "and a fully credited invoice; negative: owed back to the customer)"
        },
    )
    issue_date = Day(allow_none=True)
    due_date = Day(allow_none=True)
    bill_to = fields.String(metadata={"description": "the buyer's name"})
    buyer = fields.Function(
        lambda i: {
            "name": i.bill_to,
            "address": i.buyer_address,
            "email": i.buyer_email,
            "vat_number": i.buyer_vat_number,
            "customer_id": i.customer_id,
        },
        metadata={"description": "who is billed, as issued (kept current while a draft)"},
    )
    reason = fields.String(allow_none=True)
    warnings = fields.Function(
        lambda i: current_warnings(i) if i.status == "draft" else json.loads(i.warnings),
        metadata={
            "description": "a draft's current warnings (0.00 labour, a material without a "
            "price, no lines): issuing refuses them unless forced"
        },
    )
    created_at = fields.DateTime()
    issued_at = fields.DateTime(allow_none=True)
    paid_at = fields.DateTime(allow_none=True)
    lines = fields.List(fields.Nested(InvoiceLineSchema))
    links = fields.Function(invoice_links)


def outstanding_of(invoice) -> Decimal:
    if invoice.kind != "invoice" or invoice.status == "credited":
        return Decimal("0.00")
    return outstanding(invoice.gross_total, invoice.amount_credited, invoice.amount_paid)


class InvoiceListQuerySchema(Schema):
    ticket_id = id_field(strict=False, metadata={"description": "only this ticket's documents"})


class DraftCreateSchema(Schema):
    ticket_id = id_field(required=True)


class CreditLineSchema(Schema):
    line_id = id_field(required=True, metadata={"description": "an invoice line's id"})
    quantity = DecimalString(
        limit=MAX_QUANTITY,
        metadata={"description": "how much of the line to credit; default: all that is left"},
    )


class CreditNoteCreateSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    lines = fields.List(
        fields.Nested(CreditLineSchema),
        validate=validate.Length(min=1, max=500),
        metadata={"description": "credit these lines (or quantities of them); default: all"},
    )


# Payments -------------------------------------------------------------------


class PaymentCreateSchema(Schema):
    amount = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40),
        metadata={"description": "a decimal string in the invoice's currency", "example": "120.00"},
    )
    currency = fields.String(required=True, validate=validate.Length(equal=3))
    method = fields.String(required=True, validate=validate.OneOf(PAYMENT_METHODS))
    paid_at = fields.AwareDateTime(required=True)
    reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class InvoiceBalanceSchema(Schema):
    id = fields.Integer()
    number = fields.String(allow_none=True)
    status = fields.String()
    gross_total = _money("gross_total")
    amount_paid = _money("amount_paid")
    amount_credited = _money("amount_credited")
    outstanding = fields.Function(lambda i: to_str(outstanding_of(i)))


class PaymentSchema(Schema):
    id = fields.Integer()
    invoice_id = fields.Integer()
    amount = fields.Function(lambda p: to_str(p.amount))
    currency = fields.String()
    source = fields.String(metadata={"description": "`erp` or `staff`"})
    method = fields.String(
        allow_none=True,
        metadata={"description": f"{', '.join(PAYMENT_METHODS)}; null from the ERP"},
    )
    paid_at = fields.DateTime()
    reference = fields.String(allow_none=True)
    recorded_by_id = fields.Integer(allow_none=True)
    received_at = fields.DateTime()
    invoice = fields.Nested(
        InvoiceBalanceSchema, metadata={"description": "the invoice after this payment"}
    )


class ExportQuerySchema(Schema):
    start = Day(data_key="from", metadata={"description": "first day, inclusive"})
    end = Day(data_key="to", metadata={"description": "last day, inclusive"})

    @validates_schema
    def _ordered(self, data, **kwargs):
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise ValidationError("`from` is after `to`.", field_name="from")


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
    paid_at = Instant(required=True)
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

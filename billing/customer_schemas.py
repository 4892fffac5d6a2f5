"""Shapes of customers (bill-to parties), owners, a ticket's bill-to, draft edits and issuing.

Quantities and prices travel as decimal strings with at most 4 decimals.
"""

import re
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, post_load, validate

from billing.billable_work import UNIT_CODES
from billing.models import LINE_KINDS
from billing.money import MAX_QUANTITY, MAX_UNIT_PRICE, to_str
from billing.schemas import DecimalString
from server.schemas.ids import id_field

_SIGNED = re.compile(r"-?[0-9]{1,12}(?:\.[0-9]{1,4})?")
# A VAT identifier starts with its country's code (EN 16931 BR-CO-9): GB123456789.
_VAT_NUMBER = re.compile(r"[A-Z]{2}[0-9A-Z+*.]{2,12}")
UNIT_CODE_CHOICES = tuple(sorted(set(UNIT_CODES.values())))


class SignedDecimalString(fields.Field):
    """A non-zero decimal string, negative allowed (a correction), at most 4 decimals."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not _SIGNED.fullmatch(value):
            raise ValidationError('a decimal string such as "1.50" or "-0.25" (4 decimals at most)')
        result = Decimal(value)
        if result == 0:
            raise ValidationError("must not be zero; remove the line instead")
        if abs(result) > MAX_QUANTITY:
            raise ValidationError(f"at most {to_str(MAX_QUANTITY)} either way")
        return result


class VatNumber(fields.String):
    """A VAT number with its country prefix; spaces are dropped, letters upper-cased."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if text is None:
            return None
        compact = re.sub(r"[\s-]", "", text).upper()
        if not compact:
            return None
        if not _VAT_NUMBER.fullmatch(compact):
            raise ValidationError("a VAT number with its country code, e.g. GB123456789")
        return compact


def _strip(data: dict) -> dict:
    return {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}


class CustomerCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    address = fields.String(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "postal address, lines separated by commas or newlines"},
    )
    email = fields.Email(required=True, validate=validate.Length(max=320))
    vat_number = VatNumber(load_default=None, allow_none=True, metadata={"example": "GB123456789"})

    @post_load
    def strip(self, data, **kwargs):
        data = _strip(data)
        for name in ("name", "address"):
            if name in data and not data[name]:
                raise ValidationError("must not be blank", name)
        return data


class CustomerUpdateSchema(CustomerCreateSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    address = fields.String(validate=validate.Length(min=1, max=500))
    email = fields.Email(validate=validate.Length(max=320))
    vat_number = VatNumber(allow_none=True)


class CustomerSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    address = fields.String()
    email = fields.String()
    vat_number = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class CustomerQuerySchema(Schema):
    q = fields.String(
        validate=validate.Length(max=200), metadata={"description": "part of the name or email"}
    )
    limit = fields.Integer(
        load_default=100,
        validate=validate.Range(min=1, max=500),
        metadata={"description": "how many customers at most (1 to 500)"},
    )


class OwnerSchema(Schema):
    customer_id = id_field(
        required=True, allow_none=True, metadata={"description": "a customer id, or null: none"}
    )


class OwnerResultSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    customer_id = fields.Integer(allow_none=True)


class BillToSchema(Schema):
    ticket_id = fields.Integer()
    name = fields.String()
    address = fields.String()
    email = fields.String(allow_none=True)
    vat_number = fields.String(allow_none=True)
    customer_id = fields.Integer(allow_none=True)
    source = fields.String(
        metadata={
            "description": "why this party: `ticket` (chosen by staff), `ticket_name` (given "
            "when the ticket was created), `unit_owner`, `block_owner`, `reporter`, `block`"
        }
    )


class LineChangeSchema(Schema):
    description = fields.String(validate=validate.Length(min=1, max=500))
    quantity = SignedDecimalString(metadata={"example": "1.50"})
    unit_price = DecimalString(limit=MAX_UNIT_PRICE, metadata={"example": "52.50"})

    @post_load
    def checked(self, data, **kwargs):
        if not data:
            raise ValidationError("give description, quantity or unit_price", "_schema")
        if "description" in data:
            data["description"] = data["description"].strip()
            if not data["description"]:
                raise ValidationError("must not be blank", "description")
        return data


class LineCreateSchema(LineChangeSchema):
    kind = fields.String(load_default="material", validate=validate.OneOf(LINE_KINDS))
    description = fields.String(required=True, validate=validate.Length(min=1, max=500))
    quantity = SignedDecimalString(required=True, metadata={"example": "2"})
    unit_price = DecimalString(limit=MAX_UNIT_PRICE, required=True, metadata={"example": "18.50"})
    unit_code = fields.String(
        validate=validate.OneOf(UNIT_CODE_CHOICES),
        metadata={"description": "UN/ECE Rec. 20 (HUR hours, C62 each, MTR m, ...); "
                  "default HUR for labour, C62 otherwise"},
    )  # fmt: skip


class IssueSchema(Schema):
    force = fields.Boolean(
        load_default=False,
        metadata={"description": "issue despite the draft's warnings (kept on the timeline)"},
    )

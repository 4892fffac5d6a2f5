"""Shapes of blocks, units, tenancies and certificates."""

from marshmallow import Schema, fields, validate

from server.models import CERTIFICATE_KINDS
from server.schemas.ids import id_field
from server.schemas.times import Day


class BlockCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    address = fields.String(required=True, validate=validate.Length(min=1, max=500))
    manager_id = id_field(allow_none=True)
    department_id = id_field(allow_none=True)
    access_notes = fields.String(validate=validate.Length(max=2000))


class BlockSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    address = fields.String()
    manager_id = fields.Integer(allow_none=True)
    department_id = fields.Integer(allow_none=True)
    access_notes = fields.String(allow_none=True)
    created_at = fields.DateTime()


class BlockUpdateSchema(Schema):
    """Only the members given change."""

    name = fields.String(validate=validate.Length(min=1, max=200))
    address = fields.String(validate=validate.Length(min=1, max=500))
    manager_id = id_field(allow_none=True)
    department_id = id_field(allow_none=True)
    access_notes = fields.String(allow_none=True, validate=validate.Length(max=2000))


class UnitUpdateSchema(Schema):
    """Only the members given change."""

    name = fields.String(validate=validate.Length(min=1, max=100))
    access_notes = fields.String(allow_none=True, validate=validate.Length(max=2000))


class TenancyEndSchema(Schema):
    ends_on = fields.Date(
        metadata={"description": "the last day the tenant lives there (default today)"}
    )


class CurrentTenancySchema(Schema):
    """Where a tenant lives: enough to pre-fill a report (`block_id`, `unit_id`)."""

    id = fields.Integer()
    unit_id = fields.Integer()
    unit_name = fields.Function(lambda t: t.unit.name)
    block_id = fields.Function(lambda t: t.unit.block_id)
    block_name = fields.Function(lambda t: t.unit.block.name)
    address = fields.Function(lambda t: t.unit.block.address)
    starts_on = fields.Date()
    ends_on = fields.Date(allow_none=True)


class UnitCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    access_notes = fields.String(validate=validate.Length(max=2000))


class UnitSchema(Schema):
    id = fields.Integer()
    block_id = fields.Integer()
    name = fields.String()
    access_notes = fields.String(allow_none=True)


class TenancyCreateSchema(Schema):
    tenant_id = id_field(required=True)
    starts_on = Day(required=True)
    ends_on = Day(allow_none=True)


class TenancySchema(Schema):
    id = fields.Integer()
    unit_id = fields.Integer()
    tenant_id = fields.Integer()
    tenant_name = fields.Function(lambda t: t.tenant.name)
    starts_on = Day()
    ends_on = Day(allow_none=True)


class CertificateCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(CERTIFICATE_KINDS))
    number = fields.String(required=True, validate=validate.Length(min=1, max=100))
    issued_on = Day(required=True)
    expires_on = Day(required=True)
    unit_id = id_field(allow_none=True)
    label = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={"description": "the name of a custom kind (`other`)"},
    )


class CertificateRenewSchema(Schema):
    number = fields.String(required=True, validate=validate.Length(min=1, max=100))
    issued_on = Day(required=True)
    expires_on = Day(required=True)


class CertificateSchema(Schema):
    id = fields.Integer()
    block_id = fields.Integer()
    unit_id = fields.Integer(allow_none=True)
    kind = fields.String()
    number = fields.String()
    issued_on = Day()
    expires_on = Day()
    label = fields.String(allow_none=True)
    replaced_by_id = fields.Integer(allow_none=True)

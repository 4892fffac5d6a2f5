"""Shapes of the management reports: the query every report takes, and its answer."""

from datetime import timedelta

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from server.domain.workflow import PRIORITIES
from server.schemas.ids import id_field
from server.schemas.times import Day
from server.services.reports.filters import GROUPS, MAX_DAYS
from server.services.reports.volume import DIMENSIONS
from server.services.reports.work import SPLITS


class ReportQuerySchema(Schema):
    start = Day(data_key="from", metadata={"description": "first day (agency zone), inclusive"})
    end = Day(data_key="to", metadata={"description": "last day (agency zone), inclusive"})
    department = id_field(
        strict=False, metadata={"description": "only tickets of this department (current)"}
    )
    block = id_field(strict=False, metadata={"description": "only tickets in this block"})
    priority = fields.String(
        validate=validate.OneOf(PRIORITIES), metadata={"description": "only this priority"}
    )
    type = fields.String(
        validate=validate.Length(min=1, max=40), metadata={"description": "only this ticket type"}
    )
    group = fields.String(
        validate=validate.OneOf(GROUPS), metadata={"description": "period: day, week, month"}
    )
    by = fields.String(
        validate=validate.OneOf((*DIMENSIONS, *SPLITS)),
        metadata={
            "description": "volume: split by type, priority, department or block; "
            "work: by contractor or block"
        },
    )
    format = fields.String(
        validate=validate.OneOf(("json", "csv")), metadata={"description": "`csv` for CSV"}
    )

    @validates_schema
    def _range(self, data, **kwargs):
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise ValidationError("`from` is after `to`.", field_name="from")
        if start and end and end - start > timedelta(days=MAX_DAYS):
            raise ValidationError(f"A report covers at most {MAX_DAYS} days.", field_name="to")


class ReportColumnSchema(Schema):
    key = fields.String()
    label = fields.String()


class ReportSchema(Schema):
    report = fields.String()
    title = fields.String()
    filters = fields.Dict()
    columns = fields.List(fields.Nested(ReportColumnSchema))
    rows = fields.List(fields.Dict(), metadata={"description": "one object per row, by column key"})
    summary = fields.Dict()

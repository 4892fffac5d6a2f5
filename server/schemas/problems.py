"""The RFC 9457 problem document every error is rendered as."""

from marshmallow import Schema, fields


class ProblemSchema(Schema):
    type = fields.String(metadata={"description": "URI naming the problem type"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    code = fields.String(metadata={"description": "Stable machine-readable error code"})
    errors = fields.Dict(metadata={"description": "Per-field validation messages"})

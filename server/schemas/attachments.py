"""Shapes of attachments: the multipart upload form and the metadata sent back."""

from flask import url_for
from flask_smorest.fields import Upload
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from werkzeug.datastructures import FileStorage


class FileField(Upload):
    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, FileStorage):
            raise ValidationError("Send the file as a multipart/form-data part.")
        return value


class AttachmentUploadFormSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    file = FileField(
        required=True,
        metadata={"description": "the bytes; its part's filename and Content-Type are used"},
    )
    message_id = fields.String(
        validate=validate.Regexp(r"^[A-Za-z0-9_\-]{1,64}$", error="not a message id"),
        metadata={"description": "attach to this message of yours on the ticket"},
    )


class AttachmentSchema(Schema):
    id = fields.String()
    ticket_id = fields.Integer()
    message_id = fields.String(allow_none=True)
    filename = fields.String(metadata={"description": "sanitised: a base name, no control chars"})
    content_type = fields.String(metadata={"description": "sniffed from the bytes"})
    sha256 = fields.String(metadata={"description": "hex SHA-256 of the bytes; also the ETag"})
    size = fields.Integer(metadata={"description": "bytes"})
    uploaded = fields.Boolean(metadata={"description": "false while a device's bytes are due"})
    uploader_id = fields.Integer()
    created_at = fields.DateTime()
    received_at = fields.DateTime()
    url = fields.Function(
        lambda a: url_for("attachments.download", ticket_id=a.ticket_id, attachment_id=a.id),
        metadata={"description": "GET it for the bytes"},
    )

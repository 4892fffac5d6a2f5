"""Staff review of work held because its contractor was no longer on the ticket."""

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from server.api.access import requires
from server.auth import current_caller
from sync import held

blp = Blueprint(
    "held_work",
    __name__,
    url_prefix="/api/tickets",
    description=(
        "Work a device pushed for a ticket its contractor was no longer on (and had not "
        "done while on it) is kept but held: not billed, no status move, a `sync_conflict` "
        "event with code `held_for_review`. Staff approve it (it counts as if it had "
        "arrived in time) or reject it (it stays in the history, never billed)."
    ),
)
STAFF = ("staff", "admin")
KIND_DOC = "`ticket_messages`, `time_entries`, `materials` or `delivery_notes`"


class HeldWorkSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": f"the record's sync table: {KIND_DOC}"})
    record_id = fields.String()
    ticket_id = fields.Integer()
    contractor_id = fields.Integer()
    device_id = fields.Integer(allow_none=True)
    status = fields.String(metadata={"description": "`held`, `approved` or `rejected`"})
    reason = fields.String()
    device_time = fields.DateTime(metadata={"description": "the record's own created_at"})
    held_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    decided_by_id = fields.Integer(allow_none=True)


@blp.get("/<int:ticket_id>/held-work")
@requires(*STAFF)
@blp.response(200, HeldWorkSchema(many=True))
def list_held(ticket_id):
    """The ticket's held work (pending and decided), oldest first."""
    return held.list_held(current_caller(), ticket_id)


@blp.post("/<int:ticket_id>/held-work/<kind>/<record_id>/approve")
@requires(*STAFF)
@blp.response(200, HeldWorkSchema)
@blp.alt_response(409, response="CONFLICT")
def approve(ticket_id, kind, record_id):
    """Approve held work: billed, status moves and note effects as if it had arrived in
    time. 404 `held_work_not_found`; 409 `held_work_decided` if decided already."""
    return held.decide(current_caller(), ticket_id, kind, record_id, approve=True)


@blp.post("/<int:ticket_id>/held-work/<kind>/<record_id>/reject")
@requires(*STAFF)
@blp.response(200, HeldWorkSchema)
@blp.alt_response(409, response="CONFLICT")
def reject(ticket_id, kind, record_id):
    """Reject held work: it stays in the history marked rejected and is never billed.
    404 `held_work_not_found`; 409 `held_work_decided` if decided already."""
    return held.decide(current_caller(), ticket_id, kind, record_id, approve=False)

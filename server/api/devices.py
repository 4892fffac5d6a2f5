"""Device registry for staff: who syncs from where, and lost-handheld revocation."""

from flask_smorest import Blueprint

from server.api.access import requires
from server.auth import current_caller
from server.extensions import db
from server.schemas.people import DeviceSchema
from server.services import auth as auth_service

blp = Blueprint("devices", __name__, url_prefix="/api/sync/devices", description="Devices")
STAFF = ("staff", "admin")


@blp.get("")
@requires(*STAFF)
@blp.response(200, DeviceSchema(many=True))
def list_devices():
    """List registered devices with last pull/push, app version and pending conflicts."""
    return db.session.scalars(auth_service.visible_devices(current_caller())).all()


@blp.post("/<int:device_id>/revoke")
@requires(*STAFF)
@blp.response(200, DeviceSchema)
def revoke(device_id):
    """Revoke a lost device: its next request answers 401."""
    return auth_service.revoke_device(current_caller(), device_id)

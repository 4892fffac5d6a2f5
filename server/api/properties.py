"""Blocks, units, tenancies and certificates."""

from flask_smorest import Blueprint
from sqlalchemy import select

from server.api.access import requires
from server.auth import current_caller
from server.extensions import db
from server.models import Block
from server.schemas.properties import (
    BlockCreateSchema,
    BlockSchema,
    BlockUpdateSchema,
    CertificateCreateSchema,
    CertificateRenewSchema,
    CertificateSchema,
    TenancyCreateSchema,
    TenancyEndSchema,
    TenancySchema,
    UnitCreateSchema,
    UnitSchema,
    UnitUpdateSchema,
)
from server.services import certificates, properties

blp = Blueprint("properties", __name__, url_prefix="/api", description="Properties")
STAFF = ("staff", "admin")


@blp.post("/blocks")
@requires("admin")
@blp.arguments(BlockCreateSchema)
@blp.response(201, BlockSchema)
def create_block(data):
    """Create a block (building) with its manager and department (admin)."""
    return properties.create_block(current_caller(), **data)


@blp.get("/blocks")
@requires(*STAFF)
@blp.response(200, BlockSchema(many=True))
def list_blocks():
    """List blocks (staff)."""
    return db.session.scalars(select(Block).order_by(Block.name, Block.id)).all()


@blp.get("/blocks/<int:block_id>")
@requires(*STAFF)
@blp.response(200, BlockSchema)
def get_block(block_id):
    """One block (staff)."""
    return properties.get_block(block_id)


@blp.patch("/blocks/<int:block_id>")
@requires("admin")
@blp.arguments(BlockUpdateSchema)
@blp.response(200, BlockSchema)
def update_block(data, block_id):
    """Admin: change a block's name, address, manager, department or access notes
    (only the members given). Devices holding its tickets get them again with the
    new values at their next pull; search finds the tickets by the new words."""
    return properties.update_block(current_caller(), block_id, data)


@blp.get("/blocks/<int:block_id>/units")
@requires(*STAFF)
@blp.response(200, UnitSchema(many=True))
def list_units(block_id):
    """The units (flats) of a block, by name (staff)."""
    return properties.units_of(block_id)


@blp.get("/units/<int:unit_id>")
@requires(*STAFF)
@blp.response(200, UnitSchema)
def get_unit(unit_id):
    """One unit (staff)."""
    return properties.get_unit(unit_id)


@blp.patch("/units/<int:unit_id>")
@requires("admin")
@blp.arguments(UnitUpdateSchema)
@blp.response(200, UnitSchema)
def update_unit(data, unit_id):
    """Admin: rename a unit or change its access notes (devices and search follow)."""
    return properties.update_unit(current_caller(), unit_id, data)


@blp.get("/units/<int:unit_id>/tenancies")
@requires(*STAFF)
@blp.response(200, TenancySchema(many=True))
def list_tenancies(unit_id):
    """Every tenancy of a unit, ended ones included, newest first (staff)."""
    return properties.tenancies_of(unit_id)


@blp.post("/tenancies/<int:tenancy_id>/end")
@requires(*STAFF)
@blp.arguments(TenancyEndSchema)
@blp.response(200, TenancySchema)
@blp.doc(responses={"409": "CONFLICT"})  # tenancy_ended
def end_tenancy(data, tenancy_id):
    """Staff: the tenant moves out (`ends_on`, default today, is their last day). The
    tenancy stays in the unit's history; from the next day the tenant no longer sees
    the unit's or block's tickets (their own reports stay visible). 409
    `tenancy_ended` if it already ended by then."""
    return properties.end_tenancy(current_caller(), tenancy_id, data.get("ends_on"))


@blp.post("/blocks/<int:block_id>/units")
@requires("admin")
@blp.arguments(UnitCreateSchema)
@blp.response(201, UnitSchema)
def create_unit(data, block_id):
    """Add a unit (flat) to a block (admin)."""
    return properties.create_unit(current_caller(), block_id, **data)


@blp.post("/units/<int:unit_id>/tenancies")
@requires(*STAFF)
@blp.arguments(TenancyCreateSchema)
@blp.response(201, TenancySchema)
@blp.doc(responses={"409": "CONFLICT"})  # tenancy_overlap
def create_tenancy(data, unit_id):
    """Record that a tenant lives in a unit from a date (staff)."""
    return properties.create_tenancy(current_caller(), unit_id, **data)


@blp.post("/blocks/<int:block_id>/certificates")
@requires(*STAFF)
@blp.arguments(CertificateCreateSchema)
@blp.response(201, CertificateSchema)
def create_certificate(data, block_id):
    """Record a certificate (gas safety, electrical, EPC...) of a block or unit (staff)."""
    return properties.create_certificate(current_caller(), block_id, **data)


@blp.get("/blocks/<int:block_id>/certificates")
@requires()
@blp.response(200, CertificateSchema(many=True))
def list_certificates(block_id):
    """Certificates of a block: for staff, its tenants and contractors working there."""
    return properties.certificates_of(current_caller(), block_id)


@blp.post("/certificates/<int:certificate_id>/renew")
@requires(*STAFF)
@blp.arguments(CertificateRenewSchema)
@blp.response(201, CertificateSchema)
@blp.alt_response(409, response="CONFLICT")
def renew_certificate(data, certificate_id):
    """Record a certificate's renewal (staff): a new certificate of the same kind and
    place replaces it, and expiry reminders about the old one stop. 409
    `certificate_replaced` if it was renewed already."""
    return certificates.renew_certificate(current_caller(), certificate_id, **data)

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
    CertificateCreateSchema,
    CertificateSchema,
    TenancyCreateSchema,
    TenancySchema,
    UnitCreateSchema,
    UnitSchema,
)
from server.services import properties

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

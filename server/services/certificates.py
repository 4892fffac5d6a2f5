"""Certificates over time: renewal (a new certificate replaces the old one, which stays
as history) and the compliance view of what expires soon or has expired."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from server.auth import Caller
from server.errors import Conflict, Invalid, NotFound
from server.extensions import db
from server.models import Block, Certificate
from server.scope import block_scope, may_read_block

KIND_LABELS = {
    "gas_safety": "Gas safety",
    "electrical": "Electrical (EICR)",
    "epc": "EPC",
    "fire_safety": "Fire safety",
    "asbestos": "Asbestos",
    "other": "Custom",
}
WINDOWS = (30, 60, 90)  # the compliance view's bands, in days


def kind_name(certificate: Certificate) -> str:
    """What people call it: the kind's label, or a custom kind's own name."""
    if certificate.kind == "other" and certificate.label:
        return certificate.label
    return KIND_LABELS.get(certificate.kind, certificate.kind)


def get_certificate(caller: Caller, certificate_id: int) -> Certificate:
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or not may_read_block(caller, certificate.block_id):
        raise NotFound("No such certificate.", code="certificate_not_found")
    return certificate


def renew_certificate(
    caller: Caller, certificate_id: int, *, number: str, issued_on: date, expires_on: date
) -> Certificate:
    """Record the renewal of a certificate: a new one of the same kind and place
    replaces it. Reminders follow the current certificate only, so the old expiry's
    remaining reminders stop."""
    old = get_certificate(caller, certificate_id)
    if old.replaced_by_id is not None:
        raise Conflict("This certificate was already renewed.", code="certificate_replaced")
    if expires_on < issued_on:
        raise Invalid(
            "A certificate expires after it is issued.",
            errors={"expires_on": ["must not be before the issue date"]},
        )
    if expires_on <= old.expires_on:
        raise Invalid(
            f"A renewal expires after the current expiry ({old.expires_on.isoformat()}).",
            errors={"expires_on": ["must be later than the certificate it renews"]},
        )
    new = Certificate(
        block_id=old.block_id,
        unit_id=old.unit_id,
        kind=old.kind,
        label=old.label,
        number=number,
        issued_on=issued_on,
        expires_on=expires_on,
    )
    db.session.add(new)
    db.session.flush()
    old.replaced_by_id = new.id
    db.session.flush()
    return new


@dataclass
class Due:
    """One current certificate in the compliance view, with its band."""

    certificate: Certificate
    days_left: int

    @property
    def band(self) -> str:
        if self.days_left < 0:
            return "overdue"
        return next(f"within_{days}" for days in WINDOWS if self.days_left <= days)


def compliance(caller: Caller, today: date, *, mine: bool = False) -> list[Due]:
    """Current (not renewed) certificates that have expired or expire within the
    widest window, soonest first; `mine`: only blocks the caller looks after."""
    query = (
        select(Certificate)
        .where(
            Certificate.replaced_by_id.is_(None),
            Certificate.expires_on <= today + timedelta(days=WINDOWS[-1]),
        )
        .order_by(Certificate.expires_on, Certificate.id)
        .options(selectinload(Certificate.block), selectinload(Certificate.unit))
    )
    if mine:
        query = query.where(Certificate.block_id.in_(select(Block.id).where(block_scope(caller))))
    return [
        Due(certificate, (certificate.expires_on - today).days)
        for certificate in db.session.scalars(query)
    ]


def current_certificates(block_id: int, unit_id: int | None = None) -> list[Certificate]:
    """A block's (or one unit's) certificates, renewed ones included, by kind and expiry."""
    query = select(Certificate).where(Certificate.block_id == block_id)
    if unit_id is not None:
        query = query.where(Certificate.unit_id == unit_id)
    return db.session.scalars(
        query.order_by(Certificate.kind, Certificate.expires_on.desc(), Certificate.id)
    ).all()

"""Certificates: record one on a block or unit, a certificate's page (its renewals
and the reminders sent), renew it, and the compliance view of what expires in 30, 60
or 90 days and what is overdue."""

from datetime import date

from flask import request
from sqlalchemy import select

from server.extensions import db
from server.models import Certificate, CertificateReminder
from server.schemas.properties import CertificateCreateSchema, CertificateRenewSchema
from server.services import certificates, properties
from web.access import STAFF, signed_in
from web.console import bp
from web.console.actions import act
from web.console.properties_pages import _block_page
from web.forms import read_form
from web.rendering import page

LABELS = {
    "kind": "Kind",
    "label": "Custom kind",
    "number": "Certificate number",
    "issued_on": "Issued on",
    "expires_on": "Expires on",
    "unit_id": "Unit",
}


@bp.post("/properties/<int:block_id>/certificates")
@signed_in(*STAFF)
def add_certificate(caller, block_id):
    def run():
        data = read_form(CertificateCreateSchema(), request.form, ints=("unit_id",))
        properties.create_certificate(caller, block_id, **data)

    return act(
        run,
        done=f"/properties/{block_id}#certificates",
        message="Certificate recorded.",
        again=lambda **e: _block_page(
            caller, block_id, values=request.form, form="certificate", **e
        ),
    )


def _certificate_page(
    caller, certificate_id, *, status=200, errors=None, problem=None, values=None
):
    certificate = certificates.get_certificate(caller, certificate_id)
    history = db.session.scalars(
        select(Certificate)
        .where(
            Certificate.block_id == certificate.block_id,
            Certificate.kind == certificate.kind,
            Certificate.unit_id.is_(None)
            if certificate.unit_id is None
            else Certificate.unit_id == certificate.unit_id,
        )
        .order_by(Certificate.expires_on.desc(), Certificate.id.desc())
    ).all()
    reminders = db.session.scalars(
        select(CertificateReminder)
        .where(CertificateReminder.certificate_id.in_([c.id for c in history]))
        .order_by(CertificateReminder.sent_at.desc())
    ).all()
    return page(
        "console/properties/certificate.html",
        status=status,
        certificate=certificate,
        history=[c for c in history if certificate.kind != "other" or c.label == certificate.label],
        reminders=reminders,
        kind_name=certificates.kind_name,
        today=date.today(),
        errors=errors or {},
        problem=problem,
        values=values or {},
        labels=LABELS,
    )


@bp.get("/certificates/<int:certificate_id>")
@signed_in(*STAFF)
def certificate_page(caller, certificate_id):
    return _certificate_page(caller, certificate_id)


@bp.post("/certificates/<int:certificate_id>/renew")
@signed_in(*STAFF)
def renew_certificate(caller, certificate_id):
    renewed = {}

    def run():
        data = read_form(CertificateRenewSchema(), request.form)
        renewed["new"] = certificates.renew_certificate(caller, certificate_id, **data)

    response = act(
        run,
        done=f"/certificates/{certificate_id}",
        message="Renewal recorded: reminders about the old expiry stop.",
        again=lambda **e: _certificate_page(caller, certificate_id, values=request.form, **e),
    )
    if "new" in renewed and response.status_code == 303:
        response.headers["Location"] = f"/certificates/{renewed['new'].id}"
    return response


@bp.get("/compliance")
@signed_in(*STAFF)
def compliance(caller):
    mine = request.args.get("mine") == "1"
    rows = certificates.compliance(caller, date.today(), mine=mine)
    bands = {"overdue": [], "within_30": [], "within_60": [], "within_90": []}
    for due in rows:
        bands[due.band].append(due)
    return page(
        "console/properties/compliance.html",
        bands=bands,
        mine=mine,
        kind_name=certificates.kind_name,
    )

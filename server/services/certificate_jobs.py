"""The `certificate_reminders` worker job: mail a block's manager before a certificate
expires, at each lead time of CERTIFICATE_REMINDER_DAYS (e.g. 60, 30 and 7 days).

Once per certificate and lead time: a `certificate_reminders` row (unique pair) is
written in the same transaction as the outbox mail, so a second pass or a second
worker finds it (or trips the unique constraint) and sends nothing. Only the
tightest lead that applies is sent: a certificate recorded 5 days before expiry gets
the 7-day reminder, not three at once. Renewed certificates are never reminded (the
renewal is current and starts its own leads). With CERTIFICATE_RENEWAL_TICKETS the
first reminder also opens a renewal ticket on the block, reported by its manager.
"""

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.auth import Caller
from server.extensions import db
from server.mail.channel import EMAIL_CHANNEL
from server.models import Block, Certificate, CertificateReminder
from server.services import outbox
from server.services.certificates import kind_name
from server.services.tickets import report_ticket

log = logging.getLogger(__name__)
BATCH = 500


def reminder_key(certificate_id: int, lead_days: int) -> str:
    """The outbox dedupe key of one reminder mail."""
    return f"email:certificate:{certificate_id}:lead:{lead_days}"


def lead_for(days_left: int, leads: tuple[int, ...]) -> int | None:
    """The tightest lead time that has been reached (None: not yet within any)."""
    reached = [lead for lead in leads if days_left <= lead]
    return min(reached) if reached else None


def run(now: datetime) -> dict[str, int]:
    """Queue the reminders that are due; returns how many were sent and skipped."""
    leads = tuple(sorted({int(d) for d in current_app.config["CERTIFICATE_REMINDER_DAYS"]}))
    counts = {"reminders": 0, "renewal_tickets": 0, "no_manager": 0}
    if not leads:
        return counts
    today = now.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()
    rows = db.session.execute(
        select(Certificate.id, Certificate.expires_on)
        .where(
            Certificate.replaced_by_id.is_(None),
            Certificate.expires_on <= today + timedelta(days=leads[-1]),
        )
        .order_by(Certificate.expires_on, Certificate.id)
        .limit(BATCH)
    ).all()
    done = _sent_pairs([row.id for row in rows])
    for certificate_id, expires_on in rows:
        lead = lead_for((expires_on - today).days, leads)
        if lead is None or (certificate_id, lead) in done:
            continue
        try:
            outcome = _remind(certificate_id, lead, today)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # another worker sent this one
            continue
        except Exception:
            db.session.rollback()
            log.exception("certificate reminder %s/%s failed", certificate_id, lead)
            continue
        for key in outcome:
            counts[key] += 1
    db.session.commit()
    return counts


def _sent_pairs(certificate_ids: list[int]) -> set[tuple[int, int]]:
    """(certificate, lead) pairs already reminded, among these certificates."""
    if not certificate_ids:
        return set()
    rows = db.session.execute(
        select(CertificateReminder.certificate_id, CertificateReminder.lead_days).where(
            CertificateReminder.certificate_id.in_(certificate_ids)
        )
    )
    return {(certificate_id, lead) for certificate_id, lead in rows}


def _remind(certificate_id: int, lead: int, today) -> list[str]:
    certificate = db.session.get(Certificate, certificate_id)
    block = db.session.get(Block, certificate.block_id)
    manager = block.manager
    if manager is None or not manager.is_active:
        return ["no_manager"]  # nothing recorded: sent once a manager is named
    first = not db.session.scalar(
        select(CertificateReminder.id).where(CertificateReminder.certificate_id == certificate.id)
    )
    reminder = CertificateReminder(
        certificate_id=certificate.id, lead_days=lead, manager_id=manager.id
    )
    db.session.add(reminder)
    db.session.flush()  # the unique pair refuses a second reminder here
    outcome = ["reminders"]
    what = kind_name(certificate)
    place = block.name + (f", {certificate.unit.name}" if certificate.unit else "")
    days_left = (certificate.expires_on - today).days
    when = (
        f"expired on {certificate.expires_on:%d %B %Y}"
        if days_left < 0
        else f"expires on {certificate.expires_on:%d %B %Y} (in {days_left} days)"
    )
    if first and current_app.config["CERTIFICATE_RENEWAL_TICKETS"]:
        ticket = report_ticket(
            Caller(user=manager, device=None),
            block_id=block.id,
            unit_id=certificate.unit_id,
            summary=f"Renew the {what} certificate ({certificate.number})"[:200],
            description=f"The {what} certificate {certificate.number} of {place} {when}.",
            type="service_request",
        )
        reminder.ticket_id = ticket.id
        outcome.append("renewal_tickets")
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    body = (
        f"Hello {manager.name},\n\nThe {what} certificate {certificate.number} of {place} "
        f"{when}.\n\nRecord its renewal on the unit or block page once you have the new "
        f"certificate; reminders about this one then stop.\n\n"
        f"Compliance overview: {base}/compliance\n"
    )
    outbox.enqueue(
        EMAIL_CHANNEL,
        reminder_key(certificate.id, lead),
        {
            "to": manager.email,
            "to_name": manager.name,
            "subject": f"{what} certificate for {place} {when}"[:250],
            "body": body,
        },
    )
    return outcome

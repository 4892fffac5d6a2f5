"""Who hears about a ticket event: in-app feed entries plus mail through the outbox.

Mail is written to the outbox in the same transaction as the change, so it is sent
exactly when the change commits (by `fieldline worker`) and lost with it otherwise.
"""

from sqlalchemy import insert, literal, select, union_all

from server.auth import Caller
from server.extensions import db
from server.mail.channel import EMAIL_CHANNEL, notification_key
from server.models import (
    Notification,
    Ticket,
    TicketContractor,
    TicketEvent,
    User,
    department_members,
)
from server.scope import READABLE
from server.services import outbox


def participants(ticket: Ticket) -> list[User]:
    """The people on a ticket: reporter, addressee, active contractors, its manager
    (or, with no manager, the staff of its department). One query, every event's
    notification pays it: users by primary key among one list of ids (an OR of
    lists would scan the users table on PostgreSQL)."""
    direct = sorted({ticket.reporter_id, ticket.addressed_to_id, ticket.manager_id} - {None})
    ids = [select(literal(user_id)) for user_id in direct]
    ids.append(
        select(TicketContractor.contractor_id).where(
            TicketContractor.ticket_id == ticket.id, TicketContractor.active.is_(True)
        )
    )
    if ticket.manager_id is None and ticket.department_id is not None:
        ids.append(
            select(department_members.c.user_id).where(
                department_members.c.department_id == ticket.department_id
            )
        )
    query = select(User).where(User.id.in_(union_all(*ids)), User.is_active.is_(True))
    return list(db.session.scalars(query.order_by(User.id)))


def notify(
    ticket: Ticket,
    event: TicketEvent,
    actor: Caller | None,
    title: str,
    body: str,
    *,
    extra_recipients: tuple[User, ...] = (),
) -> list[User]:
    """Fan an event out to everyone on the ticket who may read it, except its author.

    The feed entries and mails are written with one Core INSERT each, not as ORM
    objects: nothing reads them back in the request, and a reply's push paid more for
    their unit-of-work flush than for anything else it wrote."""
    if event.id is None:
        db.session.flush()
    recipients = {u.id: u for u in (*participants(ticket), *extra_recipients)}
    notified, feed, mails = [], [], []
    for user in recipients.values():
        if actor is not None and user.id == actor.user.id:
            continue
        if event.visibility not in READABLE[user.role]:
            continue
        feed.append(
            {
                "user_id": user.id,
                "ticket_id": ticket.id,
                "event_id": event.id,
                "kind": event.kind,
                "title": title,
                "body": body,
            }
        )
        if user.role != "tenant" or user.notify_me:
            mails.append(email_row(user, ticket, event, title, body))
        notified.append(user)
    if feed:
        db.session.connection().execute(insert(Notification.__table__), feed)
    outbox.enqueue_many(EMAIL_CHANNEL, mails)
    return notified


def email_row(
    user: User, ticket: Ticket, event: TicketEvent, title: str, body: str
) -> tuple[str, dict]:
    """The outbox key and payload of one mail about an event (sent by `fieldline worker`)."""
    payload = {
        "to": user.email,
        "to_name": user.name,
        "subject": f"[{ticket.ref}] {title}",
        "body": body,
        "ticket_id": ticket.id,
        "ticket_ref": ticket.ref,
        "event_id": event.id,
        "user_id": user.id,
    }
    return notification_key(event.id, user.id), payload

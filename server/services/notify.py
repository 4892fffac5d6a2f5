"""Who hears about a ticket event: in-app feed entries plus mail through the outbox.

Mail is written to the outbox in the same transaction as the change, so it is sent
exactly when the change commits (by `fieldline worker`) and lost with it otherwise.
One call per event: its recipients are gathered first (the people on the ticket, and
whoever else the event concerns), so nobody is told twice about one event.
"""

from flask import current_app
from sqlalchemy import insert, literal, select, union_all

from server.auth import Caller
from server.extensions import db
from server.mail.channel import EMAIL_CHANNEL, notification_key
from server.mail.templating import render_blocks
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
    """The people on a ticket: reporter, addressee, active contractors, its manager and
    staff owner (or, with neither, the staff of its department). One query, every
    event's notification pays it: users by primary key among one list of ids (an OR of
    lists would scan the users table on PostgreSQL)."""
    direct = sorted(
        {ticket.reporter_id, ticket.addressed_to_id, ticket.manager_id, ticket.owner_id} - {None}
    )
    ids = [select(literal(user_id)) for user_id in direct]
    ids.append(
        select(TicketContractor.contractor_id).where(
            TicketContractor.ticket_id == ticket.id, TicketContractor.active.is_(True)
        )
    )
    if ticket.manager_id is None and ticket.owner_id is None and ticket.department_id is not None:
        ids.append(_department_ids(ticket.department_id))
    query = select(User).where(User.id.in_(union_all(*ids)), User.is_active.is_(True))
    return list(db.session.scalars(query.order_by(User.id)))


def _department_ids(department_id: int):
    return select(department_members.c.user_id).where(
        department_members.c.department_id == department_id
    )


def department_members_of(ticket: Ticket) -> list[User]:
    """The active members of the ticket's department (told when it enters it)."""
    if ticket.department_id is None:
        return []
    query = select(User).where(
        User.id.in_(_department_ids(ticket.department_id)), User.is_active.is_(True)
    )
    return list(db.session.scalars(query.order_by(User.id)))


def admins_who_want_new_tickets() -> list[User]:
    query = select(User).where(
        User.role == "admin", User.is_active.is_(True), User.notify_new_tickets.is_(True)
    )
    return list(db.session.scalars(query.order_by(User.id)))


def wording(kind: str, /, **context) -> dict[str, str]:
    """What a notification says (`title`, `body`, ...): the blocks of the template
    server/mail/templates/wording/`kind`.txt, rendered with `context`."""
    return render_blocks(f"wording/{kind}.txt", **context)


def ticket_url(ticket: Ticket) -> str:
    """The ticket's page in the console or portal (a stable path: /tickets/{id})."""
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/tickets/{ticket.id}"


def notify(
    ticket: Ticket,
    event: TicketEvent,
    actor: Caller | None,
    title: str,
    body: str,
    *,
    extra_recipients: tuple[User, ...] = (),
    on_ticket: bool = True,
    actor_title: str | None = None,
) -> list[User]:
    """Fan an event out to everyone on the ticket (unless `on_ticket` is False) and
    `extra_recipients` who may read it. The author is not told of their own change,
    unless `actor_title` is given (a reporter's confirmation): then they get a mail
    with that title (no feed entry: they are in the app as they do it).

    The feed entries and mails are written with one Core INSERT each, not as ORM
    objects: nothing reads them back in the request, and a reply's push paid more for
    their unit-of-work flush than for anything else it wrote."""
    if event.id is None:
        db.session.flush()
    everyone = (*participants(ticket), *extra_recipients) if on_ticket else extra_recipients
    recipients = {u.id: u for u in everyone if u is not None}
    notified, feed, mails = [], [], []
    for user in recipients.values():
        if event.visibility not in READABLE[user.role] or not user.is_active:
            continue
        if actor is not None and user.id == actor.user.id:
            if actor_title is not None and (user.role != "tenant" or user.notify_me):
                mails.append(email_row(user, ticket, event, actor_title, body))
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
    """The outbox key and payload of one mail about an event (sent by `fieldline worker`):
    the body ends with the link to the ticket's page."""
    link = ticket_url(ticket)
    mail = wording("email", ticket=ticket, title=title, body=body, link=link)
    payload = {
        "to": user.email,
        "to_name": user.name,
        "subject": mail["subject"],
        "body": mail["body"],
        "ticket_id": ticket.id,
        "ticket_ref": ticket.ref,
        "ticket_url": link,
        "event_id": event.id,
        "user_id": user.id,
    }
    return notification_key(event.id, user.id), payload

"""Bill-to parties: customers (landlords, owners), who owns what, and who pays for a ticket.

Who an invoice bills (its buyer) is decided here and nowhere else: the customer staff
chose for the ticket, else the name given when the ticket was created (`bill_to`),
else the owner of its unit, else the owner of its block, else the tenant who reported
it, else the block itself. Drafts snapshot that buyer (name, address, email, VAT
number) and are refreshed whenever one of these facts changes; issuing freezes it
(database trigger). Verbs flush and never commit.
"""

from dataclasses import asdict, dataclass

from sqlalchemy import or_, select

from billing.models import BlockOwner, Customer, Invoice, TicketBillTo, UnitOwner
from server.auth import Caller
from server.db import utcnow
from server.errors import Conflict, Invalid, NotFound
from server.extensions import db
from server.models import Block, Ticket, Unit
from server.scope import get_visible_ticket
from server.services.rules import check_staff
from server.services.timeline import append_event

# Invoices whose buyer is final: the ticket's bill-to can no longer change.
ISSUED = ("issued", "partially_paid", "paid")


@dataclass(frozen=True)
class Buyer:
    """The party an invoice bills, as printed and sent in e-invoices."""

    name: str
    address: str
    email: str | None
    vat_number: str | None
    customer_id: int | None
    source: str  # ticket | ticket_name | unit_owner | block_owner | reporter | block

    def summary(self) -> dict:
        return {"name": self.name, "customer_id": self.customer_id, "source": self.source}


# Customers --------------------------------------------------------------------


def create_customer(caller: Caller | None, *, name, address, email, vat_number=None) -> Customer:
    customer = Customer(
        name=name, address=address, email=email, vat_number=vat_number, updated_at=utcnow()
    )
    db.session.add(customer)
    db.session.flush()
    return customer


def get_customer(customer_id: int) -> Customer:
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("No such customer.", code="customer_not_found")
    return customer


def list_customers(q: str | None = None, limit: int = 100) -> list[Customer]:
    """Customers by name; `q` matches name or email (case-insensitive, substring)."""
    query = select(Customer).order_by(Customer.name, Customer.id).limit(limit)
    if q:
        pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern += "%"
        query = query.where(
            or_(
                Customer.name.ilike(pattern, escape="\\"),
                Customer.email.ilike(pattern, escape="\\"),
            )
        )
    return db.session.scalars(query).all()


def update_customer(caller: Caller, customer_id: int, changes: dict) -> Customer:
    """Change a customer; the drafts that bill it show the new details at once."""
    customer = get_customer(customer_id)
    for name, value in changes.items():
        setattr(customer, name, value)
    customer.updated_at = utcnow()
    db.session.flush()
    drafts = select(Invoice).where(Invoice.status == "draft", Invoice.customer_id == customer.id)
    _refresh(db.session.scalars(drafts).all())
    return customer


def _known_customer(customer_id: int | None) -> Customer | None:
    if customer_id is None:
        return None
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        raise Invalid("Unknown customer.", errors={"customer_id": ["unknown customer"]})
    return customer


# Owners -----------------------------------------------------------------------


def set_block_owner(caller: Caller, block_id: int, customer_id: int | None) -> Block:
    """Bill chargeable work in a block to `customer_id` (None: nobody)."""
    block = db.session.get(Block, block_id)
    if block is None:
        raise NotFound("No such block.", code="block_not_found")
    _set_owner(BlockOwner, block.id, _known_customer(customer_id))
    _refresh_drafts(Ticket.block_id == block.id)
    return block


def set_unit_owner(caller: Caller, unit_id: int, customer_id: int | None) -> Unit:
    """Bill chargeable work in a unit to `customer_id` (None: its block's owner)."""
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("No such unit.", code="unit_not_found")
    _set_owner(UnitOwner, unit.id, _known_customer(customer_id))
    _refresh_drafts(Ticket.unit_id == unit.id)
    return unit


def _set_owner(model, key: int, customer: Customer | None) -> None:
    row = db.session.get(model, key)
    if customer is None:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(model(**{model.__mapper__.primary_key[0].key: key}, customer_id=customer.id))
    else:
        row.customer_id = customer.id
    db.session.flush()


def owner_of(model, key: int | None) -> int | None:
    row = db.session.get(model, key) if key is not None else None
    return row.customer_id if row is not None else None


# Who pays for a ticket --------------------------------------------------------


def _place_address(ticket: Ticket) -> str:
    parts = [ticket.unit.name] if ticket.unit is not None else []
    return ", ".join([*parts, ticket.block.address])


def _from_customer(customer: Customer, source: str) -> Buyer:
    return Buyer(
        customer.name, customer.address, customer.email, customer.vat_number, customer.id, source
    )


def buyer_for(ticket: Ticket) -> Buyer:
    """Who the ticket's invoices bill, by the rule in the module docstring."""
    chosen = db.session.get(TicketBillTo, ticket.id)
    if chosen is not None:
        return _from_customer(db.session.get(Customer, chosen.customer_id), "ticket")
    if ticket.bill_to:
        return Buyer(ticket.bill_to, _place_address(ticket), None, None, None, "ticket_name")
    for model, key, source in (
        (UnitOwner, ticket.unit_id, "unit_owner"),
        (BlockOwner, ticket.block_id, "block_owner"),
    ):
        customer_id = owner_of(model, key)
        if customer_id is not None:
            return _from_customer(db.session.get(Customer, customer_id), source)
    reporter = ticket.reporter
    if reporter is not None and reporter.role == "tenant":
        return Buyer(reporter.name, _place_address(ticket), reporter.email, None, None, "reporter")
    return Buyer(ticket.block.name, ticket.block.address, None, None, None, "block")


def apply_buyer(invoice: Invoice, buyer: Buyer) -> None:
    """Snapshot `buyer` onto a draft (the database refuses it once issued)."""
    invoice.bill_to = buyer.name[:200]
    invoice.customer_id = buyer.customer_id
    invoice.buyer_address = buyer.address[:500]
    invoice.buyer_email = buyer.email
    invoice.buyer_vat_number = buyer.vat_number


def _refresh(drafts) -> None:
    for invoice in drafts:
        apply_buyer(invoice, buyer_for(db.session.get(Ticket, invoice.ticket_id)))
    db.session.flush()


def _refresh_drafts(*conditions) -> None:
    drafts = (
        select(Invoice)
        .join(Ticket, Ticket.id == Invoice.ticket_id)
        .where(Invoice.status == "draft", *conditions)
    )
    _refresh(db.session.scalars(drafts).all())


def get_ticket_bill_to(caller: Caller, ticket_id: int) -> dict:
    ticket = get_visible_ticket(caller, ticket_id)
    check_staff(caller)
    return bill_to_view(ticket)


def bill_to_view(ticket: Ticket) -> dict:
    return {"ticket_id": ticket.id, **asdict(buyer_for(ticket))}


def set_ticket_bill_to(caller: Caller, ticket: Ticket, customer_id: int | None) -> dict:
    """Staff: bill the ticket to a customer (None: back to the default rule). Refused
    once an invoice of it is issued; its drafts follow; the timeline says old and new."""
    check_staff(caller)
    customer = _known_customer(customer_id)
    issued = db.session.scalar(
        select(Invoice.number).where(
            Invoice.ticket_id == ticket.id,
            Invoice.kind == "invoice",
            Invoice.status.in_(ISSUED),
        )
    )
    if issued is not None:
        raise Conflict(
            f"Invoice {issued} of this ticket is issued and bills its buyer for good; "
            "credit it first to bill someone else.",
            code="bill_to_locked",
        )
    before = buyer_for(ticket)
    row = db.session.get(TicketBillTo, ticket.id)
    if customer is None:
        if row is not None:
            db.session.delete(row)
        ticket.bill_to = None
    elif row is None:
        db.session.add(TicketBillTo(ticket_id=ticket.id, customer_id=customer.id))
    else:
        row.customer_id = customer.id
    db.session.flush()
    after = buyer_for(ticket)
    if after != before:
        append_event(
            ticket,
            "bill_to_changed",
            caller,
            {"from": before.summary(), "to": after.summary()},
            visibility="staff",
        )
        _refresh_drafts(Invoice.ticket_id == ticket.id)
    return bill_to_view(ticket)


def set_bill_to_of_ticket(caller: Caller, ticket_id: int, customer_id: int | None) -> dict:
    ticket = get_visible_ticket(caller, ticket_id, for_update=True)
    return set_ticket_bill_to(caller, ticket, customer_id)

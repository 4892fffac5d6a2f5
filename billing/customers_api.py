"""Bill-to parties and draft edits: customers (staff), owners of blocks and units, a
ticket's bill-to, and changing a draft invoice's lines and buyer before it is issued.

Staff and admins only; tenants and contractors get 403. Tickets and invoices outside
a staff member's scope answer 404, as everywhere.
"""

from flask_smorest import Blueprint

from billing import customers, draft_edits
from billing.customer_schemas import (
    BillToSchema,
    CustomerCreateSchema,
    CustomerQuerySchema,
    CustomerSchema,
    CustomerUpdateSchema,
    LineChangeSchema,
    LineCreateSchema,
    OwnerResultSchema,
    OwnerSchema,
)
from billing.schemas import InvoiceSchema
from server.api.access import requires
from server.auth import current_caller

STAFF = ("staff", "admin")
ACTION_ERRORS = {"403": "FORBIDDEN", "409": "CONFLICT", "422": "UNPROCESSABLE_ENTITY"}

customers_blp = Blueprint(
    "billing_customers",
    __name__,
    url_prefix="/api/billing",
    description=(
        "Customers who pay for repairs (landlords, owners) and the blocks and units they "
        "own: a chargeable ticket bills the unit's owner, else the block's, else the tenant "
        "who reported it, unless staff choose another customer for the ticket."
    ),
)
bill_to_blp = Blueprint(
    "ticket_bill_to",
    __name__,
    url_prefix="/api/tickets",
    description="Who a ticket's invoices bill (staff).",
)
drafts_blp = Blueprint(
    "invoice_drafts",
    __name__,
    url_prefix="/api/invoices",
    description=(
        "Editing a draft invoice before it is issued; every edit recomputes the totals and "
        "is a timeline event. Issued invoices answer 409 `invoice_not_draft`."
    ),
)


@customers_blp.post("/customers")
@requires(*STAFF)
@customers_blp.arguments(CustomerCreateSchema)
@customers_blp.response(201, CustomerSchema)
def create_customer(data):
    """A customer: name, postal address, email, optional VAT number (GB123456789)."""
    return customers.create_customer(current_caller(), **data)


@customers_blp.get("/customers")
@requires(*STAFF)
@customers_blp.arguments(CustomerQuerySchema, location="query")
@customers_blp.response(200, CustomerSchema(many=True))
def list_customers(query):
    """Customers by name; `q` finds a part of the name or email."""
    return customers.list_customers(query.get("q"), query["limit"])


@customers_blp.get("/customers/<int:customer_id>")
@requires(*STAFF)
@customers_blp.response(200, CustomerSchema)
def get_customer(customer_id):
    """One customer."""
    return customers.get_customer(customer_id)


@customers_blp.patch("/customers/<int:customer_id>")
@requires(*STAFF)
@customers_blp.arguments(CustomerUpdateSchema)
@customers_blp.response(200, CustomerSchema)
def update_customer(data, customer_id):
    """Change a customer; draft invoices billing it show the new details (issued ones
    keep what they were issued with)."""
    return customers.update_customer(current_caller(), customer_id, data)


@customers_blp.put("/blocks/<int:block_id>/owner")
@requires(*STAFF)
@customers_blp.arguments(OwnerSchema)
@customers_blp.response(200, OwnerResultSchema)
def set_block_owner(data, block_id):
    """Bill chargeable work in the block to a customer (null: nobody)."""
    block = customers.set_block_owner(current_caller(), block_id, data["customer_id"])
    return {"id": block.id, "name": block.name, "customer_id": data["customer_id"]}


@customers_blp.put("/units/<int:unit_id>/owner")
@requires(*STAFF)
@customers_blp.arguments(OwnerSchema)
@customers_blp.response(200, OwnerResultSchema)
def set_unit_owner(data, unit_id):
    """Bill chargeable work in the unit to its owner (null: the block's owner applies)."""
    unit = customers.set_unit_owner(current_caller(), unit_id, data["customer_id"])
    return {"id": unit.id, "name": unit.name, "customer_id": data["customer_id"]}


@bill_to_blp.get("/<int:ticket_id>/bill-to")
@requires(*STAFF)
@bill_to_blp.response(200, BillToSchema)
def get_bill_to(ticket_id):
    """Who the ticket's invoices bill, and why (`source`)."""
    return customers.get_ticket_bill_to(current_caller(), ticket_id)


@bill_to_blp.put("/<int:ticket_id>/bill-to")
@requires(*STAFF)
@bill_to_blp.doc(responses=ACTION_ERRORS)
@bill_to_blp.arguments(OwnerSchema)
@bill_to_blp.response(200, BillToSchema)
def set_bill_to(data, ticket_id):
    """Bill the ticket to a customer (null: back to the owners and reporter rule). Its
    drafts follow; 409 `bill_to_locked` once an invoice of it is issued."""
    return customers.set_bill_to_of_ticket(current_caller(), ticket_id, data["customer_id"])


@drafts_blp.put("/<int:invoice_id>/bill-to")
@requires(*STAFF)
@drafts_blp.doc(responses=ACTION_ERRORS)
@drafts_blp.arguments(OwnerSchema)
@drafts_blp.response(200, InvoiceSchema)
def set_invoice_bill_to(data, invoice_id):
    """Bill a draft (and its ticket) to a customer; null: back to the default rule."""
    return draft_edits.change_bill_to(current_caller(), invoice_id, data["customer_id"])


@drafts_blp.post("/<int:invoice_id>/lines")
@requires(*STAFF)
@drafts_blp.doc(responses=ACTION_ERRORS)
@drafts_blp.arguments(LineCreateSchema)
@drafts_blp.response(201, InvoiceSchema)
def add_line(data, invoice_id):
    """Add a line to a draft: `kind`, `description`, `quantity`, `unit_price`, `unit_code`."""
    return draft_edits.add_line(current_caller(), invoice_id, data)


@drafts_blp.patch("/<int:invoice_id>/lines/<int:line_id>")
@requires(*STAFF)
@drafts_blp.doc(responses=ACTION_ERRORS)
@drafts_blp.arguments(LineChangeSchema)
@drafts_blp.response(200, InvoiceSchema)
def change_line(data, invoice_id, line_id):
    """Change a draft line's `description`, `quantity` or `unit_price`."""
    return draft_edits.change_line(current_caller(), invoice_id, line_id, data)


@drafts_blp.delete("/<int:invoice_id>/lines/<int:line_id>")
@requires(*STAFF)
@drafts_blp.doc(responses=ACTION_ERRORS)
@drafts_blp.response(200, InvoiceSchema)
def remove_line(invoice_id, line_id):
    """Remove a line from a draft; the work it billed can be drafted again."""
    return draft_edits.remove_line(current_caller(), invoice_id, line_id)

"""The back office's reference pages: aged debt, labour categories and their rates,
customers (owners, landlords) and their invoices. Roles as the API: rates are edited
by admins (staff read them), customers by staff; invoices in the caller's scope."""

from flask import flash, redirect, request
from sqlalchemy import select

from billing import customers, invoice_queries, service
from billing.customer_schemas import (
    CustomerCreateSchema,
    CustomerQuerySchema,
    CustomerUpdateSchema,
)
from billing.invoice_queries import BUCKETS
from billing.models import LabourCategory
from billing.schemas import LabourCategoryCreateSchema, outstanding_of
from server.errors import DomainError, Invalid
from server.extensions import db
from web.access import STAFF, signed_in
from web.console import bp
from web.console.billing_pages import page_urls
from web.forms import read_form
from web.rendering import page, problem_text

CUSTOMER_LABELS = {"name": "Name", "address": "Address", "email": "Email", "vat_number": "VAT"}
RATE_LABELS = {"name": "Name", "hourly_rate": "Hourly rate"}


@bp.get("/billing/aged-debt")
@signed_in(*STAFF)
def aged_debt(caller):
    rows = invoice_queries.aged_debt(caller)
    totals = [sum((row.buckets[i] for row in rows), start=0) for i in range(len(BUCKETS))]
    return page(
        "console/billing/aged_debt.html",
        rows=rows,
        buckets=BUCKETS,
        totals=totals,
        total=sum(totals, start=0),
        today=invoice_queries.local_today(),
    )


# Labour categories ------------------------------------------------------------


def _rates_page(status=200, errors=None, values=None, problem=None, editing=None):
    categories = db.session.scalars(select(LabourCategory).order_by(LabourCategory.name)).all()
    return page(
        "console/billing/rates.html",
        status=status,
        categories=categories,
        errors=errors or {},
        values=values or {},
        labels=RATE_LABELS,
        problem=problem,
        editing=editing,
    )


@bp.get("/billing/rates")
@signed_in(*STAFF)
def rates(caller):
    return _rates_page()


@bp.post("/billing/rates")
@signed_in("admin")
def create_rate(caller):
    try:
        data = read_form(LabourCategoryCreateSchema(), request.form)
        category = service.create_labour_category(caller, **data)
    except DomainError as error:
        if error.status >= 500:
            raise
        return _rates_page(error.status, error.errors, dict(request.form), problem_text(error))
    flash(f"Labour category {category.name} added.", "success")
    return redirect("/billing/rates", code=303)


@bp.post("/billing/rates/<int:category_id>")
@signed_in("admin")
def update_rate(caller, category_id):
    prefix = f"rate{category_id}_"
    form = {k.removeprefix(prefix): v for k, v in request.form.items() if k.startswith(prefix)}
    try:
        data = read_form(LabourCategoryCreateSchema(), form)
        category = service.update_labour_category(caller, category_id, **data)
    except DomainError as error:
        if error.status == 404:
            raise
        errors = {f"{prefix}{k}": v for k, v in (error.errors or {}).items()}
        values = {f"{prefix}{k}": v for k, v in form.items()}
        return _rates_page(error.status, errors, values, problem_text(error), category_id)
    flash(f"{category.name} saved; drafts made from now on use the new rate.", "success")
    return redirect("/billing/rates", code=303)


# Customers -----------------------------------------------------------------------


@bp.get("/billing/customers")
@signed_in(*STAFF)
def customer_list(caller):
    return _customers_page()


def _customers_page(status=200, errors=None, values=None):
    try:
        query = read_form(CustomerQuerySchema(), request.args)
    except Invalid as error:
        errors, query = error.errors, {"limit": 100}
    return page(
        "console/billing/customers.html",
        status=422 if errors and status == 200 else status,
        customers=customers.list_customers(query.get("q"), query["limit"]),
        q=request.args.get("q", ""),
        errors=errors or {},
        values=values or {},
        labels=CUSTOMER_LABELS,
    )


@bp.post("/billing/customers")
@signed_in(*STAFF)
def create_customer(caller):
    try:
        customer = customers.create_customer(
            caller, **read_form(CustomerCreateSchema(), request.form)
        )
    except Invalid as error:
        return _customers_page(422, error.errors, dict(request.form))
    flash(f"Customer {customer.name} added.", "success")
    return redirect(f"/billing/customers/{customer.id}", code=303)


def _customer_page(caller, customer_id, status=200, errors=None, values=None):
    customer = customers.get_customer(customer_id)
    result = invoice_queries.invoice_page(
        caller, {"customer": customer.id, "cursor": request.args.get("cursor", type=int)}
    )
    path = f"/billing/customers/{customer.id}"
    next_url, first_url = page_urls(path, request.args, result["next_cursor"])
    return page(
        "console/billing/customer.html",
        status=status,
        customer=customer,
        invoices=result["items"],
        tickets=result["tickets"],
        outstanding_of=outstanding_of,
        today=invoice_queries.local_today(),
        errors=errors or {},
        values=values or {},
        labels=CUSTOMER_LABELS,
        next_url=next_url,
        first_url=first_url,
    )


@bp.get("/billing/customers/<int:customer_id>")
@signed_in(*STAFF)
def customer_detail(caller, customer_id):
    return _customer_page(caller, customer_id)


@bp.post("/billing/customers/<int:customer_id>")
@signed_in(*STAFF)
def update_customer(caller, customer_id):
    try:
        changes = read_form(CustomerUpdateSchema(), request.form, nullable=("vat_number",))
        customers.update_customer(caller, customer_id, changes)
    except Invalid as error:
        return _customer_page(caller, customer_id, 422, error.errors, dict(request.form))
    flash("Customer saved; their draft invoices show the new details.", "success")
    return redirect(f"/billing/customers/{customer_id}", code=303)

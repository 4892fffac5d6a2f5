"""The billing pages: the API's roles and scope, CSRF, refusals in plain words with
nothing changed, a double-submitted payment recorded once, and list pages whose
query count does not grow with their rows."""

import re

import pytest

from billing.models import Invoice, Payment
from server.extensions import db
from server.models import Ticket
from tests.web.billing_world import (  # noqa: F401  (billing_app: the `app` fixture)
    billing_app,
    draft_invoice,
    give_rate,
    issued_invoice,
)
from tests.web.pages import csrf, sign_in

PAGES = ["/billing/invoices", "/billing/aged-debt", "/billing/rates", "/billing/customers",
         "/exports"]  # fmt: skip
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def staff_client(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def post_on(client, page_path, path, data):
    return client.post(path, data={**data, "csrf_token": csrf(client, page_path)})


def row(app, model, key):
    with app.app_context():
        found = db.session.get(model, key)
        db.session.expunge_all()
        return found


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("role", ["tenant", "contractor"])
def test_customers_and_contractors_get_the_not_allowed_page(app, people, path, role):
    answer = staff_client(app, getattr(people, role)).get(path)
    assert answer.status_code == 403


@pytest.mark.parametrize("path", PAGES)
def test_signed_out_visitors_are_sent_to_sign_in(client, path):
    answer = client.get(path)
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/?next=")


def test_the_list_shows_the_callers_invoices_and_another_blocks_invoice_is_not_found(
    app, make, people
):
    give_rate(app, people.contractor)
    mine, _ = issued_invoice(app, make, people)
    other_block = make.block(name="Elsewhere House")
    outsider = make.user("staff", name="Olga Outsider")
    client = staff_client(app, outsider)
    assert "No invoices match" in client.get("/billing/invoices").get_data(as_text=True)
    assert client.get(f"/billing/invoices/{mine}").status_code == 404
    assert client.get(f"/billing/invoices/{mine}.pdf").status_code == 404
    assert other_block is not None
    html = staff_client(app, people.manager).get("/billing/invoices").get_data(as_text=True)
    number = row(app, Invoice, mine).number
    assert number in html and "£60.00" in html  # 1 h at 50.00 + 20 % VAT


def test_filters_narrow_the_list_and_a_bad_filter_is_explained(app, make, people):
    give_rate(app, people.contractor)
    issued, _ = issued_invoice(app, make, people)
    draft, _ = draft_invoice(app, make, people)
    client = staff_client(app, people.manager)
    html = client.get("/billing/invoices?status=draft").get_data(as_text=True)
    assert f"/billing/invoices/{draft}" in html and f'/billing/invoices/{issued}"' not in html
    html = client.get("/billing/invoices?overdue=true").get_data(as_text=True)
    assert "No invoices match" in html  # due in 30 days
    answer = client.get("/billing/invoices?status=exploded&cursor=abc&issued_from=2026-13-40")
    assert answer.status_code == 422
    text = answer.get_data(as_text=True)
    assert "There is a problem" in text and 'href="#field-status"' in text


def test_the_list_pages_on_with_a_cursor(app, make, people):
    give_rate(app, people.contractor)
    ids = [draft_invoice(app, make, people)[0] for _ in range(3)]
    client = staff_client(app, people.manager)
    first = client.get("/billing/invoices?limit=2").get_data(as_text=True)
    assert f'/billing/invoices/{ids[2]}"' in first and f'/billing/invoices/{ids[0]}"' not in first
    following = re.search(r'href="(/billing/invoices\?[^"]*cursor=[^"]+)"', first).group(1)
    second = client.get(following.replace("&amp;", "&")).get_data(as_text=True)
    assert f'/billing/invoices/{ids[0]}"' in second and f'/billing/invoices/{ids[2]}"' not in second


@pytest.mark.parametrize("path", ["/billing/invoices", "/billing/aged-debt"])
def test_the_query_count_does_not_grow_with_the_rows(app, make, people, queries, path):
    give_rate(app, people.contractor)
    issued_invoice(app, make, people)
    client = staff_client(app, people.manager)
    with queries() as few:
        assert client.get(path).status_code == 200
    for _ in range(4):
        issued_invoice(app, make, people)
    with queries() as many:
        assert client.get(path).status_code == 200
    assert many.count == few.count, many.statements[few.count :]


def test_issuing_a_draft_with_warnings_is_refused_until_confirmed(app, make, people):
    invoice_id, _ = draft_invoice(app, make, people)  # no labour rate: a warning
    client = staff_client(app, people.manager)
    page = f"/billing/invoices/{invoice_id}"
    html = client.get(page).get_data(as_text=True)
    assert "Check before issuing" in html and "labour is billed at 0.00 an hour" in html
    answer = post_on(client, page, f"{page}/issue", {})
    assert answer.status_code == 409
    text = answer.get_data(as_text=True)
    assert "This draft has warnings" in text and "Issue anyway, despite the warnings" in text
    assert row(app, Invoice, invoice_id).status == "draft"
    answer = post_on(client, page, f"{page}/issue", {"force": "on"})
    assert answer.status_code == 303
    assert row(app, Invoice, invoice_id).number.startswith("INV-")


def test_a_draft_line_is_edited_and_hostile_values_change_nothing(app, make, people):
    invoice_id, _ = draft_invoice(app, make, people)
    client = staff_client(app, people.manager)
    page = f"/billing/invoices/{invoice_id}"
    with app.app_context():
        line_id = db.session.get(Invoice, invoice_id).lines[0].id
    p = f"line{line_id}_"
    for price in ("-5", "1e999", "99999999999999999999", "<script>"):
        answer = post_on(client, page, f"{page}/lines/{line_id}", {f"{p}unit_price": price})
        assert answer.status_code == 422, price
        assert "There is a problem" in answer.get_data(as_text=True)
    assert row(app, Invoice, invoice_id).gross_total == 0
    answer = post_on(client, page, f"{page}/lines/{line_id}", {f"{p}unit_price": "40.00"})
    assert answer.status_code == 303
    assert str(row(app, Invoice, invoice_id).gross_total) == "48.00"
    assert "labour is billed at 0.00" not in client.get(page).get_data(as_text=True)
    assert client.post(
        f"{page}/lines/999999", data={"csrf_token": csrf(client, page)}
    ).status_code in (404, 422)


def test_a_post_without_the_csrf_token_changes_nothing(app, make, people):
    invoice_id, _ = draft_invoice(app, make, people)
    client = staff_client(app, people.manager)
    answer = client.post(f"/billing/invoices/{invoice_id}/issue", data={"force": "on"})
    assert answer.status_code == 400
    assert row(app, Invoice, invoice_id).status == "draft"


def _pay(client, invoice_id, amount, key=None):
    page = f"/billing/invoices/{invoice_id}"
    html = client.get(page).get_data(as_text=True)
    data = {
        "amount": amount,
        "currency": "GBP",
        "method": "bank_transfer",
        "paid_at": "2026-04-01",
        "reference": "BANK-1",
        "idempotency_key": key or KEY.search(html).group(1),
        "csrf_token": csrf(client, page),
    }
    return client.post(f"{page}/payments", data=data), data


def test_a_double_submitted_payment_form_records_one_payment(app, make, people):
    give_rate(app, people.contractor)
    invoice_id, _ = issued_invoice(app, make, people)
    client = staff_client(app, people.manager)
    first, data = _pay(client, invoice_id, "10.00")
    second = client.post(f"/billing/invoices/{invoice_id}/payments", data=data)
    assert first.status_code == second.status_code == 303
    html = client.get(f"/billing/invoices/{invoice_id}").get_data(as_text=True)
    assert "already recorded; it was not recorded twice" in html
    with app.app_context():
        assert db.session.query(Payment).filter_by(invoice_id=invoice_id).count() == 1
        assert str(db.session.get(Invoice, invoice_id).amount_paid) == "10.00"


@pytest.mark.parametrize(
    "amount, words",
    [
        ("-5", "must be positive"),
        ("0", "must be positive"),
        ("1000000", "more than the 60.00 outstanding"),
        ("99999999999999999999999999", "Not a valid amount"),
        ("12.345", "Not a valid amount"),
        ("ten", "Not a valid amount"),
    ],
)
def test_hostile_amounts_are_refused_in_words(app, make, people, amount, words):
    give_rate(app, people.contractor)
    invoice_id, _ = issued_invoice(app, make, people)
    client = staff_client(app, people.manager)
    answer, _ = _pay(client, invoice_id, amount)
    assert answer.status_code == 422
    text = answer.get_data(as_text=True)
    assert words in text and "Nothing was changed" in text
    assert row(app, Invoice, invoice_id).amount_paid == 0


def test_a_partial_then_a_full_payment_closes_the_resolved_ticket(app, make, people):
    give_rate(app, people.contractor)
    invoice_id, ticket_id = issued_invoice(app, make, people, status="resolved")
    client = staff_client(app, people.manager)
    assert _pay(client, invoice_id, "20.00")[0].status_code == 303
    assert row(app, Invoice, invoice_id).status == "partially_paid"
    assert row(app, Ticket, ticket_id).status == "resolved"
    assert _pay(client, invoice_id, "40.00")[0].status_code == 303
    assert row(app, Invoice, invoice_id).status == "paid"
    assert row(app, Ticket, ticket_id).status == "closed"


def test_credit_notes_in_part_and_in_full(app, make, people):
    give_rate(app, people.contractor)
    invoice_id, _ = issued_invoice(app, make, people, minutes=120)
    client = staff_client(app, people.manager)
    page = f"/billing/invoices/{invoice_id}"
    with app.app_context():
        line_id = db.session.get(Invoice, invoice_id).lines[0].id
    too_much = {"reason": "Overcharged", "what": "lines", f"qty-{line_id}": "5"}
    answer = post_on(client, page, f"{page}/credit", too_much)
    assert answer.status_code == 422
    assert "of this line is left to credit" in answer.get_data(as_text=True)
    answer = post_on(client, page, f"{page}/credit", {"reason": "", "what": "all"})
    assert answer.status_code == 422  # a reason is required
    part = {"reason": "One hour too many", "what": "lines", f"qty-{line_id}": "1"}
    assert post_on(client, page, f"{page}/credit", part).status_code == 303
    assert str(row(app, Invoice, invoice_id).amount_credited) == "60.00"
    rest = {"reason": "Goodwill", "what": "all"}
    assert post_on(client, page, f"{page}/credit", rest).status_code == 303
    assert row(app, Invoice, invoice_id).status == "credited"


def test_documents_download_after_the_same_checks(app, make, people):
    give_rate(app, people.contractor)
    draft, _ = draft_invoice(app, make, people)
    issued, _ = issued_invoice(app, make, people)
    client = staff_client(app, people.manager)
    pdf = client.get(f"/billing/invoices/{issued}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    xml = client.get(f"/billing/invoices/{issued}.xml?flavor=ubl")
    assert xml.status_code == 200 and b"<Invoice" in xml.data
    assert client.get(f"/billing/invoices/{issued}.xml?flavor=evil").status_code == 422
    refused = client.get(f"/billing/invoices/{draft}.xml")
    assert refused.status_code == 409
    assert client.get("/billing/invoices/99999999999.pdf").status_code == 404


def test_aged_debt_buckets_what_is_outstanding(app, make, people):
    give_rate(app, people.contractor)
    invoice_id, _ = issued_invoice(app, make, people)
    client = staff_client(app, people.manager)
    _pay(client, invoice_id, "15.00")
    html = client.get("/billing/aged-debt").get_data(as_text=True)
    assert "0-30 days" in html and "£45.00" in html


def test_rates_are_read_by_staff_and_changed_by_admins(app, people):
    staff = staff_client(app, people.manager)
    assert staff.get("/billing/rates").status_code == 200
    refused = post_on(staff, "/billing/rates", "/billing/rates", {"name": "X", "hourly_rate": "1"})
    assert refused.status_code == 403
    admin = staff_client(app, people.admin)
    bad = post_on(
        admin, "/billing/rates", "/billing/rates", {"name": "Roofer", "hourly_rate": "-3"}
    )
    assert bad.status_code == 422 and "There is a problem" in bad.get_data(as_text=True)
    made = post_on(
        admin, "/billing/rates", "/billing/rates", {"name": "Roofer", "hourly_rate": "40"}
    )
    assert made.status_code == 303
    html = admin.get("/billing/rates").get_data(as_text=True)
    category_id = re.search(r'action="/billing/rates/(\d+)"', html).group(1)
    p = f"rate{category_id}_"
    saved = post_on(
        admin, "/billing/rates", f"/billing/rates/{category_id}",
        {f"{p}name": "Roofer", f"{p}hourly_rate": "45.50"},
    )  # fmt: skip
    assert saved.status_code == 303
    assert 'value="45.50"' in admin.get("/billing/rates").get_data(as_text=True)
    missing = post_on(admin, "/billing/rates", "/billing/rates/99999", {})
    assert missing.status_code in (404, 422)


def test_customers_are_created_and_list_their_invoices(app, make, people):
    client = staff_client(app, people.manager)
    bad = {"name": "Acme", "address": "1 Road", "email": "not-an-email", "vat_number": "XX"}
    answer = post_on(client, "/billing/customers", "/billing/customers", bad)
    assert answer.status_code == 422 and 'href="#field-email"' in answer.get_data(as_text=True)
    good = {"name": "Acme Lettings", "address": "1 Road, Bristol", "email": "a@acme.example"}
    answer = post_on(client, "/billing/customers", "/billing/customers", good)
    assert answer.status_code == 303
    customer_path = answer.headers["Location"]
    assert "Acme Lettings" in client.get("/billing/customers?q=acme").get_data(as_text=True)
    assert "No invoices match" in client.get(customer_path).get_data(as_text=True)
    assert client.get("/billing/customers/999999").status_code == 404


def test_exports_stream_the_callers_rows_for_a_date_range(app, make, people):
    make.ticket(people.tenant, people.block, people.unit, summary="Cracked tile")
    client = staff_client(app, people.manager)
    assert 'action="/exports/tickets.csv"' in client.get("/exports").get_data(as_text=True)
    answer = client.get("/exports/tickets.csv?from=2020-01-01&to=2099-12-31")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert "Cracked tile" in answer.get_data(as_text=True)
    outsider = staff_client(app, make.user("staff", name="Olga Outsider"))
    assert "Cracked tile" not in outsider.get("/exports/tickets.csv").get_data(as_text=True)
    backwards = client.get("/exports/tickets.csv?from=2026-05-01&to=2026-01-01")
    assert backwards.status_code == 422
    assert "is after" in backwards.get_data(as_text=True)
    assert client.get("/exports/passwords.csv").status_code == 404


def test_exports_list_the_drop_folders_last_runs(app, make, people, tmp_path):
    from billing.cli import write_files

    app.config["EXPORT_DROP_DIR"] = str(tmp_path / "drop")
    with app.app_context():
        write_files(("tickets",), None, None, str(tmp_path / "drop"))
    html = staff_client(app, people.manager).get("/exports").get_data(as_text=True)
    assert "-manifest.json" in html and "-tickets.csv" in html

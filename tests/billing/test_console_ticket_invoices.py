"""The console's ticket page lists the ticket's invoices with their totals and serves
each PDF through the billing service, to staff who may see the ticket."""

from tests.web.pages import sign_in


def test_staff_see_the_invoice_with_its_total_and_open_its_pdf(app, shop):
    invoice = shop.issued_invoice(minutes=60)
    ticket_id = invoice["ticket_id"]
    client = app.test_client()
    sign_in(client, shop.staff)
    html = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert invoice["number"] in html and "Issued" in html
    assert f"£{invoice['gross_total']}" in html
    assert f"issued invoice {invoice['number']} for £{invoice['gross_total']}" in html
    pdf = client.get(f"/tickets/{ticket_id}/invoices/{invoice['id']}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_the_contractor_picker_shows_each_trade_and_current_load(app, shop):
    shop.issued_invoice()  # Şükrü's one active job
    other = shop.ticket(contractor=shop.make.user("contractor", name="Eve Electric"))
    client = app.test_client()
    sign_in(client, shop.staff)
    html = client.get(f"/tickets/{other}").get_data(as_text=True)
    assert "Şükrü Ñúñez – Plumber · 1 active job" in html


def test_another_tickets_invoice_or_another_teams_ticket_is_not_found(app, shop):
    invoice = shop.issued_invoice()
    other_ticket = shop.ticket()
    client = app.test_client()
    sign_in(client, shop.staff)
    assert client.get(f"/tickets/{other_ticket}/invoices/{invoice['id']}.pdf").status_code == 404
    outsider = app.test_client()
    sign_in(outsider, shop.outsider_staff)
    answer = outsider.get(f"/tickets/{invoice['ticket_id']}/invoices/{invoice['id']}.pdf")
    assert answer.status_code == 404

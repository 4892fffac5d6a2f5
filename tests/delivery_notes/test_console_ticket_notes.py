"""The console's ticket page lists a ticket's signed delivery notes with their check,
and serves each PDF to signed-in staff through the delivery_notes service."""

from tests.web.pages import sign_in


def test_staff_see_the_signed_note_and_open_its_pdf(app, agency, visit):
    note = agency.sign(visit)
    client = app.test_client()
    sign_in(client, agency.staff)
    html = client.get(f"/tickets/{visit}").get_data(as_text=True)
    assert note["number"] in html and "Signed by" in html and "✓ Genuine" in html
    assert f"got delivery note {note['number']} signed" in html  # the timeline says it too
    pdf = client.get(f"/tickets/{visit}/delivery-notes/{note['id']}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")


def test_a_tampered_note_is_flagged_on_the_page(app, agency, visit):
    note = agency.sign(visit)
    agency.tamper(
        "UPDATE delivery_notes SET signed_by = 'Someone Else' WHERE id = :id", id=note["id"]
    )
    client = app.test_client()
    sign_in(client, agency.staff)
    assert "✗ Does not verify" in client.get(f"/tickets/{visit}").get_data(as_text=True)


def test_the_tenant_gets_no_note_pdf_through_the_console(app, agency, visit):
    note = agency.sign(visit)
    client = app.test_client()
    sign_in(client, agency.tenant)
    assert client.get(f"/tickets/{visit}/delivery-notes/{note['id']}.pdf").status_code == 403

"""A price pushed as "18.50" comes back as "18.50": in pulls, invoice JSON and the PDF."""

import io
import json

from pypdf import PdfReader

from tests.billing.test_whole_chain import push, record


def test_a_pushed_price_keeps_its_two_decimals_everywhere(shop):
    ticket_id = shop.ticket()
    device = shop.make.headers(shop.contractor, device_id="handheld-scale")
    push(shop, device, {"materials": {"created": [record(
        ticket_id, id="mat-scale", description="Valve", quantity="2", unit="pc",
        unit_price="18.50", chargeable=True)]}})  # fmt: skip

    pulled = shop.client.get("/api/sync/pull?last_pulled_at=null", headers=device).get_json()
    [material] = [m for m in pulled["changes"]["materials"]["updated"] +
                  pulled["changes"]["materials"]["created"] if m["id"] == "mat-scale"]  # fmt: skip
    assert material["unit_price"] == "18.50"

    invoice = shop.issue(shop.draft(ticket_id)["id"])
    [line] = [item for item in invoice["lines"] if item["kind"] == "material"]
    assert (line["unit_price"], line["net"]) == ("18.50", "37.00")
    pdf = shop.client.get(f"/api/invoices/{invoice['id']}.pdf", headers=shop.headers(shop.staff))
    text = PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    assert "18.50" in text and "18.5 " not in text
    assert json.dumps(invoice).count('"18.5"') == 0

"""Back-office CSV exports over HTTP and from the CLI: content, scope, date range,
spreadsheet-formula escaping, the Xero variant and the atomic drop folder."""

import csv
import hashlib
import io
import json
from datetime import date, timedelta

import pytest
from werkzeug.http import parse_options_header

TODAY = date.today().isoformat()


def export(shop, kind, user=None, **query) -> list[dict]:
    response = shop.client.get(
        f"/api/exports/{kind}.csv", query_string=query, headers=shop.headers(user or shop.staff)
    )
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/csv"
    assert parse_options_header(response.headers["Content-Disposition"]) == (
        "attachment",
        {"filename": f"{kind}.csv"},
    )
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8"))))


@pytest.fixture
def billed(shop) -> dict:
    """An issued invoice with a formula-like material, and its credit note."""
    ticket_id = shop.ticket()
    shop.log_time(ticket_id, 90)
    shop.use_material(ticket_id, '=HYPERLINK("http://evil.example","Click")', "2", "18.50")
    invoice = shop.issue(shop.draft(ticket_id)["id"])
    note = shop.client.post(
        f"/api/invoices/{invoice['id']}/credit-notes",
        json={"reason": "@SUM(1+1)"},
        headers=shop.headers(shop.staff),
    ).get_json()
    return {"ticket_id": ticket_id, "invoice": invoice, "note": note}


def test_invoice_lines_export_decimal_strings_and_escapes_formulas(shop, billed):
    rows = export(shop, "invoice_lines")

    number, credit = billed["invoice"]["number"], billed["note"]["number"]
    assert [(r["invoice_number"], r["kind"], r["net"]) for r in rows] == [
        (number, "labour", "78.75"),
        (number, "material", "37.00"),
        (number, "callout", "45.00"),
        (credit, "labour", "-78.75"),
        (credit, "material", "-37.00"),
        (credit, "callout", "-45.00"),
    ]
    assert rows[1]["description"] == '\'=HYPERLINK("http://evil.example","Click")'
    assert rows[1]["quantity"] == "2.000" and rows[4]["quantity"] == "-2.000"
    assert rows[1]["unit_price"] == "18.50" and rows[1]["vat_rate"] == "20.00"
    assert rows[0]["issue_date"] == TODAY


def test_invoices_export_totals_and_links_credit_notes_to_their_invoice(shop, billed):
    rows = export(shop, "invoices", **{"from": TODAY, "to": TODAY})
    invoice, note = billed["invoice"], billed["note"]
    assert [(r["number"], r["status"], r["gross_total"], r["credited_invoice"]) for r in rows] == [
        (invoice["number"], "credited", invoice["gross_total"], ""),
        (note["number"], "issued", note["gross_total"], invoice["number"]),
    ]
    assert rows[0]["issued_at"].endswith("+00:00")


def test_the_date_range_is_inclusive_and_filters(shop, billed):
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert export(shop, "invoices", **{"from": tomorrow}) == []
    assert len(export(shop, "invoices", to=TODAY)) == 2
    assert export(shop, "time_entries", to="2026-03-11") == []
    [entry] = export(shop, "time_entries", **{"from": "2026-03-12", "to": "2026-03-12"})
    assert entry["minutes"] == "90" and entry["started_at"] == "2026-03-12T09:00:00+00:00"


def test_tickets_and_materials_exports(shop, billed):
    [ticket] = export(shop, "tickets")
    assert ticket["billing"] == "chargeable" and ticket["awaiting_payment"] == "false"
    assert ticket["unit"] == "Flat 12" and ticket["reporter"] == "Zoë Łukasiewicz"
    [material] = export(shop, "materials")
    assert material["description"].startswith("'=HYPERLINK")
    assert material["unit_price"] == "18.50"


def test_the_xero_export_has_xeros_columns_one_row_per_line(shop, billed):
    rows = export(shop, "xero_invoices")
    assert list(rows[0]) == [
        "ContactName",
        "InvoiceNumber",
        "InvoiceDate",
        "DueDate",
        "Description",
        "Quantity",
        "UnitAmount",
        "AccountCode",
        "TaxType",
        "Currency",
    ]
    assert len(rows) == 6
    first = rows[0]
    assert first["ContactName"] == "Zoë Łukasiewicz" and first["UnitAmount"] == "52.50"
    assert first["AccountCode"] == "200" and first["TaxType"] == "OUTPUT2"
    assert rows[3]["Quantity"] == "-1.500"  # the credit note's lines


def test_staff_export_only_their_scope_and_customers_cannot_export(shop, billed):
    assert export(shop, "tickets", user=shop.outsider_staff) == []
    assert export(shop, "invoices", user=shop.outsider_staff) == []
    assert len(export(shop, "invoices", user=shop.admin)) == 2
    response = shop.client.get("/api/exports/tickets.csv", headers=shop.headers(shop.tenant))
    assert response.status_code == 403
    unknown = shop.client.get("/api/exports/users.csv", headers=shop.headers(shop.staff))
    assert unknown.status_code == 404


def test_the_cli_writes_files_atomically_with_a_manifest(shop, billed, runner, tmp_path):
    out = tmp_path / "drop"
    result = runner.invoke(args=["export", "all", "--from", TODAY, "--to", TODAY, "--out", out])

    assert result.exit_code == 0, result.output
    [manifest_path] = out.glob("*-manifest.json")
    manifest = json.loads(manifest_path.read_text())
    assert manifest["from"] == manifest["to"] == TODAY
    rows = {entry["kind"]: entry["rows"] for entry in manifest["files"]}
    assert rows == {
        "tickets": 1,
        "time_entries": 0,  # logged on 2026-03-12, outside today
        "materials": 0,
        "invoices": 2,
        "invoice_lines": 6,
        "xero_invoices": 6,
    }
    for entry in manifest["files"]:
        data = (out / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert len(data) == entry["bytes"]
        assert len(data.decode("utf-8").splitlines()) == entry["rows"] + 1
    assert not list(out.glob(".*.tmp"))


def test_every_file_prints_booleans_money_and_quantities_alike(shop, billed):
    [entry] = export(shop, "time_entries")
    [material] = export(shop, "materials")
    [ticket] = export(shop, "tickets")
    invoices = export(shop, "invoices")
    lines = export(shop, "invoice_lines")
    xero = export(shop, "xero_invoices")

    assert (entry["chargeable"], material["chargeable"]) == ("true", "true")
    assert (ticket["awaiting_payment"], ticket["paid_in_full"]) == ("false", "false")
    assert material["quantity"] == lines[1]["quantity"] == xero[1]["Quantity"] == "2.000"
    assert lines[0]["quantity"] == xero[0]["Quantity"] == "1.500"  # hours, same scale
    assert material["unit_price"] == lines[1]["unit_price"] == xero[1]["UnitAmount"] == "18.50"
    for row in invoices:
        for name in ("net_total", "vat_total", "gross_total", "amount_paid", "amount_credited"):
            assert row[name].lstrip("-").split(".")[1].__len__() == 2, (name, row[name])
    assert invoices[0]["amount_credited"] == invoices[0]["gross_total"]


def test_from_after_to_is_refused(shop, runner, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    response = shop.client.get(
        "/api/exports/invoices.csv?from=2026-03-02&to=2026-03-01", headers=shop.headers(shop.staff)
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"from": ["`from` is after `to`."]}
    result = runner.invoke(
        args=[
            "export",
            "invoices",
            "--from",
            "2026-03-02",
            "--to",
            "2026-03-01",
            "--out",
            str(tmp_path),
        ]  # fmt: skip
    )
    assert result.exit_code == 2 and "--from is after --to" in result.output
    assert list(drop.iterdir()) == []


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_the_cli_refuses_days_outside_the_calendar_range_and_writes_nothing(runner, tmp_path, day):
    out = tmp_path / "drop"
    result = runner.invoke(args=["export", "all", "--from", day, "--to", day, "--out", out])
    assert result.exit_code == 2 and "Must be between" in result.output
    assert not out.exists()

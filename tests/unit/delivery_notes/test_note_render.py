import hashlib
import io
import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from delivery_notes.content import Agency, MaterialRow, content_sha256
from delivery_notes.render import render_pdf
from delivery_notes.signature_png import SignatureImageError
from tests.unit.delivery_notes.note_factories import (
    make_png,
    make_snapshot,
    time_rows,
    with_signature,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
TABLE_HEADER = "Date\nStart\nEnd\nHours\nChargeable"


def read(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in read(pdf).pages]


def images_on(page) -> list:
    xobjects = page["/Resources"].get("/XObject", {})
    return [x.get_object() for x in xobjects.values() if x.get_object()["/Subtype"] == "/Image"]


@pytest.fixture(scope="module")
def note():
    return make_snapshot()


@pytest.fixture(scope="module")
def pdf(note):
    return render_pdf(note)


def test_the_note_is_a_single_a4_page_pdf(pdf):
    reader = read(pdf)

    assert pdf.startswith(b"%PDF-")
    assert len(reader.pages) == 1
    assert [round(float(v)) for v in reader.pages[0].mediabox] == [0, 0, 595, 842]


def test_the_text_names_the_ticket_property_people_and_work(pdf):
    text = page_texts(pdf)[0]

    for expected in [
        "Harbourside Lettings",
        "Bristol BS1 5TT",
        "Delivery note DN-2026-000042",
        "T-2026-0117 — Leaking radiator valve in bedroom",
        "Harbour View, Flat 12",
        "14 Quay Street",
        "Zoë Łukasiewicz",
        "Şükrü Ñúñez (O'Brien & Sons)",
        "Replaced the thermostatic valve and bled the radiator.",
        "12 Mar 2026 08:00 GMT → 12 Mar 2026 10:25 GMT",
    ]:
        assert expected in text


def test_the_time_table_and_totals_show_hours(pdf):
    text = page_texts(pdf)[0]

    assert TABLE_HEADER in text
    assert "12 Mar 2026\n08:00\n08:45\n0.75\nNo" in text
    assert "Total hours: 2.25 · Chargeable hours: 1.50" in text


def test_the_materials_table_shows_quantities_and_counts_lines(pdf):
    text = page_texts(pdf)[0]

    assert "Description\nQty\nUnit\nChargeable" in text
    assert "Thermostatic radiator valve 15 mm\n1\npc\nYes" in text
    assert "PTFE tape\n0.5\nroll\nNo" in text
    assert "Material lines: 2 · Chargeable: 1" in text


def test_the_signer_and_signing_time_are_printed_in_the_display_timezone(note):
    summer = replace(note, signed_at=datetime(2026, 7, 1, 9, 30, tzinfo=UTC))

    assert "Signed by Zoë Łukasiewicz at 12 Mar 2026 14:00 GMT" in page_texts(render_pdf(note))[0]
    assert "Signed by Zoë Łukasiewicz at 1 Jul 2026 10:30 BST" in page_texts(render_pdf(summer))[0]


def test_the_signature_image_is_embedded_at_its_own_resolution(pdf):
    images = images_on(read(pdf).pages[0])

    assert [(image["/Width"], image["/Height"]) for image in images] == [(300, 100)]
    assert "/SMask" in images[0]  # the transparent background stays transparent


def test_the_agency_logo_is_embedded_when_there_is_one(note):
    with_logo = replace(note, agency=Agency("Harbourside Lettings", (), logo_png=make_png(120, 60)))

    sizes = sorted(
        (image["/Width"], image["/Height"])
        for image in images_on(read(render_pdf(with_logo)).pages[0])
    )

    assert sizes == [(120, 60), (300, 100)]


def test_the_footer_carries_page_number_content_hash_and_verify_link(note, pdf):
    text = page_texts(pdf)[0]

    assert "Page 1 of 1" in text
    assert f"Content SHA-256: {content_sha256(note)}" in text
    assert f"Verify: {note.verify_url}" in text


def test_the_qr_code_is_a_form_drawn_on_the_page(pdf):
    xobjects = read(pdf).pages[0]["/Resources"]["/XObject"]
    forms = [x.get_object() for x in xobjects.values() if x.get_object()["/Subtype"] == "/Form"]

    assert len(forms) == 1
    assert b" re" in forms[0].get_data()  # dark modules are drawn as rectangles


def test_the_document_info_is_fixed_and_dated_at_signing(note, pdf):
    meta = read(pdf).metadata

    assert meta.title == "Delivery note DN-2026-000042"
    assert meta.author == "Harbourside Lettings"
    assert meta.subject == f"Content SHA-256 {content_sha256(note)}"
    assert (meta.creator, meta.producer) == ("Fieldline", "Fieldline (ReportLab)")
    assert meta.creation_date == meta.modification_date == datetime(2026, 3, 12, 14, 0, tzinfo=UTC)


def test_rendering_twice_gives_identical_bytes(note, pdf):
    assert render_pdf(note) == pdf


RENDER_IN_CHILD = """
import hashlib, sys
from delivery_notes.render import render_pdf
from tests.unit.delivery_notes.note_factories import make_snapshot, time_rows
sys.stdout.write(hashlib.sha256(render_pdf(make_snapshot(time_entries=time_rows(60)))).hexdigest())
"""


def test_another_process_with_another_clock_and_hash_seed_renders_the_same_bytes():
    expected = hashlib.sha256(render_pdf(make_snapshot(time_entries=time_rows(60)))).hexdigest()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "PYTHONHASHSEED": "12345",
        "SOURCE_DATE_EPOCH": "86400",
        "TZ": "America/New_York",
        "LC_ALL": "C",
    }

    child = subprocess.run(
        [sys.executable, "-W", "error", "-c", RENDER_IN_CHILD],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    assert child.stdout == expected


def test_importing_the_renderer_loads_no_web_framework_and_registers_no_font():
    probe = (
        "import sys, delivery_notes.render\n"
        "from reportlab.pdfbase import pdfmetrics\n"
        "assert 'DejaVuSans' not in pdfmetrics.getRegisteredFontNames()\n"
        "assert not {'flask', 'sqlalchemy'} & set(sys.modules)\n"
    )

    subprocess.run(
        [sys.executable, "-W", "error", "-c", probe],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        check=True,
        timeout=60,
    )


def test_a_long_note_repeats_the_table_header_and_numbers_every_page():
    note = make_snapshot(time_entries=time_rows(200))
    texts = page_texts(render_pdf(note))
    total = len(texts)
    row = re.compile(r"\d{1,2} \w{3} 2026\n\d\d:\d\d\n\d\d:\d\d\n0\.75\n(Yes|No)")

    assert total >= 4
    assert sum(len(row.findall(text)) for text in texts) == 200
    for number, text in enumerate(texts, start=1):
        if row.search(text):
            assert TABLE_HEADER in text, f"page {number} has rows but no header"
        assert f"Page {number} of {total}" in text
        assert f"Content SHA-256: {content_sha256(note)}" in text
    assert "Total hours: 150.00 · Chargeable hours: 99.75" in texts[-1] + texts[-2]
    assert "Signed by Zoë Łukasiewicz" in texts[-1]


def test_every_page_of_a_long_note_carries_the_qr_code():
    pages = read(render_pdf(make_snapshot(time_entries=time_rows(200)))).pages

    for page in pages:
        assert any(
            x.get_object()["/Subtype"] == "/Form" for x in page["/Resources"]["/XObject"].values()
        )


def test_markup_in_user_text_is_printed_literally(note):
    tricky = replace(
        note,
        customer_name="<b>Bold</b> & Co <br/>",
        work_summary='Fixed <font size="40">big</font> &amp; stuff',
        materials=(MaterialRow("Pipe <15mm> & fittings", Decimal("2"), "m", None, True),),
    )

    text = page_texts(render_pdf(tricky))[0]

    assert "Signed by <b>Bold</b> & Co <br/>" in text
    assert 'Fixed <font size="40">big</font> &amp; stuff' in text
    assert "Pipe <15mm> & fittings" in text


def test_a_note_without_time_or_materials_still_renders(note):
    text = page_texts(render_pdf(replace(note, time_entries=(), materials=(), unit_name=None)))[0]

    assert "No time recorded." in text
    assert "No materials used." in text
    assert "Total hours: 0.00 · Chargeable hours: 0.00" in text
    assert "Property\nHarbour View\n" in text


def test_a_long_signer_name_wraps_instead_of_overflowing(note):
    long_name = "Maria-Magdalena Wolfeschlegelsteinhausenbergerdorff " * 3

    assert (
        "Maria-Magdalena"
        in page_texts(render_pdf(replace(note, customer_name=long_name.strip())))[0]
    )


def test_a_signature_that_is_not_a_png_fails_before_any_pdf_is_made(note):
    bogus = with_signature(note, b"\xff\xd8\xff\xe0 not really a jpeg either")

    with pytest.raises(SignatureImageError) as caught:
        render_pdf(bogus)
    assert caught.value.code == "not_png"


@pytest.mark.parametrize(
    "change",
    [
        {"work_summary": "word " * 3000},
        {"address": "line\n" * 150},
        {"materials": (MaterialRow("pipe " * 2000, Decimal("1"), "m", None, True),)},
    ],
    ids=["work summary", "address", "material description"],
)
def test_text_longer_than_a_page_flows_onto_further_pages(note, change):
    texts = page_texts(render_pdf(replace(note, **change)))

    assert len(texts) > 1
    assert f"Page {len(texts)} of {len(texts)}" in texts[-1]
    assert "Signed by Zoë Łukasiewicz" in texts[-1]

"""The signed note's PDF through the API: who may read it, what it says, caching,
determinism, and the public verification page."""

import io
import re

from pypdf import PdfReader

from tests.delivery_notes.conftest import COMPANY, CONTRACTOR, SIGNER


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def images_in(pdf: bytes) -> list:
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    xobjects = page["/Resources"].get("/XObject", {})
    return [x for x in xobjects.values() if x.get_object()["/Subtype"] == "/Image"]


def test_tenant_staff_and_contractor_read_the_signed_note_as_pdf(agency, visit):
    note = agency.sign(visit)

    for user in (agency.tenant, agency.staff, agency.contractor):
        response = agency.pdf(visit, note["id"], user)
        assert response.status_code == 200, user.role
        assert response.mimetype == "application/pdf"
        assert response.data.startswith(b"%PDF-")


def test_the_pdf_names_the_ticket_people_hours_and_signature(agency, visit):
    note = agency.sign(visit)
    ref = agency.detail(visit)["ref"]

    pdf = agency.pdf(visit, note["id"], agency.tenant).data
    text = text_of(pdf)

    assert ref in text
    assert note["number"] in text
    assert SIGNER in text
    assert CONTRACTOR in text and COMPANY in text
    assert "Harbour View, Flat 12" in text
    assert "1.50" in text and "0.50" in text  # the two entries, in hours
    assert "Total hours: 2.00 · Chargeable hours: 1.50" in text
    assert "Thermostatic valve 15 mm" in text
    assert f"Signed by {SIGNER}" in text
    assert note["content_sha256"] in text
    assert f"/verify/{note['id']}" in text
    assert len(images_in(pdf)) == 1  # the signature


def test_a_tenant_of_another_home_gets_404_for_the_pdf_and_the_list(agency, visit):
    note = agency.sign(visit)
    client = agency.app.test_client()
    headers = agency.headers(agency.other_tenant)

    assert agency.pdf(visit, note["id"], agency.other_tenant).status_code == 404
    response = client.get(f"/api/tickets/{visit}/delivery-notes", headers=headers)
    assert response.status_code == 404
    assert response.get_json()["code"] == "ticket_not_found"


def test_a_note_of_another_ticket_is_not_found_under_this_one(agency, visit):
    note = agency.sign(visit)
    other_ticket = agency.ticket()

    response = agency.pdf(other_ticket, note["id"], agency.staff)

    assert response.status_code == 404
    assert response.get_json()["code"] == "delivery_note_not_found"


def test_the_pdf_carries_its_sha256_as_etag_and_answers_304_when_unchanged(agency, visit):
    note = agency.sign(visit)

    first = agency.pdf(visit, note["id"], agency.tenant)
    etag = first.headers["ETag"]
    again = agency.pdf(visit, note["id"], agency.tenant, **{"If-None-Match": etag})
    stale = agency.pdf(visit, note["id"], agency.tenant, **{"If-None-Match": '"0000"'})

    assert etag == f'"{agency.note(note["id"])["pdf_sha256"]}"'
    assert first.headers["Cache-Control"] == "private, no-cache"
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    assert stale.status_code == 200 and stale.data == first.data


def test_the_note_list_gives_number_hash_and_pdf_link(agency, visit):
    note = agency.sign(visit)
    client = agency.app.test_client()

    response = client.get(
        f"/api/tickets/{visit}/delivery-notes", headers=agency.headers(agency.tenant)
    )

    assert response.status_code == 200
    [listed] = response.get_json()
    assert listed["id"] == note["id"]
    assert listed["number"] == note["number"]
    assert listed["content_sha256"] == note["content_sha256"]
    assert listed["pdf_url"] == f"/api/tickets/{visit}/delivery-notes/{note['id']}.pdf"
    assert listed["verify_url"] == f"http://127.0.0.1:5000/verify/{note['id']}"
    assert listed["pdf_status"] == "pending"  # rendered after commit, not in the push


def test_two_renders_of_the_same_note_are_byte_identical(agency, visit, tmp_path):
    note = agency.sign(visit)
    first = agency.pdf(visit, note["id"], agency.staff).data
    # Lose the stored file: the next read renders the note again from the database.
    agency.app.config["DELIVERY_NOTE_DIR"] = str(tmp_path / "elsewhere")

    second = agency.pdf(visit, note["id"], agency.staff).data

    assert second == first


def test_the_verify_page_says_valid_without_personal_data(agency, visit):
    note = agency.sign(visit)
    ref = agency.detail(visit)["ref"]

    response = agency.app.test_client().get(f"/verify/{note['id']}")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "<h1" in page and ">Valid<" in page
    assert ref in page and note["number"] in page and "12 March 2026" in page
    assert note["content_sha256"] in page
    for personal in (SIGNER, CONTRACTOR, "Quay Street", "Flat 12", "Harbour View"):
        assert personal not in page


def test_a_note_tampered_in_the_database_no_longer_verifies(agency, visit):
    note = agency.sign(visit)
    agency.tamper(
        "UPDATE delivery_notes SET work_summary = 'Nothing was done.' WHERE id = :id",
        id=note["id"],
    )

    page = agency.app.test_client().get(f"/verify/{note['id']}").get_data(as_text=True)

    assert ">Not valid<" in page
    assert ">Valid<" not in page


def test_changing_a_covered_time_entry_breaks_verification_too(agency, visit):
    note = agency.sign(visit)
    agency.tamper("UPDATE time_entries SET minutes = 600 WHERE ticket_id = :t", t=visit)

    page = agency.app.test_client().get(f"/verify/{note['id']}").get_data(as_text=True)

    assert ">Not valid<" in page


def test_the_verify_page_escapes_what_it_prints(agency, visit):
    note = agency.sign(visit)
    agency.tamper(
        "UPDATE delivery_notes SET context = replace(context, :ref, :evil) WHERE id = :id",
        ref=agency.detail(visit)["ref"],
        evil="<script>alert(1)</script>",
        id=note["id"],
    )

    page = agency.app.test_client().get(f"/verify/{note['id']}").get_data(as_text=True)

    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_an_unknown_note_has_no_verify_page(client):
    response = client.get("/verify/no-such-note")

    assert response.status_code == 404
    assert re.search(r"Unknown delivery note", response.get_data(as_text=True))

"""Report a problem in the portal: the ticket and its photos are saved together, or
nothing is; a refused file, too many or too big photos, huge text and a missing CSRF
token are each told in plain words."""

from sqlalchemy import select

from server.extensions import db
from server.models import Attachment, Ticket, User
from tests.web.pages import sign_in
from tests.web.portal import counts, photo, png, send

REPORT = {"summary": "Kitchen tap drips", "description": "Since Monday, day and night."}


def _report(client, people, photos=(), **fields):
    return send(
        client, "/portal/report", {**REPORT, "unit_id": str(people.unit.id), **fields}, photos
    )


def test_a_tenant_reports_a_problem_with_photos_and_sees_the_ref(app, client, people):
    sign_in(client, people.tenant)
    form = client.get("/portal/report").get_data(as_text=True)
    assert 'accept="image/*"' in form and 'capture="environment"' in form and "multiple" in form
    assert 'enctype="multipart/form-data"' in form
    assert f'value="{people.unit.id}" id="field-unit_id" checked' in form  # one home: chosen
    assert 'id="field-notify_me" name="notify_me" checked' in form

    answer = _report(client, people, [photo(), photo(png(80, 60), "second.jpg", "image/png")])
    assert answer.status_code == 303
    done = client.get(answer.headers["Location"])
    assert done.status_code == 200
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.summary == "Kitchen tap drips"))
        files = db.session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id))
        assert (ticket.type, ticket.priority, ticket.status) == ("new_enquiry", "unassigned", "new")
        assert (ticket.reporter_id, ticket.unit_id) == (people.tenant.id, people.unit.id)
        assert sorted(f.content_type for f in files) == ["image/png", "image/png"]
    assert ticket.ref in done.get_data(as_text=True)
    page = client.get(f"/portal/tickets/{ticket.id}").get_data(as_text=True)
    assert page.count(f"/portal/tickets/{ticket.id}/files/") == 4  # two links, two images


def test_unticking_notify_me_turns_the_emails_off(app, client, people):
    sign_in(client, people.tenant)
    assert _report(client, people).status_code == 303  # the box unticked is not sent
    with app.app_context():
        assert db.session.get(User, people.tenant.id).notify_me is False
    assert _report(client, people, notify_me="on").status_code == 303
    with app.app_context():
        assert db.session.get(User, people.tenant.id).notify_me is True


def test_an_html_file_named_jpg_is_refused_and_nothing_is_saved(app, client, people):
    sign_in(client, people.tenant)
    before = counts(app)
    fake = photo(b"<!doctype html><script>alert(1)</script>", "holiday.jpg", "image/jpeg")
    answer = _report(client, people, [photo(), fake])  # a good photo first: rolled back too
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "There is a problem" in html
    assert "“holiday.jpg” is not a photo we can take" in html
    assert "Kitchen tap drips" in html  # what was typed is kept
    assert counts(app) == before


def test_too_many_photos_are_refused_before_anything_is_saved(app, client, people):
    app.config["PORTAL_MAX_PHOTOS"] = 2
    sign_in(client, people.tenant)
    before = counts(app)
    answer = _report(client, people, [photo() for _ in range(3)])
    assert answer.status_code == 422
    assert "Choose at most 2 photos." in answer.get_data(as_text=True)
    assert counts(app) == before


def test_a_too_big_photo_is_refused_with_the_limit(app, client, people):
    app.config["ATTACHMENT_MAX_BYTES"] = 4096  # small: the test client spools big bodies
    sign_in(client, people.tenant)
    before = counts(app)
    answer = _report(client, people, [photo(png() + b"\0" * 5000, "big.png")])
    assert answer.status_code == 422
    assert "“big.png” is too big: each photo can be at most 4 KB." in answer.get_data(as_text=True)
    assert counts(app) == before


def test_a_request_over_the_whole_size_limit_gets_a_page_and_saves_nothing(app, client, people):
    sign_in(client, people.tenant)
    app.config["MAX_CONTENT_LENGTH"] = 20 * 1024
    before = counts(app)
    answer = _report(client, people, [photo(png() + b"\0" * 30000)])
    assert answer.status_code == 413
    assert "bigger than 20 KB" in answer.get_data(as_text=True)
    assert counts(app) == before


def test_hostile_text_is_refused_in_plain_words(app, client, people):
    sign_in(client, people.tenant)
    before = counts(app)
    answer = _report(client, people, summary="x" * 5000, description="y" * 30000)
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "Keep it under 200 characters" in html
    assert "Keep it under 20,000 characters." in html
    empty = _report(client, people, summary="  ", description="")
    assert "Say what the problem is, in a few words." in empty.get_data(as_text=True)
    script = _report(client, people, summary="<script>alert(1)</script>")
    ticket_page = client.get(script.headers["Location"]).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in ticket_page
    assert counts(app)[0] == before[0] + 1


def test_a_unit_that_is_not_mine_is_refused(app, client, people, make):
    elsewhere = make.unit(make.block())
    sign_in(client, people.tenant)
    before = counts(app)
    answer = _report(client, people, unit_id=str(elsewhere.id))
    assert answer.status_code == 422
    assert "Choose the home the problem is in." in answer.get_data(as_text=True)
    assert counts(app) == before


def test_a_report_without_the_csrf_token_is_refused(app, client, people):
    sign_in(client, people.tenant)
    before = counts(app)
    answer = client.post(
        "/portal/report",
        data={**REPORT, "unit_id": str(people.unit.id), "photos": [photo()]},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 400
    assert "This form has expired" in answer.get_data(as_text=True)
    assert counts(app) == before


def test_a_text_over_the_form_memory_limit_gets_a_page_and_saves_nothing(app, client, people):
    app.config["MAX_FORM_MEMORY_SIZE"] = 50_000  # werkzeug's limit on one text field
    sign_in(client, people.tenant)
    before = counts(app)
    answer = _report(client, people, description="z" * 60_000)
    assert answer.status_code == 413
    assert "Too much to send at once" in answer.get_data(as_text=True)
    assert counts(app) == before

"""Every portal route with an id in its path, swept: another tenant's ticket, file or
note answers exactly like an id that does not exist (the 404 page) and changes
nothing, for a signed-in tenant with a valid CSRF token and a valid form."""

import re

import pytest

from tests.delivery_notes.conftest import Agency
from tests.web.pages import csrf, sign_in
from tests.web.portal import counts, photo

FORMS = {
    "portal.reply": {"body": "Let me in"},
    "portal.change_status": {"status": "closed"},
}


def portal_id_routes(app):
    return sorted(
        (rule.endpoint, method, rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("portal.") and rule.arguments
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


@pytest.fixture
def theirs(app, client, make):
    """Ids of a ticket of another tenant, with a photo and a signed delivery note."""
    agency = Agency(app, make)
    ticket_id = agency.ticket()
    note = agency.sign(ticket_id)
    owner = app.test_client()
    sign_in(owner, agency.tenant)
    path = f"/portal/tickets/{ticket_id}"
    owner.post(
        f"{path}/reply",
        data={"body": "photo", "photos": [photo()], "csrf_token": csrf(owner, path)},
        content_type="multipart/form-data",
    )
    page = owner.get(path).get_data(as_text=True)
    attachment = re.search(rf"{path}/files/([\w-]+)", page).group(1)
    return agency, {"ticket_id": ticket_id, "attachment_id": attachment, "note_id": note["id"]}


def test_the_sweep_covers_every_portal_route_with_an_id(app):
    assert {e for e, _, _ in portal_id_routes(app)} == {
        "portal.ticket_page",
        "portal.reply",
        "portal.change_status",
        "portal.reported",
        "portal.attachment",
        "portal.delivery_note",
    }


def test_another_tenants_ids_answer_like_ids_that_do_not_exist(app, make, theirs):
    agency, ids = theirs
    missing = {"ticket_id": 999_999, "attachment_id": "no-such-id", "note_id": "no-such-id"}
    prober = app.test_client()
    sign_in(prober, agency.other_tenant)
    token = csrf(prober, "/portal")
    mismatches = []
    for endpoint, method, rule in portal_id_routes(app):
        answers = []
        for values in (ids, missing):
            url = rule.rule
            for name in rule.arguments:
                url = re.sub(rf"<(?:[^:<>]+:)?{name}>", str(values[name]), url)
            before = counts(app)
            data = {**FORMS.get(endpoint, {}), "csrf_token": token}
            answer = prober.open(url, method=method, data=data if method == "POST" else None)
            answer.close()
            answers.append((answer.status_code, counts(app) == before))
        if answers[0] != answers[1] or answers[0] != (404, True):
            mismatches.append((endpoint, answers))
    assert mismatches == []

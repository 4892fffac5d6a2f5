"""The public "forgotten your username or password?" form: the signup service's rules
(the same answer whatever the address, a throttle per client and per address)."""

from sqlalchemy import select

from server.extensions import db
from server.models import SignupRequest
from tests.web.pages import csrf


def _ask(client, **fields):
    data = {"name": "Zoë Łukasiewicz", "email": "zoe@example.test", **fields}
    return client.post("/forgotten", data={**data, "csrf_token": csrf(client, "/forgotten")})


def test_the_sign_in_page_links_to_the_form(client):
    assert 'href="/forgotten"' in client.get("/").get_data(as_text=True)
    assert client.get("/forgotten").status_code == 200


def test_the_answer_is_the_same_for_a_known_and_an_unknown_address(app, client, people):
    known = _ask(client, email=people.tenant.email)
    unknown = _ask(client, email="nobody@example.test", unit_hint="Flat 9")
    assert known.status_code == unknown.status_code == 200
    assert known.get_data() == unknown.get_data()
    with app.app_context():
        emails = db.session.scalars(select(SignupRequest.email)).all()
    assert sorted(emails) == sorted([people.tenant.email, "nobody@example.test"])


def test_requests_are_throttled_and_say_so(app, client):
    app.config["SIGNUP_MAX_PER_HOUR"] = 2
    for _ in range(2):
        assert _ask(client).status_code == 200
    answer = _ask(client)
    assert answer.status_code == 429
    assert "Retry-After" in answer.headers
    assert "Nothing was sent." in answer.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(SignupRequest)).all()) == 2


def test_a_bad_address_and_a_missing_token_are_refused(app, client):
    answer = _ask(client, email="not an address", name="")
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "Enter an email address like name@example.com." in html
    assert "Enter your name." in html
    forged = client.post("/forgotten", data={"name": "X", "email": "x@example.test"})
    assert forged.status_code == 400
    with app.app_context():
        assert db.session.scalars(select(SignupRequest)).all() == []

"""Values that parse but cannot be stored or computed with: lone UTF-16 surrogates,
numbers beyond what a column or an int64 holds, digits that are not ASCII, time-zone
offsets that push a date out of the calendar, duplicate ids in one push, a signed
token whose subject is not a user id. Each is a 4xx problem and nothing is stored."""

import json
import uuid

import jwt
import pytest

from tests.api.test_auth import SECRET
from tests.reliability.conftest import row_counts
from tests.reliability.test_hostile_input import assert_refused
from tests.sync.test_push import material, message, time_entry

LONE = ["\\ud800", "\\udfff", "a\\udc00b", "\\ud83d"]  # as JSON escapes


def raw_json(template: str, escape: str) -> bytes:
    return template.replace("@", escape).encode()


@pytest.mark.parametrize("escape", LONE)
@pytest.mark.parametrize(
    ("who", "url", "template"),
    [
        ("tenant", "/api/tickets", '{"summary": "@", "description": "d", "block_id": 1}'),
        ("tenant", "/api/tickets/{ticket}/messages", '{"body": "Hi @"}'),
        (None, "/api/auth/token", '{"email": "a@x.test", "password": "pass @ word"}'),
        (None, "/api/signup-requests", '{"email": "n@x.test", "name": "N @"}'),
        (None, "/api/auth/set-password", '{"token": "@", "password": "long enough 1"}'),
        ("tenant", "/api/tickets", '{"summary": "S", "description": "d", "x": {"@": 1}}'),
    ],
    ids=["ticket", "message", "login", "signup", "set password", "key"],
)
def test_a_lone_surrogate_in_any_json_string_is_422(
    app, client, make, ours, who, url, template, escape
):
    headers = make.headers(getattr(ours, who)) if who else {}
    before = row_counts(app)
    response = client.post(
        url.format(ticket=ours.ticket.id),
        data=raw_json(template, escape),
        content_type="application/json",
        headers=headers,
    )
    assert_refused(response, 422, "validation_failed")
    assert row_counts(app) == before


def test_a_surrogate_pair_is_one_character_and_accepted(client, make, ours):
    response = client.post(
        f"/api/tickets/{ours.ticket.id}/messages",
        data=b'{"body": "Done \\ud83d\\ude00"}',
        content_type="application/json",
        headers=make.headers(ours.tenant),
    )
    assert response.status_code == 201
    assert response.get_json()["body"] == "Done \U0001f600"


def test_a_lone_surrogate_in_a_push_is_422_and_records_nothing(app, world):
    headers = world.headers("carl@x.test")
    before = row_counts(app)
    body = json.dumps({"ticket_messages": {"created": [message(world, body="@")]}})
    response = world.client.post(
        "/api/sync/push", data=body.replace("@", "\\udead"), headers=headers
    )
    assert_refused(response, 422, "validation_failed")
    assert row_counts(app) == before


# Duplicate ids in one push ----------------------------------------------------------


def _attachment(world, id="att-dup"):
    return {
        "id": id,
        "ticket_id": str(world.ticket_id),
        "filename": "x.png",
        "content_type": "image/png",
        "sha256": "0" * 64,
        "size": 10,
    }


@pytest.mark.parametrize(
    "changes",
    [
        lambda w: {"ticket_messages": {"created": [message(w), message(w, body="again")]}},
        lambda w: {"ticket_messages": {"created": [message(w)], "updated": [message(w)]}},
        lambda w: {"ticket_messages": {"created": [message(w)], "deleted": ["m-1"]}},
        lambda w: {"attachments": {"created": [_attachment(w), _attachment(w)]}},
        lambda w: {"time_entries": {"created": [time_entry(w), time_entry(w, minutes=5)]}},
        lambda w: {"materials": {"created": [material(w)], "updated": [material(w)]}},
        lambda w: {
            "tickets": {
                "updated": [
                    {"id": str(w.ticket_id), "status": "on_hold"},
                    {"id": str(w.ticket_id), "status": "resolved"},
                ]
            }
        },
    ],
    ids=["created twice", "created and updated", "created and deleted", "attachments",
         "hours", "materials", "ticket status twice"],
)  # fmt: skip
def test_the_same_id_twice_in_one_push_is_422_and_records_nothing(app, world, changes):
    headers = world.headers("carl@x.test")
    before = row_counts(app)
    response = world.push(headers, changes(world))
    problem = assert_refused(response, 422, "validation_failed")
    assert "twice" in json.dumps(problem["errors"])
    assert row_counts(app) == before


# Numbers out of range ---------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["9" * 20, "18446744073709551616", "²", "٣", "１２", "-1", "0", "1e3"]
)
def test_a_last_pulled_at_that_is_not_a_small_ascii_number_is_422(world, value):
    response = world.pull(world.headers("carl@x.test"), value)
    problem = assert_refused(response, 422, "validation_failed")
    assert "last_pulled_at" in problem["errors"]


@pytest.mark.parametrize("ticket_id", ["2147483648", "9" * 18, "0", "007"])
@pytest.mark.parametrize("table", ["ticket_messages", "time_entries", "tickets"])
def test_ticket_ids_beyond_a_stored_id_in_a_push_are_422(app, world, table, ticket_id):
    headers = world.headers("carl@x.test")
    if table == "tickets":
        changes = {"tickets": {"updated": [{"id": ticket_id, "status": "resolved"}]}}
    else:
        maker = message if table == "ticket_messages" else time_entry
        changes = {table: {"created": [maker(world, ticket_id=ticket_id)]}}
    before = row_counts(app)
    response = world.push(headers, changes)
    problem = assert_refused(response, 422, "validation_failed")
    assert table in problem["errors"]
    assert row_counts(app) == before


# Dates at the ends of the calendar ----------------------------------------------------

EXTREME_INSTANTS = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]


@pytest.mark.parametrize("value", EXTREME_INSTANTS)
def test_an_instant_that_leaves_the_calendar_in_utc_is_422(app, client, make, ours, value):
    staff = make.headers(ours.staff)
    before = row_counts(app)
    created = client.post(
        "/api/tickets",
        json={"summary": "S", "description": "D", "block_id": ours.block.id, "deadline_at": value},
        headers=staff,
    )
    assert "deadline_at" in assert_refused(created, 422, "validation_failed")["errors"]
    listed = client.get("/api/tickets", query_string={"updated_since": value}, headers=staff)
    assert "updated_since" in assert_refused(listed, 422, "validation_failed")["errors"]
    assert row_counts(app) == before


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31"])
def test_a_day_at_the_ends_of_the_calendar_is_422(app, client, make, ours, value):
    admin = make.headers(ours.admin)
    before = row_counts(app)
    holiday = client.post("/api/holidays", json={"day": value, "name": "x"}, headers=admin)
    assert "day" in assert_refused(holiday, 422, "validation_failed")["errors"]
    export = client.get(
        "/api/exports/tickets.csv", query_string={"from": value, "to": value}, headers=admin
    )
    assert_refused(export, 422, "validation_failed")
    assert row_counts(app) == before


# Tokens ---------------------------------------------------------------------------------


@pytest.mark.parametrize("sub", ["abc", "", "1.5", "99999999999999999999", "-1", " 1", "１"])
def test_a_correctly_signed_token_whose_subject_is_not_a_user_id_is_401(client, make, ours, sub):
    token = make.headers(ours.tenant)["Authorization"].split()[1]
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="fieldline")
    forged = jwt.encode({**claims, "sub": sub, "jti": str(uuid.uuid4())}, SECRET, "HS256")
    response = client.get("/api/me", headers={"Authorization": f"Bearer {forged}"})
    assert_refused(response, 401, "token_invalid")

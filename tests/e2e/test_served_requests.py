"""Requests served by `fieldline serve` stand alone: nothing of one reaches the next."""

import pytest
import requests

from tests.e2e.test_watermelon_sync import token


@pytest.mark.parametrize("threads", [1, 4], ids=["sync-worker", "gthread-worker"])
def test_a_request_never_borrows_the_previous_request_s_caller(world, serve, threads):
    base = serve(threads)
    carl = token(base, "carl@x.test", "carl-phone")
    olga = token(base, "olga@x.test", None)
    for _ in range(3):  # one worker: every request lands on the same process
        me = requests.get(f"{base}/api/me", headers={"Authorization": f"Bearer {carl}"}, timeout=10)
        assert me.status_code == 200 and me.json()["email"] == "carl@x.test"
        anonymous = requests.get(f"{base}/api/me", timeout=10)
        assert anonymous.status_code == 401
        assert anonymous.headers["Content-Type"] == "application/problem+json"
        other = requests.get(
            f"{base}/api/me", headers={"Authorization": f"Bearer {olga}"}, timeout=10
        )
        assert other.status_code == 200 and other.json()["email"] == "olga@x.test"


def test_an_idle_connection_is_kept_open_between_a_pull_and_the_next_push(world, serve):
    """A device's next request may come seconds after its last (it applied a big
    pull first); gunicorn's default keep-alive of 2 s closed the connection under
    it, and a request sent just as it closed was reset."""
    import http.client
    import time
    from urllib.parse import urlsplit

    base = urlsplit(serve(4))
    connection = http.client.HTTPConnection(base.hostname, base.port, timeout=10)
    for pause in (0, 3):  # longer than gunicorn's default keep-alive
        time.sleep(pause)
        connection.request("GET", "/api/openapi.json")
        response = connection.getresponse()
        response.read()
        assert response.status == 200
        assert response.getheader("Connection", "").lower() != "close"
    connection.close()

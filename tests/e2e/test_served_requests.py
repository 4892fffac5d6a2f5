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

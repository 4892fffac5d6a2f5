"""Tokens: login, expiry, tampering, pinned algorithm, audience, rotation, reuse, revocation."""

import base64
import json
from datetime import timedelta

import jwt
import pytest

from server.db import utcnow
from tests.factories import PASSWORD

SECRET = "test-secret-key-with-enough-entropy-for-hs256-and-hs512-0123456789abcdef"


def login(client, email, password=PASSWORD, **extra):
    return client.post("/api/auth/token", json={"email": email, "password": password, **extra})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_good_password_returns_a_bearer_token_pair(client, make):
    user = make.user("staff")
    response = login(client, user.email.upper())
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert client.get("/api/me", headers=bearer(body["access_token"])).get_json()["id"] == user.id


def test_wrong_password_is_401_problem_and_does_not_say_which_part_was_wrong(client, make):
    user = make.user()
    wrong = login(client, user.email, "not the password")
    unknown = login(client, "nobody@example.test", "whatever")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["detail"] == "Email or password is wrong."


def test_access_token_carries_the_documented_claims(client, make):
    user = make.user("contractor")
    token = login(client, user.email, device_id="handheld-1").get_json()["access_token"]
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="fieldline")
    assert claims["sub"] == str(user.id)
    assert claims["role"] == "contractor"
    assert claims["dev"] == "handheld-1"
    assert {"exp", "iat", "jti", "aud", "iss"} <= set(claims)


def _forge(claims: dict, key: str = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


@pytest.fixture
def valid_claims(client, make):
    user = make.user("staff")
    token = login(client, user.email).get_json()["access_token"]
    return jwt.decode(token, SECRET, algorithms=["HS256"], audience="fieldline")


def test_expired_token_is_rejected(client, valid_claims):
    claims = dict(valid_claims, exp=utcnow() - timedelta(seconds=1))
    response = client.get("/api/me", headers=bearer(_forge(claims)))
    assert response.status_code == 401
    assert response.get_json()["code"] == "token_expired"


def test_token_signed_with_another_key_is_rejected(client, valid_claims):
    response = client.get("/api/me", headers=bearer(_forge(valid_claims, key="x" * 48)))
    assert response.status_code == 401
    assert response.get_json()["code"] == "token_invalid"


def test_tampered_payload_is_rejected(client, valid_claims):
    header, payload, signature = _forge(valid_claims).split(".")
    claims = dict(valid_claims, role="admin")
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    response = client.get("/api/me", headers=bearer(f"{header}.{forged_payload}.{signature}"))
    assert response.status_code == 401


def test_alg_none_token_is_rejected(client, valid_claims):
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(
        json.dumps({k: str(v) for k, v in valid_claims.items()}).encode()
    )
    token = f"{header}.{payload.rstrip(b'=').decode()}."
    assert client.get("/api/me", headers=bearer(token)).status_code == 401


def test_other_hmac_algorithms_are_not_accepted(client, valid_claims):
    token = _forge(valid_claims, algorithm="HS512")
    assert client.get("/api/me", headers=bearer(token)).status_code == 401


def test_wrong_audience_is_rejected(client, valid_claims):
    token = _forge(dict(valid_claims, aud="another-service"))
    assert client.get("/api/me", headers=bearer(token)).status_code == 401


def test_missing_or_malformed_authorization_header_is_401_with_challenge(client):
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer"}):
        response = client.get("/api/me", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_refresh_rotates_the_pair_and_the_old_refresh_token_stops_working(client, make):
    user = make.user("contractor")
    first = login(client, user.email, device_id="dev-a").get_json()
    second = client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    rotated = second.get_json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert client.get("/api/me", headers=bearer(rotated["access_token"])).status_code == 200
    third = client.post("/api/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert third.status_code == 200


def test_reused_refresh_token_revokes_the_device(client, make):
    user = make.user("contractor")
    stolen = login(client, user.email, device_id="dev-b").get_json()
    legit = client.post("/api/auth/refresh", json={"refresh_token": stolen["refresh_token"]})
    legit = legit.get_json()
    replay = client.post("/api/auth/refresh", json={"refresh_token": stolen["refresh_token"]})
    assert replay.status_code == 401
    assert replay.get_json()["code"] == "token_reused"
    # Every token of that device is dead now, including the legitimately rotated pair.
    assert client.get("/api/me", headers=bearer(legit["access_token"])).status_code == 401
    again = client.post("/api/auth/refresh", json={"refresh_token": legit["refresh_token"]})
    assert again.status_code == 401
    # Logging in again with the password starts a fresh family.
    assert login(client, user.email, device_id="dev-b").status_code == 200


def test_unknown_refresh_token_is_401(client):
    response = client.post("/api/auth/refresh", json={"refresh_token": "made-up"})
    assert response.status_code == 401


def test_staff_revoke_a_lost_device_and_its_next_request_is_401(client, make):
    staff = make.user("staff")
    contractor = make.user("contractor")
    pair = login(client, contractor.email, device_id="lost-handheld").get_json()
    devices = client.get("/api/sync/devices", headers=make.headers(staff)).get_json()
    device = next(d for d in devices if d["device_id"] == "lost-handheld")
    assert device["user_id"] == contractor.id
    revoked = client.post(f"/api/sync/devices/{device['id']}/revoke", headers=make.headers(staff))
    assert revoked.status_code == 200
    response = client.get("/api/me", headers=bearer(pair["access_token"]))
    assert response.status_code == 401
    assert response.get_json()["code"] == "device_revoked"
    refresh = client.post("/api/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refresh.status_code == 401
    assert login(client, contractor.email, device_id="lost-handheld").status_code == 401


def test_revoking_a_device_leaves_the_users_other_devices_working(client, make):
    staff = make.user("staff")
    contractor = make.user("contractor")
    kept = login(client, contractor.email, device_id="kept").get_json()
    login(client, contractor.email, device_id="lost")
    devices = client.get("/api/sync/devices", headers=make.headers(staff)).get_json()
    lost = next(d for d in devices if d["device_id"] == "lost")
    client.post(f"/api/sync/devices/{lost['id']}/revoke", headers=make.headers(staff))
    assert client.get("/api/me", headers=bearer(kept["access_token"])).status_code == 200


@pytest.mark.parametrize("role", ["tenant", "contractor"])
def test_only_staff_see_the_device_registry(client, make, role):
    user = make.user(role)
    assert client.get("/api/sync/devices", headers=make.headers(user)).status_code == 403


def test_revoking_an_unknown_device_is_404(client, make):
    staff = make.user("staff")
    assert (
        client.post("/api/sync/devices/999/revoke", headers=make.headers(staff)).status_code == 404
    )


def test_login_is_throttled_after_repeated_failures(client, make):
    user = make.user()
    for _ in range(5):
        assert login(client, user.email, "wrong").status_code == 401
    throttled = login(client, user.email)  # even the right password waits now
    assert throttled.status_code == 429
    assert throttled.get_json()["code"] == "login_throttled"
    assert int(throttled.headers["Retry-After"]) > 0

"""Every error class answers RFC 9457 problem+json, and a 500 leaks nothing."""

import pytest

from server import create_app
from tests.conftest import app_config


def assert_problem(response, status, code=None):
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= set(body)
    if code:
        assert body["code"] == code
    return body


def test_unknown_path_is_404_problem(client):
    assert_problem(client.get("/api/no-such-thing"), 404, "not_found")


def test_wrong_method_is_405_problem_with_allow_header(client):
    response = client.delete("/api/auth/token")
    assert_problem(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


def test_missing_token_is_401_problem(client):
    assert_problem(client.get("/api/me"), 401, "not_authenticated")


def test_role_not_allowed_is_403_problem(client, make):
    tenant = make.user("tenant")
    response = client.post("/api/departments", json={"name": "x"}, headers=make.headers(tenant))
    assert_problem(response, 403, "forbidden")


def test_duplicate_is_409_problem(client, make):
    admin = make.user("admin")
    make.department("Repairs")
    response = client.post(
        "/api/departments", json={"name": "Repairs"}, headers=make.headers(admin)
    )
    assert_problem(response, 409, "department_exists")


def test_oversized_json_body_is_413_problem(client, make):
    admin = make.user("admin")
    body = '{"name": "' + "x" * (3 * 1024 * 1024) + '"}'
    response = client.post(
        "/api/departments",
        data=body,
        content_type="application/json",
        headers=make.headers(admin),
    )
    assert_problem(response, 413, "payload_too_large")


def test_non_json_body_is_415_problem(client):
    response = client.post("/api/auth/token", data="email=a&password=b", content_type="text/plain")
    assert_problem(response, 415, "unsupported_media_type")


def test_malformed_json_is_400_problem(client):
    response = client.post("/api/auth/token", data="{not json", content_type="application/json")
    body = assert_problem(response, 400, "bad_request")
    assert "JSON" in body["detail"]


def test_unknown_and_missing_fields_are_422_with_per_field_errors(client):
    response = client.post("/api/auth/token", json={"email": "a@b.c", "colour": "blue"})
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"] == {
        "colour": ["Unknown field."],
        "password": ["Missing data for required field."],
    }


def test_wrong_types_are_422(client, make):
    admin = make.user("admin")
    response = client.post(
        "/api/users",
        json={"email": "x@example.test", "name": "X", "role": "wizard", "password": 12345678},
        headers=make.headers(admin),
    )
    body = assert_problem(response, 422)
    assert set(body["errors"]) == {"role", "password"}


@pytest.fixture
def failing_app(database_url, tmp_path):
    app = create_app(app_config(tmp_path / "instance", database_url))

    @app.get("/api/explode")
    def explode():
        raise RuntimeError("secret internals: password=hunter2")

    return app


def test_unexpected_error_is_500_problem_without_internals(failing_app, caplog):
    response = failing_app.test_client().get("/api/explode")
    body = assert_problem(response, 500, "internal_error")
    assert "hunter2" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert body["detail"] == "An unexpected error occurred."
    assert "explode" in caplog.text  # the operator still gets the trace in the log

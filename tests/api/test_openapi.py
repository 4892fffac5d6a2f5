"""The OpenAPI document is valid OpenAPI 3 and describes every route the app serves."""

import json

from openapi_spec_validator import validate


def test_openapi_document_validates_as_openapi_3(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    assert spec["openapi"].startswith("3.")


def _openapi_path(rule: str) -> str:
    import re

    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", r"{\1}", rule)


def test_every_api_route_is_documented_with_its_methods(app, client):
    spec = client.get("/api/openapi.json").get_json()
    undocumented = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.endpoint.startswith(
            ("api-docs.", "reference.")
        ):
            continue
        path = _openapi_path(rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if method.lower() not in spec["paths"].get(path, {}):
                undocumented.append(f"{method} {path}")
    assert undocumented == []


def test_secured_operations_declare_bearer_auth_and_problem_errors(client):
    spec = client.get("/api/openapi.json").get_json()
    me = spec["paths"]["/api/me"]["get"]
    assert me["security"] == [{"bearerAuth": []}]
    assert "401" in me["responses"]
    problem = spec["components"]["responses"]["UNAUTHORIZED"]["content"]
    assert "application/problem+json" in problem


def test_the_document_is_whole_when_first_read_by_several_requests_at_once(app):
    """The documentation is written on first read (server.extensions.FieldlineApi):
    concurrent first reads each get the whole document, the same as a later read."""
    from concurrent.futures import ThreadPoolExecutor

    def read(_):
        return app.test_client().get("/api/openapi.json").get_data()

    with ThreadPoolExecutor(4) as pool:
        first = list(pool.map(read, range(4)))
    later = read(None)
    assert all(document == later for document in first)
    assert len(json.loads(later)["paths"]) >= 60


def test_every_operation_and_every_parameter_has_a_description(client):
    spec = client.get("/api/openapi.json").get_json()
    missing = []
    for path, item in spec["paths"].items():
        for parameter in item.get("parameters", []):
            if not parameter.get("description"):
                missing.append(f"{path} parameter {parameter['name']}")
        for method, operation in item.items():
            if method == "parameters":
                continue
            if not operation.get("summary") or not operation.get("description"):
                missing.append(f"{method.upper()} {path}")
            for parameter in operation.get("parameters", []):
                if not parameter.get("description"):
                    missing.append(f"{method.upper()} {path} parameter {parameter['name']}")
    assert missing == []


def test_descriptions_say_who_may_call_an_operation(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert "staff or admin" in paths["/api/users"]["get"]["description"]
    assert "Public: no login needed." in paths["/api/auth/token"]["post"]["description"]
    assert "Change the caller's password" in paths["/api/me/password"]["post"]["summary"]

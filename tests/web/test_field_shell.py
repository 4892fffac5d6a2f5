"""The field app's shell as Flask serves it: files, types, caching, CSP and brand."""

import json

import pytest

from server import create_app
from tests.conftest import app_config

CSP = "default-src 'self'"


def branded(tmp_path, database_url, **settings):
    return create_app({**app_config(tmp_path / "instance", database_url), **settings})


def test_the_shell_is_served_with_a_strict_policy(client):
    page = client.get("/field/")
    assert page.status_code == 200
    assert page.content_type == "text/html; charset=utf-8"
    policy = page.headers["Content-Security-Policy"]
    assert policy.startswith(CSP) and "unsafe" not in policy
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Cache-Control"] == "no-cache"
    html = page.get_data(as_text=True)
    assert '<script defer src="app.js"></script>' in html
    assert "<script>" not in html and "style=" not in html  # nothing inline
    assert "__BRAND" not in html and "<title>Fieldline jobs</title>" in html
    assert client.get("/field").status_code == 308
    assert client.get("/field").headers["Location"].endswith("/field/")


@pytest.mark.parametrize(
    "name, content_type",
    [
        ("app.js", "text/javascript; charset=utf-8"),
        ("sw.js", "text/javascript; charset=utf-8"),
        ("app.css", "text/css; charset=utf-8"),
        ("manifest.webmanifest", "application/manifest+json"),
        ("icon-192.png", "image/png"),
        ("icon.svg", "image/svg+xml"),
    ],
)
def test_each_file_has_its_type_and_the_policy(client, name, content_type):
    response = client.get(f"/field/{name}")
    assert response.status_code == 200
    assert response.content_type == content_type
    assert response.headers["Content-Security-Policy"].startswith(CSP)
    again = client.get(f"/field/{name}", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("path", ["/field/nope.js", "/field/..%2fpyproject.toml", "/field/x/y"])
def test_anything_else_is_not_found(client, path):
    assert client.get(path).status_code == 404


def test_the_service_worker_caches_this_build(client):
    worker = client.get("/field/sw.js").get_data(as_text=True)
    assert "__VERSION__" not in worker and "fieldline-field-" in worker
    assert "'app.js'" in worker


def test_an_agency_brands_the_app_without_rebuilding(tmp_path, database_url):
    app = branded(
        tmp_path, database_url, FIELD_APP_NAME='Acme <"Homes">', FIELD_APP_COLOUR="#7b1fa2"
    )
    client = app.test_client()
    html = client.get("/field/").get_data(as_text=True)
    assert "<title>Acme &lt;&#34;Homes&#34;&gt; jobs</title>" in html
    assert '<meta name="theme-color" content="#7b1fa2">' in html
    manifest = json.loads(client.get("/field/manifest.webmanifest").get_data(as_text=True))
    assert manifest["name"] == 'Acme <"Homes"> jobs'
    assert manifest["short_name"] == 'Acme <"Homes">'
    assert manifest["theme_color"] == "#7b1fa2"
    assert "--brand: #7b1fa2;" in client.get("/field/brand.css").get_data(as_text=True)


def test_a_colour_that_is_not_a_colour_stops_the_start(tmp_path, database_url):
    with pytest.raises(ValueError, match="FIELD_APP_COLOUR"):
        branded(tmp_path, database_url, FIELD_APP_COLOUR="red; } body { display: none")

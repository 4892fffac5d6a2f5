"""The API reference page works offline: every file it loads is served by the app."""

import re

import pytest


def fetch(client, url):
    """Status and bytes of a response, its file closed (files are streamed)."""
    response = client.get(url)
    try:
        return response.status_code, response.get_data()
    finally:
        response.close()


def test_the_reference_page_loads_only_files_the_app_serves(client):
    page = client.get("/api/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    html = page.get_data(as_text=True)
    assert "<script>" not in html  # no inline script: the CSP allows none
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(url.startswith("/api/") for url in urls)
    for url in urls:
        status, data = fetch(client, url)
        assert status == 200 and data, url
    start = client.get("/api/docs/start.js").get_data(as_text=True)
    assert '"/api/openapi.json"' in start


@pytest.mark.parametrize("name", ["../config.py", "index.html", "swagger-editor.js"])
def test_only_the_listed_assets_are_served(client, name):
    assert fetch(client, f"/api/docs/assets/{name}")[0] == 404

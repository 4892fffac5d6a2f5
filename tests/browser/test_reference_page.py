"""The API reference page renders in a real browser with every outside request
blocked: the operations of the OpenAPI document appear, nothing came from a CDN."""


def test_the_reference_page_renders_offline(serve, browser, tmp_path):
    """On the browser tests' one Chromium (a second Playwright in the same worker
    would refuse to start inside the first one's event loop)."""
    live_server = serve()
    outside = []
    context = browser.new_context()
    try:
        page = context.new_page()

        def only_local(route):
            if route.request.url.startswith(live_server):
                return route.continue_()
            outside.append(route.request.url)
            return route.abort()

        page.route("**/*", only_local)
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{live_server}/api/docs")
        page.get_by_text("/api/tickets/{ticket_id}/messages", exact=True).first.wait_for(
            timeout=30000
        )
        page.screenshot(path=str(tmp_path / "reference.png"), full_page=False)
        title = page.locator(".info .title").inner_text()  # with the "OAS 3.1" badge
    finally:
        context.close()
    assert outside == []
    assert "Fieldline" in title and "OAS 3.1" in title
    assert not [e for e in errors if "Content Security Policy" in e]

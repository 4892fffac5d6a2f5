"""Staff console speed on a realistic agency, against the JSON API in the same run.

Seeds (once per database, as bench/sync_bench.py) 100,000 tickets, gives one ticket
500 timeline events, signs a staff member in through the sign-in form, then times
in process, through the Flask app (server time, no network):

  dashboard      GET /dashboard          vs GET /api/dashboard/updates
  queue page     GET /tickets            vs GET /api/tickets
  ticket page    GET /tickets/<id>       vs GET /api/tickets/<id>   (500 events)

and, with --paint, first contentful paint of the dashboard in Chromium over
gunicorn (Debian's /usr/bin/chromium through Playwright).

    python bench/console_bench.py [--database-url URL] [--tickets N] [--paint]

Targets (medians): dashboard <= 50 ms, queue <= 80 ms, ticket page <= 150 ms,
first paint <= 1 s; each reported as a ratio to its API request.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402

from bench.sync_bench import SECRET, admin_user, make_app, median_ms, prepare  # noqa: E402
from server.auth import Caller  # noqa: E402
from server.extensions import db  # noqa: E402
from server.models import Ticket, TicketEvent, User  # noqa: E402

SEED_PASSWORD = "fieldline-seed"
EVENTS = 500
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def staff_member(app) -> tuple[str, int]:
    """The first seeded staff member (a department's worth of tickets in scope), and
    one ticket of theirs with EVENTS timeline events."""
    from server.services import messages

    with app.app_context():
        staff = db.session.scalar(select(User).where(User.role == "staff").order_by(User.id))
        caller = Caller(staff, None)
        from server.scope import visible_tickets

        ticket = db.session.scalar(visible_tickets(caller).order_by(Ticket.id.desc()).limit(1))
        have = db.session.scalar(select(func.count()).where(TicketEvent.ticket_id == ticket.id))
        author = Caller(admin_user(), None)
        for n in range(max(0, EVENTS - have)):
            messages.post_message(
                author,
                ticket.id,
                body=f"Progress note {n}: checked the valve, waiting for the part.",
                visibility=("public", "team", "staff")[n % 3],
            )
        db.session.commit()
        return staff.email, ticket.id


def signed_in_client(app, email: str):
    client = app.test_client()
    token = TOKEN.search(client.get("/").get_data(as_text=True)).group(1)
    answer = client.post("/", data={"email": email, "password": SEED_PASSWORD, "csrf_token": token})
    assert answer.status_code == 303, answer.status_code
    return client


def api_headers(app, email: str) -> dict:
    answer = app.test_client().post(
        "/api/auth/token", json={"email": email, "password": SEED_PASSWORD}
    )
    return {"Authorization": f"Bearer {answer.get_json()['access_token']}"}


def measure(app, email: str, ticket_id: int, repeat: int) -> list[tuple]:
    page = signed_in_client(app, email)
    api = app.test_client()
    headers = api_headers(app, email)
    pairs = [
        ("dashboard", "/dashboard", "/api/dashboard/updates", 50),
        ("queue page", "/tickets", "/api/tickets", 80),
        (
            f"ticket page ({EVENTS} events)",
            f"/tickets/{ticket_id}",
            f"/api/tickets/{ticket_id}",
            150,
        ),
    ]
    rows = []
    for name, path, api_path, target in pairs:
        assert page.get(path).status_code == 200, path
        assert api.get(api_path, headers=headers).status_code == 200, api_path
        page_ms = median_ms(lambda p=path: page.get(p), repeat)
        api_ms = median_ms(lambda p=api_path: api.get(p, headers=headers), repeat)
        rows.append((name, page_ms, api_ms, target))
        print(
            f"  {name:<26} {page_ms:7.1f} ms   API {api_ms:6.1f} ms   "
            f"{page_ms / api_ms:4.1f}x API   target <= {target} ms",
            flush=True,
        )
    return rows


def first_paint(app, url: str, instance: str, email: str, repeat: int) -> float:
    from playwright.sync_api import sync_playwright

    from bench.gunicorn_server import gunicorn

    with gunicorn(url, instance, SECRET, workers=2, threads=4) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        page.goto(base + "/")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill(SEED_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(base + "/dashboard")
        samples = []
        for _ in range(repeat):
            page.goto(base + "/dashboard")
            page.wait_for_load_state("load")
            samples.append(
                page.evaluate(
                    "new Promise(done => new PerformanceObserver((list, observer) => {"
                    " const paint = list.getEntriesByName('first-contentful-paint')[0];"
                    " if (paint) { observer.disconnect(); done(paint.startTime); }"
                    "}).observe({type: 'paint', buffered: true}))"
                )
            )
        browser.close()
        return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--contractors", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--paint", action="store_true", help="also first paint in Chromium")
    args = parser.parse_args()
    instance = os.path.join(tempfile.gettempdir(), "fieldline-bench")
    os.makedirs(instance, exist_ok=True)
    url = args.database_url or f"sqlite:///{instance}/bench-{args.tickets}.sqlite3"
    app = make_app(url, instance)
    prepare(app, args.tickets, args.contractors)
    email, ticket_id = staff_member(app)
    with app.app_context():
        staff = db.session.scalar(select(User).where(User.email == email))
        from server.scope import visible_tickets

        in_scope = db.session.scalar(
            select(func.count()).select_from(visible_tickets(Caller(staff, None)).subquery())
        )
    kind = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(
        f"\nconsole benchmark on {kind}, {args.tickets} tickets, a staff member with "
        f"{in_scope} in scope (server time in process, medians of {args.repeat})"
    )
    measure(app, email, ticket_id, args.repeat)
    if args.paint:
        paint = first_paint(app, url, instance, email, 5)
        print(f"  first contentful paint (dashboard, Chromium) {paint:7.0f} ms   target <= 1000 ms")


if __name__ == "__main__":
    main()

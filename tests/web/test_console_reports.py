"""The reports pages: staff see their scope's figures as a chart and a table, with a
CSV download; customers are kept out; bad filters are answered in words; the number
of queries does not grow with the tickets counted."""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.reports import scenario
from tests.web.pages import sign_in


def _today() -> str:
    return datetime.now(ZoneInfo("Europe/London")).date().isoformat()


def _signed_in(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


@pytest.mark.parametrize("path", ["/reports", "/reports/sla", "/reports/ageing", "/reports/work"])
@pytest.mark.parametrize("role", ["tenant", "contractor"])
def test_customers_get_the_not_allowed_page(app, people, path, role):
    answer = _signed_in(app, getattr(people, role)).get(path)
    assert answer.status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    answer = client.get("/reports")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/?next=/reports"


def test_the_volume_page_shows_the_scenarios_figures_in_a_chart_and_a_table(app, make, people):
    scenario.build(make, people)
    today = _today()
    html = (
        _signed_in(app, people.manager)
        .get(f"/reports/volume?from={today}&to={today}&group=day")
        .get_data(as_text=True)
    )
    assert '<svg class="chart"' in html and '<title id="chart-title">' in html
    assert f"<td>{today}</td><td>4</td><td>2</td><td>2</td><td>3</td>" in html
    assert f'href="/reports/volume.csv?from={today}&amp;to={today}&amp;group=day"' in html
    assert "style=" not in html  # the CSP allows no inline style


def test_the_csv_download_has_the_pages_figures(app, make, people):
    scenario.build(make, people)
    today = _today()
    answer = _signed_in(app, people.manager).get(
        f"/reports/volume.csv?from={today}&to={today}&group=day"
    )
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    [row] = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert (row["opened"], row["backlog"]) == ("4", "3")


def test_ageing_lists_the_oldest_open_tickets_and_not_other_scopes(app, make, people):
    found = scenario.build(make, people)
    html = _signed_in(app, people.manager).get("/reports/ageing").get_data(as_text=True)
    assert "Oldest open tickets" in html
    assert f'href="/tickets/{found.tickets[2].id}"' in html
    assert "Not the manager&#39;s" not in html and f'/tickets/{found.hidden.id}"' not in html


def test_bad_filters_are_explained_and_the_page_still_renders(app, people):
    answer = _signed_in(app, people.manager).get("/reports/volume?from=2025-02-01&to=2025-01-01")
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "There is a problem" in html
    assert 'href="#field-from">From: `from` is after `to`.</a>' in html


def test_an_unknown_report_is_not_found(app, people):
    assert _signed_in(app, people.manager).get("/reports/salaries").status_code == 404


@pytest.mark.parametrize("name", ["volume", "sla", "ageing", "work"])
def test_queries_do_not_grow_with_the_tickets(app, make, people, queries, name):
    client = _signed_in(app, people.manager)
    make.ticket(people.tenant, people.block, people.unit)
    with queries():
        client.get(f"/reports/{name}")
    few = queries.count
    for _ in range(5):
        make.ticket(people.tenant, people.block, people.unit)
    with queries():
        client.get(f"/reports/{name}")
    assert queries.count == few

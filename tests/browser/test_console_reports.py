"""The reports in Chromium: a manager opens Reports and reads the known scenario's
figures in the table beside the chart; the page passes axe-core, breaks no CSP rule
and offers the chart as CSV."""

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.browser.conftest import check_axe, csp_violations, sign_in
from tests.factories import PASSWORD
from tests.reports import scenario


def test_the_reports_page_shows_the_scenarios_figures(desktop, serve, make, people, axe_source):
    scenario.build(make, people)
    today = datetime.now(ZoneInfo("Europe/London")).date().isoformat()
    base = serve()
    page = desktop.new_page()
    sign_in(page, base, people.manager.email, PASSWORD)
    page.goto(base + "/reports")
    page.get_by_role("heading", name="Reports").wait_for()
    page.get_by_label("From", exact=True).fill(today)
    page.get_by_label("To", exact=True).fill(today)
    page.get_by_label("Period", exact=True).select_option("day")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/reports/volume?*")
    table = page.get_by_role("table", name="Volume: figures")
    row = table.get_by_role("row").filter(has_text=today)
    cells = [cell.strip() for cell in row.get_by_role("cell").all_inner_texts()]
    assert cells[:5] == [today, "4", "2", "2", "3"]  # opened, resolved, closed, open at end
    assert page.get_by_role("img", name="Volume chart").is_visible()
    link = page.get_by_role("link", name="Download CSV of Volume")
    assert link.get_attribute("href").startswith("/reports/volume.csv?")
    check_axe(page, axe_source)
    page.get_by_role("link", name="Ageing").click()
    page.get_by_role("heading", name="Oldest open tickets").wait_for()
    ageing = page.get_by_role("table", name="Ageing: figures")
    youngest = ageing.get_by_role("row").filter(has_text="under 1 day")
    assert [c.strip() for c in youngest.get_by_role("cell").all_inner_texts()] == [
        "under 1 day",
        "2",
        "0",
        "1",
        "3",
    ]
    check_axe(page, axe_source)
    page.get_by_role("link", name="SLA compliance").click()
    page.get_by_role("heading", name="SLA compliance", level=2).wait_for()
    check_axe(page, axe_source)
    assert csp_violations(page) == []

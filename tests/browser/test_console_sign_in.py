"""The console in Chromium: a manager signs in at / and lands on the dashboard; the
sign-in page and the dashboard pass axe-core and break no CSP rule."""

from tests.browser.conftest import check_axe, csp_violations, sign_in
from tests.factories import PASSWORD


def test_a_manager_signs_in_and_sees_the_dashboard(desktop, serve, make, people, axe_source):
    make.ticket(people.tenant, people.block, people.unit, summary="Dripping tap")
    base = serve()
    page = desktop.new_page()
    page.goto(base + "/")
    check_axe(page, axe_source)
    page.get_by_label("Email address").fill(people.manager.email)
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    assert "The email address or password is not right." in alert.inner_text()
    check_axe(page, axe_source)
    sign_in(page, base, people.manager.email, PASSWORD)
    assert page.url == base + "/dashboard"
    page.get_by_role("heading", name="Dashboard").wait_for()
    assert page.get_by_role("link", name="Dripping tap").first.is_visible()
    check_axe(page, axe_source)
    page.get_by_role("link", name="Tickets", exact=True).click()
    page.get_by_role("heading", name="Tickets").wait_for()
    check_axe(page, axe_source)
    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You have signed out.").wait_for()
    page.goto(base + "/dashboard")
    assert page.url.startswith(base + "/?next=")
    assert csp_violations(page) == []

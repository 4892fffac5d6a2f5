"""The console's pages in Chromium: open a ticket for a tenant through the form (the
unit and tenant lists follow the block), save a queue filter and reopen it, mark a
notification read, deactivate and reactivate a user; axe-core and the CSP on each."""

from tests.browser.conftest import check_axe, csp_violations, sign_in
from tests.factories import PASSWORD


def test_a_manager_opens_a_ticket_on_behalf_of_a_tenant(desktop, serve, make, people, axe_source):
    base = serve()
    page = desktop.new_page()
    sign_in(page, base, people.manager.email, PASSWORD)
    page.get_by_role("link", name="New ticket", exact=True).first.click()
    page.get_by_role("heading", name="New ticket").wait_for()
    check_axe(page, axe_source)
    page.get_by_label("A tenant's report, on their behalf").check()
    place = lambda r: "/tickets/new/place" in r.url  # noqa: E731  (htmx swaps units, tenants)
    unit = page.get_by_label("Unit", exact=True)
    page.wait_for_load_state("load")  # htmx is ready
    with page.expect_response(place):
        page.get_by_label("Block", exact=True).select_option(str(people.block.id))
    unit.locator(f"option[value='{people.unit.id}']").wait_for(state="attached")  # swapped in
    with page.expect_response(place):
        unit.select_option(str(people.unit.id))
    tenant = page.get_by_label("Tenant", exact=True)
    tenant.locator(f"option[value='{people.tenant.id}']").wait_for(state="attached")
    tenant.select_option(str(people.tenant.id))
    page.get_by_label("Summary").fill("Boiler pressure keeps dropping")
    page.get_by_label("Description").fill("Reported by phone this morning.")
    page.get_by_label("Priority").select_option("high")
    page.get_by_role("button", name="Open ticket").click()
    page.wait_for_load_state()
    assert "There is a problem" not in page.content(), page.get_by_role("alert").inner_text()
    page.wait_for_url(base + "/tickets/*")
    page.goto(base + "/tickets")
    assert page.get_by_role("link", name="Boiler pressure keeps dropping").is_visible()
    assert csp_violations(page) == []


def test_a_saved_filter_is_saved_and_reopened(desktop, serve, make, people, axe_source):
    make.ticket(people.tenant, people.block, people.unit, summary="Lift stuck")
    base = serve()
    page = desktop.new_page()
    sign_in(page, base, people.manager.email, PASSWORD)
    page.goto(base + "/tickets")
    page.get_by_label("Order").select_option("updated")
    page.get_by_label("Status").select_option("new")
    page.get_by_role("button", name="Apply").click()
    page.get_by_label("Save these filters as").fill("New, latest first")
    page.get_by_role("button", name="Save filter").click()
    page.get_by_text("Saved the filter").wait_for()
    check_axe(page, axe_source)
    page.get_by_role("link", name="Clear").click()
    page.get_by_role("navigation", name="Saved filters").get_by_role(
        "link", name="New, latest first"
    ).click()
    assert page.get_by_label("Order").input_value() == "updated"
    assert page.get_by_label("Status").input_value() == "new"
    assert page.get_by_role("link", name="Lift stuck").is_visible()
    assert csp_violations(page) == []


def test_a_notification_opens_its_ticket_and_is_marked_read(
    desktop, serve, make, people, axe_source
):
    make.ticket(people.tenant, people.block, people.unit, summary="Mould in bathroom")
    make.ticket(people.tenant, people.block, people.unit, summary="Gutter leaking")
    base = serve()
    page = desktop.new_page()
    sign_in(page, base, people.manager.email, PASSWORD)
    page.goto(base + "/notifications")
    check_axe(page, axe_source)
    assert page.get_by_role("main").get_by_text("2 unread").is_visible()
    gutter = page.get_by_role("listitem").filter(has_text="Gutter leaking")
    gutter.get_by_role("button", name="Mark read").click()
    page.get_by_text("Marked as read.").wait_for()
    assert page.get_by_role("main").get_by_text("1 unread").is_visible()
    page.get_by_role("button", name="New ticket: Mould in bathroom", exact=True).click()
    page.wait_for_url(base + "/tickets/*")
    page.goto(base + "/notifications")
    assert page.get_by_role("main").get_by_text("0 unread").is_visible()
    check_axe(page, axe_source)
    assert csp_violations(page) == []


def test_an_admin_deactivates_and_reactivates_a_user(desktop, serve, make, people, axe_source):
    base = serve()
    page = desktop.new_page()
    sign_in(page, base, people.admin.email, PASSWORD)
    page.goto(base + "/people")
    check_axe(page, axe_source)
    page.get_by_label("Search").fill("Carl")
    page.get_by_role("button", name="Apply").click()
    page.get_by_role("link", name=people.contractor.name).click()
    page.get_by_role("heading", name=people.contractor.name).wait_for()
    check_axe(page, axe_source)
    page.get_by_role("button", name="Deactivate").click()
    page.get_by_text("Deactivated: they can no longer sign in.").wait_for()
    page.get_by_role("button", name="Reactivate").click()
    page.get_by_text("Reactivated: they may sign in.").wait_for()
    page.get_by_role("link", name="Edit").click()
    page.get_by_role("heading", name=f"Edit {people.contractor.name}").wait_for()
    check_axe(page, axe_source)
    page.goto(base + "/people/new")
    check_axe(page, axe_source)
    assert csp_violations(page) == []

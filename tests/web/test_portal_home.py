"""My home in the portal: where the tenant lives, their home's certificates with
expiry (not the neighbours' flats'), and the managing agent's contact details."""

from datetime import date, timedelta

from tests.web.pages import sign_in


def test_my_home_shows_tenancies_certificates_and_the_agent(app, client, make, people):
    app.config.update(AGENCY_PHONE="020 7946 0123", AGENCY_EMAIL="help@agency.test")
    make.certificate(people.block, "gas_safety", number="GS-1")
    make.certificate(people.block, "electrical", unit=people.unit, number="EL-MINE")
    make.certificate(
        people.block, "epc", number="OLD-1", expires_on=date.today() - timedelta(days=3)
    )
    neighbour_flat = make.unit(people.block)
    make.certificate(people.block, "gas_safety", unit=neighbour_flat, number="GS-NEXT-DOOR")
    make.certificate(make.block(), "gas_safety", number="GS-ELSEWHERE")
    sign_in(client, people.tenant)
    answer = client.get("/portal")
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert people.unit.name in html and people.block.name in html and people.block.address in html
    assert "GS-1" in html and "EL-MINE" in html and "OLD-1" in html
    assert "Expired" in html and "Valid" in html
    assert "GS-NEXT-DOOR" not in html and "GS-ELSEWHERE" not in html
    assert app.config["AGENCY_NAME"] in html
    assert 'href="tel:02079460123"' in html and 'href="mailto:help@agency.test"' in html


def test_a_tenant_who_moved_out_is_told_whom_to_contact(client, make):
    tenant = make.user("tenant")
    flat = make.unit(make.block())
    make.tenancy(tenant, flat, date.today() - timedelta(days=400), date.today() - timedelta(days=1))
    sign_in(client, tenant)
    assert "We have no current tenancy for you" in client.get("/portal").get_data(as_text=True)
    report = client.get("/portal/report").get_data(as_text=True)
    assert "you cannot report a problem here" in report and "Send report" not in report


def test_tenants_land_on_the_portal_and_welcome_is_for_contractors(client, make, people):
    assert sign_in(client, people.tenant).headers["Location"] == "/portal"
    assert client.get("/welcome").headers["Location"] == "/portal"
    contractor = client.application.test_client()
    sign_in(contractor, people.contractor)
    assert "field app" in contractor.get("/welcome").get_data(as_text=True)

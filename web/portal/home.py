"""My home: where the tenant lives, the certificates of their home, whom to call."""

from datetime import date, timedelta

from flask import current_app

from server.services import properties, ticket_queries
from web.access import signed_in
from web.portal import bp, wording
from web.rendering import page

SOON = timedelta(days=30)


@bp.get("/portal")
@signed_in("tenant")
def home(caller):
    tenancies = properties.current_tenancies(caller.user.id)
    certificates = []
    for block_id in dict.fromkeys(t.unit.block_id for t in tenancies):
        certificates += properties.certificates_of(caller, block_id)
    latest = ticket_queries.list_tickets(caller, {"limit": 3})["items"]
    config = current_app.config
    return page(
        "portal/home.html",
        tenancies=tenancies,
        certificates=certificates,
        today=date.today(),
        soon=date.today() + SOON,
        latest=latest,
        standing={
            t.id: wording.standing(t.status, wording.acts(t, caller.user.id)).label for t in latest
        },
        agency={
            "name": config["AGENCY_NAME"],
            "address": [line.strip() for line in config["AGENCY_ADDRESS"].split(",")],
            "phone": config["AGENCY_PHONE"],
            "email": config["AGENCY_EMAIL"],
            "hours": config["AGENCY_HOURS"],
        },
    )

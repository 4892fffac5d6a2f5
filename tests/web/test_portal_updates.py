"""Updates in the portal: the tenant's feed (public events only, as the notifications
service writes it), marking it read, and the "email me" switch."""

from server.extensions import db
from server.models import User
from tests.web.pages import post, sign_in


def test_the_feed_lists_public_updates_and_marks_them_read(client, make, people):
    ticket = make.ticket(people.tenant, people.block, people.unit, summary="Boiler noise")
    make.triage(ticket, people.manager)
    make.message(ticket, people.manager, "We will send someone on Friday.", "public")
    make.message(ticket, people.manager, "Internal: cheap fix first.", "staff")
    sign_in(client, people.tenant)
    home = client.get("/portal").get_data(as_text=True)
    assert 'class="badge-count">1<' in home
    page = client.get("/portal/updates").get_data(as_text=True)
    assert "We will send someone on Friday." in page
    assert f'href="/portal/tickets/{ticket.id}"' in page
    assert "Internal: cheap fix first." not in page
    answer = post(client, "/portal/updates/read", token_from="/portal/updates")
    assert answer.status_code == 303
    page = client.get("/portal/updates").get_data(as_text=True)
    assert "All updates are marked as read." in page and "badge-count" not in page


def test_the_email_switch_turns_mails_off_and_on(app, client, people):
    sign_in(client, people.tenant)
    assert (
        post(client, "/portal/updates/email", {}, token_from="/portal/updates").status_code == 303
    )
    with app.app_context():
        assert db.session.get(User, people.tenant.id).notify_me is False
    page = client.get("/portal/updates").get_data(as_text=True)
    assert "We will not email you about your tickets." in page
    post(client, "/portal/updates/email", {"notify_me": "on"}, token_from="/portal/updates")
    with app.app_context():
        assert db.session.get(User, people.tenant.id).notify_me is True
    forged = client.post("/portal/updates/email", data={"notify_me": ""})
    assert forged.status_code == 400

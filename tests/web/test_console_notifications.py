"""The in-app feed in the console: each item opens its ticket and is marked read, mark
one or all read, the "notify me" switch; nobody touches another user's feed."""

from sqlalchemy import select

from server.extensions import db
from server.models import Notification, User
from tests.web.pages import csrf, post, sign_in
from web.console import notifications_page


def signed_in(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def feed_of(app, user):
    with app.app_context():
        return db.session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        ).all()


def test_the_feed_lists_notifications_and_opening_one_marks_it_read(app, make, people):
    ticket = make.ticket(people.tenant, people.block, people.unit, summary="Damp in bedroom")
    [item] = feed_of(app, people.manager)
    client = signed_in(app, people.manager)
    html = client.get("/notifications").get_data(as_text=True)
    assert "Damp in bedroom" in html and "1 unread" in html
    answer = post(
        client, f"/notifications/{item.id}/read", {"open": "1"}, token_from="/notifications"
    )
    assert answer.status_code == 303 and answer.headers["Location"] == f"/tickets/{ticket.id}"
    assert feed_of(app, people.manager)[0].read_at is not None
    assert "0 unread" in client.get("/notifications").get_data(as_text=True)


def test_mark_one_and_mark_all_read(app, make, people):
    for summary in ("One", "Two", "Three"):
        make.ticket(people.tenant, people.block, people.unit, summary=summary)
    first, *_ = feed_of(app, people.manager)
    client = signed_in(app, people.manager)
    answer = post(client, f"/notifications/{first.id}/read", token_from="/notifications")
    assert answer.status_code == 303 and answer.headers["Location"] == "/notifications"
    assert "Marked as read." in client.get("/notifications").get_data(as_text=True)
    assert [n.read_at is not None for n in feed_of(app, people.manager)] == [True, False, False]
    post(client, "/notifications/read-all", token_from="/notifications")
    assert all(n.read_at is not None for n in feed_of(app, people.manager))
    html = client.get("/notifications?unread=1").get_data(as_text=True)
    assert "Nothing unread." in html


def test_another_users_notification_is_a_404_and_stays_unread(app, make, people):
    make.ticket(people.tenant, people.block, people.unit)
    [item] = feed_of(app, people.manager)
    client = signed_in(app, people.admin)
    answer = post(client, f"/notifications/{item.id}/read", token_from="/notifications")
    assert answer.status_code == 404
    assert (
        post(client, "/notifications/99999999/read", token_from="/notifications").status_code == 404
    )
    assert feed_of(app, people.manager)[0].read_at is None


def test_the_notify_me_switch(app, people):
    client = signed_in(app, people.manager)
    answer = post(client, "/notifications/preferences", {}, token_from="/notifications")
    assert answer.status_code == 303
    with app.app_context():
        assert db.session.get(User, people.manager.id).notify_me is False
    html = client.get("/notifications").get_data(as_text=True)
    assert "You will no longer get emails" in html
    assert 'id="field-notify_me" name="notify_me">' in html  # unticked
    post(client, "/notifications/preferences", {"notify_me": "on"}, token_from="/notifications")
    with app.app_context():
        assert db.session.get(User, people.manager.id).notify_me is True


def test_marking_read_needs_the_csrf_token_and_a_console_role(app, make, people):
    make.ticket(people.tenant, people.block, people.unit)
    [item] = feed_of(app, people.manager)
    client = signed_in(app, people.manager)
    assert client.post(f"/notifications/{item.id}/read").status_code == 400
    assert client.post("/notifications/read-all").status_code == 400
    for user in (people.tenant, people.contractor):
        other = signed_in(app, user)
        assert other.get("/notifications").status_code == 403
        token = csrf(other, "/account/password")
        refused = other.post("/notifications/read-all", data={"csrf_token": token})
        assert refused.status_code == 403
    assert feed_of(app, people.manager)[0].read_at is None


def test_the_feed_pages_with_before(app, make, people, monkeypatch):
    for n in range(3):
        make.ticket(people.tenant, people.block, people.unit, summary=f"Report {n}")
    monkeypatch.setattr(notifications_page, "PAGE_SIZE", 2)
    client = signed_in(app, people.manager)
    html = client.get("/notifications").get_data(as_text=True)
    assert "Report 2" in html and "Report 1" in html and "Report 0" not in html
    items = feed_of(app, people.manager)
    assert f'href="/notifications?before={items[1].id}"' in html
    second = client.get(f"/notifications?before={items[1].id}").get_data(as_text=True)
    assert "Report 0" in second and "Report 2" not in second
    assert client.get("/notifications?before=abc").status_code == 200

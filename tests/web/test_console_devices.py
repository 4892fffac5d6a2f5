"""Devices in the console: every handheld with its state, revocation (its next sync is
refused), and a device's conflicts with both versions side by side."""

import pytest

from server.extensions import db
from server.models import Device
from server.services.timeline import record_conflict
from tests.factories import as_caller
from tests.web.pages import post, sign_in


def _client(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def _device(app, user, key="van-phone"):
    with app.app_context():
        return db.session.scalar(
            db.select(Device.id).where(Device.user_id == user.id, Device.device_key == key)
        )


@pytest.mark.parametrize("role", ["tenant", "contractor"])
def test_customers_and_contractors_get_the_not_allowed_page(app, make, people, role):
    make.tokens(people.contractor, "van-phone")
    device_id = _device(app, people.contractor)
    client = _client(app, getattr(people, role))
    assert client.get("/devices").status_code == 403
    assert client.get(f"/devices/{device_id}").status_code == 403
    answer = post(client, f"/devices/{device_id}/revoke", token_from="/account/password")
    assert answer.status_code == 403
    with app.app_context():
        assert db.session.get(Device, device_id).revoked_at is None


def test_the_list_shows_each_device_with_its_user_and_version(app, make, people):
    make.tokens(people.contractor, "van-phone")
    html = _client(app, people.manager).get("/devices").get_data(as_text=True)
    assert "van-phone" in html and "Carl Plumber" in html and "Active" in html
    assert "0 conflicts, 0 held" in html


def test_an_unknown_device_is_404(app, people):
    client = _client(app, people.manager)
    assert client.get("/devices/999999").status_code == 404
    assert post(client, "/devices/999999/revoke", token_from="/devices").status_code == 404


def test_a_revoked_device_is_refused_at_its_next_sync(app, make, people):
    tokens = make.tokens(people.contractor, "van-phone")
    api = app.test_client()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert api.get("/api/sync/pull", headers=headers).status_code == 200
    device_id = _device(app, people.contractor)
    client = _client(app, people.manager)
    assert client.post(f"/devices/{device_id}/revoke").status_code == 400  # no CSRF token
    assert api.get("/api/sync/pull", headers=headers).status_code == 200
    answer = post(client, f"/devices/{device_id}/revoke", token_from=f"/devices/{device_id}")
    assert answer.status_code == 303
    html = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Device revoked" in html and "Revoked" in html
    refused = api.get("/api/sync/pull", headers=headers)
    assert refused.status_code == 401 and refused.get_json()["code"] == "device_revoked"
    again = api.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert again.status_code == 401


def test_a_conflict_shows_the_device_and_server_versions_side_by_side(app, make, people):
    make.tokens(people.contractor, "van-phone")
    ticket = make.ticket(people.tenant, people.block, people.unit)
    make.triage(ticket, people.manager)
    make.assign(ticket, people.contractor, people.manager)
    message = make.message(ticket, people.contractor, body="Fixed the valve on site.")
    device_id = _device(app, people.contractor)
    with app.app_context():
        from server.models import Ticket

        record_conflict(
            db.session.get(Ticket, ticket.id),
            as_caller(people.contractor),
            {
                "detail": "ticket_messages was pushed again with other content.",
                "table": "ticket_messages",
                "id": message.id,
                "columns": ["body"],
                "pushed": {"body": "Fixed <b>the</b> valve, edited offline."},
            },
            db.session.get(Device, device_id),
        )
        db.session.commit()
    html = _client(app, people.manager).get(f"/devices/{device_id}").get_data(as_text=True)
    device_side, server_side = html.split("On the device", 1)[1].split("On the server", 1)
    assert "Fixed &lt;b&gt;the&lt;/b&gt; valve, edited offline." in device_side
    assert "Fixed the valve on site." in server_side
    assert ticket.ref in html
    outsider = make.user("staff")  # sees no ticket of this block: no conflict shown
    html = _client(app, outsider).get(f"/devices/{device_id}").get_data(as_text=True)
    assert "edited offline" not in html


def test_the_query_count_does_not_grow_with_devices(app, make, people, queries):
    client = _client(app, people.manager)
    for n in range(2):
        make.tokens(make.user("contractor"), f"phone-{n}")
    with queries() as few:
        assert client.get("/devices").status_code == 200
    for n in range(8):
        make.tokens(make.user("contractor"), f"more-{n}")
    with queries() as many:
        assert client.get("/devices").status_code == 200
    assert many.count == few.count, many.statements[few.count :]

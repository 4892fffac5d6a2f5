"""The ERP pages: endpoints for admins only (staff 403, as the API), the secret shown
once, refusals in words with nothing changed, replays and test events through the
outbox, refused payment reports with their raw body, and flat query counts."""

import json
import re

import pytest

from billing import webhook_endpoints
from billing.models import RejectedPayment, WebhookDelivery, WebhookEndpoint
from server.extensions import db
from server.models.notifications import OutboxMessage
from tests.factories import as_caller
from tests.web.billing_world import billing_app  # noqa: F401  (the `app` fixture)
from tests.web.test_console_billing import post_on, staff_client

RECEIVER = "http://127.0.0.1:9/hooks"  # never called: the worker does not run here


def make_endpoint(app, admin, url=RECEIVER, **fields):
    with app.app_context():
        endpoint = webhook_endpoints.create_endpoint(as_caller(admin), url=url, **fields)
        db.session.commit()
        return endpoint.id


def make_delivery(app, endpoint_id, status="dead", **fields):
    with app.app_context():
        delivery = WebhookDelivery(
            endpoint_id=endpoint_id,
            event_type="invoice.issued",
            webhook_id=f"msg_{status}_{fields.pop('n', 0)}",
            payload=json.dumps({"type": "invoice.issued"}),
            status=status,
            attempts=10 if status == "dead" else 1,
            replays=0,
            last_status_code=500,
            last_error="HTTP 500 Internal Server Error",
            **fields,
        )
        db.session.add(delivery)
        db.session.commit()
        return delivery.id


@pytest.mark.parametrize("path", ["/erp/endpoints", "/erp/endpoints/1"])
def test_endpoints_are_for_admins_only(app, people, path):
    make_endpoint(app, people.admin)
    assert staff_client(app, people.manager).get(path).status_code == 403
    assert staff_client(app, people.admin).get(path).status_code == 200


@pytest.mark.parametrize("path", ["/erp/deliveries", "/erp/rejected-payments"])
@pytest.mark.parametrize("role", ["tenant", "contractor"])
def test_deliveries_and_rejections_are_for_staff(app, people, path, role):
    assert staff_client(app, getattr(people, role)).get(path).status_code == 403
    assert staff_client(app, people.manager).get(path).status_code == 200


def test_a_new_endpoints_secret_is_shown_once(app, people):
    client = staff_client(app, people.admin)
    form = {"url": RECEIVER, "description": "Sage", "event_types": ["invoice.paid"]}
    answer = post_on(client, "/erp/endpoints", "/erp/endpoints", form)
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    secret = re.search(r'value="(whsec_[^"]+)"', html).group(1)
    assert "shown only once" in html
    with app.app_context():
        endpoint = db.session.query(WebhookEndpoint).one()
        assert endpoint.secret == secret and json.loads(endpoint.event_types) == ["invoice.paid"]
        endpoint_id = endpoint.id
    assert secret not in client.get(f"/erp/endpoints/{endpoint_id}").get_data(as_text=True)
    assert secret not in client.get("/erp/endpoints").get_data(as_text=True)


@pytest.mark.parametrize(
    "url, words",
    [
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("ftp://erp.example/hooks", "Not a valid URL"),
        ("not a url", "Not a valid URL"),
    ],
)
def test_a_refused_url_is_explained_and_nothing_is_created(app, people, url, words):
    client = staff_client(app, people.admin)
    answer = post_on(client, "/erp/endpoints", "/erp/endpoints", {"url": url})
    assert answer.status_code == 422
    assert words.lower() in answer.get_data(as_text=True).lower()
    with app.app_context():
        assert db.session.query(WebhookEndpoint).count() == 0


def test_events_are_edited_and_none_at_all_is_refused(app, people):
    endpoint_id = make_endpoint(app, people.admin)
    client = staff_client(app, people.admin)
    page = f"/erp/endpoints/{endpoint_id}"
    none = post_on(client, page, page, {"url": RECEIVER})
    assert none.status_code == 422 and "choose from" in none.get_data(as_text=True)
    two = {"url": RECEIVER, "event_types": ["invoice.paid", "ticket.closed"]}
    assert post_on(client, page, page, two).status_code == 303
    with app.app_context():
        saved = db.session.get(WebhookEndpoint, endpoint_id)
        assert json.loads(saved.event_types) == ["invoice.paid", "ticket.closed"]


def test_disable_enable_and_a_test_event_through_the_outbox(app, people):
    endpoint_id = make_endpoint(app, people.admin)
    client = staff_client(app, people.admin)
    page = f"/erp/endpoints/{endpoint_id}"
    assert post_on(client, page, f"{page}/enabled", {"enabled": "false"}).status_code == 303
    refused = post_on(client, page, f"{page}/test", {})
    assert refused.status_code == 409
    assert "The endpoint is disabled; enable it first." in refused.get_data(as_text=True)
    assert post_on(client, page, f"{page}/enabled", {"enabled": "true"}).status_code == 303
    assert post_on(client, page, f"{page}/test", {}).status_code == 303
    with app.app_context():
        (delivery,) = db.session.query(WebhookDelivery).all()
        assert delivery.event_type == "webhook.test" and delivery.status == "pending"
        assert db.session.query(OutboxMessage).filter_by(channel="webhook").count() == 1
    assert "webhook.test" in client.get(page).get_data(as_text=True)


def test_rotating_shows_the_new_secret_once_and_keeps_the_old_for_the_overlap(app, people):
    endpoint_id = make_endpoint(app, people.admin)
    with app.app_context():
        old = db.session.get(WebhookEndpoint, endpoint_id).secret
    client = staff_client(app, people.admin)
    page = f"/erp/endpoints/{endpoint_id}"
    for hostile in ("-1", "abc", "100000", ""):
        answer = post_on(client, page, f"{page}/rotate", {"overlap_hours": hostile})
        assert answer.status_code == 422, hostile
    answer = post_on(client, page, f"{page}/rotate", {"overlap_hours": "24"})
    html = answer.get_data(as_text=True)
    new = re.search(r'value="(whsec_[^"]+)"', html).group(1)
    assert new != old and "signed with both" in html
    with app.app_context():
        endpoint = db.session.get(WebhookEndpoint, endpoint_id)
        assert endpoint.secret == new and endpoint.previous_secret == old


def test_staff_replay_a_failed_delivery_and_all_failed_of_an_endpoint(app, people):
    endpoint_id = make_endpoint(app, people.admin)
    dead = [make_delivery(app, endpoint_id, "dead", n=n) for n in range(3)]
    retrying = make_delivery(app, endpoint_id, "failed")
    client = staff_client(app, people.manager)
    html = client.get("/erp/deliveries?status=dead").get_data(as_text=True)
    assert "HTTP 500 Internal Server Error" in html and "Failed" in html
    one = post_on(client, "/erp/deliveries", f"/erp/deliveries/{dead[0]}/replay", {})
    assert one.status_code == 303
    busy = post_on(client, "/erp/deliveries", f"/erp/deliveries/{retrying}/replay", {})
    assert busy.status_code == 303
    followed = client.get(busy.headers["Location"]).get_data(as_text=True)
    assert "Not replayed: This delivery is still being tried." in followed
    path = f"/erp/endpoints/{endpoint_id}/replay-failed"
    answer = post_on(client, "/erp/deliveries", path, {"next": "https://evil.example/"})
    assert answer.headers["Location"] == f"/erp/deliveries?endpoint_id={endpoint_id}"
    assert "2 failed deliveries queued" in client.get(answer.headers["Location"]).get_data(
        as_text=True
    )
    with app.app_context():
        statuses = {d.id: d.status for d in db.session.query(WebhookDelivery)}
    assert [statuses[i] for i in dead] == ["pending"] * 3 and statuses[retrying] == "failed"
    assert (
        post_on(client, "/erp/deliveries", "/erp/deliveries/999999/replay", {}).status_code == 404
    )


def test_rejected_payment_reports_show_the_reason_and_the_raw_body(app, people):
    with app.app_context():
        db.session.add(
            RejectedPayment(
                webhook_id="msg_1",
                code="unknown_invoice",
                detail="No invoice 'INV-2026-999999'.",
                invoice_number="INV-2026-999999",
                body='{"invoice_number": "INV-2026-999999", "note": "<b>bold</b>"}',
            )
        )
        db.session.commit()
    html = staff_client(app, people.manager).get("/erp/rejected-payments").get_data(as_text=True)
    assert "No invoice &#39;INV-2026-999999&#39;." in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold</b>" not in html


def test_the_deliveries_query_count_does_not_grow_with_the_rows(app, people, queries):
    endpoint_id = make_endpoint(app, people.admin)
    other = make_endpoint(app, people.admin, url="http://127.0.0.1:10/other")
    make_delivery(app, endpoint_id, "dead", n=0)
    client = staff_client(app, people.manager)
    with queries() as few:
        assert client.get("/erp/deliveries").status_code == 200
    for n in range(1, 8):
        make_delivery(app, other if n % 2 else endpoint_id, "delivered", n=n)
    with queries() as many:
        assert client.get("/erp/deliveries").status_code == 200
    assert many.count == few.count, many.statements[few.count :]


def test_a_bad_delivery_filter_is_explained(app, people):
    answer = staff_client(app, people.manager).get("/erp/deliveries?status=exploded&before=-4")
    assert answer.status_code == 422 and "There is a problem" in answer.get_data(as_text=True)

"""ERP webhooks out, delivered by the worker to a real HTTP receiver on 127.0.0.1 and
verified with the official standardwebhooks library."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from billing.models import WebhookDelivery
from server.db import utcnow
from server.extensions import db
from server.models import OutboxMessage
from server.worker import run_once


def deliveries(shop, **filters) -> list[dict]:
    response = shop.client.get(
        "/api/erp/deliveries", query_string=filters, headers=shop.headers(shop.staff)
    )
    assert response.status_code == 200
    return response.get_json()


def test_an_issued_invoice_is_posted_signed_with_a_small_payload_linking_the_documents(
    shop, receiver
):
    shop.endpoint(receiver.url)
    invoice = shop.issued_invoice()

    shop.run_worker()

    [got] = receiver.verified()
    event = got["event"]
    assert got["id"].startswith("msg_")
    assert event["type"] == "invoice.issued"
    assert event["data"]["number"] == invoice["number"]
    assert event["data"]["gross_total"] == invoice["gross_total"]
    base = f"https://fieldline.example/api/invoices/{invoice['id']}"
    assert event["data"]["links"] == {
        "json": base,
        "pdf": f"{base}.pdf",
        "cii": f"{base}.xml?flavor=cii",
        "ubl": f"{base}.xml?flavor=ubl",
    }
    assert len(receiver.requests[0]["body"]) < 2000
    assert receiver.requests[0]["headers"]["Content-Type"] == "application/json"
    [delivery] = deliveries(shop)
    assert delivery["status"] == "delivered" and delivery["last_status_code"] == 200


def test_failed_deliveries_are_retried_with_the_same_webhook_id_until_delivered(shop, receiver):
    shop.endpoint(receiver.url)
    receiver.fail_next(500, 503, 429)
    shop.issued_invoice()

    shop.run_worker()
    [delivery] = deliveries(shop)
    assert delivery["status"] == "failed" and delivery["last_status_code"] == 500
    first_retry = delivery["next_attempt_at"]
    assert first_retry is not None
    for day in (1, 2, 3):
        shop.run_worker(days_ahead=day)

    got = receiver.verified()
    assert len(got) == 4 and len({g["id"] for g in got}) == 1
    [delivery] = deliveries(shop)
    assert delivery["status"] == "delivered" and delivery["attempts"] == 4


def test_retry_after_is_honoured_as_a_lower_bound(shop, receiver):
    shop.endpoint(receiver.url)
    receiver.fail_next(503, headers={"Retry-After": "3600"})
    shop.issued_invoice()

    before = utcnow()
    shop.run_worker()

    with shop.app.app_context():
        row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.channel == "webhook"))
        assert row.next_attempt_at >= before + timedelta(seconds=3600)
    shop.run_worker(days_ahead=0.01)  # 15 minutes later: not due yet
    assert len(receiver.requests) == 1


def test_a_delivery_is_dead_lettered_after_the_tenth_attempt(shop, receiver):
    shop.endpoint(receiver.url)
    receiver.fail_next(*([500] * 12))
    shop.issued_invoice()

    for day in range(12):
        shop.run_worker(days_ahead=2 * day)

    assert len(receiver.requests) == 10
    [delivery] = deliveries(shop, status="dead")
    assert delivery["attempts"] == 10 and "HTTP 500" in delivery["last_error"]


def test_a_failed_delivery_shows_when_the_worker_will_really_try_again(shop, receiver):
    """The retry schedule is decided once (billing.retry_schedule, Retry-After
    included): the delivery the API shows and the outbox row agree on the moment."""
    shop.endpoint(receiver.url)
    receiver.fail_next(500)
    receiver.fail_next(503, headers={"Retry-After": "600"})
    shop.issued_invoice()

    for days in (0, 10 / 86400):  # the first retry is due 5 s (±10 %) after the failure
        shop.run_worker(days_ahead=days)
        [delivery] = deliveries(shop)
        with shop.app.app_context():
            row = db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.channel == "webhook")
            ).one()
            assert delivery["status"] == "failed" and row.status == "pending"
            assert delivery["next_attempt_at"] == row.next_attempt_at.isoformat()
    assert len(receiver.requests) == 2 and delivery["last_status_code"] == 503


def test_a_dead_delivery_is_sent_again_by_the_outbox_retry_command(shop, receiver, runner):
    shop.endpoint(receiver.url)
    receiver.fail_next(*([500] * 10))
    shop.issued_invoice()
    for day in range(11):
        shop.run_worker(days_ahead=2 * day)
    [dead] = deliveries(shop, status="dead")

    result = runner.invoke(args=["outbox", "retry", "--channel", "webhook"])

    assert result.exit_code == 0 and "1 dead row(s) queued again" in result.output
    assert deliveries(shop)[0]["status"] == "pending"
    shop.run_worker()
    [delivery] = deliveries(shop)
    assert delivery["status"] == "delivered" and delivery["attempts"] == 11
    got = receiver.verified()
    assert len(got) == 11 and {g["id"] for g in got} == {dead["webhook_id"]}


def test_410_gone_disables_the_endpoint_and_replay_after_enabling_delivers_the_same_id(
    shop, receiver
):
    endpoint = shop.endpoint(receiver.url)
    receiver.fail_next(410)
    shop.issued_invoice()
    shop.run_worker()

    [listed] = shop.client.get("/api/erp/endpoints", headers=shop.headers(shop.admin)).get_json()
    assert listed["enabled"] is False and "410" in listed["disabled_reason"]
    assert listed["secret"] is None
    [delivery] = deliveries(shop)
    assert delivery["status"] == "dead"
    shop.issued_invoice()  # nothing is queued for a disabled endpoint
    assert len(deliveries(shop)) == 1

    url = f"/api/erp/deliveries/{delivery['id']}/replay"
    refused = shop.client.post(url, headers=shop.headers(shop.staff))
    assert refused.status_code == 409 and refused.get_json()["code"] == "endpoint_disabled"
    enabled = shop.client.patch(
        f"/api/erp/endpoints/{endpoint['id']}",
        json={"enabled": True},
        headers=shop.headers(shop.admin),
    )
    assert enabled.status_code == 200
    replayed = shop.client.post(url, headers=shop.headers(shop.staff))
    assert replayed.status_code == 200 and replayed.get_json()["status"] == "pending"
    shop.run_worker()

    got = receiver.verified()
    assert [g["id"] for g in got] == [delivery["webhook_id"]] * 2
    assert deliveries(shop)[0]["status"] == "delivered"


def test_a_delivery_being_retried_cannot_be_replayed_and_contractors_cannot_list(shop, receiver):
    shop.endpoint(receiver.url)
    receiver.fail_next(500)
    shop.issued_invoice()
    shop.run_worker()
    [delivery] = deliveries(shop)

    url = f"/api/erp/deliveries/{delivery['id']}/replay"
    response = shop.client.post(url, headers=shop.headers(shop.staff))
    assert response.status_code == 409 and response.get_json()["code"] == "delivery_in_progress"
    listing = shop.client.get("/api/erp/deliveries", headers=shop.headers(shop.contractor))
    assert listing.status_code == 403


def test_endpoints_only_receive_the_event_types_they_chose(shop, receiver):
    shop.endpoint(receiver.url, event_types=["invoice.paid"])
    shop.issued_invoice()
    shop.run_worker()
    assert receiver.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/hook",
        "http://10.0.0.5/hook",
        "http://0.0.0.0/hook",
        "ftp://erp.example/hook",
        "http://user:pass@127.0.0.1/hook",
    ],
)
def test_endpoint_urls_that_reach_inside_are_refused(shop, url):
    response = shop.client.post(
        "/api/erp/endpoints", json={"url": url}, headers=shop.headers(shop.admin)
    )
    assert response.status_code == 422


def test_loopback_and_private_urls_need_their_settings(shop):
    shop.app.config["ALLOW_LOOPBACK_WEBHOOK_URLS"] = False
    headers = shop.headers(shop.admin)
    loopback = shop.client.post(
        "/api/erp/endpoints", json={"url": "http://localhost:9/hook"}, headers=headers
    )
    assert loopback.status_code == 422 and loopback.get_json()["code"] == "url_refused"
    shop.app.config["ALLOW_PRIVATE_WEBHOOK_URLS"] = True
    private = shop.client.post(
        "/api/erp/endpoints", json={"url": "http://10.0.0.5/hook"}, headers=headers
    )
    assert private.status_code == 201
    assert private.get_json()["secret"].startswith("whsec_")


def test_only_admins_manage_endpoints_and_secrets_must_be_whsec(shop):
    url = "http://127.0.0.1:9/hook"
    staff = shop.client.post(
        "/api/erp/endpoints", json={"url": url}, headers=shop.headers(shop.staff)
    )
    assert staff.status_code == 403
    bad = shop.client.post(
        "/api/erp/endpoints",
        json={"url": url, "secret": "not-a-secret"},
        headers=shop.headers(shop.admin),
    )
    assert bad.status_code == 422 and "secret" in bad.get_json()["errors"]


def test_two_workers_never_deliver_the_same_attempt_twice(shop, receiver):
    shop.endpoint(receiver.url)
    for _ in range(12):
        shop.issued_invoice(minutes=15)

    barrier = threading.Barrier(3)

    def work():
        barrier.wait()
        run_once(shop.app)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    counts = Counter(r["headers"]["webhook-id"] for r in receiver.requests)
    assert len(counts) == 12 and set(counts.values()) == {1}
    with shop.app.app_context():
        states = db.session.scalars(select(WebhookDelivery.status)).all()
    assert states == ["delivered"] * 12

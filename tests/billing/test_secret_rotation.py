"""Rotating an endpoint's signing secret: the new secret is shown once, and during the
overlap window every delivery carries a signature for each secret, so a receiver on
either secret accepts it; afterwards (or with no overlap) only the new one signs."""

from datetime import timedelta

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from billing import webhook_endpoints, webhook_events
from billing.models import WebhookEndpoint
from server.errors import Invalid
from server.extensions import db
from tests.billing.conftest import ENDPOINT_SECRET
from tests.factories import as_caller


def _rotate(shop, endpoint_id, hours):
    with shop.app.app_context():
        endpoint = webhook_endpoints.rotate_secret(as_caller(shop.admin), endpoint_id, hours)
        secret = endpoint.secret
        db.session.commit()
        return secret


def _test_event(shop, endpoint_id):
    with shop.app.app_context():
        webhook_events.send_test_event(as_caller(shop.admin), endpoint_id)
        db.session.commit()


def _accepts(secret, request) -> bool:
    try:
        Webhook(secret).verify(request["body"], request["headers"])
    except WebhookVerificationError:
        return False
    return True


def test_during_the_overlap_both_secrets_verify_a_delivery(shop, receiver):
    endpoint = shop.endpoint(receiver.url)
    new_secret = _rotate(shop, endpoint["id"], 24)
    assert new_secret != ENDPOINT_SECRET and new_secret.startswith("whsec_")
    _test_event(shop, endpoint["id"])
    shop.run_worker()
    (request,) = receiver.requests
    assert _accepts(ENDPOINT_SECRET, request) and _accepts(new_secret, request)
    assert b'"type":"webhook.test"' in request["body"]


def test_after_the_overlap_only_the_new_secret_signs(shop, receiver):
    endpoint = shop.endpoint(receiver.url)
    new_secret = _rotate(shop, endpoint["id"], 1)
    with shop.app.app_context():
        row = db.session.get(WebhookEndpoint, endpoint["id"])
        row.previous_secret_expires_at -= timedelta(hours=2)
        db.session.commit()
    _test_event(shop, endpoint["id"])
    shop.run_worker()
    (request,) = receiver.requests
    assert _accepts(new_secret, request) and not _accepts(ENDPOINT_SECRET, request)


def test_a_rotation_without_overlap_drops_the_old_secret_at_once(shop, receiver):
    endpoint = shop.endpoint(receiver.url)
    _rotate(shop, endpoint["id"], 24)
    newest = _rotate(shop, endpoint["id"], 0)
    _test_event(shop, endpoint["id"])
    shop.run_worker()
    (request,) = receiver.requests
    assert _accepts(newest, request) and len(request["headers"]["webhook-signature"].split()) == 1


@pytest.mark.parametrize("hours", [-1, 169, 10**9])
def test_an_overlap_outside_the_bounds_is_refused(shop, receiver, hours):
    endpoint = shop.endpoint(receiver.url)
    with shop.app.app_context(), pytest.raises(Invalid) as refused:
        webhook_endpoints.rotate_secret(as_caller(shop.admin), endpoint["id"], hours)
    assert refused.value.errors == {"overlap_hours": ["from 0 to 168 hours"]}


def test_replaying_every_failed_delivery_of_an_endpoint(shop, receiver):
    endpoint = shop.endpoint(receiver.url)
    receiver.fail_next(*([500] * 20))
    _test_event(shop, endpoint["id"])
    _test_event(shop, endpoint["id"])
    for day in range(12):  # the whole retry schedule: both dead-lettered
        shop.run_worker(days_ahead=day)
    with shop.app.app_context():
        assert webhook_events.replay_failed(as_caller(shop.staff), endpoint["id"]) == 2
        db.session.commit()
    shop.run_worker(days_ahead=12)
    with shop.app.app_context():
        statuses = [d.status for d in webhook_events.list_deliveries({"limit": 10})]
    assert statuses == ["delivered", "delivered"]

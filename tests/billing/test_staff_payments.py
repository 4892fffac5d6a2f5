"""Payments recorded by staff: POST /api/invoices/{id}/payments, the ERP's rules and
events through the same function, idempotent on an Idempotency-Key header."""

import threading

from sqlalchemy import func, select

from billing import invoice_payments
from billing.models import Payment
from server.extensions import db
from server.models import IdempotencyKey
from tests.billing.test_closing_rule import staff_payment


def payment_count(shop) -> int:
    with shop.app.app_context():
        return db.session.scalar(select(func.count()).select_from(Payment))


def test_staff_record_partial_payments_that_add_up_to_paid(shop, receiver):
    shop.endpoint(receiver.url, event_types=["invoice.paid"])
    invoice = shop.issued_invoice(60)  # 117.00

    first = staff_payment(shop, invoice["id"], "17.00", method="cash", reference="Till 3")
    second = staff_payment(shop, invoice["id"], "100.00", method="card")

    assert first.status_code == 201
    body = first.get_json()
    assert body["amount"] == "17.00" and body["method"] == "cash" and body["source"] == "staff"
    assert body["recorded_by_id"] == shop.staff.id and body["reference"] == "Till 3"
    assert body["invoice"] == {
        "id": invoice["id"],
        "number": invoice["number"],
        "status": "partially_paid",
        "gross_total": "117.00",
        "amount_paid": "17.00",
        "amount_credited": "0.00",
        "outstanding": "100.00",
    }
    assert second.get_json()["invoice"]["status"] == "paid"
    assert shop.invoice(invoice["id"])["outstanding"] == "0.00"
    listed = shop.client.get(
        f"/api/invoices/{invoice['id']}/payments", headers=shop.headers(shop.staff)
    ).get_json()
    assert [(p["amount"], p["method"]) for p in listed] == [("17.00", "cash"), ("100.00", "card")]
    events = shop.ticket_json(invoice["ticket_id"])["events"]
    received = [e for e in events if e["kind"] == "payment_received"]
    assert [e["data"]["method"] for e in received] == ["cash", "card"]
    assert received[0]["author_id"] == shop.staff.id and received[0]["visibility"] == "staff"
    shop.run_worker()
    [paid] = receiver.verified()
    assert paid["event"]["type"] == "invoice.paid"
    assert paid["event"]["data"]["number"] == invoice["number"]


def test_staff_and_erp_payments_share_the_outstanding_amount(shop):
    invoice = shop.issued_invoice(60)
    assert shop.pay(invoice["number"], "100.00").status_code == 200

    refused = staff_payment(shop, invoice["id"], "17.01")
    settled = staff_payment(shop, invoice["id"], "17.00")

    assert (refused.status_code, refused.get_json()["code"]) == (422, "overpayment")
    assert settled.get_json()["invoice"]["status"] == "paid"
    late_erp = shop.pay(invoice["number"], "0.01")
    assert late_erp.get_json()["code"] == "overpayment"


def test_refused_payments_store_nothing(shop):
    invoice = shop.issued_invoice(60)
    ticket_id = shop.ticket()
    shop.log_time(ticket_id, 30)
    draft = shop.draft(ticket_id)
    cases = [
        (invoice["id"], {"currency": "EUR"}, 422, "currency_mismatch"),
        (invoice["id"], {"amount": "0.00"}, 422, "validation_failed"),
        (invoice["id"], {"amount": "-5.00"}, 422, "validation_failed"),
        (invoice["id"], {"amount": "1.001"}, 422, "validation_failed"),
        (invoice["id"], {"amount": 5}, 422, "validation_failed"),
        (invoice["id"], {"method": "bitcoin"}, 422, "validation_failed"),
        (invoice["id"], {"paid_at": "2026-04-01T10:00:00"}, 422, "validation_failed"),
        (invoice["id"], {"paid_at": "2099-01-01T10:00:00+00:00"}, 422, "validation_failed"),
        (draft["id"], {}, 422, "invoice_not_payable"),
        (999999, {}, 404, "invoice_not_found"),
    ]
    for invoice_id, fields, status, code in cases:
        response = staff_payment(shop, invoice_id, fields.pop("amount", "10.00"), **fields)
        assert (response.status_code, response.get_json()["code"]) == (status, code), fields
    assert payment_count(shop) == 0


def test_only_staff_in_scope_record_payments(shop):
    invoice = shop.issued_invoice(60)
    for user, status in ((shop.tenant, 403), (shop.contractor, 403), (shop.outsider_staff, 404)):
        assert staff_payment(shop, invoice["id"], "10.00", user=user).status_code == status
    assert staff_payment(shop, invoice["id"], "10.00", user=shop.admin).status_code == 201
    assert payment_count(shop) == 1


def test_a_credit_note_and_a_credited_invoice_take_no_payments(shop):
    invoice = shop.issued_invoice(60)
    note = shop.client.post(
        f"/api/invoices/{invoice['id']}/credit-notes",
        json={"reason": "Duplicate"},
        headers=shop.headers(shop.staff),
    ).get_json()
    for target in (invoice["id"], note["id"]):
        response = staff_payment(shop, target, "10.00")
        assert response.get_json()["code"] == "invoice_not_payable"


def test_the_same_idempotency_key_and_body_answer_the_first_result_again(shop):
    invoice = shop.issued_invoice(60)
    key = '"8e03978e-40d5-43e8-bc93-6894a57f9324"'

    first = staff_payment(shop, invoice["id"], "50.00", key=key)
    again = staff_payment(shop, invoice["id"], "50.00", key=key)

    assert first.status_code == again.status_code == 201
    assert again.get_data() == first.get_data()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert payment_count(shop) == 1
    assert shop.invoice(invoice["id"])["amount_paid"] == "50.00"


def test_the_same_key_with_another_body_is_refused(shop):
    invoice = shop.issued_invoice(60)
    staff_payment(shop, invoice["id"], "50.00", key="click-1")

    other = staff_payment(shop, invoice["id"], "60.00", key="click-1")
    elsewhere = staff_payment(shop, shop.issued_invoice(30)["id"], "50.00", key="click-1")

    for response in (other, elsewhere):
        assert response.status_code == 422
        assert response.get_json()["code"] == "idempotency_key_reused"
    assert payment_count(shop) == 1


def test_keys_are_scoped_per_user(shop):
    invoice = shop.issued_invoice(60)
    mine = staff_payment(shop, invoice["id"], "10.00", key="k-1")
    theirs = staff_payment(shop, invoice["id"], "10.00", key="k-1", user=shop.admin)
    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert payment_count(shop) == 2


def test_a_refused_request_keeps_no_key_so_a_corrected_retry_applies(shop):
    invoice = shop.issued_invoice(60)
    refused = staff_payment(shop, invoice["id"], "500.00", key="k-2")
    assert refused.get_json()["code"] == "overpayment"
    with shop.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0
    assert staff_payment(shop, invoice["id"], "117.00", key="k-3").status_code == 201


def test_a_malformed_key_is_a_bad_request(shop):
    invoice = shop.issued_invoice(60)
    for key in ("", '""', "two words", "x" * 256, '"caf\u00e9"'):
        response = staff_payment(shop, invoice["id"], "10.00", key=key.encode("utf-8").decode())
        assert response.status_code == 400, key
        assert response.get_json()["code"] == "idempotency_key_invalid"
    assert payment_count(shop) == 0


def test_old_keys_are_forgotten_by_the_worker(shop):
    invoice = shop.issued_invoice(60)
    staff_payment(shop, invoice["id"], "10.00", key="old")
    assert shop.run_worker().jobs["idempotency_keys"] == {"forgotten": 0}
    assert shop.run_worker(days_ahead=4).jobs["idempotency_keys"] == {"forgotten": 1}


def test_a_double_click_sent_twice_at_once_records_one_payment(shop, monkeypatch):
    """Two requests with one key at the same moment (threads, own sessions): the second
    waits on the key's unique index until the first commits, then answers its result."""
    invoice = shop.issued_invoice(60)
    record = invoice_payments.record_staff_payment
    entered = threading.Barrier(2, timeout=10)

    def slow_record(*args, **kwargs):
        payment = record(*args, **kwargs)
        threading.Event().wait(0.3)  # hold the claimed key while the twin arrives
        return payment

    monkeypatch.setattr(invoice_payments, "record_staff_payment", slow_record)
    headers = dict(shop.headers(shop.staff), **{"Idempotency-Key": "double-click"})
    body = {"amount": "25.00", "currency": "GBP", "method": "card",
            "paid_at": "2026-04-01T10:00:00+00:00"}  # fmt: skip
    results = []

    def click():
        client = shop.app.test_client()
        entered.wait()
        response = client.post(f"/api/invoices/{invoice['id']}/payments", json=body,
                               headers=headers)  # fmt: skip
        results.append((response.status_code, response.get_data()))

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert [status for status, _ in results] == [201, 201]
    assert results[0][1] == results[1][1]
    assert payment_count(shop) == 1
    assert shop.invoice(invoice["id"])["amount_paid"] == "25.00"

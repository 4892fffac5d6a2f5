"""Work after unassignment: a device's offline work from before the assignment ended
counts as usual; what a contractor no longer on the ticket pushes for later is kept
but held (not billed, no status move, a conflict staff and the device see) until staff
approve it (it counts as if it had arrived in time) or reject it (never billed)."""

import time
from types import SimpleNamespace

import pytest

from tests.billing.test_billing_bounds import push

STAFF_ONLY = "staff"


def now_ms() -> int:
    return int(time.time() * 1000)


def work(ticket_id, at_ms: int, tag: str = "late") -> dict:
    """What a device pushes after a visit: hours, a material, a public reply, a note."""

    def record(**fields):
        return {"ticket_id": str(ticket_id), "created_at": at_ms, "_status": "created", **fields}

    return {
        "time_entries": {"created": [record(
            id=f"te-{tag}-{ticket_id}", minutes=120, started_at=at_ms - 7_200_000,
            ended_at=at_ms, chargeable=True, note="Replaced the pump")]},
        "materials": {"created": [record(
            id=f"mat-{tag}-{ticket_id}", description="Pump", quantity="1", unit="pc",
            unit_price="240.00", chargeable=True)]},
        "ticket_messages": {"created": [record(
            id=f"msg-{tag}-{ticket_id}", body="All done, invoice to follow.",
            visibility="public")]},
        "delivery_notes": {"created": [record(
            id=f"note-{tag}-{ticket_id}", signed_by="Zoë Łukasiewicz", signed_at=at_ms,
            signature_attachment_id=f"sig-{tag}-{ticket_id}", work_summary="Pump replaced.")]},
    }  # fmt: skip


KINDS = ("time_entries", "materials", "ticket_messages", "delivery_notes")


class Scene:
    def __init__(self, shop, billing="chargeable"):
        self.shop = shop
        self.ticket_id = shop.ticket(billing=billing)
        self.device = shop.make.headers(shop.contractor, device_id="handheld-1")
        self.staff = shop.headers(shop.staff)
        pulled = shop.client.get(
            "/api/sync/pull", query_string={"last_pulled_at": ""}, headers=self.device
        )
        assert pulled.status_code == 200
        time.sleep(0.01)
        self.while_assigned = now_ms()  # the device's clock, during the assignment
        time.sleep(0.01)
        response = shop.client.post(
            f"/api/tickets/{self.ticket_id}/status", json={"status": "on_hold"}, headers=self.staff
        )
        assert response.status_code == 200, response.get_json()
        shop.make.end_assignment(SimpleNamespace(id=self.ticket_id), shop.contractor, shop.staff)
        time.sleep(0.01)

    def detail(self, user=None) -> dict:
        headers = self.staff if user is None else self.shop.headers(user)
        response = self.shop.client.get(f"/api/tickets/{self.ticket_id}", headers=headers)
        assert response.status_code == 200
        return response.get_json()

    def events(self, kind, user=None) -> list[dict]:
        return [e for e in self.detail(user)["events"] if e["kind"] == kind]

    def invoices(self) -> list[dict]:
        return self.shop.client.get(
            f"/api/invoices?ticket_id={self.ticket_id}", headers=self.staff
        ).get_json()

    def held(self) -> list[dict]:
        response = self.shop.client.get(
            f"/api/tickets/{self.ticket_id}/held-work", headers=self.staff
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def decide(self, kind, record_id, verdict, headers=None):
        return self.shop.client.post(
            f"/api/tickets/{self.ticket_id}/held-work/{kind}/{record_id}/{verdict}",
            headers=headers or self.staff,
        )

    def pending(self) -> int:
        devices = self.shop.client.get("/api/sync/devices", headers=self.staff).get_json()
        return next(d for d in devices if d["device_id"] == "handheld-1")["pending_conflicts"]


@pytest.fixture
def scene(shop) -> Scene:
    return Scene(shop)


def test_work_pushed_after_the_assignment_ended_is_kept_but_held(shop, scene):
    response = push(shop, scene.device, work(scene.ticket_id, now_ms()))

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["conflicts"] == 4
    assert scene.pending() == 4
    held = scene.held()
    assert sorted((h["kind"], h["status"]) for h in held) == sorted(
        (kind, "held") for kind in KINDS
    )
    # Kept: every record is on the server, in the history.
    assert scene.events("time_logged") and scene.events("material_used")
    assert scene.events("delivery_note_signed")
    conflicts = scene.events("sync_conflict")
    assert sorted(c["data"]["table"] for c in conflicts) == sorted(KINDS)
    assert {c["data"]["code"] for c in conflicts} == {"held_for_review"}
    assert {c["visibility"] for c in conflicts} == {STAFF_ONLY}
    # Held: nothing billed, the status did not move, the tenant does not see the reply.
    assert scene.invoices() == []
    assert scene.events("invoice_drafted") == []
    assert scene.detail()["status"] == "on_hold"
    [message] = scene.events("message")
    assert message["visibility"] == STAFF_ONLY and message["data"]["held"] is True
    assert scene.events("message", shop.tenant) == []
    # Staff drafting by hand does not bill held work either.
    drafted = shop.client.post(
        "/api/invoices", json={"ticket_id": scene.ticket_id}, headers=scene.staff
    )
    assert drafted.status_code == 409
    assert drafted.get_json()["code"] == "nothing_to_invoice"


def test_rest_and_sync_agree_on_who_is_on_the_ticket(shop, scene):
    rest = shop.client.post(
        f"/api/tickets/{scene.ticket_id}/messages",
        json={"body": "Still here", "visibility": "public"},
        headers=shop.headers(shop.contractor),
    )
    assert rest.status_code == 403

    synced = push(shop, scene.device, {"ticket_messages": work(scene.ticket_id, now_ms())[
        "ticket_messages"]})  # fmt: skip

    assert synced.status_code == 200
    assert [(h["kind"], h["status"]) for h in scene.held()] == [("ticket_messages", "held")]
    assert scene.detail()["status"] == "on_hold"


def test_offline_work_done_before_the_assignment_ended_counts_as_usual(shop, scene):
    response = push(shop, scene.device, work(scene.ticket_id, scene.while_assigned, "early"))

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["conflicts"] == 0
    assert scene.pending() == 0
    assert scene.held() == []
    [invoice] = scene.invoices()
    assert {line["kind"] for line in invoice["lines"]} == {"labour", "material", "callout"}
    [message] = scene.events("message", shop.tenant)
    assert message["data"]["body"] == "All done, invoice to follow."
    # the signed note resolves it (waiting for payment); the reply came first
    assert scene.detail()["status"] == "resolved"


def test_a_device_time_before_the_assignment_began_is_held_too(shop, scene):
    before = scene.while_assigned - 86_400_000  # a day before: not work on this ticket
    response = push(shop, scene.device, work(scene.ticket_id, before, "backdated"))

    assert response.get_json()["conflicts"] == 4
    assert scene.invoices() == []


def test_approved_held_work_counts_as_if_it_had_arrived_in_time(shop, scene):
    push(shop, scene.device, work(scene.ticket_id, now_ms()))
    ids = {h["kind"]: h["record_id"] for h in scene.held()}

    for kind in ("time_entries", "materials", "ticket_messages"):
        decided = scene.decide(kind, ids[kind], "approve")
        assert decided.status_code == 200, decided.get_json()
        assert decided.get_json()["status"] == "approved"
    assert scene.invoices() == []  # hours alone draft nothing: the note does
    [message] = [m for m in scene.events("message", shop.tenant)]
    assert message["data"]["approved"] is True
    assert scene.detail()["status"] == "open"  # the reply's status move, on approval

    assert scene.decide("delivery_notes", ids["delivery_notes"], "approve").status_code == 200

    [invoice] = scene.invoices()
    assert {line["kind"] for line in invoice["lines"]} == {"labour", "material", "callout"}
    assert scene.pending() == 0
    kinds = [e["kind"] for e in scene.detail()["events"]]
    assert kinds.count("held_work_approved") == 4
    verify = shop.client.get(f"/api/tickets/{scene.ticket_id}/verify", headers=scene.staff)
    assert verify.get_json()["intact"] is True


def test_rejected_held_work_stays_in_the_history_and_is_never_billed(shop, scene):
    push(shop, scene.device, work(scene.ticket_id, now_ms()))
    ids = {h["kind"]: h["record_id"] for h in scene.held()}

    for kind in ("time_entries", "materials", "ticket_messages"):
        assert scene.decide(kind, ids[kind], "reject").status_code == 200
    assert scene.decide("delivery_notes", ids["delivery_notes"], "approve").status_code == 200

    assert scene.invoices() == []  # the note came, its work was rejected
    [refused] = scene.events("invoice_not_drafted")
    assert refused["data"]["code"] == "nothing_to_invoice"
    assert scene.events("message", shop.tenant) == []
    assert scene.detail()["status"] == "resolved"  # the approved note is the sign-off
    assert scene.events("time_logged")  # still in the history
    statuses = {h["kind"]: h["status"] for h in scene.held()}
    assert statuses == {
        "time_entries": "rejected",
        "materials": "rejected",
        "ticket_messages": "rejected",
        "delivery_notes": "approved",
    }
    again = scene.decide("time_entries", ids["time_entries"], "approve")
    assert again.status_code == 409 and again.get_json()["code"] == "held_work_decided"
    drafted = shop.client.post(
        "/api/invoices", json={"ticket_id": scene.ticket_id}, headers=scene.staff
    )
    assert drafted.status_code == 409


def test_a_held_note_on_an_included_ticket_resolves_it_only_once_approved(shop):
    scene = Scene(shop, billing="included")
    note = {"delivery_notes": work(scene.ticket_id, now_ms())["delivery_notes"]}
    assert push(shop, scene.device, note).get_json()["conflicts"] == 1
    assert scene.detail()["status"] == "on_hold"

    [held] = scene.held()
    assert scene.decide("delivery_notes", held["record_id"], "approve").status_code == 200

    assert scene.detail()["status"] in ("resolved", "closed")


def test_only_staff_who_see_the_ticket_review_held_work(shop, scene):
    push(shop, scene.device, work(scene.ticket_id, now_ms()))
    record_id = next(h["record_id"] for h in scene.held() if h["kind"] == "time_entries")
    url = f"/api/tickets/{scene.ticket_id}/held-work"

    contractor = shop.headers(shop.contractor)
    assert shop.client.get(url, headers=contractor).status_code == 403
    assert scene.decide("time_entries", record_id, "approve", contractor).status_code == 403
    outsider = shop.headers(shop.outsider_staff)
    assert shop.client.get(url, headers=outsider).status_code == 404
    assert scene.decide("time_entries", record_id, "approve", outsider).status_code == 404
    unknown = scene.decide("invoices", record_id, "approve")
    assert unknown.status_code == 404 and unknown.get_json()["code"] == "held_work_not_found"
    assert {h["status"] for h in scene.held()} == {"held"}


def test_a_held_reply_reaches_other_devices_only_once_approved(shop, scene):
    colleague = shop.make.user("contractor", name="Cora Colleague")
    shop.make.assign(SimpleNamespace(id=scene.ticket_id), colleague, shop.staff)
    other = shop.make.headers(colleague, device_id="colleague-phone")

    def pull(last):
        query = {"last_pulled_at": "" if last is None else str(last)}
        body = shop.client.get("/api/sync/pull", query_string=query, headers=other).get_json()
        return body["changes"]["ticket_messages"], body["timestamp"]

    _, last = pull(None)
    late = work(scene.ticket_id, now_ms())
    push(shop, scene.device, {"ticket_messages": late["ticket_messages"]})

    messages, after_push = pull(last)
    assert messages["created"] == messages["updated"] == []
    fresh, _ = pull(None)
    assert fresh["created"] == []

    [held] = scene.held()
    assert scene.decide("ticket_messages", held["record_id"], "approve").status_code == 200

    messages, _ = pull(after_push)
    assert [m["id"] for m in messages["created"]] == [held["record_id"]]
    assert messages["updated"] == []


def test_a_held_replys_files_stay_hidden_from_the_tenant_until_approved(shop, scene):
    late = work(scene.ticket_id, now_ms())
    [reply] = late["ticket_messages"]["created"]
    photo = {"id": "photo-late", "ticket_id": str(scene.ticket_id), "message_id": reply["id"],
             "filename": "after.jpg", "content_type": "image/jpeg", "sha256": "b" * 64,
             "size": 10, "created_at": now_ms()}  # fmt: skip
    push(shop, scene.device, {"ticket_messages": late["ticket_messages"],
                              "attachments": {"created": [photo]}})  # fmt: skip
    url = f"/api/tickets/{scene.ticket_id}/attachments"
    tenant = shop.headers(shop.tenant)

    def listed(headers):
        return [a["id"] for a in shop.client.get(url, headers=headers).get_json()]

    assert listed(tenant) == []
    assert shop.client.get(f"{url}/photo-late", headers=tenant).status_code == 404
    assert listed(scene.staff) == ["photo-late"]
    # Its event is as hidden as the held reply: no file name on the tenant's timeline.
    assert scene.events("attachment_added", shop.tenant) == []
    [added] = scene.events("attachment_added")
    assert added["visibility"] == "staff"

    assert scene.decide("ticket_messages", reply["id"], "approve").status_code == 200

    assert listed(tenant) == ["photo-late"]


def test_a_day_of_hours_pushed_after_the_end_is_held_in_bulk_too(shop, scene):
    from server.services.work import BULK_FROM

    at = now_ms()
    hours = [{"id": f"te-bulk-{n}", "ticket_id": str(scene.ticket_id), "created_at": at,
              "minutes": 5, "chargeable": True} for n in range(BULK_FROM + 5)]  # fmt: skip

    response = push(shop, scene.device, {"time_entries": {"created": hours}})

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["conflicts"] == BULK_FROM + 5
    assert scene.pending() == BULK_FROM + 5
    assert {h["status"] for h in scene.held()} == {"held"}
    drafted = shop.client.post(
        "/api/invoices", json={"ticket_id": scene.ticket_id}, headers=scene.staff
    )
    assert drafted.status_code == 409
    verify = shop.client.get(f"/api/tickets/{scene.ticket_id}/verify", headers=scene.staff)
    assert verify.get_json()["intact"] is True


def test_its_author_keeps_a_held_reply_on_their_devices_when_assigned_again(shop, scene):
    late = work(scene.ticket_id, now_ms())
    push(shop, scene.device, {"ticket_messages": late["ticket_messages"]})
    shop.make.assign(SimpleNamespace(id=scene.ticket_id), shop.contractor, shop.staff)

    fresh = shop.make.headers(shop.contractor, device_id="handheld-2")
    pulled = shop.client.get(
        "/api/sync/pull", query_string={"last_pulled_at": ""}, headers=fresh
    ).get_json()["changes"]["ticket_messages"]["created"]

    assert [m["id"] for m in pulled] == [late["ticket_messages"]["created"][0]["id"]]
    assert [(h["kind"], h["status"]) for h in scene.held()] == [("ticket_messages", "held")]

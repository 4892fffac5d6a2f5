"""`fieldline seed` builds complete data: chains verify and contractors can sync it."""

from sqlalchemy import func, select

from server.extensions import db
from server.models import Message, Ticket, User


def test_seed_command_creates_tickets_that_verify_and_sync(app, runner, client, make):
    result = runner.invoke(args=["seed", "--tickets", "30", "--contractors", "3"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 30
        assert db.session.scalar(select(func.count()).select_from(Message)) == 300
        contractor = db.session.scalar(select(User.email).where(User.role == "contractor"))
        ticket_ids = db.session.scalars(select(Ticket.id)).all()
    admin = make.headers(make.user("admin"))
    for ticket_id in ticket_ids:
        verify = client.get(f"/api/tickets/{ticket_id}/verify", headers=admin).get_json()
        assert verify == {"intact": True, "events": 16}
    token = client.post(
        "/api/auth/token",
        json={"email": contractor, "password": "fieldline-seed", "device_id": "bench"},
    ).get_json()["access_token"]
    pulled = client.get("/api/sync/pull", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert len(pulled["changes"]["tickets"]["created"]) == 10
    assert len(pulled["changes"]["time_entries"]["created"]) == 30


def test_seeded_tickets_are_found_by_search(app, runner, client, make):
    assert runner.invoke(args=["seed", "--tickets", "5", "--contractors", "1"]).exit_code == 0
    with app.app_context():
        ref, summary = db.session.execute(select(Ticket.ref, Ticket.summary).limit(1)).one()
    admin = make.headers(make.user("admin"))
    found = client.get(f"/api/tickets?q={ref}", headers=admin).get_json()["items"]
    assert [t["ref"] for t in found] == [ref]
    word = summary.split()[0]
    assert client.get(f"/api/tickets?q={word}", headers=admin).get_json()["items"]

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

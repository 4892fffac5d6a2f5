"""Migration 0013 rebuilds SQLite's `invoices` and `invoice_lines` (a unique constraint
cannot be dropped in place): down and up again keep every invoice, line and payment,
the immutability triggers, and fill the new columns from what was there."""

from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from server.extensions import db

REVISION = "0013_chain_payments"


def rows(statement: str) -> list:
    return [tuple(row) for row in db.session.execute(text(statement)).all()]


def test_down_and_up_again_keeps_billing_data_and_fills_the_new_columns(shop):
    paid = shop.issued_invoice(60)
    shop.pay(paid["number"], "117.00")
    credited = shop.issued_invoice(30)
    shop.client.post(
        f"/api/invoices/{credited['id']}/credit-notes",
        json={"reason": "Wrong flat"},
        headers=shop.headers(shop.staff),
    )
    snapshot = (
        "SELECT id, number, kind, status, gross_total, amount_paid FROM invoices ORDER BY id",
        "SELECT id, invoice_id, position, quantity, net FROM invoice_lines ORDER BY id",
        "SELECT id, invoice_id, amount FROM payments ORDER BY id",
    )
    with shop.app.app_context():
        directory = shop.app.extensions["migrate"].directory
        before = [rows(statement) for statement in snapshot]
        db.session.remove()
        script = ScriptDirectory.from_config(
            shop.app.extensions["migrate"].migrate.get_config(directory)
        )
        downgrade(directory=directory, revision=script.get_revision(REVISION).down_revision)
        upgrade(directory=directory)
        assert [rows(statement) for statement in snapshot] == before
        db.session.remove()

    assert shop.invoice(credited["id"])["amount_credited"] == credited["gross_total"]
    assert shop.ticket_json(paid["ticket_id"])["paid_in_full"] is True
    with shop.app.app_context():
        try:
            db.session.execute(
                text("UPDATE invoices SET gross_total = 1 WHERE id = :id"), {"id": paid["id"]}
            )
            db.session.flush()
        except Exception as refused:  # the trigger's own error, whatever the driver
            assert "immutable" in str(refused) or "append-only" in str(refused)
        else:
            raise AssertionError("an issued invoice was changed")
        finally:
            db.session.rollback()

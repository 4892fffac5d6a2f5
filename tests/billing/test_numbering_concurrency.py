"""Gapless invoice numbers under concurrency: parallel issuers, some of which roll back,
leave numbers 1..N with no gap and no duplicate (on PostgreSQL and on SQLite)."""

import random
import threading
import time
from datetime import date

from sqlalchemy import select

from billing import service
from billing.models import Invoice
from server.extensions import db
from server.models import Ticket
from tests.factories import as_caller

THREADS = 8
PER_THREAD = 5


def drafts(shop, count: int) -> list[int]:
    ticket_id = shop.ticket()
    ids = []
    for _ in range(count):
        shop.log_time(ticket_id, 30)
        with shop.app.app_context():
            invoice = service.create_draft_invoice(db.session.get(Ticket, ticket_id))
            db.session.commit()
            ids.append(invoice.id)
    return ids


def test_parallel_issuers_with_random_rollbacks_leave_no_gaps_and_no_duplicates(shop):
    # One ticket per issuer: only the series' counter row makes them queue.
    batches = [drafts(shop, PER_THREAD) for _ in range(THREADS)]
    ids = [invoice_id for batch in batches for invoice_id in batch]
    barrier = threading.Barrier(THREADS)
    rolled_back: list[int] = []
    errors: list[BaseException] = []

    def issuer(mine: list[int], seed: int) -> None:
        rng = random.Random(seed)
        try:
            barrier.wait()
            for invoice_id in mine:
                with shop.app.app_context():
                    try:
                        service.issue_invoice(as_caller(shop.staff), invoice_id)
                        db.session.flush()
                        time.sleep(rng.random() / 100)  # hold the number a moment
                        if rng.random() < 0.3:
                            db.session.rollback()
                            rolled_back.append(invoice_id)
                        else:
                            db.session.commit()
                    except BaseException:
                        db.session.rollback()
                        raise
        except BaseException as error:  # surfaced below: a thread cannot fail the test
            errors.append(error)

    threads = [threading.Thread(target=issuer, args=(batch, i)) for i, batch in enumerate(batches)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []

    prefix = f"INV-{date.today().year}-"
    with shop.app.app_context():
        numbers = db.session.scalars(select(Invoice.number).where(Invoice.number.is_not(None)))
        committed = sorted(int(n.removeprefix(prefix)) for n in numbers)
    assert committed == list(range(1, len(ids) - len(rolled_back) + 1))
    assert rolled_back, "the random rollbacks should have happened at least once"

    # The numbers that were given back go to the next issues, still without gaps.
    for invoice_id in rolled_back:
        shop.issue(invoice_id)
    with shop.app.app_context():
        numbers = db.session.scalars(select(Invoice.number).where(Invoice.number.is_not(None)))
        assert sorted(int(n.removeprefix(prefix)) for n in numbers) == list(range(1, len(ids) + 1))

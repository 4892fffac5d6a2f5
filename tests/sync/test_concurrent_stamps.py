"""Stamping the assignment rows of a unit's tickets while an assignment of that unit
ends in another transaction: both commit, neither waits for the other forever (on
PostgreSQL a lock cycle would be a deadlock error after a second; on SQLite the second
writer waits for the first)."""

import threading

from server.auth import Caller
from server.extensions import db
from server.models import User
from server.services import assignments

HOLD_SECONDS = 0.5  # how long the unassigning transaction stays open after its writes


def test_an_assignment_ending_while_another_ticket_of_its_unit_appears_commits_both(world):
    headers = world.headers("carl@x.test")
    last = world.pull(headers).get_json()["timestamp"]
    flushed, failures, reported = threading.Event(), [], []

    def unassign():
        with world.app.app_context():
            try:
                staff = Caller(db.session.get(User, world.staff_id), None)
                assignments.end_assignment(staff, world.ticket_id, world.contractor_id)
                db.session.flush()  # the assignment row is written (locked) from here
                flushed.set()
                threading.Event().wait(HOLD_SECONDS)  # the other writer commits meanwhile
                db.session.commit()
            except Exception as error:  # reported below, with the other thread's
                failures.append(repr(error))
                flushed.set()

    def report_in_the_same_unit():
        flushed.wait(30)
        try:
            # A new ticket of the unit moves the unit's history: its commit stamps the
            # assignment rows of the unit's tickets, the one being ended too.
            reported.append(world.new_ticket(summary="Leak under the sink"))
        except Exception as error:
            failures.append(repr(error))

    threads = [threading.Thread(target=unassign), threading.Thread(target=report_in_the_same_unit)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert failures == []
    assert len(reported) == 1
    changes = world.pull(headers, last).get_json()["changes"]
    assert changes["tickets"]["deleted"] == [str(world.ticket_id)]
    assert changes["tickets"]["created"] == changes["tickets"]["updated"] == []

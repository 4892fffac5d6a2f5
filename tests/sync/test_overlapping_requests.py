"""Two requests of one device overlap — a handheld retrying a slow pull while its
first attempt still runs, or pushing meanwhile. The pull's snapshot must not turn the
other request's write of the device row into a 500 (PostgreSQL: SerializationFailure
under REPEATABLE READ; SQLite: a read transaction that cannot write any more)."""

import pytest
from sqlalchemy import create_engine, text

from sync import pull
from tests.conftest import POSTGRES_URL


# SQLite starts every transaction with BEGIN IMMEDIATE (server/db.py): two requests'
# transactions never overlap there, so the overlap exists on PostgreSQL only.
@pytest.mark.skipif(not POSTGRES_URL, reason="SQLite serialises whole transactions")
def test_a_pull_survives_another_request_writing_its_device_meanwhile(
    app, world, database_url, monkeypatch
):
    headers = world.headers("carl@x.test")
    world.new_ticket(assign_to=world.contractor_id)
    other = create_engine(database_url)
    real_pull = pull.pull

    def pull_while_the_device_row_changes(*args, **kwargs):
        result = real_pull(*args, **kwargs)  # the snapshot is open and has read
        with other.begin() as connection:  # the overlapping request, committed first
            connection.execute(
                text("UPDATE devices SET last_seen_at = CURRENT_TIMESTAMP, app_version = 'x'")
            )
        return result

    monkeypatch.setattr(pull, "pull", pull_while_the_device_row_changes)
    try:
        answer = world.pull(headers)
    finally:
        monkeypatch.undo()  # the next pull is a plain one
        other.dispose()
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["changes"]["tickets"]["created"]
    again = world.pull(headers, answer.get_json()["timestamp"])
    assert again.status_code == 200

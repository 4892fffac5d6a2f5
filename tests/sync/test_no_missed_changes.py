"""A change committed concurrently with a pull is delivered by that pull or the next —
with real concurrent writer processes (on PostgreSQL when TEST_DATABASE_URL is set)."""

import multiprocessing
import time

from tests.sync.concurrency_workers import write_messages


def test_a_puller_looping_during_concurrent_writes_ends_with_exactly_the_servers_state(
    world, database_url, tmp_path
):
    headers = world.headers("carl@x.test")
    context = multiprocessing.get_context("spawn")
    writers = [
        context.Process(
            target=write_messages,
            args=(database_url, str(tmp_path / f"w{i}"), world.staff_id, world.ticket_id, 40, i),
        )
        for i in range(3)
    ]
    for writer in writers:
        writer.start()
    seen, last, deadline = set(), None, time.monotonic() + 120
    while any(w.is_alive() for w in writers) and time.monotonic() < deadline:
        body = world.pull(headers, last).get_json()
        for record in body["changes"]["ticket_messages"]["created"]:
            assert record["id"] not in seen, "a message was delivered twice"
            seen.add(record["id"])
        last = body["timestamp"]
    for writer in writers:
        writer.join(timeout=60)
        assert writer.exitcode == 0
    final = world.pull(headers, last).get_json()
    seen |= {r["id"] for r in final["changes"]["ticket_messages"]["created"]}
    everything = world.pull(headers).get_json()["changes"]["ticket_messages"]["created"]
    assert len(everything) == 120
    assert seen == {r["id"] for r in everything}

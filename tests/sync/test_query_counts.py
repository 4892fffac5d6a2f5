"""A pull or a push runs as many SQL statements for many records as for few: no query
per ticket, message or record (counted with the `queries` fixture). Each counted pull
follows another within 30 s, so neither writes the device's last-seen time."""

from server.services import messages
from tests.sync.test_push import material, message, time_entry


def _tickets_with_replies(world, tickets: int, replies: int) -> None:
    for n in range(tickets):
        ticket_id = world.new_ticket(f"Job {n}", assign_to=world.contractor_id)
        for r in range(replies):
            world.staff_reply(ticket_id, f"Reply {r} on job {n}")


def _pull_count(world, queries, headers) -> int:
    world.pull(headers)  # so the counted pull is throttled like the other
    with queries() as counted:
        response = world.pull(headers)
    assert response.status_code == 200
    return counted.count, response.get_json()["changes"]


def test_a_first_pull_costs_the_same_for_two_tickets_as_for_ten(world, queries):
    headers = world.headers("carl@x.test")
    _tickets_with_replies(world, tickets=1, replies=1)
    few, changes = _pull_count(world, queries, headers)
    assert len(changes["tickets"]["created"]) == 2

    _tickets_with_replies(world, tickets=8, replies=4)
    many, changes = _pull_count(world, queries, headers)
    assert len(changes["tickets"]["created"]) == 10
    assert len(changes["ticket_messages"]["created"]) >= 33
    assert many <= few


def test_an_incremental_pull_costs_the_same_for_one_change_as_for_many(world, queries):
    headers = world.headers("carl@x.test")
    _tickets_with_replies(world, tickets=6, replies=0)
    last = world.pull(headers).get_json()["timestamp"]
    world.staff_reply(world.ticket_id, "One change")
    world.pull(headers)
    with queries() as one:
        assert world.pull(headers, last=last).status_code == 200
    ticket_ids = [t["id"] for t in world.pull(headers).get_json()["changes"]["tickets"]["created"]]
    for ticket_id in ticket_ids:
        world.as_staff(messages.post_message, int(ticket_id), "Many changes", "public")
    with queries() as many:
        response = world.pull(headers, last=last)
    assert len(response.get_json()["changes"]["ticket_messages"]["created"]) == 8
    assert many.count <= one.count


def _push(world, queries, headers, changes: dict) -> int:
    last = world.pull(headers).get_json()["timestamp"]
    with queries() as counted:
        response = world.push(headers, changes, last=last)
    assert response.status_code == 200, response.get_json()
    return counted.count


def _work(world, records: int, prefix: str) -> dict:
    return {
        "time_entries": {
            "created": [time_entry(world, id=f"{prefix}-t-{n}") for n in range(records)]
        },
        "materials": {"created": [material(world, id=f"{prefix}-mat-{n}") for n in range(records)]},
    }


def test_a_push_of_hours_and_materials_costs_the_same_for_two_records_as_for_120(world, queries):
    headers = world.headers("carl@x.test")
    counts = [_push(world, queries, headers, _work(world, n, f"p{n}")) for n in (1, 10, 60)]
    # A push of few records reads whole ticket rows and a big one only the chain heads
    # (sync/push.py), so counts may differ by a statement or two, never by records.
    assert max(counts) - min(counts) <= 2, counts


def test_each_pushed_message_costs_a_fixed_number_of_statements(world, queries):
    """A message is a timeline event and notifies its readers, so each one writes its
    own rows (message, event, ticket head, notification, outbox mail) and reads its
    recipients: linear in messages, never worse (the recipients read is one per
    message, not one per recipient)."""
    headers = world.headers("carl@x.test")

    def messages_push(count: int, prefix: str) -> int:
        created = [message(world, id=f"{prefix}-{n}") for n in range(count)]
        return _push(world, queries, headers, {"ticket_messages": {"created": created}})

    messages_push(1, "first")  # the contractor's first reply also reopens the ticket
    two, three, twenty = messages_push(2, "a"), messages_push(3, "b"), messages_push(20, "c")
    each = three - two
    assert each <= 6
    assert twenty == two + 18 * each

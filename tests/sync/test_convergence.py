"""Property: any interleaving of server changes, assignments and device syncs (with lost
responses and retries) converges — each device ends with exactly the server's view."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.services import assignments, properties, tickets
from server.services.people import create_user
from tests.factories import PASSWORD
from tests.sync.device_sim import SimDevice

OPS = st.lists(
    st.one_of(
        st.tuples(
            st.just("reply"), st.integers(0, 2), st.sampled_from(["public", "team", "staff"])
        ),
        st.tuples(st.just("assign"), st.integers(0, 2), st.integers(0, 1)),
        st.tuples(st.just("unassign"), st.integers(0, 2), st.integers(0, 1)),
        st.tuples(st.just("device_message"), st.integers(0, 1), st.integers(0, 2)),
        st.tuples(st.just("device_hours"), st.integers(0, 1), st.integers(0, 2)),
        st.tuples(st.just("sync"), st.integers(0, 1), st.booleans()),
    ),
    max_size=14,
)
_run = iter(range(10**6))


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_devices_converge_to_the_servers_view(world, ops):
    n = next(_run)
    contractors = []
    with world.app.app_context():
        from server.extensions import db

        for i in range(2):
            contractors.append(
                create_user(
                    None,
                    email=f"c{n}-{i}@conv.test",
                    name=f"C{i}",
                    role="contractor",
                    password=PASSWORD,
                ).id
            )
        db.session.commit()
    ticket_ids = [world.new_ticket(f"job {n}-{i}") for i in range(3)]
    for ticket_id in ticket_ids:
        world.as_staff(tickets.triage, ticket_id, type="repair", priority="normal")
    devices = [
        SimDevice(world, world.headers(f"c{n}-{i}@conv.test", f"dev-{n}-{i}")) for i in range(2)
    ]
    assigned = set()
    for op in ops:
        kind = op[0]
        if kind == "reply":
            world.staff_reply(ticket_ids[op[1]], f"reply {op[2]}", visibility=op[2])
        elif kind == "assign" and (op[1], op[2]) not in assigned:
            world.as_staff(assignments.assign, ticket_ids[op[1]], contractors[op[2]])
            assigned.add((op[1], op[2]))
        elif kind == "unassign" and (op[1], op[2]) in assigned:
            world.as_staff(assignments.end_assignment, ticket_ids[op[1]], contractors[op[2]])
            assigned.discard((op[1], op[2]))
        elif kind in ("device_message", "device_hours"):
            device = devices[op[1]]
            local = device.ticket_ids()
            if local:
                ticket = local[op[2] % len(local)]
                if kind == "device_message":
                    device.create("ticket_messages", ticket, body="offline note", visibility="team")
                else:
                    device.create(
                        "time_entries",
                        ticket,
                        minutes=30,
                        chargeable=True,
                        started_at=None,
                        ended_at=None,
                        note=None,
                    )
        elif kind == "sync":
            devices[op[1]].sync(drop_push_response=op[2])
    for i, device in enumerate(devices):
        device.sync()  # retry whatever was left pending
        device.sync()  # and pick up the server's echo of it
        fresh = SimDevice(world, world.headers(f"c{n}-{i}@conv.test", f"fresh-{n}-{i}"))
        fresh.sync()
        for table in device.rows:
            assert device.rows[table] == fresh.rows[table], table
    _ = properties  # the world fixture built the properties

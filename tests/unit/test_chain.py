"""The per-ticket hash chain: built by appending, checked by recomputing. No app."""

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from server.domain.chain import (
    EventContent,
    StoredEvent,
    canonical_json,
    event_hash,
    first_broken,
    hash_material,
)

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

contents = st.builds(
    dict,
    kind=st.sampled_from(["reported", "message", "status_changed", "assigned", "triaged"]),
    author_id=st.none() | st.integers(1, 10_000),
    author_role=st.sampled_from(["tenant", "contractor", "staff", "admin", "system"]),
    visibility=st.sampled_from(["public", "team", "staff"]),
    data=st.dictionaries(st.text(max_size=8), st.text(max_size=20) | st.integers(), max_size=4),
    seconds=st.integers(0, 10**6),
    device_seconds=st.none() | st.integers(-(10**6), 10**6),
)


def build_chain(items: list[dict], ticket_id: int = 7) -> list[StoredEvent]:
    """Append events the way the timeline service does."""
    chain, previous = [], None
    for position, item in enumerate(items, start=1):
        created = START + timedelta(seconds=item["seconds"])
        device = item["device_seconds"]
        content = EventContent(
            ticket_id=ticket_id,
            position=position,
            kind=item["kind"],
            author_id=item["author_id"],
            author_role=item["author_role"],
            visibility=item["visibility"],
            data=canonical_json(item["data"]),
            created_at=created,
            device_time=None if device is None else created + timedelta(seconds=device),
        )
        digest = event_hash(content, previous)
        chain.append(
            StoredEvent(id=100 + position, content=content, prev_hash=previous, hash=digest)
        )
        previous = digest
    return chain


def changed(field: str, value):
    """A different value of the same kind."""
    if value is None:
        return START if field == "device_time" else 1
    if isinstance(value, datetime):
        return value + timedelta(microseconds=1)
    if isinstance(value, int):
        return value + 1
    return value + "x"


@given(st.lists(contents, max_size=12))
def test_any_sequence_of_appended_events_verifies(items):
    assert first_broken(build_chain(items)) is None


@given(st.lists(contents, min_size=1, max_size=8), st.data())
def test_changing_any_field_of_any_event_is_detected_at_that_event(items, data):
    chain = build_chain(items)
    index = data.draw(st.integers(0, len(chain) - 1))
    field = data.draw(st.sampled_from([f.name for f in dataclasses.fields(EventContent)]))
    event = chain[index]
    tampered_content = dataclasses.replace(
        event.content, **{field: changed(field, getattr(event.content, field))}
    )
    chain[index] = dataclasses.replace(event, content=tampered_content)
    assert first_broken(chain) == event.id


@given(st.lists(contents, min_size=2, max_size=8), st.data())
def test_a_recomputed_hash_is_caught_by_the_next_link(items, data):
    chain = build_chain(items)
    index = data.draw(st.integers(0, len(chain) - 2))
    event = chain[index]
    forged = dataclasses.replace(event.content, data=canonical_json({"forged": True}))
    chain[index] = dataclasses.replace(
        event, content=forged, hash=event_hash(forged, event.prev_hash)
    )
    assert first_broken(chain) == chain[index + 1].id


@given(st.lists(contents, min_size=2, max_size=8), st.data())
def test_a_removed_event_breaks_the_chain_where_it_was(items, data):
    chain = build_chain(items)
    index = data.draw(st.integers(0, len(chain) - 2))
    follower = chain[index + 1]
    del chain[index]
    assert first_broken(chain) == follower.id


def test_swapping_two_events_is_detected():
    chain = build_chain([_item(n) for n in range(3)])
    chain[0], chain[1] = chain[1], chain[0]
    assert first_broken(chain) == chain[0].id


def test_the_same_instant_hashes_the_same_in_any_time_zone():
    """The database returns UTC; a device time given with its own offset must still verify."""
    content = build_chain([_item(1)])[0].content
    paris = timezone(timedelta(hours=2))
    local = dataclasses.replace(content, device_time=START.astimezone(paris))
    utc = dataclasses.replace(content, device_time=START)
    assert event_hash(local, None) == event_hash(utc, None)


def test_canonical_json_is_one_text_per_value():
    assert canonical_json({"b": 1, "a": "é"}) == canonical_json({"a": "é", "b": 1})
    assert canonical_json({"a": "é"}) == '{"a":"é"}'


def _item(n: int) -> dict:
    return {
        "kind": "message",
        "author_id": n,
        "author_role": "staff",
        "visibility": "public",
        "data": {"n": n},
        "seconds": n,
        "device_seconds": None,
    }


@given(
    ticket_id=st.integers(1, 2**62),
    position=st.integers(1, 2**31),
    kind=st.text(),
    author_id=st.none() | st.integers(-(2**62), 2**62),
    author_role=st.text(),
    visibility=st.text(),
    data=st.text(),
    seconds=st.integers(-(10**9), 10**9),
    device_seconds=st.none() | st.integers(-(10**9), 10**9),
    offset_minutes=st.integers(-14 * 60, 14 * 60),
    prev_hash=st.none() | st.text(),
)
def test_the_hashed_text_is_the_canonical_json_of_the_event(
    ticket_id,
    position,
    kind,
    author_id,
    author_role,
    visibility,
    data,
    seconds,
    device_seconds,
    offset_minutes,
    prev_hash,
):
    """Events are hashed from text written field by field (fast); it must stay byte
    for byte the canonical JSON of the same fields, or stored chains stop verifying."""
    zone = timezone(timedelta(minutes=offset_minutes))
    content = EventContent(
        ticket_id=ticket_id,
        position=position,
        kind=kind,
        author_id=author_id,
        author_role=author_role,
        visibility=visibility,
        data=data,
        created_at=START + timedelta(seconds=seconds, microseconds=seconds % 999_983),
        device_time=None
        if device_seconds is None
        else (START + timedelta(seconds=device_seconds)).astimezone(zone),
    )

    def instant(value):
        return None if value is None else value.astimezone(UTC).isoformat(timespec="microseconds")

    expected = canonical_json(
        {
            "ticket_id": ticket_id,
            "position": position,
            "kind": kind,
            "author_id": author_id,
            "author_role": author_role,
            "visibility": visibility,
            "data": data,
            "created_at": instant(content.created_at),
            "device_time": instant(content.device_time),
            "prev_hash": prev_hash,
        }
    )
    assert hash_material(content, prev_hash) == expected

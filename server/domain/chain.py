"""The per-ticket hash chain: each event stores SHA-256 of its content and the previous hash."""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from json.encoder import encode_basestring


@dataclass(frozen=True)
class EventContent:
    ticket_id: int
    position: int
    kind: str
    author_id: int | None
    author_role: str
    visibility: str
    data: str  # canonical JSON text, stored as is
    created_at: datetime
    device_time: datetime | None


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value) -> str:
    """Sorted keys, no whitespace, UTF-8 as is: one text per value, whatever the producer."""
    return _CANONICAL.encode(value)


@lru_cache(maxsize=256)  # a bulk push repeats the same instants (its server time)
def _instant(value: datetime | None) -> str | None:
    """UTC text of an aware instant: the database hands times back in UTC, so a device
    time given with another offset must hash the same after the round trip."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(content: EventContent, prev_hash: str | None) -> str:
    return hashlib.sha256(hash_material(content, prev_hash).encode()).hexdigest()


def hash_material(content: EventContent, prev_hash: str | None) -> str:
    """The canonical JSON of the event's fields and the previous hash, which is what is
    hashed. Written out field by field (keys in sorted order, strings escaped by the
    json module's own function) because a bulk push hashes a thousand events: the
    result is the same text as canonical_json of the same dict (tests/unit), faster."""
    return (
        f'{{"author_id":{_number(content.author_id)}'
        f',"author_role":{_text(content.author_role)}'
        f',"created_at":{_text(_instant(content.created_at))}'
        f',"data":{_text(content.data)}'
        f',"device_time":{_text(_instant(content.device_time))}'
        f',"kind":{_text(content.kind)}'
        f',"position":{_number(content.position)}'
        f',"prev_hash":{_text(prev_hash)}'
        f',"ticket_id":{_number(content.ticket_id)}'
        f',"visibility":{_text(content.visibility)}}}'
    )


def _text(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


def _number(value: int | None) -> str:
    return "null" if value is None else int.__repr__(value)


@dataclass(frozen=True)
class StoredEvent:
    id: int
    content: EventContent
    prev_hash: str | None
    hash: str


def first_broken(events: Iterable[StoredEvent]) -> int | None:
    """Id of the first event whose hash or link does not match, or None if intact."""
    previous = None
    expected_position = 1
    for event in events:
        if (
            event.content.position != expected_position
            or event.prev_hash != previous
            or event_hash(event.content, previous) != event.hash
        ):
            return event.id
        previous = event.hash
        expected_position += 1
    return None

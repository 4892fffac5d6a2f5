"""The per-ticket hash chain: each event stores SHA-256 of its content and the previous hash."""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache


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
    material = canonical_json(
        {
            "ticket_id": content.ticket_id,
            "position": content.position,
            "kind": content.kind,
            "author_id": content.author_id,
            "author_role": content.author_role,
            "visibility": content.visibility,
            "data": content.data,
            "created_at": _instant(content.created_at),
            "device_time": _instant(content.device_time),
            "prev_hash": prev_hash,
        }
    )
    return hashlib.sha256(material.encode()).hexdigest()


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

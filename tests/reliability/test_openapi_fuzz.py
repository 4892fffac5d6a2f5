"""Schemathesis drives every operation of `/api/openapi.json` against the app in
process, with a real bearer token, and checks each answer against the document:
never a 5xx, only documented status codes (the catch-all `default` response is
removed first, so every status must be listed), the documented content type and a
body matching the documented schema. Every role runs every operation (so 403/404
must be documented); the contractor does so from a device, so the sync endpoints see
a real device token. Besides what the schemas allow (and violate), bodies and query
strings get hostile values that parse yet broke things once (HOSTILE_*: lone
surrogates, numbers beyond a column or int64, non-ASCII digits, instants that leave
the calendar in UTC), and the sync push body is generated from its documented shape.
Bounded: FUZZ_EXAMPLES examples per operation (a third of them for most roles)."""

import copy
import io
import os
import re
import types

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    # The same examples on every CI run; FUZZ_RANDOM=1 (and more FUZZ_EXAMPLES) explores.
    derandomize=not os.environ.get("FUZZ_RANDOM"),
    database=None,
    suppress_health_check=list(HealthCheck),
)


# Raw bodies (inbound mail) are bytes on the wire, like any binary upload.
schemathesis.serializer.alias("message/rfc822", "application/octet-stream")


def _without_catch_all(spec: dict) -> dict:
    """Drop `default` (any other error is problem+json), so that an answered status
    that is not listed by name fails the check."""
    for path in spec["paths"].values():
        for operation in path.values():
            if isinstance(operation, dict):
                operation.get("responses", {}).pop("default", None)
    return spec


def _no_dns(*args, **kwargs):
    raise OSError("no DNS lookups in tests")


@pytest.fixture
def fuzz_app(app, ours, theirs, monkeypatch):
    """The app with data to hit, and webhook URLs never looked up in DNS."""
    monkeypatch.setattr(
        "billing.url_guard.socket", types.SimpleNamespace(getaddrinfo=_no_dns, SOCK_STREAM=1)
    )
    app.config["ERP_INBOUND_SECRET"] = "whsec_" + "A" * 32

    @app.after_request
    def read_files_now(response):
        # Schemathesis reads a response but never closes it; a file behind it would be
        # left open (gunicorn closes it; the test client relies on the caller).
        if response.direct_passthrough:
            response.direct_passthrough = False
            response.make_sequence()  # the bytes in memory,
            response.close()  # the file behind them closed
        return response

    return app


@pytest.fixture
def known_ids(fuzz_app, client, make, ours) -> dict:
    """Path parameters that name real rows, so valid examples get past the 404."""
    upload = client.post(
        f"/api/tickets/{ours.ticket.id}/attachments",
        data={"file": (io.BytesIO(b"A note about the leak."), "note.txt", "text/plain")},
        headers=make.headers(ours.tenant),
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201
    return {
        "ticket_id": ours.ticket.id,
        "block_id": ours.block.id,
        "unit_id": ours.unit.id,
        "contractor_id": ours.contractor.id,
        "user_id": ours.contractor.id,
        "attachment_id": upload.get_json()["id"],
    }


# Values that are valid JSON (or query text) of the right kind, yet were 500s once.
EXTREME_TIMES = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01",
    "9999-12-31",
]
HOSTILE_NUMBERS = [2**31, 2**63, -(2**63) - 1, 10**20, -1]
HOSTILE_DIGITS = ["\u0663", "\u00b2", "\uff11\uff12", "9" * 25]
LONE_SURROGATES = ["\ud800", "a\udfffb"]
DATE_LIKE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _hostile_for(value, *, in_query: bool) -> list:
    """Hostile values of the kind a field holds (a date gets extreme offsets, a number
    numbers past its column), so a few examples reach them; query text cannot carry a
    lone surrogate (it is percent-encoded UTF-8)."""
    texts = HOSTILE_DIGITS + EXTREME_TIMES + ([] if in_query else LONE_SURROGATES)
    if isinstance(value, bool) or value is None:
        return texts + HOSTILE_NUMBERS
    if isinstance(value, int | float):
        return HOSTILE_NUMBERS + HOSTILE_DIGITS
    if isinstance(value, str) and DATE_LIKE.match(value):
        return EXTREME_TIMES
    return texts


def _hostile_for_schema(schema: dict) -> list:
    """Query text of the kind a parameter's schema declares."""
    if schema.get("format") in ("date-time", "date"):
        return EXTREME_TIMES
    if schema.get("type") in ("integer", "number"):
        return [str(n) for n in HOSTILE_NUMBERS] + HOSTILE_DIGITS
    return HOSTILE_DIGITS + EXTREME_TIMES


def _leaf_paths(value, path=()):
    """Paths to every scalar and empty container in a JSON document."""
    if isinstance(value, dict) and value:
        for key, child in value.items():
            yield from _leaf_paths(child, (*path, key))
    elif isinstance(value, list) and value:
        for index, child in enumerate(value):
            yield from _leaf_paths(child, (*path, index))
    else:
        yield path


def _at(document, path):
    for step in path:
        document = document[step]
    return document


def _replaced(document, path, new):
    if not path:
        return new
    document = copy.deepcopy(document)
    _at(document, path[:-1])[path[-1]] = new
    return document


def _with_hostile(document, *, in_query: bool = False):
    """The document as generated, or with one scalar replaced by a hostile value."""
    if not isinstance(document, dict | list) or not document:
        return st.just(document)
    paths = list(_leaf_paths(document))

    def mutate(path):
        values = _hostile_for(_at(document, path), in_query=in_query)
        return st.sampled_from(values).map(lambda new: _replaced(document, path, new))

    return st.one_of(st.just(document), st.sampled_from(paths).flatmap(mutate))


def _schema(app, *, hostile: bool = True):
    spec = _without_catch_all(app.test_client().get("/api/openapi.json").get_json())
    schema = schemathesis.openapi.from_dict(spec)
    schema.app = app
    if not hostile:
        return schema

    @schema.hook("flatmap_body")
    def hostile_body(context, body):
        # JSON bodies (and the push, sent as text/plain); forms and files carry bytes.
        media_types = {b.media_type for b in context.operation.body}
        if not media_types <= {"application/json", "text/plain"}:
            return st.just(body)
        return _with_hostile(body)

    @schema.hook("flatmap_query")
    def hostile_query(context, query):
        # Any declared parameter, present in the example or not, of its declared kind.
        declared = {p.name: p.definition.get("schema", {}) for p in context.operation.query}
        if not declared:
            return st.just(query)
        query = dict(query or {})

        def add(name):
            values = _hostile_for_schema(declared[name])
            return st.sampled_from(values).map(lambda new: {**query, name: new})

        return st.one_of(st.just(query), st.sampled_from(sorted(declared)).flatmap(add))

    return schema


ROLES = {
    # role -> (who in `ours`, device id, which paths, share of FUZZ_EXAMPLES)
    "admin": ("admin", None, "", 1),
    "staff": ("staff", None, "", 3),
    "tenant": ("tenant", None, "", 3),
    "contractor": ("contractor", "fuzz-handheld", "", 3),
}


def fuzz_operation(operation, headers, ids: dict, examples: int) -> str | None:
    """Run one operation's examples (valid, invalid, and valid on real rows); the
    failure, if any."""
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    names = {p.name for p in operation.path_parameters}
    if names and names <= set(ids):
        real = {name: ids[name] for name in names}
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=real))

    @settings(FUZZ_SETTINGS, max_examples=examples)
    @given(case=st.one_of(strategies))
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    try:
        run()
    except (Exception, BaseExceptionGroup) as failure:  # collected, reported below
        return f"{operation.label}: {failure}"
    return None


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_operation_answers_as_documented(fuzz_app, make, ours, known_ids, role):
    who, device, prefix, share = ROLES[role]
    headers = make.headers(getattr(ours, who), device_id=device)
    examples = max(1, EXAMPLES // share)
    failures = []
    for result in _schema(fuzz_app).get_all_operations():
        operation = result.ok()
        if operation.path.startswith(prefix):
            failures.append(fuzz_operation(operation, headers, known_ids, examples))
    failures = [f for f in failures if f]
    assert not failures, "\n\n".join(failures)


# Every hostile value class in every field, deterministically ---------------------------
# Random examples reach a given field with a given class only by chance (a date field
# gets `0001-01-01T00:00:00+14:00` in some runs); this sweep takes one valid example of
# each operation and sends it again with each class in each JSON body field and each
# declared query parameter, as every role.

SWEEP_TEXT = ["\ud800", "\u0663"]
SWEEP_NUMBERS = [2**31, 2**63]
SWEEP_TIMES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "9999-12-31"]
JSON_MEDIA_TYPES = ("application/json", "text/plain")


def _first_example(operation, ids: dict):
    names = {p.name for p in operation.path_parameters}
    real = {name: ids[name] for name in names} if names and names <= set(ids) else None
    strategy = operation.as_strategy(GenerationMode.POSITIVE, path_parameters=real)
    found = []

    @settings(FUZZ_SETTINGS, max_examples=1, phases=[Phase.generate])
    @given(case=strategy)
    def pick(case):
        found.append(case)

    pick()
    return found[0]


def _push_example(ticket_id: int) -> dict:
    """A device's push with a record in every table, on a ticket the device has."""
    t, ms = str(ticket_id), 1795400000000
    common = {"ticket_id": t, "created_at": ms}
    return {
        "tickets": {"updated": [{"id": t, "status": "open"}]},
        "ticket_messages": {"created": [{"id": "fz-m", "body": "On my way", **common}]},
        "time_entries": {
            "created": [
                {"id": "fz-t", "minutes": 30, "started_at": ms, "ended_at": ms + 1_800_000,
                 "chargeable": True, "note": "Fixed", **common}
            ]
        },
        "materials": {
            "created": [
                {"id": "fz-mat", "description": "Washer", "quantity": "2", "unit": "each",
                 "unit_price": "1.50", "chargeable": True, **common}
            ]
        },
        "attachments": {
            "created": [
                {"id": "fz-a", "filename": "a.png", "content_type": "image/png",
                 "sha256": "0" * 64, "size": 10, "message_id": "fz-m", **common}
            ]
        },
        "delivery_notes": {
            "created": [
                {"id": "fz-dn", "signed_by": "T", "signed_at": ms,
                 "signature_attachment_id": "fz-a", "work_summary": "Done", **common}
            ]
        },
    }  # fmt: skip


def _sweep_values(value, schema: dict | None = None) -> list:
    if schema is not None:  # a query parameter: text of its declared kind
        if schema.get("format") in ("date-time", "date"):
            return SWEEP_TIMES
        if schema.get("type") in ("integer", "number"):
            return [str(n) for n in SWEEP_NUMBERS] + ["\u0663"]
        return ["\u0663", SWEEP_TIMES[0]]
    if isinstance(value, bool):
        return SWEEP_TEXT
    if isinstance(value, int | float):
        return SWEEP_NUMBERS
    if isinstance(value, str) and DATE_LIKE.match(value):
        return SWEEP_TIMES
    return SWEEP_TEXT


def _hostile_variants(case):
    """(where, variant) for each hostile value class in each field of the case."""
    if isinstance(case.body, dict | list) and case.media_type in JSON_MEDIA_TYPES:
        for path in _leaf_paths(case.body):
            for value in _sweep_values(_at(case.body, path)):
                yield (
                    f"body {'.'.join(map(str, path))}={value!r}",
                    {"body": _replaced(case.body, path, value)},
                )
    for parameter in case.operation.query:
        for value in _sweep_values(None, parameter.definition.get("schema", {})):
            query = {**(case.query or {}), parameter.name: value}
            yield f"query {parameter.name}={value!r}", {"query": query}


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_hostile_value_class_in_every_field_is_answered_as_documented(
    fuzz_app, make, ours, known_ids, role
):
    who, device, prefix, _ = ROLES[role]
    headers = make.headers(getattr(ours, who), device_id=device)
    failures, sent = [], 0
    for result in _schema(fuzz_app, hostile=False).get_all_operations():
        operation = result.ok()
        if not operation.path.startswith(prefix):
            continue
        case = _first_example(operation, known_ids)
        # No generation metadata: schemathesis would re-validate the edited case against
        # the schema, and its validators cannot encode a lone surrogate.
        case._meta = None
        if operation.path == "/api/sync/push":
            case.body, case.media_type = _push_example(known_ids["ticket_id"]), "application/json"
        elif case.media_type == "text/plain":
            case.media_type = "application/json"  # the same JSON, escaped on the wire
        original = {"body": case.body, "query": case.query}
        for where, change in list(_hostile_variants(case)):
            for attribute, value in {**original, **change}.items():
                setattr(case, attribute, value)
            sent += 1
            try:
                case.call_and_validate(headers=headers, checks=CHECKS)
            except (Exception, BaseExceptionGroup) as failure:  # collected, reported below
                failures.append(f"{operation.label} {where}: {str(failure)[:300]}")
    assert sent > 100
    assert not failures, "\n".join(failures)

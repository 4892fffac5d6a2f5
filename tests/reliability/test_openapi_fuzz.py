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
import types

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
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
HOSTILE_BODY = ["\ud800", "a\udfffb", *HOSTILE_NUMBERS, *HOSTILE_DIGITS, *EXTREME_TIMES]
HOSTILE_QUERY = [str(n) for n in HOSTILE_NUMBERS] + HOSTILE_DIGITS + EXTREME_TIMES


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


def _replaced(document, path, new):
    if not path:
        return new
    document = copy.deepcopy(document)
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = new
    return document


def _with_hostile(document, values):
    """The document as generated, or with one of its scalars replaced by a hostile value."""
    if not isinstance(document, dict | list) or not document:
        return st.just(document)
    paths = list(_leaf_paths(document))
    mutated = st.tuples(st.sampled_from(paths), st.sampled_from(values))
    return st.one_of(st.just(document), mutated.map(lambda pv: _replaced(document, *pv)))


def _schema(app):
    spec = _without_catch_all(app.test_client().get("/api/openapi.json").get_json())
    schema = schemathesis.openapi.from_dict(spec)
    schema.app = app

    @schema.hook("flatmap_body")
    def hostile_body(context, body):
        # JSON bodies (and the push, sent as text/plain); forms and files carry bytes.
        media_types = {b.media_type for b in context.operation.body}
        if not media_types <= {"application/json", "text/plain"}:
            return st.just(body)
        return _with_hostile(body, HOSTILE_BODY)

    @schema.hook("flatmap_query")
    def hostile_query(context, query):
        return _with_hostile(query, HOSTILE_QUERY)

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

"""The problem-code registry (server/problems.py) matches the code and the docs.

The packages' source is read, not run: every `DomainError` subclass, every error built
with `code="..."`, every workflow refusal and every code the error handlers use is
collected with the status it is answered with, so a new code fails here until it is
registered (and documented, since docs/API.md's table is generated from the registry).
"""

import ast
import pathlib
from typing import get_args

from billing import signing
from server.docs import between
from server.problems import HTTP_CODES, HTTP_FALLBACK_CODE, REGISTRY, markdown_table

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGES = ("server", "sync", "delivery_notes", "billing")
ROOT_ERROR = {"status": 400, "code": "bad_request"}  # server.errors.DomainError
# The one code built at run time: billing/erp_payment_reports.py maps a signature check's reason.
DYNAMIC = {"f'webhook_{error.reason}'": [f"webhook_{r}" for r in get_args(signing.Reason)]}
# A refusal's code passed through (server/services/rules.py): collected at the Refused(...).
PASSED_THROUGH = {"refusal.code"}


def _name(node) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _sources() -> list[tuple[str, ast.Module]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found.append((str(path.relative_to(ROOT)), ast.parse(path.read_text(), str(path))))
    return found


def _error_classes(sources) -> dict[str, dict]:
    """DomainError and its subclasses (by name, across packages), with status and code."""
    classes = {"DomainError": dict(ROOT_ERROR)}
    grew = True
    while grew:
        grew = False
        for _, tree in sources:
            for node in ast.walk(tree):
                if not isinstance(node, ast.ClassDef) or node.name in classes:
                    continue
                base = next((_name(b) for b in node.bases if _name(b) in classes), None)
                if base is None:
                    continue
                info = dict(classes[base])
                for statement in node.body:
                    if not isinstance(statement, ast.Assign):
                        continue
                    target, value = statement.targets[0], statement.value
                    names = target.elts if isinstance(target, ast.Tuple) else [target]
                    values = value.elts if isinstance(value, ast.Tuple) else [value]
                    for name, item in zip(names, values, strict=False):
                        if _name(name) in ("status", "code") and isinstance(item, ast.Constant):
                            info[_name(name)] = item.value
                classes[node.name] = info
                grew = True
    return classes


def raised_codes() -> dict[str, set[tuple[int, str]]]:
    """code -> {(status, where)} for every problem the packages can answer with."""
    sources = _sources()
    classes = _error_classes(sources)
    raised: dict[str, set[tuple[int, str]]] = {}

    def add(code: str, status: int, where: str) -> None:
        raised.setdefault(code, set()).add((status, where))

    for status, code in HTTP_CODES.items():
        add(code, status, "server/problems.py HTTP_CODES")
    add(HTTP_FALLBACK_CODE, REGISTRY[HTTP_FALLBACK_CODE].statuses[0], "server/errors.py")
    for path, tree in sources:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            where = f"{path}:{node.lineno}"
            callee = _name(node.func)
            keywords = {k.arg: k.value for k in node.keywords}
            if callee in classes:
                status, code = classes[callee]["status"], keywords.get("code")
                if code is None:
                    add(classes[callee]["code"], status, where)
                elif isinstance(code, ast.Constant):
                    add(code.value, status, where)
                elif ast.unparse(code) in DYNAMIC:
                    for each in DYNAMIC[ast.unparse(code)]:
                        add(each, status, where)
                else:
                    assert ast.unparse(code) in PASSED_THROUGH, f"{where}: resolve this code"
            elif callee == "Refused" and path.startswith("server/domain/"):
                # server/services/rules.py answers 403 when forbidden, else 409. Refusals
                # raised elsewhere (delivery_notes) become sync conflicts, not problems.
                forbidden = any(k.arg == "forbidden" for k in node.keywords)
                add(node.args[0].value, 403 if forbidden else 409, where)
            elif callee == "problem" and path == "server/errors.py" and len(node.args) > 1:
                if isinstance(node.args[1], ast.Constant):
                    add(node.args[1].value, node.args[0].value, where)
    return raised


def test_every_raised_code_is_registered_with_its_status():
    wrong = [
        f"{code} ({status}) at {where}"
        for code, sites in raised_codes().items()
        for status, where in sorted(sites)
        if code not in REGISTRY or status not in REGISTRY[code].statuses
    ]
    assert wrong == [], "register these in server/problems.py"


def test_every_registered_code_is_raised_somewhere():
    assert sorted(set(REGISTRY) - set(raised_codes())) == []


def test_the_scan_sees_every_package_and_the_dynamic_codes():
    raised = raised_codes()
    # One code from each package and source kind, so a broken scan cannot pass silently.
    for code in (
        "ticket_not_triaged",  # Refused in server/domain
        "sync_bad_push",  # a class default in sync
        "note_not_ready",  # a delivery_notes class
        "webhook_bad_signature",  # billing's f-string
        "database_unavailable",  # a handler's literal
        "method_not_allowed",  # werkzeug's, via HTTP_CODES
    ):
        assert code in raised


def test_the_api_docs_carry_the_registry_table():
    _, table, _ = between((ROOT / "docs" / "API.md").read_text(), "problem-codes")
    assert table == markdown_table(), "run: python -m server.docs"

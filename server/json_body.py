"""JSON request bodies as the API accepts them, checked once before any view parses them.

* RFC 8259 only: `NaN`/`Infinity` (which Python's parser allows) are malformed (400);
* nesting is bounded by the parser: 100,000 nested arrays are a 400, not a
  RecursionError and a 500;
* no NUL characters (U+0000) in any string or key: PostgreSQL cannot store them in
  text, so every database refuses them alike, as a validation error (422), instead
  of SQLite storing them and PostgreSQL failing with a 500;
* no lone UTF-16 surrogates (`"\\ud800"`, a half of a pair): they are not Unicode
  characters and cannot be encoded as UTF-8, so they are refused the same way (422);
  a whole pair (`"\\ud83d\\ude00"`) is one character and fine;
* bodies are read at most to their limit, with or without a Content-Length.

The same rules apply to URLs (NUL in the path or query) and to the sync push, which
parses its own body because it takes any content type.
"""

import json
import re

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from server.errors import DomainError, Invalid, NotFound, TooLarge

NUL = "\x00"
NUL_MESSAGE = "NUL characters (U+0000) are not allowed in text."
SURROGATE_MESSAGE = "Lone UTF-16 surrogates (\\ud800-\\udfff) are not characters."
# A surrogate can only come from a \uD800-\uDFFF escape (raw ones are invalid UTF-8).
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
SURROGATE_ESCAPE_BYTES = re.compile(SURROGATE_ESCAPE.pattern.encode())


class MalformedJson(DomainError):
    status, code, title = 400, "bad_request", "Bad Request"


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def parse(raw: bytes | str):
    """The parsed document; MalformedJson (400) or Invalid (422, NUL) otherwise."""
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise MalformedJson("The JSON body is nested too deeply.") from None
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError, too many digits
        raise MalformedJson(f"The body is not valid JSON: {error}"[:300]) from None
    # A NUL can only come from a \u0000 escape: look for it only when one is there.
    escape = b"\\u0000" if isinstance(raw, bytes) else "\\u0000"
    if escape in raw:
        path = _bad_text_path(value, _has_nul)
        if path is not None:
            raise Invalid(NUL_MESSAGE, errors={path or "body": [NUL_MESSAGE]})
    surrogate = SURROGATE_ESCAPE_BYTES if isinstance(raw, bytes) else SURROGATE_ESCAPE
    if surrogate.search(raw):
        path = _bad_text_path(value, _has_surrogate)
        if path is not None:
            raise Invalid(SURROGATE_MESSAGE, errors={path or "body": [SURROGATE_MESSAGE]})
    return value


def _has_nul(text: str) -> bool:
    return NUL in text


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _printable(path: str) -> str:
    return path.replace(NUL, "\\u0000").encode("utf-8", "backslashreplace").decode()


def _bad_text_path(value, bad) -> str | None:
    """The dotted path of the first string or key that is `bad`, else None (iterative:
    the document may be as deep as the parser allows)."""
    stack = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if bad(item):
                return _printable(path)
        elif isinstance(item, dict):
            for key, child in item.items():
                child_path = f"{path}.{key}" if path else key
                if bad(key):
                    return _printable(child_path)
                stack.append((child_path, child))
        elif isinstance(item, list):
            stack.extend((f"{path}.{i}" if path else str(i), c) for i, c in enumerate(item))
    return None


def read_limited(limit: int, message: str) -> bytes:
    """The whole body, refused with 413 past `limit` bytes; with or without a
    Content-Length (a chunked body is cut off at the limit, never read whole)."""
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge(message)
    # Set before anything opens the stream. A stream stops quietly at its maximum, so
    # read one byte more than allowed to tell "exactly the limit" from "more".
    request.max_content_length = limit + 1
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise TooLarge(message) from None
    if len(raw) > limit:
        raise TooLarge(message)
    return raw


def has_body() -> bool:
    return (
        bool(request.content_length)
        or "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    )


def refuse_nul_in_url() -> None:
    """NUL in the path names nothing (404); in the query it is invalid input (422)."""
    if NUL in request.path:
        raise NotFound("No such resource.")
    bad = sorted(
        key.replace(NUL, "\\u0000")
        for key, value in request.args.items(multi=True)
        if NUL in key or NUL in value
    )
    if bad:
        raise Invalid(NUL_MESSAGE, errors={key: [NUL_MESSAGE] for key in bad})

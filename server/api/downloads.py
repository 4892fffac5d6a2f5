"""Bytes made in memory (a PDF, an XML, a raw mail) served under a file name.

werkzeug's `send_file` writes Content-Disposition (quoting the name when it must, a
non-ASCII name as an ASCII fallback plus RFC 5987 `filename*`), so no view builds that
header by hand. Stored attachments have their own response (api/attachments.py).
"""

from io import BytesIO

from flask import send_file


def send_bytes(
    data: bytes,
    download_name: str,
    mimetype: str,
    *,
    as_attachment: bool = False,
    headers: dict[str, str] | None = None,
):
    """`inline` (shown by the browser) unless `as_attachment` (saved). No Range or
    conditional answers: a view with an ETag answers If-None-Match itself. Caching is
    what `headers` say, not send_file's default `no-cache`."""
    response = send_file(
        BytesIO(data),
        mimetype=mimetype,
        as_attachment=as_attachment,
        download_name=download_name,
        conditional=False,
        etag=False,
        max_age=None,
    )
    del response.headers["Cache-Control"]
    response.headers.update(headers or {})
    return response

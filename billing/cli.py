"""`fieldline export KIND --from D --to D --out DIR`: the back-office exports into a
drop folder, each file written atomically, then a manifest; and `fieldline erp
sign-payment`, a payment report signed as the ERP signs it."""

import hashlib
import json
import os

import click
from flask.cli import with_appcontext

from billing import exports
from server.cli import needs_database
from server.db import utcnow
from server.schemas.times import EARLIEST, LATEST, RANGE_MESSAGE


class DayInRange(click.DateTime):
    """YYYY-MM-DD within the range every date input has (server.schemas.times)."""

    def __init__(self):
        super().__init__(["%Y-%m-%d"])

    def convert(self, value, param, ctx):
        day = super().convert(value, param, ctx)
        if not EARLIEST.date() <= day.date() < LATEST.date():
            self.fail(RANGE_MESSAGE, param, ctx)
        return day


@click.command("export")
@click.argument("kind", type=click.Choice([*exports.KINDS, "all"]))
@click.option("--from", "start", type=DayInRange(), help="first day, inclusive")
@click.option("--to", "end", type=DayInRange(), help="last day, inclusive")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
@with_appcontext
@needs_database
def export_command(kind, start, end, out_dir):
    """Write CSV exports (every ticket: run by the operator) and a manifest into OUT."""
    kinds = exports.KINDS if kind == "all" else (kind,)
    if start and end and start > end:
        raise click.BadParameter("--from is after --to.", param_hint="--from")
    manifest = write_files(
        kinds, start.date() if start else None, end.date() if end else None, out_dir
    )
    for entry in manifest["files"]:
        click.echo(f"{entry['file']}: {entry['rows']} rows, sha256 {entry['sha256']}")


def write_files(kinds, start, end, out_dir: str) -> dict:
    """Write each export into `out_dir` atomically (temp file, fsync, rename), then a
    manifest (files, row counts, sha256) the same way, last: a reader that sees the
    manifest sees complete files."""
    os.makedirs(out_dir, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    files = []
    for kind in kinds:
        name = f"{stamp}-{kind}.csv"
        counter = [0]
        chunks = exports.csv_chunks(kind, None, start, end, counter)
        digest, size = _atomic_write(out_dir, name, chunks)
        files.append(
            {"kind": kind, "file": name, "rows": counter[0], "bytes": size, "sha256": digest}
        )
    manifest = {
        "generated_at": utcnow().isoformat(),
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
        "files": files,
    }
    body = json.dumps(manifest, indent=2, sort_keys=True).encode()
    _atomic_write(out_dir, f"{stamp}-manifest.json", iter([body]))
    return manifest


def _atomic_write(directory: str, name: str, chunks) -> tuple[str, int]:
    temp = os.path.join(directory, f".{name}.tmp")
    digest, size = hashlib.sha256(), 0
    try:
        with open(temp, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
                digest.update(chunk)
                size += len(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, os.path.join(directory, name))
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
    return digest.hexdigest(), size


@click.group("erp")
def erp_group():
    """Stand in for the agency's ERP (demos, smoke tests)."""


@erp_group.command("sign-payment")
@click.option("--invoice", "invoice_number", required=True, help="e.g. INV-2026-000001")
@click.option("--amount", required=True, help='a decimal string, e.g. "197.94"')
@click.option("--currency", default="GBP", show_default=True)
@click.option("--reference", default=None, help="the bank's reference")
@click.option("--paid-at", default=None, help="ISO 8601 time (default: now)")
@click.option(
    "--secret",
    envvar="ERP_INBOUND_SECRET",
    required=True,
    help="the whsec_ secret the server checks (default: $ERP_INBOUND_SECRET)",
)
@click.option(
    "--url",
    default="http://127.0.0.1:5000/api/erp/payments",
    show_default=True,
    help="the server's payment endpoint",
)
@click.option("--send", is_flag=True, help="POST it now instead of printing a curl command.")
def sign_payment_command(invoice_number, amount, currency, reference, paid_at, secret, url, send):
    """Sign a payment report as the ERP does (Standard Webhooks) and print the curl
    command that sends it (valid for 5 minutes), or send it with --send."""
    import shlex
    import urllib.error
    import urllib.request
    import uuid

    from billing.signing import headers_for

    body = json.dumps(
        {
            "invoice_number": invoice_number,
            "amount": amount,
            "currency": currency,
            "paid_at": paid_at or utcnow().isoformat(timespec="seconds"),
            "reference": reference,
        }
    ).encode()
    try:
        headers = headers_for(secret, f"msg_{uuid.uuid4().hex}", int(utcnow().timestamp()), body)
    except ValueError as error:
        raise click.ClickException(f"cannot sign: {error}") from error
    headers["Content-Type"] = "application/json"
    if not send:
        parts = ["curl", "-sS", "-X", "POST", url]
        for name, value in headers.items():
            parts += ["-H", f"{name}: {value}"]
        parts += ["--data-binary", body.decode()]
        click.echo(" ".join(shlex.quote(part) for part in parts))
        return
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            click.echo(response.read().decode())
    except urllib.error.HTTPError as error:
        raise click.ClickException(f"{error.code}: {error.read().decode()}") from error
    except urllib.error.URLError as error:
        raise click.ClickException(f"cannot reach {url}: {error.reason}") from error

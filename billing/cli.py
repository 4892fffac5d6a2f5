"""`fieldline export KIND --from D --to D --out DIR`: the back-office exports into a
drop folder, each file written atomically, then a manifest."""

import hashlib
import json
import os

import click
from flask.cli import with_appcontext

from billing import exports
from server.cli import needs_database
from server.db import utcnow


@click.command("export")
@click.argument("kind", type=click.Choice([*exports.KINDS, "all"]))
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="first day, inclusive")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="last day, inclusive")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
@with_appcontext
@needs_database
def export_command(kind, start, end, out_dir):
    """Write CSV exports (every ticket: run by the operator) and a manifest into OUT."""
    kinds = exports.KINDS if kind == "all" else (kind,)
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

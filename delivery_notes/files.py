"""Bytes on disk: the signature from the attachment store, the rendered PDFs in their own.

Both are content-addressed (`server.storage`): the signature is read from the app's
shared blob store by the SHA-256 its attachment record declares, and PDFs are kept
in a `DiskBlobStore` under `DELIVERY_NOTE_DIR` (`ab/cd/<sha256>`), so writing the
same PDF twice leaves one file and a crash never leaves half of one under its name.
"""

import hashlib
import io

from flask import current_app

from server.storage import DiskBlobStore, blob_store

PDF_MAX_BYTES = 64 * 1024 * 1024


def _read(store, sha256: str) -> bytes | None:
    """The stored bytes, or None if absent or not hashing to their name."""
    try:
        with store.open(sha256) as f:
            data = f.read()
    except FileNotFoundError:
        return None
    return data if hashlib.sha256(data).hexdigest() == sha256 else None


def read_attachment(sha256: str) -> bytes | None:
    return _read(blob_store(), sha256)


def _pdf_store() -> DiskBlobStore:
    return DiskBlobStore(current_app.config["DELIVERY_NOTE_DIR"])


def read_pdf(sha256: str) -> bytes | None:
    return _read(_pdf_store(), sha256)


def store_pdf(data: bytes) -> str:
    return _pdf_store().put(io.BytesIO(data), max_bytes=PDF_MAX_BYTES).sha256

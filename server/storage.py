"""Attachment bytes, stored by their SHA-256 behind a small interface.

`DiskBlobStore` keeps each blob at ``ATTACHMENT_DIR/ab/cd/<sha256>``. Bytes are
streamed in chunks into a temporary file under ``ATTACHMENT_DIR/.tmp`` (same file
system, so the final rename is atomic) while being hashed; the file is fsynced and
moved into place with ``os.replace``. Storing the same bytes twice therefore leaves
one file, and a crash never leaves a half-written blob under its hash. A blob is
published only after the caller's `check` accepted it, so a refused upload (too
large, wrong type, wrong digest) leaves nothing behind.

The store is picked per app through ``app.extensions["blob_store"]`` (the disk store
by default), so the REST API, sync and delivery notes share one and tests swap in
`MemoryBlobStore`.
"""

import errno
import hashlib
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO, Protocol

from flask import Flask, current_app

from server.errors import StorageUnavailable, TooLarge

CHUNK_BYTES = 64 * 1024
EXTENSION_KEY = "blob_store"
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
# Errors that mean "this server cannot write here now", not a bug: answered with 507.
STORAGE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}
STORAGE_ERRNOS |= {errno.ENOTDIR}


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int


Check = Callable[[StoredBlob], None]


class BlobStore(Protocol):
    def put(self, stream: BinaryIO, *, max_bytes: int, check: Check | None = None) -> StoredBlob:
        """Read `stream` to its end, refusing more than `max_bytes` (413); call `check`
        with the hash and size before publishing, so it can still refuse the blob."""

    def open(self, sha256: str) -> BinaryIO:
        """The blob's bytes for reading; FileNotFoundError if none is stored."""

    def exists(self, sha256: str) -> bool: ...

    def stored_before(self, cutoff: datetime) -> Iterator[str]:
        """Hashes of blobs last written before `cutoff` (the orphan sweep's candidates);
        may also drop unfinished uploads older than that."""

    def delete(self, sha256: str, *, unless_newer_than: datetime) -> int:
        """Remove a blob (1) unless it was written again since `unless_newer_than` or is
        gone (0): the same bytes uploaded meanwhile are kept."""


def _chunks(stream: BinaryIO, max_bytes: int):
    """Yield the stream's chunks, raising TooLarge as soon as it passes `max_bytes`;
    works without a Content-Length (chunked bodies, sync uploads)."""
    total = 0
    while True:
        chunk = stream.read(CHUNK_BYTES)
        if not chunk:
            return
        total += len(chunk)
        if total > max_bytes:
            raise TooLarge(f"Attachments are limited to {max_bytes} bytes.")
        yield chunk


def _checked_sha(sha256: str) -> str:
    if not SHA256_HEX.fullmatch(sha256 or ""):
        raise FileNotFoundError(sha256)
    return sha256


class DiskBlobStore:
    """Content-addressed files in a directory tree; see the module docstring."""

    def __init__(self, root: str):
        self.root = os.path.abspath(root)

    def path_of(self, sha256: str) -> str:
        sha256 = _checked_sha(sha256)
        return os.path.join(self.root, sha256[:2], sha256[2:4], sha256)

    def put(self, stream: BinaryIO, *, max_bytes: int, check: Check | None = None) -> StoredBlob:
        try:
            return self._put(stream, max_bytes, check)
        except OSError as error:
            if error.errno in STORAGE_ERRNOS:
                raise StorageUnavailable(
                    "The server cannot store attachments right now; try again later."
                ) from error
            raise

    def _put(self, stream: BinaryIO, max_bytes: int, check: Check | None) -> StoredBlob:
        spool = os.path.join(self.root, ".tmp")
        os.makedirs(spool, exist_ok=True)
        fd, temp_path = tempfile.mkstemp(dir=spool, prefix="upload-")
        try:
            digest, size = hashlib.sha256(), 0
            with os.fdopen(fd, "wb") as out:
                for chunk in _chunks(stream, max_bytes):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            blob = StoredBlob(digest.hexdigest(), size)
            if check is not None:
                check(blob)
            final = self.path_of(blob.sha256)
            os.makedirs(os.path.dirname(final), exist_ok=True)
            # Same bytes, same name: replacing an existing blob is harmless and atomic.
            os.replace(temp_path, final)
            temp_path = None
            _fsync_directory(os.path.dirname(final))
            return blob
        finally:
            if temp_path is not None:
                _remove_quietly(temp_path)

    def open(self, sha256: str) -> BinaryIO:
        try:
            return open(self.path_of(sha256), "rb")  # the caller closes it
        except FileNotFoundError:
            raise
        except OSError as error:
            raise StorageUnavailable("The attachment cannot be read right now.") from error

    def exists(self, sha256: str) -> bool:
        try:
            return os.path.isfile(self.path_of(sha256))
        except FileNotFoundError:
            return False

    def stored_before(self, cutoff: datetime) -> Iterator[str]:
        limit = cutoff.timestamp()
        spool = os.path.join(self.root, ".tmp")
        for entry in _scan(spool):
            if entry.stat().st_mtime < limit:  # an upload that died half way
                _remove_quietly(entry.path)
        for first in _scan(self.root):
            if len(first.name) != 2 or not first.is_dir():
                continue
            for second in _scan(first.path):
                for entry in _scan(second.path):
                    if SHA256_HEX.fullmatch(entry.name) and entry.stat().st_mtime < limit:
                        yield entry.name

    def delete(self, sha256: str, *, unless_newer_than: datetime) -> int:
        path = self.path_of(sha256)
        try:
            if os.stat(path).st_mtime >= unless_newer_than.timestamp():
                return 0
            os.unlink(path)
        except FileNotFoundError:
            return 0
        return 1


class MemoryBlobStore:
    """The same contract in a dict, for unit tests and for simulating failures."""

    def __init__(self):
        self.blobs: dict[str, bytes] = {}
        self.written_at: dict[str, datetime] = {}

    def put(self, stream: BinaryIO, *, max_bytes: int, check: Check | None = None) -> StoredBlob:
        data = b"".join(_chunks(stream, max_bytes))
        blob = StoredBlob(hashlib.sha256(data).hexdigest(), len(data))
        if check is not None:
            check(blob)
        self.blobs[blob.sha256] = data
        self.written_at[blob.sha256] = datetime.now(UTC)
        return blob

    def stored_before(self, cutoff: datetime) -> Iterator[str]:
        return iter([sha for sha, at in self.written_at.items() if at < cutoff])

    def delete(self, sha256: str, *, unless_newer_than: datetime) -> int:
        if self.written_at.get(sha256, unless_newer_than) >= unless_newer_than:
            return 0
        del self.blobs[sha256], self.written_at[sha256]
        return 1

    def open(self, sha256: str) -> BinaryIO:
        if sha256 not in self.blobs:
            raise FileNotFoundError(sha256)
        return io.BytesIO(self.blobs[sha256])

    def exists(self, sha256: str) -> bool:
        return sha256 in self.blobs


def blob_store(app: Flask | None = None) -> BlobStore:
    """The app's store: whatever was put in `app.extensions`, else a disk store under
    ATTACHMENT_DIR (created on first use, so app creation does no I/O for it)."""
    app = app or current_app._get_current_object()
    store = app.extensions.get(EXTENSION_KEY)
    if store is None:
        store = app.extensions.setdefault(
            EXTENSION_KEY, DiskBlobStore(app.config["ATTACHMENT_DIR"])
        )
    return store


def _fsync_directory(path: str) -> None:
    """Make the rename itself durable (POSIX: the directory entry lives in the directory)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _scan(path: str) -> list[os.DirEntry]:
    try:
        with os.scandir(path) as entries:
            return list(entries)
    except FileNotFoundError:
        return []


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass

"""The attachment store and the pure helpers of attachments, without an app."""

import hashlib
import io
import os
import threading

import pytest

from server.errors import StorageUnavailable, TooLarge
from server.services.attachments import TypeSniffer, sanitise_filename
from server.storage import DiskBlobStore, MemoryBlobStore

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def test_the_disk_store_publishes_one_file_for_concurrent_writers_of_the_same_bytes(tmp_path):
    store = DiskBlobStore(str(tmp_path / "blobs"))
    results = []

    def put():
        results.append(store.put(io.BytesIO(PNG * 50), max_bytes=10**7))

    threads = [threading.Thread(target=put) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sha = hashlib.sha256(PNG * 50).hexdigest()
    assert {r.sha256 for r in results} == {sha}
    assert os.listdir(tmp_path / "blobs" / ".tmp") == []
    with store.open(sha) as f:
        assert f.read() == PNG * 50


class EndlessStream:
    """A body with no length: the store must stop reading at the limit."""

    def __init__(self):
        self.read_bytes = 0

    def read(self, size=-1):
        self.read_bytes += size
        return b"x" * size


@pytest.mark.parametrize("store_kind", ["disk", "memory"])
def test_a_store_stops_an_endless_stream_at_the_limit(tmp_path, store_kind):
    store = DiskBlobStore(str(tmp_path)) if store_kind == "disk" else MemoryBlobStore()
    stream = EndlessStream()
    with pytest.raises(TooLarge):
        store.put(stream, max_bytes=200_000)
    assert stream.read_bytes < 200_000 + 128 * 1024
    if store_kind == "disk":
        assert [f for _d, _s, files in os.walk(tmp_path) for f in files] == []


def test_a_refusing_check_publishes_nothing(tmp_path):
    store = DiskBlobStore(str(tmp_path))

    def refuse(blob):
        raise StorageUnavailable("no")

    with pytest.raises(StorageUnavailable):
        store.put(io.BytesIO(PDF), max_bytes=10**6, check=refuse)
    assert not store.exists(hashlib.sha256(PDF).hexdigest())
    assert os.listdir(tmp_path / ".tmp") == []


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("a/b/c.png", "c.png"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("C:\\Users\\me\\scan.pdf", "scan.pdf"),
        ("", "attachment"),
        (None, "attachment"),
        ("  .hidden  ", "hidden"),
        ("a\r\nb", "ab"),
    ],
)
def test_sanitise_filename(sent, stored):
    assert sanitise_filename(sent) == stored


def test_text_split_inside_a_utf8_sequence_is_still_text():
    data = "é" * 40_000
    raw = data.encode()
    sniffer = TypeSniffer(io.BytesIO(raw))
    while sniffer.read(65_537):  # odd chunk size: splits a two-byte character
        pass
    assert sniffer.sniffed_type() == "text/plain"

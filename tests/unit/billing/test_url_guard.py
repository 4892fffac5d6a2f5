"""The SSRF guard: every address a webhook host resolves to is checked, IPv6 forms that
carry an IPv4 address are refused, and the request goes to the very address that was
checked (a resolver stub plays DNS; local HTTP and HTTPS servers receive)."""

import http.server
import os
import ssl
import subprocess
import threading

import pytest

from billing import url_guard
from billing.url_guard import UrlRefused, check_url, pinned_session


def resolver(*answers_per_call):
    """A DNS stub answering each call with the next list of addresses (the last one
    repeats), counting the calls."""
    calls = []

    def resolve(host, port):
        calls.append(host)
        return list(answers_per_call[min(len(calls), len(answers_per_call)) - 1])

    resolve.calls = calls
    return resolve


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b::808:808",  # NAT64 of a public address: still refused
        "64:ff9b:1::a00:1",  # local-use NAT64
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "2002:0808:0808::1",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "::a9fe:a9fe",  # IPv4-compatible 169.254.169.254
        "::808:808",
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:169.254.169.254",
        "::ffff:10.0.0.1",
        "fec0::1",  # site-local
        "ff02::1",
        "ff0e::1",  # global-scope multicast
        "224.0.0.1",
        "239.255.255.250",
        "::",
        "0.0.0.0",
        "fe80::1",
        "169.254.169.254",
        "fd00::1",
    ],
)
def test_addresses_that_reach_inside_are_refused_however_they_are_written(address):
    with pytest.raises(UrlRefused):
        check_url("https://hooks.example/x", resolve=resolver([address]))
    literal = f"[{address}]" if ":" in address else address
    with pytest.raises(UrlRefused):
        check_url(f"https://{literal}/x")


@pytest.mark.parametrize("address", ["64:ff9b::7f00:1", "2002:7f00:1::1", "ff02::1", "fec0::1"])
def test_embedded_forms_stay_refused_even_when_private_and_loopback_are_allowed(address):
    with pytest.raises(UrlRefused):
        check_url(
            "https://hooks.example/x",
            allow_private=True,
            allow_loopback=True,
            resolve=resolver([address]),
        )


def test_every_resolved_address_must_pass():
    with pytest.raises(UrlRefused, match="169.254.169.254"):
        check_url("https://hooks.example/", resolve=resolver(["8.8.8.8", "169.254.169.254"]))
    checked = check_url("https://hooks.example/", resolve=resolver(["8.8.8.8", "2606:4700::1"]))
    assert [str(a) for a in checked.addresses] == ["8.8.8.8", "2606:4700::1"]


class Recorder(http.server.BaseHTTPRequestHandler):
    seen: list = []

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        Recorder.seen.append(self.headers["Host"])
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    Recorder.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_the_request_goes_to_the_checked_address_though_dns_has_changed(local_server):
    port = local_server.server_address[1]
    # First answer: the checked one. Any later lookup would rebind to the metadata service.
    resolve = resolver(["127.0.0.1"], ["169.254.169.254"])
    checked = check_url(f"http://hooks.example:{port}/hook", allow_loopback=True, resolve=resolve)
    with pinned_session(checked) as session:
        response = session.post(checked.url, data=b"{}", timeout=5)
    assert response.status_code == 204
    assert resolve.calls == ["hooks.example"]  # asked once, by the guard
    assert Recorder.seen == [f"hooks.example:{port}"]  # the Host header names the host


def test_https_to_the_checked_address_keeps_sni_and_certificate_checks(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=hooks.example", "-addext", "subjectAltName=DNS:hooks.example",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    names = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    Recorder.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        resolve = resolver(["127.0.0.1"])
        url = f"https://hooks.example:{port}/hook"
        checked = check_url(url, allow_loopback=True, resolve=resolve)
        with pinned_session(checked) as session:
            response = session.post(url, data=b"{}", timeout=5, verify=str(cert))
        assert response.status_code == 204
        assert names == ["hooks.example"] and Recorder.seen == [f"hooks.example:{port}"]
        # A certificate for another name is refused even at the right address.
        other = check_url(f"https://other.example:{port}/", allow_loopback=True, resolve=resolve)
        with pinned_session(other) as session, pytest.raises(Exception, match="other.example"):
            session.post(other.url, data=b"{}", timeout=5, verify=str(cert))
    finally:
        server.shutdown()
        server.server_close()


def test_proxies_from_the_environment_are_not_used(monkeypatch, local_server):
    monkeypatch.setenv("HTTP_PROXY", "http://169.254.169.254:3128")
    port = local_server.server_address[1]
    checked = check_url(
        f"http://hooks.example:{port}/", allow_loopback=True, resolve=resolver(["127.0.0.1"])
    )
    with pinned_session(checked) as session:
        assert session.post(checked.url, data=b"{}", timeout=5).status_code == 204
    assert os.environ["HTTP_PROXY"]  # it was there, and ignored
    assert url_guard.pinned_session(checked).trust_env is False

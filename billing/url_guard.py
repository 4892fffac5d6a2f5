"""Which webhook URLs we may POST to: refuse what would let an admin reach inside (SSRF).

A URL is checked when the endpoint is saved and again before every delivery (DNS may
have changed since). Every address the host resolves to must be allowed:

* never: link-local (169.254.0.0/16 with the cloud metadata service, fe80::/10),
  multicast, unspecified, reserved and other non-global ranges, unless
  `ALLOW_PRIVATE_WEBHOOK_URLS` is set;
* private ranges (10/8, 172.16/12, 192.168/16, fc00::/7, 100.64/10): only with
  `ALLOW_PRIVATE_WEBHOOK_URLS` (an ERP on the agency's own network);
* loopback (127/8, ::1): only with `ALLOW_LOOPBACK_WEBHOOK_URLS` (tests, a local relay);
* never, whatever the settings: IPv6 forms that carry or reach an IPv4 address
  (NAT64 64:ff9b::/96 and 64:ff9b:1::/48, 6to4 2002::/16, Teredo 2001::/32,
  IPv4-compatible ::/96), deprecated site-local fec0::/10, multicast and unspecified
  addresses. An IPv4-mapped address (::ffff:a.b.c.d) is judged as the IPv4 address.

Only http and https, no credentials in the URL. Redirects are never followed.

DNS is asked once: `check_url` returns the addresses it checked, and `pinned_session`
connects to the first of them while keeping the URL's host in the Host header, in
TLS SNI and in certificate verification, so a name that rebinds between the check and
the request (a short TTL, a hostile resolver) cannot send the request elsewhere.
"""

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

Resolver = Callable[[str, int], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# IPv6 prefixes that embed or translate to an IPv4 address; no webhook receiver needs one.
EMBEDDING_IPV4 = {
    "a NAT64 address": ipaddress.ip_network("64:ff9b::/96"),
    "a local NAT64 address": ipaddress.ip_network("64:ff9b:1::/48"),
    "a 6to4 address": ipaddress.ip_network("2002::/16"),
    "a Teredo address": ipaddress.ip_network("2001::/32"),
    "an IPv4-compatible address": ipaddress.ip_network("::/96"),
}
SITE_LOCAL = ipaddress.ip_network("fec0::/10")


@dataclass(frozen=True)
class CheckedUrl:
    """A URL that passed the guard, with the addresses its host resolved to then."""

    url: str
    host: str
    port: int
    addresses: tuple[IPAddress, ...]


class UrlRefused(ValueError):
    """The URL must not be used for webhooks; the message says why."""


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


def _address_refusal(address, *, allow_private: bool, allow_loopback: bool) -> str | None:
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            address = address.ipv4_mapped
        elif address.is_loopback or address.is_unspecified:
            pass  # ::1 and :: lie inside ::/96 but are judged below as what they are
        else:
            for name, network in EMBEDDING_IPV4.items():
                if address in network:
                    return f"{name} (it embeds an IPv4 address)"
            if address in SITE_LOCAL:
                return "a site-local address"
    if address.is_multicast or address.is_unspecified:
        return "not a unicast address"
    if address.is_loopback:
        return None if allow_loopback else "a loopback address"
    if address.is_global:
        return None
    if address.is_link_local:
        return None if allow_private else "a link-local (cloud metadata) address"
    if address.is_multicast or address.is_unspecified:
        return "not a unicast address"
    private = address.is_private or address in ipaddress.ip_network("100.64.0.0/10")
    if allow_private:
        return None
    return "a private network address" if private else "not a public address"


def check_url(
    url: str,
    *,
    allow_private: bool = False,
    allow_loopback: bool = False,
    resolve: Resolver | None = None,
) -> CheckedUrl:
    """Raise UrlRefused unless `url` is a plain http(s) URL whose host resolves only to
    addresses the settings allow; return them (connect to these, do not resolve again)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UrlRefused("Only http and https URLs are allowed.")
    if not parts.hostname:
        raise UrlRefused("The URL has no host.")
    if parts.username or parts.password:
        raise UrlRefused("Put no credentials in the URL; the signature authenticates us.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UrlRefused("The URL's port is not valid.") from None
    try:
        literal = ipaddress.ip_address(parts.hostname)
        addresses = [literal]
    except ValueError:
        try:
            answers = (resolve or _resolve)(parts.hostname, port)
            addresses = [ipaddress.ip_address(a.split("%")[0]) for a in answers]
        except (OSError, UnicodeError):
            raise UrlRefused(f"The host {parts.hostname!r} does not resolve.") from None
    if not addresses:
        raise UrlRefused(f"The host {parts.hostname!r} does not resolve.")
    for address in addresses:
        refusal = _address_refusal(
            address, allow_private=allow_private, allow_loopback=allow_loopback
        )
        if refusal:
            raise UrlRefused(f"{parts.hostname} resolves to {address}, {refusal}.")
    return CheckedUrl(url, parts.hostname, port, tuple(addresses))


class PinnedAdapter(HTTPAdapter):
    """Connects every request to one checked address; the URL's host stays the Host
    header, the TLS server name and the name the certificate must match."""

    def __init__(self, checked: CheckedUrl):
        self.checked = checked
        super().__init__(max_retries=0)

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        host_params, pool_kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = self.checked.host
            pool_kwargs["assert_hostname"] = self.checked.host
        return self.poolmanager.connection_from_host(
            host=str(self.checked.addresses[0]),
            port=host_params["port"] or self.checked.port,
            scheme=host_params["scheme"],
            pool_kwargs=pool_kwargs,
        )

    def add_headers(self, request, **kwargs):
        netloc = urlsplit(request.url).netloc.rpartition("@")[2]
        request.headers["Host"] = netloc


def pinned_session(checked: CheckedUrl) -> requests.Session:
    """A session that reaches `checked.url` only at the address that was checked (no
    proxies from the environment either: a proxy would resolve the name again)."""
    session = requests.Session()
    session.trust_env = False
    adapter = PinnedAdapter(checked)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session

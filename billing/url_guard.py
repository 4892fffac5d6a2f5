"""Which webhook URLs we may POST to: refuse what would let an admin reach inside (SSRF).

A URL is checked when the endpoint is saved and again before every delivery (DNS may
have changed since). Every address the host resolves to must be allowed:

* never: link-local (169.254.0.0/16 with the cloud metadata service, fe80::/10),
  multicast, unspecified, reserved and other non-global ranges, unless
  `ALLOW_PRIVATE_WEBHOOK_URLS` is set;
* private ranges (10/8, 172.16/12, 192.168/16, fc00::/7, 100.64/10): only with
  `ALLOW_PRIVATE_WEBHOOK_URLS` (an ERP on the agency's own network);
* loopback (127/8, ::1): only with `ALLOW_LOOPBACK_WEBHOOK_URLS` (tests, a local relay).

Only http and https, no credentials in the URL. Redirects are never followed.
"""

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

Resolver = Callable[[str, int], list[str]]


class UrlRefused(ValueError):
    """The URL must not be used for webhooks; the message says why."""


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


def _address_refusal(address, *, allow_private: bool, allow_loopback: bool) -> str | None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
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
    resolve: Resolver = _resolve,
) -> None:
    """Raise UrlRefused unless `url` is a plain http(s) URL whose host resolves only to
    addresses the settings allow."""
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
            addresses = [
                ipaddress.ip_address(a.split("%")[0]) for a in resolve(parts.hostname, port)
            ]
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

"""Where the grid service may POST a department's webhooks: https to a public address.

A registered URL is a request the grid service makes on a department's behalf (SSRF): left
open, a department account could make it call the database, the metadata service or any
host on the private network. So a URL must be https, and its host must not be, or resolve
to, a loopback, link-local, private, shared (CGNAT), multicast, reserved or unspecified
address, unless an operator names that host in GONGZHI_WEBHOOK_ALLOW_HOSTS (then plain http
is allowed too: a receiver on the operator's own network). Registration checks what the URL
says; the sender checks again where the name resolves at the moment it sends.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from shared.errors import Invalid

LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


class Refused(Exception):
    """The sender will not connect there."""


def allow_list(setting: str) -> frozenset[str]:
    """GONGZHI_WEBHOOK_ALLOW_HOSTS: host names or addresses, comma-separated."""
    return frozenset(h.strip().lower().strip("[]") for h in setting.split(",") if h.strip())


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback
    return ip.is_global and not ip.is_multicast


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def require_allowed(url: str, allowed: frozenset[str]) -> None:
    """422 naming `url` unless it is https to a host that is not local by its look (its
    address is checked again when sending)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        raise Invalid("a webhook URL needs a host", field="url")
    if host in allowed:
        return
    if parts.scheme != "https":
        raise Invalid(f"webhook URLs must be https ('{host}' is not on the operator's "
                      "allow-list for other schemes)", field="url")
    literal = _literal(host)
    if host in LOCAL_NAMES or host.endswith(".localhost") or (
            literal is not None and not is_public(literal)):
        raise Invalid(f"webhooks are not sent to '{host}': loopback, link-local, private and "
                      "unspecified addresses are refused unless an operator allows the host "
                      "(GONGZHI_WEBHOOK_ALLOW_HOSTS)", field="url")


async def require_public_now(url: str, allowed: frozenset[str]) -> str | None:
    """Raise Refused unless every address the URL's host resolves to right now is public
    (or the host is allowed by the operator): a name may be repointed after registration.
    Returns the address to connect to (None for an allowed host), so the POST goes where
    was checked rather than resolving the name a second time."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in allowed:
        return None
    try:
        require_allowed(url, allowed)
    except Invalid as exc:
        raise Refused(exc.detail) from None
    port = parts.port or 443
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port,
                                                             type=socket.SOCK_STREAM)
    except OSError as exc:
        raise Refused(f"'{host}' does not resolve: {exc}") from None
    addresses = [info[4][0] for info in infos]
    blocked = sorted({a for a in addresses if not is_public(a)})
    if blocked or not addresses:
        raise Refused(f"'{host}' resolves to {', '.join(blocked) or 'nothing'}, which is not "
                      "a public address")
    return addresses[0]


def pinned(url: str, address: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """The URL with its host replaced by the checked address, the Host header, and the TLS
    server name (the certificate is still checked against the name)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    at = f"[{address}]" if ":" in address else address
    netloc = at + (f":{parts.port}" if parts.port else "")
    return (parts._replace(netloc=netloc).geturl(),
            {"Host": host + (f":{parts.port}" if parts.port else "")},
            {"sni_hostname": host})

"""Where the gateway may send webhooks: the rules against server-side request forgery. No I/O.

A company types a URL; without these rules, it could make the gateway POST to the cluster's own
services, the cloud metadata endpoint (169.254.169.254) or anything on the city's internal
network. Refused: non-HTTPS, credentials in the URL, internal names, and any address that is not
globally routable (loopback, private, link-local, CGNAT, multicast, reserved, and the IPv4-mapped,
NAT64, 6to4 and Teredo forms of those). Local development may allow private targets and HTTP.
Resolving a name and connecting only to a checked address is the adapter's part
(adapters/webhook_targets.py).
"""

from __future__ import annotations

import ipaddress

MAX_URL_LENGTH = 2000
INTERNAL_SUFFIXES = (".localhost", ".local", ".internal", ".svc", ".cluster.local")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeTarget(ValueError):
    pass


def url_form_problem(url: str, *, scheme: str, host: str, has_userinfo: bool, allow_http: bool = False) -> str | None:
    """What is wrong with a webhook URL's form (its parts as a URL parser read them), or None."""
    if scheme not in (("https", "http") if allow_http else ("https",)):
        return "the URL must use https"
    if not host:
        return "the URL has no host"
    if has_userinfo:
        return "credentials in the URL are not allowed; the signature authenticates us"
    if len(url) > MAX_URL_LENGTH:
        return f"the URL is longer than {MAX_URL_LENGTH} characters"
    return None


def is_internal_name(host: str) -> bool:
    host = host.lower()
    return host == "localhost" or host.endswith(INTERNAL_SUFFIXES)


def address_problem(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why the gateway may not connect to `ip`, or None for a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address carried inside IPv6 (mapped, NAT64, 6to4, Teredo) is judged as itself.
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is None and ip in _NAT64:
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None:
            return address_problem(inner)
        if ip.is_site_local:
            return f"{ip} is a site-local address"
    if ip.is_global and not ip.is_multicast:
        return None
    for what, flag in (("loopback", ip.is_loopback), ("link-local", ip.is_link_local), ("private", ip.is_private),
                       ("multicast", ip.is_multicast), ("unspecified", ip.is_unspecified)):
        if flag:
            return f"{ip} is a {what} address"
    return f"{ip} is not a public address"


def host_problem(host: str, addresses: list[ipaddress.IPv4Address | ipaddress.IPv6Address]) -> str | None:
    """Why `host`, standing for `addresses`, is no place for a webhook; None when every address is public."""
    for ip in addresses:
        if problem := address_problem(ip):
            return f"{host}: {problem}"
    return None

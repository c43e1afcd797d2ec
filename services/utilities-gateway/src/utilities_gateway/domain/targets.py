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

from utilities_gateway.domain.phrases import Phrase

MAX_URL_LENGTH = 2000
INTERNAL_SUFFIXES = (".localhost", ".local", ".internal", ".svc", ".cluster.local")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# IPv6 is allowed only in global unicast; everything outside it (among others the deprecated
# IPv4-compatible ::/96 and the IPv4-translated ::ffff:0:0/96, which carry an IPv4 address that a
# stack may still route to) is refused, whatever Python's is_global says of it.
_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")


class UnsafeTarget(ValueError):
    pass


def url_form_problem(url: str, *, scheme: str, host: str, has_userinfo: bool, allow_http: bool = False) -> Phrase | None:
    """What is wrong with a webhook URL's form (its parts as a URL parser read them), or None."""
    if scheme not in (("https", "http") if allow_http else ("https",)):
        return Phrase("url-https")
    if not host:
        return Phrase("url-no-host")
    if has_userinfo:
        return Phrase("url-credentials")
    if len(url) > MAX_URL_LENGTH:
        return Phrase("url-too-long", most=MAX_URL_LENGTH)
    return None


def is_internal_name(host: str) -> bool:
    host = host.lower()
    return host == "localhost" or host.endswith(INTERNAL_SUFFIXES)


def address_problem(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> Phrase | None:
    """Why the gateway may not connect to `ip`, or None for a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address carried inside IPv6 (mapped, NAT64, 6to4, Teredo) is judged as itself.
        low_bits = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if (ip in _IPV4_COMPATIBLE and int(ip) > 1) or ip in _IPV4_TRANSLATED:  # (:: and ::1 are themselves)
            # Deprecated or translator-only forms: never a webhook endpoint's address, and a stack
            # may still route them to the IPv4 address inside (::a9fe:a9fe is the metadata endpoint).
            return address_problem(low_bits) or Phrase("address-not-global-ipv6", ip=ip)
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is None and ip in _NAT64:
            inner = low_bits  # what DNS64 gives for an IPv4-only host: judged as that host
        if inner is not None:
            return address_problem(inner)
        if ip.is_site_local:
            return Phrase("address-site-local", ip=ip)
    public = ip.is_global and not ip.is_multicast
    if public and (isinstance(ip, ipaddress.IPv4Address) or ip in _GLOBAL_UNICAST):
        return None
    for what, flag in (("loopback", ip.is_loopback), ("link-local", ip.is_link_local), ("private", ip.is_private),
                       ("multicast", ip.is_multicast), ("unspecified", ip.is_unspecified)):
        if flag:
            return Phrase(f"address-{what}", ip=ip)
    if public:
        return Phrase("address-not-global-ipv6", ip=ip)
    return Phrase("address-not-public", ip=ip)


def host_problem(host: str, addresses: list[ipaddress.IPv4Address | ipaddress.IPv6Address]) -> Phrase | None:
    """Why `host`, standing for `addresses`, is no place for a webhook; None when every address is public.
    A name's addresses are not told: the answer goes back to the company, and what an internal name
    resolves to is the city's network map, not theirs."""
    literal = _is_literal(host)
    for ip in addresses:
        if problem := address_problem(ip):
            return Phrase("host-address", host=host, problem=problem) if literal else Phrase("host-not-public", host=host)
    return None


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False

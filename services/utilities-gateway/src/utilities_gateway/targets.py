"""Where the gateway may send webhooks: guards against server-side request forgery.

A company types a URL; without a guard, it could make the gateway POST to the cluster's own
services, the cloud metadata endpoint (169.254.169.254) or anything on the city's internal
network. Refused: non-HTTPS, credentials in the URL, and any host that is or resolves to an
address that is not globally routable (loopback, private, link-local, CGNAT, multicast, reserved,
IPv4-mapped forms of those). Checked when an endpoint is saved and again before every attempt,
because DNS may change between the two. Local development may allow private targets and HTTP.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import httpx


class UnsafeTarget(ValueError):
    pass


def _address_problem(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_global and not ip.is_multicast:
        return None
    for what, flag in (("loopback", ip.is_loopback), ("link-local", ip.is_link_local), ("private", ip.is_private),
                       ("multicast", ip.is_multicast), ("unspecified", ip.is_unspecified)):
        if flag:
            return f"{ip} is a {what} address"
    return f"{ip} is not a public address"


def check_url(url: str, *, allow_http: bool = False) -> httpx.URL:
    """The parsed URL, or UnsafeTarget saying what is wrong with its form."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise UnsafeTarget(f"not a URL: {exc}") from None
    if parsed.scheme not in (("https", "http") if allow_http else ("https",)):
        raise UnsafeTarget("the URL must use https")
    if not parsed.host:
        raise UnsafeTarget("the URL has no host")
    if parsed.userinfo:
        raise UnsafeTarget("credentials in the URL are not allowed; the signature authenticates us")
    if len(url) > 2000:
        raise UnsafeTarget("the URL is longer than 2000 characters")
    return parsed


async def check_target(url: str, *, allow_private: bool = False, allow_http: bool = False) -> None:
    parsed = check_url(url, allow_http=allow_http)
    if allow_private:
        return
    host = parsed.host
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        if host.lower() in ("localhost",) or host.lower().endswith((".localhost", ".local", ".internal", ".svc",
                                                                    ".cluster.local")):
            raise UnsafeTarget(f"{host} is an internal name") from None
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, parsed.port or 443, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise UnsafeTarget(f"{host} does not resolve: {exc.strerror or exc}") from None
        addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    for ip in addresses:
        if problem := _address_problem(ip):
            raise UnsafeTarget(f"{host}: {problem}")

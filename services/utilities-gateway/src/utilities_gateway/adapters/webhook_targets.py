"""Where the gateway may send webhooks: guards against server-side request forgery.

A company types a URL; without a guard, it could make the gateway POST to the cluster's own
services, the cloud metadata endpoint (169.254.169.254) or anything on the city's internal
network. Refused: non-HTTPS, credentials in the URL, and any host that is or resolves to an
address that is not globally routable (loopback, private, link-local, CGNAT, multicast, reserved,
IPv4-mapped forms of those). Checked when an endpoint is saved, and at the moment of every
connection by the network backend the dispatcher's HTTP clients use: it resolves the name, checks
every address, and connects to the checked one (TLS still verifies the certificate for the name),
so a DNS answer that changes between a check and the connection (DNS rebinding) gains nothing.
Local development may allow private targets and HTTP.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable

import httpcore
import httpx


class UnsafeTarget(ValueError):
    pass


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _address_problem(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address carried inside IPv6 (mapped, NAT64, 6to4, Teredo) is judged as itself.
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is None and ip in _NAT64:
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None:
            return _address_problem(inner)
        if ip.is_site_local:
            return f"{ip} is a site-local address"
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


Resolver = Callable[[str, int], Awaitable[list[str]]]


async def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UnsafeTarget(f"{host} does not resolve: {exc.strerror or exc}") from None
    return [info[4][0].split("%")[0] for info in infos]


async def safe_addresses(host: str, port: int, resolve: Resolver = _resolve) -> list[str]:
    """The public addresses `host` stands for; UnsafeTarget if it is, or resolves to, any other."""
    try:
        addresses = [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        if host.lower() == "localhost" or host.lower().endswith((".localhost", ".local", ".internal", ".svc",
                                                                 ".cluster.local")):
            raise UnsafeTarget(f"{host} is an internal name") from None
        addresses = [ipaddress.ip_address(a) for a in await resolve(host, port)]
    for ip in addresses:
        if problem := _address_problem(ip):
            raise UnsafeTarget(f"{host}: {problem}")
    return [str(ip) for ip in addresses]


async def check_target(url: str, *, allow_private: bool = False, allow_http: bool = False) -> None:
    parsed = check_url(url, allow_http=allow_http)
    if not allow_private:
        await safe_addresses(parsed.host, parsed.port or 443)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to addresses `safe_addresses` approved."""

    def __init__(self, resolve: Resolver = _resolve) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._resolve = resolve

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            address = (await safe_addresses(host, port, self._resolve))[0]
        except UnsafeTarget as exc:
            raise httpcore.ConnectError(f"refused target: {exc}") from exc
        return await self._inner.connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                             socket_options=socket_options)

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise httpcore.ConnectError("webhooks go over TCP only")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_transport(*, allow_private: bool, max_connections: int) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose every connection goes through GuardedBackend (unless private
    targets are allowed, for local development)."""
    transport = httpx.AsyncHTTPTransport(trust_env=False, limits=httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections))
    if not allow_private:
        # httpx does not take a network backend; its pool (httpcore's) does.
        transport._pool = httpcore.AsyncConnectionPool(  # noqa: SLF001
            ssl_context=httpx.create_ssl_context(), max_connections=max_connections,
            max_keepalive_connections=max_connections, keepalive_expiry=5.0, network_backend=GuardedBackend())
    return transport

"""Webhook targets, checked at the moment of connecting: the network side of the SSRF rules.

The rules themselves (which URLs, names and addresses are refused) are domain/targets.py. Here a
URL is parsed, a name is resolved, and the dispatcher's HTTP clients get a network backend that
resolves the name, checks every address, and connects to the checked one (TLS still verifies the
certificate for the name), so a DNS answer that changes between a check and the connection (DNS
rebinding) gains nothing.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable

import httpcore
import httpx

from utilities_gateway.domain.phrases import Phrase
from utilities_gateway.domain.targets import UnsafeTarget, host_problem, is_internal_name, url_form_problem


def check_url(url: str, *, allow_http: bool = False) -> httpx.URL:
    """The parsed URL, or UnsafeTarget saying what is wrong with its form."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise UnsafeTarget(Phrase("not-a-url", reason=str(exc))) from None
    if problem := url_form_problem(url, scheme=parsed.scheme, host=parsed.host, has_userinfo=bool(parsed.userinfo),
                                   allow_http=allow_http):
        raise UnsafeTarget(problem)
    return parsed


Resolver = Callable[[str, int], Awaitable[list[str]]]


async def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UnsafeTarget(Phrase("host-does-not-resolve", host=host, reason=exc.strerror or str(exc))) from None
    return [info[4][0].split("%")[0] for info in infos]


async def safe_addresses(host: str, port: int, resolve: Resolver = _resolve) -> list[str]:
    """The public addresses `host` stands for; UnsafeTarget if it is, or resolves to, any other."""
    try:
        addresses = [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        if is_internal_name(host):
            raise UnsafeTarget(Phrase("host-internal", host=host)) from None
        addresses = [ipaddress.ip_address(a) for a in await resolve(host, port)]
    if problem := host_problem(host, addresses):
        raise UnsafeTarget(problem)
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

"""uvloop's event loop, without the thread pool its ``create_server`` starts for a numeric address.

uvloop resolves the host of every ``create_server(host=..., port=...)`` with
libuv's ``getaddrinfo``, which starts libuv's pool of four threads for the
life of the process, ``127.0.0.1`` included. From then on the process has
five threads, and glibc takes its multi-threaded path at every ``read`` and
``send`` (a cancellation point's bookkeeping) and at every mutex (the
GIL's, taken at each of uvloop's callbacks): 1.3% of a server's CPU per
message of the echo of 64 connections (``perf record`` of the server; the
pool's threads sleep all along). ``Loop`` binds the socket of an IP address
itself, as uvloop would (``SO_REUSEADDR`` where uvloop sets it, IPv6 only
on an IPv6 address, uvloop's words when the address is taken), and hands
it to uvloop; a name (``localhost``) is resolved by uvloop as before.

``fastws run`` serves on it wherever uvicorn would take uvloop; with
uvicorn's own command: ``uvicorn --loop fastws.loop:new_event_loop``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import sys
from typing import Any

import uvloop

__all__ = ["Loop", "new_event_loop"]

# what uvloop's create_server does when reuse_address is None
_REUSE_ADDRESS = os.name == "posix" and sys.platform != "cygwin"


class Loop(uvloop.Loop):
    """``uvloop.Loop``, whose ``create_server`` binds an IP address's socket itself (no ``getaddrinfo``)."""

    async def create_server(
        self,
        protocol_factory: Any,
        host: Any = None,
        port: Any = None,
        *,
        family: int = socket.AF_UNSPEC,
        flags: int = socket.AI_PASSIVE,
        sock: socket.socket | None = None,
        backlog: int = 100,
        ssl: Any = None,
        reuse_address: bool | None = None,
        reuse_port: bool | None = None,
        **rest: Any,
    ) -> asyncio.Server:
        """``uvloop.Loop.create_server``; a numeric ``host`` and an ``int`` ``port`` on a socket bound here."""
        address = _ip_address(host, family)
        if address is None or sock is not None or not isinstance(port, int):
            return await super().create_server(  # type: ignore[return-value]  # uvloop's Server, typed abstract
                protocol_factory, host, port, family=family, flags=flags, sock=sock, backlog=backlog, ssl=ssl,
                reuse_address=reuse_address, reuse_port=reuse_port, **rest,
            )  # fmt: skip
        bound = _bound(address, port, _REUSE_ADDRESS if reuse_address is None else reuse_address, bool(reuse_port))
        try:
            server = await super().create_server(protocol_factory, sock=bound, backlog=backlog, ssl=ssl, **rest)
        except BaseException:
            bound.close()
            raise
        return server  # type: ignore[return-value]  # uvloop's Server, typed abstract


def new_event_loop() -> Loop:
    """A new ``Loop`` (uvicorn's ``--loop fastws.loop:new_event_loop``)."""
    return Loop()


def _ip_address(host: object, family: int) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """``host`` as an IP address of ``family`` (``AF_UNSPEC``: either), or None where uvloop must resolve it."""
    if not isinstance(host, str) or "%" in host:  # a scoped IPv6 address: left to getaddrinfo
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    wanted = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    return address if family in (socket.AF_UNSPEC, wanted) else None


def _bound(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, port: int, reuse_address: bool, reuse_port: bool
) -> socket.socket:
    """A TCP socket bound to ``address`` and ``port``, set as uvloop's ``create_server`` sets its own."""
    if reuse_port and not hasattr(socket, "SO_REUSEPORT"):
        raise ValueError("reuse_port not supported by socket module")  # uvloop's words
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        if reuse_address:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6 and hasattr(socket, "IPV6_V6ONLY"):
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)  # no dual stack, as uvloop
        where: tuple[Any, ...] = (str(address), port) if family == socket.AF_INET else (str(address), port, 0, 0)
        try:
            sock.bind(where)
        except OSError as error:
            strerror = (error.strerror or str(error)).lower()
            raise OSError(error.errno, f"error while attempting to bind on address {where!r}: {strerror}") from None
    except BaseException:
        sock.close()
        raise
    return sock

"""``fastws.loop``: uvloop's loop, binding an IP address's socket itself, as uvloop's ``create_server`` would."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
import uvloop

from fastws.loop import Loop, new_event_loop

LOOPS = [pytest.param(uvloop.new_event_loop, id="uvloop"), pytest.param(new_event_loop, id="fastws")]


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


ADDRESSES = [
    "127.0.0.1",
    "0.0.0.0",
    pytest.param("::1", marks=pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6")),
]


def _on(make_loop: Callable[[], asyncio.AbstractEventLoop], check: Callable[[], Any]) -> Any:
    loop = make_loop()
    try:
        return loop.run_until_complete(check())
    finally:
        loop.close()


def _listening(host: str, make_loop: Callable[[], asyncio.AbstractEventLoop]) -> tuple[Any, ...]:
    """What a server of ``make_loop``'s on ``host`` listens with: family, address, socket options; and it answers."""

    async def check() -> tuple[Any, ...]:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(asyncio.Protocol, host, 0)
        try:
            sock = server.sockets[0]
            name = sock.getsockname()
            _, writer = await asyncio.open_connection(name[0], name[1])
            writer.close()
            v6only = (
                sock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) if sock.family == socket.AF_INET6 else None
            )
            return sock.family, name[0], sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) != 0, v6only
        finally:
            server.close()
            await server.wait_closed()

    return _on(make_loop, check)  # type: ignore[no-any-return]


@pytest.mark.parametrize("host", ADDRESSES)
def test_an_ip_address_is_listened_on_as_uvloop_does(host: str) -> None:
    assert _listening(host, new_event_loop) == _listening(host, uvloop.new_event_loop)


def test_a_name_is_resolved_by_uvloop() -> None:
    assert _listening("localhost", new_event_loop)[1] in ("127.0.0.1", "::1")


@pytest.mark.parametrize("make_loop", LOOPS)
def test_an_address_in_use_is_refused_in_uvloops_words(make_loop: Callable[[], asyncio.AbstractEventLoop]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        async def check() -> None:
            with pytest.raises(OSError) as refused:
                await asyncio.get_running_loop().create_server(asyncio.Protocol, "127.0.0.1", port)
            assert refused.value.errno == 98 or sys.platform != "linux"
            assert str(refused.value).endswith(
                f"error while attempting to bind on address ('127.0.0.1', {port}): address already in use"
            )

        _on(make_loop, check)


def test_a_socket_given_is_served_as_it_is() -> None:
    async def check() -> None:
        with socket.socket() as given:
            given.bind(("127.0.0.1", 0))
            server = await asyncio.get_running_loop().create_server(asyncio.Protocol, sock=given)
            assert server.sockets[0].getsockname() == given.getsockname()
            server.close()

    _on(new_event_loop, check)


def test_new_event_loop_is_uvloops() -> None:
    loop = new_event_loop()
    try:
        assert isinstance(loop, Loop) and isinstance(loop, uvloop.Loop)
    finally:
        loop.close()


SERVE_AND_COUNT_THREADS = """
import asyncio, os, sys
from fastws.loop import new_event_loop

async def main():
    server = await asyncio.get_running_loop().create_server(asyncio.Protocol, "127.0.0.1", 0)
    print(len(os.listdir("/proc/self/task")))
    server.close()

new_event_loop().run_until_complete(main())
"""


@pytest.mark.skipif(sys.platform != "linux", reason="counts the threads in /proc")
def test_a_server_on_an_ip_address_starts_no_thread() -> None:
    # uvloop's own create_server starts libuv's pool of four threads here (its getaddrinfo): five in all,
    # and glibc's multi-threaded path at each read, send and mutex from then on
    out = subprocess.run([sys.executable, "-c", SERVE_AND_COUNT_THREADS], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1"]

"""``SocketTransport``: a socket read and written by fastws itself, with asyncio's transport meanings.

Each test runs both twins on both loops, over a real socket pair: what the
peer sends reaches ``buffer_updated`` in order; the peer's end is
``eof_received`` then one ``connection_lost``; ``write`` keeps in order what
the socket does not take, pausing and resuming the protocol's writing at the
water marks; ``close`` flushes first, ``abort`` resets; a closed transport
holds nothing of its protocol.
"""

from __future__ import annotations

import asyncio
import gc
import os
import socket
import weakref
from collections.abc import Callable, Coroutine, Iterator
from types import ModuleType
from typing import Any

import pytest
import uvloop

from fastws import _read_buffer

LOOPS = pytest.mark.parametrize("start", [asyncio.run, uvloop.run], ids=["asyncio", "uvloop"])
Start = Callable[[Coroutine[Any, Any, None]], None]


class Recorder:
    """A protocol that writes down what its transport tells it."""

    def __init__(self) -> None:
        self.received = bytearray()
        self.calls: list[str] = []
        self.lost: asyncio.Future[Exception | None] = asyncio.get_running_loop().create_future()
        self.eof = False

    def buffer_updated(self, nbytes: int) -> None:
        self.received += _read_buffer.this_thread()[:nbytes]

    def eof_received(self) -> bool | None:
        self.calls.append("eof")
        return None

    def connection_lost(self, error: Exception | None) -> None:
        self.calls.append("lost")
        self.lost.set_result(error)

    def pause_writing(self) -> None:
        self.calls.append("pause")

    def resume_writing(self) -> None:
        self.calls.append("resume")


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, peer = socket.socketpair()
    ours.setblocking(False)
    peer.setblocking(False)
    try:
        yield ours, peer
    finally:
        ours.close()
        peer.close()


def _open(module: ModuleType, ours: socket.socket) -> tuple[Any, Recorder, int]:
    """A transport over ``ours``'s descriptor (``ours`` lets go of it: the transport closes it), reading; its
    protocol; the descriptor."""
    protocol = Recorder()
    fd = ours.detach()
    transport = module.SocketTransport(asyncio.get_running_loop(), fd, protocol)
    transport.resume_reading()
    return transport, protocol, fd


def _tcp_pair() -> tuple[socket.socket, socket.socket]:
    """Two ends of a loopback TCP connection, non-blocking, with small buffers (a reset is TCP's)."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        peer = socket.socket()
        peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        peer.connect(listener.getsockname())
        ours, _ = listener.accept()
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
    ours.setblocking(False)
    peer.setblocking(False)
    return ours, peer


async def _read_all(peer: socket.socket, until_eof: bool = True) -> bytes:
    """What ``peer`` reads: to the end of the stream, or (``until_eof`` False) what is there now."""
    got = bytearray()
    while True:
        try:
            more = peer.recv(1 << 20)
        except BlockingIOError:
            if not until_eof:
                return bytes(got)
            await asyncio.sleep(0.001)
            continue
        if not more:
            return bytes(got)
        got += more
        await asyncio.sleep(0)


def _closed(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return True
    return False


@LOOPS
def test_what_the_peer_sends_reaches_the_protocol_then_its_end_is_eof_and_one_loss(
    socket_transport: ModuleType, pair: tuple[socket.socket, socket.socket], start: Start
) -> None:
    ours, peer = pair

    async def main() -> None:
        transport, protocol, fd = _open(socket_transport, ours)
        peer.sendall(b"first")
        while len(protocol.received) < 5:
            await asyncio.sleep(0.001)
        peer.sendall(b" second")
        peer.shutdown(socket.SHUT_WR)
        assert await asyncio.wait_for(protocol.lost, 5) is None
        assert bytes(protocol.received) == b"first second"
        assert protocol.calls == ["eof", "lost"]  # the protocol's eof_received said close: closed, once
        assert transport.is_closing() and _closed(fd)
        assert transport.get_protocol() is None  # it let go of its protocol

    start(main())


@LOOPS
def test_new_water_marks_under_what_is_kept_pause_writing_at_once_as_asyncio(
    socket_transport: ModuleType, pair: tuple[socket.socket, socket.socket], start: Start
) -> None:
    ours, _peer = pair

    async def main() -> None:
        transport, protocol, _ = _open(socket_transport, ours)
        transport.set_write_buffer_limits(high=1 << 30)
        for _ in range(40):
            transport.write(bytes(50_000))  # 2 MB, under these limits
        assert protocol.calls == [] and transport.get_write_buffer_size() > 1000
        transport.set_write_buffer_limits(high=1000)
        assert protocol.calls == ["pause"]
        with pytest.raises(TypeError):
            transport.set_write_buffer_limits(high=1000.5)
        with pytest.raises(OverflowError):
            transport.set_write_buffer_limits(high=1 << 63)
        assert transport.get_write_buffer_limits() == (250, 1000)
        transport.abort()

    start(main())


@LOOPS
def test_what_the_socket_does_not_take_is_kept_in_order_between_the_water_marks(
    socket_transport: ModuleType, pair: tuple[socket.socket, socket.socket], start: Start
) -> None:
    ours, peer = pair
    chunks = [bytes([i]) * 50_000 for i in range(40)]  # 2 MB: more than the socket buffers hold

    async def main() -> None:
        transport, protocol, _ = _open(socket_transport, ours)
        transport.set_write_buffer_limits(high=100_000)
        assert transport.get_write_buffer_limits() == (25_000, 100_000)
        text = bytearray(b"changed later")
        for chunk in chunks:
            transport.write(chunk)
        transport.write(text)
        text[:] = b"X" * len(text)  # what the caller may change was copied
        assert transport.get_write_buffer_size() > 100_000 and protocol.calls == ["pause"]
        got = bytearray()
        while len(got) < sum(map(len, chunks)) + 13:
            got += await _read_all(peer, until_eof=False)
            await asyncio.sleep(0.001)
        assert bytes(got) == b"".join(chunks) + b"changed later"
        assert transport.get_write_buffer_size() == 0 and protocol.calls == ["pause", "resume"]
        transport.close()
        assert await asyncio.wait_for(protocol.lost, 5) is None

    start(main())


@LOOPS
def test_close_writes_what_is_kept_first_and_abort_drops_it_with_a_reset(
    socket_transport: ModuleType, start: Start
) -> None:
    payload = b"z" * 3_000_000

    async def main() -> None:
        for how in ("close", "abort"):
            ours, peer = _tcp_pair()
            with ours, peer:
                transport, protocol, fd = _open(socket_transport, ours)
                transport.write(payload)
                assert transport.get_write_buffer_size() > 0
                getattr(transport, how)()
                transport.write(b"late")  # written after close: kept behind the rest; after abort: dropped
                if how == "close":
                    got = await _read_all(peer)  # to the end of the stream: all of it, then EOF
                    assert got == payload + b"late"
                    assert await asyncio.wait_for(protocol.lost, 5) is None
                else:
                    assert await asyncio.wait_for(protocol.lost, 5) is None
                    with pytest.raises(ConnectionResetError):
                        await _read_all(peer)
                assert _closed(fd) and protocol.calls.count("lost") == 1

    start(main())


@LOOPS
def test_a_broken_connection_is_lost_with_its_error(
    socket_transport: ModuleType, pair: tuple[socket.socket, socket.socket], start: Start
) -> None:
    ours, peer = pair

    async def main() -> None:
        transport, protocol, _ = _open(socket_transport, ours)
        peer.close()
        for _ in range(3):  # a reset shows at a write after the first
            transport.write(b"x" * 100_000)
            await asyncio.sleep(0.01)
        error = await asyncio.wait_for(protocol.lost, 5)
        assert isinstance(error, (BrokenPipeError, ConnectionResetError))
        assert protocol.calls.count("lost") == 1 and transport.get_write_buffer_size() == 0
        transport.write(b"after")  # dropped, as asyncio does once the connection is lost

    start(main())


@LOOPS
def test_a_closed_transport_and_its_protocol_are_freed_without_the_cyclic_gc(
    socket_transport: ModuleType, pair: tuple[socket.socket, socket.socket], start: Start
) -> None:
    ours, _peer = pair

    def transports() -> int:
        return sum(type(o) is socket_transport.SocketTransport for o in gc.get_objects())

    async def main() -> None:
        before = transports()  # (the transport keeps no weak-reference slot: it is counted among the GC's)
        transport, protocol, _ = _open(socket_transport, ours)
        gone = weakref.ref(protocol)
        transport.close()
        await asyncio.wait_for(protocol.lost, 5)
        del transport, protocol
        await asyncio.sleep(0)
        assert gone() is None and transports() == before

    gc.collect()  # what earlier tests left in cycles
    gc.disable()
    try:
        start(main())
    finally:
        gc.enable()


@LOOPS
def test_its_extra_info_is_the_sockets(socket_transport: ModuleType, start: Start) -> None:
    async def main() -> None:
        ours, peer = _tcp_pair()
        with ours, peer:
            transport, protocol, fd = _open(socket_transport, ours)
            assert transport.get_extra_info("peername") == peer.getsockname()
            assert transport.get_extra_info("sockname") == peer.getpeername()
            assert transport.get_extra_info("sslcontext", "none") == "none"
            assert transport.get_extra_info("socket") is None  # it owns the descriptor: no socket to lend
            assert not _closed(fd)  # what it looked at, it closed; its own descriptor stays open
            transport.abort()
            await asyncio.wait_for(protocol.lost, 5)
            assert transport.get_extra_info("peername") is None

    start(main())


@LOOPS
def test_a_protocol_that_fails_on_what_it_was_given_is_reported_and_dropped(
    socket_transport: ModuleType, pair: tuple[socket.socket, socket.socket], start: Start
) -> None:
    """As asyncio's and uvloop's transports do: the loop's exception handler hears of it, the connection is
    lost with the error."""
    ours, peer = pair
    reported: list[str] = []

    class Failing(Recorder):
        def buffer_updated(self, nbytes: int) -> None:
            raise ValueError("a bug")

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _, context: reported.append(context["message"]))
        protocol = Failing()
        transport = socket_transport.SocketTransport(loop, ours.detach(), protocol)
        transport.resume_reading()
        peer.sendall(b"anything")
        error = await asyncio.wait_for(protocol.lost, 5)
        assert isinstance(error, ValueError) and transport.is_closing()
        assert reported == ["Fatal error: protocol.buffer_updated() call failed."]

    start(main())

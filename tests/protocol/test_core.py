"""``ProtocolCore``, the hot half of the protocol, on each twin, through a recording transport.

The rest of ``tests/protocol`` runs the whole ``WebSocketProtocol`` over
loopback on the live twin (CI runs the suite once per twin); these tests
drive each twin's core alone, in one process: frames in, the app's
``receive``, the bounds on what waits for it, and frames out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from fastws import _protocol_core
from fastws.protocol import State, WebSocketProtocol
from fastws.wire import codec
from fastws.wire.events import Ping
from tests.helpers.frames import client_frame, server_frame

TEXT, BINARY, PING = 0x1, 0x2, 0x9


class Transport(asyncio.Transport):
    """Keeps what is written and how often reading paused and resumed; not a socket (no fd)."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.pauses = self.resumes = 0

    def write(self, data: Any) -> None:
        self.written.append(bytes(data))

    def pause_reading(self) -> None:
        self.pauses += 1

    def resume_reading(self) -> None:
        self.resumes += 1

    def is_closing(self) -> bool:
        return False

    def get_write_buffer_size(self) -> int:
        return 0


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def opened(twin: ModuleType, loop: asyncio.AbstractEventLoop, max_queue: int = 2, max_queue_bytes: int = 1000) -> Any:
    """A core of ``twin``, open, on a recording transport; the pings it hands to the cold half kept in ``pings``."""

    class Core(twin.ProtocolCore, asyncio.Protocol):  # type: ignore[misc,name-defined]
        __slots__ = ("pings",)

        def _ping_received(self, event: Ping) -> None:
            self.pings.append(event.payload)

    core = Core(loop, codec.Connection(), max_queue, max_queue_bytes)
    core.pings = []
    core.transport = Transport()
    core.scope = {"type": "websocket"}
    core.state = State.OPEN
    return core


def test_the_cold_half_shadows_no_field_of_the_core() -> None:
    # a slot of the same name in WebSocketProtocol would hide the compiled core's C field from Python
    # code: the two halves would each see a different value
    assert not set(WebSocketProtocol.__slots__) & set(_protocol_core.ProtocolCore.__slots__)
    for name in _protocol_core.ProtocolCore.__slots__:
        assert name not in WebSocketProtocol.__dict__, name


def test_messages_wait_for_receive_and_reading_pauses_at_max_queue(
    protocol_core: ModuleType, loop: asyncio.AbstractEventLoop
) -> None:
    core = opened(protocol_core, loop, max_queue=2)
    core.data_received(client_frame(TEXT, b"one") + client_frame(BINARY, b"\x00\x01"))
    assert core.transport.pauses == 1  # two messages wait: the bound
    assert core.queued_bytes() == 5
    first = core.receive()
    assert first.done() and first.result() == {"type": "websocket.receive", "text": "one"}
    assert core.transport.resumes == 1  # down to half the bound
    assert core.receive().result() == {"type": "websocket.receive", "bytes": b"\x00\x01"}
    assert core.queued_bytes() == 0
    waiting = core.receive()
    assert not waiting.done()
    core.data_received(client_frame(TEXT, b"two"))
    assert waiting.result() == {"type": "websocket.receive", "text": "two"}  # handed over, not queued
    assert core.queued_bytes() == 0 and core.transport.pauses == 1


def test_reading_pauses_at_max_queue_bytes(protocol_core: ModuleType, loop: asyncio.AbstractEventLoop) -> None:
    core = opened(protocol_core, loop, max_queue=100, max_queue_bytes=10)
    core.data_received(client_frame(TEXT, b"x" * 6) + client_frame(TEXT, b"y" * 6))
    assert core.transport.pauses == 1 and core.queued_bytes() == 12


def test_control_frames_go_to_the_cold_half(protocol_core: ModuleType, loop: asyncio.AbstractEventLoop) -> None:
    core = opened(protocol_core, loop)
    core.data_received(client_frame(PING, b"hi"))
    assert core.pings == [b"hi"]


def test_messages_after_the_close_are_dropped(protocol_core: ModuleType, loop: asyncio.AbstractEventLoop) -> None:
    core = opened(protocol_core, loop)
    core.state = State.CLOSING
    core.data_received(client_frame(TEXT, b"late"))
    assert core.queued_bytes() == 0
    assert not core.receive().done()


def test_writes(protocol_core: ModuleType, loop: asyncio.AbstractEventLoop) -> None:
    core = opened(protocol_core, loop)
    assert core.write_text("hé") and core.write_bytes(b"\x01")
    large = "a" * _protocol_core.LARGE_MESSAGE  # header and text apart, the text's own bytes
    assert core.write_text(large)
    frames = [server_frame(data) for data in core.transport.written[:2]]
    assert frames == [(0x80 | TEXT, 3, "hé".encode()), (0x80 | BINARY, 1, b"\x01")]
    assert server_frame(b"".join(core.transport.written[2:])) == (0x80 | TEXT, len(large), large.encode())
    core.transport.written.clear()
    assert core.deliver_frame(b"frame")
    core._drained = loop.create_future()  # writing paused
    assert not core.deliver_frame(b"frame") and not core.write_text("x") and not core.write_bytes(b"x")
    assert core.writing_paused()
    core._drained = None
    core.state = State.PEER_GONE
    assert not core.deliver_frame(b"frame") and not core.is_open()
    assert core.transport.written == [b"frame"]


def test_receive_after_the_connection_is_gone(protocol_core: ModuleType, loop: asyncio.AbstractEventLoop) -> None:
    core = opened(protocol_core, loop)
    core.state = State.CLOSED
    core._disconnect_code = 1006
    assert core.receive().result() == {"type": "websocket.disconnect", "code": 1006}

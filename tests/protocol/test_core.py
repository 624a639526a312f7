"""``ProtocolCore``, the protocol's body, on each twin, through a recording transport.

The rest of ``tests/protocol`` runs ``WebSocketProtocol`` over loopback on
the live twin (CI runs the suite once per twin); these tests drive each
twin's core in one process, with no app: frames in, the app's ``receive``,
the bounds on what waits for it, and frames out.
"""

from __future__ import annotations

import asyncio
import socket
import tracemalloc
from collections.abc import Iterator
from types import MappingProxyType, ModuleType
from typing import Any

import pytest
import uvicorn
import uvloop
from uvicorn.server import ServerState

from fastws import _app_run, _protocol_core, _read_buffer
from fastws.protocol import State, WebSocketProtocol
from fastws.timer_wheel import TimerWheel
from fastws.wire import codec
from tests.helpers.cores import Transport, app, app_taking, opened
from tests.helpers.frames import client_frame, server_frame

TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def test_the_protocol_class_shadows_no_field_of_the_core() -> None:
    # a slot or an attribute of the same name in WebSocketProtocol would hide the compiled core's C
    # field from Python code: the core and the rest would each see a different value
    assert WebSocketProtocol.__slots__ == ()
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


def test_receive_makes_no_future_for_an_event_already_here(
    protocol_core: ModuleType, loop: asyncio.AbstractEventLoop
) -> None:
    core = opened(protocol_core, loop)
    waiting = core.receive()
    assert type(waiting) is asyncio.Future  # asyncio's own: the app's Task awaits it on its fast path
    core.data_received(client_frame(TEXT, b"one") + client_frame(TEXT, b"two"))
    assert waiting.result() == {"type": "websocket.receive", "text": "one"}
    here = core.receive()  # queued: a done future of the event, no asyncio.Future made and set
    assert type(here).__name__ == "ReadyEvent" and asyncio.isfuture(here)
    assert loop.run_until_complete(_awaited(here)) == {"type": "websocket.receive", "text": "two"}


def test_receive_makes_its_futures_on_the_protocols_loop(protocol_core: ModuleType) -> None:
    # one server on one loop, then on another (a Config served again): each connection's on its own
    class Protocol(protocol_core.ProtocolCore, asyncio.Protocol):  # type: ignore[misc,name-defined]
        __slots__ = ()

    config = uvicorn.Config(app, ws_ping_interval=None, log_level="warning")
    server = ServerState()
    loops = [asyncio.new_event_loop(), uvloop.new_event_loop(), asyncio.new_event_loop()]
    try:
        for loop in loops:
            core = Protocol(config, server, {}, loop)
            core.connection_made(Transport())
            core.scope, core.state = {"type": "websocket"}, State.OPEN
            waiting = core.receive()
            assert type(waiting) is asyncio.Future and waiting.get_loop() is loop
    finally:
        for loop in loops:
            loop.close()


async def _awaited(future: Any) -> Any:
    return await future


def test_an_event_for_a_cancelled_receive_waits_for_the_next(
    protocol_core: ModuleType, loop: asyncio.AbstractEventLoop
) -> None:
    core = opened(protocol_core, loop)
    core.receive().cancel()  # e.g. the app's wait_for(receive(), ...) timed out
    core.data_received(client_frame(TEXT, b"late"))
    assert core.queued_bytes() == 4
    assert core.receive().result() == {"type": "websocket.receive", "text": "late"}


def test_send_takes_any_mapping(protocol_core: ModuleType, loop: asyncio.AbstractEventLoop) -> None:
    core = opened(protocol_core, loop)
    loop.run_until_complete(core.send(MappingProxyType({"type": "websocket.send", "text": "hi"})))
    loop.run_until_complete(core.send({"type": "websocket.send", "bytes": b"\x01"}))
    assert [server_frame(data) for data in core.transport.written] == [
        (0x80 | TEXT, 2, b"hi"),
        (0x80 | BINARY, 1, b"\x01"),
    ]
    with pytest.raises(RuntimeError, match=r"but got 'websocket\.accept'"):
        loop.run_until_complete(core.send(MappingProxyType({"type": "websocket.accept"})))


def test_the_protocol_reads_into_a_buffer_of_its_own_giving() -> None:
    # uvloop reads into get_buffer() for a protocol that has one and is not an asyncio.Protocol; asyncio's
    # transports for an asyncio.BufferedProtocol: else each read is a bytes object, copied once more
    assert issubclass(WebSocketProtocol, asyncio.BufferedProtocol)
    assert not issubclass(WebSocketProtocol, asyncio.Protocol)


def test_connections_read_into_their_threads_buffer(protocol_core: ModuleType, loop: asyncio.AbstractEventLoop) -> None:
    first, second = opened(protocol_core, loop), opened(protocol_core, loop)  # of two servers
    # one function, not a method bound to each: the transport keeps it for the connection's life (80 bytes)
    assert first.get_buffer is second.get_buffer
    buffer = first.get_buffer(-1)
    assert buffer.obj is second.get_buffer(65536).obj is _read_buffer.this_thread()  # none of its own


def test_what_is_left_of_a_read_is_kept_past_the_next_connections_read(
    protocol_core: ModuleType, loop: asyncio.AbstractEventLoop
) -> None:
    first, second = opened(protocol_core, loop), opened(protocol_core, loop)  # one thread: one buffer

    def read(core: Any, data: bytes) -> None:
        buffer = core.get_buffer(-1)
        buffer[: len(data)] = data
        core.buffer_updated(len(data))

    frame, other = client_frame(TEXT, b"hello"), client_frame(BINARY, b"x" * 300)
    read(first, frame[:3])  # a header cut short
    read(second, other[:200])  # the same buffer, overwritten
    read(first, frame[3:-1])
    read(second, other[200:])
    read(first, frame[-1:])
    assert first.receive().result() == {"type": "websocket.receive", "text": "hello"}
    assert second.receive().result() == {"type": "websocket.receive", "bytes": b"x" * 300}


def test_reads_into_the_buffer_keep_the_read_budget(protocol_core: ModuleType, loop: asyncio.AbstractEventLoop) -> None:
    # two messages spend the budget (each counts MESSAGE_COST more than its payload): the third is kept
    core = opened(protocol_core, loop, max_queue=100, max_queue_bytes=codec.MESSAGE_COST + 10)
    data = client_frame(TEXT, b"x" * 6) + client_frame(TEXT, b"y" * 6) + client_frame(TEXT, b"z")
    core.get_buffer(-1)[: len(data)] = data
    core.buffer_updated(len(data))
    assert core.queued_bytes() == 12 and core.conn.stopped
    core.get_buffer(-1)[:] = bytes(_read_buffer.READ_SIZE)
    loop.run_until_complete(asyncio.sleep(0))  # the kept bytes are parsed at the loop's next turn, from a copy
    assert core.queued_bytes() == 13
    assert [core.receive().result()["text"] for _ in range(3)] == ["x" * 6, "y" * 6, "z"]


def test_a_closed_transport_is_not_closed_again(protocol_core: ModuleType, loop: asyncio.AbstractEventLoop) -> None:
    class ClosedTLS(Transport):
        """asyncio's TLS transport once closed: a second close() lets go of its protocol, then it fails."""

        def is_closing(self) -> bool:
            return True

        def close(self) -> None:
            raise AssertionError("closed twice")

        def get_write_buffer_size(self) -> int:
            raise AttributeError("'NoneType' object has no attribute '_get_write_buffer_size'")

    core = opened(protocol_core, loop)
    core.transport = ClosedTLS()
    core._app_ended()  # the app returned after the connection had gone
    assert core._close_timer is None


def test_the_apps_task_runs_it_in_an_app_run_and_its_end_ends_the_connection(
    protocol_core: ModuleType, loop: asyncio.AbstractEventLoop, capfd: pytest.CaptureFixture[str]
) -> None:
    class Closing(Transport):
        closed = False

        def close(self) -> None:
            self.closed = True

    core = opened(protocol_core, loop)
    core.transport = Closing()
    calls: list[Any] = []

    async def the_app(scope: Any, receive: Any, send: Any) -> str:
        calls.append(scope)
        calls.append(await receive())
        return "not None"

    core.app = the_app
    run = core._run_asgi()
    assert type(run) is _app_run.AppRun
    waiting = run.send(None)  # the first step: the app is called and waits in receive
    assert calls == [core.scope] and isinstance(waiting, asyncio.Future) and not waiting.done()
    core.data_received(client_frame(TEXT, b"hi"))
    with pytest.raises(StopIteration) as ended:  # the app returned: uvicorn's check of its result, the end
        run.send(None)
    assert ended.value.value is None and calls[1] == {"type": "websocket.receive", "text": "hi"}
    assert core.transport.closed
    assert "ASGI callable should return None, but returned 'not None'." in capfd.readouterr().err


def test_reading_pauses_while_the_codec_keeps_bytes_back_or_the_queue_is_over_half(
    protocol_core: ModuleType, loop: asyncio.AbstractEventLoop
) -> None:
    core = opened(protocol_core, loop, max_queue=100, max_queue_bytes=10)
    core.data_received(client_frame(TEXT, b"x" * 6) + client_frame(TEXT, b"y" * 6))
    # the first spends the read's budget: the second waits in the codec, and the socket is not read meanwhile
    assert core.transport.pauses == 1 and core.queued_bytes() == 6 and core.conn.stopped
    assert core.receive().result()["text"] == "x" * 6
    loop.run_until_complete(asyncio.sleep(0))  # the kept one is parsed once the app has room
    assert core.queued_bytes() == 6 and not core.conn.stopped and core.transport.resumes == 0  # over half the bound
    assert core.receive().result()["text"] == "y" * 6
    assert core.transport.resumes == 1 and core.transport.pauses == 1


def test_a_read_the_budget_cut_short_pauses_reading_until_its_rest_is_parsed(
    protocol_core: ModuleType, loop: asyncio.AbstractEventLoop
) -> None:
    # else read after read would pile up in the codec while the app keeps up with what is parsed
    core = opened(protocol_core, loop, max_queue=32, max_queue_bytes=64 * 1024)
    task, got = app_taking(core, loop, 40_000, "bytes")
    core.data_received(client_frame(BINARY, b"") * 40_000)
    assert core.conn.stopped and core.transport.pauses == 1 and core.transport.resumes == 0
    loop.run_until_complete(asyncio.wait_for(task, 10))  # a budget's worth at each turn of the loop
    assert not core.conn.stopped and core.transport.resumes == 1 and got == [b""] * 40_000


def test_a_read_of_empty_messages_queues_no_more_than_the_budget_holds(
    protocol_core: ModuleType, loop: asyncio.AbstractEventLoop
) -> None:
    # 240 KB of empty messages in one read: 40,000 events if each counted its payload only
    core = opened(protocol_core, loop, max_queue=32, max_queue_bytes=64 * 1024)
    core.data_received(client_frame(BINARY, b"") * 40_000)
    assert core.transport.pauses == 1
    queued = 0
    while core.receive().done():
        queued += 1
    assert 32 <= queued <= 64 * 1024 // codec.MESSAGE_COST


def test_a_lost_connection_lets_go_of_a_message_half_read_at_once(
    protocol_core: ModuleType, loop: asyncio.AbstractEventLoop
) -> None:
    # not when the app's task ends: the app may go on awaiting something else for long
    core = opened(protocol_core, loop)
    size = 16 << 20  # uvicorn's ws_max_size: the codec may reserve the whole message
    tracemalloc.start()
    try:
        core.data_received(bytes([0x82, 0xFF]) + size.to_bytes(8, "big") + b"\0\0\0\0" + bytes(2 << 20))
        held = tracemalloc.get_traced_memory()[0]
        core.connection_lost(ConnectionResetError())
        left = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert held >= 2 << 20 and left < 64 * 1024, (held, left)


def test_a_ping_is_answered(protocol_core: ModuleType, loop: asyncio.AbstractEventLoop) -> None:
    core = opened(protocol_core, loop)
    core.data_received(client_frame(PING, b"hi"))
    assert [server_frame(data) for data in core.transport.written] == [(0x80 | PONG, 2, b"hi")]


def test_messages_after_the_close_are_dropped(protocol_core: ModuleType, loop: asyncio.AbstractEventLoop) -> None:
    core = opened(protocol_core, loop)
    core.state = State.CLOSING
    core.data_received(client_frame(TEXT, b"late"))
    assert core.queued_bytes() == 0
    assert not core.receive().done()


def test_the_peers_close_is_read_past_messages_the_app_left_when_it_closed(
    protocol_core: ModuleType, loop: asyncio.AbstractEventLoop
) -> None:
    # the app closed with more unread than ws_max_queue_bytes: what comes after is dropped, not held back
    # unparsed (which would never end the closing handshake, and hold every byte read until the timeout)
    core = opened(protocol_core, loop, max_queue=100, max_queue_bytes=10)
    core.data_received(client_frame(TEXT, b"x" * 20))
    loop.run_until_complete(core.send({"type": "websocket.close", "code": 1000}))
    core.data_received(client_frame(BINARY, b"y" * 50) * 20 + client_frame(CLOSE, b"\x03\xe8"))
    assert core.state is State.PEER_GONE and core.transport.closed and not core.conn.stopped
    assert core.queued_bytes() == 20  # what the app left: still its to read


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


def test_send(protocol_core: ModuleType, loop: asyncio.AbstractEventLoop) -> None:
    core = opened(protocol_core, loop)
    for message in ({"type": "websocket.send", "text": "hi"}, {"type": "websocket.send", "bytes": b"\x02"}):
        loop.run_until_complete(core.send(message))
    assert [server_frame(data) for data in core.transport.written] == [(0x81, 2, b"hi"), (0x82, 1, b"\x02")]
    loop.run_until_complete(core.send({"type": "websocket.close", "code": 4000, "reason": "bye"}))
    assert server_frame(core.transport.written[-1]) == (0x80 | CLOSE, 5, b"\x0f\xa0bye")
    assert core.state is State.CLOSING
    assert core.receive().result() == {"type": "websocket.disconnect", "code": 4000, "reason": "bye"}
    with pytest.raises(RuntimeError, match=r"after sending 'websocket\.close'"):
        loop.run_until_complete(core.send({"type": "websocket.send", "text": "late"}))
    core.state = State.CONNECTING
    with pytest.raises(RuntimeError, match=r"Expected ASGI message 'websocket\.accept'"):
        loop.run_until_complete(core.send({"type": "websocket.send", "text": "too early"}))
    assert len(core.transport.written) == 3


# ------------------------------------------------ taken from the first byte, for fastws.http

UPGRADE = (
    b"GET /chat HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


class RecordingFront:
    """A ``fastws._front.Front`` that keeps what it is given back."""

    def __init__(self, loop: asyncio.AbstractEventLoop, head_timeout: float = 10.0, max_head_size: int = 8192) -> None:
        self.max_head_size = max_head_size
        self.max_headers = 100
        self.head_timeout = head_timeout
        self.head_deadlines = TimerWheel(loop, head_timeout / 16)
        self.back: list[tuple[str, bytes]] = []

    def hand_over(self, transport: asyncio.Transport, data: bytes) -> None:
        self.back.append(("hand_over", data))

    def refuse(self, transport: asyncio.Transport, data: bytes) -> None:
        self.back.append(("refuse", data))

    def time_out(self, transport: asyncio.Transport, data: bytes) -> None:
        self.back.append(("time_out", data))

    def drain(self, transport: asyncio.Transport, data: bytes) -> None:
        self.back.append(("drain", data))


def waiting(
    twin: ModuleType,
    loop: asyncio.AbstractEventLoop,
    front: RecordingFront,
    config: uvicorn.Config | None = None,
    state: ServerState | None = None,
    app_state: dict[str, Any] | None = None,
) -> Any:
    """A protocol on ``twin``'s core, taken for ``front`` from the first byte (as ``fastws.http`` does), of
    a server of its own unless ``config``, ``state`` and ``app_state`` are given."""

    class Protocol(twin.ProtocolCore, asyncio.Protocol):  # type: ignore[misc,name-defined]
        __slots__ = ()

        async def _run_asgi(self) -> None:
            self.tasks.discard(asyncio.current_task())

    config = config or uvicorn.Config(app, ws_ping_interval=None, log_level="warning")
    core = Protocol(config, state or ServerState(), {} if app_state is None else app_state, loop)
    core.await_head(front)
    core.connection_made(Transport())
    return core


def test_an_upgrade_taken_from_the_first_byte(protocol_core: ModuleType, loop: asyncio.AbstractEventLoop) -> None:
    front = RecordingFront(loop)
    core = waiting(protocol_core, loop, front)
    assert len(front.head_deadlines) == 1 and core in core.connections
    tick = core.ping_timer  # the head's deadline, a tick of the front's wheel
    assert isinstance(tick, int) and tick * (10.0 / 16) >= loop.time() + 10.0 - 1e-6  # 10 s, in ticks of 10 / 16
    core.data_received(UPGRADE[:20])
    core.data_received(UPGRADE[20:] + client_frame(TEXT, b"early"))
    assert core.scope["path"] == "/chat" and front.back == [] and len(front.head_deadlines) == 0
    assert core._front is None and core.ping_timer is None  # (no keepalive here)
    loop.run_until_complete(asyncio.sleep(0))  # the early frame, after the 101
    assert core.queued_bytes() == 5


def test_a_servers_connections_hold_its_fields_once_and_answer_with_its_headers_of_now(
    protocol_core: ModuleType, loop: asyncio.AbstractEventLoop
) -> None:
    """Every connection of a server holds one object of what they have the same (its config, state, limits: a
    field each was 96 bytes of every idle connection), and answers with the server's default headers as they
    are then: uvicorn renews them (their date) every second, and a connection made before held those of its
    making."""
    config, state = uvicorn.Config(app, ws_ping_interval=None, log_level="warning"), ServerState()
    state.default_headers = [(b"date", b"then")]
    first = waiting(protocol_core, loop, RecordingFront(loop), config, state, {"n": 1})
    second = waiting(protocol_core, loop, RecordingFront(loop), config, state, {"n": 2})  # (its own app state)
    assert first.share is second.share and first.config is config and first.connections is state.connections
    assert waiting(protocol_core, loop, RecordingFront(loop)).share is not first.share  # another server's
    state.default_headers = [(b"date", b"now")]
    first.data_received(UPGRADE)
    loop.run_until_complete(first.send({"type": "websocket.accept"}))
    assert b"\r\ndate: now\r\n" in first.transport.written[0], first.transport.written[0]
    assert first.scope["state"] == {"n": 1}


@pytest.mark.parametrize(
    ("head", "why"),
    [
        pytest.param(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n", "hand_over", id="plain HTTP"),
        pytest.param(
            b"POST /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
            "hand_over",
            id="a POST",
        ),
        pytest.param(
            b"GET / HTTP/1.1\r\nHost: t\r\nUpgrade: h2c\r\nConnection: upgrade\r\n\r\n", "hand_over", id="h2c"
        ),
        pytest.param(b"GET / HTTP/1.1\r\nUpgrade: websocket\r\nbad line\r\n\r\n", "hand_over", id="malformed"),
        pytest.param(b"GET / HTTP/1.1\r\nX: " + b"y" * 300, "refuse", id="over the size, unfinished"),
        pytest.param(b"GET / HTTP/1.1\r\nX: \x01\r\n", "refuse", id="a control byte"),
    ],
)
def test_anything_else_is_given_back_with_every_byte(
    protocol_core: ModuleType, loop: asyncio.AbstractEventLoop, head: bytes, why: str
) -> None:
    front = RecordingFront(loop, max_head_size=256)
    core = waiting(protocol_core, loop, front)
    core.data_received(head[:7])
    core.data_received(head[7:] + b"body")
    assert front.back == [(why, head + b"body")]
    assert core.state is State.CLOSED and core not in core.connections and len(front.head_deadlines) == 0
    assert core.transport.written == [] and not core.scope


def test_a_late_head_goes_back_to_be_timed_out(protocol_core: ModuleType, loop: asyncio.AbstractEventLoop) -> None:
    front = RecordingFront(loop, head_timeout=0.05)
    core = waiting(protocol_core, loop, front)
    core.data_received(b"GET / HT")
    loop.run_until_complete(asyncio.sleep(0.15))
    assert front.back == [("time_out", b"GET / HT")] and core not in core.connections


def test_a_head_on_its_way_at_shutdown_goes_back_to_be_drained(
    protocol_core: ModuleType, loop: asyncio.AbstractEventLoop
) -> None:
    front = RecordingFront(loop)
    core = waiting(protocol_core, loop, front)
    core.data_received(b"GET / HT")
    core.shutdown()
    assert front.back == [("drain", b"GET / HT")] and len(front.head_deadlines) == 0


def test_a_connection_lost_before_its_head_leaves_no_deadline(
    protocol_core: ModuleType, loop: asyncio.AbstractEventLoop
) -> None:
    front = RecordingFront(loop)
    core = waiting(protocol_core, loop, front)
    core.data_received(b"GET / HT")
    core.connection_lost(None)
    assert front.back == [] and len(front.head_deadlines) == 0 and core not in core.connections


class Holding(Transport):
    """A transport over a socket that keeps what it is given, as uvloop's keeps what the socket has not taken,
    until ``pump`` sends it; it counts the looks at its buffer."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self.sock = sock
        self.held = bytearray()
        self.looks = 0

    def write(self, data: Any) -> None:
        self.held += data

    def get_write_buffer_size(self) -> int:
        self.looks += 1
        return len(self.held)

    def pump(self, peer: socket.socket) -> bytes:
        """Send what it holds while ``peer`` reads; what ``peer`` got."""
        got = bytearray()
        while True:
            try:
                got += peer.recv(1 << 20)
            except BlockingIOError:
                if not self.held:
                    return bytes(got)
            if self.held:
                try:
                    del self.held[: self.sock.send(self.held)]
                except BlockingIOError:
                    pass


def test_frames_go_after_what_the_transport_holds_and_past_it_with_no_look_once_it_held_none(
    protocol_core: ModuleType, loop: asyncio.AbstractEventLoop
) -> None:
    """``write_frame`` writes to the socket only while the transport holds nothing of ours: after the transport
    was given bytes it looks at its buffer (once more after it emptied); until then, never."""
    ours, peer = socket.socketpair()
    with ours, peer:
        ours.setblocking(False)
        peer.setblocking(False)
        core = opened(protocol_core, loop)
        core.transport = transport = Holding(ours)
        core._fd = ours.fileno()
        large = b"L" * (8 << 20)  # more than the socket takes at once: the rest goes to the transport
        core.write_frame(b"A")
        assert peer.recv(10) == b"A" and transport.looks == 0
        core.write_frame(large)
        assert transport.held and transport.looks == 0
        core.write_frame(b"C")  # behind what the transport holds, not past it
        assert bytes(transport.held[-1:]) == b"C" and transport.looks == 1
        got = transport.pump(peer)
        assert len(got) == len(large) + 1 and got.endswith(b"LC")  # the large frame, then C
        core.write_frame(b"D")  # the transport was given bytes: one look, it is empty, past it
        core.write_frame(b"E")  # no look
        assert not transport.held and transport.looks == 2
        assert peer.recv(10) == b"DE"


def test_the_apps_task_takes_each_message_inside_the_read_that_brought_it(
    protocol_core: ModuleType, loop: asyncio.AbstractEventLoop
) -> None:
    # the task waiting in receive() steps as each message is parsed, not at the loop's next turn
    core = opened(protocol_core, loop)
    task, seen = app_taking(core, loop, 2, "text")
    during: list[list[str]] = []

    def read() -> None:
        core.data_received(client_frame(TEXT, b"one") + client_frame(TEXT, b"two"))
        during.append(list(seen))

    loop.call_soon(read)
    loop.run_until_complete(task)
    assert during == [["one", "two"]]  # both taken in the read, one receive() each
    assert core.queued_bytes() == 0


@pytest.mark.parametrize("after", [client_frame(CLOSE, b"\x03\xe8"), client_frame(0x3, b"")])
def test_a_message_read_with_a_close_behind_it_reaches_an_app_that_sees_the_close(
    protocol_core: ModuleType, loop: asyncio.AbstractEventLoop, after: bytes
) -> None:
    # the codec parsed the peer's Close (or a bad frame) and answered it before the app's step: a reply
    # must be ClientDisconnected, as uvicorn's, not the codec's own error, and the Close must go out
    core = opened(protocol_core, loop)
    replies: list[object] = []

    async def app_task() -> None:
        message = await core.receive()
        try:
            await core.send({"type": "websocket.send", "text": message["text"]})
        except Exception as error:  # what the app's reply met
            replies.append(type(error).__name__)
        replies.append((await core.receive())["type"])

    task = loop.create_task(app_task())
    loop.run_until_complete(asyncio.sleep(0))
    core.transport.written.clear()
    loop.call_soon(core.data_received, client_frame(TEXT, b"hello") + after)
    loop.run_until_complete(task)
    assert replies == ["ClientDisconnected", "websocket.disconnect"]
    assert [server_frame(data)[0] & 0x0F for data in core.transport.written] == [CLOSE]


@pytest.mark.parametrize("wrap", ["wait_for", "shield", "gather"])
def test_a_receive_awaited_through_asyncio_gets_the_message_of_a_read(
    protocol_core: ModuleType, loop: asyncio.AbstractEventLoop, wrap: str
) -> None:
    # the receive future's callback is then asyncio's, not a task's wake-up: called in the read just the same
    core = opened(protocol_core, loop)

    async def app_task() -> Any:
        if wrap == "wait_for":
            return await asyncio.wait_for(core.receive(), 5)
        if wrap == "shield":
            return await asyncio.shield(core.receive())
        return (await asyncio.gather(core.receive()))[0]

    task = loop.create_task(app_task())
    loop.run_until_complete(asyncio.sleep(0))
    loop.call_soon(core.data_received, client_frame(TEXT, b"one"))
    assert loop.run_until_complete(task) == {"type": "websocket.receive", "text": "one"}


def test_send_sends_at_the_call_and_returns_one_done_awaitable(
    protocol_core: ModuleType, loop: asyncio.AbstractEventLoop
) -> None:
    # no coroutine made per message: the frame is written by the call, the await ends at once
    core = opened(protocol_core, loop)
    first = core.send({"type": "websocket.send", "text": "one"})
    second = core.send({"type": "websocket.send", "text": "two"})
    assert first is second  # one object for every call
    assert [server_frame(data) for data in core.transport.written] == [(0x81, 3, b"one"), (0x81, 3, b"two")]
    assert loop.run_until_complete(_awaited(first)) is None
    # a coroutine to asyncio: create_task and ensure_future take it, as a coroutine function's result
    assert loop.run_until_complete(loop.create_task(core.send({"type": "websocket.send", "text": "3"}))) is None
    assert asyncio.iscoroutine(first)
    # what sending raises is raised by the await, not by the call
    core.state = State.CONNECTING
    refused = core.send({"type": "websocket.send", "text": "too early"})
    with pytest.raises(RuntimeError, match=r"Expected ASGI message 'websocket\.accept'"):
        loop.run_until_complete(_awaited(refused))
    assert len(core.transport.written) == 3


def test_send_while_writing_waits_sends_once_drained(
    protocol_core: ModuleType, loop: asyncio.AbstractEventLoop
) -> None:
    core = opened(protocol_core, loop)
    core.pause_writing()
    waiting = core.send({"type": "websocket.send", "text": "later"})
    assert core.transport.written == []  # the transport is full: nothing more until it drains
    loop.call_soon(core.resume_writing)
    loop.run_until_complete(_awaited(waiting))
    assert [server_frame(data) for data in core.transport.written] == [(0x81, 5, b"later")]


def test_data_received_is_the_protocol_itself_and_a_subclass_may_override_it(
    protocol_core: ModuleType, loop: asyncio.AbstractEventLoop
) -> None:
    """What ``data_received`` gives is the protocol (no method bound to each connection, which a transport would
    keep): a call of it, or of the protocol, parses the bytes. A subclass's override is called instead."""
    core = opened(protocol_core, loop)
    assert core.data_received is core and protocol_core.ProtocolCore.data_received.__doc__
    core.data_received(client_frame(TEXT, b"one"))
    core(client_frame(TEXT, b"two"))
    assert [core.receive().result()["text"] for _ in range(2)] == ["one", "two"]

    seen: list[bytes] = []

    class Counting(type(core)):  # type: ignore[misc]
        __slots__ = ()

        def data_received(self, data: bytes) -> None:
            seen.append(data)
            super().data_received(data)

    counting = opened(protocol_core, loop)
    counting.__class__ = Counting
    counting.data_received(client_frame(TEXT, b"three"))
    assert counting.receive().result()["text"] == "three" and seen == [client_frame(TEXT, b"three")]

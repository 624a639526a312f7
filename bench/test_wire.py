"""Wire-level microbenchmarks: fastws' codec (compiled, pure) against websockets' and wsproto's.

Groups: parsing a masked client frame into a message, building a server
frame from a message, and unmasking, at 32 B, 4 KiB and 256 KiB; an
opening handshake (a browser-like upgrade request in, the 101 out); and, for
fastws' twins, parsing other frames: binary, a fragmented message, a ping, a
stream of 100 messages, a large binary one (``test_frame_parse_kinds``). uvicorn's
default wire layer is websockets' sans-I/O ``Protocol``; its ``--ws
wsproto`` layer is wsproto's ``Connection``. Every implementation is
checked to give the same message or bytes before it is timed.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from fastws.wire import codec as fastws_codec
from fastws.wire import handshake as fastws_handshake
from fastws.wire.events import Ping

SIZES = {"32B": 32, "4KiB": 4096, "256KiB": 262144}
MASK = b"\x5a\x1b\xc3\x07"


def _text(size: int) -> str:
    return ("fastws-wire-" * (size // 12 + 1))[:size]


def _client_frame(payload: bytes, first: int = 0x81) -> bytes:
    """A masked client frame; ``first`` is its first byte (FIN, RSV, opcode): a text frame by default."""
    n = len(payload)
    if n < 126:
        head = bytes((first, 0x80 | n))
    elif n < 65536:
        head = bytes((first, 0xFE)) + n.to_bytes(2, "big")
    else:
        head = bytes((first, 0xFF)) + n.to_bytes(8, "big")
    masked = bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))
    return head + MASK + masked


def _fastws(twin: Any) -> tuple[Any, Any]:
    def parse(*reads: bytes) -> Any:
        connection = twin.Connection(max_size=None)
        for data in reads:  # a loop, not next() over a generator: that alone would cost ~0.5 us a call
            events = connection.receive_data(data)
            if events:
                return events[0]
        return None

    def build(text: str) -> bytes:
        return bytes(twin.Connection().send_text(text))

    return parse, build


def _websockets() -> tuple[Any, Any]:
    from websockets.frames import Frame
    from websockets.protocol import Protocol, Side, State

    def parse(*reads: bytes) -> Any:
        protocol = Protocol(Side.SERVER, state=State.OPEN, max_size=None)
        for data in reads:
            protocol.receive_data(data)
        event = protocol.events_received()[0]
        assert isinstance(event, Frame)
        return bytes(event.data).decode()

    def build(text: str) -> bytes:
        protocol = Protocol(Side.SERVER, state=State.OPEN)
        protocol.send_text(text.encode())
        return b"".join(protocol.data_to_send())

    return parse, build


def _wsproto() -> tuple[Any, Any]:
    from wsproto.connection import Connection, ConnectionType
    from wsproto.events import TextMessage

    def parse(*reads: bytes) -> Any:
        connection = Connection(ConnectionType.SERVER)
        for data in reads:
            connection.receive_data(data)
        event = next(connection.events())
        assert isinstance(event, TextMessage)
        return event.data

    def build(text: str) -> bytes:
        return Connection(ConnectionType.SERVER).send(TextMessage(data=text))

    return parse, build


CODECS: dict[str, Any] = {}
if fastws_codec.COMPILED is not None:
    CODECS["fastws-compiled"] = lambda: _fastws(fastws_codec.COMPILED)
CODECS["fastws-pure"] = lambda: _fastws(fastws_codec.PURE)
CODECS["websockets"] = _websockets
CODECS["wsproto"] = _wsproto


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("implementation", list(CODECS))
def test_frame_parse(benchmark: Any, implementation: str, size: str) -> None:
    """A masked client text frame in, its message out (a fresh connection each time)."""
    benchmark.group = f"frame parse {size}"
    parse, _ = CODECS[implementation]()
    text = _text(SIZES[size])
    frame = _client_frame(text.encode())
    assert parse(frame) == text
    benchmark(parse, frame)


@pytest.mark.parametrize("implementation", list(CODECS))
def test_frame_parse_in_reads(benchmark: Any, implementation: str) -> None:
    """A 256 KiB text frame that arrives in four reads of 64 KiB, as a socket gives it."""
    benchmark.group = "frame parse 256KiB in 64KiB reads"
    parse, _ = CODECS[implementation]()
    text = _text(SIZES["256KiB"])
    frame = _client_frame(text.encode())
    reads = [frame[at : at + 65536] for at in range(0, len(frame), 65536)]
    assert parse(*reads) == text
    benchmark(parse, *reads)


_SMALL = _text(32).encode()
# Other frames than one text message: each is parsed by a fresh connection, as in test_frame_parse.
FRAMES: dict[str, tuple[bytes, list[Any]]] = {
    "binary 32B": (_client_frame(_SMALL, 0x82), [_SMALL]),
    # a text message in four frames: text without FIN, two continuations, the last with FIN
    "fragmented 4x32B": (
        _client_frame(_SMALL, 0x01) + _client_frame(_SMALL, 0x00) * 2 + _client_frame(_SMALL, 0x80),
        [_SMALL.decode() * 4],
    ),
    "ping 16B": (_client_frame(_SMALL[:16], 0x89), [Ping(_SMALL[:16])]),
    "stream 100x32B": (_client_frame(_SMALL) * 100, [_SMALL.decode()] * 100),
    "masked 256KiB binary": (_client_frame(_SMALL * 8192, 0x82), [_SMALL * 8192]),
}


@pytest.mark.parametrize("kind", list(FRAMES))
@pytest.mark.parametrize("implementation", [name for name in CODECS if name.startswith("fastws")])
def test_frame_parse_kinds(benchmark: Any, implementation: str, kind: str) -> None:
    """Frames of each kind in, their events out (a fresh connection each time)."""
    benchmark.group = f"frame parse {kind}"
    twin = fastws_codec.COMPILED if implementation == "fastws-compiled" else fastws_codec.PURE
    frames, expected = FRAMES[kind]

    def parse(data: bytes) -> list[object]:
        return twin.Connection(max_size=None).receive_data(data)  # type: ignore[no-any-return]

    assert parse(frames) == expected
    benchmark(parse, frames)


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("implementation", list(CODECS))
def test_frame_build(benchmark: Any, implementation: str, size: str) -> None:
    """A text message in, its unmasked server frame out."""
    benchmark.group = f"frame build {size}"
    _, build = CODECS[implementation]()
    text = _text(SIZES[size])
    reference = bytes(_fastws(fastws_codec.PURE)[1](text))
    assert build(text) == reference
    benchmark(build, text)


def _maskers() -> dict[str, Any]:
    found: dict[str, Any] = {}
    if fastws_codec.COMPILED is not None:
        found["fastws-compiled"] = fastws_codec.COMPILED.unmask
    found["fastws-pure"] = fastws_codec.PURE.unmask
    try:
        from websockets.speedups import apply_mask  # websockets' C extension

        found["websockets"] = apply_mask
    except ImportError:  # pragma: no cover - websockets without its extension
        from websockets.utils import apply_mask

        found["websockets"] = apply_mask
    return found


MASKERS = _maskers()


@pytest.mark.parametrize("size", ["4KiB", "256KiB"])
@pytest.mark.parametrize("implementation", list(MASKERS))
def test_unmask(benchmark: Any, implementation: str, size: str) -> None:
    benchmark.group = f"unmask {size}"
    data = os.urandom(SIZES[size])
    unmask = MASKERS[implementation]
    assert unmask(data, MASK) == bytes(b ^ MASK[i % 4] for i, b in enumerate(data))
    benchmark(unmask, data, MASK)


UPGRADE = (
    b"GET /chat?room=1 HTTP/1.1\r\nHost: example.com:8000\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n"
    b"Upgrade: websocket\r\nConnection: Upgrade\r\nOrigin: https://example.com\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAccept-Language: en\r\n\r\n"
)
ACCEPT = b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"  # RFC 6455 1.3's example


def _fastws_upgrade(twin: Any) -> Any:
    def upgrade(data: bytes) -> bytes:  # what fastws' HTTP front and protocol call, in order
        end = twin.check_head(data)
        request = twin.parse_head(data, end)
        key = twin.check_request(request)
        return bytes(twin.accept_response(key, None, [(b"date", b"Sat, 05 Dec 2026 02:00:00 GMT")]))

    return upgrade


def _websockets_upgrade() -> Any:
    from websockets.server import ServerProtocol

    def upgrade(data: bytes) -> bytes:  # uvicorn's default ws layer (it also parses the head with httptools first)
        protocol = ServerProtocol()
        protocol.receive_data(data)
        request = protocol.events_received()[0]
        protocol.send_response(protocol.accept(request))
        return b"".join(protocol.data_to_send())

    return upgrade


UPGRADERS: dict[str, Any] = {}
if fastws_handshake.COMPILED is not None:
    UPGRADERS["fastws-compiled"] = lambda: _fastws_upgrade(fastws_handshake.COMPILED)
UPGRADERS["fastws-pure"] = lambda: _fastws_upgrade(fastws_handshake.PURE)
UPGRADERS["websockets"] = _websockets_upgrade


@pytest.mark.parametrize("implementation", list(UPGRADERS))
def test_handshake(benchmark: Any, implementation: str) -> None:
    """An upgrade request checked and parsed, validated, and its 101 built."""
    benchmark.group = "handshake"
    upgrade = UPGRADERS[implementation]()
    response = upgrade(UPGRADE)
    assert response.startswith(b"HTTP/1.1 101 Switching Protocols\r\n") and ACCEPT in response
    benchmark(upgrade, UPGRADE)

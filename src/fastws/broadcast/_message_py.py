# cython: annotation_typing=False
"""A published message, encoded once and framed once.

``Message`` holds the payload as bytes (UTF-8 for text) and builds, on
first need, the one RFC 6455 frame every connection without compression
gets (server frames are never masked, so it is the same bytes for all), the
ASGI ``websocket.send`` event for connections on other servers, and one
compressed frame per deflate setting for connections that negotiated
permessage-deflate without context takeover.

On a channel that keeps history a message also has its ``position``, given
when it is published (``at``). A JSON message published with a
``position_key`` carries its own position: its payload is the object with
``"<key>": "<token>"`` put first, spliced in once the position is known
(``stamp`` holds the two halves around the token until then).

This file is the pure twin, and also the source of the compiled one: the
build compiles it with Cython as ``fastws.broadcast._message_c``, typed by
``_message_c.pxd``, which makes ``Message`` a ``cdef class`` (a message is
made, framed and read once per publish). ``fastws.broadcast.message`` is the
selector.
"""

from __future__ import annotations

from typing import Any

from .._json import json_dumps
from ..wire.codec import build_frame
from ..wire.deflate import PerMessageDeflate
from ..wire.rfc6455 import Opcode
from .positions import Position

__all__ = ["Message"]

# the opcodes as plain ints (compiled: C ints), read once per frame made
_TEXT = int(Opcode.TEXT)
_BINARY = int(Opcode.BINARY)


class Message:
    """One message for every subscriber of a channel: text or binary, encoded once."""

    __slots__ = ("_asgi", "_deflated", "_frame", "_text", "binary", "payload", "position", "stamp")

    def __init__(self, payload: bytes, binary: bool, text: str | None = None, position: Position | None = None) -> None:
        self.payload = payload  # UTF-8 for a text message
        self.binary = binary
        self.position = position
        self.stamp: tuple[bytes, bytes] | None = None  # (head, tail): the payload is head + token + tail
        self._text = text
        self._frame: bytes | None = None
        self._asgi: dict[str, Any] | None = None
        self._deflated: dict[tuple[int, int], bytes] | None = None

    @classmethod
    def of(cls, message: str | bytes | bytearray | memoryview) -> Message:
        """A text message for ``str``, a binary one for bytes-like data."""
        if isinstance(message, str):
            return cls(message.encode("utf-8"), False, message)
        if isinstance(message, (bytes, bytearray, memoryview)):
            return cls(bytes(message), True)
        raise TypeError(f"a message is str (text) or bytes (binary), not {type(message).__name__}")

    @classmethod
    def json(cls, data: Any, mode: str = "text", position_key: str | None = None) -> Message:
        """``data`` as JSON, exactly as ``WebSocket.send_json(data, mode)`` would send it.

        With ``position_key``, ``data`` is a dict and the message will carry
        its position under that key, first (see ``at``).
        """
        if mode not in ("text", "binary"):
            raise ValueError(f'The "mode" argument should be "text" or "binary", not {mode!r}.')
        if position_key is not None:
            if not isinstance(data, dict):
                raise TypeError(f"a message with a position_key is a dict, not {type(data).__name__}")
            if position_key in data:
                raise ValueError(f"the data already has the position_key {position_key!r}")
        text = json_dumps(data)
        message = cls(text.encode("utf-8"), mode == "binary", text if mode == "text" else None)
        if position_key is not None:
            rest = message.payload[1:]  # after the object's "{"
            head = b"{" + json_dumps(position_key).encode("utf-8") + b':"'
            message.stamp = (head, b'"}' if rest == b"}" else b'",' + rest)
        return message

    def at(self, position: Position) -> Message:
        """This message at ``position``: itself, or a stamped one with the token spliced in."""
        if self.stamp is None:
            self.position = position
            return self
        head, tail = self.stamp
        return Message(head + position.token.encode("ascii") + tail, self.binary, None, position)

    @property
    def size(self) -> int:
        """Bytes of payload: what it costs a subscriber's buffer."""
        return len(self.payload)

    @property
    def data(self) -> str | bytes:
        """The message as published: ``str`` for text, ``bytes`` for binary."""
        if self.binary:
            return self.payload
        if self._text is None:
            self._text = self.payload.decode("utf-8")
        return self._text

    def frame(self) -> bytes:
        """The uncompressed frame, the same bytes for every connection."""
        if self._frame is None:
            self._frame = build_frame(_BINARY if self.binary else _TEXT, self.payload)
        return self._frame

    def asgi(self) -> dict[str, Any]:
        """The ASGI ``websocket.send`` event (shared: ASGI servers do not change it)."""
        if self._asgi is None:
            key = "bytes" if self.binary else "text"
            self._asgi = {"type": "websocket.send", key: self.data}
        return self._asgi

    def deflated_frame(self, deflate: PerMessageDeflate) -> bytes:
        """The compressed frame for a connection whose server side has no context takeover.

        Without context takeover each message is compressed afresh, so the
        bytes depend only on the window size and memory level: one frame per
        setting serves every such connection.
        """
        key = (deflate.server_window_bits, deflate.mem_level)
        if self._deflated is None:
            self._deflated = {}
        frame = self._deflated.get(key)
        if frame is None:
            body = deflate.encode(self.payload)  # a fresh compressor: no context is kept
            frame = self._deflated[key] = build_frame(_BINARY if self.binary else _TEXT, body, rsv1=True)
        return frame

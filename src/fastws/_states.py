"""WebSocket states and errors, shared by both twins and the public API.

The names, values and messages are Starlette's, so code written against
``starlette.websockets`` reads the same with fastws.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Protocol, TypeAlias

from ._asgi import Message


class WebSocketState(enum.Enum):
    CONNECTING = 0
    CONNECTED = 1
    DISCONNECTED = 2
    RESPONSE = 3


# With Starlette installed, fastws' errors are subclasses of Starlette's, so
# that code written for Starlette or FastAPI (``except WebSocketDisconnect``
# with Starlette's class) catches them unchanged: ``except`` matches by real
# inheritance, never by a registered virtual subclass.
try:
    from starlette.websockets import WebSocketDisconnect as _DisconnectBase
    from starlette.websockets import WebSocketDisconnected as _DisconnectedBase
except ImportError:  # fastws needs no Starlette
    _DisconnectBase = Exception  # type: ignore[assignment,misc]
    _DisconnectedBase = RuntimeError  # type: ignore[assignment,misc]


class WebSocketDisconnect(_DisconnectBase):
    """The peer closed the connection (or the send failed: code 1006)."""

    def __init__(self, code: int = 1000, reason: str | None = None) -> None:
        self.code = code
        self.reason = reason or ""


class WebSocketDisconnected(_DisconnectedBase):
    """Raised when attempting to use a disconnected WebSocket."""


NOT_CONNECTED = 'WebSocket is not connected. Need to call "accept" first.'
BAD_MODE = 'The "mode" argument should be "text" or "binary".'
RECEIVE_AFTER_DISCONNECT = 'Cannot call "receive" once a disconnect message has been received.'
SEND_AFTER_CLOSE = 'Cannot call "send" once a close message has been sent.'


# Starlette tests message types and modes for membership in set literals, so
# an unhashable one raises TypeError before its RuntimeError. The helpers
# below are only called on the error path and hash the same way first.
_ACCEPT_TYPES = frozenset({"websocket.accept", "websocket.close", "websocket.http.response.start"})
_SEND_TYPES = frozenset({"websocket.send", "websocket.close"})
_RECEIVE_TYPES = frozenset({"websocket.receive", "websocket.disconnect"})
_MODES = frozenset({"text", "binary"})


def bad_mode(mode: object) -> str:
    mode in _MODES  # noqa: B015 - TypeError for an unhashable mode, as Starlette
    return BAD_MODE


def expected_connect(message_type: object) -> str:
    return f'Expected ASGI message "websocket.connect", but got {message_type!r}'


def expected_receive(message_type: object) -> str:
    message_type in _RECEIVE_TYPES  # noqa: B015
    return f'Expected ASGI message "websocket.receive" or "websocket.disconnect", but got {message_type!r}'


def expected_accept(message_type: object) -> str:
    message_type in _ACCEPT_TYPES  # noqa: B015
    return (
        'Expected ASGI message "websocket.accept", "websocket.close" or "websocket.http.response.start", '
        f"but got {message_type!r}"
    )


def expected_send(message_type: object) -> str:
    message_type in _SEND_TYPES  # noqa: B015
    return f'Expected ASGI message "websocket.send" or "websocket.close", but got {message_type!r}'


def expected_body(message_type: object) -> str:
    return f'Expected ASGI message "websocket.http.response.body", but got {message_type!r}'


WIRE_EXTENSION = "fastws.wire"  # the scope extension fastws.protocol offers: its class


class DirectWire(Protocol):
    """What ``fastws.WebSocket`` writes through when ``wire_of`` finds fastws' protocol."""

    def write_text(self, text: str) -> bool: ...

    def write_bytes(self, data: bytes) -> bool: ...


def wire_of(scope: object, send: object) -> DirectWire | None:
    """The fastws protocol behind ``send``, or None.

    Only when ``send`` is that protocol's own ASGI send (no middleware in
    between): then ``fastws.WebSocket`` may hand it text and bytes to frame
    and write at once (``write_text``/``write_bytes``), skipping the message
    dicts. Both paths put the same bytes on the wire.
    """
    extensions = scope.get("extensions") if isinstance(scope, dict) else None
    wire_class = extensions.get(WIRE_EXTENSION) if isinstance(extensions, dict) else None
    owner = getattr(send, "__self__", None)
    if wire_class is not None and type(owner) is wire_class:
        return owner
    return None


async def no_receive() -> Message:
    """The ``receive`` of a WebSocket built without one."""
    raise RuntimeError("Receive channel has not been made available")


async def no_send(message: Message) -> None:
    """The ``send`` of a WebSocket built without one."""
    raise RuntimeError("Send channel has not been made available")


AcceptHeaders: TypeAlias = Iterable[tuple[bytes, bytes]] | Mapping[str, str] | Mapping[bytes, bytes]
"""What ``accept(headers=...)`` takes: ASGI's ``(name, value)`` pairs, or a mapping."""


def as_raw_headers(headers: AcceptHeaders) -> Iterable[tuple[bytes, bytes]]:
    """Accept-headers as ASGI wants them: ``[(bytes, bytes), ...]``.

    Iterables of pairs pass through untouched (Starlette's behaviour); a
    mapping (what Starlette's documentation describes) is encoded as latin-1.
    """
    if not isinstance(headers, Mapping):
        return headers
    return [
        (
            key if isinstance(key, bytes) else str(key).lower().encode("latin-1"),
            value if isinstance(value, bytes) else str(value).encode("latin-1"),
        )
        for key, value in headers.items()
    ]


class _Probe:
    @property
    def attribute(self) -> None:
        return None


def _read_only_template(action: str) -> str:
    probe = _Probe()
    try:
        if action == "set":
            probe.attribute = None  # type: ignore[misc]
        else:
            del probe.attribute
    except AttributeError as exc:
        return str(exc).replace("'attribute'", "{name!r}").replace("'_Probe'", "{owner!r}")
    raise AssertionError("a read-only property accepted a write")  # pragma: no cover


_NO_SETTER = _read_only_template("set")
_NO_DELETER = _read_only_template("delete")


def read_only(owner: object, name: str, action: str = "set") -> AttributeError:
    """The AttributeError this Python gives for writing a read-only property."""
    template = _NO_SETTER if action == "set" else _NO_DELETER
    return AttributeError(template.format(name=name, owner=type(owner).__name__))

"""WebSocket states and errors, shared by both twins and the public API.

The names, values and messages are Starlette's, so code written against
``starlette.websockets`` reads the same with fastws.
"""

from __future__ import annotations

import enum

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


async def no_receive() -> Message:
    """The ``receive`` of a WebSocket built without one."""
    raise RuntimeError("Receive channel has not been made available")


async def no_send(message: Message) -> None:
    """The ``send`` of a WebSocket built without one."""
    raise RuntimeError("Send channel has not been made available")


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

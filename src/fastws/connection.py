"""The contract between fastws' protocol and the code that writes through it.

``fastws.protocol.WebSocketProtocol`` (uvicorn's ``--ws`` class) is one
connection. Two parts of fastws skip the ASGI message dicts and call it
directly, and this module lists all they may call:

- ``DirectConnection``: ``fastws.WebSocket``'s direct path (its
  ``send_text``/``send_bytes`` frame and write at once);
- ``BroadcastConnection``: ``fastws.Broadcast``'s delivery to a subscriber
  on fastws' protocol (``broadcast.targets.DirectTarget``), which in turn is
  a ``Fanout``: what the connection tells it.

The protocol satisfies both, together ``Connection`` (``fastws.protocol``
proves it to mypy). It offers itself through the scope extension
``CONNECTION_EXTENSION``; ``connection_of`` (from a scope and its ``send``)
and ``connection_behind`` (from a bare ``send``) find it. Nothing here
needs uvicorn: the protocol is never imported, only described.
"""

from __future__ import annotations

import sys
from types import CodeType, FunctionType
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import asyncio

    from .wire import codec

__all__ = [
    "CONNECTION_EXTENSION",
    "BroadcastConnection",
    "Connection",
    "DirectConnection",
    "Fanout",
    "connection_behind",
    "connection_of",
    "unwrapped",
]

#: the scope extension fastws' protocol offers when its ASGI ``send`` is its own: the value is its
#: class (not the connection: the connection holds its scope, so that would be a reference cycle).
#: The key keeps the name it always had, as apps may see it in ``scope["extensions"]``.
CONNECTION_EXTENSION = "fastws.wire"


class DirectConnection(Protocol):
    """What ``fastws.WebSocket`` writes through when ``connection_of`` finds fastws' protocol."""

    def write_text(self, text: str) -> bool:
        """Frame and write a text message now; False (nothing written) unless open and writable."""
        ...

    def write_bytes(self, data: bytes) -> bool:
        """``write_text`` for a binary message."""
        ...


class Fanout(Protocol):
    """A connection's broadcast delivery, as the connection sees it (``BroadcastConnection.fanout``)."""

    @property
    def gone(self) -> bool:
        """The delivery ended: a new one may take the connection."""
        ...

    def writable(self) -> None:
        """The transport resumed writing: send what waited."""
        ...

    def lost(self) -> None:
        """The TCP connection is gone."""
        ...


@runtime_checkable
class BroadcastConnection(Protocol):
    """What ``fastws.Broadcast`` calls on a subscriber on fastws' protocol: all of it.

    Messages are framed with the connection's codec (``conn``: its
    permessage-deflate context must see them in order) and written to its
    transport while ``writing_paused()`` is False; the connection calls
    its ``fanout`` back when writing resumes and when it is lost.
    """

    #: the broadcast delivery of this connection, while subscribed (set and cleared by the delivery)
    fanout: Fanout | None

    @property
    def conn(self) -> codec.Connection:
        """The connection's frame codec."""
        ...

    @property
    def transport(self) -> asyncio.WriteTransport:
        """The connection's transport."""
        ...

    def write_frame(self, frame: bytes) -> None:
        """Write a framed message (to the socket at once if the transport holds nothing, else through it)."""
        ...

    def deliver_frame(self, frame: bytes) -> bool:
        """``write_frame`` if the connection is open and writing is not paused, else nothing: False.

        A fan-out's common case in one call per delivery.
        """
        ...

    def is_open(self) -> bool:
        """Accepted, and neither side has closed: messages may go out."""
        ...

    def is_connecting(self) -> bool:
        """The app has not answered the upgrade yet: the connection may still open."""
        ...

    def writing_paused(self) -> bool:
        """The transport's buffer is full: writes wait for ``fanout.writable()``."""
        ...

    def close_now(self, code: int, reason: str = "") -> None:
        """Start the closing handshake from the server's side (a subscriber too slow)."""
        ...


class Connection(DirectConnection, BroadcastConnection, Protocol):
    """fastws' protocol as both paths see it: what ``connection_of`` finds."""


def connection_of(scope: object, send: object) -> Connection | None:
    """The fastws protocol behind ``send``, or None.

    Only when ``send`` is that protocol's own ASGI send (no middleware in
    between): then ``fastws.WebSocket`` may hand it text and bytes to frame
    and write at once (``write_text``/``write_bytes``), skipping the message
    dicts. Both paths put the same bytes on the wire.
    """
    extensions = scope.get("extensions") if isinstance(scope, dict) else None
    connection_class = extensions.get(CONNECTION_EXTENSION) if isinstance(extensions, dict) else None
    if connection_class is None:
        return None  # another server: nothing to look for behind send (half a microsecond a WebSocket)
    owner = getattr(unwrapped(send), "__self__", None)
    return owner if type(owner) is connection_class else None


def connection_behind(send: object) -> BroadcastConnection | None:
    """The fastws protocol whose own ASGI ``send`` this is (a bound method of it), or None.

    For an ASGI ``send`` given without its scope (``Broadcast.subscribe(channel, send)``):
    its owner is recognised by the contract, checked at run time.
    """
    owner = getattr(unwrapped(send), "__self__", None)
    return owner if isinstance(owner, BroadcastConnection) else None


#: how many pass-through wrappers one ``send`` may be in (FastAPI: the app's and the route's)
MAX_WRAPPERS = 8
_STARLETTE_WRAPPER = "starlette._exception_handler"
_starlette_sender: CodeType | None = None  # the code of Starlette's wrapper, once seen


def unwrapped(send: object) -> object:
    """``send`` without the wrappers around it that pass WebSocket messages through untouched.

    Starlette's exception handling (its ``ExceptionMiddleware``, and each
    route of Starlette and FastAPI) hands the app a ``send`` wrapped in a
    function that only watches for ``http.response.start`` and passes every
    message on as it is. Seeing through it lets ``fastws.WebSocket`` and
    ``fastws.Broadcast`` write straight to the connection in the apps
    people write. Any other wrapper (an app's own middleware) stays: its
    ``send`` is called, as it expects.
    """
    for _ in range(MAX_WRAPPERS):
        if type(send) is not FunctionType:
            return send  # a bound method (a protocol's own send) or another callable: not that wrapper
        inner = _starlette_inner(send)
        if inner is None:
            return send
        send = inner
    return send


#: uvicorn's WebSocket protocols' own ASGI ``send`` (``wsproto``, ``websockets-sansio``, the legacy ``websockets``),
#: by module and code: none ties anything to the task that calls it
_UVICORN_PROTOCOLS = "uvicorn.protocols.websockets."
_SERVER_SENDS = frozenset(("WSProtocol.send", "WebSocketsSansIOProtocol.send", "WebSocketProtocol.asgi_send"))


def is_server_send(send: object) -> bool:
    """Whether ``send`` is a uvicorn WebSocket protocol's own ASGI send, past Starlette's pass-through wrappers.

    Such a send ties nothing to the task it runs in (no timeout, no cancel
    scope, no context variable): ``fastws.Broadcast`` may start it in the
    publisher's task and finish it in another. Told by its code, which a
    wrapper cannot borrow (``functools.wraps`` copies names, not code): a
    protocol subclass's own ``send``, or an instrumented one, is not it.
    """
    function = getattr(unwrapped(send), "__func__", None)
    code = getattr(function, "__code__", None)
    return (
        code is not None
        and code.co_qualname in _SERVER_SENDS
        and str(getattr(function, "__module__", "")).startswith(_UVICORN_PROTOCOLS)
    )


def _starlette_inner(send: FunctionType) -> object | None:
    """The ``send`` Starlette's exception wrapper ``send`` passes messages to, if it is that wrapper."""
    sender = _starlette_sender or _find_starlette_sender()
    if sender is None or send.__code__ is not sender:
        return None
    closure = getattr(send, "__closure__", None) or ()
    inner: object = closure[sender.co_freevars.index("send")].cell_contents
    return inner


def _find_starlette_sender() -> CodeType | None:
    """The code of the ``sender`` Starlette wraps ``send`` in, if Starlette is imported and it is as expected."""
    global _starlette_sender
    module = sys.modules.get(_STARLETTE_WRAPPER)
    wrap = getattr(module, "wrap_app_handling_exceptions", None)
    code = _nested_code(wrap.__code__, "sender") if callable(wrap) and hasattr(wrap, "__code__") else None
    # the wrapper as known: its only state is whether an HTTP response started (a change of it is not seen through)
    if code is not None and set(code.co_freevars) == {"response_started", "send"}:
        _starlette_sender = code
    return _starlette_sender


def _nested_code(code: CodeType, name: str) -> CodeType | None:
    """The code of function ``name`` defined (at any depth) inside ``code``."""
    for const in code.co_consts:
        if isinstance(const, CodeType):
            found = const if const.co_name == name else _nested_code(const, name)
            if found is not None:
                return found
    return None

# cython: annotation_typing=False
"""``WebSocketBase``, the hot half of ``fastws.WebSocket``: one source, two builds.

``WebSocketBase`` holds the connection data (headers, URL, query parameters,
built on first use), Starlette's ASGI state machine, and the per-message
``send_*``/``receive_*`` methods. The cold half of ``WebSocket`` is plain
Python, in ``fastws.websockets``.

This file is the pure twin, and also the source of the compiled one: the
build compiles it with Cython as ``fastws._websocket_base_c``, typed by
``_websocket_base_c.pxd`` (aiohttp's way), so the twins cannot drift. The
``.pxd`` makes ``WebSocketBase`` a ``cdef class`` and turns the imports of
``headers_of_scope``, ``url_of_scope``, ``query_params_of`` and the JSON
functions from the pure twins into C-level calls into the compiled ones.
Annotations are for type checkers only (``annotation_typing=False``): the
compiled build checks no argument types the pure one does not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

from . import _states
from ._asgi import Message, Receive, Scope, Send
from ._headers_py import Headers, headers_of_scope
from ._json_py import json_dumps, json_dumps_bytes, json_loads
from ._shared import AcceptHeaders, as_raw_headers
from ._states import WebSocketDisconnect, WebSocketDisconnected, WebSocketState
from ._url_py import URL, QueryParams, query_params_of, url_of_scope
from .connection import DirectConnection, connection_of

__all__ = ["WebSocketBase"]

# --------------------------------------------------------------- WebSocketBase

_CONNECTING = WebSocketState.CONNECTING
_CONNECTED = WebSocketState.CONNECTED
_DISCONNECTED = WebSocketState.DISCONNECTED
_RESPONSE = WebSocketState.RESPONSE
_no_receive = _states.no_receive
_no_send = _states.no_send


class WebSocketBase:
    """The hot half of ``fastws.WebSocket``: connection data, state, messages.

    ``send``/``receive`` are Starlette's state machine. The data methods take
    a short path while the connection is open and fall back to the state
    machine otherwise, so every error is exactly Starlette's.
    """

    __slots__ = (
        "_conn",
        "_conn_send",
        "_direct",
        "_disconnect_callbacks",
        "_headers",
        "_query",
        "_receive",
        "_send",
        "_url",
        "application_state",
        "client_state",
        "scope",
    )

    def __init__(self, scope: Scope, receive: Receive | None = None, send: Send | None = None) -> None:
        assert scope["type"] == "websocket"
        self.scope: Scope = scope
        self._receive: Receive = _no_receive if receive is None else receive
        self._send: Send = _no_send if send is None else send
        self.client_state: WebSocketState = _CONNECTING
        self.application_state: WebSocketState = _CONNECTING
        self._headers: Headers | None = None
        self._url: URL | None = None
        self._query: QueryParams | None = None
        # Short paths only when send()/receive() are not overridden: a
        # subclass's own send/receive must see every message, as in Starlette.
        cls = type(self)
        self._direct = cls.send is WebSocketBase.send and cls.receive is WebSocketBase.receive
        # On fastws' own wire layer (fastws.connection), text and bytes go straight to the frame codec.
        self._conn: DirectConnection | None = connection_of(scope, self._send) if self._direct else None
        self._conn_send: Send = self._send
        self._disconnect_callbacks: list[Callable[[], object]] | None = None

    # ------------------------------------------------------ connection data

    @property
    def headers(self) -> Headers:
        """The handshake headers: an immutable, case-insensitive multidict."""
        if self._headers is None:
            self._headers = headers_of_scope(self.scope)
        return self._headers

    @property
    def url(self) -> URL:
        """The full URL of the connection (a ``str`` with components)."""
        if self._url is None:
            self._url = url_of_scope(self.scope)
        return self._url

    @property
    def query_params(self) -> QueryParams:
        """The query parameters: an immutable multidict."""
        if self._query is None:
            self._query = query_params_of(self.scope["query_string"])
        return self._query

    if not TYPE_CHECKING:
        # Writing or deleting one raises the AttributeError Python gives for a
        # read-only property: the pure build would raise it anyway, but a
        # cdef class's property would say "not writable". Type checkers skip
        # this block (the properties stay read-only to them); Cython, taking
        # TYPE_CHECKING as False, compiles it into the properties.

        @headers.setter
        def headers(self, value):
            raise _states.read_only(self, "headers")

        @headers.deleter
        def headers(self):
            raise _states.read_only(self, "headers", "delete")

        @url.setter
        def url(self, value):
            raise _states.read_only(self, "url")

        @url.deleter
        def url(self):
            raise _states.read_only(self, "url", "delete")

        @query_params.setter
        def query_params(self, value):
            raise _states.read_only(self, "query_params")

        @query_params.deleter
        def query_params(self):
            raise _states.read_only(self, "query_params", "delete")

    # ------------------------------------------------ the ASGI state machine

    async def receive(self) -> Message:
        """Receive ASGI websocket messages, ensuring valid state transitions."""
        if self.client_state is _CONNECTING:
            return self._connected(await self._receive())
        elif self.client_state is _CONNECTED:
            message = await self._receive()
            message_type = message["type"]
            if message_type != "websocket.receive":
                if message_type != "websocket.disconnect":
                    raise RuntimeError(_states.expected_receive(message_type))
                self._disconnected()
            return message
        else:
            raise WebSocketDisconnected(_states.RECEIVE_AFTER_DISCONNECT)

    def _connected(self, message: Message) -> Message:
        """The client's first message, which must be ``websocket.connect``: the client is connected."""
        message_type = message["type"]
        if message_type != "websocket.connect":
            raise RuntimeError(_states.expected_connect(message_type))
        self.client_state = _CONNECTED
        return message

    async def send(self, message: Message) -> None:
        """Send ASGI websocket messages, ensuring valid state transitions."""
        state = self.application_state
        if state is _CONNECTING:
            message_type = message["type"]
            if message_type == "websocket.accept":
                self.application_state = _CONNECTED
            elif message_type == "websocket.close":
                self.application_state = _DISCONNECTED
            elif message_type == "websocket.http.response.start":
                self.application_state = _RESPONSE
            else:
                raise RuntimeError(_states.expected_accept(message_type))
            await self._send(message)
        elif state is _CONNECTED:
            message_type = message["type"]
            if message_type != "websocket.send":
                if message_type != "websocket.close":
                    raise RuntimeError(_states.expected_send(message_type))
                self.application_state = _DISCONNECTED
            try:
                await self._send(message)
            except OSError:
                self.application_state = _DISCONNECTED
                raise WebSocketDisconnect(code=1006)  # noqa: B904 - as Starlette (the OSError is its context)
        elif state is _RESPONSE:
            message_type = message["type"]
            if message_type != "websocket.http.response.body":
                raise RuntimeError(_states.expected_body(message_type))
            if not message.get("more_body", False):
                self.application_state = _DISCONNECTED
            await self._send(message)
        else:
            raise WebSocketDisconnected(_states.SEND_AFTER_CLOSE)

    async def accept(self, subprotocol: str | None = None, headers: AcceptHeaders | None = None) -> None:
        """Accept the connection, waiting for the client's connect first."""
        headers = as_raw_headers(headers) if headers else []
        message = {"type": "websocket.accept", "subprotocol": subprotocol, "headers": headers}
        if not self._direct:  # a subclass's own receive() and send() see both messages
            if self.client_state is _CONNECTING:
                await self.receive()
            await self.send(message)
            return
        # receive()'s and send()'s steps for these two messages, without a coroutine each
        if self.client_state is _CONNECTING:
            self._connected(await self._receive())
        if self.application_state is not _CONNECTING:
            await self.send(message)  # accepted or closed already: send() raises as it should
            return
        self.application_state = _CONNECTED
        await self._send(message)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        """Close the connection with ``code`` and ``reason`` (before accept: refuse it, HTTP 403)."""
        await self.send({"type": "websocket.close", "code": code, "reason": reason or ""})

    # ------------------------------------------------------------ receiving
    #
    # While connected (and send/receive are not overridden) each method
    # awaits the ASGI receive itself; anything else goes through
    # _receive_data, which runs the full state machine.

    async def _receive_data(self) -> Message:
        """The next data message; ``WebSocketDisconnect`` on a disconnect."""
        if self.application_state is not _CONNECTED:
            raise WebSocketDisconnected(_states.NOT_CONNECTED)
        message = await self.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message["code"], message.get("reason"))
        return message

    def _not_data(self, message: Message) -> NoReturn:
        """Raise for a non-``websocket.receive`` message on the short path."""
        message_type = message["type"]
        if message_type != "websocket.disconnect":
            raise RuntimeError(_states.expected_receive(message_type))
        self._disconnected()
        raise WebSocketDisconnect(message["code"], message.get("reason"))

    # ------------------------------------------------------ the disconnect hook

    def on_disconnect(self, callback: Callable[[], object]) -> None:
        """Call ``callback()`` once, when the app reads the client's ``websocket.disconnect``.

        That is the end of the connection as the app sees it, on any ASGI
        server: ``receive()`` returning the message, or a ``receive_*``
        method raising ``WebSocketDisconnect`` for it. Callbacks run in the
        order given, right before that call returns or raises (an exception
        from one propagates from it). One registered after the disconnect was
        read is never called. Not in Starlette: ``fastws.Broadcast`` uses it
        to take a subscriber off its channels when its connection ends.
        """
        if self._disconnect_callbacks is None:
            self._disconnect_callbacks = [callback]
        else:
            self._disconnect_callbacks.append(callback)

    def _disconnected(self) -> None:
        """The app read the client's disconnect: the state, then the hook's callbacks (once)."""
        self.client_state = _DISCONNECTED
        callbacks = self._disconnect_callbacks
        if callbacks is not None:
            self._disconnect_callbacks = None
            for callback in callbacks:
                callback()

    async def receive_text(self) -> str:
        """The next message's text; ``WebSocketDisconnect`` when the peer has closed."""
        if self._direct and self.application_state is _CONNECTED and self.client_state is _CONNECTED:
            message = await self._receive()
            if message["type"] != "websocket.receive":
                self._not_data(message)
            return message["text"]  # type: ignore[no-any-return]
        return (await self._receive_data())["text"]  # type: ignore[no-any-return]

    async def receive_bytes(self) -> bytes:
        """The next message's bytes; ``WebSocketDisconnect`` when the peer has closed."""
        if self._direct and self.application_state is _CONNECTED and self.client_state is _CONNECTED:
            message = await self._receive()
            if message["type"] != "websocket.receive":
                self._not_data(message)
            return message["bytes"]  # type: ignore[no-any-return]
        return (await self._receive_data())["bytes"]  # type: ignore[no-any-return]

    async def receive_json(self, mode: str = "text") -> Any:
        """The next message parsed as JSON, from its text (``mode="text"``) or its bytes (``"binary"``)."""
        if mode != "text" and mode != "binary":
            raise RuntimeError(_states.bad_mode(mode))
        if self._direct and self.application_state is _CONNECTED and self.client_state is _CONNECTED:
            message = await self._receive()
            if message["type"] != "websocket.receive":
                self._not_data(message)
        else:
            message = await self._receive_data()
        if mode == "text":
            return json_loads(message["text"])
        return json_loads(message["bytes"].decode("utf-8"))

    # -------------------------------------------------------------- sending
    #
    # While connected (and send is not overridden) each method awaits the
    # ASGI send itself; a failing send (OSError) is a 1006 disconnect, as in
    # Starlette. Otherwise send() runs the full state machine.

    def _send_failed(self) -> NoReturn:
        """Called inside ``except OSError``: mark closed, raise 1006."""
        self.application_state = _DISCONNECTED
        raise WebSocketDisconnect(code=1006)

    async def send_text(self, data: str) -> None:
        """Send ``data`` as a text message."""
        if self._conn is not None and self.application_state is _CONNECTED and self._send is self._conn_send:
            if self._conn.write_text(data):
                return
        message = {"type": "websocket.send", "text": data}
        if self._direct and self.application_state is _CONNECTED:
            try:
                await self._send(message)
            except OSError:
                self._send_failed()
        else:
            await self.send(message)

    async def send_bytes(self, data: bytes) -> None:
        """Send ``data`` as a binary message."""
        if self._conn is not None and self.application_state is _CONNECTED and self._send is self._conn_send:
            if self._conn.write_bytes(data):
                return
        message = {"type": "websocket.send", "bytes": data}
        if self._direct and self.application_state is _CONNECTED:
            try:
                await self._send(message)
            except OSError:
                self._send_failed()
        else:
            await self.send(message)

    async def send_json(self, data: Any, mode: str = "text") -> None:
        """Send ``data`` as JSON (compact, non-ASCII kept), in a text (``mode="text"``) or binary message."""
        payload: str | bytes
        if mode == "text":
            payload = json_dumps(data)
        elif mode == "binary":
            payload = json_dumps_bytes(data)
        else:
            raise RuntimeError(_states.bad_mode(mode))
        if self._conn is not None and self.application_state is _CONNECTED and self._send is self._conn_send:
            # payload is the str for mode "text", the bytes for "binary" (checkers cannot tell)
            if self._conn.write_text(payload) if mode == "text" else self._conn.write_bytes(payload):  # type: ignore[arg-type]
                return
        message = {"type": "websocket.send", "text" if mode == "text" else "bytes": payload}
        if self._direct and self.application_state is _CONNECTED:
            try:
                await self._send(message)
            except OSError:
                self._send_failed()
        else:
            await self.send(message)

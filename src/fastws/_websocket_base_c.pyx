# cython: language_level=3
"""Compiled twin of ``fastws._websocket_base_py``: ``WebSocketBase``.

The hot half of ``fastws.WebSocket``: connection data, Starlette's ASGI state
machine, and the per-message ``send_*``/``receive_*`` methods. It mirrors the
pure twin method by method. Headers, URL, query parameters and the JSON
encoder come from the other compiled twins through their ``.pxd`` files:
direct C calls, no Python-level lookup.
"""

from . import _states
from ._json_c import json_loads
from ._shared import as_raw_headers
from ._states import WebSocketDisconnect, WebSocketDisconnected, WebSocketState
from .connection import connection_of

from ._headers_c cimport headers_of_scope
from ._json_c cimport json_dumps, json_dumps_bytes
from ._url_c cimport query_params_of, url_of_scope

__all__ = ["WebSocketBase"]

cdef object _CONNECTING = WebSocketState.CONNECTING
cdef object _CONNECTED = WebSocketState.CONNECTED
cdef object _DISCONNECTED = WebSocketState.DISCONNECTED
cdef object _RESPONSE = WebSocketState.RESPONSE
cdef object _no_receive = _states.no_receive
cdef object _no_send = _states.no_send


cdef class WebSocketBase:
    """The hot half of ``fastws.WebSocket``: connection data, state, messages.

    ``send``/``receive`` are Starlette's state machine. The data methods take
    a short path while the connection is open and fall back to the state
    machine otherwise, so every error is exactly Starlette's.
    """

    cdef public object scope
    cdef public object _receive
    cdef public object _send
    cdef public object client_state
    cdef public object application_state
    cdef object _headers
    cdef object _url
    cdef object _query
    cdef bint _direct
    cdef object _conn
    cdef object _conn_send
    cdef object __weakref__

    def __init__(self, scope, receive=None, send=None):
        assert scope["type"] == "websocket"
        self.scope = scope
        self._receive = _no_receive if receive is None else receive
        self._send = _no_send if send is None else send
        self.client_state = _CONNECTING
        self.application_state = _CONNECTING
        # Short paths only when send()/receive() are not overridden: a
        # subclass's own send/receive must see every message, as in Starlette.
        cls = type(self)
        self._direct = cls.send is WebSocketBase.send and cls.receive is WebSocketBase.receive
        # On fastws' own wire layer (fastws.connection), text and bytes go straight to the frame codec.
        self._conn = connection_of(scope, self._send) if self._direct else None
        self._conn_send = self._send

    # ------------------------------------------------------ connection data

    @property
    def headers(self):
        """The handshake headers: an immutable, case-insensitive multidict."""
        if self._headers is None:
            self._headers = headers_of_scope(self.scope)
        return self._headers

    @headers.setter
    def headers(self, value):
        raise _states.read_only(self, "headers")

    @headers.deleter
    def headers(self):
        raise _states.read_only(self, "headers", "delete")

    @property
    def url(self):
        """The full URL of the connection (a ``str`` with components)."""
        if self._url is None:
            self._url = url_of_scope(self.scope)
        return self._url

    @url.setter
    def url(self, value):
        raise _states.read_only(self, "url")

    @url.deleter
    def url(self):
        raise _states.read_only(self, "url", "delete")

    @property
    def query_params(self):
        """The query parameters: an immutable multidict."""
        if self._query is None:
            self._query = query_params_of(self.scope["query_string"])
        return self._query

    @query_params.setter
    def query_params(self, value):
        raise _states.read_only(self, "query_params")

    @query_params.deleter
    def query_params(self):
        raise _states.read_only(self, "query_params", "delete")

    # ------------------------------------------------ the ASGI state machine

    async def receive(self):
        """Receive ASGI websocket messages, ensuring valid state transitions."""
        if self.client_state is _CONNECTING:
            message = await self._receive()
            message_type = message["type"]
            if message_type != "websocket.connect":
                raise RuntimeError(_states.expected_connect(message_type))
            self.client_state = _CONNECTED
            return message
        elif self.client_state is _CONNECTED:
            message = await self._receive()
            message_type = message["type"]
            if message_type != "websocket.receive":
                if message_type != "websocket.disconnect":
                    raise RuntimeError(_states.expected_receive(message_type))
                self.client_state = _DISCONNECTED
            return message
        else:
            raise WebSocketDisconnected(_states.RECEIVE_AFTER_DISCONNECT)

    async def send(self, message):
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
                raise WebSocketDisconnect(code=1006)
        elif state is _RESPONSE:
            message_type = message["type"]
            if message_type != "websocket.http.response.body":
                raise RuntimeError(_states.expected_body(message_type))
            if not message.get("more_body", False):
                self.application_state = _DISCONNECTED
            await self._send(message)
        else:
            raise WebSocketDisconnected(_states.SEND_AFTER_CLOSE)

    async def accept(self, subprotocol=None, headers=None):
        """Accept the connection, waiting for the client's connect first."""
        headers = as_raw_headers(headers) if headers else []
        if self.client_state is _CONNECTING:
            await self.receive()
        await self.send({"type": "websocket.accept", "subprotocol": subprotocol, "headers": headers})

    async def close(self, code=1000, reason=None):
        """Close the connection with ``code`` and ``reason`` (before accept: refuse it, HTTP 403)."""
        await self.send({"type": "websocket.close", "code": code, "reason": reason or ""})

    # ------------------------------------------------------------ receiving
    #
    # While connected (and send/receive are not overridden) each method
    # awaits the ASGI receive itself; anything else goes through
    # _receive_data, which runs the full state machine.

    async def _receive_data(self):
        """The next data message; ``WebSocketDisconnect`` on a disconnect."""
        if self.application_state is not _CONNECTED:
            raise WebSocketDisconnected(_states.NOT_CONNECTED)
        message = await self.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message["code"], message.get("reason"))
        return message

    def _not_data(self, message):
        """Raise for a non-``websocket.receive`` message on the short path."""
        message_type = message["type"]
        if message_type != "websocket.disconnect":
            raise RuntimeError(_states.expected_receive(message_type))
        self.client_state = _DISCONNECTED
        raise WebSocketDisconnect(message["code"], message.get("reason"))

    async def receive_text(self):
        """The next message's text; ``WebSocketDisconnect`` when the peer has closed."""
        if self._direct and self.application_state is _CONNECTED and self.client_state is _CONNECTED:
            message = await self._receive()
            if message["type"] != "websocket.receive":
                self._not_data(message)
            return message["text"]
        return (await self._receive_data())["text"]

    async def receive_bytes(self):
        """The next message's bytes; ``WebSocketDisconnect`` when the peer has closed."""
        if self._direct and self.application_state is _CONNECTED and self.client_state is _CONNECTED:
            message = await self._receive()
            if message["type"] != "websocket.receive":
                self._not_data(message)
            return message["bytes"]
        return (await self._receive_data())["bytes"]

    async def receive_json(self, mode="text"):
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

    def _send_failed(self):
        """Called inside ``except OSError``: mark closed, raise 1006."""
        self.application_state = _DISCONNECTED
        raise WebSocketDisconnect(code=1006)

    async def send_text(self, data):
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

    async def send_bytes(self, data):
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

    async def send_json(self, data, mode="text"):
        """Send ``data`` as JSON (compact, non-ASCII kept), in a text (``mode="text"``) or binary message."""
        if mode == "text":
            payload = json_dumps(data)
        elif mode == "binary":
            payload = json_dumps_bytes(data)
        else:
            raise RuntimeError(_states.bad_mode(mode))
        if self._conn is not None and self.application_state is _CONNECTED and self._send is self._conn_send:
            if self._conn.write_text(payload) if mode == "text" else self._conn.write_bytes(payload):
                return
        message = {"type": "websocket.send", "text" if mode == "text" else "bytes": payload}
        if self._direct and self.application_state is _CONNECTED:
            try:
                await self._send(message)
            except OSError:
                self._send_failed()
        else:
            await self.send(message)

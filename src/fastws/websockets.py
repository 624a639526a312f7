"""``WebSocket``: a drop-in for ``starlette.websockets.WebSocket``.

Same constructor, methods, states, exceptions and messages as Starlette 1.10,
with two deliberate extensions from Starlette's own documentation:
``receive``/``send`` may be omitted, and ``url`` is a ``str`` subclass.
``accept(headers=...)`` also takes a mapping of header names to values.

The connection data (``headers``, ``url``, ``query_params``) and JSON encoding
run on the live twin (compiled unless ``FASTWS_NO_EXTENSIONS`` is set). The
per-message methods take a short path when the connection is open and fall
back to the general state machine (``send``/``receive``) otherwise, so every
error is exactly Starlette's.
"""

from __future__ import annotations

import enum
import json
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from types import ModuleType
from typing import Any, NoReturn

from ._cookies import cookie_parser
from ._impl import impl
from .datastructures import Address, State

Scope = dict[str, Any]
Message = dict[str, Any]

__all__ = [
    "WebSocket",
    "WebSocketClose",
    "WebSocketDisconnect",
    "WebSocketDisconnected",
    "WebSocketState",
]


class WebSocketState(enum.Enum):
    CONNECTING = 0
    CONNECTED = 1
    DISCONNECTED = 2
    RESPONSE = 3


_CONNECTING = WebSocketState.CONNECTING
_CONNECTED = WebSocketState.CONNECTED
_DISCONNECTED = WebSocketState.DISCONNECTED
_RESPONSE = WebSocketState.RESPONSE

_NOT_CONNECTED = 'WebSocket is not connected. Need to call "accept" first.'
_BAD_MODE = 'The "mode" argument should be "text" or "binary".'


class WebSocketDisconnect(Exception):
    """The peer closed the connection (or the send failed: code 1006)."""

    def __init__(self, code: int = 1000, reason: str | None = None) -> None:
        self.code = code
        self.reason = reason or ""


class WebSocketDisconnected(RuntimeError):
    """Raised when attempting to use a disconnected WebSocket."""


async def _no_receive() -> NoReturn:
    raise RuntimeError("Receive channel has not been made available")


async def _no_send(message: Message) -> NoReturn:
    raise RuntimeError("Send channel has not been made available")


class _computed_once:
    """A lazily computed attribute, stored on the instance after first use."""

    def __init__(self, compute: Callable[[Any], Any]) -> None:
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    def __get__(self, obj: Any, cls: Any = None) -> Any:
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.compute(obj)
        return value


def _as_raw_headers(headers: Any) -> Any:
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


class WebSocket(Mapping[str, Any]):
    """An ASGI WebSocket connection, with Starlette's API."""

    # The twin this class uses; ``for_twin`` binds another (tests do).
    _twin: ModuleType = impl

    def __init__(self, scope: Scope, receive: Any = None, send: Any = None) -> None:
        assert scope["type"] == "websocket"
        self.scope = scope
        self._receive = _no_receive if receive is None else receive
        self._send = _no_send if send is None else send
        self.client_state = _CONNECTING
        self.application_state = _CONNECTING

    @classmethod
    def for_twin(cls, twin: ModuleType) -> type[WebSocket]:
        """This class bound to another twin module (``_speedups``/``_speedups_py``)."""
        return type(cls.__name__, (cls,), {"_twin": twin, "__module__": cls.__module__})

    # ------------------------------------------------------------ the scope

    def __getitem__(self, key: str) -> Any:
        return self.scope[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.scope)

    def __len__(self) -> int:
        return len(self.scope)

    # Connections are equal only to themselves, never by content.
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    @property
    def app(self) -> Any:
        return self.scope["app"]

    @_computed_once
    def url(self) -> Any:
        """The full URL of the connection (a ``str`` with components)."""
        return self._twin.URL(scope=self.scope)

    @_computed_once
    def base_url(self) -> Any:
        """The URL of the application root, without query."""
        base_url_scope = dict(self.scope)
        # Inside a Mount the app's own root path still anchors url_for.
        app_root_path = base_url_scope.get("app_root_path", base_url_scope.get("root_path", ""))
        path = app_root_path
        if not path.endswith("/"):
            path += "/"
        base_url_scope["path"] = path
        base_url_scope["query_string"] = b""
        base_url_scope["root_path"] = app_root_path
        return self._twin.URL(scope=base_url_scope)

    @_computed_once
    def headers(self) -> Any:
        """The request headers: an immutable, case-insensitive multidict."""
        return self._twin.Headers(scope=self.scope)

    @_computed_once
    def query_params(self) -> Any:
        """The query parameters: an immutable multidict."""
        return self._twin.QueryParams(self.scope["query_string"])

    @property
    def path_params(self) -> dict[str, Any]:
        path_params: dict[str, Any] = self.scope.get("path_params", {})
        return path_params

    @_computed_once
    def cookies(self) -> dict[str, str]:
        """Cookies sent with the handshake."""
        cookies: dict[str, str] = {}
        for header in self.headers.getlist("cookie"):
            cookies.update(cookie_parser(header))
        return cookies

    @property
    def client(self) -> Address | None:
        host_port = self.scope.get("client")
        if host_port is not None:
            return Address(*host_port)
        return None

    @property
    def session(self) -> dict[str, Any]:
        assert "session" in self.scope, "SessionMiddleware must be installed to access request.session"
        session = self.scope["session"]
        if hasattr(session, "mark_accessed"):
            session.mark_accessed()
        return session  # type: ignore[no-any-return]

    @property
    def auth(self) -> Any:
        assert "auth" in self.scope, "AuthenticationMiddleware must be installed to access request.auth"
        return self.scope["auth"]

    @property
    def user(self) -> Any:
        assert "user" in self.scope, "AuthenticationMiddleware must be installed to access request.user"
        return self.scope["user"]

    @_computed_once
    def state(self) -> State:
        """Per-connection state, stored in ``scope["state"]``."""
        self.scope.setdefault("state", {})
        return State(self.scope["state"])

    def url_for(self, name: str, /, **path_params: Any) -> Any:
        provider = self.scope.get("router") or self.scope.get("app")
        if provider is None:
            raise RuntimeError("The `url_for` method can only be used inside a Starlette application or with a router.")
        url_path = provider.url_path_for(name, **path_params)
        return self._twin.URL(str(url_path.make_absolute_url(base_url=str(self.base_url))))

    # ----------------------------------------------- the ASGI state machine

    async def receive(self) -> Message:
        """Receive ASGI websocket messages, ensuring valid state transitions."""
        if self.client_state is _CONNECTING:
            message = await self._receive()
            message_type = message["type"]
            if message_type != "websocket.connect":
                raise RuntimeError(f'Expected ASGI message "websocket.connect", but got {message_type!r}')
            self.client_state = _CONNECTED
            return message  # type: ignore[no-any-return]
        elif self.client_state is _CONNECTED:
            message = await self._receive()
            message_type = message["type"]
            if message_type != "websocket.receive":
                if message_type != "websocket.disconnect":
                    raise RuntimeError(
                        f'Expected ASGI message "websocket.receive" or "websocket.disconnect", but got {message_type!r}'
                    )
                self.client_state = _DISCONNECTED
            return message  # type: ignore[no-any-return]
        else:
            raise WebSocketDisconnected('Cannot call "receive" once a disconnect message has been received.')

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
                raise RuntimeError(
                    'Expected ASGI message "websocket.accept", "websocket.close" or "websocket.http.response.start", '
                    f"but got {message_type!r}"
                )
            await self._send(message)
        elif state is _CONNECTED:
            message_type = message["type"]
            if message_type != "websocket.send":
                if message_type != "websocket.close":
                    raise RuntimeError(
                        f'Expected ASGI message "websocket.send" or "websocket.close", but got {message_type!r}'
                    )
                self.application_state = _DISCONNECTED
            try:
                await self._send(message)
            except OSError:
                self.application_state = _DISCONNECTED
                raise WebSocketDisconnect(code=1006)
        elif state is _RESPONSE:
            message_type = message["type"]
            if message_type != "websocket.http.response.body":
                raise RuntimeError(f'Expected ASGI message "websocket.http.response.body", but got {message_type!r}')
            if not message.get("more_body", False):
                self.application_state = _DISCONNECTED
            await self._send(message)
        else:
            raise WebSocketDisconnected('Cannot call "send" once a close message has been sent.')

    async def accept(
        self,
        subprotocol: str | None = None,
        headers: Iterable[tuple[bytes, bytes]] | Mapping[Any, Any] | None = None,
    ) -> None:
        """Accept the connection, waiting for the client's connect first."""
        headers = _as_raw_headers(headers) if headers else []
        if self.client_state is _CONNECTING:
            await self.receive()
        await self.send({"type": "websocket.accept", "subprotocol": subprotocol, "headers": headers})

    # ------------------------------------------------------------ receiving

    async def _receive_data(self) -> Message:
        """The next data message; ``WebSocketDisconnect`` on a disconnect."""
        if self.application_state is not _CONNECTED:
            raise WebSocketDisconnected(_NOT_CONNECTED)
        if self.client_state is _CONNECTED:
            message = await self._receive()
            message_type = message["type"]
            if message_type == "websocket.receive":
                return message  # type: ignore[no-any-return]
            if message_type != "websocket.disconnect":
                raise RuntimeError(
                    f'Expected ASGI message "websocket.receive" or "websocket.disconnect", but got {message_type!r}'
                )
            self.client_state = _DISCONNECTED
        else:
            message = await self.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message["code"], message.get("reason"))
        return message

    async def receive_text(self) -> str:
        return (await self._receive_data())["text"]  # type: ignore[no-any-return]

    async def receive_bytes(self) -> bytes:
        return (await self._receive_data())["bytes"]  # type: ignore[no-any-return]

    async def receive_json(self, mode: str = "text") -> Any:
        if mode != "text" and mode != "binary":
            raise RuntimeError(_BAD_MODE)
        message = await self._receive_data()
        if mode == "text":
            return json.loads(message["text"])
        return json.loads(message["bytes"].decode("utf-8"))

    async def iter_text(self) -> AsyncIterator[str]:
        try:
            while True:
                yield await self.receive_text()
        except WebSocketDisconnect:
            pass

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        try:
            while True:
                yield await self.receive_bytes()
        except WebSocketDisconnect:
            pass

    async def iter_json(self) -> AsyncIterator[Any]:
        try:
            while True:
                yield await self.receive_json()
        except WebSocketDisconnect:
            pass

    # -------------------------------------------------------------- sending

    async def _send_data(self, message: Message) -> None:
        """Send a ``websocket.send`` message, short path when connected."""
        if self.application_state is _CONNECTED:
            try:
                await self._send(message)
            except OSError:
                self.application_state = _DISCONNECTED
                raise WebSocketDisconnect(code=1006)
        else:
            await self.send(message)

    async def send_text(self, data: str) -> None:
        await self._send_data({"type": "websocket.send", "text": data})

    async def send_bytes(self, data: bytes) -> None:
        await self._send_data({"type": "websocket.send", "bytes": data})

    async def send_json(self, data: Any, mode: str = "text") -> None:
        if mode == "text":
            await self._send_data({"type": "websocket.send", "text": self._twin.json_dumps(data)})
        elif mode == "binary":
            await self._send_data({"type": "websocket.send", "bytes": self._twin.json_dumps_bytes(data)})
        else:
            raise RuntimeError(_BAD_MODE)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        await self.send({"type": "websocket.close", "code": code, "reason": reason or ""})

    async def send_denial_response(self, response: Any) -> None:
        """Send an HTTP response instead of accepting (needs server support)."""
        if "websocket.http.response" in self.scope.get("extensions", {}):
            await response(self.scope, self.receive, self.send)
        else:
            raise RuntimeError("The server doesn't support the Websocket Denial Response extension.")


class WebSocketClose:
    """An ASGI app that closes the connection (403 before accept)."""

    def __init__(self, code: int = 1000, reason: str | None = None) -> None:
        self.code = code
        self.reason = reason or ""

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        await send({"type": "websocket.close", "code": self.code, "reason": self.reason})

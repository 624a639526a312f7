"""``WebSocket``: a drop-in for ``starlette.websockets.WebSocket``.

Same constructor, methods, states, exceptions and messages as Starlette 1.10,
with two deliberate extensions from Starlette's own documentation:
``receive``/``send`` may be omitted, and ``url`` is a ``str`` subclass.
``accept(headers=...)`` also takes a mapping of header names to values.

The class has two halves. The hot one, ``WebSocketBase`` (connection data,
the ASGI state machine, send/receive of text, bytes and JSON), comes from the
live twin (``fastws._websocket_base``): compiled unless
``FASTWS_NO_EXTENSIONS`` is set (type checkers read the pure twin's). The
cold one, here, is the rest of Starlette's API: the Mapping over the scope,
cookies, state, ``url_for``, the iterators and denial responses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ._asgi import ASGIApp, Receive, Scope, Send
from ._cookies import cookie_parser
from ._states import WebSocketDisconnect, WebSocketDisconnected, WebSocketState
from ._websocket_base import WebSocketBase
from .datastructures import URL, Address, State

if TYPE_CHECKING:

    class _Connection(Mapping[str, Any], WebSocketBase):
        """For checkers: the cold half reads the hot half it is mixed into."""

else:
    _Connection = Mapping[str, Any]

FASTAPI_HINT = (
    "For a fastws.WebSocket in a FastAPI endpoint, import its annotation from fastws.fastapi: "
    "`from fastws.fastapi import WebSocket`, then `async def endpoint(websocket: WebSocket, ...)`."
)

__all__ = [
    "WebSocket",
    "WebSocketClose",
    "WebSocketDisconnect",
    "WebSocketDisconnected",
    "WebSocketState",
    "websocket_app",
]


class WebSocketMethods(_Connection):
    """The cold half of ``WebSocket``, over a twin's ``WebSocketBase``."""

    _base_url: URL
    _cookies: dict[str, str]
    _state: State

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

    @property
    def base_url(self) -> URL:
        """The URL of the application root, without query."""
        if hasattr(self, "_base_url"):
            return self._base_url
        base_url_scope = dict(self.scope)
        # Inside a Mount the app's own root path still anchors url_for.
        app_root_path = base_url_scope.get("app_root_path", base_url_scope.get("root_path", ""))
        path = app_root_path
        if not path.endswith("/"):
            path += "/"
        base_url_scope["path"] = path
        base_url_scope["query_string"] = b""
        base_url_scope["root_path"] = app_root_path
        self._base_url = type(self.url)(scope=base_url_scope)
        return self._base_url

    @property
    def path_params(self) -> dict[str, Any]:
        path_params: dict[str, Any] = self.scope.get("path_params", {})
        return path_params

    @property
    def cookies(self) -> dict[str, str]:
        """Cookies sent with the handshake."""
        if not hasattr(self, "_cookies"):
            cookies: dict[str, str] = {}
            for header in self.headers.getlist("cookie"):
                cookies.update(cookie_parser(header))
            self._cookies = cookies
        return self._cookies

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

    @property
    def state(self) -> State:
        """Per-connection state, stored in ``scope["state"]``."""
        if not hasattr(self, "_state"):
            self.scope.setdefault("state", {})
            self._state = State(self.scope["state"])
        return self._state

    def url_for(self, name: str, /, **path_params: Any) -> URL:
        provider = self.scope.get("router") or self.scope.get("app")
        if provider is None:
            raise RuntimeError("The `url_for` method can only be used inside a Starlette application or with a router.")
        url_path = provider.url_path_for(name, **path_params)
        return type(self.url)(str(url_path.make_absolute_url(base_url=str(self.base_url))))

    # ------------------------------------------------------------ iterators

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

    # ------------------------------------------------------------ FastAPI

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        # FastAPI asks pydantic for this when a parameter is annotated with the
        # class itself: it cannot inject it, so say what to write instead of
        # FastAPI's "Invalid args for response field".
        raise TypeError(FASTAPI_HINT)

    # ------------------------------------------------------- denial response

    async def send_denial_response(self, response: ASGIApp) -> None:
        """Send an HTTP response instead of accepting (needs server support)."""
        if "websocket.http.response" in self.scope.get("extensions", {}):
            await response(self.scope, self.receive, self.send)
        else:
            raise RuntimeError("The server doesn't support the Websocket Denial Response extension.")


class WebSocket(WebSocketMethods, WebSocketBase):
    """An ASGI WebSocket connection, with Starlette's API.

    ``WebSocket(scope, receive=None, send=None)``; ``receive``/``send`` are
    the ASGI callables (omitted ones raise ``RuntimeError`` when used).
    """


class WebSocketClose:
    """An ASGI app that closes the connection (403 before accept)."""

    def __init__(self, code: int = 1000, reason: str | None = None) -> None:
        self.code = code
        self.reason = reason or ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "websocket.close", "code": self.code, "reason": self.reason})


class _WebSocketApp:
    """The ASGI app ``websocket_app`` makes (an object, so routers call it as ASGI)."""

    __slots__ = ("handler",)

    def __init__(self, handler: Callable[[WebSocket], Awaitable[None]]) -> None:
        self.handler = handler

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # the handler's own awaitable, not a coroutine of ours awaiting it: one frame less to resume
        # at every message the handler awaits
        return self.handler(WebSocket(scope, receive, send))

    @property
    def __signature__(self) -> Any:
        # FastAPI's @app.websocket reads an endpoint's signature, and would take
        # scope, receive and send for query parameters (every connection: 403).
        raise TypeError(f"websocket_app(...) is an ASGI app, not a FastAPI endpoint. {FASTAPI_HINT}")


def websocket_app(handler: Callable[[WebSocket], Awaitable[None]]) -> ASGIApp:
    """An ASGI app that runs ``await handler(websocket)`` with a ``fastws.WebSocket``.

    Starlette's ``WebSocketRoute`` and ``websocket_route`` (and FastAPI's
    ``add_websocket_route``, which is Starlette's) call a plain function as
    ``endpoint(starlette_websocket)``; give them ``websocket_app(endpoint)``
    for a ``fastws.WebSocket`` instead:
    ``WebSocketRoute("/ws/{room}", websocket_app(chat))``. For FastAPI's
    ``@app.websocket`` with its dependencies, see ``fastws.fastapi``.
    """
    return _WebSocketApp(handler)

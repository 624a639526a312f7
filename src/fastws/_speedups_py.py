"""Pure-Python twin of ``fastws._speedups``: connection data and JSON.

Twin style: hand-written, as multidict and yarl do. ``_speedups.pyx`` defines
the same public names with the same behaviour, and mirrors this file section
by section (query strings, host header, Headers, QueryParams, URL, JSON), so
the two can be read side by side. The shared test suite runs every behaviour
test on both; hypothesis tests feed both (and Starlette) the same input.
"""

from __future__ import annotations

import json
import re
from collections.abc import ItemsView, Iterable, Iterator, KeysView, Mapping, MutableMapping, ValuesView
from ipaddress import AddressValueError, IPv6Address
from operator import itemgetter
from typing import Any, NoReturn, TypeVar, overload
from urllib.parse import SplitResult, unquote, urlencode, urlsplit

from . import _states
from ._asgi import Message, Receive, Scope, Send
from ._shared import _DEFAULT_PORTS, MutableHeadersMethods, URLMethods, bracket_ipv6
from ._states import AcceptHeaders, DirectWire, WebSocketDisconnect, WebSocketDisconnected, WebSocketState

__all__ = [
    "URL",
    "Headers",
    "MutableHeaders",
    "QueryParams",
    "WebSocketBase",
    "json_dumps",
    "json_dumps_bytes",
    "json_loads",
    "parse_host_header",
    "parse_query",
]

_T = TypeVar("_T")

# ---------------------------------------------------------------- query strings


def parse_query(qs: str) -> list[tuple[str, str]]:
    """``urllib.parse.parse_qsl(qs, keep_blank_values=True)``."""
    pairs: list[tuple[str, str]] = []
    for name_value in qs.split("&"):
        if not name_value:
            continue
        name, _eq, value = name_value.partition("=")
        if "+" in name:
            name = name.replace("+", " ")
        if "%" in name:
            name = unquote(name)
        if "+" in value:
            value = value.replace("+", " ")
        if "%" in value:
            value = unquote(value)
        pairs.append((name, value))
    return pairs


# ----------------------------------------------------------------- host header

# Starlette's rule: reject characters that could change the URL path or
# authority. Brackets hold an IPv6 address or an IPvFuture literal.
_HOST_RE = re.compile(
    r"^(?P<host>[a-z0-9._~%!$&'()*+,;=-]+|\[(?:(?P<ipv6>[a-f0-9]*:[a-f0-9.:]+)|"
    r"(?-i:v)[a-f0-9]+\.[a-z0-9._~!$&'()*+,;=:-]+)\])(?::(?P<port>[0-9]+))?$",
    re.IGNORECASE,
)


def parse_host_header(host_header: str | None) -> tuple[str, str | None] | None:
    """Split a ``Host`` header into ``(host, port)``; ``None`` when invalid.

    The port is ``None`` when absent; an out-of-range port makes the whole
    header invalid.
    """
    if host_header is None:
        return None
    match = _HOST_RE.fullmatch(host_header)
    if match is None:
        return None
    ipv6 = match["ipv6"]
    if ipv6 is not None:
        try:
            IPv6Address(ipv6)
        except AddressValueError:
            return None
    port = match["port"]
    if port is not None:
        digits = port.lstrip("0")
        if len(digits) > 5 or int(digits or "0") > 65535:
            return None
    return match["host"], port


# --------------------------------------------------------------------- Headers


class Headers(Mapping[str, str]):
    """An immutable, case-insensitive multidict of latin-1 header values."""

    __slots__ = ("_list",)

    def __init__(
        self,
        headers: Mapping[str, str] | None = None,
        raw: list[tuple[bytes, bytes]] | None = None,
        scope: MutableMapping[str, Any] | None = None,
    ) -> None:
        self._list: list[tuple[bytes, bytes]] = []
        if headers is not None:
            assert raw is None, 'Cannot set both "headers" and "raw".'
            assert scope is None, 'Cannot set both "headers" and "scope".'
            self._list = [(key.lower().encode("latin-1"), value.encode("latin-1")) for key, value in headers.items()]
        elif raw is not None:
            assert scope is None, 'Cannot set both "raw" and "scope".'
            self._list = raw
        elif scope is not None:
            # scope["headers"] may be any iterable: keep one list, shared.
            self._list = scope["headers"] = list(scope["headers"])

    @property
    def raw(self) -> list[tuple[bytes, bytes]]:
        return list(self._list)

    def keys(self) -> list[str]:  # type: ignore[override]
        return [key.decode("latin-1") for key, _ in self._list]

    def values(self) -> list[str]:  # type: ignore[override]
        return [value.decode("latin-1") for _, value in self._list]

    def items(self) -> list[tuple[str, str]]:  # type: ignore[override]
        return [(key.decode("latin-1"), value.decode("latin-1")) for key, value in self._list]

    def getlist(self, key: str) -> list[str]:
        wanted = key.lower().encode("latin-1")
        return [item_value.decode("latin-1") for item_key, item_value in self._list if item_key == wanted]

    @overload
    def get(self, key: str, default: None = None) -> str | None: ...
    @overload
    def get(self, key: str, default: str) -> str: ...
    @overload
    def get(self, key: str, default: _T) -> str | _T: ...
    def get(self, key: str, default: object = None) -> object:
        try:
            return self[key]
        except KeyError:
            return default

    def mutablecopy(self) -> MutableHeaders:
        return MutableHeaders(raw=self._list[:])

    def __getitem__(self, key: str) -> str:
        wanted = key.lower().encode("latin-1")
        for item_key, item_value in self._list:
            if item_key == wanted:
                return item_value.decode("latin-1")
        raise KeyError(key)

    def __contains__(self, key: Any) -> bool:
        wanted = key.lower().encode("latin-1")
        for item_key, _ in self._list:
            if item_key == wanted:
                return True
        return False

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._list)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return False
        return sorted(self._list) == sorted(other._list)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        class_name = self.__class__.__name__
        as_dict = dict(self.items())
        if len(as_dict) == len(self):
            return f"{class_name}({as_dict!r})"
        return f"{class_name}(raw={self.raw!r})"


class MutableHeaders(MutableHeadersMethods, Headers):
    """A mutable copy of ``Headers`` (``Headers.mutablecopy()``)."""

    __slots__ = ()


# ----------------------------------------------------------------- QueryParams


class QueryParams(Mapping[str, str]):
    """An immutable multidict of query parameters (last value wins)."""

    __slots__ = ("_dict", "_list")

    def __init__(self, *args: Mapping[Any, Any] | Iterable[tuple[Any, Any]] | str | bytes, **kwargs: Any) -> None:
        assert len(args) < 2, "Too many arguments."
        value: Any = args[0] if args else []
        if isinstance(value, str):
            items = parse_query(value)
        elif isinstance(value, bytes):
            items = parse_query(value.decode("latin-1"))
        elif not value:
            items = []
        elif hasattr(value, "multi_items"):
            items = list(value.multi_items())
        elif hasattr(value, "items"):
            items = list(value.items())
        else:
            items = list(value)
        if kwargs:
            items = items + list(kwargs.items())
        # Starlette keys its dict by the original keys, then makes them str:
        # keys equal as objects (1 and True) collapse before conversion.
        self._list = [(str(k), str(v)) for k, v in items]
        self._dict = {str(k): str(v) for k, v in dict(items).items()}

    def getlist(self, key: str) -> list[str]:
        return [item_value for item_key, item_value in self._list if item_key == key]

    @overload
    def get(self, key: str, default: None = None) -> str | None: ...
    @overload
    def get(self, key: str, default: str) -> str: ...
    @overload
    def get(self, key: str, default: _T) -> str | _T: ...
    def get(self, key: str, default: object = None) -> object:
        return self._dict.get(key, default)

    def keys(self) -> KeysView[str]:
        return self._dict.keys()

    def values(self) -> ValuesView[str]:
        return self._dict.values()

    def items(self) -> ItemsView[str, str]:
        return self._dict.items()

    def multi_items(self) -> list[tuple[str, str]]:
        return list(self._list)

    def __getitem__(self, key: str) -> str:
        return self._dict[key]

    def __contains__(self, key: object) -> bool:
        return key in self._dict

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict)

    def __len__(self) -> int:
        return len(self._dict)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, self.__class__):
            return False
        return sorted(self._list, key=itemgetter(0)) == sorted(other._list, key=itemgetter(0))

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return urlencode(self._list)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({str(self)!r})"


# ------------------------------------------------------------------------- URL


def _url_from_scope(scope: Mapping[str, Any]) -> str:
    """The URL string Starlette builds for a connection scope."""
    scheme = scope.get("scheme", "http")
    server = scope.get("server", None)
    path = scope["path"].replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")
    query_string = scope.get("query_string", b"")

    host_header = None
    for key, value in scope["headers"]:
        if key == b"host":
            host_header = value.decode("latin-1")
            break

    parsed = parse_host_header(host_header)
    if parsed is not None:
        host, port = parsed
        netloc = host if port is None else f"{host}:{port}"
    elif server is not None:
        host, port = server
        host = bracket_ipv6(host)
        netloc = host if port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    else:
        netloc = None

    query = query_string.decode()
    if netloc is not None:
        return SplitResult(scheme=scheme, netloc=netloc, path=path, query=query, fragment="").geturl()
    if path.startswith("//"):
        # Without a host, a leading `//` would be parsed as the authority.
        path = "/%2F" + path[2:]
    return f"{path}?{query}" if query else path


class URL(URLMethods, str):
    """A URL: a ``str`` that also exposes its parsed components."""

    __slots__ = ("_components",)

    _components: SplitResult
    _parse_query = staticmethod(parse_query)

    def __new__(cls, url: str = "", scope: Mapping[str, Any] | None = None, **components: Any) -> URL:
        if scope is not None:
            assert not url, 'Cannot set both "url" and "scope".'
            assert not components, 'Cannot set both "scope" and "**components".'
            url = _url_from_scope(scope)
        elif components:
            assert not url, 'Cannot set both "url" and "**components".'
            url = URL("").replace(**components).components.geturl()
        return str.__new__(cls, url)

    @property
    def components(self) -> SplitResult:
        try:
            return self._components
        except AttributeError:
            self._components = urlsplit(str(self))
            return self._components

    @property
    def scheme(self) -> str:
        return self.components.scheme

    @property
    def netloc(self) -> str:
        return self.components.netloc

    @property
    def path(self) -> str:
        return self.components.path

    @property
    def query(self) -> str:
        return self.components.query

    @property
    def fragment(self) -> str:
        return self.components.fragment

    @property
    def username(self) -> str | None:
        return self.components.username

    @property
    def password(self) -> str | None:
        return self.components.password

    @property
    def hostname(self) -> str | None:
        return self.components.hostname

    @property
    def port(self) -> int | None:
        return self.components.port

    def __eq__(self, other: object) -> bool:
        return str.__eq__(str(self), str(other))

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = str.__hash__

    def __str__(self) -> str:
        return str.__str__(self)

    def __reduce__(self) -> tuple[type[URL], tuple[str]]:
        return (self.__class__, (str(self),))


# ------------------------------------------------------------------------ JSON

# One encoder, built once: the output of ``json.dumps(data,
# separators=(",", ":"), ensure_ascii=False)`` without building an encoder
# per call.
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def json_dumps(data: Any) -> str:
    """``json.dumps(data, separators=(",", ":"), ensure_ascii=False)``."""
    return _encode(data)


json_loads = json.loads  # ``json.loads``: the pure twin has nothing to add


def json_dumps_bytes(data: Any) -> bytes:
    """``json_dumps(data).encode("utf-8")``: the payload of a binary frame."""
    return _encode(data).encode("utf-8")


# --------------------------------------------------------------- WebSocketBase

_CONNECTING = WebSocketState.CONNECTING
_CONNECTED = WebSocketState.CONNECTED
_DISCONNECTED = WebSocketState.DISCONNECTED
_RESPONSE = WebSocketState.RESPONSE


class WebSocketBase:
    """The hot half of ``fastws.WebSocket``: connection data, state, messages.

    ``send``/``receive`` are Starlette's state machine. The data methods take
    a short path while the connection is open and fall back to the state
    machine otherwise, so every error is exactly Starlette's.
    """

    __slots__ = (
        "_direct",
        "_headers",
        "_query",
        "_receive",
        "_send",
        "_url",
        "_wire",
        "_wire_send",
        "application_state",
        "client_state",
        "scope",
    )

    def __init__(self, scope: Scope, receive: Receive | None = None, send: Send | None = None) -> None:
        assert scope["type"] == "websocket"
        self.scope: Scope = scope
        self._receive: Receive = _states.no_receive if receive is None else receive
        self._send: Send = _states.no_send if send is None else send
        self.client_state: WebSocketState = _CONNECTING
        self.application_state: WebSocketState = _CONNECTING
        self._headers: Headers | None = None
        self._url: URL | None = None
        self._query: QueryParams | None = None
        # Short paths only when send()/receive() are not overridden: a
        # subclass's own send/receive must see every message, as in Starlette.
        cls = type(self)
        self._direct = cls.send is WebSocketBase.send and cls.receive is WebSocketBase.receive
        # On fastws' own wire layer, text and bytes go straight to the frame codec.
        self._wire: DirectWire | None = _states.wire_of(scope, self._send) if self._direct else None
        self._wire_send: Send = self._send

    # ------------------------------------------------------ connection data

    @property
    def headers(self) -> Headers:
        """The handshake headers: an immutable, case-insensitive multidict."""
        if self._headers is None:
            self._headers = Headers(scope=self.scope)
        return self._headers

    @property
    def url(self) -> URL:
        """The full URL of the connection (a ``str`` with components)."""
        if self._url is None:
            self._url = URL(scope=self.scope)
        return self._url

    @property
    def query_params(self) -> QueryParams:
        """The query parameters: an immutable multidict."""
        if self._query is None:
            self._query = QueryParams(self.scope["query_string"])
        return self._query

    # ------------------------------------------------ the ASGI state machine

    async def receive(self) -> Message:
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
        headers = _states.as_raw_headers(headers) if headers else []
        if self.client_state is _CONNECTING:
            await self.receive()
        await self.send({"type": "websocket.accept", "subprotocol": subprotocol, "headers": headers})

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
        self.client_state = _DISCONNECTED
        raise WebSocketDisconnect(message["code"], message.get("reason"))

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
        if self._wire is not None and self.application_state is _CONNECTED and self._send is self._wire_send:
            if self._wire.write_text(data):
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
        if self._wire is not None and self.application_state is _CONNECTED and self._send is self._wire_send:
            if self._wire.write_bytes(data):
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
            payload = _encode(data)
        elif mode == "binary":
            payload = _encode(data).encode("utf-8")
        else:
            raise RuntimeError(_states.bad_mode(mode))
        if self._wire is not None and self.application_state is _CONNECTED and self._send is self._wire_send:
            # payload is the str for mode "text", the bytes for "binary" (checkers cannot tell)
            if self._wire.write_text(payload) if mode == "text" else self._wire.write_bytes(payload):  # type: ignore[arg-type]
                return
        message = {"type": "websocket.send", "text" if mode == "text" else "bytes": payload}
        if self._direct and self.application_state is _CONNECTED:
            try:
                await self._send(message)
            except OSError:
                self._send_failed()
        else:
            await self.send(message)

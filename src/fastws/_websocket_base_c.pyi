"""Type stubs for the compiled twin ``fastws._websocket_base_c``.

It is built from the pure twin's source, ``_websocket_base_py.py``, which is
also the source of truth for types (type checkers read it, through the
selector); this stub gives the compiled module
the same names and signatures, and ``python -m mypy.stubtest fastws._websocket_base_c``
checks it against the built module.
"""

from typing import Any, NoReturn

from ._asgi import Message, Receive, Scope, Send
from ._headers_c import Headers
from ._shared import AcceptHeaders
from ._states import WebSocketState
from ._url_c import URL, QueryParams

__all__ = ["WebSocketBase"]

class WebSocketBase:
    # a cdef class; it has the source's __slots__ too (one source: _websocket_base_py.py)
    __slots__ = (
        "_conn",
        "_conn_send",
        "_direct",
        "_headers",
        "_query",
        "_receive",
        "_send",
        "_url",
        "application_state",
        "client_state",
        "scope",
    )
    scope: Scope
    _receive: Receive
    _send: Send
    client_state: WebSocketState
    application_state: WebSocketState
    def __init__(self, scope: Scope, receive: Receive | None = None, send: Send | None = None) -> None: ...
    @property
    def headers(self) -> Headers: ...
    @property
    def url(self) -> URL: ...
    @property
    def query_params(self) -> QueryParams: ...
    async def receive(self) -> Message: ...
    async def send(self, message: Message) -> None: ...
    async def accept(self, subprotocol: str | None = None, headers: AcceptHeaders | None = None) -> None: ...
    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...
    async def _receive_data(self) -> Message: ...
    def _not_data(self, message: Message) -> NoReturn: ...
    async def receive_text(self) -> str: ...
    async def receive_bytes(self) -> bytes: ...
    async def receive_json(self, mode: str = "text") -> Any: ...
    def _send_failed(self) -> NoReturn: ...
    async def send_text(self, data: str) -> None: ...
    async def send_bytes(self, data: bytes) -> None: ...
    async def send_json(self, data: Any, mode: str = "text") -> None: ...

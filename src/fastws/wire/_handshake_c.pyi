"""Type stubs of the compiled opening handshake (same API as ``_handshake_py``, its pure twin)."""

from collections.abc import Set as AbstractSet

from typing_extensions import disjoint_base

from .http1 import (
    MAX_HEAD_SIZE as MAX_HEAD_SIZE,
)
from .http1 import (
    MAX_HEADERS as MAX_HEADERS,
)
from .http1 import (
    MAX_SHARED_LINE as MAX_SHARED_LINE,
)
from .http1 import (
    MAX_SHARED_LINES as MAX_SHARED_LINES,
)
from .http1 import (
    SHARED_NAMES as SHARED_NAMES,
)
from .http1 import (
    HandshakeError as HandshakeError,
)
from .http1 import (
    http_response as http_response,
)
from .rfc6455 import GUID as GUID

__all__ = [
    "GUID",
    "MAX_HEADERS",
    "MAX_HEAD_SIZE",
    "MAX_SHARED_LINE",
    "MAX_SHARED_LINES",
    "SHARED_LINES",
    "SHARED_NAMES",
    "HandshakeError",
    "Request",
    "accept_key",
    "accept_response",
    "check_head",
    "check_request",
    "http_response",
    "parse_head",
    "parse_request",
]

SHARED_LINES: dict[bytes, tuple[bytes, bytes]]

@disjoint_base
class Request:
    method: str
    target: bytes
    headers: list[tuple[bytes, bytes]]
    def __init__(self, method: str, target: bytes, headers: list[tuple[bytes, bytes]]) -> None: ...
    def values(self, name: bytes) -> list[bytes]: ...
    def has_any(self, names: AbstractSet[bytes]) -> bool: ...
    def tokens(self, name: bytes) -> list[bytes]: ...
    def has_token(self, name: bytes, token: bytes) -> bool: ...

def check_head(data: bytes, max_size: int = ..., max_headers: int = ...) -> int: ...
def parse_request(data: bytes, max_size: int = ..., max_headers: int = ...) -> Request | None: ...
def parse_head(data: bytes, end: int) -> Request: ...
def check_request(request: Request) -> bytes: ...
def accept_key(key: bytes) -> bytes: ...
def accept_response(
    key: bytes, subprotocol: str | None, headers: list[tuple[bytes, bytes]], extensions: bytes | None = None
) -> bytes: ...

"""The opening handshake (RFC 6455 section 4), server side, sans I/O: the pure twin of ``_handshake_c.pyx``.

``check_head`` bounds a request head as it arrives (431, 400);
``parse_head`` reads a head that passed it, and ``parse_request`` does both
on the bytes of an HTTP/1.1 request. ``check_request`` validates the
upgrade and returns the client's key, and ``accept_response`` builds the
101. Refusals (``HandshakeError``, ``http_response``) and the limits are
in ``http1``, shared by both twins. Each function here has its namesake
in the compiled twin, in the same order, with the same rules.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Set as AbstractSet

from .http1 import (
    FIELD_BYTES,
    MAX_HEAD_SIZE,
    MAX_HEADERS,
    MAX_SHARED_LINE,
    MAX_SHARED_LINES,
    NAMES,
    SHARED_NAMES,
    HandshakeError,
    check_header,
    http_response,
    is_token,
    response_head,
)
from .rfc6455 import GUID, VERSION

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

#: each header line parsed so far whose name is in ``SHARED_NAMES``, and its ``(name, value)`` pair
SHARED_LINES: dict[bytes, tuple[bytes, bytes]] = {}


class Request:
    """An upgrade request: ``target`` is the raw path and query, header names are lowercase."""

    __slots__ = ("_by_name", "headers", "method", "target")

    def __init__(self, method: str, target: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        self.method = method
        self.target = target
        self.headers = headers
        self._by_name: dict[bytes, list[bytes]] = {}
        for name, value in headers:
            self._by_name.setdefault(name, []).append(value)

    def values(self, name: bytes) -> list[bytes]:
        """Every value of the header ``name`` (lowercase), in order."""
        return self._by_name.get(name, [])

    def has_any(self, names: AbstractSet[bytes]) -> bool:
        """Whether a header named one of ``names`` (lowercase) is in the request."""
        return not names.isdisjoint(self._by_name)

    def tokens(self, name: bytes) -> list[bytes]:
        """The comma-separated tokens of every ``name`` header, stripped and lowercased."""
        return [token.strip().lower() for value in self.values(name) for token in value.split(b",") if token.strip()]

    def has_token(self, name: bytes, token: bytes) -> bool:
        """Whether ``token`` (lowercase) is one of ``tokens(name)``."""
        return token in self.tokens(name)


def check_head(data: bytes, max_size: int = MAX_HEAD_SIZE, max_headers: int = MAX_HEADERS) -> int:
    """Check a request head, whole or still arriving; return where it ends (-1: not yet).

    ``data`` is what the peer sent so far. Raises ``HandshakeError``: 431 for
    a head over ``max_size`` bytes or ``max_headers`` header lines (as soon
    as the bytes so far show it), 400 for a byte no head may hold: a control
    byte, DEL, or a CR or LF outside a CRLF (bare-LF line ends included).
    """
    end = data.find(b"\r\n\r\n")
    head = data if end < 0 else data[: end + 2]  # the CRLF of the last header line counts
    if (len(data) if end < 0 else end + 4) > max_size:
        raise HandshakeError(431, "request head too large")
    line_ends = head.count(b"\r\n")
    if line_ends > max_headers + 1:
        raise HandshakeError(431, "too many header lines")
    stray = len(head.translate(None, FIELD_BYTES)) - 2 * line_ends  # what is not a field byte or a CRLF
    if stray and not (stray == 1 and end < 0 and head.endswith(b"\r")):  # a CR whose LF is on its way
        raise HandshakeError(400, "control character or bare CR/LF in the request head")
    return end


def parse_request(data: bytes, max_size: int = MAX_HEAD_SIZE, max_headers: int = MAX_HEADERS) -> Request | None:
    """The request in ``data``, or None while its head is incomplete.

    Raises ``HandshakeError``: see ``check_head``, and 400 for a malformed
    request line or header line (RFC 9112 3 and 5: a token method, a target,
    ``HTTP/1.1``; ``name: value`` lines, no obsolete line folding).
    """
    end = check_head(data, max_size, max_headers)
    return None if end < 0 else parse_head(data, end)


def parse_head(data: bytes, end: int) -> Request:
    """The request whose head, already passed by ``check_head``, ends at ``end``.

    Raises ``HandshakeError(400)`` as ``parse_request`` does.
    """
    lines = data[:end].split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or not is_token(parts[0]) or not parts[1] or not parts[1].isascii():
        raise HandshakeError(400, "malformed request line")  # RFC 9112 3.2: a target is ASCII
    method, target, version = parts
    if version != b"HTTP/1.1":
        raise HandshakeError(400, "WebSocket needs HTTP/1.1")
    headers = []
    shared = SHARED_LINES
    for line in lines[1:]:
        pair = shared.get(line)
        if pair is None:
            name, colon, value = line.partition(b":")
            if not colon or not is_token(name):  # a folded line starts with SP or HTAB: not a token
                raise HandshakeError(400, "malformed header line")
            name = name.lower()
            pair = (NAMES.get(name, name), value.strip(b" \t"))
            if pair[0] in SHARED_NAMES and len(line) <= MAX_SHARED_LINE:
                if len(shared) >= MAX_SHARED_LINES:  # a client sending ever new values: start again
                    shared.clear()
                shared[line] = pair
        headers.append(pair)
    return Request(method.decode("ascii"), target, headers)


def check_request(request: Request) -> bytes:
    """Validate an upgrade request (RFC 6455 4.2.1); return its Sec-WebSocket-Key.

    Raises ``HandshakeError``: 426 with ``Sec-WebSocket-Version: 13`` for
    another version, 400 for anything else that is wrong.
    """
    if request.method != "GET":
        raise HandshakeError(400, "WebSocket upgrade needs a GET request")
    if len(request.values(b"host")) != 1:
        raise HandshakeError(400, "missing or repeated Host header")
    if not request.has_token(b"upgrade", b"websocket"):
        raise HandshakeError(400, "missing 'Upgrade: websocket' header")
    if not request.has_token(b"connection", b"upgrade"):
        raise HandshakeError(400, "missing 'Connection: Upgrade' header")
    versions = request.values(b"sec-websocket-version")
    if versions != [VERSION]:  # RFC 6455 4.2.2: else a 426 that names the versions we speak (4.4)
        raise HandshakeError(426, "unsupported WebSocket version: use 13", [(b"Sec-WebSocket-Version", VERSION)])
    keys = request.values(b"sec-websocket-key")
    if len(keys) != 1:
        raise HandshakeError(400, "missing or repeated Sec-WebSocket-Key header")
    try:
        raw = base64.b64decode(keys[0], validate=True)
    except binascii.Error:
        raw = b""
    if len(raw) != 16:
        raise HandshakeError(400, "Sec-WebSocket-Key is not 16 bytes in base64")
    return keys[0]


def accept_key(key: bytes) -> bytes:
    """Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 4.2.2)."""
    return base64.b64encode(hashlib.sha1(key + GUID).digest())


_ACCEPT_HEAD = (
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
)


def accept_response(
    key: bytes, subprotocol: str | None, headers: list[tuple[bytes, bytes]], extensions: bytes | None = None
) -> bytes:
    """The 101 response: the RFC's headers, the subprotocol, the extensions, then ``headers``.

    ``subprotocol`` and ``headers`` (the app's and the server's) are checked
    for characters that would break the response; the rest is ours.
    """
    head = _ACCEPT_HEAD + accept_key(key) + b"\r\n"
    if subprotocol:
        value = subprotocol.encode("latin-1")
        check_header(b"Sec-WebSocket-Protocol", value)
        head += b"Sec-WebSocket-Protocol: " + value + b"\r\n"
    if extensions:
        head += b"Sec-WebSocket-Extensions: " + extensions + b"\r\n"
    return response_head(head, headers)

"""The opening handshake (RFC 6455 section 4), server side, sans I/O.

``check_head`` bounds a request head as it arrives (431, 400);
``parse_head`` reads a head that passed it, and ``parse_request`` does both
on the bytes of an HTTP/1.1 request (what uvicorn's HTTP protocols hand
over; ``fastws.http`` calls the first two itself). ``check_request`` validates
the upgrade and returns the client's key, and ``accept_response`` /
``http_response`` build the bytes of the answer: the 101, or an HTTP
response that refuses (400, 426, 403, 503, 500, or the app's own denial
response).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from http import HTTPStatus

from .rfc6455 import GUID, VERSION

__all__ = [
    "MAX_HEADERS",
    "MAX_HEAD_SIZE",
    "HandshakeError",
    "Request",
    "accept_response",
    "check_head",
    "check_request",
    "http_response",
    "parse_head",
    "parse_request",
]

MAX_HEAD_SIZE = 16 * 1024  # bytes of request line and headers (Node's and h11's default)
MAX_HEADERS = 100  # header lines (Python's http.client and Apache's LimitRequestFields)

#: Header lines that repeat from one connection to the next (the same Host, Upgrade,
#: Origin, User-Agent...) are parsed once and their ``(name, value)`` pair is shared by
#: every request that sends the same line: tens of thousands of idle connections then
#: hold one copy, not one each. Only these names, never a key, a cookie or a credential
#: (nor Sec-WebSocket-Protocol: browsers, which cannot set Authorization, carry tokens
#: in it); at most ``MAX_SHARED_LINES`` lines of at most ``MAX_SHARED_LINE`` bytes are
#: kept, and when full they are forgotten and the lines seen next are kept.
SHARED_NAMES = frozenset({
    b"host", b"upgrade", b"connection", b"origin", b"user-agent", b"pragma", b"cache-control",
    b"accept-encoding", b"accept-language", b"sec-websocket-version", b"sec-websocket-extensions",
    b"x-forwarded-proto",
})  # fmt: skip
MAX_SHARED_LINES = 512
MAX_SHARED_LINE = 256
_shared_lines: dict[bytes, tuple[bytes, bytes]] = {}

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")  # an HTTP token (a header name)
_NOT_IN_VALUE = re.compile(rb"[\r\n\0]")
# What a request line or a field may hold (RFC 9110 5.5, RFC 9112 3): HTAB, SP, visible
# ASCII and obs-text. CR and LF only as the CRLF that ends a line; no other control, no DEL.
_FIELD_BYTES = bytes([0x09, *range(0x20, 0x7F), *range(0x80, 0x100)])


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

    def tokens(self, name: bytes) -> list[bytes]:
        """The comma-separated tokens of every ``name`` header, stripped and lowercased."""
        return [token.strip().lower() for value in self.values(name) for token in value.split(b",") if token.strip()]

    def is_websocket_upgrade(self) -> bool:
        """Whether it asks for WebSocket: ``Upgrade: websocket`` and ``Connection: upgrade``."""
        return b"websocket" in self.tokens(b"upgrade") and b"upgrade" in self.tokens(b"connection")


class HandshakeError(Exception):
    """The request cannot be upgraded: answer with ``status`` and close."""

    def __init__(self, status: int, reason: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = headers or []

    def response(self, default_headers: list[tuple[bytes, bytes]] = []) -> bytes:  # noqa: B006 - never mutated
        """The HTTP response that refuses the upgrade."""
        return http_response(self.status, [*default_headers, *self.headers], self.reason.encode() + b"\n")


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
    stray = len(head.translate(None, _FIELD_BYTES)) - 2 * line_ends  # what is not a field byte or a CRLF
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
    if len(parts) != 3 or not _TOKEN.match(parts[0]) or not parts[1]:
        raise HandshakeError(400, "malformed request line")
    method, target, version = parts
    if version != b"HTTP/1.1":
        raise HandshakeError(400, "WebSocket needs HTTP/1.1")
    headers = []
    shared = _shared_lines
    for line in lines[1:]:
        pair = shared.get(line)
        if pair is None:
            name, colon, value = line.partition(b":")
            if not colon or not _TOKEN.match(name):  # a folded line starts with SP or HTAB: not a token
                raise HandshakeError(400, "malformed header line")
            pair = (name.lower(), value.strip(b" \t"))
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
    if b"websocket" not in request.tokens(b"upgrade"):
        raise HandshakeError(400, "missing 'Upgrade: websocket' header")
    if b"upgrade" not in request.tokens(b"connection"):
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


def _check_header(name: bytes, value: bytes) -> None:
    if not _TOKEN.match(name):
        raise ValueError(f"invalid header name {name!r}")
    if _NOT_IN_VALUE.search(value):
        raise ValueError(f"invalid header value {value!r}")


def _head(start: bytes, headers: list[tuple[bytes, bytes]]) -> list[bytes]:
    """``start`` (the status line and any headers of ours), then ``headers``, each checked."""
    out = [start]
    for name, value in headers:
        _check_header(name, value)
        out += [name, b": ", value, b"\r\n"]
    return out


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
        _check_header(b"Sec-WebSocket-Protocol", value)
        head += b"Sec-WebSocket-Protocol: " + value + b"\r\n"
    if extensions:
        head += b"Sec-WebSocket-Extensions: " + extensions + b"\r\n"
    return b"".join(_head(head, headers)) + b"\r\n"


def http_response(status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
    """An HTTP/1.1 response that ends the connection.

    ``Connection: close``, ``Content-Length`` and ``Content-Type`` are added
    unless ``headers`` has them.
    """
    try:
        phrase = HTTPStatus(status).phrase.encode()
    except ValueError:
        phrase = b""
    present = {name.lower() for name, _ in headers}
    extra = [
        (name, value)
        for name, value in [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        if name not in present
    ]
    status_line = b"HTTP/1.1 %d %s\r\n" % (status, phrase)
    return b"".join(_head(status_line, [*headers, *extra])) + b"\r\n" + body

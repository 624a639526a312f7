"""HTTP/1.1 as the opening handshake needs it: the limits of a request head, the error that refuses one, responses.

Shared by both twins of the handshake (``_handshake_c``, ``_handshake_py``):
what is written once here is the cold path (a refusal, a header that must be
checked in Python because it is not ``bytes``), and the rules both twins
apply alike (the limits, which header lines are shared between requests).
"""

from __future__ import annotations

import re
from http import HTTPStatus

__all__ = [
    "FIELD_BYTES",
    "MAX_HEADERS",
    "MAX_HEAD_SIZE",
    "MAX_SHARED_LINE",
    "MAX_SHARED_LINES",
    "NAMES",
    "SHARED_NAMES",
    "TOKEN_BYTES",
    "HandshakeError",
    "check_header",
    "http_response",
    "is_token",
    "response_head",
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
#: Header names held as one object each, whatever line they come in, each by itself: the name of
#: a line that is not shared (a key, a cookie: 56 bytes or more a connection) is the same object in
#: every request.
NAMES = {name: name for name in SHARED_NAMES | {
    b"sec-websocket-key", b"sec-websocket-protocol", b"cookie", b"authorization", b"x-forwarded-for",
    b"x-real-ip", b"forwarded", b"x-request-id", b"referer", b"accept", b"x-forwarded-host",
}}  # fmt: skip

#: the bytes of an HTTP token (RFC 9110 5.6.2: a method, a header name)
TOKEN_BYTES = b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
#: what a request line or a field may hold (RFC 9110 5.5, RFC 9112 3): HTAB, SP, visible ASCII and
#: obs-text; CR and LF only as the CRLF that ends a line, no other control, no DEL
FIELD_BYTES = bytes([0x09, *range(0x20, 0x7F), *range(0x80, 0x100)])
_NOT_IN_VALUE = re.compile(rb"[\r\n\0]")


def is_token(text: bytes) -> bool:
    """Whether ``text`` is an HTTP token: one byte or more, each of ``TOKEN_BYTES``."""
    return bool(text) and not text.translate(None, TOKEN_BYTES)


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


def check_header(name: bytes, value: bytes) -> None:
    """Raise ``ValueError`` for a header that would break a response: a name not a token, CR, LF or NUL in a value."""
    if not is_token(name):
        raise ValueError(f"invalid header name {name!r}")
    if _NOT_IN_VALUE.search(value):
        raise ValueError(f"invalid header value {value!r}")


def response_head(start: bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
    """``start`` (the status line and any headers of ours), then ``headers``, each checked, and the blank line."""
    out = [start]
    for name, value in headers:
        check_header(name, value)
        out += [name, b": ", value, b"\r\n"]
    out.append(b"\r\n")
    return b"".join(out)


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
    return response_head(status_line, [*headers, *extra]) + body

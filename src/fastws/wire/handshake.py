"""The opening handshake (RFC 6455 section 4), server side, sans I/O: the live twin and the shared parts.

``check_head`` bounds a request head as it arrives (431, 400);
``parse_head`` reads a head that passed it, and ``parse_request`` does both
on the bytes of an HTTP/1.1 request (what uvicorn's HTTP protocols hand
over; ``fastws.http`` calls the first two itself). ``check_request`` validates
the upgrade and returns the client's key, and ``accept_response`` /
``http_response`` build the bytes of the answer: the 101, or an HTTP
response that refuses (400, 426, 403, 503, 500, or the app's own denial
response).

The request's functions come from the compiled twin ``_handshake_c`` unless
``FASTWS_NO_EXTENSIONS`` is set or it was not built (``fastws._twins``), else
from the pure ``_handshake_py``; each twin names the refusals and
limits of ``http1``, shared by both. ``COMPILED`` is the compiled twin when it is live, ``PURE``
the pure one: tests run both.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from .._twins import load_compiled
from . import _handshake_py

PURE: ModuleType = _handshake_py
COMPILED: ModuleType | None = load_compiled("fastws.wire._handshake_c")

if TYPE_CHECKING or COMPILED is None:
    from ._handshake_py import (
        GUID,
        MAX_HEAD_SIZE,
        MAX_HEADERS,
        MAX_SHARED_LINE,
        MAX_SHARED_LINES,
        SHARED_LINES,
        SHARED_NAMES,
        HandshakeError,
        Request,
        accept_key,
        accept_response,
        check_head,
        check_request,
        http_response,
        parse_head,
        parse_request,
    )
else:
    from ._handshake_c import (
        GUID,
        MAX_HEAD_SIZE,
        MAX_HEADERS,
        MAX_SHARED_LINE,
        MAX_SHARED_LINES,
        SHARED_LINES,
        SHARED_NAMES,
        HandshakeError,
        Request,
        accept_key,
        accept_response,
        check_head,
        check_request,
        http_response,
        parse_head,
        parse_request,
    )

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

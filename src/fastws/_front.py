"""``Front``: what a WebSocket connection taken from its first byte answers to (``fastws.http``).

``fastws.http.HttpProtocol`` gives a connection to fastws' protocol from its
first byte, when the server's ``--ws`` is that protocol, rather than reading
the request head itself and then handing the connection over: one protocol
object per WebSocket connection instead of two, and no loop timer of its
own for the head's deadline. The protocol then holds the head to the
front's limits and deadline, and gives the connection back, with the bytes
read so far, wherever the front serves it itself: a head that is not a
WebSocket upgrade (or not a valid head), one that does not arrive in time,
and one still arriving when the server shuts down. ``websocket_upgrade`` is
the rule both sides apply to a whole head.
"""

from __future__ import annotations

import asyncio
import re
from typing import Protocol

from .timer_wheel import TimerWheel
from .wire import handshake

__all__ = ["Front", "websocket_upgrade"]


class Front(Protocol):
    """The HTTP side a connection came in through, while its request head is awaited."""

    #: the request head's limits: bytes, and header lines (more get the front's 431)
    max_head_size: int
    max_headers: int
    #: seconds the head may take to arrive whole; 0: no deadline
    head_timeout: float
    #: the server's wheel of head deadlines (``None`` with no deadline): at most 1/16 of it late
    head_deadlines: TimerWheel | None

    def hand_over(self, transport: asyncio.Transport, data: bytes) -> None:
        """Serve the connection as HTTP: ``data`` is a whole request head within the limits that is not a
        WebSocket upgrade (``websocket_upgrade``), and what followed it."""

    def refuse(self, transport: asyncio.Transport, data: bytes) -> None:
        """Answer a head over the limits, or with bytes no head may hold (``data``: what was sent so far)."""

    def time_out(self, transport: asyncio.Transport, data: bytes) -> None:
        """Answer a head that did not arrive whole in time (``data`` so far), then close."""

    def drain(self, transport: asyncio.Transport, data: bytes) -> None:
        """The server shuts down while the head arrives (``data`` so far): answer it as HTTP would."""


_MENTIONS_WEBSOCKET = re.compile(rb"websocket", re.IGNORECASE)


def websocket_upgrade(data: bytes, end: int) -> handshake.Request | None:
    """The request whose head, passed by ``check_head``, ends at ``end``, if it asks for WebSocket.

    That is what uvicorn's HTTP protocols upgrade (their ``_get_upgrade``): a
    ``GET`` whose last ``Connection`` header has the token ``upgrade`` and
    whose last ``Upgrade`` header is ``websocket``, the whole value in any
    case (``Upgrade: websocket, h2c`` stays HTTP). None for anything else, a
    malformed head included: plain HTTP, for an HTTP protocol to serve or
    answer. Most requests that do not are told from the request line and a
    look for the word, without parsing the head.
    """
    if not data.startswith(b"GET ") or _MENTIONS_WEBSOCKET.search(data, 0, end) is None:
        return None
    try:
        request = handshake.parse_head(data, end)
    except handshake.HandshakeError:
        return None
    upgrade = request.values(b"upgrade")
    connection = request.values(b"connection")
    if not upgrade or not connection or upgrade[-1].lower() != b"websocket":
        return None
    return request if b"upgrade" in [token.strip().lower() for token in connection[-1].split(b",")] else None

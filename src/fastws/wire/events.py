"""What the codec reports besides messages, and what it raises.

A text message is reported as a ``str`` and a binary one as ``bytes``; the
classes below are the rest: control frames received, and the connection
failing. Both codec twins create these same classes.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Close", "Fail", "Ping", "Pong", "ProtocolStateError"]


@dataclass(frozen=True, slots=True)
class Ping:
    """A ping from the peer; the codec has already queued its pong."""

    payload: bytes


@dataclass(frozen=True, slots=True)
class Pong:
    """A pong from the peer (an answer to a keepalive ping)."""

    payload: bytes


@dataclass(frozen=True, slots=True)
class Close:
    """The peer's Close frame: ``code`` is 1005 when it carried no status.

    When the peer closed first, the codec has queued the echoing Close frame.
    """

    code: int
    reason: str


@dataclass(frozen=True, slots=True)
class Fail:
    """The peer broke a rule: the connection fails with ``code`` (RFC 6455 7.1.7).

    The Close frame with that code is queued; write it, then close the TCP
    connection. Nothing more is read.
    """

    code: int
    reason: str


class ProtocolStateError(RuntimeError):
    """A frame was sent in a state that forbids it (e.g. data after Close)."""

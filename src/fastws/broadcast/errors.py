"""The errors ``fastws.Broadcast`` raises: one base class, a subclass per cause."""

from __future__ import annotations

__all__ = [
    "BackendUnavailable",
    "BroadcastError",
    "MessageTooLarge",
    "NotConnected",
    "SubscriberTooSlow",
    "UnknownBackend",
]


class BroadcastError(Exception):
    """Base class of every ``fastws.broadcast`` error."""


class UnknownBackend(BroadcastError, ValueError):
    """The URL names no backend (``memory://`` and ``redis://`` / ``rediss://`` / ``unix://`` exist)."""


class NotConnected(BroadcastError, RuntimeError):
    """Used before ``connect()`` (or ``async with``) or after ``disconnect()``."""


class BackendUnavailable(BroadcastError, ConnectionError):
    """The backend (Redis) cannot be reached: at connect, or for a publish while it is down."""


class MessageTooLarge(BroadcastError, ValueError):
    """A published message is over the hub's ``max_message_size``."""


class SubscriberTooSlow(BroadcastError):
    """An iterator subscription fell more than ``max_buffer`` bytes behind (policy ``"close"``)."""

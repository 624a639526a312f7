"""Broadcast fan-out: publish once, deliver to every subscriber of a channel.

``Broadcast("memory://")`` serves one process; ``Broadcast("redis://...")``
every process on a Redis server (``pip install "fastws-runtime[redis]"``). See
``hub`` for the delivery guarantee and ``targets`` for slow subscribers.
"""

from .errors import (
    BackendUnavailable,
    BroadcastError,
    HistoryGap,
    InvalidHistory,
    InvalidPosition,
    MessageTooLarge,
    NotConnected,
    SubscriberTooSlow,
    UnknownBackend,
)
from .history import History
from .hub import Broadcast, Event, Subscription
from .message import Message
from .positions import Position

__all__ = [
    "BackendUnavailable",
    "Broadcast",
    "BroadcastError",
    "Event",
    "History",
    "HistoryGap",
    "InvalidHistory",
    "InvalidPosition",
    "Message",
    "MessageTooLarge",
    "NotConnected",
    "Position",
    "SubscriberTooSlow",
    "Subscription",
    "UnknownBackend",
]

"""Backends: how a hub's messages reach the hubs of other processes.

A backend is told when the first local subscriber of a channel joins
(``subscribe``) and when the last one leaves (``unsubscribe``), and carries
each publish to the other processes (``publish``). All it tells the hub
goes through the ``Listener`` it is given at ``connect``: what arrives from
the other processes (``deliver``), and when its connection is lost and back
(``on_lost``, ``on_back``). ``MemoryBackend`` is the in-process one: there
is no other process, so it has nothing to carry.

A channel that keeps history is published with ``publish_kept``: the
backend gives the message its position, keeps it, and delivers it to every
subscribed hub, its own hub included, in position order (so every hub sees
a channel's messages in the same order as its history). ``read`` returns
what history still holds after an offset.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from .history import History, Page, Ring
from .message import Message
from .positions import Position

__all__ = ["Backend", "Deliver", "Listener", "MemoryBackend"]

Deliver = Callable[[str, Message], None]


def _nothing() -> None:
    pass


@dataclass(frozen=True, slots=True)
class Listener:
    """What a backend tells its hub: given to ``Backend.connect``."""

    #: a message another process published on a channel: hand it to the local subscribers (never waits)
    deliver: Deliver
    #: the backend lost its connection: messages other processes publish are missed until ``on_back``
    on_lost: Callable[[], None] = _nothing
    #: the backend's connection is back (after ``on_lost``)
    on_back: Callable[[], None] = _nothing


class Backend(Protocol):
    """What a hub needs from a backend."""

    async def connect(self, listener: Listener) -> None: ...
    async def disconnect(self) -> None: ...
    async def subscribe(self, channel: str) -> None: ...
    async def unsubscribe(self, channel: str) -> None: ...
    async def publish(self, channel: str, message: Message) -> None: ...
    async def publish_kept(self, channel: str, message: Message, history: History) -> Position: ...
    async def read(self, channel: str, after: int, history: History) -> Page: ...


class MemoryBackend:
    """One process: local delivery is all there is; history is a ``Ring`` per channel."""

    def __init__(self) -> None:
        self._rings: dict[str, Ring] = {}
        self._listener: Listener | None = None

    async def connect(self, listener: Listener) -> None:
        self._listener = listener

    async def disconnect(self) -> None:
        pass

    async def subscribe(self, channel: str) -> None:
        pass

    async def unsubscribe(self, channel: str) -> None:
        pass

    async def publish(self, channel: str, message: Message) -> None:
        pass

    def ring(self, channel: str, history: History) -> Ring:
        """The history of ``channel``, kept by ``history`` (the hub's tail of it: the same ring, not a copy)."""
        ring = self._rings.get(channel)
        if ring is None:
            ring = self._rings[channel] = Ring(history)
        elif ring.ttl != history.ttl or ring.size != history.size:
            ring.keep(history)
        return ring

    async def publish_kept(self, channel: str, message: Message, history: History) -> Position:
        ring = self.ring(channel, history)
        now = time.monotonic()
        ring.expire(now)
        placed = message.at(ring.next_position(channel))
        ring.add(placed, now)
        if self._listener is not None:
            self._listener.deliver(channel, placed)
        assert placed.position is not None
        return placed.position

    async def read(self, channel: str, after: int, history: History) -> Page:
        ring = self._rings.get(channel)
        if ring is None:
            return Page(None, 0)
        return ring.page(after, time.monotonic())

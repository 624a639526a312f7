"""Backends: how a hub's messages reach the hubs of other processes.

A backend is told when the first local subscriber of a channel joins
(``subscribe``) and when the last one leaves (``unsubscribe``), and carries
each publish to the other processes (``publish``). All it tells the hub
goes through the ``Listener`` it is given at ``connect``: what arrives from
the other processes (``deliver``), and when its connection is lost and back
(``on_lost``, ``on_back``). ``MemoryBackend`` is the in-process one: there
is no other process, so it has nothing to do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from .message import Message

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


class MemoryBackend:
    """One process: local delivery is all there is."""

    async def connect(self, listener: Listener) -> None:
        pass

    async def disconnect(self) -> None:
        pass

    async def subscribe(self, channel: str) -> None:
        pass

    async def unsubscribe(self, channel: str) -> None:
        pass

    async def publish(self, channel: str, message: Message) -> None:
        pass

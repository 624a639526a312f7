"""A channel's history: how much is kept, a page of it, and the one rule of resuming.

``History(size, ttl)`` is what a hub keeps per channel: the last ``size``
messages, each for at most ``ttl`` seconds (None: until pushed out).
Off unless the hub is given one (``Broadcast(history=...)``).

``Page`` is what a backend reads back: the messages after an offset that
history still holds, and where history stands (``epoch``, ``top``).
``resume_from(page, since)`` is the rule, in one place: the messages after
``since`` if the page covers the whole gap, else the reason it cannot
(``HistoryGap.reason``).

``Ring`` is a bounded log of positioned messages, in offset order with no
hole: the history itself on ``memory://``, and on every backend the hub's
copy of what it has seen of a channel lately (so that a thousand clients
resuming the same channel cost one read of the backend, not a thousand).
"""

from __future__ import annotations

import math
import os
from collections import deque
from dataclasses import dataclass, field
from itertools import islice

from .errors import InvalidHistory
from .message import Message
from .positions import Position

__all__ = ["History", "Page", "Ring", "new_epoch", "resume_from"]

MAX_SIZE = 1_000_000  # messages per channel: a bound on what one channel can hold


def new_epoch() -> str:
    """A fresh epoch: 8 random hex digits."""
    return os.urandom(4).hex()


@dataclass(frozen=True, slots=True)
class History:
    """How much history a channel keeps: the last ``size`` messages, each for at most ``ttl`` seconds."""

    size: int = 1000
    ttl: float | None = None

    def __post_init__(self) -> None:
        if isinstance(self.size, bool) or not isinstance(self.size, int) or not 1 <= self.size <= MAX_SIZE:
            raise InvalidHistory(f"a history size is a number of messages from 1 to {MAX_SIZE}, not {self.size!r}")
        if self.ttl is not None and (
            isinstance(self.ttl, bool)
            or not isinstance(self.ttl, (int, float))
            or not math.isfinite(self.ttl)
            or self.ttl <= 0
        ):
            raise InvalidHistory(f"a history ttl is seconds above 0 (or None: no age limit), not {self.ttl!r}")


@dataclass(slots=True)
class Page:
    """What history holds after an offset: ``messages`` (in order), and the channel's ``epoch`` and ``top`` offset.

    ``epoch`` is None when the channel has no history (nothing was ever
    published on it, or it all expired); ``first`` is the offset of the
    oldest message history still has (``top + 1`` when it has none).
    """

    epoch: str | None
    top: int
    messages: list[Message] = field(default_factory=list)

    @property
    def first(self) -> int:
        return _offset(self.messages[0]) if self.messages else self.top + 1


def resume_from(page: Page, since: Position) -> list[Message] | str:
    """The messages after ``since``, if ``page`` covers all of them; else why not (a ``HistoryGap`` reason)."""
    if page.epoch is None:
        return "expired"  # nothing is kept any more (aged out, or lost with the backend)
    if page.epoch != since.epoch:
        return "epoch"  # history started over: the offset names another message, or none
    if since.offset > page.top:
        return "ahead"
    if page.first > since.offset + 1:
        return "expired"  # the oldest kept message is not the next one
    return [message for message in page.messages if _offset(message) > since.offset]


class Ring:
    """The last messages of one channel, with no hole: offsets ``first .. top`` within ``epoch``."""

    __slots__ = ("entries", "epoch", "size", "top", "ttl")

    def __init__(self, history: History) -> None:
        self.size = history.size
        self.ttl = history.ttl
        self.epoch: str | None = None
        self.top = 0  # the newest offset seen (0: none yet)
        self.entries: deque[tuple[float, Message]] = deque()  # (when it was added, the message)

    @property
    def first(self) -> int:
        return _offset(self.entries[0][1]) if self.entries else self.top + 1

    def keep(self, history: History) -> None:
        """Keep by ``history`` from now on (in place: whoever holds this ring keeps holding it)."""
        self.size, self.ttl = history.size, history.ttl
        while len(self.entries) > self.size:
            self.entries.popleft()

    def next_position(self, channel: str) -> Position:
        """The position of the next message (this ring is the history: ``memory://``)."""
        if self.epoch is None:
            self.epoch = new_epoch()
        return Position(channel, self.top + 1, self.epoch)

    def add(self, message: Message, now: float) -> None:
        """Append a positioned message; one that does not follow ``top`` starts the ring over from it."""
        position = message.position
        assert position is not None
        if position.epoch == self.epoch and position.offset <= self.top:
            return  # seen already
        if position.epoch != self.epoch or position.offset != self.top + 1:
            self.entries.clear()  # a hole (messages missed) or another epoch: only what follows is whole
            self.epoch = position.epoch
        self.entries.append((now, message))
        self.top = position.offset
        if len(self.entries) > self.size:
            self.entries.popleft()

    def expire(self, now: float) -> None:
        """Forget the messages older than ``ttl``."""
        if self.ttl is not None:
            entries, oldest = self.entries, now - self.ttl
            while entries and entries[0][0] < oldest:
                entries.popleft()

    def page(self, after: int, now: float) -> Page:
        """What this ring holds after offset ``after``."""
        self.expire(now)
        skip = max(0, after + 1 - self.first)  # the offsets are consecutive: the index is arithmetic
        return Page(self.epoch, self.top, [message for _, message in islice(self.entries, skip, None)])

    def merge(self, page: Page, now: float) -> None:
        """Take in what a backend read: older messages in front of the ones seen live, when they join up."""
        if page.epoch is None:
            return
        if self.epoch is None or (not self.entries and self.epoch == page.epoch and self.top <= page.top):
            self.epoch, self.top = page.epoch, page.top  # nothing seen live since the read: the page is the ring
            self.entries = deque((now, message) for message in page.messages[-self.size :])
            return
        if page.epoch != self.epoch or not page.messages:
            return
        first = self.first
        older = [message for message in page.messages if _offset(message) < first]
        if not older or _offset(older[-1]) != first - 1:
            return  # nothing to add, or a hole between the read and what came live
        room = self.size - len(self.entries)
        for message in reversed(older[-room:] if room > 0 else []):
            self.entries.appendleft((now, message))


def _offset(message: Message) -> int:
    position = message.position
    assert position is not None
    return position.offset

"""Resuming a subscriber from a position: what it missed, then the live messages, none twice; or a gap.

The hub keeps, for every channel that keeps history and has local
subscribers, its *tail*: a ``Ring`` of the messages it has seen live since
the first subscriber joined. A resuming subscriber takes its place on the
channel as a ``Resuming`` member, which holds back live messages (the tail
has them) until ``resume`` has sent what it missed: from the tail, or,
where the tail does not go back far enough, from a read of the backend
(``Reads``: one read for the subscribers resuming at the same moment)
merged in front of the tail. Then the member lets the live messages
through and gives its place back to the subscriber.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any

from .backends import Backend
from .errors import BackendUnavailable, HistoryGap
from .history import History, Page, Ring, resume_from
from .message import Message
from .positions import Position
from .targets import Target

__all__ = ["Member", "OnGap", "Reads", "Resuming", "resume"]

#: what a resumed subscription calls when history cannot cover its gap (plain or async)
OnGap = Callable[[HistoryGap], Any]


class Resuming:
    """A resuming subscriber's place on its channel until its missed messages are sent.

    Until ``go_live`` it lets no live message through (the tail has them,
    and they are sent from there); after, it drops the ones up to the last
    position sent that are still to come (a read of the backend had them,
    pub/sub not yet), then gives its place back to the target.
    """

    __slots__ = ("floor", "joined", "live", "members", "tail", "target")

    def __init__(self, target: Target, members: dict[int, Member], tail: Ring) -> None:
        self.target = target
        self.members = members  # the channel's subscribers: where it stands for the target
        self.tail = tail
        self.joined = (tail.epoch, tail.top)
        self.floor: Position | None = None
        self.live = False

    @property
    def queued(self) -> int:
        return self.target.queued

    def placed(self) -> bool:
        """Still on the channel, for a target still there."""
        return self.members.get(id(self.target)) is self and not self.target.gone

    def deliver(self, message: Message) -> None:
        if not self.live:
            return  # held back: it is in the tail
        floor, position = self.floor, message.position
        if (
            floor is not None
            and position is not None
            and position.epoch == floor.epoch
            and position.offset <= floor.offset
        ):
            return  # sent from history already
        self._give_back()
        self.target.deliver(message)

    def go_live(self, since: Position | None) -> None:
        """The missed messages are sent, up to ``since`` (the last of them, or the position resumed from
        if there were none), or there was a gap (None): let the live ones through."""
        tail = self.tail
        if since is None and tail.epoch == self.joined[0]:
            for message in tail.page(self.joined[1], time.monotonic()).messages:
                self.target.deliver(message)  # what came live since it joined
        self.live = True
        if since is not None and tail.epoch == since.epoch:
            # Live copies of what was sent may still come: a read of the backend (merged into the
            # tail) can be ahead of pub/sub. Drop them; the first live message past it gives the
            # place back (at once, when pub/sub was not behind).
            self.floor = since
        else:
            self._give_back()

    def _give_back(self) -> None:
        if self.members.get(id(self.target)) is self:
            self.members[id(self.target)] = self.target

    def close(self) -> None:
        self.target.close()


Member = Target | Resuming  # what a channel's subscribers are


class _Read:
    """A read of a channel's history, shared by the resumers that need no more than it returns."""

    __slots__ = ("after", "previous", "sent", "task")

    def __init__(self, after: int, previous: _Read | None) -> None:
        self.after = after
        self.previous = previous  # the read under way when this one was asked for: this one waits for it
        self.sent = False
        self.task: asyncio.Task[Page] | None = None


class Reads:
    """A backend's history reads, at most one under way per channel, shared by whoever can use it."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._reads: dict[str, _Read] = {}  # by channel: the latest read asked for

    async def page(self, channel: str, after: int, history: History, fresh: bool) -> Page:
        """The backend's page of ``channel`` after ``after`` (``fresh``: from a read not yet sent)."""
        read = self._reads.get(channel)
        if read is not None and (not read.sent or (read.after <= after and not fresh)):
            read.after = min(read.after, after)  # a read not sent yet goes back as far as its resumers need
        else:
            read = self._reads[channel] = _Read(after, read)
            read.task = asyncio.ensure_future(self._send(channel, read, history))
        assert read.task is not None
        try:
            return await asyncio.shield(read.task)
        except BackendUnavailable:
            raise
        except Exception as error:
            raise BackendUnavailable(f"cannot read the history of {channel!r}: {error}") from error

    async def _send(self, channel: str, read: _Read, history: History) -> Page:
        previous, read.previous = read.previous, None
        if previous is not None and previous.task is not None:
            await asyncio.wait([previous.task])  # one read of a channel at a time; others gather meanwhile
        else:
            await asyncio.sleep(0)  # the resumers of this loop iteration join it
        read.sent = True
        try:
            return await self.backend.read(channel, read.after, history)
        finally:
            if self._reads.get(channel) is read:
                del self._reads[channel]


async def resume(
    channel: str, resuming: Resuming, since: Position, on_gap: OnGap | None, history: History, reads: Reads | None
) -> None:
    """Send ``resuming`` what it missed after ``since``, then let the live messages through; or report the gap.

    ``reads``: None when the tail is the history itself (``memory://``),
    so its verdict is final. Raises ``HistoryGap`` when history cannot
    cover it and there is no ``on_gap``; with one, calls it and lets the
    live messages through.
    """
    tail = resuming.tail
    verdict = resume_from(tail.page(since.offset, time.monotonic()), since)
    page: Page | None = None
    told: list[Message] | str = verdict
    for fresh in (False, True, True):
        if isinstance(verdict, list) or reads is None:
            break
        page = await reads.page(channel, since.offset, history, fresh)
        if not resuming.placed():
            return  # it left the channel (or its connection closed) meanwhile
        now = time.monotonic()
        tail.merge(page, now)
        told = resume_from(page, since)
        verdict = resume_from(tail.page(since.offset, now), since)
        if verdict == "ahead" and isinstance(told, list):
            verdict = []  # the backend has it, the live messages are on their way: held back below
        elif not isinstance(told, list) and fresh:
            verdict = told  # the backend, read after this subscriber joined, has the last word
            break
    if not isinstance(verdict, list) and isinstance(told, list):
        verdict = "unavailable"  # history has them, but they never joined up with the live ones (three reads)
    if isinstance(verdict, list):
        for message in verdict:
            resuming.target.deliver(message)
        resuming.go_live(verdict[-1].position if verdict else since)
        await resuming.target.handed_over()  # what the app sends next goes after what was missed
        return
    latest = page if page is not None and page.epoch is not None else tail.page(tail.top, time.monotonic())
    gap = HistoryGap(channel, since, verdict, Position(channel, latest.top, latest.epoch) if latest.epoch else None)
    if on_gap is None:
        raise gap
    result = on_gap(gap)
    if inspect.isawaitable(result):
        await result
    if resuming.placed():
        resuming.go_live(None)

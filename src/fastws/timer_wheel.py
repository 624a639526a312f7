"""Many deadlines on one loop timer: the keepalive pings of every connection.

A loop timer per connection (``loop.call_later``) costs about 550 bytes on
uvloop (the handle, its libuv timer and the callback) for as long as the
connection lives, and tens of thousands of idle connections each hold one;
setting one and cancelling it costs ~2 us on uvloop. A ``TimerWheel`` rounds
each deadline up to the next tick of ``resolution`` seconds and keeps, per
tick, the set of owners due then: an owner costs one set entry, adding and
discarding one ~0.5 us, and one loop timer serves them all. A deadline is
never early, and at most ``resolution`` seconds late.

The loop timer holds the wheel weakly, and a wheel whose last owner was
discarded leaves it set: it goes off once more, finds nothing and stops.
So owners that come and go one at a time (the request heads of connections
opened one after another) do not set a loop timer each, and a wheel nobody
holds is freed at once, set or not.
"""

from __future__ import annotations

import asyncio
import math
import weakref
from typing import Any, Protocol


class Due(Protocol):
    """What a ``TimerWheel`` calls when an owner's deadline has come."""

    def on_due(self) -> None: ...


class TimerWheel:
    """Deadlines rounded up to ticks of ``resolution`` seconds, on one timer of ``loop``."""

    __slots__ = ("__weakref__", "_armed", "_loop", "_resolution", "_ticks", "_timer")

    def __init__(self, loop: asyncio.AbstractEventLoop, resolution: float) -> None:
        if not resolution > 0:
            raise ValueError(f"resolution must be > 0, got {resolution!r}")
        self._loop = loop
        self._resolution = resolution
        self._ticks: dict[int, set[Due]] = {}  # tick -> the owners due at it
        self._timer: asyncio.TimerHandle | None = None
        self._armed: int | None = None  # the tick the timer is set for

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The loop whose timer the wheel runs on."""
        return self._loop

    def __len__(self) -> int:
        """The owners waiting."""
        return sum(len(owners) for owners in self._ticks.values())

    def add(self, delay: float, owner: Due) -> int:
        """Call ``owner.on_due()`` once, ``delay`` seconds from now (rounded up to a tick); return the tick."""
        tick = math.ceil((self._loop.time() + max(0.0, delay)) / self._resolution)
        owners = self._ticks.get(tick)
        if owners is None:
            owners = self._ticks[tick] = set()
        owners.add(owner)
        if self._armed is None or tick < self._armed:
            self._arm(tick)
        return tick

    def discard(self, tick: int, owner: Due) -> None:
        """Forget ``owner``'s deadline at ``tick`` (returned by ``add``), if it is still waiting."""
        owners = self._ticks.get(tick)
        if owners is not None:
            owners.discard(owner)
            if not owners:
                del self._ticks[tick]  # the timer, if set for it, finds nothing and moves on (or stops)

    def _arm(self, tick: int) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._armed = tick
        # weakly: the loop's schedule must not keep the wheel (and through it the loop: a cycle)
        self._timer = self._loop.call_at(tick * self._resolution, _fire, weakref.ref(self))

    def _fire(self) -> None:
        # The timer may run a little before its time (uvloop rounds to milliseconds):
        # the tick it was set for is due whatever the clock says.
        armed = self._armed if self._armed is not None else 0
        last = max(armed, math.floor(self._loop.time() / self._resolution))
        self._timer = self._armed = None
        due = sorted(tick for tick in self._ticks if tick <= last)
        batches = [self._ticks.pop(tick) for tick in due]
        if self._ticks:
            self._arm(min(self._ticks))
        waiting = [owner for owners in batches for owner in owners]
        for n, owner in enumerate(waiting):
            try:
                owner.on_due()  # may add again: to a later tick, armed by add()
            except Exception as exc:  # noqa: BLE001  # one owner's failure must not cost the others their deadlines
                self._loop.call_exception_handler({"message": "TimerWheel: an owner failed", "exception": exc})
            except BaseException:  # KeyboardInterrupt, SystemExit: the rest stay due, for a loop that goes on
                for rest in waiting[n + 1 :]:
                    self.add(0.0, rest)
                raise


def wheel_of(
    wheels: weakref.WeakKeyDictionary[Any, TimerWheel], server: object, loop: asyncio.AbstractEventLoop, tick: float
) -> TimerWheel:
    """The one ``TimerWheel`` in ``wheels`` of ``server``'s connections, made at the first (again on a new
    loop: a ``Config`` may serve again). Keyed weakly, it goes with the server."""
    found = wheels.get(server)
    if found is None or found.loop is not loop:
        found = wheels[server] = TimerWheel(loop, tick)
    return found


def _fire(wheel: weakref.ref[TimerWheel]) -> None:
    """The loop timer's callback: the wheel's due owners, if the wheel is still there."""
    found = wheel()
    if found is not None:
        found._fire()

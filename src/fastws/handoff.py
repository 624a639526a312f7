"""Open connections handed to fastws' own transport once they have lasted a while, by one timer per server.

The move from the loop's transport to a ``SocketTransport`` pays for itself
over a connection's life (fewer instructions per message, less memory while
idle), but costs something once: a descriptor duplicated, the loop's
transport aborted, a reader registered with the loop (about ten system
calls and 19,000 instructions). A connection that opens, trades a message
and closes within moments gains nothing from it, and a server that takes
thousands of those a second would pay it on each. So a connection is moved
once it has lasted ``after`` seconds (``ws_own_socket_after``).

A timer per connection would cost more than what it saves; a ``Handoff``
keeps two sets instead, the connections opened since its timer last went
off (``fresh``) and those opened in the period before (``due``), and one
loop timer of ``after`` seconds, set while either holds a connection. When
it goes off, each ``due`` connection is moved (it has lasted at least
``after``, at most twice that) and ``fresh`` becomes ``due``. A connection
that ends first leaves its set at once (``discard``), so a short one costs
a set entry for its life and no move.

A move takes about 20 us, so the connections of a burst (thousands that
reconnect at once) are moved ``MOVES_PER_TURN`` at a time, one batch per
turn of the loop, rather than in one callback that would hold every other
connection's reads for tens of milliseconds.
"""

from __future__ import annotations

import asyncio
import math
import weakref
from typing import Protocol

__all__ = ["MOVES_PER_TURN", "Handoff", "Movable"]

#: the most connections moved in one turn of the loop (about 5 ms of moves)
MOVES_PER_TURN = 256


class Movable(Protocol):
    """What a ``Handoff`` moves: a connection that can move to fastws' own transport."""

    def own_socket(self) -> bool:
        """Move now if it can; False when it cannot yet (to be tried again a period later)."""
        ...


class Handoff:
    """Connections moved to their own transport ``after`` seconds (to twice that) after ``add``."""

    __slots__ = ("__weakref__", "_after", "_due", "_fresh", "_loop", "_moving", "_timer")

    def __init__(self, loop: asyncio.AbstractEventLoop, after: float) -> None:
        if not (isinstance(after, (int, float)) and 0 < after < math.inf):
            raise ValueError(f"after must be a number of seconds > 0, not {after!r}")
        self._loop = loop
        self._after = float(after)
        self._fresh: set[Movable] = set()
        self._due: set[Movable] = set()
        self._moving: set[Movable] = set()  # due at the last sweep, not moved yet: MOVES_PER_TURN a turn
        self._timer: asyncio.TimerHandle | None = None

    def __len__(self) -> int:
        """The connections waiting for their move."""
        return len(self._fresh) + len(self._due) + len(self._moving)

    def add(self, connection: Movable) -> None:
        """Move ``connection`` once it has lasted ``after`` seconds, unless it is discarded first."""
        self._fresh.add(connection)
        if self._timer is None:
            self._arm()

    def discard(self, connection: Movable) -> None:
        """Forget ``connection`` (it ended): it is not moved, and not held."""
        self._fresh.discard(connection)
        self._due.discard(connection)
        self._moving.discard(connection)

    def _arm(self) -> None:
        # weakly: the loop's schedule must not keep the handoff (and through it the loop: a cycle)
        self._timer = self._loop.call_later(self._after, _sweep, weakref.ref(self))

    def sweep(self) -> None:
        """Move the connections due, ``MOVES_PER_TURN`` now and the rest at the next turns (what the timer does)."""
        self._timer = None
        self._moving |= self._due
        self._due, self._fresh = self._fresh, set()
        self.move_some()

    def move_some(self) -> None:
        """Move up to ``MOVES_PER_TURN`` of the connections due; the rest at the next turn of the loop."""
        for _ in range(min(MOVES_PER_TURN, len(self._moving))):
            connection = self._moving.pop()
            try:
                if not connection.own_socket():  # its transport still holds bytes: the next period
                    self._due.add(connection)
            except Exception as exc:  # noqa: BLE001  # one connection's failure must not cost the others their move
                self._loop.call_exception_handler({"message": "Handoff: a connection failed to move", "exception": exc})
        if self._moving:
            self._loop.call_soon(_move_some, weakref.ref(self))
        if self._due and self._timer is None:
            self._arm()


def _sweep(handoff: weakref.ref[Handoff]) -> None:
    """The loop timer's callback: the handoff's sweep, if the handoff is still there."""
    found = handoff()
    if found is not None:
        found.sweep()


def _move_some(handoff: weakref.ref[Handoff]) -> None:
    """The next turn's batch of moves, if the handoff is still there."""
    found = handoff()
    if found is not None:
        found.move_some()

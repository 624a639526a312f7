"""fastws.handoff: connections moved once they have lasted a while, by one loop timer."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from fastws.handoff import MOVES_PER_TURN, Handoff

AFTER = 0.05


class Connection:
    """A connection that writes down when it was moved; ``ready`` False: its transport still holds bytes."""

    def __init__(self, loop: asyncio.AbstractEventLoop, ready: bool = True, fails: bool = False) -> None:
        self.loop, self.ready, self.fails = loop, ready, fails
        self.added = loop.time()
        self.moves: list[float] = []

    def own_socket(self) -> bool:
        self.moves.append(self.loop.time() - self.added)
        if self.fails:
            raise RuntimeError("no move")
        return self.ready


@contextlib.contextmanager
def _gc_off() -> Iterator[None]:
    """The cyclic GC kept from running: what is freed meanwhile is freed by its reference count."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_each_connection_is_moved_once_between_after_and_twice_after() -> None:
    async def main() -> list[list[float]]:
        loop = asyncio.get_running_loop()
        handoff = Handoff(loop, AFTER)
        connections = []
        for _ in range(5):  # added across two periods
            connection = Connection(loop)
            handoff.add(connection)
            connections.append(connection)
            await asyncio.sleep(AFTER / 3)
        await asyncio.sleep(3 * AFTER)
        assert len(handoff) == 0
        return [connection.moves for connection in connections]

    for moves in asyncio.run(main()):
        assert len(moves) == 1 and AFTER * 0.9 <= moves[0] < 2 * AFTER + 0.05, moves


def test_a_burst_is_moved_a_batch_a_turn_so_the_loop_serves_others_between() -> None:
    """Connections due at once are moved ``MOVES_PER_TURN`` a turn of the loop, every one of them, and one
    discarded while its batch waits is not moved."""
    turns: list[int] = []  # the moves made in each turn of the loop, while a ticker runs once a turn

    async def main() -> tuple[int, int, int]:
        loop = asyncio.get_running_loop()
        handoff = Handoff(loop, AFTER)
        connections = [Connection(loop) for _ in range(3 * MOVES_PER_TURN + 10)]
        for connection in connections:
            handoff.add(connection)
        moved = 0
        discarded: list[Connection | None] = [None]  # one connection discarded once the moves have begun

        def tick() -> None:
            nonlocal moved
            now = sum(len(connection.moves) for connection in connections)
            turns.append(now - moved)
            moved = now
            if now and len(handoff) and discarded[0] is None:
                discarded[0] = next(c for c in connections if not c.moves)
                handoff.discard(discarded[0])
            if len(handoff) or not now:
                loop.call_soon(tick)

        loop.call_soon(tick)
        await asyncio.sleep(6 * AFTER)
        assert discarded[0] is not None
        return len(handoff), sum(len(c.moves) for c in connections), len(discarded[0].moves)

    waiting, moves, discarded_moves = asyncio.run(main())
    assert waiting == 0 and moves == 3 * MOVES_PER_TURN + 9 and discarded_moves == 0
    assert max(turns) == MOVES_PER_TURN and sum(1 for moves in turns if moves) == 4, turns


def test_a_discarded_connection_is_not_moved_nor_held() -> None:
    async def main() -> tuple[list[float], bool]:
        loop = asyncio.get_running_loop()
        handoff = Handoff(loop, AFTER)
        connection = Connection(loop)
        handoff.add(connection)
        handoff.discard(connection)
        moves = connection.moves
        with _gc_off():
            held = weakref.ref(connection)
            del connection
            gone = held() is None
        await asyncio.sleep(3 * AFTER)
        return moves, gone

    assert asyncio.run(main()) == ([], True)


def test_a_connection_not_ready_is_tried_again_each_period_until_it_moves() -> None:
    async def main() -> list[float]:
        loop = asyncio.get_running_loop()
        handoff = Handoff(loop, AFTER)
        connection = Connection(loop, ready=False)
        handoff.add(connection)
        await asyncio.sleep(2.5 * AFTER)
        connection.ready = True
        await asyncio.sleep(3 * AFTER)
        assert len(handoff) == 0
        return connection.moves

    moves = asyncio.run(main())
    assert len(moves) >= 2 and all(b - a >= AFTER * 0.9 for a, b in itertools.pairwise(moves)), moves


def test_a_connection_that_fails_to_move_is_reported_and_the_others_still_move() -> None:
    reported: list[dict[str, Any]] = []

    async def main() -> list[int]:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _loop, context: reported.append(context))
        handoff = Handoff(loop, AFTER)
        connections = [Connection(loop, fails=n == 1) for n in range(3)]
        for connection in connections:
            handoff.add(connection)
        await asyncio.sleep(3 * AFTER)
        return [len(connection.moves) for connection in connections]

    assert asyncio.run(main()) == [1, 1, 1]
    assert [type(context["exception"]) for context in reported] == [RuntimeError]


def test_a_handoff_whose_timer_is_set_goes_with_its_owner() -> None:
    """The loop's timer holds the handoff weakly: dropped, it is freed at once, timer set or not."""

    async def main() -> bool:
        loop = asyncio.get_running_loop()
        handoff = Handoff(loop, AFTER)
        handoff.add(Connection(loop))
        with _gc_off():
            held = weakref.ref(handoff)
            del handoff
            gone = held() is None
        await asyncio.sleep(2 * AFTER)  # the timer goes off on nothing
        return gone

    assert asyncio.run(main())


@pytest.mark.parametrize("after", [0, -1, float("inf"), float("nan"), "1"])
def test_after_is_a_finite_number_of_seconds_above_0(after: Any) -> None:
    loop = asyncio.new_event_loop()
    try:
        with pytest.raises(ValueError, match="after must be a number of seconds > 0"):
            Handoff(loop, after)
    finally:
        loop.close()

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

from fastws.handoff import Handoff

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

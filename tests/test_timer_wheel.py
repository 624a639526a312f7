"""``TimerWheel``: many deadlines on one loop timer, never early, at most one tick late."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import pytest

from fastws.timer_wheel import TimerWheel

TICK = 0.02


class Owner:
    def __init__(self, loop: asyncio.AbstractEventLoop, log: list[tuple[str, float]], name: str) -> None:
        self.loop, self.log, self.name = loop, log, name

    def on_due(self) -> None:
        self.log.append((self.name, self.loop.time()))


def test_each_owner_is_called_once_at_its_deadline_rounded_up_to_a_tick() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        timers = TimerWheel(loop, TICK)
        log: list[tuple[str, float]] = []
        start = loop.time()
        for name, delay in (("c", 0.15), ("a", 0.05), ("b", 0.1), ("a2", 0.05)):
            timers.add(delay, Owner(loop, log, name))
        assert len(timers) == 4
        await asyncio.sleep(0.3)
        assert [name for name, _ in log][2:] == ["b", "c"] and {name for name, _ in log[:2]} == {"a", "a2"}
        wanted = {"a": 0.05, "a2": 0.05, "b": 0.1, "c": 0.15}
        for name, when in log:
            late = when - start - wanted[name]
            assert -0.002 <= late <= TICK + 0.05, (name, late)  # never early (uvloop's ms rounding aside)
        assert len(timers) == 0

    asyncio.run(main())


def test_a_discarded_deadline_is_not_called_and_the_others_are() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        timers = TimerWheel(loop, TICK)
        log: list[tuple[str, float]] = []
        gone, kept = Owner(loop, log, "gone"), Owner(loop, log, "kept")
        tick = timers.add(0.05, gone)
        timers.add(0.05, kept)
        timers.discard(tick, gone)
        timers.discard(tick, gone)  # twice is harmless
        await asyncio.sleep(0.15)
        assert [name for name, _ in log] == ["kept"]

    asyncio.run(main())


def test_an_owner_may_add_itself_again_and_one_failure_spares_the_rest() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        errors: list[dict[str, Any]] = []
        loop.set_exception_handler(lambda _loop, context: errors.append(context))
        timers = TimerWheel(loop, TICK)
        calls: list[str] = []

        class Again:
            def on_due(self) -> None:
                calls.append("again")
                if calls.count("again") < 3:
                    timers.add(0.0, self)  # due at once: on the next run, not in this one

        class Fails:
            def on_due(self) -> None:
                calls.append("fails")
                raise RuntimeError("boom")

        timers.add(0.02, Fails())
        timers.add(0.02, Again())
        await asyncio.sleep(0.2)
        assert calls.count("again") == 3 and calls.count("fails") == 1
        assert [type(context["exception"]) for context in errors] == [RuntimeError]

    asyncio.run(main())


def test_owners_that_come_and_go_one_at_a_time_share_one_loop_timer() -> None:
    """As the request heads of connections opened one after another: not a loop timer set and cancelled each."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        timers = TimerWheel(loop, TICK)
        log: list[tuple[str, float]] = []
        set_timers = 0
        call_at = loop.call_at

        def counting_call_at(when: float, callback: Any, *args: Any, **context: Any) -> asyncio.TimerHandle:
            nonlocal set_timers
            set_timers += 1
            return call_at(when, callback, *args, **context)

        loop.call_at = counting_call_at  # type: ignore[method-assign]
        for n in range(100):
            owner = Owner(loop, log, str(n))
            timers.discard(timers.add(1.0, owner), owner)
        assert set_timers == 1 and len(timers) == 0
        timers.add(TICK, Owner(loop, log, "due"))  # an earlier deadline than the timer set: set again
        loop.call_at = call_at  # type: ignore[method-assign]  # (asyncio.sleep sets one too)
        await asyncio.sleep(0.1)
        assert [name for name, _ in log] == ["due"] and set_timers == 2

    asyncio.run(main())


def test_a_wheel_nobody_holds_is_freed_at_once_though_its_timer_is_set() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        log: list[tuple[str, float]] = []
        timers = TimerWheel(loop, TICK)
        timers.add(TICK, Owner(loop, log, "dropped"))
        gone = weakref.ref(timers)
        del timers
        assert gone() is None  # the loop's schedule does not keep it (nor, through it, the loop)
        await asyncio.sleep(0.1)  # its timer goes off, and finds no wheel
        assert log == []

    asyncio.run(main())


def test_a_resolution_must_be_positive() -> None:
    loop = asyncio.new_event_loop()
    try:
        with pytest.raises(ValueError, match="resolution"):
            TimerWheel(loop, 0)
    finally:
        loop.close()


def test_an_interrupt_leaves_the_rest_of_the_tick_due() -> None:
    loop = asyncio.new_event_loop()
    timers = TimerWheel(loop, TICK)
    called: list[str] = []

    class Interrupts:
        def on_due(self) -> None:
            called.append("interrupts")
            raise KeyboardInterrupt

    class Counts:
        def on_due(self) -> None:
            called.append("counts")

    for owner in (Counts(), Interrupts(), Counts(), Counts()):
        timers.add(0.01, owner)
    try:
        with pytest.raises(KeyboardInterrupt):
            loop.run_until_complete(asyncio.sleep(0.1))
        assert called.count("counts") + len(timers) == 3  # each other owner called, or still due
        loop.run_until_complete(asyncio.sleep(0.1))
        assert called.count("counts") == 3 and len(timers) == 0
    finally:
        loop.close()

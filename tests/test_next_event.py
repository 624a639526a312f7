"""``fastws._next_event``, the futures the protocol's ``receive`` returns, on each twin (``next_event_twin``)."""

from __future__ import annotations

import asyncio
import contextvars
from types import ModuleType
from typing import Any

import pytest
import uvloop

from fastws import _protocol_core

EVENT = {"type": "websocket.receive", "text": "hi"}


def future_kwargs(loop: asyncio.AbstractEventLoop) -> dict[str, Any] | None:
    """The protocol's rule, in its source (one for both of its twins): the keyword arguments pending takes."""
    return _protocol_core.PURE._future_kwargs(loop)


LOOPS = [pytest.param(asyncio.new_event_loop, id="asyncio"), pytest.param(uvloop.new_event_loop, id="uvloop")]


def run(make_loop: Any, coroutine_function: Any) -> Any:
    loop = make_loop()
    try:
        return loop.run_until_complete(coroutine_function(loop))
    finally:
        loop.close()


@pytest.mark.parametrize("make_loop", LOOPS)
def test_pending_is_the_loops_own_future(next_event_twin: ModuleType, make_loop: Any) -> None:
    async def check(loop: asyncio.AbstractEventLoop) -> None:
        kwargs = future_kwargs(loop)
        assert kwargs == {"loop": loop}  # made directly, not through the loop's create_future()
        future = next_event_twin.pending(loop, kwargs)
        # exactly asyncio's: a Task awaits it on its fast path (any other future: result() called by name)
        assert type(future) is asyncio.Future and future.get_loop() is loop and not future.done()
        loop.call_soon(future.set_result, EVENT)
        assert await future is EVENT

    run(make_loop, check)


@pytest.mark.parametrize("make_loop", LOOPS)
def test_pending_is_on_its_loop_from_anywhere(next_event_twin: ModuleType, make_loop: Any) -> None:
    # made as Future() while its loop runs: not from outside it (no loop runs), nor while another runs
    loop = make_loop()
    try:
        kwargs = future_kwargs(loop)
        assert next_event_twin.pending(loop, kwargs).get_loop() is loop

        async def on_another() -> asyncio.Future[Any]:
            return next_event_twin.pending(loop, kwargs)  # type: ignore[no-any-return]

        assert asyncio.run(on_another()).get_loop() is loop
    finally:
        loop.close()


def test_pending_uses_a_loops_own_create_future(next_event_twin: ModuleType) -> None:
    class Instrumented(asyncio.Future[Any]):
        pass

    class Loop(asyncio.SelectorEventLoop):
        def create_future(self) -> asyncio.Future[Any]:
            return Instrumented(loop=self)

    loop = Loop()
    try:
        assert future_kwargs(loop) is None
        assert type(next_event_twin.pending(loop, None)) is Instrumented
    finally:
        loop.close()


def test_ready_is_a_done_future_of_its_event(next_event_twin: ModuleType) -> None:
    loop = asyncio.new_event_loop()
    try:
        ready = next_event_twin.ready(loop, EVENT)
        assert asyncio.isfuture(ready) and ready.get_loop() is loop
        assert ready.done() and not ready.cancelled() and not ready.cancel()
        assert ready.result() is EVENT and ready.exception() is None
        assert ready.remove_done_callback(print) == 0
        assert repr(ready) == f"<ReadyEvent result={EVENT!r}>"
    finally:
        loop.close()


def test_awaiting_ready_ends_at_its_first_step(next_event_twin: ModuleType) -> None:
    loop = asyncio.new_event_loop()
    try:

        async def receive() -> Any:
            return await next_event_twin.ready(loop, EVENT)

        coroutine = receive()
        with pytest.raises(StopIteration) as stop:
            coroutine.send(None)  # no loop: nothing is yielded, the event is the value
        assert stop.value.value is EVENT
    finally:
        loop.close()


@pytest.mark.parametrize("make_loop", LOOPS)
def test_ready_works_with_asyncios_future_functions(next_event_twin: ModuleType, make_loop: Any) -> None:
    name: contextvars.ContextVar[str] = contextvars.ContextVar("name", default="none")

    async def check(loop: asyncio.AbstractEventLoop) -> None:
        make = next_event_twin.ready
        assert await asyncio.wait_for(make(loop, EVENT), 1) is EVENT
        assert await asyncio.shield(make(loop, EVENT)) is EVENT
        assert await asyncio.gather(make(loop, EVENT), make(loop, {"n": 2})) == [EVENT, {"n": 2}]
        done, waiting = await asyncio.wait({make(loop, EVENT)}, timeout=1)
        assert len(done) == 1 and not waiting
        assert await asyncio.ensure_future(make(loop, EVENT)) is EVENT
        seen: list[tuple[Any, str]] = []
        context = contextvars.copy_context()
        context.run(name.set, "theirs")
        ready = make(loop, EVENT)
        ready.add_done_callback(lambda future: seen.append((future, name.get())), context=context)
        ready.add_done_callback(lambda future: seen.append((future, name.get())))
        assert seen == []  # soon, not at once, as for a done Future
        await asyncio.sleep(0)
        assert seen == [(ready, "theirs"), (ready, "none")]

    run(make_loop, check)

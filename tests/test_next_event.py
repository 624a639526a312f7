"""``fastws._next_event``, the futures the protocol's ``receive`` returns, on each twin (``next_event_twin``)."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
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


def _waiting_task(loop: asyncio.AbstractEventLoop, seen: list[Any], name: contextvars.ContextVar[str]) -> Any:
    """A task awaiting a pending future, which records what it got, in its context, as which task."""
    future = asyncio.Future(loop=loop)

    async def receive() -> None:
        name.set("the task's")
        event = await future
        seen.append((event, name.get(), asyncio.current_task() is task))

    task = loop.create_task(receive())
    return future, task


def _settle_in_a_read(loop: asyncio.AbstractEventLoop, settle: Callable[[], None], seen: list[Any]) -> list[Any]:
    """Call ``settle`` from a callback of ``loop``, as a protocol's read is (no task runs); the list returned
    gets a copy of ``seen`` as it was right after, once the loop has run the callback."""
    during: list[Any] = []

    def read() -> None:
        settle()
        during.append(list(seen))

    loop.call_soon(read)
    return during


@pytest.mark.parametrize("make_loop", LOOPS)
def test_settle_steps_the_waiting_task_at_once(next_event_twin: ModuleType, make_loop: Any) -> None:
    name: contextvars.ContextVar[str] = contextvars.ContextVar("name", default="none")

    async def check(loop: asyncio.AbstractEventLoop) -> None:
        seen: list[Any] = []
        future, task = _waiting_task(loop, seen, name)
        await asyncio.sleep(0)  # the task waits on the future
        during = _settle_in_a_read(loop, lambda: next_event_twin.settle(loop, future, EVENT), seen)
        await task
        # the task's step ran inside settle, in its own context, as the current task
        assert during == [[(EVENT, "the task's", True)]]
        assert name.get() == "none"

    run(make_loop, check)


@pytest.mark.parametrize("make_loop", LOOPS)
def test_settle_leaves_a_task_to_the_loop_while_a_task_runs(next_event_twin: ModuleType, make_loop: Any) -> None:
    name: contextvars.ContextVar[str] = contextvars.ContextVar("name", default="none")

    async def check(loop: asyncio.AbstractEventLoop) -> None:
        seen: list[Any] = []
        future, task = _waiting_task(loop, seen, name)
        await asyncio.sleep(0)
        next_event_twin.settle(loop, future, EVENT)  # from this task: the other cannot step inside it
        assert future.result() is EVENT and seen == []
        await task
        assert seen == [(EVENT, "the task's", True)]

    run(make_loop, check)


@pytest.mark.parametrize("make_loop", LOOPS)
def test_settle_leaves_more_callbacks_than_one_to_the_loop(next_event_twin: ModuleType, make_loop: Any) -> None:
    async def check(loop: asyncio.AbstractEventLoop) -> None:
        future = next_event_twin.pending(loop, {"loop": loop})
        calls: list[str] = []
        future.add_done_callback(lambda _: calls.append("first"))
        future.add_done_callback(lambda _: calls.append("second"))
        during = _settle_in_a_read(loop, lambda: next_event_twin.settle(loop, future, EVENT), calls)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert during == [[]] and calls == ["first", "second"]

    run(make_loop, check)


@pytest.mark.parametrize("make_loop", LOOPS)
def test_settle_gives_a_callbacks_error_to_the_loop(next_event_twin: ModuleType, make_loop: Any) -> None:
    async def check(loop: asyncio.AbstractEventLoop) -> None:
        errors: list[dict[str, Any]] = []
        loop.set_exception_handler(lambda _, context: errors.append(context))
        future = next_event_twin.pending(loop, {"loop": loop})

        def fails(_: object) -> None:
            raise ValueError("in the callback")

        future.add_done_callback(fails)
        loop.call_soon(next_event_twin.settle, loop, future, EVENT)  # it does not raise in the read
        await asyncio.sleep(0)
        assert future.result() is EVENT
        assert [type(error["exception"]) for error in errors] == [ValueError]
        assert "Exception in callback" in errors[0]["message"]

    run(make_loop, check)


@pytest.mark.parametrize("make_loop", LOOPS)
def test_settle_a_cancelled_future_raises_as_set_result(next_event_twin: ModuleType, make_loop: Any) -> None:
    async def check(loop: asyncio.AbstractEventLoop) -> None:
        future = next_event_twin.pending(loop, {"loop": loop})
        future.add_done_callback(lambda _: None)
        future.cancel()
        with pytest.raises(asyncio.InvalidStateError):
            next_event_twin.settle(loop, future, EVENT)

    run(make_loop, check)


@pytest.mark.parametrize("make_loop", LOOPS)
def test_settle_in_the_callbacks_context_already_leaves_it_to_the_loop(
    next_event_twin: ModuleType, make_loop: Any
) -> None:
    async def check(loop: asyncio.AbstractEventLoop) -> None:
        future = next_event_twin.pending(loop, {"loop": loop})
        context = contextvars.copy_context()
        calls: list[Any] = []
        future.add_done_callback(calls.append, context=context)
        # inside the context the callback is to run in: it cannot be entered twice
        during = _settle_in_a_read(loop, lambda: context.run(next_event_twin.settle, loop, future, EVENT), calls)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert during == [[]] and calls == [future]

    run(make_loop, check)


@pytest.mark.parametrize("make_loop", LOOPS)
def test_sent_is_a_done_awaitable_and_a_coroutine_to_asyncio(next_event_twin: ModuleType, make_loop: Any) -> None:
    sent = next_event_twin.SENT
    assert type(sent) is next_event_twin.Sent and repr(sent) == "<Sent>"
    with pytest.raises(StopIteration) as ended:
        next(iter(sent))
    assert ended.value.value is None
    with pytest.raises(StopIteration):
        sent.send(None)
    with pytest.raises(ValueError, match="thrown"):
        sent.throw(ValueError("thrown"))
    with pytest.raises(KeyError):
        sent.throw(KeyError)
    assert sent.close() is None

    async def check(loop: asyncio.AbstractEventLoop) -> None:
        assert await sent is None
        assert await sent is None  # awaited again: one object for every send
        assert asyncio.iscoroutine(sent)
        assert await loop.create_task(sent) is None
        assert await asyncio.ensure_future(sent) is None
        assert await asyncio.wait_for(sent, 1) is None

    run(make_loop, check)

"""``fastws._app_run.AppRun``, the coroutine a connection's task runs the app in, on each twin (``app_run_twin``)."""

from __future__ import annotations

import asyncio
import warnings
from types import ModuleType
from typing import Any

import pytest


class Owner:
    """A protocol's side of the contract (``AppOwner``): the app and its ASGI arguments; its ends recorded."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.scope = {"type": "websocket"}
        self.ended: list[tuple[object, BaseException | None]] = []

    def receive(self) -> Any:
        return None

    def send(self, message: Any) -> Any:
        return None

    def app_finished(self, result: object, error: BaseException | None) -> None:
        self.ended.append((result, error))


class Suspend:
    """An awaitable that suspends once, yielding ``value``, and returns what is sent back in."""

    def __init__(self, value: object) -> None:
        self.value = value

    def __await__(self) -> Any:
        return (yield self.value)


def test_is_a_coroutine_to_asyncio_that_calls_the_app_at_its_first_step(app_run_twin: ModuleType) -> None:
    calls: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        calls.append((scope, receive, send))
        calls.append(await Suspend("yielded"))

    owner = Owner(app)
    run = app_run_twin.AppRun(owner)
    assert asyncio.iscoroutine(run) and calls == []
    assert run.send(None) == "yielded"
    assert calls == [(owner.scope, owner.receive, owner.send)] and owner.ended == []
    with pytest.raises(StopIteration) as stop:
        run.send("sent in")
    assert stop.value.value is None and calls[1] == "sent in" and owner.ended == [(None, None)]


def test_the_apps_result_goes_to_its_owner(app_run_twin: ModuleType) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> str:
        return "a result"

    owner = Owner(app)
    with pytest.raises(StopIteration):
        app_run_twin.AppRun(owner).send(None)
    assert owner.ended == [("a result", None)]


@pytest.mark.parametrize("kind", [ValueError, SystemExit, KeyboardInterrupt, asyncio.CancelledError])
def test_whatever_the_app_raises_goes_to_its_owner_and_the_run_returns(
    app_run_twin: ModuleType, kind: type[BaseException]
) -> None:
    """As uvicorn's ``run_asgi``, which catches ``BaseException``: the task ends without an exception."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await Suspend(None)
        raise kind("from the app")

    owner = Owner(app)
    run = app_run_twin.AppRun(owner)
    run.send(None)
    with pytest.raises(StopIteration):
        run.send(None)
    [(result, error)] = owner.ended
    assert result is None and type(error) is kind and str(error) == "from the app"
    assert "app" in _frames(error)  # its traceback, for the log line, goes down to the app's raise


def _frames(error: BaseException | None) -> list[str]:
    traceback = error.__traceback__ if error is not None else None
    names = []
    while traceback is not None:
        names.append(traceback.tb_frame.f_code.co_name)
        traceback = traceback.tb_next
    return names


def test_an_error_of_the_apps_call_goes_to_its_owner(app_run_twin: ModuleType) -> None:
    def app(scope: Any, receive: Any, send: Any) -> Any:
        raise ValueError("in the call")

    owner = Owner(app)
    with pytest.raises(StopIteration):
        app_run_twin.AppRun(owner).send(None)
    assert [(result, type(error)) for result, error in owner.ended] == [(None, ValueError)]


def test_any_awaitable_the_app_returns_is_awaited_and_anything_else_is_a_type_error(
    app_run_twin: ModuleType,
) -> None:
    owner = Owner(lambda scope, receive, send: Suspend("from an awaitable"))
    run = app_run_twin.AppRun(owner)
    assert run.send(None) == "from an awaitable"
    with pytest.raises(StopIteration):
        run.send("its result")
    assert owner.ended == [("its result", None)]

    owner = Owner(lambda scope, receive, send: None)
    with pytest.raises(StopIteration):
        app_run_twin.AppRun(owner).send(None)
    [(_, error)] = owner.ended
    assert isinstance(error, TypeError) and "await" in str(error)


def test_thrown_in_while_the_app_waits_the_app_sees_it(app_run_twin: ModuleType) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> str:
        try:
            await Suspend(None)
        except asyncio.CancelledError:
            return "caught"
        return "not thrown"

    owner = Owner(app)
    run = app_run_twin.AppRun(owner)
    run.send(None)
    with pytest.raises(StopIteration):
        run.throw(asyncio.CancelledError())
    assert owner.ended == [("caught", None)]

    async def lets_it_through(scope: Any, receive: Any, send: Any) -> None:
        await Suspend(None)

    owner = Owner(lets_it_through)
    run = app_run_twin.AppRun(owner)
    run.send(None)
    with pytest.raises(StopIteration), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # CPython 3.12+ on the (type, value, traceback) form
        run.throw(asyncio.CancelledError, asyncio.CancelledError("the old form"), None)
    [(_, error)] = owner.ended
    assert isinstance(error, asyncio.CancelledError) and str(error) == "the old form"


@pytest.mark.parametrize("form", ["instance", "class"])
def test_thrown_in_before_the_first_step_it_is_raised_and_told_and_the_app_never_called(
    app_run_twin: ModuleType, form: str
) -> None:
    # told: the owner's task set (uvicorn's server_state.tasks) lets go of the task, the connection closes
    calls: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        calls.append(scope)

    owner = Owner(app)
    with pytest.raises(asyncio.CancelledError):
        if form == "instance":
            app_run_twin.AppRun(owner).throw(asyncio.CancelledError())
        else:
            app_run_twin.AppRun(owner).throw(asyncio.CancelledError, None, None)
    assert calls == [] and [(result, type(error)) for result, error in owner.ended] == [(None, asyncio.CancelledError)]


def test_close_closes_the_apps_coroutine(app_run_twin: ModuleType) -> None:
    closed: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        try:
            await Suspend(None)
        finally:
            closed.append("closed")

    app_run_twin.AppRun(Owner(app)).close()  # not started: nothing to close
    run = app_run_twin.AppRun(Owner(app))
    run.send(None)
    run.close()
    assert closed == ["closed"]


def test_a_task_runs_it_to_its_end(app_run_twin: ModuleType) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> str:
        await asyncio.sleep(0)
        return "done"

    async def main() -> Any:
        owner = Owner(app)
        task = asyncio.get_running_loop().create_task(app_run_twin.AppRun(owner))
        assert task.get_coro() is not None and type(task.get_coro()) is app_run_twin.AppRun
        return await task, owner.ended

    assert asyncio.run(main()) == (None, [("done", None)])

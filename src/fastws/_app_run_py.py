"""``AppRun``, the coroutine a connection's ASGI task runs: the pure twin of ``_app_run_c``.

It calls the app at its first step and passes each step on to the app's
coroutine; when that returns, or raises anything (uvicorn's ``run_asgi``
catches ``BaseException``: an app's ``SystemExit`` ends its connection, not
the server), it gives the outcome to its owner, the protocol
(``AppOwner.app_finished``), and returns None.

Why not an ``async def`` that awaits the app: that is a frame more per
connection (224 bytes on CPython 3.11), held for the connection's life, and
one more frame resumed at each of the app's steps. To asyncio an ``AppRun``
is a coroutine (``send``, ``throw``, ``close``, ``__await__``): a task runs
it, ``Task.get_coro()`` returns it.
"""

from __future__ import annotations

from collections.abc import Coroutine, Generator
from types import CoroutineType
from typing import Any, Protocol, final

__all__ = ["AppRun"]  # and AppOwner, the contract (for type checkers)


class AppOwner(Protocol):
    """What an ``AppRun`` reads of the protocol it runs the app for, and tells it."""

    @property
    def app(self) -> Any: ...
    @property
    def scope(self) -> Any: ...
    def receive(self) -> Any: ...
    def send(self, message: Any) -> Any: ...
    def app_finished(self, result: object, error: BaseException | None) -> None: ...


@final
class AppRun:
    """The app's coroutine for ``owner``'s task, made at the first step; see the module."""

    __slots__ = ("app", "owner")

    def __init__(self, owner: AppOwner) -> None:
        self.owner = owner
        self.app: Coroutine[Any, Any, Any] | None = None

    def send(self, value: object) -> Any:
        """One step of the app, ``value`` sent in: what it yields; ``StopIteration`` once it has ended."""
        return self._step(value)

    def _step(self, value: object) -> Any:
        app = self.app
        if app is None:
            app = self._start()
            if app is None:
                raise StopIteration
        try:
            return app.send(value)
        except StopIteration as returned:
            self.owner.app_finished(returned.value, None)
        except BaseException as error:  # noqa: BLE001  # uvicorn's run_asgi catches every kind
            self.owner.app_finished(None, error)
        raise StopIteration

    def _start(self) -> Coroutine[Any, Any, Any] | None:
        """The app called at the first step: its coroutine, or None once what the call raised went to the owner."""
        owner = self.owner
        try:
            self.app = _coroutine(owner.app(owner.scope, owner.receive, owner.send))
        except BaseException as error:  # noqa: BLE001
            owner.app_finished(None, error)
            return None
        return self.app

    def throw(self, error: Any, value: Any = None, traceback: Any = None) -> Any:
        """``error`` raised at the app's await (``Task.cancel``: ``CancelledError``), then as ``send``. Thrown in
        before the first step, the app is never called: the owner is told it ended with ``error`` (its task is
        done with), which is raised from here (as from a coroutine not started)."""
        app = self.app
        if app is None:
            thrown = error if value is None else value
            if isinstance(thrown, type):
                thrown = thrown()
            self.owner.app_finished(None, thrown)
            raise thrown
        try:
            return app.throw(error) if value is None else app.throw(error, value, traceback)
        except StopIteration as returned:
            self.owner.app_finished(returned.value, None)
        except BaseException as ended:  # noqa: BLE001
            self.owner.app_finished(None, ended)
        raise StopIteration

    def close(self) -> None:
        """Close the app's coroutine (a task let go of before its end)."""
        if self.app is not None:
            self.app.close()

    def __await__(self) -> Generator[Any]:
        return self  # an iterator with send and throw, as a generator

    def __iter__(self) -> AppRun:
        return self

    def __next__(self) -> Any:
        # asyncio's Task steps a coroutine with PyIter_Send(coro, None): for one not Python's, this
        return self._step(None)


def _coroutine(awaitable: Any) -> Coroutine[Any, Any, Any]:
    """What the app's call returned, as a coroutine: itself if it is a Python ``async def``'s, else one that
    awaits it (any other awaitable; what is not one fails at its first step, with ``await``'s TypeError)."""
    return awaitable if type(awaitable) is CoroutineType else _awaiting(awaitable)


async def _awaiting(awaitable: Any) -> Any:
    return await awaitable

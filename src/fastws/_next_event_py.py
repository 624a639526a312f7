# cython: annotation_typing=False
"""What the ASGI ``receive`` of ``fastws.protocol`` returns: a future of the app's next event (pure twin).

``receive()`` returns a future, not a coroutine (an app waiting on an idle
connection then holds no coroutine frame of ours), and the futures it
returns are made here, the two ways the next event can be:

- not yet come: ``pending(loop, kwargs)``, an ``asyncio.Future`` the
  protocol sets when it comes. It is what ``loop.create_future()`` makes,
  made directly where that is ``asyncio.Future(loop=loop)`` (uvloop's and
  asyncio's own loops: the protocol tells, and keeps ``kwargs``, one dict
  per server), where uvloop's call builds a dict per future (600 of the
  1,600 instructions a future costs on CPython 3.11, measured with ``python
  -m bench.instructions``), and as ``asyncio.Future()`` when ``loop`` is the
  running one on CPython 3.12 and later (it is, but for an app that awaits
  ``receive`` on another loop): its ``loop`` keyword is parsed from a dict,
  250 instructions. Not on 3.11, whose asyncio asks the kernel for the
  process id at each ``get_running_loop`` and each ``Future()`` without a
  loop (a fork check): two system calls per wait, which an instruction
  count does not see. A Task awaits an exact ``asyncio.Future`` faster
  than any other future (it calls a future's ``result`` by name).
- already here (queued, or the connection is gone): ``ready(loop, event)``,
  a ``ReadyEvent``: a future that is done from the start, whose ``await``
  ends at its first step, with no Future made and set.

The protocol sets a pending future with ``settle(loop, waiter, event)``,
which runs the waiting task's step at once (below). ``SENT`` is what the
ASGI ``send`` returns once it has sent: one object for every call, whose
await ends at once (no coroutine made per message).

``fastws._next_event`` is the selector; ``_next_event_c.pyx`` the compiled
twin, function by function the same.
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
from collections.abc import Callable, Generator, Iterator
from typing import Any

__all__ = ["SENT", "ReadyEvent", "Sent", "pending", "ready", "settle"]

# 3.11's get_running_loop calls getpid(2) (3.12's keeps the loop in the thread's state)
_RUNNING_LOOP_IS_FREE = sys.version_info >= (3, 12)
# whether a task runs on a loop: 3.11's current_task is a Python function around asyncio's dict, read here
# directly; 3.12's is C (and later versions keep the running task elsewhere than that dict)
_TASKS_IN_DICT = sys.version_info < (3, 12)
_current_tasks: dict[asyncio.AbstractEventLoop, asyncio.Task[Any]] = (
    asyncio.tasks._current_tasks if _TASKS_IN_DICT else {}  # type: ignore[attr-defined]
)


def pending(loop: asyncio.AbstractEventLoop, kwargs: dict[str, Any] | None) -> asyncio.Future[dict[str, Any]]:
    """``loop.create_future()``, for an event that has not come yet: ``asyncio.Future(**kwargs)`` if ``kwargs``
    is not None (``{"loop": loop}``, where that is what the loop's ``create_future`` makes)."""
    if kwargs is None:
        return loop.create_future()
    if _RUNNING_LOOP_IS_FREE and asyncio._get_running_loop() is loop:
        return asyncio.Future()  # the running loop's: no keyword argument to parse
    return asyncio.Future(**kwargs)


def settle(loop: asyncio.AbstractEventLoop, waiter: asyncio.Future[dict[str, Any]], event: dict[str, Any]) -> None:
    """``waiter.set_result(event)``, and the callback waiting on it, if it is the only one and no task is running,
    called now rather than at the loop's next turn.

    The callback is, all but always, the wake-up of the task whose
    ``await receive()`` made ``waiter``: the app's step runs here, inside the
    read that brought the event, instead of a ``Handle`` made by the loop's
    ``call_soon``, queued, and run at its next turn (on uvloop, 920
    instructions of the 43,650 an echo costs the process, clients included,
    under ``python -m bench.instructions``). Never while a task runs (the
    step could not enter its task), nor for a future with more callbacks
    than one: those as ``set_result`` always did. An exception from the
    callback goes to the loop's exception handler, as from a ``Handle``.
    """
    if type(waiter) is not asyncio.Future or _a_task_runs(loop):
        waiter.set_result(event)
        return
    callbacks = waiter._callbacks
    if not callbacks or len(callbacks) != 1:
        waiter.set_result(event)
        return
    callback, context = callbacks[0]
    waiter.remove_done_callback(callback)
    waiter.set_result(event)
    try:
        context.run(_call, loop, callback, waiter)
    except RuntimeError:  # the context is entered already, further up this stack (a test's, say): as asyncio does
        loop.call_soon(callback, waiter, context=context)


def _a_task_runs(loop: asyncio.AbstractEventLoop) -> bool:
    return loop in _current_tasks if _TASKS_IN_DICT else asyncio.current_task(loop) is not None


def _call(
    loop: asyncio.AbstractEventLoop,
    callback: Callable[[asyncio.Future[dict[str, Any]]], object],
    waiter: asyncio.Future[dict[str, Any]],
) -> None:
    try:
        callback(waiter)
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as exc:  # noqa: BLE001  # as a Handle does: the loop reports it, the read goes on
        loop.call_exception_handler({"message": f"Exception in callback {callback!r}", "exception": exc})


def ready(loop: asyncio.AbstractEventLoop, event: dict[str, Any]) -> ReadyEvent:
    """A future of ``event``, done from the start."""
    return ReadyEvent(loop, event)


class ReadyEvent:
    """A future done from the start with an event: the await's value at its first step.

    A future as asyncio knows one (``asyncio.isfuture`` is true; ``asyncio.wait``,
    ``wait_for``, ``shield`` take it as a done ``Future``), that never waits:
    nothing yields it to a Task.
    """

    __slots__ = ("_asyncio_future_blocking", "_loop", "_result")

    def __init__(self, loop: asyncio.AbstractEventLoop, event: dict[str, Any]) -> None:
        self._asyncio_future_blocking = False  # asyncio's mark of a future (``asyncio.isfuture``)
        self._loop = loop
        self._result = event

    def __await__(self) -> Generator[Any, None, dict[str, Any]]:
        return self  # type: ignore[return-value]  # its own iterator: no object more per await

    def __iter__(self) -> Generator[Any, None, dict[str, Any]]:
        return self  # type: ignore[return-value]

    def __next__(self) -> object:
        """The await's one step: it ends, with the event (``StopIteration``'s value)."""
        raise StopIteration(self._result)

    def get_loop(self) -> asyncio.AbstractEventLoop:
        """The loop of the connection."""
        return self._loop

    def done(self) -> bool:
        """True: done from the start."""
        return True

    def cancelled(self) -> bool:
        """False: never cancelled."""
        return False

    def cancel(self, msg: object = None) -> bool:
        """False: done already, as a done ``Future``'s."""
        return False

    def result(self) -> dict[str, Any]:
        """The event."""
        return self._result

    def exception(self) -> BaseException | None:
        """None: an event is never an error."""
        return None

    def add_done_callback(
        self, fn: Callable[[ReadyEvent], object], *, context: contextvars.Context | None = None
    ) -> None:
        """Call ``fn(self)`` soon, in ``context`` (the current one by default), as a done ``Future`` does."""
        self._loop.call_soon(fn, self, context=context)

    def remove_done_callback(self, fn: Callable[[ReadyEvent], object]) -> int:
        """0: a callback is called at once, never kept."""
        return 0

    def __repr__(self) -> str:
        return f"<ReadyEvent result={self._result!r}>"


class Sent:
    """What the ASGI ``send`` returns once its message is sent: an await of it ends at once, with None.

    One for every call (``SENT``): no coroutine made and run per message. A
    coroutine to asyncio's eyes (``send``, ``throw``, ``close``), so that
    ``asyncio.create_task(send(message))`` and ``ensure_future`` take it as
    they take a coroutine function's result; it has nothing to resume.
    """

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, None]:
        return self  # type: ignore[return-value]  # its own iterator

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> object:
        """The await's one step: it ends, with None."""
        raise StopIteration

    def send(self, value: object) -> object:
        """A coroutine's ``send``: it ends, with None."""
        raise StopIteration

    def throw(self, kind: Any, value: Any = None, traceback: Any = None) -> object:
        """A done coroutine's ``throw``: the exception raised here."""
        error = kind if value is None else value
        raise error if isinstance(error, BaseException) else error()

    def close(self) -> None:
        """A done coroutine's ``close``: nothing to do."""

    def __repr__(self) -> str:
        return "<Sent>"


SENT = Sent()

# cython: annotation_typing=False
"""Where a hub delivers: one target per subscribed connection (or iterator).

Delivery never awaits a client. Each target has a bounded backlog (bytes
of payload, the hub's ``max_buffer``); a subscriber whose backlog would go
over it is dealt with by the hub's overflow policy:

- ``"close"`` (the default): the connection is closed with 1013 (Try Again
  Later) and a reason, its backlog dropped; an iterator raises
  ``SubscriberTooSlow``;
- ``"drop-newest"``: the message that does not fit is dropped for it;
- ``"drop-oldest"``: the oldest waiting messages are dropped until it fits.

Dropped messages are counted (``target.dropped`` and the hub's total).

A target knows its hub only through the ``Delivery`` it is given: the
hub's limits, its counters, and two callbacks (``ended``: the target
ended, take it off every channel; ``spawn``: run a background task the hub
owns and cancels at ``disconnect``).

``DirectTarget``: a connection on fastws' own protocol, through the
contract ``fastws.connection.BroadcastConnection``. The message's one
frame goes straight to the transport while the transport takes it; while
the transport has paused writing, messages wait in the backlog and go out
when it resumes (compressed at that moment on a connection with
permessage-deflate, whose compression context must see them in order).

``AsgiTarget``: any other connection, through its ASGI ``send`` (or a
``WebSocket``'s ``send``), one send at a time, in order: uvicorn's own
send is started in the publisher's task (no task while the transport
takes the bytes), any other in a task of the connection's own.

``QueueTarget``: an ``async for`` subscription.

This file is the pure twin, and also the source of the compiled one: the
build compiles it with Cython as ``fastws.broadcast._targets_c``, typed by
``_targets_c.pxd``, which makes ``Target`` and ``DirectTarget`` ``cdef``
classes and ``deliver_all``'s loop C (a fan-out runs it once per
subscriber). ``fastws.broadcast.targets`` is the selector.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import sys
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from .. import _protocol_core
from .._protocol_core import deliver_frame_to
from ..connection import BroadcastConnection
from ..metrics.counters import COUNTERS
from ..wire.codec import count_sent
from ..wire.rfc6455 import CloseCode
from .errors import SubscriberTooSlow
from .message import Message

__all__ = [
    "ENTRY_COST",
    "OVERFLOW_POLICIES",
    "AsgiTarget",
    "Delivery",
    "DirectTarget",
    "QueueTarget",
    "Receiver",
    "Target",
    "deliver_all",
]

OVERFLOW_POLICIES = ("close", "drop-newest", "drop-oldest")
TRY_AGAIN_LATER = CloseCode.TRY_AGAIN_LATER
SLOW_REASON = "subscriber too slow"
#: what a message in a backlog counts against ``max_buffer`` beyond its payload: about what holding it costs (the
#: message object and a deque slot), so that empty messages fill a backlog as large ones holding as much memory do
ENTRY_COST = 128

_logger = logging.getLogger("fastws.broadcast")
_EAGER = sys.version_info >= (3, 12)  # asyncio.Task(..., eager_start=True)


class Receiver(Protocol):
    """What a channel hands its messages to: a ``Target``, or its place while it resumes."""

    def deliver(self, message: Message) -> None: ...


@dataclass(slots=True, eq=False)
class Delivery:
    """What a hub gives each of its targets: its limits and counters, and how a target reports back.

    One per hub, shared by its targets; ``Broadcast``'s ``max_buffer``,
    ``overflow``, ``close_timeout``, ``dropped`` and ``closed_slow`` read
    and write these.
    """

    max_buffer: int  # bytes of messages a subscriber may fall behind by
    overflow: str  # one of OVERFLOW_POLICIES
    close_timeout: float  # seconds closing a too-slow subscriber may take
    ended: Callable[[Target], None]  # a target ended (closed, gone or too slow): off every channel
    spawn: Callable[[Awaitable[Any]], None]  # run a background task the hub owns
    dropped: int = 0  # messages dropped for slow subscribers (drop policies)
    closed_slow: int = 0  # subscribers ended for being too slow (policy "close")


class Target:
    """A subscriber's delivery state: its channels and its bounded backlog."""

    __slots__ = ("backlog", "channels", "delivery", "dropped", "gone", "key", "queued")

    def __init__(self, delivery: Delivery) -> None:
        self.delivery = delivery
        self.key = id(self)  # the hub's key for a connection's target: the connection's
        self.channels: set[str] = set()
        #: made when a message must wait, dropped when the wait is over: most subscribers keep up,
        #: and an empty deque is ~620 bytes per subscriber
        self.backlog: deque[Message] | tuple[()] = ()
        self.queued = 0  # bytes in the backlog: each message's payload and ENTRY_COST
        self.dropped = 0
        self.gone = False

    def deliver(self, message: Message) -> None:
        """Send ``message`` now or queue it; never waits."""
        raise NotImplementedError

    async def handed_over(self) -> None:
        """Return once what was delivered so far is in the connection's hands (not only in the backlog)."""
        return None

    def _admit(self, message: Message) -> bool:
        """Make room for ``message`` in the backlog, by the hub's policy; False if it does not go in."""
        limit = self.delivery.max_buffer
        held = message.size + ENTRY_COST
        if self.queued + held <= limit:
            return True
        policy = self.delivery.overflow
        if policy == "drop-oldest":
            if held <= limit:  # one that can never fit drops nothing older for nothing
                while self.backlog and self.queued + held > limit:
                    self.queued -= self.backlog.popleft().size + ENTRY_COST
                    self._count_drop()
                return True
        elif policy == "close":
            self._overflowed()
            return False
        self._count_drop()  # drop-newest, or a message larger than the whole buffer
        return False

    def _queue(self, message: Message) -> None:
        if self._admit(message):
            backlog = self.backlog
            if not backlog:
                backlog = self.backlog = deque()
            backlog.append(message)
            self.queued += message.size + ENTRY_COST

    def _count_drop(self) -> None:
        self.dropped += 1
        self.delivery.dropped += 1

    def _overflowed(self) -> None:
        """Policy ``"close"``: end this subscriber."""
        self.backlog = ()
        self.queued = 0
        self.delivery.closed_slow += 1
        self.close()

    def close(self) -> None:
        """Stop delivering: forget the backlog and leave every channel."""
        if not self.gone:
            self.gone = True
            self.backlog = ()
            self.queued = 0
            self.delivery.ended(self)


class DirectTarget(Target):
    """A connection on fastws' protocol: frames written straight to its transport.

    It is the connection's ``fanout`` while it delivers (the connection
    calls ``writable`` and ``lost``); ``close`` clears that, so a closed
    connection and its target hold no cycle.
    """

    __slots__ = ("connection", "core", "emptied", "uncompressed")

    def __init__(self, delivery: Delivery, connection: BroadcastConnection) -> None:
        super().__init__(delivery)
        self.connection = connection
        self.emptied: asyncio.Future[None] | None = None  # while ``handed_over`` waits for the backlog to go
        #: the connection again if it is fastws' ``ProtocolCore`` (compiled: typed, so ``deliver_all`` calls
        #: its ``deliver_frame`` at C level), else None (any other connection, called through Python)
        self.core = connection if isinstance(connection, _protocol_core.ProtocolCore) else None
        self.uncompressed = connection.conn.deflate is None  # negotiated once, at the handshake
        connection.fanout = self

    def _frame(self, message: Message) -> bytes:
        conn = self.connection.conn
        deflate = conn.deflate
        if deflate is None:
            frame = message.frame()
        elif deflate.server_no_context_takeover:
            frame = message.deflated_frame(deflate)
        elif message.binary:
            return conn.send_bytes(message.payload)  # the codec counts what it frames
        else:
            return conn.send_text(message.data)  # type: ignore[arg-type]  # a text message's data is its str
        count_sent(not message.binary, 1, len(message.payload))  # framed once for all: counted per delivery
        return frame

    def deliver(self, message: Message) -> None:
        # (a fan-out's common case is deliver_all's loop: this is the rest, and one-off deliveries)
        if self.gone:
            return
        connection = self.connection
        if not connection.is_open():
            if not connection.is_connecting():  # refused, closing or closed: nothing more goes out
                self.close()
            return  # not accepted yet: nothing to deliver to
        if self.backlog or connection.writing_paused():  # the transport is full: wait for it
            self._queue(message)
        else:
            connection.write_frame(self._frame(message))

    def writable(self) -> None:
        """The protocol's transport resumed writing: send the backlog while it takes it."""
        backlog, connection = self.backlog, self.connection
        while backlog and not connection.writing_paused() and not self.gone:
            if not connection.is_open():
                self.close()
                return
            message = backlog.popleft()
            self.queued -= message.size + ENTRY_COST
            connection.write_frame(self._frame(message))
        if not self.backlog:
            self.backlog = ()  # the wait is over
            self._emptied()

    async def handed_over(self) -> None:
        """Return once the backlog is written (or the target is gone): what the app sends next follows it."""
        while self.backlog and not self.gone:
            if self.emptied is None:
                self.emptied = asyncio.get_running_loop().create_future()
            await asyncio.shield(self.emptied)  # the caller's cancellation is its own: the future stays for others

    def _emptied(self) -> None:
        emptied = self.emptied
        if emptied is not None:
            self.emptied = None
            if not emptied.done():
                emptied.set_result(None)

    def lost(self) -> None:
        """The connection is gone."""
        self.close()

    def _overflowed(self) -> None:
        super()._overflowed()
        COUNTERS.limit("slow_subscriber")
        self.connection.close_now(TRY_AGAIN_LATER, SLOW_REASON)

    def close(self) -> None:
        if not self.gone and self.connection.fanout is self:
            self.connection.fanout = None
        super().close()
        self._emptied()


def deliver_all(targets: Iterable[Receiver], message: Message) -> None:
    """Hand ``message`` to each of ``targets``, in order.

    A fan-out's common case in this one loop, with no Python call per target:
    a ``DirectTarget`` without compression or backlog whose connection takes
    the frame now (``deliver_frame``) gets the frame every such target
    shares, framed once and counted once; any other target gets ``message``
    through its ``deliver``.
    """
    frame = None
    taken = 0
    for target in targets:
        if type(target) is DirectTarget:
            direct = target  # (compiled: typed, so its fields are read in C)
            if direct.uncompressed and not direct.backlog and not direct.gone:
                if frame is None:
                    frame = message.frame()
                core = direct.core
                if core is not None:
                    delivered = deliver_frame_to(core, frame)
                else:
                    delivered = direct.connection.deliver_frame(frame)
                if delivered:
                    taken += 1
                    continue
        target.deliver(message)
    if taken:
        count_sent(not message.binary, taken, len(message.payload))


class AsgiTarget(Target):
    """A connection on any server: messages sent through its ASGI ``send``, in order.

    One send at a time: messages published while one is under way wait in
    the backlog, and the task finishing it sends them. How a send starts:

    - ``server_send`` (the hub found uvicorn's own protocol behind it,
      ``fastws.connection.is_server_send``): its first step runs at once,
      in the publisher's task; one that completes without waiting (the
      usual case: the transport takes the bytes) needs no task, one that
      has to wait (the client's buffer is full) is finished by a task;
    - any other (an app's middleware, another server): in a task made for
      it, in a copy of the context of the task that made the target (the
      connection's first subscribe), so a ``send`` wrapper may tie what it
      does to its task (``asyncio.timeout``, an anyio cancel scope) or read
      context variables, as in the connection's own task. On Python 3.12+
      the task starts eagerly: a send that need not wait is over when
      ``deliver`` returns.
    """

    __slots__ = ("close_connection", "context", "send", "task")

    def __init__(
        self,
        delivery: Delivery,
        send: Callable[[dict[str, Any]], Awaitable[None]],
        close_connection: Callable[[int, str], Awaitable[None]],
        server_send: bool = False,
    ) -> None:
        super().__init__(delivery)
        self.send = send
        self.close_connection = close_connection
        # the subscriber's context, for sends in a task of their own (None: a server's own send)
        self.context = None if server_send else contextvars.copy_context()
        self.task: asyncio.Task[None] | None = None

    def deliver(self, message: Message) -> None:
        if self.gone:
            return
        if self.task is not None or self.backlog:
            self._queue(message)  # behind what is still being sent
            return
        if self.context is not None:
            task = _start_task(self._send_backlog(message), self.context)
            if not task.done():  # an eager task that completed has let go of it already
                self.task = task
            return
        sending = self.send(message.asgi())
        try:
            waiting_on = sending.send(None)  # type: ignore[attr-defined]  # run it until it would wait
        except StopIteration:
            return  # sent
        except Exception:  # noqa: BLE001 - the connection is closed or broken: it leaves every channel
            self.close()
            return
        self.task = asyncio.get_running_loop().create_task(self._send_backlog(_Resumed(sending, waiting_on)))

    async def handed_over(self) -> None:
        while (task := self.task) is not None and not task.done() and not self.gone:
            # the sends under way: the app's own sends come after them. Their end however it comes (cancelled,
            # for an overflow): not raised here, where only the caller's own cancellation is
            await asyncio.wait((task,))

    async def _send_backlog(self, first: Message | _Resumed) -> None:
        """Send ``first`` (or finish it: a send under way), then the backlog gathered meanwhile; end when it is empty."""
        # started eagerly, ``deliver`` has not kept it yet: what the send itself publishes here must wait behind it
        self.task = asyncio.current_task()
        try:
            if isinstance(first, _Resumed):
                await first
            elif not self.gone:  # (a task not eager starts at the loop's next turn: the subscriber may have left)
                await self.send(first.asgi())
            while self.backlog and not self.gone:
                message = self.backlog.popleft()
                self.queued -= message.size + ENTRY_COST
                await self.send(message.asgi())
            self.backlog = ()  # the wait is over (or the target is gone)
        except Exception:  # noqa: BLE001 - the connection is closed or broken: it leaves every channel
            self.close()
        finally:
            self.task = None

    def _overflowed(self) -> None:
        task = self.task
        super()._overflowed()
        if task is not None:
            task.cancel()  # it may wait on a client that never reads
        COUNTERS.limit("slow_subscriber")
        self.delivery.spawn(self._close_connection())

    async def _close_connection(self) -> None:
        try:
            await asyncio.wait_for(self.close_connection(TRY_AGAIN_LATER, SLOW_REASON), self.delivery.close_timeout)
        except Exception:
            _logger.debug("closing a slow subscriber failed", exc_info=True)


class _Resumed:
    """Await a coroutine that was started by hand and stopped at its first wait (``waiting_on``)."""

    __slots__ = ("coroutine", "waiting_on")

    def __init__(self, coroutine: Any, waiting_on: Any) -> None:
        self.coroutine = coroutine
        self.waiting_on = waiting_on

    def __await__(self) -> Generator[Any, Any, None]:
        coroutine, waiting_on = self.coroutine, self.waiting_on
        while True:
            try:
                value = yield waiting_on  # the task waits on what the coroutine was waiting on
            except BaseException as error:  # noqa: BLE001 - a cancellation or an error, passed into it
                try:
                    waiting_on = coroutine.throw(error)
                except StopIteration:
                    return
            else:
                try:
                    waiting_on = coroutine.send(value)
                except StopIteration:
                    return


def _start_task(coroutine: Coroutine[Any, Any, None], context: contextvars.Context) -> asyncio.Task[None]:
    """A task running ``coroutine`` in ``context``; eager where Python has it (3.12+): its first step runs now."""
    loop = asyncio.get_running_loop()
    if _EAGER:  # asyncio's own Task, whatever the loop's task factory: the factory cannot be asked to start eagerly
        return asyncio.Task(coroutine, loop=loop, context=context, eager_start=True)  # type: ignore[call-arg]
    return loop.create_task(coroutine, context=context)


class QueueTarget(Target):
    """An ``async for`` subscription: messages wait in the backlog until read."""

    __slots__ = ("failed", "waiter")

    def __init__(self, delivery: Delivery) -> None:
        super().__init__(delivery)
        self.waiter: asyncio.Future[None] | None = None
        self.failed = False

    def deliver(self, message: Message) -> None:
        if self.gone:
            return
        self._queue(message)
        self._wake()

    def _wake(self) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _overflowed(self) -> None:
        self.failed = True
        super()._overflowed()

    def close(self) -> None:
        super().close()
        self._wake()

    async def next(self) -> Message | None:
        """The next message, or None once the subscription ended."""
        while not self.backlog:
            if self.failed:
                raise SubscriberTooSlow(f"fell more than {self.delivery.max_buffer} bytes behind")
            if self.gone:
                return None
            self.waiter = asyncio.get_running_loop().create_future()
            await self.waiter
        message = self.backlog.popleft()
        self.queued -= message.size + ENTRY_COST
        return message

"""``Broadcast``: publish once, deliver to every subscriber of a channel.

A hub keeps the local subscribers of each channel: connections (a
``fastws.WebSocket``, Starlette's ``WebSocket`` or a plain ASGI ``send``)
and ``async for`` subscriptions. ``publish`` encodes the message once and
hands it to each local subscriber without waiting for any (see
``targets``), then to the backend, which carries it to the hubs of other
processes (``memory://``: none; ``redis://``: every process subscribed to
the channel).

Delivery guarantee: at most once, in publish order per publisher and
channel (on a channel that keeps history: in position order, for every
subscriber), no persistence beyond that history. A subscriber receives what is published after its
``subscribe`` returned; a message published while Redis is unreachable
raises ``BackendUnavailable`` (it still reaches the publisher's own local
subscribers), and messages other processes published during an outage are
lost for this one (``on_backend_reconnect`` says when that may have
happened).

A channel can keep history (``history=``): then each message gets a
position (``publish`` returns it), and a subscriber that comes back with
the last position it saw (``subscribe(..., since=position)``) first
receives every message it missed that history still holds, then the live
ones: none missing, none twice, in order. When history cannot cover the
gap it says so (``HistoryGap``, or the subscription's ``on_gap``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Generator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from ..connection import BroadcastConnection, connection_behind, connection_of, is_server_send
from ..metrics.counters import COUNTERS, BroadcastStats
from ..websockets import WebSocket, WebSocketMethods
from .backends import Backend, Listener, MemoryBackend
from .errors import InvalidHistory, MessageTooLarge, NotConnected
from .history import History, Ring
from .message import Message
from .positions import Position
from .resume import Member, OnGap, Reads, Resuming, resume
from .targets import OVERFLOW_POLICIES, AsgiTarget, Delivery, DirectTarget, QueueTarget, Target, deliver_all
from .urls import backend_for

__all__ = ["URL_VARIABLE", "Broadcast", "Event", "HistoryPolicy", "Subscription"]

URL_VARIABLE = "FASTWS_BROADCAST"  # the default URL: fastws run --broadcast sets it

_logger = logging.getLogger("fastws.broadcast")

#: what a hub keeps per channel: one ``History`` for all, or a function of the channel (None: keeps none)
HistoryPolicy = History | Callable[[str], History | None]


@dataclass(frozen=True, slots=True)
class Event:
    """A message received by an ``async for`` subscription (as in ``broadcaster``)."""

    channel: str
    message: str | bytes
    position: Position | None = None  # on a channel that keeps history


class Broadcast:
    """Publish once, deliver to every subscriber: in this process or, on Redis, in every process.

    ``url``: ``"memory://"`` or ``"redis://host:port/db"``; by default the
    ``FASTWS_BROADCAST`` environment variable (``fastws run --broadcast``
    sets it for every worker), else ``"memory://"``.
    ``max_buffer``: bytes of messages a subscriber may fall behind by;
    ``overflow``: what happens past it (``"close"`` with 1013, the default,
    ``"drop-newest"`` or ``"drop-oldest"``); ``max_message_size``: the
    largest message ``publish`` accepts. ``on_backend_disconnect`` /
    ``on_backend_reconnect``: called (no arguments; plain or async) when
    the backend's connection is lost and when it is back, so an app can
    tell its clients that they may have missed messages. ``history``: what
    each channel keeps for subscribers that resume (``History(size, ttl)``
    for every channel, or a function of the channel returning one or None);
    none by default.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        max_buffer: int = 1 << 20,
        overflow: str = "close",
        max_message_size: int = 16 << 20,
        close_timeout: float = 5.0,
        on_backend_disconnect: Callable[[], Any] | None = None,
        on_backend_reconnect: Callable[[], Any] | None = None,
        history: HistoryPolicy | None = None,
        **backend_options: Any,
    ) -> None:
        if overflow not in OVERFLOW_POLICIES:
            raise ValueError(f"overflow is one of {', '.join(OVERFLOW_POLICIES)}, not {overflow!r}")
        if max_buffer < 0 or max_message_size < 0:
            raise ValueError("max_buffer and max_message_size are sizes in bytes (>= 0)")
        if history is not None and not isinstance(history, History) and not callable(history):
            raise InvalidHistory(f"history is a History or a function of the channel, not {type(history).__name__}")
        url = url if url is not None else os.environ.get(URL_VARIABLE) or "memory://"
        self.url = url
        self.max_message_size = max_message_size
        self.on_backend_disconnect = on_backend_disconnect
        self.on_backend_reconnect = on_backend_reconnect
        self.backend: Backend = backend_for(url, **backend_options)
        # memory://: one process, so the backend's rings are the history and the tails both
        self._memory = self.backend if isinstance(self.backend, MemoryBackend) else None
        self._remote = self._memory is None
        # the limits and counters every target of this hub reads and counts in (the attributes below)
        self._delivery = Delivery(max_buffer, overflow, close_timeout, ended=self._forget, spawn=self._spawn)
        self._channels: dict[str, dict[int, Member]] = {}
        self._targets: dict[int, Target] = {}  # connection subscribers, by connection
        self._tasks: set[asyncio.Task[Any]] = set()
        self._connected = False
        self._connecting: asyncio.Future[None] | None = None
        self.history = history
        self._tails: dict[str, Ring] = {}  # what this hub saw lately of each subscribed channel that keeps history
        # the backend's history reads, shared by resuming subscribers (memory://: none, the tails are the history)
        self._reads = Reads(self.backend) if self._remote else None
        # fastws.metrics: what stats() reports besides what the channels and the Delivery hold
        self._published = 0
        self._delivered = 0
        self._publish_errors = 0
        self._reconnects = 0
        self._lost_at: float | None = None  # time.monotonic() when the backend's connection was lost
        self._disconnected_seconds = 0.0  # in the outages that ended

    # the limits and counters, kept in the Delivery the targets are given

    @property
    def max_buffer(self) -> int:
        """Bytes of messages a subscriber may fall behind by."""
        return self._delivery.max_buffer

    @max_buffer.setter
    def max_buffer(self, value: int) -> None:
        self._delivery.max_buffer = value

    @property
    def overflow(self) -> str:
        """What happens past ``max_buffer``: ``"close"``, ``"drop-newest"`` or ``"drop-oldest"``."""
        return self._delivery.overflow

    @overflow.setter
    def overflow(self, value: str) -> None:
        self._delivery.overflow = value

    @property
    def close_timeout(self) -> float:
        """Seconds closing a too-slow subscriber may take."""
        return self._delivery.close_timeout

    @close_timeout.setter
    def close_timeout(self, value: float) -> None:
        self._delivery.close_timeout = value

    @property
    def dropped(self) -> int:
        """Messages dropped for slow subscribers (drop policies)."""
        return self._delivery.dropped

    @dropped.setter
    def dropped(self, value: int) -> None:
        self._delivery.dropped = value

    @property
    def closed_slow(self) -> int:
        """Subscribers ended for being too slow (policy ``"close"``)."""
        return self._delivery.closed_slow

    @closed_slow.setter
    def closed_slow(self, value: int) -> None:
        self._delivery.closed_slow = value

    # ------------------------------------------------------------ lifespan

    async def connect(self) -> None:
        """Connect the backend (raises ``BackendUnavailable`` if Redis cannot be reached).

        Safe to call from many tasks at once: they share one connection attempt.
        """
        if self._connected:
            return
        if self._connecting is None:
            listener = Listener(self._deliver, on_lost=self._backend_lost, on_back=self._backend_back)
            self._connecting = asyncio.ensure_future(self.backend.connect(listener))
        connecting = self._connecting
        try:
            await asyncio.shield(connecting)
        finally:
            if self._connecting is connecting and connecting.done():
                self._connecting = None
        self._connected = True
        COUNTERS.hub_connected(self)

    async def disconnect(self) -> None:
        """Leave every channel and disconnect the backend. Publishing afterwards raises ``NotConnected``."""
        if not self._connected:
            return
        self._connected = False
        subscribed = [target for targets in self._channels.values() for target in targets.values()]
        for target in {*self._targets.values(), *subscribed}:
            target.close()
        for task in list(self._tasks):
            task.cancel()
        await self.backend.disconnect()
        COUNTERS.hub_disconnected(self, time.monotonic())

    async def __aenter__(self) -> Broadcast:
        await self.connect()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.disconnect()

    @property
    def connected(self) -> bool:
        return self._connected

    def _backend_lost(self) -> None:
        """The backend's ``Listener.on_lost``: call ``on_backend_disconnect``."""
        if self._lost_at is None:
            self._lost_at = time.monotonic()
        _call_hook(self.on_backend_disconnect, "on_backend_disconnect")

    def _backend_back(self) -> None:
        """The backend's ``Listener.on_back``: call ``on_backend_reconnect``."""
        if self._lost_at is not None:
            self._disconnected_seconds += time.monotonic() - self._lost_at
            self._lost_at = None
            self._reconnects += 1
        _call_hook(self.on_backend_reconnect, "on_backend_reconnect")

    def stats(self, now: float) -> BroadcastStats:
        """This hub's figures for ``fastws.metrics`` (``now``: ``time.monotonic()``)."""
        subscribers: dict[int, Member] = {}
        for targets in self._channels.values():
            subscribers.update(targets)
        outage = now - self._lost_at if self._lost_at is not None else 0.0
        dropped = self._delivery.dropped
        return BroadcastStats(
            hubs=1,
            backends_connected=int(self._connected and self._lost_at is None),
            channels=len(self._channels),
            subscriptions=sum(len(targets) for targets in self._channels.values()),
            backlog_bytes=sum(target.queued for target in subscribers.values()),
            published=self._published,
            delivered=self._delivered,
            dropped={self._delivery.overflow: dropped} if dropped else {},
            closed_slow=self._delivery.closed_slow,
            backend_reconnects=self._reconnects,
            backend_disconnected_seconds=self._disconnected_seconds + outage,
            publish_errors=self._publish_errors,
        )

    def _check_connected(self) -> None:
        if not self._connected:
            raise NotConnected("the Broadcast is not connected: use `async with Broadcast(...)` or `await connect()`")

    # ------------------------------------------------------------ publish

    async def publish(self, channel: str, message: str | bytes) -> Position | None:
        """Send ``message`` (``str``: text, bytes: binary) to every subscriber of ``channel``.

        Returns its position on a channel that keeps history, else None.
        """
        item = Message.of(message)
        if self._connected and self.history is None and not self._remote and item.size <= self.max_message_size:
            # memory:// without history, the common case, in this one frame (_publish checks the rest and raises):
            # its four calls were 3% of a chat of 8's instructions, _deliver's alone 0.6%, so its lines are here
            self._published += 1
            targets = self._channels.get(channel)
            if targets:
                self._delivered += len(targets)
                deliver_all(list(targets.values()), item)  # (a list: a delivery may end a target)
            return None
        rest = self._publish(channel, item)
        return None if rest is None else await rest

    async def publish_json(
        self, channel: str, data: Any, mode: str = "text", *, position_key: str | None = None
    ) -> Position | None:
        """Send ``data`` as JSON, exactly as ``WebSocket.send_json(data, mode)`` would.

        ``position_key`` (a channel that keeps history; ``data`` a dict):
        subscribers receive ``data`` with its position's token added first
        under that key, e.g. ``{"pos": "17.3f9a0c2e.5d1c09aa", ...}``: what a
        client keeps to resume from.
        """
        rest = self._publish(channel, Message.json(data, mode, position_key))
        return None if rest is None else await rest

    def _publish(self, channel: str, message: Message) -> Coroutine[Any, Any, Position | None] | None:
        """Check and count ``message``, then deliver it here at once (``memory://`` without history: None, no
        coroutine per message) or return what is left to await: the backend's part."""
        self._check_connected()
        if message.size > self.max_message_size:
            raise MessageTooLarge(f"a {message.size}-byte message is over max_message_size ({self.max_message_size})")
        history = self._history_of(channel)
        if history is None and message.stamp is not None:
            raise InvalidHistory(f"a position_key on {channel!r}, a channel that keeps no history")
        self._published += 1
        if history is None and not self._remote:
            self._deliver(channel, message)
            return None
        return self._send_on(channel, message, history)

    async def _send_on(self, channel: str, message: Message, history: History | None) -> Position | None:
        """The backend's part of a publish: keep it in ``history``, or deliver it here and send it on."""
        if history is not None:
            try:  # the backend delivers it here too, in position order
                return await self.backend.publish_kept(channel, message, history)
            except Exception:
                self._publish_errors += 1
                raise
        self._deliver(channel, message)  # a remote backend (memory:// without history was delivered already)
        try:
            await self.backend.publish(channel, message)
        except Exception:
            self._publish_errors += 1
            raise
        return None

    def _history_of(self, channel: str) -> History | None:
        """What ``channel`` keeps, by the hub's ``history``."""
        history = self.history
        if history is None or isinstance(history, History):
            return history
        kept = history(channel)
        if kept is not None and not isinstance(kept, History):
            raise InvalidHistory(f"the history function returned {type(kept).__name__} for {channel!r}, not a History")
        return kept

    def deliver_local(self, channel: str, message: str | bytes) -> None:
        """Send ``message`` to this process's subscribers of ``channel`` only (e.g. from a backend hook)."""
        self._check_connected()
        self._deliver(channel, Message.of(message))

    def deliver_local_json(self, channel: str, data: Any, mode: str = "text") -> None:
        """``deliver_local`` for ``data`` as JSON, as ``send_json`` would send it."""
        self._check_connected()
        self._deliver(channel, Message.json(data, mode))

    def _deliver(self, channel: str, message: Message) -> None:
        """Hand ``message`` to every local subscriber of ``channel`` (never waits)."""
        if message.position is not None and self._remote:  # (memory://: the tail is the ring it was kept in)
            tail = self._tails.get(channel)
            if tail is not None:
                tail.add(message, time.monotonic())
        targets = self._channels.get(channel)
        if targets:
            self._delivered += len(targets)
            deliver_all(list(targets.values()), message)  # (a list: a delivery may end a target)

    # ---------------------------------------------------------- subscribe

    def subscribe(
        self,
        channel: str,
        websocket: Any = None,
        *,
        since: Position | str | None = None,
        on_gap: OnGap | None = None,
    ) -> Subscription:
        """Subscribe a connection to ``channel``, or open an ``async for`` subscription.

        With a connection (``fastws.WebSocket``, Starlette's ``WebSocket``,
        or an ASGI ``send``), after ``accept``: ``await hub.subscribe(channel,
        websocket)`` (it stays until ``unsubscribe`` or the connection
        closes), or ``async with hub.subscribe(channel, websocket):`` (until
        the block ends). Without one: ``async with hub.subscribe(channel) as
        subscription: async for event in subscription: ...``.

        Messages published after the subscription is made (``await`` or
        ``async with`` returned) reach it, from any process on Redis.

        ``since`` (a channel that keeps history): the last position the
        subscriber saw (a ``Position`` or its token). The messages after
        it come first, then the live ones, none twice; ``subscribe``
        returns once the missed ones are handed to the connection, so
        what the app sends next follows them. If history cannot
        cover them all, ``HistoryGap`` is raised (the subscription is not
        made), or, given ``on_gap``, it is called with the ``HistoryGap``
        (plain or async; before any live message) and the subscription
        goes on with the live messages only. A ``since`` that is no
        position of this channel raises ``InvalidPosition``.
        """
        if not isinstance(channel, str) or not channel:
            raise TypeError("a channel is a non-empty str")
        position = None
        if since is not None:
            if self._history_of(channel) is None:
                raise InvalidHistory(f"{channel!r} keeps no history: there is nothing to resume from")
            position = Position.parse(channel, since)
        return Subscription(self, channel, websocket, position, on_gap)

    async def unsubscribe(self, channel: str, websocket: Any) -> None:
        """Take a connection off ``channel`` (a no-op if it is not on it)."""
        target = self._targets.get(_connection_key(websocket))
        if target is not None and channel in target.channels:
            self._leave(channel, target)
            if not target.channels:
                target.close()

    def subscribers(self, channel: str) -> int:
        """How many local subscribers ``channel`` has."""
        return len(self._channels.get(channel, ()))

    async def _join(
        self, channel: str, target: Target, since: Position | None = None, on_gap: OnGap | None = None
    ) -> None:
        self._check_connected()
        history = self._history_of(channel)
        tail = self._tails.get(channel)
        if history is not None and tail is None:  # from the first subscriber on: every message seen
            tail = self._tails[channel] = Ring(history) if self._memory is None else self._memory.ring(channel, history)
        elif history is not None and tail is not None:
            tail.keep(history)  # the channel's policy may have changed: serve no more than history keeps
        target.channels.add(channel)
        members = self._channels.setdefault(channel, {})
        before = members.get(id(target))  # a subscription of this target to the channel already: it outlives a failure
        resuming = None if since is None or tail is None else Resuming(target, members, tail)
        members[id(target)] = target if resuming is None else resuming
        try:
            if self._remote:
                await self.backend.subscribe(channel)  # returns once the backend delivers this channel here
            if resuming is not None and since is not None and history is not None:
                await resume(channel, resuming, since, on_gap, history, self._reads)
        except BaseException:
            if before is not None and not target.gone and self._channels.get(channel) is members:
                members[id(target)] = before
            else:
                self._leave(channel, target)
                if not target.channels:
                    target.close()  # on no channel: let go of it, as ``unsubscribe`` does
            raise

    def _leave(self, channel: str, target: Target) -> None:
        target.channels.discard(channel)
        targets = self._channels.get(channel)
        if targets is not None and targets.pop(id(target), None) is not None and not targets:
            del self._channels[channel]
            self._tails.pop(channel, None)
            if self._remote and self._connected:
                self._spawn(self._unsubscribe(channel))

    async def _unsubscribe(self, channel: str) -> None:
        """The backend's unsubscribe, unless the channel has a subscriber again (one came back at once)."""
        if channel not in self._channels:
            await self.backend.unsubscribe(channel)

    def _forget(self, target: Target) -> None:
        """A target ended (its connection closed, or it was too slow): off every channel."""
        for channel in list(target.channels):
            self._leave(channel, target)
        if self._targets.get(target.key) is target:
            del self._targets[target.key]

    def _connection_target(self, websocket: Any) -> Target:
        """The delivery target of a connection, made on its first subscription."""
        connection = _direct_connection(websocket)
        key = id(connection if connection is not None else websocket)  # as _connection_key(websocket)
        target = self._targets.get(key)
        if target is not None and not target.gone:
            return target
        send, close = _resolve(websocket)
        if connection is not None and (connection.fanout is None or connection.fanout.gone):
            target = DirectTarget(self._delivery, connection)
        else:
            target = AsgiTarget(self._delivery, send, close, _sends_through_server(websocket))
            if isinstance(websocket, WebSocketMethods):  # a fastws.WebSocket (either twin): its explicit hook
                websocket.on_disconnect(target.close)
            elif hasattr(websocket, "_receive"):  # Starlette's WebSocket, which has none
                _leave_on_disconnect(websocket, target)
        target.key = key
        self._targets[key] = target
        return target

    def _spawn(self, awaitable: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(awaitable)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _logger.warning("broadcast background task failed", exc_info=task.exception())


class Subscription:
    """What ``Broadcast.subscribe`` returns: awaitable, an async context manager, and (without a connection) an async iterator."""

    __slots__ = ("_target", "channel", "hub", "on_gap", "since", "websocket")

    def __init__(
        self, hub: Broadcast, channel: str, websocket: Any, since: Position | None = None, on_gap: OnGap | None = None
    ) -> None:
        self.hub = hub
        self.channel = channel
        self.websocket = websocket
        self.since = since
        self.on_gap = on_gap
        self._target: Target | None = None

    async def _start(self) -> Subscription:
        if self._target is None:
            hub = self.hub
            hub._check_connected()
            target = QueueTarget(hub._delivery) if self.websocket is None else hub._connection_target(self.websocket)
            self._target = target
            await hub._join(self.channel, target, self.since, self.on_gap)
        return self

    def __await__(self) -> Generator[Any, None, Subscription]:
        if self.websocket is None:
            raise TypeError("an async for subscription is used with `async with`")
        return self._start().__await__()

    async def __aenter__(self) -> Subscription:
        return await self._start()

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        target = self._target
        if target is None:
            return
        if self.websocket is None:
            target.close()
        else:
            await self.hub.unsubscribe(self.channel, self.websocket)

    def __aiter__(self) -> AsyncIterator[Event]:
        if not isinstance(self._target, QueueTarget):
            raise TypeError("only a subscription without a connection is iterated, inside its `async with`")
        return self._events(self._target)

    async def _events(self, target: QueueTarget) -> AsyncIterator[Event]:
        while True:
            message = await target.next()
            if message is None:
                return
            yield Event(self.channel, message.data, message.position)

    async def get(self) -> Event:
        """The next event (``StopAsyncIteration`` once the hub disconnected)."""
        if not isinstance(self._target, QueueTarget):
            raise TypeError("only a subscription without a connection has events")
        message = await self._target.next()
        if message is None:
            raise StopAsyncIteration
        return Event(self.channel, message.data, message.position)


def _is_websocket(websocket: Any) -> bool:
    """A fastws or Starlette ``WebSocket`` (rather than an ASGI ``send``)."""
    return hasattr(websocket, "scope") and hasattr(websocket, "_send")


def _direct_connection(websocket: Any) -> BroadcastConnection | None:
    """fastws' protocol when it is what a WebSocket or ``send`` writes to directly, else None.

    Found through ``fastws.connection`` (the scope extension the protocol
    offers, or the owner of its own ``send``), never imported: that needs uvicorn.
    """
    if _is_websocket(websocket):
        return connection_of(websocket.scope, websocket._send)
    return connection_behind(websocket)


def _sends_through_server(websocket: Any) -> bool:
    """Whether a target's sends to ``websocket`` run only uvicorn's own send (``is_server_send``) and code of
    fastws or Starlette: a ``WebSocket`` whose ``send`` is its class's stock one (not a subclass's own)."""
    if _is_websocket(websocket):
        stock = [WebSocket.send]
        starlette = sys.modules.get("starlette.websockets")  # imported if one of its WebSockets exists
        if starlette is not None:
            stock.append(starlette.WebSocket.send)
        if getattr(type(websocket), "send", None) not in stock:
            return False
        websocket = websocket._send
    return is_server_send(websocket)


def _connection_key(websocket: Any) -> int:
    """One key per connection, whichever object stands for it."""
    connection = _direct_connection(websocket)
    return id(connection if connection is not None else websocket)


def _resolve(websocket: Any) -> tuple[Any, Any]:
    """``(send, close)`` for a connection on the ASGI path: how to send a message and how to close it."""
    if _is_websocket(websocket):
        state = getattr(websocket, "application_state", None)
        if getattr(state, "name", "CONNECTED") != "CONNECTED":
            raise RuntimeError("subscribe a WebSocket after accept() and before it closes")

        async def close_websocket(code: int, reason: str) -> None:
            await websocket.close(code, reason)

        return websocket.send, close_websocket
    if callable(websocket):  # an ASGI send
        send = websocket

        async def close_send(code: int, reason: str) -> None:
            await send({"type": "websocket.close", "code": code, "reason": reason})

        return send, close_send
    raise TypeError(f"subscribe a fastws or Starlette WebSocket, or an ASGI send; not {type(websocket).__name__}")


def _leave_on_disconnect(websocket: Any, target: Target) -> None:
    """Wrap a Starlette ``WebSocket``'s ``receive``: its ``websocket.disconnect`` ends the target.

    For Starlette's own ``WebSocket`` only, on the ASGI path: it has no hook
    for the end of its connection (a ``fastws.WebSocket`` has one,
    ``on_disconnect``, which the hub uses instead), and on a server other
    than fastws' nothing else tells the hub: a subscriber that stays
    subscribed until its connection closes (``await hub.subscribe(channel,
    websocket)``, no ``unsubscribe``) would stay on its channels until a
    delivery to it failed, which never happens on a quiet channel. So its
    private ASGI ``receive`` (``_receive``, which its ``receive()`` calls)
    is wrapped, and the disconnect event it reads ends the target: the one
    place the hub reaches into a WebSocket. A connection on fastws' own
    protocol needs none of this: the protocol calls its ``fanout.lost()``.
    """
    receive = websocket._receive

    async def receive_and_watch() -> dict[str, Any]:
        message: dict[str, Any] = await receive()
        if message.get("type") == "websocket.disconnect":
            target.close()
        return message

    websocket._receive = receive_and_watch


def _call_hook(hook: Callable[[], Any] | None, name: str) -> None:
    """Call an ``on_backend_*`` hook (plain or async); its failure is logged, never raised."""
    if hook is None:
        return
    try:
        result = hook()
        if asyncio.iscoroutine(result):
            asyncio.ensure_future(result).add_done_callback(_log_hook_failure)
    except Exception:
        _logger.exception("broadcast %s hook failed", name)


def _log_hook_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        _logger.warning("broadcast hook failed", exc_info=task.exception())

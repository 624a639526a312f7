"""The Redis backend: ``Broadcast("redis://host:port/db")`` (``pip install "fastws-runtime[redis]"``).

One pub/sub connection per process, plus a small pool for publishing. Each
channel is its own Redis channel (``prefix + channel``), subscribed while
the process has a local subscriber on it: the first local subscriber's
``SUBSCRIBE`` (batched with any others made in the same loop iteration)
and the last one's ``UNSUBSCRIBE``. A subscribe returns once Redis has
confirmed it, so a message published afterwards by any process arrives.

A message travels as ``kind (b"t" text, b"b" binary) + origin (8 bytes) +
payload``, serialised once by the publisher; each receiving process frames
it once for all its subscribers. The publisher has already delivered to
its own subscribers, so it skips its own copy when Redis echoes it back.

The listener only parses, routes and hands messages to the subscribers'
bounded buffers (never awaiting a client), so Redis never drops it as a
slow reader. It pings Redis when the connection is quiet; a connection
that fails or stops answering is replaced, with exponential backoff and
jitter, and every active channel is subscribed again; the hub's
``Listener`` is told (``on_lost`` / ``on_back``: the hub then calls its
``on_backend_disconnect`` / ``on_backend_reconnect`` hooks). What
other processes publish during the outage is lost for this process
(at-most-once delivery, no persistence).

A channel that keeps history is published by a script, in one round trip
and atomically: it numbers the message (``HINCRBY`` on the channel's meta
hash, which also holds the epoch), appends it to the channel's stream
(``XADD`` with the offset as its id, capped by ``MAXLEN``; both keys expire
after the history's ttl) and publishes it with its position, so live
delivery and history never disagree about order or positions. Such a
message is not delivered locally first: every hub, the publisher's too,
takes it from Redis, so all see a channel's messages in history order.
``read`` is a script too: the meta hash, the stream after an offset, and
the server's clock for the ttl.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
from typing import Any

from .backends import Listener
from .errors import BackendUnavailable, BroadcastError
from .history import History, Page, new_epoch
from .message import Message
from .positions import Position, channel_check

try:
    from redis import asyncio as aioredis
    from redis.exceptions import RedisError
except ImportError as error:  # pragma: no cover - the optional extra is missing
    raise BroadcastError('Broadcast("redis://...") needs redis-py: pip install "fastws-runtime[redis]"') from error

__all__ = ["RedisBackend"]

_logger = logging.getLogger("fastws.broadcast")

_TEXT, _BINARY = b"t", b"b"
_KEPT_TEXT, _KEPT_BINARY = b"T", b"B"  # + b"<offset>:<epoch>:" + payload, from the publish script
_ORIGIN_SIZE = 8

# KEYS: stream, meta. ARGV: pub/sub channel, kind, head, tail, stamped ("1": the payload is
# head .. token .. tail), maxlen, ttl in ms ("0": none), a new epoch, the channel's token check.
_PUBLISH_KEPT = """
local epoch = redis.call('HGET', KEYS[2], 'e')
if not epoch then
  epoch = ARGV[8]
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[2], 'e', epoch)
end
local offset = redis.call('HINCRBY', KEYS[2], 's', 1)
local payload = ARGV[3]
if ARGV[5] == '1' then
  payload = ARGV[3] .. offset .. '.' .. epoch .. '.' .. ARGV[9] .. ARGV[4]
end
local now = redis.call('TIME')
local ms = now[1] * 1000 + math.floor(now[2] / 1000)
redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[6], offset .. '-0', 't', ms, 'k', ARGV[2], 'd', payload)
if ARGV[7] ~= '0' then
  redis.call('PEXPIRE', KEYS[1], ARGV[7])
  redis.call('PEXPIRE', KEYS[2], ARGV[7])
end
redis.call('PUBLISH', ARGV[1], ARGV[2] .. offset .. ':' .. epoch .. ':' .. payload)
return {offset, epoch}
"""

# KEYS: stream, meta. ARGV: after (an offset), count. Returns {epoch or false, top, now in ms, entries}.
_READ = """
local meta = redis.call('HMGET', KEYS[2], 'e', 's')
local now = redis.call('TIME')
local ms = now[1] * 1000 + math.floor(now[2] / 1000)
if not meta[1] then
  return {false, 0, ms, {}}
end
local entries = redis.call('XRANGE', KEYS[1], (tonumber(ARGV[1]) + 1) .. '-0', '+', 'COUNT', ARGV[2])
return {meta[1], tonumber(meta[2]), ms, entries}
"""


class RedisBackend:
    """Carries a hub's publishes to, and from, every process on one Redis server."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "fastws:",
        health_check_interval: float = 5.0,
        connect_timeout: float = 5.0,
        reconnect_delay: float = 0.1,
        reconnect_max_delay: float = 5.0,
        publish_connections: int = 4,
    ) -> None:
        self.url = url
        self.prefix = prefix.encode()
        self.health_check_interval = health_check_interval
        self.connect_timeout = connect_timeout
        self.reconnect_delay = reconnect_delay
        self.reconnect_max_delay = reconnect_max_delay
        self.origin = os.urandom(_ORIGIN_SIZE)  # this process, in every envelope it publishes
        self._pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=publish_connections,
            timeout=connect_timeout,
            socket_connect_timeout=connect_timeout,
            protocol=2,  # pub/sub messages as replies to read, on every redis-py and server version
        )
        self._publisher = aioredis.Redis(connection_pool=self._pool)
        self._publish_kept = self._publisher.register_script(_PUBLISH_KEPT)
        self._read_history = self._publisher.register_script(_READ)
        self._hub: Listener | None = None  # what to tell the hub, from connect()
        self._wanted: set[str] = set()  # channels with local subscribers
        self._requested: set[str] = set()  # SUBSCRIBE sent on the current connection
        self._confirmed: set[str] = set()  # Redis confirmed them: messages flow
        self._waiters: dict[str, list[asyncio.Future[None]]] = {}
        self._flush_pending = False
        self._connection: Any = None  # the pub/sub connection, while up
        self._up = asyncio.Event()
        self._listener: asyncio.Task[None] | None = None
        self._closing = False
        self._outage = False  # the hub was told the backend is gone, not yet that it is back

    # ----------------------------------------------------------- lifecycle

    async def connect(self, listener: Listener) -> None:
        self._hub = listener
        self._closing = False
        try:
            await asyncio.wait_for(self._publisher.ping(), self.connect_timeout)
        except (TimeoutError, RedisError, OSError) as error:
            await self._pool.disconnect()
            raise BackendUnavailable(f"cannot reach Redis at {self._safe_url()}: {error}") from error
        self._start_listener()
        try:
            await asyncio.wait_for(self._up.wait(), self.connect_timeout)
        except TimeoutError as error:
            await self.disconnect()
            raise BackendUnavailable(f"cannot open a pub/sub connection to Redis at {self._safe_url()}") from error

    async def disconnect(self) -> None:
        self._closing = True
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.cancel()
            try:
                await listener
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - it is being stopped
                pass
        await self._drop_connection()
        for waiters in self._waiters.values():
            for waiter in waiters:
                waiter.cancel()  # a subscribe still waiting ends: its caller gets CancelledError
        self._waiters.clear()
        self._wanted.clear()
        await self._publisher.aclose()
        await self._pool.disconnect()

    # ----------------------------------------------------------- channels

    async def subscribe(self, channel: str) -> None:
        """Return once Redis delivers ``channel`` to this process."""
        self._wanted.add(channel)
        if channel in self._confirmed:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(channel, []).append(waiter)
        self._schedule_flush()
        try:
            await asyncio.wait_for(asyncio.shield(waiter), self.connect_timeout)
        except TimeoutError as error:
            raise BackendUnavailable(f"Redis did not confirm the subscription to {channel!r} in time") from error

    async def unsubscribe(self, channel: str) -> None:
        self._wanted.discard(channel)
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        """Send the SUBSCRIBE / UNSUBSCRIBE the wanted channels need, batched: once per loop iteration."""
        if not self._flush_pending:
            self._flush_pending = True
            asyncio.get_running_loop().call_soon(self._flush_soon)

    def _flush_soon(self) -> None:
        self._flush_pending = False
        if self._connection is not None:
            task = asyncio.ensure_future(self._flush(self._connection))
            task.add_done_callback(_log_failure)

    async def _flush(self, connection: Any) -> None:
        join = sorted(self._wanted - self._requested)
        leave = sorted(self._requested - self._wanted)
        self._requested |= set(join)
        self._requested -= set(leave)
        self._confirmed -= set(leave)  # a subscribe from now on waits for its own confirmation
        try:
            if join:
                await connection.send_command("SUBSCRIBE", *[self.prefix + c.encode() for c in join])
            if leave:
                await connection.send_command("UNSUBSCRIBE", *[self.prefix + c.encode() for c in leave])
        except (RedisError, OSError):
            pass  # the listener sees the broken connection and starts over, subscribing again

    # ------------------------------------------------------------- publish

    async def publish(self, channel: str, message: Message) -> None:
        envelope = (_BINARY if message.binary else _TEXT) + self.origin + message.payload
        try:
            await self._publisher.publish(self.prefix + channel.encode(), envelope)
        except (RedisError, OSError) as error:
            raise BackendUnavailable(f"cannot publish to Redis at {self._safe_url()}: {error}") from error

    async def publish_kept(self, channel: str, message: Message, history: History) -> Position:
        stream, meta = self._history_keys(channel)
        stamped = message.stamp is not None
        head, tail = message.stamp if message.stamp is not None else (message.payload, b"")
        kind = _KEPT_BINARY if message.binary else _KEPT_TEXT
        ttl = 0 if history.ttl is None else max(1, round(history.ttl * 1000))
        args: list[bytes | int | str] = [self.prefix + channel.encode(), kind, head, tail, b"1" if stamped else b"0"]
        args += [history.size, ttl, new_epoch(), channel_check(channel)]
        try:
            offset, epoch = await self._publish_kept(keys=[stream, meta], args=args)
        except (RedisError, OSError) as error:
            raise BackendUnavailable(f"cannot publish to Redis at {self._safe_url()}: {error}") from error
        return Position(channel, int(offset), epoch.decode("ascii"))

    async def read(self, channel: str, after: int, history: History) -> Page:
        try:
            epoch, top, now, entries = await self._read_history(
                keys=self._history_keys(channel), args=[after, history.size]
            )
        except (RedisError, OSError) as error:
            raise BackendUnavailable(f"cannot read history from Redis at {self._safe_url()}: {error}") from error
        if not epoch:
            return Page(None, 0)
        epoch = epoch.decode("ascii")
        oldest = None if history.ttl is None else now - history.ttl * 1000
        messages = []
        for entry_id, fields in entries:
            values = dict(zip(fields[::2], fields[1::2], strict=True))
            if oldest is not None and int(values[b"t"]) < oldest:
                continue  # past its ttl
            offset = int(entry_id.partition(b"-")[0])
            binary = values.get(b"k") == _KEPT_BINARY
            messages.append(Message(values[b"d"], binary, None, Position(channel, offset, epoch)))
        return Page(epoch, int(top), messages)

    def _history_keys(self, channel: str) -> list[bytes]:
        """The stream and the meta hash of a channel that keeps history."""
        name = channel.encode()
        return [self.prefix + b"history:" + name, self.prefix + b"meta:" + name]

    # ------------------------------------------------------------ listener

    def _start_listener(self) -> None:
        self._listener = asyncio.ensure_future(self._listen())
        self._listener.add_done_callback(self._listener_done)

    def _listener_done(self, task: asyncio.Task[None]) -> None:
        if self._closing or task is not self._listener:
            return
        error = None if task.cancelled() else task.exception()
        _logger.warning("the Redis listener stopped (%r); starting it again", error)
        asyncio.get_running_loop().call_later(self.reconnect_delay, self._restart_listener)

    def _restart_listener(self) -> None:
        if not self._closing:
            self._start_listener()

    async def _listen(self) -> None:
        """Keep one pub/sub connection up, subscribed to every wanted channel, and route what arrives."""
        failures = 0
        while not self._closing:
            await self._drop_connection()  # a previous one, if a failure left it
            try:
                connection = self._pool.make_connection()  # type: ignore[no-untyped-call]  # redis-py's
                await asyncio.wait_for(connection.connect(), self.connect_timeout)
                self._connection = connection  # _drop_connection() left nothing requested or confirmed
                if self._wanted:
                    await self._flush(connection)
                failures = 0
                self._up.set()
                if self._outage:
                    self._outage = False
                    _logger.warning("reconnected to Redis at %s", self._safe_url())
                    if self._hub is not None:
                        self._hub.on_back()
                await self._read(connection)
            except asyncio.CancelledError:
                raise
            except (TimeoutError, RedisError, OSError) as error:
                await self._drop_connection()
                if self._closing:
                    return
                if not self._outage:
                    self._outage = True
                    _logger.warning("lost Redis at %s: %s", self._safe_url(), error)
                    if self._hub is not None:
                        self._hub.on_lost()
                delay = min(self.reconnect_max_delay, self.reconnect_delay * 2**failures)
                failures += 1
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))

    async def _read(self, connection: Any) -> None:
        """Route messages until the connection breaks; a quiet connection is pinged."""
        pinged = False
        while True:
            response = await connection.read_response(timeout=self.health_check_interval)
            if response is None:  # quiet for a whole interval
                if pinged:
                    raise TimeoutError("Redis did not answer a ping")
                await connection.send_command("PING")
                pinged = True
                continue
            pinged = False
            kind = response[0]
            if kind == b"message":
                self._route(response[1], response[2])
            elif kind == b"subscribe":
                self._confirm(response[1])
            elif kind == b"unsubscribe":
                self._confirmed.discard(self._channel(response[1]))

    def _route(self, key: bytes, envelope: bytes) -> None:
        kind = envelope[:1]
        if kind in (_KEPT_TEXT, _KEPT_BINARY):
            self._route_kept(key, kind, envelope)
            return
        origin = envelope[1 : 1 + _ORIGIN_SIZE]
        if origin == self.origin or kind not in (_TEXT, _BINARY):
            return  # our own publish (delivered locally already), or not ours to read
        assert self._hub is not None
        self._hub.deliver(self._channel(key), Message(envelope[1 + _ORIGIN_SIZE :], kind == _BINARY))

    def _route_kept(self, key: bytes, kind: bytes, envelope: bytes) -> None:
        """A message of a channel that keeps history: every hub takes it from here, the publisher's too."""
        offset, _, rest = envelope[1:].partition(b":")
        epoch, _, payload = rest.partition(b":")
        channel = self._channel(key)
        try:
            position = Position(channel, int(offset), epoch.decode("ascii"))
        except (ValueError, UnicodeDecodeError):
            return  # not ours to read
        assert self._hub is not None
        self._hub.deliver(channel, Message(payload, kind == _KEPT_BINARY, None, position))

    def _confirm(self, key: bytes) -> None:
        channel = self._channel(key)
        self._confirmed.add(channel)
        for waiter in self._waiters.pop(channel, []):
            if not waiter.done():
                waiter.set_result(None)

    def _channel(self, key: bytes) -> str:
        return key[len(self.prefix) :].decode("utf-8", "replace")

    async def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        self._up.clear()
        self._requested = set()
        self._confirmed = set()
        if connection is not None:
            try:
                await connection.disconnect(nowait=True)
            except Exception:  # noqa: BLE001 - it is broken already
                pass

    def _safe_url(self) -> str:
        """The URL without its password, for messages."""
        scheme, _, rest = self.url.partition("://")
        return f"{scheme}://{rest.rpartition('@')[2]}"


def _log_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        _logger.warning("broadcast Redis task failed", exc_info=task.exception())

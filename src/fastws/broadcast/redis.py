"""The Redis backend: ``Broadcast("redis://host:port/db")`` (``pip install "fastws-runtime[redis]"``).

One pub/sub connection per process (a ``Link``), plus a small pool for publishing. Each
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

from .backends import Listener
from .errors import BackendUnavailable, BroadcastError
from .history import History, Page
from .message import Message
from .positions import Position

try:
    from redis import asyncio as aioredis
    from redis.exceptions import RedisError, ResponseError

    from .pubsub import PLAIN, Link, Timing
    from .redis_format import ORIGIN_SIZE, PUBLISH_KEPT, READ, Names, envelope, kept_arguments, open_envelope, page_of
except ImportError as error:  # pragma: no cover - the optional extra is missing
    raise BroadcastError('Broadcast("redis://...") needs redis-py: pip install "fastws-runtime[redis]"') from error

__all__ = ["RedisBackend", "safe_url"]

_logger = logging.getLogger("fastws.broadcast")


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
        self.timing = Timing(health_check_interval, connect_timeout, reconnect_delay, reconnect_max_delay)
        self.origin = os.urandom(ORIGIN_SIZE)  # this process, in every envelope it publishes
        self._pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=publish_connections,
            timeout=connect_timeout,
            socket_connect_timeout=connect_timeout,
            protocol=2,  # pub/sub messages as replies to read, on every redis-py and server version
        )
        self._publisher = aioredis.Redis(connection_pool=self._pool)
        self._publish_kept = self._publisher.register_script(PUBLISH_KEPT)
        self._read_history = self._publisher.register_script(READ)
        self._hub: Listener | None = None  # what to tell the hub, from connect()
        self._link = Link(safe_url(url), self._pool.make_connection, self, PLAIN, self.timing)

    @property
    def connect_timeout(self) -> float:
        return self.timing.connect_timeout

    # ----------------------------------------------------------- lifecycle

    async def connect(self, listener: Listener) -> None:
        self._hub = listener
        try:
            await asyncio.wait_for(self._publisher.ping(), self.connect_timeout)
        except (TimeoutError, RedisError, OSError) as error:
            await self._pool.disconnect()
            raise BackendUnavailable(f"cannot reach Redis at {safe_url(self.url)}: {error}") from error
        self._link.start()
        try:
            await asyncio.wait_for(self._link.up.wait(), self.connect_timeout)
        except TimeoutError as error:
            await self.disconnect()
            raise BackendUnavailable(f"cannot open a pub/sub connection to Redis at {safe_url(self.url)}") from error

    async def disconnect(self) -> None:
        await self._link.stop()
        await self._publisher.aclose()
        await self._pool.disconnect()

    # ----------------------------------------------------------- channels

    async def subscribe(self, channel: str) -> None:
        """Return once Redis delivers ``channel`` to this process."""
        await self._link.want(self._key(channel))

    async def unsubscribe(self, channel: str) -> None:
        self._link.drop(self._key(channel))

    def _key(self, channel: str) -> bytes:
        return self.prefix + channel.encode()

    def _names(self, channel: str) -> Names:
        name = channel.encode()
        return Names(self._key(channel), self.prefix + b"history:" + name, self.prefix + b"meta:" + name)

    # ------------------------------------------------------------- publish

    async def publish(self, channel: str, message: Message) -> None:
        try:
            await self._publisher.publish(self._key(channel), envelope(self.origin, message))
        except (RedisError, OSError) as error:
            raise BackendUnavailable(f"cannot publish to Redis at {safe_url(self.url)}: {error}") from error

    async def publish_kept(self, channel: str, message: Message, history: History) -> Position:
        keys, args = kept_arguments(channel, self._names(channel), message, history, b"PUBLISH")
        try:
            offset, epoch = await self._publish_kept(keys=keys, args=args)
        except (RedisError, OSError) as error:
            raise BackendUnavailable(f"cannot publish to Redis at {safe_url(self.url)}: {error}") from error
        return Position(channel, int(offset), epoch.decode("ascii"))

    async def read(self, channel: str, after: int, history: History) -> Page:
        names = self._names(channel)
        try:
            reply = await self._read_history(keys=[names.stream, names.meta], args=[after, history.size])
        except (RedisError, OSError) as error:
            raise BackendUnavailable(f"cannot read history from Redis at {safe_url(self.url)}: {error}") from error
        return page_of(channel, reply, history)

    # --------------------------------------------- what the link tells it

    def message(self, key: bytes, data: bytes) -> None:
        channel = key[len(self.prefix) :].decode("utf-8", "replace")
        message = open_envelope(channel, data, self.origin)
        if message is not None and self._hub is not None:
            self._hub.deliver(channel, message)

    def down(self, link: Link, error: BaseException) -> None:
        _logger.warning("lost Redis at %s: %s", link.name, error)
        if self._hub is not None:
            self._hub.on_lost()

    def up(self, link: Link) -> None:
        _logger.warning("reconnected to Redis at %s", link.name)
        if self._hub is not None:
            self._hub.on_back()

    def dropped(self, link: Link, key: bytes) -> None:
        link.want_soon(key)  # one server: the subscription is wanted here still

    def refused(self, link: Link, error: ResponseError) -> None:
        _logger.warning("Redis at %s refused a subscription: %s", link.name, error)


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}"

"""The Redis Cluster backend: ``Broadcast("redis+cluster://host:port,host:port")`` (Valkey too; Redis >= 7).

Sharded pub/sub (``SSUBSCRIBE`` / ``SPUBLISH``): a message crosses only the
shard that serves its channel, so fan-out grows with the shards instead
of crossing one server (or every node, as plain ``PUBLISH`` does on a
cluster).

**Where a channel lives.** Every channel belongs to one of ``partitions``
partitions (64 by default; a CRC-32 of its name), and every Redis name of
the channel carries its partition's hash tag, so its pub/sub channel, its
history stream and its meta hash share one slot (one script writes and
announces a message atomically). The tags are chosen so the partitions'
slots lie evenly over the 16,384 slots, hence over the shards whatever
their number: short tags such as ``{0}``..``{63}`` would crowd a few slots
and leave shards idle. Every process must use the same ``partitions``.

**Subscribing.** One ``Link`` (pub/sub connection) per master that serves
a channel this process has subscribers on, subscribing one slot per
command (a cluster refuses one command spanning slots). The slot map is
redis-py's ``RedisCluster``, which also publishes (routing each command by
slot, following ``MOVED`` and ``ASK``).

**When the cluster changes.** A master that fails (its replica takes over
within seconds), a slot migrated to another master (the server ends the
subscriptions of that slot by itself) or a ``MOVED`` reply to a subscribe
makes this backend read the slot map again and hand every subscribed
channel whose slot moved to the link of its new master, with the same
backoff, ``BackendUnavailable`` and hooks as one Redis: the hub's
``on_backend_disconnect`` when a link is lost or a subscription moved,
``on_backend_reconnect`` once every subscription is confirmed again. What
is published in between is lost for this process (at most once), and a
client resumes it from history.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import zlib
from typing import Any
from urllib.parse import unquote, urlsplit

from .backends import Listener
from .errors import BackendUnavailable, BroadcastError, UnknownBackend
from .history import History, Page
from .message import Message
from .positions import Position

try:
    from redis import __version__ as redis_version
    from redis import asyncio as aioredis
    from redis.asyncio.cluster import ClusterNode, RedisCluster
    from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot
    from redis.exceptions import RedisClusterException, RedisError, ResponseError

    from .pubsub import SHARDED, Link, Timing
    from .redis import safe_url
    from .redis_format import ORIGIN_SIZE, PUBLISH_KEPT, READ, Names, envelope, kept_arguments, open_envelope, page_of
except ImportError as error:  # pragma: no cover - the optional extra is missing
    raise BroadcastError(
        'Broadcast("redis+cluster://...") needs redis-py: pip install "fastws-runtime[redis]"'
    ) from error

__all__ = ["ClusterBackend", "partition_tags"]

_logger = logging.getLogger("fastws.broadcast")

MIN_REDIS_PY = (8, 1)  # the asyncio cluster client this backend was built and tested on
_FAILURES = (RedisError, RedisClusterException, OSError, TimeoutError)
_REFRESH_MAX_DELAY = 1.0  # seconds between readings of the slot map while a subscription has no home


def partition_tags(count: int) -> list[bytes]:
    """``count`` hash tags whose slots lie evenly over the cluster's slots: tag ``i`` in the middle of the ``i``-th share.

    Evenly spaced slots put ``count / shards`` partitions (rounded down or
    up) on every master of any cluster whose masters serve even,
    contiguous slot ranges (what ``redis-cli --cluster create`` makes).
    The tags are the first decimal numbers that hash to those slots.
    """
    wanted = {(2 * index + 1) * REDIS_CLUSTER_HASH_SLOTS // (2 * count): index for index in range(count)}
    tags: list[bytes] = [b""] * count
    number = 0
    while wanted:
        tag = b"%d" % number
        index = wanted.pop(key_slot(tag), None)
        if index is not None:
            tags[index] = tag
        number += 1
    return tags


class ClusterBackend:
    """Carries a hub's publishes to, and from, every process on one Redis Cluster, by sharded pub/sub."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "fastws:",
        partitions: int = 64,
        health_check_interval: float = 5.0,
        connect_timeout: float = 5.0,
        reconnect_delay: float = 0.1,
        reconnect_max_delay: float = 5.0,
    ) -> None:
        if _version(redis_version) < MIN_REDIS_PY:
            raise BroadcastError(f"a Redis Cluster needs redis-py >= 8.1, not {redis_version}: pip install -U redis")
        if "{" in prefix or "}" in prefix:
            raise ValueError(f"a cluster prefix has no braces (the partition's hash tag follows it): {prefix!r}")
        if isinstance(partitions, bool) or not isinstance(partitions, int) or not 1 <= partitions <= 16384:
            raise ValueError(f"partitions is a number from 1 to 16384, not {partitions!r}")
        self.url = url
        self.prefix = prefix.encode()
        self.timing = Timing(health_check_interval, connect_timeout, reconnect_delay, reconnect_max_delay)
        self.origin = os.urandom(ORIGIN_SIZE)
        self._tags = partition_tags(partitions)
        nodes, self._options = _parse(url)
        self._cluster = RedisCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in nodes],
            socket_connect_timeout=connect_timeout,
            socket_timeout=max(connect_timeout, 1.0),
            protocol=2,
            **self._options,
        )
        self._publish_kept = self._cluster.register_script(PUBLISH_KEPT)
        self._read_history = self._cluster.register_script(READ)
        self._hub: Listener | None = None
        self._links: dict[str, Link] = {}  # by node name (host:port): one per master with subscriptions
        self._refreshing: asyncio.Task[None] | None = None
        self._outage = False  # the hub was told a subscription is down, not yet that all are back
        self._closing = False

    # ----------------------------------------------------------- lifecycle

    async def connect(self, listener: Listener) -> None:
        self._hub = listener
        self._closing = False
        try:
            await asyncio.wait_for(self._cluster.initialize(), self.timing.connect_timeout)
        except _FAILURES as error:
            await self._cluster.aclose()
            raise BackendUnavailable(f"cannot reach the Redis Cluster at {safe_url(self.url)}: {error}") from error

    async def disconnect(self) -> None:
        self._closing = True
        refreshing, self._refreshing = self._refreshing, None
        if refreshing is not None:
            refreshing.cancel()
        links, self._links = list(self._links.values()), {}
        for link in links:
            await link.stop()
        await self._cluster.aclose()

    # ----------------------------------------------------------- channels

    def names(self, channel: str) -> Names:
        """The channel's names in Redis, all in its partition's slot."""
        name = channel.encode()
        base = self.prefix + b"{" + self._tags[zlib.crc32(name) % len(self._tags)] + b"}"
        return Names(base + name, base + b"history:" + name, base + b"meta:" + name)

    async def subscribe(self, channel: str) -> None:
        """Return once the master serving ``channel``'s slot delivers it to this process."""
        key = self.names(channel).channel
        await self._link_of(key).want(key)

    async def unsubscribe(self, channel: str) -> None:
        key = self.names(channel).channel
        for link in self._links.values():
            if key in link.wanted:
                link.drop(key)

    def _link_of(self, key: bytes) -> Link:
        """The link to the master serving ``key``'s slot (made on first need)."""
        try:
            node = self._cluster.nodes_manager.get_node_from_slot(key_slot(key))
        except RedisClusterException as error:
            self._refresh_soon()
            raise BackendUnavailable(f"no master of the Redis Cluster serves this channel now: {error}") from error
        link = self._links.get(node.name)
        if link is None:
            link = self._links[node.name] = Link(node.name, self._connection_to(node), self, SHARDED, self.timing)
            link.start()
        return link

    def _connection_to(self, node: Any) -> Any:
        options = {k: v for k, v in self._options.items() if k in ("username", "password")}
        connection_class = aioredis.SSLConnection if self._options.get("ssl") else aioredis.Connection

        def make_connection() -> Any:
            return connection_class(
                host=node.host,
                port=node.port,
                socket_connect_timeout=self.timing.connect_timeout,
                protocol=2,
                **options,
            )

        return make_connection

    # ------------------------------------------------------------- publish

    async def publish(self, channel: str, message: Message) -> None:
        try:
            await self._cluster.spublish(self.names(channel).channel, envelope(self.origin, message))
        except _FAILURES as error:
            raise BackendUnavailable(f"cannot publish to the Redis Cluster: {error}") from error

    async def publish_kept(self, channel: str, message: Message, history: History) -> Position:
        keys, args = kept_arguments(channel, self.names(channel), message, history, b"SPUBLISH")
        try:
            offset, epoch = await self._publish_kept(keys=keys, args=args)
        except _FAILURES as error:
            raise BackendUnavailable(f"cannot publish to the Redis Cluster: {error}") from error
        return Position(channel, int(offset), epoch.decode("ascii"))

    async def read(self, channel: str, after: int, history: History) -> Page:
        names = self.names(channel)
        try:
            reply = await self._read_history(keys=[names.stream, names.meta], args=[after, history.size])
        except _FAILURES as error:
            raise BackendUnavailable(f"cannot read history from the Redis Cluster: {error}") from error
        return page_of(channel, reply, history)

    # -------------------------------------------- what the links tell it

    def message(self, key: bytes, data: bytes) -> None:
        close = key.find(b"}", len(self.prefix))
        channel = key[close + 1 :].decode("utf-8", "replace")
        message = open_envelope(channel, data, self.origin)
        if message is not None and self._hub is not None:
            self._hub.deliver(channel, message)

    def down(self, link: Link, error: BaseException) -> None:
        _logger.warning("lost the Redis Cluster node %s: %s", link.name, error)
        self._lost()

    def up(self, link: Link) -> None:
        self._refresh_soon()  # settles: on_back once every subscription is confirmed

    def dropped(self, link: Link, key: bytes) -> None:
        _logger.info("the Redis Cluster node %s ended a subscription (its slot moved)", link.name)
        self._lost()  # still wanted: the refresh hands it to the slot's new master

    def refused(self, link: Link, error: ResponseError) -> None:
        _logger.info("the Redis Cluster node %s refused a subscription: %s", link.name, error)
        self._lost()

    def _lost(self) -> None:
        if not self._outage:
            self._outage = True
            if self._hub is not None:
                self._hub.on_lost()
        self._refresh_soon()

    # ------------------------------------------------ following the cluster

    def _refresh_soon(self) -> None:
        if self._refreshing is None and not self._closing:
            self._refreshing = asyncio.ensure_future(self._refresh())

    async def _refresh(self) -> None:
        """Read the slot map and move subscriptions until every one is confirmed where its slot is."""
        delay = self.timing.reconnect_delay
        try:
            while not self._closing:
                try:
                    await self._cluster.nodes_manager.initialize()
                    await self._rehome()
                    if await self._settled():
                        break
                except _FAILURES as error:
                    _logger.debug("reading the Redis Cluster's slot map failed: %s", error)
                await asyncio.sleep(delay)
                delay = min(_REFRESH_MAX_DELAY, delay * 2)
        finally:
            self._refreshing = None
        if self._outage and not self._closing:
            self._outage = False
            _logger.warning("every Redis Cluster subscription is back")
            if self._hub is not None:
                self._hub.on_back()

    async def _rehome(self) -> None:
        """Hand each subscribed key whose slot moved to the link of its master now; drop idle links."""
        for name, link in list(self._links.items()):
            for key in list(link.wanted):
                node = self._cluster.nodes_manager.get_node_from_slot(key_slot(key))
                if node.name != name:
                    link.hand_over(key, self._link_of(key))
        for name, link in list(self._links.items()):
            if not link.wanted:
                del self._links[name]
                await link.stop()

    async def _settled(self) -> bool:
        """Every subscription confirmed by the master serving its slot (within the connect timeout)."""
        wanted = [(link, key) for link in self._links.values() for key in list(link.wanted)]
        confirming = asyncio.gather(*(link.want(key) for link, key in wanted), return_exceptions=True)
        try:
            results = await asyncio.wait_for(confirming, min(self.timing.connect_timeout, _REFRESH_MAX_DELAY))
        except TimeoutError:
            return False
        return all(result is None for result in results)


def _parse(url: str) -> tuple[list[tuple[str, int]], dict[str, Any]]:
    """The startup nodes and the connection options of a ``redis+cluster://`` URL."""
    parts = urlsplit(url)
    usage = "a cluster URL is redis+cluster://[user:password@]host:port[,host:port...] (rediss+cluster:// for TLS)"
    nodes = []
    for address in parts.netloc.rpartition("@")[2].split(","):
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise UnknownBackend(f"{usage}, not {safe_url(url)!r}")
        nodes.append((host.strip("[]"), int(port)))
    if parts.path not in ("", "/"):
        raise UnknownBackend(f"a Redis Cluster has one database, 0: {usage}, not {safe_url(url)!r}")
    options: dict[str, Any] = {}
    userinfo = parts.netloc.rpartition("@")[0]
    if userinfo:
        user, _, password = userinfo.partition(":")
        options["username"] = unquote(user) or None
        options["password"] = unquote(password) or None
    if parts.scheme.lower().startswith("rediss"):
        options["ssl"] = True
    return nodes, options


def _version(text: str) -> tuple[int, ...]:
    """``"8.1.0"`` as ``(8, 1, 0)`` (a pre-release suffix ignored)."""
    return tuple(int(match.group()) if (match := re.match(r"\d+", part)) else 0 for part in text.split(".")[:3])

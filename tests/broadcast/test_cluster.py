"""``fastws.Broadcast`` on a real Redis Cluster (3 masters, a replica each): sharded pub/sub across processes and changes.

The shared cluster is CI's (``FASTWS_TEST_REDIS_CLUSTER_URL``) or one built
here; the tests that kill a master or move a slot build their own.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import pytest

from fastws.broadcast import BackendUnavailable, Broadcast, History, Position, UnknownBackend
from tests.helpers.chat import two_servers_share_the_room
from tests.helpers.redis_cluster import RedisClusterServers
from tests.helpers.redis_server import free_port, fresh_channel
from tests.helpers.serving import TIMEOUT, run

pytest.importorskip("redis")

from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot

from fastws.broadcast.cluster import partition_tags


def _shards(slots: list[int], shards: int) -> Counter[int]:
    """How many of ``slots`` each of ``shards`` masters serves (contiguous, even slot ranges, as redis-cli makes)."""
    return Counter(slot * shards // REDIS_CLUSTER_HASH_SLOTS for slot in slots)


@pytest.mark.parametrize("partitions", [16, 64, 256])
def test_partition_tags_spread_evenly_over_any_number_of_shards(partitions: int) -> None:
    """Every shard gets its share of partitions, where short tags ({0}..{n}) leave shards idle (Centrifugo's trap)."""
    ours = [key_slot(tag) for tag in partition_tags(partitions)]
    naive = [key_slot(str(i).encode()) for i in range(partitions)]
    for shards in range(2, min(partitions, 16) + 1):
        counts = _shards(ours, shards)
        assert len(counts) == shards and max(counts.values()) - min(counts.values()) <= 1
    skewed = _shards(naive, 16)
    assert max(skewed.values()) - min(skewed[shard] for shard in range(16)) > 1  # the trap is real


def test_channels_spread_over_the_shards_and_every_message_arrives(cluster_url: str) -> None:
    async def main() -> None:
        channels = [fresh_channel(f"spread{i}") for i in range(300)]
        async with Broadcast(cluster_url) as a, Broadcast(cluster_url) as b:
            subscriptions = [await a.subscribe(channel).__aenter__() for channel in channels]
            links = a.backend._links  # type: ignore[attr-defined]
            per_master = sorted(len(link.wanted) for link in links.values())
            assert len(per_master) == 3 and per_master[0] >= 60, per_master  # ~100 each
            for channel in channels:
                await b.publish(channel, f"to {channel}")
            for channel, subscription in zip(channels, subscriptions, strict=True):
                assert (await asyncio.wait_for(subscription.get(), TIMEOUT)).message == f"to {channel}"
            for subscription in subscriptions:
                await subscription.__aexit__(None, None, None)

    run(main())


def test_two_server_processes_share_the_demo_chat_room_on_a_cluster(cluster_url: str) -> None:
    """Two ``fastws run --broadcast redis+cluster://`` processes: a message sent on either reaches every client on both."""
    two_servers_share_the_room(cluster_url)


async def _publish(hub: Broadcast, channel: str, message: str) -> Position | None:
    """Publish, retrying while the cluster has no master for the channel (a failover, a migration)."""
    async with asyncio.timeout(30):
        while True:
            try:
                return await hub.publish(channel, message)
            except BackendUnavailable:
                await asyncio.sleep(0.05)


def test_a_master_killed_its_replica_takes_over_and_subscriptions_come_back() -> None:
    with RedisClusterServers() as cluster:

        async def main() -> None:
            events: list[str] = []
            options: dict[str, Any] = {"connect_timeout": 2.0, "health_check_interval": 0.5}
            a = Broadcast(
                cluster.url,
                on_backend_disconnect=lambda: events.append("lost"),
                on_backend_reconnect=lambda: events.append("back"),
                **options,
            )
            channels = [fresh_channel(f"failover{i}") for i in range(30)]
            async with a, Broadcast(cluster.url, **options) as b:
                subscriptions = [await a.subscribe(channel).__aenter__() for channel in channels]
                victim = cluster.master_of(a.backend.names(channels[0]).channel)  # type: ignore[attr-defined]
                cluster.kill(victim)
                async with asyncio.timeout(30):
                    while "back" not in events:
                        await asyncio.sleep(0.05)
                assert events[0] == "lost" and victim not in cluster.masters_now()
                for channel in channels:  # every subscription, on every shard, delivers again
                    await _publish(b, channel, f"after {channel}")
                for channel, subscription in zip(channels, subscriptions, strict=True):
                    assert (await asyncio.wait_for(subscription.get(), TIMEOUT)).message == f"after {channel}"

        asyncio.run(asyncio.wait_for(main(), 60))


def test_a_slot_migrated_under_load_keeps_delivering_and_keeps_its_history() -> None:
    """The channel's slot moves to another master while it is published on: the subscription follows it.

    Live delivery is at most once: what is published between the move and
    the subscription's arrival at the new master may be missed live (the
    hooks say so); a resume fills exactly those from history, which moved
    with the slot.
    """
    with RedisClusterServers() as cluster:

        async def main() -> None:
            channel = fresh_channel("migrated")
            history = History(size=10_000)
            events: list[str] = []
            hooks = {
                "on_backend_disconnect": lambda: events.append("lost"),
                "on_backend_reconnect": lambda: events.append("back"),
            }
            async with (
                Broadcast(cluster.url, history=history, **hooks) as a,
                Broadcast(cluster.url, history=history) as b,
            ):
                key = a.backend.names(channel).channel  # type: ignore[attr-defined]
                slot, source = key_slot(key), cluster.master_of(key)
                async with a.subscribe(channel) as live:
                    published: list[Position] = []
                    until = 1 << 30  # publish until this many

                    async def publish() -> None:
                        while len(published) < until:
                            position = await _publish(b, channel, str(len(published)))
                            assert position is not None
                            published.append(position)
                            await asyncio.sleep(0.005)

                    publisher = asyncio.create_task(publish())
                    await asyncio.sleep(0.3)
                    target = next(port for port in cluster.masters_now() if port != source)
                    await asyncio.to_thread(cluster.migrate, slot, target)
                    assert cluster.master_of(key) == target
                    async with asyncio.timeout(TIMEOUT):
                        while events[-1:] != ["back"]:  # the server ended the subscription; it came back
                            await asyncio.sleep(0.01)
                    until = len(published) + 50  # published once it is back
                    await publisher
                    received = []
                    async with asyncio.timeout(TIMEOUT):
                        while not received or received[-1].message != str(len(published) - 1):
                            received.append(await live.get())
                assert [p.offset for p in published] == list(range(1, len(published) + 1))
                offsets = [event.position.offset for event in received if event.position is not None]
                assert offsets == sorted(set(offsets)) and offsets[-50:] == list(
                    range(len(published) - 49, len(published) + 1)
                )
                holes = sorted(set(range(offsets[0], offsets[-1] + 1)) - set(offsets))
                if holes:  # missed live during the move: a resume from the last one before gets exactly those
                    since = Position(channel, holes[0] - 1, published[0].epoch)
                    async with a.subscribe(channel, since=since) as again:
                        replayed = [
                            await asyncio.wait_for(again.get(), TIMEOUT) for _ in range(len(published) - since.offset)
                        ]
                    assert [e.position.offset for e in replayed if e.position] == list(
                        range(holes[0], len(published) + 1)
                    )
                async with a.subscribe(channel, since=published[0]) as again:  # the stream moved with its slot
                    replayed = [(await asyncio.wait_for(again.get(), TIMEOUT)).message for _ in published[1:]]
                assert replayed == [str(i) for i in range(1, len(published))]

        asyncio.run(asyncio.wait_for(main(), 60))


def test_an_unreachable_cluster_fails_at_connect() -> None:
    async def main() -> None:
        hub = Broadcast(f"redis+cluster://127.0.0.1:{free_port()}", connect_timeout=2.0)
        began = time.monotonic()
        with pytest.raises(BackendUnavailable, match="cannot reach the Redis Cluster"):
            await hub.connect()
        assert time.monotonic() - began < 10 and not hub.connected

    run(main())


def test_a_plain_redis_named_as_a_cluster_is_refused_plainly() -> None:
    from tests.helpers.redis_server import RedisServer

    with RedisServer() as server:

        async def main() -> None:
            hub = Broadcast(f"redis+cluster://127.0.0.1:{server.port}", connect_timeout=2.0)
            with pytest.raises(BackendUnavailable, match=r"[Cc]luster"):
                await hub.connect()

        run(main())


@pytest.mark.parametrize(
    "url",
    ["redis+cluster://", "redis+cluster://host", "redis+cluster://h:0", "redis+cluster://h:70000",
     "redis+cluster://h:1,", "redis+cluster://h:6379/1"],
)  # fmt: skip
def test_a_malformed_cluster_url_is_refused(url: str) -> None:
    with pytest.raises(UnknownBackend, match="redis\\+cluster://"):
        Broadcast(url)


@pytest.mark.parametrize("options", [{"partitions": 0}, {"partitions": 20000}, {"partitions": 1.5}, {"prefix": "a{b}"}])
def test_cluster_options_that_make_no_sense_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Broadcast("redis+cluster://127.0.0.1:7000", **options)

"""``python -m bench.history``: what history costs ``fastws.Broadcast``, in process, side by side.

For ``memory://``, a Redis and (with ``--cluster``) a Redis Cluster, each
started here on loopback and stopped after:

- **publish**: the CPU time of one publish to a channel with 10
  subscribers (ASGI sends that complete at once), history off and on;
  on Redis the Redis server's CPU per publish is added (read from
  ``/proc``), and the wall time per publish is shown;
- **replay**: a subscriber resuming 1,000 missed messages, per message
  (the CPU of this process and of Redis), against the same 1,000 messages
  delivered live one publish at a time;
- **spread** (``--cluster``): 5 x ``--n`` publishes over 300 channels,
  and what each master did by its own ``INFO``: the channels its shard
  carries, the publishes it ran, its CPU;
- **memory**: the bytes a ``memory://`` channel holds per kept message.

Rows are interleaved (off, on, replay, live, then again) ``--repeat``
times; medians are printed. ``--n`` sets the publishes per row.

    python -m bench.history                 # 2,000 publishes per row, 5 repetitions
    python -m bench.history --n 100 --repeat 1   # a quick check that it runs
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastws.broadcast import Broadcast, History

from .load.procstat import cpu_seconds

SUBSCRIBERS = 10
MISSED = 1000


async def _no_op_send(message: dict[str, Any]) -> None:
    return None


def _no_op_sends(count: int) -> list[Callable[[dict[str, Any]], Awaitable[None]]]:
    """``count`` distinct ASGI sends that complete at once (one send is one subscriber: the hub keys by it)."""
    return [functools.partial(_no_op_send) for _ in range(count)]


class Meter:
    """CPU seconds of this process plus the Redis servers', and wall seconds, over a block."""

    def __init__(self, servers: list[int]) -> None:
        self.servers = servers

    def now(self) -> tuple[float, float, float]:
        return time.process_time(), sum(cpu_seconds(pid) for pid in self.servers), time.perf_counter()

    async def measure(self, block: Callable[[], Awaitable[None]], count: int) -> tuple[float, float, float]:
        """(this process µs, Redis µs, wall µs) per item of ``block``'s ``count``."""
        before = self.now()
        await block()
        after = self.now()
        return tuple((b - a) / count * 1e6 for a, b in zip(before, after, strict=True))  # type: ignore[return-value]


async def _publish_row(url: str, history: bool, n: int, meter: Meter) -> tuple[float, float, float]:
    async with Broadcast(url, history=History(size=MISSED * 2) if history else None) as hub:
        channel = f"bench-{time.monotonic_ns()}"
        for send in _no_op_sends(SUBSCRIBERS):
            await hub.subscribe(channel, send)

        async def publish() -> None:
            for i in range(n):
                await hub.publish(channel, f"message {i:06d}")
            await asyncio.sleep(0.05 if url != "memory://" else 0)  # the echoes of the last ones (Redis)

        return await meter.measure(publish, n)


async def _replay_rows(url: str, meter: Meter) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """(resuming 1,000 missed, receiving the same 1,000 live): per message."""
    async with Broadcast(url, history=History(size=MISSED * 2)) as hub:
        channel = f"bench-{time.monotonic_ns()}"
        received = asyncio.Event()
        count = [0]

        async def counting_send(message: dict[str, Any]) -> None:
            count[0] += 1
            if count[0] == MISSED:
                received.set()

        first = await hub.publish(channel, "start")

        async def live() -> None:
            await hub.subscribe(channel, counting_send)
            for i in range(MISSED):
                await hub.publish(channel, f"message {i:06d}")
            await received.wait()

        live_cost = await meter.measure(live, MISSED)
        await hub.unsubscribe(channel, counting_send)
        count[0] = 0
        received.clear()

        async def resume() -> None:
            await hub.subscribe(channel, counting_send, since=first)
            await received.wait()

        resume_cost = await meter.measure(resume, MISSED)
        return resume_cost, live_cost


def _redis(cluster: bool) -> tuple[list[subprocess.Popen[bytes]], str]:
    from .load.serve_broadcast_redis import start_redis

    return start_redis("redis-server", cluster)


async def _backend(label: str, url: str, servers: list[int], n: int, repeat: int) -> list[tuple[str, list[Any]]]:
    meter = Meter(servers)
    rows: dict[str, list[tuple[float, float, float]]] = {"off": [], "on": [], "resume": [], "live": []}
    for _ in range(repeat):
        rows["off"].append(await _publish_row(url, False, n, meter))
        rows["on"].append(await _publish_row(url, True, n, meter))
        resume, live = await _replay_rows(url, meter)
        rows["resume"].append(resume)
        rows["live"].append(live)
    return [
        (f"{label}: {name}", [statistics.median(column) for column in zip(*runs, strict=True)])
        for name, runs in rows.items()
    ]


SPREAD_CHANNELS = 300
KEPT = 10_000


async def _kept_bytes() -> float:
    """Bytes of memory per message a ``memory://`` channel keeps (64-byte text, delivered to one subscriber)."""
    import tracemalloc

    async with Broadcast("memory://", history=History(size=KEPT)) as hub:
        await hub.subscribe("kept", _no_op_send)
        await hub.publish("kept", "x" * 64)  # the channel's ring, made before the count starts
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for i in range(KEPT):
            await hub.publish("kept", f"{i:064d}")
        kept = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
    return kept / KEPT


async def _spread(url: str, n: int) -> list[tuple[int, int, float]]:
    """Fan-out on ``SPREAD_CHANNELS`` channels of a cluster: what each master did, by its own counts.

    One hub subscribes to every channel, another publishes ``n`` messages
    over them (history on); per master (by its ``INFO``): the channels its
    shard carries for the subscriber, the publishes it ran (its
    ``evalsha`` calls) and its CPU milliseconds meanwhile.
    """
    from redis import asyncio as aioredis

    masters = []
    for node in url.removeprefix("redis+cluster://").split(","):
        host, _, port = node.partition(":")
        client = aioredis.Redis(host=host, port=int(port))
        if (await client.info("replication"))["role"] == "master":
            masters.append((client, int((await client.info("server"))["process_id"])))
        else:
            await client.aclose()

    async def counts() -> list[tuple[int, int, float]]:
        found = []
        for client, pid in masters:
            stats = await client.info("commandstats")
            channels = len(await client.execute_command("PUBSUB", "SHARDCHANNELS"))
            found.append((channels, int(stats.get("cmdstat_evalsha", {}).get("calls", 0)), cpu_seconds(pid)))
        return found

    channels = [f"spread-{time.monotonic_ns()}-{i}" for i in range(SPREAD_CHANNELS)]
    history = History(size=MISSED)
    async with Broadcast(url, history=history) as subscriber, Broadcast(url, history=history) as publisher:
        for channel in channels:
            await subscriber.subscribe(channel, _no_op_send)
        before = await counts()
        for i in range(n):
            await publisher.publish(channels[i % SPREAD_CHANNELS], f"message {i:06d}")
        after = await counts()
    for client, _ in masters:
        await client.aclose()
    return [
        (channels, calls - calls_before, (cpu - cpu_before) * 1e3)
        for (_, calls_before, cpu_before), (channels, calls, cpu) in zip(before, after, strict=True)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="publishes per row")
    parser.add_argument("--repeat", type=int, default=5, help="interleaved repetitions (medians printed)")
    parser.add_argument("--cluster", action="store_true", help="a Redis Cluster too (3 masters)")
    options = parser.parse_args(argv)
    results = asyncio.run(_backend("memory://", "memory://", [], options.n, options.repeat))
    spread: list[tuple[int, int, float]] = []
    kept = asyncio.run(_kept_bytes())
    for cluster in (False, True) if options.cluster else (False,):
        processes, url = _redis(cluster)
        try:
            label = "redis+cluster" if cluster else "redis"
            pids = [process.pid for process in processes]
            results += asyncio.run(_backend(label, url, pids, options.n, options.repeat))
            if cluster:
                spread = asyncio.run(_spread(url, options.n * 5))
        finally:
            for process in processes:
                process.kill()
                process.wait()
    print(f"{'row':<28} {'fastws µs':>10} {'Redis µs':>9} {'total µs':>9} {'wall µs':>9}   (per message)")
    for name, (own, redis, wall) in results:
        print(f"{name:<28} {own:>10.2f} {redis:>9.2f} {own + redis:>9.2f} {wall:>9.2f}")
    print(f"\nmemory: {kept:.0f} bytes per kept 64-byte message (memory://, {KEPT:,} kept, one subscriber)")
    if options.cluster:
        print(f"\nspread: {options.n * 5} publishes over {SPREAD_CHANNELS} channels, per master (its own INFO)")
        for number, (channels, publishes, cpu_ms) in enumerate(spread, 1):
            print(f"master {number}: {channels:4d} channels  {publishes:6d} publishes  {cpu_ms:7.0f} ms CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())

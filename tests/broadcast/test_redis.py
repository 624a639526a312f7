"""``fastws.Broadcast`` on a real Redis server.

Hubs in this process stand for processes (each has its own pub/sub
connection and origin id); ``test_two_server_processes`` then runs two
real ``fastws run`` processes with clients on each. Redis is CI's
(``FASTWS_TEST_REDIS_URL``) or one started here; the restart tests start
their own, so they can stop and start it.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

import fastws
from fastws.broadcast import BackendUnavailable, Broadcast, Event
from fastws.protocol import WebSocketProtocol
from fastws.settings import Settings
from tests.helpers.chat import chat_reaches_everyone, join_chat, start_demo, stop_servers, two_servers_share_the_room
from tests.helpers.frames import client_frame
from tests.helpers.redis_server import RedisServer, free_port, fresh_channel
from tests.helpers.serving import TIMEOUT, raw_upgrade, run, running

pytest.importorskip("redis")


async def _numsub(url: str, channel: str) -> int:
    from redis import asyncio as aioredis

    client = aioredis.Redis.from_url(url)
    try:
        return int(dict(await client.pubsub_numsub(f"fastws:{channel}"))[f"fastws:{channel}".encode()])
    finally:
        await client.aclose()


def test_an_unreachable_redis_fails_at_connect() -> None:
    async def main() -> None:
        hub = Broadcast(f"redis://127.0.0.1:{free_port()}/0", connect_timeout=2.0)
        began = time.monotonic()
        with pytest.raises(BackendUnavailable, match="cannot reach Redis"):
            await hub.connect()
        assert time.monotonic() - began < 10 and not hub.connected

    run(main())


def test_the_first_subscribe_delivers(redis_url: str) -> None:
    """A message published right after ``subscribe`` returned arrives (for 20 fresh channels)."""

    async def main() -> None:
        async with Broadcast(redis_url) as a, Broadcast(redis_url) as b:
            for i in range(20):
                channel = fresh_channel(f"first{i}")
                async with a.subscribe(channel) as sub:
                    await b.publish(channel, f"hello {i}")
                    assert await asyncio.wait_for(sub.get(), TIMEOUT) == Event(channel, f"hello {i}")

    run(main())


def test_a_thousand_concurrent_subscribes_all_deliver(redis_url: str) -> None:
    async def main() -> None:
        channels = [fresh_channel(f"many{i}") for i in range(10)]
        async with Broadcast(redis_url) as a, Broadcast(redis_url) as b:
            subs = [a.subscribe(channels[i % 10]) for i in range(1000)]
            await asyncio.gather(*(s.__aenter__() for s in subs))
            for channel in channels:
                await b.publish_json(channel, {"to": channel})
                await b.publish(channel, b"\x00" + channel.encode())
            for i, sub in enumerate(subs):
                channel = channels[i % 10]
                assert await asyncio.wait_for(sub.get(), TIMEOUT) == Event(
                    channel, json.dumps({"to": channel}, separators=(",", ":"))
                )
                assert await asyncio.wait_for(sub.get(), TIMEOUT) == Event(channel, b"\x00" + channel.encode())
            for sub in subs:
                await sub.__aexit__(None, None, None)
            for channel in channels:
                await _until_numsub(redis_url, channel, 0)

    run(main())


async def _until_numsub(url: str, channel: str, count: int) -> None:
    async with asyncio.timeout(TIMEOUT):
        while await _numsub(url, channel) != count:
            await asyncio.sleep(0.02)


def test_one_redis_subscription_per_process_and_channel_and_no_echo(redis_url: str) -> None:
    async def main() -> None:
        channel = fresh_channel("once")
        async with Broadcast(redis_url) as a, Broadcast(redis_url) as b:
            async with a.subscribe(channel) as a1, a.subscribe(channel) as a2, b.subscribe(channel) as b1:
                assert await _numsub(redis_url, channel) == 2  # two processes, not three subscribers
                await a.publish(channel, "from a")
                for sub in (a1, a2, b1):
                    assert (await asyncio.wait_for(sub.get(), TIMEOUT)).message == "from a"
                await b.publish(channel, "from b")
                for sub in (a1, a2, b1):  # each exactly once: a's own copy from Redis is skipped
                    assert (await asyncio.wait_for(sub.get(), TIMEOUT)).message == "from b"
                await asyncio.sleep(0.2)
                assert not a1._target.backlog and not b1._target.backlog  # type: ignore[union-attr]
            await _until_numsub(redis_url, channel, 0)

    run(main())


def test_concurrent_connects_share_one_listener(redis_url: str) -> None:
    """Apps that connect lazily from many tasks at once: one pub/sub connection, so one copy per message."""

    async def main() -> None:
        channel = fresh_channel("lazy")
        hub, other = Broadcast(redis_url), Broadcast(redis_url)
        await asyncio.gather(*(hub.connect() for _ in range(50)))
        listeners = [t for t in asyncio.all_tasks() if "Link._run" in t.get_coro().__qualname__]
        assert len(listeners) == 1
        async with other, hub.subscribe(channel) as sub:
            await other.publish(channel, "once")
            assert (await asyncio.wait_for(sub.get(), TIMEOUT)).message == "once"
            await asyncio.sleep(0.3)
            assert not sub._target.backlog  # type: ignore[union-attr]
        await hub.disconnect()

    run(main())


def test_a_dead_listener_is_restarted_and_logged(redis_url: str, caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        channel = fresh_channel("crash")
        async with Broadcast(redis_url, reconnect_delay=0.05) as a, Broadcast(redis_url) as b:
            route = a.backend.message  # type: ignore[attr-defined]
            crashes: list[bytes] = []

            def crash_once(key: bytes, envelope: bytes) -> None:
                if not crashes:
                    crashes.append(envelope)
                    raise RuntimeError("a bug in the listener")
                route(key, envelope)

            a.backend.message = crash_once  # type: ignore[attr-defined]
            async with a.subscribe(channel) as sub:
                await b.publish(channel, "lost with the crash")
                async with asyncio.timeout(TIMEOUT):
                    while True:  # at most once: the message that met the bug is gone; later ones arrive
                        await b.publish(channel, "after")
                        try:
                            event = await asyncio.wait_for(sub.get(), 0.2)
                            break
                        except TimeoutError:
                            continue
                assert event.message == "after" and len(crashes) == 1
        assert any("listener stopped" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)

    run(main())


def test_order_is_kept_per_publisher() -> None:
    with RedisServer() as server:

        async def main() -> None:
            channel = fresh_channel("order")
            async with Broadcast(server.url) as a, Broadcast(server.url) as b, a.subscribe(channel) as sub:
                for i in range(500):
                    await b.publish(channel, f"{i}")
                got = [(await asyncio.wait_for(sub.get(), TIMEOUT)).message for _ in range(500)]
                assert got == [f"{i}" for i in range(500)]

        run(main())


def test_redis_restarted_both_hubs_reconnect_and_later_messages_arrive() -> None:
    with RedisServer() as server:

        async def main() -> None:
            events: list[str] = []
            options: dict[str, Any] = {"health_check_interval": 0.5, "reconnect_max_delay": 0.5, "connect_timeout": 2}
            a = Broadcast(server.url, on_backend_disconnect=lambda: events.append("a down"),
                          on_backend_reconnect=lambda: events.append("a up"), **options)  # fmt: skip

            async def b_up() -> None:
                events.append("b up")

            b = Broadcast(server.url, on_backend_reconnect=b_up, **options)
            channel = fresh_channel("restart")
            async with a, b, a.subscribe(channel) as on_a, b.subscribe(channel) as on_b:
                await a.publish(channel, "before")
                assert (await on_b.get()).message == "before" and (await on_a.get()).message == "before"
                server.stop()
                with pytest.raises(BackendUnavailable):
                    await a.publish(channel, "while down")
                assert (await on_a.get()).message == "while down"  # local subscribers still get it
                server.start()
                async with asyncio.timeout(TIMEOUT):
                    while not {"a up", "b up"} <= set(events):
                        await asyncio.sleep(0.05)
                assert events.index("a down") < events.index("a up")
                await b.publish(channel, "after")
                assert (await asyncio.wait_for(on_a.get(), TIMEOUT)).message == "after"
                assert (await asyncio.wait_for(on_b.get(), TIMEOUT)).message == "after"

        run(main())


def test_two_server_processes_share_the_demo_chat_room(redis_url: str) -> None:
    """Two ``fastws run --broadcast redis://`` processes: a message sent on either reaches every client on both."""
    two_servers_share_the_room(redis_url)


def test_the_demo_chat_spans_workers(redis_url: str) -> None:
    """``fastws run --workers 2 --broadcast redis://``: members on both workers all get every message."""
    port = free_port()
    servers = [start_demo(redis_url, port, workers=2)]
    try:

        async def main() -> None:
            joined = [await join_chat(port)]
            for _ in range(10):  # the kernel picks the worker: connect in bursts, both take some
                if len({worker for _, worker in joined}) == 2:
                    break
                await asyncio.sleep(0.3)  # the other worker may still be starting
                joined += await asyncio.gather(*(join_chat(port) for _ in range(20)))
            workers = {worker for _, worker in joined}
            assert len(workers) == 2, f"{len(joined)} connections all went to one worker: {workers}"
            clients = [ws for ws, _ in joined]
            first_on = {worker: ws for ws, worker in reversed(joined)}
            await chat_reaches_everyone(clients, list(first_on.values()))
            for client in clients:
                await client.close()

        run(main())
    finally:
        stop_servers(servers)


def test_two_server_processes_ride_out_a_redis_restart() -> None:
    """Redis restarted under two ``fastws run`` processes: both reconnect (their clients are told) and later messages arrive."""
    with RedisServer() as redis:
        ports = [free_port(), free_port()]
        servers = [start_demo(redis.url, port) for port in ports]
        try:

            async def notice(client: Any, wanted: str) -> str:
                """The first notice with ``wanted`` in it: a publish in flight when Redis stopped may add one before."""
                async with asyncio.timeout(30):
                    while True:
                        got = json.loads(await client.recv())
                        if got["type"] == "notice" and wanted in got["text"]:
                            return str(got["text"])

            async def main() -> None:
                joined = [await join_chat(ports[i % 2]) for i in range(4)]
                clients = [ws for ws, _ in joined]
                await chat_reaches_everyone(clients, clients[:2])
                redis.stop()
                for client in clients:  # every process tells its members the room's backend is gone
                    assert "messages may be missed" in await notice(client, "unreachable:")
                redis.start()
                for client in clients:  # ... and that it is back
                    assert "may have been missed" in await notice(client, "is back")
                await chat_reaches_everyone(clients, clients[:2])
                for client in clients:
                    await client.close()

            asyncio.run(asyncio.wait_for(main(), 90))  # two server starts, an outage and a reconnect
        finally:
            stop_servers(servers)


class Draining(WebSocketProtocol):
    """fastws' protocol with a half-second drain window."""

    settings = Settings(ws_drain_window=0.5)


def _room(hub: Broadcast, channel: str) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        websocket = fastws.WebSocket(scope, receive, send)
        await websocket.accept()
        await hub.subscribe(channel, websocket)
        await websocket.send_text("ready")
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass

    return app


async def _frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await asyncio.wait_for(reader.readexactly(2), TIMEOUT)
    return head[0] & 0x0F, await asyncio.wait_for(reader.readexactly(head[1] & 0x7F), TIMEOUT)


def test_a_draining_worker_closes_its_subscribers_and_the_others_keep_receiving(redis_url: str) -> None:
    """Two servers (two workers) on one Redis: one drains; its subscribers get 1012, the other's get everything."""
    channel = fresh_channel("drain")

    async def until_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> int:
        while True:
            opcode, payload = await _frame(reader)
            if opcode == 0x8:
                writer.write(client_frame(0x8, payload[:2]))
                return int.from_bytes(payload[:2], "big")

    async def main() -> None:
        async with Broadcast(redis_url) as hub_a, Broadcast(redis_url) as hub_b:
            async with running(_room(hub_b, channel), ws=Draining) as (_, url_b):
                async with running(_room(hub_a, channel), ws=Draining) as (server_a, url_a):
                    on_a = [await raw_upgrade(url_a) for _ in range(5)]
                    on_b = [await raw_upgrade(url_b) for _ in range(5)]
                    for reader, _, _ in [*on_a, *on_b]:
                        assert await _frame(reader) == (0x1, b"ready")
                    server_a.should_exit = True  # worker A drains
                    sent = []
                    for i in range(40):  # published on B while A drains, and after
                        sent.append(f"m{i}".encode())
                        await hub_b.publish(channel, f"m{i}")
                        await asyncio.sleep(0.02)
                    codes = await asyncio.gather(*(until_close(reader, writer) for reader, writer, _ in on_a))
                    assert codes == [1012] * 5
                    for reader, _, _ in on_b:
                        assert [(await _frame(reader))[1] for _ in sent] == sent
                    for _, writer, _ in [*on_a, *on_b]:
                        writer.close()

    run(main())


def test_a_channel_left_and_joined_again_at_once_keeps_delivering(redis_url: str) -> None:
    """The last subscriber leaves and one comes back right away (a client reconnecting): Redis still delivers."""

    async def main() -> None:
        channel = fresh_channel("rejoin")
        async with Broadcast(redis_url) as a, Broadcast(redis_url) as b:
            for round_ in range(20):
                async with a.subscribe(channel):
                    pass  # left: its UNSUBSCRIBE is on its way
                if round_ % 2:
                    await asyncio.sleep(0)  # let the UNSUBSCRIBE go out before the new SUBSCRIBE
                async with a.subscribe(channel) as again:
                    await b.publish(channel, f"{round_}")
                    assert (await asyncio.wait_for(again.get(), TIMEOUT)).message == f"{round_}"

    run(main())

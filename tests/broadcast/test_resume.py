"""Resuming with history, on ``memory://``, a real Redis and a real Redis Cluster: what was missed, then live; or a gap.

Each test runs on every backend (``backend`` fixture). On Redis the
publisher and the subscriber are different hubs, standing for two
processes; on ``memory://`` they are one hub.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from websockets.asyncio.client import connect

import fastws
from fastws import _protocol_core
from fastws.broadcast import (
    Broadcast,
    History,
    HistoryGap,
    InvalidHistory,
    InvalidPosition,
    Position,
    Subscription,
)
from fastws.broadcast.history import Page, Ring
from fastws.broadcast.message import Message
from fastws.broadcast.resume import Member, Reads, Resuming, resume
from fastws.broadcast.targets import Delivery, QueueTarget
from tests.helpers.cores import opened
from tests.helpers.redis_server import RedisServer, fresh_channel
from tests.helpers.serving import TIMEOUT, run, serving


@pytest.fixture(params=["memory", "redis", "cluster"])
def backend(request: pytest.FixtureRequest) -> str:
    """The URL of the backend under test."""
    if request.param == "memory":
        return "memory://"
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@asynccontextmanager
async def _hubs(url: str, **options: Any) -> AsyncIterator[tuple[Broadcast, Broadcast]]:
    """(publisher, subscriber): two hubs on Redis (two processes), one on memory://."""
    async with AsyncExitStack() as stack:
        publisher = await stack.enter_async_context(Broadcast(url, **options))
        subscriber = publisher if url == "memory://" else await stack.enter_async_context(Broadcast(url, **options))
        yield publisher, subscriber


async def _take(subscription: Subscription, count: int) -> list[str]:
    return [str((await asyncio.wait_for(subscription.get(), TIMEOUT)).message) for _ in range(count)]


@pytest.mark.parametrize("someone_stays", [False, True], ids=["alone", "others-stay"])
def test_a_dropped_subscriber_resumes_with_exactly_what_it_missed(backend: str, someone_stays: bool) -> None:
    """It leaves after 50 messages while 300 more are published, comes back: every one, in order, once."""

    async def main() -> None:
        channel = fresh_channel("drop")
        async with _hubs(backend, history=History(size=1000)) as (publisher, subscriber), AsyncExitStack() as stay:
            if someone_stays:  # then the subscriber's hub has seen the channel live throughout
                await stay.enter_async_context(subscriber.subscribe(channel))
            published: list[Position | None] = []

            async def publish(start: int, count: int) -> None:
                for i in range(start, start + count):
                    published.append(await publisher.publish(channel, f"{i}"))
                    if i % 7 == 0:
                        await asyncio.sleep(0.001)

            async with subscriber.subscribe(channel) as first:
                await publish(0, 50)
                seen = [await asyncio.wait_for(first.get(), TIMEOUT) for _ in range(50)]
            assert [event.message for event in seen] == [f"{i}" for i in range(50)]
            last = seen[-1].position
            assert last is not None and last == published[49]
            await publish(50, 100)  # missed
            during = asyncio.create_task(publish(150, 200))  # published while it resumes
            async with subscriber.subscribe(channel, since=last.token) as again:
                await asyncio.sleep(0)
                got = await _take(again, 300)
                await during
                await asyncio.sleep(0.1)
                assert again._target is not None and not again._target.backlog  # nothing twice
            assert got == [f"{i}" for i in range(50, 350)]

    run(main())


def test_positions_are_dense_and_every_hub_sees_history_order(backend: str) -> None:
    """Two publishers (two processes on Redis) at once: each subscriber gets offsets 1, 2, 3... once each."""

    async def main() -> None:
        channel = fresh_channel("order")
        async with (
            _hubs(backend, history=History(size=100)) as (a, b),
            a.subscribe(channel) as on_a,
            b.subscribe(channel) as on_b,
        ):
            positions = await asyncio.gather(*(hub.publish(channel, f"{i}") for i in range(100) for hub in (a, b)))
            assert sorted(p.offset for p in positions if p is not None) == list(range(1, 201))
            for subscription in (on_a, on_b):
                events = [await asyncio.wait_for(subscription.get(), TIMEOUT) for _ in range(200)]
                assert [e.position.offset for e in events if e.position is not None] == list(range(1, 201))

    run(main())


def test_an_old_position_is_a_gap_raised_or_told(backend: str) -> None:
    async def main() -> None:
        channel = fresh_channel("gap")
        async with _hubs(backend, history=History(size=5)) as (publisher, subscriber):
            first = await publisher.publish(channel, "0")
            for i in range(1, 20):
                latest = await publisher.publish(channel, f"{i}")
            assert first is not None and latest is not None
            with pytest.raises(HistoryGap) as raised:
                await subscriber.subscribe(channel, since=first).__aenter__()
            assert (raised.value.reason, raised.value.since, raised.value.latest) == ("expired", first, latest)
            assert subscriber.subscribers(channel) == 0  # not subscribed

            told: list[HistoryGap] = []

            async def on_gap(gap: HistoryGap) -> None:
                await asyncio.sleep(0.05)  # awaited before any live message
                told.append(gap)

            async with subscriber.subscribe(channel, since=first, on_gap=on_gap) as sub:
                assert [gap.reason for gap in told] == ["expired"]
                await publisher.publish(channel, "live")
                assert await _take(sub, 1) == ["live"]

            stale = Position(channel, latest.offset, "0" * 8)  # history started over since
            with pytest.raises(HistoryGap, match="another epoch") as raised:
                await subscriber.subscribe(channel, since=stale.token).__aenter__()
            assert raised.value.reason == "epoch"
            ahead = Position(channel, latest.offset + 10, latest.epoch)
            plain: list[str] = []
            async with subscriber.subscribe(channel, since=ahead, on_gap=lambda gap: plain.append(gap.reason)):
                assert plain == ["ahead"]

    run(main())


def test_a_resume_with_nothing_missed_is_just_live(backend: str) -> None:
    async def main() -> None:
        channel = fresh_channel("uptodate")
        async with _hubs(backend, history=History(size=5)) as (publisher, subscriber):
            latest = await publisher.publish(channel, "seen")
            async with subscriber.subscribe(channel, since=latest) as sub:
                await publisher.publish(channel, "next")
                event = await asyncio.wait_for(sub.get(), TIMEOUT)
                assert (
                    event.message == "next"
                    and latest is not None
                    and event.position == Position(channel, latest.offset + 1, latest.epoch)
                )

    run(main())


def test_history_past_its_ttl_is_gone(backend: str) -> None:
    async def main() -> None:
        channel = fresh_channel("ttl")
        async with _hubs(backend, history=History(size=100, ttl=0.3)) as (publisher, subscriber):
            first = await publisher.publish(channel, "0")
            await publisher.publish(channel, "1")
            async with subscriber.subscribe(channel, since=first) as sub:  # within the ttl: resumed
                assert await _take(sub, 1) == ["1"]
            await asyncio.sleep(0.6)
            with pytest.raises(HistoryGap) as raised:
                await subscriber.subscribe(channel, since=first).__aenter__()
            assert raised.value.reason == "expired"

    run(main())


def test_history_can_be_set_per_channel(backend: str) -> None:
    async def main() -> None:
        channel = fresh_channel("kept")

        def history(name: str) -> History | None:
            return History(size=10) if name.startswith("kept") else None

        async with _hubs(backend, history=history) as (publisher, _):
            assert isinstance(await publisher.publish(channel, "x"), Position)
            assert await publisher.publish("other" + channel, "x") is None
            with pytest.raises(InvalidHistory, match="keeps no history"):
                publisher.subscribe("other" + channel, since=Position("other" + channel, 1, "ab").token)
            with pytest.raises(InvalidHistory, match="keeps no history"):
                await publisher.publish_json("other" + channel, {"a": 1}, position_key="pos")

    run(main())


def test_a_channel_whose_history_shrinks_while_subscribed_resumes_from_what_it_keeps(backend: str) -> None:
    """The policy of a channel changes under its subscribers: what it keeps now is what they resume from."""

    async def main() -> None:
        channel = fresh_channel("shrinks")
        size = [10]
        async with _hubs(backend, history=lambda name: History(size=size[0])) as (publisher, subscriber):
            async with subscriber.subscribe(channel) as staying:
                positions = [await publisher.publish(channel, f"{i}") for i in range(6)]
                await _take(staying, 6)
                size[0] = 3
                positions += [await publisher.publish(channel, f"{i}") for i in range(6, 9)]
                await _take(staying, 3)
                async with subscriber.subscribe(channel, since=positions[5]) as resumed:
                    assert await _take(resumed, 3) == ["6", "7", "8"]
                with pytest.raises(HistoryGap) as gap:
                    await subscriber.subscribe(channel, since=positions[4]).__aenter__()
                assert gap.value.reason == "expired"

    run(main())


def test_bad_input_gets_typed_errors(backend: str) -> None:
    async def main() -> None:
        with pytest.raises(InvalidHistory):
            Broadcast(backend, history=5)  # type: ignore[arg-type]
        with pytest.raises(InvalidHistory):
            Broadcast(backend, history=History(size=0))
        channel = fresh_channel("bad")
        async with Broadcast(backend, history=lambda name: 10) as hub:  # type: ignore[arg-type,return-value]
            with pytest.raises(InvalidHistory, match="returned int"):
                await hub.publish(channel, "x")
        async with Broadcast(backend, history=History(size=3)) as hub:
            for since in ("", "garbage", "1.ab", "1.ab.00000000", Position("elsewhere", 1, "ab")):
                with pytest.raises(InvalidPosition):
                    hub.subscribe(channel, since=since)
            with pytest.raises(InvalidPosition, match="another channel"):
                hub.subscribe(channel, since=Position("elsewhere", 1, "ab").token)
            with pytest.raises(TypeError, match="is a dict"):
                await hub.publish_json(channel, [1], position_key="pos")

    run(main())


def test_a_thousand_resuming_at_once_read_history_once(backend: str) -> None:
    """A reconnect storm on one channel: each gets exactly its missed messages, for one read of Redis in all.

    On ``memory://`` the hub's tail is the history itself: no read at all.
    """

    async def main(backend: str) -> None:
        channel = fresh_channel("storm")
        async with _hubs(backend, history=History(size=1000)) as (publisher, subscriber):
            positions = [await publisher.publish(channel, f"{i}") for i in range(200)]
            reads = _count_reads(subscriber)
            resumers = [subscriber.subscribe(channel, since=positions[100 + i % 50]) for i in range(1000)]
            before = await _commands(backend, "xrange")
            await asyncio.gather(*(sub.__aenter__() for sub in resumers))
            for i, sub in enumerate(resumers):
                missed = 200 - (101 + i % 50)
                assert await _take(sub, missed) == [f"{n}" for n in range(101 + i % 50, 200)]
            assert reads() == (0 if backend == "memory://" else 1)
            if backend.startswith("redis://"):
                assert await _commands(backend, "xrange") - before == 1  # Redis' own count
            for sub in resumers:
                await sub.__aexit__(None, None, None)

    if not backend.startswith("redis://"):
        run(main(backend))  # (a cluster: its commands are counted by the backend's reads)
        return
    with RedisServer() as server:  # its own: Redis' count is this test's alone
        run(main(server.url))


def _count_reads(hub: Broadcast) -> Any:
    """Count the backend's history reads from now on (returns a function that gives the count)."""
    read = hub.backend.read
    count = [0]

    async def counted(*args: Any) -> Any:
        count[0] += 1
        return await read(*args)

    hub.backend.read = counted  # type: ignore[method-assign]
    return lambda: count[0]


def test_history_that_never_joins_up_with_the_live_messages_is_unavailable() -> None:
    """The backend covers the gap, but every read ends short of what came live: "unavailable", not "expired"."""

    class Stale:  # a backend that lags behind the live messages (three reads, each the same old page)
        reads = 0

        async def read(self, channel: str, after: int, history: History) -> Page:
            self.reads += 1
            return Page("e", 120, [_at(channel, offset) for offset in range(90, 121)])

    async def main() -> None:
        channel = fresh_channel("stale")
        tail = Ring(History(size=100))
        for offset in range(150, 160):  # what the hub saw live: from 150 on
            tail.add(_at(channel, offset), now=time.monotonic())
        delivery = Delivery(1 << 20, "close", 1.0, ended=lambda target: None, spawn=asyncio.ensure_future)
        target = QueueTarget(delivery)
        members: dict[int, Member] = {}
        resuming = members[id(target)] = Resuming(target, members, tail)
        backend = Stale()
        with pytest.raises(HistoryGap) as gap:
            await resume(channel, resuming, Position(channel, 100, "e"), None, History(), Reads(backend))  # type: ignore[arg-type]
        assert (gap.value.reason, backend.reads) == ("unavailable", 3)

    run(main())


def test_what_history_sent_ahead_of_the_live_messages_is_not_sent_again_when_they_arrive() -> None:
    """The backend's read reached further than pub/sub had: those messages' live copies come after go_live."""

    class Ahead:  # the history read has 50..60; their live copies are still on their way
        async def read(self, channel: str, after: int, history: History) -> Page:
            return Page("e", 60, [_at(channel, offset) for offset in range(1, 61)])

    async def main() -> None:
        channel = fresh_channel("ahead")
        tail = Ring(History(size=100))  # the hub's tail of a channel it (re)joined: nothing seen live yet
        delivery = Delivery(1 << 20, "close", 1.0, ended=lambda target: None, spawn=asyncio.ensure_future)
        target = QueueTarget(delivery)
        members: dict[int, Member] = {}
        members[id(target)] = Resuming(target, members, tail)
        resuming = members[id(target)]
        assert isinstance(resuming, Resuming)
        await resume(channel, resuming, Position(channel, 49, "e"), None, History(), Reads(Ahead()))  # type: ignore[arg-type]
        for offset in (55, 60, 61, 62):  # pub/sub catching up, as the hub delivers to the channel's members
            members[id(target)].deliver(_at(channel, offset))
        got = [int(message.data) for message in target.backlog]
        assert got == list(range(50, 63))  # each once, in order
        assert members[id(target)] is target  # its place given back once the live messages went past

    run(main())


def _at(channel: str, offset: int) -> Message:
    return Message(str(offset).encode(), False).at(Position(channel, offset, "e"))


async def _commands(url: str, name: str) -> int:
    """How many times Redis ran command ``name`` (scripts' commands included)."""
    if not url.startswith("redis://"):
        return 0
    from redis import asyncio as aioredis

    client = aioredis.Redis.from_url(url)
    try:
        stats = await client.info("commandstats")
        return int(stats.get(f"cmdstat_{name}", {}).get("calls", 0))
    finally:
        await client.aclose()


def test_a_redis_restarted_without_persistence_starts_a_new_epoch() -> None:
    pytest.importorskip("redis")
    with RedisServer() as server:

        async def main() -> None:
            channel = fresh_channel("restart")
            options: dict[str, Any] = {"health_check_interval": 0.5, "reconnect_max_delay": 0.3, "connect_timeout": 2}
            async with Broadcast(server.url, history=History(size=10), **options) as hub:
                before = await hub.publish(channel, "before")
                server.stop()
                server.start()
                async with asyncio.timeout(TIMEOUT):
                    while True:
                        try:
                            after = await hub.publish(channel, "after")
                            break
                        except fastws.broadcast.BackendUnavailable:
                            await asyncio.sleep(0.05)
                assert before is not None and after is not None and after.epoch != before.epoch
                assert after.offset == 1
                with pytest.raises(HistoryGap) as raised:
                    await hub.subscribe(channel, since=before).__aenter__()
                assert raised.value.reason == "epoch" and raised.value.latest == after

        run(main())


def test_clients_resume_over_a_real_server_with_the_position_in_each_message(backend: str) -> None:
    """A WebSocket client keeps the "pos" of the last message, reconnects with it, gets what it missed."""

    async def main() -> None:
        channel = fresh_channel("room")
        async with _hubs(backend, history=History(size=100)) as (publisher, hub):

            async def endpoint(websocket: fastws.WebSocket) -> None:
                await websocket.accept()

                async def reset(gap: HistoryGap) -> None:
                    await websocket.send_json({"reset": gap.reason})

                since = websocket.query_params.get("since")
                await hub.subscribe(channel, websocket, since=since, on_gap=reset)
                await websocket.send_json({"subscribed": True})  # after what it missed, before the live ones
                await websocket.receive()  # until the client leaves

            async def receive(client: Any, count: int) -> list[dict[str, Any]]:
                return [json.loads(await asyncio.wait_for(client.recv(), TIMEOUT)) for _ in range(count)]

            app = Starlette(routes=[WebSocketRoute("/ws", endpoint)])
            async with serving(app) as url:
                async with connect(f"{url}/ws") as client:
                    assert await receive(client, 1) == [{"subscribed": True}]
                    for i in range(3):
                        await publisher.publish_json(channel, {"n": i}, position_key="pos")
                    received = await receive(client, 3)
                assert [m["n"] for m in received] == [0, 1, 2] and list(received[0]) == ["pos", "n"]
                await _until_subscribed(hub, channel, 0)
                for i in range(3, 6):
                    await publisher.publish_json(channel, {"n": i}, position_key="pos")
                async with connect(f"{url}/ws?since={received[-1]['pos']}") as client:
                    missed = await receive(client, 4)
                    await publisher.publish_json(channel, {"n": 6}, position_key="pos")
                    live = await receive(client, 1)
                assert [m.get("n") for m in missed + live] == [3, 4, 5, None, 6] and missed[-1] == {"subscribed": True}
                async with connect(f"{url}/ws?since=1.00000000.{received[0]['pos'][-8:]}") as client:
                    assert await receive(client, 2) == [{"reset": "epoch"}, {"subscribed": True}]

    run(main())


async def _until_subscribed(hub: Broadcast, channel: str, count: int) -> None:
    async with asyncio.timeout(TIMEOUT):
        while hub.subscribers(channel) != count:
            await asyncio.sleep(0.01)


class _Sink:
    """An ASGI ``send`` that keeps the texts it is given."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    async def __call__(self, message: dict[str, Any]) -> None:
        self.texts.append(message["text"])


def test_a_failed_resume_leaves_a_live_subscription_as_it_was_and_keeps_no_target() -> None:
    async def main() -> None:
        async with _hubs("memory://", history=History(size=2)) as (hub, _):
            first = await hub.publish("room", "0")
            for i in range(1, 6):
                await hub.publish("room", f"{i}")
            assert first is not None
            live = _Sink()
            await hub.subscribe("room", live)
            with pytest.raises(HistoryGap):
                await hub.subscribe("room", live, since=first)  # the same connection, resuming too far back
            assert hub.subscribers("room") == 1
            await hub.publish("room", "after")
            await asyncio.sleep(0.01)
            assert live.texts == ["after"]

            newcomer = _Sink()
            with pytest.raises(HistoryGap):
                await hub.subscribe("room", newcomer, since=first)
            gone = weakref.ref(newcomer)
            del newcomer
            gc.collect()
            assert gone() is None  # the hub let go of its target (and with it of its send)

    run(main())


def test_a_resumed_connections_next_send_follows_what_it_missed() -> None:
    # the missed messages wait for a full transport: the resume returns once they are all written, even
    # when the transport fills up again midway, so the app's next send comes after them
    async def main() -> list[str]:
        core = opened(_protocol_core, asyncio.get_running_loop())
        written: list[bytes] = []
        room = [0]  # frames the transport takes before it is full again (0: no end)

        def write(data: bytes) -> None:
            written.append(bytes(data))
            if room[0]:
                room[0] -= 1
                if not room[0]:
                    core.pause_writing()

        core.transport.write = write
        async with Broadcast(history=History(size=100)) as hub:
            first = await hub.publish("room", "m0")
            for i in range(1, 5):
                await hub.publish("room", f"m{i}")
            assert first is not None
            core.pause_writing()  # the client is slow right now

            async def resume_then_send() -> None:
                await hub.subscribe("room", core.send, since=first)
                await core.send({"type": "websocket.send", "text": "app"})

            app = asyncio.ensure_future(resume_then_send())
            await asyncio.sleep(0.01)
            room[0] = 2
            core.resume_writing()  # two go, then the transport is full again
            await asyncio.sleep(0.01)
            core.resume_writing()
            await asyncio.wait_for(app, TIMEOUT)
        return [frame[2:].decode() for frame in written]

    assert run(main()) == ["m1", "m2", "m3", "m4", "app"]


def test_a_slow_subscriber_closed_while_it_resumes_is_no_error_of_the_caller() -> None:
    # its sends were cancelled for the overflow: the caller was not, and gets no CancelledError
    async def main() -> None:
        async with Broadcast(max_buffer=400, history=History(size=100)) as hub:
            never = asyncio.Event()

            async def send(message: dict[str, Any]) -> None:  # a client that never reads
                await never.wait()

            first = await hub.publish("room", "m0")
            for i in range(1, 4):
                await hub.publish("room", f"m{i}")
            assert first is not None

            async def resume() -> None:
                await hub.subscribe("room", send, since=first)

            resuming = asyncio.ensure_future(resume())
            await asyncio.sleep(0.01)
            for _ in range(20):
                await hub.publish("room", "x" * 20)
            await asyncio.wait_for(resuming, TIMEOUT)
            assert hub.closed_slow == 1

    run(main())

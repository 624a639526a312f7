"""``fastws.Broadcast`` in one process (``memory://``), without a network.

URLs and options, the connected-hub rule, iterator subscriptions (order,
ending, the slow-iterator policies) and the typed errors of bad messages.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

from fastws.broadcast import (
    Broadcast,
    Event,
    History,
    MessageTooLarge,
    NotConnected,
    SubscriberTooSlow,
    UnknownBackend,
)
from fastws.broadcast.targets import ENTRY_COST
from tests.helpers.serving import TIMEOUT, run


def test_urls_and_options_are_checked() -> None:
    for url in ("kafka://host", "memory", "", "http://x"):
        with pytest.raises(UnknownBackend):
            Broadcast(url)
    with pytest.raises(ValueError, match="overflow"):
        Broadcast(overflow="block")
    with pytest.raises(ValueError, match="bytes"):
        Broadcast(max_buffer=-1)
    assert isinstance(UnknownBackend("x"), ValueError)  # typed: callers may catch ValueError


def test_publish_and_subscribe_need_a_connected_hub() -> None:
    async def main() -> None:
        hub = Broadcast()
        with pytest.raises(NotConnected):
            await hub.publish("a", "x")
        with pytest.raises(NotConnected):
            async with hub.subscribe("a"):
                pass
        async with hub:
            await hub.publish("a", "x")  # no subscriber: fine
        with pytest.raises(NotConnected):
            await hub.publish_json("a", {})

    run(main())


def test_publish_reads_the_hubs_settings_at_each_call() -> None:
    """memory:// publishes in one frame while it has no history: the limit, a history assigned later and a
    disconnect count from the next publish on, and the counters count every delivery."""

    async def main() -> None:
        hub = Broadcast(max_message_size=3)
        async with hub, hub.subscribe("a") as a, hub.subscribe("a") as b:
            assert await hub.publish("a", "abc") is None  # at the limit
            hub.max_message_size = 2
            with pytest.raises(MessageTooLarge):
                await hub.publish("a", "abc")
            hub.max_message_size = 16
            hub.history = History(size=10)
            position = await hub.publish("a", "kept")
            assert position is not None and position.channel == "a"
            got = [[(await asyncio.wait_for(sub.get(), TIMEOUT)).message for _ in range(2)] for sub in (a, b)]
            assert got == [["abc", "kept"], ["abc", "kept"]]
            stats = hub.stats(0.0)
            assert (stats.published, stats.delivered) == (2, 4)
        with pytest.raises(NotConnected):
            await hub.publish("a", "x")

    run(main())


def test_iterator_subscriptions_get_each_message_once_in_order_per_channel() -> None:
    async def main() -> None:
        async with Broadcast() as hub:
            async with hub.subscribe("a") as a1, hub.subscribe("a") as a2, hub.subscribe("b") as b:
                assert hub.subscribers("a") == 2 and hub.subscribers("b") == 1
                for i in range(100):
                    await hub.publish("a", f"m{i}")
                await hub.publish("b", b"\x00bin")
                await hub.publish_json("a", {"k": ["é", 1.5, None]})
                await hub.publish_json("b", [1, 2], mode="binary")
                for sub in (a1, a2):
                    got = [await sub.get() for _ in range(101)]
                    assert [e.message for e in got[:100]] == [f"m{i}" for i in range(100)]
                    assert got[100] == Event("a", '{"k":["é",1.5,null]}')
                    assert got[0].channel == "a"
                assert await b.get() == Event("b", b"\x00bin")
                assert await b.get() == Event("b", b"[1,2]")
            assert hub.subscribers("a") == 0 and hub.subscribers("b") == 0

    run(main())


def test_async_for_ends_when_the_hub_disconnects() -> None:
    async def main() -> None:
        hub = Broadcast()
        await hub.connect()
        seen: list[Any] = []

        async def consume() -> None:
            async with hub.subscribe("news") as sub:
                ready.set()
                async for event in sub:
                    seen.append(event.message)

        ready = asyncio.Event()
        task = asyncio.create_task(consume())
        await ready.wait()
        await hub.publish("news", "one")
        await hub.publish("news", "two")
        await asyncio.sleep(0)
        await hub.disconnect()
        await asyncio.wait_for(task, TIMEOUT)
        assert seen == ["one", "two"]

    run(main())


def test_bad_messages_get_typed_errors() -> None:
    async def main() -> None:
        async with Broadcast(max_message_size=10) as hub:
            with pytest.raises(MessageTooLarge):
                await hub.publish("a", "x" * 11)
            with pytest.raises(TypeError):
                await hub.publish("a", 42)  # type: ignore[arg-type]
            with pytest.raises(TypeError):
                await hub.publish_json("a", {1, 2})  # not JSON serialisable
            with pytest.raises(ValueError, match="mode"):
                await hub.publish_json("a", [], mode="xml")
            with pytest.raises(TypeError):
                hub.subscribe("", None)
            with pytest.raises(TypeError):
                await hub.subscribe("a", 42)

    run(main())


@pytest.mark.parametrize(("overflow", "expected"), [("drop-newest", ["m0", "m1"]), ("drop-oldest", ["m8", "m9"])])
def test_a_slow_iterator_drops_by_policy(overflow: str, expected: list[str]) -> None:
    async def main() -> None:
        async with Broadcast(max_buffer=2 * (2 + ENTRY_COST), overflow=overflow) as hub, hub.subscribe("a") as sub:
            for i in range(10):
                await hub.publish("a", f"m{i}")  # 2 bytes each, and what holding each costs: two fit
            assert [(await sub.get()).message for _ in range(2)] == expected
            assert hub.dropped == 8

    run(main())


@pytest.mark.parametrize("overflow", ["close", "drop-newest", "drop-oldest"])
def test_empty_messages_fill_a_slow_subscribers_buffer_too(overflow: str) -> None:
    # each counts what holding it costs: a subscriber that does not read cannot hold 20,000 of them
    async def main() -> None:
        async with Broadcast(max_buffer=64 * 1024, overflow=overflow) as hub, hub.subscribe("a") as sub:
            for _ in range(20_000):
                await hub.publish("a", b"")
            kept = 0
            with pytest.raises(SubscriberTooSlow) if overflow == "close" else contextlib.nullcontext():
                with contextlib.suppress(TimeoutError):
                    while True:
                        await asyncio.wait_for(sub.get(), 0.05)
                        kept += 1
            assert kept <= 64 * 1024 // ENTRY_COST and hub.dropped + hub.closed_slow > 0

    run(main())


def test_drop_oldest_keeps_the_backlog_for_a_message_that_could_never_fit() -> None:
    async def main() -> None:
        async with Broadcast(max_buffer=4 * (2 + ENTRY_COST), overflow="drop-oldest") as hub, hub.subscribe("a") as sub:
            for i in range(3):
                await hub.publish("a", f"m{i}")
            await hub.publish("a", "x" * (5 * ENTRY_COST))  # over the whole buffer: dropped, and nothing else
            await hub.publish("a", "m3")
            assert [(await sub.get()).message for _ in range(4)] == ["m0", "m1", "m2", "m3"]
            assert hub.dropped == 1

    run(main())


def test_a_slow_iterator_is_ended_by_the_close_policy() -> None:
    async def main() -> None:
        async with Broadcast(max_buffer=2 * (2 + ENTRY_COST)) as hub, hub.subscribe("a") as sub:
            for i in range(3):
                await hub.publish("a", f"m{i}")
            with pytest.raises(SubscriberTooSlow):
                await sub.get()
            assert hub.closed_slow == 1 and hub.subscribers("a") == 0

    run(main())

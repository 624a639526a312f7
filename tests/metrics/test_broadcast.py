"""``fastws.metrics.snapshot().broadcast``: what ``fastws.Broadcast`` hubs have done and hold."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any

import pytest

import fastws.broadcast.hub
from fastws import metrics
from fastws.broadcast import BackendUnavailable, Broadcast
from fastws.broadcast.backends import Listener
from fastws.broadcast.message import Message
from fastws.broadcast.targets import ENTRY_COST
from fastws.metrics.counters import BroadcastStats
from tests.helpers.serving import run


def moved(before: BroadcastStats, after: BroadcastStats) -> dict[str, Any]:
    """Counters as differences, gauges as they are after (only what is not zero)."""
    gauges = ("hubs", "backends_connected", "channels", "subscriptions", "backlog_bytes")
    changes: dict[str, Any] = {}
    for name in BroadcastStats.__dataclass_fields__:
        old, new = getattr(before, name), getattr(after, name)
        if name in gauges:
            value = new
        elif isinstance(new, dict):
            value = {key: n - old.get(key, 0) for key, n in new.items() if n != old.get(key, 0)}
        else:
            value = new - old
        if value:
            changes[name] = value
    return changes


def test_publishing_to_subscriptions_then_disconnecting() -> None:
    async def main() -> tuple[dict[str, Any], dict[str, Any]]:
        before = metrics.snapshot().broadcast
        hub = Broadcast("memory://", overflow="drop-newest", max_buffer=2 * (41 + ENTRY_COST) + 40)
        async with hub, AsyncExitStack() as stack:
            for channel in ("a", "a", "b"):
                await stack.enter_async_context(hub.subscribe(channel))  # subscribers that never read
            for i in range(5):
                await hub.publish("a", f"message {i:02d} " + "x" * 30)  # 41 bytes: a third would not fit
            await hub.publish("b", "to b")
            await hub.publish("nobody", "to no one")
            during = moved(before, metrics.snapshot().broadcast)
        return during, moved(before, metrics.snapshot().broadcast)

    during, after = run(main())
    assert during == {
        "hubs": 1,
        "backends_connected": 1,
        "channels": 2,
        "subscriptions": 3,
        "backlog_bytes": 2 * 2 * (41 + ENTRY_COST) + 4 + ENTRY_COST,  # a's two subscribers keep two messages, b's one
        "published": 7,
        "delivered": 2 * 5 + 1,
        "dropped": {"drop-newest": 2 * 3},
    }
    # disconnected: the gauges go, the counters stay
    assert after == {"published": 7, "delivered": 11, "dropped": {"drop-newest": 6}}


class FlakyBackend:
    """A backend whose connection the test loses and brings back, and whose publish may fail."""

    def __init__(self) -> None:
        self.listener: Listener | None = None
        self.failing = False

    async def connect(self, listener: Listener) -> None:
        self.listener = listener

    async def disconnect(self) -> None:
        pass

    async def subscribe(self, channel: str) -> None:
        pass

    async def unsubscribe(self, channel: str) -> None:
        pass

    async def publish(self, channel: str, message: Message) -> None:
        if self.failing:
            raise BackendUnavailable("redis is down")


def test_backend_outages_reconnects_and_publish_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = FlakyBackend()
    monkeypatch.setattr(fastws.broadcast.hub, "backend_for", lambda url, **options: backend)

    async def main() -> tuple[dict[str, Any], dict[str, Any]]:
        before = metrics.snapshot().broadcast
        async with Broadcast("redis://test") as hub:
            assert backend.listener is not None
            backend.listener.on_lost()
            backend.failing = True
            with pytest.raises(BackendUnavailable):
                await hub.publish("a", "lost")
            await asyncio.sleep(0.2)
            down = moved(before, metrics.snapshot().broadcast)
            backend.failing = False
            backend.listener.on_back()
            await hub.publish("a", "back")
            back = moved(before, metrics.snapshot().broadcast)
        return down, back

    down, back = run(main())
    assert down["hubs"] == 1 and "backends_connected" not in down  # connected hub, its backend down
    assert down["publish_errors"] == 1 and down["backend_disconnected_seconds"] >= 0.2
    assert back["backends_connected"] == 1 and back["backend_reconnects"] == 1
    assert back["backend_disconnected_seconds"] >= down["backend_disconnected_seconds"]
    assert back["published"] == 2 and back["publish_errors"] == 1

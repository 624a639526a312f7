"""What fastws' protocol counts once per connection, per process: the store behind ``fastws.metrics``.

Per message, the codec counts (``fastws.wire.counts``: a C addition, nothing
here). Per connection, the protocol and the HTTP front record into
``COUNTERS``: the handshake's outcome, the connection while it is open (so
that a snapshot can sum what it holds), how it closed, the limit that
closed it, and how long its writing was paused. Each is a dictionary
update or a set operation, once per connection or per pause; nothing runs
per message.
"""

from __future__ import annotations

import dataclasses
import weakref
from collections import Counter
from dataclasses import dataclass, field
from typing import Final, Literal, Protocol

__all__ = [
    "CLOSE_SIDES",
    "COUNTERS",
    "HANDSHAKE_OUTCOMES",
    "LIMITS",
    "BroadcastStats",
    "Counters",
    "Gauged",
    "Hub",
    "Limit",
    "Outcome",
    "Side",
]

#: how a connection's upgrade ended: accepted (101); denied by the app (its status, 403 for a close);
#: invalid (a malformed or unsupported request: 400, 426, 431...); origin_refused (403, --ws-allowed-origins);
#: unavailable (503, over --limit-concurrency, or while draining); timed_out (408, --http-head-timeout);
#: failed (500: the app raised or returned before answering, or the server shut down first)
Outcome = Literal["accepted", "denied", "invalid", "origin_refused", "unavailable", "timed_out", "failed"]
HANDSHAKE_OUTCOMES: Final[tuple[Outcome, ...]] = (
    "accepted",
    "denied",
    "invalid",
    "origin_refused",
    "unavailable",
    "timed_out",
    "failed",
)
#: who ended an open connection: the client (its Close, or its TCP gone: 1006) or the server
#: (the app's close, a failure, a limit, a deadline, the shutdown)
Side = Literal["client", "server"]
CLOSE_SIDES: Final[tuple[Side, ...]] = ("client", "server")
#: the limits that close a connection: a message over --ws-max-size (1009); a peer that reads
#: nothing for --ws-write-timeout; a closing handshake over --ws-close-timeout; no pong within
#: --ws-ping-timeout; a fastws.Broadcast subscriber too far behind (policy "close", 1013)
Limit = Literal["message_size", "write_timeout", "close_timeout", "ping_timeout", "slow_subscriber"]
LIMITS: Final[tuple[Limit, ...]] = ("message_size", "write_timeout", "close_timeout", "ping_timeout", "slow_subscriber")


class Gauged(Protocol):
    """What a snapshot reads of each open connection."""

    def queued_bytes(self) -> int:
        """Bytes of received messages waiting for the app."""
        ...

    def write_buffer_size(self) -> int:
        """Bytes written and not yet taken by the kernel."""
        ...


@dataclass(frozen=True, slots=True)
class BroadcastStats:
    """What ``fastws.Broadcast`` hubs have done and hold: one hub's, or the sum of several (``+``)."""

    #: hubs connected (gauge)
    hubs: int = 0
    #: of those, the ones whose backend is connected now (memory's always is) (gauge)
    backends_connected: int = 0
    #: channels with a local subscriber (gauge)
    channels: int = 0
    #: subscriptions: a subscriber counts once per channel it is on (gauge)
    subscriptions: int = 0
    #: bytes of messages waiting in subscribers' backlogs (gauge)
    backlog_bytes: int = 0
    #: messages published through the hubs (counter)
    published: int = 0
    #: messages handed to local subscribers, published here or in another process (counter)
    delivered: int = 0
    #: messages dropped for slow subscribers, by overflow policy (counter)
    dropped: dict[str, int] = field(default_factory=dict)
    #: subscribers ended for being too slow (policy "close") (counter)
    closed_slow: int = 0
    #: times a backend's lost connection came back (counter)
    backend_reconnects: int = 0
    #: seconds backends spent disconnected, an outage going on now included (counter)
    backend_disconnected_seconds: float = 0.0
    #: publishes the backend failed to carry to the other processes (counter)
    publish_errors: int = 0

    def __add__(self, other: BroadcastStats) -> BroadcastStats:
        summed: dict[str, object] = {}
        for item in dataclasses.fields(self):
            mine, theirs = getattr(self, item.name), getattr(other, item.name)
            if isinstance(mine, dict):
                summed[item.name] = {key: mine.get(key, 0) + theirs.get(key, 0) for key in {*mine, *theirs}}
            else:
                summed[item.name] = mine + theirs
        return BroadcastStats(**summed)  # type: ignore[arg-type]


class Hub(Protocol):
    """What a snapshot reads of a ``fastws.Broadcast``."""

    def stats(self, now: float) -> BroadcastStats:
        """Its figures now (``now``: ``time.monotonic()``)."""
        ...


class Counters:
    """The per-connection counters of one process (one worker), and its broadcast hubs."""

    __slots__ = (
        "closes",
        "connections_total",
        "deflate_total",
        "handshakes",
        "hubs",
        "limits",
        "live",
        "paused",
        "paused_total",
        "retired_hubs",
    )

    def __init__(self) -> None:
        #: connections opened (accepted) since the process started
        self.connections_total = 0
        #: of those, the ones that negotiated permessage-deflate
        self.deflate_total = 0
        #: upgrades answered, by (outcome, HTTP status)
        self.handshakes: Counter[tuple[Outcome, int]] = Counter()
        #: open connections that ended, by (close code, side): see ``closed``
        self.closes: Counter[tuple[str, Side]] = Counter()
        #: connections closed for a limit, by limit
        self.limits: Counter[Limit] = Counter()
        #: the connections open now
        self.live: set[Gauged] = set()
        #: the connections whose writing is paused now, with the loop time it paused at
        self.paused: dict[Gauged, float] = {}
        #: seconds of paused writing that ended, summed over connections
        self.paused_total = 0.0
        #: the broadcast hubs connected now (weakly: a hub is the app's to keep)
        self.hubs: weakref.WeakSet[Hub] = weakref.WeakSet()
        #: the counters of the hubs that disconnected, so that totals never go back
        self.retired_hubs = BroadcastStats()

    def handshake(self, outcome: Outcome, status: int) -> None:
        self.handshakes[outcome, status] += 1

    def opened(self, connection: Gauged, deflate: bool) -> None:
        """``connection`` was accepted: it counts, and is gauged until ``lost``."""
        self.handshakes["accepted", 101] += 1
        self.connections_total += 1
        self.deflate_total += deflate
        self.live.add(connection)

    def closed(self, code: int, side: Side) -> None:
        """An open connection ended with ``code`` (the code its app was told), started by ``side``.

        The code is kept as text. A client's private code (3000-4999, RFC 6455
        7.4.2) counts as "3xxx" or "4xxx": clients choose those freely, and
        each distinct code would be one more series to store. The server's
        own codes (the app's) are kept whole.
        """
        label = str(code) if side == "server" or code < 3000 else f"{code // 1000}xxx"
        self.closes[label, side] += 1

    def limit(self, limit: Limit) -> None:
        self.limits[limit] += 1

    def pause(self, connection: Gauged, now: float) -> None:
        self.paused.setdefault(connection, now)

    def resume(self, connection: Gauged, now: float) -> None:
        since = self.paused.pop(connection, None)
        if since is not None:
            self.paused_total += now - since

    def lost(self, connection: Gauged, now: float) -> None:
        """``connection``'s transport is gone: it is no longer gauged."""
        self.resume(connection, now)
        self.live.discard(connection)

    def hub_connected(self, hub: Hub) -> None:
        self.hubs.add(hub)

    def hub_disconnected(self, hub: Hub, now: float) -> None:
        """``hub`` disconnected: its counters are kept, its gauges go."""
        if hub in self.hubs:
            self.hubs.discard(hub)
            final = hub.stats(now)
            self.retired_hubs += dataclasses.replace(
                final, hubs=0, backends_connected=0, channels=0, subscriptions=0, backlog_bytes=0
            )

    def broadcast(self, now: float) -> BroadcastStats:
        """Every hub's figures now, summed (the disconnected hubs' counters included)."""
        total = self.retired_hubs
        for hub in list(self.hubs):
            total += hub.stats(now)
        return total


#: this process's counters
COUNTERS: Final = Counters()

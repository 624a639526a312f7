"""One reading of this process's WebSocket metrics: ``fastws.metrics.snapshot()``.

It adds up the codec's counters (``fastws.wire.codec.counts``), the
per-connection ones (``counters.COUNTERS``) and what the open connections
hold now. Taking it costs a pass over the open connections (two calls
each); nothing is reset.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from ..wire import codec
from ..wire.counts import Counts
from .counters import COUNTERS, BroadcastStats, Counters, Limit, Outcome, Side

__all__ = ["Snapshot", "snapshot"]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """This process's WebSocket metrics at one moment (fastws' wire layer only).

    Counters only grow while the process runs; the gauges (``connections_open``,
    ``queued_bytes``, ``write_buffer_bytes``, ``writing_paused``) are what is true now.
    """

    #: connections accepted and not yet closed
    connections_open: int
    #: connections accepted since the process started
    connections_total: int
    #: of those, the ones that negotiated permessage-deflate
    deflate_total: int
    #: upgrades answered, by (outcome, HTTP status): see ``counters.Outcome``
    handshakes: dict[tuple[Outcome, int], int]
    #: open connections that ended, by (close code, side that ended them): the code as text,
    #: a client's private one as "3xxx" or "4xxx" (see ``counters.Counters.closed``)
    closes: dict[tuple[str, Side], int]
    #: connections closed for a limit, by limit: see ``counters.Limit``
    limit_closes: dict[Limit, int]
    #: messages, their payload bytes and control frames, each way (``fastws.wire.counts``)
    wire: Counts
    #: bytes of received messages waiting for the apps' ``receive``, summed over open connections
    queued_bytes: int
    #: bytes written and not yet taken by the kernel, summed over open connections
    write_buffer_bytes: int
    #: open connections whose writing is paused now (the peer reads slower than the app writes)
    writing_paused: int
    #: seconds connections spent with writing paused, summed (the pauses still going on included)
    write_paused_seconds: float
    #: ``fastws.Broadcast``: every hub of the process, summed
    broadcast: BroadcastStats


def _now() -> float:
    """The time the protocol records pauses in: its loop's, when there is one running."""
    try:
        return asyncio.get_running_loop().time()
    except RuntimeError:
        return time.monotonic()  # asyncio's default loop clock


def snapshot(counters: Counters = COUNTERS) -> Snapshot:
    """This process's WebSocket metrics now."""
    live = list(counters.live)
    now = _now()
    return Snapshot(
        connections_open=len(live),
        connections_total=counters.connections_total,
        deflate_total=counters.deflate_total,
        handshakes=dict(counters.handshakes),
        closes=dict(counters.closes),
        limit_closes=dict(counters.limits),
        wire=codec.counts(),
        queued_bytes=sum(connection.queued_bytes() for connection in live),
        write_buffer_bytes=sum(connection.write_buffer_size() for connection in live),
        writing_paused=len(counters.paused),
        write_paused_seconds=counters.paused_total + sum(now - since for since in counters.paused.values()),
        broadcast=counters.broadcast(time.monotonic()),
    )

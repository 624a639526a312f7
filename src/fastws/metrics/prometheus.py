"""fastws' metrics for Prometheus, through ``prometheus_client`` (the ``metrics`` extra).

Three parts, one list of metrics (``families``):

- ``Collector``: this process's metrics for a ``prometheus_client`` registry
  (``REGISTRY.register(Collector())``), for an app that serves its own
  ``/metrics`` from one process.
- ``Publisher``: what each worker of ``fastws run --metrics`` runs. Every
  ``--metrics-interval`` seconds it copies its snapshot into
  ``prometheus_client``'s multiprocess files (``PROMETHEUS_MULTIPROC_DIR``):
  counters as increments, gauges as values summed over the live workers.
- ``serve``: what ``fastws run --metrics`` runs in its main process: an
  HTTP server (a thread) that sums every worker's files. A worker's
  counters outlive it (totals never go back), its gauges do not (a dead
  worker's files are dropped at the next scrape). The app's own
  ``prometheus_client`` metrics, in multiprocess mode, are served with them.
"""

from __future__ import annotations

import asyncio
import glob
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final, Literal

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from .counters import BroadcastStats
from .snapshot import Snapshot, snapshot

__all__ = ["Collector", "Family", "Publisher", "families", "serve"]

Labels = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Family:
    """One metric: its name (a counter's without ``_total``), kind, help, label names and samples."""

    name: str
    kind: Literal["counter", "gauge"]
    help: str
    labels: Labels
    samples: list[tuple[Labels, float]]


def _by_type(text: int, binary: int) -> list[tuple[Labels, float]]:
    return [(("text",), text), (("binary",), binary)]


def _one(value: float) -> list[tuple[Labels, float]]:
    return [((), value)]


def _broadcast(b: BroadcastStats) -> list[Family]:
    return [
        Family("fastws_broadcast_hubs", "gauge", "fastws.Broadcast hubs connected.", (), _one(b.hubs)),
        Family(
            "fastws_broadcast_backends_connected",
            "gauge",
            "fastws.Broadcast hubs whose backend (Redis) is connected now.",
            (),
            _one(b.backends_connected),
        ),
        Family("fastws_broadcast_channels", "gauge", "Channels with a local subscriber.", (), _one(b.channels)),
        Family(
            "fastws_broadcast_subscriptions",
            "gauge",
            "Subscriptions (a subscriber counts once per channel it is on).",
            (),
            _one(b.subscriptions),
        ),
        Family(
            "fastws_broadcast_backlog_bytes",
            "gauge",
            "Bytes of messages waiting in slow subscribers' backlogs.",
            (),
            _one(b.backlog_bytes),
        ),
        Family("fastws_broadcast_published", "counter", "Messages published.", (), _one(b.published)),
        Family(
            "fastws_broadcast_delivered",
            "counter",
            "Messages handed to local subscribers (published here or in another process).",
            (),
            _one(b.delivered),
        ),
        Family(
            "fastws_broadcast_dropped",
            "counter",
            "Messages dropped for slow subscribers, by overflow policy (drop-newest, drop-oldest).",
            ("policy",),
            [((policy,), n) for policy, n in b.dropped.items()],
        ),
        Family(
            "fastws_broadcast_closed_slow",
            "counter",
            "Subscribers closed for being too slow (overflow policy close, 1013).",
            (),
            _one(b.closed_slow),
        ),
        Family(
            "fastws_broadcast_backend_reconnects",
            "counter",
            "Times a lost backend connection came back.",
            (),
            _one(b.backend_reconnects),
        ),
        Family(
            "fastws_broadcast_backend_disconnected_seconds",
            "counter",
            "Seconds backends spent disconnected (messages of other processes missed meanwhile).",
            (),
            _one(b.backend_disconnected_seconds),
        ),
        Family(
            "fastws_broadcast_publish_errors",
            "counter",
            "Publishes the backend failed to carry to the other processes.",
            (),
            _one(b.publish_errors),
        ),
    ]


def families(current: Snapshot) -> list[Family]:
    """``current`` as Prometheus metrics: every name, help text and label is here, once."""
    w = current.wire
    return [
        Family("fastws_connections_open", "gauge", "WebSocket connections open.", (), _one(current.connections_open)),
        Family("fastws_connections", "counter", "WebSocket connections accepted.", (), _one(current.connections_total)),
        Family(
            "fastws_deflate_connections",
            "counter",
            "WebSocket connections accepted with permessage-deflate.",
            (),
            _one(current.deflate_total),
        ),
        Family(
            "fastws_handshakes",
            "counter",
            "WebSocket upgrades answered, by outcome (accepted, denied, invalid, origin_refused, unavailable, "
            "timed_out, failed) and HTTP status.",
            ("outcome", "status"),
            [((outcome, str(status)), n) for (outcome, status), n in current.handshakes.items()],
        ),
        Family(
            "fastws_closes",
            "counter",
            "WebSocket connections closed, by close code (a client's private code as 3xxx or 4xxx) and the side "
            "that closed (client, server).",
            ("code", "side"),
            [((code, side), n) for (code, side), n in current.closes.items()],
        ),
        Family(
            "fastws_limit_closes",
            "counter",
            "WebSocket connections closed for a limit (message_size, write_timeout, close_timeout, ping_timeout, "
            "slow_subscriber).",
            ("limit",),
            [((limit,), n) for limit, n in current.limit_closes.items()],
        ),
        Family(
            "fastws_received_messages",
            "counter",
            "WebSocket messages received, by type.",
            ("type",),
            _by_type(w.text_received, w.binary_received),
        ),
        Family(
            "fastws_received_bytes",
            "counter",
            "Payload bytes of the WebSocket messages received (inflated), by type.",
            ("type",),
            _by_type(w.text_bytes_received, w.binary_bytes_received),
        ),
        Family(
            "fastws_sent_messages",
            "counter",
            "WebSocket messages sent, by type.",
            ("type",),
            _by_type(w.text_sent, w.binary_sent),
        ),
        Family(
            "fastws_sent_bytes",
            "counter",
            "Payload bytes of the WebSocket messages sent (before compression), by type.",
            ("type",),
            _by_type(w.text_bytes_sent, w.binary_bytes_sent),
        ),
        Family(
            "fastws_received_control_frames",
            "counter",
            "WebSocket control frames received, by opcode.",
            ("opcode",),
            [(("ping",), w.pings_received), (("pong",), w.pongs_received), (("close",), w.closes_received)],
        ),
        Family(
            "fastws_sent_control_frames",
            "counter",
            "WebSocket control frames sent, by opcode.",
            ("opcode",),
            [(("ping",), w.pings_sent), (("pong",), w.pongs_sent), (("close",), w.closes_sent)],
        ),
        Family(
            "fastws_queued_bytes",
            "gauge",
            "Bytes of received messages waiting for the apps' receive.",
            (),
            _one(current.queued_bytes),
        ),
        Family(
            "fastws_write_buffer_bytes",
            "gauge",
            "Bytes written to WebSocket connections and not yet taken by the kernel.",
            (),
            _one(current.write_buffer_bytes),
        ),
        Family(
            "fastws_writing_paused_connections",
            "gauge",
            "WebSocket connections whose peer reads slower than the app writes (writing paused).",
            (),
            _one(current.writing_paused),
        ),
        Family(
            "fastws_write_paused_seconds",
            "counter",
            "Seconds WebSocket connections spent with writing paused, summed.",
            (),
            _one(current.write_paused_seconds),
        ),
        *_broadcast(current.broadcast),
    ]


class Collector:
    """This process's fastws metrics, for a ``prometheus_client`` registry."""

    def collect(self) -> Iterator[Metric]:
        for family in families(snapshot()):
            metric: CounterMetricFamily | GaugeMetricFamily
            if family.kind == "counter":
                metric = CounterMetricFamily(family.name, family.help, labels=family.labels)
            else:
                metric = GaugeMetricFamily(family.name, family.help, labels=family.labels)
            for labels, value in family.samples:
                metric.add_metric(labels, value)
            yield metric


class Publisher:
    """Copies this process's metrics into ``prometheus_client``'s multiprocess files, every ``interval`` s.

    ``PROMETHEUS_MULTIPROC_DIR`` must have been set before ``prometheus_client``
    was first imported in this process (``fastws run --metrics`` sets it for
    its workers).
    """

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._metrics: dict[str, Any] = {}  # prometheus_client's Counter or Gauge, by name
        self._published: dict[tuple[str, Labels], float] = {}  # each counter sample's value so far
        self._timer: asyncio.TimerHandle | None = None

    def publish(self) -> None:
        """Copy the current snapshot (counters: what grew since the last copy; gauges: their value)."""
        for family in families(snapshot()):
            metric = self._metric(family)
            for labels, value in family.samples:
                child = metric.labels(*labels) if labels else metric
                if family.kind == "gauge":
                    child.set(value)
                    continue
                key = (family.name, labels)
                grown = value - self._published.get(key, 0)
                if grown > 0:
                    child.inc(grown)
                    self._published[key] = value

    def _metric(self, family: Family) -> Any:
        metric = self._metrics.get(family.name)
        if metric is None:
            if family.kind == "counter":
                metric = Counter(family.name, family.help, family.labels, registry=None)
            else:  # summed over the workers alive now
                metric = Gauge(family.name, family.help, family.labels, registry=None, multiprocess_mode="livesum")
            self._metrics[family.name] = metric
        return metric

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Publish now, then every ``interval`` seconds on ``loop``, until ``stop``."""
        self.publish()
        self._timer = loop.call_later(self.interval, self.start, loop)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


_WORKER_FILE: Final = re.compile(r"_(\d+)\.db$")


class _Workers:
    """Every worker's files in ``directory``, summed; first the live gauges of dead workers are dropped."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def collect(self) -> Iterator[Metric]:
        for path in glob.glob(os.path.join(self.directory, "gauge_live*_*.db")):
            found = _WORKER_FILE.search(path)
            if found is not None and not _alive(int(found.group(1))):
                mark_process_dead(int(found.group(1)), self.directory)  # type: ignore[no-untyped-call]
        yield from MultiProcessCollector(None, self.directory).collect()  # type: ignore[no-untyped-call]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - a pid now of another user's process
        return True
    return True


def serve(host: str, port: int, directory: str) -> tuple[Any, threading.Thread]:
    """Serve the metrics every worker publishes into ``directory`` on ``http://host:port/metrics``.

    A daemon thread; ``OSError`` if the address cannot be bound. Returns
    the server (``shutdown()`` stops it) and its thread.
    """
    registry = CollectorRegistry()
    registry.register(_Workers(directory))
    return start_http_server(port, host, registry)

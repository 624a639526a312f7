"""WebSocket metrics of this process: what fastws' wire layer has carried and holds now.

    from fastws import metrics

    current = metrics.snapshot()
    current.connections_open, current.wire.text_received, current.closes

Counting is always on and costs nothing per message (the compiled codec adds
to a C array); ``snapshot()`` reads it. ``fastws run --metrics`` serves the
same figures to Prometheus, summed over the workers (``docs/metrics.md``).
"""

from __future__ import annotations

from .snapshot import Snapshot, snapshot

__all__ = ["Snapshot", "snapshot"]

"""A worker of ``fastws run --metrics``: publishing its metrics, from its first connection on.

``fastws run --metrics`` gives its workers the directory to publish into
(``DIRECTORY_VARIABLE``, and ``PROMETHEUS_MULTIPROC_DIR`` for
``prometheus_client``). Nothing in a worker runs before its first
connection, so the protocol calls ``start`` on each one: the first call
starts the ``prometheus.Publisher`` on the connection's loop, the others
return at once. Without the variable, ``start`` does nothing and
``prometheus_client`` is never imported.
"""

from __future__ import annotations

import asyncio
import os
from typing import Final

__all__ = ["DIRECTORY_VARIABLE", "start"]

#: the environment variable naming the directory a worker publishes its metrics into
DIRECTORY_VARIABLE: Final = "FASTWS_METRICS_DIR"

_asked = False  # the first connection came, and looked at the variable


def start(loop: asyncio.AbstractEventLoop, interval: float) -> None:
    """Publish this worker's metrics every ``interval`` seconds on ``loop``, if asked to and not yet."""
    global _asked
    if _asked:
        return
    _asked = True
    # read now, not at import: with one worker, fastws run imports this before it sets the variable
    if DIRECTORY_VARIABLE not in os.environ:
        return
    from .prometheus import Publisher  # prometheus_client: the metrics extra, only where asked for

    Publisher(interval).start(loop)

"""The live twin of the hub's targets (where it delivers) and of ``deliver_all``, its fan-out loop.

The compiled ``fastws.broadcast._targets_c`` unless the rule of
``fastws._twins`` says pure (``FASTWS_NO_EXTENSIONS`` set, or not built);
else the pure ``fastws.broadcast._targets_py``, which is also what type
checkers read and where the targets are described. ``COMPILED`` is the
compiled twin when it is live, ``PURE`` the pure one.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from .._twins import load_compiled
from . import _targets_py

__all__ = [
    "ENTRY_COST",
    "OVERFLOW_POLICIES",
    "AsgiTarget",
    "Delivery",
    "DirectTarget",
    "QueueTarget",
    "Receiver",
    "Target",
    "deliver_all",
]

PURE: ModuleType = _targets_py
COMPILED: ModuleType | None = load_compiled("fastws.broadcast._targets_c")

if TYPE_CHECKING or COMPILED is None:
    from ._targets_py import (
        ENTRY_COST,
        OVERFLOW_POLICIES,
        AsgiTarget,
        Delivery,
        DirectTarget,
        QueueTarget,
        Receiver,
        Target,
        deliver_all,
    )
else:
    from ._targets_c import (
        ENTRY_COST,
        OVERFLOW_POLICIES,
        AsgiTarget,
        Delivery,
        DirectTarget,
        QueueTarget,
        Receiver,
        Target,
        deliver_all,
    )

"""The live twin of ``send_now``, ``send_last``, ``send_parts``, ``ascii_view``, ``recv_into``, ``send_buffers`` and
``reset_on_close``: a socket read and written now, past the event loop's transports.

The compiled ``fastws._sockets_c`` unless the rule of ``fastws._twins`` says
pure (``FASTWS_NO_EXTENSIONS`` set, or not built); else the pure
``fastws._sockets_py``, which is also what type checkers read. ``COMPILED``
is the compiled twin when it is live, ``PURE`` the pure one: tests run both.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from . import _sockets_py
from ._twins import load_compiled

__all__ = [
    "IOV_MAX",
    "ascii_view",
    "recv_into",
    "reset_on_close",
    "send_buffers",
    "send_last",
    "send_now",
    "send_parts",
]

PURE: ModuleType = _sockets_py
COMPILED: ModuleType | None = load_compiled("fastws._sockets_c")

if TYPE_CHECKING or COMPILED is None:
    from ._sockets_py import (
        IOV_MAX,
        ascii_view,
        recv_into,
        reset_on_close,
        send_buffers,
        send_last,
        send_now,
        send_parts,
    )
else:
    from ._sockets_c import (
        IOV_MAX,
        ascii_view,
        recv_into,
        reset_on_close,
        send_buffers,
        send_last,
        send_now,
        send_parts,
    )

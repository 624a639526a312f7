"""What the codec has carried: messages, payload bytes and control frames, per process.

Each codec twin keeps one array of counters for every ``Connection`` of the
process (a C array in the compiled twin, a list in the pure one), so
counting costs an addition per message, nothing per connection, and
reading them is one call: ``codec.counts()``. They only grow; a reader
takes differences. The slots of the array are named here, for both twins.

Payload bytes are the message's size as the app sees it: the UTF-8 bytes of
a text message, before compression on the way out and after it on the way
in. Frames built without a ``Connection`` (``build_frame``, which
``fastws.Broadcast`` uses to frame a message once for every subscriber)
are counted by whoever writes them, through ``codec.count_sent``.
"""

from __future__ import annotations

from typing import Final, NamedTuple

__all__ = [
    "BINARY_RECEIVED",
    "BINARY_SENT",
    "CLOSES_RECEIVED",
    "CLOSES_SENT",
    "PINGS_RECEIVED",
    "PINGS_SENT",
    "PONGS_RECEIVED",
    "PONGS_SENT",
    "SLOTS",
    "TEXT_RECEIVED",
    "TEXT_SENT",
    "Counts",
]

# A data message's count is at its slot, its payload bytes at the slot after it.
TEXT_RECEIVED: Final = 0
BINARY_RECEIVED: Final = 2
TEXT_SENT: Final = 4
BINARY_SENT: Final = 6
# Control frames: a count each.
PINGS_RECEIVED: Final = 8
PONGS_RECEIVED: Final = 9
CLOSES_RECEIVED: Final = 10
PINGS_SENT: Final = 11
PONGS_SENT: Final = 12
CLOSES_SENT: Final = 13
SLOTS: Final = 14


class Counts(NamedTuple):
    """The codec's counters, in slot order: ``Counts(*array)``."""

    text_received: int
    text_bytes_received: int
    binary_received: int
    binary_bytes_received: int
    text_sent: int
    text_bytes_sent: int
    binary_sent: int
    binary_bytes_sent: int
    pings_received: int
    pongs_received: int
    closes_received: int
    pings_sent: int
    pongs_sent: int
    closes_sent: int

"""Where a message stands in its channel's history: an offset within an epoch.

Every message published on a channel that keeps history gets the next
offset (1, 2, 3, ...: dense, so a client that sees ``offset != last + 1``
knows it missed some). The epoch names one unbroken history: it changes
when history is lost (a Redis without persistence restarted, its keys
expired), and then no position of the old epoch can be resumed from.

A position travels to clients as a short token, ``"<offset>.<epoch>.<check>"``
(URL- and JSON-safe), where the check is a CRC-32 of the channel name: a
token from another channel is refused, not silently resumed.
"""

from __future__ import annotations

import re
import zlib
from typing import NamedTuple

from .errors import InvalidPosition

__all__ = ["Position", "channel_check"]

_TOKEN = re.compile(r"([0-9]{1,19})\.([0-9a-f]{1,32})\.([0-9a-f]{8})")
_MAX_OFFSET = (1 << 63) - 1  # what Redis' HINCRBY can count to


def channel_check(channel: str) -> str:
    """The 8 hex digits that tie a token to its channel."""
    return f"{zlib.crc32(channel.encode('utf-8', 'surrogatepass')):08x}"


class Position(NamedTuple):
    """A message's place in ``channel``'s history: ``offset`` (1, 2, ...) within ``epoch``.

    Immutable and hashable; a named tuple, because one is made for every
    message published with history (half the cost of a frozen dataclass).
    """

    channel: str
    offset: int
    epoch: str

    @property
    def token(self) -> str:
        """The position as a string to hand a client (``Position.parse`` reads it back)."""
        return f"{self.offset}.{self.epoch}.{channel_check(self.channel)}"

    def __str__(self) -> str:
        return self.token

    @classmethod
    def parse(cls, channel: str, token: str | Position) -> Position:
        """The position ``token`` names in ``channel``; ``InvalidPosition`` if it is garbage or another channel's."""
        if isinstance(token, Position):
            if token.channel != channel:
                raise InvalidPosition(f"a position in channel {token.channel!r} given for channel {channel!r}")
            return token
        if not isinstance(token, str):
            raise InvalidPosition(f"a position is a Position or its token (str), not {type(token).__name__}")
        match = _TOKEN.fullmatch(token)
        if match is None:
            shown = token if len(token) <= 64 else token[:61] + "..."
            raise InvalidPosition(f"{shown!r} is not a position token (<offset>.<epoch>.<check>)")
        offset, epoch, check = match.groups()
        if check != channel_check(channel):
            raise InvalidPosition(f"the position {token!r} belongs to another channel than {channel!r}")
        if int(offset) > _MAX_OFFSET:
            raise InvalidPosition(f"the offset in {token!r} is out of range")
        return cls(channel, int(offset), epoch)

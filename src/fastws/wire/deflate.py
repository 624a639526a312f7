"""permessage-deflate (RFC 7692), server side: negotiation and (de)compression.

``negotiate`` picks the first acceptable offer of a client's
``Sec-WebSocket-Extensions`` headers and returns the extension with the
header value to answer. ``PerMessageDeflate`` compresses whole messages we
send and inflates whole messages we receive, bounding the inflated size (a
compression bomb fails with ``MessageTooBig``, never with memory).

Memory is what deflate costs a server with many connections: zlib's 15/8
defaults hold about 320 KiB per connection, so the defaults here are a
12-bit window and memLevel 5 (a compressor of about 38 KiB, ~10% less
compression), and the compressor and the decompressor are made on first
use, so an idle connection holds neither. Without context takeover neither
outlives its message. With it, each side keeps its *history*, the last
window of what passed (at most 2**bits bytes), and its zlib object only
while that side is busy (``release_when_idle``: used again within an idle
time; freed once unused for that long, a ``Scheduler`` calling back).
Otherwise each message makes a new zlib object primed with the history as
its preset dictionary (a few microseconds). The history is exactly what
the peer's own window holds: the compressor may refer back into it as
before (RFC 7692 7.2.1: a sender "MAY take over the LZ77 sliding window
used to build the last compressed message"), and the peer's references
into its earlier messages (7.2.2) resolve as before. Nothing changes on
the wire; an idle connection that has used deflate holds a few KiB
instead of ~45.
"""

from __future__ import annotations

import zlib
from typing import Any, Protocol

__all__ = [
    "DEFAULT_IDLE",
    "DEFAULT_MEM_LEVEL",
    "DEFAULT_WINDOW_BITS",
    "MessageTooBig",
    "PerMessageDeflate",
    "Scheduler",
    "negotiate",
]

DEFAULT_WINDOW_BITS = 12
DEFAULT_MEM_LEVEL = 5
#: seconds a compressor or decompressor may go unused before it is freed (``release_when_idle``)
DEFAULT_IDLE = 1.0
_TAIL = b"\x00\x00\xff\xff"  # what RFC 7692 7.2.1 strips from each compressed message
_MAX_PARTS = 32  # messages a history holds by reference before it joins them into one


class MessageTooBig(Exception):
    """An inflated message is over the size limit."""


class Scheduler(Protocol):
    """One-shot callbacks ``delay`` seconds ahead (``fastws.timer_wheel.TimerWheel`` is one)."""

    def add(self, delay: float, owner: Any) -> int:
        """Call ``owner.on_due()`` once, ``delay`` seconds from now; return a token for ``discard``."""
        ...

    def discard(self, tick: int, owner: Any) -> None:
        """Forget ``owner``'s callback ``tick``, if it is still waiting."""
        ...


class _History:
    """The last ``limit`` bytes of a stream of messages: the messages themselves, joined only now and then.

    Joined once they reach two windows or ``_MAX_PARTS`` messages: what is
    held stays under two windows and a message, and each byte is copied
    about twice at most.
    """

    __slots__ = ("limit", "parts", "size", "twice")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.twice = 2 * limit
        self.parts: list[bytes] = []
        self.size = 0

    def add(self, data: bytes) -> None:
        """Append a message."""
        self.parts.append(data)
        self.size += len(data)
        if self.size >= self.twice or len(self.parts) > _MAX_PARTS:
            self.tail()

    def tail(self) -> bytes:
        """The last ``limit`` bytes (fewer if fewer have passed), as one object from now on."""
        parts, limit = self.parts, self.limit
        if len(parts) == 1 and len(parts[0]) <= limit:
            return parts[0]
        need, first = 0, len(parts)
        while first and need < limit:  # only the newest parts that cover the window are joined
            first -= 1
            need += len(parts[first])
        joined = b"".join(parts[first:])[-limit:]
        self.parts = [joined] if joined else []
        self.size = len(joined)
        return joined


class PerMessageDeflate:
    """The negotiated parameters, and the compressor and decompressor they need."""

    __slots__ = (
        "_compressed", "_compressor", "_decompressed", "_decompressor", "_idle", "_received", "_scheduler",
        "_sent", "_tick", "client_no_context_takeover", "client_window_bits", "mem_level",
        "server_no_context_takeover", "server_window_bits",
    )  # fmt: skip

    def __init__(
        self,
        *,
        server_window_bits: int = DEFAULT_WINDOW_BITS,
        client_window_bits: int = 15,
        server_no_context_takeover: bool = False,
        client_no_context_takeover: bool = False,
        mem_level: int = DEFAULT_MEM_LEVEL,
    ) -> None:
        self.server_window_bits = server_window_bits
        self.client_window_bits = client_window_bits
        self.server_no_context_takeover = server_no_context_takeover
        self.client_no_context_takeover = client_no_context_takeover
        self.mem_level = mem_level
        self._compressor: Any = None
        self._decompressor: Any = None
        self._compressed = False  # since the last release_idle()
        self._decompressed = False
        #: what the peer's windows hold: what we sent, what it sent (None without context takeover)
        self._sent = None if server_no_context_takeover else _History(1 << server_window_bits)
        self._received = None if client_no_context_takeover else _History(1 << client_window_bits)
        self._idle: float | None = None  # None: kept until release_idle(); 0: freed after each message
        self._scheduler: Scheduler | None = None
        self._tick: int | None = None  # the scheduler's token while a check is due

    def release_when_idle(self, scheduler: Scheduler | None, idle: float) -> None:
        """Keep a compressor or decompressor only while it is used at least every ``idle`` seconds (0: never).

        One used again within ``idle`` seconds is kept, and freed once it goes
        unused for ``idle`` to ``2 * idle`` seconds; a side that is used less
        often makes a new one (primed with its history) per message instead:
        a few microseconds then, rather than ~38 KiB held in between.
        ``scheduler`` calls ``on_due`` back; ``close`` cancels it. Without
        this, they are kept until ``release_idle`` is called.
        """
        if idle < 0 or (idle and scheduler is None):
            raise ValueError("idle must be >= 0 seconds, and a scheduler is needed unless it is 0")
        self._idle, self._scheduler = idle, scheduler

    def on_due(self) -> None:
        """The scheduler's callback: free what went unused since the last check; check again if any is left."""
        self._tick = None
        self.release_idle()
        if self._compressor is not None or self._decompressor is not None:
            self._check_later()

    def _keeps(self, used_lately: bool) -> bool:
        """Whether a zlib object just made is kept (and a check is due): always without an idle time
        (``release_idle`` by hand), else if its side was used since the last check, never with 0."""
        idle = self._idle
        if idle is None:
            return True
        self._check_later()
        return used_lately and idle > 0

    def _check_later(self) -> None:
        if self._tick is None and self._scheduler is not None and self._idle:
            self._tick = self._scheduler.add(self._idle, self)

    def close(self) -> None:
        """The connection is over: cancel the check, drop the zlib objects and the histories."""
        if self._tick is not None and self._scheduler is not None:
            self._scheduler.discard(self._tick, self)
        self._tick = self._scheduler = None
        self._compressor = self._decompressor = self._sent = self._received = None

    def encode(self, data: bytes) -> bytes:
        """A message's payload, compressed (RFC 7692 7.2.1)."""
        compressor = self._compressor
        sent = self._sent
        if compressor is None:
            args = (zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -self.server_window_bits, self.mem_level)
            history = sent.tail() if sent is not None else b""
            compressor = zlib.compressobj(*args, zdict=history) if history else zlib.compressobj(*args)
            if sent is not None and self._keeps(self._compressed):  # else a new one per message: keep none
                self._compressor = compressor
        self._compressed = True
        out: bytes = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
        if sent is not None:
            sent.add(data)
        return out[:-4] if out.endswith(_TAIL) else out

    def release_idle(self) -> bool:
        """Free the compressor and the decompressor if unused since the last call; True if either was freed.

        Their histories stay: the next message primes a new one with them,
        and the peer reads it as before.
        """
        freed = False
        if self._compressed:
            self._compressed = False
        elif self._compressor is not None:
            self._compressor = None
            freed = True
        if self._decompressed:
            self._decompressed = False
        elif self._decompressor is not None:
            self._decompressor = None
            freed = True
        return freed

    @property
    def holds_compressor(self) -> bool:
        """Whether a compressor (its window and hash tables: most of deflate's memory) is held now."""
        return self._compressor is not None

    @property
    def holds_decompressor(self) -> bool:
        """Whether a decompressor (its state and window) is held now."""
        return self._decompressor is not None

    def decode(self, data: bytes, max_size: int | None) -> bytes:
        """A compressed message's payload, inflated (RFC 7692 7.2.2).

        Raises ``MessageTooBig`` past ``max_size`` inflated bytes and
        ``zlib.error`` for data that is not deflate.
        """
        decompressor = self._decompressor
        received = self._received
        if decompressor is None:
            history = received.tail() if received is not None else b""
            wbits = -self.client_window_bits
            decompressor = zlib.decompressobj(wbits, zdict=history) if history else zlib.decompressobj(wbits)
            if received is not None and self._keeps(self._decompressed):  # else a new one per message: keep none
                self._decompressor = decompressor
        self._decompressed = True
        limit = 0 if max_size is None else max_size + 1
        out: bytes = decompressor.decompress(data + _TAIL, limit)
        if max_size is not None and (len(out) > max_size or decompressor.unconsumed_tail):
            raise MessageTooBig(f"message over {max_size} bytes")
        if received is not None:
            received.add(out)
        return out


def _parse_offer(text: str) -> dict[str, str | None] | None:
    """The parameters of one ``permessage-deflate`` offer, or None if it is another extension."""
    name, *params = [part.strip() for part in text.split(";")]
    if name.lower() != "permessage-deflate":
        return None
    found: dict[str, str | None] = {}
    for param in params:
        key, eq, value = param.partition("=")
        key = key.strip().lower()
        if key in found:
            raise ValueError(f"repeated parameter {key}")
        found[key] = value.strip().strip('"') if eq else None
    return found


def _bits(value: str | None) -> int:
    if value is None or not value.isdigit() or not 8 <= int(value) <= 15:
        raise ValueError(f"invalid window bits {value!r}")
    return int(value)


def negotiate(
    headers: list[bytes], *, window_bits: int = DEFAULT_WINDOW_BITS, mem_level: int = DEFAULT_MEM_LEVEL
) -> tuple[PerMessageDeflate, bytes] | None:
    """Accept the first valid permessage-deflate offer (RFC 7692 5, 7.1).

    Returns the extension and the ``Sec-WebSocket-Extensions`` value of the
    response, or None when no offer is acceptable. Our compressor uses at
    most ``window_bits``; a client that allows it is asked to do the same.
    """
    for header in headers:
        for text in header.decode("latin-1").split(","):
            try:
                offer = _parse_offer(text)
                if offer is None:
                    continue
                unknown = set(offer) - {
                    "server_no_context_takeover", "client_no_context_takeover",
                    "server_max_window_bits", "client_max_window_bits",
                }  # fmt: skip
                flags = ("server_no_context_takeover", "client_no_context_takeover")
                if unknown or any(offer[flag] is not None for flag in flags if flag in offer):
                    continue  # unknown parameters, or values on flags: decline this offer
                server_bits = window_bits
                if "server_max_window_bits" in offer:
                    server_bits = min(server_bits, _bits(offer["server_max_window_bits"]))
                    if server_bits == 8:
                        continue  # zlib cannot compress with a 256-byte window (it silently uses 512)
                client_bits = 15
                if "client_max_window_bits" in offer:
                    value = offer["client_max_window_bits"]
                    client_bits = min(window_bits, _bits(value) if value is not None else 15)
            except ValueError:
                continue
            response = ["permessage-deflate"]
            if "server_no_context_takeover" in offer:
                response.append("server_no_context_takeover")
            if "client_no_context_takeover" in offer:
                response.append("client_no_context_takeover")
            if server_bits < 15 or "server_max_window_bits" in offer:
                response.append(f"server_max_window_bits={server_bits}")
            if "client_max_window_bits" in offer:
                response.append(f"client_max_window_bits={client_bits}")
            extension = PerMessageDeflate(
                server_window_bits=server_bits,
                client_window_bits=client_bits,
                server_no_context_takeover="server_no_context_takeover" in offer,
                client_no_context_takeover="client_no_context_takeover" in offer,
                mem_level=mem_level,
            )
            return extension, "; ".join(response).encode()
    return None

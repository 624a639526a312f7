"""permessage-deflate (RFC 7692), server side: negotiation and (de)compression.

``negotiate`` picks the first acceptable offer of a client's
``Sec-WebSocket-Extensions`` headers and returns the extension with the
header value to answer. ``PerMessageDeflate`` compresses whole messages we
send and inflates whole messages we receive, bounding the inflated size (a
compression bomb fails with ``MessageTooBig``, never with memory).

Memory is what deflate costs a server with many connections: zlib's 15/8
defaults hold about 320 KiB per connection, so the defaults here are a
12-bit window and memLevel 5 (about 70 KiB, ~10% less compression), and
the compressor and the decompressor are created on first use, so an idle
connection holds neither. Without context takeover neither outlives its
message. With it, the compressor (most of that memory) is freed by
``release_idle`` once it has compressed nothing for a while: with context
takeover a sender "MAY take over the LZ77 sliding window used to build the
last compressed message" (RFC 7692 7.2.1), it need not, so the next message
after an idle spell starts a new window, and the peer reads it as before. The decompressor must stay: the peer's
messages may refer back to its earlier ones.
"""

from __future__ import annotations

import zlib
from typing import Any

__all__ = ["DEFAULT_MEM_LEVEL", "DEFAULT_WINDOW_BITS", "MessageTooBig", "PerMessageDeflate", "negotiate"]

DEFAULT_WINDOW_BITS = 12
DEFAULT_MEM_LEVEL = 5
_TAIL = b"\x00\x00\xff\xff"  # what RFC 7692 7.2.1 strips from each compressed message


class MessageTooBig(Exception):
    """An inflated message is over the size limit."""


class PerMessageDeflate:
    """The negotiated parameters, and the compressor and decompressor they need."""

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

    def encode(self, data: bytes) -> bytes:
        """A message's payload, compressed (RFC 7692 7.2.1)."""
        compressor = self._compressor
        if compressor is None:
            compressor = zlib.compressobj(
                zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -self.server_window_bits, self.mem_level
            )
            if not self.server_no_context_takeover:  # else a new context per message: keep none
                self._compressor = compressor
        self._compressed = True
        out: bytes = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
        return out[:-4] if out.endswith(_TAIL) else out

    def release_idle(self) -> bool:
        """Free the compressor if it has compressed nothing since the last call; True if freed.

        Called at each keepalive ping by ``fastws.protocol``: an idle connection
        then holds only its decompressor. The next message starts a new context
        (a little less compression for that one message).
        """
        if self._compressed:
            self._compressed = False
            return False
        held = self._compressor is not None
        self._compressor = None
        return held

    @property
    def holds_compressor(self) -> bool:
        """Whether a compressor (its window and hash tables: most of deflate's memory) is held now."""
        return self._compressor is not None

    def decode(self, data: bytes, max_size: int | None) -> bytes:
        """A compressed message's payload, inflated (RFC 7692 7.2.2).

        Raises ``MessageTooBig`` past ``max_size`` inflated bytes and
        ``zlib.error`` for data that is not deflate.
        """
        decompressor = self._decompressor
        if decompressor is None:
            decompressor = zlib.decompressobj(-self.client_window_bits)
            if not self.client_no_context_takeover:  # else a new context per message: keep none
                self._decompressor = decompressor
        limit = 0 if max_size is None else max_size + 1
        out: bytes = decompressor.decompress(data + _TAIL, limit)
        if max_size is not None and (len(out) > max_size or decompressor.unconsumed_tail):
            raise MessageTooBig(f"message over {max_size} bytes")
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

"""RFC 6455 frames built with ``struct`` and a naive XOR, independently of the codec under test."""

from __future__ import annotations

import struct
from typing import Any

MASK = b"\x37\xfa\x21\x3d"


def xor(data: bytes, mask: bytes = MASK, offset: int = 0) -> bytes:
    return bytes(b ^ mask[(i + offset) % 4] for i, b in enumerate(data))


def client_frame(
    opcode: int, payload: bytes = b"", *, fin: bool = True, rsv: int = 0, masked: bool = True, length: str = "short"
) -> bytes:
    """A client frame; ``length`` forces a 16- or 64-bit length field ("16", "64")."""
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    n = len(payload)
    bit = 0x80 if masked else 0
    if length == "64" or (length == "short" and n >= 65536):
        head = struct.pack("!BBQ", first, bit | 127, n)
    elif length == "16" or (length == "short" and n >= 126):
        head = struct.pack("!BBH", first, bit | 126, n)
    else:
        head = struct.pack("!BB", first, bit | n)
    return head + (MASK + xor(payload) if masked else payload)


def feed(connection: Any, data: bytes, chunk: int = 0) -> list[object]:
    if not chunk:
        return list(connection.receive_data(data))
    events: list[object] = []
    for i in range(0, len(data), chunk):
        events += connection.receive_data(data[i : i + chunk])
    return events


def server_frame(data: bytes) -> tuple[int, int, bytes]:
    """``(first byte, payload length, payload)`` of an unmasked server frame."""
    first, second = data[0], data[1]
    assert not second & 0x80, "server frames are never masked"
    n, at = second & 0x7F, 2
    if n == 126:
        (n,), at = struct.unpack("!H", data[2:4]), 4
    elif n == 127:
        (n,), at = struct.unpack("!Q", data[2:10]), 10
    assert len(data) == at + n
    return first, n, data[at:]

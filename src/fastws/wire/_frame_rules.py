# cython: annotation_typing=False
"""The rules a client's frames must keep (RFC 6455, RFC 7692), each written once.

Both codec twins ask these functions whether a frame breaks a rule, and fail
the connection with the reason they return: the pure twin (``_codec_py``)
imports this module, the compiled twin (``_codec_c``) cimports the same source
compiled as ``_frame_rules_c`` (setup.py names it so; ``_frame_rules_c.pxd``
types it: aiohttp's way with its WebSocket reader). So
the twins cannot drift: a rule changed here changes in both.

- ``header_error``: the first two bytes of a frame header (RFC 6455 5.1, 5.2,
  5.4, 5.5; RFC 7692 6).
- ``length_error``: a 16- or 64-bit payload length (RFC 6455 5.2).
- ``read_close``: a Close frame's payload (RFC 6455 5.5.1, 7.4).
- ``inflate``: a compressed message (RFC 7692 7.2.2; RFC 6455 8.1, 10.4).

The reasons are named below, once; tests compare them. The protocol's numbers
are named in ``rfc6455.py``. Keep this module plain Python: the types the
compiled build uses are declared in ``_frame_rules_c.pxd``.
"""

from __future__ import annotations

import struct
import zlib
from typing import TYPE_CHECKING

from . import rfc6455
from .deflate import MessageTooBig
from .events import Close, Fail
from .rfc6455 import CloseCode, Opcode, is_valid_close_code

if TYPE_CHECKING:
    from .deflate import PerMessageDeflate

__all__ = [
    "CONTINUATION_WITHOUT_MESSAGE",
    "CONTROL_TOO_LONG",
    "FRAGMENTED_CONTROL",
    "INVALID_CLOSE_CODE",
    "INVALID_COMPRESSED",
    "INVALID_UTF8_IN_CLOSE",
    "INVALID_UTF8_IN_TEXT",
    "LENGTH_MSB_SET",
    "LENGTH_NOT_SHORTEST",
    "MESSAGE_INSIDE_MESSAGE",
    "ONE_BYTE_CLOSE",
    "OVER_MAX_SIZE",
    "REASONS",
    "RESERVED_OPCODE",
    "RSV_NOT_ALLOWED",
    "RSV_WITHOUT_EXTENSION",
    "UNMASKED",
    "close_payload",
    "header_error",
    "inflate",
    "length_error",
    "read_close",
]

# Why a frame fails the connection: the reason of its Fail event and of our Close frame.
# With 1002 (PROTOCOL_ERROR):
RSV_WITHOUT_EXTENSION = "reserved bits set without an extension"
RSV_NOT_ALLOWED = "reserved bits set where the extension allows none"
RESERVED_OPCODE = "reserved opcode {}"  # .format(opcode)
FRAGMENTED_CONTROL = "fragmented control frame"
CONTROL_TOO_LONG = "control frame payload over 125 bytes"
CONTINUATION_WITHOUT_MESSAGE = "continuation frame without a message to continue"
MESSAGE_INSIDE_MESSAGE = "new message inside a fragmented message"
UNMASKED = "client frames must be masked"
LENGTH_NOT_SHORTEST = "frame length not in its shortest form"
LENGTH_MSB_SET = "frame length with its most significant bit set"
ONE_BYTE_CLOSE = "close frame with a one-byte payload"
INVALID_CLOSE_CODE = "invalid close code {}"  # .format(code)
# With 1007 (INVALID_FRAME_PAYLOAD_DATA):
INVALID_UTF8_IN_TEXT = "invalid UTF-8 in a text message"
INVALID_UTF8_IN_CLOSE = "invalid UTF-8 in a close reason"
INVALID_COMPRESSED = "invalid compressed data"
# With 1009 (MESSAGE_TOO_BIG):
OVER_MAX_SIZE = "message over {} bytes"  # .format(max_size)

REASONS = (
    RSV_WITHOUT_EXTENSION,
    RSV_NOT_ALLOWED,
    RESERVED_OPCODE,
    FRAGMENTED_CONTROL,
    CONTROL_TOO_LONG,
    CONTINUATION_WITHOUT_MESSAGE,
    MESSAGE_INSIDE_MESSAGE,
    UNMASKED,
    LENGTH_NOT_SHORTEST,
    LENGTH_MSB_SET,
    ONE_BYTE_CLOSE,
    INVALID_CLOSE_CODE,
    INVALID_UTF8_IN_TEXT,
    INVALID_UTF8_IN_CLOSE,
    INVALID_COMPRESSED,
    OVER_MAX_SIZE,
)
"""Every reason above: the codec twins write none of them themselves."""

# The numbers, copied into globals the compiled build types as C ints (``_frame_rules_c.pxd``)
FIN_BIT = rfc6455.FIN_BIT
RSV1_BIT = rfc6455.RSV1_BIT
RSV_BITS = rfc6455.RSV_BITS
OPCODE_BITS = rfc6455.OPCODE_BITS
MASK_BIT = rfc6455.MASK_BIT
LENGTH_BITS = rfc6455.LENGTH_BITS
MAX_LENGTH_7 = rfc6455.MAX_LENGTH_7
LENGTH_16 = rfc6455.LENGTH_16
LENGTH_64 = rfc6455.LENGTH_64
MAX_LENGTH_16 = rfc6455.MAX_LENGTH_16
MAX_CONTROL_PAYLOAD = rfc6455.MAX_CONTROL_PAYLOAD
MAX_CLOSE_REASON = rfc6455.MAX_CLOSE_REASON
OP_CONTINUATION = int(Opcode.CONTINUATION)
OP_TEXT = int(Opcode.TEXT)
OP_BINARY = int(Opcode.BINARY)
OP_CLOSE = int(Opcode.CLOSE)
OP_PONG = int(Opcode.PONG)
# Close codes as plain ints, as the events carry them
PROTOCOL_ERROR = int(CloseCode.PROTOCOL_ERROR)
INVALID_FRAME_PAYLOAD_DATA = int(CloseCode.INVALID_FRAME_PAYLOAD_DATA)
NO_STATUS_RCVD = int(CloseCode.NO_STATUS_RCVD)
MESSAGE_TOO_BIG = int(CloseCode.MESSAGE_TOO_BIG)


def header_error(first: int, second: int, deflate: bool, in_message: bool) -> str | None:
    """Why a frame starting with bytes ``first``, ``second`` fails the connection (1002), or None.

    ``deflate``: permessage-deflate was negotiated; ``in_message``: a
    fragmented message is open (its last frame has not come).
    """
    opcode = first & OPCODE_BITS
    # RFC 6455 5.2: RSV1-3 are 0 unless an extension defines them; RFC 7692 6:
    # permessage-deflate sets RSV1, on the first frame of a data message only
    if first & RSV_BITS:
        if not deflate:
            return RSV_WITHOUT_EXTENSION
        if first & RSV_BITS != RSV1_BIT or not OP_TEXT <= opcode <= OP_BINARY:
            return RSV_NOT_ALLOWED
    if opcode >= OP_CLOSE:
        # RFC 6455 5.2: opcodes 0xB-0xF are reserved
        if opcode > OP_PONG:
            return RESERVED_OPCODE.format(opcode)
        # RFC 6455 5.5: control frames are not fragmented, their payload is 125 bytes or less
        if not first & FIN_BIT:
            return FRAGMENTED_CONTROL
        if second & LENGTH_BITS > MAX_CONTROL_PAYLOAD:
            return CONTROL_TOO_LONG
    # RFC 6455 5.2: opcodes 0x3-0x7 are reserved
    elif opcode > OP_BINARY:
        return RESERVED_OPCODE.format(opcode)
    # RFC 6455 5.4: a continuation frame continues a message, a data frame starts one
    elif opcode == OP_CONTINUATION:
        if not in_message:
            return CONTINUATION_WITHOUT_MESSAGE
    elif in_message:
        return MESSAGE_INSIDE_MESSAGE
    # RFC 6455 5.1: a client masks every frame it sends
    if not second & MASK_BIT:
        return UNMASKED
    return None


def length_error(length7: int, length: int) -> str | None:
    """Why the payload ``length`` read after the 7-bit ``length7`` (126 or 127) fails the connection (1002), or None."""
    # RFC 6455 5.2: a length in the fewest bytes, and the 64-bit one's most significant bit 0
    if length7 == LENGTH_16:
        if length <= MAX_LENGTH_7:
            return LENGTH_NOT_SHORTEST
    elif length7 == LENGTH_64:
        if length >> 63:
            return LENGTH_MSB_SET
        if length <= MAX_LENGTH_16:
            return LENGTH_NOT_SHORTEST
    return None


def read_close(payload: bytes) -> Close | Fail:
    """The peer's Close frame with this (unmasked) payload, or the Fail it calls for."""
    n = len(payload)
    # RFC 6455 5.5.1: a Close body is empty, or a 2-byte code (7.4) then a UTF-8 reason
    if n == 0:
        return Close(NO_STATUS_RCVD, "")
    if n == 1:
        return Fail(PROTOCOL_ERROR, ONE_BYTE_CLOSE)
    code = (payload[0] << 8) | payload[1]
    # RFC 6455 7.4: 1004-1006, 1015 and the unassigned codes are never sent
    if not is_valid_close_code(code):
        return Fail(PROTOCOL_ERROR, INVALID_CLOSE_CODE.format(code))
    # RFC 6455 5.5.1, 8.1: the reason is UTF-8 (1007: 7.4.1)
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        return Fail(INVALID_FRAME_PAYLOAD_DATA, INVALID_UTF8_IN_CLOSE)
    return Close(code, reason)


def close_payload(code: int | None = CloseCode.NORMAL_CLOSURE, reason: str = "") -> bytes:
    """The payload of a Close frame we send: empty when ``code`` is None.

    Raises ValueError for a code that may not be sent (1005, 1006, 1015 and
    the other reserved ones) or a reason over 123 bytes of UTF-8.
    """
    if code is None:
        if reason:
            raise ValueError("a close reason needs a close code")
        return b""
    if not is_valid_close_code(code):  # RFC 6455 7.4.1: 1005, 1006 and 1015 are never sent
        raise ValueError(f"close code {code} may not be sent in a Close frame")
    encoded = reason.encode("utf-8")
    if len(encoded) > MAX_CLOSE_REASON:  # RFC 6455 5.5: the code and reason fit in 125 bytes
        raise ValueError(
            f"close reason is {len(encoded)} bytes of UTF-8; at most {MAX_CLOSE_REASON} fit in a Close frame"
        )
    return struct.pack("!H", code) + encoded


def inflate(
    deflate: PerMessageDeflate, data: bytes, max_size: int | None, text: bool
) -> tuple[str | bytes, int] | Fail:
    """A compressed message's payload inflated: the message and its inflated size, or the Fail it calls for."""
    # RFC 7692 7.2.2: the payload inflates (1007 when it is not deflate data); RFC 6455 10.4:
    # within the size limit, counted inflated (1009: 7.4.1)
    try:
        inflated = deflate.decode(data, max_size)
    except MessageTooBig:
        return Fail(MESSAGE_TOO_BIG, OVER_MAX_SIZE.format(max_size))
    except zlib.error:
        return Fail(INVALID_FRAME_PAYLOAD_DATA, INVALID_COMPRESSED)
    if not text:
        return inflated, len(inflated)
    # RFC 6455 8.1: a text message is UTF-8; invalid data fails the connection (1007: 7.4.1)
    try:
        return inflated.decode("utf-8"), len(inflated)
    except UnicodeDecodeError:
        return Fail(INVALID_FRAME_PAYLOAD_DATA, INVALID_UTF8_IN_TEXT)

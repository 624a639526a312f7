"""The RFC 6455 vocabulary, named once: opcodes, close codes, frame-header bits.

Every number of the protocol that fastws checks or writes is named here, with
the section of RFC 6455 that defines it; the codec twins (``_codec_py.py`` and
``_codec_c.pyx``), the handshake and the layers above use these names. The
names of ``CloseCode`` are those of the IANA "WebSocket Close Code Number"
registry (RFC 6455 11.7), upper-cased as in wsproto's ``CloseReason``.

This module imports nothing but the standard library: any layer may use it.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

__all__ = [
    "FIN_BIT",
    "GUID",
    "LENGTH_16",
    "LENGTH_64",
    "LENGTH_BITS",
    "MASK_BIT",
    "MAX_CLOSE_REASON",
    "MAX_CONTROL_PAYLOAD",
    "MAX_LENGTH_7",
    "MAX_LENGTH_16",
    "OPCODE_BITS",
    "RSV1_BIT",
    "RSV2_BIT",
    "RSV3_BIT",
    "RSV_BITS",
    "VERSION",
    "CloseCode",
    "Opcode",
    "is_valid_close_code",
]


class Opcode(IntEnum):
    """A frame's opcode (RFC 6455 5.2); 0x3-0x7 and 0xB-0xF are reserved.

    Opcodes 0x8 and up are control frames (RFC 6455 5.5), the rest data
    frames (5.6).
    """

    CONTINUATION = 0x0  # the next fragment of a message (5.4)
    TEXT = 0x1  # a text message: UTF-8 (5.6)
    BINARY = 0x2  # a binary message (5.6)
    CLOSE = 0x8  # 5.5.1
    PING = 0x9  # 5.5.2
    PONG = 0xA  # 5.5.3

    @property
    def is_control(self) -> bool:
        """A control frame: Close, Ping or Pong (RFC 6455 5.5)."""
        return self >= Opcode.CLOSE


class CloseCode(IntEnum):
    """A Close frame's status code (RFC 6455 7.4.1, IANA registry, RFC 6455 11.7).

    1004 is reserved and has no meaning; NO_STATUS_RCVD, ABNORMAL_CLOSURE and
    TLS_HANDSHAKE are never sent in a Close frame (RFC 6455 7.4.1): they report
    a close without a code, without a Close frame, or a failed TLS handshake.
    """

    NORMAL_CLOSURE = 1000  # the purpose of the connection is fulfilled
    GOING_AWAY = 1001  # a server going down, a browser leaving the page
    PROTOCOL_ERROR = 1002  # the peer broke a rule of the protocol
    UNSUPPORTED_DATA = 1003  # a type of data the endpoint cannot accept
    NO_STATUS_RCVD = 1005  # the Close frame had no code (never sent)
    ABNORMAL_CLOSURE = 1006  # the connection ended without a Close frame (never sent)
    INVALID_FRAME_PAYLOAD_DATA = 1007  # data inconsistent with its type: invalid UTF-8 in text
    POLICY_VIOLATION = 1008  # a message that violates the endpoint's policy
    MESSAGE_TOO_BIG = 1009  # a message too big to process
    MANDATORY_EXT = 1010  # the client needed an extension the server did not negotiate
    INTERNAL_ERROR = 1011  # an unexpected condition on the server
    SERVICE_RESTART = 1012  # the server is restarting (IANA registry)
    TRY_AGAIN_LATER = 1013  # a temporary condition: reconnect later (IANA registry)
    BAD_GATEWAY = 1014  # an invalid response from upstream, as a gateway (IANA registry)
    TLS_HANDSHAKE = 1015  # the TLS handshake failed (never sent)


def is_valid_close_code(code: int) -> bool:
    """Whether a Close frame may carry ``code`` (RFC 6455 7.4, IANA registry).

    1000-1003 (NORMAL_CLOSURE to UNSUPPORTED_DATA) and 1007-1014
    (INVALID_FRAME_PAYLOAD_DATA to BAD_GATEWAY) are registered and may be
    sent; 1004-1006 and 1015 are reserved, 1016-2999 are for future RFCs
    (7.4.2), 3000-4999 belong to libraries and applications.
    """
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


# Frame header (RFC 6455 5.2). The first byte: FIN, RSV1-3, the opcode.
FIN_BIT: Final = 0x80  # the last frame of a message
RSV1_BIT: Final = 0x40  # reserved for extensions: permessage-deflate's "compressed" bit (RFC 7692 6)
RSV2_BIT: Final = 0x20  # reserved for extensions
RSV3_BIT: Final = 0x10  # reserved for extensions
RSV_BITS: Final = RSV1_BIT | RSV2_BIT | RSV3_BIT  # 0 unless an extension defines them (5.2)
OPCODE_BITS: Final = 0x0F
# The second byte: MASK, then a 7-bit payload length.
MASK_BIT: Final = 0x80  # the payload is masked: every client frame, no server frame (5.1, 5.3)
LENGTH_BITS: Final = 0x7F
MAX_LENGTH_7: Final = 125  # the largest length the 7 bits hold themselves
LENGTH_16: Final = 126  # a 16-bit length follows
LENGTH_64: Final = 127  # a 64-bit length follows (its most significant bit 0)
MAX_LENGTH_16: Final = 0xFFFF  # the largest length of the 16-bit form
# Control frames (RFC 6455 5.5).
MAX_CONTROL_PAYLOAD: Final = 125  # and they are never fragmented
MAX_CLOSE_REASON: Final = MAX_CONTROL_PAYLOAD - 2  # bytes of UTF-8 after the 2-byte code (5.5.1)

# The opening handshake (RFC 6455 4).
GUID: Final = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # hashed with the client's key for the accept (1.3, 4.2.2)
VERSION: Final = b"13"  # the Sec-WebSocket-Version this RFC defines (4.1, 4.4)

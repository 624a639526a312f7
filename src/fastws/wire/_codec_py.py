"""RFC 6455, server side, sans I/O: the pure twin of ``_codec_c.pyx``.

Bytes in, events out: ``Connection.receive_data(data)`` returns what the
data completes, in order: a text message as a ``str``, a binary message as
``bytes``, and ``Ping``, ``Pong``, ``Close`` or ``Fail`` (``events.py``).
Events in, bytes out: ``send_text``, ``send_bytes``, ``send_ping``,
``send_pong`` and ``send_close`` return the frame to write. The replies the
protocol owes the peer (a pong per ping, the echo of its Close, the Close
that fails the connection) are queued for ``data_to_send()``.

Any TCP chunking works, one byte at a time included. Payloads are unmasked
as they arrive, and text is validated as it arrives, so invalid UTF-8 fails
the connection at the chunk that holds it.

The protocol's numbers are named in ``rfc6455.py``; the frame rules, and
every reason a frame fails the connection, are written once for both twins
in ``_frame_rules.py`` (this twin imports it, and asks it about any frame
but the common data frame it accepts inline). Each check below names the
section of RFC 6455 it enforces, in the same order as in the compiled twin.
"""

from __future__ import annotations

import codecs
import struct
from typing import TypeAlias

from ._frame_rules import (
    INVALID_UTF8_IN_TEXT,
    OVER_MAX_SIZE,
    close_payload,
    header_error,
    inflate,
    length_error,
    read_close,
)
from .counts import (
    BINARY_RECEIVED,
    BINARY_SENT,
    CLOSES_RECEIVED,
    CLOSES_SENT,
    PINGS_RECEIVED,
    PINGS_SENT,
    PONGS_RECEIVED,
    PONGS_SENT,
    SLOTS,
    TEXT_RECEIVED,
    TEXT_SENT,
    Counts,
)
from .deflate import PerMessageDeflate
from .events import Fail, Ping, Pong, ProtocolStateError
from .rfc6455 import (
    FIN_BIT,
    LENGTH_16,
    LENGTH_64,
    LENGTH_BITS,
    MASK_BIT,
    MAX_CONTROL_PAYLOAD,
    MAX_LENGTH_7,
    MAX_LENGTH_16,
    OPCODE_BITS,
    RSV1_BIT,
    RSV_BITS,
    CloseCode,
    Opcode,
    is_valid_close_code,
)

__all__ = [
    "CLOSED",
    "CLOSING",
    "DEFAULT_MAX_SIZE",
    "MESSAGE_COST",
    "OPEN",
    "UNMASK_IMPLEMENTATIONS",
    "Connection",
    "build_frame",
    "close_payload",
    "count_sent",
    "counts",
    "is_valid_close_code",
    "unmask",
]

# Opcodes (RFC 6455 5.2) under the names both twins compare (C ints in the compiled one)
OP_CONTINUATION = Opcode.CONTINUATION
OP_TEXT = Opcode.TEXT
OP_BINARY = Opcode.BINARY
OP_CLOSE = Opcode.CLOSE
OP_PING = Opcode.PING
OP_PONG = Opcode.PONG

# The frame header (RFC 6455 5.2): FIN_BIT, RSV_BITS, LENGTH_16 and the rest, imported from
# rfc6455 as they are (the compiled twin copies them into C ints)
NOT_FIN = RSV_BITS | OPCODE_BITS  # the first byte but FIN

# Connection states
OPEN = 1  # messages flow both ways
CLOSING = 2  # we sent a Close frame and wait for the peer's
CLOSED = 3  # the peer's Close arrived, or the connection failed: nothing more is read

DEFAULT_MAX_SIZE = 16 * 1024 * 1024  # uvicorn's ws_max_size default
#: what a message counts against ``receive_data``'s limit beyond its payload: about what its event costs the
#: protocol to hold (a dict, a str or bytes object, a queue slot), so that a read of empty messages stops as
#: soon as one of large messages holding as much memory would
MESSAGE_COST = 256

_Buffer: TypeAlias = bytes | bytearray | memoryview  # what the frame functions take as bytes

_HEADER = 0  # reading a frame header
_PAYLOAD = 1  # reading a data frame's payload

_counts = [0] * SLOTS  # what every Connection of this twin carried: counts.py names the slots


def counts() -> Counts:
    """What every ``Connection`` of this twin has received and sent in this process, so far."""
    return Counts(*_counts)


def count_sent(text: bool, messages: int, size: int) -> None:
    """Count ``messages`` data messages of ``size`` payload bytes each, framed by ``build_frame`` and written."""
    slot = TEXT_SENT if text else BINARY_SENT
    _counts[slot] += messages
    _counts[slot + 1] += messages * size


# One implementation here: Python's big integers (the compiled twin has its SIMD ones)
UNMASK_IMPLEMENTATIONS = ("python",)


def unmask(data: _Buffer, mask: _Buffer, offset: int = 0, implementation: str | None = None) -> bytes:
    """``data`` XOR the 4-byte ``mask``, starting at mask byte ``offset`` (RFC 6455 5.3).

    ``implementation`` names one of ``UNMASK_IMPLEMENTATIONS`` (None: the
    one this CPU gets), so the tests can run each.
    """
    data, mask, offset = bytes(data), bytes(mask), offset & 3
    if len(mask) != 4:
        raise ValueError("a mask is 4 bytes")
    if implementation is not None and implementation not in UNMASK_IMPLEMENTATIONS:
        raise ValueError(f"no unmasking implementation {implementation!r} here: {UNMASK_IMPLEMENTATIONS}")
    n = len(data)
    if n == 0:
        return b""
    key = (mask[offset:] + mask[:offset]) * (n // 4 + 1)
    return (int.from_bytes(data, "little") ^ int.from_bytes(key[:n], "little")).to_bytes(n, "little")


def build_frame(opcode: int, payload: _Buffer, fin: bool = True, rsv1: bool = False) -> bytes:
    """A server frame: never masked (RFC 6455 5.1), length in 7, 16 or 64 bits."""
    if not 0 <= opcode <= OPCODE_BITS:
        raise ValueError(f"opcode {opcode} is not 0-15")
    first = (FIN_BIT if fin else 0) | (RSV1_BIT if rsv1 else 0) | opcode
    return _header(first, len(payload)) + payload


def _header(first: int, n: int) -> bytes:
    """A server frame's header for ``n`` payload bytes: never masked (RFC 6455 5.1), length in 7, 16 or 64 bits."""
    if n <= MAX_LENGTH_7:
        return bytes((first, n))
    if n <= MAX_LENGTH_16:
        return struct.pack("!BBH", first, LENGTH_16, n)
    return struct.pack("!BBQ", first, LENGTH_64, n)


class Connection:
    """The server side of one WebSocket connection, after the handshake.

    ``max_size`` bounds a message's size in bytes (None: no bound); a larger
    one fails the connection with 1009 as soon as its frame header says so
    (and, compressed, as soon as inflating passes it). ``deflate`` is the
    negotiated permessage-deflate, if any.
    """

    def __init__(self, max_size: int | None = DEFAULT_MAX_SIZE, deflate: PerMessageDeflate | None = None) -> None:
        if max_size is not None and (type(max_size) is not int or not 0 <= max_size < 1 << 63):
            # RFC 6455 5.2: a length is 63 bits; negative would fail every message, even an empty one
            raise ValueError(f"max_size must be None or an integer from 0 to 2**63 - 1, not {max_size!r}")
        self.max_size = max_size
        self.deflate = deflate
        self.state = OPEN
        self.close_sent = False
        self.stopped = False  # the last receive_data stopped at its limit, with bytes left to parse
        self._buffer = bytearray()
        self._outgoing: list[bytes] = []
        self._stage = _HEADER
        # the frame being read
        self._fin = False
        self._mask = b""
        self._mask_offset = 0
        self._remaining = 0
        # the message being read
        self._in_message = False
        self._text = False
        self._compressed = False
        self._size = 0
        self._parts: list[bytes] | list[str] = []
        self._decoder = codecs.getincrementaldecoder("utf-8")()

    # ----------------------------------------------------------- bytes in

    def receive_from(self, buffer: bytearray, size: int, limit: int) -> list[object]:
        """Feed ``buffer[:size]``, as ``receive_data`` does with a ``limit``: bytes from the
        peer read into a buffer of the caller's (``asyncio.BufferedProtocol``), which it may
        use again once this returns (what is left to parse later is copied).
        """
        if type(buffer) is not bytearray:
            raise TypeError(f"a bytearray is read from, not {type(buffer).__name__}")
        if not 0 <= size <= len(buffer):
            raise ValueError(f"size {size} is not within the buffer's {len(buffer)} bytes")
        with memoryview(buffer) as view:
            return self.receive_data(view[:size], limit)

    def receive_data(self, data: _Buffer, limit: int | None = None) -> list[object]:
        """Feed bytes from the peer; return the events they complete.

        With ``limit``, parsing stops at the first message boundary where the
        messages returned hold ``limit`` bytes or more, each counted with
        ``MESSAGE_COST`` bytes more than its payload (none are parsed for a
        limit of 0 or less): the rest stays buffered, ``stopped`` is True,
        and a later call (``receive_data(b"")`` or with more data) goes on.
        """
        events: list[object] = []
        self.stopped = False
        if self.state == CLOSED:
            return events  # after the peer's Close or a failure, nothing is read
        buf = self._buffer
        buf += data
        pos = 0
        end = len(buf)
        produced = 0  # bytes of the messages in events
        while True:
            if self._stage == _HEADER:
                if end - pos < 2:
                    break
                if limit is not None and produced >= limit and not self._in_message:
                    self.stopped = True
                    break
                first = buf[pos]
                second = buf[pos + 1]
                fin = first & FIN_BIT
                opcode = first & OPCODE_BITS
                length = second & LENGTH_BITS
                # RFC 6455 5.1, 5.2, 5.4, 5.5 and RFC 7692 6: the rules of _frame_rules. Inline, what one
                # compare proves they accept: a masked data frame, no RSV bit, that starts a message
                # (text, binary) when none is open or continues the open one; any other frame asks them.
                kind = first & NOT_FIN
                if not (
                    second & MASK_BIT
                    and (kind == OP_CONTINUATION if self._in_message else OP_TEXT <= kind <= OP_BINARY)
                ):
                    reason = header_error(first, second, self.deflate is not None, self._in_message)
                    if reason is not None:
                        return self._fail(events, CloseCode.PROTOCOL_ERROR, reason)
                # RFC 6455 5.2: 2 bytes, a 16- or 64-bit length when the 7 bits say so, the 4-byte mask
                header = 6 if length <= MAX_LENGTH_7 else 8 if length == LENGTH_16 else 14
                if end - pos < header:
                    break
                if length > MAX_LENGTH_7:
                    if length == LENGTH_16:
                        length = (buf[pos + 2] << 8) | buf[pos + 3]
                    else:
                        length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                    # RFC 6455 5.2: a length in the fewest bytes, and the 64-bit one's most significant bit 0
                    reason = length_error(second & LENGTH_BITS, length)
                    if reason is not None:
                        return self._fail(events, CloseCode.PROTOCOL_ERROR, reason)
                mask = bytes(buf[pos + header - 4 : pos + header])
                if opcode >= OP_CLOSE:
                    if end - pos < header + length:
                        break  # control frames are read whole (at most 125 bytes)
                    payload = unmask(bytes(buf[pos + header : pos + header + length]), mask)
                    pos += header + length
                    if not self._control(events, opcode, payload):
                        return events
                    continue
                if opcode != OP_CONTINUATION:
                    self._in_message = True
                    self._text = opcode == OP_TEXT
                    self._compressed = bool(first & RSV1_BIT)
                    self._size = 0
                # RFC 6455 10.4: an endpoint limits the size of the messages it takes (1009: 7.4.1)
                if self.max_size is not None and self._size + length > self.max_size:
                    return self._fail(events, CloseCode.MESSAGE_TOO_BIG, OVER_MAX_SIZE.format(self.max_size))
                self._size += length
                self._fin = bool(fin)
                self._mask = mask
                self._mask_offset = 0
                self._remaining = length
                self._stage = _PAYLOAD
                pos += header
            take = min(self._remaining, end - pos)
            if take == 0 and self._remaining:
                break
            chunk = unmask(bytes(buf[pos : pos + take]), self._mask, self._mask_offset)
            pos += take
            self._remaining -= take
            self._mask_offset = (self._mask_offset + take) & 3
            # RFC 6455 8.1: a text message is UTF-8; invalid data fails the connection (1007: 7.4.1)
            if self._text and not self._compressed:
                try:
                    self._parts.append(self._decoder.decode(chunk))  # type: ignore[arg-type]
                except UnicodeDecodeError:
                    return self._fail(events, CloseCode.INVALID_FRAME_PAYLOAD_DATA, INVALID_UTF8_IN_TEXT)
                pending = self._decoder.getstate()[0]
                if len(pending) >= 2 and pending[0] == 0xED and pending[1] >= 0xA0:
                    # A surrogate's prefix (ED A0-BF): CPython rejects it only once a
                    # third byte comes; RFC 3629 says it is invalid already.
                    return self._fail(events, CloseCode.INVALID_FRAME_PAYLOAD_DATA, INVALID_UTF8_IN_TEXT)
            else:
                self._parts.append(chunk)  # type: ignore[arg-type]
            if self._remaining:
                break
            self._stage = _HEADER
            if self._fin:
                if self._compressed:
                    if not self._inflated(events):
                        return events
                elif self._text:
                    try:
                        self._parts.append(self._decoder.decode(b"", final=True))  # type: ignore[arg-type]
                    except UnicodeDecodeError:
                        return self._fail(events, CloseCode.INVALID_FRAME_PAYLOAD_DATA, INVALID_UTF8_IN_TEXT)
                    events.append("".join(self._parts))  # type: ignore[arg-type]
                else:
                    events.append(b"".join(self._parts))  # type: ignore[arg-type]
                produced += self._size + MESSAGE_COST  # the message's size (inflated, if it was compressed)
                slot = TEXT_RECEIVED if self._text else BINARY_RECEIVED
                _counts[slot] += 1
                _counts[slot + 1] += self._size
                self._parts = []
                self._in_message = False
        del buf[:pos]
        return events

    def _inflated(self, events: list[object]) -> bool:
        """Inflate the compressed message just read and report it; False if that failed the connection."""
        assert self.deflate is not None
        result = inflate(self.deflate, b"".join(self._parts), self.max_size, self._text)  # type: ignore[arg-type]
        if isinstance(result, Fail):
            self._fail(events, result.code, result.reason)
            return False
        message, self._size = result  # the size receive_data's limit counts: the inflated one
        events.append(message)
        return True

    def _control(self, events: list[object], opcode: int, payload: bytes) -> bool:
        """Handle a ping, pong or close; False when nothing more is to be read."""
        # RFC 6455 5.5.2: a Ping is answered by a Pong with its payload (5.5.3)
        if opcode == OP_PING:
            _counts[PINGS_RECEIVED] += 1
            if not self.close_sent:
                self._outgoing.append(build_frame(OP_PONG, payload))
                _counts[PONGS_SENT] += 1
            events.append(Ping(payload))
            return True
        if opcode == OP_PONG:
            _counts[PONGS_RECEIVED] += 1
            events.append(Pong(payload))
            return True
        _counts[CLOSES_RECEIVED] += 1
        # RFC 6455 5.5.1, 7.4: the code and reason, by the rules of _frame_rules
        event = read_close(payload)
        if type(event) is Fail:
            self._fail(events, event.code, event.reason)
            return False
        if not self.close_sent:
            self._outgoing.append(build_frame(OP_CLOSE, payload[:2]))  # echo the code (RFC 6455 5.5.1)
            self.close_sent = True
            _counts[CLOSES_SENT] += 1
        self._closed()
        events.append(event)
        return False

    def _fail(self, events: list[object], code: int, reason: str) -> list[object]:
        """Fail the connection (RFC 6455 7.1.7): queue our Close, read no more."""
        code = int(code)  # a plain int in the event, as the compiled twin's C int
        if not self.close_sent:
            self._outgoing.append(build_frame(OP_CLOSE, close_payload(code, reason)))
            self.close_sent = True
            _counts[CLOSES_SENT] += 1
        self._closed()
        events.append(Fail(code, reason))
        return events

    def lost(self) -> None:
        """The connection is gone: let go of what was read and is not a message yet (the unparsed bytes, the
        message being read: up to ``max_size`` reserved for it). Nothing more is read."""
        self._closed()

    def _closed(self) -> None:
        self.state = CLOSED
        self._buffer.clear()
        self._parts = []

    # ----------------------------------------------------------- bytes out

    def data_to_send(self) -> bytes:
        """The queued replies (pongs, the Close echo or failure), once."""
        if not self._outgoing:
            return b""
        data = b"".join(self._outgoing)
        self._outgoing.clear()
        return data

    def _check_can_send(self) -> None:
        if self.close_sent:
            raise ProtocolStateError("a Close frame was sent: no more frames may follow it")

    def send_text(self, text: str) -> bytes:
        """A text message frame (compressed when deflate was negotiated)."""
        self._check_can_send()
        payload = text.encode("utf-8")
        _counts[TEXT_SENT] += 1
        _counts[TEXT_SENT + 1] += len(payload)
        if self.deflate is not None:
            return build_frame(OP_TEXT, self.deflate.encode(payload), rsv1=True)
        return build_frame(OP_TEXT, payload)

    def send_bytes(self, data: _Buffer) -> bytes:
        """A binary message frame (compressed when deflate was negotiated)."""
        self._check_can_send()
        payload = bytes(data)
        _counts[BINARY_SENT] += 1
        _counts[BINARY_SENT + 1] += len(payload)
        if self.deflate is not None:
            return build_frame(OP_BINARY, self.deflate.encode(payload), rsv1=True)
        return build_frame(OP_BINARY, payload)

    def send_header(self, text: bool, size: int) -> bytes:
        """The header of a one-frame text or binary message of ``size`` payload bytes, uncompressed.

        The caller writes the payload right after it, as it is (text as
        UTF-8): a large message goes out without being copied into a frame.
        Counted as sent. Not with permessage-deflate: that payload is compressed.
        """
        self._check_can_send()
        if self.deflate is not None:
            raise ProtocolStateError("permessage-deflate compresses the payload: use send_text or send_bytes")
        if size < 0:
            raise ValueError("a payload size is 0 or more")
        if size >= 1 << 63:  # RFC 6455 5.2: 63 bits (the compiled twin's Py_ssize_t raises the same)
            raise OverflowError("a payload size is at most 2**63 - 1")
        slot = TEXT_SENT if text else BINARY_SENT
        _counts[slot] += 1
        _counts[slot + 1] += size
        return _header(FIN_BIT | (OP_TEXT if text else OP_BINARY), size)

    def send_ping(self, payload: _Buffer = b"") -> bytes:
        """A ping frame (at most 125 bytes of payload)."""
        self._check_can_send()
        if len(payload) > MAX_CONTROL_PAYLOAD:  # RFC 6455 5.5
            raise ValueError("a ping payload is at most 125 bytes")
        _counts[PINGS_SENT] += 1
        return build_frame(OP_PING, bytes(payload))

    def send_pong(self, payload: _Buffer = b"") -> bytes:
        """An unsolicited pong frame (at most 125 bytes of payload)."""
        self._check_can_send()
        if len(payload) > MAX_CONTROL_PAYLOAD:  # RFC 6455 5.5
            raise ValueError("a pong payload is at most 125 bytes")
        _counts[PONGS_SENT] += 1
        return build_frame(OP_PONG, bytes(payload))

    def send_close(self, code: int | None = CloseCode.NORMAL_CLOSURE, reason: str = "") -> bytes:
        """Our Close frame: starts the closing handshake (see ``close_payload``)."""
        self._check_can_send()
        frame = build_frame(OP_CLOSE, close_payload(code, reason))
        self.close_sent = True
        _counts[CLOSES_SENT] += 1
        if self.state == OPEN:
            self.state = CLOSING
        return frame

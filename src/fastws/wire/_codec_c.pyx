# cython: language_level=3, cdivision=True, boundscheck=False, wraparound=False
"""RFC 6455, server side, sans I/O: the compiled twin of ``_codec_py.py``.

The same ``Connection`` (bytes in, events out; events in, bytes out) and the
same helpers, read side by side with the pure twin. What differs is how:
payloads are unmasked with SIMD (``_unmask.h``) straight into the message
object, even across reads, and checked for ASCII in the same pass; only text
that is not ASCII goes through a UTF-8 state machine; frames are built in
one allocation.

The protocol's numbers are named in ``rfc6455.py``; the frame rules, and
every reason a frame fails the connection, are written once for both twins
in ``_frame_rules.py``: this twin cimports that source compiled as
``_frame_rules_c`` and calls it at C level, after an inline check that
accepts the common data frame. Each check below names the section of RFC
6455 it enforces, in the same order as in the pure twin.
"""

from cpython.bytearray cimport (
    PyByteArray_AS_STRING,
    PyByteArray_FromStringAndSize,
    PyByteArray_GET_SIZE,
    PyByteArray_Resize,
)
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_CheckExact, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.stdint cimport uint64_t
from libc.string cimport memcpy

from ._frame_rules_c cimport header_error, inflate, length_error, read_close

from . import counts as _slots
from . import rfc6455
from . import _frame_rules_c
from ._frame_rules_c import close_payload
from .counts import Counts
from .events import Fail, Ping, Pong, ProtocolStateError
from .rfc6455 import CloseCode, Opcode, is_valid_close_code

cdef extern from "Python.h":
    object PyUnicode_New(Py_ssize_t size, unsigned int maxchar)
    void* PyUnicode_DATA(object o)
    const char* PyUnicode_AsUTF8AndSize(object o, Py_ssize_t* size) except NULL
    bint PyUnicode_CheckExact(object o)

cdef extern from "_unmask.h":
    ctypedef uint64_t (*fastws_unmask_fn)(unsigned char* out, const unsigned char* data, size_t n,
                                          uint64_t key64) noexcept nogil
    uint64_t fastws_key64(const unsigned char* mask, int offset) noexcept nogil
    fastws_unmask_fn fastws_unmask_named(const char* name) noexcept nogil
    uint64_t fastws_unmask(unsigned char* out, const unsigned char* data, size_t n,
                           const unsigned char* mask, int offset) noexcept nogil

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

# Opcodes (RFC 6455 5.2) under the names both twins compare: C ints here
cdef unsigned char OP_CONTINUATION = Opcode.CONTINUATION
cdef unsigned char OP_TEXT = Opcode.TEXT
cdef unsigned char OP_BINARY = Opcode.BINARY
cdef unsigned char OP_CLOSE = Opcode.CLOSE
cdef unsigned char OP_PING = Opcode.PING
cdef unsigned char OP_PONG = Opcode.PONG

# The frame header (RFC 6455 5.2) as C ints: the checks compare them with no Python lookup
cdef unsigned char FIN_BIT = rfc6455.FIN_BIT
cdef unsigned char RSV1_BIT = rfc6455.RSV1_BIT
cdef unsigned char RSV_BITS = rfc6455.RSV_BITS
cdef unsigned char OPCODE_BITS = rfc6455.OPCODE_BITS
cdef unsigned char NOT_FIN = RSV_BITS | OPCODE_BITS  # the first byte but FIN
cdef unsigned char MASK_BIT = rfc6455.MASK_BIT
cdef unsigned char LENGTH_BITS = rfc6455.LENGTH_BITS
cdef unsigned char MAX_LENGTH_7 = rfc6455.MAX_LENGTH_7
cdef unsigned char LENGTH_16 = rfc6455.LENGTH_16
cdef unsigned char LENGTH_64 = rfc6455.LENGTH_64
cdef Py_ssize_t MAX_LENGTH_16 = rfc6455.MAX_LENGTH_16
cdef Py_ssize_t MAX_CONTROL_PAYLOAD = rfc6455.MAX_CONTROL_PAYLOAD

# The reasons this twin fails the connection with itself, from _frame_rules (the rules return the others):
# C globals, no lookup on the paths that may fail
cdef str INVALID_UTF8_IN_TEXT = _frame_rules_c.INVALID_UTF8_IN_TEXT
cdef str OVER_MAX_SIZE = _frame_rules_c.OVER_MAX_SIZE

# Connection states
OPEN = 1  # messages flow both ways
CLOSING = 2  # we sent a Close frame and wait for the peer's
CLOSED = 3  # the peer's Close arrived, or the connection failed: nothing more is read
cdef enum:
    _OPEN = 1
    _CLOSING = 2
    _CLOSED = 3

DEFAULT_MAX_SIZE = 16 * 1024 * 1024  # uvicorn's ws_max_size default
#: what a message counts against ``receive_data``'s limit beyond its payload: about what its event costs the
#: protocol to hold (a dict, a str or bytes object, a queue slot), so that a read of empty messages stops as
#: soon as one of large messages holding as much memory would
cdef Py_ssize_t _MESSAGE_COST = 256
MESSAGE_COST = _MESSAGE_COST

cdef enum:
    _HEADER = 0  # reading a frame header
    _PAYLOAD = 1  # reading a data frame's payload

# A one-frame message that has not all arrived is read straight into its str or bytes, made at its full
# length once its header is in, if that length is at most RESERVE_ALWAYS or RESERVE_AHEAD times what of
# it has arrived (what a client can make the server reserve for bytes it has not sent); else, and for
# fragmented messages, into a growing buffer.
cdef Py_ssize_t RESERVE_ALWAYS = 64 * 1024
cdef Py_ssize_t RESERVE_AHEAD = 8


# ----------------------------------------------------------------- counting

# What every Connection of this twin carried: counts.py names the slots (copied into C ints)
cdef int TEXT_RECEIVED = _slots.TEXT_RECEIVED
cdef int BINARY_RECEIVED = _slots.BINARY_RECEIVED
cdef int TEXT_SENT = _slots.TEXT_SENT
cdef int BINARY_SENT = _slots.BINARY_SENT
cdef int PINGS_RECEIVED = _slots.PINGS_RECEIVED
cdef int PONGS_RECEIVED = _slots.PONGS_RECEIVED
cdef int CLOSES_RECEIVED = _slots.CLOSES_RECEIVED
cdef int PINGS_SENT = _slots.PINGS_SENT
cdef int PONGS_SENT = _slots.PONGS_SENT
cdef int CLOSES_SENT = _slots.CLOSES_SENT
cdef enum:
    SLOTS = 14
assert SLOTS == _slots.SLOTS
cdef unsigned long long _counts[SLOTS]


cdef inline void _count(int slot, Py_ssize_t size) noexcept nogil:
    """One data message of ``size`` payload bytes, at ``slot``."""
    _counts[slot] += 1
    _counts[slot + 1] += size


def counts():
    """What every ``Connection`` of this twin has received and sent in this process, so far."""
    return Counts(*[_counts[i] for i in range(SLOTS)])


cpdef count_sent(bint text, Py_ssize_t messages, Py_ssize_t size):
    """Count ``messages`` data messages of ``size`` payload bytes each, framed by ``build_frame`` and written."""
    cdef int slot = TEXT_SENT if text else BINARY_SENT
    _counts[slot] += messages
    _counts[slot + 1] += messages * size


# ------------------------------------------------------------------ masking

# The loop itself is C (_unmask.h): AVX2 or SSE2 on x86-64, chosen once for the CPU, else portable
UNMASK_IMPLEMENTATIONS = tuple(name for name in ("avx2", "sse2", "portable") if fastws_unmask_named(name.encode()))


cdef inline bint _unmask_into(unsigned char* out, const unsigned char* data, Py_ssize_t n,
                              const unsigned char* mask, int offset) noexcept nogil:
    """``out[:n] = data[:n]`` XOR ``mask`` from mask byte ``offset``; True if a byte written is not ASCII."""
    return fastws_unmask(out, data, <size_t>n, mask, offset) != 0


def unmask(data, mask, int offset=0, implementation=None):
    """``data`` XOR the 4-byte ``mask``, starting at mask byte ``offset`` (RFC 6455 5.3).

    ``implementation`` names one of ``UNMASK_IMPLEMENTATIONS`` (None: the
    one this CPU gets), so the tests can run each.
    """
    cdef bytes source = data if PyBytes_CheckExact(data) else bytes(data)
    cdef bytes key = mask if PyBytes_CheckExact(mask) else bytes(mask)
    cdef fastws_unmask_fn run
    if PyBytes_GET_SIZE(key) != 4:
        raise ValueError("a mask is 4 bytes")
    if implementation is None:
        run = fastws_unmask_named(NULL)
    elif implementation in UNMASK_IMPLEMENTATIONS:
        run = fastws_unmask_named((<str>implementation).encode())
    else:
        raise ValueError(f"no unmasking implementation {implementation!r} here: {UNMASK_IMPLEMENTATIONS}")
    cdef Py_ssize_t n = PyBytes_GET_SIZE(source)
    cdef bytes out = PyBytes_FromStringAndSize(NULL, n)
    run(<unsigned char*>PyBytes_AS_STRING(out), <const unsigned char*>PyBytes_AS_STRING(source), <size_t>n,
        fastws_key64(<const unsigned char*>PyBytes_AS_STRING(key), offset & 3))
    return out


# ------------------------------------------------------------------- UTF-8

# A UTF-8 validator that can stop anywhere: ``need`` continuation bytes are
# still due, the next one in ``lo``..``hi`` (RFC 3629: no overlongs, no
# surrogates, nothing past U+10FFFF). Its state, ``_Utf8``, is a field of
# ``Connection``: declared in _codec_c.pxd.


cdef inline bint _utf8_feed(_Utf8* s, const unsigned char* p, Py_ssize_t n) noexcept nogil:
    """Validate ``p[:n]`` after what ``s`` has seen; False at the first invalid byte."""
    cdef Py_ssize_t i = 0
    cdef unsigned char c
    cdef uint64_t word
    while i < n:
        c = p[i]
        if s.need == 0:
            if c < 0x80:
                i += 1
                while i + 8 <= n:  # ASCII runs, eight bytes at a time
                    memcpy(&word, p + i, 8)
                    if word & 0x8080808080808080ULL:
                        break
                    i += 8
                continue
            if 0xC2 <= c <= 0xDF:
                s.need, s.lo, s.hi = 1, 0x80, 0xBF
            elif c == 0xE0:
                s.need, s.lo, s.hi = 2, 0xA0, 0xBF
            elif c == 0xED:
                s.need, s.lo, s.hi = 2, 0x80, 0x9F
            elif 0xE1 <= c <= 0xEF:
                s.need, s.lo, s.hi = 2, 0x80, 0xBF
            elif c == 0xF0:
                s.need, s.lo, s.hi = 3, 0x90, 0xBF
            elif 0xF1 <= c <= 0xF3:
                s.need, s.lo, s.hi = 3, 0x80, 0xBF
            elif c == 0xF4:
                s.need, s.lo, s.hi = 3, 0x80, 0x8F
            else:
                return False
        else:
            if c < s.lo or c > s.hi:
                return False
            s.need -= 1
            s.lo = 0x80
            s.hi = 0xBF
        i += 1
    return True


# ------------------------------------------------------------------ frames

cdef inline Py_ssize_t _header_size(Py_ssize_t n) noexcept nogil:
    return 2 if n <= MAX_LENGTH_7 else 4 if n <= MAX_LENGTH_16 else 10


cdef inline void _write_header(unsigned char* o, unsigned char first, Py_ssize_t n) noexcept nogil:
    cdef int k
    o[0] = first
    if n <= MAX_LENGTH_7:
        o[1] = <unsigned char>n
    elif n <= MAX_LENGTH_16:
        o[1] = LENGTH_16
        o[2] = <unsigned char>(n >> 8)
        o[3] = <unsigned char>n
    else:
        o[1] = LENGTH_64
        for k in range(8):
            o[2 + k] = <unsigned char>((<uint64_t>n) >> (56 - 8 * k))


cdef bytes _frame(unsigned char first, const char* payload, Py_ssize_t n):
    """A server frame in one allocation: never masked (RFC 6455 5.1)."""
    cdef Py_ssize_t h = _header_size(n)
    cdef bytes out = PyBytes_FromStringAndSize(NULL, h + n)
    cdef unsigned char* o = <unsigned char*>PyBytes_AS_STRING(out)
    _write_header(o, first, n)
    memcpy(o + h, payload, n)
    return out


cpdef bytes build_frame(int opcode, payload, bint fin=True, bint rsv1=False):
    """A server frame: never masked (RFC 6455 5.1), length in 7, 16 or 64 bits."""
    if not 0 <= opcode <= OPCODE_BITS:
        raise ValueError(f"opcode {opcode} is not 0-15")
    cdef bytes data = payload if PyBytes_CheckExact(payload) else bytes(payload)
    cdef unsigned char first = (FIN_BIT if fin else 0) | (RSV1_BIT if rsv1 else 0) | opcode
    return _frame(first, PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data))


cdef bytes _control_frame(unsigned char opcode, bytes payload):
    return _frame(FIN_BIT | opcode, PyBytes_AS_STRING(payload), PyBytes_GET_SIZE(payload))


# -------------------------------------------------------------- Connection

cdef class Connection:
    """The server side of one WebSocket connection, after the handshake.

    ``max_size`` bounds a message's size in bytes (None: no bound); a larger
    one fails the connection with 1009 as soon as its frame header says so
    (and, compressed, as soon as inflating passes it). ``deflate`` is the
    negotiated permessage-deflate, if any.
    """

    # its fields, and the methods other compiled twins call at C level: _codec_c.pxd

    def __init__(self, max_size=DEFAULT_MAX_SIZE, deflate=None):
        if max_size is not None and (type(max_size) is not int or not 0 <= max_size < 1 << 63):
            # RFC 6455 5.2: a length is 63 bits; negative would fail every message, even an empty one
            raise ValueError(f"max_size must be None or an integer from 0 to 2**63 - 1, not {max_size!r}")
        self.max_size = max_size
        self.deflate = deflate
        self._max = -1 if max_size is None else max_size
        self.state = _OPEN
        self.close_sent = False
        self._stage = _HEADER

    # ----------------------------------------------------------- bytes in

    cpdef list receive_data(self, data, limit=None):
        """Feed bytes from the peer; return the events they complete.

        With ``limit``, parsing stops at the first message boundary where the
        messages returned hold ``limit`` bytes or more, each counted with
        ``MESSAGE_COST`` bytes more than its payload (none are parsed for a
        limit of 0 or less): the rest stays buffered, ``stopped`` is True,
        and a later call (``receive_data(b"")`` or with more data) goes on.
        """
        if not PyBytes_CheckExact(data):
            data = bytes(data)
        return self._receive(PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data), -1 if limit is None else max(limit, 0))

    cpdef list receive_from(self, bytearray buffer, Py_ssize_t size, Py_ssize_t limit):
        """Feed ``buffer[:size]``, as ``receive_data`` does with a ``limit``: bytes from the
        peer read into a buffer of the caller's (``asyncio.BufferedProtocol``), which it may
        use again once this returns (what is left to parse later is copied).
        """
        if buffer is None:
            raise TypeError("a bytearray is read from, not NoneType")
        if not 0 <= size <= PyByteArray_GET_SIZE(buffer):
            raise ValueError(f"size {size} is not within the buffer's {PyByteArray_GET_SIZE(buffer)} bytes")
        return self._receive(PyByteArray_AS_STRING(buffer), size, max(limit, 0))

    cdef list _receive(self, const char* data, Py_ssize_t n, Py_ssize_t limit):
        """``receive_data`` of the ``n`` bytes at ``data``, which are not kept past this call; ``limit`` -1
        for none."""
        cdef list events = []
        cdef Py_ssize_t used, kept
        self.stopped = False
        self._limit = limit
        self._produced = 0
        if self.state == _CLOSED:
            return events  # after the peer's Close or a failure, nothing is read
        if self._buffer is None:
            used = self._parse(<const unsigned char*>data, n, events)
            if used < n and self.state != _CLOSED:
                self._buffer = PyByteArray_FromStringAndSize(data + used, n - used)
        else:
            kept = PyByteArray_GET_SIZE(self._buffer)
            PyByteArray_Resize(self._buffer, kept + n)
            memcpy(PyByteArray_AS_STRING(self._buffer) + kept, data, n)
            n += kept
            used = self._parse(<const unsigned char*>PyByteArray_AS_STRING(self._buffer), n, events)
            if used == n:
                self._buffer = None
            else:
                del self._buffer[:used]
        if self.state == _CLOSED:
            self._buffer = None
        return events

    cdef Py_ssize_t _parse(self, const unsigned char* buf, Py_ssize_t end, list events) except -1:
        """Read frames from ``buf[:end]``; return how many bytes were used."""
        cdef Py_ssize_t pos = 0, header, length, take, here
        cdef unsigned char first, second, opcode, kind
        cdef bint fin
        cdef const unsigned char* payload
        cdef uint64_t length64
        cdef int k
        cdef str reason
        while True:
            if self._stage == _HEADER:
                if end - pos < 2:
                    break
                if self._limit >= 0 and self._produced >= self._limit and not self._in_message:
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
                if not (second & MASK_BIT and (kind == OP_CONTINUATION if self._in_message
                                               else OP_TEXT <= kind <= OP_BINARY)):
                    reason = header_error(first, second, self.deflate is not None, self._in_message)
                    if reason is not None:
                        return self._fail(events, CloseCode.PROTOCOL_ERROR, reason)
                # RFC 6455 5.2: 2 bytes, a 16- or 64-bit length when the 7 bits say so, the 4-byte mask
                header = 6 if length <= MAX_LENGTH_7 else 8 if length == LENGTH_16 else 14
                if end - pos < header:
                    break
                if length > MAX_LENGTH_7:
                    if length == LENGTH_16:
                        length64 = (buf[pos + 2] << 8) | buf[pos + 3]
                    else:
                        length64 = 0
                        for k in range(8):
                            length64 = (length64 << 8) | buf[pos + 2 + k]
                    # RFC 6455 5.2: a length in the fewest bytes, and the 64-bit one's most significant bit 0
                    reason = length_error(length, length64)
                    if reason is not None:
                        return self._fail(events, CloseCode.PROTOCOL_ERROR, reason)
                    # over max_size before it fits a Py_ssize_t (the check below, early)
                    if self._max >= 0 and length64 > <uint64_t>self._max:
                        return self._fail(events, CloseCode.MESSAGE_TOO_BIG, OVER_MAX_SIZE.format(self.max_size))
                    length = <Py_ssize_t>length64
                memcpy(self._mask, buf + pos + header - 4, 4)
                if opcode >= OP_CLOSE:
                    if end - pos < header + length:
                        break  # control frames are read whole (at most 125 bytes)
                    payload = buf + pos + header
                    pos += header + length
                    if not self._control(events, opcode, payload, length):
                        return pos
                    continue
                if opcode != OP_CONTINUATION:
                    self._in_message = True
                    self._text = opcode == OP_TEXT
                    self._compressed = first & RSV1_BIT
                    self._size = 0
                    self._utf8.need = 0
                    self._ascii = True
                # RFC 6455 10.4: an endpoint limits the size of the messages it takes (1009: 7.4.1)
                if self._max >= 0 and self._size + length > self._max:
                    return self._fail(events, CloseCode.MESSAGE_TOO_BIG, OVER_MAX_SIZE.format(self.max_size))
                if fin and opcode != OP_CONTINUATION and not self._compressed:
                    here = end - pos - header
                    if here >= length:
                        # The common case: a whole message in one frame, all here.
                        pos += header
                        if not self._whole_message(events, buf + pos, length):
                            return pos
                        pos += length
                        self._in_message = False
                        continue
                    if length <= RESERVE_ALWAYS or length <= RESERVE_AHEAD * here:
                        self._message = (PyUnicode_New(length, 127) if self._text  # ASCII until shown otherwise
                                         else PyBytes_FromStringAndSize(NULL, length))
                        self._direct = True
                self._size += length
                self._fin = fin
                self._mask_offset = 0
                self._remaining = length
                self._stage = _PAYLOAD
                pos += header
            take = self._remaining if self._remaining < end - pos else end - pos
            if take == 0 and self._remaining:
                break
            if not self._append(events, buf + pos, take):
                return pos
            pos += take
            self._remaining -= take
            self._mask_offset = (self._mask_offset + take) & 3
            if self._remaining:
                break
            self._stage = _HEADER
            if self._fin:
                if self._compressed:
                    if not self._inflated(events):
                        return pos
                elif self._text and self._utf8.need:
                    return self._invalid_utf8(events)
                else:
                    events.append(self._finished())
                self._produced += self._size + _MESSAGE_COST  # the message's size (inflated, if it was compressed)
                _count(TEXT_RECEIVED if self._text else BINARY_RECEIVED, self._size)
                self._message = None
                self._direct = False
                self._in_message = False
        return pos

    cdef object _finished(self):
        """The uncompressed message just read, as the app gets it (its UTF-8 already validated)."""
        cdef const char* data
        cdef Py_ssize_t n
        if self._direct:
            if not self._text or self._ascii:
                return self._message  # unmasked in place, nothing to convert
            data, n = <const char*>PyUnicode_DATA(self._message), self._size
        elif self._message is None:  # frames with empty payloads only
            data, n = "", 0
        else:
            data, n = PyByteArray_AS_STRING(self._message), PyByteArray_GET_SIZE(self._message)
        return PyUnicode_DecodeUTF8(data, n, NULL) if self._text else PyBytes_FromStringAndSize(data, n)

    cdef bint _whole_message(self, list events, const unsigned char* payload, Py_ssize_t n) except -1:
        """Unmask a one-frame message straight into its ``str`` or ``bytes``."""
        cdef object message
        self._produced += n + _MESSAGE_COST
        if self._text:
            message = PyUnicode_New(n, 127)  # ASCII until shown otherwise
            # RFC 6455 8.1: a text message is UTF-8; invalid data fails the connection (1007: 7.4.1)
            if _unmask_into(<unsigned char*>PyUnicode_DATA(message), payload, n, self._mask, 0):
                if not _utf8_feed(&self._utf8, <const unsigned char*>PyUnicode_DATA(message), n) or self._utf8.need:
                    self._invalid_utf8(events)
                    return False
                message = PyUnicode_DecodeUTF8(<const char*>PyUnicode_DATA(message), n, NULL)
        else:
            message = PyBytes_FromStringAndSize(NULL, n)
            _unmask_into(<unsigned char*>PyBytes_AS_STRING(message), payload, n, self._mask, 0)
        events.append(message)
        _count(TEXT_RECEIVED if self._text else BINARY_RECEIVED, n)
        return True

    cdef bint _append(self, list events, const unsigned char* data, Py_ssize_t n) except -1:
        """Unmask part of a data frame onto the message; validate text as it comes."""
        cdef Py_ssize_t had
        cdef unsigned char* out
        if self._direct:
            out = <unsigned char*>(PyUnicode_DATA(self._message) if self._text
                                   else PyBytes_AS_STRING(self._message)) + self._size - self._remaining
        else:
            if self._message is None:
                self._message = bytearray()
            had = PyByteArray_GET_SIZE(self._message)
            PyByteArray_Resize(self._message, had + n)
            out = <unsigned char*>PyByteArray_AS_STRING(self._message) + had
        # RFC 6455 8.1: a text message is UTF-8; invalid data fails the connection (1007: 7.4.1).
        # ASCII bytes with no sequence open are valid: only the rest goes through the validator.
        if _unmask_into(out, data, n, self._mask, self._mask_offset) or self._utf8.need:
            if self._text and not self._compressed:
                self._ascii = False
                if not _utf8_feed(&self._utf8, out, n):
                    self._invalid_utf8(events)
                    return False
        return True

    cdef bint _inflated(self, list events) except -1:
        """Inflate the compressed message just read and report it; False if that failed the connection."""
        result = inflate(self.deflate, b"" if self._message is None else bytes(self._message), self.max_size,
                         self._text)
        if type(result) is Fail:
            self._fail(events, result.code, result.reason)
            return False
        message, self._size = result  # the size receive_data's limit counts: the inflated one
        events.append(message)
        return True

    cdef bint _control(self, list events, unsigned char opcode, const unsigned char* data, Py_ssize_t n) except -1:
        """Handle a ping, pong or close; False when nothing more is to be read."""
        cdef bytes payload = PyBytes_FromStringAndSize(NULL, n)
        _unmask_into(<unsigned char*>PyBytes_AS_STRING(payload), data, n, self._mask, 0)
        # RFC 6455 5.5.2: a Ping is answered by a Pong with its payload (5.5.3)
        if opcode == OP_PING:
            _counts[PINGS_RECEIVED] += 1
            if not self.close_sent:
                self._queue(_control_frame(OP_PONG, payload))
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
            self._queue(_control_frame(OP_CLOSE, payload[:2]))  # echo the code (RFC 6455 5.5.1)
            self.close_sent = True
            _counts[CLOSES_SENT] += 1
        self._closed()
        events.append(event)
        return False

    cdef Py_ssize_t _fail(self, list events, int code, str reason) except -1:
        """Fail the connection (RFC 6455 7.1.7): queue our Close, read no more."""
        if not self.close_sent:
            self._queue(_control_frame(OP_CLOSE, close_payload(code, reason)))
            self.close_sent = True
            _counts[CLOSES_SENT] += 1
        self._closed()
        events.append(Fail(code, reason))
        return 0

    cdef Py_ssize_t _invalid_utf8(self, list events) except -1:
        """Fail the connection: a text message is not UTF-8 (RFC 6455 8.1; 1007: 7.4.1)."""
        return self._fail(events, CloseCode.INVALID_FRAME_PAYLOAD_DATA, INVALID_UTF8_IN_TEXT)

    cpdef lost(self):
        """The connection is gone: let go of what was read and is not a message yet (the unparsed bytes, the
        message being read: up to ``max_size`` reserved for it). Nothing more is read."""
        self._closed()
        self._buffer = None

    cdef void _closed(self) noexcept:
        self.state = _CLOSED
        self._message = None
        self._direct = False

    cdef int _queue(self, bytes frame) except -1:
        if self._outgoing is None:
            self._outgoing = []
        self._outgoing.append(frame)
        return 0

    # ----------------------------------------------------------- bytes out

    cpdef bytes data_to_send(self):
        """The queued replies (pongs, the Close echo or failure), once."""
        if self._outgoing is None:
            return b""
        data = b"".join(self._outgoing)
        self._outgoing = None
        return data

    cdef int _check_can_send(self) except -1:
        if self.close_sent:
            raise ProtocolStateError("a Close frame was sent: no more frames may follow it")
        return 0

    cpdef bytes send_text(self, text):
        """A text message frame (compressed when deflate was negotiated)."""
        cdef Py_ssize_t n
        cdef const char* utf8
        cdef bytes packed
        self._check_can_send()
        if self.deflate is not None:
            encoded = text.encode("utf-8")
            _count(TEXT_SENT, len(encoded))
            packed = self.deflate.encode(encoded)
            return _frame(FIN_BIT | RSV1_BIT | OP_TEXT, PyBytes_AS_STRING(packed), PyBytes_GET_SIZE(packed))
        if PyUnicode_CheckExact(text):
            utf8 = PyUnicode_AsUTF8AndSize(text, &n)  # no copy for ASCII text
            _count(TEXT_SENT, n)
            return _frame(FIN_BIT | OP_TEXT, utf8, n)
        encoded = text.encode("utf-8")
        _count(TEXT_SENT, PyBytes_GET_SIZE(encoded))
        return _frame(FIN_BIT | OP_TEXT, PyBytes_AS_STRING(encoded), PyBytes_GET_SIZE(encoded))

    cpdef bytes send_bytes(self, data):
        """A binary message frame (compressed when deflate was negotiated)."""
        self._check_can_send()
        cdef bytes payload = data if PyBytes_CheckExact(data) else bytes(data)
        _count(BINARY_SENT, PyBytes_GET_SIZE(payload))
        if self.deflate is not None:
            payload = self.deflate.encode(payload)
            return _frame(FIN_BIT | RSV1_BIT | OP_BINARY, PyBytes_AS_STRING(payload), PyBytes_GET_SIZE(payload))
        return _frame(FIN_BIT | OP_BINARY, PyBytes_AS_STRING(payload), PyBytes_GET_SIZE(payload))

    cpdef bytes send_header(self, bint text, Py_ssize_t size):
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
        _count(TEXT_SENT if text else BINARY_SENT, size)
        cdef Py_ssize_t h = _header_size(size)
        cdef bytes out = PyBytes_FromStringAndSize(NULL, h)
        _write_header(<unsigned char*>PyBytes_AS_STRING(out), FIN_BIT | (OP_TEXT if text else OP_BINARY), size)
        return out

    def send_ping(self, payload=b""):
        """A ping frame (at most 125 bytes of payload)."""
        self._check_can_send()
        if len(payload) > MAX_CONTROL_PAYLOAD:  # RFC 6455 5.5
            raise ValueError("a ping payload is at most 125 bytes")
        _counts[PINGS_SENT] += 1
        return _control_frame(OP_PING, bytes(payload))

    def send_pong(self, payload=b""):
        """An unsolicited pong frame (at most 125 bytes of payload)."""
        self._check_can_send()
        if len(payload) > MAX_CONTROL_PAYLOAD:  # RFC 6455 5.5
            raise ValueError("a pong payload is at most 125 bytes")
        _counts[PONGS_SENT] += 1
        return _control_frame(OP_PONG, bytes(payload))

    def send_close(self, code=CloseCode.NORMAL_CLOSURE, reason=""):
        """Our Close frame: starts the closing handshake (see ``close_payload``)."""
        self._check_can_send()
        frame = _control_frame(OP_CLOSE, close_payload(code, reason))
        self.close_sent = True
        _counts[CLOSES_SENT] += 1
        if self.state == _OPEN:
            self.state = _CLOSING
        return frame

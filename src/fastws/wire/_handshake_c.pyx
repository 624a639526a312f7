# cython: language_level=3, boundscheck=False, wraparound=False
"""The opening handshake (RFC 6455 section 4), server side, sans I/O: the compiled twin of ``_handshake_py.py``.

The same functions, in the same order, with the same rules and errors, read
side by side with the pure twin. What differs is how: a head is checked
and split in one pass over its bytes with lookup tables (field bytes,
token bytes), tokens are compared in place, and the 101 is built in one
allocation. Input off the common path (header lists that are not ``bytes``
pairs, a key that is not plain base64 of 16 bytes) goes through the pure
twin's code or the standard library, so that it meets the very same rule.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_CheckExact, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.dict cimport PyDict_GetItem, PyDict_SetItem
from cpython.list cimport PyList_Append
from cpython.object cimport PyObject
from cpython.tuple cimport PyTuple_CheckExact
from cpython.unicode cimport PyUnicode_CheckExact
from libc.string cimport memcpy

import base64
import binascii
import hashlib

from . import _handshake_py
from .http1 import (
    FIELD_BYTES,
    MAX_HEAD_SIZE,
    MAX_HEADERS,
    MAX_SHARED_LINE,
    MAX_SHARED_LINES,
    NAMES,
    SHARED_NAMES,
    TOKEN_BYTES,
    HandshakeError,
    http_response,
)
from .rfc6455 import GUID, VERSION

__all__ = [
    "GUID",
    "MAX_HEADERS",
    "MAX_HEAD_SIZE",
    "MAX_SHARED_LINE",
    "MAX_SHARED_LINES",
    "SHARED_LINES",
    "SHARED_NAMES",
    "HandshakeError",
    "Request",
    "accept_key",
    "accept_response",
    "check_head",
    "check_request",
    "http_response",
    "parse_head",
    "parse_request",
]

#: each header line parsed so far whose name is in ``SHARED_NAMES``, and its ``(name, value)`` pair
SHARED_LINES = {}
cdef dict _shared = SHARED_LINES
cdef frozenset _shared_names = SHARED_NAMES
cdef dict _names = NAMES
cdef Py_ssize_t _max_shared_lines = MAX_SHARED_LINES
cdef Py_ssize_t _max_shared_line = MAX_SHARED_LINE
cdef bytes _version = VERSION
cdef bytes _guid = GUID
_sha1 = hashlib.sha1
_b2a_base64 = binascii.b2a_base64

# http1's FIELD_BYTES and TOKEN_BYTES as lookup tables, and the base64 alphabet (without padding)
cdef unsigned char _FIELD[256]
cdef unsigned char _TOKEN[256]
cdef unsigned char _BASE64[256]


cdef void _tables():
    cdef int c
    for c in FIELD_BYTES:
        _FIELD[c] = 1
    for c in TOKEN_BYTES:
        _TOKEN[c] = 1
    for c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/":
        _BASE64[c] = 1


_tables()


cdef inline unsigned char _lower(unsigned char c) noexcept:
    return c + 32 if b"A"[0] <= c <= b"Z"[0] else c


cdef inline bint _space(unsigned char c) noexcept:
    """What ``bytes.strip()`` strips: ASCII whitespace."""
    return c == 0x20 or 0x09 <= c <= 0x0D


cdef inline bint _is_token(const unsigned char* p, Py_ssize_t n) noexcept:
    cdef Py_ssize_t i
    if n == 0:
        return False
    for i in range(n):
        if not _TOKEN[p[i]]:
            return False
    return True


cdef inline Py_ssize_t _crlf(const unsigned char* p, Py_ssize_t start, Py_ssize_t end) noexcept:
    """Where the first CRLF wholly inside ``[start, end)`` is, else ``end``."""
    cdef Py_ssize_t i = start
    while i + 1 < end:
        if p[i] == 13 and p[i + 1] == 10:
            return i
        i += 1
    return end


cdef class Request:
    """An upgrade request: ``target`` is the raw path and query, header names are lowercase."""

    cdef public object method
    cdef public object target
    cdef public object headers
    cdef dict _by_name

    def __init__(self, method, target, headers):
        self.method = method
        self.target = target
        self.headers = headers
        self._by_name = {}
        for name, value in headers:
            self._by_name.setdefault(name, []).append(value)

    cpdef list values(self, name):
        """Every value of the header ``name`` (lowercase), in order."""
        return self._by_name.get(name, [])

    cpdef bint has_any(self, names) except -1:
        """Whether a header named one of ``names`` (lowercase) is in the request."""
        return not names.isdisjoint(self._by_name)

    def tokens(self, name):
        """The comma-separated tokens of every ``name`` header, stripped and lowercased."""
        return [token.strip().lower() for value in self.values(name) for token in value.split(b",") if token.strip()]

    cpdef bint has_token(self, name, token) except -1:
        """Whether ``token`` (lowercase) is one of ``tokens(name)``."""
        cdef list found = <list>self._by_name.get(name)
        cdef const unsigned char* p
        cdef const unsigned char* t
        cdef Py_ssize_t n, size, i, start, stop, k
        if found is None:
            return False
        if not PyBytes_CheckExact(token) or PyBytes_GET_SIZE(token) == 0:
            return token in self.tokens(name)
        t = <const unsigned char*>PyBytes_AS_STRING(token)
        size = PyBytes_GET_SIZE(token)
        for value in found:
            if not PyBytes_CheckExact(value):
                return token in self.tokens(name)
            p = <const unsigned char*>PyBytes_AS_STRING(value)
            n = PyBytes_GET_SIZE(value)
            start = 0
            while start <= n:
                stop = start
                while stop < n and p[stop] != b","[0]:
                    stop += 1
                i, k = start, stop
                while i < k and _space(p[i]):
                    i += 1
                while k > i and _space(p[k - 1]):
                    k -= 1
                if k - i == size:
                    while i < k and _lower(p[i]) == t[size - (k - i)]:
                        i += 1
                    if i == k:
                        return True
                start = stop + 1
        return False



def check_head(object data, Py_ssize_t max_size=MAX_HEAD_SIZE, Py_ssize_t max_headers=MAX_HEADERS):
    """Check a request head, whole or still arriving; return where it ends (-1: not yet).

    ``data`` is what the peer sent so far. Raises ``HandshakeError``: 431 for
    a head over ``max_size`` bytes or ``max_headers`` header lines (as soon
    as the bytes so far show it), 400 for a byte no head may hold: a control
    byte, DEL, or a CR or LF outside a CRLF (bare-LF line ends included).
    """
    cdef const unsigned char* p
    cdef Py_ssize_t n, end, size, i, line_ends = 0, stray = 0
    if not PyBytes_CheckExact(data):  # a bytearray, or no bytes at all
        return _handshake_py.check_head(data, max_size, max_headers)
    p = <const unsigned char*>PyBytes_AS_STRING(data)
    n = PyBytes_GET_SIZE(data)
    end = data.find(b"\r\n\r\n")
    size = n if end < 0 else end + 2  # the CRLF of the last header line counts
    if (n if end < 0 else end + 4) > max_size:
        raise HandshakeError(431, "request head too large")
    for i in range(size):
        if not _FIELD[p[i]]:
            if p[i] == 13 and i + 1 < size and p[i + 1] == 10:
                line_ends += 1
                stray -= 1  # its LF, counted next
            else:
                stray += 1
    if line_ends > max_headers + 1:
        raise HandshakeError(431, "too many header lines")
    if stray and not (stray == 1 and end < 0 and p[size - 1] == 13):  # a CR whose LF is on its way
        raise HandshakeError(400, "control character or bare CR/LF in the request head")
    return end


def parse_request(object data, Py_ssize_t max_size=MAX_HEAD_SIZE, Py_ssize_t max_headers=MAX_HEADERS):
    """The request in ``data``, or None while its head is incomplete.

    Raises ``HandshakeError``: see ``check_head``, and 400 for a malformed
    request line or header line (RFC 9112 3 and 5: a token method, a target,
    ``HTTP/1.1``; ``name: value`` lines, no obsolete line folding).
    """
    end = check_head(data, max_size, max_headers)
    return None if end < 0 else parse_head(data, end)


cdef bytes _lowered(const unsigned char* p, Py_ssize_t n):
    cdef bytes out = PyBytes_FromStringAndSize(NULL, n)
    cdef unsigned char* q = <unsigned char*>PyBytes_AS_STRING(out)
    cdef Py_ssize_t i
    for i in range(n):
        q[i] = _lower(p[i])
    return out


def parse_head(object data, Py_ssize_t end):
    """The request whose head, already passed by ``check_head``, ends at ``end``.

    Raises ``HandshakeError(400)`` as ``parse_request`` does.
    """
    cdef const unsigned char* p
    cdef Py_ssize_t n
    cdef Py_ssize_t start, stop, colon, first, last, space1 = -1, space2 = -1, spaces = 0, i
    cdef bint ascii_target = True
    cdef list headers = []
    cdef dict by_name = {}
    cdef Request request
    cdef PyObject* found
    cdef object pair, line, name
    if not PyBytes_CheckExact(data):  # a bytearray, or no bytes at all
        return _handshake_py.parse_head(data, end)
    p = <const unsigned char*>PyBytes_AS_STRING(data)
    n = PyBytes_GET_SIZE(data)
    if end < 0:  # as data[:end] would
        end = max(0, n + end)
    elif end > n:
        end = n
    stop = _crlf(p, 0, end)  # the request line
    for i in range(stop):
        if p[i] == b" "[0]:
            spaces += 1
            if spaces == 1:
                space1 = i
            elif spaces == 2:
                space2 = i
    for i in range(space1 + 1, space2):
        if p[i] >= 0x80:
            ascii_target = False
    if spaces != 2 or not ascii_target or not _is_token(p, space1) or space2 == space1 + 1:
        raise HandshakeError(400, "malformed request line")  # RFC 9112 3.2: a target is ASCII
    if stop - space2 - 1 != 8 or data[space2 + 1 : stop] != b"HTTP/1.1":
        raise HandshakeError(400, "WebSocket needs HTTP/1.1")
    request = Request.__new__(Request)
    request.method = data[:space1].decode("ascii")
    request.target = data[space1 + 1 : space2]
    start = stop + 2
    while start <= end:  # each header line, as data[:end].split(b"\r\n")[1:]
        stop = _crlf(p, start, end)
        line = PyBytes_FromStringAndSize(<const char*>p + start, stop - start)
        found = PyDict_GetItem(_shared, line)
        if found is not NULL:
            pair = <object>found
        else:
            colon = start
            while colon < stop and p[colon] != b":"[0]:
                colon += 1
            if colon == stop or not _is_token(p + start, colon - start):  # a folded line starts with SP or HTAB
                raise HandshakeError(400, "malformed header line")
            first, last = colon + 1, stop
            while first < last and (p[first] == 0x20 or p[first] == 0x09):
                first += 1
            while last > first and (p[last - 1] == 0x20 or p[last - 1] == 0x09):
                last -= 1
            name = _lowered(p + start, colon - start)
            found = PyDict_GetItem(_names, name)
            pair = (name if found is NULL else <object>found, data[first:last])
            if pair[0] in _shared_names and stop - start <= _max_shared_line:
                if len(_shared) >= _max_shared_lines:  # a client sending ever new values: start again
                    _shared.clear()
                _shared[line] = pair
        PyList_Append(headers, pair)
        name = (<tuple>pair)[0]
        found = PyDict_GetItem(by_name, name)
        if found is NULL:
            by_name[name] = [(<tuple>pair)[1]]
        else:
            PyList_Append(<list>found, (<tuple>pair)[1])
        start = stop + 2
    request.headers = headers
    request._by_name = by_name
    return request


def check_request(object request):
    """Validate an upgrade request (RFC 6455 4.2.1); return its Sec-WebSocket-Key.

    Raises ``HandshakeError``: 426 with ``Sec-WebSocket-Version: 13`` for
    another version, 400 for anything else that is wrong.
    """
    cdef Request req
    cdef list versions, keys
    cdef const unsigned char* p
    cdef Py_ssize_t i
    if type(request) is not Request:  # another object with a request's methods
        return _handshake_py.check_request(request)
    req = <Request>request
    if req.method != "GET":
        raise HandshakeError(400, "WebSocket upgrade needs a GET request")
    if len(req.values(b"host")) != 1:
        raise HandshakeError(400, "missing or repeated Host header")
    if not req.has_token(b"upgrade", b"websocket"):
        raise HandshakeError(400, "missing 'Upgrade: websocket' header")
    if not req.has_token(b"connection", b"upgrade"):
        raise HandshakeError(400, "missing 'Connection: Upgrade' header")
    versions = req.values(b"sec-websocket-version")
    if not (len(versions) == 1 and versions[0] == _version):  # RFC 6455 4.2.2: else a 426 naming ours (4.4)
        raise HandshakeError(426, "unsupported WebSocket version: use 13", [(b"Sec-WebSocket-Version", VERSION)])
    keys = req.values(b"sec-websocket-key")
    if len(keys) != 1:
        raise HandshakeError(400, "missing or repeated Sec-WebSocket-Key header")
    key = keys[0]
    if PyBytes_CheckExact(key) and PyBytes_GET_SIZE(key) == 24:  # the one form of 16 bytes: 22 digits and "=="
        p = <const unsigned char*>PyBytes_AS_STRING(key)
        for i in range(22):
            if not _BASE64[p[i]]:
                break
        else:
            if p[22] == b"="[0] and p[23] == b"="[0]:
                return key
    try:  # anything else, as the pure twin decides it
        raw = base64.b64decode(key, validate=True)
    except binascii.Error:
        raw = b""
    if len(raw) != 16:
        raise HandshakeError(400, "Sec-WebSocket-Key is not 16 bytes in base64")
    return key


def accept_key(key):
    """Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 4.2.2)."""
    return _b2a_base64(_sha1(key + _guid).digest(), newline=False)


cdef bytes _ACCEPT_HEAD = (
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
)
cdef bytes _PROTOCOL = b"Sec-WebSocket-Protocol: "
cdef bytes _EXTENSIONS = b"Sec-WebSocket-Extensions: "


cdef inline bint _bad_value(bytes value) noexcept:
    cdef const unsigned char* p = <const unsigned char*>PyBytes_AS_STRING(value)
    cdef Py_ssize_t i
    for i in range(PyBytes_GET_SIZE(value)):
        if p[i] == 13 or p[i] == 10 or p[i] == 0:
            return True
    return False


cdef inline char* _put(char* q, bytes part) noexcept:
    cdef Py_ssize_t n = PyBytes_GET_SIZE(part)
    memcpy(q, PyBytes_AS_STRING(part), n)
    return q + n


def accept_response(key, subprotocol, headers, extensions=None):
    """The 101 response: the RFC's headers, the subprotocol, the extensions, then ``headers``.

    ``subprotocol`` and ``headers`` (the app's and the server's) are checked
    for characters that would break the response; the rest is ours.
    """
    cdef Py_ssize_t size
    cdef bytes accept, protocol = None, name, value, out
    cdef char* q
    if not (
        PyBytes_CheckExact(key)
        and (subprotocol is None or PyUnicode_CheckExact(subprotocol))
        and (extensions is None or PyBytes_CheckExact(extensions))
        and type(headers) is list
    ):
        return _handshake_py.accept_response(key, subprotocol, headers, extensions)
    for pair in <list>headers:
        if not (PyTuple_CheckExact(pair) and len(<tuple>pair) == 2
                and PyBytes_CheckExact((<tuple>pair)[0]) and PyBytes_CheckExact((<tuple>pair)[1])):
            return _handshake_py.accept_response(key, subprotocol, headers, extensions)
    accept = accept_key(key)
    size = PyBytes_GET_SIZE(_ACCEPT_HEAD) + PyBytes_GET_SIZE(accept) + 2 + 2
    if subprotocol:
        protocol = subprotocol.encode("latin-1")
        if _bad_value(protocol):
            raise ValueError(f"invalid header value {protocol!r}")
        size += PyBytes_GET_SIZE(_PROTOCOL) + PyBytes_GET_SIZE(protocol) + 2
    if extensions:
        size += PyBytes_GET_SIZE(_EXTENSIONS) + PyBytes_GET_SIZE(extensions) + 2
    for name, value in <list>headers:
        if not _is_token(<const unsigned char*>PyBytes_AS_STRING(name), PyBytes_GET_SIZE(name)):
            raise ValueError(f"invalid header name {name!r}")
        if _bad_value(value):
            raise ValueError(f"invalid header value {value!r}")
        size += PyBytes_GET_SIZE(name) + PyBytes_GET_SIZE(value) + 4
    out = PyBytes_FromStringAndSize(NULL, size)
    q = PyBytes_AS_STRING(out)
    q = _put(q, _ACCEPT_HEAD)
    q = _put(q, accept)
    q[0], q[1] = b"\r", b"\n"
    q += 2
    if protocol is not None:
        q = _put(_put(q, _PROTOCOL), protocol)
        q[0], q[1] = b"\r", b"\n"
        q += 2
    if extensions:
        q = _put(_put(q, _EXTENSIONS), extensions)
        q[0], q[1] = b"\r", b"\n"
        q += 2
    for name, value in <list>headers:
        q = _put(q, name)
        q[0], q[1] = b":", b" "
        q = _put(q + 2, value)
        q[0], q[1] = b"\r", b"\n"
        q += 2
    q[0], q[1] = b"\r", b"\n"
    return out

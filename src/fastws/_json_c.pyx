# cython: language_level=3, cdivision=True
"""Compiled twin of ``fastws._json_py``: the JSON of WebSocket messages.

A native encoder (with its own shortest float printer) and a native decoder
for the common cases; anything else goes to the standard library, so the
output, or the exception, is always exactly the pure twin's.
``json_dumps``, ``json_dumps_bytes`` and ``json_loads`` are ``cpdef``
(declared in ``_json_c.pxd``): ``WebSocketBase`` calls them at C level. A plain float
goes through the float printer alone (``json_dumps(1.5)``): tests and the
fuzzer check it against ``repr`` that way.
"""

import json

from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.conversion cimport Py_DTSF_ADD_DOT_0, PyOS_double_to_string
from cpython.dict cimport PyDict_CheckExact, PyDict_Next
from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.long cimport PyLong_AsLongLongAndOverflow
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.object cimport PyObject
from cpython.tuple cimport PyTuple_CheckExact, PyTuple_GET_ITEM, PyTuple_GET_SIZE
from cpython.unicode cimport (
    PyUnicode_1BYTE_DATA,
    PyUnicode_DATA,
    PyUnicode_DecodeLatin1,
    PyUnicode_FromKindAndData,
    PyUnicode_GET_LENGTH,
    PyUnicode_KIND,
    PyUnicode_New,
)
from libc.math cimport isfinite
from libc.stdint cimport uint64_t
from libc.string cimport memcpy, memset

from ._cdefs cimport (
    Py_EnterRecursiveCall,
    Py_LeaveRecursiveCall,
    Py_UCS1,
    PyFloat_Check,
    PyList_CheckExact,
    PyList_GET_ITEM,
    PyList_GET_SIZE,
    PyLong_Check,
    PyUnicode_Check,
    PyUnicode_CheckExact,
    PyUnicode_IS_ASCII,
)

__all__ = ["json_dumps", "json_dumps_bytes", "json_loads"]

# ------------------------------------------------------------------------ JSON
#
# A native encoder for dict/list/tuple/str/int/float/bool/None into a UTF-8
# buffer. It gives up (returns _GIVE_UP) on anything else, on lone
# surrogates, and past _MAX_DEPTH; the standard library then encodes the whole
# value, so the output or the exception is always exactly json.dumps'.

_stdlib_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

cdef enum:
    _OK = 0
    _GIVE_UP = 1
    _MAX_DEPTH = 200  # past this, the standard library decides (deep or circular)
    _STACK_BUF = 512  # bytes encoded before the first heap allocation

ctypedef struct _Buf:
    char* data
    Py_ssize_t len
    Py_ssize_t cap
    bint heap
    unsigned int maxchar  # bound of the widest string written (its kind's max)
    Py_ssize_t cont  # UTF-8 continuation bytes written: len - characters


cdef int _grow(_Buf* b, Py_ssize_t extra) except -1:
    cdef Py_ssize_t cap = b.cap * 2
    cdef char* data
    while cap < b.len + extra:
        cap *= 2
    if b.heap:
        data = <char*>PyMem_Realloc(b.data, cap)
        if data == NULL:
            raise MemoryError()
    else:
        data = <char*>PyMem_Malloc(cap)
        if data == NULL:
            raise MemoryError()
        memcpy(data, b.data, b.len)
        b.heap = True
    b.data = data
    b.cap = cap
    return 0


cdef inline int _put(_Buf* b, const char* s, Py_ssize_t n) except -1:
    if b.len + n > b.cap:
        _grow(b, n)
    memcpy(b.data + b.len, s, n)
    b.len += n
    return 0


cdef inline int _putc(_Buf* b, char c) except -1:
    if b.len + 1 > b.cap:
        _grow(b, 1)
    b.data[b.len] = c
    b.len += 1
    return 0


cdef const char* _HEX = b"0123456789abcdef"


ctypedef fused _Char:
    unsigned char
    unsigned short
    unsigned int


cdef inline Py_ssize_t _escape_into(char* o, unsigned int c) noexcept:
    """Write the JSON escape of ASCII ``c`` (a quote, backslash or control)."""
    o[0] = 92
    if c == 34 or c == 92:
        o[1] = <char>c
        return 2
    if c == 10:
        o[1] = 110
        return 2
    if c == 13:
        o[1] = 114
        return 2
    if c == 9:
        o[1] = 116
        return 2
    if c == 8:
        o[1] = 98
        return 2
    if c == 12:
        o[1] = 102
        return 2
    o[1] = 117
    o[2] = 48
    o[3] = 48
    o[4] = _HEX[(c >> 4) & 15]
    o[5] = _HEX[c & 15]
    return 6


cdef inline bint _needs_escape(unsigned int c) noexcept:
    return c < 32 or c == 34 or c == 92


cdef Py_ssize_t _utf8_chunk(const _Char* src, Py_ssize_t n, char* o, Py_ssize_t* cont) noexcept:
    """Encode ``n`` code points as escaped UTF-8 into ``o`` (room for 6 per
    code point); -1 on a surrogate (not encodable: json.dumps decides).
    Adds the continuation bytes written to ``cont`` (bytes - characters)."""
    cdef Py_ssize_t i, j = 0, extra = 0
    cdef unsigned int c
    for i in range(n):
        c = src[i]
        if c < 0x80:
            if _needs_escape(c):
                j += _escape_into(o + j, c)
            else:
                o[j] = <char>c
                j += 1
        elif c < 0x800:
            o[j] = <char>(0xC0 | (c >> 6))
            o[j + 1] = <char>(0x80 | (c & 0x3F))
            j += 2
            extra += 1
        elif c < 0x10000:
            if 0xD800 <= c <= 0xDFFF:
                return -1
            o[j] = <char>(0xE0 | (c >> 12))
            o[j + 1] = <char>(0x80 | ((c >> 6) & 0x3F))
            o[j + 2] = <char>(0x80 | (c & 0x3F))
            j += 3
            extra += 2
        else:
            o[j] = <char>(0xF0 | (c >> 18))
            o[j + 1] = <char>(0x80 | ((c >> 12) & 0x3F))
            o[j + 2] = <char>(0x80 | ((c >> 6) & 0x3F))
            o[j + 3] = <char>(0x80 | (c & 0x3F))
            j += 4
            extra += 3
    cont[0] += extra
    return j


cdef enum:
    _CHUNK = 1024  # code points encoded per capacity check


cdef int _put_str(_Buf* b, str s) except -1:
    """Append ``s`` as a JSON string; _GIVE_UP on a lone surrogate."""
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(s)
    cdef Py_ssize_t i, run, start, size, written
    cdef const Py_UCS1* a
    cdef int kind
    cdef void* data
    _putc(b, 34)
    if PyUnicode_IS_ASCII(s):
        a = PyUnicode_1BYTE_DATA(s)
        for i in range(n):
            if _needs_escape(a[i]):
                break
        else:
            _put(b, <const char*>a, n)  # nothing to escape: one copy
            return _putc(b, 34)
        run = 0
        for i in range(n):
            if _needs_escape(a[i]):
                if i > run:
                    _put(b, <const char*>a + run, i - run)
                if b.len + 6 > b.cap:
                    _grow(b, 6)
                b.len += _escape_into(b.data + b.len, a[i])
                run = i + 1
        if n > run:
            _put(b, <const char*>a + run, n - run)
        return _putc(b, 34)
    kind = PyUnicode_KIND(s)
    data = PyUnicode_DATA(s)
    if kind == 1:
        b.maxchar = max(b.maxchar, 0xFF)
    elif kind == 2:
        b.maxchar = max(b.maxchar, 0xFFFF)
    else:
        b.maxchar = 0x10FFFF
    start = 0
    while start < n:
        size = min(n - start, _CHUNK)
        if b.len + 6 * size > b.cap:
            _grow(b, 6 * size)
        if kind == 1:
            written = _utf8_chunk(<const unsigned char*>data + start, size, b.data + b.len, &b.cont)
        elif kind == 2:
            written = _utf8_chunk(<const unsigned short*>data + start, size, b.data + b.len, &b.cont)
        else:
            written = _utf8_chunk(<const unsigned int*>data + start, size, b.data + b.len, &b.cont)
        if written < 0:
            return _GIVE_UP
        b.len += written
        start += size
    return _putc(b, 34)


cdef int _put_int(_Buf* b, object o) except -1:
    cdef int overflow = 0
    cdef long long v = PyLong_AsLongLongAndOverflow(o, &overflow)
    cdef unsigned long long u
    cdef char digits[24]
    cdef int i = 24
    if overflow:
        text = int.__repr__(o)
        return _put(b, <const char*>PyUnicode_1BYTE_DATA(text), PyUnicode_GET_LENGTH(text))
    if v < 0:
        u = <unsigned long long>(-(v + 1)) + 1
    else:
        u = <unsigned long long>v
    while True:
        i -= 1
        digits[i] = <char>(48 + u % 10)
        u //= 10
        if u == 0:
            break
    if v < 0:
        i -= 1
        digits[i] = 45
    return _put(b, digits + i, 24 - i)


cdef double* _POW10 = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
]


cdef inline bint _is_decimal_of(long long m, int k, double a) noexcept:
    """``m / 10**k`` parses back to ``a`` (IEEE division of exact operands
    is correctly rounded, exactly as ``float("<m>e-<k>")``)."""
    return 0 < m < 9007199254740992LL and <double>m / _POW10[k] == a


cdef const char* _DIGIT_PAIRS = (
    b"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    b"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    b"8081828384858687888990919293949596979899"
)


cdef int _digits_of(unsigned long long v, char* end) noexcept:
    """Write the decimal digits of ``v`` > 0 so they end at ``end``; count them."""
    cdef int n = 0
    cdef unsigned long long q
    cdef unsigned int r
    while v >= 100:
        q = v // 100
        r = <unsigned int>(v - q * 100)
        end[-n - 1] = _DIGIT_PAIRS[2 * r + 1]
        end[-n - 2] = _DIGIT_PAIRS[2 * r]
        n += 2
        v = q
    if v >= 10:
        end[-n - 1] = _DIGIT_PAIRS[2 * v + 1]
        end[-n - 2] = _DIGIT_PAIRS[2 * v]
        return n + 2
    end[-n - 1] = <char>(48 + v)
    return n + 1


cdef Py_ssize_t _shortest_fixed(double a, char* out) noexcept:
    """``repr(a)`` for a positive float in [1e-4, 2**53) when cheaply provable.

    ``repr`` prints the shortest decimal that parses back to ``a``. A decimal
    of at most 15 significant digits that parses back is unique (DBL_DIG),
    so when the nearest one does, it is that decimal with trailing zeros
    dropped. Otherwise the 16-digit neighbours are tried and used only when
    exactly one parses back. Writes the fixed-notation text and returns its
    length, or returns 0 to let ``PyOS_double_to_string`` decide.
    """
    cdef int e = -3, k, hits, delta, ndigits, pos, first, last
    cdef long long m, found = 0
    cdef char digits[24]
    if not (1e-4 <= a < 9007199254740992.0):
        return 0
    # e: digits before the point (a in [10**(e-1), 10**e)), give or take
    # one: the checks below do not depend on it being exact.
    while e < 16 and (a >= _POW10[e] if e >= 0 else a * _POW10[-e] >= 1.0):
        e += 1
    k = 15 - e
    if 0 <= k <= 22:
        m = <long long>(a * _POW10[k] + 0.5)
        if m < 1000000000000000LL and _is_decimal_of(m, k, a):
            found = m
    if found == 0:
        k += 1
        if k < 0 or k > 22:
            return 0
        m = <long long>(a * _POW10[k] + 0.5)
        hits = 0
        for delta in range(-2, 3):
            if _is_decimal_of(m + delta, k, a):
                hits += 1
                found = m + delta
        if hits != 1:
            return 0
    ndigits = _digits_of(<unsigned long long>found, digits + 24)
    last = 24  # the digits are digits[last - ndigits:last]
    while k > 0 and digits[last - 1] == 48:  # drop trailing zeros of the fraction
        last -= 1
        ndigits -= 1
        k -= 1
    first = last - ndigits
    pos = 0
    if ndigits <= k:
        out[0] = 48
        out[1] = 46
        pos = 2
        memset(out + pos, 48, k - ndigits)  # zeros after the point
        pos += k - ndigits
        memcpy(out + pos, digits + first, ndigits)
        pos += ndigits
    else:
        memcpy(out, digits + first, ndigits - k)
        pos = ndigits - k
        out[pos] = 46
        pos += 1
        if k == 0:
            out[pos] = 48
            pos += 1
        memcpy(out + pos, digits + last - k, k)
        pos += k
    return pos


cdef int _put_float(_Buf* b, double d) except -1:
    """``float.__repr__`` as JSON writes it (NaN/Infinity spelled out)."""
    cdef char* text
    cdef char fixed[48]
    cdef Py_ssize_t n = 0
    if not isfinite(d):
        if d != d:
            return _put(b, b"NaN", 3)
        if d > 0:
            return _put(b, b"Infinity", 8)
        return _put(b, b"-Infinity", 9)
    if d < 0:
        n = _shortest_fixed(-d, fixed + 1)
        if n:
            fixed[0] = 45
            return _put(b, fixed, n + 1)
    else:
        n = _shortest_fixed(d, fixed)
        if n:
            return _put(b, fixed, n)
    text = PyOS_double_to_string(d, <char>114, 0, Py_DTSF_ADD_DOT_0, NULL)
    try:
        n = 0
        while text[n] != 0:
            n += 1
        _put(b, text, n)
    finally:
        PyMem_Free(text)
    return _OK


cdef int _put_key(_Buf* b, object key) except -1:
    """A dict key, always quoted: str, float, bool, None or int."""
    if PyUnicode_Check(key):
        return _put_str(b, key)
    if PyFloat_Check(key):
        _putc(b, 34)
        _put_float(b, PyFloat_AS_DOUBLE(key))
    elif key is True:
        _put(b, b'"true', 5)
    elif key is False:
        _put(b, b'"false', 6)
    elif key is None:
        _put(b, b'"null', 5)
    elif PyLong_Check(key):
        _putc(b, 34)
        _put_int(b, key)
    else:
        return _GIVE_UP
    _putc(b, 34)
    return _OK


cdef int _put_value(_Buf* b, object o, int depth) except -1:
    if o is None:
        return _put(b, b"null", 4)
    if o is True:
        return _put(b, b"true", 4)
    if o is False:
        return _put(b, b"false", 5)
    if PyUnicode_Check(o):
        return _put_str(b, o)
    if PyLong_Check(o):
        return _put_int(b, o)
    if PyFloat_Check(o):
        return _put_float(b, PyFloat_AS_DOUBLE(o))
    # Only exact containers: json iterates subclasses through their own
    # __iter__/items(), and everything else goes through default().
    if not (PyList_CheckExact(o) or PyTuple_CheckExact(o) or PyDict_CheckExact(o)):
        return _GIVE_UP
    if depth >= _MAX_DEPTH:
        return _GIVE_UP  # deep or circular: the standard library decides
    # Each level counts against the recursion limit, as in json's encoder.
    Py_EnterRecursiveCall(" while encoding a JSON object")
    try:
        return _put_container(b, o, depth)
    finally:
        Py_LeaveRecursiveCall()


cdef int _put_container(_Buf* b, object o, int depth) except -1:
    cdef Py_ssize_t i, pos
    cdef PyObject* k
    cdef PyObject* v
    cdef bint first
    if PyList_CheckExact(o):
        _putc(b, 91)
        i = 0
        while i < PyList_GET_SIZE(o):
            if i:
                _putc(b, 44)
            if _put_value(b, <object>PyList_GET_ITEM(o, i), depth + 1) != _OK:
                return _GIVE_UP
            i += 1
        return _putc(b, 93)
    if PyTuple_CheckExact(o):
        _putc(b, 91)
        for i in range(PyTuple_GET_SIZE(o)):
            if i:
                _putc(b, 44)
            if _put_value(b, <object>PyTuple_GET_ITEM(o, i), depth + 1) != _OK:
                return _GIVE_UP
        return _putc(b, 93)
    _putc(b, 123)
    pos = 0
    first = True
    while PyDict_Next(o, &pos, &k, &v):
        if not first:
            _putc(b, 44)
        first = False
        key = <object>k
        value = <object>v
        if _put_key(b, key) != _OK:
            return _GIVE_UP
        _putc(b, 58)
        if _put_value(b, value, depth + 1) != _OK:
            return _GIVE_UP
    return _putc(b, 125)


cdef Py_ssize_t _decode_utf8_into(const unsigned char* p, Py_ssize_t n, _Char* out, Py_ssize_t room) noexcept:
    """Decode UTF-8 this module wrote (so valid) into at most ``room`` code
    units; return how many it wrote (-1 if they did not fit)."""
    cdef Py_ssize_t i = 0, j = 0, k
    cdef unsigned int c
    cdef uint64_t word
    while i < n:
        if j >= room:
            return -1
        c = p[i]
        if c < 0x80:
            # ASCII runs, eight bytes at a time
            while i + 8 <= n and j + 8 <= room:
                memcpy(&word, p + i, 8)
                if word & 0x8080808080808080ULL:
                    break
                for k in range(8):
                    out[j + k] = <_Char>p[i + k]
                i += 8
                j += 8
            if i >= n:
                break
            if j >= room:
                return -1
            c = p[i]
            if c >= 0x80:
                continue
            i += 1
        elif c < 0xE0:
            c = ((c & 0x1F) << 6) | (p[i + 1] & 0x3F)
            i += 2
        elif c < 0xF0:
            c = ((c & 0x0F) << 12) | ((p[i + 1] & 0x3F) << 6) | (p[i + 2] & 0x3F)
            i += 3
        else:
            c = ((c & 0x07) << 18) | ((p[i + 1] & 0x3F) << 12) | ((p[i + 2] & 0x3F) << 6) | (p[i + 3] & 0x3F)
            i += 4
        out[j] = <_Char>c
        j += 1
    return j


cdef str _text_of_utf8(const char* data, Py_ssize_t n, Py_ssize_t nchars, unsigned int maxchar):
    """The str of the encoder's UTF-8 output (``nchars`` characters), built
    once in its final kind.

    ``maxchar`` is the bound of the widest input string's kind, so the
    result's kind is the canonical one (CPython requires it).
    """
    cdef const unsigned char* p = <const unsigned char*>data
    cdef Py_ssize_t written
    text = PyUnicode_New(nchars, maxchar)
    kind = PyUnicode_KIND(text)
    if kind == 1:
        written = _decode_utf8_into(p, n, <unsigned char*>PyUnicode_DATA(text), nchars)
    elif kind == 2:
        written = _decode_utf8_into(p, n, <unsigned short*>PyUnicode_DATA(text), nchars)
    else:
        written = _decode_utf8_into(p, n, <unsigned int*>PyUnicode_DATA(text), nchars)
    if written != nchars:  # cannot happen; never hand out a half-built str
        raise SystemError("fastws: JSON text length mismatch")
    return text


cdef object _encode(object data, bint as_bytes):
    """Encode ``data``; ``None`` when the standard library must do it."""
    cdef char stack[_STACK_BUF]
    cdef _Buf b
    b.data = stack
    b.len = 0
    b.cap = _STACK_BUF
    b.heap = False
    b.maxchar = 0x7F
    b.cont = 0
    try:
        try:
            if _put_value(&b, data, 0) != _OK:
                return None
        except Exception:
            return None  # let the standard library raise its own error
        if as_bytes:
            return PyBytes_FromStringAndSize(b.data, b.len)
        if b.maxchar == 0x7F:  # only ASCII was written
            return PyUnicode_DecodeLatin1(b.data, b.len, NULL)
        return _text_of_utf8(b.data, b.len, b.len - b.cont, b.maxchar)
    finally:
        if b.heap:
            PyMem_Free(b.data)


cpdef str json_dumps(data):
    """``json.dumps(data, separators=(",", ":"), ensure_ascii=False)``."""
    text = _encode(data, False)
    if text is None:
        return _stdlib_encode(data)
    return text


cpdef bytes json_dumps_bytes(data):
    """``json_dumps(data).encode("utf-8")``: the payload of a binary frame."""
    payload = _encode(data, True)
    if payload is None:
        return _stdlib_encode(data).encode("utf-8")
    return payload



# ------------------------------------------------------------ JSON decoding
#
# A native parser for valid JSON text into dict/list/str/int/float/bool/None,
# as json.loads builds them. On anything else (invalid text, a nesting past
# _MAX_DEPTH, a number it does not parse exactly) it gives up and json.loads
# parses the text instead, so results and errors are always the standard
# library's.

_stdlib_loads = json.loads
cdef object _INVALID = object()  # the parser's "give up" marker
cdef object _NAN = float("nan")
cdef object _INF = float("inf")
cdef object _NEG_INF = float("-inf")

ctypedef struct _Cursor:
    Py_ssize_t pos
    Py_ssize_t n
    int kind


cdef inline bint _is_space(unsigned int c) noexcept:
    return c == 32 or c == 9 or c == 10 or c == 13


cdef inline void _skip_space(const _Char* s, _Cursor* cur) noexcept:
    while cur.pos < cur.n and _is_space(s[cur.pos]):
        cur.pos += 1


cdef inline bint _matches(const _Char* s, _Cursor* cur, const char* word, Py_ssize_t size) noexcept:
    cdef Py_ssize_t i
    if cur.pos + size > cur.n:
        return False
    for i in range(size):
        if s[cur.pos + i] != <unsigned char>word[i]:
            return False
    cur.pos += size
    return True


cdef object _parse_number(const _Char* s, _Cursor* cur):
    """A JSON number: int, or float when it has a fraction or exponent."""
    cdef Py_ssize_t start = cur.pos, i = cur.pos, n = cur.n, digits_start
    cdef bint negative = False, is_float = False
    cdef unsigned long long mantissa = 0
    cdef int ndigits = 0, frac_digits = 0, exponent = 0, exp_sign = 1, exp_digits = 0
    cdef double value
    if s[i] == 45:  # '-'
        negative = True
        i += 1
        if i < n and s[i] == 73:  # '-Infinity'
            cur.pos = i
            if _matches(s, cur, b"Infinity", 8):
                return _NEG_INF
            return _INVALID
    if i >= n or not (48 <= s[i] <= 57):
        return _INVALID
    digits_start = i
    if s[i] == 48:  # a leading zero stands alone
        i += 1
    else:
        while i < n and 48 <= s[i] <= 57:
            if ndigits < 19:
                mantissa = mantissa * 10 + (s[i] - 48)
            ndigits += 1
            i += 1
    if i + 1 < n and s[i] == 46 and 48 <= s[i + 1] <= 57:  # '.' digit
        is_float = True
        i += 1
        while i < n and 48 <= s[i] <= 57:
            if ndigits < 19:
                mantissa = mantissa * 10 + (s[i] - 48)
                frac_digits += 1
            ndigits += 1
            i += 1
    if i < n and (s[i] == 101 or s[i] == 69):  # 'e' / 'E'
        cur.pos = i + 1
        if cur.pos < n and (s[cur.pos] == 43 or s[cur.pos] == 45):
            exp_sign = -1 if s[cur.pos] == 45 else 1
            cur.pos += 1
        while cur.pos < n and 48 <= s[cur.pos] <= 57:
            if exp_digits < 6:
                exponent = exponent * 10 + (s[cur.pos] - 48)
            exp_digits += 1
            cur.pos += 1
        if exp_digits:
            is_float = True
            i = cur.pos
    cur.pos = i
    if not is_float:
        if ndigits <= 18:
            return -<long long>mantissa if negative else <long long>mantissa
        return int(_slice(s, cur, digits_start - (1 if negative else 0), i))
    # Clinger's fast path: an exact mantissa and an exact power of ten give a
    # correctly rounded quotient or product, which is what float() returns.
    exponent = exp_sign * exponent - frac_digits
    if ndigits <= 15 and exp_digits <= 6 and -22 <= exponent <= 22:
        value = <double>mantissa
        if exponent < 0:
            value = value / _POW10[-exponent]
        else:
            value = value * _POW10[exponent]
        return -value if negative else value
    return float(_slice(s, cur, start, i))


cdef str _slice(const _Char* s, _Cursor* cur, Py_ssize_t start, Py_ssize_t end):
    return PyUnicode_FromKindAndData(cur.kind, s + start, end - start)


cdef inline int _hex4(const _Char* s, Py_ssize_t i) noexcept:
    """The value of four hex digits at ``s[i:i+4]``, or -1."""
    cdef int value = 0, d, k
    cdef unsigned int c
    for k in range(4):
        c = s[i + k]
        if 48 <= c <= 57:
            d = c - 48
        elif 97 <= c <= 102:
            d = c - 87
        elif 65 <= c <= 70:
            d = c - 55
        else:
            return -1
        value = value * 16 + d
    return value


cdef object _parse_string(const _Char* s, _Cursor* cur):
    """A JSON string; ``cur.pos`` is just past its opening quote."""
    cdef Py_ssize_t start = cur.pos, i = cur.pos, n = cur.n, j = 0
    cdef unsigned int c
    cdef int u, low
    cdef Py_UCS4* buf
    while i < n:
        c = s[i]
        if c == 34:  # the closing quote, and no escapes: a plain slice
            cur.pos = i + 1
            return PyUnicode_FromKindAndData(cur.kind, s + start, i - start)
        if c == 92 or c < 32:
            break
        i += 1
    else:
        return _INVALID
    if c < 32:
        return _INVALID  # json.loads rejects raw control characters
    # Escapes: find the closing quote, then decode into a buffer of code
    # points as long as the string's text (escapes only shorten it).
    while i < n and s[i] != 34:
        i += 2 if s[i] == 92 else 1
    if i >= n:
        return _INVALID
    n = i
    buf = <Py_UCS4*>PyMem_Malloc((n - start) * sizeof(Py_UCS4) + 4)
    if buf == NULL:
        raise MemoryError()
    try:
        i = start
        while i < n:  # n: the closing quote
            c = s[i]
            if c < 32:
                return _INVALID
            if c != 92:
                buf[j] = c
                j += 1
                i += 1
                continue
            if i + 1 >= n:
                return _INVALID
            c = s[i + 1]
            i += 2
            if c == 34 or c == 92 or c == 47:
                buf[j] = c
            elif c == 110:
                buf[j] = 10
            elif c == 116:
                buf[j] = 9
            elif c == 114:
                buf[j] = 13
            elif c == 98:
                buf[j] = 8
            elif c == 102:
                buf[j] = 12
            elif c == 117:  # \uXXXX, joining a surrogate pair as json does
                if i + 4 > n:
                    return _INVALID
                u = _hex4(s, i)
                if u < 0:
                    return _INVALID
                i += 4
                if 0xD800 <= u <= 0xDBFF and i + 6 <= n and s[i] == 92 and s[i + 1] == 117:
                    low = _hex4(s, i + 2)
                    if 0xDC00 <= low <= 0xDFFF:
                        u = 0x10000 + (((u - 0xD800) << 10) | (low - 0xDC00))
                        i += 6
                buf[j] = u
            else:
                return _INVALID
            j += 1
        cur.pos = n + 1
        return PyUnicode_FromKindAndData(4, buf, j)
    finally:
        PyMem_Free(buf)


cdef object _parse_value(const _Char* s, _Cursor* cur, int depth):
    cdef unsigned int c
    _skip_space(s, cur)
    if cur.pos >= cur.n:
        return _INVALID
    c = s[cur.pos]
    if c == 34:
        cur.pos += 1
        return _parse_string(s, cur)
    if c == 123 or c == 91:
        if depth >= _MAX_DEPTH:
            return _INVALID
        Py_EnterRecursiveCall(" while decoding a JSON document")
        try:
            if c == 91:
                return _parse_array(s, cur, depth)
            return _parse_object(s, cur, depth)
        finally:
            Py_LeaveRecursiveCall()
    if c == 45 or 48 <= c <= 57:
        return _parse_number(s, cur)
    if c == 110:
        return None if _matches(s, cur, b"null", 4) else _INVALID
    if c == 116:
        return True if _matches(s, cur, b"true", 4) else _INVALID
    if c == 102:
        return False if _matches(s, cur, b"false", 5) else _INVALID
    if c == 78:
        return _NAN if _matches(s, cur, b"NaN", 3) else _INVALID
    if c == 73:
        return _INF if _matches(s, cur, b"Infinity", 8) else _INVALID
    return _INVALID


cdef object _parse_array(const _Char* s, _Cursor* cur, int depth):
    cdef list items = []
    cur.pos += 1  # '['
    _skip_space(s, cur)
    if cur.pos < cur.n and s[cur.pos] == 93:
        cur.pos += 1
        return items
    while True:
        value = _parse_value(s, cur, depth + 1)
        if value is _INVALID:
            return _INVALID
        items.append(value)
        _skip_space(s, cur)
        if cur.pos >= cur.n:
            return _INVALID
        if s[cur.pos] == 44:  # ','
            cur.pos += 1
        elif s[cur.pos] == 93:  # ']'
            cur.pos += 1
            return items
        else:
            return _INVALID


cdef object _parse_object(const _Char* s, _Cursor* cur, int depth):
    cdef dict mapping = {}
    cur.pos += 1  # '{'
    _skip_space(s, cur)
    if cur.pos < cur.n and s[cur.pos] == 125:
        cur.pos += 1
        return mapping
    while True:
        _skip_space(s, cur)
        if cur.pos >= cur.n or s[cur.pos] != 34:
            return _INVALID
        cur.pos += 1
        key = _parse_string(s, cur)
        if key is _INVALID:
            return _INVALID
        _skip_space(s, cur)
        if cur.pos >= cur.n or s[cur.pos] != 58:  # ':'
            return _INVALID
        cur.pos += 1
        value = _parse_value(s, cur, depth + 1)
        if value is _INVALID:
            return _INVALID
        mapping[key] = value
        _skip_space(s, cur)
        if cur.pos >= cur.n:
            return _INVALID
        if s[cur.pos] == 44:
            cur.pos += 1
        elif s[cur.pos] == 125:  # '}'
            cur.pos += 1
            return mapping
        else:
            return _INVALID


cdef object _parse_document(const _Char* s, _Cursor* cur):
    value = _parse_value(s, cur, 0)
    if value is _INVALID:
        return _INVALID
    _skip_space(s, cur)
    return value if cur.pos == cur.n else _INVALID


cpdef object json_loads(s):
    """``json.loads(s)``, parsed natively for a str.

    Anything the native parser does not accept (invalid text included)
    goes to ``json.loads`` itself, so exceptions are the standard
    library's, message and position included.
    """
    cdef _Cursor cur
    cdef object value = _INVALID
    if PyUnicode_CheckExact(s):
        cur.pos = 0
        cur.n = PyUnicode_GET_LENGTH(s)
        cur.kind = PyUnicode_KIND(s)
        try:
            if cur.kind == 1:
                value = _parse_document(<const unsigned char*>PyUnicode_DATA(s), &cur)
            elif cur.kind == 2:
                value = _parse_document(<const unsigned short*>PyUnicode_DATA(s), &cur)
            else:
                value = _parse_document(<const unsigned int*>PyUnicode_DATA(s), &cur)
        except Exception:
            value = _INVALID  # json.loads raises it again, outside this handler
    if value is not _INVALID:
        return value
    return _stdlib_loads(s)

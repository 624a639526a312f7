# cython: language_level=3, cdivision=True
"""Compiled twin of ``fastws._speedups_py``: connection data and JSON.

Twin style: hand-written, as multidict and yarl do. This file mirrors
``_speedups_py.py`` section by section (query strings, host header, Headers,
QueryParams, URL, JSON) and defines the same public names with the same
behaviour; the shared test suite and hypothesis tests hold them together.
Fast paths work on the raw bytes/characters; anything unusual goes through
the same Python-level code as the pure twin, so results and exceptions match.
"""

from collections.abc import Mapping
from ipaddress import AddressValueError, IPv6Address
from operator import itemgetter
from urllib.parse import SplitResult, unquote, urlencode, urlsplit

import json

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_CheckExact, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.conversion cimport Py_DTSF_ADD_DOT_0, PyOS_double_to_string
from cpython.dict cimport PyDict_CheckExact, PyDict_Next
from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.long cimport PyLong_AsLongLongAndOverflow
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.object cimport PyObject, PyTypeObject, newfunc
from cpython.tuple cimport PyTuple_CheckExact, PyTuple_GET_ITEM, PyTuple_GET_SIZE
from cpython.unicode cimport (
    PyUnicode_1BYTE_DATA,
    PyUnicode_DATA,
    PyUnicode_DecodeLatin1,
    PyUnicode_DecodeUTF8,
    PyUnicode_FromKindAndData,
    PyUnicode_GET_LENGTH,
    PyUnicode_KIND,
    PyUnicode_New,
    PyUnicode_READ,
)
from libc.math cimport isfinite
from libc.stdint cimport uint64_t
from libc.string cimport memchr, memcmp, memcpy, memset

from . import _states
from ._shared import _DEFAULT_PORTS, MutableHeadersMethods, URLMethods, bracket_ipv6
from ._speedups_py import _url_from_scope as _url_from_any_scope
from ._speedups_py import parse_host_header as _parse_host_by_regex
from ._states import WebSocketDisconnect, WebSocketDisconnected, WebSocketState

cdef extern from "Python.h":
    ctypedef unsigned char Py_UCS1
    bint PyUnicode_IS_ASCII(object o)
    bint PyUnicode_CheckExact(object o)
    bint PyUnicode_Check(object o)
    bint PyLong_Check(object o)
    bint PyFloat_Check(object o)
    bint PyList_Check(object o)
    bint PyList_CheckExact(object o)
    int Py_EnterRecursiveCall(const char* where) except 1
    void Py_LeaveRecursiveCall()
    bint PyTuple_Check(object o)
    bint PyDict_Check(object o)
    Py_ssize_t PyList_GET_SIZE(object o)
    PyObject* PyList_GET_ITEM(object o, Py_ssize_t i)

__all__ = [
    "URL",
    "Headers",
    "MutableHeaders",
    "QueryParams",
    "WebSocketBase",
    "json_dumps",
    "json_dumps_bytes",
    "json_loads",
    "parse_host_header",
    "parse_query",
]

# ---------------------------------------------------------------- query strings


cdef inline int _hexval(Py_UCS1 c) noexcept:
    if 48 <= c <= 57:
        return c - 48
    if 97 <= c <= 102:
        return c - 87
    if 65 <= c <= 70:
        return c - 55
    return -1


cdef str _unquote_plus_ascii(const Py_UCS1* s, Py_ssize_t n):
    """Decode one ASCII name or value: ``+`` is a space, ``%XX`` a byte.

    Equivalent to ``unquote(s.replace("+", " "))`` for ASCII input: the
    decoded bytes are read as UTF-8 with ``errors="replace"``; a ``%`` not
    followed by two hex digits stays as it is.
    """
    cdef Py_ssize_t i = 0, j = 0
    cdef int hi, lo
    cdef Py_UCS1 c
    cdef char small[256]
    cdef char* o
    cdef bytes heap = None
    for i in range(n):
        if s[i] == 37 or s[i] == 43:  # '%' or '+'
            break
    else:
        return PyUnicode_DecodeLatin1(<const char*>s, n, NULL)
    if n <= 256:
        o = small
    else:
        heap = PyBytes_FromStringAndSize(NULL, n)
        o = PyBytes_AS_STRING(heap)
    i = 0
    while i < n:
        c = s[i]
        if c == 43:
            o[j] = 32
        elif c == 37 and i + 2 < n:
            hi = _hexval(s[i + 1])
            lo = _hexval(s[i + 2])
            if hi >= 0 and lo >= 0:
                o[j] = <char>(hi * 16 + lo)
                i += 2
            else:
                o[j] = <char>c
        else:
            o[j] = <char>c
        i += 1
        j += 1
    return PyUnicode_DecodeUTF8(o, j, "replace")


cdef str _unquote_plus(str s):
    """``unquote(s.replace("+", " "))`` for any text."""
    if PyUnicode_IS_ASCII(s):
        return _unquote_plus_ascii(PyUnicode_1BYTE_DATA(s), PyUnicode_GET_LENGTH(s))
    if "+" in s:
        s = s.replace("+", " ")
    if "%" in s:
        s = unquote(s)
    return s


cdef list _parse_ascii_query(const Py_UCS1* s, Py_ssize_t n, dict last):
    """Pairs of an ASCII query string; ``last`` (if given) gets key -> last value."""
    cdef list pairs = []
    cdef Py_ssize_t start = 0, end, eq
    cdef str name, value
    while start <= n:
        end = start
        eq = -1
        while end < n and s[end] != 38:  # '&'
            if eq < 0 and s[end] == 61:  # '='
                eq = end
            end += 1
        if end > start:
            if eq < 0:
                name = _unquote_plus_ascii(s + start, end - start)
                value = ""
            else:
                name = _unquote_plus_ascii(s + start, eq - start)
                value = _unquote_plus_ascii(s + eq + 1, end - eq - 1)
            pairs.append((name, value))
            if last is not None:
                last[name] = value
        start = end + 1
    return pairs


cdef bint _is_ascii_bytes(bytes b) noexcept:
    cdef const unsigned char* p = <const unsigned char*>PyBytes_AS_STRING(b)
    cdef Py_ssize_t i = 0, n = PyBytes_GET_SIZE(b)
    cdef uint64_t word
    while i + 8 <= n:  # eight bytes at a time
        memcpy(&word, p + i, 8)
        if word & 0x8080808080808080ULL:
            return False
        i += 8
    while i < n:
        if p[i] >= 128:
            return False
        i += 1
    return True


def parse_query(qs):
    """``urllib.parse.parse_qsl(qs, keep_blank_values=True)``."""
    cdef list pairs
    if PyUnicode_CheckExact(qs) and PyUnicode_IS_ASCII(qs):
        return _parse_ascii_query(PyUnicode_1BYTE_DATA(qs), PyUnicode_GET_LENGTH(qs), None)
    pairs = []
    for name_value in qs.split("&"):
        if not name_value:
            continue
        name, _, value = name_value.partition("=")
        pairs.append((_unquote_plus(name), _unquote_plus(value)))
    return pairs


# ----------------------------------------------------------------- host header

cdef inline bint _is_hex(unsigned int c) noexcept:
    return (48 <= c <= 57) or (97 <= c <= 102) or (65 <= c <= 70)


cdef inline bint _is_alnum(unsigned int c) noexcept:
    return (48 <= c <= 57) or (97 <= c <= 122) or (65 <= c <= 90)


cdef inline bint _is_subdelim(unsigned int c) noexcept:
    # ! $ & ' ( ) * + , ; =
    return c == 33 or c == 36 or (38 <= c <= 44) or c == 59 or c == 61


cdef inline bint _is_regname_char(unsigned int c) noexcept:
    # [a-z0-9._~%!$&'()*+,;=-]
    return _is_alnum(c) or c == 46 or c == 95 or c == 126 or c == 37 or c == 45 or _is_subdelim(c)


cdef inline bint _is_ipvfuture_char(unsigned int c) noexcept:
    # [a-z0-9._~!$&'()*+,;=:-]
    return _is_alnum(c) or c == 46 or c == 95 or c == 126 or c == 45 or c == 58 or _is_subdelim(c)


cdef Py_ssize_t _host_end(const Py_UCS1* d, Py_ssize_t n) except -2:
    """Index just past the host part of a latin-1 Host header, or -1 if invalid."""
    cdef Py_ssize_t i, close
    if n == 0:
        return -1
    if d[0] != 91:  # not '['
        i = 0
        while i < n and _is_regname_char(d[i]):
            i += 1
        return i if i > 0 else -1
    close = 1
    while close < n and d[close] != 93:  # ']'
        close += 1
    if close == n:
        return -1
    if close >= 2 and d[1] == 118:  # 'v', case-sensitive
        # IPvFuture: v[hex]+ '.' [ipvfuture-char]+
        i = 2
        while i < close and _is_hex(d[i]):
            i += 1
        if i == 2 or i >= close or d[i] != 46:
            return -1
        i += 1
        if i >= close:
            return -1
        while i < close:
            if not _is_ipvfuture_char(d[i]):
                return -1
            i += 1
        return close + 1
    # IPv6: [hex]* ':' [hex.:]+ , then a real IPv6 address
    i = 1
    while i < close and _is_hex(d[i]):
        i += 1
    if i >= close or d[i] != 58 or i + 1 >= close:
        return -1
    i += 1
    while i < close:
        if not (_is_hex(d[i]) or d[i] == 46 or d[i] == 58):
            return -1
        i += 1
    try:
        IPv6Address(PyUnicode_DecodeLatin1(<const char*>d + 1, close - 1, NULL))
    except AddressValueError:
        return -1
    return close + 1


cdef Py_ssize_t _host_port_split(const Py_UCS1* d, Py_ssize_t n) except -2:
    """Validate a latin-1 Host header; the index of its port's ``:``.

    Returns -1 when invalid, the length when there is no port; an
    out-of-range port makes the header invalid.
    """
    cdef Py_ssize_t end = _host_end(d, n)
    cdef Py_ssize_t i, first = -1
    if end < 0 or end == n:
        return end
    if d[end] != 58 or end + 1 == n:  # ':' then digits
        return -1
    for i in range(end + 1, n):
        if not (48 <= d[i] <= 57):
            return -1
        if first < 0 and d[i] != 48:
            first = i
    if first >= 0 and (n - first > 5 or (n - first == 5 and memcmp(d + first, b"65535", 5) > 0)):
        return -1
    return end


cdef tuple _parse_host(str h):
    """``parse_host_header`` for a str."""
    if PyUnicode_KIND(h) != 1:
        # Beyond latin-1 (never in a decoded header), the regex's Unicode
        # case folding decides (it accepts e.g. KELVIN SIGN as 'k').
        return _parse_host_by_regex(h)
    cdef Py_ssize_t end = _host_port_split(PyUnicode_1BYTE_DATA(h), PyUnicode_GET_LENGTH(h))
    if end < 0:
        return None
    if end == PyUnicode_GET_LENGTH(h):
        return (h, None)
    return (h[:end], h[end + 1:])


def parse_host_header(host_header):
    """Split a ``Host`` header into ``(host, port)``; ``None`` when invalid.

    The port is ``None`` when absent; an out-of-range port makes the whole
    header invalid.
    """
    if host_header is None:
        return None
    if not PyUnicode_CheckExact(host_header):
        return _parse_host_by_regex(host_header)  # str subclasses, and errors
    return _parse_host(host_header)


# --------------------------------------------------------------------- Headers


cdef bytes _header_key(key):
    """``key.lower().encode("latin-1")``, without copies for ASCII keys."""
    cdef Py_ssize_t n, i
    cdef const Py_UCS1* s
    cdef char* o
    cdef bytes out
    if PyUnicode_CheckExact(key) and PyUnicode_IS_ASCII(key):
        n = PyUnicode_GET_LENGTH(key)
        s = PyUnicode_1BYTE_DATA(key)
        out = PyBytes_FromStringAndSize(NULL, n)
        o = PyBytes_AS_STRING(out)
        for i in range(n):
            o[i] = <char>(s[i] + 32 if 65 <= s[i] <= 90 else s[i])
        return out
    return key.lower().encode("latin-1")


cdef inline bint _same_bytes(object a, bytes b) except -1:
    """``a == b`` for a header key ``a`` (normally bytes)."""
    if PyBytes_CheckExact(a):
        return PyBytes_GET_SIZE(a) == PyBytes_GET_SIZE(b) and memcmp(
            PyBytes_AS_STRING(a), PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b)) == 0
    return a == b


cdef inline str _latin1(object value):
    if PyBytes_CheckExact(value):
        return PyUnicode_DecodeLatin1(PyBytes_AS_STRING(value), PyBytes_GET_SIZE(value), NULL)
    return value.decode("latin-1")


cdef object _ABSENT = object()  # "no such header" (a value may be anything, even None)


cdef class Headers:
    """An immutable, case-insensitive multidict of latin-1 header values."""

    cdef public object _list  # normally a list; ``raw=`` may give any sequence

    def __init__(self, headers=None, raw=None, scope=None):
        self._list = []
        if headers is not None:
            assert raw is None, 'Cannot set both "headers" and "raw".'
            assert scope is None, 'Cannot set both "headers" and "scope".'
            self._list = [(key.lower().encode("latin-1"), value.encode("latin-1")) for key, value in headers.items()]
        elif raw is not None:
            assert scope is None, 'Cannot set both "raw" and "scope".'
            self._list = raw
        elif scope is not None:
            # scope["headers"] may be any iterable: keep one list, shared.
            self._list = scope["headers"] = list(scope["headers"])

    @property
    def raw(self):
        return list(self._list)

    def keys(self):
        return [_latin1(key) for key, _ in self._list]

    def values(self):
        return [_latin1(value) for _, value in self._list]

    def items(self):
        return [(_latin1(key), _latin1(value)) for key, value in self._list]

    def getlist(self, key):
        cdef bytes wanted = _header_key(key)
        return [_latin1(item_value) for item_key, item_value in self._list if _same_bytes(item_key, wanted)]

    def get(self, key, default=None):
        value = self._first(key)
        return default if value is _ABSENT else _latin1(value)

    def mutablecopy(self):
        return MutableHeaders(raw=self._list[:])

    cdef object _first(self, key):
        """The raw value of the first header named ``key``, or _ABSENT.

        A short ASCII str key (the usual case) is lowercased into a stack
        buffer and compared with the raw names in place.
        """
        cdef char folded[64]
        cdef Py_ssize_t n, i
        cdef const Py_UCS1* k
        cdef object item, name
        if not (PyUnicode_CheckExact(key) and PyUnicode_IS_ASCII(key) and PyUnicode_GET_LENGTH(key) <= 64):
            return self._first_slow(_header_key(key))
        n = PyUnicode_GET_LENGTH(key)
        k = PyUnicode_1BYTE_DATA(key)
        for i in range(n):
            folded[i] = <char>(k[i] + 32 if 65 <= k[i] <= 90 else k[i])
        for item in self._list:
            if not (PyTuple_CheckExact(item) and PyTuple_GET_SIZE(item) == 2):
                return self._first_slow(_header_key(key))
            name = <object>PyTuple_GET_ITEM(item, 0)
            if not PyBytes_CheckExact(name):
                return self._first_slow(_header_key(key))
            if PyBytes_GET_SIZE(name) == n and memcmp(PyBytes_AS_STRING(name), folded, n) == 0:
                return <object>PyTuple_GET_ITEM(item, 1)
        return _ABSENT

    cdef object _first_slow(self, bytes wanted):
        for item_key, item_value in self._list:
            if _same_bytes(item_key, wanted):
                return item_value
        return _ABSENT

    def __getitem__(self, key):
        value = self._first(key)
        if value is _ABSENT:
            raise KeyError(key)
        return _latin1(value)

    def __contains__(self, key):
        cdef bytes wanted = _header_key(key)
        for item_key, _ in self._list:
            if _same_bytes(item_key, wanted):
                return True
        return False

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self._list)

    def __eq__(self, other):
        if not isinstance(other, Headers):
            return False
        return sorted(self._list) == sorted((<Headers>other)._list)

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = None

    def __repr__(self):
        class_name = self.__class__.__name__
        as_dict = dict(self.items())
        if len(as_dict) == len(self):
            return f"{class_name}({as_dict!r})"
        return f"{class_name}(raw={self.raw!r})"


Mapping.register(Headers)


class MutableHeaders(MutableHeadersMethods, Headers):
    """A mutable copy of ``Headers`` (``Headers.mutablecopy()``)."""

    __slots__ = ()


# ----------------------------------------------------------------- QueryParams


cdef inline bint _is_lazy_query(object value) except -1:
    """A scope's ``query_string`` QueryParams can keep as bytes and scan."""
    return PyBytes_CheckExact(value) and _is_ascii_bytes(value)


cdef object _scan_query(const Py_UCS1* s, Py_ssize_t n, str key, bint every):
    """Look ``key`` up in an ASCII query string without parsing all of it.

    Returns the last value (``None`` if absent) or, with ``every``, the list
    of all values: what ``dict(pairs)[key]`` and the multidict's ``getlist``
    give on ``_parse_ascii_query``'s pairs.
    """
    cdef Py_ssize_t start = 0, end, name_end, value_start, last_start = -1, last_end = -1
    cdef Py_ssize_t kn = PyUnicode_GET_LENGTH(key)
    cdef bint key_ascii = PyUnicode_IS_ASCII(key), plain_name, match
    cdef const Py_UCS1* kb = PyUnicode_1BYTE_DATA(key) if key_ascii else NULL
    cdef list found = [] if every else None
    while start <= n:
        end = start
        plain_name = True  # no '%' or '+' to decode
        while end < n and s[end] != 61 and s[end] != 38:  # the name, up to '=' or '&'
            if s[end] == 37 or s[end] == 43:
                plain_name = False
            end += 1
        name_end = end
        if end < n and s[end] == 61:
            end += 1
            while end < n and s[end] != 38:  # the value, up to '&'
                end += 1
            value_start = name_end + 1
        else:
            value_start = end  # no '=': an empty value
        if end > start:
            if plain_name:
                match = key_ascii and kn == name_end - start and memcmp(s + start, kb, kn) == 0
            else:
                match = _unquote_plus_ascii(s + start, name_end - start) == key
            if match:
                last_start = value_start
                last_end = end
                if every:
                    found.append(_unquote_plus_ascii(s + last_start, last_end - last_start))
        start = end + 1
    if every:
        return found
    if last_start < 0:
        return None
    return _unquote_plus_ascii(s + last_start, last_end - last_start)


cdef class QueryParams:
    """An immutable multidict of query parameters (last value wins).

    Built from a scope's ASCII ``query_string``, it keeps the bytes and
    answers ``[key]``, ``get``, ``in`` and ``getlist`` for str keys by
    scanning them; anything else parses them once, into the same pairs.
    """

    cdef bytes _raw  # an ASCII query string not parsed yet, or None
    cdef dict _dict_
    cdef list _list_

    def __init__(self, *args, **kwargs):
        if not kwargs and len(args) == 1 and _is_lazy_query(args[0]):
            # The scope's query_string (latin-1 decoding of ASCII is the
            # identity): parsed on demand.
            self._raw = args[0]
            return
        assert len(args) < 2, "Too many arguments."
        value = args[0] if args else []
        if isinstance(value, str):
            items = parse_query(value)
        elif isinstance(value, bytes):
            items = parse_query(PyUnicode_DecodeLatin1(PyBytes_AS_STRING(value), PyBytes_GET_SIZE(value), NULL))
        elif not value:
            items = []
        elif hasattr(value, "multi_items"):
            items = list(value.multi_items())
        elif hasattr(value, "items"):
            items = list(value.items())
        else:
            items = list(value)
        if kwargs:
            items = items + list(kwargs.items())
        if (type(value) is str or type(value) is bytes) and not kwargs:
            self._list_ = items  # parse_query gives exact str pairs already
            self._dict_ = {k: v for k, v in items}
        else:
            # Starlette keys its dict by the original keys, then makes them
            # str: keys equal as objects (1 and True) collapse before that.
            self._list_ = [(str(k), str(v)) for k, v in items]
            self._dict_ = {str(k): str(v) for k, v in {k: v for k, v in items}.items()}

    cdef int _parse(self) except -1:
        if self._raw is not None:
            self._dict_ = {}
            self._list_ = _parse_ascii_query(
                <const Py_UCS1*>PyBytes_AS_STRING(self._raw), PyBytes_GET_SIZE(self._raw), self._dict_)
            self._raw = None
        return 0

    cdef object _scan(self, key, bint every):
        return _scan_query(<const Py_UCS1*>PyBytes_AS_STRING(self._raw), PyBytes_GET_SIZE(self._raw), key, every)

    @property
    def _dict(self):
        self._parse()
        return self._dict_

    @property
    def _list(self):
        self._parse()
        return self._list_

    def getlist(self, key):
        if self._raw is not None and PyUnicode_CheckExact(key):
            return self._scan(key, True)
        return [item_value for item_key, item_value in self._list if item_key == key]

    def get(self, key, default=None):
        if self._raw is not None and PyUnicode_CheckExact(key):
            value = self._scan(key, False)
            return default if value is None else value
        return self._dict.get(key, default)

    def keys(self):
        return self._dict.keys()

    def values(self):
        return self._dict.values()

    def items(self):
        return self._dict.items()

    def multi_items(self):
        return list(self._list)

    def __getitem__(self, key):
        if self._raw is not None and PyUnicode_CheckExact(key):
            value = self._scan(key, False)
            if value is None:
                raise KeyError(key)
            return value
        return self._dict[key]

    def __contains__(self, key):
        if self._raw is not None and PyUnicode_CheckExact(key):
            return self._scan(key, False) is not None
        return key in self._dict

    def __iter__(self):
        return iter(self._dict)

    def __len__(self):
        return len(self._dict)

    def __eq__(self, other):
        if not isinstance(other, self.__class__):
            return False
        return sorted(self._list, key=itemgetter(0)) == sorted((<QueryParams>other)._list, key=itemgetter(0))

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = None

    def __str__(self):
        return urlencode(self._list)

    def __repr__(self):
        return f"{self.__class__.__name__}({str(self)!r})"


Mapping.register(QueryParams)


# ------------------------------------------------------------------------- URL

cdef enum:
    _ESCAPE_IN_PATH = 1  # '?', '#' or '\\': Starlette escapes them in a path
    _SPLIT_BY_URLSPLIT = 2  # tab, CR or LF: urlsplit strips them
    _HASH = 4  # '#': urlsplit starts a fragment there
    _NON_ASCII = 8  # a character beyond ASCII


cdef inline int _char_flags(unsigned int c) noexcept:
    if c > 92:
        return _NON_ASCII if c > 127 else 0
    if c == 63 or c == 92:  # '?' '\\'
        return _ESCAPE_IN_PATH
    if c == 35:  # '#'
        return _ESCAPE_IN_PATH | _HASH
    if c == 9 or c == 10 or c == 13:
        return _SPLIT_BY_URLSPLIT
    return 0


cdef unsigned char _LATIN1_FLAGS[256]  # _char_flags of each latin-1 character
for _c in range(256):
    _LATIN1_FLAGS[_c] = _char_flags(_c)
del _c


cdef int _latin1_flags(const Py_UCS1* d, Py_ssize_t n) noexcept:
    """Which of the characters URL building cares about ``d[:n]`` holds."""
    cdef Py_ssize_t i
    cdef int flags = 0
    for i in range(n):
        flags |= _LATIN1_FLAGS[d[i]]
    return flags


cdef int _text_flags(str s) noexcept:
    """Which of the characters URL building cares about ``s`` holds."""
    cdef Py_ssize_t i, n = PyUnicode_GET_LENGTH(s)
    cdef int kind = PyUnicode_KIND(s), flags = 0
    cdef void* data = PyUnicode_DATA(s)
    if kind == 1:
        return _latin1_flags(<const Py_UCS1*>data, n)
    for i in range(n):
        flags |= _char_flags(PyUnicode_READ(kind, data, i))
    return flags


cdef long _port_number(const Py_UCS1* digits, Py_ssize_t n) noexcept:
    """The value of at most five validated ASCII digits (a Host port)."""
    cdef long value = 0
    cdef Py_ssize_t i
    for i in range(n):
        value = value * 10 + (digits[i] - 48)
    return value


cdef object _port_of(const Py_UCS1* h, Py_ssize_t n, Py_ssize_t end):
    """The port of a valid Host ``h[:n]`` whose host ends at ``end``.

    None without one; ``_UNKNOWN`` past five digits (leading zeros: ``.port``
    parses it from the string).
    """
    if end == n:
        return None
    if n - end - 1 <= 5:
        return _port_number(h + end + 1, n - end - 1)
    return _UNKNOWN


cdef bint _plain_host(object host):
    """A reg-name host (an exact str): safe in a netloc without re-parsing."""
    cdef Py_ssize_t i, n
    cdef int kind
    cdef void* data
    if not PyUnicode_CheckExact(host):
        return False
    n = PyUnicode_GET_LENGTH(host)
    kind = PyUnicode_KIND(host)
    data = PyUnicode_DATA(host)
    if n == 0:
        return False
    for i in range(n):
        if not _is_regname_char(PyUnicode_READ(kind, data, i)):
            return False
    return True


_UNKNOWN = object()  # a URL part not known until the URL string is parsed


cdef str _lower_host(str host):
    """``SplitResult.hostname`` of a bare host: lowercased up to a ``%`` zone."""
    if "%" not in host:
        return host.lower()
    hostname, percent, zone = host.partition("%")
    return hostname.lower() + percent + zone


cdef str _ascii_str(const Py_UCS1* d, Py_ssize_t n):
    """A str of the ``n`` ASCII characters at ``d``."""
    cdef str text = PyUnicode_New(n, 127)
    memcpy(PyUnicode_1BYTE_DATA(text), d, n)
    return text


cdef str _ascii_hostname(const Py_UCS1* d, Py_ssize_t n, str whole):
    """``_lower_host`` of an ASCII reg-name ``d[:n]`` (``whole`` if that is it)."""
    cdef Py_ssize_t i
    cdef Py_UCS1* o
    cdef str hostname
    for i in range(n):
        if 65 <= d[i] <= 90 or d[i] == 37:  # upper case, or a '%' zone
            break
    else:
        return whole if n == PyUnicode_GET_LENGTH(whole) else _ascii_str(d, n)
    if memchr(d, 37, n) != NULL:
        return _lower_host(_ascii_str(d, n))
    hostname = PyUnicode_New(n, 127)
    o = PyUnicode_1BYTE_DATA(hostname)
    for i in range(n):
        o[i] = d[i] + 32 if 65 <= d[i] <= 90 else d[i]
    return hostname


cdef object _plain_url(cls, str scheme, bytes host, str path, bytes query):
    """``_url_from_scope`` for the usual handshake; None for anything else.

    Usual: a ws/wss/http/https scheme and an ASCII path that needs no
    escaping (the caller checks both), a path that starts with ``/``, a
    valid ASCII reg-name Host header with an optional port, and an ASCII
    query that urlsplit keeps whole.
    The URL string is assembled in place, its parts known without parsing.
    """
    cdef const Py_UCS1* h = <const Py_UCS1*>PyBytes_AS_STRING(host)
    cdef const Py_UCS1* q = <const Py_UCS1*>PyBytes_AS_STRING(query)
    cdef const Py_UCS1* p
    cdef Py_ssize_t nh = PyBytes_GET_SIZE(host), nq = PyBytes_GET_SIZE(query)
    cdef Py_ssize_t np = PyUnicode_GET_LENGTH(path), ns = PyUnicode_GET_LENGTH(scheme)
    cdef Py_ssize_t end, at
    cdef Py_UCS1* o
    if np == 0 or nh == 0 or h[0] == 91:  # '[': urlsplit decides
        return None
    p = PyUnicode_1BYTE_DATA(path)
    if p[0] != 47 or _latin1_flags(q, nq) & (_SPLIT_BY_URLSPLIT | _HASH | _NON_ASCII):
        return None
    end = _host_port_split(h, nh)  # a valid host is ASCII
    if end < 0:
        return None
    netloc = _ascii_str(h, nh)
    hostname = _ascii_hostname(h, end, netloc)
    port = _port_of(h, nh, end)
    url = PyUnicode_New(ns + 3 + nh + np + (nq + 1 if nq else 0), 127)
    o = PyUnicode_1BYTE_DATA(url)
    memcpy(o, PyUnicode_1BYTE_DATA(scheme), ns)
    memcpy(o + ns, b"://", 3)
    at = ns + 3
    memcpy(o + at, h, nh)
    at += nh
    memcpy(o + at, p, np)
    at += np
    if nq:
        o[at] = 63  # '?'
        memcpy(o + at + 1, q, nq)
        query_text = _ascii_str(q, nq)
    else:
        query_text = ""
    return _new_url(cls, url, (scheme, netloc, path, query_text, hostname, port))


cdef object _url_from_scope(cls, scope):
    """A ``cls`` (URL) of the string Starlette builds for a connection scope.

    Its parts ``(scheme, netloc, path, query, hostname, port)`` are set when
    they are exactly what ``urlsplit(url)`` would give (``hostname``/``port``
    may be ``_UNKNOWN``), else left to be parsed from the string.
    """
    if type(scope) is not dict:
        # Any other mapping is read through its own get/[] methods, as in
        # Starlette: the pure twin does exactly that.
        return _new_url(cls, _url_from_any_scope(scope), None)
    cdef dict fields = scope
    cdef Py_ssize_t end, n
    scheme = fields.get("scheme", "http")
    server = fields.get("server", None)
    path = fields["path"]
    cdef int path_flags = _text_flags(path) if type(path) is str else _ESCAPE_IN_PATH
    if path_flags & _ESCAPE_IN_PATH:
        path = path.replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")
        path_flags = _text_flags(path)
    query_string = fields.get("query_string", b"")

    host_header = None
    for item in fields["headers"]:
        key, value = item
        if _same_bytes(key, b"host"):
            host_header = value if PyBytes_CheckExact(value) else _latin1(value)  # decoded below
            break

    cdef bint plain = type(scheme) is str and (scheme == "ws" or scheme == "wss" or scheme == "http" or scheme == "https")
    if plain and path_flags == 0 and PyBytes_CheckExact(host_header) and PyBytes_CheckExact(query_string):
        url = _plain_url(cls, scheme, host_header, path, query_string)
        if url is not None:
            return url
    if PyBytes_CheckExact(host_header):
        host_header = _latin1(host_header)

    hostname = port_value = _UNKNOWN
    netloc = None
    if host_header is not None:
        if PyUnicode_CheckExact(host_header) and PyUnicode_KIND(host_header) == 1:
            n = PyUnicode_GET_LENGTH(host_header)
            end = _host_port_split(PyUnicode_1BYTE_DATA(host_header), n)
            if end >= 0:
                netloc = host_header  # host[:port], valid as it stands
                if PyUnicode_1BYTE_DATA(host_header)[0] == 91:  # '[': urlsplit decides
                    plain = False
                else:
                    hostname = _ascii_hostname(PyUnicode_1BYTE_DATA(host_header), end, host_header)
                    port_value = _port_of(PyUnicode_1BYTE_DATA(host_header), n, end)
        else:
            parsed = _parse_host_by_regex(host_header)
            if parsed is not None:
                host, port = parsed
                netloc = host if port is None else f"{host}:{port}"
                plain = False
    if netloc is None and server is not None:
        host, port = server
        plain = plain and _plain_host(host)
        host = bracket_ipv6(host)
        netloc = host if port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"

    cdef str query
    if PyBytes_CheckExact(query_string):
        query = PyUnicode_DecodeUTF8(PyBytes_AS_STRING(query_string), PyBytes_GET_SIZE(query_string), NULL)
    else:
        query = query_string.decode()
    plain = plain and not (path_flags & _SPLIT_BY_URLSPLIT) and not (_text_flags(query) & (_SPLIT_BY_URLSPLIT | _HASH))
    if netloc is not None:
        if not (plain and netloc):
            url = SplitResult(scheme=scheme, netloc=netloc, path=path, query=query, fragment="").geturl()
            return _new_url(cls, url, None)
        if path and path[0] != "/":
            path = "/" + path
        url = f"{scheme}://{netloc}{path}?{query}" if query else f"{scheme}://{netloc}{path}"
        return _new_url(cls, url, (scheme, netloc, path, query, hostname, port_value))
    if path.startswith("//"):
        # Without a host, a leading `//` would be parsed as the authority.
        path = "/%2F" + path[2:]
    url = f"{path}?{query}" if query else path
    if plain and path.startswith("/"):
        return _new_url(cls, url, ("", "", path, query, None, None))
    return _new_url(cls, url, None)


cdef tuple _hostinfo(str netloc):
    """``(hostname, port)`` of a netloc, exactly as ``SplitResult`` splits it."""
    _, _, hostinfo = netloc.rpartition("@")
    _, have_open_br, bracketed = hostinfo.partition("[")
    if have_open_br:
        hostname, _, port = bracketed.partition("]")
        _, _, port = port.partition(":")
    else:
        hostname, _, port = hostinfo.partition(":")
    if not port:
        port = None
    return hostname, port


cdef newfunc _str_tp_new = (<PyTypeObject*>str).tp_new


cdef object _new_url(cls, str url, parts):
    """A ``cls`` (URL) instance of ``url``, with its known parts (or None)."""
    cdef tuple args = (url,)
    obj = _str_tp_new(cls, <PyObject*>args, NULL)  # str.__new__(cls, url)
    obj._parts = parts
    return obj


class URL(URLMethods, str):
    """A URL: a ``str`` that also exposes its parsed components."""

    __slots__ = ("_components", "_parts")

    _parse_query = staticmethod(parse_query)

    def __new__(cls, url="", scope=None, **components):
        parts = None
        if scope is not None:
            assert not url, 'Cannot set both "url" and "scope".'
            assert not components, 'Cannot set both "scope" and "**components".'
            return _url_from_scope(cls, scope)
        elif components:
            assert not url, 'Cannot set both "url" and "**components".'
            url = URL("").replace(**components).components.geturl()
        return _new_url(cls, url, parts)

    @property
    def components(self):
        try:
            return self._components
        except AttributeError:
            self._components = urlsplit(str(self))
            return self._components

    @property
    def scheme(self):
        parts = self._parts
        return parts[0] if parts is not None else self.components.scheme

    @property
    def netloc(self):
        parts = self._parts
        return parts[1] if parts is not None else self.components.netloc

    @property
    def path(self):
        parts = self._parts
        return parts[2] if parts is not None else self.components.path

    @property
    def query(self):
        parts = self._parts
        return parts[3] if parts is not None else self.components.query

    @property
    def fragment(self):
        return "" if self._parts is not None else self.components.fragment

    @property
    def username(self):
        if "@" not in self.netloc:
            return None
        return self.components.username

    @property
    def password(self):
        if "@" not in self.netloc:
            return None
        return self.components.password

    @property
    def hostname(self):
        parts = self._parts
        if parts is not None and parts[4] is not _UNKNOWN:
            return parts[4]
        hostname = _hostinfo(self.netloc)[0]
        if not hostname:
            return None
        return _lower_host(hostname)

    @property
    def port(self):
        parts = self._parts
        if parts is not None and parts[5] is not _UNKNOWN:
            return parts[5]
        port = _hostinfo(self.netloc)[1]
        if port is not None:
            if port.isdigit() and port.isascii():
                port = int(port)
            else:
                raise ValueError(f"Port could not be cast to integer value as {port!r}")
            if not (0 <= port <= 65535):
                raise ValueError("Port out of range 0-65535")
        return port

    def __eq__(self, other):
        return str.__eq__(str(self), str(other))

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = str.__hash__

    def __str__(self):
        return str.__str__(self)

    def __reduce__(self):
        return (self.__class__, (str(self),))


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


def _float_repr(double d):
    """The compiled float formatting alone (tests compare it with ``repr``)."""
    cdef _Buf b
    cdef char stack[64]
    b.data = stack
    b.len = 0
    b.cap = 64
    b.heap = False
    _put_float(&b, d)
    return PyUnicode_DecodeLatin1(b.data, b.len, NULL)


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


def json_loads(s):
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


# --------------------------------------------------------------- WebSocketBase

# What WebSocketBase builds for each connection, without the keyword-argument
# handling of the public constructors (same results).


cdef Headers _headers_of_scope(scope):
    """``Headers(scope=scope)``."""
    cdef Headers headers = Headers.__new__(Headers)
    headers._list = scope["headers"] = list(scope["headers"])
    return headers


cdef object _url_of_scope(scope):
    """``URL(scope=scope)``."""
    return _url_from_scope(URL, scope)


cdef object _query_params_of(query_string):
    """``QueryParams(query_string)``."""
    cdef QueryParams params
    if _is_lazy_query(query_string):
        params = QueryParams.__new__(QueryParams)
        params._raw = query_string
        return params
    return QueryParams(query_string)

cdef object _CONNECTING = WebSocketState.CONNECTING
cdef object _CONNECTED = WebSocketState.CONNECTED
cdef object _DISCONNECTED = WebSocketState.DISCONNECTED
cdef object _RESPONSE = WebSocketState.RESPONSE
cdef object _no_receive = _states.no_receive
cdef object _no_send = _states.no_send


cdef class WebSocketBase:
    """The hot half of ``fastws.WebSocket``: connection data, state, messages.

    ``send``/``receive`` are Starlette's state machine. The data methods take
    a short path while the connection is open and fall back to the state
    machine otherwise, so every error is exactly Starlette's.
    """

    cdef public object scope
    cdef public object _receive
    cdef public object _send
    cdef public object client_state
    cdef public object application_state
    cdef object _headers
    cdef object _url
    cdef object _query
    cdef bint _direct
    cdef object _wire
    cdef object _wire_send
    cdef object __weakref__

    def __init__(self, scope, receive=None, send=None):
        assert scope["type"] == "websocket"
        self.scope = scope
        self._receive = _no_receive if receive is None else receive
        self._send = _no_send if send is None else send
        self.client_state = _CONNECTING
        self.application_state = _CONNECTING
        # Short paths only when send()/receive() are not overridden: a
        # subclass's own send/receive must see every message, as in Starlette.
        cls = type(self)
        self._direct = cls.send is WebSocketBase.send and cls.receive is WebSocketBase.receive
        # On fastws' own wire layer, text and bytes go straight to the frame codec.
        self._wire = _states.wire_of(scope, self._send) if self._direct else None
        self._wire_send = self._send

    # ------------------------------------------------------ connection data

    @property
    def headers(self):
        """The handshake headers: an immutable, case-insensitive multidict."""
        if self._headers is None:
            self._headers = _headers_of_scope(self.scope)
        return self._headers

    @headers.setter
    def headers(self, value):
        raise _states.read_only(self, "headers")

    @headers.deleter
    def headers(self):
        raise _states.read_only(self, "headers", "delete")

    @property
    def url(self):
        """The full URL of the connection (a ``str`` with components)."""
        if self._url is None:
            self._url = _url_of_scope(self.scope)
        return self._url

    @url.setter
    def url(self, value):
        raise _states.read_only(self, "url")

    @url.deleter
    def url(self):
        raise _states.read_only(self, "url", "delete")

    @property
    def query_params(self):
        """The query parameters: an immutable multidict."""
        if self._query is None:
            self._query = _query_params_of(self.scope["query_string"])
        return self._query

    @query_params.setter
    def query_params(self, value):
        raise _states.read_only(self, "query_params")

    @query_params.deleter
    def query_params(self):
        raise _states.read_only(self, "query_params", "delete")

    # ------------------------------------------------ the ASGI state machine

    async def receive(self):
        """Receive ASGI websocket messages, ensuring valid state transitions."""
        if self.client_state is _CONNECTING:
            message = await self._receive()
            message_type = message["type"]
            if message_type != "websocket.connect":
                raise RuntimeError(_states.expected_connect(message_type))
            self.client_state = _CONNECTED
            return message
        elif self.client_state is _CONNECTED:
            message = await self._receive()
            message_type = message["type"]
            if message_type != "websocket.receive":
                if message_type != "websocket.disconnect":
                    raise RuntimeError(_states.expected_receive(message_type))
                self.client_state = _DISCONNECTED
            return message
        else:
            raise WebSocketDisconnected(_states.RECEIVE_AFTER_DISCONNECT)

    async def send(self, message):
        """Send ASGI websocket messages, ensuring valid state transitions."""
        state = self.application_state
        if state is _CONNECTING:
            message_type = message["type"]
            if message_type == "websocket.accept":
                self.application_state = _CONNECTED
            elif message_type == "websocket.close":
                self.application_state = _DISCONNECTED
            elif message_type == "websocket.http.response.start":
                self.application_state = _RESPONSE
            else:
                raise RuntimeError(_states.expected_accept(message_type))
            await self._send(message)
        elif state is _CONNECTED:
            message_type = message["type"]
            if message_type != "websocket.send":
                if message_type != "websocket.close":
                    raise RuntimeError(_states.expected_send(message_type))
                self.application_state = _DISCONNECTED
            try:
                await self._send(message)
            except OSError:
                self.application_state = _DISCONNECTED
                raise WebSocketDisconnect(code=1006)
        elif state is _RESPONSE:
            message_type = message["type"]
            if message_type != "websocket.http.response.body":
                raise RuntimeError(_states.expected_body(message_type))
            if not message.get("more_body", False):
                self.application_state = _DISCONNECTED
            await self._send(message)
        else:
            raise WebSocketDisconnected(_states.SEND_AFTER_CLOSE)

    async def accept(self, subprotocol=None, headers=None):
        """Accept the connection, waiting for the client's connect first."""
        headers = _states.as_raw_headers(headers) if headers else []
        if self.client_state is _CONNECTING:
            await self.receive()
        await self.send({"type": "websocket.accept", "subprotocol": subprotocol, "headers": headers})

    async def close(self, code=1000, reason=None):
        """Close the connection with ``code`` and ``reason`` (before accept: refuse it, HTTP 403)."""
        await self.send({"type": "websocket.close", "code": code, "reason": reason or ""})

    # ------------------------------------------------------------ receiving
    #
    # While connected (and send/receive are not overridden) each method
    # awaits the ASGI receive itself; anything else goes through
    # _receive_data, which runs the full state machine.

    async def _receive_data(self):
        """The next data message; ``WebSocketDisconnect`` on a disconnect."""
        if self.application_state is not _CONNECTED:
            raise WebSocketDisconnected(_states.NOT_CONNECTED)
        message = await self.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message["code"], message.get("reason"))
        return message

    def _not_data(self, message):
        """Raise for a non-``websocket.receive`` message on the short path."""
        message_type = message["type"]
        if message_type != "websocket.disconnect":
            raise RuntimeError(_states.expected_receive(message_type))
        self.client_state = _DISCONNECTED
        raise WebSocketDisconnect(message["code"], message.get("reason"))

    async def receive_text(self):
        """The next message's text; ``WebSocketDisconnect`` when the peer has closed."""
        if self._direct and self.application_state is _CONNECTED and self.client_state is _CONNECTED:
            message = await self._receive()
            if message["type"] != "websocket.receive":
                self._not_data(message)
            return message["text"]
        return (await self._receive_data())["text"]

    async def receive_bytes(self):
        """The next message's bytes; ``WebSocketDisconnect`` when the peer has closed."""
        if self._direct and self.application_state is _CONNECTED and self.client_state is _CONNECTED:
            message = await self._receive()
            if message["type"] != "websocket.receive":
                self._not_data(message)
            return message["bytes"]
        return (await self._receive_data())["bytes"]

    async def receive_json(self, mode="text"):
        """The next message parsed as JSON, from its text (``mode="text"``) or its bytes (``"binary"``)."""
        if mode != "text" and mode != "binary":
            raise RuntimeError(_states.bad_mode(mode))
        if self._direct and self.application_state is _CONNECTED and self.client_state is _CONNECTED:
            message = await self._receive()
            if message["type"] != "websocket.receive":
                self._not_data(message)
        else:
            message = await self._receive_data()
        if mode == "text":
            return json_loads(message["text"])
        return json_loads(message["bytes"].decode("utf-8"))

    # -------------------------------------------------------------- sending
    #
    # While connected (and send is not overridden) each method awaits the
    # ASGI send itself; a failing send (OSError) is a 1006 disconnect, as in
    # Starlette. Otherwise send() runs the full state machine.

    def _send_failed(self):
        """Called inside ``except OSError``: mark closed, raise 1006."""
        self.application_state = _DISCONNECTED
        raise WebSocketDisconnect(code=1006)

    async def send_text(self, data):
        """Send ``data`` as a text message."""
        if self._wire is not None and self.application_state is _CONNECTED and self._send is self._wire_send:
            if self._wire.write_text(data):
                return
        message = {"type": "websocket.send", "text": data}
        if self._direct and self.application_state is _CONNECTED:
            try:
                await self._send(message)
            except OSError:
                self._send_failed()
        else:
            await self.send(message)

    async def send_bytes(self, data):
        """Send ``data`` as a binary message."""
        if self._wire is not None and self.application_state is _CONNECTED and self._send is self._wire_send:
            if self._wire.write_bytes(data):
                return
        message = {"type": "websocket.send", "bytes": data}
        if self._direct and self.application_state is _CONNECTED:
            try:
                await self._send(message)
            except OSError:
                self._send_failed()
        else:
            await self.send(message)

    async def send_json(self, data, mode="text"):
        """Send ``data`` as JSON (compact, non-ASCII kept), in a text (``mode="text"``) or binary message."""
        if mode == "text":
            payload = json_dumps(data)
        elif mode == "binary":
            payload = json_dumps_bytes(data)
        else:
            raise RuntimeError(_states.bad_mode(mode))
        if self._wire is not None and self.application_state is _CONNECTED and self._send is self._wire_send:
            if self._wire.write_text(payload) if mode == "text" else self._wire.write_bytes(payload):
                return
        message = {"type": "websocket.send", "text" if mode == "text" else "bytes": payload}
        if self._direct and self.application_state is _CONNECTED:
            try:
                await self._send(message)
            except OSError:
                self._send_failed()
        else:
            await self.send(message)

# cython: language_level=3, cdivision=True
"""Compiled twin of ``fastws._url_py``: query strings, the Host header, ``QueryParams``, ``URL``.

Twin style: hand-written, as yarl does. This file mirrors ``_url_py.py``
section by section (query strings, QueryParams, URL, what ``WebSocketBase``
builds), with one more for the Host header, and defines the same public
names with the same behaviour; the shared test suite and hypothesis tests
hold them together. Fast paths work on the raw bytes/characters; anything
unusual goes through the same Python-level code as the pure twin
(Starlette's Host header rule and URL of a scope, kept once in
``fastws._shared``), so results and exceptions match. ``url_of_scope`` and
``query_params_of`` (declared in ``_url_c.pxd``) are the C-level
constructors ``WebSocketBase`` calls.
"""

from collections.abc import Mapping
from ipaddress import AddressValueError, IPv6Address
from operator import itemgetter
from urllib.parse import SplitResult, unquote, urlencode, urlsplit

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_CheckExact, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.object cimport PyObject, PyTypeObject, newfunc
from cpython.unicode cimport (
    PyUnicode_1BYTE_DATA,
    PyUnicode_DATA,
    PyUnicode_DecodeLatin1,
    PyUnicode_DecodeUTF8,
    PyUnicode_GET_LENGTH,
    PyUnicode_KIND,
    PyUnicode_New,
    PyUnicode_READ,
)
from libc.stdint cimport uint64_t
from libc.string cimport memchr, memcmp, memcpy

from ._cdefs cimport Py_UCS1, PyUnicode_CheckExact, PyUnicode_IS_ASCII, latin1, same_bytes

from ._shared import DEFAULT_PORTS, URLMethods, bracket_ipv6
from ._shared import parse_host_header as _parse_host_by_regex
from ._shared import url_from_scope as _url_from_any_scope

__all__ = ["URL", "QueryParams", "parse_host_header", "parse_query"]

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
        if same_bytes(key, b"host"):
            host_header = value if PyBytes_CheckExact(value) else latin1(value)  # decoded below
            break

    cdef bint plain = type(scheme) is str and (scheme == "ws" or scheme == "wss" or scheme == "http" or scheme == "https")
    if plain and path_flags == 0 and PyBytes_CheckExact(host_header) and PyBytes_CheckExact(query_string):
        url = _plain_url(cls, scheme, host_header, path, query_string)
        if url is not None:
            return url
    if PyBytes_CheckExact(host_header):
        host_header = latin1(host_header)

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
        netloc = host if port == DEFAULT_PORTS[scheme] else f"{host}:{port}"

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


# ----------------------------------------------------- for WebSocketBase
#
# What WebSocketBase builds for each connection, without the keyword-argument
# handling of the public constructors (same results).


cpdef object url_of_scope(scope):
    """``URL(scope=scope)``."""
    return _url_from_scope(URL, scope)


cpdef object query_params_of(query_string):
    """``QueryParams(query_string)``."""
    cdef QueryParams params
    if _is_lazy_query(query_string):
        params = QueryParams.__new__(QueryParams)
        params._raw = query_string
        return params
    return QueryParams(query_string)

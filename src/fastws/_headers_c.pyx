# cython: language_level=3, cdivision=True
"""Compiled twin of ``fastws._headers_py``: ``Headers`` and ``MutableHeaders``.

Twin style: hand-written, as multidict does. Same public names and behaviour
as the pure twin; lookups compare the raw header bytes without decoding them.
``headers_of_scope`` (declared in ``_headers_c.pxd``) is the C-level
constructor ``WebSocketBase`` calls.
"""

from collections.abc import Mapping

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_CheckExact, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.tuple cimport PyTuple_CheckExact, PyTuple_GET_ITEM, PyTuple_GET_SIZE
from cpython.unicode cimport PyUnicode_1BYTE_DATA, PyUnicode_GET_LENGTH
from libc.string cimport memcmp

from ._cdefs cimport Py_UCS1, PyUnicode_CheckExact, PyUnicode_IS_ASCII, latin1, same_bytes

from ._shared import MutableHeadersMethods

__all__ = ["Headers", "MutableHeaders"]

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
        return [latin1(key) for key, _ in self._list]

    def values(self):
        return [latin1(value) for _, value in self._list]

    def items(self):
        return [(latin1(key), latin1(value)) for key, value in self._list]

    def getlist(self, key):
        cdef bytes wanted = _header_key(key)
        return [latin1(item_value) for item_key, item_value in self._list if same_bytes(item_key, wanted)]

    def get(self, key, default=None):
        value = self._first(key)
        return default if value is _ABSENT else latin1(value)

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
            if same_bytes(item_key, wanted):
                return item_value
        return _ABSENT

    def __getitem__(self, key):
        value = self._first(key)
        if value is _ABSENT:
            raise KeyError(key)
        return latin1(value)

    def __contains__(self, key):
        cdef bytes wanted = _header_key(key)
        for item_key, _ in self._list:
            if same_bytes(item_key, wanted):
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


cpdef object headers_of_scope(scope):
    """``Headers(scope=scope)``, without the keyword handling (for ``WebSocketBase``)."""
    cdef Headers headers = Headers.__new__(Headers)
    headers._list = scope["headers"] = list(scope["headers"])
    return headers

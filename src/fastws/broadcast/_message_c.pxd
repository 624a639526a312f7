# cython: language_level=3
"""The types of the compiled ``Message``, built from ``_message_py.py``.

There is no ``_message_c.pyx``: setup.py compiles the pure twin's source as
``fastws.broadcast._message_c`` and Cython reads this file beside it
(aiohttp's way). It makes ``Message`` a ``cdef class`` whose fields are C
fields (``public``: the rest of the broadcast package reads and sets them).
"""

from ..wire._codec_c cimport build_frame

cdef int _TEXT
cdef int _BINARY


cdef class Message:
    cdef public object payload
    cdef public bint binary
    cdef public object position
    cdef public object stamp
    cdef public object _text
    cdef public object _frame
    cdef public object _asgi
    cdef public object _deflated

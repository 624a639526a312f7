# cython: language_level=3
"""The types of the compiled ``WebSocketBase``, built from ``_websocket_base_py.py``.

There is no ``_websocket_base_c.pyx``: setup.py compiles the pure twin's
source as ``fastws._websocket_base_c`` and Cython reads this file beside it
(aiohttp's way). It makes ``WebSocketBase`` a ``cdef class`` with typed
attributes, its module constants C globals, and it replaces the source's
imports from the pure twins with C-level calls into the compiled ones (the
names are the same: ``_headers_c.pxd``, ``_url_c.pxd``, ``_json_c.pxd``).
"""

from ._headers_c cimport headers_of_scope
from ._json_c cimport json_dumps, json_dumps_bytes, json_loads
from ._url_c cimport query_params_of, url_of_scope

cdef object _CONNECTING
cdef object _CONNECTED
cdef object _DISCONNECTED
cdef object _RESPONSE
cdef object _no_receive
cdef object _no_send


cdef class WebSocketBase:
    cdef public object scope
    cdef public object _receive
    cdef public object _send
    cdef public object client_state
    cdef public object application_state
    cdef object _headers
    cdef object _url
    cdef object _query
    cdef bint _direct
    cdef object _conn
    cdef object _conn_send
    cdef list _disconnect_callbacks
    cdef object __weakref__

    cdef _connected(self, message)

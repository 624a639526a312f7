# cython: language_level=3
"""The types of the compiled ``ProtocolCore``, built from ``_protocol_core_py.py``.

There is no ``_protocol_core_c.pyx``: setup.py compiles the pure twin's
source as ``fastws._protocol_core_c`` and Cython reads this file beside it
(aiohttp's way). It makes ``ProtocolCore`` a ``cdef class`` whose fields are
C fields (``public``: Python code, such as a subclass, a test or the
fan-out, reads and sets them too), the calls between its methods C calls,
and the module's constants C globals.

A ``cdef`` method is called only inside the class, at C level: a subclass
cannot override it (the class would not see the override). Those a
subclass, uvicorn, the loop or another module calls are ``def`` methods in
the source, left as they are, or ``cpdef`` where the class calls them too
(rarely: a ``cpdef`` call looks for an override each time).
"""

cimport cython

from ._next_event_c cimport pending, ready, settle
from ._read_buffer_c cimport this_thread
from ._sockets_c cimport send_last, send_now
from .wire._codec_c cimport Connection

cdef object _logger
cdef object _RECEIVE
cdef object _DISCONNECT
cdef object CONNECTING
cdef object RESPONDING
cdef object REFUSED
cdef object OPEN
cdef object CLOSING
cdef object SERVER_CLOSING
cdef object PEER_GONE
cdef object CLOSED
cdef int _FD_UNKNOWN
cdef long long _NO_TICK
cdef Py_ssize_t _NO_BUDGET
cdef frozenset _DIRECT_TRANSPORTS
cdef dict _direct_kinds
cdef frozenset _PLAIN_FUTURE_LOOPS
cdef object _shares
cdef object SENT
cdef dict _SCOPE
cdef dict _SHARED_ITEMS
cdef bint _POSIX
cdef object _LET_GO


cdef class ServerShare:
    cdef public object config
    cdef public object server_state
    cdef public object loop
    cdef public object settings
    cdef public object connections
    cdef public object tasks
    cdef public Py_ssize_t max_queue
    cdef public Py_ssize_t max_queue_bytes
    cdef public object keepalive
    cdef public dict future_kwargs
    cdef public object handoff


cdef class ProtocolCore:
    # the connection, its codec and its app
    cdef public ServerShare share
    cdef public object app
    cdef public object app_state
    cdef public object transport
    cdef public Connection conn
    cdef public dict scope
    cdef public object state
    cdef public object scheme
    cdef public object server
    cdef public object client
    cdef public object fanout
    # the handshake
    cdef public object _request
    cdef public object _front
    cdef public object _key
    cdef public object _extensions
    cdef public object _denial
    # messages in
    cdef public object _disconnect_code
    cdef public object _queue
    cdef public Py_ssize_t _queued_bytes
    cdef public object _waiter
    cdef public bint _read_paused
    # messages out
    cdef public int _fd
    cdef public bint _buffered
    cdef public object _drained
    cdef public object _owed_pong
    cdef public object _close_timer
    cdef public object _write_timer
    # keepalive
    cdef long long _tick
    cdef public object pong_timer
    cdef public object pending_ping_payload
    cdef public double ping_sent_at
    cdef public double last_ping_rtt

    cdef _received(self, list events)
    cdef Py_ssize_t _read_budget(self) except? -1
    cdef _ping_received(self, event)
    cdef _upgrade_request(self, data)
    cdef _front_request(self)
    cdef _made(self)
    cdef _leave_front(self)
    cdef tuple _back_to_front(self)
    cdef _reject(self, error, outcome=*)
    cdef _check_admission(self, request)
    cpdef _refuse(self, status, reason, outcome=*)
    cdef bint _push(self, dict event, bint at_once=*) except -1
    cdef _disconnect(self, code, reason=*, side=*)
    cdef _message(self, dict event, Py_ssize_t size)
    cdef _peer_closed(self, event)
    cdef _failed(self, event)
    cdef _end(self, last, code, reason, side)
    cdef _abort(self)
    cdef _close_transport(self)
    cdef _resume_reading(self)
    cdef bint _has_room(self) except -1
    cdef _write(self, data)
    cdef _write_last(self, data)
    cdef _hand(self, data)
    cdef _send_message(self, dict message)
    cdef _send_other(self, dict message)
    @cython.locals(fd=int, sent=Py_ssize_t)
    cdef _write_frame(self, frame)
    @cython.locals(fd=int, sent=Py_ssize_t, size=Py_ssize_t)
    cpdef write_parts(self, header, payload)
    @cython.locals(fd=int)
    cdef int _writable_fd(self) except -3
    @cython.locals(fd=int, own=int)
    cpdef bint own_socket(self) except -1
    cdef _write_long_text(self, text)
    cdef bint _deliver_frame(self, frame) except -1
    cdef _write_bytes(self, data)
    cdef int _socket_fd(self) except -3
    cdef _send_close(self, code, reason, state)
    cdef _before_accept(self, message, kind)
    cdef _denial_body(self, message, kind)
    cdef _finish_denial(self)
    cpdef _app_ended(self)
    cdef _access(self, outcome)
    cdef _prefix(self)
    cdef _start_keepalive(self)
    cdef _stop_keepalive(self)
    cdef _pong(self, event)


cdef dict _as_dict(object message)

# deliver_frame as a function: the fan-out (broadcast/_targets_c) calls it at C level, once per delivery (a
# method would be looked up on a Python subclass's instance at each call: a cpdef one on Python >= 3.12)
cpdef bint deliver_frame_to(ProtocolCore core, frame) except -1

# cython: language_level=3
"""The types of the compiled targets, built from ``_targets_py.py``.

There is no ``_targets_c.pyx``: setup.py compiles the pure twin's source as
``fastws.broadcast._targets_c`` and Cython reads this file beside it
(aiohttp's way). It makes ``Target`` and ``DirectTarget`` ``cdef`` classes
whose fields are C fields (``public``: the hub and the other targets read
and set them), so ``deliver_all`` tells a ready subscriber from the rest
without a Python attribute lookup. ``AsgiTarget`` and ``QueueTarget`` stay
Python classes (subclasses of ``Target``): they are not the hot path.
"""

cimport cython

from .._protocol_core_c cimport ProtocolCore, deliver_frame_to
from ..wire._codec_c cimport count_sent

cdef class Target:
    cdef public object delivery
    cdef public object key
    cdef public object channels
    cdef public object backlog
    cdef public Py_ssize_t queued
    cdef public Py_ssize_t dropped
    cdef public bint gone

cdef class DirectTarget(Target):
    cdef public object connection
    cdef public ProtocolCore core
    cdef public object emptied
    cdef public bint uncompressed

@cython.locals(direct=DirectTarget, taken=Py_ssize_t, core=ProtocolCore, delivered=bint)
cpdef deliver_all(object targets, object message)

# cython: language_level=3
"""What other compiled twins use of ``_next_event_c`` at C level (the protocol core's ``receive``)."""

cimport cython


@cython.freelist(32)
cdef class ReadyEvent:
    cdef public bint _asyncio_future_blocking
    cdef object _loop
    cdef object _result


cdef class Sent:
    pass


cpdef object pending(object loop, dict kwargs)
cpdef ReadyEvent ready(object loop, dict event)
cpdef settle(object loop, object waiter, dict event)

# cython: language_level=3
"""What the ASGI ``receive`` of ``fastws.protocol`` returns: the compiled twin of ``_next_event_py.py``.

The same functions and class, one by one (the pure twin says what and
why), with two steps in C that the pure source cannot write: the future is
made with the keyword dict itself (``PyObject_Call``; a ``**kwargs`` call
copies it first), and ``ReadyEvent``'s await step is a C ``tp_iternext``:
a ``def __next__`` would end the await with ``raise StopIteration(event)``,
for which Cython records a traceback entry (a frame made and freed: 1,000
instructions an event); the C step sets ``StopIteration`` with the event,
as asyncio's own future iterator does.
"""

import asyncio
import sys
from types import GetSetDescriptorType

from cpython.object cimport PyObject, PyObject_Call

cdef extern from "Python.h":
    ctypedef PyObject* (*iternextfunc)(PyObject*)
    ctypedef struct _TypeSlots "PyTypeObject":
        iternextfunc tp_iternext
    void PyErr_SetObject(object kind, object value)
    object PyObject_CallNoArgs(object callable)
    PyObject* PyExc_StopIteration
    int PyContext_Enter(object context) except -1
    int PyContext_Exit(object context) except -1
    ctypedef object (*getter)(PyObject*, void*)  # a new reference, or NULL with its error set
    ctypedef struct PyGetSetDef:
        getter get
        void* closure
    ctypedef struct PyGetSetDescrObject:
        PyGetSetDef* d_getset

__all__ = ["SENT", "ReadyEvent", "Sent", "pending", "ready", "settle"]


cdef object _Future = asyncio.Future
cdef object _get_running_loop = asyncio._get_running_loop
cdef bint _RUNNING_LOOP_IS_FREE = sys.version_info >= (3, 12)  # 3.11's calls getpid(2)
cdef tuple _NO_ARGS = ()
# whether a task runs on a loop: 3.11's current_task is a Python function around asyncio's dict, read here
# directly; 3.12's is C (and later versions keep the running task elsewhere than that dict)
cdef bint _TASKS_IN_DICT = sys.version_info < (3, 12)
cdef dict _current_tasks = asyncio.tasks._current_tasks if _TASKS_IN_DICT else None
cdef object _current_task = asyncio.current_task
# an exact Future's methods and callbacks, called through their descriptors: no lookup on the type per call
cdef object _set_result = asyncio.Future.set_result
cdef object _remove_done_callback = asyncio.Future.remove_done_callback
cdef object _callbacks_descriptor = vars(asyncio.Future).get("_callbacks")
# the C Future's getter of _callbacks, called directly (NULL for a Future without one: read by name then)
cdef PyGetSetDef* _callbacks_of = (
    (<PyGetSetDescrObject*>_callbacks_descriptor).d_getset if type(_callbacks_descriptor) is GetSetDescriptorType
    else NULL
)


cpdef object pending(object loop, dict kwargs):
    """``loop.create_future()``, for an event that has not come yet: ``asyncio.Future(**kwargs)`` if ``kwargs``
    is not None (``{"loop": loop}``, where that is what the loop's ``create_future`` makes)."""
    if kwargs is None:
        return loop.create_future()
    if _RUNNING_LOOP_IS_FREE and PyObject_CallNoArgs(_get_running_loop) is loop:
        return PyObject_CallNoArgs(_Future)
    return PyObject_Call(_Future, _NO_ARGS, kwargs)



cpdef settle(object loop, object waiter, dict event):
    """``waiter.set_result(event)``, and the callback waiting on it, if it is the only one and no task is running,
    called now rather than at the loop's next turn (see the pure twin)."""
    if type(waiter) is not _Future or (loop in _current_tasks if _TASKS_IN_DICT else _current_task(loop) is not None):
        waiter.set_result(event)
        return
    if _callbacks_of != NULL:
        callbacks = _callbacks_of.get(<PyObject*>waiter, _callbacks_of.closure)
    else:
        callbacks = waiter._callbacks
    if callbacks is None or len(<list>callbacks) != 1:
        waiter.set_result(event)
        return
    callback, context = (<list>callbacks)[0]
    _remove_done_callback(waiter, callback)
    _set_result(waiter, event)
    _call(loop, callback, waiter, context)


cdef _call(object loop, object callback, object waiter, object context):
    # what the loop's Handle would do, here: Context.run without its method call
    try:
        PyContext_Enter(context)
    except RuntimeError:  # entered already, further up this stack: at the loop's next turn, as asyncio does
        loop.call_soon(callback, waiter, context=context)
        return
    try:
        callback(waiter)
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as exc:
        loop.call_exception_handler({"message": f"Exception in callback {callback!r}", "exception": exc})
    finally:
        PyContext_Exit(context)


cpdef ReadyEvent ready(object loop, dict event):
    """A future of ``event``, done from the start."""
    cdef ReadyEvent next_event = ReadyEvent.__new__(ReadyEvent)
    next_event._loop = loop
    next_event._result = event
    return next_event


cdef class ReadyEvent:
    """A future done from the start with an event: the await's value at its first step (see the pure twin)."""

    def __init__(self, loop, event):
        self._loop = loop
        self._result = event

    def __await__(self):
        return self

    def __iter__(self):
        return self

    def __next__(self):
        """The await's one step: it ends, with the event (``StopIteration``'s value)."""
        raise StopIteration(self._result)

    def get_loop(self):
        """The loop of the connection."""
        return self._loop

    def done(self):
        """True: done from the start."""
        return True

    def cancelled(self):
        """False: never cancelled."""
        return False

    def cancel(self, msg=None):
        """False: done already, as a done ``Future``'s."""
        return False

    def result(self):
        """The event."""
        return self._result

    def exception(self):
        """None: an event is never an error."""
        return None

    def add_done_callback(self, fn, *, context=None):
        """Call ``fn(self)`` soon, in ``context`` (the current one by default), as a done ``Future`` does."""
        self._loop.call_soon(fn, self, context=context)

    def remove_done_callback(self, fn):
        """0: a callback is called at once, never kept."""
        return 0

    def __repr__(self):
        return f"<ReadyEvent result={self._result!r}>"


cdef PyObject* _step(PyObject* it) noexcept:
    # ReadyEvent.__next__ without Cython's traceback entry: NULL with StopIteration(event) set, as C iterators end
    PyErr_SetObject(<object>PyExc_StopIteration, (<ReadyEvent>it)._result)
    return NULL


(<_TypeSlots*>ReadyEvent).tp_iternext = _step


cdef class Sent:
    """What the ASGI ``send`` returns once its message is sent: an await of it ends at once (see the pure twin)."""

    def __await__(self):
        return self

    def __iter__(self):
        return self

    def __next__(self):
        """The await's one step: it ends, with None."""
        raise StopIteration

    def send(self, value):
        """A coroutine's ``send``: it ends, with None."""
        raise StopIteration

    def throw(self, kind, value=None, traceback=None):
        """A done coroutine's ``throw``: the exception raised here."""
        error = kind if value is None else value
        raise error if isinstance(error, BaseException) else error()

    def close(self):
        """A done coroutine's ``close``: nothing to do."""

    def __repr__(self):
        return "<Sent>"


cdef PyObject* _ended(PyObject* it) noexcept:
    # Sent.__next__ in C: NULL with no exception set is an iterator's end, and an await's value None
    return NULL


(<_TypeSlots*>Sent).tp_iternext = _ended

SENT = Sent()

# cython: language_level=3
"""``AppRun``, the coroutine a connection's ASGI task runs: the compiled twin of ``_app_run_py.py``.

The same class (the pure twin says what and why), with its step in C: the
task steps it through ``tp_iternext`` (``__next__``: asyncio's ``Task``
calls ``PyIter_Send(coro, None)``), and it steps the app's coroutine with
``PyIter_Send`` (no ``send`` method looked up and called, no
``StopIteration`` made while the app runs).
"""

from types import CoroutineType

cimport cython
from cpython.object cimport PyObject
from cpython.ref cimport Py_DECREF

cdef extern from *:
    """
    /* PyIter_Send as Cython can call it: 1 the app yielded, 0 it returned (either in *out), -1 it raised (the
       exception, with its traceback, in *out: taken, not left set) */
    static int fastws_iter_send(PyObject *app, PyObject *value, PyObject **out) {
        PySendResult status = PyIter_Send(app, value, out);
        if (status == PYGEN_NEXT) return 1;
        if (status == PYGEN_RETURN) return 0;
    #if PY_VERSION_HEX >= 0x030C0000
        *out = PyErr_GetRaisedException();  /* an instance, its traceback on it */
    #else
        PyObject *kind, *error, *traceback;
        PyErr_Fetch(&kind, &error, &traceback);
        PyErr_NormalizeException(&kind, &error, &traceback);
        if (traceback != NULL) PyException_SetTraceback(error, traceback);
        Py_XDECREF(kind);
        Py_XDECREF(traceback);
        *out = error;
    #endif
        return -1;
    }
    """
    int fastws_iter_send(object app, object value, PyObject** out)

__all__ = ["AppRun"]


@cython.final
cdef class AppRun:
    """The app's coroutine for ``owner``'s task, made at the first step; see the pure twin."""

    cdef public object app
    cdef public object owner

    def __init__(self, owner):
        self.owner = owner
        self.app = None

    def send(self, value):
        """One step of the app, ``value`` sent in: what it yields; ``StopIteration`` once it has ended."""
        return _step(self, value)

    def throw(self, error, value=None, traceback=None):
        """``error`` raised at the app's await (``Task.cancel``), then as ``send``; see the pure twin."""
        app = self.app
        if app is None:
            thrown = error if value is None else value
            if isinstance(thrown, type):
                thrown = thrown()
            self.owner.app_finished(None, thrown)
            raise thrown
        try:
            return app.throw(error) if value is None else app.throw(error, value, traceback)
        except StopIteration as returned:
            self.owner.app_finished(returned.value, None)
        except BaseException as ended:
            self.owner.app_finished(None, ended)
        raise StopIteration

    def close(self):
        """Close the app's coroutine (a task let go of before its end)."""
        if self.app is not None:
            self.app.close()

    def __await__(self):
        return self

    def __iter__(self):
        return self

    def __next__(self):
        # asyncio's Task steps a coroutine with PyIter_Send(coro, None): this slot (tp_iternext) for one not Python's
        return _step(self, None)


cdef object _step(AppRun run, value):
    """One step of ``run``: what the app yields, else its end given to the owner and ``StopIteration``."""
    cdef PyObject* out = NULL
    app = run.app
    if app is None:
        app = _start(run)
        if app is None:
            raise StopIteration
    cdef int status = fastws_iter_send(app, value, &out)
    outcome = <object>out
    Py_DECREF(outcome)  # PyIter_Send's reference: ``outcome`` holds its own
    if status == 1:
        return outcome
    if status == 0:
        run.owner.app_finished(outcome, None)
    else:  # uvicorn's run_asgi catches every kind
        run.owner.app_finished(None, outcome)
    raise StopIteration


cdef object _start(AppRun run):
    """The app called at the first step: its coroutine, or None once what the call raised went to the owner."""
    owner = run.owner
    try:
        run.app = _coroutine(owner.app(owner.scope, owner.receive, owner.send))
    except BaseException as error:
        owner.app_finished(None, error)
        return None
    return run.app


cdef object _coroutine(awaitable):
    """What the app's call returned, as a coroutine (see the pure twin)."""
    return awaitable if type(awaitable) is CoroutineType else _awaiting(awaitable)


async def _awaiting(awaitable):
    return await awaitable

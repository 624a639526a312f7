# cython: language_level=3
"""C-level declarations the compiled twins share (no module of its own).

Parts of the CPython C API that Cython's ``cpython`` package does not
declare, and the two byte helpers both ``_headers_c`` and ``_url_c`` use on
header keys and values. ``inline`` functions declared here are compiled into
each module that cimports them: no call across modules.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_CheckExact, PyBytes_GET_SIZE
from cpython.object cimport PyObject
from cpython.unicode cimport PyUnicode_DecodeLatin1
from libc.string cimport memcmp

cdef extern from "Python.h":
    ctypedef unsigned char Py_UCS1
    bint PyUnicode_IS_ASCII(object o)
    bint PyUnicode_CheckExact(object o)
    bint PyUnicode_Check(object o)
    bint PyLong_Check(object o)
    bint PyFloat_Check(object o)
    bint PyList_CheckExact(object o)
    int Py_EnterRecursiveCall(const char* where) except 1
    void Py_LeaveRecursiveCall()
    Py_ssize_t PyList_GET_SIZE(object o)
    PyObject* PyList_GET_ITEM(object o, Py_ssize_t i)


cdef inline bint same_bytes(object a, bytes b) except -1:
    """``a == b`` for a header key ``a`` (normally bytes)."""
    if PyBytes_CheckExact(a):
        return PyBytes_GET_SIZE(a) == PyBytes_GET_SIZE(b) and memcmp(
            PyBytes_AS_STRING(a), PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b)) == 0
    return a == b


cdef inline str latin1(object value):
    if PyBytes_CheckExact(value):
        return PyUnicode_DecodeLatin1(PyBytes_AS_STRING(value), PyBytes_GET_SIZE(value), NULL)
    return value.decode("latin-1")

# cython: language_level=3
# (the .py says annotation_typing=False: its annotations are for mypy, the C types are here)
# The C types of ``_frame_rules.py`` compiled as ``_frame_rules_c`` (setup.py names it so):
# the compiled codec twin cimports the rules below and calls them at C level.
cimport cython
from libc.stdint cimport uint64_t

cdef unsigned char FIN_BIT, RSV1_BIT, RSV_BITS, OPCODE_BITS, MASK_BIT, LENGTH_BITS
cdef unsigned char MAX_LENGTH_7, LENGTH_16, LENGTH_64, MAX_CONTROL_PAYLOAD
cdef uint64_t MAX_LENGTH_16
cdef unsigned char OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PONG
cdef int PROTOCOL_ERROR, INVALID_FRAME_PAYLOAD_DATA, NO_STATUS_RCVD, MESSAGE_TOO_BIG


@cython.locals(opcode="unsigned char")
cpdef str header_error(unsigned char first, unsigned char second, bint deflate, bint in_message)

cpdef str length_error(unsigned char length7, uint64_t length)

@cython.locals(n=Py_ssize_t, code=int)
cpdef object read_close(bytes payload)

cpdef object inflate(object deflate, bytes data, object max_size, bint text)

# cython: language_level=3
"""The compiled codec, declared for other compiled twins (the protocol core, the broadcast hub).

``Connection``'s fields, and its methods: the ``cdef`` ones its own code
calls, and the ``cpdef`` ones the protocol core calls once or twice per
message (``receive_data``, ``send_text``, ...), which a core that cimports
this type calls at C level, with no attribute lookup (Python code calls them
as before); and the functions the hub calls once per publish.
"""

# UTF-8 validation across reads (RFC 3629): the bytes of a sequence still due, the next one in lo..hi
cdef struct _Utf8:
    int need
    unsigned char lo
    unsigned char hi


cdef class Connection:
    # In an order that leaves no padding, the flags in a byte each: tens of thousands live at once
    cdef public object max_size
    cdef public object deflate
    cdef readonly int state
    cdef readonly bint close_sent
    cdef readonly bint stopped  # the last receive_data stopped at its limit, with bytes left to parse
    cdef unsigned char _mask[4]  # the frame being read's
    cdef Py_ssize_t _limit  # receive_data's limit, or -1 for none
    cdef Py_ssize_t _produced  # bytes of the messages this receive_data returns
    cdef Py_ssize_t _max  # max_size, or -1 for no bound
    cdef bytearray _buffer  # bytes received and not parsed yet (None while there are none)
    cdef list _outgoing  # frames to send (None while there are none)
    cdef Py_ssize_t _remaining  # of the frame being read
    # the message being read
    cdef Py_ssize_t _size
    cdef object _message  # the message object itself when _direct, else a bytearray (None until needed)
    cdef _Utf8 _utf8
    cdef unsigned char _stage
    cdef unsigned char _mask_offset
    cdef unsigned char _fin  # of the frame being read
    cdef unsigned char _in_message
    cdef unsigned char _text
    cdef unsigned char _compressed
    cdef unsigned char _direct  # a one-frame message unmasked straight into its str or bytes: filled to _size - _remaining
    cdef unsigned char _ascii  # every byte of the text message so far is ASCII

    cpdef list receive_data(self, data, limit=*)
    cpdef list receive_from(self, bytearray buffer, Py_ssize_t size, Py_ssize_t limit)
    cdef list _receive(self, const char* data, Py_ssize_t n, Py_ssize_t limit)
    cdef Py_ssize_t _parse(self, const unsigned char* buf, Py_ssize_t end, list events) except -1
    cdef object _finished(self)
    cdef bint _whole_message(self, list events, const unsigned char* payload, Py_ssize_t n) except -1
    cdef bint _append(self, list events, const unsigned char* data, Py_ssize_t n) except -1
    cdef bint _inflated(self, list events) except -1
    cdef bint _control(self, list events, unsigned char opcode, const unsigned char* data, Py_ssize_t n) except -1
    cdef Py_ssize_t _fail(self, list events, int code, str reason) except -1
    cdef Py_ssize_t _invalid_utf8(self, list events) except -1
    cpdef lost(self)
    cdef void _closed(self) noexcept
    cdef int _queue(self, bytes frame) except -1
    cpdef bytes data_to_send(self)
    cdef int _check_can_send(self) except -1
    cpdef bytes send_text(self, text)
    cpdef bytes send_bytes(self, data)
    cpdef bytes send_header(self, bint text, Py_ssize_t size)


cpdef count_sent(bint text, Py_ssize_t messages, Py_ssize_t size)
cpdef bytes build_frame(int opcode, payload, bint fin=*, bint rsv1=*)

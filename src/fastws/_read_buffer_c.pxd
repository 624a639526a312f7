# cython: language_level=3
"""What other compiled twins call in ``_read_buffer_c`` at C level (the protocol core, once per read)."""


cpdef bytearray this_thread()

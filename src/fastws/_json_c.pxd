# cython: language_level=3
"""What other compiled twins call in ``_json_c`` at C level."""

cpdef str json_dumps(data)
cpdef bytes json_dumps_bytes(data)
cpdef object json_loads(s)

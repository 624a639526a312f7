# cython: language_level=3
"""What other compiled twins call in ``_headers_c`` at C level."""

cpdef object headers_of_scope(scope)

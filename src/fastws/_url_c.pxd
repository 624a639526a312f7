# cython: language_level=3
"""What other compiled twins call in ``_url_c`` at C level."""

cdef object url_of_scope(scope)
cdef object query_params_of(query_string)

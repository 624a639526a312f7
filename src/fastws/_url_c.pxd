# cython: language_level=3
"""What other compiled twins call in ``_url_c`` at C level."""

cpdef object url_of_scope(scope)
cpdef object query_params_of(query_string)

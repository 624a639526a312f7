"""``fastws.datastructures``: the URL, query-string and Headers twins against Starlette's."""

"""The live twin of query strings, the ``Host`` header, ``QueryParams`` and ``URL``.

The compiled ``fastws._url_c`` unless the rule of ``fastws._twins`` says
pure (``FASTWS_NO_EXTENSIONS`` set, or not built); else the pure
``fastws._url_py``, which is also what type checkers read. ``COMPILED``
is the compiled twin when it is live, ``PURE`` the pure one: tests run both.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from . import _url_py
from ._twins import load_compiled

__all__ = ["URL", "QueryParams", "parse_host_header", "parse_query"]

PURE: ModuleType = _url_py
COMPILED: ModuleType | None = load_compiled("fastws._url_c")

if TYPE_CHECKING or COMPILED is None:
    from ._url_py import URL, QueryParams, parse_host_header, parse_query
else:
    from ._url_c import URL, QueryParams, parse_host_header, parse_query

"""The live twin of ``_app_run``, the coroutine a connection's ASGI task runs the app in.

The compiled ``fastws._app_run_c`` unless the rule of ``fastws._twins`` says
pure (``FASTWS_NO_EXTENSIONS`` set, or not built); else the pure
``fastws._app_run_py``, which is also what type checkers read (with
``AppOwner``, the protocol's side of the contract). ``COMPILED`` is the
compiled twin when it is live, ``PURE`` the pure one.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from . import _app_run_py
from ._twins import load_compiled

__all__ = ["AppRun"]

PURE: ModuleType = _app_run_py
COMPILED: ModuleType | None = load_compiled("fastws._app_run_c")

if TYPE_CHECKING or COMPILED is None:
    from ._app_run_py import AppRun
else:
    from ._app_run_c import AppRun

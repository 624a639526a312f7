"""Type stubs for the compiled twin ``fastws._json_c``.

The pure twin ``fastws._json_py`` is the source of truth for types (type
checkers read it, through the selector); this stub gives the compiled module
the same names and signatures, and ``python -m mypy.stubtest fastws._json_c``
checks it against the built module.
"""

from typing import Any

__all__ = ["json_dumps", "json_dumps_bytes", "json_loads"]

def json_dumps(data: Any) -> str: ...
def json_dumps_bytes(data: Any) -> bytes: ...
def json_loads(s: str | bytes | bytearray) -> Any: ...

"""What a caller can observe of a ``Headers`` object, to compare a twin's with Starlette's."""

from __future__ import annotations

from typing import Any

from tests.helpers.twins import outcome


def headers_view(h: Any, names: list[Any]) -> dict[str, Any]:
    """Every read of ``h`` (as ``outcome``s), and every lookup of each of ``names``."""
    view: dict[str, Any] = {
        "keys": outcome(h.keys),
        "values": outcome(h.values),
        "items": outcome(h.items),
        "iter": outcome(lambda: list(h)),
        "len": outcome(lambda: len(h)),
        "repr": outcome(lambda: repr(h)),
        "raw": outcome(lambda: h.raw),
    }
    for name in names:
        view[f"getlist {name!r}"] = outcome(lambda: h.getlist(name))
        view[f"get {name!r}"] = outcome(lambda: h.get(name))
        view[f"getitem {name!r}"] = outcome(lambda: h[name])
        view[f"contains {name!r}"] = outcome(lambda: name in h)
    return view

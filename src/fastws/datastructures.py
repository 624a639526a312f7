"""Connection data: ``URL``, ``Headers``, ``QueryParams`` and friends.

``URL``, ``Headers``, ``MutableHeaders`` and ``QueryParams`` come from the
live twin (compiled unless ``FASTWS_NO_EXTENSIONS`` is set; see
``fastws._impl``); type checkers read them from the pure twin, whose API the
compiled one's stub (``_speedups.pyi``) matches. ``Address`` and ``State``
are plain Python, as in Starlette.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from ._impl import impl

if TYPE_CHECKING:
    from ._speedups_py import URL, Headers, MutableHeaders, QueryParams
else:
    URL = impl.URL
    Headers = impl.Headers
    MutableHeaders = impl.MutableHeaders
    QueryParams = impl.QueryParams

__all__ = ["URL", "Address", "Headers", "MutableHeaders", "QueryParams", "State"]


class Address(NamedTuple):
    """The ``(host, port)`` of a connection's peer."""

    host: str
    port: int


class State:
    """Arbitrary per-connection state, stored in ``scope["state"]``."""

    _state: dict[str, Any]

    def __init__(self, state: dict[str, Any] | None = None):
        if state is None:
            state = {}
        super().__setattr__("_state", state)

    def __setattr__(self, key: Any, value: Any) -> None:
        self._state[key] = value

    def __getattr__(self, key: Any) -> Any:
        try:
            return self._state[key]
        except KeyError:
            message = "'{}' object has no attribute '{}'"
            raise AttributeError(message.format(self.__class__.__name__, key))  # noqa: B904 - as Starlette

    def __delattr__(self, key: Any) -> None:
        del self._state[key]

    def __getitem__(self, key: str) -> Any:
        return self._state[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._state[key] = value

    def __delitem__(self, key: str) -> None:
        del self._state[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._state)

    def __len__(self) -> int:
        return len(self._state)

"""Connection data: ``URL``, ``Headers``, ``QueryParams`` and friends.

``URL``, ``Headers``, ``MutableHeaders`` and ``QueryParams`` come from the
live twins (compiled unless ``FASTWS_NO_EXTENSIONS`` is set; selected by
``fastws._url`` and ``fastws._headers``); type checkers read them from the
pure twins, whose API the compiled ones' stubs (``_url_c.pyi``,
``_headers_c.pyi``) match. ``Address`` and ``State`` are plain Python, as in
Starlette.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from ._headers import Headers, MutableHeaders
from ._url import URL, QueryParams

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

"""Pure-Python twin of ``fastws._headers_c``: ``Headers`` and ``MutableHeaders``.

Twin style: hand-written, as multidict does. ``_headers_c.pyx`` defines the
same public names with the same behaviour; the shared test suite runs every
behaviour test on both. ``MutableHeaders``' methods live once, in
``fastws._shared``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any, TypeVar, overload

from ._shared import MutableHeadersMethods

__all__ = ["Headers", "MutableHeaders"]

_T = TypeVar("_T")

# --------------------------------------------------------------------- Headers


class Headers(Mapping[str, str]):
    """An immutable, case-insensitive multidict of latin-1 header values."""

    __slots__ = ("_list",)

    def __init__(
        self,
        headers: Mapping[str, str] | None = None,
        raw: list[tuple[bytes, bytes]] | None = None,
        scope: MutableMapping[str, Any] | None = None,
    ) -> None:
        self._list: list[tuple[bytes, bytes]] = []
        if headers is not None:
            assert raw is None, 'Cannot set both "headers" and "raw".'
            assert scope is None, 'Cannot set both "headers" and "scope".'
            self._list = [(key.lower().encode("latin-1"), value.encode("latin-1")) for key, value in headers.items()]
        elif raw is not None:
            assert scope is None, 'Cannot set both "raw" and "scope".'
            self._list = raw
        elif scope is not None:
            # scope["headers"] may be any iterable: keep one list, shared.
            self._list = scope["headers"] = list(scope["headers"])

    @property
    def raw(self) -> list[tuple[bytes, bytes]]:
        return list(self._list)

    def keys(self) -> list[str]:  # type: ignore[override]
        return [key.decode("latin-1") for key, _ in self._list]

    def values(self) -> list[str]:  # type: ignore[override]
        return [value.decode("latin-1") for _, value in self._list]

    def items(self) -> list[tuple[str, str]]:  # type: ignore[override]
        return [(key.decode("latin-1"), value.decode("latin-1")) for key, value in self._list]

    def getlist(self, key: str) -> list[str]:
        wanted = key.lower().encode("latin-1")
        return [item_value.decode("latin-1") for item_key, item_value in self._list if item_key == wanted]

    @overload
    def get(self, key: str, default: None = None) -> str | None: ...
    @overload
    def get(self, key: str, default: str) -> str: ...
    @overload
    def get(self, key: str, default: _T) -> str | _T: ...
    def get(self, key: str, default: object = None) -> object:
        try:
            return self[key]
        except KeyError:
            return default

    def mutablecopy(self) -> MutableHeaders:
        return MutableHeaders(raw=self._list[:])

    def __getitem__(self, key: str) -> str:
        wanted = key.lower().encode("latin-1")
        for item_key, item_value in self._list:
            if item_key == wanted:
                return item_value.decode("latin-1")
        raise KeyError(key)

    def __contains__(self, key: Any) -> bool:
        wanted = key.lower().encode("latin-1")
        for item_key, _ in self._list:
            if item_key == wanted:
                return True
        return False

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._list)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return False
        return sorted(self._list) == sorted(other._list)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        class_name = self.__class__.__name__
        as_dict = dict(self.items())
        if len(as_dict) == len(self):
            return f"{class_name}({as_dict!r})"
        return f"{class_name}(raw={self.raw!r})"


class MutableHeaders(MutableHeadersMethods, Headers):
    """A mutable copy of ``Headers`` (``Headers.mutablecopy()``)."""

    __slots__ = ()


def headers_of_scope(scope: MutableMapping[str, Any]) -> Headers:
    """``Headers(scope=scope)``: what ``WebSocketBase`` builds (``_headers_c.pxd``'s C-level twin)."""
    return Headers(scope=scope)

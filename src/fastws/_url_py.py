"""Pure-Python twin of ``fastws._url_c``: query strings, the Host header, ``QueryParams``, ``URL``.

Twin style: hand-written, as yarl does. ``_url_c.pyx`` defines the same public
names with the same behaviour and mirrors this file section by section; the
shared test suite runs every behaviour test on both, and hypothesis tests feed
both (and Starlette) the same input. ``parse_host_header`` and the URL of a
scope are Starlette's rules, kept once in ``fastws._shared``.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from operator import itemgetter
from typing import Any, TypeVar, overload
from urllib.parse import SplitResult, unquote, urlencode, urlsplit

from ._shared import URLMethods, parse_host_header, url_from_scope

__all__ = ["URL", "QueryParams", "parse_host_header", "parse_query"]

_T = TypeVar("_T")

# ---------------------------------------------------------------- query strings


def parse_query(qs: str) -> list[tuple[str, str]]:
    """``urllib.parse.parse_qsl(qs, keep_blank_values=True)``."""
    pairs: list[tuple[str, str]] = []
    for name_value in qs.split("&"):
        if not name_value:
            continue
        name, _eq, value = name_value.partition("=")
        if "+" in name:
            name = name.replace("+", " ")
        if "%" in name:
            name = unquote(name)
        if "+" in value:
            value = value.replace("+", " ")
        if "%" in value:
            value = unquote(value)
        pairs.append((name, value))
    return pairs


# ----------------------------------------------------------------- QueryParams


class QueryParams(Mapping[str, str]):
    """An immutable multidict of query parameters (last value wins)."""

    __slots__ = ("_dict", "_list")

    def __init__(self, *args: Mapping[Any, Any] | Iterable[tuple[Any, Any]] | str | bytes, **kwargs: Any) -> None:
        assert len(args) < 2, "Too many arguments."
        value: Any = args[0] if args else []
        if isinstance(value, str):
            items = parse_query(value)
        elif isinstance(value, bytes):
            items = parse_query(value.decode("latin-1"))
        elif not value:
            items = []
        elif hasattr(value, "multi_items"):
            items = list(value.multi_items())
        elif hasattr(value, "items"):
            items = list(value.items())
        else:
            items = list(value)
        if kwargs:
            items = items + list(kwargs.items())
        # Starlette keys its dict by the original keys, then makes them str:
        # keys equal as objects (1 and True) collapse before conversion.
        self._list = [(str(k), str(v)) for k, v in items]
        self._dict = {str(k): str(v) for k, v in dict(items).items()}

    def getlist(self, key: str) -> list[str]:
        return [item_value for item_key, item_value in self._list if item_key == key]

    @overload
    def get(self, key: str, default: None = None) -> str | None: ...
    @overload
    def get(self, key: str, default: str) -> str: ...
    @overload
    def get(self, key: str, default: _T) -> str | _T: ...
    def get(self, key: str, default: object = None) -> object:
        return self._dict.get(key, default)

    def keys(self) -> KeysView[str]:
        return self._dict.keys()

    def values(self) -> ValuesView[str]:
        return self._dict.values()

    def items(self) -> ItemsView[str, str]:
        return self._dict.items()

    def multi_items(self) -> list[tuple[str, str]]:
        return list(self._list)

    def __getitem__(self, key: str) -> str:
        return self._dict[key]

    def __contains__(self, key: object) -> bool:
        return key in self._dict

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict)

    def __len__(self) -> int:
        return len(self._dict)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, self.__class__):
            return False
        return sorted(self._list, key=itemgetter(0)) == sorted(other._list, key=itemgetter(0))

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return urlencode(self._list)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({str(self)!r})"


# ------------------------------------------------------------------------- URL


class URL(URLMethods, str):
    """A URL: a ``str`` that also exposes its parsed components."""

    __slots__ = ("_components",)

    _components: SplitResult
    _parse_query = staticmethod(parse_query)

    def __new__(cls, url: str = "", scope: Mapping[str, Any] | None = None, **components: Any) -> URL:
        if scope is not None:
            assert not url, 'Cannot set both "url" and "scope".'
            assert not components, 'Cannot set both "scope" and "**components".'
            url = url_from_scope(scope)
        elif components:
            assert not url, 'Cannot set both "url" and "**components".'
            url = URL("").replace(**components).components.geturl()
        return str.__new__(cls, url)

    @property
    def components(self) -> SplitResult:
        try:
            return self._components
        except AttributeError:
            self._components = urlsplit(str(self))
            return self._components

    @property
    def scheme(self) -> str:
        return self.components.scheme

    @property
    def netloc(self) -> str:
        return self.components.netloc

    @property
    def path(self) -> str:
        return self.components.path

    @property
    def query(self) -> str:
        return self.components.query

    @property
    def fragment(self) -> str:
        return self.components.fragment

    @property
    def username(self) -> str | None:
        return self.components.username

    @property
    def password(self) -> str | None:
        return self.components.password

    @property
    def hostname(self) -> str | None:
        return self.components.hostname

    @property
    def port(self) -> int | None:
        return self.components.port

    def __eq__(self, other: object) -> bool:
        return str.__eq__(str(self), str(other))

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = str.__hash__

    def __str__(self) -> str:
        return str.__str__(self)

    def __reduce__(self) -> tuple[type[URL], tuple[str]]:
        return (self.__class__, (str(self),))


# ------------------------------------------------------- for WebSocketBase
#
# What WebSocketBase builds for each connection: the pure twins of the C-level
# functions ``_url_c.pxd`` declares.


def url_of_scope(scope: Mapping[str, Any]) -> URL:
    """``URL(scope=scope)``."""
    return URL(scope=scope)


def query_params_of(query_string: str | bytes) -> QueryParams:
    """``QueryParams(query_string)``."""
    return QueryParams(query_string)

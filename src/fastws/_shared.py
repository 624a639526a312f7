"""Behaviour both twins share because it is not on a hot path.

The twin pairs ``_headers_c``/``_headers_py`` and ``_url_c``/``_url_py``
each define the hot classes ``Headers``, ``QueryParams`` and ``URL``; the
cold methods of those classes (mutation of a header copy, URL rewriting
helpers, ``URL``'s repr) live here once, as mixins, so the twins cannot
drift on them. So do Starlette's ``Host`` header rule (a regular
expression) and its URL of a connection scope: the pure twin's whole
implementation, and the compiled twin's path for whatever its fast paths
do not take. ``as_raw_headers`` is what ``WebSocketBase`` (either build) makes
of ``accept(headers=...)``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, SupportsIndex, TypeAlias, overload
from urllib.parse import SplitResult, urlencode

if TYPE_CHECKING:
    from typing import Self

    class _URLHost(str):
        """For checkers: what a ``URLMethods`` host class provides (it is a ``str``)."""

        @property
        def components(self) -> SplitResult: ...
        @property
        def scheme(self) -> str: ...
        @property
        def netloc(self) -> str: ...
        @property
        def query(self) -> str: ...
        @property
        def username(self) -> str | None: ...
        @property
        def password(self) -> str | None: ...
        @property
        def port(self) -> int | None: ...
        @staticmethod
        def _parse_query(qs: str) -> list[tuple[str, str]]: ...

    class _HeadersHost(Mapping[str, str]):
        """For checkers: what a ``MutableHeadersMethods`` host class provides (a ``Headers`` twin)."""

        _list: list[tuple[bytes, bytes]]

        def getlist(self, key: str) -> list[str]: ...
        def mutablecopy(self) -> Self: ...  # a MutableHeaders: Self, where the host is one

else:
    # At run time the mixins have no base: these stand for their host classes
    # only for type checkers.
    _URLHost = _HeadersHost = object

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def bracket_ipv6(host: str) -> str:
    """Put brackets around a bare IPv6 host, as a URL netloc needs."""
    if ":" in host and not host.startswith("["):
        return f"[{host}]"
    return host


# Starlette's rule: reject characters that could change the URL path or
# authority. Brackets hold an IPv6 address or an IPvFuture literal.
_HOST_RE = re.compile(
    r"^(?P<host>[a-z0-9._~%!$&'()*+,;=-]+|\[(?:(?P<ipv6>[a-f0-9]*:[a-f0-9.:]+)|"
    r"(?-i:v)[a-f0-9]+\.[a-z0-9._~!$&'()*+,;=:-]+)\])(?::(?P<port>[0-9]+))?$",
    re.IGNORECASE,
)


def parse_host_header(host_header: str | None) -> tuple[str, str | None] | None:
    """Split a ``Host`` header into ``(host, port)``; ``None`` when invalid.

    The port is ``None`` when absent; an out-of-range port makes the whole
    header invalid.
    """
    if host_header is None:
        return None
    match = _HOST_RE.fullmatch(host_header)
    if match is None:
        return None
    ipv6 = match["ipv6"]
    if ipv6 is not None:
        try:
            ipaddress.IPv6Address(ipv6)
        except ipaddress.AddressValueError:
            return None
    port = match["port"]
    if port is not None:
        digits = port.lstrip("0")
        if len(digits) > 5 or int(digits or "0") > 65535:
            return None
    return match["host"], port


def url_from_scope(scope: Mapping[str, Any]) -> str:
    """The URL string Starlette builds for a connection scope."""
    scheme = scope.get("scheme", "http")
    server = scope.get("server", None)
    path = scope["path"].replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")
    query_string = scope.get("query_string", b"")

    host_header = None
    for key, value in scope["headers"]:
        if key == b"host":
            host_header = value.decode("latin-1")
            break

    parsed = parse_host_header(host_header)
    if parsed is not None:
        host, port = parsed
        netloc = host if port is None else f"{host}:{port}"
    elif server is not None:
        host, port = server
        host = bracket_ipv6(host)
        netloc = host if port == DEFAULT_PORTS[scheme] else f"{host}:{port}"
    else:
        netloc = None

    query = query_string.decode()
    if netloc is not None:
        return SplitResult(scheme=scheme, netloc=netloc, path=path, query=query, fragment="").geturl()
    if path.startswith("//"):
        # Without a host, a leading `//` would be parsed as the authority.
        path = "/%2F" + path[2:]
    return f"{path}?{query}" if query else path


def _multi_update(pairs: list[tuple[str, str]], updates: dict[str, str]) -> list[tuple[str, str]]:
    """``MultiDict(pairs).update(updates).multi_items()`` from Starlette."""
    kept = [(k, v) for (k, v) in pairs if k not in updates]
    return kept + list(updates.items())


class URLMethods(_URLHost):
    """The URL rewriting helpers of ``starlette.datastructures.URL``.

    The host class provides ``components`` (a ``SplitResult``), the component
    properties, and a constructor taking a URL string.
    """

    __slots__ = ()

    @overload
    def replace(self, old: str, new: str, count: SupportsIndex = -1, /) -> str: ...
    @overload
    def replace(self, **components: Any) -> Self: ...
    def replace(self, *args: Any, **kwargs: Any) -> str | Self:
        """Return a copy with the given URL components replaced.

        ``URL`` is also a ``str``: called with positional arguments this is
        ``str.replace(old, new[, count])`` and returns a plain ``str``.
        """
        if args:
            return str.replace(str(self), *args, **kwargs)
        if "username" in kwargs or "password" in kwargs or "hostname" in kwargs or "port" in kwargs:
            hostname = kwargs.pop("hostname", None)
            port = kwargs.pop("port", self.port)
            username = kwargs.pop("username", self.username)
            password = kwargs.pop("password", self.password)

            if hostname is None:
                netloc = self.netloc
                _, _, hostname = netloc.rpartition("@")

                if hostname and hostname[-1] != "]":
                    hostname = hostname.rsplit(":", 1)[0]
            elif ":" in hostname and not hostname.startswith("["):
                try:
                    ipaddress.IPv6Address(hostname)
                except ValueError:
                    pass
                else:
                    hostname = f"[{hostname}]"

            netloc = hostname
            if port is not None:
                netloc += f":{port}"
            if username is not None:
                userpass = username
                if password is not None:
                    userpass += f":{password}"
                netloc = f"{userpass}@{netloc}"

            kwargs["netloc"] = netloc

        components = self.components._replace(**kwargs)
        return self.__class__(components.geturl())

    def include_query_params(self, **kwargs: Any) -> Self:
        """Return a copy with these query parameters set (others kept)."""
        params = self._query_pairs()
        updates = {str(key): str(value) for key, value in kwargs.items()}
        return self.replace(query=urlencode(_multi_update(params, updates)))

    def replace_query_params(self, **kwargs: Any) -> Self:
        """Return a copy whose query holds exactly these parameters."""
        query = urlencode([(str(key), str(value)) for key, value in kwargs.items()])
        return self.replace(query=query)

    def remove_query_params(self, keys: str | Sequence[str]) -> Self:
        """Return a copy without the given query parameters."""
        if isinstance(keys, str):
            keys = [keys]
        removed = set(keys)
        params = [(k, v) for (k, v) in self._query_pairs() if k not in removed]
        return self.replace(query=urlencode(params))

    def _query_pairs(self) -> list[tuple[str, str]]:
        # Starlette builds a MultiDict: the last value of a key wins its
        # place in the dict, but all values stay in the item list.
        return self._parse_query(self.query)

    @property
    def is_secure(self) -> bool:
        return self.scheme in ("https", "wss")

    def __repr__(self) -> str:
        url = str(self)
        if self.password:
            url = str(self.replace(password="********"))
        return f"{self.__class__.__name__}({url!r})"


class MutableHeadersMethods(_HeadersHost):
    """The mutating methods of ``starlette.datastructures.MutableHeaders``.

    The host class is a ``Headers`` twin whose ``_list`` holds the raw
    ``(bytes, bytes)`` pairs.
    """

    _list: list[tuple[bytes, bytes]]

    def __setitem__(self, key: str, value: str) -> None:
        """Set the header `key` to `value`, removing any duplicate entries."""
        set_key = key.lower().encode("latin-1")
        set_value = value.encode("latin-1")
        found = [idx for idx, (item_key, _) in enumerate(self._list) if item_key == set_key]
        for idx in reversed(found[1:]):
            del self._list[idx]
        if found:
            self._list[found[0]] = (set_key, set_value)
        else:
            self._list.append((set_key, set_value))

    def __delitem__(self, key: str) -> None:
        """Remove every header named `key`."""
        del_key = key.lower().encode("latin-1")
        self._list[:] = [(k, v) for (k, v) in self._list if k != del_key]

    def __ior__(self, other: Mapping[str, str]) -> Self:
        if not isinstance(other, Mapping):
            raise TypeError(f"Expected a mapping but got {other.__class__.__name__}")
        self.update(other)
        return self

    def __or__(self, other: Mapping[str, str]) -> Self:
        if not isinstance(other, Mapping):
            raise TypeError(f"Expected a mapping but got {other.__class__.__name__}")
        new = self.mutablecopy()
        new.update(other)
        return new

    @property
    def raw(self) -> list[tuple[bytes, bytes]]:
        return self._list

    def setdefault(self, key: str, value: str) -> str:
        """Set `key` to `value` unless present; return the header's value."""
        set_key = key.lower().encode("latin-1")
        set_value = value.encode("latin-1")
        for item_key, item_value in self._list:
            if item_key == set_key:
                return item_value.decode("latin-1")
        self._list.append((set_key, set_value))
        return value

    def update(self, other: Mapping[str, str]) -> None:
        for key, val in other.items():
            self[key] = val

    def append(self, key: str, value: str) -> None:
        """Append a header, preserving any duplicate entries."""
        self._list.append((key.lower().encode("latin-1"), value.encode("latin-1")))

    def add_vary_header(self, vary: str) -> None:
        self["vary"] = ", ".join([*self.getlist("vary"), vary])


AcceptHeaders: TypeAlias = Iterable[tuple[bytes, bytes]] | Mapping[str, str] | Mapping[bytes, bytes]
"""What ``accept(headers=...)`` takes: ASGI's ``(name, value)`` pairs, or a mapping."""


def as_raw_headers(headers: AcceptHeaders) -> Iterable[tuple[bytes, bytes]]:
    """Accept-headers as ASGI wants them: ``[(bytes, bytes), ...]``.

    Iterables of pairs pass through untouched (Starlette's behaviour); a
    mapping (what Starlette's documentation describes) is encoded as latin-1.
    """
    if not isinstance(headers, Mapping):
        return headers
    return [
        (
            key if isinstance(key, bytes) else str(key).lower().encode("latin-1"),
            value if isinstance(value, bytes) else str(value).encode("latin-1"),
        )
        for key, value in headers.items()
    ]

"""Bad or huge input to ``URL`` and the Host header never crashes, and both twins still agree with Starlette.

Megabyte hosts and paths, odd scopes and scope objects, and a fuzz loop of
random scopes (with headers) on both twins; every expectation is computed in
the same test from Starlette (or, for the fuzz loop, from the pure twin).
"""

from __future__ import annotations

import collections
import random
import types
from collections.abc import Callable, Iterator, Mapping
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl

import pytest
from starlette import datastructures as sd
from starlette._utils import parse_host_header as starlette_parse_host_header

from fastws import _headers, _url
from tests.helpers.twins import outcome

MB = 1_000_000

URL_ATTRS = ["scheme", "netloc", "path", "query", "fragment", "username", "password", "hostname", "port", "is_secure"]


def url_view(u: Any) -> dict[str, Any]:
    view = {name: outcome(lambda: getattr(u, name)) for name in URL_ATTRS}
    view["str"] = str(u)
    view["repr"] = outcome(lambda: repr(u))
    return view


def url_outcome(fn: Callable[[], Any]) -> tuple[str, Any]:
    result = outcome(fn)
    return ("ok", url_view(result[1])) if result[0] == "ok" else result


def scope(path: str = "/", host: bytes | None = None, query_string: bytes = b"", **extra: Any) -> dict[str, Any]:
    headers = [] if host is None else [(b"host", host)]
    return {
        "type": "websocket",
        "scheme": "ws",
        "path": path,
        "query_string": query_string,
        "headers": headers,
        **extra,
    }


# ------------------------------------------------------------------------- URL


@pytest.mark.parametrize(
    "host",
    [
        b"h" * MB,
        b"h" * MB + b":8000",
        b"h:" + b"9" * MB,
        b"[" + b"1:" * (MB // 2) + b"]",
        b"[v1." + b"x" * MB + b"]",
        b"\xff" * MB,
        b"[" * MB,
    ],
    ids=["regname", "regname-port", "huge-port", "ipv6-like", "ipvfuture", "latin1", "brackets"],
)
def test_megabyte_host_header(url_twin: ModuleType, host: bytes) -> None:
    for server in (None, ("10.0.0.1", 80)):
        s = scope(host=host, server=server)
        assert url_outcome(lambda: url_twin.URL(scope=s)) == url_outcome(lambda: sd.URL(scope=s))
    value = host.decode("latin-1")
    parsed = starlette_parse_host_header(value)
    expected = None if parsed is None or not parsed.is_valid_port else (parsed.host, parsed.port)
    got = url_twin.parse_host_header(value)
    assert (None if got is None else tuple(got)) == expected


@pytest.mark.parametrize(
    "path",
    [
        "/" + "a" * MB,
        "/" + "?#\\" * (MB // 3),
        "//" * (MB // 2),
        "\xe9\u20ac\U0001f600" * (MB // 3),
        " \t\n" * (MB // 3),
    ],
    ids=["plain", "escaped", "slashes", "non-ascii", "whitespace"],
)
def test_megabyte_path(url_twin: ModuleType, path: str) -> None:
    for host in (None, b"example.com"):
        for query_string in (b"", b"a=1&" * 1000):
            s = scope(path=path, host=host, query_string=query_string)
            assert url_outcome(lambda: url_twin.URL(scope=s)) == url_outcome(lambda: sd.URL(scope=s))


@pytest.mark.parametrize(
    "query_string", [b"\xff", b"a=\xc3", b"a=%ff&b=\xed\xa0\x80", b"\x80" * MB, b"ok=1&" * 10 + b"\xfe"], ids=repr
)
def test_non_utf8_query_string_raises_like_starlette(url_twin: ModuleType, query_string: bytes) -> None:
    for host in (None, b"h"):
        s = scope(host=host, query_string=query_string)
        expected = outcome(lambda: sd.URL(scope=s))
        assert expected == ("raises", UnicodeDecodeError)  # the premise
        assert outcome(lambda: url_twin.URL(scope=s)) == expected


ODD_SCOPES: dict[str, dict[str, Any]] = {
    "str query_string": scope(query_string="a=1"),  # type: ignore[arg-type]
    "None query_string": scope(query_string=None),  # type: ignore[arg-type]
    "bytearray query_string": scope(query_string=bytearray(b"a=1")),  # type: ignore[arg-type]
    "bytes path": scope(path=b"/p"),  # type: ignore[arg-type]
    "no path": {"type": "websocket", "headers": []},
    "no headers": {"type": "websocket", "path": "/"},
    "str host value": scope(host="h"),  # type: ignore[arg-type]
    "None host value": scope(host=None) | {"headers": [(b"host", None)]},
    "bytearray host value": scope() | {"headers": [(b"host", bytearray(b"h:1"))]},
    "list header items": scope() | {"headers": [[b"host", b"h"]]},
    "bytearray host key": scope() | {"headers": [(bytearray(b"host"), b"h")]},
    "str host key": scope() | {"headers": [("host", b"h")]},
    "three-tuple header": scope() | {"headers": [(b"host", b"h", b"x")]},
    "tuple headers": scope() | {"headers": ((b"host", b"h"),)},
    "server None host": scope(server=(None, 80)),
    "server bytes host": scope(server=(b"h", 80)),
    "server int host": scope(server=(1, 80)),
    "server str port": scope(server=("h", "80")),
    "server None port": scope(server=("h", None)),
    "server one-tuple": scope(server=("h",)),
    "server list": scope(server=["h", 81]),
    "unknown scheme with server": scope(server=("h", 80)) | {"scheme": "ftp"},
    "unknown scheme with host": scope(host=b"h") | {"scheme": "ftp"},
    "upper scheme with host": scope(host=b"h") | {"scheme": "WS"},
    "no scheme": {"type": "websocket", "path": "/", "headers": [(b"host", b"h")]},
}


@pytest.mark.parametrize("s", list(ODD_SCOPES.values()), ids=list(ODD_SCOPES))
def test_odd_scopes_behave_like_starlette(url_twin: ModuleType, s: dict[str, Any]) -> None:
    assert url_outcome(lambda: url_twin.URL(scope=dict(s))) == url_outcome(lambda: sd.URL(scope=dict(s)))


# Regression (found by this suite, fixed in src): compiled URL(scope=...) types path as `cdef str`:
# scope['path'] = None or 5 raises TypeError; Starlette and the pure twin raise AttributeError (no attribute
# 'replace')
@pytest.mark.parametrize("path", [None, 5], ids=["None", "int"])
def test_non_str_path_raises_like_starlette(url_twin: ModuleType, path: Any) -> None:
    s = scope(path=path)
    assert outcome(lambda: url_twin.URL(scope=dict(s))) == outcome(lambda: sd.URL(scope=dict(s)))


# Regression (found by this suite, fixed in src): Host header whose port has more than 4300 digits (valid:
# leading zeros, e.g. 'h:' + '0' * 4299 + '80'): Starlette builds the URL and its .port raises ValueError (int
# max str digits); the compiled twin precomputes the port natively and returns 80 (the build of 9243ec0 raised
# ValueError from URL(scope=...))
@pytest.mark.parametrize("zeros", [4299, 10_000, MB])
def test_host_header_port_with_thousands_of_leading_zeros(url_twin: ModuleType, zeros: int) -> None:
    s = scope(host=b"h:" + b"0" * zeros + b"80")
    expected = url_outcome(lambda: sd.URL(scope=s))
    assert expected[0] == "ok"  # the premise: Starlette accepts the header
    assert url_outcome(lambda: url_twin.URL(scope=s)) == expected


class _MappingScope(Mapping[str, Any]):
    """A read-only Mapping scope (not a dict)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


class _OwnGetScope(_MappingScope):
    """A Mapping whose ``get`` answers differently from ``__getitem__``."""

    def get(self, key: str, default: Any = None) -> Any:
        return "wss" if key == "scheme" else self._data.get(key, default)


class _GetItemOnlyScope:
    """Only what Starlette uses: ``get`` and ``__getitem__``."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self._data[key]


def _base_scope() -> dict[str, Any]:
    return scope(path="/p", host=b"Example.com:8080", query_string=b"a=1&b=2")


@pytest.mark.parametrize(
    "make",
    [types.MappingProxyType, _MappingScope, collections.OrderedDict],
    ids=["mappingproxy", "Mapping", "OrderedDict"],
)
def test_non_dict_scopes_behave_like_starlette(url_twin: ModuleType, make: Callable[[Any], Any]) -> None:
    s = make(_base_scope())
    assert url_outcome(lambda: url_twin.URL(scope=s)) == url_outcome(lambda: sd.URL(scope=s))


def _defaultdict_without_path() -> Any:
    data = _base_scope()
    del data["path"]
    return collections.defaultdict(lambda: "/from-missing", data)


# Regression: the compiled twin once copied non-dict scopes with dict(scope).
@pytest.mark.parametrize(
    "make",
    [lambda: _OwnGetScope(_base_scope()), _defaultdict_without_path, lambda: _GetItemOnlyScope(_base_scope())],
    ids=["own-get", "defaultdict-missing", "get-getitem-only"],
)
def test_scope_objects_read_like_starlette(url_twin: ModuleType, make: Callable[[], Any]) -> None:
    expected = url_outcome(lambda: sd.URL(scope=make()))
    assert expected[0] == "ok"  # the premise: Starlette reads these scopes
    assert url_outcome(lambda: url_twin.URL(scope=make())) == expected


# ------------------------------------------------------------------ fuzz loop

INTERESTING = b"%+&=?#\\/:[]@. \t\r\nvV0123456789abcdefABCDEF\x00\x7f\x80\xc3\xa9\xe2\x82\xac\xed\xa0\x80\xff"


def _random_bytes(rng: random.Random, max_len: int = 40) -> bytes:
    n = rng.randrange(max_len)
    if rng.random() < 0.5:
        return bytes(rng.choice(INTERESTING) for _ in range(n))
    return bytes(rng.randrange(256) for _ in range(n))


HOST_SEEDS = [
    b"example.com",
    b"Example.COM:8080",
    b"[::1]:80",
    b"[fe80::1:2]",
    b"[v1.x]",
    b"10.0.0.1:0080",
    b"a%41:65535",
]


def _mutated(rng: random.Random, seed: bytes) -> bytes:
    """``seed`` with up to three random byte insertions, deletions or replacements."""
    out = bytearray(seed)
    for _ in range(rng.randrange(4)):
        pos = rng.randrange(len(out) + 1)
        byte = rng.choice(INTERESTING) if rng.random() < 0.7 else rng.randrange(256)
        edit = rng.randrange(3)
        if edit == 0 or pos == len(out):
            out.insert(pos, byte)
        elif edit == 1:
            del out[pos]
        else:
            out[pos] = byte
    return bytes(out)


def _host_bytes(rng: random.Random) -> bytes:
    return _mutated(rng, rng.choice(HOST_SEEDS)) if rng.random() < 0.7 else _random_bytes(rng, 24)


def _headers_probe(mod: Any, raw: list[tuple[bytes, bytes]], names: list[str]) -> Any:
    h = mod.Headers(raw=list(raw))
    return [outcome(lambda: (h.get(n), h.getlist(n), n in h)) for n in names] + [h.items(), repr(h), len(h)]


@pytest.mark.compiled
@pytest.mark.skipif(_url.COMPILED is None or _headers.COMPILED is None, reason="compiled twins not live")
def test_random_bytes_fuzz_compiled_equals_pure() -> None:
    compiled, pure = _url.COMPILED, _url.PURE
    compiled_headers, pure_headers = _headers.COMPILED, _headers.PURE
    rng = random.Random(20240517)
    for _ in range(2000):
        data = _random_bytes(rng)
        for text in (data.decode("latin-1"), data.decode("utf-8", "surrogateescape")):
            assert outcome(lambda: compiled.parse_query(text)) == outcome(lambda: pure.parse_query(text)), text
            assert outcome(lambda: compiled.parse_query(text)) == outcome(
                lambda: parse_qsl(text, keep_blank_values=True)
            ), text
        for text in (data.decode("latin-1"), _host_bytes(rng).decode("latin-1")):
            got = outcome(lambda: compiled.parse_host_header(text))
            assert got == outcome(lambda: pure.parse_host_header(text)), text
            parsed = starlette_parse_host_header(text)
            expected = None if parsed is None or not parsed.is_valid_port else (parsed.host, parsed.port)
            assert got == ("ok", expected), text
        assert outcome(lambda: compiled.QueryParams(data).multi_items()) == outcome(
            lambda: pure.QueryParams(data).multi_items()
        ), data

        raw = [(_random_bytes(rng, 8), _random_bytes(rng)) for _ in range(rng.randrange(5))]
        if raw and rng.random() < 0.5:
            raw.append((raw[0][0], data))
        names = [k.decode("latin-1").upper() for k, _ in raw[:2]] + [data.decode("latin-1")[:6], "host"]
        assert _headers_probe(compiled_headers, raw, names) == _headers_probe(pure_headers, raw, names), raw

        s: dict[str, Any] = {
            "type": "websocket",
            "scheme": rng.choice(["ws", "wss", "http", "https"]),
            "path": rng.choice(["", "/", "/a/b"]) + _random_bytes(rng).decode("utf-8", "replace"),
            "query_string": _random_bytes(rng) if rng.random() < 0.3 else _random_bytes(rng).decode("latin-1").encode(),
            "headers": raw + ([(b"host", _host_bytes(rng))] if rng.random() < 0.7 else []),
        }
        if rng.random() < 0.5:
            s["server"] = (rng.choice(["1.2.3.4", "::1", "h", "", "caf\xe9"]), rng.choice([80, 443, 8080]))
        ours = url_outcome(lambda: compiled.URL(scope=s))
        assert ours == url_outcome(lambda: pure.URL(scope=s)), s
        assert ours == url_outcome(lambda: sd.URL(scope=s)), s


# Regression (found by fuzz/fuzz_twins.py): the compiled twin typed these
# arguments as exact str and rejected str subclasses with TypeError.
class _Text(str):
    pass


def test_str_subclass_hosts_behave_like_starlette(url_twin: ModuleType) -> None:
    assert url_twin.parse_host_header(_Text("a:1")) == ("a", "1")
    scope = {"type": "websocket", "scheme": "ws", "server": (_Text("h"), 80), "headers": [], "path": "/"}
    assert url_outcome(lambda: url_twin.URL(scope=scope)) == url_outcome(lambda: sd.URL(scope=scope))
    scope["server"] = (None, 80)
    assert url_outcome(lambda: url_twin.URL(scope=scope)) == url_outcome(lambda: sd.URL(scope=scope))

"""Bad or huge input never crashes, and both twins still agree with Starlette.

Every expectation is computed in the same test from Starlette or the stdlib
(or, for the fuzz loop, from the pure twin).
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


def headers_view(h: Any, names: list[Any]) -> dict[str, Any]:
    view: dict[str, Any] = {
        "keys": outcome(h.keys),
        "values": outcome(h.values),
        "items": outcome(h.items),
        "iter": outcome(lambda: list(h)),
        "len": outcome(lambda: len(h)),
        "repr": outcome(lambda: repr(h)),
        "raw": outcome(lambda: h.raw),
        "mutablecopy raw": outcome(lambda: h.mutablecopy().raw),
    }
    for name in names:
        view[f"getlist {name!r}"] = outcome(lambda: h.getlist(name))
        view[f"get {name!r}"] = outcome(lambda: h.get(name))
        view[f"getitem {name!r}"] = outcome(lambda: h[name])
        view[f"contains {name!r}"] = outcome(lambda: name in h)
    return view


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


# --------------------------------------------------------------------- Headers


def test_megabyte_header_values(headers_twin: ModuleType) -> None:
    big = b"v" * MB
    high = bytes(range(256)) * (MB // 256)
    raw = [(b"x-big", big), (b"host", b"example.com"), (b"x-high", high), (b"x-big", b"small"), (b"x" * MB, b"k")]
    names = ["x-big", "X-BIG", "host", "x-high", "x" * MB, "X" * MB, "missing"]
    assert headers_view(headers_twin.Headers(raw=list(raw)), names) == headers_view(sd.Headers(raw=list(raw)), names)
    h = headers_twin.Headers(raw=list(raw))
    assert h["x-big"] == big.decode("latin-1")
    assert h["x-high"] == high.decode("latin-1")
    assert h.getlist("x-big") == [big.decode("latin-1"), "small"]


def test_ten_thousand_headers(headers_twin: ModuleType) -> None:
    raw = [(f"x-header-{i}".encode(), f"value-{i}".encode()) for i in range(10_000)]
    raw += [(b"x-dup", str(i).encode()) for i in range(100)]
    names = ["x-header-0", "X-Header-9999", "x-header-5000", "x-dup", "missing"]
    ours, theirs = headers_twin.Headers(raw=list(raw)), sd.Headers(raw=list(raw))
    assert headers_view(ours, names) == headers_view(theirs, names)
    assert ours["X-HEADER-9999"] == "value-9999"
    assert len(ours.getlist("x-dup")) == 100
    assert ours == headers_twin.Headers(raw=raw[::-1])


def test_ten_thousand_headers_via_scope(headers_twin: ModuleType) -> None:
    raw = (*tuple((f"k{i}".encode(), b"v") for i in range(10000)), (b"host", b"h" * MB))
    ours = headers_twin.Headers(scope={"headers": raw})
    theirs = sd.Headers(scope={"headers": raw})
    assert ours.raw == theirs.raw
    assert ours["host"] == theirs["host"]


ODD_HEADER_LISTS: dict[str, list[Any]] = {
    "lists instead of tuples": [[b"host", b"h"], [b"a", b"1"], [b"A", b"2"]],
    "bytearray keys": [(bytearray(b"host"), b"h"), (bytearray(b"a"), b"1")],
    "bytearray values": [(b"host", bytearray(b"h")), (b"a", bytearray(b"\xff"))],
    "memoryview values": [(b"a", memoryview(b"1"))],
    "str values": [(b"host", "h"), (b"a", "1")],
    "str keys": [("host", b"h"), ("a", b"1")],
    "str keys and values": [("host", "h")],
    "three-tuples": [(b"a", b"1", b"x")],
    "one-tuples": [(b"a",)],
    "None item": [(b"a", b"1"), None],
    "None value": [(b"a", None)],
    "int key": [(1, b"1")],
    "bytes item": [b"ab"],
    "str item": ["ab"],
    "mixed good and bad": [(b"a", b"1"), [b"b", b"2"], (bytearray(b"c"), "3"), (b"d", b"4", b"!")],
}
ODD_NAMES: list[Any] = ["a", "A", "b", "c", "d", "host", "missing", "", "\u20ac", 3, None, b"a"]


@pytest.mark.parametrize("raw", list(ODD_HEADER_LISTS.values()), ids=list(ODD_HEADER_LISTS))
def test_odd_header_lists_behave_like_starlette(headers_twin: ModuleType, raw: list[Any]) -> None:
    expected = headers_view(sd.Headers(raw=list(raw)), ODD_NAMES)
    assert headers_view(headers_twin.Headers(raw=list(raw)), ODD_NAMES) == expected
    scoped = {"headers": list(raw)}
    assert headers_view(headers_twin.Headers(scope=scoped), ODD_NAMES) == headers_view(
        sd.Headers(scope={"headers": list(raw)}), ODD_NAMES
    )


@pytest.mark.parametrize(
    "mapping",
    [{"A": "b"}, {"\xe9": "\xff"}, {"\u20ac": "x"}, {"a": "\u20ac"}, {1: "x"}, {"a": 1}, {"a": None}],
    ids=repr,
)
def test_odd_header_mappings_behave_like_starlette(headers_twin: ModuleType, mapping: dict[Any, Any]) -> None:
    theirs = outcome(lambda: headers_view(sd.Headers(headers=mapping), ODD_NAMES))
    ours = outcome(lambda: headers_view(headers_twin.Headers(headers=mapping), ODD_NAMES))
    assert ours == theirs


# Regression (found by this suite, fixed in src): compiled Headers stores raw in a `cdef public list`:
# Headers(raw=((b'a', b'b'),)) raises TypeError('Expected list, got tuple'); Starlette (and the pure twin)
# accept any sequence
@pytest.mark.parametrize("make_raw", [tuple, lambda pairs: (p for p in pairs)], ids=["tuple", "generator"])
def test_non_list_raw_behaves_like_starlette(headers_twin: ModuleType, make_raw: Callable[[Any], Any]) -> None:
    pairs = [(b"host", b"h"), (b"a", b"1"), (b"a", b"2")]
    expected = headers_view(sd.Headers(raw=make_raw(pairs)), ODD_NAMES)
    assert outcome(lambda: headers_view(headers_twin.Headers(raw=make_raw(pairs)), ODD_NAMES)) == ("ok", expected)


# ----------------------------------------------------------------- QueryParams


def test_megabyte_query_string_with_100k_params(url_twin: ModuleType) -> None:
    qs = "&".join(f"k{i % 1000}=v%20{i}+x" for i in range(100_000))
    assert len(qs) > MB
    assert url_twin.parse_query(qs) == parse_qsl(qs, keep_blank_values=True)
    ours, theirs = url_twin.QueryParams(qs), sd.QueryParams(qs)
    assert ours.multi_items() == theirs.multi_items()
    assert list(ours.items()) == list(theirs.items())
    assert ours.getlist("k999") == theirs.getlist("k999")
    assert str(ours) == str(theirs)
    raw = qs.encode("latin-1")
    assert url_twin.QueryParams(raw).multi_items() == sd.QueryParams(raw).multi_items()


def test_megabyte_single_values(url_twin: ModuleType) -> None:
    values = ["a=" + "x" * MB, "%41" * (MB // 3), "+" * MB, "&" * MB, "=" * MB, "%" * MB, "\xe9" * MB]
    for qs in [*values, "%C3%A9" * 200_000]:
        assert url_twin.parse_query(qs) == parse_qsl(qs, keep_blank_values=True)
        assert url_twin.QueryParams(qs).multi_items() == sd.QueryParams(qs).multi_items()


def test_query_names_and_values_around_buffer_sizes(url_twin: ModuleType) -> None:
    pieces = ["a", "%41", "+", "%C3%A9", "%", "%4", "%zz", "%e2%82%ac"]
    rng = random.Random(7)
    for size in [*range(240, 275), 500, 511, 512, 513, 1023, 1024, 1025, 4096, 65537]:
        for _ in range(3):
            text = ""
            while len(text) < size:
                text += rng.choice(pieces)
            text = text[:size]
            for qs in (text, f"{text}={text}", f"k={text}&{text}&=x", text.replace("%", "&")):
                assert url_twin.parse_query(qs) == parse_qsl(qs, keep_blank_values=True)
                raw = qs.encode("latin-1")
                ours, theirs = url_twin.QueryParams(raw), sd.QueryParams(raw)
                assert (ours.multi_items(), list(ours.items())) == (theirs.multi_items(), list(theirs.items()))


@pytest.mark.parametrize("value", [b"a=1", bytearray(b"a=1")], ids=["bytes", "bytearray"])
def test_parse_query_bytes_twins_agree(url_twin: ModuleType, value: Any) -> None:
    assert outcome(lambda: url_twin.parse_query(value)) == outcome(lambda: _url.PURE.parse_query(value))


# Regression (found by this suite, fixed in src): parse_query on None/int/list: the compiled twin raises
# TypeError (typed `str qs not None`), the pure twin AttributeError (qs.split); e.g. parse_query(None) or
# parse_query(5)
@pytest.mark.parametrize("value", [None, 5, ["a=1"]], ids=["None", "int", "list"])
def test_parse_query_odd_types_twins_agree(url_twin: ModuleType, value: Any) -> None:
    assert outcome(lambda: url_twin.parse_query(value)) == outcome(lambda: _url.PURE.parse_query(value))


# Regression (found by this suite, fixed in src): colliding non-str keys (True/1, 1/1.0): Starlette builds
# its dict from the original keys and only then str()s them.
@pytest.mark.parametrize(
    "items", [[(True, "a"), (1, "b")], [(1, "a"), (1.0, "b")], [(0, "a"), (False, "b"), (0.0, "c")]], ids=repr
)
def test_query_params_colliding_non_str_keys(url_twin: ModuleType, items: list[tuple[Any, str]]) -> None:
    ours, theirs = url_twin.QueryParams(items), sd.QueryParams(items)
    assert ours.multi_items() == theirs.multi_items()
    assert list(ours.items()) == list(theirs.items())
    assert len(ours) == len(theirs)


@pytest.mark.parametrize(
    "args",
    [
        ([("a", 1), (2, None)],),
        ({"a": 1, 2: b"x"},),
        ([],),
        ("",),
        (b"",),
        (None,),
        (0,),
        ([("a", "b", "c")],),
        ([("a",)],),
        (["ab"],),
        (5,),
        (sd.QueryParams("a=1&a=2"),),
        (sd.MultiDict([("a", "1"), ("a", "2")]),),
    ],
    ids=repr,
)
def test_query_params_odd_inputs_behave_like_starlette(url_twin: ModuleType, args: tuple[Any, ...]) -> None:
    def view(cls: Any, **kwargs: Any) -> Any:
        q = cls(*args, **kwargs)
        return (q.multi_items(), list(q.items()), str(q), repr(q), len(q))

    assert outcome(lambda: view(url_twin.QueryParams)) == outcome(lambda: view(sd.QueryParams))
    assert outcome(lambda: view(url_twin.QueryParams, z="1", a=2)) == outcome(lambda: view(sd.QueryParams, z="1", a=2))


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

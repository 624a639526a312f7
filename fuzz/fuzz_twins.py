#!/usr/bin/env python3
"""Differential fuzzer: fastws' compiled twins vs their pure twins.

The twin pairs ``fastws._json_c``/``_json_py``, ``_url_c``/``_url_py``,
``_headers_c``/``_headers_py``, ``_websocket_base_c``/``_websocket_base_py``,
``_protocol_core_c``/``_protocol_core_py``,
``fastws.wire._handshake_c``/``_handshake_py`` and the broadcast hub's
``_message_c``/``_message_py`` and ``_targets_c``/``_targets_py``, and
``_socket_transport_c``/``_socket_transport_py`` (over real socket pairs);
each side is gathered into one namespace (``COMPILED``, ``PURE``) so a target
calls ``m.parse_query``, ``m.Headers``, ``m.WebSocketBase`` alike.

How to run (from the repo root, with the package built in place)::

    pip install atheris
    python fuzz/fuzz_twins.py -max_total_time=300            # libFuzzer flags
    python fuzz/fuzz_twins.py fuzz/corpus -max_total_time=300 # keep a corpus
    python fuzz/fuzz_twins.py fuzz/regressions/*              # replay saved inputs
    python fuzz/fuzz_twins.py --stress 200000 --seed 1        # no atheris:
        # a seeded random loop over every target (add --target NAME for one;
        # run it under ``python -X dev`` for the debug allocator and faulthandler)

Each fuzz input is decoded (first byte: the target) into query strings, Host
headers, ASGI scopes, header lists, JSON values, JSON text or raw doubles.
Every call is made on both twins; the outcome is ``("ok", value)`` or
``("err", exception type name)``, and any difference raises AssertionError
(libFuzzer then writes ``crash-*`` with the input). A segfault or abort in
the compiled module kills the process; libFuzzer also writes the input then.

Coverage: ``atheris.instrument_imports`` instruments the Python twin (and a
few stdlib functions both twins go through are instrumented with
``instrument_func``). The compiled extension itself is not instrumented:
that needs clang's ``-fsanitize=fuzzer-no-link`` and the atheris runtime
built from source; its paths are steered only by the Python-side coverage
and by the structure-aware input builders below.

Without atheris, ``python fuzz/fuzz_twins.py`` falls back to the seeded
random/mutational loop (``--stress``).
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import enum
import itertools
import math
import random
import socket
import struct
import sys
import time
from collections.abc import Callable, Mapping
from types import ModuleType, SimpleNamespace
from typing import Any

import uvloop

try:
    if "--stress" in sys.argv:
        raise ImportError("the seeded loop runs the modules uninstrumented")
    import atheris
except ImportError:  # fall back to the seeded random loop
    atheris = None

if atheris is not None:
    with atheris.instrument_imports(include=["fastws"]):
        from fastws import (
            _headers_c,
            _headers_py,
            _json_c,
            _json_py,
            _protocol_core_c,
            _protocol_core_py,
            _socket_transport_c,
            _socket_transport_py,
            _url_c,
            _url_py,
            _websocket_base_c,
            _websocket_base_py,
        )
        from fastws.broadcast import _message_c, _message_py, _targets_c, _targets_py
        from fastws.wire import _handshake_c, _handshake_py
    import json
    import urllib.parse

    for _owner, _names in (
        (
            urllib.parse,
            ("urlsplit", "urlunsplit", "unquote", "unquote_to_bytes", "_splitnetloc", "_check_bracketed_host"),
        ),
        (json.decoder.JSONDecoder, ("decode", "raw_decode")),
        (json.encoder.JSONEncoder, ("encode", "iterencode")),
    ):
        for _name in _names:
            try:
                setattr(_owner, _name, atheris.instrument_func(getattr(_owner, _name)))
            except Exception:
                pass
else:
    from fastws import (
        _headers_c,
        _headers_py,
        _json_c,
        _json_py,
        _protocol_core_c,
        _protocol_core_py,
        _socket_transport_c,
        _socket_transport_py,
        _url_c,
        _url_py,
        _websocket_base_c,
        _websocket_base_py,
    )
    from fastws.broadcast import _message_c, _message_py, _targets_c, _targets_py
    from fastws.wire import _handshake_c, _handshake_py


def _side(*modules: ModuleType) -> Any:
    """One namespace with the public names of ``modules`` (one side of every pair)."""
    return SimpleNamespace(**{name: getattr(m, name) for m in modules for name in m.__all__})


_COMPILED_MODULES = (
    _headers_c, _json_c, _url_c, _websocket_base_c, _handshake_c, _protocol_core_c, _message_c, _targets_c,
    _socket_transport_c,
)  # fmt: skip
COMPILED = _side(*_COMPILED_MODULES)
PURE = _side(
    _headers_py, _json_py, _url_py, _websocket_base_py, _handshake_py, _protocol_core_py, _message_py, _targets_py,
    _socket_transport_py,
)  # fmt: skip
for _module in _COMPILED_MODULES:
    assert _module.__file__ is not None and _module.__file__.endswith(".so"), _module.__file__


# ------------------------------------------------------------ input decoding


class Src:
    """Reads decisions from the fuzz input; zeros once it is used up."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def left(self) -> int:
        return len(self.data) - self.pos

    def u8(self) -> int:
        if self.pos >= len(self.data):
            return 0
        self.pos += 1
        return self.data[self.pos - 1]

    def u16(self) -> int:
        return self.u8() | (self.u8() << 8)

    def below(self, n: int) -> int:
        if n <= 1:
            return 0
        if n <= 256:
            return self.u8() % n
        return self.u16() % n

    def chance(self, per256: int) -> bool:
        return self.u8() < per256

    def pick(self, seq: Any) -> Any:
        return seq[self.below(len(seq))]

    def take(self, n: int) -> bytes:
        chunk = self.data[self.pos : self.pos + n]
        self.pos += len(chunk)
        return chunk

    def raw_bytes(self, limit: int) -> bytes:
        return self.take(self.below(limit + 1))

    def double(self) -> float:
        return struct.unpack("<d", self.take(8).ljust(8, b"\0"))[0]


# fmt: off
QUERY_TOKENS = [
    "a", "b", "k", "K", "x1", "&", "&", "=", "=", "==", "%", "%2", "%41", "%4a", "%zz", "%25", "%26", "%3D",
    "%2B", "%C3%A9", "%c3", "%A9", "%ff", "%E2%82%AC", "%F0%9F%98%80", "%ED%A0%80", "%00", "+", "++", " ", "é",
    "\xff", "€", "\U0001F600", "\ud800", "\udfff", "\x00", "\t", "\n", "#", "?", ";", "\\", "/", "~", "0", "9",
]
HOST_TOKENS = [
    "a", "B", "z", "x.y", "example.com", "LOCALHOST", "0", "1", "9", "127.0.0.1", ".", "-", "_", "~", "%", "%25",
    "!", "$", "&", "'", "(", ")", "*", "+", ",", ";", "=", ":", ":", "::", "::1", "[", "]", "[::1]", "[::]",
    "[fe80::1%25eth0]", "[v1.a]", "[V1.a]", "[v.x]", "v", "ffff", "1:2:3:4:5:6:7:8", "::ffff:1.2.3.4", "65535",
    "65536", "0000080", "080", "99999", "123456", "80", "443", "@", "u:p@", "/", "?", "#", "\\", " ", "\t", "\x00",
    "é", "\xff", "\u212a", "\u0130", "\uff21", "\u0661", "\U0001F600", "\ud800",
]
PATH_TOKENS = [
    "/", "/", "//", "a", "B", "?", "#", "\\", "%", "%2F", "%3F", "..", ".", ":", "@", "[", "]", ";", "=", "&",
    " ", "\t", "\r", "\n", "\x00", "\x7f", "é", "€", "\U0001F600", "\ud800", "http:", "//x", "~", "+",
]
JSON_TOKENS = [
    "{", "}", "[", "]", "\"", "\"", ":", ",", " ", "\t", "\n", "\r", "\x0b", "\x0c", "\xa0", "\u2028", "\ufeff",
    "true", "false", "null", "NaN", "Infinity", "-Infinity", "nan", "0", "1", "-", "-0", "01", "1.5", "1e400",
    "-1e-400", "1E+2", ".5", "5.", "123456789012345678901234567890", "\"a\"", "\"k\":", "\\", "\\n", "\\u",
    "\\u0041", "\\ud800", "\\udc00", "\\ud83d\\ude00", "\\x", "\\\"", "é", "\x00", "\x1f", "\ud800", "\U0001F600",
]
TEXT_TOKENS = [
    *QUERY_TOKENS,
    "\x01", "\x1f", "\x7f", "\x80", "\x9f", "\"", "\\", "\b", "\f", "\r", "\u2028", "\ufeff", "\ufffd", "\u0100",
    "\uffff", "\U0010ffff", "\udbff\udfff", "\udc00\ud800", "\ud83d\ude00",
]
# fmt: on


def text_from(src: Src, tokens: list[str], limit: int = 24) -> str:
    mode = src.below(8)
    if mode == 0:  # raw code points, any plane, surrogates included
        out = []
        for _ in range(src.below(limit + 1)):
            kind = src.below(4)
            if kind == 0:
                out.append(chr(src.u8() & 0x7F))
            elif kind == 1:
                out.append(chr(src.u8()))
            elif kind == 2:
                out.append(chr(src.u16()))
            else:
                out.append(chr((src.u16() | (src.u8() << 16)) % 0x110000))
        return "".join(out)
    if mode == 1:  # raw bytes read as latin-1 (every byte a character)
        return src.raw_bytes(limit).decode("latin-1")
    if mode == 2:  # raw bytes read as UTF-8 where they are
        return src.raw_bytes(limit).decode("utf-8", "surrogateescape")
    return "".join(src.pick(tokens) for _ in range(src.below(limit + 1)))


def to_bytes(src: Src, text: str) -> bytes:
    how = src.below(3)
    if how == 0:
        return text.encode("latin-1", "replace")
    if how == 1:
        return text.encode("utf-8", "surrogatepass")
    return text.encode("ascii", "ignore")


class StrSub(str):
    pass


class BytesSub(bytes):
    pass


class IntSub(int):
    pass


class FloatSub(float):
    pass


class Color(enum.IntEnum):
    RED = 1


class ListSub(list):
    pass


class DictSub(dict):
    pass


def make_float(src: Src) -> float:
    mode = src.below(8)
    if mode == 0:
        return src.double()
    if mode == 1:
        return src.pick(
            [
                0.0,
                -0.0,
                math.nan,
                -math.nan,
                math.inf,
                -math.inf,
                1e-4,
                9007199254740992.0,
                9007199254740991.0,
                1e15,
                1e16,
                1e22,
                1e23,
                5e-324,
                1.7976931348623157e308,
                0.1,
                0.3,
            ]
        )
    if mode == 2:  # a short decimal, then maybe a few ulps away
        digits = src.below(10 ** src.below(18)) if src.chance(200) else src.u16()
        d = float(f"{digits}e{src.below(30) - 12}")
        for _ in range(src.below(3)):
            d = math.nextafter(d, math.inf if src.chance(128) else -math.inf)
        return -d if src.chance(64) else d
    if mode == 3:  # the fast path's range [1e-4, 2**53), exponent picked, mantissa raw
        e = src.below(1076 - 1009) + 1009  # biased exponents of 2**-14 .. 2**53
        bits = (e << 52) | (int.from_bytes(src.take(7).ljust(7, b"\0"), "little") & ((1 << 52) - 1))
        return struct.unpack("<d", struct.pack("<Q", bits))[0]
    if mode == 4:
        return src.u16() / (src.u8() or 1) * 10.0 ** (src.below(40) - 20)
    if mode == 5:
        return float(src.u16()) + src.u8() / 256
    return src.double()


def make_int(src: Src) -> int:
    mode = src.below(6)
    if mode == 0:
        return src.u8() - 128
    if mode == 1:
        return src.pick([0, -1, 2**63 - 1, -(2**63), 2**63, -(2**63) - 1, 2**64, -(2**64), 2**53 + 1])
    if mode == 2:
        return int.from_bytes(src.take(8), "little", signed=True)
    if mode == 3:
        return int.from_bytes(src.take(src.below(40)), "little", signed=True)
    if mode == 4:  # past int_max_str_digits sometimes: ValueError from both
        return (-1 if src.chance(128) else 1) * 10 ** (src.below(4400))
    return src.u16()


def make_key(src: Src) -> Any:
    kind = src.below(16)
    if kind < 9:
        return text_from(src, TEXT_TOKENS, 8)
    if kind == 9:
        return make_int(src)
    if kind == 10:
        return make_float(src)
    if kind == 11:
        return src.pick([True, False, None])
    if kind == 12:
        return StrSub(text_from(src, TEXT_TOKENS, 6))
    if kind == 13:
        return src.pick([(1,), b"k", frozenset(), Color.RED, IntSub(5), FloatSub(2.5)])
    return src.pick(["", "a", "é", "\ud800", "\x00"])


def make_json(src: Src, depth: int) -> Any:
    kind = src.below(24 if depth < 12 else 14)
    if kind == 0:
        return None
    if kind == 1:
        return src.chance(128)
    if kind in (2, 3):
        return make_int(src)
    if kind in (4, 5):
        return make_float(src)
    if kind in (6, 7, 8, 9):
        return text_from(src, TEXT_TOKENS, 40)
    if kind == 10:  # long strings (chunking, heap growth)
        return text_from(src, TEXT_TOKENS, 8) * (src.u16() % 3000)
    if kind == 11:
        return src.pick(
            [
                StrSub("s\u00e9"),
                IntSub(7),
                FloatSub(math.nan),
                Color.RED,
                True,
                b"x",
                {1, 2},
                ListSub([1]),
                DictSub(a=1),
                bytearray(b"a"),
                object(),
                1j,
            ]
        )
    if kind == 12:  # deep nesting around the native encoder's depth limit and beyond
        n = src.pick([190, 199, 200, 201, 250, 900, 1100, 3000, 30000])
        value: Any = make_json(src, 99)
        for _ in range(n):
            value = [value] if src.chance(200) else {"k": value}
        return value
    if kind == 13:  # circular
        lst: list[Any] = [1]
        lst.append(lst if src.chance(128) else {"x": lst})
        return lst
    n = src.below(6)
    if kind in (14, 15, 16, 17):
        return [make_json(src, depth + 1) for _ in range(n)]
    if kind in (18, 19):
        return tuple(make_json(src, depth + 1) for _ in range(n))
    out: dict[Any, Any] = {}
    for _ in range(n):
        try:
            out[make_key(src)] = make_json(src, depth + 1)
        except TypeError:  # an unhashable key
            pass
    return out


# ------------------------------------------------------------- comparison


class Mismatch(AssertionError):
    pass


def canon(value: Any, depth: int = 0) -> Any:
    """A comparable form: types kept, NaN equal to NaN, -0.0 apart from 0.0."""
    if depth > 400:
        try:
            return ("deep", repr(value))
        except RecursionError:
            return ("deep", type(value).__name__)
    t = type(value)
    if t is float:
        return ("float", repr(value))
    if t in (list, tuple):
        return (t.__name__, [canon(v, depth + 1) for v in value])
    if t is dict:
        return ("dict", [(canon(k, depth + 1), canon(v, depth + 1)) for k, v in value.items()])
    if t.__name__ in ("dict_items", "dict_keys", "dict_values"):
        return (t.__name__, [canon(v, depth + 1) for v in value])
    if t.__name__ == "SplitResult":
        return ("SplitResult", tuple(value))
    if t.__name__ in ("URL", "Headers", "MutableHeaders", "QueryParams"):
        return (t.__name__, str(value), repr(value))
    return (t.__name__, value)


def outcome(fn: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return ("ok", canon(fn()))
    except RecursionError:
        return ("err", "RecursionError")
    except Exception as exc:
        return ("err", type(exc).__name__)


def same(what: str, arg: Any, call: Callable[[Any], Any]) -> None:
    """``call(module)`` on both twins must give the same outcome."""
    got = outcome(lambda: call(COMPILED))
    want = outcome(lambda: call(PURE))
    if got != want:
        raise Mismatch(f"{what}\n  input:    {short(arg)}\n  compiled: {short(got)}\n  pure:     {short(want)}")


_PLAIN = (str, bytes, bytearray, int, float, bool, type(None), list, tuple, dict)


def trepr(value: Any, depth: int = 0) -> str:
    """``repr`` that names subclasses (StrSub('a') rather than 'a')."""
    t = type(value)
    if depth > 50:
        return "..."
    if t in (list, tuple):
        inner = ", ".join(trepr(v, depth + 1) for v in value)
        return f"[{inner}]" if t is list else f"({inner}{',' if len(value) == 1 else ''})"
    if t is dict:
        return "{" + ", ".join(f"{trepr(k, depth + 1)}: {trepr(v, depth + 1)}" for k, v in value.items()) + "}"
    if t in _PLAIN or not isinstance(value, _PLAIN):
        return repr(value)
    return f"{t.__name__}({t.__mro__[-2].__repr__(value)})"


def short(value: Any) -> str:
    try:
        text = trepr(value)
    except RecursionError:
        text = repr(type(value))
    return text if len(text) < 600 else text[:600] + f"... ({len(text)} chars)"


# ----------------------------------------------------------------- targets


def t_query(src: Src) -> None:
    text = text_from(src, QUERY_TOKENS, 40)
    qs: Any = text
    form = src.below(6)
    if form in (1, 2):
        qs = to_bytes(src, text)
    elif form == 3:
        qs = StrSub(text)
    same("parse_query", qs, lambda m: m.parse_query(qs))
    try:
        names = [k for k, _ in PURE.parse_query(text)][:4]
    except Exception:
        names = []
    keys: list[Any] = names + [text_from(src, QUERY_TOKENS, 4) for _ in range(src.below(3))]
    if src.chance(40):
        keys.append(src.pick([None, 1, b"a", StrSub("a"), ("a",), "", "\ufffd"]))
    for key in keys:
        for op, fn in (
            ("getitem", lambda q, k: q[k]),
            ("get", lambda q, k: q.get(k, "<default>")),
            ("contains", lambda q, k: k in q),
            ("getlist", lambda q, k: q.getlist(k)),
        ):
            same(f"QueryParams({qs!r}).{op}({key!r})", qs, lambda m, fn=fn, key=key: fn(m.QueryParams(qs), key))

        def then_items(m: Any, key: Any = key) -> Any:
            q = m.QueryParams(qs)
            first = outcome(lambda: q.get(key))
            return first, list(q.items()), q.multi_items(), len(q), list(q), str(q)

        same(f"QueryParams({qs!r}).get({key!r}) then items", qs, then_items)
    same("QueryParams.items", qs, lambda m: list(m.QueryParams(qs).items()))
    same(
        "QueryParams views",
        qs,
        lambda m: (
            m.QueryParams(qs).multi_items(),
            list(m.QueryParams(qs).keys()),
            list(m.QueryParams(qs).values()),
            repr(m.QueryParams(qs)),
            m.QueryParams(qs) == m.QueryParams(qs),
        ),
    )
    if src.chance(60):  # non-string arguments
        items = [(make_key(src), make_key(src)) for _ in range(src.below(4))]
        same("QueryParams(list)", items, lambda m: m.QueryParams(items).multi_items())
        same("QueryParams(list) items", items, lambda m: list(m.QueryParams(items).items()))


def t_host(src: Src) -> None:
    host: Any = text_from(src, HOST_TOKENS, 12)
    if src.chance(20):
        host = src.pick([None, b"a", 1, StrSub("a:1"), StrSub(host)])
    same("parse_host_header", host, lambda m: m.parse_host_header(host))


class ScopeMapping(Mapping):
    """A read-only non-dict mapping scope."""

    def __init__(self, d: dict) -> None:
        self._d = d

    def __getitem__(self, k: Any) -> Any:
        return self._d[k]

    def __iter__(self) -> Any:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)


def make_scope(src: Src) -> tuple[dict[str, Any], bool, Callable[..., Any]]:
    """A scope builder (each call a fresh copy, so the twins share nothing)."""
    scope: dict[str, Any] = {}
    if not src.chance(20):
        scope["scheme"] = src.pick(["ws", "wss", "http", "https", "ws", "wss", "WS", "ftp", "", "Http"])
    if src.chance(170):
        host: Any = text_from(src, HOST_TOKENS, 10)
        if src.chance(20):
            host = src.pick([None, 1, b"a", StrSub("h")])
        port: Any = src.pick([80, 443, 8000, 0, None, 65535, 65536, -1, 10**20, "80", True])
        scope["server"] = (host, port) if not src.chance(8) else [host, port, 1]
    headers: list[Any] = []
    for _ in range(src.below(4)):
        key = src.pick([b"host", b"host", b"host", b"Host", b"x-h", "host", BytesSub(b"host"), bytearray(b"host")])
        value: Any = to_bytes(src, text_from(src, HOST_TOKENS, 12))
        if src.chance(12):
            value = src.pick([None, "a.b", bytearray(b"a.b"), BytesSub(b"h:1"), 1])
        item: Any = (key, value) if not src.chance(6) else src.pick([[key, value], (key,), (key, value, 1)])
        headers.append(item)
    if not src.chance(6):
        scope["headers"] = headers
    path: Any = text_from(src, PATH_TOKENS, 16)
    if src.chance(10):
        path = src.pick([None, b"/a", StrSub("/a?b"), 1])
    if not src.chance(4):
        scope["path"] = path
    if src.chance(200):
        qs: Any = to_bytes(src, text_from(src, QUERY_TOKENS, 16))
        if src.chance(12):
            qs = src.pick([bytearray(b"a=1"), "a=1", None, BytesSub(b"a=%41"), src.raw_bytes(6)])
        scope["query_string"] = qs
    as_mapping = src.chance(20)

    def build(websocket: bool = False) -> Any:
        fresh = dict(scope)
        if websocket:
            fresh["type"] = "websocket"
        if "headers" in fresh:
            fresh["headers"] = list(fresh["headers"])
        return ScopeMapping(fresh) if as_mapping else fresh

    return scope, as_mapping, build


URL_PROPS = [
    "str",
    "repr",
    "scheme",
    "netloc",
    "path",
    "query",
    "fragment",
    "username",
    "password",
    "hostname",
    "port",
    "components",
    "is_secure",
]


def url_prop(u: Any, name: str) -> Any:
    if name == "str":
        return str(u)
    if name == "repr":
        return repr(u)
    return getattr(u, name)


def check_url(what: str, arg: Any, make: Callable[[Any], Any], src: Src) -> None:
    same(what, arg, make)
    for name in URL_PROPS:  # each property on a fresh instance
        same(f"{what}.{name}", arg, lambda m, name=name: url_prop(make(m), name))
    order = URL_PROPS[:]
    random.Random(src.u8()).shuffle(order)

    def all_props(m: Any) -> Any:  # all of them, in some order, on one instance
        u = make(m)
        return [outcome(lambda name=name: url_prop(u, name)) for name in order]

    same(f"{what} props {order}", arg, all_props)
    if src.chance(60):
        kw = src.pick([{"port": 81}, {"hostname": "h"}, {"path": "/p"}, {"query": "a=1"}, {"username": "u"}])
        same(f"{what}.replace({kw})", arg, lambda m: str(make(m).replace(**kw)))
        same(f"{what}.include_query_params", arg, lambda m: str(make(m).include_query_params(a="1 2")))
        same(f"{what}.remove_query_params", arg, lambda m: str(make(m).remove_query_params("a")))


def t_url(src: Src) -> None:
    scope, as_mapping, build = make_scope(src)
    arg = ("Mapping" if as_mapping else "dict", scope)
    check_url("URL(scope=...)", arg, lambda m: m.URL(scope=build()), src)
    if src.chance(60):

        def ws(m: Any) -> Any:
            w = m.WebSocketBase(build(websocket=True))
            return (
                outcome(lambda: (str(w.url), w.url.hostname, w.url.port, w.url.path)),
                outcome(lambda: w.headers.items()),
                outcome(lambda: list(w.query_params.items())),
                outcome(lambda: w.query_params.get("a")),
            )

        same("WebSocketBase(scope)", arg, ws)


def t_url_str(src: Src) -> None:
    text = "".join(
        src.pick(
            [
                text_from(src, HOST_TOKENS, 6),
                text_from(src, PATH_TOKENS, 6),
                src.pick(["ws://", "http://", "//", "wss:", "u:p@", ":", "?", "#"]),
            ]
        )
        for _ in range(src.below(8))
    )
    check_url("URL(str)", text, lambda m: m.URL(text), src)


def t_headers(src: Src) -> None:
    raw: list[Any] = []
    for _ in range(src.below(6)):
        key: Any = to_bytes(src, text_from(src, TEXT_TOKENS, 6))
        if src.chance(80):
            key = src.pick([b"host", b"Host", b"x", b"X", b"content-type", b"\xc9", b"\xe9", b""])
        value: Any = src.raw_bytes(8)
        if src.chance(16):
            key = src.pick([key, "x", None, bytearray(b"x"), BytesSub(b"x"), 1])
        if src.chance(16):
            value = src.pick(["v", None, bytearray(b"v"), BytesSub(b"v"), 1])
        item: Any = (key, value)
        if src.chance(10):
            item = src.pick([[key, value], (key,), (key, value, b""), key])
        raw.append(item)
    names: list[Any] = []
    for item in raw[:3]:
        if isinstance(item, (tuple, list)) and item and isinstance(item[0], (bytes, bytearray)):
            name = bytes(item[0]).decode("latin-1")
            names.append(src.pick([name, name.upper(), name.title(), name.swapcase()]))
    names += [text_from(src, TEXT_TOKENS, 6) for _ in range(src.below(3))]
    if src.chance(40):
        names.append(src.pick([None, b"x", 1, StrSub("X"), "\u0100", "\u212a", "é", "É"]))
    how = src.below(4)

    def make(m: Any) -> Any:
        if how == 0:
            return m.Headers(scope={"headers": list(raw)})
        if how == 1:
            d = {}
            for item in raw:
                if isinstance(item, (tuple, list)) and len(item) == 2:
                    k, v = item
                    d[k.decode("latin-1") if isinstance(k, (bytes, bytearray)) else k] = (
                        v.decode("latin-1") if isinstance(v, (bytes, bytearray)) else v
                    )
            return m.Headers(headers=d)
        return m.Headers(raw=list(raw))

    for name in names:
        for op, fn in (
            ("getitem", lambda h, k: h[k]),
            ("get", lambda h, k: h.get(k, "<default>")),
            ("getlist", lambda h, k: h.getlist(k)),
            ("contains", lambda h, k: k in h),
        ):
            same(f"Headers({raw!r}).{op}({name!r})", raw, lambda m, fn=fn, name=name: fn(make(m), name))
    for op, fn in (
        ("items", lambda h: h.items()),
        ("keys", lambda h: h.keys()),
        ("values", lambda h: h.values()),
        ("len", len),
        ("iter", list),
        ("repr", repr),
        ("raw", lambda h: h.raw),
        ("mutablecopy", lambda h: h.mutablecopy().items()),
        ("eq", lambda h: h == h.mutablecopy()),
    ):
        same(f"Headers({raw!r}).{op}", raw, lambda m, fn=fn: fn(make(m)))


def t_json_dumps(src: Src) -> None:
    value = make_json(src, 0)
    same("json_dumps", value, lambda m: m.json_dumps(value))
    same("json_dumps_bytes", value, lambda m: m.json_dumps_bytes(value))


def t_json_loads(src: Src) -> None:
    text: Any = text_from(src, JSON_TOKENS, 40)
    if src.chance(30):  # well-formed text from a value, maybe damaged
        try:
            text = PURE.json_dumps(make_json(src, 4))
        except Exception:
            text = ""
        if src.chance(100) and text:
            cut = src.below(len(text))
            text = text[:cut] + text_from(src, JSON_TOKENS, 3) + text[cut + src.below(3) :]
    if src.chance(40):
        text = src.pick(JSON_TOKENS) + text + src.pick(JSON_TOKENS)
    if src.chance(16):
        text = src.pick([to_bytes(src, text), StrSub(text), bytearray(to_bytes(src, text)), None])
    same("json_loads", text, lambda m: m.json_loads(text))


def t_float(src: Src) -> None:
    d = make_float(src)
    got = outcome(lambda: _json_c.json_dumps(d))  # a bare float: the float printer alone
    # Non-finite values are spelled as JSON spells them (NaN, Infinity), as
    # tests/test_json_float_repr.py expects; every finite one exactly as repr.
    nonfinite = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
    want = ("ok", canon(nonfinite.get(repr(d), repr(d))))
    if got != want:
        raise Mismatch(
            f"json_dumps(float)\n  input:    {d!r} ({struct.pack('<d', d).hex()})\n  compiled: {got}\n  repr:     {want}"
        )
    same("json_dumps(float)", d, lambda m: m.json_dumps([d, {d: -d}]))


# fmt: off
REQUEST_LINES = [
    b"GET / HTTP/1.1", b"POST / HTTP/1.1", b"GET / HTTP/1.0", b"GET /", b"G(T / HTTP/1.1", b"GET  / HTTP/1.1",
    b"GET / HTTP/1.1 ", b" GET / HTTP/1.1", b"", b"GET /a\x7fb HTTP/1.1", b"get / HTTP/1.1", b"GET / http/1.1",
]
GOOD_HEAD = [b"Host: example.com", b"Upgrade: websocket", b"Connection: keep-alive, Upgrade",
             b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", b"Sec-WebSocket-Version: 13"]
HEAD_LINES = [
    b"host:x", b"Host: a", b"upgrade: WebSocket, h2c", b"Upgrade: h2c", b"Upgrade: websockets", b"Connection: Upgrade",
    b"connection: keep-alive, upgrade", b"Connection: keep-alive", b"Connection: ,, upgrade ,",
    b"Connection:\tUPGRADE\x0b", b"Connection: up grade", b"Sec-WebSocket-Version: 8", b"sec-websocket-version:13 ",
    b"Sec-WebSocket-Version: 13, 8", b"Sec-WebSocket-Key: c2hvcnQ=", b"Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAB==",
    b"Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA", b"Sec-WebSocket-Key:", b"Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAA-==",
    b"Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAAA=", b"Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==AAAA",
    b"Sec-WebSocket-Key:  AAAAAAAAAAAAAAAAAAAA//== ", b"Origin: https://app.example",
    b"Sec-WebSocket-Protocol: chat, superchat", b"User-Agent: caf\xe9 \tok",
    b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits", b" folded", b"no colon here",
    b"Ho st: x", b"X:", b":x", b"X-A: \t a \t", b"X-A: a\rb", b"X-A: a\nb", b"X-A: a\x00b", b"x-a: a\x01b",
    b"X-A: UPGRADE", b"x-a: websocket ,Upgrade", b"X-A: \x0cupgrade\x0c",
]
HEAD_SEPARATORS = [b"\r\n", b"\r\n", b"\r\n", b"\r\n", b"\n", b"\r", b"\r\n\r\n", b""]
HEADER_VALUES = [b"1", b"", b"a b", b"a\r\nb", b"a\x00", b"\xff", b"x" * 300]
HEADER_NAMES = [b"x-a", b"Date", b"", b"bad name", b"a:b", b"\xe9", b"~!#"]
# fmt: on


def _handshake_outcome(call: Callable[[], Any]) -> Any:
    """What ``call`` gives, a ``HandshakeError`` as its status, reason and headers."""
    try:
        return call()
    except PURE.HandshakeError as error:  # (both twins raise http1's one class)
        return ("HandshakeError", error.status, error.reason, error.headers)


def _request_view(request: Any) -> Any:
    if request is None:
        return None
    names = [b"host", b"upgrade", b"connection", b"sec-websocket-key", b"x-a", b"origin"]
    return (
        request.method, request.target, request.headers, [request.values(n) for n in names],
        [request.tokens(n) for n in names], [request.has_token(n, t) for n in names for t in (b"upgrade", b"websocket")],
        request.is_websocket_upgrade(),
    )  # fmt: skip


def _head(src: Src) -> bytes:
    """A request head: mostly an upgrade's lines, with others, garbage and odd line ends."""
    lines = [b"GET /chat?x=1 HTTP/1.1" if src.chance(180) else src.pick(REQUEST_LINES)]
    lines += [line for line in GOOD_HEAD if src.chance(235)]
    for _ in range(src.below(5)):
        extra = src.pick(HEAD_LINES) if src.chance(220) else src.raw_bytes(12)
        lines.insert(1 + src.below(len(lines)), extra)
    data = b"".join(line + (src.pick(HEAD_SEPARATORS) if src.chance(20) else b"\r\n") for line in lines)
    data += src.pick([b"\r\n", b"\r\n", b"\r\n", b"", b"\r", b"\r\n\r\nrest", b"\n"])
    if src.chance(20) and data:
        cut = src.below(len(data) + 1)
        data = data[:cut] + src.raw_bytes(4) + data[cut + src.below(3) :]
    return data


def t_handshake(src: Src) -> None:
    data = _head(src)
    limits = (src.pick([16 * 1024, 8, 64, 200]), src.pick([100, 0, 1, 3]))
    same("check_head", data, lambda m: _handshake_outcome(lambda: m.check_head(data, *limits)))
    same("parse_request", data, lambda m: _handshake_outcome(lambda: _request_view(m.parse_request(data, *limits))))
    end = src.pick([len(data), len(data) - 4, data.find(b"\r\n\r\n"), -3, len(data) + 5, 0, src.below(len(data) + 1)])
    same(f"parse_head(end={end})", data, lambda m: _handshake_outcome(lambda: _request_view(m.parse_head(data, end))))

    def checked(m: Any) -> Any:
        request = m.parse_request(data)
        return None if request is None else m.check_request(request)

    same("check_request", data, lambda m: _handshake_outcome(lambda: checked(m)))
    key = src.pick([b"dGhlIHNhbXBsZSBub25jZQ==", src.raw_bytes(30), "str key", BytesSub(b"k")])
    subprotocol = src.pick([None, "", "chat", "caf\xe9", "a\r\nb", "\u20ac", StrSub("x"), b"bytes"])
    extensions = src.pick([None, b"", b"permessage-deflate", "str", b"a\r\nb"])
    headers: Any = [(src.pick(HEADER_NAMES), src.pick(HEADER_VALUES)) for _ in range(src.below(4))]
    if src.chance(40):
        headers = src.pick([tuple(headers), [list(pair) for pair in headers], [(b"x", "str")], [(b"a", b"b", b"c")],
                            [(BytesSub(b"x"), b"1")], [(bytearray(b"x"), b"1")], None])  # fmt: skip
    same("accept_response", (key, subprotocol, headers, extensions),
         lambda m: m.accept_response(key, subprotocol, headers, extensions))  # fmt: skip


# ------------------------------------------------------------ the protocol core

_LOOP = asyncio.new_event_loop()  # never run for long: each step runs what the step scheduled
atexit.register(_LOOP.close)
_CONFIGS: dict[tuple[int, int], Any] = {}
_PROTOCOLS: dict[int, type] = {}
FRAME_OPCODES = [0x1, 0x1, 0x2, 0x2, 0x0, 0x8, 0x9, 0xA, 0x3, 0xB]


class _Transport(asyncio.Transport):
    """Keeps what is written, and says what the protocol asked of it."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[Any] = []

    def write(self, data: Any) -> None:
        self.log.append(bytes(data))

    def pause_reading(self) -> None:
        self.log.append("pause")

    def resume_reading(self) -> None:
        self.log.append("resume")

    def close(self) -> None:
        self.log.append("close")

    def abort(self) -> None:
        self.log.append("abort")

    def is_closing(self) -> bool:
        return "close" in self.log or "abort" in self.log

    def get_write_buffer_size(self) -> int:
        return 0


async def _no_app(scope: Any, receive: Any, send: Any) -> None:
    pass


def _opened(m: Any, max_queue: int, max_size: int, queue_bytes: int) -> Any:
    """A protocol on twin ``m``'s core, as just after an accepted upgrade, on a recording transport."""
    import uvicorn

    from fastws.settings import Settings

    config = _CONFIGS.get((max_queue, max_size))
    if config is None:
        config = _CONFIGS[max_queue, max_size] = uvicorn.Config(
            _no_app, ws_max_queue=max_queue, ws_max_size=max_size, ws_ping_interval=None, log_level="critical"
        )
        config.load()
    cls = _PROTOCOLS.get(id(m))
    if cls is None:
        cls = _PROTOCOLS[id(m)] = type("Protocol", (m.ProtocolCore, asyncio.BufferedProtocol), {"__slots__": ()})
    cls.settings = Settings(ws_max_queue_bytes=queue_bytes)
    from uvicorn.server import ServerState

    protocol = cls(config, ServerState(), {}, _LOOP)
    protocol.connection_made(_Transport())
    protocol.scope = {"type": "websocket"}
    protocol.state = protocol.state.__class__.OPEN
    return protocol


def _client_frame(src: Src) -> bytes:
    opcode = src.pick(FRAME_OPCODES)
    if opcode in (0x1, 0x0) and src.chance(200):
        payload = text_from(src, TEXT_TOKENS, 12).encode("utf-8", "surrogatepass")
    else:
        payload = src.raw_bytes(40)
    if src.chance(8):
        payload *= 1 + src.below(400)  # over the budgets and the size limit
    first = (0x80 if src.chance(200) else 0) | (src.pick([0, 0, 0, 0x40, 0x10]) if src.chance(20) else 0) | opcode
    mask = src.take(4).ljust(4, b"\0")
    n = len(payload)
    head = bytes([first, 0x80 | n]) if n < 126 else (bytes([first, 0xFE]) + n.to_bytes(2, "big") if n < 65536
                                                      else bytes([first, 0xFF]) + n.to_bytes(8, "big"))  # fmt: skip
    if src.chance(10):
        head = bytes([head[0], head[1] & 0x7F]) + head[2:]  # unmasked: a protocol error
        mask = b""
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)) if mask else head + payload


def _step_loop() -> None:
    _LOOP.call_soon(_LOOP.stop)
    _LOOP.run_forever()


def _run_send(protocol: Any, message: Any) -> Any:
    coro = protocol.send(message)
    try:
        coro.send(None)
    except StopIteration:
        return "sent"
    except Exception as exc:
        return ("err", type(exc).__name__)
    coro.close()
    return "waits"


def _read(protocol: Any, data: bytes, buffered: bool) -> None:
    """``data`` from the peer, as a transport hands it: as bytes, or read into the protocol's buffer."""
    if not buffered:
        protocol.data_received(data)
        return
    buffer = protocol.get_buffer(-1)
    buffer[: len(data)] = data
    protocol.buffer_updated(len(data))


def _protocol_script(m: Any, src: Src) -> list[Any]:
    """One connection's life on twin ``m``: frames in, in pieces, the app's calls between them; what it did."""
    protocol = _opened(m, src.pick([1, 2, 32]), src.pick([1 << 20, 64, 300]), src.pick([64 * 1024, 16, 200]))
    buffered = src.pick([False, True])
    log: list[Any] = []
    waiting: list[Any] = []
    for _ in range(1 + src.below(12)):
        op = src.below(8)
        try:
            if op <= 2:
                data = b"".join(_client_frame(src) for _ in range(1 + src.below(3)))
                cut = src.below(len(data) + 1)
                _read(protocol, data[:cut], buffered)
                _read(protocol, data[cut:], buffered)
            elif op == 3:
                _read(protocol, src.raw_bytes(12), buffered)
            elif op == 4:
                future = protocol.receive()
                log.append(("receive", canon(future.result()) if future.done() else "pending"))
                if not future.done():
                    waiting.append(future)
            elif op == 5:
                text = text_from(src, TEXT_TOKENS, 8)
                log.append(
                    (
                        "write",
                        protocol.write_text(text)
                        if src.chance(128)
                        else protocol.write_bytes(text.encode("utf-8", "replace")),
                    )
                )
            elif op == 6:
                message = src.pick([
                    {"type": "websocket.send", "text": "hi"}, {"type": "websocket.send", "bytes": b"\x00"},
                    {"type": "websocket.send"}, {"type": "websocket.close", "code": 4000, "reason": "r"},
                    {"type": "websocket.accept"}, {"type": "nonsense"}, {},
                ])  # fmt: skip
                log.append(("send", _run_send(protocol, message)))
            else:
                action = src.pick(["pause_writing", "resume_writing", "deliver", "lost"])
                if action == "deliver":
                    log.append(("deliver", protocol.deliver_frame(b"\x81\x01x")))
                elif action == "lost":
                    protocol.connection_lost(None)
                else:
                    getattr(protocol, action)()
        except Exception as exc:
            log.append(("err", type(exc).__name__))
        _step_loop()
    log.append(("waiters", [canon(f.result()) if f.done() else "pending" for f in waiting]))
    log.append(("state", protocol.state.name, protocol.queued_bytes(), protocol.writing_paused()))
    protocol.connection_lost(None)
    _step_loop()
    log.append(("transport", protocol.transport.log))
    return log


def t_protocol(src: Src) -> None:
    start = src.pos
    same("protocol", src.data, lambda m: (setattr(src, "pos", start), _protocol_script(m, src))[1])


_FRONTED: dict[int, type] = {}


async def _no_run(self: Any) -> None:
    pass  # no app: the upgrade stops at starting it


class _Front:
    """A ``fastws._front.Front`` that logs what it is given back."""

    def __init__(self, max_head_size: int, max_headers: int) -> None:
        from fastws.timer_wheel import TimerWheel

        self.max_head_size, self.max_headers, self.head_timeout = max_head_size, max_headers, 10.0
        self.head_deadlines = TimerWheel(_LOOP, 1.0)
        self.log: list[Any] = []

    def hand_over(self, transport: Any, data: bytes) -> None:
        self.log.append(("hand_over", data))

    def refuse(self, transport: Any, data: bytes) -> None:
        self.log.append(("refuse", data))

    def time_out(self, transport: Any, data: bytes) -> None:
        self.log.append(("time_out", data))

    def drain(self, transport: Any, data: bytes) -> None:
        self.log.append(("drain", data))


def _front_script(m: Any, src: Src) -> list[Any]:
    """A connection taken from its first byte on twin ``m``: a head in pieces, then maybe the end; what it did."""
    from uvicorn.server import ServerState

    cls = _FRONTED.get(id(m))
    if cls is None:
        cls = _FRONTED[id(m)] = type(
            "Protocol", (m.ProtocolCore, asyncio.BufferedProtocol), {"__slots__": (), "_run_asgi": _no_run}
        )
    protocol = cls(_opened(m, 2, 1 << 20, 64 * 1024).config, ServerState(), {}, _LOOP)
    front = _Front(src.pick([16 * 1024, 64, 200]), src.pick([100, 1, 3]))
    protocol.await_head(front)
    protocol.connection_made(_Transport())
    data = _head(src)
    log: list[Any] = []
    cuts = sorted({0, len(data), *(src.below(len(data) + 1) for _ in range(src.below(4)))})
    buffered = src.pick([False, True])
    for piece in [data[a:b] for a, b in itertools.pairwise(cuts)] or [b""]:
        try:
            _read(protocol, piece, buffered)
        except Exception as exc:
            log.append(("err", type(exc).__name__))
    end = src.pick(["shutdown", "due", "lost", "none"])
    if end == "shutdown":
        protocol.shutdown()
    elif end == "due" and protocol.ping_timer is not None:
        protocol.on_due()
    elif end == "lost":
        protocol.connection_lost(None)
    _step_loop()  # the app's task, if started, runs and ends
    log.append(("front", front.log, len(front.head_deadlines)))
    log.append(("state", protocol.state.name, protocol.scope.get("path"), protocol.transport.log))
    return log


def t_front(src: Src) -> None:
    start = src.pos
    same("front", src.data, lambda m: (setattr(src, "pos", start), _front_script(m, src))[1])


class FanoutConnection:
    """A connection as ``DirectTarget`` sees it (``BroadcastConnection``): keeps its frames and every call."""

    def __init__(self) -> None:
        from fastws.wire import codec

        self.conn = codec.Connection()
        self.fanout: Any = None
        self.paused = False
        self.open = True
        self.log: list[Any] = []

    def deliver_frame(self, frame: bytes) -> bool:
        if self.paused or not self.open:
            return False
        self.log.append(frame)
        return True

    def is_open(self) -> bool:
        return self.open

    def is_connecting(self) -> bool:
        return False

    def writing_paused(self) -> bool:
        return self.paused

    def write_frame(self, frame: bytes) -> None:
        self.log.append(("write", frame))

    def close_now(self, code: int, reason: str = "") -> None:
        self.log.append(("close", code, reason))
        self.open = False


def _message(m: Any, src_step: tuple[Any, ...]) -> Any:
    kind, data, at = src_step
    if kind == "json":
        made = m.Message.json(data, "binary" if at % 2 else "text", position_key="pos" if at % 3 else None)
    else:
        made = m.Message.of(data)
    return made.at(_POSITION._replace(offset=at + 1)) if at % 5 == 0 else made


def _fanout(m: Any, policy: str, limit: int, steps: list[tuple[Any, ...]]) -> Any:
    """Four subscribers of ``m``'s targets through ``steps``; what each got, kept, dropped, and how each ended."""
    ended: list[int] = []
    delivery = m.Delivery(limit, policy, 1.0, ended=lambda target: ended.append(target.key), spawn=lambda a: None)
    connections = [FanoutConnection() for _ in range(4)]
    subscribers = [m.DirectTarget(delivery, c) for c in connections]
    index = {target.key: i for i, target in enumerate(subscribers)}
    seen = []
    for step, *rest in steps:
        if step == "publish":
            message = _message(m, tuple(rest))
            seen.append((message.payload, message.binary, message.size, message.data, message.asgi(), message.frame()))
            m.deliver_all(subscribers, message)
        elif step == "pause":
            connections[rest[0]].paused = rest[1]
        elif step == "writable":
            subscribers[rest[0]].writable()
        else:
            subscribers[rest[0]].lost()
    return (
        seen,
        [c.log for c in connections],
        [([x.payload for x in t.backlog], t.queued, t.dropped, t.gone) for t in subscribers],
        (delivery.dropped, delivery.closed_slow),
        [index[key] for key in ended],
    )


def _position() -> Any:
    from fastws.broadcast.positions import Position

    return Position("room", 1, "3f9a0c2e")


_POSITION = _position()


def t_broadcast(src: Src) -> None:
    """``Message`` (text, binary, JSON with and without a position key) and ``deliver_all`` to four subscribers
    whose transports pause and resume, under each overflow policy."""
    policy = src.pick(["close", "drop-newest", "drop-oldest"])
    limit = src.below(160)
    steps: list[tuple[Any, ...]] = []
    for _ in range(src.below(24)):
        kind = src.below(6)
        if kind < 2:
            shape = src.below(3)
            if shape == 0:
                data: Any = to_bytes(src, text_from(src, ["a", "é", "\u2603", "\U0001f600", " "], 16)).decode(
                    "utf-8", "replace"
                )
            elif shape == 1:
                data = src.raw_bytes(48)
            else:
                data = make_json(src, 0)
            steps.append(("publish", "json" if shape == 2 else "plain", data, src.below(30)))
        elif kind == 2:
            steps.append(("pause", src.below(3), src.chance(128)))
        elif kind < 5:
            steps.append(("writable", src.below(3)))
        else:
            steps.append(("lost", src.below(3)))
    same("broadcast", (policy, limit, steps), lambda m: _fanout(m, policy, limit, steps))


class _TransportRecorder:
    """A protocol that writes down what a ``SocketTransport`` tells it."""

    def __init__(self, lost: asyncio.Future[Any]) -> None:
        self.received = bytearray()
        self.calls: list[str] = []
        self.lost = lost

    def buffer_updated(self, nbytes: int) -> None:
        from fastws._read_buffer import this_thread

        self.received += this_thread()[:nbytes]

    def eof_received(self) -> None:
        self.calls.append("eof")

    def pause_writing(self) -> None:
        self.calls.append("pause")

    def resume_writing(self) -> None:
        self.calls.append("resume")

    def connection_lost(self, error: Exception | None) -> None:
        self.calls.append("lost")
        self.lost.set_result(type(error).__name__)


async def _transport_life(m: Any, steps: list[tuple[Any, ...]], end: str) -> tuple[Any, ...]:
    """A ``SocketTransport`` of twin ``m`` over a socket pair with small buffers, through ``steps`` and
    ``end``, the peer reading to its end after: what the protocol was told and got, what the peer got."""
    loop = asyncio.get_running_loop()
    ours, peer = socket.socketpair()
    for sock, option in ((ours, socket.SO_SNDBUF), (peer, socket.SO_RCVBUF)):
        sock.setblocking(False)
        sock.setsockopt(socket.SOL_SOCKET, option, 4096)
    protocol = _TransportRecorder(loop.create_future())
    transport = m.SocketTransport(loop, ours.detach(), protocol)
    transport.resume_reading()
    peer_got = bytearray()
    peer_end = ""
    with peer:
        for step in steps:
            kind = step[0]
            if kind == "write":
                transport.write(step[1])
            elif kind == "send":
                with contextlib.suppress(BlockingIOError):
                    peer.send(step[1])
            elif kind == "read":
                with contextlib.suppress(BlockingIOError):
                    peer_got += peer.recv(step[1])
            elif kind == "pause":
                transport.pause_reading()
            elif kind == "resume":
                transport.resume_reading()
            elif kind == "limits":
                transport.set_write_buffer_limits(high=step[1])
            else:  # a few turns of the loop
                for _ in range(3):
                    await asyncio.sleep(0)
        if end == "close":
            transport.close()
        elif end == "abort":
            transport.abort()
        else:
            peer.shutdown(socket.SHUT_WR)
        deadline = loop.time() + 0.5
        while (not peer_end or not protocol.lost.done()) and loop.time() < deadline:
            if not peer_end:
                try:
                    more = peer.recv(65536)
                except BlockingIOError:
                    more = None
                except OSError as error:
                    peer_end = type(error).__name__
                    more = None
                if more == b"":
                    peer_end = "eof"
                elif more:
                    peer_got += more
                    continue
            await asyncio.sleep(0.001)
    lost = protocol.lost.result() if protocol.lost.done() else "not lost"  # e.g. the peer's end, unread: paused
    return bytes(protocol.received), protocol.calls, lost, bytes(peer_got), peer_end, transport.is_closing()


def t_socket_transport(src: Src) -> None:
    """Writes (bytes, bytearray, views), the peer's sends and reads, reading paused and resumed, the water
    marks, then a close, an abort or the peer's end, on asyncio's loop or uvloop's."""
    steps: list[tuple[Any, ...]] = []
    for _ in range(src.below(16)):
        kind = src.below(8)
        if kind < 2:
            data = src.raw_bytes(48) * (1 + src.below(4) * 500)  # up to ~70 KiB: past the socket's buffers
            shape = src.below(3)
            steps.append(("write", data if shape == 0 else bytearray(data) if shape == 1 else memoryview(data)))
        elif kind == 2:
            steps.append(("send", src.raw_bytes(64) * (1 + src.below(3) * 40)))
        elif kind == 3:
            steps.append(("read", 1 + src.below(8192)))
        elif kind == 4:
            steps.append((src.pick(["pause", "resume"]),))
        elif kind == 5:
            steps.append(("limits", src.below(20000)))
        else:
            steps.append(("turn",))
    end = src.pick(["close", "abort", "peer-eof"])
    start = src.pick([asyncio.run, uvloop.run])
    same("socket_transport", (steps, end), lambda m: start(_transport_life(m, steps, end)))


TARGETS: dict[str, Callable[[Src], None]] = {
    "parse_query": t_query,
    "parse_host_header": t_host,
    "url_scope": t_url,
    "url_str": t_url_str,
    "headers": t_headers,
    "json_dumps": t_json_dumps,
    "json_loads": t_json_loads,
    "float_repr": t_float,
    "handshake": t_handshake,
    "protocol": t_protocol,
    "front": t_front,
    "broadcast": t_broadcast,
    "socket_transport": t_socket_transport,
}
ORDER = list(TARGETS.values())


def test_one_input(data: bytes) -> None:
    if not data:
        return
    src = Src(data)
    ORDER[src.u8() % len(ORDER)](src)


# ------------------------------------------------------------ no-atheris loop


def stress(iterations: int, seed: int, target: str | None, log_every: int) -> int:
    """Seeded random inputs (and mutations of earlier ones) through the targets."""
    rng = random.Random(seed)
    names = [target] if target else list(TARGETS)
    pool: list[bytes] = []
    failures = 0
    start = time.monotonic()
    for name in names:
        fn = TARGETS[name]
        for i in range(iterations):
            if pool and rng.random() < 0.3:
                data = bytearray(rng.choice(pool))
                for _ in range(rng.randint(1, 4)):
                    if data and rng.random() < 0.5:
                        data[rng.randrange(len(data))] = rng.randrange(256)
                    else:
                        data.insert(rng.randint(0, len(data)), rng.randrange(256))
                data = bytes(data)
            else:
                data = rng.randbytes(rng.choice((4, 8, 16, 32, 64, 128)))
            try:
                fn(Src(data))
            except Mismatch as exc:
                failures += 1
                if failures <= 20:
                    print(f"MISMATCH [{name}] data={data.hex()}\n{exc}", flush=True)
            if rng.random() < 0.01:
                pool.append(data)
                if len(pool) > 512:
                    pool.pop(rng.randrange(len(pool)))
            if log_every and (i + 1) % log_every == 0:
                print(f"[{name}] {i + 1} inputs, {failures} mismatches, {time.monotonic() - start:.0f}s", flush=True)
        print(f"[{name}] done: {iterations} inputs, {failures} mismatches so far", flush=True)
    return failures


def main() -> None:
    if "--stress" in sys.argv or atheris is None:
        parser = argparse.ArgumentParser()
        parser.add_argument("--stress", type=int, default=20000, help="inputs per target")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--target", choices=list(TARGETS))
        parser.add_argument("--log-every", type=int, default=50000)
        args, _ = parser.parse_known_args()
        if atheris is None and "--stress" not in sys.argv:
            print("atheris is not installed: running the seeded random loop instead", flush=True)
        sys.exit(1 if stress(args.stress, args.seed, args.target, args.log_every) else 0)
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

"""Differential: what a connection carries: the Mapping API over the scope, headers, query and path params,
cookies, client, state, session/auth/user and ``url_for``.

Starlette is the oracle (``tests.websocket.harness``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Any

import pytest

from tests.websocket.harness import DROP, Op, compare, do, make_scope, raised

# ================================================================ Mapping API


def mapping_ops() -> list[Op]:
    return [
        do("ws['path']", lambda ws: ws["path"]),
        do("ws['missing']", lambda ws: ws["missing"]),
        do("len", len),
        do("list", list),
        do("keys", lambda ws: list(ws.keys())),
        do("values==", lambda ws: list(ws.values()) == list(ws.scope.values())),
        do("items==", lambda ws: list(ws.items()) == list(ws.scope.items())),
        do("contains", lambda ws: ("path" in ws, "nope" in ws)),
        do("get", lambda ws: (ws.get("type"), ws.get("nope", 5))),
        do("dict==scope", lambda ws: dict(ws) == ws.scope),
        do("is Mapping", lambda ws: isinstance(ws, Mapping)),
        do("eq self", lambda ws: (ws == ws, ws != ws)),
        do("eq scope", lambda ws: (ws == ws.scope, ws.scope == ws, ws != ws.scope)),
        do("eq twin", lambda ws: ws == type(ws)(ws.scope, ws._receive, ws._send)),
        do("eq dict", lambda ws: ws == dict(ws.scope)),
        do("hash", lambda ws: hash(ws) == object.__hash__(ws)),
        do("as key", lambda ws: {ws: 1}[ws]),
        do("set", lambda ws: len({ws, ws, type(ws)(ws.scope, ws._receive, ws._send)})),
        do("app", lambda ws: ws.app),
        do("scope is", lambda ws: ws.scope is ws.scope),
    ]


def test_mapping_interface(websocket_twin: ModuleType) -> None:
    record = compare(websocket_twin, [], mapping_ops())
    assert raised(record) == ["KeyError", "KeyError"]  # ws['missing'] and ws.app


def test_mapping_interface_with_app(websocket_twin: ModuleType) -> None:
    app = object()
    record = compare(websocket_twin, [], mapping_ops(), scope=make_scope(app=app))
    assert raised(record) == ["KeyError"]


# ============================================================ connection data


def headers_view(headers: Any) -> dict[str, Any]:
    return {
        "items": headers.items(),
        "keys": headers.keys(),
        "values": headers.values(),
        "raw": headers.raw,
        "list": list(headers),
        "len": len(headers),
        "dict": dict(headers),
        "repr": repr(headers),
        "getlist": {k: headers.getlist(k) for k in ["cookie", "Cookie", "HOST", "x-dup", "missing"]},
        "get": {k: headers.get(k) for k in ["cookie", "User-Agent", "missing"]},
        "contains": {k: k in headers for k in ["cookie", "COOKIE", "missing"]},
        "type": type(headers).__name__,
    }


@pytest.mark.parametrize(
    "raw",
    [
        [],
        [(b"host", b"example.com"), (b"x-dup", b"1"), (b"x-dup", b"2"), (b"user-agent", b"caf\xe9")],
        [(b"cookie", b"a=1"), (b"cookie", b"b=2")],
    ],
    ids=["empty", "dups-latin1", "cookies"],
)
def test_headers(websocket_twin: ModuleType, raw: list[tuple[bytes, bytes]]) -> None:
    ops = [
        do("headers", lambda ws: headers_view(ws.headers)),
        do("cached", lambda ws: ws.headers is ws.headers),
        do("missing", lambda ws: ws.headers["missing"]),
        do("scope headers is list", lambda ws: type(ws.scope["headers"]).__name__),
    ]
    compare(websocket_twin, [], ops, scope=make_scope(headers=raw))
    compare(websocket_twin, [], ops, scope=make_scope(headers=tuple(raw)))


def query_view(params: Any) -> dict[str, Any]:
    return {
        "multi_items": params.multi_items(),
        "items": list(params.items()),
        "keys": list(params.keys()),
        "values": list(params.values()),
        "str": str(params),
        "repr": repr(params),
        "len": len(params),
        "dict": dict(params),
        "getlist": {k: params.getlist(k) for k in ["a", "b", "", "missing", "sp ace"]},
        "get": {k: params.get(k) for k in ["a", "missing"]},
        "contains": {k: k in params for k in ["a", "missing"]},
        "type": type(params).__name__,
    }


@pytest.mark.parametrize(
    "query_string",
    [
        b"",
        b"a=1&b=2&a=3",
        b"a&b=&=c&&",
        b"sp+ace=x+y&pct=%41%zz&u=%E2%98%83",
        "caf\xe9=1".encode("latin-1"),
        b"a=1;b=2",
    ],
    ids=repr,
)
def test_query_params(websocket_twin: ModuleType, query_string: bytes) -> None:
    ops = [
        do("query_params", lambda ws: query_view(ws.query_params)),
        do("cached", lambda ws: ws.query_params is ws.query_params),
        do("missing", lambda ws: ws.query_params["missing"]),
    ]
    compare(websocket_twin, [], ops, scope=make_scope(query_string=query_string))


@pytest.mark.parametrize("path_params", [DROP, {}, {"room": "lobby", "n": 3}], ids=["absent", "empty", "set"])
def test_path_params(websocket_twin: ModuleType, path_params: Any) -> None:
    ops = [
        do("path_params", lambda ws: ws.path_params),
        do("identity", lambda ws: ws.path_params is ws.scope.get("path_params", ws.path_params)),
        do("fresh each time", lambda ws: ws.path_params is ws.path_params),
    ]
    compare(websocket_twin, [], ops, scope=make_scope(path_params=path_params))


@pytest.mark.parametrize(
    "cookie_headers",
    [
        [],
        [b"sid=abc; theme=dark"],
        [b"a=1", b"b=2", b"a=3"],
        [b'q="quoted value"; e="\\"esc\\" \\054 \\073"; plain=x y'],
        [b"novalue; =empty; k=v=w; ;  ; spaced = out "],
        [b"caf\xe9=cr\xe8me"],
    ],
    ids=repr,
)
def test_cookies(websocket_twin: ModuleType, cookie_headers: list[bytes]) -> None:
    headers = [(b"host", b"example.com"), *((b"cookie", c) for c in cookie_headers)]
    ops = [do("cookies", lambda ws: ws.cookies), do("cached", lambda ws: ws.cookies is ws.cookies)]
    compare(websocket_twin, [], ops, scope=make_scope(headers=headers))


@pytest.mark.parametrize(
    "client",
    [DROP, None, ("1.2.3.4", 5), ["::1", 80], ("unix",), ("a", 1, 2)],
    ids=repr,
)
def test_client(websocket_twin: ModuleType, client: Any) -> None:
    ops = [
        do("client", lambda ws: ws.client),
        do("client parts", lambda ws: (type(ws.client).__name__, repr(ws.client), ws.client.host, ws.client.port)),
        do("fields", lambda ws: type(ws.client)._fields),
    ]
    compare(websocket_twin, [], ops, scope=make_scope(client=client))


@pytest.mark.parametrize("state", [DROP, {}, {"greeting": "hi"}], ids=["absent", "empty", "preset"])
def test_state(websocket_twin: ModuleType, state: Any) -> None:
    def write(ws: Any) -> Any:
        ws.state.x = 1
        ws.state["y"] = 2
        return ws.scope["state"]

    ops = [
        do("greeting", lambda ws: ws.state.greeting),
        do("write", write),
        do("read", lambda ws: (ws.state.x, ws.state["y"], len(ws.state), sorted(ws.state))),
        do("same dict", lambda ws: ws.state._state is ws.scope["state"]),
        do("cached", lambda ws: ws.state is ws.state),
        do("type", lambda ws: type(ws.state).__name__),
        do("missing attr", lambda ws: ws.state.missing),
        do("missing item", lambda ws: ws.state["missing"]),
        do("del", lambda ws: (delattr(ws.state, "x"), ws.scope["state"])),
        do("del missing", lambda ws: delattr(ws.state, "x")),
    ]
    compare(websocket_twin, [], ops, scope=make_scope(state=state))


class FakeSession(dict):  # type: ignore[type-arg]
    def __init__(self) -> None:
        super().__init__(user="ann")
        self.accessed = 0

    def mark_accessed(self) -> None:
        self.accessed += 1


def test_session_auth_user_missing(websocket_twin: ModuleType) -> None:
    ops = [do("session", lambda ws: ws.session), do("auth", lambda ws: ws.auth), do("user", lambda ws: ws.user)]
    record = compare(websocket_twin, [], ops)
    assert raised(record) == ["AssertionError"] * 3


def test_session_auth_user_present(websocket_twin: ModuleType) -> None:
    def scope() -> dict[str, Any]:
        return make_scope(session=FakeSession(), auth=("creds", ["read"]), user="ann-user")

    ops = [
        do("session", lambda ws: dict(ws.session)),
        do("session is", lambda ws: ws.session is ws.scope["session"]),
        do("accessed", lambda ws: ws.scope["session"].accessed),
        do("plain dict session", lambda ws: (ws.scope.__setitem__("session", {"p": 1}), ws.session)),
        do("auth", lambda ws: ws.auth),
        do("user", lambda ws: ws.user),
    ]
    record = compare(websocket_twin, [], ops, scope=scope)
    assert raised(record) == []

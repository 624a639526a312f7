"""Differential: ``url`` and ``base_url`` from fixed and random scopes, and ``url_for``.

Starlette is the oracle (``tests.websocket.harness``); ``url`` being a ``str``
is a deliberate difference, tested on fastws alone.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette import websockets as sws
from starlette.routing import Mount, Router, WebSocketRoute

from tests.helpers.twins import live_websocket_twins
from tests.websocket.harness import DROP, Op, compare, describe, do, fast_class, fresh, make_scope, raised

# ========================================================= url and base_url


def url_view(url: Any) -> dict[str, Any]:
    view: dict[str, Any] = {"str": str(url), "repr": repr(url), "type": type(url).__name__}
    for attr in [
        "components",
        "scheme",
        "netloc",
        "path",
        "query",
        "fragment",
        "username",
        "password",
        "hostname",
        "port",
        "is_secure",
    ]:
        try:
            view[attr] = getattr(url, attr)
        except Exception as exc:
            view[attr] = describe(exc)
    return view


def url_ops() -> list[Op]:
    return [
        do("url", lambda ws: url_view(ws.url)),
        do("base_url", lambda ws: url_view(ws.base_url)),
        do("url cached", lambda ws: ws.url is ws.url),
        do("base_url cached", lambda ws: ws.base_url is ws.base_url),
        do("url == str", lambda ws: ws.url == str(ws.url)),
    ]


URL_SCOPES: dict[str, dict[str, Any]] = {
    "default": {},
    "no-query": {"query_string": b""},
    "no-query-key": {"query_string": DROP},
    "host-port": {"headers": [(b"host", b"example.com:8080")]},
    "host-default-port": {"headers": [(b"host", b"example.com:80")]},
    "host-upper": {"headers": [(b"host", b"ExAmple.COM")]},
    "host-ipv6": {"headers": [(b"host", b"[::1]:9000")]},
    "host-bad-ipv6": {"headers": [(b"host", b"[::zz]:9000")]},
    "host-ipvfuture": {"headers": [(b"host", b"[v1.fe80::a+en1]")]},
    "host-bad-port": {"headers": [(b"host", b"example.com:99999")]},
    "host-zero-port": {"headers": [(b"host", b"example.com:000080")]},
    "host-empty-port": {"headers": [(b"host", b"example.com:")]},
    "host-injection": {"headers": [(b"host", b"evil.com/path?x")]},
    "host-at": {"headers": [(b"host", b"user@evil.com")]},
    "host-percent": {"headers": [(b"host", b"ex%41mple.com")]},
    "host-empty": {"headers": [(b"host", b"")]},
    "host-second": {"headers": [(b"x", b"y"), (b"host", b"first.com"), (b"host", b"second.com")]},
    "no-host": {"headers": []},
    "no-host-port": {"headers": [], "server": ("example.com", 8000)},
    "no-host-wss-443": {"headers": [], "scheme": "wss", "server": ("example.com", 443)},
    "no-host-wss-80": {"headers": [], "scheme": "wss", "server": ("example.com", 80)},
    "no-host-ipv6-server": {"headers": [], "server": ("::1", 8000)},
    "no-host-no-server": {"headers": [], "server": None},
    "no-host-no-server-key": {"headers": [], "server": DROP},
    "no-host-no-server-double-slash": {"headers": [], "server": None, "path": "//evil.com/x"},
    "no-host-unknown-scheme": {"headers": [], "scheme": "ftp"},
    "scheme-missing": {"scheme": DROP},
    "wss": {"scheme": "wss"},
    "path-special": {"path": "/a?b#c\\d e/\u2603"},
    "path-double-slash": {"path": "//double/slash"},
    "path-empty": {"path": ""},
    "path-relative": {"path": "relative"},
    "path-tab": {"path": "/a\tb\nc"},
    "query-special": {"query_string": b"q=a%20b&r=%E2%98%83&s=#frag&t=\t"},
    "query-utf8": {"query_string": "x=\u2603".encode()},
    "root-path": {"root_path": "/api", "path": "/api/chat/room"},
    "root-path-slash": {"root_path": "/api/", "path": "/api/chat"},
    "app-root-path": {"root_path": "/api/sub", "app_root_path": "/api", "path": "/api/sub/chat"},
    "app-root-path-empty": {"root_path": "/api", "app_root_path": "", "path": "/api/chat"},
    "headers-tuple": {"headers": ((b"host", b"t.example"),)},
}


@pytest.mark.parametrize("overrides", list(URL_SCOPES.values()), ids=list(URL_SCOPES))
def test_url_and_base_url(websocket_twin: ModuleType, overrides: dict[str, Any]) -> None:
    record = compare(websocket_twin, [], url_ops(), scope=make_scope(**overrides))
    assert record.steps[0][1][0] in ("ok", "raise")


def test_url_is_a_str_fastws_only(websocket_twin: ModuleType) -> None:
    """Deliberate difference: ``url`` is a ``str`` subclass with components."""
    scope = make_scope()
    ours = fast_class(websocket_twin)(fresh(scope))
    theirs = sws.WebSocket(fresh(scope), None, None)  # type: ignore[arg-type]
    assert isinstance(ours.url, str)
    assert ours.url == str(theirs.url)
    assert str(ours.url) == str(theirs.url)
    assert ours.url.components == theirs.url.components
    assert ours.url.path == theirs.url.path == "/chat/room"
    assert isinstance(ours.base_url, str)
    assert str(ours.base_url) == str(theirs.base_url)


host_headers = st.one_of(
    st.none(),
    st.sampled_from(["example.com", "example.com:8000", "[::1]", "[::1]:1", "a:b", "x:99999", "", "h:0", "H.Example"]),
    st.text(st.sampled_from("abcXY09.-:[]%@/?#_~!$&'()*+,;="), max_size=12),
)
servers = st.one_of(
    st.none(),
    st.tuples(st.sampled_from(["example.com", "::1", "127.0.0.1", "", "a@b", "[::2]", "Host"]), st.integers(0, 70000)),
)
paths = st.text(st.sampled_from("/abc?#\\%é☃ \t"), max_size=10)
query_strings = st.text(st.sampled_from("ab=&%+#?/é \t20"), max_size=10).map(lambda s: s.encode())


@settings(max_examples=200, deadline=None)
@given(
    scheme=st.sampled_from(["ws", "wss", "http", "https"]),
    host=host_headers,
    server=servers,
    path=paths,
    root_path=st.sampled_from(["", "/", "/api", "/api/"]),
    app_root_path=st.sampled_from([None, "", "/app"]),
    query_string=query_strings,
)
def test_url_random_scopes(
    scheme: str,
    host: str | None,
    server: tuple[str, int] | None,
    path: str,
    root_path: str,
    app_root_path: str | None,
    query_string: bytes,
) -> None:
    headers = [] if host is None else [(b"host", host.encode("latin-1"))]
    overrides: dict[str, Any] = {
        "scheme": scheme,
        "headers": headers,
        "server": server,
        "path": root_path.rstrip("/") + path,
        "root_path": root_path,
        "query_string": query_string,
    }
    if app_root_path is not None:
        overrides["app_root_path"] = app_root_path
    scope = make_scope(**overrides)
    for websocket_twin in live_websocket_twins():
        compare(websocket_twin, [], url_ops(), scope=scope)


# ================================================================== url_for


async def _noop_endpoint(websocket: Any) -> None:  # pragma: no cover - never served
    pass


ROUTER = Router(
    routes=[
        WebSocketRoute("/items/{item_id:int}", _noop_endpoint, name="item"),
        Mount("/sub", routes=[WebSocketRoute("/ws/{name}", _noop_endpoint, name="subws")], name="sub"),
    ]
)


class FakeApp:
    def url_path_for(self, name: str, /, **params: Any) -> Any:
        return ROUTER.url_path_for(name, **params)


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"router": ROUTER},
        {"app": FakeApp()},
        {"router": ROUTER, "root_path": "/api", "path": "/api/x"},
        {"router": ROUTER, "root_path": "/api/sub", "app_root_path": "/api", "path": "/api/sub/x"},
        {"router": ROUTER, "headers": [], "server": None},
        {"router": None, "app": None},
    ],
    ids=["none", "router", "app", "root_path", "app_root_path", "no-host", "both-None"],
)
def test_url_for(websocket_twin: ModuleType, overrides: dict[str, Any]) -> None:
    ops = [
        do("item", lambda ws: url_view(ws.url_for("item", item_id=7))),
        do("mounted", lambda ws: url_view(ws.url_for("sub:subws", name="caf\xe9 x"))),
        do("missing", lambda ws: ws.url_for("nope", x=1)),
        do("bad param", lambda ws: ws.url_for("item")),
    ]
    record = compare(websocket_twin, [], ops, scope=make_scope(**overrides))
    assert raised(record)

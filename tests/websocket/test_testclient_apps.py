"""Real ASGI apps on ``fastws.WebSocket``, driven by Starlette's ``TestClient``.

Each test builds the same app body twice, once on
``starlette.websockets.WebSocket`` and once on fastws' class (bound to each
twin), drives both with the same client script, and asserts that everything
observed is equal: what the client receives (messages, close codes and
reasons, denial responses, negotiated subprotocol and headers) and what the
app recorded about itself (exceptions it caught, connection data). Starlette
is the oracle; nothing expected is hard-coded beyond sanity checks that the
script really exercised something.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import AsyncIterator, Callable
from types import ModuleType
from typing import Any

import pytest
from starlette import websockets as sws
from starlette.applications import Starlette
from starlette.authentication import AuthCredentials, AuthenticationBackend, SimpleUser
from starlette.exceptions import StarletteDeprecationWarning, WebSocketException
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Mount, WebSocketRoute

with warnings.catch_warnings():
    # Starlette 1.10 prefers httpx2 and warns when it falls back to httpx.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette import testclient as tc

from fastws import websockets as fws
from tests.helpers.twins import websocket_class

TestClient = tc.TestClient
Seen = list[Any]
AppBody = Callable[[Any, Seen], Any]  # async (websocket, seen) -> None


def fast_class(twin: ModuleType) -> type:
    return websocket_class(twin)


def describe(exc: BaseException) -> tuple[Any, ...]:
    """A comparable description of an exception (client or server side)."""
    extra: tuple[Any, ...] = ()
    if isinstance(exc, tc.WebSocketDenialResponse):
        extra = (exc.status_code, exc.headers.multi_items(), exc.content)
    elif hasattr(exc, "code"):
        extra = (exc.code, getattr(exc, "reason", None))
    return ("raise", type(exc).__name__, str(exc), extra)


def attempt(fn: Callable[[], Any]) -> Any:
    try:
        return ("ok", fn())
    except Exception as exc:
        return describe(exc)


def plain_app(cls: type, body: AppBody, seen: Seen) -> Any:
    """A bare ASGI app: ``body(cls(scope, receive, send), seen)``."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "websocket"
        await body(cls(scope, receive, send), seen)

    return app


class Endpoint:
    """A plain ASGI endpoint (a class instance, so the router calls it as ASGI)."""

    def __init__(self, cls: type, body: AppBody, seen: Seen) -> None:
        self.cls = cls
        self.body = body
        self.seen = seen

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await self.body(self.cls(scope, receive, send), self.seen)


def run_both(
    websocket_twin: ModuleType,
    body: AppBody,
    drive: Callable[[Any], Any],
    *,
    build: Callable[[type, AppBody, Seen], Any] = plain_app,
    client_kwargs: dict[str, Any] | None = None,
    lifespan: bool = False,
) -> tuple[Any, Seen]:
    """Serve ``body`` on Starlette's and fastws' WebSocket; assert equal observations.

    ``drive(client)`` is the client script; it returns what the client saw.
    The app records what it saw in ``seen``. Returns Starlette's pair.
    """
    results = []
    for cls in (sws.WebSocket, fast_class(websocket_twin)):
        seen: Seen = []
        app = build(cls, body, seen)
        client = TestClient(app, **(client_kwargs or {}))
        if lifespan:
            with client:
                observed = attempt(lambda: drive(client))
        else:
            observed = attempt(lambda: drive(client))
        results.append((observed, seen))
    (theirs, theirs_seen), (ours, ours_seen) = results
    assert ours == theirs
    assert ours_seen == theirs_seen
    return theirs, theirs_seen


# ========================================================================= echo


async def echo_body(ws: Any, seen: Seen) -> None:
    """Echo in the mode named by ``?kind=``; on disconnect, report and say bye."""
    await ws.accept()
    kind = ws.query_params["kind"]
    count = 0
    try:
        while True:
            if kind == "text":
                await ws.send_text((await ws.receive_text()).upper())
            elif kind == "bytes":
                await ws.send_bytes((await ws.receive_bytes())[::-1])
            elif kind == "json":
                await ws.send_json({"echo": await ws.receive_json()})
            else:
                await ws.send_json({"echo": await ws.receive_json(mode="binary")}, mode="binary")
            count += 1
    except Exception as exc:
        seen.append(describe(exc))
    seen.append((ws.client_state.name, ws.application_state.name, count))
    # The client is gone but our side is open: Starlette still lets us send.
    await ws.send_text(f"bye after {count}")


PAYLOADS: dict[str, list[Any]] = {
    "text": ["hello", "", "caf\xe9 \u2603 \U0001f600"],
    "bytes": [b"abc", b"", b"\x00\xff\x10"],
    "json": [{"a": [1, 2.5, None]}, "str", 3, [], {"u": "\u2603"}],
    "json-binary": [{"a": [1, 2.5, None]}, "str", 3, [], {"u": "\u2603"}],
}


@pytest.mark.parametrize("kind", sorted(PAYLOADS))
def test_echo(websocket_twin: ModuleType, kind: str) -> None:
    def drive(client: Any) -> list[Any]:
        out: list[Any] = []
        with client.websocket_connect(f"/echo?kind={kind}") as ws:
            for payload in PAYLOADS[kind]:
                if kind == "text":
                    ws.send_text(payload)
                    out.append(ws.receive_text())
                elif kind == "bytes":
                    ws.send_bytes(payload)
                    out.append(ws.receive_bytes())
                elif kind == "json":
                    ws.send_json(payload)
                    out.append(ws.receive_json())
                else:
                    ws.send_json(payload, mode="binary")
                    out.append(ws.receive_json(mode="binary"))
            ws.close(1001, "leaving")
            out.append(ws.receive_text())
        return out

    observed, seen = run_both(websocket_twin, echo_body, drive)
    assert observed[0] == "ok" and len(observed[1]) == len(PAYLOADS[kind]) + 1
    assert seen[0][1] == "WebSocketDisconnect" and seen[0][3] == (1001, "leaving")


async def iter_json_body(ws: Any, seen: Seen) -> None:
    await ws.accept()
    total = 0
    async for item in ws.iter_json():
        total += item["n"]
        await ws.send_json({"running": total, "item": item})
    seen.append(("loop ended", ws.client_state.name, ws.application_state.name))
    await ws.send_json({"total": total})


def test_iter_json_loop(websocket_twin: ModuleType) -> None:
    def drive(client: Any) -> list[Any]:
        out = []
        with client.websocket_connect("/numbers") as ws:
            for n in (1, 2, 39):
                ws.send_json({"n": n, "tag": "caf\xe9"})
                out.append(ws.receive_json())
            ws.close()
            out.append(ws.receive_json())
        return out

    observed, seen = run_both(websocket_twin, iter_json_body, drive)
    assert observed[1][-1] == {"total": 42}
    assert seen == [("loop ended", "DISCONNECTED", "CONNECTED")]


async def iter_text_bytes_body(ws: Any, seen: Seen) -> None:
    await ws.accept()
    if ws.query_params["kind"] == "text":
        seen.append([item async for item in ws.iter_text()])
    else:
        seen.append([item async for item in ws.iter_bytes()])
    await ws.send_json(seen[-1] if ws.query_params["kind"] == "text" else len(seen[-1]))


@pytest.mark.parametrize("kind", ["text", "bytes"])
def test_iter_text_and_bytes(websocket_twin: ModuleType, kind: str) -> None:
    def drive(client: Any) -> Any:
        with client.websocket_connect(f"/iter?kind={kind}") as ws:
            for item in ("a", "b", "c"):
                ws.send_text(item) if kind == "text" else ws.send_bytes(item.encode())
            ws.close(1000)
            return ws.receive_json()

    _observed, seen = run_both(websocket_twin, iter_text_bytes_body, drive)
    assert len(seen[0]) == 3


# ================================================================ handshake


async def subprotocol_body(ws: Any, seen: Seen) -> None:
    offered = ws.scope["subprotocols"]
    seen.append((offered, ws.headers.get("sec-websocket-protocol")))
    await ws.accept(subprotocol=offered[-1] if offered else None)
    await ws.send_json({"offered": offered})
    await ws.close()


@pytest.mark.parametrize("subprotocols", [None, ["v1"], ["v1.chat", "v2.chat"]], ids=repr)
def test_subprotocol_negotiation(websocket_twin: ModuleType, subprotocols: list[str] | None) -> None:
    def drive(client: Any) -> Any:
        with client.websocket_connect("/sub", subprotocols=subprotocols) as ws:
            return ws.accepted_subprotocol, ws.receive_json(), attempt(ws.receive_text)

    observed, _ = run_both(websocket_twin, subprotocol_body, drive)
    assert observed[1][0] == (subprotocols[-1] if subprotocols else None)


EXTRA_HEADERS = [(b"x-extra", b"1"), (b"set-cookie", b"a=b")]


def test_accept_with_extra_headers(websocket_twin: ModuleType) -> None:
    async def body(ws: Any, seen: Seen) -> None:
        await ws.accept(headers=EXTRA_HEADERS)
        await ws.close()

    def drive(client: Any) -> Any:
        with client.websocket_connect("/h") as ws:
            return ws.extra_headers, attempt(ws.receive_text)

    observed, _ = run_both(websocket_twin, body, drive)
    assert observed[1][0] == EXTRA_HEADERS


def test_accept_with_headers_mapping_fastws_only(websocket_twin: ModuleType) -> None:
    """Deliberate difference: fastws takes a mapping; the client sees the same as
    Starlette given the equivalent list."""

    async def body(ws: Any, seen: Seen) -> None:
        if isinstance(ws, sws.WebSocket):
            await ws.accept(headers=EXTRA_HEADERS)
        else:
            await ws.accept(headers={"X-Extra": "1", "Set-Cookie": "a=b"})
        await ws.close()

    def drive(client: Any) -> Any:
        with client.websocket_connect("/h") as ws:
            return ws.extra_headers

    observed, _ = run_both(websocket_twin, body, drive)
    assert observed == ("ok", EXTRA_HEADERS)


# ==================================================================== closing


@pytest.mark.parametrize("args", [(), (4001, "bye"), (1011, None), (4002, "caf\xe9")], ids=repr)
def test_close_with_code_and_reason(websocket_twin: ModuleType, args: tuple[Any, ...]) -> None:
    async def body(ws: Any, seen: Seen) -> None:
        await ws.accept()
        seen.append(await ws.receive_text())
        await ws.close(*args)
        seen.append(attempt_sync_state(ws))
        try:
            await ws.send_text("after close")
        except Exception as exc:
            seen.append(describe(exc))

    def drive(client: Any) -> Any:
        with client.websocket_connect("/close") as ws:
            ws.send_text("hi")
            return attempt(ws.receive_text)

    observed, seen = run_both(websocket_twin, body, drive)
    assert observed[1][1] == "WebSocketDisconnect"
    assert seen[-1][1] == "WebSocketDisconnected"


def attempt_sync_state(ws: Any) -> tuple[str, str]:
    return ws.client_state.name, ws.application_state.name


@pytest.mark.parametrize("args", [(), (4403, "nope"), (1008, None)], ids=repr)
def test_close_before_accept(websocket_twin: ModuleType, args: tuple[Any, ...]) -> None:
    async def body(ws: Any, seen: Seen) -> None:
        await ws.close(*args)
        seen.append(attempt_sync_state(ws))

    def drive(client: Any) -> Any:
        with client.websocket_connect("/deny"):
            return "connected"  # pragma: no cover - the handshake is refused

    observed, seen = run_both(websocket_twin, body, drive)
    assert observed[1] == "WebSocketDisconnect"
    assert seen == [("CONNECTING", "DISCONNECTED")]


def test_websocket_close_app(websocket_twin: ModuleType) -> None:
    """``WebSocketClose`` as an ASGI app: fastws' against Starlette's."""

    def drive(client: Any) -> Any:
        with client.websocket_connect("/x"):
            return "connected"  # pragma: no cover

    results = []
    for close_cls in (sws.WebSocketClose, fws.WebSocketClose):
        for args in ((), (4000, "r"), (1000, None)):
            results.append((close_cls.__name__, attempt(lambda: drive(TestClient(close_cls(*args))))))
    half = len(results) // 2
    assert results[:half] == results[half:]
    assert all(r[1][1] == "WebSocketDisconnect" for r in results)


# ========================================================== denial responses


def denial(kind: str) -> Response:
    if kind == "plain":
        return PlainTextResponse("denied", status_code=403, headers={"x-why": "policy"})
    if kind == "json":
        return JSONResponse({"detail": "unauthorized"}, status_code=401)
    if kind == "empty":
        return Response(status_code=204)

    async def chunks() -> AsyncIterator[bytes]:
        yield b"slow "
        yield b"down"

    return StreamingResponse(chunks(), status_code=429, headers={"retry-after": "7"})


@pytest.mark.parametrize("kind", ["plain", "json", "empty", "streaming"])
def test_send_denial_response(websocket_twin: ModuleType, kind: str) -> None:
    async def body(ws: Any, seen: Seen) -> None:
        await ws.send_denial_response(denial(kind))
        seen.append(attempt_sync_state(ws))

    def drive(client: Any) -> Any:
        with client.websocket_connect("/deny"):
            return "connected"  # pragma: no cover

    observed, seen = run_both(websocket_twin, body, drive)
    assert observed[1] == "WebSocketDenialResponse"
    assert seen == [("CONNECTING", "DISCONNECTED")]


def test_send_denial_response_after_accept_fails_in_the_app(websocket_twin: ModuleType) -> None:
    async def body(ws: Any, seen: Seen) -> None:
        await ws.accept()
        try:
            await ws.send_denial_response(denial("plain"))
        except Exception as exc:
            seen.append(describe(exc))
        await ws.close(4000)

    def drive(client: Any) -> Any:
        with client.websocket_connect("/deny") as ws:
            return attempt(ws.receive_text)

    _, seen = run_both(websocket_twin, body, drive)
    assert seen[0][1] == "RuntimeError"


def test_app_errors_reach_the_client(websocket_twin: ModuleType) -> None:
    async def body(ws: Any, seen: Seen) -> None:
        if ws.query_params.get("when") == "before":
            await ws.receive_text()  # not accepted: WebSocketDisconnected
        await ws.accept()
        await ws.send_json({1, 2})  # not serializable: TypeError

    for when in ("before", "after"):

        def drive(client: Any, when: str = when) -> Any:
            with client.websocket_connect(f"/err?when={when}") as ws:
                return ws.receive_text()  # pragma: no cover

        observed, _ = run_both(websocket_twin, body, drive)
        assert observed[1] == ("WebSocketDisconnected" if when == "before" else "TypeError")


# ================================================================= in a router


async def report_body(ws: Any, seen: Seen) -> None:
    """Accept and report the connection data as JSON, then close."""
    await ws.accept()
    report: dict[str, Any] = {
        "url": str(ws.url),
        "url_parts": [ws.url.scheme, ws.url.netloc, ws.url.path, ws.url.query, ws.url.port],
        "base_url": str(ws.base_url),
        "path_params": ws.path_params,
        "query": ws.query_params.multi_items(),
        "query_str": str(ws.query_params),
        "headers": ws.headers.items(),
        "cookies": ws.cookies,
        "client": list(ws.client) if ws.client else None,
        "root_path": ws.scope.get("root_path"),
        "app_root_path": ws.scope.get("app_root_path"),
    }
    if "router" in ws.scope:
        for name, params in (("item", {"item_id": 9}), ("api:named", {"name": "z z"})):
            try:
                report[f"url_for {name}"] = str(ws.url_for(name, **params))
            except Exception as exc:
                report[f"url_for {name}"] = list(describe(exc))
    seen.append(sorted(report))
    await ws.send_json(report)
    await ws.close()


def router_app(cls: type, body: AppBody, seen: Seen) -> Any:
    return Starlette(
        routes=[
            WebSocketRoute("/items/{item_id:int}", Endpoint(cls, body, seen), name="item"),
            Mount("/api", routes=[WebSocketRoute("/ws/{name}", Endpoint(cls, body, seen), name="named")], name="api"),
        ]
    )


@pytest.mark.parametrize(
    "path",
    ["/items/42", "/items/7?x=1&x=2&y=%20z", "/api/ws/bob", "/api/ws/caf%C3%A9?q=a+b"],
)
@pytest.mark.parametrize("root_path", ["", "/root"])
def test_router_path_params_and_url(websocket_twin: ModuleType, path: str, root_path: str) -> None:
    def drive(client: Any) -> Any:
        # ASGI: ``path`` includes ``root_path``.
        with client.websocket_connect(root_path + path) as ws:
            return ws.receive_json(), attempt(ws.receive_text)

    observed, _seen = run_both(
        websocket_twin, report_body, drive, build=router_app, client_kwargs={"root_path": root_path}
    )
    assert observed[0] == "ok"
    assert observed[1][0]["path_params"]


def test_router_no_route_closes(websocket_twin: ModuleType) -> None:
    def drive(client: Any) -> Any:
        with client.websocket_connect("/nowhere"):
            return "connected"  # pragma: no cover

    observed, seen = run_both(websocket_twin, report_body, drive, build=router_app)
    assert observed[1] == "WebSocketDisconnect" and seen == []


def test_query_headers_and_cookies(websocket_twin: ModuleType) -> None:
    headers = tc.httpx.Headers(
        [
            ("cookie", "sid=abc; theme=dark"),
            ("cookie", 'q="quoted value"; e="\\"x\\""'),
            ("X-Custom", "One"),
            ("x-custom", "two"),
        ]
    )

    def drive(client: Any) -> Any:
        with client.websocket_connect("/ws?a=1&b=&a=3&sp=x+y&pct=%E2%98%83", headers=headers) as ws:
            return ws.receive_json()

    observed, _ = run_both(websocket_twin, report_body, drive)
    report = observed[1]
    assert report["cookies"] and report["query"]
    assert [v for k, v in report["headers"] if k == "x-custom"] == ["One", "two"]


def test_client_cookies_and_address(websocket_twin: ModuleType) -> None:
    def drive(client: Any) -> Any:
        with client.websocket_connect("/ws") as ws:
            return ws.receive_json()

    observed, _ = run_both(
        websocket_twin,
        report_body,
        drive,
        client_kwargs={
            "cookies": {"token": "t 1"},
            "client": ("203.0.113.5", 4242),
            "base_url": "https://example.org:8443",
        },
    )
    assert observed[1]["client"] == ["203.0.113.5", 4242]


# ================================================= lifespan state and auth


def lifespan_app(cls: type, body: AppBody, seen: Seen) -> Any:
    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[dict[str, Any]]:
        yield {"greeting": "hello", "counter": [0]}

    return Starlette(routes=[WebSocketRoute("/state", Endpoint(cls, body, seen))], lifespan=lifespan)


async def state_body(ws: Any, seen: Seen) -> None:
    await ws.accept()
    ws.state.counter[0] += 1
    ws.state.mine = "set by the app"
    seen.append((ws.state.greeting, ws.scope["state"]["mine"], sorted(ws.scope["state"])))
    try:
        ws.state.missing
    except AttributeError as exc:
        seen.append(str(exc))
    await ws.send_json({"counter": ws.state.counter[0], "greeting": ws.state.greeting})
    await ws.close()


def test_lifespan_state(websocket_twin: ModuleType) -> None:
    def drive(client: Any) -> Any:
        out = []
        for _ in range(2):
            with client.websocket_connect("/state") as ws:
                out.append(ws.receive_json())
        return out

    observed, seen = run_both(websocket_twin, state_body, drive, build=lifespan_app, lifespan=True)
    assert observed[1][-1]["counter"] == 2
    assert len(seen) == 4


class TokenBackend(AuthenticationBackend):
    async def authenticate(self, conn: Any) -> Any:
        token = conn.query_params.get("token")
        if token is None:
            return None
        return AuthCredentials(["authenticated", token]), SimpleUser(f"user-{token}")


def auth_app(cls: type, body: AppBody, seen: Seen) -> Any:
    return Starlette(
        routes=[WebSocketRoute("/auth", Endpoint(cls, body, seen))],
        middleware=[Middleware(AuthenticationMiddleware, backend=TokenBackend())],
    )


async def auth_body(ws: Any, seen: Seen) -> None:
    await ws.accept()
    await ws.send_json(
        {
            "authenticated": ws.user.is_authenticated,
            "name": ws.user.display_name,
            "scopes": ws.auth.scopes,
        }
    )
    try:
        ws.session
    except AssertionError as exc:
        seen.append(str(exc))
    await ws.close()


@pytest.mark.parametrize("query", ["", "?token=abc"])
def test_authentication_middleware(websocket_twin: ModuleType, query: str) -> None:
    def drive(client: Any) -> Any:
        with client.websocket_connect(f"/auth{query}") as ws:
            return ws.receive_json()

    observed, seen = run_both(websocket_twin, auth_body, drive, build=auth_app)
    assert observed[1]["authenticated"] == bool(query)
    assert len(seen) == 1


def exception_app(cls: type, body: AppBody, seen: Seen) -> Any:
    return Starlette(routes=[WebSocketRoute("/exc", Endpoint(cls, body, seen))])


@pytest.mark.parametrize("accept_first", [False, True])
def test_websocket_exception_in_a_starlette_app(websocket_twin: ModuleType, accept_first: bool) -> None:
    async def body(ws: Any, seen: Seen) -> None:
        if accept_first:
            await ws.accept()
        raise WebSocketException(code=4003, reason="forbidden")

    def drive(client: Any) -> Any:
        with client.websocket_connect("/exc") as ws:
            return attempt(ws.receive_text)

    observed, _ = run_both(websocket_twin, body, drive, build=exception_app)
    assert "WebSocketDisconnect" in repr(observed)

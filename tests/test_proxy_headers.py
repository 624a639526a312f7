"""uvicorn's proxy-headers middleware, applied as a connection opens: the scope uvicorn's own stack gives."""

from __future__ import annotations

import asyncio
import gc
import types
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from uvicorn.middleware import proxy_headers
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from fastws.proxy_headers import FORWARDING_HEADERS, app_for
from fastws.wire.handshake import Request
from tests.helpers.properties import FAST
from tests.helpers.serving import TIMEOUT, raw_upgrade, run, serving

FORWARDED = [
    b"X-Forwarded-For: 203.0.113.7, 10.0.0.1\r\nX-Forwarded-Proto: https\r\n",
    b"X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: ftp\r\n",  # not a scheme it takes
    b"X-Forwarded-For: [2001:db8::1]:4000\r\n",
    b"X-Forwarded-For: \r\n",  # empty: the client stays the proxy
    b"",
]


async def _scope_of(ws: str, allow: str, extra: bytes) -> tuple[Any, Any]:
    seen: list[tuple[Any, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append((scope["client"][0], scope["scheme"]))
        await receive()
        await send({"type": "websocket.close"})

    async with serving(app, ws=ws, proxy_headers=True, forwarded_allow_ips=allow) as url:
        _reader, writer, _head = await raw_upgrade(url, extra)
        writer.close()
    return seen[0]


@pytest.mark.parametrize("allow", ["127.0.0.1", "10.0.0.1", "*"])  # the test's client trusted, or not
@pytest.mark.parametrize("extra", FORWARDED)
def test_the_scope_is_what_uvicorns_stack_gives(allow: str, extra: bytes) -> None:
    async def main() -> tuple[Any, Any]:
        ours = await _scope_of("fastws.protocol:WebSocketProtocol", allow, extra)
        theirs = await _scope_of("websockets-sansio", allow, extra)
        return ours, theirs

    ours, theirs = run(main())
    assert ours == theirs


def test_the_middleware_is_not_kept_in_the_await_chain() -> None:
    """While the app waits, no coroutine of uvicorn's middleware is alive: it ran when the connection opened."""
    waiting = asyncio.Event()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        waiting.set()
        await receive()

    async def main() -> list[str]:
        async with serving(app, proxy_headers=True) as url:
            _reader, writer, _head = await raw_upgrade(url)
            await asyncio.wait_for(waiting.wait(), TIMEOUT)
            names = [
                obj.cr_code.co_qualname
                for obj in gc.get_objects()
                if type(obj) is types.CoroutineType and obj.cr_code.co_filename == proxy_headers.__file__
            ]
            writer.close()
            return names

    assert run(main()) == []


def test_a_middleware_that_waits_is_run_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should uvicorn's middleware await something before calling the app, the scope is left alone for it."""

    async def waits_first(self: Any, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await asyncio.sleep(0)
        scope["client"] = ("203.0.113.7", 0)
        await self.app(scope, receive, send)

    async def inner(scope: dict[str, Any], receive: Any, send: Any) -> None:
        pass

    middleware = ProxyHeadersMiddleware(inner)  # type: ignore[arg-type]
    headers = [(b"x-forwarded-for", b"203.0.113.7")]
    request = Request("GET", b"/", headers)
    scope = {"type": "websocket", "client": ("127.0.0.1", 5000), "scheme": "ws", "headers": headers}
    assert app_for(middleware, request, dict(scope), None, None) is inner  # type: ignore[arg-type]
    monkeypatch.setattr(ProxyHeadersMiddleware, "__call__", waits_first)
    kept = dict(scope)
    assert app_for(middleware, request, kept, None, None) is middleware  # type: ignore[arg-type]
    assert kept == scope
    assert app_for(inner, request, kept, None, None) is inner


def test_a_request_without_forwarding_headers_never_runs_the_middleware(monkeypatch: pytest.MonkeyPatch) -> None:
    """A client that connects directly (no forwarding header) costs no run of the middleware's code."""
    calls: list[object] = []
    original = ProxyHeadersMiddleware.__call__

    def counted(self: Any, scope: Any, receive: Any, send: Any) -> Any:
        calls.append(scope.get("client"))
        return original(self, scope, receive, send)

    monkeypatch.setattr(ProxyHeadersMiddleware, "__call__", counted)
    for extra, runs in ((b"", 0), (b"X-Request-Id: 7\r\n", 0), (b"X-Forwarded-Proto: https\r\n", 1)):
        calls.clear()
        scope = run(_scope_of("fastws.protocol:WebSocketProtocol", "127.0.0.1", extra))
        assert len(calls) == runs, extra
        assert scope == ("127.0.0.1", "wss" if runs else "ws")


_NAMES = [*sorted(FORWARDING_HEADERS), b"host", b"x-forwarded", b"x-forwarded-fo", b"via", b"x-request-id"]
_VALUES = [
    b"",
    b"https",
    b"ws",
    b"ftp",
    b"203.0.113.7",
    b"203.0.113.7, 10.0.0.1",
    b"[2001:db8::1]:4000",
    b"for=1.2.3.4",
]


@FAST
@given(
    st.lists(st.tuples(st.sampled_from(_NAMES), st.sampled_from(_VALUES)), max_size=6),
    st.sampled_from(["127.0.0.1", "10.0.0.1", "*", "127.0.0.0/8"]),
    st.sampled_from([("127.0.0.1", 5000), ("10.0.0.1", 80), None]),
)
def test_the_scope_is_the_middlewares_whatever_the_headers(
    headers: list[tuple[bytes, bytes]], allow: str, client: tuple[str, int] | None
) -> None:
    """``app_for``'s scope is the one uvicorn's middleware gives its app, for any mix of headers and clients:
    the skip for a request with no forwarding header is checked against uvicorn's own code."""
    seen: list[dict[str, Any]] = []

    async def inner(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(dict(scope))

    middleware = ProxyHeadersMiddleware(inner, trusted_hosts=allow)  # type: ignore[arg-type]
    scope = {"type": "websocket", "client": client, "scheme": "ws", "headers": headers, "path": "/"}
    theirs = dict(scope)
    with pytest.raises(StopIteration):
        middleware(theirs, None, None).send(None)  # type: ignore[arg-type]
    ours = dict(scope)
    assert app_for(middleware, Request("GET", b"/", headers), ours, None, None) is inner  # type: ignore[arg-type]
    assert ours == seen[0]

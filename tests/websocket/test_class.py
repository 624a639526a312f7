"""Differential: the class itself: construction, read-only properties, deletable attributes, subclass
overrides, what introspection sees, and ``WebSocket(scope)`` without channels (deliberate, fastws only).

Starlette is the oracle (``tests.websocket.harness``).
"""

from __future__ import annotations

import asyncio
import inspect
from types import ModuleType
from typing import Any

import pytest
from starlette import websockets as sws

from tests.websocket.harness import (
    CONNECT,
    DROP,
    Message,
    call,
    compare,
    describe,
    do,
    fast_class,
    make_response,
    make_scope,
    raised,
    run_script,
    text,
)


@pytest.mark.parametrize(
    "scope_type",
    ["http", "lifespan", "WEBSOCKET", None, DROP],
    ids=["http", "lifespan", "upper", "None", "missing"],
)
def test_scope_type_must_be_websocket(websocket_twin: ModuleType, scope_type: Any) -> None:
    record = compare(websocket_twin, [], [call("accept")], scope=make_scope(type=scope_type))
    assert record.steps[0][0] == "construct"


@pytest.mark.parametrize(
    "name",
    [
        "app",
        "path_params",
        "client",
        "session",
        "auth",
        "user",
        "url",
        "headers",
        "query_params",
        "base_url",
        "cookies",
        "state",
    ],
)
def test_properties_are_read_only(websocket_twin: ModuleType, name: str) -> None:
    ops = [
        do(f"read {name}", lambda ws: getattr(ws, name, None) is not None),
        do(f"set {name}", lambda ws: setattr(ws, name, "x")),
        do(f"del {name}", lambda ws: delattr(ws, name)),
        do(f"read {name} again", lambda ws: str(getattr(ws, name, None))[:0]),
    ]
    record = compare(websocket_twin, [], ops, scope=make_scope(session={}, auth="a", user="u", app="app"))
    assert raised(record) == ["AttributeError", "AttributeError"]


@pytest.mark.parametrize("name", ["client_state", "application_state", "scope"])
def test_instance_attributes_can_be_deleted(
    websocket_twin: ModuleType, name: str, request: pytest.FixtureRequest
) -> None:
    if websocket_twin.__name__ == "fastws._websocket_base_c":
        request.applymarker(
            pytest.mark.xfail(
                strict=True,
                reason="compiled WebSocketBase: `del ws.<attr>` stores None instead of removing "
                "the attribute (Starlette: a later read raises AttributeError)",
            )
        )
    ops = [
        do(f"del {name}", lambda ws: delattr(ws, name)),
        do(f"read {name}", lambda ws: getattr(ws, name)),
        do(f"set {name}", lambda ws: setattr(ws, name, "by hand")),
    ]
    record = compare(websocket_twin, [], ops)
    assert raised(record) == ["AttributeError"]


def test_constructor_keywords(websocket_twin: ModuleType) -> None:
    ops = [call("accept"), call("send_text", "x")]
    for build in (
        lambda cls: lambda scope, receive, send: cls(scope=scope, receive=receive, send=send),
        lambda cls: lambda scope, receive, send: cls(scope, send=send, receive=receive),
    ):
        theirs = run_script(build(sws.WebSocket), [CONNECT], ops)
        ours = run_script(build(fast_class(websocket_twin)), [CONNECT], ops)
        assert ours == theirs
        assert theirs.sent


def spying(cls: type) -> type:
    """A subclass overriding ``send``/``receive`` (logging into the scope)."""

    class Spy(cls):  # type: ignore[misc, valid-type]
        async def send(self, message: Message) -> None:
            self.scope.setdefault("spied", []).append(("send", message["type"]))
            await super().send(message)

        async def receive(self) -> Message:
            message = await super().receive()
            self.scope.setdefault("spied", []).append(("receive", message["type"]))
            return message

    return Spy


def test_subclass_overrides_of_send_and_receive_are_used(websocket_twin: ModuleType) -> None:
    ops = [
        call("accept"),
        call("send_text", "t"),
        call("send_bytes", b"b"),
        call("send_json", [1]),
        call("receive_text"),
        call("receive_json"),
        call("close"),
    ]
    incoming = [CONNECT, text("a"), text("[2]")]
    theirs = run_script(spying(sws.WebSocket), incoming, ops)
    ours = run_script(spying(fast_class(websocket_twin)), incoming, ops)
    assert len(theirs.scope_after["spied"]) == 8
    assert ours.scope_after["spied"] == theirs.scope_after["spied"]
    assert ours == theirs


def test_subclass_overrides_used_by_accept_close_and_denial(websocket_twin: ModuleType) -> None:
    """The paths that do go through ``self.send``/``self.receive`` in both."""
    for ops in (
        [call("accept"), call("close")],
        [do("deny", lambda ws: ws.send_denial_response(make_response("plain")))],
        [call("accept"), call("receive")],
    ):
        theirs = run_script(spying(sws.WebSocket), [CONNECT, text("x")], ops)
        ours = run_script(spying(fast_class(websocket_twin)), [CONNECT, text("x")], ops)
        assert theirs.scope_after["spied"]
        assert ours == theirs


PUBLIC_METHODS = [
    "receive",
    "send",
    "accept",
    "close",
    "receive_text",
    "receive_bytes",
    "receive_json",
    "send_text",
    "send_bytes",
    "send_json",
    "iter_text",
    "iter_bytes",
    "iter_json",
    "send_denial_response",
    "url_for",
]


def _shape(fn: Any) -> tuple[Any, ...]:
    """What introspection says about a callable, annotations aside."""
    try:
        params = [(p.name, p.kind.name, p.default) for p in inspect.signature(fn).parameters.values()]
    except (TypeError, ValueError) as exc:
        params = [describe(exc)]
    return (
        inspect.iscoroutinefunction(fn),
        asyncio.iscoroutinefunction(fn),
        inspect.isasyncgenfunction(fn),
        params,
    )


@pytest.mark.parametrize("name", [*PUBLIC_METHODS, "__init__"])
def test_methods_look_the_same_to_introspection(
    websocket_twin: ModuleType, name: str, request: pytest.FixtureRequest
) -> None:
    if websocket_twin.__name__ == "fastws._websocket_base_c" and name == "__init__":
        request.applymarker(
            pytest.mark.xfail(
                strict=True,
                reason="compiled WebSocketBase: inspect.signature(WebSocket) is (*args, **kwargs), "
                "Starlette's is (scope, receive, send)",
            )
        )
    ours_cls = fast_class(websocket_twin)
    theirs = _shape(getattr(sws.WebSocket(make_scope(), None, None), name))  # type: ignore[arg-type]
    ours = _shape(getattr(ours_cls(make_scope()), name))
    if name == "__init__":
        # Deliberate difference: receive and send default to None.
        assert [p[:2] for p in ours[3]] == [p[:2] for p in theirs[3]]
        assert [p[2] for p in ours[3]][1:] == [None, None]
    else:
        assert ours == theirs


@pytest.mark.parametrize(
    "name, args", [("send_text", ("x",)), ("receive", ()), ("accept", ()), ("send_json", ({},))], ids=str
)
def test_calls_return_native_coroutines(
    websocket_twin: ModuleType, name: str, args: tuple[Any, ...], request: pytest.FixtureRequest
) -> None:
    if websocket_twin.__name__ == "fastws._websocket_base_c":
        request.applymarker(
            pytest.mark.xfail(
                strict=True,
                reason="compiled WebSocketBase: its async methods return Cython coroutines, for which "
                "inspect.iscoroutine() is False (True for Starlette's)",
            )
        )

    def kinds(cls: type) -> tuple[Any, ...]:
        ws = cls(make_scope(), None, None)
        coro = getattr(ws, name)(*args)
        try:
            return (inspect.iscoroutine(coro), asyncio.iscoroutine(coro), inspect.isawaitable(coro))
        finally:
            coro.close()

    assert kinds(fast_class(websocket_twin)) == kinds(sws.WebSocket)


# ===================================================== deliberate: no channels


def test_receive_and_send_may_be_omitted_fastws_only(websocket_twin: ModuleType) -> None:
    """Deliberate difference: ``WebSocket(scope)`` works; using a channel raises.

    The errors are those of Starlette's own placeholders (``empty_receive`` and
    ``empty_send``, the defaults of ``Request``), and the states move exactly
    as Starlette's do with those placeholders passed explicitly.
    """
    from starlette import requests as sreq

    def observe(ws: Any) -> list[Any]:
        async def script() -> list[Any]:
            out: list[Any] = []
            for op in (ws.accept, ws.receive, lambda: ws.send({"type": "websocket.accept"}), ws.send_text):
                try:
                    await (op("x") if op == ws.send_text else op())
                    out.append("ok")
                except RuntimeError as exc:
                    out.append((type(exc).__name__, str(exc)))
                out.append((ws.client_state.name, ws.application_state.name))
            return out

        return asyncio.run(script())

    ours = fast_class(websocket_twin)(make_scope())
    theirs = sws.WebSocket(make_scope(), sreq.empty_receive, sreq.empty_send)
    observed = observe(ours)
    assert observed == observe(theirs)
    assert ("RuntimeError", "Receive channel has not been made available") in observed
    assert ("RuntimeError", "Send channel has not been made available") in observed
    assert str(ours.url) == str(theirs.url)

"""The twin selectors: compiled unless FASTWS_NO_EXTENSIONS says otherwise."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import fastws
from fastws import (
    _app_run,
    _headers,
    _json,
    _next_event,
    _protocol_core,
    _read_buffer,
    _socket_transport,
    _url,
    _websocket_base,
    sockets,
)
from fastws.broadcast import message, targets
from fastws.websockets import WebSocket
from fastws.wire import codec, handshake

SELECTORS = [
    _headers,
    _json,
    _url,
    _websocket_base,
    _next_event,
    _app_run,
    _read_buffer,
    _socket_transport,
    _protocol_core,
    codec,
    handshake,
    sockets,
    message,
    targets,
]


def _has_speedups_with(env_value: str | None) -> str:
    env = dict(os.environ)
    env.pop("FASTWS_NO_EXTENSIONS", None)
    if env_value is not None:
        env["FASTWS_NO_EXTENSIONS"] = env_value
    out = subprocess.run(
        [sys.executable, "-c", "import fastws; print(fastws.HAS_SPEEDUPS)"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return out.stdout.strip()


def test_has_speedups_matches_live_modules() -> None:
    every_compiled = all(selector.COMPILED is not None for selector in SELECTORS)
    assert every_compiled == fastws.HAS_SPEEDUPS
    for selector in SELECTORS:
        live = selector.PURE if selector.COMPILED is None else selector.COMPILED
        for name in selector.__all__:
            assert getattr(selector, name) is getattr(live, name), (selector.__name__, name)
    assert fastws.URL is _url.URL
    assert fastws.Headers is _headers.Headers
    assert issubclass(WebSocket, _websocket_base.WebSocketBase)


def test_no_extensions_env_forces_pure() -> None:
    assert _has_speedups_with("1") == "False"


def test_empty_env_value_does_not_force_pure() -> None:
    assert _has_speedups_with("") == _has_speedups_with(None)


@pytest.mark.skipif(os.environ.get("FASTWS_EXPECT_SPEEDUPS") != "1", reason="only where CI built the extension")
def test_compiled_twin_is_live_when_expected() -> None:
    assert fastws.HAS_SPEEDUPS
    for selector in SELECTORS:
        compiled = selector.COMPILED
        assert compiled is not None
        assert compiled.__name__ == selector.PURE.__name__.removesuffix("_py") + "_c"
        assert compiled.__file__.endswith((".so", ".pyd"))


def test_twins_export_the_same_names() -> None:
    assert {selector.__name__: selector.__all__ for selector in SELECTORS} == {
        "fastws._headers": ["Headers", "MutableHeaders"],
        "fastws._json": ["json_dumps", "json_dumps_bytes", "json_loads"],
        "fastws._url": ["URL", "QueryParams", "parse_host_header", "parse_query"],
        "fastws._websocket_base": ["WebSocketBase"],
        "fastws._next_event": ["SENT", "ReadyEvent", "Sent", "pending", "ready", "settle"],
        "fastws._app_run": ["AppRun"],
        "fastws._read_buffer": ["READ_SIZE", "get_buffer", "this_thread"],
        "fastws._socket_transport": ["DEFAULT_HIGH_WATER", "DEFAULT_LOW_WATER", "SocketTransport"],
        "fastws._protocol_core": [
            "KEEPALIVE_TICKS",
            "LARGE_MESSAGE",
            "NO_FD",
            "TASK_NAME",
            "ProtocolCore",
            "deliver_frame_to",
        ],
        "fastws.wire.codec": [
            "CLOSED",
            "CLOSING",
            "DEFAULT_MAX_SIZE",
            "MESSAGE_COST",
            "OPEN",
            "UNMASK_IMPLEMENTATIONS",
            "Connection",
            "build_frame",
            "close_payload",
            "count_sent",
            "counts",
            "is_valid_close_code",
            "unmask",
        ],
        "fastws.wire.handshake": [
            "GUID",
            "MAX_HEADERS",
            "MAX_HEAD_SIZE",
            "MAX_SHARED_LINE",
            "MAX_SHARED_LINES",
            "SHARED_LINES",
            "SHARED_NAMES",
            "HandshakeError",
            "Request",
            "accept_key",
            "accept_response",
            "check_head",
            "check_request",
            "http_response",
            "parse_head",
            "parse_request",
        ],
        "fastws.sockets": [
            "IOV_MAX",
            "ascii_view",
            "recv_into",
            "reset_on_close",
            "send_buffers",
            "send_last",
            "send_now",
            "send_parts",
        ],
        "fastws.broadcast.message": ["Message"],
        "fastws.broadcast.targets": [
            "ENTRY_COST",
            "OVERFLOW_POLICIES",
            "AsgiTarget",
            "Delivery",
            "DirectTarget",
            "QueueTarget",
            "Receiver",
            "Target",
            "deliver_all",
        ],
    }
    for selector in SELECTORS:
        assert selector.PURE.__all__ == selector.__all__
        if selector.COMPILED is not None:
            assert selector.COMPILED.__all__ == selector.__all__
            for name in selector.__all__:
                assert hasattr(selector.COMPILED, name), name

"""``fastws._front``: the rule of what the HTTP side gives fastws' protocol as a WebSocket upgrade."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from fastws._front import websocket_upgrade
from fastws.wire import handshake
from tests.helpers.properties import FAST


@pytest.mark.parametrize(
    ("head", "upgrade"),
    [
        (b"GET /a HTTP/1.1\r\nHost: t\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n\r\n", True),
        (b"GET /a HTTP/1.1\r\nHost: t\r\n\r\n", False),
        (b"POST /a HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n", False),
        (b"GET /a HTTP/1.1\r\nHost: t\r\nUpgrade: h2c\r\nConnection: upgrade\r\n\r\n", False),
        (b"GET /websocket HTTP/1.1\r\nHost: t\r\nConnection: upgrade\r\n\r\n", False),  # the word, not the header
        (b"GET /a HTTP/1.1\r\nUpgrade: websocket\r\nbad line\r\n\r\n", False),  # malformed: for HTTP to answer
        (b"GET /\xc3\xa9 HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n", False),
        (b"GET /a HTTP/1.1\r\nHost: t\r\nUpgrade: websocket, h2c\r\nConnection: upgrade\r\n\r\n", False),
        (b"GET /a HTTP/1.1\r\nHost: t\r\nUpgrade: h2c\r\nUpgrade: WEBSOCKET\r\nConnection: upgrade\r\n\r\n", True),
        (b"GET /a HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: upgrade\r\nConnection: x\r\n\r\n", False),
    ],
)
def test_websocket_upgrade_tells_what_uvicorn_would_upgrade(head: bytes, upgrade: bool) -> None:
    end = handshake.check_head(head)
    request = websocket_upgrade(head + b"frames", end)
    assert (request is not None) is upgrade
    if request is not None:
        assert request.target == b"/a" and request.method == "GET"


TOKENS = ["websocket", "WebSocket", "h2c", "upgrade", "Upgrade", "keep-alive", "close", " websocket", ""]
VALUES = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=3).map(lambda tokens: ",".join(tokens).strip())
LINES = st.lists(st.tuples(st.sampled_from(["Upgrade", "Connection", "X-A"]), VALUES), max_size=4)


@FAST
@given(lines=LINES)
def test_the_upgrade_rule_is_uvicorns(lines: list[tuple[str, str]]) -> None:
    """The same headers through uvicorn's own rule (its HTTP protocols' ``_get_upgrade``): the same answer."""
    head = b"GET /a HTTP/1.1\r\nHost: t\r\n" + b"".join(f"{n}: {v}\r\n".encode() for n, v in lines) + b"\r\n"
    parsed = SimpleNamespace(headers=[(name.lower().encode(), value.encode()) for name, value in lines])
    uvicorn_upgrades = HttpToolsProtocol._get_upgrade(parsed) == b"websocket"  # type: ignore[arg-type]
    assert (websocket_upgrade(head, handshake.check_head(head)) is not None) is uvicorn_upgrades

"""``fastws._front``: the rule of what the HTTP side gives fastws' protocol as a WebSocket upgrade."""

from __future__ import annotations

import pytest

from fastws._front import websocket_upgrade
from fastws.wire import handshake


@pytest.mark.parametrize(
    ("head", "upgrade"),
    [
        (b"GET /a HTTP/1.1\r\nHost: t\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n\r\n", True),
        (b"GET /a HTTP/1.1\r\nHost: t\r\n\r\n", False),
        (b"POST /a HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n", False),
        (b"GET /a HTTP/1.1\r\nHost: t\r\nUpgrade: h2c\r\nConnection: upgrade\r\n\r\n", False),
        (b"GET /websocket HTTP/1.1\r\nHost: t\r\nConnection: upgrade\r\n\r\n", False),  # the word, not the header
        (b"GET /a HTTP/1.1\r\nUpgrade: websocket\r\nbad line\r\n\r\n", False),  # malformed: for HTTP to answer
    ],
)
def test_websocket_upgrade_tells_what_uvicorn_would_upgrade(head: bytes, upgrade: bool) -> None:
    end = handshake.check_head(head)
    request = websocket_upgrade(head + b"frames", end)
    assert (request is not None) is upgrade
    if request is not None:
        assert request.target == b"/a" and request.method == "GET"

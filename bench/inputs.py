"""Realistic inputs shared by every benchmark, kept in one place.

A browser-like WebSocket handshake scope (12 headers, a percent-encoded
query with repeated keys) and JSON/text payloads of 32 B, 4 KiB and 256 KiB.
"""

from __future__ import annotations

import json
from typing import Any

HEADERS = [
    (b"host", b"chat.example.com:8443"),
    (b"user-agent", b"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
    (b"accept", b"*/*"),
    (b"accept-language", b"en-US,en;q=0.5"),
    (b"accept-encoding", b"gzip, deflate, br, zstd"),
    (b"sec-websocket-version", b"13"),
    (b"origin", b"https://chat.example.com"),
    (b"sec-websocket-extensions", b"permessage-deflate"),
    (b"sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ=="),
    (b"connection", b"keep-alive, Upgrade"),
    (b"cookie", b"session=8f14e45fceea167a5a36dedd4bea2543; theme=dark"),
    (b"upgrade", b"websocket"),
]

QUERY_STRING = b"room=caf%C3%A9+lounge&tag=python&tag=asgi&tag=fast&token=abc%2F123%3D%3D&page=2"


def handshake_scope() -> dict[str, Any]:
    """A fresh ASGI websocket scope, as uvicorn builds it for a browser."""
    return {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "scheme": "wss",
        "server": ("10.0.0.5", 8443),
        "client": ("203.0.113.7", 53012),
        "root_path": "",
        "path": "/ws/rooms/lounge",
        "raw_path": b"/ws/rooms/lounge",
        "query_string": QUERY_STRING,
        "headers": list(HEADERS),
        "subprotocols": [],
        "state": {},
        "extensions": {"websocket.http.response": {}},
    }


# A typical chat/market-data message: nested dict, unicode, floats, ints,
# bools, None and a list.
JSON_PAYLOAD: dict[str, Any] = {
    "type": "message",
    "room": "café lounge",
    "user": {"id": 48213, "name": "Zoë Ångström", "admin": False, "avatar": None},
    "text": "Hello everyone 👋 — the build is green again!",
    "ts": 1764067200.123456,
    "prices": [101.25, 99.5, 100.0, 102.75],
    "tags": ["python", "asgi", "websocket"],
    "seq": 902341,
    "ok": True,
}


def _text_of_size(size: int) -> str:
    unit = "fastws ✓ "  # mixes ASCII with one non-ASCII code point
    text = (unit * (size // len(unit.encode()) + 1)).encode()[:size].decode("utf-8", "ignore")
    return text


TEXT_PAYLOADS = {"32B": _text_of_size(32), "4KiB": _text_of_size(4096), "256KiB": _text_of_size(256 * 1024)}


def _json_of_size(size: int) -> Any:
    """A list of JSON_PAYLOAD copies about ``size`` bytes long once encoded."""
    one = len(json.dumps(JSON_PAYLOAD, ensure_ascii=False).encode())
    return [JSON_PAYLOAD] * max(1, size // (one + 1))


JSON_PAYLOADS = {"small": JSON_PAYLOAD, "4KiB": _json_of_size(4096), "256KiB": _json_of_size(256 * 1024)}

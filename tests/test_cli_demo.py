"""``fastws run``: the demo app, and the real server on loopback."""

from __future__ import annotations

import json
import os

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from fastws.demo import app


def test_demo_page_and_echo() -> None:
    client = TestClient(app)
    page = client.get("/")
    assert page.status_code == 200 and "fastws demo" in page.text
    assert client.get("/missing").status_code == 404
    with client.websocket_connect("/ws") as ws:
        ws.send_text("héllo")
        assert ws.receive_text() == "héllo"
        ws.send_bytes(b"\x00\xff")
        assert ws.receive_bytes() == b"\x00\xff"
    with client.websocket_connect("/ws/json") as ws:
        ws.send_text(json.dumps({"a": [1, 2]}))
        reply = ws.receive_json()
        assert reply["echo"] == {"a": [1, 2]} and isinstance(reply["server_time"], float)


def test_demo_rejects_unknown_websocket_paths() -> None:
    with pytest.raises(WebSocketDisconnect) as excinfo:
        with TestClient(app).websocket_connect("/nope") as ws:
            ws.receive_text()
    assert excinfo.value.code == 1008


def test_demo_chat_room_reaches_every_member() -> None:
    with TestClient(app) as client:  # the lifespan connects the demo's Broadcast (memory://)
        with client.websocket_connect("/chat") as alice, client.websocket_connect("/chat") as bob:
            assert alice.receive_json()["joined"] == "demo-chat" and bob.receive_json()["joined"] == "demo-chat"
            alice.send_text("hi all")
            for member in (alice, bob):
                got = member.receive_json()
                assert got["text"] == "hi all" and got["worker"] == os.getpid()
            bob.send_text("x" * 5000)
            assert len(alice.receive_json()["text"]) == 1000  # the demo trims long lines

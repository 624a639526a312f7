"""``fastws run``: the demo app, and the real server on loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from fastws.cli import _parser
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


def test_cli_defaults_to_the_demo() -> None:
    args = _parser().parse_args(["run"])
    assert (args.app, args.host, args.port) == ("fastws.demo:app", "127.0.0.1", 8000)
    args = _parser().parse_args(["run", "pkg.mod:app", "--port", "9001", "--ws-max-size", "1024"])
    assert (args.app, args.port, args.ws_max_size) == ("pkg.mod:app", 9001, 1024)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_fastws_run_serves_the_demo_on_loopback() -> None:
    from websockets.sync.client import connect

    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "fastws", "run", "--port", str(port), "--log-level", "warning"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError(f"server did not start: {server.stderr.read()!r}") from None  # type: ignore[union-attr]
                time.sleep(0.1)
        with connect(f"ws://127.0.0.1:{port}/ws", open_timeout=5, close_timeout=2) as ws:
            ws.send("over the wire ✓")
            assert ws.recv(timeout=5) == "over the wire ✓"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
    assert b"(ws: fastws)" in server.stderr.read()  # type: ignore[union-attr]  # on fastws' own wire layer


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


def test_fastws_run_rejects_an_unknown_broadcast_url(capsys: pytest.CaptureFixture[str]) -> None:
    from fastws.cli import main

    assert main(["run", "--broadcast", "kafka://x"]) == 2
    assert "no broadcast backend for kafka://" in capsys.readouterr().err

"""The built-in demo app ``fastws run`` serves when no app is given.

``/`` is a small page to try it in a browser; ``/ws`` echoes every text and
binary message; ``/ws/json`` echoes JSON with a server timestamp. It is a
plain ASGI app written with ``fastws.WebSocket``.
"""

from __future__ import annotations

import time
from typing import Any

from .websockets import WebSocket, WebSocketDisconnect

PAGE = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>fastws demo</title>
<style>body{font:15px system-ui;margin:2em;max-width:40em}#log{white-space:pre-wrap;
border:1px solid #ccc;padding:.5em;min-height:10em}</style></head>
<body><h1>fastws demo</h1><p>An echo over <code>/ws</code>.</p>
<form id="f"><input id="m" autocomplete="off" value="hello, fastws"><button>send</button></form>
<div id="log"></div>
<script>
const log = (t) => { document.getElementById("log").textContent += t + "\\n"; };
const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
ws.onopen = () => log("connected");
ws.onmessage = (e) => log("echo: " + e.data);
ws.onclose = (e) => log("closed " + e.code);
document.getElementById("f").onsubmit = (e) => { e.preventDefault();
  ws.send(document.getElementById("m").value); };
</script></body></html>
"""


async def _echo(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("text") is not None:
                await websocket.send_text(message["text"])
            else:
                await websocket.send_bytes(message["bytes"])
    except WebSocketDisconnect:
        return


async def _echo_json(websocket: WebSocket) -> None:
    await websocket.accept()
    async for data in websocket.iter_json():
        await websocket.send_json({"echo": data, "server_time": time.time()})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The demo ASGI application."""
    if scope["type"] == "websocket":
        websocket = WebSocket(scope, receive, send)
        if scope["path"] == "/ws":
            await _echo(websocket)
        elif scope["path"] == "/ws/json":
            await _echo_json(websocket)
        else:
            await websocket.close(code=1008)
    elif scope["type"] == "http":
        found = scope["path"] == "/"
        await send(
            {
                "type": "http.response.start",
                "status": 200 if found else 404,
                "headers": [(b"content-type", b"text/html; charset=utf-8" if found else b"text/plain")],
            }
        )
        await send({"type": "http.response.body", "body": PAGE if found else b"Not Found"})
    elif scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

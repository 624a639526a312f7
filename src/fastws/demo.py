"""The built-in demo app ``fastws run`` serves when no app is given.

``/`` is a small page to try it in a browser; ``/ws`` echoes every text and
binary message; ``/ws/json`` echoes JSON with a server timestamp; ``/chat``
is a chat room: every text a member sends goes to every member, through
``fastws.Broadcast`` (``memory://``, or the ``--broadcast`` URL of
``fastws run``, so that with Redis the room spans every worker process).
It is a plain ASGI app written with ``fastws.WebSocket``.
"""

from __future__ import annotations

import os
import time
from typing import Any

from .broadcast import Broadcast
from .websockets import WebSocket, WebSocketDisconnect

ROOM = "demo-chat"
hub = Broadcast()  # FASTWS_BROADCAST (set by ``fastws run --broadcast``), else memory://

PAGE = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>fastws demo</title>
<style>body{font:15px system-ui;margin:2em;max-width:40em}#log{white-space:pre-wrap;
border:1px solid #ccc;padding:.5em;min-height:10em}</style></head>
<body><h1>fastws demo</h1><p>A chat room over <code>/chat</code> (open this page twice);
an echo is at <code>/ws</code>.</p>
<form id="f"><input id="m" autocomplete="off" value="hello, fastws"><button>send</button></form>
<div id="log"></div>
<script>
const log = (t) => { document.getElementById("log").textContent += t + "\\n"; };
const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/chat");
ws.onopen = () => log("joined the room");
ws.onmessage = (e) => { const m = JSON.parse(e.data);
  log(m.text !== undefined ? m.from + " (worker " + m.worker + "): " + m.text : JSON.stringify(m)); };
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


async def _chat(websocket: WebSocket) -> None:
    """Join the room: every text sent is published to every member, on every worker."""
    await websocket.accept()
    member = f"{websocket.client.host}:{websocket.client.port}" if websocket.client else "someone"
    async with hub.subscribe(ROOM, websocket):
        await websocket.send_json({"joined": ROOM, "worker": os.getpid()})
        async for text in websocket.iter_text():
            await hub.publish_json(ROOM, {"from": member, "worker": os.getpid(), "text": text[:1000]})


def _tell_room(notice: str) -> None:
    hub.deliver_local_json(ROOM, {"notice": notice, "worker": os.getpid()})


hub.on_backend_disconnect = lambda: _tell_room("the room's backend is unreachable: messages may be missed")
hub.on_backend_reconnect = lambda: _tell_room("the room's backend is back: messages may have been missed")


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The demo ASGI application."""
    if scope["type"] == "websocket":
        websocket = WebSocket(scope, receive, send)
        if scope["path"] == "/ws":
            await _echo(websocket)
        elif scope["path"] == "/ws/json":
            await _echo_json(websocket)
        elif scope["path"] == "/chat":
            await _chat(websocket)
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
                try:
                    await hub.connect()
                except Exception as error:  # noqa: BLE001 - reported to the server, which stops
                    await send({"type": "lifespan.startup.failed", "message": f"broadcast: {error}"})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await hub.disconnect()
                await send({"type": "lifespan.shutdown.complete"})
                return

"""The built-in demo app ``fastws run`` serves when no app is given.

``/`` is a page to try it in a browser: a chat room and an echo panel.
``/ws`` echoes every text and binary message; ``/ws/json`` echoes JSON with
a server timestamp; ``/chat`` is a chat room, through ``fastws.Broadcast``
(``memory://``, or the ``--broadcast`` URL of ``fastws run``, so that with
Redis the room spans every worker process). It is a plain ASGI app written
with ``fastws.WebSocket``.

The chat protocol. A member connects to ``/chat`` (``?name=ann`` picks a
name, else it is the client's address; ``&since=<pos>`` resumes, below)
and sends text messages, each a chat line. The server sends JSON objects,
each with a ``type``:

- ``{"type": "hello", "room": ROOM, "you": name, "worker": pid}``: to the
  member who connected, first;
- ``{"type": "joined", "who": name, "worker": pid}`` and ``{"type": "left",
  ...}``: to the room, when a member comes and goes (a member gets its
  own ``joined``: from then on it receives all that is published);
- ``{"type": "message", "who": name, "text": text, "worker": pid}``: to the
  room, a member's line (at most ``MAX_TEXT`` characters);
- ``{"type": "notice", "text": text, "worker": pid}``: from the server, not
  a member: to a member whose line did not reach the whole room (the
  room's backend is unreachable), and to every member on a worker when
  that worker loses the backend and when it is back.

``worker`` is the process id of the worker that sent the object. A failed
publish never ends a member's connection: the member is told, and stays.
Only joining can fail: the first member on a worker while Redis is down is
told, and closed with 1013 (try again later).

The room keeps its last ``HISTORY`` messages for an hour: every
``joined``, ``left`` and ``message`` carries its position (``"pos"``). A
member that comes back with ``?since=<the last pos it got>`` first receives
what it missed, then a ``notice`` that it is back, then the live messages;
if the room's history no longer covers the gap (away too long, or the
history was lost: a restart on ``memory://``), a ``notice`` says so plainly
and it gets the live messages only. The page does this by itself when its
connection drops.
"""

from __future__ import annotations

import os
import time
from typing import Any

from .broadcast import BackendUnavailable, Broadcast, BroadcastError, History, HistoryGap, InvalidPosition
from .websockets import WebSocket, WebSocketDisconnect
from .wire.rfc6455 import CloseCode

ROOM = "demo-chat"
MAX_TEXT = 1000  # characters of a chat line; the rest is cut
MAX_NAME = 40
HISTORY = History(size=1000, ttl=3600.0)  # what a member coming back can still get
GAPS = {
    "expired": "you were away too long: the messages you missed are gone",
    "epoch": "the room's history was lost (a server restarted): the messages you missed are gone",
}
TRY_AGAIN_LATER = CloseCode.TRY_AGAIN_LATER

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>fastws demo</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;color:#222;max-width:64em;margin:2em auto;padding:0 1em}
main{display:flex;flex-wrap:wrap;gap:1.5em}
section{flex:1 1 24em;min-width:0}
h2{font-size:1.1em;margin:0}
h2 code{font-weight:normal;color:#666}
.log{height:22em;overflow-y:auto;border:1px solid #ccc;border-radius:4px;padding:.4em .6em;margin:.5em 0}
.log p{margin:.15em 0;overflow-wrap:anywhere}
.who{font-weight:600}
.you .who{color:#0a58ca}
.pid{color:#999;font-size:.75em;margin-left:.5em}
.event{color:#666;font-style:italic}
.system{color:#7a4b00;background:#fff4d6;border-radius:3px;padding:0 .3em}
form{display:flex;gap:.4em}
input{flex:1;font:inherit;padding:.3em}
</style></head>
<body>
<h1>fastws demo</h1>
<p>Open this page in two tabs to chat between them (<code>/?name=ann</code> picks a name).
With <code>fastws run --broadcast redis://...</code> the room spans every worker process.
If the connection drops (stop the server, start it again), the page comes back and shows what it missed.</p>
<main>
<section><h2>Chat room <code>/chat</code></h2>
<div id="chat-log" class="log" aria-live="polite"></div>
<form id="chat-form"><input id="chat-input" autocomplete="off" placeholder="Say something" required>
<button>Send</button></form></section>
<section><h2>Echo <code>/ws</code></h2>
<div id="echo-log" class="log" aria-live="polite"></div>
<form id="echo-form"><input id="echo-input" autocomplete="off" placeholder="Text to echo" required>
<button>Send</button></form></section>
</main>
<script>
"use strict";
const base = (location.protocol === "https:" ? "wss://" : "ws://") + location.host;
const $ = (id) => document.getElementById(id);

// A line in a log, from [text, class] parts: text only ever goes in as textContent.
function line(log, kind, parts) {
  const p = document.createElement("p");
  p.className = kind;
  for (const [text, cls] of parts) {
    const span = document.createElement("span");
    span.textContent = text;
    if (cls) span.className = cls;
    p.append(span);
  }
  const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
  log.append(p);
  if (atEnd) log.scrollTop = log.scrollHeight;  // follow new lines, unless the reader scrolled up
}

// A form that sends its input's text on a socket (socket(): the current one), then clears the input.
function sendFrom(form, input, socket, log, sent) {
  form.onsubmit = (e) => {
    e.preventDefault();
    const ws = socket();
    if (ws.readyState !== WebSocket.OPEN) return line(log, "system", [["not connected"]]);
    ws.send(input.value);
    if (sent) sent(input.value);
    input.value = "";
  };
}

const closed = (log) => (e) => line(log, "system", [["disconnected (" + e.code + (e.reason ? ": " + e.reason : "") + ")"]]);

const chatLog = $("chat-log");
const name = new URLSearchParams(location.search).get("name");
let me = null, lastPos = null, retry = 0, chat = null;

// Join the room; after a drop, join again from the last position seen: the room sends what was missed.
function join() {
  const query = [name ? "name=" + encodeURIComponent(name) : "", lastPos ? "since=" + lastPos : ""];
  const q = query.filter(Boolean).join("&");
  chat = new WebSocket(base + "/chat" + (q ? "?" + q : ""));
  chat.onmessage = received;
  chat.onopen = () => { retry = 0; };
  chat.onclose = (e) => {
    closed(chatLog)(e);
    const delay = Math.min(10000, 500 * 2 ** retry++);
    line(chatLog, "system", [["reconnecting in " + delay / 1000 + " s"]]);
    setTimeout(join, delay);
  };
}

function received(e) {
  const m = JSON.parse(e.data);
  if (m.pos) lastPos = m.pos;
  const pid = ["worker " + m.worker, "pid"];
  if (m.type === "hello") {
    me = m.you;
    line(chatLog, "event", [["you are " + m.you + " in " + m.room], pid]);
  } else if (m.type === "joined" || m.type === "left") {
    line(chatLog, "event", [[m.who, "who"], [" " + m.type + (m.who === me ? " (you)" : "")], pid]);
  } else if (m.type === "message") {
    line(chatLog, m.who === me ? "you" : "", [[m.who, "who"], [": " + m.text], pid]);
  } else if (m.type === "notice") {
    line(chatLog, "system", [[m.text], pid]);
  }
}
join();
sendFrom($("chat-form"), $("chat-input"), () => chat, chatLog);

const echoLog = $("echo-log");
const echo = new WebSocket(base + "/ws");
echo.onmessage = (e) => line(echoLog, "", [["\u2190 ", "pid"], [e.data]]);
echo.onclose = closed(echoLog);
sendFrom($("echo-form"), $("echo-input"), () => echo, echoLog, (text) => line(echoLog, "event", [["\u2192 ", "pid"], [text]]));
</script></body></html>
""".encode()


def _event(kind: str, **fields: Any) -> dict[str, Any]:
    """One object of the chat protocol (see the module docstring)."""
    return {"type": kind, **fields, "worker": os.getpid()}


def _tell_room(text: str) -> None:
    """A notice to this worker's members (the backend hooks: other workers cannot be reached)."""
    hub.deliver_local_json(ROOM, _event("notice", text=text))


hub = Broadcast(  # FASTWS_BROADCAST (set by ``fastws run --broadcast``), else memory://
    history=HISTORY,
    on_backend_disconnect=lambda: _tell_room("the room's backend is unreachable: messages may be missed"),
    on_backend_reconnect=lambda: _tell_room("the room's backend is back: messages may have been missed"),
)


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


async def _publish(event: dict[str, Any], sender: WebSocket | None = None) -> None:
    """Publish ``event`` to the room; if the hub cannot, tell ``sender`` (if any) rather than fail."""
    try:
        await hub.publish_json(ROOM, event, position_key="pos")
    except BackendUnavailable:
        hub.deliver_local_json(ROOM, event)  # this worker's members still get it (without a position)
        notice = "not delivered beyond this worker: the room's backend is unreachable"
    except BroadcastError as error:  # e.g. the hub disconnected: the server is shutting down
        notice = f"not delivered: {error}"
    else:
        return
    if sender is not None:
        await sender.send_json(_event("notice", text=notice))


async def _chat(websocket: WebSocket) -> None:
    """A member of the room: each text it sends goes to every member, on every worker."""
    await websocket.accept()
    client = websocket.client
    name = websocket.query_params.get("name", "").strip()[:MAX_NAME]
    name = name or (f"{client.host}:{client.port}" if client else "someone")
    await websocket.send_json(_event("hello", room=ROOM, you=name))  # before any of the room's messages
    since = websocket.query_params.get("since") or None

    async def missed_too_much(gap: HistoryGap) -> None:
        nonlocal since
        since = None  # no "back" notice: this one says what happened
        await websocket.send_json(_event("notice", text=GAPS.get(gap.reason, f"cannot catch up: {gap}")))

    try:
        try:
            await hub.subscribe(ROOM, websocket, since=since, on_gap=missed_too_much)
        except InvalidPosition:
            await websocket.send_json(_event("notice", text="that is no position of this room: new messages only"))
            since = None
            await hub.subscribe(ROOM, websocket)
    except BackendUnavailable:  # the first member on this worker, while Redis is down
        await websocket.send_json(_event("notice", text="cannot join: the room's backend is unreachable"))
        await websocket.close(TRY_AGAIN_LATER, "the room's backend is unreachable")
        return
    if since is not None:
        await websocket.send_json(_event("notice", text="back: what you missed is above"))
    await _publish(_event("joined", who=name), websocket)
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None:
                await websocket.send_json(_event("notice", text="the room takes text messages, not binary"))
            else:
                await _publish(_event("message", who=name, text=text[:MAX_TEXT]), websocket)
    except WebSocketDisconnect:
        pass
    finally:
        await hub.unsubscribe(ROOM, websocket)
        await _publish(_event("left", who=name))


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
            await websocket.close(code=CloseCode.POLICY_VIOLATION)
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

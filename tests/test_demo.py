"""``fastws.demo``: the page, the echo endpoints, and the chat room's protocol (see its docstring).

The chat tests drive the app with Starlette's ``TestClient`` (the lifespan
connects the demo's hub); a hub on a backend that fails stands for Redis
down. ``test_a_redis_outage_drops_no_member`` runs ``fastws run --broadcast``
on a real Redis it stops and starts (skipped without ``redis-server``), and
``test_the_page_script`` runs the page's script in Node against a stub DOM
(skipped without ``node``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

import fastws.broadcast.hub
from fastws import demo
from fastws.broadcast import BackendUnavailable, Broadcast, Position
from fastws.broadcast.history import Page
from fastws.demo import app
from tests.helpers.processes import serving_command
from tests.helpers.redis_server import RedisServer

TIMEOUT = 10


def test_page_and_echo() -> None:
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


def test_unknown_websocket_paths_are_rejected() -> None:
    with pytest.raises(WebSocketDisconnect) as excinfo, TestClient(app).websocket_connect("/nope") as ws:
        ws.receive_text()
    assert excinfo.value.code == 1008


def test_members_see_each_other_come_speak_and_go() -> None:
    pid = os.getpid()
    with TestClient(app) as client, client.websocket_connect("/chat?name=ann") as ann:
        assert ann.receive_json() == {"type": "hello", "room": "demo-chat", "you": "ann", "worker": pid}
        assert _plain(ann.receive_json()) == {"type": "joined", "who": "ann", "worker": pid}
        with client.websocket_connect("/chat") as bob:  # no name: the client's address
            hello = bob.receive_json()
            assert hello["type"] == "hello" and hello["you"] == "testclient:50000"
            joined = {"type": "joined", "who": "testclient:50000", "worker": pid}
            assert _plain(bob.receive_json()) == joined and _plain(ann.receive_json()) == joined
            bob.send_text("hi <b>ann</b>")
            said = {"type": "message", "who": "testclient:50000", "text": "hi <b>ann</b>", "worker": pid}
            assert _plain(ann.receive_json()) == said and _plain(bob.receive_json()) == said
            ann.send_text("x" * 5000)
            assert len(bob.receive_json()["text"]) == demo.MAX_TEXT  # long lines are cut
            assert len(ann.receive_json()["text"]) == demo.MAX_TEXT
            bob.send_bytes(b"\x00")  # not a chat line: bob is told, and stays
            assert bob.receive_json()["type"] == "notice"
            bob.send_text("still here")
            assert ann.receive_json()["text"] == "still here" and bob.receive_json()["text"] == "still here"
        assert _plain(ann.receive_json()) == {"type": "left", "who": "testclient:50000", "worker": pid}


def _plain(event: dict[str, Any]) -> dict[str, Any]:
    """A room event without its position (checked to be there: the room keeps history)."""
    assert isinstance(event.pop("pos", None), str), event
    return event


class FlakyBackend:
    """A remote backend (as Redis) that can be switched off: then every publish raises ``BackendUnavailable``."""

    def __init__(self) -> None:
        self.down = False
        self.published: list[Any] = []
        self.subscribed: set[str] = set()

    async def connect(self, listener: Any) -> None:
        self.listener = listener

    async def disconnect(self) -> None:
        pass

    async def subscribe(self, channel: str) -> None:
        if channel not in self.subscribed:  # as Redis: a channel this process has needs no round trip
            if self.down:
                raise BackendUnavailable("Redis did not confirm the subscription in time")
            self.subscribed.add(channel)

    async def unsubscribe(self, channel: str) -> None:
        self.subscribed.discard(channel)

    async def publish(self, channel: str, message: Any) -> None:
        if self.down:
            raise BackendUnavailable("cannot publish to Redis at flaky://: Connection refused")
        self.published.append(json.loads(message.data))

    async def publish_kept(self, channel: str, message: Any, history: Any) -> Position:
        """As Redis does for a channel that keeps history: position it, and deliver it here too."""
        if self.down:
            raise BackendUnavailable("cannot publish to Redis at flaky://: Connection refused")
        placed = message.at(Position(channel, len(self.published) + 1, "f1a4"))
        self.published.append(json.loads(placed.data))
        self.listener.deliver(channel, placed)
        return placed.position  # type: ignore[no-any-return]

    async def read(self, channel: str, after: int, history: Any) -> Page:
        return Page("f1a4", len(self.published), [])  # nothing kept: resuming reports a gap


@pytest.fixture
def flaky(monkeypatch: pytest.MonkeyPatch) -> Iterator[FlakyBackend]:
    """The demo's hub, on a ``FlakyBackend``."""
    backend = FlakyBackend()
    monkeypatch.setattr(fastws.broadcast.hub, "backend_for", lambda url, **options: backend)
    monkeypatch.setattr(demo, "hub", Broadcast("flaky://", history=demo.HISTORY))
    yield backend


def _by_type(*got: dict[str, Any]) -> list[dict[str, Any]]:
    """Received objects, notices last: a notice to the sender may overtake the room's copy on the ASGI path."""
    return sorted(got, key=lambda m: m["type"] == "notice")


def test_a_failed_publish_tells_the_sender_who_stays_connected(flaky: FlakyBackend) -> None:
    with TestClient(app) as client, client.websocket_connect("/chat?name=ann") as ann:
        assert [ann.receive_json()["type"] for _ in range(2)] == ["hello", "joined"]
        flaky.down = True
        ann.send_text("while down")
        message, notice = _by_type(ann.receive_json(), ann.receive_json())
        assert message["text"] == "while down"  # the hub still delivers to this worker's members: ann herself
        assert "not delivered" in notice["text"] and "unreachable" in notice["text"]
        ann.send_text("again")  # the connection is still open and still served
        message, notice = _by_type(ann.receive_json(), ann.receive_json())
        assert message["text"] == "again" and "unreachable" in notice["text"]
        flaky.down = False
        ann.send_text("after")
        assert ann.receive_json()["text"] == "after"
        assert _plain(flaky.published[-1]) == {"type": "message", "who": "ann", "text": "after", "worker": os.getpid()}
        with client.websocket_connect("/ws") as echo:  # and the rest of the app is unaffected
            echo.send_text("echo")
            assert echo.receive_text() == "echo"


def test_a_failed_join_or_leave_drops_no_one(flaky: FlakyBackend) -> None:
    with TestClient(app) as client, client.websocket_connect("/chat?name=ann") as ann:
        assert [ann.receive_json()["type"] for _ in range(2)] == ["hello", "joined"]
        flaky.down = True
        with client.websocket_connect("/chat?name=bob") as bob:
            assert bob.receive_json()["type"] == "hello"
            joined, notice = _by_type(bob.receive_json(), bob.receive_json())
            assert joined["type"] == "joined" and "unreachable" in notice["text"]
            assert ann.receive_json()["who"] == "bob"  # ann is on bob's worker: she sees him anyway
        left = {"type": "left", "who": "bob", "worker": os.getpid()}  # delivered here only: no position
        assert ann.receive_json() == left
        ann.send_text("still here")
        message, notice = _by_type(ann.receive_json(), ann.receive_json())
        assert message["text"] == "still here" and notice["type"] == "notice"


def test_the_first_member_on_a_worker_cannot_join_while_the_backend_is_down(flaky: FlakyBackend) -> None:
    flaky.down = True
    with TestClient(app) as client, client.websocket_connect("/chat") as ann:
        assert ann.receive_json()["type"] == "hello"
        assert "cannot join" in ann.receive_json()["text"]
        with pytest.raises(WebSocketDisconnect) as excinfo:
            ann.receive_json()
        assert excinfo.value.code == 1013  # try again later


def test_the_page_has_a_chat_and_an_echo_panel_and_clears_its_input() -> None:
    page = TestClient(app).get("/").text
    for element in ('id="chat-form"', 'id="chat-input"', 'id="chat-log"', 'id="echo-form"', 'id="echo-input"'):
        assert element in page
    assert '"/ws"' in page and '"/chat"' in page
    assert 'input.value = ""' in page  # cleared after sending
    assert "textContent" in page and "innerHTML" not in page  # user text is never parsed as HTML
    assert "http://" not in page and "https://" not in page  # self-contained: no external assets


# The page's script against a stub DOM: elements that record their children
# and text, and WebSockets that record what is sent.
PAGE_HARNESS = r"""
const html = require("fs").readFileSync(0, "utf8");
const script = html.split("<script>")[1].split("</script>")[0];
const ids = new Set([...html.matchAll(/id="([^"]+)"/g)].map((m) => m[1]));
class Element {
  constructor() { this.children = []; this.className = ""; this.text = ""; this.value = "";
    this.scrollTop = 0; this.clientHeight = 0; this.scrollHeight = 0; }
  append(child) { this.children.push(child); }
  set textContent(text) { this.text = String(text); }
  get textContent() { return this.text + this.children.map((c) => c.textContent).join(""); }
  set innerHTML(html) { throw new Error("innerHTML used"); }
}
const elements = {};
const document = {
  getElementById: (id) => (ids.has(id) ? (elements[id] ??= new Element()) : null),
  createElement: () => new Element(),
};
const sockets = {};
class WebSocket {
  static OPEN = 1;
  constructor(url) { this.readyState = WebSocket.OPEN; this.sent = []; sockets[url] = this; }
  send(data) { this.sent.push(data); }
}
const location = { protocol: "http:", host: "127.0.0.1:8000", search: "?name=ann" };
const timers = [];
const setTimeout = (f, ms) => timers.push([f, ms]);
require("vm").runInNewContext(script, { document, WebSocket, location, URLSearchParams, JSON, Math, setTimeout });
const chat = sockets["ws://127.0.0.1:8000/chat?name=ann"], echo = sockets["ws://127.0.0.1:8000/ws"];
for (const event of [
  { type: "hello", room: "demo-chat", you: "ann", worker: 1 },
  { type: "joined", who: "bob", worker: 2 },
  { type: "message", who: "bob", text: "<img src=x onerror=alert(1)>", worker: 2 },
  { type: "notice", text: "not delivered beyond this worker", worker: 1 },
  { type: "left", who: "bob", worker: 2, pos: "7.ab12.0000beef" },
]) chat.onmessage({ data: JSON.stringify(event) });
chat.onclose({ code: 1006, reason: "" });  // dropped: it joins again from the last position, after a delay
const [rejoin, delay] = timers.shift();
rejoin();
const submit = (form, input, text) => { elements[input].value = text; elements[form].onsubmit({ preventDefault() {} }); };
submit("chat-form", "chat-input", "hi bob");
submit("echo-form", "echo-input", "ping");
echo.onmessage({ data: "ping" });
echo.readyState = 3;
submit("echo-form", "echo-input", "lost");
const lines = (id) => elements[id].children.map((p) => [p.className, p.textContent]);
const again = sockets["ws://127.0.0.1:8000/chat?name=ann&since=7.ab12.0000beef"];
console.log(JSON.stringify({
  sockets: Object.keys(sockets), delay, againSent: again.sent,
  chatLines: lines("chat-log"), chatSent: chat.sent, chatInput: elements["chat-input"].value,
  echoLines: lines("echo-log"), echoSent: echo.sent, echoInput: elements["echo-input"].value,
}));
"""


def test_the_page_script() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    page = TestClient(app).get("/").text
    done = subprocess.run(
        [node, "-e", PAGE_HARNESS], input=page, capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["chatLines"] == [
        ["event", "you are ann in demo-chatworker 1"],
        ["event", "bob joinedworker 2"],
        ["", "bob: <img src=x onerror=alert(1)>worker 2"],  # as text, never as markup
        ["system", "not delivered beyond this workerworker 1"],
        ["event", "bob leftworker 2"],
        ["system", "disconnected (1006)"],
        ["system", "reconnecting in 0.5 s"],
    ]
    assert got["delay"] == 500 and "ws://127.0.0.1:8000/chat?name=ann&since=7.ab12.0000beef" in got["sockets"]
    assert got["againSent"] == ["hi bob"] and got["chatInput"] == ""  # sent on the socket it joined again on
    assert got["echoSent"] == ["ping"] and got["echoInput"] == "lost"  # not sent while closed: kept
    assert [text for _, text in got["echoLines"]] == ["→ ping", "← ping", "not connected"]


def _recv_json(ws: Any) -> dict[str, Any]:
    return json.loads(ws.recv(timeout=TIMEOUT))  # type: ignore[no-any-return]


def _until(ws: Any, wanted: Any) -> list[dict[str, Any]]:
    """What ``ws`` receives, up to and including the first object ``wanted`` accepts."""
    seen = [_recv_json(ws)]
    while not wanted(seen[-1]):
        seen.append(_recv_json(ws))
    return seen


def test_a_redis_outage_drops_no_member() -> None:
    """``fastws run --broadcast redis://``, Redis stopped and started: members are told, and stay connected."""
    pytest.importorskip("redis")
    from websockets.sync.client import connect

    command = [sys.executable, "-m", "fastws", "run", "--broadcast"]
    with RedisServer() as redis, serving_command([*command, redis.url]) as (port, _log):
        url = f"ws://127.0.0.1:{port}/chat?name="
        with connect(url + "ann", open_timeout=5) as ann, connect(url + "bob", open_timeout=5) as bob:
            _until(ann, lambda m: m.get("who") == "bob")
            _until(bob, lambda m: m.get("who") == "bob")
            redis.stop()
            ann.send("while down")
            # A join's own publish may still be in flight when Redis stops, so a notice about it
            # may come first: what matters is that "while down" is delivered here, then refused.
            _until(ann, lambda m: m.get("who") == "ann" and m.get("text") == "while down")  # local delivery
            notice = _until(ann, lambda m: m["type"] == "notice" and "not delivered" in m["text"])[-1]
            assert "unreachable" in notice["text"]
            _until(bob, lambda m: m.get("text") == "while down")  # bob is on ann's worker
            redis.start()
            _until(ann, lambda m: m["type"] == "notice" and "is back" in m["text"])
            ann.send("after")  # ann's connection was never dropped
            _until(bob, lambda m: m.get("text") == "after")


def test_a_member_who_comes_back_gets_what_it_missed_then_the_room() -> None:
    pid = os.getpid()
    with TestClient(app) as client:
        with client.websocket_connect("/chat?name=ann") as ann, client.websocket_connect("/chat?name=bob") as bob:
            ann.receive_json(), ann.receive_json()  # hello, her own joined
            last = ann.receive_json()  # bob joined
            assert last["who"] == "bob"
            ann.close()
            assert bob.receive_json()["type"] == "hello"
            while bob.receive_json()["type"] != "left":  # the joins, then ann left
                pass
            bob.send_text("one")
            bob.send_text("two")
            assert [bob.receive_json()["text"] for _ in range(2)] == ["one", "two"]
            with client.websocket_connect(f"/chat?name=ann&since={last['pos']}") as again:
                assert again.receive_json()["type"] == "hello"
                missed = [_plain(again.receive_json()) for _ in range(3)]
                assert missed == [
                    {"type": "left", "who": "ann", "worker": pid},
                    {"type": "message", "who": "bob", "text": "one", "worker": pid},
                    {"type": "message", "who": "bob", "text": "two", "worker": pid},
                ]
                assert again.receive_json() == {
                    "type": "notice",
                    "text": "back: what you missed is above",
                    "worker": pid,
                }
                assert _plain(again.receive_json()) == {"type": "joined", "who": "ann", "worker": pid}


@pytest.mark.parametrize(
    ("since", "told"),
    [
        (Position("demo-chat", 1, "0bad0bad").token, demo.GAPS["epoch"]),  # a history that was lost
        ("garbage", "that is no position of this room: new messages only"),
        (Position("other-room", 1, "0bad0bad").token, "that is no position of this room: new messages only"),
    ],
)
def test_a_member_who_cannot_catch_up_is_told_plainly_and_joins(since: str, told: str) -> None:
    with TestClient(app) as client, client.websocket_connect(f"/chat?name=ann&since={since}") as ann:
        assert ann.receive_json()["type"] == "hello"
        assert ann.receive_json()["text"] == told
        assert _plain(ann.receive_json())["type"] == "joined"


def test_the_chat_resumes_after_a_server_restart() -> None:
    """Two ``fastws run --broadcast redis://`` servers: ann's is stopped, bob talks on, ann's server starts
    again and ann comes back from her last position: she gets what bob said while she was away."""
    pytest.importorskip("redis")
    from websockets.sync.client import connect

    command = [sys.executable, "-m", "fastws", "run", "--broadcast"]
    with RedisServer() as redis, serving_command([*command, redis.url]) as (bob_port, _):
        bob = connect(f"ws://127.0.0.1:{bob_port}/chat?name=bob", open_timeout=5)
        with bob:
            with serving_command([*command, redis.url]) as (ann_port, _):
                with connect(f"ws://127.0.0.1:{ann_port}/chat?name=ann", open_timeout=5) as ann:
                    _until(ann, lambda m: m.get("who") == "ann")
                    bob.send("before")
                    last = _until(ann, lambda m: m.get("text") == "before")[-1]
            # ann's server is stopped; bob talks on
            bob.send("while you were away")
            _until(bob, lambda m: m.get("text") == "while you were away")
            with serving_command([*command, redis.url]) as (ann_port, _):  # started again
                url = f"ws://127.0.0.1:{ann_port}/chat?name=ann&since={last['pos']}"
                with connect(url, open_timeout=5) as ann:
                    seen = _until(ann, lambda m: m["type"] == "notice")
                    texts = [m.get("text") for m in seen if m["type"] == "message"]
                    assert texts == ["while you were away"] and "back" in seen[-1]["text"]

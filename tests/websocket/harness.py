"""The differential harness: a scripted ASGI exchange run through Starlette's ``WebSocket`` and fastws'.

A script is the messages ``receive`` hands out and a list of ops (``call``,
``do``, ``collect``); ``compare`` runs it through ``starlette.websockets.WebSocket``
and through ``fastws.WebSocket`` bound to one twin, and compares everything the
caller can observe: return values, the messages handed to ``send``, the number
of messages consumed from ``receive``, both connection states after each step,
exceptions (type name, ``str``, ``args``, the exception they were raised while
handling, and ``code``/``reason`` of ``WebSocketDisconnect``), and what is left
in the scope. Starlette is the oracle: nothing expected is hard-coded beyond
what Starlette itself produces, except for the documented deliberate
differences, which are tested on fastws alone. ``PRELUDES`` and ``from_state``
start a script from any state of the connection.
"""

from __future__ import annotations

import asyncio
import copy
import enum
import inspect
import reprlib
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from starlette import websockets as sws
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

from tests.helpers.twins import websocket_class

Op = tuple[str, Callable[[Any], Any]]
Message = dict[str, Any]

# ------------------------------------------------------------------ messages

CONNECT: Message = {"type": "websocket.connect"}


def text(data: Any) -> Message:
    return {"type": "websocket.receive", "text": data}


def binary(data: Any) -> Message:
    return {"type": "websocket.receive", "bytes": data}


def disconnect(code: int = 1000, reason: Any = "<absent>") -> Message:
    message: Message = {"type": "websocket.disconnect", "code": code}
    if reason != "<absent>":
        message["reason"] = reason
    return message


START: Message = {"type": "websocket.http.response.start", "status": 403, "headers": [(b"x-why", b"no")]}
BODY_MORE: Message = {"type": "websocket.http.response.body", "body": b"part", "more_body": True}
BODY_END: Message = {"type": "websocket.http.response.body", "body": b"end"}


# --------------------------------------------------------------------- scope

# Objects a scope refers to that must stay the same object in both runs.
SHARED_KEYS = frozenset({"app", "router", "endpoint"})


def make_scope(**overrides: Any) -> dict[str, Any]:
    scope: dict[str, Any] = {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "scheme": "ws",
        "server": ("example.com", 80),
        "client": ("10.0.0.7", 51234),
        "root_path": "",
        "path": "/chat/room",
        "raw_path": b"/chat/room",
        "query_string": b"a=1&b=2&a=3",
        "headers": [
            (b"host", b"example.com"),
            (b"user-agent", b"pytest"),
            (b"cookie", b"sid=abc; theme=dark"),
            (b"sec-websocket-protocol", b"chat, superchat"),
        ],
        "subprotocols": ["chat", "superchat"],
        "extensions": {"websocket.http.response": {}},
    }
    for key, value in overrides.items():
        if value is DROP:
            scope.pop(key, None)
        else:
            scope[key] = value
    return scope


DROP = object()


def fresh(scope: dict[str, Any] | Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """An independent copy of a scope (or a new one from a factory)."""
    if callable(scope):
        return scope()
    return {k: (v if k in SHARED_KEYS else copy.deepcopy(v)) for k, v in scope.items()}


# -------------------------------------------------------------------- runner


class OutOfMessages(Exception):
    """The script asked ``receive`` for more messages than it listed."""


def describe(exc: BaseException) -> tuple[Any, ...]:
    """Everything about an exception a caller could observe."""
    extra: tuple[Any, ...] = ()
    if type(exc).__name__ == "WebSocketDisconnect":
        extra = (exc.code, exc.reason)  # type: ignore[attr-defined]
    context = exc.__context__
    text, args = str(exc), repr(exc.args)
    if isinstance(exc, AttributeError) and getattr(exc, "obj", None) is not None:
        # CPython 3.13 names the type of an empty __slots__ attribute's object in full
        # (module.qualname), where a missing __dict__ attribute gets its bare name.
        qualified, bare = f"'{type(exc.obj).__module__}.{type(exc.obj).__qualname__}'", f"'{type(exc.obj).__name__}'"
        text, args = text.replace(qualified, bare), args.replace(qualified, bare)
    return (
        "raise",
        type(exc).__name__,
        text,
        args,
        extra,
        None if context is None else type(context).__name__,
        exc.__cause__ is not None,
    )


def state_name(ws: Any, attr: str) -> Any:
    """``ws.<attr>.name`` (enum classes differ), or what reading it raised."""
    try:
        return getattr(ws, attr).name
    except Exception as exc:
        return describe(exc)


def normalize(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.name
    return value


async def _collect(aiter: Any) -> list[Any]:
    return [item async for item in aiter]


def call(name: str, *args: Any, **kwargs: Any) -> Op:
    """An op: ``await ws.<name>(*args, **kwargs)`` (or a plain call)."""
    shown = ", ".join([*(reprlib.repr(a) for a in args), *(f"{k}={reprlib.repr(v)}" for k, v in kwargs.items())])
    return (f"{name}({shown})", lambda ws: getattr(ws, name)(*args, **kwargs))


def do(label: str, fn: Callable[[Any], Any]) -> Op:
    """An op running ``fn(ws)`` (awaited when it returns an awaitable)."""
    return (label, fn)


def collect(name: str) -> Op:
    """An op draining ``ws.<name>()`` (``iter_text`` and friends) into a list."""
    return (f"list({name}())", lambda ws: _collect(getattr(ws, name)()))


@dataclass
class Record:
    steps: list[tuple[Any, ...]]
    sent: list[Message]
    consumed: int
    scope_after: dict[str, Any]
    # Not compared: the exact objects passed to ``send`` (for identity checks)
    raw_sent: list[Message] = field(compare=False, default_factory=list)
    ws: Any = field(compare=False, default=None)


def run_script(
    cls: type,
    incoming: list[Message],
    ops: list[Op],
    *,
    scope: dict[str, Any] | Callable[[], dict[str, Any]] | None = None,
    send_error: Callable[[Message], BaseException | None] | None = None,
) -> Record:
    """Run ``ops`` against ``cls(scope, receive, send)``; record what is observable.

    ``receive`` hands out ``incoming`` in order (then raises ``OutOfMessages``);
    ``send`` records each message and raises ``send_error(message)`` if that
    returns an exception.
    """
    the_scope = fresh(make_scope() if scope is None else scope)
    queue = copy.deepcopy(incoming)
    total = len(queue)
    sent: list[Message] = []
    raw_sent: list[Message] = []
    steps: list[tuple[Any, ...]] = []
    holder: dict[str, Any] = {}

    async def receive() -> Message:
        if not queue:
            raise OutOfMessages("no more incoming messages")
        return queue.pop(0)

    async def send(message: Message) -> None:
        raw_sent.append(message)
        sent.append(copy.deepcopy(message))
        if send_error is not None:
            error = send_error(message)
            if error is not None:
                raise error

    async def main() -> None:
        try:
            ws = cls(the_scope, receive, send)
        except Exception as exc:
            steps.append(("construct", describe(exc), None, None))
            return
        holder["ws"] = ws
        for label, fn in ops:
            try:
                value = fn(ws)
                if inspect.isawaitable(value):
                    value = await value
                outcome: tuple[Any, ...] = ("ok", normalize(value))
            except Exception as exc:
                outcome = describe(exc)
            steps.append((label, outcome, state_name(ws, "client_state"), state_name(ws, "application_state")))

    asyncio.run(main())
    scope_after = {k: v for k, v in the_scope.items() if k not in SHARED_KEYS}
    return Record(steps, sent, total - len(queue), scope_after, raw_sent, holder.get("ws"))


def fast_class(twin: ModuleType) -> type:
    return websocket_class(twin)


def compare(websocket_twin: ModuleType, incoming: list[Message], ops: list[Op], **kwargs: Any) -> Record:
    """Run the script on Starlette and on fastws (bound to ``websocket_twin``); assert equal."""
    theirs = run_script(sws.WebSocket, incoming, ops, **kwargs)
    ours = run_script(fast_class(websocket_twin), incoming, ops, **kwargs)
    assert len(theirs.steps) == len(ops) or theirs.steps[0][0] == "construct"
    for mine, star in zip(ours.steps, theirs.steps, strict=False):  # the shorter first, then the lengths
        assert mine == star
    assert ours.steps == theirs.steps
    assert ours.sent == theirs.sent
    assert ours.consumed == theirs.consumed
    assert ours.scope_after == theirs.scope_after
    return theirs


def raised(record: Record) -> list[str]:
    """Names of the exceptions the steps raised (to keep tests honest)."""
    return [step[1][1] for step in record.steps if step[1][0] == "raise"]


# ------------------------------------------------------------ states to start from

# name -> (incoming messages consumed by the prelude, prelude ops)
PRELUDES: dict[str, tuple[list[Message], list[Op]]] = {
    "connecting": ([], []),
    "connect-received": ([CONNECT], [call("receive")]),
    "connected": ([CONNECT], [call("accept")]),
    "closed": ([CONNECT], [call("accept"), call("close")]),
    "closed-before-accept": ([], [call("close")]),
    "client-gone": ([CONNECT, disconnect(1001)], [call("accept"), call("receive")]),
    "response": ([], [call("send", START)]),
    "response-streaming": ([], [call("send", START), call("send", BODY_MORE)]),
    "response-done": ([], [call("send", START), call("send", BODY_END)]),
}


def from_state(name: str, incoming: list[Message], ops: list[Op]) -> tuple[list[Message], list[Op]]:
    pre_in, pre_ops = PRELUDES[name]
    return [*pre_in, *incoming], [*pre_ops, *ops]


# ============================================================= send failures


def fail_on(message_type: str | None, exc_factory: Callable[[], BaseException]) -> Callable[[Message], Any]:
    def hook(message: Message) -> BaseException | None:
        if message_type is None or message.get("type") == message_type:
            return exc_factory()
        return None

    return hook


def make_response(kind: str) -> Response:
    if kind == "plain":
        return PlainTextResponse("go away", status_code=403, headers={"x-reason": "nope"})
    if kind == "json":
        return JSONResponse({"detail": "forbidden"}, status_code=401)
    if kind == "bytes":
        return Response(b"\x00\x01", status_code=400, media_type="application/octet-stream")
    if kind == "streaming":

        async def chunks() -> Any:
            yield b"one"
            yield "two"

        return StreamingResponse(chunks(), status_code=429, headers={"retry-after": "5"})
    raise AssertionError(kind)

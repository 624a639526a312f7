"""Every Python example of the README and of ``docs/*.md`` runs, so the examples stay true.

Each fenced ``python`` block is executed in a fresh module. A block that
defines an ASGI ``app`` must say how to drive it, in an HTML comment on the
line before the fence (invisible on the rendered page)::

    <!-- test: websocket /ws/lobby?token=ann; send_json {"a": 1}; receive_json {"echo": {"a": 1}} -->

that is: open a WebSocket to the path with Starlette's ``TestClient`` (in
process, no socket), then each step in turn: ``send_text TEXT``,
``send_json JSON``, ``receive_text TEXT`` and ``receive_json JSON`` (the
received value must equal the one given), ``close``. Several ``websocket``
directives (one comment each) open connections one after another.
Starlette and FastAPI apps run their lifespan around the whole exchange
(a plain ASGI function runs none, as uvicorn's ``--lifespan auto`` allows).
``<!-- test: skip -->`` exempts a block that is deliberately partial.
An example gets 10 s: a reply that never comes fails it, not the whole run.
Shell and other blocks are not run.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import re
import signal
import sys
import threading
import types
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette 1.10 warns when it falls back from httpx2 to httpx
    from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 10.0  # seconds for one example: a reply that never comes fails it instead of hanging the suite
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

_FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
_DIRECTIVE = re.compile(r"<!--\s*test:\s*(.*?)\s*-->")
_STEP = re.compile(r"^(send_text|send_json|receive_text|receive_json|close)\b\s*(.*)$", re.S)


@dataclass
class Example:
    page: str
    line: int
    code: str
    directives: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def examples(text: str, page: str) -> list[Example]:
    """The ``python`` blocks of a Markdown page, each with the directives just above it."""
    found = []
    for match in _FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        before = text[: match.start()].rstrip("\n").split("\n")
        directives: list[str] = []
        while before and (hit := _DIRECTIVE.fullmatch(before[-1].strip())):
            directives.insert(0, hit.group(1))
            before.pop()
        found.append(Example(page, line, match.group(1), directives))
    return found


ALL = [example for path in PAGES for example in examples(path.read_text(), str(path.relative_to(ROOT)))]


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise ``TimeoutError`` in the main thread if the block takes longer than ``seconds``."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise TimeoutError(f"the example took over {seconds} s (a message that never came?)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def execute(example: Example) -> types.ModuleType:
    """Run the block as a module of its own (registered while it runs, as FastAPI's annotations need)."""
    name = "docs_example_" + re.sub(r"\W", "_", example.id)
    module = types.ModuleType(name)
    module.__file__ = f"<{example.id}>"
    sys.modules[name] = module
    try:
        code = compile(example.code, f"{example.page} (block at line {example.line})", "exec")
        exec(code, module.__dict__)
    finally:
        sys.modules.pop(name, None)
    return module


def parse_websocket(directive: str) -> tuple[str, list[tuple[str, str]]]:
    """``websocket PATH; STEP; STEP ...`` as the path and its steps."""
    path, *steps = [part.strip() for part in directive.removeprefix("websocket").split(";")]
    parsed = []
    for step in steps:
        match = _STEP.match(step)
        assert match, f"unknown step {step!r} (send_text, send_json, receive_text, receive_json, close)"
        parsed.append((match.group(1), match.group(2).strip()))
    return path, parsed


def drive(client: TestClient, directive: str) -> None:
    path, steps = parse_websocket(directive)
    with client.websocket_connect(path) as websocket:
        for action, argument in steps:
            if action == "send_text":
                websocket.send_text(argument)
            elif action == "send_json":
                websocket.send_json(json.loads(argument))
            elif action == "receive_text":
                assert websocket.receive_text() == argument
            elif action == "receive_json":
                assert websocket.receive_json() == json.loads(argument)
            else:
                websocket.close()


def test_the_pages_have_examples() -> None:
    pages = {example.page for example in ALL}
    assert "README.md" in pages
    assert len(pages) >= 4, pages


@pytest.mark.parametrize("example", ALL, ids=[example.id for example in ALL])
def test_example_runs(example: Example) -> None:
    if example.directives == ["skip"]:
        pytest.skip("a deliberately partial snippet")
    unknown = [d for d in example.directives if not d.startswith("websocket ")]
    assert not unknown, f"unknown directive(s) {unknown}: say 'websocket PATH; ...' or 'skip'"
    with deadline(TIMEOUT):
        run(example)


def run(example: Example) -> None:
    module = execute(example)
    app = getattr(module, "app", None)
    if app is None:
        assert not example.directives, "a block with test directives must define an ASGI app named app"
        return
    assert example.directives, (
        "this example defines an ASGI app: say how to drive it, e.g. "
        "<!-- test: websocket /ws; send_text hi; receive_text hi --> on the line before the fence"
    )
    client = TestClient(app)
    if inspect.iscoroutinefunction(app):  # a plain ASGI function: no lifespan, as uvicorn's "auto" allows
        for directive in example.directives:
            drive(client, directive)
    else:
        with client:  # the app's lifespan (a Broadcast's connect/disconnect) around the exchange
            for directive in example.directives:
                drive(client, directive)

"""Deploys that lose no client: ``fastws run --workers 2 --ws-drain-window``, a worker stopped, a rolling restart.

Real processes on loopback: a thousand raw WebSocket clients spread over
two workers; one worker is stopped (SIGTERM, as a deploy stops it), or the
whole server restarts its workers one by one (SIGHUP). Each client of a
stopped worker must get a clean 1012 (a Close frame, then the end of the
connection: never a reset or a silent drop), the 1012s must come spread
over the window, the client must get back in, and a connection opened
meanwhile must always get an answer (101, or 503 from a worker on its way
out), never a drop.
"""

from __future__ import annotations

import asyncio
import os
import signal
import struct
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from tests.helpers.frames import client_frame
from tests.helpers.processes import serving_command
from tests.helpers.serving import raw_upgrade

TEXT, CLOSE = 0x1, 0x8
WINDOW = 2.0

APP = """
import os

async def app(scope, receive, send):
    assert scope["type"] == "websocket"
    await receive()
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.send", "text": str(os.getpid())})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        await send({"type": "websocket.send", "text": message["text"]})
"""


class Client:
    """A raw WebSocket client: which worker it is on, and how its connection ended."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, pid: int) -> None:
        self.reader, self.writer, self.pid = reader, writer, pid

    @classmethod
    async def open(cls, url: str) -> Client:
        reader, writer, head = await raw_upgrade(url)
        assert head.startswith(b"HTTP/1.1 101 "), head
        opcode, payload = await _frame(reader)
        assert opcode == TEXT
        return cls(reader, writer, int(payload))

    async def echo(self, text: str) -> str:
        self.writer.write(client_frame(TEXT, text.encode()))
        opcode, payload = await _frame(self.reader)
        assert opcode == TEXT
        return payload.decode()

    async def ending(self) -> tuple[str, int, float]:
        """Wait for the server to end the connection: ("close", code, when) for a clean close, else how it ended."""
        try:
            while True:
                opcode, payload = await _frame(self.reader)
                if opcode == CLOSE:
                    at = time.monotonic()
                    self.writer.write(client_frame(CLOSE, payload[:2]))
                    rest = await asyncio.wait_for(self.reader.read(), 30)  # then the server ends TCP
                    (code,) = struct.unpack("!H", payload[:2])
                    return ("close" if rest == b"" else "data after close", code, at)
        except asyncio.IncompleteReadError:
            return ("dropped without a Close", 0, time.monotonic())
        except ConnectionResetError:
            return ("reset", 0, time.monotonic())
        finally:
            self.writer.close()


async def _frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await asyncio.wait_for(reader.readexactly(2), 30)
    return head[0] & 0x0F, await asyncio.wait_for(reader.readexactly(head[1] & 0x7F), 30)


async def _open_all(url: str, count: int) -> list[Client]:
    clients: list[Client] = []
    for start in range(0, count, 100):  # in batches: the listen backlog is finite
        clients += await asyncio.gather(*(Client.open(url) for _ in range(min(100, count - start))))
    return clients


async def _probe(url: str, stop: asyncio.Event) -> list[bytes]:
    """Open connections one after another until ``stop``: the first line of each answer (b"" for none)."""
    answers = []
    while not stop.is_set():
        try:
            _, writer, head = await raw_upgrade(url)
            answers.append(head.split(b"\r\n")[0])
            writer.close()
        except (ConnectionError, asyncio.IncompleteReadError) as error:
            answers.append(type(error).__name__.encode())
        await asyncio.sleep(0.02)
    return answers


def _spread(moments: Iterable[float]) -> float:
    ordered = sorted(moments)
    return ordered[-1] - ordered[0]


def _argv(app_dir: Path) -> list[str]:
    return [sys.executable, "-m", "fastws", "run", "pids:app", "--app-dir", str(app_dir), "--workers", "2",
            "--ws-drain-window", str(WINDOW), "--ws-close-timeout", "5", "--timeout-graceful-shutdown", "20"]  # fmt: skip


def test_a_stopped_worker_drains_its_thousand_clients_over_the_window(tmp_path: Path) -> None:
    (tmp_path / "pids.py").write_text(APP)

    async def main(url: str) -> None:
        clients = await _open_all(url, 1000)
        by_worker: dict[int, list[Client]] = {}
        for client in clients:
            by_worker.setdefault(client.pid, []).append(client)
        stopped, drained = max(by_worker.items(), key=lambda item: len(item[1]))
        others = [client for pid, group in by_worker.items() if pid != stopped for client in group]
        assert len(drained) >= 100, {pid: len(group) for pid, group in by_worker.items()}
        stop_probing = asyncio.Event()
        probing = asyncio.create_task(_probe(url, stop_probing))
        endings = [asyncio.create_task(client.ending()) for client in drained]
        began = time.monotonic()
        os.kill(stopped, signal.SIGTERM)  # what a deploy does to the worker
        ends = await asyncio.gather(*endings)
        stop_probing.set()
        answers = await probing

        assert {(how, code) for how, code, _ in ends} == {("close", 1012)}
        assert _spread(at for _, _, at in ends) > WINDOW / 2  # spread, not all in one burst
        assert max(at for _, _, at in ends) - began < WINDOW + 5
        assert answers and all(answer.startswith((b"HTTP/1.1 101 ", b"HTTP/1.1 503 ")) for answer in answers), answers
        back = await _open_all(url, len(drained))  # every drained client gets back in, on a live worker
        assert stopped not in {client.pid for client in back}
        assert [await client.echo("still here") for client in [*back[:20], *others[:20]]] == ["still here"] * 40
        for client in [*back, *others]:
            client.writer.close()

    with serving_command(_argv(tmp_path), cwd=tmp_path) as (port, _log):
        asyncio.run(asyncio.wait_for(main(f"ws://127.0.0.1:{port}"), 120))


def test_a_rolling_restart_loses_no_client_that_reconnects(tmp_path: Path) -> None:
    (tmp_path / "pids.py").write_text(APP)

    async def main(url: str, server_pid: int) -> None:
        clients = await _open_all(url, 200)
        first_workers = {client.pid for client in clients}
        stop_probing = asyncio.Event()
        probing = asyncio.create_task(_probe(url, stop_probing))
        endings = [asyncio.create_task(client.ending()) for client in clients]
        os.kill(server_pid, signal.SIGHUP)  # uvicorn restarts its workers one at a time
        ends = await asyncio.gather(*endings)
        stop_probing.set()
        answers = await probing
        assert {(how, code) for how, code, _ in ends} == {("close", 1012)}
        assert answers and all(answer.startswith((b"HTTP/1.1 101 ", b"HTTP/1.1 503 ")) for answer in answers), answers
        back = await _open_all(url, len(clients))
        assert not first_workers & {client.pid for client in back}  # every worker was replaced
        assert [await client.echo("after the restart") for client in back[:20]] == ["after the restart"] * 20
        for client in back:
            client.writer.close()

    with serving_command(_argv(tmp_path), cwd=tmp_path) as (port, _log):
        server_pid = _server_pid(port)
        asyncio.run(asyncio.wait_for(main(f"ws://127.0.0.1:{port}", server_pid), 120))


def _server_pid(port: int) -> int:
    """The ``fastws run`` process serving ``port`` (the supervisor of its workers)."""
    mine = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            parent = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if parent == mine and b"fastws" in cmdline and str(port).encode() in cmdline:
            return int(entry)
    raise AssertionError(f"no fastws run process of this test serves port {port}")

"""The demo's chat room served by real ``fastws run`` processes, and its members: for the multi-process tests."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

from tests.helpers.processes import free_port
from tests.helpers.serving import TIMEOUT, run

__all__ = ["chat_reaches_everyone", "join_chat", "start_demo", "stop_servers", "two_servers_share_the_room"]


def start_demo(url: str, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "fastws", "run", "--port", str(port), "--broadcast", url]
    return subprocess.Popen(
        [*command, "--log-level", "warning", "--workers", str(workers)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


async def join_chat(port: int) -> tuple[Any, int]:
    """A chat member on ``port``, and the pid of the worker that serves it."""
    from websockets.asyncio.client import connect

    async with asyncio.timeout(20):
        while True:
            try:
                # unbounded: a member's unread messages (others' joined and left) must not stop it reading
                ws = await connect(f"ws://127.0.0.1:{port}/chat", compression=None, max_queue=None)
                break
            except OSError:
                await asyncio.sleep(0.1)
    hello = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
    assert hello["type"] == "hello" and hello["room"] == "demo-chat"
    own = {"type": "joined", "who": hello["you"], "worker": hello["worker"]}
    while {k: v for k, v in json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT)).items() if k != "pos"} != own:
        pass  # others' joins: its own means it is in the room
    return ws, hello["worker"]


async def chat_reaches_everyone(clients: list[Any], senders: list[Any]) -> None:
    for n, sender in enumerate(senders):
        await sender.send(f"hi {n}")
        for client in clients:
            got = json.loads(await asyncio.wait_for(client.recv(), TIMEOUT))
            while got["type"] == "joined":  # members who joined after this one
                got = json.loads(await asyncio.wait_for(client.recv(), TIMEOUT))
            assert got["text"] == f"hi {n}", got


def stop_servers(servers: list[subprocess.Popen[bytes]]) -> None:
    for server in servers:
        server.terminate()
    for server in servers:
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)
        if server.stderr is not None:
            server.stderr.close()


def two_servers_share_the_room(url: str) -> None:
    """Two demo servers on the broadcast ``url``, three members on each: a line sent on either reaches all six."""
    ports = [free_port(), free_port()]
    servers = [start_demo(url, port) for port in ports]
    try:

        async def main() -> None:
            joined = [await join_chat(ports[i % 2]) for i in range(6)]
            clients = [ws for ws, _ in joined]
            assert len({worker for _, worker in joined}) == 2
            await chat_reaches_everyone(clients, clients[:2])  # a sender on each process
            for client in clients:
                await client.close()

        run(main())
    finally:
        stop_servers(servers)

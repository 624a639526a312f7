"""``python -m bench.instructions``: the server's instructions per message, counted, not timed.

On a shared, noisy host CPU time moves by more than a change is worth;
instruction counts do not. This runs granian's chat of 8 (every member sends
in turn, every member receives) with the server and its clients in one
process over loopback, under valgrind's callgrind, twice: with two warm-up
rounds only, and with them and ``--rounds`` rounds. The difference, divided by the messages,
is what one incoming message costs in user-space instructions (the
server's parsing, the app, the fan-out to 8 and the event loop; the
kernel's part is not counted, and the clients' part is the same for every
server). Each client reads with one ``recv`` after a fixed number of loop
turns, so the clients do the same work against every server, and every
run has the same hash seed, so a count repeats exactly.
``--scenario echo``: the same 8 clients, each in turn sends a 32-byte
message (``--size``) and reads its echo (the echo apps of
``bench.load.apps``, on ``/``). ``--scenario handshake``: the figures are
per connection instead, 8 a round one after another, each as
``bench.load``'s handshake scenario makes it (the upgrade, one echo, the
close handshake, the server's end of TCP).

    python -m bench.instructions                              # the docs' app, then picows
    python -m bench.instructions --apps broadcast_app,plain   # other apps of bench.load.apps
    python -m bench.instructions --python /tmp/old/bin/python # another build (before/after)
    python -m bench.instructions --scenario echo --apps plain,fastws_app,picows
    python -m bench.instructions --scenario echo --size 4096 --apps plain,picows
    python -m bench.instructions --scenario handshake --rounds 20 --apps plain,picows

fastws is served on ``fastws run``'s loop (``fastws.loop``; uvloop's own for
an older build without it), picows on uvloop.

``--syscalls`` counts system calls per message instead (``strace -f -c``,
the same runs): the kernel's part, most of every server's CPU on small
messages, which an instruction count does not see (CPython 3.11's asyncio,
for one, calls ``getpid`` in each ``get_running_loop``).

    python -m bench.instructions --scenario echo --apps plain,picows --syscalls

Needs valgrind on the PATH (Debian: ``apt-get install valgrind``); ``--syscalls``
needs strace (``apt-get install strace``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from typing import Any

from ._common import masked_text, text_frame

MEMBERS = 8
TURNS = 3  # loop turns between a message and the clients' reads: enough for every server here to deliver
REQUEST = (
    b"GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nupgrade: websocket\r\nconnection: Upgrade\r\n"
    b"sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n"
)
PICOWS = "picows"
CLOSE = b"\x88\x82\0\0\0\0\x03\xe8"  # a client's Close, 1000 (a zero mask)
WARM_UP = 2  # rounds run before the measured ones, in both runs


async def _read(sock: socket.socket, size: int) -> bytes:
    got = b""
    while len(got) < size:
        try:
            chunk = sock.recv(size - len(got))
        except BlockingIOError:
            await asyncio.sleep(0)
            continue
        if not chunk:
            raise RuntimeError("the server closed the connection")
        got += chunk
    return got


async def _send(sock: socket.socket, data: bytes) -> None:
    sent = 0
    while sent < len(data):
        await asyncio.sleep(0)
        try:
            sent += sock.send(data[sent:])
        except BlockingIOError:
            pass


async def _server(app: str) -> Any:
    loop = asyncio.get_running_loop()
    if app == PICOWS:
        from picows import ws_create_server

        from .load.serve_picows import listener_for

        return await ws_create_server(listener_for, "127.0.0.1", 0)
    import uvicorn
    from uvicorn.server import ServerState

    from fastws.http import HttpProtocol
    from fastws.protocol import WebSocketProtocol

    from .load import apps

    config = uvicorn.Config(getattr(apps, app), ws=WebSocketProtocol, http=HttpProtocol, lifespan="off",
                            ws_ping_interval=0, ws_per_message_deflate=False, proxy_headers=False,
                            log_level="warning")  # fmt: skip
    config.load()
    state = ServerState()
    return await loop.create_server(
        lambda: HttpProtocol(config=config, server_state=state, app_state={}, _loop=loop), "127.0.0.1", 0
    )


def _loop_factory(app: str) -> Any:
    """The loop ``app`` is served on: uvloop for picows, ``fastws run``'s (``fastws.loop``) for fastws, uvloop's
    own for an older fastws without it (a ``--python`` build from before)."""
    import uvloop

    if app == PICOWS:
        return uvloop.new_event_loop
    try:
        from fastws.loop import new_event_loop
    except ImportError:
        return uvloop.new_event_loop
    return new_event_loop


async def _connection(port: int, size: int) -> None:
    """One connection as ``bench.load``'s handshake scenario makes it: the upgrade, one echo of ``size`` bytes,
    the close handshake, then the server's end of TCP (RFC 6455 7.1.1: the server closes first)."""
    client = socket.create_connection(("127.0.0.1", port))
    client.setblocking(False)
    client.send(REQUEST.replace(b"{path}", b"/"))
    head = b""
    while b"\r\n\r\n" not in head:  # one read for any server: each sends its head in one write
        head += await _read(client, 1) + await _read_now(client)
    assert head.startswith(b"HTTP/1.1 101") and head.endswith(b"\r\n\r\n"), head
    await _send(client, masked_text(b"x" * size))
    expected = text_frame(b"x" * size)
    assert await _read(client, len(expected)) == expected
    await _send(client, CLOSE)
    close = await _read(client, 2)
    assert close[0] == 0x88, close
    await _read(client, close[1])  # its code and reason, whatever they are
    while await _read_now(client, wait=True):  # until the server's end of TCP
        pass
    client.close()


async def _read_now(sock: socket.socket, wait: bool = False) -> bytes:
    """What ``sock`` has now (``wait``: the next bytes or the end, b"")."""
    while True:
        try:
            return sock.recv(1 << 16)
        except BlockingIOError:
            if not wait:
                return b""
            await asyncio.sleep(0)


async def run(scenario: str, app: str, rounds: int, size: int = 32) -> None:
    """``rounds`` rounds of ``scenario`` (chat, echo or handshake) against ``app`` (a name in
    ``bench.load.apps``, or ``picows``), with text messages of ``size`` bytes (the chat's: 32)."""
    server = await _server(app)
    port = server.sockets[0].getsockname()[1]
    if scenario == "handshake":
        for _ in range(rounds * MEMBERS):
            await _connection(port, size)
        server.close()
        return
    chat = scenario == "chat"
    clients = []
    for _ in range(MEMBERS):
        client = socket.create_connection(("127.0.0.1", port))
        client.setblocking(False)
        client.send(REQUEST.replace(b"{path}", b"/fanout" if chat else b"/"))
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            head += await _read(client, 1)
        assert head.startswith(b"HTTP/1.1 101"), head
        if chat:
            client.send(masked_text(b"join"))
            assert await _read(client, 8) == b"\x81\x06joined"
        clients.append(client)
    size = 32 if chat else size
    sent = masked_text(b"pub " + b"x" * size if chat else b"x" * size)
    expected = text_frame(b"x" * size)
    for _ in range(rounds):
        for sender in clients:
            done = sender.send(sent)
            if done < len(sent):  # a message larger than the socket's buffer takes at once
                await _send(sender, sent[done:])
            for _ in range(TURNS):
                await asyncio.sleep(0)
            for client in clients if chat else [sender]:
                try:
                    got = client.recv(len(expected) + 1)
                except BlockingIOError:  # a large message, not yet echoed
                    got = b""
                if len(got) < len(expected):  # a message larger than one read
                    got += await _read(client, len(expected) - len(got))
                assert got == expected, got[:64]
    for client in clients:
        client.close()
    for _ in range(20):
        await asyncio.sleep(0)
    server.close()


def _environ(scenario: str) -> dict[str, str]:
    """The environment of a counted run: one hash seed for every run (the same dict layouts, so the same count
    to the instruction); for the chat and the echo, connections moved to fastws' own transport at their accept
    (``ws_own_socket_after`` 0: the steady state of a connection that lasts, which a slow run under
    callgrind would otherwise reach at some point of the rounds, in wall-clock time)."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    if scenario != "handshake":
        env.setdefault("FASTWS_WS_OWN_SOCKET_AFTER", "0")
    return env


def _instructions(python: str, scenario: str, app: str, rounds: int, size: int = 32) -> int:
    """User-space instructions of one process running ``rounds`` rounds of ``scenario`` against ``app``
    (callgrind)."""
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "callgrind.out")
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                   python, "-m", "bench.instructions", "--run", scenario, app, str(rounds), str(size)]  # fmt: skip
        env = _environ(scenario)
        done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False, env=env)
        found = re.search(r"Collected : (\d+)", done.stderr)
        if done.returncode or found is None:
            raise RuntimeError(f"callgrind of {app} failed: {done.stderr[-2000:]}")
        return int(found.group(1))


def per_message(python: str, scenario: str, app: str, rounds: int, size: int = 32) -> float:
    """Instructions per incoming message (chat: each one delivered to the 8 members)."""
    # both runs start with the same warm-up rounds: what a connection does once (its first write looks up
    # its socket, for one) is not counted as the messages'
    counts = [_instructions(python, scenario, app, n, size) for n in (rounds + WARM_UP, WARM_UP)]
    return (counts[0] - counts[1]) / (rounds * MEMBERS)


def _syscalls(python: str, scenario: str, app: str, rounds: int, size: int = 32) -> dict[str, int]:
    """System calls of one process running ``rounds`` rounds of ``scenario`` against ``app``, by name
    (``strace -f -c``)."""
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "strace.out")
        command = ["strace", "-f", "-c", "-o", out,
                   python, "-m", "bench.instructions", "--run", scenario, app, str(rounds), str(size)]  # fmt: skip
        env = _environ(scenario)
        done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False, env=env)
        if done.returncode or not os.path.exists(out):
            raise RuntimeError(f"strace of {app} failed: {done.stderr[-2000:]}")
        with open(out) as summary:
            return strace_counts(summary.read())


def strace_counts(summary: str) -> dict[str, int]:
    """The calls per system call of an ``strace -c`` summary (its rows: % time, seconds, usecs/call, calls,
    errors if any, name)."""
    counts = {}
    for line in summary.splitlines():
        fields = line.split()
        if len(fields) in (5, 6) and fields[0][0].isdigit() and fields[3].isdigit() and fields[-1] != "total":
            counts[fields[-1]] = int(fields[3])
    return counts


def syscalls_per_message(python: str, scenario: str, app: str, rounds: int, size: int = 32) -> dict[str, float]:
    """System calls per incoming message, by name, the largest first: the server's, and the clients' (the same
    for every server: a send and a read per message and member reading it)."""
    more, base = (_syscalls(python, scenario, app, n, size) for n in (rounds + WARM_UP, WARM_UP))
    per = {name: (more.get(name, 0) - base.get(name, 0)) / (rounds * MEMBERS) for name in more.keys() | base.keys()}
    return dict(sorted(((name, count) for name, count in per.items() if count >= 0.005), key=lambda item: -item[1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--scenario", choices=["chat", "echo", "handshake"], default="chat")
    parser.add_argument("--apps", default=f"starlette_broadcast_app,{PICOWS}",
                        help="comma-separated: apps of bench.load.apps (served by fastws), or picows")  # fmt: skip
    parser.add_argument("--rounds", type=int, default=200, help="rounds (each: every member sends once)")
    parser.add_argument("--python", default=sys.executable, help="the interpreter to run (e.g. an older build's)")
    parser.add_argument("--size", type=int, default=32, help="the echo's message size in bytes (the chat's: 32)")
    parser.add_argument("--syscalls", action="store_true",
                        help="count system calls per message (strace) instead of instructions")  # fmt: skip
    parser.add_argument("--run", nargs=4, metavar=("SCENARIO", "APP", "ROUNDS", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:
        runner = asyncio.Runner(loop_factory=_loop_factory(args.run[1]))
        with runner:
            runner.run(run(args.run[0], args.run[1], int(args.run[2]), int(args.run[3])))
        return 0
    if args.syscalls:
        if shutil.which("strace") is None:
            print("strace is not installed (Debian: apt-get install strace)", file=sys.stderr)
            return 2
        for app in args.apps.split(","):
            per = syscalls_per_message(args.python, args.scenario, app, args.rounds, args.size)
            names = ", ".join(f"{name} {count:.2f}" for name, count in per.items())
            what = "connection" if args.scenario == "handshake" else "incoming message"
            print(f"{args.scenario} {app:28s} {sum(per.values()):6.2f} system calls per {what}: {names}")
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    for app in args.apps.split(","):
        count = per_message(args.python, args.scenario, app, args.rounds, args.size)
        each = f" ({count / MEMBERS:7,.0f} per delivery)" if args.scenario == "chat" else ""
        what = "connection" if args.scenario == "handshake" else "incoming message"
        print(f"{args.scenario} {app:28s} {count:9,.0f} instructions per {what}{each}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

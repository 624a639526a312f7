"""``python -m bench.census``: what an idle connection holds, object by object.

``bench.load --scenarios memory`` says how much an idle connection costs
(the server's RSS); this says what it is. For each app it starts ``fastws
run`` in a process that writes, on ``SIGUSR1``, a census of the objects
Python's cyclic GC tracks (how many of each type, and their
``sys.getsizeof``, GC header included); takes one, opens ``--connections``
idle WebSocket connections (handshake only), takes another, and prints
what each connection added: the types of which every connection holds one
or more (nine in ten at least), bytes each, the largest first.

Not in it: objects the GC does not track (``bytes``, ``str``, ``int``,
tuples of those: a connection's request headers, say) and what C code
allocates for itself (libuv's handle, the allocator's own overhead), which
make the rest of the RSS figure.

    python -m bench.census                                   # plain, fastws_app
    python -m bench.census --apps plain --connections 2000
    python -m bench.census --python /tmp/old/bin/python      # another build
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType
from typing import Any

from .load.servers import UVICORN, free_port

HANDSHAKE = (
    b"GET / HTTP/1.1\r\nhost: 127.0.0.1\r\nupgrade: websocket\r\nconnection: Upgrade\r\n"
    b"sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n"
)
SHARE = 0.9  # a type counts as a connection's when there is at least this many more per connection


def census() -> dict[str, tuple[int, int]]:
    """Every object the GC tracks, by type: (count, bytes). A bound method's type also names its function."""
    counts: collections.Counter[str] = collections.Counter()
    sizes: collections.Counter[str] = collections.Counter()
    for item in gc.get_objects():
        kind = type(item)
        label = f"{kind.__module__}.{kind.__qualname__}"
        if kind.__name__ == "method":  # which bound methods: each is an object per connection
            label += f" ({getattr(item.__func__, '__qualname__', '?')})"
        counts[label] += 1
        sizes[label] += sys.getsizeof(item)
    return {label: (counts[label], sizes[label]) for label in counts}


def per_connection(before: dict[str, Any], after: dict[str, Any], connections: int) -> list[tuple[str, float, float]]:
    """(type, count, bytes) each connection added, for the types of which each holds one or more; largest first."""
    rows = []
    for label in after:
        count = (after[label][0] - before.get(label, (0, 0))[0]) / connections
        if count >= SHARE:
            rows.append((label, count, (after[label][1] - before.get(label, (0, 0))[1]) / connections))
    return sorted(rows, key=lambda row: (-row[2], row[0]))


def _serve(out: str, fastws_args: list[str]) -> int:
    """``fastws run fastws_args``, writing a census to ``out.N`` at the N-th ``SIGUSR1`` (from 0)."""
    taken = [0]

    def write(signum: int, frame: FrameType | None) -> None:
        path = Path(f"{out}.{taken[0]}")
        taken[0] += 1
        data = json.dumps(census())
        Path(f"{path}.part").write_text(data)
        os.replace(f"{path}.part", path)  # whole or not at all: the client waits for the file

    signal.signal(signal.SIGUSR1, write)
    from fastws.cli import main

    return main(fastws_args)


async def _open(port: int, connections: int) -> list[asyncio.StreamWriter]:
    writers = []
    for _ in range(connections):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(HANDSHAKE)
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(f"the handshake failed: {head[:80]!r}")
        writers.append(writer)
    return writers


def _take(process: subprocess.Popen[bytes], out: str, n: int) -> dict[str, Any]:
    process.send_signal(signal.SIGUSR1)
    path = Path(f"{out}.{n}")
    for _ in range(600):
        if path.exists():
            return json.loads(path.read_text())  # type: ignore[no-any-return]
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError("the server wrote no census")


def run(python: str, app: str, connections: int, folder: str) -> list[tuple[str, float, float]]:
    """Serve ``app`` (of ``bench.load.apps``) with ``python``, and take the census of ``connections`` idle ones."""
    port, out = free_port(), os.path.join(folder, f"census.{app}")
    options = [arg for arg in UVICORN[3:] if arg not in ("--loop", "uvloop")]  # fastws run's own loop
    command = [python, "-m", "bench.census", "--serve", out, "--",
               "run", *options, "--port", str(port), f"bench.load.apps:{app}"]  # fmt: skip
    process = subprocess.Popen(command, cwd=Path(__file__).resolve().parent.parent, stdout=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(0.3)
        before = _take(process, out, 0)

        async def opened_then_census() -> dict[str, Any]:
            writers = await _open(port, connections)
            await asyncio.sleep(0.5)
            after = await asyncio.to_thread(_take, process, out, 1)
            for writer in writers:
                writer.close()
            return after

        after = asyncio.run(opened_then_census())
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return per_connection(before, after, connections)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.census", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--apps", default="plain,fastws_app", help="apps of bench.load.apps")
    parser.add_argument("--connections", type=int, default=500)
    parser.add_argument("--python", default=sys.executable, help="the interpreter to serve with (another build's)")
    parser.add_argument("--serve", metavar="OUT", help=argparse.SUPPRESS)
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        return _serve(args.serve, [arg for arg in args.rest if arg != "--"])
    with tempfile.TemporaryDirectory() as folder:
        for app in args.apps.split(","):
            rows = run(args.python, app, args.connections, folder)
            print(f"{app}: what each of {args.connections} idle connections holds (GC-tracked objects)")
            for label, count, size in rows:
                print(f"  {size:7.1f} B  {count:5.2f} x  {label}")
            print(f"  {sum(size for _, _, size in rows):7.1f} B  in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())

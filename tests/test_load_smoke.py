"""The load tool works: a tiny run, every echo verified (no speed asserted)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVERS = ["uvicorn-sansio+asgi", "uvicorn-fastws+fastws", "picows"]

pytest.importorskip("picows")


def test_smoke_run_verifies_every_echo(tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    run = subprocess.run(
        [sys.executable, "-m", "bench.load", "--smoke", "--servers", ",".join(SERVERS), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    document = json.loads(out.read_text())
    assert {"date", "machine", "versions", "settings", "results"} <= document.keys()
    assert document["versions"]["fastws"] and document["machine"]["cpu"]
    records = document["results"]
    assert {r["server"] for r in records} == set(SERVERS)
    for record in records:
        assert record["errors"] == 0, record
    for server in SERVERS:
        kinds = sorted(r["scenario"] for r in records if r["server"] == server)
        deflate = ["deflate-memory"] * 3 if server.startswith("uvicorn") else []  # uvicorn servers only
        assert kinds == ["chat", *deflate, "echo", "echo", "fanout", "handshake", "memory", "slow"], (server, kinds)
    for record in records:
        if record["scenario"] == "echo":
            assert record["messages"] > 0 and record["messages_per_s"] > 0 and record["server_cpu_s"] >= 0, record
        elif record["scenario"] == "handshake":
            assert record["handshakes"] > 0, record
        elif record["scenario"] == "chat":
            assert record["members"] == 4 and record["messages"] > 0, record
            assert record["deliveries"] == 4 * record["messages"], record
        elif record["scenario"] == "fanout":
            assert record["members"] == 20 and record["rounds"] > 0, record
        elif record["scenario"] == "memory":
            assert record["connections"] == 20 and record["rss_after_mb"] > 0, record
            assert isinstance(record["kib_marginal"], float), record  # the growth past the first quarter, each
        elif record["scenario"] == "deflate-memory":
            assert record["connections"] == 20, record
            assert record["deflate_negotiated"] == (20 if record["deflate_offered"] else 0), record
            used = record["deflate_offered"] and record["exchanged_a_message"]
            assert record["compressed_echoes"] == (20 if used else 0), record
        else:
            assert record["accepted"] and record["sent_mb"] > 0, record


def test_a_wrong_echo_is_caught() -> None:
    """Verification can fail: echoes from a server that corrupts them are errors."""
    import asyncio

    from picows import WSListener, WSMsgType, ws_create_server

    from bench.load.client import run_echo

    class Corrupting(WSListener):  # type: ignore[misc]
        def on_ws_frame(self, transport, frame):  # type: ignore[no-untyped-def]
            if frame.msg_type in (WSMsgType.TEXT, WSMsgType.BINARY):
                data = bytearray(frame.get_payload_as_bytes())
                data[-1] ^= 1
                transport.send(frame.msg_type, bytes(data))

    async def scenario() -> dict:  # type: ignore[type-arg]
        server = await ws_create_server(lambda _request: Corrupting(), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            return await run_echo(
                f"ws://127.0.0.1:{port}/", connections=1, size=32, depth=1, binary=False,
                duration=0.3, max_messages=50, server_cpu=lambda: 0.0,
            )  # fmt: skip
        finally:
            server.close()

    figures = asyncio.run(scenario())
    assert figures["messages"] == 0
    assert figures["errors"] >= 1 and "differs" in figures["first_error"]


def test_a_wrong_fanout_delivery_is_caught() -> None:
    """Fan-out verification can fail: a member that gets another payload is an error."""
    import asyncio

    from picows import WSListener, WSMsgType, ws_create_server

    from bench.load.scenarios import fanout

    members: list[object] = []

    class Misdelivering(WSListener):  # type: ignore[misc]
        def on_ws_frame(self, transport, frame):  # type: ignore[no-untyped-def]
            text = frame.get_payload_as_bytes()
            if text == b"join":
                members.append(transport)
                transport.send(WSMsgType.TEXT, b"joined")
            elif text.startswith(b"pub "):
                for i, member in enumerate(members):
                    member.send(WSMsgType.TEXT, text[4:] if i else b"stale")

    async def scenario() -> dict:  # type: ignore[type-arg]
        server = await ws_create_server(lambda _request: Misdelivering(), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            return await fanout(f"ws://127.0.0.1:{port}/fanout", os.getpid(), members=3, duration=0.5, max_rounds=5)
        finally:
            server.close()

    figures = asyncio.run(scenario())
    assert figures["errors"] >= 1 and "not this round's" in figures["first_error"], figures


def test_unknown_server_is_refused() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench.load", "--servers", "nope"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 2 and "unknown servers: nope" in run.stderr


def test_servers_are_stopped_after_the_run() -> None:
    from bench.load.servers import SERVERS as SPECS
    from bench.load.servers import Server

    server = Server(SPECS["uvicorn-sansio+asgi"])
    with server, socket.create_connection(("127.0.0.1", server.port), timeout=2):
        pass
    assert server.process is not None and server.process.poll() is not None
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=1).close()


def test_the_in_process_wire_bench_runs() -> None:
    from bench.inproc import ROWS

    run = subprocess.run(
        [sys.executable, "-m", "bench.inproc", "--n", "50"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-2000:]
    rows = [line for line in run.stdout.splitlines() if "µs CPU per echo" in line]
    assert len(rows) == len(ROWS) and all(float(line.split("µs CPU per echo")[0].split()[-1]) > 0 for line in rows), (
        rows
    )


@pytest.mark.parametrize(
    ("scenario", "app", "size"),
    [("chat", "starlette_broadcast_app", 32), ("chat", "plain", 32), ("chat", "picows", 32), ("echo", "plain", 32),
     ("echo", "plain", 4096), ("echo", "picows", 4096), ("echo", "plain", 262144), ("echo", "picows", 262144)],
)  # fmt: skip
def test_the_instruction_count_runs_and_checks_every_delivery(scenario: str, app: str, size: int) -> None:
    """``python -m bench.instructions``' measured process (run here without valgrind): a few rounds, every
    delivery checked; a server that delivered a wrong frame would fail it."""
    run = subprocess.run(
        [sys.executable, "-m", "bench.instructions", "--run", scenario, app, "3", str(size)], cwd=ROOT,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_the_syscall_count_sees_each_messages_calls() -> None:
    """``python -m bench.instructions --syscalls``: an echo is the server's read and send and the client's send
    and read, the loop's waits, and nothing else that comes with every message (CPython 3.11's
    ``get_running_loop``, called at each waiting ``receive`` until this test, made two ``getpid`` of it)."""
    from bench.instructions import strace_counts, syscalls_per_message

    try:
        per = syscalls_per_message(sys.executable, "echo", "plain", 20)
    except RuntimeError as error:  # a container that does not let strace trace
        if "ptrace" in str(error) or "Operation not permitted" in str(error):
            pytest.skip(f"strace cannot trace here: {error}")
        raise
    # (the compiled twins send and read with send and recv, the pure ones with write and readv)
    writes, reads = {"sendto", "write", "sendmsg", "writev"}, {"read", "recvfrom", "readv"}
    assert sum(per.get(name, 0) for name in writes) == pytest.approx(2, abs=0.1), per  # the echo, the client's
    assert sum(per.get(name, 0) for name in reads) == pytest.approx(2, abs=0.1), per
    assert "getpid" not in per, per
    # nothing else at each message: what else is made is incidental (a thread's futex, the heap's growth)
    rest = {name: count for name, count in per.items() if name not in writes | reads}
    assert all(count < 0.5 for name, count in rest.items() if "epoll" not in name), per
    summary = (
        "% time seconds usecs/call calls errors syscall\n 55.31 0.1 17 8213 sendto\n 1.0 0.1 20 139 1 epoll_pwait\n"
    )
    assert strace_counts(summary + "100.00 0.2 15 8352 1 total\n") == {"sendto": 8213, "epoll_pwait": 139}


def test_the_hostile_client_tool_runs_and_sees_the_limits() -> None:
    """``python -m bench.hostile``: the quick attacks against this tree's server, side by side with uvicorn's."""
    run = subprocess.run(
        [sys.executable, "-m", "bench.hostile", "--scenarios", "strict,origin,limit", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    rows = {line.split(" | ")[0].lstrip("| "): line.split(" | ")[1:] for line in run.stdout.splitlines()}
    assert rows["origin: Origin: https://evil.example"] == ["403", "101 |"]  # fastws' policy; uvicorn has none
    assert rows["strict: NUL in a value"][0] == "400"
    assert rows["limit: 20 upgrades at --limit-concurrency 10"][0] == "9 × 101, 11 × 503"


def test_ratios_pair_each_run_with_the_references_of_the_same_repetition(capsys: pytest.CaptureFixture[str]) -> None:
    from bench.load.__main__ import _print_ratios

    def echo(server: str, repeat: int, us: float) -> dict[str, object]:
        return {"server": server, "scenario": "echo", "connections": 1, "size": 32, "repeat": repeat,
                "server_cpu_us_per_message": us}  # fmt: skip

    # the host ran twice as slow in the second repetition: a ratio of medians would say 1.5, each run's says 0.9
    _print_ratios([echo("picows", 0, 10.0), echo("fastws", 0, 9.0), echo("picows", 1, 20.0), echo("fastws", 1, 18.0),
                   echo("picows", 2, 10.0), echo("fastws", 2, 9.0)], "picows")  # fmt: skip
    assert "fastws                                  0.900   (0.900, 0.900, 0.900)" in capsys.readouterr().out


def test_a_cases_runs_are_next_to_each_other_in_turn() -> None:
    from bench.load.__main__ import _cases

    assert _cases(["echo", "chat", "fanout"], [16], [32, 4096], [1000], "8", []) == [
        ("echo", 16, 32), ("echo", 16, 4096), ("fanout", 1000), ("chat", 8),
    ]  # fmt: skip


def test_the_census_counts_what_each_connection_adds() -> None:
    from bench.census import per_connection

    before = {"builtins.dict": (100, 6_400), "a.Protocol": (1, 300)}
    after = {"builtins.dict": (300, 19_200), "a.Protocol": (101, 30_300), "a.Rare": (5, 500), "a.New": (100, 4_800)}
    # a dict and a protocol more each, and what half of them hold or fewer is left out
    assert per_connection(before, after, 100) == [("a.Protocol", 1.0, 300.0), ("builtins.dict", 2.0, 128.0),
                                                  ("a.New", 1.0, 48.0)]  # fmt: skip


def test_the_census_sees_each_idle_connections_objects() -> None:
    """``python -m bench.census``: each idle connection holds one protocol, one task and one ``AppRun``."""
    run = subprocess.run(
        [sys.executable, "-m", "bench.census", "--apps", "plain", "--connections", "40"], cwd=ROOT,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    held = {
        line.split(" x  ")[1]: line.split(" x  ")[0].split()[-1] for line in run.stdout.splitlines() if " x  " in line
    }
    assert held["fastws.protocol.WebSocketProtocol"] == "1.00", held
    assert held["_asyncio.Task"] == "1.00", held
    assert [count for name, count in held.items() if name.startswith("fastws._app_run_")] == ["1.00"], held

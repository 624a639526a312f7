"""``python -m bench.load``: run the echo comparison and write its results.

    python -m bench.load                       # every available server, full matrix
    python -m bench.load --smoke               # a second per server: the harness works
    python -m bench.load --servers picows,uvicorn-sansio+asgi --connections 64 --sizes 32
    python -m bench.load --servers uvicorn-fastws+asgi --python before=/tmp/old/bin/python --repeat 3

``--python LABEL=PATH`` adds, for each fastws server chosen, the same server
run by another interpreter (``<server>@LABEL``: e.g. the virtualenv of an
older checkout), so before and after are measured side by side in one run
(``--python-servers A,B``: for those servers only, e.g. the ones the older
checkout can serve);
``--repeat N`` runs every server N times, interleaved, and prints medians.

Results go to ``bench/results/load-<date>.json`` (or ``--out``): the date,
CPU model, package versions, settings and one record per server and
scenario.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import resource
import statistics
import sys
from pathlib import Path
from typing import Any

from .._common import cpu_model
from .procstat import cpu_seconds
from .scenarios import chat, deflate_memory, fanout, handshakes, idle_memory, slow_reader
from .servers import SERVERS, Server, server_cpu, with_deflate, with_interpreter

RESULTS = Path(__file__).resolve().parent.parent / "results"
PACKAGES = ["uvicorn", "websockets", "wsproto", "starlette", "granian", "aiohttp", "picows", "uvloop"]


def _versions() -> dict[str, str]:
    import fastws  # its version from the package: the distribution's name (fastws-runtime) is not the import's

    found = {"python": platform.python_version(), "fastws": fastws.__version__}
    for name in PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def _raise_open_files(wanted: int) -> int:
    """Raise the soft open-file limit towards ``wanted``; return the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(max(soft, wanted), hard)
    if target != soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--servers", default="", help="comma-separated names (default: all available)")
    parser.add_argument("--connections", default="1,64,1000", help="comma-separated connection counts")
    parser.add_argument("--sizes", default="32,4096,262144", help="comma-separated message sizes in bytes")
    parser.add_argument("--depth", type=int, default=1, help="messages in flight per connection")
    parser.add_argument("--binary", action="store_true", help="binary frames (default: text)")
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per scenario")
    parser.add_argument("--max-messages", type=int, default=2_000_000, help="cap per scenario")
    parser.add_argument(
        "--scenarios",
        default="echo,handshake,fanout,chat,memory,deflate,slow",
        help="comma-separated: echo, handshake, fanout (one message to many), chat (everyone sends to "
        "everyone: granian's chat workload), memory (idle RSS), "
        "slow (a reader that never reads), deflate (idle RSS after one message, "
        "permessage-deflate offered or not; uvicorn servers only)",
    )
    parser.add_argument("--deflate-connections", type=int, default=1000, help="connections in the deflate scenario")
    parser.add_argument("--members", default="1000", help="comma-separated: clients in the fan-out room")
    parser.add_argument("--chatters", default="8,32", help="comma-separated: members of the chat scenario's room")
    parser.add_argument("--idle", default="1000,10000", help="idle connection counts for the memory scenario")
    parser.add_argument("--smoke", action="store_true", help="tiny, fast run that only checks the harness")
    parser.add_argument("--out", default="", help="results file (default: bench/results/load-<date>.json)")
    parser.add_argument("--list", action="store_true", help="list the servers and exit")
    parser.add_argument(
        "--python",
        action="append",
        default=[],
        metavar="LABEL=PATH",
        help="also run each chosen fastws server with this interpreter, as <server>@LABEL",
    )
    parser.add_argument(
        "--python-servers",
        default="",
        metavar="SERVERS",
        help="--python runs these of the chosen servers (default: every one whose command names fastws)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="interleaved repetitions (medians are printed)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.connections, args.sizes, args.duration, args.max_messages = "2", "32,4096", 0.5, 2000
        args.idle, args.members, args.deflate_connections, args.chatters = "20", "20", 20, "4"
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.list:
        for spec in SERVERS.values():
            print(f"{spec.name:26s} {'yes' if spec.available() else 'no ':3s} {spec.description}")
        return 0
    names = [n for n in args.servers.split(",") if n] or [n for n, s in SERVERS.items() if s.available()]
    unknown = [n for n in names if n not in SERVERS]
    if unknown:
        print(f"unknown servers: {', '.join(unknown)} (see --list)", file=sys.stderr)
        return 2
    compared = [n for n in args.python_servers.split(",") if n] or [
        n for n in names if "@" not in n and "fastws" in " ".join(SERVERS[n].command(0))
    ]
    unknown = [n for n in compared if n not in names]
    if unknown:
        print(f"--python-servers names servers not chosen: {', '.join(unknown)}", file=sys.stderr)
        return 2
    for entry in args.python:
        label, _, python = entry.partition("=")
        for name in compared:
            variant = with_interpreter(SERVERS[name], label, python)
            SERVERS[variant.name] = variant
            names.append(variant.name)
    connections = [int(c) for c in args.connections.split(",")]
    sizes = [int(s) for s in args.sizes.split(",")]
    all_scenarios = [n for n in args.scenarios.split(",") if n]
    all_idle = [int(c) for c in args.idle.split(",")] if "memory" in all_scenarios else []
    members = [int(m) for m in args.members.split(",")]
    open_files = _raise_open_files(max([*connections, *all_idle, *members]) * 2 + 256)
    pinned = server_cpu()
    if pinned is not None:  # the client takes the other CPUs
        os.sched_setaffinity(0, set(os.sched_getaffinity(0)) - {pinned})
    settings = {
        "connections": connections, "sizes": sizes, "depth": args.depth, "binary": args.binary,
        "duration_s": args.duration, "max_messages": args.max_messages, "server_cpu": pinned,
        "client_cpus": sorted(os.sched_getaffinity(0)), "open_files": open_files,
        "scenarios": all_scenarios, "idle": all_idle, "members": members, "chatters": args.chatters,
    }  # fmt: skip
    results: list[dict[str, Any]] = []
    import uvloop

    for repeat, name in [(k, n) for k in range(args.repeat) for n in names]:
        spec = SERVERS[name]
        scenarios = [s for s in all_scenarios if spec.serves(s)]
        idle = all_idle if spec.serves("memory") else []
        if "echo" in scenarios:
            with Server(SERVERS[name]) as server:
                for count in connections:
                    for size in sizes:
                        figures = uvloop.run(_scenario(server, count, size, args))
                        results.append({"server": name, "scenario": "echo", "connections": count, "size": size,
                                        "repeat": repeat, **figures})  # fmt: skip
                        print(
                            f"{name:26s} echo {count:5d} conn {size:7d} B  {figures['messages_per_s']:10.0f} msg/s  "
                            f"{figures['server_cpu_us_per_message']:7.2f} us cpu/msg  "
                            f"p99 {figures['latency_p99_ms']:7.2f} ms  errors {figures['errors']}",
                            flush=True,
                        )
        if "handshake" in scenarios:
            with Server(SERVERS[name]) as server:
                url = f"ws://127.0.0.1:{server.port}/"
                figures = uvloop.run(handshakes(url, server.pid, duration=args.duration))
                results.append({"server": name, "scenario": "handshake", "repeat": repeat, **figures})
                print(f"{name:26s} handshake {figures['handshakes_per_s']:10.0f} /s  "
                      f"{figures['server_cpu_us_per_handshake']:8.1f} us cpu each  "
                      f"client cpu {figures['client_cpu_percent']:3.0f}%  errors {figures['errors']}",
                      flush=True)  # fmt: skip
        for count in members if "fanout" in scenarios else ():
            with Server(SERVERS[name]) as server:
                url = f"ws://127.0.0.1:{server.port}/fanout"
                figures = uvloop.run(fanout(url, server.pid, members=count, duration=args.duration))
                results.append({"server": name, "scenario": "fanout", **figures})
                print(f"{name:26s} fanout to {figures['members']:5d}: p50 {figures['fanout_p50_ms']:7.2f} ms  "
                      f"{figures['server_cpu_us_per_delivery']:6.2f} us cpu/delivery  {figures['rounds']} rounds  "
                      f"errors {figures['errors']}", flush=True)  # fmt: skip
        for count in [int(c) for c in args.chatters.split(",")] if "chat" in scenarios else ():
            with Server(SERVERS[name]) as server:
                url = f"ws://127.0.0.1:{server.port}/fanout"
                figures = uvloop.run(chat(url, server.pid, members=count, duration=args.duration))
                results.append({"server": name, "scenario": "chat", **figures})
                print(f"{name:26s} chat of {figures['members']:3d}: {figures['deliveries_per_s']:9.0f} deliveries/s  "
                      f"{figures['server_cpu_us_per_delivery']:6.2f} us cpu/delivery  errors {figures['errors']}",
                      flush=True)  # fmt: skip
        for count in idle:
            with Server(SERVERS[name]) as server:  # a fresh server per count
                url = f"ws://127.0.0.1:{server.port}/"
                figures = uvloop.run(idle_memory(url, server.pid, connections=count))
                results.append({"server": name, "scenario": "memory", **figures})
                print(f"{name:26s} idle {figures['connections']:6d} conn  {figures['kib_per_connection']:7.1f} KiB each"
                      f"  errors {figures['errors']}", flush=True)  # fmt: skip
        deflating = with_deflate(SERVERS[name]) if "deflate" in scenarios else None
        for offer, exchange in ((False, True), (True, False), (True, True)) if deflating is not None else ():
            with Server(deflating) as server:  # type: ignore[arg-type]  # a fresh server per mode: RSS is not given back
                figures = uvloop.run(
                    deflate_memory(
                        "127.0.0.1",
                        server.port,
                        server.pid,
                        offer_deflate=offer,
                        exchange=exchange,
                        connections=args.deflate_connections,
                    )
                )
                results.append({"server": name, "scenario": "deflate-memory", **figures})
                print(f"{name:26s} deflate {'offered' if offer else 'off':7s} "
                      f"{'1 msg' if exchange else 'no msg':6s} {figures['connections']:6d} conn "
                      f"{figures['kib_per_connection']:7.1f} KiB each  negotiated {figures['deflate_negotiated']}"
                      f"  errors {figures['errors']}", flush=True)  # fmt: skip
        if "slow" in scenarios:
            with Server(SERVERS[name]) as server:
                figures = uvloop.run(
                    slow_reader("127.0.0.1", server.port, server.pid, duration=max(1.0, args.duration))
                )
                results.append({"server": name, "scenario": "slow", "errors": 0 if figures["accepted"] else 1,
                                **figures})  # fmt: skip
                print(f"{name:26s} slow reader: sent {figures['sent_mb']:7.1f} MB, server RSS "
                      f"+{figures['rss_growth_mb']:.1f} MB", flush=True)  # fmt: skip
    if args.repeat > 1:
        _print_medians(results)
    document = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpu": cpu_model(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "versions": _versions(),
        "settings": settings,
        "results": results,
    }
    out = Path(args.out) if args.out else RESULTS / f"load-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2))
    print(f"wrote {out}")
    return 1 if any(r.get("errors") for r in results) else 0


def _print_medians(results: list[dict[str, Any]]) -> None:
    """Medians over the repetitions of the echo, handshake, fan-out and chat figures, one line per server and case."""
    cases: dict[tuple[str, str], list[float]] = {}
    for r in results:
        if r["scenario"] == "echo":
            key = (r["server"], f"echo {r['connections']} x {r['size']} B us cpu/msg")
            cases.setdefault(key, []).append(r["server_cpu_us_per_message"])
        elif r["scenario"] == "handshake":
            cases.setdefault((r["server"], "handshakes/s"), []).append(r["handshakes_per_s"])
            cases.setdefault((r["server"], "handshake us cpu each"), []).append(r["server_cpu_us_per_handshake"])
        elif r["scenario"] in ("fanout", "chat"):
            case = f"{r['scenario']} {r['members']} us cpu/delivery"
            cases.setdefault((r["server"], case), []).append(r["server_cpu_us_per_delivery"])
    print("medians:")
    for (server, case), values in sorted(cases.items(), key=lambda item: (item[0][1], item[0][0])):
        shown = ", ".join(f"{v:.2f}" for v in values)
        print(f"  {case:40s} {server:34s} {statistics.median(values):10.2f}   ({shown})")


async def _scenario(server: Server, count: int, size: int, args: argparse.Namespace) -> dict[str, Any]:
    from .client import run_echo

    return await run_echo(
        f"ws://127.0.0.1:{server.port}/",
        connections=count,
        size=size,
        depth=args.depth,
        binary=args.binary,
        duration=args.duration,
        max_messages=args.max_messages,
        server_cpu=lambda: cpu_seconds(server.pid),
    )


if __name__ == "__main__":
    sys.exit(main())

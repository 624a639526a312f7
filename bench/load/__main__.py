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
``--repeat N`` runs every case N times, each server in turn (in the
opposite order at the next repetition, so that a case's runs are close in
time), and prints medians, and each server's ratio to ``--reference``'s
(picows) in the same repetition, median over the repetitions: on a host
whose speed drifts, steadier than a ratio of medians.

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
from collections.abc import Awaitable, Callable
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
    parser.add_argument(
        "--reference",
        default="picows",
        metavar="SERVER",
        help="with --repeat: each figure is also printed as a ratio to this server's in the same repetition",
    )
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
    cases = _cases(all_scenarios, connections, sizes, members, args.chatters, all_idle)
    for repeat in range(args.repeat):
        # case by case, every server in turn, in the opposite order at the next repetition: the runs of one
        # case are close in time (this host's speed drifts by 20% within minutes), so their ratios hold
        for case in cases:
            for name in names if repeat % 2 == 0 else names[::-1]:
                if SERVERS[name].serves(case[0]):
                    results.extend({"server": name, "repeat": repeat, **figures}
                                   for figures in _run_case(name, case, args))  # fmt: skip
    if args.repeat > 1:
        _print_medians(results)
        _print_ratios(results, args.reference)
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


Case = tuple[Any, ...]


def _cases(
    scenarios: list[str], connections: list[int], sizes: list[int], members: list[int], chatters: str, idle: list[int]
) -> list[Case]:
    """Every case of the run, in order: (scenario, its parameters...)."""
    cases: list[Case] = []
    if "echo" in scenarios:
        cases += [("echo", count, size) for count in connections for size in sizes]
    if "handshake" in scenarios:
        cases.append(("handshake",))
    if "fanout" in scenarios:
        cases += [("fanout", count) for count in members]
    if "chat" in scenarios:
        cases += [("chat", int(count)) for count in chatters.split(",")]
    if "memory" in scenarios:
        cases += [("memory", count) for count in idle]
    if "deflate" in scenarios:
        cases += [("deflate", offer, exchange) for offer, exchange in ((False, True), (True, False), (True, True))]
    if "slow" in scenarios:
        cases.append(("slow",))
    return cases


def _against(name: str, path: str, measure: Callable[[str, int], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    """``measure(url, pid)`` against a fresh server ``name`` (``url``: its WebSocket at ``path``), on uvloop."""
    import uvloop

    with Server(SERVERS[name]) as server:
        return uvloop.run(measure(f"ws://127.0.0.1:{server.port}{path}", server.pid))  # type: ignore[no-any-return]


def _run_case(name: str, case: Case, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Run one case against a fresh server ``name``; its records (without server and repetition)."""
    import uvloop

    scenario = case[0]
    if scenario == "echo":
        _, count, size = case
        with Server(SERVERS[name]) as server:
            figures = uvloop.run(_scenario(server, count, size, args))
        print(
            f"{name:26s} echo {count:5d} conn {size:7d} B  {figures['messages_per_s']:10.0f} msg/s  "
            f"{figures['server_cpu_us_per_message']:7.2f} us cpu/msg  "
            f"p99 {figures['latency_p99_ms']:7.2f} ms  errors {figures['errors']}",
            flush=True,
        )
        return [{"scenario": "echo", "connections": count, "size": size, **figures}]
    if scenario == "handshake":
        figures = _against(name, "/", lambda url, pid: handshakes(url, pid, duration=args.duration))
        print(f"{name:26s} handshake {figures['handshakes_per_s']:10.0f} /s  "
              f"{figures['server_cpu_us_per_handshake']:8.1f} us cpu each  "
              f"client cpu {figures['client_cpu_percent']:3.0f}%  errors {figures['errors']}",
              flush=True)  # fmt: skip
        return [{"scenario": "handshake", **figures}]
    if scenario == "fanout":
        figures = _against(name, "/fanout", lambda url, pid: fanout(url, pid, members=case[1], duration=args.duration))
        print(f"{name:26s} fanout to {figures['members']:5d}: p50 {figures['fanout_p50_ms']:7.2f} ms  "
              f"{figures['server_cpu_us_per_delivery']:6.2f} us cpu/delivery  {figures['rounds']} rounds  "
              f"errors {figures['errors']}", flush=True)  # fmt: skip
        return [{"scenario": "fanout", **figures}]
    if scenario == "chat":
        figures = _against(name, "/fanout", lambda url, pid: chat(url, pid, members=case[1], duration=args.duration))
        print(f"{name:26s} chat of {figures['members']:3d}: {figures['deliveries_per_s']:9.0f} deliveries/s  "
              f"{figures['server_cpu_us_per_delivery']:6.2f} us cpu/delivery  errors {figures['errors']}",
              flush=True)  # fmt: skip
        return [{"scenario": "chat", **figures}]
    if scenario == "memory":
        figures = _against(name, "/", lambda url, pid: idle_memory(url, pid, connections=case[1]))
        print(f"{name:26s} idle {figures['connections']:6d} conn  {figures['kib_per_connection']:7.2f} KiB each"
              f" ({figures['kib_marginal']:.2f} each past a quarter)  errors {figures['errors']}", flush=True)  # fmt: skip
        return [{"scenario": "memory", **figures}]
    if scenario == "deflate":
        _, offer, exchange = case
        deflating = with_deflate(SERVERS[name])
        if deflating is None:
            return []
        with Server(deflating) as server:  # a fresh server per mode: RSS is not given back
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
        print(f"{name:26s} deflate {'offered' if offer else 'off':7s} "
              f"{'1 msg' if exchange else 'no msg':6s} {figures['connections']:6d} conn "
              f"{figures['kib_per_connection']:7.1f} KiB each  negotiated {figures['deflate_negotiated']}"
              f"  errors {figures['errors']}", flush=True)  # fmt: skip
        return [{"scenario": "deflate-memory", **figures}]
    with Server(SERVERS[name]) as server:  # slow
        figures = uvloop.run(slow_reader("127.0.0.1", server.port, server.pid, duration=max(1.0, args.duration)))
    print(f"{name:26s} slow reader: sent {figures['sent_mb']:7.1f} MB, server RSS "
          f"+{figures['rss_growth_mb']:.1f} MB", flush=True)  # fmt: skip
    return [{"scenario": "slow", "errors": 0 if figures["accepted"] else 1, **figures}]


def _figures(results: list[dict[str, Any]]) -> dict[tuple[str, str], dict[int, float]]:
    """The echo, handshake, fan-out and chat figures, by server and case, then by repetition."""
    cases: dict[tuple[str, str], dict[int, float]] = {}
    for r in results:
        if r["scenario"] == "echo":
            key = (r["server"], f"echo {r['connections']} x {r['size']} B us cpu/msg")
            cases.setdefault(key, {})[r["repeat"]] = r["server_cpu_us_per_message"]
        elif r["scenario"] == "handshake":
            cases.setdefault((r["server"], "handshakes/s"), {})[r["repeat"]] = r["handshakes_per_s"]
            cases.setdefault((r["server"], "handshake us cpu each"), {})[r["repeat"]] = r["server_cpu_us_per_handshake"]
        elif r["scenario"] in ("fanout", "chat"):
            case = f"{r['scenario']} {r['members']} us cpu/delivery"
            cases.setdefault((r["server"], case), {})[r["repeat"]] = r["server_cpu_us_per_delivery"]
    return cases


def _print_medians(results: list[dict[str, Any]]) -> None:
    """Medians over the repetitions of the echo, handshake, fan-out and chat figures, one line per server and case."""
    print("medians:")
    for (server, case), values in sorted(_figures(results).items(), key=lambda item: (item[0][1], item[0][0])):
        shown = ", ".join(f"{v:.2f}" for v in values.values())
        print(f"  {case:40s} {server:34s} {statistics.median(values.values()):10.2f}   ({shown})")


def _print_ratios(results: list[dict[str, Any]], reference: str) -> None:
    """Each server's figure over ``reference``'s in the same repetition (run next to it), median over them."""
    figures = _figures(results)
    lines = []
    for (server, case), values in sorted(figures.items(), key=lambda item: (item[0][1], item[0][0])):
        base = figures.get((reference, case))
        ratios = [value / base[k] for k, value in values.items() if server != reference and base and base.get(k)]
        if ratios:
            shown = ", ".join(f"{r:.3f}" for r in ratios)
            lines.append(f"  {case:40s} {server:34s} {statistics.median(ratios):10.3f}   ({shown})")
    if lines:
        print(f"ratios to {reference}, repetition by repetition (medians):")
        print("\n".join(lines))


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

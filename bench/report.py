"""``python -m bench.report``: the load results as Markdown tables and PNG plots.

    python -m bench.report                          # the newest bench/results/load-*.json
    python -m bench.report results.json --plots docs/bench --docs

Tables: messages/s and the server's CPU time per message, per server and
scenario (connections x message size), each with its ratio to uvicorn's
default stack (``uvicorn-sansio+asgi``) from the same run. Plots (matplotlib):
the same two figures and the p99 latency, as grouped bars. ``--docs``
writes the tables into docs/benchmarks.md between ``<!-- load-table -->`` markers.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ._common import write_docs_block

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BASELINE = "uvicorn-sansio+asgi"


def _scenario(record: dict[str, Any]) -> str:
    size = record["size"]
    label = f"{size // 1024} KiB" if size >= 1024 else f"{size} B"
    return f"{record['connections']} conn x {label}"


def _echo(document: dict[str, Any]) -> dict[str, Any]:
    return {**document, "results": [r for r in document["results"] if r.get("scenario", "echo") == "echo"]}


def _room_size(document: dict[str, Any], record: dict[str, Any]) -> int:
    """The room size asked for (a server that could not take them all has fewer members)."""
    if "requested" in record:
        return int(record["requested"])
    asked = document["settings"].get("members", [])
    asked = asked if isinstance(asked, list) else [asked]
    return min((int(m) for m in asked if int(m) >= record["members"]), default=record["members"])


def _others(document: dict[str, Any], kinds: set[str]) -> str:
    """One table for the scenarios ``kinds`` beyond the echo, one row per server."""
    rows: dict[str, dict[str, str]] = {}
    columns: list[str] = []
    for record in document["results"]:
        kind = record.get("scenario")
        if kind not in kinds:
            continue
        cells = rows.setdefault(record["server"], {})
        if kind == "handshake":
            pairs = [("handshakes/s", f"{record['handshakes_per_s']:,.0f}"),
                     ("CPU µs/handshake", f"{record['server_cpu_us_per_handshake']:.0f}")]  # fmt: skip
        elif kind == "fanout":
            size = _room_size(document, record)
            pairs = [(f"fan-out to {size:,}: p50 ms", f"{record['fanout_p50_ms']:.2f}"),
                     (f"fan-out to {size:,}: CPU µs/delivery", f"{record['server_cpu_us_per_delivery']:.2f}")]  # fmt: skip
        elif kind == "chat":
            pairs = [(f"chat of {record['members']}: deliveries/s", f"{record['deliveries_per_s']:,.0f}"),
                     (f"chat of {record['members']}: CPU µs/delivery",
                      f"{record['server_cpu_us_per_delivery']:.2f}")]  # fmt: skip
        elif kind == "memory":
            requested = record.get("requested", record["connections"] + record["errors"])
            text = f"{record['kib_per_connection']:.1f}"
            if record["errors"]:
                text += f" ({record['connections']:,} opened; the rest timed out)"
            pairs = [(f"KiB per idle conn ({requested:,})", text)]
        elif kind == "deflate-memory":
            mode = (
                ("deflate used once" if record["exchanged_a_message"] else "deflate negotiated, unused")
                if record["deflate_offered"]
                else "no deflate, used once"
            )
            pairs = [(f"{mode} ({record['requested']:,} conn)", f"{record['kib_per_connection']:.1f}")]
        elif kind == "slow":
            pairs = [("slow reader: server RSS growth", f"+{record['rss_growth_mb']:.1f} MB "
                      f"({record['sent_mb']:.0f} MB sent)")]  # fmt: skip
        else:
            continue
        for column, text in pairs:
            if column not in columns:
                columns.append(column)
            cells[column] = text
    if not columns:
        return ""
    lines = ["| server | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    for server, cells in rows.items():
        if cells:
            lines.append(f"| {server} | " + " | ".join(cells.get(c, "-") for c in columns) + " |")
    return "\n".join(lines)


def _grid(document: dict[str, Any], key: str) -> tuple[list[str], list[str], dict[tuple[str, str], float]]:
    servers: list[str] = []
    scenarios: list[str] = []
    values: dict[tuple[str, str], float] = {}
    for record in _echo(document)["results"]:
        server, scenario = record["server"], _scenario(record)
        if server not in servers:
            servers.append(server)
        if scenario not in scenarios:
            scenarios.append(scenario)
        values[(server, scenario)] = record[key]
    return servers, scenarios, values


def _table(document: dict[str, Any], key: str, fmt: str, higher_is_better: bool) -> str:
    servers, scenarios, values = _grid(document, key)
    lines = ["| server | " + " | ".join(scenarios) + " |", "|---|" + "---:|" * len(scenarios)]
    for server in servers:
        cells = []
        for scenario in scenarios:
            value = values.get((server, scenario))
            base = values.get((BASELINE, scenario))
            if value is None or value != value:  # missing or NaN
                cells.append("-")
                continue
            text = format(value, fmt)
            if base and server != BASELINE and value:
                ratio = value / base if higher_is_better else base / value
                text += f" ({ratio:.2f}x)"
            cells.append(text)
        lines.append(f"| {server} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render(document: dict[str, Any]) -> str:
    machine = document["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in document["versions"].items())
    settings = document["settings"]
    head = (
        f"Load run of {document['date'][:16].replace('T', ' ')} UTC on {machine['cpu']} ({machine['cpus']} CPUs; "
        f"server pinned to CPU {settings['server_cpu']}, client on {settings['client_cpus']}), "
        f"{settings['duration_s']} s per scenario, {'binary' if settings['binary'] else 'text'} echo, "
        f"{settings['depth']} message(s) in flight per connection. Versions: {versions}. "
        f"Ratios are to `{BASELINE}` (uvicorn's default stack) in the same run."
    )
    for rerun in document.get("reruns", []):
        head += (f" Rows of {', '.join(rerun['servers'])} were measured again at "
                 f"{rerun['date'][11:16]} UTC ({rerun['why']}).")  # fmt: skip
    return "\n\n".join(
        [
            head,
            "**Messages per second** (higher is better; on 2 CPUs the client saturates first):",
            _table(document, "messages_per_s", ",.0f", True),
            "**Server CPU time per message, µs** (lower is better; the figure that still ranks fast servers):",
            _table(document, "server_cpu_us_per_message", ".2f", False),
            "**p99 latency, ms**:",
            _table(document, "latency_p99_ms", ".2f", False),
            "**Handshakes, idle memory and a slow reader.** Handshake: connect, one echo, close, each step "
            "checked. Slow reader: a client that sends and never reads; a server with flow control stops "
            "reading it, so its memory stays flat:",
            _others(document, {"handshake", "memory", "slow"}),
            "**Fan-out and chat.** Fan-out: one client publishes, the server sends the message to every member "
            "of the room, and the round ends when all members (verified) have it; the `*+broadcast*` rows use "
            "`fastws.Broadcast`, the others the loop users write today. Chat (granian's workload): every member "
            "sends, each message goes to every member, each sender's order checked:",
            _others(document, {"fanout", "chat"}),
            "**Memory per idle connection with permessage-deflate, KiB** (uvicorn servers with "
            "`--ws-per-message-deflate true`, a fresh server per column; each client offers deflate or not, "
            "then sends one message and reads its echo, or sends none):",
            _others(document, {"deflate-memory"}),
        ]
    )


def plot(document: dict[str, Any], folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for key, title, name in [
        ("messages_per_s", "Echo messages per second (higher is better)", "load-messages-per-s.png"),
        ("server_cpu_us_per_message", "Server CPU time per message, µs (lower is better)", "load-server-cpu.png"),
        ("latency_p99_ms", "p99 latency, ms (lower is better)", "load-latency-p99.png"),
    ]:
        servers, scenarios, values = _grid(document, key)
        if not servers:
            continue
        fig, ax = plt.subplots(figsize=(max(8, 1.6 * len(scenarios)), 5.6))
        width = 0.8 / max(1, len(servers))
        for i, server in enumerate(servers):
            xs = [j + i * width for j in range(len(scenarios))]
            ys = [values.get((server, s), 0.0) or 0.0 for s in scenarios]
            ax.bar(xs, ys, width, label=server)
        ax.set_xticks([j + 0.4 - width / 2 for j in range(len(scenarios))], scenarios, rotation=15)
        ax.set_yscale("log")  # 32 B and 256 KiB messages differ by orders of magnitude
        ax.set_title(title + " - log scale")
        ax.legend(fontsize=7, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.14))
        fig.tight_layout()
        path = folder / name
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    written += _plot_per_server(plt, document, folder)
    return written


def _plot_per_server(plt: Any, document: dict[str, Any], folder: Path) -> list[Path]:
    """One horizontal bar per server for the fan-out and idle-memory scenarios."""
    written = []
    for scenario, key, title, name in [
        ("fanout", "server_cpu_us_per_delivery", "Fan-out: server CPU µs per delivery (lower is better)",
         "load-fanout.png"),
        ("chat", "server_cpu_us_per_delivery", "Chat room: server CPU µs per delivery (lower is better)",
         "load-chat.png"),
        ("memory", "kib_per_connection", "Server memory per idle connection, KiB (lower is better)",
         "load-memory.png"),
    ]:  # fmt: skip
        records = [r for r in document["results"] if r.get("scenario") == scenario and not r.get("errors")]
        if not records:
            continue
        sizes = {"memory": "requested", "fanout": "members", "chat": "members"}
        labels = [f"{r['server']} ({r[sizes[scenario]]:,})" for r in records]
        fig, ax = plt.subplots(figsize=(9, 0.4 * len(records) + 1.5))
        ax.barh(labels, [r[key] for r in records])
        ax.invert_yaxis()
        ax.set_title(title, fontsize=10)
        fig.tight_layout()
        path = folder / name
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written


def _newest() -> Path:
    runs = sorted(RESULTS.glob("load-*.json"), key=lambda p: p.stat().st_mtime)
    if not runs:
        raise SystemExit("no bench/results/load-*.json: run python -m bench.load first")
    return runs[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("results", nargs="?", default="", help="a bench.load results file (default: newest)")
    parser.add_argument("--plots", default="", help="folder for the PNG plots")
    parser.add_argument(
        "--docs", "--readme", dest="docs", action="store_true", help="write the tables into docs/benchmarks.md"
    )
    args = parser.parse_args(argv)
    document = json.loads(Path(args.results or _newest()).read_text())
    text = render(document)
    print(text)
    if args.plots:
        for path in plot(document, Path(args.plots)):
            print(f"wrote {path}")
    if args.docs and not write_docs_block("load-table", text):
        print("docs/benchmarks.md has no <!-- load-table --> block", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

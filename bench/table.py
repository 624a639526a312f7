"""Turn a pytest-benchmark JSON file into the Markdown table of docs/benchmarks.md.

    python -m pytest bench/ --benchmark-json=bench/results/micro.json
    python -m bench.table bench/results/micro.json

One row per operation group; medians for Starlette, fastws compiled and
fastws pure (all from the same run), and each fastws figure as a speedup
over Starlette. The wire-level groups (frame parse/build, unmask) get a
second table, against websockets (uvicorn's default wire layer) and wsproto.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from ._common import cpu_model

IMPLEMENTATIONS = ["starlette", "fastws-compiled", "fastws-pure"]
WIRE_IMPLEMENTATIONS = ["websockets", "wsproto", "fastws-compiled", "fastws-pure"]
_ALL = ["starlette", "websockets", "wsproto", "fastws-compiled", "fastws-pure"]


def _format_time(seconds: float) -> str:
    if seconds < 1e-6:
        return f"{seconds * 1e9:.0f} ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} µs"
    return f"{seconds * 1e3:.2f} ms"


def medians(results: dict[str, Any]) -> dict[str, dict[str, float]]:
    """``{group: {implementation: median seconds per operation}}``."""
    table: dict[str, dict[str, float]] = {}
    for bench in results["benchmarks"]:
        implementation = next(
            (impl for impl in _ALL if f"[{impl}" in bench["name"] or f"-{impl}]" in bench["name"]),
            None,
        )
        if implementation is None:
            continue
        ops = bench.get("extra_info", {}).get("ops", 1)  # operations per benchmark call
        table.setdefault(bench["group"], {})[implementation] = bench["stats"]["median"] / ops
    return table


def _rows(table: dict[str, dict[str, float]], columns: list[str]) -> list[str]:
    """One Markdown row per group: the first column's time, then each other's with its speedup over it."""
    lines = []
    for group, row in sorted(table.items()):
        base = row.get(columns[0])
        cells = [_format_time(base) if base else "-"]
        for implementation in columns[1:]:
            value = row.get(implementation)
            if value is None:
                cells.append("-")
            elif base:
                cells.append(f"{_format_time(value)} (**{base / value:.2f}x**)")
            else:
                cells.append(_format_time(value))
        lines.append(f"| {group} | " + " | ".join(cells) + " |")
    return lines


def render(results: dict[str, Any]) -> str:
    machine = results.get("machine_info", {})
    date = results.get("datetime", "")[:10]
    cores = machine.get("cpu", {}).get("count") or os.cpu_count()
    table = medians(results)
    api = {group: row for group, row in table.items() if "starlette" in row}
    wire = {group: row for group, row in table.items() if "websockets" in row}
    lines = [
        f"Measured {date} on {cpu_model()}, {cores} cores, {machine.get('python_implementation', '')} "
        f"{machine.get('python_version', '')}; medians of one run, side by side (speedup over Starlette).",
        "",
        "| operation | Starlette | fastws compiled | fastws pure |",
        "|---|---:|---:|---:|",
        *_rows(api, IMPLEMENTATIONS),
    ]
    if wire:
        lines += [
            "",
            "Wire level, same run (speedup over websockets, uvicorn's default wire layer):",
            "",
            "| operation | websockets | wsproto | fastws compiled | fastws pure |",
            "|---|---:|---:|---:|---:|",
            *_rows(wire, WIRE_IMPLEMENTATIONS),
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    print(render(json.loads(Path(args[0]).read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())

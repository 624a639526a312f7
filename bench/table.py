"""Turn a pytest-benchmark JSON file into the README's Markdown table.

    python -m pytest bench/ --benchmark-json=bench/results/micro.json
    python -m bench.table bench/results/micro.json

One row per operation group; medians for Starlette, fastws compiled and
fastws pure (all from the same run), and each fastws figure as a speedup
over Starlette.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from ._common import cpu_model

IMPLEMENTATIONS = ["starlette", "fastws-compiled", "fastws-pure"]


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
            (impl for impl in IMPLEMENTATIONS if f"[{impl}" in bench["name"] or f"-{impl}]" in bench["name"]),
            None,
        )
        if implementation is None:
            continue
        ops = bench.get("extra_info", {}).get("ops", 1)  # operations per benchmark call
        table.setdefault(bench["group"], {})[implementation] = bench["stats"]["median"] / ops
    return table


def render(results: dict[str, Any]) -> str:
    machine = results.get("machine_info", {})
    date = results.get("datetime", "")[:10]
    cores = machine.get("cpu", {}).get("count") or os.cpu_count()
    lines = [
        f"Measured {date} on {cpu_model()}, {cores} cores, {machine.get('python_implementation', '')} "
        f"{machine.get('python_version', '')}; medians of one run, side by side (speedup over Starlette).",
        "",
        "| operation | Starlette | fastws compiled | fastws pure |",
        "|---|---:|---:|---:|",
    ]
    for group, row in sorted(medians(results).items()):
        base = row.get("starlette")
        cells = [_format_time(base) if base else "-"]
        for implementation in IMPLEMENTATIONS[1:]:
            value = row.get(implementation)
            if value is None:
                cells.append("-")
            elif base:
                cells.append(f"{_format_time(value)} (**{base / value:.2f}x**)")
            else:
                cells.append(_format_time(value))
        lines.append(f"| {group} | " + " | ".join(cells) + " |")
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

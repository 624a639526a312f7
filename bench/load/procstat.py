"""CPU time of a process tree, from ``/proc`` (Linux)."""

from __future__ import annotations

import os
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _tree(pid: int) -> list[int]:
    """``pid`` and its live descendants."""
    found: list[int] = []
    stack = [pid]
    while stack:
        current = stack.pop()
        if current not in found:
            found.append(current)
            stack += _children(current)
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and all its live descendants."""
    total = 0.0
    for member in _tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields[11], fields[12]: utime, stime (after the "(comm)" field)
        total += (int(fields[11]) + int(fields[12])) / _TICKS
    return total


def rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` and its live descendants."""
    total = 0
    for member in _tree(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total

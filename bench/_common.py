"""Small helpers the benchmark scripts share: the machine, the benchmarks page, a client's frame."""

from __future__ import annotations

import platform
import re
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"  # the tables' page


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), or what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def write_docs_block(marker: str, text: str) -> bool:
    """Replace what docs/benchmarks.md holds between ``<!-- marker -->`` and ``<!-- /marker -->``."""
    new, count = re.subn(
        rf"(<!-- {marker} -->\n).*?(<!-- /{marker} -->)",
        lambda m: m.group(1) + text + "\n" + m.group(2),
        BENCHMARKS.read_text(),
        flags=re.S,
    )
    if count != 1:
        return False
    BENCHMARKS.write_text(new)
    return True


def text_frame(payload: bytes, masked: bool = False) -> bytes:
    """A text frame of ``payload``: the server's, or with ``masked`` a client's (a zero mask: the payload goes
    as it is)."""
    n, mask_bit = len(payload), 0x80 if masked else 0
    if n < 126:
        length = bytes((mask_bit | n,))
    elif n < 1 << 16:
        length = bytes((mask_bit | 126,)) + n.to_bytes(2, "big")
    else:
        length = bytes((mask_bit | 127,)) + n.to_bytes(8, "big")
    return b"\x81" + length + (b"\0\0\0\0" if masked else b"") + payload


def masked_text(payload: bytes) -> bytes:
    """A client's text frame of ``payload`` (``text_frame``, masked)."""
    return text_frame(payload, masked=True)

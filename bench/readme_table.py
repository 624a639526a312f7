"""Write the benchmark table of a pytest-benchmark JSON run into README.md.

    python -m bench.readme_table bench/results/micro.json

Replaces what stands between ``<!-- bench-table -->`` and
``<!-- /bench-table -->``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from .table import render

README = Path(__file__).resolve().parent.parent / "README.md"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    table = render(json.loads(Path(args[0]).read_text()))
    text = README.read_text()
    new, count = re.subn(
        r"(<!-- bench-table -->\n).*?(<!-- /bench-table -->)",
        lambda m: m.group(1) + table + "\n" + m.group(2),
        text,
        flags=re.S,
    )
    if count != 1:
        print("README.md has no <!-- bench-table --> block", file=sys.stderr)
        return 1
    README.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Write the benchmark table of a pytest-benchmark JSON run into docs/benchmarks.md.

    python -m bench.readme_table bench/results/micro.json

Replaces what stands between ``<!-- bench-table -->`` and
``<!-- /bench-table -->``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ._common import write_docs_block
from .table import render


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    if not write_docs_block("bench-table", render(json.loads(Path(args[0]).read_text()))):
        print("docs/benchmarks.md has no <!-- bench-table --> block", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

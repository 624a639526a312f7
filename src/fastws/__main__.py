"""``python -m fastws`` is ``fastws``."""

import sys

from .cli import main

sys.exit(main())

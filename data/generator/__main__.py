"""``python -m data.generator --customers N --months M --seed S --out DIR``."""

from __future__ import annotations

import sys

from data.generator.core import main

if __name__ == "__main__":
    sys.exit(main())

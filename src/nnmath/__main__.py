"""``python -m nnmath``: the ``nnmath`` command (see :mod:`nnmath.cli`)."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())

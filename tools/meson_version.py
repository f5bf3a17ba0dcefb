#!/usr/bin/env python3
"""Print nnmath's version, read from src/nnmath/__init__.py (its single source), for
meson.build."""

import pathlib
import re

init = pathlib.Path(__file__).resolve().parent.parent / "src" / "nnmath" / "__init__.py"
match = re.search(r'^__version__ = "([^"]+)"', init.read_text(encoding="utf-8"), re.MULTILINE)
if match is None:
    raise SystemExit(f"no __version__ line in {init}")
print(match.group(1))

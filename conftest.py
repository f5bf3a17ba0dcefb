"""Collection of the package's doctests: ``nnmath.torch`` needs PyTorch, an optional
library; without it that subpackage's doctests are not collected."""

from __future__ import annotations

import importlib.util

collect_ignore_glob = [] if importlib.util.find_spec("torch") else ["src/nnmath/torch/*"]

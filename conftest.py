"""Collection of the package's doctests: ``nnmath.torch`` needs PyTorch and ``nnmath.jax``
needs JAX, optional libraries; without one, that subpackage's doctests are not
collected."""

from __future__ import annotations

import importlib.util

collect_ignore_glob = [f"src/nnmath/{name}/*" for name in ("torch", "jax")
                       if importlib.util.find_spec(name) is None]

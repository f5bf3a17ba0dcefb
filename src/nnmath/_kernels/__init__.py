"""What the NumPy paths of the losses and metrics share around the compiled core: the
thread count (:func:`set_num_threads`, ``NNMATH_NUM_THREADS``), ``out=`` checking and
writing, and the sizes the tests cut their inputs by. The math itself runs in
``nnmath._core`` (activations, the cross-entropy losses from logits, the accuracies' hits)
or in the reference formulas of ``losses``/``metrics``."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .._array import check_out

#: elements per piece of a long row (``losses``: the binary terms' pieces)
CHUNK = 65536
#: below this many elements a core call runs on the calling thread
PARALLEL_MIN = 1 << 17


def _threads_from_env() -> int:
    value = os.environ.get("NNMATH_NUM_THREADS", "").strip()
    if value:
        try:
            n = int(value)
        except ValueError:
            raise ValueError(f"NNMATH_NUM_THREADS must be a positive integer, got {value!r}") \
                from None
        if n < 1:
            raise ValueError(f"NNMATH_NUM_THREADS must be a positive integer, got {value!r}")
        return n
    return os.cpu_count() or 1


_num_threads = _threads_from_env()


def set_num_threads(n: int) -> None:
    """Record the number of threads (``>= 1``); ``nnmath.set_num_threads`` also sets the
    core's pool."""
    global _num_threads
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"n must be an integer, got {n!r}")
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    _num_threads = int(n)


def get_num_threads() -> int:
    """The number of threads large arrays are split over."""
    return _num_threads


def give(result: Any, out: Any) -> Any:
    """Write ``result`` (a NumPy array or scalar) into ``out`` and return ``out``."""
    res = np.asarray(result)
    check_out(out, res.shape, res.dtype)
    np.copyto(out, res)
    return out


__all__ = ["CHUNK", "PARALLEL_MIN", "check_out", "get_num_threads", "give", "set_num_threads"]

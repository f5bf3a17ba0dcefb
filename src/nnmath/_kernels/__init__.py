"""Chunked, threaded NumPy paths of the losses and metrics (the activations run in the
compiled core, ``nnmath._core``).

Each kernel computes its reference formula (in ``losses``/``metrics``) with changes of
*schedule*, never of math: the array is cut into cache-sized chunks (``CHUNK`` elements,
or whole rows), every step of the formula runs over one chunk while it is in cache,
writing into reused per-thread scratch buffers and the output (ufuncs with ``out=``), and
chunks are split over a thread pool (NumPy's ufuncs release the GIL; the number of threads
is :func:`set_num_threads` / ``NNMATH_NUM_THREADS``). Below ``PARALLEL_MIN`` elements there
is no pool and no chunking. Worker threads run in a copy of the caller's ``contextvars``
context, so NumPy's error state (``np.errstate``) is the caller's in every thread. The peak
extra memory of a call is the output plus the per-thread scratch buffers.
"""

from __future__ import annotations

from ._engine import (
    CHUNK,
    MAX_ROW,
    PARALLEL_MIN,
    SMALL,
    check_out,
    elementwise,
    get_num_threads,
    give,
    set_num_threads,
    widen,
)
from ._rows import binary_hits

__all__ = [
    "CHUNK", "MAX_ROW", "PARALLEL_MIN", "SMALL",
    "binary_hits", "check_out", "elementwise", "get_num_threads", "give", "set_num_threads",
    "widen",
]

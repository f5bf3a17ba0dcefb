"""Fast NumPy paths for the hot functions: chunked, in-place, threaded.

The readable math in ``activations/_cores.py`` and ``activations/_axis_cores.py`` is the
reference; the kernels here compute the same formulas (bit for bit where the formula is
the same, see each kernel) with three changes of *schedule*, never of math:

* the array is cut into cache-sized chunks (``CHUNK`` elements, or whole rows of that
  size for the axis functions), and every step of the formula runs over one chunk while
  it is in cache, writing into reused per-thread scratch buffers and the output itself
  (ufuncs with ``out=``), so no array-sized temporary is ever allocated;
* chunks are split over a thread pool (NumPy's ufuncs release the GIL); the number of
  threads is :func:`set_num_threads` / ``NNMATH_NUM_THREADS``, all cores by default;
* below ``PARALLEL_MIN`` elements there is no pool and no chunking: one pass over the
  whole array, so small calls pay no machinery.

Worker threads run in a copy of the caller's ``contextvars`` context, so NumPy's error
state (``np.errstate``) is the caller's in every thread.

The peak extra memory of a call is the output plus, per thread, the scratch buffers
(at most 17 chunks of float64, 8.5 MB, for the double-double float64 mish; allocated once
and reused) or, for the kernels that evaluate the reference core piece by piece (float64
exact GELU, softmax, log_softmax), that core's temporaries for one piece of 8,192 elements
(a few MB); it does not grow with the input.
"""

from __future__ import annotations

from ._elementwise import (
    gelu32_chunk,
    log_sigmoid_chunk,
    mish64_chunk,
    mish_chunk,
    reference_chunk,
    relu_chunk,
    sigmoid64_chunk,
    sigmoid_chunk,
    silu64_chunk,
    silu_chunk,
    softplus_chunk,
    tanh_chunk,
)
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
from ._rows import argmax_hits, axis_kernel, binary_ce_logits, binary_hits, sparse_ce_logits

__all__ = [
    "CHUNK", "MAX_ROW", "PARALLEL_MIN", "SMALL", "argmax_hits", "axis_kernel",
    "binary_ce_logits", "binary_hits", "check_out", "elementwise", "gelu32_chunk",
    "get_num_threads", "give", "log_sigmoid_chunk", "mish64_chunk", "mish_chunk",
    "reference_chunk",
    "relu_chunk", "set_num_threads", "sigmoid64_chunk", "sigmoid_chunk", "silu64_chunk",
    "silu_chunk", "softplus_chunk",
    "sparse_ce_logits", "tanh_chunk", "widen",
]

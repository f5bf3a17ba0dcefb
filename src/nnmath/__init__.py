"""nnmath: the math at the output end of a neural network.

Activation functions, classification losses and classification metrics, exact at the
extremes, with analytic gradients, for NumPy and any array-API library.

>>> import nnmath
>>> nnmath.activations.softmax([1000.0, 0.0])
array([1., 0.])
"""

from __future__ import annotations

from typing import Any

from . import activations
from ._kernels import get_num_threads
from ._kernels import set_num_threads as _set_kernel_threads

__version__ = "0.1.0"


def set_num_threads(n: int) -> None:
    """Set the number of threads large arrays are split over (``>= 1``; 1: none).

    It sets both the NumPy paths' pool and the compiled core's (``nnmath._core``). The
    default is the number of cores, or ``NNMATH_NUM_THREADS`` when it is set.

    >>> import nnmath
    >>> old = nnmath.get_num_threads()
    >>> nnmath.set_num_threads(1); nnmath.get_num_threads()
    1
    >>> nnmath.set_num_threads(old)
    """
    _set_kernel_threads(n)  # validates n
    core = _compiled_core()
    if core is not None:
        core.set_num_threads(int(n))


def set_buffer_cache(max_bytes: int) -> int:
    """Bound the memory of freed large results that nnmath keeps for its next results.

    A result of one MiB or more (an activation's value, gradient or backward of a NumPy
    array) takes its memory from blocks of earlier results that were freed, when one fits,
    instead of new memory whose pages the system maps again on the first write. At most
    ``max_bytes`` of freed blocks are kept (default 512 MiB, or ``NNMATH_BUFFER_CACHE``
    bytes when it is set at import); 0 keeps none and releases what is held. Returns the
    previous bound.

    >>> import nnmath
    >>> old = nnmath.set_buffer_cache(0)
    >>> nnmath.set_buffer_cache(old)
    0
    """
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
        raise ValueError(f"max_bytes must be a whole number >= 0, got {max_bytes!r}")
    core = _compiled_core()
    if core is None:
        return 0
    return int(core.set_buffer_cache(max_bytes))


def _compiled_core() -> Any:
    """``nnmath._core``, or ``None`` while the package runs from a source tree without a
    built core (nothing outside ``_core`` needs it yet)."""
    try:
        from . import _core
    except ImportError as exc:
        if any(v in str(exc) for v in ("NNMATH_CPU", "NNMATH_NUM_THREADS",
                                         "NNMATH_BUFFER_CACHE")):
            raise  # a wrong setting, not a missing build
        return None
    return _core

__all__ = ["__version__", "activations", "get_num_threads", "set_buffer_cache",
           "set_num_threads"]

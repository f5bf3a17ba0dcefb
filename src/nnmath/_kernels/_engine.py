"""The engine of the fast paths: threads, scratch buffers, ``out=``, the chunk loops."""

from __future__ import annotations

import contextvars
import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from .._array import check_out

#: elements per chunk: a few chunk-sized buffers fit in a core's L2 cache
CHUNK = 65536
#: below this many elements a call runs in one pass, without the pool
PARALLEL_MIN = 1 << 17
#: below this many elements scratch buffers are allocated, not looked up
SMALL = 8192
#: beyond this row length the axis kernels hand over to the reference
MAX_ROW = 1 << 20

#: beyond this magnitude σ(x) is 0 in every float dtype (``_cores.SAT``)
SAT = 1.0e4


Chunk = Callable[[np.ndarray, np.ndarray], None]


# -- threads --------------------------------------------------------------------------------

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
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_local = threading.local()


def set_num_threads(n: int) -> None:
    """Set the number of threads the fast NumPy paths use (``>= 1``; 1 disables the pool).

    The default is the number of cores, or ``NNMATH_NUM_THREADS`` when it is set.

    >>> import nnmath
    >>> old = nnmath.get_num_threads()
    >>> nnmath.set_num_threads(1); nnmath.get_num_threads()
    1
    >>> nnmath.set_num_threads(old)
    """
    global _num_threads, _pool
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"n must be an integer, got {n!r}")
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    with _pool_lock:
        _num_threads = int(n)
        if _pool is not None:
            _pool.shutdown(wait=True)
            _pool = None


def get_num_threads() -> int:
    """The number of threads the fast NumPy paths use."""
    return _num_threads


def _get_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max(1, _num_threads - 1),
                                       thread_name_prefix="nnmath")
        return _pool


def _parallel(n: int, grain: int, work: Callable[[int, int], Any]) -> list[Any]:
    """Run ``work(lo, hi)`` over a split of ``range(n)``; the caller takes the first part.

    Parts are contiguous and as even as ``grain`` (the unit of work) allows; the results
    come back in order.
    """
    parts = min(_num_threads, max(1, n // grain))
    if parts <= 1:
        return [work(0, n)]
    units = math.ceil(n / grain)
    bounds = [min(n, grain * (units * i // parts)) for i in range(parts + 1)]
    pool = _get_pool()
    futures = [pool.submit(contextvars.copy_context().run, work, bounds[i], bounds[i + 1])
               for i in range(1, parts)]
    try:
        first = work(bounds[0], bounds[1])
    finally:
        rest = [f.result() for f in futures]
    return [first, *rest]


def _scratch(dtype: Any, k: int, n: int, base: int = 0) -> list[np.ndarray]:
    """``k`` scratch buffers of ``n`` elements: reused ones private to this thread (for
    chunks), or fresh small ones (cheaper than the lookup for a small call). ``base``
    numbers them apart from the buffers of a function called while they are in use."""
    if n < SMALL:
        return [np.empty(n, dtype) for _ in range(k)]
    try:
        bufs = _local.bufs
    except AttributeError:
        bufs = _local.bufs = {}
    out = []
    for i in range(k):
        key = (dtype, base + i)
        b = bufs.get(key)
        if b is None or b.size < n:
            b = bufs[key] = np.empty(max(n, CHUNK), dtype)
        out.append(b[:n])
    return out


#: the scratch numbers of the float64 copies that ``widen`` and the row kernels make
WIDE = 16


def widen(fn: Chunk) -> Chunk:
    """The chunk function ``fn`` evaluated in float64 for a chunk of another float dtype,
    and rounded once into it.

    float32 and float16 inputs are exact in float64, and the float64 formulas are accurate
    to a few float64 ulps (2^-50 relative, about 10^-7 float32 ulp), so the rounded result
    is within 0.5 ulp of the true value plus that: at most 1 ulp, and correctly rounded
    except within 10^-7 ulp of a rounding tie. Subnormal results are rounded, not flushed,
    since the float64 value is normal wherever a float32 subnormal is.
    """
    def wide(xs: np.ndarray, os: np.ndarray) -> None:
        if xs.dtype == np.float64:
            fn(xs, os)
            return
        (w,) = _scratch(np.float64, 1, xs.size, WIDE)
        np.copyto(w, xs)
        fn(w, w)
        np.copyto(os, w, casting="same_kind")

    wide.__wrapped__ = fn  # type: ignore[attr-defined]
    wide.serial = getattr(fn, "serial", False)  # type: ignore[attr-defined]
    return wide


# -- out= -----------------------------------------------------------------------------------

def give(result: Any, out: Any) -> Any:
    """Write ``result`` (a NumPy array or scalar) into ``out`` and return ``out``."""
    res = np.asarray(result)
    check_out(out, res.shape, res.dtype)
    np.copyto(out, res)
    return out


def _same_memory(a: np.ndarray, b: np.ndarray) -> bool:
    return (a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
            and a.strides == b.strides)


def fresh(shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """``np.empty``, with the pages of a large array touched here, in the calling thread.

    A fresh large array is mapped lazily; when the worker threads then fault its pages in
    concurrently, the faults contend (measured on a 2-core VM: 40 ms instead of 5 ms for
    40 MB). One write per 4 kB page, in one thread, costs what the faults cost anyway.
    """
    a = np.empty(shape, dtype)
    if a.size >= PARALLEL_MIN:
        a.reshape(-1)[:: max(1, 4096 // a.itemsize)] = 0
    return a


def _target(x: np.ndarray, dtype: Any, out: Any) -> tuple[np.ndarray, np.ndarray, bool]:
    """The result array and the array the kernel writes (they differ when out needs a cast
    or is not contiguous, or overlaps the input without being it)."""
    if out is None:
        res = fresh(x.shape, dtype)
        return res, (res if res.dtype == x.dtype else fresh(x.shape, x.dtype)), False
    check_out(out, x.shape, dtype)
    direct = (out.dtype == x.dtype and out.flags.c_contiguous
              and (_same_memory(out, x) or not np.may_share_memory(out, x)))
    return out, (out if direct else fresh(x.shape, x.dtype)), True


def _deliver(res: np.ndarray, work: np.ndarray) -> None:
    if work is not res:
        with np.errstate(over="ignore", under="ignore"):  # float32 -> float16 may round to inf
            np.copyto(res, work, casting="unsafe")


# -- the elementwise engine -----------------------------------------------------------------

def elementwise(fn: Chunk, x: np.ndarray, dtype: Any, out: Any, quiet: bool = False) -> Any:
    """Apply the chunk function ``fn(xs, os)`` over ``x`` (already in the compute dtype).

    ``fn`` reads ``xs`` and writes ``os`` (which may be ``xs`` itself: every kernel
    finishes reading ``xs`` before its first write to ``os``). The work runs with
    underflow ignored (as ``fp_guard``: a result below the smallest subnormal is the
    correctly rounded 0), except when ``quiet`` says that ``fn`` cannot raise a
    floating-point flag (tanh, relu: tested with subnormal input under
    ``np.errstate(all="raise")``), which saves the cost of an ``np.errstate``.
    """
    if quiet:
        return _elementwise(fn, x, dtype, out)
    # over: a float64 value beyond float32's range rounds to ±inf (``widen``), as intended
    with np.errstate(under="ignore", over="ignore"):
        return _elementwise(fn, x, dtype, out)


def _elementwise(fn: Chunk, x: np.ndarray, dtype: Any, out: Any) -> Any:
    if x.ndim == 0:
        y = np.empty((1,), x.dtype)
        fn(x.reshape(1), y)
        r = y.astype(dtype) if y.dtype != dtype else y
        return give(r.reshape(()), out) if out is not None else r[0]
    if not x.flags.c_contiguous:
        x = np.ascontiguousarray(x)
    res, work, _ = _target(x, dtype, out)
    xf, wf = x.reshape(-1), work.reshape(-1)
    n = xf.size
    if n < PARALLEL_MIN or getattr(fn, "serial", False):
        fn(xf, wf)
    else:
        def part(lo: int, hi: int) -> None:
            for s in range(lo, hi, CHUNK):
                e = min(s + CHUNK, hi)
                fn(xf[s:e], wf[s:e])

        _parallel(n, CHUNK, part)
    _deliver(res, work)
    return res


# -- the row engine -------------------------------------------------------------------------

def _rows_engine(x2: np.ndarray, work: Callable[[int, int], Any],
                 chunk: int = CHUNK, serial: bool = False) -> list[Any]:
    """Run ``work(lo, hi)`` over chunks of whole rows of ``x2`` (about ``chunk`` elements),
    on the pool when ``x2`` is large (and ``work`` is not ``serial``: many small ufunc
    calls, which threads would spend waiting for the GIL); the results come back in row
    order."""
    rows, n = x2.shape
    per = max(1, chunk // max(n, 1))

    def part(lo: int, hi: int) -> list[Any]:
        return [work(s, min(s + per, hi)) for s in range(lo, hi, per)]

    if x2.size < PARALLEL_MIN or serial:
        return part(0, rows)
    out: list[Any] = []
    for r in _parallel(rows, per, part):
        out.extend(r)
    return out


def _per_row(values: np.ndarray, shape: tuple[int, ...], dtype: Any, out: Any) -> Any:
    """Per-row results (small next to the input): cast once, written into ``out`` if given."""
    if out is not None:
        check_out(out, shape, dtype)
    with np.errstate(over="ignore", under="ignore"):  # rounding to float16 may give inf
        res = values.reshape(shape).astype(dtype, copy=False)
    if out is not None:
        np.copyto(out, res)
        return out
    return res if res.ndim else res[()]

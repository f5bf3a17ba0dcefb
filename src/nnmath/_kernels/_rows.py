"""Chunked kernels of the metrics (argmax hits, binary accuracy), each falling back to the
reference where its fast formula does not apply. (The activations and the cross-entropy
losses from logits run in the compiled core; these move there next.)"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _engine
from ._engine import (
    CHUNK,
    PARALLEL_MIN,
    _per_row,
    _rows_engine,
    _scratch,
    check_out,
    fresh,
)

#: the rows of a float64 chunk that a reference formula gets at once
SUB = 8192
_MAX, _MIN, _SUM = np.maximum.reduce, np.minimum.reduce, np.add.reduce


def argmax_hits(labels: np.ndarray, yp: np.ndarray, dtype: Any, out: Any) -> Any:
    """``labels == argmax(yp, axis=-1)`` as ``dtype``; ``None`` when a row holds a NaN
    (NumPy's argmax returns the first NaN, so a NaN is found where the argmax points)."""
    n = yp.shape[-1]
    if yp.ndim == 0 or n == 0 or yp.size == 0:
        return None
    y2 = np.ascontiguousarray(yp).reshape(-1, n)
    lab = np.ascontiguousarray(labels).reshape(-1)
    hits = np.empty(y2.shape[0], np.bool_)

    def chunk(lo: int, hi: int) -> bool:
        xs = y2[lo:hi]
        idx = xs.argmax(axis=1)
        if np.isnan(xs[np.arange(hi - lo), idx]).any():
            return False
        np.equal(lab[lo:hi], idx, out=hits[lo:hi])
        return True

    # one pass and no scratch: larger chunks cost less Python per row
    if not all(_rows_engine(y2, chunk, 16 * CHUNK)):
        return None
    return _per_row(hits, yp.shape[:-1], dtype, out)


def binary_hits(yt: np.ndarray, yp: np.ndarray, t: float, dtype: Any, out: Any) -> Any:
    """``yt == (yp > t)`` elementwise as ``dtype``; ``None`` when either input holds a NaN."""
    yt, yp = np.ascontiguousarray(yt), np.ascontiguousarray(yp)
    if out is not None:
        check_out(out, yp.shape, dtype)
    res = fresh(yp.shape, dtype) if out is None else out
    direct = res.flags.c_contiguous and not (np.may_share_memory(res, yp)
                                             or np.may_share_memory(res, yt))
    work = res if direct else fresh(yp.shape, dtype)
    tf, pf, wf = yt.reshape(-1), yp.reshape(-1), work.reshape(-1)

    def fn(lo: int, hi: int) -> bool:
        ts, ps = tf[lo:hi], pf[lo:hi]
        if np.isnan(_MAX(ps, axis=None)) or np.isnan(_MAX(ts, axis=None)):  # NaN propagates
            return False
        a, b = _scratch(np.bool_, 2, hi - lo)
        np.greater(ps, t, out=a)  # the decision, compared with the label as a number
        np.equal(ts, a, out=b)
        np.copyto(wf[lo:hi], b)
        return True

    n = pf.size
    if n == 0:
        return res
    if n < PARALLEL_MIN:
        ok = fn(0, n)
    else:
        def part(lo: int, hi: int) -> bool:
            return all([fn(s, min(s + CHUNK, hi)) for s in range(lo, hi, CHUNK)])

        ok = all(_engine._parallel(n, CHUNK, part))
    if not ok:
        return None
    if work is not res:
        np.copyto(res, work)
    return res

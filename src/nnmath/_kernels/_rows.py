"""Chunked kernels of the metrics and of the binary loss (argmax hits, the binary loss and
accuracy), each falling back to the reference where its fast formula does not apply. (The
activations and the sparse crossentropy run in the compiled core; these move there next.)"""

from __future__ import annotations

import math
from collections.abc import Callable
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


def _log1p_exp_neg_abs(xs: np.ndarray, a: np.ndarray) -> None:
    np.abs(xs, out=a)
    np.negative(a, out=a)
    np.exp(a, out=a)
    np.log1p(a, out=a)  # log1p(e^{-|x|}) in (0, log 2]


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


def binary_ce_logits(reference: Callable[[np.ndarray, np.ndarray], np.ndarray],
                     y: np.ndarray, z: np.ndarray, dtype: Any, out: Any) -> Any:
    """Mean over the last axis of ``softplus(z) - y z`` (binary crossentropy from logits).

    ``-y log σ(z) - (1 - y) log σ(-z) = y softplus(-z) + (1 - y) softplus(z)
    = y z⁻ + (1 - y) z⁺ + log1p(e^{-|z|})`` (``softplus(±z) = z^± + log1p(e^{-|z|})``):
    one exp and one log1p instead of two of each, and three non-negative terms, so no
    cancellation; it rounds differently from the reference, by a few ulps of each term
    (hard labels: not at all). A chunk whose sum is not finite
    (infinite logits, labels outside [0, 1]) is recomputed by ``reference(y, z)`` (the
    reference's elementwise terms) under the caller's error state. A row longer than a
    chunk is summed chunk by chunk, the partial sums added in float64.
    """
    n = z.shape[-1]
    if z.ndim == 0 or n == 0 or z.size == 0:
        return None
    z, y = np.ascontiguousarray(z), np.ascontiguousarray(y)
    rows = z.size // n

    def terms(ys: np.ndarray, zs: np.ndarray) -> np.ndarray:
        # y z- + (1 - y) z+ + L: three non-negative terms for y in [0, 1], no cancellation
        a, b, c, d = _scratch(zs.dtype, 4, zs.size)
        _log1p_exp_neg_abs(zs, a)  # L = log1p(e^{-|z|})
        np.maximum(zs, 0.0, out=b)  # z+
        np.subtract(b, zs, out=c)  # z- = z+ - z, exact
        np.multiply(c, ys, out=c)
        np.subtract(1.0, ys, out=d)
        np.multiply(d, b, out=d)
        np.add(c, d, out=c)
        np.add(c, a, out=c)
        return c

    if n >= CHUNK:
        zf, yf = z.reshape(-1), y.reshape(-1)
        sums = np.empty(rows, np.float64)
        for r in range(rows):
            base = r * n

            def part(lo: int, hi: int, base: int = base) -> list[tuple[int, int, float]]:
                got = []
                with np.errstate(over="ignore", invalid="ignore"):
                    for s in range(lo + base, hi + base, CHUNK):
                        e = min(s + CHUNK, hi + base)
                        got.append((s, e, float(np.sum(terms(yf[s:e], zf[s:e])))))
                return got

            parts = _engine._parallel(n, CHUNK, part) if n >= PARALLEL_MIN else [part(0, n)]
            total = 0.0
            for s, e, v in (c for p in parts for c in p):
                if not math.isfinite(v):  # the reference decides inf, NaN and warnings
                    v = float(np.sum(reference(yf[s:e], zf[s:e])))
                total += v
            sums[r] = total / n
        return _per_row(sums, z.shape[:-1], dtype, out)
    z2, y2 = z.reshape(rows, n), y.reshape(rows, n)
    vals = np.empty(rows, z.dtype)

    def chunk(lo: int, hi: int) -> None:
        with np.errstate(over="ignore", invalid="ignore"):
            t = terms(y2[lo:hi].reshape(-1), z2[lo:hi].reshape(-1)).reshape(hi - lo, n)
            s = np.sum(t, axis=1)
        if not np.isfinite(s).all():
            s = np.sum(reference(y2[lo:hi], z2[lo:hi]), axis=1)
        np.divide(s, n, out=vals[lo:hi])

    f64 = z2.dtype == np.float64  # the reference on small row chunks, in this thread
    _rows_engine(z2, chunk, SUB if f64 else CHUNK, serial=f64)
    return _per_row(vals, z.shape[:-1], dtype, out)

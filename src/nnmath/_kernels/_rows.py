"""The chunked kernel of binary accuracy, falling back to the reference where its fast
formula does not apply. (The activations, the cross-entropy losses from logits and the
argmax and top-k hits run in the compiled core; this moves there next.)"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _engine
from ._engine import (
    CHUNK,
    PARALLEL_MIN,
    _scratch,
    check_out,
    fresh,
)

_MAX = np.maximum.reduce


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

"""The fused update of a multiclass evaluation with integer labels: one pass per chunk.

For each chunk, one call of the core's ``sparse_eval_rows`` gives per row the predicted
class (the first index of the maximum), the number of scores above the label's (a top-k
hit is ``rank < k``, ties counting as hits, as Keras) and the cross-entropy from logits.
Everything the plan reports follows from these and the labels:

* the confusion counts, ``np.bincount(label * C + pred)``, give accuracy (their trace),
  balanced accuracy (the diagonal over the row sums) and the per-class table;
* ``np.bincount(rank)`` gives every top-k accuracy at once;
* the cross-entropy's exact total is the exact sum of the per-row losses.

The counts are kept in NumPy integers over the whole piece and added to the plan's
metrics once, at the end, through the metrics' own state (``get_state``, ``from_state``,
``merge_state``): the metrics hold what the per-metric updates of :func:`._plan._update`
would hold, bit for bit, so the report, ``partial_state`` and the Dask merge are the same.

The checks stay those of :func:`._plan._check_chunk`. From logits, the core finds the rows
that the checks refuse (a NaN, a label outside the classes: ``rank == -1``) and only then
are the checks run, to raise their message; probabilities are checked as before, and
their cross-entropy (clipped and renormalised, Keras) is the metric's own update. Weighted
evaluations, one-hot labels and labels given as floats take the per-metric path.
"""
from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _core
from .._exact import Exact, add, encode, exact_total

if TYPE_CHECKING:
    from ._plan import Piece, _Plan

__all__ = ["FusedCounts"]


def _merge(metric: Any, state: dict[str, Any]) -> None:
    """Add ``state`` (the ``state`` entry of a ``get_state()``) into ``metric``, through
    the metric's state API."""
    whole = metric.get_state()
    whole["state"] = state
    metric.merge_state(type(metric).from_state(whole))


class FusedCounts:
    """The counts of the fused path over a piece of rows (see the module's doc)."""

    def __init__(self, plan: _Plan, step: int) -> None:
        c = self.n_classes = plan.n_classes
        self.from_logits = plan.from_logits
        self.top_k = list(plan.top_k)
        self.rows = 0
        # the confusion counts where the plan keeps them; else per class support and hits
        self.confusion = plan.confusion is not None
        self.cells = np.zeros(c * c if self.confusion else 2 * c, dtype=np.int64)
        self.ranks = np.zeros(c, dtype=np.int64)
        self.loss: Exact = Fraction(0)
        self.step = step
        self._out: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    @classmethod
    def for_plan(cls, plan: _Plan, weighted: bool, step: int) -> FusedCounts | None:
        """The counts for ``plan``, or ``None`` where the fused path does not apply."""
        if plan.task != "multiclass" or plan.labels != "sparse" or weighted:
            return None
        return cls(plan, step)

    def _outputs(self, dtype: np.dtype[Any], n: int) -> tuple[np.ndarray, ...]:
        """The kernel's output arrays for ``n`` rows of ``dtype`` scores, reused."""
        key = dtype.str
        if key not in self._out:
            size = max(self.step, n)
            self._out[key] = (np.empty(size, np.int64), np.empty(size, np.int64),
                              np.empty(size, dtype))
        return tuple(a[:n] for a in self._out[key])

    def update(self, plan: _Plan, chunks: Any, yt: Piece, yp: Piece, done: int) -> bool:
        """Check and count one chunk (labels, scores); ``False`` when it does not fit the
        fused path (it is then left to the per-metric path)."""
        from ._plan import _check_chunk

        t_raw, p_raw = chunks[0], chunks[1]
        n = len(p_raw)
        if (p_raw.ndim != 2 or p_raw.shape[1] != self.n_classes or t_raw.dtype.kind not in "biu"
                or t_raw.shape not in ((n,), (n, 1))):
            return False
        if self.from_logits:
            if p_raw.dtype.char not in "efd" or not p_raw.dtype.isnative:
                return False
            labels = t_raw.reshape(n).astype(np.int64, copy=False)
            scores = p_raw
        else:  # probabilities: every check as before (ranges, sums, the counts of sums)
            scores, labels, _ = _check_chunk(plan, chunks, yt, yp, None, done)
        pred, rank, loss = self._outputs(scores.dtype, n)
        _core.sparse_eval_rows(scores, labels, out=(pred, rank, loss))
        if self.from_logits:
            if n and int(rank.min()) < 0:  # a NaN row or a label outside the classes
                _check_chunk(plan, chunks, yt, yp, None, done)  # raises their message
                raise AssertionError("the checks passed a chunk that the core refused")
            plan.rows.rows += n  # what check_scores counts
            self.loss = add(self.loss, exact_total(loss))
        else:
            plan.metrics["crossentropy"].update_state(labels, scores)
        c = self.n_classes
        if self.confusion:
            cells = labels * c
            cells += pred
        else:  # support in [0, c), hits in [c, 2c)
            cells = np.concatenate([labels, labels[pred == labels] + c])
        if len(self.cells) <= 8 * len(cells):
            self.cells += np.bincount(cells, minlength=len(self.cells))
        else:  # few rows, many cells: only the cells that occur
            np.add.at(self.cells, cells, 1)
        self.ranks += np.bincount(rank, minlength=c)
        self.rows += n
        return True

    def merge_into(self, plan: _Plan) -> None:
        """Add the counts into the plan's metrics (once, after the piece)."""
        if not self.rows:
            return
        c = self.n_classes
        cm = self.cells.reshape(c, c) if self.confusion else None
        if cm is not None:
            support, hits = cm.sum(axis=1), np.diagonal(cm)
        else:
            support, hits = self.cells[:c], self.cells[c:]
        m = plan.metrics
        count = self.rows
        _merge(m["accuracy"], {"total": int(hits.sum()), "count": count})
        below = np.cumsum(self.ranks)  # below[k - 1]: rows with fewer than k scores above
        for k in self.top_k:
            _merge(m[f"top_{k}_accuracy"], {"total": int(below[min(k, c) - 1]), "count": count})
        if self.from_logits:
            _merge(m["crossentropy"], {"total": encode(self.loss), "count": count})
        _merge(m["balanced_accuracy"], {"hits": hits.tolist(), "support": support.tolist(),
                                        "weighted_hits": [], "weighted_support": []})
        if plan.confusion is not None and cm is not None:
            _merge(plan.confusion, {"counts": cm.tolist(), "weighted": False,
                                    "weighted_cells": []})
        self.rows = 0

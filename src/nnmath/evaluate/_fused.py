"""The fused update of a multiclass evaluation: one pass per chunk.

For each chunk, one call of the core's ``sparse_eval_rows`` gives per row the predicted
class (the first index of the maximum), the number of scores above the label's (a top-k
hit is ``rank < k``, ties counting as hits, as Keras) and the cross-entropy from logits.
The label is the integer label, or for one-hot (or probability) label rows the first
index of the row's maximum, as Keras's categorical accuracies take it; their
cross-entropy is the core's ``cce_logits`` of the label rows, the bits of
``CategoricalCrossentropy``. Everything the plan reports follows from these and the labels:

* the confusion counts, ``np.bincount(label * C + pred)``, give accuracy (their trace),
  balanced accuracy (the diagonal over the row sums) and the per-class table;
* ``np.bincount(rank)`` gives every top-k accuracy at once;
* the cross-entropy's exact total is the exact sum of the per-row losses.

With sample weights the counts are the exact sums of the weights per cell and per rank
(the core's exact group sums) and the loss's total the exact ``Σ w·loss``: the states the
metrics' weighted updates hold, which are exact numbers, whatever computes them.

The counts are kept in NumPy integers over the whole piece and added to the plan's
metrics once, at the end, through the metrics' own state (``get_state``, ``from_state``,
``merge_state``): the metrics hold what the per-metric updates of :func:`._plan._update`
would hold, bit for bit, so the report, ``partial_state`` and the Dask merge are the same.

The checks stay those of :func:`._plan._check_chunk`. From logits, the core finds the rows
that the checks refuse (a NaN, a label outside the classes: ``rank == -1``) and only then
are the checks run, to raise their message; probabilities are checked as before, and
their cross-entropy (clipped and renormalised, Keras) is the metric's own update. Labels
given as floats, and a weighted evaluation's confusion counts beyond 4,096 cells, take the
per-metric path.
"""
from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _core
from .._exact import Exact, add, encode, exact_group_sums, exact_sum, exact_total

if TYPE_CHECKING:
    from ._plan import Piece, _Plan

__all__ = ["FusedCounts"]

#: the most cells whose exact weighted sums the fused path keeps per chunk
WEIGHTED_CELLS = 4096


def _merge(metric: Any, state: dict[str, Any]) -> None:
    """Add ``state`` (the ``state`` entry of a ``get_state()``) into ``metric``, through
    the metric's state API."""
    whole = metric.get_state()
    whole["state"] = state
    metric.merge_state(type(metric).from_state(whole))


class FusedCounts:
    """The counts of the fused path over a piece of rows (see the module's doc)."""

    def __init__(self, plan: _Plan, step: int, weighted: bool = False) -> None:
        c = self.n_classes = plan.n_classes
        self.from_logits = plan.from_logits
        self.onehot = plan.labels == "onehot"
        self.weighted = weighted
        self.top_k = list(plan.top_k)
        self.rows = 0
        # the confusion counts where the plan keeps them; else per class support and hits
        self.confusion = plan.confusion is not None
        self.cells = np.zeros(c * c if self.confusion else 2 * c, dtype=np.int64)
        self.ranks = np.zeros(c, dtype=np.int64)
        # weighted: the exact sums of the weights per cell and per rank, and in all
        self.wcells = [Fraction(0)] * len(self.cells) if weighted else []
        self.wranks = [Fraction(0)] * c if weighted else []
        self.wtotal = Fraction(0)
        self.loss: Exact = Fraction(0)
        # the rows (weights) in self.loss: all but the chunks whose loss the metric took
        self.loss_rows, self.loss_w = 0, Fraction(0)
        self.step = step
        self.last: tuple[Any, Any, Any] = (None, None, None)
        self._out: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    @classmethod
    def for_plan(cls, plan: _Plan, weighted: bool, step: int) -> FusedCounts | None:
        """The counts for ``plan``, or ``None`` where the fused path does not apply."""
        if plan.task != "multiclass" or plan.labels not in ("sparse", "onehot"):
            return None
        c = plan.n_classes
        if weighted and plan.confusion is not None and c * c > WEIGHTED_CELLS:
            return None
        return cls(plan, step, weighted)

    def _outputs(self, dtype: np.dtype[Any], n: int) -> tuple[np.ndarray, ...]:
        """The kernel's output arrays for ``n`` rows of ``dtype`` scores, reused."""
        key = dtype.str
        if key not in self._out:
            size = max(self.step, n)
            self._out[key] = (np.empty(size, np.int64), np.empty(size, np.int64),
                              np.empty(size, dtype))
        return tuple(a[:n] for a in self._out[key])

    def update(self, plan: _Plan, chunks: Any, yt: Piece, yp: Piece, done: int,
               w: Piece | None = None) -> bool:
        """Check and count one chunk (labels, scores[, weights]); ``False`` when it does
        not fit the fused path (it is then left to the per-metric path, untouched)."""
        from ._checks import RowError, check_labels, check_weights
        from ._plan import _check_chunk

        t_raw, p_raw = chunks[0], chunks[1]
        n, c = len(p_raw), self.n_classes
        if p_raw.ndim != 2 or p_raw.shape[1] != c:
            return False
        if self.onehot:
            if t_raw.shape != (n, c) or t_raw.dtype.kind not in "biuf":
                return False
        elif t_raw.dtype.kind not in "biu" or t_raw.shape not in ((n,), (n, 1)):
            return False
        if self.from_logits and (p_raw.dtype.char not in "efd" or not p_raw.dtype.isnative):
            return False
        wts = None
        if self.from_logits:
            try:  # the label rows and the weights; the scores' NaNs are found by the core
                target = (check_labels(t_raw, "onehot", c, yt.source.spec,
                                       yt.first_row + done, yp.source.spec)
                          if self.onehot else t_raw.reshape(n).astype(np.int64, copy=False))
                if w is not None:
                    wts = check_weights(chunks[2], plan.rows, w.source.spec,
                                        w.first_row + done)
            except RowError:
                _check_chunk(plan, chunks, yt, yp, w, done)  # the earliest row's message
                raise
            scores = p_raw
        else:  # probabilities: every check as before (ranges, sums, the counts of sums)
            scores, target, wts = _check_chunk(plan, chunks, yt, yp, w, done)
        labels = np.argmax(target, axis=1) if self.onehot else target
        #: the checked chunk, for the probability metrics (:mod:`._probs`)
        self.last = (labels, scores, wts)
        pred, rank, loss = self._outputs(scores.dtype, n)
        _core.sparse_eval_rows(scores, labels, out=(pred, rank, loss))
        if self.from_logits:
            if n and int(rank.min()) < 0:  # a NaN row or a label outside the classes
                _check_chunk(plan, chunks, yt, yp, w, done)  # raises their message
                raise AssertionError("the checks passed a chunk that the core refused")
            plan.rows.rows += n  # what check_scores counts
            if self.onehot:  # the bits of CategoricalCrossentropy(from_logits=True):
                # float16 computed in float32 and rounded once, as every loss
                wide = np.float32 if scores.dtype == np.float16 else scores.dtype
                loss = np.asarray(_core.cce_logits(scores.astype(wide, copy=False),
                                                   target.astype(wide, copy=False)))
                loss = loss.astype(scores.dtype, copy=False)
            if self.onehot and np.isnan(loss).any():  # limits of infinite logits
                plan.metrics["crossentropy"].update_state(target, scores, sample_weight=wts)
            else:
                self.loss = add(self.loss, exact_total(loss, wts))
                self.loss_rows += n
                if wts is not None:
                    self.loss_w += exact_sum(wts)
        else:
            plan.metrics["crossentropy"].update_state(target, scores, sample_weight=wts)
        if self.confusion:
            cells = labels * c
            cells += pred
        else:  # support in [0, c), hits in [c, 2c)
            hit = pred == labels
            cells = np.concatenate([labels, labels[hit] + c])
        if wts is not None:
            cw = wts if self.confusion else np.concatenate([wts, wts[hit]])
            for acc, parts in ((self.wcells, exact_group_sums(cw, cells, len(self.cells))),
                               (self.wranks, exact_group_sums(wts, rank, c))):
                for i, v in enumerate(parts):
                    if v:
                        acc[i] += v
            self.wtotal += exact_sum(wts)
        elif len(self.cells) <= 8 * len(cells):
            self.cells += np.bincount(cells, minlength=len(self.cells))
        else:  # few rows, many cells: only the cells that occur
            np.add.at(self.cells, cells, 1)
        if wts is None:
            self.ranks += np.bincount(rank, minlength=c)
        self.rows += n
        return True

    def merge_into(self, plan: _Plan) -> None:
        """Add the counts into the plan's metrics (once, after the piece)."""
        if not self.rows:
            return
        self._merge_counts(plan)
        self.rows, self.loss_rows, self.loss_w, self.loss = 0, 0, Fraction(0), Fraction(0)

    def _merge_counts(self, plan: _Plan) -> None:
        if self.weighted:
            self._merge_weighted(plan)
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
        if self.from_logits and self.loss_rows:
            _merge(m["crossentropy"], {"total": encode(self.loss), "count": self.loss_rows})
        _merge(m["balanced_accuracy"], {"hits": hits.tolist(), "support": support.tolist(),
                                        "weighted_hits": [], "weighted_support": []})
        if plan.confusion is not None and cm is not None:
            _merge(plan.confusion, {"counts": cm.tolist(), "weighted": False,
                                    "weighted_cells": []})

    def _merge_weighted(self, plan: _Plan) -> None:
        """:meth:`merge_into` of a weighted evaluation: exact sums of weights."""
        c = self.n_classes
        if self.confusion:
            cells = [self.wcells[i * c:(i + 1) * c] for i in range(c)]
            support = [sum(row, Fraction(0)) for row in cells]
            hits = [cells[i][i] for i in range(c)]
        else:
            support, hits = self.wcells[:c], self.wcells[c:]
        m = plan.metrics
        count = encode(self.wtotal)
        _merge(m["accuracy"], {"total": encode(sum(hits, Fraction(0))), "count": count})
        below = list(self.wranks)
        for r in range(1, c):
            below[r] += below[r - 1]
        for k in self.top_k:
            _merge(m[f"top_{k}_accuracy"], {"total": encode(below[min(k, c) - 1]),
                                            "count": count})
        if self.from_logits and self.loss_rows:
            _merge(m["crossentropy"], {"total": encode(self.loss), "count": encode(self.loss_w)})
        zeros = [0] * c
        _merge(m["balanced_accuracy"], {"hits": zeros, "support": zeros,
                                        "weighted_hits": _sparse(hits),
                                        "weighted_support": _sparse(support)})
        if plan.confusion is not None and self.confusion:
            _merge(plan.confusion, {"counts": [zeros] * c, "weighted": True,
                                    "weighted_cells": _sparse(self.wcells)})


def _sparse(values: list[Fraction]) -> list[list[Any]]:
    """The nonzero entries of ``values`` as a metric's sparse state ``[[index, exact]]``."""
    return [[i, encode(v)] for i, v in enumerate(values) if v]

"""Per-class metrics of scikit-learn and torchmetrics: ``ConfusionMatrix``, ``MulticlassAccuracy``.

Both take integer labels ``y_true`` and, for ``y_pred``, either integer labels of the same
shape or scores with one more (last) axis of ``num_classes`` entries, whose argmax (first
index on ties) is the prediction. Unweighted counts are Python integers (they never
wrap); weighted sums are kept exactly per class (or cell), as fractions, and rounded once
in ``result()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np

from .._array import float_input
from .._exact import encode, exact_group_sums, exact_group_sums_nonzero, to_float
from ._base import Metric, StateField, align_weights, to_numpy, update_by_blocks, weights
from ._functions import argmax_last, check_k, in_top_k, int_labels, refuse_nan, shape_of

__all__ = ["ConfusionMatrix", "MulticlassAccuracy"]


def _check_ignore(ignore_index: Any) -> int | None:
    if ignore_index is None:
        return None
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, (int, np.integer)):
        raise TypeError(f"ignore_index must be an integer or None, got {ignore_index!r}")
    return int(ignore_index)


def class_decisions(y_true: Any, y_pred: Any, num_classes: int, ignore_index: int | None,
                    top_k: int = 1, sample_weight: Any = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Flat ``(labels, predictions or top-k hits, weights)`` with ignored samples dropped.

    With ``top_k == 1`` the second array holds the predicted labels; otherwise booleans,
    whether the label is among the ``top_k`` best scores (ties with the k-th count).
    """
    yt = to_numpy(y_true)
    yp = to_numpy(y_pred)
    if yt.ndim == yp.ndim and yt.shape != yp.shape and yt.ndim and yt.shape[-1] == 1:
        yt = yt.reshape(yt.shape[:-1])  # (N, 1) labels against (N, C) scores
    elif yt.ndim == yp.ndim + 1 and yt.shape[-1] == 1:
        yt = yt.reshape(yt.shape[:-1])  # (N, 1) labels against (N,) predicted labels
    if yt.shape == yp.shape:
        if top_k > 1:
            raise ValueError(f"top_k={top_k} needs scores in y_pred (one more axis of "
                             f"num_classes={num_classes} entries), got labels")
        is_scores = False
    elif yp.ndim == yt.ndim + 1 and yp.shape[:-1] == yt.shape:
        if yp.shape[-1] != num_classes:
            raise ValueError(f"y_pred holds scores for {yp.shape[-1]} classes, expected "
                             f"num_classes={num_classes}")
        is_scores = True
    else:
        raise ValueError(
            f"y_true {shape_of(yt)} and y_pred {shape_of(yp)} do not fit: give labels of the "
            f"same shape, or scores with one more axis of num_classes={num_classes}"
        )
    labels = int_labels(np, yt, num_classes, "y_true", ignore=ignore_index)
    w = None
    if sample_weight is not None:
        w = np.asarray(align_weights(weights(sample_weight), labels.shape), dtype=np.float64)
    if is_scores:
        _, yp_scores, _ = float_input(yp, "y_pred")
        refuse_nan(np, yp_scores, "y_pred")
        if ignore_index is not None:
            keep = labels != ignore_index
            labels, yp_scores = labels[keep], yp_scores[keep]
            w = None if w is None else w[keep]
        if top_k > 1:
            second = in_top_k(np, yp_scores, labels, top_k)
        else:
            second = argmax_last(np, yp_scores)
    else:
        second = int_labels(np, yp, num_classes, "y_pred")
        if ignore_index is not None:
            keep = labels != ignore_index
            labels, second = labels[keep], second[keep]
            w = None if w is None else w[keep]
    return labels.ravel(), np.asarray(second).ravel(), None if w is None else w.ravel()


def _encode_sparse(d: Mapping[int, Fraction]) -> list[list[Any]]:
    return [[int(k), encode(v)] for k, v in sorted(d.items()) if v != 0]


def _zeros(shape: tuple[int, ...]) -> np.ndarray:
    """Counters of Python integers (an object array), which never wrap at 2**63."""
    out = np.empty(shape, dtype=object)
    out.fill(0)
    return out


def _add_counts(counts: np.ndarray, increment: np.ndarray) -> None:
    """``counts += increment`` in Python integers."""
    counts += increment.astype(object)


def _check_num_classes(num_classes: Any) -> int:
    return check_k(num_classes, "num_classes")


class ConfusionMatrix(Metric):
    """The confusion matrix: ``C[i, j]`` = (weighted) number of samples of class i predicted j.

    Rows are true classes, columns predicted classes (scikit-learn's ``confusion_matrix``,
    torchmetrics' ``MulticlassConfusionMatrix``).

    Parameters
    ----------
    num_classes
        C, an integer >= 1.
    normalize
        ``None`` (counts), ``"true"`` (each row sums to 1: recall), ``"pred"`` (each column
        sums to 1: precision) or ``"all"`` (the matrix sums to 1), as scikit-learn; an
        empty row or column gives zeros.
    ignore_index
        A label whose samples are skipped (it may lie outside ``[0, C)``, e.g. -100).
    name
        The instance name.

    Notes
    -----
    ``result()`` is an int64 array while every update was unweighted (an object array of
    Python integers once a count passes 2**63), else float64 (each
    entry the correctly rounded exact weighted sum); normalised results are float64.

    Examples
    --------
    >>> m = ConfusionMatrix(num_classes=3)
    >>> m.update_state([0, 1, 2, 2], [0, 2, 2, 1])
    >>> m.result()
    array([[1, 0, 0],
           [0, 0, 1],
           [0, 1, 1]])
    >>> m.update_state([1], [[0.1, 0.7, 0.2]])  # scores: the argmax is the prediction
    >>> ConfusionMatrix.from_state(m.get_state()).result()[1]
    array([0, 1, 1])
    """

    name = "confusion_matrix"
    _params: ClassVar[tuple[str, ...]] = ("num_classes", "normalize", "ignore_index")
    NORMALIZE = (None, "true", "pred", "all")

    def __init__(self, num_classes: int, normalize: str | None = None,
                 ignore_index: int | None = None, name: str | None = None) -> None:
        self.num_classes = _check_num_classes(num_classes)
        if normalize not in self.NORMALIZE:
            raise ValueError(f"normalize must be one of {self.NORMALIZE}, got {normalize!r}")
        self.normalize = normalize
        self.ignore_index = _check_ignore(ignore_index)
        super().__init__(name)

    def reset_state(self) -> None:
        """Forget everything: an all-zero matrix."""
        c = self.num_classes
        self._counts = _zeros((c, c))
        self._weighted: dict[int, Fraction] = {}
        self._is_weighted = False

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add one batch (labels or scores; ``sample_weight`` one weight per sample).

        Dask inputs are counted block of rows by block of rows, in one ``compute``.
        """
        if update_by_blocks(self, y_true, y_pred, sample_weight):
            return
        labels, pred, w = class_decisions(y_true, y_pred, self.num_classes, self.ignore_index,
                                          1, sample_weight)
        c = self.num_classes
        cells = labels * c + pred.astype(np.int64)
        if w is None:
            _add_counts(self._counts, np.bincount(cells, minlength=c * c).reshape(c, c))
            return
        self._is_weighted = True
        for cell, s in exact_group_sums_nonzero(w, cells, c * c):
            self._weighted[cell] = self._weighted.get(cell, Fraction(0)) + s

    def _exact(self) -> np.ndarray:
        m = self._counts.copy()
        flat = m.reshape(-1)
        for cell, s in self._weighted.items():
            flat[cell] = flat[cell] + s
        return m

    def result(self) -> np.ndarray:
        """The matrix (rows: true, columns: predicted), normalised as configured."""
        if not self._is_weighted:
            counts = self._counts
            if self.normalize is None:
                if all(v < 2**63 for v in counts.flat):
                    return counts.astype(np.int64)
                return counts.copy()  # beyond int64: the Python integers themselves
        exact = self._exact()
        if self.normalize is None:
            return np.vectorize(to_float, otypes=[np.float64])(exact)
        num, den = np.broadcast_arrays(exact, self._denominator(exact))
        out = np.zeros(exact.shape, dtype=np.float64)
        for i, j in zip(*np.nonzero(num), strict=True):
            out[i, j] = to_float(Fraction(num[i, j]) / den[i, j])
        return out

    def _denominator(self, m: np.ndarray) -> np.ndarray:
        if self.normalize == "true":
            return m.sum(axis=1, keepdims=True)
        if self.normalize == "pred":
            return m.sum(axis=0, keepdims=True)
        return np.full((1, 1), m.sum(), dtype=m.dtype)

    def _state(self) -> dict[str, Any]:
        return {"counts": self._counts.tolist(), "weighted": self._is_weighted,
                "weighted_cells": _encode_sparse(self._weighted)}

    def _schema(self) -> dict[str, StateField]:
        c = self.num_classes
        return {"counts": StateField("counts", (c, c)), "weighted": StateField("flag", (), False),
                "weighted_cells": StateField("sparse", (c * c,), [])}

    def _set_state(self, state: Mapping[str, Any]) -> None:
        self._counts = state["counts"]
        self._weighted = state["weighted_cells"]
        self._is_weighted = state["weighted"] or bool(self._weighted)

    def _merge(self, other: Any) -> None:
        self._counts += other._counts
        for cell, s in other._weighted.items():
            self._weighted[cell] = self._weighted.get(cell, Fraction(0)) + s
        self._is_weighted = self._is_weighted or other._is_weighted


AVERAGES = ("micro", "macro", "weighted", None)


class MulticlassAccuracy(Metric):
    r"""Multi-class accuracy with scikit-learn's and torchmetrics' averages.

    Per class c, the recall :math:`r_c = h_c / n_c` (hits over support: samples of
    class c whose label was predicted — or is among the ``top_k`` best scores). Then

    * ``"micro"`` (default): :math:`\sum_c h_c / \sum_c n_c`, the plain accuracy;
    * ``"macro"``: the mean of :math:`r_c` over the classes with support — *balanced
      accuracy*, ``sklearn.metrics.balanced_accuracy_score``;
    * ``"weighted"``: :math:`\sum_c n_c r_c / \sum_c n_c` (equal to micro);
    * ``None``: the array of :math:`r_c` (NaN for a class without support).

    Parameters
    ----------
    num_classes
        C, an integer >= 1.
    average
        ``"micro"``, ``"macro"``, ``"weighted"`` or ``None``.
    top_k
        Count a hit when the label is among the ``top_k`` best scores (needs scores; a
        tie with the k-th score is a hit, as Keras; ``top_k >= C`` always hits).
    ignore_index
        A label whose samples are skipped (it may lie outside ``[0, C)``).
    name
        The instance name.

    Notes
    -----
    torchmetrics' ``MulticlassAccuracy`` differs in two corners: its macro average also
    counts classes that are predicted but never occur (recall 0), and it reports 0 rather
    than NaN for classes without support. Its ``top_k`` breaks ties arbitrarily.

    Examples
    --------
    >>> y_true, y_pred = [0, 0, 0, 0, 1, 2], [0, 0, 0, 0, 2, 2]
    >>> MulticlassAccuracy(3)(y_true, y_pred)
    0.8333333333333334
    >>> MulticlassAccuracy(3, average="macro")(y_true, y_pred)  # (1 + 0 + 1) / 3
    0.6666666666666666
    >>> MulticlassAccuracy(3, average=None)(y_true, y_pred)
    array([1., 0., 1.])
    """

    name = "multiclass_accuracy"
    _params: ClassVar[tuple[str, ...]] = ("num_classes", "average", "top_k", "ignore_index")

    def __init__(self, num_classes: int, average: str | None = "micro", top_k: int = 1,
                 ignore_index: int | None = None, name: str | None = None) -> None:
        self.num_classes = _check_num_classes(num_classes)
        if average not in AVERAGES:
            raise ValueError(f"average must be one of {AVERAGES}, got {average!r}")
        self.average = average
        self.top_k = check_k(top_k, "top_k")
        self.ignore_index = _check_ignore(ignore_index)
        super().__init__(name)

    def reset_state(self) -> None:
        """Forget everything."""
        c = self.num_classes
        self._hits = _zeros((c,))
        self._support = _zeros((c,))
        self._whits: dict[int, Fraction] = {}
        self._wsupport: dict[int, Fraction] = {}

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add one batch (labels or scores; ``sample_weight`` one weight per sample).

        Dask inputs are counted block of rows by block of rows, in one ``compute``.
        """
        if update_by_blocks(self, y_true, y_pred, sample_weight):
            return
        labels, second, w = class_decisions(y_true, y_pred, self.num_classes,
                                            self.ignore_index, self.top_k, sample_weight)
        hit = second.astype(bool) if self.top_k > 1 else second == labels
        c = self.num_classes
        if w is None:
            _add_counts(self._hits, np.bincount(labels[hit], minlength=c))
            _add_counts(self._support, np.bincount(labels, minlength=c))
            return
        for target, values, mask in ((self._whits, w[hit], labels[hit]),
                                     (self._wsupport, w, labels)):
            for cls, s in enumerate(exact_group_sums(values, mask, c)):
                if s:
                    target[cls] = target.get(cls, Fraction(0)) + s

    def _per_class(self) -> tuple[list[Fraction], list[Fraction]]:
        hits = [Fraction(int(h)) + self._whits.get(i, 0) for i, h in enumerate(self._hits)]
        support = [Fraction(int(n)) + self._wsupport.get(i, 0)
                   for i, n in enumerate(self._support)]
        return hits, support

    def result(self) -> Any:
        """A Python float (an array of per-class recalls for ``average=None``)."""
        hits, support = self._per_class()
        if self.average is None:
            pairs = zip(hits, support, strict=True)
            return np.array([to_float(h / n) if n else np.nan for h, n in pairs])
        if self.average == "macro":
            recalls = [h / n for h, n in zip(hits, support, strict=True) if n]
            return to_float(sum(recalls, Fraction(0)) / len(recalls)) if recalls else 0.0
        total = sum(support, Fraction(0))
        if not total:
            return 0.0
        if self.average == "weighted":
            pairs = zip(hits, support, strict=True)
            return to_float(sum((n * (h / n) for h, n in pairs if n), Fraction(0)) / total)
        return to_float(sum(hits, Fraction(0)) / total)

    def _state(self) -> dict[str, Any]:
        return {"hits": self._hits.tolist(), "support": self._support.tolist(),
                "weighted_hits": _encode_sparse(self._whits),
                "weighted_support": _encode_sparse(self._wsupport)}

    _invariants: ClassVar[tuple[tuple[str, str], ...]] = (
        ("hits", "support"), ("weighted_hits", "weighted_support"))

    def _schema(self) -> dict[str, StateField]:
        c = self.num_classes
        return {"hits": StateField("counts", (c,)), "support": StateField("counts", (c,)),
                "weighted_hits": StateField("sparse", (c,), []),
                "weighted_support": StateField("sparse", (c,), [])}

    def _set_state(self, state: Mapping[str, Any]) -> None:
        self._hits = state["hits"]
        self._support = state["support"]
        self._whits = state["weighted_hits"]
        self._wsupport = state["weighted_support"]

    def _merge(self, other: Any) -> None:
        self._hits += other._hits
        self._support += other._support
        for mine, theirs in ((self._whits, other._whits), (self._wsupport, other._wsupport)):
            for k, v in theirs.items():
                mine[k] = mine.get(k, Fraction(0)) + v

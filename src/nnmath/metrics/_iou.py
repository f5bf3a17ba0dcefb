"""Intersection over union (Jaccard index) per class, Keras's ``IoU`` family.

For class c, with the confusion matrix of true (rows) against predicted (columns) labels,
``IoU_c = tp_c / (tp_c + fp_c + fn_c)``; the result is the mean of ``IoU_c`` over the
target classes that occurred (in the labels or the predictions). The confusion matrix
is exact (integers; exact sums of float weights), and the mean is one correctly rounded
ratio.

Differences from Keras (each shown by a test):

* Keras adds 1e-7 to each denominator and to the number of classes averaged; here the
  ratios are exact (Keras's result is lower by about 1e-7 relative).
* Keras keeps the matrix in its ``dtype`` (``int`` by default), truncating float sample
  weights; here weights count exactly.
* Keras silently drops labels outside ``[0, num_classes)``; here they are an error
  (except ``ignore_class``).
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np

from .._array import check_axis, float_input
from .._exact import encode, exact_group_sums, to_float
from ._base import Metric, StateField, align_weights, to_numpy, update_by_blocks, weights
from ._functions import refuse_nan, shape_of
from ._thresholds import binary_labels, check_dtype, object_zeros

__all__ = ["BinaryIoU", "IoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU"]


def _check_classes(num_classes: Any) -> int:
    if isinstance(num_classes, bool):
        raise TypeError(f"num_classes must be an integer, got {num_classes!r}")
    try:
        n = operator.index(num_classes)
    except TypeError:
        raise TypeError(f"num_classes must be an integer, got {num_classes!r}") from None
    if n < 1:
        raise ValueError(f"num_classes must be >= 1, got {n}")
    return int(n)


def _check_targets(target_class_ids: Any, num_classes: int) -> list[int]:
    try:
        ids = list(target_class_ids)
    except TypeError:
        raise TypeError(f"target_class_ids must be a list of class indices, got "
                        f"{target_class_ids!r}") from None
    if not ids:
        raise ValueError("target_class_ids must name at least one class")
    out = []
    for c in ids:
        if isinstance(c, bool) or not isinstance(c, (int, np.integer)):
            raise TypeError(f"target_class_ids must hold integers, got {c!r}")
        if not 0 <= c < num_classes:
            raise ValueError(f"target_class_ids: class {c} is out of range [0, {num_classes})")
        out.append(int(c))
    return out


def _int_labels(y: np.ndarray, name: str, num_classes: int,
                ignore: int | None) -> np.ndarray:
    if y.dtype == np.bool_:
        y = y.astype(np.int64)
    if y.dtype.kind == "f":
        if np.any(~np.isfinite(y)) or np.any(np.floor(y) != y):
            raise ValueError(f"{name} must hold integer class labels, got non-integer values")
    elif y.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer class labels, got dtype {y.dtype}")
    labels = y.astype(np.int64)
    bad = (labels < 0) | (labels >= num_classes)
    if ignore is not None:
        bad &= labels != ignore
    if np.any(bad):
        extra = "" if ignore is None else f" (other than ignore_class={ignore})"
        raise ValueError(f"{name} holds labels outside [0, {num_classes}){extra}: "
                         f"{np.unique(labels[bad])[:5].tolist()}")
    return labels


class IoU(Metric):
    """The mean intersection over union of the target classes.

    Parameters
    ----------
    num_classes
        C, an integer >= 1.
    target_class_ids
        The classes whose IoU is averaged.
    ignore_class
        A label whose samples are skipped (it may lie outside ``[0, C)``).
    sparse_y_true, sparse_y_pred
        ``True``: integer class labels; ``False``: scores or one-hot rows along ``axis``,
        whose argmax (first index on ties) is the label.
    axis
        The class axis of non-sparse inputs.
    name, dtype
        The instance name; Keras's variable dtype, accepted (results are float64).

    Notes
    -----
    A target class that never occurs (no sample of it, none predicted) is left out of
    the mean; with none left the result is 0.0. Reference: Keras 3 ``keras.metrics.IoU``
    (see the module documentation for the differences).

    Examples
    --------
    >>> m = IoU(num_classes=2, target_class_ids=[0])
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> m.result()  # class 0: 1 / (1 + 1 + 1)
    0.3333333333333333
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[0.3, 0.3, 0.3, 0.1])
    >>> m.result()  # 1.3 / (1.3 + 1.3 + 1.3)
    0.3333333333333333
    """

    name = "io_u"
    _params: ClassVar[tuple[str, ...]] = ("num_classes", "target_class_ids", "ignore_class",
                                          "sparse_y_true", "sparse_y_pred", "axis", "dtype")

    def __init__(self, num_classes: int, target_class_ids: Any, name: str | None = None,
                 dtype: Any = None, ignore_class: int | None = None,
                 sparse_y_true: bool = True, sparse_y_pred: bool = True,
                 axis: int = -1) -> None:
        self.num_classes = _check_classes(num_classes)
        self.target_class_ids = _check_targets(target_class_ids, self.num_classes)
        if ignore_class is not None and (isinstance(ignore_class, bool) or not isinstance(
                ignore_class, (int, np.integer))):
            raise TypeError(f"ignore_class must be an integer or None, got {ignore_class!r}")
        self.ignore_class = None if ignore_class is None else int(ignore_class)
        self.sparse_y_true = bool(sparse_y_true)
        self.sparse_y_pred = bool(sparse_y_pred)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"axis must be an integer, got {axis!r}")
        self.axis = int(axis)
        self.dtype = check_dtype(dtype)
        super().__init__(name)

    def reset_state(self) -> None:
        """Forget everything: an all-zero confusion matrix."""
        c = self.num_classes
        self._counts = object_zeros((c, c))
        self._weighted: dict[int, Fraction] = {}
        self._is_weighted = False

    def _labels(self, y: Any, sparse: bool, name: str) -> np.ndarray:
        arr = to_numpy(y)
        if not sparse:
            _, scores, _ = float_input(arr, name)
            if scores.ndim == 0:
                raise ValueError(f"{name} must have a class axis when not sparse, got a scalar")
            refuse_nan(np, scores, name)
            axis = check_axis(self.axis, scores.ndim)
            if scores.shape[axis] != self.num_classes:
                raise ValueError(f"{name} has {scores.shape[axis]} entries along axis "
                                 f"{self.axis}, expected num_classes={self.num_classes}")
            return np.argmax(scores, axis=axis)
        return np.asarray(arr)

    def _pair(self, y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
        return (self._labels(y_true, self.sparse_y_true, "y_true"),
                self._labels(y_pred, self.sparse_y_pred, "y_pred"))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add one batch to the confusion matrix (``sample_weight``: a scalar, one weight
        per sample, or one per label)."""
        if update_by_blocks(self, y_true, y_pred, sample_weight):
            return
        yt, yp = self._pair(y_true, y_pred)
        if yt.size != yp.size:
            raise ValueError(f"y_true and y_pred must hold as many labels, got y_true "
                             f"{shape_of(yt)} and y_pred {shape_of(yp)}")
        t = _int_labels(yt, "y_true", self.num_classes, self.ignore_class)
        p = _int_labels(yp, "y_pred", self.num_classes, None)
        w = None
        if sample_weight is not None:
            sw = weights(sample_weight)
            shape = shape_of(t)
            if sw.ndim and sw.size == t.size and sw.shape != shape:
                sw = sw.reshape(shape)
            w = np.asarray(align_weights(sw, shape) if sw.ndim else np.broadcast_to(sw, shape),
                           dtype=np.float64).ravel()
        t, p = t.ravel(), p.reshape(-1)
        if self.ignore_class is not None:
            keep = t != self.ignore_class
            t, p = t[keep], p[keep]
            w = None if w is None else w[keep]
        c = self.num_classes
        cells = t * c + p
        if w is None:
            self._counts += np.bincount(cells, minlength=c * c).reshape(c, c).astype(object)
            return
        self._is_weighted = True
        for cell, s in enumerate(exact_group_sums(w, cells, c * c)):
            if s:
                self._weighted[cell] = self._weighted.get(cell, Fraction(0)) + s

    def _matrix(self) -> np.ndarray:
        m = self._counts.copy()
        flat = m.reshape(-1)
        for cell, s in self._weighted.items():
            flat[cell] = flat[cell] + s
        return m

    def result(self) -> float:
        """The mean IoU of the target classes that occurred (0.0 if none did)."""
        m = self._matrix()
        rows, cols = m.sum(axis=1), m.sum(axis=0)
        ious = []
        for c in self.target_class_ids:
            den = Fraction(rows[c]) + Fraction(cols[c]) - Fraction(m[c, c])
            if den > 0:
                ious.append(Fraction(m[c, c]) / den)
        return to_float(sum(ious, Fraction(0)) / len(ious)) if ious else 0.0

    def _state(self) -> dict[str, Any]:
        return {"counts": self._counts.tolist(), "weighted": self._is_weighted,
                "weighted_cells": [[k, encode(v)] for k, v in sorted(self._weighted.items())
                                   if v != 0]}

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


class BinaryIoU(IoU):
    """IoU of a binary problem: a prediction is class 1 when ``y_pred >= threshold``.

    Parameters
    ----------
    target_class_ids
        Which of the classes 0 and 1 are averaged (default both).
    threshold
        A prediction at or above it is class 1 (note ``>=``, as Keras), the threshold
        rounded to the dtype of ``y_pred`` (Keras converts ``y_pred`` to float32 first).
    name, dtype
        The instance name; Keras's variable dtype, accepted (results are float64).

    Notes
    -----
    Labels must be 0 or 1. Reference: Keras 3 ``keras.metrics.BinaryIoU``.

    Examples
    --------
    >>> m = BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    >>> m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
    >>> m.result()  # class 0: 1/3, class 1: 1/3
    0.3333333333333333
    """

    name = "binary_io_u"
    _params: ClassVar[tuple[str, ...]] = ("target_class_ids", "threshold", "dtype")

    def __init__(self, target_class_ids: Any = (0, 1), threshold: float = 0.5,
                 name: str | None = None, dtype: Any = None) -> None:
        from .._array import check_finite_scalar

        self.threshold = check_finite_scalar(threshold, "threshold")
        super().__init__(2, target_class_ids, name=name, dtype=dtype)

    def _pair(self, y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
        _, yp, _ = float_input(to_numpy(y_pred), "y_pred")
        refuse_nan(np, yp, "y_pred")
        t = np.asarray(self.threshold, dtype=yp.dtype)
        yt = binary_labels(np.asarray(to_numpy(y_true)))
        return yt.astype(np.int64), (yp >= t).astype(np.int64)


class MeanIoU(IoU):
    """The mean IoU over all ``num_classes`` classes (those that occurred).

    Parameters are those of :class:`IoU`, without ``target_class_ids``.

    Examples
    --------
    >>> m = MeanIoU(num_classes=2)
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> m.result()
    0.3333333333333333
    """

    name = "mean_io_u"
    _params: ClassVar[tuple[str, ...]] = ("num_classes", "ignore_class", "sparse_y_true",
                                          "sparse_y_pred", "axis", "dtype")

    def __init__(self, num_classes: int, name: str | None = None, dtype: Any = None,
                 ignore_class: int | None = None, sparse_y_true: bool = True,
                 sparse_y_pred: bool = True, axis: int = -1) -> None:
        n = _check_classes(num_classes)
        super().__init__(n, list(range(n)), name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)


class OneHotIoU(IoU):
    """:class:`IoU` with one-hot ``y_true`` (and, by default, scores in ``y_pred``).

    Examples
    --------
    >>> m = OneHotIoU(num_classes=3, target_class_ids=[0, 2])
    >>> m.update_state([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]],
    ...                [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]])
    >>> m.result()  # class 0: 0 / 3, class 2: 1 / 3
    0.16666666666666666
    """

    name = "one_hot_io_u"
    _params: ClassVar[tuple[str, ...]] = ("num_classes", "target_class_ids", "ignore_class",
                                          "sparse_y_pred", "axis", "dtype")

    def __init__(self, num_classes: int, target_class_ids: Any, name: str | None = None,
                 dtype: Any = None, ignore_class: int | None = None,
                 sparse_y_pred: bool = False, axis: int = -1) -> None:
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)


class OneHotMeanIoU(IoU):
    """:class:`MeanIoU` with one-hot ``y_true`` (and, by default, scores in ``y_pred``).

    Examples
    --------
    >>> m = OneHotMeanIoU(num_classes=3)
    >>> m.update_state([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]],
    ...                [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]])
    >>> m.result()  # (0 + 0 + 1/3) / 3
    0.1111111111111111
    """

    name = "one_hot_mean_io_u"
    _params: ClassVar[tuple[str, ...]] = ("num_classes", "ignore_class", "sparse_y_pred",
                                          "axis", "dtype")

    def __init__(self, num_classes: int, name: str | None = None, dtype: Any = None,
                 ignore_class: int | None = None, sparse_y_pred: bool = False,
                 axis: int = -1) -> None:
        n = _check_classes(num_classes)
        super().__init__(n, list(range(n)), name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

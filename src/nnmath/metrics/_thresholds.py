"""Keras's thresholded metrics: the confusion counts at thresholds, precision, recall, and
the sensitivity / specificity / precision / recall at a constraint.

A prediction is positive at threshold ``t`` when it is strictly above it (``y_pred > t``),
``t`` rounded to the dtype of the scores (float32 scores are compared with the float32
threshold, as Keras does). Every metric here keeps one histogram: for each label, the
(weighted) number of positive and negative samples whose score falls in each interval
between consecutive thresholds. One pass over the scores fills it, and the counts at
every threshold are its cumulative sums: O(N) work instead of Keras's O(N T)
comparisons, and the same decisions. Unweighted NumPy float32/float64 scores with bool or
8-bit labels go through the compiled core (``threshold_histogram``: for one column of
scores, vectorised comparisons with up to 8 thresholds or an arithmetic interval for
evenly spaced ones, else a lookup table and a short scan per score; the input checks in
the same pass, split over the threads); other input takes a binary search per score
(``numpy.searchsorted``). Unweighted counts are
Python integers; weighted ones exact sums of the float64 weights, so a state merges bit
for bit in any order and the result is the correctly rounded ratio of exact counts.
Dask inputs are counted block of rows by block of rows (one ``compute``) and the
blocks' states merged: the state of one pass.

Differences from Keras (each shown by a test):

* Keras keeps float32 totals, which stop counting at 2**24 and round weighted sums; here
  the counts are exact.
* For evenly spaced thresholds (``AUC``, the ``...At...`` metrics, and any evenly spaced
  list) Keras finds a score's interval by float32 arithmetic (``ceil(p (T - 1)) - 1``),
  which misplaces some scores that lie exactly at (or within rounding of) a threshold;
  here every score is compared with the thresholds themselves.
* Labels must be 0 or 1 (Keras counts any non-zero label as positive) and scores must be
  probabilities in [0, 1] (Keras clips them in one code path and not in the other);
  anything else is an error rather than a silent guess.
* ``top_k`` keeps the first of tied scores (lowest index), as TensorFlow and JAX do;
  Keras's NumPy backend keeps the last.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np

from .. import _core
from .._array import float_input, same_rank
from .._exact import encode, exact_group_sums, to_float
from ._base import Metric, StateField, align_weights, to_numpy, update_by_blocks, weights
from ._functions import refuse_nan, shape_of

__all__ = [
    "FalseNegatives",
    "FalsePositives",
    "Precision",
    "PrecisionAtRecall",
    "Recall",
    "RecallAtPrecision",
    "SensitivityAtSpecificity",
    "SpecificityAtSensitivity",
    "TrueNegatives",
    "TruePositives",
]

#: the threshold that ``top_k`` without ``thresholds`` uses (Keras's NEG_INF)
NEG_INF = -1e10
#: Keras's epsilon: AUC's end thresholds lie this far outside [0, 1]
EPSILON = 1e-7


# -- configuration --------------------------------------------------------------------------

def check_dtype(dtype: Any) -> str | None:
    """Keras's ``dtype=`` (the dtype of its variables): accepted and kept in the config.

    Results are Python floats or float64 arrays whatever it says.
    """
    if dtype is None:
        return None
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be a NumPy dtype or its name, got {dtype!r}") from None
    if dt.kind not in "fiu":
        raise ValueError(f"dtype must be a float or integer dtype, got {dt}")
    return dt.name


def check_thresholds(thresholds: Any, name: str = "thresholds") -> list[float]:
    """A threshold or a list of them, each a finite number in [0, 1]."""
    values = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) \
        else [thresholds]
    if not values:
        raise ValueError(f"{name} must hold at least one threshold, got an empty list")
    out = []
    for t in values:
        if isinstance(t, bool) or not isinstance(t, (int, float, np.integer, np.floating)):
            raise TypeError(f"{name} must be numbers in [0, 1], got {t!r}")
        v = float(t)
        if not 0.0 <= v <= 1.0:  # NaN fails too
            raise ValueError(f"{name} must lie in [0, 1], got {t!r}")
        out.append(v)
    return out


def check_optional_int(value: Any, name: str, *, low: int = 0) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer or None, got {value!r}")
    try:
        v = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer or None, got {value!r}") from None
    if v < low:
        raise ValueError(f"{name} must be >= {low}, got {v}")
    return int(v)


def check_unit(value: Any, name: str) -> float:
    """A number in [0, 1] (a recall, precision, sensitivity or specificity to reach)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number in [0, 1], got {value!r}")
    v = float(value)
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {value!r}")
    return v


def even_thresholds(num_thresholds: int, *, epsilon: bool) -> list[float]:
    """Keras's ``num_thresholds`` evenly spaced thresholds: ``i / (T - 1)``, with the two
    ends moved ``EPSILON`` outside [0, 1] for AUC (``epsilon=True``)."""
    inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    if epsilon:
        return [0.0 - EPSILON, *inner, 1.0 + EPSILON]
    return [0.0, *inner, 1.0]


# -- inputs ---------------------------------------------------------------------------------

def binary_labels(y: np.ndarray, name: str = "y_true") -> np.ndarray:
    """Labels 0 or 1 (bool, integer or float input) as a boolean array."""
    if y.dtype == np.bool_:
        return y
    if y.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold the labels 0 and 1, got dtype {y.dtype}")
    bad = (y != 0) & (y != 1)
    if np.any(bad):
        found = np.unique(y[bad])[:5].tolist()
        raise ValueError(f"{name} must hold the labels 0 and 1 only, got {found}")
    return y != 0


def probabilities(yp: np.ndarray, name: str = "y_pred") -> None:
    """Refuse scores outside [0, 1] (NaN was refused before)."""
    if yp.size and (float(yp.min()) < 0.0 or float(yp.max()) > 1.0):
        raise ValueError(
            f"{name} must hold probabilities in [0, 1], got values in "
            f"[{float(yp.min())!r}, {float(yp.max())!r}] (give from_logits=True for logits)"
        )


def keras_weights(sample_weight: Any, shape: tuple[int, ...]) -> np.ndarray | None:
    """``sample_weight`` as float64, broadcast to the labels' ``shape`` as Keras does.

    A scalar weighs every element; otherwise one weight per sample (a prefix of
    ``shape``), or a column ``(N, 1)``, or one weight per element.
    """
    if sample_weight is None:
        return None
    w = weights(sample_weight)
    if w.ndim == 0:
        return np.broadcast_to(w, shape)
    if w.ndim == len(shape) + 1 and w.shape[-1] == 1:
        w = w.reshape(w.shape[:-1])
    elif len(shape) == 1 and w.ndim == 2 and w.shape == (shape[0], 1):
        w = w.reshape(shape)
    return np.asarray(align_weights(w, shape))


def binary_inputs(y_true: Any, y_pred: Any, sample_weight: Any, *, top_k: int | None = None,
                  class_id: int | None = None, from_logits: bool = False,
                  multi_label: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Checked ``(labels, scores, weights)`` of one shape: booleans, floats (float32 or
    float64; a score filtered out by ``top_k`` is -inf), float64 weights or None."""
    _, yp, _ = float_input(to_numpy(y_pred), "y_pred")
    yt = to_numpy(y_true)
    yp, yt = same_rank(np, yp, yt)
    if shape_of(yt) != shape_of(yp):
        raise ValueError(f"y_true and y_pred must have the same shape, got y_true "
                         f"{shape_of(yt)} and y_pred {shape_of(yp)}")
    labels = binary_labels(yt)
    refuse_nan(np, yp, "y_pred")
    if from_logits:
        yp = np.asarray(_core.sigmoid(yp))
    else:
        probabilities(yp)
    w = keras_weights(sample_weight, shape_of(yp))
    if top_k is not None:
        if yp.ndim == 0:
            raise ValueError("top_k needs y_pred with a class axis, got a scalar")
        yp = keep_top_k(yp, top_k)
    if class_id is not None:
        if yp.ndim < 2:
            raise ValueError(f"class_id needs y_pred of shape (num_samples, num_classes), "
                             f"got {shape_of(yp)}")
        if class_id >= yp.shape[-1]:
            raise ValueError(f"class_id={class_id} is out of range for y_pred with "
                             f"{yp.shape[-1]} classes")
        yp, labels = yp[..., class_id], labels[..., class_id]
        w = None if w is None else w[..., class_id]
    if multi_label:
        if yp.ndim != 2:
            raise ValueError(f"multi_label needs y_pred of rank 2 (samples, labels), got "
                             f"shape {shape_of(yp)}")
    return labels, yp, w


def keep_top_k(yp: np.ndarray, k: int) -> np.ndarray:
    """``yp`` with all but the ``k`` largest scores of each row set to -inf (ties: the
    lowest index first)."""
    c = yp.shape[-1]
    if k >= c:
        return yp
    order = np.argsort(-yp, axis=-1, kind="stable")[..., :k]
    keep = np.zeros(yp.shape, dtype=bool)
    np.put_along_axis(keep, order, True, axis=-1)
    return np.where(keep, yp, -np.inf).astype(yp.dtype)


# -- the histogram --------------------------------------------------------------------------

def bin_index(scores: np.ndarray, sorted_thresholds: Sequence[float]) -> np.ndarray:
    """For each score, the number of thresholds strictly below it: the score is above
    threshold ``i`` (sorted ascending) exactly when ``i < bin``. Thresholds are rounded to
    the scores' dtype first."""
    t = np.asarray(sorted_thresholds, dtype=np.float64).astype(scores.dtype)
    return np.searchsorted(t, scores, side="left")


def histogram(labels: np.ndarray, scores: np.ndarray, w: np.ndarray | None,
              sorted_thresholds: Sequence[float], columns: int = 1
              ) -> tuple[np.ndarray, dict[int, Fraction]]:
    """The counts of one batch, shape ``(columns, T + 1, 2)``: [column, interval, label].

    ``columns > 1`` keeps the last axis of the inputs apart (one histogram per label).
    Unweighted: int64 counts and no fractions; weighted: zero counts and the exact sums
    per flat cell (only the non-zero ones).
    """
    nb = len(sorted_thresholds) + 1
    key = bin_index(scores, sorted_thresholds).astype(np.int64) * 2 + labels
    if columns > 1:
        key = key + np.arange(columns, dtype=np.int64) * (2 * nb)
    size = columns * nb * 2
    key = key.ravel()
    if w is None:
        return np.bincount(key, minlength=size).reshape(columns, nb, 2), {}
    sums = exact_group_sums(np.ascontiguousarray(w, dtype=np.float64).ravel(), key, size)
    return np.zeros((columns, nb, 2), dtype=np.int64), {i: s for i, s in enumerate(sums) if s}


def object_zeros(shape: tuple[int, ...]) -> np.ndarray:
    out = np.empty(shape, dtype=object)
    out.fill(0)
    return out


class _Histogram(Metric):
    """The shared state: per label column, the (weighted) positives and negatives in each
    interval between the sorted thresholds ``self._sorted``.

    Subclasses set ``self._sorted`` (and ``self._order``, the position of each given
    threshold among the sorted ones) before ``super().__init__``.
    """

    _sorted: list[float]
    _order: np.ndarray
    _columns: int = 1

    def reset_state(self) -> None:
        """Forget everything: every count back to 0."""
        self._counts = object_zeros((self._columns, len(self._sorted) + 1, 2))
        self._weighted: dict[int, Fraction] = {}
        self._is_weighted = False

    def _thresholds_as(self, dtype: np.dtype[Any]) -> np.ndarray:
        """The sorted thresholds rounded to ``dtype`` (kept for the next batch)."""
        cached = getattr(self, "_rounded", None)
        if cached is None or cached[0] is not self._sorted or cached[1] != dtype:
            cached = (self._sorted, dtype,
                      np.asarray(self._sorted, dtype=np.float64).astype(dtype))
            self._rounded = cached
        return cached[2]

    def _add_fast(self, y_true: Any, y_pred: Any, sample_weight: Any, *,
                  class_id: int | None = None, from_logits: bool = False,
                  multi_label: bool = False) -> bool:
        """One pass of the core over unweighted NumPy float32/float64 scores and bool or
        8-bit labels: the histogram, with the checks folded in. ``False`` (and nothing
        counted) when the inputs do not qualify or fail a check: the general path then
        counts them, or raises its error."""
        if sample_weight is not None or type(y_true) is not np.ndarray \
                or type(y_pred) is not np.ndarray:
            return False
        if y_pred.dtype not in (np.float32, np.float64) or y_true.dtype not in (
                np.bool_, np.int8, np.uint8) or not y_pred.dtype.isnative:
            return False
        yp, yt = same_rank(np, y_pred, y_true)
        if yp.shape != yt.shape or (multi_label and yp.ndim != 2):
            return False
        if class_id is not None:
            if yp.ndim < 2 or class_id >= yp.shape[-1]:
                return False
            yp, yt = yp[..., class_id], yt[..., class_id]
        columns = yp.shape[1] if multi_label else 1
        scores = np.ascontiguousarray(yp).reshape(-1)
        if from_logits:  # a NaN logit stays NaN, which the core refuses
            scores = np.asarray(_core.sigmoid(scores))
        labels = np.ascontiguousarray(yt).reshape(-1).view(np.uint8)
        counts, status, _ = _core.threshold_histogram(scores, labels,
                                                      self._thresholds_as(scores.dtype),
                                                      columns, True)
        if status:
            return False
        self._counts += counts.astype(object)
        return True

    def _add(self, labels: np.ndarray, scores: np.ndarray, w: np.ndarray | None) -> None:
        counts, sums = histogram(labels, scores, w, self._sorted, self._columns)
        if w is None:
            self._counts += counts.astype(object)
            return
        self._is_weighted = True
        for cell, s in sums.items():
            self._weighted[cell] = self._weighted.get(cell, Fraction(0)) + s

    def _exact(self) -> np.ndarray:
        """The histogram as exact numbers (ints, or Fractions where weighted)."""
        m = self._counts.copy()
        flat = m.reshape(-1)
        for cell, s in self._weighted.items():
            flat[cell] = flat[cell] + s
        return m

    def _confusion(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``tp, fp, tn, fn`` per column and sorted threshold, shape ``(columns, T)``,
        exact (object arrays)."""
        h = self._exact()
        # above[c, i] = everything in the intervals after threshold i
        above = np.cumsum(h[:, ::-1, :], axis=1)[:, ::-1, :][:, 1:, :]
        pos = h[:, :, 1].sum(axis=1)[:, None]
        neg = h[:, :, 0].sum(axis=1)[:, None]
        tp, fp = above[:, :, 1], above[:, :, 0]
        return tp, fp, neg - fp, pos - tp

    # -- state ------------------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        return {"counts": self._counts.tolist(), "weighted": self._is_weighted,
                "weighted_counts": [[k, encode(v)] for k, v in sorted(self._weighted.items())
                                    if v != 0]}

    def _schema(self) -> dict[str, StateField]:
        shape = (self._columns, len(self._sorted) + 1, 2)
        return {"counts": StateField("counts", shape), "weighted": StateField("flag", (), False),
                "weighted_counts": StateField("sparse", shape, [])}

    def _set_state(self, state: Mapping[str, Any]) -> None:
        self._counts = state["counts"]
        self._weighted = state["weighted_counts"]
        self._is_weighted = state["weighted"] or bool(self._weighted)

    def _merge(self, other: Any) -> None:
        self._counts += other._counts
        for cell, s in other._weighted.items():
            self._weighted[cell] = self._weighted.get(cell, Fraction(0)) + s
        self._is_weighted = self._is_weighted or other._is_weighted


def ratio(num: Any, den: Any) -> float:
    """``num / den`` correctly rounded; 0.0 when ``den`` is 0 (Keras's divide_no_nan)."""
    if den == 0:
        return 0.0
    return to_float(Fraction(num) / Fraction(den))


def _given_order(values: list[float]) -> tuple[list[float], np.ndarray]:
    order = np.argsort(np.asarray(values, dtype=np.float64), kind="stable")
    ranks = np.empty(len(values), dtype=np.int64)
    ranks[order] = np.arange(len(values))
    return [values[i] for i in order], ranks


def _one_or_array(values: list[float], scalar: bool) -> Any:
    return values[0] if scalar else np.asarray(values, dtype=np.float64)


# -- the confusion counts -------------------------------------------------------------------

class _ConfusionCount(_Histogram):
    _which: ClassVar[int] = 0  # index into (tp, fp, tn, fn)
    _params: ClassVar[tuple[str, ...]] = ("thresholds", "dtype")

    def __init__(self, thresholds: Any = None, name: str | None = None,
                 dtype: Any = None) -> None:
        values = check_thresholds(0.5 if thresholds is None else thresholds)
        self.thresholds = thresholds if thresholds is None or not isinstance(
            thresholds, (list, tuple, np.ndarray)) else list(values)
        if isinstance(self.thresholds, (int, float, np.floating, np.integer)):
            self.thresholds = float(self.thresholds)
        self.dtype = check_dtype(dtype)
        self._scalar = not isinstance(thresholds, (list, tuple, np.ndarray))
        self._sorted, self._order = _given_order(values)
        super().__init__(name)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Count one batch (labels 0/1, probabilities, optional weights, Keras's shapes)."""
        if update_by_blocks(self, y_true, y_pred, sample_weight):
            return
        if not self._add_fast(y_true, y_pred, sample_weight):
            self._add(*binary_inputs(y_true, y_pred, sample_weight))

    def result(self) -> Any:
        """The (weighted) count: a float for one threshold, a float64 array for a list."""
        counts = self._confusion()[self._which][0][self._order]
        return _one_or_array([to_float(Fraction(c)) for c in counts], self._scalar)


_COUNT_DOC = """The (weighted) number of {what} at each threshold: {rule}.

    Parameters
    ----------
    thresholds
        A number in [0, 1] (default 0.5: the result is a float) or a list of them (the
        result is a float64 array, in the order given). A prediction is positive when
        strictly above the threshold.
    name, dtype
        The instance name; Keras's variable dtype, accepted (results are float64).

    Notes
    -----
    The count is exact (an integer, or the exact sum of the weights), where Keras's
    float32 total stops counting at 2**24. Reference: Keras 3
    ``keras.metrics.{cls}``.

    Examples
    --------
    >>> m = {cls}(thresholds=[0.25, 0.5])
    >>> m.update_state([0, 1, 1, 0, 1], [0.1, 0.5, 0.9, 0.6, 0.3])
    >>> m.result()
    {example}
    """


class TruePositives(_ConfusionCount):
    __doc__ = _COUNT_DOC.format(what="true positives", rule="label 1 and ``y_pred > t``",
                                cls="TruePositives", example="array([3., 1.])")
    name = "true_positives"
    _which = 0


class FalsePositives(_ConfusionCount):
    __doc__ = _COUNT_DOC.format(what="false positives", rule="label 0 and ``y_pred > t``",
                                cls="FalsePositives", example="array([1., 1.])")
    name = "false_positives"
    _which = 1


class TrueNegatives(_ConfusionCount):
    __doc__ = _COUNT_DOC.format(what="true negatives", rule="label 0 and ``y_pred <= t``",
                                cls="TrueNegatives", example="array([1., 1.])")
    name = "true_negatives"
    _which = 2


class FalseNegatives(_ConfusionCount):
    __doc__ = _COUNT_DOC.format(what="false negatives", rule="label 1 and ``y_pred <= t``",
                                cls="FalseNegatives", example="array([0., 2.])")
    name = "false_negatives"
    _which = 3


# -- precision and recall -------------------------------------------------------------------

class _PrecisionRecall(_Histogram):
    _params: ClassVar[tuple[str, ...]] = ("thresholds", "top_k", "class_id", "dtype")

    def __init__(self, thresholds: Any = None, top_k: int | None = None,
                 class_id: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        self.top_k = check_optional_int(top_k, "top_k", low=1)
        self.class_id = check_optional_int(class_id, "class_id")
        if thresholds is None:
            values = [0.5 if self.top_k is None else NEG_INF]
        else:
            values = check_thresholds(thresholds)
        listed = isinstance(thresholds, (list, tuple, np.ndarray))
        self.thresholds = list(values) if listed else (
            None if thresholds is None else values[0])
        self._scalar = not listed
        self.dtype = check_dtype(dtype)
        self._sorted, self._order = _given_order(values)
        super().__init__(name)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Count one batch (labels 0/1, probabilities, optional weights, Keras's shapes)."""
        if update_by_blocks(self, y_true, y_pred, sample_weight):
            return
        if self.top_k is None and self._add_fast(y_true, y_pred, sample_weight,
                                                 class_id=self.class_id):
            return
        self._add(*binary_inputs(y_true, y_pred, sample_weight, top_k=self.top_k,
                                 class_id=self.class_id))

    def _ratios(self, num: np.ndarray, other: np.ndarray) -> Any:
        values = [ratio(a, a + b) for a, b in zip(num[self._order], other[self._order],
                                                  strict=True)]
        return _one_or_array(values, self._scalar)


class Precision(_PrecisionRecall):
    """Precision, ``tp / (tp + fp)``, at one threshold or several.

    Parameters
    ----------
    thresholds
        A number in [0, 1] or a list of them (the result is then a float64 array, in the
        order given); default 0.5, or, with ``top_k``, no threshold (every top-k score is
        a positive prediction).
    top_k
        Only the ``top_k`` largest scores of each sample (last axis) count as positive
        predictions (ties: the lowest index first).
    class_id
        Only that class (an index into the last axis) is scored.
    name, dtype
        The instance name; Keras's variable dtype, accepted (results are float64).

    Notes
    -----
    0.0 when nothing was predicted positive (Keras's divide_no_nan). The counts are
    exact, so the result is the correctly rounded ratio. Reference: Keras 3
    ``keras.metrics.Precision``.

    Examples
    --------
    >>> m = Precision()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> m.result()
    0.6666666666666666
    >>> m = Precision(top_k=2)
    >>> m.update_state([[0, 0, 1, 1]], [[1, 1, 1, 1]])  # ties: the first two are kept
    >>> m.result()
    0.0
    """

    name = "precision"

    def result(self) -> Any:
        """A float (a float64 array for a list of thresholds)."""
        tp, fp, _, _ = self._confusion()
        return self._ratios(tp[0], fp[0])


class Recall(_PrecisionRecall):
    """Recall, ``tp / (tp + fn)``, at one threshold or several.

    Parameters are those of :class:`Precision`.

    Notes
    -----
    0.0 when there was no positive label (Keras's divide_no_nan). Reference: Keras 3
    ``keras.metrics.Recall``.

    Examples
    --------
    >>> m = Recall()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> m.result()
    0.6666666666666666
    >>> Recall(thresholds=[0.0, 0.5, 1.0])([0, 1, 1], [0.2, 0.5, 0.8])
    array([1. , 0.5, 0. ])
    """

    name = "recall"

    def result(self) -> Any:
        """A float (a float64 array for a list of thresholds)."""
        tp, _, _, fn = self._confusion()
        return self._ratios(tp[0], fn[0])


# -- one rate at a constraint on another ----------------------------------------------------

class _AtConstraint(_Histogram):
    """The best value of one rate among the thresholds where another reaches ``value``."""

    _value_name: ClassVar[str] = ""
    _params: ClassVar[tuple[str, ...]] = ()

    def __init__(self, value: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype: Any = None) -> None:
        setattr(self, self._value_name, check_unit(value, self._value_name))
        n = check_optional_int(num_thresholds, "num_thresholds", low=1)
        if n is None:
            raise TypeError("num_thresholds must be an integer >= 1, got None")
        self.num_thresholds = n
        self.class_id = check_optional_int(class_id, "class_id")
        self.dtype = check_dtype(dtype)
        self._sorted = [0.5] if n == 1 else even_thresholds(n, epsilon=False)
        self._order = np.arange(len(self._sorted))
        super().__init__(name)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments."""
        return {self._value_name: getattr(self, self._value_name),
                "num_thresholds": self.num_thresholds, "class_id": self.class_id,
                "name": self.name, "dtype": self.dtype}

    def _compatible(self, other: Any) -> None:
        super()._compatible(other)
        mine, theirs = self.get_config(), other.get_config()
        mine.pop("name")
        theirs.pop("name")
        if mine != theirs:
            raise ValueError(f"others: cannot merge metrics of different configurations: "
                             f"{mine} and {theirs}")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Count one batch (labels 0/1, probabilities, optional weights, Keras's shapes)."""
        if update_by_blocks(self, y_true, y_pred, sample_weight):
            return
        if not self._add_fast(y_true, y_pred, sample_weight, class_id=self.class_id):
            self._add(*binary_inputs(y_true, y_pred, sample_weight, class_id=self.class_id))

    def _rates(self) -> tuple[list[float], list[float]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def result(self) -> float:
        """The largest dependent rate where the constrained one is >= the value (0.0 when
        no threshold qualifies)."""
        constrained, dependent = self._rates()
        value = getattr(self, self._value_name)
        feasible = [d for c, d in zip(constrained, dependent, strict=True) if c >= value]
        return max(feasible, default=0.0)

    def _all_rates(self) -> dict[str, list[float]]:
        tp, fp, tn, fn = (a[0] for a in self._confusion())
        return {"sensitivity": [ratio(a, a + b) for a, b in zip(tp, fn, strict=True)],
                "specificity": [ratio(a, a + b) for a, b in zip(tn, fp, strict=True)],
                "precision": [ratio(a, a + b) for a, b in zip(tp, fp, strict=True)]}


_AT_DOC = """The best {dep} among the thresholds where the {con} is at least ``{param}``.

    The thresholds are Keras's: ``num_thresholds`` evenly spaced in [0, 1] (``i / (T -
    1)``; 0.5 alone for ``num_thresholds=1``), a prediction positive when strictly above.
    Each rate is the correctly rounded ratio of exact counts (0.0 for 0/0); the
    constraint compares that float64 rate with ``{param}`` (Keras compares float32 rates,
    so a rate within float32 rounding of the value can qualify there and not here).

    Parameters
    ----------
    {param}
        The {con} to reach, in [0, 1].
    num_thresholds
        The number of thresholds, >= 1 (default 200).
    class_id
        Only that class (an index into the last axis) is scored.
    name, dtype
        The instance name; Keras's variable dtype, accepted (results are float64).

    Notes
    -----
    Reference: Keras 3 ``keras.metrics.{cls}``.

    Examples
    --------
    >>> m = {cls}({param}=0.5, num_thresholds=3)
    >>> m.update_state([0, 0, 1, 1], [0.0, 0.6, 0.4, 0.9])
    >>> m.result()
    {example}
    """


class SensitivityAtSpecificity(_AtConstraint):
    __doc__ = _AT_DOC.format(dep="sensitivity (recall)", con="specificity",
                             param="specificity", cls="SensitivityAtSpecificity",
                             example="1.0")
    name = "sensitivity_at_specificity"
    _value_name = "specificity"

    def __init__(self, specificity: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__(specificity, num_thresholds, class_id, name, dtype)

    def _rates(self) -> tuple[list[float], list[float]]:
        r = self._all_rates()
        return r["specificity"], r["sensitivity"]


class SpecificityAtSensitivity(_AtConstraint):
    __doc__ = _AT_DOC.format(dep="specificity", con="sensitivity (recall)",
                             param="sensitivity", cls="SpecificityAtSensitivity",
                             example="0.5")
    name = "specificity_at_sensitivity"
    _value_name = "sensitivity"

    def __init__(self, sensitivity: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)

    def _rates(self) -> tuple[list[float], list[float]]:
        r = self._all_rates()
        return r["sensitivity"], r["specificity"]


class PrecisionAtRecall(_AtConstraint):
    __doc__ = _AT_DOC.format(dep="precision", con="recall", param="recall",
                             cls="PrecisionAtRecall", example="0.6666666666666666")
    name = "precision_at_recall"
    _value_name = "recall"

    def __init__(self, recall: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype: Any = None) -> None:
        super().__init__(recall, num_thresholds, class_id, name, dtype)

    def _rates(self) -> tuple[list[float], list[float]]:
        r = self._all_rates()
        return r["sensitivity"], r["precision"]


class RecallAtPrecision(_AtConstraint):
    __doc__ = _AT_DOC.format(dep="recall", con="precision", param="precision",
                             cls="RecallAtPrecision", example="1.0")
    name = "recall_at_precision"
    _value_name = "precision"

    def __init__(self, precision: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__(precision, num_thresholds, class_id, name, dtype)

    def _rates(self) -> tuple[list[float], list[float]]:
        r = self._all_rates()
        return r["precision"], r["sensitivity"]


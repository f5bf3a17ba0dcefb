"""Agreement between labels and predictions: Matthews correlation, Cohen's kappa, balanced
accuracy — streaming, from the exact confusion matrix.

* :class:`MatthewsCorrelation` — ``sklearn.metrics.matthews_corrcoef`` (binary and
  multiclass: Gorodkin's R_K statistic);
* :class:`CohenKappa` — ``sklearn.metrics.cohen_kappa_score``, unweighted or with linear
  or quadratic disagreement weights;
* :class:`BalancedAccuracy` — ``sklearn.metrics.balanced_accuracy_score``:
  :class:`MulticlassAccuracy` with ``average="macro"`` (and scikit-learn's ``adjusted``).

Functions of the same names as scikit-learn's compute one pass of them. Every result is
the correctly rounded value of the exact expression (a square root included).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np

from .._exact import to_float
from ._base import Metric, StateField, to_numpy, update_by_blocks
from ._counts import MulticlassCounts, check_dtype, sqrt_fraction
from ._functions import int_labels
from ._multiclass import MulticlassAccuracy, _check_ignore, _check_num_classes

__all__ = ["BalancedAccuracy", "CohenKappa", "MatthewsCorrelation", "balanced_accuracy_score",
           "cohen_kappa_score", "matthews_corrcoef"]


class _MatrixMetric(Metric):
    """A metric of the exact confusion matrix (``ConfusionMatrix``'s state)."""

    _params: ClassVar[tuple[str, ...]] = ("num_classes", "ignore_index", "dtype")

    def _setup(self, num_classes: Any, ignore_index: Any, dtype: Any) -> None:
        self.num_classes = _check_num_classes(num_classes)
        self.ignore_index = _check_ignore(ignore_index)
        self.dtype = check_dtype(dtype)

    def reset_state(self) -> None:
        """Forget everything."""
        self._counts = MulticlassCounts(self.num_classes, self.ignore_index)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add one batch: integer labels, and labels or scores (the argmax); one weight per
        sample."""
        if update_by_blocks(self, y_true, y_pred, sample_weight):
            return
        self._counts.update(y_true, y_pred, sample_weight)

    def _state(self) -> dict[str, Any]:
        return self._counts.state()

    def _schema(self) -> dict[str, StateField]:
        return self._counts.schema()

    def _set_state(self, state: Mapping[str, Any]) -> None:
        self._counts.set_state(state)

    def _merge(self, other: Any) -> None:
        self._counts.merge(other._counts)


def mcc(m: np.ndarray) -> float:
    """scikit-learn's multiclass Matthews correlation of an exact confusion matrix."""
    c = m.shape[0]
    t = [sum(m[i, :], Fraction(0)) for i in range(c)]
    p = [sum(m[:, j], Fraction(0)) for j in range(c)]
    n = sum(t, Fraction(0))
    correct = sum((m[i, i] for i in range(c)), Fraction(0))
    cov_tp = correct * n - sum((a * b for a, b in zip(t, p, strict=True)), Fraction(0))
    cov_pp = n * n - sum((b * b for b in p), Fraction(0))
    cov_tt = n * n - sum((a * a for a in t), Fraction(0))
    den = cov_pp * cov_tt
    if den == 0:
        return 0.0
    r = sqrt_fraction(cov_tp * cov_tp / den)
    return r if cov_tp >= 0 else -r


class MatthewsCorrelation(_MatrixMetric):
    r"""The Matthews correlation coefficient, streaming (``sklearn.metrics.matthews_corrcoef``,
    torchmetrics' ``MulticlassMatthewsCorrCoef``).

    From the confusion matrix :math:`C` with row sums :math:`t_k`, column sums
    :math:`p_k`, :math:`s` samples and :math:`c` correct:

    .. math:: \mathrm{MCC} = \frac{c\,s - \sum_k p_k t_k}
              {\sqrt{(s^2 - \sum_k p_k^2)(s^2 - \sum_k t_k^2)}}

    (0.0 when the denominator is 0, as scikit-learn); for two classes the familiar
    :math:`(tp\,tn - fp\,fn) / \sqrt{(tp+fp)(tp+fn)(tn+fp)(tn+fn)}`. Exact counts, one
    rounding (of the square root of the exact square).

    Parameters
    ----------
    num_classes
        C >= 1 (2 for binary labels 0/1).
    ignore_index
        A label whose samples are skipped.
    name, dtype
        The instance name; ``dtype`` is accepted and kept (the result is a float).

    Examples
    --------
    >>> m = MatthewsCorrelation(2)
    >>> m.update_state([1, 1, 1, 0], [1, 0, 1, 1])  # tp=2, fn=1, fp=1, tn=0
    >>> m.result()
    -0.3333333333333333
    """

    name = "matthews_correlation"

    def __init__(self, num_classes: int, *, ignore_index: int | None = None,
                 name: str | None = None, dtype: Any = None) -> None:
        self._setup(num_classes, ignore_index, dtype)
        super().__init__(name)

    def result(self) -> float:
        """The coefficient, in [-1, 1] (0.0 before any update)."""
        return mcc(self._counts.matrix())


KAPPA_WEIGHTS = (None, "linear", "quadratic")


def kappa(m: np.ndarray, weights: str | None, undefined: float) -> float:
    """Cohen's kappa of an exact confusion matrix, classes at positions 0 .. C-1."""
    c = m.shape[0]
    rows = [sum(m[i, :], Fraction(0)) for i in range(c)]
    cols = [sum(m[:, j], Fraction(0)) for j in range(c)]
    n = sum(rows, Fraction(0))
    if n == 0:
        return undefined

    def w(i: int, j: int) -> int:
        if weights is None:
            return int(i != j)
        return abs(i - j) if weights == "linear" else (i - j) ** 2

    observed = sum((w(i, j) * m[i, j] for i in range(c) for j in range(c) if m[i, j]),
                   Fraction(0))
    expected = sum((w(i, j) * cols[i] * rows[j] for i in range(c) for j in range(c)
                    if cols[i] and rows[j]), Fraction(0))
    if expected == 0:
        return undefined
    return to_float(1 - observed * n / expected)


class CohenKappa(_MatrixMetric):
    r"""Cohen's kappa, streaming (``sklearn.metrics.cohen_kappa_score``, torchmetrics'
    ``MulticlassCohenKappa``).

    .. math:: \kappa = 1 - \frac{\sum_{ij} w_{ij} C_{ij}}{\sum_{ij} w_{ij} E_{ij}},
              \qquad E_{ij} = \frac{p_i\, t_j}{s}

    with disagreement weights :math:`w_{ij}` = ``[i != j]`` (``weights=None``),
    ``|i - j|`` (``"linear"``) or ``(i - j)**2`` (``"quadratic"``) of the class indices.

    Parameters
    ----------
    num_classes
        C >= 1.
    weights
        ``None``, ``"linear"`` or ``"quadratic"``.
    replace_undefined_by
        The result when kappa is undefined (no sample, or the expected disagreement is 0):
        NaN by default, as scikit-learn.
    ignore_index, name, dtype
        As :class:`MatthewsCorrelation`.

    Notes
    -----
    The linear and quadratic weights use the class indices ``0 .. C-1``. scikit-learn's
    function uses the positions of the labels that occur: a class that never occurs in
    between shrinks its distances. ``cohen_kappa_score(..., labels=range(C))`` is this
    metric; :func:`cohen_kappa_score` here follows scikit-learn's default.

    Examples
    --------
    >>> m = CohenKappa(3, weights="quadratic")
    >>> m.update_state([0, 1, 2, 2], [0, 2, 2, 1])
    >>> m.result()                    # 1 - (1 + 1) / (22 / 4)
    0.6363636363636364
    """

    name = "cohen_kappa"
    _params: ClassVar[tuple[str, ...]] = ("num_classes", "weights", "replace_undefined_by",
                                          "ignore_index", "dtype")

    def __init__(self, num_classes: int, weights: str | None = None, *,
                 replace_undefined_by: float = math.nan, ignore_index: int | None = None,
                 name: str | None = None, dtype: Any = None) -> None:
        if weights not in KAPPA_WEIGHTS:
            raise ValueError(f"weights must be one of {KAPPA_WEIGHTS}, got {weights!r}")
        self.weights = weights
        self.replace_undefined_by = _undefined(replace_undefined_by)
        self._setup(num_classes, ignore_index, dtype)
        super().__init__(name)

    def result(self) -> float:
        """Kappa, at most 1 (``replace_undefined_by`` when undefined, before any update
        too)."""
        return kappa(self._counts.matrix(), self.weights, self.replace_undefined_by)


def _undefined(value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"replace_undefined_by must be a number, got {value!r}") from None
    return math.nan if math.isnan(v) else v


class BalancedAccuracy(MulticlassAccuracy):
    """Balanced accuracy, streaming (``sklearn.metrics.balanced_accuracy_score``): the mean
    recall over the classes that occur in ``y_true``.

    :class:`MulticlassAccuracy` with ``average="macro"``; ``adjusted=True`` rescales it so
    that chance is 0 and perfect is 1: ``(score - 1/K) / (1 - 1/K)`` with K the classes
    that occur (scikit-learn).

    Parameters
    ----------
    num_classes
        C >= 1.
    adjusted
        Rescale for chance.
    ignore_index, name, dtype
        As :class:`MulticlassAccuracy`; ``dtype`` is accepted and kept.

    Examples
    --------
    >>> m = BalancedAccuracy(3)
    >>> m.update_state([0, 0, 0, 0, 1, 2], [0, 0, 0, 0, 2, 2])
    >>> m.result()                    # (1 + 0 + 1) / 3
    0.6666666666666666
    >>> BalancedAccuracy(3, adjusted=True)([0, 0, 0, 0, 1, 2], [0, 0, 0, 0, 2, 2])
    0.5
    """

    name = "balanced_accuracy"
    _params: ClassVar[tuple[str, ...]] = ("num_classes", "adjusted", "ignore_index", "dtype")

    def __init__(self, num_classes: int, adjusted: bool = False, *,
                 ignore_index: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        self.adjusted = bool(adjusted)
        self.dtype = check_dtype(dtype)
        super().__init__(num_classes, average="macro", top_k=1, ignore_index=ignore_index,
                         name=name)

    def result(self) -> float:
        """The balanced accuracy (0.0 before any update)."""
        hits, support = self._per_class()
        recalls = [h / n for h, n in zip(hits, support, strict=True) if n]
        if not recalls:
            return 0.0
        score = sum(recalls, Fraction(0)) / len(recalls)
        if self.adjusted:
            chance = Fraction(1, len(recalls))
            if chance == 1:  # one class: scikit-learn divides by 0
                return math.nan if score == 1 else -math.inf
            score = (score - chance) / (1 - chance)
        return to_float(score)


# -- functions, as scikit-learn's ------------------------------------------------------------

def _fed(metric_cls: Any, y_true: Any, y_pred: Any, sample_weight: Any,
         extra: Sequence[int] = (), **kwargs: Any) -> Any:
    """A metric of ``metric_cls`` with as many classes as the labels need, fed once."""
    yt, yp = to_numpy(y_true), to_numpy(y_pred)
    t = int_labels(np, yt, None, "y_true")
    c = 1 + max([int(t.max()) if t.size else 0, *extra])
    if yp.ndim == yt.ndim + 1:
        c = max(c, yp.shape[-1])
    else:
        p = int_labels(np, yp, None, "y_pred")
        c = max(c, 1 + (int(p.max()) if p.size else 0))
    if t.size == 0:
        raise ValueError("y_true and y_pred hold no samples")
    m = metric_cls(c, **kwargs)
    m.update_state(yt, yp, sample_weight)
    return m


def matthews_corrcoef(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> float:
    """The Matthews correlation coefficient, as ``sklearn.metrics.matthews_corrcoef``.

    >>> matthews_corrcoef([1, 1, 1, 0], [1, 0, 1, 1])
    -0.3333333333333333
    """
    return float(_fed(MatthewsCorrelation, y_true, y_pred, sample_weight).result())


def cohen_kappa_score(y1: Any, y2: Any, *, labels: Any = None, weights: str | None = None,
                      sample_weight: Any = None,
                      replace_undefined_by: float = math.nan) -> float:
    """Cohen's kappa, as ``sklearn.metrics.cohen_kappa_score``: over the labels that occur
    in ``y1`` or ``y2`` (or ``labels``), weights by their positions in that list.

    >>> cohen_kappa_score([0, 2, 2], [0, 2, 0], weights="linear")  # classes 0, 2: positions 0, 1
    0.4
    """
    if weights not in KAPPA_WEIGHTS:
        raise ValueError(f"weights must be one of {KAPPA_WEIGHTS}, got {weights!r}")
    lab = None if labels is None else [int(v) for v in
                                       int_labels(np, np.asarray(labels), None, "labels")]
    if lab is not None and min(lab, default=0) < 0:
        raise ValueError(f"labels must be class indices >= 0, got {lab}")
    m = _fed(CohenKappa, y1, y2, sample_weight, lab or (), weights=weights)
    keep = m._counts.classes_present() if lab is None else lab
    sub = m._counts.matrix()[np.ix_(keep, keep)]
    return kappa(sub, weights, _undefined(replace_undefined_by))


def balanced_accuracy_score(y_true: Any, y_pred: Any, *, sample_weight: Any = None,
                            adjusted: bool = False) -> float:
    """Balanced accuracy, as ``sklearn.metrics.balanced_accuracy_score``.

    >>> balanced_accuracy_score([0, 0, 0, 0, 1, 2], [0, 0, 0, 0, 2, 2])
    0.6666666666666666
    """
    return float(_fed(BalancedAccuracy, y_true, y_pred, sample_weight,
                      adjusted=adjusted).result())

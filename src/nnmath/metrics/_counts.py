"""Per-class decision counts, exact, and the ratios scikit-learn derives from them.

The state behind the F-scores, precision, recall, specificity and the classification
report (:mod:`._fscores`), and the agreement metrics (:mod:`._agreement`):

* :class:`MulticlassCounts` — the confusion matrix of integer labels (or the argmax of
  scores) in :class:`ConfusionMatrix`'s encoding, plus which classes occurred at all;
* :class:`MultilabelCounts` — per class the 2 x 2 table of (true, predicted) decisions of
  multi-hot rows, and optionally the per-sample counts that ``average="samples"`` needs.

Unweighted counts are Python integers; weighted ones exact sums (fractions). Everything
that :func:`scores` derives is an exact rational, averaged exactly and rounded once.
"""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from .._array import float_input
from .._exact import encode, exact_group_sums, exact_group_sums_nonzero, to_float
from ._base import StateField, to_numpy, weights
from ._functions import refuse_nan, shape_of
from ._multiclass import _add_counts, _encode_sparse, _zeros, class_decisions

__all__ = ["MulticlassCounts", "MultilabelCounts", "Stats", "UndefinedMetricWarning",
           "check_average", "check_beta", "check_zero_division", "scores"]


class UndefinedMetricWarning(UserWarning):
    """A ratio with a zero denominator was replaced by ``zero_division="warn"``'s 0.0."""


# -- parameters ------------------------------------------------------------------------------

def check_zero_division(zero_division: Any) -> Any:
    """``"warn"``, 0.0, 1.0 or NaN (one NaN object, so that configurations compare equal)."""
    if isinstance(zero_division, str):
        if zero_division == "warn":
            return "warn"
        if zero_division.lower() == "nan":
            return math.nan
    elif not isinstance(zero_division, bool) and isinstance(zero_division,
                                                            (int, float, np.number)):
        v = float(zero_division)
        if math.isnan(v):
            return math.nan
        if v in (0.0, 1.0):
            return v
    raise ValueError(f"zero_division must be 'warn', 0, 1 or nan, got {zero_division!r}")


def check_average(average: Any, allowed: Sequence[Any]) -> Any:
    if average not in allowed:
        raise ValueError(f"average must be one of {tuple(allowed)}, got {average!r}")
    return average


def check_beta(beta: Any, *, positive: bool = False) -> float:
    """``beta`` as a float: >= 0 (``inf`` allowed: the recall), or > 0 with ``positive``."""
    if isinstance(beta, bool) or not isinstance(beta, (int, float, np.number)):
        raise TypeError(f"beta must be a real number, got {beta!r}")
    b = float(beta)
    if math.isnan(b) or b < 0 or (positive and (b == 0 or math.isinf(b))):
        raise ValueError(f"beta must be {'a finite number > 0' if positive else '>= 0'}, "
                         f"got {beta!r}")
    return b


def check_dtype(dtype: Any) -> str | None:
    """Keras's ``dtype=`` argument: accepted and kept (results are float64 regardless)."""
    if dtype is None:
        return None
    try:
        return np.dtype(getattr(dtype, "name", dtype)).name
    except TypeError:
        raise TypeError(f"dtype must be a NumPy dtype or its name, got {dtype!r}") from None


def check_threshold01(threshold: Any, name: str = "threshold") -> float:
    if isinstance(threshold, bool):
        raise TypeError(f"{name} must be a real number, got {threshold!r}")
    try:
        t = float(threshold)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number, got {threshold!r}") from None
    if not math.isfinite(t):
        raise ValueError(f"{name} must be finite, got {threshold!r}")
    return t


def check_pos_label(pos_label: Any, num_classes: int) -> int:
    if isinstance(pos_label, bool):
        raise TypeError(f"pos_label must be an integer, got {pos_label!r}")
    try:
        p = operator.index(pos_label)
    except TypeError:
        raise TypeError(f"pos_label must be an integer, got {pos_label!r}") from None
    if not 0 <= p < num_classes:
        raise ValueError(f"pos_label must lie in [0, {num_classes}), got {p}")
    return int(p)


# -- the ratios ------------------------------------------------------------------------------

@dataclass
class Stats:
    """Exact per-class counts: true positives, false positives, false negatives, true
    negatives (lists of ints or fractions, one entry per class)."""

    tp: list[Any]
    fp: list[Any]
    fn: list[Any]
    tn: list[Any]

    def select(self, idx: Sequence[int]) -> Stats:
        return Stats(*([v[i] for i in idx] for v in (self.tp, self.fp, self.fn, self.tn)))

    def total(self) -> Stats:
        return Stats(*([sum(v, Fraction(0))] for v in (self.tp, self.fp, self.fn, self.tn)))

    @property
    def support(self) -> list[Any]:
        return [a + b for a, b in zip(self.tp, self.fn, strict=True)]


MEASURES = ("precision", "recall", "fbeta", "specificity")


class _Undefined:
    """Collects the measures that met a zero denominator under ``zero_division="warn"``."""

    def __init__(self, zero_division: Any, warn_for: Sequence[str]) -> None:
        self.zd = zero_division
        self.warn_for = set(warn_for)
        self.hit: set[str] = set()

    def divide(self, num: Any, den: Any, what: str) -> Fraction | None:
        """``num / den`` exactly; ``None`` stands for NaN."""
        if den == 0:
            if self.zd == "warn":
                self.hit.add(what)
                return Fraction(0)
            return None if math.isnan(self.zd) else Fraction(int(self.zd))
        return Fraction(num) / Fraction(den)

    def warn(self) -> None:
        hit = self.hit & self.warn_for
        if hit:
            warnings.warn(
                f"{', '.join(sorted(hit))} ill-defined (a zero denominator) and set to "
                "0.0; use zero_division to choose the value", UndefinedMetricWarning,
                stacklevel=3)


def _per_class(s: Stats, beta: float, und: _Undefined) -> dict[str, list[Fraction | None]]:
    out: dict[str, list[Fraction | None]] = {}
    out["precision"] = [und.divide(tp, tp + fp, "precision")
                        for tp, fp in zip(s.tp, s.fp, strict=True)]
    out["recall"] = [und.divide(tp, tp + fn, "recall") for tp, fn in zip(s.tp, s.fn, strict=True)]
    if math.isinf(beta):
        out["fbeta"] = list(out["recall"])
    else:
        b2 = Fraction(beta) ** 2
        out["fbeta"] = [und.divide((1 + b2) * tp, b2 * (tp + fn) + tp + fp, "fbeta")
                        for tp, fp, fn in zip(s.tp, s.fp, s.fn, strict=True)]
    out["specificity"] = [und.divide(tn, tn + fp, "specificity")
                          for tn, fp in zip(s.tn, s.fp, strict=True)]
    return out


def _mean(values: Sequence[Fraction | None], w: Sequence[Any] | None = None) -> float:
    """The (weighted) mean of the defined values (NaN ones left out), rounded once; when
    their weights are all 0, the plain mean (as scikit-learn)."""
    pairs = [(v, Fraction(1) if w is None else Fraction(w[i]))
             for i, v in enumerate(values) if v is not None]
    if not pairs:
        return math.nan
    total = sum((q for _, q in pairs), Fraction(0))
    if total == 0:
        pairs = [(v, Fraction(1)) for v, _ in pairs]
        total = Fraction(len(pairs))
    return to_float(sum((v * q for v, q in pairs), Fraction(0)) / total)


def _floats(values: Sequence[Fraction | None]) -> np.ndarray:
    return np.array([math.nan if v is None else to_float(v) for v in values], dtype=np.float64)


def scores(stats: Stats, *, beta: float, average: Any, zero_division: Any,
           labels: Sequence[int] | None = None, pos_label: int = 1,
           samples: Mapping[tuple[int, int, int, int], Any] | None = None,
           warn_for: Sequence[str] = ("precision", "recall", "fbeta")) -> dict[str, Any]:
    """Precision, recall, F-beta, specificity and support with scikit-learn's averages.

    ``labels``: the classes that the averages run over (``None``: all); ``average=None``
    gives an array per class of ``labels``; ``samples`` maps per-sample counts
    ``(tp, fp, fn, tn)`` to their total weight (for ``average="samples"``). With
    ``zero_division="warn"``, a zero denominator of a measure in ``warn_for`` warns.
    """
    und = _Undefined(zero_division, warn_for)
    idx = list(range(len(stats.tp))) if labels is None else list(labels)
    support = [stats.support[i] for i in idx]
    out: dict[str, Any] = {}
    if average is None:
        per = _per_class(stats.select(idx), beta, und)
        out = {k: _floats(v) for k, v in per.items()}
        out["support"] = support
    elif average == "binary":
        per = _per_class(stats.select([pos_label]), beta, und)
        out = {k: float(_floats(v)[0]) for k, v in per.items()}
        out["support"] = None
    elif average == "micro":
        per = _per_class(stats.select(idx).total(), beta, und)
        out = {k: float(_floats(v)[0]) for k, v in per.items()}
        out["support"] = None
    elif average == "macro":
        per = _per_class(stats.select(idx), beta, und)
        out = {k: _mean(v) for k, v in per.items()}
        out["support"] = None
    elif average == "weighted":
        per = _per_class(stats.select(idx), beta, und)
        out = {k: _mean(v, support) for k, v in per.items()}
        out["support"] = None
    elif average == "samples":
        keys = list((samples or {}).keys())
        tp, fp, fn, tn = (list(col) for col in zip(*keys, strict=True)) if keys else ([],) * 4
        per = _per_class(Stats(tp, fp, fn, tn), beta, und)
        w = [samples[k] for k in keys] if samples else []
        out = {k: _mean(v, w) for k, v in per.items()}
        out["support"] = None
    else:  # pragma: no cover - checked by the constructors
        raise AssertionError(average)
    und.warn()
    return out


def support_out(support: Sequence[Any], weighted: bool) -> np.ndarray:
    """Supports as int64 (unweighted counts) or float64 (weighted sums)."""
    if not weighted and all(isinstance(v, int) or (isinstance(v, Fraction)
                                                   and v.denominator == 1) for v in support):
        return np.array([int(v) for v in support], dtype=np.int64)
    return np.array([to_float(Fraction(v)) for v in support], dtype=np.float64)


# -- multiclass: the confusion matrix ---------------------------------------------------------

class MulticlassCounts:
    """The exact confusion matrix (``ConfusionMatrix``'s state) and the classes seen.

    ``present`` counts, per class, the samples of weighted updates that name it as true or
    predicted label (a sample of weight 0 still makes its class occur, as in
    scikit-learn); for unweighted updates the matrix itself tells.
    """

    def __init__(self, num_classes: int, ignore_index: int | None) -> None:
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.reset()

    def reset(self) -> None:
        c = self.num_classes
        self.counts = _zeros((c, c))
        self.weighted: dict[int, Fraction] = {}
        self.is_weighted = False
        self.present = _zeros((c,))

    def update(self, y_true: Any, y_pred: Any, sample_weight: Any) -> None:
        c = self.num_classes
        labels, pred, w = class_decisions(y_true, y_pred, c, self.ignore_index, 1, sample_weight)
        cells = labels * c  # a new array: the labels may be the caller's
        cells += np.asarray(pred, dtype=np.int64)
        hist = np.bincount(cells, minlength=c * c).reshape(c, c)
        if w is None:
            _add_counts(self.counts, hist)
            return
        self.is_weighted = True
        _add_counts(self.present, hist.sum(axis=0) + hist.sum(axis=1))
        for cell, s in exact_group_sums_nonzero(w, cells, c * c):
            self.weighted[cell] = self.weighted.get(cell, Fraction(0)) + s

    def matrix(self) -> np.ndarray:
        """The exact matrix (rows: true class, columns: predicted), an object array."""
        m = self.counts.copy()
        flat = m.reshape(-1)
        for cell, s in self.weighted.items():
            flat[cell] = flat[cell] + s
        return m

    def stats(self) -> Stats:
        m = self.matrix()
        tp = [m[i, i] for i in range(self.num_classes)]
        true = list(m.sum(axis=1)) if self.num_classes else []
        pred = list(m.sum(axis=0)) if self.num_classes else []
        total = sum(true, Fraction(0))
        fp = [p - t for p, t in zip(pred, tp, strict=True)]
        fn = [s - t for s, t in zip(true, tp, strict=True)]
        tn = [total - a - b - d for a, b, d in zip(tp, fp, fn, strict=True)]
        return Stats(tp, fp, fn, tn)

    def classes_present(self) -> list[int]:
        """The classes that occurred as a true or a predicted label (scikit-learn's default
        ``labels``)."""
        occurs = self.present + self.counts.sum(axis=0) + self.counts.sum(axis=1)
        seen = {i for i in range(self.num_classes) if occurs[i]}
        for cell in self.weighted:
            seen.update(divmod(cell, self.num_classes))
        return sorted(seen)

    def state(self) -> dict[str, Any]:
        return {"counts": self.counts.tolist(), "weighted": self.is_weighted,
                "weighted_cells": _encode_sparse(self.weighted),
                "present": self.present.tolist()}

    def schema(self) -> dict[str, StateField]:
        c = self.num_classes
        return {"counts": StateField("counts", (c, c)),
                "weighted": StateField("flag", (), False),
                "weighted_cells": StateField("sparse", (c * c,), []),
                "present": StateField("counts", (c,), [0] * c)}

    def set_state(self, state: Mapping[str, Any]) -> None:
        self.counts = state["counts"]
        self.weighted = state["weighted_cells"]
        self.is_weighted = state["weighted"] or bool(self.weighted)
        self.present = state["present"]

    def merge(self, other: MulticlassCounts) -> None:
        self.counts += other.counts
        self.present += other.present
        for cell, s in other.weighted.items():
            self.weighted[cell] = self.weighted.get(cell, Fraction(0)) + s
        self.is_weighted = self.is_weighted or other.is_weighted


# -- multilabel: a 2 x 2 table per class -----------------------------------------------------

def binary_truth(y: np.ndarray, name: str) -> np.ndarray:
    """0/1 (or boolean) targets as booleans; anything else is refused."""
    if y.dtype == np.bool_:
        return y
    if y.dtype.kind not in "iuf":
        raise TypeError(f"{name} must hold 0/1 targets, got dtype {y.dtype}")
    ok = (y == 0) | (y == 1)
    if not np.all(ok):
        bad = np.unique(y[~ok])[:5].tolist()
        raise ValueError(f"{name} must hold 0/1 targets, got {bad}")
    return y == 1


def sample_weights(sample_weight: Any, n: int) -> np.ndarray | None:
    """One weight per sample: a scalar, shape (N,) or (N, 1)."""
    if sample_weight is None:
        return None
    w = weights(sample_weight)
    if w.ndim == 0:
        return np.full(n, float(w))
    if w.ndim == 2 and w.shape[1] == 1:
        w = w[:, 0]
    if w.shape != (n,):
        raise ValueError(f"sample_weight of shape {w.shape} does not fit {n} samples: give "
                         f"one weight per sample, shape ({n},)")
    return w


def multilabel_decisions(y_true: Any, y_pred: Any, threshold: float | None,
                         num_classes: int | None, sample_weight: Any
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``(truth, decision, weights)`` of multi-hot rows: booleans of shape (N, C).

    ``threshold=None``: the entries equal to their row's maximum (and nonzero) are the
    positive decisions, as Keras's F-scores; otherwise ``y_pred > threshold``.
    """
    yt, yp = to_numpy(y_true), to_numpy(y_pred)
    if yt.ndim != 2 or yp.ndim != 2:
        raise ValueError(f"y_true and y_pred must be 2-D, shape (samples, classes), got "
                         f"y_true {shape_of(yt)} and y_pred {shape_of(yp)}")
    if yt.shape != yp.shape:
        raise ValueError(f"y_true and y_pred must have the same shape, got y_true "
                         f"{shape_of(yt)} and y_pred {shape_of(yp)}")
    if num_classes is not None and yp.shape[1] != num_classes:
        raise ValueError(f"y_pred has {yp.shape[1]} classes (columns), expected "
                         f"num_classes={num_classes}")
    truth = binary_truth(yt, "y_true")
    if yp.dtype == np.bool_:
        yp = yp.astype(np.float64)
    _, ypf, _ = float_input(yp, "y_pred")
    ypf = refuse_nan(np, ypf, "y_pred")
    if threshold is None:
        top = ypf.max(axis=1, keepdims=True) if ypf.shape[1] else ypf
        decision = (ypf >= top) & (np.abs(ypf) > 1e-9)
    else:
        decision = ypf > threshold
    return truth, decision, sample_weights(sample_weight, yt.shape[0])


class MultilabelCounts:
    """Per class the exact 2 x 2 table ``[true][predicted]`` of multi-hot decisions, and
    with ``samples=True`` the total weight of each per-sample ``(tp, fp, fn)``.

    ``num_classes=None`` takes the number of columns from the first update (Keras).
    """

    def __init__(self, num_classes: int | None, threshold: float | None,
                 samples: bool = False) -> None:
        self.num_classes = num_classes
        self.threshold = threshold
        self.keep_samples = samples
        self.reset()

    @property
    def c(self) -> int:
        return self.num_classes or 0

    def reset(self) -> None:
        self.counts = _zeros((self.c, 2, 2))
        self.weighted: dict[int, Fraction] = {}
        self.is_weighted = False
        self.samples: dict[int, Fraction] = {}

    def update(self, y_true: Any, y_pred: Any, sample_weight: Any) -> None:
        truth, decision, w = multilabel_decisions(y_true, y_pred, self.threshold,
                                                  self.num_classes, sample_weight)
        n, c = truth.shape
        if self.num_classes is None:
            self.num_classes = c
            self.reset()
        cells = (np.arange(c, dtype=np.int64) * 4 + 2 * truth + decision).ravel()
        if w is None:
            _add_counts(self.counts, np.bincount(cells, minlength=4 * c).reshape(c, 2, 2))
        else:
            self.is_weighted = True
            wc = np.repeat(w, c)
            for cell, s in enumerate(exact_group_sums(wc, cells, 4 * c)):
                if s:
                    self.weighted[cell] = self.weighted.get(cell, Fraction(0)) + s
        if self.keep_samples and n:
            tp = np.count_nonzero(truth & decision, axis=1)
            fp = np.count_nonzero(~truth & decision, axis=1)
            fn = np.count_nonzero(truth & ~decision, axis=1)
            key = (tp * (c + 1) + fp) * (c + 1) + fn
            uniq, inv, cnt = np.unique(key, return_inverse=True, return_counts=True)
            sums = (exact_group_sums(w, inv, len(uniq)) if w is not None
                    else [Fraction(int(k)) for k in cnt])
            for k, s in zip(uniq.tolist(), sums, strict=True):
                self.samples[k] = self.samples.get(k, Fraction(0)) + s

    def table(self) -> np.ndarray:
        m = self.counts.copy()
        flat = m.reshape(-1)
        for cell, s in self.weighted.items():
            flat[cell] = flat[cell] + s
        return m

    def stats(self) -> Stats:
        t = self.table()
        return Stats(list(t[:, 1, 1]), list(t[:, 0, 1]), list(t[:, 1, 0]), list(t[:, 0, 0]))

    def sample_table(self) -> dict[tuple[int, int, int, int], Fraction]:
        c = self.c
        out: dict[tuple[int, int, int, int], Fraction] = {}
        for key, w in self.samples.items():
            rest, fn = divmod(key, c + 1)
            tp, fp = divmod(rest, c + 1)
            out[(tp, fp, fn, c - tp - fp - fn)] = w
        return out

    def state(self) -> dict[str, Any]:
        out: dict[str, Any] = {"counts": self.counts.tolist(), "weighted": self.is_weighted,
                               "weighted_cells": _encode_sparse(self.weighted)}
        if self.keep_samples:
            out["samples"] = [[k, encode(v)] for k, v in sorted(self.samples.items()) if v]
        return out

    def schema(self, c: int | None = None) -> dict[str, StateField]:
        c = self.c if c is None else c
        out = {"counts": StateField("counts", (c, 2, 2)),
               "weighted": StateField("flag", (), False),
               "weighted_cells": StateField("sparse", (4 * c,), [])}
        if self.keep_samples:
            out["samples"] = StateField("sparse", ((c + 1) ** 3,), [])
        return out

    def set_state(self, state: Mapping[str, Any]) -> None:
        self.counts = state["counts"]
        if self.num_classes is None and self.counts.shape[0]:
            self.num_classes = int(self.counts.shape[0])
        self.weighted = state["weighted_cells"]
        self.is_weighted = state["weighted"] or bool(self.weighted)
        self.samples = state.get("samples", {})

    def merge(self, other: MultilabelCounts) -> None:
        if other.num_classes is None:
            return
        if self.num_classes is None:
            self.num_classes = other.num_classes
            self.reset()
        self.counts += other.counts
        for mine, theirs in ((self.weighted, other.weighted), (self.samples, other.samples)):
            for k, v in theirs.items():
                mine[k] = mine.get(k, Fraction(0)) + v
        self.is_weighted = self.is_weighted or other.is_weighted


def sqrt_fraction(q: Fraction) -> float:
    """The square root of an exact ``q >= 0``, correctly rounded to a float.

    >>> sqrt_fraction(Fraction(9, 4)), sqrt_fraction(Fraction(2)) == 2 ** 0.5
    (1.5, True)
    """
    if q < 0:
        raise ValueError(f"sqrt_fraction: {q} < 0")
    if q == 0:
        return 0.0
    a, b = q.numerator, q.denominator
    # scale by 4**k so that the integer square root has at least 64 bits
    k = max(0, (131 - a.bit_length() + b.bit_length()) // 2 + 1)
    num = a << (2 * k)
    r = math.isqrt(num // b)
    exact = r * r * b == num
    # a sticky bit below the 64 kept bits: the one rounding of the int to a float is right
    m = (r << 1) | (0 if exact else 1)
    return math.ldexp(float(m), -k - 1)

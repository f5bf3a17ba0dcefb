"""Calibration: the expected calibration error and the Brier score, exact and mergeable.

* :class:`ExpectedCalibrationError` — the binned gap between confidence and accuracy
  (torchmetrics' ``BinaryCalibrationError`` / ``MulticlassCalibrationError`` with
  ``norm="l1"|"l2"|"max"``), with equal-width bins or equal-mass bins
  (``strategy="quantile"``, the bins of scikit-learn's ``calibration_curve``);
* :class:`BrierScore` — ``sklearn.metrics.brier_score_loss`` (binary and multiclass).

Binary input: ``y_true`` 0/1 and ``y_pred`` the probability of class 1, shape ``(N,)``
or ``(N, 1)``: the confidence is that probability and the "accuracy" the label (the
reliability diagram's fraction of positives). Multiclass input: integer labels and
``(N, C)`` probability rows, ``C >= 2``: the confidence is the top probability and the
accuracy whether its class (the first on ties) is the label.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np

from .._array import float_input
from .._exact import encode, exact_group_sums, exact_total, to_float
from ._base import Metric, StateField, decode_state, to_numpy, update_by_blocks
from ._counts import binary_truth, check_dtype, sample_weights, sqrt_fraction
from ._functions import check_k, int_labels, refuse_nan, shape_of

__all__ = ["BrierScore", "ExpectedCalibrationError", "brier_score_loss", "calibration_error"]

STRATEGIES = ("uniform", "quantile")
NORMS = ("l1", "l2", "max")


def _probabilities(y: Any, name: str = "y_pred") -> np.ndarray:
    """Float probabilities in [0, 1] (float32 stays float32; float16 widens to float32)."""
    arr = to_numpy(y)
    if arr.dtype == np.bool_:
        arr = arr.astype(np.float64)
    _, p, _ = float_input(arr, name)
    p = np.asarray(refuse_nan(np, p, name))
    if p.dtype not in (np.float32, np.float64):
        p = p.astype(np.float64)
    if p.size and (p.min() < 0 or p.max() > 1):
        raise ValueError(f"{name} must hold probabilities in [0, 1], got values in "
                         f"[{float(p.min())!r}, {float(p.max())!r}]")
    return p


def confidences(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray, int]:
    """``(confidence, hit, columns)``: binary (``columns`` 1) or top-1 multiclass."""
    yt, p = to_numpy(y_true), _probabilities(y_pred)
    if p.ndim == 2 and p.shape[1] == 1:
        p = p[:, 0]
    if yt.ndim == 2 and yt.shape[1] == 1:
        yt = yt[:, 0]
    if p.ndim == 1:
        if yt.shape != p.shape:
            raise ValueError(f"y_true {shape_of(yt)} and y_pred {shape_of(p)} do not fit: give "
                             "one 0/1 label per probability")
        return p, binary_truth(yt, "y_true"), 1
    if p.ndim != 2 or yt.shape != p.shape[:1]:
        raise ValueError(f"y_true {shape_of(yt)} and y_pred {shape_of(p)} do not fit: give "
                         "(N,) 0/1 labels with (N,) probabilities, or (N,) class labels with "
                         "(N, C) probability rows")
    labels = int_labels(np, yt, p.shape[1], "y_true")
    pred = np.argmax(p, axis=1)
    return p[np.arange(p.shape[0]), pred], pred == labels, p.shape[1]


def _bins_uniform(conf: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin ``k`` holds ``k/n <= conf < (k+1)/n`` (exactly; 1.0 in the last bin)."""
    c = conf.astype(np.float64)
    scaled = c * n_bins
    k = np.floor(scaled).astype(np.int64)
    # c * n_bins is rounded: near an edge decide by exact comparison
    scaled -= k
    near = (scaled < 1e-6) | (scaled > 1 - 1e-6)
    if near.any():  # each distinct value once (a grid of probabilities has few)
        values, inv = np.unique(c[near], return_inverse=True)
        exact = np.array([math.floor(Fraction(v) * n_bins) for v in values.tolist()],
                         dtype=np.int64)
        k[near] = exact[inv]
    return np.minimum(k, n_bins - 1)


def _group_products(x: np.ndarray, w: np.ndarray | None, groups: np.ndarray,
                    n: int) -> list[Fraction]:
    """The exact ``Σ x·w`` per group (``Σ x`` without weights)."""
    if w is None:
        return exact_group_sums(x, groups, n) if x.size else [Fraction(0)] * n
    order = np.argsort(groups, kind="stable")
    ends = np.searchsorted(groups[order], np.arange(n + 1), side="left")
    out = []
    for b in range(n):
        sel = order[ends[b]:ends[b + 1]]
        total = exact_total(x[sel], w[sel]) if sel.size else Fraction(0)
        assert isinstance(total, Fraction)
        out.append(total)
    return out


class ExpectedCalibrationError(Metric):
    r"""The calibration error: the binned gap between accuracy and confidence, streaming.

    Per bin :math:`b` with mass :math:`n_b` (samples, or their weights), accuracy total
    :math:`a_b` and confidence total :math:`s_b` (of :math:`N` in all):

    * ``"l1"`` (ECE): :math:`\sum_b |a_b - s_b| / N`;
    * ``"l2"`` (RMSCE): :math:`\sqrt{\sum_b (a_b - s_b)^2 / (n_b N)}`;
    * ``"max"`` (MCE): :math:`\max_b |a_b - s_b| / n_b`.

    Parameters
    ----------
    n_bins
        The number of bins, >= 1.
    strategy
        ``"uniform"``: equal width, bin ``k`` holding ``k/n <= c < (k+1)/n`` (1.0 in the
        last bin); ``"quantile"``: equal mass, the edges the percentiles of all the
        confidences seen (``np.percentile``, linear interpolation, in float64) and each
        value in the first bin whose upper edge is at least the value — the bins of
        scikit-learn's ``calibration_curve(strategy="quantile")``.
    norm
        ``"l1"``, ``"l2"`` or ``"max"``.
    max_distinct
        ``"quantile"`` only: equal-mass bins need the distribution of the confidences, so
        the state keeps each distinct confidence with its count and hits. Beyond this
        many distinct values an update raises ``ValueError`` (the state unchanged): round
        the confidences (to float32, or a few digits), raise the bound, or use
        ``"uniform"``.
    name, dtype
        The instance name; ``dtype`` is accepted and kept (the result is a float).

    Notes
    -----
    Sums are exact (confidences and weights as given, every product exact), so any split
    of the data, merged in any order, gives the same result bit for bit; the result is
    the correctly rounded value (``"l2"``: of the exact square root). Weights apply to
    ``"uniform"`` only (equal-mass bins are defined on samples).

    torchmetrics compares float32 confidences with float32 edges ``linspace(0, 1)`` and
    puts a confidence of exactly 1.0 in a bin of its own; here edges are the exact
    ``k/n`` and 1.0 belongs to the last bin. Its multiclass metric applies softmax to rows
    outside [0, 1] and its binary one sigmoid; here probabilities outside [0, 1] are
    refused.

    Examples
    --------
    >>> m = ExpectedCalibrationError(n_bins=2)
    >>> m.update_state([0, 0, 1, 1, 1], [0.25, 0.25, 0.55, 0.75, 0.75])
    >>> round(m.result(), 6)          # (|0 - 0.5| + |3 - 2.05|) / 5
    0.29
    >>> ExpectedCalibrationError(n_bins=2, norm="max")([0, 0, 1, 1, 1],
    ...                                                [0.25, 0.25, 0.55, 0.75, 0.75])
    0.31666666666666665
    """

    name = "expected_calibration_error"
    _params: ClassVar[tuple[str, ...]] = ("n_bins", "strategy", "norm", "max_distinct", "dtype")

    def __init__(self, n_bins: int = 15, strategy: str = "uniform", norm: str = "l1", *,
                 max_distinct: int = 1_000_000, name: str | None = None,
                 dtype: Any = None) -> None:
        self.n_bins = check_k(n_bins, "n_bins")
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
        if norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
        self.strategy = strategy
        self.norm = norm
        self.max_distinct = check_k(max_distinct, "max_distinct")
        self.dtype = check_dtype(dtype)
        super().__init__(name)

    def reset_state(self) -> None:
        """Forget everything."""
        n = self.n_bins
        self._mass: list[Fraction] = [Fraction(0)] * n
        self._hits: list[Fraction] = [Fraction(0)] * n
        self._conf: list[Fraction] = [Fraction(0)] * n
        self._values = np.zeros(0, dtype=np.float64)   # quantile: distinct confidences,
        self._counts = np.zeros(0, dtype=np.int64)     # their counts
        self._vhits = np.zeros(0, dtype=np.int64)      # and hits

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add one batch (see the module doc for binary and multiclass input)."""
        if update_by_blocks(self, y_true, y_pred, sample_weight):
            return
        conf, hit, _ = confidences(y_true, y_pred)
        w = sample_weights(sample_weight, conf.shape[0])
        if self.strategy == "quantile":
            if w is not None:
                raise ValueError("sample_weight does not apply to strategy='quantile' "
                                 "(equal-mass bins are defined on samples)")
            self._add_values(*_table(conf, hit))
            return
        bins = _bins_uniform(conf, self.n_bins)
        n = self.n_bins
        if w is None:
            mass = np.bincount(bins, minlength=n)
            hits = np.bincount(bins[hit], minlength=n)
            confs = _group_products(conf, None, bins, n)
            for b in range(n):
                self._mass[b] += int(mass[b])
                self._hits[b] += int(hits[b])
                self._conf[b] += confs[b]
            return
        mass_w = exact_group_sums(w, bins, n) if w.size else [Fraction(0)] * n
        hits_w = (exact_group_sums(w[hit], bins[hit], n) if hit.any()
                  else [Fraction(0)] * n)
        confs = _group_products(conf, w, bins, n)
        for b in range(n):
            self._mass[b] += mass_w[b]
            self._hits[b] += hits_w[b]
            self._conf[b] += confs[b]

    def _add_values(self, values: np.ndarray, counts: np.ndarray, hits: np.ndarray) -> None:
        """Add a table of distinct sorted values (their counts and hits) to the state's."""
        if self._values.size:
            uniq = np.union1d(self._values, values)
        else:
            uniq = values
        if uniq.size > self.max_distinct:
            raise ValueError(
                f"strategy='quantile' keeps each distinct confidence, and {uniq.size} would "
                f"exceed max_distinct={self.max_distinct}: round the confidences (e.g. to "
                "float32), raise max_distinct, or use strategy='uniform'")
        if not self._values.size:
            self._values, self._counts, self._vhits = values, counts, hits
            return
        new_counts = np.zeros(uniq.size, dtype=np.int64)
        new_hits = np.zeros(uniq.size, dtype=np.int64)
        for vals, cnt, hit in ((self._values, self._counts, self._vhits),
                               (values, counts, hits)):
            at = np.searchsorted(uniq, vals)  # distinct values: distinct positions
            new_counts[at] += cnt
            new_hits[at] += hit
        self._values, self._counts, self._vhits = uniq, new_counts, new_hits

    # -- the bins ---------------------------------------------------------------------------
    def _quantile_bins(self) -> tuple[np.ndarray, np.ndarray]:
        """The bin of each distinct value, and the edges: ``np.percentile`` of all the
        confidences at ``linspace(0, 100, n_bins + 1)`` (linear interpolation between
        the two order statistics, in float64, as NumPy computes it), found from the
        table of distinct values without the samples themselves."""
        values, ends = self._values, np.cumsum(self._counts)
        last = int(ends[-1]) - 1
        q = np.linspace(0, 1, self.n_bins + 1) * 100 / 100
        position = last * q
        prev = np.floor(position).astype(np.int64)
        nxt = prev + 1
        top = position >= last
        prev[top] = last
        nxt[top] = last
        gamma = position - prev
        a = values[np.searchsorted(ends, prev, side="right")]
        b = values[np.searchsorted(ends, nxt, side="right")]
        diff = b - a
        edges = np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)
        return np.searchsorted(edges[1:-1], values, side="left"), edges

    def _binned(self) -> tuple[list[Fraction], list[Fraction], list[Fraction]]:
        """Per bin: mass, accuracy total, confidence total (exact)."""
        if self.strategy == "uniform":
            return list(self._mass), list(self._hits), list(self._conf)
        n = self.n_bins
        mass, hits, conf = ([Fraction(0)] * n for _ in range(3))
        if self._values.size == 0:
            return mass, hits, conf
        bins, _ = self._quantile_bins()
        # the values are sorted, so each bin is a run of them
        bounds = np.searchsorted(bins, np.arange(n + 1), side="left")
        for b in range(n):
            lo, hi = int(bounds[b]), int(bounds[b + 1])
            if lo == hi:
                continue
            mass[b] = Fraction(int(self._counts[lo:hi].sum()))
            hits[b] = Fraction(int(self._vhits[lo:hi].sum()))
            total = exact_total(self._values[lo:hi], self._counts[lo:hi].astype(np.float64))
            assert isinstance(total, Fraction)
            conf[b] = total
        return mass, hits, conf

    def result(self) -> float:
        """The calibration error (0.0 before any update)."""
        mass, hits, conf = self._binned()
        total = sum(mass, Fraction(0))
        if total == 0:
            return 0.0
        gaps = [h - s for h, s in zip(hits, conf, strict=True)]
        if self.norm == "l1":
            return to_float(sum((abs(g) for g in gaps), Fraction(0)) / total)
        if self.norm == "max":
            return to_float(max(abs(g) / m for g, m in zip(gaps, mass, strict=True) if m))
        square = sum((g * g / m for g, m in zip(gaps, mass, strict=True) if m), Fraction(0))
        return sqrt_fraction(square / total)

    def reliability(self) -> dict[str, np.ndarray]:
        """The reliability diagram's data, per bin: ``edges`` (n_bins + 1), ``mass``
        (samples, or their weights), ``confidence`` (mean) and ``accuracy`` (mean; the
        fraction of positives for binary input); NaN for an empty bin."""
        mass, hits, conf = self._binned()
        if self.strategy == "uniform" or self._values.size == 0:
            edges = np.linspace(0.0, 1.0, self.n_bins + 1)
        else:
            edges = self._quantile_bins()[1]
        return {"edges": edges,
                "mass": np.array([to_float(m) for m in mass]),
                "confidence": np.array([to_float(s / m) if m else math.nan
                                        for s, m in zip(conf, mass, strict=True)]),
                "accuracy": np.array([to_float(h / m) if m else math.nan
                                      for h, m in zip(hits, mass, strict=True)])}

    # -- state ------------------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        if self.strategy == "quantile":
            return {"values": self._values.tolist(), "counts": self._counts.tolist(),
                    "hits": self._vhits.tolist()}
        return {key: [[b, encode(v)] for b, v in enumerate(vals) if v]
                for key, vals in (("mass", self._mass), ("hits", self._hits),
                                  ("confidence", self._conf))}

    def _schema(self) -> dict[str, StateField]:
        n = self.n_bins
        return {"mass": StateField("sparse", (n,), []), "hits": StateField("sparse", (n,), []),
                "confidence": StateField("sparse", (n,), [])}

    _invariants: ClassVar[tuple[tuple[str, str], ...]] = (("hits", "mass"),
                                                          ("confidence", "mass"))

    def _checked(self, state: Any) -> dict[str, Any]:
        if self.strategy == "uniform":
            return decode_state(self._schema(), self._invariants, state)
        return _check_table(state, self.max_distinct)

    def _set_state(self, state: Mapping[str, Any]) -> None:
        if self.strategy == "quantile":
            self._values, self._counts, self._vhits = (state["values"], state["counts"],
                                                       state["hits"])
            return
        n = self.n_bins
        self._mass = [state["mass"].get(b, Fraction(0)) for b in range(n)]
        self._hits = [state["hits"].get(b, Fraction(0)) for b in range(n)]
        self._conf = [state["confidence"].get(b, Fraction(0)) for b in range(n)]

    def _merge(self, other: Any) -> None:
        if self.strategy == "quantile":
            self._add_values(other._values, other._counts, other._vhits)
            return
        for b in range(self.n_bins):
            self._mass[b] += other._mass[b]
            self._hits[b] += other._hits[b]
            self._conf[b] += other._conf[b]


def _runs(sorted_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of a sorted array and how often each occurs."""
    if sorted_values.size == 0:
        return sorted_values, np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate(([True], sorted_values[1:] != sorted_values[:-1])))
    return sorted_values[starts], np.diff(np.append(starts, sorted_values.size))


def _table(conf: np.ndarray, hit: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct confidences (sorted), their counts and their hits: two sorts, no
    argsort."""
    values, counts = _runs(np.sort(conf))
    hit_values, hit_counts = _runs(np.sort(conf[hit]))
    hits = np.zeros(values.size, dtype=np.int64)
    hits[np.searchsorted(values, hit_values)] = hit_counts
    return values.astype(np.float64), counts.astype(np.int64), hits


def _check_table(state: Any, max_distinct: int) -> dict[str, Any]:
    """The quantile state: distinct increasing confidences in [0, 1], counts >= 1, hits in
    ``[0, count]``."""
    if not isinstance(state, Mapping):
        raise ValueError(f"state entry 'state' must be a dict, got {type(state).__name__}")
    unknown = sorted(set(map(str, state)) - {"values", "counts", "hits"})
    if unknown:
        raise ValueError(f"state has unknown entries {unknown}; expected ['counts', 'hits', "
                         "'values']")
    out: dict[str, Any] = {}
    for key in ("values", "counts", "hits"):
        v = state.get(key)
        if not isinstance(v, list):
            raise ValueError(f"state entry {key!r} must be a list")
        if key == "values":
            if any(isinstance(x, bool) or not isinstance(x, (int, float)) for x in v):
                raise ValueError("state entry 'values' must hold numbers")
            arr = np.array(v, dtype=np.float64)
            if arr.size and (not np.all(np.isfinite(arr)) or arr.min() < 0 or arr.max() > 1
                             or np.any(np.diff(arr) <= 0)):
                raise ValueError("state entry 'values' must hold increasing distinct "
                                 "confidences in [0, 1]")
        else:
            if any(isinstance(x, bool) or not isinstance(x, int) or x < 0 for x in v):
                raise ValueError(f"state entry {key!r} must hold integers >= 0")
            arr = np.array(v, dtype=np.int64)
        out[key] = arr
    if not len(out["values"]) == len(out["counts"]) == len(out["hits"]):
        raise ValueError("state entries 'values', 'counts' and 'hits' must have one entry "
                         "per value")
    if len(out["values"]) > max_distinct:
        raise ValueError(f"state entry 'values' holds more than max_distinct={max_distinct} "
                         "values")
    if np.any(out["counts"] < 1) or np.any(out["hits"] > out["counts"]):
        raise ValueError("state entry 'hits' exceeds 'counts' (or a count is 0)")
    return out


def calibration_error(y_true: Any, y_prob: Any, *, n_bins: int = 15, norm: str = "l1",
                      strategy: str = "uniform", sample_weight: Any = None) -> float:
    """The calibration error of one batch (see :class:`ExpectedCalibrationError`).

    >>> calibration_error([0, 0, 1, 1, 1], [0.25, 0.25, 0.55, 0.75, 0.75], n_bins=2,
    ...                   norm="l2")
    0.29183328574147716
    """
    m = ExpectedCalibrationError(n_bins, strategy, norm, max_distinct=2**62)
    m.update_state(y_true, y_prob, sample_weight)
    return m.result()


# -- the Brier score ----------------------------------------------------------------------------

_SPLIT = 134217729.0  # 2**27 + 1: Veltkamp's split of a double into two 26-bit halves
_TINY = 2.0 ** -400   # below this a product of two halves could leave the double range


def _weighted_squares(p: np.ndarray, w: np.ndarray | None) -> Fraction:
    """The exact ``Σ w·p²`` (``Σ p²`` without weights). Unweighted, and for float32
    values, each square is an exact product; a float64 value with weights is split as
    ``p = hi + lo`` with ``hi``, ``lo`` of 26 bits, so that ``hi²``, ``2·hi·lo`` and
    ``lo²`` are doubles and each product with ``w`` is exact."""
    if p.dtype == np.float32:
        return _exact(p.astype(np.float64) ** 2, w)  # 48-bit squares: exact doubles
    p = p.astype(np.float64)
    if w is None:
        return _exact(p, p)
    tiny = (p != 0) & (np.abs(p) < _TINY)
    t = p * _SPLIT
    hi = t - (t - p)
    lo = p - hi
    hi[tiny] = 0.0
    lo[tiny] = 0.0
    total = sum((_exact(part, w) for part in (hi * hi, 2.0 * hi * lo, lo * lo)), Fraction(0))
    for v, wi in zip(p[tiny].tolist(), w[tiny].tolist(), strict=True):
        total += Fraction(wi) * Fraction(v) ** 2
    return total


class BrierScore(Metric):
    r"""The Brier score, streaming: ``sklearn.metrics.brier_score_loss``.

    The weighted mean over samples of :math:`\sum_c (p_c - [y = c])^2` (the squared
    distance between the probability row and the one-hot label), halved when
    ``scale_by_half`` says so. ``"auto"`` (scikit-learn >= 1.7) halves binary input — a
    probability per sample, or rows of two classes — so that it is the familiar
    :math:`\frac1N \sum_i (y_i - p_i)^2` in [0, 1], and not three or more classes (in
    [0, 2]). torchmetrics has no Brier score.

    Parameters
    ----------
    scale_by_half
        ``"auto"``, ``True`` or ``False``.
    name, dtype
        The instance name; ``dtype`` is accepted and kept (the result is a float).

    Inputs: ``y_true`` 0/1 with ``y_pred`` the probability of class 1, shape ``(N,)``;
    or integer labels with ``(N, C)`` probability rows. Every update must have the same
    number of columns. Probabilities outside [0, 1] are refused (rows need not sum to 1).

    Notes
    -----
    The sum is exact (squares of float64 probabilities split into exact halves, products
    with the weights exact) and rounded once, so batches and merged workers give the
    result of one pass bit for bit.

    Examples
    --------
    >>> m = BrierScore()
    >>> m.update_state([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.3])
    >>> m.result()                    # the exact mean of these doubles, just below 0.0375
    0.03749999999999999
    >>> BrierScore()([0, 1, 2], [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.2, 0.2, 0.6]])
    0.14666666666666667
    """

    name = "brier_score"
    _params: ClassVar[tuple[str, ...]] = ("scale_by_half", "dtype")

    def __init__(self, scale_by_half: Any = "auto", *, name: str | None = None,
                 dtype: Any = None) -> None:
        if scale_by_half not in ("auto", True, False):
            raise ValueError(f"scale_by_half must be 'auto', True or False, got "
                             f"{scale_by_half!r}")
        self.scale_by_half = scale_by_half
        self.dtype = check_dtype(dtype)
        super().__init__(name)

    def reset_state(self) -> None:
        """Forget everything."""
        self._total = Fraction(0)
        self._count = Fraction(0)
        self._columns = 0  # 1: binary probabilities; C: rows of C classes; 0: no update yet

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add one batch; ``sample_weight``: one weight per sample."""
        if update_by_blocks(self, y_true, y_pred, sample_weight):
            return
        yt, p = to_numpy(y_true), _probabilities(y_pred)
        if p.ndim == 2 and p.shape[1] == 1:
            p = p[:, 0]
        if yt.ndim == 2 and yt.shape[1] == 1 and yt.shape[0] == p.shape[0]:
            yt = yt[:, 0]
        if p.ndim == 1:
            if yt.shape != p.shape:
                raise ValueError(f"y_true {shape_of(yt)} and y_pred {shape_of(p)} do not fit")
            columns = 1
            pos = binary_truth(yt, "y_true")
        elif p.ndim == 2 and yt.shape == p.shape[:1]:
            columns = p.shape[1]
            labels = int_labels(np, yt, columns, "y_true")
        else:
            raise ValueError(f"y_true {shape_of(yt)} and y_pred {shape_of(p)} do not fit: give "
                             "(N,) 0/1 labels with (N,) probabilities, or (N,) class labels "
                             "with (N, C) probability rows")
        if self._columns and columns != self._columns:
            raise ValueError(f"y_pred has {columns} column(s) but earlier updates had "
                             f"{self._columns}")
        n = p.shape[0]
        w = sample_weights(sample_weight, n)
        if columns == 1:
            # two columns (1 - p, p) against (1 - y, y): 2 (y - p)² = 2 (p² - 2 y p + y)
            target = np.where(pos, p, 0).astype(p.dtype)
            total = 2 * (_weighted_squares(p, w) - 2 * _exact(target, w)
                         + _exact(pos, w))
        else:
            mine = p[np.arange(n), labels]
            wide = None if w is None else np.repeat(w, columns)
            total = (_weighted_squares(p.ravel(), wide) - 2 * _exact(mine, w)
                     + _count(n, w))
        self._total += total
        self._count += _count(n, w)
        self._columns = columns

    def result(self) -> float:
        """The mean squared distance (halved per ``scale_by_half``); 0.0 before any update."""
        if self._count == 0:
            return 0.0
        half = (self._columns < 3) if self.scale_by_half == "auto" else self.scale_by_half
        return to_float(self._total / self._count / (2 if half else 1))

    def _state(self) -> dict[str, Any]:
        return {"total": encode(self._total), "count": encode(self._count),
                "columns": self._columns}

    def _schema(self) -> dict[str, StateField]:
        return {"total": StateField("count"), "count": StateField("count"),
                "columns": StateField("counts", (), 0)}

    def _set_state(self, state: Mapping[str, Any]) -> None:
        self._total, self._count = state["total"], state["count"]
        self._columns = int(state["columns"][()])

    def _compatible(self, other: Any) -> None:
        super()._compatible(other)
        if self._columns and other._columns and self._columns != other._columns:
            raise ValueError(f"others: cannot merge a Brier score of {other._columns} "
                             f"column(s) into one of {self._columns}")

    def _merge(self, other: Any) -> None:
        self._total += other._total
        self._count += other._count
        self._columns = self._columns or other._columns


def _exact(x: np.ndarray, w: np.ndarray | None) -> Fraction:
    """The exact ``Σ x·w`` (``Σ x`` without weights; booleans count)."""
    x = np.asarray(x)
    if w is None:
        s = exact_total(x)
    else:
        s = exact_total(x.astype(np.float64) if x.dtype == np.bool_ else x, w)
    assert isinstance(s, Fraction)
    return s


def _count(n: int, w: np.ndarray | None) -> Fraction:
    return Fraction(n) if w is None else _exact(w, None)


def brier_score_loss(y_true: Any, y_proba: Any, *, sample_weight: Any = None,
                     scale_by_half: Any = "auto") -> float:
    """The Brier score, as ``sklearn.metrics.brier_score_loss`` (>= 1.7): ``y_true`` 0/1
    with the probabilities of class 1, or class labels with ``(N, C)`` rows.

    >>> brier_score_loss([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.3], scale_by_half=False)
    0.07499999999999998
    """
    m = BrierScore(scale_by_half)
    m.update_state(y_true, y_proba, sample_weight)
    return m.result()

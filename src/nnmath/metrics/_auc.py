"""The area under the ROC or precision-recall curve: Keras's thresholded ``AUC``, and the
exact AUC (``num_thresholds=None``), with the functions ``roc_auc`` and
``average_precision``.

Thresholded (Keras's default, ``num_thresholds=200``): the curve is taken at the
thresholds only, from the exact confusion counts of :mod:`._thresholds`' histogram.

Exact (``num_thresholds=None``): the state holds, per distinct score, the (weighted)
numbers of positive and negative samples with that score, so it grows with the number of
distinct scores and not with the number of samples (float32 scores have at most 2**32
values; scores on a coarse grid give a tiny state). From it:

* ``curve="ROC"``: the ROC AUC with ties handled as scikit-learn's ``roc_auc_score`` (a
  trapezoid between consecutive distinct scores: a tie between a positive and a negative
  counts one half), computed exactly as a ratio of integers (of exact weighted sums) and
  rounded once;
* ``curve="PR"``: *average precision*, ``sum_k (R_k - R_(k-1)) P_k`` over the distinct
  scores, as scikit-learn's ``average_precision_score``: a step function without
  interpolation. The trapezoid that ``"interpolation"`` uses elsewhere joins PR points
  with straight lines, which overstates the area (precision does not vary linearly
  between two operating points: Davis & Goadrich), and Keras's own interpolation needs
  thresholds between the points; average precision is the estimator with neither
  problem.

``max_distinct`` (default 2**24 per label) bounds the state: an update that would keep
more distinct scores raises ``ValueError`` (use ``num_thresholds=...`` then, or round the
scores) — or, with ``fallback_thresholds=T``, turns the metric into a thresholded AUC of
``T`` evenly spaced thresholds (an explicit fallback, :attr:`AUC.fell_back`): the exact
counts kept so far are binned at the thresholds, and so is every later score. The
fallback compares each score with the thresholds in float64 (logits with the thresholds'
logits, ``log(t) - log1p(-t)`` in float64), so that binning the exact state and binning
the scores give the same counts, and any split of the data, merged in any order, the same
result (Keras's thresholded AUC rounds the thresholds to the scores' dtype and takes the
sigmoid of logits first: at a score within a rounding of a threshold the two differ).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np

from .. import _core
from .._exact import decode, encode, exact_group_dyadics, exact_group_sums, exact_total, to_float
from ._base import to_numpy, update_by_blocks
from ._functions import refuse_nan
from ._thresholds import (
    EPSILON,
    _Histogram,
    binary_inputs,
    binary_labels,
    check_dtype,
    check_optional_int,
    check_thresholds,
    even_thresholds,
    histogram,
    keras_weights,
    object_zeros,
)

__all__ = ["AUC", "average_precision", "roc_auc"]

CURVES = ("ROC", "PR")
SUMMATIONS = ("interpolation", "minoring", "majoring")
AVERAGES = ("macro", "weighted", None)
#: the default bound on the number of distinct scores an exact AUC keeps per label
MAX_DISTINCT = 2**24
#: scores of the batches that may wait beside a small exact state before a merge
PENDING_MIN = 1 << 16


def _sparse_to_onehot(yt: np.ndarray, yp: np.ndarray) -> np.ndarray:
    """Integer class labels ``(N,)`` or ``(N, 1)`` against scores ``(N, C)``, ``C > 1``: the
    one-hot labels (one-vs-rest); anything else unchanged."""
    if yp.ndim != 2 or yp.shape[1] < 2:
        return yt
    if yt.shape == (yp.shape[0],) or yt.shape == (yp.shape[0], 1):
        flat = yt.reshape(-1)
        if flat.dtype.kind not in "biuf":
            raise TypeError(f"y_true must hold class labels, got dtype {flat.dtype}")
        c = yp.shape[1]
        bad = (flat != np.floor(flat)) | (flat < 0) | (flat >= c) if flat.dtype.kind == "f" \
            else (flat < 0) | (flat >= c)
        if np.any(bad):
            found = np.unique(flat[bad])[:5].tolist()
            raise ValueError(f"y_true holds class labels outside [0, {c}): {found}")
        return np.eye(c, dtype=bool)[flat.astype(np.int64)]
    return yt


class _Ranks:
    """One label's exact state: sorted distinct scores with their counts."""

    __slots__ = ("keys", "neg", "pos", "wexp", "wneg", "wpos")

    def __init__(self) -> None:
        self.keys = np.zeros(0, dtype=np.float64)
        self.pos = np.zeros(0, dtype=np.int64)
        self.neg = np.zeros(0, dtype=np.int64)
        # once weighted: the exact weighted sums as object arrays of Python integers, the
        # value of each ``w * 2**wexp`` (sums of doubles, and their products with a label
        # weight, are dyadic: integers on one power-of-two scale, added without fractions)
        self.wpos: np.ndarray | None = None
        self.wneg: np.ndarray | None = None
        self.wexp = 0

    @property
    def empty(self) -> bool:
        return self.keys.size == 0

    def merged(self, other: _Ranks) -> _Ranks:
        """The state of both: the union of the scores, their counts added."""
        return _union([self, other])

    def exact_counts(self) -> tuple[np.ndarray, np.ndarray, int]:
        """Positives and negatives per key, descending by score: int64 arrays, or, once
        weighted, object arrays of Python integers on one common scale (the counts times
        the common denominator of the weighted sums, returned third), so that ratios of
        them are exact and no fraction is added up."""
        if self.wpos is None or self.wneg is None:
            return self.pos[::-1], self.neg[::-1], 1
        e = self.wexp
        d = 1 << -e if e < 0 else 1
        out = []
        for counts, weighted in ((self.pos, self.wpos), (self.neg, self.wneg)):
            ints = counts.astype(object)
            scaled = ints * d + weighted if e <= 0 else ints + weighted * (1 << e)
            out.append(scaled[::-1])
        return out[0], out[1], d

    def roc(self) -> tuple[float, Any]:
        """The ROC AUC (0.0 without positives or negatives) and the positives' total."""
        pos, neg, d = self.exact_counts()
        p, n = pos.sum(), neg.sum()
        if p == 0 or n == 0:
            return 0.0, Fraction(int(p), d)
        above = np.cumsum(pos) - pos  # positives with a strictly greater score
        if pos.dtype == object:  # Python integers: exact, whatever their size
            num = int(np.dot(neg, 2 * above + pos))
        elif 2 * int(p) * int(n) >= 2**62:
            num = int(np.dot(neg.astype(object),
                             2 * above.astype(object) + pos.astype(object)))
        else:
            num = int(np.dot(neg, 2 * above + pos))
        return to_float(Fraction(num, 2 * int(p) * int(n))), Fraction(int(p), d)

    def average_precision(self) -> tuple[float, Any]:
        """Average precision (0.0 without positives) and the positives' total."""
        pos, neg, d = self.exact_counts()
        p = pos.sum()
        if p == 0:
            return 0.0, Fraction(0)
        tp = np.cumsum(pos)
        fp = np.cumsum(neg)
        keep = np.nonzero(pos != 0)[0]
        if pos.dtype == object:
            # integers: each term correctly rounded by Python's integer division
            terms = [(pos[i] * tp[i]) / ((tp[i] + fp[i]) * p) for i in keep.tolist()]
        else:
            # each term correctly rounded from exact integers below 2**53 (a few roundings
            # beyond that), the sum exact: within an ulp or two of the exact value
            a = pos[keep].astype(np.float64) * tp[keep].astype(np.float64)
            b = (tp[keep] + fp[keep]).astype(np.float64) * float(p)
            return to_float(exact_total(a / b)), Fraction(int(p), d)
        return math.fsum(terms), Fraction(int(p), d)

    # -- JSON -------------------------------------------------------------------------------
    def encode(self) -> dict[str, Any]:
        out: dict[str, Any] = {"scores": [float(k).hex() for k in self.keys],
                               "positives": self.pos.tolist(), "negatives": self.neg.tolist()}
        if self.wpos is not None and self.wneg is not None:
            for name, ints in (("weighted_positives", self.wpos),
                               ("weighted_negatives", self.wneg)):
                out[name] = [[i, encode(_value(v, self.wexp))] for i, v in enumerate(ints)
                             if v]
        return out

    @classmethod
    def decode(cls, d: Any, where: str) -> _Ranks:
        if not isinstance(d, Mapping) or not {"scores", "positives", "negatives"} <= set(d):
            raise ValueError(f"state entry {where!r} must be a dict with 'scores', "
                             "'positives' and 'negatives'")
        extra = set(d) - {"scores", "positives", "negatives", "weighted_positives",
                          "weighted_negatives"}
        if extra:
            raise ValueError(f"state entry {where!r} has unknown entries {sorted(extra)}")
        try:
            keys = np.array([float.fromhex(str(k)) for k in d["scores"]], dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"state entry {where!r}: 'scores' must be hexadecimal "
                             "floats") from None
        if keys.size and (np.any(np.isnan(keys)) or np.any(np.diff(keys) <= 0)):
            raise ValueError(f"state entry {where!r}: 'scores' must be increasing and "
                             "not NaN")
        r = cls()
        r.keys = keys + 0.0
        for name, attr in (("positives", "pos"), ("negatives", "neg")):
            v = d[name]
            if not isinstance(v, list) or len(v) != keys.size or any(
                    isinstance(x, bool) or not isinstance(x, int) or x < 0 or x >= 2**63
                    for x in v):
                raise ValueError(f"state entry {where!r}: {name!r} must be {keys.size} "
                                 "integers >= 0")
            setattr(r, attr, np.array(v, dtype=np.int64).reshape(keys.size))
        if "weighted_positives" in d or "weighted_negatives" in d:
            wpos = np.full(keys.size, Fraction(0), dtype=object)
            wneg = np.full(keys.size, Fraction(0), dtype=object)
            for name, target in (("weighted_positives", wpos), ("weighted_negatives", wneg)):
                for item in d.get(name, []):
                    if not isinstance(item, list) or len(item) != 2 or isinstance(
                            item[0], bool) or not isinstance(item[0], int) \
                            or not 0 <= item[0] < keys.size:
                        raise ValueError(f"state entry {where!r}: {name!r} must hold "
                                         f"[index, value] pairs with indices in "
                                         f"[0, {keys.size})")
                    try:
                        q = decode(item[1], name)
                    except TypeError as exc:
                        raise ValueError(str(exc)) from None
                    if isinstance(q, float) or q < 0 or q.denominator & (q.denominator - 1):
                        raise ValueError(f"state entry {where!r}: {name!r} must hold "
                                         f"finite dyadic values >= 0 (sums of floats), got "
                                         f"{item[1]!r}")
                    target[item[0]] = q
            r.wpos, r.wneg, r.wexp = _dyadic_ints(wpos, wneg)
        return r


def _union(runs: list[_Ranks]) -> _Ranks:
    """The state of all ``runs``: the union of their scores, the counts added (exactly, so
    the result does not depend on the order of the runs)."""
    weighted = any(r.wpos is not None for r in runs)
    live = [r for r in runs if not r.empty]
    if not live:  # no score yet: keep the weighted form if any run has it
        return next((r for r in runs if r.wpos is not None), runs[0])
    if len(live) == 1 and (not weighted or live[0].wpos is not None):
        return live[0]
    keys = np.concatenate([r.keys for r in live])
    order = np.argsort(keys, kind="stable")  # sorted runs: a merge of runs
    keys = keys[order]
    starts = _starts(keys)
    out = _Ranks()
    out.keys = keys[starts]
    for attr in ("pos", "neg"):
        both = np.concatenate([getattr(r, attr) for r in live])[order]
        setattr(out, attr, np.add.reduceat(both, starts) if starts.size else both[:0])
    if np.any(out.pos < 0) or np.any(out.neg < 0):
        raise OverflowError("a count of the exact AUC passed 2**63")
    if weighted:
        e = min(r.wexp for r in live if r.wpos is not None)
        out.wexp = e
        for attr in ("wpos", "wneg"):
            parts = []
            for r in live:
                v = getattr(r, attr)
                if v is None:
                    v = np.zeros(r.keys.size, dtype=object)
                    v.fill(0)
                elif r.wexp != e:
                    v = v * (1 << (r.wexp - e))
                parts.append(v)
            both = np.concatenate(parts)[order]
            setattr(out, attr, np.add.reduceat(both, starts) if starts.size else both[:0])
    return out


def _value(v: int, e: int) -> Fraction:
    """The exact value ``v * 2**e``."""
    return Fraction(v << e) if e >= 0 else Fraction(v, 1 << -e)


def _dyadic_ints(*arrays: np.ndarray) -> tuple[Any, ...]:
    """Object arrays of dyadic Fractions (or ``(m, e)`` pairs) as object arrays of
    integers on one scale, and that scale's exponent: ``(ints..., e)``."""
    pairs = []
    for arr in arrays:
        row = []
        for q in arr.tolist():
            if isinstance(q, tuple):
                row.append(q)
            elif q == 0:
                row.append((0, 0))
            else:
                den = q.denominator
                row.append((q.numerator, -(den.bit_length() - 1)))
        pairs.append(row)
    e = min((x[1] for row in pairs for x in row if x[0]), default=0)
    out = []
    for row in pairs:
        ints = np.empty(len(row), dtype=object)
        ints[:] = [m << (k - e) if m else 0 for m, k in row]
        out.append(ints)
    return (*out, e)


def _starts(sorted_keys: np.ndarray) -> np.ndarray:
    """The index of the first of each run of equal values in a sorted array."""
    if sorted_keys.size == 0:
        return np.zeros(0, dtype=np.intp)
    change = np.empty(sorted_keys.size, dtype=bool)
    change[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=change[1:])
    return np.flatnonzero(change)


def _distinct(scores: np.ndarray, positive: bool) -> _Ranks:
    """The state of scores that all have one label (a sort in their own dtype)."""
    s = np.sort(scores)
    starts = _starts(s)
    counts = np.diff(np.append(starts, s.size)).astype(np.int64)
    r = _Ranks()
    r.keys = s[starts].astype(np.float64)
    r.pos = counts if positive else np.zeros_like(counts)
    r.neg = np.zeros_like(counts) if positive else counts
    return r


def _float32_ranks(labels: np.ndarray, s: np.ndarray) -> _Ranks:
    """The exact state of float32 scores in one sort: each score's bits, mapped to an
    unsigned integer of the same order, with the label as one more (lowest) bit."""
    u = s.view(np.uint32)
    signed = bool(np.any(np.signbit(s)))
    if signed:  # negative floats: their bits in reverse order, below the positive ones
        u = np.where(u >> 31 != 0, ~u, u | np.uint32(0x80000000))
    key = u.astype(np.uint64)
    key <<= np.uint64(1)
    np.bitwise_or(key, labels, out=key, casting="unsafe")
    key.sort()
    r = _Ranks()
    if key.size == 0:
        return r
    change = np.empty(key.size, dtype=bool)
    change[0] = True
    np.greater(key[1:] ^ key[:-1], np.uint64(1), out=change[1:])
    starts = np.flatnonzero(change)
    counts = np.diff(starts, append=key.size).astype(np.int64)
    r.pos = np.add.reduceat((key & np.uint64(1)).astype(np.uint8), starts, dtype=np.int64)
    r.neg = counts - r.pos
    first = (key[starts] >> np.uint64(1)).astype(np.uint32)
    if signed:
        first = np.where(first >> 31 != 0, first & np.uint32(0x7FFFFFFF), ~first)
    r.keys = first.view(np.float32).astype(np.float64)
    return r


def _batch_ranks(labels: np.ndarray, scores: np.ndarray, w: np.ndarray | None) -> _Ranks:
    """The exact state of one label's batch (1-D arrays)."""
    s = scores + scores.dtype.type(0)  # -0.0 and 0.0 are one score
    if w is None and s.dtype == np.float32:
        return _float32_ranks(labels, s)
    if w is None:
        return _distinct(s[labels], True).merged(_distinct(s[~labels], False))
    keys, inverse = np.unique(s, return_inverse=True)
    r = _Ranks()
    r.keys = keys.astype(np.float64)
    r.pos = np.zeros(keys.size, dtype=np.int64)
    r.neg = np.zeros(keys.size, dtype=np.int64)
    ints, r.wexp = _weight_sums(np.ascontiguousarray(w, dtype=np.float64).ravel(),
                                inverse.astype(np.int64).ravel() * 2 + labels, 2 * keys.size)
    r.wneg, r.wpos = ints[0::2].copy(), ints[1::2].copy()
    return r


def _weight_sums(w: np.ndarray, groups: np.ndarray, n: int) -> tuple[np.ndarray, int]:
    """The exact sums of ``w`` per group as an object array of integers ``v`` and one
    exponent ``e`` (each sum ``v * 2**e``). A group of one weight is that double, split
    into its integer significand and exponent without a search (most keys of
    continuous scores hold one sample); the others are summed exactly by the core."""
    sizes = np.bincount(groups, minlength=n)
    mant = np.zeros(n, dtype=np.int64)
    expo = np.zeros(n, dtype=np.int64)
    single = sizes == 1
    if single.any():
        where = np.full(n, -1, dtype=np.int64)
        where[groups] = np.arange(groups.size)
        f, x = np.frexp(w[where[single]])  # w = f * 2**x, 0.5 <= |f| < 1 (subnormals too)
        mant[single] = (f * 2.0**53).astype(np.int64)  # exact: 53 bits
        expo[single] = x.astype(np.int64) - 53
    multi = np.flatnonzero(sizes > 1)
    extra: list[tuple[int, int]] = []
    if multi.size:
        remap = np.full(n, -1, dtype=np.int64)
        remap[multi] = np.arange(multi.size)
        inside = remap[groups] >= 0
        extra = exact_group_dyadics(w[inside], remap[groups[inside]], multi.size)
    nonzero = mant != 0
    exps = [int(expo[nonzero].min())] if nonzero.any() else []
    exps += [e for m, e in extra if m]
    e = min(exps, default=0)
    shift = np.where(nonzero, expo - e, 0)
    out = mant.astype(object) << shift.astype(object)
    for g, (m, k) in zip(multi.tolist(), extra, strict=True):
        out[g] = m << (k - e) if m else 0
    return out, e


class AUC(_Histogram):
    """The area under the ROC curve or the precision-recall curve.

    Parameters
    ----------
    num_thresholds
        The number of thresholds (default 200, Keras's): ``i / (T - 1)`` evenly spaced,
        the two ends moved ``1e-7`` outside [0, 1]. ``None``: the exact AUC over every
        distinct score (see the module documentation).
    curve
        ``"ROC"`` or ``"PR"`` (in exact mode: average precision).
    summation_method
        How the thresholded curve is integrated: ``"interpolation"`` (the trapezoid for
        ROC; for PR, Keras's interpolation of the true and false positives between
        thresholds, Davis & Goadrich), ``"minoring"`` or ``"majoring"`` (the lower or
        upper rectangles). The exact mode takes ``"interpolation"`` only.
    thresholds
        Instead of ``num_thresholds``: the thresholds in [0, 1] (the two epsilon-padded
        ends are added, as Keras).
    multi_label
        ``True``: ``y_pred`` is ``(N, L)`` and each of the L labels (columns) gets its own
        curve; the result averages them. ``False``: all values are one flat problem.
    num_labels
        L, when known in advance (otherwise taken from the first update).
    label_weights
        Weights of the labels: with ``multi_label``, of the per-label AUCs in the average;
        otherwise of the values of each column (exact: each column's counts are
        multiplied by its weight).
    from_logits
        ``y_pred`` holds logits: thresholded, they go through the sigmoid first (in
        their dtype); exact, the logits themselves are ranked (the sigmoid is
        increasing, so the exact curve is the same, without the ties that rounding the
        sigmoid would create).
    average
        With ``multi_label``: ``"macro"`` (Keras's mean of the label AUCs), ``"weighted"``
        (weighted by each label's positives, scikit-learn's) or ``None`` (a float64 array
        of the label AUCs). ``label_weights`` takes precedence over it.
    max_distinct
        Exact mode: the most distinct scores kept per label (default 2**24).
    fallback_thresholds
        Exact mode: ``None`` (default) raises ``ValueError`` when a label would keep more
        than ``max_distinct`` distinct scores; an integer ``T >= 2`` turns the metric into
        a thresholded AUC of ``T`` evenly spaced thresholds instead (see the module
        documentation; :attr:`fell_back` says whether it happened). Not with
        ``label_weights`` unless ``multi_label``.
    name, dtype
        The instance name; Keras's variable dtype, accepted (results are float64).

    Notes
    -----
    Labels are 0/1; integer class labels ``(N,)`` against scores ``(N, C)`` are taken
    one-vs-rest (scikit-learn's ``multi_class="ovr"``: with ``multi_label=True`` and
    ``average="macro"`` or ``"weighted"``, its macro and weighted averages). An area
    without positives (or, for ROC, without negatives) is 0.0, as Keras's.

    The thresholded counts are exact (Keras's are float32 totals), and each score is
    compared with the thresholds themselves (Keras bins evenly spaced thresholds by
    float32 arithmetic, which misplaces scores at a threshold): results can differ from
    Keras's in the last float32 digits and, at such scores, by one sample's weight.
    Reference: Keras 3 ``keras.metrics.AUC``; scikit-learn ``roc_auc_score``,
    ``average_precision_score``.

    Examples
    --------
    >>> m = AUC(num_thresholds=3)
    >>> m.update_state([0, 0, 1, 1], [0.0, 0.5, 0.3, 0.9])
    >>> m.result()
    0.75
    >>> exact = AUC(num_thresholds=None)
    >>> exact.update_state([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> exact.result()  # scikit-learn's roc_auc_score: 0.75
    0.75
    >>> AUC(num_thresholds=None, curve="PR")([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.8333333333333333
    """

    name = "auc"
    _params: ClassVar[tuple[str, ...]] = (
        "num_thresholds", "curve", "summation_method", "thresholds", "multi_label",
        "num_labels", "label_weights", "from_logits", "average", "max_distinct",
        "fallback_thresholds", "dtype")

    def __init__(self, num_thresholds: int | None = 200, curve: str = "ROC",
                 summation_method: str = "interpolation", name: str | None = None,
                 dtype: Any = None, thresholds: Any = None, multi_label: bool = False,
                 num_labels: int | None = None, label_weights: Any = None,
                 from_logits: bool = False, average: str | None = "macro",
                 max_distinct: int = MAX_DISTINCT,
                 fallback_thresholds: int | None = None) -> None:
        self.curve = _curve_name(curve)
        summation = str(summation_method).lower()
        if summation not in SUMMATIONS:
            raise ValueError(f"summation_method must be one of {SUMMATIONS}, got "
                             f"{summation_method!r}")
        self.summation_method = summation
        if average not in AVERAGES:
            raise ValueError(f"average must be one of {AVERAGES}, got {average!r}")
        self.average = average
        self.multi_label = bool(multi_label)
        self.num_labels = check_optional_int(num_labels, "num_labels", low=1)
        if self.num_labels is not None and not self.multi_label:
            raise ValueError("num_labels is needed only when multi_label is True")
        self.from_logits = bool(from_logits)
        self.dtype = check_dtype(dtype)
        mx = check_optional_int(max_distinct, "max_distinct", low=1)
        if mx is None:
            raise TypeError("max_distinct must be an integer >= 1, got None")
        self.max_distinct = mx
        self.label_weights = self._check_label_weights(label_weights)
        if thresholds is not None:
            values = sorted(check_thresholds(thresholds))
            self.thresholds: list[float] | None = values
            self.num_thresholds: int | None = len(values) + 2
            self._sorted = [0.0 - EPSILON, *values, 1.0 + EPSILON]
        else:
            self.thresholds = None
            if num_thresholds is None:
                self.num_thresholds = None
                self._sorted = []
            else:
                n = check_optional_int(num_thresholds, "num_thresholds", low=2)
                assert n is not None
                self.num_thresholds = n
                self._sorted = even_thresholds(n, epsilon=True)
        self.exact = self.num_thresholds is None
        fb = check_optional_int(fallback_thresholds, "fallback_thresholds", low=2)
        if fb is not None and not self.exact:
            raise ValueError("fallback_thresholds applies to the exact AUC "
                             "(num_thresholds=None) only")
        if fb is not None and self.label_weights is not None and not self.multi_label:
            raise ValueError("fallback_thresholds does not combine with label_weights "
                             "without multi_label")
        self.fallback_thresholds = fb
        #: whether the exact state passed ``max_distinct`` and became thresholded
        self.fell_back = False
        if self.exact and self.summation_method != "interpolation":
            raise ValueError(f"summation_method={summation_method!r} applies to thresholded "
                             "AUC only; the exact AUC (num_thresholds=None) integrates ROC "
                             "by the trapezoid and PR as average precision")
        self._order = np.arange(len(self._sorted))
        self._columns = (self.num_labels or 0) if self.multi_label else 1
        super().__init__(name)

    def _check_label_weights(self, label_weights: Any) -> list[float] | None:
        if label_weights is None:
            return None
        lw = np.asarray(label_weights, dtype=np.float64).reshape(-1)
        if lw.size == 0 or not np.all(np.isfinite(lw)) or np.any(lw < 0):
            raise ValueError(f"label_weights must be finite numbers >= 0, got "
                             f"{label_weights!r}")
        if self.num_labels is not None and lw.size != self.num_labels:
            raise ValueError(f"label_weights has {lw.size} entries, expected "
                             f"num_labels={self.num_labels}")
        return lw.tolist()

    # -- state ------------------------------------------------------------------------------
    def reset_state(self) -> None:
        """Forget everything (the number of labels, if it came from data, is kept); an
        AUC that fell back to thresholds is exact again."""
        if self.fell_back:
            self.fell_back, self.exact = False, True
            self._sorted = []
        if self.exact:
            self._ranks = [_Ranks() for _ in range(self._columns)]
            self._pending: list[list[_Ranks]] = [[] for _ in range(self._columns)]
            return
        super().reset_state()

    def _build(self, columns: int) -> None:
        if self._columns == 0:
            self._columns = columns
            self.reset_state()
        elif columns != self._columns:
            raise ValueError(f"y_pred has {columns} labels, this metric was built for "
                             f"{self._columns}")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add one batch: labels 0/1 (or class labels against ``(N, C)`` scores),
        probabilities (logits with ``from_logits``), optional weights."""
        if update_by_blocks(self, y_true, y_pred, sample_weight):
            return
        yp_host = to_numpy(y_pred)
        yt = _sparse_to_onehot(to_numpy(y_true), np.asarray(yp_host))
        if not self.exact and not self.fell_back and self.label_weights is None:
            cols = np.shape(yp_host)[1] if self.multi_label and np.ndim(yp_host) == 2 else None
            if not self.multi_label or (cols is not None and self._columns in (0, cols)):
                if cols is not None:
                    self._build(cols)
                if self._add_fast(yt, yp_host, sample_weight, from_logits=self.from_logits,
                                  multi_label=self.multi_label):
                    return
        if self.exact or self.fell_back:
            labels, scores, w = self._exact_inputs(yt, yp_host, sample_weight)
        else:
            labels, scores, w = binary_inputs(yt, yp_host, sample_weight,
                                              from_logits=self.from_logits,
                                              multi_label=self.multi_label)
        if self.multi_label:
            self._build(scores.shape[1])
        lw = None if self.label_weights is None or self.multi_label else self.label_weights
        if lw is not None:
            self._check_columns(scores, len(lw))
        if self.fell_back:
            self._add_binned(labels, scores, w)
        elif self.exact:
            self._add_exact(labels, scores, w, lw)
        elif lw is None:
            self._add(labels, scores, w)
        else:
            self._add_label_weighted(labels, scores, w, lw)

    def _check_columns(self, scores: np.ndarray, n: int) -> None:
        if scores.ndim == 0 or scores.shape[-1] != n:
            raise ValueError(f"label_weights has {n} entries but y_pred has shape "
                             f"{tuple(scores.shape)} (one weight per column expected)")

    def _exact_inputs(self, yt: Any, yp: Any, sample_weight: Any
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        if not self.from_logits:
            return binary_inputs(yt, yp, sample_weight, multi_label=self.multi_label)
        from .._array import float_input, same_rank

        _, s, _ = float_input(yp, "y_pred")
        s, t = same_rank(np, s, np.asarray(yt))
        if t.shape != s.shape:
            raise ValueError(f"y_true and y_pred must have the same shape, got y_true "
                             f"{tuple(t.shape)} and y_pred {tuple(s.shape)}")
        refuse_nan(np, s, "y_pred")
        labels = binary_labels(t)
        if self.multi_label and s.ndim != 2:
            raise ValueError(f"multi_label needs y_pred of rank 2 (samples, labels), got "
                             f"shape {tuple(s.shape)}")
        return labels, s, keras_weights(sample_weight, tuple(s.shape))

    def _add_label_weighted(self, labels: np.ndarray, scores: np.ndarray,
                            w: np.ndarray | None, lw: list[float]) -> None:
        """Each column's histogram times its label weight, exactly."""
        self._is_weighted = True
        for c, weight in enumerate(lw):
            q = Fraction(weight)
            counts, sums = histogram(labels[..., c], scores[..., c],
                                     None if w is None else w[..., c], self._sorted)
            if w is None:
                sums = {i: Fraction(int(n)) for i, n in enumerate(counts.reshape(-1)) if n}
            for cell, s in sums.items():
                self._weighted[cell] = self._weighted.get(cell, Fraction(0)) + s * q

    def _add_exact(self, labels: np.ndarray, scores: np.ndarray, w: np.ndarray | None,
                   lw: list[float] | None) -> None:
        batches: list[list[_Ranks]]
        if self.multi_label:
            batches = [[_batch_ranks(labels[:, c], scores[:, c],
                                     None if w is None else w[:, c])]
                       for c in range(scores.shape[1])]
        elif lw is not None:
            # every column of the flat problem, its counts times its label weight
            parts = []
            for c, weight in enumerate(lw):
                wc = np.ones(labels[..., c].shape) if w is None else w[..., c]
                parts.append(_weighted_by(_batch_ranks(labels[..., c].ravel(),
                                                       scores[..., c].ravel(),
                                                       np.asarray(wc).ravel()),
                                          Fraction(weight)))
            batches = [parts]
        else:
            batches = [[_batch_ranks(labels.ravel(), scores.ravel(),
                                     None if w is None else w.ravel())]]
        # the batches wait beside the state and are merged into it all at once when they
        # hold as many scores as the state (or the bound might be passed): each score is
        # merged O(log batches) times, not once per later batch
        new, pending = list(self._ranks), [list(p) for p in self._pending]
        for c, parts in enumerate(batches):
            pending[c] += parts
        for c in range(len(batches)):
            waiting = sum(r.keys.size for r in pending[c])
            main = new[c].keys.size
            if main + waiting > self.max_distinct or waiting > max(main, PENDING_MIN):
                r = _union([new[c], *pending[c]])
                if r.keys.size > self.max_distinct:
                    if self.fallback_thresholds is not None:
                        self._fall_back(new, pending)
                        return
                    raise ValueError(
                        f"the exact AUC would keep {r.keys.size} distinct scores for label "
                        f"{c}, more than max_distinct={self.max_distinct}: raise "
                        "max_distinct, round the scores, or use num_thresholds=... (a "
                        "thresholded AUC)")
                new[c], pending[c] = r, []
        self._ranks, self._pending = new, pending

    # -- the fallback to thresholds -------------------------------------------------------
    def _fallback_grid(self) -> tuple[np.ndarray, int, int]:
        """The thresholds the fallback compares with, in float64 and in the scores' space
        (logits with ``from_logits``) without infinite ones; how many sorted thresholds
        lie below them (every score but -inf is above those), and how many of those are
        below 0 (a logit of -inf, whose sigmoid is 0, is above those only)."""
        t = np.asarray(self._sorted, dtype=np.float64)
        if not self.from_logits:
            return t, 0, 0
        low = int(np.count_nonzero(t <= 0.0))
        high = int(np.count_nonzero(t >= 1.0))
        mid = t[low:t.size - high]
        return np.log(mid) - np.log1p(-mid), low, int(np.count_nonzero(t < 0.0))

    def _bins(self, keys: np.ndarray) -> np.ndarray:
        """The interval of each float64 score (the number of thresholds below it)."""
        grid, low, below0 = self._fallback_grid()
        bins = np.searchsorted(grid, keys, side="left") + low
        if self.from_logits:
            bins[keys == -np.inf] = below0
        return bins

    def _ranks_histogram(self, ranks: Any, columns: int
                         ) -> tuple[np.ndarray, dict[int, Fraction]]:
        """The thresholded histogram (``(columns, T + 1, 2)`` object counts and the exact
        weighted sums per flat cell) of exact states, one per column (any iterable)."""
        nb = len(self._sorted) + 1
        counts = object_zeros((columns, nb, 2))
        weighted: dict[int, Fraction] = {}
        for c, r in enumerate(ranks):
            if r.empty:
                continue
            bins = self._bins(r.keys)  # keys ascending: bins non-decreasing
            starts = _starts(bins)
            at = bins[starts]
            for y, ints, fracs in ((0, r.neg, r.wneg), (1, r.pos, r.wpos)):
                # int64: the counts of a label add up to its samples (below 2**63)
                sums = np.add.reduceat(ints, starts)
                for b, v in zip(at.tolist(), sums.tolist(), strict=True):
                    counts[c, b, y] += v
                if fracs is not None:
                    for b, v in zip(at.tolist(), np.add.reduceat(fracs, starts).tolist(),
                                    strict=True):
                        if v:
                            cell = (c * nb + b) * 2 + y
                            weighted[cell] = weighted.get(cell, Fraction(0)) + _value(
                                v, r.wexp)
        return counts, weighted

    def _fall_back(self, ranks: list[_Ranks], pending: list[list[_Ranks]]) -> None:
        """Turn the exact state (``ranks`` with the ``pending`` batches) into the
        thresholded histogram of ``fallback_thresholds`` thresholds."""
        assert self.fallback_thresholds is not None
        columns = len(ranks)
        weighted_runs = any(r.wpos is not None for r in ranks) or any(
            r.wpos is not None for p in pending for r in p)
        self._sorted = even_thresholds(self.fallback_thresholds, epsilon=True)
        self._order = np.arange(len(self._sorted))
        self.exact, self.fell_back = False, True
        self._ranks, self._pending = [], []
        _Histogram.reset_state(self)

        def whole() -> Any:  # one label at a time, each dropped once binned
            for c in range(columns):
                r = _union([ranks[c], *pending[c]])
                ranks[c], pending[c] = _Ranks(), []
                yield r

        counts, weighted = self._ranks_histogram(whole(), columns)
        self._counts += counts
        for cell, v in weighted.items():
            self._weighted[cell] = self._weighted.get(cell, Fraction(0)) + v
        self._is_weighted = self._is_weighted or weighted_runs

    def _add_binned(self, labels: np.ndarray, scores: np.ndarray,
                    w: np.ndarray | None) -> None:
        """Add a batch to a fallen-back AUC: each score's interval as :meth:`_bins`
        finds it (in float64), counted by the core's histogram when unweighted."""
        columns = scores.shape[1] if self.multi_label else 1
        s = np.ascontiguousarray(scores, dtype=np.float64).reshape(-1)
        lab = np.ascontiguousarray(labels).reshape(-1).view(np.uint8)
        nb = len(self._sorted) + 1
        if w is None:
            grid, low, _ = self._fallback_grid()
            neg_inf = self.from_logits and s.size and s.min() == -np.inf
            if grid.size and not neg_inf:
                counts, status, _ = _core.threshold_histogram(s, lab, grid, columns, False)
                if not status:
                    if low:  # the thresholds every finite score is above
                        counts = np.concatenate(
                            [np.zeros((columns, low, 2), np.int64), counts,
                             np.zeros((columns, nb - low - counts.shape[1], 2), np.int64)],
                            axis=1)
                    elif counts.shape[1] < nb:
                        counts = np.concatenate(
                            [counts, np.zeros((columns, nb - counts.shape[1], 2), np.int64)],
                            axis=1)
                    self._counts += counts.astype(object)
                    return
            key = self._bins(s).astype(np.int64) * 2 + lab
            if columns > 1:
                key += np.tile(np.arange(columns, dtype=np.int64) * (2 * nb),
                               s.size // columns)
            self._counts += np.bincount(key, minlength=columns * nb * 2).reshape(
                columns, nb, 2).astype(object)
            return
        key = self._bins(s).astype(np.int64) * 2 + lab
        if columns > 1:
            key += np.tile(np.arange(columns, dtype=np.int64) * (2 * nb), s.size // columns)
        self._is_weighted = True
        sums = exact_group_sums(np.ascontiguousarray(w, dtype=np.float64).reshape(-1), key,
                                columns * nb * 2)
        for cell, v in enumerate(sums):
            if v:
                self._weighted[cell] = self._weighted.get(cell, Fraction(0)) + v

    def _compact(self) -> None:
        """Merge the waiting batches into the state."""
        for c, parts in enumerate(self._pending):
            if parts:
                self._ranks[c] = _union([self._ranks[c], *parts])
                self._pending[c] = []

    # -- results ----------------------------------------------------------------------------
    def _label_aucs(self) -> tuple[list[float], list[Any]]:
        if self.exact:
            self._compact()
            pairs = [r.roc() if self.curve == "ROC" else r.average_precision()
                     for r in self._ranks]
            return [a for a, _ in pairs], [p for _, p in pairs]
        tp, fp, tn, fn = self._confusion()
        aucs = [self._thresholded(tp[c], fp[c], tn[c], fn[c]) for c in range(tp.shape[0])]
        return aucs, [tp[c][0] + fn[c][0] for c in range(tp.shape[0])]

    def _thresholded(self, tp: np.ndarray, fp: np.ndarray, tn: np.ndarray,
                     fn: np.ndarray) -> float:
        if self.curve == "PR" and self.summation_method == "interpolation":
            return _interpolated_pr(tp, fp, fn)
        recall = [_q(a, a + b) for a, b in zip(tp, fn, strict=True)]
        if self.curve == "ROC":
            x = [_q(a, a + b) for a, b in zip(fp, tn, strict=True)]
            y = recall
        else:
            x = recall
            y = [_q(a, a + b) for a, b in zip(tp, fp, strict=True)]
        total = Fraction(0)
        for i in range(len(x) - 1):
            if self.summation_method == "interpolation":
                h = (y[i] + y[i + 1]) / 2
            elif self.summation_method == "minoring":
                h = min(y[i], y[i + 1])
            else:
                h = max(y[i], y[i + 1])
            total += (x[i] - x[i + 1]) * h
        return to_float(total)

    def result(self) -> Any:
        """A Python float (with ``multi_label`` and ``average=None``, a float64 array)."""
        if self._columns == 0:
            return 0.0 if self.average is not None or self.label_weights is not None \
                else np.zeros(0)
        aucs, positives = self._label_aucs()
        if not self.multi_label:
            return aucs[0]
        if self.label_weights is not None:
            lw = [Fraction(v) for v in self.label_weights]
            den = sum(lw, Fraction(0))
            num = math.fsum(float(q) * a for q, a in zip(lw, aucs, strict=True))
            return 0.0 if den == 0 else num / float(den)
        if self.average is None:
            return np.asarray(aucs, dtype=np.float64)
        if self.average == "macro":
            return math.fsum(aucs) / len(aucs)
        support = [Fraction(p) for p in positives]
        den = sum(support, Fraction(0))
        if den == 0:
            return 0.0
        return math.fsum(float(s / den) * a for s, a in zip(support, aucs, strict=True))

    def label_areas(self, curve: str | None = None) -> list[dict[str, Any]]:
        """Per label (column): ``area`` (the ROC AUC, or for ``curve="PR"`` the average
        precision of an exact AUC, the thresholded PR area otherwise), ``positives`` and
        ``negatives`` (counts, or exact weighted totals rounded once), and ``defined``
        (False without positives or, for ROC, without negatives: ``area`` is then 0.0,
        as :meth:`result` counts it). ``curve`` defaults to the metric's; both come from
        the same state."""
        chosen = self.curve if curve is None else _curve_name(curve)
        if self._columns == 0:
            return []
        kept = self.curve
        try:
            self.curve = chosen
            areas, positives = self._label_aucs()
        finally:
            self.curve = kept
        if self.exact:
            negatives = []
            for r in self._ranks:
                _, neg, d = r.exact_counts()
                negatives.append(Fraction(int(neg.sum()), d))
        else:
            _, fp, tn, _ = self._confusion()
            negatives = [Fraction(fp[c][0] + tn[c][0]) for c in range(fp.shape[0])]
        out = []
        for a, p, n in zip(areas, positives, negatives, strict=True):
            p, n = Fraction(p), Fraction(n)
            out.append({"area": a, "positives": to_float(p), "negatives": to_float(n),
                        "defined": bool(p > 0 and (n > 0 or chosen == "PR"))})
        return out

    def curve_points(self, label: int = 0, curve: str | None = None) -> dict[str, np.ndarray]:
        """The points of the curve of ``label``'s column: of an exact AUC
        (``num_thresholds=None``), one per distinct score, as scikit-learn draws them; of
        a thresholded one (or one that fell back), one per threshold.

        ``curve="ROC"``: ``fpr``, ``tpr`` and ``thresholds`` (decreasing, ``inf`` first, the
        point (0, 0)), as ``roc_curve(..., drop_intermediate=False)``; ``curve="PR"``:
        ``precision``, ``recall`` and ``thresholds`` (increasing), ending at the point
        (recall 0, precision 1), as ``precision_recall_curve``. Each ratio is of exact
        (weighted) counts, rounded once; a precision of no predicted positive is 0.
        ``curve`` (``"ROC"`` or ``"PR"``) defaults to the metric's; both come from the
        same state.

        >>> m = AUC(num_thresholds=None)
        >>> m.update_state([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        >>> p = m.curve_points()
        >>> p["fpr"].tolist(), p["tpr"].tolist()
        ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0])
        """
        if self._columns == 0:
            raise ValueError("curve_points: no data yet (the labels are not known)")
        if not 0 <= int(label) < self._columns:
            raise ValueError(f"label must be in [0, {self._columns}), got {label!r}")
        chosen = self.curve if curve is None else _curve_name(curve)
        if not self.exact:
            return self._threshold_points(int(label), chosen)
        self._compact()
        r = self._ranks[int(label)]
        pos, neg, _ = r.exact_counts()  # descending by score
        keys = r.keys[::-1].astype(np.float64)
        if pos.dtype != object and int(pos.sum()) + int(neg.sum()) < 2**53:
            # integers below 2**53 are exact doubles: each IEEE quotient correctly rounded
            tpf = np.cumsum(pos).astype(np.float64)
            fpf = np.cumsum(neg).astype(np.float64)
            p_all, n_all = (tpf[-1], fpf[-1]) if tpf.size else (0.0, 0.0)

            def rates(a: np.ndarray, b: Any) -> np.ndarray:
                b = np.broadcast_to(np.asarray(b, dtype=np.float64), a.shape)
                out = np.zeros(a.shape)
                np.divide(a, b, out=out, where=b != 0)
                return out

            if chosen == "ROC":
                return {"fpr": np.concatenate([[0.0], rates(fpf, n_all)]),
                        "tpr": np.concatenate([[0.0], rates(tpf, p_all)]),
                        "thresholds": np.concatenate([[np.inf], keys])}
            return {"precision": np.concatenate([rates(tpf, tpf + fpf)[::-1], [1.0]]),
                    "recall": np.concatenate([rates(tpf, p_all)[::-1], [0.0]]),
                    "thresholds": keys[::-1].copy()}
        tp = [int(v) for v in np.cumsum(pos)] if pos.size else []
        fp = [int(v) for v in np.cumsum(neg)] if neg.size else []
        p_int, n_int = (tp[-1], fp[-1]) if tp else (0, 0)

        def ratio(a: int, b: int) -> float:
            return a / b if b else 0.0  # Python's int division: correctly rounded

        if chosen == "ROC":
            return {"fpr": np.array([0.0] + [ratio(f, n_int) for f in fp]),
                    "tpr": np.array([0.0] + [ratio(t, p_int) for t in tp]),
                    "thresholds": np.concatenate([[np.inf], keys])}
        precision = [ratio(t, t + f) for t, f in zip(tp, fp, strict=True)]
        recall = [ratio(t, p_int) for t in tp]
        return {"precision": np.array([*precision[::-1], 1.0]),
                "recall": np.array([*recall[::-1], 0.0]),
                "thresholds": keys[::-1].copy()}

    def label_curves(self, curve: str | None = None,
                     labels: list[int] | None = None) -> list[dict[str, np.ndarray]]:
        """:meth:`curve_points` of several labels (default: all) at once; a thresholded
        AUC computes its confusion counts once for all of them."""
        chosen = self.curve if curve is None else _curve_name(curve)
        wanted = list(range(self._columns)) if labels is None else [int(i) for i in labels]
        if self.exact or not wanted:
            return [self.curve_points(i, chosen) for i in wanted]
        for i in wanted:
            if not 0 <= i < self._columns:
                raise ValueError(f"label must be in [0, {self._columns}), got {i!r}")
        conf = self._confusion()
        return [self._threshold_points(i, chosen, conf) for i in wanted]

    def _threshold_points(self, label: int, curve: str,
                          conf: tuple[np.ndarray, ...] | None = None
                          ) -> dict[str, np.ndarray]:
        """:meth:`curve_points` of a thresholded AUC: one point per threshold."""
        tp, fp, tn, fn = (a[label] for a in (self._confusion() if conf is None else conf))
        order = np.argsort(np.asarray(self._sorted))[::-1]  # decreasing threshold
        t = np.asarray(self._sorted, dtype=np.float64)[order]

        def rates(num: np.ndarray, den: np.ndarray) -> np.ndarray:
            return np.array([to_float(_q(a, b)) for a, b in zip(num[order], den[order],
                                                                  strict=True)])

        if curve == "ROC":
            return {"fpr": rates(fp, fp + tn), "tpr": rates(tp, tp + fn), "thresholds": t}
        return {"precision": rates(tp, tp + fp)[::-1], "recall": rates(tp, tp + fn)[::-1],
                "thresholds": t[::-1].copy()}

    # -- state ------------------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        if self.exact:
            self._compact()
            return {"labels": [r.encode() for r in self._ranks]}
        if self.fell_back:
            return {"fell_back": True, **super()._state()}
        return super()._state()

    def _checked(self, state: Any) -> dict[str, Any]:
        if not isinstance(state, Mapping):
            raise ValueError(f"state entry 'state' must be a dict, got {type(state).__name__}")
        if "fell_back" in state:
            if state["fell_back"] is not True or self.fallback_thresholds is None:
                raise ValueError("state entry 'fell_back' must be true, and only in the "
                                 "state of an AUC with fallback_thresholds")
            counts = state.get("counts")
            columns = self._columns
            if self.multi_label and columns == 0 and isinstance(counts, list):
                columns = len(counts)
            if columns == 0:
                raise ValueError("state entry 'counts' must list the labels' counts")
            probe = type(self)(**self.get_config())  # checked against, ``self`` untouched
            probe._columns = columns
            probe._fall_back([_Ranks() for _ in range(columns)], [[] for _ in range(columns)])
            rest = {k: v for k, v in state.items() if k != "fell_back"}
            return {"fell_back": True, **_Histogram._checked(probe, rest)}
        if self.exact:
            if set(state) != {"labels"} or not isinstance(state["labels"], list):
                raise ValueError("state of an exact AUC must be {'labels': [...]}")
            n = len(state["labels"])
            if self._columns not in (0, n) or (n == 0 and not self.multi_label) or (
                    not self.multi_label and n != 1):
                raise ValueError(f"state entry 'labels' has {n} labels, expected "
                                 f"{self._columns or 'at least 1'}")
            return {"labels": [_Ranks.decode(d, f"labels[{i}]")
                               for i, d in enumerate(state["labels"])]}
        if self.multi_label and self._columns == 0 and isinstance(state.get("counts"), list):
            self._columns = len(state["counts"])
            self.reset_state()
        return super()._checked(state)

    def _set_state(self, state: Mapping[str, Any]) -> None:
        if "fell_back" in state:
            columns = len(state["counts"])
            self._columns = columns
            self._fall_back([_Ranks() for _ in range(columns)], [[] for _ in range(columns)])
            super()._set_state({k: v for k, v in state.items() if k != "fell_back"})
            return
        if self.exact:
            self._ranks = list(state["labels"])
            self._columns = len(self._ranks)
            self._pending = [[] for _ in self._ranks]
            return
        super()._set_state(state)

    def _merge(self, other: Any) -> None:
        if self._columns == 0 and other._columns:
            self._build(other._columns)
        if other._columns == 0:
            return
        if other._columns != self._columns:
            raise ValueError(f"others: cannot merge an AUC of {other._columns} labels into "
                             f"one of {self._columns}")
        if self.fell_back or other.fell_back:
            if self.fallback_thresholds != other.fallback_thresholds or \
                    self.from_logits != other.from_logits:
                raise ValueError("others: cannot merge AUCs with different "
                                 "fallback_thresholds or from_logits")
            if not self.fell_back:
                self._fall_back(self._ranks, self._pending)
            if other.fell_back:
                super()._merge(other)
                return
            counts, weighted = self._ranks_histogram(
                (_union([r, *p]) for r, p in zip(other._ranks, other._pending, strict=True)),
                other._columns)
            self._counts += counts
            for cell, v in weighted.items():
                self._weighted[cell] = self._weighted.get(cell, Fraction(0)) + v
            self._is_weighted = self._is_weighted or bool(weighted)
            return
        if self.exact:
            self._compact()
            other._compact()
            merged = [a.merged(b) for a, b in zip(self._ranks, other._ranks, strict=True)]
            for c, r in enumerate(merged):
                if r.keys.size > self.max_distinct:
                    if self.fallback_thresholds is not None:
                        self._ranks = merged
                        self._fall_back(merged, [[] for _ in merged])
                        return
                    raise ValueError(f"others: the merged exact AUC would keep {r.keys.size}"
                                     f" distinct scores for label {c}, more than "
                                     f"max_distinct={self.max_distinct}")
            self._ranks = merged
            return
        super()._merge(other)


def _curve_name(curve: Any) -> str:
    """``"ROC"`` or ``"PR"`` from either spelling of any case; a ``ValueError`` otherwise."""
    name = {"roc": "ROC", "pr": "PR"}.get(str(curve).lower(), curve)
    if name not in CURVES:
        raise ValueError(f"curve must be one of {CURVES}, got {curve!r}")
    return name


def _weighted_by(r: _Ranks, q: Fraction) -> _Ranks:
    """``r`` with every count multiplied by ``q`` (a weighted state)."""
    out = _Ranks()
    out.keys = r.keys
    out.pos = np.zeros_like(r.pos)
    out.neg = np.zeros_like(r.neg)
    pos, neg, d = r.exact_counts()  # integers over d, a power of two
    den = q.denominator  # q is a double: dyadic
    out.wexp = -(d.bit_length() - 1) - (den.bit_length() - 1)
    out.wpos = pos[::-1].astype(object) * q.numerator
    out.wneg = neg[::-1].astype(object) * q.numerator
    return out


def _q(num: Any, den: Any) -> Fraction:
    return Fraction(0) if den == 0 else Fraction(num) / Fraction(den)


def _interpolated_pr(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> float:
    """Keras's PR-AUC interpolation (Davis & Goadrich) on exact counts, in float64: between
    two thresholds the true positives grow linearly with the predicted positives."""
    t = [float(Fraction(v)) for v in tp]
    p = [float(Fraction(a) + Fraction(b)) for a, b in zip(tp, fp, strict=True)]
    pos = [float(Fraction(a) + Fraction(b)) for a, b in zip(tp, fn, strict=True)]
    terms = []
    for i in range(len(t) - 1):
        dtp = t[i] - t[i + 1]
        dp = p[i] - p[i + 1]
        slope = dtp / dp if dp > 0 else 0.0
        intercept = t[i + 1] - slope * p[i + 1]
        p_ratio = p[i] / p[i + 1] if p[i] > 0 and p[i + 1] > 0 else 1.0
        den = pos[i + 1]
        if den > 0:
            terms.append(slope * (dtp + intercept * math.log(p_ratio)) / den)
    return math.fsum(terms)


# -- functions ------------------------------------------------------------------------------

def _function(curve: str, y_true: Any, y_score: Any, sample_weight: Any, average: str | None,
              max_distinct: int) -> Any:
    yt, ys = to_numpy(y_true), to_numpy(y_score)
    if ys.size == 0:
        raise ValueError("y_score is empty: the area under a curve needs samples")
    multi = ys.ndim == 2 and ys.shape[1] > 1
    m = AUC(num_thresholds=None, curve=curve, multi_label=multi, average=average,
            max_distinct=max_distinct)
    m.update_state(yt, ys, sample_weight)
    return m.result()


def roc_auc(y_true: Any, y_score: Any, sample_weight: Any = None, *,
            average: str | None = "macro", max_distinct: int = MAX_DISTINCT) -> Any:
    """The exact area under the ROC curve (scikit-learn's ``roc_auc_score``).

    ``y_true`` holds labels 0/1 with ``y_score`` of the same shape (``(N,)`` one problem;
    ``(N, L)`` multilabel, one curve per column), or class labels ``(N,)`` with scores
    ``(N, C)`` (one-vs-rest). ``average`` combines the curves of several columns:
    ``"macro"``, ``"weighted"`` (by positives) or ``None``. Scores are probabilities in
    [0, 1] (ranking logits: ``AUC(num_thresholds=None, from_logits=True)``). Ties count
    one half; the result is the correctly rounded exact ratio.

    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    >>> roc_auc([0, 1, 2, 2], [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.3, 0.6],
    ...                         [0.3, 0.3, 0.4]])
    1.0
    """
    return _function("ROC", y_true, y_score, sample_weight, average, max_distinct)


def average_precision(y_true: Any, y_score: Any, sample_weight: Any = None, *,
                      average: str | None = "macro", max_distinct: int = MAX_DISTINCT) -> Any:
    """Average precision, ``sum_k (R_k - R_(k-1)) P_k`` over the distinct scores
    (scikit-learn's ``average_precision_score``: no interpolation).

    Inputs as :func:`roc_auc`. 0.0 when there is no positive label.

    >>> average_precision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.8333333333333333
    """
    return _function("PR", y_true, y_score, sample_weight, average, max_distinct)


"""Matthews correlation, Cohen's kappa, balanced accuracy.

References: scikit-learn's ``matthews_corrcoef``, ``cohen_kappa_score`` and
``balanced_accuracy_score`` (within 1e-12 relative) on random, tied and weighted
labels; torchmetrics' ``MulticlassMatthewsCorrCoef`` / ``MulticlassCohenKappa`` where
installed; fractions written out here.
"""

from __future__ import annotations

import json
import math
import warnings
from decimal import Context, Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

import nnmath.metrics as M

sklearn = pytest.importorskip("sklearn.metrics", reason="scikit-learn (test extra): a reference")
pytest.importorskip("hypothesis", reason="hypothesis (the test extra) draws the splits")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def close(got: float, want: float, rtol: float = 1e-12) -> bool:
    """Within ``rtol`` of the ratios: relative to the value, or to 1 (kappa is 1 minus a
    ratio, balanced accuracy's adjustment subtracts 1/K: the reference's rounding is
    relative to that 1)."""
    return got == want or (math.isnan(got) and math.isnan(want)) or (
        abs(got - want) <= rtol * max(abs(want), 1.0))


def _cases(seed: int, n_cases: int) -> list[tuple[np.ndarray, Any, Any]]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n_cases):
        n = int(rng.integers(1, 50))
        c = int(rng.integers(2, 6))
        yt = rng.integers(0, c, n)
        # tied: predictions that mostly copy the labels; scores with tied maxima
        yp: Any = np.where(rng.random(n) < 0.6, yt, rng.integers(0, c, n))
        if i % 4 == 3:
            yp = rng.integers(0, 2, (n, c)) / 2
        w = rng.random(n) if i % 2 else None
        out.append((yt, yp, w))
    return out


CASES = _cases(7, 120)


def _labels(yp: Any) -> Any:
    return np.argmax(yp, axis=1) if np.ndim(yp) == 2 else yp


def _quiet(fn: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


@pytest.mark.parametrize("i", range(len(CASES)))
def test_functions_match_sklearn(i: int) -> None:
    yt, yp, w = CASES[i]
    yl = _labels(yp)
    assert close(M.matthews_corrcoef(yt, yp, sample_weight=w),
                 _quiet(lambda: sklearn.matthews_corrcoef(yt, yl, sample_weight=w)))
    for weights in (None, "linear", "quadratic"):
        want = _quiet(lambda: sklearn.cohen_kappa_score(
            yt, yl, weights=weights, sample_weight=w))  # noqa: B023
        got = _quiet(lambda: M.cohen_kappa_score(yt, yp, weights=weights,  # noqa: B023
                                                 sample_weight=w))
        assert close(got, want), (weights, got, want)
    for adjusted in (False, True):
        want = _quiet(lambda: sklearn.balanced_accuracy_score(
            yt, yl, sample_weight=w, adjusted=adjusted))  # noqa: B023
        assert close(M.balanced_accuracy_score(yt, yp, sample_weight=w, adjusted=adjusted),
                     want)


@pytest.mark.parametrize("i", range(0, len(CASES), 3))
def test_streaming_classes_match_sklearn_after_batches_and_merges(i: int) -> None:
    yt, yp, w = CASES[i]
    c = np.shape(yp)[1] if np.ndim(yp) == 2 else int(max(yt.max(), yp.max())) + 1
    yl = _labels(yp)
    refs = [
        (lambda: M.MatthewsCorrelation(c),
         lambda: sklearn.matthews_corrcoef(yt, yl, sample_weight=w)),
        (lambda: M.CohenKappa(c, weights="quadratic"),
         lambda: sklearn.cohen_kappa_score(yt, yl, weights="quadratic", sample_weight=w,
                                           labels=list(range(c)))),
        (lambda: M.BalancedAccuracy(c),
         lambda: sklearn.balanced_accuracy_score(yt, yl, sample_weight=w)),
    ]
    for make, ref in refs:
        parts = []
        for rows in np.array_split(np.arange(len(yt)), 3):
            m = make()
            m.update_state(yt[rows], yp[rows], None if w is None else w[rows])
            parts.append(M.Metric.from_state(json.loads(json.dumps(m.get_state()))))
        parts[1].merge_state(parts[2], parts[0])
        assert close(parts[1].result(), _quiet(ref))


def test_mcc_binary_by_hand() -> None:
    # tp 3, tn 2, fp 1, fn 2: (3*2 - 1*2) / sqrt(4*5*3*4) = 4 / sqrt(240) = sqrt(1/15)
    yt = [1, 1, 1, 1, 1, 0, 0, 0]
    yp = [1, 1, 1, 0, 0, 0, 0, 1]
    want = float((Decimal(1) / Decimal(15)).sqrt(Context(prec=60)))
    assert M.MatthewsCorrelation(2)(yt, yp) == want
    assert M.MatthewsCorrelation(2)(yt, [1 - v for v in yp]) == -want


def test_mcc_is_correctly_rounded() -> None:
    """The result is the float nearest to the exact value (60 digits of decimal square
    root of the exact square, from the counts here)."""
    rng = np.random.default_rng(3)
    for _ in range(50):
        yt, yp = rng.integers(0, 3, 30), rng.integers(0, 3, 30)
        cm = np.zeros((3, 3), dtype=int)
        np.add.at(cm, (yt, yp), 1)
        t, p, s, c = cm.sum(1), cm.sum(0), cm.sum(), np.trace(cm)
        num = int(c * s - t @ p)
        den = int((s * s - p @ p) * (s * s - t @ t))
        ctx = Context(prec=60)
        want = math.copysign(float(ctx.divide(Decimal(num * num), Decimal(den)).sqrt(ctx)),
                             num)
        assert M.matthews_corrcoef(yt, yp) == want


def test_kappa_by_hand() -> None:
    # confusion [[2, 1], [0, 1]]: observed disagreement 1/4; expected: rows (3, 1),
    # columns (2, 2) -> (3*2 + 1*2) / 16 = 1/2 off the diagonal
    got = M.CohenKappa(2)([0, 0, 0, 1], [0, 0, 1, 1])
    assert got == float(1 - Fraction(1, 4) / Fraction(1, 2))


def test_kappa_weights_use_class_indices_where_sklearn_uses_positions() -> None:
    """Class 2 never occurs: scikit-learn's default labels [0, 1, 3] sit at positions
    0, 1, 2; the streaming metric keeps the indices 0, 1, 3, as ``labels=range(C)``."""
    yt, yp = [3, 0, 1, 1, 3, 0, 1, 0], [0, 3, 0, 0, 1, 1, 0, 3]
    streaming = M.CohenKappa(4, weights="linear")(yt, yp)
    assert close(streaming, sklearn.cohen_kappa_score(yt, yp, weights="linear",
                                                      labels=[0, 1, 2, 3]))
    by_position = M.cohen_kappa_score(yt, yp, weights="linear")
    assert close(by_position, sklearn.cohen_kappa_score(yt, yp, weights="linear"))
    assert abs(streaming - by_position) > 0.01


def test_kappa_undefined() -> None:
    assert math.isnan(M.CohenKappa(3).result())  # no sample
    assert math.isnan(M.CohenKappa(3)([1, 1], [1, 1]))  # one class: no expected disagreement
    assert M.CohenKappa(3, replace_undefined_by=1.0)([1, 1], [1, 1]) == 1.0
    assert M.cohen_kappa_score([1, 1], [1, 1], replace_undefined_by=0.0) == 0.0


def test_balanced_accuracy_is_multiclass_accuracy_macro() -> None:
    yt, yp = [0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 0]
    assert M.BalancedAccuracy(3)(yt, yp) == M.MulticlassAccuracy(3, average="macro")(yt, yp)
    assert M.BalancedAccuracy(3)(yt, yp) == float((Fraction(1, 2) + 1 + Fraction(1, 3)) / 3)
    adjusted = (Fraction(11, 18) - Fraction(1, 3)) / (1 - Fraction(1, 3))
    assert M.BalancedAccuracy(3, adjusted=True)(yt, yp) == float(adjusted)


def test_config_registry_and_state() -> None:
    for cls, kwargs in ((M.MatthewsCorrelation, {}), (M.CohenKappa, {"weights": "linear"}),
                        (M.BalancedAccuracy, {"adjusted": True})):
        m = cls(4, name="x", dtype="float64", **kwargs)
        config = m.get_config()
        assert config["name"] == "x" and config["dtype"] == "float64"
        assert cls(**config).get_config() == config
        assert M.get(cls.__name__, num_classes=4).name == cls.name
        m.update_state([0, 1, 2, 3, 3], [0, 2, 2, 3, 1], [1.0, 0.5, 0.25, 2.0, 0.0])
        back = M.Metric.from_state(json.loads(json.dumps(m.get_state())))
        assert type(back) is cls and back.result() == m.result()
    assert isinstance(M.get("mcc", num_classes=2), M.MatthewsCorrelation)


@pytest.mark.parametrize(("make", "exc", "match"), [
    (lambda: M.CohenKappa(3, weights="cubic"), ValueError, "weights"),
    (lambda: M.MatthewsCorrelation(0), ValueError, "num_classes"),
    (lambda: M.CohenKappa(3, replace_undefined_by="x"), TypeError, "replace_undefined_by"),
    (lambda: M.MatthewsCorrelation(2)([0, 2], [0, 1]), ValueError, "y_true"),
    (lambda: M.MatthewsCorrelation(2)([0, 1], [0]), ValueError, "do not fit"),
    (lambda: M.matthews_corrcoef([], []), ValueError, "no samples"),
    (lambda: M.cohen_kappa_score([0, 1], [0, 1], labels=[-1]), ValueError, "labels"),
])
def test_bad_input(make: Any, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        make()




@pytest.mark.parametrize("seed", range(5))
def test_unweighted_classes_match_torchmetrics(seed: int, torchmetrics: Any) -> None:
    torch, tm = torchmetrics
    rng = np.random.default_rng(seed)
    c = 4
    yt, yp = rng.integers(0, c, 200), rng.integers(0, c, 200)
    t, p = torch.tensor(yt), torch.tensor(yp)
    want = float(tm.MulticlassMatthewsCorrCoef(num_classes=c)(p, t))
    # torchmetrics computes in float32: agreement to float32 accuracy (of 1 for kappa)
    assert M.MatthewsCorrelation(c)(yt, yp) == pytest.approx(want, rel=1e-5, abs=1e-6)
    for weights in (None, "linear", "quadratic"):
        want = float(tm.MulticlassCohenKappa(num_classes=c, weights=weights)(p, t))
        assert M.CohenKappa(c, weights)(yt, yp) == pytest.approx(want, rel=1e-5, abs=1e-6)


# -- exactness: any split, merged through JSON in any order, is one pass ----------------------



@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40).flatmap(lambda n: st.tuples(
    st.lists(st.integers(0, 3), min_size=n, max_size=n),
    st.lists(st.integers(0, 3), min_size=n, max_size=n),
    st.one_of(st.none(), st.lists(st.floats(0, 1e6), min_size=n, max_size=n)),
    st.lists(st.integers(0, n), max_size=4),
    st.randoms(use_true_random=False))))
def test_any_split_merged_in_any_order_is_one_pass(data: Any) -> None:
    yt_l, yp_l, w_l, cuts, rnd = data
    yt, yp = np.array(yt_l), np.array(yp_l)
    w = None if w_l is None else np.array(w_l)
    for make in (lambda: M.MatthewsCorrelation(4), lambda: M.CohenKappa(4, "quadratic"),
                 lambda: M.BalancedAccuracy(4, adjusted=True)):
        one = make()
        one.update_state(yt, yp, w)
        states = []
        for rows in np.split(np.arange(len(yt)), sorted(cuts)):
            m = make()
            m.update_state(yt[rows], yp[rows], None if w is None else w[rows])
            states.append(json.dumps(m.get_state()))
        rnd.shuffle(states)
        merged = M.Metric.from_state(json.loads(states[0]))
        merged.merge_state(*(M.Metric.from_state(json.loads(s)) for s in states[1:]))
        assert repr(merged.result()) == repr(one.result())

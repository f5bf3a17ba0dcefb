"""Calibration: expected calibration error (and its reliability diagram), Brier score.

References: torchmetrics' ``BinaryCalibrationError`` / ``MulticlassCalibrationError``
(skipped when absent), scikit-learn's ``calibration_curve`` (equal-mass bins) and
``brier_score_loss``, and fractions written out here.
"""

from __future__ import annotations

import json
import math
import warnings
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

import nnmath.metrics as M

sklearn = pytest.importorskip("sklearn.metrics", reason="scikit-learn (test extra): a reference")
pytest.importorskip("hypothesis", reason="hypothesis (the test extra) draws the splits")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def exact_ece(conf: Any, hit: Any, w: Any, n_bins: int, norm: str) -> float:
    """The binned calibration error with fractions: bin k holds k/n <= c < (k+1)/n."""
    mass, acc, tot = ([Fraction(0)] * n_bins for _ in range(3))
    for c, h, wi in zip(conf, hit, w, strict=True):
        q = Fraction(float(c))
        k = min(math.floor(q * n_bins), n_bins - 1)
        wq = Fraction(float(wi))
        mass[k] += wq
        acc[k] += wq * bool(h)
        tot[k] += wq * q
    total = sum(mass, Fraction(0))
    gaps = [a - s for a, s in zip(acc, tot, strict=True)]
    if norm == "l1":
        return float(sum((abs(g) for g in gaps), Fraction(0)) / total)
    if norm == "max":
        return float(max(abs(g) / m for g, m in zip(gaps, mass, strict=True) if m))
    sq = sum((g * g / m for g, m in zip(gaps, mass, strict=True) if m), Fraction(0)) / total
    return math.sqrt(sq)  # within an ulp: compared with a relative tolerance below


@pytest.mark.parametrize("norm", ["l1", "l2", "max"])
@pytest.mark.parametrize("weighted", [False, True])
def test_ece_uniform_against_fractions(norm: str, weighted: bool) -> None:
    rng = np.random.default_rng(11)
    for trial in range(20):
        n = int(rng.integers(1, 60))
        if trial % 2:
            probs = rng.dirichlet(np.ones(3), n)
            labels = rng.integers(0, 3, n)
            conf, hit = probs.max(axis=1), probs.argmax(axis=1) == labels
        else:
            probs = np.round(rng.random(n), 1)  # ties, values on the bin edges, 0 and 1
            labels = rng.integers(0, 2, n)
            conf, hit = probs, labels == 1
        w = rng.random(n) if weighted else np.ones(n)
        m = M.ExpectedCalibrationError(n_bins=10, norm=norm)
        m.update_state(labels, probs, w if weighted else None)
        want = exact_ece(conf, hit, w, 10, norm)
        got = m.result()
        if norm == "l2":
            assert got == pytest.approx(want, rel=2e-16, abs=0)
        else:
            assert got == want


def test_ece_by_hand() -> None:
    # bins [0, 1/2) and [1/2, 1]: (|0 - 1/2| + |3 - 41/20|) / 5, max(1/4, 19/60)
    y, p = [0, 0, 1, 1, 1], [0.25, 0.25, 0.55, 0.75, 0.75]
    assert M.calibration_error(y, p, n_bins=2) == float(
        (Fraction(1, 2) + abs(3 - (Fraction(0.55) + Fraction(0.75) * 2))) / 5)
    assert M.calibration_error(y, p, n_bins=2, norm="max") == float(
        abs(3 - (Fraction(0.55) + Fraction(0.75) * 2)) / 3)
    assert M.ExpectedCalibrationError().result() == 0.0


def test_ece_quantile_bins_are_sklearn_calibration_curve_bins() -> None:
    calibration = pytest.importorskip("sklearn.calibration",
                                      reason="scikit-learn is the reference")
    rng = np.random.default_rng(5)
    for trial in range(150):
        n = int(rng.integers(2, 80))
        n_bins = int(rng.integers(1, 12))
        p = np.round(rng.random(n), 1) if trial % 2 else rng.random(n)
        y = rng.integers(0, 2, n)
        prob_true, prob_pred = calibration.calibration_curve(y, p, n_bins=n_bins,
                                                             strategy="quantile")
        m = M.ExpectedCalibrationError(n_bins, "quantile")
        for rows in np.array_split(np.arange(n), 3):
            m.update_state(y[rows], p[rows])
        r = m.reliability()
        full = r["mass"] > 0
        np.testing.assert_allclose(r["accuracy"][full], prob_true, rtol=1e-12)
        np.testing.assert_allclose(r["confidence"][full], prob_pred, rtol=1e-12)
        np.testing.assert_array_equal(r["edges"], np.percentile(
            p, np.linspace(0, 1, n_bins + 1) * 100))
        # the ECE of those bins: the weighted mean gap
        want = np.sum(np.abs(prob_true - prob_pred) * r["mass"][full]) / n
        assert m.result() == pytest.approx(want, rel=1e-12)


def test_ece_quantile_bound_and_state() -> None:
    m = M.ExpectedCalibrationError(4, "quantile", max_distinct=5)
    m.update_state([0, 1, 1], [0.1, 0.2, 0.2])
    with pytest.raises(ValueError, match="max_distinct=5"):
        m.update_state([0, 1, 1, 0], [0.3, 0.4, 0.5, 0.6])
    assert m.get_state()["state"] == {"values": [0.1, 0.2], "counts": [1, 2], "hits": [0, 2]}
    m.update_state([0, 1], [0.3, 0.2])  # 3 distinct: fine
    assert m.get_state()["state"]["counts"] == [1, 3, 1]
    with pytest.raises(ValueError, match="sample_weight"):
        m.update_state([0], [0.5], [2.0])
    bad = json.loads(json.dumps(m.get_state()))
    for entries, match in (({"values": [0.2, 0.1, 0.3]}, "increasing"),
                           ({"hits": [2, 0, 0]}, "exceeds"),
                           ({"counts": [1, 3]}, "one entry per value"),
                           ({"values": [0.1, 0.2, 1.5]}, "in \\[0, 1\\]"),
                           ({"extra": 1}, "unknown")):
        state = json.loads(json.dumps(bad))
        state["state"].update(entries)
        with pytest.raises(ValueError, match=match):
            M.Metric.from_state(state)


@pytest.mark.parametrize(("make", "exc", "match"), [
    (lambda: M.ExpectedCalibrationError(0), ValueError, "n_bins"),
    (lambda: M.ExpectedCalibrationError(strategy="kmeans"), ValueError, "strategy"),
    (lambda: M.ExpectedCalibrationError(norm="l3"), ValueError, "norm"),
    (lambda: M.ExpectedCalibrationError()([0, 1], [0.5, 1.5]), ValueError, "\\[0, 1\\]"),
    (lambda: M.ExpectedCalibrationError()([0, 2], [0.5, 0.5]), ValueError, "0/1"),
    (lambda: M.ExpectedCalibrationError()([0, 3], [[0.5, 0.5], [0.2, 0.8]]), ValueError,
     "y_true"),
    (lambda: M.ExpectedCalibrationError()([0, 1], [0.5, np.nan]), ValueError, "NaN"),
    (lambda: M.ExpectedCalibrationError()([0, 1, 1], [0.5, 0.2]), ValueError, "fit"),
    (lambda: M.BrierScore(scale_by_half="yes"), ValueError, "scale_by_half"),
    (lambda: M.BrierScore()([0, 1], [0.5, -0.1]), ValueError, "\\[0, 1\\]"),
])
def test_bad_input(make: Any, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        make()


def test_brier_columns_must_not_change() -> None:
    m = M.BrierScore()
    m.update_state([0, 1], [0.2, 0.7])
    with pytest.raises(ValueError, match="column"):
        m.update_state([0, 2], [[0.2, 0.7, 0.1], [0.1, 0.1, 0.8]])
    other = M.BrierScore()
    other.update_state([2], [[0.2, 0.7, 0.1]])
    with pytest.raises(ValueError, match="column"):
        m.merge_state(other)




@pytest.mark.parametrize("norm", ["l1", "l2", "max"])
@pytest.mark.parametrize("n_bins", [1, 7, 15])
def test_ece_matches_torchmetrics(norm: str, n_bins: int, torchmetrics: Any) -> None:
    """Random float32 probabilities (none exactly 1.0, where torchmetrics opens a bin of
    its own): torchmetrics' float32 result to float32 accuracy."""
    torch, tm = torchmetrics
    rng = np.random.default_rng(n_bins)
    p = rng.random(500).astype(np.float32) * np.float32(0.999)
    y = rng.integers(0, 2, 500)
    want = float(tm.BinaryCalibrationError(n_bins=n_bins, norm=norm)(
        torch.tensor(p), torch.tensor(y)))
    assert M.calibration_error(y, p, n_bins=n_bins, norm=norm) == pytest.approx(want,
                                                                                  rel=1e-5)
    probs = rng.dirichlet(np.ones(4), 500).astype(np.float32)
    labels = rng.integers(0, 4, 500)
    want = float(tm.MulticlassCalibrationError(num_classes=4, n_bins=n_bins, norm=norm)(
        torch.tensor(probs), torch.tensor(labels)))
    m = M.ExpectedCalibrationError(n_bins, norm=norm)
    for rows in np.array_split(np.arange(500), 4):
        m.update_state(labels[rows], probs[rows])
    assert m.result() == pytest.approx(want, rel=1e-5)


def test_confidence_one_differs_from_torchmetrics(torchmetrics: Any) -> None:
    """torchmetrics gives a confidence of exactly 1.0 a bin of its own; here it is in the
    last bin, [1/2, 1] with two bins."""
    torch, tm = torchmetrics
    y, p = [1, 0, 1], np.array([0.6, 0.7, 1.0], dtype=np.float32)
    ours = M.calibration_error(y, p, n_bins=2, norm="max")
    mean_conf = (Fraction(float(p[0])) + Fraction(float(p[1])) + 1) / 3
    assert ours == float(abs(Fraction(2, 3) - mean_conf))
    theirs = float(tm.BinaryCalibrationError(n_bins=2, norm="max")(torch.tensor(p),
                                                                  torch.tensor(y)))
    assert theirs == pytest.approx(0.15, rel=1e-6)  # 0.6, 0.7 alone: |1/2 - 0.65|


# -- the Brier score ------------------------------------------------------------------------------



@pytest.mark.parametrize("seed", range(30))
def test_brier_matches_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    c = (1, 2, 3, 5)[seed % 4]
    if c == 1:
        p = rng.random(n)
        y = rng.integers(0, 2, n)
        if seed % 8 == 0:
            p = np.round(p, 1)  # ties, 0 and 1
    else:
        p = rng.dirichlet(np.ones(c), n)
        y = rng.integers(0, c, n)
    if seed % 3 == 0:
        p = p.astype(np.float32)
    w = rng.random(n) if seed % 2 else None
    labels = None if c == 1 else list(range(c))
    for scale in ("auto", True, False):
        with warnings.catch_warnings():  # float32 rows sum to 1 only to float32 accuracy
            warnings.simplefilter("ignore", UserWarning)
            want = sklearn.brier_score_loss(y, p.astype(np.float64), sample_weight=w,
                                            scale_by_half=scale, labels=labels)
        got = M.brier_score_loss(y, p, sample_weight=w, scale_by_half=scale)
        assert got == pytest.approx(want, rel=1e-12, abs=0)


def test_brier_is_the_exact_mean() -> None:
    """Weighted float64 probabilities, tiny ones too: the exact Σ w Σ (p - onehot)² / Σ w
    with fractions, rounded once."""
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(3), 40)
    p[0] = [1e-300, 0.5, 0.5 - 1e-300]
    p[1] = [3e-170, 1 - 3e-170, 0.0]
    y = rng.integers(0, 3, 40)
    w = rng.random(40) * 10
    total = Fraction(0)
    for row, label, wi in zip(p, y, w, strict=True):
        total += Fraction(float(wi)) * sum((Fraction(float(v)) - (k == label)) ** 2
                                           for k, v in enumerate(row))
    want = float(total / sum((Fraction(float(v)) for v in w), Fraction(0)))
    m = M.BrierScore()
    for rows in np.array_split(np.arange(40), 5):
        m.update_state(y[rows], p[rows], w[rows])
    assert m.result() == want


# -- the reliability diagram ----------------------------------------------------------------------

def test_plot_reliability_draws_the_bins(tmp_path: Any) -> None:
    pytest.importorskip("matplotlib", reason="matplotlib (the 'plot' extra) draws")
    from nnmath import plotting as P

    rng = np.random.default_rng(2)
    p = rng.random(400)
    y = (rng.random(400) < p**2).astype(int)
    m = M.ExpectedCalibrationError(5)
    m.update_state(y, p)
    fig = P.plot_reliability(m)
    top, bottom = fig.axes
    lines = {ln.get_label(): np.column_stack(ln.get_data()) for ln in top.get_lines()}
    np.testing.assert_array_equal(lines["perfectly calibrated"], [[0, 0], [1, 1]])
    data = m.reliability()
    curve = top.get_lines()[0].get_xydata()  # the non-empty bins
    full = data["mass"] > 0
    np.testing.assert_allclose(curve[:, 0], data["confidence"][full])
    np.testing.assert_allclose(curve[:, 1], data["accuracy"][full])
    heights = [patch.get_height() for patch in bottom.patches]
    assert heights == [float(v) for v in np.histogram(p, bins=5, range=(0, 1))[0]]
    assert f"ECE = {m.result():.4f}" in top.get_lines()[0].get_label()
    assert bottom.get_xlabel() == "mean predicted probability"
    path = tmp_path / "reliability.png"
    P.save(fig, path)
    assert path.stat().st_size > 10_000
    fig2 = P.plot_reliability(y, p, n_bins=8, strategy="quantile")
    assert len(fig2.axes[1].patches) == 8
    with pytest.raises(TypeError, match="y_prob"):
        P.plot_reliability(y)


# -- exactness: any split, merged through JSON in any order, is one pass ------------------------



@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40).flatmap(lambda n: st.tuples(
    st.lists(st.integers(0, 1), min_size=n, max_size=n),
    st.lists(st.floats(0, 1), min_size=n, max_size=n),
    st.one_of(st.none(), st.lists(st.floats(0, 1e3), min_size=n, max_size=n)),
    st.lists(st.integers(0, n), max_size=4),
    st.randoms(use_true_random=False))))
def test_any_split_merged_in_any_order_is_one_pass(data: Any) -> None:
    y_l, p_l, w_l, cuts, rnd = data
    y, p = np.array(y_l), np.array(p_l)
    w = None if w_l is None else np.array(w_l)
    makers = [lambda: M.ExpectedCalibrationError(7, norm="l2"),
              lambda: M.ExpectedCalibrationError(3, norm="max"), lambda: M.BrierScore()]
    if w is None:
        makers.append(lambda: M.ExpectedCalibrationError(4, "quantile"))
    for make in makers:
        one = make()
        one.update_state(y, p, w)
        states = []
        for rows in np.split(np.arange(len(y)), sorted(cuts)):
            m = make()
            m.update_state(y[rows], p[rows], None if w is None else w[rows])
            states.append(json.dumps(m.get_state()))
        rnd.shuffle(states)
        merged = M.Metric.from_state(json.loads(states[0]))
        merged.merge_state(*(M.Metric.from_state(json.loads(s)) for s in states[1:]))
        assert repr(merged.result()) == repr(one.result())
        assert merged.get_state() == one.get_state()


def test_dask_inputs_give_the_numpy_state() -> None:
    """Dask arrays are counted block of rows by block of rows and merged: the state of
    one NumPy pass, for the metrics of this family."""
    da = pytest.importorskip("dask.array", reason="dask (the 'dask' extra) is optional")
    rng = np.random.default_rng(4)
    y = rng.integers(0, 3, 500)
    p = rng.dirichlet(np.ones(3), 500)
    w = rng.random(500)
    onehot = np.eye(3, dtype=int)[y]
    cases = [
        (lambda: M.MulticlassF1Score(3, average="weighted"), (y, p, w)),
        (lambda: M.CohenKappa(3, "linear"), (y, p, w)),
        (lambda: M.ExpectedCalibrationError(6), (y, p, w)),
        (lambda: M.ExpectedCalibrationError(6, "quantile"), (y, p, None)),
        (lambda: M.BrierScore(), (y, p, w)),
        (lambda: M.F1Score(average="macro"), (onehot, p, w)),
        (lambda: M.MultilabelRecall(3, average="samples"), (onehot, p, w)),
    ]
    for make, (yt, yp, sw) in cases:
        ref = make()
        ref.update_state(yt, yp, sw)
        lazy = make()
        lazy.update_state(da.from_array(yt, chunks=120), da.from_array(yp, chunks=(120, 3)),
                          None if sw is None else da.from_array(sw, chunks=120))
        assert lazy.get_state() == ref.get_state()
        assert repr(lazy.result()) == repr(ref.result())

"""The thresholded metrics (TruePositives ... FalseNegatives, Precision, Recall and the four
rate-at-constraint metrics) against Keras's vectors, scikit-learn, brute-force counts in
exact arithmetic, and hand derivations; states, merges and bad input."""

from __future__ import annotations

import itertools
import json
import math
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from keras_threshold_cases import META, batches, cases, ids, replay

import nnmath.metrics as M

COUNTS = ("TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives")
RATIOS = ("Precision", "Recall", "PrecisionAtRecall", "RecallAtPrecision",
          "SensitivityAtSpecificity", "SpecificityAtSensitivity")
# scores at which Keras's float32 bucket arithmetic for evenly spaced thresholds
# (ceil(p (T - 1)) - 1) disagrees with comparing p with the thresholds: checked below
MISBINNED = [c for c in cases(*COUNTS) if c["data"] == "every_threshold"]
KERAS = [c for c in cases(*COUNTS, *RATIOS) if c not in MISBINNED]


def test_the_vectors_cover_every_class_and_weighting() -> None:
    assert META["keras_version"].startswith("3.") and META["backend"] == "numpy"
    covered = {c["metric"] for c in KERAS}
    assert covered == set(COUNTS) | set(RATIOS)
    assert {c["weights"] for c in KERAS} == {None, "per_sample", "column", "scalar"}
    assert {c["data"] for c in KERAS} >= {"random", "tied", "random_multi", "classes"}


@pytest.mark.parametrize("case", KERAS, ids=ids(KERAS))
def test_agrees_with_keras(case: dict[str, Any]) -> None:
    got, want, _ = replay(case)
    assert got.shape == want.shape
    if case["weights"] is None:
        # unweighted counts are small integers, exact in Keras's float32 too, and each
        # ratio is then Keras's correctly rounded float32 ratio: equal in float32
        np.testing.assert_array_equal(got.astype(np.float32), want.astype(np.float32))
    else:  # Keras sums float32 weights
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def _brute(y: np.ndarray, p: np.ndarray, w: np.ndarray, t: float) -> tuple[Fraction, ...]:
    """tp, fp, tn, fn at threshold t by comparing every score, in exact arithmetic."""
    tt = np.asarray(t, dtype=np.float64).astype(p.dtype)
    tp = fp = tn = fn = Fraction(0)
    for yi, pi, wi in zip(y.ravel(), p.ravel(), w.ravel(), strict=True):
        q = Fraction(float(wi))
        above = pi > tt
        if yi and above:
            tp += q
        elif yi:
            fn += q
        elif above:
            fp += q
        else:
            tn += q
    return tp, fp, tn, fn


def test_keras_misplaces_scores_at_evenly_spaced_thresholds() -> None:
    """Documented difference: Keras bins scores for evenly spaced thresholds with float32
    arithmetic, which puts some scores equal to a threshold above it; nnmath compares."""
    (case,) = MISBINNED
    got, want, _ = replay(case)
    y, p, _ = batches(case)[0]
    thresholds = case["kwargs"]["thresholds"]
    exact = np.array([float(_brute(y, p, np.ones(y.shape), t)[0]) for t in thresholds])
    np.testing.assert_array_equal(got[0], exact)  # equal to comparing every score
    differ = np.flatnonzero(got[0] != want[0])
    assert differ.size > 0  # Keras counts one more true positive there ...
    np.testing.assert_array_equal(want[0][differ], got[0][differ] + 1)
    # ... because the score equal to that threshold was put above it
    p32 = np.sort(p.ravel())
    t32 = np.asarray(thresholds, dtype=np.float32)
    assert all(np.any(p32 == t32[i]) for i in differ)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighted", [False, True])
def test_counts_equal_brute_force_comparison(dtype: Any, weighted: bool) -> None:
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, (60, 2))
    p = np.concatenate([rng.random((40, 2)), rng.integers(0, 5, (20, 2)) / 4]).astype(dtype)
    thresholds = [0.0, 0.25, 0.3, 0.5, 0.75, 1.0, 0.1]
    w = rng.random(60) * 3 if weighted else None
    wb = np.ones((60, 2)) if w is None else np.broadcast_to(w[:, None], (60, 2))
    metrics = [cls(thresholds=thresholds) for cls in (M.TruePositives, M.FalsePositives,
                                                      M.TrueNegatives, M.FalseNegatives)]
    for m in metrics:
        m.update_state(y[:25], p[:25], None if w is None else w[:25])
        m.update_state(y[25:], p[25:], None if w is None else w[25:])
    for k, m in enumerate(metrics):
        want = [float(_brute(y, p, wb, t)[k]) for t in thresholds]
        np.testing.assert_array_equal(m.result(), want)


@pytest.mark.parametrize("t", [0.5, 0.3, 0.0, 0.75])
def test_precision_recall_equal_scikit_learn(t: float) -> None:
    sklearn = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(3)
    for tied in (False, True):
        y = rng.integers(0, 2, 500)
        p = (rng.integers(0, 5, 500) / 4) if tied else rng.random(500)
        w = rng.random(500)
        decided = (p > t).astype(int)
        for sw in (None, w):
            prec = M.Precision(thresholds=t)
            rec = M.Recall(thresholds=t)
            prec.update_state(y, p, sw)
            rec.update_state(y, p, sw)
            want_p = sklearn.precision_score(y, decided, sample_weight=sw, zero_division=0)
            want_r = sklearn.recall_score(y, decided, sample_weight=sw, zero_division=0)
            assert prec.result() == pytest.approx(want_p, rel=1e-12, abs=0)
            assert rec.result() == pytest.approx(want_r, rel=1e-12, abs=0)


def test_hand_derived_rates_at_constraints() -> None:
    # thresholds 0, 0.5, 1; y = [0, 0, 1, 1], p = [0.0, 0.6, 0.4, 0.9]
    # t=0: tp 2 fp 1 tn 1 fn 0; t=0.5: tp 1 fp 1 tn 1 fn 1; t=1: tp 0 fp 0 tn 2 fn 2
    y, p = [0, 0, 1, 1], [0.0, 0.6, 0.4, 0.9]

    def run(cls: Any, value: float) -> float:
        m = cls(value, num_thresholds=3)
        m.update_state(y, p)
        return float(m.result())

    assert run(M.SensitivityAtSpecificity, 0.6) == 0.0  # only t=1 has spec 1: sens 0
    assert run(M.SensitivityAtSpecificity, 0.5) == 1.0
    assert run(M.SpecificityAtSensitivity, 0.6) == 0.5  # t=0 only: spec 1/2
    assert run(M.SpecificityAtSensitivity, 0.0) == 1.0
    assert run(M.PrecisionAtRecall, 1.0) == 2 / 3
    assert run(M.RecallAtPrecision, 0.6) == 1.0  # precision 2/3 at t=0
    assert run(M.RecallAtPrecision, 0.7) == 0.0
    # the constraint compares the float64 rate: 4/5 reaches 0.8
    m = M.SensitivityAtSpecificity(0.8, num_thresholds=3)
    m.update_state([0, 0, 0, 0, 0, 1], [0.1, 0.2, 0.3, 0.4, 0.6, 0.7])
    assert m.result() == 1.0  # t=0.5: specificity 4/5, recall 1


def test_precision_top_k_and_class_id_by_hand() -> None:
    y = [[0, 1, 1, 0], [1, 0, 0, 1]]
    p = [[0.9, 0.8, 0.1, 0.7], [0.6, 0.6, 0.1, 0.0]]
    m = M.Precision(top_k=2)
    m.update_state(y, p)
    # kept: row 0 -> 0.9 (label 0), 0.8 (1); row 1 -> the two 0.6 (1, 0): 2 of 4
    assert m.result() == 0.5
    r = M.Recall(top_k=1, class_id=0)
    r.update_state(y, p)  # class 0: row 1 is positive and 0.6 is first of the tie
    assert r.result() == 1.0
    # a tie for the last place: the lowest index is kept (Keras's NumPy backend keeps the
    # last one, TensorFlow and JAX the first)
    m = M.Precision(top_k=1)
    m.update_state([[0, 1]], [[0.5, 0.5]])
    assert m.result() == 0.0


def test_counts_are_exact_beyond_float32() -> None:
    """Documented difference: Keras's float32 total stops counting at 2**24."""
    m = M.TruePositives()
    m.update_state([1, 1], [0.9, 0.8], sample_weight=[2.0**24, 1.0])
    assert m.result() == 2.0**24 + 1
    assert np.float32(2.0**24) + np.float32(1.0) == np.float32(2.0**24)  # Keras's sum
    big = M.FalseNegatives()
    big.update_state(np.ones(3, dtype=np.int8), np.zeros(3))
    state = big.get_state()
    state["state"]["counts"][0][0][1] = 2**70  # far beyond any float
    again = M.Metric.from_state(state)
    again.update_state([1], [0.0])
    assert again.result() == float(2**70 + 1)


def test_sample_weight_shapes_follow_keras() -> None:
    y = np.array([[1, 0], [1, 1], [0, 1]])
    p = np.array([[0.9, 0.2], [0.6, 0.7], [0.1, 0.8]])
    per_sample = M.TruePositives()
    per_sample.update_state(y, p, sample_weight=[1.0, 2.0, 3.0])
    column = M.TruePositives()
    column.update_state(y, p, sample_weight=[[1.0], [2.0], [3.0]])
    scalar = M.TruePositives()
    scalar.update_state(y, p, sample_weight=0.5)
    # true positives: (0,0) w1, (1,0) w2, (1,1) w2, (2,1) w3
    assert per_sample.result() == column.result() == 8.0
    assert scalar.result() == 2.0
    element = M.TruePositives()
    element.update_state(y, p, sample_weight=[[1, 0], [0, 1], [0, 4]])
    assert element.result() == 6.0


def test_result_shapes_and_empty_batches() -> None:
    m = M.Precision(thresholds=[0.7, 0.2])
    assert isinstance(M.Precision().result(), float)
    np.testing.assert_array_equal(m.result(), [0.0, 0.0])
    m.update_state(np.zeros((0, 1)), np.zeros((0, 1)))  # nothing: nothing changes
    np.testing.assert_array_equal(m.result(), [0.0, 0.0])
    m.update_state([1, 0, 1], [0.8, 0.5, 0.3])
    np.testing.assert_array_equal(m.result(), [1.0, 2 / 3])  # in the order given


@pytest.mark.parametrize("cls", [M.TruePositives, M.Precision, M.Recall,
                                 M.PrecisionAtRecall])
def test_json_state_and_merge_in_any_order(cls: Any) -> None:
    hypothesis = pytest.importorskip("hypothesis")
    st = pytest.importorskip("hypothesis.strategies")
    rng = np.random.default_rng(11)
    y = rng.integers(0, 2, 90)
    p = np.round(rng.random(90), 2)
    w = rng.choice([0.0, 0.1, 0.5, 1.0, 3.0], 90)
    kwargs = {"recall": 0.5, "num_thresholds": 7} if cls is M.PrecisionAtRecall \
        else {"thresholds": [0.2, 0.5, 0.91]}

    def one_pass(weighted: bool) -> M.Metric:
        m = cls(**kwargs)
        m.update_state(y, p, w if weighted else None)
        return m

    @hypothesis.settings(max_examples=25, deadline=None)
    @hypothesis.given(cuts=st.lists(st.integers(0, 90), max_size=5), seed=st.integers(0, 99),
                      weighted=st.booleans())
    def check(cuts: list[int], seed: int, weighted: bool) -> None:
        edges = [0, *sorted(cuts), 90]
        parts = []
        for a, b in itertools.pairwise(edges):
            m = cls(**kwargs)
            m.update_state(y[a:b], p[a:b], w[a:b] if weighted else None)
            parts.append(M.Metric.from_state(json.loads(json.dumps(m.get_state()))))
        order = np.random.default_rng(seed).permutation(len(parts))
        merged = parts[order[0]]
        merged.merge_state([parts[i] for i in order[1:]])
        want = one_pass(weighted)
        assert merged.get_state()["state"] == want.get_state()["state"]
        np.testing.assert_array_equal(np.asarray(merged.result()), np.asarray(want.result()))

    check()


def test_registry_and_config() -> None:
    for name, cls in [("true_positives", M.TruePositives), ("false_negatives",
                      M.FalseNegatives), ("precision", M.Precision), ("recall", M.Recall),
                      ("precision_at_recall", M.PrecisionAtRecall),
                      ("sensitivity_at_specificity", M.SensitivityAtSpecificity)]:
        assert name in M.names()
        assert type(M.get(name, **({} if "_at_" not in name else
                                   {name.split("_at_")[1]: 0.5}))) is cls
        assert type(M.get(cls.__name__, **({} if "_at_" not in name else
                                           {name.split("_at_")[1]: 0.5}))) is cls
    m = M.Precision(thresholds=[0.3, 0.6], top_k=2, class_id=1, name="p", dtype="float32")
    assert m.get_config() == {"thresholds": [0.3, 0.6], "top_k": 2, "class_id": 1,
                              "dtype": "float32", "name": "p"}
    assert M.Precision(**m.get_config()).get_config() == m.get_config()
    s = M.SpecificityAtSensitivity(0.4, num_thresholds=9, name="s")
    assert M.Metric.from_state(s.get_state()).get_config() == s.get_config()
    with pytest.raises(ValueError, match="different configurations"):
        s.merge_state(M.SpecificityAtSensitivity(0.5, num_thresholds=9))


@pytest.mark.parametrize(("y_true", "y_pred", "error", "match"), [
    ([0, 2, 1], [0.1, 0.2, 0.3], ValueError, "labels 0 and 1"),
    ([0, 1, 1], [0.1, 1.5, 0.3], ValueError, r"probabilities in \[0, 1\]"),
    ([0, 1, 1], [0.1, -0.5, 0.3], ValueError, r"probabilities in \[0, 1\]"),
    ([0, 1, 1], [0.1, math.nan, 0.3], ValueError, "NaN"),
    ([0, 1], [0.1, 0.2, 0.3], ValueError, "same shape"),
    ([[0, 1]], [[0.1, 0.2, 0.3]], ValueError, "same shape"),
    (["a", "b"], [0.1, 0.2], TypeError, "labels 0 and 1"),
])
def test_bad_input(y_true: Any, y_pred: Any, error: type, match: str) -> None:
    for cls in (M.TruePositives, M.Precision, M.SensitivityAtSpecificity):
        m = cls(0.5) if cls is M.SensitivityAtSpecificity else cls()
        with pytest.raises(error, match=match):
            m.update_state(y_true, y_pred)
    with pytest.raises(ValueError, match="sample_weight must be >= 0"):
        M.Recall().update_state([0, 1], [0.1, 0.2], sample_weight=[1.0, -1.0])


def test_bad_configuration() -> None:
    with pytest.raises(ValueError, match=r"thresholds must lie in \[0, 1\]"):
        M.TruePositives(thresholds=1.5)
    with pytest.raises(ValueError, match=r"thresholds must lie in \[0, 1\]"):
        M.Precision(thresholds=[0.5, math.nan])
    with pytest.raises(ValueError, match="at least one threshold"):
        M.Recall(thresholds=[])
    with pytest.raises(TypeError, match="thresholds must be numbers"):
        M.FalsePositives(thresholds=["0.5"])
    with pytest.raises(ValueError, match="top_k must be >= 1"):
        M.Precision(top_k=0)
    with pytest.raises(ValueError, match="num_thresholds must be >= 1"):
        M.PrecisionAtRecall(0.5, num_thresholds=0)
    with pytest.raises(ValueError, match=r"recall must lie in \[0, 1\]"):
        M.PrecisionAtRecall(1.2)
    with pytest.raises(ValueError, match="class_id=5 is out of range"):
        M.Recall(class_id=5).update_state([[0, 1]], [[0.2, 0.3]])
    with pytest.raises(ValueError, match="class_id needs y_pred of shape"):
        M.Recall(class_id=0).update_state([0, 1], [0.2, 0.3])
    with pytest.raises(TypeError, match="dtype must be"):
        M.TruePositives(dtype="no such dtype")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_core_histogram_equals_searchsorted(dtype: Any) -> None:
    from nnmath import _core

    rng = np.random.default_rng(12)
    for trial in range(40):
        n = [0, 1, 7, 300, 200_000][trial % 5]
        columns = 1 + trial % 3
        n -= n % columns
        t = np.sort(np.concatenate([
            [[-1e-7, 1 + 1e-7], [0.5, 0.5], [0.0, 1.0], [1e-3, 2e-3]][trial % 4],
            rng.random(trial % 7)])).astype(dtype)
        s = np.concatenate([rng.random(n // 2), rng.integers(0, 9, n - n // 2) / 8])
        s = s.astype(dtype)
        s[: min(n, t.size)] = np.clip(t[: min(n, t.size)], 0, 1)  # scores at thresholds
        y = rng.integers(0, 2, n).astype(np.uint8)
        counts, status, _ = _core.threshold_histogram(s, y, t, columns)
        key = ((np.arange(n) % columns) * (t.size + 1) + np.searchsorted(t, s)) * 2 + y
        want = np.bincount(key, minlength=columns * (t.size + 1) * 2)
        assert status == 0
        np.testing.assert_array_equal(counts.reshape(-1), want)
    t1 = np.array([0.5], dtype=dtype)
    for s, y, code in (([0.1, np.nan], [0, 1], 1), ([0.1, 1.5], [0, 1], 2),
                       ([0.1, 0.2], [0, 2], 3), ([0.1, -1e-30], [0, 1], 2)):
        got = _core.threshold_histogram(np.array(s, dtype), np.array(y, np.uint8), t1)
        assert got[1:] == (code, 1)
        # the same far into a large input (the threaded, blocked path)
        big_s = np.full(300_000, 0.25, dtype)
        big_y = np.zeros(300_000, np.uint8)
        big_s[-7], big_y[-7] = s[1], y[1]
        assert _core.threshold_histogram(big_s, big_y, t1)[1:] == (code, 300_000 - 7)
    # -0.0 is a probability (0), -inf and +inf are allowed without unit
    zeros = np.array([-0.0] * 70_000 + [0.0], dtype)
    counts, status, _ = _core.threshold_histogram(zeros, np.ones(70_001, np.uint8),
                                                  np.array([-1e-7, 0.0], dtype))
    assert status == 0 and counts[0, 1, 1] == 70_001
    inf = np.array([-np.inf, np.inf] * 40_000, dtype)
    counts, status, _ = _core.threshold_histogram(inf, np.zeros(80_000, np.uint8), t1,
                                                  unit=False)
    assert status == 0 and counts[0, 0, 0] == counts[0, 1, 0] == 40_000


def test_fast_and_general_paths_agree() -> None:
    """bool / 8-bit labels with float32/64 scores take the core's one pass; other labels
    NumPy's search: the same state either way, and the same errors."""
    rng = np.random.default_rng(13)
    y = rng.integers(0, 2, (500, 3))
    p = np.concatenate([rng.random((400, 3)), rng.integers(0, 5, (100, 3)) / 4])
    makers = [lambda: M.TruePositives(thresholds=[0.0, 0.25, 0.5, 1.0]),
              lambda: M.Recall(class_id=1), lambda: M.SpecificityAtSensitivity(0.3),
              lambda: M.AUC(), lambda: M.AUC(multi_label=True, curve="PR"),
              lambda: M.AUC(from_logits=True, num_thresholds=17)]
    for make in makers:
        for dtype in (np.float32, np.float64):
            fast, general = make(), make()
            x = p.astype(dtype) if not getattr(fast, "from_logits", False) \
                else (p * 8 - 4).astype(dtype)
            fast.update_state(y.astype(np.int8), x)
            general.update_state(y.astype(np.float64), x)
            assert fast.get_state() == general.get_state()
    for bad_y, bad_p, match in (([0, 2], [0.1, 0.2], "labels 0 and 1"),
                                ([0, 1], [0.1, 1.2], r"probabilities in \[0, 1\]"),
                                ([0, 1], [0.1, np.nan], "NaN"),
                                ([0, -1], [0.1, 0.2], "labels 0 and 1")):
        m = M.Precision()
        with pytest.raises(ValueError, match=match):
            m.update_state(np.array(bad_y, np.int8), np.array(bad_p, np.float32))
        assert m.get_state()["state"]["counts"] == M.Precision().get_state()["state"]["counts"]


def test_every_new_class_round_trips_through_json() -> None:
    y = np.array([[0, 1, 1], [1, 0, 1], [0, 0, 1], [1, 1, 0]])
    p = np.array([[0.2, 0.9, 0.6], [0.7, 0.1, 0.5], [0.3, 0.4, 0.8], [0.6, 0.6, 0.1]])
    made = [M.TruePositives(), M.FalsePositives([0.3, 0.7]), M.TrueNegatives(0.4),
            M.FalseNegatives(), M.Precision(top_k=2), M.Recall(class_id=2),
            M.PrecisionAtRecall(0.5), M.RecallAtPrecision(0.6, num_thresholds=5),
            M.SensitivityAtSpecificity(0.5, class_id=0), M.SpecificityAtSensitivity(0.5),
            M.AUC(curve="PR"), M.AUC(num_thresholds=None, multi_label=True, average=None),
            M.IoU(2, [1]), M.MeanIoU(2), M.BinaryIoU(threshold=0.4),
            M.OneHotIoU(3, [0, 2]), M.OneHotMeanIoU(3)]
    for m in made:
        if isinstance(m, (M.IoU,)) and not isinstance(m, M.BinaryIoU):
            if m.sparse_y_true:
                m.update_state(y, (p > 0.5).astype(int), sample_weight=[1.0, 0.5, 2.0, 0.0])
            else:
                m.update_state(np.eye(3)[[0, 1, 2, 2]], p)
        else:
            m.update_state(y, p, sample_weight=[1.0, 0.5, 2.0, 0.0])
        state = json.loads(json.dumps(m.get_state()))
        again = M.Metric.from_state(state)
        assert type(again) is type(m) and again.get_config() == m.get_config()
        assert again.get_state() == m.get_state()
        np.testing.assert_array_equal(np.asarray(again.result()), np.asarray(m.result()))
        assert M.get(type(m).__name__, **m.get_config()).get_config() == m.get_config()

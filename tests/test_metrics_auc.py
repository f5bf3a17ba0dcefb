"""AUC: thresholded (Keras's) against Keras's vectors and the area of brute-force counts in
exact arithmetic; exact (``num_thresholds=None``), ``roc_auc`` and ``average_precision``
against scikit-learn on random and tied scores; states, merges in any order, bad input."""

from __future__ import annotations

import itertools
import json
import math
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from keras_threshold_cases import META, cases, ids, replay

import nnmath.metrics as M

KERAS = cases("AUC")
REL = 1e-12


def test_the_vectors_cover_auc() -> None:
    kw = [c["kwargs"] for c in KERAS]
    assert {k.get("curve") for k in kw} == {"ROC", "PR", None}
    assert {k.get("summation_method") for k in kw} >= {"minoring", "majoring", None}
    assert any(k.get("multi_label") for k in kw) and any(k.get("from_logits") for k in kw)
    assert any("label_weights" in k and not k.get("multi_label") for k in kw)
    assert {c["weights"] for c in KERAS} == {None, "per_sample", "column", "scalar"}
    assert META["floatx"] == "float32"


@pytest.mark.parametrize("case", KERAS, ids=ids(KERAS))
def test_agrees_with_keras(case: dict[str, Any]) -> None:
    got, want, _ = replay(case)
    # exact counts on both sides where unweighted; Keras sums the areas (and weights) in
    # float32: a few float32 ulps apart
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def _counts(y: np.ndarray, p: np.ndarray, w: np.ndarray, thresholds: list[float]
            ) -> list[tuple[Fraction, Fraction, Fraction, Fraction]]:
    out = []
    for t in thresholds:
        tt = np.float64(t).astype(p.dtype) if p.dtype == np.float32 else np.float64(t)
        above = p > tt
        out.append(tuple(sum((Fraction(float(v)) for v in w[m]), Fraction(0)) for m in
                         (y & above, ~y & above, ~y & ~above, y & ~above)))
    return out


def _area(counts: list[tuple[Fraction, ...]], curve: str, method: str) -> Fraction:
    def q(a: Fraction, b: Fraction) -> Fraction:
        return a / b if b else Fraction(0)

    tpr = [q(tp, tp + fn) for tp, fp, tn, fn in counts]
    if curve == "ROC":
        x, yv = [q(fp, fp + tn) for tp, fp, tn, fn in counts], tpr
    else:
        x, yv = tpr, [q(tp, tp + fp) for tp, fp, tn, fn in counts]
    pick = {"interpolation": lambda a, b: (a + b) / 2, "minoring": min, "majoring": max}
    return sum(((x[i] - x[i + 1]) * pick[method](yv[i], yv[i + 1])
                for i in range(len(x) - 1)), Fraction(0))


@pytest.mark.parametrize("curve,method", [("ROC", "interpolation"), ("ROC", "minoring"),
                                          ("ROC", "majoring"), ("PR", "minoring"),
                                          ("PR", "majoring")])
def test_thresholded_area_is_exact(curve: str, method: str) -> None:
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 300).astype(bool)
    p = np.concatenate([rng.random(200), rng.integers(0, 11, 100) / 10])
    w = rng.random(300)
    t = 11
    thresholds = [-1e-7] + [(i + 1) / (t - 1) for i in range(t - 2)] + [1 + 1e-7]
    for sw in (None, w):
        m = M.AUC(num_thresholds=t, curve=curve, summation_method=method)
        m.update_state(y, p, sw)
        want = _area(_counts(y, p, np.ones(300) if sw is None else sw, thresholds), curve,
                     method)
        assert m.result() == float(want)  # one rounding of the exact area


def test_pr_interpolation_by_hand() -> None:
    # one threshold inside: t = 0.5; y = [1, 0, 1, 1], p = [0.9, 0.8, 0.3, 0.1]
    # thresholds -eps, 0.5, 1+eps: tp 3, 1, 0; predicted positives 4, 2, 0; positives 3
    # interval 1 (tp 3 -> 1, p 4 -> 2): slope 1, intercept 1 - 2 = -1, p ratio 4/2:
    #   (2 + (-1) log 2) / 3
    # interval 2 (tp 1 -> 0, p 2 -> 0): slope 1/2, intercept 0, p ratio 1 (p = 0): (1/2) / 3
    # (Keras divides by tp + fn at the upper threshold: 3 for both)
    m = M.AUC(num_thresholds=3, curve="PR")
    m.update_state([1, 0, 1, 1], [0.9, 0.8, 0.3, 0.1])
    want = (2 - math.log(2)) / 3 + 0.5 / 3
    assert m.result() == pytest.approx(want, rel=1e-15)


def _sk(y: Any, s: Any, w: Any, **kw: Any) -> tuple[float, float]:
    sk = pytest.importorskip("sklearn.metrics")
    return (sk.roc_auc_score(y, s, sample_weight=w, **kw),
            sk.average_precision_score(y, s, sample_weight=w,
                                       **{k: v for k, v in kw.items() if k != "multi_class"}))


@pytest.mark.parametrize("kind", ["random32", "random64", "tied", "very_tied", "logit_grid"])
@pytest.mark.parametrize("weighted", [False, True])
def test_exact_auc_equals_scikit_learn(kind: str, weighted: bool) -> None:
    rng = np.random.default_rng(hash(kind) % 2**32)
    for n in (2, 7, 50, 1000):
        y = rng.integers(0, 2, n)
        y[:2] = [0, 1]
        if kind == "random32":
            s = rng.random(n, dtype=np.float32)
        elif kind == "random64":
            s = rng.random(n)
        elif kind == "tied":
            s = rng.integers(0, 20, n) / 19
        elif kind == "very_tied":
            s = rng.integers(0, 2, n) * 0.5
        else:
            s = (rng.integers(-8, 9, n) / 8 + 1) / 2
        w = rng.random(n) * 2 if weighted else None
        want_roc, want_ap = _sk(y, s, w)
        roc = M.AUC(num_thresholds=None)
        pr = M.AUC(num_thresholds=None, curve="PR")
        half = n // 2
        for m in (roc, pr):
            m.update_state(y[:half], s[:half], None if w is None else w[:half])
            m.update_state(y[half:], s[half:], None if w is None else w[half:])
        assert roc.result() == pytest.approx(want_roc, rel=REL, abs=0)
        assert pr.result() == pytest.approx(want_ap, rel=REL, abs=0)
        assert M.roc_auc(y, s, w) == roc.result()
        assert M.average_precision(y, s, w) == pr.result()


def test_exact_roc_auc_is_a_ratio_of_integers() -> None:
    # y = [0, 1, 0, 1, 1], s = [0.2, 0.2, 0.5, 0.7, 0.1]: pairs (pos, neg) ordered right:
    # 0.2 vs 0.2 tie (1/2), 0.7 > both (2), 0.1 < both (0), 0.2 vs 0.5 (0): 2.5 / 6
    m = M.AUC(num_thresholds=None)
    m.update_state([0, 1, 0, 1, 1], [0.2, 0.2, 0.5, 0.7, 0.1])
    assert m.result() == 2.5 / 6
    # average precision: scores desc 0.7 (+), 0.5 (-), 0.2 (+ -), 0.1 (+)
    # (1/3)(1) + (1/3)(2/4) + (1/3)(3/5)
    assert M.average_precision([0, 1, 0, 1, 1], [0.2, 0.2, 0.5, 0.7, 0.1]) == \
        float(Fraction(1, 3) + Fraction(1, 6) + Fraction(1, 5))


@pytest.mark.parametrize("average", ["macro", "weighted", None])
def test_multilabel_and_one_vs_rest_equal_scikit_learn(average: str | None) -> None:
    rng = np.random.default_rng(21)
    y = rng.integers(0, 2, (300, 4))
    s = np.round(rng.random((300, 4)), 2)
    w = rng.random(300)
    for sw in (None, w):
        want_roc, want_ap = _sk(y, s, sw, average=average)
        np.testing.assert_allclose(M.roc_auc(y, s, sw, average=average), want_roc, rtol=REL)
        np.testing.assert_allclose(M.average_precision(y, s, sw, average=average), want_ap,
                                   rtol=REL)
    labels = rng.integers(0, 4, 300)
    probs = rng.dirichlet(np.ones(4), 300)
    if average is not None:
        sk = pytest.importorskip("sklearn.metrics")
        for sw in (None, w):
            want = sk.roc_auc_score(labels, probs, multi_class="ovr", average=average,
                                    sample_weight=sw)
            m = M.AUC(num_thresholds=None, multi_label=True, average=average)
            m.update_state(labels[:100], probs[:100], None if sw is None else sw[:100])
            m.update_state(labels[100:, None], probs[100:], None if sw is None else sw[100:])
            assert m.result() == pytest.approx(want, rel=REL, abs=0)


def test_exact_from_logits_ranks_the_logits() -> None:
    sk = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 400)
    z = np.concatenate([rng.normal(0, 30, 300), rng.integers(-3, 4, 100)]).astype(np.float32)
    m = M.AUC(num_thresholds=None, from_logits=True)
    m.update_state(y, z)
    assert m.result() == pytest.approx(sk.roc_auc_score(y, z), rel=REL, abs=0)
    # the float32 sigmoid of these logits has ties the logits do not have
    probs = 1 / (1 + np.exp(-z.astype(np.float64)))
    assert np.unique(probs.astype(np.float32)).size < np.unique(z).size


def test_state_grows_with_distinct_scores_and_is_bounded() -> None:
    m = M.AUC(num_thresholds=None, max_distinct=10)
    for _ in range(5):
        m.update_state(np.arange(1000) % 2, (np.arange(1000) % 10) / 10)
    state = m.get_state()["state"]["labels"][0]
    assert len(state["scores"]) == 10 and sum(state["positives"]) == 2500
    with pytest.raises(ValueError, match="more than max_distinct=10"):
        m.update_state([1], [0.55])
    assert m.result() == M.AUC(num_thresholds=None)(np.tile(np.arange(1000) % 2, 5),
                                                    np.tile((np.arange(1000) % 10) / 10, 5))
    other = M.AUC(num_thresholds=None, max_distinct=10)
    other.update_state([1], [0.55])
    with pytest.raises(ValueError, match="more than max_distinct=10"):
        m.merge_state(other)


def _split_merge_check(make: Any, y: np.ndarray, s: np.ndarray, w: Any) -> None:
    hypothesis = pytest.importorskip("hypothesis")
    st = pytest.importorskip("hypothesis.strategies")
    n = len(y)
    whole = make()
    whole.update_state(y, s, w)
    want_state = json.dumps(whole.get_state())
    want = np.asarray(whole.result())

    @hypothesis.settings(max_examples=30, deadline=None)
    @hypothesis.given(cuts=st.lists(st.integers(0, n), max_size=6), seed=st.integers(0, 999))
    def check(cuts: list[int], seed: int) -> None:
        edges = [0, *sorted(cuts), n]
        workers = []
        for a, b in itertools.pairwise(edges):
            m = make()
            # batches within a worker, then the worker's state through JSON
            for lo in range(a, b, 7):
                hi = min(lo + 7, b)
                m.update_state(y[lo:hi], s[lo:hi], None if w is None else w[lo:hi])
            workers.append(M.Metric.from_state(json.loads(json.dumps(m.get_state()))))
        order = np.random.default_rng(seed).permutation(len(workers))
        merged = make()
        for i in order:
            merged.merge_state(workers[i])
        assert json.dumps(merged.get_state()) == want_state
        got = np.asarray(merged.result())
        assert got.tobytes() == want.tobytes()  # bit for bit

    check()


@pytest.mark.parametrize("curve", ["ROC", "PR"])
@pytest.mark.parametrize("weighted", [False, True])
def test_exact_auc_merges_bit_for_bit(curve: str, weighted: bool) -> None:
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 80)
    s = np.concatenate([rng.random(40), np.round(rng.random(40), 1)]).astype(np.float32)
    w = rng.choice([0.0, 0.3, 1.0, 2.5], 80) if weighted else None
    _split_merge_check(lambda: M.AUC(num_thresholds=None, curve=curve), y, s, w)


def test_multilabel_and_thresholded_auc_merge_bit_for_bit() -> None:
    rng = np.random.default_rng(8)
    y = rng.integers(0, 2, (60, 3))
    s = np.round(rng.random((60, 3)), 2)
    w = rng.random(60)
    _split_merge_check(lambda: M.AUC(num_thresholds=None, multi_label=True, average=None),
                       y, s, w)
    _split_merge_check(lambda: M.AUC(curve="PR", multi_label=True), y, s, w)
    _split_merge_check(lambda: M.AUC(label_weights=[1.0, 0.5, 2.0]), y, s, None)


def test_registry_config_and_unbuilt_labels() -> None:
    assert "auc" in M.names() and type(M.get("auc")) is M.AUC and type(M.get("AUC")) is M.AUC
    m = M.AUC(num_thresholds=None, curve="PR", name="ap", dtype="float32", multi_label=True)
    config = m.get_config()
    assert config["num_thresholds"] is None and config["curve"] == "PR"
    m.update_state([[0, 1], [1, 0]], [[0.2, 0.9], [0.6, 0.1]])
    again = M.Metric.from_state(json.loads(json.dumps(m.get_state())))
    assert again.result() == m.result() == 1.0
    k = M.AUC(thresholds=[0.2, 0.7], multi_label=True)
    k.update_state([[0, 1], [1, 0]], [[0.2, 0.9], [0.6, 0.1]])
    assert M.Metric.from_state(k.get_state()).result() == k.result()
    assert k.get_config()["num_thresholds"] == 4 and k.get_config()["thresholds"] == [0.2, 0.7]


def test_no_positives_or_negatives_give_zero_as_keras() -> None:
    for nt in (200, None):
        m = M.AUC(num_thresholds=nt)
        assert m.result() == 0.0
        m.update_state([1, 1], [0.3, 0.6])
        assert m.result() == 0.0
    assert M.average_precision([0, 0], [0.3, 0.6]) == 0.0


def test_bad_input_and_configuration() -> None:
    for nt in (200, None):
        m = M.AUC(num_thresholds=nt)
        with pytest.raises(ValueError, match="labels 0 and 1"):
            m.update_state([0, 3], [0.1, 0.2])
        with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
            m.update_state([0, 1], [0.1, 1.2])
        with pytest.raises(ValueError, match="NaN"):
            m.update_state([0, 1], [0.1, math.nan])
        with pytest.raises(ValueError, match="same shape"):
            m.update_state([0, 1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="empty"):
        M.roc_auc([], [])
    with pytest.raises(ValueError, match="class labels outside"):
        M.roc_auc([0, 3], [[0.5, 0.5], [0.2, 0.8]])
    with pytest.raises(ValueError, match="curve must be one of"):
        M.AUC(curve="PRGAIN2")
    with pytest.raises(ValueError, match="summation_method must be one of"):
        M.AUC(summation_method="trapezoid")
    with pytest.raises(ValueError, match="applies to thresholded AUC only"):
        M.AUC(num_thresholds=None, summation_method="minoring")
    with pytest.raises(ValueError, match="num_thresholds must be >= 2"):
        M.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match=r"thresholds must lie in \[0, 1\]"):
        M.AUC(thresholds=[0.5, 2.0])
    with pytest.raises(ValueError, match="num_labels is needed only"):
        M.AUC(num_labels=3)
    with pytest.raises(ValueError, match="multi_label needs y_pred of rank 2"):
        M.AUC(multi_label=True).update_state([0, 1], [0.3, 0.4])
    with pytest.raises(ValueError, match="built for 2"):
        m = M.AUC(multi_label=True, num_labels=2)
        m.update_state([[0, 1, 1]], [[0.3, 0.4, 0.5]])
    with pytest.raises(ValueError, match="label_weights must be finite"):
        M.AUC(label_weights=[1.0, -1.0])
    with pytest.raises(ValueError, match="average must be one of"):
        M.AUC(average="micro")
    bad = M.AUC(num_thresholds=None).get_state()
    bad["state"]["labels"][0] = {"scores": ["0x1p-1", "0x1p-2"], "positives": [1, 1],
                                 "negatives": [0, 0]}
    with pytest.raises(ValueError, match="increasing"):
        M.Metric.from_state(bad)


def test_label_weights_in_exact_mode() -> None:
    rng = np.random.default_rng(30)
    y = rng.integers(0, 2, (80, 3))
    s = np.round(rng.random((80, 3)), 1)
    # columns weighted 1, 1, 1: the flat problem; weighted 2, 0, 1: the same as
    # repeating column 0 twice and dropping column 1
    ones = M.AUC(num_thresholds=None, label_weights=[1, 1, 1])
    ones.update_state(y, s)
    assert ones.result() == M.roc_auc(y.ravel(), s.ravel())
    w = M.AUC(num_thresholds=None, label_weights=[2.0, 0.0, 1.0])
    w.update_state(y, s)
    flat_y = np.concatenate([y[:, 0], y[:, 0], y[:, 2]])
    flat_s = np.concatenate([s[:, 0], s[:, 0], s[:, 2]])
    assert w.result() == M.roc_auc(flat_y, flat_s)
    # multi_label: the label AUCs averaged with these weights
    m = M.AUC(num_thresholds=None, multi_label=True, label_weights=[2.0, 0.0, 1.0])
    m.update_state(y, s)
    per_label = M.roc_auc(y, s, average=None)
    assert m.result() == pytest.approx((2 * per_label[0] + per_label[2]) / 3, rel=1e-15)


def test_dask_inputs_give_the_state_of_one_pass() -> None:
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(31)
    y = rng.integers(0, 2, (200, 3))
    s = np.round(rng.random((200, 3)), 2).astype(np.float32)
    w = rng.random(200)
    for make in (lambda: M.AUC(num_thresholds=None, multi_label=True), lambda: M.AUC(),
                 lambda: M.Precision(thresholds=[0.3, 0.7]),
                 lambda: M.SensitivityAtSpecificity(0.5), lambda: M.MeanIoU(2)):
        one, lazy = make(), make()
        yy, ss = (y, s) if not isinstance(one, M.MeanIoU) else (y, (s > 0.5).astype(int))
        one.update_state(yy, ss, w)
        lazy.update_state(da.from_array(yy, chunks=(37, 3)), da.from_array(ss, chunks=(37, 3)),
                          da.from_array(w, chunks=37))
        assert lazy.get_state() == one.get_state()


def test_many_small_batches_equal_one_pass() -> None:
    """Batches wait beside the state and are merged in groups: the same state as one
    pass, whatever the moment it is read."""
    rng = np.random.default_rng(32)
    y = rng.integers(0, 2, 300_000)
    s = rng.random(300_000, dtype=np.float32)
    one = M.AUC(num_thresholds=None)
    one.update_state(y, s)
    many = M.AUC(num_thresholds=None)
    for i in range(0, 300_000, 7_000):
        many.update_state(y[i:i + 7_000], s[i:i + 7_000])
        if i == 140_000:
            assert many.result() == M.roc_auc(y[:147_000], s[:147_000])
    assert many.get_state() == one.get_state()
    assert many.result() == one.result()


@pytest.mark.parametrize("weighted", [False, True])
def test_curve_points_are_scikit_learns(weighted: bool) -> None:
    """The exact AUC's curve points: scikit-learn's roc_curve (drop_intermediate=False)
    and precision_recall_curve, on tied scores, with and without weights, for each
    column of a multi-label AUC."""
    skm = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(31)
    y = rng.integers(0, 2, (400, 2))
    s = np.round(rng.random((400, 2)), 2)
    w = rng.uniform(0, 2, 400) if weighted else None
    for curve in ("ROC", "PR"):
        m = M.AUC(num_thresholds=None, curve=curve, multi_label=True, num_labels=2)
        m.update_state(y[:150], s[:150], None if w is None else w[:150])
        m.update_state(y[150:], s[150:], None if w is None else w[150:])
        for label in (0, 1):
            got = m.curve_points(label)
            if curve == "ROC":
                want = skm.roc_curve(y[:, label], s[:, label], sample_weight=w,
                                     drop_intermediate=False)
                names = ("fpr", "tpr", "thresholds")
            else:
                want = skm.precision_recall_curve(y[:, label], s[:, label], sample_weight=w)
                names = ("precision", "recall", "thresholds")
            for name, ref in zip(names, want, strict=True):
                np.testing.assert_allclose(got[name], ref, rtol=1e-12, atol=0, err_msg=name)


def test_curve_points_errors() -> None:
    with pytest.raises(ValueError, match="no data"):  # labels not known before an update
        M.AUC(num_thresholds=None, multi_label=True).curve_points()
    empty = M.AUC(num_thresholds=None).curve_points()  # no score yet: the origin alone
    assert empty["fpr"].tolist() == [0.0] and empty["tpr"].tolist() == [0.0]
    m = M.AUC(num_thresholds=None)
    m.update_state([0, 1], [0.2, 0.7])
    with pytest.raises(ValueError, match="label must be"):
        m.curve_points(1)


# -- thresholded curve points and the fallback to thresholds --------------------------------

def _threshold_counts(y: np.ndarray, p: np.ndarray, w: np.ndarray | None,
                      t: list[float]) -> tuple[list[Fraction], list[Fraction],
                                               list[Fraction], list[Fraction]]:
    """tp, fp, tn, fn at each threshold, by comparing every float64 probability with it."""
    ww = np.ones(len(y)) if w is None else w
    out: list[list[Fraction]] = [[], [], [], []]
    for ti in t:
        above = p > ti
        for k, mask in enumerate((above & y, above & ~y, ~above & ~y, ~above & y)):
            out[k].append(sum((Fraction(float(v)) for v in ww[mask]), Fraction(0)))
    return out[0], out[1], out[2], out[3]


def _trapezoid_roc(tp: list[Fraction], fp: list[Fraction], tn: list[Fraction],
                   fn: list[Fraction]) -> float:
    """Keras's interpolated ROC AUC from the counts at ascending thresholds."""
    def q(a: Fraction, b: Fraction) -> Fraction:
        return a / b if b else Fraction(0)
    x = [q(a, a + b) for a, b in zip(fp, tn, strict=True)]
    y = [q(a, a + b) for a, b in zip(tp, fn, strict=True)]
    return float(sum(((x[i] - x[i + 1]) * (y[i] + y[i + 1]) / 2 for i in range(len(x) - 1)),
                     Fraction(0)))


@pytest.mark.parametrize("curve", ["ROC", "PR"])
def test_curve_points_of_thresholded_auc(curve: str) -> None:
    rng = np.random.default_rng(11)
    y = rng.integers(0, 2, 300).astype(bool)
    p = rng.random(300)
    m = M.AUC(num_thresholds=11, curve=curve)
    m.update_state(y, p)
    t = [-1e-7] + [(i + 1) / 10 for i in range(9)] + [1 + 1e-7]
    tp, fp, tn, fn = _threshold_counts(y, p, None, t)
    got = m.curve_points()
    rev = slice(None, None, -1)
    if curve == "ROC":  # decreasing thresholds: (0, 0) first
        assert got["thresholds"].tolist() == t[rev]
        fpr = [float(a / (a + b)) for a, b in zip(fp, tn, strict=True)]
        tpr = [float(a / (a + b)) for a, b in zip(tp, fn, strict=True)]
        assert got["fpr"].tolist() == fpr[rev] and got["tpr"].tolist() == tpr[rev]
        assert got["fpr"][0] == 0.0 and got["tpr"][-1] == 1.0
    else:
        assert got["thresholds"].tolist() == t
        assert got["recall"].tolist() == [float(a / (a + b)) for a, b in zip(tp, fn, strict=True)]
        assert got["precision"].tolist() == [float(a / (a + b)) if a + b else 0.0
                                             for a, b in zip(tp, fp, strict=True)]


@pytest.mark.parametrize("weighted", [False, True])
def test_fallback_to_thresholds_equals_a_thresholded_auc(weighted: bool) -> None:
    rng = np.random.default_rng(12)
    n = 3000
    y = rng.integers(0, 2, n).astype(bool)
    p = rng.random(n)  # float64: the thresholded AUC compares in float64 too
    w = rng.random(n) if weighted else None
    m = M.AUC(num_thresholds=None, max_distinct=500, fallback_thresholds=21)
    for lo in range(0, n, 400):
        m.update_state(y[lo:lo + 400], p[lo:lo + 400], None if w is None else w[lo:lo + 400])
    assert m.fell_back and not m.exact
    t = [-1e-7] + [(i + 1) / 20 for i in range(19)] + [1 + 1e-7]
    assert m.result() == _trapezoid_roc(*_threshold_counts(y, p, w, t))
    peer = M.AUC(num_thresholds=21)
    peer.update_state(y, p, w)
    assert m.result() == peer.result()
    assert m.get_config()["num_thresholds"] is None  # the configuration stays the same
    m.reset_state()
    assert m.exact and not m.fell_back
    m.update_state([0, 1], [0.25, 0.75])
    assert m.result() == 1.0 and m.exact


def test_no_fallback_below_the_bound() -> None:
    m = M.AUC(num_thresholds=None, max_distinct=500, fallback_thresholds=21)
    m.update_state([0, 1, 1, 0], [0.1, 0.4, 0.35, 0.8])
    assert not m.fell_back and m.result() == 0.5  # scikit-learn's roc_auc_score: 0.5


def test_fallback_from_logits_compares_with_the_thresholds_logits() -> None:
    rng = np.random.default_rng(13)
    n = 2000
    y = rng.integers(0, 2, n).astype(bool)
    z = rng.normal(0, 3, n)
    z[:6] = [-np.inf, -np.inf, np.inf, np.inf, 0.0, -0.0]
    y[:6] = [True, False, True, False, True, False]
    m = M.AUC(num_thresholds=None, max_distinct=100, fallback_thresholds=11,
              from_logits=True)
    m.update_state(y, z)
    assert m.fell_back
    # sigmoid(z) > t, for t in (0, 1) exactly z > log(t / (1 - t)); -inf is above the
    # threshold below 0 only, +inf above all but the one above 1
    t = [-1e-7] + [(i + 1) / 10 for i in range(9)] + [1 + 1e-7]
    prob = np.where(np.isneginf(z), 0.0, np.where(np.isposinf(z), 1.0, 0.5))
    mid = np.isfinite(z)
    tp, fp, tn, fn = ([], [], [], [])
    for ti in t:
        if ti < 0 or ti > 1:
            above = prob > ti
            above[mid] = ti < 0
        else:
            above = np.where(mid, z > math.log(ti / (1 - ti)), prob > ti)
        tp.append(Fraction(int(np.sum(above & y))))
        fp.append(Fraction(int(np.sum(above & ~y))))
        tn.append(Fraction(int(np.sum(~above & ~y))))
        fn.append(Fraction(int(np.sum(~above & y))))
    assert m.result() == _trapezoid_roc(tp, fp, tn, fn)


@pytest.mark.parametrize("weighted", [False, True])
def test_fallback_merges_bit_for_bit(weighted: bool) -> None:
    rng = np.random.default_rng(14)
    y = rng.integers(0, 2, 120)
    s = rng.random(120).astype(np.float32)
    w = rng.choice([0.0, 0.3, 1.0, 2.5], 120) if weighted else None
    # 120 distinct scores against a bound of 40: some workers fall back, some do not
    _split_merge_check(lambda: M.AUC(num_thresholds=None, max_distinct=40,
                                     fallback_thresholds=9), y, s, w)


def test_fallback_multi_label_per_label() -> None:
    rng = np.random.default_rng(15)
    y = rng.integers(0, 2, (500, 3)).astype(bool)
    p = rng.random((500, 3))
    m = M.AUC(num_thresholds=None, multi_label=True, average=None, max_distinct=100,
              fallback_thresholds=21)
    m.update_state(y[:250], p[:250])
    m.update_state(y[250:], p[250:])
    peer = M.AUC(num_thresholds=21, multi_label=True, average=None)
    peer.update_state(y, p)
    assert m.fell_back
    assert m.result().tolist() == peer.result().tolist()
    state = json.loads(json.dumps(m.get_state()))
    assert state["state"]["fell_back"] is True
    again = M.Metric.from_state(state)
    assert again.result().tolist() == peer.result().tolist()


def test_fallback_errors() -> None:
    with pytest.raises(ValueError, match="exact AUC"):
        M.AUC(num_thresholds=200, fallback_thresholds=200)
    with pytest.raises(ValueError, match="label_weights"):
        M.AUC(num_thresholds=None, label_weights=[1, 2], fallback_thresholds=200)
    with pytest.raises(ValueError, match="fallback_thresholds"):
        M.AUC(num_thresholds=None, fallback_thresholds=1)
    m = M.AUC(num_thresholds=None, max_distinct=3, fallback_thresholds=5)
    m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4])
    state = m.get_state()
    state["state"]["fell_back"] = False
    with pytest.raises(ValueError, match="fell_back"):
        M.Metric.from_state(state)
    plain = M.AUC(num_thresholds=None).get_state()
    plain["state"] = m.get_state()["state"]
    with pytest.raises(ValueError, match="fell_back"):  # no fallback configured
        M.Metric.from_state(plain)
    other = M.AUC(num_thresholds=None, max_distinct=3, fallback_thresholds=7)
    with pytest.raises(ValueError, match="configurations"):
        other.merge_state(m)

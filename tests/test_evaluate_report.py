"""The classification report of nnmath.evaluate: per class precision, recall, F1 and support,
their micro/macro/weighted averages, and the confusion matrix.

References: scikit-learn's ``precision_recall_fscore_support`` and ``confusion_matrix``
(with ``labels=range(C)`` and ``zero_division=0``, the convention the report states), and
hand derivations with Python fractions. Unweighted counts are compared exactly, ratios to
1e-12 relative (scikit-learn sums in float64; the report rounds exact ratios once).
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from nnmath.evaluate import Report, evaluate


@pytest.fixture
def sk() -> Any:
    return pytest.importorskip("sklearn.metrics", reason="scikit-learn is the reference")

RNG = np.random.default_rng(20261207)
N, C = 157, 5
MC_Y = RNG.integers(0, C, N)
_logits = RNG.normal(size=(N, C))
_logits[np.arange(N), MC_Y] += 1.0
MC_P = np.exp(_logits) / np.exp(_logits).sum(axis=1, keepdims=True)
WEIGHTS = RNG.random(N) * 3
BIN_Y = RNG.integers(0, 2, N)
BIN_P = np.clip(RNG.random(N) * 0.8 + 0.2 * BIN_Y, 0, 1)
ML_Y = RNG.integers(0, 2, (N, 4))
ML_P = RNG.random((N, 4))
RATIOS = ("precision", "recall", "f1")


def assert_matches_sklearn(sk: Any, r: Report, y: np.ndarray, pred: np.ndarray, n: int,
                           w: np.ndarray | None = None) -> None:
    pc, avg = r.per_class, r.averages
    assert pc is not None and avg is not None
    p, rc, f, s = sk.precision_recall_fscore_support(y, pred, labels=range(n),
                                                     sample_weight=w, zero_division=0)
    if w is None:
        assert pc["support"] == s.tolist()  # exact integers
        assert all(isinstance(v, int) for v in pc["support"])
    else:
        np.testing.assert_allclose(pc["support"], s, rtol=1e-12)
    for key, ref in zip(RATIOS, (p, rc, f), strict=True):
        np.testing.assert_allclose(pc[key], ref, rtol=1e-12, atol=0, err_msg=key)
    for average in ("micro", "macro", "weighted"):
        ref = sk.precision_recall_fscore_support(y, pred, labels=range(n), sample_weight=w,
                                                 zero_division=0, average=average)
        np.testing.assert_allclose([avg[average][k] for k in RATIOS], ref[:3], rtol=1e-12,
                                   atol=0, err_msg=average)
        np.testing.assert_allclose(avg[average]["support"], np.sum(s), rtol=1e-12)


def test_multiclass_against_sklearn(sk: Any) -> None:
    r = evaluate(MC_Y, MC_P, chunk_size=40)
    pred = np.argmax(MC_P, axis=1)
    assert_matches_sklearn(sk, r, MC_Y, pred, C)
    assert r.confusion == sk.confusion_matrix(MC_Y, pred, labels=range(C)).tolist()
    assert all(isinstance(v, int) for row in r.confusion for v in row)
    # micro averages of a single-label task are the accuracy
    assert r.averages is not None
    assert {r.averages["micro"][k] for k in RATIOS} == {r.metrics["accuracy"]}
    assert r.settings["zero_division"] == 0


def test_multiclass_weighted_against_sklearn(sk: Any) -> None:
    r = evaluate(MC_Y, MC_P, WEIGHTS, chunk_size=33)
    pred = np.argmax(MC_P, axis=1)
    assert_matches_sklearn(sk, r, MC_Y, pred, C, WEIGHTS)
    assert r.confusion is not None
    np.testing.assert_allclose(r.confusion, sk.confusion_matrix(
        MC_Y, pred, labels=range(C), sample_weight=WEIGHTS), rtol=1e-12)


def test_weighted_confusion_is_the_exact_sum_rounded_once() -> None:
    """Weights whose float64 running sum is inexact: each cell is the exact sum of its
    weights, rounded once (from fractions)."""
    y = np.array([0, 0, 0, 1, 1])
    p = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.4, 0.6], [0.6, 0.4]])
    w = np.array([1e16, 1.0, 1.0, 0.1, 0.2])
    r = evaluate(y, p, w, task="multiclass")
    exact = [[Fraction(1e16) + 2, Fraction(0)], [Fraction(0.2), Fraction(0.1)]]
    assert r.confusion == [[float(v) for v in row] for row in exact]
    assert r.confusion[0][0] == 1.0000000000000002e16  # float64 summing gives 1e16
    # recall of class 0: (1e16 + 2) / (1e16 + 2) = 1; of class 1: 0.1 / 0.3, rounded once
    assert r.per_class is not None
    assert r.per_class["recall"] == [1.0, float(Fraction(0.1) / (Fraction(0.1)
                                                                 + Fraction(0.2)))]


def test_binary_against_sklearn(sk: Any) -> None:
    r = evaluate(BIN_Y, BIN_P, threshold=0.6)
    pred = (BIN_P > 0.6).astype(int)
    assert_matches_sklearn(sk, r, BIN_Y, pred, 2)
    assert r.confusion == sk.confusion_matrix(BIN_Y, pred, labels=[0, 1]).tolist()
    # the binary metrics are the positive class's row
    assert r.per_class is not None
    assert [r.metrics[k] for k in RATIOS] == [r.per_class[k][1] for k in RATIOS]


def test_binary_weighted_from_logits_against_sklearn(sk: Any) -> None:
    z = np.log(BIN_P + 1e-3) - np.log1p(-BIN_P + 1e-3)
    r = evaluate(BIN_Y, z, WEIGHTS, from_logits=True)
    assert_matches_sklearn(sk, r, BIN_Y, (z > 0).astype(int), 2, WEIGHTS)


def test_multilabel_against_sklearn(sk: Any) -> None:
    r = evaluate(ML_Y, ML_P, task="multilabel", threshold=0.3, chunk_size=50)
    pred = (ML_P > 0.3).astype(int)
    assert_matches_sklearn(sk, r, ML_Y, pred, 4)
    assert r.confusion is None  # no C × C matrix for labels


def test_multilabel_weighted_against_sklearn(sk: Any) -> None:
    r = evaluate(ML_Y, ML_P, WEIGHTS, task="multilabel")
    assert_matches_sklearn(sk, r, ML_Y, (ML_P > 0.5).astype(int), 4, WEIGHTS)


def test_the_seed_example_by_hand() -> None:
    """y = [1, 0, 2], predicted [1, 3, 2] over 4 classes: by hand, with fractions."""
    y = np.array([1, 0, 2])
    p = np.array([[0.4, 0.6, 0.0, 0.0], [0.3, 0.2, 0.1, 0.4], [0.05, 0.35, 0.5, 0.1]])
    r = evaluate(y, p)
    assert r.per_class is not None
    # one-vs-rest: class 0's positive (0.3) is below one negative (0.4) and above the other
    # (0.05): ROC AUC 1/2, and precision 1/2 at it; classes 1 and 2 rank their positive
    # first; class 3 has no positive: no AUC
    roc, ap = r.per_class.pop("roc_auc"), r.per_class.pop("pr_auc")
    assert roc[:3] == ap[:3] == [0.5, 1.0, 1.0] and math.isnan(roc[3]) and math.isnan(ap[3])
    assert r.metrics["roc_auc"] == r.metrics["pr_auc"] == float(Fraction(5, 6))
    assert r.per_class == {"support": [1, 1, 1, 0], "predicted": [0, 1, 1, 1],
                           "correct": [0, 1, 1, 0], "precision": [0.0, 1.0, 1.0, 0.0],
                           "recall": [0.0, 1.0, 1.0, 0.0], "f1": [0.0, 1.0, 1.0, 0.0]}
    two_thirds = float(Fraction(2, 3))
    assert r.averages == {
        "micro": {"precision": two_thirds, "recall": two_thirds, "f1": two_thirds,
                  "support": 3},
        "macro": {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 3},
        "weighted": {"precision": two_thirds, "recall": two_thirds, "f1": two_thirds,
                     "support": 3}}
    assert r.confusion == [[0, 0, 0, 1], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]]
    assert any("1 class with no samples (3) and 1 class with no predictions (0)" in n
               for n in r.notes)


def test_macro_average_is_rounded_once() -> None:
    """Recalls 1/3, 2/3, 2/3: the macro recall is fl(5/9) = 0.5555555555555556, where the
    float mean of the three rounded recalls is 0.5555555555555555."""
    y = np.repeat([0, 1, 2], 3)
    pred = np.array([0, 1, 1, 1, 1, 2, 2, 2, 0])
    r = evaluate(y, np.eye(3)[pred], task="multiclass")
    assert r.per_class is not None and r.averages is not None
    assert r.per_class["recall"] == [1 / 3, 2 / 3, 2 / 3]
    assert r.averages["macro"]["recall"] == float(Fraction(5, 9)) == 0.5555555555555556
    assert (1 / 3 + 2 / 3 + 2 / 3) / 3 == 0.5555555555555555  # averaging rounded values


@pytest.mark.parametrize("chunk", [1, 7, N])
def test_the_report_does_not_depend_on_the_chunking(chunk: int) -> None:
    whole = evaluate(MC_Y, MC_P, WEIGHTS, chunk_size=N)
    r = evaluate(MC_Y, MC_P, WEIGHTS, chunk_size=chunk)
    assert (r.per_class, r.averages, r.confusion) == (whole.per_class, whole.averages,
                                                      whole.confusion)


def test_dask_engine_gives_the_same_report(tmp_path: Any) -> None:
    """Partial states merged from partitions: the same numbers, bit for bit."""
    pytest.importorskip("dask", reason="dask (the 'dask' extra)")
    for i, (a, b) in enumerate([(0, 50), (50, 51), (51, N)]):
        np.save(tmp_path / f"y-{i}.npy", MC_Y[a:b])
        np.save(tmp_path / f"p-{i}.npy", MC_P[a:b])
        np.save(tmp_path / f"w-{i}.npy", WEIGHTS[a:b])
    for w in (None, str(tmp_path / "w-*.npy")):
        local = evaluate(MC_Y, MC_P, None if w is None else WEIGHTS, chunk_size=16)
        got = evaluate(str(tmp_path / "y-*.npy"), str(tmp_path / "p-*.npy"), w,
                       chunk_size=16, engine="dask", scheduler="synchronous",
                       partition_rows=16)
        assert got.settings["partitions"] > 3
        assert got.per_class == local.per_class
        assert got.averages == local.averages
        assert got.confusion == local.confusion


def test_json_and_table() -> None:
    r = evaluate(MC_Y, MC_P, top_k=2)
    d = json.loads(r.to_json())
    assert d["per_class"]["f1"] == r.per_class["f1"]  # type: ignore[index]
    assert d["averages"]["macro"]["precision"] == r.averages["macro"]["precision"]  # type: ignore[index]
    assert d["confusion"] == r.confusion
    assert [c["class"] for c in d["curves"]["roc"]["per_class"]] == list(range(C))
    assert d["curves"]["roc"]["auc"] == r.metrics["roc_auc"]
    assert d["curves"]["reliability"]["ece"] == r.metrics["ece"]
    assert d["per_class"]["roc_auc"] == r.per_class["roc_auc"]  # type: ignore[index]
    table = r.format_table()
    lines = {" ".join(line.split()[:2]): line.split() for line in table.splitlines()
             if line.strip()}
    row = table.splitlines()[[ln.split()[:1] for ln in table.splitlines()].index(["0"])]
    assert row.split()[4:] == [f"{r.per_class[k][0]:.4f}"  # type: ignore[index]
                               for k in (*RATIOS, "roc_auc", "pr_auc")]
    macro = r.averages["macro"]  # type: ignore[index]
    assert lines["macro avg"][2:] == [f"{N}"] + [f"{macro[k]:.4f}" for k in RATIOS]
    assert "confusion matrix (rows: true class, columns: predicted class)" in table
    cm_rows = [ln.split() for ln in table.splitlines() if ln.strip().startswith("true ")]
    assert [[int(v.replace(",", "")) for v in row[2:]] for row in cm_rows] == r.confusion
    small = r.format_table(max_classes=3)
    assert "confusion matrix: 5 classes, more than the 3 a table shows" in small


def test_more_classes_than_the_confusion_limit_has_no_counts() -> None:
    from nnmath.evaluate import MAX_CONFUSION_CLASSES

    c = MAX_CONFUSION_CLASSES + 1
    r = evaluate(np.arange(3) % c, np.eye(c)[:3])
    assert r.per_class is None and r.averages is None and r.confusion is None


# -- exactness: a reference in fractions, any chunking --------------------------------------------

def fraction_report(y: np.ndarray, pred: np.ndarray, w: np.ndarray, n: int) -> tuple:
    """Per class and averaged precision/recall/F1 and the confusion matrix, from the
    definitions in fractions (zero_division=0), rounded once at the end."""
    cm = [[Fraction(0)] * n for _ in range(n)]
    for t, p, v in zip(y.tolist(), pred.tolist(), w.tolist(), strict=True):
        cm[t][p] += Fraction(v)
    sup = [sum(cm[i], Fraction(0)) for i in range(n)]
    prd = [sum((cm[i][j] for i in range(n)), Fraction(0)) for j in range(n)]
    hit = [cm[i][i] for i in range(n)]

    def div(a: Fraction, b: Fraction) -> Fraction:
        return a / b if b else Fraction(0)

    prec = [div(hit[i], prd[i]) for i in range(n)]
    rec = [div(hit[i], sup[i]) for i in range(n)]
    f1 = [div(2 * hit[i], sup[i] + prd[i]) for i in range(n)]
    total = sum(sup, Fraction(0))
    macro = [sum(v, Fraction(0)) / n for v in (prec, rec, f1)]
    weighted = [div(sum((s * x for s, x in zip(sup, v, strict=True)), Fraction(0)), total)
                for v in (prec, rec, f1)]
    h, pp = sum(hit, Fraction(0)), sum(prd, Fraction(0))
    micro = [div(h, pp), div(h, total), div(2 * h, total + pp)]

    def as_float(v: list[Fraction]) -> list[float]:
        return [float(x) for x in v]

    return ({"precision": as_float(prec), "recall": as_float(rec), "f1": as_float(f1)},
            {"micro": as_float(micro), "macro": as_float(macro),
             "weighted": as_float(weighted)},
            [as_float(row) for row in cm])


def test_weighted_report_is_exact_for_any_chunking() -> None:
    """Weights of wildly different magnitudes, any chunk size: the per-class ratios, the
    averages and the confusion cells are the fraction-exact values rounded once."""
    hypothesis = pytest.importorskip("hypothesis", reason="hypothesis not installed")
    st = hypothesis.strategies

    @hypothesis.settings(max_examples=25, deadline=None, derandomize=True)
    @hypothesis.given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 60),
                      c=st.integers(2, 6), chunk=st.integers(1, 64),
                      scale=st.sampled_from([1e-300, 1e-3, 1.0, 1e17, 1e300]))
    def check(seed: int, n: int, c: int, chunk: int, scale: float) -> None:
        rng = np.random.default_rng(seed)
        y = rng.integers(0, c, n)
        p = rng.random((n, c))
        w = rng.random(n) * np.where(rng.random(n) < 0.3, scale, 1.0)
        w[0] += 1.0  # some positive weight
        r = evaluate(y, p, w, task="multiclass", chunk_size=chunk)
        per_class, averages, cm = fraction_report(y, np.argmax(p, axis=1), w, c)
        assert r.per_class is not None and r.averages is not None
        assert {k: r.per_class[k] for k in RATIOS} == per_class
        assert {k: [v[x] for x in RATIOS] for k, v in r.averages.items()} == averages
        assert r.confusion == cm

    check()

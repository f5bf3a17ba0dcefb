"""nnmath.evaluate's metrics of probabilities: ROC AUC, PR AUC (exact, or from thresholds
past the bound), ECE and Brier score, and the curves the report carries.

References: scikit-learn (roc_curve, precision_recall_curve, roc_auc_score), the
thresholded AUC of nnmath.metrics (itself tested against Keras's vectors), and counts
written here.
"""
from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nnmath.metrics as M
from nnmath.evaluate import _probs, evaluate

skm = pytest.importorskip("sklearn.metrics")

RNG = np.random.default_rng(2026)
N = 400
Y = RNG.integers(0, 2, N)
P = np.round(np.clip(RNG.random(N) * 0.8 + 0.2 * Y, 0, 1), 2)  # ties on a grid of 0.01


def _without_timing(r: Any) -> dict[str, Any]:
    d = r.to_dict()
    d.pop("seconds")
    d["settings"].pop("chunk_size", None)
    for k in ("engine", "partitions", "scheduler", "workers"):
        d["settings"].pop(k, None)
    return d


def test_binary_curves_are_scikit_learns() -> None:
    r = evaluate(Y, P)
    assert r.curves is not None
    fpr, tpr, _ = skm.roc_curve(Y, P, drop_intermediate=False)
    assert r.curves["roc"]["fpr"] == fpr.tolist() and r.curves["roc"]["tpr"] == tpr.tolist()
    precision, recall, _ = skm.precision_recall_curve(Y, P)
    assert r.curves["pr"]["precision"] == precision.tolist()
    assert r.curves["pr"]["recall"] == recall.tolist()
    assert r.curves["pr"]["prevalence"] == Y.mean()
    assert r.metrics["roc_auc"] == pytest.approx(skm.roc_auc_score(Y, P), rel=1e-12)
    assert r.metrics["pr_auc"] == pytest.approx(skm.average_precision_score(Y, P), rel=1e-12)
    # the reliability diagram: 15 equal-width bins of p, by hand
    rel = r.curves["reliability"]
    bins = np.array([min(math.floor(Fraction(v) * 15), 14) for v in P.tolist()])
    for b in range(15):
        inside = bins == b
        assert rel["mass"][b] == inside.sum()
        if inside.any():
            assert rel["confidence"][b] == pytest.approx(P[inside].mean(), rel=1e-12)
            assert rel["accuracy"][b] == pytest.approx(Y[inside].mean(), rel=1e-12)
        else:
            assert math.isnan(rel["confidence"][b]) and math.isnan(rel["accuracy"][b])
    assert rel["ece"] == r.metrics["ece"]
    assert r.settings["roc_auc"] == "exact" and "average precision" in r.settings["pr_auc"]


def test_long_curves_are_thinned_along_their_length() -> None:
    n = 20_000
    y = RNG.integers(0, 2, n)
    p = RNG.random(n)
    r = evaluate(y, p)
    assert r.curves is not None
    fpr, tpr, _ = skm.roc_curve(y, p, drop_intermediate=False)
    x, v = r.curves["roc"]["fpr"], r.curves["roc"]["tpr"]
    assert len(x) <= _probs.CURVE_POINTS + 2
    assert (x[0], v[0]) == (0.0, 0.0) and (x[-1], v[-1]) == (1.0, 1.0)
    exact = set(zip(fpr.tolist(), tpr.tolist(), strict=True))
    assert all(pt in exact for pt in zip(x, v, strict=True))  # a subset of the points
    step = np.abs(np.diff(x)) + np.abs(np.diff(v))
    assert step.max() < 5 * 2 / _probs.CURVE_POINTS  # spread along the curve
    # the areas come from every point
    assert r.metrics["roc_auc"] == pytest.approx(skm.roc_auc_score(y, p), rel=1e-12)


@pytest.fixture
def small_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """An exact AUC that keeps at most 64 distinct scores per label (4096 is the floor:
    lowered here with it)."""
    monkeypatch.setattr(_probs, "AUC_MAX_DISTINCT", 64)
    monkeypatch.setattr(_probs, "_per_label", lambda labels: max(64 // labels, 8))


def test_fallback_to_thresholds_is_reported_and_equals_a_thresholded_auc(
        small_bound: None) -> None:
    y = RNG.integers(0, 2, 500)
    p = RNG.random(500)  # float64: the thresholded AUC compares in float64 as well
    reports = [evaluate(y, p, chunk_size=k) for k in (7, 100, 500)]
    peer = {curve: M.AUC(num_thresholds=1001, curve=curve) for curve in ("ROC", "PR")}
    for m in peer.values():
        m.update_state(y, p)
    for r in reports:
        assert r.metrics["roc_auc"] == peer["ROC"].result()
        assert r.metrics["pr_auc"] == peer["PR"].result()
        assert r.settings["roc_auc"] == "1001 thresholds"
        assert any("from 1001 thresholds" in n and "more than 64 distinct" in n
                   for n in r.notes)
        assert len(r.curves["roc"]["fpr"]) == 1001
        assert _without_timing(r) == _without_timing(reports[0])


def test_fallback_on_a_dask_cluster_is_the_local_report(small_bound: None,
                                                        tmp_path: Path) -> None:
    pytest.importorskip("dask", reason="the dask extra")
    rng = np.random.default_rng(5)
    for i in range(3):
        y = rng.integers(0, 3, 90)
        z = rng.normal(size=(90, 3)).astype(np.float32)
        np.save(tmp_path / f"y-{i}.npy", y)
        np.save(tmp_path / f"z-{i}.npy", z)
    args = (str(tmp_path / "y-*.npy"), str(tmp_path / "z-*.npy"))
    local = evaluate(*args, from_logits=True, chunk_size=16)
    dask = evaluate(*args, from_logits=True, chunk_size=16, engine="dask",
                    scheduler="synchronous", partition_rows=16)
    assert any("from 1001 thresholds" in n for n in local.notes)
    a, b = _without_timing(dask), _without_timing(local)
    assert {k: v for k, v in a.items() if a[k] != b[k]} == {}


def test_multiclass_auc_is_one_vs_rest_of_softmax_rows() -> None:
    y = RNG.integers(0, 4, 300)
    z = RNG.normal(size=(300, 4)).astype(np.float32)
    z[np.arange(300), y] += 1.0
    r = evaluate(y, z, from_logits=True)
    wide = z.astype(np.float64)
    p = np.exp(wide - wide.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    assert r.metrics["roc_auc"] == pytest.approx(
        skm.roc_auc_score(y, p, multi_class="ovr", average="macro"), rel=1e-12)
    per = [skm.average_precision_score(y == c, p[:, c]) for c in range(4)]
    assert r.per_class is not None
    assert r.per_class["pr_auc"] == pytest.approx(per, rel=1e-12)
    assert r.metrics["brier_score"] == pytest.approx(
        skm.brier_score_loss(y, p, labels=range(4)), rel=1e-6)  # float32 softmax rows
    assert "one-vs-rest" in r.settings["roc_auc"]


def test_auc_modes_and_no_calibration() -> None:
    thr = evaluate(Y, P, auc="thresholds")
    peer = M.AUC(num_thresholds=1001)
    peer.update_state(Y, P)
    assert thr.metrics["roc_auc"] == peer.result()
    assert thr.settings["roc_auc"] == "1001 thresholds"
    assert not any("thresholds:" in n for n in thr.notes)  # asked for: no fallback note
    none = evaluate(Y, P, auc="none", calibration=False)
    assert not {"roc_auc", "pr_auc", "ece", "brier_score"} & set(none.metrics)
    assert none.curves is None
    only = evaluate(Y, P, auc="none")
    assert list(only.metrics)[-2:] == ["ece", "brier_score"] and "roc" not in only.curves


def test_option_errors() -> None:
    with pytest.raises(ValueError, match=r"auc \(--auc\) must be one of exact, thresholds, "
                                         r"none, got 'roc'"):
        evaluate(Y, P, auc="roc")
    with pytest.raises(TypeError, match=r"calibration \(--no-calibration\) must be True or "
                                        "False"):
        evaluate(Y, P, calibration="yes")


def test_a_label_of_one_class_has_no_auc() -> None:
    r = evaluate(np.zeros(10, int), np.linspace(0, 1, 10))
    assert math.isnan(r.metrics["roc_auc"]) and math.isnan(r.metrics["pr_auc"])
    assert json.loads(r.to_json())["metrics"]["roc_auc"] is None
    assert any("all of one class" in n for n in r.notes)
    assert "n/a" in r.format_table()


def test_areas_are_skipped_above_1024_classes_with_a_note() -> None:
    c = 1025
    y = np.arange(2 * c) % c
    r = evaluate(y, np.eye(c)[y] * 0.9 + 0.1 / c)
    assert "roc_auc" not in r.metrics and "ece" in r.metrics
    assert any("skipped above 1024 classes" in n for n in r.notes)

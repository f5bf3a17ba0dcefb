"""Conformance with Keras 3 on vectors produced by running Keras itself.

The vectors come from ``tools/generate_keras_metric_vectors.py`` (Keras 3.15, numpy
backend, float32). Decisions (hits) must agree exactly; streaming results must equal
Keras's float32 result exactly where Keras's float32 totals are exact (unweighted
counts), and to float32 accuracy where Keras sums float32 weights or losses.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nnmath.metrics as M

DATA = Path(__file__).parent / "data"
META = json.loads((DATA / "keras_metrics.json").read_text())
with np.load(DATA / "keras_metrics.npz", allow_pickle=False) as _npz:
    ARR = {k: _npz[k] for k in _npz.files}

# float32 accumulation in Keras: a few ulps of float32 per batch
F32_RTOL = 1e-6


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [c["id"] for c in cases]


def test_vectors_were_made_by_keras_3_with_the_numpy_backend() -> None:
    assert META["keras_version"].startswith("3.")
    assert META["backend"] == "numpy"
    assert META["floatx"] == "float32"
    fns = {c["fn"] for c in META["functions"]}
    assert fns == {"accuracy", "binary_accuracy", "categorical_accuracy",
                   "sparse_categorical_accuracy", "top_k_categorical_accuracy",
                   "sparse_top_k_categorical_accuracy"}
    metrics = {c["metric"] for c in META["streaming"]}
    assert len(metrics) == 14
    assert {c["weights"] for c in META["streaming"]} == {None, "per_sample", "column", "scalar"}


@pytest.mark.parametrize("case", META["functions"], ids=_ids(META["functions"]))
def test_functions_agree_with_keras_exactly(case: dict[str, Any]) -> None:
    cid = case["id"]
    fn = getattr(M, case["fn"])
    got = fn(ARR[f"{cid}__y_true"], ARR[f"{cid}__y_pred"], **case["kwargs"])
    want = ARR[f"{cid}__out"]
    # nnmath returns one value per sample, (N,), where Keras's sparse top-k keeps an
    # (N, 1) label column's shape: the values must agree, element for element
    assert np.asarray(got).size == want.size
    np.testing.assert_array_equal(np.ravel(got), np.ravel(want))


def _replay(case: dict[str, Any]) -> tuple[list[float], list[M.Metric]]:
    cid = case["id"]
    metric = getattr(M, case["metric"])(**case["kwargs"])
    results = []
    for b in range(case["batches"]):
        sw_key = f"{cid}__b{b}__sample_weight"
        metric.update_state(ARR[f"{cid}__b{b}__y_true"], ARR[f"{cid}__b{b}__y_pred"],
                            sample_weight=ARR[sw_key] if sw_key in ARR else None)
        results.append(metric.result())
    return results, [metric]


ACCURACIES = [c for c in META["streaming"] if "Accuracy" in c["metric"]]
LOSSES = [c for c in META["streaming"] if "Accuracy" not in c["metric"]]


@pytest.mark.parametrize("case", ACCURACIES, ids=_ids(ACCURACIES))
def test_streaming_accuracies_agree_with_keras(case: dict[str, Any]) -> None:
    results, _ = _replay(case)
    want = ARR[f"{case['id']}__result"]
    assert all(isinstance(r, float) for r in results)
    elementwise = case["metric"] in ("Accuracy", "BinaryAccuracy")
    one_value_per_sample = not elementwise or ARR[f"{case['id']}__b0__y_pred"].shape[1:] in (
        (), (1,))
    if case["weights"] is None and one_value_per_sample:
        # small integer counts are exact in float32: Keras's result is our result rounded
        # (with several values per sample Keras averages them in float32 first, inexactly)
        np.testing.assert_array_equal(np.asarray(results, dtype=np.float32), want)
    else:
        np.testing.assert_allclose(results, want, rtol=F32_RTOL, atol=0)


@pytest.mark.parametrize("case", LOSSES, ids=_ids(LOSSES))
def test_streaming_loss_metrics_agree_with_keras(case: dict[str, Any]) -> None:
    results, _ = _replay(case)
    want = ARR[f"{case['id']}__result"]
    np.testing.assert_allclose(results, want, rtol=F32_RTOL, atol=0)


@pytest.mark.parametrize("case", META["streaming"], ids=_ids(META["streaming"]))
def test_counts_follow_keras_weighting(case: dict[str, Any]) -> None:
    """The denominator (``count``) is Keras's: samples, Σ w, or one per scalar-weighted batch."""
    cid = case["id"]
    metric = getattr(M, case["metric"])(**case["kwargs"])
    for b in range(case["batches"]):
        sw_key = f"{cid}__b{b}__sample_weight"
        metric.update_state(ARR[f"{cid}__b{b}__y_true"], ARR[f"{cid}__b{b}__y_pred"],
                            sample_weight=ARR[sw_key] if sw_key in ARR else None)
        count = float(M.Metric.from_state(metric.get_state())._count)  # type: ignore[attr-defined]
        np.testing.assert_allclose(count, ARR[f"{cid}__count"][b], rtol=1e-6)


@pytest.mark.parametrize("case", META["compile"],
                         ids=[f"{c['y_true']}-{c['y_pred']}" for c in META["compile"]])
def test_get_accuracy_resolves_like_keras_compile(case: dict[str, Any]) -> None:
    yt, yp = np.zeros(case["y_true"]), np.zeros(case["y_pred"])
    metric = M.get("accuracy", y_true=yt, y_pred=yp)
    assert type(metric).__name__ == case["accuracy"]
    assert metric.name == "accuracy"
    assert M.resolve_crossentropy(yt, yp) == case["crossentropy"]
    assert type(M.get("crossentropy", y_true=yt, y_pred=yp)).__name__ == {
        "binary_crossentropy": "BinaryCrossentropy",
        "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
        "categorical_crossentropy": "CategoricalCrossentropy",
    }[case["crossentropy"]]


def test_keras_one_d_case_is_a_single_sample_per_batch() -> None:
    """Keras's 1-D/1-D surprise: categorical accuracy over the whole vector."""
    one_d = [c for c in META["functions"] if "one_d" in c["tags"]]
    assert len(one_d) == 2
    outs = [float(ARR[f"{c['id']}__out"]) for c in one_d]
    assert outs == [1.0, 0.0]
    m = M.get("accuracy", y_true=np.zeros(4), y_pred=np.zeros(4))
    m.update_state(ARR[f"{one_d[0]['id']}__y_true"], ARR[f"{one_d[0]['id']}__y_pred"])
    m.update_state(ARR[f"{one_d[1]['id']}__y_true"], ARR[f"{one_d[1]['id']}__y_pred"])
    assert m.result() == 0.5  # two batches, two "samples"

#!/usr/bin/env python
"""Generate the Keras 3 reference vectors of the thresholded metrics, AUC and IoU, which
``tests/test_metrics_thresholds.py``, ``tests/test_metrics_auc.py`` and
``tests/test_metrics_iou.py`` check.

Usage::

    pip install keras               # a test-time tool only, not an nnmath dependency
    python tools/generate_keras_threshold_vectors.py [--out tests/data]

Everything runs through Keras itself with ``KERAS_BACKEND=numpy`` (set here when the
environment does not choose a backend), in Keras's default float32. Each case is a
``keras.metrics.<Class>(**kwargs)`` updated with three batches (random scores, scores
tied on a coarse grid, scores exactly at Keras's thresholds; no weights, one weight per
sample, an ``(N, 1)`` column, or a scalar), recording ``result()`` after every batch.

Outputs (deterministic, fixed seeds, well under 1 MB):

* ``keras_thresholds.npz`` — ``<id>__b<i>__y_true`` / ``__y_pred`` / ``__sample_weight``
  and ``<id>__result`` (one row per batch, float64 holding Keras's float32 values);
* ``keras_thresholds.json`` — the cases (``id``, ``metric``, ``kwargs``, ``weights``,
  ``data``, ``batches``) and the Keras version.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "numpy")

F32 = np.float32
N = 16

Batch = tuple[np.ndarray, np.ndarray]


def data_makers(rng: np.random.Generator) -> dict[str, Callable[[], Batch]]:
    def labels(shape: tuple[int, ...]) -> np.ndarray:
        return rng.integers(0, 2, shape).astype(F32)

    def random(shape: tuple[int, ...] = (N, 1)) -> Batch:
        return labels(shape), rng.random(shape).astype(F32)

    def tied(shape: tuple[int, ...] = (N, 1)) -> Batch:
        return labels(shape), (rng.integers(0, 5, shape) / 4).astype(F32)

    def at_auc_thresholds(shape: tuple[int, ...] = (N, 1), t: int = 200) -> Batch:
        # exactly Keras's float32 thresholds i / (T - 1), and the ends 0 and 1
        return labels(shape), (rng.integers(0, t, shape) / (t - 1)).astype(F32)

    def classes(c: int = 5) -> Batch:
        return np.eye(c, dtype=F32)[rng.integers(0, c, N)], rng.random((N, c)).astype(F32)

    def logits(shape: tuple[int, ...] = (N, 1)) -> Batch:
        return labels(shape), rng.normal(0, 2, shape).astype(F32)

    def sparse3() -> Batch:
        return rng.integers(0, 3, N).astype(np.int32), rng.integers(0, 3, N).astype(np.int32)

    def onehot3() -> Batch:
        return (np.eye(3, dtype=F32)[rng.integers(0, 3, N)], rng.random((N, 3)).astype(F32))

    def binary_iou() -> Batch:
        return rng.integers(0, 2, N).astype(np.int32), rng.random(N).astype(F32)

    def every_auc_threshold() -> Batch:
        # every float32 threshold k / 199 once, all positive: shows how Keras bins them
        return np.ones((200, 1), dtype=F32), (np.arange(200) / 199).astype(F32)[:, None]

    return {
        "every_threshold": every_auc_threshold,
        "random": random, "tied": tied, "at_thresholds": at_auc_thresholds,
        "at_thresholds_3": lambda: at_auc_thresholds(t=3),
        "random_flat": lambda: random((N,)), "random_multi": lambda: random((N, 3)),
        "tied_multi": lambda: tied((N, 3)), "classes": classes, "logits": logits,
        "sparse3": sparse3, "onehot3": onehot3, "binary_iou": binary_iou,
    }


CASES: list[tuple[str, dict[str, Any], str, tuple[str | None, ...]]] = []


def case(metric: str, data: str, weights: tuple[str | None, ...] = (None, "per_sample"),
         **kwargs: Any) -> None:
    CASES.append((metric, kwargs, data, weights))


ALL_W: tuple[str | None, ...] = (None, "per_sample", "column", "scalar")
for _cls in ("TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives"):
    case(_cls, "random", ALL_W)
    case(_cls, "tied", ALL_W, thresholds=[0.25, 0.5, 0.75])
    case(_cls, "tied", (None, "per_sample"), thresholds=[0.0, 0.25, 0.5, 0.75, 1.0])
    case(_cls, "random_multi", (None, "per_sample"), thresholds=[0.75, 0.1])
for _cls in ("Precision", "Recall"):
    case(_cls, "random", ALL_W)
    case(_cls, "tied", ALL_W)
    case(_cls, "tied", (None,), thresholds=[0.25, 0.5, 0.75])
    case(_cls, "random_multi", (None, "per_sample"), thresholds=[0.2, 0.6])
    case(_cls, "classes", (None, "per_sample"), top_k=2)
    case(_cls, "classes", (None,), class_id=1)
    case(_cls, "classes", (None,), top_k=3, class_id=2)
    case(_cls, "classes", (None,), top_k=2, thresholds=0.3)
for _cls, _arg in (("PrecisionAtRecall", "recall"), ("RecallAtPrecision", "precision"),
                   ("SensitivityAtSpecificity", "specificity"),
                   ("SpecificityAtSensitivity", "sensitivity")):
    case(_cls, "random", ALL_W, **{_arg: 0.5})
    case(_cls, "tied", (None, "per_sample"), **{_arg: 0.8})
    case(_cls, "random", (None,), num_thresholds=3, **{_arg: 0.5})
    case(_cls, "classes", (None,), class_id=3, **{_arg: 0.6})
for _curve in ("ROC", "PR"):
    for _sum in ("interpolation", "minoring", "majoring"):
        case("AUC", "random", ALL_W, curve=_curve, summation_method=_sum)
    case("AUC", "tied", ALL_W, curve=_curve)
    case("AUC", "at_thresholds", (None, "per_sample"), curve=_curve)
    case("AUC", "at_thresholds_3", (None,), curve=_curve, num_thresholds=3)
    case("AUC", "random", (None,), curve=_curve, num_thresholds=10)
    case("AUC", "tied", (None, "per_sample"), curve=_curve, thresholds=[0.3, 0.5, 0.7])
    case("AUC", "random_multi", (None, "per_sample"), curve=_curve, multi_label=True)
    case("AUC", "tied_multi", (None,), curve=_curve, multi_label=True, num_labels=3,
         label_weights=[0.5, 1.0, 2.0])
    case("AUC", "random_multi", (None, "per_sample"), curve=_curve,
         label_weights=[0.5, 1.0, 2.0])
    case("AUC", "logits", (None,), curve=_curve, from_logits=True)
    case("AUC", "random_flat", (None, "per_sample"), curve=_curve)
# the scores that Keras's float32 bucket arithmetic places above their own threshold
case("TruePositives", "every_threshold", (None,), thresholds=[i / 199 for i in range(200)])
case("AUC", "every_threshold", (None,))
case("IoU", "sparse3", (None, "int_per_sample"), num_classes=3, target_class_ids=[0, 2])
case("IoU", "sparse3", (None,), num_classes=3, target_class_ids=[1], ignore_class=0)
case("MeanIoU", "sparse3", (None, "int_per_sample"), num_classes=3)
case("MeanIoU", "onehot3", (None,), num_classes=3, sparse_y_true=False, sparse_y_pred=False)
case("BinaryIoU", "binary_iou", (None, "int_per_sample"))
case("BinaryIoU", "binary_iou", (None,), target_class_ids=[1], threshold=0.3)
case("OneHotIoU", "onehot3", (None, "int_per_sample"), num_classes=3, target_class_ids=[0, 1])
case("OneHotMeanIoU", "onehot3", (None,), num_classes=3)


def run(out: Path) -> None:
    import keras

    rng = np.random.default_rng(20261207)
    makers = data_makers(rng)
    arrays: dict[str, np.ndarray] = {}
    meta: dict[str, Any] = {"generator": "tools/generate_keras_threshold_vectors.py",
                            "keras_version": keras.__version__,
                            "backend": keras.backend.backend(),
                            "floatx": keras.config.floatx(), "cases": []}
    i = 0
    for metric_name, kwargs, data, weight_kinds in CASES:
        for weights in weight_kinds:
            cid = f"c{i:03d}_{metric_name}"
            i += 1
            metric = getattr(keras.metrics, metric_name)(**kwargs)
            results = []
            for b in range(3):
                y_true, y_pred = makers[data]()
                n = y_pred.shape[0]
                batch: dict[str, np.ndarray] = {"y_true": y_true, "y_pred": y_pred}
                if weights == "per_sample":
                    batch["sample_weight"] = rng.choice([0.0, 0.5, 1.0, 2.5, 0.1], n).astype(F32)
                elif weights == "int_per_sample":
                    batch["sample_weight"] = rng.integers(0, 4, n).astype(F32)
                elif weights == "column":
                    batch["sample_weight"] = rng.random((n, 1)).astype(F32)
                elif weights == "scalar":
                    batch["sample_weight"] = np.asarray(0.5 + b, dtype=F32)
                for key, value in batch.items():
                    arrays[f"{cid}__b{b}__{key}"] = np.asarray(value)
                metric.update_state(batch["y_true"], batch["y_pred"],
                                    sample_weight=batch.get("sample_weight"))
                results.append(np.asarray(metric.result(), dtype=np.float64))
            arrays[f"{cid}__result"] = np.stack(results)
            meta["cases"].append({"id": cid, "metric": metric_name, "kwargs": kwargs,
                                  "weights": weights, "data": data, "batches": 3})
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / "keras_thresholds.npz", **arrays)
    (out / "keras_thresholds.json").write_text(json.dumps(meta, indent=1) + "\n")
    size = (out / "keras_thresholds.npz").stat().st_size
    print(f"{len(meta['cases'])} cases; keras_thresholds.npz: {size} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent.parent / "tests/data")
    run(parser.parse_args().out)


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""Generate the Keras 3 reference vectors that ``tests/test_metrics_keras.py`` checks.

Usage::

    pip install keras               # a test-time tool only, not an nnmath dependency
    python tools/generate_keras_metric_vectors.py [--out tests/data]

Everything is run through Keras itself with ``KERAS_BACKEND=numpy`` (set here when the
environment does not choose a backend), in Keras's default float32:

* *function* cases: ``keras.metrics.<fn>(y_true, y_pred, **kwargs)``, one value per
  sample (ties, values exactly at the threshold, ``k`` at and beyond the class count);
* *streaming* cases: a ``keras.metrics.<Class>(**kwargs)`` updated with several batches
  (with and without ``sample_weight``: per sample, ``(N, 1)`` and scalar), recording
  ``result()``, ``total`` and ``count`` after every batch;
* *compile* cases: the metric class that ``compile(metrics=["accuracy"])`` and the loss
  that ``compile(loss="crossentropy")`` pick for pairs of shapes.

Outputs (deterministic, fixed seeds, well under 1 MB):

* ``keras_metrics.npz`` — plain arrays: ``<id>__y_true``, ``<id>__y_pred``, ``<id>__out``
  for function cases; ``<id>__b<i>__y_true`` / ``__y_pred`` / ``__sample_weight`` and
  ``<id>__result`` / ``__total`` / ``__count`` for streaming cases;
* ``keras_metrics.json`` — the cases (``id``, ``fn`` or ``metric``, ``kwargs``, ``batches``,
  ``tags``), the compile cases and the Keras version.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "numpy")

F32 = np.float32
N, C = 16, 5


def _onehot(rng: np.random.Generator, n: int = N, c: int = C) -> np.ndarray:
    return np.eye(c, dtype=F32)[rng.integers(0, c, n)]


def _tied_scores(rng: np.random.Generator, n: int = N, c: int = C) -> np.ndarray:
    """Scores on a coarse grid: many ties, including ties for the maximum."""
    return (rng.integers(0, 4, (n, c)) / 4).astype(F32)


def _probs(rng: np.random.Generator, n: int = N, c: int = C) -> np.ndarray:
    return rng.dirichlet(np.ones(c), n).astype(F32)


def function_cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []

    def add(fn: str, y_true: Any, y_pred: Any, tags: tuple[str, ...] = (), **kwargs: Any) -> None:
        cases.append({"fn": fn, "kwargs": kwargs, "tags": list(tags),
                      "y_true": np.asarray(y_true), "y_pred": np.asarray(y_pred)})

    labels = rng.integers(0, 4, N)
    guess = np.where(rng.random(N) < 0.5, labels, rng.integers(0, 4, N))
    add("accuracy", labels.astype(F32), guess.astype(F32))
    add("accuracy", labels[:, None].astype(F32), guess.astype(F32), ("rank_rule",))
    add("accuracy", labels.astype(F32), guess[:, None].astype(F32), ("rank_rule",))
    add("accuracy", rng.integers(0, 2, (N, 3)).astype(F32), rng.integers(0, 2, (N, 3)).astype(F32))

    grid = (rng.integers(0, 5, (N, 1)) / 4).astype(F32)  # 0, .25, .5, .75, 1: at thresholds
    yb = rng.integers(0, 2, (N, 1)).astype(F32)
    for t in (0.5, 0.25, 0.75, 0.0):
        add("binary_accuracy", yb, grid, ("at_threshold",), threshold=t)
    logits = rng.normal(0, 2, (N, 4)).astype(F32)
    add("binary_accuracy", rng.integers(0, 2, (N, 4)).astype(F32), logits, threshold=0.0)
    add("binary_accuracy", rng.integers(0, 2, (N, 4)).astype(F32), rng.random((N, 4)).astype(F32),
        threshold=0.3)
    add("binary_accuracy", yb[:, 0], grid, ("rank_rule",))
    add("binary_accuracy", yb, grid[:, 0], ("rank_rule",))
    # the seed's 2-column softmax example, elementwise
    add("binary_accuracy", [[0.0, 1.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]],
        np.array([[0.4, 0.6], [0.3, 0.7], [0.05, 0.95], [0.33, 0.67]], dtype=F32), ("seed",))

    add("categorical_accuracy", _onehot(rng), _tied_scores(rng), ("ties",))
    add("categorical_accuracy", _onehot(rng), _probs(rng))
    add("categorical_accuracy", np.eye(C, dtype=F32)[rng.integers(0, C, (3, 4))],
        _tied_scores(rng, 12).reshape(3, 4, C), ("rank3", "ties"))
    add("categorical_accuracy", np.array([0, 1, 0, 0], dtype=F32),
        np.array([0.1, 0.7, 0.1, 0.1], dtype=F32), ("one_d",))
    add("categorical_accuracy", np.array([0, 1, 0, 0], dtype=F32),
        np.array([0.4, 0.3, 0.2, 0.1], dtype=F32), ("one_d",))

    add("sparse_categorical_accuracy", rng.integers(0, C, N).astype(F32), _tied_scores(rng),
        ("ties",))
    add("sparse_categorical_accuracy", rng.integers(0, C, (N, 1)).astype(F32), _probs(rng))
    add("sparse_categorical_accuracy", rng.integers(0, C, N).astype(np.int32), _probs(rng))
    add("sparse_categorical_accuracy", rng.integers(0, C, (3, 4)).astype(F32),
        _tied_scores(rng, 12).reshape(3, 4, C), ("rank3", "ties"))

    for k in (1, 2, 3, 5, 7):
        add("top_k_categorical_accuracy", _onehot(rng), _tied_scores(rng), ("ties",), k=k)
        add("sparse_top_k_categorical_accuracy", rng.integers(0, C, N).astype(np.int32),
            _tied_scores(rng), ("ties",), k=k)
    add("top_k_categorical_accuracy", _onehot(rng), _probs(rng), k=2)
    add("top_k_categorical_accuracy", np.eye(C, dtype=F32)[rng.integers(0, C, (3, 4))],
        _tied_scores(rng, 12).reshape(3, 4, C), ("rank3", "ties"), k=2)
    add("sparse_top_k_categorical_accuracy", rng.integers(0, C, (N, 1)).astype(np.int32),
        _probs(rng), ("label_column",), k=2)
    ids = np.argsort(-rng.random((N, C)), axis=1).astype(F32)
    for k in (1, 2, 4):
        add("sparse_top_k_categorical_accuracy", rng.integers(0, C, N).astype(F32), ids,
            ("sorted_ids",), k=k, from_sorted_ids=True)
    return cases


def streaming_cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []

    def add(metric: str, make: Any, weights: str | None = None, tags: tuple[str, ...] = (),
            **kwargs: Any) -> None:
        batches = []
        for b in range(3):
            y_true, y_pred = make()
            n = y_pred.shape[0]
            batch = {"y_true": y_true, "y_pred": y_pred}
            if weights == "per_sample":
                batch["sample_weight"] = rng.choice([0.0, 0.5, 1.0, 2.5], n).astype(F32)
            elif weights == "column":
                batch["sample_weight"] = rng.random((n, 1)).astype(F32)
            elif weights == "scalar":
                batch["sample_weight"] = np.asarray(0.5 + b, dtype=F32)
            batches.append(batch)
        cases.append({"metric": metric, "kwargs": kwargs, "weights": weights,
                      "tags": list(tags), "batches": batches})

    def binary() -> tuple[np.ndarray, np.ndarray]:
        return rng.integers(0, 2, (N, 1)).astype(F32), (rng.integers(0, 5, (N, 1)) / 4).astype(F32)

    def multi_binary() -> tuple[np.ndarray, np.ndarray]:
        return rng.integers(0, 2, (N, 3)).astype(F32), rng.random((N, 3)).astype(F32)

    def cat() -> tuple[np.ndarray, np.ndarray]:
        return _onehot(rng), _tied_scores(rng)

    def sparse() -> tuple[np.ndarray, np.ndarray]:
        return rng.integers(0, C, N).astype(np.int32), _tied_scores(rng)

    def equal() -> tuple[np.ndarray, np.ndarray]:
        a = rng.integers(0, 3, (N, 1)).astype(F32)
        return a, np.where(rng.random((N, 1)) < 0.6, a, rng.integers(0, 3, (N, 1))).astype(F32)

    def bce() -> tuple[np.ndarray, np.ndarray]:
        return rng.integers(0, 2, (N, 3)).astype(F32), rng.uniform(0.02, 0.98, (N, 3)).astype(F32)

    def bce_logits() -> tuple[np.ndarray, np.ndarray]:
        return rng.integers(0, 2, (N, 3)).astype(F32), rng.normal(0, 2, (N, 3)).astype(F32)

    def cce() -> tuple[np.ndarray, np.ndarray]:
        return _onehot(rng), _probs(rng)

    def cce_logits() -> tuple[np.ndarray, np.ndarray]:
        return _onehot(rng), rng.normal(0, 2, (N, C)).astype(F32)

    def scce() -> tuple[np.ndarray, np.ndarray]:
        return rng.integers(0, C, N).astype(np.int32), _probs(rng)

    def kld() -> tuple[np.ndarray, np.ndarray]:
        return _probs(rng), _probs(rng)

    def poisson() -> tuple[np.ndarray, np.ndarray]:
        return rng.poisson(2.0, (N, 3)).astype(F32), rng.uniform(0.5, 4, (N, 3)).astype(F32)

    def hinge() -> tuple[np.ndarray, np.ndarray]:
        return rng.choice([-1.0, 1.0], (N, 3)).astype(F32), rng.normal(0, 1.5, (N, 3)).astype(F32)

    def cat_hinge() -> tuple[np.ndarray, np.ndarray]:
        return _onehot(rng), rng.normal(0, 1.5, (N, C)).astype(F32)

    for w in (None, "per_sample", "column", "scalar"):
        add("Accuracy", equal, w)
        add("BinaryAccuracy", binary, w)
        add("BinaryAccuracy", multi_binary, w, threshold=0.3)
        add("CategoricalAccuracy", cat, w)
        add("SparseCategoricalAccuracy", sparse, w)
        add("TopKCategoricalAccuracy", cat, w, k=2)
        add("SparseTopKCategoricalAccuracy", sparse, w, k=3)
    for w in (None, "per_sample", "scalar"):
        add("BinaryCrossentropy", bce, w)
        add("BinaryCrossentropy", bce_logits, w, from_logits=True, label_smoothing=0.1)
        add("CategoricalCrossentropy", cce, w)
        add("CategoricalCrossentropy", cce_logits, w, from_logits=True, label_smoothing=0.2)
        add("SparseCategoricalCrossentropy", scce, w)
        add("SparseCategoricalCrossentropy", lambda: (sparse()[0], cce_logits()[1]), w,
            from_logits=True)
        add("KLDivergence", kld, w)
        add("Poisson", poisson, w)
        add("Hinge", hinge, w)
        add("SquaredHinge", hinge, w)
        add("CategoricalHinge", cat_hinge, w)
    return cases


COMPILE_SHAPES = [
    ((8,), (8,)),  # the surprising 1-D/1-D case: categorical
    ((8,), (8, 1)),
    ((8, 1), (8, 1)),
    ((8,), (8, 5)),
    ((8, 1), (8, 5)),
    ((8, 5), (8, 5)),
    ((8, 2), (8, 2)),
    ((4, 6), (4, 6, 5)),
    ((4, 6, 1), (4, 6, 5)),
    ((4, 6, 5), (4, 6, 5)),
    ((1,), (1,)),
]


def run(out: Path) -> None:
    import keras
    from keras.src.metrics import accuracy_metrics  # keras.metrics lacks `accuracy`
    from keras.src.trainers import compile_utils

    rng = np.random.default_rng(20240611)
    arrays: dict[str, np.ndarray] = {}
    meta: dict[str, Any] = {"generator": "tools/generate_keras_metric_vectors.py",
                            "keras_version": keras.__version__,
                            "backend": keras.backend.backend(),
                            "floatx": keras.config.floatx(),
                            "functions": [], "streaming": [], "compile": []}
    for i, case in enumerate(function_cases(rng)):
        cid = f"f{i:03d}_{case['fn']}"
        fn = getattr(accuracy_metrics, case["fn"])
        result = np.asarray(fn(case["y_true"], case["y_pred"], **case["kwargs"]))
        arrays[f"{cid}__y_true"] = case["y_true"]
        arrays[f"{cid}__y_pred"] = case["y_pred"]
        arrays[f"{cid}__out"] = result
        meta["functions"].append({"id": cid, "fn": case["fn"], "kwargs": case["kwargs"],
                                  "tags": case["tags"]})
    for i, case in enumerate(streaming_cases(rng)):
        cid = f"s{i:03d}_{case['metric']}"
        metric = getattr(keras.metrics, case["metric"])(**case["kwargs"])
        results, totals, counts = [], [], []
        for b, batch in enumerate(case["batches"]):
            for key, value in batch.items():
                arrays[f"{cid}__b{b}__{key}"] = np.asarray(value)
            metric.update_state(batch["y_true"], batch["y_pred"],
                                sample_weight=batch.get("sample_weight"))
            results.append(float(np.asarray(metric.result())))
            totals.append(float(np.asarray(metric.total.value)))
            counts.append(float(np.asarray(metric.count.value)))
        arrays[f"{cid}__result"] = np.asarray(results, dtype=F32)
        arrays[f"{cid}__total"] = np.asarray(totals, dtype=F32)
        arrays[f"{cid}__count"] = np.asarray(counts, dtype=F32)
        meta["streaming"].append({"id": cid, "metric": case["metric"], "kwargs": case["kwargs"],
                                  "weights": case["weights"], "batches": len(case["batches"]),
                                  "tags": case["tags"]})
    for t_shape, p_shape in COMPILE_SHAPES:
        yt, yp = np.zeros(t_shape, F32), np.zeros(p_shape, F32)
        acc = compile_utils.get_metric("accuracy", yt, yp)
        loss = compile_utils.get_loss("crossentropy", yt, yp)
        meta["compile"].append({"y_true": list(t_shape), "y_pred": list(p_shape),
                                "accuracy": type(acc).__name__,
                                "crossentropy": getattr(loss, "fn", loss).__name__})
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / "keras_metrics.npz", **arrays)
    (out / "keras_metrics.json").write_text(json.dumps(meta, indent=1) + "\n")
    size = (out / "keras_metrics.npz").stat().st_size
    print(f"{len(meta['functions'])} function cases, {len(meta['streaming'])} streaming cases, "
          f"{len(meta['compile'])} compile cases; keras_metrics.npz: {size} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent.parent / "tests/data")
    run(parser.parse_args().out)


if __name__ == "__main__":
    main()

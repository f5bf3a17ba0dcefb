#!/usr/bin/env python
"""Generate the Keras 3 reference vectors that ``tests/test_metrics_fscores.py`` checks.

Usage::

    pip install keras jax           # test-time tools only, not nnmath dependencies
    python tools/generate_keras_fscore_vectors.py [--out tests/data]

Runs ``keras.metrics.F1Score`` and ``keras.metrics.FBetaScore`` themselves with
``KERAS_BACKEND=numpy`` (set here when the environment does not choose a backend), in
Keras's default float32: each case updates a fresh metric with three batches of multi-hot
targets and scores (random probabilities; scores on a coarse grid, so that rows tie for
their maximum and some rows are all zero; per-sample weights; weights so small that
Keras's epsilon dominates), and records ``result()`` after every batch.

Outputs (deterministic, fixed seed):

* ``keras_fscores.npz`` — ``<id>__b<i>__y_true`` / ``__y_pred`` / ``__sample_weight`` and
  ``<id>__result`` (one row per batch: a scalar, or the C per-class scores);
* ``keras_fscores.json`` — the cases (``id``, ``metric``, ``kwargs``, ``weights``,
  ``tags``, ``batches``) and the Keras version.
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
N, C = 12, 4


def _multi_hot(rng: np.random.Generator, n: int = N, c: int = C) -> np.ndarray:
    return (rng.random((n, c)) < 0.4).astype(F32)


def _probs(rng: np.random.Generator, n: int = N, c: int = C) -> np.ndarray:
    return rng.random((n, c)).astype(F32)


def _tied(rng: np.random.Generator, n: int = N, c: int = C) -> np.ndarray:
    """Scores in {0, 0.25, 0.5, 0.75, 1}: ties for the maximum, values at the thresholds,
    and an all-zero row."""
    s = (rng.integers(0, 5, (n, c)) / 4).astype(F32)
    s[0] = 0.0
    return s


def cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def add(metric: str, scores: str, weights: str | None, tags: tuple[str, ...] = (),
            **kwargs: Any) -> None:
        batches = []
        for _ in range(3):
            batch: dict[str, np.ndarray] = {
                "y_true": _multi_hot(rng),
                "y_pred": _probs(rng) if scores == "random" else _tied(rng),
            }
            if weights == "per_sample":
                batch["sample_weight"] = rng.choice([0.0, 0.5, 1.0, 2.5], N).astype(F32)
            elif weights == "random":
                batch["sample_weight"] = rng.random(N).astype(F32)
            elif weights == "tiny":
                batch["sample_weight"] = np.full(N, 1e-7, dtype=F32)
            batches.append(batch)
        out.append({"metric": metric, "kwargs": kwargs, "weights": weights,
                    "tags": [scores, *tags], "batches": batches})

    for average in (None, "micro", "macro", "weighted"):
        for scores in ("random", "tied"):
            for weights in (None, "per_sample", "random"):
                add("F1Score", scores, weights, average=average)
                add("F1Score", scores, weights, average=average, threshold=0.5)
            add("FBetaScore", scores, None, average=average, beta=2.0)
            add("FBetaScore", scores, "per_sample", average=average, beta=0.5, threshold=0.25)
            add("FBetaScore", scores, None, average=average, beta=1.5, threshold=1.0)
        add("F1Score", "random", "tiny", ("epsilon",), average=average, threshold=0.5)
    return out


def run(out: Path) -> None:
    import keras

    rng = np.random.default_rng(20261207)
    arrays: dict[str, np.ndarray] = {}
    meta: dict[str, Any] = {"generator": "tools/generate_keras_fscore_vectors.py",
                            "keras_version": keras.__version__,
                            "backend": keras.backend.backend(),
                            "floatx": keras.config.floatx(), "cases": []}
    for i, case in enumerate(cases(rng)):
        cid = f"c{i:03d}_{case['metric']}"
        metric = getattr(keras.metrics, case["metric"])(**case["kwargs"])
        results = []
        for b, batch in enumerate(case["batches"]):
            for key, value in batch.items():
                arrays[f"{cid}__b{b}__{key}"] = value
            metric.update_state(batch["y_true"], batch["y_pred"],
                                sample_weight=batch.get("sample_weight"))
            results.append(np.asarray(metric.result(), dtype=F32))
        arrays[f"{cid}__result"] = np.stack(results)
        meta["cases"].append({"id": cid, "metric": case["metric"], "kwargs": case["kwargs"],
                              "weights": case["weights"], "tags": case["tags"],
                              "batches": len(case["batches"])})
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / "keras_fscores.npz", **arrays)
    (out / "keras_fscores.json").write_text(json.dumps(meta, indent=1) + "\n")
    size = (out / "keras_fscores.npz").stat().st_size
    print(f"{len(meta['cases'])} cases; keras_fscores.npz: {size} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent.parent / "tests/data")
    run(parser.parse_args().out)


if __name__ == "__main__":
    main()

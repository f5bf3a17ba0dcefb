"""The Keras 3 reference vectors of the thresholded metrics, AUC and IoU, and their replay.

The vectors come from ``tools/generate_keras_threshold_vectors.py`` (Keras 3.15, numpy
backend, float32): each case updates a Keras metric with three batches and records
``result()`` after each.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

import nnmath.metrics as M

DATA = Path(__file__).parent / "data"
META = json.loads((DATA / "keras_thresholds.json").read_text())
with np.load(DATA / "keras_thresholds.npz", allow_pickle=False) as _npz:
    ARR = {k: _npz[k] for k in _npz.files}


def cases(*metrics: str) -> list[dict[str, Any]]:
    return [c for c in META["cases"] if c["metric"] in metrics]


def ids(selected: list[dict[str, Any]]) -> list[str]:
    return [f"{c['id']}-{c['data']}-{c['weights']}" for c in selected]


def batches(case: dict[str, Any]) -> list[tuple[Any, Any, Any]]:
    cid = case["id"]
    out = []
    for b in range(case["batches"]):
        sw = ARR.get(f"{cid}__b{b}__sample_weight")
        out.append((ARR[f"{cid}__b{b}__y_true"], ARR[f"{cid}__b{b}__y_pred"], sw))
    return out


def replay(case: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, M.Metric]:
    """nnmath's results after each batch, Keras's, and the nnmath metric."""
    metric = getattr(M, case["metric"])(**case["kwargs"])
    got = []
    for y_true, y_pred, sw in batches(case):
        metric.update_state(y_true, y_pred, sample_weight=sw)
        got.append(np.asarray(metric.result(), dtype=np.float64))
    return np.stack(got), ARR[f"{case['id']}__result"], metric

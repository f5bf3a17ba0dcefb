#!/usr/bin/env python
"""Time nnmath's F-score, agreement and calibration metrics against their peers.

Usage::

    python benchmarks/bench_classification.py [--n 10000000] [--classes 10] [--repeat 3]

One run, the same data for everyone: integer labels and predictions (and float32 scores
for the calibration), with random weights where weights are timed. For each metric the
best of ``--repeat`` wall times of nnmath and of the peer (scikit-learn's function;
torchmetrics' calibration error, when installed) and the ratio peer / nnmath (> 1: nnmath
is faster). Also ``update_state`` of ``MulticlassF1Score`` against a copy of ``y_pred``.
No assertion: the figures are for reading.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import nnmath.metrics as M


def best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n, c, r = args.n, args.classes, args.repeat
    rng = np.random.default_rng(0)
    y = rng.integers(0, c, n)
    yp = np.where(rng.random(n) < 0.7, y, rng.integers(0, c, n))
    w = rng.random(n)
    yb = rng.integers(0, 2, n)
    p32 = rng.random(n).astype(np.float32)

    rows: list[tuple[str, float, float | None, str]] = []
    copy = best(lambda: yp.copy(), r)
    f1 = best(lambda: M.MulticlassF1Score(c).update_state(y, yp), r)
    rows.append(("MulticlassF1Score.update_state vs a copy of y_pred", f1, copy, "copy"))
    try:
        import sklearn.metrics as sk
    except ImportError:
        sk = None
    pairs: list[tuple[str, Callable[[], Any], Callable[[], Any] | None]] = [
        ("precision_recall_fscore_support (macro)",
         lambda: M.precision_recall_fscore_support(y, yp, average="macro"),
         None if sk is None else
         lambda: sk.precision_recall_fscore_support(y, yp, average="macro")),
        ("precision_recall_fscore_support (weighted samples)",
         lambda: M.precision_recall_fscore_support(y, yp, average="weighted", sample_weight=w),
         None if sk is None else
         lambda: sk.precision_recall_fscore_support(y, yp, average="weighted",
                                                    sample_weight=w)),
        ("matthews_corrcoef", lambda: M.matthews_corrcoef(y, yp),
         None if sk is None else lambda: sk.matthews_corrcoef(y, yp)),
        ("cohen_kappa_score (quadratic)",
         lambda: M.cohen_kappa_score(y, yp, weights="quadratic"),
         None if sk is None else lambda: sk.cohen_kappa_score(y, yp, weights="quadratic")),
        ("balanced_accuracy_score", lambda: M.balanced_accuracy_score(y, yp),
         None if sk is None else lambda: sk.balanced_accuracy_score(y, yp)),
        ("brier_score_loss (float32)", lambda: M.brier_score_loss(yb, p32),
         None if sk is None else lambda: sk.brier_score_loss(yb, p32)),
    ]
    for name, ours, peer in pairs:
        t_ours = best(ours, r)
        t_peer = None if peer is None else best(peer, r)
        rows.append((name, t_ours, t_peer, "scikit-learn"))
    try:
        import torch
        from torchmetrics.functional.classification import binary_calibration_error
    except ImportError:
        torch = None
    t_ece = best(lambda: M.calibration_error(yb, p32, n_bins=15), r)
    t_tm = None
    if torch is not None:
        pt, yt = torch.from_numpy(p32), torch.from_numpy(yb)
        t_tm = best(lambda: binary_calibration_error(pt, yt, n_bins=15), r)
    rows.append(("calibration_error (l1, 15 bins, float32)", t_ece, t_tm, "torchmetrics"))
    t_q = best(lambda: M.calibration_error(yb, p32, n_bins=15, strategy="quantile"), 1)
    rows.append(("calibration_error (equal-mass bins)", t_q, None, "-"))

    print(f"{n:,} samples, {c} classes, best of {r}")
    print(f"{'what':52s} {'nnmath s':>9s} {'peer s':>9s} {'ratio':>7s}  peer")
    for name, ours_t, peer_t, who in rows:
        ratio = "-" if peer_t is None else f"{peer_t / ours_t:.2f}"
        peer_s = "-" if peer_t is None else f"{peer_t:.3f}"
        print(f"{name:52s} {ours_t:9.3f} {peer_s:>9s} {ratio:>7s}  {who}")


if __name__ == "__main__":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        main()

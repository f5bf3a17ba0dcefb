"""How fast the thresholded metrics and the exact AUC update, against a two-thread copy
of ``y_pred`` and the peers, in one run.

The data: N float32 probabilities and N labels (bool), uniform random (so nearly every
score is distinct). Two groups of rows, medians of ``--rounds`` interleaved rounds:

*Thresholded* (``update_state`` of one batch of N; the target: within 2× of the copy):

``copy``                  ``np.copyto`` of ``y_pred`` in two halves on two threads (pinned)
``nnmath <Class>``        ``TruePositives``, ``FalsePositives``, ``Precision``, ``Recall``,
                          ``AUC()`` (200 thresholds) on a fresh metric
``keras-style numpy``     Keras's O(N·T) comparison, ``y_pred > t`` for every threshold
                          (``--keras-style``, on the first 1M scores, scaled to N)
``torchmetrics``          ``BinaryAUROC(thresholds=200)`` update (where installed; on
                          the first 1M scores, scaled to N)
``... one thread``        the copy and ``AUC()`` on one thread (the per-core cost, which a
                          busy machine distorts less)

*Exact AUC* (the target: faster than scikit-learn):

``nnmath roc_auc``        ``nnmath.metrics.roc_auc`` (one update and the result)
``sklearn roc_auc_score`` ``sklearn.metrics.roc_auc_score`` on the same arrays
``torchmetrics``          ``BinaryAUROC(thresholds=None)`` update and compute (where
                          installed; torch with 2 threads)

The exact results are checked against scikit-learn's (1e-12 relative). Usage::

    python benchmarks/metrics_speed.py                        # 10M, prints the tables
    python benchmarks/metrics_speed.py --results benchmarks/METRICS_SPEED.md

Not part of the test suite.
"""

from __future__ import annotations

import os

os.environ.setdefault("NNMATH_PIN_THREADS", "1")

import argparse
import platform
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _common import TwoThreadCopy, measure

import nnmath
import nnmath.metrics as M
from nnmath import _core


def keras_style(y: np.ndarray, p: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Keras's general path: compare every score with every threshold (O(N T))."""
    above = p[None, :] > thresholds[:, None]
    return np.stack([(above & y).sum(axis=1), (above & ~y).sum(axis=1)])


def run(n: int, rounds: int, keras: bool) -> tuple[list[tuple[str, float, str]],
                                                    list[tuple[str, float, str]], str]:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, n).astype(bool)
    p = rng.random(n, dtype=np.float32)
    dst = np.empty_like(p)
    copy = TwoThreadCopy()
    t200 = np.array([-1e-7] + [(i + 1) / 199 for i in range(198)] + [1 + 1e-7], np.float32)

    def update(cls: Callable[[], M.Metric]) -> Callable[[], Any]:
        return lambda: cls().update_state(y, p)

    def one_thread(fn: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> None:
            threads = _core.get_num_threads()
            _core.set_num_threads(1)
            try:
                fn()
            finally:
                _core.set_num_threads(threads)
        return run

    cases: dict[str, Callable[[], Any]] = {
        "copy (two threads)": lambda: copy(dst, p),
        "nnmath TruePositives": update(M.TruePositives),
        "nnmath FalsePositives": update(M.FalsePositives),
        "nnmath Precision": update(M.Precision),
        "nnmath Recall": update(M.Recall),
        "nnmath AUC (200 thresholds)": update(M.AUC),
        "copy (one thread)": lambda: np.copyto(dst, p),
        "nnmath AUC (200 thresholds), one thread": one_thread(update(M.AUC)),
    }
    notes = {k: "" for k in cases}
    if keras:
        m = min(n, 1_000_000)
        cases["keras-style numpy (200 thr.)"] = lambda: keras_style(y[:m], p[:m], t200)
        notes["keras-style numpy (200 thr.)"] = f"on {m:,} scores, scaled to N"
    torch: Any = None
    try:
        import torch
        from torchmetrics.classification import BinaryAUROC

        torch.set_num_threads(2)
        tp_, ty_ = torch.from_numpy(p), torch.from_numpy(y.astype(np.int64))
        m1 = min(n, 1_000_000)

        def tm_thresholded() -> None:
            BinaryAUROC(thresholds=200, validate_args=False).update(tp_[:m1], ty_[:m1])

        cases["torchmetrics BinaryAUROC(200) update"] = tm_thresholded
        notes["torchmetrics BinaryAUROC(200) update"] = f"on {m1:,} scores, scaled to N"
    except ImportError:
        torch = None
    times = measure(cases, n, rounds)
    for key in ("keras-style numpy (200 thr.)", "torchmetrics BinaryAUROC(200) update"):
        if key in times:
            times[key] *= n / min(n, 1_000_000)
    base = times["copy (two threads)"]
    thresholded = [(k, v, notes[k] or f"{v / base:.2f}× the copy") for k, v in times.items()]

    exact: dict[str, Callable[[], Any]] = {"nnmath roc_auc (exact)": lambda: M.roc_auc(y, p)}
    try:
        from sklearn.metrics import roc_auc_score

        exact["sklearn roc_auc_score"] = lambda: roc_auc_score(y, p)
        want = roc_auc_score(y, p)
        got = M.roc_auc(y, p)
        assert abs(got - want) <= 1e-12 * abs(want), (got, want)
    except ImportError:
        pass
    if torch is not None:
        from torchmetrics.classification import BinaryAUROC

        def tm_exact() -> None:
            metric = BinaryAUROC(thresholds=None, validate_args=False)
            metric.update(tp_, ty_)
            metric.compute()

        exact["torchmetrics BinaryAUROC(None)"] = tm_exact
    etimes = measure(exact, n, max(1, rounds // 2))
    ours = etimes["nnmath roc_auc (exact)"]
    exact_rows = [(k, v, "" if k.startswith("nnmath") else f"{v / ours:.2f}× nnmath's time")
                  for k, v in etimes.items()]
    machine = (f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
               f"nnmath {nnmath.__version__}, core level {_core.cpu_level()}, "
               f"{_core.get_num_threads()} threads, NumPy {np.__version__}, "
               f"Python {platform.python_version()}"
               + (f", load average {os.getloadavg()[0]:.1f} at the end"
                  if hasattr(os, "getloadavg") else ""))
    return thresholded, exact_rows, machine


def one_thread_note(times: dict[str, float]) -> str:
    """The per-core view: AUC on one thread against the copy on one thread, and whether
    the second core was free during the run."""
    one, two = times["copy (one thread)"], times["copy (two threads)"]
    auc1 = times["nnmath AUC (200 thresholds), one thread"]
    auc2 = times["nnmath AUC (200 thresholds)"]
    text = (f"One thread each: AUC {auc1 / one:.2f}× the one-thread copy; two threads gave "
            f"AUC {auc1 / auc2:.2f}× its one-thread speed.")
    if one <= two:
        text += (" The two-thread copy was no faster than one thread: the second core was "
                 "busy with other work during this run, so the two-thread rows measure one "
                 "core.")
    return text


def table(rows: list[tuple[str, float, str]]) -> str:
    out = ["| candidate | ms | ratio |", "|---|---:|---|"]
    out += [f"| {k} | {v * 1e3:.1f} | {note} |" for k, v, note in rows]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-keras-style", dest="keras", action="store_false")
    parser.add_argument("--results", type=Path, default=None)
    args = parser.parse_args()
    thresholded, exact, machine = run(args.n, args.rounds, args.keras)
    base = thresholded[0][1]
    worst = max(v for k, v, _ in thresholded if k.startswith("nnmath") and "one thread" not in k)
    ours = exact[0][1]
    sk = [v for k, v, _ in exact if k.startswith("sklearn")]
    lines = [
        f"# Metrics speed: {args.n:,} float32 predictions",
        "",
        f"Machine: {machine}. Medians of {args.rounds} rounds "
        "(`python benchmarks/metrics_speed.py`).",
        "",
        "## update_state of the thresholded metrics",
        "",
        table(thresholded),
        "",
        f"Target (within 2× of the copy): slowest nnmath row {worst / base:.2f}× — "
        + ("met." if worst <= 2 * base else "**not met**."),
        one_thread_note(dict((k, v) for k, v, _ in thresholded)),
        "",
        "## Exact ROC AUC",
        "",
        table(exact),
        "",
        ("Target (faster than scikit-learn): "
         + (f"{sk[0] / ours:.2f}× faster — met." if sk and sk[0] > ours else
            "**not met**." if sk else "scikit-learn not installed.")),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.results is not None:
        args.results.write_text(text)


if __name__ == "__main__":
    main()

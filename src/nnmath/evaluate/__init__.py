"""The evaluation job: labels + predictions (arrays or files) → a report of metrics and losses.

:func:`evaluate` reads its inputs in chunks of rows (:mod:`nnmath.io`), checks each chunk,
and feeds it to the streaming metrics of :mod:`nnmath.metrics`, so that memory stays
bounded by the chunk size whatever the size of the files, and the result is exactly that
of one pass over all the data (the metrics keep exact totals).

The task decides the metrics:

============  ==========================================  ====================================
task          inputs                                      metrics
============  ==========================================  ====================================
binary        ``y_pred`` ``(N,)``/``(N, 1)`` (or ``(N, 2)``  accuracy, balanced accuracy,
              with ``task="binary"``), labels 0/1          precision, recall, F1, crossentropy
multiclass    ``y_pred`` ``(N, C)``; integer labels        accuracy, balanced accuracy,
              ``(N,)`` or one-hot rows ``(N, C)``          top-k accuracy, crossentropy
multilabel    ``y_pred`` ``(N, L)``; 0/1 rows ``(N, L)``   accuracy (per label), subset
                                                           accuracy, crossentropy
============  ==========================================  ====================================

``"accuracy"`` and ``"crossentropy"`` are resolved from the shapes as Keras's
``compile(metrics=["accuracy"], loss="crossentropy")`` would; the report says which one
(``settings["accuracy"]``). Per-class counts (support, predicted, correct) come from the
confusion matrix (up to 1024 classes).

>>> r = evaluate([0, 1, 1], [0.4, 0.7, 0.3])
>>> r.task, r.n_samples, round(r.metrics["accuracy"], 4)
('binary', 3, 0.6667)
>>> r = evaluate([1, 0, 2], [[0.4, 0.6, 0.0], [0.3, 0.2, 0.5], [0.05, 0.35, 0.6]])
>>> r.task, r.settings["accuracy"], round(r.metrics["accuracy"], 4)
('multiclass', 'sparse_categorical_accuracy', 0.6667)
"""
from __future__ import annotations

import itertools
import math
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import metrics as M
from ..io import DataError, Source, describe_sources, open_source
from ._report import Report, _Progress

__all__ = ["MAX_CONFUSION_CLASSES", "TASKS", "Report", "default_chunk_size", "evaluate"]

TASKS = ("auto", "binary", "multiclass", "multilabel")
#: per-class counts (a confusion matrix) are kept up to this many classes
MAX_CONFUSION_CLASSES = 1024
#: the default chunk holds about this many bytes of predictions (as float64)
CHUNK_BYTES = 8 << 20


def default_chunk_size(row_width: int) -> int:
    """Rows per chunk for predictions of ``row_width`` values per row (~8 MiB as float64).

    >>> default_chunk_size(1), default_chunk_size(1000)
    (262144, 1048)
    """
    rows = CHUNK_BYTES // (8 * max(int(row_width), 1))
    return int(min(max(rows, 1024), 1 << 18))


# -- the plan: what to compute, from the shapes and the first chunk ------------------------------

@dataclass
class _Plan:
    task: str
    n_classes: int
    labels: str  # "binary", "sparse", "onehot", "multilabel"
    from_logits: bool
    threshold: float  # on the scores actually compared (a logit when from_logits)
    two_column: bool = False  # binary task from (N, 2) scores
    top_k: list[int] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    confusion: Any = None
    counts: dict[str, np.ndarray] | None = None  # multilabel per-label sums
    notes: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)


def _width(shape: Sequence[int]) -> int:
    return 1 if len(shape) == 1 else int(math.prod(shape[1:]))


def _logit(t: float) -> float:
    return math.log(t) - math.log1p(-t)


def _check_threshold(threshold: float | None, from_logits: bool) -> tuple[float, float]:
    """(threshold as given, threshold on the compared scores)."""
    t = 0.5 if threshold is None else threshold
    if isinstance(t, bool) or not isinstance(t, (int, float, np.floating, np.integer)):
        raise TypeError(f"threshold must be a number, got {threshold!r}")
    t = float(t)
    if not math.isfinite(t):
        raise ValueError(f"threshold must be finite, got {t}")
    if from_logits:
        if not 0.0 < t < 1.0:
            raise ValueError(f"threshold is a probability and must lie in (0, 1) with "
                             f"from_logits (it is compared with sigmoid(logit)), got {t}")
        return t, _logit(t)
    return t, t


def _rows_binary(y: np.ndarray) -> bool:
    return bool(np.all((y == 0) | (y == 1)))


def _plan(task: str, yt_src: Source, yp_src: Source, yt0: np.ndarray, yp0: np.ndarray,
          from_logits: bool, threshold: float | None, top_k: Sequence[int] | None) -> _Plan:
    tshape, pshape = yt_src.shape, yp_src.shape
    t_given, t_eff = _check_threshold(threshold, from_logits)
    if yp_src.ndim not in (1, 2):
        raise DataError(f"{yp_src.spec}: has shape {pshape}; predictions must be (N,) or "
                        "(N, C): one row of scores per sample")
    if yt_src.ndim not in (1, 2):
        raise DataError(f"{yt_src.spec}: has shape {tshape}; labels must be (N,), (N, 1) or "
                        "(N, C)")
    c = 1 if yp_src.ndim == 1 else pshape[1]
    if c == 0:
        raise DataError(f"{yp_src.spec}: has no columns (shape {pshape})")
    t_cols = 1 if yt_src.ndim == 1 else tshape[1]
    notes: list[str] = []
    if task == "auto":
        if c == 1:
            task = "binary"
        elif t_cols == 1:
            task = "multiclass"
        elif t_cols == c:
            nonneg = bool(np.all(yt0 >= 0)) if yt0.size else True
            one_per_row = bool(np.allclose(yt0.sum(axis=1), 1.0)) if yt0.size else True
            if nonneg and one_per_row:
                task = "multiclass"
                notes.append("task auto: multiclass (y_true rows sum to 1); pass "
                             "--task multilabel if a sample can have several labels")
            elif _rows_binary(yt0):
                task = "multilabel"
                notes.append("task auto: multilabel (y_true rows are 0/1 with several or no "
                             "1s)")
            else:
                raise DataError(f"{yt_src.spec}: its rows are neither one-hot/probability "
                                "rows nor 0/1 label rows; pass --task to say what they are")
        else:
            raise DataError(
                f"{yt_src.spec} has {t_cols} columns and {yp_src.spec} has {c}: give integer "
                f"labels (N,) or rows of {c} (one-hot or 0/1), one column per class of y_pred")
    if task not in TASKS[1:]:
        raise ValueError(f"task must be one of {', '.join(TASKS)}, got {task!r}")

    plan = _Plan(task=task, n_classes=2, labels="binary", from_logits=from_logits,
                 threshold=t_eff, notes=notes)
    plan.settings = {"from_logits": from_logits}
    if task == "binary":
        if c > 2:
            raise DataError(f"{yp_src.spec}: has {c} columns, a binary task needs one score per "
                            "sample (or two softmax columns); use --task multiclass or "
                            "multilabel")
        plan.two_column = c == 2
        if t_cols not in (1, c):
            raise DataError(f"{yt_src.spec}: has {t_cols} columns; binary labels are one 0/1 "
                            "per sample")
        if plan.two_column:
            notes.append("binary task from two columns: column 1 is the positive class "
                         "(softmax([a, b])[1] = sigmoid(b - a))")
        plan.metrics = {
            "accuracy": M.get("accuracy", y_true=np.zeros((1, 1)), y_pred=np.zeros((1, 1)),
                              threshold=t_eff),
            "balanced_accuracy": M.MulticlassAccuracy(2, average="macro",
                                                      name="balanced_accuracy"),
            "crossentropy": M.BinaryCrossentropy(from_logits=from_logits, name="crossentropy"),
        }
        plan.confusion = M.ConfusionMatrix(2)
        plan.settings.update(accuracy=M.resolve_accuracy(np.zeros((1, 1)), np.zeros((1, 1))),
                             crossentropy="binary_crossentropy", threshold=t_given)
        return plan

    if c < 2:
        raise DataError(f"{yp_src.spec}: has one score per sample; that is a binary task "
                        "(--task binary or auto)")
    plan.n_classes = c
    if task == "multiclass":
        if t_cols == 1:
            plan.labels = "sparse"
            yt_like, yp_like = np.zeros(1), np.zeros((1, c))
        elif t_cols == c:
            plan.labels = "onehot"
            yt_like, yp_like = np.zeros((1, c)), np.zeros((1, c))
        else:
            raise DataError(f"{yt_src.spec}: has {t_cols} columns but {yp_src.spec} has {c} "
                            "classes: give integer labels (N,) or one-hot rows (N, C)")
        ks = sorted(set(top_k)) if top_k else ([5] if c > 5 else [])
        for k in ks:
            if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
                raise ValueError(f"top_k must be integers >= 1, got {k!r}")
            if k >= c:
                notes.append(f"top_{k}_accuracy is 1 by definition: k >= {c} classes")
        plan.top_k = [int(k) for k in ks]
        topk_cls = (M.SparseTopKCategoricalAccuracy if plan.labels == "sparse"
                    else M.TopKCategoricalAccuracy)
        plan.metrics = {
            "accuracy": M.get("accuracy", y_true=yt_like, y_pred=yp_like),
            "balanced_accuracy": M.MulticlassAccuracy(c, average="macro",
                                                      name="balanced_accuracy"),
            **{f"top_{k}_accuracy": topk_cls(k=k, name=f"top_{k}_accuracy")
               for k in plan.top_k},
            "crossentropy": M.get("crossentropy", y_true=yt_like, y_pred=yp_like,
                                  from_logits=from_logits),
        }
        if c <= MAX_CONFUSION_CLASSES:
            plan.confusion = M.ConfusionMatrix(c)
        else:
            notes.append(f"per-class counts are skipped above {MAX_CONFUSION_CLASSES} classes")
        plan.settings.update(accuracy=M.resolve_accuracy(yt_like, yp_like),
                             crossentropy=M.resolve_crossentropy(yt_like, yp_like),
                             top_k=plan.top_k)
        return plan

    # multilabel
    if t_cols != c:
        raise DataError(f"{yt_src.spec}: has {t_cols} columns but {yp_src.spec} has {c}; "
                        "multi-label targets are rows of 0/1, one per label")
    plan.labels = "multilabel"
    plan.metrics = {
        "accuracy": M.MultilabelAccuracy(t_eff, mode="labelwise", name="accuracy"),
        "subset_accuracy": M.MultilabelAccuracy(t_eff, mode="subset", name="subset_accuracy"),
        "crossentropy": M.BinaryCrossentropy(from_logits=from_logits, name="crossentropy"),
    }
    plan.counts = {k: np.zeros(c) for k in ("support", "predicted", "correct")}
    plan.settings.update(accuracy="multilabel_accuracy (labelwise: Keras's binary_accuracy)",
                         crossentropy="binary_crossentropy", threshold=t_given)
    return plan


# -- checks on each chunk --------------------------------------------------------------------

def _first_bad_row(bad: np.ndarray, start: int) -> tuple[int, int]:
    rows = bad.reshape(len(bad), -1).any(axis=1) if bad.ndim > 1 else bad
    idx = np.flatnonzero(rows)
    return start + int(idx[0]), int(idx.size)


def _example(values: np.ndarray, bad: np.ndarray) -> str:
    v = values[bad].ravel()[0]
    return f"{float(v):g}"


def _check_scores(yp: np.ndarray, plan: _Plan, spec: str, start: int) -> np.ndarray:
    if yp.dtype.kind not in "f":
        yp = yp.astype(np.float64)
    nan = np.isnan(yp)
    if nan.any():
        row, n = _first_bad_row(nan, start)
        more = f" (and {n - 1} more rows nearby)" if n > 1 else ""
        raise DataError(f"{spec}: holds NaN at row {row}{more}; a NaN prediction cannot be "
                        "scored: fix the model or drop those rows")
    if not plan.from_logits:
        outside = (yp < 0) | (yp > 1)
        if outside.any():
            row, _ = _first_bad_row(outside, start)
            raise DataError(f"{spec}: holds {_example(yp, outside)} at row {row}, outside "
                            "[0, 1]: these look like logits; pass --from-logits "
                            "(from_logits=True)")
    return yp


def _check_labels(yt: np.ndarray, plan: _Plan, spec: str, start: int,
                  classes_of: str) -> np.ndarray:
    if yt.dtype.kind == "f":
        nan = np.isnan(yt)
        if nan.any():
            row, _ = _first_bad_row(nan, start)
            raise DataError(f"{spec}: holds NaN at row {row}; every sample needs a label")
    if plan.labels in ("binary", "multilabel"):
        bad = (yt != 0) & (yt != 1)
        if bad.any():
            row, _ = _first_bad_row(bad, start)
            what = "binary" if plan.labels == "binary" else "multi-label"
            hint = ("; for more classes give y_pred one column per class"
                    if plan.labels == "binary" else "")
            raise DataError(f"{spec}: holds {_example(yt, bad)} at row {row}; {what} labels "
                            f"must be 0 or 1{hint}")
        return yt
    if plan.labels == "sparse":
        if yt.dtype.kind == "f":
            frac = yt != np.floor(yt)
            if frac.any():
                row, _ = _first_bad_row(frac, start)
                raise DataError(f"{spec}: holds {_example(yt, frac)} at row {row}; class "
                                "labels must be integers 0..C-1 (or give one-hot rows)")
        c = plan.n_classes
        bad = (yt < 0) | (yt >= c)
        if bad.any():
            row, _ = _first_bad_row(bad, start)
            raise DataError(f"{spec}: holds label {_example(yt, bad)} at row {row}, outside "
                            f"the {c} classes 0..{c - 1} of {classes_of}; y_pred needs one "
                            "column per class (are the labels 1-based?)")
        return yt.astype(np.int64)
    # one-hot / probability rows
    bad = yt < 0
    if bad.any():
        row, _ = _first_bad_row(bad, start)
        raise DataError(f"{spec}: holds {_example(yt, bad)} at row {row}; one-hot rows must "
                        "hold 0s and a 1 (or probabilities)")
    return yt


def _check_weights(w: np.ndarray, spec: str, start: int) -> np.ndarray:
    w = w.reshape(len(w), -1)
    if w.shape[1] != 1:
        raise DataError(f"{spec}: has {w.shape[1]} columns; give one weight per sample")
    w = w[:, 0].astype(np.float64)
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        row, _ = _first_bad_row(bad, start)
        raise DataError(f"{spec}: holds {_example(w, bad)} at row {row}; sample weights must "
                        "be finite and >= 0")
    return w


# -- the job ---------------------------------------------------------------------------------

def _update(plan: _Plan, yt: np.ndarray, yp: np.ndarray, w: np.ndarray | None) -> None:
    m = plan.metrics
    if plan.task == "binary":
        if plan.two_column:
            score = yp[:, 1] - yp[:, 0] if plan.from_logits else yp[:, 1]
            label = yt if yt.ndim == 1 else yt[:, 1]
        else:
            score, label = yp.reshape(-1), yt.reshape(-1)
        score2, label2 = score[:, None], label[:, None]
        m["accuracy"].update_state(label2, score2, sample_weight=w)
        m["crossentropy"].update_state(label2, score2, sample_weight=w)
        truth = label.astype(np.int64)
        decided = (score > plan.threshold).astype(np.int64)
        m["balanced_accuracy"].update_state(truth, decided, sample_weight=w)
        plan.confusion.update_state(truth, decided, sample_weight=w)
        return
    if plan.task == "multiclass":
        labels = yt.reshape(-1) if plan.labels == "sparse" else np.argmax(yt, axis=1)
        for name, metric in m.items():
            truth = labels if name == "balanced_accuracy" else yt
            metric.update_state(truth, yp, sample_weight=w)
        if plan.confusion is not None:
            plan.confusion.update_state(labels, yp, sample_weight=w)
        return
    for metric in m.values():
        metric.update_state(yt, yp, sample_weight=w)
    assert plan.counts is not None
    decided = yp > plan.threshold
    truth = yt.astype(bool)
    ww = np.ones(len(yt)) if w is None else w
    plan.counts["support"] += ww @ truth
    plan.counts["predicted"] += ww @ decided
    plan.counts["correct"] += ww @ (truth & decided)


def _per_class(plan: _Plan, weighted: bool) -> dict[str, list[Any]] | None:
    if plan.counts is not None:
        support, predicted, correct = (plan.counts[k] for k in ("support", "predicted",
                                                                 "correct"))
    elif plan.confusion is not None:
        cm = np.asarray(plan.confusion.result())
        support, predicted, correct = cm.sum(axis=1), cm.sum(axis=0), np.diag(cm)
    else:
        return None
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(support > 0, correct / np.where(support > 0, support, 1), np.nan)
    cast = (lambda a: [float(v) for v in a]) if weighted else (lambda a: [int(v) for v in a])
    return {"support": cast(support), "predicted": cast(predicted), "correct": cast(correct),
            "recall": [float(v) for v in recall]}


def _binary_extras(plan: _Plan) -> dict[str, float]:
    cm = np.asarray(plan.confusion.result(), dtype=np.float64)
    tp, fp, fn = cm[1, 1], cm[0, 1], cm[1, 0]
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    return {"precision": float(precision), "recall": float(recall), "f1": float(f1)}


def evaluate(y_true: Any, y_pred: Any, sample_weight: Any = None, *, task: str = "auto",
             from_logits: bool = False, threshold: float | None = None,
             top_k: Sequence[int] | int | None = None, chunk_size: int | None = None,
             progress: bool | None = False) -> Report:
    """Evaluate predictions against labels: accuracy, crossentropy and friends, streamed.

    Parameters
    ----------
    y_true
        Labels: integers ``(N,)``/``(N, 1)``, one-hot rows ``(N, C)``, or 0/1 (binary,
        multilabel). An array, or a file spec of :func:`nnmath.io.open_source`
        (``"labels.npy"``, ``"data.npz:y"``, ``"data.csv:label"``, ``"data.parquet:y"``).
    y_pred
        Probabilities or (with ``from_logits=True``) logits: ``(N,)``/``(N, 1)`` for a
        binary task, ``(N, C)`` otherwise. An array or a file spec.
    sample_weight
        Optional, one weight per sample (an array or a file spec).
    task
        ``"auto"`` (from the shapes; ``(N, C)`` labels whose rows sum to 1 are one-hot,
        other 0/1 rows multilabel), ``"binary"``, ``"multiclass"`` or ``"multilabel"``.
    from_logits
        ``y_pred`` holds logits (no final activation).
    threshold
        The probability above which a binary or multi-label prediction is positive
        (default 0.5; with logits it is compared with ``sigmoid(logit)``).
    top_k
        Report ``top_{k}_accuracy`` for these k (multiclass; default 5 when C > 5).
    chunk_size
        Rows per chunk (default: about 8 MiB of predictions as float64). Memory stays
        bounded by a small multiple of one chunk.
    progress
        Show a progress bar on stderr (``None``: when stderr is a terminal).

    Returns
    -------
    Report

    Raises
    ------
    nnmath.io.DataError
        A file that cannot be read, lengths that differ, NaN predictions, labels outside
        the classes, and the like; the message says what to do.
    """
    ks: list[int] | None
    if isinstance(top_k, (int, np.integer)) and not isinstance(top_k, bool):
        ks = [int(top_k)]
    else:
        ks = None if top_k is None or isinstance(top_k, bool) else [int(k) for k in top_k]
    started = time.perf_counter()
    opened: list[Source] = []
    try:
        yt_src = open_source(y_true, name="y_true")
        opened.append(yt_src)
        yp_src = open_source(y_pred, name="y_pred")
        opened.append(yp_src)
        w_src = None
        if sample_weight is not None:
            w_src = open_source(sample_weight, name="sample_weight")
            opened.append(w_src)
        n = len(yt_src)
        for src in opened[1:]:
            if len(src) != n:
                raise DataError(f"{yt_src.spec} has {n:,} rows but {src.spec} has "
                                f"{len(src):,}: every input needs one row per sample, in the "
                                "same order")
        if n == 0:
            raise DataError(f"{yt_src.spec}: has no rows; there is nothing to evaluate")
        step = (default_chunk_size(_width(yp_src.shape)) if chunk_size is None
                else int(chunk_size))
        if step < 1:
            raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
        t_iter, p_iter = yt_src.chunks(step), yp_src.chunks(step)
        w_iter: Iterator[np.ndarray | None] = (
            itertools.repeat(None) if w_src is None else w_src.chunks(step))
        yt0, yp0 = next(t_iter), next(p_iter)  # the first rows decide the task
        plan = _plan(task, yt_src, yp_src, np.asarray(yt0, dtype=np.float64), yp0,
                     bool(from_logits), threshold, ks)
        plan.settings["chunk_size"] = step
        bar = _Progress(n, enabled=(sys.stderr.isatty() if progress is None
                                    else bool(progress)))
        start = 0
        try:
            for yt, yp, w_raw in zip(itertools.chain([yt0], t_iter),
                                     itertools.chain([yp0], p_iter), w_iter,
                                     strict=False):  # the weights may repeat None
                yp = _check_scores(yp, plan, yp_src.spec, start)
                yt = _check_labels(yt, plan, yt_src.spec, start, yp_src.spec)
                w = None if w_raw is None or w_src is None else _check_weights(
                    w_raw, w_src.spec, start)
                _update(plan, yt, yp, w)
                start += len(yp)
                bar.update(len(yp))
        finally:
            bar.close()
        if start != n:
            raise DataError(f"the inputs ended after {start:,} of {n:,} rows; is a file "
                            "truncated?")
        results = {name: float(metric.result()) for name, metric in plan.metrics.items()}
        if plan.task == "binary":
            results.update(_binary_extras(plan))
        inputs = describe_sources(opened)
        for item, role in zip(inputs, ("y_true", "y_pred", "sample_weight"), strict=False):
            item["role"] = role
            prefix = f"{role} "
            item["spec"] = item["spec"].removeprefix(prefix)
        return Report(task=plan.task, n_samples=start, n_classes=plan.n_classes,
                      metrics=results, per_class=_per_class(plan, w_src is not None),
                      settings=plan.settings, inputs=inputs, notes=plan.notes,
                      seconds=time.perf_counter() - started)
    finally:
        for src in opened:
            src.close()

"""The plan of an evaluation (task, metrics, thresholds), the checks on each chunk, the updates.

Both engines use these: the local one in its process, the Dask one on each worker (the
plan travels as :func:`plan_state`, a JSON-able dict, and the partial results come back
as the metrics' ``get_state()``), so that every check and every update is the same code.
"""
from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from .. import metrics as M
from ..io import DataError, Source
from ..metrics._exact import decode, encode, exact_group_sums, to_float

TASKS = ("auto", "binary", "multiclass", "multilabel")
#: per-class counts (a confusion matrix) are kept up to this many classes
MAX_CONFUSION_CLASSES = 1024
#: the default chunk holds about this many bytes of predictions (as float64)
CHUNK_BYTES = 8 << 20


def default_chunk_size(row_width: int) -> int:
    """Rows per chunk for predictions of ``row_width`` values per row (~8 MiB as float64).

    The chunk is sized by bytes, not rows: wide rows give few rows per chunk (at least
    one), so that memory stays bounded by the chunk whatever the width.

    >>> default_chunk_size(1), default_chunk_size(1000), default_chunk_size(100_000)
    (262144, 1048, 10)
    >>> default_chunk_size(10**9)
    1
    """
    rows = CHUNK_BYTES // (8 * max(int(row_width), 1))
    return int(min(max(rows, 1), 1 << 18))


# -- the plan: what to compute, from the shapes and the first chunk ------------------------------

class _LabelCounts:
    """Per-label support, predicted and correct of a multi-label task, kept exactly.

    Unweighted they are integers; weighted, exact sums of the weights (fractions), so
    that they too do not depend on the chunks or partitions.
    """

    KEYS = ("support", "predicted", "correct")

    def __init__(self, n_labels: int) -> None:
        self.n_labels = int(n_labels)
        self.weighted = False
        self.sums: dict[str, list[Fraction]] = {k: [Fraction(0)] * self.n_labels
                                                 for k in self.KEYS}

    def update(self, truth: np.ndarray, decided: np.ndarray, w: np.ndarray | None) -> None:
        masks = {"support": truth, "predicted": decided, "correct": truth & decided}
        if w is not None:
            self.weighted = True
        for key, mask in masks.items():
            acc = self.sums[key]
            if w is None:
                counts = np.count_nonzero(mask, axis=0).tolist()
                self.sums[key] = [a + c for a, c in zip(acc, counts, strict=True)]
            else:
                rows, cols = np.nonzero(mask)
                sums = exact_group_sums(w[rows], cols, self.n_labels)
                self.sums[key] = [a + c for a, c in zip(acc, sums, strict=True)]

    def result(self) -> dict[str, np.ndarray]:
        if self.weighted:
            return {k: np.array([to_float(v) for v in vals]) for k, vals in self.sums.items()}
        return {k: np.array([int(v) for v in vals], dtype=np.int64)
                for k, vals in self.sums.items()}

    def get_state(self) -> dict[str, Any]:
        return {"n_labels": self.n_labels, "weighted": self.weighted,
                **{k: [encode(v) for v in vals] for k, vals in self.sums.items()}}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> _LabelCounts:
        out = cls(state["n_labels"])
        out.weighted = bool(state["weighted"])
        for k in cls.KEYS:
            vals = [decode(v, k) for v in state[k]]
            exact = [v for v in vals if isinstance(v, Fraction)]
            if len(exact) != out.n_labels or len(vals) != out.n_labels:
                raise ValueError(f"label counts: state entry {k!r} is not {out.n_labels} "
                                 "exact numbers")
            out.sums[k] = exact
        return out

    def merge(self, other: _LabelCounts) -> None:
        if other.n_labels != self.n_labels:
            raise ValueError(f"label counts: cannot merge {other.n_labels} labels into "
                             f"{self.n_labels}")
        self.weighted = self.weighted or other.weighted
        for k in self.KEYS:
            self.sums[k] = [a + b for a, b in zip(self.sums[k], other.sums[k], strict=True)]


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
    counts: _LabelCounts | None = None  # multilabel per-label sums
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
    plan.counts = _LabelCounts(c)
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
    plan.counts.update(yt.astype(bool), yp > plan.threshold, w)


def _exact_counts(plan: _Plan) -> tuple[list[Any], list[Any], list[Any]] | None:
    """Per class: support, predicted, correct, exactly (ints, or Fractions when weighted)."""
    if plan.counts is not None:
        return tuple([Fraction(v) for v in plan.counts.sums[k]]  # type: ignore[return-value]
                     for k in _LabelCounts.KEYS)
    if plan.confusion is None:
        return None
    cm = plan.confusion._exact()  # object array of ints / Fractions: no rounding, no overflow
    n = cm.shape[0]
    support = [sum(cm[i, :].tolist(), Fraction(0)) for i in range(n)]
    predicted = [sum(cm[:, j].tolist(), Fraction(0)) for j in range(n)]
    return support, predicted, [cm[i, i] for i in range(n)]


def _ratio(num: Any, den: Any, empty: float) -> float:
    """``num / den`` computed exactly and rounded once; ``empty`` when ``den`` is 0."""
    return to_float(Fraction(num) / Fraction(den)) if den else empty


def _per_class(plan: _Plan, weighted: bool) -> dict[str, list[Any]] | None:
    counts = _exact_counts(plan)
    if counts is None:
        return None
    support, predicted, correct = counts
    recall = [_ratio(c, s, math.nan) for c, s in zip(correct, support, strict=True)]
    # weighted totals beyond the float range show as inf; the ratios stay exact
    cast = (lambda a: [to_float(Fraction(v)) for v in a]) if weighted else (
        lambda a: [int(v) for v in a])
    return {"support": cast(support), "predicted": cast(predicted), "correct": cast(correct),
            "recall": recall}


def _binary_extras(plan: _Plan) -> dict[str, float]:
    cm = plan.confusion._exact()
    tp, fp, fn = (Fraction(cm[i, j]) for i, j in ((1, 1), (0, 1), (1, 0)))
    return {"precision": _ratio(tp, tp + fp, 0.0), "recall": _ratio(tp, tp + fn, 0.0),
            "f1": _ratio(2 * tp, 2 * tp + fp + fn, 0.0)}


# -- the plan and the partial results as JSON-able dicts (what travels to and from workers) --

_PLAN_FIELDS = ("task", "n_classes", "labels", "from_logits", "threshold", "two_column",
                "top_k")


def partial_state(plan: _Plan) -> dict[str, Any]:
    """The accumulated state of ``plan``'s metrics and counts: a JSON-able dict."""
    return {"metrics": {name: m.get_state() for name, m in plan.metrics.items()},
            "confusion": None if plan.confusion is None else plan.confusion.get_state(),
            "counts": None if plan.counts is None else plan.counts.get_state()}


def plan_state(plan: _Plan) -> dict[str, Any]:
    """What a worker needs to evaluate a partition as ``plan`` would: a JSON-able dict."""
    return {**{k: getattr(plan, k) for k in _PLAN_FIELDS}, **partial_state(plan)}


def plan_from_state(state: dict[str, Any]) -> _Plan:
    """The plan of :func:`plan_state` (with the metrics in the state it had)."""
    plan = _Plan(**{k: state[k] for k in _PLAN_FIELDS})
    plan.metrics = {name: M.Metric.from_state(s) for name, s in state["metrics"].items()}
    if state["confusion"] is not None:
        plan.confusion = M.Metric.from_state(state["confusion"])
    if state["counts"] is not None:
        plan.counts = _LabelCounts.from_state(state["counts"])
    return plan


def merge_partial(plan: _Plan, state: dict[str, Any]) -> None:
    """Add a :func:`partial_state` (of a plan like this one) into ``plan``, exactly."""
    if set(state["metrics"]) != set(plan.metrics):
        raise ValueError(f"a partial result has metrics {sorted(state['metrics'])}, the plan "
                         f"{sorted(plan.metrics)}")
    for name, metric in plan.metrics.items():
        metric.merge_state(M.Metric.from_state(state["metrics"][name]))
    if plan.confusion is not None:
        plan.confusion.merge_state(M.Metric.from_state(state["confusion"]))
    if plan.counts is not None:
        plan.counts.merge(_LabelCounts.from_state(state["counts"]))


# -- reading and checking the rows of one piece of the inputs ---------------------------------

@dataclass
class Piece:
    """Rows ``[start, stop)`` of an opened source; ``first_row`` numbers the first of them
    in messages (its row in its own file)."""

    source: Source
    start: int
    stop: int
    first_row: int

    def chunks(self, step: int) -> Iterator[np.ndarray]:
        return self.source.read_range(self.start, self.stop, step)


def run_pieces(plan: _Plan, yt: Piece, yp: Piece, w: Piece | None, step: int,
               on_chunk: Any = None) -> int:
    """Check and add rows of the inputs to ``plan``, a chunk at a time; the rows done.

    ``on_chunk(rows)`` is called after each chunk (a progress bar).
    """
    rows = yp.stop - yp.start
    its = [yt.chunks(step), yp.chunks(step)]
    if w is not None:
        its.append(w.chunks(step))
    done = 0
    for chunks in zip(*its, strict=False):
        t_raw, p_raw = chunks[0], chunks[1]
        if not len(t_raw) == len(p_raw) == (len(chunks[2]) if w is not None else len(p_raw)):
            raise DataError(f"{yt.source.spec} and {yp.source.spec} gave chunks of "
                            f"{len(t_raw)} and {len(p_raw)} rows at row {yp.first_row + done}; "
                            "did a file change while it was read?")
        p_chk = _check_scores(p_raw, plan, yp.source.spec, yp.first_row + done)
        t_chk = _check_labels(t_raw, plan, yt.source.spec, yt.first_row + done, yp.source.spec)
        w_chk = None if w is None else _check_weights(chunks[2], w.source.spec,
                                                      w.first_row + done)
        _update(plan, t_chk, p_chk, w_chk)
        done += len(p_chk)
        if on_chunk is not None:
            on_chunk(len(p_chk))
    if done != rows:
        raise DataError(f"{yp.source.spec}: ended after {yp.first_row + done:,} rows of "
                        f"{yp.first_row + rows:,}; is a file truncated?")
    return done

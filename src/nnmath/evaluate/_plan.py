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
from .._exact import decode, encode, exact_group_sums, to_float
from ..io import DataError, Source
from ._checks import SUM_TOL, RowCounts, RowError, check_labels, check_scores, check_weights
from ._fused import FusedCounts
from ._options import TASKS, Options, check_for_task, effective_threshold
from ._probs import ProbMetrics
from ._stream import DEPTH, read_ahead

__all__ = ["MAX_CONFUSION_CLASSES", "TASKS", "ZERO_DIVISION", "Piece", "default_chunk_size",
           "finish", "merge_partial", "partial_state", "plan_from_state", "plan_state",
           "run_pieces"]
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
    rows: RowCounts = field(default_factory=RowCounts)  # totals of the checks
    notes: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    auc: str = "exact"
    calibration: bool = True
    probs: ProbMetrics | None = None  # ROC/PR AUC, ECE, Brier score

    def make_probs(self) -> None:
        """The probability metrics of the plan's task and options."""
        self.probs = ProbMetrics(self.task, self.n_classes, self.from_logits, self.auc,
                                 self.calibration)


def _width(shape: Sequence[int]) -> int:
    return 1 if len(shape) == 1 else int(math.prod(shape[1:]))


def _plan(task: str, notes: list[str], options: Options, yt_src: Source,
          yp_src: Source) -> _Plan:
    """The plan of a task decided by :func:`decide_task`, with the checked options."""
    plan = _plan_metrics(task, notes, options, yt_src, yp_src)
    plan.make_probs()
    return plan


def _plan_metrics(task: str, notes: list[str], options: Options, yt_src: Source,
                  yp_src: Source) -> _Plan:
    """:func:`_plan` but the probability metrics."""
    tshape, pshape = yt_src.shape, yp_src.shape
    c = 1 if yp_src.ndim == 1 else pshape[1]
    t_cols = 1 if yt_src.ndim == 1 else tshape[1]
    t_given, t_eff = effective_threshold(options)
    from_logits = options.from_logits
    check_for_task(options, task, 2 if task == "binary" else c)
    plan = _Plan(task=task, n_classes=2, labels="binary", from_logits=from_logits,
                 threshold=t_eff, notes=notes, auc=options.auc,
                 calibration=options.calibration)
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
        ks = list(options.top_k) if options.top_k is not None else ([5] if c > 5 else [])
        for k in ks:
            if k >= c:
                notes.append(f"top_{k}_accuracy is 1 by definition: k >= {c} classes")
        plan.top_k = ks
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


def finish(plan: _Plan, specs: Sequence[str]) -> dict[str, Any]:
    """After the last row: the errors and notes that need every row (the totals of
    :class:`RowCounts`); the report's ``checks``. ``specs``: the inputs' specs."""
    rc = plan.rows
    if rc.weighted_rows and rc.positive_weights == 0:
        raise DataError(f"{specs[2]}: every sample weight is 0, so every weighted mean is "
                        "0/0; give some samples a positive weight")
    checks: dict[str, Any] = {}
    if (plan.task == "multiclass" or plan.two_column) and not plan.from_logits:
        checks = {"y_pred_rows_not_summing_to_1": rc.rows_off,
                  "y_pred_max_sum_error": rc.max_off, "sum_tolerance": SUM_TOL}
        if rc.rows_off:
            what = ("crossentropy renormalised them, as Keras does; if the scores are "
                    "independent (sigmoid) probabilities, pass --task multilabel"
                    if plan.task == "multiclass" else
                    "column 1 was taken as the probability of the positive class")
            plan.notes.append(
                f"{specs[1]}: {rc.rows_off:,} of {rc.rows:,} rows of probabilities do not sum "
                f"to 1 (by up to {rc.max_off:.3g}; tolerance {SUM_TOL:g}): {what}")
    return checks


# -- the job ---------------------------------------------------------------------------------

def _update(plan: _Plan, yt: np.ndarray, yp: np.ndarray, w: np.ndarray | None) -> None:
    m = plan.metrics
    if plan.task == "binary":
        # the labels are one column (see check_labels)
        label = yt
        if plan.two_column:
            score = yp[:, 1] - yp[:, 0] if plan.from_logits else yp[:, 1]
        else:
            score = yp.reshape(-1)
        score2, label2 = score[:, None], label[:, None]
        m["accuracy"].update_state(label2, score2, sample_weight=w)
        m["crossentropy"].update_state(label2, score2, sample_weight=w)
        truth = label.astype(np.int64)
        decided = (score > plan.threshold).astype(np.int64)
        m["balanced_accuracy"].update_state(truth, decided, sample_weight=w)
        plan.confusion.update_state(truth, decided, sample_weight=w)
        if plan.probs is not None:
            plan.probs.update(truth, score, w)
        return
    if plan.task == "multiclass":
        labels = yt if plan.labels == "sparse" else np.argmax(yt, axis=1)
        for name, metric in m.items():
            truth = labels if name == "balanced_accuracy" else yt
            metric.update_state(truth, yp, sample_weight=w)
        if plan.confusion is not None:
            plan.confusion.update_state(labels, yp, sample_weight=w)
        if plan.probs is not None:
            plan.probs.update(labels, yp, w)
        return
    for metric in m.values():
        metric.update_state(yt, yp, sample_weight=w)
    assert plan.counts is not None
    truth = yt.astype(bool)
    plan.counts.update(truth, yp > plan.threshold, w)
    if plan.probs is not None:
        plan.probs.update(truth, yp, w)


def _exact_counts(plan: _Plan) -> tuple[list[Any], list[Any], list[Any]] | None:
    """Per class: support, predicted, correct, exactly (ints, or Fractions when weighted)."""
    if plan.counts is not None:
        return tuple([Fraction(v) for v in plan.counts.sums[k]]  # type: ignore[return-value]
                     for k in _LabelCounts.KEYS)
    if plan.confusion is None:
        return None
    cm = plan.confusion._exact()  # object array of ints / Fractions: no rounding, no overflow
    n = cm.shape[0]
    if not plan.confusion._is_weighted:  # Python integers: summed exactly by NumPy
        return cm.sum(axis=1).tolist(), cm.sum(axis=0).tolist(), cm.diagonal().tolist()
    support = [_sum_exact(cm[i, :].tolist()) for i in range(n)]
    predicted = [_sum_exact(cm[:, j].tolist()) for j in range(n)]
    return support, predicted, [cm[i, i] for i in range(n)]


def _sum_exact(values: list[Any]) -> Any:
    """The exact sum of ints and Fractions: an int when all are ints. The fractions are
    put over one common denominator and their numerators summed as integers (sums of
    float weights have power-of-two denominators: their lcm is the largest), far fewer
    operations than adding them one by one."""
    fracs = [v for v in values if type(v) is Fraction]
    whole = sum(int(v) for v in values if type(v) is not Fraction)
    if not fracs:
        return whole
    den = math.lcm(*(f.denominator for f in fracs))
    return Fraction(sum(f.numerator * (den // f.denominator) for f in fracs) + whole * den,
                    den)


def _ratio(num: Any, den: Any, empty: float) -> float:
    """``num / den`` computed exactly and rounded once; ``empty`` when ``den`` is 0."""
    return to_float(Fraction(num) / Fraction(den)) if den else empty


#: the value of a precision, recall or F1 whose denominator is 0 (no sample of the class,
#: no prediction of it): scikit-learn's default (``zero_division="warn"`` gives 0)
ZERO_DIVISION = 0


def _exact_ratio(num: Any, den: Any) -> Fraction:
    return Fraction(num) / Fraction(den) if den else Fraction(ZERO_DIVISION)


def _prf(correct: Any, support: Any, predicted: Any) -> tuple[Fraction, Fraction, Fraction]:
    """Precision, recall and F1 of one class (or of the micro totals), exactly."""
    return (_exact_ratio(correct, predicted), _exact_ratio(correct, support),
            _exact_ratio(2 * Fraction(correct), Fraction(support) + Fraction(predicted)))


def _per_class(plan: _Plan, weighted: bool) -> tuple[dict[str, list[Any]] | None,
                                                      dict[str, dict[str, Any]] | None]:
    """Per class support, predicted, correct, precision, recall, F1; and their micro,
    macro and weighted averages (``None``, ``None`` when the plan keeps no counts).

    Everything is computed exactly from the exact counts and rounded once, with
    scikit-learn's ``classification_report`` semantics over every class ``0..C-1``
    (``labels=range(C)``) and ``zero_division=0``: a ratio whose denominator is 0 is 0.
    Micro averages pool the counts (for a single-label task all three are the accuracy);
    macro averages are the mean over the classes, weighted ones weigh each class by its
    support.
    """
    counts = _exact_counts(plan)
    if counts is None:
        return None, None
    support, predicted, correct = counts
    exact = [_prf(c, s, p) for c, s, p in zip(correct, support, predicted, strict=True)]
    # weighted totals beyond the float range show as inf; the ratios stay exact
    cast = (lambda a: [to_float(Fraction(v)) for v in a]) if weighted else (
        lambda a: [int(v) for v in a])
    per_class = {"support": cast(support), "predicted": cast(predicted),
                 "correct": cast(correct)}
    for k, key in enumerate(("precision", "recall", "f1")):
        per_class[key] = [to_float(v[k]) for v in exact]
    total = sum(support, Fraction(0))
    n = len(exact)
    micro = _prf(sum(correct, Fraction(0)), total, sum(predicted, Fraction(0)))
    averages: dict[str, dict[str, Any]] = {}
    for name, values in (
            ("micro", micro),
            ("macro", tuple(sum((v[k] for v in exact), Fraction(0)) / n for k in range(3))),
            ("weighted", tuple(_exact_ratio(sum((Fraction(s) * v[k] for s, v in
                                                 zip(support, exact, strict=True)),
                                                Fraction(0)), total) for k in range(3)))):
        averages[name] = {"precision": to_float(values[0]), "recall": to_float(values[1]),
                          "f1": to_float(values[2]), "support": cast([total])[0]}
    return per_class, averages


def _confusion(plan: _Plan, weighted: bool) -> list[list[Any]] | None:
    """The confusion matrix (rows: true class, columns: predicted class): integer counts,
    or the exact weighted sums rounded once; ``None`` without one (multi-label, more than
    :data:`MAX_CONFUSION_CLASSES` classes)."""
    if plan.confusion is None:
        return None
    cm = plan.confusion._exact()
    if weighted:
        return [[to_float(v) for v in row] for row in cm.tolist()]
    return [[int(v) for v in row] for row in cm.tolist()]


def _binary_extras(plan: _Plan) -> dict[str, float]:
    cm = plan.confusion._exact()
    tp, fp, fn = (Fraction(cm[i, j]) for i, j in ((1, 1), (0, 1), (1, 0)))
    return {"precision": _ratio(tp, tp + fp, 0.0), "recall": _ratio(tp, tp + fn, 0.0),
            "f1": _ratio(2 * tp, 2 * tp + fp + fn, 0.0)}


# -- the plan and the partial results as JSON-able dicts (what travels to and from workers) --

_PLAN_FIELDS = ("task", "n_classes", "labels", "from_logits", "threshold", "two_column",
                "top_k", "auc", "calibration")


def partial_state(plan: _Plan) -> dict[str, Any]:
    """The accumulated state of ``plan``'s metrics and counts: a JSON-able dict."""
    return {"metrics": {name: m.get_state() for name, m in plan.metrics.items()},
            "confusion": None if plan.confusion is None else plan.confusion.get_state(),
            "counts": None if plan.counts is None else plan.counts.get_state(),
            "probs": None if plan.probs is None else plan.probs.get_state(),
            "rows": plan.rows.get_state()}


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
    if state["probs"] is not None:
        plan.make_probs()
        assert plan.probs is not None
        plan.probs.set_state(state["probs"])
    plan.rows = RowCounts.from_state(state["rows"])
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
    if plan.probs is not None:
        plan.probs.merge(state["probs"])
    plan.rows.merge(RowCounts.from_state(state["rows"]))


# -- reading and checking the rows of one piece of the inputs ---------------------------------

@dataclass
class Piece:
    """Rows ``[start, stop)`` of an opened source; ``first_row`` numbers the first of them
    in messages (its row in its own file)."""

    source: Source
    start: int
    stop: int
    first_row: int

    def chunks(self, step: int, reuse: bool = False) -> Iterator[np.ndarray]:
        """The rows in chunks of ``step``; with ``reuse``, read into buffers that are
        reused (a chunk is valid until the next but one is read: :mod:`._stream`)."""
        if reuse:
            return self.source.read_range_reusing(self.start, self.stop, step, DEPTH)
        return self.source.read_range(self.start, self.stop, step)


def _check_chunk(plan: _Plan, chunks: Sequence[np.ndarray], yt: Piece, yp: Piece,
                 w: Piece | None, done: int) -> tuple[Any, Any, Any]:
    """Check a chunk of each input; of several problems, the earliest row's is raised
    (predictions first on a tie), so that the error does not depend on the chunking."""
    found: list[RowError] = []
    out: list[Any] = [None, None, None]
    calls = [
        (1, lambda: check_scores(chunks[1], plan.labels, plan.from_logits, plan.two_column,
                                 plan.rows, yp.source.spec, yp.first_row + done)),
        (0, lambda: check_labels(chunks[0], plan.labels, plan.n_classes, yt.source.spec,
                                 yt.first_row + done, yp.source.spec)),
    ]
    if w is not None:
        calls.append((2, lambda: check_weights(chunks[2], plan.rows, w.source.spec,
                                               w.first_row + done)))
    for index, call in calls:
        try:
            out[index] = call()
        except RowError as exc:
            found.append(exc)
    if found:
        raise min(found, key=lambda e: e.index)
    return out[1], out[0], out[2]


def run_pieces(plan: _Plan, yt: Piece, yp: Piece, w: Piece | None, step: int,
               on_chunk: Any = None) -> int:
    """Check and add rows of the inputs to ``plan``, a chunk at a time; the rows done.

    The chunks are read on a reader thread, one ahead (:mod:`._stream`); a multiclass plan
    (integer labels or label rows, with or without weights) counts each chunk in one pass
    of the core (:mod:`._fused`), every other plan by the metrics' own updates.
    ``on_chunk(rows)`` is called after each chunk (a progress bar).
    """
    rows = yp.stop - yp.start
    pieces = [yt, yp] + ([w] if w is not None else [])
    fused = FusedCounts.for_plan(plan, w is not None, step)
    done = 0
    with read_ahead([p.chunks(step, reuse=True) for p in pieces]) as stream:
        for chunks in stream:
            t_raw, p_raw = chunks[0], chunks[1]
            if not len(t_raw) == len(p_raw) == (len(chunks[2]) if w is not None
                                                else len(p_raw)):
                raise DataError(f"{yt.source.spec} and {yp.source.spec} gave chunks of "
                                f"{len(t_raw)} and {len(p_raw)} rows at row "
                                f"{yp.first_row + done}; did a file change while it was read?")
            if fused is not None and fused.update(plan, chunks, yt, yp, done, w):
                if plan.probs is not None:
                    plan.probs.update(*fused.last)
            else:
                p_chk, t_chk, w_chk = _check_chunk(plan, chunks, yt, yp, w, done)
                _update(plan, t_chk, p_chk, w_chk)
            done += len(p_raw)
            if on_chunk is not None:
                on_chunk(len(p_raw))
    if done != rows:
        raise DataError(f"{yp.source.spec}: ended after {yp.first_row + done:,} rows of "
                        f"{yp.first_row + rows:,}; is a file truncated?")
    if fused is not None:
        fused.merge_into(plan)
    return done

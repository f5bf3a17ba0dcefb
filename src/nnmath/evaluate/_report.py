"""The evaluation report (table, JSON, figures, HTML) and the progress bar."""

from __future__ import annotations

import json
import math
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np

from ._html import _EXPLAINED

# -- the report ------------------------------------------------------------------------------

@dataclass
class Report:
    """The result of :func:`evaluate`.

    Attributes
    ----------
    task
        ``"binary"``, ``"multiclass"`` or ``"multilabel"``.
    n_samples
        Rows read.
    n_classes
        Classes (binary: 2; multilabel: labels).
    metrics
        Name → value (Python floats), in a fixed order.
    per_class
        Per class (per label for a multi-label task): ``support`` (samples of the class),
        ``predicted`` (samples predicted as it), ``correct``, and ``precision``,
        ``recall``, ``f1``; or ``None`` (more than :data:`MAX_CONFUSION_CLASSES` classes).
        Counts are integers, or with sample weights the exact weighted sums rounded once;
        the ratios are computed exactly from the exact counts and rounded once, as
        scikit-learn's ``classification_report(y_true, y_pred, labels=range(C),
        zero_division=0)``: a ratio with a denominator of 0 is 0 (the notes name such
        classes).
    averages
        ``"micro"``, ``"macro"`` and ``"weighted"`` → ``precision``, ``recall``, ``f1``
        and ``support`` (the total), exact and rounded once (``None`` with ``per_class``).
        Micro pools the counts of all classes (for a binary or multiclass task all three
        are the accuracy), macro is the mean over the classes, weighted weighs each class
        by its support. scikit-learn's ``"samples"`` average of a multi-label task is not
        reported (it needs every row's counts).
    confusion
        The confusion matrix of a binary or multiclass task, ``confusion[i][j]`` = samples
        of class ``i`` predicted as ``j`` (integers, or weighted sums rounded once);
        ``None`` for a multi-label task and above :data:`MAX_CONFUSION_CLASSES` classes.
    curves
        The data of the curve figures, when the report carries it (``None`` otherwise),
        a dict with any of
        ``"roc"``: ``{"fpr": [...], "tpr": [...], "auc": float | None}``;
        ``"pr"``: ``{"recall": [...], "precision": [...], "ap": float | None,
        "prevalence": float | None}``; for a multiclass or multi-label task instead
        ``{"per_class": [{"class": i, "fpr": [...], "tpr": [...], "auc": ...}, ...],
        "auc": macro}`` (``"label"`` for a multi-label task; PR alike with ``"ap"``), the
        one-vs-rest curves of the first :data:`._probs.MAX_CURVES` classes. A curve of
        many points is thinned to about :data:`._probs.CURVE_POINTS` points along its
        length (the areas come from all of them);
        ``"reliability"``: ``{"confidence": [...], "accuracy": [...], "mass": [...],
        "edges": [...], "ece": float | None}``, one entry per bin of predicted
        probability (mean predicted probability, observed frequency, samples or their
        weights; NaN for an empty bin) and the bins' edges (``mass`` and ``edges``
        optional). :meth:`figures` draws each one given.
    settings
        How the metrics were chosen: the resolved accuracy and loss, threshold, top-k,
        from_logits, chunk size, the value of a 0/0 ratio (``zero_division``).
    inputs
        The inputs: spec, shape, dtype, how they were read.
    notes
        Remarks worth reading (a task picked automatically, a trivial top-k, rows of
        probabilities that do not sum to 1, classes without samples or predictions).
    checks
        What the checks of every row counted, where it can change a metric: for
        multiclass probabilities (and the two columns of a binary task),
        ``y_pred_rows_not_summing_to_1``, ``y_pred_max_sum_error`` (the largest
        ``|sum - 1|``) and the ``sum_tolerance`` they are counted with.
    seconds
        Wall time of the evaluation.
    """

    task: str
    n_samples: int
    n_classes: int
    metrics: dict[str, float]
    per_class: dict[str, list[Any]] | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    inputs: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    averages: dict[str, dict[str, Any]] | None = None
    confusion: list[list[Any]] | None = None
    curves: dict[str, dict[str, Any]] | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (NaN and infinities become ``None``)."""
        return _jsonable({
            "task": self.task, "n_samples": self.n_samples, "n_classes": self.n_classes,
            "metrics": self.metrics, "per_class": self.per_class, "averages": self.averages,
            "confusion": self.confusion, "curves": self.curves, "settings": self.settings,
            "inputs": self.inputs, "notes": self.notes, "checks": self.checks,
            "seconds": round(self.seconds, 3),
        })

    def to_json(self, indent: int | None = 2) -> str:
        """The report as one JSON object (lists of numbers kept on one line)."""
        text = json.dumps(self.to_dict(), indent=indent, allow_nan=False)
        if indent is None:
            return text
        return re.sub(r"\[\s+([^\[\]{}\"]*?)\s+\]",
                      lambda m: "[" + re.sub(r",\s+", ", ", m.group(1)) + "]", text)

    def format_table(self, max_classes: int = 20) -> str:
        """The report as plain text: a header, the metrics, per class the counts,
        precision, recall and F1 with their averages, and the confusion matrix (up to
        ``max_classes`` classes; beyond, the first ``max_classes`` rows of the per-class
        table and a note)."""
        s = self.settings
        lines = [f"task          {self.task} ({self.n_classes} "
                 f"{'labels' if self.task == 'multilabel' else 'classes'}), "
                 f"{self.n_samples:,} samples"]
        for item in self.inputs:
            shape = "×".join(str(n) for n in item["shape"])
            lines.append(f"{item['role']:<13} {item['spec']}  ({shape} {item['dtype']}; "
                         f"{item['read']})")
        if s.get("engine") == "dask":
            lines.append(f"{'engine':<13} dask: {s.get('partitions')} partitions on "
                         f"{s.get('scheduler')}")
        lines.append("")
        width = max(len(k) for k in self.metrics) if self.metrics else 6
        lines.append(f"{'metric':<{width}}  {'value':>8}")
        for name, value in self.metrics.items():
            note = ""
            if name == "accuracy":
                note = f"  {s.get('accuracy', '')}"
            elif name == "crossentropy":
                note = f"  {s.get('crossentropy', '')}" + (
                    ", from logits" if s.get("from_logits") else "")
            elif name in _EXPLAINED and isinstance(s.get(name), str):
                note = f"  {s[name]}"
            lines.append(f"{name:<{width}}  {_fmt(value):>8}{note}")
        lines += self._class_lines(max_classes)
        lines += self._confusion_lines(max_classes)
        for note in self.notes:
            lines.append(f"note: {note}")
        return "\n".join(lines)

    @property
    def class_word(self) -> str:
        """``"label"`` for a multi-label task, else ``"class"``."""
        return "label" if self.task == "multilabel" else "class"

    def _class_lines(self, max_classes: int) -> list[str]:
        pc = self.per_class
        if pc is None:
            return []
        n = len(pc["support"])
        cols = ("support", "predicted", "correct", "precision", "recall", "f1",
                *(c for c in ("roc_auc", "pr_auc") if c in pc))
        rows = [[str(i)] + [_count(pc[c][i]) for c in cols[:3]]
                + [_fmt(pc[c][i]) for c in cols[3:]] for i in range(min(n, max_classes))]
        feet = [[f"{name} avg", _count(avg["support"]), "", ""]
                + [_fmt(avg[c]) if c in avg else "" for c in cols[3:]]
                for name, avg in (self.averages or {}).items()]
        head = [self.class_word, *cols]
        widths = [max(len(r[k]) for r in [head, *rows, *feet]) for k in range(len(head))]

        def line(cells: list[str]) -> str:
            return "  ".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True)).rstrip()

        lines = ["", line(head)] + [line(r) for r in rows]
        if n > max_classes:
            lines.append(f"  ... {n - max_classes} more (--format json lists all)")
        return lines + [line(r) for r in feet]

    def _confusion_lines(self, max_classes: int) -> list[str]:
        cm = self.confusion
        if cm is None:
            return []
        n = len(cm)
        if n > max_classes:
            return ["", f"confusion matrix: {n} classes, more than the {max_classes} a table "
                    "shows (--format json or --html has it)"]
        cells = [[_count(v) for v in row] for row in cm]
        heads = [f"pred {j}" for j in range(n)]
        widths = [max(len(heads[j]), *(len(r[j]) for r in cells)) for j in range(n)]
        lines = ["", "confusion matrix (rows: true class, columns: predicted class)",
                 f"{'':>12}  " + "  ".join(f"{h:>{w}}" for h, w in zip(heads, widths,
                                                                     strict=True))]
        for i, row in enumerate(cells):
            lines.append(f"{'true ' + str(i):>12}  "
                         + "  ".join(f"{v:>{w}}" for v, w in zip(row, widths, strict=True)))
        return lines

    # -- figures and the HTML page --------------------------------------------------------

    def figures(self) -> dict[str, Any]:
        """The report's figures: name → :class:`matplotlib.figure.Figure` (the ``plot``
        extra).

        ``"confusion_matrix"`` when the report has one, and, when it carries curve data
        (:attr:`curves`), ``"roc_curve"``, ``"pr_curve"`` and ``"reliability_diagram"``.
        """
        from .. import plotting as P

        out: dict[str, Any] = {}
        if self.confusion is not None:
            out["confusion_matrix"] = P.plot_confusion_matrix(np.asarray(self.confusion))
        curves = self.curves or {}
        word = self.class_word
        if "roc" in curves:
            c = curves["roc"]
            if "per_class" in c:
                items = c["per_class"]
                out["roc_curve"] = P.plot_roc_curve(
                    [i["fpr"] for i in items], [i["tpr"] for i in items],
                    [i.get("auc") for i in items],
                    labels=[f"{word} {i[word]}" for i in items],
                    title=_macro_title("ROC curves, one-vs-rest", "AUC", c.get("auc")))
            else:
                out["roc_curve"] = P.plot_roc_curve(c["fpr"], c["tpr"], auc=c.get("auc"))
        if "pr" in curves:
            c = curves["pr"]
            if "per_class" in c:
                items = c["per_class"]
                out["pr_curve"] = P.plot_pr_curve(
                    [i["recall"] for i in items], [i["precision"] for i in items],
                    [i.get("ap") for i in items],
                    labels=[f"{word} {i[word]}" for i in items],
                    title=_macro_title("Precision-recall curves", "AP", c.get("ap")))
            else:
                out["pr_curve"] = P.plot_pr_curve(c["recall"], c["precision"], ap=c.get("ap"),
                                                  prevalence=c.get("prevalence"))
        if "reliability" in curves:
            c = curves["reliability"]
            out["reliability_diagram"] = P.plot_reliability_diagram(
                c["confidence"], c["accuracy"], c.get("mass"), edges=c.get("edges"),
                ece=c.get("ece"))
        return out

    def to_html(self, *, figures: bool = True) -> str:
        """The report as one self-contained HTML page: the header, the metrics, the
        per-class table with the averages, the confusion matrix, the figures inline as
        SVG, the notes. No script, no external resource.

        Without matplotlib (or with ``figures=False``) the page has no figures and says
        why.
        """
        from ._html import page

        return page(self, figures=figures)

    def _repr_html_(self) -> str:
        """The page's content for a notebook (its style scoped to the report)."""
        from ._html import fragment

        return fragment(self, figures=True)


def _macro_title(what: str, area: str, macro: float | None) -> str:
    return what + ("" if macro is None else f" (macro {area} = {macro:.4f})")




def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    return f"{v:.4f}" if abs(v) < 1e4 else f"{v:.4g}"


def _count(v: Any) -> str:
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    return f"{float(v):,.3f}"


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        if all(type(v) is int for v in obj):  # a row of counts: as it is
            return list(obj)
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    return obj


# -- progress ------------------------------------------------------------------------------

class _Progress:
    """A progress bar on stderr: tqdm when installed (the ``cli`` extra), else plain text.

    It appears only after ``delay`` seconds, so short runs print nothing.
    """

    def __init__(self, total: int, enabled: bool, stream: TextIO | None = None,
                 delay: float = 1.0) -> None:
        self.total, self.enabled, self.delay = total, enabled, delay
        self.stream = sys.stderr if stream is None else stream
        self.done, self.start, self.last = 0, time.perf_counter(), 0.0
        self._bar: Any = None
        self._shown = False
        if enabled:
            try:
                from tqdm import tqdm
            except ImportError:
                self._bar = None
            else:
                self._bar = tqdm(total=total, unit=" rows", unit_scale=True, delay=delay,
                                 file=self.stream, desc="evaluate", leave=False,
                                 dynamic_ncols=True)

    def update(self, n: int) -> None:
        self.done += n
        if not self.enabled:
            return
        now = time.perf_counter()
        # the last rows are always drawn (once the bar is due), however soon after the
        # previous redraw they come: the bar's final state is the whole input
        final = self.done >= self.total and now - self.start >= self.delay
        if self._bar is not None:
            self._bar.update(n)
            if final:
                self._bar.refresh()
            return
        if not final and (now - self.start < self.delay or now - self.last < 0.2):
            return
        self.last, self._shown = now, True
        # rounded down: 100.0% means every row, not 99.95% of them
        pct = math.floor(1000 * self.done / self.total) / 10 if self.total else 100.0
        rate = self.done / max(now - self.start, 1e-9)
        self.stream.write(f"\revaluate: {pct:5.1f}% {self.done:,}/{self.total:,} rows "
                          f"({rate:,.0f} rows/s)")
        self.stream.flush()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self._shown:
            self.stream.write("\r\033[K" if self.stream.isatty() else "\n")
            self.stream.flush()

"""The evaluation report (table and JSON) and the progress bar."""

from __future__ import annotations

import json
import math
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np

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
        ``support``, ``predicted``, ``correct`` (and ``recall``) per class, or ``None``
        (more than :data:`MAX_CONFUSION_CLASSES` classes). Weighted sums when sample weights
        were given.
    settings
        How the metrics were chosen: the resolved accuracy and loss, threshold, top-k,
        from_logits, chunk size.
    inputs
        The inputs: spec, shape, dtype, how they were read.
    notes
        Remarks worth reading (a task picked automatically, a trivial top-k, rows of
        probabilities that do not sum to 1).
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

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (NaN and infinities become ``None``)."""
        return _jsonable({
            "task": self.task, "n_samples": self.n_samples, "n_classes": self.n_classes,
            "metrics": self.metrics, "per_class": self.per_class, "settings": self.settings,
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
        """The report as plain text: a header, the metrics, and per-class counts."""
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
            elif name.startswith("top_"):
                note = ""
            lines.append(f"{name:<{width}}  {_fmt(value):>8}{note}")
        pc = self.per_class
        if pc is not None:
            n = len(pc["support"])
            head = "label" if self.task == "multilabel" else "class"
            lines.append("")
            cols = ("support", "predicted", "correct")
            lines.append(f"{head:>5}  " + "  ".join(f"{c:>10}" for c in cols)
                         + f"  {'recall':>8}")
            shown = range(n) if n <= max_classes else range(max_classes)
            for i in shown:
                counts = "  ".join(f"{_count(pc[c][i]):>10}" for c in cols)
                lines.append(f"{i:>5}  {counts}  {_fmt(pc['recall'][i]):>8}")
            if n > max_classes:
                lines.append(f"  ... {n - max_classes} more (--format json lists all)")
        for note in self.notes:
            lines.append(f"note: {note}")
        return "\n".join(lines)


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

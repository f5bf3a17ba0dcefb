"""The metrics of an evaluation that need the predicted probabilities: ROC AUC and PR AUC
(exact up to a bound, then thresholded), the expected calibration error and the Brier
score, with the data of their figures.

Per task (``p`` the probabilities: the scores, or ``sigmoid`` / ``softmax`` of logits,
computed once per chunk by the core, so that every engine and chunking sees the same bits):

============  ===========================================  ==============================
task          ROC AUC and PR AUC                           ECE and Brier score
============  ===========================================  ==============================
binary        of the positive class's scores (logits        of ``p`` (the probability of
              ranked as they are)                           the positive class)
multiclass    one-vs-rest per class, of ``softmax`` rows;   top-1 confidence (ECE), the
              the macro average over the classes            rows of ``p`` (Brier, not
                                                            halved: in [0, 2])
multilabel    per label, the macro average                  every (sample, label) pair as
                                                            a binary prediction
============  ===========================================  ==============================

The ROC AUC has ties handled as scikit-learn's ``roc_auc_score``, the PR AUC is the
average precision (``average_precision_score``); a class or label without positives (ROC:
or without negatives) has no AUC (NaN, ``null`` in JSON) and is left out of the macro
average, with a note. Exact AUC keeps each distinct score per label: past
:data:`AUC_MAX_DISTINCT` distinct scores in all it falls back to :func:`fallback_thresholds`
evenly spaced thresholds (:class:`nnmath.metrics.AUC`'s ``fallback_thresholds``), and the
report says so.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _core
from .. import metrics as M
from ._options import AUC_MODES

__all__ = ["AUC_MAX_DISTINCT", "AUC_MODES", "CURVE_POINTS", "MAX_AUC_LABELS", "MAX_CURVES",
           "ProbMetrics", "fallback_thresholds"]

#: distinct scores an exact AUC keeps over all its labels (24 bytes each) before it falls
#: back to thresholds: about 100 MB of state
AUC_MAX_DISTINCT = 1 << 22
#: one-vs-rest areas are computed up to this many classes or labels (as the per-class
#: counts): each keeps a state of its own
MAX_AUC_LABELS = 1024
#: the curves of at most this many classes are kept for the figures
MAX_CURVES = 10
#: a curve in the report is thinned to about this many points
CURVE_POINTS = 1000
#: the bins of the expected calibration error (equal width, torchmetrics' default)
ECE_BINS = 15


def fallback_thresholds(labels: int) -> int:
    """Thresholds of a thresholded AUC over ``labels`` labels: 1001 (every 0.001) up to 32
    labels, 201 beyond (the histogram holds ``labels × (T + 1) × 2`` counts)."""
    return 1001 if labels <= 32 else 201


def _per_label(labels: int) -> int:
    return max(1 << 12, AUC_MAX_DISTINCT // max(labels, 1))


class ProbMetrics:
    """ROC/PR AUC, ECE and Brier score of a plan (``None`` where switched off)."""

    def __init__(self, task: str, n_classes: int, from_logits: bool, auc: str,
                 calibration: bool) -> None:
        self.task = task
        self.from_logits = from_logits
        labels = 1 if task == "binary" else n_classes
        self.auc: Any = None
        #: why the areas are not computed, for the notes
        self.skipped: str | None = None
        if auc != "none" and labels > MAX_AUC_LABELS:
            self.skipped = (f"ROC AUC and PR AUC are skipped above {MAX_AUC_LABELS} "
                            f"{'labels' if task == 'multilabel' else 'classes'} (one state "
                            "per class; evaluate a subset of the classes for them)")
        elif auc != "none":
            multi = task != "binary"
            # multiclass AUC ranks the softmax probabilities; the others the scores as given
            logits = from_logits and task != "multiclass"
            kwargs: dict[str, Any] = {"multi_label": multi, "average": None,
                                      "from_logits": logits, "name": "roc_auc"}
            if multi:
                kwargs["num_labels"] = labels
            t = fallback_thresholds(labels)
            if auc == "exact":
                self.auc = M.AUC(num_thresholds=None, max_distinct=_per_label(labels),
                                 fallback_thresholds=t, **kwargs)
            else:
                self.auc = M.AUC(num_thresholds=t, **kwargs)
        self.ece: Any = M.ExpectedCalibrationError(n_bins=ECE_BINS, name="ece") \
            if calibration else None
        self.brier: Any = M.BrierScore(name="brier_score") if calibration else None

    @property
    def active(self) -> bool:
        return any(m is not None for m in (self.auc, self.ece, self.brier))

    def metrics(self) -> dict[str, Any]:
        return {k: m for k, m in (("auc", self.auc), ("ece", self.ece),
                                  ("brier", self.brier)) if m is not None}

    # -- one chunk --------------------------------------------------------------------------
    def update(self, truth: np.ndarray, scores: np.ndarray, w: np.ndarray | None) -> None:
        """Add a checked chunk: ``truth`` 0/1 (binary: ``(N,)``; multilabel: ``(N, L)``) or
        class labels ``(N,)``; ``scores`` as the plan reads them (binary: ``(N,)``)."""
        if not self.active or len(scores) == 0:
            return
        p = None
        if self.ece is not None or (self.task == "multiclass" and self.from_logits):
            p = self._probabilities(scores)
        if self.auc is not None:
            ranked = p if self.task == "multiclass" and p is not None else scores
            self.auc.update_state(truth, ranked, sample_weight=w)
        if self.ece is None or p is None:
            return
        t = truth
        if self.task == "multilabel":
            labels = p.shape[1]
            t, p = truth.reshape(-1), p.reshape(-1)
            w = None if w is None else np.repeat(np.asarray(w, dtype=np.float64), labels)
        self.ece.update_state(t, p, sample_weight=w)
        self.brier.update_state(t, p, sample_weight=w)

    def _probabilities(self, scores: np.ndarray) -> np.ndarray:
        """The probabilities of a chunk: the scores, or ``softmax`` (multiclass) or
        ``sigmoid`` of logits, by the core in the scores' dtype."""
        if not self.from_logits:
            return scores
        if self.task == "multiclass":
            from ..activations import softmax

            return np.asarray(softmax(scores, axis=1))
        return np.asarray(_core.sigmoid(scores))

    # -- state --------------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        return {k: m.get_state() for k, m in self.metrics().items()}

    def set_state(self, state: dict[str, Any]) -> None:
        for k in ("auc", "ece", "brier"):
            if k in state:
                setattr(self, k, M.Metric.from_state(state[k]))

    def merge(self, state: dict[str, Any]) -> None:
        mine = self.metrics()
        if set(state) != set(mine):
            raise ValueError(f"a partial result has probability metrics {sorted(state)}, the "
                             f"plan {sorted(mine)}")
        for k, m in mine.items():
            m.merge_state(M.Metric.from_state(state[k]))

    # -- results ------------------------------------------------------------------------------
    def results(self, notes: list[str], settings: dict[str, Any], word: str
                ) -> tuple[dict[str, float], dict[str, list[float]], dict[str, Any]]:
        """``(metrics, per-class AUCs, curves)`` for the report; notes and settings added."""
        metrics: dict[str, float] = {}
        per_class: dict[str, list[float]] = {}
        curves: dict[str, Any] = {}
        if self.skipped is not None:
            notes.append(self.skipped)
        if self.auc is not None:
            self._auc_results(metrics, per_class, curves, notes, settings, word)
        if self.ece is not None:
            metrics["ece"] = float(self.ece.result())
            metrics["brier_score"] = float(self.brier.result())
            rel = self.ece.reliability()
            curves["reliability"] = {"confidence": rel["confidence"].tolist(),
                                     "accuracy": rel["accuracy"].tolist(),
                                     "mass": rel["mass"].tolist(),
                                     "edges": rel["edges"].tolist(),
                                     "ece": metrics["ece"]}
            what = {"binary": "of p", "multiclass": "of the top-1 confidence",
                    "multilabel": "of every (sample, label) p"}[self.task]
            settings["ece"] = f"{ECE_BINS} equal-width bins, L1, {what}"
            settings["brier_score"] = {
                "binary": "mean (p - y)^2",
                "multiclass": "mean sum_c (p_c - [y = c])^2, in [0, 2]",
                "multilabel": "mean (p - y)^2 over (sample, label) pairs"}[self.task]
        return metrics, per_class, curves

    def _auc_results(self, metrics: dict[str, float], per_class: dict[str, list[float]],
                     curves: dict[str, Any], notes: list[str], settings: dict[str, Any],
                     word: str) -> None:
        auc = self.auc
        exact = auc.exact
        if auc.fell_back:
            notes.append(f"ROC AUC and PR AUC from {auc.fallback_thresholds} thresholds: the "
                         f"scores have more than {auc.max_distinct:,} distinct values "
                         f"per {word}, the bound of the exact AUC (--auc exact); the "
                         "thresholded areas approximate the exact ones")
        how = "exact" if exact else f"{len(auc._sorted)} thresholds"
        per = "" if self.task == "binary" else f", one-vs-rest per {word}, macro"
        if self.task == "multilabel":
            per = f", per {word}, macro"
        settings["roc_auc"] = how + per
        settings["pr_auc"] = ("average precision, exact" if exact else
                              f"interpolated, {len(auc._sorted)} thresholds") + per
        multi = self.task != "binary"
        rocs = auc.label_areas("ROC")
        aps = auc.label_areas("PR")
        for key, areas in (("roc_auc", rocs), ("pr_auc", aps)):
            values = [a["area"] if a["defined"] else math.nan for a in areas]
            defined = [v for v in values if not math.isnan(v)]
            metrics[key] = math.fsum(defined) / len(defined) if defined else math.nan
            if multi:
                per_class[key] = values
            missing = [i for i, a in enumerate(areas) if not a["defined"]]
            if missing and key == "roc_auc":
                shown = ", ".join(str(i) for i in missing[:10]) + (
                    ", ..." if len(missing) > 10 else "")
                what = (f"{len(missing)} {word if len(missing) == 1 else _plural(word)} "
                        f"without positives or negatives ({shown})" if multi else
                        "the labels are all of one class")
                notes.append(f"{what}: no ROC AUC (NaN; nor a PR AUC without positives)"
                             + (", left out of the macro averages" if multi else ""))
        labels = list(range(auc._columns))[:MAX_CURVES] if multi else [0]
        if multi and auc._columns > MAX_CURVES:
            notes.append(f"the ROC and PR figures show the first {MAX_CURVES} of "
                         f"{auc._columns} {_plural(word)}")
        roc_points = auc.label_curves("ROC", labels)
        pr_points = auc.label_curves("PR", labels)
        if not multi:
            c = roc_points[0]
            x, y = thin(c["fpr"], c["tpr"])
            curves["roc"] = {"fpr": x, "tpr": y, "auc": _none(metrics["roc_auc"])}
            c = pr_points[0]
            r, p = thin(c["recall"], c["precision"])
            total = aps[0]["positives"] + aps[0]["negatives"]
            curves["pr"] = {"recall": r, "precision": p, "ap": _none(metrics["pr_auc"]),
                            "prevalence": aps[0]["positives"] / total if total else None}
            return
        roc_items, pr_items = [], []
        for i, c_roc, c_pr in zip(labels, roc_points, pr_points, strict=True):
            x, y = thin(c_roc["fpr"], c_roc["tpr"])
            roc_items.append({word: i, "fpr": x, "tpr": y,
                              "auc": rocs[i]["area"] if rocs[i]["defined"] else None})
            r, p = thin(c_pr["recall"], c_pr["precision"])
            pr_items.append({word: i, "recall": r, "precision": p,
                             "ap": aps[i]["area"] if aps[i]["defined"] else None})
        curves["roc"] = {"per_class": roc_items, "auc": _none(metrics["roc_auc"])}
        curves["pr"] = {"per_class": pr_items, "ap": _none(metrics["pr_auc"])}


def _plural(word: str) -> str:
    return "classes" if word == "class" else word + "s"


def _none(v: float) -> float | None:
    return None if math.isnan(v) else v


def thin(x: Any, y: Any, points: int = CURVE_POINTS) -> tuple[list[float], list[float]]:
    """At most about ``points`` points of the curve through ``(x, y)``, spread evenly along
    its length (``|dx| + |dy|``), the first and the last kept: a curve of millions of
    points drawn as it looks.

    >>> thin([0, 0.5, 1], [0, 1, 1])
    ([0.0, 0.5, 1.0], [0.0, 1.0, 1.0])
    >>> len(thin(range(10_001), range(10_001), points=100)[0])
    101
    """
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    if xa.size <= points + 1:
        return xa.tolist(), ya.tolist()
    step = np.abs(np.diff(xa)) + np.abs(np.diff(ya))
    along = np.concatenate([[0.0], np.cumsum(step)])
    marks = np.linspace(0.0, along[-1], points + 1)
    keep = np.unique(np.concatenate([[0, xa.size - 1],
                                     np.searchsorted(along, marks, side="left")]))
    keep = keep[keep < xa.size]
    return xa[keep].tolist(), ya[keep].tolist()

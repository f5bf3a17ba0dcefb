"""The classification report and scikit-learn's functions of the F-score family.

* :class:`ClassificationReport` — ``sklearn.metrics.classification_report`` as a
  streaming metric (its ``output_dict`` as ``result()``, its table as :meth:`text`);
* :func:`precision_recall_fscore_support`, :func:`precision_score`, :func:`recall_score`,
  :func:`f1_score`, :func:`fbeta_score`, :func:`classification_report` — named and called
  as in ``sklearn.metrics``: one pass of the streaming classes of :mod:`._fscores` over
  the data, with scikit-learn's default labels (those that occur).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from ._base import to_numpy
from ._counts import check_average, check_beta, check_threshold01, scores, support_out
from ._fscores import MulticlassPrecisionRecallFScore, MultilabelPrecisionRecallFScore, _Scores
from ._functions import int_labels
from ._multiclass import _check_ignore

__all__ = ["ClassificationReport", "classification_report", "f1_score", "fbeta_score",
           "precision_recall_fscore_support", "precision_score", "recall_score"]


# -- the classification report ---------------------------------------------------------------

class ClassificationReport(_Scores):
    """Precision, recall, F1 and support per class with the averages, streaming:
    ``sklearn.metrics.classification_report`` (``output_dict=True``) as ``result()``, and
    its text table as :meth:`text`.

    Parameters
    ----------
    num_classes
        C.
    multilabel
        ``False``: integer labels (or scores, argmax); ``True``: ``(N, C)`` 0/1 rows.
    threshold
        Multilabel: a prediction is positive when strictly above it.
    target_names
        C names for the classes (default ``"0"``, ``"1"``, ...).
    zero_division, ignore_index, name, dtype
        As :class:`MulticlassPrecision`.

    ``result()`` has one entry per class that occurred (multiclass; every class for
    multilabel) — a dict of ``precision``, ``recall``, ``f1-score``, ``support`` — then
    ``accuracy`` (multiclass) or ``micro avg``, ``macro avg``, ``weighted avg`` and
    ``samples avg`` (multilabel), as scikit-learn.

    Examples
    --------
    >>> m = ClassificationReport(3, target_names=["cat", "dog", "fox"])
    >>> m.update_state([0, 1, 2, 2], [0, 2, 2, 1])
    >>> m.result()["fox"]
    {'precision': 0.5, 'recall': 0.5, 'f1-score': 0.5, 'support': 2}
    >>> print(m.text())
                  precision    recall  f1-score   support
    <BLANKLINE>
             cat       1.00      1.00      1.00         1
             dog       0.00      0.00      0.00         1
             fox       0.50      0.50      0.50         2
    <BLANKLINE>
        accuracy                           0.50         4
       macro avg       0.50      0.50      0.50         4
    weighted avg       0.50      0.50      0.50         4
    <BLANKLINE>
    """

    name = "classification_report"
    _params: ClassVar[tuple[str, ...]] = ("num_classes", "multilabel", "threshold",
                                          "target_names", "zero_division", "ignore_index",
                                          "dtype")

    def __init__(self, num_classes: int, *, multilabel: bool = False, threshold: float = 0.5,
                 target_names: Sequence[str] | None = None, zero_division: Any = "warn",
                 ignore_index: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        self.multilabel = bool(multilabel)
        self._multilabel = self.multilabel  # type: ignore[misc]
        self._setup(num_classes, None, zero_division, dtype)
        self.threshold = check_threshold01(threshold)
        self.ignore_index = _check_ignore(ignore_index)
        if self.multilabel and self.ignore_index is not None:
            raise ValueError("ignore_index applies to integer labels, not to multilabel rows")
        if target_names is not None:
            target_names = [str(t) for t in target_names]
            if len(target_names) != self.num_classes:
                raise ValueError(f"target_names must name the {self.num_classes} classes, got "
                                 f"{len(target_names)} names")
        self.target_names = target_names
        super().__init__(name)

    def _keeps_samples(self) -> bool:
        return True

    def _label_names(self) -> list[str]:
        return self.target_names or [str(i) for i in range(self.num_classes)]

    def result(self) -> dict[str, Any]:
        """The report as a dict (scikit-learn's ``output_dict=True``)."""
        names = self._label_names()
        if self._empty():
            return {}
        labels = (list(range(self.num_classes)) if self.multilabel
                  else self._counts.classes_present())
        per = scores(self._counts.stats(), beta=1.0, average=None,
                     zero_division=self.zero_division, labels=labels)
        support = support_out(per["support"], self._counts.is_weighted)
        out: dict[str, Any] = {}
        for i, c in enumerate(labels):
            out[names[c]] = _row(per["precision"][i], per["recall"][i], per["fbeta"][i],
                                 support[i])
        total = support.sum().item() if len(support) else 0
        averages = (("micro", "macro", "weighted", "samples") if self.multilabel
                    else ("micro", "macro", "weighted"))
        for avg in averages:
            r = scores(self._counts.stats(), beta=1.0, average=avg,
                       zero_division=self.zero_division,
                       labels=None if self.multilabel else labels,
                       samples=self._counts.sample_table() if avg == "samples" else None)
            if avg == "micro" and not self.multilabel:
                out["accuracy"] = float(r["fbeta"])
            else:
                out[f"{avg} avg"] = _row(r["precision"], r["recall"], r["fbeta"], total)
        return out

    def text(self, digits: int = 2) -> str:
        """The report as scikit-learn's text table, ``digits`` decimals."""
        report = self.result()
        rows = [k for k in report if k != "accuracy" and not k.endswith(" avg")]
        width = max([len(k) for k in report] + [len("weighted avg"), digits])
        head = f"{'':>{width}s} " + "".join(f" {h:>9}" for h in
                                             ("precision", "recall", "f1-score", "support"))
        lines = [head, ""]

        def fmt(name: str, r: Mapping[str, Any]) -> str:
            vals = "".join(f" {r[k]:>9.{digits}f}" for k in ("precision", "recall", "f1-score"))
            return f"{name:>{width}s} {vals} {_support_text(r['support']):>9}"

        lines += [fmt(k, report[k]) for k in rows]
        lines.append("")
        if "accuracy" in report:
            total = report["macro avg"]["support"]
            lines.append(f"{'accuracy':>{width}s}  {'':>9} {'':>9} "
                         f"{report['accuracy']:>9.{digits}f} {_support_text(total):>9}")
        lines += [fmt(k, report[k]) for k in report if k.endswith(" avg")]
        return "\n".join(lines) + "\n"


def _row(p: Any, r: Any, f: Any, support: Any) -> dict[str, Any]:
    return {"precision": float(p), "recall": float(r), "f1-score": float(f),
            "support": support.item() if hasattr(support, "item") else support}


def _support_text(s: Any) -> str:
    """A count as an integer, a weighted support as Python writes the float."""
    return str(s)


# -- functions, as scikit-learn's ------------------------------------------------------------

def _is_multilabel(yt: np.ndarray, yp: np.ndarray) -> bool:
    return yt.ndim == 2 and yt.shape[1] > 1 and yt.shape == yp.shape


def _check_labels(labels: Any) -> list[int] | None:
    if labels is None:
        return None
    out = [int(v) for v in int_labels(np, np.asarray(labels), None, "labels").ravel()]
    if not out:
        raise ValueError("labels must name at least one class")
    if min(out) < 0:
        raise ValueError(f"labels must be class indices >= 0, got {out}")
    return out


def _one_pass(y_true: Any, y_pred: Any, sample_weight: Any, labels: list[int] | None,
              threshold: float, beta: float, average: Any, zero_division: Any,
              pos_label: int) -> tuple[_Scores, list[int] | None]:
    """The streaming metric fed with all the data, and the labels to report."""
    yt, yp = to_numpy(y_true), to_numpy(y_pred)
    if _is_multilabel(yt, yp):
        if average == "binary":
            raise ValueError("average='binary' does not apply to multilabel targets; choose "
                             "None, 'micro', 'macro', 'weighted' or 'samples'")
        if labels is not None:
            if max(labels) >= yt.shape[1]:
                raise ValueError(f"labels must be column indices below {yt.shape[1]}, got "
                                 f"{labels}")
            yt, yp = yt[:, labels], yp[:, labels]
        m: _Scores = MultilabelPrecisionRecallFScore(
            yt.shape[1], beta, average, threshold=threshold, zero_division=zero_division)
        m.update_state(yt, yp, sample_weight)
        return m, None
    if average == "samples":
        raise ValueError("average='samples' applies to multilabel targets only")
    t = int_labels(np, yt, None, "y_true")
    if t.size and int(t.min()) < 0:
        raise ValueError("y_true holds negative labels; labels are class indices >= 0")
    if yp.ndim == yt.ndim + 1 or (yt.ndim and yp.ndim == yt.ndim and yt.shape[-1] == 1
                                  and yp.shape[-1] > 1):
        c = yp.shape[-1]  # scores: their columns are the classes
        if labels is not None and max(labels) >= c:
            raise ValueError(f"labels must be below the {c} classes of y_pred, got {labels}")
    else:
        p = int_labels(np, yp, None, "y_pred")
        c = 1 + max([int(t.max()) if t.size else 0, int(p.max()) if p.size else 0,
                     *(labels or []), pos_label if average == "binary" else 0])
    m = MulticlassPrecisionRecallFScore(c, beta, average, zero_division=zero_division,
                                        pos_label=pos_label if average == "binary" else 0)
    m.update_state(yt, yp, sample_weight)
    return m, labels


def precision_recall_fscore_support(y_true: Any, y_pred: Any, *, beta: float = 1.0,
                                    labels: Any = None, pos_label: int = 1,
                                    average: str | None = None, sample_weight: Any = None,
                                    zero_division: Any = "warn",
                                    threshold: float = 0.5) -> tuple[Any, Any, Any, Any]:
    """Precision, recall, F-beta and support, as ``sklearn.metrics``'s function.

    ``y_true``: integer labels (multiclass) or an ``(N, C)`` 0/1 indicator matrix
    (multilabel); ``y_pred``: labels (or scores: the argmax) of the same kind, multilabel
    0/1 (or scores above ``threshold``). ``labels``: the classes to report and average
    over (default: those that occur; every column for multilabel); ``average``: ``None``
    (arrays, with the support), ``"binary"``, ``"micro"``, ``"macro"``, ``"weighted"``,
    ``"samples"``. Exact counts, each ratio rounded once.

    >>> p, r, f, s = precision_recall_fscore_support([0, 1, 2, 2], [0, 2, 2, 1])
    >>> f, s
    (array([1. , 0. , 0.5]), array([1, 1, 2]))
    >>> precision_recall_fscore_support([0, 1, 1, 1], [0, 1, 0, 1], average="binary")
    (1.0, 0.6666666666666666, 0.8, None)
    """
    beta = check_beta(beta)
    labels = _check_labels(labels)
    check_average(average, (None, "micro", "macro", "weighted", "binary", "samples"))
    m, labels = _one_pass(y_true, y_pred, sample_weight, labels, check_threshold01(threshold),
                          beta, average, zero_division, int(pos_label))
    if m._empty():
        raise ValueError("y_true and y_pred hold no samples")
    if m._multilabel or average == "binary":
        out = m._compute()
    else:
        out = scores(m._counts.stats(), beta=beta, average=average,
                     zero_division=m.zero_division,
                     labels=m._counts.classes_present() if labels is None else labels)
        if out["support"] is not None:
            out["support"] = support_out(out["support"], m._counts.is_weighted)
    return out["precision"], out["recall"], out["fbeta"], out["support"]


def precision_score(y_true: Any, y_pred: Any, *, labels: Any = None, pos_label: int = 1,
                    average: str | None = "binary", sample_weight: Any = None,
                    zero_division: Any = "warn") -> Any:
    """Precision ``tp / (tp + fp)``, as ``sklearn.metrics.precision_score``
    (see :func:`precision_recall_fscore_support`).

    >>> precision_score([0, 1, 1, 0], [1, 1, 1, 0])
    0.6666666666666666
    """
    return precision_recall_fscore_support(
        y_true, y_pred, labels=labels, pos_label=pos_label, average=average,
        sample_weight=sample_weight, zero_division=zero_division)[0]


def recall_score(y_true: Any, y_pred: Any, *, labels: Any = None, pos_label: int = 1,
                 average: str | None = "binary", sample_weight: Any = None,
                 zero_division: Any = "warn") -> Any:
    """Recall ``tp / (tp + fn)``, as ``sklearn.metrics.recall_score``.

    >>> recall_score([0, 1, 1, 0], [1, 1, 0, 0])
    0.5
    """
    return precision_recall_fscore_support(
        y_true, y_pred, labels=labels, pos_label=pos_label, average=average,
        sample_weight=sample_weight, zero_division=zero_division)[1]


def fbeta_score(y_true: Any, y_pred: Any, *, beta: float, labels: Any = None,
                pos_label: int = 1, average: str | None = "binary",
                sample_weight: Any = None, zero_division: Any = "warn") -> Any:
    """F-beta, as ``sklearn.metrics.fbeta_score``.

    >>> fbeta_score([0, 1, 1, 0], [1, 1, 0, 0], beta=2.0)  # 5·1 / (5·1 + 4·1 + 1)
    0.5
    """
    return precision_recall_fscore_support(
        y_true, y_pred, beta=beta, labels=labels, pos_label=pos_label, average=average,
        sample_weight=sample_weight, zero_division=zero_division)[2]


def f1_score(y_true: Any, y_pred: Any, *, labels: Any = None, pos_label: int = 1,
             average: str | None = "binary", sample_weight: Any = None,
             zero_division: Any = "warn") -> Any:
    """F1, as ``sklearn.metrics.f1_score``.

    >>> f1_score([0, 1, 2, 2], [0, 2, 2, 1], average="macro")
    0.5
    """
    return precision_recall_fscore_support(
        y_true, y_pred, labels=labels, pos_label=pos_label, average=average,
        sample_weight=sample_weight, zero_division=zero_division)[2]


def classification_report(y_true: Any, y_pred: Any, *, target_names: Sequence[str] | None = None,
                          sample_weight: Any = None, digits: int = 2,
                          output_dict: bool = False, zero_division: Any = "warn",
                          threshold: float = 0.5) -> Any:
    """The text (or, with ``output_dict=True``, the dict) of
    ``sklearn.metrics.classification_report``, from one pass of
    :class:`ClassificationReport`. ``target_names`` names every class ``0 .. C-1``.

    >>> classification_report([0, 1, 1], [0, 1, 0], output_dict=True)["1"]
    {'precision': 1.0, 'recall': 0.5, 'f1-score': 0.6666666666666666, 'support': 2}
    """
    yt, yp = to_numpy(y_true), to_numpy(y_pred)
    multilabel = _is_multilabel(yt, yp)
    if multilabel:
        c = yt.shape[1]
    else:
        t = int_labels(np, yt, None, "y_true")
        c = 1 + (int(t.max()) if t.size else 0)
        if yp.ndim == yt.ndim + 1:
            c = max(c, yp.shape[-1])
        else:
            p = int_labels(np, yp, None, "y_pred")
            c = max(c, 1 + (int(p.max()) if p.size else 0))
    if target_names is not None and len(target_names) != c:
        c = max(c, len(target_names))
    m = ClassificationReport(c, multilabel=multilabel, threshold=threshold,
                             target_names=target_names, zero_division=zero_division)
    m.update_state(yt, yp, sample_weight)
    return m.result() if output_dict else m.text(digits)


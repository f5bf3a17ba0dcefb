"""F-scores, precision, recall and specificity, as Keras and scikit-learn define them.

Naming
------
* **Keras 3**: :class:`F1Score` and :class:`FBetaScore` — multi-hot (or one-hot) rows of
  shape ``(N, C)``, Keras's constructor and averages (``None``, ``"micro"``,
  ``"macro"``, ``"weighted"``), exact counts.
* **scikit-learn / torchmetrics, streaming**: ``Multiclass<Measure>`` for integer labels
  (``y_pred`` as labels, or scores whose argmax is the prediction) and
  ``Multilabel<Measure>`` for ``(N, C)`` 0/1 targets (``y_pred`` 0/1 or scores above
  ``threshold``), where ``<Measure>`` is ``Precision``, ``Recall``, ``F1Score``,
  ``FBetaScore``, ``Specificity`` or ``PrecisionRecallFScore`` (scikit-learn's four-tuple
  ``(precision, recall, fbeta, support)``); the report is ``ClassificationReport``
  (:mod:`._report`). Averages and ``zero_division`` are scikit-learn's: ``None`` (one
  value per class), ``"micro"``, ``"macro"``, ``"weighted"``, ``"binary"`` (the class
  ``pos_label``; multiclass) and ``"samples"`` (multilabel).
* **functions**, named and called as in ``sklearn.metrics``
  (``precision_recall_fscore_support`` and the others, in :mod:`._report`): one pass of
  the streaming classes over the data.

Multiclass metrics keep :class:`ConfusionMatrix`'s state (one ``bincount`` of
``y_true * C + y_pred`` per update); multilabel ones a 2 x 2 table per class. The macro
average runs over the classes that occurred as a true or a predicted label (multiclass;
scikit-learn's default ``labels``, and the classes torchmetrics does not skip), or over all
``C`` columns (multilabel, as scikit-learn).
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np

from .._exact import to_float
from ._base import Metric, StateField, decode_state, update_by_blocks
from ._counts import (
    MEASURES,
    MulticlassCounts,
    MultilabelCounts,
    check_average,
    check_beta,
    check_dtype,
    check_pos_label,
    check_threshold01,
    check_zero_division,
    scores,
    support_out,
)
from ._multiclass import _check_ignore, _check_num_classes

__all__ = [
    "F1Score",
    "FBetaScore",
    "MulticlassF1Score",
    "MulticlassFBetaScore",
    "MulticlassPrecision",
    "MulticlassPrecisionRecallFScore",
    "MulticlassRecall",
    "MulticlassSpecificity",
    "MultilabelF1Score",
    "MultilabelFBetaScore",
    "MultilabelPrecision",
    "MultilabelPrecisionRecallFScore",
    "MultilabelRecall",
    "MultilabelSpecificity",
]


# -- Keras 3: F1Score, FBetaScore --------------------------------------------------------------

class FBetaScore(Metric):
    r"""The F-beta score of multi-hot rows, as Keras 3's ``keras.metrics.FBetaScore``.

    .. math:: F_\beta = \frac{(1 + \beta^2)\, tp}{(1 + \beta^2)\, tp + \beta^2 fn + fp}

    per class (column) from the exact counts of all updates, then averaged.

    Parameters
    ----------
    average
        ``None`` (one score per class), ``"micro"`` (from the counts summed over the
        classes), ``"macro"`` (the mean over all classes) or ``"weighted"`` (weighted by
        each class's support, the weighted sum of its true labels).
    beta
        A finite number > 0: recall weighs beta times as much as precision.
    threshold
        ``None``: in each row, the entries equal to the row's maximum (and nonzero) are the
        positive predictions (so ties all count); a number in (0, 1]: the entries strictly
        above it.
    name, dtype
        Keras's; ``dtype`` is accepted and kept, results are float64 (Python floats, or an
        array for ``average=None``).

    Inputs: ``y_true`` 0/1 of shape ``(N, C)``; ``y_pred`` scores of the same shape;
    ``sample_weight`` one weight per row.

    Notes
    -----
    Differences from Keras, each shown by a test:

    * Keras adds ``epsilon = 1e-7`` to every denominator (precision, recall, F and the
      class weights): its scores are slightly below the exact ratio, and far below it when
      the counts themselves are small — weights of 1e-7 give Keras an F1 near 0.5 where
      the exact score is 1. Here a score with no true positive is 0 (Keras's value too).
    * Keras keeps float32 totals, which stop counting at 2**24; the counts here are exact
      integers (weighted: exact sums), so a result does not depend on batching or
      merging.
    * ``y_true`` must hold 0/1 (Keras multiplies whatever it gets); NaN in ``y_pred`` is
      refused.
    * The row maximum is taken in ``y_pred``'s dtype; Keras first casts to float32.
    * Before any update ``result()`` is 0.0 (an empty array with ``average=None``).

    Examples
    --------
    >>> m = FBetaScore(beta=2.0, threshold=0.5)
    >>> m.update_state([[1, 0], [1, 1], [0, 1]], [[0.9, 0.2], [0.3, 0.8], [0.6, 0.7]])
    >>> m.result()                    # per class: tp, fp, fn = (1, 1, 1) and (2, 0, 0)
    array([0.5, 1. ])
    >>> FBetaScore(average="micro", threshold=0.5)([[1, 0], [1, 1]], [[0.9, 0.2], [0.3, 0.8]])
    0.8
    """

    name = "fbeta_score"
    _params: ClassVar[tuple[str, ...]] = ("average", "beta", "threshold", "dtype")
    AVERAGES = (None, "micro", "macro", "weighted")

    def __init__(self, average: str | None = None, beta: float = 1.0,
                 threshold: float | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        self.average = check_average(average, self.AVERAGES)
        self.beta = check_beta(beta, positive=True)
        if threshold is not None:
            threshold = check_threshold01(threshold)
            if not 0.0 < threshold <= 1.0:
                raise ValueError(f"threshold must lie in (0, 1], got {threshold!r}")
        self.threshold = threshold
        self.dtype = check_dtype(dtype)
        super().__init__(name)

    def reset_state(self) -> None:
        """Forget everything (the number of classes too)."""
        self._counts = MultilabelCounts(None, self.threshold)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add one batch: ``(N, C)`` 0/1 targets and scores, one weight per row."""
        if update_by_blocks(self, y_true, y_pred, sample_weight):
            return
        self._counts.update(y_true, y_pred, sample_weight)

    def _class_scores(self, tp: list[Any], fp: list[Any], fn: list[Any]) -> list[Fraction]:
        b2 = Fraction(self.beta) ** 2
        return [Fraction(0) if t == 0 else (1 + b2) * t / ((1 + b2) * t + b2 * n + p)
                for t, p, n in zip(tp, fp, fn, strict=True)]

    def result(self) -> Any:
        """A Python float, or an array of per-class scores for ``average=None``."""
        if self._counts.num_classes is None:
            return np.zeros(0) if self.average is None else 0.0
        s = self._counts.stats()
        if self.average == "micro":
            tot = s.total()
            return to_float(self._class_scores(tot.tp, tot.fp, tot.fn)[0])
        f = self._class_scores(s.tp, s.fp, s.fn)
        if self.average is None:
            return np.array([to_float(v) for v in f], dtype=np.float64)
        if self.average == "macro":
            return to_float(sum(f, Fraction(0)) / len(f))
        support = s.support
        total = sum(support, Fraction(0))
        if total == 0:
            return 0.0
        return to_float(sum((Fraction(n) * v for n, v in zip(support, f, strict=True)),
                            Fraction(0)) / total)

    # -- state ------------------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        return self._counts.state()

    def _schema(self) -> dict[str, StateField]:
        return self._counts.schema()

    def _checked(self, state: Any) -> dict[str, Any]:
        c = self._counts.c
        if isinstance(state, Mapping) and isinstance(state.get("counts"), list):
            c = len(state["counts"])  # the classes are known from the first update on
        return decode_state(self._counts.schema(c), (), state)

    def _set_state(self, state: Mapping[str, Any]) -> None:
        self._counts.set_state(state)

    def _compatible(self, other: Any) -> None:
        super()._compatible(other)
        mine, theirs = self._counts.num_classes, other._counts.num_classes
        if mine is not None and theirs is not None and mine != theirs:
            raise ValueError(f"others: cannot merge metrics of {theirs} classes into one of "
                             f"{mine}")

    def _merge(self, other: Any) -> None:
        self._counts.merge(other._counts)


class F1Score(FBetaScore):
    """The F1 score of multi-hot rows, as Keras 3's ``keras.metrics.F1Score``.

    :class:`FBetaScore` with ``beta=1``: the harmonic mean of precision and recall,
    ``2 tp / (2 tp + fp + fn)`` per class. Same parameters (but ``beta``), inputs and
    differences from Keras.

    Examples
    --------
    >>> m = F1Score(average="macro", threshold=0.5)
    >>> m.update_state([[1, 0], [1, 1], [0, 1]], [[0.9, 0.2], [0.3, 0.8], [0.6, 0.7]])
    >>> m.result()                    # (1/2 + 1) / 2
    0.75
    >>> F1Score()([[0, 1, 0]], [[0.2, 0.5, 0.5]])  # threshold None: ties with the maximum
    array([0., 1., 0.])
    """

    name = "f1_score"
    _params: ClassVar[tuple[str, ...]] = ("average", "threshold", "dtype")

    def __init__(self, average: str | None = None, threshold: float | None = None,
                 name: str | None = None, dtype: Any = None) -> None:
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)


# -- scikit-learn's set, streaming --------------------------------------------------------------

class _Scores(Metric):
    """Shared by the Multiclass*/Multilabel* classes: the counts and the averages."""

    _measure: ClassVar[str] = "all"
    _multilabel: ClassVar[bool] = False
    beta: float = 1.0
    pos_label: int = 1
    threshold: float = 0.5
    ignore_index: int | None = None

    def _setup(self, num_classes: Any, average: Any, zero_division: Any, dtype: Any) -> None:
        self.num_classes = _check_num_classes(num_classes)
        allowed = ((None, "micro", "macro", "weighted", "samples") if self._multilabel
                   else (None, "micro", "macro", "weighted", "binary"))
        self.average = check_average(average, allowed)
        self.zero_division = check_zero_division(zero_division)
        self.dtype = check_dtype(dtype)

    def reset_state(self) -> None:
        """Forget everything."""
        if self._multilabel:
            self._counts: Any = MultilabelCounts(self.num_classes, self.threshold,
                                                 samples=self._keeps_samples())
        else:
            self._counts = MulticlassCounts(self.num_classes, self.ignore_index)

    def _keeps_samples(self) -> bool:
        return self.average == "samples"

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add one batch; ``sample_weight``: one weight per sample.

        Multiclass: integer labels, and labels or scores (the argmax is the prediction);
        multilabel: ``(N, C)`` 0/1 targets, and 0/1 or scores (``> threshold``).
        """
        if update_by_blocks(self, y_true, y_pred, sample_weight):
            return
        self._counts.update(y_true, y_pred, sample_weight)

    def _empty(self) -> bool:
        if self._multilabel:
            return not (self._counts.counts.any() or self._counts.weighted)
        return not self._counts.classes_present()

    def _compute(self, average: Any = "config") -> dict[str, Any]:
        average = self.average if average == "config" else average
        if average == "binary":
            present = self._counts.classes_present()
            if len(present) > 2:
                raise ValueError(f"average='binary' needs at most two classes, but {present} "
                                 "occurred; choose another average")
            if len(present) == 2 and self.pos_label not in present:
                raise ValueError(f"pos_label={self.pos_label} is not a valid label: it "
                                 f"should be one of {present}")
        samples = self._counts.sample_table() if average == "samples" else None
        out = scores(self._counts.stats(), beta=self.beta, average=average,
                     zero_division=self.zero_division,
                     labels=None if average in (None, "binary", "micro") or self._multilabel
                     else self._counts.classes_present(), pos_label=self.pos_label,
                     samples=samples,
                     warn_for=MEASURES[:3] if self._measure == "all" else (self._measure,))
        if out["support"] is not None:
            out["support"] = support_out(out["support"], self._counts.is_weighted)
        return out

    def result(self) -> Any:
        """A Python float, or a float64 array per class for ``average=None`` (0.0, or
        zeros, before any update)."""
        if self._empty():
            return np.zeros(self.num_classes) if self.average is None else 0.0
        return self._compute()[self._measure]

    # -- state ------------------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        return self._counts.state()

    def _schema(self) -> dict[str, StateField]:
        return self._counts.schema()

    def _set_state(self, state: Mapping[str, Any]) -> None:
        self._counts.set_state(state)

    def _merge(self, other: Any) -> None:
        self._counts.merge(other._counts)


_MC_PARAMS = ("num_classes", "average", "zero_division", "pos_label", "ignore_index", "dtype")
_ML_PARAMS = ("num_classes", "average", "threshold", "zero_division", "dtype")

_MC_DOC = """
    Parameters
    ----------
    num_classes
        C, an integer >= 1; labels lie in ``[0, C)``.
    {beta}average
        ``"macro"`` (default: the mean over the classes that occurred as a true or a
        predicted label), ``"micro"`` (from the counts summed over the classes),
        ``"weighted"`` (weighted by support), ``"binary"`` (the class ``pos_label``; at
        most two classes may occur) or ``None`` (an array of C values).
    zero_division
        The value of a ratio whose denominator is 0: ``"warn"`` (0.0 and an
        ``UndefinedMetricWarning``), 0, 1 or NaN (left out of the averages), as
        scikit-learn.
    pos_label
        The positive class of ``average="binary"``.
    ignore_index
        A label whose samples are skipped.
    name, dtype
        The instance name; ``dtype`` is accepted and kept (results are float64).
"""

_ML_DOC = """
    Parameters
    ----------
    num_classes
        C, the number of columns.
    {beta}average
        ``"macro"`` (default: the mean over the C classes), ``"micro"``, ``"weighted"``
        (by support), ``"samples"`` (per sample, then the weighted mean over samples) or
        ``None`` (an array of C values).
    threshold
        A prediction is positive when strictly above it (0/1 predictions work with the
        default 0.5).
    zero_division
        The value of a ratio whose denominator is 0: ``"warn"`` (0.0 and an
        ``UndefinedMetricWarning``), 0, 1 or NaN (left out of the averages), as
        scikit-learn.
    name, dtype
        The instance name; ``dtype`` is accepted and kept (results are float64).
"""

_BETA_DOC = """beta
        >= 0: recall weighs beta times as much as precision (0: the precision, ``inf``:
        the recall).
    """


class _MulticlassScores(_Scores):
    _params: ClassVar[tuple[str, ...]] = _MC_PARAMS

    def __init__(self, num_classes: int, average: str | None = "macro", *,
                 zero_division: Any = "warn", pos_label: int = 1,
                 ignore_index: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        self._setup(num_classes, average, zero_division, dtype)
        self.pos_label = check_pos_label(pos_label, self.num_classes)
        self.ignore_index = _check_ignore(ignore_index)
        super().__init__(name)


class _MultilabelScores(_Scores):
    _params: ClassVar[tuple[str, ...]] = _ML_PARAMS
    _multilabel = True

    def __init__(self, num_classes: int, average: str | None = "macro", *,
                 threshold: float = 0.5, zero_division: Any = "warn",
                 name: str | None = None, dtype: Any = None) -> None:
        self._setup(num_classes, average, zero_division, dtype)
        self.threshold = check_threshold01(threshold)
        super().__init__(name)


class MulticlassPrecision(_MulticlassScores):
    __doc__ = """Precision ``tp / (tp + fp)`` of integer labels, streaming
    (``sklearn.metrics.precision_score``, torchmetrics' ``MulticlassPrecision``).
    """ + _MC_DOC.format(beta="") + """
    Examples
    --------
    >>> m = MulticlassPrecision(3)
    >>> m.update_state([0, 1, 2, 2], [0, 2, 2, 1])
    >>> m.result()                    # (1 + 0 + 1/2) / 3
    0.5
    >>> MulticlassPrecision(3, average=None)([0, 1, 2, 2], [0, 2, 2, 1])
    array([1. , 0. , 0.5])
    """
    name = "multiclass_precision"
    _measure = "precision"


class MulticlassRecall(_MulticlassScores):
    __doc__ = """Recall ``tp / (tp + fn)`` of integer labels, streaming
    (``sklearn.metrics.recall_score``; its macro average is the balanced accuracy).
    """ + _MC_DOC.format(beta="") + """
    Examples
    --------
    >>> MulticlassRecall(3, average="micro")([0, 1, 2, 2], [0, 2, 2, 1])
    0.5
    """
    name = "multiclass_recall"
    _measure = "recall"


class MulticlassFBetaScore(_MulticlassScores):
    __doc__ = r"""F-beta of integer labels, streaming (``sklearn.metrics.fbeta_score``).

    Per class :math:`(1 + \beta^2)\, tp / ((1 + \beta^2)\, tp + \beta^2 fn + fp)`.
    """ + _MC_DOC.format(beta=_BETA_DOC) + """
    Examples
    --------
    >>> MulticlassFBetaScore(3, beta=0.5, average=None)([0, 1, 2, 2], [0, 2, 2, 1])
    array([1. , 0. , 0.5])
    """
    name = "multiclass_fbeta_score"
    _measure = "fbeta"
    _params: ClassVar[tuple[str, ...]] = ("num_classes", "beta", *_MC_PARAMS[1:])

    def __init__(self, num_classes: int, beta: float = 1.0, average: str | None = "macro", *,
                 zero_division: Any = "warn", pos_label: int = 1,
                 ignore_index: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        self.beta = check_beta(beta)
        super().__init__(num_classes, average, zero_division=zero_division,
                         pos_label=pos_label, ignore_index=ignore_index, name=name,
                         dtype=dtype)


class MulticlassF1Score(_MulticlassScores):
    __doc__ = """F1 ``2 tp / (2 tp + fp + fn)`` of integer labels, streaming
    (``sklearn.metrics.f1_score``, torchmetrics' ``MulticlassF1Score``).
    """ + _MC_DOC.format(beta="") + """
    Examples
    --------
    >>> MulticlassF1Score(3, average="weighted")([0, 1, 2, 2], [0, 2, 2, 1])
    0.5
    """
    name = "multiclass_f1_score"
    _measure = "fbeta"


class MulticlassSpecificity(_MulticlassScores):
    __doc__ = """Specificity ``tn / (tn + fp)`` of integer labels, streaming
    (torchmetrics' ``MulticlassSpecificity``; the weighted average weighs by support).
    """ + _MC_DOC.format(beta="") + """
    Examples
    --------
    >>> MulticlassSpecificity(3, average=None)([0, 1, 2, 2], [0, 2, 2, 1])
    array([1.        , 0.66666667, 0.5       ])
    """
    name = "multiclass_specificity"
    _measure = "specificity"


class MulticlassPrecisionRecallFScore(_MulticlassScores):
    __doc__ = """``(precision, recall, fbeta, support)`` of integer labels, streaming:
    ``sklearn.metrics.precision_recall_fscore_support``.

    ``result()`` is the four-tuple: arrays of C values (``support``: int64 counts, or
    float64 weighted sums) for ``average=None``, else three floats and ``None``.
    """ + _MC_DOC.format(beta=_BETA_DOC) + """
    Examples
    --------
    >>> m = MulticlassPrecisionRecallFScore(3, average=None)
    >>> m.update_state([0, 1, 2, 2], [0, 2, 2, 1])
    >>> p, r, f, support = m.result()
    >>> p, r, support
    (array([1. , 0. , 0.5]), array([1. , 0. , 0.5]), array([1, 1, 2]))
    """
    name = "multiclass_precision_recall_fscore"
    _params: ClassVar[tuple[str, ...]] = ("num_classes", "beta", *_MC_PARAMS[1:])

    def __init__(self, num_classes: int, beta: float = 1.0, average: str | None = None, *,
                 zero_division: Any = "warn", pos_label: int = 1,
                 ignore_index: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        self.beta = check_beta(beta)
        super().__init__(num_classes, average, zero_division=zero_division,
                         pos_label=pos_label, ignore_index=ignore_index, name=name,
                         dtype=dtype)

    def result(self) -> Any:
        """``(precision, recall, fbeta, support)``."""
        if self._empty():
            if self.average is None:
                z = np.zeros(self.num_classes)
                return z, z.copy(), z.copy(), np.zeros(self.num_classes, dtype=np.int64)
            return 0.0, 0.0, 0.0, None
        out = self._compute()
        return out["precision"], out["recall"], out["fbeta"], out["support"]


class MultilabelPrecision(_MultilabelScores):
    __doc__ = """Precision of multi-hot rows, streaming (``sklearn.metrics.precision_score``
    of an indicator matrix, torchmetrics' ``MultilabelPrecision``).
    """ + _ML_DOC.format(beta="") + """
    Examples
    --------
    >>> m = MultilabelPrecision(2, average=None)
    >>> m.update_state([[1, 0], [1, 1], [0, 1]], [[0.9, 0.2], [0.3, 0.8], [0.6, 0.7]])
    >>> m.result()
    array([0.5, 1. ])
    """
    name = "multilabel_precision"
    _measure = "precision"


class MultilabelRecall(_MultilabelScores):
    __doc__ = """Recall of multi-hot rows, streaming (``sklearn.metrics.recall_score``).
    """ + _ML_DOC.format(beta="") + """
    Examples
    --------
    >>> MultilabelRecall(2, average="samples")([[1, 0], [1, 1]], [[1, 0], [0, 1]])
    0.75
    """
    name = "multilabel_recall"
    _measure = "recall"


class MultilabelFBetaScore(_MultilabelScores):
    __doc__ = """F-beta of multi-hot rows, streaming (``sklearn.metrics.fbeta_score``).
    """ + _ML_DOC.format(beta=_BETA_DOC) + """
    Examples
    --------
    >>> MultilabelFBetaScore(2, beta=2.0, average="micro")([[1, 0], [1, 1]], [[1, 0], [0, 1]])
    0.7142857142857143
    """
    name = "multilabel_fbeta_score"
    _measure = "fbeta"
    _params: ClassVar[tuple[str, ...]] = ("num_classes", "beta", *_ML_PARAMS[1:])

    def __init__(self, num_classes: int, beta: float = 1.0, average: str | None = "macro", *,
                 threshold: float = 0.5, zero_division: Any = "warn",
                 name: str | None = None, dtype: Any = None) -> None:
        self.beta = check_beta(beta)
        super().__init__(num_classes, average, threshold=threshold,
                         zero_division=zero_division, name=name, dtype=dtype)


class MultilabelF1Score(_MultilabelScores):
    __doc__ = """F1 of multi-hot rows, streaming (``sklearn.metrics.f1_score``).
    """ + _ML_DOC.format(beta="") + """
    Examples
    --------
    >>> MultilabelF1Score(2)([[1, 0], [1, 1]], [[1, 0], [0, 1]])  # (2/3 + 1) / 2
    0.8333333333333334
    """
    name = "multilabel_f1_score"
    _measure = "fbeta"


class MultilabelSpecificity(_MultilabelScores):
    __doc__ = """Specificity ``tn / (tn + fp)`` of multi-hot rows, streaming (torchmetrics'
    ``MultilabelSpecificity``).
    """ + _ML_DOC.format(beta="") + """
    Examples
    --------
    >>> MultilabelSpecificity(2, average=None)([[1, 0], [0, 1]], [[1, 1], [0, 1]])
    array([1., 0.])
    """
    name = "multilabel_specificity"
    _measure = "specificity"


class MultilabelPrecisionRecallFScore(_MultilabelScores):
    __doc__ = """``(precision, recall, fbeta, support)`` of multi-hot rows, streaming
    (``sklearn.metrics.precision_recall_fscore_support`` of an indicator matrix).
    """ + _ML_DOC.format(beta=_BETA_DOC) + """
    Examples
    --------
    >>> m = MultilabelPrecisionRecallFScore(2, average=None)
    >>> m.update_state([[1, 0], [1, 1]], [[1, 0], [0, 1]])
    >>> m.result()[3]
    array([2, 1])
    """
    name = "multilabel_precision_recall_fscore"
    _params: ClassVar[tuple[str, ...]] = ("num_classes", "beta", *_ML_PARAMS[1:])

    def __init__(self, num_classes: int, beta: float = 1.0, average: str | None = None, *,
                 threshold: float = 0.5, zero_division: Any = "warn",
                 name: str | None = None, dtype: Any = None) -> None:
        self.beta = check_beta(beta)
        super().__init__(num_classes, average, threshold=threshold,
                         zero_division=zero_division, name=name, dtype=dtype)

    def result(self) -> Any:
        """``(precision, recall, fbeta, support)``."""
        if self._empty():
            if self.average is None:
                z = np.zeros(self.num_classes)
                return z, z.copy(), z.copy(), np.zeros(self.num_classes, dtype=np.int64)
            return 0.0, 0.0, 0.0, None
        out = self._compute()
        return out["precision"], out["recall"], out["fbeta"], out["support"]

"""Classification metrics with Keras 3 semantics, exact at any scale, mergeable across workers.

Functions return one value per sample (1.0 for a hit); the streaming classes accumulate
them:

>>> import numpy as np  # noqa: F401 - the doctests use it
>>> import nnmath.metrics as M
>>> M.binary_accuracy([0, 1, 1], [0.4, 0.7, 0.3])
array([1., 1., 0.])
>>> acc = M.SparseCategoricalAccuracy()
>>> for labels, scores in [([0, 1], [[0.9, 0.1], [0.8, 0.2]]), ([1], [[0.3, 0.7]])]:
...     acc.update_state(labels, scores)
>>> acc.result()
0.6666666666666666

Partial results from several workers merge into exactly the result of one pass, and
travel as JSON:

>>> import json
>>> a, b = M.SparseCategoricalAccuracy(), M.SparseCategoricalAccuracy()
>>> a.update_state([0, 1], [[0.9, 0.1], [0.8, 0.2]])
>>> b.update_state([1], [[0.3, 0.7]])
>>> merged = M.Metric.from_state(json.loads(json.dumps(a.get_state())))
>>> merged.merge_state(b)
>>> merged.result() == acc.result()
True

Exactness
---------
Unweighted counts are integers, so ``result()`` is the correctly rounded ratio at any
number of samples (Keras and torchmetrics keep float32 totals, which stop counting at
2**24: one more hit no longer changes them). Weighted totals are exact sums of the
float64 products ``w·v``, kept as fractions, so a result does not depend on how the data
were split into batches or workers.

Other array libraries
---------------------
PyTorch, JAX, CuPy, Dask and array-api-strict arrays work through ``array-api-compat``:
the functions return arrays of the input's library; the streaming classes accept them
and keep their state on the host. On Dask the functions stay lazy (a NaN prediction or a
label out of range is refused when the result is computed), and ``update_state`` computes
one exact partial state per chunk, all in one ``compute``, so the state equals that of
one NumPy pass.

Which accuracy
--------------
``get("accuracy", y_true=..., y_pred=...)`` picks the accuracy the way Keras's
``compile(metrics=["accuracy"])`` does, from the shapes alone (see
:func:`resolve_accuracy`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np  # noqa: F401 - the doctests use it

from .._array import target_kind
from ._auc import AUC, average_precision, roc_auc
from ._base import MeanMetric, Metric
from ._classes import (
    Accuracy,
    BinaryAccuracy,
    BinaryCrossentropy,
    CategoricalAccuracy,
    CategoricalCrossentropy,
    CategoricalHinge,
    Hinge,
    KLDivergence,
    MultilabelAccuracy,
    Poisson,
    SparseCategoricalAccuracy,
    SparseCategoricalCrossentropy,
    SparseTopKCategoricalAccuracy,
    SquaredHinge,
    TopKCategoricalAccuracy,
)
from ._functions import (
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from ._iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from ._multiclass import ConfusionMatrix, MulticlassAccuracy
from ._thresholds import (
    FalseNegatives,
    FalsePositives,
    Precision,
    PrecisionAtRecall,
    Recall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    TrueNegatives,
    TruePositives,
)

__all__ = [
    "Accuracy",
    "BinaryAccuracy",
    "BinaryCrossentropy",
    "CategoricalAccuracy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "ConfusionMatrix",
    "Hinge",
    "KLDivergence",
    "MeanMetric",
    "Metric",
    "MulticlassAccuracy",
    "MultilabelAccuracy",
    "Poisson",
    "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy",
    "SquaredHinge",
    "TopKCategoricalAccuracy",
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "get",
    "names",
    "resolve_accuracy",
    "resolve_crossentropy",
    "sparse_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "top_k_categorical_accuracy",
]

# -- thresholded metrics, AUC and IoU -------------------------------------------------------
__all__ += [
    "AUC",
    "BinaryIoU",
    "FalseNegatives",
    "FalsePositives",
    "IoU",
    "MeanIoU",
    "OneHotIoU",
    "OneHotMeanIoU",
    "Precision",
    "PrecisionAtRecall",
    "Recall",
    "RecallAtPrecision",
    "SensitivityAtSpecificity",
    "SpecificityAtSensitivity",
    "TrueNegatives",
    "TruePositives",
    "average_precision",
    "roc_auc",
]
_THRESHOLD_CLASSES: tuple[type[Metric], ...] = (
    TruePositives, FalsePositives, TrueNegatives, FalseNegatives, Precision, Recall,
    PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity,
    AUC, IoU, MeanIoU, BinaryIoU, OneHotIoU, OneHotMeanIoU,
)
# -- end of thresholded metrics, AUC and IoU ------------------------------------------------

_CLASSES: tuple[type[Metric], ...] = (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    KLDivergence,
    Poisson,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    ConfusionMatrix,
    MulticlassAccuracy,
    MultilabelAccuracy,
    *_THRESHOLD_CLASSES,
)
_REGISTRY: dict[str, type[Metric]] = {cls.name: cls for cls in _CLASSES}
_ALIASES: dict[str, type[Metric]] = {
    **{cls.__name__: cls for cls in _CLASSES},
    "kld": KLDivergence,
    "KLD": KLDivergence,
    "kullback_leibler_divergence": KLDivergence,
}
_FUNCTIONS: dict[Callable[..., Any], type[Metric]] = {
    accuracy: Accuracy,
    binary_accuracy: BinaryAccuracy,
    categorical_accuracy: CategoricalAccuracy,
    sparse_categorical_accuracy: SparseCategoricalAccuracy,
    top_k_categorical_accuracy: TopKCategoricalAccuracy,
    sparse_top_k_categorical_accuracy: SparseTopKCategoricalAccuracy,
}


def names() -> list[str]:
    """The registry names of the metrics (Keras's default metric names), in a stable order.

    >>> names()[:3]
    ['accuracy', 'binary_accuracy', 'categorical_accuracy']
    """
    return list(_REGISTRY)


def resolve_accuracy(y_true: Any, y_pred: Any) -> str:
    """The accuracy that Keras's ``compile(metrics=["accuracy"])`` picks for these shapes.

    Only the shapes matter (arrays, or anything with a ``shape``):

    * ``y_pred`` with a last dimension of 1 → ``"binary_accuracy"`` (one sigmoid output);
    * ``y_true`` of lower rank than ``y_pred``, or ending in 1 against several classes →
      ``"sparse_categorical_accuracy"`` (integer labels);
    * otherwise → ``"categorical_accuracy"`` (one-hot labels). This includes the
      surprising 1-D/1-D case: ``y_true`` and ``y_pred`` both of shape ``(N,)`` (e.g. a
      squeezed sigmoid output) give *categorical* accuracy, which takes the argmax over the
      whole batch and so scores each batch as a single 0-or-1 sample. Give ``y_pred`` the
      shape ``(N, 1)`` (or use ``"binary_accuracy"``) for per-sample binary accuracy.

    >>> resolve_accuracy(np.zeros((4, 1)), np.zeros((4, 1)))
    'binary_accuracy'
    >>> resolve_accuracy(np.zeros(4), np.zeros((4, 3)))
    'sparse_categorical_accuracy'
    >>> resolve_accuracy(np.zeros((4, 3)), np.zeros((4, 3)))
    'categorical_accuracy'
    >>> resolve_accuracy(np.zeros(4), np.zeros(4))  # 1-D/1-D: Keras's surprise
    'categorical_accuracy'
    """
    return {"binary": "binary_accuracy", "sparse": "sparse_categorical_accuracy",
            "categorical": "categorical_accuracy"}[target_kind(y_true, y_pred)]


def resolve_crossentropy(y_true: Any, y_pred: Any) -> str:
    """The loss that Keras's ``compile(loss="crossentropy")`` picks for these shapes.

    The rule of :func:`resolve_accuracy`: ``"binary_crossentropy"``,
    ``"sparse_categorical_crossentropy"`` or ``"categorical_crossentropy"`` (the name of
    the loss in :mod:`nnmath.losses`).

    >>> resolve_crossentropy(np.zeros((4, 1)), np.zeros((4, 1)))
    'binary_crossentropy'
    >>> resolve_crossentropy(np.zeros((4, 1)), np.zeros((4, 10)))
    'sparse_categorical_crossentropy'
    """
    return {"binary": "binary_crossentropy", "sparse": "sparse_categorical_crossentropy",
            "categorical": "categorical_crossentropy"}[target_kind(y_true, y_pred)]


def get(identifier: Any, *, y_true: Any = None, y_pred: Any = None, **params: Any) -> Metric:
    """Return a ``Metric`` from a name, a class, an instance or an accuracy function.

    ``"accuracy"`` (or ``"acc"``) with ``y_true`` and ``y_pred`` resolves as Keras's
    ``compile`` does (:func:`resolve_accuracy`), and the metric keeps the name you gave;
    without them it is exact-equality :class:`Accuracy` (Keras's ``metrics.get``).
    ``"crossentropy"`` (or ``"ce"``) with ``y_true`` and ``y_pred`` resolves to the loss
    metric of :func:`resolve_crossentropy`. Other names are the registry names
    (:func:`names`), the class names and Keras's aliases; Keras's
    ``{"class_name": ..., "config": {...}}`` dicts work too. ``params`` go to the
    constructor.

    >>> get("accuracy", y_true=np.zeros((8, 1)), y_pred=np.zeros((8, 1)))
    BinaryAccuracy(threshold=0.5, name='accuracy')
    >>> get("acc", y_true=np.zeros(8), y_pred=np.zeros((8, 10)))
    SparseCategoricalAccuracy(name='acc')
    >>> get("top_k_categorical_accuracy", k=3)
    TopKCategoricalAccuracy(k=3, name='top_k_categorical_accuracy')
    """
    if isinstance(identifier, Metric):
        if params or y_true is not None or y_pred is not None:
            raise TypeError("get() takes no parameters with a Metric instance")
        return identifier
    if isinstance(identifier, Mapping):
        if set(identifier) - {"class_name", "config"} or "class_name" not in identifier:
            raise ValueError("a dict identifier needs 'class_name' and optionally 'config'")
        config = dict(identifier.get("config") or {})
        config.update(params)
        return get(identifier["class_name"], y_true=y_true, y_pred=y_pred, **config)
    if isinstance(identifier, str):
        key = identifier.lower()
        if key in ("accuracy", "acc", "crossentropy", "ce"):
            if (y_true is None) != (y_pred is None):
                raise ValueError(f"get({identifier!r}) needs both y_true and y_pred (or neither)")
            if y_true is None:
                if key in ("crossentropy", "ce"):
                    raise ValueError(f"get({identifier!r}) needs y_true and y_pred to choose "
                                     "between binary, sparse and categorical cross-entropy")
                return Accuracy(name=identifier, **params)
            resolve = resolve_accuracy if key in ("accuracy", "acc") else resolve_crossentropy
            params.setdefault("name", identifier)
            return _REGISTRY[resolve(y_true, y_pred)](**params)
        cls = _REGISTRY.get(identifier) or _ALIASES.get(identifier)
        if cls is None:
            raise ValueError(f"unknown metric {identifier!r}; known: {', '.join(names())}")
        return cls(**params)
    if inspect.isclass(identifier) and issubclass(identifier, Metric):
        return identifier(**params)
    if callable(identifier) and identifier in _FUNCTIONS:
        return _FUNCTIONS[identifier](**params)
    raise TypeError(
        f"cannot interpret {identifier!r} as a metric: give a name, a Metric class or "
        "instance, or one of nnmath's accuracy functions"
    )


# -- F-scores, scikit-learn's classification set, calibration ----------------------------------
from ._agreement import (  # noqa: E402
    BalancedAccuracy,
    CohenKappa,
    MatthewsCorrelation,
    balanced_accuracy_score,
    cohen_kappa_score,
    matthews_corrcoef,
)
from ._calibration import (  # noqa: E402
    BrierScore,
    ExpectedCalibrationError,
    brier_score_loss,
    calibration_error,
)
from ._counts import UndefinedMetricWarning  # noqa: E402
from ._fscores import (  # noqa: E402
    F1Score,
    FBetaScore,
    MulticlassF1Score,
    MulticlassFBetaScore,
    MulticlassPrecision,
    MulticlassPrecisionRecallFScore,
    MulticlassRecall,
    MulticlassSpecificity,
    MultilabelF1Score,
    MultilabelFBetaScore,
    MultilabelPrecision,
    MultilabelPrecisionRecallFScore,
    MultilabelRecall,
    MultilabelSpecificity,
)
from ._report import (  # noqa: E402
    ClassificationReport,
    classification_report,
    f1_score,
    fbeta_score,
    precision_recall_fscore_support,
    precision_score,
    recall_score,
)

__all__ += [
    "BalancedAccuracy", "BrierScore", "ClassificationReport", "CohenKappa",
    "ExpectedCalibrationError", "F1Score", "FBetaScore", "MatthewsCorrelation",
    "MulticlassF1Score", "MulticlassFBetaScore", "MulticlassPrecision",
    "MulticlassPrecisionRecallFScore", "MulticlassRecall", "MulticlassSpecificity",
    "MultilabelF1Score", "MultilabelFBetaScore", "MultilabelPrecision",
    "MultilabelPrecisionRecallFScore", "MultilabelRecall", "MultilabelSpecificity",
    "UndefinedMetricWarning", "balanced_accuracy_score", "brier_score_loss",
    "calibration_error", "classification_report", "cohen_kappa_score", "f1_score",
    "fbeta_score", "matthews_corrcoef", "precision_recall_fscore_support", "precision_score",
    "recall_score",
]
for _cls in (F1Score, FBetaScore,
             MulticlassPrecision, MulticlassRecall, MulticlassF1Score, MulticlassFBetaScore,
             MulticlassSpecificity, MulticlassPrecisionRecallFScore,
             MultilabelPrecision, MultilabelRecall, MultilabelF1Score, MultilabelFBetaScore,
             MultilabelSpecificity, MultilabelPrecisionRecallFScore, ClassificationReport,
             MatthewsCorrelation, CohenKappa, BalancedAccuracy, ExpectedCalibrationError,
             BrierScore):
    _REGISTRY[_cls.name] = _cls
    _ALIASES[_cls.__name__] = _cls
_ALIASES.update({"f1": F1Score, "fbeta": FBetaScore, "mcc": MatthewsCorrelation,
                 "kappa": CohenKappa, "ece": ExpectedCalibrationError,
                 "brier_score": BrierScore})
del _cls
# -- end of the F-score, classification set and calibration block ------------------------------

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

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np  # noqa: F401 - the doctests use it

from .._array import target_kind
from .._identifiers import FUNCTION, class_or_callable, config_dict, snake_case
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
    "bce": BinaryCrossentropy,
    "BCE": BinaryCrossentropy,
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
_NAMED_FUNCTIONS: dict[str, Callable[..., Any]] = {fn.__name__: fn for fn in _FUNCTIONS}


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


def get(identifier: Any, *, y_true: Any = None, y_pred: Any = None, **params: Any) -> Any:
    """A metric from an identifier, with the semantics of Keras 3's ``keras.metrics.get``
    and a few extensions.

    As Keras does:

    * ``None`` gives ``None``;
    * a name gives an **instance**: a class name (``"BinaryAccuracy"``), its snake_case
      spelling (``"binary_accuracy"``, ``"auc"``, ``"f1_score"``, ``"f_beta_score"``,
      ``"mean_io_u"``), a registry name of :func:`names` (``"fbeta_score"``,
      ``"mean_iou"``) or one of Keras's aliases ``"bce"``, ``"BCE"``; a metric that needs
      arguments (``"mean_iou"`` needs ``num_classes``) raises ``TypeError`` without them;
    * a :class:`Metric` subclass (any class) gives an instance with the default
      parameters;
    * a dict ``{"class_name": "BinaryAccuracy", "config": {...}}`` (also what
      ``keras.saving.serialize_keras_object`` gives; ``module`` and ``registered_name``
      are ignored; ``class_name`` may be any name above) gives
      ``BinaryAccuracy.from_config(config)`` (a Keras ``dtype`` in it is ignored by the
      metrics that take none);
    * a callable (a :class:`Metric` instance, one of the accuracy functions, a user's
      function) is returned as it is;
    * an unknown name or ``class_name``, or anything else, raises ``ValueError``.

    Extensions:

    * ``"accuracy"`` (or ``"acc"``, spelled so) with ``y_true`` and ``y_pred`` resolves
      as Keras's ``compile`` does (:func:`resolve_accuracy`), and the metric keeps the
      name you gave;
      without them ``"accuracy"`` is exact-equality :class:`Accuracy` (as in Keras) and
      ``"acc"`` too. ``"crossentropy"`` (or ``"ce"``) with ``y_true`` and ``y_pred``
      resolves to the metric of :func:`resolve_crossentropy`; without them it raises
      ``ValueError``;
    * the aliases ``"kld"``, ``"KLD"``, ``"kullback_leibler_divergence"``, ``"f1"``,
      ``"fbeta"``, ``"mcc"``, ``"kappa"``, ``"ece"``, ``"brier_score"``;
    * ``{"class_name": "function", "config": "binary_accuracy"}`` (a serialized
      function) gives the accuracy function of that name;
    * keyword ``params`` go to the constructor (with a dict they update its config); one
      of the accuracy functions with ``params`` gives an instance of its class. An
      instance or a user's function with ``params`` raises ``TypeError``.

    >>> get("binary_accuracy")
    BinaryAccuracy(threshold=0.5, name='binary_accuracy')
    >>> get({"class_name": "BinaryAccuracy", "config": {"threshold": 0.7, "dtype": "float32"}})
    BinaryAccuracy(threshold=0.7, name='binary_accuracy')
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
    if identifier is None:
        if params:
            raise TypeError("get(None) takes no parameters: name the metric")
        return None
    if isinstance(identifier, Mapping):
        class_name, config = config_dict(identifier, "a metric", params)
        if class_name == FUNCTION:
            fn = _NAMED_FUNCTIONS.get(config)
            if fn is None:
                raise ValueError(f"unknown metric function {config!r} in {identifier!r}; "
                                 f"known: {', '.join(_NAMED_FUNCTIONS)}")
            return fn
        cls = _lookup(class_name)
        if cls is None:
            raise ValueError(f"unknown metric class {class_name!r} in {identifier!r}; "
                             f"known: {', '.join(names())} and their class names")
        return cls.from_config(config)
    if isinstance(identifier, str):
        key = identifier
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
        cls = _lookup(identifier)
        if cls is None:
            raise ValueError(f"unknown metric {identifier!r}; known: {', '.join(names())} "
                             "and their class names")
        return cls(**params)
    return class_or_callable(identifier, params, _FUNCTIONS, "a metric", "accuracy functions",
                             "None, a name, a dict of a serialized metric, a "
                             "Metric class or instance, or an accuracy function")


def _lookup(name: str) -> type[Metric] | None:
    """The class of a registry name, a class name, a class name's snake_case or an alias."""
    cls = _REGISTRY.get(name) or _ALIASES.get(name)
    if cls is None:
        cls = next((c for c in {*_REGISTRY.values(), *_ALIASES.values()}
                    if snake_case(c.__name__) == name), None)
    return cls


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

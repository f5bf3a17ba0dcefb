"""Streaming metric classes built on :class:`MeanMetric`: the accuracies and the losses."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .. import losses as _losses
from .._array import check_finite_scalar, dtype_kind, float_input, namespace, refuse
from ._base import MeanMetric
from ._functions import (
    accuracy_hits,
    binary_accuracy,
    binary_hits,
    categorical_hits,
    check_k,
    check_threshold,
    refuse_nan,
    shape_of,
    sparse_categorical_accuracy,
    sparse_categorical_hits,
    sparse_top_k_hits,
    top_k_hits,
)

__all__ = [
    "Accuracy",
    "BinaryAccuracy",
    "BinaryCrossentropy",
    "CategoricalAccuracy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "Hinge",
    "KLDivergence",
    "MultilabelAccuracy",
    "Poisson",
    "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy",
    "SquaredHinge",
    "TopKCategoricalAccuracy",
]


# -- accuracies -----------------------------------------------------------------------------

class Accuracy(MeanMetric):
    """How often ``y_pred`` equals ``y_true`` exactly (see :func:`accuracy`).

    Unweighted, the state is two integers (hits, samples), so the result is exact at any
    scale. Reference: Keras 3 ``keras.metrics.Accuracy``.

    Examples
    --------
    >>> m = Accuracy()
    >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    >>> m.result()
    0.75
    >>> m.reset_state()
    >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]], sample_weight=[1, 1, 0, 0])
    >>> m.result()
    0.5
    """

    name = "accuracy"

    def _values(self, y_true: Any, y_pred: Any) -> tuple[Any, Any]:
        return accuracy_hits(y_true, y_pred)[1], None


class BinaryAccuracy(MeanMetric):
    """How often ``y_pred > threshold`` matches binary labels (see :func:`binary_accuracy`).

    Every element is a decision; a sample's elements are averaged first (Keras), which
    for a fixed number of outputs is the fraction of correct elements. Reference: Keras 3
    ``keras.metrics.BinaryAccuracy``.

    Parameters
    ----------
    threshold
        A finite number; a prediction is positive when strictly above it.
    name
        The instance name.

    Examples
    --------
    >>> m = BinaryAccuracy()
    >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    >>> m.result()
    0.75
    >>> m.update_state([[1]], [[0.2]], sample_weight=[4.0])  # one heavy miss
    >>> m.result()
    0.375
    """

    name = "binary_accuracy"
    _params: ClassVar[tuple[str, ...]] = ("threshold",)

    def __init__(self, threshold: float = 0.5, name: str | None = None) -> None:
        self.threshold = check_threshold(threshold)
        super().__init__(name)

    def _values(self, y_true: Any, y_pred: Any) -> tuple[Any, Any]:
        if namespace(y_true, y_pred) is np:  # the core's hits: one pass, the same decisions
            return np.asarray(binary_accuracy(y_true, y_pred, self.threshold)) == 1, None
        return binary_hits(y_true, y_pred, self.threshold)[1], None


class CategoricalAccuracy(MeanMetric):
    """How often the argmax of ``y_pred`` matches one-hot ``y_true``.

    See :func:`categorical_accuracy` (ties go to the first index). Reference: Keras 3
    ``keras.metrics.CategoricalAccuracy``.

    Examples
    --------
    >>> m = CategoricalAccuracy()
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
    ...                sample_weight=[0.7, 0.3])
    >>> m.result()
    0.3
    """

    name = "categorical_accuracy"

    def _values(self, y_true: Any, y_pred: Any) -> tuple[Any, Any]:
        return categorical_hits(y_true, y_pred)[1], None


class SparseCategoricalAccuracy(MeanMetric):
    """How often the argmax of ``y_pred`` equals integer labels.

    See :func:`sparse_categorical_accuracy`. Reference: Keras 3
    ``keras.metrics.SparseCategoricalAccuracy``; ``sklearn.metrics.accuracy_score`` of the
    argmax.

    Examples
    --------
    >>> m = SparseCategoricalAccuracy()
    >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    >>> m.result()
    0.5
    """

    name = "sparse_categorical_accuracy"

    def _values(self, y_true: Any, y_pred: Any) -> tuple[Any, Any]:
        if namespace(y_true, y_pred) is np:  # the core's hits: one pass over each row
            return np.asarray(sparse_categorical_accuracy(y_true, y_pred)) == 1, None
        return sparse_categorical_hits(y_true, y_pred)[1], None


class TopKCategoricalAccuracy(MeanMetric):
    """How often the one-hot target is among the ``k`` best scores.

    See :func:`top_k_categorical_accuracy` (a tie with the k-th score is a hit).
    Reference: Keras 3 ``keras.metrics.TopKCategoricalAccuracy``.

    Examples
    --------
    >>> m = TopKCategoricalAccuracy(k=1)
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> m.result()
    0.5
    """

    name = "top_k_categorical_accuracy"
    _params: ClassVar[tuple[str, ...]] = ("k",)

    def __init__(self, k: int = 5, name: str | None = None) -> None:
        self.k = check_k(k)
        super().__init__(name)

    def _values(self, y_true: Any, y_pred: Any) -> tuple[Any, Any]:
        return top_k_hits(y_true, y_pred, self.k)[1], None


class SparseTopKCategoricalAccuracy(MeanMetric):
    """How often the integer label is among the ``k`` best scores (or first k sorted ids).

    See :func:`sparse_top_k_categorical_accuracy`. Reference: Keras 3
    ``keras.metrics.SparseTopKCategoricalAccuracy``; ``sklearn.metrics.top_k_accuracy_score``
    (which breaks ties by index where Keras counts them as hits).

    Examples
    --------
    >>> m = SparseTopKCategoricalAccuracy(k=1)
    >>> m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> m.result()
    0.5
    """

    name = "sparse_top_k_categorical_accuracy"
    _params: ClassVar[tuple[str, ...]] = ("k", "from_sorted_ids")

    def __init__(self, k: int = 5, from_sorted_ids: bool = False,
                 name: str | None = None) -> None:
        self.k = check_k(k)
        self.from_sorted_ids = bool(from_sorted_ids)
        super().__init__(name)

    def _values(self, y_true: Any, y_pred: Any) -> tuple[Any, Any]:
        return sparse_top_k_hits(y_true, y_pred, self.k, self.from_sorted_ids)[1], None


MODES = ("labelwise", "subset")


class MultilabelAccuracy(MeanMetric):
    r"""Multi-label accuracy: each of L labels is a yes/no decision ``y_pred > threshold``.

    Two definitions are in use, and ``mode`` picks one:

    * ``"labelwise"`` (default): the fraction of correct label decisions,
      :math:`\frac{1}{NL}\sum_{i,l} [y_{il} = [\hat y_{il} > t]]` — torchmetrics'
      ``MultilabelAccuracy`` (its default ``average="macro"`` equals this, every label
      having N decisions) and ``1 - sklearn.metrics.hamming_loss``;
    * ``"subset"``: the fraction of samples whose labels are *all* right (exact match) —
      ``sklearn.metrics.accuracy_score`` on multi-label input, torchmetrics'
      ``MultilabelExactMatch``.

    ``sample_weight`` has one weight per sample (shape ``(N,)``); in ``"labelwise"`` mode
    a shape ``(N, L)`` weighs each decision.

    Parameters
    ----------
    threshold
        A finite number; a label is predicted when its score is strictly above it (use 0
        for logits).
    mode
        ``"labelwise"`` or ``"subset"``.
    num_labels
        If given, the number of labels that every batch must have (last axis).
    name
        The instance name.

    Examples
    --------
    >>> y_true = [[1, 0, 1], [0, 1, 0]]
    >>> y_pred = [[0.9, 0.2, 0.4], [0.1, 0.8, 0.3]]
    >>> MultilabelAccuracy()(y_true, y_pred)  # 5 of 6 decisions right
    0.8333333333333334
    >>> MultilabelAccuracy(mode="subset")(y_true, y_pred)  # 1 of 2 samples all right
    0.5
    """

    name = "multilabel_accuracy"
    _params: ClassVar[tuple[str, ...]] = ("threshold", "mode", "num_labels")

    def __init__(self, threshold: float = 0.5, mode: str = "labelwise",
                 num_labels: int | None = None, name: str | None = None) -> None:
        self.threshold = check_threshold(threshold)
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.mode = mode
        self.num_labels = None if num_labels is None else check_k(num_labels, "num_labels")
        super().__init__(name)

    def _values(self, y_true: Any, y_pred: Any) -> tuple[Any, Any]:
        xp = namespace(y_true, y_pred)
        yt = np.asarray(y_true) if xp is np else xp.asarray(y_true)
        kind = dtype_kind(xp, yt.dtype)
        if kind not in ("b", "i", "f"):
            raise TypeError(f"y_true must hold 0/1 labels, got dtype {yt.dtype}")
        _, yp, _ = float_input(y_pred, "y_pred", xp=xp)
        yp_shape = shape_of(yp)
        if self.num_labels is not None and (not yp_shape or yp_shape[-1] != self.num_labels):
            raise ValueError(f"y_pred must have num_labels={self.num_labels} labels along its "
                             f"last axis, got shape {yp_shape}")
        if kind == "f":
            yt = refuse_nan(xp, yt, "y_true")
        yt = refuse(xp, yt, lambda xp, v: (v != 0) & (v != 1), lambda xp, v: ValueError(
            "y_true must hold binary labels (0 or 1) for MultilabelAccuracy"))
        hits = binary_hits(yt, yp, self.threshold)[1]
        if shape_of(hits) != yp_shape:
            raise ValueError(f"y_true and y_pred must have the same shape, got y_true "
                             f"{shape_of(yt)} and y_pred {yp_shape}")
        if self.mode == "subset" and hits.ndim:
            hits = xp.all(hits, axis=-1)
        return hits, None


# -- losses ---------------------------------------------------------------------------------

class _LossMetric(MeanMetric):
    """The weighted mean of a per-sample loss of :mod:`nnmath.losses`: ``Σ w ℓ / Σ w``."""

    _fn: ClassVar[Any] = None
    _bounded: ClassVar[bool] = False  # a loss's total has no bound

    def _kwargs(self) -> dict[str, Any]:
        return {p: getattr(self, p) for p in self._params}

    def _values(self, y_true: Any, y_pred: Any) -> tuple[Any, Any]:
        fn = type(self)._fn
        return fn(y_true, y_pred, **self._kwargs()), None


def _loss_doc(loss: str, keras: str, example: str) -> str:
    return f"""The mean of :func:`nnmath.losses.{loss}` over the samples seen (weighted).

    ``result() = Σ w_i ℓ_i / Σ w_i``, with the sum of ``w_i ℓ_i`` kept exactly, so that the
    result does not depend on the batch split. NaN losses propagate (the result is NaN).
    Reference: Keras 3 ``keras.metrics.{keras}``.

    Examples
    --------
{example}
    """


class BinaryCrossentropy(_LossMetric):
    name = "binary_crossentropy"
    _params: ClassVar[tuple[str, ...]] = ("from_logits", "label_smoothing")
    _fn = staticmethod(_losses.binary_crossentropy)

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0,
                 name: str | None = None) -> None:
        self.from_logits = bool(from_logits)
        self.label_smoothing = check_finite_scalar(label_smoothing, "label_smoothing")
        super().__init__(name)


BinaryCrossentropy.__doc__ = _loss_doc("binary_crossentropy", "BinaryCrossentropy", """\
    >>> m = BinaryCrossentropy()
    >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> print(f"{m.result():.6f}")
    0.814924""")


class CategoricalCrossentropy(_LossMetric):
    name = "categorical_crossentropy"
    _params: ClassVar[tuple[str, ...]] = ("from_logits", "label_smoothing", "axis")
    _fn = staticmethod(_losses.categorical_crossentropy)

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0,
                 axis: int = -1, name: str | None = None) -> None:
        self.from_logits = bool(from_logits)
        self.label_smoothing = check_finite_scalar(label_smoothing, "label_smoothing")
        self.axis = int(axis)
        super().__init__(name)


CategoricalCrossentropy.__doc__ = _loss_doc(
    "categorical_crossentropy", "CategoricalCrossentropy", """\
    >>> m = CategoricalCrossentropy()
    >>> m.update_state([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    >>> print(f"{m.result():.6f}")
    1.176939""")


class SparseCategoricalCrossentropy(_LossMetric):
    name = "sparse_categorical_crossentropy"
    _params: ClassVar[tuple[str, ...]] = ("from_logits", "ignore_class", "axis")
    _fn = staticmethod(_losses.sparse_categorical_crossentropy)

    def __init__(self, from_logits: bool = False, ignore_class: int | None = None,
                 axis: int = -1, name: str | None = None) -> None:
        self.from_logits = bool(from_logits)
        self.ignore_class = None if ignore_class is None else int(ignore_class)
        self.axis = int(axis)
        super().__init__(name)

    def _values(self, y_true: Any, y_pred: Any) -> tuple[Any, Any]:
        values, _ = super()._values(y_true, y_pred)
        if self.ignore_class is None:
            return values, None
        # ignored samples do not count at all (Keras's metric would average in their 0)
        xp = namespace(values)
        labels = np.asarray(y_true) if xp is np else xp.asarray(y_true)
        if shape_of(labels) != shape_of(values):
            labels = xp.reshape(labels, shape_of(values))
        return values, labels != self.ignore_class


SparseCategoricalCrossentropy.__doc__ = _loss_doc(
    "sparse_categorical_crossentropy", "SparseCategoricalCrossentropy", """\
    >>> m = SparseCategoricalCrossentropy()
    >>> m.update_state([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    >>> print(f"{m.result():.6f}")
    1.176939

    With ``ignore_class``, the samples of that label are left out of the mean (they
    neither add to the total nor count), as in the loss's reduction:

    >>> m = SparseCategoricalCrossentropy(ignore_class=-1)
    >>> m.update_state([1, -1], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    >>> print(f"{m.result():.6f}")
    0.051293""")


class KLDivergence(_LossMetric):
    name = "kl_divergence"
    _fn = staticmethod(_losses.kl_divergence)


KLDivergence.__doc__ = _loss_doc("kl_divergence", "KLDivergence", """\
    >>> m = KLDivergence()
    >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> print(f"{m.result():.6f}")
    0.458143""")


class Poisson(_LossMetric):
    name = "poisson"
    _fn = staticmethod(_losses.poisson)


Poisson.__doc__ = _loss_doc("poisson", "Poisson", """\
    >>> m = Poisson()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> print(f"{m.result():.6f}")
    0.500000""")


class Hinge(_LossMetric):
    name = "hinge"
    _fn = staticmethod(_losses.hinge)


Hinge.__doc__ = _loss_doc("hinge", "Hinge", """\
    >>> m = Hinge()
    >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> print(f"{m.result():.6f}")
    1.300000""")


class SquaredHinge(_LossMetric):
    name = "squared_hinge"
    _fn = staticmethod(_losses.squared_hinge)


SquaredHinge.__doc__ = _loss_doc("squared_hinge", "SquaredHinge", """\
    >>> m = SquaredHinge()
    >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> print(f"{m.result():.6f}")
    1.860000""")


class CategoricalHinge(_LossMetric):
    name = "categorical_hinge"
    _fn = staticmethod(_losses.categorical_hinge)


CategoricalHinge.__doc__ = _loss_doc("categorical_hinge", "CategoricalHinge", """\
    >>> m = CategoricalHinge()
    >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> print(f"{m.result():.6f}")
    1.400000""")


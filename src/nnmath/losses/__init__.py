"""Classification losses with Keras 3 semantics, exact logits paths and analytic gradients.

Functions return one loss per sample (the ``axis`` reduced); the ``Loss`` classes add a
``reduction``, ``sample_weight`` and ``gradient``:

>>> import nnmath.losses as L
>>> L.categorical_crossentropy([[0, 1, 0]], [[0.1, 0.7, 0.2]])
array([0.35667494])
>>> cce = L.CategoricalCrossentropy(from_logits=True)
>>> cce.gradient([[0, 1, 0]], [[0.0, 0.0, 0.0]])  # softmax(z) - y, over the batch size
array([[ 0.33333333, -0.66666667,  0.33333333]])

Which loss for which problem
----------------------------
* one right class among C (multi-class; softmax output): ``categorical_crossentropy``
  with one-hot targets, or ``sparse_categorical_crossentropy`` with integer labels;
* any number of right classes (multi-label; one sigmoid per class) and binary problems:
  ``binary_crossentropy``;
* pass ``from_logits=True`` whenever the model's last layer has no activation: the loss is
  then computed exactly in the log domain, with the fused gradient ``p - y``.

Other array libraries
---------------------
PyTorch, JAX, CuPy, Dask and array-api-strict arrays work through ``array-api-compat``
(the ``array-api`` extra): the results are arrays of the same library, on the same device.
On Dask everything stays lazy. The checks that need the data (probabilities in [0, 1],
labels in range, finite non-negative weights) then run chunk by chunk when the result is
computed and raise there, and a reduced loss sums the chunks exactly, so its value does
not depend on the chunking.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np  # noqa: F401 - the doctests use it

from .._array import target_kind
from ._base import EPSILON, REDUCTIONS, Loss
from ._crossentropy import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
)
from ._divergence import KLDivergence, Poisson, kl_divergence, poisson
from ._focal import (
    BinaryFocalCrossentropy,
    CategoricalFocalCrossentropy,
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
)
from ._hinge import (
    CategoricalHinge,
    Hinge,
    SquaredHinge,
    categorical_hinge,
    hinge,
    squared_hinge,
)

__all__ = [
    "EPSILON",
    "REDUCTIONS",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalHinge",
    "Hinge",
    "KLDivergence",
    "Loss",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "get",
    "hinge",
    "kl_divergence",
    "names",
    "poisson",
    "sparse_categorical_crossentropy",
    "squared_hinge",
]

_CLASSES: tuple[type[Loss], ...] = (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalFocalCrossentropy,
    KLDivergence,
    Poisson,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
)
_FUNCTIONS: dict[Callable[..., Any], type[Loss]] = {
    binary_crossentropy: BinaryCrossentropy,
    categorical_crossentropy: CategoricalCrossentropy,
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    binary_focal_crossentropy: BinaryFocalCrossentropy,
    categorical_focal_crossentropy: CategoricalFocalCrossentropy,
    kl_divergence: KLDivergence,
    poisson: Poisson,
    hinge: Hinge,
    squared_hinge: SquaredHinge,
    categorical_hinge: CategoricalHinge,
}
_REGISTRY: dict[str, type[Loss]] = {cls.name: cls for cls in _CLASSES}
_ALIASES: dict[str, type[Loss]] = {
    **{cls.__name__: cls for cls in _CLASSES},
    "bce": BinaryCrossentropy,
    "BCE": BinaryCrossentropy,
    "cce": CategoricalCrossentropy,
    "kld": KLDivergence,
    "KLD": KLDivergence,
    "kullback_leibler_divergence": KLDivergence,
}


def names() -> list[str]:
    """The registry names of the losses, in a stable order.

    >>> names()[:3]
    ['binary_crossentropy', 'categorical_crossentropy', 'sparse_categorical_crossentropy']
    """
    return list(_REGISTRY)


def get(identifier: Any, *, y_true: Any = None, y_pred: Any = None, **params: Any) -> Loss:
    """Return a ``Loss`` instance from a name, a class, an instance or a loss function.

    Names are the registry names (``names()``), the class names and Keras's aliases
    (``"bce"``, ``"kld"``, ...); Keras's ``{"class_name": ..., "config": {...}}`` dicts
    work too. ``params`` go to the constructor; an instance is returned as it is (with no
    ``params``). ``"crossentropy"`` (or ``"ce"``) with ``y_true`` and ``y_pred`` resolves
    from their shapes as Keras's ``compile`` does: binary when ``y_pred`` ends in 1,
    sparse when ``y_true`` has a lower rank or ends in 1 against several classes,
    categorical otherwise.

    >>> get("crossentropy", y_true=np.zeros(4), y_pred=np.zeros((4, 3)), from_logits=True)
    SparseCategoricalCrossentropy(from_logits=True, ignore_class=None, axis=-1,
                                  label_smoothing=0.0, class_weight=None,
                                  reduction='sum_over_batch_size',
                                  name='sparse_categorical_crossentropy')

    >>> get("binary_crossentropy", from_logits=True)
    BinaryCrossentropy(from_logits=True, label_smoothing=0.0, axis=-1, pos_weight=None,
                       reduction='sum_over_batch_size', name='binary_crossentropy')
    >>> get("CategoricalHinge").name
    'categorical_hinge'
    """
    if isinstance(identifier, Loss):
        if params:
            raise TypeError("get() takes no parameters with a Loss instance")
        return identifier
    if isinstance(identifier, Mapping):
        if set(identifier) - {"class_name", "config"} or "class_name" not in identifier:
            raise ValueError("a dict identifier needs 'class_name' and optionally 'config'")
        config = dict(identifier.get("config") or {})
        config.update(params)
        return get(identifier["class_name"], **config)
    cls: type[Loss] | None = None
    if isinstance(identifier, str) and identifier.lower() in ("crossentropy", "ce"):
        if y_true is None or y_pred is None:
            raise ValueError(f"{identifier!r} resolves from the data: pass y_true= and "
                             "y_pred= (or name the loss, e.g. 'binary_crossentropy')")
        kind = target_kind(y_true, y_pred)
        identifier = ("sparse_categorical_crossentropy" if kind == "sparse"
                      else f"{kind}_crossentropy")
    if isinstance(identifier, str):
        cls = _REGISTRY.get(identifier) or _ALIASES.get(identifier)
        if cls is None:
            raise ValueError(
                f"unknown loss {identifier!r}; known: {', '.join(names())}"
            )
    elif inspect.isclass(identifier) and issubclass(identifier, Loss):
        cls = identifier
    elif callable(identifier) and identifier in _FUNCTIONS:
        cls = _FUNCTIONS[identifier]
    else:
        raise TypeError(
            f"cannot interpret {identifier!r} as a loss: give a name, a Loss class or "
            "instance, or one of nnmath's loss functions"
        )
    return cls(**params)

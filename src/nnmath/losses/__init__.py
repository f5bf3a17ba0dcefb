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

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np  # noqa: F401 - the doctests use it

from .._array import target_kind
from .._identifiers import FUNCTION, class_or_callable, config_dict
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
_CLASS_NAMES: dict[str, type[Loss]] = {cls.__name__: cls for cls in _CLASSES}
#: the function names (the registry names) and the aliases of functions -> the functions
_NAMED_FUNCTIONS: dict[str, Callable[..., Any]] = {
    **{fn.__name__: fn for fn in _FUNCTIONS},
    "bce": binary_crossentropy,
    "BCE": binary_crossentropy,
    "kld": kl_divergence,
    "KLD": kl_divergence,
    "cce": categorical_crossentropy,
    "kullback_leibler_divergence": kl_divergence,
}


def names() -> list[str]:
    """The registry names of the losses, in a stable order.

    >>> names()[:3]
    ['binary_crossentropy', 'categorical_crossentropy', 'sparse_categorical_crossentropy']
    """
    return list(_REGISTRY)


def get(identifier: Any, *, y_true: Any = None, y_pred: Any = None, **params: Any) -> Any:
    """A loss from an identifier, with the semantics of Keras 3's ``keras.losses.get`` and
    a few extensions.

    As Keras does:

    * ``None`` gives ``None``;
    * a function name (``"binary_crossentropy"``; any name of :func:`names`) or one of
      Keras's aliases ``"bce"``, ``"BCE"``, ``"kld"``, ``"KLD"`` gives nnmath's loss
      **function**;
    * a class name (``"BinaryCrossentropy"``), a :class:`Loss` subclass or any other
      class gives an **instance** with the default parameters;
    * a dict ``{"class_name": "BinaryCrossentropy", "config": {...}}`` (also what
      ``keras.saving.serialize_keras_object`` gives; ``module`` and ``registered_name``
      are ignored) gives ``BinaryCrossentropy.from_config(config)``; a function's name as
      ``class_name``, or ``{"class_name": "function", "config": "binary_crossentropy"}``
      (a serialized function), gives the function;
    * a callable (a :class:`Loss` instance, a loss function, a user's function) is
      returned as it is;
    * an unknown name or ``class_name``, or anything else, raises ``ValueError``.

    Extensions:

    * nnmath's aliases ``"cce"`` and ``"kullback_leibler_divergence"`` (Keras 2's) name
      functions too, and the aliases may be a dict's ``class_name``;
    * ``"crossentropy"`` (or ``"ce"``, spelled so) with ``y_true`` and ``y_pred`` resolves
      from their shapes as Keras's ``compile`` does (an instance): binary when ``y_pred``
      ends in 1, sparse when ``y_true`` has a lower rank or ends in 1 against several
      classes, categorical otherwise; without them it raises ``ValueError``;
    * keyword ``params`` always give an instance: the class named, passed, or of the
      function named or passed, constructed with them (with a dict they update its
      config). An instance or a user's function with ``params`` raises ``TypeError``.

    >>> get("binary_crossentropy") is binary_crossentropy
    True
    >>> get("BinaryCrossentropy")
    BinaryCrossentropy(from_logits=False, label_smoothing=0.0, axis=-1, pos_weight=None,
                       reduction='sum_over_batch_size', name='binary_crossentropy')
    >>> get("binary_crossentropy", from_logits=True)
    BinaryCrossentropy(from_logits=True, label_smoothing=0.0, axis=-1, pos_weight=None,
                       reduction='sum_over_batch_size', name='binary_crossentropy')
    >>> get({"class_name": "Hinge", "config": {"reduction": "sum"}})
    Hinge(axis=-1, reduction='sum', name='hinge')
    >>> get("crossentropy", y_true=np.zeros(4), y_pred=np.zeros((4, 3)), from_logits=True)
    SparseCategoricalCrossentropy(from_logits=True, ignore_class=None, axis=-1,
                                  label_smoothing=0.0, class_weight=None,
                                  reduction='sum_over_batch_size',
                                  name='sparse_categorical_crossentropy')
    """
    if isinstance(identifier, Loss):
        if params:
            raise TypeError("get() takes no parameters with a Loss instance")
        return identifier
    if identifier is None:
        if params:
            raise TypeError("get(None) takes no parameters: name the loss")
        return None
    if isinstance(identifier, Mapping):
        class_name, config = config_dict(identifier, "a loss", params)
        if class_name == FUNCTION:
            fn = _NAMED_FUNCTIONS.get(config)
            if fn is None:
                raise ValueError(f"unknown loss function {config!r} in {identifier!r}; "
                                 f"known: {', '.join(names())}")
            return fn
        if class_name in _NAMED_FUNCTIONS:
            if not config:
                return _NAMED_FUNCTIONS[class_name]
            return _FUNCTIONS[_NAMED_FUNCTIONS[class_name]].from_config(config)
        cls = _CLASS_NAMES.get(class_name)
        if cls is None:
            raise ValueError(f"unknown loss class {class_name!r} in {identifier!r}; "
                             f"known: {', '.join(_CLASS_NAMES)}")
        return cls.from_config(config)
    if isinstance(identifier, str):
        if identifier in ("crossentropy", "ce"):
            if y_true is None or y_pred is None:
                raise ValueError(f"{identifier!r} resolves from the data: pass y_true= and "
                                 "y_pred= (or name the loss, e.g. 'binary_crossentropy')")
            kind = target_kind(y_true, y_pred)
            return _REGISTRY[("sparse_categorical_crossentropy" if kind == "sparse"
                              else f"{kind}_crossentropy")](**params)
        fn = _NAMED_FUNCTIONS.get(identifier)
        if fn is not None:
            return _FUNCTIONS[fn](**params) if params else fn
        cls = _CLASS_NAMES.get(identifier)
        if cls is None:
            raise ValueError(f"unknown loss {identifier!r}; known: {', '.join(names())} "
                             "and their class names")
        return cls(**params)
    return class_or_callable(identifier, params, _FUNCTIONS, "a loss", "loss functions",
                             "None, a name, a dict of a serialized loss, a "
                             "Loss class or instance, or a loss function")

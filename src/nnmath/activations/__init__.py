"""Activation functions with analytic derivatives, exact at the extremes.

Every activation exists three ways:

* a function (``nnmath.activations.gelu(x, approximate=False)``), forward only;
* a class with the same parameters in the constructor (``GELU(approximate=False)``), whose
  instances have ``__call__(x)``, ``gradient(x)``, ``backward(x, grad_output)``,
  ``name``, ``formula`` and ``properties``;
* a registry name for :func:`get`, which answers as Keras's ``get``: ``get("gelu")`` is
  the function, ``get("GELU")`` and ``get("gelu", approximate=True)`` are instances.

``gradient`` of an elementwise activation is ``f'(x)``, elementwise. ``gradient`` of an
activation along an axis (softmax, log_softmax, softmin, sparsemax, glu) is the Jacobian
along that axis, moved last: ``J[..., i, j] = ∂y_i/∂x_j``. ``backward(x, g)`` is the
vector-Jacobian product ``Jᵀ g`` that backpropagation needs; it never builds a Jacobian.

All of them are derived from one table (``_spec.py``: names, parameters, properties,
formulas, the compiled core's ufuncs and the plain ``xp`` formula of each activation).
NumPy input runs the compiled core (``nnmath._core``); other array libraries run plain
stable formulas in their own dtype.

The seed notebook's classes ``Sigmoid``, ``Softmax``, ``ReLu``, ``Leaky_ReLu(alpha=0.01)``
and ``TanH`` work with their original constructor arguments and give the correct values.

>>> from nnmath.activations import get, names
>>> get("leaky_relu", negative_slope=0.1)([-1.0, 2.0])
array([-0.1,  2. ])
>>> len(names())
35
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Mapping
from typing import Any

from .._array import finish, float_input, requires_grad
from .._identifiers import FUNCTION, config_dict
from . import _seed
from ._axis import glu, log_softmax, softmax, softmin, sparsemax
from ._axis_classes import GLU, LogSoftmax, Softmax, Softmin, Sparsemax
from ._axis_classes import AxisActivation as AxisActivation
from ._base import Activation, Properties
from ._elementwise import CLASSES as _EW_CLASSES
from ._elementwise import FUNCTIONS as _EW_FUNCTIONS
from ._elementwise import ElementwiseActivation as ElementwiseActivation
from ._leaky import PReLU, RReLU, prelu, rrelu
from ._spec import ROWS

_AXIS_FUNCTIONS = {"softmax": softmax, "log_softmax": log_softmax, "softmin": softmin,
                   "sparsemax": sparsemax, "glu": glu}
_AXIS_CLASSES: dict[str, type[Activation]] = {
    "softmax": Softmax, "log_softmax": LogSoftmax, "softmin": Softmin,
    "sparsemax": Sparsemax, "glu": GLU}
_OWN_FUNCTIONS = {**_AXIS_FUNCTIONS, "prelu": prelu, "rrelu": rrelu}
_OWN_CLASSES: dict[str, type[Activation]] = {**_AXIS_CLASSES, "prelu": PReLU, "rrelu": RReLU}

#: registry name -> class, in the table's order; then the aliases
REGISTRY: dict[str, type[Activation]] = {
    row.name: _OWN_CLASSES.get(row.name) or _EW_CLASSES[row.name] for row in ROWS}
_CLASSES: tuple[type[Activation], ...] = tuple(REGISTRY.values())
_FUNCTIONS: dict[str, Any] = {
    row.name: _OWN_FUNCTIONS.get(row.name) or _EW_FUNCTIONS[row.name] for row in ROWS}
for _row in ROWS:
    for _alias in _row.aliases:
        REGISTRY[_alias] = REGISTRY[_row.name]
    for _alias in _row.class_aliases:
        globals()[_alias] = REGISTRY[_row.name]
    globals()[_row.cls] = REGISTRY[_row.name]
_SEED = tuple(_seed.__all__)
globals().update({name: getattr(_seed, name) for name in _SEED})


def _differentiable(fn: Any, cls: type[Activation]) -> Any:
    """``fn`` that, given an input being differentiated (a PyTorch tensor that requires
    grad, a JAX tracer), runs as its class ``cls`` (same parameters), whose ``__call__``
    attaches nnmath's analytic derivative; other input takes ``fn``'s own path."""

    @functools.wraps(fn)
    def wrapper(x: Any, *args: Any, **kwargs: Any) -> Any:
        if requires_grad(x) or any(map(requires_grad, (*args, *kwargs.values()))):
            if kwargs.pop("out", None) is not None:
                raise TypeError("out= is for NumPy arrays; it cannot hold a differentiated "
                                "result")
            return cls(*args, **kwargs)(x)
        return fn(x, *args, **kwargs)

    return wrapper


for _name, _fn in list(_FUNCTIONS.items()):
    if _name in _OWN_FUNCTIONS:  # the generated functions differentiate by themselves
        _fn = _differentiable(_fn, REGISTRY[_name])
    _FUNCTIONS[_name] = globals()[_name] = _fn
for _row in ROWS:
    for _alias in _row.aliases:
        globals()[_alias] = _FUNCTIONS[_row.name]
del _name, _fn, _row, _alias


def _key(name: str) -> str:
    return name.strip().lower().replace("_", "").replace("-", "").replace(" ", "")


# registry names, class names and PyTorch's spellings ("Hardtanh", "LogSigmoid", ...)
_LOOKUP: dict[str, type[Activation]] = {_key(n): cls for n, cls in REGISTRY.items()}
_LOOKUP.update({_key(cls.__name__): cls for cls in _CLASSES})
_FUNCTION_CLASSES = {id(fn): REGISTRY[name] for name, fn in _FUNCTIONS.items()}
#: exact class names, the seed notebook's included (its ``Leaky_ReLu`` takes ``alpha``)
_CLASS_NAMES: dict[str, type[Activation]] = {
    **{cls.__name__: cls for cls in _CLASSES}, **{n: getattr(_seed, n) for n in _SEED}}
#: the exact function names (registry names and aliases) -> the public functions
_NAMED_FUNCTIONS: dict[str, Any] = {
    **_FUNCTIONS, **{a: _FUNCTIONS[row.name] for row in ROWS for a in row.aliases}}


def names() -> tuple[str, ...]:
    """The registry: every name :func:`get` accepts canonically (33 plus two aliases).

    >>> names()[:4]
    ('celu', 'elu', 'exponential', 'gelu')
    """
    return tuple(sorted(REGISTRY))


class Lambda(Activation):
    """A user's elementwise function as an activation, with an optional derivative.

    >>> sq = Lambda(lambda x: x * x, derivative=lambda x: 2 * x, name="square")
    >>> sq([3.0]), sq.gradient([3.0])
    (array([9.]), array([6.]))
    """

    formula = ""

    def __init__(self, fn: Any, derivative: Any = None, name: str | None = None) -> None:
        if not callable(fn):
            raise TypeError(f"fn must be callable, got {fn!r}")
        if derivative is not None and not callable(derivative):
            raise TypeError(f"derivative must be callable or None, got {derivative!r}")
        self.fn = fn
        self.derivative = derivative
        self.name = str(name or getattr(fn, "__name__", "lambda"))  # type: ignore[misc]

    def get_config(self) -> dict[str, Any]:
        return {"fn": self.fn, "derivative": self.derivative, "name": self.name}

    def __call__(self, x: Any) -> Any:
        xp, xc, dtype = float_input(x, "x")
        return finish(xp, xp.asarray(self.fn(xc)), dtype)

    def gradient(self, x: Any) -> Any:
        if self.derivative is None:
            raise TypeError(
                f"activation {self.name!r} has no derivative: pass derivative= to Lambda"
            )
        xp, xc, dtype = float_input(x, "x")
        return finish(xp, xp.asarray(self.derivative(xc)), dtype)

    def backward(self, x: Any, grad_output: Any) -> Any:
        xp, xc, dtype = float_input(x, "x")
        g = self._grad_output(xp, xc, grad_output)
        return finish(xp, g * self.gradient(xc), dtype)

    @property
    def properties(self) -> Properties:
        raise TypeError(f"the properties of the user function {self.name!r} are unknown")


def get(identifier: Any = None, **params: Any) -> Any:
    """An activation from an identifier, with the semantics of Keras 3's
    ``keras.activations.get`` and a few extensions.

    As Keras does:

    * ``None`` gives the :func:`linear` function;
    * a function name, spelled exactly (``"relu"``, ``"leaky_relu"``, ``"swish"``; any
      name of :func:`names`), gives nnmath's **function** of that name;
    * a callable (one of nnmath's functions, a user's function, an instance) is returned
      as it is;
    * a serialized function, ``{"class_name": "function", "config": "relu", ...}``
      (what ``keras.saving.serialize_keras_object`` gives; ``module`` and
      ``registered_name`` are ignored), gives the function of that name;
    * anything else raises ``ValueError``, and so does an unknown name.

    Extensions (where Keras raises, or has no counterpart):

    * any other spelling of a name, matched ignoring case, ``_``, ``-`` and spaces (the
      class names ``"LeakyReLU"``, ``"GELU"``, PyTorch's ``"Hardtanh"``, ``"leakyrelu"``),
      gives an **instance** of the activation's class (the seed notebook's class names
      ``"ReLu"``, ``"Leaky_ReLu"``, ``"TanH"`` give those classes);
    * an :class:`Activation` subclass gives an instance of it (Keras would return the
      class itself, as any callable);
    * a dict ``{"class_name": "LeakyReLU", "config": {...}}`` gives
      ``LeakyReLU.from_config(config)``; an unknown ``class_name`` raises ``TypeError``
      (Keras's error for a class it cannot locate);
    * keyword ``params`` always give an instance: the class named or passed, the class of
      one of nnmath's functions, ``Linear`` for ``None``, or a :class:`Lambda` around a
      user's function (``derivative=``, ``name=``); with a dict they update its config.
      An instance with ``params`` raises ``TypeError``.

    >>> get("relu") is relu
    True
    >>> get("GELU", approximate=True)
    GELU(approximate=True)
    >>> get("LeakyReLU")
    LeakyReLU(negative_slope=0.01)
    >>> get("leaky_relu", negative_slope=0.1)
    LeakyReLU(negative_slope=0.1)
    >>> get({"class_name": "function", "config": "softmax", "module": "keras.activations",
    ...      "registered_name": None}) is softmax
    True
    """
    if isinstance(identifier, Activation):
        if params:
            raise TypeError(f"params {sorted(params)} cannot be applied to the instance "
                            f"{identifier!r}; pass a name or a class")
        return identifier
    if identifier is None:
        return REGISTRY["linear"](**params) if params else _FUNCTIONS["linear"]
    if isinstance(identifier, Mapping):
        class_name, config = config_dict(identifier, "an activation", params)
        if class_name == FUNCTION:
            fn = _NAMED_FUNCTIONS.get(config)
            if fn is None:
                raise ValueError(f"unknown activation function {config!r} in {identifier!r}"
                                 f"{_hint(config)}")
            return fn
        cls = _CLASS_NAMES.get(class_name) or _LOOKUP.get(_key(class_name))
        if cls is None:
            raise TypeError(f"unknown activation class {class_name!r} in {identifier!r}"
                            f"{_hint(class_name)}")
        return cls.from_config(config)
    if isinstance(identifier, str):
        if not params and identifier in _NAMED_FUNCTIONS:
            return _NAMED_FUNCTIONS[identifier]
        cls = _CLASS_NAMES.get(identifier) or _LOOKUP.get(_key(identifier))
        if cls is None:
            raise ValueError(f"unknown activation {identifier!r}{_hint(identifier)}")
        return cls(**params)
    if isinstance(identifier, type) and issubclass(identifier, Activation):
        return identifier(**params)
    if callable(identifier):
        if not params:
            return identifier
        cls = _FUNCTION_CLASSES.get(id(identifier))
        if cls is not None:
            return cls(**params)
        return Lambda(identifier, **params)
    raise ValueError(
        f"cannot interpret {identifier!r} as an activation: give None, a name, a dict of a "
        "serialized activation, an Activation class or instance, or a callable"
    )


def _hint(name: str) -> str:
    close = difflib.get_close_matches(name.lower(), names(), n=3)
    hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
    return f"{hint} (nnmath.activations.names() lists them)"


#: the public names, derived from the table
__all__ = sorted({
    "REGISTRY", "Activation", "AxisActivation", "ElementwiseActivation", "Lambda",
    "Properties", "get", "names", *_SEED,
    *(row.name for row in ROWS), *(row.cls for row in ROWS),
    *(a for row in ROWS for a in row.aliases), *(a for row in ROWS for a in row.class_aliases),
})


def __getattr__(name: str) -> Any:
    """Every public name is defined at import (from the table); this only tells static
    checkers that the module's names are made at run time."""
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

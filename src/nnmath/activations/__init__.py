"""Activation functions with analytic derivatives, exact at the extremes.

Every activation exists three ways:

* a function (``nnmath.activations.gelu(x, approximate=False)``), forward only;
* a class with the same parameters in the constructor (``GELU(approximate=False)``), whose
  instances have ``__call__(x)``, ``gradient(x)``, ``backward(x, grad_output)``,
  ``name``, ``formula`` and ``properties``;
* a registry name for :func:`get` (``get("gelu", approximate=True)``).

``gradient`` of an elementwise activation is ``f'(x)``, elementwise. ``gradient`` of an
activation along an axis (softmax, log_softmax, softmin, sparsemax, glu) is the Jacobian
along that axis, moved last: ``J[..., i, j] = ∂y_i/∂x_j``. ``backward(x, g)`` is the
vector-Jacobian product ``Jᵀ g`` that backpropagation needs; it never builds a Jacobian.

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
from typing import Any

from .._array import requires_grad
from ._axis import glu, log_softmax, softmax, softmin, sparsemax
from ._axis_classes import GLU, LogSoftmax, Softmax, Softmin, Sparsemax
from ._base import Activation, AxisActivation, ElementwiseActivation, Properties
from ._classes import (
    GELU,
    Exponential,
    HardShrink,
    HardSigmoid,
    HardSiLU,
    HardSwish,
    HardTanh,
    Linear,
    LogSigmoid,
    Mish,
    Sigmoid,
    SiLU,
    Softplus,
    SoftShrink,
    Softsign,
    SparsePlus,
    SparseSigmoid,
    Squareplus,
    Swish,
    Tanh,
    TanhShrink,
    Threshold,
)
from ._functions import (
    celu,
    elu,
    exponential,
    gelu,
    hard_shrink,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    hard_tanh,
    leaky_relu,
    linear,
    log_sigmoid,
    mish,
    prelu,
    relu,
    relu6,
    rrelu,
    selu,
    sigmoid,
    silu,
    soft_shrink,
    softplus,
    softsign,
    sparse_plus,
    sparse_sigmoid,
    squareplus,
    swish,
    tanh,
    tanh_shrink,
    threshold,
)
from ._rectifiers import CELU, ELU, SELU, LeakyReLU, PReLU, ReLU, ReLU6, RReLU
from ._seed import Leaky_ReLu, ReLu, TanH

_CLASSES: tuple[type[Activation], ...] = (
    Sigmoid, HardSigmoid, SparseSigmoid, LogSigmoid, Softmax, LogSoftmax, Softmin, Sparsemax,
    ReLU, ReLU6, LeakyReLU, RReLU, PReLU, ELU, SELU, CELU, GELU, SiLU, HardSiLU, Mish,
    Softplus, SparsePlus, Squareplus, Softsign, Tanh, HardTanh, TanhShrink, HardShrink,
    SoftShrink, Threshold, GLU, Exponential, Linear,
)
_FUNCTIONS = {
    "sigmoid": sigmoid, "hard_sigmoid": hard_sigmoid, "sparse_sigmoid": sparse_sigmoid,
    "log_sigmoid": log_sigmoid, "softmax": softmax, "log_softmax": log_softmax,
    "softmin": softmin, "sparsemax": sparsemax, "relu": relu, "relu6": relu6,
    "leaky_relu": leaky_relu, "rrelu": rrelu, "prelu": prelu, "elu": elu, "selu": selu,
    "celu": celu, "gelu": gelu, "silu": silu, "hard_silu": hard_silu, "mish": mish,
    "softplus": softplus, "sparse_plus": sparse_plus, "squareplus": squareplus,
    "softsign": softsign, "tanh": tanh, "hard_tanh": hard_tanh, "tanh_shrink": tanh_shrink,
    "hard_shrink": hard_shrink, "soft_shrink": soft_shrink, "threshold": threshold,
    "glu": glu, "exponential": exponential, "linear": linear,
}
_ALIASES = {"swish": "silu", "hard_swish": "hard_silu"}
REGISTRY: dict[str, type[Activation]] = {cls.name: cls for cls in _CLASSES}
REGISTRY.update({alias: REGISTRY[target] for alias, target in _ALIASES.items()})


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
    _FUNCTIONS[_name] = globals()[_name] = _differentiable(_fn, REGISTRY[_name])
# the aliases are the differentiable silu and hard_silu too
globals()["swish"], globals()["hard_swish"] = _FUNCTIONS["silu"], _FUNCTIONS["hard_silu"]
del _name, _fn


def _key(name: str) -> str:
    return name.strip().lower().replace("_", "").replace("-", "").replace(" ", "")


# registry names, class names and PyTorch's spellings ("Hardtanh", "LogSigmoid", ...)
_LOOKUP: dict[str, type[Activation]] = {_key(n): cls for n, cls in REGISTRY.items()}
_LOOKUP.update({_key(cls.__name__): cls for cls in _CLASSES})
_LOOKUP.update({"swish": SiLU, "hardswish": HardSiLU})
_FUNCTION_CLASSES = {id(fn): REGISTRY[name] for name, fn in _FUNCTIONS.items()}
_FUNCTION_CLASSES.update({id(swish): SiLU, id(hard_swish): HardSiLU})


def names() -> tuple[str, ...]:
    """The registry: every name :func:`get` accepts canonically (33 plus two aliases).

    >>> names()[:4]
    ('celu', 'elu', 'exponential', 'gelu')
    """
    return tuple(sorted(REGISTRY))


class Lambda(ElementwiseActivation):
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

    def _value(self, xp: Any, x: Any) -> Any:
        return xp.asarray(self.fn(x))

    def _derivative(self, xp: Any, x: Any) -> Any:
        if self.derivative is None:
            raise TypeError(
                f"activation {self.name!r} has no derivative: pass derivative= to Lambda"
            )
        return xp.asarray(self.derivative(x))

    @property
    def properties(self) -> Properties:
        raise TypeError(f"the properties of the user function {self.name!r} are unknown")


def get(identifier: Any = None, **params: Any) -> Activation:
    """Return an activation instance from a name, a class, an instance or a callable.

    Names are matched ignoring case, ``_`` and ``-``, so ``"leaky_relu"``, ``"LeakyReLU"``
    and PyTorch's ``"Hardtanh"`` all work; ``params`` go to the constructor. ``None`` gives
    ``Linear()`` (as in Keras); nnmath's own functions map to their classes; any other
    callable is wrapped in :class:`Lambda`.

    >>> get("GELU", approximate=True)
    GELU(approximate=True)
    >>> get(sigmoid)
    Sigmoid()
    """
    if identifier is None:
        return Linear(**params)
    if isinstance(identifier, Activation):
        if params:
            raise TypeError(f"params {sorted(params)} cannot be applied to the instance "
                            f"{identifier!r}; pass a name or a class")
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Activation):
        return identifier(**params)
    if isinstance(identifier, str):
        cls = _LOOKUP.get(_key(identifier))
        if cls is None:
            close = difflib.get_close_matches(identifier.lower(), names(), n=3)
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise ValueError(f"unknown activation {identifier!r}{hint} "
                             "(nnmath.activations.names() lists them)")
        return cls(**params)
    if callable(identifier):
        cls = _FUNCTION_CLASSES.get(id(identifier))
        if cls is not None:
            return cls(**params)
        return Lambda(identifier, **params)
    raise TypeError(
        f"identifier must be a name, an Activation class or instance, or a callable; "
        f"got {type(identifier).__name__}"
    )


__all__ = [
    "CELU", "ELU", "GELU", "GLU", "REGISTRY", "SELU", "Activation", "AxisActivation",
    "ElementwiseActivation", "Exponential", "HardShrink", "HardSiLU", "HardSigmoid",
    "HardSwish", "HardTanh", "Lambda", "LeakyReLU", "Leaky_ReLu", "Linear", "LogSigmoid",
    "LogSoftmax", "Mish", "PReLU", "Properties", "RReLU", "ReLU", "ReLU6", "ReLu", "SiLU",
    "Sigmoid", "SoftShrink", "Softmax", "Softmin", "Softplus", "Softsign", "SparsePlus",
    "SparseSigmoid", "Sparsemax", "Squareplus", "Swish", "TanH", "Tanh", "TanhShrink",
    "Threshold", "celu", "elu", "exponential", "gelu", "get", "glu", "hard_shrink",
    "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "leaky_relu", "linear",
    "log_sigmoid", "log_softmax", "mish", "names", "prelu", "relu", "relu6", "rrelu", "selu",
    "sigmoid", "silu", "soft_shrink", "softmax", "softmin", "softplus", "softsign",
    "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh",
    "tanh_shrink", "threshold",
]


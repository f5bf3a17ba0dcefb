"""prelu and rrelu: leaky ReLUs whose slope is an array (a learnable weight, random draws).

Both run the core's ``leaky_relu`` ufuncs with the slope array as the parameter input
(broadcast against ``x``); their spec rows are in ``_spec.py``, their function and class are
written here because the slope is not a plain number.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._array import (
    finish,
    float_input,
    fp_guard,
    is_lazy,
    namespace,
    requires_grad,
    unbroadcast,
    with_vjp,
)
from ._base import Properties
from ._elementwise import make_class, numpy_input, plan_of, run
from ._spec import SPECS, leaky_properties

__all__ = ["PReLU", "RReLU", "prelu", "prelu_weight", "rrelu", "rrelu_slopes"]

_PRELU = SPECS["prelu"]
_RRELU = SPECS["rrelu"]


def prelu_weight(xp: Any, x: Any, weight: Any) -> Any:
    """Validate ``weight`` for :func:`prelu`: real, finite, broadcastable to ``x``'s shape
    without enlarging it; in ``x``'s dtype for other array libraries (the core takes the
    slope in float64 whatever ``x``'s dtype)."""
    if xp is np:
        w = numpy_input(weight, "weight")
    else:
        _, w, _ = float_input(weight, "weight", xp=xp)
    if not is_lazy(w) and not bool(xp.all(xp.isfinite(w))):  # as negative_slope
        raise ValueError("weight must be finite (a slope per element), got NaN or inf")
    if xp is not np and w.dtype != x.dtype:
        w = xp.astype(w, x.dtype)
    try:
        shape = np.broadcast_shapes(tuple(x.shape), tuple(w.shape))
    except ValueError:
        shape = None
    if shape != tuple(x.shape):
        raise ValueError(
            f"weight of shape {tuple(w.shape)} does not broadcast to x's shape {tuple(x.shape)}"
        )
    return w


def _x_for_weight(x: Any) -> tuple[Any, Any]:
    xp = namespace(x)
    if xp is np:
        return xp, numpy_input(x)
    return xp, float_input(x, "x")[1]


def prelu(x: Any, weight: Any, *, out: Any = None) -> Any:
    xp, xc = _x_for_weight(x)
    w = prelu_weight(xp, xc, weight)
    return run(_PRELU, "", xc if xp is np else x, (w,), out=out)


prelu.__doc__ = f"{_PRELU.summary}\n{_PRELU.doc}"


def _rrelu_bounds(lower: Any, upper: Any) -> tuple[float, float]:
    lo, hi, _, _ = _RRELU.validate((lower, upper, False, None))
    return lo, hi


def rrelu_slopes(x_shape: tuple[int, ...], lower: float, upper: float, seed: Any) -> Any:
    """Slopes drawn uniformly in ``[lower, upper]``, one per element (NumPy arrays)."""
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    return rng.uniform(lower, upper, size=x_shape)


def rrelu(x: Any, lower: float = 1.0 / 8.0, upper: float = 1.0 / 3.0, training: bool = False,
          seed: Any = None, *, out: Any = None) -> Any:
    lo, hi = _rrelu_bounds(lower, upper)
    if not training:
        slope = 0.5 * (lo + hi)
        return run(_RRELU, "", x, (slope,), out=out, route=("leaky_relu", (slope,)))
    xp, xc = _x_for_weight(x)
    slopes = rrelu_slopes(tuple(xc.shape), lo, hi, seed)
    if xp is not np:
        slopes = xp.asarray(slopes, dtype=xc.dtype)
    return run(_RRELU, "", xc if xp is np else x, (slopes,), out=out,
               route=("leaky_relu", (slopes,)))


rrelu.__doc__ = f"{_RRELU.summary}\n{_RRELU.doc}"


class RReLU(make_class(_RRELU)):  # type: ignore[misc]
    """Randomized leaky ReLU (Xu et al., 2015).

    In training mode each call draws a slope in ``[lower, upper]`` for every element and
    keeps it, so that ``gradient`` and ``backward`` of the same ``x`` use the slopes of the
    last forward pass (as PyTorch saves its noise). In evaluation mode the slope is
    ``(lower + upper)/2``. ``gradient(0)`` is the slope (the lower branch).
    """

    def __init__(self, lower: float = 1.0 / 8.0, upper: float = 1.0 / 3.0,
                 training: bool = False, seed: Any = None) -> None:
        super().__init__(lower, upper, training, seed)
        # evaluation mode: the mean slope, a plain leaky_relu (the fast paths apply)
        self._plan = None if self.training else plan_of(
            ("leaky_relu", (0.5 * (self.lower + self.upper),)))
        self._rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.slopes: Any = None

    def _slopes(self, x: Any, fresh: bool) -> Any:
        if not self.training:
            return 0.5 * (self.lower + self.upper)
        shape = tuple(np.shape(x)) if namespace(x) is np else tuple(x.shape)
        if fresh:
            self.slopes = rrelu_slopes(shape, self.lower, self.upper, self._rng)
        elif self.slopes is None or tuple(self.slopes.shape) != shape:
            raise ValueError(
                "RReLU in training mode differentiates through the slopes of the last "
                "forward call: call it on an x of this shape first"
            )
        xp = namespace(x)
        return self.slopes if xp is np else xp.asarray(self.slopes, dtype=x.dtype)

    def _run(self, suffix: str, x: Any, g: Any = None) -> Any:
        s = self._slopes(x, fresh=suffix == "")
        return run(self._spec, suffix, x, (s,), g, route=("leaky_relu", (s,)))


class PReLU(make_class(_PRELU)):  # type: ignore[misc]
    """Parametric ReLU with a learnable ``weight`` (broadcast against ``x``).

    ``gradient(x)`` is ∂y/∂x; ``weight_gradient(x, grad_output)`` is ∂L/∂weight, summed
    over the broadcast dimensions to ``weight``'s shape. ``gradient(0) = weight``.
    """

    _plan = None  # the weight is checked against each x: no fast path

    def __init__(self, weight: Any = 0.25) -> None:
        if requires_grad(weight):  # a learnable tensor: kept as it is (see __call__)
            self.weight = weight
            return
        _, w, _ = float_input(weight, "weight")
        self.weight = w if not isinstance(w, np.ndarray) or w.ndim else float(w)

    def _run(self, suffix: str, x: Any, g: Any = None) -> Any:
        xp, xc = _x_for_weight(x)
        w = prelu_weight(xp, xc, self.weight)
        return run(self._spec, suffix, xc if xp is np else x, (w,), g)

    def __call__(self, x: Any) -> Any:
        """The forward value; differentiable in ``x`` and in ``weight`` (see ``with_vjp``)."""
        if requires_grad(self.weight):
            return with_vjp(lambda t, w: PReLU(w)(t), _prelu_vjp, (x, self.weight), {})
        return super().__call__(x)

    def weight_gradient(self, x: Any, grad_output: Any) -> Any:
        """∂L/∂weight = sum of ``grad_output * min(x, 0)`` over the broadcast dimensions."""
        xp, xc, dtype = float_input(x, "x")
        if xp is np:
            xc = numpy_input(x)
        w = prelu_weight(xp, xc, self.weight)
        _, g, _ = float_input(grad_output, "grad_output", xp=xp)
        if tuple(g.shape) != tuple(xc.shape):
            raise ValueError(
                f"grad_output must have the shape of x {tuple(xc.shape)}, got {tuple(g.shape)}"
            )
        with fp_guard(xp):
            contrib = g * xp.where(xc > 0, 0.0, xc)
            return finish(xp, unbroadcast(xp, contrib, tuple(w.shape)), dtype)

    def get_config(self) -> dict[str, Any]:
        w = self.weight
        return {"weight": w.tolist() if isinstance(w, np.ndarray) else w}

    @property
    def properties(self) -> Properties:
        w = np.asarray(self.weight)
        nonneg = bool((w >= 0).all())
        return leaky_properties(nonneg, bool((w == 0).all()), bool((w == 1).all()),
                                "weight at x = 0")


def _prelu_vjp(inputs: tuple[Any, Any], g: Any) -> tuple[Any, Any]:
    """The gradients of ``prelu(x, w)`` in ``x`` and in ``w``."""
    x, w = inputs
    act = PReLU(w)
    return act.backward(x, g), act.weight_gradient(x, g)


for _cls in (RReLU, PReLU):
    _cls.__module__ = "nnmath.activations"
del _cls

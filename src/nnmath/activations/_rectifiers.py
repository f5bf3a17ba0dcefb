"""The rectifier classes: ReLU and its relatives, and the exponential linear units."""

from __future__ import annotations

import functools
import math
from typing import Any, ClassVar

from .._array import (
    check_finite_scalar,
    finish,
    float_input,
    fp_guard,
    requires_grad,
    unbroadcast,
    with_vjp,
)
from . import _cores
from ._base import CLIP_CONVENTION, ElementwiseActivation, Properties, SimpleActivation
from ._dtype import wide_input
from ._functions import _relu_params, _rrelu_bounds, prelu_weight, relu, rrelu_slopes

INF = math.inf

__all__ = ["CELU", "ELU", "SELU", "LeakyReLU", "PReLU", "RReLU", "ReLU", "ReLU6"]


class ReLU(ElementwiseActivation):
    """Rectified linear unit with Keras 3's ``negative_slope``, ``max_value``, ``threshold``.

    ``gradient`` at ``x = threshold`` is ``negative_slope`` (``relu'(0) = 0``), at
    ``x = max_value`` it is 0.
    """

    name = "relu"
    derivative_text = ("1 above threshold (up to max_value), negative_slope below, "
                       "0 above max_value")
    formula = r"\max(x, 0)"
    _params = ("negative_slope", "max_value", "threshold")

    def __init__(self, negative_slope: float = 0.0, max_value: float | None = None,
                 threshold: float = 0.0) -> None:
        self.negative_slope, self.max_value, self.threshold = _relu_params(
            negative_slope, max_value, threshold)

    def _args(self) -> tuple[Any, ...]:
        return (self.negative_slope, self.max_value, self.threshold)

    def _fast(self) -> Any:
        return functools.partial(relu, negative_slope=self.negative_slope,
                                 max_value=self.max_value, threshold=self.threshold)

    def _value(self, xp: Any, x: Any) -> Any:
        return _cores.relu(xp, x, *self._args())

    def _derivative(self, xp: Any, x: Any) -> Any:
        return _cores.relu_grad(xp, x, *self._args())

    @property
    def properties(self) -> Properties:
        s, m, t = self._args()
        # pieces: s (x - t) for x <= t, x on (t, m), m for x >= m
        lo = -INF if s > 0 else min(0.0, t)
        hi = m if m is not None and s >= 0 else INF
        return Properties(
            range=(lo, hi), range_closed=(s <= 0 and t >= 0, m is not None and s >= 0),
            monotonic=s >= 0 and t >= 0, continuous=t == 0, differentiable=False,
            smooth=False, zero_centred=s > 0 and t == 0,
            kinks=(t,) if m is None else (t, m),
            kink_convention="negative_slope at x = threshold"
            + ("" if m is None else ", 0 at x = max_value"),
        )


class ReLU6(SimpleActivation):
    """``min(max(x, 0), 6)``; derivative 1 on (0, 6), 0 at the kinks."""

    name = "relu6"
    derivative_text = '1 on (0, 6), 0 elsewhere'
    formula = r"\min(\max(x, 0), 6)"
    _core = staticmethod(_cores.relu6)
    _grad = staticmethod(_cores.relu6_grad)
    _props = Properties(range=(0.0, 6.0), range_closed=(True, True), differentiable=False,
                        smooth=False, kinks=(0.0, 6.0), kink_convention=CLIP_CONVENTION)


class LeakyReLU(ElementwiseActivation):
    """``x`` for ``x > 0``, ``negative_slope * x`` otherwise; ``gradient(0) = negative_slope``."""

    name = "leaky_relu"
    derivative_text = '1 for x > 0, negative_slope for x < 0'
    formula = r"\begin{cases} x & x > 0 \\ \alpha x & x \le 0 \end{cases}"
    _params: ClassVar[tuple[str, ...]] = ("negative_slope",)

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = check_finite_scalar(negative_slope, "negative_slope")

    def _value(self, xp: Any, x: Any) -> Any:
        return _cores.leaky_relu(xp, x, self.negative_slope)

    def _derivative(self, xp: Any, x: Any) -> Any:
        return _cores.leaky_relu_grad(xp, x, self.negative_slope)

    @property
    def properties(self) -> Properties:
        return _leaky_properties(self.negative_slope >= 0, self.negative_slope == 0,
                                 self.negative_slope == 1, "negative_slope at x = 0")


def _leaky_properties(nonneg: bool, zero: bool, one: bool, convention: str) -> Properties:
    return Properties(
        range=(0.0 if zero else -INF, INF), range_closed=(zero, False), monotonic=nonneg,
        differentiable=one, smooth=one, zero_centred=nonneg and not zero,
        kinks=() if one else (0.0,), kink_convention="" if one else convention,
    )


class RReLU(ElementwiseActivation):
    """Randomized leaky ReLU (Xu et al., 2015).

    In training mode each call draws a slope in ``[lower, upper]`` for every element and
    keeps it, so that ``gradient`` and ``backward`` of the same ``x`` use the slopes of the
    last forward pass (as PyTorch saves its noise). In evaluation mode the slope is
    ``(lower + upper)/2``. ``gradient(0)`` is the slope (the lower branch).
    """

    name = "rrelu"
    derivative_text = '1 for x > 0, the slope a for x < 0 (a = (lower + upper)/2 at inference)'
    formula = r"\begin{cases} x & x \ge 0 \\ a x & x < 0 \end{cases},\ a \sim U[l, u]"
    _params = ("lower", "upper", "training", "seed")

    def __init__(self, lower: float = 1.0 / 8.0, upper: float = 1.0 / 3.0,
                 training: bool = False, seed: Any = None) -> None:
        self.lower, self.upper = _rrelu_bounds(lower, upper)
        self.training = bool(training)
        self.seed = seed
        import numpy as np

        self._rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.slopes: Any = None

    def _slopes(self, xp: Any, x: Any, fresh: bool) -> Any:
        if not self.training:
            return 0.5 * (self.lower + self.upper)
        if fresh:
            self.slopes = rrelu_slopes(tuple(x.shape), self.lower, self.upper, self._rng)
        elif self.slopes is None or tuple(self.slopes.shape) != tuple(x.shape):
            raise ValueError(
                "RReLU in training mode differentiates through the slopes of the last "
                "forward call: call it on an x of this shape first"
            )
        return xp.asarray(self.slopes, dtype=x.dtype)

    def _value(self, xp: Any, x: Any) -> Any:
        return _cores.prelu(xp, x, self._slopes(xp, x, fresh=True))

    def _derivative(self, xp: Any, x: Any) -> Any:
        return _cores.prelu_grad(xp, x, self._slopes(xp, x, fresh=False))

    @property
    def properties(self) -> Properties:
        one = self.lower == self.upper == 1.0
        return _leaky_properties(True, self.upper == 0, one, "the slope at x = 0")


class PReLU(ElementwiseActivation):
    """Parametric ReLU with a learnable ``weight`` (broadcast against ``x``).

    ``gradient(x)`` is ∂y/∂x; ``weight_gradient(x, grad_output)`` is ∂L/∂weight, summed
    over the broadcast dimensions to ``weight``'s shape. ``gradient(0) = weight``.
    """

    name = "prelu"
    derivative_text = '1 for x > 0, weight for x < 0'
    formula = r"\begin{cases} x & x > 0 \\ w x & x \le 0 \end{cases}"
    _params = ("weight",)

    def __init__(self, weight: Any = 0.25) -> None:
        import numpy as np

        if requires_grad(weight):  # a learnable tensor: kept as it is (see __call__)
            self.weight = weight
            return
        _, w, _ = float_input(weight, "weight")
        self.weight = w if not isinstance(w, np.ndarray) or w.ndim else float(w)

    def _w(self, xp: Any, x: Any) -> Any:
        return prelu_weight(xp, x, self.weight)

    def _value(self, xp: Any, x: Any) -> Any:
        return _cores.prelu(xp, x, self._w(xp, x))

    def _derivative(self, xp: Any, x: Any) -> Any:
        return _cores.prelu_grad(xp, x, self._w(xp, x))

    def __call__(self, x: Any) -> Any:
        """The forward value; differentiable in ``x`` and in ``weight`` (see ``with_vjp``)."""
        if requires_grad(self.weight):
            return with_vjp(lambda t, w: PReLU(w)(t), _prelu_vjp, (x, self.weight), {})
        return super().__call__(x)

    def weight_gradient(self, x: Any, grad_output: Any) -> Any:
        """∂L/∂weight = sum of ``grad_output * min(x, 0)`` over the broadcast dimensions."""
        xp, xc, dtype = wide_input(x, "x")
        g = self._grad_output(xp, xc, grad_output)
        w = self._w(xp, xc)
        with fp_guard(xp):
            contrib = g * xp.where(xc > 0, 0.0, xc)
            return finish(xp, unbroadcast(xp, contrib, tuple(w.shape)), dtype)

    def get_config(self) -> dict[str, Any]:
        import numpy as np

        w = self.weight
        return {"weight": w.tolist() if isinstance(w, np.ndarray) else w}

    @property
    def properties(self) -> Properties:
        import numpy as np

        w = np.asarray(self.weight)
        nonneg = bool((w >= 0).all())
        return _leaky_properties(nonneg, bool((w == 0).all()), bool((w == 1).all()),
                                 "weight at x = 0")


class ELU(ElementwiseActivation):
    """Exponential linear unit; ``gradient(0) = alpha`` (the lower branch)."""

    name = "elu"
    derivative_text = '1 for x > 0, α eˣ for x < 0'
    formula = r"\begin{cases} x & x > 0 \\ \alpha (e^x - 1) & x \le 0 \end{cases}"
    _params = ("alpha",)

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = check_finite_scalar(alpha, "alpha")

    def _value(self, xp: Any, x: Any) -> Any:
        return _cores.elu(xp, x, self.alpha)

    def _derivative(self, xp: Any, x: Any) -> Any:
        return _cores.elu_grad(xp, x, self.alpha)

    @property
    def properties(self) -> Properties:
        a = self.alpha
        c1 = a == 1.0
        return Properties(range=(-a if a >= 0 else -INF, INF), monotonic=a >= 0,
                          differentiable=c1, smooth=False, zero_centred=a > 0,
                          kinks=() if c1 else (0.0,),
                          kink_convention="" if c1 else "alpha at x = 0")


class SELU(SimpleActivation):
    """Scaled ELU with the self-normalising constants; ``gradient(0) = scale * alpha``."""

    name = "selu"
    derivative_text = 'λ for x > 0, λ α eˣ for x < 0'
    formula = (r"\lambda \begin{cases} x & x > 0 \\ \alpha (e^x - 1) & x \le 0 \end{cases},"
               r"\ \alpha \approx 1.6733,\ \lambda \approx 1.0507")
    alpha = _cores.SELU_ALPHA
    scale = _cores.SELU_SCALE
    _core = staticmethod(_cores.selu)
    _grad = staticmethod(_cores.selu_grad)
    _props = Properties(range=(-_cores.SELU_SCALE * _cores.SELU_ALPHA, INF),
                        differentiable=False, smooth=False, zero_centred=True, kinks=(0.0,),
                        kink_convention="scale * alpha at x = 0")


class CELU(ElementwiseActivation):
    """Continuously differentiable ELU, ``alpha > 0``; ``gradient(0) = 1``."""

    name = "celu"
    derivative_text = '1 for x > 0, e^(x/α) for x < 0'
    formula = r"\max(0, x) + \min(0, \alpha (e^{x/\alpha} - 1))"
    _params = ("alpha",)

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = check_finite_scalar(alpha, "alpha", positive=True)

    def _value(self, xp: Any, x: Any) -> Any:
        return _cores.celu(xp, x, self.alpha)

    def _derivative(self, xp: Any, x: Any) -> Any:
        return _cores.celu_grad(xp, x, self.alpha)

    @property
    def properties(self) -> Properties:
        return Properties(range=(-self.alpha, INF), smooth=False, zero_centred=True)


#: minima of the non-monotonic smooth activations (checked numerically by the tests)


def _prelu_vjp(inputs: tuple[Any, Any], g: Any) -> tuple[Any, Any]:
    """The gradients of ``prelu(x, w)`` in ``x`` and in ``w``."""
    x, w = inputs
    act = PReLU(w)
    return act.backward(x, g), act.weight_gradient(x, g)

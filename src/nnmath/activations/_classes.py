"""Activation classes: one per function, with ``gradient``, ``backward`` and metadata.

>>> act = GELU()
>>> act([1.0]), act.gradient([1.0])
(array([0.84134475]), array([1.08331547]))
>>> Softmax().backward([1.0, 2.0, 3.0], [1.0, 1.0, 1.0])  # softmax rows sum to 1
array([0., 0., 0.])
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from .._array import check_axis, check_finite_scalar, finish, float_input, fp_guard
from . import _axis_cores, _cores
from ._base import AxisActivation, ElementwiseActivation, Properties
from ._functions import (
    _hard_tanh_bounds,
    _relu_params,
    _rrelu_bounds,
    prelu_weight,
    rrelu_slopes,
)

INF = math.inf

__all__ = [
    "CELU", "ELU", "GELU", "GLU", "SELU", "Exponential", "HardShrink", "HardSiLU",
    "HardSigmoid", "HardSwish", "HardTanh", "LeakyReLU", "Linear", "LogSigmoid",
    "LogSoftmax", "Mish", "PReLU", "RReLU", "ReLU", "ReLU6", "SiLU", "Sigmoid", "SoftShrink",
    "Softmax", "Softmin", "Softplus", "Softsign", "SparsePlus", "SparseSigmoid", "Sparsemax",
    "Squareplus", "Swish", "Tanh", "TanhShrink", "Threshold",
]

_CLIP = "0 at the kinks (PyTorch's convention for clipping functions)"


class _Simple(ElementwiseActivation):
    """An elementwise activation without parameters, defined by two cores."""

    _core: ClassVar[Any]
    _grad: ClassVar[Any]
    _props: ClassVar[Properties]

    def _value(self, xp: Any, x: Any) -> Any:
        return type(self)._core(xp, x)

    def _derivative(self, xp: Any, x: Any) -> Any:
        return type(self)._grad(xp, x)

    @property
    def properties(self) -> Properties:
        return self._props


class Sigmoid(_Simple):
    r"""Logistic sigmoid ``σ(x) = 1/(1 + e^{-x})``; ``σ' = σ(1 - σ)`` in ``(0, 1/4]``."""

    name = "sigmoid"
    derivative_text = 'σ(x)(1 − σ(x)), in (0, 1/4]'
    formula = r"\sigma(x) = \frac{1}{1 + e^{-x}}"
    _core = staticmethod(_cores.sigmoid)
    _grad = staticmethod(_cores.sigmoid_grad)
    _props = Properties(range=(0.0, 1.0))


class HardSigmoid(_Simple):
    """``relu6(x + 3)/6``; derivative 1/6 on (-3, 3), 0 at the kinks."""

    name = "hard_sigmoid"
    derivative_text = '1/6 on (−3, 3), 0 elsewhere'
    formula = r"\min(\max(x + 3, 0), 6) / 6"
    _core = staticmethod(_cores.hard_sigmoid)
    _grad = staticmethod(_cores.hard_sigmoid_grad)
    _props = Properties(range=(0.0, 1.0), range_closed=(True, True), differentiable=False,
                        smooth=False, kinks=(-3.0, 3.0), kink_convention=_CLIP)


class SparseSigmoid(_Simple):
    """``(x + 1)/2`` clipped to [0, 1]; derivative 1/2 on (-1, 1), 0 at the kinks."""

    name = "sparse_sigmoid"
    derivative_text = '1/2 on (−1, 1), 0 elsewhere'
    formula = r"\min(\max((x + 1)/2, 0), 1)"
    _core = staticmethod(_cores.sparse_sigmoid)
    _grad = staticmethod(_cores.sparse_sigmoid_grad)
    _props = Properties(range=(0.0, 1.0), range_closed=(True, True), differentiable=False,
                        smooth=False, kinks=(-1.0, 1.0), kink_convention=_CLIP)


class LogSigmoid(_Simple):
    """``log σ(x) = -softplus(-x)``; derivative ``σ(-x)``."""

    name = "log_sigmoid"
    derivative_text = 'σ(−x) = 1 − σ(x), in (0, 1)'
    formula = r"\log\sigma(x) = -\log(1 + e^{-x})"
    _core = staticmethod(_cores.log_sigmoid)
    _grad = staticmethod(_cores.log_sigmoid_grad)
    _props = Properties(range=(-INF, 0.0))


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


class ReLU6(_Simple):
    """``min(max(x, 0), 6)``; derivative 1 on (0, 6), 0 at the kinks."""

    name = "relu6"
    derivative_text = '1 on (0, 6), 0 elsewhere'
    formula = r"\min(\max(x, 0), 6)"
    _core = staticmethod(_cores.relu6)
    _grad = staticmethod(_cores.relu6_grad)
    _props = Properties(range=(0.0, 6.0), range_closed=(True, True), differentiable=False,
                        smooth=False, kinks=(0.0, 6.0), kink_convention=_CLIP)


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

        _, w, _ = float_input(weight, "weight")
        self.weight = w if not isinstance(w, np.ndarray) or w.ndim else float(w)

    def _w(self, xp: Any, x: Any) -> Any:
        return prelu_weight(xp, x, self.weight)

    def _value(self, xp: Any, x: Any) -> Any:
        return _cores.prelu(xp, x, self._w(xp, x))

    def _derivative(self, xp: Any, x: Any) -> Any:
        return _cores.prelu_grad(xp, x, self._w(xp, x))

    def weight_gradient(self, x: Any, grad_output: Any) -> Any:
        """∂L/∂weight = sum of ``grad_output * min(x, 0)`` over the broadcast dimensions."""
        xp, xc, dtype = float_input(x, "x")
        g = self._grad_output(xp, xc, grad_output)
        w = self._w(xp, xc)
        with fp_guard(xp):
            contrib = g * xp.where(xc > 0, 0.0, xc)
            lead = xc.ndim - w.ndim
            if lead:
                contrib = xp.sum(contrib, axis=tuple(range(lead)))
            axes = tuple(i for i, n in enumerate(w.shape) if n == 1 and contrib.shape[i] != 1)
            if axes:
                contrib = xp.sum(contrib, axis=axes, keepdims=True)
            return finish(xp, contrib, dtype)

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


class SELU(_Simple):
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
GELU_MIN = -0.16997120747990983
GELU_TANH_MIN = -0.17004075057125406
SILU_MIN = -0.27846454276107380
MISH_MIN = -0.3088434130172504


class GELU(ElementwiseActivation):
    """Gaussian error linear unit, exact (``x Φ(x)``) or with the tanh approximation."""

    name = "gelu"
    derivative_text = 'Φ(x) + x φ(x) (exact); the derivative of the tanh form when approximate'
    formula = r"x\,\Phi(x) = \frac{x}{2}\left(1 + \operatorname{erf}(x/\sqrt{2})\right)"
    _params = ("approximate",)

    def __init__(self, approximate: bool = False) -> None:
        self.approximate = bool(approximate)

    def _value(self, xp: Any, x: Any) -> Any:
        return _cores.gelu(xp, x, self.approximate)

    def _derivative(self, xp: Any, x: Any) -> Any:
        return _cores.gelu_grad(xp, x, self.approximate)

    @property
    def properties(self) -> Properties:
        lo = GELU_TANH_MIN if self.approximate else GELU_MIN
        return Properties(range=(lo, INF), range_closed=(True, False), monotonic=False,
                          zero_centred=True)


class SiLU(_Simple):
    """Sigmoid linear unit (swish) ``x σ(x)``; derivative ``σ(x)(1 + x(1 - σ(x)))``."""

    name = "silu"
    derivative_text = 'σ(x)(1 + x(1 − σ(x)))'
    formula = r"x\,\sigma(x)"
    _core = staticmethod(_cores.silu)
    _grad = staticmethod(_cores.silu_grad)
    _props = Properties(range=(SILU_MIN, INF), range_closed=(True, False), monotonic=False,
                        zero_centred=True)


class HardSiLU(_Simple):
    """``x relu6(x + 3)/6``; derivative ``(2x + 3)/6`` on (-3, 3), 0 at -3 and 1 at 3."""

    name = "hard_silu"
    derivative_text = '(2x + 3)/6 on (−3, 3), 0 below, 1 above'
    formula = r"x \min(\max(x + 3, 0), 6) / 6"
    _core = staticmethod(_cores.hard_silu)
    _grad = staticmethod(_cores.hard_silu_grad)
    _props = Properties(range=(-0.375, INF), range_closed=(True, False), monotonic=False,
                        differentiable=False, smooth=False, zero_centred=True,
                        kinks=(-3.0, 3.0),
                        kink_convention="the outer branch at x = ±3: 0 at -3, 1 at 3")


class Mish(_Simple):
    """``x tanh(softplus(x))``."""

    name = "mish"
    derivative_text = 'tanh(sp(x)) + x σ(x) sech²(sp(x)), sp = softplus'
    formula = r"x \tanh(\log(1 + e^x))"
    _core = staticmethod(_cores.mish)
    _grad = staticmethod(_cores.mish_grad)
    _props = Properties(range=(MISH_MIN, INF), range_closed=(True, False), monotonic=False,
                        zero_centred=True)


class Softplus(ElementwiseActivation):
    """``log(1 + e^{βx})/β``; derivative ``σ(βx)``."""

    name = "softplus"
    derivative_text = 'σ(βx)'
    formula = r"\frac{1}{\beta}\log(1 + e^{\beta x})"
    _params = ("beta",)

    def __init__(self, beta: float = 1.0) -> None:
        self.beta = check_finite_scalar(beta, "beta", positive=True)

    def _value(self, xp: Any, x: Any) -> Any:
        return _cores.softplus(xp, x, self.beta)

    def _derivative(self, xp: Any, x: Any) -> Any:
        return _cores.softplus_grad(xp, x, self.beta)

    @property
    def properties(self) -> Properties:
        return Properties(range=(0.0, INF))


class SparsePlus(_Simple):
    """0, ``(x + 1)²/4``, ``x`` on the three pieces; C¹ (no kinks), not C²."""

    name = "sparse_plus"
    derivative_text = '0 for x ≤ −1, (x + 1)/2 on (−1, 1), 1 for x ≥ 1'
    formula = r"\begin{cases} 0 & x \le -1 \\ (x+1)^2/4 & |x| < 1 \\ x & x \ge 1\end{cases}"
    _core = staticmethod(_cores.sparse_plus)
    _grad = staticmethod(_cores.sparse_plus_grad)
    _props = Properties(range=(0.0, INF), range_closed=(True, False), smooth=False)


class Squareplus(ElementwiseActivation):
    """``(x + sqrt(x² + b))/2`` with ``b >= 0``; derivative ``(1 + x/sqrt(x² + b))/2``."""

    name = "squareplus"
    derivative_text = '(1 + x/√(x² + b))/2'
    formula = r"\frac{x + \sqrt{x^2 + b}}{2}"
    _params = ("b",)

    def __init__(self, b: float = 4.0) -> None:
        self.b = check_finite_scalar(b, "b", nonnegative=True)

    def _value(self, xp: Any, x: Any) -> Any:
        return _cores.squareplus(xp, x, self.b)

    def _derivative(self, xp: Any, x: Any) -> Any:
        return _cores.squareplus_grad(xp, x, self.b)

    @property
    def properties(self) -> Properties:
        if self.b == 0:
            return _leaky_properties(True, True, False, "0 at x = 0 (b = 0 is the ReLU)")
        return Properties(range=(0.0, INF))


class Softsign(_Simple):
    """``x/(1 + |x|)``; derivative ``1/(1 + |x|)²``, continuous (C¹, not C²)."""

    name = "softsign"
    derivative_text = '1/(1 + |x|)²'
    formula = r"\frac{x}{1 + |x|}"
    _core = staticmethod(_cores.softsign)
    _grad = staticmethod(_cores.softsign_grad)
    _props = Properties(range=(-1.0, 1.0), smooth=False, zero_centred=True)


class Tanh(_Simple):
    """Hyperbolic tangent; derivative ``sech²(x) = 1 - tanh²(x)``, computed without
    cancellation for large ``|x|``."""

    name = "tanh"
    derivative_text = 'sech²(x) = 1 − tanh²(x), in (0, 1]'
    formula = r"\tanh(x) = \frac{e^x - e^{-x}}{e^x + e^{-x}}"
    _core = staticmethod(_cores.tanh)
    _grad = staticmethod(_cores.tanh_grad)
    _props = Properties(range=(-1.0, 1.0), zero_centred=True)


class HardTanh(ElementwiseActivation):
    """``x`` clipped to ``[min_val, max_val]``; derivative 0 at the kinks."""

    name = "hard_tanh"
    derivative_text = '1 on (min_val, max_val), 0 elsewhere'
    formula = r"\min(\max(x, a), b)"
    _params = ("min_val", "max_val")

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0) -> None:
        self.min_val, self.max_val = _hard_tanh_bounds(min_val, max_val)

    def _value(self, xp: Any, x: Any) -> Any:
        return _cores.hard_tanh(xp, x, self.min_val, self.max_val)

    def _derivative(self, xp: Any, x: Any) -> Any:
        return _cores.hard_tanh_grad(xp, x, self.min_val, self.max_val)

    @property
    def properties(self) -> Properties:
        lo, hi = self.min_val, self.max_val
        return Properties(range=(lo, hi), range_closed=(True, True), differentiable=False,
                          smooth=False, zero_centred=lo < 0 < hi, kinks=(lo, hi),
                          kink_convention=_CLIP)


class TanhShrink(_Simple):
    """``x - tanh(x)``; derivative ``tanh²(x)``."""

    name = "tanh_shrink"
    derivative_text = 'tanh²(x)'
    formula = r"x - \tanh(x)"
    _core = staticmethod(_cores.tanh_shrink)
    _grad = staticmethod(_cores.tanh_shrink_grad)
    _props = Properties(range=(-INF, INF), zero_centred=True)


class _Shrink(ElementwiseActivation):
    _params = ("threshold",)
    _core: ClassVar[Any]

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = check_finite_scalar(threshold, "threshold", nonnegative=True)

    def _value(self, xp: Any, x: Any) -> Any:
        return type(self)._core(xp, x, self.threshold)

    def _derivative(self, xp: Any, x: Any) -> Any:
        return _cores.shrink_grad(xp, x, self.threshold)


class HardShrink(_Shrink):
    """``x`` where ``|x| > threshold``, else 0; derivative 0 at ``±threshold``."""

    name = "hard_shrink"
    derivative_text = '1 for |x| > threshold, 0 for |x| < threshold'
    formula = r"\begin{cases} x & |x| > \lambda \\ 0 & |x| \le \lambda \end{cases}"
    _core = staticmethod(_cores.hard_shrink)

    @property
    def properties(self) -> Properties:
        t = self.threshold
        return Properties(range=(-INF, INF), continuous=t == 0, differentiable=t == 0,
                          smooth=t == 0, zero_centred=True, kinks=() if t == 0 else (-t, t),
                          kink_convention="" if t == 0 else "0 at x = ±threshold")


class SoftShrink(_Shrink):
    """``x ∓ threshold`` outside ``[-threshold, threshold]``, 0 inside."""

    name = "soft_shrink"
    derivative_text = '1 for |x| > threshold, 0 for |x| < threshold'
    formula = r"\operatorname{sign}(x) \max(|x| - \lambda, 0)"
    _core = staticmethod(_cores.soft_shrink)

    @property
    def properties(self) -> Properties:
        t = self.threshold
        return Properties(range=(-INF, INF), differentiable=t == 0, smooth=t == 0,
                          zero_centred=True, kinks=() if t == 0 else (-t, t),
                          kink_convention="" if t == 0 else "0 at x = ±threshold")


class Threshold(ElementwiseActivation):
    """``x`` where ``x > threshold``, else ``default_value``; derivative 0 at the threshold."""

    name = "threshold"
    derivative_text = '1 for x > threshold, 0 for x < threshold'
    formula = r"\begin{cases} x & x > \theta \\ v & x \le \theta \end{cases}"
    _params = ("threshold", "default_value")

    def __init__(self, threshold: float, default_value: float) -> None:
        self.threshold = check_finite_scalar(threshold, "threshold")
        self.default_value = check_finite_scalar(default_value, "default_value")

    def _value(self, xp: Any, x: Any) -> Any:
        return _cores.threshold(xp, x, self.threshold, self.default_value)

    def _derivative(self, xp: Any, x: Any) -> Any:
        return _cores.threshold_grad(xp, x, self.threshold, self.default_value)

    @property
    def properties(self) -> Properties:
        t, v = self.threshold, self.default_value
        return Properties(range=(min(t, v), INF), range_closed=(v <= t, False),
                          monotonic=v <= t, continuous=v == t, differentiable=False,
                          smooth=False, zero_centred=False, kinks=(t,),
                          kink_convention="0 at x = threshold")


class Exponential(_Simple):
    """``e^x``; its own derivative."""

    name = "exponential"
    derivative_text = 'eˣ'
    formula = r"e^x"
    _core = staticmethod(_cores.exponential)
    _grad = staticmethod(_cores.exponential)
    _props = Properties(range=(0.0, INF))

    def _vjp(self, xp: Any, x: Any, g: Any) -> Any:
        return _cores.exponential_vjp(xp, x, g)


class Linear(_Simple):
    """The identity; derivative 1."""

    name = "linear"
    derivative_text = '1'
    formula = r"x"
    _core = staticmethod(_cores.linear)
    _grad = staticmethod(_cores.linear_grad)
    _props = Properties(range=(-INF, INF), zero_centred=True)


Swish = SiLU
HardSwish = HardSiLU


# -- activations along an axis ---------------------------------------------------------
class Softmax(AxisActivation):
    """Softmax along ``axis``. ``gradient`` is the Jacobian ``diag(p) - p pᵀ`` (axis last);
    ``backward(x, g) = p * (g - sum(g * p))``."""

    name = "softmax"
    derivative_text = 'Jacobian diag(p) − p pᵀ; vector-Jacobian product p ⊙ (g − ⟨g, p⟩)'
    formula = r"\operatorname{softmax}(x)_i = \frac{e^{x_i}}{\sum_j e^{x_j}}"

    def _value_last(self, xp: Any, x: Any) -> Any:
        return _axis_cores.softmax(xp, x)

    def _jacobian_last(self, xp: Any, x: Any) -> Any:
        return _axis_cores.softmax_jacobian(xp, _axis_cores.softmax(xp, x))

    def _vjp_last(self, xp: Any, x: Any, g: Any) -> Any:
        return _axis_cores.softmax_vjp(xp, _axis_cores.softmax(xp, x), g)

    @property
    def properties(self) -> Properties:
        return Properties(range=(0.0, 1.0), range_closed=(False, True), monotonic=None)


class LogSoftmax(AxisActivation):
    """log softmax along ``axis``. Jacobian ``δ_ij - p_j``; ``backward = g - p sum(g)``."""

    name = "log_softmax"
    derivative_text = 'Jacobian δᵢⱼ − pⱼ; vector-Jacobian product g − p Σⱼ gⱼ'
    formula = r"x_i - \log\sum_j e^{x_j}"

    def _value_last(self, xp: Any, x: Any) -> Any:
        return _axis_cores.log_softmax(xp, x)

    def _jacobian_last(self, xp: Any, x: Any) -> Any:
        return _axis_cores.log_softmax_jacobian(xp, _axis_cores.softmax(xp, x))

    def _vjp_last(self, xp: Any, x: Any, g: Any) -> Any:
        return _axis_cores.log_softmax_vjp(xp, _axis_cores.softmax(xp, x), g)

    @property
    def properties(self) -> Properties:
        return Properties(range=(-INF, 0.0), range_closed=(False, True), monotonic=None)


class Softmin(AxisActivation):
    """``softmax(-x)`` along ``axis``; its Jacobian is ``-(diag(p) - p pᵀ)``."""

    name = "softmin"
    derivative_text = 'Jacobian −(diag(p) − p pᵀ), p = softmin(x)'
    formula = r"\operatorname{softmin}(x)_i = \frac{e^{-x_i}}{\sum_j e^{-x_j}}"

    def _value_last(self, xp: Any, x: Any) -> Any:
        return _axis_cores.softmax(xp, -x)

    def _jacobian_last(self, xp: Any, x: Any) -> Any:
        return -_axis_cores.softmax_jacobian(xp, _axis_cores.softmax(xp, -x))

    def _vjp_last(self, xp: Any, x: Any, g: Any) -> Any:
        return -_axis_cores.softmax_vjp(xp, _axis_cores.softmax(xp, -x), g)

    @property
    def properties(self) -> Properties:
        return Properties(range=(0.0, 1.0), range_closed=(False, True), monotonic=None)


class Sparsemax(AxisActivation):
    """Sparsemax along ``axis``. With ``s`` the support indicator ``[p > 0]`` (entries at the
    boundary ``x_i = τ`` count as outside), Jacobian ``diag(s) - s sᵀ/|S|``."""

    name = "sparsemax"
    derivative_text = 'Jacobian diag(s) − s sᵀ/|S|, s the indicator of the support S'
    formula = r"\arg\min_{p \in \Delta} \lVert p - x \rVert^2"

    def _value_last(self, xp: Any, x: Any) -> Any:
        return _axis_cores.sparsemax(xp, x)

    def _jacobian_last(self, xp: Any, x: Any) -> Any:
        return _axis_cores.sparsemax_jacobian(xp, _axis_cores.sparsemax(xp, x))

    def _vjp_last(self, xp: Any, x: Any, g: Any) -> Any:
        return _axis_cores.sparsemax_vjp(xp, _axis_cores.sparsemax(xp, x), g)

    @property
    def properties(self) -> Properties:
        return Properties(range=(0.0, 1.0), range_closed=(True, True), monotonic=None,
                          differentiable=False, smooth=False,
                          kink_convention="entries with x_i = tau are outside the support")


class GLU(AxisActivation):
    """Gated linear unit ``a σ(b)`` along ``axis``. Jacobian shape ``(..., n/2, n)``;
    ``grad_output`` of ``backward`` has the output's shape (half the size along ``axis``)."""

    name = "glu"
    derivative_text = '∂/∂a = σ(b), ∂/∂b = a σ(b)(1 − σ(b)), for [a; b] = x'
    formula = r"a \otimes \sigma(b),\ [a; b] = x"

    def _value_last(self, xp: Any, x: Any) -> Any:
        return _axis_cores.glu(xp, x)

    def _jacobian_last(self, xp: Any, x: Any) -> Any:
        return _axis_cores.glu_jacobian(xp, x)

    def _vjp_last(self, xp: Any, x: Any, g: Any) -> Any:
        return _axis_cores.glu_vjp(xp, x, g)

    def _grad_output_for(self, xp: Any, x: Any, grad_output: Any) -> Any:
        axis = check_axis(self.axis, x.ndim)
        expected = list(x.shape)
        if expected[axis] % 2:
            raise ValueError(f"glu needs an even size along axis, got {expected[axis]}")
        expected[axis] //= 2
        _, g, _ = float_input(grad_output, "grad_output", xp=xp)
        if list(g.shape) != expected:
            raise ValueError(
                f"grad_output must have the output's shape {tuple(expected)}, "
                f"got {tuple(g.shape)}"
            )
        return xp.astype(g, x.dtype) if g.dtype != x.dtype else g

    @property
    def properties(self) -> Properties:
        return Properties(range=(-INF, INF), monotonic=None, zero_centred=True)

"""The elementwise activation classes other than the rectifiers, with ``gradient``,
``backward`` and metadata.

>>> act = GELU()
>>> act([1.0]), act.gradient([1.0])
(array([0.84134475]), array([1.08331547]))
"""

from __future__ import annotations

import functools
import math
from typing import Any, ClassVar

from .._array import check_finite_scalar
from . import _cores
from . import _functions as F
from ._base import CLIP_CONVENTION, ElementwiseActivation, Properties, SimpleActivation
from ._functions import _hard_tanh_bounds
from ._rectifiers import _leaky_properties

INF = math.inf

__all__ = [
    "GELU", "Exponential", "HardShrink", "HardSiLU", "HardSigmoid", "HardSwish", "HardTanh",
    "Linear", "LogSigmoid", "Mish", "SiLU", "Sigmoid", "SoftShrink", "Softplus", "Softsign",
    "SparsePlus", "SparseSigmoid", "Squareplus", "Swish", "Tanh", "TanhShrink", "Threshold",
]


class Sigmoid(SimpleActivation):
    r"""Logistic sigmoid ``σ(x) = 1/(1 + e^{-x})``; ``σ' = σ(1 - σ)`` in ``(0, 1/4]``."""

    name = "sigmoid"
    derivative_text = 'σ(x)(1 − σ(x)), in (0, 1/4]'
    formula = r"\sigma(x) = \frac{1}{1 + e^{-x}}"
    _core = staticmethod(_cores.sigmoid)
    _function = staticmethod(F.sigmoid)
    _grad = staticmethod(_cores.sigmoid_grad)
    _props = Properties(range=(0.0, 1.0))


class HardSigmoid(SimpleActivation):
    """``relu6(x + 3)/6``; derivative 1/6 on (-3, 3), 0 at the kinks."""

    name = "hard_sigmoid"
    derivative_text = '1/6 on (−3, 3), 0 elsewhere'
    formula = r"\min(\max(x + 3, 0), 6) / 6"
    _core = staticmethod(_cores.hard_sigmoid)
    _grad = staticmethod(_cores.hard_sigmoid_grad)
    _props = Properties(range=(0.0, 1.0), range_closed=(True, True), differentiable=False,
                        smooth=False, kinks=(-3.0, 3.0), kink_convention=CLIP_CONVENTION)


class SparseSigmoid(SimpleActivation):
    """``(x + 1)/2`` clipped to [0, 1]; derivative 1/2 on (-1, 1), 0 at the kinks."""

    name = "sparse_sigmoid"
    derivative_text = '1/2 on (−1, 1), 0 elsewhere'
    formula = r"\min(\max((x + 1)/2, 0), 1)"
    _core = staticmethod(_cores.sparse_sigmoid)
    _grad = staticmethod(_cores.sparse_sigmoid_grad)
    _props = Properties(range=(0.0, 1.0), range_closed=(True, True), differentiable=False,
                        smooth=False, kinks=(-1.0, 1.0), kink_convention=CLIP_CONVENTION)


class LogSigmoid(SimpleActivation):
    """``log σ(x) = -softplus(-x)``; derivative ``σ(-x)``."""

    name = "log_sigmoid"
    derivative_text = 'σ(−x) = 1 − σ(x), in (0, 1)'
    formula = r"\log\sigma(x) = -\log(1 + e^{-x})"
    _core = staticmethod(_cores.log_sigmoid)
    _function = staticmethod(F.log_sigmoid)
    _grad = staticmethod(_cores.log_sigmoid_grad)
    _props = Properties(range=(-INF, 0.0))


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

    def _fast(self) -> Any:
        return functools.partial(F.gelu, approximate=self.approximate)

    def _value(self, xp: Any, x: Any) -> Any:
        return _cores.gelu(xp, x, self.approximate)

    def _derivative(self, xp: Any, x: Any) -> Any:
        return _cores.gelu_grad(xp, x, self.approximate)

    @property
    def properties(self) -> Properties:
        lo = GELU_TANH_MIN if self.approximate else GELU_MIN
        return Properties(range=(lo, INF), range_closed=(True, False), monotonic=False,
                          zero_centred=True)


class SiLU(SimpleActivation):
    """Sigmoid linear unit (swish) ``x σ(x)``; derivative ``σ(x)(1 + x(1 - σ(x)))``."""

    name = "silu"
    derivative_text = 'σ(x)(1 + x(1 − σ(x)))'
    formula = r"x\,\sigma(x)"
    _core = staticmethod(_cores.silu)
    _function = staticmethod(F.silu)
    _grad = staticmethod(_cores.silu_grad)
    _props = Properties(range=(SILU_MIN, INF), range_closed=(True, False), monotonic=False,
                        zero_centred=True)


class HardSiLU(SimpleActivation):
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


class Mish(SimpleActivation):
    """``x tanh(softplus(x))``."""

    name = "mish"
    derivative_text = 'tanh(sp(x)) + x σ(x) sech²(sp(x)), sp = softplus'
    formula = r"x \tanh(\log(1 + e^x))"
    _core = staticmethod(_cores.mish)
    _function = staticmethod(F.mish)
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

    def _fast(self) -> Any:
        return functools.partial(F.softplus, beta=self.beta)

    def _value(self, xp: Any, x: Any) -> Any:
        return _cores.softplus(xp, x, self.beta)

    def _derivative(self, xp: Any, x: Any) -> Any:
        return _cores.softplus_grad(xp, x, self.beta)

    @property
    def properties(self) -> Properties:
        return Properties(range=(0.0, INF))


class SparsePlus(SimpleActivation):
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


class Softsign(SimpleActivation):
    """``x/(1 + |x|)``; derivative ``1/(1 + |x|)²``, continuous (C¹, not C²)."""

    name = "softsign"
    derivative_text = '1/(1 + |x|)²'
    formula = r"\frac{x}{1 + |x|}"
    _core = staticmethod(_cores.softsign)
    _grad = staticmethod(_cores.softsign_grad)
    _props = Properties(range=(-1.0, 1.0), smooth=False, zero_centred=True)


class Tanh(SimpleActivation):
    """Hyperbolic tangent; derivative ``sech²(x) = 1 - tanh²(x)``, computed without
    cancellation for large ``|x|``."""

    name = "tanh"
    derivative_text = 'sech²(x) = 1 − tanh²(x), in (0, 1]'
    formula = r"\tanh(x) = \frac{e^x - e^{-x}}{e^x + e^{-x}}"
    _core = staticmethod(_cores.tanh)
    _function = staticmethod(F.tanh)
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
                          kink_convention=CLIP_CONVENTION)


class TanhShrink(SimpleActivation):
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


class Exponential(SimpleActivation):
    """``e^x``; its own derivative."""

    name = "exponential"
    derivative_text = 'eˣ'
    formula = r"e^x"
    _core = staticmethod(_cores.exponential)
    _grad = staticmethod(_cores.exponential)
    _props = Properties(range=(0.0, INF))

    def _vjp(self, xp: Any, x: Any, g: Any) -> Any:
        return _cores.exponential_vjp(xp, x, g)


class Linear(SimpleActivation):
    """The identity; derivative 1."""

    name = "linear"
    derivative_text = '1'
    formula = r"x"
    _core = staticmethod(_cores.linear)
    _grad = staticmethod(_cores.linear_grad)
    _props = Properties(range=(-INF, INF), zero_centred=True)


Swish = SiLU
HardSwish = HardSiLU

"""The classes of the activations along an axis: softmax, log_softmax, softmin, sparsemax,
glu. ``gradient`` is the Jacobian along the axis (moved last), ``backward`` the VJP.

>>> Softmax().backward([1.0, 2.0, 3.0], [1.0, 1.0, 1.0])  # softmax rows sum to 1
array([0., 0., 0.])
"""

from __future__ import annotations

import math
from typing import Any

from .._array import check_axis, float_input
from . import _axis_cores
from ._base import AxisActivation, Properties

INF = math.inf

__all__ = ["GLU", "LogSoftmax", "Softmax", "Softmin", "Sparsemax"]


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

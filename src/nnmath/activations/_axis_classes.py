"""The classes of the activations along an axis: softmax, log_softmax, softmin, sparsemax,
glu. ``gradient`` is the Jacobian along the axis (moved last), ``backward`` the VJP. Names,
formulas and properties come from their rows of the spec table.

>>> Softmax().backward([1.0, 2.0, 3.0], [1.0, 1.0, 1.0])  # softmax rows sum to 1
array([0., 0., 0.])
"""

from __future__ import annotations

from typing import Any, ClassVar

from .._array import requires_grad
from ._axis import axis_run, check_axes
from ._base import Activation, Properties
from ._spec import SPECS, Spec

__all__ = ["GLU", "AxisActivation", "LogSoftmax", "Softmax", "Softmin", "Sparsemax"]


class AxisActivation(Activation):
    """An activation that couples the elements along one axis (softmax and friends).

    ``gradient(x)`` returns the Jacobian along the axis with that axis moved last:
    ``J[..., i, j] = ∂y_i/∂x_j``. ``backward(x, grad_output)`` returns the
    vector-Jacobian product without ever forming the Jacobian.

    Softmax, LogSoftmax and Softmin also take a tuple of axes (Keras's semantics: one
    normalisation over all of them jointly); their Jacobian then ends in those axes'
    sizes twice, in the tuple's order: ``J[..., i_1, ..., i_k, j_1, ..., j_k]``.
    """

    _params: ClassVar[tuple[str, ...]] = ("axis",)
    _spec: ClassVar[Spec]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        spec = SPECS[cls.name]
        cls._spec = spec
        cls.formula = spec.formula
        cls.derivative_text = spec.derivative

    def __init__(self, axis: int | tuple[int, ...] = -1) -> None:
        # softmax, log_softmax and softmin also take a tuple of axes (normalised jointly)
        self.axis = check_axes(self.name, axis)

    def __call__(self, x: Any) -> Any:
        """The forward value along ``axis``."""
        if requires_grad(x):
            return self._differentiable_call(x)
        return axis_run(self.name, "value", x, self.axis)

    def gradient(self, x: Any) -> Any:
        """The Jacobian along ``axis``, that axis moved last: ``J[..., i, j] = ∂y_i/∂x_j``."""
        return axis_run(self.name, "jacobian", x, self.axis)

    def backward(self, x: Any, grad_output: Any) -> Any:
        """The vector-Jacobian product ``Jᵀ grad_output`` along ``axis`` (no Jacobian built)."""
        return axis_run(self.name, "vjp", x, self.axis, grad_output)

    @property
    def properties(self) -> Properties:
        props = self._spec.properties
        assert isinstance(props, Properties)
        return props


class Softmax(AxisActivation):
    """Softmax along ``axis``. ``gradient`` is the Jacobian ``diag(p) - p pᵀ`` (axis last);
    ``backward(x, g) = p * (g - sum(g * p))``."""

    name = "softmax"


class LogSoftmax(AxisActivation):
    """log softmax along ``axis``. Jacobian ``δ_ij - p_j``; ``backward = g - p sum(g)``."""

    name = "log_softmax"


class Softmin(AxisActivation):
    """``softmax(-x)`` along ``axis``; its Jacobian is ``-(diag(p) - p pᵀ)``."""

    name = "softmin"


class Sparsemax(AxisActivation):
    """Sparsemax along ``axis``. With ``s`` the support indicator ``[p > 0]`` (entries at the
    boundary ``x_i = τ`` count as outside), Jacobian ``diag(s) - s sᵀ/|S|``."""

    name = "sparsemax"


class GLU(AxisActivation):
    """Gated linear unit ``a σ(b)`` along ``axis``. Jacobian shape ``(..., n/2, n)``;
    ``grad_output`` of ``backward`` has the output's shape (half the size along ``axis``)."""

    name = "glu"

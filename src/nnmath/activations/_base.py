"""Base classes of the activation classes: forward, derivative, VJP, properties."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import numpy as np

from .._array import check_axis, finish, float_input, fp_guard, requires_grad, with_vjp
from . import _cores
from ._dtype import wide_input

__all__ = [
    "CLIP_CONVENTION",
    "Activation",
    "AxisActivation",
    "ElementwiseActivation",
    "Properties",
    "SimpleActivation",
]


@dataclass(frozen=True)
class Properties:
    """What an activation is, in checkable terms.

    Attributes
    ----------
    range
        ``(inf, sup)`` of the outputs over all real inputs.
    range_closed
        Whether the infimum and the supremum are attained.
    monotonic
        Non-decreasing on the whole real line (``None`` for axis functions, where the
        question does not apply).
    continuous
        Continuous everywhere.
    differentiable
        Continuously differentiable everywhere (C¹).
    smooth
        Infinitely differentiable everywhere (C^∞).
    zero_centred
        ``f(0) = 0`` and the outputs take both signs.
    kinks
        Points where the function is not differentiable; there the derivative
        follows ``kink_convention``.
    kink_convention
        The value nnmath's ``gradient`` returns at each kink (PyTorch's conventions).
    """

    range: tuple[float, float]
    range_closed: tuple[bool, bool] = (False, False)
    monotonic: bool | None = True
    continuous: bool = True
    differentiable: bool = True
    smooth: bool = True
    zero_centred: bool = False
    kinks: tuple[float, ...] = ()
    kink_convention: str = ""

    @property
    def bounded_below(self) -> bool:
        return math.isfinite(self.range[0])

    @property
    def bounded_above(self) -> bool:
        return math.isfinite(self.range[1])

    @property
    def bounded(self) -> bool:
        return self.bounded_below and self.bounded_above

    @property
    def range_text(self) -> str:
        """The range in interval notation, e.g. ``(0, 1)`` or ``[0, inf)``.

        >>> Properties(range=(0.0, math.inf), range_closed=(True, False)).range_text
        '[0, inf)'
        """
        lo, hi = self.range
        left = "[" if self.range_closed[0] else "("
        right = "]" if self.range_closed[1] else ")"
        return f"{left}{_num(lo)}, {_num(hi)}{right}"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able dict, with the derived ``bounded*`` and ``range_text`` fields."""
        d = asdict(self)
        d["range"] = [_num(v) if not math.isfinite(v) else v for v in self.range]
        d["range_closed"] = list(self.range_closed)
        d["kinks"] = list(self.kinks)
        d.update(bounded=self.bounded, bounded_below=self.bounded_below,
                 bounded_above=self.bounded_above, range_text=self.range_text)
        return d


def _num(v: float) -> str:
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return f"{v:.6g}"


class Activation:
    """Base class: an activation function with its analytic derivative.

    Subclasses set ``name`` and ``formula`` and implement ``_value`` and ``_derivative``
    (elementwise) or ``_value``, ``_jacobian`` and ``_vjp`` (along an axis), each
    computing in the compute dtype of the library's dtype policy.
    """

    name: ClassVar[str] = ""
    formula: ClassVar[str] = ""
    #: the derivative in words and symbols (``gradient`` computes it)
    derivative_text: ClassVar[str] = ""
    #: names of the constructor parameters, in order (for ``repr`` and ``get_config``)
    _params: ClassVar[tuple[str, ...]] = ()

    @property
    def properties(self) -> Properties:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """The constructor parameters, so that ``type(a)(**a.get_config())`` equals ``a``."""
        return {p: getattr(self, p) for p in self._params}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.get_config() == other.get_config()

    def __hash__(self) -> int:
        return hash((type(self), tuple(map(repr, self.get_config().values()))))

    # -- to be provided by subclasses -------------------------------------------------
    def _value(self, xp: Any, x: Any) -> Any:  # pragma: no cover
        raise NotImplementedError

    def __call__(self, x: Any) -> Any:
        """The forward value ``f(x)``."""
        if requires_grad(x):
            return self._differentiable_call(x)
        xp, xc, dtype = wide_input(x, "x")
        with fp_guard(xp), _cores.for_result(dtype):
            return finish(xp, self._value(xp, xc), dtype)

    def _differentiable_call(self, x: Any) -> Any:
        """``self(x)`` for an ``x`` being differentiated (a PyTorch tensor that requires
        grad, a JAX tracer): its derivative is this activation's own ``backward``."""
        return with_vjp(self, lambda a, g: (self.backward(a[0], g),), (x,), {})

    def gradient(self, x: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def backward(self, x: Any, grad_output: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def _grad_output(self, xp: Any, x: Any, grad_output: Any) -> Any:
        """Validate ``grad_output`` against ``x`` and bring it to x's compute dtype."""
        _, g, _ = float_input(grad_output, "grad_output", xp=xp)
        if tuple(g.shape) != tuple(x.shape):
            raise ValueError(
                f"grad_output must have the shape of x {tuple(x.shape)}, got {tuple(g.shape)}"
            )
        return xp.astype(g, x.dtype) if g.dtype != x.dtype else g


class ElementwiseActivation(Activation):
    """An activation applied to each element independently."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__
        if ("_value" in own or "_core" in own) and not ("_fast" in own or "_function" in own):
            # a subclass with its own math computes it: no inherited fast path
            cls._fast = ElementwiseActivation._fast  # type: ignore[method-assign]

    def _fast(self) -> Any:
        """The public function (with this instance's parameters) that computes ``f`` on
        NumPy float arrays through the chunked, threaded kernels, or ``None``."""
        return None

    def __call__(self, x: Any) -> Any:
        """The forward value ``f(x)``."""
        if requires_grad(x):
            return self._differentiable_call(x)
        if type(x) is np.ndarray and x.dtype.char in "efd":
            fast = self._fast()
            if fast is not None:
                return fast(x)
        return super().__call__(x)

    def _derivative(self, xp: Any, x: Any) -> Any:  # pragma: no cover
        raise NotImplementedError

    def _vjp(self, xp: Any, x: Any, g: Any) -> Any:
        return g * self._derivative(xp, x)

    def gradient(self, x: Any) -> Any:
        """The derivative ``f'(x)``, elementwise, with the shape and dtype of ``x``."""
        xp, xc, dtype = wide_input(x, "x")
        with fp_guard(xp), _cores.for_result(dtype):
            return finish(xp, self._derivative(xp, xc), dtype)

    def backward(self, x: Any, grad_output: Any) -> Any:
        """The vector-Jacobian product ``grad_output * f'(x)`` (what backpropagation needs)."""
        xp, xc, dtype = wide_input(x, "x")
        g = self._grad_output(xp, xc, grad_output)
        with fp_guard(xp), _cores.for_result(dtype):
            return finish(xp, self._vjp(xp, xc, g), dtype)


class AxisActivation(Activation):
    """An activation that couples the elements along one axis (softmax and friends).

    ``gradient(x)`` returns the Jacobian along the axis with that axis moved last:
    ``J[..., i, j] = ∂y_i/∂x_j``. ``backward(x, grad_output)`` returns the
    vector-Jacobian product without ever forming the Jacobian.
    """

    _params: ClassVar[tuple[str, ...]] = ("axis",)

    def __init__(self, axis: int = -1) -> None:
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"axis must be an integer, got {axis!r}")
        self.axis = axis

    # cores work along the last axis
    def _value_last(self, xp: Any, x: Any) -> Any:  # pragma: no cover
        raise NotImplementedError

    def _jacobian_last(self, xp: Any, x: Any) -> Any:  # pragma: no cover
        raise NotImplementedError

    def _vjp_last(self, xp: Any, x: Any, g: Any) -> Any:  # pragma: no cover
        raise NotImplementedError

    def _value(self, xp: Any, x: Any) -> Any:
        axis = check_axis(self.axis, x.ndim)
        y = self._value_last(xp, xp.moveaxis(x, axis, -1))
        return xp.moveaxis(y, -1, axis)

    def gradient(self, x: Any) -> Any:
        """The Jacobian along ``axis``, that axis moved last: ``J[..., i, j] = ∂y_i/∂x_j``."""
        xp, xc, dtype = wide_input(x, "x")
        axis = check_axis(self.axis, xc.ndim)
        with fp_guard(xp):
            return finish(xp, self._jacobian_last(xp, xp.moveaxis(xc, axis, -1)), dtype)

    def backward(self, x: Any, grad_output: Any) -> Any:
        """The vector-Jacobian product ``Jᵀ grad_output`` along ``axis`` (no Jacobian built)."""
        xp, xc, dtype = wide_input(x, "x")
        axis = check_axis(self.axis, xc.ndim)
        with fp_guard(xp):
            y = self._vjp_last(xp, xp.moveaxis(xc, axis, -1),
                               xp.moveaxis(self._grad_output_for(xp, xc, grad_output), axis, -1))
            return finish(xp, xp.moveaxis(y, -1, axis), dtype)

    def _grad_output_for(self, xp: Any, x: Any, grad_output: Any) -> Any:
        return self._grad_output(xp, x, grad_output)


#: the kink convention of the clipping functions
CLIP_CONVENTION = "0 at the kinks (PyTorch's convention for clipping functions)"


class SimpleActivation(ElementwiseActivation):
    """An elementwise activation without parameters, defined by two cores."""

    _core: ClassVar[Any]
    _grad: ClassVar[Any]
    _props: ClassVar[Properties]
    #: the public function with a fast NumPy path, if there is one
    _function: ClassVar[Any] = None

    def _fast(self) -> Any:
        return type(self)._function

    def _value(self, xp: Any, x: Any) -> Any:
        return type(self)._core(xp, x)

    def _derivative(self, xp: Any, x: Any) -> Any:
        return type(self)._grad(xp, x)

    @property
    def properties(self) -> Properties:
        return self._props

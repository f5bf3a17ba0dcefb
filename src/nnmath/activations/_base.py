"""Base classes of the activation classes: forward, derivative, VJP, properties."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, TypeVar

from .._array import float_input, with_vjp

__all__ = ["CLIP_CONVENTION", "Activation", "Properties"]


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


_A = TypeVar("_A", bound="Activation")


class Activation:
    """Base class: an activation function with its analytic derivative.

    The subclasses: ``ElementwiseActivation`` (``_elementwise.py``) and ``AxisActivation``
    (``_axis_classes.py``), each built from a row of the spec table (``_spec.py``).
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

    @classmethod
    def from_config(cls: type[_A], config: Mapping[str, Any]) -> _A:
        """An instance from :meth:`get_config`'s dict (Keras's ``from_config``):
        ``type(a).from_config(a.get_config())`` equals ``a``."""
        if not isinstance(config, Mapping):
            raise TypeError(f"config must be a dict, got {type(config).__name__}")
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.get_config() == other.get_config()

    def __hash__(self) -> int:
        return hash((type(self), tuple(map(repr, self.get_config().values()))))

    def __call__(self, x: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

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


#: the kink convention of the clipping functions
CLIP_CONVENTION = "0 at the kinks (PyTorch's convention for clipping functions)"

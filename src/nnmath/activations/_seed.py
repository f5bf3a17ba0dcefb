"""The seed notebook's class names, with its constructor arguments, made correct.

The notebook defined ``Sigmoid``, ``Softmax``, ``ReLu``, ``Leaky_ReLu(alpha=0.01)`` and
``TanH`` as NumPy classes with ``__call__`` and ``gradient``. ``Sigmoid`` and ``Softmax``
are nnmath's own classes; the other three are the names below. What changes:

* ``Sigmoid()(x)`` is ``1/(1 + e^{-x})``; the notebook's ``(1/ 1+np.exp(-x))`` parses as
  ``1 + e^{-x}`` (its printed 2.2e4 at ``x = -10`` is that bug).
* ``Softmax()(x)`` shifts by the row maximum (no overflow) and normalises along the last
  axis; ``Softmax().gradient(x)`` is the full Jacobian ``diag(p) - p pᵀ``, not its diagonal
  ``p(1 - p)``, and ``backward(x, g)`` is the product that backpropagation needs.
* ``ReLu().gradient(0)`` and ``Leaky_ReLu().gradient(0)`` follow nnmath's convention (0 and
  ``alpha``), where the notebook returned 1: at a kink any value in between is a valid
  subgradient; nnmath states and tests its own.

>>> Leaky_ReLu(alpha=0.01)([-1.0, 2.0]), Leaky_ReLu().gradient([-1.0, 0.0, 2.0])
(array([-0.01,  2.  ]), array([0.01, 0.01, 1.  ]))
"""

from __future__ import annotations

from typing import ClassVar

from ._elementwise import CLASSES

ReLU, LeakyReLU, Tanh = CLASSES["relu"], CLASSES["leaky_relu"], CLASSES["tanh"]

__all__ = ["Leaky_ReLu", "ReLu", "TanH"]


class ReLu(ReLU):  # type: ignore[valid-type, misc]
    """The notebook's ``ReLu``: :class:`ReLU` with its defaults."""


class Leaky_ReLu(LeakyReLU):  # type: ignore[valid-type, misc]
    """The notebook's ``Leaky_ReLu(alpha=0.01)``: :class:`LeakyReLU` with slope ``alpha``."""

    _params: ClassVar[tuple[str, ...]] = ("alpha",)

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__(negative_slope=alpha)

    @property
    def alpha(self) -> float:
        return self.negative_slope


class TanH(Tanh):  # type: ignore[valid-type, misc]
    """The notebook's ``TanH``: :class:`Tanh`."""

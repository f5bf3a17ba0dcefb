"""nnmath: the math at the output end of a neural network.

Activation functions, classification losses and classification metrics, exact at the
extremes, with analytic gradients, for NumPy and any array-API library.

>>> import nnmath
>>> nnmath.activations.softmax([1000.0, 0.0])
array([1., 0.])
"""

from __future__ import annotations

from . import activations
from ._kernels import get_num_threads, set_num_threads

__version__ = "0.1.0"

__all__ = ["__version__", "activations", "get_num_threads", "set_num_threads"]

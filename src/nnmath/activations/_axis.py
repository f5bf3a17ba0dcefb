"""Public activations along an axis: softmax, log_softmax, softmin, sparsemax, glu.

softmax and log_softmax accept ``out=`` and, for NumPy input along the last axis, run the
chunked, threaded path of ``nnmath._kernels``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _kernels
from .._array import check_axis, finish, float_input, fp_guard
from . import _axis_cores

__all__ = ["glu", "log_softmax", "softmax", "softmin", "sparsemax"]


def _apply_axis(core: Any, x: Any, axis: int, kind: str | None = None, out: Any = None) -> Any:
    if type(x) is np.ndarray and x.dtype.char in "fd":  # float_input's answer, cheaply
        xp, xc, dtype = np, x, x.dtype
    else:
        xp, xc, dtype = float_input(x, "x")
        if xp is np and xc.dtype != np.float64:  # float16, or float32 of an ndarray subclass
            xc = xc.astype(np.float64)
    ax = check_axis(axis, xc.ndim)
    if xp is np:
        with fp_guard(xp):
            if kind is not None and ax == xc.ndim - 1:  # float32 is widened chunk by chunk
                y = _kernels.axis_kernel(kind, core, xc, dtype, out)
                if y is not None:
                    return y
            if xc.dtype != np.float64:
                xc = xc.astype(np.float64)
            y = finish(xp, xp.moveaxis(core(xp, xp.moveaxis(xc, ax, -1)), -1, ax), dtype)
        return y if out is None else _kernels.give(y, out)
    if out is not None:
        raise TypeError("out= is supported for NumPy arrays only")
    with fp_guard(xp):
        y = core(xp, xp.moveaxis(xc, ax, -1))
        return finish(xp, xp.moveaxis(y, -1, ax), dtype)


def softmax(x: Any, axis: int = -1, *, out: Any = None) -> Any:
    r"""Softmax along ``axis``: the gradient of LogSumExp, a smooth arg-max.

    .. math:: \operatorname{softmax}(x)_i = \frac{e^{x_i}}{\sum_j e^{x_j}}
              = \frac{e^{x_i - m}}{\sum_j e^{x_j - m}},\quad m = \max_j x_j

    The shift by the maximum keeps every exponent ``<= 0``: ``exp(x)/sum(exp(x))``
    overflows to NaN for ``x > 709`` (float64) or ``x > 88`` (float32), the shifted form
    does not. Note that ``log(sum(exp(x)))`` is LogSumExp, the smooth *maximum*;
    softmax is its gradient. The ``+inf`` entries of a row share the mass equally.

    >>> softmax([1000.0, 0.0])
    array([1., 0.])
    >>> softmax([[1.0, 2.0, 3.0, 6.0], [2.0, 4.0, 5.0, 6.0]])
    array([[0.00626879, 0.01704033, 0.04632042, 0.93037047],
           [0.01203764, 0.08894682, 0.24178252, 0.65723302]])
    """
    return _apply_axis(_axis_cores.softmax, x, axis, "softmax", out)


def log_softmax(x: Any, axis: int = -1, *, out: Any = None) -> Any:
    r"""Logarithm of softmax along ``axis``, computed directly.

    .. math:: \operatorname{log\_softmax}(x)_i = (x_i - m) - \log\Big(1 + \sum_{j \ne j^*}
              e^{x_j - m}\Big),\quad m = x_{j^*} = \max_j x_j

    ``log(softmax(x))`` gives ``-inf`` once a probability underflows; this stays finite,
    and ``log1p`` of the mass outside the top class keeps the top class's log-probability
    accurate when it is close to 0.

    >>> log_softmax([1000.0, 1.0, -1000.0])
    array([    0.,  -999., -2000.])
    """
    return _apply_axis(_axis_cores.log_softmax, x, axis, "log_softmax", out)


def softmin(x: Any, axis: int = -1) -> Any:
    r"""Softmin along ``axis``: ``softmax(-x)``, a smooth arg-min.

    >>> softmin([0.0, 1000.0])
    array([1., 0.])
    """
    return _apply_axis(lambda xp, v: _axis_cores.softmax(xp, -v), x, axis)


def sparsemax(x: Any, axis: int = -1) -> Any:
    r"""Sparsemax along ``axis`` (Martins & Astudillo, 2016): the Euclidean projection
    onto the probability simplex, which can give exact zeros.

    .. math:: \operatorname{sparsemax}(x) = \arg\min_{p \in \Delta} \lVert p - x \rVert^2
              = \max(x - \tau(x), 0)

    >>> sparsemax([0.0, 0.5, 1.0])
    array([0.  , 0.25, 0.75])
    """
    return _apply_axis(_axis_cores.sparsemax, x, axis)


def glu(x: Any, axis: int = -1) -> Any:
    r"""Gated linear unit (Dauphin et al., 2017): split ``x`` in halves ``a, b`` along
    ``axis`` and return ``a * σ(b)``; the size along ``axis`` must be even.

    >>> glu([1.0, 2.0, 0.0, 1000.0])
    array([0.5, 2. ])
    """
    return _apply_axis(_axis_cores.glu, x, axis)

"""Public elementwise activation functions (forward values).

Each takes any real array-like (NumPy arrays, lists, scalars; other array libraries
through their array namespace) and follows the dtype policy: float16/32/64 keep their
dtype, integers and bools become float64. NumPy float16 and float32 input is computed in
float64 and rounded once (within 1 ulp of the true value, subnormal results included);
other array libraries compute in their own dtype (float16 in float32).

The hot ones (sigmoid, log_sigmoid, tanh, relu, gelu, silu, softplus, mish) accept
``out=``, a NumPy array of the result's shape and dtype (``out=x`` works in place), and
for NumPy input run the chunked, threaded paths of ``nnmath._kernels``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _kernels
from .._array import check_finite_scalar, finish, float_input, fp_guard, is_lazy
from . import _cores
from ._dtype import wide_input

__all__ = [
    "celu", "elu", "exponential", "gelu", "hard_shrink", "hard_sigmoid", "hard_silu",
    "hard_swish", "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "mish", "prelu",
    "relu", "relu6", "rrelu", "selu", "sigmoid", "silu", "soft_shrink", "softplus",
    "softsign", "sparse_plus", "sparse_sigmoid", "squareplus", "swish", "tanh",
    "tanh_shrink", "threshold",
]


def _apply(core: Any, x: Any, *params: Any) -> Any:
    xp, xc, dtype = wide_input(x, "x")
    with fp_guard(xp), _cores.for_result(dtype):
        return finish(xp, core(xp, xc, *params), dtype)


#: kernels that are never widened: exact in every dtype (a comparison and a copy), or
#: computing in float64 themselves
_EXACT = (_kernels.relu_chunk, _kernels.gelu32_chunk)
#: kernels that raise no floating-point flag (so no ``np.errstate`` is needed)
_QUIET = (_kernels.relu_chunk,)
_WIDE: dict[Any, Any] = {}


def _apply_fast(core: Any, kernel: Any, x: Any, *params: Any, out: Any = None) -> Any:
    """``_apply`` with ``out=``; NumPy input runs ``kernel`` (a chunk function of
    ``_kernels``, the same math as ``core``) when it is given.

    float32 chunks run the float64 kernel and are rounded once (``_kernels.widen``), for
    ndarray subclasses such as memmaps too; float16 arrays are converted to float64 whole
    (they are never the large ones).
    """
    if type(x) is np.ndarray and x.dtype.char in "fd":  # float_input's answer, cheaply
        xp, xc, dtype = np, x, x.dtype
    else:
        xp, xc, dtype = float_input(x, "x")
        if xp is np and dtype == np.float32:  # an ndarray subclass (a memmap): its
            xc = np.asarray(xc)  # data as a plain array, no copy, widened by chunk
        elif xp is np and xc.dtype != np.float64:  # float16 (float_input gives it as
            # float32): to float64 whole, so that it is rounded once, into float16
            xc = xc.astype(np.float64)
    if xp is np:
        if kernel is not None:
            if xc.dtype == np.float64:
                kernel = _FLOAT64.get(kernel, kernel)
            elif kernel not in _EXACT:
                wide = _WIDE.get(kernel)
                if wide is None:
                    wide = _WIDE[kernel] = _kernels.widen(kernel)
                kernel = wide
            return _kernels.elementwise(kernel, xc, dtype, out, kernel in _QUIET)
        if xc.dtype != np.float64:
            xc = xc.astype(np.float64)
        with fp_guard(xp), _cores.for_result(dtype):
            y = finish(xp, core(xp, xc, *params), dtype)
        return y if out is None else _kernels.give(y, out)
    if out is not None:
        raise TypeError("out= is supported for NumPy arrays only")
    with fp_guard(xp):
        return finish(xp, core(xp, xc, *params), dtype)


_MISH = _kernels.mish_chunk
#: float64 kernels where the float64 formula of the chunk function (what float32 input
#: is computed with) is not accurate to 2 float64 ulps: the compensated reference cores
_FLOAT64 = {
    _kernels.sigmoid_chunk: _kernels.sigmoid64_chunk,
    _kernels.silu_chunk: _kernels.silu64_chunk,
    _kernels.mish_chunk: _kernels.mish64_chunk,
}
_GELU_APPROX = _kernels.reference_chunk(_cores.gelu, True)
_GELU = _kernels.reference_chunk(_cores.gelu, False)
_GELU_APPROX32 = _kernels.reference_chunk(_cores.gelu_tanh_plain)


def sigmoid(x: Any, *, out: Any = None) -> Any:
    r"""Logistic sigmoid, computed without overflow.

    .. math:: \sigma(x) = \frac{1}{1 + e^{-x}}

    With ``z = exp(-|x|)``, ``σ(x) = 1/(1+z)`` for ``x >= 0`` and ``z/(1+z)`` for
    ``x < 0``; ``exp`` never overflows, and ``σ(-1000)`` is 0 (not the ``1 + e^{1000}``
    of a misplaced parenthesis, nor an overflow warning).

    >>> sigmoid([-1000.0, -1.0, 0.0, 1.0, 1000.0])
    array([0.        , 0.26894142, 0.5       , 0.73105858, 1.        ])
    """
    return _apply_fast(_cores.sigmoid, _kernels.sigmoid_chunk, x, out=out)


def hard_sigmoid(x: Any) -> Any:
    r"""Piecewise-linear sigmoid, ``relu6(x + 3) / 6`` (PyTorch's and JAX's definition).

    .. math:: \operatorname{hard\_sigmoid}(x) = \min(\max(x + 3, 0), 6) / 6

    Derivative ``1/6`` on ``(-3, 3)`` and 0 elsewhere, 0 at the kinks ``x = ±3``.

    >>> hard_sigmoid([-4.0, 0.0, 1.5, 4.0])
    array([0.  , 0.5 , 0.75, 1.  ])
    """
    return _apply(_cores.hard_sigmoid, x)


def sparse_sigmoid(x: Any) -> Any:
    r"""Sparse sigmoid: ``(x + 1)/2`` clipped to ``[0, 1]`` (Keras 3, JAX).

    .. math:: \operatorname{sparse\_sigmoid}(x) = \min(\max((x + 1)/2, 0), 1)

    Derivative ``1/2`` on ``(-1, 1)``, 0 elsewhere and at the kinks ``x = ±1``.

    >>> sparse_sigmoid([-2.0, 0.0, 0.5, 2.0])
    array([0.  , 0.5 , 0.75, 1.  ])
    """
    return _apply(_cores.sparse_sigmoid, x)


def log_sigmoid(x: Any, *, out: Any = None) -> Any:
    r"""Logarithm of the sigmoid, exact for large ``|x|``.

    .. math:: \log\sigma(x) = -\operatorname{softplus}(-x) = \min(x, 0) - \log(1 + e^{-|x|})

    ``log(sigmoid(-1000))`` is ``-inf`` (sigmoid underflows); ``log_sigmoid(-1000)`` is
    ``-1000``.

    >>> log_sigmoid([-1000.0, 0.0, 1000.0])
    array([-1.00000000e+03, -6.93147181e-01,  0.00000000e+00])
    """
    return _apply_fast(_cores.log_sigmoid, _kernels.log_sigmoid_chunk, x, out=out)


def relu(x: Any, negative_slope: float = 0.0, max_value: float | None = None,
         threshold: float = 0.0, *, out: Any = None) -> Any:
    r"""Rectified linear unit with Keras 3's options.

    .. math::
        \operatorname{relu}(x) = \begin{cases}
            \text{max\_value} & x \ge \text{max\_value} \\
            x & \text{threshold} < x < \text{max\_value} \\
            \text{negative\_slope}\,(x - \text{threshold}) & x \le \text{threshold}
        \end{cases}

    Convention (PyTorch's): at ``x = threshold`` the lower branch applies, so
    ``relu'(0) = negative_slope`` (0 by default); at ``x = max_value`` the derivative is 0.

    >>> relu([-2.0, 0.0, 3.0, 8.0])
    array([0., 0., 3., 8.])
    >>> relu([-2.0, 0.0, 3.0, 8.0], negative_slope=0.1, max_value=6.0)
    array([-0.2,  0. ,  3. ,  6. ])
    """
    slope, max_value, thr = _relu_params(negative_slope, max_value, threshold)
    plain = slope == 0.0 and max_value is None and thr == 0.0
    return _apply_fast(_cores.relu, _kernels.relu_chunk if plain else None, x, slope,
                       max_value, thr, out=out)


def _relu_params(negative_slope: float, max_value: float | None,
                 threshold: float) -> tuple[float, float | None, float]:
    slope = check_finite_scalar(negative_slope, "negative_slope")
    thr = check_finite_scalar(threshold, "threshold")
    if max_value is not None:
        max_value = check_finite_scalar(max_value, "max_value")
        if max_value <= thr:
            raise ValueError(f"max_value must be > threshold ({thr}), got {max_value}")
    return slope, max_value, thr


def relu6(x: Any) -> Any:
    r"""ReLU capped at 6: ``min(max(x, 0), 6)``.

    Derivative 1 on ``(0, 6)``, 0 elsewhere and at the kinks ``x = 0`` and ``x = 6``.

    >>> relu6([-1.0, 3.0, 7.0])
    array([0., 3., 6.])
    """
    return _apply(_cores.relu6, x)


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Any:
    r"""Leaky ReLU: ``x`` for ``x > 0``, ``negative_slope * x`` otherwise.

    The default slope 0.01 is PyTorch's, JAX's and the seed notebook's (Keras uses 0.2).
    ``leaky_relu'(0) = negative_slope``.

    >>> leaky_relu([-10.0, 0.0, 10.0])
    array([-0.1,  0. , 10. ])
    """
    return _apply(_cores.leaky_relu, x, check_finite_scalar(negative_slope, "negative_slope"))


def _rrelu_bounds(lower: float, upper: float) -> tuple[float, float]:
    lo = check_finite_scalar(lower, "lower", nonnegative=True)
    hi = check_finite_scalar(upper, "upper", nonnegative=True)
    if lo > hi:
        raise ValueError(f"lower must be <= upper, got lower={lower}, upper={upper}")
    return lo, hi


def rrelu_slopes(x_shape: tuple[int, ...], lower: float, upper: float, seed: Any) -> Any:
    """Slopes drawn uniformly in ``[lower, upper]``, one per element (NumPy arrays)."""
    import numpy as np

    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    return rng.uniform(lower, upper, size=x_shape)


def rrelu(x: Any, lower: float = 1.0 / 8.0, upper: float = 1.0 / 3.0, training: bool = False,
          seed: Any = None) -> Any:
    r"""Randomized leaky ReLU (Xu et al., 2015).

    With ``training=True`` each negative element gets its own slope drawn uniformly from
    ``[lower, upper]`` (reproducible with ``seed``, an int or a ``numpy.random.Generator``);
    otherwise the slope is the mean ``(lower + upper) / 2``. (A fixed slope other than
    0.01 is not "randomized": that is a leaky ReLU with another slope.)

    >>> rrelu([-8.0, 2.0])
    array([-1.83333333,  2.        ])
    >>> bool((rrelu([-1.0] * 4, training=True, seed=0) == rrelu([-1.0] * 4, training=True,
    ...                                                           seed=0)).all())
    True
    """
    lo, hi = _rrelu_bounds(lower, upper)
    if not training:
        return _apply(_cores.leaky_relu, x, 0.5 * (lo + hi))
    xp, xc, dtype = wide_input(x, "x")
    slopes = xp.asarray(rrelu_slopes(tuple(xc.shape), lo, hi, seed), dtype=xc.dtype)
    with fp_guard(xp):
        return finish(xp, _cores.prelu(xp, xc, slopes), dtype)


def prelu_weight(xp: Any, x: Any, weight: Any) -> Any:
    """Validate ``weight`` for :func:`prelu`: real, finite, broadcastable to ``x``'s shape."""
    _, w, _ = float_input(weight, "weight", xp=xp)
    if not is_lazy(w) and not bool(xp.all(xp.isfinite(w))):  # as negative_slope
        raise ValueError("weight must be finite (a slope per element), got NaN or inf")
    w = xp.astype(w, x.dtype) if w.dtype != x.dtype else w
    try:
        shape = np.broadcast_shapes(tuple(x.shape), tuple(w.shape))
    except ValueError:
        shape = None
    if shape != tuple(x.shape):
        raise ValueError(
            f"weight of shape {tuple(w.shape)} does not broadcast to x's shape {tuple(x.shape)}"
        )
    return w


def prelu(x: Any, weight: Any) -> Any:
    r"""Parametric ReLU: ``x`` for ``x > 0``, ``weight * x`` otherwise (He et al., 2015).

    ``weight`` broadcasts against ``x`` (NumPy rules) and must not enlarge its shape.

    >>> prelu([[-1.0, 2.0], [-3.0, -4.0]], weight=[0.1, 0.5])
    array([[-0.1,  2. ],
           [-0.3, -2. ]])
    """
    xp, xc, dtype = wide_input(x, "x")
    w = prelu_weight(xp, xc, weight)
    with fp_guard(xp):
        return finish(xp, _cores.prelu(xp, xc, w), dtype)


def elu(x: Any, alpha: float = 1.0) -> Any:
    r"""Exponential linear unit (Clevert et al., 2015).

    .. math:: \operatorname{elu}(x) = \begin{cases} x & x > 0 \\
              \alpha (e^x - 1) & x \le 0 \end{cases}

    Computed with ``expm1`` (exact near 0). ``elu'(0) = alpha`` (the lower branch).

    >>> elu([-1000.0, -1.0, 0.0, 2.0])
    array([-1.        , -0.63212056,  0.        ,  2.        ])
    """
    return _apply(_cores.elu, x, check_finite_scalar(alpha, "alpha"))


def selu(x: Any) -> Any:
    r"""Scaled ELU (Klambauer et al., 2017): ``scale * elu(x, alpha)``.

    ``alpha = 1.6732632423543772…``, ``scale = 1.0507009873554804…``, the constants that
    make zero mean and unit variance a fixed point. ``selu'(0) = scale * alpha``.

    >>> selu([-1.0, 0.0, 1.0])
    array([-1.11133074,  0.        ,  1.05070099])
    """
    return _apply(_cores.selu, x)


def celu(x: Any, alpha: float = 1.0) -> Any:
    r"""Continuously differentiable ELU (Barron, 2017).

    .. math:: \operatorname{celu}(x) = \max(0, x) + \min(0, \alpha (e^{x/\alpha} - 1))

    ``alpha > 0``; the derivative is continuous, 1 at ``x = 0``.

    >>> celu([-1.0, 0.0, 1.0], alpha=2.0)
    array([-0.78693868,  0.        ,  1.        ])
    """
    return _apply(_cores.celu, x, check_finite_scalar(alpha, "alpha", positive=True))


def gelu(x: Any, approximate: bool = False, *, out: Any = None) -> Any:
    r"""Gaussian error linear unit (Hendrycks & Gimpel, 2016), exact by default.

    .. math:: \operatorname{gelu}(x) = x\,\Phi(x) = \frac{x}{2}\operatorname{erfc}(-x/\sqrt2)

    The tail ``Φ(x)`` for ``x < 0`` keeps full relative accuracy (``gelu(-30)`` is
    ``-1.47e-196``, not 0). ``approximate=True`` gives the tanh approximation
    ``x/2 (1 + tanh(√(2/π)(x + 0.044715 x³)))``.

    >>> gelu([-3.0, 0.0, 1.0])
    array([-0.00404969,  0.        ,  0.84134475])
    >>> gelu([-3.0, 0.0, 1.0], approximate=True)
    array([-0.00363739,  0.        ,  0.84119199])
    """
    approximate = bool(approximate)
    kernel = _GELU_APPROX if approximate else _GELU
    if isinstance(x, np.ndarray) and x.dtype == np.float32:
        # float32 results: the float64 formula (no long double), 18 terms of erfcx
        kernel = _GELU_APPROX32 if approximate else _kernels.gelu32_chunk
    return _apply_fast(_cores.gelu, kernel, x, approximate, out=out)


def silu(x: Any, *, out: Any = None) -> Any:
    r"""Sigmoid linear unit, also called swish: ``x σ(x)``.

    >>> silu([-1000.0, -1.0, 0.0, 1.0])
    array([-0.        , -0.26894142,  0.        ,  0.73105858])
    """
    return _apply_fast(_cores.silu, _kernels.silu_chunk, x, out=out)


swish = silu


def hard_silu(x: Any) -> Any:
    r"""Hard SiLU, also called hard swish: ``x relu6(x + 3) / 6`` (Howard et al., 2019).

    Derivative 0 for ``x <= -3``, ``(2x + 3)/6`` on ``(-3, 3)`` and 1 for ``x >= 3``: at
    the kinks the outer branch applies (0 at ``-3``, 1 at ``3``), as in PyTorch.

    >>> hard_silu([-4.0, -1.5, 0.0, 4.0])
    array([ 0.   , -0.375,  0.   ,  4.   ])
    """
    return _apply(_cores.hard_silu, x)


hard_swish = hard_silu


def mish(x: Any, *, out: Any = None) -> Any:
    r"""Mish (Misra, 2019): ``x tanh(softplus(x))``, as a rational function of ``e^{-|x|}``.

    >>> mish([-1.0, 0.0, 1.0])
    array([-0.30340146,  0.        ,  0.86509839])
    """
    return _apply_fast(_cores.mish, _MISH, x, out=out)


def softplus(x: Any, beta: float = 1.0, *, out: Any = None) -> Any:
    r"""Softplus, a smooth ReLU, exact for every input (no threshold approximation).

    .. math:: \operatorname{softplus}(x) = \frac{1}{\beta}\log(1 + e^{\beta x})
              = \max(x, 0) + \frac{1}{\beta}\log(1 + e^{-\beta|x|})

    >>> softplus([-1000.0, 0.0, 1000.0])
    array([0.00000000e+00, 6.93147181e-01, 1.00000000e+03])
    """
    beta = check_finite_scalar(beta, "beta", positive=True)
    kernel = _kernels.softplus_chunk if beta == 1.0 else _kernels.reference_chunk(
        _cores.softplus, beta)
    return _apply_fast(_cores.softplus, kernel, x, beta, out=out)


def sparse_plus(x: Any) -> Any:
    r"""Sparse plus (Keras 3, JAX): 0 for ``x <= -1``, ``(x + 1)²/4`` on ``(-1, 1)``, ``x``
    for ``x >= 1``. Continuously differentiable.

    >>> sparse_plus([-2.0, 0.0, 0.5, 2.0])
    array([0.    , 0.25  , 0.5625, 2.    ])
    """
    return _apply(_cores.sparse_plus, x)


def squareplus(x: Any, b: float = 4.0) -> Any:
    r"""Squareplus (Barron, 2021): ``(x + sqrt(x² + b)) / 2``, ``b >= 0``.

    For ``x < 0`` it is computed as ``b / (2 (sqrt(x² + b) - x))``: ``squareplus(-1e4)`` is
    ``1e-4``, where the textbook form cancels to 0.

    >>> squareplus([-1e4, 0.0, 1.0])
    array([1.e-04, 1.e+00, 1.618034e+00])
    """
    return _apply(_cores.squareplus, x, check_finite_scalar(b, "b", nonnegative=True))


def softsign(x: Any) -> Any:
    r"""Softsign: ``x / (1 + |x|)``.

    >>> softsign([-1.0, 0.0, 3.0])
    array([-0.5 ,  0.  ,  0.75])
    """
    return _apply(_cores.softsign, x)


def tanh(x: Any, *, out: Any = None) -> Any:
    r"""Hyperbolic tangent, ``2σ(2x) - 1``.

    >>> tanh([-1.0, 0.0, 1.0])
    array([-0.76159416,  0.        ,  0.76159416])
    """
    return _apply_fast(_cores.tanh, _kernels.tanh_chunk, x, out=out)


def _hard_tanh_bounds(min_val: float, max_val: float) -> tuple[float, float]:
    lo = check_finite_scalar(min_val, "min_val")
    hi = check_finite_scalar(max_val, "max_val")
    if lo >= hi:
        raise ValueError(f"min_val must be < max_val, got min_val={min_val}, max_val={max_val}")
    return lo, hi


def hard_tanh(x: Any, min_val: float = -1.0, max_val: float = 1.0) -> Any:
    r"""Hard tanh: ``x`` clipped to ``[min_val, max_val]``.

    Derivative 1 on ``(min_val, max_val)``, 0 elsewhere and at the two kinks.

    >>> hard_tanh([-2.0, 0.5, 2.0])
    array([-1. ,  0.5,  1. ])
    """
    return _apply(_cores.hard_tanh, x, *_hard_tanh_bounds(min_val, max_val))


def tanh_shrink(x: Any) -> Any:
    r"""Tanh shrink: ``x - tanh(x)``, by its Taylor series near 0 (no cancellation).

    >>> tanh_shrink([1e-6, 1.0])
    array([3.33333333e-19, 2.38405844e-01])
    """
    return _apply(_cores.tanh_shrink, x)


def hard_shrink(x: Any, threshold: float = 0.5) -> Any:
    r"""Hard shrinkage: ``x`` where ``|x| > threshold``, else 0. Derivative 0 at ``±threshold``.

    >>> hard_shrink([-1.0, 0.5, 0.7])
    array([-1. ,  0. ,  0.7])
    """
    return _apply(_cores.hard_shrink, x,
                  check_finite_scalar(threshold, "threshold", nonnegative=True))


def soft_shrink(x: Any, threshold: float = 0.5) -> Any:
    r"""Soft shrinkage: ``x - threshold`` above, ``x + threshold`` below ``-threshold``, 0
    between. Derivative 0 at ``±threshold``.

    >>> soft_shrink([-1.0, 0.2, 0.75])
    array([-0.5 ,  0.  ,  0.25])
    """
    return _apply(_cores.soft_shrink, x,
                  check_finite_scalar(threshold, "threshold", nonnegative=True))


def threshold(x: Any, threshold: float, default_value: float) -> Any:
    r"""``x`` where ``x > threshold``, else ``default_value`` (Keras 3, PyTorch).

    Derivative 1 above the threshold, 0 at and below it.

    >>> threshold([-1.0, 0.5, 2.0], threshold=0.5, default_value=-9.0)
    array([-9., -9.,  2.])
    """
    return _apply(_cores.threshold, x, check_finite_scalar(threshold, "threshold"),
                  check_finite_scalar(default_value, "default_value"))


def exponential(x: Any) -> Any:
    r"""The exponential ``e^x``. It overflows to ``inf`` for ``x > 709.78`` (float64) because
    the true value is beyond the largest float; that is the correctly rounded result, and
    no warning is raised.

    >>> exponential([0.0, 1.0])
    array([1.        , 2.71828183])
    """
    return _apply(_cores.exponential, x)


def linear(x: Any) -> Any:
    r"""The identity (Keras's ``linear``), returned as a new floating array.

    >>> linear([1, 2])
    array([1., 2.])
    """
    return _apply(_cores.linear, x)

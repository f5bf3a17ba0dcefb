"""Elementwise activation math: forward values and derivatives, written against ``xp``.

Each ``_name(xp, x, ...)`` computes in the compute dtype chosen by the dtype policy
(``x`` is already a floating array) and never raises a floating-point warning for finite
input; ``_name_grad`` is its analytic derivative. The public functions and the classes
are thin wrappers around these cores.

Conventions that recur:

* ``z = exp(-|x|)`` lies in ``(0, 1]`` and never overflows; sigmoid-like functions are
  rational in ``z``.
* Products of ``x`` with a factor that tends to 0 as ``x -> ±inf`` are formed with ``x``
  clipped to ``±SAT``: past ``SAT`` the factor is exactly 0 in every float dtype, so the
  product is the limit 0 instead of ``inf * 0 = NaN``.
* Piecewise functions are written so that a NaN input falls into a branch that carries
  ``x`` (comparisons with NaN are false), so NaN propagates.
"""

from __future__ import annotations

import contextlib
import functools
import math
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from .._array import erfcx_nonneg, is_numpy, out_of_range
from . import _dd as dd

#: beyond this magnitude every saturating factor (σ(x) for x < -SAT, e^{-x²}, ...) is 0
SAT = 1.0e4

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_TANH_C = 0.044715
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


# -- extended precision for float64 ------------------------------------------------------
#: NumPy's long double where it is wider than float64 (the x87 format of x86-64 Linux:
#: a 64-bit significand, 11 bits more than float64, and a far wider exponent range);
#: ``None`` where it is float64 itself (Windows, macOS on arm64)
LD: Any = np.longdouble if np.finfo(np.longdouble).nmant >= 63 else None

def is_ld(x: Any) -> bool:
    """Whether ``x`` is a NumPy long double array (wider than float64)."""
    return LD is not None and isinstance(x, (np.ndarray, np.generic)) and x.dtype == LD


#: the constants at long double precision (the float ones are float64 roundings)
_LD_CONST = {} if LD is None else {
    "SELU_ALPHA": LD("1.6732632423543772848170429916717"),
    "SELU_SCALE": LD("1.0507009873554804934193349852946"),
    "SQRT_2_OVER_PI": LD("0.79788456080286535587989211986876373695"),
    "INV_SQRT_2": LD("0.70710678118654752440084436210484903928"),
    "INV_SQRT_2PI": LD("0.39894228040143267793994605993438186848"),
    "TWO_OVER_SQRT_PI": LD("1.1283791670955125738961589031215451717"),
}


def _roots_ld() -> dict[str, tuple[Any, Any, tuple[Any, ...]]]:
    from ._roots import ROOTS

    return {name: (LD(hi), LD(lo), tuple(LD(c) for c in coefs))
            for name, (hi, lo, coefs) in ROOTS.items()}


_ROOTS_LD = {} if LD is None else _roots_ld()


def near_root(xp: Any, x: Any, g: Any, name: str) -> Any:
    """The derivative ``g`` of activation ``name``, replaced within ``WINDOW`` of its root
    ``r`` by its Taylor series in ``d = x - r`` (long double input only).

    There ``g`` is a difference of two nearly equal terms and loses ``1/|d|`` of its
    relative accuracy, long double or not; ``d`` is exact (``x - r_hi`` by Sterbenz's
    lemma, then ``- r_lo``) and the series has no cancellation. Coefficients from
    ``tools/fit_roots.py`` (mpmath).
    """
    if not is_ld(x):
        return g
    from ._roots import WINDOW

    r_hi, r_lo, coefs = _ROOTS_LD[name]
    d = (x - r_hi) - r_lo
    acc = coefs[-1] * d
    for c in reversed(coefs[:-1]):
        acc = (acc + c) * d
    return np.where(np.abs(d) < WINDOW, acc, g)


def _const(x: Any, name: str, value: float) -> Any:
    """``value``, or the long double constant ``name`` when ``x`` is long double."""
    if is_ld(x):
        return _LD_CONST[name]
    return value


class _Narrow(threading.local):
    on = False


#: set while float64 carries a float32 or float16 input (``for_result``): long double
#: buys nothing there, the float64 formula is ~10^7 times more accurate than the result
_narrow = _Narrow()


class for_result:  # a context manager, named like the function it acts as
    """``with for_result(dtype):`` around a core call whose float64 input stands for a
    float32 or float16 result, so that ``extended`` cores skip long double."""

    __slots__ = ("_set",)

    def __init__(self, dtype: Any) -> None:
        self._set = isinstance(dtype, np.dtype) and dtype in _NARROW

    def __enter__(self) -> None:
        if self._set:
            _narrow.on = True

    def __exit__(self, *exc: object) -> None:
        if self._set:
            _narrow.on = False


_NARROW = (np.dtype(np.float32), np.dtype(np.float16))


def extended(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Evaluate the core ``fn`` in long double for NumPy float64 input and round once.

    The stable float64 formulas still round several times, and some cancel (a derivative
    near its root, ``x - tanh x``) or pass through a subnormal intermediate (``x σ(x)`` at
    ``x = -740``); in long double the same formula errs by ~2^-11 of a float64 ulp per
    step and no float64 subnormal is subnormal there, so the rounded result is within
    about 0.5 ulp plus that. Where long double is float64 (``LD is None``), for other
    array libraries, and inside ``for_result(float32)`` the float64 formula runs as it is.
    """
    @functools.wraps(fn)
    def wrapper(xp: Any, x: Any, *args: Any) -> Any:
        if LD is not None and is_numpy(xp) and x.dtype == np.float64 and not _narrow.on:
            y = fn(xp, x.astype(LD), *args)
            with np.errstate(over="ignore", under="ignore"):  # beyond float64: ±inf, 0
                return np.asarray(y).astype(np.float64)
        return fn(xp, x, *args)

    return wrapper


def keep_nan(xp: Any, x: Any, y: Any) -> Any:
    """``y`` with NaN wherever ``x`` is NaN (for derivatives of piecewise functions)."""
    return xp.where(xp.isnan(x), x, y)


def _fmax(xp: Any, x: Any) -> Any:
    if is_ld(x):
        return np.finfo(LD).max  # beyond a Python float's range
    return float(xp.finfo(x.dtype).max)


def full(xp: Any, x: Any, value: float) -> Any:
    """An array of ``value`` with the shape and dtype of ``x``."""
    return xp.full_like(x, value)


def _lower_branch(xp: Any, slope: float, v: Any) -> Any:
    """``slope * v`` for the lower branch of a rectifier; exactly ``+0.0`` when the slope is
    0 (so that ``0 * -inf`` is the limit 0, not NaN, and ``relu(-2)`` is ``+0.0``)."""
    if slope == 0.0:
        return 0.0
    with out_of_range(xp):  # |slope v| beyond the largest float: ±inf is the rounding
        return slope * v


# -- sigmoid family --------------------------------------------------------------------
def sigmoid(xp: Any, x: Any) -> Any:
    if x.dtype == xp.float64 and not _narrow.on:
        q, q_lo = _sigmoid_dd(xp, x)  # float64: the quotient refined, exp's error alone
        return q + q_lo
    z = xp.exp(-xp.abs(x))  # z = e^{-|x|} in (0, 1]
    # σ(x) = 1/(1+z) for x >= 0 and z/(1+z) for x < 0: no overflow, no cancellation
    return xp.where(x < 0, z, 1.0) / (1.0 + z)


def sigmoid_grad(xp: Any, x: Any) -> Any:
    z = xp.exp(-xp.abs(x))
    # σ'(x) = σ(x)σ(-x) = z/(1+z)², even in x; no 1-σ cancellation for large x
    return z / ((1.0 + z) * (1.0 + z))


def log_sigmoid(xp: Any, x: Any) -> Any:
    # log σ(x) = -softplus(-x) = min(x, 0) - log1p(e^{-|x|})
    return xp.minimum(x, 0.0) - xp.log1p(xp.exp(-xp.abs(x)))


def log_sigmoid_grad(xp: Any, x: Any) -> Any:
    return sigmoid(xp, -x)  # d/dx log σ(x) = 1 - σ(x) = σ(-x)


def hard_sigmoid(xp: Any, x: Any) -> Any:
    return xp.clip(x + 3.0, 0.0, 6.0) / 6.0  # relu6(x + 3) / 6


def hard_sigmoid_grad(xp: Any, x: Any) -> Any:
    inside = (x > -3.0) & (x < 3.0)
    return keep_nan(xp, x, xp.where(inside, 1.0 / 6.0, full(xp, x, 0.0)))


def sparse_sigmoid(xp: Any, x: Any) -> Any:
    return xp.clip(0.5 * x + 0.5, 0.0, 1.0)  # (x + 1)/2 clipped to [0, 1]


def sparse_sigmoid_grad(xp: Any, x: Any) -> Any:
    inside = (x > -1.0) & (x < 1.0)
    return keep_nan(xp, x, xp.where(inside, 0.5, full(xp, x, 0.0)))


# -- rectifiers ------------------------------------------------------------------------
def relu(xp: Any, x: Any, negative_slope: float = 0.0, max_value: float | None = None,
         threshold: float = 0.0) -> Any:
    # x <= threshold: negative_slope * (x - threshold); NaN falls through to x
    if threshold and negative_slope:
        below = _shifted_branch(xp, x, negative_slope, threshold)
    else:
        below = _lower_branch(xp, negative_slope, x)
    y = xp.where(x <= threshold, below, x)
    if max_value is not None:
        y = xp.where(x >= max_value, max_value, y)
    return y


def _shifted_branch(xp: Any, x: Any, slope: float, threshold: float) -> Any:
    """``slope * (x - threshold)``, rounded twice at most.

    ``x - threshold`` is exact near the threshold (Sterbenz), where ``s x - s t`` would
    cancel (``x = 1e16 - 2, t = 1e16, s = 0.1`` gave -0.125 for -0.2) or be ``inf - inf``;
    only where the difference itself is beyond the float range (``|x|`` and ``|t|`` near
    the largest float, opposite signs) is it ``s x - s t``, which then cannot cancel.
    """
    with out_of_range(xp):
        d = x - threshold
        below = slope * d
        far = xp.isinf(d) & xp.isfinite(x)  # no data-dependent branch: lazy arrays stay lazy
        with np.errstate(invalid="ignore") if is_numpy(xp) else contextlib.nullcontext():
            wide = slope * x - slope * threshold  # inf - inf only where it is not taken
        return xp.where(far, wide, below)


def relu_grad(xp: Any, x: Any, negative_slope: float = 0.0, max_value: float | None = None,
              threshold: float = 0.0) -> Any:
    g = xp.where(x <= threshold, negative_slope, full(xp, x, 1.0))
    if max_value is not None:
        g = xp.where(x >= max_value, 0.0, g)
    return keep_nan(xp, x, g)


def leaky_relu(xp: Any, x: Any, negative_slope: float) -> Any:
    return xp.where(x <= 0, _lower_branch(xp, negative_slope, x), x)


def leaky_relu_grad(xp: Any, x: Any, negative_slope: float) -> Any:
    return relu_grad(xp, x, negative_slope)


def prelu(xp: Any, x: Any, weight: Any) -> Any:
    if isinstance(weight, float):
        return leaky_relu(xp, x, weight)
    m = _fmax(xp, x)
    # the clip keeps weight 0 times -inf at its limit 0
    with out_of_range(xp):
        return xp.where(x > 0, x, weight * xp.where(weight == 0, xp.clip(x, -m, m), x))


def prelu_grad(xp: Any, x: Any, weight: Any) -> Any:
    if isinstance(weight, float):
        return leaky_relu_grad(xp, x, weight)
    return keep_nan(xp, x, xp.where(x > 0, 1.0, weight + full(xp, x, 0.0)))


def relu6(xp: Any, x: Any) -> Any:
    return xp.clip(x, 0.0, 6.0)


def hard_tanh(xp: Any, x: Any, min_val: float, max_val: float) -> Any:
    return xp.clip(x, min_val, max_val)


def relu6_grad(xp: Any, x: Any) -> Any:
    return hard_tanh_grad(xp, x, 0.0, 6.0)


def hard_tanh_grad(xp: Any, x: Any, min_val: float, max_val: float) -> Any:
    inside = (x > min_val) & (x < max_val)
    return keep_nan(xp, x, xp.where(inside, 1.0, full(xp, x, 0.0)))


# -- exponential linear units ----------------------------------------------------------
def elu(xp: Any, x: Any, alpha: float) -> Any:
    # expm1 of min(x, 0): exact near 0 and never overflows on the discarded branch
    return xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0.0)))


def elu_grad(xp: Any, x: Any, alpha: float) -> Any:
    return xp.where(x > 0, 1.0, alpha * xp.exp(xp.minimum(x, 0.0)))


def selu(xp: Any, x: Any) -> Any:
    scale, alpha = _const(x, "SELU_SCALE", SELU_SCALE), _const(x, "SELU_ALPHA", SELU_ALPHA)
    with out_of_range(xp):  # scale * x > max float for x > 1.71e308: inf is correct
        return xp.where(x > 0, scale * x, (scale * alpha) * xp.expm1(xp.minimum(x, 0.0)))


def selu_grad(xp: Any, x: Any) -> Any:
    scale, alpha = _const(x, "SELU_SCALE", SELU_SCALE), _const(x, "SELU_ALPHA", SELU_ALPHA)
    return xp.where(x > 0, scale, (scale * alpha) * xp.exp(xp.minimum(x, 0.0)))


def _celu_arg(xp: Any, x: Any, alpha: float) -> Any:
    # min(x, 0)/alpha, clipped at -SAT first: e^{t} - 1 is -1 below t = -40 anyway, and
    # -1e308/alpha would overflow for alpha < 1
    return xp.clip(x, -SAT * alpha, 0.0) / alpha


def celu(xp: Any, x: Any, alpha: float) -> Any:
    return xp.where(x > 0, x, alpha * xp.expm1(_celu_arg(xp, x, alpha)))


def celu_grad(xp: Any, x: Any, alpha: float) -> Any:
    return xp.where(x > 0, 1.0, xp.exp(_celu_arg(xp, x, alpha)))


# -- smooth rectifiers -----------------------------------------------------------------
def _exp_neg_half_square(xp: Any, a: Any, prefactor: Any = 1.0) -> Any:
    """``prefactor * exp(-a²/2)`` for ``0 <= a <= 40``, with ``a²`` split exactly as
    ``hi + lo``.

    Rounding ``a²`` first would cost ``|a²/2|`` ulps of relative error in the tail
    (≈ 700 ulp at a = 37); Veltkamp's split makes ``hi`` exact and ``lo`` tiny. The
    (subnormal-prone) factor ``exp(-hi/2)`` is multiplied last, so that a product whose
    value is a subnormal is rounded once, not flushed to 0 through a tinier intermediate.
    """
    # Veltkamp's constant 2^k + 1 for half the significand: float64, long double, float32
    c = (134217729.0 if a.dtype == xp.float64 else
         4294967297.0 if is_ld(a) else 4097.0)
    t = c * a
    a_hi = t - (t - a)  # Veltkamp split: a = a_hi + a_lo, a_hi with half the bits
    a_lo = a - a_hi
    hi = a_hi * a_hi  # exact
    lo = (2.0 * a_hi + a_lo) * a_lo  # a² - hi, exact up to one rounding of a tiny term
    return (prefactor * xp.exp(-0.5 * lo)) * xp.exp(-0.5 * hi)


def _phi_tail(xp: Any, a: Any, prefactor: Any = 1.0) -> Any:
    """``prefactor * Φ(-a)``, ``Φ(-a) = erfc(a/√2)/2`` for ``a >= 0``, with full relative
    accuracy in the tail."""
    from .._special import erfcx

    ac = xp.minimum(a, 40.0)  # Φ(-40) < 2^-1074: the tail is 0 beyond
    s = ac * _const(ac, "INV_SQRT_2", _INV_SQRT_2)
    if is_ld(s):
        # erfcx is float64: evaluate it at s rounded to float64 and step to the long
        # double s with erfcx'(s) = 2 s erfcx(s) - 2/√π (the step is below 2^-52 s)
        s64 = s.astype(np.float64)
        r64 = erfcx(s64)
        r = r64 + (2.0 * s * r64 - _LD_CONST["TWO_OVER_SQRT_PI"]) * (s - s64)
    elif is_numpy(xp):
        r = erfcx(s)
    else:  # other namespaces (Dask lazily): the same series from standard operations
        r = erfcx_nonneg(xp, s)
    # erfc(s) = e^{-s²} erfcx(s) with s = a/√2, so e^{-s²} = e^{-a²/2}
    return _exp_neg_half_square(xp, ac, prefactor * (0.5 * r))


def _float64_or_wider(xp: Any, x: Any) -> Any:
    if is_ld(x) or x.dtype == xp.float64:
        return x
    return xp.astype(x, xp.float64)


def _phi_series(xp: Any, x: Any) -> Any:
    """``Φ(x)`` for ``|x| <= 3`` (clipped there), for long double input: ``(1 + erf(x/√2))/2``
    with ``erf(z) = 2/√π e^{-z²} Σ z (2z²)^n / (2n+1)!!``, a series of terms of one sign
    (no cancellation), to 2^-70 after 64 terms at ``|z| = 3/√2``."""
    z = xp.clip(x, -3.0, 3.0) * _const(x, "INV_SQRT_2", _INV_SQRT_2)
    w = 2.0 * z * z
    term = z
    acc = z
    for n in range(1, 64):
        term = term * w / (2.0 * n + 1.0)
        acc = acc + term
    erf = _const(x, "TWO_OVER_SQRT_PI", 2.0 / math.sqrt(math.pi)) * xp.exp(-z * z) * acc
    return 0.5 + 0.5 * erf


def gelu_tanh(xp: Any, x: Any) -> Any:
    xc = xp.clip(x, -SAT, SAT)
    u = _const(xc, "SQRT_2_OVER_PI", _SQRT_2_OVER_PI) * (xc + _GELU_TANH_C * xc * xc * xc)
    # (1 + tanh u)/2 = σ(2u); σ(2u) is 0 below -SAT, so x is clipped there (-inf * 0)
    return xp.maximum(x, -SAT) * sigmoid(xp, 2.0 * u)


#: the float64 formula itself, for float32 results (``gelu_tanh`` becomes ``extended``)
gelu_tanh_plain = gelu_tanh


def gelu(xp: Any, x: Any, approximate: bool | None) -> Any:
    if approximate:
        return gelu_tanh(xp, x)
    if is_numpy(xp) and x.dtype == np.float64 and not _narrow.on and approximate is not None:
        from ._gelu64 import gelu as gelu64

        return gelu64(x)  # double-double throughout: within 1 ulp
    xf = _float64_or_wider(xp, x)
    # xq = x Φ(-|x|), formed as one product (gelu(-38.53) is -1.5e-323, where x times an
    # already underflowed Φ(-38.53) would be -0); x is clipped so that ±inf * 0 is 0
    xq = _phi_tail(xp, xp.abs(xf), prefactor=xp.clip(xf, -SAT, SAT))
    y = xp.where(xf < 0, xq, xf - xq)  # x Φ(x) = x - x Φ(-x) for x >= 0
    return y if y.dtype == x.dtype else xp.astype(y, x.dtype)


def gelu_grad(xp: Any, x: Any, approximate: bool) -> Any:
    xc = xp.clip(x, -SAT, SAT)
    if approximate:
        c = _const(xc, "SQRT_2_OVER_PI", _SQRT_2_OVER_PI)
        u = c * (xc + _GELU_TANH_C * xc * xc * xc)
        du = c * (1.0 + 3.0 * _GELU_TANH_C * xc * xc)
        g = sigmoid(xp, 2.0 * u) + xc * sigmoid_grad(xp, 2.0 * u) * 2.0 * du
        return near_root(xp, xc, g, "gelu_tanh")
    xf = _float64_or_wider(xp, xc)
    a = xp.abs(xf)
    q = _phi_tail(xp, a)  # Φ(-|x|)
    pdf = _const(xf, "INV_SQRT_2PI", _INV_SQRT_2PI) * _exp_neg_half_square(
        xp, xp.minimum(a, 40.0))  # φ(x)
    cdf = xp.where(xf < 0, q, 1.0 - q)  # Φ(x)
    if is_ld(xf):  # near the root of Φ + xφ, Φ to long double
        cdf = xp.where(a < 3.0, _phi_series(xp, xf), cdf)
    g = near_root(xp, xf, cdf + xf * pdf, "gelu")  # d/dx x Φ(x) = Φ(x) + x φ(x)
    g = keep_nan(xp, xf, g)
    return g if g.dtype == x.dtype else xp.astype(g, x.dtype)


def silu(xp: Any, x: Any) -> Any:
    xc = xp.maximum(x, -SAT)  # σ(x) is 0 below -SAT, so x σ(x) -> 0, not -inf * 0
    if x.dtype != xp.float64:
        return xc * sigmoid(xp, xc)
    # float64: x (q + q_lo) with σ(x) = q + q_lo to double-double, rounded once; below
    # TAIL, x e^x from a scaled exponential (e^x is subnormal there)
    q, q_lo = _sigmoid_dd(xp, xc)
    return _deep_negative(xp, x, _times_dd(xp, xc, q, q_lo))


#: below this float64 input, x σ(x) and x tanh(softplus(x)) pass through a subnormal σ
TAIL = -700.0


def _deep_negative(xp: Any, x: Any, y: Any) -> Any:
    """``y`` (``silu`` or ``mish`` of float64 ``x``) with ``x e^x`` below ``TAIL``, from a
    scaled exponential: there ``e^x`` is subnormal and both functions are ``x e^x`` to
    ``e^{-700}`` relative. NumPy arrays are patched only where such elements exist."""
    if is_numpy(xp):
        tail = x < TAIL
        if not tail.any():
            return y
        xt = xp.maximum(x[tail], -SAT)
        y = np.array(y, copy=True)
        y[tail] = dd.exp_times(xp, xt, xt)
        return y
    xc = xp.clip(x, -SAT, TAIL)
    return xp.where(x < TAIL, dd.exp_times(xp, xc, xc), y)


def _sigmoid_dd(xp: Any, x: Any) -> tuple[Any, Any]:
    """``σ(x) = n/(1 + z)`` (``z = e^{-|x|}``, ``n = z`` for ``x < 0``, else 1) as a
    double-double: ``1 + z`` is split exactly and the quotient refined once, so its only
    error is ``exp``'s (for ``x >= 0`` damped by ``z/(1+z)``)."""
    z = xp.exp(-xp.abs(x))
    n = xp.where(x < 0, z, 1.0)
    a, a_lo = dd.fast_two_sum(1.0, z)
    return dd.div_dd(n, 0.0, a, a_lo)


def _times_dd(xp: Any, x: Any, q: Any, q_lo: Any) -> Any:
    """``x (q + q_lo)`` rounded once, ``q + q_lo`` in ``[0, 1]``; ``x`` beyond ``±1e300``
    (where the split would overflow, and ``q`` is exactly 0 or 1) enters as ``±1e300``
    the error terms only."""
    xm = xp.clip(x, -1e300, 1e300)
    _, e = dd.two_prod(xm, q)
    # the product has the sign of x (q >= 0); copysign keeps it for a zero (x = -0.0)
    return xp.copysign(x * q + (e + xm * q_lo), x)


def silu_grad(xp: Any, x: Any) -> Any:
    xc = xp.clip(x, -SAT, SAT)
    return near_root(xp, xc, sigmoid(xp, xc) + xc * sigmoid_grad(xp, xc), "silu")  # σ + x σ'


def hard_silu(xp: Any, x: Any) -> Any:
    xc = xp.clip(x, -3.0, 3.0)
    # x relu6(x+3)/6: 0 below -3, x above 3, x(x+3)/6 between (NaN falls through to x)
    return xp.where(x <= -3.0, 0.0, xp.where(x >= 3.0, x, xc * (xc + 3.0) / 6.0))


def hard_silu_grad(xp: Any, x: Any) -> Any:
    xc = xp.clip(x, -3.0, 3.0)
    # at the kinks x = ±3 the outer branch applies (0 and 1), as in PyTorch
    return xp.where(x <= -3.0, 0.0, xp.where(x >= 3.0, 1.0, (2.0 * xc + 3.0) / 6.0))


def _mish_parts(xp: Any, x: Any) -> tuple[Any, Any]:
    """``tanh(softplus(x))`` and ``sech²(softplus(x))`` as rational functions of e^{-|x|}."""
    n = xp.exp(-xp.abs(x))
    pos = x > 0
    # with w = (1 + e^x)²: tanh(sp) = (w - 1)/(w + 1), sech²(sp) = 4w/(w + 1)²
    # x > 0, n = e^{-x}: tanh = (1 + 2n)/(1 + 2n + 2n²), sech² = 4n²(1+n)²/((1+n)² + n²)²
    # x <= 0, e = e^{x}: tanh = e(e + 2)/(e(e + 2) + 2), sech² = 4(1+e)²/((1+e)² + 1)²
    n2 = n * (n + 2.0)
    t = xp.where(pos, (1.0 + 2.0 * n) / (1.0 + 2.0 * n + 2.0 * n * n), n2 / (n2 + 2.0))
    p1 = (1.0 + n) * (1.0 + n)
    d_pos = (p1 + n * n)
    d_neg = (p1 + 1.0)
    s = xp.where(pos, 4.0 * (n * n) * p1 / (d_pos * d_pos), 4.0 * p1 / (d_neg * d_neg))
    return t, s


def mish(xp: Any, x: Any) -> Any:
    xc = xp.maximum(x, -SAT)  # x tanh(softplus(x)) -> 0 below -SAT, not -inf * 0
    if x.dtype != xp.float64:
        t, _ = _mish_parts(xp, x)
        return xc * t
    # float64: tanh(softplus(x)) = A/(A + B) with, for n = e^{-|x|},
    # x > 0: A = 1 + 2n, B = 2n²; x <= 0: A = 2n + n², B = 2 (the rational forms of
    # _mish_parts), each part a double-double, the quotient too, x times it rounded once
    n = xp.exp(-xp.abs(x))
    m, m_lo = dd.two_prod(n, n)  # n²
    pos = x > 0
    ap, ap_lo = dd.two_sum(1.0, 2.0 * n)
    an, an_lo = dd.two_sum(2.0 * n, m)
    a_hi = xp.where(pos, ap, an)
    a_lo = xp.where(pos, ap_lo, an_lo + m_lo)
    b_hi = xp.where(pos, 2.0 * m, 2.0)
    b_lo = xp.where(pos, 2.0 * m_lo, 0.0)
    d_hi, d_lo = dd.add(a_hi, a_lo, b_hi, b_lo)
    q, q_lo = dd.div_dd(a_hi, a_lo, d_hi, d_lo)
    return _deep_negative(xp, x, _times_dd(xp, xc, q, q_lo))


def mish_grad(xp: Any, x: Any) -> Any:
    xc = xp.clip(x, -SAT, SAT)
    t, s = _mish_parts(xp, xc)
    # d/dx x tanh(sp(x)) = tanh(sp) + x sech²(sp) σ(x)
    return near_root(xp, xc, t + xc * s * sigmoid(xp, xc), "mish")


def softplus(xp: Any, x: Any, beta: float) -> Any:
    bx = beta * (xp.clip(x, -SAT / beta, SAT / beta) if beta > 1.0 else x)
    # log(1 + e^{t}) = max(t, 0) + log1p(e^{-|t|})
    core = xp.log1p(xp.exp(-xp.abs(bx)))
    if beta == 1.0:
        return xp.maximum(x, 0.0) + core
    return xp.maximum(x, 0.0) + core / beta


def softplus_grad(xp: Any, x: Any, beta: float) -> Any:
    bx = beta * (xp.clip(x, -SAT / beta, SAT / beta) if beta > 1.0 else x)
    return sigmoid(xp, bx)


def sparse_plus(xp: Any, x: Any) -> Any:
    xc = xp.clip(x, -1.0, 1.0)
    return xp.where(x <= -1.0, 0.0, xp.where(x >= 1.0, x, (xc + 1.0) * (xc + 1.0) / 4.0))


def sparse_plus_grad(xp: Any, x: Any) -> Any:
    xc = xp.clip(x, -1.0, 1.0)
    return xp.where(x <= -1.0, 0.0, xp.where(x >= 1.0, 1.0, (xc + 1.0) / 2.0))


def squareplus(xp: Any, x: Any, b: float) -> Any:
    if b == 0.0:
        return xp.maximum(x, 0.0)  # (x + |x|)/2
    h = xp.hypot(x, math.sqrt(b))  # sqrt(x² + b) without overflow
    a = xp.abs(x)
    # x < 0: (x + h)/2 = b / (2 (h - x)) avoids the cancellation of x + h
    neg = (0.25 * b) / (0.5 * h + 0.5 * a)
    return xp.where(x < 0, neg, 0.5 * xp.maximum(x, 0.0) + 0.5 * h)


def squareplus_grad(xp: Any, x: Any, b: float) -> Any:
    if b == 0.0:
        return keep_nan(xp, x, xp.where(x > 0, 1.0, full(xp, x, 0.0)))
    m = _fmax(xp, x)
    xc = xp.clip(x, -m, m)
    h = xp.hypot(xc, math.sqrt(b))
    a = xp.abs(xc)
    # (1 + x/h)/2; for x < 0, 1 + x/h = b/(h (h - x)), free of cancellation
    neg = (0.25 * b) / h / (0.5 * h + 0.5 * a)
    return xp.where(xc < 0, neg, 0.5 + 0.5 * (xc / h))


# -- bounded odd functions -------------------------------------------------------------
def softsign(xp: Any, x: Any) -> Any:
    a = xp.abs(x)
    lo = xp.minimum(a, 1.0)
    hi = xp.maximum(a, 1.0)
    # |x|/(1+|x|) as 1/(1 + 1/|x|) above 1, so that |x| = inf gives 1, not inf/inf
    r = xp.where(a > 1.0, 1.0 / (1.0 + 1.0 / hi), lo / (1.0 + lo))
    return xp.where(x < 0, -r, xp.where(x > 0, r, x))


def softsign_grad(xp: Any, x: Any) -> Any:
    r = 1.0 / (1.0 + xp.abs(x))
    return r * r  # 1/(1+|x|)², squared after the division: no overflow


def tanh(xp: Any, x: Any) -> Any:
    return xp.tanh(x)


def tanh_grad(xp: Any, x: Any) -> Any:
    z = xp.exp(-2.0 * xp.minimum(xp.abs(x), SAT))
    # sech²(x) = 4z/(1+z)² with z = e^{-2|x|}: no 1 - tanh² cancellation for large |x|
    return 4.0 * z / ((1.0 + z) * (1.0 + z))


# Taylor coefficients of x - tanh(x) = sum_k c_k x^(2k+1), k >= 1, from the Bernoulli
# numbers: tanh x = sum_n 2^{2n}(2^{2n}-1) B_{2n} x^{2n-1}/(2n)!  (tests recompute them)
_TANHSHRINK_SERIES = (
    1.0 / 3.0,
    -2.0 / 15.0,
    17.0 / 315.0,
    -62.0 / 2835.0,
    1382.0 / 155925.0,
    -21844.0 / 6081075.0,
    929569.0 / 638512875.0,
    -6404582.0 / 10854718875.0,
    443861162.0 / 1856156927625.0,
    -18888466084.0 / 194896477400625.0,
    113927491862.0 / 2900518163668125.0,
    -58870668456604.0 / 3698160658676859375.0,
    8374643517010684.0 / 1298054391195577640625.0,
    -689005380505609448.0 / 263505041412702261046875.0,
)
_TANHSHRINK_SMALL = 0.5


def tanh_shrink(xp: Any, x: Any) -> Any:
    # x - tanh x cancels near 0: there use the series x³/3 - 2x⁵/15 + ... (Horner in x²);
    # in long double the difference loses 3/x² of 2^11 spare bits: direct from 1/8
    small = 0.125 if is_ld(x) else _TANHSHRINK_SMALL
    xs = xp.clip(x, -small, small)
    x2 = xs * xs
    acc = _TANHSHRINK_SERIES[-1] + 0.0 * x2
    for c in reversed(_TANHSHRINK_SERIES[:-1]):
        acc = acc * x2 + c
    series = acc * x2 * xs
    return xp.where(xp.abs(x) < small, series, x - xp.tanh(x))


def tanh_shrink_grad(xp: Any, x: Any) -> Any:
    t = xp.tanh(x)
    return t * t  # 1 - sech²(x) = tanh²(x)


# -- shrinkage and thresholds ----------------------------------------------------------
def hard_shrink(xp: Any, x: Any, threshold: float) -> Any:
    return xp.where(xp.abs(x) <= threshold, 0.0, x)


def shrink_grad(xp: Any, x: Any, threshold: float) -> Any:
    return keep_nan(xp, x, xp.where(xp.abs(x) <= threshold, 0.0, full(xp, x, 1.0)))


def soft_shrink(xp: Any, x: Any, threshold: float) -> Any:
    return x - xp.clip(x, -threshold, threshold)  # x ∓ λ outside [-λ, λ], 0 inside


def threshold(xp: Any, x: Any, threshold: float, default_value: float) -> Any:
    return xp.where(x <= threshold, default_value, x)


def threshold_grad(xp: Any, x: Any, threshold: float, default_value: float) -> Any:
    return keep_nan(xp, x, xp.where(x <= threshold, 0.0, full(xp, x, 1.0)))


def exponential(xp: Any, x: Any) -> Any:
    with out_of_range(xp):  # e^x > max float for x > 709.78 (float64): inf is correct
        return xp.exp(x)


def exponential_vjp(xp: Any, x: Any, g: Any) -> Any:
    # g e^x = (g e^{x/2}) e^{x/2}: finite whenever the product is, though e^x alone
    # overflows past x = 709.78
    h = exponential(xp, 0.5 * x)
    # a zero upstream gradient gives 0 even where e^x is beyond the float range (there
    # g e^x is 0 times a finite number, not 0 * inf)
    h = xp.where(g == 0, xp.zeros_like(h), h)
    with out_of_range(xp):
        return (g * h) * h


def linear(xp: Any, x: Any) -> Any:
    return x * 1.0  # a new array: same values (-0.0 and NaN included) and dtype


def linear_grad(xp: Any, x: Any) -> Any:
    return keep_nan(xp, x, xp.ones_like(x))


# long double for float64 input (see ``extended``): every derivative that is not exact, and
# the forward values whose float64 formula rounds too often or cancels
for _name in (
    "sigmoid_grad", "log_sigmoid_grad", "elu_grad", "selu", "selu_grad", "celu_grad",
    "gelu_grad", "silu_grad", "mish_grad", "softplus_grad", "squareplus_grad",
    "softsign_grad", "tanh_grad", "tanh_shrink", "tanh_shrink_grad", "hard_silu_grad",
    "gelu_tanh", "squareplus",
):
    globals()[_name] = extended(globals()[_name])
del _name

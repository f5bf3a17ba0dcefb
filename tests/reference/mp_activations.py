"""High-precision reference values for ``nnmath.activations``, written from the definitions.

Every function takes an ``mpmath.mpf`` (plus the activation's parameters as Python
floats) and returns an ``mpf``; the ``d_*`` functions are the analytic first derivatives,
with the kink conventions of the nnmath contract (PyTorch's: relu'(0) = 0,
leaky_relu'(0) = slope, hard_tanh' = 0 at its ends, ...). Nothing here imports nnmath.

The formulas are the textbook ones. Where a textbook formula cancels (``x - tanh x`` near
0, ``x + sqrt(x^2 + b)`` for very negative x) :func:`evaluate` raises the working
precision with the magnitude of the argument, so the naive formula stays exact to far more
than the 16 digits a float64 needs; a few tails also use ``log1p`` / ``expm1`` /
``sigmoid(-x)`` forms so the reference does not depend on that.

>>> float(evaluate(sigmoid, 0.0))
0.5
>>> round(float(evaluate(tanh_shrink, 1e-8) / mpf("1e-24")), 12)  # x**3 / 3 near 0
0.333333333333
>>> [float(v) for v in sparsemax_exact([0.0, 0.5, 1.0])]
[0.0, 0.25, 0.75]
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
from mpmath import mp, mpf

__all__ = [
    "SELU_ALPHA",
    "SELU_SCALE",
    "evaluate",
    "glu_mp",
    "log_softmax_mp",
    "softmax_mp",
    "sparsemax_exact",
]

#: Working precision (decimal digits) for a well-scaled argument.
BASE_DPS = 50

SELU_ALPHA = "1.6732632423543772848170429916717"
SELU_SCALE = "1.0507009873554804934193349852946"
GELU_K = "0.044715"


def _dps_for(x: float) -> int:
    """Digits needed so that cancellation at tiny |x| (x - tanh x ~ x^3/3) cannot reach
    the result. (mpmath's functions are accurate for huge arguments by themselves, and the
    formulas below avoid cancellation at large |x|.)"""
    if x == 0 or not math.isfinite(x) or abs(x) >= 1:
        return BASE_DPS
    return BASE_DPS + 2 * math.ceil(-math.log10(abs(x))) + 10


def evaluate(fn, x: float, *args, **params):
    """``fn(mpf(x), *args, **params)`` at a working precision suited to ``x``."""
    with mp.workdps(_dps_for(float(x))):
        r = fn(mpf(float(x)), *args, **params)
        return +r  # round to the working precision before leaving it


# ----------------------------------------------------------------------------- sigmoids
def sigmoid(x):
    return 1 / (1 + mp.exp(-x))


def d_sigmoid(x):
    # s(x) * (1 - s(x)) written as s(x) * s(-x): no cancellation for large x
    return sigmoid(x) * sigmoid(-x)


def hard_sigmoid(x):
    return min(max(x + 3, mpf(0)), mpf(6)) / 6


def d_hard_sigmoid(x):
    return mpf(1) / 6 if -3 < x < 3 else mpf(0)


def sparse_sigmoid(x):
    if x <= -1:
        return mpf(0)
    if x >= 1:
        return mpf(1)
    return (x + 1) / 2


def d_sparse_sigmoid(x):
    return mpf(1) / 2 if -1 < x < 1 else mpf(0)


def log_sigmoid(x):
    return -mp.log1p(mp.exp(-x))


def d_log_sigmoid(x):
    return sigmoid(-x)


# ------------------------------------------------------------------------- relu family
def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    if max_value is not None and x >= max_value:
        return mpf(max_value)
    if x > threshold:
        return x
    return mpf(negative_slope) * (x - mpf(threshold))


def d_relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    if max_value is not None and x >= max_value:
        return mpf(0)
    if x > threshold:
        return mpf(1)
    return mpf(negative_slope)


def relu6(x):
    return min(max(x, mpf(0)), mpf(6))


def d_relu6(x):
    return mpf(1) if 0 < x < 6 else mpf(0)


def leaky_relu(x, negative_slope=0.01):
    return x if x > 0 else mpf(negative_slope) * x


def d_leaky_relu(x, negative_slope=0.01):
    return mpf(1) if x > 0 else mpf(negative_slope)


def rrelu(x, lower=1 / 8, upper=1 / 3):
    """Evaluation mode (training=False): the slope is the mean of the bounds."""
    return leaky_relu(x, (mpf(lower) + mpf(upper)) / 2)


def d_rrelu(x, lower=1 / 8, upper=1 / 3):
    return d_leaky_relu(x, (mpf(lower) + mpf(upper)) / 2)


def prelu(x, weight=0.25):
    return leaky_relu(x, weight)


def d_prelu(x, weight=0.25):
    return d_leaky_relu(x, weight)


# -------------------------------------------------------------------------- elu family
def elu(x, alpha=1.0):
    return x if x > 0 else mpf(alpha) * mp.expm1(x)


def d_elu(x, alpha=1.0):
    return mpf(1) if x > 0 else mpf(alpha) * mp.exp(x)


def selu(x):
    return mpf(SELU_SCALE) * elu(x, mpf(SELU_ALPHA))


def d_selu(x):
    return mpf(SELU_SCALE) * d_elu(x, mpf(SELU_ALPHA))


def celu(x, alpha=1.0):
    a = mpf(alpha)
    return max(mpf(0), x) + min(mpf(0), a * mp.expm1(x / a))


def d_celu(x, alpha=1.0):
    return mpf(1) if x > 0 else mp.exp(x / mpf(alpha))


# --------------------------------------------------------------------- gated / smooth
def _erfc(z):
    """erfc, with the asymptotic series where mpmath's own erfc overflows (z > 1e3)."""
    if z > 1000:
        z2 = z * z
        series = 1 - 1 / (2 * z2) + mpf(3) / (4 * z2**2) - mpf(15) / (8 * z2**3)
        return mp.exp(-z2) / (z * mp.sqrt(mp.pi)) * series
    if z < -1000:
        return 2 - _erfc(-z)
    return mp.erfc(z)


def _Phi(x):
    return _erfc(-x / mp.sqrt(2)) / 2


def _phi(x):
    return mp.exp(-x * x / 2) / mp.sqrt(2 * mp.pi)


def gelu(x):
    return x * _Phi(x)


def d_gelu(x):
    return _Phi(x) + x * _phi(x)


def scale_d_gelu(x):
    """Size of the terms of gelu' (it crosses 0 near x = -0.75)."""
    return abs(_Phi(x)) + abs(x * _phi(x))


def _gelu_u(x):
    return mp.sqrt(2 / mp.pi) * (x + mpf(GELU_K) * x**3)


def _gelu_du(x):
    return mp.sqrt(2 / mp.pi) * (1 + 3 * mpf(GELU_K) * x**2)


def gelu_tanh(x):
    # 0.5 x (1 + tanh u) == x * sigmoid(2u): the same function without cancellation
    return x * sigmoid(2 * _gelu_u(x))


def d_gelu_tanh(x):
    u = _gelu_u(x)
    return sigmoid(2 * u) + 2 * x * sigmoid(2 * u) * sigmoid(-2 * u) * _gelu_du(x)


def scale_d_gelu_tanh(x):
    u = _gelu_u(x)
    return abs(sigmoid(2 * u)) + abs(2 * x * sigmoid(2 * u) * sigmoid(-2 * u) * _gelu_du(x))


def silu(x):
    return x * sigmoid(x)


def d_silu(x):
    return sigmoid(x) * (1 + x * sigmoid(-x))


def scale_d_silu(x):
    """Size of the terms of silu' (it crosses 0 near x = -1.28)."""
    return abs(sigmoid(x)) + abs(x * sigmoid(x) * sigmoid(-x))


def hard_silu(x):
    return x * min(max(x + 3, mpf(0)), mpf(6)) / 6


def d_hard_silu(x):
    if x <= -3:
        return mpf(0)
    if x < 3:
        return (2 * x + 3) / 6
    return mpf(1)


def _softplus1(x):
    return mp.log1p(mp.exp(x))


def mish(x):
    return x * mp.tanh(_softplus1(x))


def d_mish(x):
    sp = _softplus1(x)
    return mp.tanh(sp) + x * mp.sech(sp) ** 2 * sigmoid(x)


def scale_d_mish(x):
    """Size of the terms of mish' (it crosses 0 near x = -1.19)."""
    sp = _softplus1(x)
    return abs(mp.tanh(sp)) + abs(x * mp.sech(sp) ** 2 * sigmoid(x))


def softplus(x, beta=1.0):
    b = mpf(beta)
    return mp.log1p(mp.exp(b * x)) / b


def d_softplus(x, beta=1.0):
    return sigmoid(mpf(beta) * x)


def sparse_plus(x):
    if x <= -1:
        return mpf(0)
    if x >= 1:
        return x
    return (x + 1) ** 2 / 4


def d_sparse_plus(x):
    if x <= -1:
        return mpf(0)
    if x >= 1:
        return mpf(1)
    return (x + 1) / 2


def squareplus(x, b=4.0):
    b = mpf(b)
    r = mp.sqrt(x * x + b)
    if x < 0:
        return b / (2 * (r - x))  # (x + r) / 2 rationalised
    return (x + r) / 2


def d_squareplus(x, b=4.0):
    b = mpf(b)
    r = mp.sqrt(x * x + b)
    if x < 0:
        return b / (2 * r * (r - x))  # (1 + x / r) / 2 rationalised
    return (1 + x / r) / 2


def softsign(x):
    return x / (1 + abs(x))


def d_softsign(x):
    return 1 / (1 + abs(x)) ** 2


def tanh(x):
    return mp.tanh(x)


def d_tanh(x):
    return mp.sech(x) ** 2


def hard_tanh(x, min_val=-1.0, max_val=1.0):
    return min(max(x, mpf(min_val)), mpf(max_val))


def d_hard_tanh(x, min_val=-1.0, max_val=1.0):
    return mpf(1) if min_val < x < max_val else mpf(0)


def tanh_shrink(x):
    return x - mp.tanh(x)


def d_tanh_shrink(x):
    return mp.tanh(x) ** 2


def hard_shrink(x, threshold=0.5):
    return x if abs(x) > threshold else mpf(0)


def d_hard_shrink(x, threshold=0.5):
    return mpf(1) if abs(x) > threshold else mpf(0)


def soft_shrink(x, threshold=0.5):
    if x > threshold:
        return x - mpf(threshold)
    if x < -threshold:
        return x + mpf(threshold)
    return mpf(0)


def d_soft_shrink(x, threshold=0.5):
    return d_hard_shrink(x, threshold)


def threshold(x, threshold, default_value):
    return x if x > threshold else mpf(default_value)


def d_threshold(x, threshold, default_value):
    return mpf(1) if x > threshold else mpf(0)


def exponential(x):
    return mp.exp(x)


def d_exponential(x):
    return mp.exp(x)


def linear(x):
    return x


def d_linear(x):
    return mpf(1)


# ------------------------------------------------------------------ axis activations
def softmax_mp(row):
    """Softmax of a sequence of floats, as a list of mpf (exact to the working precision)."""
    with mp.workdps(BASE_DPS):
        z = [mpf(float(v)) for v in row]
        m = max(z)
        e = [mp.exp(v - m) for v in z]
        s = mp.fsum(e)
        return [+(v / s) for v in e]


def log_softmax_mp(row):
    with mp.workdps(BASE_DPS):
        z = [mpf(float(v)) for v in row]
        m = max(z)
        lse = m + mp.log(mp.fsum(mp.exp(v - m) for v in z))
        return [+(v - lse) for v in z]


def glu_mp(a, b):
    """a * sigmoid(b) elementwise, as mpf."""
    with mp.workdps(BASE_DPS):
        return [+(mpf(float(u)) * sigmoid(mpf(float(v)))) for u, v in zip(a, b, strict=True)]


def sparsemax_exact(row):
    """Euclidean projection of ``row`` onto the probability simplex, in exact rationals.

    The floats are converted exactly to Fractions; the sorted-threshold algorithm
    (Held et al.; Martins & Astudillo 2016) then gives the exact projection:
    with z sorted decreasingly, k = max{k : 1 + k z_(k) > z_(1) + ... + z_(k)},
    tau = (z_(1) + ... + z_(k) - 1) / k, p = max(z - tau, 0).
    Returns a list of Fractions.
    """
    z = [Fraction(float(v)) for v in row]
    tau = sparsemax_tau(z)
    return [max(v - tau, Fraction(0)) for v in z]


def sparsemax_tau(z):
    """The threshold tau of the simplex projection of the Fractions ``z``."""
    zs = sorted(z, reverse=True)
    cum = Fraction(0)
    k_best, cum_best = 1, zs[0]
    for k, v in enumerate(zs, start=1):
        cum += v
        if 1 + k * v > cum:
            k_best, cum_best = k, cum
    return (cum_best - 1) / k_best


def sparsemax_bisect(row, iters=200):
    """The same projection by bisection on tau in mpmath (an independent cross-check)."""
    with mp.workdps(BASE_DPS):
        z = [mpf(float(v)) for v in row]
        lo, hi = max(z) - 1, max(z)  # sum(max(z - tau, 0)) is >= 1 at lo and 0 at hi
        for _ in range(iters):
            mid = (lo + hi) / 2
            if mp.fsum(max(v - mid, 0) for v in z) >= 1:
                lo = mid
            else:
                hi = mid
        tau = (lo + hi) / 2
        return [max(v - tau, mpf(0)) for v in z]


def mp_diff(fn, x: float, *args, **params):
    """Numerical derivative of ``fn`` at ``x`` with mpmath (used to check the ``d_*``)."""
    with mp.workdps(_dps_for(float(x)) + 20):
        return +mpmath.diff(lambda t: fn(t, *args, **params), mpf(float(x)))


# ------------------------------------------------------- second derivatives (conditioning)
def d2_gelu(x):
    """gelu''(x) = phi(x) (2 - x^2); sizes the error a float formula inherits from x."""
    return _phi(x) * (2 - x * x)


def d2_gelu_tanh(x):
    w = 2 * _gelu_u(x)
    dw = 2 * _gelu_du(x)
    d2w = 2 * mp.sqrt(2 / mp.pi) * 6 * mpf(GELU_K) * x
    s, t = sigmoid(w), sigmoid(-w)
    return s * t * dw * (2 + x * (t - s) * dw) + x * s * t * d2w


def mp_erfcx(x: float | mpf) -> mpf:
    """erfcx(x) = exp(x²) erfc(x) at the working precision; from x = 100 on, the asymptotic
    series sum_n (-1)^n (2n - 1)!! / (2x²)^n (24 terms: remainder below 1e-60 relative),
    since exp(x²) erfc(x) would need thousands of digits to cancel."""
    x = mpf(x)
    if x >= 100:
        t = 1 / (2 * x * x)
        total = term = mpf(1)
        for n in range(1, 25):
            term *= -(2 * n - 1) * t
            total += term
        return total / (x * mpmath.sqrt(mp.pi))
    return mpmath.exp(x * x) * mpmath.erfc(x)

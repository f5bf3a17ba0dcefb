"""The exact GELU ``x Φ(x)`` for float64 NumPy arrays, to within 1 ulp.

In plain float64, ``Φ(-a) = erfcx(a/√2) e^{-a²/2} / 2`` carries the errors of ``erfcx``
(up to 1.6 ulp), of NumPy's ``exp`` (0.64 ulp) and of half a dozen roundings: up to 4 ulp
of ``gelu``. Here every step is a double-double (``_dd``):

* ``s = a/√2`` from the double-double ``1/√2``;
* ``erfcx(s)``: the Chebyshev series of ``_special`` (Reinsch's recurrence) in float64 for
  the part beyond ``a_0`` (a fifth of the sum at most), added to ``a_0`` exactly, then
  ``f/(1 + 2s)`` refined once, and the step to ``s``'s low part by
  ``erfcx'(s) = 2s erfcx(s) - 2/√π``;
* ``e^{-s²}``: ``-s²`` split exactly, ``e^t = 2^k e^r`` with ``r = t - k ln 2`` exact
  (Cody and Waite's two-part ``ln 2``) and ``e^r = 1 + r + p(r)``, ``p`` a Taylor
  polynomial whose float64 error is scaled by ``|p| <= 0.065``;
* the products, and ``x - x Φ(-x)`` for ``x >= 0``, in double-double; ``2^k`` applied last,
  so that a subnormal result is rounded there and nowhere before.

The result is rounded once (twice, within one ulp, where it is subnormal): measured
against mpmath, at most 0.8 ulp (``tests/test_accuracy_targets.py``, docs/ACCURACY.md).
About twice the float64 work of the plain formula.
"""

from __future__ import annotations

import numpy as np

from .._special import _CHEB, _CHEB_A0_HI, _CHEB_A0_LO, _K
from . import _dd as dd

_INV_SQRT2_HI = 0.7071067811865476
_INV_SQRT2_LO = -4.833646656726457e-17
_TWO_OVER_SQRT_PI = 1.1283791670955126
_LN2_HI = 0.6931471803691238  # 0x3fe62e42fee00000: k * _LN2_HI is exact for |k| < 2^20
_LN2_LO = 1.9082149292705877e-10
_INV_LN2 = 1.4426950408889634
#: 1/j! for j = 2 ... 14: e^r - 1 - r for |r| <= ln(2)/2 to below 2^-64 relative
_EXP_TAYLOR = tuple(1.0 / np.prod(np.arange(1.0, j + 1.0)) for j in range(2, 15))
#: beyond this |x|, Φ(-|x|) < 2^-1074 / 40: the tail is 0 (and below -SAT, gelu is -0.0)
_A_MAX = 40.0


def _exp_dd(t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``e^t = (hi + lo) 2^k`` for ``-900 <= t <= 0``; ``hi`` in [0.7, 1.42)."""
    k = np.rint(t * _INV_LN2)
    # t - k ln 2 = r + r_lo: the first difference is exact (Sterbenz; k * _LN2_HI has at
    # most 43 bits), the second part is up to 2^-22 and is folded in exactly
    r, r_lo = dd.two_sum(t - k * _LN2_HI, -k * _LN2_LO)
    p = _EXP_TAYLOR[-1] + 0.0 * r
    for c in reversed(_EXP_TAYLOR[:-1]):
        p = p * r + c
    p = p * (r * r)  # e^r - 1 - r
    hi, lo = dd.fast_two_sum(1.0, r)
    # e^{r + r_lo} = e^r (1 + r_lo) with e^r = 1 + r + p
    lo = lo + (p + r_lo * ((1.0 + r) + p))
    hi, lo = dd.fast_two_sum(hi, lo)
    return hi, lo, k


def _erfcx_dd(s: np.ndarray, s_lo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``erfcx(s + s_lo)`` as a double-double, for ``0 <= s <= 40``."""
    left = s <= _K
    sigma = np.where(left, -1.0, 1.0)
    den, den_lo = dd.two_sum(s, _K)
    t, t_lo = dd.div_dd(np.where(left, 2.0 * s, -2.0 * _K), 0.0, den, den_lo)  # y - sigma
    two_t = 2.0 * t
    # the recurrence in float64: d_k = a_k + 2t b_(k+1) + sigma d_(k+1),
    # b_k = d_k + sigma b_(k+1); t b_1 + sigma d_1 is below 0.18 of f = a_0 + t b_1 +
    # sigma d_1, so its float64 errors count for a fifth; the sum with a_0 is exact
    b = np.full_like(t, _CHEB[-1])
    d = b.copy()
    for coef in _CHEB[-2::-1]:
        d = coef + two_t * b + sigma * d
        b = d + sigma * b
    m, m_lo = dd.two_prod(t, b)
    m_lo = m_lo + t_lo * b
    f, f_lo = dd.add(m, m_lo, sigma * d, 0.0)
    f, f_lo = dd.add(_CHEB_A0_HI, _CHEB_A0_LO, f, f_lo)
    # erfcx(s) = f / (1 + 2s), then the step to s + s_lo
    w, w_lo = dd.two_sum(2.0 * s, 1.0)
    e, e_lo = dd.div_dd(f, f_lo, w, w_lo)
    e_lo = e_lo + (2.0 * s * e - _TWO_OVER_SQRT_PI) * s_lo
    return dd.fast_two_sum(e, e_lo)


def gelu(x: np.ndarray) -> np.ndarray:
    """``x Φ(x)`` for a float64 NumPy array (any shape), within 1 ulp."""
    x = np.asarray(x, dtype=np.float64)
    finite = np.isfinite(x)
    xf = np.where(finite, x, 0.0)
    a = np.minimum(np.abs(xf), _A_MAX)
    s, s_lo = dd.two_prod(a, _INV_SQRT2_HI)
    s_lo = s_lo + a * _INV_SQRT2_LO
    s, s_lo = dd.fast_two_sum(s, s_lo)
    e, e_lo = _erfcx_dd(s, s_lo)
    # e^{-s²}: s² = q + q_lo exactly enough (2 s s_lo is far below q's ulp)
    q, q_lo = dd.two_prod(s, s)
    q_lo = q_lo + 2.0 * s * s_lo
    g, g_lo, k = _exp_dd(-q)
    g_lo = g_lo - g * q_lo  # e^{-q_lo} = 1 - q_lo to 2^-100
    # Φ(-a) = erfcx(s) e^{-s²} / 2 = (p + p_lo) 2^k
    p, p_lo = dd.mul(e, e_lo, 0.5 * g, 0.5 * g_lo)
    ki = k.astype(np.int64)
    neg = xf < 0
    # x >= 0: x Φ(x) = x (1 - Φ(-x)); Φ(-x) <= 1/2, so 2^k scales without underflow there
    pk = np.ldexp(p, np.where(neg, 0, ki))
    pk_lo = np.ldexp(p_lo, np.where(neg, 0, ki))
    c, c_lo = dd.two_sum(1.0, -pk)
    c_lo = c_lo - pk_lo
    f = np.where(neg, p, c)
    f_lo = np.where(neg, p_lo, c_lo)
    xm = np.clip(xf, -1e300, 1e300)  # where the split would overflow, f is 0 or 1
    _, y_lo = dd.two_prod(xm, f)
    y = xf * f + (y_lo + xm * f_lo)
    with np.errstate(under="ignore"):  # a subnormal (or 0) result is the right one here
        y = np.ldexp(y, np.where(neg, ki, 0))
    # gelu(±0) = +0.0 (as x - x Φ(-x) gives it); below -40 the result is below 2^-1100:
    # -0.0, as for -inf
    y = np.where(xf == 0.0, 0.0, np.where(xf <= -_A_MAX, -0.0, y))
    return np.where(finite, y, np.where(x > 0, x, np.where(x < 0, -0.0, x)))

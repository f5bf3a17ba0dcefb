"""Error-free transformations and double-double steps for the float64 cores.

A float64 formula of k roundings errs by up to about k/2 ulps; the accuracy targets allow 2
(see docs/ACCURACY.md). Where a formula needs more roundings than that, or cancels, its
algebraic part is carried as a double-double ``hi + lo`` (two floats whose sum holds about
106 bits) and rounded once at the end. These are the classical steps (Dekker 1971,
Knuth's TwoSum), written against ``xp`` with plain operations; NumPy has no fused
multiply-add, so products are split with Veltkamp's constant.

All functions take float64 arrays (or Python floats) and return arrays; none of them
overflows for the magnitudes the cores pass (below 2^500 in products).
"""

from __future__ import annotations

from typing import Any

_SPLITTER = 134217729.0  # 2^27 + 1

#: 64 ln 2 = _LN2X64_HI + _LN2X64_LO, HI a multiple of 2^-43 (so x + HI is exact for
#: -1024 <= x <= -256), LO its remainder (mpmath, 50 digits)
_LN2X64_HI = 44.36141955583639
_LN2X64_LO = 1.0806560032487666e-13
_TWO_M64 = 2.0 ** -64


def two_sum(a: Any, b: Any) -> tuple[Any, Any]:
    """``s + e = a + b`` exactly, ``s = fl(a + b)`` (Knuth; no condition on the sizes)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def fast_two_sum(a: Any, b: Any) -> tuple[Any, Any]:
    """``s + e = a + b`` exactly for ``|a| >= |b|`` (Dekker)."""
    s = a + b
    return s, b - (s - a)


def _splitter(a: Any) -> float:
    # float32 arrays (other array libraries compute in float32): 2^12 + 1
    return 4097.0 if "float32" in str(getattr(a, "dtype", "")) else _SPLITTER


def split(a: Any) -> tuple[Any, Any]:
    """``a = hi + lo`` with ``hi`` and ``lo`` of half the significant bits each
    (Veltkamp)."""
    t = _splitter(a) * a
    hi = t - (t - a)
    return hi, a - hi


def two_prod(a: Any, b: Any) -> tuple[Any, Any]:
    """``p + e = a b`` exactly, ``p = fl(a b)`` (Dekker), barring underflow of ``e``."""
    p = a * b
    ah, al = split(a)
    bh, bl = split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def square(hi: Any, lo: Any) -> tuple[Any, Any]:
    """``(hi + lo)²`` as a double-double (``|lo| <= ulp(hi)``)."""
    p, e = two_prod(hi, hi)
    return fast_two_sum(p, e + 2.0 * hi * lo)


def mul(ahi: Any, alo: Any, bhi: Any, blo: Any) -> tuple[Any, Any]:
    """``(ahi + alo)(bhi + blo)`` as a double-double."""
    p, e = two_prod(ahi, bhi)
    return fast_two_sum(p, e + (ahi * blo + alo * bhi))


def add(ahi: Any, alo: Any, bhi: Any, blo: Any) -> tuple[Any, Any]:
    """``(ahi + alo) + (bhi + blo)`` as a double-double."""
    s, e = two_sum(ahi, bhi)
    return fast_two_sum(s, e + (alo + blo))


def div_dd(nhi: Any, nlo: Any, dhi: Any, dlo: Any) -> tuple[Any, Any]:
    """``(nhi + nlo) / (dhi + dlo)`` as a double-double ``q + r`` (``|r| <= ulp(q)``)."""
    q = nhi / dhi
    p, e = two_prod(q, dhi)
    return q, ((((nhi - p) - e) + nlo) - q * dlo) / dhi


def div(nhi: Any, nlo: Any, dhi: Any, dlo: Any) -> Any:
    """``(nhi + nlo) / (dhi + dlo)`` rounded to float64 (within about 0.5 ulp + 2^-100).

    One Newton step on the quotient: ``q = nhi/dhi``, then the residual ``n - q d`` is
    formed exactly (``two_prod``) and ``q + residual/dhi`` rounded once: the sum of
    :func:`div_dd`'s two parts.
    """
    q, r = div_dd(nhi, nlo, dhi, dlo)
    return q + r


def exp_times(xp: Any, x: Any, f: Any) -> Any:
    """``f e^x`` for ``x <= -256``, where ``e^x`` alone would be subnormal or nearly so and
    lose bits before the product.

    ``e^x = e^{x + 64 ln 2} 2^-64``: ``x + HI`` is exact (``HI`` a multiple of ``x``'s
    ulp), the ``LO`` part enters as the factor ``1 + LO``, and the product is scaled back by
    ``2^-64`` last, so a subnormal result is rounded once. About ``exp``'s error plus
    half an ulp. ``x`` below -1000 gives 0 (the true value is below 2^-1400).
    """
    t = xp.clip(x, -1000.0, -256.0) + _LN2X64_HI
    e = xp.exp(t)
    p, pe = two_prod(f, e)
    # copysign: a result that underflows to zero keeps the sign of the factor
    return xp.copysign((p + (pe + p * _LN2X64_LO)) * _TWO_M64, f)

"""Elementwise chunk functions: ``fn(xs, os)`` reads ``xs`` before its first write to ``os``
(which may be ``xs`` itself), in the compute dtype."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._engine import SAT, Chunk, _scratch


def _sigmoid_into(xs: np.ndarray, os: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    # the reference's where(x < 0, z, 1) / (1 + z) with z = e^{-|x|}, without the where:
    # the numerator is max(z, [x >= 0]) = 1 for x >= 0 (z <= 1) and z for x < 0 (NaN: NaN)
    np.abs(xs, out=b)
    np.negative(b, out=b)
    np.exp(b, out=b)  # z
    np.greater_equal(xs, 0.0, out=a)
    np.maximum(b, a, out=a)
    np.add(b, 1.0, out=b)
    np.divide(a, b, out=os)


def sigmoid_chunk(xs: np.ndarray, os: np.ndarray) -> None:
    a, b = _scratch(xs.dtype, 2, xs.size)
    _sigmoid_into(xs, os, a, b)


def tanh_chunk(xs: np.ndarray, os: np.ndarray) -> None:
    np.tanh(xs, out=os)


def relu_chunk(xs: np.ndarray, os: np.ndarray) -> None:
    # where(x <= 0, 0, x): max(x, 0) keeps NaN; + 0.0 turns a -0.0 into the reference's +0.0
    np.maximum(xs, 0.0, out=os)
    np.add(os, 0.0, out=os)


def silu_chunk(xs: np.ndarray, os: np.ndarray) -> None:
    a, b, c = _scratch(xs.dtype, 3, xs.size)
    np.maximum(xs, -SAT, out=c)  # σ(x) is 0 below -SAT: x σ(x) -> 0, not -inf * 0
    _sigmoid_into(c, a, a, b)
    np.multiply(c, a, out=os)


def _log1p_exp_neg_abs(xs: np.ndarray, a: np.ndarray) -> None:
    np.abs(xs, out=a)
    np.negative(a, out=a)
    np.exp(a, out=a)
    np.log1p(a, out=a)  # log1p(e^{-|x|}) in (0, log 2]


def softplus_chunk(xs: np.ndarray, os: np.ndarray) -> None:
    (a,) = _scratch(xs.dtype, 1, xs.size)
    _log1p_exp_neg_abs(xs, a)
    np.maximum(xs, 0.0, out=os)  # log(1 + e^x) = max(x, 0) + log1p(e^{-|x|})
    np.add(os, a, out=os)


def log_sigmoid_chunk(xs: np.ndarray, os: np.ndarray) -> None:
    (a,) = _scratch(xs.dtype, 1, xs.size)
    _log1p_exp_neg_abs(xs, a)
    np.minimum(xs, 0.0, out=os)  # log σ(x) = min(x, 0) - log1p(e^{-|x|})
    np.subtract(os, a, out=os)


def mish_chunk(xs: np.ndarray, os: np.ndarray) -> None:
    # the reference's tanh(softplus(x)) = where(x > 0, (1 + 2n)/(1 + 2n + 2n²), n2/(n2 + 2)),
    # n = e^{-|x|}, n2 = n (n + 2), with the where done exactly: both branches lie in
    # [0, 1], so t_pos m + t_neg (1 - m) with m in {0, 1} is one branch plus an exact 0
    n, b, c, d, m = _scratch(xs.dtype, 5, xs.size)
    np.greater(xs, 0.0, out=m)  # m = [x > 0] as 0.0 / 1.0 (NaN: 0, the NaN branch)
    np.abs(xs, out=n)
    np.negative(n, out=n)
    np.exp(n, out=n)
    np.multiply(n, 2.0, out=b)  # 2n
    np.add(b, 1.0, out=c)  # 1 + 2n
    np.multiply(b, n, out=b)  # 2n·n
    np.add(c, b, out=b)  # 1 + 2n + 2n²
    np.divide(c, b, out=c)  # t_pos
    np.multiply(c, m, out=c)
    np.add(n, 2.0, out=b)
    np.multiply(n, b, out=b)  # n2 = n (n + 2)
    np.add(b, 2.0, out=d)
    np.divide(b, d, out=b)  # t_neg
    np.subtract(1.0, m, out=m)
    np.multiply(b, m, out=b)
    np.add(c, b, out=c)  # t
    np.maximum(xs, -SAT, out=os)  # x tanh(softplus(x)) -> 0 below -SAT, not -inf * 0
    np.multiply(os, c, out=os)


#: the piece of a chunk that ``reference_chunk`` hands to a core at once
SUB = 8192


def reference_chunk(core: Callable[..., Any], *params: Any) -> Chunk:
    """A chunk function that evaluates the reference ``core(np, xs, *params)`` on each chunk.

    For elementwise cores this is the reference result exactly (each element is computed
    by the same ufuncs); the gain is the schedule (cache-sized temporaries, threads).
    """
    def fn(xs: np.ndarray, os: np.ndarray) -> None:
        # in pieces of SUB elements: the core's temporaries (64 kB) stay below the 128 kB
        # from which malloc maps fresh pages for each one (measured: 3-4x faster than
        # pieces of 65,536, and faster than smaller pieces, whose ufunc calls cost more)
        for s in range(0, xs.size, SUB):
            np.copyto(os[s:s + SUB], core(np, xs[s:s + SUB], *params))

    # dozens of ufunc calls on 64 kB pieces: the interpreter's share of the work is large,
    # so threads would mostly wait for the GIL (measured: 1.3-1.8x slower on 2 threads)
    fn.serial = True  # type: ignore[attr-defined]
    return fn


# -- exact GELU for float32 results ----------------------------------------------------------

def _gelu_erfcx_coefs() -> tuple[float, tuple[float, ...]]:
    from .._special import _CHEB, _CHEB_A0_HI, _K

    # (1 + 2s) erfcx(s) = sum_k a_k T_k((s - K)/(s + K)); the terms past a_17 add up to
    # 3.3e-13 relative, far below float32's half ulp (3e-8), so 18 terms are summed
    return _K, (_CHEB_A0_HI, *_CHEB[:17])


_GELU_K, _GELU_CHEB = _gelu_erfcx_coefs()


def gelu32_chunk(xs: np.ndarray, os: np.ndarray) -> None:
    """Exact GELU ``x Φ(x)`` for float32 results, computed in float64 to ~1e-12 relative.

    The reference computes ``Φ(-|x|) = erfcx(|x|/√2) e^{-x²/2} / 2`` in float64 with the
    full 30-term series and rounds once to float32; here the series is cut at 18 terms
    and summed by plain Clenshaw, which changes the float64 value by ~1e-12 relative, so
    the float32 result is the reference's or one ulp next to it (at a rounding tie).
    """
    n = xs.size
    xf, a, y2, b1, b2, tmp, d = _scratch(np.float64, 7, n)
    np.copyto(xf, xs)
    np.abs(xf, out=a)
    np.minimum(a, 40.0, out=a)  # Φ(-40) < 2^-1074: the tail is 0 beyond (NaN stays NaN)
    np.multiply(a, 0.7071067811865476, out=d)  # s = |x|/√2
    np.subtract(d, _GELU_K, out=y2)
    np.add(d, _GELU_K, out=b1)
    np.divide(y2, b1, out=y2)
    np.multiply(y2, 2.0, out=y2)  # 2y, y = (s - K)/(s + K) in [-1, 1)
    np.multiply(d, 2.0, out=d)
    np.add(d, 1.0, out=d)  # 1 + 2s
    b1.fill(_GELU_CHEB[-1])
    b2.fill(0.0)
    for c in _GELU_CHEB[-2:0:-1]:  # Clenshaw: b_k = a_k + 2y b_(k+1) - b_(k+2)
        np.multiply(y2, b1, out=tmp)
        np.subtract(tmp, b2, out=tmp)
        np.add(tmp, c, out=tmp)
        b2, b1, tmp = b1, tmp, b2
    np.multiply(y2, b1, out=tmp)
    np.multiply(tmp, 0.5, out=tmp)  # y b_1
    np.subtract(tmp, b2, out=tmp)
    np.add(tmp, _GELU_CHEB[0], out=tmp)  # f = a_0 + y b_1 - b_2 = (1 + 2s) erfcx(s)
    np.divide(tmp, d, out=tmp)  # erfcx(s)
    np.multiply(a, a, out=a)
    np.multiply(a, -0.5, out=a)
    np.exp(a, out=a)  # e^{-x²/2} = e^{-s²}
    np.multiply(tmp, a, out=tmp)
    np.multiply(tmp, 0.5, out=tmp)  # q = Φ(-|x|)
    # Φ(x) = q for x < 0 and 1 - q for x >= 0: q + m (1 - 2q), m = [x >= 0], exact for m = 0
    np.greater_equal(xf, 0.0, out=d)
    np.multiply(tmp, -2.0, out=a)
    np.add(a, 1.0, out=a)
    np.multiply(a, d, out=a)
    np.add(a, tmp, out=a)
    # x Φ(x) with x clipped at -SAT (-inf Φ(-inf) -> 0, not NaN) and -0.0 made +0.0 as
    # the reference's x - x q gives it
    np.maximum(xf, -SAT, out=xf)
    np.add(xf, 0.0, out=xf)
    np.multiply(xf, a, out=xf)
    np.copyto(os, xf, casting="same_kind")

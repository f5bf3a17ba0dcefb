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


# -- float64 with double-double steps (bit for bit the compensated reference cores) ----------

_SPLITTER = 134217729.0  # 2^27 + 1 (Veltkamp)
#: below this input silu and mish are x e^x from a scaled exponential (``_cores.TAIL``)
TAIL = -700.0


def _split_into(v: np.ndarray, hi: np.ndarray, lo: np.ndarray) -> None:
    """``v = hi + lo``, halves of 26 bits (``_dd.split``)."""
    np.multiply(v, _SPLITTER, out=hi)
    np.subtract(hi, v, out=lo)
    np.subtract(hi, lo, out=hi)
    np.subtract(v, hi, out=lo)


def _prod_err_into(a: np.ndarray, b: np.ndarray, p: np.ndarray, err: np.ndarray,
                   t: list[np.ndarray]) -> None:
    """``err = a b - p`` exactly for ``p = fl(a b)`` (``_dd.two_prod``), with the scratch
    buffers ``t`` (4); ``a`` and ``b`` are left as they were."""
    ah, al, bh, bl = t
    _split_into(a, ah, al)
    _split_into(b, bh, bl)
    # ((ah bh - p) + ah bl + al bh) + al bl, in the reference's order
    np.multiply(ah, bh, out=err)
    np.subtract(err, p, out=err)
    np.multiply(ah, bl, out=ah)
    np.add(err, ah, out=err)
    np.multiply(al, bh, out=bh)
    np.add(err, bh, out=err)
    np.multiply(al, bl, out=al)
    np.add(err, al, out=err)


def _sigmoid_dd_into(xs: np.ndarray, q: np.ndarray, r: np.ndarray,
                     t: list[np.ndarray]) -> None:
    """``σ(x) = q + r`` (``_cores._sigmoid_dd``), with the scratch buffers ``t`` (8)."""
    z, a, al, p = t[4:8]
    np.abs(xs, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)  # z = e^{-|x|}
    np.greater_equal(xs, 0.0, out=r)
    np.maximum(z, r, out=r)  # n = where(x < 0, z, 1): max(z, [x >= 0])
    np.add(z, 1.0, out=a)  # a = 1 + z, a_lo = z - (a - 1)
    np.subtract(a, 1.0, out=al)
    np.subtract(z, al, out=al)
    _div_dd_into(r, 0.0, a, al, q, r, p, z, t[:4])  # n / (a + a_lo)


def _div_dd_into(nh: np.ndarray, nl: np.ndarray | float, dh: np.ndarray, dl: np.ndarray,
                 q: np.ndarray, r: np.ndarray, p: np.ndarray, err: np.ndarray,
                 t: list[np.ndarray]) -> None:
    """``q + r = (nh + nl) / (dh + dl)`` (``_dd.div_dd``): ``q = nh/dh``, then
    ``r = ((((nh - p) - err) + nl) - q dl) / dh`` with ``p + err = q dh`` exactly. ``r``
    may be ``nh``; ``p``, ``err`` and ``t`` (4) are scratch."""
    np.divide(nh, dh, out=q)
    np.multiply(q, dh, out=p)
    _prod_err_into(q, dh, p, err, t)
    np.subtract(nh, p, out=r)
    np.subtract(r, err, out=r)
    np.add(r, nl, out=r)
    np.multiply(q, dl, out=p)
    np.subtract(r, p, out=r)
    np.divide(r, dh, out=r)


def sigmoid64_chunk(xs: np.ndarray, os: np.ndarray) -> None:
    """float64 sigmoid to double-double before one rounding: ``_cores.sigmoid`` bit for
    bit, in place (about 30 passes over a chunk instead of 7)."""
    n = xs.size
    q, r, *t = _scratch(np.float64, 10, n)
    _sigmoid_dd_into(xs, q, r, t)
    np.add(q, r, out=os)


def _deep_tail(xs: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The positions of ``xs < TAIL`` and their inputs clipped at ``-SAT``, read before the
    chunk is overwritten; ``None`` when there are none (``_cores._deep_negative``)."""
    # fmin: a NaN does not hide the tail (and an empty chunk has no minimum)
    if not xs.size or not np.fmin.reduce(xs, axis=None) < TAIL:
        return None
    tail = np.flatnonzero(xs < TAIL)
    return tail, np.maximum(xs[tail], -SAT)


def _times_dd_into(c: np.ndarray, q: np.ndarray, r: np.ndarray, xm: np.ndarray,
                   t: list[np.ndarray], os: np.ndarray,
                   tail: tuple[np.ndarray, np.ndarray] | None) -> None:
    """``os = x (q + r)`` rounded once, with the sign of ``x = c`` (``_cores._times_dd``),
    then ``x e^x`` at the ``tail`` positions; ``q``, ``r``, ``xm`` and ``t`` (6) are
    scratch."""
    from ..activations import _dd

    # x q + (err(xm q) + xm r), xm = clip(x, ±1e300)
    np.clip(c, -1e300, 1e300, out=xm)
    np.multiply(xm, q, out=t[4])
    _prod_err_into(xm, q, t[4], t[5], t[:4])
    np.multiply(xm, r, out=r)
    np.add(t[5], r, out=r)
    np.multiply(c, q, out=q)
    np.add(q, r, out=q)
    np.copysign(q, c, out=os)
    if tail is not None:
        os[tail[0]] = _dd.exp_times(np, tail[1], tail[1])


def silu64_chunk(xs: np.ndarray, os: np.ndarray) -> None:
    """float64 silu ``x (q + r)`` rounded once (``_cores.silu`` bit for bit), the tail below
    ``TAIL`` from the scaled exponential."""
    c, q, r, xm, *t = _scratch(np.float64, 12, xs.size)
    tail = _deep_tail(xs)
    np.maximum(xs, -SAT, out=c)
    _sigmoid_dd_into(c, q, r, t)
    _times_dd_into(c, q, r, xm, t, os, tail)


def _two_sum_into(a: np.ndarray, b: np.ndarray | float, s: np.ndarray, e: np.ndarray,
                  t: np.ndarray) -> None:
    """``s + e = a + b`` exactly (``_dd.two_sum``); ``t`` is scratch. ``s`` and ``e`` must
    not alias ``a`` or ``b``."""
    np.add(a, b, out=s)
    np.subtract(s, a, out=t)  # bb
    np.subtract(s, t, out=e)  # s - bb
    np.subtract(a, e, out=e)  # a - (s - bb)
    np.subtract(b, t, out=t)  # b - bb
    np.add(e, t, out=e)


def mish64_chunk(xs: np.ndarray, os: np.ndarray) -> None:
    """float64 mish ``x tanh(softplus(x))`` with ``tanh(softplus(x)) = A/(A + B)`` to
    double-double and the product rounded once (``_cores.mish`` bit for bit)."""
    n, m, ml, pos, ah, al, bh, bl, q, r, c, *t = _scratch(np.float64, 17, xs.size)
    tail = _deep_tail(xs)
    posb = xs > 0.0  # the reference's where(x > 0, ...)
    np.maximum(xs, -SAT, out=c)
    np.abs(xs, out=n)
    np.negative(n, out=n)
    np.exp(n, out=n)  # n = e^{-|x|}
    np.multiply(n, n, out=m)
    _prod_err_into(n, n, m, ml, t[:4])  # n² = m + ml
    # x > 0: A = two_sum(1, 2n); x <= 0: A = two_sum(2n, m) (+ ml in the low part)
    np.multiply(n, 2.0, out=pos)  # 2n (pos is scratch here)
    one = t[1]
    one.fill(1.0)
    _two_sum_into(one, pos, ah, al, t[0])  # ap, ap_lo
    _two_sum_into(pos, m, bh, bl, t[0])  # an, an_lo (bh/bl as scratch)
    np.add(bl, ml, out=bl)  # an_lo + m_lo
    np.copyto(ah, bh, where=~posb)
    np.copyto(al, bl, where=~posb)
    # B: x > 0: (2m, 2 ml); x <= 0: (2, 0)
    np.multiply(m, 2.0, out=bh)
    np.multiply(ml, 2.0, out=bl)
    np.copyto(bh, 2.0, where=~posb)
    np.copyto(bl, 0.0, where=~posb)
    # D = A + B: two_sum(ah, bh) -> s, e; fast_two_sum(s, e + (al + bl))
    s_, e_ = t[2], t[3]
    _two_sum_into(ah, bh, s_, e_, t[0])
    np.add(al, bl, out=bl)
    np.add(e_, bl, out=e_)
    np.add(s_, e_, out=bh)  # d_hi = s + e'
    np.subtract(bh, s_, out=s_)  # (s - ...) : d_lo = e' - (d_hi - s)
    np.subtract(e_, s_, out=bl)  # d_lo
    _div_dd_into(ah, al, bh, bl, q, r, m, ml, t[:4])  # q + r = A / D
    _times_dd_into(c, q, r, n, t, os, tail)  # n is free: scratch for clip(x, ±1e300)

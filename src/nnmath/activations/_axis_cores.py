"""Activations along an axis: softmax, log_softmax, softmin, sparsemax, glu.

Every core works along the LAST axis of ``x`` (the callers move the axis there), returns
the value, the Jacobian ``J[..., i, j] = ∂y_i/∂x_j`` or the vector-Jacobian product
``g ↦ Jᵀ g``; the VJPs never build a Jacobian.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._array import is_numpy, out_of_range, take_along_last
from . import _cores
from . import _dd as dd


def shift_by_max(xp: Any, x: Any) -> Any:
    """``x - max(x)`` along the last axis, with the limits at infinities.

    Softmax is unchanged by adding a constant to a row, so shifting by the row maximum
    makes every exponent ``<= 0`` (no overflow). Entries equal to the maximum are set to
    exactly 0, which also covers ``+inf`` (``inf - inf`` would be NaN): the ``+inf``
    entries of a row share the mass equally, and a row of ``-inf`` (the limit of a
    constant row) gives the uniform distribution. A NaN anywhere in a row makes the row
    NaN.
    """
    m = xp.max(x, axis=-1, keepdims=True)
    inf_m = xp.isinf(m)
    with out_of_range(xp):  # x - m < -max float only where e^{x-m} is 0 anyway
        d = x - xp.where(inf_m, 0.0, m)  # NaN max -> NaN row
    return xp.where(x == m, 0.0, xp.where(inf_m, -xp.inf, d))


def _exp_parts(xp: Any, x: Any) -> tuple[Any, Any, Any]:
    """``d = x - max``, ``e = exp(d)`` and ``rest`` = the row sum of ``e`` without one max.

    ``sum(e) = 1 + rest`` exactly in value; keeping ``rest`` separate lets log_softmax
    use ``log1p(rest)``, which keeps the small mass of the other classes.
    """
    d = shift_by_max(xp, x)
    e = xp.exp(d)
    n = x.shape[-1]
    first_max = xp.argmax(d, axis=-1, keepdims=True)
    is_first = xp.arange(n) == first_max
    rest = xp.sum(xp.where(is_first, 0.0, e), axis=-1, keepdims=True)
    return d, e, rest


def _row_sum_dd(xp: Any, hi: Any, lo: Any) -> tuple[Any, Any]:
    """The sum of ``hi + lo`` along the last axis as a double-double (keepdims): pairwise,
    each addition error-free (``two_sum``), the low parts summed alongside."""
    n = hi.shape[-1]
    while n > 1:
        if n % 2:
            pad = xp.zeros((*hi.shape[:-1], 1), dtype=hi.dtype)
            hi, lo = xp.concat([hi, pad], axis=-1), xp.concat([lo, pad], axis=-1)
            n += 1
        h = n // 2
        s, e = dd.two_sum(hi[..., :h], hi[..., h:])
        lo = (lo[..., :h] + lo[..., h:]) + e
        hi = s
        n = h
    return dd.fast_two_sum(hi, lo)


def _exp_parts_dd(xp: Any, x: Any) -> tuple[Any, Any, Any, Any, Any, Any]:
    """float64: ``_exp_parts`` with the shift exact and the sum compensated.

    ``x - max`` rounds (the source of softmax's tens to hundreds of ulps in every
    library); its exact error ``t`` (``two_sum``) enters as ``e^{d + t} = e^d (1 + t)``,
    and ``rest`` is summed as a double-double. Returns ``d, t, e, e_lo, rest, rest_lo``.
    """
    m = xp.max(x, axis=-1, keepdims=True)
    if _all_finite_rows(xp, x, m):
        # the common case, the same values as below without the masks: x - m is never
        # inf, and d = 0 (with t = 0) exactly where x is the maximum
        d, t = dd.two_sum(x, -m)
    else:
        d = shift_by_max(xp, x)
        exact = xp.isfinite(d) & xp.isfinite(m) & (d != 0.0)
        with out_of_range(xp):
            _, t = dd.two_sum(xp.where(exact, x, 0.0), xp.where(exact, -m, 0.0))
        t = xp.where(exact, t, 0.0)  # x - m = d + t exactly
    e = xp.exp(d)
    e_lo = e * t
    n = x.shape[-1]
    first_max = xp.argmax(d, axis=-1, keepdims=True)
    is_first = xp.arange(n) == first_max
    e_rest, lo_rest = xp.where(is_first, 0.0, e), xp.where(is_first, 0.0, e_lo)
    if is_numpy(xp) and _cores.LD is not None:
        # in long double (11 more bits, pairwise): the same double-double, 3x cheaper
        s = xp.sum(e_rest.astype(_cores.LD), axis=-1, keepdims=True)
        rest = s.astype(xp.float64)
        rest_lo = (s - rest).astype(xp.float64) + xp.sum(lo_rest, axis=-1, keepdims=True)
        rest, rest_lo = dd.fast_two_sum(rest, rest_lo)
    else:
        rest, rest_lo = _row_sum_dd(xp, e_rest, lo_rest)
    return d, t, e, e_lo, rest, rest_lo


def _all_finite_rows(xp: Any, x: Any, m: Any) -> bool:
    """Whether every entry is finite and no ``x - max`` can overflow (NumPy only: a check
    that reads the data, which a lazy array must not do)."""
    if not is_numpy(xp) or x.size == 0:
        return False
    with out_of_range(xp):
        span = float(xp.max(m)) - float(xp.min(x))  # NaN or inf when not finite
    return span <= 0.5 * float(xp.finfo(x.dtype).max)


def _compensated(xp: Any, x: Any) -> bool:
    return x.dtype == xp.float64 and x.shape[-1] > 1


def softmax(xp: Any, x: Any) -> Any:
    if x.shape[-1] == 0:
        return x * 1.0
    if _compensated(xp, x):
        _, _, e, e_lo, rest, rest_lo = _exp_parts_dd(xp, x)
        s, s_lo = dd.fast_two_sum(1.0, rest)
        return dd.div(e, e_lo, s, s_lo + rest_lo)  # rounded once
    _, e, rest = _exp_parts(xp, x)
    return e / (1.0 + rest)


def log_softmax(xp: Any, x: Any) -> Any:
    if x.shape[-1] == 0:
        return x * 1.0
    if _compensated(xp, x):
        d, t, _, _, rest, rest_lo = _exp_parts_dd(xp, x)
        big = xp.log1p(rest)  # log(1 + rest + rest_lo) = big + rest_lo/(1 + rest)
        small = rest_lo / (1.0 + rest)
        finite = xp.isfinite(d)  # -inf entries (and NaN rows) take d - big as it is
        with out_of_range(xp):  # d - log1p(rest) below -max float: -inf
            h, h_lo = dd.two_sum(xp.where(finite, d, 0.0), -big)
            return xp.where(finite, h + ((h_lo + t) - small), d - big)
    d, _, rest = _exp_parts(xp, x)
    # log softmax = d - log(1 + rest): log1p keeps the top class's tiny log-probability
    return d - xp.log1p(rest)


def softmax_jacobian(xp: Any, p: Any) -> Any:
    """``diag(p) - p pᵀ`` for each row of ``p``."""
    n = p.shape[-1]
    eye = xp.eye(n, dtype=p.dtype)
    return p[..., :, None] * (eye - p[..., None, :])


def softmax_vjp(xp: Any, p: Any, g: Any) -> Any:
    # Jᵀ g = (diag(p) - p pᵀ) g = p * (g - <g, p>)
    return p * (g - xp.sum(g * p, axis=-1, keepdims=True))


def log_softmax_jacobian(xp: Any, p: Any) -> Any:
    """``J[i, j] = δ_ij - p_j``."""
    n = p.shape[-1]
    eye = xp.eye(n, dtype=p.dtype)
    return eye - p[..., None, :]


def log_softmax_vjp(xp: Any, p: Any, g: Any) -> Any:
    # Jᵀ g = g - p sum(g)
    return g - p * xp.sum(g, axis=-1, keepdims=True)


def sparsemax(xp: Any, x: Any) -> Any:
    """Euclidean projection of each row onto the probability simplex.

    ``p = max(x - τ, 0)`` where ``τ`` is chosen so that ``sum(p) = 1``: with ``z`` the row
    sorted in decreasing order, the support size is ``k = max{k : 1 + k z_k > z_1 + … + z_k}``
    and ``τ = (z_1 + … + z_k - 1)/k`` (Martins & Astudillo, 2016).
    """
    n = x.shape[-1]
    if n == 0:
        return x * 1.0
    d = shift_by_max(xp, x)  # sparsemax is shift invariant; the shift handles +inf
    z = xp.flip(xp.sort(d, axis=-1), axis=-1)
    k = xp.arange(1, n + 1, dtype=x.dtype)
    with out_of_range(xp):  # sums below -max float are -inf only where k is past the support
        cs = xp.cumulative_sum(z, axis=-1)
        support = (1.0 + k * z) > cs  # true on a prefix of the sorted row
    k_z = xp.maximum(xp.sum(xp.astype(support, xp.int64), axis=-1, keepdims=True), 1)
    cs_k = take_along_last(xp, cs, k_z - 1)
    tau = (cs_k - 1.0) / xp.astype(k_z, x.dtype)
    p = xp.maximum(d - tau, 0.0)
    row_nan = xp.any(xp.isnan(x), axis=-1, keepdims=True)
    return xp.where(row_nan, xp.nan, p)


def sparsemax_support(xp: Any, p: Any) -> tuple[Any, Any]:
    """The support indicator ``s = [p > 0]`` (kink convention) and its size."""
    s = xp.astype(p > 0, p.dtype)
    return s, xp.maximum(xp.sum(s, axis=-1, keepdims=True), 1.0)


def sparsemax_jacobian(xp: Any, p: Any) -> Any:
    """``diag(s) - s sᵀ/|S|`` with ``s`` the support indicator."""
    s, size = sparsemax_support(xp, p)
    n = p.shape[-1]
    eye = xp.eye(n, dtype=p.dtype)
    return s[..., :, None] * (eye - s[..., None, :] / size[..., None])


def sparsemax_vjp(xp: Any, p: Any, g: Any) -> Any:
    s, size = sparsemax_support(xp, p)
    return s * (g - xp.sum(g * s, axis=-1, keepdims=True) / size)


def glu_halves(xp: Any, x: Any) -> tuple[Any, Any]:
    n = x.shape[-1]
    if n % 2:
        raise ValueError(f"glu needs an even size along axis, got {n}")
    return x[..., : n // 2], x[..., n // 2 :]


def _gate(xp: Any, a: Any, s: Any) -> Any:
    """``a * s`` for a gate ``s`` in ``[0, 1]``: ``±inf`` times a gate of exactly 0 (an
    infinite ``a`` against ``b = -inf``, or ``b`` below -745) has no limit and is NaN, quietly,
    as any other NaN of the input (finite input never meets it)."""
    if is_numpy(xp):
        with np.errstate(invalid="ignore"):
            return a * s
    return a * s


def glu(xp: Any, x: Any) -> Any:
    a, b = glu_halves(xp, x)
    return _gate(xp, a, _cores.sigmoid(xp, b))


def glu_jacobian(xp: Any, x: Any) -> Any:
    """``(..., n/2, n)``: ``[diag(σ(b)) | diag(a σ'(b))]``; off the diagonals exactly 0."""
    a, b = glu_halves(xp, x)
    h = a.shape[-1]
    eye = xp.eye(h, dtype=x.dtype) == 1  # where, not a product: inf * 0 off the diagonal
    left = xp.where(eye, _cores.sigmoid(xp, b)[..., :, None], 0.0)
    right = xp.where(eye, _gate(xp, a, _cores.sigmoid_grad(xp, b))[..., :, None], 0.0)
    return xp.concat([left, right], axis=-1)


def glu_vjp(xp: Any, x: Any, g: Any) -> Any:
    a, b = glu_halves(xp, x)
    return xp.concat([_gate(xp, g, _cores.sigmoid(xp, b)),
                      _gate(xp, g * a, _cores.sigmoid_grad(xp, b))], axis=-1)

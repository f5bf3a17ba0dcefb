"""Activations along an axis (softmax, log_softmax, softmin, sparsemax, glu) as plain
stable formulas against an array namespace ``xp``, for array libraries other than NumPy
(NumPy arrays run the compiled core's row functions). The Jacobians, assembled from the
values for every library, are in ``_jacobians.py``.

Every function works along the LAST axis of ``x`` (the callers move the axis there) and
returns the value, the Jacobian ``J[..., i, j] = ∂y_i/∂x_j`` or the vector-Jacobian
product ``g ↦ Jᵀ g``; the VJPs never build a Jacobian.
"""

from __future__ import annotations

from typing import Any

from .._array import out_of_range, take_along_last
from ._jacobians import _gate, sparsemax_support


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


def softmax(xp: Any, x: Any) -> Any:
    if x.shape[-1] == 0:
        return x * 1.0
    _, e, rest = _exp_parts(xp, x)
    return e / (1.0 + rest)


def log_softmax(xp: Any, x: Any) -> Any:
    if x.shape[-1] == 0:
        return x * 1.0
    d, _, rest = _exp_parts(xp, x)
    # log softmax = d - log(1 + rest): log1p keeps the top class's tiny log-probability
    return d - xp.log1p(rest)


def softmax_vjp(xp: Any, p: Any, g: Any) -> Any:
    # Jᵀ g = (diag(p) - p pᵀ) g = p * (g - <g, p>)
    return p * (g - xp.sum(g * p, axis=-1, keepdims=True))


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
    # the namespace's default integer dtype (JAX without x64 has no int64: asking warns)
    index = xp.asarray(0).dtype
    k_z = xp.maximum(xp.sum(xp.astype(support, index), axis=-1, keepdims=True), 1)
    cs_k = take_along_last(xp, cs, k_z - 1)
    tau = (cs_k - 1.0) / xp.astype(k_z, x.dtype)
    p = xp.maximum(d - tau, 0.0)
    row_nan = xp.any(xp.isnan(x), axis=-1, keepdims=True)
    return xp.where(row_nan, xp.nan, p)


def sparsemax_vjp(xp: Any, p: Any, g: Any) -> Any:
    s, size = sparsemax_support(xp, p)
    return s * (g - xp.sum(g * s, axis=-1, keepdims=True) / size)


def glu_vjp(xp: Any, a: Any, s: Any, ds: Any, g: Any) -> Any:
    """``[g σ(b), g a σ'(b)]`` along the last axis."""
    return xp.concat([_gate(xp, g, s), _gate(xp, g * a, ds)], axis=-1)

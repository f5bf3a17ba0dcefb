"""The Jacobians of the activations along an axis, assembled from their values (the
probabilities of softmax and sparsemax, glu's gate and its derivative), for NumPy arrays
(whose values come from the compiled core) and other array libraries alike. The core
computes values and vector-Jacobian products, never Jacobians: these are the only
construction of them.

Every function works along the LAST axis: ``J[..., i, j] = ∂y_i/∂x_j``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._array import is_numpy


def softmax_jacobian(xp: Any, p: Any) -> Any:
    """``diag(p) - p pᵀ`` for each row of ``p``."""
    n = p.shape[-1]
    eye = xp.eye(n, dtype=p.dtype)
    return p[..., :, None] * (eye - p[..., None, :])

def log_softmax_jacobian(xp: Any, p: Any) -> Any:
    """``J[i, j] = δ_ij - p_j``."""
    n = p.shape[-1]
    eye = xp.eye(n, dtype=p.dtype)
    return eye - p[..., None, :]

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

def glu_jacobian(xp: Any, a: Any, s: Any, ds: Any) -> Any:
    """``(..., n/2, n)``: ``[diag(σ(b)) | diag(a σ'(b))]`` from the halves' ``a``,
    ``s = σ(b)`` and ``ds = σ'(b)``; off the diagonals exactly 0."""
    h = a.shape[-1]
    eye = xp.eye(h, dtype=a.dtype) == 1  # where, not a product: inf * 0 off the diagonal
    left = xp.where(eye, s[..., :, None], 0.0)
    right = xp.where(eye, _gate(xp, a, ds)[..., :, None], 0.0)
    return xp.concat([left, right], axis=-1)

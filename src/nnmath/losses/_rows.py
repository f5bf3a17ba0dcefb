"""The NumPy fast paths of the losses along a row that the core computes in ``losses.c``:
KL divergence, Poisson, the hinges and the focal losses.

A loss's core (see :mod:`._base`) hands NumPy float arrays to :func:`fused_rows`, which
calls the core's value gufunc (one float64 value per row), computes the rows the gufunc
marks NaN by the loss's reference core (a NaN or infinite entry, a value outside the
loss's domain: the reference takes the limits, or refuses the input with its error), and
returns the gradient as a function of the reduction's per-sample coefficients, fused with
them in the core's gradient gufunc (as ``_binary_core_fused`` in :mod:`._crossentropy`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .. import _kernels
from ._base import Core

#: rows longer than this are summed in pieces of this length (the sums that are means or
#: sums of terms), fixed so that the sums do not depend on the number of threads (the core
#: splits a call by rows)
PIECE = _kernels.CHUNK


def takes(y: Any, p: Any) -> bool:
    """Whether the core's gufuncs take ``y`` and ``p``: NumPy float arrays of one dtype and
    shape (a reference core sees them with the loss's axis last)."""
    return (type(p) is np.ndarray and type(y) is np.ndarray and p.dtype.char in "efd"
            and y.dtype == p.dtype and y.shape == p.shape and p.ndim >= 1)


def _pieces(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The last axis of ``a`` as (..., k, PIECE) pieces and the remainder (views)."""
    n = a.shape[-1]
    k = n // PIECE
    head = a[..., :k * PIECE].reshape((*a.shape[:-1], k, PIECE))
    return head, a[..., k * PIECE:]


def row_sums(fn: Any, p: np.ndarray, y: np.ndarray, params: tuple[Any, ...]) -> np.ndarray:
    """``fn(p, y, *params)`` (float64 sums of terms along the last axis), long rows summed
    piece by piece; NaN (or -1, see ``hinge_sum``) where a piece is."""
    if p.shape[-1] <= PIECE:
        return np.asarray(fn(p, y, *params))
    (ph, pr), (yh, yr) = _pieces(p), _pieces(y)
    parts = np.asarray(fn(ph, yh, *params))
    total = np.sum(parts, axis=-1)
    if pr.shape[-1]:
        rest = np.asarray(fn(pr, yr, *params))
        total = total + rest
        parts = np.concatenate([parts, rest[..., None]], axis=-1)
    # a flag of one piece (-1: a hinge label other than 0 and 1) flags the row
    flagged = np.any(parts == -1.0, axis=-1)
    return np.where(flagged, -1.0, total) if flagged.any() else total


def row_grads(fn: Any, p: np.ndarray, y: np.ndarray, c: np.ndarray,
              params: tuple[Any, ...]) -> np.ndarray:
    """``fn(p, y, c, *params)`` (the gradient of a sum of terms times ``c``), long rows piece
    by piece (so that the pool splits them too)."""
    if p.shape[-1] <= PIECE:
        return np.asarray(fn(p, y, c, *params))
    out = np.empty(p.shape, p.dtype)
    for pp, yp, op in zip(_pieces(p), _pieces(y), _pieces(out), strict=True):
        if pp.shape[-1]:
            cp = c[..., None] if pp.ndim > p.ndim else c
            fn(pp, yp, cp, *params, out=op)
    return out


def fused_rows(y: np.ndarray, p: np.ndarray, opts: Mapping[str, Any], need_grad: bool, *,
               ref: Core, value: Any, grad: Any, params: tuple[Any, ...] = (),
               mean: bool = False, pieces: bool = True,
               values: np.ndarray | None = None) -> tuple[Any, Any, Any]:
    """A loss's ``(losses, grad, mask)`` (see :mod:`._base`) by the core.

    ``value(p, y, *params)`` gives each row's loss (``mean``: the sum of its terms, divided
    here by the row's length) in float64, NaN for a row the reference ``ref`` computes;
    ``grad(p, y, c, *params)`` the gradient times the per-row ``c``. ``pieces``: the value
    is a sum of terms, and long rows are summed in pieces. ``values``: the value gufunc's
    result when the caller has it already.
    """
    n = p.shape[-1]
    if need_grad and values is None:
        return _gradient_only(y, p, opts, ref=ref, grad=grad, params=params, mean=mean,
                              pieces=pieces)
    if values is None:
        values = row_sums(value, p, y, params) if pieces else np.asarray(value(p, y, *params))
    bad = np.isnan(values)
    with np.errstate(over="ignore"):
        losses = np.asarray((values / n if mean else values).astype(p.dtype))
    ref_grad = None
    if bad.any():
        ref_losses, ref_grad, _ = ref(np, y[bad], p[bad], opts, need_grad)
        losses[bad] = ref_losses
    if not need_grad:
        return losses, None, None

    def fused(coef: Any) -> Any:
        c = np.asarray(coef, np.float64)
        c = (c / n if mean else c).astype(p.dtype)
        g = (row_grads(grad, p, y, c, params) if pieces
             else np.asarray(grad(p, y, c, *params)))
        if ref_grad is not None:
            g[bad] = ref_grad * np.asarray(coef, p.dtype)[bad][..., None]
        return g

    return losses, fused, None


def _gradient_only(y: np.ndarray, p: np.ndarray, opts: Mapping[str, Any], *, ref: Core,
                   grad: Any, params: tuple[Any, ...], mean: bool,
                   pieces: bool) -> tuple[Any, Any, Any]:
    """:func:`fused_rows` for a call that asks for the gradient. :func:`._base.run` returns
    only the gradient then, and the reduction's coefficients do not depend on the losses,
    so no value pass is made: the losses are zeros of their shape, and the rows left to
    the reference are those whose gradient the core marks NaN (found by the row's sum, so
    that a row whose entries overflow to infinities of both signs goes there too)."""
    n = p.shape[-1]

    def fused(coef: Any) -> Any:
        c = np.asarray(coef, np.float64)
        c = (c / n if mean else c).astype(p.dtype)
        g = (row_grads(grad, p, y, c, params) if pieces
             else np.asarray(grad(p, y, c, *params)))
        with np.errstate(invalid="ignore", over="ignore"):
            bad = np.isnan(np.sum(g, axis=-1))
        if bad.any():
            _, ref_grad, _ = ref(np, y[bad], p[bad], opts, True)
            g[bad] = ref_grad * np.asarray(coef, p.dtype)[bad][..., None]
        return g

    return np.zeros(p.shape[:-1], p.dtype), fused, None


def fast_core(ref: Core, fast: Callable[..., Any]) -> Core:
    """A core that runs ``fast(y, p, opts, need_grad)`` on what the gufuncs take (it
    returns ``None`` to decline an option it does not support) and ``ref`` otherwise."""

    def core(xp: Any, y: Any, p: Any, opts: Mapping[str, Any],
             need_grad: bool) -> tuple[Any, Any, Any]:
        if takes(y, p):
            res = fast(y, p, opts, need_grad)
            if res is not None:
                return res
        return ref(xp, y, p, opts, need_grad)

    core.__name__ = getattr(ref, "__name__", "core") + "_fused"
    core.__doc__ = f"{ref.__doc__ or ''} NumPy floats: the core's gufuncs ({fast.__name__})."
    return core

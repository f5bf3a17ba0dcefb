"""Margin losses: hinge, squared hinge and categorical (Crammer-Singer) hinge."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import _core
from .._array import is_lazy
from ._base import AxisLoss, check_axis_type, one_hot, run
from ._rows import fast_core, fused_rows
from ._rows import row_sums as _row_sums
from ._rows import takes as _takes

__all__ = [
    "CategoricalHinge",
    "Hinge",
    "SquaredHinge",
    "categorical_hinge",
    "hinge",
    "squared_hinge",
]


def _signed_labels(xp: Any, y: Any) -> Any:
    """Keras: labels are mapped {0, 1} -> {-1, 1} only when *every* label is 0 or 1.

    On lazy arrays (Dask) the choice stays in the graph: a 0-d condition selects.
    """
    binary = xp.all((y == 0) | (y == 1))
    if is_lazy(binary):
        return xp.where(binary, 2.0 * y - 1.0, y)
    if bool(binary):
        return 2.0 * y - 1.0
    return y


def _hinge_core(xp: Any, y: Any, p: Any, opts: Mapping[str, Any],
                need_grad: bool) -> tuple[Any, Any, Any]:
    return _hinge_terms(xp, _signed_labels(xp, y), p, opts, need_grad)


def _hinge_terms(xp: Any, y: Any, p: Any, opts: Mapping[str, Any],
                 need_grad: bool) -> tuple[Any, Any, Any]:
    """The hinge (``opts["squared"]``: squared) of labels ``y`` already signed."""
    n = p.shape[-1]
    margin = 1.0 - y * p
    slack = xp.maximum(margin, xp.zeros_like(margin))
    if opts["squared"]:
        value = xp.sum(slack * slack, axis=-1) / n
        grad = -2.0 * y * slack / n if need_grad else None
    else:
        value = xp.sum(slack, axis=-1) / n
        # at the kink (margin = 0) the derivative taken is 0, as relu'(0) = 0
        grad = xp.where(margin > 0, -y, xp.zeros_like(y)) / n if need_grad else None
    return value, grad, None


def _hinge_fast(y: np.ndarray, p: np.ndarray, squared: bool, need_grad: bool) -> Any:
    """The hinges by the core. Keras's choice (labels {0, 1} taken as {-1, 1} when every
    label is 0 or 1) is made on the way: the gufunc is called with map = 1 unless the first
    entries of the first row already hold another label, and again with map = 0 when a row
    did (-1)."""
    value = _core.squared_hinge_sum if squared else _core.hinge_sum
    grad = _core.squared_hinge_sum_backward if squared else _core.hinge_sum_backward
    # a guess from the first row's first entries (a view): the gufunc checks every label
    first = y[(0,) * (y.ndim - 1)][:256] if y.size else y
    mapping = bool(np.all((first == 0) | (first == 1)))
    sums = None
    if mapping:
        sums = _row_sums(value, p, y, (np.int64(1),))
        mapping = not bool(np.any(sums == -1.0))
    flag = np.int64(1 if mapping else 0)
    if not mapping:
        sums = None  # the values with map = 0, when asked for (fused_rows)
    opts = {"squared": squared}

    def ref(xp: Any, yr: Any, pr: Any, o: Mapping[str, Any], ng: bool) -> Any:
        # the rows the core left to the reference, with the labels as the call decided
        return _hinge_terms(xp, 2.0 * yr - 1.0 if mapping else yr, pr, o, ng)

    return fused_rows(y, p, opts, need_grad, ref=ref, value=value, grad=grad,
                      params=(flag,), mean=True, values=sums)


def _plain_hinge_core(xp: Any, y: Any, p: Any, opts: Mapping[str, Any],
                      need_grad: bool) -> tuple[Any, Any, Any]:
    if _takes(y, p):
        return _hinge_fast(y, p, False, need_grad)
    return _hinge_core(xp, y, p, {"squared": False}, need_grad)


def _squared_hinge_core(xp: Any, y: Any, p: Any, opts: Mapping[str, Any],
                        need_grad: bool) -> tuple[Any, Any, Any]:
    if _takes(y, p):
        return _hinge_fast(y, p, True, need_grad)
    return _hinge_core(xp, y, p, {"squared": True}, need_grad)


def hinge(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    r"""Hinge loss, averaged over ``axis``.

    .. math:: \ell = \frac{1}{n}\sum_j \max(1 - y_j \hat y_j, 0)

    Labels are ``-1`` or ``1``; when every entry of ``y_true`` is 0 or 1 they are mapped
    to ``-1`` and ``1`` first (Keras). ``y_pred`` holds real-valued scores. At the kink
    ``y ŷ = 1`` the derivative taken is 0.

    Parameters
    ----------
    y_true
        Labels in {-1, 1} (or {0, 1}), the shape of ``y_pred``.
    y_pred
        Scores (decision values).
    axis
        The axis averaged over (not in Keras, which uses the last).

    Returns
    -------
    array
        One loss per sample: ``y_pred``'s shape without ``axis``, in its dtype.

    References
    ----------
    Cortes & Vapnik, "Support-Vector Networks", Machine Learning 1995.
    Keras 3 ``keras.losses.hinge``.

    Examples
    --------
    >>> hinge([[0, 1], [1, 0]], [[0.3, -2.0], [1.5, 0.2]])
    array([2.15, 0.6 ])
    """
    return run(_plain_hinge_core, y_true, y_pred, {}, axis=check_axis_type(axis))


def squared_hinge(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    r"""Squared hinge loss, averaged over ``axis``.

    .. math:: \ell = \frac{1}{n}\sum_j \max(1 - y_j \hat y_j, 0)^2

    Labels as in :func:`hinge`. Differentiable everywhere.

    Parameters
    ----------
    y_true
        Labels in {-1, 1} (or {0, 1}), the shape of ``y_pred``.
    y_pred
        Scores.
    axis
        The axis averaged over (not in Keras).

    Returns
    -------
    array
        One loss per sample: ``y_pred``'s shape without ``axis``, in its dtype.

    References
    ----------
    Keras 3 ``keras.losses.squared_hinge``.

    Examples
    --------
    >>> squared_hinge([[0, 1], [1, 0]], [[0.3, -2.0], [1.5, 0.2]])
    array([5.345, 0.72 ])
    """
    return run(_squared_hinge_core, y_true, y_pred, {}, axis=check_axis_type(axis))


def _categorical_hinge_core(xp: Any, y: Any, p: Any, opts: Mapping[str, Any],
                            need_grad: bool) -> tuple[Any, Any, Any]:
    pos = xp.sum(y * p, axis=-1)
    others = (1.0 - y) * p
    neg = xp.max(others, axis=-1)
    margin = neg - pos + 1.0
    value = xp.maximum(margin, xp.zeros_like(margin))
    if not need_grad:
        return value, None, None
    # subgradient: the first arg-max of (1 - y) ŷ carries the max; 0 at the kink margin = 0
    top = one_hot(xp, xp.argmax(others, axis=-1), p.shape[-1], p.dtype)
    grad = xp.where(xp.expand_dims(margin > 0, axis=-1), top * (1.0 - y) - y,
                    xp.zeros_like(p))
    return value, grad, None


def _categorical_hinge_fast(y: Any, p: Any, opts: Mapping[str, Any], need_grad: bool) -> Any:
    return fused_rows(y, p, opts, need_grad, ref=_categorical_hinge_core,
                      value=_core.categorical_hinge, grad=_core.categorical_hinge_backward,
                      pieces=False)


#: NumPy floats: the core's categorical_hinge and its gradient; the rest, and the rows
#: those mark NaN, :func:`_categorical_hinge_core`
_categorical_hinge_core_fused = fast_core(_categorical_hinge_core, _categorical_hinge_fast)


def categorical_hinge(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    r"""Categorical (Crammer-Singer) hinge loss along ``axis``.

    .. math::
        \ell = \max\Big(\max_j (1 - y_j)\hat y_j - \sum_j y_j \hat y_j + 1,\ 0\Big)

    The best wrong class must score at least 1 below the true class.

    Parameters
    ----------
    y_true
        One-hot targets, the shape of ``y_pred``.
    y_pred
        Scores.
    axis
        The class axis (not in Keras, which uses the last).

    Returns
    -------
    array
        One loss per sample: ``y_pred``'s shape without ``axis``, in its dtype.

    References
    ----------
    Crammer & Singer, "On the Algorithmic Implementation of Multiclass Kernel-based
    Vector Machines", JMLR 2001. Keras 3 ``keras.losses.categorical_hinge``.

    Examples
    --------
    >>> categorical_hinge([[0, 1, 0], [1, 0, 0]], [[0.2, 0.9, 0.5], [0.8, 0.1, 0.4]])
    array([0.6, 0.6])
    """
    return run(_categorical_hinge_core_fused, y_true, y_pred, {},
               axis=check_axis_type(axis))


class Hinge(AxisLoss):
    r"""Hinge loss as a ``Loss`` (see :func:`hinge`).

    .. math:: \ell = \operatorname{mean}_j \max(1 - y_j \hat y_j, 0)

    Gradient ``-y/n`` where the margin is violated, 0 elsewhere (and at the kink).

    Examples
    --------
    >>> print(f"{Hinge()([[0, 1], [1, 0]], [[0.3, -2.0], [1.5, 0.2]]):.4f}")
    1.3750
    """

    name = "hinge"
    formula = r"\frac{1}{n}\sum_j \max(1 - y_j \hat y_j, 0)"
    _core = _plain_hinge_core


class SquaredHinge(AxisLoss):
    r"""Squared hinge loss as a ``Loss`` (see :func:`squared_hinge`).

    .. math:: \ell = \operatorname{mean}_j \max(1 - y_j \hat y_j, 0)^2

    Examples
    --------
    >>> print(f"{SquaredHinge()([[0, 1], [1, 0]], [[0.3, -2.0], [1.5, 0.2]]):.4f}")
    3.0325
    """

    name = "squared_hinge"
    formula = r"\frac{1}{n}\sum_j \max(1 - y_j \hat y_j, 0)^2"
    _core = _squared_hinge_core


class CategoricalHinge(AxisLoss):
    r"""Categorical hinge loss as a ``Loss`` (see :func:`categorical_hinge`).

    .. math:: \ell = \max\big(\max_j (1 - y_j)\hat y_j - \sum_j y_j \hat y_j + 1, 0\big)

    Examples
    --------
    >>> print(f"{CategoricalHinge()([[0, 1, 0]], [[0.2, 0.9, 0.5]]):.4f}")
    0.6000
    """

    name = "categorical_hinge"
    formula = r"\max\big(\max_j (1-y_j)\hat y_j - \sum_j y_j \hat y_j + 1, 0\big)"
    _core = _categorical_hinge_core_fused

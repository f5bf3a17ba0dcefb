"""Kullback-Leibler divergence and the Poisson negative log-likelihood."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import _core
from .._array import device_of, refuse
from ._base import EPSILON, AxisLoss, check_axis_type, clip_probabilities, run
from ._rows import fast_core, fused_rows

__all__ = ["KLDivergence", "Poisson", "kl_divergence", "poisson"]


def _kl_core(xp: Any, y: Any, p: Any, opts: Mapping[str, Any],
             need_grad: bool) -> tuple[Any, Any, Any]:
    yc, _ = clip_probabilities(xp, y, upper=1.0)
    pc, inside = clip_probabilities(xp, p, upper=1.0)
    d = yc - pc
    near = xp.abs(d) <= 0.5 * pc
    # log(a/b) = log1p((a - b)/b): a - b is exact (Sterbenz) when a/b is in [1/2, 2]
    log_ratio = xp.where(near, xp.log1p(d / pc), xp.log(yc / pc))
    value = xp.sum(yc * log_ratio, axis=-1)
    if not need_grad:
        return value, None, None
    return value, xp.where(inside, -yc / pc, xp.zeros_like(pc)), None


def _kl_fast(y: Any, p: Any, opts: Mapping[str, Any], need_grad: bool) -> Any:
    return fused_rows(y, p, opts, need_grad, ref=_kl_core, value=_core.kl_divergence,
                      grad=_core.kl_divergence_backward)


#: NumPy floats: the core's kl_divergence and its gradient; the rest, and the rows those
#: mark NaN, :func:`_kl_core`
_kl_core_fused = fast_core(_kl_core, _kl_fast)


def kl_divergence(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    r"""Kullback-Leibler divergence ``KL(y_true ‖ y_pred)`` along ``axis``.

    .. math::
        \ell = \sum_j t_j \log\frac{t_j}{p_j}, \qquad
        t = \operatorname{clip}(y, \epsilon, 1),\ p = \operatorname{clip}(\hat y, \epsilon, 1)

    Both arguments are clipped to ``[eps, 1]`` (Keras), so a zero target contributes
    ``eps log(eps/p)``, not 0. No renormalisation. The ratio's log is taken as
    ``log1p((t - p)/p)`` when ``t ≈ p``, accurate where the divergence is small.

    Parameters
    ----------
    y_true
        The target distribution, the shape of ``y_pred``.
    y_pred
        The predicted distribution.
    axis
        The axis summed over (not in Keras, which uses the last).

    Returns
    -------
    array
        One divergence per sample: ``y_pred``'s shape without ``axis``, in its dtype.

    References
    ----------
    Kullback & Leibler, "On Information and Sufficiency", Ann. Math. Statist. 1951.
    Keras 3 ``keras.losses.kl_divergence``.

    Examples
    --------
    >>> kl_divergence([[0.5, 0.5], [0.9, 0.1]], [[0.5, 0.5], [0.5, 0.5]])
    array([0.        , 0.36806421])
    """
    return run(_kl_core_fused, y_true, y_pred, {}, axis=check_axis_type(axis))


class KLDivergence(AxisLoss):
    r"""Kullback-Leibler divergence as a ``Loss`` (see :func:`kl_divergence`).

    .. math:: \ell = \sum_j t_j \log (t_j / p_j)

    The gradient is ``-t/p`` where ``eps <= y_pred <= 1`` and 0 where the clip is active.

    Examples
    --------
    >>> print(f"{KLDivergence()([[0.9, 0.1]], [[0.5, 0.5]]):.6f}")
    0.368064
    """

    name = "kl_divergence"
    formula = r"\sum_j t_j \log\frac{t_j}{p_j}"
    _core = _kl_core_fused


def _poisson_core(xp: Any, y: Any, p: Any, opts: Mapping[str, Any],
                  need_grad: bool) -> tuple[Any, Any, Any]:
    p = refuse(xp, p, lambda xp, v: v < 0, lambda xp, v: ValueError(
        "y_pred must be >= 0 for poisson: it is a predicted rate (mean count)"))
    n = p.shape[-1]
    # a rate of +inf gives the limit +inf; clipped first, since inf - y log(inf) is NaN
    dev = device_of(p)
    pc = xp.minimum(p, xp.asarray(xp.finfo(p.dtype).max, dtype=p.dtype, device=dev))
    shifted = pc + xp.asarray(EPSILON, dtype=p.dtype, device=dev)
    value = xp.sum(xp.where(xp.isinf(p), p, pc - y * xp.log(shifted)), axis=-1) / n
    if not need_grad:
        return value, None, None
    return value, (1.0 - y / shifted) / n, None


def _poisson_fast(y: Any, p: Any, opts: Mapping[str, Any], need_grad: bool) -> Any:
    return fused_rows(y, p, opts, need_grad, ref=_poisson_core, value=_core.poisson_sum,
                      grad=_core.poisson_sum_backward, mean=True)


#: NumPy floats: the core's poisson_sum and its gradient; the rest, and the rows those mark
#: NaN (a negative rate, an entry that is not finite), :func:`_poisson_core`
_poisson_core_fused = fast_core(_poisson_core, _poisson_fast)


def poisson(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    r"""Poisson loss (negative log-likelihood up to terms in ``y`` only), averaged over
    ``axis``.

    .. math:: \ell = \frac{1}{n}\sum_j \big(\hat y_j - y_j \log(\hat y_j + \epsilon)\big)

    For count data: ``y_pred`` is the predicted rate (>= 0), ``y_true`` the observed
    count. ``eps = 1e-7`` keeps ``log 0`` finite (Keras).

    Parameters
    ----------
    y_true
        Observed counts, the shape of ``y_pred``.
    y_pred
        Predicted rates, ``>= 0``.
    axis
        The axis averaged over (not in Keras, which uses the last).

    Returns
    -------
    array
        One loss per sample: ``y_pred``'s shape without ``axis``, in its dtype.

    References
    ----------
    Keras 3 ``keras.losses.poisson``; PyTorch ``PoissonNLLLoss(log_input=False)``.

    Examples
    --------
    >>> poisson([[1.0, 3.0]], [[1.0, 2.0]])
    array([0.4602791])
    """
    return run(_poisson_core_fused, y_true, y_pred, {}, axis=check_axis_type(axis))


class Poisson(AxisLoss):
    r"""Poisson loss as a ``Loss`` (see :func:`poisson`).

    .. math:: \ell = \operatorname{mean}_j \big(\hat y_j - y_j \log(\hat y_j + \epsilon)\big)

    Gradient ``(1 - y/(ŷ + eps))/n``.

    Examples
    --------
    >>> print(f"{Poisson()([[1.0, 3.0]], [[1.0, 2.0]]):.6f}")
    0.460279
    """

    name = "poisson"
    formula = r"\frac{1}{n}\sum_j \big(\hat y_j - y_j\log(\hat y_j + \epsilon)\big)"
    _core = _poisson_core_fused

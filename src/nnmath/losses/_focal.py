"""Focal cross-entropy (Lin et al., 2017): binary and categorical."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from .. import _core
from .._array import check_finite_scalar, device_of
from ..activations import log_softmax, sigmoid, softmax
from ._base import (
    Loss,
    check_axis_type,
    check_label_smoothing,
    check_per_class,
    check_probabilities,
    check_unit_interval,
    clip_probabilities,
    per_class,
    run,
    safe_power,
    xmul,
)
from ._crossentropy import (
    binary_terms,
    renormalise,
    renormalise_vjp,
    smooth_binary,
    smooth_categorical,
)
from ._rows import fast_core, fused_rows

__all__ = [
    "BinaryFocalCrossentropy",
    "CategoricalFocalCrossentropy",
    "binary_focal_crossentropy",
    "categorical_focal_crossentropy",
]


def _gamma(value: Any) -> float:
    return check_finite_scalar(value, "gamma", nonnegative=True)


# -- binary ---------------------------------------------------------------------------------

def _binary_focal_core(xp: Any, y: Any, p: Any, opts: Mapping[str, Any],
                       need_grad: bool) -> tuple[Any, Any, Any]:
    name = "binary_focal_crossentropy"
    y = check_unit_interval(xp, y, name)
    y = smooth_binary(y, opts["label_smoothing"])
    n, gamma, logits = p.shape[-1], opts["gamma"], opts["from_logits"]
    w = None if opts["pos_weight"] is None else per_class(
        xp, opts["pos_weight"], n, p.dtype, "pos_weight", device=device_of(p))
    bce, dbce = binary_terms(xp, y, p, logits, w, need_grad, name)
    if logits:
        s, sn = sigmoid(p), sigmoid(-p)
        q = y * sn + (1.0 - y) * s  # 1 - p_t, with 1 - σ(z) = σ(-z) exact
    else:
        q = y * (1.0 - p) + (1.0 - y) * p  # 1 - p_t on the unclipped p (Keras)
    f = q**gamma * bce
    if opts["apply_class_balancing"]:
        alpha = opts["alpha"]
        weight = y * alpha + (1.0 - y) * (1.0 - alpha)
        f = weight * f
    if not need_grad:
        return xp.sum(f, axis=-1) / n, None, None
    if gamma == 0:
        dmod = xp.zeros_like(q)
    elif logits:
        # ∂q/∂z = (1 - 2y) σ(z) σ(-z); where q underflows to 0 so does ∂q/∂z, and the
        # product γ q^(γ-1) ∂q/∂z tends to 0
        dmod = safe_power(xp, q, gamma - 1.0, 0.0) * gamma * ((1.0 - 2.0 * y) * s * sn)
    else:
        # at q = 0 (p = y exactly) the factor γ q^(γ-1) is unbounded for γ < 1, but the
        # focal term q^γ · bce vanishes there like q^(γ+1) (bce ~ q for the unclipped
        # loss), so its derivative tends to 0: that limit is taken at q = 0
        limit = 1.0 if gamma == 1 else 0.0
        dmod = gamma * safe_power(xp, q, gamma - 1.0, limit) * (1.0 - 2.0 * y)
    df = dmod * bce + q**gamma * dbce
    if opts["apply_class_balancing"]:
        df = weight * df
    return xp.sum(f, axis=-1) / n, df / n, None


def _binary_focal_fast(y: Any, p: Any, opts: Mapping[str, Any], need_grad: bool) -> Any:
    """By the core, without pos_weight (the reference takes it): gamma, the class
    weights (w0, w1) = (1 - alpha, alpha) when balancing, and the label smoothing are the
    gufuncs' parameters."""
    if opts["pos_weight"] is not None:
        return None
    alpha = opts["alpha"]
    w0, w1 = (1.0 - alpha, alpha) if opts["apply_class_balancing"] else (1.0, 1.0)
    params = (np.float64(opts["gamma"]), np.float64(w0), np.float64(w1),
              np.float64(opts["label_smoothing"]))
    if opts["from_logits"]:
        value, grad = _core.binary_focal_logits_sum, _core.binary_focal_logits_sum_backward
    else:
        value, grad = _core.binary_focal_sum, _core.binary_focal_sum_backward
    return fused_rows(y, p, opts, need_grad, ref=_binary_focal_core, value=value, grad=grad,
                      params=params, mean=True)


#: NumPy floats: the core's binary focal gufuncs; pos_weight, the rest, and the rows the
#: gufuncs mark NaN, :func:`_binary_focal_core`
_binary_focal_core_fused = fast_core(_binary_focal_core, _binary_focal_fast)


def _binary_focal_opts(apply_class_balancing: bool, alpha: float, gamma: float,
                       from_logits: bool, label_smoothing: float,
                       pos_weight: Any) -> dict[str, Any]:
    return {"apply_class_balancing": bool(apply_class_balancing),
            "alpha": check_finite_scalar(alpha, "alpha"), "gamma": _gamma(gamma),
            "from_logits": bool(from_logits),
            "label_smoothing": check_label_smoothing(label_smoothing),
            "pos_weight": check_per_class(pos_weight, "pos_weight")}


def binary_focal_crossentropy(y_true: Any, y_pred: Any, apply_class_balancing: bool = False,
                              alpha: float = 0.25, gamma: float = 2.0,
                              from_logits: bool = False, label_smoothing: float = 0.0,
                              axis: int = -1, *, pos_weight: Any = None) -> Any:
    r"""Binary focal cross-entropy, averaged over ``axis``.

    Binary cross-entropy scaled down on the examples that are already right, so that
    training focuses on the hard ones:

    .. math::
        \ell = \frac{1}{n}\sum_j a_j\, (1 - p_{t,j})^{\gamma}\, \mathrm{bce}_j, \qquad
        p_t = y\,\hat y + (1 - y)(1 - \hat y)

    with ``bce`` the elementwise term of :func:`binary_crossentropy` (clipped
    probabilities, or exact from logits) and ``a = α y + (1 - α)(1 - y)`` when
    ``apply_class_balancing`` (else 1). ``p_t`` uses the *unclipped* probability (Keras);
    from logits ``1 - p_t = y σ(-z) + (1 - y) σ(z)`` exactly.

    Parameters
    ----------
    y_true
        Targets in [0, 1], the shape of ``y_pred``.
    y_pred
        Probabilities in [0, 1], or logits with ``from_logits=True``.
    apply_class_balancing
        Whether to weight the classes by ``α`` and ``1 - α``.
    alpha
        The weight of class 1 when balancing.
    gamma
        The focusing parameter ``γ >= 0`` (``γ = 0`` is binary cross-entropy).
    from_logits, label_smoothing, axis, pos_weight
        As in :func:`binary_crossentropy`.

    Returns
    -------
    array
        One loss per sample: ``y_pred``'s shape without ``axis``, in its dtype.

    References
    ----------
    Lin, Goyal, Girshick, He, Dollár, "Focal Loss for Dense Object Detection", ICCV 2017,
    arXiv:1708.02002. Keras 3 ``keras.losses.binary_focal_crossentropy``.

    Examples
    --------
    >>> binary_focal_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], gamma=2.0)
    array([0.32986466, 0.20579838])
    """
    opts = _binary_focal_opts(apply_class_balancing, alpha, gamma, from_logits,
                              label_smoothing, pos_weight)
    return run(_binary_focal_core_fused, y_true, y_pred, opts, axis=check_axis_type(axis))


class BinaryFocalCrossentropy(Loss):
    r"""Binary focal cross-entropy as a ``Loss`` (see :func:`binary_focal_crossentropy`).

    .. math:: \ell = \operatorname{mean}_j\, a_j (1 - p_{t,j})^{\gamma}\,\mathrm{bce}_j

    Examples
    --------
    >>> loss = BinaryFocalCrossentropy(gamma=2.0, from_logits=True)
    >>> print(f"{loss([[0.0, 1.0]], [[-1.0, 2.0]]):.6f}")
    0.012231
    """

    name = "binary_focal_crossentropy"
    formula = r"\frac{1}{n}\sum_j a_j (1-p_{t,j})^{\gamma}\,\mathrm{bce}_j"
    _params: ClassVar[tuple[str, ...]] = ("apply_class_balancing", "alpha", "gamma",
                                          "from_logits", "label_smoothing", "axis",
                                          "pos_weight")
    _core = _binary_focal_core_fused

    def __init__(self, apply_class_balancing: bool = False, alpha: float = 0.25,
                 gamma: float = 2.0, from_logits: bool = False, label_smoothing: float = 0.0,
                 axis: int = -1, reduction: str | None = "sum_over_batch_size",
                 name: str | None = None, *, pos_weight: Any = None) -> None:
        super().__init__(reduction=reduction, name=name)
        opts = _binary_focal_opts(apply_class_balancing, alpha, gamma, from_logits,
                                  label_smoothing, pos_weight)
        for key, value in opts.items():
            setattr(self, key, value)
        self.axis = check_axis_type(axis)


# -- categorical ----------------------------------------------------------------------------

def _categorical_focal_core(xp: Any, y: Any, p: Any, opts: Mapping[str, Any],
                            need_grad: bool) -> tuple[Any, Any, Any]:
    y = smooth_categorical(y, opts["label_smoothing"])
    n, gamma = p.shape[-1], opts["gamma"]
    a = y * per_class(xp, opts["alpha"], n, p.dtype, "alpha", device=device_of(p))
    if opts["class_weight"] is not None:
        a = a * per_class(xp, opts["class_weight"], n, p.dtype, "class_weight",
                          device=device_of(p))
    if opts["from_logits"]:
        log_r = log_softmax(p, axis=-1)  # exact log-probabilities, no clipping
        u = -xp.expm1(log_r)  # 1 - r = -expm1(log r): exact where r is close to 1
        value = xp.sum(xmul(xp, a * u**gamma, -log_r), axis=-1)
        if not need_grad:
            return value, None, None
        r = softmax(p, axis=-1)
        # h_j = r_j ∂ℓ/∂r_j = a_j (γ u^(γ-1) r log r - u^γ); no division by a tiny r
        upow = (safe_power(xp, u, gamma - 1.0, 0.0) * gamma) if gamma else xp.zeros_like(u)
        h = a * (upow * r * log_r - u**gamma)
        # back through softmax: ∂ℓ/∂z = r ⊙ (g - <g, r>) = h - r Σ h
        return value, h - r * xp.sum(h, axis=-1, keepdims=True), None
    p = check_probabilities(xp, p, "categorical_focal_crossentropy")
    r, s = renormalise(xp, p)
    rc, inside = clip_probabilities(xp, r)
    u, log_rc = 1.0 - rc, xp.log(rc)
    value = xp.sum(a * u**gamma * -log_rc, axis=-1)
    if not need_grad:
        return value, None, None
    upow = gamma * u ** (gamma - 1.0) if gamma else xp.zeros_like(u)  # u >= eps > 0
    g = xp.where(inside, a * (upow * log_rc - u**gamma / rc), xp.zeros_like(rc))
    return value, renormalise_vjp(xp, g, r, s), None


def _categorical_focal_fast(y: Any, p: Any, opts: Mapping[str, Any],
                            need_grad: bool) -> Any:
    """By the core: gamma, the per-class alpha (alpha times the class weights, in
    float64) and the label smoothing are the gufuncs' parameters."""
    n = p.shape[-1]
    alpha = per_class(np, opts["alpha"], n, np.float64, "alpha")
    if opts["class_weight"] is not None:
        alpha = alpha * per_class(np, opts["class_weight"], n, np.float64, "class_weight")
    params = (np.float64(opts["gamma"]), np.broadcast_to(alpha, (n,)),
              np.float64(opts["label_smoothing"]))
    if opts["from_logits"]:
        value, grad = _core.categorical_focal_logits, _core.categorical_focal_logits_backward
    else:
        value, grad = _core.categorical_focal, _core.categorical_focal_backward
    return fused_rows(y, p, opts, need_grad, ref=_categorical_focal_core, value=value,
                      grad=grad, params=params, pieces=False)


#: NumPy floats: the core's categorical focal gufuncs (every option); the rows the gufuncs
#: mark NaN, and other arrays, :func:`_categorical_focal_core`
_categorical_focal_core_fused = fast_core(_categorical_focal_core, _categorical_focal_fast)


def _categorical_focal_opts(alpha: Any, gamma: float, from_logits: bool,
                            label_smoothing: float, class_weight: Any) -> dict[str, Any]:
    if isinstance(alpha, Mapping):
        raise TypeError("alpha must be a scalar or one value per class")
    return {"alpha": check_per_class(alpha, "alpha"), "gamma": _gamma(gamma),
            "from_logits": bool(from_logits),
            "label_smoothing": check_label_smoothing(label_smoothing),
            "class_weight": check_per_class(class_weight, "class_weight")}


def categorical_focal_crossentropy(y_true: Any, y_pred: Any, alpha: Any = 0.25,
                                   gamma: float = 2.0, from_logits: bool = False,
                                   label_smoothing: float = 0.0, axis: int = -1, *,
                                   class_weight: Any = None) -> Any:
    r"""Categorical focal cross-entropy along ``axis``.

    .. math::
        \ell = -\sum_j \alpha_j\, c_j\, (1 - p_j)^{\gamma}\, y'_j \log p_j

    with ``p`` renormalised and clipped as in :func:`categorical_crossentropy` (the
    modulating factor uses the clipped ``p``, as Keras). From logits, ``log p =
    log_softmax(z)`` and ``1 - p = -expm1(log p)`` exactly.

    Parameters
    ----------
    y_true
        One-hot (or soft) targets, the shape of ``y_pred``.
    y_pred
        Probabilities in [0, 1], or logits with ``from_logits=True``.
    alpha
        A scalar or one weight per class.
    gamma
        The focusing parameter ``γ >= 0`` (``γ = 0``, ``α = 1`` is categorical
        cross-entropy).
    from_logits, label_smoothing, axis, class_weight
        As in :func:`categorical_crossentropy`.

    Returns
    -------
    array
        One loss per sample: ``y_pred``'s shape without ``axis``, in its dtype.

    References
    ----------
    Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017, arXiv:1708.02002.
    Keras 3 ``keras.losses.categorical_focal_crossentropy``.

    Examples
    --------
    >>> categorical_focal_crossentropy([[0, 1, 0], [0, 0, 1]],
    ...                                [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    array([3.20583090e-05, 4.66273481e-01])
    """
    opts = _categorical_focal_opts(alpha, gamma, from_logits, label_smoothing, class_weight)
    return run(_categorical_focal_core_fused, y_true, y_pred, opts,
               axis=check_axis_type(axis))


class CategoricalFocalCrossentropy(Loss):
    r"""Categorical focal cross-entropy as a ``Loss``.

    .. math:: \ell = -\sum_j \alpha_j c_j (1 - p_j)^{\gamma}\, y_j \log p_j

    Examples
    --------
    >>> loss = CategoricalFocalCrossentropy(from_logits=True)
    >>> print(f"{loss([[0.0, 1.0, 0.0]], [[1.0, 2.0, 0.5]]):.6f}")
    0.016019
    """

    name = "categorical_focal_crossentropy"
    formula = r"-\sum_j \alpha_j c_j (1-p_j)^{\gamma}\, y_j \log p_j"
    _params: ClassVar[tuple[str, ...]] = ("alpha", "gamma", "from_logits", "label_smoothing",
                                          "axis", "class_weight")
    _core = _categorical_focal_core_fused

    def __init__(self, alpha: Any = 0.25, gamma: float = 2.0, from_logits: bool = False,
                 label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str | None = "sum_over_batch_size", name: str | None = None, *,
                 class_weight: Any = None) -> None:
        super().__init__(reduction=reduction, name=name)
        opts = _categorical_focal_opts(alpha, gamma, from_logits, label_smoothing,
                                       class_weight)
        for key, value in opts.items():
            setattr(self, key, value)
        self.axis = check_axis_type(axis)

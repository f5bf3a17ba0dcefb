"""Cross-entropy: binary (sigmoid), categorical (softmax) and sparse (integer labels)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from .. import _core, _kernels
from .._array import (
    check_axis,
    check_finite_scalar,
    check_out,
    device_of,
    float_input,
    namespace,
    same_rank,
)
from ..activations import log_sigmoid, log_softmax, sigmoid, softmax
from ._base import (
    Loss,
    check_axis_type,
    check_label_smoothing,
    check_per_class,
    check_probabilities,
    check_unit_interval,
    clip_probabilities,
    one_hot,
    per_class,
    run,
    sparse_labels,
    xmul,
)

__all__ = [
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
]


# -- binary ---------------------------------------------------------------------------------

def smooth_binary(y: Any, ls: float) -> Any:
    return y * (1.0 - ls) + 0.5 * ls if ls else y


def binary_terms(xp: Any, y: Any, p: Any, from_logits: bool, w: Any, need_grad: bool,
                 loss: str) -> tuple[Any, Any]:
    """Elementwise ``-(w y log p + (1 - y) log(1 - p))`` and its derivative in ``p`` (or z).

    ``w`` is the positive-class weight (``None`` for 1). With logits the terms come from
    ``log σ`` and the derivative is the fused ``(1 + (w-1) y) σ(z) - w y`` (``σ(z) - y``
    for ``w = 1``); with probabilities, ``p`` is clipped to ``[eps, 1 - eps]`` first.
    """
    wy = y if w is None else w * y
    if from_logits:
        # log p = log σ(z) and log(1 - p) = log σ(-z), both exact for any finite z
        e = -xmul(xp, wy, log_sigmoid(p)) - xmul(xp, 1.0 - y, log_sigmoid(-p))
        if not need_grad:
            return e, None
        s = sigmoid(p)
        # d/dz = (1 - y) σ(z) - w y σ(-z) = (1 + (w - 1) y) σ(z) - w y
        de = s - y if w is None else (1.0 + (w - 1.0) * y) * s - wy
        return e, de
    p = check_probabilities(xp, p, loss)
    pc, inside = clip_probabilities(xp, p)
    # log(1 - p) = log1p(-p): exact for small p, where 1 - p would round
    e = -(wy * xp.log(pc) + (1.0 - y) * xp.log1p(-pc))
    if not need_grad:
        return e, None
    de = xp.where(inside, (1.0 - y) / (1.0 - pc) - wy / pc, xp.zeros_like(pc))
    return e, de


def _binary_core(xp: Any, y: Any, p: Any, opts: Mapping[str, Any],
                 need_grad: bool) -> tuple[Any, Any, Any]:
    # a target outside [0, 1] makes a term negative: a wrong loss without a word
    y = smooth_binary(check_unit_interval(xp, y, "binary_crossentropy"),
                      opts["label_smoothing"])
    n = p.shape[-1]
    w = None if opts["pos_weight"] is None else per_class(
        xp, opts["pos_weight"], n, p.dtype, "pos_weight", device=device_of(p))
    e, de = binary_terms(xp, y, p, opts["from_logits"], w, need_grad, "binary_crossentropy")
    return xp.sum(e, axis=-1) / n, None if de is None else de / n, None


def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                        label_smoothing: float = 0.0, axis: int = -1, *,
                        pos_weight: Any = None, out: Any = None) -> Any:
    r"""Binary (sigmoid) cross-entropy, averaged over ``axis``.

    For independent yes/no outputs: binary classification and *multi-label*
    classification (each class its own sigmoid). With ``y' = y (1 - s) + s/2`` the
    smoothed label and ``p`` the clipped probability,

    .. math::
        \ell = -\frac{1}{n} \sum_{j} \big( w\, y'_j \log p_j + (1 - y'_j) \log(1 - p_j)
        \big), \qquad p_j = \operatorname{clip}(\hat y_j, \epsilon, 1 - \epsilon)

    With ``from_logits=True``, ``log p = log σ(z)`` and ``log(1 - p) = log σ(-z)`` are
    computed exactly — ``max(z, 0) - z y + log(1 + e^{-|z|})`` for ``w = 1`` — and no
    clipping happens. ``eps = 1e-7`` in the dtype of ``y_pred`` (Keras).

    Parameters
    ----------
    y_true
        Targets in [0, 1] (hard or soft labels), the shape of ``y_pred`` (Keras's rank
        rule reconciles a trailing dimension of 1).
    y_pred
        Probabilities in [0, 1], or logits with ``from_logits=True``.
    from_logits
        Whether ``y_pred`` holds logits.
    label_smoothing
        ``s`` in [0, 1]: the labels are squeezed towards 0.5.
    axis
        The axis averaged over.
    pos_weight
        ``w``: weight of the positive term, a scalar or one value per entry of ``axis``
        (as PyTorch's ``BCEWithLogitsLoss``; not in Keras). ``None`` means 1.
    out
        A NumPy array of the result's shape and dtype to write the losses into.

    Returns
    -------
    array
        One loss per sample: ``y_pred``'s shape without ``axis``, in its dtype.

    References
    ----------
    Keras 3 ``keras.losses.binary_crossentropy``; PyTorch ``BCEWithLogitsLoss``.

    Examples
    --------
    >>> binary_crossentropy([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])
    array([0.91629073, 0.71355818])
    >>> binary_crossentropy([[1.0]], [[-1000.0]], from_logits=True)  # exact, not 16.118
    array([1000.])
    """
    opts = _binary_opts(from_logits, label_smoothing, pos_weight)
    axis = check_axis_type(axis)
    fast = _binary_fast(y_true, y_pred, axis, out, opts)
    if fast is not None:
        return fast
    return _give(run(_binary_core, y_true, y_pred, opts, axis=axis), out)


def _give(result: Any, out: Any) -> Any:
    if out is None:
        return result
    if not isinstance(result, (np.ndarray, np.generic)):
        raise TypeError("out= is supported for NumPy arrays only")
    return _kernels.give(result, out)


def _binary_general(opts: Mapping[str, Any], n: int) -> tuple[Any, ...] | None:
    """The options of :func:`nnmath._core.binary_ce_sum` (``(w, s, probs)``: positive
    weights along a row of ``n``, label smoothing, probabilities or logits), or ``None``
    for logits without options (``binary_ce_logits_sum``)."""
    smooth, probs = float(opts["label_smoothing"]), 0.0 if opts["from_logits"] else 1.0
    if opts["pos_weight"] is None and not smooth and not probs:
        return None
    w = np.ones(()) if opts["pos_weight"] is None else per_class(
        np, opts["pos_weight"], n, np.float64, "pos_weight")
    return np.broadcast_to(w, (n,)), smooth, probs


def _binary_fast(y_true: Any, y_pred: Any, axis: int, out: Any,
                 opts: Mapping[str, Any]) -> Any:
    """The NumPy fast path of ``binary_crossentropy`` along the last axis; ``None`` hands
    the call to the reference (other namespaces, other axes, bad input)."""
    if namespace(y_true, y_pred) is not np:
        return None
    _, z, dtype = float_input(y_pred, "y_pred", xp=np)
    _, y, _ = float_input(y_true, "y_true", xp=np)
    y = y.astype(z.dtype) if y.dtype != z.dtype else y
    y, z = same_rank(np, y, z)
    if y.shape != z.shape or z.ndim == 0 or z.shape[-1] == 0:
        return None
    if check_axis(axis, z.ndim, "axis") != z.ndim - 1:
        return None
    general = _binary_general(opts, z.shape[-1])
    sums = bce_row_sums(z.astype(dtype, copy=False), y.astype(dtype, copy=False), general)
    if np.isnan(sums).any():  # a target outside [0, 1], a logit not finite: the reference
        return None
    with np.errstate(over="ignore", under="ignore"):  # rounding to float16 may give inf
        res = (sums / z.shape[-1]).astype(dtype)
    return _give(res if res.ndim or out is not None else res[()], out)


#: rows of binary terms longer than this are summed in pieces of this length, fixed so that
#: the sums do not depend on the number of threads (the core splits a call by rows)
BCE_PIECE = _kernels.CHUNK


def _bce_pieces(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The last axis of ``a`` as (..., k, BCE_PIECE) pieces and the remainder (views)."""
    n = a.shape[-1]
    k = n // BCE_PIECE
    head = a[..., :k * BCE_PIECE].reshape((*a.shape[:-1], k, BCE_PIECE))  # a view
    return head, a[..., k * BCE_PIECE:]


def bce_row_sums(z: np.ndarray, y: np.ndarray, general: tuple[Any, ...] | None = None
                 ) -> np.ndarray:
    """The sums (float64) of the binary cross-entropy terms of logits ``z`` and targets
    ``y`` (same shape, a NumPy float dtype) along the last axis, by the core; NaN for a row
    with a target outside [0, 1] or a logit that is not finite. ``general``: ``(w, s,
    probs)`` for :func:`nnmath._core.binary_ce_sum` (positive weights, label smoothing,
    probabilities rather than logits)."""

    def call(zp: np.ndarray, yp: np.ndarray, wp: np.ndarray | None) -> np.ndarray:
        if general is None:
            return _core.binary_ce_logits_sum(zp, yp)
        return _core.binary_ce_sum(zp, yp, wp, general[1], general[2])

    w = None if general is None else general[0]
    if z.shape[-1] <= BCE_PIECE:
        return np.asarray(call(z, y, w))
    (zh, zr), (yh, yr) = _bce_pieces(z), _bce_pieces(y)
    wh, wr = (None, None) if w is None else _bce_pieces(w)
    total = np.sum(call(zh, yh, wh), axis=-1)
    if zr.shape[-1]:
        total += call(zr, yr, wr)
    return np.asarray(total)


def bce_row_grads(z: np.ndarray, y: np.ndarray, c: np.ndarray,
                  general: tuple[Any, ...] | None = None) -> np.ndarray:
    """``c[..., None]`` times the gradient of the binary terms (``sigmoid(z) - y`` for
    logits without options; ``general`` as in :func:`bce_row_sums`) by the core, in long
    rows piece by piece (so that the pool splits them too)."""
    c = np.asarray(c, z.dtype)

    def call(zp: np.ndarray, yp: np.ndarray, wp: np.ndarray | None, cp: np.ndarray,
             out: np.ndarray | None = None) -> np.ndarray:
        if general is None:
            return _core.binary_ce_logits_backward(zp, yp, cp, out=out)
        return _core.binary_ce_backward(zp, yp, wp, general[1], general[2], cp, out=out)

    w = None if general is None else general[0]
    if z.shape[-1] <= BCE_PIECE:
        return call(z, y, w, c, out=_core.empty_like(z) if z.nbytes >= _core.BUFFERED else None)
    out = _core.empty_like(z)  # from the cache of freed result blocks
    pieces = zip(_bce_pieces(z), _bce_pieces(y), _bce_pieces(out),
                 _bce_pieces(w) if w is not None else (None, None), strict=True)
    for zp, yp, op, wp in pieces:
        if zp.shape[-1]:
            cp = c[..., None] if zp.ndim > z.ndim else c
            call(zp, yp, wp, cp, out=op)
    return out


def _binary_core_fused(xp: Any, y: Any, p: Any, opts: Mapping[str, Any],
                       need_grad: bool) -> tuple[Any, Any, Any]:
    """The binary loss's core for the function and the class on NumPy floats: the core's
    gufuncs, from logits or probabilities, with label smoothing and ``pos_weight`` (the
    gradient fused with the reduction's per-sample coefficients); other arrays, and rows
    the core marks NaN (a target outside [0, 1], a logit that is not finite, a
    probability outside [0, 1]: the reference refuses or takes their limits),
    :func:`_binary_core`."""
    if (type(p) is np.ndarray and type(y) is np.ndarray and p.dtype.char in "efd"
            and y.shape == p.shape and y.dtype == p.dtype):
        n = p.shape[-1]
        general = _binary_general(opts, n)
        if need_grad:
            # no value pass: run() reads only the gradient, and the reduction's
            # coefficients do not depend on the losses; a NaN in the gradient (an entry
            # the core refuses, or a NaN input) hands the call to the reference, which
            # refuses the entry with its error or propagates the NaN
            def fused_only(coef: Any) -> Any:
                g = bce_row_grads(p, y, np.asarray(coef, np.float64) / n, general)
                # a NaN anywhere makes the sum NaN (an overflow to inf - inf only sends
                # the call to the reference too); no temporary of the gradient's size
                with np.errstate(invalid="ignore", over="ignore"):
                    bad = np.isnan(np.sum(g))
                if bad:
                    _, ref, _ = _binary_core(np, y, p, opts, True)
                    return ref * np.expand_dims(np.asarray(coef, p.dtype), axis=-1)
                return g

            return np.zeros(p.shape[:-1], p.dtype), fused_only, None
        sums = bce_row_sums(p, y, general)
        if not np.isnan(sums).any():

            return (sums / n).astype(p.dtype), None, None
    return _binary_core(xp, y, p, opts, need_grad)


def _binary_opts(from_logits: bool, label_smoothing: float, pos_weight: Any) -> dict[str, Any]:
    return {"from_logits": bool(from_logits),
            "label_smoothing": check_label_smoothing(label_smoothing),
            "pos_weight": check_per_class(pos_weight, "pos_weight")}


class BinaryCrossentropy(Loss):
    r"""Binary cross-entropy as a ``Loss`` (see :func:`binary_crossentropy`).

    .. math:: \ell = -\operatorname{mean}_j \big(w\, y_j \log p_j + (1 - y_j)\log(1 - p_j)\big)

    The gradient with ``from_logits=True`` is the fused ``(σ(z) - y)/n`` (times the
    reduction's weights); with probabilities it is
    ``((1 - y)/(1 - p) - y/p)/n`` inside the clip range and 0 outside it.

    Examples
    --------
    >>> bce = BinaryCrossentropy(from_logits=True)
    >>> y, z = [[0.0, 1.0], [1.0, 1.0]], [[-1.0, 2.0], [0.5, -0.5]]
    >>> print(f"{bce(y, z):.6f}")
    0.472086
    >>> bce.gradient(y, z)
    array([[ 0.06723536, -0.02980073],
           [-0.09438517, -0.15561483]])
    """

    name = "binary_crossentropy"
    formula = r"-\frac{1}{n}\sum_j \big(w\,y_j \log p_j + (1-y_j)\log(1-p_j)\big)"
    _params: ClassVar[tuple[str, ...]] = ("from_logits", "label_smoothing", "axis",
                                          "pos_weight")
    _core = _binary_core_fused

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0,
                 axis: int = -1, reduction: str | None = "sum_over_batch_size",
                 name: str | None = None, *, pos_weight: Any = None) -> None:
        super().__init__(reduction=reduction, name=name)
        opts = _binary_opts(from_logits, label_smoothing, pos_weight)
        self.from_logits = opts["from_logits"]
        self.label_smoothing = opts["label_smoothing"]
        self.pos_weight = opts["pos_weight"]
        self.axis = check_axis_type(axis)


# -- categorical ----------------------------------------------------------------------------

def renormalise(xp: Any, p: Any) -> tuple[Any, Any]:
    """``p / sum(p)`` along the last axis (Keras); an all-zero row stays zero."""
    s = xp.sum(p, axis=-1, keepdims=True)
    s = xp.where(s > 0, s, xp.ones_like(s))
    return p / s, s


def renormalise_vjp(xp: Any, g: Any, r: Any, s: Any) -> Any:
    """Back through ``r = p / s``: ``∂/∂p_k = (g_k - Σ_j g_j r_j) / s``."""
    return (g - xp.sum(g * r, axis=-1, keepdims=True)) / s


def categorical_terms(xp: Any, y: Any, p: Any, from_logits: bool, need_grad: bool,
                      loss: str) -> tuple[Any, Any]:
    """``-Σ_j y_j log p_j`` along the last axis and its gradient in ``p`` (or the logits).

    ``y`` may already carry class weights (any non-negative weights).
    """
    if from_logits:
        # log softmax(z) computed directly: exact for any finite logits
        value = -xp.sum(xmul(xp, y, log_softmax(p, axis=-1)), axis=-1)
        if not need_grad:
            return value, None
        # fused softmax + cross-entropy: ∂/∂z = softmax(z) Σ_j y_j - y (= p - y for Σ y = 1)
        return value, softmax(p, axis=-1) * xp.sum(y, axis=-1, keepdims=True) - y
    p = check_probabilities(xp, p, loss)
    r, s = renormalise(xp, p)
    rc, inside = clip_probabilities(xp, r)
    value = -xp.sum(y * xp.log(rc), axis=-1)
    if not need_grad:
        return value, None
    g = xp.where(inside, -y / rc, xp.zeros_like(rc))
    return value, renormalise_vjp(xp, g, r, s)


def smooth_categorical(y: Any, ls: float) -> Any:
    return y * (1.0 - ls) + ls / y.shape[-1] if ls else y


def _categorical_core(xp: Any, y: Any, p: Any, opts: Mapping[str, Any],
                      need_grad: bool) -> tuple[Any, Any, Any]:
    y = smooth_categorical(check_unit_interval(xp, y, "categorical_crossentropy"),
                           opts["label_smoothing"])
    if opts["class_weight"] is not None:
        y = y * per_class(xp, opts["class_weight"], p.shape[-1], p.dtype, "class_weight",
                          device=device_of(p))
    value, grad = categorical_terms(xp, y, p, opts["from_logits"], need_grad,
                                    "categorical_crossentropy")
    return value, grad, None


def _class_weights(opts: Mapping[str, Any], n: int) -> np.ndarray:
    """The class weights of a row of ``n`` classes for the core, float64 (ones without)."""
    return np.broadcast_to(np.ones(()) if opts["class_weight"] is None else per_class(
        np, opts["class_weight"], n, np.float64, "class_weight"), (n,))


def _categorical_core_fused(xp: Any, y: Any, p: Any, opts: Mapping[str, Any],
                            need_grad: bool) -> tuple[Any, Any, Any]:
    """The categorical loss's core for the function and the class on NumPy floats, the
    core's gufuncs: from logits (one pass for the row's maximum and exponentials, one for
    the targets' terms; with smoothing or class weights the targets are formed in the
    core), and from probabilities (the row's sum, then its terms), with every option; the
    gradient fused with the
    reduction's per-sample coefficients. Everything else, and rows the core marks NaN (a
    target outside [0, 1], a logit that is not finite, a probability outside [0, 1]),
    :func:`_categorical_core`."""
    if (type(p) is np.ndarray and type(y) is np.ndarray and opts["from_logits"]
            and p.dtype.char in "efd" and y.shape == p.shape and y.dtype.kind in "fiub"):
        yc = y.astype(p.dtype, copy=False)
        if not opts["label_smoothing"] and opts["class_weight"] is None:
            value = np.asarray(_core.cce_logits(p, yc))
            if not np.isnan(value).any():

                def fused(coef: Any) -> Any:
                    return _core.cce_logits_backward(p, yc, np.asarray(coef, p.dtype))

                return value, (fused if need_grad else None), None
        else:  # smoothed and class-weighted targets, formed in the core
            w, smooth = _class_weights(opts, p.shape[-1]), float(opts["label_smoothing"])
            value = np.asarray(_core.cce_logits_ws(p, yc, w, smooth))
            if not np.isnan(value).any():

                def fused_ws(coef: Any) -> Any:
                    return _core.cce_logits_ws_backward(p, yc, w, smooth,
                                                        np.asarray(coef, p.dtype))

                return value, (fused_ws if need_grad else None), None
    elif (type(p) is np.ndarray and type(y) is np.ndarray and not opts["from_logits"]
            and p.dtype.char in "efd" and y.shape == p.shape and y.dtype.kind in "fiub"):
        # probabilities: renormalised, clipped, smoothed and class-weighted in the core
        yc = y.astype(p.dtype, copy=False)
        w, smooth = _class_weights(opts, p.shape[-1]), float(opts["label_smoothing"])
        sums = np.asarray(_core.cce_probs(p, yc, w, smooth))
        if not np.isnan(sums).any():

            def fused_p(coef: Any) -> Any:
                return _core.cce_probs_backward(p, yc, w, smooth, np.asarray(coef, p.dtype))

            return sums.astype(p.dtype), (fused_p if need_grad else None), None
    return _categorical_core(xp, y, p, opts, need_grad)


def _categorical_opts(from_logits: bool, label_smoothing: float,
                      class_weight: Any) -> dict[str, Any]:
    return {"from_logits": bool(from_logits),
            "label_smoothing": check_label_smoothing(label_smoothing),
            "class_weight": check_per_class(class_weight, "class_weight")}


def categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1, *,
                             class_weight: Any = None) -> Any:
    r"""Categorical (softmax) cross-entropy along ``axis``.

    For *multi-class* problems: exactly one class is right, the predictions along
    ``axis`` form one distribution. With ``y' = y (1 - s) + s/C`` and ``c_j`` the class
    weights,

    .. math::
        \ell = -\sum_j c_j\, y'_j \log p_j, \qquad
        p = \operatorname{clip}\Big(\frac{\hat y}{\sum_k \hat y_k}, \epsilon, 1 - \epsilon\Big)

    The probabilities are renormalised along the axis before the clip (Keras). With
    ``from_logits=True``, ``log p = log_softmax(z)`` exactly, with no clipping.

    Parameters
    ----------
    y_true
        One-hot (or soft) targets, the shape of ``y_pred``.
    y_pred
        Probabilities in [0, 1], or logits with ``from_logits=True``.
    from_logits
        Whether ``y_pred`` holds logits.
    label_smoothing
        ``s`` in [0, 1]; ``C`` is the size of ``axis``.
    axis
        The class axis.
    class_weight
        ``c``: a scalar, one weight per class or a ``{class: weight}`` mapping (not in
        Keras). ``None`` means 1.

    Returns
    -------
    array
        One loss per sample: ``y_pred``'s shape without ``axis``, in its dtype.

    References
    ----------
    Keras 3 ``keras.losses.categorical_crossentropy``.

    Examples
    --------
    >>> categorical_crossentropy([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    array([0.05129329, 2.30258509])
    >>> categorical_crossentropy([[0, 1, 0]], [[1000.0, 0.0, -1000.0]], from_logits=True)
    array([1000.])
    """
    opts = _categorical_opts(from_logits, label_smoothing, class_weight)
    return run(_categorical_core_fused, y_true, y_pred, opts, axis=check_axis_type(axis))


class CategoricalCrossentropy(Loss):
    r"""Categorical cross-entropy as a ``Loss`` (see :func:`categorical_crossentropy`).

    .. math:: \ell = -\sum_j c_j\, y_j \log p_j

    With ``from_logits=True`` the gradient is the fused ``softmax(z) Σ_j c_j y_j - c y``,
    which is ``softmax(z) - y`` for one-hot ``y`` (times the reduction's weights).

    Examples
    --------
    >>> cce = CategoricalCrossentropy(from_logits=True, reduction="sum")
    >>> y, z = [[0.0, 1.0, 0.0]], [[1.0, 2.0, 0.5]]
    >>> print(f"{cce(y, z):.6f}")
    0.464369
    >>> cce.gradient(y, z)
    array([[ 0.2312239 , -0.37146828,  0.14024438]])
    """

    name = "categorical_crossentropy"
    formula = r"-\sum_j c_j\,y_j \log p_j"
    _params: ClassVar[tuple[str, ...]] = ("from_logits", "label_smoothing", "axis",
                                          "class_weight")
    _core = _categorical_core_fused

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0,
                 axis: int = -1, reduction: str | None = "sum_over_batch_size",
                 name: str | None = None, *, class_weight: Any = None) -> None:
        super().__init__(reduction=reduction, name=name)
        opts = _categorical_opts(from_logits, label_smoothing, class_weight)
        self.from_logits = opts["from_logits"]
        self.label_smoothing = opts["label_smoothing"]
        self.class_weight = opts["class_weight"]
        self.axis = check_axis_type(axis)


# -- sparse ---------------------------------------------------------------------------------

def _sparse_core(xp: Any, labels: Any, p: Any, opts: Mapping[str, Any],
                 need_grad: bool) -> tuple[Any, Any, Any]:
    valid = opts["valid"]
    if type(p) is np.ndarray and type(labels) is np.ndarray and p.dtype.char in "efd":
        fast = (_sparse_smoothed_fused(labels, p, opts, valid, need_grad)
                if opts["label_smoothing"] else
                _sparse_core_fused(labels, p, opts, valid, need_grad))
        if fast is not None:
            return fast
    if valid is not None:
        labels = xp.where(valid, labels, xp.zeros_like(labels))
    y = one_hot(xp, labels, p.shape[-1], p.dtype)
    value, grad, _ = _categorical_core(xp, y, p, opts, need_grad)
    if valid is not None:
        value = xp.where(valid, value, xp.zeros_like(value))
        if grad is not None:
            grad = xp.where(xp.expand_dims(valid, axis=-1), grad, xp.zeros_like(grad))
    return value, grad, valid


def _sparse_core_fused(labels: np.ndarray, p: np.ndarray, opts: Mapping[str, Any],
                       valid: np.ndarray | None, need_grad: bool) -> tuple[Any, Any, Any] | None:
    """The core's fused gufuncs: from logits the loss in one pass over a row, and the
    gradient ``coef * (softmax(z) - onehot(y))`` in one more; from probabilities a pass
    for the row's sum (Keras renormalises) and the label's term, the gradient in one more;
    with the reduction's per-sample coefficients (run() calls the function with them).
    Ignored samples (``valid`` false) take label 0 in the core and are zeroed after it
    (and masked in the reduction); class weights scale each sample's value and
    coefficient by its label's weight, in float64. ``None``: probabilities the core
    refuses (outside [0, 1], NaN), left to the reference."""
    probs = not opts["from_logits"]
    lab = labels.astype(np.int64, copy=False)
    if valid is not None:
        lab = np.where(valid, lab, 0)
    weight = None
    if opts["class_weight"] is not None:
        c = per_class(np, opts["class_weight"], p.shape[-1], np.float64, "class_weight")
        weight = np.broadcast_to(c, (p.shape[-1],))[lab]
        if valid is not None:
            weight = np.where(valid, weight, 0.0)
    elif valid is not None:
        weight = valid.astype(np.float64)
    if probs:
        value = np.asarray(_core.sparse_ce_probs(p, lab))
        if np.isnan(value).any():  # the reference refuses, or propagates NaN
            return None
        if not need_grad:
            value = value.astype(p.dtype)
    if not need_grad:
        if not probs:
            value = np.asarray(_core.sparse_ce_logits(p, lab))
        if weight is not None:
            value = (value * weight).astype(p.dtype)
        if valid is not None:  # an ignored sample is 0, whatever its logits
            value = np.where(valid, value, value.dtype.type(0))
        return value, None, valid

    def fused(coef: Any) -> Any:
        c = np.asarray(coef, np.float64 if weight is not None else p.dtype)
        if weight is not None:
            c = (c * weight).astype(p.dtype)
        back = _core.sparse_ce_probs_backward if probs else _core.sparse_ce_logits_backward
        g = back(p, lab, c, out=_core.empty_like(p) if p.nbytes >= _core.BUFFERED else None)
        if valid is not None:
            g[~valid] = 0
        return g

    # the gradient needs only the losses' shape and dtype (reduce() skips the value)
    return np.zeros(p.shape[:-1], p.dtype), fused, valid


def _sparse_smoothed_fused(labels: np.ndarray, p: np.ndarray, opts: Mapping[str, Any],
                           valid: np.ndarray | None,
                           need_grad: bool) -> tuple[Any, Any, Any] | None:
    """The sparse loss with label smoothing (and class weights) in the core: from logits
    the targets ``w (onehot(y) (1 - s) + s/n)`` are formed in the core from the labels
    (:func:`nnmath._core.sparse_ce_logits_ws`); from probabilities the one-hot rows go
    through :func:`nnmath._core.cce_probs`. Ignored samples take label 0 and are zeroed
    after. ``None``: a row the core refuses (NaN: a logit that is not finite, a
    probability outside [0, 1]), left to the reference."""
    n = p.shape[-1]
    lab = labels.astype(np.int64, copy=False)
    if valid is not None:
        lab = np.where(valid, lab, 0)
    w, smooth = _class_weights(opts, n), float(opts["label_smoothing"])
    if opts["from_logits"]:
        value = np.asarray(_core.sparse_ce_logits_ws(p, lab, w, smooth))
        back: Any = lambda c: _core.sparse_ce_logits_ws_backward(p, lab, w, smooth, c)  # noqa: E731
    else:
        y = np.zeros(p.shape, p.dtype)
        np.put_along_axis(y, lab[..., None], 1, axis=-1)
        value = np.asarray(_core.cce_probs(p, y, w, smooth)).astype(p.dtype)
        back = lambda c: _core.cce_probs_backward(p, y, w, smooth, c)  # noqa: E731
    if np.isnan(value).any():
        return None
    if valid is not None:  # an ignored sample is 0, whatever its scores
        value[~valid] = 0

    def fused(coef: Any) -> Any:
        g = back(np.asarray(coef, p.dtype))
        if valid is not None:
            g[~valid] = 0
        return g

    return value, (fused if need_grad else None), valid


def _sparse_opts(from_logits: bool, ignore_class: int | None, label_smoothing: float,
                 class_weight: Any) -> dict[str, Any]:
    if ignore_class is not None:
        if isinstance(ignore_class, (bool, np.bool_)):
            raise TypeError(f"ignore_class must be an integer class label or None, got "
                            f"{ignore_class!r}")
        value = check_finite_scalar(ignore_class, "ignore_class")
        if value != int(value):  # int() truncated: ignore_class=1.5 ignored the labels 1
            raise TypeError(f"ignore_class must be an integer class label or None, got "
                            f"{ignore_class!r}")
        ignore_class = int(value)
    opts = _categorical_opts(from_logits, label_smoothing, class_weight)
    opts["ignore_class"] = ignore_class
    return opts


def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                                    ignore_class: int | None = None, axis: int = -1, *,
                                    label_smoothing: float = 0.0,
                                    class_weight: Any = None, out: Any = None) -> Any:
    r"""Categorical cross-entropy with integer class labels.

    The same loss as :func:`categorical_crossentropy` on ``one_hot(y_true)``, without
    building the one-hot targets by hand. From logits (no smoothing, no weights):

    .. math:: \ell = \log \sum_j e^{z_j} - z_{y} = -\operatorname{log\_softmax}(z)_{y}

    Parameters
    ----------
    y_true
        Integer labels in ``[0, C)``: ``y_pred``'s shape without ``axis``, or with a
        dimension of 1 there (``(N,)`` or ``(N, 1)`` for ``(N, C)`` predictions).
    y_pred
        Probabilities (renormalised and clipped as in the categorical loss), or logits.
    from_logits
        Whether ``y_pred`` holds logits.
    ignore_class
        A label (e.g. -1 or 255) whose samples get loss 0, gradient 0, and are left out of
        the mean of the ``Loss`` class.
    axis
        The class axis.
    label_smoothing
        As in :func:`categorical_crossentropy` (not in Keras).
    class_weight
        As in :func:`categorical_crossentropy` (not in Keras).
    out
        A NumPy array of the result's shape and dtype to write the losses into.

    Returns
    -------
    array
        One loss per sample: ``y_pred``'s shape without ``axis``, in its dtype.

    References
    ----------
    Keras 3 ``keras.losses.sparse_categorical_crossentropy``; optax
    ``softmax_cross_entropy_with_integer_labels``.

    Examples
    --------
    >>> sparse_categorical_crossentropy([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    array([0.05129329, 2.30258509])
    >>> sparse_categorical_crossentropy([1, -1], [[1.0, 2.0], [3.0, 4.0]],
    ...                                 from_logits=True, ignore_class=-1)
    array([0.31326169, 0.        ])
    """
    opts = _sparse_opts(from_logits, ignore_class, label_smoothing, class_weight)
    axis = check_axis_type(axis)
    if (opts["from_logits"] and opts["ignore_class"] is None and not opts["label_smoothing"]
            and opts["class_weight"] is None):
        fast = _sparse_logits_fast(y_true, y_pred, axis, opts, out)
        if fast is not None:
            return fast
    return _give(run(_sparse_core, y_true, y_pred, opts, sparse=True, axis=axis), out)


def _sparse_logits_fast(y_true: Any, y_pred: Any, axis: int, opts: Mapping[str, Any],
                        out: Any) -> Any:
    """The NumPy fast path of ``sparse_categorical_crossentropy(from_logits=True)`` along
    the last axis; ``None`` hands the call to the reference."""
    if namespace(y_true, y_pred) is not np:
        return None
    _, z, dtype = float_input(y_pred, "y_pred", xp=np)
    if z.ndim == 0 or z.shape[-1] == 0:
        return None
    ax = check_axis(axis, z.ndim, "axis")
    if ax != z.ndim - 1:
        return None
    labels, _ = sparse_labels(np, y_true, z.shape[ax], z.shape, ax, None)
    labels = labels.astype(np.int64, copy=False)
    z = z.astype(dtype, copy=False)  # float16 comes as float32, exactly
    # the core's gufunc: one pass over a row (its maximum, the sum of its exponentials
    # and the label's term), the limits for infinite logits, NaN for a row with a NaN
    if out is None:
        return _core.sparse_ce_logits(z, labels)
    check_out(out, z.shape[:-1], dtype)
    return _core.sparse_ce_logits(z, labels, out=out)


class SparseCategoricalCrossentropy(Loss):
    r"""Sparse categorical cross-entropy as a ``Loss``.

    .. math:: \ell = -c_{y}\log p_{y}

    With ``ignore_class``, ``"sum_over_batch_size"`` divides by the number of samples
    that are not ignored (Keras's mask semantics).

    Examples
    --------
    >>> scce = SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    >>> print(f"{scce([1, 0, -1], [[1.0, 2.0], [3.0, 4.0], [0.0, 9.0]]):.6f}")
    0.813262
    >>> scce.gradient([1, 0, -1], [[1.0, 2.0], [3.0, 4.0], [0.0, 9.0]])
    array([[ 0.13447, -0.13447],
           [-0.36553,  0.36553],
           [ 0.     ,  0.     ]])
    """

    name = "sparse_categorical_crossentropy"
    formula = r"-c_{y}\log p_{y}"
    _params: ClassVar[tuple[str, ...]] = ("from_logits", "ignore_class", "axis",
                                          "label_smoothing", "class_weight")
    _core = _sparse_core
    _sparse = True

    def __init__(self, from_logits: bool = False, ignore_class: int | None = None,
                 reduction: str | None = "sum_over_batch_size", axis: int = -1,
                 name: str | None = None, *, label_smoothing: float = 0.0,
                 class_weight: Any = None) -> None:
        super().__init__(reduction=reduction, name=name)
        opts = _sparse_opts(from_logits, ignore_class, label_smoothing, class_weight)
        self.from_logits = opts["from_logits"]
        self.ignore_class = opts["ignore_class"]
        self.label_smoothing = opts["label_smoothing"]
        self.class_weight = opts["class_weight"]
        self.axis = check_axis_type(axis)

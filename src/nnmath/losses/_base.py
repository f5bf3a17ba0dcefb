"""The machinery shared by every loss: input alignment, clipping, reductions, ``Loss``.

Each loss is a *core*: a function ``core(xp, y_true, y_pred, opts, need_grad)`` that works
along the **last** axis of arrays already in the compute dtype and returns
``(losses, grad, mask)``:

* ``losses`` — one value per sample (the last axis reduced);
* ``grad`` — ``∂losses[i] / ∂y_pred`` for the elements of sample ``i`` (every element of
  ``y_pred`` belongs to exactly one sample, so this array has the shape of ``y_pred``),
  or ``None`` when ``need_grad`` is false;
* ``mask`` — ``None``, or a boolean array of the shape of ``losses`` marking the samples
  that count (``ignore_class``).

``_run`` below validates and aligns the inputs, moves ``axis`` last, calls the core and
then either returns the per-sample losses (the public functions), reduces them (the
``Loss`` classes) or scales the per-sample gradient by the derivative of the reduction.

Arrays of any array-API library work (through ``array-api-compat``) and the result is an
array of that library, on the input's device. Dask arrays stay lazy: the validation that
needs the data (probabilities in [0, 1], labels in range, finite non-negative weights)
runs chunk by chunk when the result is computed, and raises there; the reductions sum each
chunk exactly and combine the partial sums without rounding, so a reduced loss does not
depend on the chunking.

On NumPy arrays a reduced loss is the exact weighted sum ``Σ w_i l_i`` of the per-sample
losses (every product and every addition exact, in the compiled core), divided exactly
by the batch size, the number of valid samples or the exact sum of the weights, and
rounded once to the result's dtype: it does not depend on the order of the samples, the
thread count or the batch's memory layout.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any, ClassVar, TypeVar

import numpy as np

from .._array import (
    check_axis,
    check_finite_scalar,
    device_of,
    dtype_kind,
    finish,
    float_input,
    fp_guard,
    is_numpy,
    namespace,
    out_of_range,
    refuse,
    requires_grad,
    same_rank,
    size_of,
    sum_all,
    to_host,
    unbroadcast,
    with_vjp,
)
from .._exact import dyadic_sum, round_ratio

__all__ = ["EPSILON", "REDUCTIONS", "AxisLoss", "Loss"]

#: Keras's fuzz factor ``backend.epsilon()``: probabilities are clipped to [eps, 1 - eps].
EPSILON = 1e-7

#: The accepted values of ``reduction`` (``None`` is accepted as ``"none"``).
REDUCTIONS = ("sum_over_batch_size", "mean", "sum", "none", "mean_with_sample_weight")

Core = Callable[[Any, Any, Any, Mapping[str, Any], bool], tuple[Any, Any, Any]]


# -- small numerical helpers ----------------------------------------------------------------

def clip_probabilities(xp: Any, p: Any, upper: float = 1.0 - EPSILON) -> tuple[Any, Any]:
    """Clip ``p`` to ``[eps, upper]`` in p's dtype; return it and the pass-through mask.

    The bounds are rounded to the dtype once, as Keras does (float32: eps = 1e-7 and
    1 - eps = 0.99999988). The derivative of the clip is 1 on the closed interval and 0
    outside it.
    """
    lo = xp.asarray(EPSILON, dtype=p.dtype, device=device_of(p))
    hi = xp.asarray(upper, dtype=p.dtype, device=device_of(p))
    inside = (p >= lo) & (p <= hi)
    return xp.clip(p, lo, hi), inside


def xmul(xp: Any, a: Any, b: Any) -> Any:
    """``a * b`` with ``0 * b = 0`` even where ``b`` is infinite (as in ``xlogy``)."""
    return a * xp.where(a == 0, xp.zeros_like(b), b)


def _outside_unit(xp: Any, p: Any) -> Any:
    return (p < 0) | (p > 1)


def check_probabilities(xp: Any, p: Any, loss: str, name: str = "y_pred") -> Any:
    """Refuse probabilities outside [0, 1] (NaN passes and propagates); returns ``p``
    (on Dask, ``p`` with the check folded in: see :func:`nnmath._array.refuse`)."""

    def error(xp: Any, p: Any) -> Exception:
        host = to_host(p)
        return ValueError(
            f"{name} must hold probabilities in [0, 1] for {loss} with from_logits=False, "
            f"got values in [{float(np.nanmin(host))!r}, {float(np.nanmax(host))!r}]; "
            f"if {name} holds logits (unnormalised scores), pass from_logits=True"
        )

    return refuse(xp, p, _outside_unit, error)


def check_unit_interval(xp: Any, y: Any, loss: str, name: str = "y_true") -> Any:
    """Refuse targets outside [0, 1]; returns ``y`` (checked lazily on Dask)."""
    def error(xp: Any, y: Any) -> Exception:
        host = to_host(y)
        return ValueError(f"{name} must lie in [0, 1] for {loss}, got values in "
                          f"[{float(np.nanmin(host))!r}, {float(np.nanmax(host))!r}]")

    return refuse(xp, y, _outside_unit, error)


def safe_power(xp: Any, base: Any, exponent: float, at_zero: float) -> Any:
    """``base ** exponent`` for ``base >= 0``, with the value ``at_zero`` where base is 0.

    Used for ``γ q^(γ-1)``, whose value at ``q = 0`` is a limit that NumPy would compute
    with a divide-by-zero warning when ``γ < 1``.
    """
    positive = base > 0
    safe = xp.where(positive, base, xp.ones_like(base))
    return xp.where(positive, safe**exponent, xp.full_like(base, at_zero))


def per_class(xp: Any, value: Any, n: int, dtype: Any, name: str, *,
              nonnegative: bool = True, device: Any = None) -> Any:
    """A scalar or a per-class vector (length ``n``, the class axis), in ``dtype``.

    ``value`` may be a number, a sequence of length ``n`` or a mapping
    ``{class index: weight}`` (missing classes weigh 1). ``device``: where to put it.
    """
    if isinstance(value, Mapping):
        vec = [1.0] * n
        for k, v in value.items():
            if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k < n:
                raise ValueError(f"{name} has key {k!r}, expected class indices in [0, {n})")
            vec[int(k)] = v
        value = vec
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] != n):
        raise ValueError(
            f"{name} must be a scalar or have one entry per class ({n}), got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    if nonnegative and np.any(arr < 0):
        raise ValueError(f"{name} must be >= 0")
    return xp.asarray(arr, dtype=dtype, device=device)


def check_per_class(value: Any, name: str) -> Any:
    """Validate what can be validated of a per-class parameter before the class count is known."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return dict(value)
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim > 1:
        raise ValueError(f"{name} must be a scalar or a 1-D sequence, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"{name} must be finite and >= 0")
    return float(arr) if arr.ndim == 0 else tuple(arr.tolist())


def check_label_smoothing(value: Any) -> float:
    ls = check_finite_scalar(value, "label_smoothing", nonnegative=True)
    if ls > 1:
        raise ValueError(f"label_smoothing must be in [0, 1], got {value!r}")
    return ls


def check_axis_type(axis: Any) -> int:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"axis must be an integer, got {axis!r}")
    return int(axis)


# -- input alignment ------------------------------------------------------------------------

def sparse_labels(xp: Any, y_true: Any, n_classes: int, shape: tuple[int, ...],
                  axis: int, ignore_class: int | None) -> tuple[Any, Any]:
    """Integer labels of the shape of the per-sample losses; and the valid-sample mask."""
    labels = xp.asarray(y_true)
    if labels.ndim == len(shape) and labels.shape[axis] == 1:
        labels = xp.squeeze(labels, axis=axis)
    expected = shape[:axis] + shape[axis + 1:]
    if tuple(labels.shape) != expected:
        raise ValueError(
            f"y_true must hold one integer label per sample, shape {expected} (or with a "
            f"dimension of 1 at axis {axis}) for y_pred of shape {shape}, "
            f"got {tuple(labels.shape)}"
        )
    kind = dtype_kind(xp, labels.dtype)
    if kind == "b":
        labels = xp.astype(labels, xp.int64)
    elif kind == "f":
        with fp_guard(xp):
            labels = refuse(xp, labels, lambda xp, v: xp.floor(v) != v, lambda xp, v: ValueError(
                "y_true must hold integer class labels (sparse labels)"))
    elif kind != "i":
        raise TypeError(f"y_true must hold integer class labels, got dtype {labels.dtype}")

    def bad(xp: Any, v: Any) -> Any:
        out = (v < 0) | (v >= n_classes)
        return out if ignore_class is None else out & (v != ignore_class)

    def error(xp: Any, v: Any) -> Exception:
        host = to_host(v)
        extra = "" if ignore_class is None else f" other than ignore_class={ignore_class}"
        return ValueError(f"y_true holds labels outside [0, {n_classes}){extra}: "
                          f"{np.unique(host[to_host(bad(np, host))])[:5].tolist()}")

    labels = refuse(xp, labels, bad, error)
    valid = None if ignore_class is None else labels != ignore_class
    return labels, valid


def one_hot(xp: Any, labels: Any, n_classes: int, dtype: Any) -> Any:
    """One-hot rows along a new last axis (labels outside [0, n) give all-zero rows)."""
    classes = xp.arange(n_classes, dtype=labels.dtype, device=device_of(labels))
    return xp.astype(xp.expand_dims(labels, axis=-1) == classes, dtype)


# -- reductions -----------------------------------------------------------------------------

def check_reduction(reduction: Any) -> str:
    if reduction is None:
        return "none"
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS} (or None), got {reduction!r}")
    return reduction


def sample_weights(xp: Any, sample_weight: Any, dtype: Any) -> tuple[Any, Any, Any]:
    """Validate ``sample_weight`` and split it into ``(w / s, s)``.

    ``s`` is the largest weight (1 when every weight is 0), a 0-d array in the weights'
    own dtype; ``w / s`` lies in [0, 1] and is returned in ``dtype``. The reductions sum
    the scaled weights and apply ``s`` once at the end (it cancels in
    ``"mean_with_sample_weight"``), so huge weights (beyond ``dtype``'s range, or whose sum
    is) and subnormal weights (whose products with the losses would underflow) give the
    correctly weighted result. ``(None, None, None)`` when there are no weights; the third
    entry is the validated weights themselves, unscaled (for the exact NumPy reductions).
    """
    if sample_weight is None:
        return None, None, None
    _, sw, _ = float_input(sample_weight, "sample_weight", xp=xp)
    sw = refuse(xp, sw, lambda xp, w: ~xp.isfinite(w),
                lambda xp, w: ValueError("sample_weight must be finite (no NaN or inf)"))
    sw = refuse(xp, sw, lambda xp, w: w < 0,
                lambda xp, w: ValueError("sample_weight must be >= 0"))
    if size_of(sw) == 0:
        scale = xp.ones((), dtype=sw.dtype, device=device_of(sw))
    else:
        top = xp.max(sw)
        scale = xp.where(top > 0, top, xp.ones_like(top))
    raw = sw
    sw = sw / scale  # in [0, 1]: exact for equal weights, subnormal ones included
    return (xp.astype(sw, dtype) if sw.dtype != dtype else sw), scale, raw


def target_weights(xp: Any, y: Any, opts: Mapping[str, Any], sparse: bool) -> Any:
    """The class weight of each sample's target, ``Σ_j c_j y_j`` (sparse: ``c[label]``),
    or ``None`` without ``class_weight``. ``y`` has the class axis last (sparse: labels).

    ``"mean_with_sample_weight"`` divides by the sum of these (times the sample weights):
    for integer labels that is PyTorch's weighted mean, ``cross_entropy(weight=c)``.
    """
    cw = opts.get("class_weight")
    if cw is None:
        return None
    if sparse:
        n = int(opts["n_classes"])
        c = per_class(xp, cw, n, opts["dtype"], "class_weight", device=device_of(y))
        valid = (y >= 0) & (y < n)  # ignored labels: weight 0 (the mask drops them too)
        safe = xp.astype(xp.where(valid, y, xp.zeros_like(y)), xp.int64)
        picked = xp.reshape(xp.take(c, xp.reshape(safe, (-1,)), axis=0), tuple(y.shape))
        return xp.where(valid, picked, xp.zeros_like(picked))
    c = per_class(xp, cw, y.shape[-1], y.dtype, "class_weight", device=device_of(y))
    return xp.sum(y * c, axis=-1)


def reduce(xp: Any, losses: Any, sw: Any, mask: Any, reduction: str,
           cotangent: Any = None, want_coef: bool = False, *, scale: Any = None,
           target: Any = None, raw: Any = None, result_dtype: Any = None) -> tuple[Any, Any]:
    """Reduce per-sample ``losses`` as Keras's ``reduce_weighted_values`` does.

    ``sw`` and ``scale`` come from :func:`sample_weights` (the weights are ``sw * scale``);
    ``target`` from :func:`target_weights` (used by ``"mean_with_sample_weight"`` only).
    On NumPy arrays the reduced value comes from :func:`exact_value` (``raw``: the
    unscaled weights; ``result_dtype``: the dtype it is rounded to, once).
    Returns ``(value, coef)``: the reduced loss (``None`` when ``want_coef``: the
    gradient needs only the coefficients), and (when ``want_coef``) its derivative
    with respect to each per-sample loss — the shape of ``losses`` — multiplied by the
    ``cotangent`` (for ``"none"``, an array of the shape of ``value``; else a scalar).
    """
    dtype = losses.dtype
    if is_numpy(xp) and reduction != "none" and not want_coef:
        return exact_value(losses, raw, mask, reduction, target,
                           dtype if result_dtype is None else result_dtype), None
    if (want_coef and mask is None and sw is None and scale is None and target is None
            and reduction != "none" and is_numpy(xp)):
        # unweighted, unmasked: every coefficient is the reduction's factor (as below)
        n = losses.size
        f = (np.ones((), dtype) if reduction == "sum" else
             np.ones((), dtype) / np.asarray(float(n), dtype) if n else np.zeros((), dtype))
        if cotangent is not None:
            with out_of_range(xp):
                f = f * cotangent
        return None, np.full(losses.shape, f, f.dtype)
    if mask is not None:
        fmask = xp.astype(mask, dtype)
        if reduction in ("sum_over_batch_size", "mean"):
            # Keras: valid samples weigh total/valid, so the mean runs over valid samples only
            n_values = float(size_of(fmask))
            valid = xp.sum(fmask)
            ratio = xp.where(valid > 0, n_values / xp.where(valid > 0, valid, 1.0), 0.0)
            fmask = fmask * xp.astype(ratio, dtype)
        if sw is None:
            sw = fmask
        else:
            fmask, sw = same_rank(xp, fmask, sw)
            sw = _broadcast_product(xp, sw, fmask)
    values, weights = losses, None
    if sw is not None:
        values, weights = same_rank(xp, losses, sw)
        values = _broadcast_product(xp, values, weights)
        weights = xp.broadcast_to(weights, values.shape)
    aligned = values.shape if weights is None else same_rank(xp, losses, sw)[0].shape

    def scaled(v: Any) -> Any:  # v times the weights' scale (may overflow: then inf is right)
        if scale is None:
            return v
        with out_of_range(xp):
            return v * scale

    if reduction == "none":
        value = scaled(values)
        if not want_coef:
            return value, None
        g = xp.ones_like(values) if cotangent is None else cotangent
        if tuple(g.shape) != tuple(values.shape):
            raise ValueError(
                f"grad_output must have the shape of the per-sample losses "
                f"{tuple(values.shape)}, got {tuple(g.shape)}"
            )
        coef = g if weights is None else scaled(g * weights)
    else:
        # the gradient needs the reduction's factor only, not its value
        total = None if want_coef else sum_all(xp, values)  # exact on Dask: chunk sums
        one = xp.asarray(1.0, dtype=dtype, device=device_of(values))
        value = None
        if reduction == "sum":
            factor = scaled(one)
            if total is not None:
                value = scaled(total)
        else:
            if reduction == "mean_with_sample_weight" and (weights is not None
                                                           or target is not None):
                # Σ w l / Σ w: the weights' scale cancels; with class weights each
                # sample's weight includes its target's class weight (PyTorch's mean)
                w = xp.ones_like(values) if weights is None else weights
                if target is not None:
                    w = _broadcast_product(xp, same_rank(xp, target, w)[0], w)
                divisor = sum_all(xp, w)
                rescale = False
            else:
                divisor = xp.asarray(float(size_of(values)), dtype=dtype,
                                     device=device_of(values))
                rescale = True
            nonzero = divisor != 0
            safe = xp.where(nonzero, divisor, xp.ones_like(divisor))
            # divide_no_nan: an empty batch or all-zero weights give 0, not 0/0
            zero = xp.zeros_like(divisor)
            factor = xp.where(nonzero, 1.0 / safe, zero)
            if total is not None:
                value = xp.where(nonzero, total / safe, zero)
            if rescale:
                factor = scaled(factor)
                value = None if value is None else scaled(value)
        if not want_coef:
            return value, None
        if cotangent is not None:
            with out_of_range(xp):
                factor = factor * cotangent
        with out_of_range(xp):
            coef = (xp.ones_like(values) if weights is None else weights) * factor
    coef = unbroadcast(xp, coef, tuple(aligned))
    return value, xp.reshape(coef, losses.shape)


def exact_value(losses: np.ndarray, raw: Any, mask: Any, reduction: str, target: Any,
                dtype: Any) -> np.ndarray:
    """A reduction of NumPy ``losses`` (not ``"none"``), exactly: as :func:`reduce`'s
    value, with the weighted sum ``S = Σ w l`` (``w``: the sample weights ``raw`` times
    the mask) and the divisor exact and their ratio rounded once to ``dtype``.

    The divisor is 1 for ``"sum"``; the number of values for the means (Keras: of the
    valid ones under a mask); for ``"mean_with_sample_weight"`` with weights or class
    weights, ``Σ w t`` (``t``: each sample's target class weight) — PyTorch's weighted mean.
    """
    if mask is None and raw is None and target is None and losses.size == 1:
        # one value over a count of one (a single row): the value, rounded once
        return np.asarray(losses.reshape(()), dtype)
    weights = None if mask is None else mask.astype(np.float64)
    if raw is not None:
        if weights is None:
            weights = raw
        else:
            m, r = same_rank(np, weights, raw)
            weights = _broadcast_product(np, r, m)  # times 0 or 1: exact
    values, shape = losses, tuple(losses.shape)
    if weights is not None:
        values, weights = same_rank(np, losses, weights)
        shape = _broadcast_shape(values, weights)
    total = dyadic_sum(values, weights)
    den: int | Fraction = 1
    if reduction == "mean_with_sample_weight" and (weights is not None or target is not None):
        w = np.ones(shape) if weights is None else np.broadcast_to(weights, shape)
        if target is not None:
            t, w = same_rank(np, np.asarray(target), w)
            _broadcast_shape(t, w)
            d = dyadic_sum(t, w)
        else:
            d = dyadic_sum(w)
        if isinstance(d, float):  # an infinite class weight
            return np.asarray(round_ratio(total, 1) / d, dtype)
        if d[0] == 0:  # divide_no_nan: no weight at all gives 0
            return np.zeros((), dtype)
        den = Fraction(d[0] << d[1]) if d[1] >= 0 else Fraction(d[0], 1 << -d[1])
    elif reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
        n_values = math.prod(shape)
        if mask is not None and reduction != "mean_with_sample_weight":
            valid = int(np.count_nonzero(mask))
            if valid == 0:
                return np.zeros((), dtype)
            den = Fraction(valid * n_values, mask.size)
        elif n_values == 0:
            return np.zeros((), dtype)
        else:
            den = n_values
    return np.asarray(round_ratio(total, den, dtype), dtype)


def _broadcast_shape(a: np.ndarray, w: np.ndarray) -> tuple[int, ...]:
    try:
        return np.broadcast_shapes(tuple(a.shape), tuple(w.shape))
    except ValueError:
        raise ValueError(
            f"sample_weight of shape {tuple(w.shape)} does not broadcast against the "
            f"per-sample losses of shape {tuple(a.shape)}"
        ) from None


def _broadcast_product(xp: Any, a: Any, w: Any) -> Any:
    try:
        shape = np.broadcast_shapes(tuple(a.shape), tuple(w.shape))
    except ValueError:
        raise ValueError(
            f"sample_weight of shape {tuple(w.shape)} does not broadcast against the "
            f"per-sample losses of shape {tuple(a.shape)}"
        ) from None
    return xp.broadcast_to(a, shape) * w


# -- the engine -----------------------------------------------------------------------------

def _to_last(xp: Any, a: Any, ax: int) -> Any:
    """``a`` with axis ``ax`` moved last (``a`` itself where it is last already)."""
    return a if ax == a.ndim - 1 else xp.moveaxis(a, ax, -1)


def run(core: Core, y_true: Any, y_pred: Any, opts: Mapping[str, Any], *, sparse: bool = False,
        axis: int = -1, reduction: str | None = None, sample_weight: Any = None,
        gradient: bool = False, grad_output: Any = None) -> Any:
    """Validate, align, evaluate ``core`` along ``axis`` and reduce (see the module doc).

    ``reduction=None`` returns the per-sample losses (the public functions); otherwise
    the reduced loss, or with ``gradient=True`` its derivative with respect to y_pred.

    When an input is being differentiated (a PyTorch tensor that requires grad, a JAX
    tracer), the value's derivative in ``y_pred`` is this function's own ``gradient=True``
    (see :func:`nnmath._array.with_vjp`); ``y_true`` and ``sample_weight`` must not be.
    """
    if not gradient and any(map(requires_grad, (y_pred, y_true, sample_weight))):
        kw = {"sparse": sparse, "axis": axis, "sample_weight": sample_weight}

        def forward(yp: Any) -> Any:
            return run(core, y_true, yp, opts, reduction=reduction, **kw)

        def vjp(inputs: tuple[Any, ...], g: Any) -> tuple[Any]:
            return (run(core, y_true, inputs[0], opts, reduction=reduction or "none",
                        gradient=True, grad_output=g, **kw),)

        return with_vjp(forward, vjp, (y_pred,),
                        {"y_true": y_true, "sample_weight": sample_weight}, names="y_pred")
    xp = namespace(y_true, y_pred, sample_weight)
    xp, yp, dtype = float_input(y_pred, "y_pred", xp=xp)
    shape = tuple(yp.shape)
    opts = dict(opts)
    if sparse:
        ax = check_axis(axis, yp.ndim, "axis")
        labels, valid = sparse_labels(xp, y_true, shape[ax], shape, ax,
                                      opts.get("ignore_class"))
        yt = labels
        opts["valid"] = valid
    else:
        _, yt, _ = float_input(y_true, "y_true", xp=xp)
        if yt.dtype != yp.dtype:
            yt = xp.astype(yt, yp.dtype)
        yt, yp = same_rank(xp, yt, yp)
        if tuple(yt.shape) != tuple(yp.shape):
            raise ValueError(
                f"y_true and y_pred must have the same shape, got y_true {tuple(yt.shape)} "
                f"and y_pred {shape}"
            )
        if yp.ndim == 0:
            raise ValueError("y_pred must have at least one dimension (the axis reduced)")
        ax = check_axis(axis, yp.ndim, "axis")
        yt = _to_last(xp, yt, ax)
    if yp.shape[ax] == 0:
        raise ValueError(f"y_pred has no elements along axis {axis}")
    yp_last = _to_last(xp, yp, ax)
    with fp_guard(xp):
        sw, scale, raw = sample_weights(xp, sample_weight, yp.dtype)
        losses, grad, mask = core(xp, yt, yp_last, opts, gradient)
        if reduction is None:
            return finish(xp, losses, dtype)
        cot = None
        if grad_output is not None:
            _, cot, _ = float_input(grad_output, "grad_output", xp=xp)
            cot = xp.astype(cot, yp.dtype) if cot.dtype != yp.dtype else cot
            if reduction != "none" and cot.ndim != 0:
                raise ValueError(
                    f"grad_output must be a scalar for reduction={reduction!r}, "
                    f"got shape {tuple(cot.shape)}"
                )
        target = None
        if reduction == "mean_with_sample_weight":
            target = target_weights(xp, yt, {**opts, "n_classes": shape[ax],
                                             "dtype": yp.dtype}, sparse)
        value, coef = reduce(xp, losses, sw, mask, reduction, cot, want_coef=gradient,
                             scale=scale, target=target, raw=raw, result_dtype=dtype)
        if not gradient:
            return finish(xp, value, dtype)
        if callable(grad):  # a fused gradient that takes the per-sample coefficients
            grad = grad(coef)
        else:
            grad = grad * xp.expand_dims(coef, axis=-1)
        if ax != len(shape) - 1:
            grad = xp.moveaxis(grad, -1, ax)
        return finish(xp, xp.reshape(grad, shape) if tuple(grad.shape) != shape else grad,
                      dtype)


# -- the base class -------------------------------------------------------------------------

_L = TypeVar("_L", bound="Loss")


class Loss:
    """Base class of the losses: a per-sample loss function, a reduction, a gradient.

    Subclasses set ``name`` (the registry name), ``formula`` (LaTeX), ``_params`` (the
    constructor parameters besides ``reduction`` and ``name``) and ``_core``.

    Parameters
    ----------
    reduction
        How the per-sample losses become the returned value: ``"sum_over_batch_size"``
        (default; ``"mean"`` is its alias) divides the weighted sum by the number of
        per-sample values, zero-weight samples included; ``"sum"``; ``"none"`` (or
        ``None``) returns the weighted per-sample losses; ``"mean_with_sample_weight"``
        divides the weighted sum by the sum of the weights.
    name
        A name for the instance (Keras compatibility); defaults to the registry name.

    Examples
    --------
    >>> from nnmath.losses import BinaryCrossentropy
    >>> y, p = [[1.0], [0.0], [1.0]], [[0.8], [0.4], [0.5]]
    >>> BinaryCrossentropy(reduction="none")(y, p)
    array([0.22314355, 0.51082562, 0.69314718])
    >>> print(f"{BinaryCrossentropy(reduction='sum')(y, p, sample_weight=[1, 0, 2]):.6f}")
    1.609438
    """

    name: str = ""
    formula: ClassVar[str] = ""
    _params: ClassVar[tuple[str, ...]] = ()
    _sparse: ClassVar[bool] = False

    def __init__(self, reduction: str | None = "sum_over_batch_size",
                 name: str | None = None) -> None:
        self.reduction = check_reduction(reduction)
        self.name = type(self).name if name is None else str(name)

    #: the per-sample loss and its gradient along the last axis (see the module doc);
    #: a plain function, always looked up on the class
    _core: ClassVar[Core]

    def _opts(self) -> dict[str, Any]:
        return {p: getattr(self, p) for p in self._params if p != "axis"}

    def _run(self, y_true: Any, y_pred: Any, **kw: Any) -> Any:
        return run(type(self)._core, y_true, y_pred, self._opts(), sparse=self._sparse,
                   axis=getattr(self, "axis", -1), **kw)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        """The per-sample losses, unweighted and unreduced (as Keras's ``Loss.call``)."""
        return self._run(y_true, y_pred)

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        """The reduced loss (a NumPy scalar) or, with ``reduction="none"``, the array of
        weighted per-sample losses."""
        return self._run(y_true, y_pred, reduction=self.reduction, sample_weight=sample_weight)

    def gradient(self, y_true: Any, y_pred: Any, sample_weight: Any = None, *,
                 grad_output: Any = None) -> Any:
        """``∂(reduced loss)/∂y_pred``, the shape and dtype of ``y_pred``.

        With ``from_logits=True`` this is the gradient with respect to the logits. For
        ``reduction="none"`` it is the gradient of ``sum(grad_output * losses)`` (the
        vector-Jacobian product; ``grad_output`` defaults to ones); for the other
        reductions ``grad_output`` is an optional scalar upstream gradient.
        """
        return self._run(y_true, y_pred, reduction=self.reduction, sample_weight=sample_weight,
                         gradient=True, grad_output=grad_output)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, so that ``type(l)(**l.get_config())`` equals ``l``."""
        config = {p: getattr(self, p) for p in self._params}
        config.update(reduction=self.reduction, name=self.name)
        return config

    @classmethod
    def from_config(cls: type[_L], config: Mapping[str, Any]) -> _L:
        """A loss from :meth:`get_config`'s dict (Keras's ``from_config``):
        ``type(l).from_config(l.get_config())`` equals ``l``. A ``dtype`` entry (Keras's
        configs may carry one) is ignored by a loss whose constructor takes none: nnmath
        computes in the inputs' dtype."""
        if not isinstance(config, Mapping):
            raise TypeError(f"config must be a dict, got {type(config).__name__}")
        config = dict(config)
        if "dtype" in config and "dtype" not in inspect.signature(cls).parameters:
            del config["dtype"]
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.get_config() == other.get_config()

    def __hash__(self) -> int:
        return hash((type(self), repr(self)))


class AxisLoss(Loss):
    """A loss whose one parameter besides ``reduction`` and ``name`` is ``axis``."""

    _params: ClassVar[tuple[str, ...]] = ("axis",)

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str | None = None,
                 *, axis: int = -1) -> None:
        super().__init__(reduction=reduction, name=name)
        self.axis = check_axis_type(axis)

"""nnmath's activations and losses as PyTorch operators (``torch.library.custom_op``).

Every operator runs nnmath's forward and has nnmath's analytic derivative as its backward
(``register_autograd``); a fake (meta) implementation gives ``torch.compile`` the output's
shape, so that a compiled model traces through them without a graph break.

Where the work is done:

* CPU tensors of float16, float32 or float64: the compiled core (NumPy ufuncs) runs on the
  tensor's own memory (``Tensor.numpy()`` shares it) and writes into a new tensor's memory
  (``out=`` of the ufunc on that tensor's NumPy view), without a copy; bfloat16 is computed
  in float32 by the core and rounded once;
* tensors on other devices (CUDA, MPS, ...): the plain ``xp`` formulas of nnmath on the
  tensors themselves (``array-api-compat``), on their device.

The operators carry an activation as its registry name and its configuration as a JSON
string (``get_config``), so that one operator serves every activation.
"""

from __future__ import annotations

import functools
import json
import math
from typing import Any

import numpy as np
import torch

from .. import _core
from .. import activations as A
from .. import losses as L
from ..activations import _axis
from ..losses import _crossentropy

__all__ = ["activation", "activation_backward", "loss", "loss_backward", "prelu",
           "prelu_backward"]

#: the dtypes the core computes on directly; bfloat16 goes through float32
_CORE_DTYPES = (torch.float16, torch.float32, torch.float64)
_AXIS = ("softmax", "log_softmax", "softmin", "sparsemax", "glu")


@functools.lru_cache(maxsize=512)
def instance(name: str, config: str) -> Any:
    """The activation of registry name ``name`` with the JSON configuration ``config``."""
    return A.REGISTRY[name].from_config(json.loads(config))


def _on_core(x: torch.Tensor) -> bool:
    return x.device.type == "cpu" and (x.dtype in _CORE_DTYPES or x.dtype == torch.bfloat16)


def _numpy_view(x: torch.Tensor) -> np.ndarray:
    """``x``'s memory as a NumPy array (no copy for the core's dtypes)."""
    x = x.detach()
    if x.dtype == torch.bfloat16:
        x = x.float()
    return x.numpy()


def _new(like: torch.Tensor, shape: tuple[int, ...] | None = None) -> torch.Tensor:
    if shape is None:
        return torch.empty_like(like)
    return torch.empty(shape, dtype=like.dtype, device=like.device)


_NUMPY_DTYPES = {torch.float16: np.float16, torch.float32: np.float32,
                 torch.float64: np.float64}


def _result(like: torch.Tensor, shape: tuple[int, ...] | None = None) -> torch.Tensor:
    """A new CPU tensor for a result computed by the core (never a fake tensor): of a MiB or
    more, and for a contiguous ``like``, on an array from the core's cache of freed result
    blocks (``nnmath.set_buffer_cache``), whose memory goes back there when the tensor is
    freed; otherwise as :func:`_new`."""
    dt = _NUMPY_DTYPES.get(like.dtype)
    size = like.numel() if shape is None else math.prod(shape)
    if (dt is not None and like.device.type == "cpu" and like.is_contiguous()
            and size * like.element_size() >= _core.BUFFERED):
        return torch.from_numpy(_core.empty(tuple(like.shape) if shape is None else shape, dt))
    return _new(like, shape)


def _write(out: torch.Tensor, fill: Any) -> torch.Tensor:
    """Run ``fill(out_numpy)`` into ``out``'s memory (through float32 for bfloat16)."""
    if out.dtype == torch.bfloat16:
        buf = torch.empty(out.shape, dtype=torch.float32)
        fill(buf.numpy())
        out.copy_(buf)
    else:
        fill(out.numpy())
    return out


def _check_float(x: torch.Tensor, name: str = "x") -> None:
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")


def _glu_shape(x: torch.Tensor, axis: int) -> tuple[int, ...]:
    shape = list(x.shape)
    ax = axis % x.ndim if x.ndim else 0
    if x.ndim == 0 or shape[ax] % 2:
        raise ValueError(f"glu needs an even size along axis, got shape {tuple(x.shape)}")
    shape[ax] //= 2
    return tuple(shape)


def _out_shape(x: torch.Tensor, name: str, config: str) -> tuple[int, ...] | None:
    if name == "glu":
        return _glu_shape(x, json.loads(config)["axis"])
    return None


# -- activations ------------------------------------------------------------------------------

@torch.library.custom_op("nnmath::activation", mutates_args=())
def activation(x: torch.Tensor, name: str, config: str) -> torch.Tensor:
    """The activation ``name`` (configuration ``config``, JSON) of ``x``."""
    _check_float(x)
    act = instance(name, config)
    if not _on_core(x):
        return act(x.detach())
    xn = _numpy_view(x)
    out = _result(x, _out_shape(x, name, config))
    params = act.get_config()
    fn = A._FUNCTIONS[name]
    if name == "glu":  # the halves as views (no copy) into the core's ufunc
        a, b = _glu_halves(xn, act.axis)
        return _write(out, lambda o: _core.glu(a, b, out=o))
    plan = getattr(act, "_plan", None)
    if name == "rrelu" and plan is not None:  # evaluation mode: the core's leaky ReLU
        return _write(out, lambda o: plan[0](xn, *plan[3], out=o))
    if name in ("prelu", "rrelu"):
        return _write(out, lambda o: np.copyto(o, act(xn)))
    return _write(out, lambda o: fn(xn, **params, out=o))


def _glu_halves(a: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """The two halves of ``a`` along ``axis`` (views)."""
    ax = axis % a.ndim
    h = a.shape[ax] // 2
    first, second = [slice(None)] * a.ndim, [slice(None)] * a.ndim
    first[ax], second[ax] = slice(0, h), slice(h, None)
    return a[tuple(first)], a[tuple(second)]


@activation.register_fake
def _(x: torch.Tensor, name: str, config: str) -> torch.Tensor:
    return _new(x, _out_shape(x, name, config))


@torch.library.custom_op("nnmath::activation_backward", mutates_args=())
def activation_backward(x: torch.Tensor, grad_output: torch.Tensor, name: str,
                        config: str) -> torch.Tensor:
    """nnmath's vector-Jacobian product ``backward(x, grad_output)`` of the activation."""
    act = instance(name, config)
    g = grad_output
    if not _on_core(x):
        return act.backward(x.detach(), g.detach().to(x.dtype))
    xn = _numpy_view(x)
    gn = _numpy_view(g.to(x.dtype))
    out = _result(x)
    if name == "glu" and xn.dtype == gn.dtype:  # the halves of x and of out as views
        a, b = _glu_halves(xn, act.axis)
        return _write(out, lambda o: _core.glu_backward(a, b, gn,
                                                        out=_glu_halves(o, act.axis)))
    if name in _AXIS:
        return _write(out, lambda o: _axis.axis_run(name, "vjp", xn, act.axis, gn, out=o))
    plan = getattr(act, "_plan", None)
    if plan is not None and xn.dtype == gn.dtype:
        return _write(out, lambda o: plan[2](xn, gn, *plan[3], out=o))
    return _write(out, lambda o: np.copyto(o, act.backward(xn, gn)))


@activation_backward.register_fake
def _(x: torch.Tensor, grad_output: torch.Tensor, name: str, config: str) -> torch.Tensor:
    return _new(x)


def _activation_setup(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
    x, name, config = inputs
    ctx.save_for_backward(x)
    ctx.name, ctx.config = name, config


def _activation_grad(ctx: Any, g: torch.Tensor) -> tuple[Any, None, None]:
    (x,) = ctx.saved_tensors
    return activation_backward(x, g, ctx.name, ctx.config), None, None


activation.register_autograd(_activation_grad, setup_context=_activation_setup)


# -- second derivatives: the derivative of ``backward(x, g) = g f'(x)`` -----------------------

#: piecewise-linear activations: ``f'' = 0`` (also at the kinks)
_LINEAR_PIECES = ("relu", "relu6", "leaky_relu", "rrelu", "hard_tanh", "hard_sigmoid",
                  "sparse_sigmoid", "threshold", "hard_shrink", "soft_shrink", "linear")
#: the activations without a second derivative here (a clear error instead)
_NO_SECOND = ("mish", *_AXIS)


def _second_derivative(name: str, act: Any, config: str, x: torch.Tensor) -> torch.Tensor:
    """``f''(x)`` of the elementwise activation ``act``, from its closed form (the first
    derivative ``d1 = f'(x)`` comes from nnmath; away from 0 ``x`` is exact)."""
    if name in _LINEAR_PIECES:
        return torch.zeros_like(x)
    if (name == "gelu" and act.approximate) or name in _NO_SECOND:
        what = "gelu(approximate=True)" if name == "gelu" else name
        raise RuntimeError(f"nnmath.torch defines no second derivative of {what}")
    d1 = activation_backward(x, torch.ones_like(x), name, config)
    if name == "sigmoid":  # σ'' = σ'(1 - 2σ) = -σ' tanh(x/2)
        return -d1 * torch.tanh(x / 2)
    if name == "log_sigmoid":  # (σ(-x))' = -σ'(x)
        return -d1 * (1 - d1)
    if name == "softplus":  # β σ'(βx), σ(βx) = f'
        return act.beta * d1 * (1 - d1)
    if name == "tanh":
        return -2 * torch.tanh(x) * d1
    if name == "tanh_shrink":  # (tanh²)' = 2 tanh sech²
        t = torch.tanh(x)
        return 2 * t * (1 - t * t)
    if name in ("elu", "selu"):
        return torch.where(x > 0, torch.zeros_like(x), d1)
    if name == "celu":
        return torch.where(x > 0, torch.zeros_like(x), d1 / act.alpha)
    if name in ("silu", "swish"):  # σ'(x)(2 + x(1 - 2σ(x)))
        s = torch.sigmoid(x)
        return s * (1 - s) * (2 + x * (1 - 2 * s))
    if name == "gelu":  # φ(x)(2 - x²)
        return torch.exp(-0.5 * x * x) * (2 - x * x) / math.sqrt(2 * math.pi)
    if name == "exponential":
        return d1
    if name == "softsign":
        return -2 * torch.sign(x) / (1 + x.abs()) ** 3
    if name == "squareplus":
        b = act.b
        return b / (2 * (x * x + b) ** 1.5) if b else torch.zeros_like(x)
    if name == "sparse_plus":
        return torch.where(x.abs() < 1, torch.full_like(x, 0.5), torch.zeros_like(x))
    if name in ("hard_silu", "hard_swish"):
        return torch.where(x.abs() < 3, torch.full_like(x, 1 / 3), torch.zeros_like(x))
    raise RuntimeError(f"nnmath.torch defines no second derivative of {name}")


def _backward_setup(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
    x, g, name, config = inputs
    ctx.save_for_backward(x, g)
    ctx.name, ctx.config = name, config


def _backward_grad(ctx: Any, gg: torch.Tensor) -> tuple[Any, Any, None, None]:
    """The derivatives of ``g f'(x)``: ``g f''(x) gg`` in ``x``, ``f'(x) gg`` in ``g``."""
    x, g = ctx.saved_tensors
    name, config = ctx.name, ctx.config
    act = instance(name, config)
    if name in _NO_SECOND:
        _second_derivative(name, act, config, x)  # raises
    gx = gg * g * _second_derivative(name, act, config, x.detach())
    gg_out = activation_backward(x, gg, name, config)
    return gx, gg_out, None, None


activation_backward.register_autograd(_backward_grad, setup_context=_backward_setup)


# -- prelu: the slope is a tensor (a learnable weight, RReLU's draws) ---------------------------

@torch.library.custom_op("nnmath::prelu", mutates_args=())
def prelu(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """``x`` where ``x > 0``, ``weight * x`` elsewhere (``weight`` broadcast against ``x``)."""
    _check_float(x)
    if not _on_core(x):
        return A.PReLU(weight.detach())(x.detach())
    xn, wn = _numpy_view(x), _numpy_view(weight.to(x.device))
    return _write(_result(x), lambda o: A.prelu(xn, wn, out=o))


@prelu.register_fake
def _(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    return _new(x)


@torch.library.custom_op("nnmath::prelu_backward", mutates_args=())
def prelu_backward(x: torch.Tensor, weight: torch.Tensor,
                   grad_output: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The gradients of :func:`prelu` in ``x`` and in ``weight`` (summed to its shape)."""
    if not _on_core(x):
        act = A.PReLU(weight.detach())
        g = grad_output.detach().to(x.dtype)
        gw = act.weight_gradient(x.detach(), g)
        return act.backward(x.detach(), g), gw.to(weight.dtype).reshape(weight.shape)
    xn, gn = _numpy_view(x), _numpy_view(grad_output.to(x.dtype))
    act = A.PReLU(_numpy_view(weight))
    gx = _write(_result(x), lambda o: np.copyto(o, act.backward(xn, gn)))
    gw = torch.from_numpy(np.asarray(act.weight_gradient(xn, gn)).reshape(weight.shape))
    return gx, gw.to(weight.dtype)


@prelu_backward.register_fake
def _(x: torch.Tensor, weight: torch.Tensor,
      grad_output: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return _new(x), _new(weight)


def _prelu_setup(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
    ctx.save_for_backward(*inputs)


def _prelu_grad(ctx: Any, g: torch.Tensor) -> tuple[Any, Any]:
    x, w = ctx.saved_tensors
    gx, gw = prelu_backward(x, w, g)
    return gx, gw


prelu.register_autograd(_prelu_grad, setup_context=_prelu_setup)


# -- losses -------------------------------------------------------------------------------------

def _loss_instance(config: str, weight: torch.Tensor | None, sparse: bool) -> Any:
    """nnmath's loss for PyTorch's ``cross_entropy`` with the JSON ``config``."""
    c = json.loads(config)
    cw = None if weight is None else _numpy_view(weight.cpu()).astype(np.float64)
    if c["kind"] == "bce_logits":
        return None
    if sparse:
        reduction = {"none": "none", "sum": "sum"}.get(
            c["reduction"], "sum_over_batch_size" if cw is None else "mean_with_sample_weight")
        return L.SparseCategoricalCrossentropy(
            from_logits=True, ignore_class=c["ignore_index"], reduction=reduction,
            axis=c["axis"], label_smoothing=c["label_smoothing"], class_weight=cw)
    # class probabilities: the mean is over the samples, weighted or not (PyTorch)
    reduction = {"none": "none", "sum": "sum"}.get(c["reduction"], "sum_over_batch_size")
    return L.CategoricalCrossentropy(
        from_logits=True, label_smoothing=c["label_smoothing"], axis=c["axis"],
        reduction=reduction, class_weight=cw)


def _loss_shape(x: torch.Tensor, config: str) -> tuple[int, ...]:
    c = json.loads(config)
    if c["reduction"] != "none":
        return ()
    if c["kind"] in ("bce_logits", "bce", "kl_div"):
        return tuple(x.shape)
    shape = list(x.shape)
    del shape[c["axis"]]
    return tuple(shape)


def _as_numpy_or_tensor(t: torch.Tensor, core: bool) -> Any:
    return _numpy_view(t) if core else t.detach()


def _loss_inputs(x: torch.Tensor, target: torch.Tensor) -> tuple[bool, Any, Any, bool]:
    core = _on_core(x) and target.device.type == "cpu"
    sparse = not target.is_floating_point()
    xin = _as_numpy_or_tensor(x, core)
    if sparse:
        tin = target.detach().numpy() if core else target.detach()
    else:
        tin = _as_numpy_or_tensor(target.to(x.dtype), core)
    return core, xin, tin, sparse


def _bce_terms(xp: Any, z: Any, y: Any, pos_weight: Any, need_grad: bool) -> tuple[Any, Any]:
    return _crossentropy.binary_terms(xp, y, z, True, pos_weight, need_grad,
                                      "binary_cross_entropy_with_logits")


def _bce_prepare(x: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None,
                 pos_weight: torch.Tensor | None) -> tuple[Any, Any, Any, Any, Any, bool]:
    from .._array import namespace

    core = _on_core(x) and target.device.type == "cpu"
    z = _as_numpy_or_tensor(x, core)
    y = _as_numpy_or_tensor(target.to(x.dtype), core)
    xp = np if core else namespace(z)
    pw = None if pos_weight is None else _as_numpy_or_tensor(pos_weight.to(x.dtype), core)
    w = None if weight is None else _as_numpy_or_tensor(weight.to(x.dtype), core)
    return xp, z, y, pw, w, core


def _bce_core(x: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None,
              pos_weight: torch.Tensor | None, c: dict[str, Any]) -> tuple[Any, ...] | None:
    """``(z, y, general)`` for the core's row sums and fused gradients of the binary terms
    (``_crossentropy.bce_row_sums`` / ``bce_row_grads``), or None where they do not apply:
    ``reduction="none"``, a ``weight``, a ``pos_weight`` other than one value or one per
    element of the last dimension, tensors off the CPU, bfloat16."""
    if (c["reduction"] == "none" or weight is not None or x.ndim == 0 or x.numel() == 0
            or x.dtype not in _CORE_DTYPES or target.device.type != "cpu"
            or not _on_core(x) or tuple(target.shape) != tuple(x.shape)):
        return None
    n = x.shape[-1]
    general = None
    if pos_weight is not None:
        if pos_weight.ndim > 1 or pos_weight.numel() not in (1, n) or \
                pos_weight.device.type != "cpu":
            return None
        pw = pos_weight.detach().to(torch.float64).numpy().reshape(-1)
        general = (np.broadcast_to(pw, (n,)), 0.0, 0.0)
    return _numpy_view(x), _numpy_view(target.to(x.dtype)), general


def _finish(y: Any, like: torch.Tensor) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(y)) if isinstance(y, (np.ndarray, np.generic)) else y
    return t.to(dtype=like.dtype, device=like.device)


# -- the losses of PyTorch on log-probabilities and probabilities ------------------------------
# (NLLLoss, BCELoss, KLDivLoss: linear or elementwise in their input, computed with the
# tensor's own operations on any device; the backward is their closed-form derivative)

def _reduce(e: torch.Tensor, reduction: str, divisor: Any, g: torch.Tensor | None) -> Any:
    """The value of ``reduction`` of the elementwise ``e`` (``g`` None), or the coefficient
    of each element in its derivative (times the upstream ``g``)."""
    if g is None:
        if reduction == "none":
            return e
        total = e.sum()
        return total if reduction == "sum" else total / divisor
    if reduction == "none":
        return g
    return g if reduction == "sum" else g / divisor


def _nll(x: torch.Tensor, t: torch.Tensor, weight: torch.Tensor | None, c: dict[str, Any],
         g: torch.Tensor | None) -> torch.Tensor:
    """``-w[t] x[t]`` per sample (0 where ``t`` is ``ignore_index``); the mean divides by the
    sum of the kept samples' weights."""
    keep = t != c["ignore_index"]
    safe = torch.where(keep, t, torch.zeros_like(t))
    if safe.numel() and int(safe.min()) < 0:
        raise IndexError("target has a class index below 0")
    if safe.numel() and int(safe.max()) >= x.shape[1]:
        raise IndexError(f"target has a class index >= the number of classes {x.shape[1]}")
    w = (torch.ones((), dtype=x.dtype, device=x.device) if weight is None
         else weight.to(x.dtype))
    wt = torch.where(keep, w[safe] if weight is not None else w.expand(t.shape),
                     torch.zeros((), dtype=x.dtype, device=x.device))
    divisor = wt.sum()
    if g is None:
        picked = torch.gather(x, 1, safe.unsqueeze(1)).squeeze(1)
        return _reduce(-wt * picked, c["reduction"], divisor, None)
    coef = _reduce(wt, c["reduction"], divisor, g)
    grad = torch.zeros_like(x)
    grad.scatter_(1, safe.unsqueeze(1), (-wt * coef).unsqueeze(1))
    return grad


_LOG_FLOOR = -100.0  # PyTorch's floor of the logarithms of BCELoss


def _bce(p: torch.Tensor, y: torch.Tensor, weight: torch.Tensor | None, c: dict[str, Any],
         g: torch.Tensor | None) -> torch.Tensor:
    """``-(y log p + (1 - y) log(1 - p))`` with each log floored at -100 (PyTorch), the
    second through ``log1p``; the derivative is that of this function (0 where a log is
    floored). The temporaries are updated in place (each full-size allocation costs a pass
    of page faults)."""
    if p.numel():
        lo, hi = torch.aminmax(p)  # one pass (NaN compares false, as elementwise)
        if bool(lo < 0) or bool(hi > 1):
            raise ValueError("all elements of input should be between 0 and 1")
    y = y.to(p.dtype)
    w = None if weight is None else torch.broadcast_to(weight.to(p.dtype), p.shape)
    lp = torch.log(p)
    lq = torch.neg(p).log1p_()
    if g is None:
        # y lp + (1 - y) lq, the logs floored (never lq + y (lp - lq): it cancels)
        e = lp.clamp_min_(_LOG_FLOOR).mul_(y).add_(
            torch.rsub(y, 1).mul_(lq.clamp_min_(_LOG_FLOOR)))
        if w is not None:
            e.mul_(w)
        if c["reduction"] == "none":
            return e.neg_()
        return -_reduce(e, c["reduction"], p.numel(), None)
    # d/dp = -y/p where log p is not floored and y != 0, + (1-y)/(1-p) likewise for log(1-p)
    zero = torch.zeros((), dtype=p.dtype, device=p.device)
    dp = torch.where((lp > _LOG_FLOOR) & (y != 0), y.div(p).neg_(), zero)
    dq = torch.where((lq > _LOG_FLOOR) & (y != 1), torch.rsub(y, 1).div_(torch.rsub(p, 1)),
                     zero)
    d = dp.add_(dq)
    if w is not None:
        d.mul_(w)
    return d.mul_(_reduce(p, c["reduction"], p.numel(), g))


def _kl_div(x: torch.Tensor, t: torch.Tensor, weight: torch.Tensor | None,
            c: dict[str, Any], g: torch.Tensor | None) -> torch.Tensor:
    """``t (log t - x)`` (0 where ``t = 0``), or ``e^t (t - x)`` with ``log_target``;
    ``batchmean`` divides the sum by the batch size, ``mean`` by the number of elements."""
    t = t.to(x.dtype)
    reduction = c["reduction"]
    n = x.numel() if reduction == "mean" else (x.shape[0] if x.ndim else 1)
    red = "mean" if reduction in ("mean", "batchmean") else reduction
    if g is None:
        e = torch.exp(t) * (t - x) if c["log_target"] else torch.xlogy(t, t) - t * x
        return _reduce(e, red, n, None)
    dt = -torch.exp(t) if c["log_target"] else -t
    return dt * _reduce(x, red, n, g)


_TORCH_KINDS: dict[str, Any] = {"nll": _nll, "bce": _bce, "kl_div": _kl_div}


@torch.library.custom_op("nnmath::loss", mutates_args=())
def loss(x: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None,
         pos_weight: torch.Tensor | None, config: str) -> torch.Tensor:
    """PyTorch's ``cross_entropy`` or ``binary_cross_entropy_with_logits`` (``config``'s
    ``kind``) computed by nnmath."""
    _check_float(x, "input")
    c = json.loads(config)
    if c["kind"] in _TORCH_KINDS:
        return _TORCH_KINDS[c["kind"]](x.detach(), target.detach(), weight, c, None)
    if c["kind"] == "bce_logits":
        fast = _bce_core(x, target, weight, pos_weight, c)
        if fast is not None:
            sums = _crossentropy.bce_row_sums(*fast)
            if not np.isnan(sums).any():  # else a target outside [0, 1]: the formulas
                total = float(np.sum(sums))
                if c["reduction"] == "mean":
                    total /= x.numel()
                return torch.tensor(total, dtype=x.dtype)
        xp, z, y, pw, w, core = _bce_prepare(x, target, weight, pos_weight)
        e, _ = _bce_terms(xp, z, y, pw, False)
        if w is not None:
            e = e * w
        if c["reduction"] == "none":
            return _finish(e, x)
        total = xp.sum(e)
        if c["reduction"] == "mean":
            total = total / max(int(np.prod(tuple(e.shape))), 1)
        return _finish(total, x)
    core, xin, tin, sparse = _loss_inputs(x, target)
    value = _loss_instance(config, weight, sparse)(tin, xin)
    return _finish(np.asarray(value) if core else value, x)


@loss.register_fake
def _(x: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None,
      pos_weight: torch.Tensor | None, config: str) -> torch.Tensor:
    return x.new_empty(_loss_shape(x, config))


@torch.library.custom_op("nnmath::loss_backward", mutates_args=())
def loss_backward(x: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None,
                  pos_weight: torch.Tensor | None, grad_output: torch.Tensor,
                  config: str) -> torch.Tensor:
    """The gradient of :func:`loss` in ``x``: nnmath's fused gradient times ``grad_output``."""
    c = json.loads(config)
    if c["kind"] in _TORCH_KINDS:
        return _TORCH_KINDS[c["kind"]](x.detach(), target.detach(), weight, c,
                                       grad_output.detach().to(x.dtype))
    if c["kind"] == "bce_logits":
        fast = _bce_core(x, target, weight, pos_weight, c)
        if fast is not None and bool(torch.isfinite(grad_output).all()):
            z = fast[0]
            coef = float(grad_output) / (x.numel() if c["reduction"] == "mean" else 1)
            per_row = np.full(z.shape[:-1], coef, dtype=z.dtype)
            grad = _crossentropy.bce_row_grads(z, fast[1], per_row, fast[2])
            if not np.isnan(grad).any():  # else a target outside [0, 1]: the formulas
                return _finish(grad, x)
        xp, z, y, pw, w, core = _bce_prepare(x, target, weight, pos_weight)
        _, de = _bce_terms(xp, z, y, pw, True)
        g = _as_numpy_or_tensor(grad_output.to(x.dtype), core)
        if c["reduction"] == "mean":
            g = g / max(int(np.prod(tuple(z.shape))), 1)
        coef = g if w is None else g * w
        return _finish(de * coef, x)
    core, xin, tin, sparse = _loss_inputs(x, target)
    g = _as_numpy_or_tensor(grad_output.to(x.dtype), core)
    grad = _loss_instance(config, weight, sparse).gradient(tin, xin, grad_output=g)
    return _finish(grad, x)


@loss_backward.register_fake
def _(x: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None,
      pos_weight: torch.Tensor | None, grad_output: torch.Tensor,
      config: str) -> torch.Tensor:
    return _new(x)


# -- second derivatives of cross_entropy and binary_cross_entropy_with_logits ---------------
# Both gradients have the form ``c (s softmax(z) - a)`` (cross-entropy, per sample, along the
# classes) or ``c (k σ(z) - a)`` (binary, per element), with ``s``, ``k`` and ``a`` not
# depending on the logits: the derivative of ``<gradient, v>`` in ``z`` is
# ``c s (p v - p <p, v>)`` or ``c k σ'(z) v``, and the gradient is linear in ``grad_output``.

def _coefficient(c: dict[str, Any], go: torch.Tensor, count: Any) -> torch.Tensor:
    """The factor of each sample's gradient from the reduction and ``grad_output``."""
    if c["reduction"] != "mean":  # "none": go per sample; "sum": one go for all
        return go
    return go / count if isinstance(count, int) else torch.where(
        count > 0, go / torch.where(count > 0, count, torch.ones_like(count)),
        torch.zeros_like(count))


def _ce_hvp(x: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None,
            go: torch.Tensor, v: torch.Tensor, c: dict[str, Any]) -> torch.Tensor:
    """The derivative of ``<loss_backward(x, go), v>`` in ``x`` for ``cross_entropy``
    (classes along dimension 1)."""
    n_classes = x.shape[1]
    eps = float(c["label_smoothing"])
    w = (torch.ones(n_classes, dtype=x.dtype, device=x.device) if weight is None
         else weight.to(x.dtype))
    wshape = (1, n_classes) + (1,) * (x.ndim - 2)
    count: Any
    if target.is_floating_point():  # class probabilities, smoothed towards 1/C
        y = (1 - eps) * target.to(x.dtype) + eps / n_classes
        s = (w.reshape(wshape) * y).sum(1)
        count = s.numel()
    else:
        keep = target != c["ignore_index"]
        safe = torch.where(keep, target, torch.zeros_like(target))
        wt = torch.where(keep, w[safe], torch.zeros((), dtype=x.dtype, device=x.device))
        s = (1 - eps) * wt + torch.where(keep, eps / n_classes * w.sum(),
                                         torch.zeros((), dtype=x.dtype, device=x.device))
        count = wt.sum()
    coef = s * _coefficient(c, go.to(x.dtype), count)
    p = torch.softmax(x, dim=1)
    pv = p * v
    return coef.unsqueeze(1) * (pv - p * pv.sum(1, keepdim=True))


def _bce_hvp(x: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None,
             pos_weight: torch.Tensor | None, go: torch.Tensor, v: torch.Tensor,
             c: dict[str, Any]) -> torch.Tensor:
    """The derivative of ``<loss_backward(x, go), v>`` in ``x`` for
    ``binary_cross_entropy_with_logits``: ``c w (1 + (pw - 1) y) σ'(x) v``."""
    y = target.to(x.dtype)
    k = torch.ones_like(x) if pos_weight is None else 1 + (pos_weight.to(x.dtype) - 1) * y
    if weight is not None:
        k = k * weight.to(x.dtype)
    sig = torch.sigmoid(x)
    return _coefficient(c, go.to(x.dtype), x.numel()) * k * sig * (1 - sig) * v


def _loss_backward_setup(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
    x, target, weight, pos_weight, grad_output, config = inputs
    ctx.save_for_backward(x, target, weight, pos_weight, grad_output)
    ctx.config = config


def _loss_backward_grad(ctx: Any, v: torch.Tensor) -> tuple[Any, None, None, None, Any, None]:
    """The derivatives of ``loss_backward`` in ``x`` (the Hessian of the loss times ``v``)
    and in ``grad_output`` (the gradient is linear in it)."""
    x, target, weight, pos_weight, go = ctx.saved_tensors
    c = json.loads(ctx.config)
    if c["kind"] == "cross_entropy":
        gx = _ce_hvp(x, target, weight, go, v, c)
    elif c["kind"] == "bce_logits":
        gx = _bce_hvp(x, target, weight, pos_weight, go, v, c)
    else:
        name = {"nll": "nll_loss", "bce": "binary_cross_entropy"}.get(c["kind"], c["kind"])
        raise RuntimeError(f"nnmath.torch defines no second derivative of {name}")
    unit = loss_backward(x, target, weight, pos_weight, torch.ones_like(go), ctx.config)
    if c["reduction"] != "none":
        ggo = (unit * v).sum().reshape(go.shape)
    elif c["kind"] == "cross_entropy":
        ggo = (unit * v).sum(1)
    else:
        ggo = unit * v
    return gx, None, None, None, ggo, None


loss_backward.register_autograd(_loss_backward_grad, setup_context=_loss_backward_setup)


def _loss_setup(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
    x, target, weight, pos_weight, config = inputs
    ctx.save_for_backward(x, target, weight, pos_weight)
    ctx.config = config


def _loss_grad(ctx: Any, g: torch.Tensor) -> tuple[Any, None, None, None, None]:
    x, target, weight, pos_weight = ctx.saved_tensors
    return loss_backward(x, target, weight, pos_weight, g, ctx.config), None, None, None, None


loss.register_autograd(_loss_grad, setup_context=_loss_setup)


# -- nnmath's own losses (Keras's semantics) --------------------------------------------------

#: the loss instances the operator computes, by their ``repr`` (their whole configuration)
LOSSES: dict[str, Any] = {}


def register_loss(loss: Any) -> str:
    """The key under which :func:`keras_loss` finds the nnmath ``Loss`` instance ``loss``."""
    key = repr(loss)
    LOSSES.setdefault(key, loss)
    return key


def _keras_inputs(y_true: torch.Tensor, y_pred: torch.Tensor,
                  sample_weight: torch.Tensor | None) -> tuple[Any, Any, Any]:
    core = _on_core(y_pred) and y_true.device.type == "cpu" and (
        sample_weight is None or sample_weight.device.type == "cpu")
    if not core:
        sw: Any = None if sample_weight is None else sample_weight.detach()
        return y_true.detach(), y_pred.detach(), sw
    yt = _numpy_view(y_true) if y_true.is_floating_point() else y_true.detach().numpy()
    swn = None if sample_weight is None else _numpy_view(sample_weight)
    return yt, _numpy_view(y_pred), swn


@torch.library.custom_op("nnmath::keras_loss", mutates_args=())
def keras_loss(y_true: torch.Tensor, y_pred: torch.Tensor, sample_weight: torch.Tensor | None,
               key: str) -> torch.Tensor:
    """The nnmath loss registered under ``key`` (see :func:`register_loss`), reduced as its
    ``reduction`` says."""
    _check_float(y_pred, "y_pred")
    yt, yp, sw = _keras_inputs(y_true, y_pred, sample_weight)
    return _finish(LOSSES[key](yt, yp, sample_weight=sw), y_pred)


@keras_loss.register_fake
def _(y_true: torch.Tensor, y_pred: torch.Tensor, sample_weight: torch.Tensor | None,
      key: str) -> torch.Tensor:
    loss = LOSSES[key]
    if loss.reduction != "none":
        return y_pred.new_empty(())
    shape = list(y_pred.shape)
    del shape[getattr(loss, "axis", -1)]
    return y_pred.new_empty(tuple(shape))


@torch.library.custom_op("nnmath::keras_loss_backward", mutates_args=())
def keras_loss_backward(y_true: torch.Tensor, y_pred: torch.Tensor,
                        sample_weight: torch.Tensor | None, grad_output: torch.Tensor,
                        key: str) -> torch.Tensor:
    """The loss's ``gradient`` in ``y_pred`` with the upstream ``grad_output``."""
    yt, yp, sw = _keras_inputs(y_true, y_pred, sample_weight)
    g = grad_output.to(y_pred.dtype)
    gin = _numpy_view(g) if isinstance(yp, np.ndarray) else g.detach()
    return _finish(LOSSES[key].gradient(yt, yp, sw, grad_output=gin), y_pred)


@keras_loss_backward.register_fake
def _(y_true: torch.Tensor, y_pred: torch.Tensor, sample_weight: torch.Tensor | None,
      grad_output: torch.Tensor, key: str) -> torch.Tensor:
    return _new(y_pred)


def _keras_setup(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
    y_true, y_pred, sample_weight, key = inputs
    ctx.save_for_backward(y_true, y_pred, sample_weight)
    ctx.key = key


def _keras_grad(ctx: Any, g: torch.Tensor) -> tuple[None, Any, None, None]:
    y_true, y_pred, sample_weight = ctx.saved_tensors
    return None, keras_loss_backward(y_true, y_pred, sample_weight, g, ctx.key), None, None


keras_loss.register_autograd(_keras_grad, setup_context=_keras_setup)

"""nnmath for PyTorch: differentiable activations and losses, and ``nn.Module`` classes.

Every activation of :data:`nnmath.activations.REGISTRY` is a function here,
``nnmath.torch.NAME(x, **params)`` with nnmath's parameters, whose backward is nnmath's
analytic derivative (its ``backward(x, g)``, bit for bit on CPU). The ``nn.Module``
classes carry PyTorch's names, signatures and defaults, so that replacing ``torch.nn.GELU``
by ``nnmath.torch.GELU`` is a one-line change.

The functions are PyTorch operators (``torch.library.custom_op``, namespace ``nnmath``):
``torch.compile`` traces them without a graph break. CPU tensors of float16, float32 and
float64 run the compiled core on the tensor's own memory (no copy; bfloat16 through
float32); tensors on other devices run nnmath's plain ``xp`` formulas on their device.
Second derivatives exist for the elementwise activations except ``mish`` and
``gelu(approximate=True)``, and for ``cross_entropy`` and
``binary_cross_entropy_with_logits`` (in the logits); the activations along an axis and the
other losses have first derivatives only (differentiating their backward raises).

Importing :mod:`nnmath` does not import PyTorch; importing this module does.

>>> import torch
>>> import nnmath.torch as nt
>>> x = torch.tensor([-1.0, 0.0, 2.0], dtype=torch.float64, requires_grad=True)
>>> y = nt.GELU()(x)
>>> y.sum().backward()
>>> x.grad
tensor([-0.0833,  0.5000,  1.0852], dtype=torch.float64)
"""

from __future__ import annotations

import functools
import json
import warnings
from typing import Any

try:
    import torch
    from torch import nn
except ImportError as error:  # pragma: no cover - the tests run with PyTorch or skip
    raise ImportError("nnmath.torch needs PyTorch: pip install torch") from error

from .. import activations as A
from ..activations._spec import ROWS
from . import _ops

__all__ = [
    "CELU",
    "ELU",
    "GELU",
    "GLU",
    "SELU",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "Hardshrink",
    "Hardsigmoid",
    "Hardswish",
    "Hardtanh",
    "KLDivLoss",
    "LeakyReLU",
    "LogSigmoid",
    "LogSoftmax",
    "Loss",
    "Mish",
    "NLLLoss",
    "PReLU",
    "RReLU",
    "ReLU",
    "ReLU6",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softmin",
    "Softplus",
    "Softshrink",
    "Softsign",
    "Tanh",
    "Tanhshrink",
    "Threshold",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "kl_div",
    "names",
    "nll_loss",
    "prelu",
    "rrelu",
]


# -- the functions --------------------------------------------------------------------------

@functools.lru_cache(maxsize=1024)
def _config_cached(name: str, args: tuple[Any, ...],
                   kwargs: tuple[tuple[str, Any], ...]) -> str:
    """The JSON configuration of nnmath's activation ``name`` built from these parameters
    (validated by nnmath's class: a bad parameter raises its error, naming it)."""
    return json.dumps(A.REGISTRY[name](*args, **dict(kwargs)).get_config())


@torch.compiler.assume_constant_result
def _config(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """The configuration of the activation ``name`` (under ``torch.compile``, a constant
    of the traced graph: computed once when tracing)."""
    try:
        key = (tuple(args), tuple(sorted(kwargs.items())))
        hash(key)
    except TypeError:
        return json.dumps(A.REGISTRY[name](*args, **kwargs).get_config())
    return _config_cached(name, *key)


def _function(name: str) -> Any:
    default = json.dumps(A.REGISTRY[name]().get_config()) if name != "threshold" else None
    op = _ops.activation

    def fn(x: torch.Tensor, *args: Any, **params: Any) -> torch.Tensor:
        config = default if default is not None and not args and not params else \
            _config(name, args, params)
        return op(x, name, config)

    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = __name__
    fn.__doc__ = (f"nnmath's ``{name}`` of a tensor, differentiable by nnmath's analytic "
                  f"derivative; the parameters are those of "
                  f":func:`nnmath.activations.{name}`.")
    return fn


def prelu(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """``x`` where ``x > 0``, ``weight * x`` elsewhere; differentiable in ``x`` and
    ``weight`` (``weight`` broadcast against ``x`` by NumPy's rules)."""
    if not isinstance(weight, torch.Tensor):
        weight = torch.as_tensor(weight, dtype=x.dtype, device=x.device)
    return _ops.prelu(x, weight)


def rrelu(x: torch.Tensor, lower: float = 1.0 / 8.0, upper: float = 1.0 / 3.0,
          training: bool = False, generator: torch.Generator | None = None) -> torch.Tensor:
    """Randomized leaky ReLU: in training each element's slope is drawn uniformly in
    ``[lower, upper]`` (with ``generator``), otherwise the slope is their mean."""
    if not training:
        return _ops.activation(x, "rrelu", _config("rrelu", (lower, upper), {}))
    _config("rrelu", (lower, upper), {})  # validates lower and upper
    slopes = torch.empty_like(x).uniform_(lower, upper, generator=generator)
    return _ops.prelu(x, slopes)


_FUNCTIONS: dict[str, Any] = {}
for _row in ROWS:
    if _row.name in ("prelu", "rrelu"):
        _FUNCTIONS[_row.name] = globals()[_row.name]
        continue
    _FUNCTIONS[_row.name] = globals()[_row.name] = _function(_row.name)
    for _alias in _row.aliases:
        globals()[_alias] = _FUNCTIONS[_row.name]
del _row
#: the functions are public too (one per name of nnmath.activations.names())
__all__ += sorted(set(A.names()) - set(__all__))


#: the configuration of each activation with its default parameters (none for threshold)
_DEFAULT_CONFIGS = {name: json.dumps(A.REGISTRY[name]().get_config())
                    for name in A.names() if name != "threshold"}


def names() -> tuple[str, ...]:
    """The functions of this module: every name of :func:`nnmath.activations.names`.

    >>> import nnmath.activations
    >>> names() == nnmath.activations.names()
    True
    """
    return A.names()


# -- the modules ----------------------------------------------------------------------------

class _Activation(nn.Module):
    """A module running nnmath's activation ``_name`` with a fixed configuration."""

    _name: str = ""

    def __init__(self) -> None:
        super().__init__()
        self._config = _DEFAULT_CONFIGS.get(self._name, "")

    def _set(self, **config: Any) -> None:
        """nnmath's parameters of the activation (validated by nnmath)."""
        self._config = _config(self._name, (), config)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return _ops.activation(input, self._name, self._config)


def _inplace_note(inplace: bool) -> bool:
    """``inplace`` is accepted for PyTorch's signature; nnmath's backward needs the input,
    so the result is always a new tensor."""
    return bool(inplace)


class ReLU(_Activation):
    """``torch.nn.ReLU(inplace=False)`` computed by nnmath (``relu'(0) = 0``)."""

    _name = "relu"

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = _inplace_note(inplace)


class ReLU6(_Activation):
    """``torch.nn.ReLU6(inplace=False)``."""

    _name = "relu6"

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = _inplace_note(inplace)


class LeakyReLU(_Activation):
    """``torch.nn.LeakyReLU(negative_slope=0.01, inplace=False)``."""

    _name = "leaky_relu"

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self._set(negative_slope=negative_slope)
        self.negative_slope = negative_slope
        self.inplace = _inplace_note(inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(_Activation):
    """``torch.nn.ELU(alpha=1.0, inplace=False)``."""

    _name = "elu"

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self._set(alpha=alpha)
        self.alpha = alpha
        self.inplace = _inplace_note(inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class CELU(ELU):
    """``torch.nn.CELU(alpha=1.0, inplace=False)``."""

    _name = "celu"


class SELU(_Activation):
    """``torch.nn.SELU(inplace=False)``."""

    _name = "selu"

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = _inplace_note(inplace)


class GELU(_Activation):
    """``torch.nn.GELU(approximate="none")``; ``"tanh"`` gives the tanh approximation."""

    _name = "gelu"

    def __init__(self, approximate: str = "none") -> None:
        if approximate not in ("none", "tanh"):
            raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
        super().__init__()
        self._set(approximate=approximate == "tanh")
        self.approximate = approximate

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(ReLU):
    """``torch.nn.SiLU(inplace=False)``."""

    _name = "silu"


class Mish(ReLU):
    """``torch.nn.Mish(inplace=False)``."""

    _name = "mish"


class Hardsigmoid(ReLU):
    """``torch.nn.Hardsigmoid(inplace=False)``: ``relu6(x + 3) / 6``."""

    _name = "hard_sigmoid"


class Hardswish(ReLU):
    """``torch.nn.Hardswish(inplace=False)``: ``x relu6(x + 3) / 6``."""

    _name = "hard_silu"


class Sigmoid(_Activation):
    """``torch.nn.Sigmoid()``."""

    _name = "sigmoid"


class Tanh(_Activation):
    """``torch.nn.Tanh()``."""

    _name = "tanh"


class LogSigmoid(_Activation):
    """``torch.nn.LogSigmoid()``."""

    _name = "log_sigmoid"


class Softsign(_Activation):
    """``torch.nn.Softsign()``."""

    _name = "softsign"


class Tanhshrink(_Activation):
    """``torch.nn.Tanhshrink()``: ``x - tanh(x)``, without cancellation near 0."""

    _name = "tanh_shrink"


class Softplus(_Activation):
    """``torch.nn.Softplus(beta=1.0, threshold=20.0)``.

    nnmath's softplus is exact for every input: ``threshold`` is accepted (PyTorch's
    signature) but no linear branch replaces the function above it. There PyTorch returns
    ``x`` and nnmath ``x + log1p(exp(-βx))/β``, a difference below ``e^{-threshold}/β``
    (under half an ulp of float32 for the default threshold); the derivative is ``σ(βx)``
    where PyTorch's is 1.
    """

    _name = "softplus"

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self._set(beta=beta)
        self.beta = beta
        self.threshold = threshold

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(_Activation):
    """``torch.nn.Hardtanh(min_val=-1.0, max_val=1.0, inplace=False)``."""

    _name = "hard_tanh"

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False,
                 min_value: float | None = None, max_value: float | None = None) -> None:
        for old, new in (("min_value", "min_val"), ("max_value", "max_val")):
            if locals()[old] is not None:  # PyTorch's deprecated spellings
                warnings.warn(f"keyword argument `{old}` is deprecated and renamed to `{new}`",
                              FutureWarning, stacklevel=2)
        min_val = min_val if min_value is None else min_value
        max_val = max_val if max_value is None else max_value
        super().__init__()
        self._set(min_val=min_val, max_val=max_val)
        self.min_val, self.max_val = min_val, max_val
        self.inplace = _inplace_note(inplace)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}"


class Softshrink(_Activation):
    """``torch.nn.Softshrink(lambd=0.5)`` (nnmath's ``soft_shrink(threshold=lambd)``)."""

    _name = "soft_shrink"

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self._set(threshold=lambd)
        self.lambd = lambd

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Hardshrink(Softshrink):
    """``torch.nn.Hardshrink(lambd=0.5)`` (nnmath's ``hard_shrink(threshold=lambd)``)."""

    _name = "hard_shrink"


class Threshold(_Activation):
    """``torch.nn.Threshold(threshold, value, inplace=False)``: ``x`` where
    ``x > threshold``, else ``value`` (nnmath's ``default_value``)."""

    _name = "threshold"

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()  # no default configuration: both parameters are needed
        self._set(threshold=threshold, default_value=value)
        self.threshold, self.value = threshold, value
        self.inplace = _inplace_note(inplace)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}"


def _implicit_dim(ndim: int) -> int:
    """PyTorch's legacy choice of the softmax dimension when ``dim`` is ``None``."""
    return 0 if ndim in (0, 1, 3) else 1


class Softmax(_Activation):
    """``torch.nn.Softmax(dim=None)``; ``dim=None`` takes PyTorch's implicit dimension
    (with its warning)."""

    _name = "softmax"

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim
        self._config = "" if dim is None else _config(self._name, (), {"axis": dim})

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        config = self._config
        if self.dim is None:
            warnings.warn(f"Implicit dimension choice for {type(self).__name__.lower()} has "
                          "been deprecated. Change the call to include dim=X as an argument.",
                          UserWarning, stacklevel=2)
            config = _config(self._name, (), {"axis": _implicit_dim(input.ndim)})
        if input.ndim == 0:  # a scalar: one class
            return _ops.activation(input.reshape(1), self._name, config).reshape(())
        return _ops.activation(input, self._name, config)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """``torch.nn.LogSoftmax(dim=None)``."""

    _name = "log_softmax"


class Softmin(Softmax):
    """``torch.nn.Softmin(dim=None)``."""

    _name = "softmin"


class GLU(_Activation):
    """``torch.nn.GLU(dim=-1)``: ``a σ(b)`` for the halves ``a, b`` of ``input``."""

    _name = "glu"

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self._set(axis=dim)
        self.dim = dim

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class PReLU(nn.Module):
    """``torch.nn.PReLU(num_parameters=1, init=0.25, device=None, dtype=None)``: a
    learnable slope, one, or one per channel (dimension 1 of the input)."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = nn.Parameter(torch.full((num_parameters,), float(init), device=device,
                                              dtype=dtype))

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        w: torch.Tensor = self.weight
        if self.num_parameters > 1 and input.ndim >= 2:
            w = w.reshape((self.num_parameters,) + (1,) * (input.ndim - 2))
        elif self.num_parameters == 1:
            w = w.reshape(())
        return _ops.prelu(input, w)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class RReLU(nn.Module):
    """``torch.nn.RReLU(lower=1/8, upper=1/3, inplace=False)``: random slopes in training
    mode (``module.train()``), their mean in evaluation mode."""

    def __init__(self, lower: float = 1.0 / 8.0, upper: float = 1.0 / 3.0,
                 inplace: bool = False) -> None:
        super().__init__()
        _config("rrelu", (lower, upper), {})
        self.lower, self.upper = lower, upper
        self.inplace = _inplace_note(inplace)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return rrelu(input, self.lower, self.upper, self.training)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}"


# -- the losses -----------------------------------------------------------------------------

_REDUCTIONS = ("none", "mean", "sum")


def _reduction(reduction: str, size_average: Any = None, reduce: Any = None) -> str:
    if size_average is not None or reduce is not None:  # PyTorch's legacy arguments
        avg = True if size_average is None else bool(size_average)
        red = True if reduce is None else bool(reduce)
        reduction = "none" if not red else ("mean" if avg else "sum")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    return reduction


@torch.compiler.assume_constant_result
def _loss_config(kind: str, reduction: str, ignore_index: int, label_smoothing: float) -> str:
    """The loss operator's configuration (under ``torch.compile``, a constant of the graph;
    ``label_smoothing`` is ``log_target`` for ``kl_div``)."""
    if kind in ("bce_logits", "bce"):
        return json.dumps({"kind": kind, "reduction": reduction})
    if kind == "kl_div":
        return json.dumps({"kind": kind, "reduction": reduction,
                           "log_target": bool(label_smoothing)})
    return json.dumps({"kind": kind, "reduction": reduction, "axis": 1,
                       "ignore_index": ignore_index, "label_smoothing": label_smoothing})


def nll_loss(input: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None,
             ignore_index: int = -100, reduction: str = "mean") -> torch.Tensor:
    """``torch.nn.functional.nll_loss``: ``-weight[t] input[t]`` per sample, classes along
    dimension 1 (0 unbatched); the mean divides by the kept samples' weights."""
    reduction = _reduction(reduction)
    if input.ndim == 1:  # unbatched: one sample
        loss = nll_loss(input.unsqueeze(0), target.unsqueeze(0), weight, ignore_index,
                        reduction)
        return loss.squeeze(0) if reduction == "none" else loss
    config = _loss_config("nll", reduction, int(ignore_index), 0.0)
    return _ops.loss(input, target, weight, None, config)


def binary_cross_entropy(input: torch.Tensor, target: torch.Tensor,
                         weight: torch.Tensor | None = None,
                         reduction: str = "mean") -> torch.Tensor:
    """``torch.nn.functional.binary_cross_entropy`` of probabilities ``input`` (each log
    floored at -100, as PyTorch; ``log(1 - p)`` through ``log1p``)."""
    reduction = _reduction(reduction)
    return _ops.loss(input, target, weight, None, _loss_config("bce", reduction, 0, 0.0))


def kl_div(input: torch.Tensor, target: torch.Tensor, reduction: str = "mean",
           log_target: bool = False) -> torch.Tensor:
    """``torch.nn.functional.kl_div``: ``target (log target - input)`` with ``input``
    log-probabilities; ``reduction`` also ``"batchmean"`` (the sum over the batch size)."""
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and "
                      "the support size.'batchmean' divides only by the batch size, and "
                      "aligns with the KL div math definition.'mean' will be changed to "
                      "behave the same as 'batchmean' in the next major release.",
                      UserWarning, stacklevel=2)
    if reduction != "batchmean":
        reduction = _reduction(reduction)
    config = _loss_config("kl_div", reduction, 0, 1.0 if log_target else 0.0)
    return _ops.loss(input, target, None, None, config)


def cross_entropy(input: torch.Tensor, target: torch.Tensor,
                  weight: torch.Tensor | None = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> torch.Tensor:
    """``torch.nn.functional.cross_entropy`` computed by nnmath (logits ``input`` with the
    classes along dimension 1, or 0 for an unbatched input; ``target`` class indices or
    class probabilities); the gradient is nnmath's fused ``softmax - target``."""
    reduction = _reduction(reduction)
    if input.ndim == 1:  # unbatched: one sample
        loss = cross_entropy(input.unsqueeze(0), target.unsqueeze(0), weight, ignore_index,
                             reduction, label_smoothing)
        return loss.squeeze(0) if reduction == "none" else loss
    config = _loss_config("cross_entropy", reduction, int(ignore_index),
                          float(label_smoothing))
    return _ops.loss(input, target, weight, None, config)


def binary_cross_entropy_with_logits(input: torch.Tensor, target: torch.Tensor,
                                     weight: torch.Tensor | None = None,
                                     reduction: str = "mean",
                                     pos_weight: torch.Tensor | None = None) -> torch.Tensor:
    """``torch.nn.functional.binary_cross_entropy_with_logits`` computed by nnmath
    (``log σ`` exact for any logit; the fused gradient ``(1 + (w - 1) y) σ(z) - w y``)."""
    reduction = _reduction(reduction)
    config = _loss_config("bce_logits", reduction, 0, 0.0)
    return _ops.loss(input, target, weight, pos_weight, config)


class CrossEntropyLoss(nn.Module):
    """``torch.nn.CrossEntropyLoss(weight=None, size_average=None, ignore_index=-100,
    reduce=None, reduction="mean", label_smoothing=0.0)`` computed by nnmath."""

    def __init__(self, weight: torch.Tensor | None = None, size_average: Any = None,
                 ignore_index: int = -100, reduce: Any = None, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__()
        self.register_buffer("weight", weight)
        self.weight: torch.Tensor | None
        self.ignore_index = ignore_index
        self.reduction = _reduction(reduction, size_average, reduce)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing!r}")
        self.label_smoothing = label_smoothing

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return cross_entropy(input, target, self.weight, self.ignore_index, self.reduction,
                             self.label_smoothing)


class BCEWithLogitsLoss(nn.Module):
    """``torch.nn.BCEWithLogitsLoss(weight=None, size_average=None, reduce=None,
    reduction="mean", pos_weight=None)`` computed by nnmath."""

    def __init__(self, weight: torch.Tensor | None = None, size_average: Any = None,
                 reduce: Any = None, reduction: str = "mean",
                 pos_weight: torch.Tensor | None = None) -> None:
        super().__init__()
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)
        self.weight: torch.Tensor | None
        self.pos_weight: torch.Tensor | None
        self.reduction = _reduction(reduction, size_average, reduce)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return binary_cross_entropy_with_logits(input, target, self.weight, self.reduction,
                                                self.pos_weight)


class NLLLoss(nn.Module):
    """``torch.nn.NLLLoss(weight=None, size_average=None, ignore_index=-100, reduce=None,
    reduction="mean")``."""

    def __init__(self, weight: torch.Tensor | None = None, size_average: Any = None,
                 ignore_index: int = -100, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__()
        self.register_buffer("weight", weight)
        self.weight: torch.Tensor | None
        self.ignore_index = ignore_index
        self.reduction = _reduction(reduction, size_average, reduce)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class BCELoss(nn.Module):
    """``torch.nn.BCELoss(weight=None, size_average=None, reduce=None, reduction="mean")``."""

    def __init__(self, weight: torch.Tensor | None = None, size_average: Any = None,
                 reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__()
        self.register_buffer("weight", weight)
        self.weight: torch.Tensor | None
        self.reduction = _reduction(reduction, size_average, reduce)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return binary_cross_entropy(input, target, self.weight, self.reduction)


class KLDivLoss(nn.Module):
    """``torch.nn.KLDivLoss(size_average=None, reduce=None, reduction="mean",
    log_target=False)``."""

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean",
                 log_target: bool = False) -> None:
        super().__init__()
        if reduction != "batchmean" or size_average is not None or reduce is not None:
            reduction = _reduction(reduction, size_average, reduce)
        self.reduction = reduction
        self.log_target = log_target

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return kl_div(input, target, self.reduction, self.log_target)


class Loss(nn.Module):
    """Any of nnmath's losses (Keras's semantics) as a module: ``Loss(loss, **params)``
    with ``loss`` an nnmath ``Loss`` instance, a class, or a name that
    :func:`nnmath.losses.get` takes (``"categorical_focal_crossentropy"``,
    ``"Hinge"``), and ``params`` its constructor's parameters. ``forward(y_true, y_pred,
    sample_weight=None)`` is the instance's reduced loss; its gradient in ``y_pred`` is
    the instance's ``gradient`` (bit for bit on CPU). ``y_true`` and ``sample_weight``
    are not differentiated.

    >>> import torch
    >>> focal = Loss("categorical_focal_crossentropy", from_logits=True, gamma=2.0)
    >>> z = torch.tensor([[2.0, 0.5, -1.0]], requires_grad=True)
    >>> focal(torch.tensor([[1.0, 0.0, 0.0]]), z).backward()
    >>> z.grad.shape
    torch.Size([1, 3])
    """

    def __init__(self, loss: Any, **params: Any) -> None:
        super().__init__()
        from .. import losses as L

        instance = L.get(loss, **params)
        if not isinstance(instance, L.Loss):  # a function (or its name): its class
            cls = L._FUNCTIONS.get(instance)
            if cls is None:
                raise TypeError(f"loss must name one of nnmath's losses, got {loss!r}")
            instance = cls()
        self.loss = instance
        self._key = _ops.register_loss(instance)

    def forward(self, y_true: torch.Tensor, y_pred: torch.Tensor,
                sample_weight: torch.Tensor | None = None) -> torch.Tensor:
        if not isinstance(y_true, torch.Tensor):
            y_true = torch.as_tensor(y_true, device=y_pred.device)
        if sample_weight is not None and not isinstance(sample_weight, torch.Tensor):
            sample_weight = torch.as_tensor(sample_weight, dtype=y_pred.dtype,
                                            device=y_pred.device)
        return _ops.keras_loss(y_true, y_pred, sample_weight, self._key)

    def extra_repr(self) -> str:
        return repr(self.loss)


def __getattr__(name: str) -> Any:
    """Every function name is defined at import (from nnmath's table); this only tells
    static checkers that the module's names are made at run time."""
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

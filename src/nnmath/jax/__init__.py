"""nnmath for JAX: activations and losses as ``jax.custom_vjp`` functions.

Every activation of :func:`nnmath.activations.names` is a function here,
``nnmath.jax.NAME(x, **params)`` with nnmath's parameters, whose vector-Jacobian product
is nnmath's analytic derivative (its ``backward(x, g)``); the losses carry optax's names
and signatures (:func:`softmax_cross_entropy`,
:func:`softmax_cross_entropy_with_integer_labels`, :func:`sigmoid_binary_cross_entropy`:
per-example values) and their backward is nnmath's fused gradient.

Where the work is done (two paths, the same ``jax.custom_vjp`` around each):

* ``"xp"``: nnmath's plain ``xp`` formulas run on the JAX arrays themselves, traced as
  ordinary JAX operations and compiled by XLA, with nnmath's ``xp`` derivative as the
  backward. The path of every backend other than the CPU (GPU, TPU), and the CPU's
  default for the functions where it measured faster than the core;
* ``"core"``: the value and the backward run nnmath's compiled core through
  ``jax.pure_callback``: the same bits as nnmath on NumPy arrays, safe under ``jax.jit``,
  ``jax.grad`` and ``jax.vmap`` (the callbacks are vectorised with
  ``vmap_method="broadcast_all"``). The CPU's default for the functions where it measured
  faster than the ``xp`` path (the table :data:`CPU_DEFAULT`, decided by
  ``benchmarks/jax_speed.py`` from the figures in ``benchmarks/JAX_SPEED.md``).

:func:`use_core` overrides the default on the CPU backend: ``use_core(True)`` runs every
function on the core, ``use_core(False)`` on the ``xp`` formulas, ``use_core(None)``
restores the table; as a context manager it restores the previous setting on exit. The
path is chosen when a function is called or traced: a function that ``jax.jit`` traced
before keeps its path (trace it again, or call ``jax.clear_caches()``).
:func:`path` says which path a function takes now.

The functions have first derivatives only: differentiating a backward (``jax.hessian``,
``jax.grad`` of a ``jax.grad``) raises JAX's error for a callback on the core path and
nnmath's ``TypeError`` ("not themselves differentiable") on the ``xp`` path.

Importing :mod:`nnmath` does not import JAX; importing this module does.

>>> import jax
>>> import jax.numpy as jnp
>>> import nnmath.jax as nj
>>> x = jnp.array([-1.0, 0.0, 2.0])
>>> [round(float(v), 4) for v in jax.grad(lambda t: nj.gelu(t).sum())(x)]
[-0.0833, 0.5, 1.0852]
"""

from __future__ import annotations

import contextvars
import functools
import json
from types import TracebackType
from typing import Any

try:
    import jax
    import jax.numpy as jnp
except ImportError as error:  # pragma: no cover - the tests run with JAX or skip
    raise ImportError("nnmath.jax needs JAX: pip install 'jax[cpu]'") from error

import numpy as np

from .. import activations as A
from .. import losses as L
from ..activations._spec import ROWS
from ..losses import _crossentropy
from ._paths import CPU_DEFAULT

__all__ = [
    "CPU_DEFAULT",
    "names",
    "path",
    "prelu",
    "rrelu",
    "sigmoid_binary_cross_entropy",
    "softmax_cross_entropy",
    "softmax_cross_entropy_with_integer_labels",
    "use_core",
]

#: the activations along an axis: their axes are made negative before tracing, so that the
#: batch dimensions ``vmap`` adds in front leave them in place
_AXIS = ("softmax", "log_softmax", "softmin", "sparsemax", "glu")
#: the dtypes the core computes on directly; others (bfloat16) go through float32
_CORE_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
_VMAP = "broadcast_all"
#: the losses of this module (their names are keys of CPU_DEFAULT too)
_LOSSES = ("softmax_cross_entropy", "softmax_cross_entropy_with_integer_labels",
           "sigmoid_binary_cross_entropy")


#: the setting of :func:`use_core` in this context (None: the table CPU_DEFAULT)
_USE_CORE: contextvars.ContextVar[bool | None] = contextvars.ContextVar(
    "nnmath_jax_use_core", default=None)


class use_core:  # a function name: it is called like one, and also a context manager
    """Choose the path of every function of this module on the CPU backend.

    ``use_core(True)``: the compiled core through ``jax.pure_callback`` (nnmath's NumPy
    results bit for bit); ``use_core(False)``: nnmath's ``xp`` formulas traced by XLA;
    ``use_core(None)``: each function's measured default (:data:`CPU_DEFAULT`). Called
    alone it sets the path until the next call (in this thread or task: the setting is a
    context variable); used in a ``with`` statement it restores the previous setting on
    exit. Other backends than the CPU always take the ``xp`` path. The path is fixed when a
    function is called or traced: a function ``jax.jit`` traced before keeps its own.

    >>> with use_core(True):
    ...     path("gelu")
    'core'
    >>> with use_core(False):
    ...     path("gelu")
    'xp'
    """

    def __init__(self, flag: bool | None) -> None:
        if flag is not None and not isinstance(flag, bool):
            raise TypeError(f"use_core takes True, False or None, got {flag!r}")
        self.flag = flag
        self._token = _USE_CORE.set(flag)

    def __enter__(self) -> use_core:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        _USE_CORE.reset(self._token)

    def __repr__(self) -> str:
        return f"use_core({self.flag!r})"


def path(name: str) -> str:
    """``"core"`` or ``"xp"``: the path the function ``name`` of this module (an
    activation's registry name or a loss's name) takes if called now — the backend, then
    :func:`use_core`, then :data:`CPU_DEFAULT` (``"xp"`` for a name it lacks).

    >>> path("tanh") in ("core", "xp")
    True
    """
    if name not in A.REGISTRY and name not in _LOSSES:
        raise ValueError(f"nnmath.jax has no function {name!r}: an activation of "
                         f"names() or one of {', '.join(_LOSSES)}")
    return "core" if _on_core(name) else "xp"


def _on_core(name: str) -> bool:
    """Whether the compiled core runs the function ``name`` (see :func:`path`)."""
    if jax.default_backend() != "cpu":
        return False
    flag = _USE_CORE.get()
    if flag is not None:
        return flag
    return CPU_DEFAULT.get(A.REGISTRY[name].name if name in A.REGISTRY else name) == "core"


@functools.lru_cache(maxsize=512)
def _instance(name: str, config: str) -> Any:
    """nnmath's activation of registry name ``name`` with the JSON configuration ``config``."""
    return A.REGISTRY[name].from_config(json.loads(config))


def _check_float(x: Any, name: str = "x") -> Any:
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        raise TypeError(f"{name} must be a floating-point array, got dtype {x.dtype}")
    return x


def _host(a: Any) -> np.ndarray:
    """A callback's argument as an array the core computes on."""
    a = np.asarray(a)
    return a if a.dtype in _CORE_DTYPES else a.astype(np.float32)


def _callback(fn: Any, shape: tuple[int, ...], dtype: Any, *args: Any) -> Any:
    """``fn(*numpy args)`` run by the core through ``jax.pure_callback`` (a ``shape`` and
    ``dtype`` result, rounded once where the core computed in float32)."""
    def host(*a: Any) -> np.ndarray:
        return np.asarray(fn(*(_host(v) for v in a))).astype(dtype, copy=False)
    return jax.pure_callback(host, jax.ShapeDtypeStruct(shape, dtype), *args,
                             vmap_method=_VMAP)


# -- activations ------------------------------------------------------------------------------

def _out_shape(x: Any, name: str, act: Any) -> tuple[int, ...]:
    shape = tuple(x.shape)
    if name != "glu":
        return shape
    ax = act.axis % x.ndim if x.ndim else 0
    if x.ndim == 0 or shape[ax] % 2:
        raise ValueError(f"glu needs an even size along axis, got shape {shape}")
    return (*shape[:ax], shape[ax] // 2, *shape[ax + 1:])


@functools.partial(jax.custom_vjp, nondiff_argnums=(1, 2, 3))
def _activation(x: Any, name: str, config: str, core: bool) -> Any:
    act = _instance(name, config)
    if not core:
        return act(x)
    return _callback(lambda xn: act(xn), _out_shape(x, name, act), x.dtype, x)


def _activation_fwd(x: Any, name: str, config: str, core: bool) -> tuple[Any, Any]:
    return _activation(x, name, config, core), x


def _activation_bwd(name: str, config: str, core: bool, x: Any, g: Any) -> tuple[Any]:
    act = _instance(name, config)
    g = g.astype(x.dtype)
    if not core:
        return (act.backward(x, g),)
    return (_callback(lambda xn, gn: act.backward(xn, gn), tuple(x.shape), x.dtype, x, g),)


_activation.defvjp(_activation_fwd, _activation_bwd)


def _negative_axes(axis: Any, ndim: int) -> Any:
    """``axis`` counted from the end (``vmap`` adds dimensions in front)."""
    if isinstance(axis, (tuple, list)):
        return tuple(_negative_axes(a, ndim) for a in axis)
    a = int(axis)
    if ndim and -ndim <= a < ndim:
        return a - ndim if a >= 0 else a
    return a  # out of range: nnmath's own error names it


@functools.lru_cache(maxsize=1024)
def _config_cached(name: str, args: tuple[Any, ...],
                   kwargs: tuple[tuple[str, Any], ...]) -> str:
    """The JSON configuration of nnmath's activation ``name`` built from these parameters
    (validated by nnmath's class: a bad parameter raises its error, naming it)."""
    return json.dumps(A.REGISTRY[name](*args, **dict(kwargs)).get_config())


def _config(name: str, args: tuple[Any, ...], params: dict[str, Any], ndim: int) -> str:
    if name in _AXIS:
        bound = dict(zip(("axis",), args, strict=False))
        bound.update(params)
        if "axis" in bound:
            bound["axis"] = _negative_axes(bound["axis"], ndim)
        elif ndim:
            bound["axis"] = -1
        args, params = (), bound
    key = (tuple(args), tuple(sorted(params.items())))
    try:
        hash(key)
    except TypeError:
        return json.dumps(A.REGISTRY[name](*args, **params).get_config())
    return _config_cached(name, *key)


def _function(name: str) -> Any:
    def fn(x: Any, *args: Any, **params: Any) -> Any:
        x = _check_float(x)
        return _activation(x, name, _config(name, args, params, x.ndim), _on_core(name))

    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = __name__
    fn.__doc__ = (f"nnmath's ``{name}`` of a JAX array (a ``jax.custom_vjp`` whose backward "
                  f"is nnmath's analytic derivative; the compiled core through "
                  f"``jax.pure_callback`` or the ``xp`` formulas traced by XLA, as "
                  f"``path({name!r})`` says); the parameters are those of "
                  f":func:`nnmath.activations.{name}`.")
    return fn


# -- prelu and rrelu: the slope is an array ---------------------------------------------------

@functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
def _prelu(x: Any, weight: Any, core: bool) -> Any:
    if not core:
        return A.PReLU(weight)(x)
    return _callback(lambda xn, wn: A.prelu(xn, wn), tuple(x.shape), x.dtype, x, weight)


def _prelu_fwd(x: Any, weight: Any, core: bool) -> tuple[Any, Any]:
    return _prelu(x, weight, core), (x, weight)


def _prelu_bwd(core: bool, res: Any, g: Any) -> tuple[Any, Any]:
    x, weight = res
    g = g.astype(x.dtype)
    if not core:
        act = A.PReLU(weight)
        return act.backward(x, g), act.weight_gradient(x, g).astype(weight.dtype)
    gx = _callback(lambda xn, wn, gn: A.PReLU(wn).backward(xn, gn), tuple(x.shape), x.dtype,
                   x, weight, g)
    gw = _callback(lambda xn, wn, gn: A.PReLU(wn).weight_gradient(xn, gn), tuple(x.shape),
                   x.dtype, x, weight, g)
    return gx, gw.astype(weight.dtype)


_prelu.defvjp(_prelu_fwd, _prelu_bwd)


def prelu(x: Any, weight: Any) -> Any:
    """``x`` where ``x > 0``, ``weight * x`` elsewhere; differentiable in ``x`` and in
    ``weight`` (broadcast against ``x`` by NumPy's rules; its gradient is summed over the
    broadcast dimensions by JAX, so that it may differ from nnmath's ``weight_gradient`` in
    the last bit)."""
    x = _check_float(x)
    weight = jnp.asarray(weight, dtype=x.dtype)
    if weight.ndim > x.ndim:
        raise ValueError(f"weight has more dimensions ({weight.ndim}) than x ({x.ndim})")
    # the core computes with the weight at x's shape: the gradient is elementwise, and JAX
    # sums it back to the weight's shape
    return _prelu(x, jnp.broadcast_to(weight, x.shape), _on_core("prelu"))


def rrelu(x: Any, lower: float = 1.0 / 8.0, upper: float = 1.0 / 3.0, *,
          training: bool = False, key: Any = None) -> Any:
    """Randomized leaky ReLU: in training each element's slope is drawn uniformly in
    ``[lower, upper]`` with the PRNG ``key`` (required), otherwise the slope is their
    mean."""
    x = _check_float(x)
    config = _config("rrelu", (lower, upper), {}, x.ndim)  # validates lower and upper
    if not training:
        return _activation(x, "rrelu", config, _on_core("rrelu"))
    if key is None:
        raise ValueError("rrelu with training=True needs a PRNG key: key=jax.random.key(0)")
    slopes = jax.random.uniform(key, x.shape, dtype=x.dtype, minval=lower, maxval=upper)
    return _prelu(x, slopes, _on_core("rrelu"))


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


def names() -> tuple[str, ...]:
    """The activation functions of this module: every name of
    :func:`nnmath.activations.names`.

    >>> import nnmath.activations
    >>> names() == nnmath.activations.names()
    True
    """
    return A.names()


# -- losses (optax's names and signatures; per-example values) --------------------------------

def _drop_axis(shape: tuple[int, ...], axis: int) -> tuple[int, ...]:
    ax = axis % len(shape)
    return shape[:ax] + shape[ax + 1:]


def _class_axis(logits: Any, axis: int) -> int:
    if logits.ndim == 0:
        raise ValueError("logits must have at least one dimension (the classes)")
    if not -logits.ndim <= int(axis) < logits.ndim:
        raise ValueError(f"axis {axis} is out of range for logits of shape {logits.shape}")
    return int(axis) - logits.ndim if axis >= 0 else int(axis)


@functools.lru_cache(maxsize=64)
def _ce(sparse: bool, axis: int) -> Any:
    cls = L.SparseCategoricalCrossentropy if sparse else L.CategoricalCrossentropy
    return cls(from_logits=True, reduction="none", axis=axis)


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4))
def _cross_entropy(logits: Any, labels: Any, sparse: bool, axis: int, core: bool) -> Any:
    loss = _ce(sparse, axis)
    shape = _drop_axis(tuple(logits.shape), axis)
    if not core:
        return loss(labels, logits).astype(logits.dtype)
    return _callback(lambda z, y: loss(y, z), shape, logits.dtype,
                     logits, labels if sparse else labels.astype(logits.dtype))


def _cross_entropy_fwd(logits: Any, labels: Any, sparse: bool, axis: int,
                       core: bool) -> tuple[Any, Any]:
    return _cross_entropy(logits, labels, sparse, axis, core), (logits, labels)


def _cross_entropy_bwd(sparse: bool, axis: int, core: bool, res: Any,
                       g: Any) -> tuple[Any, Any]:
    logits, labels = res
    loss = _ce(sparse, axis)
    g = g.astype(logits.dtype)
    if not core:
        gz = loss.gradient(labels, logits, grad_output=g)
    else:
        y = labels if sparse else labels.astype(logits.dtype)
        gz = _callback(lambda z, yy, gg: loss.gradient(yy, z, grad_output=gg),
                       tuple(logits.shape), logits.dtype, logits, y, g)
    if sparse:
        return gz, None
    # the labels' gradient: -log_softmax(logits) times the upstream gradient
    log_p = _activation(logits, "log_softmax", _config("log_softmax", (), {"axis": axis},
                                                       logits.ndim), core)
    gy = -log_p * jnp.expand_dims(g, axis)
    return gz, gy.astype(labels.dtype)


_cross_entropy.defvjp(_cross_entropy_fwd, _cross_entropy_bwd)


def softmax_cross_entropy(logits: Any, labels: Any, axis: int = -1) -> Any:
    """``-sum(labels * log_softmax(logits))`` along ``axis``: one loss per example (optax's
    ``softmax_cross_entropy``; ``labels`` are class probabilities). Differentiable in
    ``logits`` (nnmath's fused ``softmax(logits) * sum(labels) - labels``) and in
    ``labels`` (``-log_softmax(logits)``).

    >>> import jax.numpy as jnp
    >>> z = jnp.array([[2.0, 0.0, -1.0]])
    >>> y = jnp.array([[1.0, 0.0, 0.0]])
    >>> [round(float(v), 5) for v in softmax_cross_entropy(z, y)]
    [0.16985]
    """
    logits = _check_float(logits, "logits")
    labels = _check_float(labels, "labels")
    if labels.shape != logits.shape:
        raise ValueError(f"labels must have the shape of logits {tuple(logits.shape)}, "
                         f"got {tuple(labels.shape)}")
    return _cross_entropy(logits, labels, False, _class_axis(logits, axis),
                          _on_core("softmax_cross_entropy"))


def softmax_cross_entropy_with_integer_labels(logits: Any, labels: Any,
                                              axis: int = -1) -> Any:
    """``-log_softmax(logits)[label]`` along ``axis``: one loss per example (optax's
    ``softmax_cross_entropy_with_integer_labels``; ``labels`` are class indices, the shape
    of ``logits`` without ``axis``). Differentiable in ``logits`` (nnmath's fused
    ``softmax(logits) - onehot(labels)``).

    >>> import jax.numpy as jnp
    >>> z = jnp.array([[2.0, 0.0, -1.0]])
    >>> [round(float(v), 5) for v in softmax_cross_entropy_with_integer_labels(z, jnp.array([0]))]
    [0.16985]
    """
    logits = _check_float(logits, "logits")
    labels = jnp.asarray(labels)
    if not jnp.issubdtype(labels.dtype, jnp.integer):
        raise TypeError(f"labels must be an integer array of class indices, got dtype "
                        f"{labels.dtype}")
    ax = _class_axis(logits, axis)
    if tuple(labels.shape) != _drop_axis(tuple(logits.shape), ax):
        raise ValueError(f"labels must have the shape of logits without axis "
                         f"{_drop_axis(tuple(logits.shape), ax)}, got {tuple(labels.shape)}")
    return _cross_entropy(logits, labels, True, ax,
                          _on_core("softmax_cross_entropy_with_integer_labels"))


def _bce_host(z: np.ndarray, y: np.ndarray, need_grad: bool, g: Any = None) -> Any:
    e, de = _crossentropy.binary_terms(np, y, z, True, None, need_grad,
                                       "sigmoid_binary_cross_entropy")
    return e if not need_grad else de * g


@functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
def _sigmoid_bce(logits: Any, labels: Any, core: bool) -> Any:
    if not core:
        e, _ = _crossentropy.binary_terms(jnp, labels, logits, True, None, False,
                                          "sigmoid_binary_cross_entropy")
        return e
    return _callback(lambda z, y: _bce_host(z, y, False), tuple(logits.shape), logits.dtype,
                     logits, labels)


def _sigmoid_bce_fwd(logits: Any, labels: Any, core: bool) -> tuple[Any, Any]:
    return _sigmoid_bce(logits, labels, core), (logits, labels)


def _sigmoid_bce_bwd(core: bool, res: Any, g: Any) -> tuple[Any, Any]:
    logits, labels = res
    g = g.astype(logits.dtype)
    if not core:
        _, de = _crossentropy.binary_terms(jnp, labels, logits, True, None, True,
                                           "sigmoid_binary_cross_entropy")
        gz = de * g
    else:
        gz = _callback(lambda z, y, gg: _bce_host(z, y, True, gg), tuple(logits.shape),
                       logits.dtype, logits, labels, g)
    # d/dy of y softplus(-z) + (1 - y) softplus(z) is -z
    return gz, (-logits * g).astype(labels.dtype)


_sigmoid_bce.defvjp(_sigmoid_bce_fwd, _sigmoid_bce_bwd)


def sigmoid_binary_cross_entropy(logits: Any, labels: Any) -> Any:
    """``-(labels log σ(logits) + (1 - labels) log σ(-logits))`` elementwise (optax's
    ``sigmoid_binary_cross_entropy``: no mean over any axis). Differentiable in ``logits``
    (nnmath's fused ``σ(logits) - labels``) and in ``labels`` (``-logits``).

    >>> import jax.numpy as jnp
    >>> [round(float(v), 5) for v in sigmoid_binary_cross_entropy(jnp.array([0.0]),
    ...                                                            jnp.array([1.0]))]
    [0.69315]
    """
    logits = _check_float(logits, "logits")
    labels = _check_float(labels, "labels").astype(logits.dtype)
    if labels.shape != logits.shape:
        raise ValueError(f"labels must have the shape of logits {tuple(logits.shape)}, "
                         f"got {tuple(labels.shape)}")
    return _sigmoid_bce(logits, labels, _on_core("sigmoid_binary_cross_entropy"))

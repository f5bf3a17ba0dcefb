"""The activations ``bench.py`` times, and for each one the candidates of one round.

An :class:`Op` names the nnmath function and its parameters, the naive NumPy expression a
user would write, and the peers' spellings: ``scipy.special``, PyTorch (the function, and
the ATen ``out=`` overload where PyTorch has one) and JAX (jitted). :func:`candidates`
builds, for one op and dtype at 10M elements, every call that one round times:

* the value: nnmath's default call and ``out=``; naive NumPy, SciPy, PyTorch (default and
  ``out=``), jitted JAX; the two-thread copy of the input (the memory floor);
* ``gradient`` (elementwise ops): nnmath's ``Cls().gradient(x)`` and the core ufunc
  ``NAME_grad(x, out=)``; PyTorch autograd ``torch.autograd.grad(f(x), x, ones)`` on a
  tensor requiring grad (forward and backward, as a PyTorch user pays it); jitted
  ``jax.grad(lambda v: f(v).sum())``;
* ``backward(x, g)``: nnmath's ``Cls().backward(x, g)`` and the core ufunc
  ``NAME_backward(x, g, out=)``; PyTorch autograd ``torch.autograd.grad(f(x), x, g)``
  (forward and backward), and separately its backward alone on a graph built beforehand
  (``retain_graph=True``); jitted JAX ``jax.vjp(f, x)[1](g)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnmath import _core
from nnmath import activations as A

try:
    import scipy.special as sps
except ImportError:  # pragma: no cover - optional
    sps = None
try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover - optional
    torch = F = None
try:
    import jax
    import jax.numpy as jnp
except ImportError:  # pragma: no cover - optional
    jax = jnp = None

Fn = Callable[..., Any]
SQRT2 = math.sqrt(2.0)
SELU_A, SELU_S = 1.6732632423543772, 1.0507009873554805


@dataclass(frozen=True)
class Op:
    """One timed activation: ``label`` in the tables, the nnmath function ``name`` with
    keyword ``params``; ``numpy(x)`` the naive expression; ``scipy(x)``, ``torch(t)``
    (differentiable), ``torch_out(t, o)`` and ``jax(v)`` the peers (``None``: none), the
    PyTorch and JAX ones given by name and resolved when the library is installed."""

    label: str
    name: str
    numpy: Fn
    params: dict[str, Any] = field(default_factory=dict)
    scipy: Fn | None = None
    torch: str | None = None  # an expression of t (the tensor), F, torch
    torch_out: str | None = None  # an expression of t, o, torch
    jax: str | None = None  # an expression of v, jnn (jax.nn), jnp
    row: bool = False


def _w(cond: Any, a: Any, b: Any) -> Any:
    return np.where(cond, a, b)


OPS: list[Op] = [
    Op("sigmoid", "sigmoid", lambda x: 1 / (1 + np.exp(-x)), scipy=lambda x: sps.expit(x),
       torch="torch.sigmoid(t)", torch_out="torch.sigmoid(t, out=o)", jax="jnn.sigmoid(v)"),
    Op("tanh", "tanh", np.tanh, torch="torch.tanh(t)", torch_out="torch.tanh(t, out=o)",
       jax="jnp.tanh(v)"),
    Op("relu", "relu", lambda x: np.maximum(x, 0), torch="torch.relu(t)",
       torch_out="torch.clamp_min(t, 0, out=o)", jax="jnn.relu(v)"),
    Op("gelu", "gelu",
       lambda x: 0.5 * x * (1 + sps.erf(x / SQRT2)) if sps is not None else None,
       scipy=lambda x: x * sps.ndtr(x), torch="F.gelu(t)",
       torch_out="torch.ops.aten.gelu.out(t, out=o)",
       jax="jnn.gelu(v, approximate=False)"),
    Op("gelu tanh", "gelu",
       lambda x: 0.5 * x * (1 + np.tanh(0.7978845608028654 * (x + 0.044715 * x ** 3))),
       params={"approximate": True}, torch="F.gelu(t, approximate='tanh')",
       torch_out="torch.ops.aten.gelu.out(t, approximate='tanh', out=o)",
       jax="jnn.gelu(v, approximate=True)"),
    Op("silu", "silu", lambda x: x / (1 + np.exp(-x)), torch="F.silu(t)",
       torch_out="torch.ops.aten.silu.out(t, out=o)", jax="jnn.silu(v)"),
    Op("softplus", "softplus", lambda x: np.log1p(np.exp(x)), torch="F.softplus(t)",
       torch_out="torch.ops.aten.softplus.out(t, 1, 20, out=o)", jax="jnn.softplus(v)"),
    Op("log_sigmoid", "log_sigmoid", lambda x: -np.log1p(np.exp(-x)),
       scipy=lambda x: sps.log_expit(x), torch="F.logsigmoid(t)",
       torch_out="torch.ops.aten.log_sigmoid.out(t, out=o)", jax="jnn.log_sigmoid(v)"),
    Op("mish", "mish", lambda x: x * np.tanh(np.log1p(np.exp(x))), torch="F.mish(t)",
       torch_out="torch.ops.aten.mish.out(t, out=o)", jax="jnn.mish(v)"),
    Op("elu", "elu", lambda x: _w(x > 0, x, np.expm1(x)), torch="F.elu(t)",
       torch_out="torch.ops.aten.elu.out(t, 1.0, 1, 1, out=o)", jax="jnn.elu(v)"),
    Op("selu", "selu", lambda x: SELU_S * _w(x > 0, x, SELU_A * np.expm1(x)),
       torch="F.selu(t)", jax="jnn.selu(v)"),
    Op("celu", "celu", lambda x: np.maximum(x, 0) + np.minimum(np.expm1(x), 0),
       torch="F.celu(t)", jax="jnn.celu(v)"),
    Op("leaky_relu", "leaky_relu", lambda x: _w(x > 0, x, 0.01 * x),
       torch="F.leaky_relu(t)", torch_out="torch.ops.aten.leaky_relu.out(t, 0.01, out=o)",
       jax="jnn.leaky_relu(v)"),
    Op("hard_sigmoid", "hard_sigmoid", lambda x: np.clip(x + 3, 0, 6) / 6,
       torch="F.hardsigmoid(t)", torch_out="torch.ops.aten.hardsigmoid.out(t, out=o)",
       jax="jnn.hard_sigmoid(v)"),
    Op("hard_silu", "hard_silu", lambda x: x * np.clip(x + 3, 0, 6) / 6,
       torch="F.hardswish(t)", torch_out="torch.ops.aten.hardswish.out(t, out=o)",
       jax="jnn.hard_silu(v)"),
    Op("relu6", "relu6", lambda x: np.clip(x, 0, 6), torch="F.relu6(t)",
       torch_out="torch.clamp(t, 0, 6, out=o)", jax="jnn.relu6(v)"),
    Op("softsign", "softsign", lambda x: x / (1 + np.abs(x)), torch="F.softsign(t)",
       jax="jnn.soft_sign(v)"),
    Op("hard_tanh", "hard_tanh", lambda x: np.clip(x, -1, 1), torch="F.hardtanh(t)",
       torch_out="torch.ops.aten.hardtanh.out(t, -1.0, 1.0, out=o)", jax="jnn.hard_tanh(v)"),
    Op("hard_shrink", "hard_shrink", lambda x: _w(np.abs(x) > 0.5, x, 0),
       torch="F.hardshrink(t)", torch_out="torch.ops.aten.hardshrink.out(t, 0.5, out=o)"),
    Op("soft_shrink", "soft_shrink", lambda x: np.sign(x) * np.maximum(np.abs(x) - 0.5, 0),
       torch="F.softshrink(t)", torch_out="torch.ops.aten.softshrink.out(t, 0.5, out=o)"),
    Op("tanh_shrink", "tanh_shrink", lambda x: x - np.tanh(x), torch="F.tanhshrink(t)"),
    Op("threshold", "threshold", lambda x: _w(x > 0.5, x, 0),
       params={"threshold": 0.5, "default_value": 0.0}, torch="F.threshold(t, 0.5, 0.0)",
       torch_out="torch.ops.aten.threshold.out(t, 0.5, 0.0, out=o)"),
    Op("exponential", "exponential", np.exp, torch="torch.exp(t)",
       torch_out="torch.exp(t, out=o)", jax="jnp.exp(v)"),
    Op("sparse_plus", "sparse_plus",
       lambda x: _w(x <= -1, 0, _w(x >= 1, x, (x + 1) ** 2 / 4)), jax="jnn.sparse_plus(v)"),
    Op("sparse_sigmoid", "sparse_sigmoid", lambda x: np.clip(0.5 * x + 0.5, 0, 1),
       jax="jnn.sparse_sigmoid(v)"),
    Op("squareplus", "squareplus", lambda x: (x + np.sqrt(x * x + 4)) / 2,
       jax="jnn.squareplus(v)"),
    Op("softmax", "softmax", lambda x: _softmax(x), scipy=lambda x: sps.softmax(x, axis=-1),
       torch="torch.softmax(t, -1)",
       torch_out="torch.ops.aten._softmax.out(t, -1, False, out=o)",
       jax="jnn.softmax(v)", row=True),
    Op("log_softmax", "log_softmax", lambda x: _log_softmax(x),
       scipy=lambda x: sps.log_softmax(x, axis=-1), torch="torch.log_softmax(t, -1)",
       torch_out="torch.ops.aten._log_softmax.out(t, -1, False, out=o)",
       jax="jnn.log_softmax(v)", row=True),
    Op("softmin", "softmin", lambda x: _softmax(-x), torch="F.softmin(t, -1)",
       jax="jnn.softmax(-v)", row=True),
]
BY_LABEL = {op.label.replace(" ", "_"): op for op in OPS}


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _log_softmax(x: np.ndarray) -> np.ndarray:
    s = x - x.max(axis=-1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=-1, keepdims=True))


def _torch_fn(expr: str) -> Fn:
    return eval(f"lambda t: {expr}", {"torch": torch, "F": F})


def _torch_out(expr: str, t: Any, o: Any) -> Fn | None:
    """``expr`` as a call into ``o``, or ``None`` where this PyTorch refuses it."""
    f = eval(f"lambda t, o: {expr}", {"torch": torch})
    try:
        f(t[:2], o[:2])
    except (RuntimeError, TypeError, AttributeError):
        return None
    return lambda: f(t, o)


def _jax_fn(expr: str) -> Fn | None:
    try:
        return eval(f"lambda v: {expr}", {"jnn": jax.nn, "jnp": jnp})
    except AttributeError:  # pragma: no cover - depends on the version
        return None


def instance(op: Op) -> Any:
    """The nnmath activation object of ``op``."""
    return A.REGISTRY[op.name](**op.params)


def core_ufuncs(op: Op) -> tuple[Fn | None, Fn | None, tuple[Any, ...]]:
    """The core's ``NAME_grad`` and ``NAME_backward`` ufuncs of ``op`` and their parameter
    inputs (``None`` where this build's core has none)."""
    inst = instance(op)
    if op.row:
        return None, getattr(_core, op.name + "_backward", None), ()
    route = inst._spec.route(inst._values())
    if route is None:
        return None, None, ()
    base, params = route
    return (getattr(_core, base + "_grad", None), getattr(_core, base + "_backward", None),
            tuple(params))


def inputs(op: Op, dtype: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``x`` (normal, standard deviation 3) and ``g`` (normal) of ``n`` elements; rows of
    1,000 (of 100 when ``n`` < 100,000) for the functions along an axis."""
    rng = np.random.default_rng(42)
    shape: tuple[int, ...] = (n,)
    if op.row:
        cols = 1_000 if n >= 100_000 else 100
        shape = (n // cols, cols)
    x = (3.0 * rng.standard_normal(shape)).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    return x, g


def candidates(op: Op, x: np.ndarray, g: np.ndarray, peers: set[str],
               copy2: Fn) -> dict[str, dict[str, Fn]]:
    """The calls of one round, by kind (``value``, ``gradient``, ``backward``), each a dict
    ``candidate -> call``; the nnmath candidates first."""
    inst = instance(op)
    f = getattr(A, op.name)
    kw = op.params
    o = np.empty_like(x)
    grad_uf, back_uf, cp = core_ufuncs(op)
    value: dict[str, Fn] = {"nnmath": lambda: f(x, **kw), "nnmath out=": lambda: f(x, out=o,
                                                                                      **kw)}
    gradient: dict[str, Fn] = {}
    if not op.row:
        gradient["nnmath"] = lambda: inst.gradient(x)
        if grad_uf is not None:
            gradient["core out="] = lambda: grad_uf(x, *cp, out=o)
    backward: dict[str, Fn] = {"nnmath": lambda: inst.backward(x, g)}
    if back_uf is not None:
        if op.row:
            backward["core out="] = lambda: back_uf(x, g, out=o)
        else:
            backward["core out="] = lambda: back_uf(x, g, *cp, out=o)
    value["copy 2 threads"] = lambda: copy2(o, x)
    if "numpy" in peers and op.numpy(x[:2]) is not None:
        value["numpy"] = lambda: op.numpy(x)
    if "scipy" in peers and sps is not None and op.scipy is not None:
        value["scipy"] = lambda: op.scipy(x)
    if "jax" in peers and jax is not None and op.jax is not None:
        _add_jax(op, x, g, value, gradient, backward)
    if "torch" in peers and torch is not None and op.torch is not None:
        _add_torch(op, x, g, o, value, gradient, backward)
    return {"value": value, "gradient": gradient, "backward": backward}


def _add_jax(op: Op, x: np.ndarray, g: np.ndarray, value: dict[str, Fn],
             gradient: dict[str, Fn], backward: dict[str, Fn]) -> None:
    jf = _jax_fn(op.jax or "")
    if jf is None:
        return
    v, gv = jnp.asarray(x), jnp.asarray(g)
    jv = jax.jit(jf)
    value["jax"] = lambda: jv(v).block_until_ready()
    if not op.row:
        jg = jax.jit(jax.grad(lambda u: jnp.sum(jf(u))))
        gradient["jax"] = lambda: jg(v).block_until_ready()
    jb = jax.jit(lambda u, h: jax.vjp(jf, u)[1](h)[0])
    backward["jax"] = lambda: jb(v, gv).block_until_ready()


def _add_torch(op: Op, x: np.ndarray, g: np.ndarray, o: np.ndarray, value: dict[str, Fn],
               gradient: dict[str, Fn], backward: dict[str, Fn]) -> None:
    tf = _torch_fn(op.torch or "")
    t, tg, to = torch.from_numpy(x), torch.from_numpy(g), torch.from_numpy(o)
    value["torch"] = lambda: tf(t)
    if op.torch_out is not None:
        call = _torch_out(op.torch_out, t, to)
        if call is not None:
            value["torch out="] = call
    tr = t.detach().clone().requires_grad_(True)
    if not op.row:
        ones = torch.ones_like(t)
        gradient["torch autograd"] = lambda: torch.autograd.grad(tf(tr), tr, ones)[0]
    backward["torch autograd"] = lambda: torch.autograd.grad(tf(tr), tr, tg)[0]
    y = tf(tr)  # the graph of the backward-only timing, built once
    backward["torch grad only"] = lambda: torch.autograd.grad(y, tr, tg, retain_graph=True)[0]


#: the candidates that are not peers (excluded from "the fastest peer")
NOT_PEERS = {"nnmath", "nnmath out=", "core out=", "copy 2 threads", "torch out=",
             "torch grad only"}

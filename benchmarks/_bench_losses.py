"""The losses and metrics ``bench.py`` times, and their candidates: nnmath (default call and
``out=`` where it has one), the naive NumPy expression, ``scipy.special``, PyTorch and
jitted JAX, on 10M predictions (the sparse ones: 10,000 rows × 1,000 classes). The
``_grad`` ops are the gradients of the mean loss in the logits: nnmath's
``Loss.gradient``, PyTorch's autograd (``torch.autograd.grad`` of the loss, forward and
backward) and jitted ``jax.grad``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from nnmath import losses as L
from nnmath import metrics as M

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

Fn = Callable[[], Any]
BIG = 10_000_000
ROWS, COLS = 10_000, 1_000
SMALL = 1_000
LOSSES = ["sparse_ce", "binary_ce", "sparse_ce_grad", "binary_ce_grad"]
ACCURACIES = ["binary_accuracy", "sparse_accuracy"]
OPS = LOSSES + ACCURACIES
#: the targets of ``out=`` against the two-thread copy of the input: the row functions 2
COPY_TARGET = {"sparse_ce": 2.0, "binary_ce": 1.5, "binary_accuracy": 1.5,
               "sparse_accuracy": 2.0, "sparse_ce_grad": 2.0, "binary_ce_grad": 1.5}


def inputs(op: str, dtype: Any, size: str) -> dict[str, Any]:
    rng = np.random.default_rng(42)
    op = op.removesuffix("_grad")
    if op in ("sparse_ce", "sparse_accuracy"):
        shape = (ROWS, COLS) if size == "big" else (SMALL // 100, 100)
        x = (3.0 * rng.standard_normal(shape)).astype(dtype)
        return {"x": x, "labels": rng.integers(0, shape[1], shape[0])}
    n = BIG if size == "big" else SMALL
    if op == "binary_accuracy":
        return {"x": rng.uniform(0, 1, n).astype(dtype),
                "y": (rng.uniform(0, 1, n) > 0.5).astype(dtype)}
    x = (3.0 * rng.standard_normal(n)).astype(dtype)
    return {"x": x, "y": (rng.uniform(0, 1, n) > 0.5).astype(dtype)}


def out_bytes(op: str, d: dict[str, Any]) -> int:
    """The bytes of the default call's result."""
    x = d["x"]
    if op in ("binary_accuracy", "sparse_ce_grad", "binary_ce_grad"):
        return x.nbytes
    if op in ("sparse_ce", "sparse_accuracy"):
        return x.shape[0] * x.itemsize
    return 0


def nnmath_calls(op: str, d: dict[str, Any]) -> tuple[Fn, Fn | None]:
    """nnmath's default call, and its ``out=`` call (``None``: none)."""
    x = d["x"]
    if op == "sparse_ce_grad":
        loss = L.SparseCategoricalCrossentropy(from_logits=True)
        return (lambda: loss.gradient(d["labels"], x)), None
    if op == "binary_ce_grad":
        bce = L.BinaryCrossentropy(from_logits=True)
        return (lambda: bce.gradient(d["y"], x)), None
    if op == "sparse_ce":
        lab = d["labels"]
        o = np.empty(x.shape[0], x.dtype)
        return ((lambda: L.sparse_categorical_crossentropy(lab, x, from_logits=True).mean()),
                lambda: L.sparse_categorical_crossentropy(lab, x, from_logits=True,
                                                          out=o).mean())
    if op == "binary_ce":
        y = d["y"]
        return (lambda: L.binary_crossentropy(y, x, from_logits=True)), None
    if op == "binary_accuracy":
        y = d["y"]
        o = np.empty_like(x)
        return (lambda: M.binary_accuracy(y, x)), (lambda: M.binary_accuracy(y, x, out=o))
    lab = d["labels"]
    o = np.empty(x.shape[0], x.dtype)
    return ((lambda: M.sparse_categorical_accuracy(lab, x)),
            lambda: M.sparse_categorical_accuracy(lab, x, out=o))


def numpy_call(op: str, d: dict[str, Any]) -> Fn:
    x = d["x"]
    if op == "sparse_ce_grad":  # (softmax(x) - onehot) / N
        lab, rows = d["labels"], np.arange(x.shape[0])

        def sce_grad() -> Any:
            e = np.exp(x - x.max(axis=-1, keepdims=True))
            g = e / e.sum(axis=-1, keepdims=True)
            g[rows, lab] -= 1
            return g / x.shape[0]
        return sce_grad
    if op == "binary_ce_grad":  # (sigmoid(x) - y) / N
        y = d["y"]
        return lambda: (1 / (1 + np.exp(-x)) - y) / x.size
    if op == "sparse_ce":
        lab = d["labels"]
        rows = np.arange(x.shape[0])

        def sce() -> Any:
            m = x.max(axis=-1, keepdims=True)
            lse = np.log(np.exp(x - m).sum(axis=-1)) + m[:, 0]
            return (lse - x[rows, lab]).mean()
        return sce
    if op == "binary_ce":
        y = d["y"]
        return lambda: np.mean(np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x))))
    if op == "binary_accuracy":
        y = d["y"]
        return lambda: (y == (x > 0.5)).astype(x.dtype)
    lab = d["labels"]
    return lambda: (lab == x.argmax(axis=-1)).astype(x.dtype)


def scipy_call(op: str, d: dict[str, Any]) -> Fn | None:
    if sps is None or op != "sparse_ce":
        return None
    x, lab = d["x"], d["labels"]
    rows = np.arange(x.shape[0])
    return lambda: (sps.logsumexp(x, axis=-1) - x[rows, lab]).mean()


def torch_call(op: str, d: dict[str, Any]) -> Fn | None:
    if torch is None:
        return None
    x = torch.from_numpy(d["x"])
    if op in ("sparse_ce_grad", "binary_ce_grad"):
        xr = x.clone().requires_grad_(True)
        if op == "sparse_ce_grad":
            lab = torch.from_numpy(d["labels"])
            return lambda: torch.autograd.grad(F.cross_entropy(xr, lab), xr)[0]
        y = torch.from_numpy(d["y"])
        return lambda: torch.autograd.grad(F.binary_cross_entropy_with_logits(xr, y), xr)[0]
    if op == "sparse_ce":
        lab = torch.from_numpy(d["labels"])
        return lambda: F.cross_entropy(x, lab)
    if op == "binary_ce":
        y = torch.from_numpy(d["y"])
        return lambda: F.binary_cross_entropy_with_logits(x, y)
    if op == "binary_accuracy":
        y = torch.from_numpy(d["y"])
        return lambda: (y == (x > 0.5)).to(x.dtype)
    lab = torch.from_numpy(d["labels"])
    return lambda: (lab == x.argmax(dim=-1)).to(x.dtype)


def jax_call(op: str, d: dict[str, Any]) -> Fn | None:
    if jax is None:
        return None
    nn = jax.nn
    x = jnp.asarray(d["x"])
    if op == "sparse_ce_grad":
        def sce_mean(v: Any, lab: Any) -> Any:
            return -jnp.mean(jnp.take_along_axis(nn.log_softmax(v), lab[:, None], axis=-1))
        jf, args = jax.jit(jax.grad(sce_mean)), (x, jnp.asarray(d["labels"]))
    elif op == "binary_ce_grad":
        def bce_mean(v: Any, y: Any) -> Any:
            return jnp.mean(jnp.maximum(v, 0) - v * y + jnp.log1p(jnp.exp(-jnp.abs(v))))
        jf, args = jax.jit(jax.grad(bce_mean)), (x, jnp.asarray(d["y"]))
    elif op == "sparse_ce":
        def sce(v: Any, lab: Any) -> Any:
            ls = nn.log_softmax(v)
            return -jnp.mean(jnp.take_along_axis(ls, lab[:, None], axis=-1))
        jf, args = jax.jit(sce), (x, jnp.asarray(d["labels"]))
    elif op == "binary_ce":
        def bce(v: Any, y: Any) -> Any:
            return jnp.mean(jnp.maximum(v, 0) - v * y + jnp.log1p(jnp.exp(-jnp.abs(v))))
        jf, args = jax.jit(bce), (x, jnp.asarray(d["y"]))
    elif op == "binary_accuracy":
        jf = jax.jit(lambda v, y: (y == (v > 0.5)).astype(v.dtype))
        args = (x, jnp.asarray(d["y"]))
    else:
        jf = jax.jit(lambda v, lab: (lab == jnp.argmax(v, axis=-1)).astype(v.dtype))
        args = (x, jnp.asarray(d["labels"]))
    return lambda: jf(*args).block_until_ready()


def candidates(op: str, d: dict[str, Any], peers: set[str], copy2: Any) -> dict[str, Fn]:
    """The calls of one round: nnmath (and ``out=``), the peers, the two-thread copy."""
    nn, nn_out = nnmath_calls(op, d)
    x = d["x"]
    o = np.empty_like(x)
    cands: dict[str, Fn | None] = {
        "nnmath": nn, "nnmath out=": nn_out, "copy 2 threads": lambda: copy2(o, x),
        "numpy": numpy_call(op, d) if "numpy" in peers else None,
        "scipy": scipy_call(op, d) if "scipy" in peers else None,
        "jax": jax_call(op, d) if "jax" in peers else None,
        "torch": torch_call(op, d) if "torch" in peers else None}
    return {k: v for k, v in cands.items() if v is not None}

"""The losses and metrics ``bench.py`` times, and their candidates: nnmath (default call and
``out=`` where it has one), the naive NumPy expression, ``scipy.special``, PyTorch and
jitted JAX, on 10M predictions (the sparse ones and the losses along a row of classes:
10,000 rows × 1,000 classes). The ``_grad`` ops are the gradients of the mean loss in the
logits (or predictions): nnmath's ``Loss.gradient``, PyTorch's autograd
(``torch.autograd.grad`` of the loss, forward and backward) and jitted ``jax.grad``.

The further losses (``MORE``): kl_divergence, categorical_hinge and categorical_focal
(from logits, gamma 2, alpha 0.25) on 10,000 × 1,000 rows, the mean of the per-sample
losses; poisson, hinge (labels -1 and 1), squared_hinge and binary_focal (from logits,
gamma 2) on 10M elements as one row, as binary_ce; the cross-entropies of probabilities
(Keras: renormalised rows, clipped to [eps, 1 - eps]) binary_ce_probs (10M elements),
cce_probs and sparse_ce_probs (10,000 × 1,000 rows), and cce_smooth, the categorical
cross-entropy from logits with label smoothing 0.1 (10,000 × 1,000). The peers compute the
same Keras semantics (clipping included) as plain expressions; PyTorch's
``poisson_nll_loss``, ``binary_cross_entropy``, ``nll_loss`` and ``cross_entropy`` where it
has the loss."""

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
LS = 0.1  # cce_smooth's label smoothing
MORE = ["kl", "poisson", "hinge", "squared_hinge", "categorical_hinge", "binary_focal",
        "categorical_focal", "binary_ce_probs", "cce_probs", "sparse_ce_probs", "cce_smooth"]
#: the losses along a row of classes (10,000 rows × 1,000), and their Loss classes
ROWWISE = {"kl", "categorical_hinge", "categorical_focal", "cce_probs", "sparse_ce_probs",
           "cce_smooth"}
CLASSES = {"kl": (L.KLDivergence, {}), "poisson": (L.Poisson, {}), "hinge": (L.Hinge, {}),
           "squared_hinge": (L.SquaredHinge, {}),
           "categorical_hinge": (L.CategoricalHinge, {}),
           "binary_focal": (L.BinaryFocalCrossentropy, {"from_logits": True}),
           "categorical_focal": (L.CategoricalFocalCrossentropy, {"from_logits": True}),
           "binary_ce_probs": (L.BinaryCrossentropy, {}),
           "cce_probs": (L.CategoricalCrossentropy, {}),
           "sparse_ce_probs": (L.SparseCategoricalCrossentropy, {}),
           "cce_smooth": (L.CategoricalCrossentropy, {"from_logits": True,
                                                     "label_smoothing": LS})}
EPS = 1e-7
LOSSES = ["sparse_ce", "binary_ce", "sparse_ce_grad", "binary_ce_grad", *MORE,
          *(f"{m}_grad" for m in MORE)]
ACCURACIES = ["binary_accuracy", "sparse_accuracy"]
OPS = LOSSES + ACCURACIES
#: the target at 1,000 elements against the naive NumPy expression (the activations' is 1.2)
SMALL_TARGET = 1.5
#: the targets of ``out=`` against the two-thread copy of the input: the row functions 2
COPY_TARGET = {"sparse_ce": 2.0, "binary_ce": 1.5, "binary_accuracy": 1.5,
               "sparse_accuracy": 2.0, "sparse_ce_grad": 2.0, "binary_ce_grad": 1.5,
               **{m: 2.0 if m in ROWWISE else 1.5 for m in MORE},
               **{f"{m}_grad": 2.0 if m in ROWWISE else 1.5 for m in MORE}}


def inputs(op: str, dtype: Any, size: str) -> dict[str, Any]:
    rng = np.random.default_rng(42)
    op = op.removesuffix("_grad")
    if op in MORE:
        return _more_inputs(op, dtype, size, rng)
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


def _more_inputs(op: str, dtype: Any, size: str, rng: Any) -> dict[str, Any]:
    if op in ROWWISE:
        shape = (ROWS, COLS) if size == "big" else (SMALL // 100, 100)
        if op == "kl":
            x = rng.dirichlet(np.ones(shape[1]), shape[0])
            y = rng.dirichlet(np.ones(shape[1]), shape[0])
        elif op in ("cce_probs", "sparse_ce_probs"):
            x = rng.dirichlet(np.ones(shape[1]), shape[0])
            lab = rng.integers(0, shape[1], shape[0])
            if op == "sparse_ce_probs":
                return {"x": x.astype(dtype), "y": lab}
            y = np.eye(shape[1])[lab]
        else:
            x = 3.0 * rng.standard_normal(shape)
            y = np.eye(shape[1])[rng.integers(0, shape[1], shape[0])]
        return {"x": x.astype(dtype), "y": y.astype(dtype)}
    n = BIG if size == "big" else SMALL
    if op == "poisson":
        x, y = rng.exponential(3.0, n), rng.poisson(3.0, n).astype(float)
    elif op == "binary_ce_probs":
        x, y = rng.uniform(0.02, 0.98, n), (rng.uniform(0, 1, n) > 0.5).astype(float)
    elif op in ("hinge", "squared_hinge"):
        x, y = 2.0 * rng.standard_normal(n), np.where(rng.uniform(0, 1, n) > 0.5, 1.0, -1.0)
    else:
        x, y = 3.0 * rng.standard_normal(n), (rng.uniform(0, 1, n) > 0.5).astype(float)
    return {"x": x.astype(dtype), "y": y.astype(dtype)}


def out_bytes(op: str, d: dict[str, Any]) -> int:
    """The bytes of the default call's result."""
    x = d["x"]
    if op.endswith("_grad") or op == "binary_accuracy":
        return x.nbytes
    if op in ("sparse_ce", "sparse_accuracy"):
        return x.shape[0] * x.itemsize
    return 0


def nnmath_calls(op: str, d: dict[str, Any]) -> tuple[Fn, Fn | None]:
    """nnmath's default call, and its ``out=`` call (``None``: none)."""
    x = d["x"]
    if op.removesuffix("_grad") in MORE:
        cls, kw = CLASSES[op.removesuffix("_grad")]
        loss = cls(**kw)
        y = d["y"]
        if op.endswith("_grad"):
            return (lambda: loss.gradient(y, x)), None
        per_sample = cls(reduction="none", **kw).call
        if op in ROWWISE:
            return (lambda: per_sample(y, x).mean()), None
        return (lambda: per_sample(y, x)), None
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


def _more_numpy(op: str, x: Any, y: Any) -> Fn:
    """The naive NumPy expressions of the further losses (the losses; no gradients)."""
    if op == "kl":
        def kl() -> Any:
            yc, pc = np.clip(y, EPS, 1), np.clip(x, EPS, 1)
            return np.mean(np.sum(yc * np.log(yc / pc), axis=-1))
        return kl
    if op == "poisson":
        return lambda: np.mean(x - y * np.log(x + EPS))
    if op == "hinge":
        return lambda: np.mean(np.maximum(1 - y * x, 0))
    if op == "squared_hinge":
        return lambda: np.mean(np.maximum(1 - y * x, 0) ** 2)
    if op == "categorical_hinge":
        def chinge() -> Any:
            pos = np.sum(y * x, axis=-1)
            neg = np.max((1 - y) * x, axis=-1)
            return np.mean(np.maximum(neg - pos + 1, 0))
        return chinge
    if op == "binary_focal":
        def bfocal() -> Any:
            s = 1 / (1 + np.exp(-x))
            bce = np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))
            q = y * (1 - s) + (1 - y) * s
            return np.mean(q**2 * bce)
        return bfocal
    if op in PROBS:
        return _probs_numpy(op, x, y)

    def cfocal() -> Any:
        m = x.max(axis=-1, keepdims=True)
        lr = x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))
        return np.mean(np.sum(-0.25 * y * (1 - np.exp(lr)) ** 2 * lr, axis=-1))
    return cfocal


PROBS = ("binary_ce_probs", "cce_probs", "sparse_ce_probs", "cce_smooth")


def _probs_numpy(op: str, x: Any, y: Any) -> Fn:
    """The naive NumPy expressions of the cross-entropies of probabilities and the smoothed
    one (the mean loss)."""
    if op == "binary_ce_probs":
        def bce() -> Any:
            pc = np.clip(x, EPS, 1 - EPS)
            return np.mean(-(y * np.log(pc) + (1 - y) * np.log1p(-pc)))
        return bce
    if op == "cce_probs":
        return lambda: np.mean(-np.sum(y * np.log(np.clip(
            x / x.sum(axis=-1, keepdims=True), EPS, 1 - EPS)), axis=-1))
    if op == "sparse_ce_probs":
        rows = np.arange(x.shape[0])
        return lambda: np.mean(-np.log(np.clip(x[rows, y] / x.sum(axis=-1), EPS, 1 - EPS)))

    def smooth() -> Any:
        ys = y * (1 - LS) + LS / x.shape[-1]
        m = x.max(axis=-1, keepdims=True)
        lr = x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))
        return np.mean(-np.sum(ys * lr, axis=-1))
    return smooth


def _probs_numpy_grad(op: str, x: Any, y: Any) -> Fn:
    """Their gradients (of the mean loss), naive NumPy."""
    if op == "binary_ce_probs":
        return lambda: np.where((x > EPS) & (x < 1 - EPS), (1 - y) / (1 - x) - y / x,
                                0) / x.size
    n = x.shape[0]
    if op == "cce_probs":
        def cce() -> Any:
            s = x.sum(axis=-1, keepdims=True)
            r = x / s
            g = np.where((r > EPS) & (r < 1 - EPS), -y / r, 0)
            return (g - (g * r).sum(axis=-1, keepdims=True)) / s / n
        return cce
    if op == "sparse_ce_probs":
        rows = np.arange(n)

        def sce() -> Any:
            s = x.sum(axis=-1, keepdims=True)
            g = np.repeat(1 / s, x.shape[1], axis=1)
            g[rows, y] -= 1 / x[rows, y]
            return g / n
        return sce

    def smooth() -> Any:
        ys = y * (1 - LS) + LS / x.shape[-1]
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return (e / e.sum(axis=-1, keepdims=True) - ys) / n
    return smooth


def _more_numpy_grad(op: str, x: Any, y: Any) -> Fn:
    """The naive NumPy expressions of the further losses' gradients (of the mean loss)."""
    if op in PROBS:
        return _probs_numpy_grad(op, x, y)
    n = x.size if op not in ROWWISE else x.shape[0]
    if op == "kl":
        return lambda: np.where((x >= EPS) & (x <= 1), -np.clip(y, EPS, 1) / np.clip(
            x, EPS, 1), 0) / n
    if op == "poisson":
        return lambda: (1 - y / (x + EPS)) / n
    if op == "hinge":
        return lambda: np.where(1 - y * x > 0, -y, 0) / n
    if op == "squared_hinge":
        return lambda: -2 * y * np.maximum(1 - y * x, 0) / n
    if op == "categorical_hinge":
        rows = np.arange(x.shape[0])

        def chinge() -> Any:
            o = (1 - y) * x
            k = o.argmax(axis=-1)
            live = (o[rows, k] - np.sum(y * x, axis=-1) + 1 > 0) / n
            g = -y.copy()
            g[rows, k] += 1 - y[rows, k]
            return g * live[:, None]
        return chinge
    if op == "binary_focal":
        def bfocal() -> Any:
            s = 1 / (1 + np.exp(-x))
            bce = np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))
            q = y * (1 - s) + (1 - y) * s
            return (2 * q * (1 - 2 * y) * s * (1 - s) * bce + q**2 * (s - y)) / n
        return bfocal

    def cfocal() -> Any:
        m = x.max(axis=-1, keepdims=True)
        lr = x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))
        r = np.exp(lr)
        h = 0.25 * y * (2 * (1 - r) * r * lr - (1 - r) ** 2)
        return (h - r * h.sum(axis=-1, keepdims=True)) / n
    return cfocal


def numpy_call(op: str, d: dict[str, Any]) -> Fn:
    x = d["x"]
    if op.removesuffix("_grad") in MORE:
        base = op.removesuffix("_grad")
        if op.endswith("_grad"):
            return _more_numpy_grad(base, x, d["y"])
        return _more_numpy(base, x, d["y"])
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


def _more_torch(op: str, x: Any, y: Any) -> Any:
    """The further losses as PyTorch expressions of the mean loss."""
    if op == "kl":
        yc, pc = y.clamp(EPS, 1), x.clamp(EPS, 1)
        return (yc * torch.log(yc / pc)).sum(-1).mean()
    if op == "poisson":
        return F.poisson_nll_loss(x, y, log_input=False, full=False, eps=EPS)
    if op == "hinge":
        return torch.clamp(1 - y * x, min=0).mean()
    if op == "squared_hinge":
        return (torch.clamp(1 - y * x, min=0) ** 2).mean()
    if op == "categorical_hinge":
        pos = (y * x).sum(-1)
        neg = ((1 - y) * x).amax(-1)
        return torch.clamp(neg - pos + 1, min=0).mean()
    if op == "binary_focal":
        s = torch.sigmoid(x)
        bce = F.binary_cross_entropy_with_logits(x, y, reduction="none")
        return ((y * (1 - s) + (1 - y) * s) ** 2 * bce).mean()
    if op == "binary_ce_probs":
        return F.binary_cross_entropy(x.clamp(EPS, 1 - EPS), y)
    if op == "cce_probs":
        return -(y * torch.log((x / x.sum(-1, keepdim=True)).clamp(EPS, 1 - EPS))).sum(-1).mean()
    if op == "sparse_ce_probs":
        return F.nll_loss(torch.log((x / x.sum(-1, keepdim=True)).clamp(EPS, 1 - EPS)), y)
    if op == "cce_smooth":
        return F.cross_entropy(x, y, label_smoothing=LS)
    lr = F.log_softmax(x, dim=-1)
    return (-0.25 * y * (1 - lr.exp()) ** 2 * lr).sum(-1).mean()


def torch_call(op: str, d: dict[str, Any]) -> Fn | None:
    if torch is None:
        return None
    x = torch.from_numpy(d["x"])
    if op.removesuffix("_grad") in MORE:
        base, y = op.removesuffix("_grad"), torch.from_numpy(d["y"])
        if op.endswith("_grad"):
            xr = x.clone().requires_grad_(True)
            return lambda: torch.autograd.grad(_more_torch(base, xr, y), xr)[0]
        return lambda: _more_torch(base, x, y)
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


def _more_jax(op: str) -> Callable[[Any, Any], Any]:
    """The further losses as jax.numpy functions of (x, y), the mean loss."""
    def kl(v: Any, y: Any) -> Any:
        yc, pc = jnp.clip(y, EPS, 1), jnp.clip(v, EPS, 1)
        return jnp.mean(jnp.sum(yc * jnp.log(yc / pc), axis=-1))

    def poisson(v: Any, y: Any) -> Any:
        return jnp.mean(v - y * jnp.log(v + EPS))

    def hinge(v: Any, y: Any) -> Any:
        return jnp.mean(jnp.maximum(1 - y * v, 0))

    def squared_hinge(v: Any, y: Any) -> Any:
        return jnp.mean(jnp.maximum(1 - y * v, 0) ** 2)

    def categorical_hinge(v: Any, y: Any) -> Any:
        pos = jnp.sum(y * v, axis=-1)
        neg = jnp.max((1 - y) * v, axis=-1)
        return jnp.mean(jnp.maximum(neg - pos + 1, 0))

    def binary_focal(v: Any, y: Any) -> Any:
        s = jax.nn.sigmoid(v)
        bce = jnp.maximum(v, 0) - v * y + jnp.log1p(jnp.exp(-jnp.abs(v)))
        return jnp.mean((y * (1 - s) + (1 - y) * s) ** 2 * bce)

    def categorical_focal(v: Any, y: Any) -> Any:
        lr = jax.nn.log_softmax(v)
        return jnp.mean(jnp.sum(-0.25 * y * (1 - jnp.exp(lr)) ** 2 * lr, axis=-1))

    def binary_ce_probs(v: Any, y: Any) -> Any:
        pc = jnp.clip(v, EPS, 1 - EPS)
        return jnp.mean(-(y * jnp.log(pc) + (1 - y) * jnp.log1p(-pc)))

    def cce_probs(v: Any, y: Any) -> Any:
        r = jnp.clip(v / v.sum(axis=-1, keepdims=True), EPS, 1 - EPS)
        return jnp.mean(-jnp.sum(y * jnp.log(r), axis=-1))

    def sparse_ce_probs(v: Any, y: Any) -> Any:
        py = jnp.take_along_axis(v, y[:, None], axis=-1)[:, 0]
        return jnp.mean(-jnp.log(jnp.clip(py / v.sum(axis=-1), EPS, 1 - EPS)))

    def cce_smooth(v: Any, y: Any) -> Any:
        ys = y * (1 - LS) + LS / v.shape[-1]
        return jnp.mean(-jnp.sum(ys * jax.nn.log_softmax(v), axis=-1))

    return {"kl": kl, "poisson": poisson, "hinge": hinge, "squared_hinge": squared_hinge,
            "categorical_hinge": categorical_hinge, "binary_focal": binary_focal,
            "categorical_focal": categorical_focal, "binary_ce_probs": binary_ce_probs,
            "cce_probs": cce_probs, "sparse_ce_probs": sparse_ce_probs,
            "cce_smooth": cce_smooth}[op]


def jax_call(op: str, d: dict[str, Any]) -> Fn | None:
    if jax is None:
        return None
    nn = jax.nn
    x = jnp.asarray(d["x"])
    if op.removesuffix("_grad") in MORE:
        f = _more_jax(op.removesuffix("_grad"))
        jf = jax.jit(jax.grad(f) if op.endswith("_grad") else f)
        y = jnp.asarray(d["y"])
        return lambda: jf(x, y).block_until_ready()
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

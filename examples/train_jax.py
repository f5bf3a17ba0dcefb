#!/usr/bin/env python
"""Train a small JAX network twice — with nnmath.jax, and with JAX's own functions — and
compare the loss curves.

The 8x8 digit images of scikit-learn (1797 of them, bundled: no download) go through

    x (64) -> Dense(64) -> GELU -> Dense(10) -> logits

trained for 10 epochs with Adam (written out below: the example needs only JAX and
scikit-learn) on the mean integer-label softmax cross-entropy, in minibatches of 64 drawn
in the same order in both runs. The two runs start from the same parameters and differ
only in two functions:

* nnmath: ``nnmath.jax.gelu`` and ``nnmath.jax.softmax_cross_entropy_with_integer_labels``
  (``jax.custom_vjp`` functions whose backward is nnmath's analytic derivative);
* JAX: ``jax.nn.gelu(approximate=False)`` and the cross-entropy written with
  ``jax.nn.log_softmax``, differentiated by JAX.

It prints both curves (the mean training loss after each epoch, and the test accuracy) and
the largest relative difference between them, and exits with status 1 if that is above
1e-5. Everything is deterministic (one PRNG key, a fixed split).

Run::

    python examples/train_jax.py [--epochs 10] [--seed 0] [--path default|core|xp]
                                 [--float64]

``--path`` chooses nnmath.jax's path on the CPU (``nnmath.jax.use_core``): ``default`` is
each function's measured default, ``core`` the compiled core through callbacks (nnmath's
NumPy results bit for bit), ``xp`` nnmath's formulas traced by XLA.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import nnmath.jax as nj

Params = dict[str, Any]
LIMIT = 1e-5


def load_digits_split(seed: int = 0, test_fraction: float = 0.2
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The digits data, shuffled with ``seed`` and split; pixels (0..16) scaled to [0, 1]."""
    from sklearn.datasets import load_digits
    data = load_digits()
    x = (data.data / 16.0).astype(np.float64)
    y = data.target.astype(np.int32)
    order = np.random.default_rng(seed).permutation(len(y))
    x, y = x[order], y[order]
    n_test = round(test_fraction * len(y))
    return x[n_test:], y[n_test:], x[:n_test], y[:n_test]


def init_params(key: Any, sizes: tuple[int, ...] = (64, 64, 10),
                dtype: Any = jnp.float32) -> Params:
    """He-normal weights and zero biases for the dense layers."""
    params: Params = {}
    keys = jax.random.split(key, len(sizes) - 1)
    for i, (k, m, n) in enumerate(zip(keys, sizes[:-1], sizes[1:], strict=True)):
        params[f"w{i}"] = jax.random.normal(k, (m, n), dtype) * jnp.sqrt(2.0 / m).astype(dtype)
        params[f"b{i}"] = jnp.zeros((n,), dtype)
    return params


def jax_gelu(t: Any) -> Any:
    return jax.nn.gelu(t, approximate=False)


def jax_cross_entropy(logits: Any, labels: Any) -> Any:
    """-log_softmax(logits)[label], one value per example, by JAX's own operations."""
    log_p = jax.nn.log_softmax(logits, axis=-1)
    return -jnp.take_along_axis(log_p, labels[:, None], axis=-1)[:, 0]


def make_loss(activation: Callable[[Any], Any], cross_entropy: Callable[[Any, Any], Any]
              ) -> Callable[[Params, Any, Any], Any]:
    def logits(params: Params, x: Any) -> Any:
        return activation(x @ params["w0"] + params["b0"]) @ params["w1"] + params["b1"]

    def loss(params: Params, x: Any, y: Any) -> Any:
        return cross_entropy(logits(params, x), y).mean()

    loss.logits = logits  # type: ignore[attr-defined]
    return loss


def adam(lr: float = 1e-3, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8
         ) -> tuple[Callable[[Params], Any], Callable[[Params, Params, Any], Any]]:
    """Adam (Kingma and Ba) as two functions: the initial state, and one update."""
    def init(params: Params) -> Any:
        zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
        return (zeros, zeros, 0)

    def update(params: Params, grads: Params, state: Any) -> tuple[Params, Any]:
        m, v, t = state
        t = t + 1
        m = jax.tree_util.tree_map(lambda a, g: b1 * a + (1 - b1) * g, m, grads)
        v = jax.tree_util.tree_map(lambda a, g: b2 * a + (1 - b2) * g * g, v, grads)
        scale = lr * jnp.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        params = jax.tree_util.tree_map(
            lambda p, a, b: p - (scale * a / (jnp.sqrt(b) + eps)).astype(p.dtype),
            params, m, v)
        return params, (m, v, t)

    return init, update


def train(activation: Callable[[Any], Any], cross_entropy: Callable[[Any, Any], Any],
          params: Params, data: tuple[np.ndarray, ...], epochs: int = 10,
          batch: int = 64, seed: int = 0, dtype: Any = jnp.float32) -> dict[str, list[float]]:
    """Minibatch Adam; after each epoch the mean loss on the whole training set and the
    test accuracy."""
    x_train, y_train, x_test, y_test = data
    xt, yt = jnp.asarray(x_train, dtype), jnp.asarray(y_train)
    xs, ys = jnp.asarray(x_test, dtype), jnp.asarray(y_test)
    loss = make_loss(activation, cross_entropy)
    init, update = adam()
    state = init(params)

    @jax.jit
    def step(params: Params, state: Any, x: Any, y: Any) -> tuple[Params, Any]:
        grads = jax.grad(loss)(params, x, y)
        return update(params, grads, state)

    evaluate = jax.jit(loss)
    accuracy = jax.jit(lambda p, x, y: (loss.logits(p, x).argmax(-1) == y).mean())  # type: ignore[attr-defined]
    key = jax.random.key(seed)
    curve: dict[str, list[float]] = {"loss": [], "accuracy": []}
    n = len(y_train)
    for _ in range(epochs):
        key, sub = jax.random.split(key)
        order = np.asarray(jax.random.permutation(sub, n))
        for i in range(0, n - batch + 1, batch):
            idx = order[i:i + batch]
            params, state = step(params, state, xt[idx], yt[idx])
        curve["loss"].append(float(evaluate(params, xt, yt)))
        curve["accuracy"].append(float(accuracy(params, xs, ys)))
    return curve


def run(epochs: int = 10, seed: int = 0, path: str = "default", float64: bool = False,
        log: Callable[[str], None] | None = print) -> dict[str, Any]:
    """Both trainings from the same initial parameters; the curves and their largest
    relative difference (of the training loss, over the epochs)."""
    if float64:
        jax.config.update("jax_enable_x64", True)
    dtype = jnp.float64 if float64 else jnp.float32
    data = load_digits_split(seed)
    params = init_params(jax.random.key(seed), dtype=dtype)
    flag = {"default": None, "core": True, "xp": False}[path]
    with nj.use_core(flag):
        ours = train(nj.gelu, nj.softmax_cross_entropy_with_integer_labels, params, data,
                     epochs, seed=seed, dtype=dtype)
    theirs = train(jax_gelu, jax_cross_entropy, params, data, epochs, seed=seed, dtype=dtype)
    diff = max(abs(a - b) / abs(b) for a, b in zip(ours["loss"], theirs["loss"], strict=True))
    if log is not None:
        with nj.use_core(flag):
            paths = {name: nj.path(name)
                     for name in ("gelu", "softmax_cross_entropy_with_integer_labels")}
        log(f"digits: {len(data[1])} training and {len(data[3])} test images; "
            f"{jnp.dtype(dtype).name}; nnmath.jax paths {paths}")
        log(f"{'epoch':>5} {'nnmath loss':>14} {'JAX loss':>14} {'rel. diff':>10} "
            f"{'nnmath acc':>10} {'JAX acc':>8}")
        for e, (a, b, ca, cb) in enumerate(zip(ours["loss"], theirs["loss"], ours["accuracy"],
                                               theirs["accuracy"], strict=True), 1):
            log(f"{e:5d} {a:14.9f} {b:14.9f} {abs(a - b) / abs(b):10.2e} {ca:10.4f} "
                f"{cb:8.4f}")
        log(f"largest relative difference of the loss curves: {diff:.3e} "
            f"({'within' if diff <= LIMIT else 'above'} {LIMIT:g})")
    return {"nnmath": ours, "jax": theirs, "max_rel_diff": diff}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--path", choices=["default", "core", "xp"], default="default")
    parser.add_argument("--float64", action="store_true")
    args = parser.parse_args(argv)
    out = run(args.epochs, args.seed, args.path, args.float64)
    return 0 if out["max_rel_diff"] <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())

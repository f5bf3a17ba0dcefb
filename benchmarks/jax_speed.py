"""nnmath.jax against JAX's own operations, jitted, on the CPU backend.

For a few activations and the integer-label cross-entropy: the forward value and the
gradient of the sum (forward + backward), each under ``jax.jit``, nnmath's core through
``jax.pure_callback`` (the CPU path) and nnmath's ``xp`` formulas traced by JAX (the path
of the other backends, forced here on the CPU) against JAX's own ``jax.nn`` operations
compiled by XLA. Prints medians and the ratios to JAX (below 1: nnmath is faster).

    python benchmarks/jax_speed.py [--n 10000000] [--dtype float32] [--repeats 7]
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

import nnmath.jax as nj


def _median_time(fn: Callable[[], Any], repeats: int) -> float:
    jax.block_until_ready(fn())  # compile and warm up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _jax_cross_entropy(logits: Any, labels: Any) -> Any:
    logp = jax.nn.log_softmax(logits)
    return -jnp.take_along_axis(logp, labels[:, None], axis=1)[:, 0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    if args.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    key = jax.random.key(0)
    x = jax.random.normal(key, (args.n,), dtype=args.dtype) * 3
    rows = max(args.n // 10, 1)
    logits = jax.random.normal(key, (rows, 10), dtype=args.dtype)
    labels = jax.random.randint(key, (rows,), 0, 10)
    cases: list[tuple[str, Callable[..., Any], Callable[..., Any], tuple[Any, ...]]] = [
        ("gelu", nj.gelu, lambda t: jax.nn.gelu(t, approximate=False), (x,)),
        ("silu", nj.silu, jax.nn.silu, (x,)),
        ("tanh", nj.tanh, jnp.tanh, (x,)),
        ("softplus", nj.softplus, jax.nn.softplus, (x,)),
        ("softmax (rows of 10)", nj.softmax, jax.nn.softmax, (logits,)),
        ("cross-entropy, integer labels",
         nj.softmax_cross_entropy_with_integer_labels, _jax_cross_entropy, (logits, labels)),
    ]
    print(f"{jax.__version__=}, backend {jax.default_backend()}, n={args.n}, {args.dtype}, "
          f"median of {args.repeats}")
    print(f"{'function':30} {'what':17} {'core s':>8} {'xp s':>8} {'JAX s':>8} "
          f"{'core/JAX':>9} {'xp/JAX':>7}")
    for name, ours, theirs, inputs in cases:
        for what in ("forward", "forward+backward"):
            t: dict[str, float] = {}
            compiled: Callable[..., Any]
            for who, fn, force_xp in (("core", ours, False), ("xp", ours, True),
                                      ("jax", theirs, False)):
                nj._FORCE_XP = force_xp
                if what == "forward":
                    compiled = jax.jit(lambda *a, f=fn: f(*a))
                else:
                    compiled = jax.jit(jax.grad(lambda *a, f=fn: f(*a).sum()))
                t[who] = _median_time(functools.partial(compiled, *inputs), args.repeats)
            nj._FORCE_XP = False
            print(f"{name:30} {what:17} {t['core']:8.4f} {t['xp']:8.4f} {t['jax']:8.4f} "
                  f"{t['core'] / t['jax']:9.2f} {t['xp'] / t['jax']:7.2f}")


if __name__ == "__main__":
    main()

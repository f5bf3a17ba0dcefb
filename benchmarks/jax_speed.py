"""nnmath.jax's two CPU paths against each other and against JAX's own operations, jitted.

For every function of ``nnmath.jax`` (each activation of ``nnmath.activations.names()``
without the aliases, and the three losses): the forward value and the gradient of the sum
(forward + backward), each under ``jax.jit``, for nnmath's compiled core through
``jax.pure_callback`` (the ``"core"`` path, ``nnmath.jax.use_core(True)``) and nnmath's
``xp`` formulas traced by XLA (the ``"xp"`` path, ``use_core(False)``), and, where JAX has
the same function with the same defaults, JAX's own (``jax.nn``) compiled by XLA. Sizes
10M and 1,000 elements, float32 and float64; medians of ``--repeats`` timings (at 1,000
elements each timing is ``--calls`` calls, and the figure is per call). The three paths
are timed one after the other for each case.

The rule that decides the default path of a function on the CPU (``CPU_DEFAULT``): the core
where it is faster than the ``xp`` path in all four cases at the largest size (float32 and
float64, value and value + gradient), the ``xp`` path otherwise.

    python benchmarks/jax_speed.py [--sizes 10000000,1000] [--dtypes float32,float64]
                                   [--repeats 5] [--functions gelu,tanh] [--write]

``--write`` (only with the default sizes, dtypes and all functions) writes
``benchmarks/JAX_SPEED.md`` (the figures) and ``src/nnmath/jax/_paths.py`` (the table that
follows from them, which ``nnmath.jax`` reads).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from _common import machine

import nnmath
import nnmath.activations as A
import nnmath.jax as nj
from nnmath import _core

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "benchmarks" / "JAX_SPEED.md"
PATHS = ROOT / "src" / "nnmath" / "jax" / "_paths.py"
SIZES = (10_000_000, 1_000)
DTYPES = ("float32", "float64")
ROW = 10  # the length of a row for the functions along an axis (classes of a loss)

#: parameters for the functions that need some
PARAMS: dict[str, dict[str, Any]] = {"threshold": {"threshold": 0.5, "default_value": -1.0}}
AXIS = ("softmax", "log_softmax", "softmin", "sparsemax", "glu")
LOSSES = ("softmax_cross_entropy", "softmax_cross_entropy_with_integer_labels",
          "sigmoid_binary_cross_entropy")


def _jax_reference(name: str) -> Callable[..., Any] | None:
    """JAX's own function with nnmath's defaults, or None where JAX has none."""
    nn = jax.nn
    same = ("sigmoid", "hard_sigmoid", "sparse_sigmoid", "log_sigmoid", "relu", "relu6",
            "leaky_relu", "elu", "selu", "celu", "silu", "hard_silu", "mish", "softplus",
            "sparse_plus", "squareplus", "hard_tanh", "softmax", "log_softmax", "glu")
    if name in same:
        return getattr(nn, name, None)
    table: dict[str, Callable[..., Any]] = {
        "gelu": lambda t: nn.gelu(t, approximate=False),
        "softsign": nn.soft_sign, "tanh": jnp.tanh, "exponential": jnp.exp,
        "linear": lambda t: t,
        "softmax_cross_entropy": lambda z, y: -(y * nn.log_softmax(z)).sum(-1),
        "softmax_cross_entropy_with_integer_labels": lambda z, y: -jnp.take_along_axis(
            nn.log_softmax(z), y[:, None], axis=1)[:, 0],
        "sigmoid_binary_cross_entropy": lambda z, y: nn.softplus(z) - y * z,
    }
    return table.get(name)


def _function(name: str) -> Callable[..., Any]:
    fn = getattr(nj, name)
    params = PARAMS.get(name, {})
    if name == "prelu":
        return lambda t: fn(t, jnp.asarray(0.25, t.dtype))
    return (lambda *a: fn(*a, **params)) if params else fn


def _inputs(name: str, n: int, dtype: str) -> tuple[Any, ...]:
    key1, key2 = jax.random.split(jax.random.key(0))
    if name in AXIS or name.startswith("softmax_cross"):
        shape: tuple[int, ...] = (max(n // ROW, 1), ROW)
    else:
        shape = (n,)
    x = jax.random.normal(key1, shape, dtype=dtype) * 3
    if name == "softmax_cross_entropy":
        return x, jax.nn.softmax(jax.random.normal(key2, shape, dtype=dtype))
    if name == "softmax_cross_entropy_with_integer_labels":
        return x, jax.random.randint(key2, shape[:1], 0, ROW)
    if name == "sigmoid_binary_cross_entropy":
        return x, jax.random.uniform(key2, shape, dtype=dtype)
    return (x,)


def _median_time(fn: Callable[..., Any], inputs: tuple[Any, ...], repeats: int,
                 calls: int) -> float:
    jax.block_until_ready(fn(*inputs))  # compile and warm up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            out = fn(*inputs)
        jax.block_until_ready(out)
        times.append((time.perf_counter() - t0) / calls)
    return statistics.median(times)


def measure(name: str, n: int, dtype: str, repeats: int, calls: int) -> list[dict[str, Any]]:
    """One row per kind (value, value+grad): seconds per call of core, xp and JAX."""
    inputs = _inputs(name, n, dtype)
    ours, theirs = _function(name), _jax_reference(name)
    rows = []
    for kind in ("value", "value+grad"):
        row: dict[str, Any] = {"function": name, "n": n, "dtype": dtype, "kind": kind}
        for who, fn, flag in (("core", ours, True), ("xp", ours, False),
                              ("jax", theirs, None)):
            if fn is None:
                row[who] = None
                continue
            with nj.use_core(flag):
                if kind == "value":
                    compiled = jax.jit(lambda *a, f=fn: f(*a))
                else:
                    compiled = jax.jit(jax.value_and_grad(lambda *a, f=fn: f(*a).sum()))
                row[who] = _median_time(compiled, inputs, repeats, 1 if n > 100_000 else calls)
        rows.append(row)
    return rows


def decide(rows: list[dict[str, Any]]) -> dict[str, str]:
    """The default path of each function: the core where it was faster than the xp path in
    every case at the largest size measured, the xp path otherwise."""
    largest = max(r["n"] for r in rows)
    out: dict[str, str] = {}
    for r in rows:
        if r["n"] != largest:
            continue
        faster = r["core"] < r["xp"]
        out[r["function"]] = "core" if out.get(r["function"], "core") == "core" and faster \
            else "xp"
    return out


def functions() -> list[str]:
    names = [n for n in A.names() if A.REGISTRY[n].name == n]  # without the aliases
    return names + list(LOSSES)


def _load() -> str:
    return "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg()) if hasattr(os, "getloadavg") \
        else "n/a"


def _versions() -> str:
    import jaxlib
    return (f"Python {platform.python_version()}, NumPy {np.__version__}, JAX {jax.__version__} "
            f"(jaxlib {jaxlib.__version__}, backend {jax.default_backend()}), nnmath "
            f"{nnmath.__version__} (core level {_core.cpu_level()}, "
            f"{_core.get_num_threads()} threads)")


def _ms(v: float | None) -> str:
    return "–" if v is None else f"{v * 1e3:.3f}" if v < 1e-2 else f"{v * 1e3:.1f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "–" if a is None or b is None else f"{a / b:.2f}"


def report(rows: list[dict[str, Any]], table: dict[str, str], head: dict[str, Any]) -> str:
    largest = max(r["n"] for r in rows)
    lines = [
        "# nnmath.jax on the CPU: the core path against the xp path",
        "",
        f"Machine: {head['machine']}.  ",
        f"Load average at the start {head['load0']}, at the end {head['load1']}.  ",
        f"Versions: {head['versions']}.  ",
        f"Command: `{head['command']}` ({head['minutes']:.1f} minutes).",
        "",
        "Every function under `jax.jit`: *value* is `f(x)`, *value+grad* is "
        "`jax.value_and_grad(lambda x: f(x).sum())` (for the losses the gradient in the "
        "logits). *core*: `nnmath.jax.use_core(True)`, nnmath's compiled core through "
        "`jax.pure_callback`; *xp*: `use_core(False)`, nnmath's `xp` formulas traced and "
        "compiled by XLA; *JAX*: JAX's own function where it has one with nnmath's defaults "
        "(`jax.nn`, `jnp.tanh`, `jnp.exp`; the losses written with `jax.nn.log_softmax` and "
        "`jax.nn.softplus`). Inputs: standard normal × 3; the functions along an axis and "
        f"the cross-entropies on rows of {ROW}; `prelu` with a scalar weight 0.25, "
        "`threshold` with threshold 0.5 and value -1. Milliseconds per call, medians of "
        f"{head['repeats']} timings (at 1,000 elements each timing is {head['calls']} calls).",
        "",
        "## The default path of each function on the CPU",
        "",
        f"The rule: the core where it is faster than the xp path in all four cases at "
        f"{largest:,} elements (float32 and float64, value and value+grad), the xp path "
        "otherwise. The columns are core time / xp time at that size (< 1: the core is "
        "faster). `benchmarks/jax_speed.py --write` writes this table into "
        "`src/nnmath/jax/_paths.py` (`nnmath.jax.CPU_DEFAULT`).",
        "",
        "| function | " + " | ".join(f"{dt} {kind}" for dt in DTYPES
                                      for kind in ("value", "value+grad")) + " | default |",
        "|---|" + "---:|" * 4 + "---|",
    ]
    by = {(r["function"], r["n"], r["dtype"], r["kind"]): r for r in rows}
    for name in table:
        cells = []
        for dt in DTYPES:
            for kind in ("value", "value+grad"):
                r = by.get((name, largest, dt, kind))
                cells.append(_ratio(r["core"], r["xp"]) if r else "–")
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {table[name]} |")
    counts = {p: sum(v == p for v in table.values()) for p in ("core", "xp")}
    lines += ["", f"{counts['core']} functions default to the core, {counts['xp']} to the "
              "xp formulas.", "", "## All figures", "",
              "| function | n | dtype | kind | core ms | xp ms | JAX ms | core/xp | xp/JAX |",
              "|---|---:|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['function']} | {r['n']:,} | {r['dtype']} | {r['kind']} | "
                     f"{_ms(r['core'])} | {_ms(r['xp'])} | {_ms(r['jax'])} | "
                     f"{_ratio(r['core'], r['xp'])} | {_ratio(r['xp'], r['jax'])} |")
    return "\n".join(lines) + "\n"


def paths_module(table: dict[str, str]) -> str:
    body = "".join(f"    {name!r}: {p!r},\n" for name, p in table.items())
    return (
        '"""The path each function of :mod:`nnmath.jax` takes on the CPU backend by default.\n'
        "\n"
        "Written by ``benchmarks/jax_speed.py --write`` from the figures in\n"
        "``benchmarks/JAX_SPEED.md``: ``\"core\"`` (nnmath's compiled core through\n"
        "``jax.pure_callback``) where it was faster than nnmath's ``xp`` formulas traced by XLA\n"
        "in every case at 10M elements (float32 and float64, value and value + gradient),\n"
        "``\"xp\"`` otherwise. :func:`nnmath.jax.use_core` overrides it.\n"
        '"""\n\n'
        "CPU_DEFAULT: dict[str, str] = {\n" + body + "}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--dtypes", default=",".join(DTYPES))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--functions", default=None)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    sizes = [int(v) for v in args.sizes.split(",")]
    dtypes = args.dtypes.split(",")
    names = args.functions.split(",") if args.functions else functions()
    if args.write and (sorted(sizes) != sorted(SIZES) or sorted(dtypes) != sorted(DTYPES)
                       or names != functions()):
        parser.error("--write needs the default sizes, dtypes and functions")
    if "float64" in dtypes:
        jax.config.update("jax_enable_x64", True)
    head: dict[str, Any] = {"machine": machine(), "load0": _load(), "versions": _versions(),
            "repeats": str(args.repeats), "calls": str(args.calls),
            "command": "python benchmarks/jax_speed.py " + " ".join(sys.argv[1:] if argv is None
                                                                     else argv)}
    t0 = time.perf_counter()
    print(f"{head['versions']}; load {head['load0']}", flush=True)
    print(f"{'function':42} {'n':>9} {'dtype':8} {'kind':11} {'core ms':>9} {'xp ms':>9} "
          f"{'JAX ms':>9} {'core/xp':>8}", flush=True)
    rows: list[dict[str, Any]] = []
    for name in names:
        for n in sizes:
            for dt in dtypes:
                for r in measure(name, n, dt, args.repeats, args.calls):
                    rows.append(r)
                    print(f"{name:42} {n:9d} {dt:8} {r['kind']:11} {_ms(r['core']):>9} "
                          f"{_ms(r['xp']):>9} {_ms(r['jax']):>9} "
                          f"{_ratio(r['core'], r['xp']):>8}", flush=True)
    table = decide(rows)
    print("default path:", table)
    if args.write:
        head.update(load1=_load(), minutes=(time.perf_counter() - t0) / 60)
        REPORT.write_text(report(rows, table, head))
        PATHS.write_text(paths_module(table))
        print(f"wrote {REPORT.relative_to(ROOT)} and {PATHS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""nnmath against what a user would otherwise call, on a CPU, every target in one run.

For every activation (``_bench_ops.py``: those with a PyTorch or JAX counterpart, softmax
and log_softmax), both dtypes, 10M elements (rows of 1,000 along the last axis), the
value, the derivative (``gradient``) and the fused ``backward(x, g)`` are timed against
naive NumPy, ``scipy.special``, PyTorch (2 threads, and its ``out=`` variants) and jitted
JAX, beside a two-thread ``np.copyto`` of the input (the memory floor). Every candidate of
an op and dtype runs once per round, after a pause, in interleaved rounds; the tables give
medians and ratios, and each row says whether it meets its targets:

1. nnmath's default call at most the fastest peer's time; ``out=`` at most PyTorch's
   ``out=``; ``backward`` at most PyTorch autograd's forward + grad;
2. ``out=`` (the core ufuncs ``NAME_grad``/``NAME_backward`` for the derivatives) within
   1.5x of the two-thread copy (2x for the functions along an axis);
3. at 1,000 elements, nnmath within 1.2x of the naive NumPy expression (the derivatives:
   of one NumPy ufunc call, ``np.negative(x)`` or ``np.multiply(x, g)``);
4. ``out=`` allocates nothing, the default call only its output (``tracemalloc``).

The losses and metrics (``_bench_losses.py``) keep their rows: nnmath against the peers
and the copy.

Threads: the core's pool is pinned one thread per CPU (``NNMATH_PIN_THREADS=1``, set here
before the import), PyTorch runs ``set_num_threads(2)``, the copy's helper thread is
pinned to the second CPU, and the calling thread to the first once every pool has started.

Usage::

    python benchmarks/bench.py                 # print the tables
    python benchmarks/bench.py --write         # ... and write benchmarks/RESULTS.md
    python benchmarks/bench.py --rounds 3 --ops sigmoid,softmax --dtypes float32
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("NNMATH_PIN_THREADS", "1")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402

try:
    import torch

    torch.set_num_threads(2)
except ImportError:  # pragma: no cover - optional
    torch = None
try:
    import jax

    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
except ImportError:  # pragma: no cover - optional
    jax = None
try:
    import scipy
except ImportError:  # pragma: no cover - optional
    scipy = None

import _bench_losses as BL  # noqa: E402
import _bench_ops as BO  # noqa: E402
from _common import (  # noqa: E402
    SLACK,
    TwoThreadCopy,
    allocated,
    bytes_cell,
    fails,
    machine,
    measure,
    ok_cell,
    pin,
    thread_affinities,
    verdict,
)

import nnmath  # noqa: E402
from nnmath import _core  # noqa: E402

BIG = 10_000_000
SMALL = 1_000
PEERS = ("numpy", "scipy", "torch", "jax")


def _fastest(med: dict[str, float], exclude: set[str]) -> tuple[str | None, float | None]:
    peers = {k: v for k, v in med.items() if k not in exclude}
    if not peers:
        return None, None
    best = min(peers, key=lambda k: peers[k])
    return best, peers[best]


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a / b


def bench_op(op: BO.Op, dtype: Any, peers: set[str], copy2: Any, rounds: int,
             small_rounds: int) -> list[dict[str, Any]]:
    """The rows (value, gradient, backward) of one activation and dtype."""
    x, g = BO.inputs(op, dtype, BIG)
    kinds = BO.candidates(op, x, g, peers, copy2)
    flat = {f"{kind}/{name}": fn for kind, cands in kinds.items() for name, fn in cands.items()}
    med = measure(flat, BIG, rounds)
    by_kind = {kind: {name: med[f"{kind}/{name}"] for name in cands}
               for kind, cands in kinds.items()}
    copy_t = by_kind["value"]["copy 2 threads"]
    small = _small(op, dtype, small_rounds)
    rows = []
    for kind, m in by_kind.items():
        if "nnmath" not in m:
            continue
        best, best_t = _fastest(m, BO.NOT_PEERS)
        out_t = m.get("nnmath out=", m.get("core out="))
        cands = kinds[kind]
        alloc = allocated(cands["nnmath"]) - x.nbytes
        alloc_out = allocated(cands["nnmath out="] if "nnmath out=" in cands
                              else cands["core out="]) if out_t is not None else None
        row: dict[str, Any] = {
            "op": op.label, "dtype": np.dtype(dtype).name, "kind": kind,
            "nnmath": m["nnmath"], "best": best, "best_t": best_t,
            "vs_peer": _ratio(m["nnmath"], best_t),
            "out_vs_torch": _ratio(m.get("nnmath out="), m.get("torch out=")),
            "out_vs_copy": _ratio(out_t, copy_t), "copy_target": 2.0 if op.row else 1.5,
            "small": small.get(kind), "small_target": 1.2, "alloc": alloc,
            "alloc_out": alloc_out, "all": m,
            "no_out": out_t is None,  # this build's core has no ufunc for it
        }
        if kind == "backward":
            row["all"] = {**m, "copy 2 threads": copy_t,
                          "nnmath value + backward": by_kind["value"]["nnmath"] + m["nnmath"]}
        elif kind == "gradient":
            row["all"] = {**m, "copy 2 threads": copy_t}
        rows.append(row)
    return rows


def _small(op: BO.Op, dtype: Any, rounds: int) -> dict[str, float]:
    """nnmath at 1,000 elements over its NumPy reference, for each kind."""
    x, g = BO.inputs(op, dtype, SMALL)
    inst = BO.instance(op)
    f = getattr(nnmath.activations, op.name)
    kw = op.params
    cases: dict[str, Callable[[], Any]] = {
        "value": lambda: f(x, **kw), "backward": lambda: inst.backward(x, g),
        "np.negative": lambda: np.negative(x), "np.multiply": lambda: np.multiply(x, g)}
    if op.numpy(x[:2]) is not None:
        cases["numpy"] = lambda: op.numpy(x)
    if not op.row:
        cases["gradient"] = lambda: inst.gradient(x)
    t = measure(cases, SMALL, rounds, pause=0.0)
    res = {"backward": t["backward"] / t["np.multiply"]}
    if "numpy" in t:
        res["value"] = t["value"] / t["numpy"]
    if "gradient" in t:
        res["gradient"] = t["gradient"] / t["np.negative"]
    return res


def bench_loss(op: str, dtype: Any, peers: set[str], copy2: Any, rounds: int,
               small_rounds: int) -> dict[str, Any]:
    d = BL.inputs(op, dtype, "big")
    cands = BL.candidates(op, d, peers, copy2)
    med = measure(cands, BIG, rounds)
    best, best_t = _fastest(med, {"nnmath", "nnmath out=", "copy 2 threads"})
    alloc = allocated(cands["nnmath"]) - BL.out_bytes(op, d)
    ds = BL.inputs(op, dtype, "small")
    t = measure({"nnmath": BL.nnmath_calls(op, ds)[0], "numpy": BL.numpy_call(op, ds)},
                SMALL, small_rounds, pause=0.0)
    return {"op": op, "dtype": np.dtype(dtype).name, "nnmath": med["nnmath"], "best": best,
            "best_t": best_t, "vs_peer": _ratio(med["nnmath"], best_t),
            "out_vs_copy": _ratio(med.get("nnmath out="), med["copy 2 threads"]),
            "copy_target": BL.COPY_TARGET[op], "small": t["nnmath"] / t["numpy"],
            "small_target": BL.SMALL_TARGET,
            "alloc": alloc, "all": med}


def _start_pools(copy2: Any) -> None:
    """Start every thread pool while the calling thread may still run on every CPU (a
    pool's threads inherit its CPUs), then pin the calling thread to the first CPU."""
    big = np.zeros(1 << 21)
    _core.sigmoid(big)
    copy2(np.empty_like(big), big)
    if torch is not None:
        torch.sigmoid(torch.from_numpy(big))
    if jax is not None:
        jax.jit(jax.nn.sigmoid)(big).block_until_ready()
    pin(0)


def main(argv: list[str] | None = None) -> int:
    names = [*BO.BY_LABEL, *BL.OPS]
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3,
                    help="interleaved rounds at 10M elements (default 3)")
    ap.add_argument("--small-rounds", type=int, default=7,
                    help="rounds at 1,000 elements (default 7)")
    ap.add_argument("--ops", default=",".join(names),
                    help="comma-separated (default all): " + ", ".join(names))
    ap.add_argument("--dtypes", default="float32,float64")
    ap.add_argument("--peers", default=",".join(PEERS),
                    help="the peers to time (comma-separated)")
    ap.add_argument("--write", action="store_true", help="write benchmarks/RESULTS.md")
    args = ap.parse_args(argv)
    ops = args.ops.split(",")
    unknown = [o for o in ops if o not in names]
    if unknown or args.rounds < 1 or args.small_rounds < 1:
        ap.error(f"unknown op(s) {', '.join(unknown)}; choose from {', '.join(names)}"
                 if unknown else "--rounds and --small-rounds must be at least 1")
    dtypes = [np.dtype(s) for s in args.dtypes.split(",")]
    peers = set(args.peers.split(","))
    start = time.perf_counter()
    copy2 = TwoThreadCopy()
    _start_pools(copy2)
    acts, losses = [], []
    for name in ops:
        for dt in dtypes:
            if name in BO.BY_LABEL:
                for row in bench_op(BO.BY_LABEL[name], dt, peers, copy2, args.rounds,
                                    args.small_rounds):
                    acts.append(row)
                    print(_line(row), flush=True)
            else:
                row = bench_loss(name, dt, peers, copy2, args.rounds, args.small_rounds)
                losses.append(row)
                print(_line(row), flush=True)
    args.minutes = (time.perf_counter() - start) / 60
    report = _report(acts, losses, args)
    print()
    print(report)
    if args.write:
        (HERE / "RESULTS.md").write_text(report)
    return 0


# -- the report ----------------------------------------------------------------------------

def _line(r: dict[str, Any]) -> str:
    others = ", ".join(f"{k} {v * 1e3:.1f}" for k, v in r["all"].items())
    return (f"{r['op']:16s} {r['dtype']:8s} {r.get('kind', ''):9s} "
            f"nnmath {r['nnmath'] * 1e3:7.1f} ms  {verdict(r)}   [{others}]")


def _versions() -> str:
    parts = [f"Python {platform.python_version()}", f"NumPy {np.__version__}"]
    if scipy is not None:
        parts.append(f"SciPy {scipy.__version__}")
    if torch is not None:
        parts.append(f"PyTorch {torch.__version__} ({torch.get_num_threads()} threads)")
    if jax is not None:
        parts.append(f"JAX {jax.__version__}")
    parts.append(f"nnmath {nnmath.__version__} (core level {_core.cpu_level()}, "
                 f"{_core.get_num_threads()} threads)")
    return ", ".join(parts)


def _machine() -> str:
    load = ""
    if hasattr(os, "getloadavg"):
        load = ", load average at the end {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    return machine() + load


def _medians(r: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v * 1e3:.1f}" for k, v in r["all"].items())


def _report(acts: list[dict[str, Any]], losses: list[dict[str, Any]],
            args: argparse.Namespace) -> str:
    passed = sum(not fails(r) for r in acts + losses)
    lines = [
        "# nnmath benchmark results",
        "",
        f"Machine: {_machine()}.  ",
        f"Versions: {_versions()}.  ",
        f"Threads: {thread_affinities()}.  ",
        f"Medians of {args.rounds} interleaved rounds at 10M elements (rows of 1,000 along "
        f"the last axis; the sparse losses and metrics 10,000 × 1,000), of "
        f"{args.small_rounds} rounds of 2,000 calls at 1,000 elements; the run took "
        f"{args.minutes:.1f} minutes. {passed} of {len(acts) + len(losses)} rows meet all "
        "their targets.",
        "",
        "Ratios are times over times (< 1: nnmath is faster), ✓/✗ against the target in the "
        "column's head. *vs peer*: nnmath's default call (value: `f(x)`; gradient: "
        "`Cls().gradient(x)`; backward: `Cls().backward(x, g)`) over the fastest peer's "
        "default call: for the value naive NumPy, scipy.special, PyTorch and jitted JAX; "
        "for the gradient PyTorch autograd `torch.autograd.grad(f(x), x, ones)` and jitted "
        "`jax.grad(lambda v: f(v).sum())`; for the backward `torch.autograd.grad(f(x), x, "
        "g)` (forward and backward, what a PyTorch user pays) and jitted `jax.vjp(f, x)[1]"
        "(g)`. *out= vs torch*: `f(x, out=o)` over PyTorch's `out=` (where it has one). "
        "*out= vs copy*: nnmath's `out=` (the derivatives: the core ufuncs `NAME_grad(x, "
        "out=o)` and `NAME_backward(x, g, out=o)`) over a two-thread `np.copyto` of x "
        "(the backward reads two arrays, the copy one). *1,000*: nnmath at 1,000 elements "
        "over the naive NumPy expression (the gradient over `np.negative(x)`, the backward "
        "over `np.multiply(x, g)`). *alloc*: tracemalloc's peak during the default call "
        f"beyond its output, and during the `out=` call (✓: at most {SLACK} bytes, the "
        "call's Python objects). *no out=*: the core has no `NAME_grad`/`NAME_backward` "
        "ufunc for the row (the public method runs a fallback), so target 2 fails.",
        "",
        "| op | dtype | kind | nnmath ms | fastest peer | peer ms | vs peer ≤ 1 "
        "| out= vs torch out= ≤ 1 | out= vs copy ≤ 1.5 (rows 2) | 1,000 ≤ 1.2 "
        "| alloc default | alloc out= | targets |",
        "|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in acts:
        lines.append(
            f"| {r['op']} | {r['dtype']} | {r['kind']} | {r['nnmath'] * 1e3:.1f} | "
            f"{r['best'] or '–'} | {_ms(r['best_t'])} | {ok_cell(r['vs_peer'], 1.0)} | "
            f"{ok_cell(r['out_vs_torch'], 1.0)} | "
            f"{ok_cell(r['out_vs_copy'], r['copy_target'])} | {ok_cell(r['small'], 1.2)} | "
            f"{bytes_cell(r['alloc'])} | {bytes_cell(r['alloc_out'])} | {verdict(r)} |")
    if losses:
        lines += ["", "Losses and metrics (out= vs copy: the two-thread copy of the "
                  "predictions; 1,000: 1,000 predictions, the sparse ones 10 × 100):", "",
                  "| op | dtype | nnmath ms | fastest peer | peer ms | vs peer ≤ 1 "
                  f"| out= vs copy | 1,000 ≤ {BL.SMALL_TARGET} | alloc default | targets |",
                  "|---|---|---:|---|---:|---:|---:|---:|---:|---|"]
        for r in losses:
            lines.append(
                f"| {r['op']} | {r['dtype']} | {r['nnmath'] * 1e3:.1f} | {r['best'] or '–'} "
                f"| {_ms(r['best_t'])} | {ok_cell(r['vs_peer'], 1.0)} | "
                f"{ok_cell(r['out_vs_copy'], r['copy_target'])} | "
                f"{ok_cell(r['small'], r['small_target'])} | "
                f"{bytes_cell(r['alloc'])} | {verdict(r)} |")
    lines += ["", "All medians (ms). *torch grad only*: `torch.autograd.grad(y, x, g, "
              "retain_graph=True)` on a graph `y = f(x)` built beforehand (PyTorch's backward "
              "alone); *nnmath value + backward*: the sum of the two medians (what nnmath's "
              "forward and backward cost together, against *torch autograd*).", "",
              "| op | dtype | kind | medians |", "|---|---|---|---|"]
    for r in acts + losses:
        lines.append(f"| {r['op']} | {r['dtype']} | {r.get('kind', 'value')} | "
                     f"{_medians(r)} |")
    return "\n".join(lines) + "\n"


def _ms(v: float | None) -> str:
    return "–" if v is None else f"{v * 1e3:.1f}"


if __name__ == "__main__":
    raise SystemExit(main())

"""nnmath against what a user would otherwise call, on a CPU, in one run.

For each op and dtype the candidates are timed in interleaved rounds (every candidate
once per round, so a slow moment of the machine hits them all) and the medians are
compared:

* ``nnmath`` — the default call, and with ``out=`` a preallocated array;
* ``numpy`` — the naive NumPy expression a user would write;
* ``scipy`` — ``scipy.special`` where it has the function;
* ``torch`` — PyTorch CPU with its default threads, and its ``out=`` variant where one
  exists;
* ``jax`` — JAX CPU, the function under ``jax.jit`` (compiled before timing);
* ``copy`` — one single-thread ``np.copyto`` of the op's input into a preallocated array:
  the memory-bandwidth floor.

The table gives the median time of nnmath, its ratio to the fastest peer's default call
(< 1 means nnmath is faster), nnmath ``out=`` against torch ``out=``, nnmath against the
copy floor, and the peak extra memory of the nnmath call measured with ``tracemalloc``
(beyond its output). A second table times 1,000 elements against naive NumPy.

Usage::

    python benchmarks/bench.py                 # print the tables
    python benchmarks/bench.py --write         # ... and write benchmarks/RESULTS.md
    python benchmarks/bench.py --rounds 3 --ops sigmoid,softmax --dtypes float32
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

import nnmath  # noqa: E402
from nnmath import activations as A  # noqa: E402
from nnmath import losses as L  # noqa: E402
from nnmath import metrics as M  # noqa: E402

try:
    import scipy
    import scipy.special as sps
except ImportError:  # pragma: no cover - optional
    scipy = sps = None
try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover - optional
    torch = F = None
try:
    import jax

    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    import jax.numpy as jnp
except ImportError:  # pragma: no cover - optional
    jax = jnp = None

BIG = 10_000_000
ROWS, COLS = 10_000, 1_000
SMALL = 1_000
ELEMENTWISE = ["sigmoid", "tanh", "relu", "gelu", "silu", "softplus", "log_sigmoid", "mish"]
AXIS = ["softmax", "log_softmax"]
LOSSES = ["sparse_ce", "binary_ce"]
ACCURACIES = ["binary_accuracy", "sparse_accuracy"]
OPS = ELEMENTWISE + AXIS + LOSSES + ACCURACIES
#: the issue's targets: nnmath / single-thread copy
COPY_TARGET = {**dict.fromkeys(ELEMENTWISE, 1.5), **dict.fromkeys(AXIS + LOSSES, 3.0),
               **dict.fromkeys(ACCURACIES, 1.5)}


# -- the candidates -------------------------------------------------------------------------

def _inputs(op: str, dtype: Any, size: str) -> dict[str, Any]:
    rng = np.random.default_rng(42)
    if op in AXIS or op in ("sparse_ce", "sparse_accuracy"):
        shape = (ROWS, COLS) if size == "big" else (SMALL // 100, 100)
        x = (3.0 * rng.standard_normal(shape)).astype(dtype)
        labels = rng.integers(0, shape[1], shape[0])
        return {"x": x, "labels": labels}
    n = BIG if size == "big" else SMALL
    if op == "binary_accuracy":
        return {"x": rng.uniform(0, 1, n).astype(dtype),
                "y": (rng.uniform(0, 1, n) > 0.5).astype(dtype)}
    x = (3.0 * rng.standard_normal(n)).astype(dtype)
    if op == "binary_ce":
        return {"x": x, "y": (rng.uniform(0, 1, n) > 0.5).astype(dtype)}
    return {"x": x}


def _nnmath(op: str, d: dict[str, Any]) -> tuple[Callable[[], Any], Callable[[], Any] | None]:
    x = d["x"]
    if op in ELEMENTWISE + AXIS:
        f = getattr(A, op)
        o = np.empty_like(x)
        return (lambda: f(x)), (lambda: f(x, out=o))
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


def _numpy(op: str, d: dict[str, Any]) -> Callable[[], Any]:
    x = d["x"]
    one = x.dtype.type(1)
    if op == "sigmoid":
        return lambda: one / (one + np.exp(-x))
    if op == "tanh":
        return lambda: np.tanh(x)
    if op == "relu":
        return lambda: np.maximum(x, 0)
    if op == "gelu":  # the naive exact GELU: x Φ(x) with SciPy's scalar erf
        if sps is None:
            return None
        return lambda: 0.5 * x * (1.0 + sps.erf(x / np.sqrt(2.0)).astype(x.dtype))
    if op == "silu":
        return lambda: x / (one + np.exp(-x))
    if op == "softplus":
        return lambda: np.log1p(np.exp(x))
    if op == "log_sigmoid":
        return lambda: -np.log1p(np.exp(-x))
    if op == "mish":
        return lambda: x * np.tanh(np.log1p(np.exp(x)))
    if op == "softmax":
        def softmax() -> Any:
            e = np.exp(x - x.max(axis=-1, keepdims=True))
            return e / e.sum(axis=-1, keepdims=True)
        return softmax
    if op == "log_softmax":
        def log_softmax() -> Any:
            s = x - x.max(axis=-1, keepdims=True)
            return s - np.log(np.exp(s).sum(axis=-1, keepdims=True))
        return log_softmax
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


def _scipy(op: str, d: dict[str, Any]) -> Callable[[], Any] | None:
    if sps is None:
        return None
    x = d["x"]
    table: dict[str, Callable[[], Any]] = {
        "sigmoid": lambda: sps.expit(x),
        "log_sigmoid": lambda: sps.log_expit(x),
        "gelu": lambda: x * sps.ndtr(x),
        "softmax": lambda: sps.softmax(x, axis=-1),
        "log_softmax": lambda: sps.log_softmax(x, axis=-1),
    }
    if op == "sparse_ce":
        lab = d["labels"]
        rows = np.arange(x.shape[0])
        return lambda: (sps.logsumexp(x, axis=-1) - x[rows, lab]).mean()
    return table.get(op)


def _torch(op: str, d: dict[str, Any]) -> tuple[Callable[[], Any] | None,
                                                 Callable[[], Any] | None]:
    if torch is None:
        return None, None
    x = torch.from_numpy(d["x"])
    o = torch.empty_like(x)
    default = {
        "sigmoid": lambda: torch.sigmoid(x), "tanh": lambda: torch.tanh(x),
        "relu": lambda: torch.relu(x), "gelu": lambda: F.gelu(x),
        "silu": lambda: F.silu(x), "softplus": lambda: F.softplus(x),
        "log_sigmoid": lambda: F.logsigmoid(x), "mish": lambda: F.mish(x),
        "softmax": lambda: torch.softmax(x, -1), "log_softmax": lambda: torch.log_softmax(x, -1),
    }
    with_out = {
        "sigmoid": lambda: torch.sigmoid(x, out=o), "tanh": lambda: torch.tanh(x, out=o),
        "relu": lambda: torch.clamp_min(x, 0, out=o),
        "softmax": lambda: torch.softmax(x, -1, out=o) if False else torch._softmax(x, -1,
                                                                                   False),
    }
    with_out.pop("softmax")
    if op in default:
        return default[op], with_out.get(op)
    if op == "sparse_ce":
        lab = torch.from_numpy(d["labels"])
        return (lambda: F.cross_entropy(x, lab)), None
    if op == "binary_ce":
        y = torch.from_numpy(d["y"])
        return (lambda: F.binary_cross_entropy_with_logits(x, y)), None
    if op == "binary_accuracy":
        y = torch.from_numpy(d["y"])
        return (lambda: (y == (x > 0.5)).to(x.dtype)), None
    lab = torch.from_numpy(d["labels"])
    return (lambda: (lab == x.argmax(dim=-1)).to(x.dtype)), None


def _jax(op: str, d: dict[str, Any]) -> Callable[[], Any] | None:
    if jax is None:
        return None
    nn = jax.nn
    x = jnp.asarray(d["x"])
    if op in ELEMENTWISE + AXIS:
        f = {"sigmoid": nn.sigmoid, "tanh": jnp.tanh, "relu": nn.relu,
             "gelu": lambda v: nn.gelu(v, approximate=False), "silu": nn.silu,
             "softplus": nn.softplus, "log_sigmoid": nn.log_sigmoid, "mish": nn.mish,
             "softmax": nn.softmax, "log_softmax": nn.log_softmax}[op]
        jf = jax.jit(f)
        args: tuple[Any, ...] = (x,)
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
        jf, args = jax.jit(lambda v, y: (y == (v > 0.5)).astype(v.dtype)), (x, jnp.asarray(d["y"]))
    else:
        jf = jax.jit(lambda v, lab: (lab == jnp.argmax(v, axis=-1)).astype(v.dtype))
        args = (x, jnp.asarray(d["labels"]))
    jf(*args).block_until_ready()  # compile
    return lambda: jf(*args).block_until_ready()


def _copy(d: dict[str, Any]) -> Callable[[], Any]:
    x = d["x"]
    o = np.empty_like(x)
    return lambda: np.copyto(o, x)


# -- timing ---------------------------------------------------------------------------------

def _candidates(op: str, d: dict[str, Any], peers: set[str]) -> dict[str, Callable[[], Any]]:
    nn, nn_out = _nnmath(op, d)
    t, t_out = _torch(op, d) if "torch" in peers else (None, None)
    # the order of a round: nnmath runs right after torch's threads of the last round
    cands = {"nnmath": nn, "nnmath out=": nn_out, "copy": _copy(d),
             "numpy": _numpy(op, d) if "numpy" in peers else None,
             "scipy": _scipy(op, d) if "scipy" in peers else None,
             "jax": _jax(op, d) if "jax" in peers else None,
             "torch": t, "torch out=": t_out}
    return {k: v for k, v in cands.items() if v is not None}


def _time_rounds(cands: dict[str, Callable[[], Any]], rounds: int) -> dict[str, float]:
    times: dict[str, list[float]] = {k: [] for k in cands}
    for f in cands.values():  # warm up: page in, caches, pools
        f()
    for _ in range(rounds):
        for k, f in cands.items():
            gc.collect()
            t0 = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def _time_small(f: Callable[[], Any], number: int = 200, rounds: int = 7) -> float:
    best = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(number):
            f()
        best.append((time.perf_counter() - t0) / number)
    return statistics.median(best)


def _peak_extra(f: Callable[[], Any], out_bytes: int) -> float:
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    r = f()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del r
    return (peak - out_bytes) / 2**20


def _out_bytes(op: str, d: dict[str, Any]) -> int:
    x = d["x"]
    if op in ELEMENTWISE + AXIS + ["binary_accuracy"]:
        return x.nbytes
    if op in ("sparse_ce", "sparse_accuracy"):
        return x.shape[0] * x.itemsize
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--ops", default=",".join(OPS))
    ap.add_argument("--dtypes", default="float32,float64")
    ap.add_argument("--peers", default="numpy,scipy,torch,jax",
                    help="the peers to time (comma-separated)")
    ap.add_argument("--write", action="store_true", help="write benchmarks/RESULTS.md")
    args = ap.parse_args(argv)
    ops = args.ops.split(",")
    dtypes = [np.dtype(s) for s in args.dtypes.split(",")]
    threads = nnmath.get_num_threads()

    rows_big, rows_small = [], []
    for op in ops:
        for dt in dtypes:
            d = _inputs(op, dt, "big")
            cands = _candidates(op, d, set(args.peers.split(",")))
            med = _time_rounds(cands, args.rounds)
            peers = {k: v for k, v in med.items()
                     if k in ("numpy", "scipy", "torch", "jax")}
            best = min(peers, key=peers.get)
            mem = _peak_extra(cands["nnmath"], _out_bytes(op, d))
            row = {"op": op, "dtype": dt.name, "nnmath": med["nnmath"],
                   "best": best, "best_t": peers[best],
                   "vs_peer": med["nnmath"] / peers[best],
                   "out_vs_torch": (med["nnmath out="] / med["torch out="]
                                    if "nnmath out=" in med and "torch out=" in med else None),
                   "vs_copy": med["nnmath"] / med["copy"],
                   "out_vs_copy": (med["nnmath out="] / med["copy"]
                                   if "nnmath out=" in med else None),
                   "mem": mem, "all": med}
            rows_big.append(row)
            print(_fmt_big(row), flush=True)
            del d, cands
            ds = _inputs(op, dt, "small")
            nn = _nnmath(op, ds)[0]
            naive = _numpy(op, ds)
            t_nn, t_np = _time_small(nn), _time_small(naive)
            rows_small.append({"op": op, "dtype": dt.name, "nnmath": t_nn, "numpy": t_np,
                               "ratio": t_nn / t_np})
            print(f"    1,000 elements: nnmath {t_nn * 1e6:.1f} us, numpy {t_np * 1e6:.1f} us, "
                  f"ratio {t_nn / t_np:.2f}", flush=True)
    report = _report(rows_big, rows_small, threads, args.rounds)
    print()
    print(report)
    if args.write:
        (HERE / "RESULTS.md").write_text(report)
    return 0


def _fmt_big(r: dict[str, Any]) -> str:
    others = ", ".join(f"{k} {v * 1e3:.1f}" for k, v in r["all"].items())
    return (f"{r['op']:16s} {r['dtype']:8s} nnmath {r['nnmath'] * 1e3:7.1f} ms  "
            f"vs {r['best']} {r['vs_peer']:.2f}  vs copy {r['vs_copy']:.2f}  "
            f"mem {r['mem']:.1f} MB   [{others}]")


def _versions() -> str:
    parts = [f"Python {platform.python_version()}", f"NumPy {np.__version__}"]
    if scipy is not None:
        parts.append(f"SciPy {scipy.__version__}")
    if torch is not None:
        parts.append(f"PyTorch {torch.__version__} ({torch.get_num_threads()} threads)")
    if jax is not None:
        parts.append(f"JAX {jax.__version__}")
    parts.append(f"nnmath {nnmath.__version__}")
    return ", ".join(parts)


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def _ok(v: float | None, limit: float) -> str:
    if v is None:
        return "–"
    return f"{v:.2f}" + ("" if v <= limit else " ✗")


def _report(big: list[dict[str, Any]], small: list[dict[str, Any]], threads: int,
            rounds: int) -> str:
    lines = [
        "# nnmath benchmark results",
        "",
        f"Machine: {_machine()}.  ",
        f"Versions: {_versions()}.  ",
        f"nnmath threads: {threads}; medians of {rounds} interleaved rounds; "
        f"10M elements (softmax family, sparse ones: {ROWS} × {COLS}).",
        "",
        "Ratios are times divided by times (< 1: nnmath is faster). *vs peer*: nnmath's default "
        "call against the fastest of naive NumPy, scipy.special, PyTorch and jitted JAX; "
        "*out= vs torch out=*: both writing into preallocated arrays; *vs copy*: against one "
        "single-thread `np.copyto` of the input (the bandwidth floor; target 1.5 for "
        "activations and accuracies, 3 for softmax, log_softmax and the crossentropies). "
        "*mem*: tracemalloc peak of the nnmath call beyond its output (the per-thread scratch "
        "buffers, at most 7 × 512 kB, are allocated on the first call and reused, so they do "
        "not show here). ✗ marks a missed target. Default calls include allocating the "
        "output; the *out=* columns do not.",
        "",
        "| op | dtype | nnmath ms | fastest peer | peer ms | vs peer | out= vs torch out= "
        "| vs copy | out= vs copy | mem MB |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in big:
        lines.append(
            f"| {r['op']} | {r['dtype']} | {r['nnmath'] * 1e3:.1f} | {r['best']} | "
            f"{r['best_t'] * 1e3:.1f} | {_ok(r['vs_peer'], 1.0)} | "
            f"{_ok(r['out_vs_torch'], 1.0)} | {_ok(r['vs_copy'], COPY_TARGET[r['op']])} | "
            f"{_ok(r['out_vs_copy'], COPY_TARGET[r['op']])} | "
            f"{_ok(r['mem'], 16.0 * threads)} |")
    lines += ["", "All medians (ms):", "", "| op | dtype | " + " | ".join(
        ["nnmath", "nnmath out=", "numpy", "scipy", "torch", "torch out=", "jax", "copy"]) + " |",
        "|---|---|" + "---:|" * 8]
    for r in big:
        cells = [f"{r['all'][k] * 1e3:.1f}" if k in r["all"] else "–" for k in
                 ["nnmath", "nnmath out=", "numpy", "scipy", "torch", "torch out=", "jax",
                  "copy"]]
        lines.append(f"| {r['op']} | {r['dtype']} | " + " | ".join(cells) + " |")
    lines += ["", "1,000 elements (softmax family: 10 × 100), call overhead against the naive "
              "NumPy expression (target ≤ 1.5):", "",
              "| op | dtype | nnmath µs | numpy µs | ratio |", "|---|---|---:|---:|---:|"]
    for r in small:
        lines.append(f"| {r['op']} | {r['dtype']} | {r['nnmath'] * 1e6:.1f} | "
                     f"{r['numpy'] * 1e6:.1f} | {_ok(r['ratio'], 1.5)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())

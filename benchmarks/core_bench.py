"""Time the compiled core (``nnmath._core``) against its peers, and find the size from
which a loop is worth splitting over threads.

    python benchmarks/core_bench.py [--func sigmoid] [--repeat 15] [--best]
    python benchmarks/core_bench.py --threshold

For float32 and float64 at 10M and 1,000 elements: the core ufunc (a new result, and
``out=``), the current ``nnmath.activations`` function, a copy split over two threads
(``np.copyto``, the memory-bandwidth floor for ``out=``), a plain NumPy ufunc call
(``np.negative``, the floor for the call overhead of small arrays), and PyTorch
(``torch.sigmoid(x)`` and ``out=``) when it is installed.

Threads are pinned one per CPU: the core's pool (``NNMATH_PIN_THREADS=1``, set here before
the import), this script's copy threads and the calling thread. Each measurement is the
median of ``--repeat`` rounds; between peers the script pauses (PyTorch's and JAX's pools
spin for milliseconds after a call), and the peers are interleaved round by round.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys

os.environ.setdefault("NNMATH_PIN_THREADS", "1")

import numpy as np
from _common import TwoThreadCopy, measure, pin

from nnmath import _core
from nnmath import activations as A


def peers(core, ref, copy2, torch, func: str, x: np.ndarray, out: np.ndarray) -> dict:
    cases = {
        "core": lambda: core(x),
        "core out=": lambda: core(x, out=out),
        "nnmath.activations": lambda: ref(x),
        "copy, 2 threads": lambda: copy2(out, x),
        "np.negative": lambda: np.negative(x),
    }
    if torch is not None:
        tx, tout = torch.from_numpy(x), torch.from_numpy(out)
        tf = getattr(torch, func)
        cases["torch"] = lambda: tf(tx)
        try:
            tf(tx[:1], out=tout[:1])
            cases["torch out="] = lambda: tf(tx, out=tout)
        except TypeError:  # not every torch function takes out=
            pass
    return cases


def main_bench(args: argparse.Namespace) -> None:
    try:
        import torch
    except ImportError:
        torch = None
    copy2 = TwoThreadCopy()
    big = np.zeros(1 << 20)
    getattr(_core, args.func)(big)  # start the core's pool while every CPU is allowed
    pin(0)
    core = getattr(_core, args.func)
    ref = getattr(A, args.func)
    print(f"nnmath._core.{args.func}: level {_core.cpu_level()}, "
          f"{_core.get_num_threads()} threads; numpy {np.__version__}"
          + (f", torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch
             else ", torch not installed"))
    for dtype in (np.float32, np.float64):
        for n in (10_000_000, 1_000):
            x = np.random.default_rng(0).normal(0, 3, n).astype(dtype)
            out = np.empty_like(x)
            cases = peers(core, ref, copy2, torch, args.func, x, out)
            t = measure(cases, n, args.repeat, stat=min if args.best else statistics.median)
            stat = "best" if args.best else "median"
            print(f"\n{np.dtype(dtype).name}, {n:,} elements ({stat} of {args.repeat})")
            for name, v in t.items():
                print(f"  {name:20s} {v * 1e6:12.1f} us  {v / n * 1e9:8.3f} ns/element")
            ratios = [("core / copy, 2 threads", "core out=", "copy, 2 threads"),
                      ("core / np.negative", "core", "np.negative"),
                      ("core / nnmath.activations", "core", "nnmath.activations")]
            if torch is not None:
                ratios += [("core / torch", "core", "torch"),
                           ("core out= / torch out=", "core out=", "torch out=")]
            for label, a, b in ratios:
                if a in t and b in t:
                        print(f"  {label:28s} {t[a] / t[b]:6.2f}x")


def main_threshold(args: argparse.Namespace) -> None:
    """float32 sigmoid with out=, on one thread and split over all threads, by size."""
    core = getattr(_core, args.func)
    big = np.zeros(1 << 20, np.float32)
    core(big)
    pin(0)
    nthreads = _core.get_num_threads()
    print(f"{args.func} float32 out=, 1 thread vs {nthreads} (us; median of {args.repeat})")
    for k in range(10, 22):
        n = 1 << k
        x = np.random.default_rng(0).normal(0, 3, n).astype(np.float32)
        out = np.empty_like(x)
        res = {}
        for label, pmin in (("1 thread", 1 << 40), (f"{nthreads} threads", 1)):
            old = _core._umath._set_parallel_min(pmin)
            res[label] = measure({label: functools.partial(core, x, out=out)}, n,
                                 args.repeat,
                                 stat=min if args.best else statistics.median)[label]
            _core._umath._set_parallel_min(old)
        a, b = res.values()
        print(f"  n = 2^{k:2d} = {n:9,d}: {a * 1e6:9.1f} {b * 1e6:9.1f}   ratio {b / a:5.2f}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--func", default="sigmoid")
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--threshold", action="store_true",
                   help="time one thread against all by size (to choose parallel_min)")
    p.add_argument("--best", action="store_true",
                   help="report the fastest round instead of the median (a busy machine)")
    args = p.parse_args()
    if not hasattr(_core, args.func) or not hasattr(A, args.func):
        print(f"core_bench.py: error: --func {args.func!r} is not an activation of the "
              "core", file=sys.stderr)
        return 2
    (main_threshold if args.threshold else main_bench)(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

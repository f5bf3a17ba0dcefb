"""Single-thread time of core ufuncs with ``out=``: median of ``--repeat`` calls on
``--n`` elements (x normal(0, 3), g normal(0, 1)), ms per call.

    taskset -c 1 python benchmarks/core_ufunc_time.py --dtype float32 silu_grad mish
    python benchmarks/core_ufunc_time.py --umath DIR ...   # a _umath*.so saved in DIR

``--umath DIR`` imports the extension module ``_umath`` from DIR instead of
``nnmath._core`` (a build kept aside, to time two builds in one session). With
``--callgrind`` each ufunc is called once, for ``valgrind --tool=callgrind
--toggle-collect='ew*'`` (instructions per element: the loop's inclusive count / n).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np


def load(umath_dir: str | None):
    if umath_dir:
        sys.path.insert(0, umath_dir)
        import _umath

        return _umath
    from nnmath._core import _umath

    return _umath


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("names", nargs="+")
    p.add_argument("--n", type=int, default=10_000_000)
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--dtype", default="float32")
    p.add_argument("--umath", default=None)
    p.add_argument("--callgrind", action="store_true")
    a = p.parse_args()
    U = load(a.umath)
    U.set_num_threads(1)
    print("level:", U.cpu_level())
    rng = np.random.default_rng(0)
    x = rng.normal(0, 3, a.n).astype(a.dtype)
    g = rng.normal(0, 1, a.n).astype(a.dtype)
    out = np.empty_like(x)
    for name in a.names:
        uf = getattr(U, name)
        args = (x, g) if name.endswith("_backward") else (x,)
        uf(*args, out=out)  # warm: pages of out, the loop's code
        if a.callgrind:
            print(name, "called once")
            continue
        times = []
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            uf(*args, out=out)
            times.append(time.perf_counter() - t0)
        print(f"{name:22s} {a.dtype} n={a.n}: median {1e3 * statistics.median(times):8.2f} ms"
              f"  (min {1e3 * min(times):.2f})", flush=True)


if __name__ == "__main__":
    main()

"""Time the float32 loops of the core's elementwise ufuncs with ``out=`` beside PyTorch's
``out=`` variants and a copy (``np.copyto``, the memory-bandwidth floor), at 10M float32
elements (x normal(0, 3), g normal(0, 1)), median of ``--repeat`` interleaved rounds.

    taskset -c 1 python benchmarks/core_f32n_bench.py --threads 1
    python benchmarks/core_f32n_bench.py --threads 2

With ``--threads 1`` the core and PyTorch run on the calling thread (pin it with
taskset); with 2 both split over two threads (``nnmath.set_num_threads``,
``torch.set_num_threads``) and the copy is ``np.copyto`` on two threads. PyTorch is used
when importable (``--torch-path DIR`` appends DIR to the END of ``sys.path``). Prints one
line per ufunc: ms for the core, for PyTorch, and for the copy.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("NNMATH_PIN_THREADS", "1")

import numpy as np
from _common import TwoThreadCopy, measure

import nnmath
from nnmath import _core as C

FUNCS = ["sigmoid", "sigmoid_grad", "sigmoid_backward", "log_sigmoid_grad",
         "log_sigmoid_backward", "silu", "tanh", "tanh_grad", "tanh_backward", "elu",
         "elu_grad", "elu_backward"]


def torch_cases(torch, name, xt, gt, yt, ot):
    """PyTorch's out= call of the same function, where it has one (its backward ops take
    the forward output y = f(x) for sigmoid and tanh, as autograd saves it)."""
    aten = torch.ops.aten
    return {
        "sigmoid": lambda: torch.sigmoid(xt, out=ot),
        "sigmoid_backward": lambda: aten.sigmoid_backward.grad_input(gt, yt["sigmoid"],
                                                                     grad_input=ot),
        "silu": lambda: aten.silu.out(xt, out=ot),
        "tanh": lambda: torch.tanh(xt, out=ot),
        "tanh_backward": lambda: aten.tanh_backward.grad_input(gt, yt["tanh"], grad_input=ot),
        "elu": lambda: aten.elu.out(xt, 1.0, 1, 1, out=ot),
        "elu_backward": lambda: aten.elu_backward.grad_input(gt, 1.0, 1, 1, False, xt,
                                                             grad_input=ot),
    }.get(name)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--func", action="append")
    ap.add_argument("--torch-path")
    args = ap.parse_args(argv)
    if args.torch_path:
        sys.path.append(args.torch_path)
    try:
        import torch
    except ImportError:
        torch = None
    nnmath.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    x = rng.normal(0, 3, args.n).astype(np.float32)
    g = rng.normal(0, 1, args.n).astype(np.float32)
    out = np.empty_like(x)
    src = np.empty_like(x)
    src[:] = x
    copy2 = TwoThreadCopy()
    copy = (lambda: copy2(out, src)) if args.threads > 1 else (lambda: np.copyto(out, src))
    if torch is not None:
        torch.set_num_threads(args.threads)
        xt, gt = torch.from_numpy(x), torch.from_numpy(g)
        ot = torch.empty_like(xt)
        yt = {"sigmoid": torch.sigmoid(xt), "tanh": torch.tanh(xt)}
    print(f"# level {C.cpu_level()}, {args.threads} thread(s), n = {args.n}, median of "
          f"{args.repeat}, ms; torch {torch.__version__ if torch else '-'}")
    for name in args.func or FUNCS:
        nin, nparam = {"elu": (2, 1), "elu_grad": (2, 1), "elu_backward": (3, 1)}.get(
            name, (2 if name.endswith("_backward") else 1, 0))
        f = getattr(C, name)
        fargs = [x] + ([g] if nin - nparam == 2 else []) + ([1.0] if nparam else [])
        cases = {"core": lambda f=f, fargs=fargs: f(*fargs, out=out), "copy": copy}
        tc = torch_cases(torch, name, xt, gt, yt, ot) if torch is not None else None
        if tc is not None:
            cases["torch"] = tc
        r = measure(cases, args.n, args.repeat)
        t = f"{r['torch'] * 1e3:7.2f}" if "torch" in r else "      -"
        print(f"{name:22s} core {r['core'] * 1e3:7.2f}  torch {t}  copy {r['copy'] * 1e3:7.2f}",
              flush=True)


if __name__ == "__main__":
    main()

"""nnmath.torch's modules against PyTorch's own ``torch.nn`` modules, on a CPU.

For every activation module and loss of :mod:`nnmath.torch` that has a ``torch.nn``
counterpart, in float32 and float64, two measurements against PyTorch's module in the
same run:

* **forward**: ``module(x)`` on a tensor that does not require grad;
* **forward+backward**: the forward on a tensor that requires grad and its gradient,
  ``torch.autograd.grad(module(x), x, g)`` for an activation (``g`` a fixed upstream
  gradient), ``torch.autograd.grad(loss(x, t), x)`` for a loss (reduction ``"mean"``).

Sizes: 10M elements; the activations as 10,000 x 1,000 (the ones along a dimension,
softmax, log-softmax, softmin and GLU, along the last), the cross-entropies
(``CrossEntropyLoss`` with class indices, ``NLLLoss``) and ``KLDivLoss`` on 10,000 x 1,000
logits, the binary losses (``BCEWithLogitsLoss``, ``BCELoss``) on 10M elements.

Threads: PyTorch runs ``torch.set_num_threads(2)``, nnmath's core 2 threads, pinned one
per CPU (``NNMATH_PIN_THREADS=1``, set here before the import). Every candidate of a row
runs once per round, after a pause, in interleaved rounds (``_common.measure``); the
tables give medians and the ratio nnmath / PyTorch (below 1: nnmath is faster), with ✓
where the target, "at least as fast as PyTorch's own module", is met.

The last column, measured here for each module: the graph breaks
``torch._dynamo.explain`` finds in a small step that calls the nnmath module (a linear
layer, the module, a scalar loss, on a 16 x 32 input), and whether the same step compiled
whole (``torch.compile(step, fullgraph=True, backend="aot_eager")``) runs its backward.

Usage::

    python benchmarks/torch_speed.py                    # print the table
    python benchmarks/torch_speed.py --write            # ... and write TORCH_SPEED.md
    python benchmarks/torch_speed.py --ops GELU,CrossEntropyLoss --dtypes float32 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("NNMATH_PIN_THREADS", "1")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from _common import machine, measure, pin, thread_affinities  # noqa: E402

import nnmath  # noqa: E402
import nnmath.torch as nt  # noqa: E402
from nnmath import _core  # noqa: E402

torch.set_num_threads(2)
nnmath.set_num_threads(2)

ROWS, COLS = 10_000, 1_000  # 10M elements
BIG = ROWS * COLS


@dataclass(frozen=True)
class Case:
    """One module of nnmath.torch and its torch.nn counterpart."""

    label: str
    ours: Callable[[], Any]
    theirs: Callable[[], Any]
    loss: str = ""  # "" for an activation; else the kind of inputs the loss takes


def _act(label: str, *args: Any, **kwargs: Any) -> Case:
    name = label.split("(")[0]
    return Case(label, lambda: getattr(nt, name)(*args, **kwargs),
                lambda: getattr(torch.nn, name)(*args, **kwargs))


CASES: list[Case] = [
    _act("ReLU"), _act("ReLU6"), _act("LeakyReLU"), _act("ELU"), _act("CELU"), _act("SELU"),
    _act("GELU"), _act("GELU(tanh)", approximate="tanh"), _act("SiLU"), _act("Mish"),
    _act("Softplus"), _act("Sigmoid"), _act("Tanh"), _act("LogSigmoid"), _act("Softsign"),
    _act("Tanhshrink"), _act("Hardtanh"), _act("Hardsigmoid"), _act("Hardswish"),
    _act("Softshrink"), _act("Hardshrink"), _act("Threshold", 0.1, 20.0),
    _act("Softmax", dim=-1), _act("LogSoftmax", dim=-1), _act("Softmin", dim=-1),
    _act("GLU", dim=-1), _act("PReLU"), _act("RReLU"),
    Case("CrossEntropyLoss", nt.CrossEntropyLoss, torch.nn.CrossEntropyLoss, "indices"),
    Case("NLLLoss", nt.NLLLoss, torch.nn.NLLLoss, "log_probs"),
    Case("KLDivLoss", lambda: nt.KLDivLoss(reduction="batchmean"),
         lambda: torch.nn.KLDivLoss(reduction="batchmean"), "log_probs"),
    Case("BCEWithLogitsLoss", nt.BCEWithLogitsLoss, torch.nn.BCEWithLogitsLoss, "logits"),
    Case("BCELoss", nt.BCELoss, torch.nn.BCELoss, "probs"),
]
BY_LABEL = {c.label: c for c in CASES}


def _modules(case: Case, dtype: torch.dtype) -> tuple[Any, Any]:
    """The two modules, in evaluation mode (RReLU: its mean slope), PReLU's weight equal."""
    ours, theirs = case.ours(), case.theirs()
    for m in (ours, theirs):
        m.to(dtype)
        m.eval()
    return ours, theirs


def inputs(case: Case, dtype: torch.dtype, shape: tuple[int, ...] = (ROWS, COLS),
           seed: int = 0) -> tuple[torch.Tensor, Any, torch.Tensor | None]:
    """``(x, target, g)``: the input, the loss's target (None for an activation) and the
    upstream gradient of an activation (None for a loss)."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=gen, dtype=dtype) * 3
    if not case.loss:
        out_shape = (*shape[:-1], shape[-1] // 2) if case.label.startswith("GLU") else shape
        g = torch.randn(out_shape, generator=gen, dtype=dtype)
        return x, None, g
    if case.loss == "indices":
        return x, torch.randint(0, shape[-1], shape[:-1], generator=gen), None
    if case.loss == "log_probs":
        x = torch.log_softmax(x, dim=-1)
        if case.label == "NLLLoss":
            return x, torch.randint(0, shape[-1], shape[:-1], generator=gen), None
        return x, torch.softmax(torch.randn(shape, generator=gen, dtype=dtype), -1), None
    flat = x.reshape(-1)
    y = (torch.rand(flat.shape, generator=gen, dtype=dtype) < 0.5).to(dtype)
    if case.loss == "probs":
        return torch.sigmoid(flat), y, None
    return flat, y, None


def _calls(module: Any, case: Case, x: torch.Tensor, target: Any,
           g: torch.Tensor | None) -> tuple[Callable[[], Any], Callable[[], Any]]:
    """``(forward, forward+backward)`` of one module on these inputs."""
    xg = x.detach().clone().requires_grad_(True)
    if case.loss:
        def fwd() -> Any:
            return module(x, target)

        def fwd_bwd() -> Any:
            return torch.autograd.grad(module(xg, target), xg)
    else:
        def fwd() -> Any:
            return module(x)

        def fwd_bwd() -> Any:
            return torch.autograd.grad(module(xg), xg, g)
    return fwd, fwd_bwd


def bench(case: Case, dtype: torch.dtype, rounds: int) -> list[dict[str, Any]]:
    """The forward and forward+backward rows of one module and dtype."""
    x, target, g = inputs(case, dtype)
    ours, theirs = _modules(case, dtype)
    of, ofb = _calls(ours, case, x, target, g)
    tf, tfb = _calls(theirs, case, x, target, g)
    med = measure({"nnmath forward": of, "torch forward": tf,
                   "nnmath forward+backward": ofb, "torch forward+backward": tfb},
                  BIG, rounds)
    rows = []
    for kind in ("forward", "forward+backward"):
        a, b = med[f"nnmath {kind}"], med[f"torch {kind}"]
        rows.append({"op": case.label, "dtype": str(dtype).replace("torch.", ""),
                     "kind": kind, "nnmath": a, "torch": b, "ratio": a / b})
    return rows


def graph_breaks(case: Case) -> tuple[int | None, bool | None]:
    """``torch._dynamo.explain``'s graph-break count for a small step that calls the nnmath
    module (a linear layer, the module, a scalar loss, on a 16 x 32 input), and whether
    the same step compiled whole (``fullgraph=True``, backend ``aot_eager``: the backward
    traced by AOTAutograd) runs forward and backward (None where that was not reached)."""
    import torch._dynamo

    v = torch.randn(16, 32, generator=torch.Generator().manual_seed(1))
    _, target, _ = inputs(case, torch.float32, (16, 32), seed=1)
    if case.loss in ("logits", "probs"):  # the binary losses' targets come flat
        target = target.reshape(16, 32)
    module = case.ours().eval()
    linear = torch.nn.Linear(32, 32)

    def step(v: torch.Tensor) -> torch.Tensor:
        h = linear(v)
        if case.loss == "probs":
            h = torch.sigmoid(h)
        elif case.loss == "log_probs":
            h = torch.log_softmax(h, dim=-1)
        if case.loss:
            return module(h, target)
        return module(h).square().mean()

    torch._dynamo.reset()
    try:
        count = int(torch._dynamo.explain(step)(v).graph_break_count)
    except Exception as e:  # pragma: no cover - reported in the table
        print(f"  explain failed for {case.label}: {type(e).__name__}: {e}", flush=True)
        return None, None
    finally:
        torch._dynamo.reset()
    try:
        compiled = torch.compile(step, fullgraph=True, backend="aot_eager")
        compiled(v).backward()
        ok = linear.weight.grad is not None
    except Exception as e:  # pragma: no cover - reported in the table
        print(f"  fullgraph compile failed for {case.label}: {type(e).__name__}: {e}",
              flush=True)
        ok = False
    finally:
        torch._dynamo.reset()
    return count, ok


# -- the report ----------------------------------------------------------------------------

def _machine(load_start: tuple[float, ...]) -> str:
    load = ""
    if hasattr(os, "getloadavg"):
        load = (", load average (1, 5, 15 min) at the start {:.2f} {:.2f} {:.2f}, ".format(
            *load_start) + "at the end {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return machine() + load


def _versions() -> str:
    return (f"Python {platform.python_version()}, NumPy {np.__version__}, PyTorch "
            f"{torch.__version__} ({torch.get_num_threads()} threads), nnmath "
            f"{nnmath.__version__} (core level {_core.cpu_level()}, "
            f"{_core.get_num_threads()} threads)")


def _cell(ratio: float) -> str:
    return f"{ratio:.2f} " + ("✓" if ratio <= 1.0 else "✗")


def _breaks_cell(b: tuple[int | None, bool | None]) -> str:
    n, whole = b
    if n is None:
        return "explain failed"
    return ("0 ✓" if n == 0 else f"{n} ✗") + (" / yes" if whole else " / no")


def report(rows: list[dict[str, Any]], breaks: dict[str, tuple[int | None, bool | None]],
           args: argparse.Namespace) -> str:
    met = sum(r["ratio"] <= 1.0 for r in rows)
    no_breaks = sum(v[0] == 0 for v in breaks.values())
    whole = sum(bool(v[1]) for v in breaks.values())
    lines = [
        "# nnmath.torch against torch.nn, on a CPU",
        "",
        "Written by `benchmarks/torch_speed.py --write` (its docstring says what is "
        "timed).",
        "",
        f"Machine: {_machine(args.load_start)}.  ",
        f"Versions: {_versions()}.  ",
        f"Threads: {thread_affinities()}.  ",
        f"Medians of {args.rounds} interleaved rounds, one call each, a pause before each "
        f"call; the run took {args.minutes:.1f} minutes.",
        "",
        f"**{met} of {len(rows)} rows meet the target** (nnmath.torch's module at least as "
        f"fast as torch.nn's: ratio ≤ 1). **{no_breaks} of {len(breaks)} modules** trace "
        "with no graph break under `torch._dynamo.explain`, and the step of "
        f"**{whole} of {len(breaks)}** compiles whole (`fullgraph=True`) and runs its "
        "backward.",
        "",
        "Ratio: nnmath's median over PyTorch's (< 1: nnmath is faster). *forward*: "
        "`module(x)`, x without grad; *forward+backward*: `torch.autograd.grad(module(x), "
        "x, g)` (losses: `torch.autograd.grad(loss(x, target), x)`, reduction \"mean\", "
        "KLDivLoss \"batchmean\"). Activations on 10,000 × 1,000 (Softmax, LogSoftmax, "
        "Softmin, GLU along the last dimension; RReLU in evaluation mode, PReLU with one "
        "weight), CrossEntropyLoss (class indices), NLLLoss and KLDivLoss on 10,000 × 1,000, "
        "BCEWithLogitsLoss and BCELoss on 10M elements. *graph breaks*: "
        "`torch._dynamo.explain` of a small step (a linear layer, the module, a scalar loss, "
        "on a 16 × 32 input) / "
        "then the step compiled with `torch.compile(step, fullgraph=True, "
        "backend=\"aot_eager\")` and its `backward()`: yes if it ran.",
        "",
        "| module | dtype | forward nnmath ms | forward torch ms | forward ratio ≤ 1 "
        "| fwd+bwd nnmath ms | fwd+bwd torch ms | fwd+bwd ratio ≤ 1 "
        "| graph breaks / fullgraph fwd+bwd |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    pairs: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for r in rows:
        pairs.setdefault((r["op"], r["dtype"]), {})[r["kind"]] = r
    for (op, dt), kinds in pairs.items():
        cells = []
        for kind in ("forward", "forward+backward"):
            r = kinds.get(kind)
            cells += (["–"] * 3 if r is None else
                      [f"{r['nnmath'] * 1e3:.1f}", f"{r['torch'] * 1e3:.1f}",
                       _cell(r["ratio"])])
        lines.append(f"| {op} | {dt} | " + " | ".join(cells) +
                     f" | {_breaks_cell(breaks.get(op, (None, None))) if breaks else '–'} |")
    misses = [f"{r['op']} {r['dtype']} {r['kind']} ({r['ratio']:.2f})"
              for r in rows if r["ratio"] > 1.0]
    lines += ["", "Rows that miss the target: " + ("; ".join(misses) if misses else "none")
              + "."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ops", default=",".join(BY_LABEL),
                    help="comma-separated (default all): " + ", ".join(BY_LABEL))
    ap.add_argument("--dtypes", default="float32,float64")
    ap.add_argument("--rounds", type=int, default=5,
                    help="interleaved rounds (default 5)")
    ap.add_argument("--no-explain", dest="explain", action="store_false",
                    help="skip the torch._dynamo.explain column")
    ap.add_argument("--write", action="store_true", help="write benchmarks/TORCH_SPEED.md")
    args = ap.parse_args(argv)
    ops = [s for s in args.ops.split(",") if s]
    unknown = [o for o in ops if o not in BY_LABEL]
    if unknown or args.rounds < 1:
        ap.error(f"unknown module(s) {', '.join(unknown)}; choose from "
                 f"{', '.join(BY_LABEL)}" if unknown else "--rounds must be at least 1")
    dtypes = [getattr(torch, s) for s in args.dtypes.split(",")]
    args.load_start = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    start = time.perf_counter()
    # start both pools while this thread may still run on every CPU, then pin it
    big = torch.zeros(1 << 21, dtype=torch.float64)
    _core.sigmoid(big.numpy())
    torch.sigmoid(big)
    pin(0)
    rows: list[dict[str, Any]] = []
    for op in ops:
        for dt in dtypes:
            for r in bench(BY_LABEL[op], dt, args.rounds):
                rows.append(r)
                print(f"{r['op']:18s} {r['dtype']:8s} {r['kind']:17s} nnmath "
                      f"{r['nnmath'] * 1e3:8.1f} ms  torch {r['torch'] * 1e3:8.1f} ms  "
                      f"{_cell(r['ratio'])}", flush=True)
    breaks: dict[str, tuple[int | None, bool | None]] = {}
    if args.explain:
        for op in ops:
            breaks[op] = graph_breaks(BY_LABEL[op])
            print(f"{op:18s} graph breaks: {_breaks_cell(breaks[op])}", flush=True)
    args.minutes = (time.perf_counter() - start) / 60
    text = report(rows, breaks, args)
    print()
    print(text)
    if args.write:
        (HERE / "TORCH_SPEED.md").write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

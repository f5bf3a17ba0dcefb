"""What the timing scripts share: pinning threads, the two-thread copy (the memory floor of
an ``out=`` call), interleaved medians with pauses between candidates, and the memory a
call allocates (``tracemalloc``).

``NNMATH_PIN_THREADS=1`` must be set before nnmath is imported for the core's pool to be
pinned one thread per CPU; the scripts set it at their top.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

PAUSE = 0.05  # seconds before each timing: PyTorch's and JAX's pools spin after a call


def machine() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux), core count, system and release:
    the machine line of the benchmarks' reports."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def pin(cpu: int) -> None:
    """Pin the calling thread to one CPU (Linux; elsewhere nothing)."""
    if hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[cpu % len(cpus)]})


def thread_affinities() -> str:
    """The CPUs each thread of this process may run on, counted (Linux; else "")."""
    counts: dict[str, int] = {}
    try:
        for task in Path("/proc/self/task").iterdir():
            for line in (task / "status").read_text().splitlines():
                if line.startswith("Cpus_allowed_list:"):
                    cpus = line.split(":", 1)[1].strip()
                    counts[cpus] = counts.get(cpus, 0) + 1
    except OSError:
        return ""
    return ", ".join(f"{n} on CPU {c}" for c, n in sorted(counts.items()))


class TwoThreadCopy:
    """``np.copyto(dst, src)`` in two halves, one on a helper thread pinned to the second
    CPU, one on the caller."""

    def __init__(self) -> None:
        self.go = threading.Event()
        self.done = threading.Event()
        self.job: tuple[np.ndarray, np.ndarray] | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        pin(1)
        while True:
            self.go.wait()
            self.go.clear()
            assert self.job is not None
            np.copyto(*self.job)
            self.done.set()

    def __call__(self, dst: np.ndarray, src: np.ndarray) -> None:
        d, s = dst.reshape(-1), src.reshape(-1)
        h = s.size // 2
        self.job = (d[h:], s[h:])
        self.done.clear()
        self.go.set()
        np.copyto(d[:h], s[:h])
        self.done.wait()


def timed(fn: Callable[[], Any], number: int) -> float:
    """Seconds per call of ``fn``, over ``number`` calls."""
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def measure(cases: dict[str, Callable[[], Any]], n: int, rounds: int,
            pause: float = PAUSE,
            stat: Callable[[list[float]], float] = statistics.median) -> dict[str, float]:
    """Median (or ``stat``) seconds per call of each case: ``rounds`` interleaved rounds
    (every case once per round, after a pause), each timing about 2M elements' worth of
    calls (one call at 10M); one untimed call of each first (pools started, pages
    touched, JIT compiled)."""
    number = max(1, int(2e6 // max(n, 1)))
    for fn in cases.values():
        fn()
    samples: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            gc.collect()
            time.sleep(pause)
            samples[name].append(timed(fn, number))
    return {k: stat(v) for k, v in samples.items()}


def allocated(fn: Callable[[], Any]) -> int:
    """The peak bytes traced by ``tracemalloc`` during one call of ``fn`` (NumPy reports its
    array buffers to it), the result included while it is alive."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        r = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del r
    return peak


# -- verdicts --------------------------------------------------------------------------

#: tracemalloc's slack for the Python objects of a call (argument tuples, the result's
#: array object): "allocates nothing" is at most this, "only its output" its bytes + this
SLACK = 4096


def ok_cell(v: float | None, limit: float) -> str:
    if v is None:
        return "–"
    return f"{v:.2f}" + (" ✓" if v <= limit else " ✗")


def fails(r: dict[str, Any]) -> list[str]:
    """The targets a row misses (a missing measurement misses nothing)."""
    checks = [("peer", r["vs_peer"], 1.0), ("torch out=", r.get("out_vs_torch"), 1.0),
              ("copy", r["out_vs_copy"], r["copy_target"]),
              ("1,000", r["small"], r.get("small_target", 1.2))]
    fails = [name for name, v, limit in checks if v is not None and v > limit]
    if r.get("no_out"):
        fails.append("no out=")
    if r["alloc"] > SLACK or (r.get("alloc_out") or 0) > SLACK:
        fails.append("memory")
    return fails


def verdict(r: dict[str, Any]) -> str:
    f = fails(r)
    return "pass" if not f else "fail: " + ", ".join(f)


def bytes_cell(v: int | None) -> str:
    if v is None:
        return "–"
    return (f"{v / 2**20:.1f} MB" if abs(v) >= 2**20 else f"{v} B") + (
        " ✓" if v <= SLACK else " ✗")

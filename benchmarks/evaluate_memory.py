"""Evaluating a large memory-mapped ``.npy`` needs memory of the order of a chunk, not a file.

The script writes predictions ``y_pred.npy`` (``N × C`` float32 probabilities, about
``--size-gb`` GB) and labels ``y_true.npy`` (``N`` int32) into a temporary directory, in
chunks (the generator never holds them whole either), then runs ``nnmath.evaluate`` on
the two files in a fresh Python process and reports, for that process:

* the peak resident set size (``VmHWM`` of ``/proc/self/status`` on Linux, else
  ``getrusage``'s ``ru_maxrss``), and the part of it added by the evaluation (peak minus
  the RSS after imports);
* the peak of the memory traced by ``tracemalloc`` during the evaluation (NumPy reports
  its array buffers to tracemalloc), with ``--tracemalloc``;
* wall time and throughput.

Usage::

    python benchmarks/evaluate_memory.py                  # 4 GB, 10 classes
    python benchmarks/evaluate_memory.py --size-gb 0.5 --classes 100 --chunk-size 50000

The temporary directory (and its files) is removed at the end unless ``--keep``; it needs
``--size-gb`` GB of free disk (plus 10 % for the labels). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from _procstat import child_env

CHILD = r"""
import json, resource, sys, time, tracemalloc
from nnmath.evaluate import evaluate
from _procstat import status_kib

def peak_kib():
    hwm = status_kib("VmHWM")
    if hwm is not None:
        return hwm
    scale = 1 / 1024 if sys.platform == "darwin" else 1  # bytes on macOS, KiB elsewhere
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale

y_true, y_pred, chunk, trace = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
chunk = None if chunk == "auto" else int(chunk)
base = status_kib("VmRSS") or peak_kib()
if trace:
    tracemalloc.start()
t0 = time.perf_counter()
report = evaluate(y_true, y_pred, chunk_size=chunk)
seconds = time.perf_counter() - t0
traced = tracemalloc.get_traced_memory()[1] if trace else None
print(json.dumps({"peak_rss_kib": peak_kib(), "rss_after_imports_kib": base,
                  "tracemalloc_peak_bytes": traced, "seconds": seconds,
                  "n_samples": report.n_samples, "chunk_size": report.settings["chunk_size"],
                  "metrics": report.metrics}))
"""


def _header(f: Any, dtype: np.dtype[Any], shape: tuple[int, ...]) -> None:
    fmt = np.lib.format
    fmt.write_array_header_1_0(f, {"descr": fmt.dtype_to_descr(dtype),
                                   "fortran_order": False, "shape": shape})


def generate(directory: Path, size_bytes: int, classes: int,
             seed: int = 0) -> tuple[Path, Path]:
    """Write y_pred (float32 probabilities) and y_true (int32) of ~size_bytes, in chunks."""
    rows = max(size_bytes // (4 * classes), 1)
    pred_path, true_path = directory / "y_pred.npy", directory / "y_true.npy"
    rng = np.random.default_rng(seed)
    step = max(1, (64 << 20) // (4 * classes))
    with open(pred_path, "wb") as fp, open(true_path, "wb") as ft:
        _header(fp, np.dtype("<f4"), (rows, classes))
        _header(ft, np.dtype("<i4"), (rows,))
        for start in range(0, rows, step):
            n = min(step, rows - start)
            labels = rng.integers(0, classes, n, dtype=np.int32)
            logits = rng.standard_normal((n, classes), dtype=np.float32)
            logits[np.arange(n), labels] += 1.5  # a model right more often than chance
            logits -= logits.max(axis=1, keepdims=True)
            np.exp(logits, out=logits)
            logits /= logits.sum(axis=1, keepdims=True)
            fp.write(logits.astype("<f4", copy=False).tobytes())
            ft.write(labels.astype("<i4", copy=False).tobytes())
    return true_path, pred_path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-gb", type=float, default=4.0,
                        help="size of y_pred.npy in GB (default 4)")
    parser.add_argument("--classes", type=int, default=10, help="columns of y_pred")
    parser.add_argument("--chunk-size", default="auto", help="rows per chunk (default: "
                        "nnmath's, about 8 MiB of predictions)")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also trace allocations (slower)")
    parser.add_argument("--dir", help="where to write the files (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()

    size = int(args.size_gb * 1e9)
    base = Path(args.dir) if args.dir else None
    tmp = tempfile.mkdtemp(prefix="nnmath-bench-", dir=base)
    directory = Path(tmp)
    try:
        t0 = time.perf_counter()
        true_path, pred_path = generate(directory, size, args.classes)
        gen = time.perf_counter() - t0
        file_bytes = pred_path.stat().st_size + true_path.stat().st_size
        print(f"generated {pred_path.name} ({pred_path.stat().st_size / 1e9:.2f} GB) and "
              f"{true_path.name} ({true_path.stat().st_size / 1e9:.2f} GB) in {gen:.1f} s")
        env = child_env()
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(true_path), str(pred_path), args.chunk_size,
             "1" if args.tracemalloc else "0"],
            env=env, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            return 1
        r = json.loads(out.stdout)
        peak = r["peak_rss_kib"] * 1024
        added = (r["peak_rss_kib"] - r["rss_after_imports_kib"]) * 1024
        print(f"evaluated {r['n_samples']:,} samples × {args.classes} classes in "
              f"{r['seconds']:.1f} s ({r['n_samples'] / r['seconds'] / 1e6:.1f} M rows/s), "
              f"chunks of {r['chunk_size']:,} rows")
        print(f"  input files                 {file_bytes / 2**20:10,.0f} MiB")
        print(f"  peak RSS of the process     {peak / 2**20:10,.0f} MiB "
              f"({100 * peak / file_bytes:.1f} % of the input)")
        print(f"  added by the evaluation     {added / 2**20:10,.0f} MiB "
              "(peak RSS minus RSS after imports)")
        if r["tracemalloc_peak_bytes"] is not None:
            print(f"  tracemalloc peak            {r['tracemalloc_peak_bytes'] / 2**20:10,.0f}"
                  " MiB")
        print("  metrics: " + ", ".join(f"{k} {v:.4f}" for k, v in r["metrics"].items()))
    finally:
        if args.keep:
            print(f"kept {directory}")
        else:
            for p in directory.iterdir():
                p.unlink()
            directory.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())

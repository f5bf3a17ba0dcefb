"""Evaluating a large file needs memory of the order of a chunk, not of the file, in every layout.

For each layout the script writes labels and predictions into a temporary directory, in
pieces (the generator never holds them whole either), runs ``nnmath.evaluate`` on them in
a fresh Python process and reports, for that process:

* the peak resident set size (``VmHWM`` of ``/proc/self/status`` on Linux, else
  ``getrusage``'s ``ru_maxrss``);
* the part of it added by the evaluation: the peak minus the RSS of the same interpreter
  after ``import nnmath.evaluate`` (what the target, at most 200 MB, is about; importing
  pyarrow for Parquet counts as part of the evaluation);
* the peak of the memory traced by ``tracemalloc``, with ``--tracemalloc``;
* wall time.

Layouts (``--layout``, repeatable; default all):

==============  =============================================================================
``npy``         ``N × 10`` float32 probabilities, a memory-mapped ``.npy`` (``--size-gb``)
``binary``      ``N`` float32 probabilities of a binary task (``--size-gb``), int8 labels
``npz``         the same (at most 250 MB) in a compressed ``.npz`` member, streamed
``npz-fortran`` a Fortran-ordered ``.npz`` member (constant rows, compressed: 400 MB in a
                few MB), unpacked to a temporary file
``wide``        ``(2684, 100000)`` float32 in a ``.npy``: 1 GB of very wide rows
``parquet``     6M rows: an int32 label and a list column of 14 float32 scores (~360 MB)
``csv``         1M rows × 10 probabilities as text, labels in a second column set
==============  =============================================================================

Usage::

    python benchmarks/evaluate_memory.py                       # every layout
    python benchmarks/evaluate_memory.py --layout npy --size-gb 4
    python benchmarks/evaluate_memory.py --results benchmarks/EVALUATE_MEMORY.md

The temporary directory is removed at the end unless ``--keep`` (it needs about 2 GB of
free disk for the default sizes). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from _procstat import child_env

#: the target: peak RSS at most this much above the interpreter that imported nnmath
TARGET_MIB = 200 * 1e6 / 2**20

CHILD = r"""
import json, resource, sys, time, tracemalloc
from _procstat import status_kib

def peak_kib():
    hwm = status_kib("VmHWM")
    if hwm is not None:
        return hwm
    scale = 1 / 1024 if sys.platform == "darwin" else 1  # bytes on macOS, KiB elsewhere
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale

from nnmath.evaluate import evaluate
y_true, y_pred, chunk, trace = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
auc = sys.argv[5]
chunk = None if chunk == "auto" else int(chunk)
base = status_kib("VmRSS") or peak_kib()
if trace:
    tracemalloc.start()
t0 = time.perf_counter()
report = evaluate(y_true, y_pred, chunk_size=chunk, auc=auc)
seconds = time.perf_counter() - t0
traced = tracemalloc.get_traced_memory()[1] if trace else None
print(json.dumps({"peak_rss_kib": peak_kib(), "rss_after_imports_kib": base,
                  "tracemalloc_peak_bytes": traced, "seconds": seconds,
                  "n_samples": report.n_samples, "chunk_size": report.settings["chunk_size"],
                  "metrics": report.metrics}))
"""

_PIECE_BYTES = 64 << 20  # what the generator holds at a time
NPZ_BYTES = 250_000_000  # the most predictions the npz layout compresses


def _header(f: Any, dtype: np.dtype[Any], shape: tuple[int, ...], fortran: bool = False) -> None:
    fmt = np.lib.format
    fmt.write_array_header_2_0(f, {"descr": fmt.dtype_to_descr(dtype),
                                   "fortran_order": fortran, "shape": shape})


def _blocks(rows: int, classes: int, seed: int = 0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(labels int32, probabilities float32) in pieces of ~64 MB: a model right more often
    than chance."""
    rng = np.random.default_rng(seed)
    step = max(1, _PIECE_BYTES // (4 * classes))
    for start in range(0, rows, step):
        n = min(step, rows - start)
        labels = rng.integers(0, classes, n, dtype=np.int32)
        p = rng.standard_normal((n, classes), dtype=np.float32)
        p[np.arange(n), labels] += 1.5
        p -= p.max(axis=1, keepdims=True)
        np.exp(p, out=p)
        p /= p.sum(axis=1, keepdims=True)
        yield labels, p


def _write_npy_pair(d: Path, rows: int, classes: int) -> tuple[str, str]:
    pred, true = d / "y_pred.npy", d / "y_true.npy"
    with open(pred, "wb") as fp, open(true, "wb") as ft:
        _header(fp, np.dtype("<f4"), (rows, classes))
        _header(ft, np.dtype("<i4"), (rows,))
        for labels, p in _blocks(rows, classes):
            fp.write(p.astype("<f4", copy=False).tobytes())
            ft.write(labels.astype("<i4", copy=False).tobytes())
    return str(true), str(pred)


def gen_binary(d: Path, size: int) -> tuple[str, str]:
    """``size`` bytes of float32 probabilities of a binary task (one per sample), int8
    labels: the exact AUC's state at its bound of distinct scores, on one label."""
    rows = max(size // 4, 1)
    pred, true = d / "y_pred.npy", d / "y_true.npy"
    rng = np.random.default_rng(0)
    step = _PIECE_BYTES // 4
    with open(pred, "wb") as fp, open(true, "wb") as ft:
        _header(fp, np.dtype("<f4"), (rows,))
        _header(ft, np.dtype("i1"), (rows,))
        for start in range(0, rows, step):
            n = min(step, rows - start)
            y = rng.integers(0, 2, n, dtype=np.int8)
            z = rng.standard_normal(n, dtype=np.float32) + 1.5 * (y - np.float32(0.5))
            p = 1 / (1 + np.exp(-z))
            fp.write(p.astype("<f4").tobytes())
            ft.write(y.tobytes())
    return str(true), str(pred)


def gen_npy(d: Path, size: int) -> tuple[str, str]:
    return _write_npy_pair(d, max(size // 40, 1), 10)


def gen_wide(d: Path, size: int) -> tuple[str, str]:
    return _write_npy_pair(d, 2684, 100_000)


def gen_npz(d: Path, size: int) -> tuple[str, str]:
    rows, classes = max(min(size, NPZ_BYTES) // 40, 1), 10  # compressing is slow
    true, pred = d / "y_true.npy", d / "y_pred.npz"
    with zipfile.ZipFile(pred, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z, \
            z.open("scores.npy", "w", force_zip64=True) as fp, open(true, "wb") as ft:
        _header(fp, np.dtype("<f4"), (rows, classes))
        _header(ft, np.dtype("<i4"), (rows,))
        for labels, p in _blocks(rows, classes):
            fp.write(p.astype("<f4", copy=False).tobytes())
            ft.write(labels.astype("<i4", copy=False).tobytes())
    return str(true), f"{pred}:scores"


def gen_npz_fortran(d: Path, size: int) -> tuple[str, str]:
    rows, classes = 10_000_000, 10  # 400 MB of float32, column after column
    true, pred = d / "y_true.npy", d / "y_pred.npz"
    column = np.full(1 << 20, 0.1, dtype="<f4").tobytes()
    with zipfile.ZipFile(pred, "w", zipfile.ZIP_DEFLATED) as z, \
            z.open("scores.npy", "w", force_zip64=True) as fp:
        _header(fp, np.dtype("<f4"), (rows, classes), fortran=True)
        for _ in range(classes):
            left = rows
            while left:
                n = min(left, 1 << 20)
                fp.write(column[:4 * n])
                left -= n
    with open(true, "wb") as ft:
        _header(ft, np.dtype("<i4"), (rows,))
        for start in range(0, rows, 1 << 22):
            n = min(1 << 22, rows - start)
            ft.write((np.arange(start, start + n) % classes).astype("<i4").tobytes())
    return str(true), f"{pred}:scores"


def gen_parquet(d: Path, size: int) -> tuple[str, str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows, classes = 6_000_000, 14
    path = d / "preds.parquet"
    schema = pa.schema([("label", pa.int32()),
                        ("scores", pa.list_(pa.float32(), classes))])
    with pq.ParquetWriter(path, schema, compression="snappy") as w:
        left = rows
        for labels, p in _blocks(rows, classes):
            n = min(len(labels), left)
            scores = pa.FixedSizeListArray.from_arrays(pa.array(p[:n].ravel()), classes)
            w.write_table(pa.table({"label": labels[:n], "scores": scores}, schema=schema),
                          row_group_size=1 << 20)
            left -= n
    return f"{path}:label", f"{path}:scores"


def gen_csv(d: Path, size: int) -> tuple[str, str]:
    rows, classes = 1_000_000, 10
    pred, true = d / "y_pred.csv", d / "y_true.csv"
    with open(pred, "w") as fp, open(true, "w") as ft:
        fp.write(",".join(f"p{i}" for i in range(classes)) + "\n")
        ft.write("label\n")
        for labels, p in _blocks(rows, classes):
            np.savetxt(fp, p, fmt="%.6g", delimiter=",")
            np.savetxt(ft, labels, fmt="%d")
    return f"{true}:label", str(pred)


LAYOUTS: dict[str, tuple[Callable[[Path, int], tuple[str, str]], str]] = {
    "npy": (gen_npy, ".npy, memory-mapped, N × 10 float32"),
    "binary": (gen_binary, ".npy, memory-mapped, N float32 probabilities (binary)"),
    "npz": (gen_npz, ".npz member (deflate), N × 10 float32"),
    "npz-fortran": (gen_npz_fortran, ".npz member in Fortran order, 10M × 10 float32"),
    "wide": (gen_wide, ".npy, 2684 × 100000 float32 (wide rows)"),
    "parquet": (gen_parquet, "Parquet, 6M rows, label + list of 14 float32"),
    "csv": (gen_csv, "CSV, 1M rows × 10 probabilities"),
}


def _files_size(spec: str) -> int:
    path = spec
    for suffix in (".npz", ".parquet", ".csv"):
        head, sep, _ = spec.rpartition(":")
        if sep and head.endswith(suffix):
            path = head
    return os.path.getsize(path)


def run_layout(name: str, size: int, chunk: str, trace: bool, base: Path | None,
               keep: bool) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix=f"nnmath-bench-{name}-", dir=base))
    try:
        t0 = time.perf_counter()
        y_true, y_pred = LAYOUTS[name][0](tmp, size)
        gen = time.perf_counter() - t0
        file_bytes = sum(p.stat().st_size for p in tmp.iterdir())
        runs = []
        for auc in ("exact", "none"):  # the default report; without the exact AUC's state
            out = subprocess.run(
                [sys.executable, "-c", CHILD, y_true, y_pred, chunk, "1" if trace else "0",
                 auc], env=child_env(), capture_output=True, text=True, check=False)
            if out.returncode != 0:
                raise RuntimeError(f"{name}: the evaluation failed:\n{out.stderr}")
            runs.append(json.loads(out.stdout))
        r = runs[0]
        r["without_auc"] = runs[1]
        r.update(layout=name, what=LAYOUTS[name][1], file_bytes=file_bytes,
                 pred_bytes=_files_size(y_pred), generate_seconds=gen)
        return r
    finally:
        if keep:
            print(f"kept {tmp}")
        else:
            for p in tmp.iterdir():
                p.unlink()
            tmp.rmdir()


def _mib(kib: float) -> float:
    return kib / 1024


def _added(r: dict[str, Any]) -> float:
    return _mib(r["peak_rss_kib"] - r["rss_after_imports_kib"])


def describe(r: dict[str, Any]) -> str:
    added = _added(r["without_auc"])
    auc_part = _added(r) - added
    lines = [f"{r['layout']}: {r['what']}: {r['n_samples']:,} samples in "
             f"{r['without_auc']['seconds']:.1f} s with --auc none, {r['seconds']:.1f} s with "
             f"every metric; chunks of {r['chunk_size']:,} rows (generated in "
             f"{r['generate_seconds']:.1f} s)",
             f"  input files                 {r['file_bytes'] / 2**20:10,.0f} MiB",
             f"  peak RSS of the process     {_mib(r['peak_rss_kib']):10,.0f} MiB",
             f"  added by the evaluation     {added:10,.0f} MiB (peak RSS minus RSS after "
             f"import nnmath.evaluate, --auc none; target <= {TARGET_MIB:.0f} MiB: "
             f"{'met' if added <= TARGET_MIB else 'MISSED'})",
             f"  and by the exact AUC        {auc_part:10,.0f} MiB (the default report; its "
             "state is excepted from the target)"]
    if r["tracemalloc_peak_bytes"] is not None:
        lines.append(f"  tracemalloc peak            {r['tracemalloc_peak_bytes'] / 2**20:10,.0f}"
                     " MiB")
    lines.append("  metrics: " + ", ".join(f"{k} {v:.4f}" for k, v in r["metrics"].items()))
    return "\n".join(lines)


def results_markdown(results: list[dict[str, Any]], command: str) -> str:
    rows = ["| layout | input | files (MiB) | samples | chunk (rows) | seconds | peak RSS "
            "(MiB) | added (MiB) | target ≤ 200 MB | + exact AUC (MiB) | seconds, all |",
            "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|"]
    for r in results:
        bare = r["without_auc"]
        added = _added(bare)
        rows.append(f"| {r['layout']} | {r['what']} | {r['file_bytes'] / 2**20:,.0f} | "
                    f"{r['n_samples']:,} | {r['chunk_size']:,} | {bare['seconds']:.1f} | "
                    f"{_mib(bare['peak_rss_kib']):,.0f} | {added:,.0f} | "
                    f"{'met' if added <= TARGET_MIB else 'missed'} | "
                    f"{_added(r) - added:,.0f} | {r['seconds']:.1f} |")
    base = _mib(results[0]["rss_after_imports_kib"]) if results else 0.0
    return "\n".join([
        "# Memory of `nnmath evaluate`, by input layout",
        "",
        f"Written by `{command}` on {time.strftime('%Y-%m-%d')} ({platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, NumPy {np.__version__}).",
        "",
        "Each row is a fresh process: *peak RSS* is its `VmHWM`; *added* is the peak minus "
        f"the RSS after `import nnmath.evaluate` (about {base:.0f} MiB here), which the "
        "target bounds by 200 MB (= 191 MiB) for every input size and layout. Default chunk "
        "sizes (about 8 MiB of predictions as float64, at least one row). Each layout runs "
        "twice: with `auc=\"none\"` (every other metric of the default report, the "
        "calibration included: the columns up to the target) and with the default report, "
        "whose exact AUC keeps each distinct score up to its bound (about 4 million in "
        "all, then 1001 thresholds): *+ exact AUC* is the peak it adds, excepted from the "
        "target and reported here.",
        "",
        *rows,
        "",
    ])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layout", action="append", choices=list(LAYOUTS),
                        help="which input layout (repeatable; default: all)")
    parser.add_argument("--size-gb", type=float, default=1.0,
                        help="size of the predictions of the npy and npz layouts in GB "
                             "(default 1)")
    parser.add_argument("--chunk-size", default="auto", help="rows per chunk (default: "
                        "nnmath's, about 8 MiB of predictions)")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also trace allocations (slower)")
    parser.add_argument("--dir", help="where to write the files (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--results", metavar="FILE.md",
                        help="write the table of results to this Markdown file")
    args = parser.parse_args()

    size = int(args.size_gb * 1e9)
    base = Path(args.dir) if args.dir else None
    results = []
    for name in args.layout or list(LAYOUTS):
        r = run_layout(name, size, args.chunk_size, args.tracemalloc, base, args.keep)
        print(describe(r), flush=True)
        results.append(r)
    if args.results:
        command = "python benchmarks/evaluate_memory.py " + " ".join(sys.argv[1:])
        Path(args.results).write_text(results_markdown(results, command.strip()),
                                      encoding="utf-8")
        print(f"wrote {args.results}")
    missed = [r["layout"] for r in results if _added(r["without_auc"]) > TARGET_MIB]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

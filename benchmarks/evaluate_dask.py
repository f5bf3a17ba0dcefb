"""Distributed evaluation: the Dask engine on 1 and 2 worker processes against the local one.

The script writes predictions split over many ``.npy`` files into a temporary directory
(in pieces; the generator never holds them whole), then evaluates them with

* the local engine (``evaluate(..., engine="local")``), in a fresh Python process;
* the Dask engine on a ``distributed.LocalCluster`` of 1 and 2 worker processes (one
  thread each, on loopback; the cluster that ``evaluate(engine="dask")`` starts, built by
  the same helper), each run in a fresh Python process that starts the cluster, warms the
  workers up (imports) and passes the client as ``scheduler=``;

and reports wall time (of the evaluation; the cluster's start-up apart), throughput
(samples, i.e. predictions, per second), the peak resident set size of each worker process
and of the client (or of the local process), and checks that every run gave the same
report, bit for bit.

Peak RSS is Linux's ``VmHWM`` of ``/proc/<pid>/status``, reset just before the evaluation
by writing ``5`` to ``/proc/<pid>/clear_refs``, so that it is the peak *during* the
evaluation (it still includes what the process held before: imports, the worker's own
machinery). It is read in each worker with ``Client.run``. "added" is that peak minus the
RSS right before the evaluation.

Two cases: binary (one float32 logit per sample, uint8 labels; ``--rows`` rows in
``--files`` files) and multiclass (``--classes`` float32 logits per sample, a tenth of the
rows, in half as many files).

Usage::

    python benchmarks/evaluate_dask.py                     # 100M binary + 10M x 10 classes
    python benchmarks/evaluate_dask.py --rows 2000000      # a quick run
    python benchmarks/evaluate_dask.py --write             # also writes EVALUATE_DASK.md

Needs the ``dask`` extra and about ``--rows`` x 5 bytes (+ 44 bytes per multiclass row) of
free disk; the files are removed at the end unless ``--keep``. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from _procstat import child_env

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
RESULTS = Path(__file__).resolve().parent / "EVALUATE_DASK.md"

# the child: one engine configuration in a fresh process; prints one JSON line
CHILD = r"""
import json, os, sys, time
from _procstat import status_kib

def reset_peak():
    # writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0)
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return None
    return status_kib("VmRSS")

def peak():
    return status_kib("VmHWM")

def cpu():
    t = os.times()
    return t.user + t.system

def warm_up():
    import nnmath.evaluate  # noqa: F401 - the imports a task needs
    return os.getpid()

def main():
    from nnmath.evaluate import evaluate
    y_true, y_pred, engine, workers = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    out = {}
    if engine == "local":
        before = reset_peak()
        c0 = cpu()
        t0 = time.perf_counter()
        report = evaluate(y_true, y_pred, from_logits=True)
        out["seconds"] = time.perf_counter() - t0
        out["cpu"] = cpu() - c0
        out["client"] = {"before_kib": before, "peak_kib": peak()}
    else:
        from nnmath.evaluate._dask import local_cluster
        t0 = time.perf_counter()
        with local_cluster(workers) as (cluster, client):
            client.run(warm_up)
            out["startup"] = time.perf_counter() - t0
            before = client.run(reset_peak)
            client_before = reset_peak()
            c0 = sum(client.run(cpu).values()) + cpu()
            t0 = time.perf_counter()
            report = evaluate(y_true, y_pred, from_logits=True, engine="dask",
                              scheduler=client)
            out["seconds"] = time.perf_counter() - t0
            out["cpu"] = sum(client.run(cpu).values()) + cpu() - c0
            after = client.run(peak)
            out["workers"] = [{"before_kib": before[a], "peak_kib": after[a]}
                              for a in sorted(after)]
            out["client"] = {"before_kib": client_before, "peak_kib": peak()}
        out["partitions"] = report.settings["partitions"]
    out["n_samples"] = report.n_samples
    out["metrics"] = report.metrics
    out["per_class"] = report.per_class
    print(json.dumps(out))

if __name__ == "__main__":
    main()
"""


def _header(f: Any, dtype: np.dtype[Any], shape: tuple[int, ...]) -> None:
    fmt = np.lib.format
    fmt.write_array_header_1_0(f, {"descr": fmt.dtype_to_descr(dtype),
                                   "fortran_order": False, "shape": shape})


def generate(directory: Path, rows: int, files: int, classes: int, seed: int = 0) -> None:
    """``labels-XXXX.npy`` (uint8) and ``logits-XXXX.npy`` (float32) in ``files`` parts."""
    rng = np.random.default_rng(seed)
    bounds = np.linspace(0, rows, files + 1).astype(np.int64)
    step = max(1, (32 << 20) // (4 * classes))
    for i, (a, b) in enumerate(itertools.pairwise(bounds.tolist())):
        n = int(b - a)
        shape: tuple[int, ...] = (n,) if classes == 1 else (n, classes)
        with open(directory / f"labels-{i:04d}.npy", "wb") as ft, \
                open(directory / f"logits-{i:04d}.npy", "wb") as fp:
            _header(ft, np.dtype("u1"), (n,))
            _header(fp, np.dtype("<f4"), shape)
            for start in range(0, n, step):
                k = min(step, n - start)
                if classes == 1:
                    labels = rng.integers(0, 2, k, dtype=np.uint8)
                    logits = rng.standard_normal(k, dtype=np.float32) * 2
                    logits += labels.astype(np.float32) * 2 - 1  # better than chance
                else:
                    labels = rng.integers(0, classes, k, dtype=np.uint8)
                    logits = rng.standard_normal((k, classes), dtype=np.float32)
                    logits[np.arange(k), labels] += 1.5
                ft.write(labels.tobytes())
                fp.write(logits.astype("<f4", copy=False).tobytes())


def run_child(directory: Path, engine: str, workers: int) -> dict[str, Any]:
    env = child_env()
    with tempfile.NamedTemporaryFile("w", suffix="_child.py", delete=False) as f:
        f.write(CHILD)
        script = f.name
    try:
        out = subprocess.run([sys.executable, script, str(directory / "labels-*.npy"),
                              str(directory / "logits-*.npy"), engine, str(workers)],
                             env=env, capture_output=True, text=True, check=False)
    finally:
        os.unlink(script)
    if out.returncode != 0:
        raise RuntimeError(f"the {engine} run failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _mib(kib: float | None) -> str:
    return "n/a" if kib is None else f"{kib / 1024:,.0f}"


def run_case(name: str, rows: int, files: int, classes: int, workers: list[int],
             base: Path | None, keep: bool) -> tuple[list[str], dict[str, Any]]:
    directory = Path(tempfile.mkdtemp(prefix="nnmath-dask-bench-", dir=base))
    try:
        t0 = time.perf_counter()
        generate(directory, rows, files, classes)
        size = sum(p.stat().st_size for p in directory.iterdir())
        what = (f"{rows:,} samples, binary (one float32 logit each)" if classes == 1 else
                f"{rows:,} samples × {classes} classes (float32 logits)")
        print(f"{name}: {what} in {files} files of each input, {size / 2**20:,.0f} MiB, "
              f"written in {time.perf_counter() - t0:.1f} s", flush=True)
        runs = [("local", 0)] + [("dask", w) for w in workers]
        results = []
        for engine, w in runs:
            load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
            r = run_child(directory, engine, w)
            r["load"] = load
            results.append((engine, w, r))
            print(f"  {engine} {w or ''}: {r['seconds']:.1f} s", flush=True)
        first = results[0][2]
        same = all(r["metrics"] == first["metrics"] and r["per_class"] == first["per_class"]
                   and r["n_samples"] == rows for _, _, r in results)
        lines = [
            f"**{name}**: {what}; {files} files of labels (uint8) and {files} of logits "
            f"(`.npy`, {size / 2**20:,.0f} MiB in all). Same report from every run, bit "
            f"for bit: **{'yes' if same else 'NO'}**.",
            "",
            "| engine | workers | partitions | cluster start (s) | wall (s) | "
            "samples/s | CPU (s) | peak RSS per worker (MiB) | added per worker (MiB) | "
            "client peak RSS (MiB) |",
            "|---|---:|---:|---:|---:|---:|---:|---|---|---:|",
        ]
        for engine, w, r in results:
            rate = rows / r["seconds"]
            if engine == "local":
                lines.append(f"| local | – | – | – | {r['seconds']:.1f} | {rate / 1e6:,.1f} M "
                             f"| {r['cpu']:.1f} | – | – | {_mib(r['client']['peak_kib'])} |")
                continue
            peaks = " / ".join(_mib(x["peak_kib"]) for x in r["workers"])
            added = " / ".join(
                _mib(None if x["before_kib"] is None or x["peak_kib"] is None
                     else x["peak_kib"] - x["before_kib"]) for x in r["workers"])
            lines.append(f"| dask | {w} | {r['partitions']} | {r['startup']:.1f} | "
                         f"{r['seconds']:.1f} | {rate / 1e6:,.1f} M | {r['cpu']:.1f} | {peaks} "
                         f"| {added} | {_mib(r['client']['peak_kib'])} |")
        metrics = ", ".join(f"{k} {v:.4f}" for k, v in first["metrics"].items())
        loads = ", ".join(f"{e} {w or ''}".strip() + f" {r['load']:.2f}" for e, w, r in results)
        lines += ["", f"Metrics: {metrics}. Load average (1 min) before each run: {loads}.",
                  ""]
        return lines, {"same": same}
    finally:
        if keep:
            print(f"kept {directory}")
        else:
            for p in directory.iterdir():
                p.unlink()
            directory.rmdir()


def machine() -> list[str]:
    import dask
    import distributed

    import nnmath

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        memory = f"{mem:.0f} GiB"
    except (ValueError, OSError, AttributeError):
        memory = "?"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        f"- machine: {cpu}, {cores} cores, {memory} RAM; {platform.system()} "
        f"{platform.release()}",
        f"- Python {platform.python_version()}, NumPy {np.__version__}, dask "
        f"{dask.__version__}, distributed {distributed.__version__}, nnmath "
        f"{nnmath.__version__}",
        f"- date: {datetime.date.today().isoformat()}",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000_000,
                        help="samples of the binary case (default 100M); the multiclass "
                             "case has a tenth")
    parser.add_argument("--files", type=int, default=50,
                        help="files per input of the binary case (default 50)")
    parser.add_argument("--classes", type=int, default=10,
                        help="classes of the multiclass case (default 10)")
    parser.add_argument("--cases", default="binary,multiclass",
                        help="which cases to run (default both)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                        help="sizes of the local cluster (default 1 2)")
    parser.add_argument("--dir", help="where to write the files (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--write", action="store_true",
                        help=f"write the results to {RESULTS.relative_to(ROOT)}")
    args = parser.parse_args()
    sys.path.insert(0, str(SRC))

    base = Path(args.dir) if args.dir else None
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    body: list[str] = []
    ok = True
    for case in cases:
        if case == "binary":
            lines, info = run_case("binary", args.rows, args.files, 1, args.workers, base,
                                   args.keep)
        elif case == "multiclass":
            lines, info = run_case("multiclass", max(args.rows // 10, 1),
                                   max(args.files // 2, 1), args.classes, args.workers, base,
                                   args.keep)
        else:
            parser.error(f"unknown case {case!r}: binary or multiclass")
        body += lines
        ok = ok and info["same"]
    command = "python benchmarks/evaluate_dask.py " + " ".join(
        shlex.quote(a) for a in sys.argv[1:])
    text = "\n".join([
        "# Distributed evaluation: the Dask engine against the local one",
        "",
        f"Command: `{command.strip()}` (writes this file with `--write`).",
        "",
        *machine(),
        "",
        "Every run is a fresh Python process. Wall time is that of `evaluate(...)` alone; "
        "a Dask run also pays the cluster start-up, shown apart (`nnmath evaluate --engine "
        "dask` pays both). The workers are processes of one thread on loopback, each "
        "with `cores // workers` threads for nnmath's NumPy fast paths (the local engine's "
        "fast paths may use every core; where its CPU time is close to its wall time, it ran "
        "on about one). Peak RSS is `VmHWM` of each process, reset right before the "
        "evaluation (`/proc/PID/clear_refs`), read in the workers with `Client.run`; "
        "*added* is that peak minus the RSS right before. CPU is the user + system time "
        "of the evaluating processes (the client and the workers; the scheduler's is "
        "left out) during the evaluation: what the work cost, whatever else ran on the "
        "machine meanwhile.",
        "",
        *body,
    ])
    print()
    print(text)
    if args.write:
        RESULTS.write_text(text + "\n")
        print(f"\nwrote {RESULTS}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

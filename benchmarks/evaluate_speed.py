"""How fast ``nnmath evaluate`` reads a large prediction file, against ``cat`` and the peers.

The data: ``N × C`` float32 logits in a ``.npy`` and ``N`` int64 labels in another,
generated once (in pieces) into ``--data-dir`` and kept there for later runs. The page
cache is warmed (the files read once), then, in each round, every candidate runs in a
fresh process, one after another, computing the same report: accuracy, top-5 accuracy,
the cross-entropy from logits, balanced accuracy and the per-class counts (support,
predicted, correct):

``cat``          ``cat logits.npy labels.npy > /dev/null``: the time to read the files
``nnmath``       the command as a user runs it: ``nnmath evaluate --y-true ... --y-pred ...
                 --from-logits --top-k 5 --format json --auc none --no-calibration`` (the
                 report the peers compute; ``--all-metrics`` also times the default one,
                 with ROC AUC, PR AUC, ECE and Brier score)
``numpy``        a hand-written chunked NumPy loop (``np.load(mmap_mode="r")``, chunks of
                 ``--chunk-rows`` rows: argmax, the scores above the label's, log-sum-exp
                 in float64, ``np.bincount`` of the confusion cells)
``torchmetrics`` chunked: ``MulticlassAccuracy`` (top_k 1 and 5, micro),
                 ``MulticlassConfusionMatrix``, ``torch.nn.functional.cross_entropy``
                 (sum, float64); torch with 2 threads
``sklearn``      chunked: ``accuracy_score``, ``top_k_accuracy_score``, ``log_loss`` (of
                 ``scipy.special.softmax`` of the chunk), ``confusion_matrix``

The wall time of each process (interpreter start and imports included, as a user pays
them) and its peak RSS (GNU ``time``'s ``%M``) are recorded; the tables give medians
over ``--rounds`` rounds. The peers' numbers are checked against nnmath's (counts exactly,
cross-entropy to 1e-6 relative; top-5 to 1e-6, since scikit-learn and torchmetrics break
ties by index where nnmath counts them as hits, as Keras), and each row is checked against
the targets: nnmath within 2× of ``cat``, at least 3× faster than each peer.

Usage::

    python benchmarks/evaluate_speed.py --rows 2000000            # a quick run
    python benchmarks/evaluate_speed.py --results benchmarks/EVALUATE_SPEED.md  # 100M rows

Needs about 4.8 GB of disk for the default 100M rows, and as much free memory for the
page cache; the peers are optional (a missing one is reported, not timed). Not part of
the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

CHILD_COMMON = r"""
import json, sys, numpy as np
z_path, y_path, C, R = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
Z = np.load(z_path, mmap_mode="r")
Y = np.load(y_path, mmap_mode="r")
N = len(Y)

def report(cm, top5, ce_sum):
    cm = np.asarray(cm, dtype=np.int64)
    support, correct = cm.sum(axis=1), np.diag(cm)
    recalls = [c / s for c, s in zip(correct, support) if s]
    print(json.dumps({"accuracy": float(correct.sum() / N), "top_5_accuracy": float(top5 / N),
                      "crossentropy": float(ce_sum / N),
                      "balanced_accuracy": float(np.mean(recalls)),
                      "support": support.tolist(), "predicted": cm.sum(axis=0).tolist(),
                      "correct": correct.tolist()}))
"""

CHILDREN = {
    "numpy": CHILD_COMMON + r"""
cm = np.zeros(C * C, np.int64)
top5 = 0
ce_sum = 0.0
for a in range(0, N, R):
    z = np.array(Z[a:a + R])
    y = np.array(Y[a:a + R])
    rows = np.arange(len(y))
    pred = z.argmax(axis=1)
    zy = z[rows, y]
    top5 += int(np.count_nonzero((z > zy[:, None]).sum(axis=1) < 5))
    m = z.max(axis=1)
    d = (z - m[:, None]).astype(np.float64)
    ce_sum += float(np.sum(np.log(np.exp(d).sum(axis=1)) - (zy - m)))
    cm += np.bincount(y * C + pred, minlength=C * C)
report(cm.reshape(C, C), top5, ce_sum)
""",
    "torchmetrics": CHILD_COMMON + r"""
import torch
from torchmetrics.classification import MulticlassAccuracy, MulticlassConfusionMatrix
torch.set_num_threads(2)
acc = MulticlassAccuracy(num_classes=C, top_k=1, average="micro")
top = MulticlassAccuracy(num_classes=C, top_k=5, average="micro")
conf = MulticlassConfusionMatrix(num_classes=C)
ce_sum = 0.0
for a in range(0, N, R):
    z = torch.from_numpy(np.array(Z[a:a + R]))
    y = torch.from_numpy(np.array(Y[a:a + R]))
    acc.update(z, y)
    top.update(z, y)
    conf.update(z, y)
    ce_sum += float(torch.nn.functional.cross_entropy(z.double(), y, reduction="sum"))
cm = conf.compute().numpy()
assert abs(float(acc.compute()) - np.trace(cm) / N) < 1e-6
report(cm, float(top.compute()) * N, ce_sum)
""",
    "sklearn": CHILD_COMMON + r"""
from scipy.special import softmax
from sklearn.metrics import accuracy_score, confusion_matrix, log_loss, top_k_accuracy_score
labels = list(range(C))
cm = np.zeros((C, C), np.int64)
top5 = 0.0
hits = 0.0
ce_sum = 0.0
for a in range(0, N, R):
    z = np.array(Z[a:a + R])
    y = np.array(Y[a:a + R])
    pred = z.argmax(axis=1)
    hits += accuracy_score(y, pred, normalize=False)
    top5 += top_k_accuracy_score(y, z, k=5, labels=labels, normalize=False)
    ce_sum += log_loss(y, softmax(z.astype(np.float64), axis=1), labels=labels,
                       normalize=False)
    cm += confusion_matrix(y, pred, labels=labels)
assert hits == np.trace(cm)
report(cm, top5, ce_sum)
""",
}


def generate(data_dir: Path, rows: int, classes: int, seed: int = 0) -> tuple[Path, Path]:
    """The logits and labels files (made once, in pieces of 2M rows, and kept)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    z_path = data_dir / f"logits-{rows}x{classes}.npy"
    y_path = data_dir / f"labels-{rows}.npy"
    done = data_dir / f"done-{rows}x{classes}"
    if done.exists() and z_path.exists() and y_path.exists():
        return z_path, y_path
    print(f"generating {rows:,} x {classes} float32 logits into {data_dir} ...", flush=True)
    rng = np.random.default_rng(seed)
    z = np.lib.format.open_memmap(z_path, mode="w+", dtype=np.float32, shape=(rows, classes))
    y = np.lib.format.open_memmap(y_path, mode="w+", dtype=np.int64, shape=(rows,))
    piece = 2_000_000
    for a in range(0, rows, piece):
        n = min(piece, rows - a)
        lab = rng.integers(0, classes, n)
        logits = rng.standard_normal((n, classes), dtype=np.float32) * 2.0
        logits[np.arange(n), lab] += 2.5  # a model right about half the time
        z[a:a + n] = logits
        y[a:a + n] = lab
    z.flush()
    y.flush()
    del z, y
    done.touch()
    return z_path, y_path


#: GNU time reports its child's own peak RSS; a child forked from this (large) Python
#: process would report at least this process's RSS, inherited through fork and exec
GNU_TIME = "/usr/bin/time"


def run_child(cmd: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (MiB) and stdout of a child process."""
    timed = os.path.exists(GNU_TIME)
    full = [GNU_TIME, "-f", "maxrss %M", *cmd] if timed else cmd
    t0 = time.perf_counter()
    proc = subprocess.run(full, capture_output=True)
    seconds = time.perf_counter() - t0
    err = proc.stderr.decode()
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd[:4])} failed ({proc.returncode}): {err[-2000:]}")
    peak = -1
    if timed:
        peak = int(err.strip().splitlines()[-1].split()[-1]) // 1024
    return seconds, peak, proc.stdout.decode()


def nnmath_values(out: str) -> dict[str, Any]:
    r = json.loads(out)
    m = r["metrics"]
    pc = r["per_class"]
    return {"accuracy": m["accuracy"], "top_5_accuracy": m["top_5_accuracy"],
            "crossentropy": m["crossentropy"], "balanced_accuracy": m["balanced_accuracy"],
            "support": pc["support"], "predicted": pc["predicted"], "correct": pc["correct"]}


def agree(name: str, got: dict[str, Any], want: dict[str, Any]) -> str:
    """'' when ``got`` computes nnmath's numbers, else what differs."""
    bad = []
    for key in ("support", "predicted", "correct"):
        if got[key] != want[key]:
            bad.append(key)
    for key, tol in (("accuracy", 1e-12), ("balanced_accuracy", 1e-12), ("top_5_accuracy", 1e-6),
                     ("crossentropy", 1e-6)):
        if not abs(got[key] - want[key]) <= tol * max(1.0, abs(want[key])):
            bad.append(f"{key} {got[key]!r} vs {want[key]!r}")
    return f"{name}: " + ", ".join(bad) if bad else ""


def have(module: str) -> bool:
    probe = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True)
    return probe.returncode == 0


PEERS = ["numpy", "torchmetrics", "sklearn"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=100_000_000)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--data-dir", type=Path, default=Path("/tmp/nnmath-evaluate-speed"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--chunk-rows", type=int, default=1 << 20,
                    help="rows per chunk of the peers' loops (nnmath: its default)")
    ap.add_argument("--peers", nargs="*", default=PEERS)
    ap.add_argument("--results", type=Path, help="write the Markdown tables here")
    ap.add_argument("--all-metrics", action="store_true",
                    help="also time nnmath's default report (with ROC AUC, PR AUC, ECE and "
                         "the Brier score), which the peers do not compute")
    args = ap.parse_args(argv)

    z_path, y_path = generate(args.data_dir, args.rows, args.classes)
    nnmath_bin = shutil.which("nnmath", path=str(Path(sys.executable).parent)) or "nnmath"
    cands: dict[str, list[str]] = {
        "cat": ["sh", "-c", f"cat '{z_path}' '{y_path}' > /dev/null"],
        "nnmath": [nnmath_bin, "evaluate", "--y-true", str(y_path), "--y-pred", str(z_path),
                   "--from-logits", "--top-k", "5", "--format", "json", "--no-progress",
                   "--auc", "none", "--no-calibration"],
    }
    if args.all_metrics:
        cands["nnmath, all metrics"] = cands["nnmath"][:-3]
    missing = {}
    needs = {"numpy": "numpy", "torchmetrics": "torchmetrics", "sklearn": "sklearn"}
    for peer in args.peers:
        if not have(needs[peer]):
            missing[peer] = f"{needs[peer]} is not installed"
            continue
        cands[peer] = [sys.executable, "-c", CHILDREN[peer], str(z_path), str(y_path),
                       str(args.classes), str(args.chunk_rows)]
    size = z_path.stat().st_size + y_path.stat().st_size
    print(f"{args.rows:,} rows x {args.classes}: {size / 2**30:.2f} GiB; warming the page "
          "cache", flush=True)
    run_child(cands["cat"])
    times: dict[str, list[float]] = {k: [] for k in cands}
    rss: dict[str, list[int]] = {k: [] for k in cands}
    values: dict[str, dict[str, Any]] = {}
    for r in range(args.rounds):
        for name, cmd in cands.items():
            seconds, peak, out = run_child(cmd)
            times[name].append(seconds)
            rss[name].append(peak)
            if name == "nnmath":
                values[name] = nnmath_values(out)
            elif name not in ("cat", "nnmath, all metrics"):
                values[name] = json.loads(out)
            print(f"round {r + 1}: {name:13s} {seconds:8.2f} s  {peak:6d} MiB", flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    problems = [p for p in (agree(k, values[k], values["nnmath"]) for k in values
                            if k != "nnmath") if p]
    lines = [
        "# `nnmath evaluate` against reading the file and the peers",
        "",
        f"Written by `python benchmarks/evaluate_speed.py --rows {args.rows} --rounds "
        f"{args.rounds}{' --all-metrics' if args.all_metrics else ''}"
        f"{' --peers ' + ' '.join(args.peers) if args.peers != PEERS else ''}"
        f"{' --results ' + str(args.results.name) if args.results else ''}` on "
        f"{time.strftime('%Y-%m-%d')} ({platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, NumPy {np.__version__}"
        + "".join(f", {m} {_version(m)}" for m in ("torch", "torchmetrics", "sklearn")
                  if m in cands or (m == "torch" and "torchmetrics" in cands)) + ").",
        "",
        f"Data: {args.rows:,} × {args.classes} float32 logits (`.npy`) and int64 labels "
        f"(`.npy`), {size / 1e9:.2f} GB in all, in the page cache. Each candidate computes "
        "accuracy, top-5 accuracy, cross-entropy from logits, balanced accuracy and the "
        "per-class counts, in a fresh process (start-up included); the peers read chunks "
        f"of {args.chunk_rows:,} rows. Median of {args.rounds} rounds (min–max in "
        "brackets); peak RSS is the largest of the rounds. Load average at the end: "
        f"{', '.join(f'{v:.1f}' for v in os.getloadavg())}.",
        "",
        "| candidate | seconds | M rows/s | × cat | × nnmath | peak RSS (MiB) | same numbers |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name in cands:
        t = times[name]
        same = ("—" if name in ("cat", "nnmath", "nnmath, all metrics") else
                ("no" if any(p.startswith(name + ":") for p in problems) else "yes"))
        lines.append(f"| {name} | {med[name]:.2f} ({min(t):.2f}–{max(t):.2f}) | "
                     f"{args.rows / med[name] / 1e6:.1f} | {med[name] / med['cat']:.1f} | "
                     f"{med[name] / med['nnmath']:.2f} | {max(rss[name])} | {same} |")
    for name, why in missing.items():
        lines.append(f"| {name} | — | — | — | — | — | not run: {why} |")
    lines += ["", "Targets:", ""]
    ok = med["nnmath"] <= 2 * med["cat"]
    lines.append(f"- nnmath within 2× of `cat`: {med['nnmath'] / med['cat']:.1f}× — "
                 f"{'met' if ok else 'missed'}")
    for peer in ("numpy", "torchmetrics", "sklearn"):
        if peer in med:
            x = med[peer] / med["nnmath"]
            lines.append(f"- at least 3× faster than {peer}: {x:.2f}× — "
                         f"{'met' if x >= 3 else 'missed'}")
    if problems:
        lines += ["", "Disagreements: " + "; ".join(problems)]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.results:
        args.results.write_text(text)
    return 1 if problems else 0


def _version(module: str) -> str:
    probe = subprocess.run([sys.executable, "-c", f"import {module}; print({module}.__version__)"],
                           capture_output=True, text=True)
    return probe.stdout.strip() or "?"


if __name__ == "__main__":
    raise SystemExit(main())

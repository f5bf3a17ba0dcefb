"""The exhaustive float32 sweep of ``benchmarks/accuracy.py``: all 2**32 bit patterns.

The patterns are cut into ``BLOCKS`` blocks of 2**24 consecutive patterns; worker
processes (one per core by default, each with one nnmath thread) measure one function of
one library on one block at a time, in pieces of ``PIECE`` patterns that stay in the
CPU's cache (the results within half an ulp are counted by ``sweep_stats.c``, compiled
into the state directory; the others are classified by ``accuracy.py`` as in the
sampled run), and write its statistics to ``<state>/<lib>/<function>/block-NNN.json`` as
soon as it is done. A sweep that is stopped resumes where it was: blocks whose file
exists are not measured again. The statistics of the blocks merge exactly (counts add;
the maximum and its input are the largest over the blocks, the first in pattern order on a
tie), so the result does not depend on how the blocks were shared out.

Each function's directory also holds ``probe.txt``: a SHA-256 of the function's and its
derivative's float32 results on a probe of 2**20 patterns spread over the whole range
(every 4,096th pattern plus 65,536 patterns around 1.0). When the library's results on the
probe change (a new build with another formula), that function's blocks are stale: they
are deleted and measured again, while the blocks of the functions whose results did not
change are kept.

Used by ``accuracy.py --mode exhaustive``; by itself::

    python benchmarks/accuracy_sweep.py --state sweep-f32 [--jobs 2] [--blocks 0-255]
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import accuracy as acc

#: patterns per block (256 blocks)
BLOCK_BITS = 24
BLOCKS = 1 << (32 - BLOCK_BITS)
#: patterns per piece: a piece's float64 temporaries (512 kB each) stay in cache
PIECE = 1 << 16

#: the functions under test, made once per worker process for its labels and libraries
_IMPLS: dict[tuple[tuple[str, ...], tuple[str, ...]], dict[tuple[str, bool, str], Any]] = {}


def _init_worker(state: str | None = None) -> None:
    import nnmath

    if state is not None:  # compiled by sweep() before the workers start
        acc.load_fast_f32(Path(state))

    nnmath.set_num_threads(1)  # one process per core; pieces are below the pool's size
    np.seterr(all="ignore")


def key(label: str, grad: bool, lib: str) -> str:
    return f"{label}{'′' if grad else ''}|{lib}"


def measure_block(block: int, labels: list[str], libs: list[str],
                  piece: int = PIECE, size: int = 1 << BLOCK_BITS) -> dict[str, dict]:
    """The statistics of every (function, derivative, library) on the patterns
    ``[block * size, (block + 1) * size)``, as JSON-able dicts."""
    fns = [acc.FN_BY_LABEL[k] for k in labels]
    impls = _IMPLS.get((tuple(labels), tuple(libs)))
    if impls is None:
        impls = _IMPLS[(tuple(labels), tuple(libs))] = acc.make_impls(
            fns, {lib: acc.LIBS[lib] for lib in libs})
    res: dict = {}
    start = block * size
    for s in range(start, start + size, piece):
        x = np.arange(s, s + piece, dtype=np.uint64).astype(np.uint32).view(np.float32)
        acc.measure(x, fns, impls, libs, res)
    return {key(label, g, lib): asdict(st) for (label, g), row in res.items()
            for lib, st in row.items() if st is not None}


def merge(parts: list[dict[str, dict]]) -> dict[str, acc.Stats]:
    """Exact merge of block statistics, given in pattern order."""
    out: dict[str, acc.Stats] = {}
    for part in parts:
        for k, d in part.items():
            out.setdefault(k, acc.Stats()).merge(acc.Stats(**d))
    return out


def probe_patterns() -> np.ndarray:
    """The probe: every 4,096th float32 pattern and the 65,536 patterns from 1.0 on."""
    spread = np.arange(0, 1 << 32, 1 << 12, dtype=np.uint64).astype(np.uint32)
    one = np.arange(0x3F800000, 0x3F800000 + (1 << 16), dtype=np.uint32)
    return np.concatenate([spread, one]).view(np.float32)


def probe_digest(label: str, lib: str) -> str:
    """SHA-256 of ``lib``'s float32 results for ``label`` and its derivative on the probe
    (the bytes of the result arrays; a function the library lacks digests as such)."""
    import hashlib

    x = probe_patterns()
    impls = acc.make_impls([acc.FN_BY_LABEL[label]], {lib: acc.LIBS[lib]})
    h = hashlib.sha256(f"{label}|{lib}".encode())
    for g in (False, True):
        f = impls[(label, g, lib)]
        y = None if f is None else _call_or_none(f, x)
        h.update(b"none" if y is None else np.ascontiguousarray(y).tobytes())
    return h.hexdigest()


def _call_or_none(f, x):
    try:
        return acc._call(f, x)
    except Exception:  # a peer without this dtype: as in accuracy.measure
        return None


def _job(args: tuple[int, str, str, str]) -> tuple[int, str, float]:
    block, label, lib, state = args
    t0 = time.perf_counter()
    data = measure_block(block, [label], [lib])
    path = Path(state) / lib / label / f"block-{block:03d}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"block": block, "label": label, "lib": lib, "stats": data}))
    os.replace(tmp, path)  # a block file is complete or absent
    return block, label, time.perf_counter() - t0


def _refresh(state: Path, label: str, lib: str, log=print) -> None:
    """Delete the blocks of ``label`` measured on results other than today's probe."""
    d = state / lib / label
    d.mkdir(parents=True, exist_ok=True)
    digest = probe_digest(label, lib)
    probe = d / "probe.txt"
    if probe.exists() and probe.read_text().strip() == digest:
        return
    stale = sorted(d.glob("block-*.json"))
    if stale:
        log(f"  {lib} {label}: results on the probe changed; measuring its "
            f"{len(stale)} blocks again")
    for f in stale:
        f.unlink()
    probe.write_text(digest + "\n")


def sweep(state: str | Path, labels: list[str], libs: list[str], jobs: int | None = None,
          blocks: list[int] | None = None, log=print) -> dict[str, acc.Stats]:
    """Measure the (function, block) pairs that ``state`` lacks, then merge all of them."""
    state = Path(state)
    state.mkdir(parents=True, exist_ok=True)
    blocks = list(range(BLOCKS)) if blocks is None else blocks
    for lib in libs:
        for label in labels:
            _refresh(state, label, lib, log)
    pairs = [(b, label, lib) for lib in libs for label in labels for b in blocks]
    todo = [(b, label, lib) for b, label, lib in pairs
            if not (state / lib / label / f"block-{b:03d}.json").exists()]
    jobs = jobs or os.cpu_count() or 1
    log(f"float32 sweep: {len(pairs) - len(todo)} of {len(pairs)} (function, block) pairs "
        f"done in {state}, {len(todo)} to measure on {jobs} processes")
    t0 = time.perf_counter()
    if todo:
        fast = acc.load_fast_f32(state, log) is not None
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(jobs, initializer=_init_worker,
                      initargs=(str(state) if fast else None,)) as pool:
            done = 0
            for block, label, sec in pool.imap_unordered(
                    _job, [(b, label, lib, str(state)) for b, label, lib in todo]):
                done += 1
                left = (time.perf_counter() - t0) / done * (len(todo) - done)
                if done % 64 == 0 or done == len(todo):
                    log(f"  {label} block {block:3d}: {sec:.1f} s ({done}/{len(todo)}, "
                        f"~{left / 60:.0f} min left)")
    parts = []
    for b in blocks:  # in pattern order, for the merge's tie rule
        part: dict[str, dict] = {}
        for lib in libs:
            for label in labels:
                d = json.loads((state / lib / label / f"block-{b:03d}.json").read_text())
                if d["label"] != label or d["lib"] != lib or d["block"] != b:
                    raise SystemExit(f"{state}/{lib}/{label}/block-{b:03d}.json holds "
                                     "another measurement; use another --state directory")
                part.update(d["stats"])
        parts.append(part)
    return merge(parts)


def results_table(merged: dict[str, acc.Stats], labels: list[str],
                  libs: list[str]) -> dict:
    """``accuracy.run``'s shape: ``res[(label, grad)][lib] = Stats``."""
    res: dict = {}
    for label in labels:
        for g in (False, True):
            row = res.setdefault((label, g), {})
            for lib in libs:
                row[lib] = merged.get(key(label, g, lib))
    return res


def _parse_blocks(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b or a) + 1))
    if not out or min(out) < 0 or max(out) >= BLOCKS:
        raise argparse.ArgumentTypeError(f"blocks must lie in 0-{BLOCKS - 1}, got {text!r}")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--state", required=True, help="directory of the block files")
    p.add_argument("--jobs", type=int, default=None)
    p.add_argument("--blocks", type=_parse_blocks, default=None, help="e.g. 0-15,128")
    p.add_argument("--functions", default=",".join(acc.FN_BY_LABEL))
    p.add_argument("--libs", default="nnmath")
    args = p.parse_args(argv)
    labels = args.functions.split(",")
    libs = args.libs.split(",")
    merged = sweep(args.state, labels, libs, args.jobs, args.blocks)
    res = results_table(merged, labels, libs)
    res["_inputs"] = next(iter(merged.values())).n if merged else 0
    acc.print_tables({"float32": res}, libs)
    worst = max((st.max_err for st in merged.values()), default=math.nan)
    print(f"largest error over the swept blocks: {worst:.3g} ulp")
    return 0


if __name__ == "__main__":
    sys.exit(main())

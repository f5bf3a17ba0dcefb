"""The core's threshold histograms (``_core.threshold_histogram``) against a plain NumPy
reference: every score compared with every threshold, ``(s[:, None] > t).sum(1)``, in the
scores' dtype. One column of scores takes the vectorised loops of the level in use (at most
8 thresholds: comparisons per threshold; evenly spaced thresholds: an arithmetic cell with
the scores near a threshold compared with it); the other input the table and scan. The
cases cover random, tied, at-threshold (and one float either side), subnormal, +-0 and
+-inf scores, odd lengths around the loops' groups and blocks, one and two threads, and
every ISA level this CPU has (each in a fresh interpreter with ``NNMATH_CPU`` set)."""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nnmath import _core as C

# thresholds as Keras's AUC and ...At... metrics make them (evenly spaced; AUC's ends
# 1e-7 outside [0, 1]), a few uneven and repeated lists (the scan), and short lists
EVEN_KINDS = ("auc", "plain")


def even(t: int, kind: str) -> list[float]:
    inner = [(i + 1) / (t - 1) for i in range(t - 2)]
    return [-1e-7, *inner, 1 + 1e-7] if kind == "auc" else [0.0, *inner, 1.0]


def threshold_lists() -> dict[str, list[float]]:
    lists: dict[str, list[float]] = {}
    for t in (1, 2, 3, 5, 8):
        lists[f"few{t}"] = [(i + 1) / (t + 1) for i in range(t)]
    lists["few_ties"] = [0.25, 0.5, 0.5, 0.75]
    lists["few_ends"] = [0.0, 1.0]
    for t in (9, 10, 50, 200, 1001):
        for kind in EVEN_KINDS:
            lists[f"{kind}{t}"] = even(t, kind)
    lists["linspace_0.2_0.7"] = list(np.linspace(0.2, 0.7, 37))
    lists["tiny_span"] = list(np.linspace(0.5, 0.5 + 64 * 2.0**-24, 40))
    lists["uneven"] = sorted({float(x) for x in np.random.default_rng(3).random(30)})
    lists["repeated"] = [0.1] * 3 + list(np.linspace(0.2, 0.9, 12)) + [0.95] * 2
    lists["clustered"] = list(np.geomspace(1e-6, 1.0, 25))
    return lists


def score_sets(t: np.ndarray, dtype: Any, n: int, rng: np.random.Generator) -> dict[str, Any]:
    """Scores in [0, 1] of dtype: random, tied, at and next to the thresholds, and the
    special values (subnormals, +-0, 1)."""
    tt = np.clip(t.astype(dtype), 0, 1)
    at = np.concatenate([tt, np.nextafter(tt, dtype(2)), np.nextafter(tt, dtype(-1))])
    at = at[(at >= 0) & (at <= 1)]
    tiny = np.finfo(dtype).smallest_subnormal
    special = np.array([0.0, -0.0, tiny, 2 * tiny, np.finfo(dtype).tiny, 1.0,
                        np.nextafter(dtype(1), dtype(0))], dtype)
    return {
        "random": rng.random(n).astype(dtype),
        "tied": (rng.integers(0, 9, n) / 8).astype(dtype),
        "at": rng.choice(at, n).astype(dtype),
        "mixed": np.where(rng.random(n) < 0.5, rng.choice(at, n),
                          rng.choice(special, n)).astype(dtype),
        "one_value": np.full(n, tt[len(tt) // 2], dtype),
    }


#: lengths around the loops' groups (64 scores) and blocks (4096), for every list
SHORT = (0, 1, 7, 63, 64, 65, 127, 4095, 4097)
#: lengths split over two threads (65,536 scores and more), for some lists
LONG = (70_001, 140_005)
LONG_LISTS = ("few1", "few5", "plain10", "auc200", "uneven", "repeated")


def reference(s: np.ndarray, y: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Counts [bin, label] with bin = the thresholds strictly below the score."""
    nb = t.size + 1
    out = np.zeros((nb, 2), np.int64)
    for b in range(0, s.size, 20_000):  # bounded memory for (n, T) comparisons
        bins = (s[b:b + 20_000, None] > t[None, :]).sum(axis=1)
        out += np.bincount(bins * 2 + y[b:b + 20_000], minlength=2 * nb).reshape(nb, 2)
    return out


def cases(quick: bool = False) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray, bool]]:
    """(name, scores, labels, thresholds, unit) for every combination, deterministic;
    ``quick``: the short lengths only, and one long one for two lists."""
    rng = np.random.default_rng(2024)
    out = []
    for tname, tl in threshold_lists().items():
        for dtype in (np.float32, np.float64):
            t = np.asarray(tl, np.float64).astype(dtype)
            lengths = SHORT
            if tname in (LONG_LISTS[2:4] if quick else LONG_LISTS):
                lengths += LONG[:1] if quick else LONG
            for n in lengths:
                for sname, s in score_sets(t, dtype, n, rng).items():
                    if n in LONG and sname in ("tied", "one_value"):
                        continue
                    y = rng.integers(0, 2, n).astype(np.uint8)
                    out.append((f"{tname}-{np.dtype(dtype).name}-{n}-{sname}", s, y, t, True))
            # +-inf and values outside [0, 1] without the range check
            n = 70_001 if tname in LONG_LISTS and not quick else 4099
            s = np.concatenate([rng.normal(0.5, 2, n - 4), [-np.inf, np.inf, -0.0, 0.0]])
            s = s.astype(dtype)
            y = rng.integers(0, 2, n).astype(np.uint8)
            out.append((f"{tname}-{np.dtype(dtype).name}-wide", s, y, t, False))
    return out


def run_cases(quick: bool) -> dict[str, np.ndarray]:
    got = {}
    for name, s, y, t, unit in cases(quick):
        counts, status, where = C.threshold_histogram(s, y, t, 1, unit)
        assert (status, where) == (0, 0), (name, status, where)
        got[name] = counts[0]
    return got


@pytest.mark.parametrize("threads", [1, 2])
def test_histograms_equal_the_comparison_with_every_threshold(threads: int) -> None:
    old = C.get_num_threads()
    C.set_num_threads(threads)
    try:
        got = run_cases(quick=False)
    finally:
        C.set_num_threads(old)
    for name, s, y, t, _ in cases(quick=False):
        np.testing.assert_array_equal(got[name], reference(s, y, t), err_msg=name)


LEVEL_SCRIPT = """
import importlib.util, sys
import numpy as np
from nnmath import _core as C
spec = importlib.util.spec_from_file_location("counts_cases", sys.argv[1])
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
np.savez(sys.argv[2], level=C.cpu_level(), **mod.run_cases(quick=True))
"""


@pytest.mark.parametrize("level", C.cpu_levels())
def test_every_level(level: str, tmp_path: Path) -> None:
    env = dict(os.environ, NNMATH_CPU=level)
    path = tmp_path / "counts.npz"
    r = subprocess.run([sys.executable, "-c", LEVEL_SCRIPT, __file__, str(path)], env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    with np.load(path) as f:
        assert str(f["level"]) == level
        for name, s, y, t, _ in cases(quick=True):
            np.testing.assert_array_equal(f[name], reference(s, y, t),
                                          err_msg=f"{level}: {name}")


@pytest.mark.parametrize("tname", ["few1", "few5", "auc200", "plain10", "uneven"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_first_failed_check_is_reported(tname: str, dtype: Any) -> None:
    """A NaN, a score outside [0, 1] or a label other than 0/1 anywhere (inside a group of
    the vectorised loops, in a block's tail, on either thread) is found, with its index."""
    t = np.asarray(threshold_lists()[tname], np.float64).astype(dtype)
    for n in (5, 100, 4099, 300_001):
        for where in sorted({0, n // 3, n - 1, max(0, n - 70)}):
            for value, label, code in ((np.nan, 0, 1), (1.5, 1, 2), (-1e-30, 0, 2),
                                       (np.inf, 0, 2), (0.5, 2, 3), (0.5, 255, 3)):
                s = np.full(n, 0.25, dtype)
                y = np.zeros(n, np.uint8)
                s[where], y[where] = value, label
                _, status, at = C.threshold_histogram(s, y, t)
                assert (status, at) == (code, where), (tname, n, where, value, label)
    # without the range check, only NaN and the labels are refused
    s = np.array([0.5, -3.0, np.inf, np.nan], dtype)
    assert C.threshold_histogram(s, np.zeros(4, np.uint8), t, unit=False)[1:] == (1, 3)


def test_metrics_count_as_the_comparison() -> None:
    """TruePositives / FalsePositives at 3 and at 200 evenly spaced thresholds on float32
    scores at, just above and just below every threshold: the counts of ``y_pred > t``."""
    import nnmath.metrics as M

    rng = np.random.default_rng(5)
    for t in ([0.2, 0.5, 0.8], even(200, "plain")[1:-1]):
        tt = np.asarray(t, np.float64).astype(np.float32)
        pool = np.concatenate([tt, np.nextafter(tt, np.float32(2)),
                               np.nextafter(tt, np.float32(-1)), [0.0, 1.0]])
        p = rng.choice(pool, 100_003).astype(np.float32)
        y = rng.integers(0, 2, p.size).astype(bool)
        above = p[:, None] > tt[None, :]
        tp, fp = M.TruePositives(thresholds=t), M.FalsePositives(thresholds=t)
        tp.update_state(y, p)
        fp.update_state(y, p)
        np.testing.assert_array_equal(tp.result(), (above & y[:, None]).sum(axis=0))
        np.testing.assert_array_equal(fp.result(), (above & ~y[:, None]).sum(axis=0))


SRC = Path(__file__).resolve().parents[1] / "src" / "nnmath" / "_core" / "src"

#: per level: GCC's flags, the packed conversion of the even loop's cell (float32,
#: float64) and the packed comparison of the comparison loop (float32, float64); None
#: where that loop stays scalar (float64 at SSE2)
VECTOR_FORMS = {
    "baseline": ([], r"\bcvttps2dq\s+%xmm", None, r"\bcmplt?e?ps\s+%xmm", None),
    "avx2": (["-march=x86-64-v3"], r"vcvttps2dq\s+%ymm", r"vcvttpd2dqy?\s+%ymm",
             r"vcmpl[te]ps\s+%ymm", r"vcmpl[te]pd\s+%ymm"),
    "avx512": (["-march=x86-64-v4", "-mprefer-vector-width=512"], r"vcvttps2dq\s+%zmm",
               r"vcvttpd2dq\s+%zmm", r"vcmpps\s+\$\w+,\s*%zmm", r"vcmppd\s+\$\w+,\s*%zmm"),
}


@pytest.mark.skipif(shutil.which("gcc") is None or platform.machine() not in ("x86_64",
                                                                            "AMD64"),
                    reason="needs GCC on x86-64")
@pytest.mark.parametrize("level", list(VECTOR_FORMS))
def test_the_loops_vectorise(level: str, tmp_path: Path) -> None:
    """counts_kernels.c with the core's flags at each level: the even loop's group and the
    comparison loop compile to packed instructions of the level's full width."""
    flags, cvt_f, cvt_d, cmp_f, cmp_d = VECTOR_FORMS[level]
    out = tmp_path / "counts_kernels.s"
    subprocess.run(["gcc", "-std=c11", "-O3", "-ffp-contract=off", "-fno-math-errno",
                    "-DNNM_SUFFIX=_t", "-fPIC", *flags, "-S", str(SRC / "counts_kernels.c"),
                    "-o", str(out)], check=True, capture_output=True, timeout=300)
    functions: dict[str, str] = {}
    name = ""
    for line in out.read_text().splitlines():
        if m := re.match(r"^(\w+):$", line):
            name = m.group(1)
        functions[name] = functions.get(name, "") + line + "\n"
    for fn, form in (("even_f", cvt_f), ("even_d", cvt_d), ("few_f", cmp_f),
                     ("few_d", cmp_d)):
        if form is not None:
            assert re.search(form, functions[fn]), (level, fn, form)

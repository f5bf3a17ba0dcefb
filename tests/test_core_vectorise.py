"""The loops of the compiled core vectorise at every x86-64 level, the SSE2 baseline
included: GCC's own report (-fopt-info-vec) on src/nnmath/_core/src/kernels.c, rows.c and
losses.c.

Compiling kernels.c takes about a minute per level, so this runs under `-m slow`.
"""

from __future__ import annotations

import collections
import platform
import re
import shutil
import subprocess
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "nnmath" / "_core" / "src"


#: the x86-64 levels the tests compile for, and the condition they need
needs_gcc_x86 = pytest.mark.skipif(
    shutil.which("gcc") is None or platform.machine() not in ("x86_64", "AMD64"),
    reason="needs GCC on x86-64",
)


def require_slow(request, what: str) -> None:
    """Skip unless the run selected the slow tests (``-m slow``)."""
    markexpr = request.config.option.markexpr or ""
    if "slow" not in markexpr or "not slow" in markexpr:
        pytest.skip(f"compiles {what}: run with -m slow")


def vector_report(source: str, march: str, tmp_path: Path, *extra: str) -> str:
    """GCC's report of the loops it vectorised in ``source`` at ``-march``, compiled with the
    core's flags."""
    cmd = [
        "gcc", "-std=c11", "-O3", "-ffp-contract=off", "-fno-math-errno", f"-march={march}",
        "-DNNM_SUFFIX=_t", "-fPIC", *extra, "-fopt-info-vec-optimized", "-c",
        str(SRC / source), "-o", str(tmp_path / f"{source}_{march}.o"),
    ]
    return subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=600).stderr


def vectorised_loops(march: str, tmp_path: Path) -> collections.Counter:
    """Vectorised loops per line of nnm_ufuncs.def (each line expands to a ufunc's loops)."""
    # -fno-ipa-icf: a ufunc whose loop is identical to another's (soft_shrink_grad and
    # hard_shrink_grad) would otherwise be folded into a call of that one, and its own
    # line would report no loop at all
    report = vector_report("kernels.c", march, tmp_path, "-fno-ipa-icf")
    hits = re.findall(r"(nnm_ufuncs(?:_f32n?)?)\.def:(\d+):\d+: optimized: loop vectorized",
                      report)
    return collections.Counter((f, int(line)) for f, line in hits)


def elementwise_lines(table: str = "nnm_ufuncs", macro: str = "NNM_EW") -> dict[int, str]:
    text = (SRC / f"{table}.def").read_text().splitlines()
    return {
        i: m.group(1)
        for i, line in enumerate(text, start=1)
        if (m := re.match(macro + r"\((\w+),", line))
    }


@pytest.mark.slow
@needs_gcc_x86
@pytest.mark.parametrize("march", ["x86-64", "x86-64-v3"])
def test_every_elementwise_ufunc_vectorises(request, tmp_path, march):
    require_slow(request, "kernels.c (about a minute)")
    counts = vectorised_loops(march, tmp_path)
    lines = elementwise_lines()
    own32 = elementwise_lines("nnm_ufuncs_f32", "NNM_EW32")
    native = elementwise_lines("nnm_ufuncs_f32n", "NNM_EW32N")
    assert len(lines) >= 60 and len(own32) >= 30 and len(native) >= 6  # the tables were read
    # the float32 and float64 contiguous loops of every ufunc; where nnm_ufuncs_f32.def
    # gives the float32 loop its own formula, that loop is counted on its line there, and
    # where nnm_ufuncs_f32n.def gives it a native one, there (the float32 loop of
    # nnm_ufuncs_f32.def is then unused and not compiled; its float16 loop is scalar)
    names32 = set(own32.values())
    names32n = set(native.values())
    scalar = {name: counts["nnm_ufuncs", i] for i, name in lines.items()
              if counts["nnm_ufuncs", i] < (1 if name in names32 else 2)}
    scalar.update({name + " (float32)": 0 for i, name in own32.items()
                   if name not in names32n and counts["nnm_ufuncs_f32", i] < 1})
    scalar.update({name + " (native float32)": 0 for i, name in native.items()
                   if counts["nnm_ufuncs_f32n", i] < 1})
    assert not scalar, f"-march={march}: loops left scalar (vectorised count): {scalar}"


ROW_PASSES = ("nnm_rmax", "nnm_rexp", "nnm_rsum", "nnm_rdot", "nnm_rout", "nnm_sce_out",
              "nnm_bce_terms", "nnm_bce_grad", "nnm_count_above", "nnm_cce_terms",
              "nnm_cce_out", "nnm_psum", "nnm_cce_p_terms", "nnm_cce_p_out", "nnm_sce_p_out",
              "nnm_bce_each",
              # losses.c
              "nnm_kl_terms", "nnm_kl_grads", "nnm_poisson_terms", "nnm_poisson_grads",
              "nnm_hinge_terms", "nnm_sqhinge_terms", "nnm_hinge_grads",
              # the focal passes: their loops (the _k forms, compiled for gamma = 2 and any
              # gamma, hard and soft targets) and the block's test for soft targets
              "nnm_bfocal_terms_k", "nnm_bfocal_grads_k", "nnm_bfocal_soft",
              "nnm_bfocal_logit_terms_k", "nnm_bfocal_logit_grads_k",
              "nnm_chinge_pass",
              "nnm_chinge_out", "nnm_cfocal_sum", "nnm_cfocal_terms_k", "nnm_cfocal_dot_k",
              "nnm_cfocal_out", "nnm_cfocal_max", "nnm_cfocal_exp", "nnm_cfocal_logit_terms_k",
              "nnm_cfocal_logit_dot_k", "nnm_cfocal_logit_out")

#: the files that hold the row passes
ROW_FILES = ("rows.c", "losses.c")


def row_pass_loops() -> dict[str, tuple[str, list[int]]]:
    """The file and the lines of the `for (intptr_t i ...)` loops of each pass function of
    rows.c and losses.c."""
    texts = {f: (SRC / f).read_text().splitlines() for f in ROW_FILES}
    loops: dict[str, tuple[str, list[int]]] = {}
    for name in ROW_PASSES:
        pattern = rf"(?:static inline|NNM_INLINE) \w+ {name}\("
        source = next(f for f, text in texts.items()
                      if any(re.match(pattern, line) for line in text))
        text = texts[source]
        start = next(i for i, line in enumerate(text) if re.match(pattern, line))
        end = next(i for i in range(start, len(text)) if text[i] == "}")
        loops[name] = (source, [i + 1 for i in range(start, end)
                                if re.match(r"\s*for \(intptr_t i = 0;", text[i])])
    return loops


@pytest.mark.slow
@needs_gcc_x86
@pytest.mark.parametrize("march", ["x86-64", "x86-64-v3", "x86-64-v4"])
def test_every_row_pass_vectorises(request, tmp_path, march):
    """The passes of softmax, log_softmax, softmin and their VJPs over a row (maximum,
    exponentials, the sums into fixed accumulators, the outputs), and those of the losses
    along a row (rows.c, losses.c), vectorise at each level."""
    require_slow(request, "rows.c and losses.c")
    reports = {f: vector_report(f, march, tmp_path, "-fopt-info-vec-missed") for f in ROW_FILES}
    done = {(f, int(n)) for f, rep in reports.items()
            for n in re.findall(rf"{re.escape(f)}:(\d+):\d+: optimized: loop vectorized", rep)}
    # a pass is inlined into several callers: a branch left in one of them (a mode that is
    # not a constant there) leaves that copy scalar while the others vectorise
    branchy = {(f, int(n)) for f, rep in reports.items() for n in re.findall(
        rf"{re.escape(f)}:(\d+):\d+: missed: not vectorized: control flow in loop", rep)}
    loops = row_pass_loops()
    assert sum(len(lines) for _, lines in loops.values()) >= 30  # the files were read
    # a pass's loop over the block, or its inner loop over the accumulators (the next line)
    scalar = {name: [n for n in lines if (f, n) not in done and (f, n + 1) not in done]
              for name, (f, lines) in loops.items()}
    scalar = {name: lines for name, lines in scalar.items() if lines}
    assert not scalar, f"-march={march}: row passes left scalar (lines): {scalar}"
    copies = {name: [n for n in lines if (f, n) in branchy or (f, n + 1) in branchy]
              for name, (f, lines) in loops.items()}
    copies = {name: lines for name, lines in copies.items() if lines}
    assert not copies, f"-march={march}: copies of row passes left scalar by a branch: {copies}"

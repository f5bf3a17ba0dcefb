"""The core's exact GELU (gelu, gelu_grad, gelu_backward) against mpmath.

float64: within DESIGN.md's 2 ulps on 10^5 points, with the hard regions sampled densely:
the subnormal results of x < -37.5, the zero of gelu' at x = -0.7518 (its terms cancel),
the large negative tail of gelu', |x| tiny. float32: within 1 ulp on a sample here, and
on every float32 input with ``tools/check_gelu32.c`` (the slow test below runs it; a
fast test runs it on the binades of the hard regions).
"""

from __future__ import annotations

import functools
import platform
import shutil
import subprocess
from pathlib import Path

import mpmath
import numpy as np
import pytest

from nnmath import _core as C

try:  # pytest's rootdir-relative import, or the tests package
    from test_core import BASELINE_F64_ULPS, ulps
except ImportError:  # pragma: no cover
    from tests.test_core import BASELINE_F64_ULPS, ulps

ROOT = -0.7517915246935645  # the zero of gelu'
REPO = Path(__file__).resolve().parent.parent


def mp_gelu_pair(v: float) -> tuple[float, float, mpmath.mpf]:
    """gelu(v) and gelu'(v) rounded to float64, and gelu'(v) as an mpf (for g gelu'(v): the
    rounded gelu' has lost all but a few bits where it is subnormal), from mpmath at 50+
    digits (more for tiny v, whose x Phi(x) - x/2 is far below x)."""
    dps = 50 if v == 0 or abs(v) >= 1e-5 else 50 + 2 * int(-np.log10(abs(v)))
    with mpmath.workdps(dps):
        x = mpmath.mpf(float(v))
        cdf = mpmath.erfc(-x / mpmath.sqrt(2)) / 2
        pdf = mpmath.exp(-x * x / 2) / mpmath.sqrt(2 * mpmath.pi)
        d = cdf + x * pdf
        return float(x * cdf), float(d), d


def f64_sample(n: int = 100_000, seed: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    k = n // 10
    parts = [
        rng.uniform(-10, 10, k),
        rng.uniform(-45, 45, k),
        rng.uniform(-40, -37, k),  # subnormal results (gelu below -37.5)
        rng.uniform(-0.76, -0.74, k),  # the zero of gelu'
        ROOT + rng.uniform(-1e-6, 1e-6, k // 2),
        ROOT + rng.uniform(-1e-12, 1e-12, k // 2),
        ROOT + rng.uniform(-0.3, 0.3, k),  # the Taylor range about it and past its ends
        np.sign(rng.standard_normal(k)) * np.exp(rng.uniform(np.log(1e-300), np.log(45), k)),
        np.sign(rng.standard_normal(k)) * rng.integers(1, 2**52, k) * 5e-324,  # subnormal x
        rng.uniform(-1.2, 1.2, n - 8 * k),  # both sides of erfc's series range (x = 1.06)
    ]
    edges = [ROOT, np.nextafter(ROOT, 0), np.nextafter(ROOT, -1), ROOT - 0.25, ROOT + 0.25,
             0.75 * 2**0.5, -(0.75 * 2**0.5), 39.0, -39.0, -38.5, -37.5, 0.0, -0.0, 5e-324,
             -5e-324, 1e4, -1e4]
    return np.concatenate([*parts, edges])


@functools.cache
def f64_reference() -> tuple[np.ndarray, ...]:
    x = f64_sample()
    f, d, exact = zip(*(mp_gelu_pair(v) for v in x), strict=True)
    return x, np.array(f), np.array(d), exact


def level_slack() -> int:
    return BASELINE_F64_ULPS if C.cpu_level() == "baseline" else 0


@pytest.mark.parametrize("fn", ["gelu", "gelu_grad", "gelu_backward"])
def test_float64_within_2_ulps_of_mpmath(fn):
    x, f, d, exact = f64_reference()
    g = np.random.default_rng(2).normal(0, 3, x.shape)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        got = C.gelu_backward(x, g) if fn == "gelu_backward" else getattr(C, fn)(x)
    if fn == "gelu_backward":
        with mpmath.workdps(40):  # g times gelu', rounded once
            want = np.array([float(mpmath.mpf(a) * b) for a, b in zip(g, exact, strict=True)])
    else:
        want = f if fn == "gelu" else d
    u = ulps(got, want)
    bad = u > 2 + level_slack()
    assert not bad.any(), (fn, x[bad][:5], got[bad][:5], want[bad][:5], u.max())


def test_float64_hard_cases_by_hand():
    # x = -38: gelu(x) = x Phi(x) ~ -phi(38) (1 - 1/38^2 + ...) is subnormal; the previous
    # code was 28 ulps of the subnormal spacing off there. Next to the zero of gelu' the
    # value is ~0.4315 (x - r).
    x = np.array([-38.0, -37.9, np.nextafter(ROOT, 0), np.nextafter(ROOT, -1), ROOT])
    want_f, want_d = np.array([mp_gelu_pair(v)[:2] for v in x]).T
    assert 0 < -want_f[0] < 2.2250738585072014e-308  # subnormal
    assert np.all(ulps(C.gelu(x), want_f) <= 1 + level_slack())
    assert np.all(ulps(C.gelu_grad(x), want_d) <= 1 + level_slack())
    assert np.all(np.abs(want_d[2:]) < 1e-16)  # the cancellation is complete there


def ulp_error32(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """|got - want| in float32 ulps at want (want in float64; 2^-149 in the subnormals)."""
    _, e = np.frexp(np.abs(want))  # |want| in [2^(e-1), 2^e)
    spacing = np.where(np.abs(want) < 2.0**-126, 2.0**-149, np.ldexp(1.0, e - 24))
    return np.abs(got.astype(np.float64) - want) / spacing


def f32_sample(seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    r32 = np.float32(ROOT)
    around = (r32.view(np.int32) + np.arange(-3000, 3000, dtype=np.int32)).view(np.float32)
    parts = [
        rng.normal(0, 3, 6000), rng.uniform(-15, -12, 3000), rng.uniform(4, 8, 2000),
        rng.uniform(-20, -14, 2000),  # g gelu'(x) is a float32 for large g down to -19.5
        rng.uniform(-0.8, -0.7, 3000),
        np.sign(rng.standard_normal(2000)) * np.exp(rng.uniform(-100, 3, 2000)),
    ]
    edges = np.array([0.0, -0.0, 14.6, -14.6, -14.3, -14.5, -19.5, -20.0], np.float32)
    return np.concatenate([np.concatenate(parts).astype(np.float32), around, edges])


@functools.cache
def f32_reference() -> tuple[np.ndarray, ...]:
    x = f32_sample()
    f, d = np.array([mp_gelu_pair(float(v))[:2] for v in x]).T
    return x, f, d


@pytest.mark.parametrize("fn", ["gelu", "gelu_grad", "gelu_backward"])
def test_float32_within_1_ulp_of_mpmath(fn):
    x, f, d = f32_reference()
    if fn == "gelu_backward":
        g = np.random.default_rng(4).normal(0, 3, x.shape).astype(np.float32)
        g[x < -14] = np.float32(1e30)  # a large cotangent where gelu' is tiny
        got = C.gelu_backward(x, g)
        want = g.astype(np.float64) * d  # within 2^-52 of g gelu'(x)
    else:
        got = getattr(C, fn)(x)
        want = f if fn == "gelu" else d
    assert got.dtype == np.float32
    err = ulp_error32(got, want)
    assert err.max() <= 1.0, (fn, x[err > 1][:5], err.max())


def _checker(tmp_path: Path) -> Path:
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        pytest.skip("no C compiler")
    exe = tmp_path / "check_gelu32"
    march = ["-march=x86-64-v3"] if C.cpu_level() in ("avx2", "avx512") else []
    if platform.machine() not in ("x86_64", "AMD64"):
        march = []
    subprocess.run([cc, "-O2", "-std=c11", "-ffp-contract=off", "-fno-math-errno", *march,
                    f"-I{REPO / 'src/nnmath/_core/src'}", str(REPO / "tools/check_gelu32.c"),
                    "-o", str(exe), "-lm"], check=True)
    return exe


def _run_checker(exe: Path, first: int, last: int) -> dict[str, float]:
    out = subprocess.run([str(exe), hex(first), hex(last)], check=True, capture_output=True,
                         text=True).stdout
    res = {}
    for line in out.splitlines():
        words = line.split()
        if words[0] in ("gelu", "gelu_grad"):
            res[words[0]] = float(words[2])
            res[words[0] + " over"] = int(words[6])
        elif words[0] == "flags":
            res["flags"] = sum(int(w) for w in words[2::2])
    return res


# the float32 binades with the hard cases: x in -[0.5, 1) (the zero of gelu'), -[8, 16)
# (subnormal results, the end of the range), [4, 8) (gelu -> x, gelu' -> 1)
HARD_BINADES = [(0xBF000000, 0xBF7FFFFF), (0xC1000000, 0xC17FFFFF), (0x40800000, 0x40FFFFFF)]


@pytest.mark.parametrize(("first", "last"), HARD_BINADES, ids=["root", "tail", "positive"])
def test_float32_every_input_of_the_hard_binades(tmp_path, first, last):
    res = _run_checker(_checker(tmp_path), first, last)
    assert res["gelu"] <= 1.0 and res["gelu_grad"] <= 1.0, res
    assert res["flags"] == 0, res


@pytest.mark.slow
def test_float32_every_input(request, tmp_path):
    """All 2^32 inputs (minutes of CPU): only under `-m slow`."""
    if "slow" not in (request.config.option.markexpr or ""):
        pytest.skip("2^32 inputs: run with -m slow")
    exe = _checker(tmp_path)
    for first, last in ((0, 0x7FFFFFFF), (0x80000000, 0xFFFFFFFF)):
        res = _run_checker(exe, first, last)
        assert res["gelu"] <= 1.0 and res["gelu_grad"] <= 1.0, res
        assert res["flags"] == 0, res

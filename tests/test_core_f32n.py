"""The core's native float32 loops (``nnm_ufuncs_f32n.def``, ``nnm_formulas_f32n.h``:
float32 arithmetic): within 1 ulp of the float64 formulas (which tests/test_core.py checks
against mpmath) on a dense sample and the extremes, the same bits at every ISA level, NaN
routed and quieted, no floating-point flag, the same results for contiguous, strided and
array-parameter operands.

All 2**32 inputs are compared by ``tools/check_core_f32n.c``, run here under ``-m slow``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nnmath import _core as C

ROOT = Path(__file__).resolve().parent.parent
DEF = ROOT / "src/nnmath/_core/src/nnm_ufuncs_f32n.def"


def native_names() -> dict[str, tuple[int, int]]:
    """name -> (nin, nparam) of the NNM_EW32N lines"""
    pat = re.compile(r"^NNM_EW32N\((\w+), (\d), (\d), \w+\)", re.M)
    return {m[1]: (int(m[2]), int(m[3])) for m in pat.finditer(DEF.read_text())}


NATIVE = native_names()
# a parameter value per family (those with one)
PARAMS = {"elu": [1.0, 0.7, 2.5]}


def family(name: str) -> str:
    return re.sub(r"_(grad|backward)$", "", name)


def cases():
    out = []
    for name, (_nin, nparam) in NATIVE.items():
        for p in PARAMS.get(family(name), [None]) if nparam else [None]:
            out.append((name, p))
    return out


CASES = cases()
IDS = [f"{n}-{p}" if p is not None else n for n, p in CASES]


def sample(n=200_000, seed=0):
    """float32: normal bulk, the exp ranges, log-uniform magnitudes over the whole range
    (subnormals included), random bit patterns, a dense grid where results turn subnormal,
    and the special values (NaN excluded)."""
    rng = np.random.default_rng(seed)
    fi = np.finfo(np.float32)
    bits = rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32).view(np.float32)
    x = np.concatenate([
        rng.normal(0, 1, n), rng.normal(0, 8, n), rng.uniform(-120, 120, n),
        rng.uniform(-210, 210, n // 4),
        rng.choice([-1, 1], n) * np.exp2(rng.uniform(-149, 128, n)),
        bits[np.isfinite(bits)].astype(np.float64),
        np.linspace(-104.5, -86.5, 20_001), np.linspace(86.5, 104.5, 20_001),
        np.linspace(-55.5, -43.5, 10_001), np.linspace(43.5, 55.5, 10_001),
        np.linspace(-2**-11, 2**-11, 10_001), np.linspace(-9.5, 9.5, 10_001),
        [0.0, -0.0, float(fi.tiny), -float(fi.tiny), float(fi.smallest_subnormal),
         -float(fi.smallest_subnormal), float(fi.max), -float(fi.max), np.inf, -np.inf,
         2.0**-12, -2.0**-12, 9.25, -9.25, 55.0, -55.0, 88.72283, -87.33655, -103.97208,
         -103.27893, 110.0, -110.0, 193.0, -193.0, 200.0, -200.0, 1e4, -1e4],
    ])
    with np.errstate(over="ignore"):
        return x.astype(np.float32)


def f32_ulps(got, ref):
    """|got - ref| in float32 ulps of the float64 ref (of 2**-149 below 2**-126); where ref
    rounds to +-inf in float32, 0 if got is that inf, else inf."""
    got = np.asarray(got, np.float64)
    ref = np.asarray(ref, np.float64)
    with np.errstate(over="ignore"):
        rf = ref.astype(np.float32).astype(np.float64)
    inf = np.isinf(rf) | np.isinf(got)
    _, e = np.frexp(np.where(inf, 1.0, ref))
    ulp = np.where(np.abs(ref) >= 2.0**-126, np.ldexp(1.0, e - 24), 2.0**-149)
    with np.errstate(invalid="ignore"):
        err = np.abs(np.where(inf, 0.0, got - ref)) / ulp
    return np.where(inf, np.where(got == rf, 0.0, np.inf), err)


def args_for(name, x, p, g):
    nin, nparam = NATIVE[name]
    args = [x]
    if nin - nparam == 2:
        args.append(g)
    if nparam:
        args.append(p)
    return args


def g_sample(shape, seed=5):
    rng = np.random.default_rng(seed)
    g = rng.normal(0, 2, shape) * np.exp2(rng.integers(-120, 120, shape))
    g[::7] = rng.normal(0, 2, g[::7].shape)
    g[1::97] = np.float32(np.finfo(np.float32).max)
    return g.astype(np.float32)


def test_the_native_names_have_float32_formulas():
    """Each native loop replaces a float32 formula: its results are within 1 ulp, as the
    tests of the float32 formulas (tests/test_core.py, test_core_f32.py) expect."""
    assert NATIVE and set(NATIVE) <= set(C._umath._float32_formulas)
    for name in NATIVE:
        assert isinstance(getattr(C, name), np.ufunc)


@pytest.mark.parametrize(("name", "p"), CASES, ids=IDS)
def test_within_1_ulp_of_the_float64_formula(name, p):
    x = sample()
    g = g_sample(x.shape)
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        got = getattr(C, name)(*args_for(name, x, p, g))
    assert got.dtype == np.float32
    want = getattr(C, name)(*args_for(name, x.astype(np.float64), p, g.astype(np.float64)))
    err = f32_ulps(got, want)
    worst = int(np.argmax(err))
    assert err.max() <= 1.0, (x[worst], got[worst], want[worst], err.max())


@pytest.mark.parametrize(("name", "p"), CASES, ids=IDS)
def test_nan_routed_and_quieted(name, p):
    """NaN in x gives that NaN, quieted (payload and sign kept), whatever g is; the other
    lanes are not disturbed and no flag is raised."""
    nans = np.array([0x7FC00000, 0xFFC00000, 0x7F800001, 0xFF812345, 0x7FBFFFFF, 0x7FC0BEEF],
                    np.uint32)
    x = np.concatenate([nans.view(np.float32), np.float32([1.5, -2.0, 0.0, np.inf])])
    g = np.full(x.shape, 3.0, np.float32)
    with np.errstate(all="raise"):
        got = getattr(C, name)(*args_for(name, x, p, g))
    bits = got.view(np.uint32)
    np.testing.assert_array_equal(bits[:6], nans | 0x00400000)
    assert not np.isnan(got[6:]).any()


@pytest.mark.parametrize(("name", "p"), CASES, ids=IDS)
def test_strided_and_array_operands_agree(name, p):
    """The contiguous loop (scalar parameter), the one with array operands and the strided
    one give the same bits."""
    x = sample(4000, seed=9)
    g = g_sample(x.shape, seed=10)
    _nin, nparam = NATIVE[name]
    f = getattr(C, name)
    want = f(*args_for(name, x, p, g))
    xs = np.repeat(x, 2)[::2]
    gs = np.repeat(g, 3)[::3]
    assert not xs.flags.c_contiguous
    got = f(*args_for(name, xs, p, gs))
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))
    if nparam:
        pa = np.full(x.shape, p)
        got = f(*args_for(name, x, pa, g))
        np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))


LEVEL_SCRIPT = r"""
import sys
import numpy as np
from nnmath import _core as C
x = np.load(sys.argv[1])
g = np.load(sys.argv[2])
out = {"level": C.cpu_level()}
for name in sys.argv[4].split(","):
    nin, nparam = map(int, name.split(":")[1:])
    name = name.split(":")[0]
    args = [x] + ([g] if nin - nparam == 2 else []) + ([0.7] if nparam else [])
    out[name] = getattr(C, name)(*args).view(np.uint32)
np.savez(sys.argv[3], **out)
"""


def test_every_level_gives_identical_bits(tmp_path):
    """float32 results bit for bit equal at every level the CPU has, the baseline (no FMA:
    Dekker's products instead of fmaf) included; NaN lanes included."""
    levels = C.cpu_levels()
    rng = np.random.default_rng(17)
    bits = rng.integers(0, 2**32, 1 << 20, dtype=np.uint64).astype(np.uint32)
    x = np.concatenate([sample(100_000, seed=11), bits.view(np.float32)])
    g = g_sample(x.shape, seed=12)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "g.npy", g)
    names = ",".join(f"{n}:{a}:{b}" for n, (a, b) in NATIVE.items())
    results = {}
    for lv in levels:
        env = dict(os.environ, NNMATH_CPU=lv)
        out = tmp_path / f"{lv}.npz"
        r = subprocess.run([sys.executable, "-c", LEVEL_SCRIPT, str(tmp_path / "x.npy"),
                            str(tmp_path / "g.npy"), str(out), names],
                           env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        with np.load(out) as f:
            results[lv] = {k: f[k] for k in f.files}
        assert str(results[lv].pop("level")) == lv
    assert "baseline" in results
    best = results[levels[0]]
    for lv in levels[1:]:
        for name, want in best.items():
            np.testing.assert_array_equal(results[lv][name], want, err_msg=f"{lv} {name}")


@pytest.mark.slow
def test_every_float32_within_1_ulp(tmp_path, request):
    """All 2**32 inputs of every native formula and parameter case (19 of them, one to a few
    minutes each: most of an hour per level) with tools/check_core_f32n.c, at x86-64-v3 and
    at the baseline (x86-64, no FMA): no error above 1 ulp, and the same results (hash) at
    both."""
    if "slow" not in (request.config.option.markexpr or ""):
        pytest.skip("all 2**32 float32 inputs (minutes): run with -m slow")
    cc = os.environ.get("CC", "cc")
    if shutil.which(cc) is None:
        pytest.skip(f"no C compiler ({cc})")
    hashes = {}
    for march in ("x86-64-v3", "x86-64"):
        exe = tmp_path / f"check_{march}"
        subprocess.run([cc, "-O3", "-std=c11", "-ffp-contract=off", "-fno-math-errno",
                        f"-march={march}", f"-I{ROOT / 'src/nnmath/_core/src'}",
                        str(ROOT / "tools/check_core_f32n.c"), "-o", str(exe), "-lm"],
                       check=True)
        r = subprocess.run([str(exe), "all"], capture_output=True, text=True, timeout=7200)
        assert r.returncode == 0, r.stdout + r.stderr
        lines = r.stdout.splitlines()
        assert lines and all("0 above 1 ulp" in ln for ln in lines)
        hashes[march] = [ln.split()[0] + ln.split()[-1] for ln in lines]
    assert hashes["x86-64-v3"] == hashes["x86-64"]

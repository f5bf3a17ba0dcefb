"""The core's float32 formulas (``nnm_ufuncs_f32.def``, ``nnm_formulas_f32.h``): float32
results within 1 ulp (by design 0.5 ulp plus 2**-16) of float64 references that do not
come from the core (SciPy, NumPy, long double, a Taylor series), on a large random sample,
every float32 bit pattern class and the extremes; no flag; float16 from the same formulas.

The exhaustive check over all 2**32 inputs is ``tools/check_core_f32.c`` (a C driver
against the core's float64 formulas), run here under ``-m slow``. silu', mish and
gelu_tanh (written about the zeros of their derivatives) are checked here against mpmath
on dense samples next to those zeros and in the tails, and for every float16 input; their
runs over all 2**32 float32 inputs are the C tool's (``check_core_f32 silu_grad``,
``mish``, ``mish_grad``, ``gelu_tanh``, ``gelu_tanh_grad``, ``NAME_backward_big``, ...).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from scipy import special

from nnmath import _core as C

try:  # pytest's rootdir-relative import, or the tests package
    from reference import mp_activations as mpa
    from test_core_f32n import NATIVE, f32_ulps
    from test_core_more import mp_values
except ImportError:  # pragma: no cover
    from tests.reference import mp_activations as mpa
    from tests.test_core_f32n import NATIVE, f32_ulps
    from tests.test_core_more import mp_values

ROOT = Path(__file__).resolve().parent.parent

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _tanh_shrink(x):
    """x - tanh x: its series below 2**-8 (the next term is 2**-50 of the sum), else in
    long double (the cancellation costs at most 18 of its 64 bits)."""
    ax = np.abs(x)
    x2 = x * x
    series = x * x2 * (1 / 3 - x2 * (2 / 15 - x2 * (17 / 315)))
    xl = np.asarray(x, np.longdouble)
    with np.errstate(invalid="ignore"):
        big = np.asarray(xl - np.tanh(xl), np.float64)
    return np.where(ax < 2.0**-8, series, big)


def _sech2(x):
    with np.errstate(over="ignore"):
        return 1.0 / np.cosh(x) ** 2


def _exp(x):
    with np.errstate(over="ignore"):
        return np.exp(x)


# name -> (parameter, value reference, derivative reference), references in float64
REFS = {
    "sigmoid": (None, special.expit, lambda x: special.expit(x) * special.expit(-x)),
    "log_sigmoid": (None, special.log_expit, lambda x: special.expit(-x)),
    "softplus": (1.0, lambda x, b: np.logaddexp(0.0, b * x) / b,
                 lambda x, b: special.expit(b * x)),
    "elu": (1.0, lambda x, a: np.where(x > 0, x, a * np.expm1(np.minimum(x, 0))),
            lambda x, a: np.where(x > 0, 1.0, a * np.exp(np.minimum(x, 0)))),
    "tanh": (None, np.tanh, _sech2),
    "selu": (None,
             lambda x: np.where(x > 0, SELU_SCALE * x,
                                SELU_SCALE * SELU_ALPHA * np.expm1(np.minimum(x, 0))),
             lambda x: np.where(x > 0, SELU_SCALE,
                                SELU_SCALE * SELU_ALPHA * np.exp(np.minimum(x, 0)))),
    "celu": (1.0, lambda x, a: np.where(x > 0, x, a * np.expm1(np.minimum(x, 0) / a)),
             lambda x, a: np.where(x > 0, 1.0, np.exp(np.minimum(x, 0) / a))),
    "exponential": (None, _exp, _exp),
    "tanh_shrink": (None, _tanh_shrink, lambda x: np.tanh(x) ** 2),
}
# further parameter values
PARAMS = [("softplus", 3.0), ("softplus", 0.25), ("elu", 0.7), ("celu", 0.4), ("celu", 2.5)]
CASES = [(n, r[0]) for n, r in REFS.items()] + PARAMS


def sample(n=100_000, seed=0):
    """float32 inputs: normal bulk, the exp ranges, log-uniform magnitudes over the whole
    float32 range (subnormals included), random bit patterns, and the special values."""
    rng = np.random.default_rng(seed)
    fi = np.finfo(np.float32)
    bits = rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32).view(np.float32)
    x = np.concatenate([
        rng.normal(0, 1, n), rng.normal(0, 8, n), rng.uniform(-110, 110, n),
        rng.choice([-1, 1], n) * np.exp2(rng.uniform(-149, 128, n)),
        bits[np.isfinite(bits)].astype(np.float64),
        [0.0, -0.0, float(fi.tiny), -float(fi.tiny), float(fi.smallest_subnormal),
         -float(fi.smallest_subnormal), float(fi.max), -float(fi.max), np.inf, -np.inf,
         0.125, -0.125, 10.0, -10.0, 20.0, 88.72283, 88.72284, -87.33655, -103.97208,
         -103.27893, -1.2785, 700.0, -700.0, 1e4, -1e4],
    ])
    with np.errstate(over="ignore"):
        return x.astype(np.float32)


def call(name, x, p, g=None):
    args = (x,) if g is None else (x, g)
    args += () if p is None else (p,)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        return getattr(C, name)(*args)


def ref(fn, x, p):
    x = np.asarray(x, np.float64)
    return fn(x) if p is None else fn(x, p)


def test_the_float32_formulas_are_the_listed_ones():
    listed = set(C._umath._float32_formulas)
    want = {f"{n}{s}" for n in [*REFS, *ROOTS] for s in ("", "_grad", "_backward")}
    # the exact GELU's float32 formulas are checked in test_core_gelu.py
    want |= {"gelu", "gelu_grad", "gelu_backward"}
    assert listed == want
    for name in listed:
        assert isinstance(getattr(C, name), np.ufunc)


@pytest.mark.parametrize(("name", "p"), CASES, ids=[f"{n}-{p}" for n, p in CASES])
def test_within_1_ulp_of_float64_reference(name, p):
    x = sample()
    _, fv, fd = REFS[name]
    g = np.random.default_rng(5).normal(0, 2, x.shape).astype(np.float32)
    for what, got, want in (
        ("value", call(name, x, p), ref(fv, x, p)),
        ("grad", call(name + "_grad", x, p), ref(fd, x, p)),
        ("backward", call(name + "_backward", x, p, g), g.astype(np.float64) * ref(fd, x, p)),
    ):
        assert got.dtype == np.float32
        err = f32_ulps(got, want)
        worst = int(np.argmax(err))
        # the design bound is 0.5 + 2**-16 ulp; the target 1 ulp, which is the bound of the
        # native float32 loops (nnm_ufuncs_f32n.def, tests/test_core_f32n.py)
        fn = name + {"value": "", "grad": "_grad", "backward": "_backward"}[what]
        bound = 1.0 if fn in NATIVE else 0.51
        assert err.max() <= bound, (what, x[worst], got[worst], want[worst], err.max())


def test_silu_within_1_ulp_of_float64_reference():
    x = sample()
    xd = x.astype(np.float64)
    with np.errstate(invalid="ignore"):  # -inf * 0, replaced by the limit -0
        want = np.where(xd == -np.inf, -0.0, xd * special.expit(xd))
    err = f32_ulps(call("silu", x, None), want)
    assert err.max() <= (1.0 if "silu" in NATIVE else 0.51), x[np.argmax(err)]


@pytest.mark.parametrize(("name", "p"), CASES, ids=[f"{n}-{p}" for n, p in CASES])
def test_float16_within_1_ulp_of_float64_reference(name, p):
    """Every float16 value, through the same float32 formula."""
    x = np.arange(1 << 16, dtype=np.uint16).view(np.float16)
    x = x[~np.isnan(x)]
    _, fv, fd = REFS[name]
    for fn, r in ((name, fv), (name + "_grad", fd)):
        got = call(fn, x, p)
        assert got.dtype == np.float16
        want = ref(r, x, p)
        with np.errstate(over="ignore"):
            w16 = want.astype(np.float16)
        # within 1 ulp: at most one float16 step from the reference rounded to float16
        with np.errstate(over="ignore"):  # next to the largest float16: inf
            lo = np.nextafter(w16, np.float16(-np.inf)).astype(np.float64)
            hi = np.nextafter(w16, np.float16(np.inf)).astype(np.float64)
        ok = (got == w16) | ((got.astype(np.float64) >= lo) & (got.astype(np.float64) <= hi))
        assert ok.all(), (fn, x[~ok][:5], got[~ok][:5], w16[~ok][:5])


def test_nan_and_infinities():
    x = np.array([np.nan, -np.nan, np.inf, -np.inf], np.float32)
    for name, (p, fv, fd) in REFS.items():
        pv = 1.0 if p is not None else None
        for fn, r in ((name, fv), (name + "_grad", fd)):
            got = call(fn, x, pv)
            assert np.isnan(got[:2]).all(), fn
            with np.errstate(invalid="ignore"):
                want = ref(r, x[2:], pv).astype(np.float32)
            np.testing.assert_array_equal(got[2:], want, err_msg=fn)


# -- silu', mish, gelu_tanh: next to the zeros of the derivatives, and the tails --------
# name -> (mpmath value, mpmath derivative, the zero of the derivative (mpmath.findroot on
# the mpmath derivative), float64 NumPy/SciPy value and derivative for float16)
GELU_C = np.sqrt(2.0 / np.pi)


def _np_gelu_tanh_t(x):
    return 2.0 * GELU_C * (x + 0.044715 * x**3)


def _np_mish_parts(x):
    sp = np.logaddexp(0.0, x)
    with np.errstate(over="ignore"):
        sech2 = 1.0 / np.cosh(sp) ** 2
    return np.tanh(sp), sech2


ROOTS = {
    "silu": (mpa.silu, mpa.d_silu, -1.2784645427610738,
             lambda x: x * special.expit(x),
             lambda x: special.expit(x) * (1.0 + x * special.expit(-x))),
    "mish": (mpa.mish, mpa.d_mish, -1.1924312145154952,
             lambda x: x * _np_mish_parts(x)[0],
             lambda x: _np_mish_parts(x)[0] + x * _np_mish_parts(x)[1] * special.expit(x)),
    "gelu_tanh": (mpa.gelu_tanh, mpa.d_gelu_tanh, -0.7524614220710163,
                  lambda x: x * special.expit(_np_gelu_tanh_t(x)),
                  lambda x: special.expit(_np_gelu_tanh_t(x)) + x
                  * special.expit(_np_gelu_tanh_t(x)) * special.expit(-_np_gelu_tanh_t(x))
                  * 2.0 * GELU_C * (1.0 + 3 * 0.044715 * x * x)),
}


def root_sample(root):
    """float32: the 300 neighbours on each side of the zero, 601 points within 0.1 of it,
    the tails (where the float32 value, derivative or g times the derivative with a huge
    g become subnormal or 0; beyond |x| = 20, 40, 700 where the formulas clamp) and a
    normal bulk."""
    r32 = np.float32(root).view(np.uint32).astype(np.int64)
    nb = (r32 + np.arange(-300, 301)).astype(np.uint32).view(np.float32)
    x = np.concatenate([
        nb, np.linspace(root - 0.1, root + 0.1, 601), np.linspace(-220.0, -80.0, 561),
        np.linspace(-30.0, -5.0, 251), np.linspace(5.0, 60.0, 111),
        np.random.default_rng(3).normal(0, 3, 600),
        [0.0, -0.0, 1e-30, -1e-30, 1e-45, -1e-45, 19.999998, 20.0, 20.000002, 40.0,
         40.000004, -699.99994, -700.0, -700.00006, 700.0, -745.0, -1e4, 1e4, -3e38, 3e38],
    ])
    return x.astype(np.float32)


def _check_f32(got, want, what, x, ufunc):
    """0.51 ulp for the float32 formulas computed in float64, 1 ulp for the native float32
    loops (tests/test_core_f32n.py)."""
    assert got.dtype == np.float32
    err = f32_ulps(got, want)
    worst = int(np.argmax(err))
    bound = 1.0 if ufunc in NATIVE else 0.51
    assert err.max() <= bound, (what, x[worst], got[worst], want[worst], err.max())


@pytest.mark.parametrize("name", list(ROOTS))
def test_next_to_the_zero_and_in_the_tails_against_mpmath(name):
    """float32 value, derivative and fused backward (g normal, g = 1.5 2**100, where g f'
    is not 0 far below f' itself, and g = 2**-100, subnormal products) within 0.51 ulp of
    mpmath (1 ulp where the float32 loop is a native one: silu's value), next to the zero
    of the derivative and in the tails; no flag."""
    fv, fd, root, _, _ = ROOTS[name]
    x = root_sample(root)
    x64 = x.astype(np.float64)
    _check_f32(call(name, x, None), mp_values(fv, x64, {}), "value", x, name)
    _check_f32(call(name + "_grad", x, None), mp_values(fd, x64, {}), "grad", x,
               name + "_grad")
    rng = np.random.default_rng(4)
    for g in (rng.normal(0, 2, x.shape).astype(np.float32),
              np.full(x.shape, 1.5 * 2.0**100, np.float32),
              np.full(x.shape, 2.0**-100, np.float32)):
        got = call(name + "_backward", x, None, g)
        _check_f32(got, mp_values(fd, x64, {}, g.astype(np.float64)), "backward", x,
                   name + "_backward")


@pytest.mark.parametrize("name", list(ROOTS))
def test_every_float16_next_to_the_zero_and_everywhere(name):
    """Every float16 value (value, derivative, backward with g = x reversed) within 1 ulp
    of float64 NumPy/SciPy references (a float16 input is at least 2**-11 from the zero,
    where those references keep ~40 bits), through the same float32 formulas."""
    _, _, _, fv, fd = ROOTS[name]
    x = np.arange(1 << 16, dtype=np.uint16).view(np.float16)
    x = x[np.isfinite(x)]
    g = x[::-1].copy()
    x64 = x.astype(np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        cases = ((call(name, x, None), fv(x64)), (call(name + "_grad", x, None), fd(x64)),
                 (call(name + "_backward", x, None, g), g.astype(np.float64) * fd(x64)))
    for got, want in cases:
        assert got.dtype == np.float16
        with np.errstate(over="ignore"):
            w16 = want.astype(np.float16)
            lo = np.nextafter(w16, np.float16(-np.inf)).astype(np.float64)
            hi = np.nextafter(w16, np.float16(np.inf)).astype(np.float64)
        got64 = got.astype(np.float64)
        ok = (got == w16) | ((got64 >= lo) & (got64 <= hi))
        assert ok.all(), (x[~ok][:5], got[~ok][:5], w16[~ok][:5])


def test_roots_and_infinities():
    """The zeros are where the references cross 0; the limits at +-inf (f(-inf) = -0 for
    silu, mish, gelu_tanh as x e^x; f'(-inf) = -0; NaN stays NaN), float32 and float16."""
    import mpmath

    for name, (_, fd, root, _, _) in ROOTS.items():
        with mpmath.workdps(40):
            assert abs(mpmath.findroot(fd, mpmath.mpf(root)) - root) < 1e-15, name
        for dt in (np.float32, np.float16):
            x = np.array([-np.inf, np.inf, np.nan], dt)
            v, d = call(name, x, None), call(name + "_grad", x, None)
            b = call(name + "_backward", x, None, np.ones_like(x))
            np.testing.assert_array_equal(v[:2], [0.0, np.inf])
            assert np.signbit(v[0]) and np.signbit(d[0]) and np.signbit(b[0]), name
            np.testing.assert_array_equal(d[:2], [0.0, 1.0])
            np.testing.assert_array_equal(b[:2], [0.0, 1.0])
            assert np.isnan(v[2]) and np.isnan(d[2]) and np.isnan(b[2])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "silu_grad", "mish", "mish_grad",
                                  "gelu_tanh", "gelu_tanh_grad"])
def test_every_float32_within_1_ulp(name, tmp_path, request):
    """All 2**32 inputs (minutes each) with tools/check_core_f32.c (also: no flag)."""
    if "slow" not in (request.config.option.markexpr or ""):
        pytest.skip("all 2**32 float32 inputs (minutes): run with -m slow")
    cc = os.environ.get("CC", "cc")
    if shutil.which(cc) is None:
        pytest.skip(f"no C compiler ({cc})")
    exe = tmp_path / "check_core_f32"
    subprocess.run([cc, "-O3", "-std=c11", "-ffp-contract=off", "-fno-math-errno",
                    "-march=native", f"-I{ROOT / 'src/nnmath/_core/src'}",
                    str(ROOT / "tools/check_core_f32.c"), "-o", str(exe), "-lm"], check=True)
    r = subprocess.run([str(exe), name], capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 above 1 ulp" in r.stdout

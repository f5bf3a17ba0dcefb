"""The compiled core's further activations (``nnmath._core``: hard_sigmoid, relu6,
softsign, hard_silu, selu, celu, hard_shrink, soft_shrink, sparse_plus, exponential,
linear, tanh_shrink): values against ``nnmath.activations`` and mpmath, PyTorch's kink
conventions, infinities and NaN, and the ISA levels."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pytest

from nnmath import _core as C
from nnmath import activations as A

try:  # pytest's rootdir-relative import, or the tests package
    from reference import mp_activations as mpa
    from test_core import LEVEL_SCRIPT, assert_limits, ulps
    from test_core import sample as core_sample
except ImportError:  # pragma: no cover
    from tests.reference import mp_activations as mpa
    from tests.test_core import LEVEL_SCRIPT, assert_limits, ulps
    from tests.test_core import sample as core_sample

FLOATS = [np.float16, np.float32, np.float64]

# name -> parameters (in the ufunc's order) and the mpmath references (value, derivative)
MORE = {
    "hard_sigmoid": ({}, mpa.hard_sigmoid, mpa.d_hard_sigmoid),
    "relu6": ({}, mpa.relu6, mpa.d_relu6),
    "softsign": ({}, mpa.softsign, mpa.d_softsign),
    "hard_silu": ({}, mpa.hard_silu, mpa.d_hard_silu),
    "selu": ({}, mpa.selu, mpa.d_selu),
    "celu": ({"alpha": 1.0}, mpa.celu, mpa.d_celu),
    "hard_shrink": ({"threshold": 0.5}, mpa.hard_shrink, mpa.d_hard_shrink),
    "soft_shrink": ({"threshold": 0.5}, mpa.soft_shrink, mpa.d_soft_shrink),
    "sparse_plus": ({}, mpa.sparse_plus, mpa.d_sparse_plus),
    "exponential": ({}, mpa.exponential, mpa.d_exponential),
    "linear": ({}, mpa.linear, mpa.d_linear),
    "tanh_shrink": ({}, mpa.tanh_shrink, mpa.d_tanh_shrink),
}
PARAM_CASES = [("celu", {"alpha": 0.3}), ("celu", {"alpha": 2.5}),
               ("hard_shrink", {"threshold": 0.0}), ("hard_shrink", {"threshold": 2.0}),
               ("soft_shrink", {"threshold": 0.0}), ("soft_shrink", {"threshold": 1.5})]
ALL_CASES = [(n, spec[0]) for n, spec in MORE.items()] + PARAM_CASES
CASE_IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in p.items())}" for n, p in ALL_CASES]
MORE_UFUNCS = [f"{n}{s}" for n in MORE for s in ("", "_grad", "_backward")]

F64_ULPS = 2
SUBNORMAL_ABS = 64 * 5e-324
# the kinks of each function (with the default parameters), checked against mpmath
KINKS = {"hard_sigmoid": [-3.0, 3.0], "relu6": [0.0, 6.0], "hard_silu": [-3.0, 3.0],
         "sparse_plus": [-1.0, 1.0], "hard_shrink": [-0.5, 0.5], "soft_shrink": [-0.5, 0.5],
         "selu": [0.0], "celu": [0.0]}


def to_float(v):
    try:
        return float(v)
    except OverflowError:
        return math.copysign(math.inf, v)


def mp_values(ref, x, params, scale=None):
    """``ref`` at every element of float64 ``x`` by mpmath (times ``scale``), rounded once."""
    out = []
    for i, v in enumerate(x.tolist()):
        if math.isnan(v):
            out.append(math.nan)
            continue
        r = mpa.evaluate(ref, v, **params)
        if scale is not None:
            r = r * mpa.mpf(float(scale[i]))
        out.append(to_float(r))
    return np.array(out)


# the kinks of the rectifiers and shrinks, and the end of tanh_shrink's series (1/8)
SAMPLE_POINTS = (-3.0, 3.0, 6.0, -1.0, 1.0, 0.5, -0.5, 1.5, -1.5, 2.0, -2.0, 0.125, -0.125,
         0.12499999999999999, 1e-5, 1e-12, 1e-40)


def sample(dtype, n=2000, seed=0):
    return core_sample(dtype, n, seed, wide=True, points=SAMPLE_POINTS)


def core(name, x, params, g=None):
    p = tuple(params.values())
    # exponential's fused backward g e^x overflows where the product is beyond the
    # float64 range, as NumPy's multiply does (and raises the flag as it does)
    over = "ignore" if name == "exponential" and g is not None else "raise"
    with np.errstate(over=over, invalid="raise", divide="raise"):
        if g is None:
            return getattr(C, name)(x, *p), getattr(C, name + "_grad")(x, *p)
        return getattr(C, name + "_backward")(x, g, *p)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("name", "params"), ALL_CASES, ids=CASE_IDS)
def test_matches_numpy_implementation(name, params, dtype):
    """float16, float32 within 1 ulp of nnmath.activations; float64 within 2 ulps of it,
    or, where the two differ by more, within 2 ulps of mpmath."""
    x = sample(dtype)
    g = np.random.default_rng(1).normal(0, 2, x.shape).astype(dtype)
    act = A.REGISTRY[name](**params)
    value, grad = core(name, x, params)
    backward = core(name, x, params, g)
    mp_value, mp_grad = MORE[name][1:]
    cases = [("value", value, act(x), mp_value, None), ("grad", grad, act.gradient(x), mp_grad,
                                                       None),
             ("backward", backward, act.backward(x, g), mp_grad, g)]
    for what, got, want, ref, scale in cases:
        assert got.dtype == dtype, what
        w = np.asarray(want, dtype=dtype)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(w))
        bad = ulps(got, w) > (F64_ULPS if dtype == np.float64 else 1)
        if bad.any() and dtype == np.float64:
            xb = x[bad]
            exact = mp_values(ref, xb, params, None if scale is None else scale[bad])
            ok = (ulps(got[bad], exact) <= F64_ULPS) | (np.abs(got[bad] - exact)
                                                          <= SUBNORMAL_ABS)
            bad[np.flatnonzero(bad)[ok]] = False
        assert not bad.any(), (what, x[bad][:5], got[bad][:5], w[bad][:5])


@pytest.mark.parametrize(("name", "params"), ALL_CASES, ids=CASE_IDS)
def test_every_float16_within_1_ulp(name, params):
    """Every float16 input (the NaNs as one quiet NaN): value and derivative within 1 ulp
    of nnmath.activations, NaN exactly where x is NaN, and no flag."""
    x = np.arange(1 << 16, dtype=np.uint16).view(np.float16)
    x = np.append(x[~np.isnan(x)], np.float16(np.nan))
    act = A.REGISTRY[name](**params)
    value, grad = core(name, x, params)
    for got, want in ((value, act(x)), (grad, act.gradient(x))):
        w = np.asarray(want, dtype=np.float16)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(x))
        assert ulps(got, w).max() <= 1, name


@pytest.mark.parametrize(("name", "params"), ALL_CASES, ids=CASE_IDS)
def test_float64_against_mpmath_at_extremes_and_kinks(name, params):
    pts = [-1e308, -1000.0, -745.0, -709.0, -40.0, -5.0, -1e-300, -5e-324, -0.0, 0.0, 5e-324,
           2.2250738585072014e-308, 1e-300, 1e-8, 0.5, 5.0, 40.0, 709.0, 709.7, 745.0, 1000.0,
           1.7e308, 1e308]
    pts += KINKS.get(name, [])
    pts += [s * v for v in params.values() for s in (-1.0, 1.0)]
    x = np.array(pts)
    value, grad = core(name, x, params)
    for got, ref in zip((value, grad), MORE[name][1:], strict=True):
        want = mp_values(ref, x, params)
        err = np.full(x.shape, np.inf)
        np.subtract(got, want, out=err, where=np.isfinite(got) & np.isfinite(want))
        ok = (ulps(got, want) <= F64_ULPS) | (np.abs(err) <= SUBNORMAL_ABS)
        assert ok.all(), (x[~ok], got[~ok], want[~ok])


SCALE = 1.0507009873554805  # SELU's scale and scale * alpha, rounded once (mpmath)
SCALE_ALPHA = 1.7580993408473768
# (x, the derivative there), by PyTorch's conventions (the hand-derived values)
KINK_GRADS = {
    ("hard_sigmoid", ()): ((-3.0, 0.0), (3.0, 0.0), (0.0, 1.0 / 6.0)),
    ("relu6", ()): ((0.0, 0.0), (-0.0, 0.0), (6.0, 0.0), (3.0, 1.0)),
    ("hard_silu", ()): ((-3.0, 0.0), (3.0, 1.0), (0.0, 0.5)),
    ("sparse_plus", ()): ((-1.0, 0.0), (1.0, 1.0), (0.0, 0.5)),
    ("selu", ()): ((0.0, SCALE_ALPHA), (-0.0, SCALE_ALPHA), (1.0, SCALE)),
    ("celu", (0.5,)): ((0.0, 1.0), (1.0, 1.0)),
    ("hard_shrink", (0.5,)): ((0.5, 0.0), (-0.5, 0.0), (0.75, 1.0)),
    ("soft_shrink", (0.5,)): ((0.5, 0.0), (-0.5, 0.0), (-0.75, 1.0)),
    ("hard_shrink", (0.0,)): ((0.0, 0.0), (6e-8, 1.0)),
    ("soft_shrink", (0.0,)): ((0.0, 0.0), (-6e-8, 1.0)),
    ("linear", ()): ((0.0, 1.0), (-6e4, 1.0)),
    ("softsign", ()): ((0.0, 1.0), (1.0, 0.25), (-3.0, 1.0 / 16.0)),
    ("exponential", ()): ((0.0, 1.0),),
    ("tanh_shrink", ()): ((0.0, 0.0), (-0.0, 0.0)),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("name", "p"), list(KINK_GRADS), ids=[
    f"{n}{p}" for n, p in KINK_GRADS])
def test_kink_conventions(name, p, dtype):
    pts = KINK_GRADS[(name, p)]
    with np.errstate(under="ignore"):
        x = np.array([v for v, _ in pts], dtype=dtype)
    want = np.array([d for _, d in pts]).astype(dtype)
    got = getattr(C, name + "_grad")(x, *p)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(getattr(C, name + "_backward")(x, np.full_like(x, 2), *p),
                                  (2 * want.astype(np.float64)).astype(dtype))


# f(-inf), f(+inf), f'(-inf), f'(+inf)
LIMITS = {
    "hard_sigmoid": (0.0, 1.0, 0.0, 0.0), "relu6": (0.0, 6.0, 0.0, 0.0),
    "softsign": (-1.0, 1.0, 0.0, 0.0), "hard_silu": (0.0, np.inf, 0.0, 1.0),
    "selu": (-SCALE_ALPHA, np.inf, 0.0, SCALE), "celu": (-1.0, np.inf, 0.0, 1.0),
    "hard_shrink": (-np.inf, np.inf, 1.0, 1.0), "soft_shrink": (-np.inf, np.inf, 1.0, 1.0),
    "sparse_plus": (0.0, np.inf, 0.0, 1.0), "exponential": (0.0, np.inf, 0.0, np.inf),
    "linear": (-np.inf, np.inf, 1.0, 1.0), "tanh_shrink": (-np.inf, np.inf, 1.0, 1.0),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", list(MORE))
def test_infinities_and_nan(name, dtype):
    params = MORE[name][0]
    x = np.array([-np.inf, np.inf, np.nan], dtype=dtype)
    f, d = core(name, x, params)
    b = core(name, x, params, np.ones_like(x))
    assert_limits(f, d, b, LIMITS[name], dtype)


def test_large_values_choose_inf_without_a_flag():
    """selu and exponential beyond the float64 range are inf, and raise no overflow."""
    big = np.array([1.7109464600266028e308, np.nextafter(1.7109464600266028e308, np.inf), 1e308,
                    709.78, 710.0])
    with np.errstate(over="raise", invalid="raise"):
        s = C.selu(big)
        e = C.exponential(big)
    # the first is the largest x with scale * x below the overflow threshold (mpmath)
    want = [to_float(mpa.evaluate(mpa.selu, v)) for v in big]
    np.testing.assert_array_equal(s, want)
    assert math.isfinite(want[0]) and want[1] == math.inf
    np.testing.assert_array_equal(e[3:], [to_float(mpa.evaluate(mpa.exponential, 709.78)),
                                          math.inf])
    # g e^x finite wherever the product is; g = 0 gives 0 where e^x is inf
    x = np.array([720.0, 800.0, 800.0])
    g = np.array([math.exp(-30.0), 0.0, -0.0])
    with np.errstate(over="raise", invalid="raise"):
        b = C.exponential_backward(x, g)
    want = mp_values(mpa.exponential, x[:1], {}, g[:1])
    assert ulps(b[:1], want)[0] <= F64_ULPS
    np.testing.assert_array_equal(b[1:], [0.0, 0.0])
    # float32 (and float16) results beyond their range are stored as inf without a flag
    for dt in (np.float32, np.float16):
        fmax = np.finfo(dt).max
        with np.errstate(over="raise", invalid="raise"):
            assert C.selu(np.array([fmax], dt))[0] == np.inf
            assert C.exponential(np.array([12.0, 100.0], dt)).tolist()[1] == np.inf
            assert C.exponential_grad(np.array([100.0], dt))[0] == np.inf


# -- ISA levels: every level available gives the same results --------------------------
def run_level(level, path):
    env = dict(os.environ)
    env.pop("NNMATH_CPU", None)
    env["NNMATH_CPU"] = level
    r = subprocess.run([sys.executable, "-c", LEVEL_SCRIPT, str(path), ",".join(MORE_UFUNCS)],
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    with np.load(path) as f:
        return {k: f[k] for k in f.files if k != "level"}


def test_every_level_gives_identical_results(tmp_path):
    """These formulas use no polynomial of the math library where the baseline's lack of
    FMA shows, except through exp and expm1: float16 and float32 identical at every
    level, float64 identical at the FMA levels and within 2 ulps at the baseline."""
    levels = C.cpu_levels()
    results = {lv: run_level(lv, tmp_path / f"{lv}.npz") for lv in levels}
    best = results[levels[0]]
    for lv in levels[1:]:
        for key, want in best.items():
            got = results[lv][key]
            same = (got == want) | (np.isnan(got) & np.isnan(want))
            if lv == "baseline" and key.endswith("float64"):
                same |= ulps(got, want) <= 2
            assert same.all(), (lv, key)

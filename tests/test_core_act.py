"""The compiled core's remaining elementwise activations: hard_tanh and threshold (two
parameters), sparse_sigmoid, squareplus, mish, gelu_tanh; against mpmath, against
nnmath.activations, finite differences, kinks, limits, flags, broadcasting, threads and
the ISA levels (with the ufuncs of tests/test_core_axis_act.py: softmin, sparsemax, glu,
prelu)."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import mpmath
import numpy as np
import pytest

from nnmath import _core as C
from nnmath import activations as A

try:  # pytest's rootdir-relative import, or the tests package
    from reference import mp_activations as mpa
    from test_core import LEVEL_SCRIPT, ROOT_ABS, assert_limits, ulps
    from test_core import sample as core_sample
    from test_core_more import mp_values
except ImportError:  # pragma: no cover
    from tests.reference import mp_activations as mpa
    from tests.test_core import LEVEL_SCRIPT, ROOT_ABS, assert_limits, ulps
    from tests.test_core import sample as core_sample
    from tests.test_core_more import mp_values

FLOATS = [np.float16, np.float32, np.float64]
F64_ULPS = 2
SUBNORMAL_ABS = 64 * 5e-324

# name -> (core parameters in the ufunc's order, nnmath.activations registry name and
# parameters, mpmath value, mpmath derivative)
ACT = {
    "hard_tanh": ({"min_val": -1.0, "max_val": 1.0}, "hard_tanh", {}, mpa.hard_tanh,
                  mpa.d_hard_tanh),
    "threshold": ({"threshold": 0.5, "default_value": -2.0}, "threshold", {}, mpa.threshold,
                  mpa.d_threshold),
    "sparse_sigmoid": ({}, "sparse_sigmoid", {}, mpa.sparse_sigmoid, mpa.d_sparse_sigmoid),
    "squareplus": ({"b": 4.0}, "squareplus", {}, mpa.squareplus, mpa.d_squareplus),
    "mish": ({}, "mish", {}, mpa.mish, mpa.d_mish),
    "gelu_tanh": ({}, "gelu", {"approximate": "tanh"}, mpa.gelu_tanh, mpa.d_gelu_tanh),
}
PARAM_CASES = [("hard_tanh", {"min_val": -0.5, "max_val": 2.0}),
               ("hard_tanh", {"min_val": 0.0, "max_val": 6.0}),
               ("threshold", {"threshold": -1.0, "default_value": 3.0}),
               ("threshold", {"threshold": 0.0, "default_value": 0.0}),
               ("squareplus", {"b": 0.0}), ("squareplus", {"b": 0.25}),
               ("squareplus", {"b": 1e6})]
ALL_CASES = [(n, spec[0]) for n, spec in ACT.items()] + PARAM_CASES
CASE_IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in p.items())}" for n, p in ALL_CASES]
ACT_UFUNCS = [f"{n}{s}" for n in ACT for s in ("", "_grad", "_backward")] + [
    "glu", "glu_backward", "prelu_weight_backward", "softmin", "softmin_backward",
    "sparsemax", "sparsemax_backward"]
# the zeros of mish' and gelu_tanh', found by mpmath on the references
with mpmath.workdps(40):
    MISH_ROOT = float(mpmath.findroot(mpa.d_mish, -1.19))
    GELU_TANH_ROOT = float(mpmath.findroot(mpa.d_gelu_tanh, -0.75))
POINTS = (-3.0, 3.0, 6.0, -1.0, 1.0, 0.5, -0.5, 2.0, -2.0, -0.75, -1.19, 40.0, -40.0, 600.0,
          -600.0, -650.0, -700.0, -745.0, 1e-5, 1e-12, 1e-40, MISH_ROOT, GELU_TANH_ROOT)


def python_act(name, params):
    _, reg, extra, _, _ = ACT[name]
    return A.REGISTRY[reg](**extra, **params)


def core(name, x, params, g=None):
    p = tuple(params.values())
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        if g is None:
            return getattr(C, name)(x, *p), getattr(C, name + "_grad")(x, *p)
        return getattr(C, name + "_backward")(x, g, *p)


def sample(dtype, n=1500, seed=0):
    return core_sample(dtype, n, seed, wide=True, points=POINTS)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("name", "params"), ALL_CASES, ids=CASE_IDS)
def test_matches_numpy_implementation(name, params, dtype):
    """float16 and float32 within 1 ulp of nnmath.activations in float64 (rounded to the
    dtype); float64 within 2 ulps of it, or where the two differ by more, within 2 ulps of
    mpmath (or absolutely where the result is subnormal)."""
    x = sample(dtype)
    g = np.random.default_rng(1).normal(0, 2, x.shape).astype(dtype)
    act = python_act(name, params)
    value, grad = core(name, x, params)
    backward = core(name, x, params, g)
    x64, g64 = x.astype(np.float64), g.astype(np.float64)
    mp_value, mp_grad = ACT[name][3:]
    cases = [("value", value, act(x64), mp_value, None),
             ("grad", grad, act.gradient(x64), mp_grad, None),
             ("backward", backward, act.backward(x64, g64), mp_grad, g64)]
    for what, got, want, ref, scale in cases:
        assert got.dtype == dtype, what
        with np.errstate(over="ignore"):
            w = np.asarray(want).astype(dtype)
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
    """Every float16 input: value and derivative within 1 ulp of the float64 result of
    nnmath.activations, NaN exactly where x is NaN, no flag."""
    x = np.arange(1 << 16, dtype=np.uint16).view(np.float16)
    x = np.append(x[~np.isnan(x)], np.float16(np.nan))
    act = python_act(name, params)
    value, grad = core(name, x, params)
    x64 = x.astype(np.float64)
    for got, want in ((value, act(x64)), (grad, act.gradient(x64))):
        with np.errstate(over="ignore"):
            w = np.asarray(want).astype(np.float16)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(x))
        assert ulps(got, w).max() <= 1, name


def mp_check(name, x, params):
    """float64 value and derivative at ``x`` within 2 ulps of mpmath (or absolutely
    within SUBNORMAL_ABS where the result is subnormal). squareplus with b = 0 is relu:
    its kink x = 0, where the reference divides 0 by 0, is checked in test_kink_conventions."""
    if name == "squareplus" and params["b"] == 0.0:
        x = x[x != 0.0]
    value, grad = core(name, x, params)
    for what, got, ref in zip(("value", "grad"), (value, grad), ACT[name][3:], strict=True):
        want = mp_values(ref, x, params)
        err = np.full(x.shape, np.inf)
        np.subtract(got, want, out=err, where=np.isfinite(got) & np.isfinite(want))
        ok = (ulps(got, want) <= F64_ULPS) | (np.abs(err) <= SUBNORMAL_ABS)
        assert ok.all(), (what, x[~ok], got[~ok], want[~ok])


@pytest.mark.parametrize(("name", "params"), ALL_CASES, ids=CASE_IDS)
def test_float64_against_mpmath_at_extremes_and_kinks(name, params):
    pts = [-1e308, -1e200, -1e100, -1000.0, -745.0, -709.0, -650.0, -600.0, -40.0, -5.0,
           -1e-300, -5e-324, -0.0, 0.0, 5e-324, 2.2250738585072014e-308, 1e-300, 1e-8, 0.5,
           5.0, 40.0, 709.0, 745.0, 1000.0, 1e100, 1e200, 1.7e308, 1e308]
    pts += [s * v for v in params.values() for s in (-1.0, 1.0)]
    pts += [-1.0, 1.0, -0.5, 0.5]
    mp_check(name, np.array(pts), params)


# where the results are hardest: the deep negative tails of mish and gelu_tanh (their
# values subnormal or nearly), next to the zeros of their derivatives, and squareplus
# where x^2 + b would overflow or lose b
HARD = {
    "mish": [np.linspace(-760.0, -560.0, 401), np.linspace(-60.0, 45.0, 211),
             MISH_ROOT + np.linspace(-1e-6, 1e-6, 41), np.linspace(-1.3, -1.1, 101)],
    "gelu_tanh": [np.linspace(-30.0, -15.0, 301), np.linspace(-8.0, 8.0, 161),
                  GELU_TANH_ROOT + np.linspace(-1e-6, 1e-6, 41),
                  np.linspace(-0.8, -0.7, 101)],
    "squareplus": [np.array([s * 2.0**e for e in (-1074, -600, -20, 0, 20, 499, 500, 501,
                                                   511, 600, 1000, 1023) for s in (-1, 1)]),
                   np.linspace(-50.0, 50.0, 201)],
}


@pytest.mark.parametrize("name", list(HARD))
def test_float64_against_mpmath_where_hardest(name):
    params = ACT[name][0]
    mp_check(name, np.concatenate(HARD[name]), params)
    if name == "squareplus":
        for b in (0.0, 1e-300, 1e300, 2.0**1001):
            mp_check(name, np.concatenate(HARD[name]), {"b": b})


@pytest.mark.parametrize(("name", "params"), ALL_CASES, ids=CASE_IDS)
def test_grad_against_finite_differences(name, params):
    """The derivatives against central differences of the core's own values in float64,
    away from the kinks (an independent check of each d_NAME against its f_NAME)."""
    x = np.random.default_rng(3).uniform(-6.0, 6.0, 200)
    kinks = np.array([-1.0, 1.0, -0.5, 0.5, 2.0, 0.0, 6.0])
    x = x[np.min(np.abs(x[:, None] - kinks[None, :]), axis=1) > 1e-3]
    h = 1e-6
    f_hi, _ = core(name, x + h, params)
    f_lo, _ = core(name, x - h, params)
    _, grad = core(name, x, params)
    np.testing.assert_allclose(grad, (f_hi - f_lo) / (2 * h), rtol=1e-6, atol=1e-8)


# (x, the derivative there), by PyTorch's conventions (hand-derived)
KINK_GRADS = {
    ("hard_tanh", (-1.0, 1.0)): ((-1.0, 0.0), (1.0, 0.0), (0.0, 1.0), (-2.0, 0.0)),
    ("hard_tanh", (0.0, 6.0)): ((0.0, 0.0), (-0.0, 0.0), (6.0, 0.0), (3.0, 1.0)),
    ("threshold", (0.5, -2.0)): ((0.5, 0.0), (0.25, 0.0), (0.75, 1.0)),
    ("threshold", (0.0, 0.0)): ((0.0, 0.0), (-0.0, 0.0), (6e-8, 1.0)),
    ("sparse_sigmoid", ()): ((-1.0, 0.0), (1.0, 0.0), (0.0, 0.5)),
    ("squareplus", (0.0,)): ((0.0, 0.0), (-0.0, 0.0), (1.0, 1.0), (-1.0, 0.0)),
    ("squareplus", (4.0,)): ((0.0, 0.5),),
    ("mish", ()): ((0.0, 0.6),),
    ("gelu_tanh", ()): ((0.0, 0.5),),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("name", "p"), list(KINK_GRADS), ids=[
    f"{n}{p}" for n, p in KINK_GRADS])
def test_kink_conventions(name, p, dtype):
    pts = KINK_GRADS[(name, p)]
    with np.errstate(under="ignore"):
        x = np.array([v for v, _ in pts], dtype=dtype)
    want = np.array([d for _, d in pts]).astype(dtype)
    with np.errstate(all="raise"):
        got = getattr(C, name + "_grad")(x, *p)
        back = getattr(C, name + "_backward")(x, np.full_like(x, 2), *p)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(back, (2 * want.astype(np.float64)).astype(dtype))


def test_values_at_the_kinks():
    """hard_tanh and threshold at and next to their parameters (hand-derived)."""
    x = np.array([-1.0, np.nextafter(-1.0, 0), 1.0, np.nextafter(1.0, 2), 0.5])
    np.testing.assert_array_equal(C.hard_tanh(x, -1.0, 1.0),
                                  [-1.0, np.nextafter(-1.0, 0), 1.0, 1.0, 0.5])
    np.testing.assert_array_equal(C.threshold(x, 0.5, -2.0), [-2.0, -2.0, 1.0, x[3], -2.0])
    np.testing.assert_array_equal(C.sparse_sigmoid(np.array([-1.0, 1.0, -3.0, 3.0, 0.5])),
                                  [0.0, 1.0, 0.0, 1.0, 0.75])


# f(-inf), f(+inf), f'(-inf), f'(+inf)
LIMITS = {
    "hard_tanh": (-1.0, 1.0, 0.0, 0.0), "threshold": (-2.0, np.inf, 0.0, 1.0),
    "sparse_sigmoid": (0.0, 1.0, 0.0, 0.0), "squareplus": (0.0, np.inf, 0.0, 1.0),
    "mish": (0.0, np.inf, 0.0, 1.0), "gelu_tanh": (0.0, np.inf, 0.0, 1.0),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", list(ACT))
def test_infinities_and_nan(name, dtype):
    params = ACT[name][0]
    x = np.array([-np.inf, np.inf, np.nan], dtype=dtype)
    f, d = core(name, x, params)
    b = core(name, x, params, np.ones_like(x))
    assert_limits(f, d, b, LIMITS[name], dtype)


def test_two_parameters_broadcast_out_and_strides():
    """hard_tanh and threshold: parameters as arrays broadcast against x, out=, strided
    and broadcast operands, float16/32 x with float64 parameters."""
    rng = np.random.default_rng(7)
    x = rng.normal(0, 2, (5, 8))
    lo = rng.uniform(-2, 0, (5, 1))
    hi = rng.uniform(0, 2, (1, 8))
    np.testing.assert_array_equal(C.hard_tanh(x, lo, hi), np.clip(x, lo, hi))
    inside = ((x > lo) & (x < hi)).astype(float)
    np.testing.assert_array_equal(C.hard_tanh_grad(x, lo, hi), inside)
    g = rng.normal(0, 1, (5, 8))
    np.testing.assert_array_equal(C.hard_tanh_backward(x, g, lo, hi), g * inside)
    # every operand strided (the general loop), and out=
    xs, gs = x[:, ::2], g[::-1, 1::2]
    out = np.full(xs.shape, 7.0)
    r = C.threshold_backward(xs, gs, lo, -3.0, out=out)
    assert r is out
    np.testing.assert_array_equal(out, np.where(xs <= lo, 0.0, gs))
    np.testing.assert_array_equal(C.threshold(xs, lo, hi[:, ::2]),
                                  np.where(xs <= lo, hi[:, ::2], xs))
    for dt in (np.float16, np.float32):
        xd, gd = x.astype(dt), g.astype(dt)
        got = C.hard_tanh_backward(xd, gd, -0.3, 0.7)
        assert got.dtype == dt
        want = np.where((xd > -0.3) & (xd < 0.7), gd.astype(np.float64), 0.0).astype(dt)
        np.testing.assert_array_equal(got, want)
        # the parameters stay float64: 0.1 is not first rounded to float16
        assert C.threshold(np.array([0.0999755859375], dt), 0.1, 5.0)[0] == 5.0


def test_threads_split_loops_of_four_inputs():
    """A loop split over the pool hands every operand (five with the output) on."""
    rng = np.random.default_rng(9)
    x = rng.normal(0, 2, 5000)
    g = rng.normal(0, 1, 5000)
    want = C.hard_tanh_backward(x, g, -1.0, 1.0)
    old = C._umath._set_parallel_min(64)
    try:
        C.set_num_threads(3)
        got = C.hard_tanh_backward(x, g, -1.0, 1.0)
        got_s = C.threshold_backward(x[::2], g[::2], 0.1, 0.0)
    finally:
        C._umath._set_parallel_min(old)
        C.set_num_threads(os.cpu_count() or 1)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got_s, np.where(x[::2] <= 0.1, 0.0, g[::2]))


# -- ISA levels ------------------------------------------------------------------------------
def run_level(level, path, names):
    env = dict(os.environ)
    env["NNMATH_CPU"] = level
    r = subprocess.run([sys.executable, "-c", LEVEL_SCRIPT, str(path), ",".join(names)],
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    with np.load(path) as f:
        return {k: f[k] for k in f.files if k != "level"}


def test_every_level_gives_identical_results(tmp_path):
    """float16 and float32 identical at every level; float64 identical at the FMA levels
    and within 2 ulps at the baseline (no FMA there: the double-double products use
    Dekker's split, exact as well, and exp's polynomial differs in its last bits)."""
    levels = C.cpu_levels()
    results = {lv: run_level(lv, tmp_path / f"{lv}.npz", ACT_UFUNCS) for lv in levels}
    best = results[levels[0]]
    for lv in levels[1:]:
        for key, want in best.items():
            got = results[lv][key]
            same = (got == want) | (np.isnan(got) & np.isnan(want))
            if lv == "baseline" and key.endswith("float64"):
                # as test_core: where a backward nearly cancels (softmin's g - sum(g s)),
                # a few ulps of its terms, absolutely, scaled by |g|
                err = np.zeros(want.shape)
                np.subtract(got, want, out=err, where=np.isfinite(got) & np.isfinite(want))
                scale = np.ones(want.shape)
                if "backward" in key:
                    g = np.abs(best["g-float64"])
                    scale = np.maximum(1.0, g[:22008].reshape(-1, 7) if want.ndim == 2 else g)
                same |= (ulps(got, want) <= 2) | (np.abs(err) <= ROOT_ABS * scale)
            assert same.all(), (lv, key)


def test_mpmath_references_match_their_derivatives():
    """The hand-derived mpmath derivatives used above agree with mpmath.diff."""
    for name, (params, _, _, f, d) in ACT.items():
        for v in (-2.5, -0.7, 0.3, 1.7):
            want = mpa.mp_diff(f, v, **params)
            got = mpa.evaluate(d, v, **params)
            assert math.isclose(float(got), float(want), rel_tol=1e-12, abs_tol=1e-15), name


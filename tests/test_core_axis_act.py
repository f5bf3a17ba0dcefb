"""The compiled core's rows softmin and sparsemax (gufuncs and their VJPs), glu (two
inputs, a backward with two outputs), prelu (leaky_relu with an array weight) and its
weight gradient: against mpmath (exact rationals for sparsemax), nnmath.activations,
finite differences and hand-derived values; infinities, NaN rows, flags, axes, out= and
threads. Their ISA levels are compared in tests/test_core_act.py."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

from nnmath import _core as C
from nnmath import activations as A

try:  # pytest's rootdir-relative import, or the tests package
    from reference import mp_activations as mpa
    from test_core import ulps
    from test_core_more import to_float
except ImportError:  # pragma: no cover
    from tests.reference import mp_activations as mpa
    from tests.test_core import ulps
    from tests.test_core_more import to_float

FLOATS = [np.float16, np.float32, np.float64]
SUBNORMAL_ABS = 64 * 5e-324


# -- rows: softmin, sparsemax ------------------------------------------------------------------
def row_sample(dtype, seed=0):
    """Rows of several scales, ties, +-inf, a NaN, and a row of -inf only."""
    rng = np.random.default_rng(seed)
    rows = [rng.normal(0, s, (40, 9)) for s in (0.1, 1.0, 5.0, 100.0)]
    special = np.array([[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                        [1.0, 1.0, 0.5, -2.0, 3.0, 3.0, 0.0, -1e300, 1e300],
                        [np.inf, 1.0, np.inf, 0.0, -np.inf, 2.0, 3.0, 4.0, 5.0],
                        [-np.inf] * 9, [1.0, np.nan, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
                        [-np.inf, 1.0, 2.0, -np.inf, 0.25, 1.75, 1.9, 1.5, -5.0],
                        [-1.7e308, 1.7e308, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]])
    with np.errstate(over="ignore"):
        return np.concatenate([*rows, special]).astype(dtype)


def exact_rows(fn, x):
    out = []
    for row in x.astype(np.float64):
        if np.isnan(row).any():
            out.append([math.nan] * len(row))
        else:
            out.append([float(v) for v in fn(row)])
    return np.array(out)


def softmin_mp(row):
    """softmax(-x) by mpmath, with the limits of shift_by_max for infinite rows."""
    neg = -np.asarray(row)
    m = neg.max()
    if math.isinf(m):  # the entries at an infinite maximum share the mass
        top = (neg == m).astype(float)
        return list(top / top.sum())
    return mpa.softmax_mp(neg)


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmin_against_mpmath_and_softmax_of_minus_x(dtype):
    x = row_sample(dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        got = C.softmin(x)
    want = exact_rows(softmin_mp, x).astype(dtype)
    # float64: softmax's row kernel (e^d (1 + lo) / s, three roundings) is within 3 ulps of
    # mpmath here, within test_core's 4 of the NumPy path; float16 and float32 within 1
    tol = 4 if dtype == np.float64 else 1
    assert ulps(got, want).max() <= tol
    np.testing.assert_array_equal(got, C.softmax(-x))
    ref = A.softmin(x.astype(np.float64)).astype(dtype)
    assert ulps(got, ref).max() <= (4 if dtype == np.float64 else 1)


def sparsemax_want(x):
    """sparsemax in exact rationals (mpmath reference), with nnmath's limits for rows
    holding infinities: +inf entries share the mass, -inf entries get none, a row of
    -inf only is uniform."""
    def one(row):
        m = row.max()
        if math.isinf(m):
            top = (row == m).astype(float)
            return list(top / top.sum())
        return [float(v) for v in mpa.sparsemax_exact(np.where(np.isinf(row), -1e300, row))]
    return exact_rows(one, x)


@pytest.mark.parametrize("dtype", FLOATS)
def test_sparsemax_against_exact_rationals(dtype):
    x = row_sample(dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        got = C.sparsemax(x)
    want = sparsemax_want(x).astype(dtype)
    assert ulps(got, want).max() <= (2 if dtype == np.float64 else 1)
    ok = ~np.isnan(got).any(axis=1)
    np.testing.assert_allclose(got[ok].astype(np.float64).sum(axis=1), 1.0,
                               rtol=4 * float(np.finfo(dtype).eps))
    # against nnmath.activations, and the support exactly where its value is positive
    ref = A.sparsemax(x.astype(np.float64)).astype(dtype)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    np.testing.assert_allclose(got.astype(np.float64), ref.astype(np.float64), rtol=0,
                               atol=8 * float(np.finfo(dtype).eps))


def test_sparsemax_many_iterations_and_long_rows():
    """Rows whose support shrinks slowly (geometric values) and long rows: the same as the
    exact projection."""
    geo = -(0.5 ** np.arange(40.0))[::-1] * 3.0
    rng = np.random.default_rng(4)
    long_rows = rng.normal(0, 1, (3, 2000))
    for x in (geo[None, :], long_rows, np.linspace(0, 1, 1001)[None, :]):
        got = C.sparsemax(x)
        want = sparsemax_want(x)
        assert ulps(got, want).max() <= 2


def vjp_rows(fn_value, x, g, h=1e-7):
    """The row VJP g^T J by central differences of the core's float64 values."""
    out = np.zeros_like(x)
    for j in range(x.shape[-1]):
        e = np.zeros_like(x)
        e[..., j] = h
        out[..., j] = ((fn_value(x + e) - fn_value(x - e)) * g).sum(axis=-1) / (2 * h)
    return out


def test_row_vjps_against_finite_differences():
    rng = np.random.default_rng(6)
    x = rng.normal(0, 1, (30, 7))
    g = rng.normal(0, 1, (30, 7))
    np.testing.assert_allclose(C.softmin_backward(x, g), vjp_rows(C.softmin, x, g),
                               rtol=1e-6, atol=1e-8)
    # sparsemax is piecewise linear: away from the support's boundary (random rows are
    # far from it) the differences are exact up to rounding
    np.testing.assert_allclose(C.sparsemax_backward(x, g), vjp_rows(C.sparsemax, x, g),
                               rtol=1e-6, atol=1e-8)


def test_row_vjps_match_numpy_implementation_and_hand_values():
    rng = np.random.default_rng(8)
    x = rng.normal(0, 2, (50, 6))
    g = rng.normal(0, 1, (50, 6))
    act = A.Softmin()
    np.testing.assert_allclose(C.softmin_backward(x, g), act.backward(x, g), rtol=1e-13,
                               atol=1e-16)
    act = A.Sparsemax()
    np.testing.assert_allclose(C.sparsemax_backward(x, g), act.backward(x, g), rtol=1e-13,
                               atol=1e-16)
    # support {0, 1} of [1, 0.5, -3]: p = [0.75, 0.25, 0]; VJP g - mean on it (by hand)
    got = C.sparsemax_backward(np.array([1.0, 0.5, -3.0]), np.array([2.0, -1.0, 5.0]))
    np.testing.assert_array_equal(got, [1.5, -1.5, 0.0])
    np.testing.assert_array_equal(C.sparsemax(np.array([1.0, 0.5, -3.0])), [0.75, 0.25, 0.0])
    # NaN rows are NaN, other rows untouched
    xn = np.array([[1.0, np.nan, 0.0], [1.0, 0.5, -3.0]])
    for f in (C.sparsemax(xn), C.sparsemax_backward(xn, np.ones_like(xn)), C.softmin(xn),
              C.softmin_backward(xn, np.ones_like(xn))):
        assert np.isnan(f[0]).all() and not np.isnan(f[1]).any()


def test_rows_along_another_axis_out_and_dtypes():
    rng = np.random.default_rng(10)
    x = rng.normal(0, 1, (4, 5, 6))
    g = rng.normal(0, 1, (4, 5, 6))
    for f, fb in ((C.softmin, C.softmin_backward), (C.sparsemax, C.sparsemax_backward)):
        np.testing.assert_array_equal(f(x, axes=[1, 1]),
                                      np.moveaxis(f(np.moveaxis(x, 1, -1)), -1, 1))
        np.testing.assert_array_equal(
            fb(x, g, axes=[1, 1, 1]),
            np.moveaxis(fb(np.moveaxis(x, 1, -1), np.moveaxis(g, 1, -1)), -1, 1))
        out = np.empty_like(x)
        assert f(x, out=out) is out
        np.testing.assert_array_equal(out, f(x))
        for dt in (np.float16, np.float32):
            assert f(x.astype(dt)).dtype == dt
        assert f(np.empty((3, 0))).shape == (3, 0)


# -- glu -----------------------------------------------------------------------------------------
def glu_sample(dtype):
    rng = np.random.default_rng(12)
    a = np.concatenate([rng.normal(0, 3, 3000), rng.uniform(-800, 800, 300),
                        [0.0, -0.0, 1e300, -1e300, 1.7e308, 5e-324, 2.0, -3.0]])
    b = np.concatenate([rng.normal(0, 3, 3000), rng.uniform(-800, 800, 300),
                        [0.0, 0.0, -700.0, -650.0, 40.0, -745.0, -600.5, 1e10]])
    with np.errstate(over="ignore"):
        return a.astype(dtype), b.astype(dtype)


@pytest.mark.parametrize("dtype", FLOATS)
def test_glu_against_mpmath(dtype):
    a, b = glu_sample(dtype)
    g = np.random.default_rng(13).normal(0, 2, a.shape).astype(dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = C.glu(a, b)
        ga, gb = C.glu_backward(a, b, g)
    a64, b64, g64 = (v.astype(np.float64) for v in (a, b, g))
    want = np.array([to_float(v) for v in mpa.glu_mp(a64, b64)])
    with mpa.mp.workdps(60):
        s = [mpa.sigmoid(mpa.mpf(float(v))) for v in b64]
        want_a = np.array([to_float(mpa.mpf(float(u)) * v) for u, v in zip(g64, s, strict=True)])
        # sigma'(b) = sigma(b) sigma(-b), not v (1 - v): 1 - v cancels for large b
        want_b = np.array([to_float(mpa.mpf(float(u)) * mpa.mpf(float(w)) * v
                                    * mpa.sigmoid(-mpa.mpf(float(c))))
                           for u, w, v, c in zip(g64, a64, s, b64, strict=True)])
    tol = 2 if dtype == np.float64 else 1
    for got, w in ((y, want), (ga, want_a), (gb, want_b)):
        with np.errstate(over="ignore"):
            w = w.astype(dtype)
        err = np.full(got.shape, np.inf)
        np.subtract(got, w, out=err, where=np.isfinite(got) & np.isfinite(w))
        ok = (ulps(got, w) <= tol) | (np.abs(err) <= SUBNORMAL_ABS)
        assert ok.all(), (a[~ok][:4], b[~ok][:4], got[~ok][:4], w[~ok][:4])


def test_glu_matches_numpy_implementation_limits_and_nan():
    rng = np.random.default_rng(14)
    x = rng.normal(0, 3, (20, 8))
    a, b = x[:, :4], x[:, 4:]
    np.testing.assert_allclose(C.glu(a, b), A.glu(x), rtol=4e-16)
    g = rng.normal(0, 1, (20, 4))
    ga, gb = C.glu_backward(a, b, g)
    np.testing.assert_allclose(np.concatenate([ga, gb], axis=1), A.GLU().backward(x, g),
                               rtol=1e-15, atol=1e-300)
    inf, nan = np.inf, np.nan
    a = np.array([inf, -inf, inf, 2.0, nan, 2.0, 0.0])
    b = np.array([0.0, 1.0, -inf, nan, 0.0, -inf, inf])
    # inf times a zero gate is NaN, quietly
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = C.glu(a, b)
        ga, gb = C.glu_backward(a, b, np.ones_like(a))
    np.testing.assert_array_equal(y, [inf, -inf, nan, nan, nan, 0.0, 0.0])
    np.testing.assert_array_equal(ga, [0.5, 1 / (1 + math.exp(-1)), 0.0, nan, 0.5, 0.0, 1.0])
    np.testing.assert_array_equal(gb[[0, 1, 3, 4]], [inf, -inf, nan, nan])
    assert np.isnan(gb[2]) and gb[5] == 0.0 and gb[6] == 0.0


def test_glu_broadcasting_out_threads_and_levels():
    rng = np.random.default_rng(15)
    a = rng.normal(0, 2, (6000,))
    b = rng.normal(0, 2, (6000,))
    g = rng.normal(0, 1, (6000,))
    ya, yb = C.glu_backward(a, b, g)
    out1, out2 = np.empty_like(a[::2]), np.empty_like(a[::2])
    r = C.glu_backward(a[::2], b[::2], g[::2], out=(out1, out2))
    assert r[0] is out1 and r[1] is out2
    np.testing.assert_array_equal(out1, ya[::2])
    np.testing.assert_array_equal(out2, yb[::2])
    np.testing.assert_array_equal(C.glu(a[:5, None], b[None, :3]),
                                  [[C.glu(a[i:i + 1], b[j:j + 1])[0] for j in range(3)]
                                   for i in range(5)])
    old = C._umath._set_parallel_min(64)
    try:
        C.set_num_threads(3)
        t1, t2 = C.glu_backward(a, b, g)
    finally:
        C._umath._set_parallel_min(old)
        C.set_num_threads(os.cpu_count() or 1)
    np.testing.assert_array_equal(t1, ya)
    np.testing.assert_array_equal(t2, yb)


# -- prelu: leaky_relu with an array weight ----------------------------------------------------
def test_prelu_is_leaky_relu_with_a_broadcast_weight():
    rng = np.random.default_rng(16)
    x = rng.normal(0, 2, (4, 6, 5))
    w = rng.uniform(0, 0.5, (6, 1))
    want = np.where(x > 0, x, w * x)  # prelu by hand
    np.testing.assert_array_equal(C.leaky_relu(x, w), want)
    np.testing.assert_array_equal(C.leaky_relu(x, w), A.prelu(x, w))
    # a non-contiguous weight, and a non-contiguous x
    wide = rng.uniform(0, 0.5, (6, 3))
    np.testing.assert_array_equal(C.leaky_relu(x, wide[:, 1:2]),
                                  np.where(x > 0, x, wide[:, 1:2] * x))
    xs = x[:, ::2, ::-1]
    np.testing.assert_array_equal(C.leaky_relu(xs, w[::2]), np.where(xs > 0, xs, w[::2] * xs))
    # the gradient in x: 1 above 0, the weight at and below 0 (PyTorch: weight at 0)
    np.testing.assert_array_equal(C.leaky_relu_grad(x, w), np.where(x > 0, 1.0, w + 0 * x))
    assert C.leaky_relu_grad(np.zeros(1), 0.3)[0] == 0.3
    # float16/32 x with a float64 weight: the product in float64, rounded once
    w3 = np.array([0.1, 0.3, 1 / 3])
    for dt in (np.float16, np.float32):
        xd = np.array([-1.0, -3.0, -0.75], dt)
        got = C.leaky_relu(xd, w3)
        assert got.dtype == dt
        np.testing.assert_array_equal(got, (xd.astype(np.float64) * w3).astype(dt))


def test_prelu_weight_backward():
    rng = np.random.default_rng(17)
    x = rng.normal(0, 2, (4, 6, 5))
    g = rng.normal(0, 1, (4, 6, 5))
    w = rng.uniform(0, 0.5, (6, 1))
    got = C.prelu_weight_backward(x, g)
    np.testing.assert_array_equal(got, g * np.minimum(x, 0.0))
    # summed over the broadcast dimensions it is nnmath's dL/dweight
    act = A.PReLU(weight=w)
    np.testing.assert_allclose(got.sum(axis=(0, 2))[:, None], act.weight_gradient(x, g),
                               rtol=1e-14)
    # against a finite difference in the weight (leaky_relu is linear in it)
    h = 1e-6
    fd = ((C.leaky_relu(x, w + h) - C.leaky_relu(x, w - h)) * g).sum(axis=(0, 2)) / (2 * h)
    np.testing.assert_allclose(got.sum(axis=(0, 2)), fd, rtol=1e-7)
    for dt in FLOATS:
        xd = np.array([-2.0, 0.0, 3.0, np.nan], dt)
        r = C.prelu_weight_backward(xd, np.full_like(xd, 1.5))
        assert r.dtype == dt
        np.testing.assert_array_equal(r[:3], [-3.0, 0.0, 0.0])
        assert np.isnan(r[3])

"""The precision tools of the float64 cores: the error-free transformations of
``activations/_dd.py``, the Taylor tables at the roots of the derivatives
(``activations/_roots.py``, recomputed here with mpmath) and the long double switch."""

from __future__ import annotations

import importlib.util
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import nnmath.activations as A
from nnmath.activations import _cores
from nnmath.activations import _dd as dd

RNG = np.random.default_rng(11)


def F(v) -> Fraction:
    return Fraction(float(v))


def sample(n=400):
    mags = 10.0 ** RNG.uniform(-30, 30, n)
    return RNG.choice([-1.0, 1.0], n) * mags


def test_two_sum_is_exact():
    a, b = sample(), sample()
    s, e = dd.two_sum(a, b)
    for ai, bi, si, ei in zip(a, b, s, e, strict=True):
        assert F(si) + F(ei) == F(ai) + F(bi)
        assert si == ai + bi


def test_fast_two_sum_is_exact_when_ordered():
    a, b = sample(), sample()
    big, small = np.where(abs(a) >= abs(b), a, b), np.where(abs(a) >= abs(b), b, a)
    s, e = dd.fast_two_sum(big, small)
    for ai, bi, si, ei in zip(big, small, s, e, strict=True):
        assert F(si) + F(ei) == F(ai) + F(bi)


def test_two_prod_is_exact():
    a, b = sample(), sample()
    p, e = dd.two_prod(a, b)
    for ai, bi, pi, ei in zip(a, b, p, e, strict=True):
        assert F(pi) + F(ei) == F(ai) * F(bi)
        assert pi == ai * bi


def test_div_is_correctly_rounded_or_next_to_it():
    n, d = np.abs(sample()), np.abs(sample())
    n_lo, d_lo = n * 2.0 ** -60, d * -(2.0 ** -61)
    q = dd.div(n, n_lo, d, d_lo)
    for ni, nl, di, dl, qi in zip(n, n_lo, d, d_lo, q, strict=True):
        true = (F(ni) + F(nl)) / (F(di) + F(dl))
        err = abs(F(qi) - true) / F(np.spacing(qi))
        assert err <= 0.51


def test_exp_times_keeps_subnormal_products():
    mpmath = pytest.importorskip("mpmath")
    x = np.array([-300.0, -700.5, -708.3, -720.0, -740.0, -744.4, -745.5, -1000.0, -1e5])
    y = dd.exp_times(np, np.maximum(x, -1e4), np.maximum(x, -1e4))
    for xi, yi in zip(x, y, strict=True):
        with mpmath.workdps(50):
            true = mpmath.mpf(xi) * mpmath.exp(xi)
        spacing = max(np.spacing(abs(yi)), 2.0 ** -1074)
        assert abs(mpmath.mpf(float(yi)) - true) / spacing <= 1.2  # exp (0.64) + 0.5
        assert np.signbit(yi)  # negative, even when it rounds to -0


def _fit_roots():
    path = Path(__file__).resolve().parents[1] / "tools" / "fit_roots.py"
    spec = importlib.util.spec_from_file_location("nnmath_fit_roots", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def test_root_tables_match_mpmath():
    pytest.importorskip("mpmath")
    from nnmath.activations._roots import ROOTS

    fresh = _fit_roots().compute()
    assert fresh.keys() == ROOTS.keys()
    for name, (hi, lo, coefs) in ROOTS.items():
        fhi, flo, fcoefs = fresh[name]
        assert float(hi) == float(fhi) and float(lo) == pytest.approx(float(flo), rel=1e-12)
        for c, fc in zip(coefs, fcoefs, strict=True):
            assert float(c) == pytest.approx(float(fc), rel=1e-12, abs=1e-25)


@pytest.mark.parametrize("name,params,root", [
    ("gelu", {}, -0.7517915246935645), ("gelu", {"approximate": True}, None),
    ("silu", {}, -1.2784645427610738), ("mish", {}, None)])
def test_derivative_changes_sign_once_at_its_root(name, params, root):
    # around the root the series takes over: the derivative must still cross zero
    # monotonically and be exactly 0 only next to the root
    from nnmath.activations._roots import ROOTS

    key = name if not params else "gelu_tanh"
    r = float(ROOTS[key][0])
    if root is not None:
        assert r == pytest.approx(root, abs=1e-15)
    x = r + np.linspace(-0.05, 0.05, 2001)
    g = A.get(name, **params).gradient(x)
    assert np.all(np.diff(g) > 0)  # increasing through the root
    assert g[0] < 0 < g[-1]


@pytest.mark.skipif(_cores.LD is None, reason="long double is float64 on this platform")
def test_float32_gradients_skip_long_double():
    # float32 results come from the float64 formula (long double buys nothing there)
    x = np.linspace(-6, 6, 1001).astype(np.float32)
    for name in ("sigmoid", "tanh", "silu", "mish", "softsign", "selu"):
        act = A.get(name)
        plain = _cores.__dict__[f"{name}_grad"].__wrapped__(np, x.astype(np.float64))
        np.testing.assert_array_equal(act.gradient(x), plain.astype(np.float32))

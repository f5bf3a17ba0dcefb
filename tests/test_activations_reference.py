"""Independent reference-value tests for ``nnmath.activations``.

Every expected value comes from outside nnmath: mpmath at 50+ digits
(``tests/reference/mp_activations.py``, written from the definitions in DESIGN.md §3.1),
SciPy (``expit``, ``log_expit``, ``ndtr``, ``softmax``, ``log_softmax``), exact rational
arithmetic (sparsemax), or numbers written by hand from the math (the kink and limit tables).

Error metric (float64 unless stated)
------------------------------------
``|got - ref| <= RTOL * max(|ref|, floor(x)) + ATOL_SUB + K * u * |x| * |sens(x)|``, with the
tolerance computed in mpmath and one ulp of ``ref`` added for rounding ``ref`` to float, where

* ``RTOL`` is 1e-13 (float64), 2e-6 (float32), 1e-3 (float16);
* ``floor(x)`` is ``|ref|`` (a pure relative error) except for the derivatives that cross 0
  at an irrational point (silu', mish', gelu' in both forms): there it is the sum of the
  absolute values of the terms of the derivative, i.e. a relative error measured against
  the size of what is being added (no float formula can do better next to the zero);
* ``ATOL_SUB`` is 4 subnormal ulps of the result dtype times ``min(max(1, |x|), 1024)``:
  results in the subnormal range carry fewer significant bits, and a product ``x * g(x)``
  (silu, gelu, mish) whose factor ``g(x)`` is subnormal carries ``|x|`` times its rounding
  (for gelu, the condition number ``|x sens(x) / f(x)|`` times it, up to 2**16);
* the last term is used only for gelu (exact and tanh forms, value and derivative): their
  condition number ``|x f'(x) / f(x)|`` reaches ~1e3 in the left tail, so a float formula
  that is backward stable (exact for an input perturbed by ``K = 4`` unit roundoffs ``u``)
  is accepted; ``sens`` is f' for the value and f'' for the derivative.

A reference whose magnitude rounds past the largest finite value of the dtype is expected
as ``±inf``. Sign of zero is not checked. ``backward(x, g)`` is held to ``g * f'(x)`` with the
tolerance of f' times ``|g|`` (plus ATOL_SUB); upstream gradients are random, never all ones.

Axis functions: softmax / softmin entries to ``1e-13 + 4u|x_i - max x|`` relative (the
rounded shift ``x_i - max x`` is the condition of ``exp`` there, for SciPy too); log_softmax
to 1e-13 relative plus 8u absolute; sparsemax to 8u * max(1, max|x|) absolute (``x_i - tau``
cancels); glu to 1e-13 relative (plus ``|a|`` subnormal ulps where sigmoid(b) is subnormal);
Jacobians to 1e-13 relative plus 4e-16; VJPs to 1e-13 of ``sum_i |g_i J_ij|``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import scipy.special as sc
from mpmath import mp, mpf

import nnmath.activations as A

try:
    from reference import mp_activations as R
except ImportError:  # pragma: no cover - depends on how pytest put tests/ on sys.path
    from tests.reference import mp_activations as R


# ------------------------------------------------------------------------ tolerances
F16, F32, F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
RTOL = {F64: 1e-13, F32: 2e-6, F16: 1e-3}
ATOL_SUB = {F64: 4 * 2.0**-1074, F32: 4 * 2.0**-149, F16: 2.0**-24}
UNIT = {F64: 2.0**-53, F32: 2.0**-24, F16: 2.0**-24}  # float16 is computed in float32
K_COND = 4
with mp.workdps(40):
    OVERFLOW = {
        F64: mpf(2) ** 1024 * (1 - mpf(2) ** -54),
        F32: mpf(2) ** 128 * (1 - mpf(2) ** -25),
        F16: mpf(65520),
    }
RESULT_DTYPE = {
    "float16": F16,
    "float32": F32,
    "float64": F64,
    "int32": F64,
    "int64": F64,
    "bool": F64,
}


# ------------------------------------------------------------------------------ cases
@dataclass(frozen=True)
class Case:
    """One elementwise activation with fixed parameters, and its mpmath references."""

    id: str
    fname: str
    cname: str
    ref: Callable[..., Any]
    dref: Callable[..., Any]
    params: dict = field(default_factory=dict)
    kinks: tuple = ()
    dfloor: Callable[..., Any] | None = None  # floor scale of the derivative (crosses 0)
    sens: Callable[..., Any] | None = None  # f' (conditioning allowance of the value)
    dsens: Callable[..., Any] | None = None  # f'' (conditioning allowance of f')
    fargs: tuple = ()  # positional arguments of the function form (prelu's weight)
    fparams: dict | None = None  # keyword arguments of the function form, if not params
    refp: dict | None = None  # parameters of the mp reference, if not params

    @property
    def ref_params(self):
        return self.params if self.refp is None else self.refp

    def call(self, x):
        kw = self.params if self.fparams is None else self.fparams
        return getattr(A, self.fname)(x, *self.fargs, **kw)

    def make(self):
        return getattr(A, self.cname)(**self.params)

    def __repr__(self) -> str:  # used in failure messages
        return self.id


def _case(id, fname, cname, mpname, params=None, **kw):
    return Case(id, fname, cname, getattr(R, mpname), getattr(R, "d_" + mpname),
                dict(params or {}), **kw)


_SLOPE_RRELU = (1 / 8 + 1 / 3) / 2

CASES = [
    _case("sigmoid", "sigmoid", "Sigmoid", "sigmoid"),
    _case("hard_sigmoid", "hard_sigmoid", "HardSigmoid", "hard_sigmoid", kinks=(-3.0, 3.0)),
    _case("sparse_sigmoid", "sparse_sigmoid", "SparseSigmoid", "sparse_sigmoid",
          kinks=(-1.0, 1.0)),
    _case("log_sigmoid", "log_sigmoid", "LogSigmoid", "log_sigmoid"),
    _case("relu", "relu", "ReLU", "relu", kinks=(0.0,)),
    _case("relu[negative_slope=0.25]", "relu", "ReLU", "relu", {"negative_slope": 0.25},
          kinks=(0.0,)),
    _case("relu[max_value=4.5]", "relu", "ReLU", "relu", {"max_value": 4.5},
          kinks=(0.0, 4.5)),
    _case("relu[max_value=6]", "relu", "ReLU", "relu", {"max_value": 6.0}, kinks=(0.0, 6.0)),
    _case("relu[threshold=1]", "relu", "ReLU", "relu", {"threshold": 1.0}, kinks=(1.0,)),
    _case("relu[negative_slope=0.5,max_value=4,threshold=1]", "relu", "ReLU", "relu",
          {"negative_slope": 0.5, "max_value": 4.0, "threshold": 1.0}, kinks=(1.0, 4.0)),
    _case("relu[negative_slope=0.1,max_value=6]", "relu", "ReLU", "relu",
          {"negative_slope": 0.1, "max_value": 6.0}, kinks=(0.0, 6.0)),
    _case("relu6", "relu6", "ReLU6", "relu6", kinks=(0.0, 6.0)),
    _case("leaky_relu", "leaky_relu", "LeakyReLU", "leaky_relu", kinks=(0.0,)),
    _case("leaky_relu[negative_slope=0.2]", "leaky_relu", "LeakyReLU", "leaky_relu",
          {"negative_slope": 0.2}, kinks=(0.0,)),
    _case("rrelu", "rrelu", "RReLU", "rrelu", kinks=(0.0,)),
    _case("rrelu[lower=0.1,upper=0.3]", "rrelu", "RReLU", "rrelu",
          {"lower": 0.1, "upper": 0.3}, kinks=(0.0,)),
    Case("prelu[weight=0.25]", "prelu", "PReLU", R.prelu, R.d_prelu, {"weight": 0.25},
         kinks=(0.0,), fargs=(0.25,), fparams={}),
    Case("prelu[weight=1.5]", "prelu", "PReLU", R.prelu, R.d_prelu, {"weight": 1.5},
         kinks=(0.0,), fargs=(1.5,), fparams={}),
    _case("elu", "elu", "ELU", "elu", kinks=(0.0,)),
    _case("elu[alpha=0.5]", "elu", "ELU", "elu", {"alpha": 0.5}, kinks=(0.0,)),
    _case("elu[alpha=2]", "elu", "ELU", "elu", {"alpha": 2.0}, kinks=(0.0,)),
    _case("selu", "selu", "SELU", "selu", kinks=(0.0,)),
    _case("celu", "celu", "CELU", "celu", kinks=(0.0,)),
    _case("celu[alpha=0.5]", "celu", "CELU", "celu", {"alpha": 0.5}, kinks=(0.0,)),
    _case("celu[alpha=2]", "celu", "CELU", "celu", {"alpha": 2.0}, kinks=(0.0,)),
    _case("gelu", "gelu", "GELU", "gelu", dfloor=R.scale_d_gelu, sens=R.d_gelu,
          dsens=R.d2_gelu),
    Case("gelu[approximate=True]", "gelu", "GELU", R.gelu_tanh, R.d_gelu_tanh,
         {"approximate": True}, dfloor=R.scale_d_gelu_tanh, sens=R.d_gelu_tanh,
         dsens=R.d2_gelu_tanh, refp={}),
    _case("silu", "silu", "SiLU", "silu", dfloor=R.scale_d_silu),
    _case("swish", "swish", "Swish", "silu", dfloor=R.scale_d_silu),
    _case("hard_silu", "hard_silu", "HardSiLU", "hard_silu", kinks=(-3.0, 3.0)),
    _case("hard_swish", "hard_swish", "HardSwish", "hard_silu", kinks=(-3.0, 3.0)),
    _case("mish", "mish", "Mish", "mish", dfloor=R.scale_d_mish),
    _case("softplus", "softplus", "Softplus", "softplus"),
    _case("softplus[beta=2]", "softplus", "Softplus", "softplus", {"beta": 2.0}),
    _case("softplus[beta=3]", "softplus", "Softplus", "softplus", {"beta": 3.0}),
    _case("softplus[beta=0.5]", "softplus", "Softplus", "softplus", {"beta": 0.5}),
    _case("sparse_plus", "sparse_plus", "SparsePlus", "sparse_plus", kinks=(-1.0, 1.0)),
    _case("squareplus", "squareplus", "Squareplus", "squareplus"),
    _case("squareplus[b=1]", "squareplus", "Squareplus", "squareplus", {"b": 1.0}),
    _case("squareplus[b=0.3]", "squareplus", "Squareplus", "squareplus", {"b": 0.3}),
    _case("softsign", "softsign", "Softsign", "softsign"),
    _case("tanh", "tanh", "Tanh", "tanh"),
    _case("hard_tanh", "hard_tanh", "HardTanh", "hard_tanh", kinks=(-1.0, 1.0)),
    _case("hard_tanh[min_val=-2,max_val=3]", "hard_tanh", "HardTanh", "hard_tanh",
          {"min_val": -2.0, "max_val": 3.0}, kinks=(-2.0, 3.0)),
    _case("tanh_shrink", "tanh_shrink", "TanhShrink", "tanh_shrink"),
    _case("hard_shrink", "hard_shrink", "HardShrink", "hard_shrink", kinks=(-0.5, 0.5)),
    _case("hard_shrink[threshold=1.5]", "hard_shrink", "HardShrink", "hard_shrink",
          {"threshold": 1.5}, kinks=(-1.5, 1.5)),
    _case("soft_shrink", "soft_shrink", "SoftShrink", "soft_shrink", kinks=(-0.5, 0.5)),
    _case("soft_shrink[threshold=1.5]", "soft_shrink", "SoftShrink", "soft_shrink",
          {"threshold": 1.5}, kinks=(-1.5, 1.5)),
    _case("threshold[0.5,-7]", "threshold", "Threshold", "threshold",
          {"threshold": 0.5, "default_value": -7.0}, kinks=(0.5,)),
    _case("threshold[-1,2]", "threshold", "Threshold", "threshold",
          {"threshold": -1.0, "default_value": 2.0}, kinks=(-1.0,)),
    _case("exponential", "exponential", "Exponential", "exponential"),
    _case("linear", "linear", "Linear", "linear"),
]
CASE_IDS = [c.id for c in CASES]
BY_ID = {c.id: c for c in CASES}


# --------------------------------------------------------------------- mp references
_CACHE: dict = {}


def _reference(case, kind, x):
    """(ref, floor, sens) for kind 'value' or 'deriv' at the float x, as mpf (cached)."""
    key = (case.id, kind, float(x).hex())
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    p = case.ref_params
    if kind == "value":
        fn, floor_fn, sens_fn = case.ref, None, case.sens
    else:
        fn, floor_fn, sens_fn = case.dref, case.dfloor, case.dsens
    r = R.evaluate(fn, x, **p)
    floor = abs(R.evaluate(floor_fn, x, **p)) if floor_fn is not None else abs(r)
    sens = abs(R.evaluate(sens_fn, x, **p)) if sens_fn is not None else mpf(0)
    _CACHE[key] = (r, max(floor, abs(r)), sens)
    return _CACHE[key]


def _tolerance(case, kind, xi, dtype):
    """(reference, tolerance) at the float ``xi`` as mpf, following the module docstring."""
    r, floor, sens = _reference(case, kind, xi)
    ax = abs(mpf(float(xi)))
    mult = min(max(1, ax), 1024)
    if sens and r:  # gelu: a subnormal factor times the condition number
        mult = max(mult, min(ax * sens / abs(r), 2**16))
    tol = RTOL[dtype] * floor + ATOL_SUB[dtype] * mult + K_COND * UNIT[dtype] * ax * sens
    return r, tol


_FCACHE: dict = {}


def _ref_tol_float(case, kind, xi, dtype):
    """(reference, tolerance) as floats, plus both as mpf (cached); the float tolerance
    includes one ulp of the reference for its rounding. An overflowing reference is ±inf."""
    key = (case.id, kind, float(xi).hex(), dtype.str)
    hit = _FCACHE.get(key)
    if hit is None:
        with mp.workdps(40):
            r, tol = _tolerance(case, kind, xi, dtype)
            if abs(r) >= OVERFLOW[dtype]:
                rf = math.copysign(math.inf, r)
            else:
                rf = float(r)
                rf = rf if math.isfinite(rf) else math.copysign(1.7976931348623157e308, rf)
            hit = (rf, float(tol) + math.ulp(rf) if math.isfinite(rf) else 0.0, r, tol)
        _FCACHE[key] = hit
    return hit


def _overflows(case, kind, xi, dtype, g=None):
    r = _ref_tol_float(case, kind, xi, np.dtype(dtype))[2]
    with mp.workdps(40):
        return abs(r if g is None else r * mpf(float(g))) >= OVERFLOW[np.dtype(dtype)]


def _mismatches(case, kind, x, got, dtype, gout=None, limit=8):
    """Compare ``got`` (result for inputs ``x``) with the mp reference; list the failures."""
    dtype = np.dtype(dtype)
    xs = np.asarray(x, dtype=np.float64).ravel()
    ys = np.asarray(got).astype(np.float64).ravel()
    assert ys.shape == xs.shape, f"{case}: result shape {np.shape(got)}"
    refs = [_ref_tol_float(case, kind, xi, dtype) for xi in xs]
    r = np.array([t[0] for t in refs], dtype=np.float64)
    tol = np.array([t[1] for t in refs], dtype=np.float64)
    with np.errstate(all="ignore"):
        if gout is not None:  # backward: the reference is g * f'(x)
            g = np.asarray(gout, dtype=np.float64).ravel()
            r = r * g
            tol = tol * np.abs(g) + ATOL_SUB[dtype] + np.spacing(np.abs(r))
            for i in np.flatnonzero(~np.isfinite(r) | (np.abs(r) >= 1e300)):
                with mp.workdps(40):  # f' beyond the range, g * f' perhaps not
                    rg = refs[i][2] * mpf(float(g[i]))
                    if abs(rg) < OVERFLOW[dtype]:
                        r[i] = float(rg)
                        tol[i] = float(refs[i][3] * abs(mpf(float(g[i])))) + math.ulp(r[i])
        over = np.abs(r) >= float(OVERFLOW[dtype])
        err = np.abs(ys - r)
        ok = np.where(over, ys == np.where(r > 0, np.inf, -np.inf),
                      np.isfinite(ys) & (err <= tol))
        rel = err / np.abs(r)
    bad = [f"x={xs[i]!r}: got {ys[i]!r}, reference {r[i]!r}, rel.err {rel[i]:.3g}"
           for i in np.flatnonzero(~ok)]
    if len(bad) > limit:
        bad = [*bad[:limit], f"... and {len(bad) - limit} more"]
    return bad


def _assert_matches(case, kind, x, got, dtype, gout=None, what=""):
    bad = _mismatches(case, kind, x, got, dtype, gout)
    assert not bad, f"{case.id} {what or kind} ({np.dtype(dtype)}):\n  " + "\n  ".join(bad)


def _quiet(fn, *args):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args)


def _assert_le(err, tol, msg=""):
    """Elementwise ``err <= tol`` (broadcast); on failure report the worst entries."""
    err, tol = np.broadcast_arrays(np.asarray(err, dtype=np.float64),
                                   np.asarray(tol, dtype=np.float64))
    bad = ~(err <= tol)
    if bad.any():
        idx = np.argwhere(bad)[:6]
        lines = [f"at {tuple(int(v) for v in i)}: error {err[tuple(i)]!r} > tol "
                 f"{tol[tuple(i)]!r}" for i in idx]
        raise AssertionError(f"{msg} {int(bad.sum())} entries out of tolerance:\n  "
                             + "\n  ".join(lines))


# ------------------------------------------------------------------------------ grids
def _grid():
    g = set(np.linspace(-50.0, 50.0, 401).tolist())
    g |= {50.0 * math.sin(k) for k in range(1, 161)}  # irregular points
    small = [1e-300, 1e-200, 1e-100, 1e-30, 1e-16, 1e-8, 1e-5, 1e-3, 0.01, 0.1, 0.3]
    g |= set(small) | {-v for v in small}
    # around the zeros of silu', mish', gelu' and the thresholds of the float formulas
    g |= {-1.2784645427610738, -1.1924, -0.7517916243304, -0.75179, 18.0, 19.5, 36.7,
          37.5, 33.3, -33.3, -36.7, -37.5, -38.4}
    return np.array(sorted(g))


GRID = _grid()
EXTREMES = np.array([
    0.0, -0.0, 5e-324, -5e-324, 1e-310, -1e-310, 2.2250738585072014e-308,
    -2.2250738585072014e-308, 1e-300, -1e-300, 1e3, -1e3, 1e4, -1e4, 1e10, -1e10, 1e300,
    -1e300, 1.7e308, -1.7e308, 1.7976931348623157e308, -1.7976931348623157e308, 709.78,
    -709.78, 710.0, -710.0, 745.2, -745.2, 88.7, -88.7, 89.0, -89.0,
])
# the extremes sweep of the brief, per dtype (float32 / float16 equivalents)
SWEEP = {
    F64: [0.0, -0.0, 5e-324, 1e-310, 1e-300, 1.0, 88.7, 89.0, 709.8, 710.0, 1e10, 1e300,
          1.79e308],
    F32: [0.0, -0.0, 1.4e-45, 1e-40, 1e-38, 1.0, 88.7, 89.0, 103.5, 709.8, 710.0, 1e10,
          1e38, 3.4028235e38],
    F16: [0.0, -0.0, 6e-8, 1e-6, 1e-4, 1.0, 11.0, 11.1, 12.0, 88.7, 1e4, 6e4, 65504.0],
}


def _sweep(dtype):
    v = SWEEP[dtype]
    return np.array(v + [-t for t in v if t != 0.0], dtype=dtype)


def _rng(seed=0):
    return np.random.default_rng(seed)


def _gout(shape, dtype, seed=1):
    """A random upstream gradient (never all ones), exactly representable in dtype."""
    g = _rng(seed).uniform(-2.0, 2.0, size=shape)
    return np.asarray(g, dtype=dtype)


def _off_kinks(case, x):
    return x[~np.isin(x, np.array(case.kinks, dtype=x.dtype))] if case.kinks else x


# ============================================================ 1. float64 vs mpmath / SciPy
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_value_grid_float64(case):
    y = case.call(GRID)
    assert isinstance(y, np.ndarray) and y.dtype == F64 and y.shape == GRID.shape
    _assert_matches(case, "value", GRID, y, F64)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_value_extremes_float64(case):
    # values only: floating-point warnings/errors are the business of the errstate sweep
    y = _quiet(case.call, EXTREMES)
    _assert_matches(case, "value", EXTREMES, y, F64)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_class_call_matches_reference(case):
    y = case.make()(GRID)
    assert isinstance(y, np.ndarray) and y.dtype == F64
    _assert_matches(case, "value", GRID, y, F64, what="Class()(x)")


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_gradient_grid_float64(case):
    x = _off_kinks(case, GRID)
    d = case.make().gradient(x)
    assert isinstance(d, np.ndarray) and d.dtype == F64 and d.shape == x.shape
    _assert_matches(case, "deriv", x, d, F64, what="gradient")


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_gradient_extremes_float64(case):
    x = _off_kinks(case, EXTREMES)
    d = _quiet(case.make().gradient, x)
    _assert_matches(case, "deriv", x, d, F64, what="gradient")


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_backward_grid_float64(case):
    x = _off_kinks(case, GRID)
    x = x[: 2 * (x.size // 2)].reshape(2, -1)  # 2-D, to check the shape is kept
    g = _gout(x.shape, F64)
    b = case.make().backward(x, g)
    assert isinstance(b, np.ndarray) and b.shape == x.shape and b.dtype == F64
    _assert_matches(case, "deriv", x, b, F64, gout=g, what="backward")


def _scipy_refs():
    x = GRID[np.abs(GRID) <= 30]
    return x, {
        "sigmoid": sc.expit(x),
        "log_sigmoid": sc.log_expit(x),
        "silu": x * sc.expit(x),
        "gelu": x * sc.ndtr(x),
        "softplus": np.logaddexp(0.0, x),
        "tanh": np.tanh(x),
        "exponential": np.exp(x),
        "elu": np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
    }


@pytest.mark.parametrize("name", ["sigmoid", "log_sigmoid", "silu", "gelu", "softplus",
                                  "tanh", "exponential", "elu"])
def test_value_matches_scipy(name):
    """A second, independent reference: SciPy / NumPy's special functions."""
    x, refs = _scipy_refs()
    y = getattr(A, name)(x)
    # two few-ulp computations of the same number: 1e-13 relative (x Phi(x) at x = -30 has
    # condition ~900, so gelu gets the same conditioning allowance as against mpmath)
    tol = 1e-13 * np.abs(refs[name])
    if name == "gelu":
        tol = tol + 8 * 2.0**-53 * np.abs(refs[name]) * (1 + x * x)
    _assert_le(np.abs(y - refs[name]), tol + 1e-300)


@pytest.mark.parametrize("case", [BY_ID[k] for k in ("gelu", "gelu[approximate=True]", "silu",
                                                     "mish", "squareplus", "tanh_shrink",
                                                     "softplus[beta=3]", "celu[alpha=0.5]",
                                                     "selu", "log_sigmoid", "sigmoid")],
                         ids=lambda c: c.id)
def test_reference_derivative_is_derivative_of_reference(case):
    """Self-check of tests/reference: each analytic d_* equals mpmath's numerical diff."""
    p = case.ref_params
    for x in (-20.3, -3.1, -0.6, 0.4, 2.7, 15.2):
        a = R.evaluate(case.dref, x, **p)
        b = R.mp_diff(case.ref, x, **p)
        assert abs(a - b) <= mpf("1e-30") * abs(a), (case.id, x, a, b)


# ===================================================== 2. the kinks, value and derivative
S = 1.0507009873554804934193349852946
SA = 1.7580993408473768599402175208123  # scale * alpha of selu

# (case id, x, f(x), f'(x)) with the conventions of the contract (PyTorch's)
KINKS = [
    ("relu", 0.0, 0.0, 0.0), ("relu", -1.0, 0.0, 0.0), ("relu", 2.0, 2.0, 1.0),
    ("relu[negative_slope=0.25]", 0.0, 0.0, 0.25),
    ("relu[negative_slope=0.25]", -2.0, -0.5, 0.25),
    ("relu[max_value=6]", 6.0, 6.0, 0.0), ("relu[max_value=6]", 7.0, 6.0, 0.0),
    ("relu[max_value=6]", 0.0, 0.0, 0.0), ("relu[max_value=6]", 5.5, 5.5, 1.0),
    ("relu[max_value=4.5]", 4.5, 4.5, 0.0), ("relu[max_value=4.5]", 0.0, 0.0, 0.0),
    ("relu[max_value=4.5]", 4.25, 4.25, 1.0), ("relu[max_value=4.5]", 9.0, 4.5, 0.0),
    ("relu[threshold=1]", 1.0, 0.0, 0.0), ("relu[threshold=1]", 0.5, 0.0, 0.0),
    ("relu[threshold=1]", 1.5, 1.5, 1.0), ("relu[threshold=1]", -3.0, 0.0, 0.0),
    ("relu[negative_slope=0.5,max_value=4,threshold=1]", 1.0, 0.0, 0.5),
    ("relu[negative_slope=0.5,max_value=4,threshold=1]", -1.0, -1.0, 0.5),
    ("relu[negative_slope=0.5,max_value=4,threshold=1]", 0.0, -0.5, 0.5),
    ("relu[negative_slope=0.5,max_value=4,threshold=1]", 2.0, 2.0, 1.0),
    ("relu[negative_slope=0.5,max_value=4,threshold=1]", 4.0, 4.0, 0.0),
    ("relu[negative_slope=0.5,max_value=4,threshold=1]", 5.0, 4.0, 0.0),
    ("relu[negative_slope=0.1,max_value=6]", 0.0, 0.0, 0.1),
    ("relu[negative_slope=0.1,max_value=6]", -5.0, -0.5, 0.1),
    ("relu[negative_slope=0.1,max_value=6]", 6.0, 6.0, 0.0),
    ("relu6", 0.0, 0.0, 0.0), ("relu6", 6.0, 6.0, 0.0), ("relu6", 3.0, 3.0, 1.0),
    ("relu6", -1.0, 0.0, 0.0), ("relu6", 7.0, 6.0, 0.0),
    ("leaky_relu", 0.0, 0.0, 0.01), ("leaky_relu", -1.0, -0.01, 0.01),
    ("leaky_relu", 1.0, 1.0, 1.0),
    ("leaky_relu[negative_slope=0.2]", 0.0, 0.0, 0.2),
    ("leaky_relu[negative_slope=0.2]", -2.0, -0.4, 0.2),
    ("rrelu", 0.0, 0.0, _SLOPE_RRELU), ("rrelu", -2.0, -2 * _SLOPE_RRELU, _SLOPE_RRELU),
    ("rrelu", 1.0, 1.0, 1.0),
    ("rrelu[lower=0.1,upper=0.3]", -1.0, -0.2, 0.2),
    ("prelu[weight=0.25]", 0.0, 0.0, 0.25), ("prelu[weight=0.25]", -4.0, -1.0, 0.25),
    ("prelu[weight=0.25]", 3.0, 3.0, 1.0),
    ("hard_sigmoid", -3.0, 0.0, 0.0), ("hard_sigmoid", 3.0, 1.0, 0.0),
    ("hard_sigmoid", 0.0, 0.5, 1 / 6), ("hard_sigmoid", -4.0, 0.0, 0.0),
    ("hard_sigmoid", 4.0, 1.0, 0.0), ("hard_sigmoid", 1.5, 0.75, 1 / 6),
    ("sparse_sigmoid", -1.0, 0.0, 0.0), ("sparse_sigmoid", 1.0, 1.0, 0.0),
    ("sparse_sigmoid", 0.0, 0.5, 0.5), ("sparse_sigmoid", 0.5, 0.75, 0.5),
    ("sparse_sigmoid", -2.0, 0.0, 0.0), ("sparse_sigmoid", 2.0, 1.0, 0.0),
    ("hard_silu", -3.0, 0.0, 0.0), ("hard_silu", 3.0, 3.0, 1.0),
    ("hard_silu", 0.0, 0.0, 0.5), ("hard_silu", -4.0, 0.0, 0.0), ("hard_silu", 4.0, 4.0, 1.0),
    ("hard_silu", -1.5, -0.375, 0.0),
    ("hard_swish", -3.0, 0.0, 0.0), ("hard_swish", 3.0, 3.0, 1.0),
    ("hard_tanh", -1.0, -1.0, 0.0), ("hard_tanh", 1.0, 1.0, 0.0), ("hard_tanh", 0.0, 0.0, 1.0),
    ("hard_tanh", -2.0, -1.0, 0.0), ("hard_tanh", 2.0, 1.0, 0.0),
    ("hard_tanh[min_val=-2,max_val=3]", -2.0, -2.0, 0.0),
    ("hard_tanh[min_val=-2,max_val=3]", 3.0, 3.0, 0.0),
    ("hard_tanh[min_val=-2,max_val=3]", -3.0, -2.0, 0.0),
    ("hard_tanh[min_val=-2,max_val=3]", 2.5, 2.5, 1.0),
    ("hard_shrink", 0.5, 0.0, 0.0), ("hard_shrink", -0.5, 0.0, 0.0),
    ("hard_shrink", 0.75, 0.75, 1.0), ("hard_shrink", -0.75, -0.75, 1.0),
    ("hard_shrink", 0.0, 0.0, 0.0), ("hard_shrink", 0.25, 0.0, 0.0),
    ("hard_shrink[threshold=1.5]", 1.5, 0.0, 0.0), ("hard_shrink[threshold=1.5]", 2.0, 2.0, 1.0),
    ("soft_shrink", 0.5, 0.0, 0.0), ("soft_shrink", -0.5, 0.0, 0.0),
    ("soft_shrink", 0.75, 0.25, 1.0), ("soft_shrink", -0.75, -0.25, 1.0),
    ("soft_shrink", 0.0, 0.0, 0.0),
    ("soft_shrink[threshold=1.5]", 1.5, 0.0, 0.0), ("soft_shrink[threshold=1.5]", 2.0, 0.5, 1.0),
    ("soft_shrink[threshold=1.5]", -2.0, -0.5, 1.0),
    ("threshold[0.5,-7]", 0.5, -7.0, 0.0), ("threshold[0.5,-7]", 0.75, 0.75, 1.0),
    ("threshold[0.5,-7]", 0.25, -7.0, 0.0),
    ("threshold[-1,2]", -1.0, 2.0, 0.0), ("threshold[-1,2]", -0.5, -0.5, 1.0),
    ("elu", 0.0, 0.0, 1.0), ("elu[alpha=2]", 0.0, 0.0, 2.0), ("elu[alpha=0.5]", 0.0, 0.0, 0.5),
    ("elu[alpha=2]", 1.0, 1.0, 1.0),
    ("celu", 0.0, 0.0, 1.0), ("celu[alpha=2]", 0.0, 0.0, 1.0), ("celu[alpha=0.5]", 0.0, 0.0, 1.0),
    ("selu", 0.0, 0.0, SA), ("selu", 1.0, S, S), ("selu", 2.0, 2 * S, S),
    ("sparse_plus", -1.0, 0.0, 0.0), ("sparse_plus", 1.0, 1.0, 1.0),
    ("sparse_plus", 0.0, 0.25, 0.5), ("sparse_plus", -2.0, 0.0, 0.0),
    ("sparse_plus", 2.0, 2.0, 1.0), ("sparse_plus", 0.5, 0.5625, 0.75),
    ("linear", 0.0, 0.0, 1.0), ("linear", -2.5, -2.5, 1.0),
    ("exponential", 0.0, 1.0, 1.0),
    ("sigmoid", 0.0, 0.5, 0.25), ("tanh", 0.0, 0.0, 1.0), ("softsign", 0.0, 0.0, 1.0),
    ("softsign", 1.0, 0.5, 0.25), ("softsign", -3.0, -0.75, 0.0625),
    ("silu", 0.0, 0.0, 0.5), ("gelu", 0.0, 0.0, 0.5), ("gelu[approximate=True]", 0.0, 0.0, 0.5),
    ("mish", 0.0, 0.0, 0.6),  # mish'(0) = tanh(log 2) = (4 - 1) / (4 + 1)
    ("tanh_shrink", 0.0, 0.0, 0.0), ("squareplus", 0.0, 1.0, 0.5),
    ("softplus", 0.0, math.log(2.0), 0.5), ("softplus[beta=2]", 0.0, math.log(2.0) / 2, 0.5),
    ("log_sigmoid", 0.0, -math.log(2.0), 0.5),
]


@pytest.mark.parametrize("dtype", [F64, F32], ids=str)
@pytest.mark.parametrize(("cid", "x", "fx", "dfx"), KINKS,
                         ids=[f"{k[0]}@{k[1]}" for k in KINKS])
def test_kink_table(cid, x, fx, dfx, dtype):
    case = BY_ID[cid]
    rtol = 1e-15 if dtype == F64 else 2.5e-7
    xa = np.array([x, x], dtype=dtype)
    inst = case.make()
    y, d = case.call(xa), inst.gradient(xa)
    b = inst.backward(xa, np.array([-2.5, 0.75], dtype=dtype))
    assert y.dtype == dtype and d.dtype == dtype and b.dtype == dtype
    np.testing.assert_allclose(y, [fx, fx], rtol=rtol, atol=0, err_msg=f"{cid}({x})")
    np.testing.assert_allclose(inst(xa), [fx, fx], rtol=rtol, atol=0,
                               err_msg=f"{cid} class({x})")
    np.testing.assert_allclose(d, [dfx, dfx], rtol=rtol, atol=0, err_msg=f"{cid}'({x})")
    np.testing.assert_allclose(b, [-2.5 * dfx, 0.75 * dfx], rtol=rtol, atol=0,
                               err_msg=f"{cid} backward({x})")


# ============================================================= 3. the axis activations
AXIS_SHAPES = [((7,), 0), ((7,), -1), ((4, 6), 0), ((4, 6), 1), ((4, 6), -1), ((4, 6), -2),
               ((3, 4, 5), 0), ((3, 4, 5), 1), ((3, 4, 5), 2), ((3, 4, 5), -1)]
AXIS_IDS = [f"{s}-axis{a}" for s, a in AXIS_SHAPES]


def _axis_input(shape, scale, seed):
    return _rng(seed).normal(0.0, scale, size=shape)


def _softmax_tol(x, axis, r):
    # the shift x - max(x) is rounded (by SciPy too): relative 4u|x - max| on top of 1e-13
    shift = np.abs(x - np.max(x, axis=axis, keepdims=True))
    return r * (1e-13 + 4 * 2.0**-53 * shift) + 4 * 2.0**-1074


@pytest.mark.parametrize("scale", [3.0, 300.0], ids=["narrow", "wide"])
@pytest.mark.parametrize(("shape", "axis"), AXIS_SHAPES, ids=AXIS_IDS)
def test_softmax_vs_scipy(shape, axis, scale):
    x = _axis_input(shape, scale, 3)
    r = sc.softmax(x, axis=axis)
    for y in (A.softmax(x, axis=axis), A.Softmax(axis=axis)(x)):
        assert y.shape == x.shape and y.dtype == F64
        _assert_le(np.abs(y - r), _softmax_tol(x, axis, r) + 1e-320)


@pytest.mark.parametrize("scale", [3.0, 300.0], ids=["narrow", "wide"])
@pytest.mark.parametrize(("shape", "axis"), AXIS_SHAPES, ids=AXIS_IDS)
def test_softmin_vs_scipy(shape, axis, scale):
    x = _axis_input(shape, scale, 4)
    r = sc.softmax(-x, axis=axis)
    for y in (A.softmin(x, axis=axis), A.Softmin(axis=axis)(x)):
        assert y.shape == x.shape and y.dtype == F64
        _assert_le(np.abs(y - r), _softmax_tol(-x, axis, r) + 1e-320)


@pytest.mark.parametrize("scale", [3.0, 300.0], ids=["narrow", "wide"])
@pytest.mark.parametrize(("shape", "axis"), AXIS_SHAPES, ids=AXIS_IDS)
def test_log_softmax_vs_scipy(shape, axis, scale):
    x = _axis_input(shape, scale, 5)
    r = sc.log_softmax(x, axis=axis)
    # relative 1e-13, and 8 ulps of 1 absolute for the entries next to 0 (the row maximum)
    tol = 1e-13 * np.abs(r) + 8 * 2.0**-53
    for y in (A.log_softmax(x, axis=axis), A.LogSoftmax(axis=axis)(x)):
        assert y.shape == x.shape and y.dtype == F64
        _assert_le(np.abs(y - r), tol)


def test_axis_default_is_last():
    x = _axis_input((3, 5), 2.0, 6)
    np.testing.assert_allclose(A.softmax(x), sc.softmax(x, axis=-1), rtol=1e-13)
    np.testing.assert_allclose(A.log_softmax(x), sc.log_softmax(x, axis=-1), rtol=1e-13,
                               atol=1e-15)
    np.testing.assert_allclose(A.softmin(x), sc.softmax(-x, axis=-1), rtol=1e-13)
    a, b = x[:, :2], x[:, 2:4]
    x4 = x[:, :4]
    np.testing.assert_allclose(A.glu(x4), a * sc.expit(b), rtol=1e-13)


def _sparsemax_ref(x, axis):
    xm = np.moveaxis(x, axis, -1)
    out = np.empty_like(xm)
    taus = np.empty(xm.shape[:-1])
    for idx in np.ndindex(*xm.shape[:-1]):
        row = [Fraction(float(v)) for v in xm[idx]]
        tau = R.sparsemax_tau(row)
        out[idx] = [float(max(v - tau, Fraction(0))) for v in row]
        taus[idx] = float(tau)
    return np.moveaxis(out, -1, axis), np.moveaxis(taus[..., None], -1, axis)


@pytest.mark.parametrize("scale", [0.5, 2.0, 50.0], ids=["s0.5", "s2", "s50"])
@pytest.mark.parametrize(("shape", "axis"), AXIS_SHAPES, ids=AXIS_IDS)
def test_sparsemax_vs_exact_projection(shape, axis, scale):
    x = _axis_input(shape, scale, 7)
    p, tau = _sparsemax_ref(x, axis)
    amax = np.max(np.abs(x), axis=axis, keepdims=True)
    tol = 8 * 2.0**-53 * np.maximum(amax, 1.0)  # z_i - tau: a few ulps of the inputs
    for y in (A.sparsemax(x, axis=axis), A.Sparsemax(axis=axis)(x)):
        assert y.shape == x.shape and y.dtype == F64
        _assert_le(np.abs(y - p), tol + 1e-300)
        assert np.all(y >= 0)
        np.testing.assert_allclose(np.sum(y, axis=axis), 1.0, rtol=0, atol=1e-13)
        # exact zeros off the support (when the margin is not within rounding)
        assert np.all(y[(x - tau) < -tol] == 0)


def test_sparsemax_references_agree():
    """Self-check: the exact sorted-threshold projection equals bisection on tau."""
    rng = _rng(8)
    for _ in range(20):
        row = rng.normal(0, 1.5, size=7)
        a = R.sparsemax_exact(row)
        b = R.sparsemax_bisect(row)
        for u, v in zip(a, b, strict=True):
            assert abs(float(u) - float(v)) < 1e-40 + 1e-15
        assert sum(a) == 1


@pytest.mark.parametrize(("shape", "axis"),
                         [((6,), 0), ((4, 6), -1), ((4, 6), 0), ((4, 6), 1), ((2, 6, 4), 1),
                          ((2, 4, 6), 2), ((8, 3, 2), 0)],
                         ids=lambda v: str(v))
def test_glu_vs_a_times_expit_b(shape, axis):
    x = _axis_input(shape, 4.0, 9)
    a, b = np.split(x, 2, axis=axis)
    r = a * sc.expit(b)
    for y in (A.glu(x, axis=axis), A.GLU(axis=axis)(x)):
        assert y.shape == r.shape and y.dtype == F64
        np.testing.assert_allclose(y, r, rtol=1e-13, atol=1e-300)


# ---- Jacobians (axis -1, where the layout is unambiguous) and VJPs (every axis)
def _jac_softmax(row):
    s = R.softmax_mp(row)
    n = len(s)
    return np.array([[float(s[i] * ((1 if i == j else 0) - s[j])) for j in range(n)]
                     for i in range(n)])


def _jac_log_softmax(row):
    s = R.softmax_mp(row)
    n = len(s)
    return np.array([[float((1 if i == j else 0) - s[j]) for j in range(n)] for i in range(n)])


def _jac_softmin(row):
    return -_jac_softmax([-v for v in row])


def _jac_sparsemax(row):
    p = R.sparsemax_exact(row)
    sup = [1.0 if v > 0 else 0.0 for v in p]
    k = sum(sup)
    return np.array([[sup[i] * ((1.0 if i == j else 0.0) - sup[j] / k) for j in range(len(p))]
                     for i in range(len(p))])


def _jac_glu(row):
    n = len(row) // 2
    a, b = row[:n], row[n:]
    J = np.zeros((n, 2 * n))
    with mp.workdps(50):
        for i in range(n):
            sb = R.sigmoid(mpf(float(b[i])))
            J[i, i] = float(sb)
            J[i, n + i] = float(mpf(float(a[i])) * sb * (1 - sb))
    return J


JACOBIANS = {  # function name: (class name, reference Jacobian of one row)
    "softmax": ("Softmax", _jac_softmax),
    "log_softmax": ("LogSoftmax", _jac_log_softmax),
    "softmin": ("Softmin", _jac_softmin),
    "sparsemax": ("Sparsemax", _jac_sparsemax),
    "glu": ("GLU", _jac_glu),
}


def _ref_jacobian(name, x):
    """Reference Jacobian along the last axis, shape x.shape[:-1] + (m, n)."""
    jf = JACOBIANS[name][1]
    rows = x.reshape(-1, x.shape[-1])
    Js = [jf(list(r)) for r in rows]
    return np.array(Js).reshape(*x.shape[:-1], *Js[0].shape)


@pytest.mark.parametrize("name", list(JACOBIANS))
@pytest.mark.parametrize("shape", [(6,), (3, 6), (2, 3, 4)], ids=str)
def test_axis_jacobian_last_axis(name, shape):
    x = _axis_input(shape, 1.5, 10)
    J = getattr(A, JACOBIANS[name][0])().gradient(x)
    Jr = _ref_jacobian(name, x)
    assert J.shape == Jr.shape, f"{name}: Jacobian shape {J.shape}, expected {Jr.shape}"
    np.testing.assert_allclose(J, Jr, rtol=1e-13, atol=4e-16)


@pytest.mark.parametrize("name", list(JACOBIANS))
@pytest.mark.parametrize(("shape", "axis"),
                         [((6,), 0), ((3, 6), -1), ((4, 6), 0), ((2, 6, 4), 1), ((2, 4, 6), 2),
                          ((6, 2, 2), -3)],
                         ids=lambda v: str(v))
def test_axis_backward_is_vjp(name, shape, axis):
    x = _axis_input(shape, 1.5, 11)
    xm = np.moveaxis(x, axis, -1)
    Jr = _ref_jacobian(name, xm)  # (..., m, n)
    g = _gout(Jr.shape[:-1], F64, seed=12)  # upstream gradient, shape of y (axis last)
    ref = np.einsum("...i,...ij->...j", g, Jr)
    scale = np.einsum("...i,...ij->...j", np.abs(g), np.abs(Jr))
    g_in = np.moveaxis(g, -1, axis)
    b = getattr(A, JACOBIANS[name][0])(axis=axis).backward(x, g_in)
    assert b.shape == x.shape
    _assert_le(np.abs(np.moveaxis(b, axis, -1) - ref), 1e-13 * scale + 1e-16)


# ================================================= 4. dtype x function sweep, 0-d inputs
DTYPES = ["float16", "float32", "float64", "int32", "int64", "bool"]


def _dtype_grid(dtype):
    if dtype == "bool":
        return np.array([False, True, True, False])
    if dtype.startswith("int"):
        return np.arange(-6, 7, dtype=dtype)
    x = np.arange(-6.0, 6.0 + 1 / 16, 1 / 8)  # representable in float16
    tiny = [2.0**-10, 2.0**-14, 2.0**-20, 2.0**-24, 0.1, 1 / 3]
    return np.concatenate([x, tiny, [-t for t in tiny]]).astype(dtype)


def _tol_dtype(dtype):
    return RESULT_DTYPE[dtype] if dtype in RESULT_DTYPE else np.dtype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_dtype_sweep(case, dtype):
    x = _dtype_grid(dtype)
    x64 = x.astype(np.float64)  # exact
    want = RESULT_DTYPE[dtype]
    inst = case.make()
    y = case.call(x)
    assert isinstance(y, np.ndarray) and y.dtype == want, f"{case.id}: dtype {y.dtype}"
    _assert_matches(case, "value", x64, y, want)
    xd = x[~np.isin(x64, np.array(case.kinks))] if case.kinks else x
    d = inst.gradient(xd)
    assert d.dtype == want, f"{case.id}: gradient dtype {d.dtype}"
    _assert_matches(case, "deriv", xd.astype(np.float64), d, want, what="gradient")
    g = _gout(xd.shape, want, seed=13)
    b = inst.backward(xd, g)
    assert b.dtype == want, f"{case.id}: backward dtype {b.dtype}"
    _assert_matches(case, "deriv", xd.astype(np.float64), b, want, gout=g, what="backward")


AXIS_FUNCS = ["softmax", "log_softmax", "softmin", "sparsemax", "glu"]


def _axis_reference(name, x64):
    if name == "softmax":
        return sc.softmax(x64, axis=-1)
    if name == "softmin":
        return sc.softmax(-x64, axis=-1)
    if name == "log_softmax":
        return sc.log_softmax(x64, axis=-1)
    if name == "sparsemax":
        return _sparsemax_ref(x64, -1)[0]
    a, b = np.split(x64, 2, axis=-1)
    return a * sc.expit(b)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", AXIS_FUNCS)
def test_dtype_sweep_axis(name, dtype):
    if dtype == "bool":
        x = np.array([[True, False, True, True], [False, False, True, False]])
    elif dtype.startswith("int"):
        x = np.arange(-6, 6, dtype=dtype).reshape(3, 4)
    else:
        x = (np.arange(-6.0, 6.0, 0.5).reshape(4, 6)).astype(dtype)
    x64 = x.astype(np.float64)
    want = RESULT_DTYPE[dtype]
    y = getattr(A, name)(x)
    assert y.dtype == want, f"{name}: dtype {y.dtype}"
    r = _axis_reference(name, x64)
    rtol = {F64: 1e-13, F32: 2e-6, F16: 1e-3}[want]
    atol = {F64: 1e-15, F32: 1e-7, F16: 2.0**-24}[want]
    np.testing.assert_allclose(y.astype(np.float64), r, rtol=rtol, atol=atol * 4)


SCALARS = [
    ("np.float16", np.float16(0.75), F16), ("np.float32", np.float32(-1.25), F32),
    ("np.float64", np.float64(2.5), F64), ("python float", -0.375, F64),
    ("python int", 2, F64), ("np.int64", np.int64(-3), F64), ("python bool", True, F64),
]


@pytest.mark.parametrize(("label", "x", "want"), SCALARS, ids=[s[0] for s in SCALARS])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_zero_d_input_gives_numpy_scalar(case, label, x, want):
    y = case.call(x)
    assert isinstance(y, np.generic) and not isinstance(y, np.ndarray), type(y)
    assert y.dtype == want
    x64 = np.array([float(x)])
    _assert_matches(case, "value", x64, np.array([y]), want)
    yc = case.make()(np.asarray(x))
    assert isinstance(yc, np.generic) and yc.dtype == want
    xf = float(x)
    if xf not in case.kinks:
        d = case.make().gradient(np.asarray(x))
        assert np.ndim(d) == 0 and np.asarray(d).dtype == want
        _assert_matches(case, "deriv", x64, np.array([d]), want, what="gradient")


def test_python_scalar_parameters_are_weak():
    x = np.linspace(-3, 3, 13, dtype=np.float32)
    for y in (A.relu(x, negative_slope=0.1, max_value=2.0, threshold=0.5),
              A.leaky_relu(x, negative_slope=0.3), A.elu(x, alpha=2.0),
              A.softplus(x, beta=3.0), A.hard_tanh(x, min_val=-2.0, max_val=2.5),
              A.threshold(x, threshold=0.5, default_value=-1.0), A.squareplus(x, b=2.0),
              A.celu(x, alpha=0.5), A.prelu(x, 0.2), A.soft_shrink(x, threshold=1.0)):
        assert y.dtype == F32


# ======================================= 5. extremes under np.errstate(all="raise"), inf, NaN
def _split_overflow(case, x, g, dtype):
    """Mask of the points where the exact value, f' or g*f' is beyond the dtype's range."""
    with mp.workdps(40):
        return np.array([
            _overflows(case, "value", xi, dtype) or _overflows(case, "deriv", xi, dtype)
            or _overflows(case, "deriv", xi, dtype, gi)
            for xi, gi in zip(x.astype(np.float64), g.astype(np.float64), strict=True)])


def _run_all(case, x, g, scalars=False):
    inst = case.make()
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        out = {"value": case.call(x), "Class()(x)": inst(x), "gradient": inst.gradient(x),
               "backward": inst.backward(x, g)}
        if scalars:  # the 0-d path as well
            out["0-d value"] = np.array([case.call(v) for v in x])
    return out


def _check_all(case, x, g, out, dtype):
    x64 = x.astype(np.float64)
    for name, arr in out.items():
        assert arr.dtype == dtype, f"{case.id} {name} dtype {arr.dtype}"
        assert not np.any(np.isnan(arr)), f"{case.id} {name}: NaN at x={x[np.isnan(arr)]}"
        kind = "value" if "value" in name or "Class" in name else "deriv"
        _assert_matches(case, kind, x64, arr, dtype, gout=g if name == "backward" else None,
                        what=name)


@pytest.mark.parametrize("dtype", [F64, F32, F16], ids=str)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_extremes_sweep_errstate_raise(case, dtype):
    """Finite extremes whose results are representable: no FP error, no NaN, right values."""
    x = _sweep(dtype)
    g = _gout(x.shape, dtype, seed=14)
    keep = ~_split_overflow(case, x, g, dtype)
    x, g = x[keep], g[keep]
    _check_all(case, x, g, _run_all(case, x, g, scalars=dtype == F64), dtype)


OVERFLOW_CASES = ["exponential", "selu", "prelu[weight=1.5]"]


@pytest.mark.parametrize("dtype", [F64, F32, F16], ids=str)
@pytest.mark.parametrize("case", [BY_ID[k] for k in OVERFLOW_CASES], ids=OVERFLOW_CASES)
def test_extremes_overflowing_result_is_inf_without_fp_error(case, dtype):
    """Finite input whose exact result is beyond the dtype's range: ±inf, and (DESIGN §2:
    no floating-point warning for any finite input) no FloatingPointError."""
    x = _sweep(dtype)
    g = _gout(x.shape, dtype, seed=14)
    over = _split_overflow(case, x, g, dtype)
    assert over.any()  # the sweep does reach this case's overflow
    x, g = x[over], g[over]
    _check_all(case, x, g, _run_all(case, x, g), dtype)


INF = math.inf
# case id: (f(-inf), f(+inf), f'(-inf), f'(+inf)) -- from the math
LIMITS = {
    "sigmoid": (0, 1, 0, 0), "hard_sigmoid": (0, 1, 0, 0), "sparse_sigmoid": (0, 1, 0, 0),
    "log_sigmoid": (-INF, 0, 1, 0),
    "relu": (0, INF, 0, 1), "relu[negative_slope=0.25]": (-INF, INF, 0.25, 1),
    "relu[max_value=4.5]": (0, 4.5, 0, 0), "relu[max_value=6]": (0, 6, 0, 0),
    "relu[threshold=1]": (0, INF, 0, 1),
    "relu[negative_slope=0.5,max_value=4,threshold=1]": (-INF, 4, 0.5, 0),
    "relu[negative_slope=0.1,max_value=6]": (-INF, 6, 0.1, 0),
    "relu6": (0, 6, 0, 0),
    "leaky_relu": (-INF, INF, 0.01, 1), "leaky_relu[negative_slope=0.2]": (-INF, INF, 0.2, 1),
    "rrelu": (-INF, INF, _SLOPE_RRELU, 1), "rrelu[lower=0.1,upper=0.3]": (-INF, INF, 0.2, 1),
    "prelu[weight=0.25]": (-INF, INF, 0.25, 1), "prelu[weight=1.5]": (-INF, INF, 1.5, 1),
    "elu": (-1, INF, 0, 1), "elu[alpha=0.5]": (-0.5, INF, 0, 1), "elu[alpha=2]": (-2, INF, 0, 1),
    "selu": (-SA, INF, 0, S),
    "celu": (-1, INF, 0, 1), "celu[alpha=0.5]": (-0.5, INF, 0, 1),
    "celu[alpha=2]": (-2, INF, 0, 1),
    "gelu": (0, INF, 0, 1), "gelu[approximate=True]": (0, INF, 0, 1),
    "silu": (0, INF, 0, 1), "swish": (0, INF, 0, 1),
    "hard_silu": (0, INF, 0, 1), "hard_swish": (0, INF, 0, 1), "mish": (0, INF, 0, 1),
    "softplus": (0, INF, 0, 1), "softplus[beta=2]": (0, INF, 0, 1),
    "softplus[beta=3]": (0, INF, 0, 1), "softplus[beta=0.5]": (0, INF, 0, 1),
    "sparse_plus": (0, INF, 0, 1),
    "squareplus": (0, INF, 0, 1), "squareplus[b=1]": (0, INF, 0, 1),
    "squareplus[b=0.3]": (0, INF, 0, 1),
    "softsign": (-1, 1, 0, 0), "tanh": (-1, 1, 0, 0),
    "hard_tanh": (-1, 1, 0, 0), "hard_tanh[min_val=-2,max_val=3]": (-2, 3, 0, 0),
    "tanh_shrink": (-INF, INF, 1, 1),
    "hard_shrink": (-INF, INF, 1, 1), "hard_shrink[threshold=1.5]": (-INF, INF, 1, 1),
    "soft_shrink": (-INF, INF, 1, 1), "soft_shrink[threshold=1.5]": (-INF, INF, 1, 1),
    "threshold[0.5,-7]": (-7, INF, 0, 1), "threshold[-1,2]": (2, INF, 0, 1),
    "exponential": (0, INF, 0, INF), "linear": (-INF, INF, 1, 1),
}


def test_limits_table_covers_every_case():
    assert set(LIMITS) == set(CASE_IDS)


def _assert_limit(got, want, what):
    got = float(got)
    if math.isinf(want):
        assert got == want, f"{what}: got {got!r}, limit {want!r}"
    else:
        assert not math.isnan(got) and got == pytest.approx(want, rel=4e-7, abs=0), \
            f"{what}: got {got!r}, limit {want!r}"


@pytest.mark.parametrize("dtype", [F64, F32], ids=str)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_infinity_limits(case, dtype):
    lo, hi, _, _ = LIMITS[case.id]
    x = np.array([-INF, INF, 1.0], dtype=dtype)
    y = _quiet(case.call, x)
    _assert_limit(y[0], lo, f"{case.id}(-inf)")
    _assert_limit(y[1], hi, f"{case.id}(+inf)")
    assert not np.isnan(y[2])


@pytest.mark.parametrize("dtype", [F64, F32], ids=str)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_infinity_limits_gradient(case, dtype):
    _, _, dlo, dhi = LIMITS[case.id]
    x = np.array([-INF, INF, 1.0], dtype=dtype)
    inst = case.make()
    d = _quiet(inst.gradient, x)
    _assert_limit(d[0], dlo, f"{case.id}'(-inf)")
    _assert_limit(d[1], dhi, f"{case.id}'(+inf)")
    b = _quiet(inst.backward, x, np.array([2.0, 2.0, 1.0], dtype=dtype))
    _assert_limit(b[0], 2 * dlo, f"{case.id} backward(-inf)")
    _assert_limit(b[1], 2 * dhi, f"{case.id} backward(+inf)")


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_infinity_input_emits_no_warning(case):
    """±inf is a legitimate input with a mathematical limit: computing it should not emit
    "invalid value" / "overflow" RuntimeWarnings (pytest runs with filterwarnings=error)."""
    x = np.array([-INF, INF])
    inst = case.make()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        case.call(x)
        inst.gradient(x)
        inst.backward(x, np.array([0.5, -1.5]))


NAN_X = np.array([1.5, np.nan, -2.25, 0.375])


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_nan_propagates(case):
    y = case.call(NAN_X)
    assert np.isnan(y[1]), f"{case.id}(nan) = {y[1]!r}"
    keep = [0, 2, 3]
    _assert_matches(case, "value", NAN_X[keep], y[keep], F64)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_nan_propagates_gradient(case):
    inst = case.make()
    d = inst.gradient(NAN_X)
    b = inst.backward(NAN_X, np.array([0.5, 0.5, 0.5, 0.5]))
    assert np.isnan(d[1]), f"{case.id}.gradient(nan) = {d[1]!r}"
    assert np.isnan(b[1]), f"{case.id}.backward(nan) = {b[1]!r}"
    keep = [i for i in (0, 2, 3) if NAN_X[i] not in case.kinks]
    _assert_matches(case, "deriv", NAN_X[keep], d[keep], F64, what="gradient")


@pytest.mark.parametrize("name", AXIS_FUNCS)
def test_axis_nan_stays_in_its_row(name):
    x = _axis_input((3, 6), 1.0, 15)
    x[1, 2] = np.nan
    y = getattr(A, name)(x, axis=-1)
    j = 2 if name != "glu" else None
    if name == "glu":  # x[1, 2] is in the first half: y[1, 2] = a * sigmoid(b) is NaN
        assert np.isnan(y[1, 2])
    else:
        assert np.isnan(y[1, j])
    clean = [0, 2]
    r = _axis_reference(name, x[clean])
    np.testing.assert_allclose(y[clean], r, rtol=1e-13, atol=1e-15)


# ---- axis functions on rows of extreme finite values, under np.errstate(all="raise")
ROW_A = [1e300, -1e300, 0.0, 5e-324, 709.8, -745.0, 1e10, -1e10]
ROW_B = [1.7976931348623157e308, -1.7976931348623157e308, 0.0, 1e300, -5e-324, 88.0]


def _axis_extreme_expected(name, row):
    """Expected outputs, from the math (one-hot where one entry dominates by > 1e300)."""
    n = len(row)
    if name in ("softmax", "sparsemax"):
        k = int(np.argmax(row))
        return np.eye(n)[k]
    if name == "softmin":
        return np.eye(n)[int(np.argmin(row))]
    if name == "log_softmax":
        m = max(row)
        with mp.workdps(60):  # x_i - max, correctly rounded (may round to -inf)
            return np.array([float(mpf(v) - mpf(m)) if mpf(v) - mpf(m) > -OVERFLOW[F64]
                             else -INF for v in row])
    h = n // 2
    return np.array([float(v) for v in R.glu_mp(row[:h], row[h:])])


@pytest.mark.parametrize("row", [ROW_A, ROW_B], ids=["row_1e300", "row_max_float"])
@pytest.mark.parametrize("name", AXIS_FUNCS)
def test_axis_extreme_rows_errstate_raise(name, row):
    x = np.array(row)
    inst = getattr(A, JACOBIANS[name][0])()
    n_out = len(row) // 2 if name == "glu" else len(row)
    g = _gout((n_out,), F64, seed=16)
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        y = getattr(A, name)(x)
        J = inst.gradient(x)
        b = inst.backward(x, g)
    assert not np.any(np.isnan(y)) and not np.any(np.isnan(J)) and not np.any(np.isnan(b))
    want = _axis_extreme_expected(name, row)
    fin = np.isfinite(want)
    np.testing.assert_array_equal(np.isinf(y), ~fin)
    atol = 0.0
    if name == "glu":  # a * sigmoid(b) with sigmoid(b) subnormal: |a| subnormal ulps
        atol = 4 * 2.0**-1074 * np.abs(x[: len(row) // 2])[fin]
    _assert_le(np.abs(y[fin] - want[fin]), 1e-13 * np.abs(want[fin]) + atol, name)
    if name in ("softmax", "softmin", "sparsemax"):  # one-hot output: zero Jacobian
        np.testing.assert_allclose(J, 0.0, atol=1e-300)
        np.testing.assert_allclose(b, 0.0, atol=1e-300)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin", "sparsemax"])
def test_axis_minus_inf_entries_are_masked(name):
    x = np.array([[-INF, 0.0, 1.0, -INF], [2.0, -INF, -1.0, 0.5]])
    y = getattr(A, name)(x)
    for i in range(2):
        fin = np.isfinite(x[i])
        if name == "sparsemax":
            r = _sparsemax_ref(x[i][fin], -1)[0]
        else:
            r = _axis_reference(name, x[i][fin][None])[0]
        masked = {"softmax": 0.0, "sparsemax": 0.0, "log_softmax": -INF,
                  "softmin": None}[name]
        if masked is not None:
            assert np.all(y[i][~fin] == masked), f"{name}: {y[i]}"
            np.testing.assert_allclose(y[i][fin], r, rtol=1e-13, atol=1e-15)
    if name == "softmin":  # a single -inf entry takes all the mass: the limit is one-hot
        # (row 0 has two -inf entries: inf - inf, no limit, nothing is asserted)
        np.testing.assert_array_equal(y[1], [0.0, 1.0, 0.0, 0.0])


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_axis_single_plus_inf_gives_the_limit(name):
    y = getattr(A, name)(np.array([0.0, INF, -3.0]))
    want = {"softmax": [0.0, 1.0, 0.0], "log_softmax": [-INF, 0.0, -INF]}[name]
    np.testing.assert_array_equal(y, want)


# ---- rrelu in training mode, prelu with an array weight
def test_rrelu_training_samples_slopes_in_bounds():
    x = np.concatenate([-np.linspace(0.01, 5.0, 20000), np.linspace(0.01, 5.0, 1000)])
    for lower, upper in ((1 / 8, 1 / 3), (0.2, 0.4)):
        y = A.rrelu(x, lower=lower, upper=upper, training=True, seed=123)
        y2 = A.rrelu(x, lower=lower, upper=upper, training=True, seed=123)
        y3 = A.rrelu(x, lower=lower, upper=upper, training=True, seed=124)
        np.testing.assert_array_equal(y, y2)  # reproducible with a seed
        assert np.mean(y != y3) > 0.9  # a different seed, different slopes
        neg = x < 0
        np.testing.assert_array_equal(y[~neg], x[~neg])
        slopes = y[neg] / x[neg]
        assert np.all(slopes >= lower * (1 - 1e-15)) and np.all(slopes <= upper * (1 + 1e-15))
        # uniform on [lower, upper]: mean and spread (20000 samples; 8 sigma bounds)
        sd = (upper - lower) / math.sqrt(12)
        assert abs(np.mean(slopes) - (lower + upper) / 2) < 8 * sd / math.sqrt(slopes.size)
        assert abs(np.std(slopes) - sd) < 0.02 * sd
        assert slopes.min() < lower + 0.01 * (upper - lower)
        assert slopes.max() > upper - 0.01 * (upper - lower)
    yc = A.RReLU(training=True, seed=5)(x)
    s = yc[x < 0] / x[x < 0]
    assert np.all((s >= 1 / 8 * (1 - 1e-15)) & (s <= 1 / 3 * (1 + 1e-15))) and s.std() > 0.05


def test_rrelu_eval_mode_is_leaky_with_mean_slope():
    x = np.linspace(-4, 4, 17)
    np.testing.assert_allclose(A.rrelu(x), np.where(x > 0, x, x * (1 / 8 + 1 / 3) / 2),
                               rtol=1e-15)
    np.testing.assert_allclose(A.rrelu(x, training=False, seed=3),
                               np.where(x > 0, x, x * (1 / 8 + 1 / 3) / 2), rtol=1e-15)


def test_prelu_weight_broadcasts():
    x = _axis_input((4, 3), 2.0, 17)
    x[0] = [0.0, -1.0, 2.0]
    w = np.array([0.1, 0.25, 2.0])
    np.testing.assert_allclose(A.prelu(x, w), np.where(x > 0, x, w * x), rtol=1e-15)
    wcol = np.array([[0.5], [1.0], [0.0], [3.0]])
    np.testing.assert_allclose(A.prelu(x, wcol), np.where(x > 0, x, wcol * x), rtol=1e-15)
    inst = A.PReLU(weight=w)
    np.testing.assert_allclose(inst(x), np.where(x > 0, x, w * x), rtol=1e-15)
    d = inst.gradient(x)
    assert d.shape == x.shape
    np.testing.assert_allclose(d, np.where(x > 0, 1.0, w * np.ones_like(x)), rtol=1e-15)
    g = _gout(x.shape, F64, seed=18)
    np.testing.assert_allclose(inst.backward(x, g), g * np.where(x > 0, 1.0, w), rtol=1e-15)


# ---- the kernel path: large arrays must agree with the reference as well
N_LARGE = 2**19 + 7


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_large_array_matches_reference(case):
    x = GRID
    rv, tv = np.array([_ref_tol_float(case, "value", xi, F64)[:2] for xi in x]).T
    xk = _off_kinks(case, x)
    rd, td = np.array([_ref_tol_float(case, "deriv", xi, F64)[:2] for xi in xk]).T
    reps = N_LARGE // x.size + 1
    xl = np.tile(x, reps)[:N_LARGE]
    y = case.call(xl)
    bad = np.abs(y - np.tile(rv, reps)[:N_LARGE]) > np.tile(tv, reps)[:N_LARGE]
    assert not bad.any(), f"{case.id}: large-array value wrong at x={np.unique(xl[bad])[:8]}"
    xl = np.tile(xk, N_LARGE // xk.size + 1)[:N_LARGE]
    d = case.make().gradient(xl)
    bad = np.abs(d - np.tile(rd, N_LARGE // xk.size + 1)[:N_LARGE]) > \
        np.tile(td, N_LARGE // xk.size + 1)[:N_LARGE]
    assert not bad.any(), f"{case.id}: large-array gradient wrong at x={np.unique(xl[bad])[:8]}"


# ==================================================== 6. the examples that must hold exactly
def test_log_sigmoid_of_minus_1000_is_minus_1000():
    assert A.log_sigmoid(-1000.0) == -1000.0
    assert A.log_sigmoid(np.array([-1000.0]))[0] == -1000.0


def test_softplus_of_1000_is_1000():
    assert A.softplus(1000.0) == 1000.0
    assert A.softplus(np.array([1000.0]))[0] == 1000.0


def test_log_softmax_exact_example():
    np.testing.assert_array_equal(A.log_softmax(np.array([1000.0, 1.0, -1000.0])),
                                  [0.0, -999.0, -2000.0])


def test_softmax_finite_at_1e4():
    np.testing.assert_array_equal(A.softmax(np.array([1e4, -1e4])), [1.0, 0.0])
    np.testing.assert_array_equal(A.softmax(np.array([-1e4, 1e4, 0.0])), [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(A.softmin(np.array([1e4, -1e4])), [0.0, 1.0])


def test_squareplus_of_minus_1e4_does_not_cancel():
    y = A.squareplus(-1e4)
    ref = R.evaluate(R.squareplus, -1e4)  # 2 / (sqrt(1e8 + 4) + 1e4) = 1e-4 (1 - 1e-8 + ...)
    assert y != 0 and abs(mpf(float(y)) - ref) <= mpf("1e-12") * ref
    assert y == pytest.approx(1e-4, rel=2e-8)


def test_sparsemax_textbook_example():
    np.testing.assert_array_equal(A.sparsemax(np.array([0.0, 0.5, 1.0])), [0.0, 0.25, 0.75])
    np.testing.assert_array_equal(A.Sparsemax()(np.array([0.0, 0.5, 1.0])), [0.0, 0.25, 0.75])

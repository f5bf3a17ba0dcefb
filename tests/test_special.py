"""Tests of ``nnmath._special``: erf, erfc and erfcx against mpmath and SciPy."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path
from types import ModuleType

import mpmath as mp
import numpy as np
import pytest
import scipy.special as sc

try:  # pytest's rootdir-relative import, a script run from tests/, or the tests package
    from reference import mp_activations as mpa
except ImportError:  # pragma: no cover
    from tests.reference import mp_activations as mpa


ROOT = Path(__file__).resolve().parents[1]
TINY = 2.2250738585072014e-308  # smallest normal double
SUB = 5e-324  # smallest subnormal double
DBL_MAX = float(np.finfo(np.float64).max)


def _load_file(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load_special() -> ModuleType:
    try:
        from nnmath import _special

        return _special
    except Exception:  # package not installed or its __init__ mid-edit: load the file
        return _load_file("_nnmath_special", ROOT / "src" / "nnmath" / "_special.py")


special = _load_special()
erf, erfc, erfcx = special.erf, special.erfc, special.erfcx


# --- mpmath references, 50 digits -------------------------------------------------------


_mp_erfcx = mpa.mp_erfcx  # the shared mpmath reference (tests/reference)


def _reference(fn, xs: np.ndarray) -> list[mp.mpf]:
    with mp.workdps(50):
        return [fn(float(v)) for v in xs]


def _max_rel_err(got: np.ndarray, ref: list[mp.mpf], xs: np.ndarray) -> tuple[float, float]:
    """Largest relative error and the x where it occurs (ref must be nonzero)."""
    worst, where = 0.0, float("nan")
    with mp.workdps(50):
        for g, r, x in zip(got.tolist(), ref, xs.tolist(), strict=True):
            e = float(abs((mp.mpf(g) - r) / r))
            if e > worst:
                worst, where = e, x
    return worst, where


def _strict(fn, xs):
    """Call fn with every floating-point exception and every warning an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            return fn(xs)


RNG = np.random.default_rng(20240611)

# erfcx: log-uniform magnitudes over [1e-300, 1e300] plus dense [0, 30] and [0, 8]
X_ERFCX = np.concatenate(
    [
        10.0 ** RNG.uniform(-300, 300, 1200),
        RNG.uniform(0, 30, 600),
        RNG.uniform(0, 8, 600),
        10.0 ** RNG.uniform(-12, 0, 400),
        [0.0, SUB, TINY, 2.0**-60, 0.5, 4.0, 8.0, 2.0**30, 2.0**30 * (1 - 2**-53), 1e300],
    ]
)
# erfc: dense [-30, 30], around 0, and around the switch points 1/2 and 3/4
X_ERFC = np.concatenate(
    [
        RNG.uniform(-30, 30, 1500),
        RNG.uniform(-1, 1, 500),
        RNG.uniform(-0.8, -0.7, 100),
        RNG.uniform(0.45, 0.55, 100),
        [0.0, 0.5, -0.75, np.nextafter(0.5, 0), np.nextafter(-0.75, 0), 26.0, 26.5],
    ]
)
# erfc near its underflow: normal results up to 26.543, subnormal up to 27.226, then 0
X_ERFC_UNDERFLOW = np.concatenate([RNG.uniform(26.4, 27.3, 600), np.linspace(27.2, 27.25, 51)])
# erf: dense [-7, 7], log-uniform small magnitudes of both signs
X_ERF = np.concatenate(
    [
        RNG.uniform(-7, 7, 1000),
        10.0 ** RNG.uniform(-300, 0.5, 500) * RNG.choice([-1.0, 1.0], 500),
        RNG.uniform(0.7, 0.8, 100),
        [0.75, np.nextafter(0.75, 0), 1e-10, -1e-10, 1e-300, TINY],
    ]
)


@pytest.fixture(scope="module")
def ref_erfcx() -> list[mp.mpf]:
    return _reference(_mp_erfcx, X_ERFCX)


@pytest.fixture(scope="module")
def ref_erfc() -> list[mp.mpf]:
    return _reference(mp.erfc, X_ERFC)


@pytest.fixture(scope="module")
def ref_erf() -> list[mp.mpf]:
    return _reference(mp.erf, X_ERF)


# --- accuracy against mpmath --------------------------------------------------------------


def test_erfcx_matches_mpmath_on_0_to_1e300(ref_erfcx):
    got = _strict(erfcx, X_ERFCX)
    worst, where = _max_rel_err(got, ref_erfcx, X_ERFCX)
    assert worst <= 4e-16, f"erfcx max relative error {worst:.3g} at x = {where!r}"


def test_erfcx_negative_x_matches_mpmath():
    xs = np.concatenate([-RNG.uniform(0, 26.62, 300), [-1e-300, -SUB, -26.6287]])
    got = _strict(erfcx, xs)
    ref = _reference(lambda v: mp.exp(mp.mpf(v) ** 2) * mp.erfc(v), xs)
    worst, where = _max_rel_err(got, ref, xs)
    assert worst <= 1e-15, f"erfcx(x < 0) max relative error {worst:.3g} at x = {where!r}"


def test_erfcx_negative_overflows_to_inf_without_warning():
    xs = np.array([-26.6288, -26.64, -27.0, -1e10, -1e300, -DBL_MAX, -np.inf])
    got = _strict(erfcx, xs)
    assert np.all(np.isposinf(got))
    # the last finite value: 2 exp(x**2) just below the largest double
    assert np.isfinite(_strict(erfcx, np.array([-26.6287])))[0]


def test_erfc_matches_mpmath_on_minus_30_to_30(ref_erfc):
    got = _strict(erfc, X_ERFC)
    normal = np.array([abs(r) >= TINY for r in ref_erfc])
    assert normal.sum() > 1000
    worst, where = _max_rel_err(
        got[normal], [r for r, n in zip(ref_erfc, normal, strict=True) if n], X_ERFC[normal]
    )
    assert worst <= 1e-15, f"erfc max relative error {worst:.3g} at x = {where!r}"
    with mp.workdps(50):
        abs_err = max(
            (abs(mp.mpf(g) - r) for g, r, n in zip(got, ref_erfc, normal, strict=True) if not n),
            default=mp.mpf(0),
        )
    assert abs_err <= 2 * SUB


def test_erfc_at_26_is_accurate():
    got = _strict(erfc, np.array(26.0))
    with mp.workdps(50):
        ref = mp.erfc(26)
        assert float(abs((mp.mpf(float(got)) - ref) / ref)) <= 1e-15
    assert 5.66e-296 < float(got) < 5.67e-296


def test_erfc_near_underflow_boundary():
    xs = X_ERFC_UNDERFLOW
    got = _strict(erfc, xs)
    ref = _reference(mp.erfc, xs)
    normal = np.array([r >= TINY for r in ref])
    assert 50 < normal.sum() < len(xs) - 50  # both regimes are sampled
    worst, where = _max_rel_err(
        got[normal], [r for r, n in zip(ref, normal, strict=True) if n], xs[normal]
    )
    assert worst <= 1e-15, f"erfc max relative error {worst:.3g} at x = {where!r}"
    with mp.workdps(50):
        abs_err = max(
            abs(mp.mpf(g) - r) for g, r, n in zip(got, ref, normal, strict=True) if not n
        )
    assert abs_err <= 2 * SUB, f"subnormal erfc off by {float(abs_err) / SUB:.2f} subnormal ulp"
    # the last subnormal results and the first zeros
    assert np.all(got[xs > 27.2261] == 0.0)
    assert np.all(got[xs < 27.2] > 0.0)
    assert np.all(_strict(erfc, np.array([27.3, 27.31, 28.0, 100.0, 1e20, 1e308])) == 0.0)


def test_erf_matches_mpmath(ref_erf):
    got = _strict(erf, X_ERF)
    worst, where = _max_rel_err(got, ref_erf, X_ERF)
    assert worst <= 1e-15, f"erf max relative error {worst:.3g} at x = {where!r}"


def test_erf_tiny_arguments_are_relatively_accurate():
    two_over_sqrt_pi = 2.0 / np.sqrt(np.pi)
    for x in (1e-300, 1e-200, 1e-20, 1e-10, 1e-5):
        got = float(_strict(erf, np.array(x)))
        with mp.workdps(50):
            ref = mp.erf(mp.mpf(x))
        assert abs(got - float(ref)) <= np.spacing(float(ref)), x
    assert abs(float(erf(1e-300)) - two_over_sqrt_pi * 1e-300) <= np.spacing(1.1e-300)


def test_subnormal_inputs():
    xs = np.array([SUB, 2 * SUB, 1e-320, 1e-310, TINY * 0.99])
    for s in (1.0, -1.0):
        got_erf = _strict(erf, s * xs)
        with mp.workdps(50):
            ref = [2 / mp.sqrt(mp.pi) * mp.mpf(s * v) for v in xs]  # erf(x) = 2x/sqrt(pi)
            abs_err = max(abs(mp.mpf(g) - r) for g, r in zip(got_erf, ref, strict=True))
        assert abs_err <= SUB
        assert np.all(np.sign(got_erf) == s)
        assert np.all(_strict(erfc, s * xs) == 1.0)
        assert np.all(_strict(erfcx, s * xs) == 1.0)


# --- second reference: SciPy ------------------------------------------------------------


# SciPy's own accuracy: about 7e-16 for erfcx and 3e-16 for erf (measured against mpmath);
# its erfc computes exp(-x*x) from a rounded x*x and so loses about x**2 ulp.
@pytest.mark.parametrize(
    ("ours", "theirs", "xs", "bound"),
    [
        (
            erfcx,
            sc.erfcx,
            np.concatenate([10.0 ** np.linspace(-300, 300, 601), np.linspace(0, 40, 801)]),
            lambda x: 1.5e-15,
        ),
        (erfc, sc.erfc, np.linspace(-26.5, 26.5, 2001), lambda x: 1.5e-15 + 2.5e-16 * x * x),
        (
            erf,
            sc.erf,
            np.concatenate([np.linspace(-6, 6, 1201), 10.0 ** np.linspace(-300, 0, 301)]),
            lambda x: 1e-15,
        ),
    ],
    ids=["erfcx", "erfc", "erf"],
)
def test_agrees_with_scipy(ours, theirs, xs, bound):
    got = _strict(ours, xs)
    want = theirs(xs)
    zero = want == 0
    assert np.array_equal(got[zero], want[zero])  # erf(0) = 0
    rel = np.abs(got[~zero] - want[~zero]) / np.abs(want[~zero])
    excess = rel / bound(xs[~zero])
    assert excess.max() <= 1.0, f"relative difference {rel[excess.argmax()]:.3g} at x = " + repr(
        xs[~zero][excess.argmax()]
    )


# --- identities, special values, shapes, warnings ----------------------------------------


def test_identities():
    xs = np.concatenate([RNG.uniform(-6, 6, 2000), -(10.0 ** RNG.uniform(-300, 0, 200))])
    e, ec = _strict(erf, xs), _strict(erfc, xs)
    assert np.array_equal(_strict(erf, -xs), -e)  # erf is odd, exactly
    np.testing.assert_allclose(e + ec, 1.0, rtol=0, atol=4.5e-16)  # erf + erfc = 1
    np.testing.assert_allclose(ec + _strict(erfc, -xs), 2.0, rtol=0, atol=9e-16)
    pos = np.abs(xs[np.abs(xs) < 5])
    with np.errstate(under="ignore"):
        np.testing.assert_allclose(
            np.exp(-pos * pos) * _strict(erfcx, pos), _strict(erfc, pos), rtol=2e-15
        )


def test_special_values():
    inf, nan = np.inf, np.nan
    xs = np.array([0.0, -0.0, inf, -inf, nan])
    np.testing.assert_array_equal(_strict(erfcx, xs), [1.0, 1.0, 0.0, inf, nan])
    np.testing.assert_array_equal(_strict(erfc, xs), [1.0, 1.0, 0.0, 2.0, nan])
    r = _strict(erf, xs)
    np.testing.assert_array_equal(r, [0.0, -0.0, 1.0, -1.0, nan])
    assert not np.signbit(r[0]) and np.signbit(r[1])  # erf(-0.0) is -0.0
    assert np.signbit(_strict(erf, np.array(-0.0)))
    # NaN stays at its position among finite values
    mixed = np.array([1.0, nan, -2.0, nan, 30.0])
    for fn in (erf, erfc, erfcx):
        out = _strict(fn, mixed)
        assert np.array_equal(np.isnan(out), np.isnan(mixed)), fn.__name__


@pytest.mark.parametrize("fn", [erf, erfc, erfcx])
def test_shapes_and_dtypes(fn):
    zero_d = fn(np.float64(0.5))
    assert isinstance(zero_d, np.ndarray) and zero_d.shape == () and zero_d.dtype == np.float64
    assert fn(0.5).shape == ()
    empty = fn(np.empty((0, 3)))
    assert empty.shape == (0, 3) and empty.dtype == np.float64
    cube = RNG.uniform(-3, 3, (2, 3, 4))
    out = fn(cube)
    assert out.shape == (2, 3, 4) and out.dtype == np.float64
    np.testing.assert_array_equal(out.ravel(), fn(cube.ravel()))
    # float32 and integer input are computed in float64
    f32 = fn(cube.astype(np.float32))
    assert f32.dtype == np.float64
    np.testing.assert_array_equal(f32, fn(cube.astype(np.float32).astype(np.float64)))
    np.testing.assert_array_equal(fn([0, 1, 2]), fn(np.array([0.0, 1.0, 2.0])))
    with pytest.raises(TypeError):
        fn(np.array([1 + 1j]))


@pytest.mark.parametrize("fn", [erf, erfc, erfcx])
def test_no_floating_point_warnings(fn):
    # fmt: off
    edges = np.array([
        0.0, 5e-324, 1e-320, TINY, 2.0**-60, 2.0**-30, 1e-10, 0.5, 0.75, 4.0, 8.0, 26.5,
        26.6287, 26.64, 27.226, 27.3, 30.0, 2.0**30, 1e154, 1e200, 1e300, 1e308, DBL_MAX, np.inf,
    ])
    # fmt: on
    xs = np.concatenate(
        [
            edges,
            -edges,
            [np.nan],
            np.nextafter(edges, 0),
            -np.nextafter(edges, 0),
            10.0 ** RNG.uniform(-320, 308, 500) * RNG.choice([-1.0, 1.0], 500),
        ]
    )
    out = _strict(fn, xs)  # raises on any overflow, underflow, invalid or divide
    assert out.shape == xs.shape
    assert np.array_equal(np.isnan(out), np.isnan(xs))
    assert np.all(out[~np.isnan(xs)] >= (-1.0 if fn is erf else 0.0))


def test_coefficient_table_matches_generator():
    generator = _load_file("_fit_erfcx", ROOT / "tools" / "fit_erfcx.py")
    block, _report = generator.generate()
    source = (ROOT / "src" / "nnmath" / "_special.py").read_text()
    assert block in source, "run `python tools/fit_erfcx.py` and paste its output"

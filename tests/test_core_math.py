"""The header math of the compiled core (src/nnmath/_core/src/math) against mpmath.

A small C shim (benchmarks/core_math/shim.c) exposes one array loop per function; it is
compiled with the system C compiler at every x86-64 ISA level this CPU runs (baseline
SSE2 without FMA, x86-64-v3 with AVX2 and FMA, x86-64-v4 with AVX-512) and called
through ctypes.  Checked: the error in ulps against mpmath at 60 digits over the whole
range of each function, the floating-point exception flags, special values, and that the
FMA levels give bit-identical results.
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
from core_math_harness import (
    DPS,
    FUNCTIONS,
    TINY,
    Shim,
    build,
    compiler,
    flagged,
    levels,
    reference,
    sample,
    ulp_errors,
)

if compiler() is None:
    pytest.skip("no C compiler (cc): the core math headers are not built", allow_module_level=True)

LEVELS = levels() or [None]  # off x86-64: the compiler's default target only
TARGET = {"exp": 1.0, "expm1": 1.0, "log": 1.0, "log1p": 1.0, "tanh": 1.0,
          "erf": 2.0, "erfc": 2.0, "erfcx": 2.0}  # fmt: skip
N_POINTS = 2000
INF, NAN = math.inf, math.nan


@pytest.fixture(scope="module")
def shims(tmp_path_factory) -> dict[str | None, Shim]:
    d = tmp_path_factory.mktemp("core_math")
    return {level: build(level, d) for level in LEVELS}


@pytest.fixture(scope="module")
def cases() -> dict[str, tuple[np.ndarray, list[mp.mpf]]]:
    out = {}
    for name in FUNCTIONS:
        xs = sample(name, N_POINTS, seed=1)
        out[name] = (xs, reference(name, xs))
    return out


def _tiny_result(ref: list[mp.mpf]) -> np.ndarray:
    """Where the exact result is below the normal range (underflow is then correct)."""
    return np.array([bool(r != 0 and not mp.isnan(r) and abs(r) < TINY) for r in ref])


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("name", FUNCTIONS)
def test_ulp_error_against_mpmath(shims, cases, name, level):
    xs, ref = cases[name]
    y, _ = shims[level].call(name, xs)
    err = ulp_errors(y, ref)
    worst = int(np.argmax(err))
    assert err[worst] <= TARGET[name], (
        f"{name} at {level}: {err[worst]:.3g} ulp at x={xs[worst]!r}: "
        f"got {y[worst]!r}, mpmath {mp.nstr(ref[worst], 20)}"
    )
    tiny = _tiny_result(ref)
    if tiny.any():  # subnormal results: within 1 ulp of the subnormal spacing
        assert err[tiny].max() <= 1.0


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("name", FUNCTIONS)
def test_no_floating_point_flags(shims, cases, name, level):
    shim = shims[level]
    xs, ref = cases[name]
    tiny = _tiny_result(ref)
    specials = np.array([INF, -INF, NAN, -NAN, 0.0, -0.0])
    _, raised = shim.call(name, np.concatenate([xs[~tiny], specials]))
    assert not raised, f"{name}: {raised} on {flagged(shim, name, xs[~tiny])[:5]}"
    # below the normal range only the underflow flag may (and should) be raised
    _, raised = shim.call(name, xs[tiny])
    assert raised <= {"underflow"}


SPECIAL = {
    "exp": [(INF, INF), (-INF, 0.0), (0.0, 1.0), (-0.0, 1.0), (710.0, INF), (-746.0, 0.0)],
    "expm1": [(INF, INF), (-INF, -1.0), (0.0, 0.0), (-0.0, -0.0), (-40.0, -1.0),
              (710.0, INF), (5e-324, 5e-324)],
    "log": [(INF, INF), (-INF, NAN), (0.0, -INF), (-0.0, -INF), (-1.0, NAN), (1.0, 0.0),
            (5e-324, -744.4400719213812)],
    "log1p": [(INF, INF), (-INF, NAN), (-1.0, -INF), (-2.0, NAN), (0.0, 0.0), (-0.0, -0.0),
              (-5e-324, -5e-324)],
    "tanh": [(INF, 1.0), (-INF, -1.0), (0.0, 0.0), (-0.0, -0.0), (20.0, 1.0), (-1e300, -1.0),
             (5e-324, 5e-324)],
    "erf": [(INF, 1.0), (-INF, -1.0), (0.0, 0.0), (-0.0, -0.0), (6.0, 1.0), (-1e300, -1.0)],
    "erfc": [(INF, 0.0), (-INF, 2.0), (0.0, 1.0), (-0.0, 1.0), (28.0, 0.0), (-10.0, 2.0)],
    "erfcx": [(INF, 0.0), (-INF, INF), (0.0, 1.0), (-0.0, 1.0), (-27.0, INF)],
}  # fmt: skip


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("name", FUNCTIONS)
def test_special_values(shims, name, level):
    xs = np.array([x for x, _ in SPECIAL[name]] + [NAN, -NAN])
    want = np.array([w for _, w in SPECIAL[name]] + [NAN, NAN])
    y, _ = shims[level].call(name, xs)
    np.testing.assert_array_equal(y, want)  # NaN matches NaN
    zeros = want == 0
    assert (np.signbit(y[zeros]) == np.signbit(want[zeros])).all(), "sign of zero"


def test_fma_levels_are_bit_identical(shims, cases):
    fma = [level for level, s in shims.items() if s.have_fma]
    if len(fma) < 2:
        pytest.skip(f"one FMA level on this CPU ({fma}): nothing to compare")
    for name in FUNCTIONS:
        xs = np.concatenate([cases[name][0], [INF, -INF, NAN, 0.0, -0.0]])
        first, _ = shims[fma[0]].call(name, xs)
        for level in fma[1:]:
            other, _ = shims[level].call(name, xs)
            assert (first.view(np.uint64) == other.view(np.uint64)).all(), (name, level)


@pytest.mark.parametrize("level", LEVELS)
def test_exp_dd_is_exact_to_2_pow_minus_95(shims, level):
    rng = np.random.default_rng(2)
    sign = rng.choice([-1.0, 1.0], 500)
    xs = np.concatenate([
        rng.uniform(-620.0, 709.78, 1500), sign * 10.0 ** rng.uniform(-320, 0, 500),
        [0.0, -0.0, 709.782712893384, 0.34657359027997264, -0.34657359027997264, 1e-17],
    ])  # fmt: skip
    hi, lo, raised = shims[level].exp_dd(xs)
    assert not raised
    assert (np.abs(lo) <= np.abs(hi) * 2.0**-52).all(), "hi + lo is not normalised"
    worst = mp.mpf(0)
    with mp.workdps(DPS):
        for x, h, l in zip(xs.tolist(), hi.tolist(), lo.tolist(), strict=True):
            ref = mp.exp(mp.mpf(x))
            worst = max(worst, abs((mp.mpf(h) + mp.mpf(l)) - ref) / ref)
    assert worst <= mp.mpf(2) ** -95, mp.nstr(worst, 5)
    # the subnormal range: hi rounded once, lo zero; and the special values
    hi, lo, _ = shims[level].exp_dd(np.array([-740.0, -1000.0, INF, -INF, NAN, 710.0]))
    np.testing.assert_array_equal(hi, [float(mp.exp(-740)), 0.0, INF, 0.0, NAN, INF])
    np.testing.assert_array_equal(lo, [0.0, 0.0, 0.0, 0.0, 0.0, 0.0])


@pytest.mark.slow
@pytest.mark.parametrize("name", FUNCTIONS)
def test_ulp_error_million_points(request, shims, name):
    """10^6 points per function (mpmath: minutes per function): only under `-m slow`."""
    if "slow" not in (request.config.option.markexpr or ""):
        pytest.skip("10^6 mpmath evaluations per function: run with -m slow")
    xs = sample(name, 1_000_000, seed=7)
    ref = reference(name, xs)
    for level, shim in shims.items():
        y, _ = shim.call(name, xs)
        err = ulp_errors(y, ref)
        worst = int(np.argmax(err))
        assert err[worst] <= TARGET[name], (name, level, xs[worst], err[worst])

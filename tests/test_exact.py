"""The exact sums of the compiled core (``nnmath._core.exact_sums``, ``nnmath._exact``) and
the correctly rounded ratios, against Python's exact rationals and mpmath."""
from __future__ import annotations

import math
import random
from fractions import Fraction

import numpy as np
import pytest

from nnmath import _core
from nnmath import losses as L
from nnmath._exact import dyadic_sum, exact_group_sums, exact_total, round_ratio

mpmath = pytest.importorskip("mpmath")


def _exact(d: object) -> Fraction | float:
    if isinstance(d, float):
        return d
    m, e = d  # type: ignore[misc]
    return Fraction(m) * Fraction(2) ** e


def _fsum(values: np.ndarray, weights: np.ndarray | None = None) -> Fraction:
    """The reference: Python's rationals, each float (product) exact."""
    if weights is None:
        return sum(map(Fraction, values.tolist()), Fraction(0))
    return sum((Fraction(a) * Fraction(b) for a, b in zip(
        values.ravel().tolist(), np.broadcast_to(weights, values.shape).ravel().tolist(),
        strict=True)), Fraction(0))


def _wide(rng: np.random.Generator, n: int) -> np.ndarray:
    """float64 values over the whole exponent range, subnormals and extremes included."""
    x = rng.standard_normal(n) * np.exp2(rng.integers(-1074, 1000, n).astype(float))
    return np.concatenate([x[np.isfinite(x)], [5e-324, -5e-324, 1.7976931348623157e308,
                                               -2.2250738585072014e-308, 0.0, -0.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sums_and_products_are_exact(dtype: type) -> None:
    rng = np.random.default_rng(7)

    def draw(n: int) -> np.ndarray:
        if dtype == np.float64:
            return _wide(rng, n)[:n]
        return (rng.standard_normal(n) * np.exp2(rng.integers(-149, 120, n).astype(float))
                ).astype(np.float32)

    for trial in range(40):
        n = int(rng.integers(0, 400))
        x, w = draw(n), draw(n)
        assert _exact(dyadic_sum(x)) == _fsum(x), trial
        assert _exact(dyadic_sum(x, w)) == _fsum(x, w), trial
    # products at the ends of the range: subnormal times subnormal, huge times huge
    x = np.array([5e-324, 1.7976931348623157e308, -3e-320, 1e300])
    w = np.array([5e-324, 1.7976931348623157e308, 7e-310, -1e300])
    assert _exact(dyadic_sum(x, w)) == _fsum(x, w)
    # mixed dtypes, broadcast weights, a strided view, a 0-d array
    x32 = rng.standard_normal((50, 3)).astype(np.float32)
    w64 = rng.standard_normal((50, 1)) * 1e-3
    assert _exact(dyadic_sum(x32, w64)) == _fsum(x32.astype(np.float64), w64)
    big = rng.standard_normal((40, 40))
    assert _exact(dyadic_sum(big[::3, ::-2])) == _fsum(big[::3, ::-2].ravel())
    assert _exact(dyadic_sum(np.array(2.5))) == Fraction(5, 2)


def test_non_finite_values_and_products() -> None:
    assert dyadic_sum(np.array([1.0, np.inf])) == math.inf
    assert dyadic_sum(np.array([-np.inf, 3.0])) == -math.inf
    assert math.isnan(dyadic_sum(np.array([np.inf, -np.inf])))
    assert math.isnan(dyadic_sum(np.array([1.0, np.nan])))
    # inf * 0 is NaN (Keras), inf * -2 is -inf
    assert math.isnan(dyadic_sum(np.array([np.inf, 1.0]), np.array([0.0, 1.0])))
    assert dyadic_sum(np.array([np.inf, 1.0]), np.array([-2.0, 1.0])) == -math.inf
    assert dyadic_sum(np.zeros(0)) == (0, 0)
    assert dyadic_sum(np.array([1e308, 1e308, -1e308])) == dyadic_sum(np.array([1e308]))


def test_large_inputs_split_over_threads_give_the_same_exact_sum() -> None:
    rng = np.random.default_rng(11)
    n = (1 << 18) + 12345  # above the parallel threshold, not a multiple of the pieces
    x = rng.standard_normal(n) * np.exp2(rng.integers(-40, 40, n).astype(float))
    # reference: integers after scaling by a common power of two
    m, e = np.frexp(x)
    ints = (m * 2.0**53).astype(np.int64)
    base = int((e - 53).min())
    want = Fraction(sum(int(i) << int(k - 53 - base) for i, k in zip(ints.tolist(),
                                                                     e.tolist(),
                                                                     strict=True))) \
        * Fraction(2) ** base
    old = _core.get_num_threads()
    try:
        got = set()
        for threads in (1, 2, 3):
            _core.set_num_threads(threads)
            got.add(dyadic_sum(x))
            got.add(dyadic_sum(x[::-1]))
            got.add(dyadic_sum(rng.permutation(x)))
    finally:
        _core.set_num_threads(old)
    assert len(got) == 1
    assert _exact(got.pop()) == want


def test_group_sums() -> None:
    rng = np.random.default_rng(3)
    x = _wide(rng, 3000)
    g = rng.integers(0, 9, x.size)
    got = exact_group_sums(x, g, 11)
    for k in range(11):
        assert got[k] == _fsum(x[g == k])
    w = rng.uniform(0, 3, x.size)
    res = _core.exact_sums(x, w, g.astype(np.int64), 11)
    for k in range(11):
        assert _exact(dyadic_like(res[k])) == _fsum(x[g == k], w[g == k])
    with pytest.raises(ValueError, match="outside"):
        exact_group_sums([1.0, 2.0], [0, 5], 3)


def dyadic_like(raw: object) -> object:
    if isinstance(raw, float):
        return raw
    digits, e = raw  # type: ignore[misc]
    return int.from_bytes(digits, "little", signed=True), e


def test_exact_total_of_bools_and_weights() -> None:
    v = np.array([True, False, True])
    assert exact_total(v) == 2
    assert exact_total(v, np.array([0.1, 5.0, 0.2])) == Fraction(0.1) + Fraction(0.2)


def test_bad_arrays_are_refused() -> None:
    with pytest.raises(TypeError, match="float32 or float64"):
        _core.exact_sums(np.arange(3))
    with pytest.raises(TypeError, match="NumPy arrays"):
        _core.exact_sums([1.0, 2.0])
    with pytest.raises(TypeError, match="byte order"):
        _core.exact_sums(np.array([1.0], dtype=">f8"))


def _mp_round(a: int, b: int, dtype: type) -> float:
    """An independent rounding of a / b to ``dtype``: mpmath at 2,000 bits, then the
    significand rounded to the dtype's precision, ties to even, subnormals included."""
    info = np.finfo(dtype)
    prec = info.nmant + 1
    with mpmath.workprec(2000):
        x = mpmath.mpf(a) / mpmath.mpf(b)
        if x == 0:
            return 0.0
        e = max(int(mpmath.floor(mpmath.log(abs(x), 2))), int(info.minexp))
        q = e - (prec - 1)
        n = int(mpmath.nint(x / mpmath.mpf(2) ** q))
        v = n * mpmath.mpf(2) ** q
        if abs(v) >= mpmath.mpf(2) ** int(info.maxexp):
            return math.copysign(math.inf, float(x))
        return float(v)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_round_ratio_is_correctly_rounded(dtype: type) -> None:
    rnd = random.Random(5)
    info = np.finfo(dtype)
    for i in range(600):
        if i % 2 == 0:  # just beside, or on, a midpoint of the dtype
            f = float(dtype(rnd.uniform(-1, 1) * 2.0 ** rnd.randint(
                int(info.minexp) - int(info.nmant), int(info.maxexp) - 1)))
            g = float(np.nextafter(dtype(f), dtype(math.inf)))
            if not math.isfinite(g):
                continue
            mid = Fraction(f) / 2 + Fraction(g) / 2
            x = mid + Fraction(rnd.choice([-1, 0, 1]), 2 ** rnd.randint(60, 200)) * abs(mid)
            num, den, a, b = (x.numerator, 0), x.denominator, x.numerator, x.denominator
        else:
            m, e, den = rnd.randint(-2**200, 2**200), rnd.randint(-1250, 300), \
                rnd.randint(1, 2**70)
            num = (m, e)
            a, b = (m << e, den) if e >= 0 else (m, den << -e)
        assert round_ratio(num, den, dtype) == _mp_round(a, b, dtype), (num, den)


def test_reduced_losses_are_the_correctly_rounded_exact_results() -> None:
    rng = np.random.default_rng(9)
    n = 4099
    for dtype in (np.float32, np.float64):
        y = rng.integers(0, 2, (n, 1)).astype(dtype)
        z = (rng.standard_normal((n, 1)) * 4).astype(dtype)
        w = rng.uniform(0, 2, n).astype(dtype)
        per = L.binary_crossentropy(y, z, from_logits=True)
        s = _fsum(per.astype(np.float64))
        sw = _fsum(per.astype(np.float64), w.astype(np.float64))
        wsum = _fsum(w.astype(np.float64))

        def mp(q: Fraction, dtype: type = dtype) -> float:
            return _mp_round(q.numerator, q.denominator, dtype)

        def loss(reduction: str, y: np.ndarray = y, z: np.ndarray = z, **kw: object) -> L.Loss:
            return L.BinaryCrossentropy(from_logits=True, reduction=reduction)(y, z, **kw)

        assert loss("sum") == mp(s)
        assert loss("sum_over_batch_size") == mp(s / n)
        assert loss("sum", sample_weight=w) == mp(sw)
        assert loss("sum_over_batch_size", sample_weight=w) == mp(sw / n)
        assert loss("mean_with_sample_weight", sample_weight=w) == mp(sw / wsum)
        # the order of the samples does not matter
        p = rng.permutation(n)
        assert L.BinaryCrossentropy(from_logits=True)(y[p], z[p], sample_weight=w[p]) == \
            loss("sum_over_batch_size", sample_weight=w)


def test_ignore_class_mean_is_over_the_valid_samples() -> None:
    rng = np.random.default_rng(4)
    z = rng.standard_normal((301, 5))
    y = rng.integers(0, 5, 301)
    y[::7] = -1
    per = L.sparse_categorical_crossentropy(np.where(y < 0, 0, y), z, from_logits=True)
    valid = y >= 0
    want = _fsum(per[valid]) / int(valid.sum())
    got = L.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)(y, z)
    assert got == _mp_round(want.numerator, want.denominator, np.float64)


@pytest.mark.parametrize("ngroups", [5, 4096, 10**7])
def test_exact_group_sums_nonzero_against_fractions(ngroups):
    """The groups with a nonzero exact sum, in order, against Python fractions: a few
    groups (the dense count), and many more groups than values (only those that occur),
    with sums that cancel to exactly 0 left out."""
    from nnmath._exact import exact_group_sums_nonzero

    rng = np.random.default_rng(ngroups)
    x = rng.normal(0, 1, 3000) * 2.0 ** rng.integers(-60, 60, 3000)
    g = rng.integers(0, min(ngroups, 400), 3000) * (ngroups // min(ngroups, 400))
    x[:2], g[:2] = [1.5, -1.5], [ngroups - 1, ngroups - 1]  # a group that cancels
    g[2:][g[2:] == ngroups - 1] = 0
    want: dict[int, Fraction] = {}
    for v, k in zip(x.tolist(), g.tolist(), strict=True):
        want[k] = want.get(k, Fraction(0)) + Fraction(v)
    got = exact_group_sums_nonzero(x, g, ngroups)
    assert got == sorted((k, v) for k, v in want.items() if v)
    assert all(k != ngroups - 1 for k, _ in got)

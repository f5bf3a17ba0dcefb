"""The NumPy paths of the losses and metrics that run on the compiled core (sparse and
binary cross-entropy from logits, sparse and binary accuracy) agree with the reference
math (the loss cores, the metrics' ``*_hits``, ``log_softmax``), through the public
functions.

Tolerances, and why:

* sparse categorical crossentropy and the accuracies: **bit-identical**
  (``assert_array_equal``): the fused gufunc computes ``-log_softmax(z)[y]`` with the row
  functions' own operations, and a hit is a hit.
* binary crossentropy from logits: the core sums ``y z⁻ + (1 - y) z⁺ + log1p(e^{-|z|})``
  (one exp and log1p instead of two) in float64, compensated for float64 rows, long rows
  in fixed pieces; within 1 ulp of the reference (whose log_sigmoid is the compiled
  core's) for hard labels and within a few roundings for soft labels. The loss is a mean of
  non-negative terms, so its relative error is bounded by the terms' plus the summation's:
  the tests use ``rtol = 32 eps`` of the dtype (float32: 3.8e-6, float64: 7.1e-15), and the
  terms themselves are checked separately at ``2 eps``.

(The gufuncs themselves are checked against mpmath in ``test_core_losses.py``.)
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import nnmath
from nnmath import _kernels
from nnmath import activations as A
from nnmath import losses as L
from nnmath import metrics as M
from nnmath.losses import _crossentropy
from nnmath.metrics import _functions as MF

DTYPES = [np.float16, np.float32, np.float64]
RNG = np.random.default_rng(20260607)
#: below and above the threading threshold, with a ragged last chunk
BIG = (_kernels.PARALLEL_MIN + 3 * _kernels.CHUNK) // 700 * 700 + 700  # rows of 7 and 100
SIZES = [1, 1000, BIG]


def extremes(dtype):
    fi = np.finfo(dtype)
    vals = [0.0, -0.0, 1e-300, -1e-300, 88.7, -88.7, 709.8, -709.8, 1e308, -1e308,
            float(fi.tiny), -float(fi.tiny), float(fi.smallest_subnormal),
            -float(fi.smallest_subnormal), float(fi.max), -float(fi.max), 1.0, -1.0, 40.0,
            -40.0, 1e4, -1e4, 3.0, -3.0, 20.0, -20.0]
    with np.errstate(over="ignore", under="ignore"):
        return np.array(vals, dtype=np.float64).astype(dtype)


def sample(n, dtype, special=True, nonfinite=False):
    """Random values with the extremes sprinkled in (at the start and at random places)."""
    x = (RNG.standard_normal(n) * RNG.choice([0.1, 3.0, 30.0], n)).astype(dtype)
    if special:
        ex = extremes(dtype)
        if nonfinite:
            ex = np.concatenate([ex, np.array([np.inf, -np.inf, np.nan], dtype)])
        k = min(n, ex.size)
        x[:k] = ex[:k]
        if n > 4 * ex.size:
            x[RNG.choice(n, ex.size, replace=False)] = ex
    return x


def assert_identical(ours, ref):
    np.testing.assert_array_equal(ours, ref)
    assert ours.dtype == ref.dtype
    both = ~np.isnan(ref)
    np.testing.assert_array_equal(np.signbit(ours[both]), np.signbit(ref[both]))


def ulp_distance(a, b):
    """Ulps between two float arrays of the same dtype (the sign of zero counts as one)."""
    bits = {2: np.int16, 4: np.int32, 8: np.int64}[a.dtype.itemsize]
    ia, ib = a.view(bits).astype(np.int64), b.view(bits).astype(np.int64)
    top = np.int64(1) << (8 * a.dtype.itemsize - 1)
    # map the sign-magnitude bit patterns onto a monotonic integer line
    ia = np.where(ia < 0, -(ia + top) - 1, ia)
    ib = np.where(ib < 0, -(ib + top) - 1, ib)
    return np.abs(ia - ib)


def assert_close_ulps(ours, ref, ulps):
    assert ours.dtype == ref.dtype
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
    ok = ~np.isnan(ref)
    dist = ulp_distance(ours[ok], ref[ok])
    assert dist.max(initial=0) <= ulps, f"{dist.max()} ulps at {ref[ok][dist.argmax()]!r}"
    zero = ref == 0  # a zero's sign is exact, not an ulp away
    np.testing.assert_array_equal(np.signbit(ours[zero]), np.signbit(ref[zero]))


def test_ulp_distance_counts_ulps():
    a = np.array([1.0, 0.0, -0.0, np.float32(1e-45)], np.float32)
    b = np.array([np.nextafter(np.float32(1), np.float32(2)), -0.0, np.float32(-1e-45),
                  0.0], np.float32)
    np.testing.assert_array_equal(ulp_distance(a, b), [1, 1, 1, 1])


def test_set_num_threads_validates():
    with pytest.raises(ValueError, match=">= 1"):
        nnmath.set_num_threads(0)
    with pytest.raises(TypeError, match="integer"):
        nnmath.set_num_threads(1.5)


def test_num_threads_from_environment():
    code = "import nnmath; print(nnmath.get_num_threads())"
    env = dict(os.environ, NNMATH_NUM_THREADS="3")
    src = os.path.join(os.path.dirname(__file__), "..", "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    got = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True)
    assert got.stdout.strip() == "3"


def logits(rows, cols, dtype, nonfinite=False):
    z = sample(rows * cols, dtype, special=False).reshape(rows, cols)
    ex = extremes(dtype)
    z[0, : min(cols, ex.size)] = ex[: min(cols, ex.size)]  # a row spanning the whole range
    z[1 % rows] = -np.inf if nonfinite else ex[-1]
    if rows > 4:
        z[2, :3] = [1e4, 1e4, -1e4]  # tied maxima
        z[3, ::2] = np.asarray(-float(np.finfo(dtype).max), dtype)
    if nonfinite and rows > 6:
        z[4, 5 % cols] = np.inf
        z[5, 0] = np.nan
        z[6, :] = np.inf
    return z


# -- losses ---------------------------------------------------------------------------------

def minus_log_softmax_at(labels, z):
    """-log_softmax(z)[label] per row, by the row function log_softmax (tested against
    mpmath in test_core.py), not by the fused loss gufunc that the losses call."""
    return -np.take_along_axis(A.log_softmax(z, axis=-1), labels[:, None], axis=-1)[:, 0]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 6), (SIZES[-1] // 50 + 3, 50), (3, _kernels.CHUNK + 9)])
def test_sparse_ce_logits_matches_reference(dtype, shape):
    z = logits(*shape, dtype)
    labels = RNG.integers(0, shape[1], shape[0])
    zc = z.astype(np.float64)  # log_softmax's dtype rule: float16 and float32 in float64
    with np.errstate(over="ignore", under="ignore"):
        ref = minus_log_softmax_at(labels, zc).astype(dtype)
    with np.errstate(all="raise"):
        ours = L.sparse_categorical_crossentropy(labels, z, from_logits=True)
    np.testing.assert_array_equal(ours, ref)
    assert ours.dtype == dtype
    out = np.empty(shape[0], dtype)
    assert L.sparse_categorical_crossentropy(labels[:, None], z, from_logits=True,
                                             out=out) is out
    np.testing.assert_array_equal(out, ref)
    with pytest.raises(ValueError, match="out"):
        L.sparse_categorical_crossentropy(labels, z, from_logits=True, out=np.empty(2, dtype))


def test_sparse_ce_logits_nonfinite_rows_and_bad_labels():
    z = logits(SIZES[-1] // 100, 100, np.float64, nonfinite=True)
    labels = RNG.integers(0, 100, z.shape[0])
    with np.errstate(all="ignore"):
        ref = minus_log_softmax_at(labels, z)
        ours = L.sparse_categorical_crossentropy(labels, z, from_logits=True)
    np.testing.assert_array_equal(ours, ref)
    bad = labels.copy()
    bad[-1] = 100
    with pytest.raises(ValueError, match="labels outside"):
        L.sparse_categorical_crossentropy(bad, z, from_logits=True)


def binary_reference(y, z):
    opts = {"label_smoothing": 0.0, "pos_weight": None, "from_logits": True}
    with np.errstate(over="ignore", under="ignore"):
        return _crossentropy._binary_core(np, y, z, opts, False)[0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1000,), (SIZES[-1],), (SIZES[-1] // 3, 3),
                                   (2, _kernels.PARALLEL_MIN + 11)])
@pytest.mark.parametrize("soft", [False, True])
def test_binary_ce_logits_matches_reference(dtype, shape, soft):
    n = int(np.prod(shape))
    z = np.clip(sample(n, dtype), -1e30, 1e30).reshape(shape)  # a mean of 1e308s overflows
    y = RNG.uniform(0, 1, shape) if soft else (RNG.uniform(0, 1, shape) > 0.5)
    y = y.astype(dtype)
    ref = binary_reference(y, z)
    with np.errstate(all="raise"):
        ours = L.binary_crossentropy(y, z, from_logits=True)
    assert np.asarray(ours).dtype == dtype
    np.testing.assert_allclose(ours, ref, rtol=32 * np.finfo(dtype).eps, atol=0)
    if len(shape) == 2:
        out = np.empty(shape[0], dtype)
        assert L.binary_crossentropy(y, z, from_logits=True, out=out) is out
        np.testing.assert_array_equal(out, ours)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_ce_terms_within_two_eps(dtype):
    # one element per row: the loss is the term itself
    z = sample(20000, dtype)[:, None]
    y = RNG.uniform(0, 1, z.shape).astype(dtype)
    y[:50] = 0.0
    y[50:100] = 1.0
    ref = binary_reference(y, z)
    ours = L.binary_crossentropy(y, z, from_logits=True)
    np.testing.assert_allclose(ours, ref, rtol=2 * np.finfo(dtype).eps, atol=0)
    # hard labels: the reference's log_sigmoid is the compiled core's, the kernel's its own
    # NumPy chain: within 1 ulp of each other
    assert_close_ulps(ours[:100], ref[:100], 1)


def test_binary_ce_nonfinite_logits_take_the_reference_limits():
    z = np.clip(sample(SIZES[-1], np.float64), -1e30, 1e30)
    z[5], z[-5] = np.inf, -np.inf
    y = (RNG.uniform(0, 1, z.shape) > 0.5).astype(np.float64)
    y[5], y[-5] = 1.0, 0.0  # the limits are 0 for these, finite overall
    ours = L.binary_crossentropy(y, z, from_logits=True)
    np.testing.assert_allclose(ours, binary_reference(y, z), rtol=32 * np.finfo(float).eps)
    assert np.isfinite(ours)
    z[7] = np.nan
    assert np.isnan(L.binary_crossentropy(y, z, from_logits=True))


# -- metrics --------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [1000, SIZES[-1]])
def test_binary_accuracy_matches_reference(dtype, n):
    p = RNG.uniform(0, 1, n).astype(dtype)
    p[:3] = 0.5  # at the threshold: class 0
    y = (RNG.uniform(0, 1, n) > 0.5).astype(dtype)
    y[3] = 0.3  # a soft label never matches
    _, hits, out_dtype = MF.binary_hits(y, p, 0.5)
    ref = hits.astype(out_dtype)
    ours = M.binary_accuracy(y, p)
    np.testing.assert_array_equal(ours, ref)
    assert ours.dtype == dtype
    out = np.empty(n, dtype)
    assert M.binary_accuracy(y, p, out=out) is out
    np.testing.assert_array_equal(out, ref)
    with pytest.raises(ValueError, match="out"):
        M.binary_accuracy(y, p, out=out[:-1])
    p[-2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        M.binary_accuracy(y, p)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(10, 100), (SIZES[-1] // 100, 100)])
def test_sparse_accuracy_matches_reference(dtype, shape):
    p = RNG.standard_normal(shape).astype(dtype)
    p[0, :2] = 5.0  # tie: the first index wins
    labels = RNG.integers(0, shape[1], shape[0])
    labels[0] = 1
    _, hits, out_dtype = MF.sparse_categorical_hits(labels, p)
    ref = hits.astype(out_dtype)
    ours = M.sparse_categorical_accuracy(labels, p)
    np.testing.assert_array_equal(ours, ref)
    assert ours[0] == 0.0
    out = np.empty(shape[0], dtype)
    assert M.sparse_categorical_accuracy(labels, p, out=out) is out
    np.testing.assert_array_equal(out, ref)
    with pytest.raises(TypeError, match="out"):
        M.sparse_categorical_accuracy(labels, p, out=np.empty(shape[0], np.int64))
    p[-1, 7] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        M.sparse_categorical_accuracy(labels, p)



@pytest.mark.parametrize("shape", [(3 * _crossentropy.BCE_PIECE + 5,),
                                   (2, _crossentropy.BCE_PIECE + 1)])
def test_binary_ce_long_rows_in_pieces(shape):
    """Rows longer than the core's piece are summed piece by piece (fixed pieces: the same
    bits on any number of threads) and differentiated piece by piece."""
    z = RNG.normal(0, 3, shape)
    y = RNG.uniform(0, 1, shape)
    opts = {"label_smoothing": 0.0, "pos_weight": None, "from_logits": True}
    ref_value, ref_grad, _ = _crossentropy._binary_core(np, y, z, opts, True)
    np.testing.assert_allclose(L.binary_crossentropy(y, z, from_logits=True), ref_value,
                               rtol=1e-14, atol=0)
    grad = L.BinaryCrossentropy(from_logits=True, reduction="sum").gradient(y, z)
    # sigmoid(z) - y cancels where the two are close: a few ulps of the terms absolutely
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-14, atol=4 * np.finfo(float).eps)
    nnmath.set_num_threads(1)
    try:
        one = L.binary_crossentropy(y, z, from_logits=True)
    finally:
        nnmath.set_num_threads(os.cpu_count() or 1)
    np.testing.assert_array_equal(one, L.binary_crossentropy(y, z, from_logits=True))

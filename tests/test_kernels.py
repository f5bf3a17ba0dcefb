"""The fast NumPy paths (``nnmath._kernels``) agree with the reference math.

The reference is the readable core of each function (``activations._cores``,
``activations._axis_cores``, the loss cores, the metrics' ``*_hits``), called directly.

Tolerances, and why:

* elementwise activations, softmax, log_softmax, sparse categorical crossentropy and the
  accuracies: **bit-identical** (``assert_array_equal``, and the sign of every zero for the
  activations). The kernels run the reference's own ufuncs on each element (a ``where``
  replaced by an exact identity, e.g. ``where(x < 0, e^{-|x|}, 1) = e^{min(x, 0)}``) and
  reduce the same contiguous rows, so there is nothing to round differently.
* exact GELU with float32 (and float16) results: the float64 intermediate sums 18 terms
  of the erfcx series instead of 30 (a relative change of ~1e-12), so the float32 result
  is the reference's or its neighbour at a rounding tie: **within 1 ulp**, the accuracy
  issue's float32 tolerance (float64 GELU is bit-identical). Likewise sigmoid, silu and
  mish with float32 results: the reference core runs the compensated (double-double)
  float64 formula, the float32 kernel the plain float64 one (both within ~2^-50
  relative), so the rounded results differ only next to a tie: **within 1 ulp**.
* binary crossentropy from logits: the terms are rearranged into
  ``y z⁻ + (1 - y) z⁺ + log1p(e^{-|z|})`` (one exp and log1p instead of two), which is
  bit-identical for hard labels and within a few roundings for soft labels, and long rows
  are summed chunk by chunk. The loss is a mean of non-negative terms, so its relative
  error is bounded by the terms' (4 ulp) plus the summation's (≤ log2(n) ulp): the tests
  use ``rtol = 32 eps`` of the dtype (float32: 3.8e-6, float64: 7.1e-15), well inside the
  accuracy issue's per-element 1 ulp (float32) / 2 ulp (float64) for the terms
  themselves, which are checked separately at ``2 eps``.
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
from nnmath.activations import _axis_cores, _cores
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


ELEMENTWISE = {
    "sigmoid": (A.sigmoid, lambda x: _cores.sigmoid(np, x)),
    "tanh": (A.tanh, lambda x: _cores.tanh(np, x)),
    "relu": (A.relu, lambda x: _cores.relu(np, x)),
    "gelu": (A.gelu, lambda x: _cores.gelu(np, x, False)),
    "silu": (A.silu, lambda x: _cores.silu(np, x)),
    "softplus": (A.softplus, lambda x: _cores.softplus(np, x, 1.0)),
    "log_sigmoid": (A.log_sigmoid, lambda x: _cores.log_sigmoid(np, x)),
    "mish": (A.mish, lambda x: _cores.mish(np, x)),
}


def reference_elementwise(ref, x):
    xc = x.astype(np.float64)  # the dtype rule: float16 and float32 computed in float64
    with np.errstate(under="ignore", over="ignore"):
        return np.asarray(ref(xc)).astype(x.dtype)


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


def check_elementwise(name, ours, ref):
    if name in ("gelu", "silu", "mish", "sigmoid") and ours.dtype != np.float64:
        assert_close_ulps(ours, ref, 1)
    else:
        assert_identical(ours, ref)


@pytest.mark.parametrize("name", list(ELEMENTWISE))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", SIZES)
def test_elementwise_bit_identical_to_reference(name, dtype, n):
    f, ref = ELEMENTWISE[name]
    x = sample(n, dtype)
    with np.errstate(all="raise"):  # finite input: no floating-point flag escapes
        ours = f(x)
    check_elementwise(name, ours, reference_elementwise(ref, x))


@pytest.mark.parametrize("name", list(ELEMENTWISE))
@pytest.mark.parametrize("dtype", DTYPES)
def test_elementwise_nonfinite_and_out(name, dtype):
    f, ref = ELEMENTWISE[name]
    x = sample(SIZES[-1], dtype, nonfinite=True).reshape(-1, 7)[:, :5]  # not contiguous
    expected = reference_elementwise(ref, x)
    check_elementwise(name, f(x), expected)
    out = np.full(x.shape, 7.0, dtype)
    assert f(x, out=out) is out
    check_elementwise(name, out, expected)
    y = np.ascontiguousarray(x)
    assert f(y, out=y) is y  # in place
    check_elementwise(name, y, expected)
    strided = np.zeros((x.shape[0], 10), dtype)[:, ::2]
    f(x, out=strided)
    check_elementwise(name, np.ascontiguousarray(strided), expected)


#: the classes whose forward call on NumPy float arrays is the function's fast path
CLASSES = {"sigmoid": A.Sigmoid(), "tanh": A.Tanh(), "relu": A.ReLU(), "gelu": A.GELU(),
           "silu": A.SiLU(), "softplus": A.Softplus(), "log_sigmoid": A.LogSigmoid(),
           "mish": A.Mish()}


@pytest.mark.parametrize("name", list(ELEMENTWISE))
@pytest.mark.parametrize("dtype", DTYPES)
def test_classes_forward_through_the_fast_paths(name, dtype, monkeypatch):
    f, ref = ELEMENTWISE[name]
    act = CLASSES[name]
    x = sample(SIZES[-1], dtype, nonfinite=True)
    assert_identical(act(x), f(x))
    check_elementwise(name, act(x), reference_elementwise(ref, x))
    calls = []
    original = _kernels.elementwise
    monkeypatch.setattr(_kernels, "elementwise",
                        lambda *a, **k: calls.append(1) or original(*a, **k))
    act(x)
    assert calls, "the class did not run the kernel"
    for empty in (np.zeros(0, dtype), np.zeros((0, 3), dtype)):  # nothing to compute
        assert act(empty).shape == empty.shape and act(empty).dtype == empty.dtype
        assert f(empty).shape == empty.shape


@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_float32_memmap_is_widened_chunk_by_chunk(name, tmp_path):
    import tracemalloc

    f, _ = ELEMENTWISE[name]
    n = 2_000_000  # 8 MB of float32: a whole float64 copy would be 16 MB
    x = sample(n, np.float32)
    mm = np.memmap(tmp_path / "x.f32", dtype=np.float32, mode="w+", shape=(n,))
    mm[:] = x
    f(mm[:1000])  # the scratch buffers, allocated once per thread
    tracemalloc.start()
    try:
        y = f(mm)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert_identical(y, f(x))
    assert peak - y.nbytes < 4 * n  # the output, not a float64 copy of the input


def test_subclass_with_its_own_math_is_not_sent_to_the_fast_path():
    class Doubled(A.Sigmoid):
        _core = staticmethod(lambda xp, x: 2.0 * _cores.sigmoid(xp, x))

    class Renamed(A.Sigmoid):
        name = "renamed"

    x = np.array([-1.0, 0.0, 3.0])
    np.testing.assert_array_equal(Doubled()(x), 2.0 * A.sigmoid(x))
    np.testing.assert_array_equal(Renamed()(x), A.sigmoid(x))
    np.testing.assert_array_equal(Doubled()([-1.0, 0.0, 3.0]), 2.0 * A.sigmoid(x))


def test_ulp_distance_counts_ulps():
    a = np.array([1.0, 0.0, -0.0, np.float32(1e-45)], np.float32)
    b = np.array([np.nextafter(np.float32(1), np.float32(2)), -0.0, np.float32(-1e-45),
                  0.0], np.float32)
    np.testing.assert_array_equal(ulp_distance(a, b), [1, 1, 1, 1])


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_gelu_float32_path_on_a_dense_grid(dtype):
    x = np.concatenate([np.linspace(-16, 16, 400_001), -np.geomspace(1e-30, 16, 20_001)])
    x = x.astype(dtype)
    expected = reference_elementwise(ELEMENTWISE["gelu"][1], x)
    assert_close_ulps(A.gelu(x), expected, 1)


@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_bad_out_is_refused_naming_out(name):
    f, _ = ELEMENTWISE[name]
    x = np.linspace(-3, 3, 12)
    with pytest.raises(ValueError, match="out"):
        f(x, out=np.empty(11))
    with pytest.raises(TypeError, match="out"):
        f(x, out=np.empty(12, np.float32))
    with pytest.raises(TypeError, match="out"):
        f(x, out=[0.0] * 12)


def test_large_calls_use_the_threads_and_small_ones_do_not(monkeypatch):
    calls = []
    real = _kernels._engine._parallel

    def spy(n, grain, work):
        calls.append(n)
        return real(n, grain, work)

    monkeypatch.setattr(_kernels._engine, "_parallel", spy)
    A.sigmoid(np.zeros(1000))
    A.softmax(np.zeros((10, 100)))
    assert calls == []
    A.sigmoid(np.zeros(SIZES[-1], np.float32))
    A.softmax(np.zeros((SIZES[-1] // 100, 100), np.float32))
    assert len(calls) == 2
    # float64 softmax and GELU run their compensated reference in small pieces, in the
    # calling thread (threads would wait for the GIL); sigmoid, silu and mish have float64
    # kernels of their own, threaded
    A.softmax(np.zeros((SIZES[-1] // 100, 100)))
    A.gelu(np.zeros(SIZES[-1]))
    assert len(calls) == 2
    A.sigmoid(np.zeros(SIZES[-1]))
    A.silu(np.zeros(SIZES[-1]))
    A.mish(np.zeros(SIZES[-1]))
    assert len(calls) == 5


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_thread_count_does_not_change_results(threads):
    old = nnmath.get_num_threads()
    x = sample(SIZES[-1], np.float64)
    z = sample(SIZES[-1], np.float32).reshape(-1, 100)
    try:
        nnmath.set_num_threads(threads)
        assert nnmath.get_num_threads() == threads
        assert_identical(A.silu(x), reference_elementwise(ELEMENTWISE["silu"][1], x))
        with np.errstate(over="ignore", under="ignore"):
            ref = _axis_cores.log_softmax(np, z.astype(np.float64)).astype(np.float32)
        np.testing.assert_array_equal(A.log_softmax(z), ref)
    finally:
        nnmath.set_num_threads(old)


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


# -- softmax, log_softmax -------------------------------------------------------------------

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


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 5), (20, 50), (SIZES[-1] // 100 + 7, 100),
                                   (9, _kernels.CHUNK + 5)])
def test_axis_bit_identical_to_reference(name, dtype, shape):
    z = logits(*shape, dtype)
    core = getattr(_axis_cores, name)
    zc = z.astype(np.float64)  # the dtype rule: float16 and float32 computed in float64
    with np.errstate(over="ignore", under="ignore"):
        ref = core(np, zc).astype(dtype)
    with np.errstate(all="raise"):
        ours = getattr(A, name)(z)
    np.testing.assert_array_equal(ours, ref)
    assert ours.dtype == dtype


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_axis_nonfinite_rows_out_and_axis(name, dtype):
    z = logits(SIZES[-1] // 100, 100, dtype, nonfinite=True)
    core = getattr(_axis_cores, name)
    f = getattr(A, name)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        ref = core(np, z.astype(np.float64)).astype(dtype)
    np.testing.assert_array_equal(f(z), ref)
    out = np.empty_like(z)
    assert f(z, out=out) is out
    np.testing.assert_array_equal(out, ref)
    y = z.copy()
    assert f(y, out=y) is y
    np.testing.assert_array_equal(y, ref)
    t = np.empty_like(z.T)
    assert f(z.T.copy(), axis=0, out=t) is t
    np.testing.assert_array_equal(t, ref.T)
    with pytest.raises(ValueError, match="out"):
        f(z, out=np.empty((3, 100), dtype))
    with pytest.raises(TypeError, match="out"):
        f(z, out=np.empty(z.shape, np.float16))


# -- losses ---------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 6), (SIZES[-1] // 50 + 3, 50), (3, _kernels.CHUNK + 9)])
def test_sparse_ce_logits_matches_reference(dtype, shape):
    z = logits(*shape, dtype)
    labels = RNG.integers(0, shape[1], shape[0])
    opts = {"valid": None, "label_smoothing": 0.0, "class_weight": None, "from_logits": True}
    zc = z.astype(np.float64)  # log_softmax's dtype rule: float16 and float32 in float64
    with np.errstate(over="ignore", under="ignore"):
        ref = _crossentropy._sparse_core(np, labels, zc, opts, False)[0].astype(dtype)
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
    opts = {"valid": None, "label_smoothing": 0.0, "class_weight": None, "from_logits": True}
    with np.errstate(all="ignore"):
        ref = _crossentropy._sparse_core(np, labels, z, opts, False)[0]
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
    np.testing.assert_array_equal(ours[:100], ref[:100])  # hard labels: bit-identical


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


def test_out_with_other_namespaces_is_refused():
    strict = pytest.importorskip("array_api_strict")
    x = strict.asarray([1.0, 2.0])
    with pytest.raises(TypeError, match="out"):
        A.sigmoid(x, out=np.empty(2))


def test_the_kernels_tail_is_the_references():
    # silu64/mish64 switch to the scaled exponential where the reference cores do
    from nnmath._kernels import _elementwise

    assert _elementwise.TAIL == _cores.TAIL
    x = np.array([_cores.TAIL - 1e-9, _cores.TAIL, _cores.TAIL + 1e-9, -745.0, -1e5])
    for name in ("silu", "mish"):
        with np.errstate(under="ignore"):
            ref = getattr(_cores, name)(np, x)
        np.testing.assert_array_equal(getattr(A, name)(x), ref)

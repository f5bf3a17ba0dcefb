"""softmax, log_softmax and softmin (functions, classes, Jacobians, VJPs) along a tuple of
axes, normalised jointly over them as Keras 3 does: against SciPy's ``softmax`` and
``log_softmax`` (which take tuples of axes) and finite differences."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import special

import nnmath.activations as A

RNG = np.random.default_rng(11)
SHAPE = (3, 4, 5)
#: (nnmath function, its class, the SciPy reference)
FUNCTIONS = {
    "softmax": (A.softmax, A.Softmax, special.softmax),
    "log_softmax": (A.log_softmax, A.LogSoftmax, special.log_softmax),
    "softmin": (A.softmin, A.Softmin, lambda x, axis: special.softmax(-x, axis=axis)),
}
AXES = [(0, 1), (1, 2), (0, 2), (2, 0), (-1, 0), (0, 1, 2), (-3, -2, -1), [1, 2]]


def _scipy_axes(axes):
    return tuple(a % len(SHAPE) for a in axes)


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("axes", AXES, ids=str)
def test_value_matches_scipy(name, axes):
    fn, cls, ref = FUNCTIONS[name]
    x = RNG.normal(0, 4, SHAPE)
    want = ref(x, axis=_scipy_axes(axes))
    np.testing.assert_allclose(fn(x, axis=axes), want, rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(cls(axis=axes)(x), want, rtol=1e-13, atol=1e-300)
    if name != "log_softmax":  # every slice over the joint axes sums to 1
        sums = np.sum(fn(x, axis=axes), axis=_scipy_axes(axes))
        np.testing.assert_allclose(sums, 1.0, rtol=1e-14)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_non_contiguous_input_float32_and_a_single_axis_tuple(name):
    fn, _, ref = FUNCTIONS[name]
    x = RNG.normal(0, 3, (5, 4, 3)).transpose(2, 1, 0)  # not contiguous: the merge copies
    assert not x.flags.c_contiguous
    np.testing.assert_allclose(fn(x, axis=(0, 2)), ref(x, axis=(0, 2)), rtol=1e-13)
    x32 = x.astype(np.float32)
    got = fn(x32, axis=(1, 2))
    assert got.dtype == np.float32 and got.shape == x.shape
    np.testing.assert_allclose(got, ref(x32.astype(np.float64), axis=(1, 2)), rtol=2e-6,
                               atol=1e-6)
    np.testing.assert_array_equal(fn(x, axis=(1,)), fn(x, axis=1))
    out = np.empty_like(x)
    assert fn(x, axis=(0, 1), out=out) is out
    np.testing.assert_array_equal(out, fn(x, axis=(0, 1)))


def test_extreme_values_stay_finite_over_joint_axes():
    x = np.array([[1000.0, 0.0], [-1000.0, 999.0]])
    np.testing.assert_allclose(A.softmax(x, axis=(0, 1)),
                               [[1 / (1 + np.exp(-1.0)), 0.0], [0.0, 1 / (1 + np.e)]],
                               rtol=1e-15)
    np.testing.assert_allclose(A.log_softmax(x, axis=(0, 1))[1, 0], -2000.0 - np.log1p(
        np.exp(-1.0)), rtol=1e-15)


def _numeric_jacobian(f, x, eps=1e-6):
    """Central differences: ``J[out..., in...]`` over all of x's entries."""
    jac = np.zeros(x.shape + x.shape)
    for idx in itertools.product(*map(range, x.shape)):
        d = np.zeros_like(x)
        d[idx] = eps
        jac[(Ellipsis, *idx)] = (f(x + d) - f(x - d)) / (2 * eps)
    return jac


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("axes", [(0, 2), (2, 0), (1, 2)], ids=str)
def test_jacobian_and_vjp_against_finite_differences(name, axes):
    _, cls, _ = FUNCTIONS[name]
    act = cls(axis=axes)
    x = RNG.normal(0, 1, (2, 3, 4))
    full = _numeric_jacobian(act, x)  # (2, 3, 4, 2, 3, 4)
    jac = act.gradient(x)
    other = next(a for a in range(3) if a not in axes)
    sizes = tuple(x.shape[a] for a in axes)
    assert jac.shape == (x.shape[other], *sizes, *sizes)
    # the analytic Jacobian's block of each slice, in the tuple's order of axes
    for b in range(x.shape[other]):
        for i in itertools.product(*map(range, sizes)):
            for j in itertools.product(*map(range, sizes)):
                out_idx, in_idx = [0, 0, 0], [0, 0, 0]
                out_idx[other] = in_idx[other] = b
                for a, ii, jj in zip(axes, i, j, strict=True):
                    out_idx[a], in_idx[a] = ii, jj
                assert jac[(b, *i, *j)] == pytest.approx(full[(*out_idx, *in_idx)],
                                                         abs=1e-8)
    # entries across different slices are 0: the slices are independent
    g = RNG.normal(size=x.shape)
    want = np.einsum("abc,abcdef->def", g, full)
    np.testing.assert_allclose(act.backward(x, g), want, atol=1e-8)


def test_dask_and_array_api_strict_follow_numpy():
    x = RNG.normal(0, 2, SHAPE)
    g = RNG.normal(size=SHAPE)
    da = pytest.importorskip("dask.array")
    xd = da.from_array(x, chunks=(2, 2, 5))
    for name, (fn, cls, _) in FUNCTIONS.items():
        np.testing.assert_allclose(fn(xd, axis=(0, 1)).compute(), fn(x, axis=(0, 1)),
                                   rtol=1e-14, err_msg=name)
        np.testing.assert_allclose(cls(axis=(0, 1)).backward(xd, g).compute(),
                                   cls(axis=(0, 1)).backward(x, g), rtol=1e-12, atol=1e-15)
    xp = pytest.importorskip("array_api_strict")
    xs = xp.asarray(x)
    for name, (fn, cls, _) in FUNCTIONS.items():
        np.testing.assert_allclose(np.asarray(fn(xs, axis=(2, 0))), fn(x, axis=(2, 0)),
                                   rtol=1e-13, err_msg=name)
        np.testing.assert_allclose(np.asarray(cls(axis=(2, 0)).gradient(xs)),
                                   cls(axis=(2, 0)).gradient(x), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(np.asarray(cls(axis=(2, 0)).backward(xs, xp.asarray(g))),
                                   cls(axis=(2, 0)).backward(x, g), rtol=1e-12, atol=1e-15)


def test_bad_axes_are_refused_naming_the_argument():
    x = np.zeros(SHAPE)
    with pytest.raises(ValueError, match="repeats an axis"):
        A.softmax(x, axis=(0, -3))
    with pytest.raises(ValueError, match="out of range"):
        A.softmax(x, axis=(0, 3))
    with pytest.raises(TypeError, match="non-empty tuple"):
        A.softmax(x, axis=())
    with pytest.raises(TypeError, match="non-empty tuple"):
        A.Softmax(axis=(0, True))
    with pytest.raises(ValueError, match="repeated axis"):
        A.LogSoftmax(axis=(1, 1))
    with pytest.raises(TypeError, match="axis of sparsemax must be an integer"):
        A.sparsemax(x, axis=(0, 1))
    with pytest.raises(TypeError, match="axis of glu must be an integer"):
        A.GLU(axis=(0, 1))
    with pytest.raises(TypeError, match="or a tuple of integers"):
        A.Softmax(axis=1.0)
    with pytest.raises(ValueError, match="grad_output"):
        A.Softmax(axis=(0, 1)).backward(x, np.zeros((3, 4)))


def test_config_keeps_the_tuple():
    act = A.Softmax(axis=[0, 2])
    assert act.axis == (0, 2) and act.get_config() == {"axis": (0, 2)}
    assert A.get({"class_name": "Softmax", "config": {"axis": [0, 2]}}) == act

"""The activations are wired to the compiled core: one copy of each formula.

* every row of the spec table has its core ufuncs (value, derivative, fused backward) and
  the public function, the class's ``__call__``, ``gradient`` and ``backward`` return
  exactly what those ufuncs return, in float16, float32 and float64;
* NumPy input never reaches the plain ``xp`` formulas (they are replaced by functions that
  fail, and every NumPy call still works), except Keras's relu with a slope together with
  a threshold or a cap, which no ufunc computes (documented);
* the public names, the registry and ``__all__`` follow from the table;
* ``out=``, the dtype rule, memmaps, Dask arrays and the refusal of ``out=`` for other
  libraries.
"""

from __future__ import annotations

import numpy as np
import pytest

import nnmath.activations as A
from nnmath import _core
from nnmath.activations import _spec, _xp, _xp_axis
from tests.activation_cases import AXIS_CASES, ELEMENTWISE_CASES, case_id, make

RNG = np.random.default_rng(20261207)
DTYPES = [np.float16, np.float32, np.float64]
ROWS = [row for row in _spec.ROWS if not row.axis]


def sample(dtype, n=400):
    x = RNG.standard_normal(n) * RNG.choice([0.3, 3.0, 40.0], n)
    x[:8] = [0.0, -0.0, 1.0, -1.0, 3.0, -3.0, 0.5, -0.5]  # kinks of the clipping functions
    with np.errstate(over="ignore"):
        return x.astype(dtype)


def core_route(act):
    """The core ufunc base name and parameter inputs of an activation instance."""
    if isinstance(act, A.RReLU):
        return "leaky_relu", (0.5 * (act.lower + act.upper),)
    if isinstance(act, A.PReLU):
        return "leaky_relu", (act.weight,)
    return act._spec.route(act._values())


def assert_same(ours, ref):
    assert ours.dtype == ref.dtype
    np.testing.assert_array_equal(ours, ref)
    np.testing.assert_array_equal(np.signbit(ours), np.signbit(ref))


# -- the table ---------------------------------------------------------------------------
@pytest.mark.parametrize("row", _spec.ROWS, ids=lambda r: r.name)
def test_every_row_has_its_core_ufuncs(row):
    names = [row.core if isinstance(row.core, str) else None]
    if row.name == "relu":
        names = ["relu", "leaky_relu", "hard_tanh", "threshold"]
    if row.name == "gelu":
        names = ["gelu", "gelu_tanh"]
    for base in names:
        suffixes = ("", "_backward") if row.axis else ("", "_grad", "_backward")
        for suffix in suffixes:
            uf = getattr(_core, base + suffix, None)
            assert isinstance(uf, np.ufunc), f"the core has no ufunc {base + suffix}"


def test_names_registry_and_all_follow_from_the_table():
    for row in _spec.ROWS:
        assert A.REGISTRY[row.name].name == row.name
        assert getattr(A, row.cls) is A.REGISTRY[row.name]
        assert callable(getattr(A, row.name))
        for alias in row.aliases:
            assert A.REGISTRY[alias] is A.REGISTRY[row.name]
            assert getattr(A, alias) is getattr(A, row.name)
        for alias in row.class_aliases:
            assert getattr(A, alias) is A.REGISTRY[row.name]
        assert {row.name, row.cls, *row.aliases, *row.class_aliases} <= set(A.__all__)
    assert len(_spec.ROWS) == 33
    assert set(A.names()) == {r.name for r in _spec.ROWS} | set(_spec.ALIASES)
    for name in A.__all__:
        assert hasattr(A, name), name


def test_parameters_are_validated_from_the_table():
    with pytest.raises(ValueError, match="alpha"):
        A.celu([1.0], alpha=0.0)
    with pytest.raises(ValueError, match="min_val"):
        A.HardTanh(1.0, 1.0)
    with pytest.raises(TypeError, match="beta"):
        A.Softplus(beta="big")
    with pytest.raises(TypeError, match="default_value"):
        A.Threshold(0.5)


# -- every public path is the core's ufunc -------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", ELEMENTWISE_CASES, ids=case_id)
def test_public_paths_return_the_core_ufuncs_results(case, dtype):
    name, params = case
    act = make(name, params)
    route = core_route(act)
    if route is None:
        pytest.skip("relu with a slope and a threshold or cap: no ufunc (see the next test)")
    base, args = route
    x = sample(dtype)
    g = sample(dtype)[::-1].copy()
    uf = getattr(_core, base)
    assert_same(act(x), uf(x, *args))
    assert_same(act.gradient(x), getattr(_core, base + "_grad")(x, *args))
    assert_same(act.backward(x, g), getattr(_core, base + "_backward")(x, g, *args))
    if name not in ("rrelu", "prelu"):  # functions take the same parameters
        fn = getattr(A, name)
        assert_same(fn(x, **params), uf(x, *args))


def test_numpy_input_never_reaches_the_xp_formulas(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("NumPy input reached an xp formula")

    for module in (_xp, _xp_axis):
        for attr in dir(module):
            obj = getattr(module, attr)
            if callable(obj) and getattr(obj, "__module__", "") == module.__name__:
                monkeypatch.setattr(module, attr, boom)
    saved = {}
    for row in _spec.ROWS:  # the rows hold their formulas since import: replace those too
        for field in ("xp", "xp_grad", "xp_vjp"):
            saved[row.name, field] = getattr(row, field)
            object.__setattr__(row, field, boom)  # frozen dataclass, restored below
    try:
        x = sample(np.float32).reshape(20, 20)
        for name, params in ELEMENTWISE_CASES + AXIS_CASES:
            if name == "relu" and params.get("negative_slope") and (
                    params.get("threshold") or params.get("max_value") is not None):
                continue
            act = make(name, params)
            y = act(x)
            act.backward(x, np.ones_like(y))
            act.gradient(x)
    finally:
        for (name, field), fn in saved.items():
            object.__setattr__(_spec.SPECS[name], field, fn)


def test_the_relu_parametrisations_without_a_ufunc_round_once():
    # slope with threshold: x <= t -> s (x - t); computed in float64, rounded once
    x = np.array([-2.0, 0.5, 0.7, 3.0, 5.0], np.float32)
    got = A.relu(x, negative_slope=0.1, max_value=4.0, threshold=0.5)
    xd = x.astype(np.float64)
    want = np.where(xd <= 0.5, 0.1 * (xd - 0.5), np.minimum(xd, 4.0)).astype(np.float32)
    assert_same(got, want)


# -- the NumPy conventions -------------------------------------------------------------
def test_out_is_written_in_place_and_checked():
    x = sample(np.float32)
    out = np.empty_like(x)
    assert A.silu(x, out=out) is out
    assert_same(out, _core.silu(x))
    y = x.copy()
    A.tanh(y, out=y)  # in place
    assert_same(y, _core.tanh(x))
    assert A.softmax(x.reshape(20, 20), out=out.reshape(20, 20)) is not None
    with pytest.raises(TypeError, match="out must have the result's dtype float32"):
        A.sigmoid(x, out=np.empty(x.shape))
    with pytest.raises(ValueError, match="out must have the result's shape"):
        A.elu(x, out=np.empty(3, np.float32))
    with pytest.raises(TypeError, match=r"out must be a numpy\.ndarray"):
        A.gelu(x, out=[0.0] * x.size)
    strict = pytest.importorskip("array_api_strict")
    with pytest.raises(TypeError, match="out"):
        A.sigmoid(strict.asarray([1.0, 2.0]), out=np.empty(2))


@pytest.mark.parametrize("value, dtype", [
    (np.array([1, -2], np.int8), np.float64), (np.array([True, False]), np.float64),
    ([1.0, -2.0], np.float64), (np.array([1.0, -2.0], np.float16), np.float16),
    (np.array([1.0, -2.0], np.float32), np.float32),
])
def test_dtype_rule(value, dtype):
    for fn in (A.sigmoid, A.gelu, A.softmax):
        assert fn(value).dtype == dtype
    assert isinstance(A.sigmoid(0.5), np.float64)  # a scalar in, a NumPy scalar out


def test_backward_with_a_wider_grad_output_is_rounded_once():
    x = sample(np.float32)
    g = RNG.standard_normal(x.size)  # float64
    got = A.Sigmoid().backward(x, g)
    want = _core.sigmoid_backward(x.astype(np.float64), g).astype(np.float32)
    assert_same(got, want)


def test_memmap_and_strided_input(tmp_path):
    x = sample(np.float32, 1000)
    mm = np.lib.format.open_memmap(tmp_path / "x.npy", mode="w+", dtype=np.float32,
                                   shape=x.shape)
    mm[:] = x
    assert_same(np.asarray(A.mish(mm)), _core.mish(x))
    assert_same(A.mish(x[::3]), _core.mish(np.ascontiguousarray(x[::3])))
    z = x.reshape(10, 100)
    assert_same(A.log_softmax(z, axis=0), _core.log_softmax(z.T.copy()).T)


def test_dask_arrays_run_the_core_lazily():
    da = pytest.importorskip("dask.array")
    x = sample(np.float64, 1000).reshape(10, 100)
    dx = da.from_array(x, chunks=(5, 30))
    for fn in (A.sigmoid, A.gelu, A.softmax, A.sparsemax, A.glu):
        y = fn(dx)
        assert isinstance(y, da.Array)
        np.testing.assert_array_equal(y.compute(), fn(x))
    dy = A.Softmax(axis=0).backward(dx, da.ones_like(dx))
    np.testing.assert_array_equal(dy.compute(), A.Softmax(axis=0).backward(x, np.ones_like(x)))

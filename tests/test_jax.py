"""nnmath.jax: the activations and losses as ``jax.custom_vjp`` functions.

References: nnmath's NumPy results (on the core path the functions must hand back exactly
what nnmath computes, value and backward; on the xp path the same to the tolerance stated
in docs/jax.md), ``jax.test_util.check_grads`` (finite differences in float64), and closed
forms written here for the losses. Both CPU paths are tested, each forced with
``nnmath.jax.use_core``, and the default one (``nnmath.jax.path``).
"""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Callable, Iterator

import numpy as np
import pytest

jax = pytest.importorskip("jax", reason="nnmath.jax needs JAX (pip install 'jax[cpu]')")

import jax.numpy as jnp  # noqa: E402
from jax.test_util import check_grads  # noqa: E402

import nnmath.activations as A  # noqa: E402
import nnmath.jax as nj  # noqa: E402
import nnmath.losses as L  # noqa: E402

#: parameters for the functions that need some, or whose defaults leave no smooth region
PARAMS: dict[str, dict[str, object]] = {
    "threshold": {"threshold": 0.5, "default_value": -1.0},
    "elu": {"alpha": 1.5},
    "celu": {"alpha": 0.7},
    "leaky_relu": {"negative_slope": 0.1},
    "relu": {"negative_slope": 0.05, "max_value": 2.5},
    "softplus": {"beta": 2.0},
    "hard_tanh": {"min_val": -0.5, "max_val": 1.5},
    "squareplus": {"b": 2.0},
    "glu": {"axis": 1},
    "softmax": {"axis": 0},
}
FUNCTIONS = [n for n in A.names() if n not in ("prelu", "rrelu", "swish", "hard_swish")]


@pytest.fixture
def x64() -> Iterator[None]:
    """float64 arrays in JAX for the test, restored afterwards."""
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", before)


@pytest.fixture(params=["core", "xp"])
def path(request: pytest.FixtureRequest) -> Iterator[str]:
    """Both ways of computing on the CPU backend: the core (callbacks) and the xp formulas."""
    with nj.use_core(request.param == "core"):
        yield str(request.param)


@pytest.fixture
def core() -> Iterator[None]:
    """The core path for the test (nnmath's NumPy results bit for bit)."""
    with nj.use_core(True):
        yield


def _inputs(name: str, dtype: type = np.float64, seed: int = 0) -> np.ndarray:
    """Random inputs in [-4, 4], at least 0.02 away from the activation's kinks."""
    gen = np.random.default_rng(seed)
    x = gen.uniform(-4.0, 4.0, size=(6, 8))
    act = A.REGISTRY[name](**PARAMS.get(name, {}))
    for k in act.properties.kinks:
        x[np.abs(x - k) < 0.02] += 0.05
    return x.astype(dtype)


def _bits(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    return a.view(np.dtype(f"u{a.dtype.itemsize}"))


def _same_bits(a: object, b: object) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and bool(
        np.array_equal(_bits(a), _bits(b)))


def test_importing_nnmath_does_not_import_jax() -> None:
    code = ("import sys, nnmath, nnmath.activations, nnmath.losses, nnmath.metrics; "
            "print('jax' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_clear_import_error_without_jax() -> None:
    code = ("import sys; sys.modules['jax'] = None\n"
            "try:\n    import nnmath.jax\nexcept ImportError as e:\n    print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert "nnmath.jax needs JAX" in out.stdout


def test_every_activation_has_a_function() -> None:
    for name in A.names():
        assert callable(getattr(nj, name)), name
    assert nj.names() == A.names()
    assert set(A.names()) <= set(nj.__all__)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_values_and_backward_bit_for_bit(name: str, dtype: type, x64: None,
                                         core: None) -> None:
    x = _inputs(name, dtype)
    params = PARAMS.get(name, {})
    act = A.REGISTRY[name](**params)
    fn = getattr(nj, name)
    assert _same_bits(fn(jnp.asarray(x), **params), act(x))
    g = np.random.default_rng(1).standard_normal(np.shape(act(x))).astype(dtype)
    _, vjp = jax.vjp(lambda t: fn(t, **params), jnp.asarray(x))
    (gx,) = vjp(jnp.asarray(g))
    assert _same_bits(gx, act.backward(x, g))


@pytest.mark.parametrize("name", FUNCTIONS)
def test_check_grads_float64(name: str, x64: None, path: str) -> None:
    x = jnp.asarray(_inputs(name))
    params = PARAMS.get(name, {})
    fn = getattr(nj, name)
    check_grads(lambda t: fn(t, **params), (x,), order=1, modes=["rev"], eps=1e-6)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_jit_grad_and_vmap(name: str, x64: None, core: None) -> None:
    x = jnp.asarray(_inputs(name))
    params = {**PARAMS.get(name, {})}
    if name in ("softmax", "glu"):  # an axis that vmap over the rows leaves in each row
        params["axis"] = -1
    fn = getattr(nj, name)
    act = A.REGISTRY[name](**params)
    xn = np.asarray(x)
    expected = act(xn)
    assert _same_bits(jax.jit(lambda t: fn(t, **params))(x), expected)
    grad = jax.grad(lambda t: fn(t, **params).sum())
    want = act.backward(xn, np.ones_like(expected))
    assert _same_bits(grad(x), want)
    assert _same_bits(jax.jit(grad)(x), want)
    assert _same_bits(jax.vmap(lambda t: fn(t, **params))(x), expected)
    assert _same_bits(jax.vmap(grad)(x), np.stack([act.backward(r, np.ones_like(act(r)))
                                                   for r in xn]))
    assert _same_bits(jax.jit(jax.vmap(grad))(x), jax.vmap(grad)(x))


@pytest.mark.parametrize("name", FUNCTIONS)
def test_xp_formulas_under_jit_grad_and_vmap(name: str, x64: None) -> None:
    """The xp path (nnmath's xp formulas traced by JAX) on the CPU: nnmath's values and
    derivatives to rounding, under jit, grad and vmap."""
    with nj.use_core(False):
        _check_xp_formulas(name)


def _check_xp_formulas(name: str) -> None:
    x = jnp.asarray(_inputs(name))
    params = {**PARAMS.get(name, {})}
    if name in ("softmax", "glu"):
        params["axis"] = -1
    act = A.REGISTRY[name](**params)
    xn = np.asarray(x)
    expected = act(xn)
    want = act.backward(xn, np.ones_like(expected))
    fn = getattr(nj, name)
    grad = jax.grad(lambda t: fn(t, **params).sum())
    np.testing.assert_allclose(jax.jit(lambda t: fn(t, **params))(x), expected, rtol=1e-13,
                               atol=1e-15)
    np.testing.assert_allclose(jax.jit(grad)(x), want, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(jax.vmap(grad)(x), np.stack(
        [act.backward(r, np.ones_like(act(r))) for r in xn]), rtol=1e-13, atol=1e-15)


def test_vmap_keeps_a_nonnegative_axis_on_the_example(x64: None, core: None) -> None:
    """``axis=0`` of each example is axis 1 of the batch under ``vmap``."""
    x = jnp.asarray(_inputs("softmax").reshape(3, 2, 8))
    got = jax.vmap(lambda t: nj.softmax(t, axis=0))(x)
    assert _same_bits(got, A.softmax(np.asarray(x), axis=1))
    got = jax.vmap(lambda t: nj.glu(t, axis=(0)))(x)
    assert _same_bits(got, A.glu(np.asarray(x), axis=1))


def test_softmax_tuple_of_axes(x64: None, core: None) -> None:
    x = _inputs("softmax").reshape(2, 3, 8)
    assert _same_bits(nj.softmax(jnp.asarray(x), axis=(1, 2)), A.softmax(x, axis=(1, 2)))
    check_grads(lambda t: nj.softmax(t, axis=(1, 2)), (jnp.asarray(x),), order=1,
                modes=["rev"], eps=1e-6)


def test_gradient_at_a_kink_is_nnmaths(x64: None, path: str) -> None:
    """silu'(0) = 1/2 and relu'(0) as nnmath defines it, not what tracing the formula gives."""
    x = jnp.zeros(3)
    assert np.array_equal(jax.grad(lambda t: nj.silu(t).sum())(x), np.full(3, 0.5))
    assert _same_bits(jax.grad(lambda t: nj.relu(t).sum())(x),
                      A.ReLU().backward(np.zeros(3), np.ones(3)))


def test_float32_and_bfloat16(core: None) -> None:
    x = _inputs("gelu", np.float32)
    assert _same_bits(nj.gelu(jnp.asarray(x)), A.gelu(x))
    xb = jnp.asarray(x, dtype=jnp.bfloat16)
    y = nj.gelu(xb)
    assert y.dtype == jnp.bfloat16
    want = A.gelu(np.asarray(xb, dtype=np.float32)).astype(jnp.bfloat16)
    assert np.array_equal(np.asarray(y, dtype=np.float32), np.asarray(want, dtype=np.float32))


def test_parameters_are_validated_and_integers_refused() -> None:
    with pytest.raises(ValueError, match="beta"):
        nj.softplus(jnp.ones(2), beta=0.0)
    with pytest.raises(TypeError, match="floating-point"):
        nj.relu(jnp.arange(3))


def test_no_second_derivative_on_the_core(x64: None, core: None) -> None:
    """On the core path the backward is a callback: differentiating it raises JAX's
    error."""
    with pytest.raises(ValueError, match="callbacks do not support JVP"):
        jax.grad(jax.grad(lambda t: nj.tanh(t)))(jnp.asarray(0.3))


def test_prelu_in_x_and_weight(x64: None, core: None) -> None:
    x = _inputs("leaky_relu")
    w = np.linspace(0.1, 0.8, 8)
    assert _same_bits(nj.prelu(jnp.asarray(x), jnp.asarray(w)), A.prelu(x, w))
    check_grads(nj.prelu, (jnp.asarray(x), jnp.asarray(w)), order=1, modes=["rev"], eps=1e-6)
    g = np.random.default_rng(2).standard_normal(x.shape)
    _, vjp = jax.vjp(nj.prelu, jnp.asarray(x), jnp.asarray(w))
    gx, gw = vjp(jnp.asarray(g))
    act = A.PReLU(w)
    assert _same_bits(gx, act.backward(x, g))
    np.testing.assert_allclose(gw, act.weight_gradient(x, g), rtol=1e-14, atol=1e-14)
    # the hand derivation: sum over the rows of g * min(x, 0)
    np.testing.assert_allclose(gw, (g * np.minimum(x, 0)).sum(axis=0), rtol=1e-12)
    rows = jax.vmap(lambda t: nj.prelu(t, jnp.asarray(w)))(jnp.asarray(x))
    assert _same_bits(rows, A.prelu(x, w))


def test_rrelu(x64: None, core: None) -> None:
    x = _inputs("leaky_relu")
    assert _same_bits(nj.rrelu(jnp.asarray(x), 0.1, 0.3), A.rrelu(x, 0.1, 0.3))
    y = nj.rrelu(jnp.asarray(x), 0.1, 0.3, training=True, key=jax.random.key(0))
    neg = x < 0
    slope = np.asarray(y)[neg] / x[neg]
    assert ((slope >= 0.1 - 1e-12) & (slope <= 0.3 + 1e-12)).all()
    assert np.array_equal(np.asarray(y)[~neg], x[~neg])
    with pytest.raises(ValueError, match="key"):
        nj.rrelu(jnp.asarray(x), training=True)


# -- the two CPU paths, the switch and the default table --------------------------------------

LOSSES = ("softmax_cross_entropy", "softmax_cross_entropy_with_integer_labels",
          "sigmoid_binary_cross_entropy")
#: the xp path's documented accuracy in float32 (docs/jax.md), in float32 ulps of nnmath's
#: NumPy result (itself within 1 ulp of the true value) on moderate inputs (here in [-4, 4])
XP_F32_ULPS = 8
#: tanh_shrink's x - tanh(x) cancels near 0
XP_F32_ULPS_OF = {"tanh_shrink": 16}


def _ulps(got: object, want: np.ndarray) -> float:
    """The largest |got - want| in units of the spacing of ``want``'s dtype at ``want``."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want)
    spacing = np.spacing(np.abs(want).astype(want.dtype)).astype(np.float64)
    return float(np.max(np.abs(got - want.astype(np.float64)) / spacing))


def _uses_callback(fn: Callable[..., object], *args: object) -> bool:
    """Whether the program of ``fn`` traced now calls back to the host. (A fresh function
    each time: JAX keeps the trace of a function object it has traced, path included.)"""
    return "callback" in str(jax.make_jaxpr(lambda *a: fn(*a))(*args))


def test_use_core_switch_and_path() -> None:
    names = [*A.names(), *LOSSES]
    default = {n: nj.CPU_DEFAULT.get(A.REGISTRY[n].name if n in A.REGISTRY else n, "xp")
               for n in names}
    assert {n: nj.path(n) for n in names} == default
    with nj.use_core(True):
        assert all(nj.path(n) == "core" for n in names)
        with nj.use_core(False):
            assert all(nj.path(n) == "xp" for n in names)
        assert all(nj.path(n) == "core" for n in names)
        with nj.use_core(None):
            assert {n: nj.path(n) for n in names} == default
    assert {n: nj.path(n) for n in names} == default
    nj.use_core(False)  # called alone: set until the next call
    try:
        assert nj.path("gelu") == "xp"
    finally:
        nj.use_core(None)
    assert nj.path("gelu") == default["gelu"]
    with pytest.raises(TypeError, match="True, False or None"):
        nj.use_core(1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no function 'gleu'"):
        nj.path("gleu")


def test_default_table_covers_every_function_once() -> None:
    functions = {n for n in A.names() if A.REGISTRY[n].name == n} | set(LOSSES)
    assert set(nj.CPU_DEFAULT) == functions
    assert set(nj.CPU_DEFAULT.values()) <= {"core", "xp"}
    assert nj.path("swish") == nj.path("silu")
    assert nj.path("hard_swish") == nj.path("hard_silu")


def test_the_path_shows_in_the_traced_program(x64: None) -> None:
    """The core path is a callback in the jaxpr, the xp path is not; the backward takes the
    path of the call that made it, whatever the setting when it runs."""
    x = jnp.linspace(-2.0, 2.0, 5)
    for name in ("gelu", "softmax"):
        fn = getattr(nj, name)
        with nj.use_core(True):
            assert _uses_callback(fn, x)
            assert _uses_callback(jax.grad(lambda t, f=fn: f(t).sum()), x)
            _, vjp_core = jax.vjp(fn, x)
        with nj.use_core(False):
            assert not _uses_callback(fn, x)
            assert not _uses_callback(jax.grad(lambda t, f=fn: f(t).sum()), x)
            _, vjp_xp = jax.vjp(fn, x)
        with nj.use_core(True):
            assert not _uses_callback(vjp_xp, x)
        with nj.use_core(False):
            assert _uses_callback(vjp_core, x)
    # a function traced before keeps its path; traced again it takes the setting's
    jitted = jax.jit(nj.tanh)
    with nj.use_core(False):
        y_xp = jitted(x)
    with nj.use_core(True):
        assert _same_bits(jitted(x), y_xp)
        assert _same_bits(jax.jit(lambda t: nj.tanh(t))(x), A.tanh(np.asarray(x)))
        jax.clear_caches()  # then the same jitted function is traced again
        assert _same_bits(jitted(x), A.tanh(np.asarray(x)))
    z, y = jnp.ones((2, 3)), jnp.array([0, 2])
    loss = nj.softmax_cross_entropy_with_integer_labels
    with nj.use_core(True):
        assert _uses_callback(jax.grad(lambda t: loss(t, y).sum()), z)
    with nj.use_core(False):
        assert not _uses_callback(jax.grad(lambda t: loss(t, y).sum()), z)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_default_path_matches_numpy(name: str, x64: None) -> None:
    """Whatever the table says: the core path gives nnmath's NumPy results bit for bit, the
    xp path the same to its documented tolerance (float64: 1e-13 relative; float32: a few
    ulps)."""
    params = {**PARAMS.get(name, {})}
    act = A.REGISTRY[name](**params)
    fn = getattr(nj, name)
    for dtype in (np.float64, np.float32):
        x = _inputs(name, dtype)
        want = act(x)
        g = np.random.default_rng(1).standard_normal(np.shape(want)).astype(dtype)
        want_g = act.backward(x, g)
        got = jax.jit(lambda t: fn(t, **params))(jnp.asarray(x))
        _, vjp = jax.vjp(lambda t: fn(t, **params), jnp.asarray(x))
        (got_g,) = vjp(jnp.asarray(g))
        if nj.path(name) == "core":
            assert _same_bits(got, want) and _same_bits(got_g, want_g)
        elif dtype == np.float64:
            np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)
            np.testing.assert_allclose(got_g, want_g, rtol=1e-13, atol=1e-15)
        else:
            tol = XP_F32_ULPS_OF.get(name, XP_F32_ULPS)
            assert got.dtype == want.dtype
            assert _ulps(got, want) <= tol
            # the backward: near a root of the derivative the error is relative to the
            # terms that cancel, of the size of g
            np.testing.assert_allclose(got_g, want_g, rtol=tol * 2**-23,
                                       atol=tol * 2**-23 * float(np.abs(g).max()))


@pytest.mark.parametrize("name", FUNCTIONS)
def test_xp_path_float32_within_its_tolerance(name: str) -> None:
    """The xp path in float32 against nnmath's NumPy result (within 1 ulp of the truth)."""
    params = {**PARAMS.get(name, {})}
    act = A.REGISTRY[name](**params)
    x = _inputs(name, np.float32, seed=3)
    with nj.use_core(False):
        got = jax.jit(lambda t: getattr(nj, name)(t, **params))(jnp.asarray(x))
    assert got.dtype == np.float32
    assert _ulps(got, act(x)) <= XP_F32_ULPS_OF.get(name, XP_F32_ULPS)


def test_no_second_derivative_on_the_xp_path(x64: None) -> None:
    """nnmath's xp backward refuses to be differentiated (its derivative would be that of
    its internal operations), with a message that says so."""
    with nj.use_core(False), pytest.raises(TypeError, match="not themselves differentiable"):
        jax.grad(jax.grad(lambda t: nj.tanh(t)))(jnp.asarray(0.3))


def test_prelu_and_losses_on_the_xp_path(x64: None) -> None:
    x = _inputs("leaky_relu")
    w = np.linspace(0.1, 0.8, 8)
    with nj.use_core(False):
        np.testing.assert_allclose(nj.prelu(jnp.asarray(x), jnp.asarray(w)), A.prelu(x, w),
                                   rtol=1e-15)
        check_grads(nj.prelu, (jnp.asarray(x), jnp.asarray(w)), order=1, modes=["rev"],
                    eps=1e-6)
        y = nj.rrelu(jnp.asarray(x), 0.1, 0.3, training=True, key=jax.random.key(0))
    neg = x < 0
    slope = np.asarray(y)[neg] / x[neg]
    assert ((slope >= 0.1 - 1e-12) & (slope <= 0.3 + 1e-12)).all()


# -- losses -----------------------------------------------------------------------------------

def _logits(seed: int = 0, shape: tuple[int, ...] = (5, 4)) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 2.0, size=shape)


def _probs(seed: int = 1, shape: tuple[int, ...] = (5, 4)) -> np.ndarray:
    p = np.random.default_rng(seed).uniform(0.1, 1.0, size=shape)
    return p / p.sum(axis=-1, keepdims=True)


def _log_softmax_hand(z: np.ndarray) -> np.ndarray:
    return np.array([[v - m - math.log(sum(math.exp(u - m) for u in row)) for v in row]
                     for row in z for m in [max(row)]])


def test_softmax_cross_entropy(x64: None, path: str) -> None:
    z, y = _logits(), _probs()
    got = nj.softmax_cross_entropy(jnp.asarray(z), jnp.asarray(y))
    assert got.shape == (5,)
    np.testing.assert_allclose(got, -(y * _log_softmax_hand(z)).sum(axis=1), rtol=1e-14)
    if path == "core":
        want = L.CategoricalCrossentropy(from_logits=True, reduction="none")(y, z)
        assert _same_bits(got, want)
        gz = jax.grad(lambda t: nj.softmax_cross_entropy(t, jnp.asarray(y)).sum())(
            jnp.asarray(z))
        assert _same_bits(gz, L.CategoricalCrossentropy(from_logits=True, reduction="none")
                          .gradient(y, z))
    check_grads(nj.softmax_cross_entropy, (jnp.asarray(z), jnp.asarray(y)), order=1,
                modes=["rev"], eps=1e-6)
    # along axis 0, under jit and vmap
    zt, yt = jnp.asarray(z.T), jnp.asarray(y.T)
    np.testing.assert_allclose(jax.jit(lambda a, b: nj.softmax_cross_entropy(a, b, 0))(zt, yt),
                               got, rtol=1e-14)
    assert _same_bits(jax.vmap(nj.softmax_cross_entropy)(jnp.asarray(z), jnp.asarray(y)),
                      got)


def test_softmax_cross_entropy_with_integer_labels(x64: None, path: str) -> None:
    z = _logits()
    t = np.array([0, 3, 1, 2, 3])
    fn = nj.softmax_cross_entropy_with_integer_labels
    got = fn(jnp.asarray(z), jnp.asarray(t))
    np.testing.assert_allclose(got, -_log_softmax_hand(z)[np.arange(5), t], rtol=1e-14)
    if path == "core":
        loss = L.SparseCategoricalCrossentropy(from_logits=True, reduction="none")
        assert _same_bits(got, loss(t, z))
        gz = jax.grad(lambda v: fn(v, jnp.asarray(t)).sum())(jnp.asarray(z))
        assert _same_bits(gz, loss.gradient(t, z))
    # hand derivation of the gradient: softmax(z) - onehot(t)
    gz = jax.jit(jax.grad(lambda v: fn(v, jnp.asarray(t)).sum()))(jnp.asarray(z))
    sm = np.exp(_log_softmax_hand(z))
    np.testing.assert_allclose(gz, sm - np.eye(4)[t], rtol=1e-12, atol=1e-15)
    check_grads(lambda v: fn(v, jnp.asarray(t)), (jnp.asarray(z),), order=1, modes=["rev"],
                eps=1e-6)
    np.testing.assert_allclose(jax.vmap(fn)(jnp.asarray(z), jnp.asarray(t)), got, rtol=1e-15)
    with pytest.raises(TypeError, match="integer"):
        fn(jnp.asarray(z), jnp.asarray(t, dtype=float))


def test_sigmoid_binary_cross_entropy(x64: None, path: str) -> None:
    z = _logits(shape=(4, 3))
    y = np.random.default_rng(3).uniform(0.0, 1.0, size=(4, 3))
    got = nj.sigmoid_binary_cross_entropy(jnp.asarray(z), jnp.asarray(y))
    sp = np.vectorize(lambda v: max(v, 0.0) + math.log1p(math.exp(-abs(v))))
    np.testing.assert_allclose(got, y * sp(-z) + (1 - y) * sp(z), rtol=1e-14)
    gz = jax.jit(jax.grad(lambda v: nj.sigmoid_binary_cross_entropy(v, jnp.asarray(y)).sum()))(
        jnp.asarray(z))
    np.testing.assert_allclose(gz, 1 / (1 + np.exp(-z)) - y, rtol=1e-13, atol=1e-16)
    check_grads(nj.sigmoid_binary_cross_entropy, (jnp.asarray(z), jnp.asarray(y)), order=1,
                modes=["rev"], eps=1e-6)
    np.testing.assert_allclose(
        jax.vmap(nj.sigmoid_binary_cross_entropy)(jnp.asarray(z), jnp.asarray(y)), got,
        rtol=1e-15)

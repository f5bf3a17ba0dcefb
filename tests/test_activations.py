"""Gradients, Jacobians, kinks, invariances, the registry and the API of the activations.

References here are independent of the code under test: central finite differences with
random upstream gradients, Jacobians built by hand from their textbook formulas, and
values derived in the tests.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from activation_cases import (
    ALL_CASES,
    AXIS_CASES,
    ELEMENTWISE_CASES,
    case_id,
    function_kwargs,
    make,
)

import nnmath.activations as A

RNG = np.random.default_rng(20261128)

DESIGN_NAMES = (
    "sigmoid hard_sigmoid sparse_sigmoid log_sigmoid softmax log_softmax softmin sparsemax "
    "relu relu6 leaky_relu rrelu prelu elu selu celu gelu silu hard_silu mish softplus "
    "sparse_plus squareplus softsign tanh hard_tanh tanh_shrink hard_shrink soft_shrink "
    "threshold glu exponential linear"
).split()
ALIASES = {"swish": "silu", "hard_swish": "hard_silu"}
CLASS_NAMES = {
    "sigmoid": "Sigmoid", "hard_sigmoid": "HardSigmoid", "sparse_sigmoid": "SparseSigmoid",
    "log_sigmoid": "LogSigmoid", "softmax": "Softmax", "log_softmax": "LogSoftmax",
    "softmin": "Softmin", "sparsemax": "Sparsemax", "relu": "ReLU", "relu6": "ReLU6",
    "leaky_relu": "LeakyReLU", "rrelu": "RReLU", "prelu": "PReLU", "elu": "ELU",
    "selu": "SELU", "celu": "CELU", "gelu": "GELU", "silu": "SiLU", "hard_silu": "HardSiLU",
    "mish": "Mish", "softplus": "Softplus", "sparse_plus": "SparsePlus",
    "squareplus": "Squareplus", "softsign": "Softsign", "tanh": "Tanh",
    "hard_tanh": "HardTanh", "tanh_shrink": "TanhShrink", "hard_shrink": "HardShrink",
    "soft_shrink": "SoftShrink", "threshold": "Threshold", "glu": "GLU",
    "exponential": "Exponential", "linear": "Linear",
}


def away_from_kinks(act: A.Activation, n: int = 400, lo: float = -6.0, hi: float = 6.0,
                    margin: float = 1e-3) -> np.ndarray:
    x = RNG.uniform(lo, hi, n)
    for k in act.properties.kinks:
        x = x[np.abs(x - k) > margin]
    return x


# -- the registry: every name is a function, a class and a registry entry ----------------
def test_names_are_the_design_names_plus_aliases():
    assert len(DESIGN_NAMES) == 33
    assert set(A.names()) == set(DESIGN_NAMES) | set(ALIASES)


@pytest.mark.parametrize("name", DESIGN_NAMES)
def test_every_name_is_function_class_and_registry_entry(name):
    fn = getattr(A, name)
    cls = getattr(A, CLASS_NAMES[name])
    assert callable(fn)
    assert issubclass(cls, A.Activation)
    assert cls.name == name
    params = {"threshold": 0.0, "default_value": 0.0} if name == "threshold" else {}
    inst = A.REGISTRY[name](**params)
    assert type(inst) is cls
    assert A.get(name) is fn  # a snake_case name: the function (Keras's get)
    assert A.get(cls.__name__, **params) == inst  # a class name: an instance
    assert A.get({"class_name": cls.__name__, "config": params}) == inst
    assert A.get({"class_name": "function", "config": name}) is fn
    assert A.get(fn) is fn  # a callable as it is
    if params:
        assert A.get(name, **params) == inst  # params: an instance
        assert A.get(fn, **params) == inst
    else:
        assert A.get(cls) == inst
    assert A.get(inst) is inst
    assert isinstance(inst.formula, str) and inst.formula
    assert isinstance(inst.properties, A.Properties)


@pytest.mark.parametrize("alias,target", sorted(ALIASES.items()))
def test_aliases(alias, target):
    assert getattr(A, alias) is getattr(A, target)
    assert A.get(alias) is A.get(target) is getattr(A, target)
    assert A.REGISTRY[alias] is A.REGISTRY[target]
    assert A.Swish is A.SiLU and A.HardSwish is A.HardSiLU


@pytest.mark.parametrize("spelling,cls", [
    ("LeakyReLU", A.LeakyReLU), ("leaky-relu", A.LeakyReLU), ("Hardtanh", A.HardTanh),
    ("LogSigmoid", A.LogSigmoid), ("HARD_SWISH", A.HardSiLU), ("Tanhshrink", A.TanhShrink),
])
def test_get_accepts_class_and_pytorch_spellings(spelling, cls):
    assert type(A.get(spelling)) is cls
    assert type(A.get({"class_name": spelling})) is cls


def test_get_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"unknown activation 'sigmoyd'.*'sigmoid'"):
        A.get("sigmoyd")
    with pytest.raises(TypeError, match="cannot be applied to the instance"):
        A.get(A.ReLU(), negative_slope=0.1)
    with pytest.raises(ValueError, match=r"cannot interpret 3\.5"):
        A.get(3.5)
    with pytest.raises(ValueError, match="unknown activation function 'sigmoyd'"):
        A.get({"class_name": "function", "config": "sigmoyd"})
    with pytest.raises(TypeError, match="unknown activation class 'Sigmoyd'"):
        A.get({"class_name": "Sigmoyd", "config": {}})
    with pytest.raises(ValueError, match="'class_name'"):
        A.get({"config": {}})
    assert A.get(None) is A.linear
    assert A.get(None, **{}) is A.linear


def test_get_returns_a_user_callable_and_wraps_it_with_params():
    def triple(x):
        return 3.0 * x

    assert A.get(triple) is triple
    act = A.get(triple, name="triple")
    assert isinstance(act, A.Lambda) and act.name == "triple"
    np.testing.assert_array_equal(act([1.0, 2.0]), [3.0, 6.0])
    with pytest.raises(TypeError, match="no derivative"):
        act.gradient([1.0])
    cube = A.Lambda(lambda x: x**3, derivative=lambda x: 3 * x**2)
    np.testing.assert_allclose(cube.backward([2.0], [0.5]), [6.0])


def test_repr_and_config_round_trip():
    act = A.ReLU(negative_slope=0.1, max_value=6.0)
    assert repr(act) == "ReLU(negative_slope=0.1, max_value=6.0, threshold=0.0)"
    assert type(act)(**act.get_config()) == act
    assert A.ReLU() != act
    assert json.dumps(A.PReLU([0.1, 0.2]).get_config()) == '{"weight": [0.1, 0.2]}'


# -- derivatives against finite differences --------------------------------------------
@pytest.mark.parametrize("case", ELEMENTWISE_CASES, ids=case_id)
def test_gradient_matches_central_differences(case):
    act = make(*case)
    x = away_from_kinks(act)
    h = 1e-6
    act_fd = act
    if case[0] == "rrelu":  # deterministic in evaluation mode (training mode tested below)
        assert not act.training
    numeric = (act_fd(x + h) - act_fd(x - h)) / (2 * h)
    scale = np.maximum(1.0, np.abs(act(x)))
    np.testing.assert_allclose(act.gradient(x), numeric, rtol=1e-6, atol=1e-7 * scale.max())


@pytest.mark.parametrize("case", ELEMENTWISE_CASES, ids=case_id)
def test_backward_is_the_vjp_of_a_random_cotangent(case):
    act = make(*case)
    x = away_from_kinks(act, n=60).reshape(3, 4, 5) if len(away_from_kinks(act, n=60)) >= 60 \
        else away_from_kinks(act, n=200)[:60].reshape(3, 4, 5)
    g = RNG.normal(size=x.shape)
    v = RNG.normal(size=x.shape)
    h = 1e-6
    # <backward(x, g), v> = d/dt <g, f(x + t v)> at t = 0
    directional = (np.sum(g * act(x + h * v)) - np.sum(g * act(x - h * v))) / (2 * h)
    vjp = act.backward(x, g)
    assert vjp.shape == x.shape
    np.testing.assert_allclose(np.sum(vjp * v), directional, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(vjp, g * act.gradient(x), rtol=1e-15, atol=0)


def _axis_input(name: str, shape: tuple[int, ...]) -> np.ndarray:
    x = RNG.normal(scale=2.0, size=shape)
    return x


@pytest.mark.parametrize("case", AXIS_CASES, ids=case_id)
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_axis_backward_matches_finite_differences(case, axis):
    name, params = case
    act = make(name, {**params, "axis": axis})
    x = _axis_input(name, (4, 6, 3) if axis != -1 else (4, 3, 6))
    out_shape = act(x).shape
    g = RNG.normal(size=out_shape)
    v = RNG.normal(size=x.shape)
    h = 1e-6
    directional = (np.sum(g * act(x + h * v)) - np.sum(g * act(x - h * v))) / (2 * h)
    vjp = act.backward(x, g)
    assert vjp.shape == x.shape
    np.testing.assert_allclose(np.sum(vjp * v), directional, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("case", AXIS_CASES, ids=case_id)
def test_jacobian_matches_finite_differences_and_backward(case):
    name, params = case
    act = make(name, {**params, "axis": 1})
    x = _axis_input(name, (3, 6, 2))
    jac = act.gradient(x)  # axis moved last: (3, 2, n_out, 6)
    n_out = act(x).shape[1]
    assert jac.shape == (3, 2, n_out, 6)
    h = 1e-6
    for j in range(6):
        e = np.zeros_like(x)
        e[:, j, :] = h
        column = (act(x + e) - act(x - e)) / (2 * h)  # ∂y_i/∂x_j, shape (3, n_out, 2)
        np.testing.assert_allclose(jac[..., j], np.moveaxis(column, 1, -1), rtol=1e-6,
                                   atol=1e-8)
    g = RNG.normal(size=act(x).shape)
    via_jacobian = np.einsum("...ij,...i->...j", jac, np.moveaxis(g, 1, -1))
    np.testing.assert_allclose(act.backward(x, g), np.moveaxis(via_jacobian, -1, 1),
                               rtol=1e-12, atol=1e-14)


def test_softmax_jacobian_is_diag_p_minus_outer_p():
    x = RNG.normal(size=(5, 7))
    p = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)  # textbook softmax, moderate x
    expected = np.stack([np.diag(row) - np.outer(row, row) for row in p])
    np.testing.assert_allclose(A.Softmax().gradient(x), expected, rtol=1e-13, atol=1e-16)
    # 1-D input: an (n, n) Jacobian
    np.testing.assert_allclose(A.Softmax().gradient(x[0]), expected[0], rtol=1e-13,
                               atol=1e-16)


def test_softmax_backward_with_all_ones_cotangent_is_zero_and_random_is_not():
    # all-ones hides bugs (the true VJP is 0); a random cotangent must give p*(g - <g,p>)
    x = RNG.normal(size=(4, 5))
    np.testing.assert_allclose(A.Softmax().backward(x, np.ones_like(x)), 0.0, atol=1e-16)
    g = RNG.normal(size=x.shape)
    p = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    expected = p * (g - (g * p).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(A.Softmax().backward(x, g), expected, rtol=1e-12)
    assert np.abs(expected).max() > 1e-3


def test_backward_never_builds_a_jacobian(monkeypatch):
    from nnmath.activations import _jacobians as _axis_cores

    def boom(*args, **kwargs):
        raise AssertionError("backward built a Jacobian")

    for fn in ("softmax_jacobian", "log_softmax_jacobian", "sparsemax_jacobian",
               "glu_jacobian"):
        monkeypatch.setattr(_axis_cores, fn, boom)
    x = RNG.normal(size=(3, 4))
    for name, _ in AXIS_CASES:
        act = A.REGISTRY[name]()
        act.backward(x, RNG.normal(size=act(x).shape))


# -- kinks: the convention of each function, at the kink -------------------------------
KINK_TABLE = [
    # (name, params, x, expected f(x), expected gradient)
    ("relu", {}, 0.0, 0.0, 0.0),
    ("relu", {"negative_slope": 0.1}, 0.0, 0.0, 0.1),
    ("relu", {"max_value": 6.0}, 6.0, 6.0, 0.0),
    ("relu", {"threshold": 1.0}, 1.0, 0.0, 0.0),
    ("relu", {"threshold": 1.0, "negative_slope": 0.5}, 0.0, -0.5, 0.5),
    ("relu6", {}, 0.0, 0.0, 0.0),
    ("relu6", {}, 6.0, 6.0, 0.0),
    ("leaky_relu", {}, 0.0, 0.0, 0.01),
    ("rrelu", {}, 0.0, 0.0, (1 / 8 + 1 / 3) / 2),
    ("prelu", {"weight": 0.3}, 0.0, 0.0, 0.3),
    ("hard_sigmoid", {}, -3.0, 0.0, 0.0),
    ("hard_sigmoid", {}, 3.0, 1.0, 0.0),
    ("sparse_sigmoid", {}, -1.0, 0.0, 0.0),
    ("sparse_sigmoid", {}, 1.0, 1.0, 0.0),
    ("hard_silu", {}, -3.0, 0.0, 0.0),
    ("hard_silu", {}, 3.0, 3.0, 1.0),
    ("hard_tanh", {}, -1.0, -1.0, 0.0),
    ("hard_tanh", {}, 1.0, 1.0, 0.0),
    ("hard_shrink", {}, 0.5, 0.0, 0.0),
    ("hard_shrink", {}, -0.5, 0.0, 0.0),
    ("soft_shrink", {}, 0.5, 0.0, 0.0),
    ("soft_shrink", {}, -0.5, 0.0, 0.0),
    ("threshold", {"threshold": 1.0, "default_value": 7.0}, 1.0, 7.0, 0.0),
    ("elu", {"alpha": 0.5}, 0.0, 0.0, 0.5),
    ("selu", {}, 0.0, 0.0, 1.0507009873554804934 * 1.6732632423543772848),
    ("celu", {"alpha": 2.0}, 0.0, 0.0, 1.0),
    ("sparse_plus", {}, -1.0, 0.0, 0.0),
    ("sparse_plus", {}, 1.0, 1.0, 1.0),
    ("softsign", {}, 0.0, 0.0, 1.0),
]


@pytest.mark.parametrize("name,params,x,value,grad", KINK_TABLE,
                         ids=[f"{r[0]}@{r[2]}{r[1] or ''}" for r in KINK_TABLE])
def test_value_and_gradient_at_the_kink(name, params, x, value, grad):
    act = A.REGISTRY[name](**params)
    assert act(x) == pytest.approx(value, abs=1e-15)
    assert act.gradient(x) == pytest.approx(grad, rel=1e-15)


def test_kinks_are_listed_in_properties():
    assert A.ReLU().properties.kinks == (0.0,)
    assert A.HardSiLU().properties.kinks == (-3.0, 3.0)
    assert A.ELU().properties.kinks == ()  # alpha = 1: continuously differentiable
    assert A.ELU(alpha=2.0).properties.kinks == (0.0,)
    for name, params, *_ in KINK_TABLE:
        act = A.REGISTRY[name](**params)
        if name not in ("softsign", "celu", "sparse_plus"):
            assert act.properties.kinks, name
            assert act.properties.kink_convention, name


# -- invariances and identities --------------------------------------------------------
def test_softmax_invariances():
    x = RNG.normal(scale=5, size=(6, 9))
    p = A.softmax(x)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-15, atol=2e-16)
    np.testing.assert_allclose(A.softmax(x + 123.25), p, rtol=1e-12)
    np.testing.assert_allclose(A.log_softmax(x), np.log(p), rtol=1e-13)
    np.testing.assert_allclose(A.softmin(x), A.softmax(-x), rtol=0)
    np.testing.assert_allclose(A.softmax(x, axis=0), A.softmax(x.T).T, rtol=0)
    # 1-D, and an order-preserving map
    v = np.array([0.3, 0.7, 0.9])
    assert np.argmax(A.softmax(v)) == 2 and np.all(np.diff(A.softmax(v)) > 0)


def test_identities_between_functions():
    x = RNG.uniform(-20, 20, 500)
    sig = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(A.silu(x), x * sig, rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(A.log_sigmoid(x), -A.softplus(-x), rtol=0)
    np.testing.assert_allclose(A.tanh(x), 2 * sig_of(2 * x) - 1, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(A.hard_sigmoid(x), A.relu6(x + 3) / 6, rtol=1e-15)
    np.testing.assert_allclose(A.hard_silu(x), x * A.relu6(x + 3) / 6, rtol=1e-15)
    np.testing.assert_allclose(A.softmin(x.reshape(50, 10)), A.softmax(-x.reshape(50, 10)))
    np.testing.assert_allclose(A.glu(np.concatenate([x, -x])), x * sig_of(-x), rtol=1e-12,
                               atol=1e-300)
    np.testing.assert_allclose(A.celu(x, alpha=1.0), A.elu(x, alpha=1.0), rtol=1e-15)


def sig_of(x):
    return 1 / (1 + np.exp(-x))


def test_selu_constants():
    # alpha and scale solve the fixed-point equations of Klambauer et al. (2017): for
    # z ~ N(0, 1), E[selu(z)] = 0 and E[selu(z)^2] = 1. Checked by quadrature here.
    from scipy import integrate

    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    mean = integrate.quad(lambda z: float(A.selu(z)) * pdf(z), -40, 40, points=[0])[0]
    second = integrate.quad(lambda z: float(A.selu(z)) ** 2 * pdf(z), -40, 40, points=[0])[0]
    assert abs(mean) < 1e-9
    assert abs(second - 1) < 1e-9
    assert A.SELU.alpha == pytest.approx(1.6732632423543772848)
    assert A.SELU.scale == pytest.approx(1.0507009873554804934)


def test_tanh_shrink_series_coefficients_from_bernoulli_numbers():
    from fractions import Fraction

    from nnmath.activations import _xp as _cores

    # tanh x = sum_{n>=1} 2^{2n}(2^{2n}-1) B_{2n} x^{2n-1} / (2n)!, Bernoulli by recurrence
    bern = [Fraction(1)]
    for m in range(1, 31):
        bern.append(-sum(math.comb(m + 1, k) * bern[k] for k in range(m)) / (m + 1))
    for k, c in enumerate(_cores._TANHSHRINK_SERIES, start=1):
        n = k + 1  # x^{2k+1} term of x - tanh x is minus the x^{2n-1} term of tanh
        coef = -Fraction(2 ** (2 * n) * (2 ** (2 * n) - 1)) * bern[2 * n] / math.factorial(2 * n)
        assert c == float(coef), k


# -- properties, checked numerically ---------------------------------------------------
@pytest.mark.parametrize("case", ELEMENTWISE_CASES, ids=case_id)
def test_properties_hold_numerically(case):
    act = make(*case)
    props = act.properties
    x = np.concatenate([np.linspace(-30, 30, 30001), [-1e6, -1e3, 1e3, 1e6]])
    x.sort()
    y = act(x)
    x, y = x[np.isfinite(y)], y[np.isfinite(y)]  # exponential overflows to inf at 1e3
    lo, hi = props.range
    assert np.all(y >= lo - 1e-12) and np.all(y <= hi + 1e-12)
    if props.monotonic:
        assert np.all(np.diff(y) >= -1e-12)
    else:
        assert np.any(np.diff(y) < 0)
    if props.zero_centred:
        assert act(0.0) == 0 and y.min() < 0 < y.max()
    if props.bounded_below and math.isfinite(lo) and props.range_closed[0]:
        assert y.min() == pytest.approx(lo, abs=1e-6)
    inner = (x > -30) & (x < 30)
    jumps = np.abs(np.diff(y[inner]))  # the grid step is 0.002
    if props.continuous:
        assert jumps.max() < 0.05 * max(1.0, np.abs(act.gradient(x[inner])).max())
    else:
        assert jumps.max() > 0.1
    if props.smooth:
        assert props.differentiable and props.kinks == ()
    if props.differentiable and props.kinks == ():
        d = act.gradient(x[inner])
        assert np.abs(np.diff(d)).max() < 0.01 * max(1.0, np.abs(d).max())
    assert props.bounded == (math.isfinite(lo) and math.isfinite(hi))
    json.dumps(props.as_dict())


@pytest.mark.parametrize("cls,minimum_at", [
    (A.GELU, -0.7517915), (A.SiLU, -1.2784645), (A.Mish, -1.1924), (A.HardSiLU, -1.5)])
def test_minima_of_non_monotonic_activations(cls, minimum_at):
    from scipy.optimize import minimize_scalar

    act = cls()
    res = minimize_scalar(lambda t: float(act(t)), bracket=(-3, -1, 0), tol=1e-12)
    assert res.x == pytest.approx(minimum_at, abs=1e-3)
    assert act.properties.range[0] == pytest.approx(res.fun, abs=1e-12)


def test_gelu_tanh_minimum():
    from scipy.optimize import minimize_scalar

    res = minimize_scalar(lambda t: float(A.gelu(t, approximate=True)), bracket=(-3, -1, 0),
                          tol=1e-12)
    assert A.GELU(approximate=True).properties.range[0] == pytest.approx(res.fun, abs=1e-12)


# -- rrelu and prelu -------------------------------------------------------------------
def test_rrelu_training_draws_slopes_in_bounds_reproducibly():
    x = -np.ones(10000)
    y = A.rrelu(x, lower=0.1, upper=0.3, training=True, seed=7)
    slopes = -y
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3
    assert slopes.std() > 0.05  # drawn per element, not one slope
    assert abs(slopes.mean() - 0.2) < 0.005
    np.testing.assert_array_equal(y, A.rrelu(x, lower=0.1, upper=0.3, training=True, seed=7))
    assert not np.array_equal(y, A.rrelu(x, lower=0.1, upper=0.3, training=True, seed=8))
    np.testing.assert_array_equal(A.rrelu(np.abs(x), training=True, seed=1), np.abs(x))
    np.testing.assert_allclose(A.rrelu(x, lower=0.1, upper=0.3), -0.2 * np.ones(10000))


def test_rrelu_class_differentiates_through_its_last_slopes():
    act = A.RReLU(training=True, seed=3)
    x = RNG.uniform(-2, 2, (4, 5))
    y = act(x)
    slopes = np.where(x > 0, 1.0, y / x)
    np.testing.assert_allclose(act.gradient(x), slopes, rtol=1e-15)
    g = RNG.normal(size=x.shape)
    np.testing.assert_allclose(act.backward(x, g), g * slopes, rtol=1e-15)
    with pytest.raises(ValueError, match="last forward call"):
        act.gradient(np.ones(3))
    with pytest.raises(ValueError, match="lower must be <= upper"):
        A.RReLU(lower=0.5, upper=0.1)


def test_prelu_weight_broadcasts_and_weight_gradient_matches_differences():
    x = RNG.uniform(-2, 2, (6, 3, 4))
    w = np.array([[0.1], [0.2], [-0.3]])  # one weight per channel of axis 1
    act = A.PReLU(w)
    expected = np.where(x > 0, x, w * x)
    np.testing.assert_allclose(act(x), expected, rtol=1e-15)
    np.testing.assert_allclose(A.prelu(x, w), expected, rtol=1e-15)
    g = RNG.normal(size=x.shape)
    dw = act.weight_gradient(x, g)
    assert dw.shape == w.shape
    h = 1e-6
    for i in range(3):
        e = np.zeros_like(w)
        e[i] = h
        numeric = (np.sum(g * A.prelu(x, w + e)) - np.sum(g * A.prelu(x, w - e))) / (2 * h)
        assert dw[i, 0] == pytest.approx(numeric, rel=1e-6)
    with pytest.raises(ValueError, match="does not broadcast"):
        A.prelu(np.ones((2, 3)), np.ones(4))
    with pytest.raises(ValueError, match="does not broadcast"):
        A.prelu(np.ones(3), np.ones((2, 3)))


# -- shapes, axes, dtypes and errors ---------------------------------------------------
@pytest.mark.parametrize("case", AXIS_CASES, ids=case_id)
def test_axis_functions_on_any_axis_and_1d(case):
    name, _ = case
    fn = getattr(A, name)
    x = RNG.normal(size=(2, 4, 6))
    for axis in range(-3, 3):
        moved = np.moveaxis(x, axis, -1)
        np.testing.assert_allclose(np.moveaxis(fn(x, axis=axis), axis, -1), fn(moved),
                                   rtol=1e-15)
    v = RNG.normal(size=6)
    np.testing.assert_allclose(fn(v), fn(v[None, :])[0], rtol=0)
    jac = A.REGISTRY[name]().gradient(v)
    assert jac.shape == ((3, 6) if name == "glu" else (6, 6))
    with pytest.raises(ValueError, match="axis=3 is out of range"):
        fn(x, axis=3)
    with pytest.raises(ValueError, match="at least one dimension"):
        fn(1.0)


def test_glu_needs_an_even_axis_and_backward_takes_the_output_shape():
    with pytest.raises(ValueError, match="even size"):
        A.glu(np.ones(5))
    with pytest.raises(ValueError, match="output's shape"):
        A.GLU().backward(np.ones((2, 4)), np.ones((2, 4)))


@pytest.mark.parametrize("case", ALL_CASES, ids=case_id)
def test_function_and_class_agree(case):
    name, params = case
    act = make(name, params)
    x = RNG.normal(scale=3, size=(5, 4))
    fn = getattr(A, name)
    np.testing.assert_array_equal(fn(x, **function_kwargs(name, params)), act(x))


@pytest.mark.parametrize("case", ALL_CASES, ids=case_id)
@pytest.mark.parametrize("dtype,out", [
    (np.float16, np.float16), (np.float32, np.float32), (np.float64, np.float64),
    (np.int32, np.float64), (np.int64, np.float64), (np.bool_, np.float64),
])
def test_dtype_policy_for_value_gradient_backward(case, dtype, out):
    act = make(*case)
    x = (RNG.normal(scale=2, size=(3, 4)) * 2).astype(dtype)
    y = act(x)
    assert y.dtype == out
    assert act.gradient(x).dtype == out
    g = np.ones(y.shape, dtype=np.float64)
    assert act.backward(x, g).dtype == out


def test_scalars_give_scalars_and_python_scalars_stay_weak():
    y = A.sigmoid(0.0)
    assert isinstance(y, np.float64) and y == 0.5
    assert A.leaky_relu(np.float32(-1.0), negative_slope=0.01).dtype == np.float32
    assert A.Sigmoid().gradient(np.float32(0.0)).dtype == np.float32


def test_float16_is_computed_in_float32_and_rounded_once():
    x = np.linspace(-8, 8, 2001).astype(np.float16)
    exact = (1 / (1 + np.exp(-x.astype(np.float64)))).astype(np.float16)
    np.testing.assert_array_equal(A.sigmoid(x), exact)


@pytest.mark.parametrize("bad,kind", [
    (np.array(["a", "b"]), "dtype <U1"), (np.array([1 + 2j]), "complex"),
    (np.array([object()], dtype=object), "dtype object"), ("text", "dtype <U4"),
])
def test_bad_dtypes_are_refused_naming_x(bad, kind):
    with pytest.raises(TypeError, match=f"x must be .*{kind.split()[-1]}"):
        A.sigmoid(bad)


@pytest.mark.parametrize("call,message", [
    (lambda: A.leaky_relu([1.0], negative_slope=float("nan")), "negative_slope must be finite"),
    (lambda: A.elu([1.0], alpha="a"), "alpha must be a real number"),
    (lambda: A.celu([1.0], alpha=0.0), "alpha must be > 0"),
    (lambda: A.softplus([1.0], beta=-1.0), "beta must be > 0"),
    (lambda: A.squareplus([1.0], b=-1.0), "b must be >= 0"),
    (lambda: A.hard_tanh([1.0], min_val=1.0, max_val=0.0), "min_val must be < max_val"),
    (lambda: A.hard_shrink([1.0], threshold=-1.0), "threshold must be >= 0"),
    (lambda: A.relu([1.0], max_value=-1.0), "max_value must be > threshold"),
    (lambda: A.Softmax(axis=1.5), "axis must be an integer"),
    (lambda: A.Sigmoid().backward(np.ones(3), np.ones(4)), "grad_output must have the shape"),
])
def test_bad_parameters_name_the_argument(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_empty_input():
    for name in DESIGN_NAMES:
        act = A.REGISTRY[name](**({"threshold": 0.0, "default_value": 0.0}
                                   if name == "threshold" else {}))
        x = np.zeros((0, 4))
        assert act(x).shape == ((0, 2) if name == "glu" else (0, 4))
        assert act.backward(x, np.zeros(act(x).shape)).shape == (0, 4)


@pytest.mark.parametrize("case", ALL_CASES, ids=case_id)
def test_nan_propagates_to_its_position(case):
    act = make(*case)
    x = np.array([[0.5, np.nan, -0.5, 2.0]])
    y = act(x)
    if case[0] in ("softmax", "log_softmax", "softmin", "sparsemax"):
        assert np.isnan(y).all()  # a NaN makes the whole row undefined
    elif case[0] == "glu":
        assert np.isnan(y[0, 1]) and not np.isnan(y[0, 0])
    else:
        assert np.isnan(y[0, 1]) and not np.isnan(y[0, [0, 2, 3]]).any()
        assert np.isnan(act.gradient(x)[0, 1])


@pytest.mark.parametrize("name", DESIGN_NAMES)
def test_every_class_describes_its_derivative(name):
    cls = getattr(A, CLASS_NAMES[name])
    assert isinstance(cls.derivative_text, str) and len(cls.derivative_text) > 0


def test_gelu_subnormal_tail_is_not_flushed_to_zero():
    # x Φ(x) at x = -38.5307432 is -1.659e-323 (mpmath), 3.36 subnormal steps: correctly
    # rounded it is -3 * 2**-1074, where x times an underflowed Φ(x) gives -0
    import mpmath

    x = -38.5307432
    exact = mpmath.mpf(x) * mpmath.ncdf(mpmath.mpf(x))
    step = 2.0**-1074
    assert A.gelu(x) == -round(float(-exact / mpmath.mpf(step))) * step
    assert A.gelu(x) != 0


def test_constructor_cache_keeps_validation_and_instances_apart():
    """Classes remember the validated parameters of values seen before (the constructor
    is on the path of every `Cls().gradient(x)`); a cached value is still the validated
    one, an invalid value still raises, and instances stay independent."""
    from nnmath.activations import ELU, LeakyReLU

    a, b = ELU(2), ELU(2)
    assert a.alpha == b.alpha == 2.0 and type(a.alpha) is float
    a.alpha = 5.0  # an instance's attribute, not the cache's
    assert ELU(2).alpha == 2.0
    for bad in (float("nan"), float("inf")):
        ELU(1.0)
        with pytest.raises(ValueError, match="alpha"):
            ELU(bad)
    x = np.array([-1.0, 0.5])
    np.testing.assert_array_equal(LeakyReLU(0.1).gradient(x), [0.1, 1.0])
    np.testing.assert_array_equal(LeakyReLU(0.2).gradient(x), [0.2, 1.0])

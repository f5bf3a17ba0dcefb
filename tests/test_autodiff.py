"""Automatic differentiation: PyTorch and JAX get nnmath's analytic derivatives.

Every activation (all registry names, default parameters) and every loss, given a tensor
that requires grad (PyTorch) or a JAX tracer of ``jax.grad``, must be differentiated by
nnmath's own ``backward``/``gradient`` — not through its internal operations, whose
derivative is wrong at 0 and at the kinks (silu′(0) came out 0 instead of 0.5). The
references: ``torch.autograd.gradcheck`` (finite differences) at smooth points, hand
values at 0 and at the kinks, and nnmath's NumPy backward everywhere.
"""

from __future__ import annotations

import numpy as np
import pytest

import nnmath.activations as A
import nnmath.losses as L

torch = pytest.importorskip("torch", reason="PyTorch is not installed")

PARAMS = {"threshold": {"threshold": 0.5, "default_value": -1.0}}
# 0, the kinks of the defaults (±0.5, ±1, ±3, 6), ±large, and smooth points
POINTS = np.array([0.0, -0.5, 0.5, -1.0, 1.0, -3.0, 3.0, 6.0, -40.0, 40.0, -1e6, 1e6,
                   -2.3, 0.7, 1.9, -0.2])
AXIS = {"softmax", "log_softmax", "softmin", "sparsemax", "glu"}


def _act(name):
    return A.REGISTRY[name](**PARAMS.get(name, {}))


@pytest.mark.parametrize("name", A.names())
def test_activation_gradient_is_nnmath_backward(name):
    act = _act(name)
    x_np = POINTS.reshape(4, 4)
    rng = np.random.default_rng(7)
    g_np = rng.normal(size=(4, 4)) if name != "glu" else rng.normal(size=(4, 2))
    ref = act.backward(x_np, g_np)
    for f in (act, getattr(A, name) if name in A._FUNCTIONS else None):
        if f is None:
            continue
        x = torch.tensor(x_np, requires_grad=True)
        y = f(x) if name not in PARAMS else (act(x) if f is act else f(x, **PARAMS[name]))
        assert y.requires_grad
        (got,) = torch.autograd.grad(y, x, torch.tensor(g_np))
        # the tensor runs nnmath's xp formulas, the NumPy reference the compiled core: the
        # same analytic derivative, rounded along two paths (a few float64 ulps apart)
        np.testing.assert_allclose(got.numpy(), ref, rtol=1e-14, atol=1e-300)
        np.testing.assert_allclose(y.detach().numpy(), act(x_np), rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize("name", A.names())
def test_activation_gradcheck(name):
    act = _act(name)
    # smooth points only: finite differences straddle a kink
    x = torch.tensor([[-2.3, 0.7, 1.9, -0.2], [0.3, -1.7, 2.6, 0.1]], dtype=torch.float64,
                     requires_grad=True)
    if name == "sparsemax":  # piecewise linear: keep away from the support's edges
        x = torch.tensor([[0.1, 0.3, 0.2, -2.0]], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(act, (x,), eps=1e-6, atol=1e-7)


@pytest.mark.parametrize(("name", "expected"), [
    ("silu", 0.5), ("mish", 0.6), ("sigmoid", 0.25), ("gelu", 0.5), ("tanh", 1.0),
    ("relu", 0.0), ("leaky_relu", 0.01), ("elu", 1.0), ("softplus", 0.5),
    ("hard_sigmoid", 1 / 6), ("hard_silu", 0.5), ("softsign", 1.0), ("linear", 1.0),
])
def test_derivative_at_zero(name, expected):
    # hand values: silu'(0) = σ(0) = 1/2, mish'(0) = tanh(log 2) = 3/5, σ'(0) = 1/4, ...
    x = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    getattr(A, name)(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-15)


def test_prelu_weight_gradient():
    x = torch.tensor([[-1.0, 2.0], [-3.0, 0.0]], dtype=torch.float64, requires_grad=True)
    w = torch.tensor([0.1, 0.5], dtype=torch.float64, requires_grad=True)
    A.prelu(x, w).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [-4.0, 0.0])  # Σ min(x, 0) per column
    np.testing.assert_allclose(x.grad.numpy(), [[0.1, 1.0], [0.1, 0.5]])
    assert torch.autograd.gradcheck(lambda a, b: A.prelu(a, b),
                                    (x.detach().clone().fill_(-0.3).requires_grad_(), w))


def test_second_derivative_is_refused():
    x = torch.tensor([0.3], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(A.silu(x).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError):
        g.sum().backward()
    with pytest.raises(TypeError, match=r"x requires a gradient.*detach"):
        A.SiLU().gradient(x)


def test_tensors_without_grad_keep_their_path():
    x = torch.tensor([0.0, 1.0], dtype=torch.float64)
    y = A.silu(x)
    assert y.grad_fn is None and not y.requires_grad


# -- losses ----------------------------------------------------------------------------------

RNG = np.random.default_rng(3)
P = RNG.uniform(0.1, 0.9, (5, 3))
Z = RNG.normal(size=(5, 3)) * 3
ONEHOT = np.eye(3)[[0, 1, 2, 0, 1]]
LABELS = np.array([0, 1, 2, 0, 1])
SW = np.array([1.0, 0.5, 2.0, 0.0, 3.0])

CASES = [
    ("binary_crossentropy", {}, ONEHOT, P),
    ("binary_crossentropy", {"from_logits": True, "pos_weight": 2.0}, ONEHOT, Z),
    ("categorical_crossentropy", {}, ONEHOT, P),
    ("categorical_crossentropy", {"from_logits": True, "label_smoothing": 0.1}, ONEHOT, Z),
    ("sparse_categorical_crossentropy", {"from_logits": True}, LABELS, Z),
    ("sparse_categorical_crossentropy", {}, LABELS, P),
    ("binary_focal_crossentropy", {"gamma": 0.5}, ONEHOT, P),
    ("binary_focal_crossentropy", {"from_logits": True}, ONEHOT, Z),
    ("categorical_focal_crossentropy", {}, ONEHOT, P),
    ("categorical_focal_crossentropy", {"from_logits": True}, ONEHOT, Z),
    ("kl_divergence", {}, ONEHOT * 0.8 + 0.05, P),
    ("poisson", {}, ONEHOT, P + 0.5),
    ("hinge", {}, ONEHOT, Z),
    ("squared_hinge", {}, ONEHOT, Z),
    ("categorical_hinge", {}, ONEHOT, Z),
]


@pytest.mark.parametrize(("name", "params", "y", "p"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
@pytest.mark.parametrize("reduction", [None, "sum_over_batch_size", "mean_with_sample_weight",
                                       "none"])
def test_loss_gradient(name, params, y, p, reduction):
    yt = torch.tensor(y)
    x = torch.tensor(p, requires_grad=True)
    if reduction is None:
        fn, sw = (lambda t: getattr(L, name)(yt, t, **params)), None
    else:
        loss = L.get(name, reduction=reduction, **params)
        sw = SW
        fn = lambda t: loss(yt, t, sample_weight=torch.tensor(SW))  # noqa: E731
    out = fn(x)
    g = np.random.default_rng(1).normal(size=tuple(out.shape))
    (got,) = torch.autograd.grad(out, x, torch.tensor(g))
    ref = L.get(name, reduction=reduction or "none", **params).gradient(
        y, p, sample_weight=sw, grad_output=g)
    np.testing.assert_allclose(got.numpy(), ref, rtol=1e-14, atol=1e-300)
    assert torch.autograd.gradcheck(fn, (x,), eps=1e-7, atol=1e-6)


def test_loss_refuses_differentiated_targets():
    y = torch.tensor(ONEHOT, requires_grad=True)
    with pytest.raises(TypeError, match=r"y_true requires a gradient.*respect to y_pred"):
        L.categorical_crossentropy(y, torch.tensor(Z, requires_grad=True), from_logits=True)
    with pytest.raises(TypeError, match="sample_weight requires a gradient"):
        L.CategoricalCrossentropy()(torch.tensor(ONEHOT), torch.tensor(P, requires_grad=True),
                                    sample_weight=torch.tensor(SW, requires_grad=True))


# -- JAX -----------------------------------------------------------------------------------

def test_jax_grad_uses_nnmath_derivatives():
    jax = pytest.importorskip("jax", reason="JAX is not installed")
    jnp = jax.numpy
    with jax.enable_x64(True):
        x = jnp.asarray(POINTS)
        for name in ("silu", "mish", "relu", "gelu", "hard_tanh", "softmax"):
            act = _act(name)
            g = np.random.default_rng(2).normal(size=POINTS.shape)
            got = jax.grad(lambda t, a=act, g=g: jnp.sum(a(t) * g))(x)
            np.testing.assert_allclose(np.asarray(got), act.backward(POINTS, g), rtol=1e-15)
        got = jax.jit(jax.grad(lambda t: jnp.sum(A.silu(t))))(jnp.zeros(2))
        np.testing.assert_allclose(np.asarray(got), 0.5, rtol=1e-15)
        loss = L.SparseCategoricalCrossentropy(from_logits=True)
        got = jax.grad(lambda z: loss(jnp.asarray(LABELS), z))(jnp.asarray(Z))
        np.testing.assert_allclose(np.asarray(got), loss.gradient(LABELS, Z), rtol=1e-14)
        with pytest.raises(TypeError, match="y_true requires a gradient"):
            jax.grad(lambda y: jnp.sum(L.categorical_crossentropy(y, jnp.asarray(Z))))(
                jnp.asarray(ONEHOT))

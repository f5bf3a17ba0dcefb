"""The activations against PyTorch, when it is installed: values, and derivatives from
PyTorch's autograd — including at the kinks, where nnmath follows PyTorch's conventions."""

from __future__ import annotations

import numpy as np
import pytest

import nnmath.activations as A

torch = pytest.importorskip("torch", reason="PyTorch is not installed")
F = torch.nn.functional

# name, nnmath parameters, the PyTorch function of a float64 tensor
PEERS = [
    ("sigmoid", {}, torch.sigmoid),
    ("hard_sigmoid", {}, F.hardsigmoid),
    ("log_sigmoid", {}, F.logsigmoid),
    ("relu", {}, F.relu),
    ("relu6", {}, F.relu6),
    ("leaky_relu", {}, lambda t: F.leaky_relu(t, 0.01)),
    ("leaky_relu", {"negative_slope": 0.2}, lambda t: F.leaky_relu(t, 0.2)),
    ("rrelu", {}, lambda t: F.rrelu(t, training=False)),
    ("prelu", {"weight": 0.3}, lambda t: F.prelu(t, torch.tensor([0.3], dtype=t.dtype))),
    ("elu", {"alpha": 0.7}, lambda t: F.elu(t, 0.7)),
    ("selu", {}, F.selu),
    ("celu", {"alpha": 1.5}, lambda t: F.celu(t, 1.5)),
    ("gelu", {}, F.gelu),
    ("gelu", {"approximate": True}, lambda t: F.gelu(t, approximate="tanh")),
    ("silu", {}, F.silu),
    ("hard_silu", {}, F.hardswish),
    ("mish", {}, F.mish),
    ("softplus", {"beta": 2.0}, lambda t: F.softplus(t, beta=2.0, threshold=1e9)),
    ("softsign", {}, F.softsign),
    ("tanh", {}, torch.tanh),
    ("hard_tanh", {"min_val": -2.0, "max_val": 0.5}, lambda t: F.hardtanh(t, -2.0, 0.5)),
    ("tanh_shrink", {}, F.tanhshrink),
    ("hard_shrink", {}, F.hardshrink),
    ("soft_shrink", {}, F.softshrink),
    ("threshold", {"threshold": 0.5, "default_value": -1.0},
     lambda t: F.threshold(t, 0.5, -1.0)),
    ("exponential", {}, torch.exp),
    ("linear", {}, lambda t: t * 1.0),
]
KINKS = [-3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0]


def _torch_value_and_grad(fn, x):
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    y = fn(t)
    (g,) = torch.autograd.grad(y.sum(), t)
    return y.detach().numpy(), g.numpy()


@pytest.mark.parametrize("name,params,fn", PEERS,
                         ids=[f"{n}{p or ''}" for n, p, _ in PEERS])
def test_values_and_derivatives_match_pytorch(name, params, fn):
    x = np.concatenate([np.random.default_rng(0).uniform(-8, 8, 500), KINKS])
    act = A.REGISTRY[name](**params)
    y_ref, g_ref = _torch_value_and_grad(fn, x)
    np.testing.assert_allclose(act(x), y_ref, rtol=1e-12, atol=1e-15)
    # at the kinks too: the same convention as PyTorch's autograd
    # (PyTorch's hardsigmoid derivative is the float32 constant 1/6 = 0.16666667163)
    rtol = 5e-8 if name == "hard_sigmoid" else 1e-11
    np.testing.assert_allclose(act.gradient(x), g_ref, rtol=rtol, atol=1e-14)


@pytest.mark.parametrize("name,fn", [
    ("softmax", lambda t: F.softmax(t, dim=1)),
    ("log_softmax", lambda t: F.log_softmax(t, dim=1)),
    ("softmin", lambda t: F.softmin(t, dim=1)),
    ("glu", lambda t: F.glu(t, dim=1)),
])
def test_axis_functions_and_vjps_match_pytorch(name, fn):
    rng = np.random.default_rng(1)
    x = rng.normal(scale=3, size=(5, 8, 3))
    act = A.REGISTRY[name](axis=1)
    t = torch.tensor(x, requires_grad=True)
    y = fn(t)
    g = rng.normal(size=tuple(y.shape))
    (vjp,) = torch.autograd.grad(y, t, grad_outputs=torch.tensor(g))
    np.testing.assert_allclose(act(x), y.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(act.backward(x, g), vjp.numpy(), rtol=1e-11, atol=1e-14)

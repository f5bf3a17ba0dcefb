"""nnmath.torch: the activations and losses as PyTorch operators and ``nn.Module`` classes.

References: PyTorch's own modules (``torch.nn``) and ``torch.autograd.gradcheck`` (finite
differences in float64); nnmath's NumPy ``backward`` for the bit-for-bit check of the
gradients on CPU (the operators must hand back exactly what nnmath computes).
"""

from __future__ import annotations

import inspect
import subprocess
import sys
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="nnmath.torch needs PyTorch (pip install torch)")

import nnmath.activations as A  # noqa: E402
import nnmath.torch as nt  # noqa: E402
from nnmath.torch import _ops  # noqa: E402

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


def _inputs(name: str, dtype: torch.dtype, seed: int = 0) -> torch.Tensor:
    """Random inputs in [-4, 4], at least 0.02 away from the activation's kinks."""
    gen = np.random.default_rng(seed)
    x = gen.uniform(-4.0, 4.0, size=(6, 8))
    act = A.REGISTRY[name](**PARAMS.get(name, {}))
    for k in act.properties.kinks:
        near = np.abs(x - k) < 0.02
        x[near] += 0.05
    return torch.tensor(x, dtype=dtype)


def _bits(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    return a.view(np.dtype(f"u{a.dtype.itemsize}"))


def test_importing_nnmath_does_not_import_torch() -> None:
    code = ("import sys, nnmath, nnmath.activations, nnmath.losses, nnmath.metrics; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_every_activation_has_a_function() -> None:
    for name in A.names():
        assert callable(getattr(nt, name)), name
    assert nt.names() == A.names()


@pytest.mark.parametrize("name", FUNCTIONS)
def test_gradcheck_float64(name: str) -> None:
    x = _inputs(name, torch.float64).requires_grad_()
    fn = getattr(nt, name)
    params = PARAMS.get(name, {})
    assert torch.autograd.gradcheck(lambda t: fn(t, **params), (x,), eps=1e-6, atol=1e-7)


#: no second derivative: along an axis (softmax, ...), mish and the tanh GELU
NO_SECOND = ("softmax", "log_softmax", "softmin", "sparsemax", "glu", "mish")


@pytest.mark.parametrize("name", [n for n in FUNCTIONS if n not in NO_SECOND])
def test_gradgradcheck_float64(name: str) -> None:
    """Second derivatives of the elementwise activations (gradient penalties, Hessian-vector
    products): finite differences of nnmath's backward, in x and in grad_output."""
    x = _inputs(name, torch.float64, seed=3)
    if name == "sparse_plus":  # f'' jumps at ±1 (f is C¹ only)
        x = torch.where((x.abs() - 1).abs() < 0.02, x + 0.05, x)
    x.requires_grad_()
    fn = getattr(nt, name)
    params = PARAMS.get(name, {})
    assert torch.autograd.gradgradcheck(lambda t: fn(t, **params), (x,), eps=1e-6, atol=1e-6)


@pytest.mark.parametrize(("fn", "what"), [(lambda t: nt.mish(t), "mish"),
                                          (lambda t: nt.gelu(t, approximate=True), "gelu"),
                                          (lambda t: nt.softmax(t), "softmax")])
def test_no_second_derivative_raises(fn: object, what: str) -> None:
    x = torch.linspace(-1.0, 1.0, 5, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(fn(x).sin().sum(), x, create_graph=True)  # type: ignore[operator]
    with pytest.raises(RuntimeError, match=f"no second derivative of {what}"):
        g.sum().backward()


def test_gradcheck_prelu_in_x_and_weight() -> None:
    x = _inputs("leaky_relu", torch.float64).requires_grad_()
    w = torch.tensor([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], dtype=torch.float64,
                     requires_grad=True)
    assert torch.autograd.gradcheck(nt.prelu, (x, w), eps=1e-6, atol=1e-7)


def test_gradcheck_rrelu_evaluation() -> None:
    x = _inputs("leaky_relu", torch.float64).requires_grad_()
    assert torch.autograd.gradcheck(lambda t: nt.rrelu(t, 0.1, 0.3), (x,), eps=1e-6,
                                    atol=1e-7)


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.float64])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_cpu_bit_for_bit_with_nnmath(name: str, dtype: torch.dtype) -> None:
    """Values and gradients on CPU are nnmath's NumPy results, bit for bit, also for a
    strided (non-contiguous) input."""
    params = PARAMS.get(name, {})
    act = A.REGISTRY[name](**params)
    base = _inputs(name, dtype, seed=1)
    for x0 in (base, base.t()[:, :6].t()):  # contiguous; a strided view
        x = x0.clone() if x0.is_contiguous() else x0.detach()
        x.requires_grad_()
        y = getattr(nt, name)(x, **params)
        g = torch.linspace(-1.0, 1.0, y.numel(), dtype=dtype).reshape(y.shape)
        y.backward(g)
        xn = x.detach().numpy()
        np.testing.assert_array_equal(_bits(y.detach().numpy()), _bits(act(xn)))
        np.testing.assert_array_equal(_bits(x.grad.numpy()),
                                      _bits(act.backward(xn, g.numpy())))


def test_prelu_bit_for_bit_with_nnmath() -> None:
    x = _inputs("leaky_relu", torch.float32).requires_grad_()
    w = torch.linspace(0.1, 0.8, 8, dtype=torch.float32, requires_grad=True)
    y = nt.prelu(x, w)
    g = torch.ones_like(y)
    y.backward(g)
    ref = A.PReLU(w.detach().numpy())
    xn = x.detach().numpy()
    np.testing.assert_array_equal(y.detach().numpy(), ref(xn))
    np.testing.assert_array_equal(x.grad.numpy(), ref.backward(xn, g.numpy()))
    np.testing.assert_array_equal(w.grad.numpy(), ref.weight_gradient(xn, g.numpy()))


def test_array_api_path_matches_the_core() -> None:
    """The path of tensors on other devices (nnmath's xp formulas on the tensors),
    exercised on CPU: close to the core's values and gradients."""
    saved = _ops._on_core
    for name in ("gelu", "softmax", "glu", "hard_silu", "log_sigmoid"):
        params = PARAMS.get(name, {})
        x = _inputs(name, torch.float64, seed=2).requires_grad_()
        y_core = getattr(nt, name)(x, **params)
        (g_core,) = torch.autograd.grad(y_core.sum(), x)
        _ops._on_core = lambda t: False  # type: ignore[assignment]
        try:
            y_xp = getattr(nt, name)(x, **params)
            (g_xp,) = torch.autograd.grad(y_xp.sum(), x)
        finally:
            _ops._on_core = saved
        torch.testing.assert_close(y_xp, y_core, rtol=1e-13, atol=1e-15)
        torch.testing.assert_close(g_xp, g_core, rtol=1e-13, atol=1e-15)


def test_bfloat16_and_integer_input() -> None:
    x = torch.tensor([-1.0, 0.5, 2.0], dtype=torch.bfloat16)
    y = nt.sigmoid(x)
    assert y.dtype == torch.bfloat16
    expected = torch.sigmoid(x.double()).to(torch.bfloat16)  # correctly rounded from float64
    assert torch.equal(y, expected)
    with pytest.raises(TypeError, match="floating-point"):
        nt.relu(torch.tensor([1, 2]))


# -- the modules against torch.nn ------------------------------------------------------------

#: (nnmath.torch module, torch.nn module) with the same arguments
MODULES = [
    ("GELU", {}), ("GELU", {"approximate": "tanh"}), ("ReLU", {}),
    ("LeakyReLU", {}), ("LeakyReLU", {"negative_slope": 0.2}), ("ELU", {}),
    ("ELU", {"alpha": 0.5}), ("SELU", {}), ("CELU", {"alpha": 1.3}), ("SiLU", {}),
    ("Mish", {}), ("Softplus", {}), ("Softplus", {"beta": 2.0}), ("Sigmoid", {}),
    ("Tanh", {}), ("Hardtanh", {}), ("Hardtanh", {"min_val": -2.0, "max_val": 0.5}),
    ("ReLU6", {}), ("Hardsigmoid", {}), ("Hardswish", {}), ("LogSigmoid", {}),
    ("Softsign", {}), ("Tanhshrink", {}), ("Softshrink", {}), ("Softshrink", {"lambd": 1.0}),
    ("Hardshrink", {}), ("Hardshrink", {"lambd": 0.25}),
    ("Threshold", {"threshold": 0.5, "value": -2.0}), ("Softmax", {"dim": 1}),
    ("Softmax", {"dim": 0}), ("LogSoftmax", {"dim": 1}), ("LogSoftmax", {"dim": -1}),
    ("Softmin", {"dim": 1}), ("GLU", {}), ("GLU", {"dim": 0}),
]
CLASS_NAMES = sorted({n for n, _ in MODULES} | {"PReLU", "RReLU", "CrossEntropyLoss",
                                                 "BCEWithLogitsLoss", "NLLLoss", "BCELoss",
                                                 "KLDivLoss"})


@pytest.mark.parametrize("name", CLASS_NAMES)
def test_signature_is_pytorchs(name: str) -> None:
    """The constructor's parameters, their order and defaults are torch.nn's."""
    ours = inspect.signature(getattr(nt, name)).parameters
    theirs = inspect.signature(getattr(torch.nn, name)).parameters
    if list(theirs) == ["args", "kwargs"]:  # torch.nn.Module's own: no parameters
        theirs = {}
    assert list(ours) == list(theirs)
    for p in theirs:
        assert ours[p].default == theirs[p].default, p


def _grid(dtype: torch.dtype) -> torch.Tensor:
    """Points of [-8, 8] on a grid that avoids the kinks (0, ±0.25, ±0.5, ±1, ±2, ±3, 6)."""
    x = torch.linspace(-8.0, 8.0, 24 * 40, dtype=torch.float64) + 0.0123
    return x.reshape(24, 40).to(dtype)


#: derivatives where PyTorch's own float64 backward is the less accurate one (nnmath's
#: derivatives are checked against mpmath in the accuracy tests), so that the comparison
#: needs PyTorch's error as its tolerance (relative): CELU's exp(x/alpha) is off by about
#: 2e-7 in PyTorch; Hardsigmoid's slope is 1/6 rounded to float32; Tanh's 1 - tanh²,
#: Sigmoid's σ(1 - σ) and GLU's gate cancel for large |x|
TORCH_GRAD_RTOL = {"CELU": 1e-6, "Hardsigmoid": 1e-7, "Tanh": 1e-9, "Sigmoid": 1e-12,
                   "GLU": 1e-12}
AXIS_MODULES = ("Softmax", "LogSoftmax", "Softmin", "GLU")
#: values and derivatives where PyTorch's formula cancels (absolute tolerance): GELU's
#: tails (``1 + erf`` and ``1 + tanh`` for negative x)
TORCH_ATOL = {"GELU": 1e-14}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("name", "kwargs"), MODULES, ids=[f"{n}{k}" for n, k in MODULES])
def test_module_matches_torch_nn(name: str, kwargs: dict[str, object],
                                 dtype: torch.dtype) -> None:
    """Same shape, dtype and values as torch.nn's module, evaluated by PyTorch in float64:
    float32 values within an ulp of it, float64 values within a few ulps (an absolute
    1e-15 where PyTorch's formula cancels: GELU's tail, Tanhshrink near 0); the gradients
    likewise (see ``TORCH_GRAD_RTOL``)."""
    ours, theirs = getattr(nt, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    x = _grid(dtype).requires_grad_()
    y = ours(x)
    x64 = x.detach().double().requires_grad_()
    ref = theirs(x64)
    assert y.shape == ref.shape and y.dtype == dtype
    g = torch.cos(torch.arange(y.numel(), dtype=torch.float64)).reshape(y.shape)
    (gx,) = torch.autograd.grad(y, x, g.to(dtype))
    (gref,) = torch.autograd.grad(ref, x64, g)
    rtol = TORCH_GRAD_RTOL.get(name, 0.0)
    if dtype == torch.float32:
        eps = torch.finfo(torch.float32).eps
        # the VJP of a function along an axis sums terms of size up to 1: its error is
        # relative to them, not to the (possibly cancelled) result
        gtol = 4 * eps if name in AXIS_MODULES else 1e-15
        vtol = TORCH_ATOL.get(name, 1e-15)
        for got, want, atol in ((y, ref, vtol), (gx, gref, max(gtol, vtol))):
            err = (got.detach().double() - want.detach()).abs()
            bound = (eps + rtol) * want.detach().abs() + atol
            assert bool((err <= bound).all()), (name, float((err - bound).max()))
    else:
        atol = TORCH_ATOL.get(name, 1e-15)
        torch.testing.assert_close(y, ref, rtol=4e-15, atol=atol)
        torch.testing.assert_close(gx, gref, rtol=max(rtol, 1e-14), atol=atol)


#: the kinks, where nnmath follows PyTorch's convention for the derivative
KINKS = [
    ("ReLU", {}, [0.0]), ("LeakyReLU", {}, [0.0]), ("ELU", {"alpha": 0.5}, [0.0]),
    ("SELU", {}, [0.0]), ("CELU", {}, [0.0]), ("Hardtanh", {}, [-1.0, 1.0]),
    ("ReLU6", {}, [0.0, 6.0]), ("Hardsigmoid", {}, [-3.0, 3.0]),
    ("Hardswish", {}, [-3.0, 3.0]), ("Softshrink", {}, [-0.5, 0.5]),
    ("Hardshrink", {}, [-0.5, 0.5]), ("Threshold", {"threshold": 0.5, "value": 0.0}, [0.5]),
]


@pytest.mark.parametrize(("name", "kwargs", "points"), KINKS,
                         ids=[n for n, _, _ in KINKS])
def test_kinks_follow_pytorch(name: str, kwargs: dict[str, object],
                              points: list[float]) -> None:
    x = torch.tensor(points, dtype=torch.float64, requires_grad=True)
    x2 = x.detach().clone().requires_grad_()
    y, ref = getattr(nt, name)(**kwargs)(x), getattr(torch.nn, name)(**kwargs)(x2)
    y.sum().backward()
    ref.sum().backward()
    assert torch.equal(y, ref)
    # SELU's derivative at 0 is scale * alpha, rounded once by nnmath, twice by PyTorch
    torch.testing.assert_close(x.grad, x2.grad, rtol=2.3e-16, atol=0)


def test_softmax_implicit_dim_warns_as_pytorch() -> None:
    x = _grid(torch.float64)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        y = nt.Softmax()(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = torch.nn.Softmax()(x)
    torch.testing.assert_close(y, ref, rtol=4e-15, atol=1e-300)


def test_prelu_module_per_channel() -> None:
    ours, theirs = nt.PReLU(3, init=0.1), torch.nn.PReLU(3, init=0.1)
    assert [n for n, _ in ours.named_parameters()] == ["weight"]
    assert ours.weight.shape == theirs.weight.shape
    x = torch.randn(4, 3, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    ours.double()
    theirs.double()
    xa = x.clone().requires_grad_()
    xb = x.clone().requires_grad_()
    ya, yb = ours(xa), theirs(xb)
    torch.testing.assert_close(ya, yb, rtol=0, atol=0)
    ya.square().sum().backward()
    yb.square().sum().backward()
    torch.testing.assert_close(xa.grad, xb.grad, rtol=1e-15, atol=0)
    torch.testing.assert_close(ours.weight.grad, theirs.weight.grad, rtol=1e-13, atol=0)
    single = nt.PReLU()
    assert single.weight.shape == (1,)
    torch.testing.assert_close(single(x.float()), torch.nn.PReLU()(x.float()))


def test_rrelu_module_training_and_evaluation() -> None:
    m = nt.RReLU(0.1, 0.3)
    x = torch.linspace(-2.0, 2.0, 41, dtype=torch.float64, requires_grad=True)
    m.train()
    y = m(x)
    y.sum().backward()
    neg = x.detach() < 0
    slopes = (y.detach() / x.detach())[neg]
    assert bool(((slopes >= 0.1) & (slopes <= 0.3)).all())
    torch.testing.assert_close(x.grad[neg], slopes)  # the gradient is the drawn slope
    assert bool((x.grad[x.detach() > 0] == 1).all())
    m.eval()
    torch.testing.assert_close(m(x), torch.nn.RReLU(0.1, 0.3).eval()(x))


def test_modules_are_modules() -> None:
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), nt.GELU(), torch.nn.Linear(8, 3),
                                nt.LogSoftmax(dim=1))
    x = torch.randn(5, 4)
    assert model(x).shape == (5, 3)
    assert "GELU(approximate='none')" in repr(model)
    assert list(nt.ReLU().parameters()) == []


# -- the losses ------------------------------------------------------------------------------

def _logits(shape: tuple[int, ...], dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.randn(*shape, dtype=dtype, generator=torch.Generator().manual_seed(3)) * 3


CE_CASES = [
    {}, {"reduction": "sum"}, {"reduction": "none"}, {"label_smoothing": 0.1},
    {"weight": [0.5, 2.0, 1.0, 3.0]}, {"weight": [0.5, 2.0, 1.0, 3.0], "reduction": "none"},
    {"weight": [0.5, 2.0, 1.0, 3.0], "label_smoothing": 0.2},
    {"ignore_index": 2}, {"ignore_index": -1, "weight": [1.0, 2.0, 3.0, 4.0]},
    {"ignore_index": 1, "label_smoothing": 0.3, "reduction": "sum"},
]


def _with_weight(kw: dict[str, object]) -> dict[str, object]:
    kw = dict(kw)
    if "weight" in kw:
        kw["weight"] = torch.tensor(kw["weight"], dtype=torch.float64)
    return kw


@pytest.mark.parametrize("shape", [(7, 4), (3, 4, 5), (4,)])
@pytest.mark.parametrize("kw", CE_CASES, ids=[str(k) for k in CE_CASES])
def test_cross_entropy_matches_torch(kw: dict[str, object], shape: tuple[int, ...]) -> None:
    x = _logits(shape)
    tshape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    target = torch.randint(0, 4, tshape, generator=torch.Generator().manual_seed(4))
    if not target.ndim:
        target = torch.tensor(3)  # one sample, not an ignored one (see below)
    if "ignore_index" in kw and target.ndim:
        target.view(-1)[::3] = int(kw["ignore_index"])  # type: ignore[call-overload]
    kwargs = _with_weight(kw)
    ours, theirs = nt.CrossEntropyLoss(**kwargs), torch.nn.CrossEntropyLoss(**kwargs)
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    la, lb = ours(xa, target), theirs(xb, target)
    assert la.shape == lb.shape and la.dtype == lb.dtype
    torch.testing.assert_close(la, lb, rtol=1e-13, atol=1e-15)
    g = torch.rand(la.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    la.backward(g)
    lb.backward(g)
    torch.testing.assert_close(xa.grad, xb.grad, rtol=1e-12, atol=1e-15)


def test_cross_entropy_every_target_ignored() -> None:
    """The one documented difference: with every target ignored the mean is 0 (nnmath's
    mean of nothing, as Keras's ``divide_no_nan``), where PyTorch divides 0 by 0."""
    x = _logits((3, 4)).requires_grad_()
    t = torch.full((3,), -100)
    loss = nt.CrossEntropyLoss()(x, t)
    assert loss.item() == 0.0
    assert bool(torch.isnan(torch.nn.CrossEntropyLoss()(x, t)))
    loss.backward()
    assert bool((x.grad == 0).all())
    assert nt.CrossEntropyLoss(reduction="sum")(x, t).item() == 0.0


@pytest.mark.parametrize("kw", [{}, {"reduction": "sum"}, {"label_smoothing": 0.25},
                                {"weight": [0.5, 2.0, 1.0, 3.0]}])
def test_cross_entropy_with_probabilities(kw: dict[str, object]) -> None:
    x = _logits((6, 4))
    target = torch.softmax(_logits((6, 4)) / 2, dim=1)
    kwargs = _with_weight(kw)
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    la = nt.CrossEntropyLoss(**kwargs)(xa, target)
    lb = torch.nn.CrossEntropyLoss(**kwargs)(xb, target)
    torch.testing.assert_close(la, lb, rtol=1e-13, atol=1e-15)
    la.backward()
    lb.backward()
    torch.testing.assert_close(xa.grad, xb.grad, rtol=1e-12, atol=1e-15)


def test_cross_entropy_float32_and_gradcheck() -> None:
    x = _logits((5, 3), torch.float32)
    t = torch.tensor([0, 2, 1, 1, 0])
    la = nt.CrossEntropyLoss()(x, t)
    assert la.dtype == torch.float32
    torch.testing.assert_close(la, torch.nn.CrossEntropyLoss()(x, t))
    x64 = _logits((5, 3)).requires_grad_()
    w = torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64)
    assert torch.autograd.gradcheck(
        lambda z: nt.cross_entropy(z, t, weight=w, label_smoothing=0.1), (x64,))


BCE_CASES = [{}, {"reduction": "sum"}, {"reduction": "none"}, {"pos_weight": [0.5, 2.0, 3.0]},
             {"weight": [[1.0, 0.5, 2.0]]}, {"pos_weight": 3.0, "reduction": "none"},
             {"weight": [[1.0], [0.0], [2.0], [1.5]], "pos_weight": [1.0, 4.0, 0.5]}]


@pytest.mark.parametrize("kw", BCE_CASES, ids=[str(k) for k in BCE_CASES])
def test_bce_with_logits_matches_torch(kw: dict[str, object]) -> None:
    x = _logits((4, 3)) * 5  # large logits: log σ must stay exact
    y = torch.rand(4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(6))
    kwargs = {k: (torch.tensor(v, dtype=torch.float64) if k != "reduction" else v)
              for k, v in kw.items()}
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    la = nt.BCEWithLogitsLoss(**kwargs)(xa, y)
    lb = torch.nn.BCEWithLogitsLoss(**kwargs)(xb, y)
    assert la.shape == lb.shape and la.dtype == lb.dtype
    torch.testing.assert_close(la, lb, rtol=1e-13, atol=1e-15)
    g = torch.rand(la.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(7))
    la.backward(g)
    lb.backward(g)
    torch.testing.assert_close(xa.grad, xb.grad, rtol=1e-12, atol=1e-15)
    assert torch.autograd.gradcheck(
        lambda z: nt.binary_cross_entropy_with_logits(z, y, **kwargs), (x.clone()
                                                                       .requires_grad_(),))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kw", [{}, {"reduction": "sum"}, {"pos_weight": "row"},
                                {"pos_weight": "one", "reduction": "sum"}])
def test_bce_with_logits_long_rows_match_torch(kw: dict[str, object],
                                               dtype: torch.dtype) -> None:
    """Long rows (the core sums them in pieces) and flat inputs, against PyTorch."""
    from nnmath.losses._crossentropy import BCE_PIECE

    gen = torch.Generator().manual_seed(11)
    for shape in [(3, 2 * BCE_PIECE + 5), (BCE_PIECE + 3,)]:
        x = torch.randn(shape, dtype=dtype, generator=gen) * 4
        y = torch.rand(shape, dtype=dtype, generator=gen)
        kwargs = dict(kw)
        if kw.get("pos_weight") == "row":
            kwargs["pos_weight"] = torch.rand(shape[-1], dtype=dtype, generator=gen) * 3
        elif kw.get("pos_weight") == "one":
            kwargs["pos_weight"] = torch.tensor([2.5], dtype=dtype)
        xa, xb = x.clone().requires_grad_(), x.double().requires_grad_()
        la = nt.binary_cross_entropy_with_logits(xa, y, **kwargs)
        lb = torch.nn.functional.binary_cross_entropy_with_logits(
            xb, y.double(), **{k: (v.double() if isinstance(v, torch.Tensor) else v)
                               for k, v in kwargs.items()})
        tol = 1e-6 if dtype == torch.float32 else 1e-12
        torch.testing.assert_close(la.double(), lb, rtol=tol, atol=0)
        la.backward(torch.tensor(0.75, dtype=dtype))
        lb.backward(torch.tensor(0.75, dtype=torch.float64))
        torch.testing.assert_close(xa.grad.double(), xb.grad, rtol=tol, atol=tol * 1e-3)


# -- second derivatives of the two losses on logits ------------------------------------------

def _hvp(fn: object, x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """The Hessian of ``fn(x)`` (summed) times ``v``, by a double backward."""
    x = x.detach().clone().requires_grad_()
    (g,) = torch.autograd.grad(fn(x).sum(), x, create_graph=True)  # type: ignore[operator]
    (h,) = torch.autograd.grad((g * v).sum(), x)
    return h


@pytest.mark.parametrize("kw", CE_CASES, ids=[str(k) for k in CE_CASES])
def test_cross_entropy_second_derivatives(kw: dict[str, object]) -> None:
    """Double backward of cross_entropy: finite differences of nnmath's gradient
    (gradgradcheck, in the logits and in grad_output) and PyTorch's own Hessian-vector
    product."""
    x = _logits((6, 4)).requires_grad_()
    target = torch.randint(0, 4, (6,), generator=torch.Generator().manual_seed(4))
    if "ignore_index" in kw:
        target[::3] = int(kw["ignore_index"])  # type: ignore[call-overload]
    kwargs = _with_weight(kw)
    assert torch.autograd.gradgradcheck(lambda z: nt.cross_entropy(z, target, **kwargs),
                                        (x,))
    v = torch.randn(6, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(8))
    torch.testing.assert_close(
        _hvp(lambda z: nt.cross_entropy(z, target, **kwargs), x, v),
        _hvp(lambda z: torch.nn.functional.cross_entropy(z, target, **kwargs), x, v),
        rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kw", [{}, {"label_smoothing": 0.2, "reduction": "none"},
                                {"weight": [0.5, 2.0, 1.0, 3.0], "reduction": "sum"}])
def test_cross_entropy_second_derivatives_probabilities_and_dimensions(
        kw: dict[str, object]) -> None:
    kwargs = _with_weight(kw)
    x = _logits((6, 4)).requires_grad_()
    q = torch.softmax(_logits((6, 4)) / 2, dim=1)
    assert torch.autograd.gradgradcheck(lambda z: nt.cross_entropy(z, q, **kwargs), (x,))
    x3 = _logits((3, 4, 2)).requires_grad_()  # classes along dimension 1
    t3 = torch.randint(0, 4, (3, 2), generator=torch.Generator().manual_seed(2))
    assert torch.autograd.gradgradcheck(lambda z: nt.cross_entropy(z, t3, **kwargs), (x3,))
    v = torch.randn(3, 4, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(
        _hvp(lambda z: nt.cross_entropy(z, t3, **kwargs), x3, v),
        _hvp(lambda z: torch.nn.functional.cross_entropy(z, t3, **kwargs), x3, v),
        rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kw", BCE_CASES, ids=[str(k) for k in BCE_CASES])
def test_bce_with_logits_second_derivatives(kw: dict[str, object]) -> None:
    x = _logits((4, 3)).requires_grad_()
    y = torch.rand(4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(6))
    kwargs = {k: (torch.tensor(v, dtype=torch.float64) if k != "reduction" else v)
              for k, v in kw.items()}
    fn = nt.binary_cross_entropy_with_logits
    assert torch.autograd.gradgradcheck(lambda z: fn(z, y, **kwargs), (x,))
    v = torch.randn(4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(
        _hvp(lambda z: fn(z, y, **kwargs), x, v),
        _hvp(lambda z: torch.nn.functional.binary_cross_entropy_with_logits(z, y, **kwargs),
             x, v), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("fn", "what"), [
    (lambda z: nt.nll_loss(z, torch.tensor([0, 1])), "nll_loss"),
    (lambda z: nt.binary_cross_entropy(torch.sigmoid(z), torch.ones(2, 2, dtype=z.dtype)),
     "binary_cross_entropy"),
    (lambda z: nt.kl_div(z, torch.full((2, 2), 0.5, dtype=z.dtype),
                         reduction="batchmean"), "kl_div")])
def test_probability_losses_have_no_second_derivative(fn: object, what: str) -> None:
    x = torch.tensor([[-1.0, 0.5], [0.2, -0.3]], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(fn(x), x, create_graph=True)  # type: ignore[operator]
    with pytest.raises(RuntimeError, match=f"no second derivative of {what}"):
        (g * g).sum().backward()


def _compare_losses(ours: object, theirs: object, x: torch.Tensor, t: torch.Tensor) -> None:
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    la, lb = ours(xa, t), theirs(xb, t)  # type: ignore[operator]
    assert la.shape == lb.shape and la.dtype == lb.dtype
    torch.testing.assert_close(la, lb, rtol=1e-13, atol=1e-15)
    g = torch.rand(la.shape, dtype=x.dtype, generator=torch.Generator().manual_seed(9))
    la.backward(g)
    lb.backward(g)
    torch.testing.assert_close(xa.grad, xb.grad, rtol=1e-12, atol=1e-15)


NLL_CASES = [{}, {"reduction": "sum"}, {"reduction": "none"}, {"ignore_index": 2},
             {"weight": [0.5, 2.0, 1.0, 3.0]},
             {"weight": [0.5, 2.0, 1.0, 3.0], "ignore_index": 0, "reduction": "none"}]


@pytest.mark.parametrize("shape", [(7, 4), (3, 4, 5), (4,)])
@pytest.mark.parametrize("kw", NLL_CASES, ids=[str(k) for k in NLL_CASES])
def test_nll_loss_matches_torch(kw: dict[str, object], shape: tuple[int, ...]) -> None:
    x = torch.log_softmax(_logits(shape), dim=1 if len(shape) > 1 else 0)
    tshape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    t = torch.randint(0, 4, tshape, generator=torch.Generator().manual_seed(4))
    if not t.ndim:
        t = torch.tensor(3)
    kwargs = _with_weight(kw)
    _compare_losses(nt.NLLLoss(**kwargs), torch.nn.NLLLoss(**kwargs), x, t)


@pytest.mark.parametrize("kw", [{}, {"reduction": "sum"}, {"reduction": "none"},
                                {"weight": [[1.0, 0.5, 2.0]]}])
def test_bce_loss_matches_torch(kw: dict[str, object]) -> None:
    p = torch.rand(5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    p = p.clamp(0.01, 0.99)
    y = torch.rand(5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    kwargs = {k: (torch.tensor(v, dtype=torch.float64) if k == "weight" else v)
              for k, v in kw.items()}
    _compare_losses(nt.BCELoss(**kwargs), torch.nn.BCELoss(**kwargs), p, y)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nt.BCELoss()(p + 1, y)
    # at p = 0 and 1 the logs are floored at -100, as in PyTorch
    edge = torch.tensor([0.0, 1.0, 0.0, 1.0], dtype=torch.float64)
    target = torch.tensor([1.0, 0.0, 0.0, 1.0], dtype=torch.float64)
    torch.testing.assert_close(nt.BCELoss(reduction="none")(edge, target),
                               torch.nn.BCELoss(reduction="none")(edge, target))


@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none", "mean"])
def test_kl_div_loss_matches_torch(reduction: str, log_target: bool) -> None:
    x = torch.log_softmax(_logits((6, 4)), dim=1)
    t = torch.softmax(_logits((6, 4)) / 3, dim=1)
    if log_target:
        t = torch.log(t)
    else:
        t[0, 1] = 0.0  # a zero target contributes 0
    kw = {"reduction": reduction, "log_target": log_target}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's (and nnmath's) warning for "mean"
        _compare_losses(nt.KLDivLoss(**kw), torch.nn.KLDivLoss(**kw), x, t)
    if reduction == "mean":
        with pytest.warns(UserWarning, match="batchmean"):
            nt.KLDivLoss()(x, t)


def test_probability_losses_gradcheck() -> None:
    x = torch.log_softmax(_logits((5, 4)), dim=1).detach().requires_grad_()
    t = torch.tensor([0, 3, 2, 2, 1])
    w = torch.tensor([1.0, 2.0, 0.5, 1.5], dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda z: nt.nll_loss(z, t, weight=w), (x,))
    q = torch.softmax(_logits((5, 4)), dim=1)
    assert torch.autograd.gradcheck(lambda z: nt.kl_div(z, q, reduction="batchmean"), (x,))
    p = torch.rand(5, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    p = p.clamp(0.05, 0.95).requires_grad_()
    assert torch.autograd.gradcheck(lambda z: nt.binary_cross_entropy(z, q), (p,))


def test_loss_modules_keep_weights_as_buffers() -> None:
    w = torch.tensor([1.0, 2.0])
    m = nt.CrossEntropyLoss(weight=w)
    assert [n for n, _ in m.named_buffers()] == ["weight"]
    assert list(m.parameters()) == []
    assert nt.BCEWithLogitsLoss(size_average=False).reduction == "sum"
    with pytest.raises(ValueError, match="reduction"):
        nt.CrossEntropyLoss(reduction="avg")


# -- torch.library and torch.compile --------------------------------------------------------

def test_opcheck() -> None:
    x = _inputs("gelu", torch.float64).requires_grad_()
    torch.library.opcheck(_ops.activation, (x, "gelu", '{"approximate": false}'))
    torch.library.opcheck(_ops.activation, (x, "glu", '{"axis": 1}'))
    torch.library.opcheck(_ops.prelu, (x, torch.tensor(0.2, dtype=torch.float64,
                                                       requires_grad=True)))
    t = torch.tensor([0, 1, 2, 3, 0, 1])
    config = ('{"kind": "cross_entropy", "reduction": "mean", "axis": 1, '
              '"ignore_index": -100, "label_smoothing": 0.0}')
    torch.library.opcheck(_ops.loss, (x, t, None, None, config))


#: warnings PyTorch's own compiler stack raises while it traces (not nnmath's)
COMPILER_WARNINGS = [
    pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor:UserWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


@COMPILER_WARNINGS[0]
@COMPILER_WARNINGS[1]
def test_no_graph_break_under_torch_compile() -> None:
    model = torch.nn.Sequential(torch.nn.Linear(4, 6), nt.GELU(approximate="tanh"),
                                nt.Softplus(beta=2.0), nt.PReLU(), torch.nn.Linear(6, 3))
    loss_fn = nt.CrossEntropyLoss(label_smoothing=0.1)

    focal = nt.Loss("categorical_focal_crossentropy", from_logits=True)
    bce = nt.BCEWithLogitsLoss(pos_weight=torch.tensor([1.0, 2.0, 3.0]))

    def step(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        h = model(x)
        onehot = torch.nn.functional.one_hot(t, 3).float()
        logp = nt.LogSoftmax(dim=1)(h)
        return (loss_fn(nt.elu(h, alpha=0.5), t) + nt.softmax(h, axis=1).sum()
                + focal(onehot, h) + bce(h, onehot) + nt.NLLLoss()(logp, t)
                + nt.KLDivLoss(reduction="batchmean")(logp, onehot)
                + nt.BCELoss()(nt.Sigmoid()(h), onehot))

    x, t = torch.randn(5, 4), torch.tensor([0, 1, 2, 1, 0])
    explanation = torch._dynamo.explain(step)(x, t)
    assert explanation.graph_break_count == 0, explanation.break_reasons
    assert explanation.graph_count == 1


@pytest.mark.slow
@COMPILER_WARNINGS[0]
@COMPILER_WARNINGS[1]
def test_compiled_training_step_equals_eager(request: pytest.FixtureRequest) -> None:
    """torch.compile (inductor) of a training step: the value and gradient of eager mode."""
    if "slow" not in (request.config.option.markexpr or ""):
        pytest.skip("compiles with inductor (seconds): run with -m slow")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 6), nt.SiLU(), torch.nn.Linear(6, 3))
    loss_fn = nt.CrossEntropyLoss()
    x, t = torch.randn(8, 4), torch.randint(0, 3, (8,))
    eager = loss_fn(model(x), t)
    (ge,) = torch.autograd.grad(eager, model[0].weight)
    compiled = torch.compile(lambda a, b: loss_fn(model(a), b))
    value = compiled(x, t)
    (gc,) = torch.autograd.grad(value, model[0].weight)
    torch.testing.assert_close(value, eager)
    torch.testing.assert_close(gc, ge)


# -- nnmath's own losses as modules --------------------------------------------------------

#: (loss, parameters, targets kind): every loss class of nnmath
KERAS_LOSSES = [
    ("BinaryCrossentropy", {}, "prob"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1,
                            "pos_weight": [1.0, 2.0, 0.5, 3.0]}, "binary"),
    ("CategoricalCrossentropy", {"from_logits": True, "class_weight": [1.0, 2.0, 1.0, 0.5],
                                 "reduction": "mean_with_sample_weight"}, "onehot"),
    ("CategoricalCrossentropy", {"reduction": "none"}, "onehot"),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": 3}, "sparse"),
    ("BinaryFocalCrossentropy", {"from_logits": True, "gamma": 1.5}, "binary"),
    ("CategoricalFocalCrossentropy", {"from_logits": True, "reduction": "sum"}, "onehot"),
    ("KLDivergence", {}, "prob"),
    ("Poisson", {}, "prob"),
    ("Hinge", {}, "binary"),
    ("SquaredHinge", {"reduction": "none"}, "binary"),
    ("CategoricalHinge", {}, "onehot"),
]


def _keras_case(kind: str, from_logits: bool, dtype: torch.dtype) -> tuple[object, object]:
    gen = np.random.default_rng(8)
    z = gen.normal(size=(6, 4)) * 2
    if not from_logits:  # probabilities, rows summing to 1
        z = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    y: np.ndarray
    if kind == "sparse":
        y = gen.integers(0, 4, size=6)
    elif kind == "onehot":
        y = np.eye(4)[gen.integers(0, 4, size=6)]
    elif kind == "binary":
        y = gen.integers(0, 2, size=(6, 4)).astype(np.float64)
    else:
        y = gen.uniform(size=(6, 4))
    ydt = None if kind == "sparse" else dtype
    return torch.tensor(y, dtype=ydt), torch.tensor(z, dtype=dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("name", "params", "kind"), KERAS_LOSSES,
                         ids=[f"{n}{p}" for n, p, _ in KERAS_LOSSES])
def test_nnmath_losses_bit_for_bit(name: str, params: dict[str, object], kind: str,
                                   dtype: torch.dtype) -> None:
    """nnmath's losses through the module: value and gradient are the NumPy loss's value
    and ``gradient``, bit for bit, with and without sample weights."""
    import nnmath.losses as L

    module = nt.Loss(name, **params)
    ref = L.get(name, **params)
    y, z = _keras_case(kind, bool(params.get("from_logits")), dtype)
    for sw in (None, torch.linspace(0.0, 2.0, 6, dtype=dtype)):
        zz = z.clone().requires_grad_()
        value = module(y, zz, sw)
        swn = None if sw is None else sw.numpy()
        want = np.asarray(ref(y.numpy(), z.numpy(), sample_weight=swn))
        assert value.dtype == dtype and tuple(value.shape) == want.shape
        np.testing.assert_array_equal(_bits(value.detach().numpy()), _bits(want))
        g = torch.ones_like(value) * 0.75
        value.backward(g)
        grad = ref.gradient(y.numpy(), z.numpy(), swn, grad_output=g.numpy())
        np.testing.assert_array_equal(_bits(zz.grad.numpy()), _bits(grad))


@pytest.mark.parametrize(("name", "params", "kind"), KERAS_LOSSES[:8],
                         ids=[n for n, _, _ in KERAS_LOSSES[:8]])
def test_nnmath_losses_gradcheck(name: str, params: dict[str, object], kind: str) -> None:
    y, z = _keras_case(kind, bool(params.get("from_logits")), torch.float64)
    module = nt.Loss(name, **params)
    assert torch.autograd.gradcheck(lambda t: module(y, t), (z.requires_grad_(),))


def test_loss_module_takes_instances_and_names() -> None:
    import nnmath.losses as L

    assert nt.Loss("hinge").loss == L.Hinge()
    assert nt.Loss(L.Poisson(reduction="sum")).loss == L.Poisson(reduction="sum")
    assert nt.Loss("CategoricalHinge").loss == L.CategoricalHinge()
    assert nt.Loss("kl_divergence", reduction="sum").loss == L.KLDivergence(reduction="sum")
    with pytest.raises(ValueError, match="unknown"):
        nt.Loss("no_such_loss")

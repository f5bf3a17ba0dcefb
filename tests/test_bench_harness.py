"""The benchmark's harness (benchmarks/bench.py and its tables), not its timings: every
candidate it times computes the function it is compared with, and a row's verdict follows
its targets. Small inputs only; PyTorch and JAX candidates are checked where installed."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))
BO = importlib.import_module("_bench_ops")
BL = importlib.import_module("_bench_losses")
sys.path.remove(str(BENCH))

OPS = BO.OPS
#: a grid away from the kinks (±0.5, ±1, ±3, 6), where every spelling agrees
X = np.array([-7.3, -4.2, -2.6, -1.7, -0.8, -0.3, 0.2, 0.7, 1.4, 2.2, 4.1, 6.9])


def _inputs(op: object) -> tuple[np.ndarray, np.ndarray]:
    x = np.tile(X, (2, 1)) if op.row else X.copy()
    g = np.linspace(-1.5, 2.0, x.size).reshape(x.shape)
    return x, g


def _reference(op: object, x: np.ndarray) -> np.ndarray:
    return np.asarray(BO.instance(op)(x))


@pytest.mark.parametrize("op", OPS, ids=lambda o: o.label)
def test_naive_numpy_and_scipy_compute_the_op(op: object) -> None:
    x, _ = _inputs(op)
    want = _reference(op, x)
    got = op.numpy(x)
    if got is not None:  # the naive expression of exact GELU needs SciPy's erf
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    if op.scipy is not None and BO.sps is not None:
        np.testing.assert_allclose(op.scipy(x), want, rtol=1e-12, atol=1e-12)


def test_every_op_has_a_peer_and_the_labels_are_unique() -> None:
    assert len(BO.BY_LABEL) == len(OPS)
    assert all(op.torch or op.jax for op in OPS)
    # the brief's list of activations with a PyTorch or JAX counterpart is covered
    names = {op.label for op in OPS}
    assert {"sigmoid", "tanh", "relu", "gelu", "gelu tanh", "silu", "softplus", "log_sigmoid",
            "mish", "elu", "selu", "celu", "leaky_relu", "hard_sigmoid", "hard_silu", "relu6",
            "softsign", "hard_tanh", "hard_shrink", "soft_shrink", "tanh_shrink",
            "exponential", "softmax", "log_softmax"} <= names


@pytest.mark.parametrize("op", OPS, ids=lambda o: o.label)
def test_torch_candidates_compute_the_op(op: object) -> None:
    torch = pytest.importorskip("torch")
    if op.torch is None:
        pytest.skip("no PyTorch counterpart")
    x, g = _inputs(op)
    value = _reference(op, x)
    t = torch.from_numpy(x)
    np.testing.assert_allclose(BO._torch_fn(op.torch)(t).numpy(), value, rtol=1e-12,
                               atol=1e-12)
    if op.torch_out is not None:
        o = torch.empty_like(t)
        call = BO._torch_out(op.torch_out, t, o)
        assert call is not None, f"PyTorch refuses {op.torch_out}"
        call()
        np.testing.assert_allclose(o.numpy(), value, rtol=1e-12, atol=1e-12)
    # autograd's VJP is nnmath's backward (the same function: PyTorch's hardsigmoid
    # backward multiplies by 1/6 rounded to float32, hence the tolerance)
    tr = t.clone().requires_grad_(True)
    vjp = torch.autograd.grad(BO._torch_fn(op.torch)(tr), tr, torch.from_numpy(g))[0]
    np.testing.assert_allclose(vjp.numpy(), BO.instance(op).backward(x, g), rtol=1e-6,
                               atol=1e-12)


@pytest.mark.parametrize("op", OPS, ids=lambda o: o.label)
def test_jax_candidates_compute_the_op(op: object) -> None:
    jax = pytest.importorskip("jax")
    if op.jax is None:
        pytest.skip("no JAX counterpart")
    jax.config.update("jax_enable_x64", True)
    f = BO._jax_fn(op.jax)
    assert f is not None, f"this JAX lacks {op.jax}"
    x, g = _inputs(op)
    np.testing.assert_allclose(np.asarray(f(x)), _reference(op, x), rtol=1e-12, atol=1e-12)
    vjp = jax.vjp(f, x)[1](g)[0]
    np.testing.assert_allclose(np.asarray(vjp), BO.instance(op).backward(x, g), rtol=1e-9,
                               atol=1e-12)


def test_candidates_time_the_right_calls() -> None:
    """The rounds' calls: nnmath's value, out=, gradient and backward, the core ufuncs'
    out=, the copy, each writing what it should."""
    op = BO.BY_LABEL["sigmoid"]
    x, g = _inputs(op)
    copied = []
    kinds = BO.candidates(op, x, g, {"numpy"}, lambda dst, src: copied.append(src))
    inst = BO.instance(op)
    np.testing.assert_array_equal(kinds["value"]["nnmath"](), inst(x))
    np.testing.assert_array_equal(kinds["value"]["nnmath out="](), inst(x))
    np.testing.assert_array_equal(kinds["gradient"]["nnmath"](), inst.gradient(x))
    np.testing.assert_array_equal(kinds["gradient"]["core out="](), inst.gradient(x))
    np.testing.assert_array_equal(kinds["backward"]["core out="](), inst.backward(x, g))
    kinds["value"]["copy 2 threads"]()
    assert copied and copied[0] is x
    assert set(kinds["value"]) == {"nnmath", "nnmath out=", "copy 2 threads", "numpy"}


def test_verdicts_follow_the_targets() -> None:
    """The pass/fail of a row from hand-made ratios (the report's functions in _common.py)."""
    sys.path.insert(0, str(BENCH))
    try:
        common = importlib.import_module("_common")
    finally:
        sys.path.remove(str(BENCH))
    row = {"vs_peer": 0.9, "out_vs_torch": None, "out_vs_copy": 1.9, "copy_target": 2.0,
           "small": 1.2, "alloc": 100, "alloc_out": 0}
    assert common.verdict(row) == "pass"
    assert common.verdict({**row, "copy_target": 1.5}) == "fail: copy"
    assert common.verdict({**row, "vs_peer": 1.01, "out_vs_torch": 1.5}) == (
        "fail: peer, torch out=")
    assert common.verdict({**row, "small": 1.3, "alloc_out": 80_000_000}) == (
        "fail: 1,000, memory")
    assert common.verdict({**row, "out_vs_copy": None, "no_out": True}) == "fail: no out="
    assert common.ok_cell(None, 1.0) == "–"
    assert common.ok_cell(1.5, 1.5) == "1.50 ✓"
    assert common.ok_cell(1.51, 1.5) == "1.51 ✗"


@pytest.mark.parametrize("op", BL.OPS)
def test_loss_and_metric_candidates_compute_the_op(op: str) -> None:
    """Every peer timed for a loss, a metric or a loss gradient (the naive NumPy
    expression, SciPy, PyTorch and jitted JAX where installed) computes what nnmath does."""
    d = BL.inputs(op, np.float64, "small")
    cands = BL.candidates(op, d, {"numpy", "scipy", "jax", "torch"}, lambda o, x: None)
    want = np.asarray(cands.pop("nnmath")())
    if "nnmath out=" in cands:
        np.testing.assert_allclose(np.asarray(cands.pop("nnmath out=")()), want, rtol=1e-12)
    cands.pop("copy 2 threads")
    assert "numpy" in cands
    for name, f in cands.items():
        got = f()
        got = got.detach().numpy() if hasattr(got, "detach") else np.asarray(got)
        if op.endswith("accuracy"):
            np.testing.assert_array_equal(got, want, err_msg=name)
        else:  # a mean loss (nnmath's per-sample losses averaged) or its gradient
            f64 = got.dtype == np.float64  # JAX without x64 computes in float32
            np.testing.assert_allclose(got, want.mean() if got.ndim < want.ndim else want,
                                       rtol=1e-9 if f64 else 1e-5,
                                       atol=1e-15 if f64 else 1e-8, err_msg=name)

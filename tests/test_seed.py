"""The seed notebook's activation cells, run against nnmath's classes.

The expected values are the notebook's printed outputs (typed in from the notebook) and
hand-written formulas; each test states which of the notebook's results were right and
which were the bugs listed in the seed's error table.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from nnmath.activations import Leaky_ReLu, ReLu, Sigmoid, Softmax, TanH
from nnmath.cli import main

# In [8] of the notebook: y = Sigmoid(); y(x) for x = np.arange(-10, 10, 0.2), first values
SEED_SIGMOID_PRINTED = [2.20274658e04, 1.80347449e04, 1.47657816e04, 1.20893807e04,
                        9.89812906e03, 8.10408393e03]
# In [17]: Softmax()(x2), printed
SEED_SOFTMAX_PRINTED = [[0.00626879, 0.01704033, 0.04632042, 0.93037047],
                        [0.01203764, 0.08894682, 0.24178252, 0.65723302],
                        [0.00626879, 0.01704033, 0.04632042, 0.93037047]]
X2 = np.array([[1, 2, 3, 6], [2, 4, 5, 6], [1, 2, 3, 6]])


def test_seed_sigmoid_output_was_the_precedence_bug():
    x = np.arange(-10, 10, 0.2)
    # (1/ 1+np.exp(-x)) parses as 1 + exp(-x): that reproduces every printed digit
    np.testing.assert_allclose(1 + np.exp(-x[:6]), SEED_SIGMOID_PRINTED, rtol=5e-9)
    y = Sigmoid()
    out = y(x)
    np.testing.assert_allclose(out, 1 / (1 + np.exp(-x)), rtol=1e-15)
    assert np.all((out > 0) & (out < 1))
    assert out[0] == pytest.approx(4.5397868702434395e-05, rel=1e-15)  # 1/(1+e^10)
    # the notebook's gradient formula, σ(1-σ), is right once σ is; nnmath's is in (0, 1/4]
    np.testing.assert_allclose(y.gradient(x), out * (1 - out), rtol=1e-11)  # 1-σ cancels
    np.testing.assert_allclose(y.gradient(x), out / (1 + np.exp(x)), rtol=1e-14)  # σ(x)σ(-x)
    assert y.gradient(0.0) == 0.25


def test_seed_sigmoid_without_overflow_for_large_negative_x():
    with np.errstate(all="raise"):
        assert Sigmoid()(-1000.0) == 0.0
        assert Sigmoid()(np.float32(-100.0)) > 0  # a float32 subnormal, not 0
        assert Sigmoid().gradient(-1000.0) == 0.0


def test_seed_softmax_values_match_the_notebook():
    np.testing.assert_allclose(Softmax()(X2), SEED_SOFTMAX_PRINTED, atol=5e-9)
    # the unshifted exp(x)/sum(exp(x)) of the notebook overflows; nnmath's does not
    big = X2 + 1000.0
    with np.errstate(all="raise"):
        with pytest.raises(FloatingPointError):
            np.exp(big) / np.sum(np.exp(big), axis=1, keepdims=True)
        np.testing.assert_allclose(Softmax()(big), SEED_SOFTMAX_PRINTED, atol=5e-9)
        # and the commented-out "stable" version summed over the whole array, not the rows
        whole = np.exp(X2 - X2.max()) / np.exp(X2 - X2.max()).sum()
        assert not np.allclose(whole, SEED_SOFTMAX_PRINTED, atol=1e-3)


def test_seed_softmax_gradient_is_the_jacobian_not_its_diagonal():
    x = X2[1].astype(float)
    p = Softmax()(x)
    jac = Softmax().gradient(x)
    seed_gradient = p * (1 - p)  # what the notebook returned
    np.testing.assert_allclose(np.diag(jac), seed_gradient, rtol=1e-14)
    off_diagonal = jac - np.diag(np.diag(jac))
    np.testing.assert_allclose(off_diagonal, -np.outer(p, p) + np.diag(p * p), rtol=1e-14,
                               atol=1e-17)
    assert np.abs(off_diagonal).max() > 0.01  # what the diagonal alone misses
    # a chain rule through the diagonal alone is wrong: compare with the VJP
    g = np.array([0.3, -1.0, 0.5, 0.2])
    assert not np.allclose(g * seed_gradient, Softmax().backward(x, g), atol=1e-3)
    np.testing.assert_allclose(Softmax().backward(x, g), jac.T @ g, rtol=1e-13)


def test_seed_relu_and_leaky_relu_cells():
    z = np.random.default_rng(1).uniform(-1, 1, (3, 3))
    np.testing.assert_array_equal(ReLu()(z), np.maximum(z, 0))
    lrelu = Leaky_ReLu()
    assert lrelu.alpha == 0.01
    np.testing.assert_allclose(lrelu(z), np.where(z >= 0, z, 0.01 * z), rtol=1e-15)
    np.testing.assert_allclose(Leaky_ReLu(alpha=0.2)(z), np.where(z >= 0, z, 0.2 * z))
    # away from 0 the notebook's gradients were right
    np.testing.assert_array_equal(ReLu().gradient(z), np.where(z > 0, 1.0, 0.0))
    np.testing.assert_allclose(lrelu.gradient(z), np.where(z > 0, 1.0, 0.01))
    # at the kink nnmath's convention replaces the notebook's 1 (stated in the docs)
    assert ReLu().gradient(0.0) == 0.0
    assert lrelu.gradient(0.0) == 0.01


def test_seed_tanh_cell_and_its_gradient():
    z = np.random.default_rng(2).uniform(-1, 1, (3, 3))
    np.testing.assert_allclose(TanH()(z), 2 / (1 + np.exp(-2 * z)) - 1, rtol=1e-13)
    np.testing.assert_allclose(TanH()(z), np.tanh(z), rtol=1e-15)
    # 1 - tanh² cancels to 0 at x = 20; sech²(20) = 4e^{-40}/(1+e^{-40})² is not 0
    assert 1 - np.tanh(20.0) ** 2 == 0.0
    assert TanH().gradient(20.0) == pytest.approx(4 * np.exp(-40.0), rel=1e-15)


def test_demo_prints_the_corrected_examples(capsys):
    # make demo runs the tour: the seed's activation cells, its wrong outputs shown as such
    assert main(["tour", "--no-figures"]) == 0
    out = capsys.readouterr().out
    assert "2.20274658e+04" in out  # the notebook's printed sigmoid(-10): 1 + e^10
    assert "4.53978687e-05" in out  # sigmoid(-10), correct
    assert "0.93037047" in out
    assert "diag(p) - p pᵀ" in out


def test_demo_runs_as_a_module():
    res = subprocess.run([sys.executable, "-W", "error", "-m", "nnmath", "tour",
                          "--no-figures"], capture_output=True, text=True, check=False,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert "Sigmoid" in res.stdout and res.stderr == ""


def test_demo_rejects_unknown_arguments(capsys):
    assert main(["--bogus"]) == 2
    assert "nnmath: error:" in capsys.readouterr().err

"""examples/train_mlp_digits.py: a short run learns; its backpropagation is right."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn.datasets", reason="scikit-learn not installed (digits data)")

EXAMPLE = Path(__file__).parent.parent / "examples" / "train_mlp_digits.py"


def _load():
    spec = importlib.util.spec_from_file_location("train_mlp_digits", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up
    spec.loader.exec_module(module)
    return module


example = _load()


def test_short_training_run_lowers_the_loss_and_raises_the_accuracy() -> None:
    out = example.train(epochs=4, seed=1, log=None)
    h = out["history"]
    assert len(h) == 4
    assert h[-1]["train_loss"] < 0.5 * h[0]["train_loss"]
    assert h[-1]["test_loss"] < h[0]["test_loss"]
    assert h[-1]["train_accuracy"] > h[0]["train_accuracy"]
    assert h[-1]["test_accuracy"] > h[0]["test_accuracy"]
    assert h[-1]["test_accuracy"] > 0.85  # chance is 0.1
    # the streaming metrics saw every test image once
    assert int(out["test_metrics"]["confusion"].result().sum()) == out["n_test"] == 359


def test_backward_matches_finite_differences_of_the_loss() -> None:
    """The hand-written chain (Loss.gradient, ReLU.backward, dense layers) is the gradient."""
    rng = np.random.default_rng(5)
    model = example.MLP.create(6, 7, 4, rng)
    x = rng.normal(size=(9, 6))
    y = rng.integers(0, 4, 9)

    def loss() -> float:
        return float(example.LOSS(y, model.forward(x)[2]))

    z1, h, logits = model.forward(x)
    assert np.all(np.abs(z1) > 1e-3)  # no ReLU kink within the finite-difference step
    grads = model.backward(x, z1, h, example.LOSS.gradient(y, logits))
    direction = {k: rng.normal(size=v.shape) for k, v in grads.items()}
    eps = 1e-6
    for name, d in direction.items():
        param = getattr(model, name)
        param += eps * d
        up = loss()
        param -= 2 * eps * d
        down = loss()
        param += eps * d
        numeric = (up - down) / (2 * eps)
        analytic = float(np.sum(grads[name] * d))
        assert analytic == pytest.approx(numeric, rel=1e-6, abs=1e-9), name


@pytest.mark.slow
def test_full_run_reaches_95_percent_test_accuracy() -> None:
    """The documented run (40 epochs, about 3 s here): at least 95 % test accuracy."""
    out = example.train(log=None)
    assert out["test_metrics"]["accuracy"].result() >= 0.95

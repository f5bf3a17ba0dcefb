#!/usr/bin/env python
"""Train a two-layer network on scikit-learn's digits with nnmath alone — no autodiff.

The 8x8 digit images (1797 of them, bundled with scikit-learn: no download) go through

    x (64) -> Dense(64) -> ReLU -> Dense(10) -> logits

trained with Adam on ``nnmath.losses.SparseCategoricalCrossentropy(from_logits=True)``.
Backpropagation uses only nnmath's analytic gradients: ``Loss.gradient`` gives
``∂loss/∂logits`` (the fused ``softmax(z) - onehot(y)``, over the batch size) and
``ReLU().backward(z, g)`` the vector-Jacobian product of the activation; the two dense
layers are matrix products written out by hand. Progress is measured with nnmath's
streaming metrics, updated batch by batch.

Run::

    python examples/train_mlp_digits.py [--epochs 40] [--seed 0]

It reaches about 97 % test accuracy in a few seconds on two CPU cores.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import nnmath.losses as L
import nnmath.metrics as M
from nnmath.activations import ReLU


def load_digits_split(seed: int = 0, test_fraction: float = 0.2):
    """The digits data, shuffled and split; features scaled to [0, 1] (pixels are 0..16)."""
    from sklearn.datasets import load_digits

    data = load_digits()
    x = data.data.astype(np.float64) / 16.0
    y = data.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = round(test_fraction * len(y))
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


@dataclass
class MLP:
    """Two dense layers with a ReLU between them; parameters and Adam moments."""

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray
    moments: dict[str, list[np.ndarray]] = field(default_factory=dict)
    steps: int = 0

    @classmethod
    def create(cls, n_in: int, n_hidden: int, n_out: int, rng: np.random.Generator) -> MLP:
        # He initialisation for the ReLU layer, Glorot-like for the output layer
        return cls(w1=rng.normal(0.0, np.sqrt(2.0 / n_in), (n_in, n_hidden)),
                   b1=np.zeros(n_hidden),
                   w2=rng.normal(0.0, np.sqrt(1.0 / n_hidden), (n_hidden, n_out)),
                   b2=np.zeros(n_out))

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(z1, h, logits)``: the pre-activation, the hidden layer and the logits."""
        z1 = x @ self.w1 + self.b1
        h = RELU(z1)
        return z1, h, h @ self.w2 + self.b2

    def backward(self, x: np.ndarray, z1: np.ndarray, h: np.ndarray,
                 g_logits: np.ndarray) -> dict[str, np.ndarray]:
        """Gradients of the loss with respect to every parameter, from ∂loss/∂logits."""
        g_h = g_logits @ self.w2.T
        g_z1 = RELU.backward(z1, g_h)  # the VJP of ReLU: g where z1 > 0, else 0
        return {"w2": h.T @ g_logits, "b2": g_logits.sum(axis=0),
                "w1": x.T @ g_z1, "b1": g_z1.sum(axis=0)}

    def adam_step(self, grads: dict[str, np.ndarray], lr: float, beta1: float = 0.9,
                  beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.steps += 1
        for name, g in grads.items():
            m, v = self.moments.setdefault(name, [np.zeros_like(g), np.zeros_like(g)])
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * g * g
            m_hat = m / (1 - beta1**self.steps)
            v_hat = v / (1 - beta2**self.steps)
            getattr(self, name)[...] -= lr * m_hat / (np.sqrt(v_hat) + eps)


RELU = ReLU()
LOSS = L.SparseCategoricalCrossentropy(from_logits=True)


def evaluate(model: MLP, x: np.ndarray, y: np.ndarray,
             batch_size: int = 256) -> dict[str, M.Metric]:
    """Stream the data through the model in batches; return the updated metrics."""
    metrics: dict[str, M.Metric] = {
        "loss": M.SparseCategoricalCrossentropy(from_logits=True),
        "accuracy": M.SparseCategoricalAccuracy(),
        "balanced": M.MulticlassAccuracy(10, average="macro"),
        "confusion": M.ConfusionMatrix(10),
    }
    for start in range(0, len(y), batch_size):
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        logits = model.forward(xb)[2]
        for metric in metrics.values():
            metric.update_state(yb, logits)
    return metrics


def train(epochs: int = 40, hidden: int = 64, batch_size: int = 32, lr: float = 2e-3,
          seed: int = 0, log: Callable[[str], Any] | None = print) -> dict[str, Any]:
    """Train and return the history (per-epoch train/test loss and accuracy) and the model."""
    x_train, y_train, x_test, y_test = load_digits_split(seed)
    rng = np.random.default_rng(seed)
    model = MLP.create(x_train.shape[1], hidden, 10, rng)
    history: list[dict[str, float]] = []
    start_time = time.perf_counter()
    for epoch in range(1, epochs + 1):
        train_loss = M.SparseCategoricalCrossentropy(from_logits=True)
        train_acc = M.SparseCategoricalAccuracy()
        order = rng.permutation(len(y_train))
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            xb, yb = x_train[idx], y_train[idx]
            z1, h, logits = model.forward(xb)
            g_logits = LOSS.gradient(yb, logits)  # ∂ mean loss / ∂ logits
            model.adam_step(model.backward(xb, z1, h, g_logits), lr)
            train_loss.update_state(yb, logits)
            train_acc.update_state(yb, logits)
        test = evaluate(model, x_test, y_test)
        row = {"epoch": epoch, "train_loss": train_loss.result(),
               "train_accuracy": train_acc.result(), "test_loss": test["loss"].result(),
               "test_accuracy": test["accuracy"].result(),
               "test_balanced_accuracy": test["balanced"].result()}
        history.append(row)
        if log is not None:
            log(f"epoch {epoch:3d}  train loss {row['train_loss']:.4f}  "
                f"acc {row['train_accuracy']:.4f}  |  test loss {row['test_loss']:.4f}  "
                f"acc {row['test_accuracy']:.4f}  balanced {row['test_balanced_accuracy']:.4f}")
    final = evaluate(model, x_test, y_test)
    return {"history": history, "model": model, "test_metrics": final,
            "seconds": time.perf_counter() - start_time,
            "n_train": len(y_train), "n_test": len(y_test)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    out = train(epochs=args.epochs, hidden=args.hidden, batch_size=args.batch_size,
                lr=args.lr, seed=args.seed)
    final = out["test_metrics"]
    print(f"\n{out['n_train']} training and {out['n_test']} test images, "
          f"{args.epochs} epochs in {out['seconds']:.1f} s")
    print(f"test accuracy {final['accuracy'].result():.4f}, "
          f"balanced accuracy {final['balanced'].result():.4f}, "
          f"test loss {final['loss'].result():.4f}")
    print("confusion matrix (rows: true digit, columns: predicted):")
    print(final["confusion"].result())


if __name__ == "__main__":
    main()

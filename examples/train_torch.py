#!/usr/bin/env python
"""Train a small PyTorch network twice: with nnmath.torch's activation and loss, and with
torch.nn's own; the two loss curves agree.

The 8x8 digit images of scikit-learn (1797, bundled: no download) go through

    x (64) -> Linear(64, 64) -> GELU -> Linear(64, 10) -> logits

trained with Adam on the cross-entropy of the logits. The two runs start from the same
initial weights (one model, copied) and see the same mini-batches in the same order (one
seeded shuffle per epoch); they differ only in two lines:

    nnmath.torch.GELU(),  nnmath.torch.CrossEntropyLoss(label_smoothing=0.05)
    torch.nn.GELU(),      torch.nn.CrossEntropyLoss(label_smoothing=0.05)

The script prints each epoch's mean training loss and test accuracy for both runs, the
relative difference of the losses, and exits with status 1 if the largest difference
exceeds the tolerance (default 1e-5) after the last epoch.

The default dtype is float64: both runs then agree to about 1e-13, and what is compared
is the implementations, not float32 rounding that training amplifies from step to step.
With ``--dtype float32`` the curves still agree to well within 1e-5 over 10 epochs.

Run::

    python examples/train_torch.py [--epochs 10] [--seed 0] [--dtype float64]
"""

from __future__ import annotations

import argparse
import copy
import sys
from typing import Any

import numpy as np
import torch

import nnmath.torch as nt


def load_digits_split(seed: int = 0, test_fraction: float = 0.2) -> tuple[np.ndarray, ...]:
    """The digits data, shuffled and split; pixels scaled to [0, 1] (they are 0..16)."""
    from sklearn.datasets import load_digits

    data = load_digits()
    x = data.data.astype(np.float64) / 16.0
    y = data.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = round(test_fraction * len(y))
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def make_model(activation: torch.nn.Module, hidden: int = 64) -> torch.nn.Sequential:
    return torch.nn.Sequential(torch.nn.Linear(64, hidden), activation,
                               torch.nn.Linear(hidden, 10))


def train(model: torch.nn.Module, loss_fn: torch.nn.Module, data: tuple[torch.Tensor, ...],
          epochs: int, seed: int, batch_size: int = 64,
          lr: float = 1e-2) -> list[dict[str, float]]:
    """Adam on ``loss_fn``; each epoch's mean training loss and test accuracy."""
    x_train, y_train, x_test, y_test = data
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    order = torch.Generator().manual_seed(seed)
    history = []
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(y_train), generator=order)
        total = torch.zeros((), dtype=x_train.dtype)
        for start in range(0, len(perm), batch_size):
            idx = perm[start:start + batch_size]
            opt.zero_grad()
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            opt.step()
            total += loss.detach() * len(idx)
        model.eval()
        with torch.no_grad():
            accuracy = (model(x_test).argmax(1) == y_test).double().mean()
        history.append({"loss": float(total) / len(perm), "test_accuracy": float(accuracy)})
    return history


def compare(epochs: int = 10, seed: int = 0, dtype: str = "float64",
            log: Any = print) -> dict[str, Any]:
    """Both runs from the same initial weights; their histories and the largest relative
    difference of their epoch losses."""
    dt = getattr(torch, dtype)
    x_train, y_train, x_test, y_test = load_digits_split(seed)
    data = (torch.from_numpy(x_train).to(dt), torch.from_numpy(y_train),
            torch.from_numpy(x_test).to(dt), torch.from_numpy(y_test))
    torch.manual_seed(seed)
    initial = make_model(torch.nn.Identity()).to(dt).state_dict()

    runs = {}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a model this small runs fastest on one thread
    try:
        for who, activation, loss_fn in (
                ("nnmath.torch", nt.GELU(), nt.CrossEntropyLoss(label_smoothing=0.05)),
                ("torch.nn", torch.nn.GELU(), torch.nn.CrossEntropyLoss(label_smoothing=0.05))):
            model = make_model(activation).to(dt)
            model.load_state_dict(copy.deepcopy(initial))
            runs[who] = train(model, loss_fn, data, epochs, seed)
    finally:
        torch.set_num_threads(threads)

    ours, theirs = runs["nnmath.torch"], runs["torch.nn"]
    diffs = [abs(a["loss"] - b["loss"]) / abs(b["loss"])
             for a, b in zip(ours, theirs, strict=True)]
    if log is not None:
        log(f"{dtype}, seed {seed}: mean training loss per epoch (test accuracy)")
        log(f"{'epoch':>5}  {'nnmath.torch':>24}  {'torch.nn':>24}  {'relative diff':>13}")
        for i, (a, b, d) in enumerate(zip(ours, theirs, diffs, strict=True), 1):
            log(f"{i:5d}  {a['loss']:.15f} ({a['test_accuracy']:.3f})  "
                f"{b['loss']:.15f} ({b['test_accuracy']:.3f})  {d:13.3e}")
    return {"nnmath.torch": ours, "torch.nn": theirs, "max_relative_difference": max(diffs)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    ap.add_argument("--tolerance", type=float, default=1e-5,
                    help="the largest relative difference allowed (default 1e-5)")
    args = ap.parse_args(argv)
    out = compare(args.epochs, args.seed, args.dtype)
    worst = out["max_relative_difference"]
    ok = worst <= args.tolerance
    print(f"largest relative difference of the loss curves over {args.epochs} epochs: "
          f"{worst:.3e} ({'within' if ok else 'ABOVE'} the tolerance {args.tolerance:g})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

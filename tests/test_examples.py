"""The examples of ``examples/``: each runs and reaches the figure its docstring states."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).parent.parent / "examples"


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# -- examples/train_torch.py ------------------------------------------------------------------

def test_train_torch_reproduces_torch_nn_loss_curve_to_1e_5_after_10_epochs() -> None:
    """The same model trained with nnmath.torch's GELU and CrossEntropyLoss and with
    torch.nn's: PyTorch's own run is the reference; the curves agree to 1e-5 relative over
    10 epochs, and the training learns."""
    pytest.importorskip("torch", reason="PyTorch not installed")
    pytest.importorskip("sklearn.datasets", reason="scikit-learn not installed (digits)")
    example = _load("train_torch")
    lines: list[str] = []
    out = example.compare(epochs=10, seed=0, dtype="float64", log=lines.append)
    ours, theirs = out["nnmath.torch"], out["torch.nn"]
    assert len(ours) == len(theirs) == 10
    assert out["max_relative_difference"] <= 1e-5
    for a, b in zip(ours, theirs, strict=True):
        assert a["loss"] == pytest.approx(b["loss"], rel=1e-5)
    assert theirs[-1]["loss"] < 0.5 * theirs[0]["loss"]
    assert theirs[-1]["test_accuracy"] > 0.9  # chance is 0.1
    assert len(lines) == 12  # a title, a header and one line per epoch


def test_train_torch_command_line_exits_0_within_the_tolerance(capsys: Any) -> None:
    pytest.importorskip("torch", reason="PyTorch not installed")
    pytest.importorskip("sklearn.datasets", reason="scikit-learn not installed (digits)")
    example = _load("train_torch")
    assert example.main(["--epochs", "2", "--dtype", "float32"]) == 0
    assert "within the tolerance 1e-05" in capsys.readouterr().out

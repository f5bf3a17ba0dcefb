"""The examples of examples/ that train a model with an autodiff library: each is run as a
user would run it, and the figure it checks is asserted here too."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# -- examples/train_jax.py ----------------------------------------------------------------------

@pytest.mark.parametrize("path", ["default", "core"])
def test_train_jax_reproduces_jaxs_loss_curve(path: str) -> None:
    """10 epochs with nnmath.jax and with jax.nn from the same parameters: the loss curves
    agree to 1e-5 relative (the reference is the run on JAX's own functions), the loss
    falls, and the script exits 0."""
    pytest.importorskip("jax", reason="the example needs JAX (pip install 'jax[cpu]')")
    pytest.importorskip("sklearn.datasets", reason="the example needs scikit-learn (digits)")
    out = subprocess.run([sys.executable, str(EXAMPLES / "train_jax.py"), "--path", path],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    diff = re.search(r"largest relative difference of the loss curves: (\S+)", out.stdout)
    assert diff is not None, out.stdout
    assert float(diff.group(1)) <= 1e-5
    rows = [line.split() for line in out.stdout.splitlines()
            if re.match(r"\s*\d+\s+\d+\.\d+", line)]
    assert [int(r[0]) for r in rows] == list(range(1, 11))
    losses = [float(r[1]) for r in rows]
    assert losses[-1] < 0.5 * losses[0]
    assert float(rows[-1][4]) > 0.9  # test accuracy after 10 epochs (chance is 0.1)


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

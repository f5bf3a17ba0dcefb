"""The examples of examples/ that train a model with an autodiff library: each is run as a
user would run it, and the figure it checks is asserted here too."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


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

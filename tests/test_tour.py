"""``nnmath tour``: the seed's known answers, the corrected sigmoid, figures, < 30 seconds.

Expected values: the notebook's known answers (2/3, 0.5, 2/3), its printed softmax
values, and formulas written here with NumPy/math; never the tour's own numbers.
"""

from __future__ import annotations

import io
import math
import re
from pathlib import Path

import numpy as np
import pytest
from test_cli import nnmath_command

from nnmath import tour
from nnmath.cli import main

SEED_SOFTMAX_PRINTED = [[0.00626879, 0.01704033, 0.04632042, 0.93037047],
                        [0.01203764, 0.08894682, 0.24178252, 0.65723302]]
FIGURES = {"family_sigmoid.png", "family_tanh.png", "family_relu.png", "family_elu.png",
           "family_gated.png", "family_softplus.png", "family_shrink.png",
           "family_simple.png", "family_axis.png", "softmax_logsumexp.png",
           "cross_entropy.png", "gallery.png"}


def run_section(section: object) -> tuple[dict[str, object], str]:
    out = io.StringIO()
    numbers = section(tour.Printer(out, color=False))  # type: ignore[operator]
    return numbers, out.getvalue()


def printed(text: str, label: str) -> str:
    """The value printed after ``label`` on its line."""
    for line in text.splitlines():
        if line.strip().startswith(label):
            return line.strip()[len(label):].strip()
    raise AssertionError(f"{label!r} not printed")


def test_binary_accuracy_is_two_thirds() -> None:
    numbers, text = run_section(tour.binary_accuracy_section)
    assert numbers["binary_accuracy"] == pytest.approx(2 / 3, rel=1e-15)
    assert printed(text, "mean").startswith("0.6667 = 2/3")
    # round(p) and p > 0.5 agree at and around 0.5 (Keras rounds half to even)
    rows = [line.split() for line in text.splitlines() if re.match(r"\s+0\.\d+\s+\d\s+\d$", line)]
    assert [(r[0], r[1], r[2]) for r in rows] == [("0.3", "0", "0"), ("0.5", "0", "0"),
                                                 ("0.5000001", "1", "1"), ("0.7", "1", "1")]
    assert numbers["binary_accuracy_threshold_0.35"] == pytest.approx(1 / 3, rel=1e-15)


def test_two_column_softmax_is_one_half() -> None:
    numbers, text = run_section(tour.softmax2_section)
    assert numbers["softmax2_binary_accuracy"] == 0.5
    assert numbers["softmax2_categorical_accuracy"] == 0.5
    assert numbers["softmax2_column_accuracy"] == 0.5
    assert printed(text, "binary_accuracy, all 8 entries, mean") == "0.5 = 1/2"
    z = np.array([-2.0, 0.0, 3.0])
    expected = ", ".join(f"{v:.4f}".rstrip("0").rstrip(".") for v in 1 / (1 + np.exp(-z)))
    assert printed(text, "softmax([0, z])[1] for z = -2, 0, 3") == f"[{expected}]"


def test_categorical_accuracy_is_two_thirds() -> None:
    numbers, text = run_section(tour.categorical_section)
    assert numbers["categorical_accuracy"] == pytest.approx(2 / 3, rel=1e-15)
    assert numbers["sparse_categorical_accuracy"] == pytest.approx(2 / 3, rel=1e-15)
    assert printed(text, "argmax(y_true), argmax(y_pred)") == "[1, 0, 2], [1, 3, 2]"
    assert printed(text, "y_true (N,), y_pred (N, C)") == "sparse_categorical_accuracy"


def test_sigmoid_is_corrected() -> None:
    numbers, text = run_section(tour.sigmoid_section)
    right = 1 / (1 + math.exp(10))
    assert numbers["sigmoid(-10)"] == pytest.approx(right, rel=1e-15)
    assert f"right: Sigmoid()(-10) = {right:.8e}" in text
    assert "the notebook printed 2.20274658e+04" in text  # the seed's bug, 1 + e^10
    assert 1 + math.exp(10) == pytest.approx(2.20274658e04, rel=1e-9)
    assert numbers["sigmoid_grad(0)"] == 0.25
    assert numbers["sigmoid_range"] == (0.0, 1.0)
    assert "the range is (0, 1)" in text


def test_softmax_values_match_the_seed_and_the_corrections() -> None:
    numbers, text = run_section(tour.softmax_section)
    np.testing.assert_allclose(numbers["softmax_x2"][:2], SEED_SOFTMAX_PRINTED, atol=5e-9)
    np.testing.assert_allclose(numbers["softmax_shifted_row"], SEED_SOFTMAX_PRINTED[0],
                               atol=5e-9)
    np.testing.assert_allclose(numbers["softmax_jacobian_row_sums"], 0.0, atol=1e-15)
    p = np.exp([1.0, 2.0, 3.0, 6.0]) / np.exp([1.0, 2.0, 3.0, 6.0]).sum()
    g = np.array([0.1, -0.2, 0.3, 0.05])
    np.testing.assert_allclose(numbers["softmax_vjp"], p * (g - g @ p), rtol=1e-12)
    assert "[nan, nan, nan, nan]" in " ".join(text.split())  # the seed formula, x2 + 1000


def test_relu_conventions_and_rrelu() -> None:
    numbers, text = run_section(tour.relu_section)
    assert numbers["relu_grad(0)"] == 0.0
    assert numbers["leaky_relu_grad(0)"] == 0.01
    assert numbers["rrelu_mean_slope"] == pytest.approx((1 / 8 + 1 / 3) / 2, rel=1e-15)
    assert "seed: both gradients return 1 at x = 0" in text


def test_tanh_near_zero() -> None:
    numbers, _ = run_section(tour.tanh_section)
    assert numbers["tanh(1e-12)"] == 1e-12  # tanh(x) = x - x³/3 + ...: exactly 1e-12
    assert numbers["tanh_grad(5)"] == pytest.approx(1 / math.cosh(5) ** 2, rel=1e-12)


def test_every_activation_is_listed() -> None:
    numbers, text = run_section(tour.all_activations_section)
    assert len(numbers["activations"]) == 33
    f, df = numbers["activations"]["elu"]
    np.testing.assert_allclose(f, [math.exp(-1) - 1, 0.0, 1.0], rtol=1e-15)
    np.testing.assert_allclose(df, [math.exp(-1), 1.0, 1.0], rtol=1e-15)
    assert "  sigmoid: σ(x) = 1/(1 + e^(-x))" in text
    assert "range [0, 6]" in text  # relu6


def test_logsumexp_gradient_is_softmax() -> None:
    numbers, text = run_section(tour.logsumexp_section)
    x = np.array([1.0, 2.0, 3.0, 6.0])
    assert numbers["lse"] == pytest.approx(math.log(np.exp(x).sum()), rel=1e-15)
    np.testing.assert_allclose(numbers["lse_fd_gradient"], np.exp(x) / np.exp(x).sum(),
                               rtol=1e-6)
    assert "that is LogSumExp" in text.replace("\n", " ") or "LogSumExp (LSE)" in text


def test_cross_entropy_worked_numbers() -> None:
    numbers, text = run_section(tour.cross_entropy_section)
    np.testing.assert_allclose(numbers["categorical_crossentropy"],
                               -np.log([0.6, 0.3, 0.5]), rtol=1e-12)
    np.testing.assert_allclose(numbers["binary_crossentropy"],
                               [-math.log(0.6), -math.log(0.7), -math.log(0.3)], rtol=1e-12)
    expected_ml = [-(math.log(0.9) + math.log(0.8) + math.log(0.4)) / 3,
                   -(math.log(0.9) + math.log(0.8) + math.log(0.7)) / 3]
    np.testing.assert_allclose(numbers["multilabel_crossentropy"], expected_ml, rtol=1e-12)
    softplus_m2 = math.log1p(math.exp(-2.0))  # -log σ(2)
    assert numbers["two_class_binary"] == pytest.approx(softplus_m2, rel=1e-9)
    assert numbers["two_class_categorical"] == pytest.approx(softplus_m2, rel=1e-12)
    assert numbers["logit_exact"] == pytest.approx(100.0, rel=1e-15)
    assert numbers["logit_clipped"] == pytest.approx(-math.log(1e-7), rel=1e-6)
    lse = math.log(sum(math.exp(v) for v in (1.0, 2.0, 3.0, 6.0)))
    assert numbers["from_logits_cce"] == pytest.approx(lse - 6.0, rel=1e-12)
    assert "0.8026" in printed(text, "categorical_crossentropy(y_true, y_pred)")


def test_tour_without_figures_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tour", "--no-figures", "--color", "never"]) == 0
    out = capsys.readouterr().out
    headings = [line for line in out.splitlines() if re.match(r"^\d\. ", line)]
    assert [h.split(".")[0] for h in headings] == ["1", "2", "3", "4", "5", "6"]
    subs = [line.split()[0] for line in out.splitlines() if re.match(r"^\d\.\d ", line)]
    assert subs == ["4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "5.1", "5.2", "5.3", "5.4"]
    assert "\033[" not in out
    assert "Figures" not in out


def test_colour_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert tour.Printer(Terminal()).color is True
    assert tour.Printer(io.StringIO()).color is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert tour.Printer(Terminal()).color is False
    out = io.StringIO()
    tour.Printer(out, color=True).section("x")
    assert out.getvalue().startswith("\n\033[1;36mx\033[0m")


def test_full_tour_as_a_subprocess(tmp_path: Path) -> None:
    """``nnmath tour`` end to end: the seed's answers, valid figures (its time is not a test
    matter: the tests assert values, never durations)."""
    pytest.importorskip("matplotlib", reason="matplotlib (the 'plot' extra) draws figures")
    from matplotlib import image

    r = nnmath_command("tour", "--out", "figs", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    out = r.stdout
    assert "\033[" not in out  # not a terminal: no colour
    assert out.count("0.6667 = 2/3   as the notebook: 0.6666667") == 2
    assert "binary_accuracy, all 8 entries, mean" in out
    assert f"Sigmoid()(-10) = {1 / (1 + math.exp(10)):.8e}" in out
    written = {p.name for p in (tmp_path / "figs").iterdir()}
    assert written == FIGURES
    for name in sorted(FIGURES):
        pixels = image.imread(tmp_path / "figs" / name)
        assert pixels.shape[2] == 4
        expected = (1860, 2160) if name == "gallery.png" else (600, 1500)
        assert pixels.shape[:2] == expected, name
        assert pixels[..., :3].std() > 0.05, name

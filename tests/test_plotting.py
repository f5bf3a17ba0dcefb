"""nnmath.plotting: valid, non-blank images of the expected size; curves that are the math.

Expected curves are written here with NumPy from the definitions (log(1 + e^x), the
logistic function, -log p); image checks read the PNG back with matplotlib.image.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="matplotlib (the 'plot' extra) draws the figures")

from matplotlib import image
from matplotlib.mathtext import MathTextParser

import nnmath.activations as A
from nnmath import plotting as P


def read_png(fig: object, tmp_path: Path, name: str = "f.png", dpi: int = 150) -> np.ndarray:
    path = tmp_path / name
    P.save(fig, path, dpi=dpi)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return image.imread(path)


def assert_not_blank(pixels: np.ndarray) -> None:
    rgb = pixels[..., :3]
    assert rgb.std() > 0.05  # lines and text, not a flat colour
    ink = np.mean(rgb.min(axis=-1) < 0.9)
    assert 0.01 < ink < 0.6, ink  # some ink, on a mostly white page


def labelled(ax: object) -> dict[str, np.ndarray]:
    """The lines of an axes by label, as (x, y) arrays."""
    return {ln.get_label(): np.column_stack(ln.get_data())  # type: ignore[attr-defined]
            for ln in ax.get_lines()}  # type: ignore[attr-defined]


def test_single_activation_png_size_and_content(tmp_path: Path) -> None:
    fig = P.plot_activation("gelu")
    pixels = read_png(fig, tmp_path)
    assert pixels.shape == (600, 960, 4)  # 6.4 × 4 in at 150 dpi
    assert_not_blank(pixels)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "x"
    assert ax.get_ylabel() == "f(x) and its derivative"
    assert ax.get_title(loc="left").startswith("gelu:  $")
    lines = labelled(ax)
    x, y = lines["f(x)"].T
    assert y == pytest.approx(x / 2 * (1 + np.vectorize(math.erf)(x / math.sqrt(2))),
                              abs=1e-12)
    deriv = next(ln for ln in ax.get_lines() if ln.get_label() == "f′(x)")
    assert deriv.get_linestyle() == "--"  # the derivative dashed


def test_dpi_and_formats(tmp_path: Path) -> None:
    fig = P.plot_activation("sigmoid", x_range=(-6, 6))
    assert read_png(fig, tmp_path, dpi=50).shape == (200, 320, 4)
    P.save(fig, tmp_path / "s.svg")
    P.save(fig, tmp_path / "s.pdf")
    assert "<svg" in (tmp_path / "s.svg").read_text()
    assert (tmp_path / "s.pdf").read_bytes().startswith(b"%PDF")
    with pytest.raises(ValueError, match=r"unknown figure format '\.jpg'"):
        P.save(fig, tmp_path / "s.jpg")


def test_png_bytes_are_reproducible(tmp_path: Path) -> None:
    P.save(P.plot_activation("tanh"), tmp_path / "a.png")
    P.save(P.plot_activation("tanh"), tmp_path / "b.png")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


@pytest.mark.parametrize("name", sorted(A.REGISTRY))
def test_every_formula_renders_in_mathtext(name: str) -> None:
    text = P.mathtext_formula(A.REGISTRY[name].formula)
    assert text, f"{name}: the formula could not be converted"
    MathTextParser("path").parse(f"${text}$")  # raises on anything mathtext cannot draw
    assert r"\begin" not in text and r"\le " not in text


def test_cases_become_one_line() -> None:
    text = P.mathtext_formula(A.REGISTRY["selu"].formula)
    assert text.startswith(r"\lambda \left(x\ \ \mathrm{if}\ x > 0")
    assert r"\leq 0" in text


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "hard_tanh", "threshold"])
def test_kinks_break_the_lines_and_keep_the_convention(name: str) -> None:
    act = P.activation_for(name)
    c = P.curve(act)
    for k in c.kinks:
        i = int(np.flatnonzero(c.x == k.x)[0])
        assert np.isnan(c.dy[i])  # no vertical segment across the jump of f'
        assert k.df == float(act.gradient(np.array([k.x]))[0])
        assert k.df_left != k.df_right or name == "threshold"
    kinks = {k.x for k in c.kinks}
    assert kinks == set(act.properties.kinks)
    if name == "threshold":  # threshold=1, default_value=0: f itself jumps at 1
        assert c.kinks[0].jumps and np.isnan(c.y[np.flatnonzero(c.x == 1.0)[0]])
        assert (c.kinks[0].f_left, c.kinks[0].f_right) == pytest.approx((0.0, 1.0))
    finite = np.isfinite(c.y)
    np.testing.assert_array_equal(c.y[finite], act(c.x[finite]))


def test_asymptotes_are_the_unattained_bounds() -> None:
    assert P.curve(A.Sigmoid()).asymptotes == (0.0, 1.0)
    assert P.curve(A.ELU()).asymptotes == (-1.0,)
    assert P.curve(A.ReLU()).asymptotes == ()
    assert P.curve(A.ReLU6()).asymptotes == ()  # 0 and 6 are attained
    assert P.curve(A.Softmax()).asymptotes == (0.0, 1.0)  # the slice softmax([x, 0])_0


def test_axis_activations_plot_a_slice() -> None:
    x = np.linspace(-3, 3, 7)
    y, dy = P.values_and_derivative(A.Softmax(), x)
    np.testing.assert_allclose(y, 1 / (1 + np.exp(-x)), rtol=1e-14)
    np.testing.assert_allclose(dy, np.exp(-x) / (1 + np.exp(-x)) ** 2, rtol=1e-12)
    y, dy = P.values_and_derivative(A.GLU(), x)  # glu([x, x]) = x σ(x)
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(y, x * s, rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(dy, s + x * s * (1 - s), rtol=1e-12)


def test_several_activations_one_panel_each(tmp_path: Path) -> None:
    fig = P.plot_activations(["relu", "tanh", "softmax", "threshold"], cols=2)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 4
    assert [ax.get_title(loc="left").split(":")[0] for ax in visible] == [
        "relu", "tanh", "softmax", "threshold (threshold=1, default_value=0)"]
    pixels = read_png(fig, tmp_path, dpi=60)
    assert pixels.shape == (360, 504, 4)  # 2 × 2 panels of 4.2 × 3 in
    assert_not_blank(pixels)


def test_gallery_has_every_activation(tmp_path: Path) -> None:
    fig = P.plot_gallery()
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert len(titles) == 33
    assert "glu([x, x])" in titles and "swish" not in titles
    pixels = read_png(fig, tmp_path, dpi=40)
    assert pixels.shape == (round(40 * 12.4), round(40 * 14.4), 4)
    assert_not_blank(pixels)


def test_family_figure_value_and_derivative(tmp_path: Path) -> None:
    fig = P.plot_family(["sigmoid", "tanh"], title="two")
    left, right = fig.axes
    assert left.get_ylabel() == "f(x)" and right.get_ylabel() == "f′(x)"
    lines = labelled(left)
    x, y = lines["tanh"].T
    np.testing.assert_allclose(y, np.tanh(x), rtol=1e-14, atol=1e-300)
    x, dy = labelled(right)["sigmoid"].T
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(dy, s * (1 - s), rtol=1e-12)
    assert_not_blank(read_png(fig, tmp_path, dpi=50))


def test_softmax_logsumexp_picture(tmp_path: Path) -> None:
    fig = P.plot_softmax_logsumexp()
    left, right = fig.axes
    lse = labelled(left)[r"$\mathrm{LSE}(0, x) = \log(e^0 + e^x)$"]
    np.testing.assert_allclose(lse[:, 1], np.logaddexp(0.0, lse[:, 0]), rtol=1e-14)
    relu = labelled(left)["max(0, x)"]
    np.testing.assert_array_equal(relu[:, 1], np.maximum(0.0, relu[:, 0]))
    grad = labelled(right)[r"$\mathrm{softmax}([0, x])_1$"]
    np.testing.assert_allclose(grad[:, 1], 1 / (1 + np.exp(-grad[:, 0])), rtol=1e-14)
    pixels = read_png(fig, tmp_path)
    assert pixels.shape == (600, 1500, 4)
    assert_not_blank(pixels)


def test_cross_entropy_curves(tmp_path: Path) -> None:
    fig = P.plot_cross_entropy()
    left, right = fig.axes
    one = labelled(left)[r"target 1: $-\log p$"]
    zero = labelled(left)[r"target 0: $-\log(1-p)$"]
    np.testing.assert_allclose(one[:, 1], -np.log(one[:, 0]), rtol=1e-12)
    np.testing.assert_allclose(zero[:, 1], -np.log1p(-zero[:, 0]), rtol=1e-12)
    logit = labelled(right)[r"target 1: $\mathrm{softplus}(-z)$"]
    np.testing.assert_allclose(logit[:, 1], np.logaddexp(0.0, -logit[:, 0]), rtol=1e-12)
    assert_not_blank(read_png(fig, tmp_path, dpi=60))


def test_drawing_into_an_existing_axes() -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 2))
    ax = fig.add_subplot()
    assert P.plot_activation("relu", ax=ax, derivative=False) is fig
    assert "f′(x)" not in labelled(ax)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    assert buf.getvalue()[:4] == b"\x89PNG"


def test_range_is_checked() -> None:
    with pytest.raises(ValueError, match="LO < HI"):
        P.plot_activation("relu", x_range=(2, 1))

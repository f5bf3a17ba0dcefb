"""nnmath.plotting's figures of an evaluation: the drawn data and artists, and the errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="matplotlib (the 'plot' extra) draws the figures")

from nnmath import plotting as P

M = [[50, 3, 0], [4, 40, 6], [0, 10, 0]]


def test_confusion_matrix_counts() -> None:
    fig = P.plot_confusion_matrix(M, labels=["cat", "dog", "<bird>"])
    ax, bar = fig.axes  # the heat map and its colour bar
    assert ax.images[0].get_array().tolist() == M
    assert [t.get_text() for t in ax.texts] == [str(v) for row in M for v in row]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "<bird>"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cat", "dog", "<bird>"]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert bar.get_ylabel() == "samples"
    # dark cells get white text
    assert ax.texts[0].get_color() == "white" and ax.texts[1].get_color() == "0.1"


@pytest.mark.parametrize("normalize, expected", [
    ("true", [[50 / 53, 3 / 53, 0], [4 / 50, 40 / 50, 6 / 50], [0, 1, 0]]),
    ("pred", [[50 / 54, 3 / 53, 0], [4 / 54, 40 / 53, 1], [0, 10 / 53, 0]]),
    ("all", [[v / 113 for v in row] for row in M]),
])
def test_confusion_matrix_normalized(normalize: str, expected: list[list[float]]) -> None:
    fig = P.plot_confusion_matrix(M, normalize=normalize)
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.images[0].get_array(), expected, rtol=1e-15)
    assert ax.texts[0].get_text() == f"{expected[0][0]:.2f}"
    assert ax.images[0].get_clim() == (0.0, 1.0)
    assert f"normalized: {normalize}" in ax.get_title(loc="left")


def test_confusion_matrix_empty_row_and_weights() -> None:
    fig = P.plot_confusion_matrix([[0.0, 0.0], [1.5, 2.25]], normalize="true")
    assert fig.axes[0].images[0].get_array().tolist() == [[0, 0], [0.4, 0.6]]
    fig = P.plot_confusion_matrix([[0.5, 0.25], [1.5, 2.25]])
    assert [t.get_text() for t in fig.axes[0].texts] == ["0.5", "0.25", "1.5", "2.25"]
    assert fig.axes[1].get_ylabel() == "weighted samples"


def test_confusion_matrix_many_classes_are_not_annotated() -> None:
    fig = P.plot_confusion_matrix(np.eye(40, dtype=int) * 3)
    assert len(fig.axes[0].texts) == 0 and fig.axes[0].images[0].get_array().shape == (40, 40)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"matrix": [[1, 2, 3]]}, ValueError, r"matrix must be square \(C, C\)"),
    ({"matrix": [[1, -1], [0, 1]]}, ValueError, "finite numbers >= 0"),
    ({"matrix": [[1, np.nan], [0, 1]]}, ValueError, "finite numbers >= 0"),
    ({"matrix": [[1, 2], [3, 4]], "normalize": "rows"}, ValueError,
     "normalize must be None, 'true', 'pred' or 'all'"),
    ({"matrix": [[1, 2], [3, 4]], "labels": ["a"]}, ValueError, "labels must name the 2"),
    ({"matrix": "abc"}, TypeError, "matrix must be a square array of numbers"),
])
def test_confusion_matrix_errors(kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        P.plot_confusion_matrix(**kwargs)


def test_roc_curve() -> None:
    fig = P.plot_roc_curve(np.array([0.0, 0.25, 1.0]), [0.0, 0.75, 1.0], auc=0.75)
    ax = fig.axes[0]
    assert ax.lines[0].get_xydata().tolist() == [[0, 0], [0.25, 0.75], [1, 1]]
    assert ax.lines[1].get_xydata().tolist() == [[0, 0], [1, 1]]  # chance
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "ROC (AUC = 0.7500)", "chance (AUC = 0.5)"]
    assert ax.get_xlabel() == "false positive rate"
    no_auc = P.plot_roc_curve([0, 1], [0, 1])
    assert no_auc.axes[0].get_legend().get_texts()[0].get_text() == "ROC"


def test_pr_curve() -> None:
    fig = P.plot_pr_curve([1.0, 0.5, 0.0], [0.4, 0.8, 1.0], ap=0.6, prevalence=0.4)
    ax = fig.axes[0]
    assert ax.lines[0].get_xydata().tolist() == [[1, 0.4], [0.5, 0.8], [0, 1]]
    assert ax.lines[0].get_drawstyle() == "steps-post"
    assert list(ax.lines[1].get_ydata()) == [0.4, 0.4]  # the prevalence
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "precision-recall (AP = 0.6000)", "chance (precision = 0.4)"]


def test_reliability_diagram() -> None:
    fig = P.plot_reliability_diagram([0.1, 0.5, 0.9], [0.0, 0.5, 1.0], [3, 1, 2], ece=0.1)
    top, bottom = fig.axes
    assert top.lines[0].get_xydata().tolist() == [[0.1, 0], [0.5, 0.5], [0.9, 1]]
    assert top.lines[1].get_xydata().tolist() == [[0, 0], [1, 1]]
    segments = [s.tolist() for s in top.collections[0].get_segments()]  # the gaps
    assert segments == [[[0.1, 0.0], [0.1, 0.1]], [[0.5, 0.5], [0.5, 0.5]],
                        [[0.9, 0.9], [0.9, 1.0]]]
    assert [p.get_height() for p in bottom.patches] == [3, 1, 2]
    assert top.get_legend().get_texts()[0].get_text() == "model (ECE = 0.1000)"
    assert len(P.plot_reliability_diagram([0.5], [0.5]).axes) == 1


@pytest.mark.parametrize("call, error, message", [
    (lambda: P.plot_roc_curve([0, 1], [0, 1, 1]), ValueError,
     "fpr and tpr must have the same length, got 2 and 3"),
    (lambda: P.plot_roc_curve([0, 1.5], [0, 1]), ValueError, r"fpr must lie in \[0, 1\]"),
    (lambda: P.plot_roc_curve([], []), ValueError, "fpr must be a non-empty 1-d"),
    (lambda: P.plot_roc_curve([0, 1], [0, 1], auc="high"), TypeError,
     "auc must be a number or None"),
    (lambda: P.plot_pr_curve([0, 1], [np.nan, 1]), ValueError, "precision must be finite"),
    (lambda: P.plot_pr_curve([0, 1], [1, 1], prevalence=2), ValueError,
     r"prevalence must lie in \[0, 1\]"),
    (lambda: P.plot_reliability_diagram([0.5], [0.5], [-1]), ValueError,
     "mass must be >= 0"),
    (lambda: P.plot_reliability_diagram([0.5, np.nan], [0.5, 0.5]), ValueError,
     "must be NaN in the same bins"),
    (lambda: P.plot_reliability_diagram([0.5], [0.5], [1], edges=[0.5, 0.2]), ValueError,
     "edges must be 2 increasing numbers"),
    (lambda: P.plot_reliability_diagram([0.5, 0.6], [0.5], None), ValueError,
     "confidence and accuracy must have the same length"),
])
def test_curve_errors(call: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call()  # type: ignore[operator]


def test_saved_as_png_and_svg(tmp_path: Path) -> None:
    fig = P.plot_confusion_matrix(M)
    for ext in (".png", ".svg"):
        path = P.save(fig, tmp_path / f"cm{ext}")
        assert Path(path).stat().st_size > 1000

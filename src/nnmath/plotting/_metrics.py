"""Figures of classification metrics: the reliability diagram."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._curves import COLORS, _figure, _style

__all__ = ["plot_reliability"]


def plot_reliability(y_true_or_metric: Any, y_prob: Any = None, *, n_bins: int = 10,
                     strategy: str = "uniform", sample_weight: Any = None,
                     title: str | None = None, size: tuple[float, float] = (6.0, 6.4)) -> Any:
    """The reliability diagram: accuracy against confidence per bin, above the bin masses.

    Parameters
    ----------
    y_true_or_metric
        An updated :class:`nnmath.metrics.ExpectedCalibrationError` (its bins are drawn),
        or the labels, with ``y_prob``: binary 0/1 labels and the probabilities of class
        1, or class labels and ``(N, C)`` probability rows (top-1 confidence).
    y_prob
        The probabilities, when the first argument holds the labels.
    n_bins, strategy, sample_weight
        For labels and probabilities: the bins (``"uniform"`` or ``"quantile"``), as
        :class:`~nnmath.metrics.ExpectedCalibrationError`.
    title
        The figure title (default: the expected calibration error).
    size
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes: the diagram (the diagonal of perfect calibration, each non-empty bin's
        mean accuracy at its mean confidence, and the gap to the diagonal as a bar), and
        below it the mass of each bin (samples, or their weights) as a histogram.
    """
    from ..metrics import ExpectedCalibrationError

    if isinstance(y_true_or_metric, ExpectedCalibrationError):
        if y_prob is not None:
            raise TypeError("y_prob is taken from the metric; give a metric or labels with "
                            "probabilities, not both")
        metric = y_true_or_metric
    else:
        if y_prob is None:
            raise TypeError("plot_reliability needs y_prob with labels (or an "
                            "ExpectedCalibrationError metric)")
        metric = ExpectedCalibrationError(n_bins, strategy, max_distinct=2**62)
        metric.update_state(y_true_or_metric, y_prob, sample_weight)
    data = metric.reliability()
    edges, mass = data["edges"], data["mass"]
    conf, acc = data["confidence"], data["accuracy"]
    full = mass > 0
    ece = metric.result() if metric.norm == "l1" else ExpectedCalibrationError.from_state(
        {**metric.get_state(), "config": {**metric.get_config(), "norm": "l1"}}).result()
    with _style():
        fig = _figure(*size)
        top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": (3, 1)})
        top.plot([0, 1], [0, 1], color="0.45", lw=1.0, ls=(0, (4, 2)),
                 label="perfect calibration")
        widths = np.diff(edges)
        top.bar(conf[full], acc[full] - conf[full], bottom=conf[full],
                width=np.maximum(widths[full] * 0.35, 0.004), color=COLORS[1], alpha=0.35,
                label="gap", zorder=2)
        top.plot(conf[full], acc[full], color=COLORS[0], marker="o", ms=5, lw=1.6,
                 label="accuracy per bin", zorder=3)
        top.set_xlim(0, 1)
        top.set_ylim(0, 1)
        top.set_ylabel("accuracy (fraction of positives)")
        top.legend(loc="upper left")
        top.set_title(title if title is not None else
                      f"Reliability: expected calibration error {ece:.4f}", loc="left")
        bottom.bar(edges[:-1], mass, width=widths, align="edge", color=COLORS[0],
                   alpha=0.6, edgecolor="white", label="samples per bin")
        bottom.set_xlabel("confidence")
        bottom.set_ylabel("samples")
    return fig

"""Figures of classification metrics: the reliability diagram."""

from __future__ import annotations

from typing import Any

from ._evaluation import plot_reliability_diagram

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
        The figure title.
    size
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        :func:`plot_reliability_diagram` of the metric's bins: the diagram (each non-empty
        bin's accuracy at its mean confidence, the diagonal of perfect calibration, the
        gaps to it; the expected calibration error, l1, in the legend), and below it the
        mass of each bin (samples, or their weights) over the bins' edges.
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
    ece = metric.result() if metric.norm == "l1" else ExpectedCalibrationError.from_state(
        {**metric.get_state(), "config": {**metric.get_config(), "norm": "l1"}}).result()
    return plot_reliability_diagram(data["confidence"], data["accuracy"], data["mass"],
                                    edges=data["edges"], ece=ece, title=title, size=size)

"""Figures of an evaluation: the confusion matrix, ROC and precision-recall curves, the
reliability diagram. Each takes the numbers themselves, so that any source can feed it
(a :class:`nnmath.evaluate.Report`, a metric's result, another library's arrays)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._curves import COLORS, _figure, _style

__all__ = ["NORMALIZE", "plot_confusion_matrix", "plot_pr_curve", "plot_reliability_diagram",
           "plot_roc_curve"]

#: ``normalize=`` of :func:`plot_confusion_matrix`: the cells divided by the row sums
#: (``"true"``), the column sums (``"pred"``) or the total (``"all"``)
NORMALIZE = (None, "true", "pred", "all")
#: cells are annotated with their values up to this many classes
ANNOTATE_MAX = 30
CHANCE_COLOR = "0.55"


def _vector(values: Any, name: str, *, lo: float | None = None, hi: float | None = None,
            nan: bool = False) -> np.ndarray:
    """A 1-d float64 array of finite numbers within [lo, hi] (NaN allowed with ``nan``)."""
    try:
        a = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a sequence of numbers, got "
                        f"{type(values).__name__}") from None
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-d sequence of numbers, got shape "
                         f"{a.shape}")
    if np.any(np.isinf(a)) or (not nan and np.any(np.isnan(a))):
        raise ValueError(f"{name} must be finite numbers (no {'' if nan else 'NaN or '}inf)")
    b = a[~np.isnan(a)]
    if b.size and ((lo is not None and b.min() < lo) or (hi is not None and b.max() > hi)):
        bound = f"be >= {lo:g}" if hi is None else f"lie in [{lo:g}, {hi:g}]"
        raise ValueError(f"{name} must {bound}, got values in [{b.min():g}, {b.max():g}]")
    return a


def _score(value: Any, name: str) -> float | None:
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number or None, got {type(value).__name__}") \
            from None
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    return v


def _same_length(a: np.ndarray, b: np.ndarray, names: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{names} must have the same length, got {a.size} and {b.size}")


def _normalized(m: np.ndarray, normalize: str | None) -> np.ndarray:
    """``m`` divided by its row sums, column sums or total; a 0 sum gives 0s."""
    if normalize is None:
        return m
    if normalize == "true":
        den = m.sum(axis=1, keepdims=True)
    elif normalize == "pred":
        den = m.sum(axis=0, keepdims=True)
    else:
        den = np.array(m.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den > 0, m / np.where(den > 0, den, 1.0), 0.0)
    return np.asarray(out, dtype=np.float64)


def _cell_text(v: float, integral: bool, normalize: str | None) -> str:
    if normalize is not None:
        return f"{v:.2f}"
    if integral:
        return f"{int(v):,}" if abs(v) < 1e6 else f"{v:.3g}"
    return f"{v:.3g}"


def plot_confusion_matrix(matrix: Any, normalize: str | None = None,
                          labels: Sequence[Any] | None = None, *,
                          title: str | None = None) -> Any:
    """A confusion matrix as a heat map: rows are the true classes, columns the predicted
    ones, each cell annotated with its value (up to 30 classes), and a colour bar.

    Parameters
    ----------
    matrix
        Square ``(C, C)`` counts (or weighted sums), >= 0: ``matrix[i][j]`` samples of
        class ``i`` predicted as ``j`` (:attr:`nnmath.evaluate.Report.confusion`, the
        result of :class:`nnmath.metrics.ConfusionMatrix`).
    normalize
        ``None`` (the values), ``"true"`` (each row divided by its sum: the recall on the
        diagonal), ``"pred"`` (each column by its sum: the precision on the diagonal) or
        ``"all"`` (by the total). A row or column that sums to 0 shows 0s.
    labels
        Names of the classes, ``C`` of them (default ``0 .. C-1``).
    title
        The title (default: says what the cells hold).

    The image holds the drawn values: ``fig.axes[0].images[0].get_array()``.

    >>> fig = plot_confusion_matrix([[5, 1], [2, 7]], normalize="true")
    >>> fig.axes[0].images[0].get_array().round(3).tolist()
    [[0.833, 0.167], [0.222, 0.778]]
    >>> [t.get_text() for t in fig.axes[0].texts]
    ['0.83', '0.17', '0.22', '0.78']
    """
    if normalize not in NORMALIZE:
        raise ValueError(f"normalize must be None, 'true', 'pred' or 'all', got {normalize!r}")
    try:
        m = np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"matrix must be a square array of numbers, got "
                        f"{type(matrix).__name__}") from None
    if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] == 0:
        raise ValueError(f"matrix must be square (C, C) with C >= 1, got shape {m.shape}")
    if not np.all(np.isfinite(m)) or np.any(m < 0):
        raise ValueError("matrix must hold finite numbers >= 0 (counts or sums of weights)")
    n = m.shape[0]
    names = [str(i) for i in range(n)] if labels is None else [str(v) for v in labels]
    if len(names) != n:
        raise ValueError(f"labels must name the {n} classes, got {len(names)} names")
    integral = bool(np.all(m == np.round(m)))
    shown = _normalized(m, normalize)
    what = {None: "samples" if integral else "weighted samples",
            "true": "fraction of the true class (rows sum to 1)",
            "pred": "fraction of the predicted class (columns sum to 1)",
            "all": "fraction of all samples"}[normalize]
    side = float(min(max(3.2 + 0.45 * n, 4.2), 12.0))
    with _style():
        fig = _figure(side + 1.2, side)
        ax = fig.subplots()
        ax.grid(False)
        vmax = 1.0 if normalize is not None else max(float(shown.max()), 1.0)
        image = ax.imshow(shown, cmap="Blues", vmin=0.0, vmax=vmax, interpolation="nearest")
        fig.colorbar(image, ax=ax, shrink=0.85, label=what)
        if n <= ANNOTATE_MAX:
            fontsize = 10 if n <= 10 else 8 if n <= 20 else 6
            for i in range(n):
                for j in range(n):
                    v = float(shown[i, j])
                    ax.text(j, i, _cell_text(v, integral, normalize), ha="center",
                            va="center", fontsize=fontsize,
                            color="white" if v > 0.55 * vmax else "0.1")
        ticks = np.arange(n)
        step = max(1, n // 30)
        ax.set_xticks(ticks[::step], names[::step], rotation=90 if n > 10 else 0)
        ax.set_yticks(ticks[::step], names[::step])
        ax.set_xlabel("predicted class")
        ax.set_ylabel("true class")
        ax.set_title(title if title is not None else
                     "Confusion matrix" + ("" if normalize is None
                                           else f" (normalized: {normalize})"), loc="left")
    return fig


def _curve_axes(ax: Any, xlabel: str, ylabel: str, equal: bool = True) -> None:
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    if equal:
        ax.set_aspect("equal")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)


def _several(xs: Any, ys: Any, areas: Any, labels: Any, xname: str, yname: str,
             aname: str) -> list[tuple[np.ndarray, np.ndarray, float | None, str]]:
    """Several curves: ``labels`` (one name per curve), the points of each and their
    areas (a sequence, or ``None``)."""
    if isinstance(labels, str) or not isinstance(labels, Sequence) or len(labels) == 0:
        raise TypeError(f"labels must be a non-empty sequence of names, got {labels!r}")
    n = len(labels)
    for values, name in ((xs, xname), (ys, yname)):
        if not isinstance(values, Sequence) or len(values) != n:
            raise ValueError(f"with labels, {name} must be a sequence of {n} curves (one per "
                             "label)")
    if areas is not None and (not isinstance(areas, Sequence) or len(areas) != n):
        raise ValueError(f"with labels, {aname} must be None or a sequence of {n} numbers "
                         "(None for none)")
    out = []
    for i, label in enumerate(labels):
        x = _vector(xs[i], f"{xname}[{i}]", lo=0.0, hi=1.0)
        y = _vector(ys[i], f"{yname}[{i}]", lo=0.0, hi=1.0)
        _same_length(x, y, f"{xname}[{i}] and {yname}[{i}]")
        out.append((x, y, None if areas is None else _score(areas[i], f"{aname}[{i}]"),
                    str(label)))
    return out


def _line_style(i: int) -> dict[str, Any]:
    """The colour and dash of the i-th of several curves."""
    return {"color": COLORS[i % len(COLORS)],
            "ls": "-" if i < len(COLORS) else (0, (5, 2))}


def plot_roc_curve(fpr: Any, tpr: Any, auc: Any = None, *, title: str | None = None,
                   labels: Sequence[Any] | None = None) -> Any:
    """The ROC curve: true positive rate against false positive rate, the points joined
    by straight lines (the trapezoids of the exact AUC), with the chance diagonal.

    Parameters
    ----------
    fpr, tpr
        The points, in order of decreasing threshold, each in [0, 1] (as many of each).
    auc
        The area under the curve, shown in the legend when given.
    labels
        Several curves (one-vs-rest curves of classes): a name per curve; ``fpr``,
        ``tpr`` are then sequences of curves and ``auc`` ``None`` or a sequence (an
        entry ``None`` for no area).

    The curve is ``fig.axes[0].lines[0]`` (the curves ``lines[:n]``), the diagonal the
    last line.

    >>> fig = plot_roc_curve([0, 0, 0.5, 1], [0, 0.5, 1, 1], auc=0.875)
    >>> fig.axes[0].lines[0].get_xydata().tolist()
    [[0.0, 0.0], [0.0, 0.5], [0.5, 1.0], [1.0, 1.0]]
    >>> fig.axes[0].get_legend().get_texts()[0].get_text()
    'ROC (AUC = 0.8750)'
    >>> fig = plot_roc_curve([[0, 1], [0, 0, 1]], [[0, 1], [0, 1, 1]], [0.5, 1.0],
    ...                      labels=["class 0", "class 1"])
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()][:2]
    ['class 0 (AUC = 0.5000)', 'class 1 (AUC = 1.0000)']
    """
    if labels is not None:
        curves = _several(fpr, tpr, auc, labels, "fpr", "tpr", "auc")
    else:
        x = _vector(fpr, "fpr", lo=0.0, hi=1.0)
        y = _vector(tpr, "tpr", lo=0.0, hi=1.0)
        _same_length(x, y, "fpr and tpr")
        curves = [(x, y, _score(auc, "auc"), "ROC")]
    with _style():
        fig = _figure(5.2, 5.0)
        ax = fig.subplots()
        for i, (x, y, area, name) in enumerate(curves):
            style = _line_style(i) if labels is not None else {"color": COLORS[0]}
            ax.plot(x, y, lw=2.0 if labels is None else 1.5, **style,
                    label=name + ("" if area is None else f" (AUC = {area:.4f})"))
        ax.plot([0, 1], [0, 1], color=CHANCE_COLOR, lw=1.0, ls=(0, (4, 3)),
                label="chance (AUC = 0.5)")
        _curve_axes(ax, "false positive rate", "true positive rate (recall)")
        ax.legend(loc="lower right", fontsize=None if len(curves) < 5 else 8)
        ax.set_title(title if title is not None else "ROC curve", loc="left")
    return fig


def plot_pr_curve(recall: Any, precision: Any, ap: Any = None, *,
                  prevalence: float | None = None, title: str | None = None,
                  labels: Sequence[Any] | None = None) -> Any:
    """The precision-recall curve, drawn as steps (the average precision is the area
    under these steps), with the precision of chance (the prevalence) when given.

    Parameters
    ----------
    recall, precision
        The points, each in [0, 1] (as many of each), in the order of their thresholds.
    ap
        The average precision, shown in the legend when given.
    prevalence
        The fraction of positives: the precision of a random ranking, drawn as a line.
    labels
        Several curves (one-vs-rest curves of classes): a name per curve; ``recall``,
        ``precision`` are then sequences of curves and ``ap`` ``None`` or a sequence.

    The curve is ``fig.axes[0].lines[0]`` (the curves ``lines[:n]``).

    >>> fig = plot_pr_curve([1, 0.5, 0.5, 0], [0.5, 0.5, 1, 1], ap=0.75)
    >>> fig.axes[0].lines[0].get_drawstyle()
    'steps-post'
    >>> fig.axes[0].get_legend().get_texts()[0].get_text()
    'precision-recall (AP = 0.7500)'
    """
    if labels is not None:
        curves = _several(recall, precision, ap, labels, "recall", "precision", "ap")
    else:
        x = _vector(recall, "recall", lo=0.0, hi=1.0)
        y = _vector(precision, "precision", lo=0.0, hi=1.0)
        _same_length(x, y, "recall and precision")
        curves = [(x, y, _score(ap, "ap"), "precision-recall")]
    base = _score(prevalence, "prevalence")
    if base is not None and not 0.0 <= base <= 1.0:
        raise ValueError(f"prevalence must lie in [0, 1], got {base:g}")
    with _style():
        fig = _figure(5.2, 5.0)
        ax = fig.subplots()
        for i, (x, y, area, name) in enumerate(curves):
            style = _line_style(i) if labels is not None else {"color": COLORS[1]}
            ax.plot(x, y, lw=2.0 if labels is None else 1.5, drawstyle="steps-post",
                    **style, label=name + ("" if area is None else f" (AP = {area:.4f})"))
        if base is not None:
            ax.axhline(base, color=CHANCE_COLOR, lw=1.0, ls=(0, (4, 3)),
                       label=f"chance (precision = {base:.3g})")
        _curve_axes(ax, "recall", "precision")
        ax.legend(loc="lower left", fontsize=None if len(curves) < 5 else 8)
        ax.set_title(title if title is not None else "Precision-recall curve", loc="left")
    return fig


def plot_reliability_diagram(confidence: Any, accuracy: Any, mass: Any = None, *,
                             edges: Any = None, ece: float | None = None,
                             title: str | None = None,
                             size: tuple[float, float] | None = None) -> Any:
    """The reliability diagram of a probabilistic classifier: per bin of predicted
    probability, the observed frequency against the mean predicted probability, with
    the diagonal of perfect calibration and the gaps to it, and below (with ``mass``) how
    many samples each bin holds.

    Parameters
    ----------
    confidence
        The mean predicted probability of each bin, in [0, 1]; NaN for an empty bin (not
        drawn; ``accuracy`` must be NaN there too).
    accuracy
        The observed frequency (of the positive class, or of a correct prediction) of
        each bin, in [0, 1]; NaN for an empty bin.
    mass
        Samples (or their weights) per bin, >= 0: a second panel.
    edges
        The bins' edges (one more than the bins, increasing, in [0, 1]): the bars of the
        second panel span the bins (default: bars centred on the confidences).
    ece
        The expected calibration error, shown in the legend when given.
    title, size
        The figure's title and size in inches (default 5.2 × 6.4 with ``mass``, else
        5.2 × 5).

    The points are ``fig.axes[0].lines[0]``.

    >>> fig = plot_reliability_diagram([0.1, 0.5, 0.9], [0.2, 0.5, 0.7], [10, 5, 10])
    >>> fig.axes[0].lines[0].get_xydata().tolist()
    [[0.1, 0.2], [0.5, 0.5], [0.9, 0.7]]
    >>> [round(p.get_height()) for p in fig.axes[1].patches]
    [10, 5, 10]
    """
    x = _vector(confidence, "confidence", lo=0.0, hi=1.0, nan=True)
    y = _vector(accuracy, "accuracy", lo=0.0, hi=1.0, nan=True)
    _same_length(x, y, "confidence and accuracy")
    if not np.array_equal(np.isnan(x), np.isnan(y)):
        raise ValueError("confidence and accuracy must be NaN in the same bins (the empty "
                         "ones)")
    n = None if mass is None else _vector(mass, "mass", lo=0.0)
    if n is not None:
        _same_length(x, n, "confidence and mass")
    e = None
    if edges is not None:
        e = _vector(edges, "edges", lo=0.0, hi=1.0)
        if e.size != x.size + 1 or np.any(np.diff(e) <= 0):
            raise ValueError(f"edges must be {x.size + 1} increasing numbers (one more than "
                             f"the bins), got {e.size}")
    err = _score(ece, "ece")
    seen = ~np.isnan(x)
    with _style():
        fig = _figure(*(size or (5.2, 6.4 if n is not None else 5.0)))
        if n is not None:
            ax, hist = fig.subplots(2, 1, height_ratios=[3, 1])
        else:
            ax, hist = fig.subplots(), None
        ax.plot(x[seen], y[seen], color=COLORS[2], lw=2.0, marker="o", ms=5,
                label="model" + ("" if err is None else f" (ECE = {err:.4f})"))
        ax.plot([0, 1], [0, 1], color=CHANCE_COLOR, lw=1.0, ls=(0, (4, 3)),
                label="perfectly calibrated")
        xs, ys = x[seen], y[seen]
        ax.vlines(xs, np.minimum(xs, ys), np.maximum(xs, ys), color=COLORS[1], lw=1.2,
                  alpha=0.7, label="gap")
        _curve_axes(ax, "" if hist is not None else "mean predicted probability",
                    "observed frequency", equal=hist is None)
        ax.legend(loc="upper left")
        ax.set_title(title if title is not None else "Reliability diagram", loc="left")
        if hist is not None and n is not None:
            if e is not None:
                hist.bar(e[:-1], n, width=np.diff(e), align="edge", color=COLORS[5],
                         edgecolor=COLORS[0], lw=0.6)
            else:
                hist.bar(np.where(seen, x, 0.0), n, width=0.8 / max(len(x), 1),
                         color=COLORS[5], edgecolor=COLORS[0], lw=0.6)
            hist.set_xlim(-0.01, 1.01)
            hist.set_xlabel("mean predicted probability")
            hist.set_ylabel("samples")
    return fig

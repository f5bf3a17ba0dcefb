"""Figures of the activations and the cross-entropy (matplotlib: the ``plot`` extra).

Every function returns a :class:`matplotlib.figure.Figure` built without ``pyplot`` (no
window, no global state): in a notebook it displays itself, anywhere it saves with
:func:`save` (PNG, SVG or PDF by extension).

* :func:`plot_activation` — one activation with its derivative (dashed), the formula in
  the title, kinks and asymptotes marked;
* :func:`plot_activations` — several of them, one panel each; :func:`plot_gallery` — all;
* :func:`plot_family` — a family of activations side by side with their derivatives;
* :func:`plot_softmax_logsumexp` — max vs LogSumExp, and softmax as the gradient of
  LogSumExp;
* :func:`plot_cross_entropy` — the binary cross-entropy ``-log p`` for both targets, in
  probability and in logit space;
* :func:`plot_reliability` — the reliability diagram of a classifier's probabilities
  (accuracy against confidence per bin, the bin masses below).

Activations along an axis (softmax, log_softmax, softmin, sparsemax, glu) are drawn on a
one-dimensional slice: ``f([x, 0])[0]`` (``glu([x, x])`` for glu), the slice saying so in
the labels.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import activations as A
from ._curves import (
    _AXIS_NAMES,
    COLORS,
    DEMO_PARAMS,
    DERIVATIVE_COLOR,
    FAMILIES,
    FIGURE_FORMATS,
    FUNCTION_COLOR,
    MARK_COLOR,
    Curve,
    _figure,
    _style,
    activation_for,
    check_range,
    curve,
    default_range,
    mathtext_formula,
    slice_label,
    values_and_derivative,
)
from ._metrics import plot_reliability

__all__ = [
    "DEMO_PARAMS",
    "FAMILIES",
    "FIGURE_FORMATS",
    "activation_for",
    "canonical_names",
    "curve",
    "default_range",
    "display_name",
    "mathtext_formula",
    "plot_activation",
    "plot_activations",
    "plot_cross_entropy",
    "plot_family",
    "plot_gallery",
    "plot_reliability",
    "plot_softmax_logsumexp",
    "save",
    "slice_label",
    "values_and_derivative",
]

# -- drawing ---------------------------------------------------------------------------------

def _params_text(act: A.Activation) -> str:
    config = act.get_config()
    defaults = {}
    try:
        defaults = type(act)().get_config()
    except TypeError:  # parameters without defaults (threshold)
        pass
    shown = {k: v for k, v in config.items() if defaults.get(k, object()) != v
             and k not in ("seed", "axis")}
    return ", ".join(f"{k}={_short(v)}" for k, v in shown.items())


def _short(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else repr(v)


def display_name(act: A.Activation) -> str:
    """The name with the parameters that differ from the defaults: ``threshold (...)``.

    >>> display_name(activation_for("leaky_relu", negative_slope=0.2))
    'leaky_relu (negative_slope=0.2)'
    """
    params = _params_text(act)
    return act.name + (f" ({params})" if params else "")


def _title(act: A.Activation, with_formula: bool = True) -> str:
    head = display_name(act)
    if not with_formula:
        return head
    formula = mathtext_formula(act.formula)
    return f"{head}:  ${formula}$" if formula else head


def _draw(ax: Any, act: A.Activation, c: Curve, derivative: bool, marks: bool,
          small: bool = False) -> None:
    lw = 1.4 if small else 2.0
    ax.axhline(0.0, color="0.3", lw=0.6, zorder=1)
    ax.axvline(0.0, color="0.3", lw=0.6, zorder=1)
    ax.plot(c.x, c.y, color=FUNCTION_COLOR, lw=lw, label=c.label, zorder=3)
    if derivative:
        dlabel = "derivative" if c.label == "f(x)" else "d/dx"
        ax.plot(c.x, c.dy, color=DERIVATIVE_COLOR, lw=lw * 0.8, ls=(0, (4, 2)),
                label="f′(x)" if c.label == "f(x)" else dlabel, zorder=3)
    if not marks:
        return
    for i, a in enumerate(c.asymptotes):
        ax.axhline(a, color=MARK_COLOR, lw=0.9, ls=(0, (7, 2, 1, 2)), zorder=2,
                   label="asymptote" if i == 0 else None)
    for i, k in enumerate(c.kinks):
        ax.axvline(k.x, color=MARK_COLOR, lw=0.8, ls=(0, (1, 3)), zorder=2,
                   label="kink" if i == 0 else None)
        if k.jumps:  # the one-sided limits open, the value filled
            ax.plot([k.x, k.x], [k.f_left, k.f_right], ls="none", marker="o", ms=5,
                    mfc="white", mec=FUNCTION_COLOR, zorder=4)
            ax.plot([k.x], [k.f], ls="none", marker="o", ms=5, color=FUNCTION_COLOR, zorder=5)
        if derivative:
            ax.plot([k.x, k.x], [k.df_left, k.df_right], ls="none", marker="o", ms=5,
                    mfc="white", mec=DERIVATIVE_COLOR, zorder=4)
            ax.plot([k.x], [k.df], ls="none", marker="o", ms=5, color=DERIVATIVE_COLOR,
                    zorder=5, label="f′ at a kink (nnmath's convention)" if i == 0 else None)


def _finish_axes(ax: Any, c: Curve, derivative: bool) -> None:
    ax.set_xlim(c.x[0], c.x[-1])
    vals = np.concatenate([c.y, c.dy]) if derivative else c.y
    vals = vals[np.isfinite(vals)]
    if vals.size:
        lo, hi = float(vals.min()), float(vals.max())
        for a in c.asymptotes:
            lo, hi = min(lo, a), max(hi, a)
        pad = 0.08 * max(hi - lo, 1e-3)
        ax.set_ylim(lo - pad, hi + pad)


def plot_activation(activation: Any, *, x_range: tuple[float, float] | None = None,
                    derivative: bool = True, ax: Any = None, num: int = 801,
                    size: tuple[float, float] = (6.4, 4.0), **params: Any) -> Any:
    """One activation with its derivative: a publication-ready figure.

    Parameters
    ----------
    activation
        A registry name (``"gelu"``), or an activation instance.
    x_range
        ``(lo, hi)``; by default a range that shows every kink.
    derivative
        Draw ``f'`` (dashed) too; at a kink the one-sided limits are open circles and
        the value nnmath's ``gradient`` returns (its convention) a filled dot.
    ax
        Draw into this matplotlib axes instead of a new figure.
    num
        Samples.
    size
        Figure size in inches (at 150 dpi when saved: 960×600 pixels by default).
    params
        Constructor parameters (``negative_slope=0.2``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    act = activation_for(activation, **params)
    c = curve(act, x_range, num)
    with _style():
        if ax is None:
            fig = _figure(*size)
            ax = fig.add_subplot()
        else:
            fig = ax.figure
        _draw(ax, act, c, derivative, marks=True)
        _finish_axes(ax, c, derivative)
        ax.set_title(_title(act), loc="left")
        ax.set_xlabel("x")
        ax.set_ylabel(c.label + (" and its derivative" if derivative else ""))
        ax.legend(loc="best")
    return fig


def _grid(n: int, cols: int) -> tuple[int, int]:
    cols = max(1, min(cols, n))
    return math.ceil(n / cols), cols


def plot_activations(names: Sequence[Any], *, x_range: tuple[float, float] | None = None,
                     derivative: bool = True, cols: int = 3,
                     panel: tuple[float, float] = (4.2, 3.0), formulas: bool = True,
                     marks: bool = True) -> Any:
    """Several activations, one panel each (a single name gives :func:`plot_activation`)."""
    acts = [activation_for(n) for n in names]
    if len(acts) == 1:
        return plot_activation(acts[0], x_range=x_range, derivative=derivative)
    rows, cols = _grid(len(acts), cols)
    with _style():
        fig = _figure(panel[0] * cols, panel[1] * rows)
        axes = fig.subplots(rows, cols, squeeze=False)
        for ax, act in zip(axes.flat, acts, strict=False):
            c = curve(act, x_range)
            _draw(ax, act, c, derivative, marks=marks, small=True)
            _finish_axes(ax, c, derivative)
            ax.set_title(_title(act, with_formula=formulas), loc="left",
                         fontsize=9 if formulas else 10)
            ax.tick_params(labelsize=8)
        for ax in list(axes.flat)[len(acts):]:
            ax.set_visible(False)
        handles, labels = axes.flat[0].get_legend_handles_labels()
        keep = [(h, lbl) for h, lbl in zip(handles, labels, strict=True)
                if lbl in ("f(x)", "f′(x)")]
        if keep and derivative:
            fig.legend([h for h, _ in keep], ["f(x)", "f′(x), dashed"], loc="outside upper right",
                       ncols=2)
    return fig


def plot_gallery(names: Sequence[str] | None = None, *, cols: int = 6,
                 panel: tuple[float, float] = (2.4, 2.0), derivative: bool = True) -> Any:
    """Every activation (the 33 of the registry, without aliases) in a grid of small panels."""
    if names is None:
        names = canonical_names()
    acts = [activation_for(n) for n in names]
    rows, cols = _grid(len(acts), cols)
    with _style():
        fig = _figure(panel[0] * cols, panel[1] * rows + 0.4)
        axes = fig.subplots(rows, cols, squeeze=False)
        for ax, act in zip(axes.flat, acts, strict=False):
            c = curve(act, None, 401)
            _draw(ax, act, c, derivative, marks=False, small=True)
            _finish_axes(ax, c, derivative)
            ax.set_title(act.name if act.name not in _AXIS_NAMES else slice_label(act.name),
                         fontsize=9)
            ax.tick_params(labelsize=7)
        for ax in list(axes.flat)[len(acts):]:
            ax.set_visible(False)
        fig.suptitle(f"All {len(acts)} activations of nnmath: f (solid) and f′ (dashed)",
                     fontsize=12)
    return fig


def canonical_names() -> list[str]:
    """The registry names without the aliases (``swish``, ``hard_swish``)."""
    seen: set[type] = set()
    out = []
    for name in sorted(A.REGISTRY):
        cls = A.REGISTRY[name]
        if cls in seen or cls.name != name:
            continue
        seen.add(cls)
        out.append(name)
    return out


def plot_family(names: Sequence[Any], *, title: str | None = None,
                x_range: tuple[float, float] | None = None,
                size: tuple[float, float] = (10.0, 4.0)) -> Any:
    """Activations overlaid (left) with their derivatives (right, dashed)."""
    acts = [activation_for(n) for n in names]
    if x_range is None:
        ranges = [default_range(a) for a in acts]
        x_range = (min(r[0] for r in ranges), max(r[1] for r in ranges))
    with _style():
        fig = _figure(*size)
        left, right = fig.subplots(1, 2)
        for i, act in enumerate(acts):
            c = curve(act, x_range)
            color = COLORS[i % len(COLORS)]
            label = c.label if act.name in _AXIS_NAMES else _legend_name(act)
            # later curves thinner and on top, so that curves that coincide stay visible
            lw = max(3.4 - 0.55 * i, 1.2)
            left.plot(c.x, c.y, color=color, lw=lw, label=label, zorder=3 + i)
            right.plot(c.x, c.dy, color=color, lw=lw, ls=(0, (4, 1.5)), label=label,
                       zorder=3 + i)
        for ax, what in ((left, "f(x)"), (right, "f′(x)")):
            ax.axhline(0.0, color="0.3", lw=0.6, zorder=1)
            ax.axvline(0.0, color="0.3", lw=0.6, zorder=1)
            ax.set_xlim(*x_range)
            ax.set_xlabel("x")
            ax.set_ylabel(what)
        left.set_title("value", loc="left")
        right.set_title("derivative", loc="left")
        left.legend(loc="best")
        if title:
            fig.suptitle(title, fontsize=12)
    return fig


def _legend_name(act: A.Activation) -> str:
    """The name, with the slope of the leaky rectifiers (their defaults differ)."""
    config = act.get_config()
    if act.name == "leaky_relu":
        return f"leaky_relu (slope {config['negative_slope']:g})"
    if act.name == "prelu" and isinstance(config.get("weight"), float):
        return f"prelu (weight {config['weight']:g})"
    if act.name == "rrelu" and not config.get("training"):
        mean = (config["lower"] + config["upper"]) / 2
        return f"rrelu (inference slope {mean:.3g})"
    return _title(act, with_formula=False)


def plot_softmax_logsumexp(*, x_range: tuple[float, float] = (-4.0, 4.0),
                           temperatures: Sequence[float] = (1.0, 0.5, 0.25),
                           size: tuple[float, float] = (10.0, 4.0)) -> Any:
    """max(0, x) vs the smooth maximum LogSumExp, and softmax as its gradient.

    Left: ``max(0, x)`` and ``τ·LSE(0, x/τ)`` for each temperature τ (the seed's picture,
    with LogSumExp under its right name); right: the gradients, ``∂max/∂x`` (a step) and
    ``∂LSE/∂x = softmax([0, x/τ])₁``. Both sides are computed by nnmath
    (``LSE(v) = v_i - log_softmax(v)_i``).
    """
    x_range = check_range(x_range)
    x = np.linspace(*x_range, 801)
    zeros = np.zeros_like(x)
    with _style():
        fig = _figure(*size)
        left, right = fig.subplots(1, 2)
        left.plot(x, np.maximum(0.0, x), color="0.15", lw=2.2, label="max(0, x)")
        right.plot(x[x < 0], zeros[x < 0], color="0.15", lw=2.2, label="∂ max(0, x) / ∂x")
        right.plot(x[x > 0], zeros[x > 0] + 1.0, color="0.15", lw=2.2)
        for i, tau in enumerate(temperatures):
            v = np.stack([zeros, x / tau], axis=-1)
            lse = tau * (v[:, 0] - A.log_softmax(v)[:, 0])  # LSE(v) = v_0 - log_softmax(v)_0
            grad = A.softmax(v)[:, 1]
            color = COLORS[i % len(COLORS)]
            alpha = 1.0 if i == 0 else 0.75
            tlabel = "" if tau == 1 else rf", $\tau={tau:g}$"
            left.plot(x, lse, color=color, lw=2.0, alpha=alpha,
                      label=rf"$\tau\,\mathrm{{LSE}}(0, x/\tau)${tlabel}" if tau != 1
                      else r"$\mathrm{LSE}(0, x) = \log(e^0 + e^x)$")
            right.plot(x, grad, color=color, lw=2.0, alpha=alpha, ls=(0, (4, 2)),
                       label=(r"$\mathrm{softmax}([0, x])_1$" if tau == 1
                              else rf"$\mathrm{{softmax}}([0, x/\tau])_1${tlabel}"))
        left.set_title("LogSumExp: the smooth maximum", loc="left")
        right.set_title("its gradient is softmax", loc="left")
        for ax, ylabel in ((left, "value"), (right, "derivative in x")):
            ax.axhline(0.0, color="0.3", lw=0.6, zorder=1)
            ax.axvline(0.0, color="0.3", lw=0.6, zorder=1)
            ax.set_xlim(*x_range)
            ax.set_xlabel("x")
            ax.set_ylabel(ylabel)
            ax.legend(loc="upper left")
        fig.suptitle(r"$\nabla_x \, \log \sum_j e^{x_j} = \mathrm{softmax}(x)$: softmax is the "
                     "gradient of the smooth maximum, not the smooth maximum itself",
                     fontsize=11)
    return fig


def plot_cross_entropy(*, size: tuple[float, float] = (10.0, 4.0)) -> Any:
    """The binary cross-entropy for both targets, against the probability and the logit.

    Left: ``-log p`` (target 1) and ``-log(1 - p)`` (target 0) against the predicted
    probability ``p`` of class 1; right: the same losses against the logit ``z``
    (``softplus(-z)`` and ``softplus(z)``), computed exactly from logits. Values from
    :func:`nnmath.losses.binary_crossentropy`.
    """
    from .. import losses as L

    p = np.linspace(1e-3, 1 - 1e-3, 999)
    z = np.linspace(-8.0, 8.0, 801)
    ones_p, zeros_p = np.ones((p.size, 1)), np.zeros((p.size, 1))
    ones_z, zeros_z = np.ones((z.size, 1)), np.zeros((z.size, 1))
    with _style():
        fig = _figure(*size)
        left, right = fig.subplots(1, 2)
        for target, yt_p, yt_z, color in ((1, ones_p, ones_z, COLORS[0]),
                                          (0, zeros_p, zeros_z, COLORS[1])):
            loss_p = L.binary_crossentropy(yt_p, p[:, None])
            loss_z = L.binary_crossentropy(yt_z, z[:, None], from_logits=True)
            lp = r"$-\log p$" if target == 1 else r"$-\log(1-p)$"
            lz = r"$\mathrm{softplus}(-z)$" if target == 1 else r"$\mathrm{softplus}(z)$"
            left.plot(p, loss_p, color=color, lw=2.2, label=f"target {target}: {lp}")
            right.plot(z, loss_z, color=color, lw=2.2, label=f"target {target}: {lz}")
        left.set_xlim(0, 1)
        left.set_ylim(0, 5)
        left.set_xlabel("predicted probability of class 1, p")
        left.set_ylabel("loss")
        left.set_title("against the probability (clipped to [1e-7, 1 - 1e-7])",
                       loc="left")
        left.annotate("confident and wrong: the loss\ngrows fast (16.1 at the clip)",
                      xy=(0.035, 3.35), xytext=(0.13, 2.7), fontsize=9,
                      arrowprops={"arrowstyle": "->", "color": "0.3", "lw": 0.8})
        left.plot([0.5], [math.log(2.0)], ls="none", marker="o", ms=5, color="0.2")
        left.annotate("ln 2 ≈ 0.693 at p = 1/2", xy=(0.5, math.log(2.0)),
                      xytext=(0.52, 1.25), fontsize=9,
                      arrowprops={"arrowstyle": "-", "color": "0.3", "lw": 0.6})
        right.set_xlim(z[0], z[-1])
        right.set_ylim(0, 8.5)
        right.set_xlabel("logit z  (p = sigmoid(z))")
        right.set_title("against the logit: linear for wrong, confident logits", loc="left")
        for ax in (left, right):
            ax.legend(loc="upper center")
        fig.suptitle("Binary cross-entropy: one term per target", fontsize=12)
    return fig


def save(fig: Any, path: str | os.PathLike[str], *, dpi: int = 150) -> str:
    """Save a figure as PNG, SVG or PDF (by the extension) without timestamps.

    Returns the path written. The canvas keeps the figure's size: ``width × dpi`` pixels.
    """
    text = os.fspath(path)
    ext = os.path.splitext(text)[1].lower()
    if ext not in FIGURE_FORMATS:
        raise ValueError(f"unknown figure format {ext or '(no extension)'!r} for {text}: use "
                         f"{', '.join(FIGURE_FORMATS)}")
    metadata: dict[str, Any] = {".png": {"Software": None}, ".svg": {"Date": None},
                                ".pdf": {"CreationDate": None}}[ext]
    with _style():
        fig.savefig(text, dpi=dpi, metadata=metadata)
    return text

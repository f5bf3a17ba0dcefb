"""The data behind the figures: activations by name, curves, kinks, asymptotes, formulas."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import activations as A
from ..io import require

FIGURE_FORMATS = (".png", ".svg", ".pdf")

#: the activation families, for :func:`plot_family` and the tour: key → (title, names)
FAMILIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "sigmoid": ("The sigmoid family", ("sigmoid", "hard_sigmoid", "sparse_sigmoid",
                                       "log_sigmoid")),
    "tanh": ("The tanh family", ("tanh", "hard_tanh", "softsign", "tanh_shrink")),
    "relu": ("Rectifiers", ("relu", "relu6", "leaky_relu", "rrelu", "prelu")),
    "elu": ("Exponential linear units", ("elu", "selu", "celu")),
    "gated": ("Self-gated: x times a sigmoid-like gate", ("gelu", "silu", "mish",
                                                          "hard_silu")),
    "softplus": ("Smooth rectifiers", ("softplus", "squareplus", "sparse_plus")),
    "shrink": ("Shrinkage and thresholding", ("hard_shrink", "soft_shrink", "threshold")),
    "simple": ("Exponential and linear", ("exponential", "linear")),
    "axis": ("Along an axis, on the slice f([x, 0])₀ (glu: [x, x])",
             ("softmax", "log_softmax", "softmin", "sparsemax", "glu")),
}

#: parameters for activations that have no defaults (threshold), used by the pictures
DEMO_PARAMS: dict[str, dict[str, float]] = {"threshold": {"threshold": 1.0,
                                                          "default_value": 0.0}}

# Okabe–Ito: distinguishable with every common colour-vision deficiency
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
FUNCTION_COLOR, DERIVATIVE_COLOR, MARK_COLOR = COLORS[0], COLORS[1], "0.45"

STYLE: dict[str, Any] = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.35,
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "legend.frameon": False,
    "legend.fontsize": 9,
    "lines.linewidth": 2.0,
    "lines.solid_capstyle": "round",
    "mathtext.fontset": "dejavusans",
    "savefig.dpi": 150,
    "figure.dpi": 100,
}

_AXIS_NAMES = ("softmax", "log_softmax", "softmin", "sparsemax", "glu")
# the slices of the axis activations: their kinks and asymptotes
_SLICE_KINKS = {"sparsemax": (-1.0, 1.0)}
_SLICE_ASYMPTOTES = {"softmax": (0.0, 1.0), "softmin": (0.0, 1.0), "log_softmax": (0.0,)}
_DEFAULT_RANGE = (-5.0, 5.0)
_RANGES = {"exponential": (-4.0, 2.5), "relu6": (-3.0, 8.0)}


def _matplotlib() -> Any:
    return require("matplotlib", "plot", "drawing figures")


@contextmanager
def _style() -> Iterator[None]:
    mpl = _matplotlib()
    with mpl.rc_context(STYLE):
        yield


def _figure(width: float, height: float) -> Any:
    _matplotlib()
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


# -- formulas ---------------------------------------------------------------------------------

_CASES = re.compile(r"\\begin\{cases\}(.*?)\\end\{cases\}", re.S)


def _cases(match: re.Match[str]) -> str:
    rows = [r.strip() for r in match.group(1).split(r"\\") if r.strip()]
    parts = []
    for row in rows:
        value, _, cond = row.partition("&")
        parts.append(rf"{value.strip()}\ \ \mathrm{{if}}\ {cond.strip()}")
    return r",\quad ".join(parts)


def mathtext_formula(formula: str) -> str:
    r"""A LaTeX formula rewritten into what matplotlib's mathtext renders.

    mathtext has no ``cases`` environment, ``\le``/``\ge`` or ``\lVert``: a ``cases``
    block becomes ``value if condition, ...`` on one line (in parentheses when a factor
    precedes it), the others their mathtext spellings. Returns ``""`` when the result still
    does not parse (the caller then shows the name alone).

    >>> mathtext_formula(r"\begin{cases} x & x > 0 \\ \alpha x & x \le 0 \end{cases}")
    'x\\ \\ \\mathrm{if}\\ x > 0,\\quad \\alpha x\\ \\ \\mathrm{if}\\ x \\leq 0'
    """
    text = formula.strip()
    text = re.sub(r"\\le(?![a-zA-Z])", r"\\leq", text)
    text = re.sub(r"\\ge(?![a-zA-Z])", r"\\geq", text)
    text = text.replace(r"\lVert", r"\Vert").replace(r"\rVert", r"\Vert")
    m = _CASES.search(text)
    if m is not None:
        inner = _cases(m)
        before, after = text[:m.start()].strip(), text[m.end():]
        if before or after.strip().startswith(","):
            inner = rf"\left({inner}\right)" if before else inner
        text = f"{before} {inner}{after}".strip() if before else f"{inner}{after}"
    try:
        from matplotlib.mathtext import MathTextParser

        MathTextParser("path").parse(f"${text}$")
    except ImportError:  # pragma: no cover - callers of this function have matplotlib
        return text
    except ValueError:
        return ""
    return text


# -- the curves -------------------------------------------------------------------------------

def activation_for(name: Any, **params: Any) -> A.Activation:
    """An activation from a name and parameters, or an instance as it is.

    An activation whose parameters have no defaults (``threshold``) gets the demo values
    of :data:`DEMO_PARAMS` for those not given.

    >>> activation_for("threshold")
    Threshold(threshold=1.0, default_value=0.0)
    """
    if isinstance(name, A.Activation):
        if params:
            raise TypeError(f"parameters {sorted(params)} cannot be applied to the instance "
                            f"{name!r}; pass a name")
        return name
    key = str(name)
    for canonical, demo in DEMO_PARAMS.items():
        if _norm(key) == _norm(canonical):
            params = {**demo, **params}
    act = A.get(key, **params)
    if not isinstance(act, A.Activation):  # a function's name gives the function: its class
        act = A.get({"class_name": key, "config": params})
    return act


def _norm(s: str) -> str:
    return s.lower().replace("_", "").replace("-", "")


@dataclass
class Kink:
    """An activation at a kink: its value and derivative there and on either side."""

    x: float
    f: float
    df: float
    f_left: float
    f_right: float
    df_left: float
    df_right: float

    @property
    def jumps(self) -> bool:
        """Whether the function itself is discontinuous here."""
        return abs(self.f_right - self.f_left) > 1e-6 * max(1.0, abs(self.f_left))


@dataclass
class Curve:
    """Samples of an activation (or of its one-dimensional slice) and its derivative.

    ``x``, ``y``, ``dy`` hold NaN between the two sides of each kink, so that no line is
    drawn across a jump.
    """

    x: np.ndarray
    y: np.ndarray
    dy: np.ndarray
    label: str  # "f(x)" or the slice, e.g. "softmax([x, 0])₀"
    kinks: tuple[Kink, ...]
    asymptotes: tuple[float, ...]


def values_and_derivative(act: A.Activation, x: Any) -> tuple[np.ndarray, np.ndarray]:
    """``f(x)`` and ``f'(x)``; for an axis activation, on its slice (see :func:`slice_label`).

    >>> values_and_derivative(activation_for("softmax"), [0.0])
    (array([0.5]), array([0.25]))
    """
    x = np.asarray(x, dtype=np.float64)
    if act.name in _AXIS_NAMES:
        # the slice is the same along every axis: it is built along the last one (with
        # ``axis=0`` the pair [x, 0] was taken along the samples, a wrong picture or an error)
        axis_class: Any = type(act)  # the axis activations take axis=
        act = axis_class(axis=-1)
        if act.name == "glu":
            xs = np.stack([x, x], axis=-1)
            jac = act.gradient(xs)
            return np.asarray(act(xs))[..., 0], jac[..., 0, 0] + jac[..., 0, 1]
        xs = np.stack([x, np.zeros_like(x)], axis=-1)
        return np.asarray(act(xs))[..., 0], np.asarray(act.gradient(xs))[..., 0, 0]
    return np.asarray(act(x), dtype=np.float64), np.asarray(act.gradient(x), dtype=np.float64)


def slice_label(name: str) -> str:
    """What the pictures show of an activation: ``f(x)``, or the slice of an axis one."""
    if name == "glu":
        return "glu([x, x])"
    if name in _AXIS_NAMES:
        return f"{name}([x, 0])₀"
    return "f(x)"


def _kinks_and_asymptotes(act: A.Activation) -> tuple[tuple[float, ...], tuple[float, ...]]:
    if act.name in _AXIS_NAMES:
        return _SLICE_KINKS.get(act.name, ()), _SLICE_ASYMPTOTES.get(act.name, ())
    props = act.properties
    # a finite bound of the range that is never attained is approached: an asymptote
    asym = tuple(v for v, closed in zip(props.range, props.range_closed, strict=True)
                 if math.isfinite(v) and not closed)
    return tuple(props.kinks), asym


def default_range(act: A.Activation) -> tuple[float, float]:
    """The x range that shows an activation's shape and all its kinks.

    >>> default_range(activation_for("relu6"))
    (-3.0, 8.0)
    """
    lo, hi = _RANGES.get(act.name, _DEFAULT_RANGE)
    kinks, _ = _kinks_and_asymptotes(act)
    if kinks:
        lo, hi = min(lo, min(kinks) - 2.0), max(hi, max(kinks) + 2.0)
    return lo, hi


def curve(act: A.Activation, x_range: tuple[float, float] | None = None,
          num: int = 801) -> Curve:
    """Sample ``act`` and its derivative on ``x_range``, breaking the lines at kinks.

    >>> c = curve(activation_for("relu"), (-1.0, 1.0), num=5)
    >>> c.kinks[0].df, c.kinks[0].df_left, c.kinks[0].df_right  # relu'(0) = 0 by convention
    (0.0, 0.0, 1.0)
    """
    if x_range is None:
        lo, hi = default_range(act)
        if not (abs(lo) <= PLOT_LIMIT and abs(hi) <= PLOT_LIMIT):
            raise ValueError(f"{act.name}: a range that shows its kinks ({lo:g} to {hi:g}) is "
                             f"beyond what a figure can show (±{PLOT_LIMIT:g}); choose smaller "
                             "parameters")
    else:
        lo, hi = check_range(x_range)
    return _drawable(act, _sample(act, lo, hi, num), lo, hi)


#: the largest magnitude a figure shows: matplotlib's axis arithmetic (spans, margins,
#: ticks) overflows for limits near the largest float
PLOT_LIMIT = 1e300


def check_range(x_range: tuple[float, float]) -> tuple[float, float]:
    """``(lo, hi)`` as floats, refused unless finite, ``lo < hi`` and within
    :data:`PLOT_LIMIT`.

    >>> check_range((-1e308, 1e308))
    Traceback (most recent call last):
    ...
    ValueError: the range must be two finite numbers LO < HI within ±1e+300, got -1e+308, 1e+308
    """
    lo, hi = float(x_range[0]), float(x_range[1])
    if not (abs(lo) <= PLOT_LIMIT and abs(hi) <= PLOT_LIMIT and lo < hi):  # also NaN
        raise ValueError(f"the range must be two finite numbers LO < HI within "
                         f"±{PLOT_LIMIT:g}, got {lo:g}, {hi:g}")
    return lo, hi


def _drawable(act: A.Activation, c: Curve, lo: float, hi: float) -> Curve:
    """``c``, refused when a finite value of ``f`` or ``f'`` is beyond :data:`PLOT_LIMIT`
    (``relu`` with ``negative_slope=1e308``): no axis could show it."""
    for what, v in (("f", c.y), ("its derivative", c.dy),
                    ("f", np.array([k.f for k in c.kinks] + [0.0])),
                    ("its derivative", np.array([k.df for k in c.kinks] + [0.0]))):
        big = np.abs(np.where(np.isfinite(v), v, 0.0)).max(initial=0.0)
        if big > PLOT_LIMIT:
            raise ValueError(
                f"{act.name}: {what} reaches {big:.3g} on [{lo:g}, {hi:g}], beyond what a "
                f"figure can show (±{PLOT_LIMIT:g}); choose smaller parameters or a "
                "narrower range")
    return c


def _sample(act: A.Activation, lo: float, hi: float, num: int) -> Curve:
    kink_xs, asym = _kinks_and_asymptotes(act)
    inside = sorted(k for k in kink_xs if lo < k < hi)
    x = np.linspace(lo, hi, num)
    eps = 1e-9 * max(1.0, hi - lo)
    kinks = []
    for k in inside:
        fk, dfk = values_and_derivative(act, np.array([k - eps, k, k + eps]))
        kinks.append(Kink(k, float(fk[1]), float(dfk[1]), float(fk[0]), float(fk[2]),
                          float(dfk[0]), float(dfk[2])))
    if not kinks:
        y, dy = values_and_derivative(act, x)
        return Curve(x, y, dy, slice_label(act.name), (), asym)
    # both sides of each kink, with NaN between them to break the lines
    x = x[~np.isin(x, inside)]
    edges = [lo - 1.0, *inside, hi + 1.0]
    xs, ys, dys = [], [], []
    for i, (a, b) in enumerate(itertools.pairwise(edges)):
        seg = x[(x > a) & (x < b)]
        if i > 0:
            seg = np.concatenate([[a + eps], seg])
        if i < len(edges) - 2:
            seg = np.concatenate([seg, [b - eps]])
        y, dy = values_and_derivative(act, seg)
        if i > 0:
            xs.append(np.array([a]))
            ys.append(np.array([np.nan if kinks[i - 1].jumps else kinks[i - 1].f]))
            dys.append(np.array([np.nan]))
        xs.append(seg)
        ys.append(y)
        dys.append(dy)
    return Curve(np.concatenate(xs), np.concatenate(ys), np.concatenate(dys),
                 slice_label(act.name), tuple(kinks), asym)

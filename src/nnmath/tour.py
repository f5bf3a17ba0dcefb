"""``nnmath tour``: the seed notebook, made correct and runnable.

The seed (``../shared/seed/``) is a study notebook on Keras's accuracy metric, activation
functions as NumPy classes, and cross-entropy losses. The tour walks its sections in
order, recomputes every example with nnmath, says where the notebook was wrong and shows
the right value, and draws the figures the notebook only referred to.

>>> import io
>>> out = io.StringIO()
>>> numbers = binary_accuracy_section(Printer(out, color=False))
>>> numbers["binary_accuracy"]
0.6666666666666666
"""

from __future__ import annotations

import math
import os
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TextIO

import numpy as np

from . import __version__
from . import activations as A
from . import losses as L
from . import metrics as M

__all__ = ["SECTIONS", "Printer", "TourResult", "run"]

WIDTH = 88

# what the notebook printed (typed in from it): In [7], In [9] and In [8]
SEED_BINARY_ACCURACY = 0.6666667
SEED_CATEGORICAL_ACCURACY = 0.6666667
SEED_SIGMOID_AT_MINUS_10 = "2.20274658e+04"

# the notebook's examples
BINARY_TRUE = [0.0, 1.0, 1.0]
BINARY_PRED = [0.4, 0.7, 0.3]
SOFTMAX2_TRUE = [[0.0, 1.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]
SOFTMAX2_PRED = [[0.4, 0.6], [0.3, 0.7], [0.05, 0.95], [0.33, 0.67]]
CATEGORICAL_TRUE = [[0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]]
CATEGORICAL_PRED = [[0.4, 0.6, 0.0, 0.0], [0.3, 0.2, 0.1, 0.4], [0.05, 0.35, 0.5, 0.1]]
SEED_X2 = [[1, 2, 3, 6], [2, 4, 5, 6], [1, 2, 3, 6]]


# -- output ----------------------------------------------------------------------------------

class Printer:
    """Plain, wrapped terminal output; colour (ANSI) only when asked or on a terminal."""

    _CODES: ClassVar[dict[str, str]] = {"head": "1;36", "seed": "33", "good": "32",
                                        "bad": "31", "dim": "2"}

    def __init__(self, stream: TextIO | None = None, color: bool | None = None) -> None:
        self.stream = sys.stdout if stream is None else stream
        if color is None:
            isatty = getattr(self.stream, "isatty", None)
            color = bool(isatty and isatty()) and not os.environ.get("NO_COLOR") and \
                os.environ.get("TERM") != "dumb"
        self.color = color

    def paint(self, text: str, kind: str) -> str:
        if not self.color:
            return text
        return f"\033[{self._CODES[kind]}m{text}\033[0m"

    def line(self, text: str = "") -> None:
        self.stream.write(text + "\n")

    def title(self, text: str) -> None:
        self.line(self.paint(text, "head"))
        self.line(self.paint("=" * len(text), "head"))

    def section(self, text: str) -> None:
        self.line()
        self.line(self.paint(text, "head"))
        self.line(self.paint("-" * len(text), "head"))

    def sub(self, text: str) -> None:
        self.line()
        self.line(self.paint(text, "head"))

    def text(self, paragraph: str, indent: int = 0) -> None:
        pad = " " * indent
        self.line(textwrap.fill(" ".join(paragraph.split()), WIDTH, initial_indent=pad,
                                subsequent_indent=pad))

    def value(self, label: str, value: str, width: int = 46) -> None:
        """``label   value``, aligned; the value on its own line when both do not fit."""
        if 3 + max(width, len(label)) + len(_visible(value)) > WIDTH + 8:
            self.line(f"  {label}")
            self.line(f"      {value}")
        else:
            self.line(f"  {label:<{width}} {value}")

    def seed(self, wrong: str, right: str) -> None:
        """The notebook was wrong: what it said, and what is right."""
        self.line(textwrap.fill(" ".join(wrong.split()), WIDTH, initial_indent="  ",
                                subsequent_indent="        ").replace(
            "  seed:", "  " + self.paint("seed:", "seed"), 1))
        self.line(textwrap.fill(" ".join(right.split()), WIDTH, initial_indent="  ",
                                subsequent_indent="        ").replace(
            "  right:", "  " + self.paint("right:", "good"), 1))

    def agree(self, text: str) -> str:
        return self.paint(text, "good")


def _visible(text: str) -> str:
    """``text`` without ANSI colour codes."""
    import re

    return re.sub(r"\033\[[0-9;]*m", "", text)


def _fmt(v: Any, digits: int = 4) -> str:
    v = float(v)
    if v == 0:
        return "0"
    if abs(v) >= 1e-3 and abs(v) < 1e5:
        return f"{v:.{digits}f}".rstrip("0").rstrip(".")
    return f"{v:.{digits}e}"


def _vec(values: Any, digits: int = 4) -> str:
    return "[" + ", ".join(_fmt(v, digits) for v in np.ravel(values)) + "]"


def _frac(v: float) -> str:
    """A value with its simple fraction when it is one (2/3, 1/2)."""
    for den in range(1, 9):
        num = round(v * den)
        if abs(v - num / den) < 1e-12:
            return f"{_fmt(v)} = {num}/{den}" if den > 1 else _fmt(v)
    return _fmt(v)


Numbers = dict[str, Any]


# -- 1-3: accuracy --------------------------------------------------------------------------

def binary_accuracy_section(p: Printer) -> Numbers:
    """The notebook's In [7]: binary accuracy of one sigmoid output per sample."""
    p.section("1. Binary accuracy: one sigmoid output per sample")
    p.value("y_true", str(BINARY_TRUE))
    p.value("y_pred (sigmoid outputs, P(class 1))", str(BINARY_PRED))
    p.text("Keras's binary accuracy rounds each prediction to a class and compares it with "
           "the label: mean(equal(y_true, round(y_pred))). With nnmath:", 2)
    hits = M.binary_accuracy(BINARY_TRUE, BINARY_PRED)
    acc = float(np.mean(hits))
    p.value("metrics.binary_accuracy(y_true, y_pred)", f"{_vec(hits)} per sample")
    p.value("mean", f"{_frac(acc)}   " + p.agree(f"as the notebook: {SEED_BINARY_ACCURACY}"))
    p.text("Why rounding is thresholding at 0.5: round(p) is 1 exactly when p > 0.5. At "
           "p = 0.5 itself Keras's round() rounds half to even, to 0, and the test p > 0.5 "
           "is false: both say class 0. So the notebook's round() and nnmath's "
           "threshold=0.5 (strictly greater, as Keras's BinaryAccuracy) agree for every p "
           "in [0, 1]; only the threshold can move:", 2)
    ps = np.array([0.3, 0.5, 0.5000001, 0.7])
    decided = M.binary_accuracy(np.ones_like(ps), ps)  # 1 where p > 0.5
    p.line(f"  {'p':>12}  {'round(p)':>9}  {'p > 0.5':>8}")
    for pv, d in zip(ps, decided, strict=True):
        p.line(f"  {float(pv)!r:>12}  {np.round(pv):>9g}  {d:>8g}")
    moved = float(np.mean(M.binary_accuracy(BINARY_TRUE, BINARY_PRED, threshold=0.35)))
    p.value("binary_accuracy(..., threshold=0.35), mean",
            f"{_frac(moved)}   (0.4 now counts as class 1)")
    return {"binary_accuracy": acc, "binary_accuracy_threshold_0.35": moved}


def softmax2_section(p: Printer) -> Numbers:
    """The notebook's In [9], first half: a two-column softmax, scored by binary accuracy."""
    p.section("2. Binary accuracy of a two-column softmax")
    p.value("y_true (one-hot, 2 classes)", str(SOFTMAX2_TRUE).replace(".0", ""))
    p.value("y_pred (softmax outputs)", str(SOFTMAX2_PRED))
    p.text("The notebook computes mean(equal(y_true, round(y_pred))) here too, but a "
           "notebook cell shows only its last value, so this result was never displayed. "
           "With nnmath:", 2)
    elementwise = M.binary_accuracy(SOFTMAX2_TRUE, SOFTMAX2_PRED)
    binary = float(np.mean(elementwise))
    categorical = float(np.mean(M.categorical_accuracy(SOFTMAX2_TRUE, SOFTMAX2_PRED)))
    yt, yp = np.array(SOFTMAX2_TRUE), np.array(SOFTMAX2_PRED)
    column = float(np.mean(M.binary_accuracy(yt[:, 1:], yp[:, 1:])))
    p.value("binary_accuracy, all 8 entries, mean", f"{_frac(binary)}")
    p.value("categorical_accuracy (argmax), mean", f"{_frac(categorical)}")
    p.value("binary_accuracy of column 1 alone (a sigmoid)", f"{_frac(column)}")
    p.text("Why binary accuracy is the same for sigmoid and softmax outputs: in a "
           "two-column softmax p0 = 1 - p1, so p1 > 0.5 exactly when p0 < 0.5. Both "
           "columns make the same decision, each sample scores 0 or 2 of its 2 entries, "
           "and the mean over entries equals the mean over samples of one column. And "
           "softmax([a, b])[1] = sigmoid(b - a): a two-column softmax is a sigmoid of the "
           "logit difference.", 2)
    z = np.array([-2.0, 0.0, 3.0])
    two = A.softmax(np.stack([np.zeros_like(z), z], axis=-1))[:, 1]
    p.value("softmax([0, z])[1] for z = -2, 0, 3", _vec(two))
    p.value("sigmoid(z)", _vec(A.sigmoid(z)))
    p.text("(Only a tie breaks the agreement: at p = [0.5, 0.5] neither column is above "
           "0.5, so binary accuracy gives that sample 1/2 while argmax picks class 0.)", 2)
    return {"softmax2_binary_accuracy": binary, "softmax2_categorical_accuracy": categorical,
            "softmax2_column_accuracy": column,
            "softmax_equals_sigmoid": bool(np.allclose(two, A.sigmoid(z), rtol=1e-15))}


def categorical_section(p: Printer) -> Numbers:
    """The notebook's In [9], second half: argmax accuracy with four classes."""
    p.section("3. Categorical accuracy: m > 2 classes")
    p.value("y_true (one-hot)", str(CATEGORICAL_TRUE).replace(".0", ""))
    p.value("y_pred (softmax outputs)", str(CATEGORICAL_PRED))
    yt, yp = np.array(CATEGORICAL_TRUE), np.array(CATEGORICAL_PRED)
    hits = M.categorical_accuracy(yt, yp)
    acc = float(np.mean(hits))
    labels = np.argmax(yt, axis=1)
    sparse = float(np.mean(M.sparse_categorical_accuracy(labels, yp)))
    p.value("argmax(y_true), argmax(y_pred)",
            f"{labels.tolist()}, {np.argmax(yp, axis=1).tolist()}")
    p.value("metrics.categorical_accuracy", f"{_vec(hits)} per sample")
    p.value("mean", f"{_frac(acc)}   "
            + p.agree(f"as the notebook: {SEED_CATEGORICAL_ACCURACY}"))
    p.value("sparse_categorical_accuracy([1, 0, 2], y_pred)", f"{_frac(sparse)}   (integer "
            "labels, same answer)")
    p.text('Which accuracy does "accuracy" mean? Keras decides from the shapes, and so does '
           'nnmath.metrics.get("accuracy", y_true=..., y_pred=...):', 2)
    for shapes, (t, q) in (("y_pred (N, 1)", ((4, 1), (4, 1))),
                           ("y_true (N,), y_pred (N, C)", ((4,), (4, 3))),
                           ("y_true (N, C), y_pred (N, C)", ((4, 3), (4, 3)))):
        p.value(shapes, M.resolve_accuracy(np.zeros(t), np.zeros(q)), width=30)
    return {"categorical_accuracy": acc, "sparse_categorical_accuracy": sparse}


# -- 4: activations ----------------------------------------------------------------------------

def _table(p: Printer, x: Sequence[float], rows: Sequence[tuple[str, Any]],
           digits: int = 6) -> None:
    head = "".join(f"{v:>12g}" for v in x)
    p.line(f"  {'x':<25}{head}")
    for label, values in rows:
        cells = "".join(f"{_fmt(v, digits):>12}" for v in np.ravel(values))
        p.line(f"  {label:<25}{cells}")


def sigmoid_section(p: Printer) -> Numbers:
    p.section("4. Activation functions")
    p.text("The notebook's classes Sigmoid, Softmax, ReLu, Leaky_ReLu(alpha=0.01) and TanH "
           "are importable from nnmath.activations with the same constructor arguments, and "
           "compute the right values. Each is run below on the notebook's inputs.", 2)
    p.sub("4.1 Sigmoid")
    sig = A.Sigmoid()
    props = sig.properties
    p.value("definition", "σ(x) = 1/(1 + e^(-x)), derivative σ(x)(1 - σ(x))", width=12)
    p.value("range", f"{props.range_text}; monotonic, smooth, bounded", width=12)
    at10 = float(sig(-10.0))
    p.seed(f"seed: the class computes (1/ 1+np.exp(-x)), which Python reads as 1 + e^(-x); "
           f"at x = -10 the notebook printed {SEED_SIGMOID_AT_MINUS_10}.",
           f"right: Sigmoid()(-10) = {at10:.8e}, and for every x a value in (0, 1).")
    x = [-10.0, -5.0, 0.0, 5.0, 10.0]
    _table(p, x, [("Sigmoid()(x)", sig(x)), ("Sigmoid().gradient(x)", sig.gradient(x))], 4)
    peak = float(sig.gradient(0.0))
    p.seed('seed: "the output value is expected in the range -1 to 1"; "the derivative '
           'will be non-negative or non-positive".',
           f"right: the range is {props.range_text} (tanh's is (-1, 1)); the derivative is "
           f"positive everywhere and at most σ'(0) = {_fmt(peak)}.")
    with np.errstate(all="raise"):
        lo, hi = float(sig(-1000.0)), float(sig(1000.0))
    p.value("Sigmoid()(-1000), Sigmoid()(1000)",
            f"{_fmt(lo)}, {_fmt(hi)}   (no overflow: e^(-|x|) forms)")
    return {"sigmoid(-10)": at10, "sigmoid_grad(0)": peak, "sigmoid_range": props.range}


def softmax_section(p: Printer) -> Numbers:
    p.sub("4.2 Softmax")
    sm = A.Softmax()
    x2 = np.array(SEED_X2, dtype=np.float64)
    out = sm(x2)
    p.value("definition", "softmax(x)_i = e^(x_i) / Σ_j e^(x_j), along the class axis",
            width=12)
    p.text("The notebook's x2 (rows are samples), by nnmath; the same values as the "
           "notebook printed:", 2)
    for row in out:
        p.line(f"    {_vec(row, 8)}")
    big = x2 + 1000.0
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp(big) / np.sum(np.exp(big), axis=1, keepdims=True)
    shifted = sm(big)
    p.seed("seed: exp(x)/sum(exp(x)) without the max shift overflows: on x2 + 1000 it gives "
           f"{_vec(naive[0])}; the stable version it left commented out normalises over "
           "the whole array, not each row.",
           f"right: Softmax()(x2 + 1000)[0] = {_vec(shifted[0], 8)}; subtracting each "
           "row's maximum changes nothing mathematically and never overflows.")
    row = x2[0]
    prow = sm(row)
    jac = sm.gradient(row)
    p.seed(f"seed: Softmax.gradient returns p(1 - p) = {_vec(prow * (1 - prow))}: only the "
           "diagonal of the derivative.",
           "right: the Jacobian diag(p) - p pᵀ (Softmax().gradient), whose rows sum to 0; "
           "backpropagation needs the vector-Jacobian product p ⊙ (g - ⟨g, p⟩) "
           "(Softmax().backward), never the Jacobian itself.")
    p.line("  Softmax().gradient([1, 2, 3, 6]):")
    for r in jac:
        p.line(f"    {_vec(r)}")
    g = np.array([0.1, -0.2, 0.3, 0.05])
    vjp = sm.backward(row, g)
    diag_only = g * prow * (1 - prow)
    p.value("g = [0.1, -0.2, 0.3, 0.05]: backward(x, g)", _vec(vjp))
    p.value("the seed's chain rule g ⊙ p(1 - p)", _vec(diag_only) + "   (wrong)")
    return {"softmax_x2": out, "softmax_shifted_row": shifted[0], "softmax_vjp": vjp,
            "softmax_jacobian_row_sums": jac.sum(axis=1)}


def relu_section(p: Printer) -> Numbers:
    p.sub("4.4 ReLU and leaky ReLU")
    x = [-2.0, -0.5, 0.0, 0.5, 2.0]
    relu, leaky = A.ReLu(), A.Leaky_ReLu()
    p.value("definitions", "relu(x) = max(x, 0); leaky_relu(x) = x if x > 0 else αx, "
            "α = 0.01", width=12)
    _table(p, x, [("ReLu()(x)", relu(x)), ("ReLu().gradient(x)", relu.gradient(x)),
                  ("Leaky_ReLu()(x)", leaky(x)),
                  ("Leaky_ReLu().gradient(x)", leaky.gradient(x))])
    g0, l0 = float(relu.gradient(0.0)), float(leaky.gradient(0.0))
    p.seed("seed: both gradients return 1 at x = 0, as if the derivative existed there.",
           f"right: x = 0 is a kink; any value between the one-sided derivatives is a valid "
           f"subgradient. nnmath follows PyTorch and says so: relu'(0) = {_fmt(g0)}, "
           f"leaky_relu'(0) = {_fmt(l0)} (properties.kink_convention).")
    rr = A.RReLU(training=True, seed=0)
    drawn = rr(np.full(4, -1.0))
    mean_slope = float(-A.RReLU()(np.array([-1.0]))[0])
    p.seed('seed: "when a is not 0.01 then it is called Randomized ReLU".',
           "right: a leaky ReLU with another fixed slope is still a leaky ReLU. The "
           "randomized ReLU (RReLU) draws the slope from U[1/8, 1/3] for every element "
           f"while training (RReLU(training=True)(-1) → {_vec(-drawn)} as slopes) and uses "
           f"the mean slope {_fmt(mean_slope)} at inference.")
    return {"relu_grad(0)": g0, "leaky_relu_grad(0)": l0, "rrelu_mean_slope": mean_slope}


def tanh_section(p: Printer) -> Numbers:
    p.sub("4.5 Tanh")
    t = A.TanH()
    p.value("definition", "tanh(x) = (e^x - e^(-x))/(e^x + e^(-x)) = 2σ(2x) - 1; "
            "derivative 1 - tanh²(x)", width=12)
    x = [-3.0, -1.0, 0.0, 1.0, 3.0]
    _table(p, x, [("TanH()(x)", t(x)), ("TanH().gradient(x)", t.gradient(x))])
    tiny = 1e-12
    seed_tiny = 2 / (1 + np.exp(-2 * tiny)) - 1
    ours = float(t(tiny))
    p.text("The notebook's 2/(1 + e^(-2x)) - 1 is right in exact arithmetic, but in floating "
           "point it cancels near 0 and overflows (with a warning) for x < -354:", 2)
    p.value("at x = 1e-12: the notebook's formula", f"{float(seed_tiny)!r}")
    p.value("              TanH()(1e-12)", f"{ours!r}")
    grad5 = float(t.gradient(5.0))
    p.text(f"The vanishing gradient: tanh'(5) = {_fmt(grad5)}; a saturated unit passes almost "
           "nothing back.", 2)
    return {"tanh(1e-12)": ours, "tanh_grad(5)": grad5}


def all_activations_section(p: Printer) -> Numbers:
    from .cli import formula_text
    from .plotting import FAMILIES, activation_for, display_name, values_and_derivative

    p.sub("4.6 Every activation of nnmath")
    p.text("Formula, derivative, properties, and values at x = -1, 0, 1 (for activations "
           "along an axis, on the slice f([x, 0])[0]; glu on [x, x]). One figure per "
           "family: family_<name>.png.", 2)
    seen: dict[str, Any] = {}
    for key, (title, names) in FAMILIES.items():
        p.line()
        p.line(f"  {p.paint(title, 'head')}   (family_{key}.png)")
        for name in names:
            act = activation_for(name)
            props = act.properties
            f, df = values_and_derivative(act, [-1.0, 0.0, 1.0])
            flags = [("monotonic" if props.monotonic else "not monotonic")
                     if props.monotonic is not None else "along an axis",
                     "smooth" if props.smooth else "C¹" if props.differentiable
                     else "continuous" if props.continuous else "discontinuous",
                     "zero-centred" if props.zero_centred else "",
                     "bounded" if props.bounded else ""]
            where = f"; kinks at {', '.join(f'{k:g}' for k in props.kinks)}" \
                if props.kinks else ""
            p.line(f"  {display_name(act)}: {formula_text(act.formula)}")
            p.line(f"      f'    {act.derivative_text}")
            p.line(f"      range {props.range_text}; " + ", ".join(s for s in flags if s)
                   + where)
            p.line(f"      at x = -1, 0, 1:  f = {_vec(f)}   f' = {_vec(df)}")
            seen[name] = (f, df)
    return {"activations": seen}


def logsumexp_section(p: Printer) -> Numbers:
    """The notebook's "What does the Softmax function look like?" (inside its softmax
    section), corrected."""
    p.sub("4.3 Softmax is the gradient of LogSumExp, the smooth maximum")
    p.seed('seed: "the Softmax function" is ln Σ_i e^(x_i), "approximating the max '
           'function"; softmax(0, x) is drawn against max(0, x).',
           "right: ln Σ_i e^(x_i) is LogSumExp (LSE), the smooth maximum. Softmax is its "
           "gradient, a smooth arg max: ∂LSE/∂x_i = e^(x_i)/Σ_j e^(x_j) = softmax(x)_i. The "
           "picture the notebook meant is max(0, x) against LSE(0, x) = log(1 + e^x).")
    x = np.array([1.0, 2.0, 3.0, 6.0])

    def lse(v: np.ndarray) -> float:
        return float(v[0] - A.log_softmax(v)[0])  # log_softmax(v)_i = v_i - LSE(v)

    value = lse(x)
    p.value("x", _vec(x))
    p.value("max(x)", _fmt(float(np.max(x))))
    p.value("LSE(x)", f"{_fmt(value, 6)}   (max ≤ LSE ≤ max + ln 4 = "
            f"{_fmt(float(np.max(x)) + math.log(4), 4)})")
    h = 1e-6
    fd = np.array([(lse(x + h * e) - lse(x - h * e)) / (2 * h) for e in np.eye(4)])
    p.value("∇LSE(x), by central differences", _vec(fd, 6))
    p.value("softmax(x)", _vec(A.softmax(x), 6))
    p.text("With a temperature τ the smooth maximum sharpens: τ·LSE(x/τ) → max(x) and "
           "softmax(x/τ) → the one-hot arg max (the gradient of max) as τ → 0:", 2)
    temps = (1.0, 0.5, 0.1)
    for tau in temps:
        p.value(f"τ = {tau:g}: τ·LSE(x/τ), softmax(x/τ)",
                f"{_fmt(tau * lse(x / tau), 6)}, {_vec(A.softmax(x / tau), 4)}")
    p.text("Figure: softmax_logsumexp.png (max vs LSE on the left, their gradients on "
           "the right).", 2)
    return {"lse": value, "lse_fd_gradient": fd, "softmax": A.softmax(x)}


# -- 6: cross-entropy -------------------------------------------------------------------------

def cross_entropy_section(p: Printer) -> Numbers:
    p.section("5. Cross-entropy: multi-class vs multi-label")
    p.text("Multi-class: each sample is in exactly one of C classes; a softmax turns the C "
           "scores into a distribution and the categorical (softmax) cross-entropy is "
           "-log of the probability of the true class. Multi-label: each sample can be in "
           "any subset of the C classes; C independent sigmoids, and the binary (sigmoid) "
           "cross-entropy of each, averaged over the C labels.", 2)

    p.sub("5.1 Categorical cross-entropy (the notebook's 4-class example)")
    yt, yp = np.array(CATEGORICAL_TRUE), np.array(CATEGORICAL_PRED)
    cce = L.categorical_crossentropy(yt, yp)
    manual = -np.log(np.sum(yt * yp, axis=1))
    scce = L.sparse_categorical_crossentropy(np.argmax(yt, axis=1), yp)
    p.value("categorical_crossentropy(y_true, y_pred)", f"{_vec(cce)}, mean "
            f"{_fmt(float(np.mean(cce)))}")
    p.value("-log p[true class]", _vec(manual))
    p.value("sparse_categorical_crossentropy([1, 0, 2], ·)", _vec(scce))
    s = np.array([[1.0, 2.0, 3.0, 6.0]])
    onehot = np.array([[0.0, 0.0, 0.0, 1.0]])
    from_logits = float(L.categorical_crossentropy(onehot, s, from_logits=True)[0])
    lse = float(s[0, 0] - A.log_softmax(s)[0, 0])
    p.text("From scores s (logits), the notebook's CE = -log(e^(s_p)/Σ_j e^(s_j)) is "
           "LSE(s) - s_p, computed without forming a probability:", 2)
    p.value("s = [1, 2, 3, 6], p = 3: from_logits=True", _fmt(from_logits, 6))
    p.value("LSE(s) - s_p", _fmt(lse - 6.0, 6))

    p.sub("5.2 Binary cross-entropy (the notebook's binary example)")
    yb, pb = np.array(BINARY_TRUE)[:, None], np.array(BINARY_PRED)[:, None]
    bce = L.binary_crossentropy(yb, pb)
    p.value("binary_crossentropy(y_true, y_pred)", f"{_vec(bce)}, mean "
            f"{_fmt(float(np.mean(bce)))}")
    p.value("-log(1 - 0.4), -log 0.7, -log 0.3",
            _vec([-math.log(0.6), -math.log(0.7), -math.log(0.3)]))

    p.sub("5.3 Multi-label: C independent binary problems")
    ml_true = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    ml_pred = np.array([[0.9, 0.2, 0.4], [0.1, 0.8, 0.3]])
    ml = L.binary_crossentropy(ml_true, ml_pred)
    p.value("y_true, sigmoid outputs", f"{ml_true.astype(int).tolist()}, {ml_pred.tolist()}")
    p.value("binary_crossentropy, per sample", _vec(ml))
    p.text("(Each is the mean over the 3 labels of -log p or -log(1 - p). A softmax would be "
           "wrong here: its outputs sum to 1, but sample 0 has two positive labels.)", 2)

    p.sub("5.4 Two classes, two ways; and logits")
    z = 2.0
    b2 = float(L.binary_crossentropy([[1.0]], [[float(A.sigmoid(z))]])[0])
    c2 = float(L.categorical_crossentropy([[0.0, 1.0]], A.softmax(np.array([[0.0, z]])))[0])
    p.value("binary_crossentropy(1, sigmoid(2))", _fmt(b2, 6))
    p.value("categorical_crossentropy([0, 1], softmax([0, 2]))", _fmt(c2, 6), width=48)
    exact = float(L.binary_crossentropy([[1.0]], [[-100.0]], from_logits=True)[0])
    clipped = float(L.binary_crossentropy([[1.0]], [[float(A.sigmoid(-100.0))]])[0])
    p.value("target 1, logit -100: from_logits=True", _fmt(exact, 6))
    p.value("  via the probability (clipped at 1e-7)", _fmt(clipped, 6))
    p.text("Pass logits with from_logits=True whenever the model has no final activation: "
           "the loss is exact, and its gradient is the fused sigmoid(z) - y. Figure: "
           "cross_entropy.png (-log p for both targets).", 2)
    return {"categorical_crossentropy": cce, "binary_crossentropy": bce,
            "multilabel_crossentropy": ml, "two_class_binary": b2, "two_class_categorical": c2,
            "logit_exact": exact, "logit_clipped": clipped, "from_logits_cce": from_logits}


def corrections_section(p: Printer) -> Numbers:
    p.section("6. What the notebook got wrong, in one table")
    sig = float(A.Sigmoid()(-10.0))
    rows = [
        ("Sigmoid.__call__", f"1 + e^(-x): {SEED_SIGMOID_AT_MINUS_10} at x = -10",
         f"1/(1 + e^(-x)): {sig:.6e}"),
        ("Softmax.__call__", "no max shift: NaN on x + 1000",
         "shift by each row's max, normalise per row"),
        ("Softmax.gradient", "p(1 - p), the diagonal", "Jacobian diag(p) - p pᵀ; VJP "
         "p ⊙ (g - ⟨g, p⟩)"),
        ("Softmax text", "calls ln Σ e^(x_i) softmax", "that is LogSumExp; softmax is its "
         "gradient"),
        ("Sigmoid text", "range -1 to 1; derivative of either sign",
         "range (0, 1); σ' in (0, 1/4]"),
        ("Leaky ReLU text", "slope ≠ 0.01 is Randomized ReLU", "RReLU: random slope in "
         "training, mean at inference"),
        ("ReLu/Leaky_ReLu gradient", "1 at x = 0", "a convention: relu'(0) = 0, "
         "leaky_relu'(0) = 0.01"),
    ]
    for where, seed, right in rows:
        p.line(f"  {where}")
        p.line(f"      {p.paint('notebook:', 'seed')} {seed}")
        p.line(f"      {p.paint('nnmath:', 'good')}   {right}")
    return {"corrections": len(rows)}


SECTIONS: tuple[Callable[[Printer], Numbers], ...] = (
    binary_accuracy_section, softmax2_section, categorical_section,
    sigmoid_section, softmax_section, logsumexp_section, relu_section, tanh_section,
    all_activations_section, cross_entropy_section, corrections_section,
)


# -- figures ----------------------------------------------------------------------------------

def write_figures(out: Path) -> list[Path]:
    """Draw the tour's figures into ``out`` (PNG): the families, LSE, cross-entropy, gallery."""
    from . import plotting as P

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for key, (title, names) in P.FAMILIES.items():
        written.append(Path(P.save(P.plot_family(names, title=title),
                                   out / f"family_{key}.png")))
    written.append(Path(P.save(P.plot_softmax_logsumexp(), out / "softmax_logsumexp.png")))
    written.append(Path(P.save(P.plot_cross_entropy(), out / "cross_entropy.png")))
    written.append(Path(P.save(P.plot_gallery(), out / "gallery.png")))
    return written


@dataclass
class TourResult:
    """What :func:`run` computed and wrote."""

    numbers: Numbers = field(default_factory=dict)
    figures: list[Path] = field(default_factory=list)
    seconds: float = 0.0


def run(out: str | os.PathLike[str] = "nnmath-tour", *, figures: bool = True,
        color: bool | None = None, stream: TextIO | None = None) -> TourResult:
    """Print the tour and write its figures into ``out``.

    Parameters
    ----------
    out
        Directory for the PNG figures (created).
    figures
        Draw the figures (needs matplotlib, the ``plot`` extra).
    color
        ANSI colour; ``None``: when the stream is a terminal and ``NO_COLOR`` is unset.
    stream
        Where to print (default stdout).
    """
    started = time.perf_counter()
    if figures:
        from .io import require

        require("matplotlib", "plot", "the tour's figures (or run 'nnmath tour "
                "--no-figures')")
    stream = sys.stdout if stream is None else stream
    p = Printer(stream, color)
    result = TourResult()
    p.title(f"nnmath {__version__} tour: the seed notebook, corrected and runnable")
    p.text("The seed is a study notebook on Keras's accuracy metric, activation functions "
           "as NumPy classes, and cross-entropy losses. Each section recomputes its examples "
           "with nnmath; where the notebook was wrong, a 'seed:' line says what it did and "
           "a 'right:' line gives the correct value.")
    # the stable formulas never overflow or divide by zero; let any regression shout
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        for section in SECTIONS:
            result.numbers.update(section(p))
    if figures:
        target = Path(out)
        result.figures = write_figures(target)
        p.section("Figures")
        for path in result.figures:
            p.line(f"  {path}")
    result.seconds = time.perf_counter() - started
    p.line()
    p.line(p.paint(f"done in {result.seconds:.1f} s", "dim"))
    return result

"""THE table of nnmath's activations: one row per activation.

A row holds everything that is said about an activation once: its names (function,
class, aliases), its parameters with defaults and validation, its properties and kink
convention, its formula in LaTeX, the compiled core's ufuncs that compute it for NumPy
(``core``: the base name ``NAME`` of ``NAME``, ``NAME_grad`` and ``NAME_backward``), and the
plain stable formula of :mod:`._xp` that other array libraries run. The public
functions, the classes, ``__all__``, the registry and the tests' case lists are derived
from it (``_elementwise.py`` builds the elementwise ones; the five along an axis have
their classes in ``_axis_classes.py`` and take names, formula and properties from here).

Adding an activation: its formulas in the core (``_core/src/nnm_formulas_act.h`` and three
lines of ``_core/src/nnm_ufuncs.def``), its ``xp`` formula in ``_xp.py``, a row here, its
mpmath reference in ``tests/references.py`` (and the docs, when it needs words).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .._array import check_finite_scalar
from . import _xp
from ._base import CLIP_CONVENTION, Properties

INF = math.inf

#: the default of a parameter that has none (a required argument)
REQUIRED: Any = object()


def finite(value: Any, name: str) -> float:
    return check_finite_scalar(value, name)


def positive(value: Any, name: str) -> float:
    return check_finite_scalar(value, name, positive=True)


def nonnegative(value: Any, name: str) -> float:
    return check_finite_scalar(value, name, nonnegative=True)


def optional_finite(value: Any, name: str) -> float | None:
    return None if value is None else check_finite_scalar(value, name)


def flag(value: Any, name: str) -> bool:
    return bool(value)


def as_is(value: Any, name: str) -> Any:
    return value


@dataclass(frozen=True)
class Param:
    """A parameter: its name, default (``REQUIRED`` for none) and check, a function
    ``(value, name) -> normalised value`` that raises a clear error naming it."""

    name: str
    default: Any = REQUIRED
    check: Callable[[Any, str], Any] = finite


Route = Callable[..., "tuple[str, tuple[Any, ...]] | None"]


@dataclass(frozen=True)
class Spec:
    """One activation. ``core`` is the core ufuncs' base name, or a function of the
    parameter values returning ``(base name, ufunc parameter inputs)`` (``None`` where the
    core has no ufunc for that parametrisation); by default the parameters are the ufunc's
    further inputs, in order. ``xp``/``xp_grad``/``xp_vjp`` take ``(xp, x, *values)``
    (``xp_vjp``: ``(xp, x, g, *values)``; without it the VJP is ``g * xp_grad``)."""

    name: str
    cls: str
    summary: str
    doc: str
    formula: str
    derivative: str
    properties: Properties | Callable[[Any], Properties]
    params: tuple[Param, ...] = ()
    core: str | Route = ""
    xp: Any = None  # Callable[..., Any]; None for the rows along an axis (see _axis.py)
    xp_grad: Any = None
    xp_vjp: Any = None
    aliases: tuple[str, ...] = ()
    class_aliases: tuple[str, ...] = ()
    #: checks between parameters: ``values -> values`` (raises a clear error)
    relate: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None = None
    #: class attributes (SELU's constants)
    constants: dict[str, float] = field(default_factory=dict)
    axis: bool = False

    def route(self, values: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]] | None:
        if callable(self.core):
            return self.core(*values)
        return (self.core, values) if self.core else None

    def validate(self, values: tuple[Any, ...]) -> tuple[Any, ...]:
        out = tuple(p.check(v, p.name) for p, v in zip(self.params, values, strict=True))
        return self.relate(out) if self.relate is not None else out


# -- parameters that depend on each other ------------------------------------------------
def _relu_relate(values: tuple[Any, ...]) -> tuple[Any, ...]:
    _, max_value, thr = values
    if max_value is not None and max_value <= thr:
        raise ValueError(f"max_value must be > threshold ({thr}), got {max_value}")
    return values


def _relu_route(slope: float, max_value: float | None,
                thr: float) -> tuple[str, tuple[Any, ...]] | None:
    """Keras's relu in the core: relu, leaky_relu, hard_tanh (a cap) or threshold (a
    shifted step) — the parametrisations with a slope AND a cap or a shift have no ufunc."""
    if max_value is None and thr == 0.0:
        return ("relu", ()) if slope == 0.0 else ("leaky_relu", (slope,))
    if slope == 0.0 and thr == 0.0:
        return ("hard_tanh", (0.0, max_value))
    if slope == 0.0 and max_value is None:
        return ("threshold", (thr, 0.0))
    return None


def _bounds_relate(values: tuple[Any, ...]) -> tuple[Any, ...]:
    lo, hi = values
    if lo >= hi:
        raise ValueError(f"min_val must be < max_val, got min_val={lo}, max_val={hi}")
    return values


def _rrelu_relate(values: tuple[Any, ...]) -> tuple[Any, ...]:
    lo, hi, _, _ = values
    if lo > hi:
        raise ValueError(f"lower must be <= upper, got lower={lo}, upper={hi}")
    return values


# -- properties that depend on the parameters --------------------------------------------
def leaky_properties(nonneg: bool, zero: bool, one: bool, convention: str) -> Properties:
    return Properties(
        range=(0.0 if zero else -INF, INF), range_closed=(zero, False), monotonic=nonneg,
        differentiable=one, smooth=one, zero_centred=nonneg and not zero,
        kinks=() if one else (0.0,), kink_convention="" if one else convention,
    )


def _relu_properties(a: Any) -> Properties:
    s, m, t = a.negative_slope, a.max_value, a.threshold
    # pieces: s (x - t) for x <= t, x on (t, m), m for x >= m
    lo = -INF if s > 0 else min(0.0, t)
    hi = m if m is not None and s >= 0 else INF
    return Properties(
        range=(lo, hi), range_closed=(s <= 0 and t >= 0, m is not None and s >= 0),
        monotonic=s >= 0 and t >= 0, continuous=t == 0, differentiable=False,
        smooth=False, zero_centred=s > 0 and t == 0,
        kinks=(t,) if m is None else (t, m),
        kink_convention="negative_slope at x = threshold"
        + ("" if m is None else ", 0 at x = max_value"),
    )


def _elu_properties(a: Any) -> Properties:
    c1 = a.alpha == 1.0
    return Properties(range=(-a.alpha if a.alpha >= 0 else -INF, INF), monotonic=a.alpha >= 0,
                      differentiable=c1, smooth=False, zero_centred=a.alpha > 0,
                      kinks=() if c1 else (0.0,), kink_convention="" if c1 else "alpha at x = 0")


def _shrink_properties(hard: bool) -> Callable[[Any], Properties]:
    def props(a: Any) -> Properties:
        t = a.threshold
        return Properties(range=(-INF, INF), continuous=t == 0 or not hard,
                          differentiable=t == 0, smooth=t == 0, zero_centred=True,
                          kinks=() if t == 0 else (-t, t),
                          kink_convention="" if t == 0 else "0 at x = ±threshold")
    return props


def _threshold_properties(a: Any) -> Properties:
    t, v = a.threshold, a.default_value
    return Properties(range=(min(t, v), INF), range_closed=(v <= t, False),
                      monotonic=v <= t, continuous=v == t, differentiable=False,
                      smooth=False, zero_centred=False, kinks=(t,),
                      kink_convention="0 at x = threshold")


def _hard_tanh_properties(a: Any) -> Properties:
    lo, hi = a.min_val, a.max_val
    return Properties(range=(lo, hi), range_closed=(True, True), differentiable=False,
                      smooth=False, zero_centred=lo < 0 < hi, kinks=(lo, hi),
                      kink_convention=CLIP_CONVENTION)


def _squareplus_properties(a: Any) -> Properties:
    if a.b == 0:
        return leaky_properties(True, True, False, "0 at x = 0 (b = 0 is the ReLU)")
    return Properties(range=(0.0, INF))


#: minima of the non-monotonic smooth activations (checked numerically by the tests)
GELU_MIN = -0.16997120747990983
GELU_TANH_MIN = -0.17004075057125406
SILU_MIN = -0.27846454276107380
MISH_MIN = -0.3088434130172504


def _gelu_properties(a: Any) -> Properties:
    lo = GELU_TANH_MIN if a.approximate else GELU_MIN
    return Properties(range=(lo, INF), range_closed=(True, False), monotonic=False,
                      zero_centred=True)


ROWS: tuple[Spec, ...] = (
    Spec(
        "sigmoid", "Sigmoid", "Logistic sigmoid ``σ(x) = 1/(1 + e^{-x})``, without overflow.",
        r"""
    .. math:: \sigma(x) = \frac{1}{1 + e^{-x}}

    With ``z = exp(-|x|)``, ``σ(x) = 1/(1+z)`` for ``x >= 0`` and ``z/(1+z)`` for
    ``x < 0``; ``exp`` never overflows, and ``σ(-1000)`` is 0 (not the ``1 + e^{1000}``
    of a misplaced parenthesis, nor an overflow warning). Derivative ``σ(x)(1 - σ(x))``.

    >>> sigmoid([-1000.0, -1.0, 0.0, 1.0, 1000.0])
    array([0.        , 0.26894142, 0.5       , 0.73105858, 1.        ])
    """,
        r"\sigma(x) = \frac{1}{1 + e^{-x}}", "σ(x)(1 − σ(x)), in (0, 1/4]",
        Properties(range=(0.0, 1.0)), core="sigmoid", xp=_xp.sigmoid, xp_grad=_xp.sigmoid_grad,
    ),
    Spec(
        "hard_sigmoid", "HardSigmoid",
        "Piecewise-linear sigmoid, ``relu6(x + 3) / 6`` (PyTorch's and JAX's definition).",
        r"""
    .. math:: \operatorname{hard\_sigmoid}(x) = \min(\max(x + 3, 0), 6) / 6

    Derivative ``1/6`` on ``(-3, 3)`` and 0 elsewhere, 0 at the kinks ``x = ±3``.

    >>> hard_sigmoid([-4.0, 0.0, 1.5, 4.0])
    array([0.  , 0.5 , 0.75, 1.  ])
    """,
        r"\min(\max(x + 3, 0), 6) / 6", "1/6 on (−3, 3), 0 elsewhere",
        Properties(range=(0.0, 1.0), range_closed=(True, True), differentiable=False,
                   smooth=False, kinks=(-3.0, 3.0), kink_convention=CLIP_CONVENTION),
        core="hard_sigmoid", xp=_xp.hard_sigmoid, xp_grad=_xp.hard_sigmoid_grad,
    ),
    Spec(
        "sparse_sigmoid", "SparseSigmoid",
        "Sparse sigmoid: ``(x + 1)/2`` clipped to ``[0, 1]`` (Keras 3, JAX).",
        r"""
    .. math:: \operatorname{sparse\_sigmoid}(x) = \min(\max((x + 1)/2, 0), 1)

    Derivative ``1/2`` on ``(-1, 1)``, 0 elsewhere and at the kinks ``x = ±1``.

    >>> sparse_sigmoid([-2.0, 0.0, 0.5, 2.0])
    array([0.  , 0.5 , 0.75, 1.  ])
    """,
        r"\min(\max((x + 1)/2, 0), 1)", "1/2 on (−1, 1), 0 elsewhere",
        Properties(range=(0.0, 1.0), range_closed=(True, True), differentiable=False,
                   smooth=False, kinks=(-1.0, 1.0), kink_convention=CLIP_CONVENTION),
        core="sparse_sigmoid", xp=_xp.sparse_sigmoid, xp_grad=_xp.sparse_sigmoid_grad,
    ),
    Spec(
        "log_sigmoid", "LogSigmoid", "Logarithm of the sigmoid, exact for large ``|x|``.",
        r"""
    .. math:: \log\sigma(x) = -\operatorname{softplus}(-x) = \min(x, 0) - \log(1 + e^{-|x|})

    ``log(sigmoid(-1000))`` is ``-inf`` (sigmoid underflows); ``log_sigmoid(-1000)`` is
    ``-1000``. Derivative ``σ(-x)``.

    >>> log_sigmoid([-1000.0, 0.0, 1000.0])
    array([-1.00000000e+03, -6.93147181e-01,  0.00000000e+00])
    """,
        r"\log\sigma(x) = -\log(1 + e^{-x})", "σ(−x) = 1 − σ(x), in (0, 1)",
        Properties(range=(-INF, 0.0)), core="log_sigmoid", xp=_xp.log_sigmoid,
        xp_grad=_xp.log_sigmoid_grad,
    ),
    Spec("softmax", "Softmax", "", "", r"\operatorname{softmax}(x)_i = \frac{e^{x_i}}"
         r"{\sum_j e^{x_j}}", "Jacobian diag(p) − p pᵀ; vector-Jacobian product "
         "p ⊙ (g − ⟨g, p⟩)", Properties(range=(0.0, 1.0), range_closed=(False, True),
                                       monotonic=None), core="softmax", axis=True),
    Spec("log_softmax", "LogSoftmax", "", "", r"x_i - \log\sum_j e^{x_j}",
         "Jacobian δᵢⱼ − pⱼ; vector-Jacobian product g − p Σⱼ gⱼ",
         Properties(range=(-INF, 0.0), range_closed=(False, True), monotonic=None),
         core="log_softmax", axis=True),
    Spec("softmin", "Softmin", "", "",
         r"\operatorname{softmin}(x)_i = \frac{e^{-x_i}}{\sum_j e^{-x_j}}",
         "Jacobian −(diag(p) − p pᵀ), p = softmin(x)",
         Properties(range=(0.0, 1.0), range_closed=(False, True), monotonic=None),
         core="softmin", axis=True),
    Spec("sparsemax", "Sparsemax", "", "", r"\arg\min_{p \in \Delta} \lVert p - x \rVert^2",
         "Jacobian diag(s) − s sᵀ/|S|, s the indicator of the support S",
         Properties(range=(0.0, 1.0), range_closed=(True, True), monotonic=None,
                    differentiable=False, smooth=False,
                    kink_convention="entries with x_i = tau are outside the support"),
         core="sparsemax", axis=True),
    Spec(
        "relu", "ReLU", "Rectified linear unit with Keras 3's options.",
        r"""
    .. math::
        \operatorname{relu}(x) = \begin{cases}
            \text{max\_value} & x \ge \text{max\_value} \\
            x & \text{threshold} < x < \text{max\_value} \\
            \text{negative\_slope}\,(x - \text{threshold}) & x \le \text{threshold}
        \end{cases}

    Convention (PyTorch's): at ``x = threshold`` the lower branch applies, so
    ``relu'(0) = negative_slope`` (0 by default); at ``x = max_value`` the derivative is 0.

    >>> relu([-2.0, 0.0, 3.0, 8.0])
    array([0., 0., 3., 8.])
    >>> relu([-2.0, 0.0, 3.0, 8.0], negative_slope=0.1, max_value=6.0)
    array([-0.2,  0. ,  3. ,  6. ])
    """,
        r"\max(x, 0)",
        "1 above threshold (up to max_value), negative_slope below, 0 above max_value",
        _relu_properties,
        params=(Param("negative_slope", 0.0), Param("max_value", None, optional_finite),
                Param("threshold", 0.0)),
        core=_relu_route, xp=_xp.relu, xp_grad=_xp.relu_grad, relate=_relu_relate,
    ),
    Spec(
        "relu6", "ReLU6", "ReLU capped at 6: ``min(max(x, 0), 6)``.",
        """
    Derivative 1 on ``(0, 6)``, 0 elsewhere and at the kinks ``x = 0`` and ``x = 6``.

    >>> relu6([-1.0, 3.0, 7.0])
    array([0., 3., 6.])
    """,
        r"\min(\max(x, 0), 6)", "1 on (0, 6), 0 elsewhere",
        Properties(range=(0.0, 6.0), range_closed=(True, True), differentiable=False,
                   smooth=False, kinks=(0.0, 6.0), kink_convention=CLIP_CONVENTION),
        core="relu6", xp=_xp.relu6, xp_grad=_xp.relu6_grad,
    ),
    Spec(
        "leaky_relu", "LeakyReLU",
        "Leaky ReLU: ``x`` for ``x > 0``, ``negative_slope * x`` otherwise.",
        """
    The default slope 0.01 is PyTorch's, JAX's and the seed notebook's (Keras uses 0.2).
    ``leaky_relu'(0) = negative_slope``.

    >>> leaky_relu([-10.0, 0.0, 10.0])
    array([-0.1,  0. , 10. ])
    """,
        r"\begin{cases} x & x > 0 \\ \alpha x & x \le 0 \end{cases}",
        "1 for x > 0, negative_slope for x < 0",
        lambda a: leaky_properties(a.negative_slope >= 0, a.negative_slope == 0,
                                   a.negative_slope == 1, "negative_slope at x = 0"),
        params=(Param("negative_slope", 0.01),), core="leaky_relu", xp=_xp.leaky_relu,
        xp_grad=_xp.leaky_relu_grad,
    ),
    Spec(
        "rrelu", "RReLU", "Randomized leaky ReLU (Xu et al., 2015).",
        """
    With ``training=True`` each negative element gets its own slope drawn uniformly from
    ``[lower, upper]`` (reproducible with ``seed``, an int or a ``numpy.random.Generator``);
    otherwise the slope is the mean ``(lower + upper) / 2``. (A fixed slope other than
    0.01 is not "randomized": that is a leaky ReLU with another slope.) The class, in
    training mode, keeps the slopes of its last forward call for ``gradient`` and
    ``backward`` (as PyTorch saves its noise). ``rrelu'(0)`` is the slope.

    >>> rrelu([-8.0, 2.0])
    array([-1.83333333,  2.        ])
    >>> bool((rrelu([-1.0] * 4, training=True, seed=0) == rrelu([-1.0] * 4, training=True,
    ...                                                           seed=0)).all())
    True
    """,
        r"\begin{cases} x & x \ge 0 \\ a x & x < 0 \end{cases},\ a \sim U[l, u]",
        "1 for x > 0, the slope a for x < 0 (a = (lower + upper)/2 at inference)",
        lambda a: leaky_properties(True, a.upper == 0, a.lower == a.upper == 1.0,
                                   "the slope at x = 0"),
        params=(Param("lower", 1.0 / 8.0, nonnegative), Param("upper", 1.0 / 3.0, nonnegative),
                Param("training", False, flag), Param("seed", None, as_is)),
        core="leaky_relu", xp=_xp.prelu, xp_grad=_xp.prelu_grad, relate=_rrelu_relate,
    ),
    Spec(
        "prelu", "PReLU",
        "Parametric ReLU: ``x`` for ``x > 0``, ``weight * x`` otherwise (He et al., 2015).",
        """
    ``weight`` broadcasts against ``x`` (NumPy rules) and must not enlarge its shape. The
    class has ``weight_gradient(x, grad_output)``, ∂L/∂weight summed to ``weight``'s shape.
    ``prelu'(0) = weight``.

    >>> prelu([[-1.0, 2.0], [-3.0, -4.0]], weight=[0.1, 0.5])
    array([[-0.1,  2. ],
           [-0.3, -2. ]])
    """,
        r"\begin{cases} x & x > 0 \\ w x & x \le 0 \end{cases}", "1 for x > 0, weight for x < 0",
        lambda a: Properties(range=(-INF, INF)),  # replaced by the class (depends on weight)
        params=(Param("weight", 0.25, as_is),), core="leaky_relu", xp=_xp.prelu,
        xp_grad=_xp.prelu_grad,
    ),
    Spec(
        "elu", "ELU", "Exponential linear unit (Clevert et al., 2015).",
        r"""
    .. math:: \operatorname{elu}(x) = \begin{cases} x & x > 0 \\
              \alpha (e^x - 1) & x \le 0 \end{cases}

    Computed with ``expm1`` (exact near 0). ``elu'(0) = alpha`` (the lower branch).

    >>> elu([-1000.0, -1.0, 0.0, 2.0])
    array([-1.        , -0.63212056,  0.        ,  2.        ])
    """,
        r"\begin{cases} x & x > 0 \\ \alpha (e^x - 1) & x \le 0 \end{cases}",
        "1 for x > 0, α eˣ for x < 0", _elu_properties, params=(Param("alpha", 1.0),),
        core="elu", xp=_xp.elu, xp_grad=_xp.elu_grad,
    ),
    Spec(
        "selu", "SELU", "Scaled ELU (Klambauer et al., 2017): ``scale * elu(x, alpha)``.",
        """
    ``alpha = 1.6732632423543772…``, ``scale = 1.0507009873554804…``, the constants that
    make zero mean and unit variance a fixed point. ``selu'(0) = scale * alpha``.

    >>> selu([-1.0, 0.0, 1.0])
    array([-1.11133074,  0.        ,  1.05070099])
    """,
        r"\lambda \begin{cases} x & x > 0 \\ \alpha (e^x - 1) & x \le 0 \end{cases},"
        r"\ \alpha \approx 1.6733,\ \lambda \approx 1.0507",
        "λ for x > 0, λ α eˣ for x < 0",
        Properties(range=(-_xp.SELU_SCALE * _xp.SELU_ALPHA, INF), differentiable=False,
                   smooth=False, zero_centred=True, kinks=(0.0,),
                   kink_convention="scale * alpha at x = 0"),
        core="selu", xp=_xp.selu, xp_grad=_xp.selu_grad,
        constants={"alpha": _xp.SELU_ALPHA, "scale": _xp.SELU_SCALE},
    ),
    Spec(
        "celu", "CELU", "Continuously differentiable ELU (Barron, 2017).",
        r"""
    .. math:: \operatorname{celu}(x) = \max(0, x) + \min(0, \alpha (e^{x/\alpha} - 1))

    ``alpha > 0``; the derivative is continuous, 1 at ``x = 0``.

    >>> celu([-1.0, 0.0, 1.0], alpha=2.0)
    array([-0.78693868,  0.        ,  1.        ])
    """,
        r"\max(0, x) + \min(0, \alpha (e^{x/\alpha} - 1))", "1 for x > 0, e^(x/α) for x < 0",
        lambda a: Properties(range=(-a.alpha, INF), smooth=False, zero_centred=True),
        params=(Param("alpha", 1.0, positive),), core="celu", xp=_xp.celu,
        xp_grad=_xp.celu_grad,
    ),
    Spec(
        "gelu", "GELU", "Gaussian error linear unit (Hendrycks & Gimpel, 2016), exact by "
        "default.",
        r"""
    .. math:: \operatorname{gelu}(x) = x\,\Phi(x) = \frac{x}{2}\operatorname{erfc}(-x/\sqrt2)

    The tail ``Φ(x)`` for ``x < 0`` keeps full relative accuracy (``gelu(-30)`` is
    ``-1.47e-196``, not 0). ``approximate=True`` gives the tanh approximation
    ``x/2 (1 + tanh(√(2/π)(x + 0.044715 x³)))``.

    >>> gelu([-3.0, 0.0, 1.0])
    array([-0.00404969,  0.        ,  0.84134475])
    >>> gelu([-3.0, 0.0, 1.0], approximate=True)
    array([-0.00363739,  0.        ,  0.84119199])
    """,
        r"x\,\Phi(x) = \frac{x}{2}\left(1 + \operatorname{erf}(x/\sqrt{2})\right)",
        "Φ(x) + x φ(x) (exact); the derivative of the tanh form when approximate",
        _gelu_properties, params=(Param("approximate", False, flag),),
        core=lambda approximate: ("gelu_tanh" if approximate else "gelu", ()),
        xp=_xp.gelu, xp_grad=_xp.gelu_grad,
    ),
    Spec(
        "silu", "SiLU", "Sigmoid linear unit, also called swish: ``x σ(x)``.",
        """
    Derivative ``σ(x)(1 + x(1 - σ(x)))``.

    >>> silu([-1000.0, -1.0, 0.0, 1.0])
    array([-0.        , -0.26894142,  0.        ,  0.73105858])
    """,
        r"x\,\sigma(x)", "σ(x)(1 + x(1 − σ(x)))",
        Properties(range=(SILU_MIN, INF), range_closed=(True, False), monotonic=False,
                   zero_centred=True),
        core="silu", xp=_xp.silu, xp_grad=_xp.silu_grad, aliases=("swish",),
        class_aliases=("Swish",),
    ),
    Spec(
        "hard_silu", "HardSiLU",
        "Hard SiLU, also called hard swish: ``x relu6(x + 3) / 6`` (Howard et al., 2019).",
        """
    Derivative 0 for ``x <= -3``, ``(2x + 3)/6`` on ``(-3, 3)`` and 1 for ``x >= 3``: at
    the kinks the outer branch applies (0 at ``-3``, 1 at ``3``), as in PyTorch.

    >>> hard_silu([-4.0, -1.5, 0.0, 4.0])
    array([ 0.   , -0.375,  0.   ,  4.   ])
    """,
        r"x \min(\max(x + 3, 0), 6) / 6", "(2x + 3)/6 on (−3, 3), 0 below, 1 above",
        Properties(range=(-0.375, INF), range_closed=(True, False), monotonic=False,
                   differentiable=False, smooth=False, zero_centred=True, kinks=(-3.0, 3.0),
                   kink_convention="the outer branch at x = ±3: 0 at -3, 1 at 3"),
        core="hard_silu", xp=_xp.hard_silu, xp_grad=_xp.hard_silu_grad,
        aliases=("hard_swish",), class_aliases=("HardSwish",),
    ),
    Spec(
        "mish", "Mish", "Mish (Misra, 2019): ``x tanh(softplus(x))``.",
        """
    Derivative ``tanh(sp(x)) + x σ(x) sech²(sp(x))``, ``sp = softplus``.

    >>> mish([-1.0, 0.0, 1.0])
    array([-0.30340146,  0.        ,  0.86509839])
    """,
        r"x \tanh(\log(1 + e^x))", "tanh(sp(x)) + x σ(x) sech²(sp(x)), sp = softplus",
        Properties(range=(MISH_MIN, INF), range_closed=(True, False), monotonic=False,
                   zero_centred=True),
        core="mish", xp=_xp.mish, xp_grad=_xp.mish_grad,
    ),
    Spec(
        "softplus", "Softplus",
        "Softplus, a smooth ReLU, exact for every input (no threshold approximation).",
        r"""
    .. math:: \operatorname{softplus}(x) = \frac{1}{\beta}\log(1 + e^{\beta x})
              = \max(x, 0) + \frac{1}{\beta}\log(1 + e^{-\beta|x|})

    Derivative ``σ(βx)``.

    >>> softplus([-1000.0, 0.0, 1000.0])
    array([0.00000000e+00, 6.93147181e-01, 1.00000000e+03])
    """,
        r"\frac{1}{\beta}\log(1 + e^{\beta x})", "σ(βx)", Properties(range=(0.0, INF)),
        params=(Param("beta", 1.0, positive),), core="softplus", xp=_xp.softplus,
        xp_grad=_xp.softplus_grad,
    ),
    Spec(
        "sparse_plus", "SparsePlus",
        "Sparse plus (Keras 3, JAX): 0 for ``x <= -1``, ``(x + 1)²/4`` on ``(-1, 1)``, "
        "``x`` for ``x >= 1``.",
        """
    Continuously differentiable (no kinks), not twice.

    >>> sparse_plus([-2.0, 0.0, 0.5, 2.0])
    array([0.    , 0.25  , 0.5625, 2.    ])
    """,
        r"\begin{cases} 0 & x \le -1 \\ (x+1)^2/4 & |x| < 1 \\ x & x \ge 1\end{cases}",
        "0 for x ≤ −1, (x + 1)/2 on (−1, 1), 1 for x ≥ 1",
        Properties(range=(0.0, INF), range_closed=(True, False), smooth=False),
        core="sparse_plus", xp=_xp.sparse_plus, xp_grad=_xp.sparse_plus_grad,
    ),
    Spec(
        "squareplus", "Squareplus",
        "Squareplus (Barron, 2021): ``(x + sqrt(x² + b)) / 2``, ``b >= 0``.",
        """
    For ``x < 0`` it is computed as ``b / (2 (sqrt(x² + b) - x))``: ``squareplus(-1e4)`` is
    ``1e-4``, where the textbook form cancels to 0. Derivative ``(1 + x/sqrt(x² + b))/2``.

    >>> squareplus([-1e4, 0.0, 1.0])
    array([1.e-04, 1.e+00, 1.618034e+00])
    """,
        r"\frac{x + \sqrt{x^2 + b}}{2}", "(1 + x/√(x² + b))/2", _squareplus_properties,
        params=(Param("b", 4.0, nonnegative),), core="squareplus", xp=_xp.squareplus,
        xp_grad=_xp.squareplus_grad,
    ),
    Spec(
        "softsign", "Softsign", "Softsign: ``x / (1 + |x|)``.",
        """
    Derivative ``1/(1 + |x|)²``, continuous (C¹, not C²).

    >>> softsign([-1.0, 0.0, 3.0])
    array([-0.5 ,  0.  ,  0.75])
    """,
        r"\frac{x}{1 + |x|}", "1/(1 + |x|)²",
        Properties(range=(-1.0, 1.0), smooth=False, zero_centred=True),
        core="softsign", xp=_xp.softsign, xp_grad=_xp.softsign_grad,
    ),
    Spec(
        "tanh", "Tanh", "Hyperbolic tangent, ``2σ(2x) - 1``.",
        """
    Derivative ``sech²(x) = 1 - tanh²(x)``, computed without cancellation for large ``|x|``.

    >>> tanh([-1.0, 0.0, 1.0])
    array([-0.76159416,  0.        ,  0.76159416])
    """,
        r"\tanh(x) = \frac{e^x - e^{-x}}{e^x + e^{-x}}", "sech²(x) = 1 − tanh²(x), in (0, 1]",
        Properties(range=(-1.0, 1.0), zero_centred=True), core="tanh", xp=_xp.tanh,
        xp_grad=_xp.tanh_grad,
    ),
    Spec(
        "hard_tanh", "HardTanh", "Hard tanh: ``x`` clipped to ``[min_val, max_val]``.",
        """
    Derivative 1 on ``(min_val, max_val)``, 0 elsewhere and at the two kinks.

    >>> hard_tanh([-2.0, 0.5, 2.0])
    array([-1. ,  0.5,  1. ])
    """,
        r"\min(\max(x, a), b)", "1 on (min_val, max_val), 0 elsewhere", _hard_tanh_properties,
        params=(Param("min_val", -1.0), Param("max_val", 1.0)), core="hard_tanh",
        xp=_xp.hard_tanh, xp_grad=_xp.hard_tanh_grad, relate=_bounds_relate,
    ),
    Spec(
        "tanh_shrink", "TanhShrink", "Tanh shrink: ``x - tanh(x)``, without cancellation near 0.",
        """
    Derivative ``tanh²(x)``.

    >>> tanh_shrink([1e-6, 1.0])
    array([3.33333333e-19, 2.38405844e-01])
    """,
        r"x - \tanh(x)", "tanh²(x)", Properties(range=(-INF, INF), zero_centred=True),
        core="tanh_shrink", xp=_xp.tanh_shrink, xp_grad=_xp.tanh_shrink_grad,
    ),
    Spec(
        "hard_shrink", "HardShrink",
        "Hard shrinkage: ``x`` where ``|x| > threshold``, else 0.",
        """
    Derivative 0 at ``±threshold``.

    >>> hard_shrink([-1.0, 0.5, 0.7])
    array([-1. ,  0. ,  0.7])
    """,
        r"\begin{cases} x & |x| > \lambda \\ 0 & |x| \le \lambda \end{cases}",
        "1 for |x| > threshold, 0 for |x| < threshold", _shrink_properties(True),
        params=(Param("threshold", 0.5, nonnegative),), core="hard_shrink",
        xp=_xp.hard_shrink, xp_grad=_xp.shrink_grad,
    ),
    Spec(
        "soft_shrink", "SoftShrink",
        "Soft shrinkage: ``x - threshold`` above, ``x + threshold`` below ``-threshold``, "
        "0 between.",
        """
    Derivative 0 at ``±threshold``.

    >>> soft_shrink([-1.0, 0.2, 0.75])
    array([-0.5 ,  0.  ,  0.25])
    """,
        r"\operatorname{sign}(x) \max(|x| - \lambda, 0)",
        "1 for |x| > threshold, 0 for |x| < threshold", _shrink_properties(False),
        params=(Param("threshold", 0.5, nonnegative),), core="soft_shrink",
        xp=_xp.soft_shrink, xp_grad=_xp.shrink_grad,
    ),
    Spec(
        "threshold", "Threshold",
        "``x`` where ``x > threshold``, else ``default_value`` (Keras 3, PyTorch).",
        """
    Derivative 1 above the threshold, 0 at and below it.

    >>> threshold([-1.0, 0.5, 2.0], threshold=0.5, default_value=-9.0)
    array([-9., -9.,  2.])
    """,
        r"\begin{cases} x & x > \theta \\ v & x \le \theta \end{cases}",
        "1 for x > threshold, 0 for x < threshold", _threshold_properties,
        params=(Param("threshold"), Param("default_value")), core="threshold",
        xp=_xp.threshold, xp_grad=_xp.threshold_grad,
    ),
    Spec("glu", "GLU", "", "", r"a \otimes \sigma(b),\ [a; b] = x",
         "∂/∂a = σ(b), ∂/∂b = a σ(b)(1 − σ(b)), for [a; b] = x",
         Properties(range=(-INF, INF), monotonic=None, zero_centred=True), core="glu",
         axis=True),
    Spec(
        "exponential", "Exponential", "The exponential ``e^x``.",
        """
    It overflows to ``inf`` for ``x > 709.78`` (float64) because the true value is beyond
    the largest float; that is the correctly rounded result, and no warning is raised.
    ``backward(x, g)`` is finite wherever ``g e^x`` is.

    >>> exponential([0.0, 1.0])
    array([1.        , 2.71828183])
    """,
        r"e^x", "eˣ", Properties(range=(0.0, INF)), core="exponential", xp=_xp.exponential,
        xp_grad=_xp.exponential, xp_vjp=_xp.exponential_vjp,
    ),
    Spec(
        "linear", "Linear", "The identity (Keras's ``linear``), returned as a new floating "
        "array.",
        """
    >>> linear([1, 2])
    array([1., 2.])
    """,
        r"x", "1", Properties(range=(-INF, INF), zero_centred=True), core="linear",
        xp=_xp.linear, xp_grad=_xp.linear_grad,
    ),
)

SPECS: dict[str, Spec] = {row.name: row for row in ROWS}
#: alias -> registry name
ALIASES: dict[str, str] = {a: row.name for row in ROWS for a in row.aliases}

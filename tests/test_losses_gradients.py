"""Analytic gradients of every loss against central finite differences, and the chain rule.

For every loss x reduction x from_logits (and the options that change the derivative),
``Loss.gradient`` must equal the central difference of ``Loss.__call__`` in float64, with
random ``y_pred`` away from the clip bounds and kinks, random sample weights and a random
upstream gradient (``grad_output``: an array for ``"none"``, a scalar otherwise). The fused
logits gradients must equal the chain rule through ``nnmath.activations``'s
``Softmax().backward`` and ``Sigmoid().backward`` applied to the probability gradients.
"""

from __future__ import annotations

import numpy as np
import pytest

import nnmath.activations as A
import nnmath.losses as L

RNG = np.random.default_rng(424242)
N, C = 5, 4


@pytest.fixture(autouse=True)
def _no_fp_warnings():
    with np.errstate(all="raise"):
        yield


# -- inputs: y_true and y_pred away from clip bounds and kinks ------------------------------

def _binary(logits, soft=False):
    y = RNG.uniform(0, 1, (N, C)) if soft else RNG.integers(0, 2, (N, C)).astype(float)
    p = RNG.normal(0, 2, (N, C)) if logits else RNG.uniform(0.05, 0.95, (N, C))
    return y, p


def _categorical(logits, soft=False):
    y = RNG.dirichlet(np.ones(C), N) if soft else np.eye(C)[RNG.integers(0, C, N)]
    p = RNG.normal(0, 2, (N, C)) if logits else RNG.uniform(0.05, 1.0, (N, C))  # unnormalised
    return y, p


def _sparse(logits, ignore=False):
    labels = RNG.integers(0, C, N)
    if ignore:
        labels[[1, 3]] = -1
    return labels, _categorical(logits)[1]


def _kl(logits):
    return RNG.dirichlet(np.ones(C), N), RNG.uniform(0.05, 0.95, (N, C))


def _poisson(logits):
    return RNG.poisson(2.0, (N, C)).astype(float), RNG.uniform(0.2, 3.0, (N, C))


def _hinge(logits):
    y = 2.0 * RNG.integers(0, 2, (N, C)) - 1
    p = RNG.normal(0, 1.5, (N, C))
    p = np.where(np.abs(1 - y * p) < 0.05, p + 0.2, p)  # keep off the kink 1 - y p = 0
    return y, p


def _categorical_hinge(logits):
    y = np.eye(C)[RNG.integers(0, C, N)]
    while True:
        p = RNG.normal(0, 1.0, (N, C))
        others = np.sort((1 - y) * p, axis=-1)
        margin = others[:, -1] - np.sum(y * p, axis=-1) + 1
        if np.all(others[:, -1] - others[:, -2] > 1e-3) and np.all(np.abs(margin) > 1e-3):
            return y, p


CASES = [
    # (class, constructor options, input maker, takes from_logits)
    (L.BinaryCrossentropy, {}, _binary, True),
    (L.BinaryCrossentropy, {"label_smoothing": 0.2, "pos_weight": [0.5, 1.0, 2.0, 3.0]},
     lambda lg: _binary(lg, soft=True), True),
    (L.BinaryFocalCrossentropy, {}, _binary, True),
    (L.BinaryFocalCrossentropy, {"gamma": 0.5, "apply_class_balancing": True, "alpha": 0.3,
                                 "label_smoothing": 0.1, "pos_weight": 2.0}, _binary, True),
    (L.BinaryFocalCrossentropy, {"gamma": 1.0}, lambda lg: _binary(lg, soft=True), True),
    (L.CategoricalCrossentropy, {}, _categorical, True),
    (L.CategoricalCrossentropy, {"label_smoothing": 0.1, "class_weight": [1.0, 2.0, 0.5, 3.0]},
     lambda lg: _categorical(lg, soft=True), True),
    (L.SparseCategoricalCrossentropy, {}, _sparse, True),
    (L.SparseCategoricalCrossentropy,
     {"ignore_class": -1, "label_smoothing": 0.1, "class_weight": [1.0, 2.0, 0.5, 3.0]},
     lambda lg: _sparse(lg, ignore=True), True),
    (L.CategoricalFocalCrossentropy, {}, _categorical, True),
    (L.CategoricalFocalCrossentropy, {"gamma": 0.5, "alpha": [0.1, 0.2, 0.3, 0.4],
                                      "label_smoothing": 0.1, "class_weight": [1, 2, 1, 2]},
     lambda lg: _categorical(lg, soft=True), True),
    (L.KLDivergence, {}, _kl, False),
    (L.Poisson, {}, _poisson, False),
    (L.Hinge, {}, _hinge, False),
    (L.SquaredHinge, {}, _hinge, False),
    (L.CategoricalHinge, {}, _categorical_hinge, False),
]
PARAMS = [
    pytest.param(cls, opts, make, logits, reduction, weighted,
                 id=f"{cls.__name__}-{i}-{'logits' if logits else 'probs'}-{reduction}"
                    f"-{'sw' if weighted else 'nosw'}")
    for i, (cls, opts, make, has_logits) in enumerate(CASES)
    for logits in ((False, True) if has_logits else (False,))
    for reduction in L.REDUCTIONS
    for weighted in (False, True)
]


def central_difference(f, x, h=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = h * max(1.0, abs(x[i]))
        xp, xm = x.copy(), x.copy()
        xp[i] += step
        xm[i] -= step
        g[i] = (f(xp) - f(xm)) / (2 * step)
    return g


@pytest.mark.parametrize(("cls", "opts", "make", "logits", "reduction", "weighted"), PARAMS)
def test_gradient_matches_finite_differences(cls, opts, make, logits, reduction, weighted):
    kwargs = dict(opts, reduction=reduction)
    if logits:
        kwargs["from_logits"] = True
    loss = cls(**kwargs)
    y, p = make(logits)
    sw = None
    if weighted:
        sw = RNG.uniform(0.2, 2.0, N)
        sw[2] = 0.0
    if reduction == "none":
        upstream = RNG.normal(size=np.shape(loss(y, p, sample_weight=sw)))
    else:
        upstream = RNG.normal()

    def objective(x):
        return float(np.sum(upstream * loss(y, x, sample_weight=sw)))

    numeric = central_difference(objective, p)
    analytic = loss.gradient(y, p, sample_weight=sw, grad_output=upstream)
    assert analytic.shape == p.shape and analytic.dtype == np.float64
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)
    assert np.any(np.abs(numeric) > 1e-3)  # the check is not vacuous


@pytest.mark.parametrize("reduction", L.REDUCTIONS)
@pytest.mark.parametrize("axis", [1, -1, 0])
def test_gradient_of_sequence_losses_with_2d_weights(reduction, axis):
    # (N, T, C) predictions reduced along `axis`, weights of the per-sample shape
    p = RNG.normal(0, 2, (3, 4, 5))
    moved = np.moveaxis(p, axis, -1)
    y = np.moveaxis(np.eye(moved.shape[-1])[RNG.integers(0, moved.shape[-1], moved.shape[:-1])],
                    -1, axis)
    sw = RNG.uniform(0, 2, moved.shape[:-1])
    loss = L.CategoricalCrossentropy(from_logits=True, axis=axis, reduction=reduction)
    upstream = RNG.normal(size=np.shape(loss(y, p, sample_weight=sw)))
    numeric = central_difference(lambda x: float(np.sum(upstream * loss(y, x, sw))), p)
    np.testing.assert_allclose(loss.gradient(y, p, sw, grad_output=upstream), numeric,
                               rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("reduction", L.REDUCTIONS)
@pytest.mark.parametrize("sw_shape", [(N, 1), (3, N), ()], ids=str)
def test_gradient_with_broadcast_sample_weights(reduction, sw_shape):
    # an (N, 1) column (Keras's rank rule), weights that broadcast the losses to (3, N),
    # and a scalar weight
    y, z = _categorical(True)
    sw = RNG.uniform(0.2, 2.0, sw_shape)
    loss = L.CategoricalCrossentropy(from_logits=True, reduction=reduction)
    out = loss(y, z, sw)
    upstream = RNG.normal(size=np.shape(out)) if reduction == "none" else RNG.normal()
    numeric = central_difference(lambda x: float(np.sum(upstream * loss(y, x, sw))), z)
    np.testing.assert_allclose(loss.gradient(y, z, sw, grad_output=upstream), numeric,
                               rtol=1e-6, atol=1e-8)


def test_gradient_with_the_rank_rule_keeps_the_shape_of_y_pred():
    y = RNG.integers(0, 2, 6).astype(float)
    p = RNG.uniform(0.1, 0.9, (6, 1))
    loss = L.BinaryCrossentropy(reduction="sum")
    g = loss.gradient(y, p)
    assert g.shape == (6, 1)
    numeric = central_difference(lambda x: float(loss(y, x)), p)
    np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-9)


def test_the_clipped_region_has_gradient_zero():
    loss = L.BinaryCrossentropy(reduction="sum")
    g = loss.gradient([[1.0, 0.0, 1.0, 0.0]], [[0.0, 1.0, 5e-8, 0.5]])
    assert g[0, 0] == 0 and g[0, 1] == 0 and g[0, 2] == 0
    np.testing.assert_allclose(g[0, 3], 1 / (1 - 0.5) / 4, rtol=1e-15)  # (1 - y)/(1 - p)/n
    g = L.CategoricalCrossentropy(reduction="sum").gradient([[1.0, 0.0]], [[0.0, 1.0]])
    np.testing.assert_array_equal(g, [[0.0, 0.0]])
    g = L.KLDivergence(reduction="sum").gradient([[0.5, 0.5]], [[0.0, 1.0]])
    np.testing.assert_allclose(g, [[0.0, -0.5]], rtol=1e-15)  # -t/p where not clipped


# -- fused logits gradients = the chain rule through the activations ------------------------

def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("opts", [{}, {"label_smoothing": 0.2},
                                  {"class_weight": [1.0, 3.0, 0.5, 2.0]}], ids=str)
@pytest.mark.parametrize("cls", [L.CategoricalCrossentropy, L.CategoricalFocalCrossentropy])
def test_fused_softmax_gradient_equals_the_chain_rule(cls, opts):
    y, z = _categorical(True, soft=True)
    fused = cls(from_logits=True, reduction="sum", **opts).gradient(y, z)
    # the probability path's gradient, pulled back through softmax's VJP
    dp = cls(reduction="sum", **opts).gradient(y, _softmax(z))
    chained = A.Softmax(axis=-1).backward(z, dp)
    np.testing.assert_allclose(fused, chained, rtol=1e-10, atol=1e-13)


def test_fused_categorical_gradient_is_p_minus_y():
    y, z = _categorical(True)
    g = L.CategoricalCrossentropy(from_logits=True, reduction="sum").gradient(y, z)
    np.testing.assert_allclose(g, _softmax(z) - y, rtol=1e-13, atol=1e-15)
    g = L.SparseCategoricalCrossentropy(from_logits=True).gradient(y.argmax(-1), z)
    np.testing.assert_allclose(g, (_softmax(z) - y) / N, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("opts", [{}, {"label_smoothing": 0.2}, {"pos_weight": 2.5}], ids=str)
@pytest.mark.parametrize("cls", [L.BinaryCrossentropy, L.BinaryFocalCrossentropy])
def test_fused_sigmoid_gradient_equals_the_chain_rule(cls, opts):
    y, z = _binary(True, soft=True)
    fused = cls(from_logits=True, reduction="sum", **opts).gradient(y, z)
    s = 1.0 / (1.0 + np.exp(-z))
    chained = A.Sigmoid().backward(z, cls(reduction="sum", **opts).gradient(y, s))
    np.testing.assert_allclose(fused, chained, rtol=1e-9, atol=1e-13)


def test_fused_binary_gradient_is_sigmoid_minus_y_over_n():
    y, z = _binary(True)
    g = L.BinaryCrossentropy(from_logits=True, reduction="sum").gradient(y, z)
    np.testing.assert_allclose(g, (1 / (1 + np.exp(-z)) - y) / C, rtol=1e-13, atol=1e-16)


def test_logits_gradients_stay_finite_and_exact_when_saturated():
    z = np.array([[1e4, -1e4, 0.0]])
    g = L.CategoricalCrossentropy(from_logits=True, reduction="sum").gradient([[0, 1, 0]], z)
    np.testing.assert_array_equal(g, [[1.0, -1.0, 0.0]])
    g = L.BinaryCrossentropy(from_logits=True, reduction="sum").gradient([[0.0, 1.0]],
                                                                         [[1e4, -1e4]])
    np.testing.assert_array_equal(g, [[0.5, -0.5]])
    for cls in (L.BinaryFocalCrossentropy, L.CategoricalFocalCrossentropy):
        yy = [[0.0, 1.0, 0.0]]
        g = cls(from_logits=True, reduction="sum").gradient(yy, z)
        assert np.all(np.isfinite(g))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_gradient_dtype_follows_y_pred(dtype):
    for cls, opts, make, logits in CASES:
        y, p = make(logits)
        loss = cls(from_logits=True, **opts) if logits else cls(**opts)
        g = loss.gradient(y, p.astype(dtype))
        assert g.dtype == dtype, cls
        ref = loss.gradient(y, p.astype(dtype).astype(np.float64))
        tol = {np.float16: 1e-2, np.float32: 1e-4, np.float64: 1e-15}[dtype]
        np.testing.assert_allclose(g.astype(np.float64), ref, rtol=tol, atol=tol * 1e-2)

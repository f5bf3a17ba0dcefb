"""float64 values of every loss against direct high-precision formulas (mpmath, 50 digits).

The references below are written from the textbook definitions plus Keras's documented
conventions (clip to [1e-7, 1 - 1e-7] with the bounds rounded to float64, renormalise
categorical probabilities, clip KL's arguments to [1e-7, 1]), element by element, with
no code from nnmath. The inputs include saturated ones: probabilities exactly 0 and 1,
and logits of ±1e4, where a naive float64 formula overflows or returns inf.
"""

from __future__ import annotations

import numpy as np
import pytest

import nnmath.losses as L

mpmath = pytest.importorskip("mpmath", reason="mpmath (the 'test' extra) gives the references")

mpmath.mp.dps = 50
RNG = np.random.default_rng(77)
EPS = mpmath.mpf(1e-7)
UPPER = mpmath.mpf(1.0 - 1e-7)  # the float64 upper bound, exactly as rounded
N, C = 7, 4


@pytest.fixture(autouse=True)
def _no_fp_warnings():
    with np.errstate(all="raise"):
        yield


def mpf(v):
    return mpmath.mpf(float(v))


def clip(v, hi=UPPER):
    return min(max(v, EPS), hi)


def log_sigmoid(z):
    # log σ(z) = -log(1 + e^{-z}); mpmath's exponent range is unbounded
    return -mpmath.log1p(mpmath.exp(-z))


# -- references, one sample (row) at a time -------------------------------------------------

def ref_binary(y, p, logits=False, ls=0.0, pw=None, focal=None, balance=None):
    terms = []
    for j, (yj, pj) in enumerate(zip(y, p, strict=True)):
        t = mpf(yj) * (1 - mpf(ls)) + mpf(ls) / 2
        w = mpf(1 if pw is None else np.broadcast_to(pw, len(y))[j])
        pj = mpf(pj)
        if logits:
            lp, lq = log_sigmoid(pj), log_sigmoid(-pj)
            prob = mpmath.exp(lp)
            one_minus = mpmath.exp(lq)
        else:
            pc = clip(pj)
            lp, lq = mpmath.log(pc), mpmath.log(1 - pc)
            prob, one_minus = pj, 1 - pj
        e = -(w * t * lp + (1 - t) * lq)
        if focal is not None:
            e *= (t * one_minus + (1 - t) * prob) ** mpf(focal)
        if balance is not None:
            e *= t * mpf(balance) + (1 - t) * (1 - mpf(balance))
        terms.append(e)
    return mpmath.fsum(terms) / len(terms)


def _log_probs(p, logits):
    p = [mpf(v) for v in p]
    if logits:
        lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in p))
        return [v - lse for v in p]
    s = mpmath.fsum(p)
    return [mpmath.log(clip(v / s)) for v in p]


def ref_categorical(y, p, logits=False, ls=0.0, cw=None, focal=None, alpha=None):
    c = len(y)
    logp = _log_probs(p, logits)
    total = []
    for j, (yj, lj) in enumerate(zip(y, logp, strict=True)):
        t = mpf(yj) * (1 - mpf(ls)) + mpf(ls) / c
        w = mpf(1 if cw is None else cw[j])
        e = -w * t * lj
        if focal is not None:
            a = mpf(np.broadcast_to(alpha, c)[j])
            e *= a * (1 - mpmath.exp(lj)) ** mpf(focal)
        total.append(e)
    return mpmath.fsum(total)


def ref_kl(y, p):
    terms = []
    for yj, pj in zip(y, p, strict=True):
        t, q = clip(mpf(yj), 1), clip(mpf(pj), 1)
        terms.append(t * mpmath.log(t / q))
    return mpmath.fsum(terms)


def ref_poisson(y, p):
    terms = [mpf(b) - mpf(a) * mpmath.log(mpf(b) + EPS) for a, b in zip(y, p, strict=True)]
    return mpmath.fsum(terms) / len(y)


def ref_hinge(y, p, squared=False):
    y = [mpf(v) for v in y]
    if all(v in (0, 1) for v in y):
        y = [2 * v - 1 for v in y]
    m = [max(1 - a * mpf(b), 0) for a, b in zip(y, p, strict=True)]
    return mpmath.fsum(v**2 if squared else v for v in m) / len(m)


def ref_categorical_hinge(y, p):
    pos = mpmath.fsum(mpf(a) * mpf(b) for a, b in zip(y, p, strict=True))
    neg = max((1 - mpf(a)) * mpf(b) for a, b in zip(y, p, strict=True))
    return max(neg - pos + 1, 0)


# -- inputs -----------------------------------------------------------------------------------

def binary_inputs():
    y = RNG.integers(0, 2, (N, C)).astype(float)
    y[0] = [0, 1, 0, 1]
    p = RNG.uniform(0.001, 0.999, (N, C))
    p[0] = [1.0, 0.0, 0.0, 1.0]  # saturated: clipped
    p[1] = [1e-12, 1 - 1e-12, 3e-7, 1 - 3e-7]
    y[2], p[2] = [0, 0, 1, 1], [1e-10, 2e-5, 1 - 1e-10, 1 - 2e-5]  # every term small
    z = RNG.normal(0, 4, (N, C))
    z[0] = [1e4, -1e4, -1e4, 1e4]  # saturated logits
    z[1] = [700.0, -745.0, 40.0, -40.0]
    return y, p, z


def categorical_inputs():
    labels = RNG.integers(0, C, N)
    y = np.eye(C)[labels]
    p = RNG.dirichlet(np.ones(C), N)
    p[0] = [1.0, 0.0, 0.0, 0.0]
    p[1] = [0.0, 1.0, 0.0, 0.0]
    p[2] = [0.2, 0.3, 0.1, 0.9]  # not normalised
    z = RNG.normal(0, 3, (N, C))
    z[0] = [1e4, 0.0, -1e4, 3.0]
    z[1] = [-1e4, -1e4, -1e4, 1e4]
    z[2] = [500.0, -500.0, 0.0, 1.0]
    y[0], y[1], y[2] = np.eye(C)[[2, 3, 1]]
    labels[:3] = [2, 3, 1]
    return labels, y, p, z


def check(ours, ref, rtol=1e-13):
    ref = np.array([float(r) for r in ref])
    assert ours.dtype == np.float64
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=1e-300)


BIN_Y, BIN_P, BIN_Z = binary_inputs()
LABELS, CAT_Y, CAT_P, CAT_Z = categorical_inputs()
SOFT_Y = RNG.uniform(0, 1, (N, C))


@pytest.mark.parametrize("logits", [False, True])
@pytest.mark.parametrize("opts", [{}, {"label_smoothing": 0.1}, {"pos_weight": 3.0},
                                  {"pos_weight": [0.5, 1.0, 2.0, 4.0]}], ids=str)
@pytest.mark.parametrize("soft", [False, True])
def test_binary_crossentropy(logits, opts, soft):
    y = SOFT_Y if soft else BIN_Y
    p = BIN_Z if logits else BIN_P
    ours = L.binary_crossentropy(y, p, from_logits=logits, **opts)
    ref = [ref_binary(a, b, logits, opts.get("label_smoothing", 0.0), opts.get("pos_weight"))
           for a, b in zip(y, p, strict=True)]
    check(ours, ref)


def test_binary_crossentropy_saturated_values_are_the_exact_ones():
    # y = 1 with z = -1e4 costs 1e4; y = 0 with z = -1e4 costs e^-1e4 (0 in float64)
    ours = L.binary_crossentropy([[1.0], [0.0], [1.0]], [[-1e4], [-1e4], [800.0]],
                                 from_logits=True)
    np.testing.assert_array_equal(ours, [1e4, 0.0, 0.0])
    # p = 0 with y = 1 is clipped to 1e-7: -log(1e-7)
    np.testing.assert_allclose(L.binary_crossentropy([[1.0]], [[0.0]]),
                               [float(-mpmath.log(EPS))], rtol=1e-15)


@pytest.mark.parametrize("logits", [False, True])
@pytest.mark.parametrize("opts", [{}, {"gamma": 0.5}, {"gamma": 3.0, "label_smoothing": 0.2},
                                  {"apply_class_balancing": True, "alpha": 0.4},
                                  {"pos_weight": 2.0}], ids=str)
def test_binary_focal_crossentropy(logits, opts):
    p = BIN_Z if logits else BIN_P
    ours = L.binary_focal_crossentropy(BIN_Y, p, from_logits=logits, **opts)
    balance = opts.get("alpha", 0.25) if opts.get("apply_class_balancing") else None
    ref = [ref_binary(a, b, logits, opts.get("label_smoothing", 0.0), opts.get("pos_weight"),
                      focal=opts.get("gamma", 2.0), balance=balance)
           for a, b in zip(BIN_Y, p, strict=True)]
    check(ours, ref, rtol=3e-13)


@pytest.mark.parametrize("logits", [False, True])
@pytest.mark.parametrize("opts", [{}, {"label_smoothing": 0.3},
                                  {"class_weight": [1.0, 2.0, 0.5, 3.0]}], ids=str)
def test_categorical_and_sparse_crossentropy(logits, opts):
    p = CAT_Z if logits else CAT_P
    ref = [ref_categorical(a, b, logits, opts.get("label_smoothing", 0.0),
                           opts.get("class_weight")) for a, b in zip(CAT_Y, p, strict=True)]
    check(L.categorical_crossentropy(CAT_Y, p, from_logits=logits, **opts), ref)
    check(L.sparse_categorical_crossentropy(LABELS, p, from_logits=logits, **opts), ref)


def test_categorical_crossentropy_with_soft_labels():
    y = RNG.dirichlet(np.ones(C), N)
    check(L.categorical_crossentropy(y, CAT_P),
          [ref_categorical(a, b) for a, b in zip(y, CAT_P, strict=True)])
    check(L.categorical_crossentropy(y, CAT_Z, from_logits=True),
          [ref_categorical(a, b, True) for a, b in zip(y, CAT_Z, strict=True)])


def test_sparse_logits_saturated_is_logsumexp_minus_the_label_logit():
    # logsumexp([1e4, 0, -1e4, 3]) - (-1e4) = 2e4 (exactly, in float64)
    ours = L.sparse_categorical_crossentropy([2, 0], [[1e4, 0.0, -1e4, 3.0]] * 2,
                                             from_logits=True)
    np.testing.assert_array_equal(ours, [2e4, 0.0])


@pytest.mark.parametrize("logits", [False, True])
@pytest.mark.parametrize("opts", [{}, {"gamma": 0.0, "alpha": 1.0}, {"gamma": 0.5},
                                  {"alpha": [0.1, 0.2, 0.3, 0.4], "label_smoothing": 0.1},
                                  {"class_weight": [2.0, 1.0, 1.0, 0.5]}], ids=str)
def test_categorical_focal_crossentropy(logits, opts):
    p = CAT_Z if logits else CAT_P
    ours = L.categorical_focal_crossentropy(CAT_Y, p, from_logits=logits, **opts)
    ref = [ref_categorical(a, b, logits, opts.get("label_smoothing", 0.0),
                           opts.get("class_weight"), focal=opts.get("gamma", 2.0),
                           alpha=opts.get("alpha", 0.25)) for a, b in zip(CAT_Y, p, strict=True)]
    check(ours, ref, rtol=3e-13)


def test_kl_divergence():
    y = RNG.dirichlet(np.ones(C), N)
    p = RNG.dirichlet(np.ones(C), N)
    y[0], p[0] = [0.0, 1.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]
    y[1], p[1] = [0.25, 0.25, 0.25, 0.25], [0.25, 0.25 + 1e-9, 0.25, 0.25 - 1e-9]
    y[2], p[2] = [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5]
    ours = L.kl_divergence(y, p)
    ref = [ref_kl(a, b) for a, b in zip(y, p, strict=True)]
    # a divergence is a sum of terms of both signs: compare on the scale of the terms
    scale = np.array([float(mpmath.fsum(abs(clip(mpf(v), 1) * mpmath.log(clip(mpf(v), 1)))
                                        for v in r)) for r in y])
    err = np.abs(ours - np.array([float(r) for r in ref]))
    assert np.all(err <= 1e-15 * (scale + 1)), err
    assert abs(ours[1] - float(ref[1])) <= 1e-20  # 4e-18: the log1p path keeps it


def test_poisson():
    y = RNG.poisson(2.0, (N, C)).astype(float)
    p = RNG.gamma(2.0, 1.0, (N, C))
    p[0] = [0.0, 1e-300, 1e300, 5.0]
    check(L.poisson(y, p), [ref_poisson(a, b) for a, b in zip(y, p, strict=True)])


@pytest.mark.parametrize("labels", ["01", "pm1", "mixed"])
def test_hinge_and_squared_hinge(labels):
    y = {"01": BIN_Y, "pm1": 2 * BIN_Y - 1, "mixed": SOFT_Y * 2 - 1}[labels]
    s = RNG.normal(0, 2, (N, C))
    check(L.hinge(y, s), [ref_hinge(a, b) for a, b in zip(y, s, strict=True)])
    check(L.squared_hinge(y, s), [ref_hinge(a, b, True) for a, b in zip(y, s, strict=True)])


def test_categorical_hinge():
    s = RNG.normal(0, 2, (N, C))
    check(L.categorical_hinge(CAT_Y, s),
          [ref_categorical_hinge(a, b) for a, b in zip(CAT_Y, s, strict=True)])

"""The core's further loss gufuncs (losses.c): KL divergence, Poisson, hinge, squared hinge,
categorical hinge, and binary and categorical focal cross-entropy from probabilities and
from logits, each a per-row value (float64) and a fused gradient times the row's
cotangent; and the NumPy fast paths of nnmath.losses built on them.

References: mpmath at 50 digits (the row's value and gradient written out from the
definitions), central finite differences of the public losses, and the losses' reference
cores (the array-API formulas the other array libraries use)."""

from __future__ import annotations

import itertools

import mpmath
import numpy as np
import pytest

import nnmath.losses as L
from nnmath import _core as C
from nnmath.losses import _divergence, _focal, _hinge
from nnmath.losses._base import run
from nnmath.losses._rows import PIECE

mp = mpmath
DPS = 50


def ulps(got, want, dtype):
    """|got - want| in ulps of ``dtype`` at ``want`` (float64 arrays; 0 where equal)."""
    got = np.asarray(got, np.float64)
    want = np.asarray(want, np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        w = want.astype(dtype)
        spacing = np.maximum(np.abs(np.spacing(w)).astype(np.float64),
                             float(np.finfo(dtype).smallest_subnormal))
        d = np.abs(got - want) / spacing
    # equal, or want rounded to the dtype (an overflow to inf included), or both NaN
    return np.where((got == want) | (got == w) | (np.isnan(got) & np.isnan(want)), 0.0, d)


def bounds(dtype):
    """Keras's eps and 1 - eps rounded to the dtype, exactly, as mpmath numbers (float16
    rows take float32's: nnmath computes float16 input in float32)."""
    dtype = np.float32 if dtype == np.float16 else dtype
    return mp.mpf(float(dtype(1e-7))), mp.mpf(float(dtype(1.0 - 1e-7)))


def mpf_row(a):
    return [mp.mpf(float(v)) for v in a]


# -- mpmath references: (value, gradient) of one row, the gradient for c = 1 --------------

def mp_kl(p, y, dtype):
    eps, _ = bounds(dtype)
    v, g = mp.mpf(0), []
    for pj, yj in zip(mpf_row(p), mpf_row(y), strict=True):
        pc, yc = min(max(pj, eps), 1), min(max(yj, eps), 1)
        v += yc * mp.log(yc / pc)
        g.append(-yc / pc if eps <= pj <= 1 else mp.mpf(0))
    return v, g


def mp_poisson(p, y, dtype):
    eps, _ = bounds(dtype)
    v, g = mp.mpf(0), []
    for pj, yj in zip(mpf_row(p), mpf_row(y), strict=True):
        v += pj - yj * mp.log(pj + eps)
        g.append(1 - yj / (pj + eps))
    return v, g


def mp_hinge(p, y, squared):
    v, g = mp.mpf(0), []
    for pj, yj in zip(mpf_row(p), mpf_row(y), strict=True):
        m = 1 - yj * pj
        s = max(m, mp.mpf(0))
        v += s * s if squared else s
        g.append(-2 * yj * s if squared else (-yj if m > 0 else mp.mpf(0)))
    return v, g


def mp_categorical_hinge(p, y):
    p, y = mpf_row(p), mpf_row(y)
    pos = mp.fsum(a * b for a, b in zip(y, p, strict=True))
    others = [(1 - b) * a for a, b in zip(p, y, strict=True)]
    k = max(range(len(p)), key=lambda j: (others[j], -j))
    margin = others[k] - pos + 1
    if margin <= 0:
        return mp.mpf(0), [mp.mpf(0)] * len(p)
    return margin, [((1 - y[j]) if j == k else 0) - y[j] for j in range(len(p))]


def mp_pow(q, gamma):
    return mp.mpf(1 if gamma == 0 else 0) if q == 0 else q ** gamma


def mp_binary_focal(p, y, dtype, gamma, w0, w1, ls, logits):
    eps, hi = bounds(dtype)
    gamma = mp.mpf(gamma)
    v, g = mp.mpf(0), []
    for x, yj in zip(mpf_row(p), mpf_row(y), strict=True):
        ys = yj * (1 - mp.mpf(ls)) + mp.mpf(ls) / 2
        a = mp.mpf(w0) + ys * (mp.mpf(w1) - mp.mpf(w0))
        if logits:
            s, sn = 1 / (1 + mp.exp(-x)), 1 / (1 + mp.exp(x))
            q = ys * sn + (1 - ys) * s
            bce = ys * mp.log1p(mp.exp(-x)) + (1 - ys) * mp.log1p(mp.exp(x))
            dq, dbce = (1 - 2 * ys) * s * sn, s - ys
            dm = gamma * q ** (gamma - 1) if gamma else mp.mpf(0)
        else:
            q = ys * (1 - x) + (1 - ys) * x
            pc = min(max(x, eps), hi)
            bce = -(ys * mp.log(pc) + (1 - ys) * mp.log(1 - pc))
            dq = 1 - 2 * ys
            dbce = (1 - ys) / (1 - pc) - ys / pc if eps <= x <= hi else mp.mpf(0)
            if gamma == 0:
                dm = mp.mpf(0)
            elif q == 0:
                dm = mp.mpf(1 if gamma == 1 else 0)
            else:
                dm = gamma * q ** (gamma - 1)
        v += a * mp_pow(q, gamma) * bce
        g.append(a * (dm * dq * bce + mp_pow(q, gamma) * dbce))
    return v, g


def mp_categorical_focal(p, y, dtype, gamma, alpha, ls, logits):
    eps, hi = bounds(dtype)
    gamma, n = mp.mpf(gamma), len(p)
    x, y = mpf_row(p), mpf_row(y)
    al = np.broadcast_to(np.asarray(alpha, np.float64), (n,))  # a scalar or one per class
    a = [mp.mpf(float(al[j])) * (yj * (1 - mp.mpf(ls)) + mp.mpf(ls) / n)
         for j, yj in enumerate(y)]
    if logits:
        m = max(x)
        e = [mp.exp(v - m) for v in x]
        s = mp.fsum(e)
        r = [v / s for v in e]
        lr = [(v - m) - mp.log(s) for v in x]
        u = [1 - v for v in r]
        value = mp.fsum(a[j] * mp_pow(u[j], gamma) * -lr[j] for j in range(n))
        h = [a[j] * ((gamma * u[j] ** (gamma - 1) * r[j] * lr[j] if gamma and u[j] else 0)
                     - mp_pow(u[j], gamma)) for j in range(n)]
        hs = mp.fsum(h)
        return value, [h[j] - r[j] * hs for j in range(n)]
    s = mp.fsum(x)
    s = s if s > 0 else mp.mpf(1)
    r = [v / s for v in x]
    rc = [min(max(v, eps), hi) for v in r]
    u = [1 - v for v in rc]
    value = mp.fsum(a[j] * u[j] ** gamma * -mp.log(rc[j]) for j in range(n))
    gr = [a[j] * ((gamma * u[j] ** (gamma - 1) * mp.log(rc[j]) if gamma else 0)
                  - u[j] ** gamma / rc[j]) if eps <= r[j] <= hi else mp.mpf(0)
          for j in range(n)]
    dot = mp.fsum(gr[j] * r[j] for j in range(n))
    return value, [(gr[j] - dot) / s for j in range(n)]


# -- the gufuncs and their references, by name ----------------------------------------------

FOCAL_B = (2.0, 1.0, 1.0, 0.0)  # gamma, w0, w1, ls
FOCAL_C = (2.0, 0.25, 0.0)  # gamma, alpha, ls


def alpha_row(fn):
    """A categorical focal gufunc called with a scalar alpha or one per class (the gufunc
    takes a row of them: the scalar is broadcast to the row's classes)."""
    def call(p, y, *args, **kw):
        *head, gamma, alpha, ls = args
        a = np.broadcast_to(np.asarray(alpha, np.float64), np.shape(p)[-1:])
        return fn(p, y, *head, gamma, a, ls, **kw)
    call.__name__ = fn.__name__
    return call


def spec(name, params=None):
    """(value gufunc, gradient gufunc, gufunc parameters, mpmath reference(p, y, dtype))."""
    if name == "kl":
        return C.kl_divergence, C.kl_divergence_backward, (), mp_kl
    if name == "poisson":
        return C.poisson_sum, C.poisson_sum_backward, (), mp_poisson
    if name in ("hinge", "squared_hinge"):
        sq = name == "squared_hinge"
        v = C.squared_hinge_sum if sq else C.hinge_sum
        g = C.squared_hinge_sum_backward if sq else C.hinge_sum_backward
        return v, g, (np.int64(0),), lambda p, y, dt: mp_hinge(p, y, sq)
    if name == "categorical_hinge":
        return (C.categorical_hinge, C.categorical_hinge_backward, (),
                lambda p, y, dt: mp_categorical_hinge(p, y))
    if name in ("binary_focal", "binary_focal_logits"):
        prm = FOCAL_B if params is None else params
        logits = name.endswith("logits")
        v = C.binary_focal_logits_sum if logits else C.binary_focal_sum
        g = C.binary_focal_logits_sum_backward if logits else C.binary_focal_sum_backward
        return v, g, tuple(np.float64(x) for x in prm), (
            lambda p, y, dt: mp_binary_focal(p, y, dt, *prm, logits))
    if name in ("categorical_focal", "categorical_focal_logits"):
        prm = FOCAL_C if params is None else params
        logits = name.endswith("logits")
        v = alpha_row(C.categorical_focal_logits if logits else C.categorical_focal)
        g = alpha_row(C.categorical_focal_logits_backward if logits
                      else C.categorical_focal_backward)
        return v, g, tuple(np.asarray(x, np.float64) for x in prm), (
            lambda p, y, dt: mp_categorical_focal(p, y, dt, *prm, logits))
    raise KeyError(name)


TINY, HUGE = 5e-324, 1e300

#: the extremes table: (loss, parameters, rows of (p, y)); rows whose terms share a sign,
#: so that the value is well conditioned and an ulp bound is meaningful
EXTREMES = [
    ("kl", None, [([0.0, 1.0], [1.0, 1.0]), ([1e-300, 0.5], [0.5, 0.5]),
                  ([0.3, 0.3 + 2**-40], [0.3 + 2**-30, 0.31]), ([1e-7, 1e-6], [1.0, 0.9]),
                  ([0.999999, 0.1], [1.0, 0.6]), ([2.0, 0.5], [0.9, 1.0]),
                  ([1e-7, 1e-7 * (1 + 2**-40)], [1e-7 * (1 + 2**-30), 1e-7 * (1 + 2**-20)])]),
    ("poisson", None, [([0.0, 0.0], [0.0, 3.0]), ([1e-300, TINY], [2.0, 1.0]),
                       ([1e300, 1e200], [0.0, 1.0]), ([1e-5, 3e-8], [7.0, 100.0]),
                       ([0.5, 0.25], [1e-3, 1e3])]),
    ("hinge", None, [([1.0 - 2**-53, 0.5], [1.0, 1.0]), ([-1e300, 1e-300], [1.0, -1.0]),
                     ([1.0 + 2**-52, 3.0], [1.0, 0.2]), ([TINY, -TINY], [1.0, 1.0]),
                     ([0.3, 0.7], [0.1, 1.3])]),
    ("squared_hinge", None, [([1.0 - 2**-53, 0.5], [1.0, 1.0]), ([-1e150, 1e-300], [1.0, -1.0]),
                             ([TINY, 2.5], [1.0, -0.3]), ([0.999, 0.1], [1.0, 1.0])]),
    ("categorical_hinge", None, [([0.2, 0.9, 0.5], [0.0, 1.0, 0.0]),
                                 ([1e300, -1e300, 0.0], [0.0, 1.0, 0.0]),
                                 ([1.0, 1.0, 1.0], [1.0, 0.0, 0.0]),
                                 ([TINY, 0.0, -TINY], [0.0, 0.0, 1.0]),
                                 ([0.1, 0.2], [0.0, 1.0])]),
]
for g in (0.0, 0.5, 2.0, 5.0):
    EXTREMES.append(("binary_focal", (g, 1.0, 1.0, 0.0), [
        ([0.0, 1.0, 1e-9, 1.0], [0.0, 0.0, 1.0, 1.0]),
        ([1e-7, 1 - 1e-7, 0.5, 1e-300], [1.0, 0.0, 0.0, 0.0]),
        ([0.999, 1e-3, 0.2, 0.7], [1.0, 0.0, 1.0, 0.0]),
    ]))
    EXTREMES.append(("binary_focal_logits", (g, 1.0, 1.0, 0.0), [
        ([1000.0, -1000.0, 40.0, -40.0], [1.0, 1.0, 0.0, 0.0]),
        ([1e-300, -TINY, 0.0, 3.0], [1.0, 0.0, 1.0, 0.0]),
        ([700.0, -745.5, 20.0, -0.5], [0.0, 1.0, 1.0, 0.0]),
    ]))
    EXTREMES.append(("categorical_focal", (g, 0.25, 0.0), [
        ([0.05, 0.95, 0.0], [0.0, 1.0, 0.0]), ([1e-300, 1.0, 0.0], [1.0, 0.0, 0.0]),
        ([0.0, 0.0, 0.0], [0.0, 0.0, 1.0]), ([0.3, 0.3, 0.4], [0.0, 0.0, 1.0]),
        ([1e-8, 1.0 - 1e-8, 0.0], [0.0, 1.0, 0.0]),
    ]))
    EXTREMES.append(("categorical_focal_logits", (g, 0.25, 0.0), [
        ([1000.0, 0.0, -1000.0], [1.0, 0.0, 0.0]), ([1000.0, 0.0, -1000.0], [0.0, 1.0, 0.0]),
        ([40.0, 0.0, -3.0], [1.0, 0.0, 0.0]), ([1e-300, 0.0, -TINY], [0.0, 0.0, 1.0]),
        ([3.0, 2.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]),
    ]))


def _cases():
    return [(name, prm, p, y) for name, prm, rows in EXTREMES for p, y in rows]


def _id(case):
    name, prm, p, y = case
    return f"{name}-{prm}-{p}-{y}"


@pytest.mark.parametrize("case", _cases(), ids=[_id(c) for c in _cases()])
def test_float64_extremes_against_mpmath(case):
    """float64: the value and each entry of the gradient within 4 ulps of mpmath (2
    measured)."""
    name, prm, p, y = case
    value, grad, params, ref = spec(name, prm)
    p, y = np.array(p), np.array(y)
    with mp.workdps(DPS):
        want, want_g = ref(p, y, np.float64)
        want = float(want)
        want_g = np.array([float(v) for v in want_g])
    got = float(value(p, y, *params))
    assert ulps(got, want, np.float64) <= 4, (got, want)
    got_g = grad(p, y, 1.0, *params)
    err = ulps(got_g, want_g, np.float64)
    assert np.all(err <= 4), (got_g, want_g, err)


def _random_rows(name, rng, dtype, n=7, k=6):
    """Rows of ordinary values of each loss's domain, in dtype."""
    if name == "kl":
        p, y = rng.random((k, n)), rng.random((k, n))
    elif name == "poisson":
        p, y = rng.exponential(2.0, (k, n)), rng.poisson(2.0, (k, n)).astype(float)
    elif name in ("hinge", "squared_hinge"):
        p, y = rng.normal(0, 2, (k, n)), np.sign(rng.normal(size=(k, n)))
    elif name == "categorical_hinge":
        p, y = rng.normal(0, 2, (k, n)), np.eye(n)[rng.integers(0, n, k)]
    elif name == "binary_focal":
        p, y = rng.random((k, n)), (rng.random((k, n)) < 0.5).astype(float)
    elif name == "binary_focal_logits":
        p, y = rng.normal(0, 4, (k, n)), (rng.random((k, n)) < 0.5).astype(float)
    elif name == "categorical_focal":
        p, y = rng.dirichlet(np.ones(n), k), np.eye(n)[rng.integers(0, n, k)]
    else:
        p, y = rng.normal(0, 4, (k, n)), np.eye(n)[rng.integers(0, n, k)]
    return p.astype(dtype), y.astype(dtype)


NAMES = ["kl", "poisson", "hinge", "squared_hinge", "categorical_hinge", "binary_focal",
         "binary_focal_logits", "categorical_focal", "categorical_focal_logits"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_float32_and_float16_against_mpmath(name, dtype):
    """float32 and float16 rows: the float64 value rounded to the dtype within 2 ulps of the
    exact value of the rounded inputs (1 measured); the gradient within 2 ulps (or of the
    row's largest entry), on random rows and the extremes table's rows that the dtype
    holds."""
    rng = np.random.default_rng(7)
    value, grad, params, ref = spec(name)
    p, y = _random_rows(name, rng, dtype)
    rows = list(zip(p, y, strict=True))
    with np.errstate(over="ignore", under="ignore"):
        for ename, prm, erows in EXTREMES:
            if ename == name and (prm is None or prm[0] == 2.0):
                for ep, ey in erows:
                    ep, ey = np.array(ep, dtype), np.array(ey, dtype)
                    if np.all(np.isfinite(ep)) and len(ep) == len(erows[0][0]):
                        rows.append((ep, ey))
    for pr, yr in rows:
        with mp.workdps(DPS):
            want, want_g = ref(pr, yr, dtype)
            want = float(want)
            want_g = np.array([float(v) for v in want_g])
        got = float(value(pr, yr, *params))
        assert ulps(np.float64(got).astype(dtype), want, dtype) <= 2, (pr, yr, got, want)
        got_g = grad(pr, yr, dtype(1), *params)
        assert got_g.dtype == dtype
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            err = ulps(got_g, want_g, dtype)
            scale = dtype(np.max(np.abs(want_g)))
            absolute = np.abs(got_g - want_g) <= 2 * float(np.spacing(scale))
        assert np.all((err <= 2) | absolute), (pr, yr, got_g, want_g, err)


def test_gamma_zero_is_cross_entropy():
    """gamma = 0 without class balancing is the binary cross-entropy; with alpha = 1 the
    categorical cross-entropy (probabilities at the clip edges and huge logits included)."""
    rng = np.random.default_rng(3)
    p = np.concatenate([rng.random((20, 6)), [[0.0, 1.0, 1e-7, 1 - 1e-7, 1e-300, 0.5]]])
    y = (rng.random(p.shape) < 0.5).astype(float)
    z = np.concatenate([rng.normal(0, 5, (20, 6)), [[1000.0, -1000.0, 40.0, -40, 0, 1e-300]]])
    for dtype in (np.float32, np.float64):
        pd, yd, zd = p.astype(dtype), y.astype(dtype), z.astype(dtype)
        np.testing.assert_allclose(L.binary_focal_crossentropy(yd, pd, gamma=0.0),
                                   L.binary_crossentropy(yd, pd), rtol=4 * np.finfo(dtype).eps)
        np.testing.assert_allclose(
            L.binary_focal_crossentropy(yd, zd, gamma=0.0, from_logits=True),
            L.binary_crossentropy(yd, zd, from_logits=True), rtol=4 * np.finfo(dtype).eps)
        onehot = np.eye(6)[rng.integers(0, 6, len(p))].astype(dtype)
        q = rng.dirichlet(np.ones(6), len(p)).astype(dtype)
        np.testing.assert_allclose(
            L.categorical_focal_crossentropy(onehot, q, gamma=0.0, alpha=1.0),
            L.categorical_crossentropy(onehot, q), rtol=4 * np.finfo(dtype).eps)
        np.testing.assert_allclose(
            L.categorical_focal_crossentropy(onehot, zd, gamma=0.0, alpha=1.0, from_logits=True),
            L.categorical_crossentropy(onehot, zd, from_logits=True),
            rtol=4 * np.finfo(dtype).eps)


# -- the fast paths against the reference cores and finite differences ----------------------

def _hinge_ref(squared):
    def core(xp, y, p, opts, need_grad):
        return _hinge._hinge_core(xp, y, p, {"squared": squared}, need_grad)
    return core


def _pairs():
    """(name, fused core, reference core, opts, inputs(rng) -> (y, p))."""
    def probs(rng, shape):
        return (rng.random(shape) < 0.5).astype(float), rng.random(shape)

    def soft(rng, shape):
        return rng.random(shape), rng.random(shape)

    def logit(rng, shape):
        return (rng.random(shape) < 0.5).astype(float), rng.normal(0, 3, shape)

    def onehot_p(rng, shape):
        return np.eye(shape[-1])[rng.integers(0, shape[-1], shape[:-1])], rng.dirichlet(
            np.ones(shape[-1]), shape[:-1])

    def onehot_z(rng, shape):
        return np.eye(shape[-1])[rng.integers(0, shape[-1], shape[:-1])], rng.normal(
            0, 3, shape)

    def signed(rng, shape):
        return np.sign(rng.normal(size=shape)), rng.normal(0, 2, shape)

    def counts(rng, shape):
        return rng.poisson(3.0, shape).astype(float), rng.exponential(3.0, shape)

    out = [("kl", _divergence._kl_core_fused, _divergence._kl_core, {}, soft),
           ("poisson", _divergence._poisson_core_fused, _divergence._poisson_core, {}, counts),
           ("hinge01", _hinge._plain_hinge_core, _hinge_ref(False), {}, logit),
           ("hinge", _hinge._plain_hinge_core, _hinge_ref(False), {}, signed),
           ("hinge_soft", _hinge._plain_hinge_core, _hinge_ref(False), {}, soft),
           ("squared_hinge01", _hinge._squared_hinge_core, _hinge_ref(True), {}, logit),
           ("squared_hinge", _hinge._squared_hinge_core, _hinge_ref(True), {}, signed),
           ("categorical_hinge", _hinge._categorical_hinge_core_fused,
            _hinge._categorical_hinge_core, {}, onehot_z)]
    for bal, g, ls, lg in itertools.product([False, True], [0.0, 0.5, 1.0, 2.0, 3.5],
                                            [0.0, 0.2], [False, True]):
        opts = _focal._binary_focal_opts(bal, 0.3, g, lg, ls, None)
        out.append((f"bfocal-{bal}-{g}-{ls}-{lg}", _focal._binary_focal_core_fused,
                    _focal._binary_focal_core, opts,
                    (logit if lg else probs) if not ls else (soft if not lg else logit)))
    for g, ls, lg in itertools.product([0.0, 0.5, 1.0, 2.0], [0.0, 0.2], [False, True]):
        opts = _focal._categorical_focal_opts(0.4, g, lg, ls, None)
        out.append((f"cfocal-{g}-{ls}-{lg}", _focal._categorical_focal_core_fused,
                    _focal._categorical_focal_core, opts, onehot_z if lg else onehot_p))
    return out


PAIRS = _pairs()


@pytest.mark.parametrize("pair", PAIRS, ids=[p[0] for p in PAIRS])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fast_path_matches_the_reference(pair, dtype):
    """Per-sample values and the gradients of the reduced loss (with sample weights): the
    core's paths and the reference cores agree to the reference's own rounding."""
    name, fused, ref, opts, inputs = pair
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    y, p = inputs(rng, (13, 9))
    y, p = y.astype(dtype), p.astype(dtype)
    sw = rng.random(13)
    tol = 1e-13 if dtype == np.float64 else 2e-6
    v1, v0 = run(fused, y, p, opts), run(ref, y, p, opts)
    np.testing.assert_allclose(v1, v0, rtol=tol, atol=tol * np.max(np.abs(v0)))
    for red in ("sum_over_batch_size", "sum", "none"):
        g1 = run(fused, y, p, opts, reduction=red, sample_weight=sw, gradient=True)
        g0 = run(ref, y, p, opts, reduction=red, sample_weight=sw, gradient=True)
        assert g1.dtype == dtype
        np.testing.assert_allclose(g1, g0, rtol=tol, atol=tol * np.max(np.abs(g0)))


FD_LOSSES = [
    ("KLDivergence", {}, "soft"), ("Poisson", {}, "counts"), ("Hinge", {}, "signed"),
    ("SquaredHinge", {}, "soft_signed"), ("CategoricalHinge", {}, "onehot_z"),
    ("BinaryFocalCrossentropy", {"gamma": 2.0}, "probs"),
    ("BinaryFocalCrossentropy", {"gamma": 0.7, "apply_class_balancing": True,
                                 "from_logits": True, "label_smoothing": 0.1}, "logits"),
    ("CategoricalFocalCrossentropy", {"gamma": 1.5}, "onehot_p"),
    ("CategoricalFocalCrossentropy", {"gamma": 2.0, "from_logits": True,
                                      "label_smoothing": 0.05}, "onehot_z"),
]


@pytest.mark.parametrize("loss", FD_LOSSES, ids=[f"{c}-{k}" for c, k, _ in FD_LOSSES])
def test_gradient_against_finite_differences(loss):
    """The gradient of the reduced loss (float64, sum) against central differences in a
    random direction (away from the kinks: margins and clip bounds not within the step)."""
    cls, kw, kind = loss
    rng = np.random.default_rng(11)
    shape = (5, 6)
    if kind in ("soft", "probs", "onehot_p"):
        p = rng.uniform(0.05, 0.95, shape)
        if kind == "onehot_p":
            p = p / p.sum(-1, keepdims=True)
        y = {"soft": rng.uniform(0.05, 0.95, shape),
             "probs": (rng.random(shape) < 0.5).astype(float),
             "onehot_p": np.eye(6)[rng.integers(0, 6, 5)]}[kind]
    elif kind == "counts":
        p, y = rng.uniform(0.5, 5, shape), rng.poisson(3.0, shape).astype(float)
    elif kind in ("signed", "soft_signed"):
        p = rng.normal(0, 2, shape)
        y = np.sign(rng.normal(size=shape)) * (rng.uniform(0.5, 1, shape)
                                              if kind == "soft_signed" else 1)
        p = np.where(np.abs(1 - y * p) < 1e-3, p + 0.01, p)
    elif kind == "logits":
        p, y = rng.normal(0, 3, shape), rng.random(shape)
    else:
        p, y = rng.normal(0, 3, shape), np.eye(6)[rng.integers(0, 6, 5)]
    loss_fn = getattr(L, cls)(reduction="sum", **kw)
    g = loss_fn.gradient(y, p)
    d = rng.normal(size=shape)
    h = 1e-6
    fd = (float(loss_fn(y, p + h * d)) - float(loss_fn(y, p - h * d))) / (2 * h)
    np.testing.assert_allclose(np.sum(g * d), fd, rtol=1e-6, atol=1e-8)


# -- layouts, long rows, threads ---------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_strided_broadcast_and_empty_operands(name):
    rng = np.random.default_rng(5)
    value, grad, params, _ = spec(name)
    p, y = _random_rows(name, rng, np.float64, n=12, k=8)
    want = value(p, y, *params)
    want_g = grad(p, y, 0.5, *params)
    # strided rows and entries
    pw = np.zeros((8, 24))
    pw[:, ::2] = p
    yw = np.zeros((16, 12))
    yw[::2] = y
    np.testing.assert_array_equal(value(pw[:, ::2], yw[::2], *params), want)
    out = np.zeros((8, 24))
    grad(pw[:, ::2], yw[::2], 0.5, *params, out=out[:, ::2])
    np.testing.assert_array_equal(out[:, ::2], want_g)
    # broadcast: one target row for every row, a cotangent per row
    y0 = np.broadcast_to(y[:1], y.shape)
    np.testing.assert_array_equal(value(p, y[:1], *params), value(p, y0.copy(), *params))
    c = np.linspace(0.5, 2.0, 8)
    np.testing.assert_allclose(grad(p, y0, c, *params),
                               grad(p, y0.copy(), 1.0, *params) * c[:, None], rtol=1e-15)
    # the last axis of a transposed array
    np.testing.assert_array_equal(value(np.ascontiguousarray(p.T).T, y, *params), want)
    # empty: no rows, and rows of no entries
    assert value(p[:0], y[:0], *params).shape == (0,)
    assert grad(p[:0], y[:0], 1.0, *params).shape == (0, 12)
    e = value(p[:, :0], y[:, :0], *params)
    assert e.shape == (8,)
    # a sum over no entries is 0; a row of no logits has no maximum (the reference's)
    np.testing.assert_array_equal(e, np.nan if name == "categorical_focal_logits" else 0.0)


@pytest.mark.parametrize("name", NAMES)
def test_long_rows_and_threads(name):
    """Rows longer than the 1,024-element block and (the sums) than the Python layer's
    pieces: the same values as mpmath (a few rows), and the same bits on 1 and 2 threads."""
    rng = np.random.default_rng(9)
    value, grad, params, ref = spec(name)
    p, y = _random_rows(name, rng, np.float64, n=2500, k=3)
    if name.startswith("categorical_focal"):  # one class per row, long rows are spread thin
        p = p if name.endswith("logits") else rng.dirichlet(np.ones(2500), 3)
    got = value(p, y, *params)
    with mp.workdps(30):
        want = [float(ref(pr, yr, np.float64)[0]) for pr, yr in zip(p, y, strict=True)]
    np.testing.assert_allclose(got, want, rtol=1e-13)
    from nnmath import get_num_threads, set_num_threads
    old = get_num_threads()
    big_p, big_y = _random_rows(name, rng, np.float64, n=300, k=2000)
    try:
        set_num_threads(1)
        one = value(big_p, big_y, *params), grad(big_p, big_y, 0.3, *params)
        set_num_threads(2)
        two = value(big_p, big_y, *params), grad(big_p, big_y, 0.3, *params)
    finally:
        set_num_threads(old)
    np.testing.assert_array_equal(one[0], two[0])
    np.testing.assert_array_equal(one[1], two[1])


def test_public_losses_on_rows_longer_than_a_piece():
    rng = np.random.default_rng(2)
    n = PIECE + 777
    p, y = rng.exponential(2.0, (2, n)), rng.poisson(2.0, (2, n)).astype(float)
    got = L.poisson(y, p)
    ref = run(_divergence._poisson_core, y, p, {})
    np.testing.assert_allclose(got, ref, rtol=1e-13)
    z, t = rng.normal(0, 2, (2, n)), (rng.random((2, n)) < 0.5).astype(float)
    np.testing.assert_allclose(L.hinge(t, z), run(_hinge_ref(False), 2 * t - 1, z, {}),
                               rtol=1e-13)
    g = L.Hinge(reduction="sum").gradient(t, z)
    g0 = run(_hinge_ref(False), t, z, {}, reduction="sum", gradient=True)
    np.testing.assert_array_equal(g, g0)


# -- rows the core leaves to the reference -------------------------------------------------------

def test_gufuncs_mark_rows_for_the_reference():
    nan, inf = np.nan, np.inf
    ok = [0.5, 0.25]
    cases = [
        (C.kl_divergence, (), [[nan, 0.5], [inf, 0.5]], [ok, ok]),
        (C.poisson_sum, (), [[-0.5, 1.0], [inf, 1.0], [nan, 1.0]], [ok, ok, ok]),
        (C.hinge_sum, (np.int64(0),), [[nan, 1.0], [inf, 1.0]], [[1.0, -1.0]] * 2),
        (C.categorical_hinge, (), [[nan, 1.0], [0.5, 1.0]], [[0.0, 1.0], [0.0, 2.0]]),
        (C.binary_focal_sum, FOCAL_B, [[1.5, 0.5], [0.5, 0.5], [nan, 0.5]],
         [[0.0, 1.0], [0.0, 1.1], [0.0, 1.0]]),
        (C.binary_focal_logits_sum, FOCAL_B, [[inf, 0.5], [0.5, 0.5]],
         [[0.0, 1.0], [-0.1, 1.0]]),
        (alpha_row(C.categorical_focal), FOCAL_C, [[1.5, 0.5], [-0.1, 0.5], [nan, 0.1]],
         [[0.0, 1.0], [0.0, 1.0], [0.0, 1.0]]),
        (alpha_row(C.categorical_focal_logits), FOCAL_C, [[inf, 0.5], [-inf, 0.5], [nan, 0.5],
                                               [0.5, 0.5]], [ok, ok, ok, [0.0, nan]]),
    ]
    for fn, params, p, y in cases:
        p, y = np.array(p), np.array(y)
        params = tuple(np.float64(v) for v in params) if fn not in (C.hinge_sum,) else params
        with np.errstate(all="raise"):  # no floating-point flag on the way
            assert np.all(np.isnan(fn(p, y, *params))), fn.__name__


def test_hinge_label_mapping_is_decided_over_the_call():
    """Keras maps {0, 1} to {-1, 1} only when every label of the call is 0 or 1: a -1 in a
    later row (or a NaN label anywhere) keeps the zeros as zeros in every row."""
    z = np.array([[0.3, -2.0], [1.5, 0.2], [0.4, 0.1]])
    y01 = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    np.testing.assert_allclose(L.hinge(y01, z), [[2.15, 0.6, 0.75]][0], rtol=1e-15)
    ymix = np.array([[0.0, 1.0], [1.0, 0.0], [-1.0, 1.0]])
    want = np.mean(np.maximum(1 - ymix * z, 0), axis=-1)
    np.testing.assert_allclose(L.hinge(ymix, z), want, rtol=1e-15)
    np.testing.assert_allclose(L.squared_hinge(ymix, z),
                               np.mean(np.maximum(1 - ymix * z, 0) ** 2, axis=-1), rtol=1e-15)
    ynan = y01.copy()
    ynan[2, 0] = np.nan
    got = L.hinge(ynan, z)
    np.testing.assert_allclose(got[:2], np.mean(np.maximum(1 - y01[:2] * z[:2], 0), -1),
                               rtol=1e-15)
    assert np.isnan(got[2])
    g = L.Hinge(reduction="sum").gradient(ymix, z)
    np.testing.assert_array_equal(g, np.where(1 - ymix * z > 0, -ymix, 0.0) / 2)


def test_public_losses_take_the_reference_for_bad_rows():
    """A NaN row gives NaN and leaves the others alone; an infinite entry its limit (from
    the reference); input outside the loss's domain the reference's error."""
    p = np.array([[0.2, 0.8], [np.nan, 0.5], [0.0, 1.0]])
    y = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    for fn in (L.kl_divergence, L.binary_focal_crossentropy, L.categorical_focal_crossentropy,
               L.poisson, L.hinge, L.categorical_hinge):
        got = fn(y, p)
        want = run(_ref_of(fn), y, p, _opts_of(fn))
        np.testing.assert_allclose(got, want, rtol=1e-14)
        assert np.isnan(got[1]) and not np.isnan(got[0])
        # the gradient (found without a value pass): the reference's for the NaN row
        cls = {L.kl_divergence: L.KLDivergence, L.poisson: L.Poisson, L.hinge: L.Hinge,
               L.categorical_hinge: L.CategoricalHinge,
               L.binary_focal_crossentropy: L.BinaryFocalCrossentropy,
               L.categorical_focal_crossentropy: L.CategoricalFocalCrossentropy}[fn]
        g = cls(reduction="sum").gradient(y, p)
        g0 = run(_ref_of(fn), y, p, _opts_of(fn), reduction="sum", gradient=True)
        np.testing.assert_allclose(g, g0, rtol=1e-14)
        assert np.all(np.isnan(g[1]) == np.isnan(g0[1])) and not np.isnan(g[0]).any()
    # infinite rate: +inf, as the reference (inf - y log inf)
    got = L.poisson(np.array([[1.0, 2.0], [1.0, 2.0]]), np.array([[np.inf, 1.0], [1.0, 2.0]]))
    assert got[0] == np.inf and np.isfinite(got[1])
    got = L.categorical_focal_crossentropy(np.array([[0.0, 1.0], [1.0, 0.0]]),
                                           np.array([[np.inf, 0.0], [1.0, 2.0]]),
                                           from_logits=True)
    want = run(_focal._categorical_focal_core, np.array([[0.0, 1.0], [1.0, 0.0]]),
               np.array([[np.inf, 0.0], [1.0, 2.0]]),
               _focal._categorical_focal_opts(0.25, 2.0, True, 0.0, None))
    np.testing.assert_array_equal(got, want)
    # a shift z - max that overflows: the reference's (its log_softmax overflows to -inf
    # there, so the loss is inf where the exact 5e307 is finite)
    z, t = np.array([[1e308, -1e308, 0.0]]), np.array([[0.0, 1.0, 0.0]])
    got = L.categorical_focal_crossentropy(t, z, from_logits=True)
    want = run(_focal._categorical_focal_core, t, z,
               _focal._categorical_focal_opts(0.25, 2.0, True, 0.0, None))
    np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="y_pred must be >= 0"):
        L.poisson([[1.0, 2.0]], [[-1.0, 2.0]])
    with pytest.raises(ValueError, match="probabilities in"):
        L.binary_focal_crossentropy([[1.0, 0.0]], [[1.5, 0.5]])
    with pytest.raises(ValueError, match="must lie in"):
        L.binary_focal_crossentropy([[1.2, 0.0]], [[0.5, 0.5]], from_logits=True)
    with pytest.raises(ValueError, match="probabilities in"):
        L.categorical_focal_crossentropy([[1.0, 0.0]], [[-0.5, 0.5]])
    with pytest.raises(ValueError, match="y_pred must be >= 0"):
        L.Poisson().gradient([[1.0, 2.0], [1.0, 1.0]], [[1.0, 2.0], [-1.0, 2.0]])
    with pytest.raises(ValueError, match="probabilities in"):
        L.CategoricalFocalCrossentropy().gradient([[1.0, 0.0]], [[1.5, 0.5]])


def _ref_of(fn):
    return {L.kl_divergence: _divergence._kl_core, L.poisson: _divergence._poisson_core,
            L.hinge: _hinge_ref(False), L.categorical_hinge: _hinge._categorical_hinge_core,
            L.binary_focal_crossentropy: _focal._binary_focal_core,
            L.categorical_focal_crossentropy: _focal._categorical_focal_core}[fn]


def _opts_of(fn):
    if fn is L.binary_focal_crossentropy:
        return _focal._binary_focal_opts(False, 0.25, 2.0, False, 0.0, None)
    if fn is L.categorical_focal_crossentropy:
        return _focal._categorical_focal_opts(0.25, 2.0, False, 0.0, None)
    return {}


def test_options_left_to_the_reference():
    """pos_weight (binary focal) runs on the reference: the same values as the reference
    core."""
    rng = np.random.default_rng(4)
    y, p = (rng.random((4, 3)) < 0.5).astype(float), rng.random((4, 3))
    o = _focal._binary_focal_opts(False, 0.25, 2.0, False, 0.0, [1.0, 2.0, 0.5])
    assert _focal._binary_focal_fast(y, p, o, False) is None
    np.testing.assert_array_equal(
        L.binary_focal_crossentropy(y, p, pos_weight=[1.0, 2.0, 0.5]),
        run(_focal._binary_focal_core, y, p, o))


@pytest.mark.parametrize("from_logits", [False, True])
def test_categorical_focal_per_class_alpha_and_class_weights_on_the_core(from_logits):
    """A per-class alpha and class weights (their product is the gufuncs' alpha row): the
    values against mpmath, and the values and gradients against the reference core."""
    rng = np.random.default_rng(4)
    p = rng.random((6, 3)) if not from_logits else rng.normal(0, 3, (6, 3))
    oh = np.eye(3)[[0, 2, 1, 1, 0, 2]] * 0.8 + 0.2 / 3
    for kw in ({"alpha": [0.2, 0.3, 0.5]}, {"class_weight": [1.0, 2.0, 3.0]},
               {"alpha": [0.2, 0.3, 0.5], "class_weight": [1.0, 0.0, 3.0],
                "label_smoothing": 0.1}):
        o = _focal._categorical_focal_opts(kw.get("alpha", 0.25), 2.0, from_logits,
                                           kw.get("label_smoothing", 0.0),
                                           kw.get("class_weight"))
        assert _focal._categorical_focal_fast(oh, p, o, False) is not None
        got = L.categorical_focal_crossentropy(oh, p, from_logits=from_logits, **kw)
        alpha = np.asarray(kw.get("alpha", 0.25)) * np.asarray(kw.get("class_weight", 1.0))
        with mp.workdps(30):
            want = [float(mp_categorical_focal(pr, yr, np.float64, 2.0, alpha,
                                               kw.get("label_smoothing", 0.0), from_logits)[0])
                    for pr, yr in zip(p, oh, strict=True)]
        np.testing.assert_allclose(got, want, rtol=1e-14)
        np.testing.assert_allclose(got, run(_focal._categorical_focal_core, oh, p, o),
                                   rtol=1e-13)
        loss = L.CategoricalFocalCrossentropy(from_logits=from_logits, **kw)
        ref_loss = L.CategoricalFocalCrossentropy(from_logits=from_logits, **kw)
        xp = pytest.importorskip("array_api_strict")
        np.testing.assert_allclose(
            loss.gradient(oh, p), np.asarray(ref_loss.gradient(xp.asarray(oh), xp.asarray(p))),
            rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("level", ["default", "baseline"])
def test_no_floating_point_flag_at_the_ends_of_the_range(name, level):
    """Finite entries up to +-1e308 and down to 5e-324 (sums and products that overflow,
    error-free steps next to overflow), in value and gradient, raise no invalid or
    divide-by-zero flag; also at the baseline (Dekker's products), in a subprocess."""
    import subprocess
    import sys

    script = f"""
import numpy as np, sys
sys.path.insert(0, {str(__import__('pathlib').Path(__file__).parent)!r})
import test_core_losses_more as T
value, grad, params, _ = T.spec({name!r})
ends = [1e308, -1e308, 1e200, -1e200, 1e154, 5e-324, -5e-324, 0.0, -0.0, 1.0, 1e-300]
rng = np.random.default_rng(1)
for dt in (np.float64, np.float32):
    with np.errstate(over="ignore"):
        p = np.array(rng.choice(ends, (64, 9)), dt)
    for y in (np.round(rng.random((64, 9))).astype(dt), rng.random((64, 9)).astype(dt),
              np.array(rng.choice(ends, (64, 9)), dt)):
        with np.errstate(invalid="raise", divide="raise"):
            value(p, y, *params)
            grad(p, y, dt(1.5), *params)
print("ok")
"""
    import os
    env = dict(os.environ)
    if level == "baseline":
        env["NNMATH_CPU"] = "baseline"
    r = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr

"""The core's loss gufuncs: sparse categorical cross-entropy from logits and its gradient,
against mpmath (60 digits), on random rows of several lengths and scales (rows longer than
the row kernels' block of 1,024 included) and on rows with infinities and NaNs."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from nnmath import _core as C

DTYPES = [np.float16, np.float32, np.float64]


def ulps(got, want):
    """|got - want| in ulps of want's dtype at want (0 where both are equal or both NaN)."""
    got, want = np.asarray(got), np.asarray(want)
    t = want.dtype
    with np.errstate(all="ignore"):
        spacing = np.abs(np.spacing(want.astype(t))).astype(np.float64)
        spacing = np.maximum(spacing, float(np.finfo(t).smallest_subnormal))
        d = np.abs(got.astype(np.float64) - want.astype(np.float64)) / spacing
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    return np.where(same, 0.0, d)


def mp_loss_and_grad(z, y, g):
    """-log_softmax(z)[y] and g (softmax(z) - onehot(y)) of one row, by mpmath; the limits
    for infinite entries (softmax uniform over the entries at the maximum +inf, or over all
    entries when all are -inf), NaN for a row with a NaN."""
    z = [float(v) for v in z]
    n = len(z)
    if any(np.isnan(v) for v in z):
        return np.nan, np.full(n, np.nan)
    with mpmath.workdps(60):
        if np.inf in z or all(v == -np.inf for v in z):
            top = [v == np.inf for v in z] if np.inf in z else [True] * n
            k = sum(top)
            p = [mpmath.mpf(1) / k if t else mpmath.mpf(0) for t in top]
            loss = mpmath.log(k) if top[y] else mpmath.inf
        else:
            m = max(z)
            e = [mpmath.exp(mpmath.mpf(v) - m) if v != -np.inf else mpmath.mpf(0) for v in z]
            s = mpmath.fsum(e)
            p = [v / s for v in e]
            loss = (mpmath.log(s) - (mpmath.mpf(z[y]) - m) if z[y] != -np.inf
                    else mpmath.inf)
        grad = [g * (p[j] - (1 if j == y else 0)) for j in range(n)]
        if z[y] != -np.inf or np.inf in z:  # 1 - p_y from the other terms: no cancellation
            grad[y] = -g * mpmath.fsum(p[j] for j in range(n) if j != y)
        return float(loss), np.array([float(v) for v in grad])


SPECIAL_ROWS = [
    [np.inf, 0.0, 1.0], [np.inf, np.inf, 0.0], [-np.inf, 0.0, 1.0], [-np.inf] * 3,
    [np.nan, 0.0, 1.0], [1000.0, -1000.0, 0.0], [1e308, -1e308, 0.0], [5e-324, 0.0, -0.0],
    [30.0, 0.0, -30.0], [1.0, 1.0, 1.0],
]


def rows_and_labels(dtype, rng):
    blocks = []
    with np.errstate(over="ignore"):
        for row in SPECIAL_ROWS:  # each label of each special row
            z = np.array([row] * 3, dtype=dtype)
            blocks.append((z, np.arange(3)))
        blocks.append((rng.normal(0, 5, (30, 4)).astype(dtype), rng.integers(0, 4, 30)))
    for n in (1, 2, 10, 1000, 1024, 1025, 2500):
        z = np.concatenate([rng.normal(0, s, (2, n)) for s in (0.5, 4.0, 40.0)]).astype(dtype)
        blocks.append((z, rng.integers(0, n, len(z))))
    return blocks


@pytest.mark.parametrize("dtype", DTYPES)
def test_sparse_ce_logits_against_mpmath(dtype):
    """The loss within 1 ulp in float16 and float32 (computed in float64 and rounded
    once), 2 ulps in float64; the gradient within 1 ulp (float64: 2) of every element, or
    a few ulps of |g| absolutely where the entries are far below |g| (a softmax output
    that underflows)."""
    rng = np.random.default_rng(5)
    for z, y in rows_and_labels(dtype, rng):
        y = y.astype(np.int64)
        g = rng.normal(0, 2, len(z)).astype(dtype)
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            loss = C.sparse_ce_logits(z, y)
            grad = C.sparse_ce_logits_backward(z, y, g)
        assert loss.dtype == dtype and loss.shape == z.shape[:-1]
        assert grad.dtype == dtype and grad.shape == z.shape
        tol = 2 if dtype == np.float64 else 1
        for i in range(len(z)):
            wl, wg = mp_loss_and_grad(z[i], int(y[i]), float(g[i]))
            with np.errstate(over="ignore", under="ignore"):
                wl_t, wg_t = np.array(wl).astype(dtype), wg.astype(dtype)
            assert ulps(loss[i], wl_t) <= tol, (z[i], y[i], loss[i], wl)
            floor = 4 * abs(float(g[i])) * float(np.finfo(dtype).eps)
            err = np.abs(grad[i].astype(np.float64) - wg)
            bad = (ulps(grad[i], wg_t) > tol) & ~(err <= floor)
            assert not bad.any(), (z[i], y[i], grad[i][bad][:4], wg[bad][:4])


def test_sparse_ce_logits_matches_log_softmax_and_softmax():
    """The fused loss is -log_softmax(z)[y] and its gradient g (softmax(z) - onehot(y)),
    with the core's own row functions (not the reference: both are checked against mpmath
    above), here on strided, broadcast and other-axis inputs."""
    rng = np.random.default_rng(6)
    z = rng.normal(0, 3, (7, 9, 5))
    y = rng.integers(0, 9, (7, 5))
    zt = np.moveaxis(z, 1, -1)  # a strided view: the class axis in the middle
    loss = C.sparse_ce_logits(zt, y)
    want = -np.take_along_axis(C.log_softmax(zt), y[..., None], axis=-1)[..., 0]
    np.testing.assert_allclose(loss, want, rtol=4e-16, atol=0)
    got_axes = C.sparse_ce_logits(z, y, axes=[(1,), ()])
    np.testing.assert_array_equal(got_axes, loss)
    g = rng.normal(0, 1, (7, 5))
    grad = C.sparse_ce_logits_backward(zt, y, g)
    onehot = np.arange(9) == y[..., None]
    want = g[..., None] * (C.softmax(zt) - onehot)
    np.testing.assert_allclose(grad, want, rtol=1e-15, atol=1e-16)
    # one label broadcast over every row; g broadcast too
    np.testing.assert_array_equal(C.sparse_ce_logits(zt, 3), C.sparse_ce_logits(zt, y * 0 + 3))
    np.testing.assert_array_equal(C.sparse_ce_logits_backward(zt, 3, 1.0),
                                  C.sparse_ce_logits_backward(zt, y * 0 + 3, np.ones((7, 5))))


def test_sparse_ce_logits_threads_give_the_same_bits():
    rng = np.random.default_rng(9)
    z = rng.normal(0, 4, (400, 1000)).astype(np.float32)  # above the pool's 2^17 elements
    y = rng.integers(0, 1000, 400)
    g = rng.normal(0, 1, 400).astype(np.float32)
    many = C.sparse_ce_logits(z, y), C.sparse_ce_logits_backward(z, y, g)
    rows = [(C.sparse_ce_logits(z[i:i + 50], y[i:i + 50]),
             C.sparse_ce_logits_backward(z[i:i + 50], y[i:i + 50], g[i:i + 50]))
            for i in range(0, 400, 50)]  # 50,000 elements each: one thread
    np.testing.assert_array_equal(many[0], np.concatenate([r[0] for r in rows]))
    np.testing.assert_array_equal(many[1], np.concatenate([r[1] for r in rows]))


def test_sparse_ce_logits_labels():
    z = np.array([[1.0, 2.0, 3.0]] * 4)
    # out of range: NaN, not a read outside the row (the Python losses refuse these first)
    loss = C.sparse_ce_logits(z, np.array([-1, 3, 2**40, 0]))
    assert np.isnan(loss[:3]).all() and np.isfinite(loss[3])
    grad = C.sparse_ce_logits_backward(z, np.array([-1, 3, 2**40, 0]), np.ones(4))
    assert np.isnan(grad[:3]).all() and np.isfinite(grad[3]).all()
    # int32 labels are cast safely; float labels are refused by NumPy's casting rules
    np.testing.assert_array_equal(C.sparse_ce_logits(z, np.array([0, 1, 2, 0], np.int32)),
                                  C.sparse_ce_logits(z, np.array([0, 1, 2, 0])))
    with pytest.raises(TypeError):
        C.sparse_ce_logits(z, np.array([0.0, 1.0, 2.0, 0.0]))
    # an empty row has no class to pick
    assert np.isnan(C.sparse_ce_logits(np.zeros((2, 0)), np.array([0, 0]))).all()


def mp_binary(z, y):
    """sum_j y_j softplus(-z_j) + (1 - y_j) softplus(z_j) and sigmoid(z_j) - y_j by mpmath."""
    with mpmath.workdps(60):
        terms, grads = [], []
        for zj, yj in zip(map(float, z), map(float, y), strict=True):
            zj, yj = mpmath.mpf(zj), mpmath.mpf(yj)
            sp = mpmath.log1p(mpmath.exp(-abs(zj)))
            terms.append(yj * (sp + max(-zj, 0)) + (1 - yj) * (sp + max(zj, 0)))
            grads.append(1 / (1 + mpmath.exp(-zj)) - yj)
        return mpmath.fsum(terms), grads


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_ce_logits_against_mpmath(dtype):
    """The row sums (float64, from float16/32/64 inputs) within a few float64 ulps of
    mpmath (float16 and float32 rows use the float32 path's exp and log1p, 2^-42
    relative); the gradient c (sigmoid(z) - y) within 2 ulps of its dtype (float64: the
    difference of two products, a few ulps of its terms absolutely)."""
    rng = np.random.default_rng(12)
    rows = [(rng.normal(0, s, (3, n)), rng.uniform(0, 1, (3, n)))
            for n in (1, 7, 1000, 1030) for s in (0.5, 8.0)]
    hard = rng.normal(0, 30, (3, 50))
    rows.append((hard, (rng.uniform(0, 1, hard.shape) > 0.5) * 1.0))
    rows.append((np.array([[-700.0, 700.0, 0.0, 1e-30]]), np.array([[0.0, 1.0, 0.5, 1.0]])))
    for z, y in rows:
        z, y = z.astype(dtype), y.astype(dtype)
        c = rng.normal(0, 1, len(z)).astype(dtype)
        with np.errstate(all="raise"):
            s = C.binary_ce_logits_sum(z, y)
            g = C.binary_ce_logits_backward(z, y, c)
        assert s.dtype == np.float64 and g.dtype == dtype
        rel = 8 * 2.0**-52 if dtype == np.float64 else 2.0**-40
        for i in range(len(z)):
            ws, wg = mp_binary(z[i], y[i])
            assert abs(s[i] - float(ws)) <= rel * float(ws) + 1e-300, (z[i], y[i], s[i], ws)
            want = np.array([float(c[i] * v) for v in wg])
            with np.errstate(over="ignore", under="ignore"):
                want_t = want.astype(dtype)
            floor = 4 * abs(float(c[i])) * float(np.finfo(dtype).eps)
            err = np.abs(g[i].astype(np.float64) - want)
            bad = (ulps(g[i], want_t) > 2) & ~(err <= floor)
            assert not bad.any(), (z[i][bad][:3], y[i][bad][:3], g[i][bad][:3], want[bad][:3])


def test_binary_ce_logits_marks_rows_it_leaves_to_the_reference():
    """A target outside [0, 1] (NaN included) or a logit that is not finite makes the row's
    sum NaN (the losses then run their reference, which refuses the targets and takes the
    limits of the logits); no floating-point flag is raised on the way."""
    z = np.array([[1.0, 2.0], [1.0, 2.0], [1.0, 2.0], [np.inf, 0.0], [np.nan, 0.0],
                  [1.0, 2.0]])
    y = np.array([[2.0, 0.0], [-0.5, 0.0], [np.nan, 0.0], [1.0, 0.0], [0.0, 0.0],
                  [1.0, 0.0]])
    with np.errstate(all="raise"):
        s = C.binary_ce_logits_sum(z, y)
        g = C.binary_ce_logits_backward(z, y, 1.0)
    assert np.isnan(s[:5]).all() and np.isfinite(s[5])
    assert np.isnan(g[:3, 0]).all() and np.isfinite(g[3:4]).all() and np.isnan(g[4, 0])
    # a padded block (rows shorter than the accumulators) adds nothing: one element's sum
    # is that element's term
    one = C.binary_ce_logits_sum(np.array([[3.0]]), np.array([[0.25]]))
    assert one[0] == pytest.approx(float(mp_binary([3.0], [0.25])[0]), rel=4e-16)


def test_hits_against_numpy():
    """sparse_argmax_hits is argmax(z) == y (the first index of the maximum) and
    sparse_top_k_hits is #{z_j > z_y} < k, on rows with many ties (small integers),
    infinities, rows longer than a block (the label before, in and after the first
    block), and in every float dtype."""
    rng = np.random.default_rng(14)
    for dtype in DTYPES:
        for n in (1, 3, 10, 1000, 1500, 3000):
            z = rng.integers(-3, 4, (200, n)).astype(dtype)
            z[::7, 0] = np.inf
            z[::11, -1] = -np.inf
            z[3::13] = np.inf
            y = rng.integers(0, n, 200)
            if n > 1024:
                y[:3] = [0, 1023, n - 1]
            want = np.argmax(z, axis=-1) == y
            got = C.sparse_argmax_hits(z, y)
            assert got.dtype == dtype
            np.testing.assert_array_equal(got, want.astype(dtype))
            above = np.sum(z > np.take_along_axis(z, y[:, None], axis=-1), axis=-1)
            for k in (1, 2, 5, n):
                np.testing.assert_array_equal(C.sparse_top_k_hits(z, y, k),
                                              (above < k).astype(dtype))


def test_hits_mark_nan_rows_and_bad_labels():
    z = np.array([[1.0, np.nan, 0.0], [np.nan, 1.0, 0.0], [1.0, 2.0, 0.0], [1.0, 2.0, 0.0]])
    with np.errstate(all="raise"):
        a = C.sparse_argmax_hits(z, np.array([0, 1, 3, -1]))
        t = C.sparse_top_k_hits(z, np.array([0, 1, 3, 1]), np.array([1, 1, 1, 0]))
    assert np.isnan(a).all() and np.isnan(t).all()
    # long rows: a NaN in a later block
    z = np.zeros((2, 3000))
    z[0, 2500] = np.nan
    assert np.isnan(C.sparse_argmax_hits(z, np.array([0, 0]))[0])
    assert C.sparse_argmax_hits(z, np.array([0, 0]))[1] == 1.0


@pytest.mark.parametrize("dtype", DTYPES)
def test_cce_logits_against_mpmath(dtype):
    """-sum(y log_softmax(z)) within 1 ulp in float16/float32 (float64 inside, rounded
    once) and 2 ulps in float64; the gradient c (sum(y) softmax(z) - y) within 2 ulps of
    each element or a few ulps of |c| sum(y) absolutely (it cancels where softmax(z) is
    near y / sum(y), as at a fitted model's optimum)."""
    rng = np.random.default_rng(15)
    cases = []
    for n in (1, 4, 1000, 1025, 2100):
        for s in (0.5, 6.0):
            z = rng.normal(0, s, (2, n))
            y = rng.dirichlet(np.ones(n), 2) if n > 1 else np.ones((2, 1))
            cases.append((z, y))
            cases.append((z, (np.arange(n) == rng.integers(0, n))[None].repeat(2, 0) * 1.0))
    cases.append((np.array([[1000.0, -1000.0, 0.0]]), np.array([[0.2, 0.3, 0.5]])))
    for z, y in cases:
        z, y = z.astype(dtype), y.astype(dtype)
        c = rng.normal(0, 1, len(z)).astype(dtype)
        with np.errstate(all="raise"):
            loss, grad = C.cce_logits(z, y), C.cce_logits_backward(z, y, c)
        tol = 2 if dtype == np.float64 else 1
        with mpmath.workdps(60):
            for i in range(len(z)):
                zi = [mpmath.mpf(float(v)) for v in z[i]]
                yi = [mpmath.mpf(float(v)) for v in y[i]]
                m = max(zi)
                s = mpmath.fsum(mpmath.exp(v - m) for v in zi)
                wl = mpmath.fsum(yy * (mpmath.log(s) - (v - m))
                                 for yy, v in zip(yi, zi, strict=True))
                with np.errstate(over="ignore", under="ignore"):
                    assert ulps(loss[i], np.array(float(wl)).astype(dtype)) <= tol, (i, z[i])
                big_y = mpmath.fsum(yi)
                wg = np.array([float(c[i] * (big_y * mpmath.exp(v - m) / s - yy))
                               for yy, v in zip(yi, zi, strict=True)])
                with np.errstate(over="ignore", under="ignore"):
                    wg_t = wg.astype(dtype)
                floor = 4 * abs(float(c[i])) * float(big_y) * float(np.finfo(dtype).eps)
                bad = (ulps(grad[i], wg_t) > 2) & ~(np.abs(grad[i] - wg) <= floor)
                assert not bad.any(), (grad[i][bad][:3], wg[bad][:3])


@pytest.mark.parametrize("dtype", DTYPES)
def test_cce_logits_with_weights_and_smoothing_against_mpmath(dtype):
    """cce_logits_ws (dense targets) and sparse_ce_logits_ws (a label's one-hot row) with
    class weights w and smoothing s: -sum(w (y (1 - s) + s/n) log_softmax(z)) within 1 ulp
    in float16/float32 and 4 ulps in float64 of mpmath; the gradient c (Y softmax(z) - y')
    as test_cce_logits_against_mpmath; without weights and smoothing the bits of
    cce_logits; the sparse form the bits of the dense form of the one-hot rows."""
    rng = np.random.default_rng(23)
    for n in (1, 5, 1000, 1030):
        for scale in (0.5, 8.0):
            z = rng.normal(0, scale, (3, n)).astype(dtype)
            lab = rng.integers(0, n, 3)
            onehot = (np.arange(n) == lab[:, None]).astype(dtype)
            dense = (rng.dirichlet(np.ones(n), 3) if n > 1 else np.ones((3, 1))).astype(dtype)
            w = rng.uniform(0.0, 3.0, n)
            s = float(rng.choice([0.0, 0.1, 0.45]))
            c = rng.normal(0, 1, 3).astype(dtype)
            with np.errstate(all="raise"):
                loss_d = C.cce_logits_ws(z, dense, w, s)
                grad_d = C.cce_logits_ws_backward(z, dense, w, s, c)
                loss_s = C.sparse_ce_logits_ws(z, lab, w, s)
                grad_s = C.sparse_ce_logits_ws_backward(z, lab, w, s, c)
                np.testing.assert_array_equal(loss_s, C.cce_logits_ws(z, onehot, w, s))
                np.testing.assert_array_equal(
                    grad_s, C.cce_logits_ws_backward(z, onehot, w, s, c))
                ones = np.ones(n)
                np.testing.assert_array_equal(C.cce_logits_ws(z, dense, ones, 0.0),
                                              C.cce_logits(z, dense))
                np.testing.assert_array_equal(C.cce_logits_ws_backward(z, dense, ones, 0.0, c),
                                              C.cce_logits_backward(z, dense, c))
            tol = 4 if dtype == np.float64 else 1
            with mpmath.workdps(60):
                for y, loss, grad in ((dense, loss_d, grad_d), (onehot, loss_s, grad_s)):
                    for i in range(3):
                        zi = [mpmath.mpf(float(v)) for v in z[i]]
                        yi = [mpmath.mpf(float(wj)) * (mpmath.mpf(float(v)) * (1 - mpmath.mpf(s))
                                                       + mpmath.mpf(s) / n)
                              for wj, v in zip(w, y[i], strict=True)]
                        m = max(zi)
                        se = mpmath.fsum(mpmath.exp(v - m) for v in zi)
                        want = mpmath.fsum(yy * (mpmath.log(se) - (v - m))
                                           for yy, v in zip(yi, zi, strict=True))
                        with np.errstate(over="ignore", under="ignore"):
                            assert ulps(loss[i], np.array(float(want)).astype(dtype)) <= tol, (
                                n, scale, s, i)
                        big_y = mpmath.fsum(yi)
                        mg = [big_y * mpmath.exp(v - m) / se - yy
                              for yy, v in zip(yi, zi, strict=True)]
                        assert_row_gradient(grad[i], c[i], mg, float(big_y), dtype, (n, s, i))
    # a label outside [0, n), a logit that is not finite, a target outside [0, 1]: NaN
    z = np.array([[1.0, 2.0, 3.0]] * 3)
    z[2, 0] = np.inf
    w = np.ones(3)
    assert np.isnan(C.sparse_ce_logits_ws(z, np.array([3, -1, 0]), w, 0.1)).all()
    assert np.isnan(C.sparse_ce_logits_ws_backward(z, np.array([3, -1, 0]), w, 0.1, 1.0)).all()
    y = np.array([[0.0, 1.0, 0.0], [0.0, 1.5, 0.0], [0.0, 1.0, 0.0]])
    assert np.isnan(C.cce_logits_ws(z, y, w, 0.1)[1:]).all()
    assert np.isfinite(C.cce_logits_ws(z, y, w, 0.1)[0])


@pytest.mark.parametrize("from_logits", [True, False])
@pytest.mark.parametrize("cls", ["CategoricalCrossentropy", "SparseCategoricalCrossentropy"])
def test_smoothed_weighted_crossentropy_on_the_core_against_the_reference(cls, from_logits):
    """The classes with label smoothing and class weights (and, sparse, an ignored class)
    on NumPy (the core: cce_logits_ws, sparse_ce_logits_ws, cce_probs of one-hot rows)
    against the array-API formulas of the same loss on array-api-strict arrays."""
    xp = pytest.importorskip("array_api_strict")
    from nnmath import losses as L
    rng = np.random.default_rng(31)
    z = rng.normal(0, 3, (40, 6))
    p = rng.dirichlet(np.ones(6), 40) if not from_logits else z
    lab = rng.integers(0, 6, 40)
    kw: dict = {"from_logits": from_logits, "label_smoothing": 0.15,
                "class_weight": rng.uniform(0.5, 2, 6)}
    if cls.startswith("Sparse"):
        y = lab
        kw["ignore_class"] = 2
    else:
        y = np.eye(6)[lab] * 0.9 + 0.1 / 6
    sw = rng.uniform(0, 1, 40)
    for reduction in ("sum_over_batch_size", "none"):
        loss = getattr(L, cls)(reduction=reduction, **kw)
        np.testing.assert_allclose(
            loss(y, p, sample_weight=sw),
            np.asarray(loss(xp.asarray(y), xp.asarray(p), sample_weight=xp.asarray(sw))),
            rtol=1e-13)
        np.testing.assert_allclose(
            loss.gradient(y, p, sample_weight=sw),
            np.asarray(loss.gradient(xp.asarray(y), xp.asarray(p),
                                     sample_weight=xp.asarray(sw))),
            rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_cce_logits_short_rows_give_the_row_by_row_bits(dtype):
    """float16 and float32 rows of at most 32 logits go many to a block, the loss and its
    gradient: the bits of the row-by-row kernel (cce_logits_ws with unit weights, which
    never blocks), rows with infinities, NaNs, huge logits and bad targets included,
    contiguous and strided."""
    rng = np.random.default_rng(41)
    specials = [np.inf, -np.inf, np.nan, 0.0, -0.0, 1e30, -1e30, 3e38, -3e38, 1e-45, 6e4]
    u = np.uint16 if dtype == np.float16 else np.uint32
    for n in range(1, 34):
        for scale in (0.5, 4.0, 40.0):
            z = rng.normal(0, scale, (260, n))
            y = rng.dirichlet(np.ones(n), 260) if n > 1 else np.ones((260, 1))
            y[::3] = np.eye(n)[rng.integers(0, n, len(y[::3]))]
            k = rng.integers(0, 260, 12)
            z[k, rng.integers(0, n, 12)] = rng.choice(specials, 12)
            y[k[:4], rng.integers(0, n, 4)] = rng.choice([1.5, -0.5, np.nan, -0.0], 4)
            with np.errstate(over="ignore"):
                z, y = z.astype(dtype), y.astype(dtype)
            c = rng.normal(0, 1, 260).astype(dtype)
            for zz, yy in ((z, y), (np.repeat(z, 2, axis=1)[:, ::2], y[::-1][::-1])):
                with np.errstate(all="ignore"):
                    got = C.cce_logits(zz, yy)
                    want = C.cce_logits_ws(zz, yy, np.ones(n), 0.0)
                    got_g = C.cce_logits_backward(zz, yy, c)
                    want_g = C.cce_logits_ws_backward(zz, yy, np.ones(n), 0.0, c)
                np.testing.assert_array_equal(got.view(u), want.view(u), err_msg=f"n={n}")
                np.testing.assert_array_equal(got_g.view(u), want_g.view(u), err_msg=f"n={n}")


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_sparse_ce_short_rows_give_the_row_by_row_bits(dtype):
    """float16 and float32 rows of at most 32 logits go many to a block, the loss and its
    gradient: the bits of the row-by-row kernel, reached by padding the same rows with
    -inf to 40 entries (e^-inf adds nothing to a row's sum), with infinities, NaNs and
    huge logits in some rows."""
    rng = np.random.default_rng(43)
    u = np.uint16 if dtype == np.float16 else np.uint32
    for n in range(1, 33):
        z = rng.normal(0, rng.choice([0.5, 4.0, 40.0]), (300, n))
        k = rng.integers(0, 300, 10)
        z[k, rng.integers(0, n, 10)] = rng.choice([np.inf, np.nan, 1e30, -1e30, 6e4], 10)
        if n > 1:
            z[5, 0] = -np.inf  # one -inf entry in a row with finite ones
        with np.errstate(over="ignore"):
            z = z.astype(dtype)
        lab = rng.integers(0, n, 300)
        lab[7] = -1  # a label outside the row: NaN either way
        g = rng.normal(0, 1, 300).astype(dtype)
        # (a row of -inf alone, whose loss is log n, is not the same row padded)
        z = z[~np.all(z == -np.inf, axis=1)]
        lab, g = lab[:len(z)], g[:len(z)]
        padded = np.concatenate([z, np.full((len(z), 40 - n), -np.inf, dtype)], axis=1)
        with np.errstate(all="ignore"):
            np.testing.assert_array_equal(C.sparse_ce_logits(z, lab).view(u),
                                          C.sparse_ce_logits(padded, lab).view(u))
            got = C.sparse_ce_logits_backward(z, lab, g)
            want = C.sparse_ce_logits_backward(padded, lab, g)[:, :n]
        np.testing.assert_array_equal(got.view(u), want.view(u), err_msg=f"n={n}")


def test_cce_logits_marks_rows_for_the_reference():
    z = np.array([[1.0, 2.0], [1.0, 2.0], [np.inf, 0.0], [np.nan, 0.0], [1e308, -1e308],
                  [1.0, 2.0]])
    y = np.array([[1.5, 0.0], [np.nan, 1.0], [1.0, 0.0], [1.0, 0.0], [0.5, 0.5],
                  [0.25, 0.75]])
    with np.errstate(all="raise"):
        v = C.cce_logits(z, y)
        g = C.cce_logits_backward(z, y, 1.0)
    assert np.isnan(v[:5]).all() and np.isfinite(v[5])
    assert np.isnan(g[:5]).all() and np.isfinite(g[5]).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_loss_gufuncs_on_odd_layouts(dtype):
    """Every loss gufunc on empty rows, zero rows, negative and non-unit strides and
    broadcast operands gives the result of the same call on contiguous copies (and no
    read outside its operands: the suite also runs under AddressSanitizer)."""
    rng = np.random.default_rng(16)
    z = rng.normal(0, 3, (6, 2 * 1100)).astype(dtype)[:, ::-2]  # strided rows of 1,100
    y = rng.uniform(0, 1, z.shape).astype(dtype)[::-1]
    lab = rng.integers(0, z.shape[1], 6)[::-1]
    g = rng.normal(0, 1, 6).astype(dtype)[::-1]
    w = rng.uniform(0, 2, 2 * z.shape[1])[::2]
    zc, yc, labc, gc, wc = (np.ascontiguousarray(a) for a in (z, y, lab, g, w))
    calls = [
        (C.sparse_ce_logits, (z, lab), (zc, labc)),
        (C.sparse_ce_logits_backward, (z, lab, g), (zc, labc, gc)),
        (C.cce_logits, (z, y), (zc, yc)),
        (C.cce_logits_backward, (z, y, g), (zc, yc, gc)),
        (C.cce_logits_ws, (z, y, w, 0.1), (zc, yc, wc, 0.1)),
        (C.cce_logits_ws_backward, (z, y, w, 0.1, g), (zc, yc, wc, 0.1, gc)),
        (C.sparse_ce_logits_ws, (z, lab, w, 0.1), (zc, labc, wc, 0.1)),
        (C.sparse_ce_logits_ws_backward, (z, lab, w, 0.1, g), (zc, labc, wc, 0.1, gc)),
        (C.binary_ce_logits_sum, (z, y), (zc, yc)),
        (C.binary_ce_logits_backward, (z, y, g), (zc, yc, gc)),
        (C.sparse_argmax_hits, (z, lab), (zc, labc)),
        (C.sparse_top_k_hits, (z, lab, 5), (zc, labc, 5)),
    ]
    for uf, args, contiguous in calls:
        np.testing.assert_array_equal(uf(*args), uf(*contiguous), err_msg=uf.__name__)
        # no rows, and rows of no elements
        empty = [a[:0] if isinstance(a, np.ndarray) and a is not w else a for a in args]
        assert uf(*empty).shape[0] == 0
        if uf.__name__ in ("binary_ce_logits_sum", "binary_ce_logits_backward",
                           "cce_logits", "cce_logits_backward", "cce_logits_ws",
                           "cce_logits_ws_backward"):
            none = [a[:, :0] if isinstance(a, np.ndarray) and a.ndim == 2 else
                    a[:0] if a is w else a for a in args]
            with np.errstate(all="ignore"):
                uf(*none)  # an empty row: no crash (cce: NaN, binary: a sum of 0)
    # one label for every row, broadcast; a scalar cotangent
    np.testing.assert_array_equal(C.sparse_ce_logits_backward(z, 3, dtype(1.0)),
                                  C.sparse_ce_logits_backward(zc, np.full(6, 3),
                                                              np.ones(6, dtype)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sparse_class_weight_and_ignore_class_on_the_core(dtype):
    """The class's fast path with class weights and an ignored class: values and
    gradients against a hand formula in float64 (logsumexp by SciPy)."""
    from scipy.special import logsumexp, softmax

    from nnmath import losses as L
    rng = np.random.default_rng(12)
    z = (3 * rng.standard_normal((64, 7))).astype(dtype)
    y = rng.integers(0, 7, 64)
    y[::5] = 4  # the ignored class
    z[5, 2] = np.nan  # an ignored row with a NaN logit: still 0, value and gradient
    cw = rng.uniform(0.5, 2.0, 7)
    valid = y != 4
    z64 = z.astype(np.float64)
    per = np.where(valid, cw[y] * (logsumexp(np.where(valid[:, None], z64, 0), axis=1)
                                   - np.where(valid, z64[np.arange(64), y], 0)), 0.0)
    got = L.sparse_categorical_crossentropy(y, z, from_logits=True, ignore_class=4,
                                            class_weight=cw)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, per, rtol=tol, atol=tol)
    assert got.dtype == dtype and np.all(got[~valid] == 0)
    loss = L.SparseCategoricalCrossentropy(from_logits=True, ignore_class=4, class_weight=cw)
    # Keras: the mean runs over the valid samples
    np.testing.assert_allclose(loss(y, z), per[valid].sum() / valid.sum(), rtol=tol)
    sw = rng.uniform(0, 1, 64)
    grad = loss.gradient(y, z, sample_weight=sw)
    sm = softmax(np.where(valid[:, None], z64, 0), axis=1)
    want = (sw * cw[y] * valid / valid.sum())[:, None] * (sm - np.eye(7)[y])
    np.testing.assert_allclose(grad, want, rtol=10 * tol, atol=tol)
    assert np.all(grad[~valid] == 0)
    mw = L.SparseCategoricalCrossentropy(from_logits=True, class_weight=cw,
                                         reduction="mean_with_sample_weight")
    yy = np.where(valid, y, 0)
    p2 = cw[yy] * (logsumexp(z64, axis=1) - z64[np.arange(64), yy])
    ok = np.isfinite(p2)
    np.testing.assert_allclose(mw(yy[ok], z[ok], sample_weight=sw[ok]),
                               (sw * p2)[ok].sum() / (sw * cw[yy])[ok].sum(), rtol=tol)


def assert_row_gradient(got, c, mp_grad, scale, dtype, info):
    """A gradient row ``got`` against ``c`` times mpmath's ``mp_grad``: within 2 ulps of
    its dtype, or (a difference of two terms) 4 ulps of the larger term, ``scale``."""
    ref = np.array([float(c * v) for v in mp_grad])
    with np.errstate(over="ignore", under="ignore"):
        ref_t = ref.astype(dtype)
    floor = 4 * abs(float(c)) * float(np.finfo(dtype).eps) * np.array(scale)
    bad = (ulps(got, ref_t) > 2) & ~(np.abs(got - ref) <= floor)
    assert not bad.any(), (*info, got[bad][:3], ref[bad][:3])


def mp_binary_general(x, y, w, s, probs, lo, hi):
    """binary_ce_sum's row and its gradient by mpmath: smoothing, weights, logits or
    clipped probabilities (the clip's bounds given in float64, as the core rounds them)."""
    with mpmath.workdps(60):
        terms, grads, scales = [], [], []
        for xj, yj, wj in zip(map(float, x), map(float, y), map(float, w), strict=True):
            yj = mpmath.mpf(yj) * (1 - mpmath.mpf(s)) + mpmath.mpf(s) / 2
            wy = mpmath.mpf(wj) * yj
            if probs:
                p = min(max(mpmath.mpf(xj), mpmath.mpf(lo)), mpmath.mpf(hi))
                terms.append(-(wy * mpmath.log(p) + (1 - yj) * mpmath.log(1 - p)))
                inside = lo <= xj <= hi
                grads.append(((1 - yj) / (1 - p) - wy / p) if inside else mpmath.mpf(0))
                scales.append(abs((1 - yj) / (1 - p)) + abs(wy / p))
            else:
                z = mpmath.mpf(xj)
                sp_pos = mpmath.log1p(mpmath.exp(-abs(z))) + max(z, 0)  # softplus(z)
                sp_neg = sp_pos - z  # softplus(-z)
                terms.append(wy * sp_neg + (1 - yj) * sp_pos)
                sig = 1 / (1 + mpmath.exp(-z))
                grads.append((1 - yj) * sig - wy * (1 - sig))
                scales.append(abs((1 - yj) * sig) + abs(wy * (1 - sig)))
        return mpmath.fsum(terms), grads, [float(v) for v in scales]


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_ce_sum_general_against_mpmath(dtype):
    """Probabilities (at and beyond the clip bounds, 0 and 1 themselves) and logits, with
    positive weights and label smoothing: the float64 row sums within a few float64 ulps
    (float64 rows) or 2^-40 relative (float16/32 rows: float32 exp and log1p) of mpmath;
    the gradient within 2 ulps of its dtype, or (a difference of two terms) 4 ulps of
    the larger term."""
    rng = np.random.default_rng(21)
    lo = float(np.float32(1e-7)) if dtype != np.float64 else 1e-7
    hi = float(np.float32(1 - 1e-7)) if dtype != np.float64 else 1 - 1e-7
    edge = np.array([0.0, 1.0, 1e-7, 1 - 1e-7, 1e-9, 1 - 1e-9, 0.5, 1e-3])
    cases = []
    for probs in (0.0, 1.0):
        for n in (1, 8, 37, 1030):
            x = rng.uniform(0, 1, (2, n)) if probs else rng.normal(0, 6, (2, n))
            if probs and n >= 8:
                x[0, :8] = edge
            y = rng.uniform(0, 1, (2, n))
            y[1] = y[1] > 0.5
            for w, s in ((np.ones(n), 0.0), (rng.uniform(0.2, 3, n), 0.1), (np.full(n, 2.0), 0.0)):
                cases.append((x, y, w, s, probs))
    for x, y, w, s, probs in cases:
        x, y = x.astype(dtype), y.astype(dtype)
        c = rng.normal(0, 1, len(x)).astype(dtype)
        with np.errstate(all="raise"):
            got = C.binary_ce_sum(x, y, w, s, probs)
            grad = C.binary_ce_backward(x, y, w, s, probs, c)
        rel = 8 * 2.0**-52 if dtype == np.float64 else 2.0**-40
        for i in range(len(x)):
            want, wg, scale = mp_binary_general(x[i], y[i], w, s, probs, lo, hi)
            assert abs(got[i] - float(want)) <= rel * float(want) + 1e-300, (probs, s, i)
            assert_row_gradient(grad[i], c[i], wg, scale, dtype, (probs, s, x[i]))


def test_binary_ce_sum_marks_rows_for_the_reference():
    x = np.array([[0.2, 0.3], [1.5, 0.2], [np.nan, 0.1], [0.2, 0.3]])
    y = np.array([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [2.0, 1.0]])
    got = C.binary_ce_sum(x, y, np.ones(2), 0.0, 1.0)
    assert np.isfinite(got[0]) and np.isnan(got[1:]).all()
    z = np.array([[np.inf, 0.0], [1.0, 2.0]])
    got = C.binary_ce_sum(z, np.zeros((2, 2)), np.ones(2), 0.2, 0.0)
    assert np.isnan(got[0]) and np.isfinite(got[1])


@pytest.mark.parametrize("from_logits", [False, True])
def test_binary_loss_options_on_the_core_against_the_reference(from_logits):
    """The functions and classes with pos_weight and label smoothing (the core) against the
    array-API formulas of the same loss (run on array-api-strict arrays: the reference)."""
    xp = pytest.importorskip("array_api_strict")
    from nnmath import losses as L
    rng = np.random.default_rng(5)
    y = (rng.uniform(0, 1, (40, 6)) > 0.4).astype(np.float64)
    x = rng.normal(0, 3, (40, 6)) if from_logits else rng.uniform(0, 1, (40, 6))
    pw = rng.uniform(0.5, 2, 6)
    kw = {"from_logits": from_logits, "label_smoothing": 0.2, "pos_weight": pw}
    got = L.binary_crossentropy(y, x, **kw)
    ref = np.asarray(L.binary_crossentropy(xp.asarray(y), xp.asarray(x), **kw))
    np.testing.assert_allclose(got, ref, rtol=1e-13)
    loss = L.BinaryCrossentropy(**kw)
    sw = rng.uniform(0, 1, 40)
    np.testing.assert_allclose(loss(y, x, sample_weight=sw),
                               float(loss(xp.asarray(y), xp.asarray(x),
                                          sample_weight=xp.asarray(sw))), rtol=1e-13)
    np.testing.assert_allclose(loss.gradient(y, x, sample_weight=sw),
                               np.asarray(loss.gradient(xp.asarray(y), xp.asarray(x),
                                                        sample_weight=xp.asarray(sw))),
                               rtol=1e-12, atol=1e-15)


def mp_cce_probs(p, y, w, s, lo, hi):
    """Keras's categorical cross-entropy of probabilities by mpmath: renormalise, clip
    (bounds given as the core rounds them), smooth, weight; and its gradient in p."""
    with mpmath.workdps(60):
        n = len(p)
        pm = [mpmath.mpf(float(v)) for v in p]
        total = mpmath.fsum(pm)
        total = total if total > 0 else mpmath.mpf(1)
        ys = [mpmath.mpf(float(v)) * (1 - mpmath.mpf(s)) + mpmath.mpf(s) / n for v in y]
        wy = [mpmath.mpf(float(a)) * b for a, b in zip(w, ys, strict=True)]
        r = [v / total for v in pm]
        rc = [min(max(v, mpmath.mpf(lo)), mpmath.mpf(hi)) for v in r]
        loss = -mpmath.fsum(a * mpmath.log(b) for a, b in zip(wy, rc, strict=True))
        g = [(-a / b if lo <= v <= hi else mpmath.mpf(0))
             for a, b, v in zip(wy, rc, r, strict=True)]
        dot = mpmath.fsum(a * b for a, b in zip(g, r, strict=True))
        grad = [(a - dot) / total for a in g]
        scale = [float((abs(a) + abs(dot)) / total) for a in g]
        return loss, grad, scale


@pytest.mark.parametrize("dtype", DTYPES)
def test_cce_and_sparse_probs_against_mpmath(dtype):
    """cce_probs and sparse_ce_probs (float64 values) within a few float64 ulps (float64
    rows) or 2^-40 relative of mpmath; gradients within 2 ulps of their dtype or 4 ulps
    of the larger of the two terms they subtract; rows that do not sum to 1, rows with
    zeros and entries beyond the clip bounds, rows longer than a block."""
    rng = np.random.default_rng(33)
    lo = float(np.float32(1e-7)) if dtype != np.float64 else 1e-7
    hi = float(np.float32(1 - 1e-7)) if dtype != np.float64 else 1 - 1e-7
    for n in (1, 3, 10, 1030):
        p = rng.dirichlet(np.ones(n) * 0.3, 3)
        p[1] *= 0.7  # not summing to 1
        if n >= 3:
            p[2, :2] = [0.0, 1e-9]
        lab = rng.integers(0, n, 3)
        y = np.eye(n)[lab]
        w = rng.uniform(0.5, 2, n)
        for s in (0.0, 0.1):
            pt, yt = p.astype(dtype), y.astype(dtype)
            c = rng.normal(0, 1, 3).astype(dtype)
            with np.errstate(all="raise"):
                v = C.cce_probs(pt, yt, w, s)
                g = C.cce_probs_backward(pt, yt, w, s, c)
                vs = C.sparse_ce_probs(pt, lab)
                gs = C.sparse_ce_probs_backward(pt, lab, c)
            rel = 8 * 2.0**-52 if dtype == np.float64 else 2.0**-40
            for i in range(3):
                want, wg, scale = mp_cce_probs(pt[i], yt[i], w, s, lo, hi)
                assert abs(v[i] - float(want)) <= rel * float(want) + 1e-300, (n, s, i)
                assert_row_gradient(g[i], c[i], wg, scale, dtype, (n, s, i))
                if s == 0.0:
                    want, wg, scale = mp_cce_probs(pt[i], yt[i], np.ones(n), 0.0, lo, hi)
                    assert abs(vs[i] - float(want)) <= rel * float(want) + 1e-300
                    assert_row_gradient(gs[i], c[i], wg, scale, dtype, (n, i))
    # rows the core leaves to the reference: NaN
    p = np.array([[0.2, 0.8], [1.2, 0.1], [np.nan, 0.5], [0.5, 0.5]])
    y = np.array([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [-0.5, 1.0]])
    assert np.isnan(C.cce_probs(p, y, np.ones(2), 0.0)[1:]).all()
    assert np.isnan(C.sparse_ce_probs(p, np.array([1, 1, 1, 2]))[1:]).all()


@pytest.mark.parametrize("cls", ["CategoricalCrossentropy", "SparseCategoricalCrossentropy"])
def test_probability_losses_on_the_core_against_the_reference(cls):
    """The classes from probabilities (the core) against the array-API formulas of the same
    loss on array-api-strict arrays (the reference), with class weights and smoothing."""
    xp = pytest.importorskip("array_api_strict")
    from nnmath import losses as L
    rng = np.random.default_rng(8)
    p = rng.dirichlet(np.ones(5), 30) * rng.uniform(0.5, 1, (30, 1))
    lab = rng.integers(0, 5, 30)
    y = lab if cls.startswith("Sparse") else np.eye(5)[lab]
    cw = rng.uniform(0.5, 2, 5)
    kw = {"class_weight": cw} if cls.startswith("Sparse") else {
        "class_weight": cw, "label_smoothing": 0.1}
    loss = getattr(L, cls)(**kw)
    sw = rng.uniform(0, 1, 30)
    np.testing.assert_allclose(
        loss(y, p, sample_weight=sw),
        float(loss(xp.asarray(y), xp.asarray(p), sample_weight=xp.asarray(sw))), rtol=1e-13)
    np.testing.assert_allclose(
        loss.gradient(y, p, sample_weight=sw),
        np.asarray(loss.gradient(xp.asarray(y), xp.asarray(p), sample_weight=xp.asarray(sw))),
        rtol=1e-11, atol=1e-14)
# -- sparse_eval_rows: the evaluation's per-row numbers in one pass -------------------------

def eval_reference(z, y):
    """(pred, rank) by NumPy: np.argmax and the count of scores above z[y]; -1 for a row
    with a NaN, rank -1 for a label outside [0, n)."""
    n = z.shape[-1]
    nan = np.isnan(z).any(axis=-1)
    pred = np.where(nan, -1, np.argmax(np.where(np.isnan(z), -np.inf, z), axis=-1))
    zy = np.take_along_axis(z, np.clip(y, 0, n - 1)[:, None], axis=-1)
    with np.errstate(invalid="ignore"):
        above = np.sum(z > zy, axis=-1)
    rank = np.where(nan | (y < 0) | (y >= n), -1, above)
    return pred, rank


def eval_rows_case(dtype, n, rng, rows=600):
    """Rows of n scores with ties, zeros of both signs, infinities and NaNs, at several
    scales, and labels partly outside [0, n)."""
    scale = rng.choice([0.1, 3.0, 30.0, 1000.0], (rows, 1))
    with np.errstate(over="ignore"):
        z = (rng.standard_normal((rows, n)) * scale).astype(dtype)
        for p, v in ((0.05, 0.0), (0.02, -0.0), (0.01, np.inf), (0.01, -np.inf),
                     (0.002, np.nan)):
            z[rng.random((rows, n)) < p] = v
        z[::7] = np.round(z[::7])  # many ties
        z[5::11] = -np.inf  # no finite entry
        z[6::13] = np.finfo(dtype).max  # z - max below the float64 range (float64 rows)
        z[6::13, 0] = -np.finfo(dtype).max
    return z, rng.integers(-1, n + 1, rows)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sparse_eval_rows_against_numpy_and_sparse_ce_logits(dtype):
    """pred is np.argmax, rank the count of scores above the label's, and loss the bits of
    sparse_ce_logits, for rows narrow (the across-rows kernel, up to 32 scores) and wide,
    with every special case; no floating-point warning."""
    rng = np.random.default_rng(41)
    for n in (1, 2, 3, 7, 8, 9, 10, 16, 17, 31, 32, 33, 100, 1025):
        z, y = eval_rows_case(dtype, n, rng)
        with np.errstate(all="raise"):
            pred, rank, loss = C.sparse_eval_rows(z, y)
            want_loss = C.sparse_ce_logits(z, y)
        want_pred, want_rank = eval_reference(z, y)
        assert pred.dtype == rank.dtype == np.int64 and loss.dtype == dtype
        np.testing.assert_array_equal(pred, want_pred, err_msg=f"n={n}")
        np.testing.assert_array_equal(rank, want_rank, err_msg=f"n={n}")
        assert loss.tobytes() == want_loss.tobytes(), f"n={n}"


@pytest.mark.parametrize("dtype", DTYPES)
def test_sparse_eval_rows_loss_against_mpmath(dtype):
    """The loss is -log_softmax(z)[y] within the targets of sparse_ce_logits (float16 and
    float32 to 1 ulp, float64 to 2), also on the special rows."""
    rng = np.random.default_rng(42)
    for z, y in rows_and_labels(dtype, rng):
        _, _, loss = C.sparse_eval_rows(z, y)
        want = np.array([mp_loss_and_grad(row, int(lab), 1.0)[0]
                         for row, lab in zip(z, y, strict=True)], dtype=dtype)
        assert ulps(loss, want).max() <= (2 if dtype == np.float64 else 1)


def test_sparse_eval_rows_accuracies_against_the_hits():
    """Accuracy's hit is pred == y and the top-k hit rank < k: the same decisions as
    sparse_argmax_hits and sparse_top_k_hits, on rows of small integers (many ties)."""
    rng = np.random.default_rng(43)
    for n in (2, 5, 10, 40):
        z = rng.integers(-2, 3, (500, n)).astype(np.float32)
        y = rng.integers(0, n, 500)
        pred, rank, _ = C.sparse_eval_rows(z, y)
        np.testing.assert_array_equal(pred == y, C.sparse_argmax_hits(z, y) == 1)
        for k in (1, 2, 5, n):
            np.testing.assert_array_equal(rank < k, C.sparse_top_k_hits(z, y, k) == 1)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sparse_eval_rows_layouts_and_threads(dtype):
    """Strided, reversed and Fortran-ordered rows, broadcast labels, out= arrays, and a
    call split over threads give the contiguous call's results."""
    rng = np.random.default_rng(44)
    z, y = eval_rows_case(dtype, 10, rng, rows=3000)
    want = C.sparse_eval_rows(z, y)
    zf = np.asfortranarray(z)
    for zz, yy, sl in ((zf, y, slice(None)), (z[::-1], y[::-1], slice(None, None, -1)),
                       (z[::3], y[::3], slice(None, None, 3))):
        for got, w in zip(C.sparse_eval_rows(zz, yy), want, strict=True):
            assert got.tobytes() == np.ascontiguousarray(w[sl]).tobytes()
    got = C.sparse_eval_rows(z[:4], np.int64(2))
    np.testing.assert_array_equal(got[0], want[0][:4])
    outs = (np.empty(3000, np.int64), np.empty(3000, np.int64), np.empty(3000, dtype))
    C.sparse_eval_rows(z, y, out=outs)
    old = C._umath._set_parallel_min(1)
    try:
        split = C.sparse_eval_rows(z, y)
    finally:
        C._umath._set_parallel_min(old)
    for a, b, c in zip(outs, split, want, strict=True):
        assert a.tobytes() == b.tobytes() == c.tobytes()


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_short_rows_give_the_row_by_row_bits(dtype):
    """Rows of up to 8 terms (an (N, 1) column of a binary classifier) take a path that
    computes many rows' terms in one pass: its sums and gradients are the bits of the
    row-by-row path (one row per call), for every option; strided rows still work."""
    rng = np.random.default_rng(17)
    for n in (1, 2, 5, 8, 9):
        z = rng.normal(0, 6, (3000, n)).astype(dtype)
        p = rng.uniform(0, 1, (3000, n)).astype(dtype)
        y = rng.uniform(0, 1, (3000, n)).astype(dtype)
        y[::7] = np.round(y[::7])
        z[5, 0], y[9, 0] = np.nan, 1.5  # refused rows: NaN
        c = rng.normal(0, 1, 3000).astype(dtype)
        w = rng.uniform(0.5, 2, n)
        calls = [
            (lambda a, b, cc: C.binary_ce_logits_sum(a, b),
             lambda a, b, cc: C.binary_ce_logits_backward(a, b, cc), z),
            (lambda a, b, cc, w=w: C.binary_ce_sum(a, b, w, 0.1, 0.0),
             lambda a, b, cc, w=w: C.binary_ce_backward(a, b, w, 0.1, 0.0, cc), z),
            (lambda a, b, cc, w=w: C.binary_ce_sum(a, b, w, 0.0, 1.0),
             lambda a, b, cc, w=w: C.binary_ce_backward(a, b, w, 0.0, 1.0, cc), p),
        ]
        for total, back, x in calls:
            whole, grads = total(x, y, c), back(x, y, c)
            rows = range(0, 3000, 37)
            one = np.array([total(x[i:i + 1], y[i:i + 1], c[i:i + 1])[0] for i in rows])
            np.testing.assert_array_equal(whole[::37], one)
            one_g = np.concatenate([back(x[i:i + 1], y[i:i + 1], c[i:i + 1]) for i in rows])
            np.testing.assert_array_equal(grads[::37], one_g)
            # a strided view: the row-by-row path, the same values
            np.testing.assert_array_equal(total(x[::2], y[::2], c[::2]), whole[::2])
            np.testing.assert_array_equal(back(x[::2], y[::2], c[::2]), grads[::2])
        assert np.isnan(C.binary_ce_logits_sum(z, y)[[5, 9]]).all()


def test_binary_gradient_without_a_value_pass_still_refuses_and_takes_limits():
    """The class's gradient makes no value pass: entries the core refuses (a probability
    or target outside [0, 1]) still raise the reference's error, and infinite or NaN
    logits give the reference's gradient (array-API formulas on array-api-strict)."""
    xp = pytest.importorskip("array_api_strict")
    from nnmath import losses as L
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        L.BinaryCrossentropy().gradient(np.array([[1.0, 0.0]]), np.array([[1.5, 0.2]]))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        L.BinaryCrossentropy(from_logits=True).gradient(np.array([[2.0, 0.0]]),
                                                        np.array([[1.0, 0.2]]))
    z = np.array([[np.inf, -np.inf, 3.0], [np.nan, 1.0, -2.0]])
    y = np.array([[1.0, 0.0, 0.5], [1.0, 0.0, 1.0]])
    for kw in ({}, {"label_smoothing": 0.1, "pos_weight": [1.0, 2.0, 0.5]}):
        loss = L.BinaryCrossentropy(from_logits=True, **kw)
        want = np.asarray(loss.gradient(xp.asarray(y), xp.asarray(z)))
        np.testing.assert_allclose(loss.gradient(y, z), want, rtol=1e-14)

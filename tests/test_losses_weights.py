"""Loss numerics at the edges: weighted reductions with huge and subnormal weights,
``class_weight`` against PyTorch's weighted mean, focal and exponential limits, and the
dtype policy (long double is refused).

Expected values are derived here from the definitions with NumPy float64 (or from
PyTorch, when it is installed), never from the code under test.
"""

from __future__ import annotations

import numpy as np
import pytest

import nnmath.activations as A
import nnmath.losses as L
import nnmath.metrics as M

Y = np.array([[1.0], [0.0], [1.0]])
P = np.array([[0.8], [0.4], [0.3]])
# binary cross-entropy per sample, by hand
BCE = -np.array([np.log(0.8), np.log1p(-0.4), np.log(0.3)])


# -- weighted reductions ----------------------------------------------------------------------

@pytest.mark.parametrize("w", [5e-324, 1e-310, 2.5e-320])
def test_mean_with_sample_weight_equal_subnormal_weights(w):
    loss = L.BinaryCrossentropy(reduction="mean_with_sample_weight")
    got = loss(Y, P, sample_weight=[w, w, w])
    assert got == pytest.approx(BCE.mean(), rel=1e-15)
    grad = loss.gradient(Y, P, sample_weight=[w, w, w])
    expected = (-(Y / P) + (1 - Y) / (1 - P)) / 3
    np.testing.assert_allclose(grad, expected, rtol=1e-15)


def test_mean_with_sample_weight_unequal_subnormal_weights():
    w = np.array([1, 2, 5]) * 5e-324  # multiples of the smallest subnormal: exact
    got = L.BinaryCrossentropy(reduction="mean_with_sample_weight")(Y, P, sample_weight=w)
    assert got == pytest.approx((BCE * [1, 2, 5]).sum() / 8, rel=1e-15)


def test_huge_weights_beyond_float32():
    y32, p32 = Y.astype(np.float32), P.astype(np.float32)
    mean = L.BinaryCrossentropy(reduction="mean_with_sample_weight")
    got = mean(y32, p32, sample_weight=[1e39, 1e39, 2e39])
    assert got.dtype == np.float32
    assert got == pytest.approx((BCE * [1, 1, 2]).sum() / 4, rel=1e-6)
    g = mean.gradient(y32, p32, sample_weight=[1e39, 1e39, 2e39])
    expected = (-(Y / P) + (1 - Y) / (1 - P)) * np.array([[1], [1], [2]]) / 4
    np.testing.assert_allclose(g, expected, rtol=1e-6)
    # the sum is beyond float32 indeed: inf is its correctly rounded value, no warning
    assert L.BinaryCrossentropy(reduction="sum")(y32, p32, sample_weight=[1e39] * 3) == np.inf
    # float32 weights whose sum overflows float32
    w32 = np.full(3, 3e38, dtype=np.float32)
    assert mean(y32, p32, sample_weight=w32) == pytest.approx(BCE.mean(), rel=1e-6)


def test_huge_float64_weights():
    w = np.array([1e300, 1e308, 1e308])
    got = L.BinaryCrossentropy(reduction="mean_with_sample_weight")(Y, P, sample_weight=w)
    assert got == pytest.approx((BCE * [1e-8, 1, 1]).sum() / (2 + 1e-8), rel=1e-14)
    got = L.BinaryCrossentropy(reduction="sum_over_batch_size")(Y, P, sample_weight=w / 10)
    assert got == pytest.approx((BCE * (w / 1e308)).sum() / 3 * 1e307, rel=1e-14)
    got = L.BinaryCrossentropy(reduction="sum")(Y, P, sample_weight=[1e300] * 3)
    assert got == pytest.approx(BCE.sum() * 1e300, rel=1e-14)


def test_zero_and_empty_weights():
    loss = L.BinaryCrossentropy(reduction="mean_with_sample_weight")
    assert loss(Y, P, sample_weight=[0.0, 0.0, 0.0]) == 0.0
    np.testing.assert_array_equal(loss.gradient(Y, P, sample_weight=[0.0, 0.0, 0.0]),
                                  np.zeros((3, 1)))
    empty = np.zeros((0, 1))
    assert L.BinaryCrossentropy()(empty, empty + 0.5, sample_weight=np.zeros(0)) == 0.0


# -- class_weight: the weighted mean of PyTorch -----------------------------------------------

Z = np.array([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0], [2.0, 2.0, 2.0], [0.0, 5.0, -3.0]])
LABELS = np.array([0, 2, 1, 2])
CW = np.array([0.2, 1.0, 3.0])


def _ce_by_hand(z, labels):
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -logp[np.arange(len(labels)), labels]


def test_sparse_class_weight_mean_divides_by_target_weights():
    ce = _ce_by_hand(Z, LABELS)
    wt = CW[LABELS]
    loss = L.SparseCategoricalCrossentropy(from_logits=True, class_weight=CW,
                                           reduction="mean_with_sample_weight")
    assert loss(LABELS, Z) == pytest.approx((wt * ce).sum() / wt.sum(), rel=1e-14)
    sw = np.array([1.0, 0.5, 2.0, 0.0])
    assert loss(LABELS, Z, sample_weight=sw) == pytest.approx(
        (sw * wt * ce).sum() / (sw * wt).sum(), rel=1e-14)
    # Keras's mean (sum_over_batch_size) still divides by the number of samples
    keras = L.SparseCategoricalCrossentropy(from_logits=True, class_weight=CW)
    assert keras(LABELS, Z) == pytest.approx((wt * ce).sum() / 4, rel=1e-14)
    # the gradient: d/dz of Σ c_y ce / Σ c_y = c_y (softmax(z) - onehot) / Σ c_y
    soft = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    expected = wt[:, None] * (soft - np.eye(3)[LABELS]) / wt.sum()
    np.testing.assert_allclose(loss.gradient(LABELS, Z), expected, rtol=1e-13, atol=1e-16)


def test_class_weight_mean_with_ignore_class():
    labels = np.array([0, -1, 1, 2])
    ce = _ce_by_hand(Z[[0, 2, 3]], labels[[0, 2, 3]])
    wt = CW[labels[[0, 2, 3]]]
    loss = L.SparseCategoricalCrossentropy(from_logits=True, class_weight=CW, ignore_class=-1,
                                           reduction="mean_with_sample_weight")
    assert loss(labels, Z) == pytest.approx((wt * ce).sum() / wt.sum(), rel=1e-14)


def test_categorical_class_weight_mean_divides_by_target_weights():
    onehot = np.eye(3)[LABELS]
    ce = _ce_by_hand(Z, LABELS)
    wt = CW[LABELS]
    loss = L.CategoricalCrossentropy(from_logits=True, class_weight=CW,
                                     reduction="mean_with_sample_weight")
    assert loss(onehot, Z) == pytest.approx((wt * ce).sum() / wt.sum(), rel=1e-14)


def test_class_weight_matches_pytorch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    z, lab, cw = torch.tensor(Z), torch.tensor(LABELS), torch.tensor(CW)
    for ls in (0.0, 0.1):
        ref = F.cross_entropy(z, lab, weight=cw, label_smoothing=ls).item()
        got = L.SparseCategoricalCrossentropy(from_logits=True, class_weight=CW,
                                              label_smoothing=ls,
                                              reduction="mean_with_sample_weight")(LABELS, Z)
        assert got == pytest.approx(ref, rel=1e-13)
        # probability targets: PyTorch's mean divides by the batch size (Keras's mean)
        onehot = np.eye(3)[LABELS]
        ref = F.cross_entropy(z, torch.tensor(onehot), weight=cw, label_smoothing=ls).item()
        got = L.CategoricalCrossentropy(from_logits=True, class_weight=CW,
                                        label_smoothing=ls)(onehot, Z)
        assert got == pytest.approx(ref, rel=1e-13)
    lab_ign = torch.tensor([0, -100, 1, 2])
    ref = F.cross_entropy(z, lab_ign, weight=cw, ignore_index=-100).item()
    got = L.SparseCategoricalCrossentropy(from_logits=True, class_weight=CW, ignore_class=-100,
                                          reduction="mean_with_sample_weight")(
        [0, -100, 1, 2], Z)
    assert got == pytest.approx(ref, rel=1e-13)
    ref = F.cross_entropy(z, lab, weight=cw, reduction="sum").item()
    got = L.SparseCategoricalCrossentropy(from_logits=True, class_weight=CW,
                                          reduction="sum")(LABELS, Z)
    assert got == pytest.approx(ref, rel=1e-13)


# -- limits of gradients -------------------------------------------------------------------------

@pytest.mark.parametrize("gamma", [0.25, 0.5, 0.999])
def test_binary_focal_gradient_at_p_equal_y(gamma):
    loss = L.BinaryFocalCrossentropy(gamma=gamma, reduction="sum")
    y = np.array([[1.0, 0.0]])
    g = loss.gradient(y, y.copy())
    # q = |y - p| = 0: the focal term q^γ · bce vanishes like q^(γ+1); the limit is 0
    np.testing.assert_array_equal(g, np.zeros_like(y))


def test_exponential_backward_zero_upstream_beyond_range():
    act = A.Exponential()
    assert act.backward(1e16, 0.0) == 0.0
    got = act.backward(np.array([1e16, 800.0, 1.0], dtype=np.float32),
                       np.array([0.0, 0.0, 2.0], dtype=np.float32))
    np.testing.assert_allclose(got, [0.0, 0.0, 2 * np.e], rtol=1e-7)
    # g e^x is finite although e^x is not
    assert act.backward(1000.0, 1e-300) == pytest.approx(np.exp(1000.0 - 690.7755278982137)
                                                         * 1e-300 * np.exp(690.7755278982137),
                                                         rel=1e-12)


# -- the dtype policy: long double is refused ---------------------------------------------------

LONG = np.array([[0.25, 0.75]], dtype=np.longdouble)
needs_long = pytest.mark.skipif(np.dtype(np.longdouble).itemsize <= 8,
                                reason="long double is float64 on this platform")


@needs_long
@pytest.mark.parametrize("call", [
    lambda: A.sigmoid(LONG),
    lambda: A.Sigmoid()(LONG),
    lambda: A.GELU().gradient(LONG),
    lambda: A.softmax(LONG),
    lambda: A.Softmax().backward(np.ones((1, 2)), LONG),
    lambda: L.binary_crossentropy(np.ones((1, 2)), LONG),
    lambda: L.BinaryCrossentropy()(LONG, np.full((1, 2), 0.5)),
    lambda: L.BinaryCrossentropy()(np.ones((1, 2)), np.full((1, 2), 0.5),
                                   sample_weight=LONG[0, :1]),
    lambda: M.binary_accuracy(np.ones((1, 2)), LONG),
    lambda: M.BinaryAccuracy().update_state(np.ones((1, 2)), LONG),
], ids=range(10))
def test_long_double_refused(call):
    with pytest.raises(TypeError, match="long double"):
        call()


@needs_long
def test_long_double_labels_refused():
    with pytest.raises(TypeError, match="y_true"):
        L.sparse_categorical_crossentropy(np.array([1], dtype=np.longdouble), [[0.5, 0.5]])

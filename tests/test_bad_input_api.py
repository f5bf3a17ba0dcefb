"""Bad and extreme input to the API: exact answers, no warnings, clear errors.

Each test pins a case found by attacking the API with extreme parameters and values; the
expected values are derived by hand in the test.
"""

from __future__ import annotations

import numpy as np
import pytest

import nnmath.activations as A
import nnmath.losses as L


def test_relu_threshold_is_exact_near_the_threshold():
    # s (x - t) with x - t = -2 exactly (Sterbenz): 0.1 * -2 = -0.2; s x - s t gave -0.125
    x = np.array([1e16 - 2, 1e16 + 2])
    y = A.relu(x, negative_slope=0.1, threshold=1e16)
    assert y[0] == 0.1 * -2.0 and y[1] == 1e16 + 2
    g = A.ReLU(negative_slope=0.1, threshold=1e16).backward(x, np.ones(2))
    assert list(g) == [0.1, 1.0]


def test_relu_threshold_huge_slope_is_finite_where_the_math_is():
    # 1e300 * (1e10 - 1 - 1e10) = -1e300: s x and s t each overflow (inf - inf was NaN)
    y = A.relu(np.array([1e10 - 1, 1e20]), negative_slope=1e300, threshold=1e10)
    assert y[0] == -1e300 and y[1] == 1e20
    # x - t beyond the float range, slope < 1: 0.5 (-1e308 - 1e308) = -1e308
    assert A.relu(np.array([-1e308]), negative_slope=0.5, threshold=1e308)[0] == -1e308


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_rectifier_overflow_is_inf_without_a_warning(dtype):
    # 7 * -1e308 is below -max: -inf is the correctly rounded value, not a warning
    x = np.array([-1e308 if dtype == np.float64 else -60000.0, -1.0, 2.0], dtype=dtype)
    slope = 7.0 if dtype == np.float64 else 1e300
    for act in (A.ReLU(negative_slope=slope), A.LeakyReLU(negative_slope=slope)):
        y = act(x)
        assert y.dtype == dtype and np.isneginf(y[0]) and y[2] == 2
        assert act.backward(x, np.ones_like(x))[2] == 1


@pytest.mark.parametrize("weight", [np.nan, np.inf, -np.inf, [0.1, np.nan]])
def test_prelu_refuses_a_weight_that_is_not_finite(weight):
    x = np.array([-1.0, -2.0])
    with pytest.raises(ValueError, match="weight must be finite"):
        A.prelu(x, weight)
    with pytest.raises(ValueError, match="weight must be finite"):
        A.PReLU(weight).gradient(x)


def test_glu_of_infinite_halves_is_quiet_and_its_jacobian_is_zero_off_the_diagonal():
    # a = [inf, 1], b = [-inf, 0]: a * sigmoid(b) = [inf * 0 (no limit: NaN), 0.5]
    x = np.array([np.inf, 1.0, -np.inf, 0.0])
    y = A.glu(x)
    assert np.isnan(y[0]) and y[1] == 0.5
    # J = [diag(sigmoid(b)) | diag(a sigmoid'(b))]; entries off the diagonals are 0, not NaN
    j = A.GLU().gradient(np.array([np.inf, 1.0, 0.0, 0.0]))
    assert j.shape == (2, 4)
    assert j[0, 1] == 0 and j[1, 0] == 0 and j[0, 3] == 0 and j[1, 2] == 0
    assert j[0, 0] == 0.5 and j[1, 1] == 0.5 and np.isposinf(j[0, 2]) and j[1, 3] == 0.25
    v = A.GLU().backward(x, np.ones(2))
    assert v[1] == 0.5 and v[3] == 0.25


@pytest.mark.parametrize("ignore_class", [1.5, 0.999, True])
def test_sparse_crossentropy_refuses_an_ignore_class_that_is_not_an_integer(ignore_class):
    # int(1.5) == 1 silently ignored the samples of class 1


    y, p = np.array([0, 1]), np.array([[0.75, 0.25], [0.5, 0.5]])
    with pytest.raises(TypeError, match="ignore_class must be an integer"):
        L.sparse_categorical_crossentropy(y, p, ignore_class=ignore_class)
    with pytest.raises(TypeError, match="ignore_class must be an integer"):
        L.SparseCategoricalCrossentropy(ignore_class=ignore_class)(y, p)
    # an integral float names the class: -log 0.75 for sample 0, sample 1 ignored (0)
    loss = L.sparse_categorical_crossentropy(y, p, ignore_class=1.0)
    assert loss[0] == pytest.approx(-np.log(0.75), rel=1e-15) and loss[1] == 0


@pytest.mark.parametrize("loss", [L.binary_crossentropy, L.categorical_crossentropy])
@pytest.mark.parametrize("y_true", [[[2.0, -1.0]], [[1.5, 0.0]], [[0.0, -0.25]]])
def test_crossentropy_refuses_targets_outside_the_unit_interval(loss, y_true) -> None:
    """A target of 2 made a term negative: -0.49 for BCE(2, 0.7), a loss below 0."""
    with pytest.raises(ValueError, match=r"y_true must lie in \[0, 1\] for .*got values in"):
        loss(np.array(y_true), np.array([[0.7, 0.3]]))
    # soft targets inside [0, 1] stay accepted; both columns are -(0.25 log 0.7 + 0.75 log 0.3)
    expected = -(0.25 * np.log(0.7) + 0.75 * np.log(0.3))
    got = L.binary_crossentropy(np.array([[0.25, 0.75]]), np.array([[0.7, 0.3]]))
    assert got[0] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("target", [2.0, -0.5, np.inf])
def test_binary_crossentropy_from_logits_refuses_targets_outside_the_unit_interval(target):
    """From logits as from probabilities: a target outside [0, 1] is an error, not a
    negative loss (the compiled path marks the row, the reference names the problem); a
    NaN target gives NaN, as from probabilities."""
    assert np.isnan(L.binary_crossentropy([[np.nan]], [[1.0]], from_logits=True)).all()
    y, z = [[target, 0.0]], [[1.0, -1.0]]
    with pytest.raises(ValueError, match=r"y_true must lie in \[0, 1\]"):
        L.binary_crossentropy(y, z, from_logits=True)
    loss = L.BinaryCrossentropy(from_logits=True)
    with pytest.raises(ValueError, match=r"y_true must lie in \[0, 1\]"):
        loss(y, z)
    with pytest.raises(ValueError, match=r"y_true must lie in \[0, 1\]"):
        loss.gradient(y, z)

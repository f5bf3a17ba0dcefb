"""Property tests (hypothesis): accuracy is invariant to permuting samples and to
monotone transforms of the scores (logits vs softmax / sigmoid probabilities)."""

from __future__ import annotations

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis", reason="hypothesis not installed")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import nnmath.metrics as M  # noqa: E402
from nnmath.activations import log_softmax, sigmoid, softmax  # noqa: E402

# logits on a grid of 1/8 in [-8, 8]: distinct logits stay distinct after softmax (they
# differ by at least 12 %), equal logits stay equal, so ties are preserved exactly
GRID = st.integers(-64, 64).map(lambda i: i / 8)


@st.composite
def classification(draw, max_n: int = 40, max_c: int = 6):
    n = draw(st.integers(1, max_n))
    c = draw(st.integers(2, max_c))
    logits = draw(hnp.arrays(np.float64, (n, c), elements=GRID))
    labels = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    weights = draw(hnp.arrays(np.float64, (n,), elements=st.sampled_from([0.0, 0.5, 1.0, 3.0])))
    perm = np.asarray(draw(st.permutations(range(n))))
    return logits, labels, weights, perm


SETTINGS = settings(max_examples=60, deadline=None, derandomize=True)


@SETTINGS
@given(classification(), st.integers(1, 7))
def test_accuracies_are_invariant_to_permuting_samples(data, k) -> None:
    logits, labels, w, perm = data
    onehot = np.eye(logits.shape[1])[labels]
    for make, y in [(M.SparseCategoricalAccuracy, labels), (M.CategoricalAccuracy, onehot),
                    (lambda: M.SparseTopKCategoricalAccuracy(k=k), labels),
                    (lambda: M.MulticlassAccuracy(logits.shape[1], average="macro"), labels),
                    (lambda: M.BinaryAccuracy(threshold=0.0), onehot)]:
        for sw in (None, w):
            a, b = make(), make()
            a.update_state(y, logits, sample_weight=sw)
            b.update_state(y[perm], logits[perm], sample_weight=None if sw is None else sw[perm])
            assert a.result() == b.result()
            assert a.get_state() == b.get_state()


@SETTINGS
@given(classification(), st.integers(1, 7))
def test_accuracies_are_invariant_to_softmax_of_the_logits(data, k) -> None:
    logits, labels, w, _ = data
    probs = softmax(logits, axis=-1)
    logp = log_softmax(logits, axis=-1)
    onehot = np.eye(logits.shape[1])[labels]
    for scores in (probs, logp, 3.0 * logits + 1.0):
        np.testing.assert_array_equal(M.categorical_accuracy(onehot, scores),
                                      M.categorical_accuracy(onehot, logits))
        np.testing.assert_array_equal(M.sparse_categorical_accuracy(labels, scores),
                                      M.sparse_categorical_accuracy(labels, logits))
        np.testing.assert_array_equal(M.sparse_top_k_categorical_accuracy(labels, scores, k=k),
                                      M.sparse_top_k_categorical_accuracy(labels, logits, k=k))
        np.testing.assert_array_equal(M.top_k_categorical_accuracy(onehot, scores, k=k),
                                      M.top_k_categorical_accuracy(onehot, logits, k=k))
        a, b = M.MulticlassAccuracy(logits.shape[1], top_k=min(k, 3)), M.MulticlassAccuracy(
            logits.shape[1], top_k=min(k, 3))
        assert a(labels, scores, sample_weight=w) == b(labels, logits, sample_weight=w)


@SETTINGS
@given(classification())
def test_binary_accuracy_of_sigmoid_at_half_equals_logits_at_zero(data) -> None:
    logits, labels, w, _ = data
    y = (labels[:, None] == np.arange(logits.shape[1])).astype(float)
    np.testing.assert_array_equal(M.binary_accuracy(y, sigmoid(logits), threshold=0.5),
                                  M.binary_accuracy(y, logits, threshold=0.0))
    assert (M.MultilabelAccuracy(threshold=0.5)(y, sigmoid(logits), sample_weight=w)
            == M.MultilabelAccuracy(threshold=0.0)(y, logits, sample_weight=w))


@SETTINGS
@given(classification())
def test_top_k_grows_with_k_and_reaches_one(data) -> None:
    logits, labels, _, _ = data
    c = logits.shape[1]
    values = [M.SparseTopKCategoricalAccuracy(k=k)(labels, logits) for k in range(1, c + 1)]
    assert values == sorted(values)
    assert values[-1] == 1.0
    # top-1 with Keras's ties: the label's score equals the row's maximum
    at_max = logits[np.arange(labels.size), labels] == logits.max(axis=1)
    assert values[0] == np.count_nonzero(at_max) / labels.size

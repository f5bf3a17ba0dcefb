"""nnmath.metrics: the seed's examples, Keras's decision rules, bad input, references.

Expected values come from the seed notebook's known answers, hand counts written next
to the data, scikit-learn, and (when installed) torchmetrics — never from nnmath.
"""

from __future__ import annotations

import inspect
import json
import math

import numpy as np
import pytest

import nnmath.metrics as M

# -- the seed notebook's three accuracy examples ------------------------------------------------

SEED_BINARY = ([0.0, 1.0, 1.0], [0.4, 0.7, 0.3])
SEED_SOFTMAX_2 = ([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]],
                  [[0.4, 0.6], [0.3, 0.7], [0.05, 0.95], [0.33, 0.67]])
SEED_ARGMAX_4 = ([[0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]],
                 [[0.4, 0.6, 0.0, 0.0], [0.3, 0.2, 0.1, 0.4], [0.05, 0.35, 0.5, 0.1]])


def test_seed_binary_example_is_two_thirds() -> None:
    y_true, y_pred = SEED_BINARY
    assert np.mean(M.binary_accuracy(y_true, y_pred)) == pytest.approx(2 / 3, rel=1e-15)
    assert M.BinaryAccuracy()(y_true, y_pred) == 2 / 3
    # through compile-style resolution the labels need a column: (N, 1) is binary ...
    col_t, col_p = np.array(y_true)[:, None], np.array(y_pred)[:, None]
    assert M.get("accuracy", y_true=col_t, y_pred=col_p)(col_t, col_p) == 2 / 3
    # ... while 1-D/1-D is Keras's categorical surprise: one argmax over the whole batch
    surprise = M.get("accuracy", y_true=np.array(y_true), y_pred=np.array(y_pred))
    assert isinstance(surprise, M.CategoricalAccuracy)
    assert surprise(y_true, y_pred) == 1.0  # argmax [0,1,1] = 1 = argmax [.4,.7,.3]


def test_seed_two_column_softmax_example_is_one_half() -> None:
    y_true, y_pred = SEED_SOFTMAX_2
    # the seed's K.mean(K.equal(y_true, K.round(y_pred))): elementwise binary accuracy
    assert M.BinaryAccuracy()(y_true, y_pred) == 0.5
    # ... and the argmax view agrees (no probability equals 0.5 here)
    assert M.CategoricalAccuracy()(y_true, y_pred) == 0.5
    assert M.get("accuracy", y_true=np.array(y_true), y_pred=np.array(y_pred))(
        y_true, y_pred) == 0.5


def test_seed_four_class_argmax_example_is_two_thirds() -> None:
    y_true, y_pred = SEED_ARGMAX_4
    assert M.CategoricalAccuracy()(y_true, y_pred) == 2 / 3
    labels = np.argmax(y_true, axis=1)
    assert M.SparseCategoricalAccuracy()(labels, y_pred) == 2 / 3
    assert M.MulticlassAccuracy(4)(labels, y_pred) == 2 / 3


# -- Keras's decision rules -------------------------------------------------------------------

def test_binary_threshold_is_strict() -> None:
    np.testing.assert_array_equal(M.binary_accuracy([0, 1, 1], [0.5, 0.5, 0.5000001]),
                                  [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(
        M.binary_accuracy([1, 0], [0.0, -1e-300], threshold=0.0), [0.0, 1.0])


def test_threshold_is_rounded_to_the_dtype_of_y_pred_like_a_weak_scalar() -> None:
    p = np.array([0.1], dtype=np.float32)  # 0.100000001490116...
    # compared in float32, 0.1f is not above threshold 0.1 -> 0.1f (Keras's float32)
    assert M.binary_accuracy([0.0], p, threshold=0.1)[0] == 1.0
    assert M.binary_accuracy([0.0], p, threshold=0.1).dtype == np.float32


def test_categorical_ties_go_to_the_first_index() -> None:
    y_pred = [[0.3, 0.3, 0.3, 0.1], [0.1, 0.45, 0.45, 0.0]]
    np.testing.assert_array_equal(M.categorical_accuracy([[1, 0, 0, 0], [0, 0, 1, 0]], y_pred),
                                  [1.0, 0.0])
    np.testing.assert_array_equal(M.sparse_categorical_accuracy([1, 1], y_pred), [0.0, 1.0])


def test_top_k_counts_a_tie_with_the_kth_score_as_a_hit() -> None:
    scores = [[0.5, 0.2, 0.2, 0.1]]
    for label, k, hit in [(1, 2, 1.0), (2, 2, 1.0), (3, 2, 0.0), (3, 3, 0.0), (3, 4, 1.0),
                          (1, 1, 0.0), (0, 1, 1.0)]:
        assert M.sparse_top_k_categorical_accuracy([label], scores, k=k)[0] == hit, (label, k)
        one_hot = np.eye(4)[[label]]
        assert M.top_k_categorical_accuracy(one_hot, scores, k=k)[0] == hit, (label, k)


def test_k_at_or_beyond_the_class_count_always_hits() -> None:
    scores = np.array([[0.1, 0.2, 0.7], [-np.inf, 0.0, np.inf]])
    for k in (3, 4, 100):
        np.testing.assert_array_equal(M.sparse_top_k_categorical_accuracy([0, 0], scores, k=k),
                                      [1.0, 1.0])
    np.testing.assert_array_equal(M.sparse_top_k_categorical_accuracy([0, 0], scores, k=2),
                                  [0.0, 0.0])


def test_sorted_ids_take_the_first_k_ids() -> None:
    ids = [[4, 9, 2], [1, 0, 3]]
    np.testing.assert_array_equal(
        M.sparse_top_k_categorical_accuracy([2, 3], ids, k=2, from_sorted_ids=True), [0.0, 0.0])
    np.testing.assert_array_equal(
        M.sparse_top_k_categorical_accuracy([[2], [3]], ids, k=3, from_sorted_ids=True),
        [1.0, 1.0])


def test_sparse_labels_may_be_a_column_or_integral_floats() -> None:
    y_pred = [[0.2, 0.8], [0.9, 0.1], [0.4, 0.6]]
    want = [1.0, 1.0, 0.0]
    for labels in ([1, 0, 0], [[1], [0], [0]], np.array([1.0, 0.0, 0.0]), [True, False, False]):
        np.testing.assert_array_equal(M.sparse_categorical_accuracy(labels, y_pred), want)


def test_accuracy_uses_keras_rank_rule_and_compares_in_y_pred_dtype() -> None:
    np.testing.assert_array_equal(M.accuracy([[1], [2]], [1, 3]), [[1.0], [0.0]])
    np.testing.assert_array_equal(M.accuracy([1, 2], [[1], [3]]), [[1.0], [0.0]])
    # 0.1 (float64) becomes 0.1f when compared with float32 predictions
    assert M.accuracy([0.1], np.array([0.1], dtype=np.float32))[0] == 1.0


def test_result_is_a_python_float_and_zero_before_any_update() -> None:
    for metric in (M.Accuracy(), M.BinaryAccuracy(), M.CategoricalCrossentropy(),
                   M.MulticlassAccuracy(3), M.MultilabelAccuracy()):
        assert type(metric.result()) is float
        assert metric.result() == 0.0


def test_dtype_policy_of_the_functions() -> None:
    for dtype in (np.float16, np.float32, np.float64):
        out = M.categorical_accuracy(np.eye(3, dtype=dtype), np.eye(3, dtype=dtype))
        assert out.dtype == dtype
        np.testing.assert_array_equal(out, [1, 1, 1])
    assert M.accuracy(np.array([1, 2], dtype=np.int8), [1, 3]).dtype == np.float64


def test_array_api_namespace_in_and_out() -> None:
    xp = pytest.importorskip("array_api_strict", reason="array-api-strict not installed")
    yt = xp.asarray([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    yp = xp.asarray([[0.2, 0.5, 0.3], [0.1, 0.6, 0.3]])
    out = M.categorical_accuracy(yt, yp)
    assert type(out).__module__.startswith("array_api_strict")
    assert [float(v) for v in out] == [1.0, 0.0]
    assert M.CategoricalAccuracy()(yt, yp) == 0.5
    assert [float(v) for v in M.sparse_top_k_categorical_accuracy(
        xp.asarray([2, 2]), yp, k=2)] == [1.0, 1.0]


# -- weights, per Keras ---------------------------------------------------------------------

def test_sample_weight_per_sample_and_per_element() -> None:
    y_true = [[1, 0], [1, 1]]
    y_pred = [[0.9, 0.1], [0.2, 0.8]]  # elementwise hits: [1, 1], [0, 1]
    assert M.BinaryAccuracy()(y_true, y_pred, sample_weight=[1.0, 3.0]) == (1 + 3 * 0.5) / 4
    assert M.BinaryAccuracy()(y_true, y_pred, sample_weight=[[1, 1], [3, 0]]) == 2 / 5


def test_a_scalar_sample_weight_weighs_the_batch_as_one_sample() -> None:
    m = M.SparseCategoricalAccuracy()
    m.update_state([0, 1, 1, 1], [[1, 0]] * 4, sample_weight=3.0)  # batch accuracy 1/4
    m.update_state([0], [[1, 0]], sample_weight=1.0)  # batch accuracy 1
    assert m.result() == (3 * 0.25 + 1 * 1.0) / 4


def test_zero_total_weight_gives_zero_like_divide_no_nan() -> None:
    m = M.BinaryAccuracy()
    m.update_state([1, 0], [0.9, 0.1], sample_weight=[0.0, 0.0])
    assert m.result() == 0.0


def test_sparse_crossentropy_ignore_class_leaves_samples_out() -> None:
    y_pred = np.array([[0.25, 0.75], [0.5, 0.5], [0.9, 0.1]])
    m = M.SparseCategoricalCrossentropy(ignore_class=-1)
    m.update_state([1, -1, 0], y_pred)
    assert m.result() == pytest.approx((-math.log(0.75) - math.log(0.9)) / 2, rel=1e-15)


def test_loss_metrics_propagate_nan() -> None:
    m = M.BinaryCrossentropy(from_logits=True)
    m.update_state([[1.0]], [[np.nan]])
    m.update_state([[1.0]], [[2.0]])
    assert math.isnan(m.result())
    assert math.isnan(M.Metric.from_state(json.loads(json.dumps(m.get_state()))).result())


def test_loss_metrics_give_inf_for_an_infinite_loss_and_survive_overflowing_products() -> None:
    m = M.BinaryCrossentropy(from_logits=True)
    m.update_state([[1.0], [0.0]], [[-np.inf], [0.0]])  # -log σ(-inf) = inf
    assert m.result() == math.inf
    # loss 1e308 (= -log σ(-1e308)) with weight 1e308: the product overflows float64, the
    # weighted mean does not
    h = M.BinaryCrossentropy(from_logits=True)
    h.update_state([[1.0], [1.0]], [[-1e308], [-1e308]], sample_weight=[1e308, 1e308])
    assert h.result() == 1e308


# -- ConfusionMatrix, MulticlassAccuracy, MultilabelAccuracy -----------------------------------

def test_confusion_matrix_counts_rows_true_columns_predicted() -> None:
    m = M.ConfusionMatrix(3)
    m.update_state([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 0])
    want = [[1, 1, 0], [0, 1, 0], [2, 0, 1]]
    np.testing.assert_array_equal(m.result(), want)
    assert m.result().dtype == np.int64
    m2 = M.ConfusionMatrix(3, normalize="true")
    m2.update_state([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 0])
    np.testing.assert_array_equal(m2.result(), [[0.5, 0.5, 0], [0, 1, 0], [2 / 3, 0, 1 / 3]])


def test_confusion_matrix_ignore_index_and_scores() -> None:
    m = M.ConfusionMatrix(2, ignore_index=-100)
    m.update_state([0, -100, 1], [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    np.testing.assert_array_equal(m.result(), [[1, 0], [1, 0]])


def test_multiclass_accuracy_averages() -> None:
    y_true = [0, 0, 0, 1, 1, 2]
    y_pred = [0, 0, 1, 1, 0, 1]  # recalls: 2/3, 1/2, 0
    assert M.MulticlassAccuracy(3)(y_true, y_pred) == 3 / 6
    assert M.MulticlassAccuracy(3, average="weighted")(y_true, y_pred) == 3 / 6
    assert M.MulticlassAccuracy(3, average="macro")(y_true, y_pred) == 7 / 18  # (2/3+1/2)/3
    np.testing.assert_array_equal(M.MulticlassAccuracy(3, average=None)(y_true, y_pred),
                                  [2 / 3, 1 / 2, 0.0])
    # a class that is never the truth has no recall: NaN per class, left out of the macro
    per_class = M.MulticlassAccuracy(4, average=None)(y_true, y_pred)
    assert math.isnan(per_class[3])
    assert M.MulticlassAccuracy(4, average="macro")(y_true, y_pred) == 7 / 18


def test_multiclass_top_k_uses_keras_ties() -> None:
    scores = [[0.5, 0.2, 0.2, 0.1], [0.5, 0.2, 0.2, 0.1]]
    assert M.MulticlassAccuracy(4, top_k=2)([2, 3], scores) == 0.5
    with pytest.raises(ValueError, match="top_k"):
        M.MulticlassAccuracy(4, top_k=2)([2, 3], [1, 2])


def test_multilabel_accuracy_modes() -> None:
    y_true = [[1, 0, 1, 0], [0, 1, 1, 0], [1, 1, 0, 0]]
    y_pred = [[0.9, 0.2, 0.7, 0.1], [0.6, 0.9, 0.8, 0.4], [0.8, 0.3, 0.4, 0.5]]
    # decisions at 0.5: row 0 all right; row 1 label 0 (0.6) wrong; row 2 label 1 (0.3)
    # wrong, label 3 (0.5, not above 0.5) right
    assert M.MultilabelAccuracy()(y_true, y_pred) == 10 / 12
    assert M.MultilabelAccuracy(mode="subset")(y_true, y_pred) == 1 / 3
    # at 0.45, row 2's label 3 (0.5) becomes a wrong positive
    assert M.MultilabelAccuracy(threshold=0.45)(y_true, y_pred) == 9 / 12


# -- bad input: errors that name the argument ----------------------------------------------------

@pytest.mark.parametrize("call, exc, name", [
    (lambda: M.categorical_accuracy([[1, 0]], [[0.5, 0.4, 0.1]]), ValueError, "y_true"),
    (lambda: M.accuracy([1, 2, 3], [1, 2]), ValueError, "same shape"),
    (lambda: M.sparse_categorical_accuracy([3], [[0.5, 0.4, 0.1]]), ValueError, "y_true"),
    (lambda: M.sparse_categorical_accuracy([-1], [[0.5, 0.4, 0.1]]), ValueError, r"\[0, 3\)"),
    (lambda: M.sparse_categorical_accuracy([0.5], [[0.5, 0.5]]), ValueError, "integer"),
    (lambda: M.sparse_categorical_accuracy([0, 1], [[0.5, 0.5]]), ValueError, "y_true"),
    (lambda: M.top_k_categorical_accuracy([[1, 0]], [[0.5, 0.5]], k=0), ValueError, "k"),
    (lambda: M.TopKCategoricalAccuracy(k=-2), ValueError, "k"),
    (lambda: M.TopKCategoricalAccuracy(k=2.0), TypeError, "k"),
    (lambda: M.MulticlassAccuracy(3, top_k=0), ValueError, "top_k"),
    (lambda: M.BinaryAccuracy(threshold=np.nan), ValueError, "threshold"),
    (lambda: M.binary_accuracy([1], [0.3], threshold=np.inf), ValueError, "threshold"),
    (lambda: M.BinaryAccuracy()([1, 0], [0.4, np.nan]), ValueError, "y_pred"),
    (lambda: M.categorical_accuracy([[1, 0]], [[np.nan, 0.2]]), ValueError, "y_pred"),
    (lambda: M.sparse_top_k_categorical_accuracy([0], [[np.nan, 0.2]], k=1), ValueError,
     "y_pred"),
    (lambda: M.BinaryAccuracy()([1, 0], [0.4, 0.6], sample_weight=[1, -1]), ValueError,
     "sample_weight"),
    (lambda: M.BinaryAccuracy()([1, 0], [0.4, 0.6], sample_weight=[1, np.nan]), ValueError,
     "sample_weight"),
    (lambda: M.BinaryAccuracy()([1, 0], [0.4, 0.6], sample_weight=[1, np.inf]), ValueError,
     "sample_weight"),
    (lambda: M.BinaryAccuracy()([1, 0], [0.4, 0.6], sample_weight=[1, 2, 3]), ValueError,
     "sample_weight"),
    (lambda: M.ConfusionMatrix(3)([0, 3], [0, 1]), ValueError, "y_true"),
    (lambda: M.ConfusionMatrix(3)([0, 1], [0, 5]), ValueError, "y_pred"),
    (lambda: M.ConfusionMatrix(3)([0, 1], [[0.2, 0.8], [0.3, 0.7]]), ValueError, "num_classes"),
    (lambda: M.ConfusionMatrix(0), ValueError, "num_classes"),
    (lambda: M.ConfusionMatrix(2, normalize="rows"), ValueError, "normalize"),
    (lambda: M.MulticlassAccuracy(3, average="samples"), ValueError, "average"),
    (lambda: M.MultilabelAccuracy(mode="hamming"), ValueError, "mode"),
    (lambda: M.MultilabelAccuracy()([[2, 0]], [[0.3, 0.2]]), ValueError, "y_true"),
    (lambda: M.MultilabelAccuracy(num_labels=3)([[1, 0]], [[0.3, 0.2]]), ValueError,
     "num_labels"),
    (lambda: M.get("crossentropy"), ValueError, "y_true"),
    (lambda: M.get("no_such_metric"), ValueError, "unknown metric"),
    (lambda: M.get(42), ValueError, "metric"),
])
def test_bad_input_raises_naming_the_argument(call, exc, name) -> None:
    with pytest.raises(exc, match=name):
        call()


def test_merging_different_kinds_or_configurations_is_refused() -> None:
    a = M.TopKCategoricalAccuracy(k=2)
    with pytest.raises(TypeError, match="others"):
        a.merge_state(M.CategoricalAccuracy())
    with pytest.raises(ValueError, match=r"others.*k"):
        a.merge_state(M.TopKCategoricalAccuracy(k=3))
    with pytest.raises(TypeError, match="others"):
        a.merge_state("not a metric")
    with pytest.raises(ValueError, match="others"):
        M.ConfusionMatrix(3).merge_state(M.ConfusionMatrix(4))
    # nothing was merged by the refused calls
    assert a.result() == 0.0


def test_from_state_refuses_another_class_and_bad_entries() -> None:
    state = M.BinaryAccuracy().get_state()
    with pytest.raises(ValueError, match="BinaryAccuracy"):
        M.CategoricalAccuracy.from_state(state)
    bad = json.loads(json.dumps(state))
    bad["state"]["count"] = "-3"
    with pytest.raises(ValueError, match="count"):
        M.Metric.from_state(bad)
    with pytest.raises(ValueError, match="state"):
        M.Metric.from_state({"metric": "BinaryAccuracy"})


# -- get / names ------------------------------------------------------------------------------

def test_get_accepts_names_classes_instances_functions_and_dicts() -> None:
    assert isinstance(M.get("accuracy"), M.Accuracy)
    assert isinstance(M.get("SparseTopKCategoricalAccuracy", k=2), M.SparseTopKCategoricalAccuracy)
    assert M.get(M.categorical_accuracy) is M.categorical_accuracy  # a callable as it is
    assert isinstance(M.get(M.categorical_accuracy, name="ca"), M.CategoricalAccuracy)
    assert isinstance(M.get(M.CategoricalAccuracy), M.CategoricalAccuracy)
    assert M.get(None) is None
    m = M.BinaryAccuracy(threshold=0.2)
    assert M.get(m) is m
    got = M.get({"class_name": "BinaryAccuracy", "config": {"threshold": 0.7}})
    assert isinstance(got, M.BinaryAccuracy) and got.threshold == 0.7
    # Keras's serialized form: module, registered_name and a dtype besides the config
    got = M.get({"module": "keras.metrics", "class_name": "BinaryAccuracy", "config": {
        "name": "ba", "dtype": "float32", "threshold": 0.7}, "registered_name": None})
    assert got.get_config() == {"threshold": 0.7, "name": "ba"}
    assert M.get({"class_name": "function", "config": "binary_accuracy"}) is M.binary_accuracy
    assert M.get("kld").name == "kl_divergence"
    # every class's snake_case spelling (Keras's registry) gives an instance of it
    assert type(M.get("binary_accuracy")) is M.BinaryAccuracy
    assert type(M.get("f_beta_score")) is M.FBetaScore
    assert type(M.get("mean_io_u", num_classes=3)) is M.MeanIoU
    assert type(M.get("bce")) is M.BinaryCrossentropy
    with pytest.raises(TypeError, match="num_classes"):
        M.get("mean_io_u")
    with pytest.raises(ValueError, match="unknown metric class 'Nope'"):
        M.get({"class_name": "Nope"})
    with pytest.raises(TypeError, match="cannot be applied"):
        M.get(lambda y, p: 0.0, name="x")
    assert set(M.names()) >= {"accuracy", "binary_accuracy", "confusion_matrix",
                              "multiclass_accuracy", "multilabel_accuracy", "poisson"}
    # the thresholded metrics and IoU: Keras's other required arguments
    extra = {"precision_at_recall": {"recall": 0.5}, "recall_at_precision": {"precision": 0.5},
             "sensitivity_at_specificity": {"specificity": 0.5},
             "specificity_at_sensitivity": {"sensitivity": 0.5},
             "io_u": {"target_class_ids": [0]}, "one_hot_io_u": {"target_class_ids": [0]}}
    for name in M.names():
        needs = inspect.signature(M._REGISTRY[name]).parameters.get("num_classes")
        required = needs is not None and needs.default is inspect.Parameter.empty
        kwargs = {**({"num_classes": 3} if required else {}), **extra.get(name, {})}
        assert M.get(name, **kwargs).name == name


# -- scikit-learn ----------------------------------------------------------------------------

try:
    import sklearn.metrics as sklearn_metrics
except ImportError:  # pragma: no cover - scikit-learn is in the test extra
    sklearn_metrics = None
needs_sklearn = pytest.mark.skipif(sklearn_metrics is None, reason="scikit-learn not installed")


def _multiclass_data(seed: int, n: int = 500, c: int = 6):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, c, n)
    scores = rng.normal(size=(n, c)) + 1.5 * np.eye(c)[y]  # continuous: no ties
    w = rng.uniform(0, 3, n)
    return y, scores, w


@needs_sklearn
@pytest.mark.parametrize("seed", range(3))
def test_accuracy_matches_sklearn_accuracy_score(seed: int) -> None:
    y, scores, w = _multiclass_data(seed)
    want = sklearn_metrics.accuracy_score(y, scores.argmax(1))
    assert M.SparseCategoricalAccuracy()(y, scores) == want
    assert M.MulticlassAccuracy(6)(y, scores) == want
    got_w = M.SparseCategoricalAccuracy()(y, scores, sample_weight=w)
    want_w = sklearn_metrics.accuracy_score(y, scores.argmax(1), sample_weight=w)
    assert got_w == pytest.approx(want_w, rel=1e-14)


@needs_sklearn
@pytest.mark.parametrize("seed", range(3))
def test_macro_average_is_sklearn_balanced_accuracy(seed: int) -> None:
    y, scores, w = _multiclass_data(seed)
    y = np.where(y == 5, 4, y)  # class 5 never occurs in y_true but is predicted
    pred = scores.argmax(1)
    m = M.MulticlassAccuracy(6, average="macro")
    with pytest.warns(UserWarning, match="not in y_true"):  # sklearn: the absent class
        want = sklearn_metrics.balanced_accuracy_score(y, pred)
    assert m(y, pred) == pytest.approx(want, rel=1e-15)
    mw = M.MulticlassAccuracy(6, average="macro")
    with pytest.warns(UserWarning, match="not in y_true"):
        want = sklearn_metrics.balanced_accuracy_score(y, pred, sample_weight=w)
    assert mw(y, pred, sample_weight=w) == pytest.approx(want, rel=1e-14)


@needs_sklearn
@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_top_k_matches_sklearn_without_ties(k: int) -> None:
    y, scores, w = _multiclass_data(k)
    want = sklearn_metrics.top_k_accuracy_score(y, scores, k=k, labels=range(6))
    assert M.SparseTopKCategoricalAccuracy(k=k)(y, scores) == want
    assert M.TopKCategoricalAccuracy(k=k)(np.eye(6)[y], scores) == want
    assert M.MulticlassAccuracy(6, top_k=k)(y, scores) == want
    want_w = sklearn_metrics.top_k_accuracy_score(y, scores, k=k, labels=range(6),
                                                  sample_weight=w)
    assert M.SparseTopKCategoricalAccuracy(k=k)(y, scores, sample_weight=w) == pytest.approx(
        want_w, rel=1e-14)


@needs_sklearn
def test_tie_rules_differ_from_sklearn_where_documented() -> None:
    scores = np.array([[0.5, 0.2, 0.2, 0.1]])
    # Keras: label 1 is tied with the 2nd best -> hit; sklearn ranks ties by index
    assert M.SparseTopKCategoricalAccuracy(k=2)([1], scores) == 1.0
    assert sklearn_metrics.top_k_accuracy_score([1], scores, k=2, labels=range(4)) == 0.0


@needs_sklearn
@pytest.mark.parametrize("normalize", [None, "true", "pred", "all"])
def test_confusion_matrix_matches_sklearn(normalize) -> None:
    y, scores, w = _multiclass_data(7)
    pred = scores.argmax(1)
    m = M.ConfusionMatrix(6, normalize=normalize)
    m.update_state(y[:200], scores[:200])
    m.update_state(y[200:], pred[200:])
    want = sklearn_metrics.confusion_matrix(y, pred, labels=range(6), normalize=normalize)
    np.testing.assert_allclose(m.result(), want, rtol=1e-15, atol=0)
    mw = M.ConfusionMatrix(6, normalize=normalize)
    mw.update_state(y, pred, sample_weight=w)
    want_w = sklearn_metrics.confusion_matrix(y, pred, labels=range(6), sample_weight=w,
                                              normalize=normalize)
    np.testing.assert_allclose(mw.result(), want_w, rtol=1e-13, atol=0)


@needs_sklearn
def test_multilabel_matches_sklearn_subset_accuracy_and_hamming_loss() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, (300, 5))
    p = np.clip(y * 0.6 + rng.uniform(-0.3, 0.5, y.shape), 0, 1)
    pred = (p > 0.5).astype(int)
    assert M.MultilabelAccuracy(mode="subset")(y, p) == sklearn_metrics.accuracy_score(y, pred)
    assert M.MultilabelAccuracy()(y, p) == pytest.approx(
        1 - sklearn_metrics.hamming_loss(y, pred), rel=1e-15)


# -- torchmetrics (when installed) ---------------------------------------------------------------

def test_torchmetrics_multiclass_and_multilabel() -> None:
    torch = pytest.importorskip("torch", reason="torch not installed")
    tm = pytest.importorskip("torchmetrics.classification", reason="torchmetrics not installed")
    y, scores, _ = _multiclass_data(11)  # every class occurs: the macro averages agree
    for average in ("micro", "macro"):
        want = tm.MulticlassAccuracy(num_classes=6, average=average)(
            torch.from_numpy(scores), torch.from_numpy(y))
        got = M.MulticlassAccuracy(6, average=average)(y, scores)
        assert got == pytest.approx(float(want), rel=1e-6)
    want_cm = tm.MulticlassConfusionMatrix(num_classes=6)(torch.from_numpy(scores),
                                                          torch.from_numpy(y))
    np.testing.assert_array_equal(M.ConfusionMatrix(6)(y, scores), want_cm.numpy())
    rng = np.random.default_rng(4)
    yl = rng.integers(0, 2, (200, 4))
    pl = rng.uniform(size=(200, 4))
    want_ml = tm.MultilabelAccuracy(num_labels=4)(torch.from_numpy(pl), torch.from_numpy(yl))
    assert M.MultilabelAccuracy()(yl, pl) == pytest.approx(float(want_ml), rel=1e-6)

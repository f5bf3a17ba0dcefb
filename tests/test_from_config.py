"""``from_config`` of every activation, loss and metric class: ``type(m).from_config(
m.get_config())`` behaves as ``m``, with parameters away from their defaults."""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np
import pytest
from activation_cases import REQUIRED_PARAMS, VARIATIONS

import nnmath.activations as A
import nnmath.losses as L
import nnmath.metrics as M

RNG = np.random.default_rng(7)

# -- activations ------------------------------------------------------------------------------

#: non-default parameters of the classes the shared variations do not cover
ACTIVATION_PARAMS: dict[str, dict[str, Any]] = {
    "softmax": {"axis": 0}, "log_softmax": {"axis": (0, 1)}, "softmin": {"axis": [1, 0]},
    "sparsemax": {"axis": 0}, "glu": {"axis": 0}, "leaky_relu": {"negative_slope": 0.2},
    "hard_sigmoid": {}, "threshold": REQUIRED_PARAMS["threshold"],
}


def _activation_cases() -> list[tuple[str, dict[str, Any]]]:
    cases = []
    for name, cls in A.REGISTRY.items():
        if name != cls.name:  # an alias
            continue
        params = ACTIVATION_PARAMS.get(name) or (VARIATIONS.get(name) or [{}])[0]
        cases.append((name, params))
    return cases


def test_every_activation_with_parameters_gets_non_default_ones() -> None:
    for name, params in _activation_cases():
        cls = A.REGISTRY[name]
        defaults = cls(**REQUIRED_PARAMS.get(name, {})).get_config()
        if defaults and name != "threshold":
            assert cls(**params).get_config() != defaults, name


@pytest.mark.parametrize(("name", "params"), _activation_cases(),
                         ids=[c[0] for c in _activation_cases()])
def test_activation_from_config(name: str, params: dict[str, Any]) -> None:
    act = A.REGISTRY[name](**params)
    config = act.get_config()
    again = type(act).from_config(config)
    assert type(again) is type(act) and again == act
    # through JSON too (tuples become lists)
    assert type(act).from_config(json.loads(json.dumps(config))) == act
    x = RNG.normal(0, 3, (4, 6))
    for method in ("__call__", "gradient"):
        np.testing.assert_array_equal(getattr(again, method)(x), getattr(act, method)(x))
    g = RNG.normal(size=np.shape(act(x)))
    np.testing.assert_array_equal(again.backward(x, g), act.backward(x, g))
    # get on the serialized form gives the same
    assert A.get({"class_name": type(act).__name__, "config": config}) == act


def test_seed_classes_from_config_and_get() -> None:
    for act in (A.ReLu(), A.Leaky_ReLu(alpha=0.2), A.TanH(), A.Sigmoid(), A.Softmax(axis=0)):
        config = act.get_config()
        again = type(act).from_config(config)
        assert type(again) is type(act) and again == act
        assert A.get({"class_name": type(act).__name__, "config": config}) == act
    assert type(A.get("Leaky_ReLu", alpha=0.3)) is A.Leaky_ReLu
    np.testing.assert_array_equal(A.Leaky_ReLu.from_config({"alpha": 0.2})([-1.0]), [-0.2])


def test_lambda_from_config() -> None:
    lam = A.Lambda(np.square, derivative=lambda x: 2 * x, name="sq")
    again = A.Lambda.from_config(lam.get_config())
    np.testing.assert_array_equal(again([3.0]), [9.0])
    np.testing.assert_array_equal(again.gradient([3.0]), [6.0])
    assert again.name == "sq"
    with pytest.raises(TypeError, match="config must be a dict"):
        A.ReLU.from_config([("negative_slope", 0.1)])  # type: ignore[arg-type]


# -- losses ----------------------------------------------------------------------------------

LOSS_PARAMS: dict[str, dict[str, Any]] = {
    "BinaryCrossentropy": {"from_logits": True, "label_smoothing": 0.1, "pos_weight": 2.0,
                           "reduction": "sum", "name": "b"},
    "CategoricalCrossentropy": {"from_logits": True, "label_smoothing": 0.2,
                                "class_weight": [1.0, 2.0, 0.5], "reduction": "none"},
    "SparseCategoricalCrossentropy": {"from_logits": True, "ignore_class": 1,
                                      "label_smoothing": 0.1, "reduction": "sum"},
    "BinaryFocalCrossentropy": {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5,
                                "from_logits": True, "reduction": "mean_with_sample_weight"},
    "CategoricalFocalCrossentropy": {"alpha": 0.5, "gamma": 3.0, "label_smoothing": 0.05,
                                     "reduction": "sum"},
    "KLDivergence": {"reduction": "sum", "name": "k"},
    "Poisson": {"reduction": "none"},
    "Hinge": {"reduction": "sum", "axis": -1},
    "SquaredHinge": {"reduction": "none", "name": "sq"},
    "CategoricalHinge": {"reduction": "sum"},
}
LOSS_CLASSES = sorted({type(L.get(n, reduction="sum")) for n in L.names()},
                      key=lambda c: c.__name__)


def test_the_loss_table_covers_every_loss() -> None:
    assert set(LOSS_PARAMS) == {c.__name__ for c in LOSS_CLASSES}


def _loss_data(cls: type[L.Loss]) -> tuple[np.ndarray, np.ndarray]:
    p = RNG.dirichlet(np.ones(3), 5)
    if cls is L.SparseCategoricalCrossentropy:
        return RNG.integers(0, 3, 5), p
    if cls in (L.BinaryCrossentropy, L.BinaryFocalCrossentropy):
        return RNG.integers(0, 2, (5, 3)).astype(float), p
    if cls in (L.Hinge, L.SquaredHinge):
        return RNG.choice([-1.0, 1.0], (5, 3)), p
    return np.eye(3)[RNG.integers(0, 3, 5)], p


@pytest.mark.parametrize("cls", LOSS_CLASSES, ids=lambda c: c.__name__)
def test_loss_from_config(cls: type[L.Loss]) -> None:
    loss = cls(**LOSS_PARAMS[cls.__name__])
    config = loss.get_config()
    again = cls.from_config(config)
    assert again == loss and again.get_config() == config
    y, p = _loss_data(cls)
    w = RNG.uniform(0.5, 2.0, 5)
    np.testing.assert_array_equal(again(y, p, w), loss(y, p, w))
    np.testing.assert_array_equal(again.gradient(y, p, w), loss.gradient(y, p, w))
    assert L.get({"class_name": cls.__name__, "config": config}) == loss
    # a Keras config's dtype is ignored: nnmath computes in the inputs' dtype
    assert cls.from_config({**config, "dtype": "float32"}) == loss


# -- metrics ---------------------------------------------------------------------------------

METRIC_PARAMS: dict[str, dict[str, Any]] = {
    "Accuracy": {"name": "a"},
    "BinaryAccuracy": {"threshold": 0.3},
    "CategoricalAccuracy": {"name": "ca"},
    "SparseCategoricalAccuracy": {"name": "sca"},
    "TopKCategoricalAccuracy": {"k": 2},
    "SparseTopKCategoricalAccuracy": {"k": 2, "name": "t2"},
    "BinaryCrossentropy": {"from_logits": True, "label_smoothing": 0.1},
    "CategoricalCrossentropy": {"label_smoothing": 0.2, "name": "cc"},
    "SparseCategoricalCrossentropy": {"ignore_class": 1},
    "KLDivergence": {"name": "k"}, "Poisson": {"name": "p"}, "Hinge": {"name": "h"},
    "SquaredHinge": {"name": "s"}, "CategoricalHinge": {"name": "c"},
    "ConfusionMatrix": {"num_classes": 3, "normalize": "true"},
    "MulticlassAccuracy": {"num_classes": 3, "average": "macro", "top_k": 2},
    "MultilabelAccuracy": {"threshold": 0.4, "mode": "subset"},
    "TruePositives": {"thresholds": [0.3, 0.6]}, "FalsePositives": {"thresholds": 0.4},
    "TrueNegatives": {"thresholds": [0.2]}, "FalseNegatives": {"thresholds": 0.7},
    "Precision": {"thresholds": 0.4, "class_id": 1},
    "Recall": {"top_k": 2},
    "PrecisionAtRecall": {"recall": 0.6, "num_thresholds": 50},
    "RecallAtPrecision": {"precision": 0.6, "class_id": 0},
    "SensitivityAtSpecificity": {"specificity": 0.4, "num_thresholds": 20},
    "SpecificityAtSensitivity": {"sensitivity": 0.4},
    "AUC": {"curve": "PR", "num_thresholds": 50, "summation_method": "minoring"},
    "IoU": {"num_classes": 3, "target_class_ids": [0, 2], "ignore_class": 1},
    "MeanIoU": {"num_classes": 3, "sparse_y_pred": False},
    "BinaryIoU": {"target_class_ids": [1], "threshold": 0.4},
    "OneHotIoU": {"num_classes": 3, "target_class_ids": [1]},
    "OneHotMeanIoU": {"num_classes": 3, "name": "ohm"},
    "F1Score": {"average": "macro", "threshold": 0.4},
    "FBetaScore": {"average": "weighted", "beta": 2.0},
    "MulticlassPrecision": {"num_classes": 3, "average": "micro", "zero_division": 0.0},
    "MulticlassRecall": {"num_classes": 3, "average": None},
    "MulticlassF1Score": {"num_classes": 3, "average": "weighted"},
    "MulticlassFBetaScore": {"num_classes": 3, "beta": 0.5},
    "MulticlassSpecificity": {"num_classes": 3, "ignore_index": 2},
    "MulticlassPrecisionRecallFScore": {"num_classes": 3, "beta": 2.0, "average": "macro"},
    "MultilabelPrecision": {"num_classes": 3, "threshold": 0.3},
    "MultilabelRecall": {"num_classes": 3, "average": "micro"},
    "MultilabelF1Score": {"num_classes": 3, "average": None},
    "MultilabelFBetaScore": {"num_classes": 3, "beta": 3.0},
    "MultilabelSpecificity": {"num_classes": 3, "threshold": 0.6},
    "MultilabelPrecisionRecallFScore": {"num_classes": 3, "average": "samples"},
    "ClassificationReport": {"num_classes": 3, "target_names": ["a", "b", "c"]},
    "MatthewsCorrelation": {"num_classes": 3, "ignore_index": 0},
    "CohenKappa": {"num_classes": 3, "weights": "quadratic"},
    "BalancedAccuracy": {"num_classes": 3, "adjusted": True},
    "ExpectedCalibrationError": {"n_bins": 5, "strategy": "quantile"},
    "BrierScore": {"scale_by_half": False},
}
METRIC_CLASSES = sorted({*M._REGISTRY.values(), *M._ALIASES.values()},
                        key=lambda c: c.__name__)


def test_the_metric_table_covers_every_metric() -> None:
    assert set(METRIC_PARAMS) == {c.__name__ for c in METRIC_CLASSES}


def _metric_batches() -> list[tuple[np.ndarray, np.ndarray]]:
    """Data of every layout; a metric refuses those it does not take (the same way)."""
    labels = RNG.integers(0, 3, 12)
    probs = RNG.dirichlet(np.ones(3), 12)
    return [
        (RNG.integers(0, 2, (12, 1)), RNG.uniform(size=(12, 1))),  # binary
        (labels, probs),  # sparse labels
        (np.eye(3)[labels], probs),  # one-hot
        (RNG.integers(0, 2, (12, 3)), RNG.uniform(size=(12, 3))),  # multi-label
        (labels, RNG.integers(0, 3, 12)),  # labels against labels
    ]


def _outcome(metric: M.Metric, y: np.ndarray, p: np.ndarray) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            metric.reset_state()
            metric.update_state(y, p)
            return ("ok", json.dumps(metric.get_state(), sort_keys=True),
                    repr(metric.result()))
    except (ValueError, TypeError) as exc:
        return ("error", type(exc).__name__, str(exc))


@pytest.mark.parametrize("cls", METRIC_CLASSES, ids=lambda c: c.__name__)
def test_metric_from_config(cls: type[M.Metric]) -> None:
    metric = cls(**METRIC_PARAMS[cls.__name__])
    config = metric.get_config()
    again = cls.from_config(config)
    assert type(again) is cls and again.get_config() == config
    assert cls.from_config(json.loads(json.dumps(config))).get_config() == config
    outcomes = [(_outcome(metric, y, p), _outcome(again, y, p)) for y, p in _metric_batches()]
    for mine, theirs in outcomes:
        assert mine == theirs
    assert any(o[0][0] == "ok" for o in outcomes), "no data layout fits the metric"
    got = M.get({"class_name": cls.__name__, "config": config})
    assert type(got) is cls and got.get_config() == config
    # a Keras config's dtype: kept by the metrics that take one, ignored by the others
    assert type(cls.from_config({**config, "dtype": "float32"})) is cls

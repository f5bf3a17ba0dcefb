#!/usr/bin/env python
"""Record what Keras 3's ``get`` returns, for ``tests/test_get_keras.py``.

Usage::

    pip install keras               # a test-time tool only, not an nnmath dependency
    python tools/generate_keras_get_records.py [--out tests/data]

Runs ``keras.activations.get``, ``keras.losses.get`` and ``keras.metrics.get`` (with
``KERAS_BACKEND=numpy`` unless the environment chooses a backend) on a fixed list of
identifiers and writes ``keras_get.json``: for each namespace and identifier, the kind of
the result (``function``, ``instance``, ``class``, ``none`` or ``error``), the function's
or class's name, an instance's ``get_config()`` and an error's type.

Identifiers that are not plain JSON are encoded as one-key dicts, which the tests decode
into nnmath's own objects of the same name:

* ``{"$function": "relu"}``: the namespace's function of that name;
* ``{"$class": "BinaryCrossentropy"}``: the namespace's class of that name;
* ``{"$instance": {"class_name": ..., "config": {...}}}``: an instance of that class;
* ``{"$serialized": {"class_name": ..., "config": {...}}}`` or
  ``{"$serialized": {"function": "relu"}}``: ``keras.saving.serialize_keras_object`` of
  such an instance or function (the recorded identifier is that serialized dict);
* ``{"$lambda": 1}``: a plain Python function that the namespace does not know.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
from pathlib import Path
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "numpy")

ACTIVATIONS: list[Any] = [
    None, "relu", "leaky_relu", "relu6", "elu", "selu", "celu", "gelu", "glu", "silu", "swish",
    "hard_silu", "hard_swish", "mish", "sigmoid", "hard_sigmoid", "log_sigmoid", "tanh",
    "hard_tanh", "softplus", "softsign", "softmax", "log_softmax", "sparsemax", "linear",
    "exponential", "squareplus", "soft_shrink", "hard_shrink", "tanh_shrink", "threshold",
    "sparse_plus", "sparse_sigmoid",
    # spellings Keras does not know
    "ReLU", "Relu", "LeakyReLU", "Hardtanh", "GELU", "Softmax", "leakyrelu", "RELU",
    "nosuch", "", "function", 3, 1.5, [1],
    # dicts: Keras's serialized functions, and others
    {"$serialized": {"function": "relu"}},
    {"$serialized": {"function": "gelu"}},
    {"$serialized": {"function": "softmax"}},
    {"class_name": "function", "config": "relu", "module": "keras.activations",
     "registered_name": None},
    {"class_name": "function", "config": "tanh"},
    {"class_name": "relu"},
    {"class_name": "ReLU", "config": {}},
    {"class_name": "function", "config": "nosuch", "module": "keras.activations",
     "registered_name": None},
    {"config": {}},
    # callables
    {"$function": "relu"}, {"$function": "softmax"}, {"$function": "gelu"}, {"$lambda": 1},
]

LOSSES: list[Any] = [
    None, "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
    "binary_focal_crossentropy", "categorical_focal_crossentropy", "kl_divergence", "poisson",
    "hinge", "squared_hinge", "categorical_hinge", "bce", "BCE", "kld", "KLD",
    "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
    "BinaryFocalCrossentropy", "CategoricalFocalCrossentropy", "KLDivergence", "Poisson",
    "Hinge", "SquaredHinge", "CategoricalHinge",
    "crossentropy", "ce", "cce", "kullback_leibler_divergence", "binary_cross_entropy",
    "binarycrossentropy", "nosuch", "", 42, 1.5,
    {"class_name": "BinaryCrossentropy", "config": {"from_logits": True}},
    {"class_name": "CategoricalCrossentropy",
     "config": {"from_logits": True, "label_smoothing": 0.1, "reduction": "sum"}},
    {"class_name": "SparseCategoricalCrossentropy", "config": {"ignore_class": 2}},
    {"class_name": "BinaryCrossentropy"},
    {"class_name": "Hinge", "config": {"reduction": "none", "name": "h"}},
    {"class_name": "binary_crossentropy"},
    {"class_name": "bce"},
    {"class_name": "Nope", "config": {}},
    {"class_name": "function", "config": "binary_crossentropy", "module": "builtins",
     "registered_name": "function"},
    {"config": {}},
    {"$serialized": {"class_name": "BinaryCrossentropy",
                     "config": {"from_logits": True, "label_smoothing": 0.2}}},
    {"$serialized": {"class_name": "CategoricalFocalCrossentropy",
                     "config": {"alpha": 0.5, "gamma": 3.0}}},
    {"$serialized": {"class_name": "KLDivergence", "config": {"reduction": "sum"}}},
    {"$serialized": {"function": "binary_crossentropy"}},
    {"$serialized": {"function": "categorical_hinge"}},
    {"$class": "BinaryCrossentropy"}, {"$class": "Poisson"},
    {"$instance": {"class_name": "BinaryCrossentropy", "config": {"from_logits": True}}},
    {"$function": "binary_crossentropy"}, {"$function": "hinge"}, {"$lambda": 1},
]

METRICS: list[Any] = [
    None, "accuracy", "binary_accuracy", "categorical_accuracy",
    "sparse_categorical_accuracy", "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy", "binary_crossentropy", "categorical_crossentropy",
    "sparse_categorical_crossentropy", "kl_divergence", "poisson", "hinge", "squared_hinge",
    "categorical_hinge", "auc", "precision", "recall", "true_positives", "false_negatives",
    "precision_at_recall", "f1_score", "f_beta_score", "io_u", "mean_io_u", "binary_io_u",
    "one_hot_io_u", "one_hot_mean_io_u", "bce", "BCE",
    "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "BinaryCrossentropy",
    "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "KLDivergence", "Poisson",
    "Hinge", "SquaredHinge", "CategoricalHinge", "AUC", "Precision", "Recall",
    "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives", "F1Score",
    "FBetaScore", "MeanIoU", "IoU", "PrecisionAtRecall",
    "acc", "kld", "KLD", "crossentropy", "ce", "nosuch", "", 42,
    {"class_name": "BinaryAccuracy", "config": {"threshold": 0.7}},
    {"class_name": "TopKCategoricalAccuracy", "config": {"k": 3, "name": "top3"}},
    {"class_name": "Precision", "config": {"thresholds": 0.3}},
    {"class_name": "AUC", "config": {"curve": "PR"}},
    {"class_name": "BinaryAccuracy"},
    {"class_name": "binary_accuracy"},
    {"class_name": "Nope", "config": {}},
    {"config": {}},
    {"$serialized": {"class_name": "BinaryAccuracy", "config": {"threshold": 0.7}}},
    {"$serialized": {"class_name": "CategoricalCrossentropy",
                     "config": {"from_logits": True, "label_smoothing": 0.1}}},
    {"$serialized": {"class_name": "SparseTopKCategoricalAccuracy", "config": {"k": 2}}},
    {"$serialized": {"class_name": "Recall", "config": {"thresholds": 0.4}}},
    {"$class": "BinaryAccuracy"}, {"$class": "CategoricalHinge"},
    {"$instance": {"class_name": "BinaryAccuracy", "config": {"threshold": 0.7}}},
    {"$function": "binary_accuracy"}, {"$function": "sparse_categorical_accuracy"},
    {"$lambda": 1},
]


def _jsonable(v: Any) -> Any:
    """A config value as JSON (Keras's dtype policies and tuples included)."""
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    if hasattr(v, "tolist"):
        return v.tolist()
    return repr(v)


def _decode(module: Any, ident: Any) -> Any:
    """The Keras object an encoded identifier stands for (see the module doc)."""
    from keras.saving import serialize_keras_object

    if not (isinstance(ident, dict) and len(ident) == 1 and next(iter(ident)).startswith("$")):
        return ident
    (key, val), = ident.items()
    if key == "$function":
        return getattr(module, val)
    if key == "$class":
        return getattr(module, val)
    if key == "$instance":
        return getattr(module, val["class_name"])(**val["config"])
    if key == "$serialized":
        if "function" in val:
            return serialize_keras_object(getattr(module, val["function"]))
        return serialize_keras_object(getattr(module, val["class_name"])(**val["config"]))
    if key == "$lambda":
        return lambda *args: 0.0
    raise ValueError(f"unknown encoding {key!r}")


def _record(module: Any, ident: Any) -> dict[str, Any]:
    import keras

    keras.backend.clear_session()  # default names without the "_1", "_2" of repeated names
    obj = _decode(module, ident)
    rec: dict[str, Any] = {"identifier": ident}
    if isinstance(ident, dict) and "$serialized" in ident:
        rec["serialized"] = _jsonable(obj)
    try:
        got = module.get(obj)
    except Exception as exc:  # the error's type is what is recorded
        rec.update(kind="error", error=type(exc).__name__, message=str(exc)[:200])
        return rec
    if got is None:
        rec["kind"] = "none"
    elif inspect.isclass(got):
        rec.update(kind="class", name=got.__name__)
    elif inspect.isfunction(got):
        rec.update(kind="function", name=got.__name__)
    else:
        rec.update(kind="instance", name=type(got).__name__,
                   config=_jsonable(got.get_config()))
    return rec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).resolve().parents[1] / "tests" / "data")
    args = parser.parse_args()
    import keras
    from keras import activations, losses, metrics

    records = {
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
        "activations": [_record(activations, i) for i in ACTIVATIONS],
        "losses": [_record(losses, i) for i in LOSSES],
        "metrics": [_record(metrics, i) for i in METRICS],
    }
    path = args.out / "keras_get.json"
    path.write_text(json.dumps(records, indent=1, sort_keys=True) + "\n")
    print(f"wrote {path}: " + ", ".join(
        f"{len(records[k])} {k}" for k in ("activations", "losses", "metrics")))


if __name__ == "__main__":
    main()

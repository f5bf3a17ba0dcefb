"""``get`` of activations, losses and metrics against Keras 3's own ``get``.

``tests/data/keras_get.json`` records, with Keras itself (``tools/generate_keras_get_records.py``),
what ``keras.activations.get``, ``keras.losses.get`` and ``keras.metrics.get`` return for a
list of identifiers: a function (its name), an instance (its class and config), ``None`` or
an error (its type). nnmath's ``get`` must give the same, except for the differences listed
in ``DIFFERENCES`` below, each a documented extension where Keras raises. Keras is not
imported here; ``test_live_keras_matches_the_record`` re-runs the record when Keras is
installed.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nnmath.activations as A
import nnmath.losses as L
import nnmath.metrics as M

DATA = Path(__file__).parent / "data" / "keras_get.json"
RECORD = json.loads(DATA.read_text())
NAMESPACES = {"activations": A, "losses": L, "metrics": M}
BASES = {"activations": A.Activation, "losses": L.Loss, "metrics": M.Metric}


def key(ident: Any) -> str:
    return json.dumps(ident, sort_keys=True)


#: where nnmath deliberately differs from Keras: identifier -> nnmath's outcome, as a record
#: (all are identifiers Keras refuses; nnmath's get documents each)
DIFFERENCES: dict[str, dict[str, dict[str, Any]]] = {
    "activations": {
        # any other spelling of a name: an instance of the class (PyTorch's names too)
        **{key(s): {"kind": "instance", "name": c} for s, c in [
            ("ReLU", "ReLU"), ("Relu", "ReLU"), ("RELU", "ReLU"), ("LeakyReLU", "LeakyReLU"),
            ("leakyrelu", "LeakyReLU"), ("Hardtanh", "HardTanh"), ("GELU", "GELU"),
            ("Softmax", "Softmax")]},
        # a serialized function without its "module": found all the same
        key({"class_name": "function", "config": "tanh"}): {"kind": "function", "name": "tanh"},
        # a class_name: nnmath has activation classes
        key({"class_name": "relu"}): {"kind": "instance", "name": "ReLU"},
        key({"class_name": "ReLU", "config": {}}): {"kind": "instance", "name": "ReLU"},
    },
    "losses": {
        # nnmath's aliases of functions (Keras 2's "kullback_leibler_divergence")
        key("cce"): {"kind": "function", "name": "categorical_crossentropy"},
        key("kullback_leibler_divergence"): {"kind": "function", "name": "kl_divergence"},
        # an alias as a dict's class_name (Keras looks it up among the metrics and fails)
        key({"class_name": "bce"}): {"kind": "function", "name": "binary_crossentropy"},
    },
    "metrics": {
        key("acc"): {"kind": "instance", "name": "Accuracy", "config": {"name": "acc"}},
        key("kld"): {"kind": "instance", "name": "KLDivergence"},
        key("KLD"): {"kind": "instance", "name": "KLDivergence"},
    },
}

#: config entries that differ by design: (namespace, class) -> {entry: nnmath's value}
CONFIG_DIFFERENCES: dict[tuple[str, str], dict[str, Any]] = {}
#: config entries Keras has and nnmath's classes do not take (they do not change results)
#: "dtype": nnmath's results are Python floats / float64 arrays whatever the dtype
IGNORED = {"dtype"}
ERRORS = {"ValueError": ValueError, "TypeError": TypeError}


def decode(ns: str, rec: dict[str, Any]) -> Any:
    """The nnmath object that a recorded identifier stands for (see the generator)."""
    ident = rec["identifier"]
    if not (isinstance(ident, dict) and len(ident) == 1 and next(iter(ident)).startswith("$")):
        return ident
    (kind, val), = ident.items()
    mod = NAMESPACES[ns]
    if kind in ("$function", "$class"):
        return getattr(mod, val)
    if kind == "$instance":
        return getattr(mod, val["class_name"])(**val["config"])
    if kind == "$serialized":
        return rec["serialized"]
    assert kind == "$lambda"
    return lambda *args: 0.0


def same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(
            a, b, rel_tol=1e-7)
    return bool(a == b)


def check(ns: str, rec: dict[str, Any], want: dict[str, Any]) -> None:
    """nnmath's get on ``rec``'s identifier gives the outcome ``want``."""
    mod, ident = NAMESPACES[ns], decode(ns, rec)
    if want["kind"] == "error":
        with pytest.raises(ERRORS[want["error"]]):
            mod.get(ident)
        return
    got = mod.get(ident)
    if want["kind"] == "none":
        assert got is None
    elif want["kind"] == "function":
        assert inspect.isfunction(got) and not isinstance(got, BASES[ns])
        if callable(ident):
            assert got is ident  # a callable comes back as it is
        else:
            assert got is getattr(mod, want["name"])  # the namespace's function of that name
    else:
        assert want["kind"] == "instance"
        assert isinstance(got, BASES[ns]) and type(got).__name__ == want["name"]
        if callable(ident) and not inspect.isclass(ident):
            assert got is ident
        mine = got.get_config()
        expected = {**want.get("config", {}),
                    **CONFIG_DIFFERENCES.get((ns, want["name"]), {})}
        for entry, value in expected.items():
            if entry in IGNORED:
                continue
            assert entry in mine, f"{want['name']} has no config entry {entry!r}"
            assert same(mine[entry], value), (entry, mine[entry], value)


CASES = [(ns, rec) for ns in NAMESPACES for rec in RECORD[ns]]


@pytest.mark.parametrize(("ns", "rec"), CASES,
                         ids=[f"{ns}-{key(rec['identifier'])[:60]}" for ns, rec in CASES])
def test_get_matches_keras(ns: str, rec: dict[str, Any]) -> None:
    want = DIFFERENCES[ns].get(key(rec["identifier"]), rec)
    check(ns, rec, want)


def test_the_record_covers_every_kind_and_the_differences_are_in_it() -> None:
    assert RECORD["keras_version"].startswith("3.")
    for ns in NAMESPACES:
        kinds = {rec["kind"] for rec in RECORD[ns]}
        assert {"function", "error"} <= kinds, ns
        assert "instance" in kinds or ns == "activations"
        idents = {key(rec["identifier"]) for rec in RECORD[ns]}
        assert set(DIFFERENCES[ns]) <= idents, ns
        # each difference is an identifier Keras refuses
        for rec in RECORD[ns]:
            if key(rec["identifier"]) in DIFFERENCES[ns]:
                assert rec["kind"] == "error", rec
    # every Keras activation function name gives nnmath's function of that name
    named = [r for r in RECORD["activations"] if isinstance(r["identifier"], str)
             and r["kind"] == "function"]
    assert len(named) >= 30


def test_params_and_data_are_nnmath_extensions() -> None:
    """What Keras's get cannot express: parameters and compile's data-driven choice."""
    assert A.get("relu", negative_slope=0.1) == A.ReLU(negative_slope=0.1)
    assert A.get(None, **{}) is A.linear
    assert L.get("bce", from_logits=True) == L.BinaryCrossentropy(from_logits=True)
    loss = L.get("crossentropy", y_true=np.zeros((4, 1)), y_pred=np.zeros((4, 1)))
    assert type(loss) is L.BinaryCrossentropy
    metric = M.get("accuracy", y_true=np.zeros(4), y_pred=np.zeros((4, 3)))
    assert type(metric) is M.SparseCategoricalAccuracy and metric.name == "accuracy"


def _generator() -> Any:
    path = Path(__file__).resolve().parents[1] / "tools" / "generate_keras_get_records.py"
    spec = importlib.util.spec_from_file_location("generate_keras_get_records", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_live_keras_matches_the_record() -> None:
    """With Keras installed: Keras's get today gives what the committed record says (so
    the comparison above is against the Keras of today)."""
    import os

    os.environ.setdefault("KERAS_BACKEND", "numpy")
    keras = pytest.importorskip("keras", reason="Keras is only needed to re-check the "
                                                "record of Keras's get")
    gen = _generator()
    lists = {"activations": gen.ACTIVATIONS, "losses": gen.LOSSES, "metrics": gen.METRICS}
    for ns, idents in lists.items():
        live = [gen._record(getattr(keras, ns), i) for i in idents]
        for rec, old in zip(live, RECORD[ns], strict=True):
            assert key(rec["identifier"]) == key(old["identifier"])
            assert rec["kind"] == old["kind"], (ns, rec, old)
            assert rec.get("name") == old.get("name"), (ns, rec, old)
            assert rec.get("error") == old.get("error"), (ns, rec, old)
            if rec["kind"] == "instance":
                want = DIFFERENCES[ns].get(key(rec["identifier"]), rec)
                check(ns, rec, want)

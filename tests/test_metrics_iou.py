"""The IoU family against Keras's vectors, hand derivations in exact arithmetic, and
scikit-learn's Jaccard score; the documented differences from Keras; states and bad input."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from keras_threshold_cases import cases, ids, replay

import nnmath.metrics as M

KERAS = cases("IoU", "MeanIoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU")


def test_the_vectors_cover_the_family() -> None:
    assert {c["metric"] for c in KERAS} == {"IoU", "MeanIoU", "BinaryIoU", "OneHotIoU",
                                            "OneHotMeanIoU"}
    assert any("ignore_class" in c["kwargs"] for c in KERAS)
    assert any(c["weights"] == "int_per_sample" for c in KERAS)


@pytest.mark.parametrize("case", KERAS, ids=ids(KERAS))
def test_agrees_with_keras(case: dict[str, Any]) -> None:
    got, want, _ = replay(case)
    # Keras adds 1e-7 to each denominator and divides in float32: within 1e-6 relative
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    assert np.all(got >= want - 1e-7)  # the epsilon only ever lowers Keras's value


def _iou(y: np.ndarray, p: np.ndarray, w: np.ndarray, c: int) -> Fraction | None:
    tp = sum((Fraction(float(v)) for v in w[(y == c) & (p == c)]), Fraction(0))
    union = sum((Fraction(float(v)) for v in w[(y == c) | (p == c)]), Fraction(0))
    return tp / union if union else None


@pytest.mark.parametrize("weighted", [False, True])
def test_mean_iou_equals_exact_hand_computation(weighted: bool) -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 4, (30, 5))
    p = np.where(rng.random((30, 5)) < 0.6, y, rng.integers(0, 4, (30, 5)))
    p[p == 3] = 2  # class 3 is never predicted
    w = rng.random(30) if weighted else None
    wb = np.ones((30, 5)) if w is None else np.broadcast_to(w[:, None], (30, 5))
    m = M.MeanIoU(num_classes=5)  # class 4 never occurs: left out
    m.update_state(y[:10], p[:10], None if w is None else w[:10])
    m.update_state(y[10:], p[10:], None if w is None else w[10:])
    ious = [q for q in (_iou(y, p, wb, c) for c in range(5)) if q is not None]
    assert len(ious) == 4
    assert m.result() == float(sum(ious, Fraction(0)) / len(ious))
    t = M.IoU(num_classes=5, target_class_ids=[1, 3])
    t.update_state(y, p, w)
    want = (_iou(y, p, wb, 1) + _iou(y, p, wb, 3)) / 2  # type: ignore[operator]
    assert t.result() == float(want)


def test_binary_iou_equals_scikit_learn_jaccard() -> None:
    sk = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 400)
    p = rng.random(400)
    w = rng.random(400)
    for sw in (None, w):
        m = M.BinaryIoU(threshold=0.4)
        m.update_state(y, p, sw)
        decided = (p >= 0.4).astype(int)
        want = sk.jaccard_score(y, decided, average="macro", sample_weight=sw)
        assert m.result() == pytest.approx(want, rel=1e-12, abs=0)
        one = M.BinaryIoU(target_class_ids=[1], threshold=0.4)
        one.update_state(y, p, sw)
        assert one.result() == pytest.approx(sk.jaccard_score(y, decided, sample_weight=sw),
                                             rel=1e-12, abs=0)
    # >= (Keras): a score at the threshold is class 1
    m = M.BinaryIoU(target_class_ids=[1], threshold=0.5)
    m.update_state([1], [0.5])
    assert m.result() == 1.0


def test_one_hot_variants_and_ignore_class() -> None:
    y = np.eye(3)[[0, 1, 2, 2]]
    scores = np.array([[0.6, 0.3, 0.1], [0.2, 0.2, 0.6], [0.1, 0.1, 0.8], [0.5, 0.4, 0.1]])
    # labels 0 1 2 2, predictions 0 2 2 0: IoU 0: 1/2, 1: 0/1, 2: 1/3
    m = M.OneHotMeanIoU(num_classes=3)
    m.update_state(y, scores)
    assert m.result() == float((Fraction(1, 2) + Fraction(1, 3)) / 3)
    o = M.OneHotIoU(num_classes=3, target_class_ids=[0, 2], sparse_y_pred=True)
    o.update_state(y, [0, 2, 2, 0])
    assert o.result() == float((Fraction(1, 2) + Fraction(1, 3)) / 2)
    # ignoring class 2 (its samples): labels 0 1, predictions 0 2: 0: 1, 1: 0, 2: 0/1
    ig = M.MeanIoU(num_classes=3, ignore_class=2)
    ig.update_state([0, 1, 2, 2], [0, 2, 2, 0])
    assert ig.result() == 1 / 3
    neg = M.MeanIoU(num_classes=3, ignore_class=-1)
    neg.update_state([0, -1, 1], [0, 2, 1])
    assert neg.result() == 1.0
    axis = M.MeanIoU(num_classes=3, sparse_y_true=False, sparse_y_pred=False, axis=0)
    axis.update_state(y.T, scores.T)
    assert axis.result() == m.result()


def test_float_weights_count_exactly() -> None:
    """Documented difference: Keras's default int dtype truncates float weights (0.5 is
    0 there); here every weight counts."""
    m = M.MeanIoU(num_classes=2)
    m.update_state([0, 1, 1], [0, 1, 0], sample_weight=[0.5, 0.5, 0.25])
    # class 0: 0.5 / (0.5 + 0.25), class 1: 0.5 / 0.75
    assert m.result() == 2 / 3


def test_states_merge_bit_for_bit() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, 50)
    p = rng.integers(0, 3, 50)
    w = rng.random(50)
    whole = M.IoU(num_classes=3, target_class_ids=[0, 2])
    whole.update_state(y, p, w)
    parts = []
    for a, b in ((0, 7), (7, 30), (30, 50)):
        part = M.IoU(num_classes=3, target_class_ids=[0, 2])
        part.update_state(y[a:b], p[a:b], w[a:b])
        parts.append(M.Metric.from_state(json.loads(json.dumps(part.get_state()))))
    for order in ((0, 1, 2), (2, 0, 1), (1, 2, 0)):
        merged = M.IoU(num_classes=3, target_class_ids=[0, 2])
        merged.merge_state([parts[i] for i in order])
        assert merged.get_state() == whole.get_state()
        assert merged.result() == whole.result()


def test_registry_and_config() -> None:
    for name, cls in [("io_u", M.IoU), ("mean_io_u", M.MeanIoU), ("binary_io_u", M.BinaryIoU),
                      ("one_hot_io_u", M.OneHotIoU), ("one_hot_mean_io_u", M.OneHotMeanIoU)]:
        assert name in M.names() and M.get(cls.__name__, **(
            {} if cls is M.BinaryIoU else {"num_classes": 3, **(
                {"target_class_ids": [0]} if cls in (M.IoU, M.OneHotIoU) else {})})
        ).name == name
    b = M.BinaryIoU(target_class_ids=[1], threshold=0.3, name="b", dtype="int32")
    assert b.get_config() == {"target_class_ids": [1], "threshold": 0.3, "dtype": "int32",
                              "name": "b"}
    assert M.Metric.from_state(b.get_state()).get_config() == b.get_config()


@pytest.mark.parametrize(("make", "y_true", "y_pred", "match"), [
    (lambda: M.MeanIoU(3), [0, 3], [0, 1], r"y_true holds labels outside \[0, 3\)"),
    (lambda: M.MeanIoU(3), [0, 1], [0, -1], r"y_pred holds labels outside \[0, 3\)"),
    (lambda: M.MeanIoU(3), [0, 1.5], [0, 1], "integer class labels"),
    (lambda: M.MeanIoU(3), [0, 1, 2], [0, 1], "as many labels"),
    (lambda: M.OneHotMeanIoU(3), [[0, 1]], [[0.5, 0.5]], "expected num_classes=3"),
    (lambda: M.BinaryIoU(), [0, 2], [0.1, 0.9], "labels 0 and 1"),
    (lambda: M.BinaryIoU(), [0, 1], [0.1, np.nan], "NaN"),
])
def test_bad_input(make: Any, y_true: Any, y_pred: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make().update_state(y_true, y_pred)


def test_bad_configuration() -> None:
    with pytest.raises(ValueError, match="num_classes must be >= 1"):
        M.MeanIoU(0)
    with pytest.raises(ValueError, match=r"class 3 is out of range \[0, 3\)"):
        M.IoU(3, target_class_ids=[0, 3])
    with pytest.raises(ValueError, match="at least one class"):
        M.IoU(3, target_class_ids=[])
    with pytest.raises(TypeError, match="ignore_class must be an integer"):
        M.MeanIoU(3, ignore_class=1.5)
    with pytest.raises(ValueError, match="threshold must be finite"):
        M.BinaryIoU(threshold=np.inf)

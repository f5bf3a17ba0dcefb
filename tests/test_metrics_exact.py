"""Exactness of the streaming metrics: scale, batch splits, merges, JSON state.

Expected values are computed from the construction of the data with Python integers
and fractions (``fractions.Fraction`` of each float64 is exact), never by nnmath.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

import nnmath.metrics as M
from nnmath._exact import exact_group_sums, exact_sum

# -- > 2**25 samples: integer counts -------------------------------------------------------------

BIG = 1 << 22  # samples per large batch


def test_counts_stay_exact_beyond_2_pow_25_samples() -> None:
    """8 batches of 2**22 predictions, then single samples: 2**25 + 3 in all.

    Keras and torchmetrics accumulate float32 totals: past 2**24 a single hit no longer
    changes them (2**25 + 1 rounds back to 2**25). This runs in the default suite (about
    a second): the 2**25 decisions come as large boolean and float32 batches.
    """
    rng = np.random.default_rng(0)
    metric = M.BinaryAccuracy()
    hits = 0
    for b in range(8):
        y_true = rng.random(BIG) < 0.5
        y_pred = rng.random(BIG, dtype=np.float32)
        if b == 3:
            y_pred[:1000] = 0.5  # exactly at the threshold: class 0
        metric.update_state(y_true, y_pred)
        hits += int(np.count_nonzero(y_true == (y_pred > 0.5)))
    for y_true, y_pred in [([1], [0.9]), ([0], [0.2]), ([1], [0.1])]:
        metric.update_state(y_true, y_pred)
    hits += 2
    n = 8 * BIG + 3
    assert n > 2**25
    state = metric.get_state()["state"]
    assert state["count"] == n and type(state["count"]) is int
    assert state["total"] == hits
    assert metric.result() == hits / n  # int / int: correctly rounded
    # the float32 accumulation of the same batches has stopped counting
    f32_count = np.float32(0)
    for batch in [BIG] * 8 + [1, 1, 1]:
        f32_count = np.float32(f32_count + np.float32(batch))
    assert f32_count == 2**25 != n


def test_result_is_the_correctly_rounded_ratio_for_huge_counts() -> None:
    """Counts far beyond float64's 2**53: the state is Python integers."""
    m = M.Accuracy()
    m._set_state({"total": 2**60 + 1, "count": 3 * 2**60 + 7})
    assert m.result() == float(Fraction(2**60 + 1, 3 * 2**60 + 7))
    m.update_state([1, 2], [1, 2])
    assert m.get_state()["state"] == {"total": 2**60 + 3, "count": 3 * 2**60 + 9}


# -- weighted sums: exact, whatever the split --------------------------------------------------

def test_exact_sum_against_fractions() -> None:
    rng = np.random.default_rng(1)
    for _ in range(50):
        n = int(rng.integers(0, 300))
        x = rng.normal(size=n) * np.exp2(rng.integers(-1070, 1000, n).astype(float))
        x = x[np.isfinite(x)]
        x = np.concatenate([x, [5e-324, -5e-324, 2.2250738585072014e-308, 1e308]])
        assert exact_sum(x) == sum(map(Fraction, x.tolist()), Fraction(0))
    groups = rng.integers(0, 7, 2000)
    x = rng.uniform(-1, 1, 2000) * 10.0 ** rng.integers(-30, 30, 2000)
    got = exact_group_sums(x, groups, 9)
    for g in range(9):
        assert got[g] == sum(map(Fraction, x[groups == g].tolist()), Fraction(0))


def test_weighted_totals_are_exact_and_split_independent() -> None:
    rng = np.random.default_rng(2)
    levels = np.array([0.1, 0.7, 1.3, 1e-9, 3e5])  # weights that do not add exactly in float
    n = 200_000
    w = levels[rng.integers(0, levels.size, n)]
    y_true = rng.integers(0, 2, n)
    y_pred = rng.random(n)
    hit = y_true == (y_pred > 0.5)
    # the exact answer from the construction: Σ over levels of (count × Fraction(level))
    num = sum(int(np.count_nonzero(hit & (w == v))) * Fraction(v) for v in levels)
    den = sum(int(np.count_nonzero(w == v)) * Fraction(v) for v in levels)
    want = float(num / den)
    results = set()
    for splits in ([n], [1000] * 200, list(rng.multinomial(n, np.ones(37) / 37))):
        m = M.BinaryAccuracy()
        start = 0
        for size in splits:
            m.update_state(y_true[start:start + size], y_pred[start:start + size],
                           sample_weight=w[start:start + size])
            start += size
        results.add(m.result())
    assert results == {want}
    # sanity check of the construction: naive float64 sums agree to rounding error
    assert float(np.sum(w[hit]) / np.sum(w)) == pytest.approx(want, rel=1e-12)


def test_loss_metric_total_is_the_exact_sum_of_the_exact_products() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, (5000, 1)).astype(float)
    z = rng.normal(0, 3, (5000, 1))
    w = rng.uniform(0, 2, 5000)
    from nnmath.losses import binary_crossentropy
    per_sample = binary_crossentropy(y, z, from_logits=True)
    num = sum((Fraction(a) * Fraction(b) for a, b in zip(per_sample.tolist(), w.tolist(),
                                                         strict=True)), Fraction(0))
    den = sum(map(Fraction, w.tolist()), Fraction(0))
    for batch in (5000, 7, 333):
        m = M.BinaryCrossentropy(from_logits=True)
        for s in range(0, 5000, batch):
            m.update_state(y[s:s + batch], z[s:s + batch], sample_weight=w[s:s + batch])
        assert m.result() == float(num / den)


# -- merge_state of any split equals one pass ---------------------------------------------------

def _data(kind: str, rng: np.random.Generator, n: int) -> tuple[Any, Any]:
    c = 5
    if kind == "binary":
        return rng.integers(0, 2, (n, 2)), (rng.integers(0, 5, (n, 2)) / 4)
    if kind == "onehot":
        return np.eye(c)[rng.integers(0, c, n)], rng.integers(0, 4, (n, c)) / 4
    if kind == "sparse":
        return rng.integers(0, c, n), rng.integers(0, 4, (n, c)) / 4
    if kind == "labels":
        return rng.integers(0, c, n), rng.integers(0, c, n)
    if kind == "probs":
        return rng.dirichlet(np.ones(c), n), rng.dirichlet(np.ones(c), n)
    if kind == "logits":
        return rng.integers(0, c, n), rng.normal(0, 3, (n, c))
    raise AssertionError(kind)


METRICS: list[tuple[Callable[[], M.Metric], str]] = [
    (M.Accuracy, "labels"),
    (M.BinaryAccuracy, "binary"),
    (lambda: M.BinaryAccuracy(threshold=0.3), "binary"),
    (M.CategoricalAccuracy, "onehot"),
    (M.SparseCategoricalAccuracy, "sparse"),
    (lambda: M.TopKCategoricalAccuracy(k=2), "onehot"),
    (lambda: M.SparseTopKCategoricalAccuracy(k=3), "sparse"),
    (M.BinaryCrossentropy, "binary"),
    (M.CategoricalCrossentropy, "probs"),
    (lambda: M.SparseCategoricalCrossentropy(from_logits=True), "logits"),
    (M.KLDivergence, "probs"),
    (M.Poisson, "probs"),
    (M.Hinge, "binary"),
    (M.SquaredHinge, "binary"),
    (M.CategoricalHinge, "onehot"),
    (lambda: M.ConfusionMatrix(5), "sparse"),
    (lambda: M.ConfusionMatrix(5, normalize="true"), "labels"),
    (lambda: M.MulticlassAccuracy(5, average="macro"), "sparse"),
    (lambda: M.MulticlassAccuracy(5, average=None, top_k=2), "sparse"),
    (M.MultilabelAccuracy, "binary"),
    (lambda: M.MultilabelAccuracy(mode="subset"), "binary"),
]
METRIC_IDS = [f"{make().__class__.__name__}-{kind}-{i}" for i, (make, kind) in enumerate(METRICS)]


def _same(a: Any, b: Any) -> bool:
    return bool(np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True))


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(("make", "kind"), METRICS, ids=METRIC_IDS)
def test_merge_of_random_splits_equals_one_pass(make, kind, weighted) -> None:
    rng = np.random.default_rng(zlib.crc32(f"{kind}{weighted}".encode()))
    n = 400
    y_true, y_pred = _data(kind, rng, n)
    w = rng.uniform(0, 3, n) * (rng.random(n) < 0.9) if weighted else None
    one = make()
    one.update_state(y_true, y_pred, sample_weight=w)
    for trial in range(3):
        cuts = np.sort(rng.choice(np.arange(1, n), size=int(rng.integers(1, 8)), replace=False))
        parts = np.split(np.arange(n), cuts)
        workers = []
        for idx in parts:
            m = make()
            for sub in np.array_split(idx, int(rng.integers(1, 4))):  # batches per worker
                m.update_state(y_true[sub], y_pred[sub],
                               sample_weight=None if w is None else w[sub])
            workers.append(m)
        order = rng.permutation(len(workers))
        merged = make()
        merged.merge_state(*[workers[i] for i in order])
        assert _same(merged.result(), one.result()), trial
        assert merged.get_state() == one.get_state()
    # a JSON round trip keeps the state, and updates continue from it
    restored = M.Metric.from_state(json.loads(json.dumps(one.get_state())))
    assert type(restored) is type(one)
    assert restored.get_state() == one.get_state()
    assert _same(restored.result(), one.result())
    y2, p2 = _data(kind, rng, 17)
    restored.update_state(y2, p2)
    one.update_state(y2, p2)
    assert _same(restored.result(), one.result())


def test_merge_accepts_a_list_and_reset_forgets() -> None:
    a, b, c = M.BinaryAccuracy(), M.BinaryAccuracy(), M.BinaryAccuracy()
    a.update_state([1, 0], [0.9, 0.9])
    b.update_state([1], [0.9])
    c.update_state([0], [0.1], sample_weight=[2.0])
    a.merge_state([b, c])
    assert a.result() == (1 + 1 + 2) / (2 + 1 + 2)
    a.reset_state()
    assert a.result() == 0.0 and a.get_state()["state"] == {"total": 0, "count": 0}


def test_state_is_plain_json_with_exact_numbers() -> None:
    m = M.BinaryAccuracy(threshold=0.25, name="acc")
    m.update_state([1, 0, 1], [0.3, 0.1, 0.2], sample_weight=[0.1, 0.2, 0.3])
    text = json.dumps(m.get_state())
    state = json.loads(text)
    assert state["metric"] == "BinaryAccuracy"
    assert state["config"] == {"threshold": 0.25, "name": "acc"}
    # hits weigh 0.1 + 0.2 (as float64 values, exactly), out of 0.1 + 0.2 + 0.3
    want_total = Fraction(0.1) + Fraction(0.2)
    assert Fraction(state["state"]["total"]) == want_total
    assert Fraction(state["state"]["count"]) == want_total + Fraction(0.3)
    back = M.BinaryAccuracy.from_state(state)
    assert back.name == "acc" and back.threshold == 0.25
    assert back.result() == float(want_total / (want_total + Fraction(0.3)))
    assert math.isfinite(back.result())

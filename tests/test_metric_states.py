"""Metric states: every entry of ``from_state`` is checked against the metric's declared
state (types, ranges, invariants), with a ValueError naming the entry; per-class counters
are Python integers that do not wrap at 2**63."""

from __future__ import annotations

import json

import numpy as np
import pytest

import nnmath.metrics as M


def _state(metric, **entries):
    s = json.loads(json.dumps(metric.get_state()))
    s["state"].update(entries)
    return s


@pytest.mark.parametrize(("metric", "entries", "key"), [
    (M.BinaryAccuracy(), {"count": -1}, "count"),
    (M.BinaryAccuracy(), {"total": -1}, "total"),
    (M.BinaryAccuracy(), {"total": 5, "count": 3}, "total"),  # hits above the count
    (M.BinaryAccuracy(), {"total": "nan"}, "total"),
    (M.BinaryAccuracy(), {"count": "1e100000000"}, "count"),
    (M.BinaryAccuracy(), {"count": "1/0"}, "count"),
    (M.BinaryAccuracy(), {"count": True}, "count"),
    (M.BinaryAccuracy(), {"count": [1]}, "count"),
    (M.BinaryAccuracy(), {"extra": 1}, "extra"),
    (M.Poisson(), {"count": -2}, "count"),
    (M.MulticlassAccuracy(3), {"hits": [2, 0, 0], "support": [1, 0, 0]}, "hits"),
    (M.MulticlassAccuracy(3), {"hits": [-1, 0, 0]}, "hits"),
    (M.MulticlassAccuracy(3), {"hits": [0, 0]}, "hits"),
    (M.MulticlassAccuracy(3), {"support": [0, 0, 1.5]}, "support"),
    (M.MulticlassAccuracy(3), {"weighted_hits": [[0, "1/2"]],
                               "weighted_support": [[0, "1/4"]]}, "weighted_hits"),
    (M.MulticlassAccuracy(3), {"weighted_hits": [[5, 1]]}, "weighted_hits"),
    (M.MulticlassAccuracy(3), {"weighted_support": [[0, 1], [0, 2]]}, "weighted_support"),
    (M.MulticlassAccuracy(3), {"weighted_support": [[0, -1]]}, "weighted_support"),
    (M.ConfusionMatrix(2), {"counts": [[1, 2], [3]]}, "counts"),
    (M.ConfusionMatrix(2), {"counts": [[1, 2], [3, "4"]]}, "counts"),
    (M.ConfusionMatrix(2), {"weighted": "yes"}, "weighted"),
], ids=range(21))
def test_invalid_states_are_refused(metric, entries, key):
    # "1e100000000" is refused by its form, before any arithmetic (it used to run for minutes)
    with pytest.raises(ValueError, match=f"'{key}'"):
        M.Metric.from_state(_state(metric, **entries))


@pytest.mark.parametrize(("metric", "key"), [
    (M.BinaryAccuracy(), "count"), (M.MulticlassAccuracy(3), "hits"),
    (M.ConfusionMatrix(2), "counts"),
])
def test_missing_entries_are_refused(metric, key):
    s = _state(metric)
    del s["state"][key]
    with pytest.raises(ValueError, match=f"'{key}' is missing"):
        M.Metric.from_state(s)


def test_bad_config_and_state_types():
    s = _state(M.BinaryAccuracy())
    s["config"] = {"nonsense": 1}
    with pytest.raises(ValueError, match="'config'"):
        M.Metric.from_state(s)
    s = _state(M.BinaryAccuracy())
    s["state"] = [1, 2]
    with pytest.raises(ValueError, match="'state'"):
        M.Metric.from_state(s)


def test_valid_states_round_trip_and_loss_totals_are_unbounded():
    m = M.Poisson()
    m.update_state([[0.0, 1.0]], [[1.0, 1.0]])
    back = M.Metric.from_state(json.loads(json.dumps(m.get_state())))
    assert back.result() == m.result()
    assert m.result() == pytest.approx(1.0, rel=1e-6)  # mean(1 - 0 log 1, 1 - 1 log 1)
    s = _state(M.KLDivergence(), total=-3, count=2)  # a negative total is a loss's right
    assert M.Metric.from_state(s).result() == -1.5
    s = _state(M.BinaryAccuracy(), total="3/4", count=1)
    assert M.Metric.from_state(s).result() == 0.75


def test_counts_beyond_int64_are_python_integers():
    big = 2**63 + 5
    m = M.MulticlassAccuracy(2)
    m2 = M.Metric.from_state(_state(m, hits=[big, 0], support=[big, 1]))
    m3 = M.Metric.from_state(_state(m, hits=[big, 0], support=[big, 1]))
    m2.merge_state(m3)
    assert m2.get_state()["state"]["hits"] == [2 * big, 0]
    assert m2.result() == float(__import__("fractions").Fraction(2 * big, 2 * big + 2))
    cm = M.ConfusionMatrix(2)
    cm.update_state([0, 1], [0, 0])
    other = M.Metric.from_state(_state(cm, counts=[[big, 0], [0, big]]))
    cm.merge_state(other)
    assert cm.get_state()["state"]["counts"] == [[big + 1, 0], [1, big]]
    assert cm.result().tolist() == [[big + 1, 0], [1, big]]
    # and merging many int64-sized counters does not wrap
    a = M.Metric.from_state(_state(M.ConfusionMatrix(1), counts=[[2**62]]))
    for _ in range(3):
        a.merge_state(M.Metric.from_state(_state(M.ConfusionMatrix(1), counts=[[2**62]])))
    assert a.get_state()["state"]["counts"] == [[2**64]]


def test_merge_checks_the_other_state():
    m = M.MulticlassAccuracy(2)
    other = M.MulticlassAccuracy(2)
    other._hits = np.array([3, 0], dtype=object)  # corrupted: hits above the support
    with pytest.raises(ValueError, match=r"others: .*'hits'"):
        m.merge_state(other)

"""nnmath on Dask arrays: lazy results, validation inside the graph, exact chunked sums.

* Nothing is computed while a result is built: the inputs are wrapped in a
  ``map_blocks`` that counts its calls, and results are built under a scheduler that
  fails if it is used.
* Checks that need the data (probabilities in [0, 1], labels in range, NaN predictions,
  weights) raise the library's ``ValueError`` when the result is computed.
* Reduced losses sum every chunk exactly: the value is the correctly rounded sum
  (``math.fsum``) of the per-sample losses, whatever the chunking.
* Streaming metrics updated with multi-chunk arrays hold exactly the state of one NumPy
  pass, computing each chunk once.

The values of every function on Dask arrays (built under a failing scheduler, chunked
along every axis) are compared with NumPy's in ``test_array_libraries.py``.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest

import nnmath.activations as A
import nnmath.losses as L
import nnmath.metrics as M

dask = pytest.importorskip("dask", reason="Dask is not installed")
da = pytest.importorskip("dask.array", reason="Dask is not installed")
pytest.importorskip("array_api_compat", reason="array-api-compat is not installed")

RTOL = 1e-12
RNG = np.random.default_rng(2024)


@contextmanager
def nothing_computed() -> Iterator[None]:
    """A scope in which computing a Dask graph fails."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a Dask graph was computed")

    with dask.config.set(scheduler=refuse):
        yield


class Counted:
    """A Dask array of NumPy data whose chunks count how often they are computed."""

    _ids = itertools.count()

    def __init__(self, data: np.ndarray, chunks: Any) -> None:
        self.data = np.asarray(data)
        self.calls = 0
        self._lock = threading.Lock()
        base = da.from_array(self.data, chunks=chunks)
        self.blocks = math.prod(base.numblocks)
        self.array = base.map_blocks(self._count, dtype=self.data.dtype,
                                     meta=np.empty((0,) * self.data.ndim, self.data.dtype),
                                     name=f"counted-{next(self._ids)}")

    def _count(self, block: np.ndarray) -> np.ndarray:
        with self._lock:
            self.calls += 1
        return block


def compute(*arrays: Any) -> list[np.ndarray]:
    return [np.asarray(a) for a in dask.compute(*arrays, scheduler="sync")]


# -- lazy results, each chunk read once ---------------------------------------------------------

N, C = 11, 6
X = RNG.normal(scale=4.0, size=(N, C))
X[1, 2] = X[1, 4] = X[1].max() + 1.0  # a tie for the maximum, in two chunks (of 4 columns)
LOGITS = RNG.normal(scale=3.0, size=(N, C))
PROBS = np.exp(LOGITS) / np.exp(LOGITS).sum(axis=-1, keepdims=True)
LABELS = RNG.integers(0, C, N)
ONEHOT = np.eye(C)[LABELS]
WEIGHT = RNG.uniform(0.0, 3.0, N)

# (id, a function of Dask or NumPy arrays, its arguments): the class axis is split too
LAZY = [
    ("gelu", A.gelu, (X,)),
    ("sparsemax gradient", A.Sparsemax().gradient, (X,)),
    ("log_softmax backward axis 0", A.LogSoftmax(axis=0).backward, (X, PROBS)),
    ("glu", A.glu, (X,)),
    ("cce from logits", lambda y, p, w: L.CategoricalCrossentropy(
        from_logits=True, label_smoothing=0.1, reduction="mean_with_sample_weight")(
        y, p, sample_weight=w), (ONEHOT, LOGITS, WEIGHT)),
    ("sparse cce gradient", lambda y, p, w: L.SparseCategoricalCrossentropy(
        ignore_class=2).gradient(y, p, sample_weight=w), (LABELS, PROBS, WEIGHT)),
    ("hinge sum", lambda y, p: L.Hinge(reduction="sum")(y, p), (ONEHOT, LOGITS)),
    ("focal", L.binary_focal_crossentropy, (ONEHOT, PROBS)),
    ("top-k", lambda y, p: M.sparse_top_k_categorical_accuracy(y, p, k=2), (LABELS, PROBS)),
    ("categorical accuracy", M.categorical_accuracy, (ONEHOT, PROBS)),
]


@pytest.mark.parametrize("entry", LAZY, ids=[e[0] for e in LAZY])
def test_results_are_lazy_and_read_each_chunk_once(entry: tuple) -> None:
    _, fn, args = entry
    counted = [Counted(a, 4 if a.ndim == 1 else (4, 4)) for a in args]
    with nothing_computed():
        result = fn(*(c.array for c in counted))
    assert isinstance(result, da.Array)
    assert all(c.calls == 0 for c in counted)
    want = fn(*args)
    # entries far below the largest may differ by rounding relative to the largest: a
    # chunked sum adds in another order
    np.testing.assert_allclose(*compute(result), want, rtol=RTOL,
                               atol=1e-14 * float(np.max(np.abs(want))))
    assert [c.calls for c in counted] == [c.blocks for c in counted]


# -- validation folded into the graph ------------------------------------------------------------

def _bad_inputs() -> list[tuple[str, Callable[[Any], Any], np.ndarray, str]]:
    """(id, a function of one Dask array, bad NumPy data for it, the error's message)."""
    probs = PROBS.copy()
    probs[7, 4] = 1.5
    labels = LABELS.copy()
    labels[9] = C
    fractional = LABELS.astype(np.float64)
    fractional[3] = 0.5
    nan_scores = PROBS.copy()
    nan_scores[10, 1] = np.nan
    negative = WEIGHT.copy()
    negative[6] = -1.0
    rates = PROBS.copy()
    rates[2, 2] = -0.1
    return [
        ("bce probabilities", lambda p: L.binary_crossentropy(ONEHOT, p), probs,
         r"probabilities in \[0, 1\]"),
        ("cce probabilities", lambda p: L.CategoricalCrossentropy()(ONEHOT, p), probs,
         r"probabilities in \[0, 1\]"),
        ("focal targets", lambda y: L.binary_focal_crossentropy(y, PROBS), probs,
         r"y_true must lie in \[0, 1\]"),
        ("sparse labels", lambda y: L.sparse_categorical_crossentropy(y, PROBS), labels,
         r"labels outside \[0, 6\): \[6\]"),
        ("fractional labels", lambda y: L.sparse_categorical_crossentropy(
            y, LOGITS, from_logits=True), fractional, "integer class labels"),
        ("poisson rates", lambda p: L.poisson(ONEHOT, p), rates, "must be >= 0"),
        ("negative weight", lambda w: L.Hinge()(ONEHOT, LOGITS, sample_weight=w), negative,
         "sample_weight must be >= 0"),
        ("nan scores", lambda p: M.sparse_categorical_accuracy(LABELS, p), nan_scores,
         "contains NaN"),
        ("top-k labels", lambda y: M.sparse_top_k_categorical_accuracy(y, PROBS, k=2), labels,
         r"labels outside \[0, 6\): \[6\]"),
        ("binary nan", lambda p: M.binary_accuracy(ONEHOT, p), nan_scores, "contains NaN"),
    ]


@pytest.mark.parametrize("entry", _bad_inputs(), ids=[e[0] for e in _bad_inputs()])
def test_validation_is_deferred_to_compute(entry: tuple) -> None:
    _, fn, bad, message = entry
    with pytest.raises(ValueError, match=message):  # NumPy: raised by the call
        fn(bad)
    x = Counted(bad, 4 if bad.ndim == 1 else (4, 3))
    with nothing_computed():
        result = fn(x.array)  # Dask: nothing read yet, so nothing to refuse
    assert isinstance(result, da.Array)
    assert x.calls == 0
    with pytest.raises(ValueError, match=message):
        result.compute(scheduler="sync")


# -- reductions: exact sums of the chunks --------------------------------------------------------

def _wide_logits(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Logits whose per-sample losses span 30 orders of magnitude: a float sum depends on
    the order of the additions."""
    scale = 10.0 ** rng.uniform(-12, 18, n)
    z = rng.normal(size=(n, 4)) * scale[:, None]
    return rng.integers(0, 4, n), z


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_reduced_losses_are_exact_and_independent_of_chunks(dtype: type) -> None:
    n, rng = 300, np.random.default_rng(7)
    labels, z = _wide_logits(n, rng)
    z = z.astype(dtype)
    w = rng.uniform(0.0, 2.0, n).astype(dtype)
    per_sample = L.sparse_categorical_crossentropy(da.from_array(labels, chunks=n),
                                                   da.from_array(z, chunks=(n, 4)),
                                                   from_logits=True).compute(scheduler="sync")
    np.testing.assert_allclose(per_sample, L.sparse_categorical_crossentropy(
        labels, z, from_logits=True), rtol=1e-13 if dtype is np.float64 else 1e-5, atol=1e-30)
    # a float sum depends on the order of the additions ...
    assert len({float(np.sum(np.roll(per_sample, k))) for k in range(0, n, 7)}) > 1
    # ... the references: correctly rounded sums (math.fsum), rounded to the dtype once,
    # then divided (one more rounding). The weights are first divided by the largest one
    # (sample_weights: huge and subnormal weights stay in range), and the products are
    # those of the scaled weights, rounded as nnmath rounds them.
    losses64 = per_sample.astype(np.float64)
    ws = w / w.max()
    weighted = (per_sample * ws).astype(np.float64)
    exact = {
        "sum": dtype(math.fsum(losses64)),
        "sum_over_batch_size": dtype(math.fsum(losses64)) / dtype(n),
        "mean_with_sample_weight": dtype(math.fsum(weighted)) / dtype(math.fsum(ws.astype(
            np.float64))),
    }
    for reduction, want in exact.items():
        loss = L.SparseCategoricalCrossentropy(from_logits=True, reduction=reduction)
        sw = w if reduction == "mean_with_sample_weight" else None
        numpy_value = loss(labels, z, sample_weight=sw)
        for chunks in (n, 37):
            got = loss(da.from_array(labels, chunks=chunks), da.from_array(z, chunks=(chunks, 2)),
                       sample_weight=None if sw is None else da.from_array(sw, chunks=chunks))
            value = got.compute(scheduler="sync")
            assert value.dtype == dtype
            assert value == want, (reduction, chunks)  # bit for bit
        # and NumPy's float sum agrees to rounding
        np.testing.assert_allclose(numpy_value, want, rtol=1e-12 if dtype is np.float64 else
                                   1e-5)


def test_non_finite_losses_propagate_through_the_exact_sum() -> None:
    z = LOGITS.copy()
    z[4, 1] = np.nan
    loss = L.CategoricalCrossentropy(from_logits=True, reduction="sum")
    got = loss(da.from_array(ONEHOT, chunks=3), da.from_array(z, chunks=3))
    assert np.isnan(got.compute(scheduler="sync"))
    assert np.isnan(loss(ONEHOT, z))
    hinge = L.Hinge(reduction="sum")
    inf_scores = LOGITS.copy()
    inf_scores[0, 0] = -np.inf if ONEHOT[0, 0] else np.inf
    assert hinge(da.from_array(ONEHOT, chunks=3), da.from_array(inf_scores, chunks=3)
                 ).compute(scheduler="sync") == hinge(ONEHOT, inf_scores) == np.inf


# -- streaming metrics: exact, one computation -------------------------------------------------

BIG = 12_000
BIG_LABELS = RNG.integers(0, 5, BIG)
BIG_SCORES = RNG.normal(size=(BIG, 5)) + 0.8 * np.eye(5)[BIG_LABELS]
BIG_WEIGHTS = RNG.uniform(0.0, 3.0, BIG)
BIG_BINARY = (RNG.uniform(size=(BIG, 5)) > 0.5).astype(np.float64)
BIG_PROBS = 1.0 / (1.0 + np.exp(-BIG_SCORES))

# (id, metric factory, y_true, y_pred)
STREAMING = [
    ("SparseCategoricalAccuracy", M.SparseCategoricalAccuracy, BIG_LABELS, BIG_SCORES),
    ("BinaryAccuracy", M.BinaryAccuracy, BIG_BINARY, BIG_PROBS),
    ("MultilabelAccuracy(subset)", lambda: M.MultilabelAccuracy(mode="subset"), BIG_BINARY,
     BIG_PROBS),
    ("ConfusionMatrix", lambda: M.ConfusionMatrix(5), BIG_LABELS, BIG_SCORES),
    ("MulticlassAccuracy", lambda: M.MulticlassAccuracy(5, average="macro", top_k=2),
     BIG_LABELS, BIG_SCORES),
    ("SparseCategoricalCrossentropy",
     lambda: M.SparseCategoricalCrossentropy(from_logits=True, ignore_class=3), BIG_LABELS,
     BIG_SCORES),
]


@pytest.mark.parametrize("entry", STREAMING, ids=[e[0] for e in STREAMING])
@pytest.mark.parametrize("weights", ["none", "per-sample", "scalar"])
def test_streaming_metrics_equal_one_numpy_pass(entry: tuple, weights: str) -> None:
    _, factory, y_np, p_np = entry
    sw_np: Any = {"none": None, "per-sample": BIG_WEIGHTS, "scalar": 2.5}[weights]
    want = factory()
    want.update_state(y_np, p_np, sample_weight=sw_np)
    y = Counted(y_np, (3000,) + (2,) * (y_np.ndim - 1))
    p = Counted(p_np, (3500, 2))  # other chunks than y_true's, and the class axis split
    w = Counted(BIG_WEIGHTS, 2500)
    got = factory()
    got.update_state(y.array, p.array,
                     sample_weight=w.array if weights == "per-sample" else sw_np)
    assert got.get_state() == want.get_state()  # exactly: counts and exact sums
    r_got, r_want = got.result(), want.result()
    np.testing.assert_array_equal(r_got, r_want)
    assert (y.calls, p.calls) == (y.blocks, p.blocks)  # one computation, each chunk once
    assert w.calls == (w.blocks if weights == "per-sample" else 0)


def test_streaming_update_merges_like_workers() -> None:
    """Two metrics fed Dask batches, merged: the state of one NumPy pass over all data."""
    half = BIG // 2
    want = M.SparseCategoricalAccuracy()
    want.update_state(BIG_LABELS, BIG_SCORES, sample_weight=BIG_WEIGHTS)
    parts = []
    for rows in (slice(0, half), slice(half, None)):
        m = M.SparseCategoricalAccuracy()
        m.update_state(da.from_array(BIG_LABELS[rows], chunks=3000),
                       da.from_array(BIG_SCORES[rows], chunks=(4000, 5)),
                       sample_weight=da.from_array(BIG_WEIGHTS[rows], chunks=2500))
        parts.append(m)
    parts[0].merge_state(parts[1])
    assert parts[0].get_state() == want.get_state()
    assert parts[0].result() == want.result()


def test_streaming_update_refuses_bad_data() -> None:
    labels = BIG_LABELS.copy()
    labels[6789] = 7
    m = M.SparseCategoricalAccuracy()
    with pytest.raises(ValueError, match=r"labels outside \[0, 5\): \[7\]"):
        m.update_state(da.from_array(labels, chunks=5000), da.from_array(BIG_SCORES,
                                                                          chunks=(5000, 5)))
    assert m.get_state()["state"] == {"total": 0, "count": 0}  # nothing was added
    weights = BIG_WEIGHTS.copy()
    weights[3] = np.nan
    with pytest.raises(ValueError, match="sample_weight must be finite"):
        m.update_state(BIG_LABELS, da.from_array(BIG_SCORES, chunks=(5000, 5)),
                       sample_weight=da.from_array(weights, chunks=5000))
    assert m.result() == 0.0

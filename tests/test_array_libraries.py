"""nnmath on the arrays of other libraries: PyTorch (CPU), JAX (CPU), Dask, array-api-strict.

Activations (value, gradient, backward), losses (functions; the Loss classes' value and
gradient under every reduction) and metrics (functions and streaming classes) must return
arrays of the input's library, keep float32, and give the values of NumPy: the reference
is nnmath's own NumPy result on the same data (1e-12 relative in float64; metric states
exactly, since they count). Dask results are built under a scheduler that fails, so
these tests also show that nothing is computed before the results are read. Each
library's tests are skipped with a reason when it (or array-api-compat, through which it
is used) is not installed.

All arrays have one of a few shapes, so that JAX compiles each operation only a few
times; for the same reason JAX's float32 results are checked on every third activation
and loss only.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from activation_cases import ALL_CASES, case_id, make

import nnmath.losses as L
import nnmath.metrics as M

# (relative tolerance, absolute tolerance as a fraction of the largest expected entry)
RTOL = (1e-12, 1e-14)  # float64; entries far below the largest (cancellation, as in a
# vector-Jacobian product) may differ by rounding relative to the largest: a chunked
# Dask sum adds in another order
RTOL32 = (2e-6, 2e-6)  # float32: other libraries compute in float32, NumPy in float64
EXACT = (0.0, 0.0)


# -- the libraries ------------------------------------------------------------------------------

@dataclass
class Library:
    name: str
    asarray: Callable[[np.ndarray], Any]
    array_type: type
    context: Callable[[], contextlib.AbstractContextManager[Any]] = contextlib.nullcontext
    to_numpy: Callable[..., list[np.ndarray]] = field(
        default=lambda *arrays: [np.asarray(a) for a in arrays])
    #: a scope in which reading a value fails (lazy libraries: nothing may be computed)
    lazy: Callable[[], contextlib.AbstractContextManager[Any]] = contextlib.nullcontext
    #: float32 is checked for every n-th case (JAX compiles each operation once per dtype)
    float32_every: int = 1

    def float32(self, case: Any, cases: list[Any]) -> bool:
        return cases.index(case) % self.float32_every == 0

    def __call__(self, a: Any) -> Any:
        return self.asarray(np.asarray(a))


def _compat() -> None:
    pytest.importorskip("array_api_compat", reason="array-api-compat is not installed")


def _torch() -> Library:
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    _compat()
    return Library("torch", torch.asarray, torch.Tensor)


def _jax() -> Library:
    jax = pytest.importorskip("jax", reason="JAX is not installed")
    _compat()
    # float64 needs JAX's 64-bit mode, scoped to these tests
    return Library("jax", jax.numpy.asarray, jax.Array, lambda: jax.enable_x64(True),
                   float32_every=3)


def _dask() -> Library:
    dask = pytest.importorskip("dask", reason="Dask is not installed")
    da = pytest.importorskip("dask.array", reason="Dask is not installed")
    _compat()

    def asarray(a: np.ndarray) -> Any:  # several chunks along every axis
        return da.from_array(a, chunks=2)

    def to_numpy(*arrays: Any) -> list[np.ndarray]:  # one computation for all
        return [np.asarray(a) for a in dask.compute(*arrays, scheduler="sync",
                                                      optimize_graph=False)]

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a Dask graph was computed while results were being built")

    return Library("dask", asarray, da.Array, to_numpy=to_numpy,
                   lazy=lambda: dask.config.set(scheduler=refuse))


def _strict() -> Library:
    xps = pytest.importorskip("array_api_strict", reason="array-api-strict is not installed")
    return Library("array_api_strict", xps.asarray, type(xps.asarray(0.0)))


@pytest.fixture(scope="module", params=[_torch, _jax, _dask, _strict],
                ids=["torch", "jax", "dask", "array_api_strict"])
def lib(request: pytest.FixtureRequest) -> Iterator[Library]:
    library = request.param()
    with library.context():
        yield library


class Expect:
    """Pairs (an array of ``lib``, NumPy's result), built in a ``with`` block in which
    nothing may be computed (Dask stays lazy), then checked together."""

    def __init__(self, lib: Library) -> None:
        self.lib = lib
        self.pairs: list[tuple[Any, Any, tuple[float, float]]] = []
        self._lazy = contextlib.ExitStack()

    def __enter__(self) -> Expect:
        self._lazy.enter_context(self.lib.lazy())
        return self

    def __exit__(self, *exc: object) -> None:
        self._lazy.close()
        if exc[0] is None:
            self.verify()

    def __call__(self, got: Any, want: Any, tol: tuple[float, float] = RTOL) -> None:
        assert isinstance(got, self.lib.array_type), type(got)
        self.pairs.append((got, want, tol))

    def verify(self) -> None:
        assert self.pairs
        hosts = self.lib.to_numpy(*(got for got, _, _ in self.pairs))
        for g, (_, want, (rtol, atol)) in zip(hosts, self.pairs, strict=True):
            w = np.asarray(want)
            assert g.shape == w.shape
            assert g.dtype == w.dtype
            largest = float(np.max(np.abs(w), initial=1.0 if w.dtype == np.float32 else 0.0))
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol * largest)


# -- the data: two batches of N = 4 samples, C = 4 classes ----------------------------------

N = C = 4  # square: moving the class axis keeps the shape


def _batch(seed: int) -> dict[str, np.ndarray]:
    r = np.random.default_rng(seed)
    logits = r.normal(scale=2.0, size=(N, C))
    probs = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    # the best class three times, the worst once: hits and misses for top-1 and top-2
    labels = np.array([np.argmax(probs[0]), np.argmax(probs[1]), np.argmin(probs[2]),
                       np.argmax(probs[3])])
    onehot = np.eye(C)[labels]
    return {
        "logits": logits, "probs": probs, "labels": labels, "onehot": onehot,
        "predicted": np.where(np.arange(N) == 1, (labels + 1) % C, labels).astype(np.float64),
        "bin_y": np.array([[1, 0, 1, 1], [0, 0, 1, 0], [1, 1, 0, 0], [0, 1, 1, 0]],
                          dtype=np.float64),
        "bin_p": r.uniform(0.01, 0.99, size=(N, C)),
        "soft": r.uniform(size=(N, C)),
        "counts": r.poisson(2.0, size=(N, C)).astype(np.float64),
        "signs": np.where(onehot > 0, 1.0, -1.0),
        "mixed": np.where(onehot > 0, 1.0, np.where(np.arange(C) % 2 == 0, -1.0, 0.0)),
        "sorted_ids": np.argsort(-probs, axis=-1, kind="stable"),
        "weight": r.uniform(0.1, 2.0, size=N),
        "onehot0": onehot.T.copy(),  # one-hot columns, for the class axis 0
    }


BATCHES = (_batch(11), _batch(12))
B = BATCHES[0]


# -- activations ----------------------------------------------------------------------------

X = np.array([[-1.3, 4.2, 0.0, 2.5], [-0.5, 0.5, -6.1, 7.3], [-30.0, 1.1, -2.2, 0.35],
              [12.0, -0.02, 3.3, -9.5]])


@pytest.mark.parametrize("case", ALL_CASES, ids=case_id)
def test_activation_value_gradient_backward(lib: Library, case: tuple[str, dict]) -> None:
    act = make(*case)
    y_np = act(X)
    g_np = B["soft"][:, : y_np.shape[-1]]
    x32 = X.astype(np.float32)
    with Expect(lib) as expect:
        expect(act(lib(X)), y_np)
        expect(act.gradient(lib(X)), act.gradient(X))
        expect(act.backward(lib(X), lib(g_np)), act.backward(X, g_np))
        if lib.float32(case, ALL_CASES):  # float32 stays float32 (close to NumPy's)
            expect(act(lib(x32)), act(x32), RTOL32)


# -- losses ---------------------------------------------------------------------------------

# (function name, keyword arguments, y_true key, y_pred key)
LOSS_CASES: list[tuple[str, dict, str, str]] = [
    ("binary_crossentropy", {}, "bin_y", "bin_p"),
    ("binary_crossentropy", {"label_smoothing": 0.1, "pos_weight": [1.0, 2.0, 0.5, 1.5]},
     "soft", "bin_p"),
    ("binary_crossentropy", {"from_logits": True}, "bin_y", "logits"),
    ("categorical_crossentropy", {}, "onehot", "probs"),
    ("categorical_crossentropy", {"from_logits": True, "axis": 0, "label_smoothing": 0.2,
                                  "class_weight": [1.0, 2.0, 0.5, 1.5]}, "onehot0", "logits"),
    ("sparse_categorical_crossentropy", {}, "labels", "probs"),
    ("sparse_categorical_crossentropy", {"from_logits": True, "ignore_class": 1}, "labels",
     "logits"),
    ("sparse_categorical_crossentropy", {"class_weight": {0: 2.0}, "label_smoothing": 0.1},
     "labels", "probs"),
    ("binary_focal_crossentropy", {"from_logits": True, "apply_class_balancing": True,
                                   "gamma": 0.5}, "bin_y", "logits"),
    ("categorical_focal_crossentropy", {}, "onehot", "probs"),
    ("categorical_focal_crossentropy", {"from_logits": True, "alpha": [0.1, 0.2, 0.3, 0.4]},
     "onehot", "logits"),
    ("kl_divergence", {}, "soft", "probs"),
    ("poisson", {}, "counts", "bin_p"),
    ("hinge", {}, "onehot", "logits"),  # {0, 1} labels: mapped to {-1, 1}
    ("squared_hinge", {}, "mixed", "logits"),  # {-1, 0, 1}: not mapped
    ("categorical_hinge", {}, "onehot", "logits"),
]
REDUCTIONS = ("sum_over_batch_size", "sum", "none", "mean_with_sample_weight")


def case_name(case: tuple) -> str:
    name, kw = case[0], case[1]
    return name + ("(" + ",".join(sorted(kw)) + ")" if kw else "")


def f32(a: np.ndarray) -> np.ndarray:
    return a.astype(np.float32) if a.dtype.kind == "f" else a


@pytest.mark.parametrize("case", LOSS_CASES, ids=[case_name(c) for c in LOSS_CASES])
def test_loss_functions_and_classes(lib: Library, case: tuple) -> None:
    name, kw, yk, pk = case
    y, p, sw = B[yk], B[pk], B["weight"]
    fn = getattr(L, name)
    loss = L.get(fn, reduction="sum_over_batch_size", **kw)  # params: an instance
    with Expect(lib) as expect:
        expect(fn(lib(y), lib(p), **kw), fn(y, p, **kw))
        if lib.float32(case, LOSS_CASES):
            expect(fn(lib(f32(y)), lib(f32(p)), **kw), fn(f32(y), f32(p), **kw), RTOL32)
        expect(loss(lib(y), lib(p), sample_weight=lib(sw)), loss(y, p, sample_weight=sw))
        expect(loss.gradient(lib(y), lib(p), sample_weight=lib(sw)),
               loss.gradient(y, p, sample_weight=sw))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_loss_reductions(lib: Library, reduction: str) -> None:
    """The reductions are shared by every loss (the mask of ``ignore_class`` is covered
    above, with the default reduction): one cheap loss covers them."""
    y, p = B["counts"], B["bin_p"]
    loss = L.Poisson(reduction=reduction)
    weights = (None, B["weight"]) + ((0.5,) if reduction == REDUCTIONS[0] else ())
    with Expect(lib) as expect:
        for sw in weights:
            lsw = sw if sw is None or isinstance(sw, float) else lib(sw)
            expect(loss(lib(y), lib(p), sample_weight=lsw), loss(y, p, sample_weight=sw))
            expect(loss.gradient(lib(y), lib(p), sample_weight=lsw),
                   loss.gradient(y, p, sample_weight=sw))
        if reduction == "none":
            g = B["weight"]
            expect(loss.gradient(lib(y), lib(p), grad_output=lib(g)),
                   loss.gradient(y, p, grad_output=g))
        else:
            expect(loss.gradient(lib(y), lib(p), grad_output=2.5),
                   loss.gradient(y, p, grad_output=2.5))


# -- metrics --------------------------------------------------------------------------------

# (function name, keyword arguments, y_true key, y_pred key)
METRIC_CASES: list[tuple[str, dict, str, str]] = [
    ("accuracy", {}, "labels", "predicted"),
    ("binary_accuracy", {}, "bin_y", "bin_p"),
    ("binary_accuracy", {"threshold": 0.3}, "bin_y", "bin_p"),
    ("categorical_accuracy", {}, "onehot", "probs"),
    ("sparse_categorical_accuracy", {}, "labels", "probs"),
    ("top_k_categorical_accuracy", {"k": 2}, "onehot", "probs"),
    ("sparse_top_k_categorical_accuracy", {"k": 2}, "labels", "probs"),
    ("sparse_top_k_categorical_accuracy", {"k": 2, "from_sorted_ids": True}, "labels",
     "sorted_ids"),
]


@pytest.mark.parametrize("case", METRIC_CASES, ids=[case_name(c) for c in METRIC_CASES])
def test_metric_functions(lib: Library, case: tuple) -> None:
    name, kw, yk, pk = case
    y, p = B[yk], B[pk]
    fn = getattr(M, name)
    want = fn(y, p, **kw)
    assert 0 < want.sum() < want.size  # hits and misses
    with Expect(lib) as expect:
        expect(fn(lib(y), lib(p), **kw), want, EXACT)
        expect(fn(lib(y), lib(f32(p)), **kw), fn(y, f32(p), **kw), EXACT)


# (id, metric factory, y_true key, y_pred key, whether the state is exact across libraries)
STREAMING: list[tuple[str, Callable[[], M.Metric], str, str, bool]] = [
    ("Accuracy", M.Accuracy, "labels", "predicted", True),
    ("BinaryAccuracy", M.BinaryAccuracy, "bin_y", "bin_p", True),
    ("CategoricalAccuracy", M.CategoricalAccuracy, "onehot", "probs", True),
    ("SparseCategoricalAccuracy", M.SparseCategoricalAccuracy, "labels", "probs", True),
    ("TopKCategoricalAccuracy", lambda: M.TopKCategoricalAccuracy(k=2), "onehot", "probs",
     True),
    ("SparseTopKCategoricalAccuracy", lambda: M.SparseTopKCategoricalAccuracy(k=2), "labels",
     "probs", True),
    ("SparseTopK(sorted ids)",
     lambda: M.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True), "labels",
     "sorted_ids", True),
    ("MultilabelAccuracy", M.MultilabelAccuracy, "bin_y", "bin_p", True),
    ("MultilabelAccuracy(subset)", lambda: M.MultilabelAccuracy(mode="subset", threshold=0.3),
     "bin_y", "bin_p", True),
    ("ConfusionMatrix", lambda: M.ConfusionMatrix(C), "labels", "probs", True),
    ("MulticlassAccuracy(macro)", lambda: M.MulticlassAccuracy(C, average="macro"), "labels",
     "predicted", True),
    ("MulticlassAccuracy(top_k)", lambda: M.MulticlassAccuracy(C, top_k=2, ignore_index=3),
     "labels", "probs", True),
    ("BinaryCrossentropy", M.BinaryCrossentropy, "bin_y", "bin_p", False),
    ("CategoricalCrossentropy", lambda: M.CategoricalCrossentropy(from_logits=True), "onehot",
     "logits", False),
    ("SparseCategoricalCrossentropy",
     lambda: M.SparseCategoricalCrossentropy(from_logits=True, ignore_class=2), "labels",
     "logits", False),
    ("KLDivergence", M.KLDivergence, "soft", "probs", False),
    ("Poisson", M.Poisson, "counts", "probs", False),
    ("Hinge", M.Hinge, "signs", "logits", False),
    ("SquaredHinge", M.SquaredHinge, "onehot", "logits", False),
    ("CategoricalHinge", M.CategoricalHinge, "onehot", "logits", False),
]


def _feed(metric: M.Metric, conv: Callable[[Any], Any], yk: str, pk: str,
          batches: tuple[int, ...] = (0, 1)) -> None:
    """Batch 0 unweighted, batch 1 weighted per sample."""
    for i in batches:
        b = BATCHES[i]
        weight = None if i == 0 else conv(b["weight"])
        metric.update_state(conv(b[yk]), conv(b[pk]), sample_weight=weight)


def _assert_same(got: M.Metric, want: M.Metric, exact: bool) -> None:
    r_got, r_want = got.result(), want.result()
    if isinstance(r_want, np.ndarray):
        assert isinstance(r_got, np.ndarray)
        np.testing.assert_array_equal(r_got, r_want)
    else:
        assert isinstance(r_got, float)
        assert r_got == pytest.approx(r_want, rel=0 if exact else RTOL[0], abs=0)
    if exact:
        assert got.get_state() == want.get_state()


@pytest.mark.parametrize("entry", STREAMING, ids=[e[0] for e in STREAMING])
def test_streaming_metrics(lib: Library, entry: tuple) -> None:
    """Two workers fed arrays of ``lib`` (one batch unweighted, one weighted), merged
    through JSON: the state of one NumPy pass over both batches."""
    _, factory, yk, pk, exact = entry
    want = factory()
    _feed(want, np.asarray, yk, pk)
    a, b = factory(), factory()
    _feed(a, lib, yk, pk, (0,))
    _feed(b, lib, yk, pk, (1,))
    merged = M.Metric.from_state(json.loads(json.dumps(a.get_state())))
    merged.merge_state(b)
    _assert_same(merged, want, exact)

"""Conformance of nnmath.losses with Keras 3 on vectors produced by Keras itself.

``tests/data/keras_losses.{npz,json}`` were written by ``tools/generate_keras_loss_vectors.py``
running Keras 3 (``KERAS_BACKEND=numpy``, float32; and ``KERAS_BACKEND=jax`` for its exact
logits path). Every case is compared in float32. The cases tagged in the JSON are the
documented divergences, each tested explicitly here:

* ``saturated_logits`` — nnmath computes ``from_logits=True`` exactly in the log domain;
  Keras's numpy backend (binary) and every backend (focal losses) clip ``sigmoid(z)`` or
  ``softmax(z)`` to ``[eps, 1 - eps]`` first, capping the loss near 16.1;
* ``axis_label_smoothing`` — Keras smooths categorical labels with ``C = shape[-1]``
  whatever ``axis`` is; nnmath uses the size of ``axis``;
* ``scalar_weight_mean`` — Keras's ``"mean_with_sample_weight"`` divides by the sum of
  ``sample_weight`` *as given*, so a scalar weight ``w`` returns ``w Σ loss / w``, the
  plain sum; nnmath divides by the sum of the weights broadcast to the losses.

The float64 dtype is a divergence too: Keras computes in float32, nnmath keeps float64.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import nnmath.losses as L

DATA = Path(__file__).parent / "data"
META = json.loads((DATA / "keras_losses.json").read_text())
with np.load(DATA / "keras_losses.npz", allow_pickle=False) as _npz:
    ARRAYS = {k: _npz[k] for k in _npz.files}
CASES = META["cases"]
DIVERGENT = {"saturated_logits", "axis_label_smoothing", "scalar_weight_mean"}

# float32: a few ulps relative; the absolute part covers log1p(-p) (nnmath) against
# Keras's log(1 - p), which differ by up to 1.2e-7 when p is at the clip bound 1e-7
RTOL, ATOL = 1e-5, 2e-7


@pytest.fixture(autouse=True)
def _no_fp_warnings():
    with np.errstate(all="raise"):
        yield


def _inputs(case):
    cid = case["id"]
    return (ARRAYS[f"{cid}__y_true"], ARRAYS[f"{cid}__y_pred"],
            ARRAYS.get(f"{cid}__sample_weight"))


def _nnmath(case, dtype=np.float32, **override):
    y, p, sw = _inputs(case)
    loss = L.get(case["loss"], reduction=case["reduction"], **{**case["kwargs"], **override})
    sw = None if sw is None else sw.astype(dtype)
    return loss(y.astype(dtype), p.astype(dtype), sample_weight=sw)


def _keras(case, backend="numpy"):
    return ARRAYS[f"{case['id']}__{backend}"]


def _ids(cases):
    return [f"{c['id']}-{c['loss']}-{c['reduction']}-{json.dumps(c['kwargs'])}" for c in cases]


AGREE = [c for c in CASES if not DIVERGENT & set(c["tags"])]


def test_the_vectors_cover_every_loss_option_and_reduction():
    assert META["dtype"] == "float32" and "numpy" in META["backends"]
    assert META["keras_version"].startswith("3.")
    losses = {c["loss"] for c in CASES}
    # with params, get gives an instance
    assert losses == {type(L.get(n, reduction="none")).__name__ for n in L.names()}
    assert {c["reduction"] for c in CASES} == set(L.REDUCTIONS)
    options = {k for c in CASES for k in c["kwargs"]}
    assert options == {"from_logits", "label_smoothing", "axis", "apply_class_balancing",
                       "alpha", "gamma", "ignore_class"}
    for loss in losses:  # every loss under every reduction, with and without weights
        reds = {(c["reduction"], f"{c['id']}__sample_weight" in ARRAYS)
                for c in CASES if c["loss"] == loss}
        assert reds == {(r, w) for r in L.REDUCTIONS for w in (False, True)}, loss
    assert sum((DATA / f).stat().st_size for f in ("keras_losses.npz", "keras_losses.json")
               ) < 1_000_000


@pytest.mark.parametrize("case", AGREE, ids=_ids(AGREE))
def test_agrees_with_keras_float32(case):
    ours = _nnmath(case)
    keras = _keras(case)
    assert np.asarray(ours).dtype == np.float32
    assert np.shape(ours) == keras.shape
    np.testing.assert_allclose(ours, keras, rtol=RTOL, atol=ATOL)


def test_keras_documented_clip_numbers():
    mpmath = pytest.importorskip("mpmath")
    # Keras's docstring numbers: float32 clip bounds 1e-7 and 0.99999988
    [case] = [c for c in CASES if "documented" in c["tags"]]
    np.testing.assert_array_equal(_keras(case), np.float32([15.942385, 16.118095]))
    ours = L.BinaryCrossentropy(reduction="none")(np.float32([[0], [1]]),
                                                  np.float32([[1], [0]]))
    np.testing.assert_allclose(ours, [15.942385, 16.118095], rtol=2e-7)
    # float64 keeps its dtype and its own bounds: both ends give about -log(1e-7)
    ours64 = L.BinaryCrossentropy(reduction="none")([[0.0], [1.0]], [[1.0], [0.0]])
    assert ours64.dtype == np.float64
    upper = mpmath.mpf(1.0 - 1e-7)  # the float64 bound, exactly
    ref = [-mpmath.log(1 - upper), -mpmath.log(mpmath.mpf(1e-7))]
    np.testing.assert_allclose(ours64, np.array(ref, dtype=float), rtol=1e-14)
    np.testing.assert_allclose(ours64, 16.118095651, rtol=1e-10)


SATURATED = [c for c in CASES if "saturated_logits" in c["tags"]]


def _mp_binary(mpmath, y, z, focal=None, ls=0.0):
    """Exact binary (focal) cross-entropy from logits, one element, in mpmath."""
    y = mpmath.mpf(float(y)) * (1 - mpmath.mpf(ls)) + mpmath.mpf(ls) / 2
    z = mpmath.mpf(float(z))
    p, q = 1 / (1 + mpmath.exp(-z)), 1 / (1 + mpmath.exp(z))  # σ(z), 1 - σ(z) = σ(-z)
    bce = y * mpmath.log1p(mpmath.exp(-z)) + (1 - y) * mpmath.log1p(mpmath.exp(z))
    if focal is None:
        return bce
    return (y * q + (1 - y) * p) ** focal * bce


@pytest.mark.parametrize("case", SATURATED, ids=_ids(SATURATED))
def test_saturated_logits_are_exact_where_keras_clips(case):
    mpmath = pytest.importorskip("mpmath")
    y, z, _ = _inputs(case)
    ours = _nnmath(case)
    keras = _keras(case)
    # the divergence is real: Keras's numpy backend caps the loss near -log(eps) / C
    assert np.max(np.abs(ours - keras)) > 100
    kw = case["kwargs"]
    with mpmath.workdps(40):
        if case["loss"] == "CategoricalFocalCrossentropy":
            ref = []
            for yr, zr in zip(y, z, strict=True):
                zs = [mpmath.mpf(float(v)) for v in zr]
                lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in zs))
                ref.append(mpmath.fsum(
                    0.25 * float(t) * (1 - mpmath.exp(v - lse)) ** 2 * (lse - v)
                    for t, v in zip(yr, zs, strict=True)))
        else:
            focal = 2.0 if case["loss"] == "BinaryFocalCrossentropy" else None
            ls = kw.get("label_smoothing", 0.0)
            ref = [mpmath.fsum(_mp_binary(mpmath, a, b, focal, ls)
                               for a, b in zip(yr, zr, strict=True)) / len(zr)
                   for yr, zr in zip(y, z, strict=True)]
    np.testing.assert_allclose(ours, np.array(ref, dtype=np.float64), rtol=1e-6)
    if case["loss"] == "BinaryCrossentropy" and "jax" in META["backends"]:
        # Keras's jax backend computes binary cross-entropy from logits exactly, too
        np.testing.assert_allclose(ours, _keras(case, "jax"), rtol=RTOL, atol=ATOL)


def test_moderate_logits_agree_with_keras_exact_backend():
    if "jax" not in META["backends"]:
        pytest.skip("vectors generated without Keras's jax backend")
    cases = [c for c in AGREE if c["loss"] == "BinaryCrossentropy"
             and c["kwargs"].get("from_logits")]
    assert len(cases) >= 10
    for case in cases:
        np.testing.assert_allclose(_nnmath(case), _keras(case, "jax"), rtol=2e-6, atol=ATOL)


def test_axis_label_smoothing_counts_classes_along_axis():
    [case] = [c for c in CASES if "axis_label_smoothing" in c["tags"]]
    y, p, _ = _inputs(case)  # (C, N): classes along axis 0
    ours = _nnmath(case)
    assert np.max(np.abs(ours - _keras(case))) > 1e-2  # Keras smooths with C = N here
    # nnmath on axis=0 equals Keras on the transposed (axis=-1) problem, which Keras
    # smooths with the true class count
    twin = [c for c in CASES if c["loss"] == "CategoricalCrossentropy" and not c["tags"]
            and c["kwargs"] == {"label_smoothing": 0.2} and c["reduction"] == "none"
            and np.array_equal(ARRAYS[f"{c['id']}__y_pred"], p.T)
            and np.array_equal(ARRAYS[f"{c['id']}__y_true"], y.T)]
    assert len(twin) == 1
    np.testing.assert_allclose(ours, _keras(twin[0]), rtol=RTOL, atol=ATOL)


def test_scalar_weight_mean_with_sample_weight_divides_by_broadcast_weights():
    cases = [c for c in CASES if "scalar_weight_mean" in c["tags"]]
    assert len(cases) == 2
    for case in cases:
        y, _, sw = _inputs(case)
        n = y.shape[0]
        ours, keras = _nnmath(case), _keras(case)
        # Keras: Σ(w l) / w = Σ l; nnmath: Σ(w l) / (n w) = mean l
        np.testing.assert_allclose(keras, ours * n, rtol=RTOL)
        plain = L.get(case["loss"], reduction="sum_over_batch_size", **case["kwargs"])
        np.testing.assert_allclose(ours, plain(*_inputs(case)[:2]), rtol=1e-6)
        assert float(sw) == 2.5


@pytest.mark.parametrize("loss", sorted({c["loss"] for c in AGREE}))
def test_float64_keeps_its_dtype_and_matches_keras_to_float32_accuracy(loss):
    cases = [c for c in AGREE if c["loss"] == loss and c["reduction"] == "none"
             and "documented" not in c["tags"]]
    compared = 0
    for case in cases:
        ours = _nnmath(case, dtype=np.float64)
        assert np.asarray(ours).dtype == np.float64
        # Keras rounds to float32 throughout: agreement is to float32 accuracy only, and
        # in the clip band float64 keeps its own bounds (1 - 1e-7 is not 0.99999988)
        _, p, _ = _inputs(case)
        clips = "Crossentropy" in case["loss"] or case["loss"] == "KLDivergence"
        in_band = np.any((p > 0.9999) | (p < 1e-6))
        if not clips or case["kwargs"].get("from_logits") or not in_band:
            np.testing.assert_allclose(ours, _keras(case), rtol=3e-5, atol=1e-6)
            compared += 1
    assert compared >= 1

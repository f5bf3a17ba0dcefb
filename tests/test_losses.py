"""nnmath.losses: variants that must agree, reductions, validation, dtypes, the registry.

Expected values are derived in the tests from the definitions (NumPy float64 formulas
written here, or another nnmath code path that must agree for a mathematical reason),
never taken from the code under test. Keras conformance, mpmath references and gradients
live in ``test_losses_keras.py``, ``test_losses_reference.py`` and
``test_losses_gradients.py``.
"""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pytest

import nnmath.activations as A
import nnmath.losses as L

RNG = np.random.default_rng(31337)
N, C = 6, 4
DOCS = Path(__file__).resolve().parents[1] / "docs" / "losses.md"

FUNCTIONS = {
    "binary_crossentropy": L.BinaryCrossentropy,
    "categorical_crossentropy": L.CategoricalCrossentropy,
    "sparse_categorical_crossentropy": L.SparseCategoricalCrossentropy,
    "binary_focal_crossentropy": L.BinaryFocalCrossentropy,
    "categorical_focal_crossentropy": L.CategoricalFocalCrossentropy,
    "kl_divergence": L.KLDivergence,
    "poisson": L.Poisson,
    "hinge": L.Hinge,
    "squared_hinge": L.SquaredHinge,
    "categorical_hinge": L.CategoricalHinge,
}
WITH_LOGITS = {"binary_crossentropy", "categorical_crossentropy",
               "sparse_categorical_crossentropy", "binary_focal_crossentropy",
               "categorical_focal_crossentropy"}


@pytest.fixture(autouse=True)
def _no_fp_warnings():
    with np.errstate(all="raise"):
        yield


def softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def inputs(name, logits=False, shape=(N, C)):
    """Moderate inputs for the loss ``name``: (y_true, y_pred)."""
    z = RNG.normal(0, 2, shape)
    if name == "sparse_categorical_crossentropy":
        return RNG.integers(0, shape[-1], shape[:-1]), z if logits else softmax(z)
    if name in ("categorical_crossentropy", "categorical_focal_crossentropy",
                "categorical_hinge"):
        y = np.eye(shape[-1])[RNG.integers(0, shape[-1], shape[:-1])]
        return y, z if logits or name == "categorical_hinge" else softmax(z)
    if name == "kl_divergence":
        return softmax(RNG.normal(size=shape)), softmax(z)
    if name == "poisson":
        return RNG.poisson(2.0, shape).astype(float), np.exp(z / 2)
    y = RNG.integers(0, 2, shape).astype(float)
    if name in ("hinge", "squared_hinge"):
        return y, z
    return y, z if logits else sigmoid(z)


# -- the public surface ----------------------------------------------------------------------

def test_public_names_are_the_design_names():
    assert L.names() == list(FUNCTIONS)
    for name, cls in FUNCTIONS.items():
        assert callable(getattr(L, name)) and getattr(L, cls.__name__) is cls
        assert cls.name == name and cls.formula
        assert name in L.__all__ and cls.__name__ in L.__all__
    assert L.EPSILON == 1e-7
    assert set(L.REDUCTIONS) == {"none", "sum", "sum_over_batch_size", "mean",
                                 "mean_with_sample_weight"}


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_every_public_name_has_a_docstring_with_formula_and_example(name):
    for obj in (getattr(L, name), FUNCTIONS[name]):
        doc = obj.__doc__
        assert ".. math::" in doc and ">>>" in doc, obj
    assert "References" in getattr(L, name).__doc__


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_class_with_reduction_none_equals_the_function(name):
    y, p = inputs(name)
    fn, cls = getattr(L, name), FUNCTIONS[name]
    np.testing.assert_array_equal(cls(reduction="none")(y, p), fn(y, p))
    np.testing.assert_array_equal(cls(reduction=None).call(y, p), fn(y, p))
    per_sample = fn(y, p)
    assert per_sample.shape == (N,)
    np.testing.assert_allclose(cls()(y, p), per_sample.mean(), rtol=1e-14)
    np.testing.assert_allclose(cls(reduction="mean")(y, p), per_sample.mean(), rtol=1e-14)
    np.testing.assert_allclose(cls(reduction="sum")(y, p), per_sample.sum(), rtol=1e-14)


def test_get_resolves_names_aliases_classes_instances_functions_and_configs():
    # a function name or a function alias: the function (Keras's get)
    assert L.get("binary_crossentropy") is L.binary_crossentropy
    assert L.get("bce") is L.get("BCE") is L.binary_crossentropy
    assert L.get("kld") is L.kl_divergence
    # a class name or a class: an instance
    assert isinstance(L.get("BinaryCrossentropy"), L.BinaryCrossentropy)
    assert isinstance(L.get(L.CategoricalHinge), L.CategoricalHinge)
    # a callable as it is; with params, the function's class
    assert L.get(L.poisson) is L.poisson
    assert isinstance(L.get(L.poisson, reduction="sum"), L.Poisson)
    assert L.get(None) is None
    inst = L.Hinge(reduction="sum")
    assert L.get(inst) is inst
    loss = L.get("categorical_crossentropy", from_logits=True, reduction="sum")
    assert loss.from_logits and loss.reduction == "sum"
    cfg = L.get({"class_name": "SparseCategoricalCrossentropy",
                 "config": {"from_logits": True, "ignore_class": -1}})
    assert cfg.from_logits and cfg.ignore_class == -1
    assert L.get({"class_name": "binary_crossentropy"}) is L.binary_crossentropy
    assert L.get({"module": "builtins", "class_name": "function", "config": "hinge",
                  "registered_name": "function"}) is L.hinge
    with pytest.raises(ValueError, match="unknown loss 'crosentropy'"):
        L.get("crosentropy")
    with pytest.raises(ValueError, match="unknown loss class 'Nope'"):
        L.get({"class_name": "Nope", "config": {}})
    with pytest.raises(ValueError, match="cannot interpret 42"):
        L.get(42)

    def user_loss(y, p):
        return 0.0

    assert L.get(user_loss) is user_loss
    with pytest.raises(TypeError, match="cannot be applied"):
        L.get(user_loss, reduction="sum")
    with pytest.raises(TypeError):
        L.get(inst, reduction="none")


def test_config_repr_and_equality_round_trip():
    loss = L.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.3, gamma=1.5,
                                     from_logits=True, reduction="sum", pos_weight=[1, 2])
    again = type(loss)(**loss.get_config())
    assert again == loss and hash(again) == hash(loss)
    assert "alpha=0.3" in repr(loss) and "pos_weight=(1.0, 2.0)" in repr(loss)
    assert loss != L.BinaryFocalCrossentropy()
    assert L.SparseCategoricalCrossentropy(True, -1, "sum").reduction == "sum"  # Keras order
    assert L.Poisson(name="rate").name == "rate"


# -- variants that must agree -----------------------------------------------------------------

@pytest.mark.parametrize("logits", [False, True])
@pytest.mark.parametrize("opts", [{}, {"label_smoothing": 0.15},
                                  {"class_weight": [0.5, 2.0, 1.0, 3.0]}], ids=str)
def test_sparse_equals_one_hot(logits, opts):
    labels, p = inputs("sparse_categorical_crossentropy", logits, (N, 3, C))
    onehot = np.eye(C)[labels]
    sparse = L.SparseCategoricalCrossentropy(from_logits=logits, reduction="none", **opts)
    dense = L.CategoricalCrossentropy(from_logits=logits, reduction="none", **opts)
    np.testing.assert_allclose(sparse(labels, p), dense(onehot, p), rtol=1e-14)
    upstream = RNG.normal(size=(N, 3))
    np.testing.assert_allclose(sparse.gradient(labels, p, grad_output=upstream),
                               dense.gradient(onehot, p, grad_output=upstream),
                               rtol=1e-13, atol=1e-16)
    # (N, 1)-shaped labels are accepted too
    flat = L.sparse_categorical_crossentropy(labels[:, 0], p[:, 0], from_logits=logits, **opts)
    col = L.sparse_categorical_crossentropy(labels[:, :1], p[:, 0], from_logits=logits, **opts)
    np.testing.assert_array_equal(flat, col)


@pytest.mark.parametrize("name", sorted(WITH_LOGITS))
def test_logits_equal_probabilities_on_moderate_input(name):
    y, z = inputs(name, logits=True)
    probs = softmax(z) if "categorical" in name else sigmoid(z)
    fn = getattr(L, name)
    np.testing.assert_allclose(fn(y, z, from_logits=True), fn(y, probs), rtol=1e-12)


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_axis_zero_equals_the_transposed_problem(name):
    y, p = inputs(name)
    fn, cls = getattr(L, name), FUNCTIONS[name]
    yt = y if name == "sparse_categorical_crossentropy" else y.T  # labels have no class axis
    np.testing.assert_allclose(fn(yt, p.T, axis=0), fn(y, p), rtol=1e-14)
    g0 = cls(axis=0, reduction="sum").gradient(yt, p.T)
    np.testing.assert_allclose(g0.T, cls(reduction="sum").gradient(y, p), rtol=1e-14)


def test_axis_one_of_a_3d_input_equals_moving_the_axis_last():
    y, z = inputs("categorical_crossentropy", logits=True, shape=(3, 5, C))
    moved = (np.moveaxis(y, -1, 1), np.moveaxis(z, -1, 1))
    for ls in (0.0, 0.3):  # label smoothing counts the classes along `axis`
        got = L.categorical_crossentropy(*moved, from_logits=True, axis=1, label_smoothing=ls)
        want = L.categorical_crossentropy(y, z, from_logits=True, label_smoothing=ls)
        np.testing.assert_allclose(got, want, rtol=1e-14)


@pytest.mark.parametrize("reduction", ["sum", "sum_over_batch_size", "none"])
@pytest.mark.parametrize("logits", [False, True])
def test_class_weight_equals_an_explicit_sample_weight(reduction, logits):
    labels, p = inputs("sparse_categorical_crossentropy", logits)
    weights = np.array([0.5, 2.0, 1.0, 3.0])
    for cls, y in ((L.SparseCategoricalCrossentropy, labels),
                   (L.CategoricalCrossentropy, np.eye(C)[labels])):
        weighted = cls(from_logits=logits, reduction=reduction, class_weight=weights)
        plain = cls(from_logits=logits, reduction=reduction)
        np.testing.assert_allclose(weighted(y, p), plain(y, p, sample_weight=weights[labels]),
                                   rtol=1e-14)
        np.testing.assert_allclose(weighted.gradient(y, p),
                                   plain.gradient(y, p, sample_weight=weights[labels]),
                                   rtol=1e-13, atol=1e-16)
    as_dict = L.SparseCategoricalCrossentropy(from_logits=logits, reduction=reduction,
                                              class_weight={1: 2.0, 3: 3.0, 0: 0.5})
    np.testing.assert_allclose(as_dict(labels, p),
                               L.SparseCategoricalCrossentropy(
                                   from_logits=logits, reduction=reduction,
                                   class_weight=weights)(labels, p), rtol=1e-15)


def test_pos_weight_is_pytorchs_bce_with_logits():
    y, z = inputs("binary_crossentropy", logits=True)
    w = np.array([1.0, 3.0, 0.5, 2.0])
    # BCEWithLogitsLoss(pos_weight=w): -(w y log σ(z) + (1 - y) log(1 - σ(z)))
    want = -(w * y * np.log(sigmoid(z)) + (1 - y) * np.log(1 - sigmoid(z))).mean(axis=-1)
    np.testing.assert_allclose(L.binary_crossentropy(y, z, from_logits=True, pos_weight=w),
                               want, rtol=1e-12)
    np.testing.assert_allclose(L.binary_crossentropy(y, sigmoid(z), pos_weight=w), want,
                               rtol=1e-12)


@pytest.mark.parametrize("n_classes", [2, 5])
def test_label_smoothing_on_the_sparse_loss_is_the_one_hot_smoothing(n_classes):
    labels, z = inputs("sparse_categorical_crossentropy", logits=True, shape=(N, n_classes))
    smoothed = np.eye(n_classes)[labels] * 0.8 + 0.2 / n_classes
    want = -(smoothed * (z - np.log(np.exp(z).sum(-1, keepdims=True)))).sum(-1)
    got = L.sparse_categorical_crossentropy(labels, z, from_logits=True, label_smoothing=0.2)
    np.testing.assert_allclose(got, want, rtol=1e-13)
    got = L.categorical_crossentropy(np.eye(n_classes)[labels], z, from_logits=True,
                                     label_smoothing=0.2)
    np.testing.assert_allclose(got, want, rtol=1e-13)


def test_binary_label_smoothing_squeezes_towards_one_half():
    y, p = inputs("binary_crossentropy")
    ys = y * 0.9 + 0.05
    want = -(ys * np.log(p) + (1 - ys) * np.log(1 - p)).mean(-1)
    np.testing.assert_allclose(L.binary_crossentropy(y, p, label_smoothing=0.1), want,
                               rtol=1e-12)


def test_focal_losses_reduce_to_crossentropy_without_focusing():
    y, p = inputs("binary_crossentropy")
    np.testing.assert_allclose(L.binary_focal_crossentropy(y, p, gamma=0.0),
                               L.binary_crossentropy(y, p), rtol=1e-15)
    y, p = inputs("categorical_crossentropy")
    np.testing.assert_allclose(L.categorical_focal_crossentropy(y, p, gamma=0.0, alpha=1.0),
                               L.categorical_crossentropy(y, p), rtol=1e-15)
    # the focal definition, written out: (1 - p_t)^γ bce, p_t = y p + (1 - y)(1 - p)
    y, p = inputs("binary_crossentropy")
    pt = y * p + (1 - y) * (1 - p)
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    alpha = y * 0.3 + (1 - y) * 0.7
    np.testing.assert_allclose(
        L.binary_focal_crossentropy(y, p, apply_class_balancing=True, alpha=0.3, gamma=1.5),
        (alpha * (1 - pt) ** 1.5 * bce).mean(-1), rtol=1e-12)


# -- sparse labels, ignore_class ---------------------------------------------------------------

def test_ignore_class_equals_dropping_those_samples():
    labels = np.array([0, -1, 3, 2, -1, 1])
    z = RNG.normal(size=(6, C))
    keep = labels != -1
    sw = RNG.uniform(0.5, 2, 6)
    for reduction in ("sum", "sum_over_batch_size", "mean", "mean_with_sample_weight"):
        ign = L.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1,
                                              reduction=reduction)
        plain = L.SparseCategoricalCrossentropy(from_logits=True, reduction=reduction)
        np.testing.assert_allclose(ign(labels, z), plain(labels[keep], z[keep]), rtol=1e-14)
        np.testing.assert_allclose(ign(labels, z, sample_weight=sw),
                                   plain(labels[keep], z[keep], sample_weight=sw[keep]),
                                   rtol=1e-14)
        g = ign.gradient(labels, z, sample_weight=sw)
        np.testing.assert_array_equal(g[~keep], 0.0)
        np.testing.assert_allclose(g[keep], plain.gradient(labels[keep], z[keep], sw[keep]),
                                   rtol=1e-14)
    per_sample = L.sparse_categorical_crossentropy(labels, z, from_logits=True, ignore_class=-1)
    np.testing.assert_array_equal(per_sample[~keep], 0.0)
    all_ignored = L.SparseCategoricalCrossentropy(ignore_class=-1)([-1, -1], softmax(z[:2]))
    assert all_ignored == 0.0


# -- reductions and sample weights --------------------------------------------------------------

def test_reductions_follow_their_definitions():
    y, p = inputs("binary_crossentropy")
    per = L.binary_crossentropy(y, p)
    sw = np.array([1.0, 0.0, 2.0, 0.5, 0.0, 1.5])
    get = lambda r: L.BinaryCrossentropy(reduction=r)  # noqa: E731
    np.testing.assert_allclose(get("sum")(y, p, sw), np.sum(sw * per), rtol=1e-14)
    # zero-weight samples still count in the batch size
    np.testing.assert_allclose(get("sum_over_batch_size")(y, p, sw), np.sum(sw * per) / 6,
                               rtol=1e-14)
    np.testing.assert_allclose(get("mean_with_sample_weight")(y, p, sw),
                               np.sum(sw * per) / np.sum(sw), rtol=1e-14)
    np.testing.assert_allclose(get("none")(y, p, sw), sw * per, rtol=1e-15)
    # Keras's rank rule: an (N, 1) weight column expands the losses to (N, 1)
    col = get("none")(y, p, sw[:, None])
    assert col.shape == (6, 1)
    np.testing.assert_allclose(col[:, 0], sw * per, rtol=1e-15)
    np.testing.assert_allclose(get("sum")(y, p, sw[:, None]), np.sum(sw * per), rtol=1e-14)
    # a scalar weight is the weighted mean under mean_with_sample_weight
    np.testing.assert_allclose(get("mean_with_sample_weight")(y, p, 3.0), per.mean(),
                               rtol=1e-14)
    # all-zero weights: 0, not 0/0
    assert get("mean_with_sample_weight")(y, p, np.zeros(6)) == 0.0
    assert get("mean_with_sample_weight").gradient(y, p, np.zeros(6)).max() == 0.0


def test_sample_weight_broadcasts_against_sequence_losses():
    y, z = inputs("categorical_crossentropy", logits=True, shape=(N, 3, C))
    per = L.categorical_crossentropy(y, z, from_logits=True)
    assert per.shape == (N, 3)
    loss = L.CategoricalCrossentropy(from_logits=True)
    sw = RNG.uniform(0, 2, N)
    np.testing.assert_allclose(loss(y, z, sw[:, None]), np.mean(per * sw[:, None]),
                               rtol=1e-14)
    with pytest.raises(ValueError, match="sample_weight"):
        loss(y, z, np.ones(5))


def test_rank_rule_for_a_trailing_dimension_of_one():
    y = RNG.integers(0, 2, N).astype(float)
    p = RNG.uniform(0.1, 0.9, (N, 1))
    want = -(y * np.log(p[:, 0]) + (1 - y) * np.log(1 - p[:, 0]))
    np.testing.assert_allclose(L.binary_crossentropy(y, p), want, rtol=1e-14)
    np.testing.assert_allclose(L.binary_crossentropy(y[:, None], p[:, 0]), want, rtol=1e-14)
    y3, p3 = RNG.integers(0, 2, (2, 3, 1)).astype(float), RNG.uniform(0.1, 0.9, (2, 3))
    assert L.binary_crossentropy(y3, p3).shape == (2,)


# -- hinge labels ------------------------------------------------------------------------------

def test_hinge_converts_zero_one_labels_only_when_all_are_zero_or_one():
    s = np.array([[0.3, -2.0], [1.5, 0.2]])
    y01 = np.array([[0.0, 1.0], [1.0, 0.0]])
    ypm = 2 * y01 - 1
    np.testing.assert_allclose(L.hinge(y01, s), np.maximum(1 - ypm * s, 0).mean(-1))
    np.testing.assert_array_equal(L.hinge(y01, s), L.hinge(ypm, s))
    mixed = np.array([[0.0, 1.0], [1.0, -1.0]])  # a -1 present: no conversion
    np.testing.assert_allclose(L.hinge(mixed, s), np.maximum(1 - mixed * s, 0).mean(-1))
    np.testing.assert_allclose(L.squared_hinge(y01, s),
                               (np.maximum(1 - ypm * s, 0) ** 2).mean(-1))
    # categorical hinge: max over wrong classes - true score + 1, floored at 0
    y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    s = np.array([[0.2, 0.9, 0.5], [3.0, 0.1, 0.4]])
    np.testing.assert_allclose(L.categorical_hinge(y, s), [0.5 - 0.9 + 1, 0.0])


# -- bad input -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("call", "match"), [
    (lambda: L.binary_crossentropy([[0, 1]], [[0.2, 0.3, 0.5]]), "y_true and y_pred"),
    (lambda: L.categorical_crossentropy([[0, 1, 0]], [[0.2, 0.8]]), "y_true and y_pred"),
    (lambda: L.hinge([1, 0, 1], [[1.0, 2.0]]), "y_true and y_pred"),
    (lambda: L.sparse_categorical_crossentropy([0, 3], [[0.5, 0.5]] * 2), r"y_true .*\[0, 2\)"),
    (lambda: L.sparse_categorical_crossentropy([0, -1], [[0.5, 0.5]] * 2), "y_true"),
    (lambda: L.sparse_categorical_crossentropy([0, 5], [[0.5, 0.5]] * 2, ignore_class=-1),
     "ignore_class=-1"),
    (lambda: L.sparse_categorical_crossentropy([0.5, 1], [[0.5, 0.5]] * 2), "integer"),
    (lambda: L.sparse_categorical_crossentropy([0, 1, 1], [[0.5, 0.5]] * 2), "y_true"),
    (lambda: L.binary_crossentropy([[1.0]], [[2.5]]), "from_logits=True"),
    (lambda: L.categorical_crossentropy([[1.0, 0]], [[3.0, -1.0]]), "from_logits=True"),
    (lambda: L.sparse_categorical_crossentropy([0], [[-1.0, 2.0]]), "from_logits=True"),
    (lambda: L.binary_focal_crossentropy([[1.0]], [[1.5]]), "from_logits=True"),
    (lambda: L.categorical_focal_crossentropy([[1.0, 0]], [[7.0, 1.0]]), "from_logits=True"),
    (lambda: L.binary_focal_crossentropy([[2.0]], [[0.5]]), "y_true"),
    (lambda: L.poisson([[1.0]], [[-0.5]]), "y_pred"),
    (lambda: L.BinaryCrossentropy()([[1.0]], [[0.5]], sample_weight=[-1.0]), "sample_weight"),
    (lambda: L.BinaryCrossentropy()([[1.0]], [[0.5]], sample_weight=[np.nan]), "sample_weight"),
    (lambda: L.BinaryCrossentropy()([[1.0]], [[0.5]], sample_weight=[np.inf]), "sample_weight"),
    (lambda: L.BinaryCrossentropy(reduction="avg"), "reduction"),
    (lambda: L.BinaryCrossentropy(reduction="auto"), "reduction"),
    (lambda: L.BinaryCrossentropy(label_smoothing=1.5), "label_smoothing"),
    (lambda: L.BinaryFocalCrossentropy(gamma=-1.0), "gamma"),
    (lambda: L.BinaryCrossentropy(pos_weight=-2.0), "pos_weight"),
    (lambda: L.categorical_crossentropy([[1.0, 0]], [[0.5, 0.5]], class_weight=[1, 2, 3]),
     "class_weight"),
    (lambda: L.SparseCategoricalCrossentropy(class_weight={5: 1.0})([0], [[0.5, 0.5]]),
     "class_weight"),
    (lambda: L.BinaryCrossentropy(reduction="none").gradient([[1.0]], [[0.5]],
                                                             grad_output=[1.0, 2.0]),
     "grad_output"),
    (lambda: L.BinaryCrossentropy().gradient([[1.0]], [[0.5]], grad_output=[1.0, 2.0]),
     "grad_output"),
    (lambda: L.binary_crossentropy([[1.0]], [[0.5]], axis=2), "axis"),
    (lambda: L.binary_crossentropy(1.0, 0.5), "y_pred"),
])
def test_bad_input_raises_a_value_error_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_wrong_types_raise_type_errors():
    with pytest.raises(TypeError, match="axis"):
        L.binary_crossentropy([[1.0]], [[0.5]], axis=1.0)
    with pytest.raises(TypeError, match="y_pred"):
        L.binary_crossentropy([[1.0]], [["a"]])
    with pytest.raises(TypeError, match="y_true"):
        L.sparse_categorical_crossentropy(np.array(["a"]), [[0.5, 0.5]])


# -- dtypes, NaN, extremes ---------------------------------------------------------------------

@pytest.mark.parametrize("name", list(FUNCTIONS))
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_float_dtype_is_kept(name, dtype):
    y, p = inputs(name)
    fn, cls = getattr(L, name), FUNCTIONS[name]
    assert fn(y, p.astype(dtype)).dtype == dtype
    value = cls()(y, p.astype(dtype), sample_weight=np.ones(N))
    assert isinstance(value, np.generic) and value.dtype == dtype
    assert cls().gradient(y, p.astype(dtype)).dtype == dtype
    # float64 labels do not promote float32 predictions (Keras casts y_true to y_pred's dtype)
    ref = fn(y, p.astype(dtype).astype(np.float64))
    np.testing.assert_allclose(fn(y, p.astype(dtype)), ref,
                               rtol={np.float16: 2e-3, np.float32: 2e-6, np.float64: 0}[dtype],
                               atol={np.float16: 1e-4, np.float32: 1e-7, np.float64: 0}[dtype])


def test_integer_predictions_promote_to_float64():
    assert L.hinge([[1, -1]], [[2, 3]]).dtype == np.float64
    assert L.categorical_hinge([[1, 0]], [[2, 3]]).dtype == np.float64
    np.testing.assert_array_equal(L.hinge([[1, -1]], [[2, 3]]), [2.0])  # (0 + 4)/2


def test_float32_clip_bounds_are_rounded_to_float32():
    hi = np.float32(1 - 1e-7)
    assert hi == np.float32(0.99999988)
    got = L.binary_crossentropy(np.float32([[0.0]]), np.float32([[1.0]]))
    np.testing.assert_allclose(got, -np.log(1 - np.float64(hi)), rtol=1e-6)


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_nan_in_one_sample_gives_nan_there_only(name):
    y, p = inputs(name)
    p = p.copy()
    p[2, 1] = np.nan
    got = getattr(L, name)(y, p)
    assert np.isnan(got[2]) and np.all(np.isfinite(np.delete(got, 2)))


@pytest.mark.parametrize("name", sorted(WITH_LOGITS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logits_and_probabilities_raise_no_floating_point_warnings(name, dtype):
    y, _ = inputs(name, shape=(4, 3))
    z = np.array([[1e4, -1e4, 0.0], [3e37, -3e37, 1.0], [-88.0, 89.0, 0.0],
                  [-1e-30, 1e-30, 800.0]], dtype=dtype)
    fn, cls = getattr(L, name), FUNCTIONS[name]
    for red in ("none", "sum"):
        assert np.all(np.isfinite(cls(from_logits=True, reduction=red)(y, z)))
        assert np.all(np.isfinite(cls(from_logits=True, reduction=red).gradient(y, z)))
    p = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [1e-30, 1.0, 1e-30],
                  [0.5, 0.5, 0.0]], dtype=dtype)
    assert np.all(np.isfinite(fn(y, p)))
    assert np.all(np.isfinite(cls().gradient(y, p)))


def test_infinite_logits_give_the_limits():
    got = L.binary_crossentropy([[1.0], [0.0], [1.0], [0.0]],
                                [[np.inf], [-np.inf], [-np.inf], [np.inf]], from_logits=True)
    np.testing.assert_array_equal(got, [0.0, 0.0, np.inf, np.inf])
    got = L.categorical_crossentropy([[1.0, 0.0, 0.0]], [[0.0, -np.inf, 0.0]], from_logits=True)
    np.testing.assert_allclose(got, [np.log(2.0)], rtol=1e-15)


def test_all_zero_probability_row_is_clipped_not_nan():
    got = L.categorical_crossentropy([[0.0, 1.0]], [[0.0, 0.0]])
    np.testing.assert_allclose(got, [-np.log(1e-7)], rtol=1e-14)
    np.testing.assert_array_equal(
        L.CategoricalCrossentropy().gradient([[0.0, 1.0]], [[0.0, 0.0]]), [[0.0, 0.0]])


def test_categorical_probabilities_are_renormalised():
    y = np.array([[0.0, 1.0, 0.0]])
    np.testing.assert_allclose(L.categorical_crossentropy(y, [[0.2, 0.6, 0.2]]),
                               L.categorical_crossentropy(y, [[0.1, 0.3, 0.1]]), rtol=1e-15)
    np.testing.assert_allclose(L.categorical_crossentropy(y, [[0.1, 0.3, 0.1]]),
                               [-np.log(0.6)], rtol=1e-15)


def test_kl_divergence_clips_both_arguments_to_eps_one():
    # a zero target contributes eps log(eps / p), not 0 (Keras)
    got = L.kl_divergence([[1.0, 0.0]], [[0.5, 0.5]])
    want = np.log(1 / 0.5) + 1e-7 * np.log(1e-7 / 0.5)
    np.testing.assert_allclose(got, [want], rtol=1e-15)


def test_poisson_is_its_definition():
    y, p = np.array([[0.0, 2.0, 5.0]]), np.array([[0.0, 1.5, 4.0]])
    np.testing.assert_allclose(L.poisson(y, p), [np.mean(p - y * np.log(p + 1e-7))],
                               rtol=1e-15)


# -- the seed's worked example, and the docs -------------------------------------------------

def test_seed_diagonal_softmax_gradient_is_p_minus_y_only_for_the_binary_loss():
    z = np.array([2.0, 1.0, 0.1])
    y = np.array([0.0, 1.0, 0.0])
    # binary: σ'(z) = p(1 - p) is the sigmoid's true derivative; times ∂ℓ/∂p gives p - y
    p = sigmoid(z)
    dl_dp = L.BinaryCrossentropy(reduction="sum").gradient([y], [p])[0] * 3
    np.testing.assert_allclose(dl_dp, (p - y) / (p * (1 - p)), rtol=1e-13)
    np.testing.assert_allclose(p * (1 - p) * dl_dp, p - y, rtol=1e-13)
    # categorical: the seed's diagonal p(1 - p) times -y/p is wrong off the true class
    p = softmax(z)
    seed = p * (1 - p) * (-y / p)
    assert seed[0] == 0 and seed[2] == 0 and p[0] > 0.5
    jacobian = np.diag(p) - np.outer(p, p)
    np.testing.assert_allclose(jacobian.T @ (-y / p), p - y, rtol=1e-13, atol=1e-16)
    fused = L.CategoricalCrossentropy(from_logits=True, reduction="sum").gradient([y], [z])
    np.testing.assert_allclose(fused[0], p - y, rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(A.Softmax().backward(z, -y / p), p - y, rtol=1e-13, atol=1e-16)
    assert np.max(np.abs(fused[0] - seed)) > 0.5


def test_docs_examples():
    with np.printoptions(), np.errstate(all="raise"):
        result = doctest.testfile(str(DOCS), module_relative=False,
                                  optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 20
    assert result.failed == 0


def test_poisson_rate_of_infinity_gives_infinity_without_warning():
    with np.errstate(all="raise"):
        value = L.poisson([[2.0, 0.0]], [[np.inf, 1.0]])
        assert value[0] == np.inf
        grad = L.Poisson(reduction="sum").gradient([[2.0, 0.0]], [[np.inf, 1.0]])
    np.testing.assert_allclose(grad, [[0.5, 0.5]])  # (1 - y/(p+eps))/n, 1 - 0 at p = inf


@pytest.mark.parametrize("y_true_shape,y_pred_shape,expected", [
    ((8, 1), (8, 1), L.BinaryCrossentropy),
    ((8,), (8, 5), L.SparseCategoricalCrossentropy),
    ((8, 1), (8, 5), L.SparseCategoricalCrossentropy),
    ((8, 5), (8, 5), L.CategoricalCrossentropy),
    ((8,), (8,), L.CategoricalCrossentropy),  # Keras's 1-D/1-D case
])
def test_get_crossentropy_resolves_from_shapes_like_keras_compile(y_true_shape, y_pred_shape,
                                                                 expected):
    loss = L.get("crossentropy", y_true=np.zeros(y_true_shape), y_pred=np.zeros(y_pred_shape))
    assert type(loss) is expected
    assert L.get("ce", y_true=np.zeros(y_true_shape), y_pred=np.zeros(y_pred_shape),
                 from_logits=True).from_logits


def test_get_crossentropy_needs_the_data():
    with pytest.raises(ValueError, match="pass y_true= and y_pred="):
        L.get("crossentropy")


def test_sparse_ce_ignore_class_on_one_unbatched_sample() -> None:
    """One sample without a batch axis, kept or ignored (a NumPy scalar per sample used to
    break the ignored entries' zeroing)."""
    logits = np.array([1.0, 2.0, 3.0])
    want = -(2.0 - np.log(np.exp(1.0) + np.exp(2.0) + np.exp(3.0)))  # -log_softmax[1]
    fn = L.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    assert fn(np.array(1), logits) == pytest.approx(want, rel=1e-15)
    assert fn(np.array(-1), logits) == 0.0
    value = L.sparse_categorical_crossentropy(np.array(1), logits, from_logits=True,
                                              ignore_class=-1)
    assert np.shape(value) == () and float(value) == pytest.approx(want, rel=1e-15)

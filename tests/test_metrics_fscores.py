"""F-scores, precision, recall, specificity and the classification report.

References: Keras 3 itself (vectors from ``tools/generate_keras_fscore_vectors.py`` in
``tests/data/keras_fscores.*``), scikit-learn's ``precision_recall_fscore_support``,
``multilabel_confusion_matrix`` and ``classification_report`` (ratios within 1e-12
relative, counts exactly), and fractions written out here.
"""

from __future__ import annotations

import json
import math
import warnings
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nnmath.metrics as M

sklearn = pytest.importorskip("sklearn.metrics", reason="scikit-learn (test extra): a reference")
pytest.importorskip("hypothesis", reason="hypothesis (the test extra) draws the splits")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

DATA = Path(__file__).parent / "data"
META = json.loads((DATA / "keras_fscores.json").read_text())
with np.load(DATA / "keras_fscores.npz", allow_pickle=False) as _npz:
    ARR = {k: _npz[k] for k in _npz.files}

RTOL = 1e-12


def assert_close(got: Any, want: Any, rtol: float = RTOL) -> None:
    g = np.asarray(got, dtype=np.float64)
    w = np.asarray(want, dtype=np.float64)
    assert g.shape == w.shape, (g, w)
    same = (g == w) | (np.isnan(g) & np.isnan(w))
    near = np.abs(g - w) <= rtol * np.abs(w)
    assert np.all(same | near), (g, w)


# -- Keras 3 -------------------------------------------------------------------------------------

def _batches(case: dict[str, Any]) -> list[tuple[np.ndarray, np.ndarray, Any]]:
    cid = case["id"]
    return [(ARR[f"{cid}__b{b}__y_true"], ARR[f"{cid}__b{b}__y_pred"],
             ARR.get(f"{cid}__b{b}__sample_weight")) for b in range(case["batches"])]


KERAS = [c for c in META["cases"] if "epsilon" not in c["tags"]]
EPSILON = [c for c in META["cases"] if "epsilon" in c["tags"]]


def test_vectors_were_made_by_keras_3() -> None:
    assert META["keras_version"].startswith("3.")
    assert META["backend"] == "numpy" and META["floatx"] == "float32"
    assert {c["metric"] for c in META["cases"]} == {"F1Score", "FBetaScore"}
    assert {c["kwargs"].get("average") for c in META["cases"]} == {None, "micro", "macro",
                                                                  "weighted"}
    assert {"random", "tied"} <= {t for c in META["cases"] for t in c["tags"]}
    assert len(EPSILON) == 4


@pytest.mark.parametrize("case", KERAS, ids=[c["id"] for c in KERAS])
def test_keras_fscores_agree_with_keras(case: dict[str, Any]) -> None:
    """Every batch's result: Keras's float32 result is the exact ratio up to float32
    rounding and its epsilon (1e-7 over denominators of at least the smallest weight)."""
    metric = getattr(M, case["metric"])(**case["kwargs"])
    want = ARR[f"{case['id']}__result"]
    for b, (yt, yp, sw) in enumerate(_batches(case)):
        metric.update_state(yt, yp, sample_weight=sw)
        got = metric.result()
        if case["kwargs"].get("average") is None:
            assert isinstance(got, np.ndarray) and got.dtype == np.float64
        else:
            assert isinstance(got, float)
        np.testing.assert_allclose(got, want[b], rtol=2e-6, atol=1e-7)


def _keras_counts(case: dict[str, Any]) -> tuple[list[Fraction], list[Fraction],
                                                  list[Fraction]]:
    """Exact weighted tp, fp, fn per class, from the raw batches."""
    c = ARR[f"{case['id']}__b0__y_true"].shape[1]
    tp, fp, fn = ([Fraction(0)] * c for _ in range(3))
    threshold = case["kwargs"].get("threshold")
    for yt, yp, sw in _batches(case):
        for row_t, row_p, w in zip(yt, yp, sw, strict=True):
            for k in range(c):
                pos = row_p[k] > threshold
                t = row_t[k] == 1
                q = Fraction(float(w))
                tp[k] += q * (pos and t)
                fp[k] += q * (pos and not t)
                fn[k] += q * (t and not pos)
    return tp, fp, fn


@pytest.mark.parametrize("case", EPSILON, ids=[c["id"] for c in EPSILON])
def test_keras_epsilon_divergence(case: dict[str, Any]) -> None:
    """Weights of 1e-7: Keras's epsilon (1e-7 in each denominator) pulls its F1 far below
    the exact ratio; nnmath gives the exact one (written out with fractions here)."""
    metric = M.F1Score(**case["kwargs"])
    for yt, yp, sw in _batches(case):
        metric.update_state(yt, yp, sample_weight=sw)
    tp, fp, fn = _keras_counts(case)
    exact = [2 * t / (2 * t + p + n) if t else Fraction(0) for t, p, n in zip(tp, fp, fn,
                                                                                strict=True)]
    eps = 1e-7
    kp = [float(t) / (float(t) + float(p) + eps) for t, p in zip(tp, fp, strict=True)]
    kr = [float(t) / (float(t) + float(n) + eps) for t, n in zip(tp, fn, strict=True)]
    keras_f = [2 * a * b / (a + b + eps) for a, b in zip(kp, kr, strict=True)]
    average = case["kwargs"]["average"]
    keras_final = ARR[f"{case['id']}__result"][-1]
    if average is None:
        assert_close(metric.result(), [float(v) for v in exact])
        np.testing.assert_allclose(keras_final, keras_f, rtol=1e-5, atol=1e-7)
        gap = np.max(np.abs(np.asarray(keras_final) - [float(v) for v in exact]))
        assert gap > 0.01
    elif average == "macro":
        assert metric.result() == float(sum(exact, Fraction(0)) / len(exact))
        np.testing.assert_allclose(keras_final, np.mean(keras_f), rtol=1e-5)
        assert abs(float(keras_final) - metric.result()) > 0.01
    else:
        assert abs(float(keras_final) - metric.result()) > 0.005


def test_keras_float32_totals_stop_counting_where_exact_counts_do_not() -> None:
    """Keras's float32 tp stays at 2**24 after one more true positive; here it counts."""
    big = np.float32(2**24)
    assert big + np.float32(1) == big  # what a float32 total does
    m = M.F1Score(average="micro", threshold=0.5)
    m.update_state([[1, 0]], [[0.9, 0.1]], sample_weight=[2.0**24])
    m.update_state([[1, 0]], [[0.9, 0.1]])
    m.update_state([[0, 1]], [[0.9, 0.1]])  # one fp and one fn
    tp = Fraction(2**24 + 1)
    assert m.result() == float(2 * tp / (2 * tp + 1 + 1))
    # the heavy row: class 0 true and predicted (cell 3), class 1 neither (cell 4)
    assert m.get_state()["state"]["weighted_cells"] == [[3, 2**24], [4, 2**24]]


def test_keras_threshold_none_takes_the_row_maximum_and_its_ties() -> None:
    m = M.F1Score(threshold=None)
    # row 0 ties at the max (both positive), row 1 is all zero (nothing positive)
    m.update_state([[1, 0, 1], [0, 1, 0]], [[0.5, 0.5, 0.2], [0.0, 0.0, 0.0]])
    # class 0: tp 1; class 1: fp 1, fn 1; class 2: fn 1
    np.testing.assert_array_equal(m.result(), [1.0, 0.0, 0.0])


def test_keras_weighted_average_by_hand() -> None:
    m = M.FBetaScore(average="weighted", beta=2.0, threshold=0.5)
    m.update_state([[1, 0], [1, 1], [0, 1], [0, 1]], [[0.9, 0.2], [0.3, 0.8], [0.6, 0.7],
                                                      [0.1, 0.1]])
    # class 0: tp 1, fp 1, fn 1 -> 5/(5+4+1); class 1: tp 2, fn 1 -> 10/(10+4); supports 2, 3
    f0, f1 = Fraction(5, 10), Fraction(10, 14)
    assert m.result() == float((2 * f0 + 3 * f1) / 5)


def test_keras_config_state_and_registry() -> None:
    m = M.FBetaScore(average="macro", beta=0.5, threshold=0.3, name="fb", dtype="float32")
    assert m.get_config() == {"average": "macro", "beta": 0.5, "threshold": 0.3,
                              "dtype": "float32", "name": "fb"}
    assert M.get("FBetaScore", beta=2.0).beta == 2.0
    assert isinstance(M.get("f1_score"), M.F1Score)
    assert M.F1Score().get_config() == {"average": None, "threshold": None, "dtype": None,
                                        "name": "f1_score"}
    assert M.FBetaScore(average="micro").result() == 0.0
    assert M.FBetaScore(average=None).result().size == 0
    m.update_state([[1, 0, 1]], [[0.9, 0.1, 0.2]])
    back = M.Metric.from_state(json.loads(json.dumps(m.get_state())))
    assert type(back) is M.FBetaScore and back.result() == m.result()
    with pytest.raises(ValueError, match="classes"):
        m.merge_state(_updated(M.FBetaScore(average="macro", beta=0.5, threshold=0.3,
                                            name="fb", dtype="float32"),
                               [[1, 0]], [[0.9, 0.1]]))


def _updated(m: M.Metric, *args: Any) -> M.Metric:
    m.update_state(*args)
    return m


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"average": "samples"}, "average"),
    ({"beta": 0.0}, "beta"),
    ({"beta": -1.0}, "beta"),
    ({"threshold": 0.0}, "threshold"),
    ({"threshold": 1.5}, "threshold"),
])
def test_keras_bad_parameters(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        M.FBetaScore(**kwargs)


@pytest.mark.parametrize(("y_true", "y_pred", "match"), [
    ([1, 0], [0.9, 0.1], "2-D"),
    ([[1, 0]], [[0.9, 0.1, 0.3]], "same shape"),
    ([[2, 0]], [[0.9, 0.1]], "0/1"),
    ([[1, 0]], [[np.nan, 0.1]], "NaN"),
])
def test_keras_bad_input(y_true: Any, y_pred: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        M.F1Score().update_state(y_true, y_pred)


# -- scikit-learn's set -------------------------------------------------------------------------



def _cases(seed: int, n_cases: int) -> list[tuple[str, np.ndarray, np.ndarray, Any]]:
    """Random and tied inputs: multiclass labels (few classes, many repeats), multiclass
    scores with tied maxima, multilabel rows; every other case weighted."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n_cases):
        n = int(rng.integers(1, 40))
        c = int(rng.integers(2, 6))
        w = rng.random(n) if i % 2 else None
        if i % 10 == 7 and w is not None:
            w[: n // 2] = 0.0  # zero weights: their classes still occur
        kind = ("multiclass", "scores", "multilabel")[i % 3]
        if kind == "multilabel":
            yt = (rng.random((n, c)) < 0.4).astype(int)
            yp = (rng.random((n, c)) < 0.4).astype(int)
        elif kind == "scores":
            yt = rng.integers(0, c, n)
            yp = rng.integers(0, 3, (n, c)) / 2  # ties: the first maximum is predicted
        else:
            yt = rng.integers(0, c, n)
            yp = rng.integers(0, c, n)
        out.append((kind, yt, yp, w))
    return out


CASES = _cases(20261207, 90)
ZERO_DIVISION = ("warn", 0, 1, math.nan)


def _sk_labels(kind: str, yp: np.ndarray) -> np.ndarray:
    return np.argmax(yp, axis=-1) if kind == "scores" else yp


def _both(fn_ours: Any, fn_sk: Any) -> tuple[Any, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            want = fn_sk()
        except ValueError as exc:
            want = exc
        try:
            got = fn_ours()
        except ValueError as exc:
            got = exc
    return got, want


@pytest.mark.parametrize("i", range(len(CASES)))
def test_precision_recall_fscore_support_matches_sklearn(i: int) -> None:
    kind, yt, yp, w = CASES[i]
    averages = ((None, "micro", "macro", "weighted", "samples") if kind == "multilabel"
                else (None, "micro", "macro", "weighted", "binary"))
    checked = 0
    for average in averages:
        for zd in ZERO_DIVISION:
            for beta in (1.0, 0.5, 2.0, 0.0):
                got, want = _both(
                    lambda: M.precision_recall_fscore_support(
                        yt, yp, beta=beta, average=average, sample_weight=w,  # noqa: B023
                        zero_division=zd),  # noqa: B023
                    lambda: sklearn.precision_recall_fscore_support(
                        yt, _sk_labels(kind, yp), beta=beta, average=average,  # noqa: B023
                        sample_weight=w, zero_division=zd))  # noqa: B023
                if isinstance(want, Exception):
                    assert isinstance(got, ValueError), (average, got)
                    continue
                assert not isinstance(got, Exception), got
                for g, v in zip(got[:3], want[:3], strict=True):
                    assert isinstance(g, float) == (average is not None)
                    assert_close(g, v)
                if average is None:  # the support: exact counts (or exact weighted sums)
                    assert_close(got[3], want[3])
                    if w is None:
                        assert got[3].dtype == np.int64
                        np.testing.assert_array_equal(got[3], want[3])
                else:
                    assert got[3] is None
                checked += 1
    assert checked >= 40


@pytest.mark.parametrize("i", range(0, len(CASES), 3))
def test_streaming_classes_match_sklearn_after_batches_and_merges(i: int) -> None:
    kind, yt, yp, w = CASES[i]
    n = yt.shape[0]
    c = yt.shape[1] if kind == "multilabel" else max(int(yt.max()), int(
        _sk_labels(kind, yp).max())) + 1
    if kind == "scores":
        c = yp.shape[1]
    family = "Multilabel" if kind == "multilabel" else "Multiclass"
    sk_pred = _sk_labels(kind, yp)
    for measure, sk_fn, extra in (("Precision", sklearn.precision_score, {}),
                                  ("Recall", sklearn.recall_score, {}),
                                  ("F1Score", sklearn.f1_score, {}),
                                  ("FBetaScore", sklearn.fbeta_score, {"beta": 3.0})):
        for average in ("micro", "macro", "weighted", None):
            parts = []
            for rows in np.array_split(np.arange(n), 3):
                m = getattr(M, family + measure)(c, average=average, zero_division=0,
                                                 **extra)
                for batch in np.array_split(rows, 2):
                    m.update_state(yt[batch], yp[batch],
                                   None if w is None else w[batch])
                parts.append(M.Metric.from_state(json.loads(json.dumps(m.get_state()))))
            parts[2].merge_state(parts[0], parts[1])
            labels = (None if kind == "multilabel" or average is not None
                      else list(range(c)))
            want = sk_fn(yt, sk_pred, average=average, sample_weight=w, zero_division=0,
                         labels=labels, **extra)
            assert_close(parts[2].result(), want)


@pytest.mark.parametrize("i", range(0, len(CASES), 2))
def test_specificity_matches_the_multilabel_confusion_matrix(i: int) -> None:
    """Specificity tn / (tn + fp) per class from scikit-learn's per-class 2 x 2 tables."""
    kind, yt, yp, w = CASES[i]
    sk_pred = _sk_labels(kind, yp)
    c = yt.shape[1] if kind == "multilabel" else (yp.shape[1] if kind == "scores" else
                                                  int(max(yt.max(), yp.max())) + 1)
    labels = None if kind == "multilabel" else list(range(c))
    mcm = sklearn.multilabel_confusion_matrix(yt, sk_pred, sample_weight=w, labels=labels)
    tn = [Fraction(float(v)) for v in mcm[:, 0, 0]]
    fp = [Fraction(float(v)) for v in mcm[:, 0, 1]]
    cls = M.MultilabelSpecificity if kind == "multilabel" else M.MulticlassSpecificity
    got = cls(c, average=None, zero_division=math.nan)(yt, yp, w)
    want = [float(a / (a + b)) if a + b else math.nan for a, b in zip(tn, fp, strict=True)]
    assert_close(got, want)
    micro = cls(c, average="micro", zero_division=0)(yt, yp, w)
    den = sum(tn, Fraction(0)) + sum(fp, Fraction(0))
    assert micro == (float(sum(tn, Fraction(0)) / den) if den else 0.0)


@pytest.mark.parametrize("i", range(0, len(CASES), 4))
def test_classification_report_matches_sklearn(i: int) -> None:
    kind, yt, yp, w = CASES[i]
    got, want = _both(lambda: M.classification_report(yt, yp, sample_weight=w,
                                                      output_dict=True, zero_division=0),
                      lambda: sklearn.classification_report(
                          yt, _sk_labels(kind, yp), sample_weight=w,
                          output_dict=True, zero_division=0))
    assert list(got) == list(want)
    for key, row in want.items():
        if isinstance(row, dict):
            assert list(got[key]) == list(row)
            for field, v in row.items():
                assert_close(got[key][field], v)
        else:
            assert_close(got[key], row)


def test_classification_report_text_has_sklearn_layout() -> None:
    yt, yp = [0, 1, 2, 2, 1, 0], [0, 2, 2, 1, 1, 1]
    want = sklearn.classification_report(yt, yp, target_names=["a", "bb", "ccc"], digits=3)
    assert M.classification_report(yt, yp, target_names=["a", "bb", "ccc"], digits=3) == want
    w = [0.5, 1, 2, 1.25, 1, 3]  # weighted supports, written as floats
    assert M.classification_report(yt, yp, sample_weight=w) == sklearn.classification_report(
        yt, yp, sample_weight=w)
    multilabel_t = np.arange(12).reshape(4, 3) % 2
    multilabel_p = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1], [1, 1, 1]])
    assert M.classification_report(multilabel_t, multilabel_p) == (
        sklearn.classification_report(multilabel_t, multilabel_p))


def test_hand_derived_multiclass() -> None:
    # confusion matrix rows (true) x columns (predicted):
    #   [[2, 1, 0], [0, 1, 1], [1, 0, 3]]
    yt = [0, 0, 0, 1, 1, 2, 2, 2, 2]
    yp = [0, 0, 1, 1, 2, 0, 2, 2, 2]
    p, r, f, s = M.precision_recall_fscore_support(yt, yp)
    prec = [Fraction(2, 3), Fraction(1, 2), Fraction(3, 4)]
    rec = [Fraction(2, 3), Fraction(1, 2), Fraction(3, 4)]
    np.testing.assert_array_equal(p, [float(v) for v in prec])
    np.testing.assert_array_equal(r, [float(v) for v in rec])
    np.testing.assert_array_equal(f, [float(2 * a * b / (a + b)) for a, b in zip(prec, rec,
                                                                                  strict=True)])
    np.testing.assert_array_equal(s, [3, 2, 4])
    # specificity: tn / (tn + fp) = 5/6, 6/7, 4/5
    spec = M.MulticlassSpecificity(3, average=None)(yt, yp)
    np.testing.assert_array_equal(spec, [5 / 6, 6 / 7, 4 / 5])
    macro = M.MulticlassSpecificity(3)(yt, yp)
    assert macro == float((Fraction(5, 6) + Fraction(6, 7) + Fraction(4, 5)) / 3)
    weighted = M.MulticlassSpecificity(3, average="weighted")(yt, yp)
    assert weighted == float((3 * Fraction(5, 6) + 2 * Fraction(6, 7) + 4 * Fraction(4, 5)) / 9)


def test_macro_over_the_classes_that_occur() -> None:
    """Class 1 never occurs: it is not averaged (scikit-learn's labels, torchmetrics'
    skip); average=None still reports it, with the zero-division value."""
    m = M.MulticlassF1Score(3, zero_division=1)
    m.update_state([0, 0, 2, 2], [0, 2, 2, 2])
    # class 0: tp 1, fn 1 -> 2/3; class 2: tp 2, fp 1 -> 4/5
    assert m.result() == float((Fraction(2, 3) + Fraction(4, 5)) / 2)
    per = M.MulticlassF1Score(3, average=None, zero_division=1)([0, 0, 2, 2], [0, 2, 2, 2])
    np.testing.assert_array_equal(per, [2 / 3, 1.0, 0.8])


def test_samples_average_by_hand() -> None:
    # per sample (tp, fp, fn): (1, 0, 0), (1, 0, 1), (0, 1, 1)
    yt = [[1, 0, 0], [1, 1, 0], [0, 0, 1]]
    yp = [[1, 0, 0], [1, 0, 0], [0, 1, 0]]
    w = [1.0, 2.0, 0.5]
    p, r, f, _ = M.precision_recall_fscore_support(yt, yp, average="samples", sample_weight=w)
    assert p == float((1 * 1 + 2 * Fraction(1) + Fraction(1, 2) * 0) / Fraction(7, 2))
    assert r == float((1 * 1 + 2 * Fraction(1, 2) + 0) / Fraction(7, 2))
    assert f == float((1 + 2 * Fraction(2, 3)) / Fraction(7, 2))


def test_zero_division_warns_only_for_what_is_asked() -> None:
    with pytest.warns(M.UndefinedMetricWarning, match="precision"):
        M.MulticlassPrecision(3)([0, 1, 2], [0, 0, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert M.MulticlassRecall(3)([0, 1, 2], [0, 0, 0]) == 1 / 3
    assert np.isnan(M.MulticlassPrecision(3, average=None, zero_division=math.nan)(
        [0, 1, 2], [0, 0, 0])[1])
    # NaN values are left out of the macro mean
    assert M.MulticlassPrecision(3, zero_division=math.nan)([0, 1, 2], [0, 0, 0]) == 1 / 3


def test_binary_average() -> None:
    m = M.MulticlassPrecisionRecallFScore(2, average="binary", pos_label=0)
    m.update_state([0, 0, 1, 1], [0, 1, 1, 1])
    assert m.result() == (1.0, 0.5, float(Fraction(2, 3)), None)
    with pytest.raises(ValueError, match="at most two classes"):
        M.MulticlassPrecision(3, average="binary")([0, 1, 2], [0, 1, 2])
    with pytest.raises(ValueError, match="pos_label"):
        M.precision_score([0, 2, 2], [0, 2, 0])  # labels {0, 2}: 1 is not a valid pos_label
    with pytest.raises(ValueError, match="multilabel"):
        M.precision_score([[0, 1], [1, 1]], [[0, 1], [1, 0]])


@pytest.mark.parametrize(("make", "match"), [
    (lambda: M.MulticlassPrecision(3, average="samples"), "average"),
    (lambda: M.MultilabelPrecision(3, average="binary"), "average"),
    (lambda: M.MulticlassF1Score(3, zero_division=0.5), "zero_division"),
    (lambda: M.MulticlassFBetaScore(3, beta=-1.0), "beta"),
    (lambda: M.MulticlassPrecision(3, pos_label=3), "pos_label"),
    (lambda: M.MulticlassPrecision(0), "num_classes"),
    (lambda: M.ClassificationReport(3, target_names=["a"]), "target_names"),
])
def test_bad_parameters(make: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize(("metric", "y_true", "y_pred", "match"), [
    (M.MulticlassPrecision(3), [0, 3], [0, 1], "y_true"),
    (M.MulticlassPrecision(3), [0, 1], [[0.1, 0.9]], "do not fit"),
    (M.MulticlassPrecision(3), [0, 1], [[0.1, 0.9], [0.2, 0.8]], "num_classes"),
    (M.MultilabelRecall(2), [[0, 1]], [[0, 1, 1]], "same shape"),
    (M.MultilabelRecall(2), [[0, 1, 0]], [[0, 1, 1]], "num_classes"),
    (M.MultilabelRecall(2), [[0, 3]], [[0, 1]], "0/1"),
])
def test_bad_input(metric: M.Metric, y_true: Any, y_pred: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        metric.update_state(y_true, y_pred)


def test_registry_and_state_round_trip() -> None:
    for cls in (M.MulticlassPrecision, M.MulticlassRecall, M.MulticlassF1Score,
                M.MulticlassFBetaScore, M.MulticlassSpecificity,
                M.MulticlassPrecisionRecallFScore, M.MultilabelPrecision, M.MultilabelRecall,
                M.MultilabelF1Score, M.MultilabelFBetaScore, M.MultilabelSpecificity,
                M.MultilabelPrecisionRecallFScore, M.ClassificationReport):
        m = cls(3, zero_division=0, name="x", dtype="float32")
        assert M.get(cls.__name__, num_classes=3).name == cls.name
        assert cls.name in M.names()
        config = m.get_config()
        assert config["name"] == "x" and config["dtype"] == "float32"
        assert type(m)(**config).get_config() == config
        if "Multilabel" in cls.__name__:
            m.update_state([[1, 0, 1], [0, 1, 1]], [[1, 1, 0], [0, 1, 1]], [0.5, 2.0])
        else:
            m.update_state([0, 2, 1, 2], [0, 1, 1, 2], [0.5, 2.0, 1.0, 0.25])
        back = M.Metric.from_state(json.loads(json.dumps(m.get_state())))
        assert type(back) is cls
        assert repr(back.result()) == repr(m.result())


def test_invalid_states_are_refused() -> None:
    m = M.MulticlassF1Score(2)
    m.update_state([0, 1], [0, 0])
    state = json.loads(json.dumps(m.get_state()))
    state["state"]["counts"] = [[1, 0], [-1, 0]]
    with pytest.raises(ValueError, match="'counts'"):
        M.Metric.from_state(state)
    state["state"]["counts"] = [[1, 0], [1, 0]]
    state["state"]["present"] = [1]
    with pytest.raises(ValueError, match="'present'"):
        M.Metric.from_state(state)


def test_merging_different_configurations_is_refused() -> None:
    with pytest.raises(ValueError, match="configurations"):
        M.MulticlassF1Score(3).merge_state(M.MulticlassF1Score(3, average="micro"))
    with pytest.raises(TypeError):
        M.MulticlassF1Score(3).merge_state(M.MulticlassRecall(3))


# -- exactness: any split, merged through JSON in any order, is one pass --------------------------



@st.composite
def _split_data(draw: Any) -> tuple[int, np.ndarray, np.ndarray, np.ndarray | None, list[int],
                                    list[int]]:
    n = draw(st.integers(1, 40))
    c = draw(st.integers(2, 4))
    yt = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    yp = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    weighted = draw(st.booleans())
    w = (np.array(draw(st.lists(st.floats(0, 10, allow_subnormal=True), min_size=n,
                                max_size=n))) if weighted else None)
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=5)))
    order = draw(st.permutations(list(range(len(cuts) + 1))))
    return c, yt, yp, w, cuts, list(order)


def _split_equals_one_pass(make: Any, yt: np.ndarray, yp: np.ndarray, w: Any,
                           cuts: list[int], order: list[int]) -> None:
    one = make()
    one.update_state(yt, yp, w)
    parts = []
    for rows in np.split(np.arange(yt.shape[0]), cuts):
        m = make()
        m.update_state(yt[rows], yp[rows], None if w is None else w[rows])
        parts.append(json.loads(json.dumps(m.get_state())))
    merged = M.Metric.from_state(parts[order[0]])
    merged.merge_state(*(M.Metric.from_state(parts[k]) for k in order[1:]))
    assert merged.get_state()["state"] == one.get_state()["state"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert repr(merged.result()) == repr(one.result())


@settings(max_examples=60, deadline=None)
@given(_split_data())
def test_any_split_merged_in_any_order_is_one_pass(data: Any) -> None:
    c, yt, yp, w, cuts, order = data
    for make in (lambda: M.MulticlassFBetaScore(c, beta=0.5, average="weighted"),
                 lambda: M.MulticlassPrecisionRecallFScore(c, average=None),
                 lambda: M.MulticlassSpecificity(c, average="macro")):
        _split_equals_one_pass(make, yt, yp, w, cuts, order)
    onehot_t = np.eye(c, dtype=int)[yt]
    onehot_p = np.eye(c)[yp] * 0.8
    for make in (lambda: M.F1Score(average="weighted"),
                 lambda: M.MultilabelFBetaScore(c, beta=2.0, average="samples"),
                 lambda: M.ClassificationReport(c, multilabel=True)):
        _split_equals_one_pass(make, onehot_t, onehot_p, w, cuts, order)


def test_functions_take_scores_and_labels() -> None:
    """Scores: their columns are the classes (the argmax predicts); ``labels`` picks the
    classes to report, as scikit-learn's ``labels`` on the argmax."""
    yt = [0, 1, 1, 3]
    scores = [[0.9, 0.1, 0, 0, 0], [0.1, 0.8, 0, 0, 0], [0.9, 0.1, 0, 0, 0], [0, 0, 0, 1, 0]]
    got = M.precision_recall_fscore_support(yt, scores, labels=[0, 1])
    want = sklearn.precision_recall_fscore_support(yt, [0, 1, 0, 3], labels=[0, 1])
    for g, w in zip(got, want, strict=True):
        assert_close(g, w)
    with pytest.raises(ValueError, match="labels"):
        M.precision_recall_fscore_support(yt, scores, labels=[5])
    assert M.f1_score([0, 1, 1], [[0.9, 0.1], [0.1, 0.8], [0.9, 0.1]]) == float(Fraction(2, 3))


@pytest.mark.parametrize("seed", range(4))
def test_streaming_classes_match_torchmetrics(seed: int, torchmetrics: Any) -> None:
    """torchmetrics' classes of the same names (zero_division=0, its convention), with a
    class that never occurs (multiclass) and a column never set (multilabel); float32
    results to float32 accuracy."""
    torch, tm = torchmetrics
    rng = np.random.default_rng(seed)
    yt, yp = rng.choice([0, 1, 3], 60), rng.choice([0, 1, 3], 60)
    mt = (rng.random((60, 4)) < 0.4).astype(int)
    mp = (rng.random((60, 4)) < 0.4).astype(int)
    mt[:, 2] = mp[:, 2] = 0
    for family, (t, p) in (("Multiclass", (yt, yp)), ("Multilabel", (mt, mp))):
        for measure in ("Precision", "Recall", "F1Score", "Specificity"):
            for average in ("micro", "macro", "weighted", None):
                theirs = getattr(tm, family + measure)(4, average=average or "none")(
                    torch.tensor(p), torch.tensor(t))
                ours = getattr(M, family + measure)(4, average=average, zero_division=0)(t, p)
                np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-6, atol=1e-7)

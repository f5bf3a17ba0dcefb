"""The fused path of nnmath.evaluate (multiclass scores with integer labels, one pass of the
core per chunk) against the per-metric path and against independent references.

The per-metric path is what every metric's own ``update_state`` computes; the fused path
must leave the metrics in the same state, so the whole report (values, per-class table,
checks, notes) and the partial states that the Dask engine merges are the same, and so are
the errors. The references (scikit-learn, plain NumPy) share no code with nnmath.
"""

from __future__ import annotations

import importlib
import json
import math
from pathlib import Path

import numpy as np
import pytest

from nnmath.evaluate import _fused, evaluate
from nnmath.io import DataError, open_source

# the module (the package's name _plan is its function of that name)
_plan = importlib.import_module("nnmath.evaluate._plan")

RNG = np.random.default_rng(2026)


def report_of(*args, fused: bool, monkeypatch, **kwargs) -> dict:
    """The report as a dict (without the time), by the fused or the per-metric path."""
    with monkeypatch.context() as m:
        if not fused:
            m.setattr(_fused.FusedCounts, "for_plan", classmethod(lambda cls, *a: None))
        calls = []
        real = _fused.FusedCounts.update

        def counted(self, *a, **k):
            done = real(self, *a, **k)
            calls.append(done)
            return done

        m.setattr(_fused.FusedCounts, "update", counted)
        out = evaluate(*args, **kwargs).to_dict()
    assert any(calls) == fused
    out.pop("seconds")
    return out


def error_of(*args, fused: bool, monkeypatch, **kwargs) -> str:
    with monkeypatch.context() as m:
        if not fused:
            m.setattr(_fused.FusedCounts, "for_plan", classmethod(lambda cls, *a: None))
        with pytest.raises(DataError) as info:
            evaluate(*args, **kwargs)
    return str(info.value)


def scores(n, c, dtype=np.float32, logits=True, ties=False):
    z = RNG.normal(0, 2, (n, c))
    if ties:
        z = np.round(z)
    if not logits:
        e = np.exp(z - z.max(axis=1, keepdims=True))
        z = e / e.sum(axis=1, keepdims=True)
    return z.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("logits", [True, False])
def test_same_report_as_the_per_metric_path(tmp_path, monkeypatch, dtype, logits):
    """From files and arrays, several chunk sizes, ties, top-k lists with k >= C: the
    fused report is the per-metric one, bit for bit (JSON of every value)."""
    n, c = 1000, 7
    z = scores(n, c, dtype, logits, ties=True)
    y = RNG.integers(0, c, n)
    np.save(tmp_path / "z.npy", z)
    np.save(tmp_path / "y.npy", y)
    for args, chunk in (((y, z), None), ((str(tmp_path / "y.npy"), str(tmp_path / "z.npy")), 64),
                        ((str(tmp_path / "y.npy"), str(tmp_path / "z.npy")), 999)):
        kw = dict(from_logits=logits, chunk_size=chunk, top_k=[1, 2, 5, 7, 9])
        fused = report_of(*args, fused=True, monkeypatch=monkeypatch, **kw)
        plain = report_of(*args, fused=False, monkeypatch=monkeypatch, **kw)
        assert json.dumps(fused) == json.dumps(plain)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("logits", [True, False])
def test_weighted_and_one_hot_reports_are_the_per_metric_ones(tmp_path, monkeypatch, dtype,
                                                              logits):
    """Sample weights (zeros and ties included), one-hot and soft label rows (their first
    maximum is the label), weights with one-hot rows, from files and arrays, several
    chunk sizes: the fused report is the per-metric one, bit for bit."""
    n, c = 900, 6
    z = scores(n, c, dtype, logits, ties=True)
    y = RNG.integers(0, c, n)
    onehot = np.eye(c)[y]
    soft = RNG.dirichlet(np.ones(c), n)
    w = np.round(RNG.uniform(0, 3, n), 1)
    w[::7] = 0.0
    for name, arr in (("z", z), ("y", y), ("oh", onehot), ("w", w)):
        np.save(tmp_path / f"{name}.npy", arr)
    files = {k: str(tmp_path / f"{k}.npy") for k in ("z", "y", "oh", "w")}
    cases = [((y, z), {"sample_weight": w}), ((onehot, z), {}), ((soft, z), {}),
             ((onehot, z), {"sample_weight": w}),
             ((files["y"], files["z"]), {"sample_weight": files["w"], "chunk_size": 64}),
             ((files["oh"], files["z"]), {"sample_weight": files["w"], "chunk_size": 101}),
             ((files["oh"], files["z"]), {"chunk_size": 899})]
    for args, extra in cases:
        kw = dict(from_logits=logits, top_k=[1, 2, 5, 9], **extra)
        fused = report_of(*args, fused=True, monkeypatch=monkeypatch, **kw)
        plain = report_of(*args, fused=False, monkeypatch=monkeypatch, **kw)
        assert json.dumps(fused) == json.dumps(plain), (extra, args[0].__class__)


def test_weighted_one_hot_against_numpy_and_scikit_learn(monkeypatch):
    """Weighted accuracy, top-k, balanced accuracy, the per-class counts and the
    cross-entropy of one-hot rows from logits (with rows of infinite logits, whose loss
    the metric's reference takes), against scikit-learn and float64 NumPy."""
    sk = pytest.importorskip("sklearn.metrics")
    n, c = 3000, 8
    z = scores(n, c).astype(np.float64)
    y = RNG.integers(0, c, n)
    w = RNG.uniform(0, 2, n)
    r = evaluate(np.eye(c)[y], z, sample_weight=w, from_logits=True, top_k=[3],
                 chunk_size=500)
    pred = np.argmax(z, axis=1)
    assert r.metrics["accuracy"] == pytest.approx(sk.accuracy_score(y, pred, sample_weight=w),
                                                  rel=1e-15)
    assert r.metrics["balanced_accuracy"] == pytest.approx(
        sk.balanced_accuracy_score(y, pred, sample_weight=w), rel=1e-14)
    above = np.sum(z > z[np.arange(n), y][:, None], axis=1)
    assert r.metrics["top_3_accuracy"] == pytest.approx(np.sum(w * (above < 3)) / w.sum(),
                                                        rel=1e-14)
    m = z.max(axis=1)
    ce = m + np.log(np.exp(z - m[:, None]).sum(axis=1)) - z[np.arange(n), y]
    assert r.metrics["crossentropy"] == pytest.approx(np.sum(w * ce) / w.sum(), rel=1e-13)
    cm = sk.confusion_matrix(y, pred, labels=range(c), sample_weight=w)
    np.testing.assert_allclose(r.per_class["support"], cm.sum(axis=1), rtol=1e-14)
    # an infinite logit: the loss's limit (the reference), the same report by either path
    zi = z.copy()
    zi[10, y[10]] = np.inf
    kw = dict(sample_weight=w, from_logits=True, chunk_size=500)
    fused = report_of(np.eye(c)[y], zi, fused=True, monkeypatch=monkeypatch, **kw)
    assert json.dumps(fused) == json.dumps(
        report_of(np.eye(c)[y], zi, fused=False, monkeypatch=monkeypatch, **kw))
    assert np.isfinite(fused["metrics"]["crossentropy"])


def test_weighted_and_one_hot_errors_are_the_per_metric_ones(monkeypatch):
    """A bad weight, a label row that is not a probability row, a NaN score, in several
    orders: the same message (the earliest row) by either path."""
    n, c = 400, 5
    z = scores(n, c)
    y = RNG.integers(0, c, n)
    oh = np.eye(c)[y]
    w = RNG.uniform(0, 1, n)
    z1 = z.copy()
    z1[250, 1] = np.nan
    oh1 = oh.copy()
    oh1[150] = [0.5, 0.5, 0.5, 0.0, 0.0]
    w1 = w.copy()
    w1[100] = -1.0
    cases = [((oh1, z1), w), ((oh, z1), w1), ((oh1, z), w1), ((y, z1), w1), ((oh, z), w1),
             ((oh1, z), None)]
    for (yy, zz), ww in cases:
        for chunk in (64, 1000):
            kw = dict(from_logits=True, chunk_size=chunk, sample_weight=ww)
            assert (error_of(yy, zz, fused=True, monkeypatch=monkeypatch, **kw)
                    == error_of(yy, zz, fused=False, monkeypatch=monkeypatch, **kw))


def test_label_layouts_and_many_classes(monkeypatch):
    """Labels (N, 1), int32 and bool labels, and more classes than the confusion matrix
    keeps (the per-class table is skipped, balanced accuracy still counted)."""
    z = scores(300, 4)
    for y in (RNG.integers(0, 4, (300, 1)), RNG.integers(0, 4, 300).astype(np.int32),
              RNG.integers(0, 2, 300).astype(bool)):
        kw = dict(from_logits=True)
        assert (report_of(y, z, fused=True, monkeypatch=monkeypatch, **kw)
                == report_of(y, z, fused=False, monkeypatch=monkeypatch, **kw))
    z = scores(200, 1100)
    y = RNG.integers(0, 1100, 200)
    kw = dict(from_logits=True, top_k=[1, 10, 2000])
    fused = report_of(y, z, fused=True, monkeypatch=monkeypatch, **kw)
    assert fused == report_of(y, z, fused=False, monkeypatch=monkeypatch, **kw)
    assert fused["per_class"] is None


def test_against_scikit_learn_and_numpy():
    """Accuracy, balanced accuracy, the confusion counts, top-k with Keras's ties and the
    cross-entropy from logits, against scikit-learn and a float64 NumPy log-sum-exp."""
    sk = pytest.importorskip("sklearn.metrics")
    n, c = 5000, 10
    z = scores(n, c, ties=True)
    y = RNG.integers(0, c, n)
    r = evaluate(y, z, from_logits=True, top_k=[1, 3, 5], chunk_size=777)
    pred = np.argmax(z, axis=1)
    assert r.metrics["accuracy"] == sk.accuracy_score(y, pred)
    assert r.metrics["balanced_accuracy"] == pytest.approx(sk.balanced_accuracy_score(y, pred),
                                                           rel=1e-15)
    cm = sk.confusion_matrix(y, pred, labels=range(c))
    assert r.per_class["support"] == cm.sum(axis=1).tolist()
    assert r.per_class["predicted"] == cm.sum(axis=0).tolist()
    assert r.per_class["correct"] == np.diag(cm).tolist()
    above = np.sum(z > z[np.arange(n), y][:, None], axis=1)  # ties count as hits (Keras)
    for k in (1, 3, 5):
        assert r.metrics[f"top_{k}_accuracy"] == np.mean(above < k)
    z64 = z.astype(np.float64)
    m = z64.max(axis=1)
    ce = m + np.log(np.exp(z64 - m[:, None]).sum(axis=1)) - z64[np.arange(n), y]
    assert r.metrics["crossentropy"] == pytest.approx(ce.mean(), rel=1e-6)


def test_errors_are_the_per_metric_ones(tmp_path, monkeypatch):
    """A NaN score, a label outside the classes, a negative label: the same message (the
    earliest row of the chunk, whatever the chunking), by either path."""
    n, c = 500, 6
    cases = []
    z = scores(n, c)
    y = RNG.integers(0, c, n)
    z1 = z.copy()
    z1[300, 2] = np.nan
    y1 = y.copy()
    y1[200] = 6
    cases += [(y, z1), (y1, z), (y1, z1)]
    y2 = y.copy()
    y2[350] = -1
    cases.append((y2, z1))
    for yy, zz in cases:
        for chunk in (64, 1000):
            kw = dict(from_logits=True, chunk_size=chunk)
            assert (error_of(yy, zz, fused=True, monkeypatch=monkeypatch, **kw)
                    == error_of(yy, zz, fused=False, monkeypatch=monkeypatch, **kw))
    # probabilities: a row outside [0, 1] before a bad label
    p = scores(n, c, logits=False)
    p[100, 0] = 1.5
    kw = dict(chunk_size=128)
    msg = error_of(y1, p, fused=True, monkeypatch=monkeypatch, **kw)
    assert msg == error_of(y1, p, fused=False, monkeypatch=monkeypatch, **kw)
    assert "row 100" in msg


def test_dask_partials_equal_the_local_state(tmp_path):
    """The partial state of a piece (what a Dask worker sends back) is the same by either
    path, so the merge is unchanged."""
    z = scores(400, 5)
    y = RNG.integers(0, 5, 400)
    np.save(tmp_path / "z.npy", z)
    np.save(tmp_path / "y.npy", y)
    from nnmath.evaluate._inputs import open_inputs
    from nnmath.evaluate._options import check_options

    states = []
    for fused in (True, False):
        inputs = open_inputs(str(tmp_path / "y.npy"), str(tmp_path / "z.npy"))
        try:
            options = check_options("auto", True, None, None, None, None)
            plan = _plan._plan("multiclass", [], options, *inputs.sources[:2])
            (a, b), = inputs.segments
            pieces, _ = inputs.open_pieces(a, b)
            saved = _fused.FusedCounts.for_plan
            if not fused:
                _fused.FusedCounts.for_plan = classmethod(lambda cls, *x: None)
            try:
                _plan.run_pieces(plan, pieces[0], pieces[1], None, 64)
            finally:
                _fused.FusedCounts.for_plan = saved
            states.append(json.dumps(_plan.partial_state(plan), sort_keys=True))
        finally:
            inputs.close()
    assert states[0] == states[1]


def test_npy_reads_into_reused_buffers(tmp_path):
    """read_range_reusing gives the rows of read_range, in buffers reused in turn; a
    Fortran-ordered file falls back to copies; a file that shrinks is an error."""
    z = RNG.normal(size=(1000, 3)).astype(np.float32)
    np.save(tmp_path / "z.npy", z)
    np.save(tmp_path / "f.npy", np.asfortranarray(z))
    with open_source(str(tmp_path / "z.npy")) as src:
        chunks = [(c.copy(), c.ctypes.data) for c in src.read_range_reusing(100, 950, 128)]
        np.testing.assert_array_equal(np.concatenate([c for c, _ in chunks]), z[100:950])
        assert len({addr for _, addr in chunks}) == 3
    with open_source(str(tmp_path / "f.npy")) as src:
        got = np.concatenate(list(src.read_range_reusing(0, 1000, 300)))
        np.testing.assert_array_equal(got, z)
    path = tmp_path / "z.npy"
    with open_source(str(path)) as src:
        with open(path, "r+b") as f:
            f.truncate(path.stat().st_size - 1000)
        with pytest.raises(DataError, match=r"ended .* bytes early"):
            for _ in src.read_range_reusing(0, 1000, 128):
                pass


def test_reader_errors_come_after_the_chunks_before_them(tmp_path, monkeypatch):
    """A chunk that fails to read is reported after the chunks before it were checked: a
    bad row in chunk 0 wins over a read error in chunk 1 (the reader runs one ahead)."""
    z = scores(256, 4)
    z[10, 1] = np.nan
    y = RNG.integers(0, 4, 256)
    np.save(tmp_path / "z.npy", z)
    np.save(tmp_path / "y.npy", y)
    real = _plan.Piece.chunks

    def failing(self, step, reuse=False):
        for i, chunk in enumerate(real(self, step, reuse)):
            if i == 1:
                raise DataError("read error in chunk 1")
            yield chunk

    monkeypatch.setattr(_plan.Piece, "chunks", failing)
    with pytest.raises(DataError, match="NaN at row 10"):
        evaluate(str(tmp_path / "y.npy"), str(tmp_path / "z.npy"), from_logits=True,
                 chunk_size=128)
    z[10, 1] = 0.0
    np.save(tmp_path / "z.npy", z)
    with pytest.raises(DataError, match="read error in chunk 1"):
        evaluate(str(tmp_path / "y.npy"), str(tmp_path / "z.npy"), from_logits=True,
                 chunk_size=128)
    assert math.isfinite(evaluate(y, z, from_logits=True).metrics["crossentropy"])
    assert Path(tmp_path / "z.npy").exists()

"""nnmath.evaluate: each task, from each file format, equals an independent NumPy computation.

The references below are written from the definitions (Keras's clipping at 1e-7 and
renormalisation for probabilities, log-sum-exp for logits, ties counting as top-k hits)
with plain NumPy; they share no code with nnmath.
"""

from __future__ import annotations

import io
import itertools
import math
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from nnmath.evaluate import Report, _Progress, default_chunk_size, evaluate
from nnmath.io import DataError

EPS = 1e-7
N = 101


# -- references ---------------------------------------------------------------------------------

def wmean(v: np.ndarray, w: np.ndarray | None) -> float:
    w = np.ones(len(v)) if w is None else w
    return float(np.sum(w * v) / np.sum(w))


def ref_binary(y: np.ndarray, s: np.ndarray, w: np.ndarray | None = None,
               threshold: float = 0.5, logits: bool = False) -> dict[str, float]:
    y = y.ravel().astype(float)
    s = s.ravel().astype(float)
    if logits:
        decided = s > math.log(threshold / (1 - threshold))
        ce = y * np.logaddexp(0.0, -s) + (1 - y) * np.logaddexp(0.0, s)
    else:
        decided = s > threshold
        pc = np.clip(s, EPS, 1 - EPS)
        ce = -(y * np.log(pc) + (1 - y) * np.log(1 - pc))
    ww = np.ones(len(y)) if w is None else w
    pos = y == 1
    tp, fp = np.sum(ww * (decided & pos)), np.sum(ww * (decided & ~pos))
    fn, tn = np.sum(ww * (~decided & pos)), np.sum(ww * (~decided & ~pos))
    return {"accuracy": wmean(decided == pos, w),
            "balanced_accuracy": float((tp / (tp + fn) + tn / (tn + fp)) / 2),
            "crossentropy": wmean(ce, w), "precision": float(tp / (tp + fp)),
            "recall": float(tp / (tp + fn)), "f1": float(2 * tp / (2 * tp + fp + fn))}


def ref_multiclass(y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None,
                   ks: tuple[int, ...] = (), logits: bool = False) -> dict[str, float]:
    rows = np.arange(len(y))
    pred = np.argmax(p, axis=1)
    if logits:
        m = p.max(axis=1, keepdims=True)
        lse = m[:, 0] + np.log(np.sum(np.exp(p - m), axis=1))
        ce = lse - p[rows, y]
    else:
        q = np.clip(p / p.sum(axis=1, keepdims=True), EPS, 1 - EPS)
        ce = -np.log(q[rows, y])
    classes = np.unique(y)
    ww = np.ones(len(y)) if w is None else w
    recalls = [np.sum(ww * ((pred == y) & (y == c))) / np.sum(ww * (y == c)) for c in classes]
    out = {"accuracy": wmean(pred == y, w), "balanced_accuracy": float(np.mean(recalls))}
    for k in ks:
        above = np.sum(p > p[rows, y][:, None], axis=1)
        out[f"top_{k}_accuracy"] = wmean(above < k, w)
    out["crossentropy"] = wmean(ce, w)
    return out


def ref_multilabel(y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None,
                   threshold: float = 0.5) -> dict[str, float]:
    right = (p > threshold) == (y == 1)
    pc = np.clip(p, EPS, 1 - EPS)
    ce = -(y * np.log(pc) + (1 - y) * np.log(1 - pc)).mean(axis=1)
    return {"accuracy": wmean(right.mean(axis=1), w), "subset_accuracy": wmean(right.all(1), w),
            "crossentropy": wmean(ce, w)}


def assert_metrics(report: Report, expected: dict[str, float], rtol: float = 1e-12) -> None:
    assert list(report.metrics) == list(expected)
    for name, value in expected.items():
        assert report.metrics[name] == pytest.approx(value, rel=rtol, abs=1e-15), name


# -- data ---------------------------------------------------------------------------------------

RNG = np.random.default_rng(20240611)
BIN_Y = RNG.integers(0, 2, N)
BIN_P = np.clip(RNG.random(N) * 0.9 + 0.05 * BIN_Y, 0, 1)
BIN_P[:3] = [0.0, 1.0, 0.5]  # the clip at 1e-7 and the threshold's own value
C = 7
MC_Y = RNG.integers(0, C, N)
_logits = RNG.normal(size=(N, C))
_logits[np.arange(N), MC_Y] += 1.0
MC_Z = _logits
MC_P = np.exp(_logits) / np.exp(_logits).sum(axis=1, keepdims=True)
MC_P[0] = [0.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0]  # a tie, and (label 0?) probability 0
MC_Y[0] = 0
ML_Y = RNG.integers(0, 2, (N, 4))
ML_P = RNG.random((N, 4))
WEIGHTS = RNG.random(N) * 2


def write(fmt: str, d: Path, name: str, arr: np.ndarray) -> str:
    """Write ``arr`` in a format and return the spec that reads it back."""
    arr = np.asarray(arr)
    if fmt == "npy":
        np.save(d / f"{name}.npy", arr)
        return str(d / f"{name}.npy")
    if fmt == "npz":
        np.savez_compressed(d / f"{name}.npz", data=arr, other=np.zeros(3))
        return f"{d / name}.npz:data"
    if fmt in ("csv", "tsv"):
        sep = "," if fmt == "csv" else "\t"
        cols = 1 if arr.ndim == 1 else arr.shape[1]
        header = [sep.join(f"{name}{j}" for j in range(cols))] if fmt == "csv" else []
        body = [sep.join(repr(float(v)) for v in np.atleast_1d(row)) for row in arr]
        (d / f"{name}.{fmt}").write_text("\n".join(header + body) + "\n")
        pick = ",".join(f"{name}{j}" for j in range(cols)) if fmt == "csv" else \
            ",".join(str(j) for j in range(cols))
        return f"{d / name}.{fmt}:{pick}"
    pa = pytest.importorskip("pyarrow", reason="pyarrow (the 'io' extra) reads Parquet")
    pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow (the 'io' extra)")
    column = pa.array(arr.tolist()) if arr.ndim > 1 else pa.array(arr)
    pq.write_table(pa.table({"x": column, "id": np.arange(len(arr))}), d / f"{name}.parquet",
                   row_group_size=40)
    return f"{d / name}.parquet:x"


FORMATS = ["array", "npy", "npz", "csv", "tsv", "parquet"]


def inputs(fmt: str, d: Path, **arrays: np.ndarray) -> dict[str, object]:
    if fmt == "array":
        return dict(arrays)
    return {k: write(fmt, d, k, v) for k, v in arrays.items()}


# -- each task, each format -----------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_binary_each_format(fmt: str, tmp_path: Path) -> None:
    a = inputs(fmt, tmp_path, y_true=BIN_Y, y_pred=BIN_P, sample_weight=WEIGHTS)
    report = evaluate(a["y_true"], a["y_pred"], a["sample_weight"], chunk_size=16)
    assert report.task == "binary" and report.n_samples == N
    assert report.settings["accuracy"] == "binary_accuracy"
    assert_metrics(report, ref_binary(BIN_Y, BIN_P, WEIGHTS))


@pytest.mark.parametrize("fmt", FORMATS)
def test_multiclass_each_format(fmt: str, tmp_path: Path) -> None:
    a = inputs(fmt, tmp_path, y_true=MC_Y, y_pred=MC_P)
    report = evaluate(a["y_true"], a["y_pred"], top_k=[2, 3], chunk_size=30)
    assert report.task == "multiclass" and report.n_classes == C
    assert report.settings["accuracy"] == "sparse_categorical_accuracy"
    assert_metrics(report, ref_multiclass(MC_Y, MC_P, ks=(2, 3)))
    pred = np.argmax(MC_P, axis=1)
    assert report.per_class is not None
    assert report.per_class["support"] == np.bincount(MC_Y, minlength=C).tolist()
    assert report.per_class["predicted"] == np.bincount(pred, minlength=C).tolist()
    assert report.per_class["correct"] == np.bincount(MC_Y[pred == MC_Y], minlength=C).tolist()


@pytest.mark.parametrize("fmt", FORMATS)
def test_multilabel_each_format(fmt: str, tmp_path: Path) -> None:
    a = inputs(fmt, tmp_path, y_true=ML_Y, y_pred=ML_P, sample_weight=WEIGHTS)
    report = evaluate(a["y_true"], a["y_pred"], a["sample_weight"], task="multilabel",
                      threshold=0.4, chunk_size=25)
    assert report.task == "multilabel" and report.n_classes == 4
    assert_metrics(report, ref_multilabel(ML_Y, ML_P, WEIGHTS, threshold=0.4))
    assert report.per_class is not None
    np.testing.assert_allclose(report.per_class["support"], WEIGHTS @ ML_Y, rtol=1e-12)
    np.testing.assert_allclose(report.per_class["predicted"], WEIGHTS @ (ML_P > 0.4),
                               rtol=1e-12)


# -- variants ----------------------------------------------------------------------------------

def test_seed_examples() -> None:
    """The seed notebook's three accuracy examples: 2/3, 1/2 (two columns), 2/3."""
    assert evaluate([0, 1, 1], [0.4, 0.7, 0.3]).metrics["accuracy"] == 2 / 3
    two = ([[0, 1], [1, 0], [1, 0], [0, 1]], [[0.4, 0.6], [0.3, 0.7], [0.05, 0.95], [0.33, 0.67]])
    assert evaluate(*two).metrics["accuracy"] == 0.5
    assert evaluate(*two, task="binary").metrics["accuracy"] == 0.5
    four = ([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0]],
            [[0.4, 0.6, 0, 0], [0.3, 0.2, 0.1, 0.4], [0.05, 0.35, 0.5, 0.1]])
    r = evaluate(*four)
    assert r.settings["accuracy"] == "categorical_accuracy"
    assert r.metrics["accuracy"] == 2 / 3


def test_logits_binary_and_multiclass() -> None:
    z = np.log(BIN_P.clip(1e-3, 1 - 1e-3) / (1 - BIN_P.clip(1e-3, 1 - 1e-3)))
    r = evaluate(BIN_Y, z, from_logits=True, threshold=0.3)
    assert_metrics(r, ref_binary(BIN_Y, z, threshold=0.3, logits=True))
    r = evaluate(MC_Y[1:], MC_Z[1:], from_logits=True, top_k=4)
    assert r.settings["crossentropy"] == "sparse_categorical_crossentropy"
    assert_metrics(r, ref_multiclass(MC_Y[1:], MC_Z[1:], ks=(4,), logits=True))


def test_one_hot_labels_and_weights() -> None:
    onehot = np.eye(C)[MC_Y]
    r = evaluate(onehot, MC_P, WEIGHTS, top_k=2)
    assert r.settings["accuracy"] == "categorical_accuracy"
    assert_metrics(r, ref_multiclass(MC_Y, MC_P, WEIGHTS, ks=(2,)))


def test_two_column_softmax_as_a_binary_task() -> None:
    p2 = np.column_stack([1 - BIN_P, BIN_P])
    r = evaluate(BIN_Y, p2, task="binary")
    assert_metrics(r, ref_binary(BIN_Y, BIN_P))
    z2 = np.column_stack([np.zeros(N), np.linspace(-3, 3, N)])  # softmax([0, z])_1 = σ(z)
    r = evaluate(BIN_Y, z2, task="binary", from_logits=True)
    assert_metrics(r, ref_binary(BIN_Y, z2[:, 1], logits=True))


def test_default_top_k_is_5_above_5_classes() -> None:
    r = evaluate(MC_Y, MC_P)
    assert "top_5_accuracy" in r.metrics
    r = evaluate(MC_Y % 3, MC_P[:, :3])
    assert not any(k.startswith("top_") for k in r.metrics)


@pytest.mark.parametrize("chunk", [1, 13, N, 10 * N])
def test_result_does_not_depend_on_the_chunking(chunk: int) -> None:
    whole = evaluate(MC_Y, MC_P, WEIGHTS, chunk_size=N).metrics
    assert evaluate(MC_Y, MC_P, WEIGHTS, chunk_size=chunk).metrics == whole  # bit for bit


def test_report_json_and_table() -> None:
    r = evaluate(MC_Y, MC_P, top_k=3)
    d = r.to_dict()
    assert set(d) >= {"task", "n_samples", "metrics"}
    assert d["metrics"]["top_3_accuracy"] == r.metrics["top_3_accuracy"]
    assert '"task": "multiclass"' in r.to_json()
    table = r.format_table(max_classes=3)
    assert "top_3_accuracy" in table and "... 4 more" in table


def test_auto_task_detection() -> None:
    assert evaluate(ML_Y, ML_P).task == "multilabel"  # 0/1 rows, several 1s
    assert evaluate(np.eye(4)[ML_Y[:, 0]], ML_P).task == "multiclass"  # one-hot rows
    with pytest.raises(DataError, match="neither one-hot"):
        evaluate(ML_Y * 2.0, ML_P)


@pytest.mark.parametrize("call, message", [
    (lambda: evaluate([0, 2, 1], [0.1, 0.2, 0.3]), "binary labels must be 0 or 1"),
    (lambda: evaluate([0, 1.5], [[0.5, 0.5], [0.5, 0.5]]), "must be integers"),
    (lambda: evaluate([0, 1, 1], [0.2, 1.3, 0.5]), "--from-logits"),
    (lambda: evaluate([0, 1], [[0.2, 0.3, 0.5]] * 2, task="binary"), "has 3 columns"),
    (lambda: evaluate([0, 1], [0.2, 0.3], task="multiclass"), "one score per sample"),
    (lambda: evaluate([0, 1], [0.2, 0.3], threshold=1.5, from_logits=True), r"\(0, 1\)"),
    (lambda: evaluate([], []), "no rows"),
    (lambda: evaluate([0, 1], [0.2, 0.3], [1.0, np.nan]), "finite and >= 0"),
    (lambda: evaluate([0, 1], [0.2, 0.3], task="nope"), "task must be one of"),
    (lambda: evaluate([[0, 1, 0]], [[0.2, 0.3, 0.5, 0.0]]), "one column per class"),
    (lambda: evaluate([np.nan, 1], [0.2, 0.3]), "holds NaN at row 0"),
])
def test_bad_input(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_memory_is_bounded_by_the_chunk(tmp_path: Path) -> None:
    """A 40 MB memory-mapped file evaluated in chunks of 10,000 rows (0.4 MB)."""
    rows, classes = 1_000_000, 5
    pred = np.lib.format.open_memmap(tmp_path / "p.npy", mode="w+", dtype=np.float64,
                                     shape=(rows, classes))
    pred[:] = 0.2
    pred.flush()
    del pred
    np.save(tmp_path / "y.npy", np.arange(rows) % classes)
    tracemalloc.start()
    try:
        r = evaluate(str(tmp_path / "y.npy"), str(tmp_path / "p.npy"), chunk_size=10_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert r.n_samples == rows
    assert r.metrics["accuracy"] == 0.2  # ties: argmax picks class 0, a fifth of the labels
    assert r.metrics["crossentropy"] == pytest.approx(math.log(5), rel=1e-12)
    assert peak < 8 * 2**20, f"{peak / 2**20:.1f} MiB traced for a 40 MB file"


def test_default_chunk_size_targets_a_few_mebibytes() -> None:
    assert default_chunk_size(10) * 10 * 8 <= 8 << 20
    assert default_chunk_size(10**6) == 1  # sized by bytes: 8 MiB / 8 MB rows, at least one


def test_progress_bar_plain_and_tqdm(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setitem(sys.modules, "tqdm", None)  # the plain fallback
    bar = _Progress(1000, enabled=True, stream=out, delay=0.0)
    bar.last = -1.0
    bar.update(400)
    bar.close()
    assert "evaluate:  40.0% 400/1,000 rows" in out.getvalue()
    monkeypatch.delitem(sys.modules, "tqdm")
    pytest.importorskip("tqdm", reason="tqdm (the 'cli' extra) draws the progress bar")
    out = io.StringIO()
    bar = _Progress(1000, enabled=True, stream=out, delay=0.0)
    bar.update(1000)
    bar.close()
    assert "evaluate:" in out.getvalue() and "/1.00k" in out.getvalue()  # tqdm's bar
    silent = io.StringIO()
    bar = _Progress(1000, enabled=False, stream=silent, delay=0.0)
    bar.update(1000)
    bar.close()
    assert silent.getvalue() == ""


# -- several files as one input ---------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["npy", "npz", "csv", "parquet"])
def test_several_files_equal_one_array(fmt: str, tmp_path: Path) -> None:
    """Lists of files (cut at uneven rows) give the report of the whole arrays."""
    edges = [0, 30, 31, 80, N]
    ys, ps, ws = [], [], []
    for i, (a, b) in enumerate(itertools.pairwise(edges)):
        ys.append(write(fmt, tmp_path, f"y{i}", MC_Y[a:b]))
        ps.append(write(fmt, tmp_path, f"p{i}", MC_P[a:b]))
        ws.append(write(fmt, tmp_path, f"w{i}", WEIGHTS[a:b]))
    whole = evaluate(MC_Y, MC_P, WEIGHTS, top_k=2, chunk_size=16)
    r = evaluate(ys, ps, ws, top_k=2, chunk_size=16)
    assert r.metrics == whole.metrics and r.per_class == whole.per_class  # bit for bit
    assert r.n_samples == N and r.inputs[1]["shape"] == [N, C]
    assert r.inputs[1]["read"].startswith("4 files; ")


def test_globs_and_the_pairing_of_files(tmp_path: Path) -> None:
    for i, (a, b) in enumerate([(0, 50), (50, 51), (51, N)]):
        np.save(tmp_path / f"y-{i}.npy", BIN_Y[a:b])
        np.save(tmp_path / f"p-{i}.npy", BIN_P[a:b])
    r = evaluate(str(tmp_path / "y-*.npy"), str(tmp_path / "p-*.npy"), chunk_size=8)
    assert r.metrics == evaluate(BIN_Y, BIN_P, chunk_size=8).metrics
    assert r.inputs[0]["spec"] == str(tmp_path / "y-*.npy")
    # one file (or an array) against many: paired by rows
    np.save(tmp_path / "all.npy", BIN_Y)
    assert evaluate(str(tmp_path / "all.npy"), str(tmp_path / "p-*.npy")).metrics == r.metrics
    assert evaluate(BIN_Y, str(tmp_path / "p-*.npy")).metrics == r.metrics
    np.save(tmp_path / "p-1.npy", BIN_P[50:52])  # the second pair no longer matches
    with pytest.raises(DataError, match=r"y-1\.npy has 1 rows but y_pred .*p-1\.npy has 2: "
                                        r"files are paired in sorted order"):
        evaluate(str(tmp_path / "y-*.npy"), str(tmp_path / "p-*.npy"))
    with pytest.raises(DataError, match=r"y_true .*q-\*\.npy: no file matches"):
        evaluate(str(tmp_path / "q-*.npy"), str(tmp_path / "p-*.npy"))
    np.save(tmp_path / "p-2.npy", np.column_stack([BIN_P[51:], BIN_P[51:]]))
    with pytest.raises(DataError, match=r"p-2\.npy has rows of shape \(2,\) but .*p-0\.npy "
                                        r"has \(\): every file of"):
        evaluate(BIN_Y, str(tmp_path / "p-*.npy"))


@pytest.mark.parametrize("fmt", ["array", "npy", "npz", "csv", "parquet"])
def test_read_range_gives_chunks_from_its_start(fmt: str, tmp_path: Path) -> None:
    from nnmath.io import open_source

    spec = MC_P if fmt == "array" else write(fmt, tmp_path, "p", MC_P)
    with open_source(spec) as src:
        for start, stop, step in [(0, N, 16), (17, 90, 10), (40, 41, 7), (33, 33, 5)]:
            chunks = list(src.read_range(start, stop, step))
            assert [len(c) for c in chunks] == [min(step, stop - a)
                                                for a in range(start, stop, step)]
            got = np.concatenate(chunks) if chunks else np.empty((0, C))
            np.testing.assert_array_equal(got, MC_P[start:stop])
        with pytest.raises(ValueError, match="not within"):
            list(src.read_range(5, N + 1, 8))

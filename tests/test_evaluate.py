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
    prob = 1 / (1 + np.exp(-s)) if logits else s
    return {"accuracy": wmean(decided == pos, w),
            "balanced_accuracy": float((tp / (tp + fn) + tn / (tn + fp)) / 2),
            "crossentropy": wmean(ce, w), "precision": float(tp / (tp + fp)),
            "recall": float(tp / (tp + fn)), "f1": float(2 * tp / (2 * tp + fp + fn)),
            **ref_probability_metrics(y.astype(int), s, prob, w)}


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
    if logits:
        e = np.exp(p - p.max(axis=1, keepdims=True))
        prob = e / e.sum(axis=1, keepdims=True)
    else:
        prob = p
    out.update(ref_probability_metrics(y, prob, prob, w, multiclass=True))
    return out


def ref_multilabel(y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None,
                   threshold: float = 0.5) -> dict[str, float]:
    right = (p > threshold) == (y == 1)
    pc = np.clip(p, EPS, 1 - EPS)
    ce = -(y * np.log(pc) + (1 - y) * np.log(1 - pc)).mean(axis=1)
    return {"accuracy": wmean(right.mean(axis=1), w), "subset_accuracy": wmean(right.all(1), w),
            "crossentropy": wmean(ce, w), **ref_probability_metrics(y, p, p, w)}


def ref_probability_metrics(truth: np.ndarray, ranked: np.ndarray, prob: np.ndarray,
                            w: np.ndarray | None, multiclass: bool = False
                            ) -> dict[str, float]:
    """ROC AUC and average precision from scikit-learn (per column, macro mean for
    several), and the ECE (15 equal-width bins) and Brier score from their definitions.
    ``truth``: 0/1 ``(N,)`` or ``(N, L)``, or class labels with ``multiclass``; ``ranked``
    the scores the AUC ranks, ``prob`` the probabilities."""
    skm = pytest.importorskip("sklearn.metrics")
    if multiclass:
        cols = np.eye(prob.shape[1], dtype=int)[truth]
        conf = prob.max(axis=1)
        hit = (np.argmax(prob, axis=1) == truth).astype(float)
        sq = np.sum((prob - cols) ** 2, axis=1)
        ww = np.ones(len(truth)) if w is None else w
    else:
        cols = truth.reshape(len(truth), -1)
        conf = prob.reshape(-1)
        hit = cols.reshape(-1).astype(float)
        sq = (conf - hit) ** 2
        ww = np.ones(len(truth)) if w is None else w
        ww = np.repeat(ww, cols.shape[1])
    ranked = ranked.reshape(len(truth), -1)
    rocs = [skm.roc_auc_score(cols[:, j], ranked[:, j], sample_weight=w)
            for j in range(cols.shape[1])]
    aps = [skm.average_precision_score(cols[:, j], ranked[:, j], sample_weight=w)
           for j in range(cols.shape[1])]
    bins = np.minimum(np.floor(conf * 15).astype(int), 14)
    gap = sum(abs(np.sum(ww[bins == b] * (hit[bins == b] - conf[bins == b])))
              for b in range(15))
    return {"roc_auc": float(np.mean(rocs)), "pr_auc": float(np.mean(aps)),
            "ece": float(gap / np.sum(ww)), "brier_score": float(np.sum(ww * sq) / np.sum(ww))}


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
    with pytest.raises(DataError, match=r"not a one-hot .* nor a row of 0/1 labels"):
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
    (lambda: evaluate([0, 1], [0.2, 0.3], task="nope"), r"task \(--task\) must be one of"),
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


# -- no silent wrong results: the task, every row, the options ---------------------------------

def report_without_timing(r: Report) -> dict[str, object]:
    """The whole report less what may differ between runs (wall time, the chunk size)."""
    d = r.to_dict()
    d.pop("seconds")
    d["settings"].pop("chunk_size")
    return d


def test_auto_task_is_decided_from_every_row() -> None:
    """0/1 label rows whose first 300 rows have one positive each, later rows several:
    multilabel, whatever the chunk size (the first chunk used to decide: multiclass)."""
    rng = np.random.default_rng(7)
    n, c = 400, 4
    y = np.eye(c)[rng.integers(0, c, n)]
    y[300:] = rng.integers(0, 2, (100, c))
    y[300] = [1, 1, 0, 0]  # the first row that is not one-hot
    p = rng.random((n, c))
    expected = ref_multilabel(y, p)
    reports = [evaluate(y, p, chunk_size=k) for k in (10, 100, 300, 1000)]
    for r in reports:
        assert r.task == "multilabel"
        assert_metrics(r, expected)
        assert report_without_timing(r) == report_without_timing(reports[0])
    not_one_hot = int(np.sum(y.sum(axis=1) != 1))
    assert any(f"{not_one_hot:,} of {n:,} have several or no 1s, the first at row 300" in note
               for note in reports[0].notes), reports[0].notes


@pytest.mark.parametrize("bad_row", [[1.0, 1.0, 0.0], [0.0, 0.0, 0.0], [np.inf, 0.0, 0.0],
                                     [1e308, 0.0, 0.0], [1.5, -0.5, 0.0]])
@pytest.mark.parametrize("chunk", [7, 100, 1000])
def test_one_hot_rows_are_checked_in_every_chunk(bad_row: list[float], chunk: int) -> None:
    y = np.eye(3)[np.arange(300) % 3]
    y[250] = bad_row
    p = np.full((300, 3), 1 / 3)
    with pytest.raises(DataError, match=r"y_true: row 250 is .*--task multilabel"):
        evaluate(y, p, task="multiclass", chunk_size=chunk)


def test_mixed_label_rows_need_a_task() -> None:
    y = np.eye(4)[np.arange(20) % 4]
    y[5] = [0.25, 0.75, 0, 0]  # a probability row (not 0/1)
    y[9] = [1, 0, 1, 0]  # a multi-hot row (not summing to 1)
    with pytest.raises(DataError, match=r"row 5 is \[0.25, 0.75, 0, 0\] .* but row 9 is "
                                        r"\[1, 0, 1, 0\] .*pass --task"):
        evaluate(y, np.full((20, 4), 0.25), chunk_size=3)


@pytest.mark.parametrize("chunk", [1, 4, 6, 10, 100])
def test_the_error_names_the_earliest_bad_row_whatever_the_chunk(chunk: int) -> None:
    """A label out of range at row 5 and a NaN prediction at row 8: row 5 is reported
    (in chunks of 10 the NaN used to be, as predictions were checked first)."""
    y = np.arange(20) % 3
    p = np.full((20, 3), 1 / 3)
    y[5], p[8, 1] = 3, np.nan
    with pytest.raises(DataError, match=r"label 3 at row 5, outside the 3 classes"):
        evaluate(y, p, chunk_size=chunk)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"threshold": 2}, ValueError, r"threshold \(--threshold\) .* \(0, 1\), got 2.0"),
    ({"threshold": -1}, ValueError, r"\(0, 1\), got -1.0"),
    ({"threshold": float("nan")}, ValueError, r"\(0, 1\), got nan"),
    ({"threshold": 1.0}, ValueError, r"\(0, 1\), got 1.0"),
    ({"threshold": "0.5"}, TypeError, r"threshold \(--threshold\) must be a number"),
    ({"top_k": 2}, ValueError, r"top_k \(--top-k\) applies to a multiclass task, and this "
                               r"one is binary"),
    ({"top_k": [2.7]}, ValueError, r"top_k \(--top-k\) must be integers >= 1, got 2.7"),
    ({"top_k": "3"}, TypeError, r"top_k \(--top-k\) must be an integer or a list"),
    ({"top_k": []}, ValueError, r"top_k \(--top-k\) is an empty list"),
    ({"chunk_size": 1.5}, ValueError, r"chunk_size \(--chunk-size\) must be an integer"),
    ({"chunk_size": True}, ValueError, r"chunk_size \(--chunk-size\) must be an integer"),
    ({"from_logits": "no"}, TypeError, r"from_logits \(--from-logits\) must be True or False"),
    ({"header": 1}, TypeError, r"header \(--header/--no-header\) must be True or False"),
])
def test_bad_options_of_a_binary_task(kwargs: dict[str, object], error: type,
                                      message: str) -> None:
    with pytest.raises(error, match=message):
        evaluate([0, 1, 1], [0.2, 0.7, 0.4], **kwargs)  # type: ignore[arg-type]


def test_options_that_the_task_would_ignore_are_refused() -> None:
    with pytest.raises(ValueError, match=r"top_k \(--top-k\) .* this one is multilabel"):
        evaluate(ML_Y, ML_P, top_k=3)
    with pytest.raises(ValueError, match=r"threshold \(--threshold\) applies to binary and "
                                         r"multi-label tasks"):
        evaluate(MC_Y, MC_P, threshold=0.3)
    # the defaults stay: a threshold of 0.5 reported for binary, top-k for multiclass
    assert evaluate(BIN_Y, BIN_P).settings["threshold"] == 0.5
    assert evaluate(MC_Y, MC_P, top_k=(3, 2, 3)).settings["top_k"] == [2, 3]


def test_probabilities_that_do_not_sum_to_1_are_reported() -> None:
    """Sigmoid outputs scored as a multiclass task: crossentropy renormalises them (as
    Keras does), and the report says how many rows and by how much."""
    rng = np.random.default_rng(3)
    p = 1 / (1 + np.exp(-rng.normal(size=(200, 5))))  # independent sigmoids
    p[:50] /= p[:50].sum(axis=1, keepdims=True)  # a quarter of them are softmax-like
    y = rng.integers(0, 5, 200)
    off = np.abs(p.sum(axis=1) - 1)
    reports = [evaluate(y, p, chunk_size=k) for k in (1, 17, 200)]
    for r in reports:
        assert_metrics(r, ref_multiclass(y, p, ks=()))
        assert r.checks["y_pred_rows_not_summing_to_1"] == int(np.sum(off > 1e-3)) == 150
        assert r.checks["y_pred_max_sum_error"] == off.max()
        assert report_without_timing(r) == report_without_timing(reports[0])
    note = [n for n in reports[0].notes if "do not sum to 1" in n]
    assert note and "150 of 200 rows" in note[0] and "--task multilabel" in note[0]
    assert "note: y_pred: 150 of 200 rows" in reports[0].format_table()
    assert '"y_pred_rows_not_summing_to_1": 150' in reports[0].to_json()
    r = evaluate(MC_Y, MC_P)  # softmax outputs: nothing to say
    assert r.checks["y_pred_rows_not_summing_to_1"] == 0
    assert not any("do not sum" in n for n in r.notes)
    p[7] = 0.0  # a row of zeros cannot be renormalised
    with pytest.raises(DataError, match="row 7 is all zeros"):
        evaluate(y, p)


def test_two_label_columns_of_a_binary_task_must_be_one_hot() -> None:
    p2 = np.column_stack([1 - BIN_P, BIN_P])
    y2 = np.column_stack([1 - BIN_Y, BIN_Y])
    assert_metrics(evaluate(y2, p2, task="binary"), ref_binary(BIN_Y, BIN_P))
    # labels (N, 1) with two columns of scores (an IndexError before)
    assert_metrics(evaluate(BIN_Y[:, None], p2, task="binary"), ref_binary(BIN_Y, BIN_P))
    y2[4] = [1, 1]
    with pytest.raises(DataError, match=r"row 4 is \[1, 1\]; two label columns of a binary "
                                        r"task must be one-hot"):
        evaluate(y2, p2, task="binary")


def test_weights_that_are_all_zero_are_refused() -> None:
    with pytest.raises(DataError, match="every sample weight is 0"):
        evaluate(BIN_Y, BIN_P, np.zeros(N), chunk_size=10)
    w = np.zeros(N)
    w[-1] = 2.0  # one sample counts: its own accuracy
    r = evaluate(BIN_Y, BIN_P, w, chunk_size=10)
    assert r.metrics["accuracy"] == float((BIN_P[-1] > 0.5) == (BIN_Y[-1] == 1))


def _odd_inputs(kind: str, rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    """Generated labels and predictions, some of them broken."""
    c = 4
    if kind == "binary":
        y, p = rng.integers(0, 2, n), rng.random(n)
    elif kind == "sparse":
        y, p = rng.integers(0, c, n), rng.random((n, c))  # sums not 1: a note
    elif kind == "onehot-then-multihot":
        y = np.eye(c)[rng.integers(0, c, n)]
        y[rng.integers(0, n)] = [1, 1, 0, 0]
        p = rng.random((n, c))
    elif kind == "logits":
        y, p = rng.integers(0, c, n), rng.normal(size=(n, c)) * 3
    else:  # labels out of range, NaN predictions: errors
        y, p = rng.integers(0, c + 1, n), rng.random((n, c))
        p[rng.integers(0, n)] = np.nan
    return y, p, rng.random(n)


def _outcome(y: object, p: object, w: object, chunk: int, logits: bool) -> object:
    try:
        r = evaluate(y, p, w, from_logits=logits, chunk_size=chunk)
    except DataError as exc:
        return ("error", str(exc))
    return report_without_timing(r)


@pytest.mark.parametrize("kind", ["binary", "sparse", "onehot-then-multihot", "logits",
                                  "broken"])
@pytest.mark.parametrize("seed", range(3))
def test_the_report_does_not_depend_on_the_chunk_size(kind: str, seed: int,
                                                      tmp_path: Path) -> None:
    """The whole report (metrics, per-class counts, notes, checks) or the error, from a
    .npy file, for several chunk sizes."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 120))
    y, p, w = _odd_inputs(kind, rng, n)
    specs = [write("npy", tmp_path, name, a) for name, a in (("y", y), ("p", p), ("w", w))]
    outcomes = [_outcome(*specs, chunk, kind == "logits") for chunk in (1, 2, 7, 64, n)]
    for outcome in outcomes[1:]:
        assert outcome == outcomes[0]


def test_the_report_does_not_depend_on_the_chunk_size_hypothesis() -> None:
    hypothesis = pytest.importorskip("hypothesis", reason="hypothesis not installed")
    st = hypothesis.strategies

    @hypothesis.settings(max_examples=60, deadline=None, derandomize=True)
    @hypothesis.given(kind=st.sampled_from(["binary", "sparse", "onehot-then-multihot",
                                            "logits", "broken"]),
                      seed=st.integers(0, 2**32 - 1), n=st.integers(1, 60),
                      chunks=st.lists(st.integers(1, 70), min_size=2, max_size=4))
    def check(kind: str, seed: int, n: int, chunks: list[int]) -> None:
        y, p, w = _odd_inputs(kind, np.random.default_rng(seed), n)
        outcomes = [_outcome(y, p, w, chunk, kind == "logits") for chunk in chunks]
        for outcome in outcomes[1:]:
            assert outcome == outcomes[0]

    check()


def test_inputs_cannot_share_a_column_of_a_csv_file(tmp_path: Path) -> None:
    """``--y-pred data.csv`` without a column list took the label column as a class."""
    path = tmp_path / "data.csv"
    rows = [f"{y},{','.join(repr(float(v)) for v in p)}" for y, p in zip(MC_Y, MC_P,
                                                                            strict=True)]
    path.write_text("label," + ",".join(f"p{j}" for j in range(C)) + "\n"
                    + "\n".join(rows) + "\n")
    with pytest.raises(DataError, match=r"y_pred .*data.csv reads column 'label' \(no column "
                                        r"list: every column\), which y_true .*data.csv:label "
                                        r"reads too: .*e\.g\. .*data\.csv:p0,p1,p2,p3,p4,p5,p6"):
        evaluate(f"{path}:label", str(path))
    with pytest.raises(DataError, match=r"reads column 'p1'"):
        evaluate(f"{path}:p1", f"{path}:p1,p0")
    cols = ",".join(f"p{j}" for j in range(C))
    r = evaluate(f"{path}:label", f"{path}:{cols}", top_k=[2])
    assert_metrics(r, ref_multiclass(MC_Y, MC_P, ks=(2,)))


@pytest.mark.parametrize("bar_kind", ["plain", "tqdm"])
def test_progress_bar_ends_at_100_percent(bar_kind: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The last state drawn before the bar is cleared is the whole input, even when the last
    chunks come faster than the bar redraws (it stopped at 99.5%), and not before."""
    if bar_kind == "plain":
        monkeypatch.setitem(sys.modules, "tqdm", None)
    else:
        pytest.importorskip("tqdm", reason="tqdm (the 'cli' extra) draws the progress bar")
    out = io.StringIO()
    bar = _Progress(2000, enabled=True, stream=out, delay=0.0)
    for n in (1200, 790, 9, 1):  # within the redraw interval of both bars
        if bar_kind == "plain" and n == 9:
            bar.last = -1.0  # draw 1999 of 2000 rows: 99.95% is not yet 100%
        bar.update(n)
        if bar_kind == "plain" and n == 9:
            assert "evaluate:  99.9% 1,999/2,000 rows" in out.getvalue().split("\r")[-1]
    drawn = [s for s in out.getvalue().split("\r") if s.startswith("evaluate")]
    bar.close()
    final = drawn[-1]
    if bar_kind == "plain":
        assert final.startswith("evaluate: 100.0% 2,000/2,000 rows")
    else:
        assert "100%" in final and "2.00k/2.00k" in final

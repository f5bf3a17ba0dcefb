"""nnmath.evaluate(engine="dask") and ``nnmath evaluate --engine dask``: many files on a cluster.

Each partition is evaluated on a worker and the metrics' partial states are merged on the
client, so the report must equal the local engine's on the same rows held in memory: the
same counts, and the same float64 bits for every metric (the metrics keep exact sums, so
the order of the partial sums cannot show). The losses are also checked against the exact
mean of nnmath.losses' per-sample values (summed as fractions here).

One LocalCluster of two processes on loopback serves the module; the tests pass it by
address, as ``--scheduler`` does.
"""

from __future__ import annotations

import itertools
import json
import logging
import sys
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("dask", reason="dask (the 'dask' extra) runs the distributed engine")
distributed = pytest.importorskip("distributed", reason="distributed (the 'dask' extra)")

from test_cli import assert_one_line_error, nnmath_command  # noqa: E402

from nnmath import losses as L  # noqa: E402
from nnmath.cli import main  # noqa: E402
from nnmath.evaluate import Report, evaluate  # noqa: E402
from nnmath.io import DataError, MissingExtraError  # noqa: E402

SIZES = (5, 130, 37, 0, 251, 1, 76)  # seven files of uneven sizes, one of them empty
N = sum(SIZES)
C = 7
ENGINE_KEYS = ("engine", "scheduler", "workers", "partitions")


# -- the data: written once per module ----------------------------------------------------------

class Data:
    def __init__(self, root: Path) -> None:
        rng = np.random.default_rng(20260811)
        self.root = root
        self.y_bin = rng.integers(0, 2, N)
        self.z_bin = (rng.normal(size=N) * 2 + (self.y_bin - 0.5)).astype(np.float32)
        self.weights = rng.random(N) * 2
        self.y_mc = rng.integers(0, C, N)
        logits = rng.normal(size=(N, C))
        logits[np.arange(N), self.y_mc] += 1.0
        self.p_mc = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        self.y_ml = rng.integers(0, 2, (N, 4))
        self.p_ml = rng.random((N, 4))
        edges = np.cumsum((0, *SIZES))
        arrays = {"ybin": self.y_bin, "zbin": self.z_bin, "w": self.weights,
                  "ymc": self.y_mc, "pmc": self.p_mc}
        for name, arr in arrays.items():
            for i, (a, b) in enumerate(itertools.pairwise(edges)):
                np.save(root / f"{name}-{i}.npy", arr[a:b])

    def glob(self, name: str) -> str:
        return str(self.root / f"{name}-*.npy")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Data:
    return Data(tmp_path_factory.mktemp("parts"))


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A LocalCluster of two worker processes on loopback: its address."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                  scheduler_kwargs={"dashboard": False},
                                  silence_logs=logging.ERROR) as lc:
        yield lc.scheduler_address


def assert_same_report(got: Report, expected: Report) -> None:
    """Everything equal (floats bit for bit) but the wall time, the inputs' description
    and the engine's own settings."""
    assert got.task == expected.task and got.n_classes == expected.n_classes
    assert got.n_samples == expected.n_samples == N
    assert list(got.metrics) == list(expected.metrics)
    for name, value in expected.metrics.items():
        assert got.metrics[name] == value, (name, got.metrics[name], value)
    assert got.per_class == expected.per_class
    assert got.averages == expected.averages and got.confusion == expected.confusion
    settings = {k: v for k, v in got.settings.items() if k not in ENGINE_KEYS}
    assert settings == expected.settings
    assert got.notes == expected.notes
    assert got.checks == expected.checks


def exact_mean(values: Any, w: np.ndarray | None = None) -> float:
    """The correctly rounded Σ w·v / Σ w of float64 values, summed as fractions."""
    v = [Fraction(float(x)) for x in np.asarray(values, dtype=np.float64).ravel()]
    if w is None:
        return float(sum(v, Fraction(0)) / len(v))
    prods = [Fraction(float(a)) for a in np.asarray(values, dtype=np.float64).ravel()
             * np.asarray(w)]
    return float(sum(prods, Fraction(0)) / sum((Fraction(float(x)) for x in w), Fraction(0)))


# -- the cluster engine equals the in-memory evaluation ------------------------------------------

def test_binary_logits_with_weights_on_a_cluster(data: Data, cluster: str) -> None:
    expected = evaluate(data.y_bin, data.z_bin, data.weights, from_logits=True,
                        threshold=0.4, chunk_size=32)
    got = evaluate(data.glob("ybin"), data.glob("zbin"), data.glob("w"), from_logits=True,
                   threshold=0.4, chunk_size=32, partition_rows=64, engine="dask",
                   scheduler=cluster)
    assert_same_report(got, expected)
    # files of more than 64 rows in pieces of 64: 1 + 3 + 1 + 0 + 4 + 1 + 2 partitions
    assert got.settings["partitions"] == 12 and got.settings["workers"] == 2
    assert got.settings["scheduler"] == cluster
    assert got.inputs[1]["read"] == "7 files; npy, memory-mapped"
    loss = L.binary_crossentropy(data.y_bin[:, None].astype(np.float32), data.z_bin[:, None],
                                 from_logits=True)
    assert got.metrics["crossentropy"] == exact_mean(loss, data.weights)


def test_multiclass_probabilities_on_a_cluster(data: Data, cluster: str) -> None:
    expected = evaluate(data.y_mc, data.p_mc, top_k=[2, 3], chunk_size=50)
    got = evaluate(data.glob("ymc"), data.glob("pmc"), top_k=[2, 3], chunk_size=50,
                   engine="dask", scheduler=cluster)
    assert_same_report(got, expected)
    # the empty file makes none; the file of 251 rows is cut at 250, half of the rows for
    # each of the two workers
    assert got.settings["partitions"] == 7
    loss = L.sparse_categorical_crossentropy(data.y_mc, data.p_mc)
    assert got.metrics["crossentropy"] == exact_mean(loss)
    assert got.per_class is not None
    assert got.per_class["support"] == np.bincount(data.y_mc, minlength=C).tolist()


def test_a_client_object_and_lists_of_paths(data: Data, cluster: str) -> None:
    files = [str(data.root / f"ymc-{i}.npy") for i in range(len(SIZES))]
    preds = [str(data.root / f"pmc-{i}.npy") for i in range(len(SIZES))]
    expected = evaluate(np.eye(C)[data.y_mc], data.p_mc, data.weights, chunk_size=40)
    with distributed.Client(cluster) as client:
        onehot = np.eye(C)[data.y_mc]  # one-hot labels as an array: sent in pieces
        got = evaluate(onehot, preds, data.glob("w"), chunk_size=40, engine="dask",
                       scheduler=client)
        assert client.status == "running"  # a client we were given stays open
    assert_same_report(got, expected)
    got = evaluate(files, preds, chunk_size=40, engine="dask", scheduler="threads")
    assert_same_report(got, evaluate(data.y_mc, data.p_mc, chunk_size=40))


# -- the threads scheduler, one file against many, Parquet datasets ----------------------------

def test_threads_scheduler_multilabel_arrays(data: Data) -> None:
    expected = evaluate(data.y_ml, data.p_ml, data.weights, task="multilabel", chunk_size=25)
    for scheduler in ("threads", "synchronous"):
        got = evaluate(data.y_ml, data.p_ml, data.weights, task="multilabel", chunk_size=25,
                       partition_rows=60, engine="dask", scheduler=scheduler, workers=2)
        assert_same_report(got, expected)
        assert got.settings["partitions"] == -(-N // 75)  # 60 rounded up to 3 chunks


def test_one_labels_file_against_many_prediction_files(data: Data, tmp_path: Path) -> None:
    np.save(tmp_path / "labels.npy", data.y_bin)
    (tmp_path / "labels.csv").write_text("label\n" + "\n".join(map(str, data.y_bin)) + "\n")
    expected = evaluate(data.y_bin, data.z_bin, from_logits=True, chunk_size=16)
    # files over 64 rows are split (1 + 3 + 1 + 4 + 1 + 2 partitions), but not a .csv,
    # which would be read from its start for each piece (one per prediction file)
    for labels, n_parts in (("labels.npy", 12), ("labels.csv:label", 6)):
        for engine in ("local", "dask"):
            extra = ({"scheduler": "threads", "partition_rows": 50, "workers": 2}
                     if engine == "dask" else {})
            got = evaluate(str(tmp_path / labels), data.glob("zbin"), from_logits=True,
                           chunk_size=16, engine=engine, **extra)
            assert_same_report(got, expected)
            assert got.settings.get("partitions", n_parts) == n_parts


def test_one_large_file_is_cut_into_a_partition_per_worker(data: Data, tmp_path: Path,
                                                          cluster: str) -> None:
    """A file of fewer than 32 chunks made a single partition: one worker did everything,
    whatever --workers said. Now every worker (thread of the cluster) gets a piece."""
    np.save(tmp_path / "labels.npy", data.y_bin)
    np.save(tmp_path / "logits.npy", data.z_bin)
    yt, yp = str(tmp_path / "labels.npy"), str(tmp_path / "logits.npy")
    expected = evaluate(data.y_bin, data.z_bin, data.weights, from_logits=True, chunk_size=32)
    # N = 500 rows, 16 chunks of 32: 2 workers take 256 rows and 244, 3 take 192 (6 chunks)
    # and 116, 4 take 128 (4 chunks) and 116; never less than a chunk: 16 for 40 workers
    for workers, n_parts in ((2, 2), (4, 4), (3, 3), (40, 16)):
        got = evaluate(yt, yp, data.weights, from_logits=True, chunk_size=32, engine="dask",
                       scheduler="threads", workers=workers)
        assert_same_report(got, expected)
        assert got.settings["partitions"] == n_parts, workers
    got = evaluate(yt, yp, data.weights, from_logits=True, chunk_size=32, engine="dask",
                   scheduler=cluster)  # the cluster's two worker processes, by address
    assert_same_report(got, expected)
    assert got.settings["partitions"] == 2 and got.settings["workers"] == 2
    # partition_rows stays the most rows of one partition
    got = evaluate(yt, yp, from_logits=True, chunk_size=32, engine="dask",
                   scheduler="threads", workers=2, partition_rows=100)
    assert got.settings["partitions"] == 4  # 100 rounded up to 128 rows: 3 and 116 left


def test_parquet_dataset_directory(data: Data, tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow", reason="pyarrow (the 'io' extra) reads Parquet")
    pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow (the 'io' extra)")
    ds = tmp_path / "preds.parquet"  # a dataset as Spark writes it: a directory of parts
    ds.mkdir()
    (ds / "_SUCCESS").write_text("")
    edges = np.cumsum((0, 200, 150, N - 350))
    for i, (a, b) in enumerate(itertools.pairwise(edges)):
        table = pa.table({"label": data.y_mc[a:b], "p": pa.array(data.p_mc[a:b].tolist())})
        pq.write_table(table, ds / f"part-{i:05d}.parquet", row_group_size=70)
    expected = evaluate(data.y_mc, data.p_mc, chunk_size=30)
    for engine, extra in (("local", {}), ("dask", {"scheduler": "threads",
                                                    "partition_rows": 100})):
        got = evaluate(f"{ds}:label", f"{ds}:p", chunk_size=30, engine=engine, **extra)
        assert_same_report(got, expected)
        assert got.inputs[0]["read"] == "3 files; parquet, record batches"


def test_progress_advances_per_partition(data: Data, cluster: str,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import nnmath.evaluate as E

    bars: list[Recorder] = []

    class Recorder:
        def __init__(self, total: int, enabled: bool) -> None:
            self.total, self.enabled, self.steps, self.closed = total, enabled, [], False
            bars.append(self)

        def update(self, n: int) -> None:
            self.steps.append(n)

        def close(self) -> None:
            self.closed = True

    monkeypatch.setattr(E, "_Progress", Recorder)
    evaluate(data.glob("ybin"), data.glob("zbin"), from_logits=True, chunk_size=16,
             partition_rows=100, engine="dask", scheduler=cluster, progress=True)
    (bar,) = bars
    assert bar.total == N and bar.enabled and bar.closed
    # one step per partition (in the order they finished): the files cut at 112 rows
    assert sorted(bar.steps) == sorted([5, 112, 18, 37, 112, 112, 27, 1, 76])
    evaluate(data.glob("ybin"), data.glob("zbin"), from_logits=True, chunk_size=16)
    assert len(bars[1].steps) == sum(-(-n // 16) for n in SIZES)  # local: one per chunk


# -- the command --------------------------------------------------------------------------------

def test_cli_on_a_cluster_by_address(data: Data, cluster: str) -> None:
    r = nnmath_command("evaluate", "--engine", "dask", "--scheduler", cluster,
                       "--y-true", data.glob("ybin"), "--y-pred", data.glob("zbin"),
                       "--sample-weight", data.glob("w"), "--from-logits", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    got = json.loads(r.stdout)
    expected = evaluate(data.y_bin, data.z_bin, data.weights, from_logits=True)
    assert got["metrics"] == expected.metrics
    assert got["per_class"] == expected.per_class
    assert got["averages"] == expected.averages and got["confusion"] == expected.confusion
    assert got["settings"]["engine"] == "dask" and got["settings"]["partitions"] == 6


def test_cli_starts_and_stops_a_local_cluster(data: Data) -> None:
    r = nnmath_command("evaluate", "--engine", "dask", "--workers", "2",
                       "--y-true", data.glob("ymc"), "--y-pred", data.glob("pmc"),
                       "--top-k", "3", "--progress")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == f"task          multiclass ({C} classes), {N:,} samples"
    assert "a local cluster of 2 processes (tcp://127.0.0.1:" in lines[3]
    expected = evaluate(data.y_mc, data.p_mc, top_k=3)
    assert f"top_3_accuracy       {expected.metrics['top_3_accuracy']:.4f}" in r.stdout
    assert "Traceback" not in r.stderr and "distributed" not in r.stderr


# -- errors: the local engine's messages, one line from the command ----------------------------

def test_bad_labels_in_one_file_give_the_local_message(data: Data, tmp_path: Path,
                                                        cluster: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(len(SIZES)):
        y = np.load(data.root / f"ybin-{i}.npy")
        if i == 4:
            y[77] = 2
        np.save(tmp_path / f"y-{i}.npy", y)
    # a relative glob: the workers (started elsewhere) still find the files
    monkeypatch.chdir(tmp_path)
    args = ("y-*.npy", data.glob("zbin"))
    with pytest.raises(DataError) as local:
        evaluate(*args, from_logits=True)
    with pytest.raises(DataError) as remote:
        evaluate(*args, from_logits=True, engine="dask", scheduler=cluster)
    assert str(remote.value) == str(local.value)
    assert str(local.value).startswith("y_true y-4.npy: holds 2 at row 77; ")
    r = nnmath_command("evaluate", "--engine", "dask", "--scheduler", cluster, "--y-true",
                       args[0], "--y-pred", args[1], "--from-logits")
    assert r.returncode == 2 and r.stdout == ""
    assert_one_line_error(r.stderr, "y-4.npy: holds 2 at row 77",
                          "binary labels must be 0 or 1")


def test_mismatched_row_counts_name_the_files(data: Data, tmp_path: Path,
                                              cluster: str) -> None:
    for i, n in enumerate(SIZES):
        np.save(tmp_path / f"p-{i}.npy", np.full(n + (i == 2), 0.5))
    with pytest.raises(DataError, match=r"ybin-2\.npy has 37 rows but y_pred .*p-2\.npy has "
                                        r"38: files are paired in sorted order \(these are "
                                        r"the 3rd of each\)"):
        evaluate(data.glob("ybin"), str(tmp_path / "p-*.npy"), engine="dask",
                 scheduler=cluster)
    with pytest.raises(DataError, match=r"is 7 files but y_pred .* is 6"):
        evaluate(data.glob("ybin"), str(tmp_path / "p-[0-5].npy"), engine="dask",
                 scheduler=cluster)


def test_no_file_matches_the_glob(data: Data, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["evaluate", "--engine", "dask", "--scheduler", "threads", "--y-true",
            str(tmp_path / "labels-*.npy"), "--y-pred", data.glob("zbin")]
    assert main(argv) == 2
    assert_one_line_error(capsys.readouterr().err, "y_true ", "labels-*.npy: no file matches")


def test_usage_errors_of_the_dask_flags(data: Data, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["evaluate", "--y-true", data.glob("ybin"), "--y-pred", data.glob("zbin")]
    assert main([*base, "--scheduler", "tcp://127.0.0.1:8786"]) == 2
    assert_one_line_error(capsys.readouterr().err, "--scheduler goes with --engine dask")
    assert main([*base, "--engine", "dask", "--scheduler", "threads", "--workers", "2"]) == 2
    assert_one_line_error(capsys.readouterr().err, "drop --workers")
    with pytest.raises(ValueError, match="only with engine='dask'"):
        evaluate(data.y_bin, data.z_bin, workers=2)
    with pytest.raises(ValueError, match="engine must be one of local, dask"):
        evaluate(data.y_bin, data.z_bin, engine="spark")


def test_an_unreachable_scheduler_is_one_clear_error(data: Data) -> None:
    import socket

    import dask

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with dask.config.set({"distributed.comm.timeouts.connect": "0.5s"}), \
            pytest.raises(ConnectionError, match=rf"cannot connect to the Dask scheduler at "
                                                  rf"tcp://127\.0\.0\.1:{port} \("):
        evaluate(data.glob("ybin"), data.glob("zbin"), engine="dask",
                 scheduler=f"tcp://127.0.0.1:{port}")
    with pytest.raises(ValueError, match="'processes' is not an address"):
        evaluate(data.glob("ybin"), data.glob("zbin"), engine="dask", scheduler="processes")


def test_missing_dask_names_the_extra(data: Data, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'nnmath\[dask\]'"):
        evaluate(data.glob("ybin"), data.glob("zbin"), engine="dask")
    argv = ["evaluate", "--engine", "dask", "--y-true", data.glob("ybin"), "--y-pred",
            data.glob("zbin"), "--from-logits"]
    assert main(argv) == 2
    assert_one_line_error(capsys.readouterr().err,
                          "engine='dask' needs distributed, which is not installed: "
                          "pip install 'nnmath[dask]'")
    monkeypatch.setitem(sys.modules, "dask", None)
    with pytest.raises(MissingExtraError, match=r"needs dask, .*nnmath\[dask\]"):
        evaluate(data.y_bin, data.z_bin, engine="dask", scheduler="threads")


# -- the same decisions as the local engine: the task from every row, the notes, the errors ----

def _save_parts(root: Path, name: str, arr: np.ndarray) -> str:
    for i, (a, b) in enumerate(itertools.pairwise(np.cumsum((0, *SIZES)))):
        np.save(root / f"{name}-{i}.npy", arr[a:b])
    return str(root / f"{name}-*.npy")


def test_task_and_notes_from_every_row_as_the_local_engine(data: Data, tmp_path: Path) -> None:
    """One-hot labels in the first files, a multi-hot row in the fifth: multilabel, as
    the local engine decides; sigmoid-like scores as multiclass: the same note."""
    y = np.eye(4)[data.y_mc % 4]
    y[200] = [0, 1, 1, 0]  # in the fifth file (rows 172..422)
    ys, ps = _save_parts(tmp_path, "yoh", y), _save_parts(tmp_path, "pml", data.p_ml)
    assert evaluate(y, data.p_ml, chunk_size=16).metrics == evaluate(
        y, data.p_ml, task="multilabel").metrics
    expected = evaluate(ys, ps, chunk_size=16)  # the local engine, on the same files
    assert expected.task == "multilabel" and "the first at row 28 of y_true " in \
        expected.notes[0] and expected.notes[0].endswith("yoh-4.npy)")
    got = evaluate(ys, ps, chunk_size=16, engine="dask", scheduler="threads", workers=2,
                   partition_rows=40)
    assert_same_report(got, expected)
    y[200] = [0, 1, 0, 0]
    ys = _save_parts(tmp_path, "yoh", y)
    expected = evaluate(ys, ps, chunk_size=16)  # rows of 4 uniform scores: a note
    assert expected.task == "multiclass" and expected.checks["y_pred_rows_not_summing_to_1"]
    got = evaluate(ys, ps, chunk_size=16, engine="dask", scheduler="threads", workers=2,
                   partition_rows=40)
    assert_same_report(got, expected)


def test_the_error_of_the_earliest_partition_is_raised(data: Data, tmp_path: Path) -> None:
    """Bad labels in the second and the fifth file: the second's error, as locally,
    whichever partition finishes first."""
    y = data.y_bin.copy()
    y[5 + 3], y[172 + 77] = 2, 3  # row 3 of file 1, row 77 of file 4
    ys = _save_parts(tmp_path, "ybad", y)
    with pytest.raises(DataError) as local:
        evaluate(ys, data.glob("zbin"), from_logits=True)
    assert "ybad-1.npy: holds 2 at row 3" in str(local.value)
    for _ in range(3):
        with pytest.raises(DataError) as remote:
            evaluate(ys, data.glob("zbin"), from_logits=True, engine="dask",
                     scheduler="threads", workers=2, partition_rows=16, chunk_size=16)
        assert str(remote.value) == str(local.value)

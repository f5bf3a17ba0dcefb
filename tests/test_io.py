"""nnmath.io: every format read back in chunks equals the array written; bad files refused.

The expected arrays are the ones the tests write with NumPy (or pyarrow); the readers must
return them exactly, in any chunking.
"""

from __future__ import annotations

import mmap
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest

from nnmath.io import (
    ArraySource,
    DataError,
    MissingExtraError,
    load,
    open_source,
    parse_spec,
    require,
)

RNG = np.random.default_rng(1234)
LABELS = RNG.integers(0, 5, 23)
SCORES = RNG.random((23, 5))


def chunked(spec: str, size: int) -> tuple[list[tuple[int, ...]], np.ndarray]:
    with open_source(spec) as src:
        parts = list(src.chunks(size))
    return [p.shape for p in parts], np.concatenate(parts)


@pytest.mark.parametrize("size", [1, 5, 23, 100])
def test_npy_chunks_are_the_rows_in_order(tmp_path: Path, size: int) -> None:
    np.save(tmp_path / "s.npy", SCORES.astype(np.float32))
    shapes, back = chunked(str(tmp_path / "s.npy"), size)
    assert [s[0] for s in shapes] == [min(size, 23 - i) for i in range(0, 23, size)]
    np.testing.assert_array_equal(back, SCORES.astype(np.float32))
    assert back.dtype == np.float32


def test_npy_is_memory_mapped_and_reports_its_shape_first(tmp_path: Path) -> None:
    np.save(tmp_path / "y.npy", LABELS)
    with open_source(str(tmp_path / "y.npy")) as src:
        assert src.shape == (23,) and src.dtype == np.int64 and len(src) == 23
        assert isinstance(src._map, mmap.mmap)  # the data are mapped, not read
        first = next(src.chunks(4))
        assert first.flags.owndata  # a copy: the mapping can go away
    np.testing.assert_array_equal(first, LABELS[:4])


def test_npy_fortran_order_and_empty(tmp_path: Path) -> None:
    np.save(tmp_path / "f.npy", np.asfortranarray(SCORES))
    np.testing.assert_array_equal(chunked(str(tmp_path / "f.npy"), 7)[1], SCORES)
    np.save(tmp_path / "e.npy", np.zeros((0, 3)))
    with open_source(str(tmp_path / "e.npy")) as src:
        assert src.shape == (0, 3)
        assert list(src.chunks(10)) == []


@pytest.mark.parametrize("compressed", [False, True])
def test_npz_member_streamed(tmp_path: Path, compressed: bool) -> None:
    save = np.savez_compressed if compressed else np.savez
    save(tmp_path / "d.npz", y=LABELS, p=SCORES)
    shapes, back = chunked(f"{tmp_path / 'd.npz'}:p", 10)
    assert shapes == [(10, 5), (10, 5), (3, 5)]
    np.testing.assert_array_equal(back, SCORES)
    np.testing.assert_array_equal(load(f"{tmp_path / 'd.npz'}:y"), LABELS)


def test_npz_single_array_needs_no_key(tmp_path: Path) -> None:
    np.savez(tmp_path / "one.npz", LABELS)
    np.testing.assert_array_equal(load(str(tmp_path / "one.npz")), LABELS)


def test_csv_with_header_by_name_and_index(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    rows = ["label,p0,p1,p2,p3,p4"] + [
        ",".join([str(y)] + [repr(float(v)) for v in s]) for y, s in zip(LABELS, SCORES,
                                                                         strict=True)]
    path.write_text("\n".join(rows) + "\n")
    np.testing.assert_array_equal(load(f"{path}:label"), LABELS.astype(float))
    np.testing.assert_array_equal(load(f"{path}:0"), LABELS.astype(float))
    np.testing.assert_array_equal(load(f"{path}:p0,p1,p2,p3,p4"), SCORES)  # repr round-trips
    shapes, back = chunked(f"{path}:p1,p3", 9)
    assert shapes == [(9, 2), (9, 2), (5, 2)]
    np.testing.assert_array_equal(back, SCORES[:, [1, 3]])
    with open_source(str(path)) as src:
        assert src.shape == (23, 6) and src.header == ["label", "p0", "p1", "p2", "p3", "p4"]


def test_tsv_without_header_blank_lines_and_quotes(tmp_path: Path) -> None:
    path = tmp_path / "d.tsv"
    path.write_text('1\t0.5\n\n0\t"0.25"\n1\t1e-3\n')
    with open_source(str(path)) as src:
        assert src.header is None and src.shape == (3, 2)
    np.testing.assert_array_equal(load(str(path)), [[1, 0.5], [0, 0.25], [1, 1e-3]])
    np.testing.assert_array_equal(load(f"{path}:1"), [0.5, 0.25, 1e-3])


def test_parquet_scalar_and_list_columns(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow", reason="pyarrow (the 'io' extra) reads Parquet")
    pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow (the 'io' extra)")
    table = pa.table({
        "label": pa.array(LABELS),
        "scores": pa.array(SCORES.tolist(), type=pa.list_(pa.float64())),
        "fixed": pa.array(SCORES.astype(np.float32).tolist(), type=pa.list_(pa.float32(), 5)),
        "a": SCORES[:, 0], "b": SCORES[:, 1],
    })
    pq.write_table(table, tmp_path / "d.parquet", row_group_size=7)
    spec = str(tmp_path / "d.parquet")
    np.testing.assert_array_equal(load(f"{spec}:label"), LABELS)
    shapes, back = chunked(f"{spec}:scores", 10)
    assert [s[0] for s in shapes] == [10, 10, 3]
    np.testing.assert_array_equal(back, SCORES)
    fixed = load(f"{spec}:fixed")
    assert fixed.dtype == np.float32
    np.testing.assert_array_equal(fixed, SCORES.astype(np.float32))
    np.testing.assert_array_equal(load(f"{spec}:a,b"), SCORES[:, :2])


def test_parquet_problems(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow", reason="pyarrow (the 'io' extra) reads Parquet")
    pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow (the 'io' extra)")
    pq.write_table(pa.table({"s": ["a", "b"], "n": [1.0, None],
                             "r": pa.array([[1.0, 2.0], [3.0]])}), tmp_path / "x.parquet")
    spec = str(tmp_path / "x.parquet")
    with pytest.raises(DataError, match="column 's' holds string, not numbers"):
        open_source(f"{spec}:s")
    with pytest.raises(DataError, match=r"missing value \(null\) at row 1"):
        load(f"{spec}:n")
    with pytest.raises(DataError, match="row 1 has 1 values, the first has 2"):
        load(f"{spec}:r")
    with pytest.raises(DataError, match="has no column 'zz'"):
        open_source(f"{spec}:zz")


def test_parquet_without_pyarrow_names_the_extra(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "x.parquet").write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'nnmath\[io\]'"):
        open_source(str(tmp_path / "x.parquet"))
    with pytest.raises(MissingExtraError, match=r"nnmath\[plot\]"):
        require("pyarrow", "plot", "testing")


def test_parse_spec_splits_only_at_a_known_suffix(tmp_path: Path) -> None:
    assert parse_spec("a/b.npz:key") == (Path("a/b.npz"), "key")
    assert parse_spec("b.csv:p0,p1") == (Path("b.csv"), "p0,p1")
    assert parse_spec("dir:with:colons/b.npy") == (Path("dir:with:colons/b.npy"), None)
    odd = tmp_path / "x.csv:y"  # a file whose name really has the colon
    odd.write_text("1\n")
    assert parse_spec(str(odd)) == (odd, None)


@pytest.mark.parametrize("name, write, message", [
    ("x.npy", lambda p: p.write_bytes(pickle.dumps([1, 2])), "is a Python pickle"),
    ("x.npy", lambda p: p.write_bytes(b""), "the file is empty"),
    ("x.npy", lambda p: p.write_bytes(b"hello world, not numpy"), "no NUMPY header"),
    ("x.npy", lambda p: np.save(p, np.array([1, None], dtype=object), allow_pickle=True),
     "Python objects"),
    ("x.npy", lambda p: np.save(p, np.array(["a", "b"])), "not numbers"),
    ("x.npy", lambda p: np.save(p, np.float64(3.0)), "holds a scalar"),
    ("x.npz", lambda p: np.savez(p, a=np.array([1, None], dtype=object)), "Python objects"),
    ("x.pkl", lambda p: p.write_bytes(pickle.dumps([1])), "pickle files are never loaded"),
    ("x.json", lambda p: p.write_text("[1]"), "unknown file type '.json'"),
    ("x.csv", lambda p: p.write_text("a,b\n"), "no data rows"),
    ("x.csv", lambda p: p.write_text("1,2\n3\n"), "line 2 has 1 fields"),
    ("x.csv", lambda p: p.write_bytes(b"\xff\xfe\x00\x01"), "not valid UTF-8"),
])
def test_bad_files_are_refused_with_a_reason(tmp_path: Path, name: str, write: object,
                                             message: str) -> None:
    path = tmp_path / name
    write(path)  # type: ignore[operator]
    with pytest.raises(DataError, match=message):
        load(str(path), name="y_pred")


def test_object_arrays_are_refused_before_reading_data(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    np.save(tmp_path / "o.npy", np.array([1, None], dtype=object), allow_pickle=True)

    def no_unpickling(*args: object, **kwargs: object) -> None:
        raise AssertionError("pickle.load was called")

    monkeypatch.setattr(pickle, "load", no_unpickling)
    monkeypatch.setattr(pickle, "loads", no_unpickling)
    with pytest.raises(DataError, match="never unpickles"):
        open_source(str(tmp_path / "o.npy"))


def test_missing_directory_and_key_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"y_true .*nope\.npy: no such file"):
        open_source(str(tmp_path / "nope.npy"), name="y_true")
    (tmp_path / "d.npy").mkdir()
    with pytest.raises(DataError, match="is a directory"):
        open_source(str(tmp_path / "d.npy"))
    np.save(tmp_path / "a.npy", LABELS)
    with pytest.raises(DataError, match="drop ':k'"):
        open_source(f"{tmp_path / 'a.npy'}:k")


def test_truncated_npz_member(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", p=SCORES)
    data = (tmp_path / "d.npz").read_bytes()
    (tmp_path / "t.npz").write_bytes(data[:-300])
    with pytest.raises(DataError, match=r"not a valid \.npz|truncated|corrupt"):
        load(f"{tmp_path / 't.npz'}:p")


def test_array_source_wraps_arrays() -> None:
    src = ArraySource([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], "y_pred")
    assert [c.tolist() for c in src.chunks(2)] == [[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0]]]
    with pytest.raises(DataError, match="a scalar"):
        ArraySource(3.0)
    with pytest.raises(ValueError, match="chunk_size must be >= 1"):
        list(src.chunks(0))


# -- CSV headers and column selections ---------------------------------------------------------

def test_csv_header_rule_and_pandas_default_names(tmp_path: Path) -> None:
    """pandas writes the column names 0, 1, ... by default: a header or a row of data?
    The rule refuses to guess; --header / --no-header (header=) say it."""
    one = tmp_path / "labels.csv"
    one.write_text("0\n1\n0\n2\n")  # pd.DataFrame(labels).to_csv(index=False)
    with pytest.raises(DataError, match=r"first line '0' may be a header .*--header or "
                                        r"--no-header"):
        open_source(str(one))
    np.testing.assert_array_equal(load(str(one), header=True), [1, 0, 2])
    np.testing.assert_array_equal(load(str(one), header=False), [0, 1, 0, 2])
    wide = tmp_path / "p.csv"
    wide.write_text("0,1,2\n0.2,0.3,0.5\n0.1,0.1,0.8\n")
    with pytest.raises(DataError, match="may be a header"):
        open_source(str(wide))
    with open_source(f"{wide}:2,0", header=True) as src:  # names "2" and "0"
        assert src.header == ["0", "1", "2"]
        np.testing.assert_array_equal(src.read(), [[0.5, 0.2], [0.8, 0.1]])
    # the rule's plain cases: a name makes a header, numbers (not 0,1,...) make data
    (tmp_path / "named.csv").write_text("y\n3\n")
    (tmp_path / "data.csv").write_text("1,0.5\n0,0.25\n")
    assert load(str(tmp_path / "named.csv")).tolist() == [3.0]
    assert load(str(tmp_path / "data.csv")).tolist() == [[1, 0.5], [0, 0.25]]
    # an empty first field (pandas' index column) makes a header too
    (tmp_path / "index.csv").write_text(",0\n0,0.5\n1,0.25\n")
    assert load(f"{tmp_path / 'index.csv'}:1").tolist() == [0.5, 0.25]


def test_csv_ambiguous_column_selections_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("p,q,p\n0.1,0.2,0.7\n0.3,0.3,0.4\n")
    with pytest.raises(DataError, match=r"header names 2 columns 'p' \(columns 0, 2\); pick "
                                        r"one by its 0-based index"):
        open_source(f"{path}:p")
    np.testing.assert_array_equal(load(f"{path}:2"), [0.7, 0.4])  # by index: unambiguous
    with pytest.raises(DataError, match=r"column 1 is picked twice \('q,1'\)"):
        open_source(f"{path}:q,1")
    with pytest.raises(DataError, match=r"has no column ''"):
        open_source(f"{path}:q,,p")

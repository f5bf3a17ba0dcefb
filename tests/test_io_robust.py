"""Bad files and hostile headers: every one is one line ``nnmath: error: ...`` and status 2.

The files are generated here (truncated at every byte, headers that lie, FIFOs, corrupt
archives, ...). Memory claims are checked with ``tracemalloc`` against sizes computed here
from the shapes written, never against figures produced by the code under test.
"""

from __future__ import annotations

import io
import os
import threading
import tracemalloc
import zipfile
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from nnmath._exact import to_float
from nnmath.cli import main
from nnmath.evaluate import default_chunk_size
from nnmath.io import DataError, load, open_source

fmt = np.lib.format
Y = np.array([0, 1, 1, 0, 1, 0])
P = np.array([0.2, 0.9, 0.6, 0.4, 0.7, 0.1])


def _header_bytes(descr: str, shape: tuple[int, ...], fortran: bool = False) -> bytes:
    buf = io.BytesIO()
    fmt.write_array_header_1_0(buf, {"descr": descr, "fortran_order": fortran,
                                     "shape": shape})
    return buf.getvalue()


def _evaluate(tmp: Path, pred: str, *extra: str) -> list[str]:
    np.save(tmp / "y.npy", Y)
    return ["evaluate", "--y-true", str(tmp / "y.npy"), "--y-pred", pred, "--no-progress",
            *extra]


def assert_refused(argv: list[str], capsys: pytest.CaptureFixture[str], *fragments: str) -> str:
    """Status 2, nothing on stdout, exactly one stderr line, no traceback, no 'internal'."""
    assert main(argv) == 2
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert out == "" and len(lines) == 1, err
    assert lines[0].startswith("nnmath: error: ") and "Traceback" not in err, err
    assert "internal error" not in err, err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


# -- one file of each kind of damage ------------------------------------------------------------

def _npy(p: Path) -> bytes:
    buf = io.BytesIO()
    np.save(buf, P)
    return buf.getvalue()


def _writers() -> dict[str, tuple[str, object, tuple[str, ...]]]:
    """name -> (file name, write(path), fragments of the message)."""
    good = _npy(Path())
    data = P.tobytes()

    def npz_bytes(**arrays: np.ndarray) -> bytes:
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)
        return buf.getvalue()

    big = npz_bytes(p=np.tile(P, 2000))
    corrupt = bytearray(big)
    corrupt[len(big) // 2:len(big) // 2 + 16] = b"\xff" * 16
    huge_header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (6,), }" + b" " * (
        1 << 20) + b"\n"
    return {
        "wrong magic": ("p.npy", lambda p: p.write_bytes(b"\x93NUMPX" + good[6:]),
                        ("no NUMPY header",)),
        "header does not parse": (
            "p.npy", lambda p: p.write_bytes(good.replace(b"'<f8'", b"<f8  ")),
            ("header does not parse",)),
        "unknown version": ("p.npy", lambda p: p.write_bytes(good[:6] + b"\x09\x00" + good[8:]),
                            ("unknown .npy format version 9.0",)),
        "1 MB header": ("p.npy", lambda p: p.write_bytes(
            b"\x93NUMPY\x02\x00" + len(huge_header).to_bytes(4, "little") + huge_header + data),
            ("header is longer than NumPy reads safely",)),
        "header lies about the shape": (
            "p.npy", lambda p: p.write_bytes(_header_bytes("<f8", (10**9,)) + data),
            ("48 bytes of data", "declares shape (1000000000,)", "truncated")),
        "negative dimension": ("p.npy", lambda p: p.write_bytes(
            good.replace(b"(6,), ", b"(-6,),")), ("not sizes >= 0",)),
        "object dtype": ("p.npy", lambda p: p.write_bytes(_header_bytes("|O", (6,)) + data),
                         ("Python objects", "never unpickles")),
        "structured dtype": ("p.npy", lambda p: np.save(
            p, np.zeros(6, dtype=[("a", "<f8"), ("b", "<i4")])), ("not numbers",)),
        "0-d": ("p.npy", lambda p: np.save(p, np.float64(0.5)), ("scalar",)),
        "empty file": ("p.npy", lambda p: p.write_bytes(b""), ("empty",)),
        "npz not a zip": ("p.npz", lambda p: p.write_bytes(b"PK\x03\x04" + b"\0" * 40),
                          ("not a valid .npz archive",)),
        "npz corrupt member": ("p.npz", lambda p: p.write_bytes(bytes(corrupt)),
                               ("corrupt",)),
        "npz header lies": ("p.npz", lambda p: p.write_bytes(_npz_with_header(
            _header_bytes("<f8", (100, 2_000_000)))), ("declares shape (100, 2000000)",)),
        "npz member header does not parse": ("p.npz", lambda p: p.write_bytes(
            _npz_with_header(b"\x93NUMPY\x01\x00\x08\x00{{{{{{{\n")), ("header",)),
        "csv not UTF-8": ("p.csv", lambda p: p.write_bytes(b"0.5\n\xff\xfe0.1\n" * 3),
                          ("not valid UTF-8",)),
        "csv NUL bytes": ("p.csv", lambda p: p.write_bytes(b"0.5\n0\x001\n" * 3), ()),
        "csv field over the csv limit": (
            "p.csv", lambda p: p.write_text('"' + "9" * 200_000 + '"\n' + "0.5\n" * 6),
            ("p.csv", "longer than")),
    }


def _npz_with_header(header: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.npy", header)
    return buf.getvalue()


WRITERS = _writers()


@pytest.mark.parametrize("case", list(WRITERS))
def test_damaged_files_are_one_line_errors(case: str, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    name, write, fragments = WRITERS[case]
    path = tmp_path / name
    write(path)  # type: ignore[operator]
    argv = _evaluate(tmp_path, str(path))
    if case == "npz corrupt member":  # as many labels as rows, so that the data are read
        np.save(tmp_path / "y.npy", np.tile(Y, 2000))
    line = assert_refused(argv, capsys, *fragments)
    assert name in line
    assert "pickled object" not in line or case == "object dtype"


def test_npy_truncated_at_every_byte(tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    whole = _npy(Path())
    for cut in range(len(whole)):
        path = tmp_path / f"cut{cut}.npy"
        path.write_bytes(whole[:cut])
        assert_refused(_evaluate(tmp_path, str(path)), capsys, f"cut{cut}.npy")


@pytest.mark.parametrize("compressed", [False, True])
def test_npz_truncated_at_every_byte(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     compressed: bool) -> None:
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, p=P)
    whole = buf.getvalue()
    for cut in range(len(whole)):
        path = tmp_path / f"cut{cut}.npz"
        path.write_bytes(whole[:cut])
        assert_refused(_evaluate(tmp_path, str(path)), capsys, f"cut{cut}.npz")


def test_npz_with_a_flipped_byte_anywhere(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """Any single corrupted byte: a correct report (a byte the reader does not use) or
    one line; never a traceback or 'internal error'."""
    buf = io.BytesIO()
    np.savez_compressed(buf, p=P)
    whole = buf.getvalue()
    for i in range(len(whole)):
        path = tmp_path / f"flip{i}.npz"
        path.write_bytes(whole[:i] + bytes([whole[i] ^ 0x5A]) + whole[i + 1:])
        status = main(_evaluate(tmp_path, str(path)))
        err = capsys.readouterr().err
        assert status in (0, 2), (i, err)
        if status == 2:
            assert len(err.splitlines()) == 1 and "internal error" not in err, (i, err)
        else:
            assert err == "", (i, err)


# -- files that are not regular files -----------------------------------------------------------

def test_fifo_is_refused_without_blocking(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "p.npy"
    os.mkfifo(fifo)
    result: list[int] = []
    t = threading.Thread(target=lambda: result.append(main(_evaluate(tmp_path, str(fifo)))),
                         daemon=True)
    t.start()
    t.join(20)
    if t.is_alive():  # the old reader blocked in open(): let it go, then fail
        with open(fifo, "wb"):
            pass
        t.join(5)
        pytest.fail("opening a FIFO blocked")
    assert result == [2]
    err = capsys.readouterr().err
    assert err.startswith("nnmath: error: ") and "a FIFO (named pipe), not a regular file" in err
    assert len(err.splitlines()) == 1


def test_device_and_symlink_loop(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    link = tmp_path / "loop.npy"
    link.symlink_to(tmp_path / "loop.npy")
    assert_refused(_evaluate(tmp_path, str(link)), capsys, "loop.npy", "symbolic link")
    dev = tmp_path / "null.npy"
    dev.symlink_to("/dev/null")
    assert_refused(_evaluate(tmp_path, str(dev)), capsys, "a character device")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs a user that file permissions apply to (not root)")
def test_permission_denied(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "p.npy"
    np.save(path, P)
    path.chmod(0)
    assert_refused(_evaluate(tmp_path, str(path)), capsys, "permission denied")


def test_unreadable_directory_is_not_called_empty(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    d = tmp_path / "parts"
    d.mkdir()
    np.save(d / "a.npy", P)

    def denied(path: object) -> object:
        raise PermissionError(13, "Permission denied", os.fspath(path))  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", denied)  # what os.walk meets in a mode-000 folder
    with pytest.raises(DataError, match="permission denied") as info:
        open_source(str(d))
    assert "holds no" not in str(info.value)


# -- limits: sizes, weights, resolution -------------------------------------------------

def test_huge_weights_give_exact_ratios_not_an_overflow(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    np.save(tmp_path / "w.npy", np.full(6, 1e308))
    argv = _evaluate(tmp_path, str(tmp_path / "p.npy"), "--sample-weight",
                     str(tmp_path / "w.npy"), "--format", "json")
    np.save(tmp_path / "p.npy", P)
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert err == ""
    import json

    report = json.loads(out)
    # every prediction is right at threshold 0.5 (checked by hand against Y and P)
    assert report["metrics"]["precision"] == 1.0 and report["metrics"]["recall"] == 1.0
    assert report["per_class"]["recall"] == [1.0, 1.0]
    # 3e308 is beyond the float range: inf, which JSON writes as null
    assert report["per_class"]["support"] == [None, None]


def test_to_float_beyond_the_float_range() -> None:
    assert to_float(Fraction(10**400, 7)) == float("inf")
    assert to_float(-Fraction(10**400)) == float("-inf")
    assert to_float(Fraction(1, 3)) == 1 / 3


@pytest.mark.parametrize("chunk", [str(2**63), str(10**30)])
def test_chunk_size_beyond_the_index_range(tmp_path: Path, chunk: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(pa.table({"s": P}), tmp_path / "p.parquet")
    argv = _evaluate(tmp_path, f"{tmp_path / 'p.parquet'}:s", "--format", "json")
    assert main([*argv, "--chunk-size", chunk]) == 0
    big, err = capsys.readouterr()
    assert err == ""
    assert main(argv) == 0
    import json

    assert json.loads(big)["metrics"] == json.loads(capsys.readouterr()[0])["metrics"]


def test_huge_dpi_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert_refused(["plot", "relu", "--out", str(tmp_path / "r.png"), "--dpi", "100000"],
                   capsys, "--dpi", "at most 1200")
    assert not (tmp_path / "r.png").exists()


def test_parquet_list_column_with_a_null_first_row(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rows = [None] + [[1 - p, p] for p in P[1:]]
    pq.write_table(pa.table({"s": pa.array(rows, type=pa.list_(pa.float64()))}),
                   tmp_path / "p.parquet")
    assert_refused(_evaluate(tmp_path, f"{tmp_path / 'p.parquet'}:s"), capsys,
                   "missing value (null) at row 0")


def test_big_endian_npy_is_read_by_value(tmp_path: Path) -> None:
    np.save(tmp_path / "b.npy", P.astype(">f8"))
    np.testing.assert_array_equal(load(str(tmp_path / "b.npy")), P)


# -- memory bounded by the chunk ---------------------------------------------------------------

def test_default_chunk_is_sized_by_bytes() -> None:
    # ~8 MiB of float64 per chunk: 8 * 2**20 / (8 * 100000) = 10.48 rows
    assert default_chunk_size(100_000) == 10
    assert default_chunk_size(3_000_000) == 1  # one row of 24 MB: at least one row


def _traced_peak(fn: object) -> int:
    tracemalloc.start()
    try:
        fn()  # type: ignore[operator]
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_npz_lying_header_allocates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bomb.npz"
    path.write_bytes(_npz_with_header(_header_bytes("<f8", (100, 2_000_000))))
    assert path.stat().st_size < 400

    def read() -> None:
        with pytest.raises(DataError, match="truncated"):
            load(str(path))

    assert _traced_peak(read) < 2 << 20  # the header claims 1.6 GB


@pytest.mark.parametrize("compressed", [False, True])
def test_fortran_npz_member_is_read_in_chunks(tmp_path: Path, compressed: bool) -> None:
    rows, cols = 400_000, 5  # 16 MB of float64
    data = np.asfortranarray(np.arange(rows * cols, dtype=np.float64).reshape(rows, cols))
    (np.savez_compressed if compressed else np.savez)(tmp_path / "f.npz", a=data)
    got: list[float] = []

    def read() -> None:
        with open_source(str(tmp_path / "f.npz")) as src:
            for chunk in src.chunks(1000):  # 40 kB per chunk
                assert chunk.flags.c_contiguous and chunk.shape[1:] == (cols,)
                got.append(float(chunk[:, 3].sum()))

    peak = _traced_peak(read)
    assert peak < data.nbytes // 2, peak  # the old reader held the whole member
    expected = [float(data[i:i + 1000, 3].sum()) for i in range(0, rows, 1000)]
    assert got == expected


def test_unpacked_fortran_member_leaves_no_file(tmp_path: Path) -> None:
    data = np.asfortranarray(np.arange(12.0).reshape(4, 3))
    np.savez(tmp_path / "f.npz", a=data)
    src = open_source(str(tmp_path / "f.npz"))
    np.testing.assert_array_equal(np.concatenate(list(src.chunks(3))), data)
    spill = src._spill
    assert spill is not None
    fd = spill.file.fileno()
    src.close()
    with pytest.raises(OSError):
        os.fstat(fd)

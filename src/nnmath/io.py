"""Reading labels, predictions and weights from files, in chunks of rows.

One function, :func:`open_source`, turns a file *spec* into a :class:`Source`: an object
that knows the array's ``shape`` and ``dtype`` before reading any data, and hands out the
rows in chunks (:meth:`Source.chunks`), so that a file of any size is read with memory
bounded by the chunk size.

==============  ==========================  ===============================================
spec            format                      how it is read
==============  ==========================  ===============================================
``a.npy``       NumPy array                 memory-mapped; each chunk is copied out and its
                                            pages are handed back to the OS
``a.npz:key``   NumPy archive               the member ``key`` (optional when the archive
                                            holds one array), streamed from the zip
``a.csv:col``   comma-separated text        ``col`` by header name or 0-based index, or
``a.tsv:col``   tab-separated text          ``c1,c2,...``; all columns without it; the
                                            header is optional (detected)
``a.parquet``   Apache Parquet              ``a.parquet:col`` likewise; list columns give
                                            2-D rows; needs the ``io`` extra (pyarrow)
==============  ==========================  ===============================================

Nothing is ever unpickled: ``.npy``/``.npz`` are read with ``allow_pickle=False`` and an
object-dtype array is refused from its header, before any of its data is read. Every
problem raises :class:`DataError` (a ``ValueError``) whose message names the file, says
what is wrong and what to do.

>>> import numpy as np, tempfile, pathlib
>>> tmp = tempfile.TemporaryDirectory()
>>> d = pathlib.Path(tmp.name)
>>> np.save(d / "p.npy", np.arange(10.0).reshape(5, 2))
>>> src = open_source(str(d / "p.npy"))
>>> src.shape, src.dtype
((5, 2), dtype('float64'))
>>> [c.shape for c in src.chunks(2)]
[(2, 2), (2, 2), (1, 2)]
>>> src.close()
>>> _ = (d / "y.csv").write_text("id,label\\n7,1\\n8,0\\n")
>>> load(f"{d / 'y.csv'}:label")
array([1., 0.])
>>> tmp.cleanup()
"""

from __future__ import annotations

import csv
import math
import mmap
import os
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

__all__ = [
    "FORMATS",
    "ArraySource",
    "DataError",
    "MissingExtraError",
    "Source",
    "load",
    "open_source",
    "parse_spec",
    "require",
]

#: file suffixes read by :func:`open_source`
FORMATS = (".npy", ".npz", ".csv", ".tsv", ".parquet")
_PICKLE_SUFFIXES = (".pkl", ".pickle", ".pck", ".joblib")


class DataError(ValueError):
    """An input file that cannot be used; the message says what is wrong and what to do."""


class MissingExtraError(ImportError):
    """An optional dependency is missing; the message names the extra to install."""


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtraError` naming the extra to install.

    >>> require("numpy", "core", "arrays").__name__
    'numpy'
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(
            f"{purpose} needs {module.split('.')[0]}, which is not installed: "
            f"pip install 'nnmath[{extra}]'"
        ) from None


def parse_spec(spec: str | os.PathLike[str]) -> tuple[Path, str | None]:
    """Split ``"file.ext:key"`` into the path and the key (``None`` when absent).

    The split happens at the last ``:`` whose left part ends in a known suffix, so paths
    containing colons (and Windows drive letters) keep working.

    >>> path, key = parse_spec("data/y.npz:labels")
    >>> path.name, key
    ('y.npz', 'labels')
    >>> parse_spec("preds.csv")[1] is None
    True
    """
    text = os.fspath(spec)
    if not isinstance(text, str):
        raise TypeError(f"a file spec must be a string or a path, got {type(spec).__name__}")
    head, sep, key = text.rpartition(":")
    if sep and Path(head).suffix.lower() in FORMATS and not Path(text).exists():
        return Path(head), key
    return Path(text), None


# -- the sources ----------------------------------------------------------------------------

class Source:
    """Rows of an array, readable in chunks. Subclasses read one file format.

    Attributes
    ----------
    spec
        The spec the source was opened from (used in messages).
    shape, dtype
        Known before any data is read; ``shape[0]`` is the number of rows.
    """

    spec: str = "<array>"
    shape: tuple[int, ...] = ()
    dtype: np.dtype[Any] = np.dtype(np.float64)
    #: a short description of how the data are read, for reports
    kind: str = ""

    def __len__(self) -> int:
        return self.shape[0] if self.shape else 0

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def chunks(self, chunk_size: int) -> Iterator[np.ndarray]:
        """Yield the rows in order, ``chunk_size`` at a time, as fresh in-memory arrays."""
        raise NotImplementedError  # pragma: no cover - every subclass overrides

    def read(self) -> np.ndarray:
        """The whole array in memory (for small inputs)."""
        parts = list(self.chunks(max(len(self), 1)))
        if not parts:
            return np.empty(self.shape, dtype=self.dtype)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def close(self) -> None:
        """Release the file (idempotent)."""

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def error(self, message: str) -> DataError:
        return DataError(f"{self.spec}: {message}")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.spec} shape={self.shape} dtype={self.dtype}>"


def _check_chunk_size(chunk_size: int) -> int:
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)):
        raise TypeError(f"chunk_size must be an integer, got {chunk_size!r}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    return int(chunk_size)


def _check_dtype(dtype: np.dtype[Any], where: str) -> np.dtype[Any]:
    if dtype.hasobject:
        raise DataError(
            f"{where}: holds Python objects (dtype {dtype}); nnmath never unpickles data "
            "(unpickling can run arbitrary code): save a numeric array instead, e.g. "
            "np.save(path, np.asarray(values, dtype=float))"
        )
    if dtype.kind not in "biuf" or dtype.fields is not None or dtype.subdtype is not None:
        raise DataError(f"{where}: holds dtype {dtype}, not numbers: labels, predictions and "
                        "weights must be integer, bool or float arrays")
    return dtype


class ArraySource(Source):
    """An in-memory array (or anything ``np.asarray`` takes) as a :class:`Source`."""

    kind = "array"

    def __init__(self, data: Any, spec: str = "<array>") -> None:
        arr = data if isinstance(data, np.ndarray) else np.asarray(data)
        _check_dtype(arr.dtype, spec)
        if arr.ndim == 0:
            raise DataError(f"{spec}: a scalar is not a column of samples; give one row per "
                            "sample")
        self.spec, self.array = spec, arr
        self.shape, self.dtype = tuple(arr.shape), arr.dtype

    def chunks(self, chunk_size: int) -> Iterator[np.ndarray]:
        step = _check_chunk_size(chunk_size)
        for start in range(0, len(self), step):
            yield np.asarray(self.array[start:start + step])


class NpySource(Source):
    """A ``.npy`` file, memory-mapped; chunks are copies and their pages are released."""

    kind = "npy, memory-mapped"

    def __init__(self, path: Path, spec: str) -> None:
        self.spec = spec
        _refuse_pickle_magic(path, spec)
        try:
            probe = np.load(path, mmap_mode="r", allow_pickle=False)
        except ValueError as exc:
            if "object" in str(exc).lower() or "pickle" in str(exc).lower():
                raise self.error(
                    "holds Python objects (a pickled object array); nnmath never unpickles "
                    "data (unpickling can run arbitrary code): save a numeric array instead"
                ) from None
            raise self.error(f"is not a readable .npy file ({exc}); was it written "
                             "completely? re-save it with numpy.save") from None
        except EOFError:
            raise self.error("is empty or truncated; re-save it with numpy.save") from None
        except OSError as exc:
            raise self.error(f"cannot be read ({exc.strerror or exc})") from None
        self._array: np.ndarray | None
        self._file: Any
        self._map: mmap.mmap | None
        if not isinstance(probe, np.memmap):  # a 0-size array is not mapped
            arr = np.asarray(probe)
            _check_dtype(arr.dtype, spec)
            self.shape, self.dtype, self._array = tuple(arr.shape), arr.dtype, arr
            self._file = self._map = None
            self._offset, self._fortran = 0, False
        else:
            self.dtype = _check_dtype(probe.dtype, spec)
            self.shape = tuple(probe.shape)
            self._offset = int(probe.offset)
            self._fortran = bool(probe.ndim > 1 and probe.flags.f_contiguous
                                 and not probe.flags.c_contiguous)
            del probe
            # our own mapping (public API only), so that read pages can be handed back
            self._file = open(path, "rb")  # closed in close()
            self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
            self._array = np.ndarray(self.shape, dtype=self.dtype, buffer=self._map,
                                     offset=self._offset, order="F" if self._fortran else "C")
        if not self.shape:
            self.close()
            raise self.error("holds a scalar, not a column of samples; save one row per "
                             "sample")

    def _release(self, start_row: int, stop_row: int) -> None:
        """Drop the mapped pages of rows [start_row, stop_row) from this process's memory.

        They stay in the OS page cache; without this, touching every page of a mapped
        file would count the whole file in the resident set size.
        """
        advise = getattr(self._map, "madvise", None)
        flag = getattr(mmap, "MADV_DONTNEED", None)
        if advise is None or flag is None or self._fortran:
            return
        row_bytes = self.dtype.itemsize * math.prod(self.shape[1:])
        page = mmap.PAGESIZE
        lo = (self._offset + start_row * row_bytes) // page * page
        hi = (self._offset + stop_row * row_bytes) // page * page
        if hi > lo:
            advise(flag, lo, hi - lo)

    def chunks(self, chunk_size: int) -> Iterator[np.ndarray]:
        step = _check_chunk_size(chunk_size)
        arr = self._array
        if arr is None:
            raise self.error("is closed")
        for start in range(0, len(self), step):
            stop = min(start + step, len(self))
            chunk = np.array(arr[start:stop], order="C")
            self._release(start, stop)
            yield chunk

    def close(self) -> None:
        self._array = None
        if self._map is not None:
            self._map.close()
            self._map = None
        if self._file is not None:
            self._file.close()
            self._file = None


def _refuse_pickle_magic(path: Path, spec: str) -> None:
    with open(path, "rb") as f:
        head = f.read(6)
    if head == b"\x93NUMPY":
        return
    if not head:
        raise DataError(f"{spec}: the file is empty; re-save it with numpy.save")
    if head[:1] == b"\x80" or head[:1] in (b"(", b"]", b"}"):
        raise DataError(f"{spec}: is a Python pickle, not a .npy file; nnmath never unpickles "
                        "data (unpickling can run arbitrary code): save the array with "
                        "numpy.save(path, array, allow_pickle=False)")
    raise DataError(f"{spec}: is not a .npy file (no NUMPY header): is it corrupt, or of "
                    "another format? re-save it with numpy.save")


def _read_npy_header(f: Any, where: str) -> tuple[tuple[int, ...], bool, np.dtype[Any]]:
    fmt = np.lib.format
    try:
        version = fmt.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(f)
        else:
            reader = getattr(fmt, "_read_array_header", None)
            if reader is None:  # pragma: no cover - future NumPy
                raise ValueError(f"unsupported .npy format version {version}")
            shape, fortran, dtype = reader(f, version)
    except (ValueError, EOFError, OSError, zipfile.BadZipFile) as exc:
        raise DataError(f"{where}: is not a readable .npy array ({exc}); re-save it with "
                        "numpy.savez") from None
    return tuple(int(n) for n in shape), bool(fortran), np.dtype(dtype)


class NpzSource(Source):
    """One member of a ``.npz`` archive, decompressed as a stream (never all at once)."""

    kind = "npz, streamed"

    def __init__(self, path: Path, key: str | None, spec: str) -> None:
        self.spec = spec
        self._zip: zipfile.ZipFile | None
        try:
            self._zip = zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            with open(path, "rb") as f:
                if f.read(1) == b"\x80":
                    _refuse_pickle_magic(path, spec)
            raise self.error("is not a valid .npz archive (not a zip file); was it written "
                             "completely? re-save it with numpy.savez") from None
        except OSError as exc:
            raise self.error(f"cannot be read ({exc.strerror or exc})") from None
        members = {n[:-4]: n for n in self._zip.namelist() if n.endswith(".npy")}
        if key is None:
            if len(members) != 1:
                self.close()
                listed = ", ".join(sorted(members)) or "none"
                raise self.error(f"holds {len(members)} arrays ({listed}); say which one with "
                                 f"{path}:KEY")
            key = next(iter(members))
        if key not in members:
            self.close()
            raise self.error(f"has no array {key!r}; it holds: {', '.join(sorted(members))}")
        self.key, self._member = key, members[key]
        self.spec = spec if ":" in spec and spec.endswith(f":{key}") else f"{spec}:{key}"
        with self._zip.open(self._member) as f:
            self.shape, self._fortran, dtype = _read_npy_header(f, self.spec)
        self.dtype = _check_dtype(dtype, self.spec)
        if not self.shape:
            self.close()
            raise self.error("holds a scalar, not a column of samples")

    def _open_member(self) -> Any:
        if self._zip is None:
            raise self.error("is closed")
        return self._zip.open(self._member)

    def chunks(self, chunk_size: int) -> Iterator[np.ndarray]:
        step = _check_chunk_size(chunk_size)
        if self._fortran and len(self.shape) > 1:
            # column-major data cannot be streamed by rows: read it whole (rare; np.save
            # writes C order unless given a Fortran-ordered array)
            with self._open_member() as f:
                _read_npy_header(f, self.spec)
                data = self._read_exact(f, math.prod(self.shape) * self.dtype.itemsize)
            arr = np.frombuffer(data, dtype=self.dtype).reshape(self.shape, order="F")
            yield from ArraySource(arr, self.spec).chunks(step)
            return
        row_items = math.prod(self.shape[1:])
        row_bytes = row_items * self.dtype.itemsize
        with self._open_member() as f:
            _read_npy_header(f, self.spec)
            for start in range(0, len(self), step):
                rows = min(step, len(self) - start)
                data = self._read_exact(f, rows * row_bytes)
                yield np.frombuffer(data, dtype=self.dtype).reshape((rows, *self.shape[1:]))

    def _read_exact(self, f: Any, n: int) -> bytearray:
        buf = bytearray(n)
        view, got = memoryview(buf), 0
        try:
            while got < n:
                k = f.readinto(view[got:])
                if not k:
                    raise self.error(f"is truncated: expected {n} more bytes of data; re-save "
                                     "it with numpy.savez")
                got += k
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise self.error(f"is corrupt ({exc}); re-save it with numpy.savez") from None
        return buf

    def close(self) -> None:
        zf = getattr(self, "_zip", None)
        if zf is not None:
            zf.close()
            self._zip = None


# -- text ------------------------------------------------------------------------------------

def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _select_columns(key: str | None, header: list[str] | None, ncols: int,
                    where: str) -> list[int]:
    if key is None:
        return list(range(ncols))
    picked = []
    for item in (k.strip() for k in key.split(",")):
        if header is not None and item in header:
            picked.append(header.index(item))
        elif item.lstrip("-").isdigit() and -ncols <= int(item) < ncols:
            picked.append(int(item) % ncols)
        else:
            names = f"columns {', '.join(header)}" if header else f"{ncols} unnamed columns"
            raise DataError(f"{where}: has no column {item!r}; it has {names} (pick one by "
                            "name or by 0-based index)")
    return picked


class TextSource(Source):
    """A ``.csv`` (comma) or ``.tsv`` (tab) file: numbers, optional header line."""

    def __init__(self, path: Path, key: str | None, spec: str) -> None:
        self.spec, self.path = spec, path
        self.delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
        self.kind = f"{path.suffix.lower()[1:]}, parsed in chunks"
        try:
            first, self._rows = self._scan(path)
        except OSError as exc:
            raise self.error(f"cannot be read ({exc.strerror or exc})") from None
        except UnicodeDecodeError:
            raise self.error("is not a text file (it is not valid UTF-8)") from None
        if first is None:
            raise self.error("has no rows")
        fields = [f.strip() for f in next(csv.reader([first], delimiter=self.delimiter))]
        self.header = fields if not all(_is_number(f) for f in fields if f) else None
        if self.header is not None:
            self._rows -= 1
        self._cols = _select_columns(key, self.header, len(fields), spec)
        self._ncols = len(fields)
        if self._rows == 0:
            raise self.error("has a header but no data rows")
        width = len(self._cols)
        self.shape = (self._rows,) if width == 1 else (self._rows, width)
        self.dtype = np.dtype(np.float64)

    @staticmethod
    def _scan(path: Path) -> tuple[str | None, int]:
        """The first non-blank line and the number of non-blank lines."""
        first, count = None, 0
        with open(path, encoding="utf-8-sig", newline="") as f:
            for line in f:
                if line.strip():
                    if first is None:
                        first = line
                    count += 1
        return first, count

    def _lines(self) -> Iterator[tuple[int, str]]:
        with open(self.path, encoding="utf-8-sig", newline="") as f:
            seen_first = False
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                if not seen_first:
                    seen_first = True
                    if self.header is not None:
                        continue
                yield lineno, line

    def _parse(self, block: list[tuple[int, str]]) -> np.ndarray:
        want = self._ncols - 1
        if any(line.count(self.delimiter) != want for _, line in block if '"' not in line):
            return self._parse_slowly(block)  # a row of another width: report it
        try:  # the fast path: NumPy's C parser
            return np.loadtxt([line for _, line in block], delimiter=self.delimiter,
                              usecols=self._cols, dtype=np.float64, ndmin=2, quotechar='"',
                              comments=None)
        except ValueError:
            return self._parse_slowly(block)  # finds the line and field to report

    def _parse_slowly(self, block: list[tuple[int, str]]) -> np.ndarray:
        out = np.empty((len(block), len(self._cols)), dtype=np.float64)
        reader = csv.reader((line for _, line in block), delimiter=self.delimiter)
        for i, ((lineno, _), fields) in enumerate(zip(block, reader, strict=True)):
            if len(fields) != self._ncols:
                raise self.error(f"line {lineno} has {len(fields)} fields, the first line has "
                                 f"{self._ncols}")
            for j, c in enumerate(self._cols):
                text = fields[c].strip()
                try:
                    out[i, j] = float(text)
                except ValueError:
                    what = "an empty field" if not text else f"{text!r}"
                    raise self.error(f"line {lineno}, column {c}: {what} is not a number; "
                                     "fix or drop that row") from None
        return out

    def chunks(self, chunk_size: int) -> Iterator[np.ndarray]:
        step = _check_chunk_size(chunk_size)
        block: list[tuple[int, str]] = []
        for item in self._lines():
            block.append(item)
            if len(block) == step:
                yield self._shape_rows(self._parse(block))
                block = []
        if block:
            yield self._shape_rows(self._parse(block))

    def _shape_rows(self, rows: np.ndarray) -> np.ndarray:
        return rows[:, 0] if len(self.shape) == 1 else rows


# -- parquet -------------------------------------------------------------------------------

class ParquetSource(Source):
    """Columns of a Parquet file, read one record batch at a time (needs pyarrow)."""

    kind = "parquet, record batches"

    def __init__(self, path: Path, key: str | None, spec: str) -> None:
        self.spec = spec
        require("pyarrow", "io", "reading Parquet files")
        pq = require("pyarrow.parquet", "io", "reading Parquet files")
        import pyarrow as pa

        self._pa = pa
        try:
            self._file = pq.ParquetFile(path)
        except (OSError, pa.ArrowException) as exc:
            raise self.error(f"is not a readable Parquet file ({exc})") from None
        schema = self._file.schema_arrow
        names = list(schema.names)
        self._columns = [names[i] for i in _select_columns(key, names, len(names), spec)]
        types = [schema.field(n).type for n in self._columns]
        is_list = [pa.types.is_list(t) or pa.types.is_fixed_size_list(t)
                   or pa.types.is_large_list(t) for t in types]
        if any(is_list) and len(self._columns) > 1:
            if key is None:
                raise self.error(f"holds {len(names)} columns ({', '.join(names)}); say which "
                                 f"with {path}:COLUMN")
            raise self.error("pick a single list column (rows of class scores), or several "
                             "scalar columns, not both")
        self._list = bool(is_list[0]) if is_list else False
        for n, t in zip(self._columns, types, strict=True):
            base = t.value_type if (self._list and hasattr(t, "value_type")) else t
            if not (pa.types.is_integer(base) or pa.types.is_floating(base)
                    or pa.types.is_boolean(base)):
                hint = (f"; say which column to read with {path}:COLUMN" if key is None
                        else "")
                raise self.error(f"column {n!r} holds {t}, not numbers{hint}")
        rows = self._file.metadata.num_rows
        if self._list:
            t = types[0]
            width = t.list_size if pa.types.is_fixed_size_list(t) else self._first_width()
            self.shape = (rows, width)
            self.dtype = np.dtype(types[0].value_type.to_pandas_dtype())
        else:
            dtypes = [np.dtype(t.to_pandas_dtype()) for t in types]
            self.dtype = np.result_type(*dtypes)
            self.shape = (rows,) if len(self._columns) == 1 else (rows, len(self._columns))

    def _first_width(self) -> int:
        for batch in self._file.iter_batches(batch_size=1, columns=self._columns):
            if batch.num_rows:
                return len(batch.column(0)[0])
        return 0

    def _column(self, col: Any, name: str, start: int) -> np.ndarray:
        pa = self._pa
        if col.null_count:
            valid = np.asarray(col.is_valid().to_numpy(zero_copy_only=False))
            row = start + int(np.argmin(valid))
            raise self.error(f"column {name!r} has a missing value (null) at row {row}; fill "
                             "or drop those rows")
        if not self._list:
            return np.asarray(col.to_numpy(zero_copy_only=False))
        if isinstance(col, pa.ChunkedArray):
            col = col.combine_chunks()
        width = self.shape[1]
        lengths = np.asarray(col.value_lengths().to_numpy(zero_copy_only=False))
        if np.any(lengths != width):
            row = start + int(np.argmax(lengths != width))
            raise self.error(f"column {name!r}: row {row} has {lengths[row - start]} values, "
                             f"the first has {width}; every row needs one score per class")
        values = col.flatten()
        if values.null_count:
            raise self.error(f"column {name!r} has missing values (nulls) inside its lists")
        flat = np.asarray(values.to_numpy(zero_copy_only=False))
        return flat.reshape(len(col), width)

    def chunks(self, chunk_size: int) -> Iterator[np.ndarray]:
        step = _check_chunk_size(chunk_size)
        start = 0
        for batch in self._file.iter_batches(batch_size=step, columns=self._columns):
            cols = [self._column(batch.column(i), n, start)
                    for i, n in enumerate(self._columns)]
            out = cols[0] if len(cols) == 1 else np.stack(cols, axis=1).astype(self.dtype)
            start += batch.num_rows
            yield out

    def close(self) -> None:
        f = getattr(self, "_file", None)
        if f is not None:
            f.close()
            self._file = None


# -- entry points --------------------------------------------------------------------------

def open_source(spec: Any, *, name: str | None = None) -> Source:
    """Open a file spec (or wrap an array) as a :class:`Source`.

    Parameters
    ----------
    spec
        ``"path.npy"``, ``"path.npz:key"``, ``"path.csv:column"``, ``"path.tsv:column"``,
        ``"path.parquet:column"`` (see the module doc), a :class:`pathlib.Path`, or an
        array (wrapped as it is).
    name
        What the input is (``"y_pred"``), prefixed to error messages.
    """
    if isinstance(spec, Source):
        return spec
    if not isinstance(spec, (str, os.PathLike)):
        return ArraySource(spec, name or "<array>")
    path, key = parse_spec(spec)
    label = f"{name} {os.fspath(spec)}" if name else os.fspath(spec)
    suffix = path.suffix.lower()
    if suffix in _PICKLE_SUFFIXES:
        raise DataError(f"{label}: pickle files are never loaded (unpickling can run "
                        "arbitrary code); save the array with numpy.save(path, array)")
    if suffix not in FORMATS:
        raise DataError(f"{label}: unknown file type {suffix or '(no suffix)'!r}; give a "
                        f"{', '.join(FORMATS)} file")
    if not path.exists():
        raise DataError(f"{label}: no such file")
    if path.is_dir():
        raise DataError(f"{label}: is a directory, not a file")
    if key is not None and suffix == ".npy":
        raise DataError(f"{label}: a .npy file holds one array; drop ':{key}'")
    if suffix == ".npy":
        return NpySource(path, label)
    if suffix == ".npz":
        return NpzSource(path, key or None, label)
    if suffix in (".csv", ".tsv"):
        return TextSource(path, key or None, label)
    return ParquetSource(path, key or None, label)


def load(spec: Any, *, name: str | None = None) -> np.ndarray:
    """Read a whole file spec into memory (see :func:`open_source`)."""
    with open_source(spec, name=name) as src:
        return src.read()


def describe_sources(sources: Sequence[Source]) -> list[dict[str, Any]]:
    """JSON-able descriptions of sources, for reports."""
    return [{"spec": s.spec, "shape": list(s.shape), "dtype": str(s.dtype), "read": s.kind}
            for s in sources]


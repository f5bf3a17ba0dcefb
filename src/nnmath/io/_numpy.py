"""Readers of NumPy files: arrays in memory, ``.npy`` (memory-mapped), ``.npz`` (streamed).

Nothing in a file is trusted before it is checked: the header is parsed by NumPy's header
reader (never unpickled), its dtype must be numeric, its shape must fit the bytes that are
really there, and data are read in pieces of at most a chunk, so that a file whose header
lies costs nothing but an error.
"""

from __future__ import annotations

import math
import mmap
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ._base import (
    DataError,
    Source,
    _check_dtype,
    _check_range,
    _step,
    check_regular,
    open_regular,
    reading,
)

#: the most bytes read from a decompressing stream at once
_PIECE = 1 << 20


class ArraySource(Source):
    """An in-memory array (or anything ``np.asarray`` takes) as a :class:`Source`."""

    kind = "array"
    random_access = True

    def __init__(self, data: Any, spec: str = "<array>") -> None:
        arr = data if isinstance(data, np.ndarray) else np.asarray(data)
        _check_dtype(arr.dtype, spec)
        if arr.ndim == 0:
            raise DataError(f"{spec}: a scalar is not a column of samples; give one row per "
                            "sample")
        self.spec, self.array = spec, arr
        self.shape, self.dtype = tuple(arr.shape), arr.dtype

    def chunks(self, chunk_size: int) -> Iterator[np.ndarray]:
        return self.read_range(0, len(self), chunk_size)

    def read_range(self, start: int, stop: int, chunk_size: int) -> Iterator[np.ndarray]:
        start, stop = _check_range(start, stop, len(self))
        step = _step(chunk_size, stop - start)
        for lo in range(start, stop, step):
            yield np.asarray(self.array[lo:min(lo + step, stop)])


# -- the .npy header -----------------------------------------------------------------------

def _pickle_or_foreign(head: bytes, where: str) -> DataError:
    """The error for a file that does not begin with the .npy magic string."""
    if not head:
        return DataError(f"{where}: the file is empty; re-save it with numpy.save")
    if head[:1] == b"\x80" or head[:1] in (b"(", b"]", b"}"):
        return DataError(f"{where}: is a Python pickle, not a .npy file; nnmath never "
                         "unpickles data (unpickling can run arbitrary code): save the array "
                         "with numpy.save(path, array, allow_pickle=False)")
    return DataError(f"{where}: is not a .npy file (no NUMPY header): is it corrupt, or of "
                     "another format? re-save it with numpy.save")


def _read_npy_header(f: Any, where: str,
                     hint: str = "numpy.save") -> tuple[tuple[int, ...], bool, np.dtype[Any]]:
    """Shape, Fortran order and dtype from a .npy header (``f`` at its first byte).

    Any header that does not parse, a negative dimension, a non-numeric dtype and a 0-d
    shape raise a :class:`DataError` naming ``where``.
    """
    fmt = np.lib.format
    head = f.read(len(fmt.MAGIC_PREFIX))
    if head != fmt.MAGIC_PREFIX:
        raise _pickle_or_foreign(head, where)
    try:
        major, minor = f.read(1), f.read(1)
        if len(minor) != 1:
            raise EOFError("the header ends early")
        version = (major[0], minor[0])
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(f)
        elif version == (3, 0) and hasattr(fmt, "_read_array_header"):
            shape, fortran, dtype = fmt._read_array_header(f, version)
        else:
            raise ValueError(f"unknown .npy format version {version[0]}.{version[1]}")
    except ValueError as exc:
        text = " ".join(str(exc).split())
        if "max_header_size" in text:
            raise DataError(f"{where}: its header is longer than NumPy reads safely (10,000 "
                            f"bytes): it was not written by numpy.save, or it is corrupt; "
                            f"re-save it with {hint}") from None
        raise DataError(f"{where}: its .npy header does not parse ({text[:200]}); re-save "
                        f"it with {hint}") from None
    except (DataError, OSError):
        raise
    except Exception as exc:  # any other failure of the parser: EOFError, TokenError, ...
        raise DataError(f"{where}: its .npy header is truncated or corrupt "
                        f"({type(exc).__name__}); re-save it with {hint}") from None
    dims = tuple(shape)
    if not all(isinstance(n, int) and n >= 0 for n in dims):
        raise DataError(f"{where}: its header declares shape {dims}, not sizes >= 0; "
                        f"re-save it with {hint}")
    if not dims:
        raise DataError(f"{where}: holds a scalar, not a column of samples; save one row per "
                        "sample")
    return dims, bool(fortran) and len(dims) > 1, _check_dtype(np.dtype(dtype), where)


def _data_bytes(shape: tuple[int, ...], dtype: np.dtype[Any]) -> int:
    return math.prod(shape) * dtype.itemsize


def _too_short(where: str, have: int, shape: tuple[int, ...], dtype: np.dtype[Any],
               hint: str) -> DataError:
    return DataError(f"{where}: holds {have:,} bytes of data but its header declares shape "
                     f"{shape} of {dtype} ({_data_bytes(shape, dtype):,} bytes): it is "
                     f"truncated, or its header is wrong; re-save it with {hint}")


# -- rows of a mapped file --------------------------------------------------------------------

class _MappedRows:
    """An array laid out in a file from byte ``offset``, mapped; rows read as copies.

    After each chunk the pages it touched are dropped from this process's memory (they
    stay in the OS page cache): without that, reading every page of a mapped file would
    count the whole file in the resident set size.
    """

    def __init__(self, file: Any, offset: int, shape: tuple[int, ...],
                 dtype: np.dtype[Any], fortran: bool) -> None:
        self.file, self.offset, self.fortran = file, offset, fortran
        self.shape, self.dtype = shape, dtype
        self.map: mmap.mmap | None = None
        self.array: np.ndarray | None
        if _data_bytes(shape, dtype) == 0:
            self.array = np.empty(shape, dtype=dtype)
            return
        self.map = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        self.array = np.ndarray(shape, dtype=dtype, buffer=self.map, offset=offset,
                                order="F" if fortran else "C")

    def _release(self, start_row: int, stop_row: int) -> None:
        advise = getattr(self.map, "madvise", None)
        flag = getattr(mmap, "MADV_DONTNEED", None)
        if advise is None or flag is None or self.map is None:
            return
        if self.fortran:
            # a chunk of rows touches a page of every column: drop them all (one call;
            # the pages not mapped now cost nothing)
            advise(flag, 0, len(self.map))
            return
        row_bytes = self.dtype.itemsize * math.prod(self.shape[1:])
        page = mmap.PAGESIZE
        lo = (self.offset + start_row * row_bytes) // page * page
        hi = (self.offset + stop_row * row_bytes) // page * page
        if hi > lo:
            advise(flag, lo, hi - lo)

    def read_range_into(self, start: int, stop: int, step: int, depth: int,
                        where: str) -> Iterator[np.ndarray]:
        """Rows read from the file into ``depth`` buffers in turn (C order only): no
        mapping, no page of the file in this process's memory, no allocation per chunk."""
        row_bytes = self.dtype.itemsize * math.prod(self.shape[1:])
        ring = [np.empty((min(step, stop - start), *self.shape[1:]), dtype=self.dtype)
                for _ in range(max(1, min(depth, -(-(stop - start) // step))))]
        for k, lo in enumerate(range(start, stop, step)):
            if self.file is None:
                raise DataError(f"{where}: is closed")
            hi = min(lo + step, stop)
            buf = ring[k % len(ring)][:hi - lo]
            _read_exactly(self.file, buf.data.cast("B"),
                          self.offset + lo * row_bytes, where)
            yield buf

    def read_range(self, start: int, stop: int, step: int, where: str) -> Iterator[np.ndarray]:
        for lo in range(start, stop, step):
            if self.array is None:
                raise DataError(f"{where}: is closed")
            hi = min(lo + step, stop)
            chunk = np.array(self.array[lo:hi], order="C")
            self._release(lo, hi)
            yield chunk

    def close(self) -> None:
        self.array = None
        if self.map is not None:
            self.map.close()
            self.map = None
        if self.file is not None:
            self.file.close()
            self.file = None


def _read_exactly(file: Any, view: memoryview, offset: int, where: str) -> None:
    """Fill ``view`` with the file's bytes from ``offset`` (``os.preadv`` where there is one:
    no seek, the GIL released while it reads)."""
    done, size = 0, len(view)
    preadv = getattr(os, "preadv", None)
    while done < size:
        if preadv is not None:
            got = preadv(file.fileno(), [view[done:]], offset + done)
        else:  # pragma: no cover - Windows
            file.seek(offset + done)
            got = file.readinto(view[done:])
        if not got:
            raise DataError(f"{where}: ended {size - done:,} bytes early while it was read; did "
                            "the file change (or shrink) during the evaluation?")
        done += got


class NpySource(Source):
    """A ``.npy`` file, memory-mapped; chunks are copies and their pages are released."""

    kind = "npy, memory-mapped"
    random_access = True

    def __init__(self, path: Path, spec: str) -> None:
        self.spec = spec
        self._rows: _MappedRows | None = None
        size = check_regular(path, spec)
        f = open_regular(path, spec)
        try:
            with reading(spec):
                self.shape, fortran, self.dtype = _read_npy_header(f, spec)
                offset = f.tell()
                if size - offset < _data_bytes(self.shape, self.dtype):
                    raise _too_short(spec, size - offset, self.shape, self.dtype,
                                     "numpy.save")
                self._rows = _MappedRows(f, offset, self.shape, self.dtype, fortran)
        except BaseException:
            f.close()
            raise

    @property
    def _map(self) -> mmap.mmap | None:
        return None if self._rows is None else self._rows.map

    def chunks(self, chunk_size: int) -> Iterator[np.ndarray]:
        return self.read_range(0, len(self), chunk_size)

    def read_range(self, start: int, stop: int, chunk_size: int) -> Iterator[np.ndarray]:
        start, stop = _check_range(start, stop, len(self))
        step = _step(chunk_size, stop - start)
        if self._rows is None:
            raise self.error("is closed")
        yield from self._rows.read_range(start, stop, step, self.spec)

    def read_range_reusing(self, start: int, stop: int, chunk_size: int,
                           depth: int = 3) -> Iterator[np.ndarray]:
        """:meth:`read_range` into ``depth`` buffers in turn (see
        :meth:`Source.read_range_reusing`); a Fortran-ordered file as :meth:`read_range`."""
        start, stop = _check_range(start, stop, len(self))
        step = _step(chunk_size, stop - start)
        if self._rows is None:
            raise self.error("is closed")
        if self._rows.fortran or self._rows.map is None or start == stop:
            yield from self._rows.read_range(start, stop, step, self.spec)
            return
        yield from self._rows.read_range_into(start, stop, step, depth, self.spec)

    def close(self) -> None:
        if self._rows is not None:
            self._rows.close()
            self._rows = None


# -- .npz -----------------------------------------------------------------------------------

class NpzSource(Source):
    """One member of a ``.npz`` archive, decompressed as a stream (never all at once).

    A member in C order is read a chunk of rows at a time from the decompressing stream,
    into a buffer that grows only with the bytes actually decompressed. A member in
    Fortran (column-major) order has no row in one piece; it is unpacked once, in
    pieces, into an anonymous temporary file, which is then read like a mapped ``.npy``.
    """

    kind = "npz, streamed"

    def __init__(self, path: Path, key: str | None, spec: str) -> None:
        self.spec = spec
        self._zip: zipfile.ZipFile | None = None
        self._spill: _MappedRows | None = None
        self._fp = f = open_regular(path, spec)
        try:
            with reading(spec):
                self._open(f, path, key, spec)
        except BaseException:
            self.close()
            raise

    def _open(self, f: Any, path: Path, key: str | None, spec: str) -> None:
        try:
            self._zip = zipfile.ZipFile(f)
        except zipfile.BadZipFile:
            f.seek(0)
            head = f.read(6)
            if head[:1] == b"\x80" or not head:
                raise _pickle_or_foreign(head, spec) from None
            raise self.error("is not a valid .npz archive (not a zip file); was it written "
                             "completely? re-save it with numpy.savez") from None
        members = {n[:-4]: n for n in self._zip.namelist() if n.endswith(".npy")}
        if key is None:
            if len(members) != 1:
                listed = ", ".join(sorted(members)) or "none"
                raise self.error(f"holds {len(members)} arrays ({listed}); say which one with "
                                 f"{path}:KEY")
            key = next(iter(members))
        if key not in members:
            raise self.error(f"has no array {key!r}; it holds: {', '.join(sorted(members))}")
        self.key, self._member = key, members[key]
        self.spec = spec if spec.endswith(f":{key}") else f"{spec}:{key}"
        info = self._zip.getinfo(self._member)
        with self._zip.open(info) as m:
            self.shape, self._fortran, self.dtype = _read_npy_header(m, self.spec,
                                                                     "numpy.savez")
            self._header = m.tell()
        have = info.file_size - self._header
        if have < _data_bytes(self.shape, self.dtype):
            raise _too_short(self.spec, have, self.shape, self.dtype, "numpy.savez")
        if self._fortran:
            self.kind = "npz (Fortran order), unpacked to a temporary file"

    def _open_member(self) -> Any:
        if self._zip is None:
            raise self.error("is closed")
        m = self._zip.open(self._member)
        m.seek(self._header)
        return m

    def chunks(self, chunk_size: int) -> Iterator[np.ndarray]:
        step = _step(chunk_size, len(self))
        if self._fortran:
            yield from self._unpacked().read_range(0, len(self), step, self.spec)
            return
        row_bytes = _data_bytes(self.shape[1:], self.dtype)
        with self._open_member() as f:
            for start in range(0, len(self), step):
                rows = min(step, len(self) - start)
                data = self._read_exact(f, rows * row_bytes)
                yield np.frombuffer(data, dtype=self.dtype).reshape((rows, *self.shape[1:]))

    def _unpacked(self) -> _MappedRows:
        """The Fortran-ordered member, copied in pieces into a temporary file and mapped."""
        if self._spill is None:
            tmp = tempfile.TemporaryFile(prefix="nnmath-npz-")  # gone when closed
            try:
                left = _data_bytes(self.shape, self.dtype)
                with self._open_member() as f:
                    while left:
                        piece = f.read(min(left, _PIECE))
                        if not piece:
                            raise self._truncated(left)
                        tmp.write(piece)
                        left -= len(piece)
                tmp.flush()
                self._spill = _MappedRows(tmp, 0, self.shape, self.dtype, True)
            except BaseException:
                tmp.close()
                raise
        return self._spill

    def _truncated(self, left: int) -> DataError:
        return self.error(f"is truncated: {left:,} bytes of its data are missing; re-save it "
                          "with numpy.savez")

    def _read_exact(self, f: Any, n: int) -> bytearray:
        """``n`` bytes from the stream; the buffer grows with the bytes actually read."""
        buf = bytearray()
        while len(buf) < n:
            piece = f.read(min(n - len(buf), _PIECE))
            if not piece:
                raise self._truncated(n - len(buf))
            buf += piece
        return buf

    def close(self) -> None:
        if self._spill is not None:
            self._spill.close()
            self._spill = None
        if self._zip is not None:
            self._zip.close()
            self._zip = None
        if self._fp is not None:
            self._fp.close()
            self._fp = None

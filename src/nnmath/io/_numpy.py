"""Readers of NumPy files: arrays in memory, ``.npy`` (memory-mapped), ``.npz``."""

from __future__ import annotations

import math
import mmap
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ._base import DataError, Source, _check_chunk_size, _check_dtype, _check_range


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
        step = _check_chunk_size(chunk_size)
        start, stop = _check_range(start, stop, len(self))
        for lo in range(start, stop, step):
            yield np.asarray(self.array[lo:min(lo + step, stop)])


class NpySource(Source):
    """A ``.npy`` file, memory-mapped; chunks are copies and their pages are released."""

    kind = "npy, memory-mapped"
    random_access = True

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
        return self.read_range(0, len(self), chunk_size)

    def read_range(self, start: int, stop: int, chunk_size: int) -> Iterator[np.ndarray]:
        step = _check_chunk_size(chunk_size)
        start, stop = _check_range(start, stop, len(self))
        arr = self._array
        if arr is None:
            raise self.error("is closed")
        for lo in range(start, stop, step):
            hi = min(lo + step, stop)
            chunk = np.array(arr[lo:hi], order="C")
            self._release(lo, hi)
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

"""Inputs made of several files: globs, lists of paths, directories (Parquet datasets).

:func:`expand_spec` turns such a spec into the list of file specs it stands for, in
order; :class:`MultiSource` reads them as one array, the files one after another.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._base import FORMATS, DataError, Source, _check_range, _step, os_reason, parse_spec

_GLOB_CHARS = frozenset("*?[")


def is_file_list(spec: Any) -> bool:
    """Whether ``spec`` is a list (or tuple) of paths rather than an array-like of numbers.

    >>> is_file_list(["a.npy", "b.npy"]), is_file_list([0, 1]), is_file_list([])
    (True, False, False)
    """
    return (isinstance(spec, (list, tuple)) and len(spec) > 0
            and all(isinstance(s, (str, os.PathLike)) for s in spec))


def _split_key(text: str) -> tuple[Path, str | None]:
    """``parse_spec``, plus ``DIR:key`` for a directory whose name has no known suffix."""
    path, key = parse_spec(text)
    if key is None and not path.exists():
        head, sep, tail = text.rpartition(":")
        if sep and head and Path(head).is_dir():
            return Path(head), tail
    return path, key


def _with_key(path: str, key: str | None) -> str:
    return path if key is None else f"{path}:{key}"


def _directory_files(directory: Path) -> list[str]:
    """The data files under a directory (a Parquet dataset, say), sorted by path.

    Hidden files and the ``_SUCCESS``/``_metadata`` companions of dataset writers are
    skipped, and so are files of unknown types (``.crc``). A folder that cannot be listed
    raises its ``OSError`` (never skipped in silence).
    """
    def fail(exc: OSError) -> None:
        raise exc

    found = []
    for root, dirs, files in os.walk(directory, onerror=fail):
        dirs[:] = [d for d in dirs if not d.startswith((".", "_"))]
        for name in files:
            if name.startswith((".", "_")):
                continue
            if Path(name).suffix.lower() in FORMATS:
                found.append(os.path.join(root, name))
    return sorted(found)


def _expand_one(text: str, label: str) -> list[str] | None:
    """The files of one spec string: ``None`` when it names a single file."""
    try:
        return _expand_files(text, label)
    except OSError as exc:
        where = "" if exc.filename in (None, text) else f" ({exc.filename})"
        raise DataError(f"{label}{where}: {os_reason(exc)}") from None


def _expand_files(text: str, label: str) -> list[str] | None:
    if Path(text).is_file():
        return None
    path, key = _split_key(text)
    if path.is_dir():
        files = _directory_files(path)
        if not files:
            raise DataError(f"{label}: is a directory holding no {', '.join(FORMATS)} "
                            "files")
        suffixes = sorted({Path(f).suffix.lower() for f in files})
        if len(suffixes) > 1:
            raise DataError(f"{label}: is a directory holding files of several types "
                            f"({', '.join(suffixes)}); give a glob such as "
                            f"'{path / ('*' + suffixes[0])}'")
        return [_with_key(f, key) for f in files]
    if _GLOB_CHARS & set(str(path)):
        files = sorted(f for f in glob.glob(str(path), recursive=True) if Path(f).is_file())
        if not files:
            raise DataError(f"{label}: no file matches the pattern")
        return [_with_key(f, key) for f in files]
    return None


def expand_spec(spec: Any, name: str | None = None) -> list[str] | None:
    """The file specs that a multi-file spec stands for, in order; ``None`` for one file.

    A glob (``"logits-*.npy"``, ``"part-*.parquet:score"``) gives the matching files in
    sorted order of their paths; a directory gives the data files under it, sorted (a
    Parquet dataset written by Spark, pandas or pyarrow: ``"preds.parquet:score"``); a
    list of paths gives its items in the order given, each expanded in turn. A ``:key``
    after a glob or a directory applies to every file. A path that exists as a file is
    one file, whatever characters it holds.

    >>> import tempfile, pathlib, numpy as np
    >>> tmp = tempfile.TemporaryDirectory()
    >>> d = pathlib.Path(tmp.name)
    >>> for i in (2, 1, 10):
    ...     np.save(d / f"p-{i}.npy", np.zeros(i))
    >>> [pathlib.Path(f).name for f in expand_spec(str(d / "p-*.npy"))]
    ['p-1.npy', 'p-10.npy', 'p-2.npy']
    >>> expand_spec(str(d / "p-1.npy")) is None
    True
    >>> tmp.cleanup()
    """
    if is_file_list(spec):
        out: list[str] = []
        for item in spec:
            text = os.fspath(item)
            label = f"{name} {text}" if name else text
            files = _expand_one(text, label)
            out.extend([text] if files is None else files)
        return out
    if not isinstance(spec, (str, os.PathLike)):
        return None
    text = os.fspath(spec)
    if not isinstance(text, str):
        return None
    return _expand_one(text, f"{name} {text}" if name else text)


def describe_spec(spec: Any) -> str:
    """A short text for a multi-file spec (a list of many paths is abridged)."""
    if not is_file_list(spec):
        return os.fspath(spec)
    items = [os.fspath(s) for s in spec]
    if len(items) <= 3:
        return ", ".join(items)
    return f"{items[0]}, {items[1]}, ... {items[-1]} ({len(items)} paths)"


class MultiSource(Source):
    """Several files read as one array: their rows one file after another.

    The files must agree in their columns; their dtypes combine by NumPy's rules (in the
    report). Each file is opened when its rows are read and closed after, so that any
    number of files can be read; :meth:`chunks` never joins rows of two files in a chunk
    (each chunk has the file's own dtype).

    Attributes
    ----------
    files
        The file specs, in order (``"dir/part-0.parquet:score"``).
    lengths
        Rows per file.
    offsets
        The row at which each file begins (and the total, last).
    """

    def __init__(self, files: Sequence[str], spec: str, name: str | None,
                 opener: Callable[[str, str | None], Source]) -> None:
        self.spec, self.name, self._open = spec, name, opener
        self.files = list(files)
        self.origin = None
        self._parts: list[Source] = []
        self.text = False  # whether one of the files is a .csv/.tsv
        lengths, trailing, dtypes, kinds, direct = [], None, [], [], []
        first_spec = ""
        for f in self.files:
            with opener(f, name) as src:
                self.text = self.text or src.text
                if src.ndim == 0:  # pragma: no cover - every reader refuses scalars
                    raise src.error("holds a scalar, not a column of samples")
                if trailing is None:
                    trailing, first_spec = src.shape[1:], src.spec
                elif src.shape[1:] != trailing:
                    raise DataError(
                        f"{src.spec} has rows of shape {src.shape[1:]} but {first_spec} has "
                        f"{trailing}: every file of {spec} needs the same columns")
                lengths.append(len(src))
                dtypes.append(src.dtype)
                direct.append(src.random_access)
                if src.kind not in kinds:
                    kinds.append(src.kind)
        self.lengths = lengths
        #: per file: whether it is read from any row directly (see Source.random_access)
        self.random_access_parts = direct
        self.offsets = [0]
        for n in lengths:
            self.offsets.append(self.offsets[-1] + n)
        self.shape = (self.offsets[-1], *(trailing or ()))
        self.dtype = np.result_type(*dtypes)
        self.kind = f"{len(self.files)} files; {'; '.join(kinds)}"

    def open_part(self, index: int) -> Source:
        """Open file ``index`` (the caller closes it)."""
        return self._open(self.files[index], self.name)

    def part_of(self, row: int) -> int:
        """The index of the file that holds ``row``."""
        if not 0 <= row < len(self):
            raise IndexError(f"row {row} is not within the {len(self)} rows")
        lo, hi = 0, len(self.files) - 1
        while lo < hi:  # the last file whose offset is <= row
            mid = (lo + hi + 1) // 2
            if self.offsets[mid] <= row:
                lo = mid
            else:
                hi = mid - 1
        while self.lengths[lo] == 0:  # pragma: no cover - an empty file has no rows
            lo += 1
        return lo

    def read_range(self, start: int, stop: int, chunk_size: int) -> Iterator[np.ndarray]:
        """Rows ``[start, stop)``, file by file; a chunk never spans two files."""
        start, stop = _check_range(start, stop, len(self))
        step = _step(chunk_size, stop - start)
        for i, (lo, n) in enumerate(zip(self.offsets, self.lengths, strict=False)):
            a, b = max(start, lo), min(stop, lo + n)
            if b <= a:
                continue
            with self.open_part(i) as src:
                yield from src.read_range(a - lo, b - lo, step)

    def chunks(self, chunk_size: int) -> Iterator[np.ndarray]:
        return self.read_range(0, len(self), chunk_size)

    def read(self) -> np.ndarray:
        parts = list(self.chunks(max(max(self.lengths, default=1), 1)))
        if not parts:
            return np.empty(self.shape, dtype=self.dtype)
        return np.concatenate(parts).astype(self.dtype, copy=False)

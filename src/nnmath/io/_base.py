"""The pieces every reader shares: errors, file specs, the ``Source`` base class."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

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
    #: the file spec it was opened from (``None`` for an array): opening it again with
    #: :func:`~nnmath.io.open_source` gives the same rows (this is how workers read it)
    origin: str | None = None
    #: whether :meth:`read_range` goes straight to its first row (else it reads the rows
    #: before it too)
    random_access: bool = False

    def __len__(self) -> int:
        return self.shape[0] if self.shape else 0

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def chunks(self, chunk_size: int) -> Iterator[np.ndarray]:
        """Yield the rows in order, ``chunk_size`` at a time, as fresh in-memory arrays."""
        raise NotImplementedError  # pragma: no cover - every subclass overrides

    def read_range(self, start: int, stop: int, chunk_size: int) -> Iterator[np.ndarray]:
        """Yield rows ``[start, stop)`` in order, ``chunk_size`` at a time.

        The chunks begin at ``start``, ``start + chunk_size``, ... (the last may be
        shorter). This generic version streams the rows before ``start`` and drops them;
        the readers with random access (arrays, ``.npy``, Parquet) go straight there.
        """
        step = _check_chunk_size(chunk_size)
        start, stop = _check_range(start, stop, len(self))

        def rows() -> Iterator[np.ndarray]:
            pos = 0
            for chunk in self.chunks(step):
                lo, hi = max(start - pos, 0), min(stop - pos, len(chunk))
                pos += len(chunk)
                if hi > lo:
                    yield chunk[lo:hi]
                if pos >= stop:
                    return

        yield from rechunk(rows(), step)

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


def _check_range(start: int, stop: int, rows: int) -> tuple[int, int]:
    start, stop = int(start), int(stop)
    if not 0 <= start <= stop <= rows:
        raise ValueError(f"rows [{start}, {stop}) are not within the {rows} rows")
    return start, stop


def rechunk(pieces: Iterator[np.ndarray], step: int) -> Iterator[np.ndarray]:
    """Regroup consecutive row blocks into blocks of exactly ``step`` rows (the last shorter).

    >>> [len(c) for c in rechunk(iter([np.zeros(3), np.zeros(5), np.zeros(4)]), 4)]
    [4, 4, 4]
    """
    held: list[np.ndarray] = []
    count = 0
    for piece in pieces:
        while len(piece):
            if not held and len(piece) >= step:  # the common case: no copy
                yield piece[:step]
                piece = piece[step:]
                continue
            take = min(step - count, len(piece))
            held.append(piece[:take])
            count += take
            piece = piece[take:]
            if count == step:
                yield np.concatenate(held) if len(held) > 1 else held[0]
                held, count = [], 0
    if held:
        yield np.concatenate(held) if len(held) > 1 else held[0]

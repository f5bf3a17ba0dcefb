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

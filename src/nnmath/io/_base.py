"""The pieces every reader shares: errors, file specs, the ``Source`` base class."""

from __future__ import annotations

import csv
import errno
import functools
import os
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import numpy as np

FORMATS = (".npy", ".npz", ".csv", ".tsv", ".parquet")
_PICKLE_SUFFIXES = (".pkl", ".pickle", ".pck", ".joblib")


class DataError(ValueError):
    """An input file that cannot be used; the message says what is wrong and what to do."""


class MissingExtraError(ImportError):
    """An optional dependency is missing; the message names the extra to install."""


class ArgumentError(ValueError):
    """A bad argument of a reader's method (a chunk size, a row range), not a bad file."""


# -- the one place that decides what a failure while reading a file means ----------------------

_NOT_REGULAR = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                (stat.S_ISSOCK, "a socket"))


def os_reason(exc: OSError) -> str:
    """What an ``OSError`` met while opening or reading a file means, and what to do.

    >>> os_reason(FileNotFoundError(2, "No such file or directory"))
    'no such file'
    """
    code = exc.errno
    if code == errno.ENOENT:
        return "no such file"
    if code in (errno.EACCES, errno.EPERM):
        return ("permission denied: make it readable by this user (chmod u+r, and u+x on "
                "its directories)")
    if code == errno.ELOOP:
        return "is a symbolic link that loops (or too many links deep); point it at a file"
    if code == errno.EISDIR:
        return "is a directory, not a file"
    if code == errno.ENAMETOOLONG:
        return "the path is too long"
    detail = exc.strerror or str(exc) or type(exc).__name__
    return f"cannot be read ({detail})"


def check_regular(path: str | os.PathLike[str], where: str) -> int:
    """Refuse anything but a regular file (a FIFO would block forever); its size in bytes.

    Called before every file is opened, so that no reader ever opens a pipe, a device or a
    socket.
    """
    try:
        st = os.stat(path)
    except OSError as exc:
        raise DataError(f"{where}: {os_reason(exc)}") from None
    except ValueError as exc:  # a NUL byte in the path
        raise DataError(f"{where}: is not a usable path ({exc})") from None
    if not stat.S_ISREG(st.st_mode):
        kind = next((text for test, text in _NOT_REGULAR if test(st.st_mode)), "not a file")
        raise DataError(f"{where}: is {kind}, not a regular file; save the data to a file "
                        "and give its path")
    return int(st.st_size)


def open_regular(path: str | os.PathLike[str], where: str) -> Any:
    """``open(path, "rb")`` after :func:`check_regular` (errors name ``where``)."""
    check_regular(path, where)
    try:
        return open(path, "rb")
    except OSError as exc:
        raise DataError(f"{where}: {os_reason(exc)}") from None


def failure_reason(exc: BaseException) -> str | None:
    """What an exception raised while reading a file says about the file, and what to do.

    ``None`` for an exception that says nothing about the file (a bug): it is let through.
    """
    detail = " ".join((str(exc) or type(exc).__name__).split())
    if isinstance(exc, OSError):
        return os_reason(exc)
    if isinstance(exc, (zipfile.BadZipFile, zlib.error, EOFError)):
        return (f"is corrupt or truncated ({detail}); was it written completely? write it "
                "again")
    if isinstance(exc, NotImplementedError):  # zipfile: a compression method, a version
        return f"uses a feature this reader does not support ({detail}); write it again"
    if isinstance(exc, RuntimeError) and "encrypted" in detail:
        return "is encrypted; write it again without a password"
    if isinstance(exc, csv.Error):
        if "field larger than field limit" in detail:
            return (f"has a field longer than {csv.field_size_limit():,} characters, which "
                    "is no number: check the delimiter and the quotes")
        return f"is not valid delimited text ({detail}); check the quotes"
    if isinstance(exc, UnicodeError):
        return "is not a text file (it is not valid UTF-8); save it as UTF-8 text"
    if isinstance(exc, MemoryError):
        return ("needs more memory than is free to read it; give a smaller chunk size "
                "(--chunk-size)")
    if isinstance(exc, RecursionError):
        return "is nested too deeply to be parsed; is it of the type its name says?"
    if isinstance(exc, OverflowError):
        return (f"declares a size beyond what this machine can index ({detail}); is it "
                "corrupt?")
    if type(exc).__module__.partition(".")[0] == "pyarrow":
        return f"cannot be read ({detail}); is it a complete Parquet file?"
    if isinstance(exc, ValueError):
        return f"cannot be read ({detail}); is it of the type its name says?"
    return None


@contextmanager
def reading(where: str) -> Iterator[None]:
    """Turn every expected failure inside the block into a :class:`DataError` naming ``where``.

    >>> try:
    ...     with reading("y.npz"):
    ...         raise EOFError("short read")
    ... except DataError as exc:
    ...     print(exc)
    y.npz: is corrupt or truncated (short read); was it written completely? write it again
    """
    try:
        yield
    except (DataError, MissingExtraError, ArgumentError):
        raise
    except Exception as exc:
        reason = failure_reason(exc)
        if reason is None:
            raise
        raise DataError(f"{where}: {reason}") from exc


_F = TypeVar("_F", bound=Callable[..., Iterator[np.ndarray]])


def _guarded(method: _F) -> _F:
    """``method`` (a ``Source`` method that yields chunks) run under :func:`reading`."""
    @functools.wraps(method)
    def wrapper(self: Source, *args: Any, **kwargs: Any) -> Iterator[np.ndarray]:
        with reading(self.spec):
            yield from method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


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
    #: whether rows come from a .csv/.tsv file (the header options apply)
    text: bool = False
    dtype: np.dtype[Any] = np.dtype(np.float64)
    #: a short description of how the data are read, for reports
    kind: str = ""
    #: the file spec it was opened from (``None`` for an array): opening it again with
    #: :func:`~nnmath.io.open_source` gives the same rows (this is how workers read it)
    origin: str | None = None
    #: whether :meth:`read_range` goes straight to its first row (else it reads the rows
    #: before it too)
    random_access: bool = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Every reader's ``chunks`` and ``read_range`` report failures through ``reading``."""
        super().__init_subclass__(**kwargs)
        for name in ("chunks", "read_range", "read_range_reusing"):
            method = cls.__dict__.get(name)
            if method is not None:
                setattr(cls, name, _guarded(method))

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
        start, stop = _check_range(start, stop, len(self))
        step = _step(chunk_size, stop - start)

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

    def read_range_reusing(self, start: int, stop: int, chunk_size: int,
                           depth: int = 3) -> Iterator[np.ndarray]:
        """:meth:`read_range`, where the reader may read into ``depth`` buffers in turn.

        Each chunk stays valid until ``depth - 1`` more chunks have been read; the caller
        copies what it keeps. Readers that can read straight into an array (``.npy`` in C
        order) reuse their buffers, so that a pass over a large file allocates nothing
        per chunk; the others give fresh arrays, as :meth:`read_range`.
        """
        return self.read_range(start, stop, chunk_size)

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
        raise ArgumentError(f"chunk_size must be >= 1, got {chunk_size}")
    return int(chunk_size)


def _step(chunk_size: int, rows: int) -> int:
    """The chunk size, checked, and never more than ``rows`` (at least 1): a chunk size
    beyond the index range then means "all the rows at once"."""
    return min(_check_chunk_size(chunk_size), max(int(rows), 1))


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
        raise ArgumentError(f"rows [{start}, {stop}) are not within the {rows} rows")
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

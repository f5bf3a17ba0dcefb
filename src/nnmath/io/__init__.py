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
                                            header: see :class:`TextSource`
``a.parquet``   Apache Parquet              ``a.parquet:col`` likewise; list columns give
                                            2-D rows; needs the ``io`` extra (pyarrow)
==============  ==========================  ===============================================

Several files make one input when the spec is a glob (``"logits-*.npy"``, read in sorted
order of the paths), a list of paths (in the order given) or a directory (the data files
under it, sorted: a Parquet dataset); ``:key`` after a glob or a directory applies to each
file. They are read one after another as a :class:`MultiSource`.

Nothing is ever unpickled: ``.npy``/``.npz`` headers are parsed by NumPy's header reader
and an object-dtype array is refused from its header, before any of its data is read.
Only regular files are opened (a FIFO, a device or a socket is refused before it is
opened, so nothing blocks). Every problem raises :class:`DataError` (a ``ValueError``)
whose message names the file, says what is wrong and what to do: a header that lies about
the shape, a truncated or corrupt archive, a field the CSV parser cannot take, an error of
pyarrow, an unreadable file or directory. One function, ``reading``, decides what each such
failure means, for every reader.

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

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._base import (
    _PICKLE_SUFFIXES,
    FORMATS,
    DataError,
    MissingExtraError,
    Source,
    check_regular,
    parse_spec,
    reading,
    require,
)
from ._multi import MultiSource, describe_spec, expand_spec
from ._numpy import ArraySource, NpySource, NpzSource
from ._parquet import ParquetSource
from ._text import TextSource

__all__ = [
    "FORMATS",
    "ArraySource",
    "DataError",
    "MissingExtraError",
    "MultiSource",
    "Source",
    "describe_sources",
    "expand_spec",
    "load",
    "open_source",
    "parse_spec",
    "require",
]


# -- entry points --------------------------------------------------------------------------

def open_source(spec: Any, *, name: str | None = None, header: bool | None = None) -> Source:
    """Open a file spec (or wrap an array) as a :class:`Source`.

    Parameters
    ----------
    spec
        ``"path.npy"``, ``"path.npz:key"``, ``"path.csv:column"``, ``"path.tsv:column"``,
        ``"path.parquet:column"`` (see the module doc), a :class:`pathlib.Path`, or an
        array (wrapped as it is). A glob (``"logits-*.npy"``), a list of paths or a
        directory opens a :class:`MultiSource` of the files (see :func:`expand_spec`).
    name
        What the input is (``"y_pred"``), prefixed to error messages.
    header
        Whether the first line of a ``.csv``/``.tsv`` file is a header (``None``: the
        rule of :class:`TextSource`).
    """
    if isinstance(spec, Source):
        return spec
    files = expand_spec(spec, name=name)
    if files is not None:
        text = describe_spec(spec)

        def opener(f: str, n: str | None) -> Source:
            return _open_file(f, n, header)

        return MultiSource(files, f"{name} {text}" if name else text, name, opener)
    if not isinstance(spec, (str, os.PathLike)):
        return ArraySource(spec, name or "<array>")
    return _open_file(spec, name, header)


def _open_file(spec: str | os.PathLike[str], name: str | None,
               header: bool | None = None) -> Source:
    """One file (no glob); its ``origin`` is the spec."""
    src = _open_reader(spec, name, header)
    src.origin = os.fspath(spec)
    return src


def _open_reader(spec: str | os.PathLike[str], name: str | None,
                 header: bool | None) -> Source:
    path, key = parse_spec(spec)
    label = f"{name} {os.fspath(spec)}" if name else os.fspath(spec)
    suffix = path.suffix.lower()
    if suffix in _PICKLE_SUFFIXES:
        raise DataError(f"{label}: pickle files are never loaded (unpickling can run "
                        "arbitrary code); save the array with numpy.save(path, array)")
    if suffix not in FORMATS:
        raise DataError(f"{label}: unknown file type {suffix or '(no suffix)'!r}; give a "
                        f"{', '.join(FORMATS)} file")
    check_regular(path, label)  # before anything opens it: a FIFO would block
    if key is not None and suffix == ".npy":
        raise DataError(f"{label}: a .npy file holds one array; drop ':{key}'")
    with reading(label):  # every failure while opening: one DataError naming the file
        if suffix == ".npy":
            return NpySource(path, label)
        if suffix == ".npz":
            return NpzSource(path, key or None, label)
        if suffix in (".csv", ".tsv"):
            return TextSource(path, key or None, label, header)
        return ParquetSource(path, key or None, label)


def load(spec: Any, *, name: str | None = None, header: bool | None = None) -> np.ndarray:
    """Read a whole file spec into memory (see :func:`open_source`)."""
    with open_source(spec, name=name, header=header) as src:
        return src.read()


def describe_sources(sources: Sequence[Source]) -> list[dict[str, Any]]:
    """JSON-able descriptions of sources, for reports."""
    return [{"spec": s.spec, "shape": list(s.shape), "dtype": str(s.dtype), "read": s.kind}
            for s in sources]

"""The reader of Apache Parquet files (the ``io`` extra: pyarrow)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ._base import Source, _check_range, _step, rechunk, require
from ._text import _select_columns

# -- parquet -------------------------------------------------------------------------------

class ParquetSource(Source):
    """Columns of a Parquet file, read one record batch at a time (needs pyarrow)."""

    kind = "parquet, record batches"
    random_access = True

    def __init__(self, path: Path, key: str | None, spec: str) -> None:
        self.spec = spec
        require("pyarrow", "io", "reading Parquet files")
        pq = require("pyarrow.parquet", "io", "reading Parquet files")
        import pyarrow as pa

        self._pa = pa
        try:
            # no pre-buffering: by default pyarrow reads ahead far more than a batch (the
            # whole file, for a few row groups); a buffered stream reads page by page
            self._file = pq.ParquetFile(path, pre_buffer=False, buffer_size=1 << 20)
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
        """The length of the first list that is not null (0 when there is none: the rows
        are then refused for their nulls when read)."""
        for batch in self._file.iter_batches(batch_size=1024, columns=self._columns):
            lengths = batch.column(0).value_lengths().drop_null()
            if len(lengths):
                return int(lengths[0].as_py())
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
        return self.read_range(0, len(self), chunk_size)

    def read_range(self, start: int, stop: int, chunk_size: int) -> Iterator[np.ndarray]:
        """Rows ``[start, stop)``: only the row groups that hold them are read."""
        start, stop = _check_range(start, stop, len(self))
        step = _step(chunk_size, stop - start)
        if self._file is None:
            raise self.error("is closed")
        meta = self._file.metadata
        groups: list[int] = []
        first = pos = 0
        for g in range(meta.num_row_groups):
            n = meta.row_group(g).num_rows
            if pos + n > start and pos < stop:
                if not groups:
                    first = pos
                groups.append(g)
            pos += n
        yield from rechunk(self._batches(groups, first, start, stop, step), step)

    def _batches(self, groups: list[int], first: int, start: int, stop: int,
                 step: int) -> Iterator[np.ndarray]:
        if not groups:
            return
        pos = first  # the row number of the next batch's first row
        for batch in self._file.iter_batches(batch_size=step, row_groups=groups,
                                             columns=self._columns):
            n = batch.num_rows
            lo, hi = max(start - pos, 0), min(stop - pos, n)
            if hi > lo:
                if lo or hi < n:
                    batch = batch.slice(lo, hi - lo)
                cols = [self._column(batch.column(i), name, pos + lo)
                        for i, name in enumerate(self._columns)]
                yield (cols[0] if len(cols) == 1
                       else np.stack(cols, axis=1).astype(self.dtype))
            pos += n
            if pos >= stop:
                return

    def close(self) -> None:
        f = getattr(self, "_file", None)
        if f is not None:
            f.close()
            self._file = None

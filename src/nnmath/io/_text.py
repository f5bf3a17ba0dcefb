"""The reader of ``.csv`` and ``.tsv`` text files."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ._base import DataError, Source, _step

# -- text ------------------------------------------------------------------------------------

def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _pandas_names(fields: list[str]) -> bool:
    """Whether the fields are pandas' default column names ``0, 1, ..., n-1``."""
    return fields == [str(i) for i in range(len(fields))]


def decide_header(fields: list[str], header: bool | None, where: str) -> bool:
    """Whether the first line (its ``fields``) is a header.

    ``header`` says it; ``None`` applies the rule: a header when a field is empty or not
    a number, data when every field is a number, except pandas' default column names
    ``0,1,...,n-1`` (which are numbers too), an error asking to say.

    >>> decide_header(["label", "p0"], None, "f.csv"), decide_header(["1", "0.5"], None, "")
    (True, False)
    """
    if header is not None:
        return bool(header)
    if not all(f and _is_number(f) for f in fields):
        return True
    if _pandas_names(fields):
        raise DataError(
            f"{where}: its first line {','.join(fields)!r} may be a header (pandas writes "
            "these column names by default) or a row of data; say which: --header or "
            "--no-header (header=True or header=False)")
    return False


def _select_columns(key: str | None, header: list[str] | None, ncols: int,
                    where: str) -> list[int]:
    """The 0-based columns that ``key`` picks: names of the header first, else 0-based
    (or negative) indices; a name that the header holds twice, or a column picked twice,
    is an error."""
    if key is None:
        return list(range(ncols))
    picked: list[int] = []
    for item in (k.strip() for k in key.split(",")):
        names = f"columns {', '.join(header)}" if header else f"{ncols} unnamed columns"
        if header is not None and item in header:
            at = [i for i, h in enumerate(header) if h == item]
            if len(at) > 1:
                raise DataError(f"{where}: its header names {len(at)} columns {item!r} "
                                f"(columns {', '.join(map(str, at))}); pick one by its 0-based "
                                "index, or rename the columns")
            col = at[0]
        elif item.isascii() and item.lstrip("-").isdigit() and -ncols <= int(item) < ncols:
            col = int(item) % ncols
        else:
            raise DataError(f"{where}: has no column {item!r}; it has {names} (pick one by "
                            "name or by 0-based index)")
        if col in picked:
            raise DataError(f"{where}: column {col} is picked twice ({key!r}); pick each "
                            "column once")
        picked.append(col)
    return picked


class TextSource(Source):
    """A ``.csv`` (comma) or ``.tsv`` (tab) file: numbers, maybe a header line.

    ``header`` says whether the first non-blank line is a header; ``None`` decides by
    :func:`decide_header`. Columns are picked by :func:`_select_columns`.
    """

    text = True

    def __init__(self, path: Path, key: str | None, spec: str,
                 header: bool | None = None) -> None:
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
        self.header = fields if decide_header(fields, header, spec) else None
        if self.header is not None:
            self._rows -= 1
        self._cols = _select_columns(key, self.header, len(fields), spec)
        #: whether the columns were listed (``file.csv:a,b``) rather than all taken
        self.columns_listed = key is not None
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
        step = _step(chunk_size, len(self))
        block: list[tuple[int, str]] = []
        for item in self._lines():
            block.append(item)
            if len(block) == step:
                yield self._shape_rows(self._parse(block))
                block = []
        if block:
            yield self._shape_rows(self._parse(block))

    @property
    def columns(self) -> list[int]:
        """The 0-based columns read, in order."""
        return list(self._cols)

    def column_name(self, col: int) -> str:
        """A column by its header name (or its 0-based index, without a header)."""
        return self.header[col] if self.header is not None else str(col)

    def _shape_rows(self, rows: np.ndarray) -> np.ndarray:
        return rows[:, 0] if len(self.shape) == 1 else rows

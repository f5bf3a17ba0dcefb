"""The inputs of an evaluation: opened, checked against each other, cut into segments.

An input is one file, an array, or several files (a glob, a list, a directory). Files are
paired in order: when two inputs are both several files, they must be as many, and the
i-th of one must have as many rows as the i-th of the other. An input of one file (or an
array) goes with any number of files of the others, by rows.

A *segment* is a range of rows that lies within one file of every input: the files'
boundaries cut the rows into segments. Both engines read the inputs segment by segment,
in chunks that begin at the segment's start, so that they read the same chunks.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..io import DataError, MultiSource, Source, open_source, parse_spec
from ..io._text import TextSource
from ._plan import Piece

ROLES = ("y_true", "y_pred", "sample_weight")

_ORDINALS = {1: "st", 2: "nd", 3: "rd"}


def _ordinal(i: int) -> str:
    suffix = "th" if 10 <= i % 100 <= 20 else _ORDINALS.get(i % 10, "th")
    return f"{i}{suffix}"


@dataclass
class Inputs:
    """The opened inputs (y_true, y_pred and maybe sample_weight) and their segments."""

    sources: list[Source]
    segments: list[tuple[int, int]]

    @property
    def n_rows(self) -> int:
        return len(self.sources[0])

    @property
    def roles(self) -> tuple[str, ...]:
        return ROLES[:len(self.sources)]

    def locate(self, index: int, start: int, stop: int) -> tuple[int | None, int, int]:
        """Rows ``[start, stop)`` (within one segment) of input ``index``: the file index
        (``None`` for a single file or an array) and the rows within that file."""
        src = self.sources[index]
        if isinstance(src, MultiSource):
            part = src.part_of(start)
            base = src.offsets[part]
            return part, start - base, stop - base
        return None, start, stop

    def random_access(self, start: int, stop: int) -> bool:
        """Whether every input reads rows ``[start, stop)`` (one segment) directly, without
        reading the rows before them."""
        for i, src in enumerate(self.sources):
            part, _, _ = self.locate(i, start, stop)
            if isinstance(src, MultiSource) and part is not None:
                direct = src.random_access_parts[part]
            else:
                direct = src.random_access
            if not direct:
                return False
        return True

    def open_piece(self, index: int, start: int, stop: int) -> tuple[Piece, Source | None]:
        """The piece of rows ``[start, stop)`` (within one segment) of input ``index``, and
        the file opened for it, if any (the caller closes it)."""
        src = self.sources[index]
        part, lo, hi = self.locate(index, start, stop)
        if part is None:
            return Piece(src, lo, hi, lo), None
        assert isinstance(src, MultiSource)
        f = src.open_part(part)
        return Piece(f, lo, hi, lo), f

    def open_pieces(self, start: int, stop: int) -> tuple[list[Piece], list[Source]]:
        """The pieces of rows ``[start, stop)`` of every input, and the files opened for
        them (the caller closes those)."""
        pieces, opened = [], []
        try:
            for i in range(len(self.sources)):
                piece, f = self.open_piece(i, start, stop)
                pieces.append(piece)
                if f is not None:
                    opened.append(f)
        except BaseException:
            for f in opened:
                f.close()
            raise
        return pieces, opened

    def close(self) -> None:
        for src in self.sources:
            src.close()


def _files(src: Source) -> list[tuple[str, int]]:
    if isinstance(src, MultiSource):
        prefix = f"{src.name} " if src.name else ""
        return [(f"{prefix}{f}", n) for f, n in zip(src.files, src.lengths, strict=True)]
    return [(src.spec, len(src))]


def check_inputs(sources: Sequence[Source]) -> list[tuple[int, int]]:
    """Check that the inputs go together (pairs of files, rows); return the segments."""
    files = [_files(s) for s in sources]
    multi = [i for i, f in enumerate(files) if len(f) > 1]
    for i, j in itertools.pairwise(multi):
        a, b = sources[i], sources[j]
        if len(files[i]) != len(files[j]):
            raise DataError(
                f"{a.spec} is {len(files[i])} files but {b.spec} is {len(files[j])}: files "
                "are paired in sorted order, so give as many of each (or a single file for "
                "one of them)")
        for k, ((fa, na), (fb, nb)) in enumerate(zip(files[i], files[j], strict=True), 1):
            if na != nb:
                raise DataError(
                    f"{fa} has {na:,} rows but {fb} has {nb:,}: files are paired in sorted "
                    f"order (these are the {_ordinal(k)} of each), and each pair needs one row "
                    "per sample, in the same order")
    n = len(sources[0])
    for src in sources[1:]:
        if len(src) != n:
            raise DataError(f"{sources[0].spec} has {n:,} rows but {src.spec} has "
                            f"{len(src):,}: every input needs one row per sample, in the "
                            "same order")
    if n == 0:
        raise DataError(f"{sources[0].spec}: has no rows; there is nothing to evaluate")
    cuts = {0, n}
    for i in multi:
        src = sources[i]
        assert isinstance(src, MultiSource)
        cuts.update(src.offsets)
    edges = sorted(cuts)
    return [(a, b) for a, b in itertools.pairwise(edges) if b > a]


def _text_paths(src: Source) -> dict[str, int | None]:
    """The .csv/.tsv files an input reads (resolved path → its part, ``None`` when the
    input is that one file)."""
    if isinstance(src, TextSource):
        return {str(src.path.resolve()): None}
    out: dict[str, int | None] = {}
    if isinstance(src, MultiSource):
        for i, f in enumerate(src.files):
            path, _ = parse_spec(f)
            if path.suffix.lower() in (".csv", ".tsv"):
                out.setdefault(str(path.resolve()), i)
    return out


def _columns_of(src: Source, part: int | None) -> tuple[TextSource, Source | None]:
    if part is None:
        assert isinstance(src, TextSource)
        return src, None
    assert isinstance(src, MultiSource)
    f = src.open_part(part)
    assert isinstance(f, TextSource)
    return f, f


def check_columns(sources: Sequence[Source]) -> None:
    """Refuse two inputs that read a column of the same .csv/.tsv file (``--y-pred
    data.csv`` without a column list takes the labels' column as a class)."""
    paths = [_text_paths(s) for s in sources]
    for (i, a), (j, b) in itertools.combinations(enumerate(paths), 2):
        for path in sorted(set(a) & set(b)):
            ta, fa = _columns_of(sources[i], a[path])
            try:
                tb, fb = _columns_of(sources[j], b[path])
                try:
                    shared = [c for c in ta.columns if c in tb.columns]
                    if not shared:
                        continue
                    # the input that took every column is the one to fix
                    fix, other = (ta, tb) if not ta.columns_listed else (tb, ta)
                    rest = [fix.column_name(c) for c in fix.columns if c not in other.columns]
                    example = (f", e.g. {path}:{','.join(rest)}" if rest else "")
                    how = "" if fix.columns_listed else " (no column list: every column)"
                    raise DataError(
                        f"{fix.spec} reads column {fix.column_name(shared[0])!r}{how}, which "
                        f"{other.spec} reads too: an input cannot take another's column; list "
                        f"the columns of each input after the file name{example}")
                finally:
                    if fb is not None:
                        fb.close()
            finally:
                if fa is not None:
                    fa.close()


def open_inputs(y_true: Any, y_pred: Any, sample_weight: Any = None,
                header: bool | None = None) -> Inputs:
    """Open the inputs (file specs, globs, lists of paths or arrays) and check them."""
    opened: list[Source] = []
    try:
        for role, spec in zip(ROLES, (y_true, y_pred, sample_weight), strict=True):
            if role == "sample_weight" and spec is None:
                continue
            opened.append(open_source(spec, name=role, header=header))
        check_columns(opened)
        segments = check_inputs(opened)
    except BaseException:
        for src in opened:
            src.close()
        raise
    return Inputs(opened, segments)

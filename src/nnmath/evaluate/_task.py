"""The task of an evaluation, decided from the shapes and, where they leave it open, from
every row of the labels.

Predictions of one column make a binary task and integer labels ``(N,)`` a multiclass
one: the shapes say it. Labels of as many columns as the predictions are either one-hot
(or probability) rows — multiclass — or rows of 0/1 with several or no 1s — multilabel;
``task="auto"`` reads every row of the labels first (a pass over ``y_true`` alone) and
decides so that the answer is the same whatever the chunking:

* every row >= 0 and summing to 1: multiclass;
* else every row 0/1: multilabel;
* else an error naming a row of each kind, asking for ``--task``.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..io import DataError, Source
from ._checks import (
    RowError,
    binary_rows,
    nan_labels,
    probability_rows,
    raise_earliest,
    show_row,
    why_not_probabilities,
)
from ._inputs import Inputs


def _width(src: Source) -> int:
    return 1 if src.ndim == 1 else int(src.shape[1])


def decide_task(task: str, inputs: Inputs, step: int) -> tuple[str, list[str]]:
    """The task (``task``, or the one ``"auto"`` stands for) and notes on the choice."""
    yt_src, yp_src = inputs.sources[0], inputs.sources[1]
    if yp_src.ndim not in (1, 2):
        raise DataError(f"{yp_src.spec}: has shape {yp_src.shape}; predictions must be (N,) "
                        "or (N, C): one row of scores per sample")
    if yt_src.ndim not in (1, 2):
        raise DataError(f"{yt_src.spec}: has shape {yt_src.shape}; labels must be (N,), "
                        "(N, 1) or (N, C)")
    c, t_cols = _width(yp_src), _width(yt_src)
    if c == 0:
        raise DataError(f"{yp_src.spec}: has no columns (shape {yp_src.shape})")
    if task != "auto":
        return task, []
    if c == 1:
        return "binary", []
    if t_cols == 1:
        return "multiclass", []
    if t_cols != c:
        raise DataError(
            f"{yt_src.spec} has {t_cols} columns and {yp_src.spec} has {c}: give integer "
            f"labels (N,) or rows of {c} (one-hot or 0/1), one column per class of y_pred")
    return _scan_label_rows(inputs, step)


class _First:
    """The first row of a kind seen in the scan: where it is and what it holds."""

    def __init__(self) -> None:
        self.where: tuple[str, int, np.ndarray] | None = None
        self.count = 0

    def see(self, mask: np.ndarray, y: np.ndarray, spec: str, start: int) -> None:
        idx = np.flatnonzero(mask)
        self.count += int(idx.size)
        if idx.size and self.where is None:
            i = int(idx[0])
            self.where = (spec, start + i, y[i].copy())


def _scan_label_rows(inputs: Inputs, step: int) -> tuple[str, list[str]]:
    not_prob, not_binary = _First(), _First()
    n = 0
    for a, b in inputs.segments:
        piece, opened = inputs.open_piece(0, a, b)
        try:
            done = 0
            for chunk in piece.chunks(step):
                spec, start = piece.source.spec, piece.first_row + done
                y = chunk.astype(np.float64, copy=False)
                prob, _ = probability_rows(y)
                binary = binary_rows(y)
                found: list[tuple[int, Callable[[], str]]] = nan_labels(chunk, spec, start)
                neither = np.flatnonzero(~prob & ~binary)
                if neither.size:
                    i = int(neither[0])

                    def message(i: int = i, spec: str = spec, start: int = start,
                                y: np.ndarray = y) -> str:
                        return (f"{spec}: row {start + i} is {show_row(y[i])}: not a one-hot "
                                f"(or probability) row (it {why_not_probabilities(y[i])}) nor "
                                "a row of 0/1 labels; pass --task multiclass or --task "
                                "multilabel to say what the rows are")

                    found.append((i, message))
                try:
                    raise_earliest(found)
                except RowError as exc:
                    raise DataError(str(exc)) from None
                not_prob.see(~prob, y, spec, start)
                not_binary.see(~binary, y, spec, start)
                done += len(chunk)
            n += done
        finally:
            if opened is not None:
                opened.close()
    if not_prob.where is None:
        return "multiclass", ["task auto: multiclass (every y_true row is one-hot or sums to "
                              "1); pass --task multilabel if a sample can have several labels"]
    if not_binary.where is None:
        spec, row, _ = not_prob.where
        return "multilabel", [f"task auto: multilabel (y_true rows are 0/1; {not_prob.count:,} "
                              f"of {n:,} have several or no 1s, the first at row {row} of "
                              f"{spec})"]
    (s1, r1, v1), (s2, r2, v2) = not_binary.where, not_prob.where
    raise DataError(f"{s1}: row {r1} is {show_row(v1)} (a probability row, not 0/1) but row "
                    f"{r2}{'' if s2 == s1 else ' of ' + s2} is {show_row(v2)} (0/1 labels, "
                    "not one-hot): the rows are neither all one-hot/probability rows "
                    "(multiclass) nor all 0/1 (multilabel); pass --task multiclass or --task "
                    "multilabel")

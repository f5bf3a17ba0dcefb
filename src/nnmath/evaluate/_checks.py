"""The checks on every chunk of labels, predictions and weights, and what they count.

Every row is checked, whatever the chunk it falls in: the messages name the file, the
row (counted in its own file) and what to do. What is worth reporting without being an
error (rows of probabilities that do not sum to 1) is counted in :class:`RowCounts`,
whose totals merge exactly across chunks and Dask partitions.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..io import DataError

#: a row of probabilities (predictions, or one-hot/soft labels) "sums to 1" when the sum
#: differs from 1 by at most this much
SUM_TOL = 1e-3


class RowError(DataError):
    """A problem in a row of a chunk; ``index`` is the row's position in the chunk, so
    that of several problems in a chunk the earliest row is reported, whatever the
    chunking."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.index = index


def raise_earliest(found: list[tuple[int, Callable[[], str]]]) -> None:
    """Raise the :class:`RowError` of the earliest row of ``found`` (index, message)
    (the first listed on a tie); nothing when ``found`` is empty."""
    if found:
        index, message = min(found, key=lambda item: item[0])
        raise RowError(message(), index)


def first_index(bad: np.ndarray) -> int | None:
    """The position of the first row of ``bad`` (rows, or rows × columns) that is True."""
    rows = bad.reshape(len(bad), -1).any(axis=1) if bad.ndim > 1 else bad
    idx = np.flatnonzero(rows)
    return int(idx[0]) if idx.size else None


def example(values: np.ndarray, bad: np.ndarray) -> str:
    """The first value of ``values`` where ``bad`` is True."""
    v = np.atleast_1d(values)[np.atleast_1d(bad)].ravel()[0]
    return f"{float(v):g}"


def show_row(row: np.ndarray) -> str:
    """A row for a message: ``[0, 1, 1]`` (the first 8 values)."""
    vals = ", ".join(f"{float(v):g}" for v in row[:8])
    return f"[{vals}{', ...' if len(row) > 8 else ''}]"


def nan_labels(yt: np.ndarray, spec: str, start: int) -> list[tuple[int, Callable[[], str]]]:
    """The NaN labels of a chunk, as a problem for :func:`raise_earliest`."""
    if yt.dtype.kind != "f":
        return []
    i = first_index(np.isnan(yt))
    if i is None:
        return []
    return [(i, lambda: f"{spec}: holds NaN at row {start + i}; every sample needs a label")]


def probability_rows(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of a 2-D float array: whether it is a probability row (finite, >= 0,
    summing to 1 within :data:`SUM_TOL`), and its sum (in float64).

    A NaN or an infinity makes the row's sum NaN or infinite, so the test of the sum
    refuses it; negative entries are looked for row by row only when the chunk has one."""
    with np.errstate(invalid="ignore", over="ignore"):
        sums = y.sum(axis=1, dtype=np.float64)
        ok = np.abs(sums - 1) <= SUM_TOL
        negative = y < 0
        if negative.any():
            ok &= ~negative.any(axis=1)
    return ok, sums


def binary_rows(y: np.ndarray) -> np.ndarray:
    """Per row of a 2-D array: whether it holds only 0s and 1s."""
    return ((y == 0) | (y == 1)).all(axis=1)


def why_not_probabilities(row: np.ndarray) -> str:
    """Why a row (that :func:`probability_rows` refused) is not a probability row."""
    if not np.isfinite(row).all():
        return "holds a value that is not finite"
    if (row < 0).any():
        return "holds a negative value"
    with np.errstate(over="ignore"):
        return f"sums to {float(row.sum()):g}"


@dataclass
class RowCounts:
    """Totals over every row checked: rows of probabilities whose sum is not 1 (and the
    largest |sum - 1|), rows with a positive weight. They add up exactly."""

    rows: int = 0
    rows_off: int = 0
    max_off: float = 0.0
    weighted_rows: int = 0
    positive_weights: int = 0

    def get_state(self) -> dict[str, Any]:
        return {"rows": self.rows, "rows_off": self.rows_off, "max_off": self.max_off,
                "weighted_rows": self.weighted_rows, "positive_weights": self.positive_weights}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> RowCounts:
        return cls(int(state["rows"]), int(state["rows_off"]), float(state["max_off"]),
                   int(state["weighted_rows"]), int(state["positive_weights"]))

    def merge(self, other: RowCounts) -> None:
        self.rows += other.rows
        self.rows_off += other.rows_off
        self.max_off = max(self.max_off, other.max_off)
        self.weighted_rows += other.weighted_rows
        self.positive_weights += other.positive_weights


def check_scores(yp: np.ndarray, labels: str, from_logits: bool, two_column: bool,
                 counts: RowCounts, spec: str, start: int) -> np.ndarray:
    """A chunk of predictions, checked (as float); counts rows of probabilities whose sum
    is not 1 (multiclass, and the two columns of a binary task)."""
    if yp.dtype.kind not in "f":
        yp = yp.astype(np.float64)
    found: list[tuple[int, Callable[[], str]]] = []
    nan = np.isnan(yp)
    i_nan = first_index(nan)
    if i_nan is not None:
        found.append((i_nan, lambda: f"{spec}: holds NaN at row {start + i_nan}; a NaN "
                                     "prediction cannot be scored: fix the model or drop "
                                     "those rows"))
    if not from_logits:
        outside = (yp < 0) | (yp > 1)
        i_out = first_index(outside)
        if i_out is not None:
            found.append((i_out, lambda: f"{spec}: holds {example(yp[i_out], outside[i_out])} "
                                         f"at row {start + i_out}, outside [0, 1]: these look "
                                         "like logits; pass --from-logits (from_logits=True)"))
        if labels in ("sparse", "onehot") or two_column:
            sums = yp.sum(axis=1, dtype=np.float64)
            i_zero = first_index(sums == 0)
            if i_zero is not None:
                found.append((i_zero, lambda: f"{spec}: row {start + i_zero} is all zeros; a "
                                              "row of class probabilities must sum to 1 (it "
                                              "cannot be renormalised): fix the model or drop "
                                              "that row"))
    raise_earliest(found)
    counts.rows += len(yp)
    if not from_logits and (labels in ("sparse", "onehot") or two_column):
        off = np.abs(sums - 1)
        n_off = int(np.count_nonzero(off > SUM_TOL))
        if n_off:
            counts.rows_off += n_off
            counts.max_off = max(counts.max_off, float(off.max()))
    return yp


def check_labels(yt: np.ndarray, labels: str, n_classes: int, spec: str, start: int,
                 classes_of: str) -> np.ndarray:
    """A chunk of labels, checked; binary and sparse labels come back as one column."""
    found = nan_labels(yt, spec, start)
    out = yt
    if labels == "binary" and yt.ndim == 2 and yt.shape[1] == 2:
        # two one-hot columns: column 1 is the positive class
        bad = ~(binary_rows(yt) & (yt.sum(axis=1) == 1))
        i = first_index(bad)
        if i is not None:
            k: int = i  # an int inside the closure (mypy)
            found.append((k, lambda: f"{spec}: row {start + k} is {show_row(yt[k])}; two label "
                                     "columns of a binary task must be one-hot ([1, 0] or "
                                     "[0, 1]): column 1 is the positive class"))
        out = yt[:, 1]
    elif labels in ("binary", "multilabel"):
        out = yt.reshape(len(yt)) if labels == "binary" else yt
        bad = (out != 0) & (out != 1)
        i = first_index(bad)
        if i is not None:
            what = "binary" if labels == "binary" else "multi-label"
            hint = ("; for more classes give y_pred one column per class"
                    if labels == "binary" else "")
            k = i
            found.append((k, lambda: f"{spec}: holds {example(out[k], bad[k])} at row "
                                     f"{start + k}; {what} labels must be 0 or 1{hint}"))
    elif labels == "sparse":
        out = yt.reshape(len(yt))
        if out.dtype.kind == "f":
            frac = out != np.floor(out)
            i = first_index(frac)
            if i is not None:
                k = i
                found.append((k, lambda: f"{spec}: holds {float(out[k]):g} at row {start + k}; "
                                         "class labels must be integers 0..C-1 (or give "
                                         "one-hot rows)"))
        with np.errstate(invalid="ignore"):
            bad = (out < 0) | (out >= n_classes)
        i_out = first_index(bad)
        if i_out is not None:
            found.append((i_out, lambda: f"{spec}: holds label {float(out[i_out]):g} at row "
                                         f"{start + i_out}, outside the {n_classes} classes "
                                         f"0..{n_classes - 1} of {classes_of}; y_pred needs "
                                         "one column per class (are the labels 1-based?)"))
    else:  # one-hot / probability rows: every row, whatever the chunk
        y = yt if yt.dtype.kind == "f" else yt.astype(np.float64)
        ok, _ = probability_rows(y)
        i = first_index(~ok)
        if i is not None:
            k = i
            found.append((k, lambda: f"{spec}: row {start + k} is {show_row(y[k])}, which "
                                     f"{why_not_probabilities(y[k])}; one-hot (or probability) "
                                     "label rows hold values >= 0 that sum to 1 (pass --task "
                                     "multilabel if a sample can have several labels, or "
                                     "none)"))
    raise_earliest(found)
    return out.astype(np.int64) if labels == "sparse" else out


def check_weights(w: np.ndarray, counts: RowCounts, spec: str, start: int) -> np.ndarray:
    w = w.reshape(len(w), -1)
    if w.shape[1] != 1:
        raise DataError(f"{spec}: has {w.shape[1]} columns; give one weight per sample")
    w = w[:, 0].astype(np.float64)
    bad = ~np.isfinite(w) | (w < 0)
    i = first_index(bad)
    if i is not None:
        raise RowError(f"{spec}: holds {float(w[i]):g} at row {start + i}; sample weights "
                       "must be finite and >= 0", i)
    counts.weighted_rows += len(w)
    counts.positive_weights += int(np.count_nonzero(w))
    return w

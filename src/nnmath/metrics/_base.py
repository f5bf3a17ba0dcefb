"""The streaming machinery: ``Metric`` (state, merge, JSON state) and ``MeanMetric``.

A metric is a pure per-sample function plus a state that accumulates it. Here the state
is *exact*: counts are Python integers and weighted totals are exact rationals
(:class:`fractions.Fraction`, sums of float64 values computed without rounding by
:mod:`._exact`), so

* ``result()`` is the correctly rounded value of the exact ratio, at any number of
  samples (Keras and torchmetrics keep float32 totals, which stop counting at 2**24);
* the result does not depend on how the data were split into batches, nor on the order
  in which the partial states of several workers are merged: ``merge_state`` of any
  split equals one pass over all the data, bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np

from .._array import float_input, same_rank
from ._exact import decode, encode, exact_sum, to_float

__all__ = ["MeanMetric", "Metric", "to_numpy", "weights"]

#: The version of the ``get_state()`` format.
STATE_FORMAT = 1

_CLASSES: dict[str, type[Metric]] = {}

Exact = Fraction | float  # a float only for nan / ±inf totals


def to_numpy(x: Any) -> np.ndarray:
    """A NumPy view of an array of any library (metrics accumulate on the host)."""
    if isinstance(x, np.ndarray):
        return x
    try:
        return np.asarray(x)
    except (TypeError, ValueError, RuntimeError):  # pragma: no cover - depends on the library
        return np.from_dlpack(x)


def weights(sample_weight: Any) -> np.ndarray:
    """``sample_weight`` as float64, refusing negative and non-finite weights."""
    _, w, _ = float_input(to_numpy(sample_weight), "sample_weight")
    w = np.asarray(w, dtype=np.float64)
    if not np.all(np.isfinite(w)):
        raise ValueError("sample_weight must be finite (no NaN or inf)")
    if np.any(w < 0):
        raise ValueError(f"sample_weight must be >= 0, got a minimum of {float(w.min())!r}")
    return w


def align_weights(w: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Broadcast ``w`` over the trailing dimensions of ``shape`` (a prefix of it)."""
    if w.ndim > len(shape):
        raise ValueError(
            f"sample_weight of shape {w.shape} has more dimensions than the per-sample "
            f"values of shape {shape}"
        )
    w = w.reshape(w.shape + (1,) * (len(shape) - w.ndim))
    try:
        return np.broadcast_to(w, shape)
    except ValueError:
        raise ValueError(
            f"sample_weight of shape {w.shape} does not fit the per-sample values of shape "
            f"{shape}: give one weight per sample (a shape that is a prefix of theirs)"
        ) from None


def add(a: Exact, b: Exact) -> Exact:
    """Exact addition; a non-finite (float) total absorbs everything."""
    if isinstance(a, float) or isinstance(b, float):
        return to_float(a) + to_float(b)
    return a + b


def exact_total(v: np.ndarray) -> Exact:
    """The exact sum of ``v`` (bool: the count of True); nan/inf give a float."""
    if v.dtype == np.bool_:
        return Fraction(int(np.count_nonzero(v)))
    v = np.asarray(v, dtype=np.float64)
    finite = np.isfinite(v)
    if not finite.all():
        return float(np.sum(v[~finite]))
    return exact_sum(v)


def divide(total: Exact, count: Fraction) -> float:
    """``total / count`` correctly rounded; 0.0 when ``count`` is 0 (Keras's divide_no_nan)."""
    if count == 0:
        return 0.0
    if isinstance(total, float):
        return total  # nan or ±inf: a positive count keeps it
    return to_float(total / count)


class Metric:
    """Base class of the streaming metrics.

    Subclasses set ``name`` (the default instance name, as in Keras), ``_params`` (the
    constructor parameters besides ``name``) and implement ``update_state``, ``result``,
    ``reset_state``, ``_state``, ``_set_state`` and ``_merge``.

    Every metric has

    * ``update_state(y_true, y_pred, sample_weight=None)``: accumulate one batch;
    * ``result()``: the value so far (0.0 before any update, as Keras);
    * ``reset_state()``;
    * ``merge_state(*others)``: add the states of metrics of the same class and
      configuration (updated on other batches, other workers) into this one;
    * ``get_state()`` / ``Class.from_state(state)``: a JSON-able dict and back;
    * ``__call__(y_true, y_pred, sample_weight=None)``: update, then return ``result()``.

    Examples
    --------
    ``Metric.from_state`` rebuilds whichever metric a state came from:

    >>> from nnmath.metrics import BinaryAccuracy
    >>> m = BinaryAccuracy(threshold=0.3)
    >>> m.update_state([1, 0, 1], [0.9, 0.1, 0.2])
    >>> state = m.get_state()
    >>> state["state"], state["config"]
    ({'total': 2, 'count': 3}, {'threshold': 0.3, 'name': 'binary_accuracy'})
    >>> Metric.from_state(state)
    BinaryAccuracy(threshold=0.3, name='binary_accuracy')
    """

    name: str = ""
    _params: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("_") and cls.__name__ != "MeanMetric":
            _CLASSES[cls.__name__] = cls

    def __init__(self, name: str | None = None) -> None:
        self.name = type(self).name if name is None else str(name)
        self.reset_state()

    # -- to implement -----------------------------------------------------------------------
    def update_state(self, y_true: Any, y_pred: Any,
                     sample_weight: Any = None) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def result(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def reset_state(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _state(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _set_state(self, state: Mapping[str, Any]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _merge(self, other: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- shared -----------------------------------------------------------------------------
    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        """Update with one batch and return the result so far."""
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments: ``type(m)(**m.get_config())`` is a fresh copy of m."""
        config = {p: getattr(self, p) for p in self._params}
        config["name"] = self.name
        return config

    def _compatible(self, other: Any) -> None:
        if not isinstance(other, Metric):
            raise TypeError(f"others must be metrics, got {type(other).__name__}")
        if type(other) is not type(self):
            raise TypeError(
                f"others: cannot merge a {type(other).__name__} into a {type(self).__name__}"
            )
        mine = {p: getattr(self, p) for p in self._params}
        theirs = {p: getattr(other, p) for p in self._params}
        if mine != theirs:
            diff = {p: (mine[p], theirs[p]) for p in mine if mine[p] != theirs[p]}
            raise ValueError(f"others: cannot merge metrics of different configurations: {diff}")

    def merge_state(self, *others: Any) -> None:
        """Add the states of ``others`` (same class and configuration) into this metric.

        A single list or tuple of metrics is accepted too (Keras's signature). After the
        merge this metric holds exactly what one pass over all their data would hold.
        """
        if len(others) == 1 and isinstance(others[0], (list, tuple)):
            others = tuple(others[0])
        for other in others:
            self._compatible(other)
        for other in others:
            if other is self:
                raise ValueError("others: a metric cannot be merged into itself")
        for other in others:
            self._merge(other)

    def get_state(self) -> dict[str, Any]:
        """The state as a JSON-able dict: ``metric`` (the class), ``config``, ``state``."""
        return {"metric": type(self).__name__, "format": STATE_FORMAT,
                "config": self.get_config(), "state": self._state()}

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Metric:
        """Rebuild a metric from :meth:`get_state`'s dict (or its JSON, parsed).

        Called on :class:`Metric` itself, the class is taken from the state.
        """
        if not isinstance(state, Mapping) or not {"metric", "config", "state"} <= set(state):
            raise ValueError("state must be a dict from get_state() with 'metric', 'config' "
                             "and 'state'")
        if state.get("format", STATE_FORMAT) != STATE_FORMAT:
            raise ValueError(f"state has format {state['format']!r}; this version reads "
                             f"format {STATE_FORMAT}")
        klass = _CLASSES.get(str(state["metric"]))
        if klass is None:
            raise ValueError(f"state is of an unknown metric {state['metric']!r}")
        if cls is not Metric and klass is not cls:
            raise ValueError(f"state is of a {klass.__name__}, not a {cls.__name__}")
        metric = klass(**dict(state["config"]))
        metric._set_state(state["state"])
        return metric

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class MeanMetric(Metric):
    """A (weighted) mean of per-sample values, as Keras's ``MeanMetricWrapper``.

    ``_values(y_true, y_pred)`` returns the per-sample (or per-element) values — booleans
    for the accuracies, floats for the losses — and an optional boolean mask of samples
    that count. Weighting follows Keras: the values of one sample (trailing dimensions
    beyond ``sample_weight``'s) are averaged; ``sample_weight`` broadcasts over them; a
    scalar ``sample_weight`` weighs the whole batch as one sample of that weight. The
    result is ``Σ w·v / Σ w``.

    Examples
    --------
    Three decisions per sample, each sample weighing 1:

    >>> from nnmath.metrics import BinaryAccuracy
    >>> m = BinaryAccuracy()
    >>> m.update_state([[1, 1, 0], [1, 1, 1]], [[0.9, 0.8, 0.7], [0.9, 0.1, 0.1]])
    >>> m.result()  # (2/3 + 1/3) / 2
    0.5
    >>> m.update_state([[0, 0, 0]], [[0.1, 0.1, 0.1]], sample_weight=2.0)  # a heavy batch
    >>> m.result()  # (2/3 + 1/3 + 2·1) / (2 + 2)
    0.75
    """

    def reset_state(self) -> None:
        """Forget everything: back to 0 samples."""
        self._total: Exact = Fraction(0)
        self._count = Fraction(0)

    def _values(self, y_true: Any, y_pred: Any) -> tuple[Any, Any]:  # pragma: no cover
        raise NotImplementedError

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Accumulate one batch (see the class doc for how weights apply)."""
        values, mask = self._values(y_true, y_pred)
        v = to_numpy(values)
        w = None if sample_weight is None else weights(sample_weight)
        if mask is not None:
            m = to_numpy(mask).astype(np.float64)
            w = m if w is None else (align_weights(w, v.shape) * m if w.ndim else w * m)
        total, count = _accumulate(v, w)
        self._total = add(self._total, total)
        self._count += count

    def result(self) -> float:
        """``Σ w·v / Σ w``, correctly rounded; 0.0 before any sample."""
        return divide(self._total, self._count)

    def _state(self) -> dict[str, Any]:
        return {"total": encode(self._total), "count": encode(self._count)}

    def _set_state(self, state: Mapping[str, Any]) -> None:
        count = decode(state["count"], "count")
        if isinstance(count, float) or count < 0:
            raise ValueError(f"state entry 'count' must be a finite number >= 0, got "
                             f"{state['count']!r}")
        self._total = decode(state["total"], "total")
        self._count = count

    def _merge(self, other: Any) -> None:
        self._total = add(self._total, other._total)
        self._count += other._count


def _accumulate(v: np.ndarray, w: np.ndarray | None) -> tuple[Exact, Fraction]:
    """The exact ``(Σ w·v, Σ w)`` of one batch, with Keras's per-sample averaging."""
    if w is None:
        if v.ndim == 0:
            return exact_total(v), Fraction(1)
        per_sample = math.prod(v.shape[1:])
        total = exact_total(v)
        return (total if isinstance(total, float) else total / per_sample), Fraction(v.shape[0])
    if w.ndim == 0:
        # Keras: a scalar weight weighs the batch's mean as one sample
        if v.size == 0:
            return Fraction(0), Fraction(0)
        wq = Fraction(float(w))
        total = exact_total(v)
        if isinstance(total, float):
            return total * float(w), wq
        return wq * total / v.size, wq
    if v.ndim == 0:
        raise ValueError(f"sample_weight of shape {w.shape} does not fit a batch reduced to "
                         "one value; give a scalar sample_weight")
    v, w = same_rank(np, v, w)
    wb = align_weights(w, v.shape)
    per_sample = math.prod(v.shape[1:])
    per_weight = math.prod(w.shape[1:])
    count = exact_sum(w) / per_weight
    if v.dtype == np.bool_:
        return exact_sum(wb[v]) / per_sample, count
    v64 = np.asarray(v, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):  # inf * 0 -> nan, as Keras
        prod = v64 * wb
    finite = np.isfinite(prod)
    if finite.all():
        return exact_sum(prod) / per_sample, count
    bad_values = ~np.isfinite(v64)
    if bad_values.any():  # nan or ±inf losses: the total is nan or ±inf
        return float(np.sum(prod[bad_values])), count
    # finite products too large for float64: those few are multiplied exactly
    over = ~finite
    exact = sum((Fraction(a) * Fraction(b) for a, b in zip(
        v64[over].tolist(), wb[over].tolist(), strict=True)), exact_sum(prod[finite]))
    return exact / per_sample, count

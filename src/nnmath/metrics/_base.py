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

Inputs may be arrays of any array-API library; the state lives on the host. Dask inputs
are not gathered: each chunk's partial state (exact sums, or a metric updated on that
block of rows) is computed where the chunk lives, all in one ``compute``, and the partial
states are combined exactly, so the state equals that of one NumPy pass over all the data.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any, ClassVar, TypeVar

import numpy as np

from .._array import float_input, is_dask, namespace, refuse, same_rank, to_host
from .._exact import add, add_all, encode, exact_sum, exact_total, to_float
from ._state import Exact, StateField, decode_state

__all__ = ["MeanMetric", "Metric", "StateField", "decode_state", "to_numpy", "update_by_blocks",
           "weights"]

#: The version of the ``get_state()`` format.
STATE_FORMAT = 1

_CLASSES: dict[str, type[Metric]] = {}



def to_numpy(x: Any) -> np.ndarray:
    """A NumPy array with the values of ``x``, an array of any library (metrics accumulate
    on the host; a GPU array is copied, a Dask array computed)."""
    return to_host(x)


def weights(sample_weight: Any) -> np.ndarray:
    """``sample_weight`` as float64, refusing negative and non-finite weights."""
    _, w, _ = float_input(to_numpy(sample_weight), "sample_weight")
    w = np.asarray(w, dtype=np.float64)
    if not np.all(np.isfinite(w)):
        raise ValueError("sample_weight must be finite (no NaN or inf)")
    if np.any(w < 0):
        raise ValueError(f"sample_weight must be >= 0, got a minimum of {float(w.min())!r}")
    return w


def _lazy_weights(sample_weight: Any) -> Any:
    """``sample_weight`` (a Dask array) as float64, checked chunk by chunk when computed."""
    xp = namespace(sample_weight)
    _, w, _ = float_input(sample_weight, "sample_weight", xp=xp)
    w = refuse(xp, w, lambda xp, v: ~xp.isfinite(v),
               lambda xp, v: ValueError("sample_weight must be finite (no NaN or inf)"))
    w = refuse(xp, w, lambda xp, v: v < 0, lambda xp, v: ValueError(
        f"sample_weight must be >= 0, got a minimum of {float(xp.min(v))!r}"))
    return xp.astype(w, xp.float64)


def align_weights(w: Any, shape: tuple[int, ...]) -> Any:
    """Broadcast ``w`` over the trailing dimensions of ``shape`` (a prefix of it).

    ``w`` is a NumPy or a Dask array; the result is a broadcast view of the same kind.
    """
    if w.ndim > len(shape):
        raise ValueError(
            f"sample_weight of shape {w.shape} has more dimensions than the per-sample "
            f"values of shape {shape}"
        )
    w = w.reshape(tuple(w.shape) + (1,) * (len(shape) - w.ndim))
    try:
        fits = np.broadcast_shapes(tuple(w.shape), shape) == tuple(shape)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"sample_weight of shape {w.shape} does not fit the per-sample values of shape "
            f"{shape}: give one weight per sample (a shape that is a prefix of theirs)"
        )
    if is_dask(w):
        import dask.array as da

        return da.broadcast_to(w, shape)
    return np.broadcast_to(w, shape)


def divide(total: Exact, count: Fraction) -> float:
    """``total / count`` correctly rounded; 0.0 when ``count`` is 0 (Keras's divide_no_nan)."""
    if count == 0:
        return 0.0
    if isinstance(total, float):
        return total  # nan or ±inf: a positive count keeps it
    return to_float(total / count)


_M = TypeVar("_M", bound="Metric")


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

    def _schema(self) -> dict[str, StateField]:  # pragma: no cover - abstract
        """The declared state: its entries, their types and ranges (see StateField)."""
        raise NotImplementedError

    #: pairs ``(low, high)`` of state entries with ``low <= high`` (entry by entry)
    _invariants: ClassVar[tuple[tuple[str, str], ...]] = ()

    def _checked(self, state: Any) -> dict[str, Any]:
        return decode_state(self._schema(), self._invariants, state)

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

    @classmethod
    def from_config(cls: type[_M], config: Mapping[str, Any]) -> _M:
        """A fresh metric from :meth:`get_config`'s dict (Keras's ``from_config``):
        ``type(m).from_config(m.get_config())`` has m's configuration and an empty state.

        Keras's configs carry a ``dtype``: a metric whose constructor takes no ``dtype``
        (its results are Python floats and float64 arrays whatever the input) ignores it.
        """
        if not isinstance(config, Mapping):
            raise TypeError(f"config must be a dict, got {type(config).__name__}")
        config = dict(config)
        if "dtype" in config and "dtype" not in inspect.signature(cls).parameters:
            del config["dtype"]
        return cls(**config)

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
            try:
                other._checked(other._state())
            except ValueError as exc:
                raise ValueError(f"others: a metric with an invalid state: {exc}") from None
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
        config = state["config"]
        if not isinstance(config, Mapping):
            raise ValueError(f"state entry 'config' must be a dict, got {type(config).__name__}")
        try:
            metric = klass(**dict(config))
        except TypeError as exc:
            raise ValueError(f"state entry 'config' does not fit {klass.__name__}: "
                             f"{exc}") from None
        metric._set_state(metric._checked(state["state"]))
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
        """Accumulate one batch (see the class doc for how weights apply).

        Dask inputs are reduced chunk by chunk (exact partial sums, one ``compute``).
        """
        values, mask = self._values(y_true, y_pred)
        if is_dask(values) or is_dask(mask) or is_dask(sample_weight):
            total, count = _accumulate_chunks(values, mask, sample_weight)
        else:
            v = to_numpy(values)
            w = None if sample_weight is None else weights(sample_weight)
            m = None if mask is None else to_numpy(mask)
            total, count = _accumulate(v, _with_mask(w, m, v.shape))
        self._total = add(self._total, total)
        self._count += count

    def result(self) -> float:
        """``Σ w·v / Σ w``, correctly rounded; 0.0 before any sample."""
        return divide(self._total, self._count)

    #: whether the values lie in [0, 1] (hits), so that 0 <= total <= count
    _bounded: ClassVar[bool] = True

    def _schema(self) -> dict[str, StateField]:
        return {"total": StateField("count" if self._bounded else "total"),
                "count": StateField("count")}

    @property
    def _invariants(self) -> tuple[tuple[str, str], ...]:  # type: ignore[override]
        return (("total", "count"),) if self._bounded else ()

    def _state(self) -> dict[str, Any]:
        return {"total": encode(self._total), "count": encode(self._count)}

    def _set_state(self, state: Mapping[str, Any]) -> None:
        self._total = state["total"]
        self._count = state["count"]

    def _merge(self, other: Any) -> None:
        self._total = add(self._total, other._total)
        self._count += other._count


def _with_mask(w: Any, mask: Any, shape: tuple[int, ...]) -> Any:
    """The weights with the samples outside ``mask`` (a boolean array) weighing 0."""
    if mask is None:
        return w
    m = mask.astype(np.float64)
    if w is None:
        return m
    return align_weights(w, shape) * m if w.ndim else w * m


def _per_sample(total: Exact, per_sample: int) -> Exact:
    return total if isinstance(total, float) else total / per_sample


def _scalar_weighted(total: Exact, w: Any, size: int) -> tuple[Exact, Fraction]:
    """Keras: a scalar weight weighs the batch's mean as one sample."""
    if size == 0:
        return Fraction(0), Fraction(0)
    wq = Fraction(float(w))
    if isinstance(total, float):
        return total * float(w), wq
    return wq * total / size, wq


def _accumulate(v: np.ndarray, w: np.ndarray | None) -> tuple[Exact, Fraction]:
    """The exact ``(Σ w·v, Σ w)`` of one batch, with Keras's per-sample averaging."""
    if w is None:
        if v.ndim == 0:
            return exact_total(v), Fraction(1)
        return _per_sample(exact_total(v), math.prod(v.shape[1:])), Fraction(v.shape[0])
    if w.ndim == 0:
        return _scalar_weighted(exact_total(v), w, v.size)
    _check_weighted_rank(v, w)
    v, w = same_rank(np, v, w)
    wb = align_weights(w, v.shape)
    count = exact_sum(w) / math.prod(w.shape[1:])
    return _per_sample(weighted_total(v, wb), math.prod(v.shape[1:])), count


def _check_weighted_rank(v: Any, w: Any) -> None:
    if v.ndim == 0:
        raise ValueError(f"sample_weight of shape {w.shape} does not fit a batch reduced to "
                         "one value; give a scalar sample_weight")


def weighted_total(v: np.ndarray, wb: np.ndarray) -> Exact:
    """The exact ``Σ w·v`` of values ``v`` and weights ``wb`` of the same shape (a float
    when a value is NaN or infinite)."""
    if v.dtype == np.bool_:
        return exact_sum(wb[v])
    # every product exact (inf * 0 is nan, as Keras), no addition rounded
    return exact_total(np.asarray(v), wb)


def _cell(value: Any, ndim: int) -> np.ndarray:
    """``value`` in an object array with ``ndim`` dimensions of 1 (one per chunk)."""
    out = np.empty((1,) * ndim, dtype=object)
    out.reshape(-1)[0] = value
    return out


def _block_total(block: Any) -> np.ndarray:
    v = to_host(block)
    return _cell(exact_total(v), v.ndim)


def _block_weighted_total(block: Any, wblock: Any) -> np.ndarray:
    v = to_host(block)
    return _cell(weighted_total(v, np.asarray(to_host(wblock), dtype=np.float64)), v.ndim)


def _per_chunk(fn: Any, *arrays: Any) -> Any:
    """A lazy object array with ``fn``'s exact partial result for each chunk of ``arrays``
    (Dask arrays with the same chunks): the partials stay in the arrays' graph, so the
    chunks that several partials need are computed once."""
    import dask.array as da

    first = arrays[0]
    return da.map_blocks(fn, *arrays, dtype=object,
                         chunks=tuple((1,) * len(c) for c in first.chunks),
                         meta=np.empty((0,) * first.ndim, dtype=object))


def _accumulate_chunks(values: Any, mask: Any, sample_weight: Any) -> tuple[Exact, Fraction]:
    """:func:`_accumulate` for Dask arrays: the exact partial sums of every chunk, in one
    ``compute``, added exactly (the same state as one NumPy pass)."""
    import dask
    import dask.array as da

    v = values if is_dask(values) else da.asarray(to_numpy(values))
    if sample_weight is None:
        w = None
    elif is_dask(sample_weight):
        w = _lazy_weights(sample_weight)
        if w.ndim == 0:  # one number: read it
            w = to_numpy(w)
    else:
        w = weights(sample_weight)
    if mask is not None and not is_dask(mask):
        mask = da.asarray(to_numpy(mask))
    if v.ndim == 0:  # a batch reduced to one value: nothing to split
        m = None if mask is None else to_numpy(mask)
        w = None if w is None else to_numpy(w)
        return _accumulate(to_numpy(v), _with_mask(w, m, ()))
    w = _with_mask(w, mask, tuple(v.shape))
    if w is None or w.ndim == 0:
        (parts,) = dask.compute(_per_chunk(_block_total, v))
        total = add_all(parts.ravel().tolist())
        if w is None:
            return _per_sample(total, math.prod(v.shape[1:])), Fraction(v.shape[0])
        return _scalar_weighted(total, w, math.prod(v.shape))
    w = w if is_dask(w) else da.asarray(w)
    v, w = same_rank(da, v, w)
    wb = align_weights(w, tuple(v.shape)).rechunk(v.chunks)
    totals, counts = dask.compute(_per_chunk(_block_weighted_total, v, wb),
                                  _per_chunk(_block_total, w))
    total = add_all(totals.ravel().tolist())
    count = add_all(counts.ravel().tolist())
    if isinstance(count, float):  # pragma: no cover - the weights were checked finite
        raise ValueError("sample_weight must be finite (no NaN or inf)")
    return _per_sample(total, math.prod(v.shape[1:])), count / math.prod(w.shape[1:])


def update_by_blocks(metric: Metric, y_true: Any, y_pred: Any, sample_weight: Any) -> bool:
    """Update ``metric`` from Dask inputs block of rows by block of rows.

    Each block (the chunks of ``y_pred`` along its first axis, the other inputs rechunked
    to match) updates a fresh metric of the same configuration where the block lives;
    the partial metrics, computed in one ``compute``, are merged into ``metric`` — exactly
    the state of one pass. Returns ``False`` (and does nothing) when no input is a Dask
    array.
    """
    if not any(is_dask(a) for a in (y_true, y_pred, sample_weight)):
        return False
    import dask
    import dask.array as da

    yt, yp = (a if is_dask(a) else da.asarray(to_numpy(a)) for a in (y_true, y_pred))
    sw = sample_weight
    if sw is not None and not is_dask(sw):
        sw = da.asarray(to_numpy(sw))
    inputs = [yt, yp] + ([] if sw is None or sw.ndim == 0 else [sw])
    if any(a.ndim == 0 or a.shape[0] != yp.shape[0] for a in inputs):
        # nothing to split by rows: one pass on the host gives the usual answer (or error)
        metric.update_state(*(None if a is None else to_numpy(a) for a in (yt, yp, sw)))
        return True
    scalar = None if sw is None or sw.ndim else to_numpy(sw)
    rows = yp.chunks[0]
    args: list[Any] = []
    for a in inputs:  # blocks of whole rows: index "r" for the rows, others contracted
        a = a.rechunk({0: rows, **{i: -1 for i in range(1, a.ndim)}})
        args += [a, "r" + "abcdefghijklmnopq"[: a.ndim - 1]]
    fresh = type(metric)(**metric.get_config())
    parts = da.blockwise(_block_metric, "r", *args, fresh=fresh, scalar_weight=scalar,
                         dtype=object, adjust_chunks={"r": 1}, concatenate=True,
                         meta=np.empty((0,), dtype=object))
    (metrics,) = dask.compute(parts)
    metric.merge_state(*metrics.tolist())
    return True


def _block_metric(y_true: Any, y_pred: Any, sample_weight: Any = None, *, fresh: Metric,
                  scalar_weight: Any = None) -> np.ndarray:
    metric = type(fresh)(**fresh.get_config())
    weight = scalar_weight if sample_weight is None else sample_weight
    metric.update_state(y_true, y_pred, weight)
    return _cell(metric, 1)

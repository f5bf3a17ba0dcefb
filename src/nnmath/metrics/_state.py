"""The declared state of a metric: each entry's type, range and invariants, in one place.

A metric declares its state once (:class:`StateField` per entry, as torchmetrics'
``add_state``); :func:`decode_state` derives from the declaration what ``from_state``
accepts and what ``merge_state`` checks, so no metric validates its state by hand.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from .._exact import Exact, decode

__all__ = ["Exact", "StateField", "decode_state"]



@dataclass(frozen=True)
class StateField:
    """One entry of a metric's state, declared once (torchmetrics' ``add_state``): what
    :meth:`Metric.from_state` accepts and :meth:`Metric.merge_state` checks follow from it.

    ``kind``:

    * ``"count"`` — an exact number >= 0 (an int, a finite float, or ``"p/q"``);
    * ``"total"`` — an exact number of any sign, or ``"nan"``/``"inf"``/``"-inf"``;
    * ``"counts"`` — a nested list of Python ints >= 0 of shape ``shape`` (any size: they
      are kept as Python integers, which never wrap);
    * ``"sparse"`` — ``[[index, count], ...]`` with indices in ``[0, size)`` and distinct;
    * ``"flag"`` — a bool.

    ``default`` is used when the entry is missing (``None``: the entry is required).
    """

    kind: str
    shape: tuple[int, ...] = ()
    default: Any = None


def _decode_count(value: Any, key: str, *, signed: bool = False) -> Exact:
    try:
        q = decode(value, key)
    except TypeError as exc:
        raise ValueError(str(exc)) from None
    if isinstance(q, float) and not signed:
        raise ValueError(f"state entry {key!r} must be a finite number >= 0, got {value!r}")
    if not signed and q < 0:
        raise ValueError(f"state entry {key!r} must be >= 0, got {value!r}")
    return q


def _decode_counts(value: Any, key: str, shape: tuple[int, ...]) -> np.ndarray:
    def walk(v: Any, dims: tuple[int, ...], where: str) -> Any:
        if not dims:
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
                raise ValueError(f"state entry {key!r} must hold integers >= 0, got {v!r} "
                                 f"at {where or 'its top'}")
            return int(v)
        if not isinstance(v, (list, tuple)) or len(v) != dims[0]:
            size = len(v) if hasattr(v, "__len__") else "-"
            raise ValueError(f"state entry {key!r} must have shape {shape}, got "
                             f"{type(v).__name__} of length {size} at {where or 'its top'}")
        return [walk(e, dims[1:], f"{where}[{i}]") for i, e in enumerate(v)]

    out = np.empty(shape, dtype=object)
    flat = np.asarray(walk(value, shape, ""), dtype=object).reshape(-1) if shape else None
    if flat is None:
        out[()] = walk(value, (), "")
    else:
        out.reshape(-1)[:] = flat
    return out


def _decode_sparse(value: Any, key: str, size: int) -> dict[int, Fraction]:
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"state entry {key!r} must be a list of [index, value] pairs")
    out: dict[int, Fraction] = {}
    for item in value:
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            raise ValueError(f"state entry {key!r} has an invalid item {item!r}: expected "
                             "[index, value]")
        k, v = item
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k < size:
            raise ValueError(f"state entry {key!r} has an index {k!r} outside [0, {size})")
        if int(k) in out:
            raise ValueError(f"state entry {key!r} repeats the index {int(k)}")
        q = _decode_count(v, key)
        assert isinstance(q, Fraction)
        out[int(k)] = q
    return out


def decode_state(schema: Mapping[str, StateField], invariants: Iterable[tuple[str, str]],
                 state: Any) -> dict[str, Any]:
    """Check ``state`` (a JSON-able dict) against ``schema`` and return the decoded values.

    Every declared entry is checked for its type and range; unknown entries are refused;
    each ``(low, high)`` of ``invariants`` must hold (``low <= high``, entry by entry: e.g.
    hits at most the support). Errors are ``ValueError`` naming the entry.
    """
    if not isinstance(state, Mapping):
        raise ValueError(f"state entry 'state' must be a dict, got {type(state).__name__}")
    unknown = sorted(set(map(str, state)) - set(schema))
    if unknown:
        raise ValueError(f"state has unknown entries {unknown}; expected {sorted(schema)}")
    out: dict[str, Any] = {}
    for key, field in schema.items():
        if key not in state:
            if field.default is None:
                raise ValueError(f"state entry {key!r} is missing")
            value = field.default
        else:
            value = state[key]
        if field.kind == "count":
            out[key] = _decode_count(value, key)
        elif field.kind == "total":
            out[key] = _decode_count(value, key, signed=True)
        elif field.kind == "counts":
            out[key] = _decode_counts(value, key, field.shape)
        elif field.kind == "sparse":
            out[key] = _decode_sparse(value, key, math.prod(field.shape))
        elif field.kind == "flag":
            if not isinstance(value, bool):
                raise ValueError(f"state entry {key!r} must be true or false, got {value!r}")
            out[key] = value
        else:  # pragma: no cover - a declaration error
            raise AssertionError(field.kind)
    for low, high in invariants:
        a, b = out[low], out[high]
        if isinstance(a, dict):
            bad = any(v > b.get(k, 0) for k, v in a.items())
        elif isinstance(a, np.ndarray):
            bad = bool(np.any(a > b))
        else:
            bad = bool(a > b)  # nan compares false: a NaN total is a loss's, unbounded
        if bad:
            raise ValueError(f"state entry {low!r} exceeds {high!r}: {state.get(low)!r} > "
                             f"{state.get(high)!r}")
    return out

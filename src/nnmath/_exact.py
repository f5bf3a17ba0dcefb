"""Exact sums of float64 arrays, and the JSON encoding of exact numbers.

Every finite float64 is a dyadic rational ``M · 2**e`` with an integer ``|M| < 2**53``, so
the sum of any number of them is a dyadic rational too and can be kept *exactly*. The
metrics keep their weighted totals that way (as :class:`fractions.Fraction`), which makes
a result independent of how the data were split into batches or across workers: the
order of summation cannot matter when no summation rounds.

The sum is vectorised with NumPy. Each value's 53-bit integer mantissa is placed in a
fixed-point number of 32-bit limbs (the limb and the shift within it come from the
exponent); the pieces, each below ``2**33``, are added per limb with ``np.bincount`` in
chunks small enough that float64 partial sums stay exact (below ``2**53``), and the limb
totals are joined with Python integers at the end. The cost is a few passes over the
data; no value is ever rounded.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

import numpy as np

Exact = Fraction | float  # a float only for nan / ±inf totals

__all__ = ["Exact", "add", "add_all", "decode", "encode", "exact_group_sums", "exact_sum",
           "exact_total", "to_float"]

_LIMB_BITS = 32
_MASK = np.uint64((1 << _LIMB_BITS) - 1)
# pieces are < 2**33 in absolute value: up to 2**19 of them sum below 2**52, exactly in
# float64; chunks of 2**16 also keep the working arrays in cache
_CHUNK = 1 << 16


def _limb_sums(x: np.ndarray, groups: np.ndarray | None, ngroups: int) -> list[Fraction]:
    """The exact sums of ``x`` (finite float64, 1-D) per group (``groups`` in [0, ngroups))."""
    totals = [0] * ngroups
    base = 0  # sum of group g = totals[g] * 2**base
    # chunks small enough to stay in cache, and for the float64 bincounts to be exact
    for start in range(0, x.size, _CHUNK):
        xs = x[start:start + _CHUNK]
        gs = None if groups is None else groups[start:start + _CHUNK]
        part, part_base = _chunk_sums(xs, gs, ngroups)
        if part_base is None:
            continue
        if part_base < base:
            totals = [t << (base - part_base) for t in totals]
            base = part_base
        up = part_base - base
        for g, v in part.items():
            totals[g] += v << up
    if base >= 0:
        return [Fraction(t << base) for t in totals]
    return [Fraction(t, 1 << -base) for t in totals]


def _chunk_sums(x: np.ndarray, groups: np.ndarray | None,
                ngroups: int) -> tuple[dict[int, int], int | None]:
    """Exact per-group sums of one chunk: ``({group: integer}, base)``, sum = int · 2**base."""
    nonzero = x != 0
    if not nonzero.all():
        x = x[nonzero]
        groups = None if groups is None else groups[nonzero]
    if x.size == 0:
        return {}, None
    m, e = np.frexp(x)  # x = m 2**e with 0.5 <= |m| < 1, also for subnormals
    mant = (m * 9007199254740992.0).astype(np.int64)  # m 2**53: exact, |mant| < 2**53
    lsb = e - 53  # x = mant * 2**lsb
    base = int(lsb.min())
    offset = lsb - base
    limb = offset >> 5
    shift = (offset & 31).astype(np.uint64)
    negative = bool((mant < 0).any())
    a = np.abs(mant).astype(np.uint64) if negative else mant.astype(np.uint64)
    lo = (a & _MASK) << shift  # < 2**63
    hi = (a >> np.uint64(_LIMB_BITS)) << shift  # < 2**52
    pieces = [
        lo & _MASK,  # limb k
        (lo >> np.uint64(_LIMB_BITS)) + (hi & _MASK),  # limb k + 1 (< 2**33)
        hi >> np.uint64(_LIMB_BITS),  # limb k + 2
    ]
    nlimb = int(limb.max()) + 3
    index = limb if groups is None else groups.astype(np.int64) * nlimb + limb
    size = ngroups * nlimb
    acc = np.zeros(size, dtype=np.int64)
    for j, piece in enumerate(pieces):
        w = piece.astype(np.float64)
        if negative:
            w = np.where(mant < 0, -w, w)
        # at most 2**16 pieces below 2**33 per bin: the float64 bin sums are exact integers
        acc += np.bincount(index + j, weights=w, minlength=size).astype(np.int64)
    out: dict[int, int] = {}
    acc2 = acc.reshape(ngroups, nlimb)
    for g in np.flatnonzero(acc2.any(axis=1)).tolist():
        total = 0
        for v in reversed(acc2[g].tolist()):
            total = (total << _LIMB_BITS) + v
        out[g] = total
    return out, base


def exact_sum(x: Any) -> Fraction:
    """The exact sum of the finite float64 values ``x``, as a ``Fraction``.

    >>> exact_sum([0.1] * 10)  # the ten stored values of 0.1, added without rounding
    Fraction(18014398509481985, 18014398509481984)
    >>> sum([0.1] * 10), float(exact_sum([0.1] * 10))
    (0.9999999999999999, 1.0)
    >>> exact_sum([1e300, 1.0, -1e300])
    Fraction(1, 1)
    """
    arr = np.asarray(x, dtype=np.float64).ravel()
    return _limb_sums(arr, None, 1)[0]


def exact_group_sums(x: Any, groups: Any, ngroups: int) -> list[Fraction]:
    """The exact sums of ``x`` per group: ``out[g] = Σ x[groups == g]``.

    >>> exact_group_sums([0.5, 0.25, 1.0], [1, 1, 0], 3)
    [Fraction(1, 1), Fraction(3, 4), Fraction(0, 1)]
    """
    arr = np.asarray(x, dtype=np.float64).ravel()
    grp = np.asarray(groups).ravel()
    if grp.size == 0:
        return [Fraction(0)] * ngroups
    # compress the groups that occur, so that the bins stay few for large ngroups
    used, inverse = np.unique(grp, return_inverse=True)
    sums = _limb_sums(arr, inverse.ravel(), used.size)
    out = [Fraction(0)] * ngroups
    for g, s in zip(used.tolist(), sums, strict=True):
        out[int(g)] = s
    return out


def to_float(q: Fraction | float | int) -> float:
    """``q`` correctly rounded to a Python float (``±inf`` beyond the float range).

    >>> to_float(Fraction(3, 4)), to_float(Fraction(10**400, 3)), to_float(-(10**400))
    (0.75, inf, -inf)
    """
    if isinstance(q, float):
        return q
    try:
        return float(q)  # int / int true division: correctly rounded
    except OverflowError:  # the sign from an exact comparison: q itself has no float
        return math.inf if q > 0 else -math.inf


_SPECIAL = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
# numerators and denominators of exact float64 sums have at most a few hundred digits
# (2**1100 has 332); 4000 leaves room for sums of any number of values
_EXACT = re.compile(r"([+-]?[0-9]{1,4000})(?:/([0-9]{1,4000}))?")


def encode(q: Fraction | float | int) -> int | str:
    """An exact number for JSON: an ``int``, a ``"p/q"`` string, or ``"nan"``/``"±inf"``.

    >>> encode(Fraction(3, 4)), encode(Fraction(5)), encode(float("-inf"))
    ('3/4', 5, '-inf')
    """
    if isinstance(q, float):
        if math.isnan(q):
            return "nan"
        if math.isinf(q):
            return "inf" if q > 0 else "-inf"
        q = Fraction(q)
    q = Fraction(q)
    return q.numerator if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def decode(v: Any, name: str) -> Fraction | float:
    """The inverse of :func:`encode` (finite floats are read exactly).

    >>> decode("3/4", "total"), decode(5, "count"), decode("nan", "total")
    (Fraction(3, 4), Fraction(5, 1), nan)
    """
    if isinstance(v, bool):
        raise TypeError(f"state entry {name!r} must be a number, got {v!r}")
    if isinstance(v, str):
        if v in _SPECIAL:
            return _SPECIAL[v]
        # only what encode writes: "p" or "p/q" in decimal digits, of a length that exact
        # sums of float64 values can reach (no exponents: "1e100000000" would take minutes)
        match = _EXACT.fullmatch(v.strip())
        if match is None or int(match.group(2) or 1) == 0:
            raise ValueError(f"state entry {name!r} is not an exact number (an integer or "
                             f"'p/q'): {v[:40]!r}")
        return Fraction(int(match.group(1)), int(match.group(2) or 1))
    if isinstance(v, (int, np.integer)):
        return Fraction(int(v))
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return Fraction(f) if math.isfinite(f) else f
    raise TypeError(f"state entry {name!r} must be a number or a string, got {v!r}")


def add(a: Exact, b: Exact) -> Exact:
    """Exact addition; a non-finite (float) total absorbs everything."""
    if isinstance(a, float) or isinstance(b, float):
        return to_float(a) + to_float(b)
    return a + b


def add_all(parts: Iterable[Exact]) -> Exact:
    """The exact sum of exact partial totals (NaN or ±inf when one of them is)."""
    total: Exact = Fraction(0)
    for part in parts:
        total = add(total, part)
    return total


def exact_total(v: np.ndarray) -> Exact:
    """The exact sum of ``v`` (bool: the count of True); nan/inf give a float."""
    if v.dtype == np.bool_:
        return Fraction(int(np.count_nonzero(v)))
    v = np.asarray(v, dtype=np.float64)
    finite = np.isfinite(v)
    if not finite.all():
        return float(np.sum(v[~finite]))
    return exact_sum(v)

"""Exact sums of float arrays, correctly rounded ratios, and the JSON encoding of exact numbers.

Every finite float64 is a dyadic rational ``M · 2**e`` with an integer ``|M| < 2**53``, so
the sum of any number of them (or of their products with weights) is a dyadic rational
too and can be kept *exactly*. The sums run in the compiled core
(:func:`nnmath._core.exact_sums`: a fixed-point accumulator wide enough for any double and
any product of two, threads and all, no value ever rounded); here they become
:class:`fractions.Fraction` values (the metrics keep their weighted totals that way, which
makes a result independent of how the data were split into batches or across workers) or
are rounded once to a float (the reduced losses).
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

import numpy as np

from ._core import exact_sums

Exact = Fraction | float  # a float only for nan / ±inf totals
#: an exact sum as the core gives it: ``(mantissa, exponent)`` for ``mantissa * 2**exponent``,
#: or a float (nan, ±inf) when a non-finite value was added
Dyadic = tuple[int, int] | float

__all__ = ["Dyadic", "Exact", "add", "add_all", "decode", "dyadic_sum", "encode",
           "exact_group_dyadics", "exact_group_sums", "exact_sum", "exact_total",
           "round_ratio", "to_float"]


def _floats(x: Any) -> np.ndarray:
    """``x`` as a float32 or float64 array (float16 widens to float32, exactly; other
    dtypes convert to float64) in the machine's byte order."""
    arr = np.asarray(x)
    if arr.dtype == np.float16:
        return arr.astype(np.float32)
    if arr.dtype not in (np.float32, np.float64) or not arr.dtype.isnative:
        return arr.astype(np.float64)
    return arr


def _dyadic(raw: Any) -> Dyadic:
    if isinstance(raw, float):
        return raw
    digits, exponent = raw
    m, e = int.from_bytes(digits, "little", signed=True), int(exponent)
    if m == 0:
        return 0, 0
    zeros = (m & -m).bit_length() - 1  # an odd mantissa: one form per number
    return m >> zeros, e + zeros


def _fraction(d: Dyadic) -> Exact:
    if isinstance(d, float):
        return d
    m, e = d
    return Fraction(m << e) if e >= 0 else Fraction(m, 1 << -e)


def dyadic_sum(x: Any, w: Any = None) -> Dyadic:
    """The exact sum of ``x`` (of ``x * w``, broadcast together), as ``(m, e)`` for
    ``m * 2**e``, or nan/±inf when a value (a product) is not finite.

    >>> dyadic_sum(np.array([0.5, 0.25, -1.0]))
    (-1, -2)
    >>> dyadic_sum(np.array([1.0, np.inf]))
    inf
    """
    xs = _floats(x)
    return _dyadic(exact_sums(xs) if w is None else exact_sums(xs, _floats(w)))


def exact_sum(x: Any) -> Fraction:
    """The exact sum of the finite float values ``x``, as a ``Fraction``.

    >>> exact_sum([0.1] * 10)  # the ten stored values of 0.1, added without rounding
    Fraction(18014398509481985, 18014398509481984)
    >>> sum([0.1] * 10), float(exact_sum([0.1] * 10))
    (0.9999999999999999, 1.0)
    >>> exact_sum([1e300, 1.0, -1e300])
    Fraction(1, 1)
    """
    total = _fraction(dyadic_sum(np.asarray(x, dtype=np.float64)
                                 if not isinstance(x, np.ndarray) else x))
    if isinstance(total, float):
        raise ValueError(f"exact_sum: the values are not all finite (their sum is {total})")
    return total


def exact_group_sums(x: Any, groups: Any, ngroups: int) -> list[Fraction]:
    """The exact sums of ``x`` per group: ``out[g] = Σ x[groups == g]``.

    >>> exact_group_sums([0.5, 0.25, 1.0], [1, 1, 0], 3)
    [Fraction(1, 1), Fraction(3, 4), Fraction(0, 1)]
    """
    arr = np.ascontiguousarray(_floats(x if isinstance(x, np.ndarray)
                                       else np.asarray(x, dtype=np.float64))).ravel()
    grp = np.ascontiguousarray(np.asarray(groups).ravel(), dtype=np.int64)
    if grp.size != arr.size:
        raise ValueError(f"exact_group_sums: {arr.size} values but {grp.size} groups")
    out = [_fraction(_dyadic(r)) for r in exact_sums(arr, None, grp, int(ngroups))]
    if any(isinstance(v, float) for v in out):
        raise ValueError("exact_group_sums: the values are not all finite")
    return out  # type: ignore[return-value]


def exact_group_dyadics(x: Any, groups: Any, ngroups: int) -> list[tuple[int, int]]:
    """:func:`exact_group_sums` as ``(m, e)`` pairs, each sum ``m * 2**e`` (``(0, 0)`` for
    0): no fraction made, for callers that keep integers on a power-of-two scale.

    >>> exact_group_dyadics([0.5, 0.25, 1.0], [1, 1, 0], 3)
    [(1, 0), (3, -2), (0, 0)]
    """
    arr = np.ascontiguousarray(_floats(x if isinstance(x, np.ndarray)
                                       else np.asarray(x, dtype=np.float64))).ravel()
    grp = np.ascontiguousarray(np.asarray(groups).ravel(), dtype=np.int64)
    if grp.size != arr.size:
        raise ValueError(f"exact_group_dyadics: {arr.size} values but {grp.size} groups")
    out = [_dyadic(r) for r in exact_sums(arr, None, grp, int(ngroups))]
    if any(isinstance(v, float) for v in out):
        raise ValueError("exact_group_dyadics: the values are not all finite")
    return out  # type: ignore[return-value]


def exact_group_sums_nonzero(x: Any, groups: Any, ngroups: int) -> list[tuple[int, Fraction]]:
    """``(g, Σ x[groups == g])`` for the groups whose exact sum is not 0, in order of ``g``:
    :func:`exact_group_sums` without a fraction for every group of ``range(ngroups)``
    (with many groups and few values, only the groups that occur are summed).

    >>> exact_group_sums_nonzero([0.5, 0.25, 1.0, -1.0], [7, 7, 2, 2], 10**6)
    [(7, Fraction(3, 4))]
    """
    grp = np.asarray(groups).ravel()
    if ngroups <= 4096 or ngroups <= grp.size // 8:
        dense = exact_group_sums(x, grp, ngroups)
        return [(g, s) for g, s in enumerate(dense) if s]
    present, inv = np.unique(grp, return_inverse=True)
    sums = exact_group_sums(x, inv.ravel(), len(present))
    return [(int(g), s) for g, s in zip(present.tolist(), sums, strict=True) if s]


def round_ratio(num: Dyadic, den: int | Fraction, dtype: Any = np.float64) -> float:
    """``num / den`` (an exact sum over a positive integer or fraction), correctly rounded
    to ``dtype`` (float16, float32 or float64) and returned as a Python float; ``±inf``
    beyond the dtype's range; a non-finite ``num`` divided as a float.

    >>> round_ratio((1, 0), 3)
    0.3333333333333333
    >>> round_ratio((1, 0), 3, np.float32) == float(np.float32(1 / 3))
    True
    >>> round_ratio((2**24 + 1, 0), 1, np.float32)  # a tie: to even
    16777216.0
    """
    if isinstance(num, float):
        return num / float(den)
    m, e = num
    q = Fraction(den)
    # m 2**e / (p / r) = (m r 2**e) / p: CPython divides integers correctly rounded
    a, b = m * q.denominator, q.numerator
    if e >= 0:
        a <<= e
    else:
        b <<= -e
    try:
        wide = a / b
    except OverflowError:
        wide = math.inf if (a > 0) == (b > 0) else -math.inf
    dt = np.dtype(dtype)
    if dt == np.float64 or wide == 0 or math.isnan(wide):
        return wide
    return _narrow(wide, a, b, dt)


def _narrow(wide: float, a: int, b: int, dt: np.dtype) -> float:
    """``a / b`` correctly rounded to ``dt`` (float16 or float32) from ``wide``, its
    correct rounding to float64: rounding ``wide`` again errs only when ``wide`` is a
    midpoint of ``dt`` that ``a / b`` is not, decided here by an exact comparison."""
    info = np.finfo(dt)
    if float(info.smallest_normal) <= abs(wide) <= float(info.max):
        # a normal number of dt: a midpoint iff the float64 fraction bits beyond dt's
        # are exactly a one followed by zeros (the common case needs no other test)
        drop = 52 - int(info.nmant)
        bits = struct.unpack("<Q", struct.pack("<d", wide))[0] & ((1 << drop) - 1)
        if bits != 1 << (drop - 1):
            return float(dt.type(wide))
    with np.errstate(over="ignore"):
        near = dt.type(wide)
    if float(near) == wide:
        return wide
    toward = math.copysign(math.inf, wide - float(near)) if math.isfinite(float(near)) \
        else -math.copysign(math.inf, wide)
    with np.errstate(over="ignore"):
        other = np.nextafter(near, dt.type(toward))
    # an infinity stands for the next power of two beyond the largest finite value
    top = 2.0 ** np.finfo(dt).maxexp
    lo, hi = (math.copysign(top, float(v)) if math.isinf(float(v)) else float(v)
              for v in (near, other))
    # neighbours of float16/float32 values: their sum and half are exact in float64
    if wide != (lo + hi) / 2:
        return float(near)  # no tie: the second rounding is the right one
    mid, exact = Fraction(wide), Fraction(a, b)
    if exact == mid:
        return float(near)  # a true tie, to even as the second rounding did
    # exact is not the midpoint: take the neighbour on its side of it
    return float(near) if (exact > mid) == (lo > hi) else float(other)


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


def exact_total(v: np.ndarray, w: Any = None) -> Exact:
    """The exact sum of ``v`` (bool: the count of True), or of the exact products ``v * w``
    (broadcast together); nan/inf give a float."""
    if v.dtype == np.bool_ and w is None:
        return Fraction(int(np.count_nonzero(v)))
    return _fraction(dyadic_sum(v, w))

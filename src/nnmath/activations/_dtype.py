"""The activations' dtype rule: NumPy float16 and float32 are computed in float64."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._array import float_input, is_numpy


def wide_input(x: Any, name: str = "x", xp: Any = None) -> tuple[Any, Any, Any]:
    """``float_input``, with NumPy float16 and float32 arrays converted to float64.

    Returns ``(xp, xc, dtype)`` as ``float_input`` does. The math then runs in float64 and
    ``finish`` rounds the result once to ``dtype``: float16 and float32 inputs are exact
    in float64 and the float64 formulas err by a few float64 ulps, about 10^-7 of a
    float32 ulp, so the result is within 1 ulp of the true value (correctly rounded
    but within 10^-7 ulp of a tie), subnormal results included. Other array libraries
    compute in their own dtype (float16 in float32): their float64 may be unavailable
    (JAX by default) or slow (accelerators).

    >>> wide_input(np.float32(1.5))[1:]
    (array(1.5), dtype('float32'))
    """
    xp, xc, dtype = float_input(x, name, xp)
    if is_numpy(xp) and xc.dtype != np.float64:
        xc = xc.astype(np.float64)
    return xp, xc, dtype

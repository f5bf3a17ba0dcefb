"""Array-namespace resolution, the dtype policy and input validation.

Every public function of nnmath is written once against an array namespace ``xp``
(the array API standard; NumPy 2.x is its own namespace). This module finds the
namespace of the inputs, applies the dtype policy of the library and validates
arguments with errors that name the argument.

Dtype policy
------------
* float32 and float64 input keep their dtype;
* float16 input is computed in float32 and rounded back once;
* integer and bool input are promoted to float64 (NumPy's rule);
* Python scalars are weak: a parameter such as ``negative_slope=0.01`` never changes
  the dtype of an array;
* complex, string, object and datetime input is refused with a ``TypeError``.
"""

from __future__ import annotations

import contextlib
import math
import operator
from typing import Any

import numpy as np

__all__ = [
    "check_axis",
    "check_finite_scalar",
    "finish",
    "float_input",
    "fp_guard",
    "is_numpy",
    "namespace",
    "out_of_range",
    "same_rank",
    "target_kind",
    "unbroadcast",
]


def is_numpy(xp: Any) -> bool:
    """True when ``xp`` is NumPy itself (the namespace with fast paths)."""
    return xp is np


def namespace(*arrays: Any) -> Any:
    """Return the array namespace shared by ``arrays``.

    NumPy arrays, NumPy scalars, Python scalars, lists and ``None`` resolve to NumPy.
    Other arrays (CuPy, PyTorch, JAX, Dask, ...) resolve through ``array-api-compat``
    when it is installed, else through their ``__array_namespace__`` method.
    """
    foreign = [
        a
        for a in arrays
        if a is not None
        and not isinstance(a, (np.ndarray, np.generic, int, float, bool, list, tuple, str,
                               bytes))
    ]
    if not foreign:
        return np
    try:
        import array_api_compat
    except ImportError:  # pragma: no cover - depends on the optional extra
        pass
    else:
        return array_api_compat.array_namespace(*foreign)
    spaces = {id(ns): ns for ns in (_own_namespace(a) for a in foreign)}
    if len(spaces) != 1:
        raise TypeError("arrays from different array libraries cannot be mixed")
    return next(iter(spaces.values()))


def _own_namespace(a: Any) -> Any:
    getter = getattr(a, "__array_namespace__", None)
    if getter is None:
        raise TypeError(
            f"unsupported array type {type(a).__name__!r}: install the 'array-api' extra "
            "(pip install 'nnmath[array-api]') to use it"
        )
    return getter()


def _dtype_kind(xp: Any, dtype: Any) -> str:
    """'f' real floating, 'i' integral, 'b' bool, 'c' complex, '?' anything else."""
    if is_numpy(xp):
        return np.dtype(dtype).kind.replace("u", "i")
    for kind, code in (("bool", "b"), ("integral", "i"), ("real floating", "f")):
        if xp.isdtype(dtype, kind):
            return code
    if xp.isdtype(dtype, "complex floating"):
        return "c"
    return "?"


def float_input(x: Any, name: str = "x", xp: Any = None) -> tuple[Any, Any, Any]:
    """Convert ``x`` to a floating array following the dtype policy.

    Returns ``(xp, xc, dtype)``: the namespace, the array in the dtype the math is
    computed in, and the dtype the result is returned in.

    >>> xp, xc, dt = float_input(np.array([1, 2], dtype=np.int8))
    >>> xc.dtype, dt
    (dtype('float64'), dtype('float64'))
    >>> float_input(np.float16(1.0))[1:]
    (array(1., dtype=float32), dtype('float16'))
    """
    if xp is None:
        xp = namespace(x)
    if is_numpy(xp):
        if isinstance(x, np.ndarray) and x.dtype.kind in "OUSVMm":
            raise TypeError(f"{name} must be a real numeric array, got dtype {x.dtype}")
        try:
            x = np.asarray(x)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be array-like of real numbers: {exc}") from None
    else:
        x = xp.asarray(x)
    kind = _dtype_kind(xp, x.dtype)
    if kind == "f":
        if x.dtype == getattr(xp, "float16", None):
            return xp, xp.astype(x, xp.float32), x.dtype
        return xp, x, x.dtype
    if kind in "bi":
        xc = xp.astype(x, xp.float64)
        return xp, xc, xc.dtype
    if kind == "c":
        raise TypeError(f"{name} must be real, got complex dtype {x.dtype}")
    raise TypeError(f"{name} must be a real numeric array, got dtype {x.dtype}")


def finish(xp: Any, y: Any, dtype: Any) -> Any:
    """Round ``y`` back to ``dtype`` once; a 0-d NumPy result becomes a NumPy scalar."""
    if y.dtype != dtype:
        with out_of_range(xp):  # e.g. float32 results beyond float16's 65504 round to inf
            y = xp.astype(y, dtype)
    if is_numpy(xp) and y.ndim == 0:
        return y[()]
    return y


def fp_guard(xp: Any) -> contextlib.AbstractContextManager[Any]:
    """Scope NumPy's floating-point error state for one computation.

    Underflow of a result whose true value is below the smallest subnormal (for
    example ``exp(-1000)``) is the correctly rounded answer, not an error, so it is
    ignored; overflow, invalid operations and division by zero are left to the
    caller's settings, and the formulas of nnmath are written so that finite input
    never raises them.
    """
    if is_numpy(xp):
        return np.errstate(under="ignore")
    return contextlib.nullcontext()


def same_rank(xp: Any, a: Any, b: Any) -> tuple[Any, Any]:
    """Keras's ``squeeze_or_expand_to_same_rank``: reconcile a trailing dimension of 1.

    When the ranks differ by one and the longer array ends in 1, that dimension is
    squeezed, except that a rank-1 partner is expanded instead.
    """
    if a.ndim == b.ndim + 1 and a.shape[-1] == 1:
        if b.ndim == 1:
            b = xp.expand_dims(b, axis=-1)
        else:
            a = xp.squeeze(a, axis=-1)
    elif b.ndim == a.ndim + 1 and b.shape[-1] == 1:
        if a.ndim == 1:
            a = xp.expand_dims(a, axis=-1)
        else:
            b = xp.squeeze(b, axis=-1)
    return a, b


def unbroadcast(xp: Any, g: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``g`` over the dimensions that broadcasting added to an array of ``shape``."""
    while g.ndim > len(shape):
        g = xp.sum(g, axis=0)
    for i, n in enumerate(shape):
        if n == 1 and g.shape[i] != 1:
            g = xp.sum(g, axis=i, keepdims=True)
    return g


def _shape(x: Any, name: str) -> tuple[int, ...]:
    shape = getattr(x, "shape", None)
    shape = np.shape(x) if shape is None else shape
    shape = tuple(int(n) for n in shape)
    if not shape:
        raise ValueError(f"{name} must have at least one dimension to pick a metric or "
                         "loss, got a scalar")
    return shape


def target_kind(y_true: Any, y_pred: Any) -> str:
    """How Keras's ``compile`` reads labels against predictions, from the shapes alone.

    ``"binary"`` when ``y_pred`` ends in a dimension of 1 (one sigmoid output);
    ``"sparse"`` when ``y_true`` has a lower rank, or ends in 1 against several classes
    (integer labels); ``"categorical"`` otherwise (one-hot labels, and also the 1-D/1-D
    case). Used by ``metrics.get("accuracy", ...)`` and ``losses.get("crossentropy", ...)``.

    >>> target_kind(np.zeros((4, 1)), np.zeros((4, 1))), target_kind(np.zeros(4), np.zeros((4, 3)))
    ('binary', 'sparse')
    """
    t, p = _shape(y_true, "y_true"), _shape(y_pred, "y_pred")
    if p[-1] == 1:
        return "binary"
    if len(t) < len(p) or (t[-1] == 1 and p[-1] > 1):
        return "sparse"
    return "categorical"


def out_of_range(xp: Any) -> contextlib.AbstractContextManager[Any]:
    """Scope for an operation whose true result may lie beyond the largest float.

    ``exp(1000)``, ``1.5 * 1e308`` or a float32 result rounded to float16: when the
    exact value is beyond the range, ``±inf`` is the correctly rounded result, so the
    overflow flag is not an error there. Use it around such final operations only,
    never around intermediates whose overflow would make a finite result wrong.
    """
    if is_numpy(xp):
        return np.errstate(over="ignore", under="ignore")
    return contextlib.nullcontext()


def check_axis(axis: Any, ndim: int, name: str = "axis") -> int:
    """Validate an axis against ``ndim`` and return it as a non-negative int."""
    try:
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {axis!r}") from None
    if ndim == 0:
        raise ValueError(f"{name}={axis} needs an array with at least one dimension, got a scalar")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}={axis} is out of range for an array with {ndim} dimension(s)")
    return axis % ndim


def check_finite_scalar(value: Any, name: str, *, positive: bool = False,
                        nonnegative: bool = False) -> float:
    """Return ``value`` as a Python float (weak scalar), checking that it is finite."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if positive and v <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    if nonnegative and v < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return v

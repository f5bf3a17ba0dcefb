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
* complex, string, object and datetime input is refused with a ``TypeError``, and so is
  ``longdouble`` (float80/float128): nnmath computes in at most float64 and would
  otherwise return it silently rounded. :func:`dtype_kind` is the one place that decides
  which dtypes are accepted.

Other array libraries
---------------------
Arrays of PyTorch, JAX, CuPy, Dask, array-api-strict ... resolve through
``array-api-compat``; results stay in the library (and on the device) of the input. The
helpers below fill the gaps of the standard once for every caller:
:func:`take_along_last` (Dask has no ``take_along_axis``), :func:`sum_all` (an exact,
chunking-independent sum on Dask) and :func:`refuse` (validation that needs the data).

Lazy arrays (Dask) stay lazy: nothing is computed while a result is built. Validation
that needs the data is then folded into the graph: the input comes back wrapped so that
each chunk is checked when it is computed, and the error (``ValueError``, the same
message) is raised by ``compute()``, not by the call. Lazy arrays that cannot carry such a
check (JAX arrays being traced by ``jax.jit``) are not validated.
"""

from __future__ import annotations

import contextlib
import functools
import math
import operator
import sys
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np

from ._autodiff import requires_grad, with_vjp

__all__ = [
    "check_axis",
    "check_finite_scalar",
    "check_out",
    "device_of",
    "dtype_kind",
    "finish",
    "float_input",
    "fp_guard",
    "is_dask",
    "is_lazy",
    "is_numpy",
    "namespace",
    "out_of_range",
    "refuse",
    "requires_grad",
    "same_rank",
    "size_of",
    "sum_all",
    "take_along_last",
    "target_kind",
    "to_host",
    "unbroadcast",
    "with_vjp",
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


def dtype_kind(xp: Any, dtype: Any) -> str:
    """'f' real floating, 'i' integral, 'b' bool, 'c' complex, 'g' longdouble, '?' else.

    The dtype policy of the library: only 'f', 'i' and 'b' are computed with; ``longdouble``
    is a floating dtype that nnmath cannot compute in (its math is at most float64).

    >>> dtype_kind(np, np.dtype(np.uint8)), dtype_kind(np, np.dtype(np.float32))
    ('i', 'f')
    >>> dtype_kind(np, np.dtype(np.longdouble)) in ('g', 'f')  # 'f' where it is float64
    True
    """
    if is_numpy(xp):
        dt = np.dtype(dtype)
        if dt.kind == "f" and dt.itemsize > 8:
            return "g"
        return dt.kind.replace("u", "i")
    for kind, code in (("bool", "b"), ("integral", "i"), ("real floating", "f")):
        if xp.isdtype(dtype, kind):
            return code
    if xp.isdtype(dtype, "complex floating"):
        return "c"
    return "?"


def _is_float16(xp: Any, dtype: Any) -> bool:
    """Whether ``dtype`` is float16 (a namespace without float16 has none: ``None`` must
    not be compared with a NumPy dtype, which reads it as float64)."""
    f16 = getattr(xp, "float16", None)
    if f16 is not None:
        return bool(dtype == f16)
    return isinstance(dtype, np.dtype) and dtype == np.float16


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
    if not is_numpy(xp) and requires_grad(x):
        # nnmath's derivatives are attached where a forward value is computed
        # (:func:`with_vjp`); anything else reaching the math would be differentiated
        # through its internal operations, which is wrong at kinks and branches
        raise TypeError(
            f"{name} requires a gradient here, where nnmath provides none (gradient, "
            f"backward and weight_gradient are not themselves differentiable): pass "
            f"{name}.detach() (PyTorch) or jax.lax.stop_gradient({name})"
        )
    if is_numpy(xp):
        if isinstance(x, np.ndarray) and x.dtype.kind in "OUSVMm":
            raise TypeError(f"{name} must be a real numeric array, got dtype {x.dtype}")
        try:
            x = np.asarray(x)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be array-like of real numbers: {exc}") from None
    else:
        x = xp.asarray(x)
    kind = dtype_kind(xp, x.dtype)
    if kind == "f":
        if _is_float16(xp, x.dtype):
            return xp, xp.astype(x, xp.float32), x.dtype
        return xp, x, x.dtype
    if kind in "bi":
        xc = xp.astype(x, xp.float64)
        return xp, xc, xc.dtype
    if kind == "c":
        raise TypeError(f"{name} must be real, got complex dtype {x.dtype}")
    if kind == "g":
        raise TypeError(f"{name} has dtype {x.dtype} (long double), which nnmath does not "
                        "compute in: convert it to float64 first (x.astype(numpy.float64))")
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


def check_out(out: Any, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """Validate a user's ``out=`` array: a NumPy array of the result's shape and dtype."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy.ndarray, got {type(out).__name__}")
    if out.dtype != dtype:
        raise TypeError(f"out must have the result's dtype {np.dtype(dtype)}, got {out.dtype}")
    if out.shape != tuple(shape):
        raise ValueError(f"out must have the result's shape {tuple(shape)}, got {out.shape}")
    if not out.flags.writeable:
        raise ValueError("out must be writeable")
    return out


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


# -- arrays of other libraries --------------------------------------------------------------

def _compat() -> Any:
    """``array_api_compat``, or ``None`` when it is not installed."""
    try:
        import array_api_compat
    except ImportError:  # pragma: no cover - depends on the optional extra
        return None
    return array_api_compat


def is_dask(x: Any) -> bool:
    """Whether ``x`` is a Dask array (without importing Dask when nothing uses it)."""
    da = sys.modules.get("dask.array")
    return da is not None and isinstance(x, da.Array)


def is_lazy(x: Any) -> bool:
    """Whether reading the values of ``x`` needs a computation: Dask arrays, and arrays
    that ``array-api-compat`` reports as lazy (e.g. JAX arrays being traced)."""
    if isinstance(x, (np.ndarray, np.generic)) or x is None:
        return False
    if is_dask(x):
        return True
    probe = getattr(_compat(), "is_lazy_array", None)  # array-api-compat >= 1.11
    return probe is not None and bool(probe(x))


def device_of(x: Any) -> Any:
    """The device of ``x`` (``None`` for NumPy), for arrays created next to it."""
    if isinstance(x, (np.ndarray, np.generic)):
        return None
    compat = _compat()
    return None if compat is None else compat.device(x)


def size_of(x: Any) -> int:
    """The number of elements of ``x`` (PyTorch's ``size`` is a method, not a number)."""
    return math.prod(int(n) for n in x.shape)


def to_host(x: Any) -> np.ndarray:
    """A NumPy array with the values of ``x``, an array of any library (a GPU array is
    copied to the host; a Dask array is computed).

    >>> to_host([1, 2])
    array([1, 2])
    """
    if isinstance(x, np.ndarray):
        return x
    if is_dask(x):
        x = x.compute()
    try:
        return np.asarray(x)
    except (TypeError, ValueError, RuntimeError):
        compat = _compat()
        if compat is None:  # pragma: no cover - depends on the optional extra
            raise
        return np.asarray(compat.to_device(x, "cpu"))


def refuse(xp: Any, x: Any, bad: Callable[[Any, Any], Any],
           error: Callable[[Any, Any], Exception]) -> Any:
    """Check that ``bad(xp, x)`` is false everywhere and return ``x``.

    Eager arrays are checked now: ``error(xp, x)`` is raised when an entry is bad. A Dask
    array is not computed: the check is folded into its graph (the returned array checks
    each chunk when it is computed and raises ``error`` for that chunk then), so use the
    returned array. Other lazy arrays (traced JAX arrays) are returned unchecked.

    >>> refuse(np, np.array([0.5, 2.0]), lambda xp, v: v > 1, lambda xp, v: ValueError("> 1"))
    Traceback (most recent call last):
    ...
    ValueError: > 1
    """
    if is_dask(x):
        # a fresh name: the checks are closures, which Dask would otherwise hash slowly
        return x.map_blocks(functools.partial(_refuse_block, bad, error), dtype=x.dtype,
                            meta=x._meta, name=f"nnmath-check-{uuid.uuid4().hex}")
    if is_lazy(x):
        return x
    if bool(xp.any(bad(xp, x))):
        raise error(xp, x)
    return x


def _refuse_block(bad: Callable[[Any, Any], Any], error: Callable[[Any, Any], Exception],
                  block: Any) -> Any:
    bxp = namespace(block)
    with fp_guard(bxp):
        if bool(bxp.any(bad(bxp, block))):
            raise error(bxp, block)
    return block


def take_along_last(xp: Any, x: Any, index: Any) -> Any:
    """``take_along_axis(x, index, axis=-1)`` for ``index`` of shape ``x.shape[:-1] + (m,)``
    with entries in ``[0, n)``; namespaces without it (Dask) pick with a mask and a max,
    which is exact (every value, ``-0.0`` and NaN included, is its own maximum).

    >>> take_along_last(np, np.array([[1.0, 5.0], [7.0, 3.0]]), np.array([[1], [0]]))
    array([[5.],
           [7.]])
    """
    if hasattr(xp, "take_along_axis"):
        return xp.take_along_axis(x, index, axis=-1)
    n = x.shape[-1]
    kind = dtype_kind(xp, x.dtype)
    low = -math.inf if kind == "f" else (False if kind == "b" else xp.iinfo(x.dtype).min)
    lowest = xp.full_like(x, low)
    picked = []
    for j in range(index.shape[-1]):
        hit = xp.arange(n, dtype=index.dtype, device=device_of(x)) == index[..., j:j + 1]
        picked.append(xp.max(xp.where(hit, x, lowest), axis=-1, keepdims=True))
    return picked[0] if len(picked) == 1 else xp.concat(picked, axis=-1)


def sum_all(xp: Any, x: Any) -> Any:
    """The sum of all entries of ``x`` (a 0-d array).

    On Dask the sum is exact: each chunk's sum is kept as an exact rational (or the
    NaN/inf it holds), the partial sums are combined without rounding and the total is
    rounded once to ``x``'s dtype; the result is lazy and does not depend on the
    chunking. Other namespaces use their own ``sum``.
    """
    if not is_dask(x):
        return xp.sum(x)
    import dask.array as da

    dtype = np.dtype(x.dtype)
    return da.reduction(x, _exact_chunk, functools.partial(_exact_aggregate, dtype=dtype),
                        combine=_exact_combine, axis=None, keepdims=False, dtype=dtype,
                        meta=np.empty((), dtype), concatenate=True)


def _exact_cell(value: Any, ndim: int) -> np.ndarray:
    """``value`` (an exact partial sum) in an object array with ``ndim`` dimensions of 1."""
    out = np.empty((1,) * ndim, dtype=object)
    out.reshape(-1)[0] = value
    return out


def _exact_chunk(block: Any, axis: Any = None, keepdims: bool = True) -> np.ndarray:
    from ._exact import exact_total

    host = np.asarray(to_host(block), dtype=np.float64)
    return _exact_cell(exact_total(host), host.ndim)


def _exact_combine(parts: np.ndarray, axis: Any = None, keepdims: bool = True) -> np.ndarray:
    from ._exact import add_all

    return _exact_cell(add_all(parts.ravel().tolist()), parts.ndim)


def _exact_aggregate(parts: np.ndarray, axis: Any = None, keepdims: bool = False, *,
                     dtype: np.dtype) -> np.ndarray:
    from ._exact import add_all, to_float

    return np.asarray(to_float(add_all(parts.ravel().tolist())), dtype=dtype)

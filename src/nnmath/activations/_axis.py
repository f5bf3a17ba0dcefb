"""The activations along an axis (softmax, log_softmax, softmin, sparsemax, glu): their
public functions and the paths that compute them.

NumPy arrays (and Dask arrays of NumPy chunks) run the compiled core's row functions
(gufuncs along the axis: values and vector-Jacobian products); the Jacobians are built from
the core's values (``_xp_axis``). Other array libraries run the plain formulas of
``_xp_axis`` along the last axis (the axis is moved there and back).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _core
from .._array import check_axis, finish, float_input, fp_guard, is_dask, namespace
from . import _jacobians as J
from . import _xp, _xp_axis
from ._elementwise import check_out, core_ufunc, numpy_input

__all__ = ["JOINT_AXES", "axis_run", "check_axes", "glu", "log_softmax", "softmax", "softmin",
           "sparsemax"]

#: the xp formulas (value, Jacobian from the value, VJP from the value) of each row function
_XP_ROWS = {
    "softmax": (_xp_axis.softmax, J.softmax_jacobian, _xp_axis.softmax_vjp),
    "log_softmax": (_xp_axis.log_softmax, J.log_softmax_jacobian, _xp_axis.log_softmax_vjp),
    "sparsemax": (_xp_axis.sparsemax, J.sparsemax_jacobian, _xp_axis.sparsemax_vjp),
}


#: the row functions whose ``axis`` may be a tuple of axes, normalised jointly over them
JOINT_AXES = ("softmax", "log_softmax", "softmin")


def check_axes(name: str, axis: Any, ndim: int | None = None) -> Any:
    """``axis`` of the row function ``name`` checked: an integer, or for the functions of
    ``JOINT_AXES`` a non-empty tuple (or list) of distinct integers, returned as a tuple.
    With ``ndim``, the axes are also checked against it and made non-negative."""
    if not isinstance(axis, (tuple, list)):
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"axis must be an integer{_or_tuple(name)}, got {axis!r}")
        return int(axis) if ndim is None else check_axis(axis, ndim)
    if name not in JOINT_AXES:
        raise TypeError(f"axis of {name} must be an integer, got {axis!r}")
    if not axis or any(isinstance(a, bool) or not isinstance(a, (int, np.integer))
                       for a in axis):
        raise TypeError(f"axis must be an integer or a non-empty tuple of integers, got {axis!r}")
    if ndim is None:
        if len({a for a in axis if a >= 0}) + len({a for a in axis if a < 0}) != len(axis):
            raise ValueError(f"axis has a repeated axis: {axis!r}")
        return tuple(int(a) for a in axis)
    axes = tuple(check_axis(a, ndim) for a in axis)
    if len(set(axes)) != len(axes):
        raise ValueError(f"axis {tuple(axis)!r} repeats an axis of an array with {ndim} "
                         "dimension(s)")
    return axes


def _or_tuple(name: str) -> str:
    return " or a tuple of integers" if name in JOINT_AXES else ""


def axis_run(name: str, what: str, x: Any, axis: Any, g: Any = None, out: Any = None) -> Any:
    """``what`` ("value", "jacobian" or "vjp") of the row function ``name`` along ``axis``
    (for the functions of ``JOINT_AXES``, also jointly along a tuple of axes)."""
    if isinstance(axis, (tuple, list)):
        return _joint(name, what, x, axis, g, out)
    if (what == "value" and type(x) is np.ndarray and x.dtype.char in "efd" and x.ndim
            and (axis == -1 or axis == x.ndim - 1) and type(axis) is int):
        uf = core_ufunc(name)  # the last axis: the gufunc as it is
        if uf is not None and name != "glu":
            if out is None:
                return uf(x, out=_core.empty_like(x)) if x.nbytes >= _core.BUFFERED else uf(x)
            return uf(x, out=check_out(out, x.shape, x.dtype))
    if isinstance(x, np.ndarray) or namespace(x) is np:
        return _numpy(name, what, numpy_input(x), axis, g, out)
    if is_dask(x) and isinstance(getattr(x, "_meta", None), np.ndarray) and what != "jacobian":
        return _dask(name, what, x, axis, g)
    if out is not None:
        raise TypeError("out= is supported for NumPy arrays only")
    xp, xc, dtype = float_input(x, "x")
    ax = check_axis(axis, xc.ndim)
    v = xp.moveaxis(xc, ax, -1)
    gv = None if g is None else xp.moveaxis(_grad_output(xp, name, xc, ax, g), ax, -1)
    with fp_guard(xp):
        y = _xp_last(name, what, xp, v, gv)
    if what == "jacobian":
        return finish(xp, y, dtype)
    return finish(xp, xp.moveaxis(y, -1, ax), dtype)


def _joint(name: str, what: str, x: Any, axis: Any, g: Any, out: Any) -> Any:
    """``axis_run`` along a tuple of axes: the axes moved last (in the tuple's order) and
    merged into one, a view where the layout allows (a copy otherwise), the row function
    run along it, and the result brought back to ``x``'s layout. The Jacobian has the
    joint axes' sizes twice at its end: ``J[..., i_1, ..., i_k, j_1, ..., j_k]``."""
    check_axes(name, axis)
    if len(axis) == 1:
        return axis_run(name, what, x, int(axis[0]), g, out)
    xp: Any
    xc: Any
    if isinstance(x, np.ndarray) or namespace(x) is np:
        xp, xc, dtype = np, numpy_input(x), None
    elif is_dask(x) and isinstance(getattr(x, "_meta", None), np.ndarray) and what != "jacobian":
        import dask.array as da

        xp, xc, dtype = da, (x if x.dtype.char in "efd" else x.astype(np.float64)), None
    else:
        if out is not None:
            raise TypeError("out= is supported for NumPy arrays only")
        xp, xc, dtype = float_input(x, "x")
    axes = check_axes(name, axis, xc.ndim)
    lead = xc.ndim - len(axes)
    last = tuple(range(lead, xc.ndim))
    if xp is not np and is_dask(xc):
        xc = xc.rechunk(dict.fromkeys(axes, -1))
    moved = xp.moveaxis(xc, axes, last)
    sizes = tuple(moved.shape[lead:])
    n = 1
    for size in sizes:
        n *= size
    flat = xp.reshape(moved, (*moved.shape[:lead], n))
    gflat = None
    if g is not None:
        gc: Any
        if xp is np:
            gc = numpy_input(g, "grad_output")
        elif dtype is None:
            gc = xp.asarray(g).astype(xc.dtype)
        else:
            _, gc, _ = float_input(g, "grad_output", xp=xp)
            gc = xp.astype(gc, xc.dtype) if gc.dtype != xc.dtype else gc
        if tuple(gc.shape) != tuple(xc.shape):
            raise ValueError(f"grad_output must have the x's shape {tuple(xc.shape)}, "
                             f"got {tuple(gc.shape)}")
        if xp is not np and is_dask(gc):
            gc = gc.rechunk(xc.chunks)
        gflat = xp.reshape(xp.moveaxis(gc, axes, last), flat.shape)
    y = axis_run(name, what, flat, -1, gflat)
    if what == "jacobian":
        y = xp.reshape(y, (*moved.shape[:lead], *sizes, *sizes))
    else:
        y = xp.moveaxis(xp.reshape(y, moved.shape), last, axes)
    if dtype is not None:
        y = finish(xp, y, dtype)
    return y if out is None else _give(y, out)


def _xp_last(name: str, what: str, xp: Any, v: Any, g: Any) -> Any:
    """The xp formulas along the last axis."""
    if name == "glu":
        a, b = J.glu_halves(xp, v)
        s = _xp.sigmoid(xp, b)
        if what == "value":
            return J._gate(xp, a, s)
        ds = _xp.sigmoid_grad(xp, b)
        return (J.glu_jacobian(xp, a, s, ds) if what == "jacobian"
                else _xp_axis.glu_vjp(xp, a, s, ds, g))
    vn = -v if name == "softmin" else v
    value_f, jac_f, vjp_f = _XP_ROWS["softmax" if name == "softmin" else name]
    if what == "value":
        return value_f(xp, vn)
    # the Jacobians and VJPs take the probabilities: sparsemax's, or softmax's
    p = _xp_axis.sparsemax(xp, v) if name == "sparsemax" else _xp_axis.softmax(xp, vn)
    y = jac_f(xp, p) if what == "jacobian" else vjp_f(xp, p, g)
    return -y if name == "softmin" else y


def _grad_output(xp: Any, name: str, x: Any, ax: int, grad_output: Any) -> Any:
    """``grad_output`` checked against the output's shape (glu: half of x along the axis)."""
    expected = list(x.shape)
    if name == "glu":
        if expected[ax] % 2:
            raise ValueError(f"glu needs an even size along axis, got {expected[ax]}")
        expected[ax] //= 2
    if xp is np:
        g = numpy_input(grad_output, "grad_output")
    else:
        _, g, _ = float_input(grad_output, "grad_output", xp=xp)
        g = xp.astype(g, x.dtype) if g.dtype != x.dtype else g
    if list(g.shape) != expected:
        raise ValueError(
            f"grad_output must have the {'output' if name == 'glu' else 'x'}'s shape "
            f"{tuple(expected)}, got {tuple(g.shape)}"
        )
    return g


def _numpy(name: str, what: str, xc: np.ndarray, axis: Any, g: Any, out: Any) -> Any:
    ax = check_axis(axis, xc.ndim)
    dtype = xc.dtype
    if g is not None:
        g = _grad_output(np, name, xc, ax, g)
        if g.dtype != dtype:  # computed in float64, rounded once to x's dtype
            y = _numpy(name, what, xc.astype(np.float64), ax, g.astype(np.float64), None)
            y = finish(np, y, dtype)
            return y if out is None else _give(y, out)
    if what == "jacobian":
        v = np.moveaxis(xc, ax, -1)
        return _numpy_jacobian(name, v)
    if name == "glu":
        return _numpy_glu(what, xc, ax, g, out)
    shape = xc.shape
    if out is not None:
        check_out(out, shape, dtype)
    axes = [(ax,), (ax,)] if g is None else [(ax,), (ax,), (ax,)]
    uf = core_ufunc(name if g is None else name + "_backward")
    args = (xc,) if g is None else (xc, g)
    if out is None and xc.nbytes >= _core.BUFFERED and xc.dtype.char in "efd" and (
            g is None or (g.dtype == xc.dtype and g.shape == shape)):
        out = _core.empty_like(xc)  # a result from the cache of freed blocks
    return uf(*args, axes=axes, out=out)


def _numpy_jacobian(name: str, v: np.ndarray) -> np.ndarray:
    """The Jacobian along the last axis of ``v`` from the core's values."""
    dtype = v.dtype
    if name == "glu":
        a, b = J.glu_halves(np, v)
        s, ds = core_ufunc("sigmoid")(b), core_ufunc("sigmoid_grad")(b)
        return J.glu_jacobian(np, a, s, ds)
    if name == "softmin":
        p = _numpy("softmin", "value", v, -1, None, None)
        return np.negative(J.softmax_jacobian(np, p)).astype(dtype, copy=False)
    if name == "sparsemax":
        p = _numpy("sparsemax", "value", v, -1, None, None)
        return J.sparsemax_jacobian(np, p)
    p = _numpy("softmax", "value", v, -1, None, None)
    jac = J.softmax_jacobian if name == "softmax" else J.log_softmax_jacobian
    return jac(np, p)


def _numpy_glu(what: str, xc: np.ndarray, ax: int, g: Any, out: Any) -> Any:
    n = xc.shape[ax]
    if n % 2:
        raise ValueError(f"glu needs an even size along axis, got {n}")
    a = np.take(xc, np.arange(n // 2), axis=ax)
    b = np.take(xc, np.arange(n // 2, n), axis=ax)
    if what == "value":
        if out is not None:
            check_out(out, a.shape, xc.dtype)
        return core_ufunc("glu")(a, b, out=out)
    if out is not None:
        check_out(out, xc.shape, xc.dtype)
    ga, gb = core_ufunc("glu_backward")(a, b, g)
    return np.concatenate([ga, gb], axis=ax, out=out)


def _give(y: Any, out: np.ndarray) -> np.ndarray:
    y = np.asarray(y)
    check_out(out, y.shape, y.dtype)
    np.copyto(out, y)
    return out


def _dask(name: str, what: str, x: Any, axis: Any, g: Any) -> Any:
    """A Dask array of NumPy chunks: the NumPy path (the core's row functions) block by
    block, lazily, with the axis in one chunk (rechunked when it is split)."""
    import dask.array as da

    ax = check_axis(axis, x.ndim)
    xc = x if x.dtype.char in "efd" else x.astype(np.float64)
    if xc.numblocks[ax] > 1:
        xc = xc.rechunk({ax: -1})
    n = xc.shape[ax]
    if name == "glu" and n % 2:
        raise ValueError(f"glu needs an even size along axis, got {n}")
    gc = None
    if g is not None:
        gc = da.asarray(g)
        expected = list(xc.shape)
        if name == "glu":
            expected[ax] //= 2
        if list(gc.shape) != expected:
            raise ValueError(f"grad_output must have the output's shape {tuple(expected)}, "
                             f"got {tuple(gc.shape)}")
        gc = gc.astype(xc.dtype)
    if name == "glu":  # the halves, and the core's elementwise ufuncs on them
        idx: list[Any] = [slice(None)] * xc.ndim
        idx[ax] = slice(0, n // 2)
        a = xc[tuple(idx)]
        idx[ax] = slice(n // 2, n)
        b = xc[tuple(idx)]
        if gc is None:
            return core_ufunc("glu")(a, b)
        # a ufunc of two outputs is not one Dask maps: each output block by block
        gc = gc.rechunk(a.chunks)
        ga = da.map_blocks(lambda *v: core_ufunc("glu_backward")(*v)[0], a, b, gc,
                           dtype=xc.dtype)
        gb = da.map_blocks(lambda *v: core_ufunc("glu_backward")(*v)[1], a, b, gc,
                           dtype=xc.dtype)
        return da.concatenate([ga, gb], axis=ax)
    if gc is None:
        return xc.map_blocks(lambda blk: _numpy(name, what, blk, ax, None, None),
                             dtype=xc.dtype)
    return da.map_blocks(lambda blk, h: _numpy(name, what, blk, ax, h, None), xc,
                         gc.rechunk(xc.chunks), dtype=xc.dtype)


def softmax(x: Any, axis: int | tuple[int, ...] = -1, *, out: Any = None) -> Any:
    r"""Softmax along ``axis``: the gradient of LogSumExp, a smooth arg-max.

    .. math:: \operatorname{softmax}(x)_i = \frac{e^{x_i}}{\sum_j e^{x_j}}
              = \frac{e^{x_i - m}}{\sum_j e^{x_j - m}},\quad m = \max_j x_j

    The shift by the maximum keeps every exponent ``<= 0``: ``exp(x)/sum(exp(x))``
    overflows to NaN for ``x > 709`` (float64) or ``x > 88`` (float32), the shifted form
    does not. Note that ``log(sum(exp(x)))`` is LogSumExp, the smooth *maximum*;
    softmax is its gradient. The ``+inf`` entries of a row share the mass equally.

    ``axis`` may be a tuple of axes (as in Keras): the normalisation is then joint over all
    of them, each slice along those axes summing to 1.

    >>> softmax([1000.0, 0.0])
    array([1., 0.])
    >>> softmax([[1.0, 2.0, 3.0, 6.0], [2.0, 4.0, 5.0, 6.0]])
    array([[0.00626879, 0.01704033, 0.04632042, 0.93037047],
           [0.01203764, 0.08894682, 0.24178252, 0.65723302]])
    >>> softmax([[0.0, 0.0], [0.0, 0.0]], axis=(0, 1))
    array([[0.25, 0.25],
           [0.25, 0.25]])
    """
    return axis_run("softmax", "value", x, axis, out=out)


def log_softmax(x: Any, axis: int | tuple[int, ...] = -1, *, out: Any = None) -> Any:
    r"""Logarithm of softmax along ``axis``, computed directly.

    .. math:: \operatorname{log\_softmax}(x)_i = (x_i - m) - \log\Big(1 + \sum_{j \ne j^*}
              e^{x_j - m}\Big),\quad m = x_{j^*} = \max_j x_j

    ``log(softmax(x))`` gives ``-inf`` once a probability underflows; this stays finite,
    and ``log1p`` of the mass outside the top class keeps the top class's log-probability
    accurate when it is close to 0. ``axis`` may be a tuple of axes, as for
    :func:`softmax`.

    >>> log_softmax([1000.0, 1.0, -1000.0])
    array([    0.,  -999., -2000.])
    """
    return axis_run("log_softmax", "value", x, axis, out=out)


def softmin(x: Any, axis: int | tuple[int, ...] = -1, *, out: Any = None) -> Any:
    r"""Softmin along ``axis``: ``softmax(-x)``, a smooth arg-min. ``axis`` may be a
    tuple of axes, as for :func:`softmax`.

    >>> softmin([0.0, 1000.0])
    array([1., 0.])
    """
    return axis_run("softmin", "value", x, axis, out=out)


def sparsemax(x: Any, axis: int = -1, *, out: Any = None) -> Any:
    r"""Sparsemax along ``axis`` (Martins & Astudillo, 2016): the Euclidean projection
    onto the probability simplex, which can give exact zeros.

    .. math:: \operatorname{sparsemax}(x) = \arg\min_{p \in \Delta} \lVert p - x \rVert^2
              = \max(x - \tau(x), 0)

    >>> sparsemax([0.0, 0.5, 1.0])
    array([0.  , 0.25, 0.75])
    """
    return axis_run("sparsemax", "value", x, axis, out=out)


def glu(x: Any, axis: int = -1, *, out: Any = None) -> Any:
    r"""Gated linear unit (Dauphin et al., 2017): split ``x`` in halves ``a, b`` along
    ``axis`` and return ``a * σ(b)``; the size along ``axis`` must be even.

    >>> glu([1.0, 2.0, 0.0, 1000.0])
    array([0.5, 2. ])
    """
    return axis_run("glu", "value", x, axis, out=out)


"""The elementwise activations, built from the spec table (``_spec.py``).

For every row this module makes the public function (``sigmoid(x, *, out=None)``,
``elu(x, alpha=1.0, *, out=None)``, ...) and the class (``Sigmoid``, ``ELU(alpha=1.0)``, ...)
with ``__call__``, ``gradient`` and ``backward``. All of them run one of two paths:

* NumPy arrays (and anything NumPy converts: lists, scalars; Dask arrays of NumPy chunks,
  lazily): the compiled core's ufuncs ``NAME``, ``NAME_grad`` and ``NAME_backward``, with
  the parameters as further inputs. float16, float32 and float64 keep their dtype;
  integers and bools become float64. ``out=`` is the ufunc's.
* Other array libraries: the row's plain formula from ``_xp.py`` in the input's dtype.

The only NumPy inputs that do not reach a ufunc are Keras's ``relu`` with a negative slope
together with a threshold or a cap (no ufunc has three parameters): the ``_xp`` formula
computes those in float64, rounded once.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .. import _core
from .._array import (
    check_out,
    finish,
    float_input,
    fp_guard,
    is_dask,
    namespace,
    requires_grad,
)
from ._base import Activation, Properties
from ._spec import REQUIRED, ROWS, Spec

__all__ = ["CLASSES", "FUNCTIONS", "ElementwiseActivation", "check_out", "core_ufunc"]

_FLOATS = "efd"  # float16, float32, float64: the core's loops


def core_ufunc(name: str) -> Any:
    """The core's ufunc ``name``, or ``None`` where the core has none."""
    return getattr(_core, name, None)


#: the core ufuncs (value, derivative, backward) and parameter inputs of a validated
#: parametrisation: what the fast paths call directly
Plan = tuple[Any, Any, Any, tuple[Any, ...]]


def plan_of(route: Any) -> Plan | None:
    """The ufuncs of a route ``(base name, parameter inputs)``, or ``None``."""
    if route is None:
        return None
    ufs = [core_ufunc(route[0] + suffix) for suffix in ("", "_grad", "_backward")]
    if any(uf is None for uf in ufs):
        return None
    return (ufs[0], ufs[1], ufs[2], tuple(route[1]))


def numpy_input(x: Any, name: str = "x") -> np.ndarray:
    """``x`` as a NumPy array the core computes on: float16/32/64 kept, integers and bools
    as float64; anything else refused by ``float_input`` with an error naming ``name``."""
    if isinstance(x, np.ndarray) and x.dtype.char in _FLOATS:
        return x
    _, xc, dtype = float_input(x, name, xp=np)
    if dtype != xc.dtype:  # float16, which float_input hands over as float32
        return np.asarray(x, dtype=dtype)
    return xc


def _is_numpy_dask(x: Any) -> bool:
    return is_dask(x) and isinstance(getattr(x, "_meta", None), np.ndarray)


def run(spec: Spec, suffix: str, x: Any, values: tuple[Any, ...], g: Any = None,
        out: Any = None, route: Any = None, xp_args: Any = None) -> Any:
    """``spec``'s value (``suffix=""``), derivative (``"_grad"``) or VJP (``"_backward"``,
    with ``g``) of ``x`` for the validated parameter ``values``; ``route`` and ``xp_args``
    override what the core and the ``xp`` formula are given (PReLU's weight array)."""
    if route is None:
        route = spec.route(values)
    if xp_args is None:
        xp_args = values
    if isinstance(x, np.ndarray) or not _foreign(x):
        return _run_numpy(spec, suffix, numpy_input(x), values, g, out, route, xp_args)
    if _is_numpy_dask(x):
        return _run_dask(spec, suffix, x, values, g, route, xp_args)
    if out is not None:
        raise TypeError("out= is supported for NumPy arrays only")
    xp, xc, dtype = float_input(x, "x")
    with fp_guard(xp):
        if suffix == "":
            y = spec.xp(xp, xc, *xp_args)
        else:
            gc = _grad_output(xp, xc, g) if suffix == "_backward" else None
            if gc is not None and spec.xp_vjp is not None:
                y = spec.xp_vjp(xp, xc, gc, *xp_args)
            else:
                d = spec.xp_grad(xp, xc, *xp_args)
                y = d if gc is None else gc * d
        return finish(xp, y, dtype)


#: per spec row: raw parameter values -> plan (bounded: cleared past _PLANS_MAX entries)
_PLANS: dict[str, dict[Any, Plan]] = {}
_PLANS_MAX = 256


def call_function(spec: Spec, x: Any, raw: tuple[Any, ...], out: Any) -> Any:
    """A public function's call that its fast path (a NumPy float array, a cached plan)
    did not take: validate, differentiate, cache the plan, run."""
    values = spec.validate(raw)
    if requires_grad(x) or any(requires_grad(v) for v in values):
        if out is not None:
            raise TypeError("out= is for NumPy arrays; it cannot hold a differentiated result")
        return CLASSES[spec.name](*values)(x)
    route = spec.route(values)
    plan = plan_of(route)
    if plan is not None:
        plans = _PLANS.setdefault(spec.name, {})
        if len(plans) >= _PLANS_MAX:
            plans.clear()
        try:
            plans[raw] = plan
        except TypeError:  # an unhashable parameter value: no cache
            pass
    return run(spec, "", x, values, None, out, route)


def _foreign(x: Any) -> bool:
    """Whether ``x`` is an array of another library (not NumPy nor anything NumPy takes)."""
    return namespace(x) is not np


def _run_numpy(spec: Spec, suffix: str, xc: np.ndarray, values: tuple[Any, ...], g: Any,
               out: Any, route: Any, xp_args: Any) -> Any:
    inputs: tuple[Any, ...] = (xc,)
    wide = False
    if suffix == "_backward":
        gc = _grad_output(np, xc, g)
        if gc.dtype != xc.dtype:  # computed in float64, rounded once to x's dtype
            wide = True
            inputs = (xc.astype(np.float64), gc.astype(np.float64))
        else:
            inputs = (xc, gc)
    if out is not None:
        check_out(out, xc.shape, xc.dtype)
    uf = core_ufunc(route[0] + suffix) if route is not None else None
    if uf is not None and not wide:
        return uf(*inputs, *route[1]) if out is None else uf(*inputs, *route[1], out=out)
    if uf is not None:
        y = uf(*inputs, *route[1])
    else:  # no ufunc for this parametrisation: the plain formula in float64
        x64 = inputs[0].astype(np.float64)
        with fp_guard(np):
            if suffix == "":
                y = spec.xp(np, x64, *xp_args)
            else:
                y = spec.xp_grad(np, x64, *xp_args)
                if suffix == "_backward":
                    y = inputs[1].astype(np.float64) * y
    y = finish(np, np.asarray(y), xc.dtype)
    if out is None:
        return y
    np.copyto(out, y)
    return out


def _run_dask(spec: Spec, suffix: str, x: Any, values: tuple[Any, ...], g: Any,
              route: Any, xp_args: Any) -> Any:
    """A Dask array of NumPy chunks: the core's ufunc applied chunk by chunk, lazily
    (through the ufunc's ``__array_ufunc__``, which broadcasts array parameters), or the
    NumPy path block by block where no ufunc computes this parametrisation."""
    import dask.array as da

    xc = x if x.dtype.char in _FLOATS else x.astype(np.float64)
    gc = None
    if suffix == "_backward":
        gc = da.asarray(g)
        if tuple(gc.shape) != tuple(xc.shape):
            raise ValueError(f"grad_output must have the shape of x {tuple(xc.shape)}, "
                             f"got {tuple(gc.shape)}")
        gc = gc.astype(xc.dtype)
    uf = core_ufunc(route[0] + suffix) if route is not None else None
    if uf is not None:
        return uf(xc, *route[1]) if gc is None else uf(xc, gc, *route[1])

    def block(*arrays: np.ndarray) -> Any:
        g_block = arrays[1] if len(arrays) > 1 else None
        return _run_numpy(spec, suffix, arrays[0], values, g_block, None, route, xp_args)

    if gc is None:
        return xc.map_blocks(block, dtype=xc.dtype)
    return da.map_blocks(block, xc, gc.rechunk(xc.chunks), dtype=xc.dtype)


def _grad_output(xp: Any, x: Any, grad_output: Any) -> Any:
    """Validate ``grad_output`` against ``x``: real, the shape of ``x``."""
    if xp is np:
        g = numpy_input(grad_output, "grad_output")
    else:
        _, g, _ = float_input(grad_output, "grad_output", xp=xp)
        g = xp.astype(g, x.dtype) if g.dtype != x.dtype else g
    if tuple(g.shape) != tuple(x.shape):
        raise ValueError(
            f"grad_output must have the shape of x {tuple(x.shape)}, got {tuple(g.shape)}"
        )
    return g


#: results of this many bytes or more go into an array from the core's cache of freed
#: output blocks (``nnmath.set_buffer_cache``): a new large array's pages would otherwise
#: be mapped again, on the first write, at every call
_BUFFERED = _core.BUFFERED
_empty_like = _core.empty_like

#: per spec row: the constructor's raw values (with their types) -> (validated values,
#: plan), for values that validate to Python scalars (bounded like _PLANS)
_INITS: dict[str, dict[Any, tuple[tuple[Any, ...], Plan | None]]] = {}
_SCALARS = (float, int, bool, str, type(None))


def _init(self: Any, values: tuple[Any, ...]) -> None:
    """Validate the constructor's parameter values and set them as attributes."""
    spec = self._spec
    cache = _INITS.setdefault(spec.name, {})
    key: Any = tuple((type(v), v) for v in values)
    try:
        hit = cache.get(key)
    except TypeError:  # an unhashable value (PReLU's weight array): no cache
        key = hit = None
    if hit is None:
        checked = spec.validate(values)
        hit = (checked, plan_of(spec.route(checked)))
        if key is not None and all(type(v) in _SCALARS for v in checked):
            if len(cache) >= _PLANS_MAX:
                cache.clear()
            cache[key] = hit
    for p, v in zip(spec.params, hit[0], strict=True):
        setattr(self, p.name, v)
    self._plan = hit[1]


class ElementwiseActivation(Activation):
    """An activation applied to each element independently, described by a spec row."""

    _spec: ClassVar[Spec]

    def __init__(self) -> None:  # each class gets its own (``make_class``)
        _init(self, ())

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, p.name) for p in self._spec.params)

    def _run(self, suffix: str, x: Any, g: Any = None) -> Any:
        return run(self._spec, suffix, x, self._values(), g)

    #: the core ufuncs of this instance's parameters (``None``: no fast path)
    _plan: Plan | None = None

    def __call__(self, x: Any) -> Any:
        """The forward value ``f(x)``."""
        plan = self._plan
        if plan is not None and type(x) is np.ndarray and x.dtype.char in _FLOATS:
            if x.nbytes >= _BUFFERED:
                return plan[0](x, *plan[3], out=_empty_like(x))
            return plan[0](x, *plan[3])
        if requires_grad(x):
            return self._differentiable_call(x)
        return self._run("", x)

    def gradient(self, x: Any) -> Any:
        """The derivative ``f'(x)``, elementwise, with the shape and dtype of ``x``."""
        plan = self._plan
        if plan is not None and type(x) is np.ndarray and x.dtype.char in _FLOATS:
            if x.nbytes >= _BUFFERED:
                return plan[1](x, *plan[3], out=_empty_like(x))
            return plan[1](x, *plan[3])
        return self._run("_grad", x)

    def backward(self, x: Any, grad_output: Any) -> Any:
        """The vector-Jacobian product ``grad_output * f'(x)`` (what backpropagation needs)."""
        plan, g = self._plan, grad_output
        if (plan is not None and type(x) is np.ndarray and x.dtype.char in _FLOATS
                and type(g) is np.ndarray and g.dtype == x.dtype and g.shape == x.shape):
            if x.nbytes >= _BUFFERED:
                return plan[2](x, g, *plan[3], out=_empty_like(x))
            return plan[2](x, g, *plan[3])
        return self._run("_backward", x, grad_output)

    @property
    def properties(self) -> Properties:
        props = self._spec.properties
        return props if isinstance(props, Properties) else props(self)


def _docstring(spec: Spec, what: str) -> str:
    return f"{spec.summary}\n{spec.doc}" if what == "function" else (
        f"{spec.summary}\n\n    Derivative: {spec.derivative}. The function is "
        f":func:`nnmath.activations.{spec.name}`.\n    ")


def make_class(spec: Spec, base: type[ElementwiseActivation] = ElementwiseActivation,
               module: str = "nnmath.activations") -> type[ElementwiseActivation]:
    """The class of a spec row: the row's parameters in the constructor."""
    attrs: dict[str, Any] = {
        "__doc__": _docstring(spec, "class"),
        "__module__": module,
        "name": spec.name,
        "formula": spec.formula,
        "derivative_text": spec.derivative,
        "_params": tuple(p.name for p in spec.params),
        "_spec": spec,
        "__init__": _exec(spec, "__init__", ["self"], "_init(self, ({names}))",
                          f"{spec.cls}.__init__", "None"),
        **spec.constants,
    }
    return type(spec.cls, (base,), attrs)


def _exec(spec: Spec, name: str, head: list[str], call: str, qualname: str,
          returns: str = "Any") -> Any:
    """A function ``name(*head, <the row's parameters>[, *, out=None])`` whose body is
    ``return <call>`` (``{names}``: the parameters as a tuple's items), compiled with a
    real signature (what ``inspect.signature`` and the command line read), as
    ``collections.namedtuple`` and ``dataclasses`` build theirs."""
    params = [p.name if p.default is REQUIRED else f"{p.name}={p.name}__default"
              for p in spec.params]
    tail: list[str] = []
    names = "".join(f"{p.name}, " for p in spec.params)
    src = (f"def {name}({', '.join([*head, *params, *tail])}) -> {returns}:\n"
           f"    return {call.format(names=names)}\n")
    env: dict[str, Any] = {"_run": run, "_init": _init, "_spec": spec, "Any": Any}
    env.update({f"{p.name}__default": p.default for p in spec.params
                if p.default is not REQUIRED})
    exec(compile(src, f"<nnmath.activations.{qualname}>", "exec"), env)
    fn = env[name]
    fn.__qualname__ = qualname
    fn.__module__ = "nnmath.activations"
    return fn


def make_function(spec: Spec) -> Any:
    """The public function of a spec row, with a real signature: ``name(x, <params>, *,
    out=None)``. A NumPy float array with parameters seen before goes straight to the
    core's ufunc; anything else through :func:`call_function`."""
    params = [p.name if p.default is REQUIRED else f"{p.name}={p.name}__default"
              for p in spec.params]
    names = "".join(f"{p.name}, " for p in spec.params)
    src = (f"def {spec.name}({', '.join(['x', *params, '*', 'out=None'])}) -> Any:\n"
           f"    raw = ({names})\n"
           f"    try:\n"
           f"        plan = _plans.get(raw)\n"
           f"    except TypeError:\n"
           f"        plan = None\n"
           f"    if plan is not None and type(x) is _ndarray and x.dtype.char in 'efd':\n"
           f"        if out is None:\n"
           f"            if x.nbytes >= _BUFFERED:\n"
           f"                return plan[0](x, *plan[3], out=_empty_like(x))\n"
           f"            return plan[0](x, *plan[3])\n"
           f"        return plan[0](x, *plan[3], out=_check_out(out, x.shape, x.dtype))\n"
           f"    return _call(_spec, x, raw, out)\n")
    env: dict[str, Any] = {"_call": call_function, "_spec": spec, "Any": Any,
                           "_plans": _PLANS.setdefault(spec.name, {}),
                           "_ndarray": np.ndarray, "_check_out": check_out,
                           "_BUFFERED": _BUFFERED, "_empty_like": _empty_like}
    env.update({f"{p.name}__default": p.default for p in spec.params
                if p.default is not REQUIRED})
    exec(compile(src, f"<nnmath.activations.{spec.name}>", "exec"), env)
    fn = env[spec.name]
    fn.__qualname__ = spec.name
    fn.__module__ = "nnmath.activations"
    fn.__doc__ = _docstring(spec, "function")
    return fn


#: the rows whose function and class are written by hand (``_leaky.py``): their
#: parameters are arrays or random draws
CUSTOM = ("prelu", "rrelu")

FUNCTIONS: dict[str, Any] = {}
CLASSES: dict[str, type[ElementwiseActivation]] = {}
for _row in ROWS:
    if _row.axis or _row.name in CUSTOM:
        continue
    FUNCTIONS[_row.name] = make_function(_row)
    CLASSES[_row.name] = make_class(_row)
del _row

#: the functions' docstrings are doctests too (they live in no module's namespace); their
#: examples call them by name, so the names are this module's globals as well
__test__ = {name: fn for name, fn in FUNCTIONS.items()}
globals().update(FUNCTIONS)

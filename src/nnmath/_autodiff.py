"""Automatic differentiation by nnmath's own derivatives (PyTorch autograd, JAX).

Lives beside :mod:`nnmath._array` (which re-exports it) at the bottom layer: it imports
nothing of nnmath.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = ["requires_grad", "with_vjp"]


_JAX_DIFF_TRACERS = ("JVPTracer", "LinearizeTracer")


def requires_grad(x: Any) -> bool:
    """Whether an autodiff library records operations on ``x`` for a derivative: a PyTorch
    tensor that requires grad while grad mode is on, or a JAX tracer of differentiation
    (``jax.grad``, ``jax.vjp``, ``jax.jvp``; not of ``jax.jit`` alone).

    >>> requires_grad(np.ones(2))
    False
    """
    if x is None or isinstance(x, (np.ndarray, np.generic, int, float, bool, list, tuple)):
        return False
    if type(x).__name__ in _JAX_DIFF_TRACERS:
        return True
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(x, torch.Tensor):
        return bool(x.requires_grad) and torch.is_grad_enabled()
    return False


def with_vjp(forward: Callable[..., Any], vjp: Callable[..., tuple[Any, ...]],
             inputs: tuple[Any, ...], constants: Mapping[str, Any],
             names: str = "x") -> Any:
    """``forward(*inputs)``, differentiated by nnmath's own vector-Jacobian product.

    The one door through which every activation and loss runs when an input is being
    differentiated (:func:`requires_grad`): the value is computed on detached inputs and
    the autodiff library is handed ``vjp(inputs, g)`` — one gradient per input, the
    analytic derivative of nnmath — in place of the history of nnmath's internal
    operations (whose derivative would be wrong at kinks, at 0 and where a stable formula
    selects a branch). PyTorch gets a ``torch.autograd.Function`` (first derivatives only:
    differentiating its backward raises), JAX a ``jax.custom_vjp``. ``constants`` (name:
    array) are arguments nnmath does not differentiate: one that requires grad (PyTorch)
    or is differentiated (JAX) is refused with a ``TypeError`` naming it (``names`` says
    what is differentiated).
    """
    for name, value in constants.items():
        if requires_grad(value):
            raise TypeError(
                f"{name} requires a gradient, but nnmath differentiates only with respect to "
                f"{names}: detach {name} "
                "(tensor.detach(), jax.lax.stop_gradient) or compute that gradient yourself"
            )
    if _is_jax(inputs[0]):
        return _jax_vjp(forward, vjp, inputs)
    return _torch_function()(forward, vjp, *inputs)


def _is_jax(x: Any) -> bool:
    jax = sys.modules.get("jax")
    return jax is not None and isinstance(x, jax.Array)


@functools.cache
def _torch_function() -> Callable[..., Any]:
    import torch
    from torch.autograd.function import once_differentiable

    class NnmathVJP(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, forward: Any, vjp: Any, *inputs: Any) -> Any:
            ctx.vjp = vjp
            ctx.save_for_backward(*inputs)
            return forward(*(t.detach() for t in inputs))

        @staticmethod
        @once_differentiable
        def backward(ctx: Any, g: Any) -> Any:
            inputs = tuple(t.detach() for t in ctx.saved_tensors)
            grads = ctx.vjp(inputs, g.detach())
            return (None, None, *(gr if need else None for gr, need in
                                  zip(grads, ctx.needs_input_grad[2:], strict=True)))

    return NnmathVJP.apply


def _jax_vjp(forward: Callable[..., Any], vjp: Callable[..., tuple[Any, ...]],
             inputs: tuple[Any, ...]) -> Any:
    import jax

    fn = jax.custom_vjp(forward)
    fn.defvjp(lambda *a: (forward(*a), a), lambda a, g: tuple(vjp(a, g)))
    return fn(*inputs)

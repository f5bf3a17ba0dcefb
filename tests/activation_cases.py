"""Activation configurations shared by the activation tests."""

from __future__ import annotations

import nnmath.activations as A

# (registry name, constructor parameters): every activation, and its parameters varied
ELEMENTWISE_CASES: list[tuple[str, dict]] = [
    ("sigmoid", {}),
    ("hard_sigmoid", {}),
    ("sparse_sigmoid", {}),
    ("log_sigmoid", {}),
    ("relu", {}),
    ("relu", {"negative_slope": 0.1, "max_value": 4.0, "threshold": 0.5}),
    ("relu", {"negative_slope": -0.3, "threshold": -1.0}),
    ("relu6", {}),
    ("leaky_relu", {}),
    ("leaky_relu", {"negative_slope": 0.2}),
    ("rrelu", {}),
    ("rrelu", {"lower": 0.05, "upper": 0.5}),
    ("prelu", {}),
    ("prelu", {"weight": -0.5}),
    ("elu", {}),
    ("elu", {"alpha": 0.5}),
    ("selu", {}),
    ("celu", {}),
    ("celu", {"alpha": 2.5}),
    ("gelu", {}),
    ("gelu", {"approximate": True}),
    ("silu", {}),
    ("swish", {}),
    ("hard_silu", {}),
    ("hard_swish", {}),
    ("mish", {}),
    ("softplus", {}),
    ("softplus", {"beta": 3.0}),
    ("softplus", {"beta": 0.25}),
    ("sparse_plus", {}),
    ("squareplus", {}),
    ("squareplus", {"b": 0.5}),
    ("softsign", {}),
    ("tanh", {}),
    ("hard_tanh", {}),
    ("hard_tanh", {"min_val": -2.0, "max_val": 0.5}),
    ("tanh_shrink", {}),
    ("hard_shrink", {}),
    ("hard_shrink", {"threshold": 1.5}),
    ("soft_shrink", {}),
    ("soft_shrink", {"threshold": 1.5}),
    ("threshold", {"threshold": 0.3, "default_value": -2.0}),
    ("exponential", {}),
    ("linear", {}),
]

AXIS_CASES: list[tuple[str, dict]] = [
    ("softmax", {}),
    ("log_softmax", {}),
    ("softmin", {}),
    ("sparsemax", {}),
    ("glu", {}),
]

ALL_CASES = ELEMENTWISE_CASES + AXIS_CASES


def case_id(case: tuple[str, dict]) -> str:
    name, params = case
    if not params:
        return name
    return name + "(" + ",".join(f"{k}={v}" for k, v in params.items()) + ")"


def make(name: str, params: dict) -> A.Activation:
    return A.get(name, **params)


def function_kwargs(name: str, params: dict) -> dict:
    """The public function's keyword arguments for a class configuration."""
    if name == "prelu":
        return {"weight": params.get("weight", 0.25)}
    return dict(params)

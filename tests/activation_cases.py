"""Activation configurations shared by the activation tests."""

from __future__ import annotations

import nnmath.activations as A
from nnmath.activations._spec import ROWS

#: parameters of the rows that have required ones (no defaults)
REQUIRED_PARAMS: dict[str, dict] = {"threshold": {"threshold": 0.3, "default_value": -2.0}}

#: further parametrisations worth testing, by registry name
VARIATIONS: dict[str, list[dict]] = {
    "relu": [{"negative_slope": 0.1, "max_value": 4.0, "threshold": 0.5},
             {"negative_slope": -0.3, "threshold": -1.0}],
    "leaky_relu": [{"negative_slope": 0.2}],
    "rrelu": [{"lower": 0.05, "upper": 0.5}],
    "prelu": [{"weight": -0.5}],
    "elu": [{"alpha": 0.5}],
    "celu": [{"alpha": 2.5}],
    "gelu": [{"approximate": True}],
    "softplus": [{"beta": 3.0}, {"beta": 0.25}],
    "squareplus": [{"b": 0.5}],
    "hard_tanh": [{"min_val": -2.0, "max_val": 0.5}],
    "hard_shrink": [{"threshold": 1.5}],
    "soft_shrink": [{"threshold": 1.5}],
}

# (registry name, constructor parameters), derived from the spec table: every activation
# with its defaults, its aliases, and the variations above
ELEMENTWISE_CASES: list[tuple[str, dict]] = []
for _row in ROWS:
    if _row.axis:
        continue
    ELEMENTWISE_CASES.append((_row.name, REQUIRED_PARAMS.get(_row.name, {})))
    ELEMENTWISE_CASES += [(_row.name, p) for p in VARIATIONS.get(_row.name, [])]
    ELEMENTWISE_CASES += [(alias, {}) for alias in _row.aliases]

AXIS_CASES: list[tuple[str, dict]] = [(row.name, {}) for row in ROWS if row.axis]

ALL_CASES = ELEMENTWISE_CASES + AXIS_CASES


def case_id(case: tuple[str, dict]) -> str:
    name, params = case
    if not params:
        return name
    return name + "(" + ",".join(f"{k}={v}" for k, v in params.items()) + ")"


def make(name: str, params: dict) -> A.Activation:
    return A.REGISTRY[name](**params)


def function_kwargs(name: str, params: dict) -> dict:
    """The public function's keyword arguments for a class configuration."""
    if name == "prelu":
        return {"weight": params.get("weight", 0.25)}
    return dict(params)

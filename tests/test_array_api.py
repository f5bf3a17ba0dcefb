"""The activations through another array namespace: array-api-strict, the standard's
reference implementation, which allows nothing beyond the array API standard."""

from __future__ import annotations

import numpy as np
import pytest
from activation_cases import ALL_CASES, case_id, make

xps = pytest.importorskip("array_api_strict", reason="array-api-strict is not installed")

RNG = np.random.default_rng(5)


@pytest.mark.parametrize("case", ALL_CASES, ids=case_id)
def test_value_gradient_backward_match_numpy(case):
    act = make(*case)
    x_np = RNG.normal(scale=3.0, size=(3, 4))
    x = xps.asarray(x_np)
    y = act(x)
    assert type(y) is type(x)  # stays in its namespace
    np.testing.assert_allclose(np.asarray(y), act(x_np), rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(np.asarray(act.gradient(x)), act.gradient(x_np), rtol=1e-13,
                               atol=1e-300)
    g_np = RNG.normal(size=np.asarray(y).shape)
    np.testing.assert_allclose(np.asarray(act.backward(x, xps.asarray(g_np))),
                               act.backward(x_np, g_np), rtol=1e-13, atol=1e-300)


def test_float32_stays_float32():
    x = xps.asarray([-1.0, 0.0, 2.0], dtype=xps.float32)
    assert make("sigmoid", {})(x).dtype == xps.float32
    assert make("softmax", {}).gradient(x).dtype == xps.float32

"""Random attacks on the API (hypothesis): shapes incl. 0-size, dtypes, extreme values.

For finite input every activation, derivative and VJP is free of NaN and of warnings
(pytest turns warnings into errors), keeps the dtype, and the weighted losses give the
weighted mean whatever the scale of the weights.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nnmath.activations as A
import nnmath.losses as L

PARAMS = {"threshold": {"threshold": 0.5, "default_value": -1.0}}
ELEMENTWISE = [n for n in A.names() if n not in {"softmax", "log_softmax", "softmin",
                                                  "sparsemax", "glu"}]
EXTREME = st.sampled_from([0.0, -0.0, 1e308, -1e308, 5e-324, -5e-324, 1e-310, 3.4e38,
                           -3.4e38, 710.0, -745.0, 1.0, -1.0])


@pytest.mark.parametrize("name", ELEMENTWISE)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_elementwise_finite_input(name, data):
    dtype = data.draw(st.sampled_from([np.float16, np.float32, np.float64]))
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    x64 = data.draw(hnp.arrays(np.float64, shape, elements=st.one_of(
        EXTREME, st.floats(-1e6, 1e6))))
    with np.errstate(over="ignore"):  # the cast may round ±1e308 to ±inf (then skipped)
        x = x64.astype(dtype)
    act = A.REGISTRY[name](**PARAMS.get(name, {}))
    finite = np.isfinite(x)
    for out in (act(x), act.gradient(x), act.backward(x, np.zeros_like(x))):
        out = np.asarray(out)
        assert out.dtype == dtype and out.shape == x.shape
        assert not np.isnan(out[finite]).any()


@settings(max_examples=30, deadline=None)
@given(scale=st.sampled_from([5e-324, 1e-310, 1e-45, 1.0, 1e38, 1e39, 1e300]),
       w=hnp.arrays(np.float64, 4, elements=st.integers(0, 8).map(float)))
def test_weighted_mean_scale_free(scale, w):
    y = np.array([[1.0], [0.0], [1.0], [0.0]])
    p = np.array([[0.8], [0.4], [0.3], [0.6]])
    bce = -np.array([np.log(0.8), np.log1p(-0.4), np.log(0.3), np.log1p(-0.6)])
    got = L.BinaryCrossentropy(reduction="mean_with_sample_weight")(y, p,
                                                                    sample_weight=w * scale)
    expected = (w * bce).sum() / w.sum() if w.sum() else 0.0
    assert got == pytest.approx(expected, rel=1e-13)

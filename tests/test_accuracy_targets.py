"""nnmath meets its accuracy targets on a sample (the default suite's version of
``make accuracy``; the exhaustive float32 sweep is ``benchmarks/accuracy.py --mode
exhaustive``).

The harness (``benchmarks/accuracy.py``, itself tested in ``test_accuracy_harness.py``)
measures every elementwise activation and its derivative against independent references
(float64 formulas chosen for their accuracy, mpmath at 60 digits for float64 inputs) and
softmax, log_softmax and softmin on random and extreme rows:

* float16: all 65,536 bit patterns;
* float32: a strided sample of about a million bit patterns (every 4,093rd) plus the dense
  windows of ``F32_WINDOWS`` (roots of derivatives, kinks, the subnormal boundaries);
* float64: ``F64_POINTS`` points per function (log-uniform magnitudes, dense [-40, 40], the
  overflow and underflow boundaries, subnormals) against mpmath.

Targets (docs/ACCURACY.md): at most 1 ulp in float16 and float32, 2 ulp in float64, 2 ulp per
element for the row functions, and no catastrophic result (NaN, ±inf, a flushed subnormal or
a wrong sign where the true value is finite) in any dtype.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mpmath")
pytest.importorskip("scipy")

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "accuracy.py"
_spec = importlib.util.spec_from_file_location("nnmath_accuracy_targets", _PATH)
H = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = H
_spec.loader.exec_module(H)

F64_POINTS = 3000
DTYPES = ("float16", "float32", "float64")

_RESULTS: dict[str, dict] = {}


def results(dt: str) -> dict:
    if dt not in _RESULTS:
        libs = {"nnmath": H.nnmath_impl}
        res = H.run(list(H.FN_BY_LABEL), [dt], libs, 4093, F64_POINTS,
                    log=lambda *a: None)[dt]
        res.update(H.run_axis([dt], ["nnmath"], log=lambda *a: None)[dt])
        _RESULTS[dt] = res
    return _RESULTS[dt]


CASES = [(dt, label, g) for dt in DTYPES for label in H.FN_BY_LABEL for g in (False, True)]
CASES += [(dt, label, False) for dt in DTYPES for label in H.AXIS_FUNCTIONS]


def _id(case) -> str:
    dt, label, g = case
    return f"{dt}-{label}{'-grad' if g else ''}"


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_meets_target(case):
    dt, label, g = case
    st = results(dt)[(label, g)]["nnmath"]
    target = H.AXIS_TARGET if label in H.AXIS_FUNCTIONS else H.TARGET[dt]
    name = label + ("′" if g else "")
    assert st.n > 0
    assert st.n_cat == 0, f"{name} {dt}: catastrophic results, e.g. {st.cat_examples}"
    assert st.max_err <= target, (
        f"{name} {dt}: {st.max_err:.3g} ulp at x = {st.at_x!r} (y = {st.at_y!r}, "
        f"true {st.at_r!r}); target {target} ulp")


def test_the_sample_is_the_advertised_size():
    assert H.f32_sampled(4093).size > 1_000_000
    assert H.f64_sample(F64_POINTS).size >= F64_POINTS
    assert np.isfinite(H.f64_sample(F64_POINTS)).sum() >= F64_POINTS - 5

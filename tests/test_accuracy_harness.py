"""The accuracy harness (benchmarks/accuracy.py) itself: its ulp distance, its classification
of catastrophic results, its float64 references against mpmath. It measures; nothing here
asserts that nnmath meets the accuracy targets."""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

mpmath = pytest.importorskip("mpmath")
pytest.importorskip("scipy")

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "accuracy.py"
_spec = importlib.util.spec_from_file_location("nnmath_accuracy_harness", _PATH)
H = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = H  # dataclasses look the module up
_spec.loader.exec_module(H)

f32, f64 = np.float32, np.float64
TINY32 = float(np.finfo(f32).smallest_subnormal)  # 2**-149


def err32(y, r, x=1.0):
    """(err, catastrophic) of float32 results y against the float64 references r."""
    x = np.full(np.shape(np.atleast_1d(y)), x, dtype=f32)
    e, c = H.classify(x, np.atleast_1d(np.asarray(y, dtype=f32)),
                      np.atleast_1d(np.asarray(r, dtype=f64)))
    return e.tolist(), c.tolist()


def test_ulp_spacing():
    assert H.ulp(np.array([1.0], f32))[0] == 2.0 ** -23
    assert H.ulp(np.array([-1.0], f32))[0] == 2.0 ** -23
    assert H.ulp(np.array([0.0], f32))[0] == TINY32
    assert H.ulp(np.array([3 * TINY32], f32))[0] == TINY32
    assert H.ulp(np.array([np.finfo(f32).max], f32))[0] == 2.0 ** 104
    assert H.ulp(np.array([np.inf], f32))[0] == 2.0 ** 104  # clipped to max
    assert H.ulp(np.array([1.0], np.float16))[0] == 2.0 ** -10
    assert H.ulp(np.array([1.0], f64))[0] == 2.0 ** -52


def test_one_ulp_apart_at_one():
    assert err32(np.nextafter(f32(1), f32(2)), 1.0) == ([1.0], [False])
    assert err32(1.0, 1.0) == ([0.0], [False])
    assert err32(1.0, 1.0 + 2.0 ** -24) == ([0.5], [False])  # a tie: 0.5 ulp


def test_across_a_power_of_two():
    below = float(np.nextafter(f32(1), f32(0)))  # 1 - 2**-24
    # ulp at r = 1 is the spacing above 1 (2**-23): one step down is half an ulp
    assert err32(below, 1.0)[0] == [0.5]
    assert err32(below, 1.0 + 2.0 ** -23)[0] == [1.5]
    # r just below 1 but rounding to 1: still the ulp of 1
    assert err32(below, 1.0 - 2.0 ** -26)[0] == [pytest.approx(0.375)]
    # r below 1 that rounds below 1: the ulp of [0.5, 1), 2**-24
    assert err32(1.0, 1.0 - 2.0 ** -24 - 2.0 ** -26)[0] == [pytest.approx(1.25)]


def test_subnormals():
    assert err32(3 * TINY32, TINY32) == ([2.0], [False])
    assert err32(TINY32, 1.5 * TINY32) == ([0.5], [False])
    # true value 0.4 of the smallest subnormal rounds to 0: 0 is right, not catastrophic
    assert err32(0.0, 0.4 * TINY32) == ([pytest.approx(0.4)], [False])
    # true value 0.6 of it rounds to the subnormal: 0 is catastrophic (flush to zero)
    assert err32(0.0, 0.6 * TINY32)[1] == [True]
    assert err32(-0.0, -TINY32)[1] == [True]


def test_signed_zeros():
    assert err32(-0.0, 0.0) == ([0.0], [False])
    assert err32(0.0, -0.0) == ([0.0], [False])
    assert err32(-0.0, -1e-60) == ([pytest.approx(1e-60 / TINY32)], [False])  # rounds to -0


def test_catastrophic_classification():
    nan, inf = math.nan, math.inf
    assert err32(nan, 1.0) == ([inf], [True])  # NaN where the value is finite
    assert err32(nan, 0.0)[1] == [True]
    assert err32(nan, nan, x=nan) == ([0.0], [False])  # NaN for NaN
    assert err32(1.0, nan, x=nan)[1] == [True]  # a number for NaN
    assert err32(inf, 3e38)[1] == [True]  # overflow where r is finite in float32
    assert err32(inf, 1e39) == ([0.0], [False])  # r overflows float32: inf is right
    assert err32(-inf, 1e39)[1] == [True]  # wrong sign
    assert err32(-1.0, 1.0)[1] == [True]  # wrong sign
    assert err32(np.finfo(f32).max, inf, x=inf)[1] == [True]  # finite where the limit is inf
    assert err32(inf, inf, x=inf) == ([0.0], [False])
    assert err32(1e-30, 0.0) == ([pytest.approx(1e-30 / TINY32)], [False])  # big, not cat.


def test_float64_double_double_reference():
    x = np.array([1.0, 1.0, 1.0])
    y = np.array([1.0 + 2.0 ** -52, 1.0 + 2.0 ** -52, 1.0])
    hi = np.array([1.0, 1.0, 1.0])
    lo = np.array([0.0, 2.0 ** -54, -2.0 ** -54])
    e, c = H.classify(x, y, hi, lo)
    assert e.tolist() == [1.0, 0.75, 0.25]
    assert not c.any()


def test_stats_merge_and_nan_inputs():
    x = np.array([1.0, 2.0, np.nan, 4.0], f32)
    y = np.array([1.0, np.nextafter(f32(2), f32(3)), 0.0, 0.0], f32)
    r = np.array([1.0, 2.0, np.nan, 4.0])
    whole = H.Stats()
    whole.add(x, y, r)
    parts = H.Stats()
    parts.add(x[:2], y[:2], r[:2])
    parts.add(x[2:], y[2:], r[2:])
    for st in (whole, parts):
        assert st.n == 3 and st.n_nan_lost == 1
        assert (st.n_half, st.n_one, st.n_cat) == (2, 1, 1)
        assert st.max_err == 1.0 and st.at_x == 2.0
        assert st.cat_examples == [(4.0, 0.0, 4.0)]


# the float64 references for float32/float16 inputs against the harness's mpmath ones, which
# are checked here against mpmath written out independently on a few points
@pytest.mark.parametrize("fn", H.FUNCTIONS, ids=lambda f: f.label)
@pytest.mark.parametrize("grad", [False, True], ids=["f", "df"])
def test_float64_references_against_mpmath(fn, grad):
    xs = np.array([-103.0, -88.9, -40.0, -20.5, -9.17, -3.5, -2.0, -1.2785, -0.7518, -0.3,
                   -1e-3, -1e-30, 1e-30, 1e-3, 0.05, 0.3, 0.9, 2.5, 5.0, 10.0, 30.0, 80.0])
    xs = xs[~np.isin(xs, fn.kinks)]
    r = H.ref_lowp(fn, grad, xs)
    hi, _ = H.ref_mp(fn.mdref if grad else fn.mref, fn.dref if grad else fn.ref, xs)
    with np.errstate(all="ignore"):
        rel = np.abs(r - hi) / np.maximum(np.abs(hi), 1e-300)
    ok = (rel < 2e-13) | ((r == 0) & (np.abs(hi) < 1e-300))
    assert ok.all(), list(zip(xs[~ok], r[~ok], hi[~ok], strict=True))


def test_references_against_independent_mpmath():
    mp = mpmath.mp
    with mpmath.workdps(50):
        sech2_10 = float(mpmath.sech(10) ** 2)
        sech2_20 = float(mpmath.sech(20) ** 2)
        shrink = float(mpmath.mpf("0.001") - mpmath.tanh(mpmath.mpf("0.001")))
        dsig_30 = float(mpmath.exp(-30) / (1 + mpmath.exp(-30)) ** 2)
        sq = float((mpmath.mpf(-1e4) + mpmath.sqrt(mpmath.mpf(1e8) + 4)) / 2)
        gelu = float(-10 * mpmath.ncdf(-10))
        assert mp.dps == 50
    tanh = H.FN_BY_LABEL["tanh"]
    assert H.ref64(tanh.dref, np.array([10.0]))[0] == pytest.approx(sech2_10, rel=1e-15)
    assert H.r_tanh_shrink(np.array([0.001]))[0] == pytest.approx(shrink, rel=1e-15)
    assert H.r_dsig(np.array([30.0]))[0] == pytest.approx(dsig_30, rel=1e-14)
    assert H.r_squareplus(np.array([-1e4]))[0] == pytest.approx(sq, rel=1e-15)
    assert H.ref64(H.FN_BY_LABEL["gelu"].ref, np.array([-10.0]))[0] == pytest.approx(
        gelu, rel=1e-14)
    assert H.ref64(tanh.dref, np.array([20.0]))[0] == pytest.approx(sech2_20, rel=1e-15)
    assert 1 - np.tanh(20.0) ** 2 == 0  # what the naive formula would give


def test_limits_at_infinity_and_nan():
    x = np.array([-np.inf, np.inf, np.nan])
    silu = H.FN_BY_LABEL["silu"]
    assert H.ref64(silu.ref, x)[:2].tolist() == [0.0, np.inf]
    assert H.ref64(silu.dref, x)[:2].tolist() == [0.0, 1.0]
    assert H.ref64(H.FN_BY_LABEL["gelu_tanh"].dref, x)[:2].tolist() == [0.0, 1.0]
    assert np.isnan(H.ref64(silu.ref, x)[2])


def test_sampled_inputs():
    x = H.f32_sampled(4093)
    assert x.dtype == f32 and 1_000_000 < x.size < 3_000_000
    assert (np.diff(x.view(np.uint32).astype(np.int64)) > 0).all()  # sorted, no repeats
    # the low mantissa bits vary (a stride of 4096 would leave them 0)
    assert np.count_nonzero(np.bincount(x.view(np.uint32) & 0xFFF, minlength=4096)) > 4000
    assert (x == f32(-88.7)).any() and (x == TINY32).any()
    assert H.f16_all().size == 65536
    s = H.f64_sample(500)
    assert s.dtype == f64 and np.isnan(s).sum() == 1
    finite = s[np.isfinite(s) & (s != 0)]
    assert np.abs(finite).min() < 1e-308 and (finite < 0).any()


def test_run_and_markdown_on_float16():
    res = H.run(["relu", "sigmoid"], ["float16"], {"nnmath": H.nnmath_impl},
                4093, 100, log=lambda *a: None)["float16"]
    assert res["_inputs"] == 65536
    assert res[("sigmoid", False)]["nnmath"].n == 65536 - 2046  # the NaN patterns apart
    assert res[("relu", True)]["nnmath"].n == 65536 - 2046 - 2  # and the kink at ±0
    args = type("Args", (), {"mode": "sampled", "stride": 4093, "f64_points": 100})()
    md = H.markdown({"float16": res}, ["nnmath"], args, 1.0)
    assert "SAMPLED run" in md and "| relu′ | nnmath |" in md
    assert md.count("| sigmoid") == 2
    # the exhaustive layout: the swept float32 section (here stood in for by the float16
    # results) comes before the sampled tables, which are named so
    args.mode, args.sweep_libs = "exhaustive", ["nnmath"]
    md = H.markdown({"float16": res, "float32": res, H.SWEPT: res}, ["nnmath"], args, 1.0)
    assert "SAMPLED" not in md and "Exhaustive run" in md
    assert md.index(f"## {H.SWEPT}") < md.index("## float32, sampled")


def test_section_of_nnmath_torch_is_written_between_its_markers(tmp_path):
    """The nnmath.torch candidate gets a section of its own (not rows in the tables above),
    with the count of results that differ from nnmath's; --write-section replaces only that
    section of a written file."""
    pytest.importorskip("torch", reason="PyTorch not installed")
    libs = {"nnmath": H.nnmath_impl, "nnmath.torch": H.nnmath_torch_ops_impl}
    res = H.run(["sigmoid"], ["float16"], libs, 4093, 100, log=lambda *a: None)["float16"]
    assert res["_differ"]["nnmath.torch"][("sigmoid", True)] == (0, 65536)  # NaNs too
    args = type("Args", (), {"mode": "sampled", "stride": 4093, "f64_points": 100})()
    md = H.markdown({"float16": res}, list(libs), args, 1.0)
    head, section = md.split(H.SECTION_BEGIN.format(lib="nnmath.torch"))
    assert "| nnmath.torch |" not in head and "| sigmoid′ | nnmath |" in head
    assert "| sigmoid′ | nnmath.torch |" in section and "| ≠ nnmath (bits) |" in section
    path = tmp_path / "ACCURACY.md"
    path.write_text("# title\n\nbody\n", encoding="utf-8")
    H.write_section(str(path), {"float16": res}, "nnmath.torch", args)
    once = path.read_text(encoding="utf-8")
    assert once.startswith("# title\n\nbody\n\n<!-- section nnmath.torch")
    H.write_section(str(path), {"float16": res}, "nnmath.torch", args)  # replaced, not added
    twice = path.read_text(encoding="utf-8")
    assert twice.startswith("# title\n\nbody\n\n<!-- section nnmath.torch")
    assert twice.count("<!-- section nnmath.torch") == 1 and len(twice) == len(once)


def test_row_references_against_mpmath():
    # the float64 reference of the float32 rows, against mpmath at 60 digits
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(0, 30, (6, 7)),
                        np.array([[0.0, -20.0, -40.0, -90.0, -110.0, -60.0, -30.0]])]).astype(f32)
    x64 = x.astype(f64)
    for label in H.AXIS_FUNCTIONS:
        ref = H.axis_ref64(label, x)
        hi, lo = H.axis_ref_mp(label, x64)
        np.testing.assert_allclose(ref, hi + lo, rtol=1e-13, atol=0)
    # log_softmax of the top logit is minus the others' mass, however small
    hi, _ = H.axis_ref_mp("log_softmax", np.array([[0.0, -100.0]]))
    assert hi[0, 0] == pytest.approx(-math.exp(-100.0), rel=1e-15)
    assert H.axis_ref64("log_softmax", np.array([[0.0, -100.0]], f32))[0, 0] == \
        pytest.approx(-math.exp(-100.0), rel=1e-15)
    # softmin is softmax of -x
    np.testing.assert_array_equal(H.axis_ref64("softmin", x), H.axis_ref64("softmax", -x))


def test_rows_cover_the_extremes():
    for dt in ("float16", "float32", "float64"):
        rows = H.axis_rows(dt)
        assert all(r.dtype == np.dtype(dt) and r.ndim == 2 for r in rows)
        assert {r.shape[1] for r in rows} >= {2, 3, 10, 100, 1000}
        flat = np.concatenate([r.reshape(-1) for r in rows])
        assert np.isfinite(flat).all()
        assert flat.max() >= np.finfo(dt).max / 2  # huge magnitudes are in


def off_by_ulps(rng, hi, ulps, share):
    """float32 results for the references hi: rounded, moved by up to ``ulps`` ulps, and a
    ``share`` of them replaced by each of 0, inf and NaN."""
    with np.errstate(all="ignore"):
        y = hi.astype(f32)
        y = (y.view(np.int32) + rng.integers(-ulps, ulps + 1, y.size).astype(np.int32)).view(f32)
        for v in (0.0, np.inf, np.nan):
            y[rng.random(y.size) < share] = v
    return y


def test_float32_shortcut_classifies_as_the_full_classification():
    # random patterns and results a few ulps off, zeros, infinities, NaNs and flipped signs
    rng = np.random.default_rng(3)
    for fn in H.FUNCTIONS[::3]:
        x = rng.integers(0, 1 << 32, 100_000, dtype=np.uint64).astype(np.uint32).view(f32)
        x = x[~np.isnan(x)]
        hi = H.ref64(fn.ref, x)
        y = off_by_ulps(rng, hi, 3, 0.01)
        with np.errstate(all="ignore"):
            y[rng.random(y.size) < 0.01] *= -1
        e_full, c_full = H.classify(x, y, hi)
        e_fast, c_fast = H._classify_f32(x, y, hi)
        np.testing.assert_array_equal(c_fast, c_full)
        np.testing.assert_array_equal(e_fast, e_full)  # NaN where NaN, inf where inf


def test_compiled_float32_statistics_equal_the_numpy_ones(tmp_path, monkeypatch):
    """sweep_stats.c (the sweep's common case in C) gives the Stats of the NumPy path, on
    inputs with NaNs, infinities, results off by a few ulps, catastrophic ones, ties."""
    if H.load_fast_f32(tmp_path, log=lambda *a: None) is None:
        pytest.skip("no C compiler")
    fast = H.FAST_F32
    rng = np.random.default_rng(11)
    cases = 0
    for fn in H.FUNCTIONS[::2]:
        x = rng.integers(0, 1 << 32, 50_000, dtype=np.uint64).astype(np.uint32).view(f32)
        x[:3] = [np.nan, np.inf, -np.inf]
        hi = H.ref64(fn.ref, x)
        y = off_by_ulps(rng, hi, 1, 0.002)
        with np.errstate(all="ignore"):
            y_rounded = hi.astype(f32)
        for yy in (y, y_rounded):  # some errors above 0.5 ulp; all within it
            want, got = H.Stats(), H.Stats()
            monkeypatch.setattr(H, "FAST_F32", None)
            want.add(x, yy, hi)
            monkeypatch.setattr(H, "FAST_F32", fast)
            got.add(x, yy, hi)
            np.testing.assert_equal(dataclasses.asdict(got), dataclasses.asdict(want),
                                    err_msg=fn.label)  # NaN equal to NaN
            cases += want.n_cat > 0
    assert cases >= 5  # catastrophic results were among the inputs


def test_sweep_blocks_merge_to_one_pass():
    spec = importlib.util.spec_from_file_location(
        "nnmath_accuracy_sweep", _PATH.with_name("accuracy_sweep.py"))
    S = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(S)
    labels = ["sigmoid", "relu", "gelu"]
    size = 1 << 14
    # the patterns around the root of gelu' and down to sigmoid's subnormal results, a
    # block of NaNs and infinities: four blocks of 4,096, pieces of 1,024, merged
    for first in (int(np.array(-0.7517915, f32).view(np.uint32)) // size,
                  int(np.array(-88.7, f32).view(np.uint32)) // size,
                  0x7F800000 // size):
        parts = [S.measure_block(4 * first + k, labels, ["nnmath"], piece=1024,
                                 size=size // 4) for k in range(4)]
        merged = S.merge(parts)
        x = np.arange(first * size, (first + 1) * size, dtype=np.uint64).astype(
            np.uint32).view(f32)
        make = H.nnmath_impl()
        for label in labels:
            fn = H.FN_BY_LABEL[label]
            for g in (False, True):
                xs = x[~np.isin(x, np.array(fn.kinks, f32))] if g and fn.kinks else x
                one = H.Stats()
                with np.errstate(all="ignore"):
                    one.add(xs, make(fn, g)(xs), H.ref_lowp(fn, g, xs))
                st = merged[S.key(label, g, "nnmath")]
                for k in ("n", "n_half", "n_one", "n_cat", "n_nan_lost", "max_err"):
                    assert getattr(st, k) == getattr(one, k), (label, g, k)
                assert (st.at_x, st.at_y) == (one.at_x, one.at_y) or one.max_err <= 0
                assert [tuple(e) for e in st.cat_examples] == one.cat_examples


def test_sweep_keeps_a_functions_blocks_only_while_its_probe_results_hold(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "nnmath_accuracy_sweep", _PATH.with_name("accuracy_sweep.py"))
    S = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(S)
    x = S.probe_patterns()
    assert x.dtype == f32 and x.size == (1 << 20) + (1 << 16)
    d = tmp_path / "nnmath" / "sigmoid"
    d.mkdir(parents=True)
    (d / "block-007.json").write_text("{}")
    S._refresh(tmp_path, "sigmoid", "nnmath", log=lambda *a: None)  # no probe yet: stale
    assert not (d / "block-007.json").exists()
    digest = (d / "probe.txt").read_text().strip()
    assert len(digest) == 64
    (d / "block-007.json").write_text("{}")
    S._refresh(tmp_path, "sigmoid", "nnmath", log=lambda *a: None)  # same results: kept
    assert (d / "block-007.json").exists()
    # another function's results digest differently, and a changed probe drops the blocks
    assert S.probe_digest("tanh", "nnmath") != digest
    (d / "probe.txt").write_text("0" * 64 + "\n")
    S._refresh(tmp_path, "sigmoid", "nnmath", log=lambda *a: None)
    assert not (d / "block-007.json").exists()
    assert (d / "probe.txt").read_text().strip() == digest

"""The core's cache of freed output blocks (``nnmath.set_buffer_cache``, ``_core.empty_like``).

Large results (one MiB or more) take their memory from blocks of earlier, freed results;
what is checked here: the values and layout are those of the plain ufunc call, a result
still alive is never handed out again, the cache keeps to its bound and releases its
blocks when turned off, tracemalloc sees the result as NumPy's own allocations, and a
wrong ``NNMATH_BUFFER_CACHE`` is refused at import.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

import nnmath
from nnmath import _core
from nnmath import activations as A

MIB = 1 << 20


@pytest.fixture
def cache():
    """A fresh cache of 64 MiB for the test; the previous bound restored after it."""
    old = nnmath.set_buffer_cache(0)  # releases what was held
    nnmath.set_buffer_cache(64 * MIB)
    yield
    nnmath.set_buffer_cache(0)
    nnmath.set_buffer_cache(old)


def _x(n: int, dtype=np.float64) -> np.ndarray:
    return (3.0 * np.random.default_rng(0).standard_normal(n)).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_results_equal_the_plain_ufunc(cache, dtype):
    x = _x(600_000, dtype)  # > 1 MiB in every dtype but float16 (1.2 MB)
    for _ in range(3):  # the later calls reuse the first one's freed block
        np.testing.assert_array_equal(A.sigmoid(x), _core.sigmoid(x))
        np.testing.assert_array_equal(A.Tanh().gradient(x), _core.tanh_grad(x))
        np.testing.assert_array_equal(A.SiLU().backward(x, x[::-1].copy()),
                                      _core.silu_backward(x, x[::-1].copy()))
        np.testing.assert_array_equal(A.softplus(x, beta=2.0), _core.softplus(x, 2.0))


def test_layout_follows_the_input(cache):
    x = _x(2_000_000).reshape(1000, 2000)
    assert A.sigmoid(x).flags.c_contiguous
    t = A.sigmoid(x.T)
    assert t.flags.f_contiguous and t.shape == (2000, 1000)
    np.testing.assert_array_equal(t, _core.sigmoid(x.T))
    s = A.sigmoid(x[:, ::2])
    assert s.shape == (1000, 1000) and s.flags.c_contiguous
    np.testing.assert_array_equal(s, _core.sigmoid(x[:, ::2]))


def test_a_live_result_is_not_reused(cache):
    x = _x(1_000_000)
    first = A.sigmoid(x)
    keep = first.copy()
    second = A.sigmoid(2.0 * x)
    assert not np.shares_memory(first, second)
    np.testing.assert_array_equal(first, keep)
    del second
    third = A.relu(x)  # takes the block `second` freed, not `first`'s
    assert not np.shares_memory(first, third)
    np.testing.assert_array_equal(first, keep)


def test_freed_blocks_are_reused_and_bounded(cache):
    x = _x(1_000_000)  # 8 MB
    assert _core.buffer_cache_info() == (64 * MIB, 0)
    y = A.sigmoid(x)
    address = y.ctypes.data
    del y
    assert _core.buffer_cache_info()[1] == x.nbytes
    y = A.sigmoid(x)
    assert y.ctypes.data == address  # the freed block, not new memory
    assert _core.buffer_cache_info()[1] == 0
    ys = [A.sigmoid(x) for _ in range(12)]  # 96 MB alive
    del y, ys
    held = _core.buffer_cache_info()[1]
    assert 0 < held <= 64 * MIB  # the bound (8 slots of 8 MB: 64 MB)
    assert nnmath.set_buffer_cache(0) == 64 * MIB
    assert _core.buffer_cache_info() == (0, 0)  # turned off: everything released
    y = A.sigmoid(x)
    del y
    assert _core.buffer_cache_info() == (0, 0)


def test_small_results_bypass_the_cache(cache):
    x = _x(1000)
    y = A.sigmoid(x)
    del y
    assert _core.buffer_cache_info()[1] == 0


def test_tracemalloc_sees_the_result_once(cache):
    x = _x(1_000_000)
    o = np.empty_like(x)
    A.sigmoid(x)  # a block in the cache now
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        y = A.sigmoid(x)
        current, peak = tracemalloc.get_traced_memory()
        assert x.nbytes <= current <= peak <= x.nbytes + 4096  # only the result
        del y
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        A.sigmoid(x, out=o)
        assert tracemalloc.get_traced_memory()[1] - base <= 4096
    finally:
        tracemalloc.stop()


def test_set_buffer_cache_refuses_bad_values():
    for bad in (-1, 1.5, True, "1"):
        with pytest.raises(ValueError, match="max_bytes"):
            nnmath.set_buffer_cache(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_bytes must be >= 0"):
        _core.set_buffer_cache(-5)
    with pytest.raises(TypeError, match="x must be a NumPy array"):
        _core.empty_like([1.0, 2.0])


@pytest.mark.parametrize("value, ok", [("0", True), ("1048576", True), ("-3", False),
                                       ("lots", False)])
def test_environment_variable(value, ok):
    code = ("import nnmath._core as c, numpy as np; print(c.buffer_cache_info()[0])")
    env = {**os.environ, "NNMATH_BUFFER_CACHE": value}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120)
    if ok:
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == value
    else:
        assert proc.returncode != 0
        assert "NNMATH_BUFFER_CACHE must be a whole number of bytes" in proc.stderr


def test_empty_makes_arrays_from_the_cache(cache):
    a = _core.empty((1000, 300), np.float64)
    assert a.shape == (1000, 300) and a.dtype == np.float64 and a.flags.c_contiguous
    address = a.ctypes.data
    del a
    assert _core.buffer_cache_info()[1] == 2_400_000
    b = _core.empty([300, 1000], "f8")  # the same bytes, another shape
    assert b.ctypes.data == address and b.shape == (300, 1000)
    assert _core.empty(5, np.float32).shape == (5,)
    with pytest.raises(TypeError, match="not understood"):
        _core.empty((2,), "nonsense")
    with pytest.raises(ValueError, match="negative"):
        _core.empty((-2,), "f8")


def test_torch_results_use_the_cache(cache):
    torch = pytest.importorskip("torch", reason="PyTorch not installed")
    nt = pytest.importorskip("nnmath.torch")
    x = torch.randn(300_000, dtype=torch.float64)  # 2.4 MB
    y = nt.sigmoid(x)
    assert torch.equal(y, torch.from_numpy(_core.sigmoid(x.numpy())))
    del y
    assert _core.buffer_cache_info()[1] == x.numel() * 8  # the tensor's memory came back
    xr = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(nt.sigmoid(xr).sum(), xr)
    np.testing.assert_array_equal(g.numpy(), _core.sigmoid_grad(x.numpy()))
    xt = torch.randn(600, 500, dtype=torch.float64).T  # not contiguous: torch's own layout
    yt = nt.sigmoid(xt)
    assert yt.stride() == torch.empty_like(xt).stride()
    np.testing.assert_array_equal(yt.numpy(), _core.sigmoid(xt.numpy()))


def test_buffered_is_the_cache_threshold(cache):
    """``_core.BUFFERED`` (what the Python callers test) is the C side's threshold."""
    small = _core.empty(_core.BUFFERED - 8, np.uint8)
    del small
    assert _core.buffer_cache_info()[1] == 0
    big = _core.empty(_core.BUFFERED, np.uint8)
    del big
    assert _core.buffer_cache_info()[1] == _core.BUFFERED

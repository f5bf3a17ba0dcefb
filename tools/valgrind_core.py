"""A sample of nnmath._core ufunc calls for tools/valgrind_core.sh to run under valgrind
memcheck: elementwise loops (float16/32/64, parameters, fused backward), odd and negative
strides, out=, where=, broadcasting, the row gufuncs (odd row lengths, strided rows, axes=)
and the thread pool (the threshold lowered so that small loops are split over threads).
Each result is compared with a NumPy evaluation, so that a wrong read shows as well.

    python tools/valgrind_core.py
"""

from __future__ import annotations

import numpy as np

from nnmath import _core as C


def sigmoid(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64)
    return np.exp(-np.logaddexp(0.0, -x))


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def close(a: np.ndarray, b: np.ndarray, what: str, tol: float = 1e-6) -> None:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or not np.allclose(a, b, rtol=tol, atol=tol, equal_nan=True):
        raise SystemExit(f"valgrind_core.py: error: {what}: wrong result")


def sample() -> None:
    rng = np.random.default_rng(7)
    for dtype, tol in ((np.float64, 1e-12), (np.float32, 1e-6), (np.float16, 1e-3)):
        x = (rng.standard_normal(1003) * 8).astype(dtype)
        x[:3] = [np.inf, -np.inf, np.nan]
        close(C.sigmoid(x), sigmoid(x), f"sigmoid {dtype.__name__}", tol)
        close(C.sigmoid(x[::3]), sigmoid(x[::3]), "odd stride", tol)
        close(C.sigmoid(x[::-2]), sigmoid(x[::-2]), "negative stride", tol)
        g = rng.standard_normal(1003).astype(dtype)
        close(C.leaky_relu(x, 0.1), np.where(x < 0, 0.1 * x.astype(np.float64), x),
              "leaky_relu", tol)
        close(C.elu_backward(x[::2], g[::2], 1.5),
              g[::2] * np.where(x[::2] > 0, 1.0, 1.5 * np.exp(np.minimum(x[::2], 0.0))),
              "elu_backward", tol)
        # out= into a strided view, where= (the masked elements keep their values)
        y = np.full(2006, -7.0, dtype=dtype)
        C.tanh(x, out=y[::2])
        close(y[::2], np.tanh(x.astype(np.float64)), "out=", tol)
        close(y[1::2], np.full(1003, -7.0), "out= leaves the gaps")
        mask = rng.random(1003) < 0.5
        z = np.full(1003, 5.0, dtype=dtype)
        C.softplus(x, 1.0, out=z, where=mask)
        close(z[mask], np.logaddexp(0.0, x[mask].astype(np.float64)), "where=", tol)
        close(z[~mask], np.full((~mask).sum(), 5.0), "where= keeps the rest")
        # broadcasting a parameter array against a 2-D Fortran-ordered input
        m = np.asfortranarray(x[:1000].reshape(40, 25))
        slope = np.linspace(0.0, 1.0, 25)
        close(C.leaky_relu(m, slope), np.where(m < 0, slope * m.astype(np.float64), m),
              "broadcast", tol)
        # rows: odd length, strided rows, another axis
        r = (rng.standard_normal((31, 37)) * 5).astype(dtype)
        close(C.softmax(r), softmax(r.astype(np.float64)), "softmax", tol)
        close(C.log_softmax(r[::2, ::3]), np.log(softmax(r[::2, ::3].astype(np.float64))),
              "log_softmax strided", max(tol, 1e-2 if dtype == np.float16 else tol))
        close(C.softmax(r, axes=[0, 0]), softmax(r.astype(np.float64), axis=0),
              "softmax axes", tol)
        gr = rng.standard_normal((31, 37)).astype(dtype)
        s = softmax(r.astype(np.float64))
        vjp = s * (gr - (gr * s).sum(axis=-1, keepdims=True))
        close(C.softmax_backward(r, gr), vjp, "softmax_backward", max(tol, 1e-2))
    # the thread pool: small loops split over 3 threads, elementwise and rows
    old_threads = C.get_num_threads()
    old_min = C._umath._set_parallel_min(1000)
    try:
        C.set_num_threads(3)
        big = rng.standard_normal(50_001) * 4
        for _ in range(3):
            close(C.sigmoid(big), sigmoid(big), "threads: sigmoid")
            close(C.sigmoid(big[::-3]), sigmoid(big[::-3]), "threads: strided")
        rows = rng.standard_normal((401, 33))
        close(C.softmax(rows), softmax(rows), "threads: softmax")
        out = np.empty((401, 66))
        C.log_softmax(rows, out=out[:, ::2])
        close(out[:, ::2], np.log(softmax(rows)), "threads: log_softmax out=")
    finally:
        C.set_num_threads(old_threads)
        C._umath._set_parallel_min(old_min)
    # the cache of freed output blocks: taken, given back, evicted, released
    old_cache = C.set_buffer_cache(3 << 20)
    try:
        x = rng.standard_normal(140_000)  # 1.1 MB
        for n in (140_000, 100_000, 140_000, 200_000, 140_000):
            y = C.empty_like(x[:n])
            y[...] = 1.0
            C.sigmoid(x[:n], out=y)
            close(y, sigmoid(x[:n]), "buffers: sigmoid")
            ys = [C.empty_like(x) for _ in range(4)]
            del y, ys
    finally:
        C.set_buffer_cache(0)
        C.set_buffer_cache(old_cache)


if __name__ == "__main__":
    with np.errstate(all="ignore"):  # the NumPy references meet inf and NaN
        sample()
    print(f"valgrind_core.py: ok (level {C.cpu_level()})")

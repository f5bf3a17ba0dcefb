"""The accuracy of nnmath's elementwise activations and their derivatives, in ulps.

For every elementwise activation ``f`` of :mod:`nnmath.activations`, its derivative
(``get(name).gradient(x)``), and every float dtype, this harness measures, on the same inputs
and in the same run, nnmath and the peers that are installed (``scipy.special``,
``torch.nn.functional`` with its autograd for derivatives, ``jax.nn`` with ``jax.grad``):

* the **maximum error in ulps** and the input where it occurs;
* the **share of inputs above 0.5 ulp and above 1 ulp**;
* the **count of catastrophic results**.

Definitions
-----------
Let ``r`` be the true value of ``f(x)`` (or ``f'(x)``) for the input ``x`` of dtype ``T``,
``r_T`` its value correctly rounded to ``T`` (overflow to ±inf included) and ``y`` the
result under test, of dtype ``T``. Then::

    ulp(r) = spacing of T at |r_T|: nextafter(|r_T|, +inf) - |r_T|, with r_T clipped to
             ±max(T) first (so the ulp of an overflowing value is the spacing at max(T));
             at r_T = 0 or a subnormal r_T it is the subnormal spacing 2**(emin - p + 1)
    err    = |y - r| / ulp(r)

A correctly rounded ``y`` has ``err <= 0.5``. The result is **catastrophic** when

* ``y`` is NaN and ``x`` is not NaN, or ``y`` is not NaN and ``x`` is NaN;
* ``y`` is ±inf where ``r_T`` is finite;
* ``y`` is 0 (either sign) where ``r_T`` is finite and non-zero (a subnormal ``r_T``
  included: flushing a subnormal result to zero is catastrophic);
* ``y`` and ``r_T`` are both non-zero and of opposite signs;
* the true value is ±inf (the limit at an infinite input: ``relu(inf) = inf``) and ``y``
  is anything else.

NaN inputs are not measured: they are counted apart, as the results that are not NaN
("NaN → number"; nnmath's policy is NaN in, NaN out; autograd derivatives of piecewise
functions often give 0 or 1 there). A catastrophic result counts as ``err = inf`` in the
shares; the reported **maximum is
over the non-catastrophic results** (so that one flushed subnormal does not hide the rest)
and the catastrophic count stands next to it. ``y = ±inf = r_T`` (overflow, correctly
rounded) and NaN for NaN are 0 ulp.

References
----------
* float32 and float16: a float64 value from formulas whose float64 error is far below
  a float32 ulp (relative error ~1e-14 or better, ~1e6 times below a float32 ulp):
  ``z = exp(-|x|)`` forms for sigmoid and its derivative ``z/(1+z)²``, ``sech²(x) =
  4e^{-2|x|}/(1+e^{-2|x|})²`` (never ``1 - tanh²``), ``log1p`` for softplus and
  log-sigmoid, ``x - tanh x`` by its odd series below ``|x| < 0.1``, squareplus for
  ``x < 0`` as ``b/(2(sqrt(x²+b) - x))`` and its derivative as ``b/(2h(h - x))``, exact GELU
  as ``x ndtr(x)`` with SciPy's ``ndtr`` (accurate relatively in the tail), tanh-GELU as
  ``x σ(2u)``. float16 and float32 inputs are exact in float64 (``x²`` too). Within
  ``ROOT_WINDOW`` of a root of a derivative (gelu', tanh-gelu', silu', mish': a sum of
  terms of opposite signs) the reference is mpmath's.
* float64: mpmath at 60 significant digits (extra precision where ``x - tanh x`` cancels),
  kept as a double-double ``(hi, lo)`` so that ``y - r`` is formed without a rounding that
  matters.
* At ±inf the reference is the limit; at NaN it is NaN.

Inputs
------
* float16: always exhaustive, all 65,536 bit patterns.
* float32: ``--mode sampled`` (default) takes every ``--stride``-th pattern (default 4093,
  a prime, so that the low mantissa bits vary: a stride of 4096 would only test 11-bit
  significands), about 1.05 million patterns, plus every pattern of the windows in
  ``F32_WINDOWS`` (65,536 consecutive patterns around each centre), for nnmath and the
  peers. ``--mode exhaustive`` adds all 2**32 patterns for nnmath (``--sweep-libs`` for
  more): ``accuracy_sweep.py`` measures them in 256 blocks per function on ``--jobs``
  processes, saves each (function, block) to ``--state`` as it is done (a stopped sweep
  resumes there; a function whose results on a probe changed is measured again) and
  merges them exactly; about an hour on 2 cores.
* float64: ``--f64-points`` points (default 100,000), the same
  for every function: log-uniform magnitudes 1e-300..1e3 of both signs, uniform [-40, 40],
  uniform ±2 around the overflow/underflow boundaries (``BOUNDARIES_F64``), log-uniform
  subnormals of both signs, and the specials ±0, ±inf, NaN, ±max, ±min normal/subnormal.

The derivative is not measured at the kinks where it is discontinuous (e.g. ``relu'(0)``):
there it is a convention, not a value. ``rrelu``, ``prelu``, ``threshold`` and ``linear``
are skipped (``SKIPPED``). Function parameters are the defaults; a parameter such as
``leaky_relu``'s 0.01 means the float64 value of the literal.

Usage::

    python benchmarks/accuracy.py                          # sampled, all dtypes, all peers
    python benchmarks/accuracy.py --mode exhaustive --state .accuracy-sweep \
        --write docs/ACCURACY.md
    python benchmarks/accuracy.py --functions sigmoid,gelu --dtypes float32 --peers torch

Peers (``--peers``): ``scipy``, ``torch``, ``jax`` (their own functions), ``nnmath-torch``
(nnmath's ``xp`` formulas on PyTorch tensors) and ``nnmath-jax`` (``nnmath.jax``'s xp path
on the CPU, ``use_core(False)``; not in the default list: ``--peers nnmath-jax``).
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
import scipy.special as sc

mp = mpmath.mp
MP_DPS = 60

SELU_ALPHA = "1.6732632423543772848170429916717"
SELU_SCALE = "1.0507009873554804934193349852946"
GELU_C = 0.044715
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
LEAKY = 0.01

SKIPPED = {
    "rrelu": "random slopes in training; in evaluation it is leaky_relu with slope (l+u)/2",
    "prelu": "needs a learned weight; for a scalar weight it is leaky_relu",
    "threshold": "no default parameters; a comparison and a copy, exact by construction",
    "linear": "the identity, exact by construction",
}

#: centres of the float32 windows measured in full in the sampled mode (65,536 patterns each)
F32_WINDOWS = {
    1.0: "1", -1.0: "-1", 0.5: "shrink kink", -0.5: "shrink kink", 3.0: "hard_* kink",
    -3.0: "hard_* kink", 6.0: "relu6 kink", 1e-3: "x - tanh x series",
    -0.7517915: "root of gelu'", -1.2784645: "root of silu'", 9.5: "sech², σ' tails",
    -14.0: "gelu → subnormal", -88.7: "σ → subnormal", -103.3: "σ → 0",
    88.7: "exp overflow", 0.0: "± subnormals",
}
WINDOW = 1 << 16

#: float64 boundaries sampled densely (uniform ±2 around each)
BOUNDARIES_F64 = [709.78, -708.4, -745.13, 36.7, 19.06, -38.5, -37.5, 20.0, -27.0]


# -- ulps ----------------------------------------------------------------------------------
def ulp(r_t: np.ndarray) -> np.ndarray:
    """The spacing of ``r_t.dtype`` at ``|r_t|`` (clipped to the largest finite value), as
    float64; at 0 and at subnormals it is the subnormal spacing."""
    t = r_t.dtype
    big = np.finfo(t).max
    a = np.minimum(np.abs(r_t), big)
    a = np.where(np.isnan(a), t.type(1), a).astype(t)
    with np.errstate(over="ignore"):
        up = np.nextafter(a, t.type(np.inf)) - a
    down = big - np.nextafter(big, t.type(0))
    return np.where(a == big, down, up).astype(np.float64)


def classify(x: np.ndarray, y: np.ndarray, hi: np.ndarray,
             lo: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(err, catastrophic)`` for results ``y`` of dtype ``x.dtype`` against the reference
    ``hi + lo`` (float64; ``lo`` only for float64 results). ``err`` is in ulps, ``inf``
    where catastrophic. See the module docstring for the definitions."""
    t = x.dtype
    y = np.asarray(y)
    with np.errstate(all="ignore"):
        r_t = hi.astype(t)
        y64 = y.astype(np.float64)
        d = y64 - hi
        if lo is not None:
            d = d - lo
        err = np.abs(d) / ulp(r_t)
        r_nan, y_nan = np.isnan(hi), np.isnan(y64)
        true_inf = np.isinf(hi) & np.isinf(x)
        finite_r = np.isfinite(r_t)
        cat = (y_nan != r_nan)
        cat |= np.isinf(y64) & finite_r
        cat |= (y64 == 0) & (r_t != 0) & finite_r
        cat |= (y64 != 0) & (r_t != 0) & ~y_nan & ~r_nan & (np.signbit(y64) != np.signbit(r_t))
        cat |= true_inf & (y64 != hi)
    err = np.where((y_nan & r_nan) | (np.isinf(y64) & (y64 == r_t)), 0.0, err)
    err = np.where(cat, np.inf, err)
    return err, cat


def _classify_f32(x: np.ndarray, y: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`classify` for float32 results, the same values, cheaper: ``err`` is formed
    for all elements with the ulp read off the exponent bits of ``r_t``, and only where it
    is not ``<= 0.5`` is the full classification run. That subset holds every catastrophic
    result (each makes ``err`` NaN, inf or above 0.5: a flushed subnormal ``r_t`` has
    ``|r| > ulp/2``, opposite signs give ``|y - r| >= |r|``) and every exact overflow
    (``inf - inf`` is NaN), so nothing else needs the special cases."""
    with np.errstate(all="ignore"):
        r_t = hi.astype(np.float32)
        a = np.abs(r_t)
        np.minimum(a, np.float32(np.finfo(np.float32).max), out=a)
        e = (a.view(np.uint32) >> np.uint32(23)).astype(np.int64)
        np.maximum(e, 1, out=e)  # 0 and subnormals: the subnormal spacing 2^-149
        e += 1023 - 150
        e <<= 52
        err = y.astype(np.float64)
        err -= hi
        np.abs(err, out=err)
        err /= e.view(np.float64)  # 2^(exponent - 150), exact
        odd = np.flatnonzero(~(err <= 0.5))
    cat = np.zeros(x.shape, dtype=bool)
    if odd.size:
        e_odd, c_odd = classify(x[odd], y[odd], hi[odd])
        err[odd] = e_odd
        cat[odd] = c_odd
    return err, cat


#: the compiled common case of the float32 statistics (``benchmarks/sweep_stats.c``, set
#: by :func:`load_fast_f32`), or None for the NumPy path: both give the same :class:`Stats`
FAST_F32: Callable | None = None


def load_fast_f32(build_dir: Path, log=print) -> Callable | None:
    """Compile ``sweep_stats.c`` into ``build_dir`` (once per version of the file) and
    set :data:`FAST_F32` to it; without a working C compiler the NumPy path stays."""
    global FAST_F32
    import ctypes
    import hashlib
    import subprocess

    src = Path(__file__).resolve().with_name("sweep_stats.c")
    so = Path(build_dir) / f"sweep_stats-{hashlib.sha256(src.read_bytes()).hexdigest()[:12]}.so"
    if not so.exists():
        Path(build_dir).mkdir(parents=True, exist_ok=True)
        tmp = so.with_suffix(f".{os.getpid()}.tmp")
        cc = os.environ.get("CC", "cc")
        try:
            subprocess.run([cc, "-O2", "-shared", "-fPIC", "-o", str(tmp), str(src), "-lm"],
                           check=True, capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.SubprocessError) as e:
            log(f"  {src.name} not compiled ({type(e).__name__}): the NumPy statistics")
            return None
        os.replace(tmp, so)
    fn = ctypes.CDLL(str(so)).sweep_stats_f32
    fn.restype = ctypes.c_int64
    fn.argtypes = [ctypes.c_void_p] * 3 + [ctypes.c_int64] + [ctypes.c_void_p] * 2

    def fast(x: np.ndarray, y: np.ndarray, hi: np.ndarray):
        x = np.ascontiguousarray(x, dtype=np.float32)
        y = np.ascontiguousarray(y, dtype=np.float32)
        hi = np.ascontiguousarray(hi, dtype=np.float64)
        if not (x.shape == y.shape == hi.shape and x.ndim == 1):
            raise ValueError(f"x, y, hi: expected three 1-d arrays of one length, got "
                             f"{x.shape}, {y.shape}, {hi.shape}")
        odd = np.empty(x.size, dtype=np.int64)
        out = np.empty(4, dtype=np.float64)
        k = fn(x.ctypes.data, y.ctypes.data, hi.ctypes.data, x.size, odd.ctypes.data,
               out.ctypes.data)
        return odd[:k], float(out[0]), int(out[1]), int(out[2]), int(out[3])

    FAST_F32 = fast
    return fast


@dataclass
class Stats:
    """Accumulated over chunks: mergeable, so that the exhaustive sweep can stream."""

    n: int = 0
    max_err: float = -1.0
    at_x: float = math.nan
    at_y: float = math.nan
    at_r: float = math.nan
    n_half: int = 0
    n_one: int = 0
    n_cat: int = 0
    n_nan_lost: int = 0
    cat_examples: list[tuple[float, float, float]] = field(default_factory=list)

    def add(self, x: np.ndarray, y: np.ndarray, hi: np.ndarray,
            lo: np.ndarray | None = None) -> None:
        y = np.asarray(y)
        if (FAST_F32 is not None and x.dtype == np.float32 and y.dtype == np.float32
                and lo is None):
            self._add_f32_compiled(x, y, hi)
            return
        nan_in = np.isnan(x)
        if nan_in.any():  # NaN in: not a value to measure; count results that are not NaN
            self.n_nan_lost += int(np.count_nonzero(nan_in & ~np.isnan(y)))
            keep = ~nan_in
            x, y, hi = x[keep], y[keep], hi[keep]
            lo = lo[keep] if lo is not None else None
        if x.dtype == np.float32 and lo is None:
            err, cat = _classify_f32(x, y, hi)
        else:
            err, cat = classify(x, y, hi, lo)
        self.n += x.size
        ok = self._count(err, cat)
        if ok.size:
            i = int(np.argmax(ok))
            if ok[i] > self.max_err:
                self.max_err = float(ok[i])
                self.at_x, self.at_y = float(x[i]), float(y[i])
                self.at_r = float(hi[i]) + (float(lo[i]) if lo is not None else 0.0)
        self._examples(x, y, hi, np.flatnonzero(cat))

    def _count(self, err: np.ndarray, cat: np.ndarray) -> np.ndarray:
        """Count the errors above 1/2 and 1 ulp and the catastrophic results; return the
        errors with the catastrophic ones at -1 (for the maximum)."""
        self.n_half += int(np.count_nonzero(err > 0.5))
        self.n_one += int(np.count_nonzero(err > 1.0))
        self.n_cat += int(np.count_nonzero(cat))
        return np.where(cat, -1.0, err)

    def _examples(self, x: np.ndarray, y: np.ndarray, hi: np.ndarray,
                  idx: np.ndarray) -> None:
        """Keep the first three catastrophic results (``idx``: their inputs, in order)."""
        for i in idx[: 3 - len(self.cat_examples)]:
            self.cat_examples.append((float(x[i]), float(y[i]), float(hi[i])))

    def _add_f32_compiled(self, x: np.ndarray, y: np.ndarray, hi: np.ndarray) -> None:
        """:meth:`add` for float32 results through :data:`FAST_F32`: the elements within
        half an ulp are counted in C, the others (``odd``) classified here as before, so
        the statistics are those of the NumPy path."""
        assert FAST_F32 is not None
        odd, best, at, nan_lost, measured = FAST_F32(x, y, hi)
        self.n_nan_lost += nan_lost
        self.n += measured
        if odd.size:
            err, cat = classify(x[odd], y[odd], hi[odd])
            ok = self._count(err, cat)
            j = int(np.argmax(ok))
            # the largest error, the first in input order on a tie (as np.argmax over all)
            if ok[j] > best or (ok[j] == best and (at < 0 or odd[j] < at)):
                best, at = float(ok[j]), int(odd[j])
            self._examples(x, y, hi, odd[np.flatnonzero(cat)])
        if at >= 0 and best > self.max_err:
            self.max_err = best
            self.at_x, self.at_y, self.at_r = float(x[at]), float(y[at]), float(hi[at])

    def merge(self, other: Stats) -> None:
        """Add the statistics of inputs that come after this one's (a later chunk): the
        result is what one :meth:`add` over both would give."""
        self.n += other.n
        self.n_half += other.n_half
        self.n_one += other.n_one
        self.n_cat += other.n_cat
        self.n_nan_lost += other.n_nan_lost
        if other.max_err > self.max_err:
            self.max_err, self.at_x, self.at_y, self.at_r = (other.max_err, other.at_x,
                                                              other.at_y, other.at_r)
        for ex in other.cat_examples[: 3 - len(self.cat_examples)]:
            self.cat_examples.append(tuple(ex))  # type: ignore[arg-type]


# -- float64 references (for float32 and float16 inputs) -----------------------------------
def _z(x):
    return np.exp(-np.abs(x))


def r_sig(x):
    z = _z(x)
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def r_dsig(x):
    z = _z(x)
    return z / ((1.0 + z) * (1.0 + z))


def r_sech2(x):
    z = np.exp(-2.0 * np.abs(x))
    return 4.0 * z / ((1.0 + z) * (1.0 + z))


def r_softplus(x):
    return np.maximum(x, 0.0) + np.log1p(_z(x))


def r_phi(x):
    return np.exp(-0.5 * (x * x)) / math.sqrt(2.0 * math.pi)


# x - tanh x = sum c_k x^(2k+1), k >= 1
_TS = [1 / 3, -2 / 15, 17 / 315, -62 / 2835, 1382 / 155925, -21844 / 6081075,
       929569 / 638512875, -6404582 / 10854718875]


def r_tanh_shrink(x):
    x2 = x * x
    s = np.zeros_like(x)
    for c in reversed(_TS):
        s = s * x2 + c
    return np.where(np.abs(x) < 0.1, s * x2 * x, x - np.tanh(x))


def _gelu_u(x):
    return SQRT_2_OVER_PI * (x + GELU_C * (x * x * x))


def r_gelu_tanh(x):
    return x * r_sig(2.0 * _gelu_u(x))


def r_gelu_tanh_grad(x):
    v = 2.0 * _gelu_u(x)
    return r_sig(v) + x * r_dsig(v) * 2.0 * SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_C * (x * x))


def r_mish_grad(x):
    sp = r_softplus(x)
    return np.tanh(sp) + x * r_sech2(sp) * r_sig(x)


def r_squareplus(x):
    h = np.hypot(x, 2.0)
    return np.where(x < 0, 2.0 / (h - x), 0.5 * (x + h))


def r_squareplus_grad(x):
    h = np.hypot(x, 2.0)
    return np.where(x < 0, 2.0 / (h * (h - x)), 0.5 + 0.5 * (x / h))


def _inside(x, a, b, v):
    return np.where((x > a) & (x < b), v, 0.0)


_SA, _SS = float(SELU_ALPHA), float(SELU_SCALE)

# -- mpmath references (for float64 inputs) ------------------------------------------------
M = mpmath


def m_sig(x):
    return 1 / (1 + M.exp(-x))


def m_dsig(x):
    z = M.exp(-abs(x))
    return z / (1 + z) ** 2


def m_sp(x):
    return max(x, 0) + M.log1p(M.exp(-abs(x)))


def m_Phi(x):
    if abs(x) > 1e5:  # mpmath's erfc overflows; Φ(-a) = φ(a)/a (1 - 1/a² + 3/a⁴ - ...)
        a = abs(x)
        t = m_phi(a) / a * (1 - 1 / a ** 2 + 3 / a ** 4)
        return t if x < 0 else 1 - t
    return M.erfc(-x / M.sqrt(2)) / 2


def m_phi(x):
    return M.exp(-x * x / 2) / M.sqrt(2 * M.pi)


def m_tanh_shrink(x):
    a = abs(x)
    if a < M.mpf("1e-12"):
        return x ** 3 / 3 - 2 * x ** 5 / 15 + 17 * x ** 7 / 315
    extra = int(-2 * M.log10(a)) + 10 if a < 1 else 0
    with M.workdps(MP_DPS + extra):
        return +(x - M.tanh(x))


#: the tanh GELU's cubic coefficient is the decimal 0.044715 (not its float64 rounding,
#: which differs by 5e-17 relative and moves results by hundreds of ulps near x = -21)
M_GELU_C = "0.044715"


def _m_gelu_u(x):
    return M.sqrt(2 / M.pi) * (x + M.mpf(M_GELU_C) * x ** 3)


def m_gelu_tanh_grad(x):
    v = 2 * _m_gelu_u(x)
    return m_sig(v) + x * m_dsig(v) * 2 * M.sqrt(2 / M.pi) * (1 + 3 * M.mpf(M_GELU_C) * x * x)


def m_mish_grad(x):
    sp = m_sp(x)
    return M.tanh(sp) + x * M.sech(sp) ** 2 * m_sig(x)


def m_squareplus(x):
    h = M.sqrt(x * x + 4)
    return 2 / (h - x) if x < 0 else (x + h) / 2


def m_squareplus_grad(x):
    h = M.sqrt(x * x + 4)
    return 2 / (h * (h - x)) if x < 0 else (1 + x / h) / 2


def m_clip(v, a, b):
    return min(max(v, a), b)


def m_inside(x, a, b, v):
    return M.mpf(v) if a < x < b else M.mpf(0)


def m_selu(x):
    s, a = M.mpf(SELU_SCALE), M.mpf(SELU_ALPHA)
    return s * (x if x > 0 else a * M.expm1(x))


def m_selu_grad(x):
    s, a = M.mpf(SELU_SCALE), M.mpf(SELU_ALPHA)
    return s * (1 if x > 0 else a * M.exp(x))


# -- the functions -------------------------------------------------------------------------
@dataclass
class Fn:
    label: str
    name: str
    params: dict[str, Any]
    ref: Callable  # float64 formula: value
    dref: Callable  # float64 formula: derivative
    mref: Callable  # mpmath: value
    mdref: Callable  # mpmath: derivative
    kinks: tuple[float, ...] = ()  # where the derivative jumps (not measured there)
    droots: tuple[float, ...] = ()  # roots of f' (near them the float64 formula cancels)


FUNCTIONS = [
    Fn("sigmoid", "sigmoid", {}, r_sig, r_dsig, m_sig, m_dsig),
    Fn("hard_sigmoid", "hard_sigmoid", {}, lambda x: np.clip(x + 3.0, 0.0, 6.0) / 6.0,
       lambda x: _inside(x, -3.0, 3.0, 1.0 / 6.0),
       lambda x: m_clip((x + 3) / 6, 0, 1), lambda x: M.mpf(1) / 6 if -3 < x < 3 else M.mpf(0),
       (-3.0, 3.0)),
    Fn("sparse_sigmoid", "sparse_sigmoid", {}, lambda x: np.clip(0.5 * x + 0.5, 0.0, 1.0),
       lambda x: _inside(x, -1.0, 1.0, 0.5),
       lambda x: m_clip((x + 1) / 2, 0, 1), lambda x: m_inside(x, -1, 1, 0.5), (-1.0, 1.0)),
    Fn("log_sigmoid", "log_sigmoid", {}, lambda x: np.minimum(x, 0.0) - np.log1p(_z(x)),
       lambda x: r_sig(-x), lambda x: min(x, 0) - M.log1p(M.exp(-abs(x))),
       lambda x: m_sig(-x)),
    Fn("relu", "relu", {}, lambda x: np.maximum(x, 0.0), lambda x: np.where(x > 0, 1.0, 0.0),
       lambda x: max(x, 0), lambda x: M.mpf(1 if x > 0 else 0), (0.0,)),
    Fn("relu6", "relu6", {}, lambda x: np.clip(x, 0.0, 6.0), lambda x: _inside(x, 0, 6, 1.0),
       lambda x: m_clip(x, 0, 6), lambda x: m_inside(x, 0, 6, 1), (0.0, 6.0)),
    Fn("leaky_relu", "leaky_relu", {}, lambda x: np.where(x > 0, x, LEAKY * x),
       lambda x: np.where(x > 0, 1.0, LEAKY),
       lambda x: x if x > 0 else M.mpf(LEAKY) * x,
       lambda x: M.mpf(1) if x > 0 else M.mpf(LEAKY), (0.0,)),
    Fn("elu", "elu", {}, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
       lambda x: np.where(x > 0, 1.0, np.exp(np.minimum(x, 0.0))),
       lambda x: x if x > 0 else M.expm1(x), lambda x: M.mpf(1) if x > 0 else M.exp(x)),
    Fn("selu", "selu", {},
       lambda x: _SS * np.where(x > 0, x, _SA * np.expm1(np.minimum(x, 0.0))),
       lambda x: _SS * np.where(x > 0, 1.0, _SA * np.exp(np.minimum(x, 0.0))),
       m_selu, m_selu_grad, (0.0,)),
    Fn("celu", "celu", {}, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
       lambda x: np.where(x > 0, 1.0, np.exp(np.minimum(x, 0.0))),
       lambda x: x if x > 0 else M.expm1(x), lambda x: M.mpf(1) if x > 0 else M.exp(x)),
    Fn("gelu", "gelu", {}, lambda x: x * sc.ndtr(x), lambda x: sc.ndtr(x) + x * r_phi(x),
       lambda x: x * m_Phi(x), lambda x: m_Phi(x) + x * m_phi(x), droots=(-0.751791,)),
    Fn("gelu_tanh", "gelu", {"approximate": True}, r_gelu_tanh, r_gelu_tanh_grad,
       lambda x: x * m_sig(2 * _m_gelu_u(x)), m_gelu_tanh_grad, droots=(-0.752461,)),
    Fn("silu", "silu", {}, lambda x: x * r_sig(x), lambda x: r_sig(x) + x * r_dsig(x),
       lambda x: x * m_sig(x), lambda x: m_sig(x) + x * m_dsig(x), droots=(-1.278465,)),
    Fn("hard_silu", "hard_silu", {},
       lambda x: np.where(x <= -3, 0.0, np.where(x >= 3, x, x * (x + 3.0) / 6.0)),
       lambda x: np.where(x <= -3, 0.0, np.where(x >= 3, 1.0, (2.0 * x + 3.0) / 6.0)),
       lambda x: M.mpf(0) if x <= -3 else (x if x >= 3 else x * (x + 3) / 6),
       lambda x: M.mpf(0) if x <= -3 else (M.mpf(1) if x >= 3 else (2 * x + 3) / 6),
       (-3.0, 3.0)),
    Fn("mish", "mish", {}, lambda x: x * np.tanh(r_softplus(x)), r_mish_grad,
       lambda x: x * M.tanh(m_sp(x)), m_mish_grad, droots=(-1.192372,)),
    Fn("softplus", "softplus", {}, r_softplus, r_sig, m_sp, m_sig),
    Fn("sparse_plus", "sparse_plus", {},
       lambda x: np.where(x <= -1, 0.0, np.where(x >= 1, x, (x + 1.0) * (x + 1.0) / 4.0)),
       lambda x: np.where(x <= -1, 0.0, np.where(x >= 1, 1.0, (x + 1.0) / 2.0)),
       lambda x: M.mpf(0) if x <= -1 else (x if x >= 1 else (x + 1) ** 2 / 4),
       lambda x: M.mpf(0) if x <= -1 else (M.mpf(1) if x >= 1 else (x + 1) / 2)),
    Fn("squareplus", "squareplus", {}, r_squareplus, r_squareplus_grad,
       m_squareplus, m_squareplus_grad),
    Fn("softsign", "softsign", {}, lambda x: x / (1.0 + np.abs(x)),
       lambda x: 1.0 / ((1.0 + np.abs(x)) * (1.0 + np.abs(x))),
       lambda x: x / (1 + abs(x)), lambda x: 1 / (1 + abs(x)) ** 2),
    Fn("tanh", "tanh", {}, np.tanh, r_sech2, M.tanh, lambda x: M.sech(x) ** 2),
    Fn("hard_tanh", "hard_tanh", {}, lambda x: np.clip(x, -1.0, 1.0),
       lambda x: _inside(x, -1, 1, 1.0), lambda x: m_clip(x, -1, 1),
       lambda x: m_inside(x, -1, 1, 1), (-1.0, 1.0)),
    Fn("tanh_shrink", "tanh_shrink", {}, r_tanh_shrink, lambda x: np.tanh(x) ** 2,
       m_tanh_shrink, lambda x: M.tanh(x) ** 2),
    Fn("hard_shrink", "hard_shrink", {}, lambda x: np.where(np.abs(x) > 0.5, x, 0.0),
       lambda x: np.where(np.abs(x) > 0.5, 1.0, 0.0),
       lambda x: x if abs(x) > 0.5 else M.mpf(0), lambda x: M.mpf(1 if abs(x) > 0.5 else 0),
       (-0.5, 0.5)),
    Fn("soft_shrink", "soft_shrink", {}, lambda x: x - np.clip(x, -0.5, 0.5),
       lambda x: np.where(np.abs(x) > 0.5, 1.0, 0.0),
       lambda x: x - m_clip(x, -0.5, 0.5), lambda x: M.mpf(1 if abs(x) > 0.5 else 0),
       (-0.5, 0.5)),
    Fn("exponential", "exponential", {}, np.exp, np.exp, M.exp, M.exp),
]
FN_BY_LABEL = {f.label: f for f in FUNCTIONS}


def ref64(fn: Callable, x: np.ndarray) -> np.ndarray:
    """The float64 reference of ``fn`` at ``x`` (any float dtype), NaN at NaN and the limit
    at ±inf (where the formula gives NaN, ``inf * 0``, the value at ±1e300 or ±1e30)."""
    with np.errstate(all="ignore"):
        x64 = x.astype(np.float64)
        r = np.asarray(fn(x64), dtype=np.float64)
        if r.shape != x64.shape or np.shares_memory(r, x64):  # a constant, or x itself
            r = r + np.zeros_like(x64)
        inf_in = np.isinf(x64)
        if inf_in.any():
            for big in (1e300, 1e30):
                bad = inf_in & np.isnan(r)
                if bad.any():
                    r[bad] = np.asarray(fn(np.copysign(big, x64[bad])), dtype=np.float64) * 1.0
    nan_in = np.isnan(x64)
    if nan_in.any():
        r[nan_in] = np.nan
    return r


ROOT_WINDOW = 2e-3


def ref_lowp(fn: Fn, grad: bool, x: np.ndarray) -> np.ndarray:
    """The float64 reference for float32 or float16 ``x``: :func:`ref64`, and mpmath within
    ``ROOT_WINDOW`` of a root of ``f'``, where the float64 formula (a sum of terms of
    opposite signs) loses up to ~1e-8 relative, a sixth of a float32 ulp."""
    r = ref64(fn.dref if grad else fn.ref, x)
    if grad and fn.droots:
        near = np.zeros(x.shape, dtype=bool)
        with np.errstate(invalid="ignore"):
            x64 = x.astype(np.float64)
            for root in fn.droots:
                near |= np.abs(x64 - root) < ROOT_WINDOW
        if near.any():
            r[near] = ref_mp(fn.mdref, fn.dref, x[near].astype(np.float64))[0]
    return r


def ref_mp(mfn: Callable, fn: Callable, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(hi, lo)``: the mpmath reference of a float64 ``x`` as a double-double; non-finite
    inputs through :func:`ref64`."""
    hi = ref64(fn, x)
    lo = np.zeros_like(hi)
    with M.workdps(MP_DPS):
        for i in np.flatnonzero(np.isfinite(x)):
            v = M.mpf(mfn(M.mpf(float(x[i]))))
            h = float(v)
            hi[i] = h
            lo[i] = float(v - h) if math.isfinite(h) else 0.0
    return hi, lo


# -- inputs --------------------------------------------------------------------------------
def f32_sampled(stride: int) -> np.ndarray:
    pats = [np.arange(0, 1 << 32, stride, dtype=np.uint64).astype(np.uint32)]
    for c in F32_WINDOWS:
        p = int(np.array(c, dtype=np.float32).view(np.uint32))
        if c == 0.0:
            pats += [np.arange(WINDOW, dtype=np.uint32),
                     np.arange(WINDOW, dtype=np.uint32) + np.uint32(1 << 31)]
        else:
            pats.append(np.arange(p - WINDOW // 2, p + WINDOW // 2, dtype=np.uint32))
    p = np.sort(np.concatenate(pats))
    return p[np.concatenate([[True], p[1:] != p[:-1]])].view(np.float32)  # sorted, unique


def f16_all() -> np.ndarray:
    return np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16)


def f64_sample(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    fi = np.finfo(np.float64)
    n_log, n_dense, n_sub = int(0.4 * n), int(0.35 * n), int(0.05 * n)
    n_bnd = max(n - n_log - n_dense - n_sub, 0)
    sign = lambda k: rng.choice([-1.0, 1.0], k)  # noqa: E731
    parts = [
        sign(n_log) * 10.0 ** rng.uniform(-300, 3, n_log),
        rng.uniform(-40, 40, n_dense),
        sign(n_sub) * 2.0 ** rng.uniform(-1074, -1022, n_sub),
        np.array(BOUNDARIES_F64)[rng.integers(0, len(BOUNDARIES_F64), n_bnd)]
        + rng.uniform(-2, 2, n_bnd),
        np.array([0.0, -0.0, np.inf, -np.inf, np.nan, fi.max, -fi.max, fi.tiny, -fi.tiny,
                  fi.smallest_subnormal, -fi.smallest_subnormal, 1e-300, -1e-300]),
    ]
    return np.concatenate(parts)



# -- softmax, log_softmax and softmin along rows -------------------------------------------
AXIS_FUNCTIONS = ("softmax", "log_softmax", "softmin")
#: their target in every dtype: per element, on random and extreme rows
AXIS_TARGET = 2.0


def axis_rows(dt: str, seed: int = 0) -> list[np.ndarray]:
    """Rows (2-d arrays, one length each) of dtype ``dt``: random rows of lengths 2 to 1000
    at scales 0.1 to 100, and extreme rows: one dominant logit whose rivals' mass is below
    the dtype's resolution (where ``log_softmax`` of the top must not be 0), results that
    are subnormal, logits near the exponent's overflow, huge magnitudes, ties and near
    ties. float64 rows are fewer (their reference is mpmath)."""
    rng = np.random.default_rng(seed)
    t = np.dtype(dt)
    fi = np.finfo(t)
    f64 = t == np.float64
    top = float(np.log(fi.max))  # e^top overflows in dt
    out: list[np.ndarray] = []
    for n in (2, 3, 10, 100, 1000):
        k = max(2, (300 if f64 else 20_000) // n)
        for scale in (0.1, 1.0, 10.0, 100.0):
            out.append(rng.normal(0.0, scale, (k, n)))
    gaps = np.array([5.0, 12.0, 17.0, 25.0, 40.0, 60.0, 90.0, 110.0, 300.0, 700.0, 740.0])
    for n in (2, 5, 50):
        base = -gaps[:, None] + rng.uniform(-0.5, 0.5, (gaps.size, n))
        base[:, 0] = 0.0  # one dominant logit, the others gap below it
        out.append(base)
        out.append(base + top - 1.0)  # the same near the exponent's overflow
        out.append(base - top + 1.0)
    out.append(np.array([[fi.max / 2, -fi.max / 2], [fi.max, fi.max / 2], [1.0, 1.0],
                         [-3.0, -3.0], [fi.tiny, -fi.tiny], [0.0, -0.0]]))
    near = 1.0 + np.arange(8) * float(fi.eps)
    out.append(np.stack([near, -near, 1e4 * near, rng.permutation(near)]))
    return [r.astype(t) for r in out]


def axis_ref64(label: str, x: np.ndarray) -> np.ndarray:
    """Float64 reference rows for float32/float16 ``x`` (x - max is exact in float64 for
    them; the sum ``rest`` of the other terms keeps ``log1p`` exact for the top)."""
    if label == "softmin":
        return axis_ref64("softmax", -x)
    x64 = x.astype(np.float64)
    m = x64.max(axis=1, keepdims=True)
    d = x64 - m
    e = np.exp(d)
    top = d.argmax(axis=1)
    e_rest = e.copy()
    e_rest[np.arange(x.shape[0]), top] = 0.0
    rest = e_rest.sum(axis=1, keepdims=True)
    if label == "softmax":
        return e / (1.0 + rest)
    return d - np.log1p(rest)


def axis_ref_mp(label: str, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(hi, lo)`` of the mpmath reference rows for float64 ``x``."""
    if label == "softmin":
        return axis_ref_mp("softmax", -x)
    hi = np.empty(x.shape)
    lo = np.empty(x.shape)
    with M.workdps(MP_DPS):
        for i, row in enumerate(x):
            v = [M.mpf(float(a)) for a in row]
            m = max(v)
            k = v.index(m)
            # log S = log1p(rest), rest without the top term: exact however small rest is
            rest = M.fsum(M.exp(a - m) for j, a in enumerate(v) if j != k)
            s = 1 + rest
            ls = M.log1p(rest)
            for j, a in enumerate(v):
                r = M.exp(a - m) / s if label == "softmax" else (a - m) - ls
                h = float(r)
                hi[i, j] = h
                lo[i, j] = float(r - h) if math.isfinite(h) else 0.0
    return hi, lo


def axis_impls(libs: list[str]) -> dict[str, dict[str, Callable]]:
    """``impls[lib][label]``: the row functions of each library (last axis)."""
    impls: dict[str, dict[str, Callable]] = {}
    if "nnmath" in libs:
        import nnmath.activations as A
        impls["nnmath"] = {k: getattr(A, k) for k in AXIS_FUNCTIONS}
    if "torch" in libs:
        import torch
        F = torch.nn.functional

        def tf(f):
            def run(x):
                with torch.no_grad():
                    return f(torch.from_numpy(np.ascontiguousarray(x)), dim=-1).numpy()
            return run
        impls["torch"] = {"softmax": tf(F.softmax), "log_softmax": tf(F.log_softmax),
                          "softmin": tf(F.softmin)}
    if "nnmath.torch" in libs:
        import torch

        import nnmath.torch as nt

        def ntf(f):
            def run(x):
                with torch.no_grad():
                    return f(torch.from_numpy(np.ascontiguousarray(x)), axis=-1).numpy()
            return run
        impls["nnmath.torch"] = {k: ntf(getattr(nt, k)) for k in AXIS_FUNCTIONS}
    if "jax" in libs:
        import jax
        nn = jax.nn
        impls["jax"] = {"softmax": lambda x: np.asarray(jax.jit(nn.softmax)(x)),
                        "log_softmax": lambda x: np.asarray(jax.jit(nn.log_softmax)(x)),
                        "softmin": lambda x: np.asarray(jax.jit(nn.softmax)(-x))}
    if "nnmath-jax" in libs:
        import jax

        import nnmath.jax as nj

        def xp_path(f):
            def run(x):
                with nj.use_core(False):
                    return np.asarray(jax.jit(f)(x))
            return run
        impls["nnmath-jax"] = {k: xp_path(getattr(nj, k)) for k in AXIS_FUNCTIONS}
    if "scipy" in libs:
        impls["scipy"] = {"softmax": lambda x: sc.softmax(x, axis=-1),
                          "log_softmax": lambda x: sc.log_softmax(x, axis=-1),
                          "softmin": lambda x: sc.softmax(-x, axis=-1)}
    return impls


def run_axis(dtypes: list[str], libs: list[str], log=print) -> dict:
    """``results[dtype][(label, False)][lib] = Stats`` for the row functions."""
    impls = axis_impls(libs)
    results: dict = {}
    for dt in dtypes:
        t0 = time.perf_counter()
        res: dict = {}
        results[dt] = res
        n_in = 0
        for x in axis_rows(dt):
            n_in += x.size
            for label in AXIS_FUNCTIONS:
                if dt == "float64":
                    hi, lo = axis_ref_mp(label, x)
                else:
                    with np.errstate(all="ignore"):
                        hi, lo = axis_ref64(label, x), None
                row = res.setdefault((label, False), {})
                outs: dict[str, np.ndarray] = {}
                for lib, table in impls.items():
                    f = table.get(label)
                    try:
                        with np.errstate(all="ignore"):
                            y = np.asarray(f(x)) if f is not None else None
                    except Exception as e:  # a peer without this dtype
                        log(f"  {lib} {label} {dt}: {type(e).__name__}")
                        y = None
                    if y is None or y.dtype != x.dtype:
                        row.setdefault(lib, None)
                        continue
                    outs[lib] = y
                    st = row.get(lib) or Stats()
                    st.add(x.reshape(-1), y.reshape(-1), hi.reshape(-1),
                           None if lo is None else lo.reshape(-1))
                    row[lib] = st
                _count_differ(res, (label, False), outs)
        res["_inputs"] = n_in
        log(f"{dt} rows: {n_in:,} elements, {time.perf_counter() - t0:.1f} s")
    return results


def _count_differ(res: dict, key: tuple[str, bool], outs: dict[str, np.ndarray]) -> None:
    """For each of :data:`SECTION_LIBS` measured beside nnmath: add to
    ``res["_differ"][lib][key]`` the results that differ in any bit from ``outs["nnmath"]``
    (two NaNs count as equal) and the results compared."""
    base = outs.get("nnmath")
    for lib in SECTION_LIBS:
        y = outs.get(lib)
        if base is None or y is None or y.shape != base.shape or y.dtype != base.dtype:
            continue
        a, b = base.reshape(-1), y.reshape(-1)
        u = np.dtype(f"u{a.dtype.itemsize}")
        differ = (a.view(u) != b.view(u)) & ~(np.isnan(a) & np.isnan(b))
        table = res.setdefault("_differ", {}).setdefault(lib, {})
        k, n = table.get(key, (0, 0))
        table[key] = (k + int(np.count_nonzero(differ)), n + a.size)


# -- the libraries -------------------------------------------------------------------------
def nnmath_impl():
    import nnmath.activations as A

    def make(fn: Fn, grad: bool):
        act = A.REGISTRY[fn.name](**fn.params)
        return act.gradient if grad else act
    return make


def torch_impl():
    import torch
    F = torch.nn.functional
    table = {
        "sigmoid": torch.sigmoid, "hard_sigmoid": F.hardsigmoid, "log_sigmoid": F.logsigmoid,
        "relu": F.relu, "relu6": F.relu6, "leaky_relu": F.leaky_relu, "elu": F.elu,
        "selu": F.selu, "celu": F.celu, "gelu": F.gelu,
        "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"), "silu": F.silu,
        "hard_silu": F.hardswish, "mish": F.mish, "softplus": F.softplus,
        "softsign": F.softsign, "tanh": torch.tanh, "hard_tanh": F.hardtanh,
        "tanh_shrink": F.tanhshrink, "hard_shrink": F.hardshrink,
        "soft_shrink": F.softshrink, "exponential": torch.exp,
    }

    def make(fn: Fn, grad: bool):
        f = table.get(fn.label)
        if f is None:
            return None

        def run(x):
            t = torch.from_numpy(np.ascontiguousarray(x))
            if not grad:
                with torch.no_grad():
                    return f(t).numpy()
            t.requires_grad_(True)
            y = f(t)
            (g,) = torch.autograd.grad(y, t, torch.ones_like(y))
            return g.numpy()
        return run
    return make


def jax_impl():
    import jax
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    import jax.numpy as jnp
    nn = jax.nn
    table = {k: getattr(nn, k) for k in [
        "sigmoid", "hard_sigmoid", "sparse_sigmoid", "log_sigmoid", "relu", "relu6",
        "leaky_relu", "elu", "selu", "celu", "silu", "hard_silu", "mish", "softplus",
        "sparse_plus", "squareplus", "hard_tanh"] if hasattr(nn, k)}
    table.update({"gelu": lambda v: nn.gelu(v, approximate=False),
                  "gelu_tanh": lambda v: nn.gelu(v, approximate=True),
                  "softsign": nn.soft_sign, "tanh": jnp.tanh, "exponential": jnp.exp})

    def make(fn: Fn, grad: bool):
        f = table.get(fn.label)
        if f is None:
            return None
        j = jax.jit(jax.grad(lambda v: jnp.sum(f(v)))) if grad else jax.jit(f)
        return lambda x: np.asarray(j(x))
    return make


def scipy_impl():
    table = {"sigmoid": sc.expit, "log_sigmoid": sc.log_expit}
    if hasattr(sc, "softplus"):
        table["softplus"] = sc.softplus

    def make(fn: Fn, grad: bool):
        f = table.get(fn.label)
        return None if grad or f is None else f
    return make


def nnmath_torch_impl():
    """nnmath on PyTorch tensors: the plain formulas of ``activations/_xp.py`` in the
    tensor's own dtype (what every array library other than NumPy runs)."""
    import torch

    import nnmath.activations as A

    def make(fn: Fn, grad: bool):
        act = A.REGISTRY[fn.name](**fn.params)
        f = act.gradient if grad else act

        def run(x):
            t = torch.from_numpy(np.ascontiguousarray(x))
            return np.asarray(f(t).numpy())
        return run
    return make


def nnmath_jax_impl():
    """nnmath.jax's xp path on the CPU (``use_core(False)``): nnmath's plain formulas of
    ``activations/_xp.py`` traced and compiled by XLA, jitted, the derivative by
    ``jax.grad`` through nnmath's ``xp`` backward. (Its core path is nnmath's NumPy result
    bit for bit: the ``nnmath`` rows.)"""
    import jax
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    import jax.numpy as jnp

    import nnmath.jax as nj

    def make(fn: Fn, grad: bool):
        f = getattr(nj, fn.name)
        params = dict(fn.params)
        with nj.use_core(False):
            if grad:
                j = jax.jit(jax.grad(lambda v: jnp.sum(f(v, **params))))
            else:
                j = jax.jit(lambda v: f(v, **params))

        def run(x):
            with nj.use_core(False):
                return np.asarray(j(x))
        return run
    return make


def nnmath_torch_ops_impl():
    """``nnmath.torch``'s operators on CPU tensors (``torch.from_numpy``, no copy): the
    value ``nnmath.torch.NAME(t)`` without grad, the derivative through
    ``torch.autograd.grad(y, t, ones)`` (the operator's registered backward)."""
    import torch

    import nnmath.torch as nt

    def make(fn: Fn, grad: bool):
        f = getattr(nt, fn.name)

        def run(x):
            t = torch.from_numpy(np.ascontiguousarray(x))
            if not grad:
                with torch.no_grad():
                    return f(t, **fn.params).numpy()
            t.requires_grad_(True)
            y = f(t, **fn.params)
            (g,) = torch.autograd.grad(y, t, torch.ones_like(y))
            return g.numpy()
        return run
    return make


PEERS = {"scipy": scipy_impl, "torch": torch_impl, "jax": jax_impl,
         "nnmath-torch": nnmath_torch_impl, "nnmath-jax": nnmath_jax_impl,
         "nnmath.torch": nnmath_torch_ops_impl}
#: candidates shown in a section of their own after the dtype tables, with the count of
#: results that differ in any bit from nnmath's on NumPy arrays (the same inputs)
SECTION_LIBS = ("nnmath.torch",)
#: every library the harness can measure, by name
LIBS = {"nnmath": nnmath_impl, **PEERS}


def versions(libs: list[str]) -> dict[str, str]:
    import nnmath
    v = {"python": platform.python_version(), "numpy": np.__version__,
         "nnmath": getattr(nnmath, "__version__", "?"), "mpmath": mpmath.__version__}
    import scipy
    v["scipy"] = scipy.__version__
    for name in ("torch", "jax"):
        if name in libs or f"nnmath-{name}" in libs:
            v[name] = __import__(name).__version__
    return v


# -- the run -------------------------------------------------------------------------------
def _call(f, x):
    with np.errstate(all="ignore"):
        y = np.asarray(f(x))
    return y if y.dtype == x.dtype else None  # a library that changes the dtype: n/a


def make_impls(fns: list[Fn], libs: dict[str, Any]) -> dict[tuple[str, bool, str], Any]:
    """``impls[(label, grad, lib)]``: the function under test, ``None`` where the library
    has none; ``libs`` maps names to the ``*_impl`` factories."""
    makers = {name: mk() for name, mk in libs.items()}
    return {(fn.label, g, lib): mk(fn, g) for fn in fns for g in (False, True)
            for lib, mk in makers.items()}


def measure(x: np.ndarray, fns: list[Fn], impls: dict[tuple[str, bool, str], Any],
            libs: list[str], res: dict, log=print) -> None:
    """Add every function's and derivative's statistics on the inputs ``x`` (one dtype),
    for each library, to ``res[(label, grad)][lib]`` (``None``: not measurable)."""
    dt = x.dtype.name
    for fn in fns:
        for g in (False, True):
            xs = x
            if g and fn.kinks:
                xs = x[~np.isin(x, np.array(fn.kinks, dtype=x.dtype))]
            if dt == "float64":
                hi, lo = ref_mp(fn.mdref if g else fn.mref, fn.dref if g else fn.ref, xs)
            else:
                hi, lo = ref_lowp(fn, g, xs), None
            row = res.setdefault((fn.label, g), {})
            outs: dict[str, np.ndarray] = {}
            for lib in libs:
                f = impls[(fn.label, g, lib)]
                y = None
                if f is not None:
                    try:
                        y = _call(f, xs)
                    except Exception as e:  # a peer without this dtype
                        log(f"  {lib} {fn.label}{chr(39) * g} {dt}: {type(e).__name__}")
                if y is None:
                    row.setdefault(lib, None)
                    continue
                outs[lib] = y
                st = row.get(lib) or Stats()
                st.add(xs, y, hi, lo)
                row[lib] = st
            if g and "nnmath" in outs and any(lib in outs for lib in SECTION_LIBS):
                # the derivative of an operator is nnmath's backward(x, g) with g = 1 (a
                # fused kernel of its own, which may round apart from gradient(x))
                import nnmath.activations as A

                with np.errstate(all="ignore"):
                    outs["nnmath"] = np.asarray(A.REGISTRY[fn.name](**fn.params).backward(
                        xs, np.ones_like(xs)))
            _count_differ(res, (fn.label, g), outs)


def run(labels: list[str], dtypes: list[str], libs: dict[str, Any], stride: int,
        f64_points: int, log=print) -> dict:
    """``results[dtype][(label, grad)][lib] = Stats`` (``None``: the library has no such
    function or does not keep the dtype); float32 on the sampled patterns."""
    fns = [FN_BY_LABEL[k] for k in labels]
    results: dict = {}
    for dt in dtypes:
        t0 = time.perf_counter()
        if dt == "float16":
            x = f16_all()
        elif dt == "float32":
            x = f32_sampled(stride)
        else:
            x = f64_sample(f64_points)
        res: dict = {}
        measure(x, fns, make_impls(fns, libs), list(libs), res, log)
        log(f"{dt}: {x.size:,} inputs, {time.perf_counter() - t0:.1f} s")
        res["_inputs"] = x.size
        results[dt] = res
    return results


# -- output --------------------------------------------------------------------------------
#: the key of the exhaustive float32 results (next to the sampled ones, "float32")
SWEPT = "float32, all 2³² patterns"
TARGET = {"float16": 1.0, "float32": 1.0, "float64": 2.0, SWEPT: 1.0}
_XFMT = {"float16": "{:.5g}", "float32": "{:.9g}", "float64": "{:.17g}", SWEPT: "{:.9g}"}


def _fmt_err(e: float) -> str:
    if e < 0:
        return "—"
    return f"{e:.3g}" if e < 1e4 else f"{e:.2e}"


def _pct(k: int, n: int) -> str:
    if k == 0:
        return "0"
    p = 100.0 * k / n
    return f"{p:.2g}%" if p >= 0.01 else f"{k:,} of {n:,}"


def table_rows(dt: str, res: dict, libs: list[str]) -> list[list[str]]:
    rows = []
    xf = _XFMT[dt]
    for (label, g), row in ((k, v) for k, v in res.items() if not isinstance(k, str)):
        for lib in libs:
            st = row.get(lib)
            if st is None:
                continue
            target = AXIS_TARGET if label in AXIS_FUNCTIONS else TARGET[dt]
            ok = st.max_err <= target and st.n_cat == 0
            rows.append([label + ("′" if g else ""), lib, _fmt_err(st.max_err),
                         xf.format(st.at_x) if st.max_err > 0 else "—",
                         _pct(st.n_half, st.n), _pct(st.n_one, st.n), f"{st.n_cat:,}",
                         f"{st.n_nan_lost:,}",
                         f"≤ {target:g} ulp, 0 cat.", "✓" if ok else "✗"])
    return rows


HEADER = ["function", "library", "max ulp", "at x", "> 0.5 ulp", "> 1 ulp", "catastrophic",
          "NaN → number", "target", ""]


def print_tables(results: dict, libs: list[str]) -> None:
    for dt, res in results.items():
        rows_in = f", rows: {res['_row_inputs']:,} elements" if "_row_inputs" in res else ""
        print(f"\n== {dt} ({res['_inputs']:,} inputs{rows_in}) ==")
        rows = [HEADER, *table_rows(dt, res, libs)]
        w = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
        for r in rows:
            print("  ".join(c.ljust(w[i]) for i, c in enumerate(r)))


def markdown(results: dict, libs: list[str], args, elapsed: float) -> str:
    v = versions(libs)
    out = ["# Accuracy of nnmath's activations, in ulps", "",
           "Written by `benchmarks/accuracy.py` (`make accuracy`); definitions of the ulp "
           "error, of a catastrophic result and of the references are in its docstring.", ""]
    centres = ", ".join(f"{c:g}" for c in F32_WINDOWS if c != 0)
    sample = (f"one bit pattern in {args.stride:,} (patterns 0, {args.stride:,}, "
              f"{2 * args.stride:,}, ... up to 2³²; a prime stride, so that the low mantissa "
              f"bits vary) plus every pattern of {len(F32_WINDOWS) + 1} windows of 65,536 "
              f"consecutive patterns (centred on {centres}, and the 65,536 smallest "
              "magnitudes of each sign: 0 and the subnormals)")
    if args.mode == "sampled":
        out += [f"> **This is a SAMPLED run, not the exhaustive sweep.** float32: {sample}; "
                f"float64: {args.f64_points:,} points per function (plus 13 specials); "
                "float16: exhaustive (all 65,536 patterns). A float32 target "
                "\"over all inputs\" can only be refuted by this run, not confirmed: "
                "`make accuracy EXHAUSTIVE=1` sweeps all 2³².", ""]
    else:
        out += [f"> **Exhaustive run.** float32: nnmath on **all 2³² bit patterns** (section "
                f"\"{SWEPT}\"; {', '.join(args.sweep_libs)}), and, for the comparison "
                f"with the peers, every library on the sampled patterns ({sample}); "
                f"float16: exhaustive (all 65,536 patterns); float64: {args.f64_points:,} "
                "points per function (plus 13 specials) against mpmath.", ""]
    out += ["| | |", "|---|---|",
            f"| date | {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC} |",
            f"| mode | {args.mode} |",
            f"| machine | {platform.machine()}, {os.cpu_count()} CPUs, "
            f"{platform.system()} {platform.release()} |",
            "| versions | " + ", ".join(f"{k} {val}" for k, val in v.items()) + " |",
            f"| run time | {elapsed:.0f} s |"]
    span = getattr(args, "sweep_span", None)
    if args.mode == "exhaustive" and span:
        t = [datetime.datetime.fromtimestamp(v, datetime.timezone.utc) for v in span[:2]]
        out.append(f"| float32 sweep | the {span[2]:,} block files of `{args.state}` (256 per "
                   f"function and library) were written from {t[0]:%Y-%m-%d %H:%M} to "
                   f"{t[1]:%H:%M} UTC ({(span[1] - span[0]) / 60:.0f} min between the first "
                   "and the last) |")
    out.append("")
    out += ["Targets (issue 7, unchanged): float32 and float16 max error ≤ 1 ulp over all "
            "inputs for every activation and derivative; float64 ≤ 2 ulp on the mpmath "
            "sample; zero catastrophic results in any dtype. ✗ marks a row that misses "
            "them (for the peers, the same bar, for comparison). The max is over the "
            "non-catastrophic results; ′ marks the derivative (not measured at the kinks "
            "where it jumps). Shares are of the non-NaN inputs; \"NaN → number\" counts "
            "NaN inputs whose result is not NaN (not part of the targets)."
            " JAX on CPU flushes subnormals to zero, which shows as catastrophic results "
            "wherever the true value or the input is subnormal. Peers: scipy.special "
            "(forward only; a function that returns another dtype, as expit and log_expit "
            "do for float16, is not listed), torch.nn.functional with autograd, jax.nn "
            "with jax.grad (CPU, x64 enabled), each with its defaults. `gelu` is the exact GELU, "
            "`gelu_tanh` is `gelu(approximate=True)`. softmax, log_softmax and softmin "
            f"(target ≤ {AXIS_TARGET:g} ulp per element in every dtype) are measured on "
            "the rows of `axis_rows`: random rows of 2 to 1000 logits at scales 0.1 to 100 "
            "and extreme ones (a dominant logit whose rivals' mass is below the dtype's "
            "resolution, subnormal results, logits near the exponent's overflow, huge "
            "magnitudes, ties); the float32/float16 reference is float64 with the exact "
            "shift, the float64 one mpmath.", ""]
    out += ["Skipped: " + "; ".join(f"`{k}` ({r})" for k, r in SKIPPED.items()) + ".", ""]
    extra = [lib for lib in libs if lib in SECTION_LIBS]
    libs = [lib for lib in libs if lib not in SECTION_LIBS]
    order = ["float16", SWEPT, "float32", "float64"]
    for dt, res in sorted(results.items(), key=lambda kv: order.index(kv[0])):
        rows_in = (f"; softmax, log_softmax, softmin: {res['_row_inputs']:,} elements of "
                   "random and extreme rows" if "_row_inputs" in res else "")
        what = "patterns" if dt == SWEPT else "inputs"
        title = "float32, sampled" if dt == "float32" and SWEPT in results else dt
        out += [f"## {title} ({res['_inputs']:,} {what}{rows_in})", "",
                "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
        out += ["| " + " | ".join(r) + " |" for r in table_rows(dt, res, libs)]
        out.append("")
        ex = []
        for (label, g), row in ((k, v) for k, v in res.items() if not isinstance(k, str)):
            for lib in libs:
                st = row.get(lib)
                if st and st.cat_examples:
                    xs = "; ".join(f"f({x:.9g}) = {y:.9g}, true {r:.9g}"
                                   for x, y, r in st.cat_examples)
                    ex.append(f"- {label}{'′' if g else ''} {lib}: {xs}")
        if ex:
            out += [f"Catastrophic examples ({dt}, up to 3 each):", "", *ex, ""]
    for lib in extra:
        out += section(results, lib, args)
    return "\n".join(out)


SECTION_TITLE = {"nnmath.torch": "nnmath.torch on CPU tensors"}
SECTION_NOTE = {"nnmath.torch": (
    "`nnmath.torch.NAME(t)` on CPU tensors (`torch.from_numpy` of the same inputs as the "
    "tables above: float16 all patterns, float32 the sampled patterns, float64 the mpmath "
    "sample; softmax, log_softmax and softmin on the same rows, `axis=-1`); the value "
    "without grad, the derivative (′) through `torch.autograd.grad(y, t, ones)`, i.e. the "
    "operator's registered backward. Same references and targets as above. The last column "
    "counts the results that differ in any bit from nnmath's on the same NumPy arrays (the "
    "compiled core; two NaNs are equal): the value from `nnmath.activations.NAME(x)`, the "
    "derivative from `backward(x, ones)`, the fused kernel the operator's backward runs "
    "(not `gradient(x)`, a kernel of its own that may round differently in the last "
    "bit). 0 everywhere: on CPU the operators are nnmath's NumPy results, bit for bit.")}


def section(results: dict, lib: str, args) -> list[str]:
    """The section of the candidate ``lib`` (one of :data:`SECTION_LIBS`): its rows in
    every dtype measured, each with the count of results that differ from nnmath's, between
    markers so that ``--write-section`` can replace it in a written file."""
    v = versions([lib.replace("nnmath.", "")])
    out = [SECTION_BEGIN.format(lib=lib), f"## {SECTION_TITLE.get(lib, lib)}", "",
           SECTION_NOTE.get(lib, ""), "",
           f"Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC} "
           f"({args.mode} inputs; " + ", ".join(f"{k} {val}" for k, val in v.items()) +
           ").", ""]
    head = [*HEADER[:-1], "≠ nnmath (bits)", ""]
    order = ["float16", "float32", "float64"]
    for dt, res in sorted(((d, r) for d, r in results.items() if d in order),
                          key=lambda kv: order.index(kv[0])):
        rows = table_rows(dt, res, [lib])
        if not rows:
            continue
        differ = res.get("_differ", {}).get(lib, {})
        keys = [k for k, row in res.items() if not isinstance(k, str) and row.get(lib)]
        out += [f"### {dt}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for key, r in zip(keys, rows, strict=True):
            k, n = differ.get(key, (None, None))
            cell = "–" if k is None else ("0" if k == 0 else _pct(k, n))
            out.append("| " + " | ".join([*r[:-1], cell, r[-1]]) + " |")
        out.append("")
    out.append(SECTION_END.format(lib=lib))
    out.append("")
    return out


SECTION_BEGIN = "<!-- section {lib}: written by accuracy.py --write-section -->"
SECTION_END = "<!-- end of section {lib} -->"


def write_section(path: str, results: dict, lib: str, args) -> None:
    """Replace the section of ``lib`` in the written file ``path`` (between its markers),
    or append it; nothing else of the file changes."""
    text = Path(path).read_text(encoding="utf-8")
    block = "\n".join(section(results, lib, args))
    begin, end = SECTION_BEGIN.format(lib=lib), SECTION_END.format(lib=lib)
    if begin in text and end in text:
        i, j = text.index(begin), text.index(end) + len(end)
        text = text[:i] + block.rstrip("\n") + text[j:]
    else:
        text = text.rstrip("\n") + "\n\n" + block
    Path(path).write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mode", choices=["sampled", "exhaustive"], default="sampled")
    p.add_argument("--functions", default=",".join(FN_BY_LABEL))
    p.add_argument("--dtypes", default="float16,float32,float64")
    p.add_argument("--peers", default="scipy,torch,jax,nnmath-torch,nnmath.torch",
                   help="peers to measure when installed ('none' for nnmath alone)")
    p.add_argument("--stride", type=int, default=4093)
    p.add_argument("--f64-points", type=int, default=None)
    p.add_argument("--write", metavar="PATH", default=None)
    p.add_argument("--write-section", metavar="PATH", default=None,
                   help="measure nnmath and the candidates of their own section ("
                   + ", ".join(SECTION_LIBS) + ") and replace or append that section "
                   "in the written file PATH, leaving the rest of it as it is")
    p.add_argument("--no-rows", dest="rows", action="store_false",
                   help="skip softmax, log_softmax and softmin on rows")
    p.add_argument("--state", default=".accuracy-sweep",
                   help="exhaustive mode: directory of the float32 sweep's block files")
    p.add_argument("--jobs", type=int, default=None,
                   help="exhaustive mode: processes for the float32 sweep (default: cores)")
    p.add_argument("--sweep-libs", default="nnmath",
                   help="exhaustive mode: libraries swept over all float32 patterns")
    args = p.parse_args(argv)
    args.sweep_libs = [s for s in args.sweep_libs.split(",") if s]
    if args.f64_points is None:
        args.f64_points = 100_000
    labels = [s for s in args.functions.split(",") if s]
    unknown = [s for s in labels if s not in FN_BY_LABEL]
    if unknown:
        p.error(f"unknown functions {unknown}; known: {', '.join(FN_BY_LABEL)}")
    libs: dict[str, Any] = {"nnmath": nnmath_impl}
    peers = [s for s in args.peers.split(",") if s and s != "none"]
    if args.write_section:
        if args.mode != "sampled" or args.write:
            p.error("--write-section measures the sampled inputs and writes only the section")
        peers = [s for s in peers if s in SECTION_LIBS] or list(SECTION_LIBS)
    for name in peers:
        try:
            __import__(name.replace("nnmath-", ""))
        except ImportError:
            print(f"{name}: not installed, skipped")
            continue
        libs[name] = PEERS[name]
    t0 = time.perf_counter()
    dtypes = args.dtypes.split(",")
    results = run(labels, dtypes, libs, args.stride, args.f64_points)
    if args.rows:
        for dt, res in run_axis(dtypes, list(libs)).items():
            res["_row_inputs"] = res.pop("_inputs")
            for lib, table in res.pop("_differ", {}).items():
                results[dt].setdefault("_differ", {}).setdefault(lib, {}).update(table)
            results[dt].update(res)
    if args.mode == "exhaustive" and "float32" in dtypes:
        import accuracy_sweep

        merged = accuracy_sweep.sweep(args.state, labels, args.sweep_libs, args.jobs)
        res = accuracy_sweep.results_table(merged, labels, args.sweep_libs)
        res["_inputs"] = 1 << 32
        results[SWEPT] = res
        # the block files: <state>/<lib>/<function>/block-NNN.json
        times = [f.stat().st_mtime for f in Path(args.state).rglob("block-*.json")]
        args.sweep_span = (min(times), max(times), len(times)) if times else None
    elapsed = time.perf_counter() - t0
    shown = list(dict.fromkeys([*libs, *args.sweep_libs]))
    print_tables(results, shown)
    print(f"\n{args.mode} run: {elapsed:.0f} s")
    if args.write:
        with open(args.write, "w", encoding="utf-8") as fh:
            fh.write(markdown(results, shown, args, elapsed))
        print(f"wrote {args.write}")
    if args.write_section:
        for lib in (lib for lib in libs if lib in SECTION_LIBS):
            write_section(args.write_section, results, lib, args)
            print(f"wrote the section {lib} of {args.write_section}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Build and measure the header math of ``src/nnmath/_core/src/math`` (see test_core_math.py).

``build(level, directory)`` compiles ``benchmarks/core_math/shim.c`` with the system C
compiler at one x86-64 ISA level into a shared library and wraps its loops with ctypes;
``ulp_errors`` measures results against mpmath at 60 digits.
"""

from __future__ import annotations

import ctypes
import os
import platform
import shutil
import subprocess
from pathlib import Path

import mpmath as mp
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MATH_DIR = ROOT / "src" / "nnmath" / "_core" / "src" / "math"
SHIM = ROOT / "benchmarks" / "core_math" / "shim.c"
FLAGS = ["-std=c11", "-O3", "-Wall", "-Wextra", "-Werror", "-ffp-contract=off", "-fPIC"]
FUNCTIONS = ("exp", "expm1", "log", "log1p", "tanh", "erf", "erfc", "erfcx")
DPS = 60
TINY = 2.0**-1022
DBL_MAX = float(np.finfo(np.float64).max)

try:  # pytest's rootdir-relative import, a script run from tests/, or the tests package
    from reference import mp_activations as mpa
except ImportError:  # pragma: no cover
    from tests.reference import mp_activations as mpa


# CPU flags each level needs (from /proc/cpuinfo), as in the x86-64 psABI levels
_LEVEL_FLAGS = {
    "x86-64": set(),
    "x86-64-v3": {"avx2", "fma", "bmi2", "movbe"},
    "x86-64-v4": {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"},
}


def compiler() -> str | None:
    """$CC if set, else cc, gcc or clang from the PATH."""
    return shutil.which(os.environ.get("CC", "")) or next(
        (p for p in map(shutil.which, ("cc", "gcc", "clang")) if p), None
    )


def levels() -> list[str]:
    """The ISA levels this CPU runs (empty off x86-64)."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return []
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return ["x86-64"]
    flags: set[str] = set()
    for line in text.splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            break
    out = ["x86-64"]
    if _LEVEL_FLAGS["x86-64-v3"] <= flags:
        out.append("x86-64-v3")
        if _LEVEL_FLAGS["x86-64-v4"] <= flags:
            out.append("x86-64-v4")
    return out


class Shim:
    """ctypes view of one compiled shim: ``shim.call(name, x) -> (y, flags)``."""

    def __init__(self, path: Path, level: str) -> None:
        self.level = level
        self.lib = ctypes.CDLL(str(path))
        dp = ctypes.POINTER(ctypes.c_double)
        for name in FUNCTIONS:
            fn = getattr(self.lib, f"shim_{name}")
            fn.argtypes = [dp, dp, ctypes.c_size_t]
            fn.restype = None
        self.lib.shim_exp_dd.argtypes = [dp, dp, dp, ctypes.c_size_t]
        self.lib.shim_exp_dd.restype = None
        self.lib.shim_flags.restype = ctypes.c_int
        self.lib.shim_flag_bits.restype = ctypes.c_int
        self.lib.shim_flag_bits.argtypes = [ctypes.c_int]
        self.have_fma = bool(self.lib.shim_have_fma())
        self.flag_names = {
            self.lib.shim_flag_bits(i): n
            for i, n in enumerate(("invalid", "divide-by-zero", "overflow", "underflow"))
        }

    @staticmethod
    def _ptr(a: np.ndarray):
        return a.ctypes.data_as(ctypes.POINTER(ctypes.c_double))

    def flags(self, raised: int) -> set[str]:
        return {n for bit, n in self.flag_names.items() if raised & bit}

    def call(self, name: str, x: np.ndarray) -> tuple[np.ndarray, set[str]]:
        x = np.ascontiguousarray(x, dtype=np.float64)
        y = np.empty_like(x)
        self.lib.shim_flags()  # clear
        getattr(self.lib, f"shim_{name}")(self._ptr(x), self._ptr(y), x.size)
        return y, self.flags(self.lib.shim_flags())

    def exp_dd(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, set[str]]:
        x = np.ascontiguousarray(x, dtype=np.float64)
        hi, lo = np.empty_like(x), np.empty_like(x)
        self.lib.shim_flags()
        self.lib.shim_exp_dd(self._ptr(x), self._ptr(hi), self._ptr(lo), x.size)
        return hi, lo, self.flags(self.lib.shim_flags())


def build(level: str | None, directory: Path) -> Shim:
    cc = compiler()
    if cc is None:
        raise RuntimeError("no C compiler")
    tag = level or "native"
    out = directory / f"libnnm_math_{tag}.so"
    march = [f"-march={level}"] if level else []
    # Clang's default -fno-trapping-math lets it move arithmetic across the blends, raising
    # stray flags in lanes whose results are discarded (see the headers' README): test
    # Clang builds with -ftrapping-math (GCC's default), under which it does not vectorise
    version = subprocess.run([cc, "--version"], capture_output=True, text=True).stdout
    trapping = ["-ftrapping-math"] if "clang" in version.lower() else []
    cmd = [cc, *FLAGS, *trapping, *march, "-shared", f"-I{MATH_DIR}", str(SHIM)]
    cmd += ["-o", str(out), "-lm"]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return Shim(out, tag)


# --- mpmath references ---------------------------------------------------------------


_mp_erfcx = mpa.mp_erfcx  # the shared mpmath reference (tests/reference)


def _mp_erfc(x: mp.mpf) -> mp.mpf:
    return mp.exp(-x * x) * _mp_erfcx(x) if x >= 100 else mp.erfc(x)


def _mp_erf(x: mp.mpf) -> mp.mpf:
    return mp.sign(x) * (1 - _mp_erfc(abs(x))) if abs(x) >= 100 else mp.erf(x)


REFERENCE = {
    "exp": mp.exp,
    "expm1": mp.expm1,
    "log": mp.log,
    "log1p": mp.log1p,
    "tanh": mp.tanh,
    "erf": _mp_erf,
    "erfc": _mp_erfc,
    "erfcx": _mp_erfcx,
}


def _real_or_nan(fn, v: float) -> mp.mpf:
    """fn(v) at DPS digits; NaN for NaN input and outside the real domain."""
    if np.isnan(v):
        return mp.nan
    r = fn(mp.mpf(v))
    return r if isinstance(r, mp.mpf) else mp.nan


def reference(name: str, xs: np.ndarray) -> list[mp.mpf]:
    fn = REFERENCE[name]
    with mp.workdps(DPS):
        return [_real_or_nan(fn, float(v)) for v in xs]


def _ulp(v: mp.mpf) -> mp.mpf:
    """Spacing of the doubles at v (the subnormal spacing below 2**-1022)."""
    if v == 0:
        return mp.mpf(2) ** -1074
    _, e = mp.frexp(v)  # v = m 2^e, 0.5 <= |m| < 1
    return mp.mpf(2) ** max(int(e) - 53, -1074)


def _overflow_threshold() -> mp.mpf:
    return (mp.mpf(2) ** 1024 - mp.mpf(2) ** 970) + mp.mpf(2) ** 969


def ulp_errors(got: np.ndarray, ref: list[mp.mpf]) -> np.ndarray:
    """|got - ref| in ulps of ref; an infinite result is exact where ref rounds to it."""
    out = np.empty(len(ref))
    with mp.workdps(DPS):
        limit = _overflow_threshold()
        for i, (g, r) in enumerate(zip(got.tolist(), ref, strict=True)):
            if mp.isnan(r):
                out[i] = 0.0 if np.isnan(g) else np.inf
            elif np.isinf(g):
                out[i] = 0.0 if abs(r) >= limit and np.sign(g) == mp.sign(r) else np.inf
            elif np.isnan(g):
                out[i] = np.inf
            else:
                out[i] = float(abs(mp.mpf(g) - r) / _ulp(r))
    return out


def sample(name: str, n: int, seed: int = 0) -> np.ndarray:
    """n points over the whole range of one function, plus its thresholds."""
    rng = np.random.default_rng(seed)
    k = max(n // 4, 1)

    def logu(lo: float, hi: float, size: int = k) -> np.ndarray:
        return 10.0 ** rng.uniform(lo, hi, size)

    sign = rng.choice([-1.0, 1.0], k)
    parts: list[np.ndarray] = [np.array([0.0, -0.0, 5e-324, -5e-324, TINY, -TINY, DBL_MAX])]
    if name in ("exp", "expm1"):
        parts += [
            rng.uniform(-746.0, 710.0, k),
            sign * logu(-320, 0),
            rng.uniform(-2.0, 2.0, k),
            rng.uniform(-750.0, -700.0, k),
        ]
        edges = [709.782712893384, -745.1332191019411, -708.3964185322641, 40.0, -40.0, 0.34657]
    elif name == "log":
        parts += [logu(-323.5, 308.2, 2 * k), 1.0 + rng.uniform(-0.3, 0.42, k), -logu(-5, 5, 8)]
        edges = [1.0, 0.7071067811865476, 1.4142135623730951, 1e308]
    elif name == "log1p":
        parts += [logu(-320, 308, k), -logu(-320, -1e-9, k), rng.uniform(-1.0, 2.0, k)]
        parts.append(-1.0 + logu(-16, -1, k // 4))
        edges = [-1.0, -1.0 - 2.0**-52, -0.2928932188134524, 0.41421356237309515, 1e308]
    elif name == "tanh":
        parts += [sign * logu(-320, 1.5), rng.uniform(-20.0, 20.0, k), sign * logu(-9, 0)]
        edges = [19.06, 0.5493061443340549, 2.0**-27, 2.0**-26, 1e300]
    elif name == "erf":
        parts += [sign * logu(-320, 0.85), rng.uniform(-6.5, 6.5, 2 * k)]
        edges = [0.75, 5.9, 6.0, 1e300]
    elif name == "erfc":
        parts += [
            rng.uniform(-6.0, 27.5, k),
            sign * logu(-320, 0),
            rng.uniform(26.0, 27.3, k),
            rng.uniform(-1.0, 1.0, k),
        ]
        edges = [0.75, 26.55, 27.2, 27.3, -6.0, 1e300]
    elif name == "erfcx":
        parts += [
            logu(-320, 308, k),
            rng.uniform(-26.7, 30.0, k),
            -logu(-320, 1.42, k),
            rng.uniform(0.0, 10.0, k),
        ]
        edges = [26.62873571375149, 2.0**26, 4.0, 0.75, 1e300, 1e308]
    else:
        raise ValueError(name)
    e = np.array(edges, dtype=np.float64)
    near = np.concatenate([np.nextafter(e, np.inf), np.nextafter(e, -np.inf), e])
    parts += [near, -near, -parts[0]]
    return np.concatenate(parts)


def flagged(shim: Shim, name: str, xs: np.ndarray) -> list[tuple[float, set[str]]]:
    """The inputs that raise a flag on their own, with the flags."""
    out = []
    for v in xs:
        _, fl = shim.call(name, np.array([v]))
        if fl:
            out.append((float(v), fl))
    return out


def main(argv: list[str]) -> None:
    """`python tests/core_math_harness.py [N]`: max ulp error per function and ISA level."""
    import sys
    import tempfile

    n = int(argv[0]) if argv else 20000
    with tempfile.TemporaryDirectory() as d:
        for level in levels() or [None]:
            shim = build(level, Path(d))
            for name in FUNCTIONS:
                xs = sample(name, n)
                ref = reference(name, xs)
                y, raised = shim.call(name, xs)
                err = ulp_errors(y, ref)
                i = int(np.argmax(err))
                print(
                    f"{shim.level:10s} {name:6s} n={xs.size} max {err[i]:.3g} ulp "
                    f"at x={float(xs[i])!r} flags={sorted(raised)}"
                )
                sys.stdout.flush()


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])

"""Compute the erfcx coefficient table of ``src/nnmath/activations/_xp.py`` with mpmath
(the plain formula of the exact GELU for array libraries other than NumPy; NumPy runs
the compiled core's own erfcx, ``_core/src/math/nnm_erf.h``).

Run ``python tools/fit_erfcx.py``: it prints the generated block (between the
``BEGIN GENERATED`` and ``END GENERATED`` markers) that is pasted into
``src/nnmath/activations/_xp.py``, followed by a report of the fit on stderr.
``python tools/fit_erfcx.py --check [N]`` instead measures the accuracy of
``_xp.erfcx_nonneg`` against mpmath on N random points per range.

What is computed
----------------
1. ``erfcx`` on ``x >= 0``.  The bounded, smooth function

       f(x) = (1 + 2x) * erfcx(x),    erfcx(x) = exp(x**2) * erfc(x),

   goes from f(0) = 1 to f(inf) = 2/sqrt(pi) (because erfcx(x) ~ 1/(x*sqrt(pi))).
   With the Moebius map ``y = (x - K)/(x + K)``, i.e. ``x = K (1 + y)/(1 - y)``,
   the half line [0, inf) becomes [-1, 1) and f is expanded as a Chebyshev series
   ``f = sum_k a_k T_k(y)``.  The coefficients are those of the polynomial that
   interpolates f at the N Chebyshev points of the first kind
   ``y_j = cos(pi (j + 1/2)/N)`` (discrete cosine transform, at 50 digits), with N
   much larger than the number of terms kept so that aliasing is negligible;
   the series is truncated where the sum of the absolute values of the dropped
   coefficients is below ``TAIL``.  ``a_0`` is split into a double-double
   ``a_0 = hi + lo`` because its rounding error alone would be half an ulp of f.
2. ``erf`` for ``|x| <= ERF_TAYLOR_MAX``: the Maclaurin series

       erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n + 1)),

   written as ``erf(x) = x + x * P(x**2)`` with
   ``P(t) = (2/sqrt(pi) - 1) + sum_{n>=1} (-1)^n 2/sqrt(pi) t^n / (n! (2n + 1))``,
   so that ``erf(x) = x * 2/sqrt(pi)`` is exact to about half an ulp for tiny x.
   Terms are kept while ``|coefficient| * ERF_TAYLOR_MAX**(2n) >= 2**-60``.
3. The constant ``1/sqrt(pi)`` (large-x asymptote ``erfcx(x) ~ 1/(x sqrt(pi))``).

Nothing here is copied from another library: every number comes from mpmath.
"""

from __future__ import annotations

import random
import sys

import mpmath as mp

DPS = 50  # working precision, decimal digits
K = 4  # centre of the map y = (x - K)/(x + K); x - K is exact for x in [2, 8]
N_NODES = 96  # interpolation nodes (>> terms kept: aliasing error ~ |a_(2N - k)|)
TAIL = mp.mpf("1e-20")  # bound on sum |a_k| of the dropped Chebyshev coefficients
ERF_TAYLOR_MAX = 0.75  # erf uses its Maclaurin series for |x| < ERF_TAYLOR_MAX
ERF_TERM_MIN = mp.mpf(2) ** -60  # smallest term (relative to x) kept in the series


def _f(y: mp.mpf) -> mp.mpf:
    """(1 + 2x) erfcx(x) at x = K (1 + y)/(1 - y), for -1 <= y < 1."""
    x = K * (1 + y) / (1 - y)
    return (1 + 2 * x) * mp.exp(x * x) * mp.erfc(x)


def chebyshev_coefficients(n_nodes: int = N_NODES) -> list[mp.mpf]:
    """Coefficients a_k (k < n_nodes) of the interpolant sum_k a_k T_k(y)."""
    thetas = [mp.pi * (j + mp.mpf(1) / 2) / n_nodes for j in range(n_nodes)]
    values = [_f(mp.cos(t)) for t in thetas]
    coeffs = [
        2 * mp.fsum(v * mp.cos(k * t) for v, t in zip(values, thetas, strict=True)) / n_nodes
        for k in range(n_nodes)
    ]
    coeffs[0] /= 2  # sum' convention -> plain sum: f = sum_k a_k T_k
    return coeffs


def truncate(coeffs: list[mp.mpf]) -> list[mp.mpf]:
    """Drop the longest tail whose absolute sum is below TAIL."""
    m = len(coeffs)  # invariant: sum |coeffs[m:]| < TAIL
    while m > 1 and mp.fsum(abs(c) for c in coeffs[m - 1 :]) < TAIL:
        m -= 1
    if m == len(coeffs):
        raise RuntimeError("the series does not converge to TAIL: use more nodes")
    return coeffs[:m]


def erf_taylor_coefficients() -> list[mp.mpf]:
    """Coefficients of P(t) with erf(x) = x + x P(x**2), |x| <= ERF_TAYLOR_MAX."""
    two_over_sqrt_pi = 2 / mp.sqrt(mp.pi)
    coeffs = [two_over_sqrt_pi - 1]
    t_max = mp.mpf(ERF_TAYLOR_MAX) ** 2
    n = 1
    while True:
        c = (-1) ** n * two_over_sqrt_pi / (mp.factorial(n) * (2 * n + 1))
        if abs(c) * t_max**n < ERF_TERM_MIN:
            break
        coeffs.append(c)
        n += 1
    return coeffs


def _clenshaw_mp(coeffs: list[mp.mpf], y: mp.mpf) -> mp.mpf:
    """Sum_k coeffs[k] T_k(y) by Clenshaw's recurrence, in mpmath."""
    b1 = b2 = mp.mpf(0)
    for c in reversed(coeffs[1:]):
        b1, b2 = c + 2 * y * b1 - b2, b1
    return coeffs[0] + y * b1 - b2


def _fmt(values: list[float], indent: str = "    ") -> str:
    return "\n".join(f"{indent}{v!r}," for v in values)


def generate() -> tuple[str, str]:
    """Return (generated block, fit report)."""
    with mp.workdps(DPS):
        full = chebyshev_coefficients()
        kept = truncate(full)
        # aliasing check: a second interpolant on more nodes must agree
        other = chebyshev_coefficients(N_NODES + 24)
        alias = max(abs(a - b) for a, b in zip(kept, other[: len(kept)], strict=True))
        tail = mp.fsum(abs(c) for c in full[len(kept) :])
        c0_hi = float(kept[0])
        c0_lo = float(kept[0] - c0_hi)
        cheb = [float(c) for c in kept[1:]]
        # error of the truncated series with the coefficients rounded to doubles
        rounded = [mp.mpf(c0_hi) + mp.mpf(c0_lo)] + [mp.mpf(c) for c in cheb]
        rng = random.Random(12345)
        ys = [mp.mpf(-1)] + [mp.mpf(rng.uniform(-1, 1)) for _ in range(300)]
        ys += [1 - mp.mpf(10) ** -e for e in range(1, 16)]
        series_err = max(abs(_clenshaw_mp(rounded, y) - _f(y)) / _f(y) for y in ys)
        taylor = [float(c) for c in erf_taylor_coefficients()]
        inv_sqrt_pi = float(1 / mp.sqrt(mp.pi))

    lines = [
        f"# BEGIN GENERATED by tools/fit_erfcx.py (mpmath, {DPS} digits); do not edit by hand",
        f"_K = {float(K)!r}",
        f"_CHEB_A0_HI = {c0_hi!r}",
        f"_CHEB_A0_LO = {c0_lo!r}",
        "_CHEB = (  # a_1 ... a_(n-1) of (1 + 2x) erfcx(x) = sum_k a_k T_k((x - K)/(x + K))",
        _fmt(cheb),
        ")",
        f"_INV_SQRT_PI = {inv_sqrt_pi!r}",
        "# END GENERATED",
    ]
    report = "\n".join(
        [
            f"K = {K}, nodes = {N_NODES}, Chebyshev terms kept = {len(kept)}",
            f"sum |a_k| of the dropped terms = {mp.nstr(tail, 3)}",
            f"max |a_k(N) - a_k(N + 24)| over kept terms (aliasing) = {mp.nstr(alias, 3)}",
            "max relative error of the rounded, truncated series on 316 points = "
            f"{mp.nstr(series_err, 3)}",
            f"erf Maclaurin terms for |x| < {ERF_TAYLOR_MAX}: {len(taylor)}",
        ]
    )
    return "\n".join(lines), report


def _mp_erfcx(x: float) -> mp.mpf:
    """exp(x**2) erfc(x) at the working precision (asymptotic series for x >= 100)."""
    x = mp.mpf(x)
    if x >= 100:  # 1/(x sqrt(pi)) sum_n (-1)^n (2n - 1)!!/(2x**2)^n, remainder < 1e-60
        t = 1 / (2 * x * x)
        total = term = mp.mpf(1)
        for n in range(1, 21):
            term *= -(2 * n - 1) * t
            total += term
        return total / (x * mp.sqrt(mp.pi))
    return mp.exp(x * x) * mp.erfc(x)


def check(n: int, seed: int = 0) -> str:
    """Max relative errors of ``_xp.erfcx_nonneg`` against mpmath on random points."""
    import importlib.util
    from pathlib import Path

    import numpy as np

    path = Path(__file__).resolve().parents[1] / "src" / "nnmath" / "activations" / "_xp.py"
    spec = importlib.util.spec_from_file_location("_xp_under_check", path)
    assert spec is not None and spec.loader is not None
    src = path.read_text()
    namespace: dict = {"np": np, "Any": object}
    start, end = src.index("# BEGIN GENERATED"), src.index("def erfcx_nonneg(")
    fn_end = src.index("\n\n\n", end)
    exec(src[start:end] + src[end:fn_end], namespace)

    def erfcx(x):
        return namespace["erfcx_nonneg"](np, np.asarray(x, dtype=np.float64))

    rng = np.random.default_rng(seed)
    log_uniform = 10.0 ** rng.uniform(-300, 300, n)
    cases = [
        ("erfcx, x in [1e-300, 1e300] log-uniform", erfcx, _mp_erfcx, log_uniform),
        ("erfcx, x in [0, 8]", erfcx, _mp_erfcx, rng.uniform(0, 8, n)),
    ]
    tiny = mp.mpf(2) ** -1022
    lines = [f"{n} points per row, seed {seed}; relative error where |f| >= 2**-1022"]
    with mp.workdps(DPS), np.errstate(all="raise"):
        for name, fn, ref, xs in cases:
            got = fn(xs)
            rel = abs_sub = mp.mpf(0)
            for g, x in zip(got.tolist(), xs.tolist(), strict=True):
                r = ref(x)
                err = abs(mp.mpf(g) - r)
                if abs(r) >= tiny:
                    rel = max(rel, err / abs(r))
                else:
                    abs_sub = max(abs_sub, err)
            line = f"{name:40s} max rel err {mp.nstr(rel, 3):>9s}"
            if abs_sub:
                line += f", subnormal results: max abs err {mp.nstr(abs_sub, 3)}"
            lines.append(line)
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--check":
        n = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
        print(check(n))
        return
    block, report = generate()
    print(block)
    print(report, file=sys.stderr)


if __name__ == "__main__":
    main()

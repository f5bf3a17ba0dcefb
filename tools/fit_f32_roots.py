"""Generate ``src/nnmath/_core/src/math/nnm_f32_roots.h`` with mpmath.

Run ``python tools/fit_f32_roots.py > src/nnmath/_core/src/math/nnm_f32_roots.h``; a
report goes to stderr.

The float32 derivatives of silu, mish and gelu_tanh (``nnm_formulas_f32.h``) cancel next
to their zeros. Each is written about its zero x0 (t = x - x0, x0 as a double-double) as
a sum whose terms all have the sign of t, so nothing cancels at any x; these are the
constants of those sums (every number from mpmath at ``DPS`` digits, rounded once):

silu'(x) = e^x (1 + x + e^x) / (1 + e^x)^2 for x < 0. Its zero solves 1 + x + e^x = 0:
    x0 = -1 - W(1/e), e0 = e^{x0} = W(1/e) = -1 - x0, and
    1 + x + e^x = t + e0 (e^t - 1).

mish'(x) = n K / (N + 2)^2 for x <= 0, n = e^x, N = n (n + 2),
    K = (n + 2)(n^2 + 2n + 2) + 4x (1 + n) = n^3 + 4n^2 + 6n + 4 + 4x + 4xn.
With n1 = e^{x1} at its zero x1, n = n1 E, E = e^t, M = E - 1:
    K = M (n1^3 (3 + 3M + M^2) + 4 n1^2 (2 + M) + n1 (6 + 4 x1)) + 4t (1 + n1 E),
where 6 + 4 x1 > 0, 3 + 3M + M^2 > 0 and 2 + M > 0.

gelu_tanh'(x) = z Q / (1 + z)^2 for x < 0, t(x) = c2 (x + k x^3), c2 = 2 sqrt(2/pi),
k = 0.044715 (the decimal value), z = e^{t(x)},
    Q = 1 + z + x c2 (1 + 3k x^2).
With s = x - x2 at its zero x2, q = x^2 + x x2 + x2^2 > 0, D = t(x) - t(x2) =
c2 s (1 + k q), z = e^{t(x2)} e^D:
    Q = e^{t(x2)} (e^D - 1) + c2 s (1 + 3k q).

Each identity is checked here at random points in mpmath before anything is printed.
"""

from __future__ import annotations

import random
import sys

import mpmath as mp

DPS = 60


def _hex(v: float) -> str:
    return float.hex(v)


def _split(v: mp.mpf) -> tuple[float, float]:
    hi = float(v)
    return hi, float(v - mp.mpf(hi))


def silu() -> dict[str, mp.mpf]:
    e0 = mp.lambertw(1 / mp.e).real
    x0 = -1 - e0
    assert abs(1 + x0 + mp.exp(x0)) < mp.mpf(10) ** (-DPS + 5)

    def d(x):  # silu'(x)
        s = 1 / (1 + mp.exp(-x))
        return s * (1 + x * (1 - s))

    assert abs(d(x0)) < mp.mpf(10) ** (-DPS + 5)
    rng = random.Random(1)
    for _ in range(50):
        x = mp.mpf(rng.uniform(-60, -1e-3))
        t = x - x0
        h = t + e0 * mp.expm1(t)
        want = d(x)
        got = mp.exp(x) * h / (1 + mp.exp(x)) ** 2
        assert abs(got - want) <= abs(want) * mp.mpf(10) ** (-DPS + 10), x
    return {"x0": x0, "e0": e0}


def mish() -> dict[str, mp.mpf]:
    def k_of(x):
        n = mp.exp(x)
        return (n + 2) * (n * n + 2 * n + 2) + 4 * x * (1 + n)

    def d(x):  # mish'(x) from its definition
        sp = mp.log1p(mp.exp(x))
        th = mp.tanh(sp)
        return th + x * (1 - th * th) / (1 + mp.exp(-x))

    x1 = mp.findroot(k_of, mp.mpf("-1.19"))
    assert abs(d(x1)) < mp.mpf(10) ** (-DPS + 10)
    n1 = mp.exp(x1)
    c = {"x1": x1, "n1": n1, "a3": n1**3, "a2": 4 * n1**2, "a1": n1 * (6 + 4 * x1)}
    assert c["a1"] > 0
    rng = random.Random(2)
    for _ in range(50):
        x = mp.mpf(rng.uniform(-60, 0))
        t = x - x1
        m = mp.expm1(t)
        e = m + 1
        k = m * (c["a3"] * (3 + 3 * m + m * m) + c["a2"] * (2 + m) + c["a1"]) \
            + 4 * t * (1 + n1 * e)
        assert abs(k - k_of(x)) <= abs(k_of(x)) * mp.mpf(10) ** (-DPS + 10), x
        n = mp.exp(x)
        nn = n * (n + 2)
        got = n * k / (nn + 2) ** 2
        assert abs(got - d(x)) <= abs(d(x)) * mp.mpf(10) ** (-DPS + 10), x
    return c


def gelu_tanh() -> dict[str, mp.mpf]:
    c2 = 2 * mp.sqrt(2 / mp.pi)
    k = mp.mpf("0.044715")

    def t_of(x):
        return c2 * (x + k * x**3)

    def q_of(x):
        return 1 + mp.exp(t_of(x)) + x * c2 * (1 + 3 * k * x * x)

    def d(x):  # gelu_tanh'(x) = d/dx x sigma(t(x))
        return mp.diff(lambda v: v / (1 + mp.exp(-t_of(v))), x)

    x2 = mp.findroot(q_of, mp.mpf("-1.5"))
    assert abs(d(x2)) < mp.mpf(10) ** (-DPS + 20)
    et2 = mp.exp(t_of(x2))
    rng = random.Random(3)
    for _ in range(50):
        x = mp.mpf(rng.uniform(-20, 0))
        s = x - x2
        q = x * x + x * x2 + x2 * x2
        dd = c2 * s * (1 + k * q)
        assert abs(dd - (t_of(x) - t_of(x2))) <= mp.mpf(10) ** (-DPS + 10) * abs(t_of(x))
        qq = et2 * mp.expm1(dd) + c2 * s * (1 + 3 * k * q)
        assert abs(qq - q_of(x)) <= abs(q_of(x)) * mp.mpf(10) ** (-DPS + 10), x
    return {"x2": x2, "et2": et2}


def main() -> None:
    mp.mp.dps = DPS
    s, m, g = silu(), mish(), gelu_tanh()
    print(f"silu': zero {mp.nstr(s['x0'], 25)}, e^x0 {mp.nstr(s['e0'], 25)}", file=sys.stderr)
    print(f"mish': zero {mp.nstr(m['x1'], 25)}, 6 + 4 x1 = {mp.nstr(6 + 4 * m['x1'], 10)}",
          file=sys.stderr)
    print(f"gelu_tanh': zero {mp.nstr(g['x2'], 25)}, e^t(x2) {mp.nstr(g['et2'], 25)}",
          file=sys.stderr)
    rows = []

    def dd(name, v):
        hi, lo = _split(v)
        rows.append(f"#define {name}_HI {_hex(hi)} /* {mp.nstr(v, 20)} */")
        rows.append(f"#define {name}_LO {_hex(lo)}")

    def one(name, v):
        rows.append(f"#define {name} {_hex(float(v))} /* {mp.nstr(v, 20)} */")

    dd("NNM_SILU_ROOT", s["x0"])
    one("NNM_SILU_ROOT_EXP", s["e0"])
    dd("NNM_MISH_ROOT", m["x1"])
    one("NNM_MISH_ROOT_EXP", m["n1"])
    one("NNM_MISH_ROOT_A3", m["a3"])
    one("NNM_MISH_ROOT_A2", m["a2"])
    one("NNM_MISH_ROOT_A1", m["a1"])
    dd("NNM_GELU_TANH_ROOT", g["x2"])
    one("NNM_GELU_TANH_ROOT_EXP", g["et2"])
    print("/* Generated by tools/fit_f32_roots.py (mpmath, "
          f"{DPS} digits); do not edit.\n"
          " * The zeros of silu', mish' and gelu_tanh' (double-doubles) and the constants of\n"
          " * the float32 formulas written about them (nnm_formulas_f32.h; the identities are\n"
          " * in the tool's docstring). */")
    print("#ifndef NNM_F32_ROOTS_H\n#define NNM_F32_ROOTS_H\n")
    print("\n".join(rows))
    print("\n#endif")


if __name__ == "__main__":
    main()

"""Generate ``src/nnmath/_core/src/math/nnm_math_coeffs.h`` with mpmath.

Run ``python tools/fit_core_math.py > src/nnmath/_core/src/math/nnm_math_coeffs.h``;
a report of each fit goes to stderr.

What is computed (every number comes from mpmath at ``DPS`` digits):

1. Splits of ln 2: ``LN2_HI`` (ln 2 rounded to 32 significant bits, so that ``k * LN2_HI``
   is exact for |k| < 2**21), ``LN2_LO`` (the rest, rounded to a double) and, for the
   double-double exponential, the three-part split ``LN2_1 + LN2_2 + LN2_3``.
2. ``exp``: ``P(r) = (e**r - 1 - r) / r**2`` on |r| <= ln2/2 (plus a margin), a
   near-minimax polynomial from ``mpmath.chebyfit`` (Chebyshev interpolation), evaluated
   from its Taylor series so that the removable singularity at 0 costs no digits.
3. ``log``: ``R1(z) = (2 atanh(s) - 2 s) / (s z)``, z = s**2, on
   0 <= z <= ((sqrt2 - 1)/(sqrt2 + 1))**2, so that ``log(1 + f) = 2 s + s z R1(z)`` with
   ``s = f / (2 + f)``.
   ``exp32``: the same P(r) of degree ``EXP32_DEGREE`` only, for the float32 path
   (``nnm_exp_f32.h``), which needs a relative error near 2**-45, not 2**-60.
4. ``exp_dd``: the Taylor coefficients 1/n! as double-double pairs (hi, lo; to n = 9, which
   the float32 GELU's e**(-a**2/2) uses too), and the table
   2**(j/256), j = 0 .. 255, as double-double pairs (the reduction
   x = (256 k + j) ln2/256 + r).
5. ``erfcx`` and ``erf``: the Chebyshev series of (1 + 2x) erfcx(x) in y = (x - K)/(x + K)
   and the Maclaurin coefficients of erf, computed by ``tools/fit_erfcx.py`` (the same
   algorithm as the Python fallback in ``src/nnmath/_special.py``).
6. The exact GELU: the zero r of gelu'(x) = Phi(x) + x phi(x) (x = -0.7518) as a
   double-double and the Taylor coefficients of gelu' about it (c_1 as a double-double),
   for |x - r| <= ``GELU_ROOT_RADIUS``; and for the float32 GELU, the Mills ratio
   M(a) = Phi(-a)/phi(a) on 0 <= a <= ``GELU32_AMAX`` as (1 + a/2) M(a) = p(y),
   y = (a - 4)/(a + 4), a polynomial of degree ``GELU32_MILLS_DEGREE`` (relative error
   about 2^-37; float32 needs 2^-30).
"""

from __future__ import annotations

import sys
from pathlib import Path

import mpmath as mp

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fit_erfcx

DPS = 60
EXP_DEGREE = 11  # degree of P(r); 12 coefficients
EXP32_DEGREE = 7  # degree of P(r) for the float32 path; 8 coefficients
LOG_DEGREE = 8  # degree of R1(z); 9 coefficients
EXP_DD_TABLE_BITS = 8  # exp_dd reduces x by multiples of ln2/256: |r| <= ln2/512
EXP_DD_TERMS = 9  # 1/n! for n = 0 .. 8: |r|**9/9! < 2**-104 for |r| <= ln2/512
FACT_TERMS = 10  # the table 1/n!, n = 0 .. 9: exp_dd's terms and the float32 GELU's degree 9
EXP_DD_DOUBLE_FROM = 5  # terms n >= 5 are below 2**-54 and are summed in double
MARGIN = mp.mpf("1.001")  # the reduced argument may exceed ln2/2 by rounding
GELU_ROOT_RADIUS = mp.mpf("0.25")  # the Taylor expansion of gelu' about its zero
GELU_ROOT_DEGREE = 17  # first dropped term < 2**-58 of c_1 t on that radius
GELU32_AMAX = 20.0  # beyond, float32 g gelu'(x < 0) rounds to 0 for every float32 g
GELU32_MILLS_K = 4.0
GELU32_MILLS_DEGREE = 13


def _exp_p(r: mp.mpf) -> mp.mpf:
    """(e**r - 1 - r)/r**2 from its Taylor series (exact at r = 0)."""
    return mp.fsum(r**n / mp.factorial(n + 2) for n in range(60))


def _log_r1(z: mp.mpf) -> mp.mpf:
    """sum_{n>=1} 2 z**(n-1)/(2n + 1) = (2 atanh(s) - 2s)/(s z), z = s**2."""
    return mp.fsum(2 * z ** (n - 1) / (2 * n + 1) for n in range(1, 80))


def _fit(f, lo: mp.mpf, hi: mp.mpf, degree: int) -> tuple[list[float], mp.mpf]:
    """Coefficients c_0 .. c_degree (lowest first) and the max error of the rounded fit."""
    poly, _ = mp.chebyfit(f, [lo, hi], degree + 1, error=True)
    coeffs = [float(c) for c in reversed(poly)]
    err = mp.mpf(0)
    for j in range(2001):
        x = lo + (hi - lo) * j / 2000
        p = mp.fsum(mp.mpf(c) * x**n for n, c in enumerate(coeffs))
        err = max(err, abs(p - f(x)))
    return coeffs, err


def _gelu(report: list[str]) -> dict:
    """The GELU constants (see the module docstring, item 6)."""

    def cdf(x):
        return mp.erfc(-x / mp.sqrt(2)) / 2

    def pdf(x):
        return mp.exp(-x * x / 2) / mp.sqrt(2 * mp.pi)

    def dgelu(x):
        return cdf(x) + x * pdf(x)

    root = mp.findroot(dgelu, mp.mpf("-0.75"))
    taylor = mp.taylor(dgelu, root, 40)
    rest = sum(abs(c) * GELU_ROOT_RADIUS**k for k, c in enumerate(taylor)
               if k > GELU_ROOT_DEGREE)
    report.append(
        f"gelu': zero at {mp.nstr(root, 20)}; Taylor degree {GELU_ROOT_DEGREE} on radius "
        f"{mp.nstr(GELU_ROOT_RADIUS, 3)}, dropped terms "
        f"2^{mp.nstr(mp.log(rest / (taylor[1] * GELU_ROOT_RADIUS), 2), 3)} of c_1 t"
    )
    k = mp.mpf(GELU32_MILLS_K)

    def mills_scaled(y):
        a = k * (1 + y) / (1 - y)
        return (1 + a / 2) * cdf(-a) / pdf(a)

    ymax = (mp.mpf(GELU32_AMAX) - k) / (mp.mpf(GELU32_AMAX) + k)
    poly = mp.chebyfit(mills_scaled, [-1, ymax], GELU32_MILLS_DEGREE + 1)
    mills = [float(c) for c in reversed(poly)]
    worst = mp.mpf(0)
    for j in range(1001):
        y = -1 + (ymax + 1) * j / 1000
        p = mp.fsum(mp.mpf(c) * y**n for n, c in enumerate(mills))
        worst = max(worst, abs(p / mills_scaled(y) - 1))
    report.append(
        f"gelu float32: Mills ratio degree {GELU32_MILLS_DEGREE} in y on [0, {GELU32_AMAX}], "
        f"max relative error 2^{mp.nstr(mp.log(worst, 2), 3)}"
    )
    inv_sqrt_2pi = 1 / mp.sqrt(2 * mp.pi)
    inv_sqrt2 = 1 / mp.sqrt(2)
    return {
        "root_hi": float(root),
        "root_lo": float(root - mp.mpf(float(root))),
        "c1_lo": float(taylor[1] - mp.mpf(float(taylor[1]))),
        "taylor": [float(c) for c in taylor[1 : GELU_ROOT_DEGREE + 1]],
        "inv_sqrt_2pi_hi": float(inv_sqrt_2pi),
        "inv_sqrt_2pi_lo": float(inv_sqrt_2pi - mp.mpf(float(inv_sqrt_2pi))),
        "inv_sqrt2_hi": float(inv_sqrt2),
        "inv_sqrt2_lo": float(inv_sqrt2 - mp.mpf(float(inv_sqrt2))),
        "mills": mills,
    }


def _split(value: mp.mpf, bits: int) -> mp.mpf:
    """value rounded to `bits` significant bits."""
    e = mp.floor(mp.log(abs(value), 2))
    scale = mp.mpf(2) ** (bits - 1 - e)
    return mp.nint(value * scale) / scale


def _largest_below(f, lo: float, hi: float) -> float:
    """Largest double x in [lo, hi) with f(x) false, for f monotone (false at lo, true at hi)."""
    import struct

    def bits(v: float) -> int:
        return struct.unpack("<q", struct.pack("<d", v))[0]

    def value(b: int) -> float:
        return struct.unpack("<d", struct.pack("<q", b))[0]

    a, b = bits(lo), bits(hi)  # positive doubles: bit patterns are ordered like values
    while b - a > 1:
        m = (a + b) // 2
        a, b = (a, m) if f(value(m)) else (m, b)
    return value(a)


def _overflows(value: mp.mpf) -> bool:
    """True when value rounds to +inf in double (>= DBL_MAX + half an ulp)."""
    dbl_max = mp.mpf(2) ** 1024 - mp.mpf(2) ** 970
    return value >= dbl_max + mp.mpf(2) ** 969


def _c(name: str, value: float) -> str:
    return f"#define {name} {value.hex()} /* {value!r} */"


def _array(name: str, values: list[float], comment: str) -> str:
    body = "\n".join(f"    {v.hex()}, /* {v!r} */" for v in values)
    return f"/* {comment} */\nstatic const double {name}[{len(values)}] = {{\n{body}\n}};"


def generate() -> tuple[str, str]:
    report = []
    with mp.workdps(DPS):
        ln2 = mp.log(2)
        ln2_hi = _split(ln2, 32)
        ln2_lo = float(ln2 - ln2_hi)
        l2 = float(ln2 - ln2_hi)
        l3 = float(ln2 - ln2_hi - mp.mpf(l2))
        half = ln2 / 2 * MARGIN
        exp_p, exp_err = _fit(_exp_p, -half, half, EXP_DEGREE)
        report.append(f"exp: P degree {EXP_DEGREE}, max abs error {mp.nstr(exp_err, 3)} (P ~ 0.5)")
        exp32_p, exp32_err = _fit(_exp_p, -half, half, EXP32_DEGREE)
        report.append(
            f"exp32: P degree {EXP32_DEGREE}, max abs error {mp.nstr(exp32_err, 3)} (P ~ 0.5)"
        )
        s_max = (mp.sqrt(2) - 1) / (mp.sqrt(2) + 1) * MARGIN
        log_r, log_err = _fit(_log_r1, mp.mpf(0), s_max**2, LOG_DEGREE)
        report.append(
            f"log: R1 degree {LOG_DEGREE}, max abs error {mp.nstr(log_err, 3)} (R1 ~ 0.67)"
        )
        exp_max = _largest_below(lambda x: _overflows(mp.exp(x)), 709.0, 710.0)
        erfcx_neg_max = _largest_below(
            lambda x: _overflows(2 * mp.exp(mp.mpf(x) ** 2) - mp.exp(mp.mpf(x) ** 2) * mp.erfc(x)),
            26.0,
            27.0,
        )
        report.append(f"exp overflows above {exp_max!r}; erfcx(-x) above {erfcx_neg_max!r}")
        fact_hi, fact_lo = [], []
        for n in range(max(EXP_DD_TERMS, FACT_TERMS)):
            v = 1 / mp.factorial(n)
            fact_hi.append(float(v))
            fact_lo.append(float(v - mp.mpf(float(v))))
        gelu = _gelu(report)
        r_max = ln2 / 2 ** (EXP_DD_TABLE_BITS + 1) * MARGIN
        tail = r_max**EXP_DD_TERMS / mp.factorial(EXP_DD_TERMS)
        report.append(
            f"exp_dd: {EXP_DD_TERMS} Taylor terms, first dropped term {mp.nstr(tail, 3)}"
        )
        tab_hi, tab_lo = [], []
        for j in range(2**EXP_DD_TABLE_BITS):
            v = mp.mpf(2) ** (mp.mpf(j) / 2**EXP_DD_TABLE_BITS)
            tab_hi.append(float(v))
            tab_lo.append(float(v - mp.mpf(float(v))))
    with mp.workdps(fit_erfcx.DPS):
        full = fit_erfcx.chebyshev_coefficients()
        cheb = fit_erfcx.truncate(full)
        a0_hi = float(cheb[0])
        a0_lo = float(cheb[0] - mp.mpf(a0_hi))
        erf_taylor = [float(c) for c in fit_erfcx.erf_taylor_coefficients()]
        inv_sqrt_pi = float(1 / mp.sqrt(mp.pi))
        two_over_sqrt_pi = float(2 / mp.sqrt(mp.pi))
        report.append(
            f"erfcx: {len(cheb)} Chebyshev terms; erf: {len(erf_taylor)} Maclaurin terms"
        )
    lines = [
        "/* Generated by tools/fit_core_math.py (mpmath); do not edit by hand. */",
        "#ifndef NNM_MATH_COEFFS_H",
        "#define NNM_MATH_COEFFS_H",
        "",
        _c("NNM_INV_LN2", float(1 / mp.log(2))),
        _c("NNM_LN2_HI", float(ln2_hi)),
        _c("NNM_LN2_LO", ln2_lo),
        _c("NNM_LN2_1", float(ln2_hi)),
        _c("NNM_LN2_2", l2),
        _c("NNM_LN2_3", l3),
        _c("NNM_EXP_MAX_ARG", exp_max),
        _c("NNM_ERFCX_NEG_MAX", erfcx_neg_max),
        _c("NNM_INV_SQRT_PI", inv_sqrt_pi),
        _c("NNM_TWO_OVER_SQRT_PI", two_over_sqrt_pi),
        _c("NNM_ERFCX_K", float(fit_erfcx.K)),
        _c("NNM_ERFCX_A0_HI", a0_hi),
        _c("NNM_ERFCX_A0_LO", a0_lo),
        _c("NNM_ERF_TAYLOR_MAX", float(fit_erfcx.ERF_TAYLOR_MAX)),
        f"#define NNM_EXP_DD_TABLE_BITS {EXP_DD_TABLE_BITS}",
        f"#define NNM_EXP_DD_DEGREE {EXP_DD_TERMS - 1}",
        f"#define NNM_EXP_DD_DOUBLE_FROM {EXP_DD_DOUBLE_FROM}",
        _c("NNM_GELU_ROOT_HI", gelu["root_hi"]),
        _c("NNM_GELU_ROOT_LO", gelu["root_lo"]),
        _c("NNM_GELU_ROOT_RADIUS", float(GELU_ROOT_RADIUS)),
        _c("NNM_GELU_ROOT_C1_LO", gelu["c1_lo"]),
        _c("NNM_INV_SQRT_2PI_HI", gelu["inv_sqrt_2pi_hi"]),
        _c("NNM_INV_SQRT_2PI_LO", gelu["inv_sqrt_2pi_lo"]),
        _c("NNM_INV_SQRT2_HI", gelu["inv_sqrt2_hi"]),
        _c("NNM_INV_SQRT2_LO", gelu["inv_sqrt2_lo"]),
        _c("NNM_GELU32_AMAX", GELU32_AMAX),
        _c("NNM_GELU32_MILLS_K", GELU32_MILLS_K),
        "",
        _array("nnm_exp_p", exp_p, "(e^r - 1 - r)/r^2 = sum_n c_n r^n, |r| <= ln2/2"),
        _array("nnm_exp32_p", exp32_p, "the same P(r), degree 7, for the float32 path"),
        _array("nnm_log_r1", log_r, "(2 atanh(s) - 2s)/s^3 = sum_n c_n z^n, z = s^2"),
        _array("nnm_fact_hi", fact_hi, "1/n!, high parts"),
        _array("nnm_fact_lo", fact_lo, "1/n!, low parts"),
        _array("nnm_exp2_tab_hi", tab_hi, "2^(j/256), high parts"),
        _array("nnm_exp2_tab_lo", tab_lo, "2^(j/256), low parts"),
        _array(
            "nnm_erfcx_cheb",
            [float(c) for c in cheb[1:]],
            "a_1 .. a_n: (1 + 2x) erfcx(x) = sum_k a_k T_k((x - K)/(x + K))",
        ),
        _array("nnm_erf_taylor", erf_taylor, "erf(x) = x + x P(x^2), P(t) = sum_n c_n t^n"),
        _array(
            "nnm_gelu_root_taylor",
            gelu["taylor"],
            "c_1 .. c_n: gelu'(r + t) = sum_n c_n t^n about the zero r of gelu'",
        ),
        _array(
            "nnm_gelu32_mills",
            gelu["mills"],
            "(1 + a/2) Phi(-a)/phi(a) = sum_n c_n y^n, y = (a - K)/(a + K), 0 <= a <= AMAX",
        ),
        "",
        "#endif /* NNM_MATH_COEFFS_H */",
    ]
    return "\n".join(lines) + "\n", "\n".join(report)


def main() -> None:
    header, report = generate()
    sys.stdout.write(header)
    print(report, file=sys.stderr)


if __name__ == "__main__":
    main()

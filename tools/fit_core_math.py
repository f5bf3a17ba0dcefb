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
4. ``exp_dd``: the Taylor coefficients 1/n! as double-double pairs (hi, lo).
5. ``erfcx`` and ``erf``: the Chebyshev series of (1 + 2x) erfcx(x) in y = (x - K)/(x + K)
   and the Maclaurin coefficients of erf, computed by ``tools/fit_erfcx.py`` (the same
   algorithm as the Python fallback in ``src/nnmath/_special.py``).
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
EXP_DD_TERMS = 23  # 1/n! for n = 0 .. 22: |r|**23/23! < 2**-106 for |r| <= ln2/2
EXP_DD_DOUBLE_FROM = 12  # terms n >= 12 are below 2**-47 and are summed in double
MARGIN = mp.mpf("1.001")  # the reduced argument may exceed ln2/2 by rounding


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
        for n in range(EXP_DD_TERMS):
            v = 1 / mp.factorial(n)
            fact_hi.append(float(v))
            fact_lo.append(float(v - mp.mpf(float(v))))
        tail = (ln2 / 2) ** EXP_DD_TERMS / mp.factorial(EXP_DD_TERMS)
        report.append(
            f"exp_dd: {EXP_DD_TERMS} Taylor terms, first dropped term {mp.nstr(tail, 3)}"
        )
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
        f"#define NNM_EXP_DD_DOUBLE_FROM {EXP_DD_DOUBLE_FROM}",
        "",
        _array("nnm_exp_p", exp_p, "(e^r - 1 - r)/r^2 = sum_n c_n r^n, |r| <= ln2/2"),
        _array("nnm_exp32_p", exp32_p, "the same P(r), degree 7, for the float32 path"),
        _array("nnm_log_r1", log_r, "(2 atanh(s) - 2s)/s^3 = sum_n c_n z^n, z = s^2"),
        _array("nnm_fact_hi", fact_hi, "1/n!, high parts"),
        _array("nnm_fact_lo", fact_lo, "1/n!, low parts"),
        _array(
            "nnm_erfcx_cheb",
            [float(c) for c in cheb[1:]],
            "a_1 .. a_n: (1 + 2x) erfcx(x) = sum_k a_k T_k((x - K)/(x + K))",
        ),
        _array("nnm_erf_taylor", erf_taylor, "erf(x) = x + x P(x^2), P(t) = sum_n c_n t^n"),
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

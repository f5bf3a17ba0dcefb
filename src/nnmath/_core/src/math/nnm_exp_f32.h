/* The math of the float32 path (see README.md): exp, expm1 and log1p in float64 to a
 * relative error near 2^-43, for results that are rounded once to float32 (or float16).
 *
 * A float32 result rounded from a float64 value with relative error e is within
 * 0.5 + 2^24 e ulp of the exact value: with e <= 2^-42 that is 0.5 + 2^-18 ulp, so these
 * functions need far less than the float64 ones (degree 7 instead of 11, no double-double
 * reconstruction), and the formulas of nnm_formulas_f32.h built on them need no
 * error-free steps except where they cancel.
 *
 * No FMA, on purpose: every product and sum is a plain IEEE operation (with
 * -ffp-contract=off), so every ISA level, the baseline included, gives the same float64
 * value and hence the same float32 result. Inputs are finite and not NaN (the callers
 * clamp); no floating-point flag is raised for them.
 */
#ifndef NNM_EXP_F32_H
#define NNM_EXP_F32_H

#include "nnm_exp.h"

/* x = k ln2 + r, |r| <= ln2/2 (1 + 2^-40), for finite |x| <= 1000; *kf = k. LN2_HI has 32
 * bits, so k LN2_HI and x - k LN2_HI are exact; r carries the rounding of one
 * subtraction and of k LN2_LO (below 2^-53 |r| + 2^-64). Below 2^-60, x itself is r
 * (x / ln2 could underflow). */
NNM_INLINE double nnm__exp32_reduce(double x, double *kf)
{
    double xk = nnm_blend(nnm_lt(fabs(x), 0x1p-60), 0.0, x);
    double kd = (xk * NNM_INV_LN2 + NNM_SHIFT) - NNM_SHIFT;
    *kf = kd;
    return (x - kd * NNM_LN2_HI) - kd * NNM_LN2_LO;
}

/* e^r - 1 = r + r^2 P(r), P of degree 7 (nnm_exp32_p, |error| < 4.7e-13 on |r| <= ln2/2):
 * relative error below 2^-43 */
NNM_INLINE double nnm__expm1_32_kernel(double r)
{
    double rp = nnm_blend(nnm_lt(fabs(r), 0x1p-60), 0.0, r); /* r * r would underflow */
    double p = nnm_exp32_p[7];
#if defined(__GNUC__)
#pragma GCC unroll 8
#endif
    for (int i = 6; i >= 0; i--) {
        p = p * rp + nnm_exp32_p[i];
    }
    return r + (rp * rp) * p;
}

/* e^x for finite x in [-700, 700] (callers clamp), relative error below 2^-42 */
NNM_INLINE double nnm_exp32(double x)
{
    double kf;
    double r = nnm__exp32_reduce(x, &kf);
    return (1.0 + nnm__expm1_32_kernel(r)) * nnm__pow2d(kf);
}

/* e^x - 1 for finite x in [-700, 700], relative error below 2^-42: (2^k - 1) + 2^k (e^r - 1)
 * with 2^k - 1 exact for k <= 53, so nothing cancels (k = 0: e^r - 1 alone; k != 0:
 * |x| > ln2/2 and |e^x - 1| > 0.29, against terms below 2) */
NNM_INLINE double nnm_expm1_32(double x)
{
    double kf;
    double r = nnm__exp32_reduce(x, &kf);
    double p2 = nnm__pow2d(kf);
    return (p2 - 1.0) + p2 * nnm__expm1_32_kernel(r);
}

/* log(1 + z) for z in [0, 1], relative error below 2^-50: u = 1 + z with its rounding
 * error c (exact, z <= 1), u = 2^e m with m in [sqrt(1/2), sqrt(2)) (e = 0 or 1, m exact),
 * f = m - 1, s = f / (2 + f), log m = f - (f^2/2 - s (f^2/2 + s^2 R1(s^2))) (R1: the
 * float64 log's nnm_log_r1), and c / u as c (2 - u) (exact for u = 1, where c matters
 * most; otherwise c is below 2^-53 and its factor's error below 18%). One division. */
NNM_INLINE double nnm_log1p32(double z)
{
    double u = 1.0 + z;
    double c = (1.0 - u) + z;
    uint64_t e = nnm_lt(0x1.6a09e667f3bcdp0, u); /* u >= sqrt(2) */
    double m = nnm_blend(e, 0.5 * u, u);
    double f = m - 1.0;
    double s = f / (2.0 + f);
    double w = s * s;
    double p = nnm_log_r1[8];
#if defined(__GNUC__)
#pragma GCC unroll 8
#endif
    for (int i = 7; i >= 0; i--) {
        p = p * w + nnm_log_r1[i];
    }
    double hfsq = 0.5 * f * f;
    double lo = nnm_blend(e, NNM_LN2_LO, 0.0) + c * (2.0 - u);
    return nnm_blend(e, NNM_LN2_HI, 0.0) + (f - (hfsq - (s * (hfsq + w * p) + lo)));
}

#endif /* NNM_EXP_F32_H */

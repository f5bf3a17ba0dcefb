/* The float32 formulas: the float32 and float16 loops of the ufuncs listed in
 * nnm_ufuncs_f32.def use these instead of the float64 formulas of nnm_formulas.h.
 *
 * Same signature and rules as nnm_formulas.h ((double x, double a, double b), x widened
 * from float32 or float16 and never NaN, selects instead of branches, no flag for finite
 * input), computed in float64 with the math of math/nnm_exp_f32.h (relative error below
 * 2^-42, no FMA): each formula keeps its float64 value within a relative 2^-40 of the
 * exact one, so the float32 result, rounded once, is within 0.5 + 2^-16 ulp (1 ulp is the
 * target), and every ISA level gives the same bits. Arguments of exp are clamped to
 * [-700, 700], far beyond where a float32 (or float16) result saturates.
 *
 * silu', mish' and gelu_tanh' cancel next to their zeros (x = -1.2785, -1.1924, -0.7525),
 * where 2^-42 of the terms would not be 2^-40 of the result. Their formulas are written
 * about the zero instead: with t = x - x0 (x0 a double-double; x - x0_hi exact by
 * Sterbenz next to it) the cancelling sum becomes a sum of terms that all have the sign
 * of t, e.g. 1 + x + e^x = t + e^{x0} (e^t - 1) for silu', with e^t and e^t - 1 from one
 * reduction (nnm_exp_expm1_32); so nothing cancels at any x, without a polynomial or a
 * blend. The constants come from tools/fit_f32_roots.py (math/nnm_f32_roots.h), which
 * checks each identity in mpmath.
 */
#ifndef NNM_FORMULAS_F32_H
#define NNM_FORMULAS_F32_H

#include "math/nnm_exp_f32.h"
#include "math/nnm_f32_roots.h"
#include "nnm_formulas.h"

#define NNMF32_EXP_MIN 700.0

/* e^{-|t|}, for any non-NaN t */
NNM_INLINE double nnm_exp_neg_abs32(double t)
{
    return nnm_exp32(-nnm_min(fabs(t), NNMF32_EXP_MIN));
}

/* sigma(x) = (z or 1) / (1 + z), z = e^{-|x|}: z's error and two roundings */
NNM_INLINE double nnm_sigmoid32(double x)
{
    double z = nnm_exp_neg_abs32(x);
    return nnm_blend(nnm_less(x, 0.0), z, 1.0) / (1.0 + z);
}

NNM_INLINE double f32_sigmoid(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    return nnm_sigmoid32(x);
}

NNM_INLINE double d32_sigmoid(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    double z = nnm_exp_neg_abs32(x);
    return z / ((1.0 + z) * (1.0 + z));
}

/* min(x, 0) - log1p(e^{-|x|}): two terms of the same sign */
NNM_INLINE double f32_log_sigmoid(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    return nnm_blend(nnm_less(x, 0.0), x, 0.0) - nnm_log1p32(nnm_exp_neg_abs32(x));
}

NNM_INLINE double d32_log_sigmoid(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    return nnm_sigmoid32(-x);
}

/* t = beta x, x clipped to +-SAT / beta first as in f_softplus (no overflow of the
 * product); the rounding of t costs |t| 2^-53 <= 2^-43 of e^{-|t|} below the clamp */
NNM_INLINE double nnm_softplus_t32(double x, double beta)
{
    return beta * nnm_clamp(x, -NNMF_SAT / beta, NNMF_SAT / beta);
}

NNM_INLINE double f32_softplus(double x, double beta, double b)
{
    NNM_UNUSED(b);
    double z = nnm_exp_neg_abs32(nnm_softplus_t32(x, beta));
    return nnm_blend(nnm_greater(x, 0.0), x, 0.0) + nnm_log1p32(z) / beta;
}

NNM_INLINE double d32_softplus(double x, double beta, double b)
{
    NNM_UNUSED(b);
    double t = nnm_softplus_t32(x, beta);
    double z = nnm_exp_neg_abs32(t);
    return nnm_blend(nnm_less(t, 0.0), z, 1.0) / (1.0 + z); /* sigma(beta x) */
}

/* x sigma(x); below -700 x e^{-700} (a float32 result rounds to -0 there, as x e^x) */
NNM_INLINE double f32_silu(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    double xc = nnm_blend(nnm_less(x, -NNMF32_EXP_MIN), -NNMF32_EXP_MIN, x);
    return xc * nnm_sigmoid32(xc);
}

/* elu: alpha (e^x - 1) below 0, from expm1 (relative error below 2^-42 near 0 too) */
NNM_INLINE double nnm_neg_part32(double x)
{
    return nnm_clamp(x, -NNMF32_EXP_MIN, 0.0);
}

NNM_INLINE double f32_elu(double x, double alpha, double b)
{
    NNM_UNUSED(b);
    double lower = alpha * nnm_expm1_32(nnm_neg_part32(x));
    return nnm_blend(nnm_greater(x, 0.0), x, lower);
}

NNM_INLINE double d32_elu(double x, double alpha, double b)
{
    NNM_UNUSED(b);
    return nnm_blend(nnm_greater(x, 0.0), 1.0, alpha * nnm_exp32(nnm_neg_part32(x)));
}

/* tanh a for 0 <= a <= cap: -M / (2 + M), M = expm1(-2a) (no cancellation: M and 2 + M
 * are both accurate to their relative error) */
NNM_INLINE double nnm_tanh_abs32(double a, double cap)
{
    double m = nnm_expm1_32(-2.0 * nnm_min(a, cap));
    return -m / (2.0 + m);
}

/* tanh: beyond |x| = 10 the float32 result is 1 (tanh 10 = 1 - 4e-9) */
NNM_INLINE double f32_tanh(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    return nnm_copysign(nnm_tanh_abs32(fabs(x), 10.0), x);
}

/* sech^2 x = 4 z / (1 + z)^2, z = e^{-2|x|} */
NNM_INLINE double d32_tanh(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    double z = nnm_exp32(-2.0 * nnm_min(fabs(x), 0.5 * NNMF32_EXP_MIN));
    return 4.0 * z / ((1.0 + z) * (1.0 + z));
}

/* selu: scale x above 0 (one rounding; float32 overflow is nnm_d2f's), scale alpha
 * (e^x - 1) below */
NNM_INLINE double f32_selu(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    double lower = NNMF_SELU_SA_HI * nnm_expm1_32(nnm_neg_part32(x));
    return nnm_blend(nnm_greater(x, 0.0), NNMF_SELU_SCALE_HI * x, lower);
}

NNM_INLINE double d32_selu(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    double lower = NNMF_SELU_SA_HI * nnm_exp32(nnm_neg_part32(x));
    return nnm_blend(nnm_greater(x, 0.0), NNMF_SELU_SCALE_HI, lower);
}

/* celu: t = min(x, 0) / alpha as in nnm_celu_arg (x clipped at -SAT alpha), one rounding
 * (|t| 2^-53 <= 2^-43 of e^t below the clamp) */
NNM_INLINE double nnm_celu_t32(double x, double alpha)
{
    double t = nnm_clamp(x, -NNMF_SAT * alpha, 0.0) / alpha;
    return nnm_blend(nnm_less(t, -NNMF32_EXP_MIN), -NNMF32_EXP_MIN, t);
}

NNM_INLINE double f32_celu(double x, double alpha, double b)
{
    NNM_UNUSED(b);
    double lower = alpha * nnm_expm1_32(nnm_celu_t32(x, alpha));
    return nnm_blend(nnm_greater(x, 0.0), x, lower);
}

NNM_INLINE double d32_celu(double x, double alpha, double b)
{
    NNM_UNUSED(b);
    return nnm_blend(nnm_greater(x, 0.0), 1.0, nnm_exp32(nnm_celu_t32(x, alpha)));
}

/* exponential: e^x on [-700, 700]; a float32 result is inf from x = 88.73 on (nnm_d2f,
 * no flag) and 0 below -103.98 */
NNM_INLINE double f32_exponential(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    return nnm_exp32(nnm_clamp(x, -NNMF32_EXP_MIN, NNMF32_EXP_MIN));
}

NNM_INLINE double d32_exponential(double x, double a, double b)
{
    return f32_exponential(x, a, b);
}

/* g e^x: e^x is 0 below -700 (exactly, as in the float64 formula: inf g then gives NaN
 * and the invalid flag, like NumPy's product) and 0 for g = 0 (not 0 * huge); up to x =
 * 300 the product stays finite in float64 (|g| < 2^128) and beyond it g e^x is beyond
 * float32 for every nonzero float32 g (|g| >= 2^-149), so the clamp there is exact
 * enough. */
NNM_INLINE double b32_exponential(double x, double g, double p)
{
    NNM_UNUSED(p);
    double e = nnm_exp32(nnm_clamp(x, -NNMF32_EXP_MIN, 300.0));
    e = nnm_blend(nnm_less(x, -NNMF32_EXP_MIN) | nnm_zero_mask(g), 0.0, e);
    return g * e;
}

/* tanh_shrink: x - tanh x. Below |x| = 1/8 its series to x^13 (relative truncation error
 * below 1e-13); above, |x| - tanh |x| in float64: tanh's relative error 2^-42 grows by at
 * most tanh a / (a - tanh a) < 3 / a^2 = 192, to 2^-34 of the result. Beyond |x| = 20 tanh
 * is 1 - 8.5e-18. */
NNM_INLINE double f32_tanh_shrink(double x, double a_, double b_)
{
    NNM_UNUSED(a_), NNM_UNUSED(b_);
    double a = fabs(x);
    double as = nnm_blend(nnm_less(a, 0.125), a, 0.125);
    double x2 = as * as;
    double acc = -21844.0 / 6081075.0;
    acc = acc * x2 + 1382.0 / 155925.0;
    acc = acc * x2 - 62.0 / 2835.0;
    acc = acc * x2 + 17.0 / 315.0;
    acc = acc * x2 - 2.0 / 15.0;
    acc = acc * x2 + 1.0 / 3.0;
    double series = acc * x2 * as;
    double big = a - nnm_tanh_abs32(a, 20.0);
    return nnm_copysign(nnm_blend(nnm_less(a, 0.125), series, big), x);
}

/* tanh^2 x */
NNM_INLINE double d32_tanh_shrink(double x, double a_, double b_)
{
    NNM_UNUSED(a_), NNM_UNUSED(b_);
    double t = nnm_tanh_abs32(fabs(x), 10.0);
    return t * t;
}

/* -- silu', mish, gelu_tanh: written about the zeros of their derivatives ---------------
 * e^u and e^u - 1 from one reduction (nnm_exp32, nnm_expm1_32), u finite in [-700, 700]:
 * returns (1 + p) 2^k, *em1 = (2^k - 1) + 2^k p, p = e^r - 1; each within a relative
 * 2^-42 */
NNM_INLINE double nnm_exp_expm1_32(double u, double *em1)
{
    double kf;
    double r = nnm__exp32_reduce(u, &kf);
    double p = nnm__expm1_32_kernel(r);
    double p2 = nnm__pow2d(kf);
    *em1 = (p2 - 1.0) + p2 * p;
    return (1.0 + p) * p2;
}

/* silu'(x) = sigma(x) (1 + x sigma(-x)). x >= 0, z = e^{-x}: (1 + z (1 + x)) / (1 + z)^2,
 * all terms positive. x < 0, z = e^x: z (1 + x + z) / (1 + z)^2, where 1 + x + z cancels
 * next to the zero x0 = -1.2785 (1 + x0 + e^{x0} = 0); with t = x - x0 (x0 a double-
 * double, x - x0_hi exact by Sterbenz near x0) and e0 = e^{x0} = -1 - x0:
 * 1 + x + z = t + e0 (e^t - 1) and z = e0 e^t, whose terms have the sign of t, so nothing
 * cancels at any x < 0 (tools/fit_f32_roots.py). One exp (of t or -x), one division.
 * Beyond |x| = 700 (float32 results 1, or -0 below -103.3; g silu' of any float32 g
 * rounds to -0 g below -200) x is clamped. */
NNM_INLINE double d32_silu(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    double xc = nnm_clamp(x, -NNMF32_EXP_MIN, NNMF32_EXP_MIN);
    uint64_t neg = nnm_less(xc, 0.0);
    double t = (xc - NNM_SILU_ROOT_HI) - NNM_SILU_ROOT_LO;
    double m, e = nnm_exp_expm1_32(nnm_blend(neg, t, -xc), &m);
    double z = nnm_blend(neg, NNM_SILU_ROOT_EXP * e, e);
    double num = nnm_blend(neg, z * (t + NNM_SILU_ROOT_EXP * m), 1.0 + z * (1.0 + xc));
    double d = 1.0 + z;
    return num / (d * d);
}

/* mish(x) = x tanh(softplus(x)): x <= 0, n = e^x, N = n (n + 2): tanh(softplus(x)) =
 * N / (N + 2); x > 0, w = e^{-x}: (1 + 2w) / (1 + 2w + 2w^2). All terms positive. x is
 * clamped to [-700, 40] for the exp (above 40 the quotient is 1 in float64; below -700
 * x e^x is far below float32: -0). */
#define NNMF32_MISH_HI 40.0
NNM_INLINE double f32_mish(double x, double a_, double b_)
{
    NNM_UNUSED(a_), NNM_UNUSED(b_);
    double xc = nnm_clamp(x, -NNMF32_EXP_MIN, NNMF32_MISH_HI);
    uint64_t neg = nnm_less_equal(xc, 0.0);
    double n = nnm_exp32(-fabs(xc));
    double w = nnm_blend(neg, 0.0, n); /* w^2: no underflow in the lanes x <= 0 */
    double num = nnm_blend(neg, n * (n + 2.0), 1.0 + 2.0 * w);
    double den = num + nnm_blend(neg, 2.0, 2.0 * (w * w));
    return nnm_max(x, -NNMF32_EXP_MIN) * (num / den); /* x = inf: inf * 1 */
}

/* mish'(x) = tanh(sp) + x sech^2(sp) sigma(x), sp = softplus(x), sech^2 = 1 - tanh^2.
 * x > 0, with A = 1 + 2w, D = A + 2w^2: sech^2 = 4 w^2 (1 + w)^2 / D^2, sigma = 1/(1 + w),
 * mish' = (A D + 4x w^2 (1 + w)) / D^2, all terms positive.
 * x <= 0: sech^2 = 4 (N + 1) / (N + 2)^2 with N + 1 = (1 + n)^2, sigma = n / (1 + n):
 * mish' = n K / (N + 2)^2, K = (n + 2)(n^2 + 2n + 2) + 4x (1 + n), which cancels next to
 * the zero x1 = -1.1924. With t = x - x1, n1 = e^{x1}, E = e^t, M = e^t - 1 (n = n1 E):
 * K = M (n1^3 (3 + 3M + M^2) + 4 n1^2 (2 + M) + n1 (6 + 4 x1)) + 4t (1 + n), every term
 * of the sign of t (6 + 4 x1 = 1.23 > 0; tools/fit_f32_roots.py). One exp (of t or -x). */
NNM_INLINE double d32_mish(double x, double a_, double b_)
{
    NNM_UNUSED(a_), NNM_UNUSED(b_);
    double xc = nnm_clamp(x, -NNMF32_EXP_MIN, NNMF32_MISH_HI);
    uint64_t neg = nnm_less_equal(xc, 0.0);
    double t = (xc - NNM_MISH_ROOT_HI) - NNM_MISH_ROOT_LO;
    double m, e = nnm_exp_expm1_32(nnm_blend(neg, t, -xc), &m);
    /* x <= 0 */
    double n = NNM_MISH_ROOT_EXP * e;
    double nn2 = n * (n + 2.0) + 2.0;
    double k = m * (NNM_MISH_ROOT_A3 * (3.0 + m * (3.0 + m)) + NNM_MISH_ROOT_A2 * (2.0 + m)
                    + NNM_MISH_ROOT_A1)
               + 4.0 * t * (1.0 + n);
    double lower = n * k / (nn2 * nn2);
    /* x > 0 */
    double w = nnm_blend(neg, 0.0, e);
    double w2 = w * w;
    double aa = 1.0 + 2.0 * w;
    double dd = aa + 2.0 * w2;
    double upper = (aa * dd + 4.0 * xc * w2 * (1.0 + w)) / (dd * dd);
    return nnm_blend(neg, lower, upper);
}

/* gelu_tanh(x) = x sigma(t), t = c2 (x + k x^3), c2 = 2 sqrt(2/pi), k = 0.044715 (t's
 * relative rounding error of a few 2^-53 costs |t| 2^-51 of sigma, below 2^-42 where the
 * float32 result or g gelu_tanh' is not 0). x is clamped to +-20 (t = -602.8: below
 * x = -14, g gelu_tanh'(x) rounds to -0 g for every float32 g; above 20, sigma = 1). */
#define NNMF32_GELU_TANH_MAX 20.0
NNM_INLINE double nnm_gelu_tanh_t32(double xc)
{
    return NNMF_C2_HI * (xc * (1.0 + NNMF_GK_HI * (xc * xc)));
}

NNM_INLINE double f32_gelu_tanh(double x, double a_, double b_)
{
    NNM_UNUSED(a_), NNM_UNUSED(b_);
    double xc = nnm_clamp(x, -NNMF32_GELU_TANH_MAX, NNMF32_GELU_TANH_MAX);
    double t = nnm_gelu_tanh_t32(xc);
    double z = nnm_exp32(-fabs(t));
    double s = nnm_blend(nnm_less(t, 0.0), z, 1.0) / (1.0 + z);
    return nnm_max(x, -NNMF32_GELU_TANH_MAX) * s;
}

/* gelu_tanh'(x) = sigma(t) + x sigma'(t) t', t' = c2 (1 + 3k x^2). x >= 0, z = e^{-t}:
 * ((1 + z) + x z t') / (1 + z)^2, all positive. x < 0, z = e^t: z Q / (1 + z)^2,
 * Q = 1 + z + x t', which cancels next to the zero x2 = -0.7525. With s = x - x2,
 * q = x^2 + x x2 + x2^2 > 0 and D = t(x) - t(x2) = c2 s (1 + k q): z = e^{t(x2)} e^D and
 * Q = e^{t(x2)} (e^D - 1) + c2 s (1 + 3k q), both terms of the sign of s
 * (tools/fit_f32_roots.py). One exp (of D or -t). */
NNM_INLINE double d32_gelu_tanh(double x, double a_, double b_)
{
    NNM_UNUSED(a_), NNM_UNUSED(b_);
    double xc = nnm_clamp(x, -NNMF32_GELU_TANH_MAX, NNMF32_GELU_TANH_MAX);
    uint64_t neg = nnm_less(xc, 0.0);
    double x2 = xc * xc;
    double t = NNMF_C2_HI * (xc * (1.0 + NNMF_GK_HI * x2));
    double s = (xc - NNM_GELU_TANH_ROOT_HI) - NNM_GELU_TANH_ROOT_LO;
    double q = x2 + NNM_GELU_TANH_ROOT_HI * (xc + NNM_GELU_TANH_ROOT_HI);
    double dt = NNMF_C2_HI * (s * (1.0 + NNMF_GK_HI * q));
    double m, e = nnm_exp_expm1_32(nnm_blend(neg, dt, -t), &m);
    double z = nnm_blend(neg, NNM_GELU_TANH_ROOT_EXP * e, e);
    double lower = z * (NNM_GELU_TANH_ROOT_EXP * m
                        + NNMF_C2_HI * (s * (1.0 + 3.0 * NNMF_GK_HI * q)));
    double upper = (1.0 + z) + xc * z * (NNMF_C2_HI * (1.0 + 3.0 * NNMF_GK_HI * x2));
    double d = 1.0 + z;
    return nnm_blend(neg, lower, upper) / (d * d);
}

#define NNM_BACKWARD32(name)                                                                \
    NNM_INLINE double b32_##name(double x, double g, double p)                             \
    {                                                                                       \
        return g * d32_##name(x, p, 0.0);                                                   \
    }
NNM_BACKWARD32(sigmoid)
NNM_BACKWARD32(log_sigmoid)
NNM_BACKWARD32(softplus)
NNM_BACKWARD32(elu)
NNM_BACKWARD32(tanh)
NNM_BACKWARD32(selu)
NNM_BACKWARD32(celu)
NNM_BACKWARD32(tanh_shrink)
NNM_BACKWARD32(silu)
NNM_BACKWARD32(mish)
NNM_BACKWARD32(gelu_tanh)

#endif

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
 * Not here (their float32 loops keep the float64 formula): silu_grad and silu_backward,
 * whose value cancels next to the zero of silu' (x = -1.2785): there 2^-42 of the terms
 * is not 2^-40 of the result.
 */
#ifndef NNM_FORMULAS_F32_H
#define NNM_FORMULAS_F32_H

#include "math/nnm_exp_f32.h"
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

#endif

/* The activation formulas, once each, in float64 on one element.
 *
 * Every function has the signature (double x, double a, double b): x is the input (never
 * NaN here: the loops route NaN around the formula, see kernels.c), a and b are the
 * ufunc's further inputs (a parameter, or the cotangent g of a fused backward). Branches
 * are written as selects between values computed on both sides (no arithmetic inside
 * `?:` arms), which is what lets the compiler vectorise them under trapping math.
 *
 * f_NAME is the forward value, d_NAME the derivative, b_NAME the fused backward g * f'(x)
 * (made by NNM_BACKWARD from d_NAME). Kinks follow PyTorch: relu'(0) = 0,
 * leaky_relu'(0) = slope, elu'(0) = alpha * e^0.
 */
#ifndef NNM_FORMULAS_H
#define NNM_FORMULAS_H
#include <float.h>

#include "nnm_common.h"

#define NNM_UNUSED(v) ((void)(v))
/* beyond this magnitude every saturating factor (sigma(x) for x < -SAT, e^{-x^2}) is 0 */
#define NNMF_SAT 1.0e4
#define NNMF_INV_SQRT2_HI 0.70710678118654757
#define NNMF_INV_SQRT2_LO (-4.8336466567264567e-17)
#define NNMF_INV_SQRT_2PI 0.3989422804014327
#define NNMF_TWO_OVER_SQRT_PI 1.1283791670955126
#define NNMF_EXP_M88 6.0546018954011858e-39
/* beyond |x| = 40, 1 + e^{-|x|} rounds to 1 and the plain formulas are as accurate */
#define NNMF_DD_RANGE 40.0

/* Selects are nnm_blend under the masks of nnm_less, nnm_greater, nnm_less_equal
 * (nnm_common.h): quiet compares (an ordered x < y raises the invalid flag on a NaN
 * operand) that vectorise at every level, SSE2 included. */
NNM_INLINE double nnm_clamp(double x, double lo, double hi)
{
    double y = nnm_blend(nnm_less(x, lo), lo, x);
    return nnm_blend(nnm_greater(y, hi), hi, y);
}

/* -- sigmoid family ------------------------------------------------------------------ */
/* sigma(x) as a double-double (returned hi, *lo) for |x| <= 40, from z = e^{-|x|}:
 * (z or 1) / (1 + z) with 1 + z carried exactly, so only the error of z and one rounding
 * remain (the rounding of 1 + z and of the quotient would add up to 1 ulp) */
NNM_INLINE double nnm_sigmoid_dd(double x, double z, double *lo)
{
    double dl, d = nnm_fast_two_sum(1.0, z, &dl);
    return nnm_dd_div(nnm_blend(nnm_less(x, 0.0), z, 1.0), 0.0, d, dl, lo);
}

/* sigma(x) from z = e^{-|x|}: beyond |x| = 40, 1 + z rounds to 1 and sigma(x) is z or 1
 * (no division); within, the double-double quotient above (one division). */
NNM_INLINE double nnm_sigmoid_z(double x, double z)
{
    uint64_t near = nnm_less_equal(fabs(x), NNMF_DD_RANGE);
    double lo;
    double dd = nnm_sigmoid_dd(nnm_blend(near, x, 0.0), nnm_blend(near, z, 1.0), &lo);
    return nnm_blend(near, dd, nnm_blend(nnm_less(x, 0.0), z, 1.0));
}

NNM_INLINE double f_sigmoid(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    return nnm_sigmoid_z(x, nnm_exp_neg(-fabs(x))); /* z in (0, 1]: no overflow */
}

/* z / (1 + z)^2 for z = e^{-|x|} (or e^{-2|x|}) in [e^{-80}, 1], with 1 + z and its square
 * as double-doubles: the roundings of 1 + z and of the square would cost up to 1.5 ulp on
 * top of z's own error; so only z's error (below 1 ulp) and one rounding remain */
NNM_INLINE double nnm_z_over_one_plus_z_squared(double z)
{
    double dl, d = nnm_fast_two_sum(1.0, z, &dl);
    double sl, sq = nnm_dd_mul(d, dl, d, dl, &sl);
    double ql;
    return nnm_dd_div(z, 0.0, sq, sl, &ql);
}

/* sigma(x) sigma(-x) = z / (1 + z)^2, even in x: beyond |x| = 40 (z < 2^-54) it is z */
NNM_INLINE double d_sigmoid(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    double ax = fabs(x);
    double z = nnm_exp_neg(-ax);
    uint64_t near = nnm_less_equal(ax, NNMF_DD_RANGE);
    return nnm_blend(near, nnm_z_over_one_plus_z_squared(nnm_blend(near, z, 0.5)), z);
}

NNM_INLINE double f_log_sigmoid(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    return nnm_blend(nnm_less(x, 0.0), x, 0.0) - nnm_log1p(nnm_exp_neg(-fabs(x)));
}

NNM_INLINE double d_log_sigmoid(double x, double a, double b)
{
    return f_sigmoid(-x, a, b);
}

/* e^{-|t|} for t = beta x carried to double-double (bh + bl): the rounding of beta x
 * alone would cost |beta x| ulps of the result in the tails */
NNM_INLINE double nnm_exp_neg_abs_product(double beta, double x, double *t)
{
    double bl;
    double bh = nnm_two_prod(beta, x, &bl);
    *t = bh;
    double sl = nnm_from_bits(nnm_bits(bl) ^ (nnm_bits(bh) & 0x8000000000000000ULL));
    return nnm_exp_neg(-fabs(bh)) * (1.0 - sl); /* e^{-|bh| - sign(bh) bl} */
}

/* softplus(x; beta) = log(1 + e^{beta x}) / beta = max(x, 0) + log1p(e^{-|beta x|}) / beta */
NNM_INLINE double f_softplus(double x, double beta, double b)
{
    NNM_UNUSED(b);
    double t;
    double z = nnm_exp_neg_abs_product(beta, nnm_clamp(x, -NNMF_SAT / beta, NNMF_SAT / beta), &t);
    return nnm_blend(nnm_greater(x, 0.0), x, 0.0) + nnm_log1p(z) / beta;
}

NNM_INLINE double d_softplus(double x, double beta, double b)
{
    NNM_UNUSED(b);
    double t;
    double z = nnm_exp_neg_abs_product(beta, nnm_clamp(x, -NNMF_SAT / beta, NNMF_SAT / beta), &t);
    return nnm_blend(nnm_less(t, 0.0), z, 1.0) / (1.0 + z); /* sigma(beta x) */
}

/* One exp for silu and silu': e^{-|x|}, or below -700 e^{x + 88} (x + 88 exact there) */
NNM_INLINE double nnm_silu_exp(double xc)
{
    uint64_t deep = nnm_less(xc, -700.0);
    return nnm_exp_neg(nnm_blend(deep, xc + 88.0, -fabs(xc)));
}

NNM_INLINE double f_silu(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    double xc = nnm_blend(nnm_less(x, -NNMF_SAT), -NNMF_SAT, x); /* x sigma(x) -> 0, not -inf * 0 */
    double e = nnm_silu_exp(xc);
    /* below -700, sigma(x) = e^x (1 - e^x + ...) is subnormal or nearly so: x e^x as
     * (x e^{x + 88}) e^{-88}, products of normal numbers and one final rounding into the
     * subnormals */
    double xd = nnm_blend(nnm_less(xc, -700.0), xc, -700.0); /* x = inf: not inf * 0 */
    double deep = (xd * e) * NNMF_EXP_M88;
    /* |x| <= 40: x times sigma(x) as a double-double, one rounding; beyond, x sigma(x)
     * with sigma(x) = z or 1 */
    uint64_t near = nnm_less_equal(fabs(xc), NNMF_DD_RANGE);
    double xn = nnm_blend(near, xc, 0.0);
    double sl, sh = nnm_sigmoid_dd(xn, nnm_blend(near, e, 1.0), &sl);
    double pl, ph = nnm_dd_mul_d(sh, sl, xn, &pl);
    double mid = nnm_blend(near, ph, xc * nnm_blend(nnm_less(xc, 0.0), e, 1.0));
    return nnm_blend(nnm_less(xc, -700.0), deep, mid);
}

NNM_INLINE double d_silu(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    double xc = nnm_clamp(x, -NNMF_SAT, NNMF_SAT);
    /* beyond |x| = 40: sigma(x) + x sigma'(x) with sigma(x) = z or 1, sigma'(x) = z */
    double xd = nnm_blend(nnm_less(xc, -800.0), -800.0, xc);
    double e = nnm_silu_exp(xd);
    double plain = nnm_blend(nnm_less(xd, 0.0), e, 1.0) + xd * e;
    /* below -700 the result e^x (1 + x) is subnormal or nearly so: as in f_silu,
     * ((1 + x) e^{x + 88}) e^{-88}, rounded into the subnormals once */
    double deep = ((1.0 + xd) * e) * NNMF_EXP_M88;
    plain = nnm_blend(nnm_less(xc, -700.0), deep, plain);
    /* |x| <= 40: sigma(x) (1 + x sigma(-x)) in double-double from e^{-|x|} as a
     * double-double (nnm_exp_dd): next to the zero of silu' (x = -1.2785) the sum cancels,
     * and the rounding of e^{-|x|} alone would cost thousands of ulps there.
     * sigma(-|x|) = z / (1 + z) by one division, sigma(|x|) = 1 - sigma(-|x|) exactly. */
    uint64_t near = nnm_less_equal(fabs(xc), NNMF_DD_RANGE);
    double xn = nnm_blend(near, xc, 0.0);
    uint64_t neg = nnm_less(xn, 0.0);
    double zl, zh = nnm_exp_dd(-fabs(xn), &zl);
    double dl, dh = nnm_dd_add(1.0, 0.0, zh, zl, &dl);
    double pl, ph = nnm_dd_div(zh, zl, dh, dl, &pl);     /* sigma(-|x|) */
    double ql, qh = nnm_dd_add(1.0, 0.0, -ph, -pl, &ql); /* sigma(|x|) */
    double sh = nnm_blend(neg, ph, qh), sl = nnm_blend(neg, pl, ql); /* sigma(x) */
    double th = nnm_blend(neg, qh, ph), tl = nnm_blend(neg, ql, pl); /* sigma(-x) */
    double ul, uh = nnm_dd_mul_d(th, tl, xn, &ul);
    uh = nnm_dd_add(1.0, 0.0, uh, ul, &ul);
    double rl, rh = nnm_dd_mul(sh, sl, uh, ul, &rl);
    return nnm_blend(near, rh, plain);
}

/* -- rectifiers ----------------------------------------------------------------------- */
NNM_INLINE double f_relu(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    return nnm_blend(nnm_greater(x, 0.0), x, 0.0);
}

NNM_INLINE double d_relu(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    return nnm_blend(nnm_greater(x, 0.0), 1.0, 0.0);
}

NNM_INLINE double f_leaky_relu(double x, double slope, double b)
{
    NNM_UNUSED(b);
    /* slope 0: exactly +0 below (0 * -inf would be NaN) */
    double lower = slope * nnm_blend(nnm_zero_mask(slope), 0.0, x);
    return nnm_blend(nnm_less_equal(x, 0.0), lower, x);
}

NNM_INLINE double d_leaky_relu(double x, double slope, double b)
{
    NNM_UNUSED(b);
    return nnm_blend(nnm_less_equal(x, 0.0), slope, 1.0);
}

NNM_INLINE double f_elu(double x, double alpha, double b)
{
    NNM_UNUSED(b);
    /* expm1 of min(x, 0): exact near 0, never overflows on the discarded branch */
    double lower = alpha * nnm_expm1(nnm_blend(nnm_less(x, 0.0), x, 0.0));
    return nnm_blend(nnm_greater(x, 0.0), x, lower);
}

NNM_INLINE double d_elu(double x, double alpha, double b)
{
    NNM_UNUSED(b);
    double lower = alpha * nnm_exp_neg(nnm_blend(nnm_less(x, 0.0), x, 0.0));
    return nnm_blend(nnm_greater(x, 0.0), 1.0, lower);
}

/* -- tanh ----------------------------------------------------------------------------- */
NNM_INLINE double f_tanh(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    return nnm_tanh(x);
}

NNM_INLINE double d_tanh(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    double ax = fabs(x);
    double z = nnm_exp_neg(-2.0 * nnm_blend(nnm_greater(ax, NNMF_SAT), NNMF_SAT, ax));
    /* sech^2 x = 4 z / (1 + z)^2 (no 1 - tanh^2 cancellation); beyond |x| = 20 it is 4 z */
    uint64_t near = nnm_less_equal(ax, 0.5 * NNMF_DD_RANGE);
    return nnm_blend(near, 4.0 * nnm_z_over_one_plus_z_squared(nnm_blend(near, z, 0.5)), 4.0 * z);
}

/* -- exact GELU: x Phi(x) ---------------------------------------------------------------- */
/* Phi(-a) for a >= 0 (a <= 40): erfc(a / sqrt 2) / 2, with a / sqrt 2 carried to
 * double-double and erfc corrected to first order for its low part (the rounding of
 * a / sqrt 2 alone would cost up to ~a^2 ulps in the tail). */
NNM_INLINE double nnm_phi_tail(double a)
{
    double lo;
    double zh = nnm_two_prod(a, NNMF_INV_SQRT2_HI, &lo);
    double zl = lo + a * NNMF_INV_SQRT2_LO;
    double q = nnm_erfc(zh) - zl * NNMF_TWO_OVER_SQRT_PI * nnm_exp(-zh * zh);
    return 0.5 * q;
}

/* e^{-a^2/2} with a^2 carried to double-double */
NNM_INLINE double nnm_exp_neg_half_square(double a)
{
    double lo;
    double hi = nnm_two_prod(a, a, &lo);
    return nnm_exp(-0.5 * hi) * (1.0 - 0.5 * lo);
}

NNM_INLINE double f_gelu(double x, double a_, double b_)
{
    NNM_UNUSED(a_), NNM_UNUSED(b_);
    double a = fabs(x);
    double q = nnm_phi_tail(nnm_blend(nnm_greater(a, 40.0), 40.0, a));
    double xq = nnm_clamp(x, -NNMF_SAT, NNMF_SAT) * q; /* x Phi(-|x|); inf * 0 avoided */
    return nnm_blend(nnm_less(x, 0.0), xq, x - xq); /* x Phi(x) = x - x Phi(-x) for x >= 0 */
}

NNM_INLINE double d_gelu(double x, double a_, double b_)
{
    NNM_UNUSED(a_), NNM_UNUSED(b_);
    double xc = nnm_clamp(x, -NNMF_SAT, NNMF_SAT);
    double a = fabs(xc), a40 = nnm_blend(nnm_greater(a, 40.0), 40.0, a);
    double q = nnm_phi_tail(a40);
    double pdf = NNMF_INV_SQRT_2PI * nnm_exp_neg_half_square(a40);
    double cdf = nnm_blend(nnm_less(xc, 0.0), q, 1.0 - q);
    return cdf + xc * pdf; /* Phi(x) + x phi(x) */
}

/* -- fused backward: g * f'(x; p) ------------------------------------------------------ */
#define NNM_BACKWARD(name)                                                                  \
    NNM_INLINE double b_##name(double x, double g, double p)                             \
    {                                                                                       \
        return g * d_##name(x, p, 0.0);                                                     \
    }
NNM_BACKWARD(sigmoid)
NNM_BACKWARD(log_sigmoid)
NNM_BACKWARD(softplus)
NNM_BACKWARD(silu)
NNM_BACKWARD(relu)
NNM_BACKWARD(leaky_relu)
NNM_BACKWARD(elu)
NNM_BACKWARD(tanh)
NNM_BACKWARD(gelu)

#include "nnm_formulas_more.h"

#endif

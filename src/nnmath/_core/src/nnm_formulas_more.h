/* More activation formulas, in the form of nnm_formulas.h (which includes this file at its
 * end): f_NAME, d_NAME on one float64 element (x never NaN), b_NAME the fused backward.
 * Kinks follow PyTorch: the derivative at a kink of a clipping function is 0
 * (hard_sigmoid at +-3, relu6 at 0 and 6, hard_silu: the outer pieces at +-3), at the
 * threshold of the shrinks 0, selu'(0) = scale * alpha, celu'(0) = 1.
 *
 * A result beyond the float64 range (selu, exponential) is chosen as inf, not computed,
 * so that no overflow flag is raised.
 */
#ifndef NNM_FORMULAS_MORE_H
#define NNM_FORMULAS_MORE_H

/* SELU's constants (Klambauer et al., 2017), scale and scale * alpha as double-doubles */
#define NNMF_SELU_SCALE_HI 1.0507009873554805
#define NNMF_SELU_SCALE_LO 3.9874847667154144e-17
#define NNMF_SELU_SA_HI 1.7580993408473768
#define NNMF_SELU_SA_LO 1.41535193800845e-17
/* above this, scale * x is beyond the largest double */
#define NNMF_SELU_OVER 1.7109464600266028e308
#define NNMF_2P900 8.452712498170644e270
/* 2^500: below it, the squares of the softsign derivative stay finite */
#define NNMF_2P500 3.273390607896142e150

/* -- clipping functions ------------------------------------------------------------------ */
/* hard_sigmoid(x) = relu6(x + 3) / 6 */
NNM_INLINE double f_hard_sigmoid(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    return nnm_clamp(x + 3.0, 0.0, 6.0) / 6.0;
}

NNM_INLINE double d_hard_sigmoid(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    return nnm_blend(nnm_greater(x, -3.0) & nnm_less(x, 3.0), 1.0 / 6.0, 0.0);
}

NNM_INLINE double f_relu6(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    return nnm_clamp(x, 0.0, 6.0);
}

NNM_INLINE double d_relu6(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    return nnm_blend(nnm_greater(x, 0.0) & nnm_less(x, 6.0), 1.0, 0.0);
}

/* -- softsign: x / (1 + |x|) -------------------------------------------------------------- */
NNM_INLINE double f_softsign(double x, double a_, double b_)
{
    NNM_UNUSED(a_), NNM_UNUSED(b_);
    double a = fabs(x);
    double lo = nnm_blend(nnm_less(a, 1.0), a, 1.0), hi = nnm_blend(nnm_greater(a, 1.0), a, 1.0);
    /* 1 / (1 + 1/|x|) above 1: |x| = inf gives 1, not inf / inf */
    double r = nnm_blend(nnm_greater(a, 1.0), 1.0 / (1.0 + 1.0 / hi), lo / (1.0 + lo));
    return nnm_copysign(r, x);
}

/* 1 / (1 + |x|)^2 with 1 + |x| and its square carried to double-double (rounded once in
 * the quotient); beyond 2^500 the square would overflow and the result is a square of
 * 1 / |x| (subnormal or zero there) */
NNM_INLINE double d_softsign(double x, double a_, double b_)
{
    NNM_UNUSED(a_), NNM_UNUSED(b_);
    double a = fabs(x);
    double ac = nnm_blend(nnm_less(a, NNMF_2P500), a, NNMF_2P500);
    double sl;
    double sh = nnm_two_sum(1.0, ac, &sl);
    double pl;
    double ph = nnm_two_prod(sh, sh, &pl);
    double near = 1.0 / (ph + (pl + 2.0 * sh * sl));
    double r = 1.0 / (1.0 + nnm_blend(nnm_less(a, NNMF_2P500), NNMF_2P500, a));
    return nnm_blend(nnm_less(a, NNMF_2P500), near, r * r);
}

/* -- hard_silu: x relu6(x + 3) / 6 --------------------------------------------------------- */
NNM_INLINE double f_hard_silu(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    double xc = nnm_clamp(x, -3.0, 3.0);
    double mid = xc * (xc + 3.0) / 6.0;
    return nnm_blend(nnm_less_equal(x, -3.0), 0.0, nnm_blend(nnm_greater_equal(x, 3.0), x, mid));
}

NNM_INLINE double d_hard_silu(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    double xc = nnm_clamp(x, -3.0, 3.0);
    double mid = (2.0 * xc + 3.0) / 6.0;
    return nnm_blend(nnm_less_equal(x, -3.0), 0.0, nnm_blend(nnm_greater_equal(x, 3.0), 1.0, mid));
}

/* -- selu, celu ------------------------------------------------------------------------------ */
NNM_INLINE double f_selu(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    /* scale * x with scale a double-double, rounded once; from 2^900 on (where the error
     * term of nnm_two_prod would not be exact) on x 2^-200, scaled back exactly */
    double xp = nnm_clamp(x, 0.0, NNMF_SELU_OVER);
    uint64_t big = nnm_greater_equal(xp, NNMF_2P900);
    double xd = xp * nnm_blend(big, 0x1p-200, 1.0);
    double el;
    double ph = nnm_two_prod(NNMF_SELU_SCALE_HI, xd, &el);
    double upper = (ph + (el + NNMF_SELU_SCALE_LO * xd)) * nnm_blend(big, 0x1p200, 1.0);
    double e = nnm_expm1(nnm_blend(nnm_less(x, 0.0), x, 0.0));
    double lower = NNMF_SELU_SA_HI * e + NNMF_SELU_SA_LO * e;
    return nnm_blend(nnm_greater(x, 0.0),
                   nnm_blend(nnm_greater(x, NNMF_SELU_OVER), INFINITY, upper), lower);
}

NNM_INLINE double d_selu(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    double lower = nnm_c_exp_neg(NNMF_SELU_SA_HI, NNMF_SELU_SA_LO,
                                 nnm_blend(nnm_less(x, 0.0), x, 0.0));
    return nnm_blend(nnm_greater(x, 0.0), NNMF_SELU_SCALE_HI, lower);
}

/* min(x, 0) / alpha as a double-double th + *tl (x clipped at -SAT alpha first, where
 * e^t is 0 to double precision): the rounding of the quotient alone would cost |t| ulps
 * of e^t */
NNM_INLINE double nnm_celu_arg(double x, double alpha, double *tl)
{
    double xc = nnm_clamp(x, -NNMF_SAT * alpha, 0.0);
    double th = xc / alpha;
    double pl;
    double ph = nnm_two_prod(th, alpha, &pl);
    *tl = ((xc - ph) - pl) / alpha;
    return th;
}

NNM_INLINE double f_celu(double x, double alpha, double b)
{
    NNM_UNUSED(b);
    double tl;
    double th = nnm_celu_arg(x, alpha, &tl);
    double lower = alpha * (nnm_expm1(th) + tl * nnm_exp_neg(th)); /* expm1(th + tl) */
    return nnm_blend(nnm_greater(x, 0.0), x, lower);
}

NNM_INLINE double d_celu(double x, double alpha, double b)
{
    NNM_UNUSED(b);
    double tl;
    double th = nnm_celu_arg(x, alpha, &tl);
    return nnm_blend(nnm_greater(x, 0.0), 1.0, nnm_exp_neg(th) * (1.0 + tl));
}

/* -- shrinkage ---------------------------------------------------------------------------- */
NNM_INLINE double f_hard_shrink(double x, double threshold, double b)
{
    NNM_UNUSED(b);
    return nnm_blend(nnm_less_equal(fabs(x), threshold), 0.0, x);
}

NNM_INLINE double d_hard_shrink(double x, double threshold, double b)
{
    NNM_UNUSED(b);
    return nnm_blend(nnm_less_equal(fabs(x), threshold), 0.0, 1.0);
}

/* x - clip(x, -threshold, threshold): x -+ threshold outside, 0 inside */
NNM_INLINE double f_soft_shrink(double x, double threshold, double b)
{
    NNM_UNUSED(b);
    return x - nnm_clamp(x, -threshold, threshold);
}

NNM_INLINE double d_soft_shrink(double x, double threshold, double b)
{
    return d_hard_shrink(x, threshold, b);
}

/* -- sparse_plus: 0 below -1, x above 1, (x + 1)^2 / 4 between ------------------------------ */
NNM_INLINE double f_sparse_plus(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    double xc = nnm_clamp(x, -1.0, 1.0);
    double mid = (xc + 1.0) * (xc + 1.0) / 4.0;
    return nnm_blend(nnm_less_equal(x, -1.0), 0.0, nnm_blend(nnm_greater_equal(x, 1.0), x, mid));
}

NNM_INLINE double d_sparse_plus(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    double xc = nnm_clamp(x, -1.0, 1.0);
    double mid = (xc + 1.0) / 2.0;
    return nnm_blend(nnm_less_equal(x, -1.0), 0.0, nnm_blend(nnm_greater_equal(x, 1.0), 1.0, mid));
}

/* -- exponential, linear ---------------------------------------------------------------------- */
NNM_INLINE double f_exponential(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    return nnm_exp(x); /* +inf beyond 709.78 is a blend in nnm_exp: no flag */
}

NNM_INLINE double d_exponential(double x, double a, double b)
{
    return f_exponential(x, a, b);
}

/* g e^x = (g h) h (1 + 2 hl / h) with e^{x/2} = h + hl a double-double: finite wherever
 * the product is, though e^x alone is not past 709.78, and within about 1.5 ulps (the
 * rounding of e^{x/2} would count twice); g = 0 gives 0 there (not 0 * inf). Like
 * NumPy's multiply, a product beyond the float64 range raises the overflow flag, and
 * g = +-inf times e^x = 0 the invalid flag. */
NNM_INLINE double b_exponential(double x, double g, double p)
{
    NNM_UNUSED(p);
    double hl;
    double hh = nnm_exp_dd(0.5 * x, &hl);
    double h = nnm_blend(nnm_zero_mask(g), 0.0, hh);
    double y = (g * h) * h;
    uint64_t fin = nnm_greater(hh, 0x1p-1000) & ~nnm_nonfinite_mask(hh);
    double c = 2.0 * hl / nnm_blend(fin, hh, 1.0);
    double yf = nnm_blend(~nnm_nonfinite_mask(y), y, 0.0);
    return y + yf * nnm_blend(fin, c, 0.0);
}

NNM_INLINE double f_linear(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    return x;
}

NNM_INLINE double d_linear(double x, double a, double b)
{
    NNM_UNUSED(x), NNM_UNUSED(a), NNM_UNUSED(b);
    return 1.0;
}

/* -- tanh_shrink: x - tanh x ----------------------------------------------------------------- */
/* for 1/8 <= a <= 40 (a >= 0): 1 - tanh a = 2 / (e^{2a} + 1) as a double-double (hi
 * returned, lo in *lo); e^{2a} from nnm_exp_dd (2a is exact) */
NNM_INLINE double nnm_one_minus_tanh_dd(double a, double *lo)
{
    double el;
    double eh = nnm_exp_dd(2.0 * a, &el);
    double dl;
    double dh = nnm_dd_add(eh, el, 1.0, 0.0, &dl);
    return nnm_dd_div(2.0, 0.0, dh, dl, lo);
}

NNM_INLINE double f_tanh_shrink(double x, double a_, double b_)
{
    NNM_UNUSED(a_), NNM_UNUSED(b_);
    double a = fabs(x);
    /* |x| < 1/8: the series x^3/3 - 2x^5/15 + ... (the coefficients 2^{2n}(2^{2n} - 1)
     * B_{2n} / (2n)!, to x^29), Horner in x^2 */
    double as = nnm_blend(nnm_less(a, 0.125), a, 0.125);
    double x2 = as * as;
    double acc = -689005380505609448.0 / 263505041412702261046875.0;
    acc = acc * x2 + 8374643517010684.0 / 1298054391195577640625.0;
    acc = acc * x2 - 58870668456604.0 / 3698160658676859375.0;
    acc = acc * x2 + 113927491862.0 / 2900518163668125.0;
    acc = acc * x2 - 18888466084.0 / 194896477400625.0;
    acc = acc * x2 + 443861162.0 / 1856156927625.0;
    acc = acc * x2 - 6404582.0 / 10854718875.0;
    acc = acc * x2 + 929569.0 / 638512875.0;
    acc = acc * x2 - 21844.0 / 6081075.0;
    acc = acc * x2 + 1382.0 / 155925.0;
    acc = acc * x2 - 62.0 / 2835.0;
    acc = acc * x2 + 17.0 / 315.0;
    acc = acc * x2 - 2.0 / 15.0;
    /* x^3/3 (1 + 3 x^2 acc): x^3 as a double-double, its third refined once, so that the
     * leading term is rounded once (Horner to the end rounded it four times: 2.6 ulp) */
    double l2, h2 = nnm_two_prod(as, as, &l2);
    double l3, h3 = nnm_two_prod(h2, as, &l3);
    l3 += l2 * as;
    double q = h3 * (1.0 / 3.0);
    double pl, ph = nnm_two_prod(q, 3.0, &pl);
    double q_lo = ((h3 - ph) - pl + l3) * (1.0 / 3.0); /* x^3/3 = q + q_lo */
    double series = q + (q_lo + q * (3.0 * (acc * x2)));
    /* above: (a - 1) + (1 - tanh a) in double-double, rounded once (the cancellation of
     * a - tanh a near 1/8 costs some 8 of its ~100 bits); beyond 2^60 it is a */
    double ad = nnm_clamp(a, 0.125, 0x1p60);
    double ql;
    double qh = nnm_one_minus_tanh_dd(nnm_blend(nnm_less(ad, 40.0), ad, 40.0), &ql);
    double sl;
    double sh = nnm_two_sum(ad, -1.0, &sl);
    double rl;
    double r = nnm_dd_add(sh, sl, qh, ql, &rl);
    double y = nnm_blend(nnm_less(a, 0.125), series, nnm_blend(nnm_greater(a, 0x1p60), a, r));
    return nnm_copysign(y, x);
}

/* tanh^2 x = (1 - (1 - tanh |x|))^2 in double-double, rounded once; below 2^-40 it is x^2
 * (the relative correction -2x^2/3 is below 2^-80) */
NNM_INLINE double d_tanh_shrink(double x, double a_, double b_)
{
    NNM_UNUSED(a_), NNM_UNUSED(b_);
    double a = fabs(x);
    double ad = nnm_clamp(a, 0x1p-40, 40.0);
    double ql;
    double qh = nnm_one_minus_tanh_dd(ad, &ql);
    double tl;
    double th = nnm_dd_add(1.0, 0.0, -qh, -ql, &tl);
    double pl;
    double p = nnm_dd_mul(th, tl, th, tl, &pl);
    double as = nnm_blend(nnm_less(a, 0x1p-40), a, 0.0);
    return nnm_blend(nnm_less(a, 0x1p-40), as * as, p);
}

/* -- binary accuracy: 1 where the label y equals the decision [p > t], else 0 --------------
 * p is the loop's x (its NaN routed around: NaN out), y the second input (a NaN label
 * gives NaN), t the threshold; a label other than 0 and 1 never matches (Keras). */
NNM_INLINE double f_binary_hits(double p, double y, double t)
{
    double decided = nnm_blend(nnm_greater(p, t), 1.0, 0.0);
    uint64_t ynan = nnm_nan_mask(y);
    double yc = nnm_blend(ynan, 0.0, y);
    double hit = nnm_blend(nnm_zero_mask(yc - decided), 1.0, 0.0);
    return nnm_blend(ynan, y, hit);
}

NNM_BACKWARD(tanh_shrink)
NNM_BACKWARD(hard_sigmoid)
NNM_BACKWARD(relu6)
NNM_BACKWARD(softsign)
NNM_BACKWARD(hard_silu)
NNM_BACKWARD(selu)
NNM_BACKWARD(celu)
NNM_BACKWARD(hard_shrink)
NNM_BACKWARD(soft_shrink)
NNM_BACKWARD(sparse_plus)
NNM_BACKWARD(linear)

#include "nnm_formulas_act.h"

#endif

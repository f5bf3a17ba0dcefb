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
    /* sigma(beta x) = n / (1 + z), 1 + z split exactly and the quotient refined once: the
     * rounding of 1 + z would add up to an ulp to exp's error (2.2 ulp measured) */
    double dl, d = nnm_fast_two_sum(1.0, z, &dl);
    double ql;
    return nnm_dd_div(nnm_blend(nnm_less(t, 0.0), z, 1.0), 0.0, d, dl, &ql);
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

/* (c + c_lo) e^x for x <= 0, rounded once, into the subnormal range too: e^x = 2^k (h + l)
 * from the exp's core, the product formed at that scale and 2^k applied last. c times an
 * e^x already rounded to a subnormal would round twice, or flush: 1.7581 e^{-745.17} is
 * 5e-324, where e^{-745.17} alone rounds to 0. */
NNM_INLINE double nnm_c_exp_neg(double c, double c_lo, double x)
{
    double kf, l;
    int64_t k;
    double h = nnm__exp_core(nnm_max(x, -800.0), &kf, &k, &l);
    return nnm_ldexp2(c * h + (c * l + c_lo * h), k);
}

NNM_INLINE double d_elu(double x, double alpha, double b)
{
    NNM_UNUSED(b);
    double lower = nnm_c_exp_neg(alpha, 0.0, nnm_blend(nnm_less(x, 0.0), x, 0.0));
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
/* Beyond |x| = 39 gelu(x < 0) and gelu'(x < 0) round to 0 and Phi(-|x|) is negligible. */
#define NNMF_GELU_AMAX 39.0

/* Phi(-a) = 2^k (ph + *pl) and phi(a) = 2^k (*fh + *fl) for a in [0, 39], relative error
 * ~2^-56, with the common scale 2^k = 2^{round(-a^2 / (2 ln 2))} (k >= -1097) returned in
 * *kf: every product below is of normal numbers, and only the final scaling by 2^k rounds
 * into the subnormal range. e^{-a^2/2} = 2^k (eh + el) from a^2 = sh + sl exactly;
 * phi = e^{-a^2/2} / sqrt(2 pi). For z = a / sqrt 2 >= 0.75, Phi(-a) = e^{-a^2/2} erfcx(z)
 * / 2 with z carried to double-double (erfcx corrected to first order for its low part);
 * below, erfc(z) / 2 = ((1 - z) - z P(z^2)) / 2 from erf's series, 1 - z exact. */
NNM_INLINE double nnm_gelu_parts(double a, double *pl, double *fh, double *fl, double *kf)
{
    double as = nnm_blend(nnm_less(a, 0x1p-60), 0.0, a); /* a^2 would underflow */
    double sl, sh = nnm_two_prod(as, as, &sl);
    int64_t k;
    double el, eh = nnm__exp_core(-0.5 * sh, kf, &k, &el);
    el -= eh * (0.5 * sl); /* e^{-sl/2} = 1 - sl/2 to 2^-88 */
    *fh = nnm_dd_mul(eh, el, NNM_INV_SQRT_2PI_HI, NNM_INV_SQRT_2PI_LO, fl);
    double zl, zh = nnm_two_prod(as, NNM_INV_SQRT2_HI, &zl);
    zl += as * NNM_INV_SQRT2_LO;
    uint64_t small = nnm_less(zh, NNM_ERF_TAYLOR_MAX);
    /* z >= 0.75: e^{-z^2} erfcx(z), erfcx'(z) = 2 z erfcx(z) - 2/sqrt(pi) */
    double zc = nnm_blend(small, NNM_ERF_TAYLOR_MAX, zh);
    double cl, ch = nnm__erfcx_pos_dd(zc, &cl);
    cl += nnm_blend(small, 0.0, zl) * (2.0 * zc * ch - NNM_TWO_OVER_SQRT_PI);
    double bl, bh = nnm_dd_mul(eh, el, ch, cl, &bl);
    /* z < 0.75 (k is 0 or -1 there): erfc(z) 2^-k; erfc'(z) = -2/sqrt(pi) e^{-z^2} */
    double zs = nnm_blend(small, zh, 0.0);
    double p = nnm__erf_taylor_poly(zs * zs);
    double kc = nnm_blend(small, *kf, 0.0);
    double ue, u = nnm_two_sum(1.0, -zs, &ue);
    double ql, qh = nnm_fast_two_sum(u, ue - (zs * p + zl * NNM_TWO_OVER_SQRT_PI * eh *
                                                          nnm__pow2d(kc)), &ql);
    double inv = nnm__pow2d(-kc);
    *pl = 0.5 * nnm_blend(small, ql * inv, bl);
    return 0.5 * nnm_blend(small, qh * inv, bh);
}

/* h 2^k for the x >= 0 side, where only values above 2^-100 matter: 0 below (keeps the
 * low parts from underflowing) */
NNM_INLINE double nnm_gelu_scale_pos(double h, double kf)
{
    uint64_t tiny = nnm_less(kf, -100.0);
    return nnm_blend(tiny, 0.0, nnm_ldexp2(h, nnm__int_of(nnm_blend(tiny, 0.0, kf))));
}

NNM_INLINE double f_gelu(double x, double a_, double b_)
{
    NNM_UNUSED(a_), NNM_UNUSED(b_);
    double a = nnm_blend(nnm_greater(fabs(x), NNMF_GELU_AMAX), NNMF_GELU_AMAX, fabs(x));
    double pl, fh, fl, kf;
    double ph = nnm_gelu_parts(a, &pl, &fh, &fl, &kf);
    /* x < 0: -a Phi(-a), scaled by 2^k last (one rounding into the subnormals) */
    double nl, nh = nnm_dd_mul_d(ph, pl, -a, &nl);
    uint64_t negx = nnm_less(x, 0.0); /* (unscaled on x >= 0: no underflow there) */
    double neg = nnm_ldexp2(nh + nl, nnm__int_of(nnm_blend(negx, kf, 0.0)));
    /* x >= 0: x (1 - Phi(-x)); x itself beyond 39 (Phi(-x) < 2^-1000) */
    double wl, wh = nnm_two_sum(1.0, -nnm_gelu_scale_pos(ph, kf), &wl);
    wl -= nnm_gelu_scale_pos(pl, kf);
    double ol, oh = nnm_dd_mul_d(wh, wl, a, &ol);
    double pos = nnm_blend(nnm_greater(x, NNMF_GELU_AMAX), x, oh + ol);
    return nnm_blend(negx, neg, pos);
}

/* gelu'(x) = Phi(x) + x phi(x) = D for x < 0, 1 - D for x >= 0, with
 * D = Phi(-a) - a phi(a) (a = |x|) summed in double-double from the parts above. D
 * crosses 0 at x = r = -0.7518 (the terms cancel); for |x - r| <= 1/4 the Taylor series of
 * gelu' about r (coefficients from tools/fit_core_math.py) in t = x - r, carried to
 * double-double (x - r_hi is exact), with c_1 t in double-double. */
NNM_INLINE double nnm_gelu_grad(double x, double *dsum, double *kneg, uint64_t *scaled)
{
    double a = nnm_blend(nnm_greater(fabs(x), NNMF_GELU_AMAX), NNMF_GELU_AMAX, fabs(x));
    double pl, fh, fl, kf;
    double ph = nnm_gelu_parts(a, &pl, &fh, &fl, &kf);
    double ml, mh = nnm_dd_mul_d(fh, fl, -a, &ml);
    double dl, dh = nnm_dd_add(ph, pl, mh, ml, &dl); /* D 2^-k */
    uint64_t negx = nnm_less(x, 0.0);
    double neg = nnm_ldexp2(dh + dl, nnm__int_of(nnm_blend(negx, kf, 0.0)));
    double sl, s = nnm_two_sum(1.0, -nnm_gelu_scale_pos(dh, kf), &sl);
    double pos = s + (sl - nnm_gelu_scale_pos(dl, kf));
    double y = nnm_blend(negx, neg, pos);
    /* next to the zero */
    uint64_t near = nnm_less_equal(fabs(x - NNM_GELU_ROOT_HI), NNM_GELU_ROOT_RADIUS);
    double th = nnm_blend(near, x, NNM_GELU_ROOT_HI) - NNM_GELU_ROOT_HI; /* exact */
    double tl, t = nnm_two_sum(th, -NNM_GELU_ROOT_LO, &tl);
    const int n = (int)(sizeof nnm_gelu_root_taylor / sizeof nnm_gelu_root_taylor[0]);
    double q = nnm_gelu_root_taylor[n - 1];
#if defined(__GNUC__)
#pragma GCC unroll 16
#endif
    for (int i = n - 2; i >= 1; i--) {
        q = NNM_FMA(q, t, nnm_gelu_root_taylor[i]);
    }
    double cl, c = nnm_two_prod(nnm_gelu_root_taylor[0], t, &cl);
    cl += nnm_gelu_root_taylor[0] * tl + NNM_GELU_ROOT_C1_LO * t;
    double taylor = c + (cl + (t * t) * q);
    *dsum = dh + dl;
    *kneg = nnm_blend(negx, kf, 0.0);
    *scaled = negx & ~near;
    return nnm_blend(near, taylor, y);
}

NNM_INLINE double d_gelu(double x, double a_, double b_)
{
    NNM_UNUSED(a_), NNM_UNUSED(b_);
    double dsum, kneg;
    uint64_t scaled;
    return nnm_gelu_grad(x, &dsum, &kneg, &scaled);
}

/* g gelu'(x): where gelu' = D 2^k (x < 0), g is multiplied in before the last scaling, so
 * that a result in the subnormal range is rounded once (g times a rounded subnormal gelu'
 * would be |g|/2 ulps off). D 2^{k_a} with k_a = max(k, -600) is normal, so g times it
 * cannot overflow unless the result does (k_b = k - k_a < 0 only where D 2^{k_a} < 2^-595). */
NNM_INLINE double b_gelu(double x, double g, double p)
{
    NNM_UNUSED(p);
    double dsum, kneg;
    uint64_t scaled;
    double y = nnm_gelu_grad(x, &dsum, &kneg, &scaled);
    double ka = nnm_max(kneg, -600.0);
    double part = g * nnm_ldexp2(dsum, nnm__int_of(ka));
    return nnm_blend(scaled, nnm_ldexp2(part, nnm__int_of(kneg - ka)), g * y);
}

/* float32: computed in double to about 2^-35 relative (float32 needs ~2^-30 before its
 * rounding), without fma, so that every level gives the same bits. Phi(-a) = phi(a) M(a)
 * with the Mills ratio M(a) = p(y) / (1 + a/2), y = (a - 4)/(a + 4), p of degree 13
 * (tools/fit_core_math.py, 2^-34.9), and e^{-a^2/2} from a^2 (exact for float a) by the
 * usual reduction and a degree-9 Taylor polynomial (2^-37). Beyond |x| = 20 the results
 * for x < 0 round to 0, g gelu'(x) too for every float32 g (gelu(x) does from
 * x = -14.36). Returns phi(a); *mills = M(a). */
_Static_assert(sizeof nnm_fact_hi / sizeof nnm_fact_hi[0] >= 10,
               "nnm_gelu32_parts needs 1/n! to n = 9 (tools/fit_core_math.py FACT_TERMS)");
NNM_INLINE double nnm_gelu32_parts(double a, double *mills)
{
    double t = -0.5 * (a * a);
    double kd = (t * NNM_INV_LN2 + NNM_SHIFT) - NNM_SHIFT;
    double r = (t - kd * NNM_LN2_HI) - kd * NNM_LN2_LO;
    double e = nnm_fact_hi[9];
#if defined(__GNUC__)
#pragma GCC unroll 16
#endif
    for (int i = 8; i >= 0; i--) {
        e = e * r + nnm_fact_hi[i];
    }
    double s = 1.0 + 0.5 * a, w = a + NNM_GELU32_MILLS_K;
    double inv = 1.0 / (w * s);
    double y = (a - NNM_GELU32_MILLS_K) * s * inv;
    const int n = (int)(sizeof nnm_gelu32_mills / sizeof nnm_gelu32_mills[0]);
    double p = nnm_gelu32_mills[n - 1];
#if defined(__GNUC__)
#pragma GCC unroll 16
#endif
    for (int i = n - 2; i >= 0; i--) {
        p = p * y + nnm_gelu32_mills[i];
    }
    *mills = p * w * inv;
    return (e * nnm__pow2d(kd)) * NNM_INV_SQRT_2PI_HI;
}

/* in double, before the one rounding to float32 or float16 (f32_gelu rounds it to float) */
NNM_INLINE double nnm_gelu32_value(double x)
{
    double a = nnm_blend(nnm_greater(fabs(x), NNM_GELU32_AMAX), NNM_GELU32_AMAX, fabs(x));
    double m, phi = nnm_gelu32_parts(a, &m);
    double q = phi * m; /* Phi(-a) */
    return nnm_blend(nnm_less(x, 0.0), -a * q, x * (1.0 - q));
}

NNM_INLINE float f32_gelu(float xf)
{
    return (float)nnm_gelu32_value(xf);
}

/* gelu' = phi(a) (M(a) - a) for x < 0 and 1 - Phi(-a) + a phi(a) for x >= 0; within 1/64
 * of the zero r the first five Taylor coefficients about r, t = (x - r_hi) - r_lo. In
 * double, before the rounding to float32 (the fused backward multiplies g into it). */
NNM_INLINE double nnm_gelu32_grad(double x)
{
    double a = nnm_blend(nnm_greater(fabs(x), NNM_GELU32_AMAX), NNM_GELU32_AMAX, fabs(x));
    double m, phi = nnm_gelu32_parts(a, &m);
    double y = nnm_blend(nnm_less(x, 0.0), phi * (m - a), (1.0 - phi * m) + a * phi);
    double t = (x - NNM_GELU_ROOT_HI) - NNM_GELU_ROOT_LO;
    const double *c = nnm_gelu_root_taylor;
    double taylor = t * (c[0] + t * (c[1] + t * (c[2] + t * (c[3] + t * c[4]))));
    return nnm_blend(nnm_less_equal(fabs(t), 0x1p-6), taylor, y);
}

NNM_INLINE float d32_gelu(float x)
{
    return (float)nnm_gelu32_grad(x);
}

/* the float32 formulas in the signature of the loops (x comes from a float32, g too);
 * nnm_ufuncs_f32.def gives them to gelu's float32 and float16 loops */
NNM_INLINE double f_gelu32(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    return nnm_gelu32_value(x); /* rounded once by the loop: float32 or float16 */
}

NNM_INLINE double d_gelu32(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    return nnm_gelu32_grad(x);
}

NNM_INLINE double b_gelu32(double x, double g, double p)
{
    NNM_UNUSED(p);
    return g * nnm_gelu32_grad(x); /* one rounding, to float32 */
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

#include "nnm_formulas_more.h"

#endif

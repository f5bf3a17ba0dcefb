/* The remaining activations, in the form of nnm_formulas.h (included at the end of
 * nnm_formulas_more.h): f_NAME, d_NAME on one float64 element (x never NaN), b_NAME the
 * fused backward. hard_tanh and threshold take two parameters: their backward has four
 * inputs, b_NAME(x, g, p, q) (the loops of arity 4_2 in kernels.c). glu and its backward
 * take two (three) inputs of the loop's type.
 *
 * Kinks follow PyTorch: hard_tanh'(min_val) = hard_tanh'(max_val) = 0, threshold' = 0 at
 * and below the threshold, sparse_sigmoid'(+-1) = 0.
 *
 * mish, gelu_tanh and squareplus carry their intermediate values as double-doubles and
 * round once, so that float64 stays within 2 ulps also next to the zeros of mish' and
 * gelu_tanh' and in the tails (see README.md, "Accuracy").
 */
#ifndef NNM_FORMULAS_ACT_H
#define NNM_FORMULAS_ACT_H

/* e^{-600} as a double-double (mpmath) */
#define NNMF_EM600_HI 2.6503965530043108e-261
#define NNMF_EM600_LO 6.377342817491395e-278
/* 2 sqrt(2 / pi) and GELU's cubic coefficient 0.044715 (the decimal) as double-doubles */
#define NNMF_C2_HI 1.5957691216057308
#define NNMF_C2_LO (-9.96930880911092e-17)
#define NNMF_GK_HI 0.044715
#define NNMF_GK_LO 2.1960211427085595e-18
/* below this argument sigma(t) = e^t and sigma'(t) = e^t to far below an ulp */
#define NNMF_DEEP (-600.0)

#define NNM_BACKWARD2(name)                                                                  \
    NNM_INLINE double b_##name(double x, double g, double p, double q)                     \
    {                                                                                        \
        return g * d_##name(x, p, q);                                                        \
    }

/* the argument of the one e^{...} a formula with a deep tail computes: th + 600 (th clamped
 * to [-1000, -600]) on the deep lanes (th < -600), elsewhere the main path's own argument */
NNM_INLINE double nnm_deep_arg(uint64_t deep, double th, double main_arg)
{
    return nnm_blend(deep, nnm_clamp(th, -1000.0, NNMF_DEEP) + 600.0, main_arg);
}

/* nnm_times_exp_deep with e^{th + 600} given as the double-double eh + el (from nnm_exp_dd
 * of nnm_deep_arg's value), so that a formula computes one exponential for its main path
 * and its deep tail */
NNM_INLINE double nnm_times_exp_deep_e(double ph, double pl, double th, double tl, double eh,
                                       double el)
{
    el += eh * tl;
    double ql;
    double qh = nnm_dd_mul(ph, pl, eh, el, &ql);
    double rl;
    double rh = nnm_two_prod(qh, NNMF_EM600_HI, &rl);
    double r = rh + (rl + (qh * NNMF_EM600_LO + ql * NNMF_EM600_HI));
    return nnm_blend(nnm_less(th, -1000.0), 0.0 * ph, r);
}

/* (ph + pl) e^{th + tl} for th <= -600 (tl below an ulp of th), rounded once: e^{th + 600}
 * as a double-double times e^{-600} as a double-double (th + 600 is exact for th in
 * [-1000, -600]; below -1000 the result is 0 for |ph| <= 1e300). The result may be
 * subnormal; the scaled product keeps every intermediate normal. */
NNM_INLINE double nnm_times_exp_deep(double ph, double pl, double th, double tl)
{
    double el;
    double eh = nnm_exp_dd(nnm_deep_arg(~(uint64_t)0, th, 0.0), &el);
    return nnm_times_exp_deep_e(ph, pl, th, tl, eh, el);
}

/* -- hard_tanh(x, min_val, max_val), threshold(x, threshold, value) ------------------------ */
NNM_INLINE double f_hard_tanh(double x, double lo, double hi)
{
    return nnm_clamp(x, lo, hi);
}

NNM_INLINE double d_hard_tanh(double x, double lo, double hi)
{
    return nnm_blend(nnm_greater(x, lo) & nnm_less(x, hi), 1.0, 0.0);
}

NNM_INLINE double f_threshold(double x, double threshold, double value)
{
    return nnm_blend(nnm_less_equal(x, threshold), value, x);
}

NNM_INLINE double d_threshold(double x, double threshold, double value)
{
    NNM_UNUSED(value);
    return nnm_blend(nnm_less_equal(x, threshold), 0.0, 1.0);
}

/* -- sparse_sigmoid: (x + 1) / 2 clipped to [0, 1] ------------------------------------------- */
NNM_INLINE double f_sparse_sigmoid(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    return nnm_clamp(0.5 * nnm_clamp(x, -2.0, 2.0) + 0.5, 0.0, 1.0);
}

NNM_INLINE double d_sparse_sigmoid(double x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    return nnm_blend(nnm_greater(x, -1.0) & nnm_less(x, 1.0), 0.5, 0.0);
}

/* -- squareplus(x, b) = (x + sqrt(x^2 + b)) / 2, b >= 0 --------------------------------------- */
/* +-inf as +-DBL_MAX, by the bits (a compare against DBL_MAX would be a subtraction that
 * overflows on SSE2, see nnm_less) */
NNM_INLINE double nnm_finite(double x)
{
    return nnm_blend(nnm_nonfinite_mask(x), nnm_copysign(DBL_MAX, x), x);
}

/* With s = 2^-600 where |x| > 2^500 or b > 2^1000, s = 2^600 where |x| < 2^-500 and
 * b < 2^-1000 (else 1): xs = x s and h = sqrt(xs^2 + b s^2) as a double-double (hh + *hl),
 * so that neither the square overflows nor a divisor below is so small that its
 * reciprocal does; x = +-inf is taken as +-DBL_MAX here (the callers choose the limits). */
NNM_INLINE double nnm_squareplus_h(double x, double b, double *xs, double *s, double *hl)
{
    double xf = nnm_finite(x);
    uint64_t big = nnm_greater(fabs(xf), 0x1p500) | nnm_greater(b, 0x1p1000);
    uint64_t small = nnm_less(fabs(xf), 0x1p-500) & nnm_less(b, 0x1p-1000);
    *s = nnm_blend(big, 0x1p-600, nnm_blend(small, 0x1p600, 1.0));
    *xs = xf * *s;
    double pl;
    double ph = nnm_two_prod(*xs, *xs, &pl);
    double ql;
    double qh = nnm_dd_add(ph, pl, (b * *s) * *s, 0.0, &ql);
    double h = sqrt(nnm_blend(nnm_less(qh, 0.0), 0.0, qh)); /* b >= 0: no flag otherwise */
    double rl;
    double rh = nnm_two_prod(h, h, &rl);
    *hl = (((qh - rh) - rl) + ql) / (2.0 * nnm_blend(nnm_zero_mask(h), 1.0, h));
    return h;
}

/* s1 with s1^2 = s for the scales of nnm_squareplus_h */
NNM_INLINE double nnm_sqrt_scale(double s)
{
    return nnm_blend(nnm_less(s, 1.0), 0x1p-300, nnm_blend(nnm_greater(s, 1.0), 0x1p300, 1.0));
}

/* q = (h - |x|) / 2 = b / (2 (h + |x|)) as a double-double (returned, *ql); then
 * squareplus(x) = x + q for x >= 0 and q for x < 0: no cancellation on either side, and
 * no overflow at x = DBL_MAX. b s is formed as (b s1) ... s1 (s1^2 = s), so that a small
 * b is not first rounded into the subnormals. */
NNM_INLINE double nnm_squareplus_q(double x, double b, double *ql)
{
    double xs, s, hl;
    double h = nnm_squareplus_h(x, b, &xs, &s, &hl);
    double s1 = nnm_sqrt_scale(s);
    double dl;
    double dh = nnm_dd_add(h, hl, fabs(xs), 0.0, &dl);
    uint64_t z = nnm_zero_mask(dh);
    double qh = nnm_dd_div(b * s1, 0.0, nnm_blend(z, 1.0, dh), nnm_blend(z, 0.0, dl), ql);
    *ql *= 0.5 * s1;
    return (0.5 * qh) * s1;
}

NNM_INLINE double f_squareplus(double x, double b, double c_)
{
    NNM_UNUSED(c_);
    double ql;
    double qh = nnm_squareplus_q(x, b, &ql);
    double yl;
    double pos = nnm_dd_add(nnm_finite(x), 0.0, qh, ql, &yl);
    double y = nnm_blend(nnm_less(x, 0.0), qh, pos);
    /* the limits: +inf at +inf, 0 at -inf */
    uint64_t inf = nnm_inf_mask(x);
    return nnm_blend(inf, nnm_blend(nnm_greater(x, 0.0), x, 0.0), y);
}

NNM_INLINE double d_squareplus(double x, double b, double c_)
{
    NNM_UNUSED(c_);
    double xs, s, hl;
    double h = nnm_squareplus_h(x, b, &xs, &s, &hl);
    uint64_t hz = nnm_zero_mask(h);
    /* x >= 0: (1 + x / h) / 2 */
    double ql;
    double qh = nnm_dd_div(xs, 0.0, nnm_blend(hz, 1.0, h), nnm_blend(hz, 0.0, hl), &ql);
    double ul;
    double uh = nnm_dd_add(1.0, 0.0, qh, ql, &ul);
    double pos = 0.5 * (uh + ul);
    /* x < 0: b / (2 h (h - x)) = (b s1 / (2 h_s (h_s + |xs|))) s1 s, s1^2 = s */
    double s1 = nnm_sqrt_scale(s);
    double dl;
    double dh = nnm_dd_add(h, hl, fabs(xs), 0.0, &dl);
    double el;
    double eh = nnm_dd_mul(h, hl, dh, dl, &el);
    uint64_t z = nnm_zero_mask(eh);
    double rl;
    double rh = nnm_dd_div(b * s1, 0.0, nnm_blend(z, 1.0, eh), nnm_blend(z, 0.0, el), &rl);
    double neg = (0.5 * rh) * (s1 * s);
    double y = nnm_blend(nnm_less(x, 0.0), neg, pos);
    /* b = 0: relu'(x), 0 at x = 0 */
    return nnm_blend(nnm_zero_mask(b), nnm_blend(nnm_greater(x, 0.0), 1.0, 0.0), y);
}

/* -- mish(x) = x tanh(softplus(x)) ------------------------------------------------------------
 * For n = e^{-|x|}: tanh(softplus(x)) = A / D, D = A + B, with x > 0: A = 1 + 2n,
 * B = 2 n^2; x <= 0: A = n (2 + n), B = 2 (no cancellation on either side); sech^2 =
 * B (2A + B) / D^2, sigma(x) = (1 or n) / (1 + n). All as double-doubles from n to double-
 * double (nnm_exp_dd), for x in [-600, 40]; below -600 mish(x) = x e^x and mish'(x) =
 * (1 + x) e^x to far below an ulp, above 40 mish(x) = x and mish'(x) = 1. */
NNM_INLINE void nnm_mish_parts(double x, double nh, double nl, double *ah, double *al,
                               double *bh, double *bl, double *dh, double *dl)
{
    uint64_t pos = nnm_greater(x, 0.0);
    double ml;
    double mh = nnm_dd_mul(nh, nl, nh, nl, &ml);
    double apl;
    double aph = nnm_dd_add(1.0, 0.0, 2.0 * nh, 2.0 * nl, &apl);
    double anl;
    double anh = nnm_dd_add(2.0 * nh, 2.0 * nl, mh, ml, &anl);
    *ah = nnm_blend(pos, aph, anh);
    *al = nnm_blend(pos, apl, anl);
    *bh = nnm_blend(pos, 2.0 * mh, 2.0);
    *bl = nnm_blend(pos, 2.0 * ml, 0.0);
    *dh = nnm_dd_add(*ah, *al, *bh, *bl, dl);
}

/* mish's one exponential: n = e^{-|x|} for x clamped to [-600, 40] (*xm), or on the deep
 * lanes (x < -600, *deep) e^{x + 600} for the tail, with x clamped to [-1e4, -600] (*xd) */
NNM_INLINE double nnm_mish_exp(double x, double *nl, double *xm, double *xd, uint64_t *deep)
{
    *xm = nnm_clamp(x, NNMF_DEEP, 40.0);
    *xd = nnm_clamp(x, -1.0e4, NNMF_DEEP);
    *deep = nnm_less(x, NNMF_DEEP);
    return nnm_exp_dd(nnm_deep_arg(*deep, *xd, -fabs(*xm)), nl);
}

NNM_INLINE double f_mish(double x, double a_, double b_)
{
    NNM_UNUSED(a_), NNM_UNUSED(b_);
    double xm, xd, nl;
    uint64_t dp;
    double nh = nnm_mish_exp(x, &nl, &xm, &xd, &dp);
    double ah, al, bh, bl, dh, dl;
    nnm_mish_parts(xm, nh, nl, &ah, &al, &bh, &bl, &dh, &dl);
    double ql;
    double qh = nnm_dd_div(ah, al, dh, dl, &ql);
    double yl;
    double yh = nnm_dd_mul_d(qh, ql, xm, &yl);
    double deep = nnm_times_exp_deep_e(xd, 0.0, xd, 0.0, nh, nl);
    return nnm_blend(dp, deep, nnm_blend(nnm_greater(x, 40.0), x, yh + yl));
}

/* mish'(x), and the exponential it computed (nnm_mish_exp's) for the fused backward */
NNM_INLINE double nnm_d_mish_e(double x, double *nh_, double *nl_, double *xd_)
{
    double xm, xd, nl;
    uint64_t dp;
    double nh = nnm_mish_exp(x, &nl, &xm, &xd, &dp);
    *nh_ = nh, *nl_ = nl, *xd_ = xd;
    double ah, al, bh, bl, dh, dl;
    nnm_mish_parts(xm, nh, nl, &ah, &al, &bh, &bl, &dh, &dl);
    /* d = (A D + x B (2A + B) sigma) / D^2 */
    uint64_t pos = nnm_greater(xm, 0.0);
    double ul;
    double uh = nnm_dd_add(1.0, 0.0, nh, nl, &ul);
    double sl;
    double sh = nnm_dd_div(nnm_blend(pos, 1.0, nh), nnm_blend(pos, 0.0, nl), uh, ul, &sl);
    double el;
    double eh = nnm_dd_add(2.0 * ah, 2.0 * al, bh, bl, &el);
    double fl;
    double fh = nnm_dd_mul(bh, bl, eh, el, &fl);
    fh = nnm_dd_mul(fh, fl, sh, sl, &fl);
    fh = nnm_dd_mul_d(fh, fl, xm, &fl);
    double pl;
    double ph = nnm_dd_mul(ah, al, dh, dl, &pl);
    ph = nnm_dd_add(ph, pl, fh, fl, &pl);
    double ql;
    double qh = nnm_dd_mul(dh, dl, dh, dl, &ql);
    double rl;
    double rh = nnm_dd_div(ph, pl, qh, ql, &rl);
    double deep = nnm_times_exp_deep_e(1.0 + xd, 0.0, xd, 0.0, nh, nl);
    return nnm_blend(dp, deep, nnm_blend(nnm_greater(x, 40.0), 1.0, rh + rl));
}

NNM_INLINE double d_mish(double x, double a_, double b_)
{
    NNM_UNUSED(a_), NNM_UNUSED(b_);
    double nh, nl, xd;
    return nnm_d_mish_e(x, &nh, &nl, &xd);
}

/* -- gelu_tanh(x) = x sigma(2u), u = sqrt(2/pi) (x + 0.044715 x^3) ------------------------
 * (1 + tanh u) / 2 = sigma(2u). t = 2u as a double-double (x clipped to +-1e4, where
 * sigma(t) is 0 or 1), z = e^{-|t|} as a double-double; then sigma(t) = (z or 1) / (1 + z),
 * sigma'(t) = z / (1 + z)^2, t' = 2 sqrt(2/pi) (1 + 3 k x^2); below t = -600 the
 * products with e^t are scaled (nnm_times_exp_deep). */
NNM_INLINE double nnm_gelu_tanh_t(double xc, double *tl, double *x2h, double *x2l)
{
    *x2h = nnm_two_prod(xc, xc, x2l);
    double cl;
    double ch = nnm_dd_mul_d(*x2h, *x2l, xc, &cl);
    ch = nnm_dd_mul(ch, cl, NNMF_GK_HI, NNMF_GK_LO, &cl);
    ch = nnm_dd_add(xc, 0.0, ch, cl, &cl);
    return nnm_dd_mul(ch, cl, NNMF_C2_HI, NNMF_C2_LO, tl);
}

/* sigma(t) (returned, *sl) and sigma'(t) (*ph, *pl) for t = th + tl, t >= -600, from
 * zh + zl = e^{-|th|} as a double-double */
NNM_INLINE double nnm_sigmoid_dd2_e(double th, double tl, double zh, double zl, double *sl,
                                    double *ph, double *pl)
{
    uint64_t neg = nnm_less(th, 0.0);
    /* e^{-|t|} = e^{-|th|} (1 - sign(th) tl) */
    zl -= zh * nnm_blend(neg, -tl, tl);
    double ul;
    double uh = nnm_dd_add(1.0, 0.0, zh, zl, &ul);
    double vl;
    double vh = nnm_dd_mul(uh, ul, uh, ul, &vl);
    *ph = nnm_dd_div(zh, zl, vh, vl, pl);
    return nnm_dd_div(nnm_blend(neg, zh, 1.0), nnm_blend(neg, zl, 0.0), uh, ul, sl);
}

/* sigma(t) and sigma'(t) as above on the lanes with t >= -600 (the others get t = 0), and
 * the one exponential: e^{-|t|} there, e^{t + 600} on the deep lanes (*zh, *zl) */
NNM_INLINE double nnm_sigmoid_dd2_deep(uint64_t deep, double th, double tl, double *sl,
                                       double *ph, double *pl, double *zh, double *zl)
{
    double tm = nnm_blend(deep, 0.0, th);
    *zh = nnm_exp_dd(nnm_deep_arg(deep, th, -fabs(tm)), zl);
    return nnm_sigmoid_dd2_e(tm, nnm_blend(deep, 0.0, tl), *zh, *zl, sl, ph, pl);
}

NNM_INLINE double f_gelu_tanh(double x, double a_, double b_)
{
    NNM_UNUSED(a_), NNM_UNUSED(b_);
    double xc = nnm_clamp(x, -NNMF_SAT, NNMF_SAT);
    double tl, x2h, x2l;
    double th = nnm_gelu_tanh_t(xc, &tl, &x2h, &x2l);
    uint64_t deep = nnm_less(th, NNMF_DEEP);
    double sl, ph, pl, zh, zl;
    double sh = nnm_sigmoid_dd2_deep(deep, th, tl, &sl, &ph, &pl, &zh, &zl);
    double yl;
    double yh = nnm_dd_mul_d(sh, sl, xc, &yl);
    double yd = nnm_times_exp_deep_e(xc, 0.0, th, tl, zh, zl);
    return nnm_blend(nnm_greater(x, NNMF_SAT), x, nnm_blend(deep, yd, yh + yl));
}

/* gelu_tanh'(x), and for the fused backward: t (*th, *tl), 1 + x t' (*wh, *wl) and the one
 * exponential (*zh, *zl) */
NNM_INLINE double nnm_d_gelu_tanh_e(double x, double *th_, double *tl_, double *wh_,
                                    double *wl_, double *zh, double *zl)
{
    double xc = nnm_clamp(x, -NNMF_SAT, NNMF_SAT);
    double tl, x2h, x2l;
    double th = nnm_gelu_tanh_t(xc, &tl, &x2h, &x2l);
    /* t' = 2 sqrt(2/pi) (1 + 3 k x^2) */
    double kl;
    double kh = nnm_dd_mul(x2h, x2l, NNMF_GK_HI, NNMF_GK_LO, &kl);
    kh = nnm_dd_mul_d(kh, kl, 3.0, &kl);
    kh = nnm_dd_add(1.0, 0.0, kh, kl, &kl);
    double dl;
    double dh = nnm_dd_mul(kh, kl, NNMF_C2_HI, NNMF_C2_LO, &dl);
    uint64_t deep = nnm_less(th, NNMF_DEEP);
    double sl, ph, pl;
    double sh = nnm_sigmoid_dd2_deep(deep, th, tl, &sl, &ph, &pl, zh, zl);
    /* sigma(t) + x sigma'(t) t' */
    double ql;
    double qh = nnm_dd_mul(ph, pl, dh, dl, &ql);
    qh = nnm_dd_mul_d(qh, ql, xc, &ql);
    double rl;
    double rh = nnm_dd_add(sh, sl, qh, ql, &rl);
    /* deep: (1 + x t') e^t */
    double wl;
    double wh = nnm_dd_mul_d(dh, dl, xc, &wl);
    wh = nnm_dd_add(1.0, 0.0, wh, wl, &wl);
    double yd = nnm_times_exp_deep_e(wh, wl, th, tl, *zh, *zl);
    *th_ = th, *tl_ = tl, *wh_ = wh, *wl_ = wl;
    return nnm_blend(nnm_greater(x, NNMF_SAT), 1.0, nnm_blend(deep, yd, rh + rl));
}

NNM_INLINE double d_gelu_tanh(double x, double a_, double b_)
{
    NNM_UNUSED(a_), NNM_UNUSED(b_);
    double th, tl, wh, wl, zh, zl;
    return nnm_d_gelu_tanh_e(x, &th, &tl, &wh, &wl, &zh, &zl);
}

/* The fused backward of mish and gelu_tanh: g f'(x), where in the deep negative tail g is
 * multiplied in before the one rounding (g times an already rounded subnormal f'(x) would
 * cost |g| / 2 of its ulps); g above 2^900 scaled by 2^-200 for the error-free product,
 * and a non-finite g takes the plain product. */
NNM_INLINE double nnm_scaled_g(double g, double *back)
{
    uint64_t big = nnm_greater(fabs(g), 0x1p900);
    *back = nnm_blend(big, 0x1p200, 1.0);
    return nnm_blend(nnm_nonfinite_mask(g), 0.0, g) * nnm_blend(big, 0x1p-200, 1.0);
}

NNM_INLINE double b_mish(double x, double g, double p_)
{
    NNM_UNUSED(p_);
    double nh, nl, xd;
    double plain = g * nnm_d_mish_e(x, &nh, &nl, &xd);
    double back;
    double gs = nnm_scaled_g(g, &back);
    double pl;
    double ph = nnm_two_prod(1.0 + xd, gs, &pl); /* (1 + x) g: 1 + x is exact here */
    double deep = nnm_times_exp_deep_e(ph, pl, xd, 0.0, nh, nl) * back;
    return nnm_blend(nnm_less(x, NNMF_DEEP) & ~nnm_nonfinite_mask(g), deep, plain);
}

NNM_INLINE double b_gelu_tanh(double x, double g, double p_)
{
    NNM_UNUSED(p_);
    /* (1 + x t') g e^t in the deep tail, t' = 2 sqrt(2/pi) (1 + 3 k x^2) */
    double th, tl, wh, wl, zh, zl;
    double plain = g * nnm_d_gelu_tanh_e(x, &th, &tl, &wh, &wl, &zh, &zl);
    double back;
    double gs = nnm_scaled_g(g, &back);
    wh = nnm_dd_mul_d(wh, wl, gs, &wl);
    double deep = nnm_times_exp_deep_e(wh, wl, th, tl, zh, zl) * back;
    return nnm_blend(nnm_less(th, NNMF_DEEP) & ~nnm_nonfinite_mask(g), deep, plain);
}

/* -- glu(a, b) = a sigmoid(b), the backward (g sigmoid(b), g a sigmoid'(b)) ---------------
 * a is the loop's x (its NaN routed around by the loop), b a second input of the loop's
 * type: its NaN is routed here. a sigmoid(b) is rounded once (sigmoid(b) as a double-
 * double; below b = -600, a e^b scaled); |a| above 2^900 is scaled by 2^-200 for the
 * error-free product. An infinite a times a gate of exactly 0 has no limit: NaN, quietly. */
/* p q, where an infinite factor times 0 is NaN without the invalid flag (the product of
 * the finite stand-ins decides the sign, and whether the other factor is 0) */
NNM_INLINE double nnm_mul_quiet(double p, double q)
{
    uint64_t pinf = nnm_inf_mask(p), qinf = nnm_inf_mask(q);
    double r = nnm_blend(pinf, nnm_copysign(1.0, p), p) * nnm_blend(qinf, nnm_copysign(1.0, q), q);
    double inf = nnm_blend(nnm_zero_mask(r), NAN, nnm_copysign(INFINITY, r));
    return nnm_blend(pinf | qinf, inf, r);
}

NNM_INLINE double f_glu(double a, double b, double c_)
{
    NNM_UNUSED(c_);
    uint64_t bnan = nnm_nan_mask(b);
    double bc = nnm_blend(bnan, 0.0, b);
    uint64_t ainf = nnm_inf_mask(a);
    double af = nnm_blend(ainf, 0.0, a);
    uint64_t big = nnm_greater(fabs(af), 0x1p900);
    double as = af * nnm_blend(big, 0x1p-200, 1.0);
    uint64_t deep = nnm_less(bc, NNMF_DEEP);
    double sl, ph, pl, zh, zl;
    double sh = nnm_sigmoid_dd2_deep(deep, bc, 0.0, &sl, &ph, &pl, &zh, &zl);
    double yl;
    double yh = nnm_dd_mul_d(sh, sl, as, &yl);
    double y = nnm_blend(deep, nnm_times_exp_deep_e(as, 0.0, bc, 0.0, zh, zl), yh + yl);
    y *= nnm_blend(big, 0x1p200, 1.0);
    double yinf = nnm_mul_quiet(a, f_sigmoid(bc, 0.0, 0.0));
    return nnm_blend(bnan, b, nnm_blend(ainf, yinf, y));
}

/* p e^t for finite p and t < -600 (sigma(t) = sigma'(t) = e^t there), rounded once; |p|
 * above 2^900 scaled by 2^-200 for the error-free product */
NNM_INLINE double nnm_times_exp_far(double p, double t)
{
    uint64_t big = nnm_greater(fabs(p), 0x1p900);
    double ps = p * nnm_blend(big, 0x1p-200, 1.0);
    return nnm_times_exp_deep(ps, 0.0, t, 0.0) * nnm_blend(big, 0x1p200, 1.0);
}

/* returns g sigmoid(b), *y2 = g (a sigmoid'(b)) (a sigma' <= a / 4: no overflow before
 * the result's own); below b = -600 (beyond |b| = 600 for sigma'(b) = e^{-|b|}) the
 * products with e^b are scaled (results that are subnormal keep their precision). NaN in
 * any input is NaN in the outputs that depend on it (the loop routes none). */
NNM_INLINE double f_glu_backward(double a, double b, double g, double *y2)
{
    uint64_t bnan = nnm_nan_mask(b);
    double bc = nnm_blend(bnan, 0.0, b);
    double s = f_sigmoid(bc, 0.0, 0.0);
    double ds = d_sigmoid(bc, 0.0, 0.0);
    uint64_t deep = nnm_less(bc, NNMF_DEEP);
    uint64_t far = nnm_greater(fabs(bc), -NNMF_DEEP); /* sigma'(b) = e^{-|b|} there */
    uint64_t gbad = nnm_nonfinite_mask(g), abad = nnm_nonfinite_mask(a);
    double gf = nnm_blend(gbad, 0.0, g), af = nnm_blend(abad, 0.0, a);
    double y1 = nnm_blend(deep & ~gbad, nnm_times_exp_far(gf, bc), nnm_mul_quiet(g, s));
    double ads =
        nnm_blend(far & ~abad, nnm_times_exp_far(af, -fabs(bc)), nnm_mul_quiet(a, ds));
    *y2 = nnm_blend(bnan, b, nnm_mul_quiet(g, ads));
    return nnm_blend(bnan, b, y1);
}

/* -- prelu: the elementwise part of dL/dweight, g min(x, 0) --------------------------------- */
NNM_INLINE double f_prelu_weight_backward(double x, double g, double c_)
{
    NNM_UNUSED(c_);
    return g * nnm_blend(nnm_greater(x, 0.0), 0.0, x);
}

NNM_BACKWARD(sparse_sigmoid)
NNM_BACKWARD(squareplus)
NNM_BACKWARD2(hard_tanh)
NNM_BACKWARD2(threshold)

#endif

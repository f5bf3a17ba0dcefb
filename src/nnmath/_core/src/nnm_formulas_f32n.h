/* Native float32 formulas: the float32 loops of the ufuncs listed in nnm_ufuncs_f32n.def
 * compute in float32 arithmetic (8 lanes with AVX2, 16 with AVX-512) with the math of
 * math/nnm_vf32.h, instead of in float64 (nnm_formulas_f32.h, which their float16 loops
 * keep).
 *
 * Signature: float f(float x, double a, double b), x a float32 that is never NaN (the
 * loop routes NaN around the formula), a and b as in nnm_formulas.h: the parameters in
 * float64, and for a fused backward a = g (a float32 widened, exactly). Selects instead
 * of branches, no flag for finite input except underflow of tiny values. Each value is
 * carried as a float32 pair (q + c, to about 2^-29 relative) with a power of two 2^k
 * apart, and rounded once: in float32 (q + c, then the exact or once-rounding scaling of
 * nnm_vf_ldexp), or, where a factor g, x or a float64 parameter multiplies it, through
 * float64 (nnm_vf_widen: one float64 rounding, then the float32 one). Target: within 1 ulp
 * of the exact result for every float32 input (tools/check_core_f32n.c, all 2^32 inputs).
 */
#ifndef NNM_FORMULAS_F32N_H
#define NNM_FORMULAS_F32N_H

#include "math/nnm_vf32.h"
#include "nnm_formulas.h"

/* beyond a = 110, e^{-a} < 2^-158: sigma(-a) and sigma'(a) round to 0 in float32 */
#define NNMF32N_SIG_MAX 110.0f
/* beyond a = 200, 4 |g| e^{-a} < 2^-158 for every finite float32 g (|g| < 2^128) */
#define NNMF32N_DEEP 200.0f

/* z = e^{-a} = 2^kr (*zh + *zl) and d = 1 + z = *dh + *dl, for 0 <= a <= 200: with
 * e^{-a} = 2^k (eh + el), z's pair carries 2^max(k, -90) (exact: it stays normal, and so
 * do the products of the division that follows) and kr = min(k + 90, 0) the rest; d uses
 * 2^kr z = 2^max(k, -90) (eh + el) too, off by less than 2^-89 */
NNM_INLINE float nnm_vf_logistic_parts(float a, float *zl, float *kr, float *dh, float *dl)
{
    float el, k, eh = nnm_vf_exp_core(-a, &el, &k);
    float s = nnm_vf_pow2(nnm_fmax_(k, -90.0f));
    *kr = nnm_fmin_(k + 90.0f, 0.0f);
    float zh = eh * s;
    *zl = el * s;
    *dh = nnm_vf_fast_two_sum(1.0f, zh, dl);
    *dl += *zl;
    return zh;
}

/* sigma(x) = (q + *c) 2^(*kk), with |x| clamped to amax (<= 200): 1 / d for x >= 0,
 * z / d below */
NNM_INLINE float nnm_vf_sigmoid_parts(float x, float amax, float *c, float *kk)
{
    float a = nnm_fmin_(nnm_fabs_(x), amax);
    float zl, kr, dh, dl;
    float zh = nnm_vf_logistic_parts(a, &zl, &kr, &dh, &dl);
    uint32_t neg = nnm_fless(x, 0.0f);
    *kk = nnm_fblend(neg, kr, 0.0f);
    return nnm_vf_div(nnm_fblend(neg, zh, 1.0f), nnm_fblend(neg, zl, 0.0f), dh, dl, c);
}

/* sigma'(a) = e^{-a} / (1 + e^{-a})^2 = (q + *c) 2^(*kr), 0 <= a <= 200; d^2 to the
 * pair's precision (two_prod) */
NNM_INLINE float nnm_vf_sigmoid_grad_parts(float a, float *c, float *kr)
{
    float zl, dh, dl;
    float zh = nnm_vf_logistic_parts(a, &zl, kr, &dh, &dl);
    float sl, sh = nnm_vf_two_prod(dh, dh, &sl);
    sl += 2.0f * dh * dl;
    return nnm_vf_div(zh, zl, sh, sl, c);
}

/* (q + c) 2^k for k in [-126, 127]: q + c rounded, then scaled (exact, or rounded once more
 * into the subnormal range: within 0.75 ulp of the subnormal spacing there) */
NNM_INLINE float nnm_vf_scale(float q, float c, float k)
{
    return (q + c) * nnm_vf_pow2(k);
}

/* -- sigmoid ------------------------------------------------------------------------------ */
NNM_INLINE float f32n_sigmoid(float x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    float c, k, q = nnm_vf_sigmoid_parts(x, NNMF32N_SIG_MAX, &c, &k);
    return nnm_vf_scale(q, c, k);
}

NNM_INLINE float d32n_sigmoid(float x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    float c, k, q = nnm_vf_sigmoid_grad_parts(nnm_fmin_(nnm_fabs_(x), NNMF32N_SIG_MAX), &c, &k);
    return nnm_vf_scale(q, c, k);
}

NNM_INLINE float b32n_sigmoid(float x, double g, double p)
{
    NNM_UNUSED(p);
    float c, k, q = nnm_vf_sigmoid_grad_parts(nnm_fmin_(nnm_fabs_(x), NNMF32N_DEEP), &c, &k);
    return (float)(g * nnm_vf_widen(q, c, k));
}

/* -- log_sigmoid' = sigma(-x) --------------------------------------------------------------- */
NNM_INLINE float d32n_log_sigmoid(float x, double a, double b)
{
    return f32n_sigmoid(-x, a, b);
}

NNM_INLINE float b32n_log_sigmoid(float x, double g, double p)
{
    NNM_UNUSED(p);
    float c, k, q = nnm_vf_sigmoid_parts(-x, NNMF32N_DEEP, &c, &k);
    return (float)(g * nnm_vf_widen(q, c, k));
}

/* -- silu: x sigma(x), the product in float64; x clamped at -200 (x e^x -> -0) ----------- */
NNM_INLINE float f32n_silu(float x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    float xc = nnm_fmax_(x, -NNMF32N_DEEP);
    float c, k, q = nnm_vf_sigmoid_parts(xc, NNMF32N_DEEP, &c, &k);
    return (float)((double)xc * nnm_vf_widen(q, c, k));
}

/* -- tanh ------------------------------------------------------------------------------------
 * tanh a = -m / (2 + m), m = e^{-2a} - 1 as a pair (no cancellation: m and 2 + m are both
 * accurate relatively); beyond a = 9.25 the float32 result is 1 (1 - tanh 9.25 < 2^-25),
 * below 2^-12 it is x (x^3/3 is below half an ulp) */
NNM_INLINE float f32n_tanh(float x, double a_, double b_)
{
    NNM_UNUSED(a_), NNM_UNUSED(b_);
    float a = nnm_fmin_(nnm_fabs_(x), 9.25f);
    float ml, mh = nnm_vf_expm1(-2.0f * a, &ml);
    float dl, dh = nnm_vf_fast_two_sum(2.0f, mh, &dl);
    dl += ml;
    float c, q = nnm_vf_div(-mh, -ml, dh, dl, &c);
    return nnm_fblend(nnm_fless(a, 0x1p-12f), x, nnm_fcopysign_(q + c, x));
}

/* sech^2 x = 4 sigma'(2|x|); beyond |x| = 55 it rounds to 0 */
NNM_INLINE float d32n_tanh(float x, double a, double b)
{
    NNM_UNUSED(a), NNM_UNUSED(b);
    float t = 2.0f * nnm_fmin_(nnm_fabs_(x), 0.5f * NNMF32N_SIG_MAX);
    float c, k, q = nnm_vf_sigmoid_grad_parts(t, &c, &k);
    return nnm_vf_scale(q, c, k + 2.0f);
}

NNM_INLINE float b32n_tanh(float x, double g, double p)
{
    NNM_UNUSED(p);
    float t = 2.0f * nnm_fmin_(nnm_fabs_(x), 0.5f * NNMF32N_DEEP);
    float c, k, q = nnm_vf_sigmoid_grad_parts(t, &c, &k);
    return (float)(g * nnm_vf_widen(q, c, k + 2.0f));
}

/* -- elu (alpha in float64) ------------------------------------------------------------------
 * x > 0: x (the gradient 1, the backward g); below, alpha (e^x - 1) with x clamped at -87
 * (e^-87 is below 2^-125 of 1), alpha e^x with x clamped at -300 (any |alpha| < 2^100
 * times e^-300 rounds to 0), the products in float64 (nnm_vf_narrow: no overflow flag) */
NNM_INLINE float f32n_elu(float x, double alpha, double b)
{
    NNM_UNUSED(b);
    float ml, mh = nnm_vf_expm1(nnm_fmax_(nnm_fmin_(x, 0.0f), -87.0f), &ml);
    float lower = nnm_vf_narrow(alpha * ((double)mh + (double)ml));
    return nnm_fblend(nnm_fless(0.0f, x), x, lower);
}

NNM_INLINE double nnm_vf_exp_neg_d(float x)
{
    float el, k, eh = nnm_vf_exp_core(nnm_fmax_(nnm_fmin_(x, 0.0f), -300.0f), &el, &k);
    return nnm_vf_widen(eh, el, k);
}

NNM_INLINE float d32n_elu(float x, double alpha, double b)
{
    NNM_UNUSED(b);
    return nnm_fblend(nnm_fless(0.0f, x), 1.0f, nnm_vf_narrow(alpha * nnm_vf_exp_neg_d(x)));
}

/* g times (1 above 0, alpha e^x below): the factor chosen before the product, as
 * g * d_elu does (no product of g with alpha on the discarded side) */
NNM_INLINE float b32n_elu(float x, double g, double alpha)
{
    double s = nnm_blend(nnm_less(0.0, (double)x), 1.0, alpha);
    return nnm_vf_narrow(g * (s * nnm_vf_exp_neg_d(x)));
}

#endif

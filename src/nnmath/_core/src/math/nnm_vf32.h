/* float32 math in float32 arithmetic, for loops that run 8 (AVX2) or 16 (AVX-512) float32
 * lanes per vector instead of 4 or 8 float64 ones (see README.md, "The native float32
 * math").
 *
 * The functions return more than a float32: e^t as 2^k (1 + uh + ul), with uh + ul the
 * float32 pair of e^r - 1 to about 2^-32, so that the formulas built on them
 * (../nnm_formulas_f32n.h) can divide and multiply with error-free steps and round once.
 *
 * Every level computes the same bits: the polynomial uses plain float32 multiplies and
 * adds (no fmaf: with -ffp-contract=off nothing is fused), and the only products whose
 * rounding error is needed go through nnm_vf_two_prod, which is exact both as fmaf
 * (levels with hardware FMA) and as Dekker's split (the x86-64 baseline), for operands
 * whose product and error stay normal (the callers keep them there). Inputs are finite and
 * not NaN (the loops route NaN around the formulas); no flag but inexact and underflow
 * (of results that are themselves tiny, or of discarded lanes) is raised.
 */
#ifndef NNM_VF32_H
#define NNM_VF32_H

#include "nnm_exp.h"

/* ---- float32 bits, masks and blends -------------------------------------------------- */
NNM_INLINE uint32_t nnm_fbits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

NNM_INLINE float nnm_ffrom_bits(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

NNM_INLINE uint32_t nnm_fmask(int c)
{
    return (uint32_t)0 - (uint32_t)(c != 0);
}

/* m ? a : b on the bits */
NNM_INLINE float nnm_fblend(uint32_t m, float a, float b)
{
    return nnm_ffrom_bits((m & nnm_fbits(a)) | (~m & nnm_fbits(b)));
}

/* all ones where a < b (a, b not NaN): the quiet compare, which vectorises at every x86
 * level for float32 (SSE's cmpltps) */
NNM_INLINE uint32_t nnm_fless(float a, float b)
{
    return nnm_fmask(isless(a, b));
}

NNM_INLINE float nnm_fabs_(float x)
{
    return nnm_ffrom_bits(nnm_fbits(x) & 0x7fffffffu);
}

NNM_INLINE float nnm_fcopysign_(float x, float s)
{
    return nnm_ffrom_bits((nnm_fbits(x) & 0x7fffffffu) | (nnm_fbits(s) & 0x80000000u));
}

NNM_INLINE float nnm_fmin_(float a, float b)
{
    return nnm_fblend(nnm_fless(b, a), b, a);
}

NNM_INLINE float nnm_fmax_(float a, float b)
{
    return nnm_fblend(nnm_fless(a, b), b, a);
}

/* 2^k for an integral float k in [-126, 127], from the exponent bits (adding 1.5 2^23
 * puts k in the low mantissa bits) */
NNM_INLINE float nnm_vf_pow2(float k)
{
    uint32_t ki = nnm_fbits(k + 0x1.8p23f) - nnm_fbits(0x1.8p23f);
    return nnm_ffrom_bits((ki + 127u) << 23);
}

/* y 2^k for an integral float k in [-200, 200] and y in [2^-2, 2^2): two factors 2^k1,
 * 2^(k - k1) with k1 = round(k/2), the first product normal and exact, so a subnormal
 * result is rounded once */
NNM_INLINE float nnm_vf_ldexp(float y, float k)
{
    float k1 = (k * 0.5f + 0x1.8p23f) - 0x1.8p23f;
    return (y * nnm_vf_pow2(k1)) * nnm_vf_pow2(k - k1);
}

/* ---- error-free steps ------------------------------------------------------------------ */

/* a + b = s + *e exactly */
NNM_INLINE float nnm_vf_two_sum(float a, float b, float *e)
{
    float s = a + b;
    float bb = s - a;
    *e = (a - (s - bb)) + (b - bb);
    return s;
}

/* a + b = s + *e exactly when |a| >= |b| (or a = 0) */
NNM_INLINE float nnm_vf_fast_two_sum(float a, float b, float *e)
{
    float s = a + b;
    *e = b - (s - a);
    return s;
}

/* a b = p + *e exactly, for a b and its error normal (|a b| >= 2^-100, no overflow):
 * fmaf with hardware FMA, Dekker's split (2^12 + 1) without; the same bits either way */
NNM_INLINE float nnm_vf_two_prod(float a, float b, float *e)
{
    float p = a * b;
#ifdef NNM_HAVE_FMA
    *e = fmaf(a, b, -p);
#else
    float t = 4097.0f * a;
    float ah = t - (t - a);
    float al = a - ah;
    t = 4097.0f * b;
    float bh = t - (t - b);
    float bl = b - bh;
    *e = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
#endif
    return p;
}

/* (nh + nl) / (dh + dl) = q + *c to about 2^-44 relative, for normal q and dh in [1, 4]:
 * q = nh (1/dh) within 2 ulps, the remainder nh - q dh exact (two_prod, Sterbenz) and
 * corrected by nl and q dl, times 1/dh. One division. */
NNM_INLINE float nnm_vf_div(float nh, float nl, float dh, float dl, float *c)
{
    float inv = 1.0f / dh;
    float q = nh * inv;
    float pl, ph = nnm_vf_two_prod(q, dh, &pl);
    float r = (((nh - ph) - pl) + nl) - q * dl;
    *c = r * inv;
    return q;
}

/* ---- exp ------------------------------------------------------------------------------- */

/* ln 2 = C1 + C2 + C3, C1 and C2 of 9 bits. For finite t, |t| <= 745, and k = round(t / ln2)
 * (|k| <= 1075), t - k C1 and k C2 are exact (at most 20 bits), and so is
 * rh = (t - k C1) - k C2: for k != 0 both are multiples of min(ulp(t), 2^-21) >= 2^-25
 * (|t| > 0.34) and |rh| < 0.35, so rh fits in 24 bits; for k = 0, rh = t. Only k C3 is
 * rounded, into rl (|rl| < 2^-18, error below 2^-42). */
#define NNM_VF_LN2_1 0x1.63p-1f
#define NNM_VF_LN2_2 -0x1.bdp-13f
#define NNM_VF_LN2_3 -0x1.05c61p-29f

/* t = k ln2 + rh + *rl (see above); *kf = k */
NNM_INLINE float nnm_vf_reduce(float t, float *rl, float *kf)
{
    float k = (t * 0x1.715476p0f + 0x1.8p23f) - 0x1.8p23f;
    *kf = k;
    *rl = -(k * NNM_VF_LN2_3);
    return (t - k * NNM_VF_LN2_1) - k * NNM_VF_LN2_2;
}

/* e^t = 2^k (1 + uh + *ul) for finite t in [-745, 89] (callers clamp), *kf = k:
 * |uh + ul - (e^r - 1)| below 2^-32 absolutely and 2^-29 relatively (for the k = 0 of
 * small t too, where e^t - 1 = uh + ul itself).
 *
 * e^(rh + rl) - 1 = u + rl (1 + u), u = e^rh - 1 = rh + rh^2/2 + rh^3 Q(rh), with rh^2
 * exact (two_prod; |rh| below 2^-30 is taken as 0 there: its square would be tiny, and
 * fmaf and Dekker's product could differ on it), Q of degree 4 (fitted in float32
 * coefficients on |r| <= ln2/2: |r^3 Q(r) - (e^r - 1 - r - r^2/2)| < 2^-33), and the sum
 * normalised. */
#define NNM_VF_Q0 0x1.555556p-3f
#define NNM_VF_Q1 0x1.5554e4p-5f
#define NNM_VF_Q2 0x1.110feep-7f
#define NNM_VF_Q3 0x1.6d514ep-10f
#define NNM_VF_Q4 0x1.a27408p-13f
NNM_INLINE float nnm_vf_expm1_core(float t, float *ul, float *kf)
{
    float rl, rh = nnm_vf_reduce(t, &rl, kf);
    float rs = nnm_fblend(nnm_fless(nnm_fabs_(rh), 0x1p-30f), 0.0f, rh);
    float sl, sh = nnm_vf_two_prod(rs, rs, &sl);
    float q = NNM_VF_Q4;
    q = q * rs + NNM_VF_Q3;
    q = q * rs + NNM_VF_Q2;
    q = q * rs + NNM_VF_Q1;
    q = q * rs + NNM_VF_Q0;
    float cube = (sh * rs) * q;
    float e1, h = nnm_vf_fast_two_sum(rh, 0.5f * sh, &e1);
    float lo = e1 + (0.5f * sl + cube);
    lo += rl + rl * (h + lo); /* e^(rh + rl) - 1 = u + rl (1 + u), u = e^rh - 1 */
    return nnm_vf_fast_two_sum(h, lo, ul);
}

/* e^t = 2^k (eh + *el) for finite t in [-745, 89], *kf = k; eh + el = e^r in [0.70, 1.42],
 * normalised, to about 2^-27 relatively: e^r = e^rh (1 + rl), e^rh = (1 + rh) + rh^2/2 + rh^3 Q(rh),
 * 1 + rh split exactly (fast_two_sum), the rest in plain float32 (the roundings of
 * rh^2/2 < 0.061 and of rh^3 Q < 0.007 are the error; no error-free product) */
NNM_INLINE float nnm_vf_exp_core(float t, float *el, float *kf)
{
    float rl, rh = nnm_vf_reduce(t, &rl, kf);
    float q = NNM_VF_Q4;
    q = q * rh + NNM_VF_Q3;
    q = q * rh + NNM_VF_Q2;
    q = q * rh + NNM_VF_Q1;
    q = q * rh + NNM_VF_Q0;
    float sq = rh * rh;
    float l, h = nnm_vf_fast_two_sum(1.0f, rh, &l);
    l += 0.5f * sq + (sq * rh) * q;
    l += rl * (h + l); /* e^(rh + rl) = e^rh (1 + rl) */
    return nnm_vf_fast_two_sum(h, l, el);
}

/* e^t - 1 = mh + *ml for t in [-87, 0] (callers clamp), relative error about 2^-29:
 * (2^k - 1) + 2^k (uh + ul) with 2^k - 1 split exactly (two_sum) and the first two terms
 * summed by two_sum; k = 0 is uh + ul itself (nothing cancels), k != 0 means |t| > ln2/2
 * and |e^t - 1| > 0.29 */
NNM_INLINE float nnm_vf_expm1(float t, float *ml)
{
    float kf, ul, uh = nnm_vf_expm1_core(t, &ul, &kf);
    float p = nnm_vf_pow2(kf);
    float al, ah = nnm_vf_two_sum(p, -1.0f, &al);
    float sl, sh = nnm_vf_two_sum(ah, p * uh, &sl);
    *ml = sl + (al + p * ul);
    return sh;
}

/* ---- the final step in float64 ----------------------------------------------------------
 * (h + l) 2^k g, rounded once to float64 and then to float32: h + l is exact in float64
 * (h, l float32 with |l| <= 2^-20 |h|), the scaling exact for k in [-1022, 1023], so only
 * the product with g rounds (2^-53) before the float32 rounding; no overflow for a finite
 * float32 result, and a subnormal result is rounded once (from float64). */
NNM_INLINE double nnm_vf_widen(float h, float l, float kf)
{
    return ((double)h + (double)l) * nnm__pow2d((double)kf);
}

/* float64 -> float32 without the overflow flag: |v| >= 2^128 - 2^103 (which rounds to
 * infinity) becomes the infinity of its sign before the conversion; NaN stays NaN. As
 * nnm_d2f, but with masks that vectorise at the SSE2 baseline too (nnm_lt, the NaN mask
 * by a 64-bit subtraction), where nnm_d2f's 64-bit compares keep a loop scalar. */
NNM_INLINE float nnm_vf_narrow(double v)
{
    uint64_t b = nnm_bits(v) & 0x7fffffffffffffffULL;
    uint64_t nanm = (uint64_t)0 - ((0x7ff0000000000000ULL - b) >> 63);
    uint64_t over = nnm_lt(0x1.fffffefffffffp127, nnm_from_bits(b & ~nanm));
    return (float)nnm_blend(over, nnm_copysign(INFINITY, v), v);
}

#endif /* NNM_VF32_H */

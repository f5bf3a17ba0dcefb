/* Bit helpers, blends and double-double steps for the vectorisable math (see README.md).
 *
 * Everything here is `static inline` on `double`, free of branches on data, so that
 * GCC and Clang vectorise a plain loop over an array that calls these functions.
 * Conditions on data come from 32-bit integer compares of the high word (they vectorise
 * at every x86 level, SSE2 included) or from a double compare whose `?:` arms are plain
 * variables; blends are bit masks.  The next header to read is nnm_exp.h.
 */
#ifndef NNM_DD_H
#define NNM_DD_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Every function is inlined into the caller's loop: a call left in it (Clang declines to
 * inline the larger erf functions on its own) stops vectorisation. */
#if defined(__GNUC__) || defined(__clang__)
#define NNM_INLINE static inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define NNM_INLINE static __forceinline
#else
#define NNM_INLINE static inline
#endif

/* Hardware FMA: then fma() is one instruction, and the polynomials and double-double
 * products use it.  Without it (x86-64 baseline, SSE2) fma() would be a library call that
 * stops vectorisation, so the code uses a*b + c and Dekker's product instead; results then
 * differ from the FMA levels in the last bit now and then, within the accuracy targets. */
#if !defined(NNM_HAVE_FMA) && !defined(NNM_NO_FMA) && \
    (defined(__FMA__) || defined(__aarch64__) || defined(__ARM_FEATURE_FMA))
#define NNM_HAVE_FMA 1
#endif

#ifdef NNM_HAVE_FMA
#define NNM_FMA(a, b, c) fma((a), (b), (c))
#else
#define NNM_FMA(a, b, c) ((a) * (b) + (c))
#endif

/* 64-bit integer compares and double-compare masks vectorise from SSE4.2 on (and on
 * AArch64); plain SSE2 lacks them, and there the masks come from 32-bit compares of the
 * high word and from the sign of a difference.  Both forms give the same masks. */
#if defined(__SSE4_2__) || defined(__AVX__) || defined(__aarch64__) || defined(_M_ARM64)
#define NNM_WIDE_COMPARE 1
#endif

NNM_INLINE uint64_t nnm_bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

NNM_INLINE double nnm_from_bits(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* The high 32 bits without the sign: sign-free magnitude order for finite and infinite
 * values, >= 0x7ff00000 exactly for inf and NaN. */
NNM_INLINE int32_t nnm_abs_hi(double x)
{
    return (int32_t)((nnm_bits(x) >> 32) & 0x7fffffffu);
}

/* All ones where c is nonzero, else zero. */
NNM_INLINE uint64_t nnm_mask(int c)
{
    return (uint64_t)0 - (uint64_t)(c != 0);
}

/* m ? a : b on the bits, with both a and b computed (keeps the loop free of control flow). */
NNM_INLINE double nnm_blend(uint64_t m, double a, double b)
{
    return nnm_from_bits((m & nnm_bits(a)) | (~m & nnm_bits(b)));
}

/* Mask of the lanes where x is inf or NaN. */
NNM_INLINE uint64_t nnm_nonfinite_mask(double x)
{
#ifdef NNM_WIDE_COMPARE
    int64_t a = (int64_t)(nnm_bits(x) & 0x7fffffffffffffffu);
    return a >= (int64_t)0x7ff0000000000000 ? ~(uint64_t)0 : 0;
#else
    return nnm_mask(nnm_abs_hi(x) >= 0x7ff00000);
#endif
}

/* x with its sign replaced by that of s. */
NNM_INLINE double nnm_copysign(double x, double s)
{
    return nnm_from_bits((nnm_bits(x) & 0x7fffffffffffffffu) | (nnm_bits(s) & 0x8000000000000000u));
}

/* All ones where a < b, for non-NaN a, b whose difference is finite: the sign of a - b
 * (+0 when a == b).  Float compares would need 64-bit mask selects, which GCC does not
 * vectorise on SSE2, and `?:` lets it sink arithmetic into a branch ("control flow in
 * loop"); this is plain arithmetic at every level. */
NNM_INLINE uint64_t nnm_lt(double a, double b)
{
#ifdef NNM_WIDE_COMPARE
    return a < b ? ~(uint64_t)0 : 0;
#else
    return (uint64_t)0 - (nnm_bits(a - b) >> 63);
#endif
}

/* Sign bit set (-0 included; a NaN's sign bit too). */
NNM_INLINE uint64_t nnm_signbit_mask(double x)
{
#ifdef NNM_WIDE_COMPARE
    return (int64_t)nnm_bits(x) < 0 ? ~(uint64_t)0 : 0;
#else
    return nnm_mask((int32_t)(nnm_bits(x) >> 32) < 0);
#endif
}

/* x == +0 or -0. */
NNM_INLINE uint64_t nnm_zero_mask(double x)
{
    uint64_t u = nnm_bits(x);
#ifdef NNM_WIDE_COMPARE
    return (u & 0x7fffffffffffffffu) == 0 ? ~(uint64_t)0 : 0;
#else
    return nnm_mask((int32_t)(((u >> 32) & 0x7fffffffu) | (u & 0x7fffffffu) | ((u >> 31) & 1u)) ==
                    0);
#endif
}

/* Minimum and maximum of non-NaN values (with a finite difference). */
NNM_INLINE double nnm_min(double a, double b)
{
    return nnm_blend(nnm_lt(b, a), b, a);
}

NNM_INLINE double nnm_max(double a, double b)
{
    return nnm_blend(nnm_lt(a, b), b, a);
}

/* 2^k as a double for integer k in [-1022, 1023]. */
NNM_INLINE double nnm_pow2i(int64_t k)
{
    return nnm_from_bits((uint64_t)(k + 1023) << 52);
}

/* y * 2^k for k in [-1076, 1024] with one rounding (into the subnormal range only). */
NNM_INLINE double nnm_ldexp2(double y, int64_t k)
{
    int64_t k1 = (int64_t)((uint64_t)(k + 2048) >> 1) - 1024;
    return (y * nnm_pow2i(k1)) * nnm_pow2i(k - k1);
}

/* ---- error-free transformations ---------------------------------------------------- */

/* a + b = s + *e exactly (any a, b without overflow). */
NNM_INLINE double nnm_two_sum(double a, double b, double *e)
{
    double s = a + b;
    double bb = s - a;
    *e = (a - (s - bb)) + (b - bb);
    return s;
}

/* a + b = s + *e exactly when |a| >= |b| (or a == 0). */
NNM_INLINE double nnm_fast_two_sum(double a, double b, double *e)
{
    double s = a + b;
    *e = b - (s - a);
    return s;
}

/* a * b = p + *e exactly (|a|, |b| < 2^995 and no underflow of the error term). */
NNM_INLINE double nnm_two_prod(double a, double b, double *e)
{
    double p = a * b;
#ifdef NNM_HAVE_FMA
    *e = fma(a, b, -p);
#else
    double t = 134217729.0 * a; /* Dekker's split, 2^27 + 1 */
    double ah = t - (t - a);
    double al = a - ah;
    t = 134217729.0 * b;
    double bh = t - (t - b);
    double bl = b - bh;
    *e = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
#endif
    return p;
}

/* ---- double-double arithmetic (hi + lo, |lo| <= ulp(hi)/2) -------------------------- */

/* (ah + al) + (bh + bl), relative error ~2^-104. */
NNM_INLINE double nnm_dd_add(double ah, double al, double bh, double bl, double *lo)
{
    double e;
    double s = nnm_two_sum(ah, bh, &e);
    e += al + bl;
    return nnm_fast_two_sum(s, e, lo);
}

/* (ah + al) * (bh + bl), relative error ~2^-102. */
NNM_INLINE double nnm_dd_mul(double ah, double al, double bh, double bl, double *lo)
{
    double e;
    double p = nnm_two_prod(ah, bh, &e);
    e += ah * bl + al * bh;
    return nnm_fast_two_sum(p, e, lo);
}

/* (ah + al) * b for a double b. */
NNM_INLINE double nnm_dd_mul_d(double ah, double al, double b, double *lo)
{
    double e;
    double p = nnm_two_prod(ah, b, &e);
    e += al * b;
    return nnm_fast_two_sum(p, e, lo);
}

/* (ah + al) / (bh + bl), relative error ~2^-100 (bh != 0, no overflow).  One division:
 * q = ah (1/bh) is within 2 ulp of the quotient, and the remainder times 1/bh corrects it
 * (the correction's own error is ~2^-52 of 2 ulp). */
NNM_INLINE double nnm_dd_div(double ah, double al, double bh, double bl, double *lo)
{
    double inv = 1.0 / bh;
    double q = ah * inv;
    double pl;
    double ph = nnm_two_prod(q, bh, &pl);
    /* remainder a - q b, to first order; ah - ph is exact (Sterbenz) */
    double r = ((ah - ph) - pl + al) - q * bl;
    return nnm_fast_two_sum(q, r * inv, lo);
}

#endif /* NNM_DD_H */

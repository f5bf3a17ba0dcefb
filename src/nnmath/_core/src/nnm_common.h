/* Shared by every translation unit of the core: element conversions, NaN tests without
 * floating-point compares, error-free products, and the ISA symbol suffix. */
#ifndef NNM_COMMON_H
#define NNM_COMMON_H
#include <stdint.h>
#include <string.h>

#include "math/nnm_math.h" /* the scalar math, vectorisable: see src/math/README.md */

/* NNM_INLINE (from the math headers): static inline, and always inlined by GCC and Clang.
 * kernels.c instantiates every formula in dozens of loops; left to its own judgment the
 * compiler keeps a formula out of line and the loop that calls it does not vectorise. */

#define NNM_CAT_(a, b) a##b
#define NNM_CAT(a, b) NNM_CAT_(a, b)
/* kernels.c is compiled once per ISA level with NNM_SUFFIX set (_avx512, _avx2,
 * _baseline); module.c sees every level's table under its own name */
#ifdef NNM_SUFFIX
#define NNM_SYM(name) NNM_CAT(name, NNM_SUFFIX)
#endif

/* NaN by an integer compare of the bits: no floating-point compare of a NaN (an ordered
 * one raises invalid on any NaN, even x != x does on a signalling one) */
NNM_INLINE int nnm_isnan(double x)
{
    return (nnm_bits(x) & 0x7fffffffffffffffULL) > 0x7ff0000000000000ULL;
}

/* All ones where x is NaN, else zero: the sign of 0x7ff0000000000000 - |bits| (both below
 * 2^63), so only a 64-bit subtraction and shift, which vectorise at every level (SSE2's
 * 64-bit integer compares are missing, and a loop with one stays scalar there). */
NNM_INLINE uint64_t nnm_nan_mask(double x)
{
    uint64_t a = nnm_bits(x) & 0x7fffffffffffffffULL;
    return (uint64_t)0 - ((0x7ff0000000000000ULL - a) >> 63);
}

/* All ones where x is +-inf (not NaN), from the two masks above: integer arithmetic that
 * vectorises at every level (a compare of |x| with INFINITY does not on SSE2) */
NNM_INLINE uint64_t nnm_inf_mask(double x)
{
    return nnm_nonfinite_mask(x) & ~nnm_nan_mask(x);
}

/* Masks of quiet compares for the formulas: all ones where a < b (a > b, a <= b), for a
 * and b not NaN whose difference is finite. Where 64-bit mask compares vectorise
 * (NNM_WIDE_COMPARE) the quiet macro; on plain SSE2 the sign of (a - b) + 0 (a - b is
 * never zero for a != b, and + 0 turns the -0 of -0 - +0 into +0), which is plain
 * arithmetic there. Both give the same masks, so the results do not depend on the form. */
NNM_INLINE uint64_t nnm_less(double a, double b)
{
#ifdef NNM_WIDE_COMPARE
    return nnm_mask(isless(a, b));
#else
    return (uint64_t)0 - (nnm_bits((a - b) + 0.0) >> 63);
#endif
}

NNM_INLINE uint64_t nnm_greater(double a, double b)
{
    return nnm_less(b, a);
}

NNM_INLINE uint64_t nnm_less_equal(double a, double b)
{
    return ~nnm_less(b, a);
}

NNM_INLINE uint64_t nnm_greater_equal(double a, double b)
{
    return ~nnm_less(a, b);
}

/* c ? t : f without control flow (for int conditions; the formulas use the masks above
 * and nnm_blend). Where 64-bit integer masks vectorise (SSE4.2, AVX,
 * AArch64) a blend of bits, which the compiler cannot turn back into a branch or fold
 * into a compare; on plain SSE2 they do not, and a select of doubles is what the
 * vectoriser there if-converts. Both give the same bits. */
#if defined(__SSE4_2__) || defined(__AVX__) || defined(__aarch64__) || defined(_M_ARM64)
#define NNM_BIT_BLEND 1
#endif

NNM_INLINE double nnm_sel(int c, double t, double f)
{
#ifdef NNM_BIT_BLEND
    uint64_t m = (uint64_t)0 - (uint64_t)(c != 0);
    return nnm_from_bits((m & nnm_bits(t)) | (~m & nnm_bits(f)));
#else
    return c ? t : f;
#endif
}

/* float16 <-> float64. Widening is exact; narrowing rounds once, to nearest even,
 * straight from float64 (no double rounding through float32). */
NNM_INLINE double nnm_h2d(uint16_t h)
{
    uint64_t sign = (uint64_t)(h & 0x8000u) << 48;
    uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0) {
        double v = (double)m * 0x1p-24; /* zero or subnormal, exact */
        return nnm_from_bits(nnm_bits(v) | sign);
    }
    if (e == 31) { /* inf, or NaN with its payload, made quiet */
        uint64_t quiet = m ? 0x0008000000000000ULL : 0;
        return nnm_from_bits(sign | 0x7ff0000000000000ULL | quiet | ((uint64_t)m << 42));
    }
    return nnm_from_bits(sign | ((uint64_t)(e - 15 + 1023) << 52) | ((uint64_t)m << 42));
}

NNM_INLINE uint16_t nnm_d2h(double d)
{
    uint64_t b = nnm_bits(d);
    uint16_t sign = (uint16_t)((b >> 48) & 0x8000u);
    uint64_t a = b & 0x7fffffffffffffffULL;
    if (a >= 0x7ff0000000000000ULL) { /* inf, or NaN kept quiet */
        uint16_t m = a > 0x7ff0000000000000ULL ? (uint16_t)(0x200u | ((a >> 42) & 0x3ffu)) : 0;
        return (uint16_t)(sign | 0x7c00u | m);
    }
    int e = (int)(a >> 52) - 1023;
    if (e > 15) {
        return (uint16_t)(sign | 0x7c00u);
    }
    if (e < -26) { /* below half the smallest subnormal (2^-25): rounds to zero */
        return sign;
    }
    uint64_t mant = (a & 0x000fffffffffffffULL) | 0x0010000000000000ULL;
    int shift = e >= -14 ? 42 : 42 + (-14 - e);
    uint64_t q = mant >> shift, rem = mant & ((1ULL << shift) - 1), half = 1ULL << (shift - 1);
    q += (rem > half) | ((rem == half) & (q & 1));
    if (e >= -14) { /* a carry out of the mantissa steps the exponent, up to inf */
        return (uint16_t)(sign | (((uint64_t)(e + 15) << 10) + (q - 0x400u)));
    }
    return (uint16_t)(sign | q);
}

/* float64 -> float32, rounded once, with no overflow flag: a value that rounds beyond
 * FLT_MAX (|d| >= 2^128 - 2^103, the tie rounds up to 2^128) is replaced by the infinity
 * of its sign before the conversion, which gives the same result. Other flags are those
 * of the conversion (inexact, underflow: NumPy ignores both by default). */
NNM_INLINE float nnm_d2f(double d)
{
    uint64_t b = nnm_bits(d);
    uint64_t a = b & 0x7fffffffffffffffULL;
    /* a >= the bound and a < inf, from the signs of 64-bit differences (a and both
     * constants are below 2^63): SSE2 has no 64-bit compare, and one stops the loop from
     * vectorising at the baseline level */
    uint64_t at_least = ((a - 0x47effffff0000000ULL) >> 63) ^ 1;
    uint64_t over = at_least & ((a - 0x7ff0000000000000ULL) >> 63);
    uint64_t m = (uint64_t)0 - over;
    uint64_t inf = (b & 0x8000000000000000ULL) | 0x7ff0000000000000ULL;
    return (float)nnm_from_bits((b & ~m) | (inf & m));
}

/* Element types of the loops and their conversions to and from float64 (LD_S, ST_S for
 * S = e: float16, f: float32, d: float64). */
typedef uint16_t nnm_half;

#define LD_e(v) nnm_h2d(v)
#define ST_e(d) nnm_d2h(d)
#define LD_f(v) ((double)(v))
#define ST_f(d) nnm_d2f(d)
#define LD_d(v) (v)
#define ST_d(d) (d)

#endif

/* Shared by every translation unit of the core: element conversions, NaN tests without
 * floating-point compares, error-free products, and the ISA symbol suffix. */
#ifndef NNM_COMMON_H
#define NNM_COMMON_H
#include <stdint.h>
#include <string.h>

#include "math/nnm_math_shim.h"

#define NNM_CAT_(a, b) a##b
#define NNM_CAT(a, b) NNM_CAT_(a, b)
/* kernels.c is compiled once per ISA level with NNM_SUFFIX set (_avx512, _avx2,
 * _baseline); module.c sees every level's table under its own name */
#ifdef NNM_SUFFIX
#define NNM_SYM(name) NNM_CAT(name, NNM_SUFFIX)
#endif

static inline uint64_t nnm_bits(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static inline double nnm_from_bits(uint64_t b)
{
    double x;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* NaN by integer compare: a vector compare of a NaN would raise the invalid flag, which
 * NumPy reports as a RuntimeWarning */
static inline int nnm_isnan(double x)
{
    return (nnm_bits(x) & 0x7fffffffffffffffULL) > 0x7ff0000000000000ULL;
}

/* float16 <-> float64. Widening is exact; narrowing rounds once, to nearest even,
 * straight from float64 (no double rounding through float32). */
static inline double nnm_h2d(uint16_t h)
{
    uint64_t sign = (uint64_t)(h & 0x8000u) << 48;
    uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0) {
        double v = (double)m * 0x1p-24; /* zero or subnormal, exact */
        return nnm_from_bits(nnm_bits(v) | sign);
    }
    if (e == 31) { /* inf, or NaN with its payload and quiet bit */
        return nnm_from_bits(sign | 0x7ff0000000000000ULL | ((uint64_t)m << 42));
    }
    return nnm_from_bits(sign | ((uint64_t)(e - 15 + 1023) << 52) | ((uint64_t)m << 42));
}

static inline uint16_t nnm_d2h(double d)
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

/* p + lo = a * b exactly. With hardware FMA the error term is one fma; without it, a
 * Dekker split (an fma() call would be a slow library routine there). Both are exact,
 * so every ISA level gets the same bits. */
static inline double nnm_two_prod(double a, double b, double *lo)
{
    double p = a * b;
#if defined(__FMA__) || defined(__aarch64__)
    *lo = fma(a, b, -p);
#else
    const double split = 134217729.0; /* 2^27 + 1 */
    double ca = split * a, cb = split * b;
    double ah = ca - (ca - a), al = a - ah;
    double bh = cb - (cb - b), bl = b - bh;
    *lo = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
#endif
    return p;
}

/* s + err = a - b exactly (Knuth's two-sum, no branch) */
static inline double nnm_two_diff(double a, double b, double *err)
{
    double s = a - b;
    double bb = s - a;
    *err = (a - (s - bb)) - (b + bb);
    return s;
}

#endif

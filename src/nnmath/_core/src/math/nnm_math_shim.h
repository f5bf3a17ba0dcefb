/* Temporary scalar math for the core: the C library behind the names that the
 * vectorisable headers of src/math/ provide (nnm_exp, nnm_expm1, ..., and the bit and
 * error-free helpers nnm_bits, nnm_from_bits, nnm_two_prod, nnm_two_sum). Replacing this
 * file's include in nnm_common.h by "math/nnm_math.h" swaps in those headers. */
#ifndef NNM_MATH_SHIM_H
#define NNM_MATH_SHIM_H
#include <math.h>
#include <stdint.h>
#include <string.h>

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

/* s + err = a + b exactly (Knuth's two-sum, no branch) */
static inline double nnm_two_sum(double a, double b, double *err)
{
    double s = a + b;
    double bb = s - a;
    *err = (a - (s - bb)) + (b - bb);
    return s;
}


static inline double nnm_exp(double x) { return exp(x); }
static inline double nnm_expm1(double x) { return expm1(x); }
static inline double nnm_log(double x) { return log(x); }
static inline double nnm_log1p(double x) { return log1p(x); }
static inline double nnm_tanh(double x) { return tanh(x); }
static inline double nnm_erf(double x) { return erf(x); }
static inline double nnm_erfc(double x) { return erfc(x); }

#endif

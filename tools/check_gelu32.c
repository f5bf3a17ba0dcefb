/* Every float32 input of the core's float32 exact GELU (f32_gelu, d32_gelu in
 * src/nnmath/_core/src/nnm_formulas.h) against a long double reference from the C
 * library's erfcl and expl (64-bit significand: |error| ~1e-19 relative, and next to the
 * zero of gelu' at x = -0.7518, where no float32 lies closer than 1.2e-8, ~2^-37 of the
 * result). Prints the largest error in float32 ulps (of the reference's spacing; the
 * subnormal spacing 2^-149 below 2^-126) and how many inputs exceed 1 ulp.
 *
 *   cc -O2 -std=c11 -ffp-contract=off -fno-math-errno -march=x86-64-v3 \
 *      -Isrc/nnmath/_core/src tools/check_gelu32.c -o check_gelu32 -lm
 *   ./check_gelu32 [first_bits last_bits]   (bit patterns, default all 2^32; NaNs skipped)
 */
#include <fenv.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnm_formulas.h"

static long double ulp32(long double v)
{
    long double av = fabsl(v);
    if (av < 0x1p-126L) {
        return 0x1p-149L;
    }
    int e;
    frexpl(av, &e); /* av in [2^(e-1), 2^e) */
    return ldexpl(1.0L, e - 24);
}

static void reference(float xf, long double *f, long double *d)
{
    const long double inv_sqrt_2pi = 0.398942280401432677939946059934381868L;
    long double x = xf, ax = fabsl(x);
    if (ax >= 16.0L) { /* Phi(-16) < 1e-57: gelu = max(x, 0), gelu' = [x > 0] (both within
                        * 2^-150 of the true values, far below the ulps measured) */
        *f = x > 0 ? x : 0.0L;
        *d = x > 0 ? 1.0L : 0.0L;
        return;
    }
    if (ax < 0x1p-20L) { /* Phi(x) = 1/2 + phi(0) (x - x^3/6 + ...), phi(x) = phi(0) (1 - x^2/2
                          * + ...): the next terms are below 2^-80 relative */
        long double cdf = 0.5L + inv_sqrt_2pi * (x - x * x * x / 6.0L);
        *f = x * cdf;
        *d = cdf + x * inv_sqrt_2pi * (1.0L - x * x / 2.0L);
        return;
    }
    long double cdf = erfcl(-x / sqrtl(2.0L)) / 2.0L;
    long double pdf = expl(-x * x / 2.0L) * inv_sqrt_2pi;
    *f = x * cdf;
    *d = cdf + x * pdf;
}

static double error(float got, long double want)
{
    if (isinf(want) || isinf(got)) {
        return (long double)got == want ? 0.0 : INFINITY;
    }
    return (double)(fabsl((long double)got - want) / ulp32(want));
}

int main(int argc, char **argv)
{
    uint64_t lo = argc > 2 ? strtoull(argv[1], NULL, 0) : 0;
    uint64_t hi = argc > 2 ? strtoull(argv[2], NULL, 0) + 1 : 0x100000000ull;
    enum { B = 4096 };
    static float xs[B], fy[B], dy[B];
    double worst[2] = {0.0, 0.0};
    float at[2] = {0.0f, 0.0f};
    unsigned long long over[2] = {0, 0}, count = 0;
    for (uint64_t base = lo; base < hi; base += B) {
        int n = 0;
        for (uint64_t u = base; u < base + B && u < hi; u++) {
            uint32_t b = (uint32_t)u;
            float f;
            memcpy(&f, &b, sizeof f);
            if ((b & 0x7fffffffu) <= 0x7f800000u) { /* not NaN (isnan of a signalling NaN
                                                     * raises invalid) */
                xs[n++] = f;
            }
        }
        for (int i = 0; i < n; i++) { /* the loops of the core, vectorised */
            fy[i] = f32_gelu(xs[i]);
        }
        for (int i = 0; i < n; i++) {
            dy[i] = d32_gelu(xs[i]);
        }
        for (int i = 0; i < n; i++) {
            long double rf, rd;
            reference(xs[i], &rf, &rd);
            double e[2] = {error(fy[i], rf), error(dy[i], rd)};
            for (int j = 0; j < 2; j++) {
                if (e[j] > worst[j]) {
                    worst[j] = e[j];
                    at[j] = xs[i];
                }
                over[j] += e[j] > 1.0;
            }
        }
        count += (unsigned long long)n;
    }
    int flags = fetestexcept(FE_INVALID | FE_DIVBYZERO | FE_OVERFLOW);
    printf("inputs %llu\n", count);
    printf("gelu max_ulp %.6f at %.9g over_1ulp %llu\n", worst[0], (double)at[0], over[0]);
    printf("gelu_grad max_ulp %.6f at %.9g over_1ulp %llu\n", worst[1], (double)at[1], over[1]);
    printf("flags invalid %d divbyzero %d overflow %d\n", !!(flags & FE_INVALID),
           !!(flags & FE_DIVBYZERO), !!(flags & FE_OVERFLOW));
    return 0;
}

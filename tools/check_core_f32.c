/* Exhaustive check of the core's float32 formulas (src/nnmath/_core/src/nnm_formulas_f32.h).
 *
 * For every float32 x (or every STRIDE-th bit pattern), the float32 result of the float32
 * formula is compared with the float64 formula of nnm_formulas.h (itself within 2 ulp of
 * float64, checked against mpmath by tests/test_core.py; 2 float64 ulps are 2^-28 float32
 * ulps), and the worst error in float32 ulps of that reference is printed (ulps of the
 * subnormal spacing 2^-149 below 2^-126). NaN inputs are skipped (the loops route them
 * around the formula). It also reports the invalid, divide-by-zero and overflow flags the
 * float32 formula's loop raised (inputs: every non-NaN float32, the infinities included).
 * Each block of inputs goes through the formula and the reference in loops that GCC
 * vectorises at -O3 (at -O2 its cheap cost model vectorises none). Build and run (minutes
 * per function on all 2^32 inputs, the float64 reference being the larger part):
 *
 *   gcc -O3 -std=c11 -ffp-contract=off -fno-math-errno -march=x86-64-v3 \
 *       -Isrc/nnmath/_core/src tools/check_core_f32.c -o /tmp/check_core_f32 -lm
 *   /tmp/check_core_f32 sigmoid [STRIDE]
 *
 * NAME_backward_big and NAME_backward_small check a fused backward with a fixed float32 g
 * (1.5 2^100 and 2^-100) in place of the parameter, against the float64 backward.
 *
 * Zeros of the other sign than the reference rounded to float32 are counted, not failed:
 * the float64 formulas of mish and gelu_tanh give +0 in parts of their negative tails
 * (mish: x in [-1000, -751.8]; gelu_tanh: [-23.8, -21.5]), where the float32 formulas give
 * -0, the sign of the exact value; likewise log_sigmoid above x = 745 (float32: -0).
 * The exit status is 1 if any error exceeds 1 ulp or a flag was raised.
 */
#include <fenv.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnm_formulas_f32.h"
#include "check_f32_ulps.h"

/* name, float32 formula, float64 reference, parameter */
#define FUNCS(X) \
    X(sigmoid, f32_sigmoid, f_sigmoid, 0.0) \
    X(sigmoid_grad, d32_sigmoid, d_sigmoid, 0.0) \
    X(log_sigmoid, f32_log_sigmoid, f_log_sigmoid, 0.0) \
    X(log_sigmoid_grad, d32_log_sigmoid, d_log_sigmoid, 0.0) \
    X(softplus, f32_softplus, f_softplus, 1.0) \
    X(softplus_beta3, f32_softplus, f_softplus, 3.0) \
    X(softplus_grad, d32_softplus, d_softplus, 1.0) \
    X(silu, f32_silu, f_silu, 0.0) \
    X(elu, f32_elu, f_elu, 1.0) \
    X(elu_grad, d32_elu, d_elu, 1.0) \
    X(tanh, f32_tanh, f_tanh, 0.0) \
    X(tanh_grad, d32_tanh, d_tanh, 0.0) \
    X(selu, f32_selu, f_selu, 0.0) \
    X(selu_grad, d32_selu, d_selu, 0.0) \
    X(celu, f32_celu, f_celu, 1.0) \
    X(celu_alpha07, f32_celu, f_celu, 0.7) \
    X(celu_grad, d32_celu, d_celu, 1.0) \
    X(exponential, f32_exponential, f_exponential, 0.0) \
    X(tanh_shrink, f32_tanh_shrink, f_tanh_shrink, 0.0) \
    X(tanh_shrink_grad, d32_tanh_shrink, d_tanh_shrink, 0.0) \
    X(silu_grad, d32_silu, d_silu, 0.0) \
    X(mish, f32_mish, f_mish, 0.0) \
    X(mish_grad, d32_mish, d_mish, 0.0) \
    X(gelu_tanh, f32_gelu_tanh, f_gelu_tanh, 0.0) \
    X(gelu_tanh_grad, d32_gelu_tanh, d_gelu_tanh, 0.0) \
    /* fused backward, g (a float32) in place of the parameter: g f'(x) rounded once, where \
     * f'(x) itself is far below float32 (g = 1.5 2^100) or g f'(x) subnormal (2^-100) */ \
    X(silu_backward_big, b32_silu, b_silu, 0x1.8p100) \
    X(silu_backward_small, b32_silu, b_silu, 0x1p-100) \
    X(mish_backward_big, b32_mish, b_mish, 0x1.8p100) \
    X(mish_backward_small, b32_mish, b_mish, 0x1p-100) \
    X(gelu_tanh_backward_big, b32_gelu_tanh, b_gelu_tanh, 0x1.8p100) \
    X(gelu_tanh_backward_small, b32_gelu_tanh, b_gelu_tanh, 0x1p-100) \

/* one block: the float32 results (and the invalid, divide-by-zero and overflow flags their
 * loop raised) and the float64 references, in two loops that GCC vectorises at -O3 (the
 * formulas inlined, not called through pointers) */
#define BLOCK(name, f32, f64, a)                                                          \
    static void block_##name(const float *x, float *y, double *r, int n, int *flags)      \
    {                                                                                     \
        for (int i = 0; i < n; i++) {                                                     \
            y[i] = nnm_d2f(f32((double)x[i], a, 0.0));                                    \
        }                                                                                 \
        *flags |= fetestexcept(FE_INVALID | FE_DIVBYZERO | FE_OVERFLOW);                  \
        for (int i = 0; i < n; i++) {                                                     \
            r[i] = f64((double)x[i], a, 0.0);                                             \
        }                                                                                 \
    }
FUNCS(BLOCK)

typedef void (*block_fn)(const float *, float *, double *, int, int *);
#define BLOCK_N 4096
#define ENTRY(name, f32, f64, a) {#name, block_##name},
static const struct {
    const char *name;
    block_fn run;
} TABLE[] = {FUNCS(ENTRY)};

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s NAME [STRIDE]\n", argv[0]);
        return 2;
    }
    uint64_t stride = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
    for (size_t k = 0; k < sizeof TABLE / sizeof TABLE[0]; k++) {
        if (strcmp(argv[1], TABLE[k].name) != 0) {
            continue;
        }
        static float x[BLOCK_N], y[BLOCK_N];
        static double r[BLOCK_N];
        double worst = 0.0;
        float worst_x = 0.0f;
        uint64_t over = 0, n = 0, zsign = 0;
        int m = 0, flags = 0;
        for (uint64_t b = 0; b < 0x100000000ULL; b += stride) {
            uint32_t u = (uint32_t)b;
            if ((u & 0x7fffffffu) <= 0x7f800000u) { /* not NaN */
                memcpy(&x[m++], &u, sizeof x[0]);
            }
            if (m < BLOCK_N && b + stride < 0x100000000ULL) {
                continue;
            }
            feclearexcept(FE_ALL_EXCEPT);
            TABLE[k].run(x, y, r, m, &flags);
            for (int i = 0; i < m; i++) {
                float rf = nnm_d2f(r[i]);
                zsign += y[i] == 0.0f && rf == 0.0f && signbit(y[i]) != signbit(rf);
                double err = ulps(y[i], r[i]);
                over += err > 1.0;
                if (err > worst) {
                    worst = err;
                    worst_x = x[i];
                }
            }
            n += (uint64_t)m;
            m = 0;
        }
        printf("%s: %llu inputs, max error %.6f ulp at x = %a (%.9g), %llu above 1 ulp, "
               "%llu zeros of the other sign; flags of the float32 formula: %s%s%s%s\n",
               TABLE[k].name, (unsigned long long)n, worst, (double)worst_x, (double)worst_x,
               (unsigned long long)over, (unsigned long long)zsign, flags & FE_INVALID ? "invalid " : "",
               flags & FE_DIVBYZERO ? "divide-by-zero " : "",
               flags & FE_OVERFLOW ? "overflow " : "", flags ? "" : "none");
        return over != 0 || flags != 0;
    }
    fprintf(stderr, "unknown function %s\n", argv[1]);
    return 2;
}

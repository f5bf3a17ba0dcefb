/* Exhaustive check of the core's native float32 formulas (src/nnmath/_core/src/
 * nnm_formulas_f32n.h, float32 arithmetic).
 *
 * For every float32 x (or every STRIDE-th bit pattern), the float32 result is compared
 * with the float64 formula of nnm_formulas.h (within 2 float64 ulps of mpmath, checked by
 * tests/test_core.py; 2 float64 ulps are 2^-28 float32 ulps), and the worst error in
 * float32 ulps of that reference is printed (ulps of the subnormal spacing 2^-149 below
 * 2^-126; a reference beyond FLT_MAX must give that infinity). NaN inputs are skipped
 * (the loops route them around the formula). The backward formulas are checked with
 * several fixed g. The loops are plain array loops over blocks, so both formulas
 * vectorise; build and run (a minute or two per function on all 2^32 inputs):
 *
 *   gcc -O3 -std=c11 -ffp-contract=off -fno-math-errno -march=x86-64-v3 \
 *       -Isrc/nnmath/_core/src tools/check_core_f32n.c -o /tmp/check_core_f32n -lm
 *   /tmp/check_core_f32n sigmoid [STRIDE]     (or "all")
 *
 * Build with -march=x86-64 (no FMA) to check the baseline's code: the hash of the float32
 * results printed on each line must be the same as at x86-64-v3. The exit status is 1 if
 * any error exceeds 1 ulp.
 */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnm_formulas_f32n.h"
#include "check_f32_ulps.h"

#define BLOCK 4096

typedef struct {
    double worst;
    float worst_x;
    uint64_t over, n, hash;
} stats;

typedef void (*block_fn)(const float *x, float *y, double *r, int n, double a, double b);

/* one block of both formulas: F32N(x, a, b) in float32, F64(x, a, b) in float64 */
#define BLOCK_FN(fname, f32n, f64)                                                           \
    static void fname(const float *x, float *y, double *r, int n, double a, double b)        \
    {                                                                                        \
        for (int i = 0; i < n; i++) {                                                        \
            y[i] = f32n(x[i], a, b);                                                         \
        }                                                                                    \
        for (int i = 0; i < n; i++) {                                                        \
            r[i] = f64((double)x[i], a, b);                                                  \
        }                                                                                    \
    }

BLOCK_FN(blk_sigmoid, f32n_sigmoid, f_sigmoid)
BLOCK_FN(blk_sigmoid_grad, d32n_sigmoid, d_sigmoid)
BLOCK_FN(blk_sigmoid_backward, b32n_sigmoid, b_sigmoid)
BLOCK_FN(blk_log_sigmoid_grad, d32n_log_sigmoid, d_log_sigmoid)
BLOCK_FN(blk_log_sigmoid_backward, b32n_log_sigmoid, b_log_sigmoid)
BLOCK_FN(blk_silu, f32n_silu, f_silu)
BLOCK_FN(blk_tanh, f32n_tanh, f_tanh)
BLOCK_FN(blk_tanh_grad, d32n_tanh, d_tanh)
BLOCK_FN(blk_tanh_backward, b32n_tanh, b_tanh)
BLOCK_FN(blk_elu, f32n_elu, f_elu)
BLOCK_FN(blk_elu_grad, d32n_elu, d_elu)
BLOCK_FN(blk_elu_backward, b32n_elu, b_elu)

/* a: the parameter, or g for a backward (then b is the parameter) */
static const struct {
    const char *name;
    block_fn fn;
    double a, b;
} FUNCS[] = {
    {"sigmoid", blk_sigmoid, 0.0, 0.0},
    {"sigmoid_grad", blk_sigmoid_grad, 0.0, 0.0},
    {"sigmoid_backward", blk_sigmoid_backward, 1.7, 0.0},
    {"sigmoid_backward_gmax", blk_sigmoid_backward, -0x1.fffffep127, 0.0},
    {"sigmoid_backward_gtiny", blk_sigmoid_backward, 0x1.8p-120, 0.0},
    {"log_sigmoid_grad", blk_log_sigmoid_grad, 0.0, 0.0},
    {"log_sigmoid_backward", blk_log_sigmoid_backward, 0.3, 0.0},
    {"log_sigmoid_backward_gmax", blk_log_sigmoid_backward, 0x1.fffffep127, 0.0},
    {"silu", blk_silu, 0.0, 0.0},
    {"tanh", blk_tanh, 0.0, 0.0},
    {"tanh_grad", blk_tanh_grad, 0.0, 0.0},
    {"tanh_backward", blk_tanh_backward, -2.3, 0.0},
    {"tanh_backward_gmax", blk_tanh_backward, 0x1.fffffep127, 0.0},
    {"elu", blk_elu, 1.0, 0.0},
    {"elu_alpha07", blk_elu, 0.7, 0.0},
    {"elu_grad", blk_elu_grad, 1.0, 0.0},
    {"elu_grad_alpha07", blk_elu_grad, 0.7, 0.0},
    {"elu_backward", blk_elu_backward, 1.3, 0.7},
    {"elu_backward_gmax", blk_elu_backward, 0x1.fffffep127, 1.0},
};

static int run(size_t k, uint64_t stride)
{
    static float x[BLOCK], y[BLOCK];
    static double r[BLOCK];
    stats s = {0.0, 0.0f, 0, 0, 0xcbf29ce484222325ULL};
    int n = 0;
    for (uint64_t b = 0;; b += stride) {
        int last = b >= 0x100000000ULL;
        if (!last) {
            uint32_t u = (uint32_t)b;
            if ((u & 0x7fffffffu) > 0x7f800000u) {
                continue; /* NaN */
            }
            memcpy(&x[n++], &u, sizeof(float));
        }
        if (n == BLOCK || (last && n > 0)) {
            FUNCS[k].fn(x, y, r, n, FUNCS[k].a, FUNCS[k].b);
            for (int i = 0; i < n; i++) {
                uint32_t yb;
                memcpy(&yb, &y[i], sizeof yb);
                s.hash = (s.hash ^ yb) * 0x100000001b3ULL;
                double err = ulps(y[i], r[i]);
                s.over += err > 1.0;
                if (err > s.worst) {
                    s.worst = err;
                    s.worst_x = x[i];
                }
            }
            s.n += (uint64_t)n;
            n = 0;
        }
        if (last) {
            break;
        }
    }
    printf("%-26s %llu inputs, max error %.4f ulp at x = %a (%.9g), %llu above 1 ulp, "
           "results hash %016llx\n",
           FUNCS[k].name, (unsigned long long)s.n, s.worst, (double)s.worst_x,
           (double)s.worst_x, (unsigned long long)s.over, (unsigned long long)s.hash);
    fflush(stdout);
    return s.over != 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s NAME|all [STRIDE]\n", argv[0]);
        return 2;
    }
    uint64_t stride = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
    int found = 0, bad = 0;
    for (size_t k = 0; k < sizeof FUNCS / sizeof FUNCS[0]; k++) {
        if (strcmp(argv[1], "all") == 0 || strcmp(argv[1], FUNCS[k].name) == 0) {
            found = 1;
            bad |= run(k, stride);
        }
    }
    if (!found) {
        fprintf(stderr, "unknown function %s\n", argv[1]);
        return 2;
    }
    return bad;
}

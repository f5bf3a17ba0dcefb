/* Runs every loop of one build of the compiled core's kernels.c (every ufunc of
 * nnm_ufuncs.def, float16/float32/float64) on a fixed sample of inputs, without Python,
 * and writes the raw output bytes to stdout. Two builds whose dumps are equal give the
 * same bits. tools/check_portable_core.sh uses it to compare a build of the portable
 * baseline for AArch64 (run under qemu) with the x86-64 AVX2 level: both have hardware
 * FMA, so they must agree bitwise.
 *
 *   cc -std=c11 -ffp-contract=off -fno-math-errno -DNNM_SUFFIX=_baseline \
 *      -Isrc/nnmath/_core/src tools/core_table_dump.c src/nnmath/_core/src/kernels.c -lm
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "nnm_kernels.h"

#define N 4096
#define ROW 37 /* row length of the gufunc sample (odd: not a multiple of a vector) */

static const struct { int nin, nparam; } ew_info[] = {
#define NNM_EW(name, nin, nparam, formula, doc) {nin, nparam},
#include "nnm_ufuncs.def"
};
static const int row_nin[] = {
#define NNM_ROW(name, nin, kind, doc) nin,
#include "nnm_ufuncs.def"
};

static double xs[N], gs[N], ps[N];
static float xf[N], gf[N];
static uint16_t xh[N], gh[N];
static unsigned char out[N * 8];

static uint64_t state = 0x9e3779b97f4a7c15u;
static uint64_t next(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

/* a float16 bit pattern for a double, by truncation (any pattern is a valid input) */
static uint16_t to_half_bits(double d)
{
    float f = (float)d;
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    uint32_t sign = (u >> 16) & 0x8000u, e = (u >> 23) & 0xffu, m = u & 0x7fffffu;
    if (e == 0xff) {
        return (uint16_t)(sign | 0x7c00u | (m ? 0x200u : 0u));
    }
    int he = (int)e - 127 + 15;
    if (he >= 31) {
        return (uint16_t)(sign | 0x7c00u);
    }
    if (he <= 0) {
        return (uint16_t)sign;
    }
    return (uint16_t)(sign | ((uint32_t)he << 10) | (m >> 13));
}

static void fill(void)
{
    /* special values first, then a wide range (|x| up to ~1e3) and a narrow one */
    const double special[] = {0.0, -0.0, 1.0, -1.0, 0.5, -0.5, INFINITY, -INFINITY, NAN,
                              1e-300, -1e-300, 4.9e-324, 700.0, -700.0, 710.0, -745.0,
                              20.0, -20.0, 3.0, 6.0, -3.0, 1e-8, -1e-8};
    const int ns = (int)(sizeof special / sizeof special[0]);
    for (int i = 0; i < N; i++) {
        double u = (double)(next() >> 11) * 0x1p-53; /* [0, 1) */
        double x = i < ns ? special[i]
                   : (i & 1) ? (u - 0.5) * 2000.0
                             : (u - 0.5) * 16.0;
        double g = (double)(next() >> 11) * 0x1p-53 * 4.0 - 2.0;
        xs[i] = x;
        gs[i] = g;
        ps[i] = 0.75;
        xf[i] = (float)x;
        gf[i] = (float)g;
        xh[i] = to_half_bits(x);
        gh[i] = to_half_bits(g);
    }
}

int main(void)
{
    static const intptr_t size[3] = {2, 4, 8};
    char *xin[3] = {(char *)xh, (char *)xf, (char *)xs};
    char *gin[3] = {(char *)gh, (char *)gf, (char *)gs};
    fill();
    for (int u = 0; u < NNM_N_EW; u++) {
        for (int t = 0; t < 3; t++) {
            char *args[4];
            intptr_t steps[4];
            int nin = ew_info[u].nin, nparam = ew_info[u].nparam;
            args[0] = xin[t];
            steps[0] = size[t];
            for (int k = 1; k < nin; k++) {
                int is_param = k >= nin - nparam;
                args[k] = is_param ? (char *)ps : gin[t];
                steps[k] = is_param ? (intptr_t)sizeof(double) : size[t];
            }
            memset(out, 0, sizeof out);
            args[nin] = (char *)out;
            steps[nin] = size[t];
            nnm_table_baseline.ew[u][t](args, N, steps);
            fwrite(out, (size_t)size[t], N, stdout);
        }
    }
    for (int u = 0; u < NNM_N_ROW; u++) {
        for (int t = 0; t < 3; t++) {
            int nin = row_nin[u];
            intptr_t nrows = N / ROW;
            char *args[3] = {xin[t], gin[t], NULL};
            intptr_t steps[6];
            for (int k = 0; k <= nin; k++) {
                steps[k] = ROW * size[t];        /* between rows */
                steps[nin + 1 + k] = size[t];    /* within a row */
            }
            args[nin] = (char *)out;
            memset(out, 0, sizeof out);
            nnm_table_baseline.row[u][t](args, nrows, ROW, steps);
            fwrite(out, (size_t)size[t], (size_t)(nrows * ROW), stdout);
        }
    }
    return 0;
}

/* Single-thread time of the core's elementwise loops (kernels.c), without Python: best of
 * 15 runs over 2^20 contiguous elements, x normal(0, 3) as in benchmarks/core_bench.py,
 * ns per element, float32 and float64, for each ufunc named on the command line.
 *
 * Build against one level's object (here AVX2; NNM_SUFFIX names the table):
 *   gcc -O3 -std=c11 -ffp-contract=off -fno-math-errno -march=x86-64-v3 \
 *       -DNNM_SUFFIX=_avx2 -DNNM_X86_DISPATCH -c src/nnmath/_core/src/kernels.c -o /tmp/k.o
 *   gcc -O2 -DTABLE=nnm_table_avx2 -Isrc/nnmath/_core/src \
 *       benchmarks/core_math/kernel_bench.c /tmp/k.o -o /tmp/kernel_bench -lm
 *   /tmp/kernel_bench sigmoid silu tanh
 * Instructions per element: valgrind --tool=callgrind on a run with REPEAT=1 N=...
 * (the environment variables below), divided by N.
 */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nnm_kernels.h"

#ifndef TABLE
#define TABLE nnm_table_avx2
#endif
extern const nnm_table TABLE;

static const char *const NAMES[] = {
#define NNM_EW(name, nin, nparam, formula, doc) #name,
#include "nnm_ufuncs.def"
};
static const int NIN[] = {
#define NNM_EW(name, nin, nparam, formula, doc) nin,
#include "nnm_ufuncs.def"
};
static const int NPARAM[] = {
#define NNM_EW(name, nin, nparam, formula, doc) nparam,
#include "nnm_ufuncs.def"
};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* normal(0, 3) by Box-Muller from a fixed LCG */
static double normal3(unsigned long long *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    double u1 = ((double)(*s >> 11) + 0.5) * 0x1p-53;
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    double u2 = (double)(*s >> 11) * 0x1p-53;
    return 3.0 * sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

int main(int argc, char **argv)
{
    intptr_t n = getenv("N") ? atol(getenv("N")) : (1 << 20);
    int repeat = getenv("REPEAT") ? atoi(getenv("REPEAT")) : 15;
    double *xd = malloc(sizeof(double) * (size_t)n), *gd = malloc(sizeof(double) * (size_t)n);
    double *yd = malloc(sizeof(double) * (size_t)n);
    float *xf = malloc(sizeof(float) * (size_t)n), *gf = malloc(sizeof(float) * (size_t)n);
    float *yf = malloc(sizeof(float) * (size_t)n);
    unsigned long long s = 12345;
    for (intptr_t i = 0; i < n; i++) {
        xd[i] = normal3(&s);
        gd[i] = normal3(&s);
        xf[i] = (float)xd[i];
        gf[i] = (float)gd[i];
    }
    double param = 1.0;
    for (int a = 1; a < argc; a++) {
        int k = -1;
        for (int j = 0; j < NNM_N_EW; j++) {
            if (strcmp(NAMES[j], argv[a]) == 0) {
                k = j;
            }
        }
        if (k < 0) {
            fprintf(stderr, "unknown ufunc %s\n", argv[a]);
            return 2;
        }
        printf("%-24s", argv[a]);
        for (int t = 1; t <= 2; t++) {
            int nx = NIN[k] - NPARAM[k]; /* x, or x and g */
            char *args[4];
            intptr_t steps[4];
            intptr_t sz = t == 1 ? 4 : 8;
            args[0] = t == 1 ? (char *)xf : (char *)xd;
            args[1] = t == 1 ? (char *)gf : (char *)gd;
            steps[0] = steps[1] = sz;
            if (NPARAM[k]) {
                args[nx] = (char *)&param;
                steps[nx] = 0;
            }
            args[NIN[k]] = t == 1 ? (char *)yf : (char *)yd;
            steps[NIN[k]] = sz;
            double best = 1e30;
            for (int r = 0; r < repeat; r++) {
                double t0 = now();
                TABLE.ew[k][t](args, n, steps);
                double dt = now() - t0;
                best = dt < best ? dt : best;
            }
            printf("  %s %7.3f ns", t == 1 ? "float32" : "float64", best / (double)n * 1e9);
        }
        printf("\n");
    }
    return 0;
}

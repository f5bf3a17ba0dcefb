/* ns per element of the header math (src/nnmath/_core/src/math) and of glibc's libm on a
 * 1M-element array, at the ISA level this file is compiled for.  Build and run with
 * benchmarks/core_math/run.sh (one binary per level); prints one line per function. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "nnm_math.h"

#define N (1u << 20)
#define REPS 20

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define LOOP(name, fn)                                                                      \
    static void name(const double *x, double *y, size_t n)                                  \
    {                                                                                       \
        for (size_t i = 0; i < n; i++) {                                                    \
            y[i] = fn(x[i]);                                                                \
        }                                                                                   \
    }

LOOP(l_exp, nnm_exp)
LOOP(l_expm1, nnm_expm1)
LOOP(l_log, nnm_log)
LOOP(l_log1p, nnm_log1p)
LOOP(l_tanh, nnm_tanh)
LOOP(l_erf, nnm_erf)
LOOP(l_erfc, nnm_erfc)
LOOP(l_erfcx, nnm_erfcx)
LOOP(g_exp, exp)
LOOP(g_expm1, expm1)
LOOP(g_log, log)
LOOP(g_log1p, log1p)
LOOP(g_tanh, tanh)
LOOP(g_erf, erf)
LOOP(g_erfc, erfc)

static double *dd_lo; /* the low parts of exp_dd (a sum over them would not vectorise) */
static void l_exp_dd(const double *x, double *y, size_t n)
{
    double *lo = dd_lo;
    for (size_t i = 0; i < n; i++) {
        y[i] = nnm_exp_dd(x[i], &lo[i]);
    }
}

typedef void (*loop_fn)(const double *, double *, size_t);

/* best of REPS runs, ns per element */
static double time_loop(loop_fn f, const double *x, double *y)
{
    double best = 1e30;
    for (int r = 0; r < REPS; r++) {
        double t0 = now();
        f(x, y, N);
        double t = now() - t0;
        if (t < best) {
            best = t;
        }
    }
    return 1e9 * best / N;
}

int main(void)
{
    double *x = malloc(N * sizeof *x);
    double *y = malloc(N * sizeof *y);
    dd_lo = malloc(N * sizeof *dd_lo);
    if (x == NULL || y == NULL || dd_lo == NULL) {
        return 1;
    }
    srand(12345);
    struct {
        const char *name;
        loop_fn mine, libm;
        double lo, hi;
    } rows[] = {
        {"exp", l_exp, g_exp, -700.0, 700.0},      {"expm1", l_expm1, g_expm1, -5.0, 5.0},
        {"log", l_log, g_log, 1e-3, 1e3},          {"log1p", l_log1p, g_log1p, -0.9, 10.0},
        {"tanh", l_tanh, g_tanh, -5.0, 5.0},       {"erf", l_erf, g_erf, -5.0, 5.0},
        {"erfc", l_erfc, g_erfc, -5.0, 27.0},      {"erfcx", l_erfcx, NULL, -5.0, 30.0},
        {"exp_dd", l_exp_dd, g_exp, -700.0, 700.0},
    };
    printf("%-7s %10s %10s\n", "func", "nnm ns/el", "libm ns/el");
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        for (size_t i = 0; i < N; i++) {
            x[i] = rows[r].lo + (rows[r].hi - rows[r].lo) * ((double)rand() / RAND_MAX);
        }
        double a = time_loop(rows[r].mine, x, y);
        double b = rows[r].libm ? time_loop(rows[r].libm, x, y) : NAN;
        printf("%-7s %10.3f %10.3f\n", rows[r].name, a, b);
    }
    free(x);
    free(y);
    free(dd_lo);
    return 0;
}

/* Array loops over the functions of src/nnmath/_core/src/math/nnm_math.h, one per
 * function, compiled by tests/test_core_math.py and benchmarks/core_math/bench.c. */
#include <fenv.h>
#include <stddef.h>

#include "nnm_math.h"

#define NNM_SHIM_LOOP(name, fn)                                                             \
    void name(const double *x, double *y, size_t n)                                         \
    {                                                                                       \
        for (size_t i = 0; i < n; i++) {                                                    \
            y[i] = fn(x[i]);                                                                \
        }                                                                                   \
    }

NNM_SHIM_LOOP(shim_exp, nnm_exp)
NNM_SHIM_LOOP(shim_expm1, nnm_expm1)
NNM_SHIM_LOOP(shim_log, nnm_log)
NNM_SHIM_LOOP(shim_log1p, nnm_log1p)
NNM_SHIM_LOOP(shim_tanh, nnm_tanh)
NNM_SHIM_LOOP(shim_erf, nnm_erf)
NNM_SHIM_LOOP(shim_erfc, nnm_erfc)
NNM_SHIM_LOOP(shim_erfcx, nnm_erfcx)

/* exp_dd: y gets hi, ylo gets lo. */
void shim_exp_dd(const double *x, double *y, double *ylo, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        y[i] = nnm_exp_dd(x[i], &ylo[i]);
    }
}

/* The floating-point exception flags raised since the last call (then cleared). */
int shim_flags(void)
{
    int f = fetestexcept(FE_ALL_EXCEPT & ~FE_INEXACT);
    feclearexcept(FE_ALL_EXCEPT);
    return f;
}

int shim_flag_bits(int which)
{
    static const int bits[4] = {FE_INVALID, FE_DIVBYZERO, FE_OVERFLOW, FE_UNDERFLOW};
    return bits[which];
}

int shim_have_fma(void)
{
#ifdef NNM_HAVE_FMA
    return 1;
#else
    return 0;
#endif
}

/* Temporary scalar math for the core: the C library behind the names that the
 * vectorisable headers of src/math/ provide (nnm_exp, nnm_expm1, ...). Replacing this file's
 * include in nnm_common.h by "math/nnm_math.h" swaps in those headers. */
#ifndef NNM_MATH_SHIM_H
#define NNM_MATH_SHIM_H
#include <math.h>

static inline double nnm_exp(double x) { return exp(x); }
static inline double nnm_expm1(double x) { return expm1(x); }
static inline double nnm_log(double x) { return log(x); }
static inline double nnm_log1p(double x) { return log1p(x); }
static inline double nnm_tanh(double x) { return tanh(x); }
static inline double nnm_erf(double x) { return erf(x); }
static inline double nnm_erfc(double x) { return erfc(x); }

#endif

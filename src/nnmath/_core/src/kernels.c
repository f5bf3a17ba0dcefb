/* The loops of every ufunc in nnm_ufuncs.def, for float16, float32 and float64.
 *
 * This file is compiled once per ISA level (meson.build: -march=x86-64-v4, x86-64-v3, the
 * baseline) with NNM_SUFFIX naming that level, and exports one table, nnm_table<suffix>.
 * -ffp-contract=off keeps the levels bitwise identical: no level fuses a * b + c unless
 * the source says fma().
 *
 * Every element is computed in float64 and rounded once to the output type. A NaN input
 * x is routed around the formula (detected by an integer compare, replaced by 0 for the
 * formula, put back in the result), so no compare inside a formula ever sees a NaN and
 * raises the invalid flag.
 */
#include "nnm_formulas.h"
#include "nnm_kernels.h"

#ifndef NNM_SUFFIX
#error "kernels.c is compiled with -DNNM_SUFFIX=_<level>"
#endif

typedef uint16_t nnm_half;

#define LD_e(v) nnm_h2d(v)
#define ST_e(d) nnm_d2h(d)
#define LD_f(v) ((double)(v))
#define ST_f(d) ((float)(d))
#define LD_d(v) (v)
#define ST_d(d) (d)

/* one element: NaN in x gives x back */
#define NNM_ELEM(formula, xv, av, bv, out)                                                   \
    do {                                                                                     \
        double x_ = (xv);                                                                    \
        int nan_ = nnm_isnan(x_);                                                            \
        double r_ = formula(nnm_sel(nan_, 0.0, x_), (av), (bv));                             \
        (out) = nnm_sel(nan_, x_, r_);                                                       \
    } while (0)

/* Elementwise loops. The contiguous case (every operand contiguous, or the parameters
 * broadcast scalars) is written as plain indexed loops for the vectoriser. */
#define NNM_EW_LOOP(fname, T, S, NIN, formula)                                               \
    static void fname(char *const *args, intptr_t n, const intptr_t *steps)                  \
    {                                                                                        \
        const intptr_t sz = (intptr_t)sizeof(T);                                             \
        const char *px = args[0];                                                            \
        const char *pa = NIN > 1 ? args[1] : args[0];                                        \
        const char *pb = NIN > 2 ? args[2] : args[0];                                        \
        char *py = args[NIN];                                                                \
        intptr_t sx = steps[0], sa = NIN > 1 ? steps[1] : 0, sb = NIN > 2 ? steps[2] : 0;    \
        intptr_t sy = steps[NIN];                                                            \
        if (sx == sz && sy == sz && (sa == 0 || sa == sz) && (sb == 0 || sb == sz)) {        \
            const T *x = (const T *)px;                                                      \
            T *y = (T *)py;                                                                  \
            if (sa == 0 && sb == 0) {                                                        \
                const double a = NIN > 1 ? LD_##S(*(const T *)pa) : 0.0;                     \
                const double b = NIN > 2 ? LD_##S(*(const T *)pb) : 0.0;                     \
                for (intptr_t i = 0; i < n; i++) {                                           \
                    double r;                                                                \
                    NNM_ELEM(formula, LD_##S(x[i]), a, b, r);                                \
                    y[i] = ST_##S(r);                                                        \
                }                                                                            \
                return;                                                                      \
            }                                                                                \
            if (sa == sz && (NIN < 3 || sb == sz)) {                                         \
                const T *av = (const T *)pa, *bv = (const T *)pb;                            \
                for (intptr_t i = 0; i < n; i++) {                                           \
                    double r;                                                                \
                    NNM_ELEM(formula, LD_##S(x[i]), LD_##S(av[i]),                           \
                             NIN > 2 ? LD_##S(bv[i]) : 0.0, r);                              \
                    y[i] = ST_##S(r);                                                        \
                }                                                                            \
                return;                                                                      \
            }                                                                                \
        }                                                                                    \
        for (intptr_t i = 0; i < n; i++) {                                                   \
            double r;                                                                        \
            double a = NIN > 1 ? LD_##S(*(const T *)(pa + i * sa)) : 0.0;                   \
            double b = NIN > 2 ? LD_##S(*(const T *)(pb + i * sb)) : 0.0;                   \
            NNM_ELEM(formula, LD_##S(*(const T *)(px + i * sx)), a, b, r);                   \
            *(T *)(py + i * sy) = ST_##S(r);                                                 \
        }                                                                                    \
    }

#define NNM_EW(name, nin, formula, doc)                                                      \
    NNM_EW_LOOP(ew_##name##_e, nnm_half, e, nin, formula)                                    \
    NNM_EW_LOOP(ew_##name##_f, float, f, nin, formula)                                       \
    NNM_EW_LOOP(ew_##name##_d, double, d, nin, formula)
#include "nnm_ufuncs.def"

/* -- rows ---------------------------------------------------------------------------------
 * A row is read in float64 through LOAD(i); the shift d_i = x_i - max is safe for
 * infinite maxima: with max = +inf the +inf entries share the mass (d = 0) and the others
 * get none (d = -inf); a row of -inf only is uniform. A row holding a NaN is all NaN. */
enum { NNM_SOFTMAX, NNM_LOG_SOFTMAX, NNM_SOFTMAX_VJP, NNM_LOG_SOFTMAX_VJP };

static inline double nnm_shift(double x, double m, int m_inf)
{
    double d = x - nnm_sel(m_inf, 0.0, m);
    return m_inf ? nnm_sel(x == m, 0.0, -INFINITY) : d;
}

#define NNM_ROW_LOOP(fname, T, S, KIND)                                                      \
    static void fname(char *const *args, intptr_t nrows, intptr_t n, const intptr_t *steps) \
    {                                                                                        \
        const int vjp = (KIND) == NNM_SOFTMAX_VJP || (KIND) == NNM_LOG_SOFTMAX_VJP;          \
        const int nargs = vjp ? 3 : 2;                                                       \
        const intptr_t sx = steps[nargs], sg = vjp ? steps[nargs + 1] : 0;                   \
        const intptr_t sy = steps[2 * nargs - 1];                                            \
        for (intptr_t r = 0; r < nrows; r++) {                                               \
            const char *px = args[0] + r * steps[0];                                         \
            const char *pg = vjp ? args[1] + r * steps[1] : px;                              \
            char *py = args[nargs - 1] + r * steps[nargs - 1];                               \
            int any_nan = 0;                                                                 \
            double m = -INFINITY;                                                            \
            for (intptr_t i = 0; i < n; i++) {                                               \
                double v = LD_##S(*(const T *)(px + i * sx));                                \
                int nan_ = nnm_isnan(v);                                                     \
                any_nan |= nan_;                                                             \
                v = nnm_sel(nan_, -INFINITY, v);                                             \
                m = nnm_sel(v > m, v, m);                                                    \
            }                                                                                \
            if (any_nan) {                                                                   \
                for (intptr_t i = 0; i < n; i++) {                                           \
                    *(T *)(py + i * sy) = ST_##S(NAN);                                       \
                }                                                                            \
                continue;                                                                    \
            }                                                                                \
            const int m_inf = fabs(m) == INFINITY;                                           \
            double s = 0.0;                                                                  \
            for (intptr_t i = 0; i < n; i++) {                                               \
                s += nnm_exp(nnm_shift(LD_##S(*(const T *)(px + i * sx)), m, m_inf));        \
            }                                                                                \
            if ((KIND) == NNM_SOFTMAX) {                                                     \
                for (intptr_t i = 0; i < n; i++) {                                           \
                    double d = nnm_shift(LD_##S(*(const T *)(px + i * sx)), m, m_inf);       \
                    *(T *)(py + i * sy) = ST_##S(nnm_exp(d) / s);                            \
                }                                                                            \
            } else if ((KIND) == NNM_LOG_SOFTMAX) {                                          \
                double ls = nnm_log(s);                                                      \
                for (intptr_t i = 0; i < n; i++) {                                           \
                    double d = nnm_shift(LD_##S(*(const T *)(px + i * sx)), m, m_inf);       \
                    *(T *)(py + i * sy) = ST_##S(d - ls);                                    \
                }                                                                            \
            } else {                                                                         \
                /* softmax: dot = sum g s; log_softmax: dot = sum g */                       \
                double dot = 0.0;                                                            \
                for (intptr_t i = 0; i < n; i++) {                                           \
                    double g = LD_##S(*(const T *)(pg + i * sg));                            \
                    if ((KIND) == NNM_SOFTMAX_VJP) {                                         \
                        double d = nnm_shift(LD_##S(*(const T *)(px + i * sx)), m, m_inf);   \
                        dot += g * (nnm_exp(d) / s);                                         \
                    } else {                                                                 \
                        dot += g;                                                            \
                    }                                                                        \
                }                                                                            \
                for (intptr_t i = 0; i < n; i++) {                                           \
                    double g = LD_##S(*(const T *)(pg + i * sg));                            \
                    double d = nnm_shift(LD_##S(*(const T *)(px + i * sx)), m, m_inf);       \
                    double p = nnm_exp(d) / s;                                               \
                    double y = (KIND) == NNM_SOFTMAX_VJP ? p * (g - dot) : g - p * dot;      \
                    *(T *)(py + i * sy) = ST_##S(y);                                         \
                }                                                                            \
            }                                                                                \
        }                                                                                    \
    }

#define NNM_ROW(name, nin, kind, doc)                                                        \
    NNM_ROW_LOOP(row_##name##_e, nnm_half, e, kind)                                          \
    NNM_ROW_LOOP(row_##name##_f, float, f, kind)                                             \
    NNM_ROW_LOOP(row_##name##_d, double, d, kind)
#include "nnm_ufuncs.def"

const nnm_table NNM_SYM(nnm_table) = {
    .ew = {
#define NNM_EW(name, nin, formula, doc) {ew_##name##_e, ew_##name##_f, ew_##name##_d},
#include "nnm_ufuncs.def"
    },
    .row = {
#define NNM_ROW(name, nin, kind, doc) {row_##name##_e, row_##name##_f, row_##name##_d},
#include "nnm_ufuncs.def"
    },
};

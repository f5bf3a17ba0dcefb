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

/* The float32 loop of a formula F uses NNM_F32_F's second item where nnm_formulas.h
 * defines NNM_F32_F as `~, float32_formula` (the exact GELU), else F itself. */
#define NNM_SECOND_(a, b, ...) b
#define NNM_SECOND(...) NNM_SECOND_(__VA_ARGS__)
#define NNM_F32_OF(formula) NNM_SECOND(NNM_CAT(NNM_F32_, formula), formula, ~)

#define LD_e(v) nnm_h2d(v)
#define ST_e(d) nnm_d2h(d)
#define LD_f(v) ((double)(v))
#define ST_f(d) nnm_d2f(d)
#define LD_d(v) (v)
#define ST_d(d) (d)

/* one element: NaN in x gives x back, and the formula sees 0 in its place. The guard
 * applies a mask to the bits (integer arithmetic, not a select of doubles), so that the
 * compiler cannot fold it into the formula's compares and evaluate those on the NaN after
 * all (a vectorised ordered compare or max of a NaN raises the invalid flag). */
#define NNM_ELEM(formula, xv, av, bv, out)                                                   \
    do {                                                                                     \
        double x_ = (xv);                                                                    \
        uint64_t bits_ = nnm_bits(x_);                                                       \
        uint64_t nan_ = nnm_nan_mask(x_);                                                 \
        double r_ = formula(nnm_from_bits(bits_ & ~nan_), (av), (bv));                       \
        (out) = nnm_from_bits((bits_ & nan_) | (nnm_bits(r_) & ~nan_));                      \
    } while (0)

/* Elementwise loops. Inputs: x and, for a fused backward, the cotangent g in the loop's
 * type T; parameters in float64 (TA/TB, SA/SB: the type and loader of inputs a and b), so
 * that a parameter such as a slope of 0.01 is not first rounded to float16. The
 * contiguous case (every operand contiguous, or the further inputs broadcast scalars) is
 * written as plain indexed loops for the vectoriser. */
#define NNM_EW_LOOP(fname, T, S, NIN, TA, SA, TB, SB, formula)                               \
    static void fname(char *const *args, intptr_t n, const intptr_t *steps)                  \
    {                                                                                        \
        const intptr_t sz = (intptr_t)sizeof(T);                                             \
        const intptr_t sza = (intptr_t)sizeof(TA), szb = (intptr_t)sizeof(TB);               \
        const char *px = args[0];                                                            \
        const char *pa = NIN > 1 ? args[1] : args[0];                                        \
        const char *pb = NIN > 2 ? args[2] : args[0];                                        \
        char *py = args[NIN];                                                                \
        intptr_t sx = steps[0], sa = NIN > 1 ? steps[1] : 0, sb = NIN > 2 ? steps[2] : 0;    \
        intptr_t sy = steps[NIN];                                                            \
        if (sx == sz && sy == sz && (sa == 0 || sa == sza) && (sb == 0 || sb == szb)) {      \
            const T *x = (const T *)px;                                                      \
            T *y = (T *)py;                                                                  \
            if (sa == 0 && sb == 0) {                                                        \
                const double a = NIN > 1 ? LD_##SA(*(const TA *)pa) : 0.0;                   \
                const double b = NIN > 2 ? LD_##SB(*(const TB *)pb) : 0.0;                   \
                for (intptr_t i = 0; i < n; i++) {                                           \
                    double r;                                                                \
                    NNM_ELEM(formula, LD_##S(x[i]), a, b, r);                                \
                    y[i] = ST_##S(r);                                                        \
                }                                                                            \
                return;                                                                      \
            }                                                                                \
            if (sa == sza && (NIN < 3 || sb == szb)) {                                       \
                const TA *av = (const TA *)pa;                                               \
                const TB *bv = (const TB *)pb;                                               \
                for (intptr_t i = 0; i < n; i++) {                                           \
                    double r;                                                                \
                    NNM_ELEM(formula, LD_##S(x[i]), LD_##SA(av[i]),                          \
                             NIN > 2 ? LD_##SB(bv[i]) : 0.0, r);                             \
                    y[i] = ST_##S(r);                                                        \
                }                                                                            \
                return;                                                                      \
            }                                                                                \
        }                                                                                    \
        for (intptr_t i = 0; i < n; i++) {                                                   \
            double r;                                                                        \
            double a = NIN > 1 ? LD_##SA(*(const TA *)(pa + i * sa)) : 0.0;                 \
            double b = NIN > 2 ? LD_##SB(*(const TB *)(pb + i * sb)) : 0.0;                 \
            NNM_ELEM(formula, LD_##S(*(const T *)(px + i * sx)), a, b, r);                   \
            *(T *)(py + i * sy) = ST_##S(r);                                                 \
        }                                                                                    \
    }

/* the three loops of one ufunc; the arity selects the types of inputs a and b:
 * NIN_NPARAM = 1_0 (x), 2_0 (x, g), 2_1 (x, parameter), 3_1 (x, g, parameter) */
#define NNM_EW_TYPED(fname, T, S, formula, nin, nparam)                                      \
    NNM_CAT(NNM_EW_ARITY_, NNM_CAT(nin, NNM_CAT(_, nparam)))(fname, T, S, formula)
#define NNM_EW_ARITY_1_0(fname, T, S, formula) NNM_EW_LOOP(fname, T, S, 1, T, S, T, S, formula)
#define NNM_EW_ARITY_2_0(fname, T, S, formula) NNM_EW_LOOP(fname, T, S, 2, T, S, T, S, formula)
#define NNM_EW_ARITY_2_1(fname, T, S, formula)                                               \
    NNM_EW_LOOP(fname, T, S, 2, double, d, double, d, formula)
#define NNM_EW_ARITY_3_1(fname, T, S, formula)                                               \
    NNM_EW_LOOP(fname, T, S, 3, T, S, double, d, formula)

#define NNM_EW(name, nin, nparam, formula, doc)                                              \
    NNM_EW_TYPED(ew_##name##_e, nnm_half, e, formula, nin, nparam)                           \
    NNM_EW_TYPED(ew_##name##_f, float, f, NNM_F32_OF(formula), nin, nparam)                  \
    NNM_EW_TYPED(ew_##name##_d, double, d, formula, nin, nparam)
#include "nnm_ufuncs.def"

/* -- rows ---------------------------------------------------------------------------------
 * A row is read in float64 through LOAD(i); the shift d_i = x_i - max is safe for
 * infinite maxima: with max = +inf the +inf entries share the mass (d = 0) and the others
 * get none (d = -inf); a row of -inf only is uniform. A row holding a NaN is all NaN. */
enum { NNM_SOFTMAX, NNM_LOG_SOFTMAX, NNM_SOFTMAX_VJP, NNM_LOG_SOFTMAX_VJP };

static inline double nnm_shift(double x, double m, int m_inf, double *lo)
{
    /* d = x - m to double-double (dh + *lo): the rounding of x - m would cost |d| ulps of
     * e^d. The special cases are chosen, not computed (no overflow or invalid flag): d is
     * -inf below -DBL_MAX or for x = -inf, and with an infinite maximum 0 for the entries
     * equal to it and -inf for the others. */
    double mm = nnm_sel(m_inf, 0.0, m);
    int special = m_inf | (fabs(x) == INFINITY) | isless(0.5 * x - 0.5 * mm, -0.5 * DBL_MAX);
    double l;
    double d = nnm_two_sum(nnm_sel(special, mm, x), -mm, &l);
    *lo = nnm_sel(special, 0.0, l);
    return nnm_sel(special, nnm_sel(m_inf & (x == m), 0.0, -INFINITY), d);
}

/* e^{dh + lo} */
static inline double row_exp(double dh, double lo)
{
    return nnm_exp(dh) * (1.0 + lo);
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
                m = nnm_sel(isgreater(v, m), v, m);                                                  \
            }                                                                                \
            if (any_nan) {                                                                   \
                for (intptr_t i = 0; i < n; i++) {                                           \
                    *(T *)(py + i * sy) = ST_##S(NAN);                                       \
                }                                                                            \
                continue;                                                                    \
            }                                                                                \
            const int m_inf = fabs(m) == INFINITY;                                           \
            /* s = cnt + rest: the entries at the maximum (e^0 = 1, counted exactly) and   \
             * the others; log s = log1p(cnt - 1 + rest) keeps log_softmax accurate where \
             * one entry dominates */                                                      \
            double rest = 0.0, cnt = 0.0;                                                    \
            for (intptr_t i = 0; i < n; i++) {                                               \
                double lo, d = nnm_shift(LD_##S(*(const T *)(px + i * sx)), m, m_inf, &lo); \
                int top = d == 0.0;                                                          \
                rest += nnm_sel(top, 0.0, row_exp(d, lo));                                \
                cnt += nnm_sel(top, 1.0, 0.0);                                               \
            }                                                                                \
            double s = cnt + rest;                                                           \
            if ((KIND) == NNM_SOFTMAX) {                                                     \
                for (intptr_t i = 0; i < n; i++) {                                           \
                    double lo, d = nnm_shift(LD_##S(*(const T *)(px + i * sx)), m, m_inf, &lo); \
                    *(T *)(py + i * sy) = ST_##S(row_exp(d, lo) / s);                     \
                }                                                                            \
            } else if ((KIND) == NNM_LOG_SOFTMAX) {                                          \
                double ls = nnm_log1p((cnt - 1.0) + rest);                                   \
                for (intptr_t i = 0; i < n; i++) {                                           \
                    double lo, d = nnm_shift(LD_##S(*(const T *)(px + i * sx)), m, m_inf, &lo); \
                    *(T *)(py + i * sy) = ST_##S((d - ls) + lo);                             \
                }                                                                            \
            } else {                                                                         \
                /* softmax: dot = sum g s; log_softmax: dot = sum g */                       \
                double dot = 0.0;                                                            \
                for (intptr_t i = 0; i < n; i++) {                                           \
                    double g = LD_##S(*(const T *)(pg + i * sg));                            \
                    if ((KIND) == NNM_SOFTMAX_VJP) {                                         \
                        double lo,                                                           \
                            d = nnm_shift(LD_##S(*(const T *)(px + i * sx)), m, m_inf, &lo); \
                        dot += g * (row_exp(d, lo) / s);                                  \
                    } else {                                                                 \
                        dot += g;                                                            \
                    }                                                                        \
                }                                                                            \
                for (intptr_t i = 0; i < n; i++) {                                           \
                    double g = LD_##S(*(const T *)(pg + i * sg));                            \
                    double lo, d = nnm_shift(LD_##S(*(const T *)(px + i * sx)), m, m_inf, &lo); \
                    double p = row_exp(d, lo) / s;                                        \
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
#define NNM_EW(name, nin, nparam, formula, doc) {ew_##name##_e, ew_##name##_f, ew_##name##_d},
#include "nnm_ufuncs.def"
    },
    .row = {
#define NNM_ROW(name, nin, kind, doc) {row_##name##_e, row_##name##_f, row_##name##_d},
#include "nnm_ufuncs.def"
    },
};

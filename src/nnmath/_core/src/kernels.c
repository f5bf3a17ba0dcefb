/* The loops of every ufunc in nnm_ufuncs.def, for float16, float32 and float64.
 *
 * This file is compiled once per ISA level (meson.build: -march=x86-64-v4, x86-64-v3, the
 * baseline) with NNM_SUFFIX naming that level, and exports one table, nnm_table<suffix>.
 * -ffp-contract=off keeps the levels bitwise identical: no level fuses a * b + c unless
 * the source says fma().
 *
 * Every element is computed in float64 and rounded once to the output type, except in the
 * native float32 loops (nnm_ufuncs_f32n.def, the section after the float32 formulas),
 * which compute in float32 and round their float32 pairs once. A NaN input
 * x is routed around the formula (detected by an integer compare, replaced by 0 for the
 * formula, put back in the result), so no compare inside a formula ever sees a NaN and
 * raises the invalid flag.
 */
#include "nnm_formulas.h"
#include "nnm_kernels.h"

#ifndef NNM_SUFFIX
#error "kernels.c is compiled with -DNNM_SUFFIX=_<level>"
#endif

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

/* one element of type S from the raw input xv into the lvalue out: loaded to float64 (LD_S),
 * NNM_ELEM, stored (ST_S); S = n: a native float32 loop (NNM_ELEM32N, below) */
#define NNM_STEP_ROUND(S, formula, xv, av, bv, out)                                          \
    do {                                                                                     \
        double y_;                                                                           \
        NNM_ELEM(formula, LD_##S(xv), av, bv, y_);                                           \
        (out) = ST_##S(y_);                                                                  \
    } while (0)
#define NNM_STEP_e(formula, xv, av, bv, out) NNM_STEP_ROUND(e, formula, xv, av, bv, out)
#define NNM_STEP_f(formula, xv, av, bv, out) NNM_STEP_ROUND(f, formula, xv, av, bv, out)
#define NNM_STEP_d(formula, xv, av, bv, out) NNM_STEP_ROUND(d, formula, xv, av, bv, out)
#define NNM_STEP_n(formula, xv, av, bv, out) NNM_ELEM32N(formula, xv, av, bv, out)

/* Elementwise loops. Inputs: x and, for a fused backward, the cotangent g in the loop's
 * type T; parameters in float64 (TA/TB, SA/SB: the type and loader of inputs a and b), so
 * that a parameter such as a slope of 0.01 is not first rounded to float16. The
 * contiguous cases (every operand contiguous; the further inputs broadcast scalars; x and
 * g contiguous with a broadcast parameter) are written as plain indexed loops for the
 * vectoriser. */
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
                    NNM_STEP_##S(formula, x[i], a, b, y[i]);                                 \
                }                                                                            \
                return;                                                                      \
            }                                                                                \
            if (sa == sza && NIN > 2 && sb == 0) { /* x, g and a broadcast parameter */     \
                const TA *av = (const TA *)pa;                                               \
                const double b = LD_##SB(*(const TB *)pb);                                   \
                for (intptr_t i = 0; i < n; i++) {                                           \
                    NNM_STEP_##S(formula, x[i], LD_##SA(av[i]), b, y[i]);                    \
                }                                                                            \
                return;                                                                      \
            }                                                                                \
            if (sa == sza && (NIN < 3 || sb == szb)) {                                       \
                const TA *av = (const TA *)pa;                                               \
                const TB *bv = (const TB *)pb;                                               \
                for (intptr_t i = 0; i < n; i++) {                                           \
                    NNM_STEP_##S(formula, x[i], LD_##SA(av[i]),                              \
                                 NIN > 2 ? LD_##SB(bv[i]) : 0.0, y[i]);                      \
                }                                                                            \
                return;                                                                      \
            }                                                                                \
        }                                                                                    \
        for (intptr_t i = 0; i < n; i++) {                                                   \
            double a = NIN > 1 ? LD_##SA(*(const TA *)(pa + i * sa)) : 0.0;                  \
            double b = NIN > 2 ? LD_##SB(*(const TB *)(pb + i * sb)) : 0.0;                  \
            NNM_STEP_##S(formula, *(const T *)(px + i * sx), a, b, *(T *)(py + i * sy));     \
        }                                                                                    \
    }

/* the three loops of one ufunc; the arity selects the types of inputs a and b:
 * NIN_NPARAM = 1_0 (x), 2_0 (x, g), 2_1 (x, parameter), 3_1 (x, g, parameter), 3_2 and
 * 4_2 (below) */
#define NNM_EW_TYPED(fname, T, S, formula, nin, nparam)                                      \
    NNM_CAT(NNM_EW_ARITY_, NNM_CAT(nin, NNM_CAT(_, nparam)))(fname, T, S, formula)
#define NNM_EW_ARITY_1_0(fname, T, S, formula) NNM_EW_LOOP(fname, T, S, 1, T, S, T, S, formula)
#define NNM_EW_ARITY_2_0(fname, T, S, formula) NNM_EW_LOOP(fname, T, S, 2, T, S, T, S, formula)
#define NNM_EW_ARITY_2_1(fname, T, S, formula)                                               \
    NNM_EW_LOOP(fname, T, S, 2, double, d, double, d, formula)
#define NNM_EW_ARITY_3_1(fname, T, S, formula)                                               \
    NNM_EW_LOOP(fname, T, S, 3, T, S, double, d, formula)

/* two parameters: x, p, q (arity 3_2, the loop above) and x, g, p, q (4_2, NNM_EW_LOOP4) */
#define NNM_EW_ARITY_3_2(fname, T, S, formula)                                               \
    NNM_EW_LOOP(fname, T, S, 3, double, d, double, d, formula)
#define NNM_EW_ARITY_4_2(fname, T, S, formula) NNM_EW_LOOP4(fname, T, S, formula)

/* NNM_ELEM for a formula of four arguments, formula(x, g, p, q) */
#define NNM_ELEM4(formula, xv, gv, pv, qv, out)                                              \
    do {                                                                                     \
        double x_ = (xv);                                                                    \
        uint64_t bits_ = nnm_bits(x_);                                                       \
        uint64_t nan_ = nnm_nan_mask(x_);                                                    \
        double r_ = formula(nnm_from_bits(bits_ & ~nan_), (gv), (pv), (qv));                 \
        (out) = nnm_from_bits((bits_ & nan_) | (nnm_bits(r_) & ~nan_));                      \
    } while (0)

/* x and g in the loop's type T, the parameters p and q in float64 */
#define NNM_EW_LOOP4(fname, T, S, formula)                                                   \
    static void fname(char *const *args, intptr_t n, const intptr_t *steps)                  \
    {                                                                                        \
        const intptr_t sz = (intptr_t)sizeof(T);                                             \
        const char *px = args[0], *pg = args[1], *pp = args[2], *pq = args[3];               \
        char *py = args[4];                                                                  \
        if (steps[0] == sz && steps[1] == sz && steps[2] == 0 && steps[3] == 0 &&            \
            steps[4] == sz) {                                                                \
            const T *x = (const T *)px, *g = (const T *)pg;                                  \
            T *y = (T *)py;                                                                  \
            const double p = *(const double *)pp, q = *(const double *)pq;                   \
            for (intptr_t i = 0; i < n; i++) {                                               \
                double r;                                                                    \
                NNM_ELEM4(formula, LD_##S(x[i]), LD_##S(g[i]), p, q, r);                     \
                y[i] = ST_##S(r);                                                            \
            }                                                                                \
            return;                                                                          \
        }                                                                                    \
        for (intptr_t i = 0; i < n; i++) {                                                   \
            double r;                                                                        \
            NNM_ELEM4(formula, LD_##S(*(const T *)(px + i * steps[0])),                      \
                      LD_##S(*(const T *)(pg + i * steps[1])),                               \
                      *(const double *)(pp + i * steps[2]),                                  \
                      *(const double *)(pq + i * steps[3]), r);                              \
            *(T *)(py + i * steps[4]) = ST_##S(r);                                           \
        }                                                                                    \
    }

#define NNM_EW(name, nin, nparam, formula, doc)                                              \
    NNM_EW_TYPED(ew_##name##_e, nnm_half, e, formula, nin, nparam)                           \
    NNM_EW_TYPED(ew_##name##_f, float, f, formula, nin, nparam)                              \
    NNM_EW_TYPED(ew_##name##_d, double, d, formula, nin, nparam)
#include "nnm_ufuncs.def"

/* -- two outputs ---------------------------------------------------------------------------
 * Every input in the loop's type; y1 = formula(x, a, b, &y2). The formula routes NaN
 * itself (an output need not depend on every input). */
#define NNM_EW2_LOOP(fname, T, S, NIN, formula)                                              \
    static void fname(char *const *args, intptr_t n, const intptr_t *steps)                  \
    {                                                                                        \
        const intptr_t sz = (intptr_t)sizeof(T);                                             \
        int contiguous = 1;                                                                  \
        for (int k = 0; k < NIN + 2; k++) {                                                  \
            contiguous &= steps[k] == sz;                                                    \
        }                                                                                    \
        if (contiguous) {                                                                    \
            const T *x = (const T *)args[0], *a = (const T *)args[1];                        \
            const T *b = (const T *)args[NIN > 2 ? 2 : 1];                                   \
            T *y1 = (T *)args[NIN], *y2 = (T *)args[NIN + 1];                                \
            for (intptr_t i = 0; i < n; i++) {                                               \
                double r2;                                                                   \
                double r1 = formula(LD_##S(x[i]), LD_##S(a[i]), NIN > 2 ? LD_##S(b[i]) : 0.0, &r2); \
                y1[i] = ST_##S(r1);                                                          \
                y2[i] = ST_##S(r2);                                                          \
            }                                                                                \
            return;                                                                          \
        }                                                                                    \
        for (intptr_t i = 0; i < n; i++) {                                                   \
            double a = LD_##S(*(const T *)(args[1] + i * steps[1]));                         \
            double b = NIN > 2 ? LD_##S(*(const T *)(args[NIN > 2 ? 2 : 1] +                  \
                                                     i * steps[NIN > 2 ? 2 : 1])) : 0.0;     \
            double r2;                                                                       \
            double r1 = formula(LD_##S(*(const T *)(args[0] + i * steps[0])), a, b, &r2);   \
            *(T *)(args[NIN] + i * steps[NIN]) = ST_##S(r1);                                 \
            *(T *)(args[NIN + 1] + i * steps[NIN + 1]) = ST_##S(r2);                         \
        }                                                                                    \
    }

#define NNM_EW2(name, nin, formula, doc)                                                     \
    NNM_EW2_LOOP(ew2_##name##_e, nnm_half, e, nin, formula)                                  \
    NNM_EW2_LOOP(ew2_##name##_f, float, f, nin, formula)                                     \
    NNM_EW2_LOOP(ew2_##name##_d, double, d, nin, formula)
#include "nnm_ufuncs.def"

/* -- the float32 formulas -------------------------------------------------------------
 * A ufunc with an NNM_EW32 line in nnm_ufuncs_f32.def gets float32 and float16 loops from
 * that formula (nnm_formulas_f32.h: float64 arithmetic with cheaper math, accurate enough
 * for a float32 result), which replace the generic ones in the table below: its
 * designated entries come after the generic rows and override them (C11 6.7.9). */
#include "nnm_formulas_f32.h"
#define NNM_EW32(name, nin, nparam, formula)                                                 \
    NNM_EW_TYPED(ew32_##name##_e, nnm_half, e, formula, nin, nparam)                         \
    NNM_EW_TYPED(ew32_##name##_f, float, f, formula, nin, nparam)
#include "nnm_ufuncs_f32.def"

/* -- the native float32 formulas ----------------------------------------------------------
 * A ufunc with an NNM_EW32N line in nnm_ufuncs_f32n.def gets a float32 loop computed in
 * float32 (nnm_formulas_f32n.h, formula(float x, double a, double b)): x is loaded as a
 * float32 and the result stored as one, so a vector holds 8 (AVX2) or 16 (AVX-512)
 * elements; a and b as in NNM_EW_LOOP (g widened to float64, exactly; parameters in
 * float64, loaded once for a broadcast scalar). Its entry overrides column [1] of the
 * table after the NNM_EW32 ones.
 *
 * NaN in x: as NNM_ELEM, with a 32-bit mask from a 32-bit subtraction (all ones where
 * |bits| > 0x7f800000), the formula sees 0 in its place, and the NaN comes back quieted
 * (as the float64 loops' float -> double -> float conversions return it). */
#define NNM_ELEM32N(formula, xv, av, bv, out)                                                \
    do {                                                                                     \
        uint32_t bits_ = nnm_fbits(xv);                                                      \
        uint32_t nan_ = (uint32_t)0 - ((0x7f800000u - (bits_ & 0x7fffffffu)) >> 31);         \
        float r_ = formula(nnm_ffrom_bits(bits_ & ~nan_), (av), (bv));                       \
        (out) = nnm_ffrom_bits(((bits_ | 0x00400000u) & nan_) | (nnm_fbits(r_) & ~nan_));    \
    } while (0)

/* the arities of NNM_EW_ARITY_*: 1_0 (x), 2_0 (x, g), 2_1 (x, parameter), 3_1 (x, g,
 * parameter) */
#define NNM_EW32N_ARITY_1_0(fname, formula)                                                  \
    NNM_EW_LOOP(fname, float, n, 1, float, f, float, f, formula)
#define NNM_EW32N_ARITY_2_0(fname, formula)                                                  \
    NNM_EW_LOOP(fname, float, n, 2, float, f, float, f, formula)
#define NNM_EW32N_ARITY_2_1(fname, formula)                                                  \
    NNM_EW_LOOP(fname, float, n, 2, double, d, double, d, formula)
#define NNM_EW32N_ARITY_3_1(fname, formula)                                                  \
    NNM_EW_LOOP(fname, float, n, 3, float, f, double, d, formula)

#include "nnm_formulas_f32n.h"
#define NNM_EW32N(name, nin, nparam, formula)                                                \
    NNM_CAT(NNM_EW32N_ARITY_, NNM_CAT(nin, NNM_CAT(_, nparam)))(ew32n_##name##_f, formula)
#include "nnm_ufuncs_f32n.def"

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
#endif
const nnm_table NNM_SYM(nnm_table) = {
    .ew = {
#define NNM_EW(name, nin, nparam, formula, doc) {ew_##name##_e, ew_##name##_f, ew_##name##_d},
#include "nnm_ufuncs.def"
#define NNM_EW32(name, nin, nparam, formula)                                                 \
    [NNM_EW_##name][0] = ew32_##name##_e, [NNM_EW_##name][1] = ew32_##name##_f,
#include "nnm_ufuncs_f32.def"
#define NNM_EW32N(name, nin, nparam, formula) [NNM_EW_##name][1] = ew32n_##name##_f,
#include "nnm_ufuncs_f32n.def"
    },
    .row = {
#define NNM_ROW(name, nin, kind, doc)                                                        \
    {NNM_SYM(row_##name##_e), NNM_SYM(row_##name##_f), NNM_SYM(row_##name##_d)},
#include "nnm_ufuncs.def"
    },
    .ew2 = {
#define NNM_EW2(name, nin, formula, doc) {ew2_##name##_e, ew2_##name##_f, ew2_##name##_d},
#include "nnm_ufuncs.def"
    },
    .loss = {
#define NNM_LOSS(name, nin, signature, kinds, doc)                                                  \
    {NNM_SYM(loss_##name##_e), NNM_SYM(loss_##name##_f), NNM_SYM(loss_##name##_d)},
#include "nnm_ufuncs.def"
    },
};
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

/* What the row files (rows.c, losses.c) share: the block length and accumulator lanes,
 * the padding and block helpers, the loads and stores of a block of one element type
 * (NNM_ROW_IO(T, S): nnm_rload_S, nnm_rstore_S, nnm_rfill_nan_S) and the clip bounds of
 * probabilities. */
#ifndef NNM_ROWS_H
#define NNM_ROWS_H
#include <stdint.h>

#include "nnm_common.h"

#define NNM_RB 1024 /* the block: a row is read in blocks of this many elements */
#define NNM_NL 8    /* the accumulator lanes of a row's sums, the same at every level */

/* the block's length rounded up to whole accumulator groups; the padding is set so that
 * it contributes nothing */
static inline intptr_t nnm_rpad(intptr_t len)
{
    return (len + NNM_NL - 1) & ~(intptr_t)(NNM_NL - 1);
}

/* the length of the block of a row of n elements that starts at element i0 */
static inline intptr_t nnm_rblock(intptr_t n, intptr_t i0)
{
    return n - i0 < NNM_RB ? n - i0 : NNM_RB;
}

/* whether any accumulator's mask is set */
static inline uint64_t nnm_rany(const uint64_t *m)
{
    uint64_t any = 0;
    for (int j = 0; j < NNM_NL; j++) {
        any |= m[j];
    }
    return any;
}

/* t into accumulator j of v: compensated for float64 rows (dd: the rounding error into
 * err[j]), plain for float32 and float16 rows */
NNM_INLINE void nnm_racc(double *v, double *err, int j, double t, int dd)
{
    if (dd) {
        double e;
        v[j] = nnm_two_sum(v[j], t, &e);
        err[j] += e;
    } else {
        v[j] += t;
    }
}

/* Keras's epsilon 1e-7 and 1 - 1e-7 rounded to each type, the clip bounds of
 * probabilities; float16 rows take float32's (the Python layer computes float16 input in
 * float32; in float16, 1 - eps rounds to 1) */
#define NNM_CLIP_LO_f ((double)(float)1e-7)
#define NNM_CLIP_HI_f ((double)(float)(1.0 - 1e-7))
#define NNM_CLIP_LO_e NNM_CLIP_LO_f
#define NNM_CLIP_HI_e NNM_CLIP_HI_f
#define NNM_CLIP_LO_d 1e-7
#define NNM_CLIP_HI_d (1.0 - 1e-7)

/* Loading and storing a block of one element type; contiguous blocks as plain indexed
 * loops; the load multiplies by sgn and pads the block to whole lane groups with pad. */
#define NNM_ROW_IO(T, S)                                                                     \
    static inline void nnm_rload_##S(const char *p, intptr_t s, intptr_t len, double sgn,    \
                                     double pad, double *out)                                \
    {                                                                                        \
        if (s == (intptr_t)sizeof(T)) {                                                      \
            const T *x = (const T *)p;                                                       \
            for (intptr_t i = 0; i < len; i++) {                                             \
                out[i] = sgn * LD_##S(x[i]);                                                 \
            }                                                                                \
        } else {                                                                             \
            for (intptr_t i = 0; i < len; i++) {                                             \
                out[i] = sgn * LD_##S(*(const T *)(p + i * s));                              \
            }                                                                                \
        }                                                                                    \
        for (intptr_t i = len; i < nnm_rpad(len); i++) {                                     \
            out[i] = pad;                                                                    \
        }                                                                                    \
    }                                                                                        \
    static inline void nnm_rstore_##S(char *p, intptr_t s, intptr_t len, const double *v)    \
    {                                                                                        \
        if (s == (intptr_t)sizeof(T)) {                                                      \
            T *y = (T *)p;                                                                   \
            for (intptr_t i = 0; i < len; i++) {                                             \
                y[i] = ST_##S(v[i]);                                                         \
            }                                                                                \
        } else {                                                                             \
            for (intptr_t i = 0; i < len; i++) {                                             \
                *(T *)(p + i * s) = ST_##S(v[i]);                                            \
            }                                                                                \
        }                                                                                    \
    }                                                                                        \
    static inline void nnm_rfill_nan_##S(char *p, intptr_t s, intptr_t n)                    \
    {                                                                                        \
        for (intptr_t i = 0; i < n; i++) {                                                   \
            *(T *)(p + i * s) = ST_##S(NAN);                                                 \
        }                                                                                    \
    }

#endif

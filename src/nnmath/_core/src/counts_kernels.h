/* The per-level loops of the threshold histograms (counts_kernels.c, compiled once per ISA
 * level like kernels.c) and what counts.c passes them. Plain C without Python or NumPy. */
#ifndef NNM_COUNTS_KERNELS_H
#define NNM_COUNTS_KERNELS_H
#include <stdint.h>

/* the loops read and check the scores in blocks of this many: a failed check is reported
 * as the start of its block */
#define NNM_CBLOCK 4096
/* at most this many thresholds take the comparison loop (nnm_cfew_fn) */
#define NNM_CFEW 8

/* One call's constants. Thresholds t[0] <= ... <= t[T-1] in the scores' type. */
typedef struct {
    const void *scores;
    const uint8_t *labels;
    const void *thresholds;
    intptr_t nthr;            /* T */
    double low, high;         /* the allowed scores: low <= s <= high */
    /* the arithmetic cell of the evenly spaced inner thresholds t[1] .. t[T-2] (the even
     * loop only; see counts.c): d = (s - t1) * b + 1 in the scores' type, clamped to
     * [1/2, T - 3/2], counts them by its floor wherever its fraction f lies in
     * [del, udel] */
    double t1, b, del, udel;
} nnm_cshape;

/* the bins of [b, e) added to hist (T + 1 bins by 2 labels, int64), through four
 * sub-histograms of uint32 in scratch (4 * 2 * (T + 1) entries, any content); the
 * thresholds must be evenly spaced enough for counts.c to have set the cell (T >= 4,
 * 2 * (T + 1) < 65535). Returns -1, or the start of the first block that fails a check
 * (nothing then is reliable in hist). */
typedef intptr_t (*nnm_ceven_fn)(const nnm_cshape *p, int64_t *hist, uint32_t *scratch,
                                 intptr_t b, intptr_t e);
/* for T <= NNM_CFEW: above[2 i + y] += the scores of [b, e) with label y above t[i], and
 * labels[y] += the scores of label y. Returns as nnm_ceven_fn. */
typedef intptr_t (*nnm_cfew_fn)(const nnm_cshape *p, int64_t *above, int64_t *labels,
                                intptr_t b, intptr_t e);

typedef struct {
    nnm_ceven_fn even_f, even_d; /* float32, float64 scores */
    nnm_cfew_fn few_f, few_d;
} nnm_ckernels;

#define NNM_DECLARE_CKERNELS(suffix) extern const nnm_ckernels nnm_ckernels##suffix;
NNM_DECLARE_CKERNELS(_baseline)
#ifdef NNM_X86_DISPATCH
NNM_DECLARE_CKERNELS(_avx2)
NNM_DECLARE_CKERNELS(_avx512)
#endif

/* module.c: the ISA level in use (0 baseline, 1 avx2, 2 avx512) */
int nnm_core_level(void);

#endif

/* The loops of the threshold histograms that vectorise: compiled once per ISA level like
 * kernels.c (NNM_SUFFIX), chosen by counts.c from the level in use. Plain C: the compiler
 * vectorises the inner loops at each level (AVX-512, AVX2, SSE2 or the portable target).
 *
 * even: evenly spaced thresholds (T > NNM_CFEW). A group of NNM_CG scores is placed in
 *   one vectorised pass without a table: the arithmetic cell d = (s - t1) * b + 1 counts
 *   the inner thresholds t[1] .. t[T-2] below s (floor(d), clamped), and two comparisons
 *   add the end thresholds t[0] and t[T-1], which are often apart from the others (AUC's
 *   -1e-7 and 1 + 1e-7). counts.c sets del from the largest distance of an inner threshold
 *   from its place on the line plus a bound of the rounding of d, so that wherever d
 *   (clamped to [1/2, T - 3/2]) lies at least del from an integer the count is exact (the
 *   score is further than that distance from every inner threshold's place; the proof is
 *   at even_cell in counts.c). The few scores closer than del to an integer (a score at
 *   or within rounding of a threshold) are marked in the pass and placed by comparing
 *   them with that threshold itself, in the scores' type: every count is that of
 *   comparing each score with every threshold. The label is folded into the bin (key
 *   2 bin + label) and the group's keys counted in four sub-histograms in turn (uint32,
 *   flushed to the int64 histogram at least every NNM_CFLUSH scores), so that
 *   consecutive scores of one bin do not wait for each other's add.
 * few: at most NNM_CFEW thresholds. For each threshold, the scores above it and the
 *   positives among them, by comparisons summed over a block: no histogram at all.
 *
 * Both check every score (low <= s <= high, so not NaN) and label (0 or 1) as they go and
 * stop at the first block that fails, which counts.c then searches. */
#include <stdint.h>

#include "counts_kernels.h"
#include "nnm_common.h"

#ifndef NNM_SUFFIX
#error "counts_kernels.c is compiled with -DNNM_SUFFIX=_<level>"
#endif

#define NNM_CG 64          /* scores per group of the even loop (a full vector of labels) */
#define NNM_CFLUSH (1 << 24) /* the even loop flushes its uint32 counts this often at least */

/* the bin of one score v (not NaN) by the arithmetic cell: c inner thresholds below v,
 * except where the fraction f of the clamped cell x is within del of an integer k (then
 * 1 <= k <= T - 2): only t[k] may then lie on either side of v (every other inner
 * threshold's place is more than 1/2 from v's), and one comparison with it decides. The
 * end thresholds t[0] and t[T-1] are compared. */
#define NNM_CBIN(T_, v, bin)                                                                \
    do {                                                                                    \
        T_ d_ = ((v) - t1) * sb + (T_)1;                                                    \
        T_ x_ = d_ > half ? d_ : half;                                                      \
        x_ = x_ < top ? x_ : top;                                                           \
        int32_t c_ = (int32_t)x_;                                                           \
        T_ f_ = x_ - (T_)c_;                                                                \
        if ((f_ < del) | (f_ > udel)) {                                                     \
            c_ += f_ > half;                                                                \
            c_ += (t[c_] < (v)) - 1;                                                        \
        }                                                                                   \
        (bin) = c_ + ((v) > tf) + ((v) > tl);                                               \
    } while (0)

#define NNM_CEVEN(NAME, T_)                                                                 \
    static intptr_t NAME(const nnm_cshape *p, int64_t *hist, uint32_t *scratch, intptr_t b, \
                         intptr_t e)                                                        \
    {                                                                                       \
        const T_ *restrict s = (const T_ *)p->scores;                                       \
        const uint8_t *restrict l = p->labels;                                              \
        const T_ *t = (const T_ *)p->thresholds;                                            \
        const intptr_t nt = p->nthr, stride = 2 * (nt + 1);                                 \
        const T_ t1 = (T_)p->t1, sb = (T_)p->b;                                             \
        const T_ del = (T_)p->del, udel = (T_)p->udel, half = (T_)0.5;                     \
        const T_ top = (T_)(nt - 2) + half;                                                 \
        const T_ tf = t[0], tl = t[nt - 1], low = (T_)p->low, high = (T_)p->high;          \
        uint32_t *restrict h = scratch;                                                     \
        for (intptr_t c0 = b; c0 < e; c0 += NNM_CFLUSH) {                                   \
            intptr_t c1 = e - c0 < NNM_CFLUSH ? e : c0 + NNM_CFLUSH;                        \
            for (intptr_t k = 0; k < 4 * stride; k++) {                                     \
                h[k] = 0;                                                                   \
            }                                                                               \
            for (intptr_t blk = c0; blk < c1; blk += NNM_CBLOCK) {                          \
                intptr_t end = c1 - blk < NNM_CBLOCK ? c1 : blk + NNM_CBLOCK;               \
                int bad = 0;                                                                \
                uint8_t seen = 0;                                                           \
                intptr_t i = blk;                                                           \
                for (; i + NNM_CG <= end; i += NNM_CG) {                                    \
                    uint16_t key[NNM_CG];                                                   \
                    int amb = 0;                                                            \
                    for (int j = 0; j < NNM_CG; j++) {                                      \
                        T_ v = s[i + j];                                                    \
                        uint8_t lab = l[i + j];                                             \
                        bad |= ((v >= low) & (v <= high)) ^ 1;                              \
                        seen |= lab;                                                        \
                        T_ d = (v - t1) * sb + (T_)1;                                       \
                        T_ x = d > half ? d : half; /* NaN: 1/2 (refused below) */          \
                        x = x < top ? x : top;                                              \
                        int32_t c = (int32_t)x;                                             \
                        T_ fr = x - (T_)c;                                                  \
                        int a = (fr < del) | (fr > udel);                                   \
                        amb |= a;                                                           \
                        c += (v > tf) + (v > tl);                                           \
                        key[j] = (uint16_t)((c * 2 + (lab & 1)) | -a);                      \
                    }                                                                       \
                    if (amb) {                                                              \
                        for (int j = 0; j < NNM_CG; j++) {                                  \
                            if (key[j] == 0xFFFF) {                                         \
                                T_ v = s[i + j];                                            \
                                int32_t bin;                                                \
                                NNM_CBIN(T_, v, bin);                                       \
                                key[j] = (uint16_t)(bin * 2 + (l[i + j] & 1));              \
                            }                                                               \
                        }                                                                   \
                    }                                                                       \
                    for (int j = 0; j < NNM_CG; j += 4) {                                   \
                        h[key[j]]++;                                                        \
                        h[stride + key[j + 1]]++;                                           \
                        h[2 * stride + key[j + 2]]++;                                       \
                        h[3 * stride + key[j + 3]]++;                                       \
                    }                                                                       \
                }                                                                           \
                for (; i < end; i++) {                                                      \
                    T_ v = s[i];                                                            \
                    uint8_t lab = l[i];                                                     \
                    if (!(v >= low && v <= high)) {                                         \
                        bad = 1;                                                            \
                        break;                                                              \
                    }                                                                       \
                    seen |= lab;                                                            \
                    int32_t bin;                                                            \
                    NNM_CBIN(T_, v, bin);                                                   \
                    h[bin * 2 + (lab & 1)]++;                                               \
                }                                                                           \
                if (bad | (seen > 1)) {                                                     \
                    return blk;                                                             \
                }                                                                           \
            }                                                                               \
            for (intptr_t k = 0; k < stride; k++) {                                         \
                hist[k] += (int64_t)h[k] + h[stride + k] + h[2 * stride + k] +              \
                           h[3 * stride + k];                                               \
            }                                                                               \
        }                                                                                   \
        return -1;                                                                          \
    }

#define NNM_CFEWLOOP(NAME, T_)                                                              \
    static intptr_t NAME(const nnm_cshape *p, int64_t *above, int64_t *labels, intptr_t b,  \
                         intptr_t e)                                                        \
    {                                                                                       \
        const T_ *restrict s = (const T_ *)p->scores;                                       \
        const uint8_t *restrict l = p->labels;                                              \
        const T_ *t = (const T_ *)p->thresholds;                                            \
        const intptr_t nt = p->nthr;                                                        \
        const T_ low = (T_)p->low, high = (T_)p->high;                                      \
        for (intptr_t blk = b; blk < e; blk += NNM_CBLOCK) {                                \
            intptr_t m = e - blk < NNM_CBLOCK ? e - blk : NNM_CBLOCK;                       \
            const T_ *restrict sb = s + blk;                                                \
            const uint8_t *restrict lb = l + blk;                                           \
            int bad = 0;                                                                    \
            uint8_t seen = 0;                                                               \
            int32_t pos = 0;                                                                \
            for (intptr_t j = 0; j < m; j++) {                                              \
                T_ v = sb[j];                                                               \
                bad |= ((v >= low) & (v <= high)) ^ 1;                                      \
                seen |= lb[j];                                                              \
                pos += lb[j] & 1;                                                           \
            }                                                                               \
            if (bad | (seen > 1)) {                                                         \
                return blk;                                                                 \
            }                                                                               \
            labels[0] += m - pos;                                                           \
            labels[1] += pos;                                                               \
            for (intptr_t k = 0; k < nt; k++) {                                             \
                const T_ tk = t[k];                                                         \
                int32_t all = 0, up = 0;                                                    \
                for (intptr_t j = 0; j < m; j++) {                                          \
                    int32_t a = sb[j] > tk;                                                 \
                    all += a;                                                               \
                    up += a & lb[j];                                                        \
                }                                                                           \
                above[2 * k] += all - up;                                                   \
                above[2 * k + 1] += up;                                                     \
            }                                                                               \
        }                                                                                   \
        return -1;                                                                          \
    }

NNM_CEVEN(even_f, float)
NNM_CEVEN(even_d, double)
NNM_CFEWLOOP(few_f, float)
NNM_CFEWLOOP(few_d, double)

const nnm_ckernels NNM_SYM(nnm_ckernels) = {even_f, even_d, few_f, few_d};

/* Threshold histograms: for each score, the number of sorted thresholds strictly below it
 * (its interval), counted per label (0 or 1) and per column, in one pass.
 *
 * A score s is above threshold i (thresholds sorted ascending) exactly when i < bin(s),
 * bin(s) = #{t : t < s}; the counts at every threshold are then cumulative sums of the
 * histogram (in Python). bin(s) is found without a search over all thresholds: a table
 * of NNM_CCELLS cells spans [t_0, t_(T-1)], each cell holding a lower bound of the bin of
 * any score that falls in it (the count of thresholds below the start of the previous
 * cell, which absorbs the rounding of the cell computation), from which a short forward
 * scan reaches the bin. Evenly spaced thresholds need one or two comparisons per score;
 * any sorted list works (clustered thresholds scan further). The comparison t < s is made
 * in the scores' type, so the decisions are those of comparing with every threshold.
 *
 * The pass also checks its input: a NaN score, a score outside [0, 1] (when asked) or a
 * label other than 0 and 1 stops the count and is reported, so that no separate pass is
 * needed for validation.
 *
 * One column of scores takes a vectorised loop of counts_kernels.c (compiled per ISA level,
 * chosen by the level in use) where one applies: at most NNM_CFEW thresholds, comparisons
 * summed per threshold; evenly spaced thresholds, an arithmetic cell with the scores near
 * a threshold compared with it. Other thresholds and several columns take the loops here.
 *
 * Python: threshold_histogram(scores, labels, thresholds, columns=1, unit=True)
 *   -> (counts, status); see the docstring in module.c. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NPY_NO_DEPRECATED_API NPY_1_23_API_VERSION
#define NO_IMPORT_ARRAY
#define PY_ARRAY_UNIQUE_SYMBOL nnm_ARRAY_API
#include <numpy/arrayobject.h>

#include "counts.h"
#include "counts_kernels.h"
#include "pool.h"

#define NNM_CCELLS 4096            /* cells of the lookup table */
#define NNM_CPARALLEL_MIN 65536    /* fewer scores stay on the calling thread */
#define NNM_CALIGN 4096            /* piece boundaries: whole cache lines of any input */
#define NNM_CPAD 3                 /* +inf entries after the thresholds */
#define NNM_CBITS 65536            /* cells of the float32 bit-pattern table */
#define NNM_CWAYS 4 /* histograms taking the scores in turn when there are few cells:
                       consecutive scores in one cell do not wait for each other's add
                       (with many cells that is rare, and one histogram is faster) */

enum { NNM_COK = 0, NNM_CNAN = 1, NNM_CRANGE = 2, NNM_CLABEL = 3 };
/* which loop counts: the table and scan here, or one of counts_kernels.c */
enum { NNM_CSCAN, NNM_CEVEN, NNM_CFEWER };

typedef struct {
    const void *scores;
    const uint8_t *labels;
    const void *thresholds;
    int is_double;
    npy_intp nthr;     /* T */
    npy_intp columns;  /* C */
    int unit;          /* refuse scores outside [0, 1] */
    const int32_t *table; /* NNM_CCELLS lower bounds */
    const int32_t *bits_table; /* float32 scores, large inputs: NNM_CBITS lower bounds by
                                  the top 16 bits of the order-preserving bit pattern */
    int one_step;              /* no cell of bits_table holds more than one threshold */
    npy_intp ways;             /* histograms in turn: NNM_CWAYS for few cells, else 1 */
    double lo, scale;     /* cell = (s - lo) * scale */
    int64_t *counts;      /* C * (T + 1) * 2, shared: pieces add theirs atomically */
    int status;           /* the first error found (any piece) */
    npy_intp where;       /* its index */
    int mode;             /* NNM_CSCAN, NNM_CEVEN or NNM_CFEWER */
    const nnm_ckernels *kernels; /* the loops of the level in use */
    nnm_cshape shape;     /* their constants */
} cjob;

static void add_shared(int64_t *dst, const int64_t *src, npy_intp n)
{
    for (npy_intp i = 0; i < n; i++) {
        if (src[i] != 0) {
#if defined(__GNUC__) || defined(__clang__)
            __atomic_fetch_add(&dst[i], src[i], __ATOMIC_RELAXED);
#else
            dst[i] += src[i]; /* the pool runs on the calling thread only here */
#endif
        }
    }
}

static void report(cjob *job, int status, npy_intp where)
{
#if defined(__GNUC__) || defined(__clang__)
    int expected = NNM_COK;
    if (__atomic_compare_exchange_n(&job->status, &expected, status, 0, __ATOMIC_RELAXED,
                                    __ATOMIC_RELAXED)) {
        job->where = where;
    }
#else
    if (job->status == NNM_COK) {
        job->status = status;
        job->where = where;
    }
#endif
}

static inline npy_intp cell_of(double s, double lo, double scale)
{
    double d = (s - lo) * scale;
    if (!(d > 0.0)) {
        return 0;
    }
    if (d >= (double)(NNM_CCELLS - 1)) {
        return NNM_CCELLS - 1;
    }
    return (npy_intp)d;
}

/* one piece of the scores: [b, e). t is padded with +inf (NNM_CPAD entries), so the
 * two unconditional steps and the scan never read past it. */
#define NNM_COUNT_BODY(T_)                                                                  \
    do {                                                                                    \
        const T_ *s = (const T_ *)job->scores;                                              \
        const T_ *t = (const T_ *)job->thresholds;                                          \
        const npy_intp nb = job->nthr + 1, cols = job->columns;                             \
        const int32_t *table = job->table;                                                  \
        const double lo = job->lo, scale = job->scale;                                      \
        const T_ low = job->unit ? (T_)0 : -(T_)INFINITY;                                   \
        const T_ high = job->unit ? (T_)1 : (T_)INFINITY;                                   \
        const npy_intp size = cols * nb * 2;                                                \
        const npy_intp wmask = job->ways - 1;                                               \
        npy_intp col = b % cols;                                                            \
        for (npy_intp i = b; i < e; i++) {                                                  \
            T_ v = s[i];                                                                    \
            uint8_t lab = job->labels[i];                                                   \
            if (!(v >= low && v <= high) || lab > 1) { /* NaN fails both */                 \
                report(job, v != v ? NNM_CNAN : lab > 1 ? NNM_CLABEL : NNM_CRANGE, i);      \
                goto out;                                                                   \
            }                                                                               \
            npy_intp bin = table[cell_of((double)v, lo, scale)];                            \
            bin += t[bin] < v;                                                              \
            bin += t[bin] < v;                                                              \
            while (t[bin] < v) {                                                            \
                bin++;                                                                      \
            }                                                                               \
            local[(i & wmask) * size + (col * nb + bin) * 2 + lab]++;             \
            if (++col == cols) {                                                            \
                col = 0;                                                                    \
            }                                                                               \
        }                                                                                   \
    } while (0)

/* float32 bits in an unsigned order of the same order as the floats (not NaN) */
static inline uint32_t ordered_bits(float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

/* the first index in [b, e) whose score or label fails the checks */
static npy_intp first_bad(const float *s, const uint8_t *l, float low, float high, npy_intp b,
                          npy_intp e, int *status)
{
    for (npy_intp i = b; i < e; i++) {
        float v = s[i];
        if (!(v >= low && v <= high) || l[i] > 1) {
            *status = v != v ? NNM_CNAN : l[i] > 1 ? NNM_CLABEL : NNM_CRANGE;
            return i;
        }
    }
    return -1; /* not reached: a failure was seen */
}

/* the same for either type of scores, from the block at blk that a loop of
 * counts_kernels.c stopped at (the failure lies in that block) */
static void report_block(cjob *job, npy_intp blk, npy_intp e)
{
    npy_intp end = e - blk < NNM_CBLOCK ? e : blk + NNM_CBLOCK;
    const uint8_t *l = job->labels;
    double low = job->shape.low, high = job->shape.high;
    for (npy_intp i = blk; i < end; i++) {
        double v = job->is_double ? ((const double *)job->scores)[i]
                                  : (double)((const float *)job->scores)[i];
        if (!(v >= low && v <= high) || l[i] > 1) {
            report(job, v != v ? NNM_CNAN : l[i] > 1 ? NNM_CLABEL : NNM_CRANGE, i);
            return;
        }
    }
}

/* one piece by a loop of counts_kernels.c into local (T + 1 bins by 2 labels); the
 * comparison loop's counts above each threshold become the bins' counts */
static void count_kernels(cjob *job, int64_t *local, uint32_t *scratch, npy_intp b,
                          npy_intp e)
{
    intptr_t bad;
    if (job->mode == NNM_CEVEN) {
        bad = (job->is_double ? job->kernels->even_d : job->kernels->even_f)(
            &job->shape, local, scratch, b, e);
    } else {
        const npy_intp nt = job->nthr;
        int64_t above[2 * NNM_CFEW] = {0}, labels[2] = {0, 0};
        bad = (job->is_double ? job->kernels->few_d : job->kernels->few_f)(
            &job->shape, above, labels, b, e);
        for (int y = 0; y < 2; y++) {
            /* bin 0: not above t[0]; bin k: above t[k-1], not above t[k]; bin T: above all */
            local[y] = labels[y] - above[y];
            for (npy_intp k = 1; k < nt; k++) {
                local[2 * k + y] = above[2 * (k - 1) + y] - above[2 * k + y];
            }
            local[2 * nt + y] = above[2 * (nt - 1) + y];
        }
    }
    if (bad >= 0) {
        report_block(job, bad, e);
    }
}

/* float32 scores with the bit-pattern table: no conversion, one table load, and, when
 * no cell holds more than one threshold (evenly spaced thresholds: always), one
 * comparison; the checks are gathered without a branch (the largest offset of the bits
 * above the lowest allowed score's, the labels or-ed) and looked at once per block */
static void count_f32_bits(cjob *job, int64_t *local, npy_intp b, npy_intp e)
{
    const float *s = (const float *)job->scores;
    const uint8_t *l = job->labels;
    const float *t = (const float *)job->thresholds;
    const npy_intp nb = job->nthr + 1, cols = job->columns;
    const int32_t *table = job->bits_table;
    /* -0.0 is a probability: the range starts at its bits; NaN lies beyond +inf's */
    const float low = job->unit ? -0.0f : -INFINITY;
    const float high = job->unit ? 1.0f : INFINITY;
    const uint32_t low_bits = ordered_bits(low), span = ordered_bits(high) - low_bits;
    const npy_intp size = cols * nb * 2, wmask = job->ways - 1;
    npy_intp col = b % cols;
    for (npy_intp blk = b; blk < e; blk += NNM_CALIGN) {
        npy_intp end = blk + NNM_CALIGN < e ? blk + NNM_CALIGN : e;
        uint32_t worst = 0; /* the largest offset of a score's bits above low's */
        uint8_t seen = 0;   /* the labels or-ed: above 1 when one is neither 0 nor 1 */
        if (job->one_step && cols == 1) {
            for (npy_intp i = blk; i < end; i++) {
                float v = s[i];
                uint8_t lab = l[i];
                uint32_t o = ordered_bits(v), off = o - low_bits;
                worst = off > worst ? off : worst;
                seen |= lab;
                npy_intp bin = table[o >> 16];
                bin += t[bin] < v;
                local[(i & wmask) * size + bin * 2 + (lab & 1)]++;
            }
        } else {
            for (npy_intp i = blk; i < end; i++) {
                float v = s[i];
                uint8_t lab = l[i];
                uint32_t o = ordered_bits(v), off = o - low_bits;
                worst = off > worst ? off : worst;
                seen |= lab;
                npy_intp bin = table[o >> 16];
                bin += t[bin] < v;
                bin += t[bin] < v;
                while (t[bin] < v) { /* NaN: false at once (refused below) */
                    bin++;
                }
                local[(i & wmask) * size + (col * nb + bin) * 2 + (lab & 1)]++;
                if (++col == cols) {
                    col = 0;
                }
            }
        }
        if (worst > span || seen > 1) {
            int status = NNM_COK;
            npy_intp where = first_bad(s, l, low, high, blk, end, &status);
            report(job, status, where);
            return;
        }
    }
}

static void count_task(void *ctx, intptr_t b, intptr_t e)
{
    cjob *job = (cjob *)ctx;
    npy_intp size = job->columns * (job->nthr + 1) * 2;
    int64_t *local = (int64_t *)calloc((size_t)(size * job->ways), sizeof(int64_t));
    if (local == NULL) {
        report(job, -1, 0);
        return;
    }
    if (job->mode != NNM_CSCAN) {
        uint32_t *scratch = NULL;
        if (job->mode == NNM_CEVEN) {
            scratch = (uint32_t *)malloc((size_t)(4 * size) * sizeof(uint32_t));
            if (scratch == NULL) {
                free(local);
                report(job, -1, 0);
                return;
            }
        }
        count_kernels(job, local, scratch, b, e);
        free(scratch);
    } else if (job->bits_table != NULL) {
        count_f32_bits(job, local, b, e);
    } else if (job->is_double) {
        NNM_COUNT_BODY(double);
    } else {
        NNM_COUNT_BODY(float);
    }
out:
    for (npy_intp k = 1; k < job->ways; k++) {
        for (npy_intp j = 0; j < size; j++) {
            local[j] += local[k * size + j];
        }
    }
    add_shared(job->counts, local, size);
    free(local);
}

/* the loops of counts_kernels.c for the level in use */
static const nnm_ckernels *kernels_in_use(void)
{
#ifdef NNM_X86_DISPATCH
    if (nnm_core_level() == 2) {
        return &nnm_ckernels_avx512;
    }
    if (nnm_core_level() == 1) {
        return &nnm_ckernels_avx2;
    }
#endif
    return &nnm_ckernels_baseline;
}

/* x rounded to the scores' type, up or down (float32: the float on that side of x) */
static double to_type(double x, int is_double, int up)
{
    if (is_double) {
        return x;
    }
    float f = (float)x;
    if (up && (double)f < x) {
        f = nextafterf(f, INFINITY);
    } else if (!up && (double)f > x) {
        f = nextafterf(f, -INFINITY);
    }
    return (double)f;
}

/* The arithmetic cell of the even loop (counts_kernels.c) for the inner thresholds
 * t[1] .. t[T-2], or 0 where they are not evenly spaced enough.
 *
 * D(s) = (s - t1) * b + 1 in real numbers, with t1 = t[1] and b = (T - 3) / (t[T-2] - t1)
 * rounded to the scores' type, puts t[1] at 1 exactly, and t[i] at i + e_i; Delta is the
 * largest |e_i| (computed in double: error below 2^-52 (T + 2)). The loop computes
 * d = (s - t1) * b + 1 in the scores' type (unit roundoff u), three roundings: |d - D(s)|
 * <= eta = 3.01 u (T + 2) wherever |D| <= T + 1, and beyond that d and D lie on the same
 * side of [0, T]. It clamps d to x in [1/2, T - 3/2] and takes c = floor(x), f = x - c.
 * With del >= Delta + 8 (u + 2^-52) (T + 2) > Delta + eta, del <= 1/4 and
 * udel <= 1 - del, wherever del <= f <= udel:
 *   d < 1/2 (c = 0): D(s) < 1/2 + eta < 1 = D(t[1]), s < t[1]: no inner threshold below s;
 *   d > T - 3/2 (c = T - 2): D(s) > T - 2 + Delta, s > t[T-2]: all T - 2 below s;
 *   otherwise x = d, and D(s) lies more than Delta above c and more than Delta below
 *     c + 1, so t[c] < s (where c >= 1) and s < t[c + 1] (where c + 1 <= T - 2): c inner
 *     thresholds below s.
 * Every other score (f < del or f > udel) is marked; it lies within del + eta of the
 * nearest integer k (1 <= k <= T - 2), and every inner threshold but t[k] more than
 * 1/2 from it (Delta + del + eta < 1/2), so that k - 1 + (t[k] < s) counts them. The
 * thresholds t[0] and t[T-1] are compared with each score. */
static int even_cell(const char *tp, npy_intp nt, int is_double, nnm_cshape *sh)
{
    if (nt <= NNM_CFEW || 2 * (nt + 1) >= 65535) {
        return 0;
    }
#define NNM_TH(i) (is_double ? ((const double *)tp)[i] : (double)((const float *)tp)[i])
    double t1 = NNM_TH(1), tm = NNM_TH(nt - 2);
    if (!(tm > t1) || !isfinite(t1) || !isfinite(tm)) {
        return 0;
    }
    double b = to_type((double)(nt - 3) / (tm - t1), is_double, 0);
    if (!(b > 0.0) || !isfinite(b)) {
        return 0;
    }
    double delta = 0.0;
    for (npy_intp i = 1; i <= nt - 2; i++) {
        double err = fabs((NNM_TH(i) - t1) * b + 1.0 - (double)i);
        if (!(err <= 0.25)) { /* NaN (an infinite threshold) too */
            return 0;
        }
        delta = err > delta ? err : delta;
    }
#undef NNM_TH
    double u = is_double ? 0x1p-53 : 0x1p-24;
    double m = delta + 8.0 * (u + 0x1p-52) * (double)(nt + 2);
    if (!(m <= 0.25)) {
        return 0;
    }
    sh->t1 = t1;
    sh->b = b;
    sh->del = to_type(m, is_double, 1);
    sh->udel = to_type(1.0 - m, is_double, 0);
    return 1;
}

static int check_1d(PyArrayObject *a, const char *name)
{
    if (PyArray_NDIM(a) != 1 || !PyArray_IS_C_CONTIGUOUS(a) || !PyArray_ISNOTSWAPPED(a)) {
        PyErr_Format(PyExc_ValueError,
                     "threshold_histogram: %s must be a contiguous 1-D array in native byte "
                     "order", name);
        return -1;
    }
    return 0;
}

PyObject *nnm_py_threshold_histogram(PyObject *self, PyObject *args, PyObject *kwargs)
{
    (void)self;
    static char *kwlist[] = {"scores", "labels", "thresholds", "columns", "unit", NULL};
    PyObject *so, *lo_, *to;
    Py_ssize_t columns = 1;
    int unit = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO|np:threshold_histogram", kwlist, &so,
                                     &lo_, &to, &columns, &unit)) {
        return NULL;
    }
    if (!PyArray_Check(so) || !PyArray_Check(lo_) || !PyArray_Check(to)) {
        PyErr_SetString(PyExc_TypeError,
                        "threshold_histogram: scores, labels and thresholds must be arrays");
        return NULL;
    }
    PyArrayObject *s = (PyArrayObject *)so, *l = (PyArrayObject *)lo_,
                  *t = (PyArrayObject *)to;
    if (check_1d(s, "scores") || check_1d(l, "labels") || check_1d(t, "thresholds")) {
        return NULL;
    }
    int ts = PyArray_TYPE(s);
    if ((ts != NPY_FLOAT32 && ts != NPY_FLOAT64) || PyArray_TYPE(t) != ts) {
        PyErr_SetString(PyExc_TypeError, "threshold_histogram: scores must be float32 or "
                                         "float64, and thresholds of the same type");
        return NULL;
    }
    if (PyArray_ITEMSIZE(l) != 1 || !(PyArray_TYPE(l) == NPY_BOOL ||
                                       PyArray_TYPE(l) == NPY_UINT8 ||
                                       PyArray_TYPE(l) == NPY_INT8)) {
        PyErr_SetString(PyExc_TypeError,
                        "threshold_histogram: labels must be bool, int8 or uint8");
        return NULL;
    }
    npy_intp n = PyArray_DIM(s, 0), nt = PyArray_DIM(t, 0);
    if (PyArray_DIM(l, 0) != n) {
        return PyErr_Format(PyExc_ValueError, "threshold_histogram: %zd scores but %zd "
                            "labels", (Py_ssize_t)n, (Py_ssize_t)PyArray_DIM(l, 0));
    }
    if (nt < 1 || nt > INT32_MAX - 1) {
        PyErr_SetString(PyExc_ValueError, "threshold_histogram: give at least one threshold");
        return NULL;
    }
    if (columns < 1 || n % columns != 0) {
        return PyErr_Format(PyExc_ValueError, "threshold_histogram: columns=%zd does not "
                            "divide the %zd scores", columns, (Py_ssize_t)n);
    }
    const int is_double = ts == NPY_FLOAT64;
    const char *tp = (const char *)PyArray_DATA(t);
    double first, last;
    for (npy_intp i = 0; i < nt; i++) {
        double a = is_double ? ((const double *)tp)[i] : (double)((const float *)tp)[i];
        if (a != a || (i > 0 && a < (is_double ? ((const double *)tp)[i - 1]
                                               : (double)((const float *)tp)[i - 1]))) {
            PyErr_SetString(PyExc_ValueError,
                            "threshold_histogram: thresholds must be sorted and not NaN");
            return NULL;
        }
    }
    first = is_double ? ((const double *)tp)[0] : (double)((const float *)tp)[0];
    last = is_double ? ((const double *)tp)[nt - 1] : (double)((const float *)tp)[nt - 1];
    int32_t *table = (int32_t *)malloc(NNM_CCELLS * sizeof(int32_t));
    size_t tsize = is_double ? sizeof(double) : sizeof(float);
    char *padded = (char *)malloc((size_t)(nt + NNM_CPAD) * tsize);
    npy_intp dims[3] = {(npy_intp)columns, nt + 1, 2};
    PyArrayObject *counts = (PyArrayObject *)PyArray_ZEROS(3, dims, NPY_INT64, 0);
    if (table == NULL || padded == NULL || counts == NULL) {
        free(table);
        free(padded);
        Py_XDECREF(counts);
        return PyErr_NoMemory();
    }
    memcpy(padded, tp, (size_t)nt * tsize);
    for (npy_intp i = nt; i < nt + NNM_CPAD; i++) {
        if (is_double) {
            ((double *)padded)[i] = INFINITY;
        } else {
            ((float *)padded)[i] = INFINITY;
        }
    }
    nnm_cshape shape = {PyArray_DATA(s), (const uint8_t *)PyArray_DATA(l), padded, nt,
                        unit ? 0.0 : -INFINITY, unit ? 1.0 : INFINITY, 0.0, 0.0, 0.0, 0.0};
    int mode = columns != 1 ? NNM_CSCAN
               : nt <= NNM_CFEW ? NNM_CFEWER
               : even_cell(tp, nt, is_double, &shape) ? NNM_CEVEN : NNM_CSCAN;
    double width = (last - first) / NNM_CCELLS;
    double scale = width > 0.0 && isfinite(width) ? 1.0 / width : 0.0;
    if (mode == NNM_CSCAN) {
        /* table[j]: the thresholds below the start of cell j - 1 (a lower bound of the bin
         * of any score placed in cell j, whatever the rounding of its cell) */
        npy_intp k = 0;
        for (npy_intp j = 0; j < NNM_CCELLS; j++) {
            double start = scale > 0.0 ? first + (double)(j - 1) * width : first;
            if (j == 0) {
                k = 0;
            } else {
                while (k < nt && (is_double ? ((const double *)tp)[k]
                                            : (double)((const float *)tp)[k]) < start) {
                    k++;
                }
            }
            table[j] = (int32_t)(j == 0 ? 0 : k);
        }
    }
    int32_t *bits_table = NULL;
    int one_step = 0;
    if (!is_double && n >= NNM_CPARALLEL_MIN && mode == NNM_CSCAN) {
        /* bits_table[k]: the thresholds below the first float of cell k (all floats whose
         * ordered bits have k as their top 16 bits) */
        bits_table = (int32_t *)malloc(NNM_CBITS * sizeof(int32_t));
        if (bits_table == NULL) {
            free(table);
            free(padded);
            Py_DECREF(counts);
            return PyErr_NoMemory();
        }
        const float *tf = (const float *)tp;
        npy_intp k = 0;
        for (npy_intp j = 0; j < NNM_CBITS; j++) {
            while (k < nt && ordered_bits(tf[k]) < ((uint32_t)j << 16)) {
                k++;
            }
            bits_table[j] = (int32_t)k;
        }
        one_step = 1; /* the thresholds of cell j: bits_table[j] .. bits_table[j + 1] - 1 */
        for (npy_intp j = 0; j + 1 < NNM_CBITS; j++) {
            one_step &= bits_table[j + 1] - bits_table[j] <= 1;
        }
        one_step &= nt - bits_table[NNM_CBITS - 1] <= 1;
    }
    cjob job = {PyArray_DATA(s), (const uint8_t *)PyArray_DATA(l), padded, is_double, nt,
                (npy_intp)columns, unit, table, bits_table, one_step,
                columns * (nt + 1) * 2 >= 64 ? 1 : NNM_CWAYS, first, scale,
                (int64_t *)PyArray_DATA(counts), NNM_COK, 0, mode, kernels_in_use(), shape};
    if (mode != NNM_CSCAN) {
        job.ways = 1;
    }
    Py_BEGIN_ALLOW_THREADS
    if (n >= NNM_CPARALLEL_MIN && nnm_pool_get_threads() > 1) {
        /* piece boundaries in whole rows, so that each piece starts at column 0 */
        npy_intp align = NNM_CALIGN * (npy_intp)columns;
        nnm_parallel_for((intptr_t)n, (intptr_t)align, count_task, &job);
    } else if (n > 0) {
        count_task(&job, 0, (intptr_t)n);
    }
    Py_END_ALLOW_THREADS
    free(table);
    free(bits_table);
    free(padded);
    if (job.status < 0) {
        Py_DECREF(counts);
        return PyErr_NoMemory();
    }
    return Py_BuildValue("(Nin)", (PyObject *)counts, job.status, (Py_ssize_t)job.where);
}

/* Exact sums: the sum of float32/float64 values (or of their products with weights),
 * per group or in all, kept without any rounding in a fixed-point accumulator.
 *
 * Every finite double is m * 2^e with an integer 0 <= m < 2^53 and -1074 <= e <= 971; the
 * product of two is an integer below 2^106 times 2^e with -2148 <= e <= 1942. The
 * accumulator holds 32-bit digits in int64 limbs: limb k weighs 2^(32 k + NNM_XEMIN), so
 * any such number is placed exactly by adding its 32-bit pieces (shifted into position)
 * to a few consecutive limbs. A limb absorbs many additions before it can overflow; the
 * carries are propagated (each limb back into [0, 2^32)) every NNM_XSPAN additions and
 * at the end. Nothing is rounded, so the total does not depend on the order of the
 * values, on how they were split over threads or calls, or on the grouping.
 *
 * Four accumulators take the values in turn (consecutive values of similar magnitude
 * hit the same limbs; separate accumulators keep those additions independent), and are
 * added up at the end. Large inputs are split over the thread pool, one accumulator set
 * per piece.
 *
 * Python: exact_sums(x, w=None, groups=None, ngroups=1) -> see the docstring below. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NPY_NO_DEPRECATED_API NPY_1_23_API_VERSION
#define NO_IMPORT_ARRAY
#define PY_ARRAY_UNIQUE_SYMBOL nnm_ARRAY_API
#include <numpy/arrayobject.h>

#include "exact.h"
#include "pool.h"

#define NNM_XEMIN (-2148)                     /* the weight of bit 0 of limb 0 */
#define NNM_XLIMBS 140                        /* covers 2^-2148 .. 2^(4480 - 2148) */
#define NNM_XSPAN 512 /* additions between carry propagations: 512 pieces below 2^53 fit */
#define NNM_XWAYS 4                           /* accumulators taking values in turn */
#define NNM_XMASK 0xffffffffu

enum { NNM_XNAN = 1, NNM_XPINF = 2, NNM_XNINF = 4 };

typedef struct {
    int64_t limb[NNM_XLIMBS];
    int pending; /* additions since the last propagation */
    int special; /* NNM_XNAN | NNM_XPINF | NNM_XNINF seen */
} nnm_xacc;

/* every limb but the last into [0, 2^32); the last keeps the sign */
static void xacc_carry(nnm_xacc *a)
{
    int64_t carry = 0;
    for (int k = 0; k < NNM_XLIMBS - 1; k++) {
        int64_t v = a->limb[k] + carry;
        carry = v >> 32; /* arithmetic shift: floor division by 2^32 */
        a->limb[k] = (int64_t)((uint64_t)v & NNM_XMASK);
    }
    a->limb[NNM_XLIMBS - 1] += carry;
    a->pending = 0;
}

static void xacc_merge(nnm_xacc *into, nnm_xacc *from)
{
    xacc_carry(into);
    xacc_carry(from);
    for (int k = 0; k < NNM_XLIMBS; k++) {
        into->limb[k] += from->limb[k];
    }
    into->special |= from->special;
    xacc_carry(into);
}

static inline void xacc_tick(nnm_xacc *a)
{
    if (++a->pending >= NNM_XSPAN) {
        xacc_carry(a);
    }
}

static inline uint64_t bits_of(double d)
{
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

/* d = (-1)^neg * m * 2^e; returns 0 for a non-finite d (its kind in *special), 1 else */
static inline int split_double(double d, uint64_t *m, int *e, int *neg, int *special)
{
    uint64_t b = bits_of(d);
    int ex = (int)((b >> 52) & 0x7ff);
    uint64_t frac = b & ((UINT64_C(1) << 52) - 1);
    *neg = (int)(b >> 63);
    if (ex == 0x7ff) {
        *special |= frac != 0 ? NNM_XNAN : *neg ? NNM_XNINF : NNM_XPINF;
        return 0;
    }
    *m = ex != 0 ? frac | (UINT64_C(1) << 52) : frac;
    *e = (ex != 0 ? ex : 1) - 1075;
    return 1;
}

/* add (-1)^neg * m * 2^e for m < 2^53: two pieces, the low 32 bits after the shift and
 * the rest (below 2^52) */
static inline void xacc_add53(nnm_xacc *a, uint64_t m, int e, int neg)
{
    int pos = e - NNM_XEMIN;
    int k = pos >> 5, s = pos & 31;
    uint64_t lo = (m << s) & NNM_XMASK;
    uint64_t hi = m >> (32 - s); /* (m << s) >> 32 */
    if (neg) {
        a->limb[k] -= (int64_t)lo;
        a->limb[k + 1] -= (int64_t)hi;
    } else {
        a->limb[k] += (int64_t)lo;
        a->limb[k + 1] += (int64_t)hi;
    }
    xacc_tick(a);
}

static inline void xacc_add_double(nnm_xacc *a, double d)
{
    uint64_t m;
    int e, neg;
    if (split_double(d, &m, &e, &neg, &a->special) && m != 0) {
        xacc_add53(a, m, e, neg);
    }
}

/* add x * w exactly: the 106-bit product of the mantissas in 32-bit digits */
static inline void xacc_add_product(nnm_xacc *a, double x, double w)
{
    uint64_t mx, mw;
    int ex, ew, nx, nw;
    int sx = 0, sw = 0;
    int fx = split_double(x, &mx, &ex, &nx, &sx);
    int fw = split_double(w, &mw, &ew, &nw, &sw);
    if (!fx || !fw) { /* inf * 0 is NaN, inf * finite is inf of the product's sign */
        uint64_t m;
        int e, neg;
        (void)split_double(x * w, &m, &e, &neg, &a->special);
        return;
    }
    if (mx == 0 || mw == 0) {
        return;
    }
    /* mx * mw with mx, mw < 2^53: halves of 32 and 21 bits */
    uint64_t xl = mx & NNM_XMASK, xh = mx >> 32, wl = mw & NNM_XMASK, wh = mw >> 32;
    uint64_t ll = xl * wl;                /* < 2^64 */
    uint64_t mid = xl * wh + xh * wl;      /* < 2^54 */
    uint64_t hh = xh * wh;                /* < 2^42 */
    /* the product as three 32-bit digits and a top one: p = d0 + d1 2^32 + d2 2^64 + d3 2^96 */
    uint64_t t1 = (ll >> 32) + (mid & NNM_XMASK);
    uint64_t d0 = ll & NNM_XMASK;
    uint64_t d1 = t1 & NNM_XMASK;
    uint64_t t2 = (t1 >> 32) + (mid >> 32) + (hh & NNM_XMASK);
    uint64_t d2 = t2 & NNM_XMASK;
    uint64_t d3 = (t2 >> 32) + (hh >> 32); /* < 2^11 */
    int pos = ex + ew - NNM_XEMIN;
    int k = pos >> 5, s = pos & 31;
    /* each digit shifted by s < 32 is below 2^63: split into its low 32 bits (limb k + j)
     * and the rest (limb k + j + 1) */
    uint64_t dig[4] = {d0, d1, d2, d3};
    int64_t sign = (nx ^ nw) ? -1 : 1;
    for (int j = 0; j < 4; j++) {
        uint64_t v = dig[j] << s;
        a->limb[k + j] += sign * (int64_t)(v & NNM_XMASK);
        a->limb[k + j + 1] += sign * (int64_t)(v >> 32);
    }
    xacc_tick(a);
}

/* -- the runs over strided memory ------------------------------------------------------------ */

typedef struct {
    const char *x, *w;
    npy_intp sx, sw; /* byte strides; w == NULL: no weights */
    int tx, tw;      /* 0: float32, 1: float64 */
} xrun;

static inline double load(const char *p, int t)
{
    if (t) {
        double d;
        memcpy(&d, p, sizeof d);
        return d;
    }
    float f;
    memcpy(&f, p, sizeof f);
    return (double)f;
}

/* add d without counting the addition (the caller propagates the carries at least every
 * NNM_XSPAN additions to one accumulator): branch-free but for a non-finite d */
static inline void xacc_add_fast(nnm_xacc *a, double d)
{
    uint64_t b = bits_of(d);
    int ex = (int)((b >> 52) & 0x7ff);
    if (ex == 0x7ff) {
        a->special |= (b & ((UINT64_C(1) << 52) - 1)) ? NNM_XNAN
                      : (b >> 63)                       ? NNM_XNINF
                                                        : NNM_XPINF;
        return;
    }
    uint64_t m = (b & ((UINT64_C(1) << 52) - 1)) | ((uint64_t)(ex != 0) << 52);
    int pos = ex + (ex == 0) - 1075 - NNM_XEMIN;
    int k = pos >> 5, s = pos & 31;
    int64_t neg = -(int64_t)(b >> 63); /* 0 or -1: x -> (x ^ neg) - neg negates when -1 */
    int64_t lo = (int64_t)((m << s) & NNM_XMASK);
    int64_t hi = (int64_t)(m >> (32 - s));
    a->limb[k] += (lo ^ neg) - neg;
    a->limb[k + 1] += (hi ^ neg) - neg;
}

/* contiguous values v[0 .. n): blocks of NNM_XWAYS * NNM_XSPAN, each accumulator taking
 * every NNM_XWAYS-th value, the carries propagated after each block */
#define NNM_XDENSE(NAME, T)                                                                   \
    static void NAME(nnm_xacc *acc, const T *v, npy_intp n)                                  \
    {                                                                                        \
        for (int j = 0; j < NNM_XWAYS; j++) {                                                \
            xacc_carry(&acc[j]);                                                             \
        }                                                                                    \
        npy_intp i = 0;                                                                      \
        while (n - i >= NNM_XWAYS) {                                                         \
            npy_intp stop = i + (npy_intp)NNM_XWAYS * NNM_XSPAN;                             \
            if (stop > n - (n - i) % NNM_XWAYS) {                                            \
                stop = n - (n - i) % NNM_XWAYS;                                              \
            }                                                                                \
            for (; i < stop; i += NNM_XWAYS) {                                               \
                for (int j = 0; j < NNM_XWAYS; j++) {                                        \
                    xacc_add_fast(&acc[j], (double)v[i + j]);                                \
                }                                                                            \
            }                                                                                \
            for (int j = 0; j < NNM_XWAYS; j++) {                                            \
                xacc_carry(&acc[j]);                                                         \
            }                                                                                \
        }                                                                                    \
        for (; i < n; i++) {                                                                 \
            xacc_add_double(&acc[0], (double)v[i]);                                          \
        }                                                                                    \
    }
NNM_XDENSE(xdense_f64, double)
NNM_XDENSE(xdense_f32, float)

/* elements [b, e) of a run into the NNM_XWAYS accumulators acc[0 .. NNM_XWAYS) */
static void xrun_add(nnm_xacc *acc, const xrun *r, npy_intp b, npy_intp e)
{
    const char *px = r->x + b * r->sx;
    if (r->w == NULL) {
        if (r->tx == 1 && r->sx == (npy_intp)sizeof(double)) {
            xdense_f64(acc, (const double *)(const void *)px, e - b);
            return;
        }
        if (r->tx == 0 && r->sx == (npy_intp)sizeof(float)) {
            xdense_f32(acc, (const float *)(const void *)px, e - b);
            return;
        }
        for (npy_intp i = b; i < e; i++, px += r->sx) {
            xacc_add_double(&acc[i & (NNM_XWAYS - 1)], load(px, r->tx));
        }
        return;
    }
    const char *pw = r->w + b * r->sw;
    if (r->tx == 0 && r->tw == 0) { /* float32 products are exact in float64 */
        for (npy_intp i = b; i < e; i++, px += r->sx, pw += r->sw) {
            xacc_add_double(&acc[i & (NNM_XWAYS - 1)], load(px, 0) * load(pw, 0));
        }
        return;
    }
    for (npy_intp i = b; i < e; i++, px += r->sx, pw += r->sw) {
        xacc_add_product(&acc[i & (NNM_XWAYS - 1)], load(px, r->tx), load(pw, r->tw));
    }
}

typedef struct {
    const xrun *run;
    nnm_xacc *acc; /* NNM_XWAYS per piece */
    npy_intp n, pieces;
} xpar;

static void xpar_task(void *ctx, intptr_t b, intptr_t e)
{
    xpar *p = (xpar *)ctx;
    for (intptr_t piece = b; piece < e; piece++) {
        npy_intp lo = p->n * piece / p->pieces, hi = p->n * (piece + 1) / p->pieces;
        xrun_add(p->acc + piece * NNM_XWAYS, p->run, lo, hi);
    }
}

#define NNM_XPARALLEL_MIN ((npy_intp)1 << 17)

/* -- the result as Python objects ------------------------------------------------------------ */

/* the accumulator's value: a float (NaN or +-inf) when a non-finite value was added, else
 * (digits, exponent) with value int.from_bytes(digits, "little", signed=True) * 2**exponent */
static PyObject *xacc_value(nnm_xacc *a)
{
    if (a->special) {
        int nan = (a->special & NNM_XNAN) || ((a->special & NNM_XPINF) && (a->special & NNM_XNINF));
        return PyFloat_FromDouble(nan ? Py_NAN : (a->special & NNM_XPINF) ? Py_HUGE_VAL
                                                                          : -Py_HUGE_VAL);
    }
    xacc_carry(a);
    /* the limbs are now 32-bit digits of the two's complement of the total: the last
     * one is 0 or -1 (the total is far below its weight), the sign */
    uint32_t dig[NNM_XLIMBS];
    for (int k = 0; k < NNM_XLIMBS; k++) {
        dig[k] = (uint32_t)((uint64_t)a->limb[k] & NNM_XMASK);
    }
    uint32_t ext = dig[NNM_XLIMBS - 1];
    int lo = 0;
    while (lo < NNM_XLIMBS && dig[lo] == 0) {
        lo++;
    }
    if (lo == NNM_XLIMBS) { /* the total is 0 */
        return Py_BuildValue("(y#i)", "\0\0\0\0", (Py_ssize_t)4, 0);
    }
    /* drop the top digits that only repeat the sign */
    int hi = NNM_XLIMBS - 1;
    while (hi > lo && dig[hi] == ext && (dig[hi - 1] >> 31) == (ext & 1u)) {
        hi--;
    }
    int nd = hi - lo + 1;
    unsigned char buf[4 * NNM_XLIMBS];
    for (int k = 0; k < nd; k++) {
        uint32_t v = dig[lo + k];
        buf[4 * k] = (unsigned char)(v & 0xff);
        buf[4 * k + 1] = (unsigned char)((v >> 8) & 0xff);
        buf[4 * k + 2] = (unsigned char)((v >> 16) & 0xff);
        buf[4 * k + 3] = (unsigned char)(v >> 24);
    }
    return Py_BuildValue("(y#i)", (const char *)buf, (Py_ssize_t)(4 * nd),
                         NNM_XEMIN + 32 * lo);
}

/* -- exact_sums ------------------------------------------------------------------------------ */

static int float_code(PyArrayObject *a, const char *name)
{
    int t = PyArray_ISNOTSWAPPED(a) ? PyArray_TYPE(a) : -1;
    if (t == NPY_FLOAT) {
        return 0;
    }
    if (t == NPY_DOUBLE) {
        return 1;
    }
    PyErr_Format(PyExc_TypeError, "exact_sums: %s must be a float32 or float64 array in the "
                 "machine's byte order", name);
    return -1;
}

/* the sum over all elements of x (times w) */
static PyObject *sum_all(PyArrayObject *x, PyArrayObject *w)
{
    PyArrayObject *ops[2] = {x, w};
    npy_uint32 op_flags[2] = {NPY_ITER_READONLY, NPY_ITER_READONLY};
    int nop = w == NULL ? 1 : 2;
    int tx = float_code(x, "x"), tw = w == NULL ? 0 : float_code(w, "w");
    if (tx < 0 || tw < 0) {
        return NULL;
    }
    nnm_xacc *acc = NULL;
    PyObject *result = NULL;
    NpyIter *it = NpyIter_MultiNew(nop, ops,
                                   NPY_ITER_EXTERNAL_LOOP | NPY_ITER_ZEROSIZE_OK |
                                       NPY_ITER_REFS_OK,
                                   NPY_KEEPORDER, NPY_NO_CASTING, op_flags, NULL);
    if (it == NULL) {
        return NULL;
    }
    npy_intp total = NpyIter_GetIterSize(it);
    int threads = nnm_pool_get_threads();
    npy_intp pieces = total >= NNM_XPARALLEL_MIN && threads > 1 ? threads : 1;
    acc = (nnm_xacc *)calloc((size_t)(pieces * NNM_XWAYS), sizeof(nnm_xacc));
    if (acc == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (total > 0) {
        NpyIter_IterNextFunc *next = NpyIter_GetIterNext(it, NULL);
        if (next == NULL) {
            goto done;
        }
        char **data = NpyIter_GetDataPtrArray(it);
        npy_intp *strides = NpyIter_GetInnerStrideArray(it);
        npy_intp *size = NpyIter_GetInnerLoopSizePtr(it);
        Py_BEGIN_ALLOW_THREADS
        if (*size == total && pieces > 1) { /* one inner loop: split it over the pool */
            xrun r = {data[0], nop > 1 ? data[1] : NULL, strides[0], nop > 1 ? strides[1] : 0,
                      tx, tw};
            xpar p = {&r, acc, total, pieces};
            nnm_parallel_for((intptr_t)pieces, 1, xpar_task, &p);
        } else {
            do {
                xrun r = {data[0], nop > 1 ? data[1] : NULL, strides[0],
                          nop > 1 ? strides[1] : 0, tx, tw};
                xrun_add(acc, &r, 0, *size);
            } while (next(it));
        }
        Py_END_ALLOW_THREADS
    }
    for (npy_intp j = 1; j < pieces * NNM_XWAYS; j++) {
        xacc_merge(&acc[0], &acc[j]);
    }
    result = xacc_value(&acc[0]);
done:
    free(acc);
    NpyIter_Deallocate(it);
    return result;
}

/* the sums per group of 1-D contiguous x (w) and int64 groups of one length: the members
 * of each group gathered by a counting sort, then summed group by group */
static PyObject *sum_groups(PyArrayObject *x, PyArrayObject *w, PyArrayObject *g,
                            npy_intp ngroups)
{
    int tx = float_code(x, "x"), tw = w == NULL ? 0 : float_code(w, "w");
    if (tx < 0 || tw < 0) {
        return NULL;
    }
    npy_intp n = PyArray_SIZE(x);
    if (PyArray_NDIM(x) != 1 || PyArray_NDIM(g) != 1 || PyArray_SIZE(g) != n ||
        (w != NULL && (PyArray_NDIM(w) != 1 || PyArray_SIZE(w) != n)) ||
        !PyArray_IS_C_CONTIGUOUS(x) || !PyArray_IS_C_CONTIGUOUS(g) ||
        (w != NULL && !PyArray_IS_C_CONTIGUOUS(w)) || PyArray_TYPE(g) != NPY_INT64) {
        PyErr_SetString(PyExc_ValueError, "exact_sums: with groups, x, w and groups must be "
                                          "contiguous 1-D arrays of one length (groups int64)");
        return NULL;
    }
    const int64_t *gp = (const int64_t *)PyArray_DATA(g);
    npy_intp *start = (npy_intp *)calloc((size_t)ngroups + 1, sizeof(npy_intp));
    npy_intp *order = (npy_intp *)malloc((size_t)(n > 0 ? n : 1) * sizeof(npy_intp));
    nnm_xacc *acc = (nnm_xacc *)malloc(sizeof(nnm_xacc));
    PyObject *out = NULL;
    if (start == NULL || order == NULL || acc == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    npy_intp bad = -1;
    for (npy_intp i = 0; i < n; i++) {
        if (gp[i] < 0 || gp[i] >= ngroups) {
            bad = i;
            break;
        }
        start[gp[i] + 1]++;
    }
    if (bad >= 0) {
        PyErr_Format(PyExc_ValueError, "exact_sums: groups[%zd] = %lld is outside [0, %zd)",
                     (Py_ssize_t)bad, (long long)gp[bad], (Py_ssize_t)ngroups);
        goto done;
    }
    for (npy_intp k = 0; k < ngroups; k++) {
        start[k + 1] += start[k];
    }
    for (npy_intp i = 0; i < n; i++) { /* start[k] is now the next free slot of group k */
        order[start[gp[i]]++] = i;
    }
    /* start[k] is now the end of group k, the start of k + 1 */
    out = PyList_New((Py_ssize_t)ngroups);
    if (out == NULL) {
        goto done;
    }
    const char *xp = (const char *)PyArray_DATA(x);
    const char *wp = w == NULL ? NULL : (const char *)PyArray_DATA(w);
    npy_intp sx = tx ? 8 : 4, sw = tw ? 8 : 4;
    npy_intp b = 0;
    PyObject *zero = NULL;
    for (npy_intp k = 0; k < ngroups; k++) {
        npy_intp e = start[k];
        PyObject *v;
        if (e == b) { /* an empty group: one shared zero */
            if (zero == NULL) {
                memset(acc, 0, sizeof(nnm_xacc));
                zero = xacc_value(acc);
                if (zero == NULL) {
                    Py_CLEAR(out);
                    goto done;
                }
            }
            Py_INCREF(zero);
            v = zero;
        } else {
            memset(acc, 0, sizeof(nnm_xacc));
            for (npy_intp j = b; j < e; j++) {
                npy_intp i = order[j];
                if (wp == NULL) {
                    xacc_add_double(acc, load(xp + i * sx, tx));
                } else if (tx == 0 && tw == 0) {
                    xacc_add_double(acc, load(xp + i * sx, 0) * load(wp + i * sw, 0));
                } else {
                    xacc_add_product(acc, load(xp + i * sx, tx), load(wp + i * sw, tw));
                }
            }
            v = xacc_value(acc);
            if (v == NULL) {
                Py_XDECREF(zero);
                Py_CLEAR(out);
                goto done;
            }
        }
        PyList_SET_ITEM(out, (Py_ssize_t)k, v);
        b = e;
    }
    Py_XDECREF(zero);
done:
    free(start);
    free(order);
    free(acc);
    return out;
}

PyObject *nnm_py_exact_sums(PyObject *self, PyObject *args, PyObject *kwargs)
{
    (void)self;
    static char *kwlist[] = {"x", "w", "groups", "ngroups", NULL};
    PyObject *xo, *wo = Py_None, *go = Py_None;
    Py_ssize_t ngroups = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|OOn:exact_sums", kwlist, &xo, &wo, &go,
                                     &ngroups)) {
        return NULL;
    }
    if (!PyArray_Check(xo) || (wo != Py_None && !PyArray_Check(wo)) ||
        (go != Py_None && !PyArray_Check(go))) {
        PyErr_SetString(PyExc_TypeError, "exact_sums: x, w and groups must be NumPy arrays");
        return NULL;
    }
    PyArrayObject *x = (PyArrayObject *)xo;
    PyArrayObject *w = wo == Py_None ? NULL : (PyArrayObject *)wo;
    if (go == Py_None) {
        return sum_all(x, w);
    }
    if (ngroups < 1) {
        return PyErr_Format(PyExc_ValueError, "exact_sums: ngroups must be >= 1, got %zd",
                            ngroups);
    }
    return sum_groups(x, w, (PyArrayObject *)go, (npy_intp)ngroups);
}

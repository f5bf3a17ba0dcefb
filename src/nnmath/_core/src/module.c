/* nnmath._core._umath: creates the ufuncs of nnm_ufuncs.def with the loops of the ISA
 * level chosen at import (cpuid, or the NNMATH_CPU environment variable), and splits
 * large loops over the thread pool. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <fenv.h>
#include <stdlib.h>
#include <string.h>

#define NPY_NO_DEPRECATED_API NPY_1_23_API_VERSION
#define PY_ARRAY_UNIQUE_SYMBOL nnm_ARRAY_API /* shared with exact.c */
#include <numpy/arrayobject.h>
#include <numpy/ufuncobject.h>

#include "counts.h"
#include "counts_kernels.h"
#include "exact.h"
#include "nnm_kernels.h"
#include "buffers.h"
#include "pool.h"

/* -- ISA level --------------------------------------------------------------------------- */
enum { NNM_BASELINE, NNM_AVX2, NNM_AVX512 };
static const char *const level_names[] = {"baseline", "avx2", "avx512"};
static int level = NNM_BASELINE;
static const nnm_table *table = &nnm_table_baseline;

static int cpu_has(int lv)
{
    if (lv == NNM_BASELINE) {
        return 1;
    }
#ifdef NNM_X86_DISPATCH
    __builtin_cpu_init();
    /* what -march=x86-64-v3 lets the compiler use */
    int v3 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
             __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") &&
             __builtin_cpu_supports("f16c") && __builtin_cpu_supports("popcnt");
    if (lv == NNM_AVX2) {
        return v3;
    }
    /* x86-64-v4 adds AVX-512 F, BW, CD, DQ and VL */
    return v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512vl");
#else
    return 0;
#endif
}

static int built(int lv)
{
#ifdef NNM_X86_DISPATCH
    (void)lv;
    return 1;
#else
    return lv == NNM_BASELINE;
#endif
}

static const nnm_table *table_for(int lv)
{
#ifdef NNM_X86_DISPATCH
    if (lv == NNM_AVX512) {
        return &nnm_table_avx512;
    }
    if (lv == NNM_AVX2) {
        return &nnm_table_avx2;
    }
#endif
    (void)lv;
    return &nnm_table_baseline;
}

/* the best level of this CPU, or the one NNMATH_CPU names; -1 with an exception set */
static int choose_level(void)
{
    const char *env = getenv("NNMATH_CPU");
    if (env == NULL || env[0] == '\0') {
        int lv = NNM_AVX512;
        while (lv > NNM_BASELINE && !(built(lv) && cpu_has(lv))) {
            lv--;
        }
        return lv;
    }
    for (int lv = NNM_BASELINE; lv <= NNM_AVX512; lv++) {
        if (strcmp(env, level_names[lv]) == 0) {
            if (!built(lv)) {
                PyErr_Format(PyExc_ImportError,
                             "NNMATH_CPU=%s: this build of nnmath has only the baseline "
                             "level (not an x86-64 build); unset NNMATH_CPU or set it to "
                             "baseline", env);
                return -1;
            }
            if (!cpu_has(lv)) {
                PyErr_Format(PyExc_ImportError,
                             "NNMATH_CPU=%s: this CPU lacks the instructions of that level; "
                             "unset NNMATH_CPU or choose a lower one (avx2, baseline)", env);
                return -1;
            }
            return lv;
        }
    }
    PyErr_Format(PyExc_ImportError,
                 "NNMATH_CPU=%.40s is not a level: expected avx512, avx2 or baseline "
                 "(or unset it to choose by the CPU)", env);
    return -1;
}

/* the level in use, for counts.c's choice of its loops (counts_kernels.h) */
int nnm_core_level(void)
{
    return level;
}

/* -- loops: split large calls over the pool ------------------------------------------------ */
/* A result beyond the float range (e^x for x > 709.78, selu of 1e308 in float32) is the
 * correctly rounded inf, and a subnormal result the correctly rounded subnormal: neither is
 * an error of the computation, so the loops clear the overflow and underflow flags they
 * raised before NumPy reads them (no warning, whatever np.errstate says). The invalid and
 * divide-by-zero flags are left alone: the formulas never raise them for finite input. */
static void clear_range_flags(void)
{
    feclearexcept(FE_OVERFLOW | FE_UNDERFLOW);
}

/* the most operands (inputs and outputs) of a ufunc of the table; add_ufunc refuses more */
#define NNM_MAX_ARGS 8
/* below this many elements a loop runs on the calling thread */
static intptr_t parallel_min = 1 << 17;
/* piece boundaries at multiples of 64 elements: whole cache lines of every dtype */
#define NNM_ALIGN 64

typedef struct {
    int nargs;
    size_t index; /* into table->ew or table->row */
    int type;     /* 0 float16, 1 float32, 2 float64 */
} loop_data;

typedef struct {
    char *const *args;
    const npy_intp *steps;
    nnm_ew_block block;
    int nargs;
} ew_job;

static void ew_piece(void *ctx, intptr_t b, intptr_t e)
{
    const ew_job *j = ctx;
    char *args[NNM_MAX_ARGS];
    for (int k = 0; k < j->nargs; k++) {
        args[k] = j->args[k] + b * j->steps[k];
    }
    j->block(args, e - b, j->steps);
}

/* one elementwise block over n elements: on the calling thread below parallel_min, else
 * split over the pool */
static void run_ew_block(nnm_ew_block block, char **args, const npy_intp *steps, intptr_t n,
                         int nargs)
{
    if (n < parallel_min) {
        block(args, n, steps);
    } else {
        ew_job j = {args, steps, block, nargs};
        nnm_parallel_for(n, NNM_ALIGN, ew_piece, &j);
    }
    clear_range_flags();
}

static void ew_loop(char **args, npy_intp const *dimensions, npy_intp const *steps, void *data)
{
    const loop_data *d = data;
    run_ew_block(table->ew[d->index][d->type], args, steps, dimensions[0], d->nargs);
}

/* two outputs: as ew_loop, from the table's ew2 */
static void ew2_loop(char **args, npy_intp const *dimensions, npy_intp const *steps,
                     void *data)
{
    const loop_data *d = data;
    run_ew_block(table->ew2[d->index][d->type], args, steps, dimensions[0], d->nargs);
}

typedef struct {
    char *const *args;
    const npy_intp *steps;
    nnm_row_block block;
    intptr_t ncore;
    int nargs;
} row_job;

static void row_piece(void *ctx, intptr_t b, intptr_t e)
{
    const row_job *j = ctx;
    char *args[NNM_MAX_ARGS];
    for (int k = 0; k < j->nargs; k++) {
        args[k] = j->args[k] + b * j->steps[k];
    }
    j->block(args, e - b, j->ncore, j->steps);
}

static void run_row_block(nnm_row_block block, char **args, npy_intp const *dimensions,
                          npy_intp const *steps, int nargs)
{
    intptr_t nrows = dimensions[0], ncore = dimensions[1];
    if (nrows < 2 || nrows * ncore < parallel_min) {
        block(args, nrows, ncore, steps);
        clear_range_flags();
        return;
    }
    intptr_t align = ncore >= NNM_ALIGN ? 1 : NNM_ALIGN / (ncore > 0 ? ncore : 1);
    row_job j = {args, steps, block, ncore, nargs};
    nnm_parallel_for(nrows, align, row_piece, &j);
    clear_range_flags();
}

static void row_loop(char **args, npy_intp const *dimensions, npy_intp const *steps,
                     void *data)
{
    const loop_data *d = data;
    run_row_block(table->row[d->index][d->type], args, dimensions, steps, d->nargs);
}

/* rows of logits with a label each: split over the pool like the rows above */
static void loss_loop(char **args, npy_intp const *dimensions, npy_intp const *steps,
                      void *data)
{
    const loop_data *d = data;
    run_row_block(table->loss[d->index][d->type], args, dimensions, steps, d->nargs);
}

/* -- module functions ----------------------------------------------------------------------- */
static PyObject *py_cpu_level(PyObject *self, PyObject *noargs)
{
    (void)self, (void)noargs;
    return PyUnicode_FromString(level_names[level]);
}

static PyObject *py_cpu_levels(PyObject *self, PyObject *noargs)
{
    (void)self, (void)noargs;
    PyObject *out = PyList_New(0);
    for (int lv = NNM_AVX512; out != NULL && lv >= NNM_BASELINE; lv--) {
        if (built(lv) && cpu_has(lv)) {
            PyObject *s = PyUnicode_FromString(level_names[lv]);
            if (s == NULL || PyList_Append(out, s) < 0) {
                Py_XDECREF(s);
                Py_CLEAR(out);
                break;
            }
            Py_DECREF(s);
        }
    }
    return out;
}

static PyObject *py_set_num_threads(PyObject *self, PyObject *arg)
{
    (void)self;
    if (PyBool_Check(arg) || !PyLong_Check(arg)) {
        return PyErr_Format(PyExc_TypeError, "set_num_threads: n must be an int, got %.100s",
                            Py_TYPE(arg)->tp_name);
    }
    long n = PyLong_AsLong(arg);
    if (n == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (n < 1 || n > 256 || nnm_pool_set_threads((int)n) != 0) {
        return PyErr_Format(PyExc_ValueError,
                            "set_num_threads: n must be between 1 and 256, got %ld", n);
    }
    Py_RETURN_NONE;
}

static PyObject *py_get_num_threads(PyObject *self, PyObject *noargs)
{
    (void)self, (void)noargs;
    return PyLong_FromLong(nnm_pool_get_threads());
}

static PyObject *py_set_parallel_min(PyObject *self, PyObject *arg)
{
    (void)self;
    Py_ssize_t n = PyLong_AsSsize_t(arg);
    if (n == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (n < 1) {
        return PyErr_Format(PyExc_ValueError, "parallel_min must be >= 1, got %zd", n);
    }
    Py_ssize_t old = (Py_ssize_t)parallel_min;
    parallel_min = (intptr_t)n;
    return PyLong_FromSsize_t(old);
}

/* set_buffer_cache(max_bytes) -> the previous bound (0 turns the cache off) */
static PyObject *py_set_buffer_cache(PyObject *self, PyObject *arg)
{
    (void)self;
    if (PyBool_Check(arg) || !PyLong_Check(arg)) {
        return PyErr_Format(PyExc_TypeError,
                            "set_buffer_cache: max_bytes must be an int, got %.100s",
                            Py_TYPE(arg)->tp_name);
    }
    Py_ssize_t n = PyLong_AsSsize_t(arg);
    if (n == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (n < 0) {
        return PyErr_Format(PyExc_ValueError, "set_buffer_cache: max_bytes must be >= 0, got %zd",
                            n);
    }
    size_t old = nnm_buffers_get_max();
    nnm_buffers_set_max((size_t)n);
    return PyLong_FromSize_t(old);
}

static PyObject *py_buffer_cache_info(PyObject *self, PyObject *noargs)
{
    (void)self, (void)noargs;
    return Py_BuildValue("(nn)", (Py_ssize_t)nnm_buffers_get_max(),
                         (Py_ssize_t)nnm_buffers_cached());
}

static PyMethodDef methods[] = {
    {"cpu_level", py_cpu_level, METH_NOARGS,
     "cpu_level() -> str: the ISA level of the loops in use: 'avx512', 'avx2' or 'baseline'."},
    {"cpu_levels", py_cpu_levels, METH_NOARGS,
     "cpu_levels() -> list[str]: the levels this build has and this CPU can run, best first."},
    {"set_num_threads", py_set_num_threads, METH_O,
     "set_num_threads(n): the number of threads large loops are split over (1 to 256)."},
    {"get_num_threads", py_get_num_threads, METH_NOARGS,
     "get_num_threads() -> int: the number of threads large loops are split over."},
    {"_set_parallel_min", py_set_parallel_min, METH_O,
     "_set_parallel_min(n) -> int: loops of fewer than n elements stay on the calling "
     "thread; returns the previous value (for tests and measurement)."},
    {"exact_sums", (PyCFunction)(void (*)(void))nnm_py_exact_sums,
     METH_VARARGS | METH_KEYWORDS,
     "exact_sums(x, w=None, groups=None, ngroups=1): the exact sum of the float32 or float64 "
     "array x (of x * w, broadcast together, when w is given), with no rounding at any "
     "step: a float (nan, inf or -inf) when a non-finite value (or product) is present, "
     "else (digits, e) with the sum int.from_bytes(digits, 'little', signed=True) * 2**e. "
     "With groups (int64, contiguous 1-D like x and w; values in [0, ngroups)): a list of "
     "ngroups such results, the sums of x[groups == g]. The GIL is released; large inputs "
     "are split over the threads."},
    {"threshold_histogram", (PyCFunction)(void (*)(void))nnm_py_threshold_histogram,
     METH_VARARGS | METH_KEYWORDS,
     "threshold_histogram(scores, labels, thresholds, columns=1, unit=True) -> (counts, "
     "status, index): counts[c, b, y] = the number of scores of column c (index % columns) "
     "with label y (0 or 1) that exceed exactly b of the thresholds (sorted ascending, the "
     "scores' type: float32 or float64; contiguous 1-D scores, bool/int8/uint8 labels). "
     "status 0: all counted; 1: a NaN score, 2: a score outside [0, 1] (with unit), 3: a "
     "label other than 0 and 1, at index (the counts are then partial). The GIL is "
     "released; large inputs are split over the threads."},
    {"empty_like", nnm_py_empty_like, METH_O,
     "empty_like(x) -> an uninitialised array like x (dtype, shape, memory order); one of a "
     "MiB or more takes its memory from the cache of freed output blocks (see "
     "set_buffer_cache), and gives it back there when freed."},
    {"empty", nnm_py_empty, METH_VARARGS,
     "empty(shape, dtype) -> an uninitialised C-ordered array; one of a MiB or more takes "
     "its memory from the cache of freed output blocks, as empty_like."},
    {"set_buffer_cache", py_set_buffer_cache, METH_O,
     "set_buffer_cache(max_bytes) -> int: the most bytes of freed output blocks kept for "
     "reuse by empty_like (0: none, and the cached blocks are released); returns the "
     "previous bound."},
    {"buffer_cache_info", py_buffer_cache_info, METH_NOARGS,
     "buffer_cache_info() -> (max_bytes, cached_bytes)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "_umath",
    "The compiled core of nnmath: activation ufuncs and gufuncs.", -1, methods,
    NULL, NULL, NULL, NULL,
};

/* -- registration from the table ------------------------------------------------------------ */
static PyUFuncGenericFunction ew_funcs[NNM_N_EW][3];
static loop_data ew_data_store[NNM_N_EW][3];
static void *ew_data[NNM_N_EW][3];
static char ew_types[NNM_N_EW][3 * NNM_MAX_ARGS];
static PyUFuncGenericFunction row_funcs[NNM_N_ROW][3];
static loop_data row_data_store[NNM_N_ROW][3];
static void *row_data[NNM_N_ROW][3];
static char row_types[NNM_N_ROW][3 * NNM_MAX_ARGS];
static PyUFuncGenericFunction loss_funcs[NNM_N_LOSS][3];
static loop_data loss_data_store[NNM_N_LOSS][3];
static void *loss_data[NNM_N_LOSS][3];
static char loss_types[NNM_N_LOSS][3 * NNM_MAX_ARGS];
static PyUFuncGenericFunction ew2_funcs[NNM_N_EW2][3];
static loop_data ew2_data_store[NNM_N_EW2][3];
static void *ew2_data[NNM_N_EW2][3];
static char ew2_types[NNM_N_EW2][3 * NNM_MAX_ARGS];

static const char npy_codes[3] = {NPY_HALF, NPY_FLOAT, NPY_DOUBLE};

/* the loops: x (and g) in each float type, the last nparam inputs float64; nout outputs;
 * or, with kinds, the type of each operand (T: the loop's float type, l: int64,
 * d: float64) */
static int add_ufunc(PyObject *m, const char *name, int nin, int nout, int nparam,
                     const char *kinds, const char *signature,
                     PyUFuncGenericFunction *funcs, loop_data *store, void **data,
                     char *types, PyUFuncGenericFunction loop, size_t index, const char *doc)
{
    int nargs = nin + nout;
    if (nargs > NNM_MAX_ARGS || (kinds != NULL && strlen(kinds) != (size_t)nargs)) {
        PyErr_Format(PyExc_SystemError, "%s: %d operands (at most %d) or kinds '%s' of another "
                     "length", name, nargs, NNM_MAX_ARGS, kinds != NULL ? kinds : "");
        return -1;
    }
    for (int t = 0; t < 3; t++) {
        funcs[t] = loop;
        store[t] = (loop_data){nargs, index, t};
        data[t] = &store[t];
        for (int k = 0; k < nargs; k++) {
            int param = k >= nin - nparam && k < nin;
            char kind = kinds != NULL ? kinds[k] : (param ? 'd' : 'T');
            types[t * nargs + k] = kind == 'l' ? NPY_INT64 : kind == 'd' ? NPY_DOUBLE
                                                                         : npy_codes[t];
        }
    }
    PyObject *uf = PyUFunc_FromFuncAndDataAndSignature(funcs, data, types, 3, nin, nout,
                                                       PyUFunc_None, name, doc, 0, signature);
    if (uf == NULL) {
        return -1;
    }
    return PyModule_AddObject(m, name, uf) < 0 ? (Py_DECREF(uf), -1) : 0;
}

PyMODINIT_FUNC PyInit__umath(void)
{
    import_array();
    import_umath();
    int lv = choose_level();
    if (lv < 0) {
        return NULL;
    }
    level = lv;
    table = table_for(lv);
    const char *nt = getenv("NNMATH_NUM_THREADS");
    if (nt != NULL && nt[0] != '\0') {
        char *end = NULL;
        long n = strtol(nt, &end, 10);
        while (end != NULL && (*end == ' ' || *end == '\t' || *end == '\n')) {
            end++;
        }
        if (end == nt || end == NULL || *end != '\0' || n < 1 || n > 256 ||
            nnm_pool_set_threads((int)n) != 0) {
            PyErr_Format(PyExc_ImportError,
                         "NNMATH_NUM_THREADS must be a whole number from 1 to 256, got "
                         "'%.40s'", nt);
            return NULL;
        }
    }
    if (nnm_buffers_init() < 0) {
        return NULL;
    }
    const char *bc = getenv("NNMATH_BUFFER_CACHE");
    if (bc != NULL && bc[0] != '\0') {
        char *end = NULL;
        long long n = strtoll(bc, &end, 10);
        while (end != NULL && (*end == ' ' || *end == '\t' || *end == '\n')) {
            end++;
        }
        if (end == bc || end == NULL || *end != '\0' || n < 0) {
            PyErr_Format(PyExc_ImportError,
                         "NNMATH_BUFFER_CACHE must be a whole number of bytes (0: no cache), "
                         "got '%.40s'", bc);
            return NULL;
        }
        nnm_buffers_set_max((size_t)n);
    }
    const char *pin = getenv("NNMATH_PIN_THREADS");
    nnm_pool_set_pin(pin != NULL && strcmp(pin, "1") == 0);

    PyObject *m = PyModule_Create(&moduledef);
    if (m == NULL) {
        return NULL;
    }
#define NNM_EW(name, nin, nparam, formula, doc)                                                     \
    if (add_ufunc(m, #name, nin, 1, nparam, NULL, NULL, ew_funcs[NNM_EW_##name],                            \
                  ew_data_store[NNM_EW_##name], ew_data[NNM_EW_##name],                    \
                  ew_types[NNM_EW_##name], ew_loop, NNM_EW_##name, doc) < 0) {            \
        goto fail;                                                                          \
    }
#define NNM_ROW(name, nin, kind, doc)                                                       \
    if (add_ufunc(m, #name, nin, 1, 0, NULL, nin == 1 ? "(n)->(n)" : "(n),(n)->(n)",                   \
                  row_funcs[NNM_ROW_##name], row_data_store[NNM_ROW_##name],              \
                  row_data[NNM_ROW_##name], row_types[NNM_ROW_##name], row_loop,          \
                  NNM_ROW_##name, doc) < 0) {                                             \
        goto fail;                                                                          \
    }
#define NNM_EW2(name, nin, formula, doc)                                                    \
    if (add_ufunc(m, #name, nin, 2, 0, NULL, NULL, ew2_funcs[NNM_EW2_##name],                      \
                  ew2_data_store[NNM_EW2_##name], ew2_data[NNM_EW2_##name],                \
                  ew2_types[NNM_EW2_##name], ew2_loop, NNM_EW2_##name, doc) < 0) {        \
        goto fail;                                                                          \
    }
#define NNM_LOSS(name, nin, signature, kinds, doc)                                                 \
    if (add_ufunc(m, #name, nin, (int)sizeof(kinds) - 1 - nin, 0, kinds, signature,           \
                  loss_funcs[NNM_LOSS_##name],                                              \
                  loss_data_store[NNM_LOSS_##name], loss_data[NNM_LOSS_##name],           \
                  loss_types[NNM_LOSS_##name], loss_loop, NNM_LOSS_##name, doc) < 0) {    \
        goto fail;                                                                          \
    }
#include "nnm_ufuncs.def"
    /* _float32_formulas: the ufuncs whose float32 and float16 loops have their own
     * formula (nnm_ufuncs_f32.def), for the tests */
    static const char *const f32_names[] = {
#define NNM_EW32(name, nin, nparam, formula) #name,
#include "nnm_ufuncs_f32.def"
    };
    Py_ssize_t n32 = (Py_ssize_t)(sizeof f32_names / sizeof f32_names[0]);
    PyObject *f32 = PyTuple_New(n32);
    if (f32 == NULL) {
        goto fail;
    }
    for (Py_ssize_t i = 0; i < n32; i++) {
        PyObject *s = PyUnicode_FromString(f32_names[i]);
        if (s == NULL) {
            Py_DECREF(f32);
            goto fail;
        }
        PyTuple_SET_ITEM(f32, i, s);
    }
    if (PyModule_AddObject(m, "_float32_formulas", f32) < 0) {
        Py_DECREF(f32);
        goto fail;
    }
    return m;
fail:
    Py_DECREF(m);
    return NULL;
}

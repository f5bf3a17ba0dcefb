/* Output buffers for large results, kept for reuse.
 *
 * A new array of tens of megabytes costs more than the arithmetic of a fast activation:
 * its pages are mapped on the first write (one fault per 4 KiB page, or a huge page that
 * the kernel may first have to compact memory for). A loop that calls sigmoid(x) on the
 * same large x again and again (a training step, a benchmark) pays that every time,
 * since the previous result was freed and its pages returned to the system.
 *
 * nnm_empty_like(x) makes an array like x (dtype, shape, memory order) whose data come
 * from this module's NumPy memory handler: at least NNM_BUF_MIN bytes are taken from a
 * small cache of blocks freed earlier (the smallest one large enough, if not more than
 * NNM_BUF_SLACK times the size), else from malloc; when such an array is freed, its block
 * goes back to the cache instead of to the system, up to cache_max bytes in all (the
 * oldest blocks are released first). Blocks keep NumPy's own allocation behaviour (malloc,
 * and the huge-page advice NumPy gives blocks of 4 MiB and more on Linux). NumPy reports
 * every block to tracemalloc as it does for its own handler.
 *
 * The cache holds freed memory only; set_buffer_cache(0) releases it and turns it off.
 * The handler's functions are called with the GIL held (NumPy creates and frees arrays
 * under it); a mutex guards the cache besides, for builds without a GIL. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>
#include <string.h>
#if !defined(_WIN32)
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

#define NPY_NO_DEPRECATED_API NPY_1_23_API_VERSION
#define NO_IMPORT_ARRAY
#define PY_ARRAY_UNIQUE_SYMBOL nnm_ARRAY_API
#include <numpy/arrayobject.h>

#include "buffers.h"

#define NNM_BUF_MIN ((size_t)1 << 20) /* smaller blocks go to malloc and free directly */
#define NNM_BUF_SLOTS 8
#define NNM_BUF_SLACK 2 /* a cached block serves requests of at least half its size */

typedef struct {
    void *p;
    size_t size;
    unsigned long long age;
} nnm_block;

static nnm_block slots[NNM_BUF_SLOTS];
static size_t cached_bytes = 0;
static size_t cache_max = (size_t)512 << 20;
static unsigned long long clock_ = 0;
#if !defined(_WIN32)
static pthread_mutex_t buf_lock = PTHREAD_MUTEX_INITIALIZER;
#define NNM_LOCK() pthread_mutex_lock(&buf_lock)
#define NNM_UNLOCK() pthread_mutex_unlock(&buf_lock)
#else
#define NNM_LOCK() ((void)0)
#define NNM_UNLOCK() ((void)0)
#endif

/* NumPy's advice for large blocks (numpy/_core/src/multiarray/alloc.c): huge pages for
 * the page-aligned part of a block of 4 MiB or more, where the kernel offers them */
static void advise(void *p, size_t size)
{
#if defined(MADV_HUGEPAGE) && !defined(_WIN32)
    if (size >= ((size_t)1 << 22)) {
        long page = sysconf(_SC_PAGESIZE);
        if (page > 0) {
            uintptr_t a = (uintptr_t)p, ps = (uintptr_t)page;
            uintptr_t off = (ps - (a % ps)) % ps;
            if (size > off) {
                (void)madvise((void *)(a + off), size - off, MADV_HUGEPAGE);
            }
        }
    }
#else
    (void)p, (void)size;
#endif
}

/* the cached block that serves size (the smallest large enough, within the slack), taken
 * out of the cache; NULL if none */
static void *take(size_t size)
{
    int best = -1;
    NNM_LOCK();
    for (int i = 0; i < NNM_BUF_SLOTS; i++) {
        if (slots[i].p != NULL && slots[i].size >= size && slots[i].size / NNM_BUF_SLACK <= size &&
            (best < 0 || slots[i].size < slots[best].size)) {
            best = i;
        }
    }
    void *p = NULL;
    if (best >= 0) {
        p = slots[best].p;
        cached_bytes -= slots[best].size;
        slots[best].p = NULL;
    }
    NNM_UNLOCK();
    return p;
}

static void *buf_malloc(void *ctx, size_t size)
{
    (void)ctx;
    if (size >= NNM_BUF_MIN) {
        void *p = take(size);
        if (p != NULL) {
            return p;
        }
    }
    void *p = malloc(size);
    if (p != NULL) {
        advise(p, size);
    }
    return p;
}

static void *buf_calloc(void *ctx, size_t nelem, size_t elsize)
{
    (void)ctx;
    void *p = calloc(nelem, elsize);
    if (p != NULL && nelem > 0) {
        advise(p, nelem * elsize);
    }
    return p;
}

/* a block may grow or shrink: its cached size is what free reports, so a reallocated
 * block is simply a new malloc block */
static void *buf_realloc(void *ctx, void *p, size_t new_size)
{
    (void)ctx;
    void *q = realloc(p, new_size);
    if (q != NULL) {
        advise(q, new_size);
    }
    return q;
}

/* the block back into the cache (the oldest blocks released to make room), or to free */
static void buf_free(void *ctx, void *p, size_t size)
{
    (void)ctx;
    if (p == NULL) {
        return;
    }
    void *release[NNM_BUF_SLOTS + 1];
    int nrel = 0;
    NNM_LOCK();
    if (size < NNM_BUF_MIN || size > cache_max) {
        release[nrel++] = p;
    } else {
        while (cached_bytes + size > cache_max) { /* room: release the oldest */
            int old = -1;
            for (int i = 0; i < NNM_BUF_SLOTS; i++) {
                if (slots[i].p != NULL && (old < 0 || slots[i].age < slots[old].age)) {
                    old = i;
                }
            }
            release[nrel++] = slots[old].p;
            cached_bytes -= slots[old].size;
            slots[old].p = NULL;
        }
        int free_slot = -1, old = -1;
        for (int i = 0; i < NNM_BUF_SLOTS; i++) {
            if (slots[i].p == NULL && free_slot < 0) {
                free_slot = i;
            }
            if (slots[i].p != NULL && (old < 0 || slots[i].age < slots[old].age)) {
                old = i;
            }
        }
        if (free_slot < 0) { /* all slots taken: release the oldest */
            release[nrel++] = slots[old].p;
            cached_bytes -= slots[old].size;
            slots[old].p = NULL;
            free_slot = old;
        }
        slots[free_slot].p = p;
        slots[free_slot].size = size;
        slots[free_slot].age = ++clock_;
        cached_bytes += size;
    }
    NNM_UNLOCK();
    for (int i = 0; i < nrel; i++) {
        free(release[i]);
    }
}

static PyDataMem_Handler handler = {
    "nnmath_buffers",
    1,
    {NULL, buf_malloc, buf_calloc, buf_realloc, buf_free},
};

static PyObject *handler_capsule = NULL;

int nnm_buffers_init(void)
{
    handler_capsule = PyCapsule_New(&handler, "mem_handler", NULL);
    return handler_capsule == NULL ? -1 : 0;
}

/* release every cached block (with the lock held by the caller) into rel; returns the
 * number */
static int drain(void **rel)
{
    int n = 0;
    for (int i = 0; i < NNM_BUF_SLOTS; i++) {
        if (slots[i].p != NULL) {
            rel[n++] = slots[i].p;
            slots[i].p = NULL;
        }
    }
    cached_bytes = 0;
    return n;
}

void nnm_buffers_set_max(size_t max_bytes)
{
    void *rel[NNM_BUF_SLOTS];
    int n = 0;
    NNM_LOCK();
    cache_max = max_bytes;
    if (cached_bytes > cache_max) {
        n = drain(rel);
    }
    NNM_UNLOCK();
    for (int i = 0; i < n; i++) {
        free(rel[i]);
    }
}

size_t nnm_buffers_get_max(void)
{
    return cache_max;
}

size_t nnm_buffers_cached(void)
{
    return cached_bytes;
}

PyObject *nnm_py_empty_like(PyObject *self, PyObject *arg)
{
    (void)self;
    if (!PyArray_Check(arg)) {
        return PyErr_Format(PyExc_TypeError, "empty_like: x must be a NumPy array, got %.100s",
                            Py_TYPE(arg)->tp_name);
    }
    PyArrayObject *x = (PyArrayObject *)arg;
    if (cache_max == 0 || (size_t)PyArray_NBYTES(x) < NNM_BUF_MIN) {
        return PyArray_NewLikeArray(x, NPY_KEEPORDER, NULL, 0);
    }
    PyObject *old = PyDataMem_SetHandler(handler_capsule);
    if (old == NULL) {
        return NULL;
    }
    PyObject *out = PyArray_NewLikeArray(x, NPY_KEEPORDER, NULL, 0);
    PyObject *back = PyDataMem_SetHandler(old);
    Py_DECREF(old);
    Py_XDECREF(back);
    if (back == NULL) {
        Py_XDECREF(out);
        return NULL;
    }
    return out;
}

PyObject *nnm_py_empty(PyObject *self, PyObject *args)
{
    (void)self;
    PyArray_Dims shape = {NULL, 0};
    PyArray_Descr *descr = NULL;
    if (!PyArg_ParseTuple(args, "O&O&:empty", PyArray_IntpConverter, &shape,
                          PyArray_DescrConverter, &descr)) {
        PyDimMem_FREE(shape.ptr);
        return NULL;
    }
    npy_intp nbytes = (npy_intp)PyDataType_ELSIZE(descr);
    for (int i = 0; i < shape.len; i++) {
        nbytes *= shape.ptr[i] > 0 ? shape.ptr[i] : 0;
    }
    PyObject *old = NULL;
    if (cache_max != 0 && (size_t)nbytes >= NNM_BUF_MIN) {
        old = PyDataMem_SetHandler(handler_capsule);
        if (old == NULL) {
            Py_DECREF(descr);
            PyDimMem_FREE(shape.ptr);
            return NULL;
        }
    }
    /* PyArray_Empty steals the reference to descr */
    PyObject *out = PyArray_Empty(shape.len, shape.ptr, descr, 0);
    PyDimMem_FREE(shape.ptr);
    if (old != NULL) {
        PyObject *back = PyDataMem_SetHandler(old);
        Py_DECREF(old);
        if (back == NULL) {
            Py_XDECREF(out);
            return NULL;
        }
        Py_DECREF(back);
    }
    return out;
}

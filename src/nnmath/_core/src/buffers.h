/* Output buffers for large results, kept for reuse (see buffers.c). */
#ifndef NNM_BUFFERS_H
#define NNM_BUFFERS_H
#include <Python.h>
#include <stddef.h>

int nnm_buffers_init(void); /* 0, or -1 with an exception set */
void nnm_buffers_set_max(size_t max_bytes);
size_t nnm_buffers_get_max(void);
size_t nnm_buffers_cached(void);
PyObject *nnm_py_empty_like(PyObject *self, PyObject *arg);
PyObject *nnm_py_empty(PyObject *self, PyObject *args);

#endif

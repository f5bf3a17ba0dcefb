/* exact.c: exact sums of float32/float64 values (and of their products with weights). */
#ifndef NNM_EXACT_H
#define NNM_EXACT_H
#include <Python.h>

PyObject *nnm_py_exact_sums(PyObject *self, PyObject *args, PyObject *kwargs);

#endif

/* counts.c: histograms of scores between sorted thresholds, per label and column. */
#ifndef NNM_COUNTS_H
#define NNM_COUNTS_H
#include <Python.h>

PyObject *nnm_py_threshold_histogram(PyObject *self, PyObject *args, PyObject *kwargs);

#endif

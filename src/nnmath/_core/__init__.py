"""The compiled core of nnmath: NumPy ufuncs and gufuncs for the activations.

Elementwise ufuncs (float16, float32, float64; a float16 or float32 element is computed in
float64 and rounded once, by the float64 formula or, for the exp family, by a cheaper one
accurate to 1 ulp of float32; ``out=``, ``where=`` and broadcasting as for any ufunc; the GIL
is released): for each activation ``NAME`` the forward value ``NAME``, the derivative
``NAME_grad`` and the fused backward ``NAME_backward(x, g, ...) = g * NAME'(x)``.
Parameters are further inputs: ``leaky_relu(x, negative_slope)``, ``elu(x, alpha)``,
``softplus(x, beta)``, ``celu(x, alpha)``, ``hard_shrink(x, threshold)``,
``soft_shrink(x, threshold)``, ``squareplus(x, b)``; the backward takes
``(x, g, parameter)``. Two parameters: ``hard_tanh(x, min_val, max_val)`` and
``threshold(x, threshold, value)``, backward ``(x, g, p, q)``.

Two inputs: ``glu(a, b) = a * sigmoid(b)`` (the halves of the gated linear unit) and
its backward ``glu_backward(a, b, g)``, one ufunc with two outputs (the cotangents of
``a`` and ``b``); ``prelu_weight_backward(x, g) = g * min(x, 0)``, the elementwise part of
PReLU's weight gradient (PReLU itself is ``leaky_relu`` with an array slope).

Along the last axis (gufuncs): ``softmax``, ``log_softmax``, ``softmin`` and ``sparsemax``
(``(n)->(n)``) and their row vector-Jacobian products ``softmax_backward(x, g)``,
``log_softmax_backward(x, g)``, ``softmin_backward(x, g)`` and ``sparsemax_backward(x, g)``
(``(n),(n)->(n)``); pass ``axes=[axis, axis]`` (``[axis, axis, axis]`` for the products)
for another axis.

A loss along the last axis with an int64 label per row: ``sparse_ce_logits(z, y)``
(``(n),()->()``), the sparse categorical cross-entropy ``-log_softmax(z)[y]`` of logits
``z``, and its gradient times the row's cotangent, ``sparse_ce_logits_backward(z, y, g) =
g * (softmax(z) - onehot(y))`` (``(n),(),()->(n)``); one pass over a row of up to 1,024
logits for the loss (the maximum and the sum of exponentials, then the label's term).
``binary_ce_logits_sum(z, y)`` (``(n),(n)->()``) sums the binary cross-entropy terms
``y softplus(-z) + (1 - y) softplus(z)`` of a row in float64 (NaN for a row with a target
outside [0, 1] or a logit that is not finite), and ``binary_ce_logits_backward(z, y, c) =
c * (sigmoid(z) - y)`` (``(n),(n),()->(n)``) is their gradient times ``c``.
``binary_ce_sum(x, y, w, s, probs)`` (``(n),(n),(n),(),()->()``) is the general form: logits
(``probs = 0``) or probabilities (``probs = 1``, clipped to Keras's ``[eps, 1 - eps]``),
positive weights ``w`` and label smoothing ``s``; ``binary_ce_backward(x, y, w, s, probs, c)``
its gradient times ``c``.
``cce_logits(z, y)`` (``(n),(n)->()``) is the categorical cross-entropy of logits and
dense targets in [0, 1], ``-sum(y * log_softmax(z))`` (NaN for a row with a target
outside [0, 1] or a logit that is not finite), and ``cce_logits_backward(z, y, c) =
c * (sum(y) * softmax(z) - y)`` its gradient; ``cce_logits_ws(z, y, w, s)`` and
``cce_logits_ws_backward(z, y, w, s, c)`` take class weights ``w`` (float64) and label
smoothing ``s`` (targets ``w (y (1 - s) + s/n)``), and ``sparse_ce_logits_ws(z, y, w, s)``
and ``sparse_ce_logits_ws_backward(z, y, w, s, c)`` the same of the one-hot row of an int64
label.
Of probabilities (Keras: each row renormalised to sum 1, then clipped to ``[eps, 1 - eps]``):
``cce_probs(p, y, w, s)`` with class weights ``w`` and label smoothing ``s``, and
``sparse_ce_probs(p, y)`` (float64 results, NaN for rows the Python layer leaves to its
reference), with their gradients times ``c``, ``cce_probs_backward(p, y, w, s, c)`` and
``sparse_ce_probs_backward(p, y, c)``.
The other losses along the last axis, each a value of the row in float64 (NaN for a row
the Python layer computes by its reference: an entry that is not finite, a probability
or target outside its domain) and its gradient times the row's cotangent ``c`` in the
row's dtype (``..._backward(p, y, c, ...)``, ``(n),(n),()...->(n)``); ``eps`` is Keras's
1e-7 rounded to the dtype: ``kl_divergence(p, y)`` (``sum(yc log(yc / pc))``, both
clipped to ``[eps, 1]``), ``poisson_sum(p, y)`` (``sum(p - y log(p + eps))``),
``hinge_sum(p, y, map)`` and ``squared_hinge_sum(p, y, map)`` (``sum(max(1 - y p, 0))``
and its square; ``map = 1`` takes the labels 0 and 1 as -1 and 1 and gives -1 for a row
holding another label), ``categorical_hinge(p, y)`` (``max(max((1 - y) p) - sum(y p) + 1,
0)``), ``binary_focal_sum(p, y, gamma, w0, w1, ls)`` and
``binary_focal_logits_sum(z, y, gamma, w0, w1, ls)`` (the sum of ``a q^gamma bce`` with
``y' = y (1 - ls) + ls / 2``, ``a = w0 + y' (w1 - w0)``, ``q = 1 - p_t``), and
``categorical_focal(p, y, gamma, alpha, ls)`` and
``categorical_focal_logits(z, y, gamma, alpha, ls)`` (``-sum(alpha y' (1 - r)^gamma
log r)``, ``alpha`` one float64 per class, ``r`` the renormalised clipped probabilities
or ``softmax(z)``,
``y' = y (1 - ls) + ls / n``). The gradients of the sums (``_sum_backward``) are those of
the terms; the means divide in Python.
The hits of the accuracy metrics, 1.0 or 0.0 in the scores' dtype (NaN for a row with a
NaN or a label outside ``[0, n)``): ``sparse_argmax_hits(z, y)`` (``y`` is the first
index of the row's maximum) and ``sparse_top_k_hits(z, y, k)`` (fewer than ``k`` scores
above ``z[y]``), one pass over the row and no sort; ``sparse_eval_rows(z, y)``
(``(n),()->(),(),()``) gives all of the evaluation's per-row numbers in one pass:
``(pred, rank, loss)``, the first index of the maximum (int64), the number of scores above
``z[y]`` (int64; a top-k hit is ``rank < k``) and ``sparse_ce_logits(z, y)`` (the same
bits), with ``-1``, ``-1``, NaN for a row with a NaN; elementwise, ``binary_hits(p, y, t)``
(1 where ``y`` equals the decision ``p > t``, NaN where ``p`` or ``y`` is NaN).

Exact sums (no ufunc): ``exact_sums(x, w=None, groups=None, ngroups=1)`` adds float32 or
float64 values (or their products with weights ``w``) without rounding, in all or per
group, in a fixed-point accumulator wide enough for any double or product of two; the
result is an integer mantissa (as little-endian two's complement bytes) and a power of
two, or a float when a NaN or an infinity was added. ``nnmath._exact`` builds on it.

Threshold histograms (no ufunc): ``threshold_histogram(scores, labels, thresholds,
columns=1, unit=True)`` counts, in one pass, the scores of each label (0/1) and column by
the number of sorted thresholds they exceed (one column: vectorised comparisons with up
to 8 thresholds, or for evenly spaced ones an arithmetic interval whose near-ties are
compared with the threshold; otherwise a lookup table and a short scan per score; every
decision a comparison in the scores' type), checking for NaN, scores outside [0, 1] and
other labels on the way; the thresholded metrics of ``nnmath.metrics`` build on it.

The loops are compiled for several x86-64 levels and chosen at import by the CPU
(:func:`cpu_level`); the environment variable ``NNMATH_CPU`` (``avx512``, ``avx2`` or
``baseline``) forces one, and an unknown or unsupported value is an ``ImportError``.
Loops of at least ``2**17`` elements are split over :func:`set_num_threads` threads.

Output buffers: :func:`empty_like` (and :func:`empty`, by shape and dtype) makes the
result arrays of one MiB or more that the public functions and ``nnmath.torch`` return;
their memory comes back, when freed, into a bounded cache of blocks (512 MiB by default;
:func:`set_buffer_cache`, or ``NNMATH_BUFFER_CACHE`` in bytes at import; 0 turns it off)
from which the next large result is taken, so that a repeated large call does not map
fresh pages every time. :func:`buffer_cache_info` gives the bound and the bytes held.

>>> import numpy as np
>>> from nnmath import _core
>>> _core.sigmoid(np.array([0.0, 1000.0, -1000.0]))
array([0.5, 1. , 0. ])
>>> _core.leaky_relu(np.array([-2.0, 3.0], dtype=np.float32), 0.5)
array([-1.,  3.], dtype=float32)
"""

from __future__ import annotations

try:
    from . import _umath  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the build
    if "NNMATH_" in str(exc):  # a wrong setting, not a missing build
        raise
    raise ImportError(
        "nnmath's compiled core (nnmath._core._umath) is not built: install nnmath with "
        "pip (`pip install .`, or `make test` in a checkout) rather than putting src/ on "
        f"the path ({exc})"
    ) from exc

from ._umath import (
    binary_ce_backward,
    binary_ce_logits_backward,
    binary_ce_logits_sum,
    binary_ce_sum,
    binary_focal_logits_sum,
    binary_focal_logits_sum_backward,
    binary_focal_sum,
    binary_focal_sum_backward,
    binary_hits,
    buffer_cache_info,
    categorical_focal,
    categorical_focal_backward,
    categorical_focal_logits,
    categorical_focal_logits_backward,
    categorical_hinge,
    categorical_hinge_backward,
    cce_logits,
    cce_logits_backward,
    cce_logits_ws,
    cce_logits_ws_backward,
    cce_probs,
    cce_probs_backward,
    celu,
    celu_backward,
    celu_grad,
    cpu_level,
    cpu_levels,
    elu,
    elu_backward,
    elu_grad,
    empty,
    empty_like,
    exact_sums,
    exponential,
    exponential_backward,
    exponential_grad,
    gelu,
    gelu_backward,
    gelu_grad,
    gelu_tanh,
    gelu_tanh_backward,
    gelu_tanh_grad,
    get_num_threads,
    glu,
    glu_backward,
    hard_shrink,
    hard_shrink_backward,
    hard_shrink_grad,
    hard_sigmoid,
    hard_sigmoid_backward,
    hard_sigmoid_grad,
    hard_silu,
    hard_silu_backward,
    hard_silu_grad,
    hard_tanh,
    hard_tanh_backward,
    hard_tanh_grad,
    hinge_sum,
    hinge_sum_backward,
    kl_divergence,
    kl_divergence_backward,
    leaky_relu,
    leaky_relu_backward,
    leaky_relu_grad,
    linear,
    linear_backward,
    linear_grad,
    log_sigmoid,
    log_sigmoid_backward,
    log_sigmoid_grad,
    log_softmax,
    log_softmax_backward,
    mish,
    mish_backward,
    mish_grad,
    poisson_sum,
    poisson_sum_backward,
    prelu_weight_backward,
    relu,
    relu6,
    relu6_backward,
    relu6_grad,
    relu_backward,
    relu_grad,
    selu,
    selu_backward,
    selu_grad,
    set_buffer_cache,
    set_num_threads,
    sigmoid,
    sigmoid_backward,
    sigmoid_grad,
    silu,
    silu_backward,
    silu_grad,
    soft_shrink,
    soft_shrink_backward,
    soft_shrink_grad,
    softmax,
    softmax_backward,
    softmin,
    softmin_backward,
    softplus,
    softplus_backward,
    softplus_grad,
    softsign,
    softsign_backward,
    softsign_grad,
    sparse_argmax_hits,
    sparse_ce_logits,
    sparse_ce_logits_backward,
    sparse_ce_logits_ws,
    sparse_ce_logits_ws_backward,
    sparse_ce_probs,
    sparse_ce_probs_backward,
    sparse_eval_rows,
    sparse_plus,
    sparse_plus_backward,
    sparse_plus_grad,
    sparse_sigmoid,
    sparse_sigmoid_backward,
    sparse_sigmoid_grad,
    sparse_top_k_hits,
    sparsemax,
    sparsemax_backward,
    squared_hinge_sum,
    squared_hinge_sum_backward,
    squareplus,
    squareplus_backward,
    squareplus_grad,
    tanh,
    tanh_backward,
    tanh_grad,
    tanh_shrink,
    tanh_shrink_backward,
    tanh_shrink_grad,
    threshold,
    threshold_backward,
    threshold_grad,
    threshold_histogram,
)

#: the size (bytes) from which empty_like and empty take blocks from the cache (NNM_BUF_MIN
#: in buffers.c): below it they allocate as NumPy does, and callers skip them
BUFFERED = 1 << 20

__all__ = [
    "BUFFERED",
    "binary_ce_backward",
    "binary_ce_logits_backward",
    "binary_ce_logits_sum",
    "binary_ce_sum",
    "binary_focal_logits_sum",
    "binary_focal_logits_sum_backward",
    "binary_focal_sum",
    "binary_focal_sum_backward",
    "binary_hits",
    "buffer_cache_info",
    "categorical_focal",
    "categorical_focal_backward",
    "categorical_focal_logits",
    "categorical_focal_logits_backward",
    "categorical_hinge",
    "categorical_hinge_backward",
    "cce_logits",
    "cce_logits_backward",
    "cce_logits_ws",
    "cce_logits_ws_backward",
    "cce_probs",
    "cce_probs_backward",
    "celu",
    "celu_backward",
    "celu_grad",
    "cpu_level",
    "cpu_levels",
    "elu",
    "elu_backward",
    "elu_grad",
    "empty",
    "empty_like",
    "exact_sums",
    "exponential",
    "exponential_backward",
    "exponential_grad",
    "gelu",
    "gelu_backward",
    "gelu_grad",
    "gelu_tanh",
    "gelu_tanh_backward",
    "gelu_tanh_grad",
    "get_num_threads",
    "glu",
    "glu_backward",
    "hard_shrink",
    "hard_shrink_backward",
    "hard_shrink_grad",
    "hard_sigmoid",
    "hard_sigmoid_backward",
    "hard_sigmoid_grad",
    "hard_silu",
    "hard_silu_backward",
    "hard_silu_grad",
    "hard_tanh",
    "hard_tanh_backward",
    "hard_tanh_grad",
    "hinge_sum",
    "hinge_sum_backward",
    "kl_divergence",
    "kl_divergence_backward",
    "leaky_relu",
    "leaky_relu_backward",
    "leaky_relu_grad",
    "linear",
    "linear_backward",
    "linear_grad",
    "log_sigmoid",
    "log_sigmoid_backward",
    "log_sigmoid_grad",
    "log_softmax",
    "log_softmax_backward",
    "mish",
    "mish_backward",
    "mish_grad",
    "poisson_sum",
    "poisson_sum_backward",
    "prelu_weight_backward",
    "relu",
    "relu6",
    "relu6_backward",
    "relu6_grad",
    "relu_backward",
    "relu_grad",
    "selu",
    "selu_backward",
    "selu_grad",
    "set_buffer_cache",
    "set_num_threads",
    "sigmoid",
    "sigmoid_backward",
    "sigmoid_grad",
    "silu",
    "silu_backward",
    "silu_grad",
    "soft_shrink",
    "soft_shrink_backward",
    "soft_shrink_grad",
    "softmax",
    "softmax_backward",
    "softmin",
    "softmin_backward",
    "softplus",
    "softplus_backward",
    "softplus_grad",
    "softsign",
    "softsign_backward",
    "softsign_grad",
    "sparse_argmax_hits",
    "sparse_ce_logits",
    "sparse_ce_logits_backward",
    "sparse_ce_logits_ws",
    "sparse_ce_logits_ws_backward",
    "sparse_ce_probs",
    "sparse_ce_probs_backward",
    "sparse_eval_rows",
    "sparse_plus",
    "sparse_plus_backward",
    "sparse_plus_grad",
    "sparse_sigmoid",
    "sparse_sigmoid_backward",
    "sparse_sigmoid_grad",
    "sparse_top_k_hits",
    "sparsemax",
    "sparsemax_backward",
    "squared_hinge_sum",
    "squared_hinge_sum_backward",
    "squareplus",
    "squareplus_backward",
    "squareplus_grad",
    "tanh",
    "tanh_backward",
    "tanh_grad",
    "tanh_shrink",
    "tanh_shrink_backward",
    "tanh_shrink_grad",
    "threshold",
    "threshold_backward",
    "threshold_grad",
    "threshold_histogram",
]

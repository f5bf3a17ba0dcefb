"""The accuracy functions of Keras: one value per sample (or per element), 1 for a hit.

Each public function returns floats (the dtype of ``y_pred`` under the library's dtype
policy; integer and bool input give float64). The streaming classes use the ``*_hits``
twins, which return the boolean decisions without the cast.

Decisions need numbers: a NaN where a decision is taken (a prediction compared with a
threshold, an argmax, a rank) is refused with a ``ValueError`` rather than silently
counted as a miss.

Arrays of any array-API library work (through ``array-api-compat``) and the result is an
array of that library. Dask arrays stay lazy: the checks that need the data (NaN, labels
that are integers in range) run chunk by chunk when the result is computed, and raise
there.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .. import _core, _kernels
from .._array import (
    check_finite_scalar,
    device_of,
    dtype_kind,
    finish,
    float_input,
    namespace,
    refuse,
    same_rank,
    take_along_last,
    to_host,
)

__all__ = [
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "top_k_categorical_accuracy",
]


# -- validation helpers ---------------------------------------------------------------------

def shape_of(x: Any) -> tuple[int, ...]:
    return tuple(int(n) for n in x.shape)


def check_k(k: Any, name: str = "k") -> int:
    """``k`` as an int >= 1 (bools and floats are refused)."""
    if isinstance(k, bool):
        raise TypeError(f"{name} must be an integer, got {k!r}")
    try:
        k = operator.index(k)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {k!r}") from None
    if k < 1:
        raise ValueError(f"{name} must be >= 1, got {k}")
    return int(k)


def check_threshold(threshold: Any) -> float:
    return check_finite_scalar(threshold, "threshold")


def refuse_nan(xp: Any, x: Any, name: str) -> Any:
    """A NaN where a decision is needed is an error, not a miss; returns ``x`` (on Dask,
    with the check folded into the graph)."""
    return refuse(xp, x, lambda xp, v: xp.isnan(v), lambda xp, v: ValueError(
        f"{name} contains NaN; a NaN prediction cannot be classified (a comparison "
        "with NaN is always false), so accuracy is undefined for it"
    ))


def check_same_shape(a: Any, b: Any, what: str = "") -> None:
    if shape_of(a) != shape_of(b):
        raise ValueError(
            f"y_true and y_pred must have the same shape{what}, got y_true "
            f"{shape_of(a)} and y_pred {shape_of(b)}"
        )


def scores(y_pred: Any, xp: Any = None, name: str = "y_pred") -> tuple[Any, Any, Any]:
    """``y_pred`` as a float array with a class axis last; refuses NaN and scalars."""
    xp, yp, dtype = float_input(y_pred, name, xp=xp)
    if yp.ndim == 0:
        raise ValueError(f"{name} must have a class axis (at least one dimension), got a scalar")
    if yp.shape[-1] == 0:
        raise ValueError(f"{name} has no classes (its last dimension is 0)")
    return xp, refuse_nan(xp, yp, name), dtype


def int_labels(xp: Any, y: Any, n_classes: int | None, name: str = "y_true",
               ignore: int | None = None) -> Any:
    """Integer class labels (any integer, bool or integral float input) as int64.

    Labels must lie in ``[0, n_classes)`` when ``n_classes`` is given; entries equal to
    ``ignore`` are exempt from the check.
    """
    y = xp.asarray(y) if xp is not np else np.asarray(y)
    if xp is np and y.dtype.kind in "OUSVMmc":
        raise TypeError(f"{name} must hold integer class labels, got dtype {y.dtype}")
    if dtype_kind(xp, y.dtype) not in ("i", "b"):
        _, yf, _ = float_input(y, name, xp=xp)
        y = refuse(xp, yf, lambda xp, v: ~xp.isfinite(v) | (xp.floor(v) != v),
                   lambda xp, v: ValueError(
                       f"{name} must hold integer class labels, got non-integer values"))
    labels = xp.astype(y, xp.int64)
    if n_classes is not None:

        def bad(xp: Any, v: Any) -> Any:
            out = (v < 0) | (v >= n_classes)
            return out if ignore is None else out & (v != ignore)

        def error(xp: Any, v: Any) -> Exception:
            host = to_host(v)
            found = np.unique(host[to_host(bad(np, host))])[:5].tolist()
            extra = "" if ignore is None else f" (other than ignore_index={ignore})"
            return ValueError(f"{name} holds labels outside [0, {n_classes}){extra}: {found}")

        labels = refuse(xp, labels, bad, error)
    return labels


def sparse_labels(xp: Any, y_true: Any, yp: Any, name: str = "y_true",
                  check_range: bool = True) -> Any:
    """Labels of shape ``y_pred.shape[:-1]`` (a trailing dimension of 1 is squeezed)."""
    labels = xp.asarray(y_true) if xp is not np else np.asarray(y_true)
    batch = shape_of(yp)[:-1]
    if labels.ndim == yp.ndim and labels.ndim > 0 and labels.shape[-1] == 1:
        labels = xp.reshape(labels, batch)
    if shape_of(labels) != batch:
        raise ValueError(
            f"{name} must hold one integer label per sample, shape {batch} (or {(*batch, 1)})"
            f" for y_pred of shape {shape_of(yp)}, got {shape_of(labels)}"
        )
    return int_labels(xp, labels, yp.shape[-1] if check_range else None, name)


def argmax_last(xp: Any, x: Any) -> Any:
    """The index of the largest value along the last axis; ties go to the first index."""
    return xp.argmax(x, axis=-1)


def label_score(xp: Any, yp: Any, labels: Any) -> Any:
    """``yp[..., labels]`` per sample."""
    return take_along_last(xp, yp, xp.expand_dims(labels, axis=-1))[..., 0]


def in_top_k(xp: Any, yp: Any, labels: Any, k: int) -> Any:
    """Whether the score of ``labels`` is among the ``k`` largest (ties count as hits).

    The score ``s`` of the label is at least the k-th largest score exactly when fewer
    than ``k`` scores are strictly greater than ``s``: no sort needed, and a score tied
    with the k-th largest counts (Keras's ``in_top_k``); ``k >= C`` always hits.
    """
    if k >= yp.shape[-1]:
        return xp.ones(shape_of(yp)[:-1], dtype=xp.bool, device=device_of(yp))
    if type(yp) is np.ndarray and yp.dtype.char in "efd":  # the core: one pass, no sort
        return np.asarray(_core.sparse_top_k_hits(yp, np.asarray(labels, np.int64), k)) == 1
    s = xp.expand_dims(label_score(xp, yp, labels), axis=-1)
    above = xp.sum(xp.astype(yp > s, xp.int64), axis=-1)
    return above < k


def cast_hits(xp: Any, hits: Any, dtype: Any) -> Any:
    return finish(xp, xp.astype(hits, dtype), dtype)


# -- the decisions (boolean) ----------------------------------------------------------------

def accuracy_hits(y_true: Any, y_pred: Any) -> tuple[Any, Any, Any]:
    xp = namespace(y_true, y_pred)
    xp, yp, dtype = float_input(y_pred, "y_pred", xp=xp)
    _, yt, _ = float_input(y_true, "y_true", xp=xp)
    # Keras compares in the dtype of y_pred
    yt = xp.astype(xp.astype(yt, dtype), yp.dtype)
    yt, yp = same_rank(xp, yt, yp)
    check_same_shape(yt, yp)
    yp = refuse_nan(xp, yp, "y_pred")
    yt = refuse_nan(xp, yt, "y_true")
    return xp, yt == yp, dtype


def binary_hits(y_true: Any, y_pred: Any, threshold: float) -> tuple[Any, Any, Any]:
    xp = namespace(y_true, y_pred)
    xp, yp, dtype = float_input(y_pred, "y_pred", xp=xp)
    _, yt, _ = float_input(y_true, "y_true", xp=xp)
    yt, yp = same_rank(xp, yt, yp)
    check_same_shape(yt, yp)
    yp = refuse_nan(xp, yp, "y_pred")
    yt = refuse_nan(xp, yt, "y_true")
    # the threshold is a weak scalar: rounded to y_pred's dtype, as Keras's float32 does
    t = xp.astype(xp.asarray(threshold, dtype=dtype, device=device_of(yp)), yp.dtype)
    decided = xp.astype(yp > t, yt.dtype)
    return xp, yt == decided, dtype


def categorical_hits(y_true: Any, y_pred: Any) -> tuple[Any, Any, Any]:
    xp = namespace(y_true, y_pred)
    xp, yp, dtype = scores(y_pred, xp)
    _, yt, _ = float_input(y_true, "y_true", xp=xp)
    check_same_shape(yt, yp, " (one-hot or probability rows for y_true)")
    yt = refuse_nan(xp, yt, "y_true")
    return xp, argmax_last(xp, yt) == argmax_last(xp, yp), dtype


def sparse_categorical_hits(y_true: Any, y_pred: Any) -> tuple[Any, Any, Any]:
    xp = namespace(y_true, y_pred)
    xp, yp, dtype = scores(y_pred, xp)
    labels = sparse_labels(xp, y_true, yp)
    return xp, labels == argmax_last(xp, yp), dtype


def top_k_hits(y_true: Any, y_pred: Any, k: int) -> tuple[Any, Any, Any]:
    xp = namespace(y_true, y_pred)
    xp, yp, dtype = scores(y_pred, xp)
    _, yt, _ = float_input(y_true, "y_true", xp=xp)
    check_same_shape(yt, yp, " (one-hot or probability rows for y_true)")
    yt = refuse_nan(xp, yt, "y_true")
    return xp, in_top_k(xp, yp, argmax_last(xp, yt), k), dtype


def sparse_top_k_hits(y_true: Any, y_pred: Any, k: int,
                      from_sorted_ids: bool) -> tuple[Any, Any, Any]:
    xp = namespace(y_true, y_pred)
    if not from_sorted_ids:
        xp, yp, dtype = scores(y_pred, xp)
        labels = sparse_labels(xp, y_true, yp)
        return xp, in_top_k(xp, yp, labels, k), dtype
    # y_pred holds category ids, best first; ids need not lie in [0, C) and are compared
    # as they are (integers stay integers)
    xp, _, dtype = float_input(y_pred, "y_pred", xp=xp)
    ids = xp.asarray(y_pred)
    labels = xp.asarray(y_true)
    if dtype_kind(xp, ids.dtype) == "f":
        ids = refuse_nan(xp, ids, "y_pred")
    if dtype_kind(xp, labels.dtype) == "f":
        labels = refuse_nan(xp, labels, "y_true")
    if ids.ndim == 0 or ids.shape[-1] == 0:
        raise ValueError(f"y_pred must hold at least one sorted id per sample, got shape "
                         f"{shape_of(ids)}")
    batch = shape_of(ids)[:-1]
    if labels.ndim == ids.ndim and labels.shape[-1] == 1:
        labels = xp.reshape(labels, batch)
    if shape_of(labels) != batch:
        raise ValueError(
            f"y_true must hold one id per sample, shape {batch}, for y_pred of sorted ids "
            f"of shape {shape_of(ids)}, got {shape_of(labels)}"
        )
    top = ids[..., :k]
    return xp, xp.any(top == xp.expand_dims(labels, axis=-1), axis=-1), dtype


# -- the public functions -------------------------------------------------------------------

def accuracy(y_true: Any, y_pred: Any) -> Any:
    r"""Exact-equality accuracy, elementwise: 1 where ``y_pred == y_true``.

    .. math:: a_i = [\hat y_i = y_i]

    For predicted *labels* (not scores). ``y_true`` is compared in the dtype of
    ``y_pred``, after Keras's rank rule (a trailing dimension of 1 is squeezed or added).

    Parameters
    ----------
    y_true, y_pred
        Arrays of the same shape (up to that trailing 1).

    Returns
    -------
    array
        1.0 for a hit, 0.0 for a miss, the shape of the aligned inputs.

    Raises
    ------
    ValueError
        Shapes that do not match; NaN in either input.

    References
    ----------
    Keras 3 ``keras.metrics.accuracy``.

    Examples
    --------
    >>> accuracy([1, 2, 3, 4], [0, 2, 3, 4])
    array([0., 1., 1., 1.])
    """
    xp, hits, dtype = accuracy_hits(y_true, y_pred)
    return cast_hits(xp, hits, dtype)


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5, *,
                    out: Any = None) -> Any:
    r"""Binary accuracy, elementwise: the prediction is ``y_pred > threshold``.

    .. math:: a_{ij} = \big[\, y_{ij} = [\hat y_{ij} > t] \,\big]

    The comparison is strict: a probability exactly at the threshold is class 0, as in
    Keras (``0.5`` is not "positive" at the default threshold). Every element is its own
    decision, so for ``y_pred`` of shape ``(N, d)`` this returns ``N·d`` values — and for
    a 2-column softmax output with one-hot ``y_true`` it agrees with
    :func:`categorical_accuracy` whenever no probability equals 0.5.
    Labels other than 0 and 1 (soft labels) never match, as in Keras.

    Parameters
    ----------
    y_true
        Binary labels (0 or 1).
    y_pred
        Probabilities (or scores, with a matching ``threshold``: 0 for logits).
    threshold
        A finite number, rounded to ``y_pred``'s dtype.
    out
        A NumPy array of the result's shape and dtype to write into.

    Returns
    -------
    array
        1.0 / 0.0 per element.

    References
    ----------
    Keras 3 ``keras.metrics.binary_accuracy``.

    Examples
    --------
    The seed notebook's binary example (2 hits out of 3):

    >>> binary_accuracy([0, 1, 1], [0.4, 0.7, 0.3])
    array([1., 1., 0.])
    >>> binary_accuracy([1, 0], [0.5, 0.5])  # 0.5 is not > 0.5
    array([0., 1.])
    """
    t = check_threshold(threshold)
    if namespace(y_true, y_pred) is np:
        _, yp, dtype = float_input(y_pred, "y_pred", xp=np)
        _, yt, _ = float_input(y_true, "y_true", xp=np)
        yt, yp = same_rank(np, yt, yp)
        if yt.shape == yp.shape and yp.ndim > 0:
            # the threshold rounded to y_pred's dtype, as binary_hits does; the core's
            # ufunc in the wider of the two dtypes (the labels compared as they are); NaN
            # where either input is NaN, which the reference below refuses
            tc = float(np.asarray(t, dtype=dtype).astype(yp.dtype))
            wide = np.result_type(dtype, yt.dtype)
            if out is not None:
                _kernels.check_out(out, yp.shape, dtype)
            direct = out if wide == dtype else None
            hits = _core.binary_hits(yp.astype(wide, copy=False), yt.astype(wide, copy=False),
                                     tc, out=direct)
            # a NaN among the 0/1 hits makes their sum NaN, in any precision (a sum in the
            # hits' own dtype: no cast, no temporary of their size)
            if not np.isnan(np.sum(hits)):
                hits = hits.astype(dtype, copy=False)
                if out is None or hits is out:
                    return hits
                np.copyto(out, hits)
                return out
    xp, hits, dtype = binary_hits(y_true, y_pred, t)
    return give(cast_hits(xp, hits, dtype), out)


def give(result: Any, out: Any) -> Any:
    """``result`` written into ``out`` (NumPy arrays only), or ``result`` itself."""
    if out is None:
        return result
    if not isinstance(result, (np.ndarray, np.generic)):
        raise TypeError("out= is supported for NumPy arrays only")
    return _kernels.give(result, out)


def categorical_accuracy(y_true: Any, y_pred: Any) -> Any:
    r"""Categorical accuracy: the argmax of ``y_pred`` equals the argmax of ``y_true``.

    .. math:: a_i = \big[\operatorname{argmax}_j \hat y_{ij} = \operatorname{argmax}_j y_{ij}\big]

    ``y_true`` is one-hot (or any row whose largest entry marks the class); ``y_pred`` holds
    probabilities or logits (the argmax is the same). Ties go to the first index, in both.
    With 1-D inputs the whole vector is one sample and the result is a scalar (Keras).

    Parameters
    ----------
    y_true, y_pred
        Arrays of the same shape, classes along the last axis.

    Returns
    -------
    array
        One value per sample: ``y_pred.shape[:-1]``.

    References
    ----------
    Keras 3 ``keras.metrics.categorical_accuracy``.

    Examples
    --------
    The seed notebook's 4-class example (2 hits out of 3):

    >>> categorical_accuracy([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0]],
    ...                      [[0.4, 0.6, 0.0, 0.0], [0.3, 0.2, 0.1, 0.4],
    ...                       [0.05, 0.35, 0.5, 0.1]])
    array([1., 0., 1.])
    >>> categorical_accuracy([[1, 0]], [[0.5, 0.5]])  # a tie goes to index 0
    array([1.])
    """
    xp, hits, dtype = categorical_hits(y_true, y_pred)
    return cast_hits(xp, hits, dtype)


def sparse_categorical_accuracy(y_true: Any, y_pred: Any, *, out: Any = None) -> Any:
    r"""Accuracy against integer labels: ``argmax(y_pred) == y_true``.

    .. math:: a_i = \big[\operatorname{argmax}_j \hat y_{ij} = y_i\big]

    Ties go to the first index.

    Parameters
    ----------
    y_true
        Integer labels in ``[0, C)``, shape ``y_pred.shape[:-1]`` or that with a trailing 1
        (``(N,)`` or ``(N, 1)`` for ``y_pred`` of shape ``(N, C)``). Integral floats are
        accepted.
    y_pred
        Scores (probabilities or logits), classes along the last axis.
    out
        A NumPy array of the result's shape and dtype to write into.

    Returns
    -------
    array
        One value per sample: ``y_pred.shape[:-1]``.

    Raises
    ------
    ValueError
        Labels outside ``[0, C)`` or not integers; a label shape that does not fit;
        NaN scores.

    References
    ----------
    Keras 3 ``keras.metrics.sparse_categorical_accuracy``.

    Examples
    --------
    >>> sparse_categorical_accuracy([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0.0]])
    array([0., 1.])
    """
    if namespace(y_true, y_pred) is np:
        _, yp, dtype = float_input(y_pred, "y_pred", xp=np)
        if yp.ndim > 0 and yp.shape[-1] > 0:
            labels = sparse_labels(np, y_true, yp).astype(np.int64, copy=False)
            # the core: one pass over a row; a row with a NaN comes back NaN, and the
            # reference below refuses it
            hits = np.asarray(_core.sparse_argmax_hits(yp.astype(dtype, copy=False), labels))
            if not np.isnan(hits).any():
                return give(hits if hits.ndim or out is not None else hits[()], out)
    xp, hits, dtype = sparse_categorical_hits(y_true, y_pred)
    return give(cast_hits(xp, hits, dtype), out)


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> Any:
    r"""Top-k accuracy with one-hot targets: the true class is among the k best scores.

    .. math:: a_i = \big[\#\{j : \hat y_{ij} > \hat y_{i c_i}\} < k\big],
       \qquad c_i = \operatorname{argmax}_j y_{ij}

    A score tied with the k-th largest counts as a hit (Keras's ``in_top_k``; scikit-learn's
    ``top_k_accuracy_score`` breaks ties by index instead); ``k >= C`` always hits.

    Parameters
    ----------
    y_true
        One-hot rows, the shape of ``y_pred``.
    y_pred
        Scores, classes along the last axis.
    k
        An integer >= 1.

    Returns
    -------
    array
        One value per sample: ``y_pred.shape[:-1]``.

    References
    ----------
    Keras 3 ``keras.metrics.top_k_categorical_accuracy``.

    Examples
    --------
    >>> top_k_categorical_accuracy([[0, 0, 1], [0, 1, 0]],
    ...                            [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], k=1)
    array([0., 1.])
    >>> top_k_categorical_accuracy([[0, 0, 1]], [[0.4, 0.3, 0.3]], k=2)  # tied 2nd: a hit
    array([1.])
    """
    k = check_k(k)
    xp, hits, dtype = top_k_hits(y_true, y_pred, k)
    return cast_hits(xp, hits, dtype)


def sparse_top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5,
                                      from_sorted_ids: bool = False) -> Any:
    r"""Top-k accuracy with integer labels.

    With ``from_sorted_ids=False`` (default) ``y_pred`` holds the scores of all C classes
    and the rule is that of :func:`top_k_categorical_accuracy` (ties with the k-th largest
    score count; ``k >= C`` always hits). With ``from_sorted_ids=True`` ``y_pred`` holds,
    per sample, category ids sorted from best to worst, and a hit is ``y_true`` among the
    first ``k`` of them (ids need not lie in ``[0, C)``).

    Parameters
    ----------
    y_true
        Labels (or ids), shape ``y_pred.shape[:-1]`` or that with a trailing 1.
    y_pred
        Scores, or sorted ids.
    k
        An integer >= 1.
    from_sorted_ids
        Whether ``y_pred`` holds sorted ids.

    Returns
    -------
    array
        One value per sample: ``y_pred.shape[:-1]``.

    References
    ----------
    Keras 3 ``keras.metrics.sparse_top_k_categorical_accuracy``.

    Examples
    --------
    >>> sparse_top_k_categorical_accuracy([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], k=1)
    array([0., 1.])
    >>> sparse_top_k_categorical_accuracy([7, 3], [[7, 1, 3], [2, 1, 3]], k=2,
    ...                                   from_sorted_ids=True)
    array([1., 0.])
    """
    k = check_k(k)
    xp, hits, dtype = sparse_top_k_hits(y_true, y_pred, k, bool(from_sorted_ids))
    return cast_hits(xp, hits, dtype)

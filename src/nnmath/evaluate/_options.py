"""The arguments of :func:`nnmath.evaluate.evaluate`, checked in one place.

The command line parses its options into these arguments and passes them on, so that a
value is refused with the same message whichever way it came. Each message names the
argument and its option (``threshold (--threshold)``).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

TASKS = ("auto", "binary", "multiclass", "multilabel")
#: ``auc=``: exact (thresholds past a bound), thresholded from the start, or none
AUC_MODES = ("exact", "thresholds", "none")


@dataclass(frozen=True)
class Options:
    """The checked arguments of an evaluation."""

    task: str
    from_logits: bool
    threshold: float | None  # None: not given (0.5 where a threshold applies)
    top_k: tuple[int, ...] | None  # None: not given (5 above 5 classes)
    chunk_size: int | None
    header: bool | None
    auc: str = "exact"  # "exact" (thresholds past a bound), "thresholds" or "none"
    calibration: bool = True  # the expected calibration error and the Brier score


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _flag(value: Any, name: str, option: str) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} ({option}) must be True or False, got {value!r}")


def check_options(task: Any, from_logits: Any, threshold: Any, top_k: Any, chunk_size: Any,
                  header: Any, auc: Any = "exact", calibration: Any = True) -> Options:
    """Check the arguments that do not depend on the data; the :class:`Options`.

    >>> check_options("auto", False, 0.3, [3, 2], None, None).top_k
    (2, 3)
    >>> check_options("auto", False, 2, None, None, None)
    Traceback (most recent call last):
    ...
    ValueError: threshold (--threshold) is a probability and must lie in (0, 1), got 2.0
    """
    if not isinstance(task, str) or task not in TASKS:
        raise ValueError(f"task (--task) must be one of {', '.join(TASKS)}, got {task!r}")
    logits = _flag(from_logits, "from_logits", "--from-logits")
    t = None
    if threshold is not None:
        if isinstance(threshold, (bool, np.bool_)) or not isinstance(
                threshold, (int, float, np.integer, np.floating)):
            raise TypeError(f"threshold (--threshold) must be a number, got {threshold!r}")
        t = float(threshold)
        if not 0.0 < t < 1.0:  # also refuses NaN
            with_logits = (" (with from_logits it is compared with sigmoid(logit))"
                           if logits else "")
            raise ValueError(f"threshold (--threshold) is a probability and must lie in "
                             f"(0, 1){with_logits}, got {t}")
    ks = None
    if top_k is not None:
        items: Sequence[Any] = [top_k] if _is_int(top_k) else top_k
        if isinstance(top_k, (str, bytes)) or not isinstance(items, (list, tuple, np.ndarray)):
            raise TypeError(f"top_k (--top-k) must be an integer or a list of integers, got "
                            f"{top_k!r}")
        if len(items) == 0:
            raise ValueError("top_k (--top-k) is an empty list; give at least one k, or None "
                             "for the default")
        for k in items:
            if not _is_int(k) or k < 1:
                raise ValueError(f"top_k (--top-k) must be integers >= 1, got {k!r}")
        ks = tuple(sorted({int(k) for k in items}))
    step = None
    if chunk_size is not None:
        if not _is_int(chunk_size) or chunk_size < 1:
            raise ValueError(f"chunk_size (--chunk-size) must be an integer >= 1, got "
                             f"{chunk_size!r}")
        step = int(chunk_size)
    head = None if header is None else _flag(header, "header", "--header/--no-header")
    if not isinstance(auc, str) or auc not in AUC_MODES:
        raise ValueError(f"auc (--auc) must be one of {', '.join(AUC_MODES)}, got {auc!r}")
    calib = _flag(calibration, "calibration", "--no-calibration")
    return Options(task, logits, t, ks, step, head, auc, calib)


def check_for_task(options: Options, task: str, n_classes: int) -> None:
    """Refuse the arguments that the task (decided from the data) would ignore."""
    if options.top_k is not None and task != "multiclass":
        raise ValueError(f"top_k (--top-k) applies to a multiclass task, and this one is "
                         f"{task} ({n_classes} {'labels' if task == 'multilabel' else 'classes'}"
                         "); drop it")
    if options.threshold is not None and task == "multiclass":
        raise ValueError(f"threshold (--threshold) applies to binary and multi-label tasks; "
                         f"a multiclass prediction is the class of the highest score "
                         f"({n_classes} classes): drop it, or pass --task multilabel if the "
                         "scores are independent")


def effective_threshold(options: Options) -> tuple[float, float]:
    """(the threshold as a probability, the threshold on the compared scores)."""
    t = 0.5 if options.threshold is None else options.threshold
    if options.from_logits:
        return t, math.log(t) - math.log1p(-t)
    return t, t

"""The evaluation job: labels + predictions (arrays or files) → a report of metrics and losses.

:func:`evaluate` reads its inputs in chunks of rows (:mod:`nnmath.io`), checks each chunk,
and feeds it to the streaming metrics of :mod:`nnmath.metrics`, so that memory stays
bounded by the chunk size whatever the size of the files, and the result is exactly that
of one pass over all the data (the metrics keep exact totals).

The task decides the metrics:

============  ==========================================  ====================================
task          inputs                                      metrics
============  ==========================================  ====================================
binary        ``y_pred`` ``(N,)``/``(N, 1)`` (or ``(N, 2)``  accuracy, balanced accuracy,
              with ``task="binary"``), labels 0/1          precision, recall, F1, crossentropy
multiclass    ``y_pred`` ``(N, C)``; integer labels        accuracy, balanced accuracy,
              ``(N,)`` or one-hot rows ``(N, C)``          top-k accuracy, crossentropy
multilabel    ``y_pred`` ``(N, L)``; 0/1 rows ``(N, L)``   accuracy (per label), subset
                                                           accuracy, crossentropy
============  ==========================================  ====================================

Every task also reports, from the predicted probabilities, ``roc_auc`` and ``pr_auc``
(exact up to a bound, then from thresholds; one-vs-rest per class, macro-averaged, for
several classes), ``ece`` and ``brier_score`` (see :mod:`nnmath.evaluate._probs`; the
``auc`` and ``calibration`` arguments switch them off).

``"accuracy"`` and ``"crossentropy"`` are resolved from the shapes as Keras's
``compile(metrics=["accuracy"], loss="crossentropy")`` would; the report says which one
(``settings["accuracy"]``). Every task also gets a classification report from its exact
counts (up to 1024 classes): per class the support, predictions, hits, precision, recall
and F1 with their micro, macro and weighted averages, as scikit-learn's
``classification_report`` computes them with ``zero_division=0`` (but exactly, rounded
once), and for a binary or multiclass task the confusion matrix. :meth:`Report.to_html`
writes it all as one self-contained page, :meth:`Report.figures` draws the figures.

Several files make one input (a glob such as ``"logits-*.npy"``, a list of paths, or a
directory: see :mod:`nnmath.io`); they are read one after another, and the files of two
inputs are paired in sorted order. With ``engine="dask"`` the files (or pieces of large
files) are evaluated in parallel on a Dask cluster, one partition per task, and the
partial states of the metrics are merged exactly on the client: the report is the one the
local engine gives, bit for bit (see :func:`evaluate`).

>>> r = evaluate([0, 1, 1], [0.4, 0.7, 0.3])
>>> r.task, r.n_samples, round(r.metrics["accuracy"], 4)
('binary', 3, 0.6667)
>>> r = evaluate([1, 0, 2], [[0.4, 0.6, 0.0], [0.3, 0.2, 0.5], [0.05, 0.35, 0.6]])
>>> r.task, r.settings["accuracy"], round(r.metrics["accuracy"], 4)
('multiclass', 'sparse_categorical_accuracy', 0.6667)
"""
from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import Any

from ..io import describe_sources
from ._dask import DaskEngine, EngineError
from ._inputs import Inputs, open_inputs
from ._options import TASKS, check_options
from ._plan import (
    MAX_CONFUSION_CLASSES,
    ZERO_DIVISION,
    _binary_extras,
    _confusion,
    _per_class,
    _Plan,
    _plan,
    _width,
    default_chunk_size,
    finish,
    run_pieces,
)
from ._report import Report, _Progress
from ._task import decide_task

__all__ = ["ENGINES", "MAX_CONFUSION_CLASSES", "TASKS", "EngineError", "Report",
           "default_chunk_size", "evaluate"]

#: where the work runs: in this process, or on a Dask cluster
ENGINES = ("local", "dask")


def _run_local(plan: _Plan, inputs: Inputs, step: int, bar: _Progress) -> None:
    for a, b in inputs.segments:
        pieces, opened = inputs.open_pieces(a, b)
        try:
            run_pieces(plan, pieces[0], pieces[1], pieces[2] if len(pieces) > 2 else None,
                       step, bar.update)
        finally:
            for f in opened:
                f.close()


def _note_empty_classes(plan: _Plan, per_class: dict[str, list[Any]]) -> None:
    """A note naming the classes whose precision or recall is 0/0 (reported as 0)."""
    what = "labels" if plan.task == "multilabel" else "classes"
    parts = []
    for key, text in (("support", "no samples"), ("predicted", "no predictions")):
        empty = [i for i, v in enumerate(per_class[key]) if not v]
        if empty:
            shown = ", ".join(str(i) for i in empty[:10]) + (", ..." if len(empty) > 10 else "")
            noun = what if len(empty) > 1 else {"classes": "class", "labels": "label"}[what]
            parts.append(f"{len(empty)} {noun} with {text} ({shown})")
    if parts:
        plan.notes.append(f"{' and '.join(parts)}: a precision, recall or F1 of 0/0 is "
                          f"reported as {ZERO_DIVISION} (zero_division={ZERO_DIVISION}, "
                          "scikit-learn's default)")


def evaluate(y_true: Any, y_pred: Any, sample_weight: Any = None, *, task: str = "auto",
             from_logits: bool = False, threshold: float | None = None,
             top_k: Sequence[int] | int | None = None, chunk_size: int | None = None,
             header: bool | None = None, progress: bool | None = False,
             engine: str = "local", scheduler: Any = None, workers: int | None = None,
             partition_rows: int | None = None, auc: str = "exact",
             calibration: bool = True) -> Report:
    """Evaluate predictions against labels: accuracy, crossentropy and friends, streamed.

    Parameters
    ----------
    y_true
        Labels: integers ``(N,)``/``(N, 1)``, one-hot rows ``(N, C)``, or 0/1 (binary,
        multilabel). An array, or a file spec of :func:`nnmath.io.open_source`
        (``"labels.npy"``, ``"data.npz:y"``, ``"data.csv:label"``, ``"data.parquet:y"``),
        or several files: a glob (``"labels-*.npy"``), a list of paths, a directory.
    y_pred
        Probabilities or (with ``from_logits=True``) logits: ``(N,)``/``(N, 1)`` for a
        binary task, ``(N, C)`` otherwise. An array or file specs, as ``y_true``. When
        both are several files, they are paired in sorted order: as many files, and the
        i-th of each with the same number of rows.
    sample_weight
        Optional, one weight per sample (an array or file specs, as ``y_true``).
    task
        ``"auto"``: from the shapes, and for labels ``(N, C)`` from every row of them (a
        first pass over ``y_true``): all rows one-hot (or >= 0 summing to 1) make a
        multiclass task, else all rows 0/1 a multilabel one, else an error.
        ``"binary"``, ``"multiclass"`` or ``"multilabel"`` say it; every row is then
        checked against it (one-hot rows that do not sum to 1 are an error naming the row).
    from_logits
        ``y_pred`` holds logits (no final activation).
    threshold
        The probability above which a binary or multi-label prediction is positive, in
        (0, 1) (default 0.5; with logits it is compared with ``sigmoid(logit)``). Refused
        for a multiclass task (the prediction is the class of the highest score).
    top_k
        Report ``top_{k}_accuracy`` for these k, integers >= 1 (multiclass only; default
        5 when C > 5).
    chunk_size
        Rows per chunk, an integer >= 1 (default: about 8 MiB of predictions as float64).
        Memory stays bounded by a small multiple of one chunk (per worker, with Dask). The
        report does not depend on it.
    header
        Whether the first line of ``.csv``/``.tsv`` files is a header: ``True``,
        ``False``, or ``None`` (default) for the rule of :mod:`nnmath.io`: a header when a
        field is not a number, data when every field is, an error when the line could be
        either (pandas' default column names ``0,1,...``).
    progress
        Show a progress bar on stderr (``None``: when stderr is a terminal). With Dask it
        advances as partitions complete.
    engine
        ``"local"`` (this process) or ``"dask"``: one task per partition on a Dask
        cluster (the ``dask`` extra). A partition is a file, or up to ``partition_rows``
        rows of one; the workers read it themselves (with :mod:`nnmath.io`), so the files
        must be readable at the same paths there. The task and the metrics are decided
        here, exactly as the local engine does, and each worker
        checks its rows as the local engine would (same messages); the partial states
        of the metrics are merged exactly: the same report as ``engine="local"``.
    scheduler
        With ``engine="dask"``: ``None`` starts a ``distributed.LocalCluster`` of
        ``workers`` processes on this machine (loopback only) and closes it afterwards;
        an address (``"tcp://host:8786"``) or a ``distributed.Client`` uses that cluster;
        ``"threads"`` or ``"synchronous"`` uses Dask's scheduler of that name in this
        process (no ``distributed`` needed).
    workers
        Processes of the local cluster (default: the number of CPU cores, one thread
        each), or threads of ``scheduler="threads"``.
    partition_rows
        The most rows of one partition (default: 32 chunks); a multiple of the chunk size.
        A file with more rows is split into several partitions, and so is a file with more
        than ``1/workers`` of all the rows (the cluster's threads), down to one chunk.
    auc
        ROC AUC and PR AUC (average precision): ``"exact"`` (default; every distinct
        score, as scikit-learn, up to about 4 million distinct scores in all, then
        thresholds, with a note), ``"thresholds"`` (1001 evenly spaced thresholds, 201
        above 32 classes) or ``"none"``; skipped above 1024 classes. See
        :mod:`nnmath.evaluate._probs`.
    calibration
        Report the expected calibration error (15 equal-width bins) and the Brier score,
        with the reliability diagram's data (default ``True``).

    Returns
    -------
    Report

    Raises
    ------
    nnmath.io.DataError
        A file that cannot be read, lengths that differ, NaN predictions, labels outside
        the classes, and the like; the message names the earliest bad row and says what to
        do. It is the same with either engine and any chunk size.
    ValueError, TypeError
        An argument out of its range or of the wrong type (the message names it).
    nnmath.io.MissingExtraError
        ``engine="dask"`` without Dask installed (``pip install 'nnmath[dask]'``).
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if engine == "local":
        given = [name for name, v in (("scheduler", scheduler), ("workers", workers),
                                      ("partition_rows", partition_rows)) if v is not None]
        if given:
            raise ValueError(f"{', '.join(given)}: only with engine='dask'")
    options = check_options(task, from_logits, threshold, top_k, chunk_size, header, auc,
                            calibration)
    dask_engine = None
    if engine == "dask":  # checks its arguments, and that Dask is installed
        dask_engine = DaskEngine(scheduler, workers, partition_rows, options.header)
    started = time.perf_counter()
    inputs = open_inputs(y_true, y_pred, sample_weight, header=options.header)
    try:
        if options.header is not None and not any(src.text for src in inputs.sources):
            raise ValueError("header (--header/--no-header) applies to .csv/.tsv files, and "
                             "no input is one; drop it")
        yt_src, yp_src = inputs.sources[0], inputs.sources[1]
        step = (default_chunk_size(_width(yp_src.shape)) if options.chunk_size is None
                else options.chunk_size)
        resolved, notes = decide_task(options.task, inputs, step)
        plan = _plan(resolved, notes, options, yt_src, yp_src)
        plan.settings["chunk_size"] = step
        enabled = sys.stderr.isatty() if progress is None else bool(progress)

        def make_bar() -> _Progress:
            return _Progress(inputs.n_rows, enabled=enabled)

        if dask_engine is None:
            bar = make_bar()
            try:
                _run_local(plan, inputs, step, bar)
            finally:
                bar.close()
        else:
            plan.settings.update(dask_engine.run(plan, inputs, step, make_bar))
        checks = finish(plan, [src.spec for src in inputs.sources])
        results = {name: float(metric.result()) for name, metric in plan.metrics.items()}
        if plan.task == "binary":
            results.update(_binary_extras(plan))
        described = describe_sources(inputs.sources)
        for item, role in zip(described, inputs.roles, strict=True):
            item["role"] = role
            item["spec"] = item["spec"].removeprefix(f"{role} ")
        weighted = len(inputs.sources) > 2
        per_class, averages = _per_class(plan, weighted)
        if per_class is not None:
            plan.settings["zero_division"] = ZERO_DIVISION
            _note_empty_classes(plan, per_class)
        curves = None
        if plan.probs is not None and plan.probs.active:
            word = "label" if plan.task == "multilabel" else "class"
            extra, class_aucs, curves = plan.probs.results(plan.notes, plan.settings, word)
            results.update(extra)
            if per_class is not None:
                per_class.update(class_aucs)
        return Report(task=plan.task, n_samples=inputs.n_rows, n_classes=plan.n_classes,
                      metrics=results, per_class=per_class, averages=averages,
                      confusion=_confusion(plan, weighted), settings=plan.settings,
                      inputs=described, notes=plan.notes, checks=checks,
                      seconds=time.perf_counter() - started, curves=curves or None)
    finally:
        inputs.close()

"""The Dask engine of :func:`nnmath.evaluate.evaluate`: one task per partition, merged exactly.

The client opens the inputs (headers only), checks that they go together, reads the first
rows to decide the task and the metrics (as the local engine does), and cuts the rows into
partitions: the segments of :mod:`._inputs` (a file of each input), split into pieces of
at most ``partition_rows`` rows, and small enough that the cluster's workers all get one:
a file of at least as many chunks as workers makes at least one partition per worker.
Each task opens its files on a worker, reads its rows in
the local engine's chunks, checks and adds them with the same code (:func:`run_pieces`),
and returns the metrics' partial states as JSON. The client merges them with
``merge_state``: the metrics keep exact sums, so the result does not depend on the
partitions nor on the order in which they finish.

A problem in the data comes back as a value (the message of the :class:`DataError`), not
as an exception on the worker, so that the worker logs nothing and the client raises the
error the local engine raises.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import traceback
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..io import ArraySource, DataError, MissingExtraError, MultiSource, Source, open_source
from ..io import require as _require
from ._inputs import Inputs
from ._plan import Piece, _Plan, merge_partial, partial_state, plan_from_state, plan_state
from ._plan import run_pieces as _run_pieces
from ._report import _Progress

__all__ = ["LOCAL_SCHEDULERS", "DaskEngine", "EngineError", "evaluate_partition"]

#: Dask's in-process schedulers that ``scheduler=`` may name (no ``distributed`` needed)
LOCAL_SCHEDULERS = {"threads": "threads", "synchronous": "sync", "sync": "sync"}
#: a partition holds at most this many chunks, by default
CHUNKS_PER_PARTITION = 32
_PURPOSE = "engine='dask'"


class EngineError(RuntimeError):
    """The Dask cluster could not run the evaluation (a worker lost, a task that failed)."""


class _RemoteTraceback(Exception):
    """The traceback of an exception on a worker, shown as the cause of the client's."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return f"\n\n(on the worker)\n{self.text}"


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _positive(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


# -- on the worker ----------------------------------------------------------------------------

def _open_piece(d: dict[str, Any]) -> tuple[Piece, Source | None]:
    if d["origin"] is None:  # rows of an array, sent with the task
        data = np.asarray(d["data"])
        return Piece(ArraySource(data, d["spec"]), 0, len(data), d["first_row"]), None
    src = open_source(d["path"], name=d["role"], header=d["header"])
    if d["path"] != d["origin"]:  # messages name the file as the client was given it
        src.spec = src.spec.replace(f"{d['role']} {d['path']}", f"{d['role']} {d['origin']}",
                                    1)
    try:
        if len(src) != d["rows"] or list(src.shape[1:]) != d["trailing"]:
            raise DataError(
                f"{src.spec}: has shape {src.shape} on the worker but "
                f"{(d['rows'], *d['trailing'])} where the evaluation began; every machine "
                "must see the same files at the same paths")
    except BaseException:
        src.close()
        raise
    return Piece(src, d["start"], d["stop"], d["start"]), src


def evaluate_partition(plan_json: str, pieces: list[dict[str, Any]], step: int) -> str:
    """The task: evaluate one partition; its partial state (or its error) as JSON.

    ``pieces`` describe the rows of y_true, y_pred (and sample_weight): rows
    ``[start, stop)`` of a file to open (``path``, absolute; ``origin``, the spec as
    given, for messages), or the rows of an array (``data``).
    """
    opened: list[Source] = []
    try:
        plan = plan_from_state(json.loads(plan_json))
        ps = []
        for d in pieces:
            piece, src = _open_piece(d)
            if src is not None:
                opened.append(src)
            ps.append(piece)
        rows = _run_pieces(plan, ps[0], ps[1], ps[2] if len(ps) > 2 else None, step)
        return json.dumps({"rows": rows, "state": partial_state(plan)})
    except MissingExtraError as exc:
        return json.dumps({"error": str(exc), "kind": "extra"})
    except DataError as exc:
        return json.dumps({"error": str(exc), "kind": "data"})
    except (ValueError, TypeError, OSError) as exc:
        kind = ("ValueError" if isinstance(exc, ValueError) else
                "TypeError" if isinstance(exc, TypeError) else "OSError")
        return json.dumps({"error": str(exc), "kind": kind,
                           "traceback": traceback.format_exc()})
    except Exception as exc:
        return json.dumps({"error": f"{type(exc).__name__}: {exc}", "kind": "internal",
                           "traceback": traceback.format_exc()})
    finally:
        for src in opened:
            src.close()


def _raise_remote(result: dict[str, Any], where: str) -> None:
    kind, message = result["kind"], result["error"]
    cause = _RemoteTraceback(result["traceback"]) if "traceback" in result else None
    exc: Exception
    if kind == "data":
        exc = DataError(message)
    elif kind == "extra":
        exc = MissingExtraError(f"on a Dask worker: {message}")
    elif kind in ("ValueError", "TypeError"):
        exc = ValueError(message) if kind == "ValueError" else TypeError(message)
    elif kind == "internal":
        exc = RuntimeError(f"{message} (on a Dask worker, evaluating {where})")
    else:
        exc = OSError(f"{message} (on a Dask worker, evaluating {where})")
    raise exc from cause


# -- on the client ----------------------------------------------------------------------------

def partitions(segments: list[tuple[int, int]], step: int, partition_rows: int | None,
               splittable: Callable[[int, int], bool] | None = None,
               workers: int = 1) -> list[tuple[int, int]]:
    """The segments split into partitions of at most ``partition_rows`` rows, and of at
    most ``1/workers`` of all the rows, so that every worker has work (a single large
    file is cut into ``workers`` pieces); sizes are rounded up to a multiple of ``step``,
    so that the chunks are the local engine's. A segment that is not ``splittable`` (a
    ``.csv`` file, read from its start) stays whole.

    >>> partitions([(0, 10), (10, 35)], 4, 10)
    [(0, 10), (10, 22), (22, 34), (34, 35)]
    >>> partitions([(0, 10), (10, 35)], 4, 10, lambda a, b: a == 0)
    [(0, 10), (10, 35)]
    >>> partitions([(0, 1000)], 100, None, workers=3)    # 32 chunks by default: 1 piece
    [(0, 400), (400, 800), (800, 1000)]
    >>> partitions([(0, 150)], 100, None, workers=4)     # never less than a chunk
    [(0, 100), (100, 150)]
    """
    cap = CHUNKS_PER_PARTITION * step if partition_rows is None else (
        math.ceil(partition_rows / step) * step)
    share = math.ceil(sum(b - a for a, b in segments) / max(workers, 1))
    size = min(cap, max(step, math.ceil(share / step) * step))
    out: list[tuple[int, int]] = []
    for a, b in segments:
        if b - a > size and (splittable is None or splittable(a, b)):
            out.extend((lo, min(lo + size, b)) for lo in range(a, b, size))
        else:
            out.append((a, b))
    return out


def _describe_piece(inputs: Inputs, index: int, a: int, b: int,
                    header: bool | None = None) -> dict[str, Any]:
    src, role = inputs.sources[index], inputs.roles[index]
    part, lo, hi = inputs.locate(index, a, b)
    base: dict[str, Any] = {"role": role, "start": lo, "stop": hi, "first_row": lo,
                            "data": None, "spec": src.spec, "header": header,
                            "trailing": list(src.shape[1:])}
    if part is not None:
        assert isinstance(src, MultiSource)
        origin, rows = src.files[part], src.lengths[part]
    elif src.origin is not None:
        origin, rows = src.origin, len(src)
    else:
        origin = None
    if origin is not None:  # the worker's working directory may not be ours
        path = origin if os.path.isabs(origin) else os.path.join(os.getcwd(), origin)
        return {**base, "origin": origin, "path": path, "rows": rows}
    if isinstance(src, ArraySource):
        return {**base, "origin": None, "data": np.asarray(src.array[lo:hi])}
    raise ValueError(f"{src.spec}: engine='dask' needs files (the workers read them) or "
                     f"arrays, not a {type(src).__name__}")


def _where(pieces: list[dict[str, Any]]) -> str:
    d = pieces[1]
    what = d["origin"] if d["origin"] is not None else d["spec"]
    return f"rows {d['start']:,}..{d['stop']:,} of {what}"


def _set_threads(n: int) -> int:
    """On a worker: the threads of nnmath's NumPy fast paths (``NNMATH_NUM_THREADS``)."""
    from .. import set_num_threads

    set_num_threads(n)
    return n


@contextlib.contextmanager
def local_cluster(workers: int) -> Iterator[tuple[Any, Any]]:
    """The ``distributed.LocalCluster`` that ``evaluate(engine="dask")`` starts, and a client.

    ``workers`` processes of one thread each, on loopback only, without a dashboard, quiet
    below errors. The cores are shared out: each worker's NumPy fast paths use
    ``cores // workers`` threads (at least one), unless ``NNMATH_NUM_THREADS`` says.

    Dask starts its workers with ``MALLOC_TRIM_THRESHOLD_=65536`` (memory handed back to
    the OS at once, for long-lived workers); for these short-lived ones it is left unset,
    as in any process: handing back and faulting in again the chunks' scratch arrays
    costs more system time than the evaluation itself.
    """
    import dask
    import distributed

    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_":
                          None}):
        cluster = distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
            # no dashboard; its HTTP server (health checks) on a free loopback port
            dashboard_address="127.0.0.1:0", scheduler_kwargs={"dashboard": False},
            silence_logs=logging.ERROR)
    with cluster, distributed.Client(cluster) as client:
        if not os.environ.get("NNMATH_NUM_THREADS", "").strip():
            client.run(_set_threads, max(1, _cpu_count() // workers))
        yield cluster, client


class DaskEngine:
    """Runs the partitions of an evaluation on Dask (see :func:`evaluate`'s ``engine``)."""

    def __init__(self, scheduler: Any = None, workers: int | None = None,
                 partition_rows: int | None = None, header: bool | None = None) -> None:
        self.header = header  # of .csv/.tsv files: as the client opened them
        self.workers = _positive(workers, "workers")
        self.partition_rows = _positive(partition_rows, "partition_rows")
        self.scheduler = scheduler
        self.local = scheduler if isinstance(scheduler, str) and (
            scheduler in LOCAL_SCHEDULERS) else None
        if scheduler is not None and self.local is None and self.workers is not None:
            raise ValueError("workers: sizes the cluster that evaluate starts; with "
                             "scheduler= the cluster is already there (drop workers)")
        if isinstance(scheduler, str) and self.local is None and ":" not in scheduler:
            raise ValueError(f"scheduler: {scheduler!r} is not an address such as "
                             "tcp://host:8786, nor one of "
                             f"{', '.join(repr(k) for k in LOCAL_SCHEDULERS)}")
        _require("dask", "dask", _PURPOSE)
        if self.local is None:
            _require("distributed", "dask", _PURPOSE)

    # -- where the tasks run ---------------------------------------------------------------
    @contextlib.contextmanager
    def _client(self) -> Iterator[tuple[Any, str]]:
        """A distributed client (and what it is connected to), closed afterwards when we
        opened it."""
        import distributed

        if isinstance(self.scheduler, distributed.Client):
            yield self.scheduler, str(self.scheduler.scheduler_info().get("address", "?"))
            return
        if self.scheduler is None:
            n = self.workers or _cpu_count()
            with local_cluster(n) as (cluster, client):
                yield client, f"a local cluster of {n} processes ({cluster.scheduler_address})"
            return
        address = getattr(self.scheduler, "scheduler_address", self.scheduler)
        if not isinstance(address, str):
            raise TypeError(f"scheduler must be an address, a distributed.Client, "
                            f"'threads' or 'synchronous', got {type(self.scheduler).__name__}")
        try:
            client = distributed.Client(address)
        except Exception as exc:  # refused, timed out, not a Dask scheduler, a bad address
            text = " ".join(str(exc).split()) or type(exc).__name__
            raise ConnectionError(f"cannot connect to the Dask scheduler at {address} "
                                  f"({text}); is 'dask scheduler' running there, with its "
                                  "port open to this machine?") from None
        with client:
            yield client, address

    def _run_distributed(self, make_tasks: Callable[[int], list[list[dict[str, Any]]]],
                         plan_json: str, step: int, ready: Callable[[], None],
                         done: Callable[[int, dict[str, Any]], None]) -> dict[str, Any]:
        import distributed

        with self._client() as (client, where):
            # the partitions are cut for the threads the cluster has, all its workers
            threads = sum(int(w.get("nthreads", 1))
                          for w in client.scheduler_info().get("workers", {}).values())
            tasks = make_tasks(max(threads, 1))
            ready()
            token = uuid.uuid4().hex[:12]
            for pieces in tasks:  # arrays travel once, as data of their own
                for d in pieces:
                    if d["data"] is not None:
                        d["data"] = client.scatter(d["data"], hash=False)
            futures = {client.submit(evaluate_partition, plan_json, pieces, step,
                                     key=f"nnmath-evaluate-{token}-{i}", pure=False): i
                       for i, pieces in enumerate(tasks)}
            try:
                for future in distributed.as_completed(futures):
                    i = futures[future]
                    try:
                        text = future.result()
                    except Exception as exc:
                        raise EngineError(f"the Dask cluster failed to evaluate "
                                          f"{_where(tasks[i])}: {type(exc).__name__}: "
                                          f"{exc}") from None
                    done(i, json.loads(text))
                    future.release()
            finally:
                pending = [f for f in futures if not f.done()]
                if pending:
                    client.cancel(pending)
            n_workers = len(client.scheduler_info().get("workers", {}))
        return {"scheduler": where, "workers": n_workers}

    def _run_local_scheduler(self, make_tasks: Callable[[int], list[list[dict[str, Any]]]],
                             plan_json: str, step: int, ready: Callable[[], None],
                             done: Callable[[int, dict[str, Any]], None]) -> dict[str, Any]:
        import dask
        from dask.callbacks import Callback

        n = self.workers or _cpu_count()
        tasks = make_tasks(n if self.local == "threads" else 1)
        calls = [dask.delayed(evaluate_partition, pure=False)(plan_json, pieces, step)
                 for pieces in tasks]
        index = {call.key: i for i, call in enumerate(calls)}
        failed: list[BaseException] = []

        class _Done(Callback):
            """Merges each partition as it completes (and advances the progress bar)."""

            def _posttask(self, key: Any, result: Any, dsk: Any, state: Any,
                          worker_id: Any) -> None:
                if key in index and not failed:
                    try:
                        done(index[key], json.loads(result))
                    except Exception as exc:  # raised below, after the scheduler stops
                        failed.append(exc)

        assert self.local is not None
        ready()
        with _Done():
            dask.compute(*calls, scheduler=self.local, num_workers=n)
        if failed:
            raise failed[0]
        return {"scheduler": self.local, "workers": n if self.local == "threads" else 1}

    # -- the run ---------------------------------------------------------------------------
    def run(self, plan: _Plan, inputs: Inputs, step: int,
            make_bar: Callable[[], _Progress]) -> dict[str, Any]:
        """Evaluate every partition into ``plan``; the settings to report."""
        parts: list[tuple[int, int]] = []
        tasks: list[list[dict[str, Any]]] = []

        def make_tasks(workers: int) -> list[list[dict[str, Any]]]:
            """The partitions for a cluster of ``workers`` threads, described as tasks."""
            parts[:] = partitions(inputs.segments, step, self.partition_rows,
                                  inputs.random_access, workers)
            tasks[:] = [[_describe_piece(inputs, k, a, b, self.header)
                         for k in range(len(inputs.sources))] for a, b in parts]
            return tasks

        plan_json = json.dumps(plan_state(plan))
        rows = [0]
        bar: _Progress | None = None
        errors: dict[int, dict[str, Any]] = {}

        def done(i: int, result: dict[str, Any]) -> None:
            if "error" in result:  # raised at the end: the earliest partition's, as locally
                errors[i] = result
                return
            if errors:
                return
            a, b = parts[i]
            if result["rows"] != b - a:
                raise EngineError(f"{_where(tasks[i])}: a worker read {result['rows']:,} rows "
                                  f"of {b - a:,}")
            merge_partial(plan, result["state"])
            rows[0] += b - a
            if bar is not None:
                bar.update(b - a)

        def ready() -> None:  # the bar starts when the cluster is there
            nonlocal bar
            bar = make_bar()

        try:
            run = self._run_distributed if self.local is None else self._run_local_scheduler
            where = run(make_tasks, plan_json, step, ready, done)
        finally:
            if bar is not None:
                bar.close()
        if errors:
            first = min(errors)
            _raise_remote(errors[first], _where(tasks[first]))
        if rows[0] != inputs.n_rows:  # pragma: no cover - every partition is checked
            raise EngineError(f"the partitions hold {rows[0]:,} rows of {inputs.n_rows:,}")
        return {"engine": "dask", **where, "partitions": len(parts)}

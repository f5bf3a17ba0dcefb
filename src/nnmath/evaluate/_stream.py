"""Reading the chunks of the inputs on a thread of its own, one chunk ahead of the work.

While the evaluation checks and counts chunk ``k`` (in the compiled core, which releases the
GIL), a reader thread reads chunk ``k + 1`` of every input: the file's bytes are copied
into buffers that are reused (``.npy``; see :meth:`nnmath.io.Source.read_range_reusing`),
so that reading overlaps computing and a pass allocates nothing per chunk.

The chunks arrive in order, and so do the reader's errors: an error met while reading chunk
``k + 1`` is raised where the loop asks for chunk ``k + 1``, after chunk ``k`` was checked,
so that the messages are those of a plain loop. Leaving the loop early (an error in the
checks, an interrupt) stops the reader and waits for it, before the files are closed.
"""
from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

#: buffers per input: the chunk being read, the one waiting in the queue, the one in use
DEPTH = 3
_DONE = object()


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


@contextmanager
def read_ahead(iterators: Sequence[Iterator[np.ndarray]]) -> Iterator[Iterator[tuple[Any, ...]]]:
    """The tuples of ``zip(*iterators)``, read one ahead on a reader thread.

    The iterators may reuse their buffers after ``DEPTH - 1`` further chunks (one in the
    queue, one being read): a tuple is valid until the next one is taken.
    """
    q: queue.Queue[Any] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for chunks in zip(*iterators, strict=False):
                if not put(chunks):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the loop, raised there
            put(_Failed(exc))

    reader = threading.Thread(target=produce, name="nnmath-evaluate-reader", daemon=True)

    def consume() -> Iterator[tuple[Any, ...]]:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield item

    reader.start()
    try:
        yield consume()
    finally:
        stop.set()
        while reader.is_alive():
            try:  # unblock a reader waiting to put
                q.get(timeout=0.05)
            except queue.Empty:
                pass
        reader.join()

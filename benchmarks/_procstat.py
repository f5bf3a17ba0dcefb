"""What the memory benchmarks share: the environment of their child processes and the
child's reading of its own memory (imported by the children as ``_procstat``)."""

from __future__ import annotations

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"


def child_env() -> dict[str, str]:
    """This environment with nnmath's sources and this folder first on ``PYTHONPATH``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), str(HERE),
                                                      env.get("PYTHONPATH")]))
    return env


def status_kib(key: str) -> int | None:
    """A line of ``/proc/self/status`` in KiB (``VmRSS``: now, ``VmHWM``: the peak of this
    process image; getrusage's ru_maxrss would also count the parent's peak, inherited
    through fork and exec); ``None`` where there is no /proc."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None

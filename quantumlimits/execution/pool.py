"""Worker processes on this machine: the cores a local run would otherwise leave idle.

A run's stages hand their chunks of work (ideal simulation, transpilation, noisy simulation:
:mod:`quantumlimits.qv.tasks`, :class:`quantumlimits.execution.executor.NoisyTask`) to a mapper.
:class:`ProcessPool` is that mapper over forked worker processes: the tasks are the ones a Dask
cluster runs (picklable, their circuits travel as QPY) and each is seeded by its first circuit's
index, so the numbers are the same whichever process runs which chunk, and the same as in one
process (tests/execution/test_pool.py).

The workers are forked when the pool is made, before the command starts any thread (progress
display, BLAS and OpenMP pools that simulation starts): a forked child inherits the imported
modules, so it starts in milliseconds instead of re-importing Qiskit. Where ``fork`` is not
available (not POSIX) the pool is not made and the run stays in one process.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

#: Most worker processes :func:`default_workers` chooses (beyond it, a Dask cluster).
MAX_AUTO_WORKERS = 8


def usable_cores() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def default_workers() -> int:
    """Worker processes for a local run: one per usable core (at most :data:`MAX_AUTO_WORKERS`);
    1 (no pool) on a single core."""
    return max(1, min(usable_cores(), MAX_AUTO_WORKERS))


def _ready(_: int) -> int:
    return os.getpid()


def _worker_start() -> None:
    # Ctrl-C reaches every process of the terminal's group: the workers leave it to this one,
    # which stops them (a worker interrupted inside the pool's queue would hang its siblings)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class ProcessPool:
    """A :data:`~quantumlimits.execution.executor.Mapper` over ``workers`` forked processes.

    ``pool(func, items)`` yields ``func(item)`` in order; one item runs in this process (no
    round trip). Use as a context manager, or call :meth:`close`.
    """

    #: tasks run on this machine: what a process transpiles may be remembered by the caller
    local = True

    def __init__(self, workers: int) -> None:
        if workers < 2:
            raise ValueError(f"a pool needs at least 2 workers, got {workers}")
        self.workers = workers
        context = multiprocessing.get_context("fork")
        self._executor = ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_worker_start
        )
        # fork every worker now, while this process has no other thread
        list(self._executor.map(_ready, range(workers)))

    def __call__(self, func: Callable[[Any], Any], items: Sequence[Any]) -> Iterable[Any]:
        if len(items) < 2:
            return map(func, items)
        return self._executor.map(func, items)

    def describe(self) -> dict[str, Any]:
        """Where the run's tasks ran, as recorded in its provenance (``cluster``)."""
        return {"kind": "processes", "workers": self.workers, "start": "fork"}

    def close(self, *, now: bool = False) -> None:
        """Stop the workers: after their running tasks, or ``now`` (a run interrupted or
        failed: running tasks are killed, pending ones cancelled)."""
        if now:
            # ProcessPoolExecutor has no public way to stop running tasks before Python 3.14
            for process in list(getattr(self._executor, "_processes", {}).values()):
                process.kill()
        self._executor.shutdown(wait=not now, cancel_futures=True)

    def __enter__(self) -> ProcessPool:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close(now=exc_type is not None)


def open_pool(workers: int | None) -> ProcessPool | None:
    """A pool of ``workers`` processes (None: :func:`default_workers`), or None for one process
    (``workers`` 1, a single core, or no ``fork`` on this platform)."""
    count = default_workers() if workers is None else workers
    if count < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return ProcessPool(count)

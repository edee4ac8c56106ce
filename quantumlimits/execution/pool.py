"""Worker processes on this machine: the cores a local run would otherwise leave idle.

A run's stages hand their chunks of work (ideal simulation, transpilation, noisy simulation:
:mod:`quantumlimits.qv.tasks`, :class:`quantumlimits.execution.executor.NoisyTask`) to a mapper.
:class:`ProcessPool` is that mapper over forked worker processes: the tasks are the ones a Dask
cluster runs (picklable, their circuits travel as QPY) and each is seeded by its first circuit's
index, so the numbers are the same whichever process runs which chunk, and the same as in one
process (tests/execution/test_pool.py).

The workers are forked when the pool is made, which must come before the process simulates or
transpiles anything (the command makes it first thing): a forked child inherits the imported
modules, so it starts in milliseconds instead of re-importing Qiskit, but not the threads of the
parent, and a thread pool the parent started (OpenMP's in Aer, Rayon's in Qiskit) would hang the
child that uses it. Workers run Qiskit's compiled passes single-threaded, as Qiskit's own
``parallel_map`` children do. Off Linux the pool is not made and the run stays in one process.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
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
    """Processes for a local run, this one included: one per usable core (at most
    :data:`MAX_AUTO_WORKERS`); 1 (no pool) on a single core."""
    return max(1, min(usable_cores(), MAX_AUTO_WORKERS))


def _ready(_: int) -> int:
    return os.getpid()


def _worker_start() -> None:
    # Ctrl-C reaches every process of the terminal's group: the workers leave it to this one,
    # which stops them (a worker interrupted inside the pool's queue would hang its siblings)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Qiskit's compiled passes then run on this thread alone, as in the children of Qiskit's own
    # parallel_map: a thread pool the parent had started does not exist in a forked child
    os.environ["QISKIT_IN_PARALLEL"] = "TRUE"


class ProcessPool:
    """A :data:`~quantumlimits.execution.executor.Mapper` over this process and ``workers``
    forked ones.

    ``pool(func, items)`` yields ``func(item)`` in order. The workers always have a task in hand
    while any is left, and this process, instead of waiting, runs the next task itself: on two
    cores one worker and this process share the work, with no process idle. Use as a context
    manager, or call :meth:`close`.
    """

    #: tasks run on this machine: what a process transpiles may be remembered by the caller
    local = True

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError(f"a pool needs at least 1 worker, got {workers}")
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
        return self._shared(func, items)

    def _shared(self, func: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[Any]:
        pending = deque(range(len(items)))
        running: dict[int, Future[Any]] = {}
        done: dict[int, Any] = {}

        def hand_out() -> None:
            while pending and len(running) < self.workers:
                i = pending.popleft()
                running[i] = self._executor.submit(func, items[i])

        try:
            hand_out()
            for next_out in range(len(items)):
                while next_out not in done:
                    for i, future in list(running.items()):
                        if future.done():
                            done[i] = future.result()
                            del running[i]
                    hand_out()
                    if next_out in done:
                        break
                    if pending:  # the workers are busy: this process takes the next task
                        i = pending.popleft()
                        done[i] = func(items[i])
                    elif next_out in running:
                        done[next_out] = running.pop(next_out).result()
                yield done.pop(next_out)
        finally:
            for future in running.values():
                future.cancel()

    @property
    def processes(self) -> int:
        """Processes that run tasks: the workers and this one."""
        return self.workers + 1

    def describe(self) -> dict[str, Any]:
        """Where the run's tasks ran, as recorded in its provenance (``cluster``)."""
        return {"kind": "processes", "workers": self.processes, "start": "fork"}

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
    """``workers`` processes in all (None: :func:`default_workers`), this one included: a pool
    of ``workers - 1`` forked ones, or None for one process (``workers`` 1, a single core, or no
    ``fork`` on this platform)."""
    count = default_workers() if workers is None else workers
    if count < 2 or not sys.platform.startswith("linux"):
        return None
    return ProcessPool(count - 1)

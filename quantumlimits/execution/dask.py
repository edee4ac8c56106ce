"""Run picklable tasks on a Dask cluster (dask.distributed): a local one, or a running scheduler.

Dask is an optional extra (``pip install 'quantumlimits[dask]'``); nothing here imports it until a
session is opened, so the rest of the package works without it. A :class:`DaskSession` is a
*mapper*: ``session.map(func, items)`` runs ``func`` on every item on the cluster's workers and
yields the results **in the order of** ``items``, as soon as each ordered prefix is complete. Any
module-level function and picklable items will do (QV chunks, classifier runs, ...), so the
numbers never depend on which worker ran what: determinism is the task's job (seeds derived from
the task's own inputs), ordering is the mapper's.

Each worker is its own process with its own caches (device targets, noise models): nothing is
shared between workers but the task and its result. OpenMP (and so Aer's thread pool) is limited
to one thread per worker process, so N workers on N cores do not oversubscribe them.

>>> parse_spec("local:2")
DaskSpec(address=None, workers=2)
>>> parse_spec("tcp://10.0.0.5:8786").address
'tcp://10.0.0.5:8786'
"""

from __future__ import annotations

import importlib
import logging
import os
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType, TracebackType
from typing import Any

from quantumlimits.errors import MissingExtraError, UsageError

#: Environment variable naming the cluster when ``--dask`` is not given.
ENV_VAR = "QUANTUMLIMITS_DASK"
#: Values of ``--dask`` / ``QUANTUMLIMITS_DASK`` that mean "run in this process".
IN_PROCESS = ("", "none", "off")
#: Packages whose versions must agree between this process and every worker: they shape results.
MUST_MATCH = ("quantumlimits", "qiskit", "qiskit-aer", "qulacs", "numpy")
#: Seconds to wait for a scheduler to answer and for its first worker to join.
CONNECT_TIMEOUT = 30.0
#: ``distributed.scheduler.worker-saturation`` of the local clusters started here.
WORKER_SATURATION = 1.0
#: Address schemes a scheduler may be reached at.
SCHEMES = ("tcp://", "tls://")


@dataclass(frozen=True)
class DaskSpec:
    """Where to run: a new local cluster of ``workers`` processes, or a scheduler ``address``."""

    address: str | None = None
    workers: int | None = None

    @property
    def local(self) -> bool:
        """True for a LocalCluster started (and stopped) by quantumlimits."""
        return self.address is None


def parse_spec(text: str) -> DaskSpec:
    """Parse ``local``, ``local:N`` or ``tcp://HOST:PORT`` (also ``tls://``).

    ``local`` alone starts one worker per core.

    >>> parse_spec("local")
    DaskSpec(address=None, workers=None)
    >>> parse_spec("local:0")
    Traceback (most recent call last):
    ...
    quantumlimits.errors.UsageError: --dask local:0: the number of workers must be at least 1
    """
    spec = text.strip()
    lowered = spec.lower()
    if lowered == "local":
        return DaskSpec()
    if lowered.startswith("local:"):
        count = lowered.split(":", 1)[1]
        try:
            workers = int(count)
        except ValueError:
            raise UsageError(
                f"--dask {spec}: {count!r} is not a number of workers; write local:2"
            ) from None
        if workers < 1:
            raise UsageError(f"--dask {spec}: the number of workers must be at least 1")
        return DaskSpec(workers=workers)
    if lowered.startswith(SCHEMES):
        host_port = spec.split("://", 1)[1]
        host, _, port = host_port.rpartition(":")
        if not host or not port.isdigit():
            raise UsageError(
                f"--dask {spec}: a scheduler address needs a host and a port, "
                "like tcp://10.0.0.5:8786"
            )
        return DaskSpec(address=spec)
    raise UsageError(
        f"--dask {spec!r} is not understood: write local, local:N (N worker processes here) "
        "or tcp://HOST:PORT (a running dask scheduler)"
    )


def resolve_spec(flag: str | None, *, env: Mapping[str, str] | None = None) -> DaskSpec | None:
    """The cluster: ``--dask`` if given, else ``$QUANTUMLIMITS_DASK``, else None (in-process).

    ``none`` (or ``off``) in either place means in-process.

    >>> resolve_spec(None, env={}) is None
    True
    >>> resolve_spec(None, env={"QUANTUMLIMITS_DASK": "local:3"})
    DaskSpec(address=None, workers=3)
    >>> resolve_spec("none", env={"QUANTUMLIMITS_DASK": "local:3"}) is None
    True
    """
    env = os.environ if env is None else env
    text = flag if flag is not None else env.get(ENV_VAR, "")
    if text.strip().lower() in IN_PROCESS:
        return None
    return parse_spec(text)


def _distributed() -> ModuleType:
    """``dask.distributed``, or an install hint when the extra is missing."""
    try:
        return importlib.import_module("distributed")
    except ImportError:
        raise MissingExtraError(feature="--dask", extra="dask", module="distributed") from None


def _distributed_config(settings: dict[str, Any]) -> Any:
    import dask

    return dask.config.set(settings)


def worker_report() -> dict[str, Any]:
    """What a worker process runs with (called on every worker by :func:`connect`)."""
    from quantumlimits.provenance import versions

    return {
        "pid": os.getpid(),
        "versions": versions((*MUST_MATCH, "dask", "distributed")),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
    }


class DaskSession:
    """A connected Dask client (and the local cluster it started, if any); a mapper.

    Use as a context manager, or call :meth:`close`. A local cluster is shut down on close; a
    remote scheduler and its workers are left running.
    """

    def __init__(self, *, client: Any, cluster: Any | None, spec: DaskSpec) -> None:
        self.client = client
        self.cluster = cluster
        self.spec = spec

    # -- mapping -------------------------------------------------------------------------------

    def map(self, func: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[Any]:
        """Run ``func(item)`` for every item on the cluster; yield the results in item order.

        Every task is submitted before this returns; results come back as soon as every earlier
        one is in, so progress follows completed tasks. A task whose worker dies is rerun
        elsewhere by the scheduler (up to ``distributed.scheduler.allowed-failures`` times). A
        task's exception is raised here; tasks not yet consumed are then cancelled.
        """
        items = list(items)
        if not items:
            return iter(())
        # Unique keys (not content hashes): hashing circuits is costly and identical tasks must
        # still each return a result; the name keeps the dashboard readable.
        prefix = f"{getattr(func, '__name__', 'task')}-{uuid.uuid4().hex[:12]}"
        # One graph for all items (client.map): the scheduler sees every task at once and spreads
        # them over the workers. (Submitting one by one let long chunks pile up on one worker in
        # a measurement.) Chunks carry circuits, so the graph may pass Dask's 10 MB warning.
        with _distributed_config({"distributed.admin.large-graph-warning-threshold": "1GB"}):
            futures = self.client.map(
                func, items, key=[f"{prefix}-{i}" for i in range(len(items))], pure=False
            )
        return self._ordered(futures)

    __call__ = map

    def _ordered(self, futures: list[Any]) -> Iterator[Any]:
        as_completed = _distributed().as_completed
        position = {f.key: i for i, f in enumerate(futures)}
        ready: dict[int, Any] = {}
        following = 0
        try:
            for future in as_completed(futures):
                ready[position[future.key]] = future
                while following in ready:
                    result = ready.pop(following).result()
                    futures[following] = None  # drop our reference: the cluster may forget it
                    following += 1
                    yield result
        finally:
            pending = [f for f in futures if f is not None and not f.done()]
            if pending:
                self.client.cancel(pending)

    # -- the cluster -----------------------------------------------------------------------------

    def workers(self) -> dict[str, dict[str, Any]]:
        """The scheduler's view of every worker (address -> info)."""
        info: dict[str, dict[str, Any]] = self.client.scheduler_info(n_workers=-1)["workers"]
        return info

    @property
    def task_memory_bytes(self) -> int | None:
        """Memory one task may use on the smallest worker: memory_limit / threads.

        None when some worker has no memory limit (the check then falls back to this machine).
        """
        budgets = []
        for info in self.workers().values():
            limit = int(info.get("memory_limit") or 0)
            if limit <= 0:
                return None
            budgets.append(limit // max(1, int(info.get("nthreads") or 1)))
        return min(budgets) if budgets else None

    @property
    def memory_where(self) -> str:
        """How :attr:`task_memory_bytes` is named in a refusal."""
        return "per task on the smallest Dask worker (its memory_limit divided by its threads)"

    def describe(self) -> dict[str, Any]:
        """The cluster as recorded in results: workers, threads, memory limits, versions."""
        workers = self.workers()
        reports = self._reports()
        threads = [int(w.get("nthreads") or 0) for w in workers.values()]
        limits = [int(w.get("memory_limit") or 0) for w in workers.values()]
        omp = sorted({str(r.get("omp_num_threads")) for r in reports.values()})
        any_report = next(iter(reports.values()), {})
        return {
            "kind": "local" if self.spec.local else "remote",
            "scheduler": self.client.scheduler.address,
            "workers": len(workers),
            "threads": sum(threads),
            "threads_per_worker": sorted(set(threads)),
            "memory_limit_bytes": sorted(set(limits)),
            "memory_total_bytes": sum(limits),
            "omp_num_threads": omp,
            "worker_saturation": self._saturation(),
            "versions": {
                k: v
                for k, v in any_report.get("versions", {}).items()
                if k in ("dask", "distributed")
            },
        }

    def _saturation(self) -> float | None:
        """The scheduler's worker-saturation (None when it cannot be asked)."""
        try:
            value = self.client.run_on_scheduler(
                lambda dask_scheduler: dask_scheduler.WORKER_SATURATION
            )
        except Exception:  # a scheduler that cannot unpickle the question
            return None
        return float(value)

    def _reports(self) -> dict[str, dict[str, Any]]:
        try:
            reports: dict[str, dict[str, Any]] = self.client.run(worker_report)
        except Exception as exc:  # unpickling fails on a worker without quantumlimits
            raise UsageError(
                f"the Dask workers at {self.client.scheduler.address} cannot run quantumlimits "
                f"({type(exc).__name__}: {exc}): install the same quantumlimits on every worker"
            ) from None
        return reports

    def check_versions(self) -> None:
        """Refuse workers whose quantumlimits / qiskit / aer / numpy differ from this process's."""
        from quantumlimits.provenance import versions

        here = versions(MUST_MATCH)
        for address, report in self._reports().items():
            theirs = report.get("versions", {})
            for name in MUST_MATCH:
                if theirs.get(name) != here.get(name):
                    raise UsageError(
                        f"Dask worker {address} has {name} {theirs.get(name)}, this process has "
                        f"{here.get(name)}: the same seed would not give the same numbers; "
                        "install identical versions on every worker"
                    )

    # -- lifetime --------------------------------------------------------------------------------

    def close(self, *, timeout: float = CONNECT_TIMEOUT) -> None:
        """Close the client, and the local cluster if this session started one."""
        try:
            self.client.close(timeout=timeout)
        finally:
            if self.cluster is not None:
                self.cluster.close(timeout=timeout)

    def __enter__(self) -> DaskSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def connect(
    spec: str | DaskSpec,
    *,
    timeout: float = CONNECT_TIMEOUT,
    memory_limit: str | int | None = None,
) -> DaskSession:
    """Start a local cluster or connect to a running scheduler; check its workers.

    ``local[:N]`` starts N single-threaded worker processes (default: one per core) on
    127.0.0.1 with no dashboard; ``memory_limit`` (per worker, e.g. ``"2GiB"``) defaults to
    Dask's share of this machine's memory. ``tcp://HOST:PORT`` connects to a scheduler and waits
    up to ``timeout`` seconds for at least one worker.
    """
    if isinstance(spec, str):
        spec = parse_spec(spec)
    distributed = _distributed()
    cluster = None
    if spec.local:
        # Workers are processes: Aer and numpy release the GIL only in parts, a crash (or a
        # kill) takes down one worker only, and every process keeps its own caches. Dask's nanny
        # sets OMP_NUM_THREADS=1 before spawning them (we make it explicit) so Aer's OpenMP pool
        # has one thread per worker and N workers fill N cores without oversubscribing.
        kwargs: dict[str, Any] = {}
        if memory_limit is not None:
            kwargs["memory_limit"] = memory_limit
        # One task per worker thread at a time (Dask's default sends 1.1 x threads, rounded up:
        # two per single-threaded worker). Our tasks take seconds, so a task waiting on a busy
        # worker can leave the other idle at the end (a 3/5 split of 8 chunks was measured);
        # handing out the next task when a thread frees costs one scheduler round trip.
        saturation = _distributed_config(
            {"distributed.scheduler.worker-saturation": WORKER_SATURATION}
        )
        with saturation:
            cluster = distributed.LocalCluster(
                n_workers=spec.workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                # The scheduler's HTTP routes (health, metrics) still start: keep them on a free
                # loopback port rather than 8787 on whatever interface.
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                silence_logs=logging.ERROR,
                env={"OMP_NUM_THREADS": "1"},
                **kwargs,
            )
        try:
            client = distributed.Client(cluster, timeout=timeout)
        except BaseException:
            cluster.close()
            raise
    else:
        try:
            client = distributed.Client(spec.address, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise UsageError(
                f"cannot reach a Dask scheduler at {spec.address} within {timeout:g} s ({exc}): "
                "start one with 'dask scheduler' or check --dask / $QUANTUMLIMITS_DASK"
            ) from None
    session = DaskSession(client=client, cluster=cluster, spec=spec)
    try:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except (OSError, TimeoutError):
            raise UsageError(
                f"the Dask scheduler at {client.scheduler.address} has no workers after "
                f"{timeout:g} s: start some with 'dask worker {client.scheduler.address}'"
            ) from None
        session.check_versions()
    except BaseException:
        session.close()
        raise
    return session

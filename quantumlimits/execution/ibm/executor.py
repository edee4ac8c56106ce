"""The executor for IBM Quantum devices: job packing, budget, journal, resume.

:class:`IBMExecutor` packs a keyed batch of ISA circuits (a QV width, a classifier's step) into
as few sampler jobs as IBM's job limits allow, checks each job's projected QPU time against the
budget before sending it, writes each job to the results store's ``jobs`` table *before* waiting
on it, retries transient errors with capped exponential backoff, records usage and device
errors, and on a second run (``quantumlimits resume``) reuses finished jobs, waits on submitted
ones and resubmits only failed ones.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from qiskit import QuantumCircuit

from quantumlimits.errors import ResumableRunError, UsageError
from quantumlimits.execution import qpu_time
from quantumlimits.execution.executor import Executor, JobKey
from quantumlimits.execution.ibm.credentials import redact, redacted_logs
from quantumlimits.execution.ibm.retry import (
    RetryPolicy,
    ServiceError,
    TransientFailure,
    _service_exception,
    is_transient,
)
from quantumlimits.execution.ibm.transport import DONE, FAILED, LOST, Transport
from quantumlimits.execution.transpile import active_qubits, embed
from quantumlimits.store import JobRecord, ResultsStore

logger = logging.getLogger(__name__)

#: Longest wait between two status checks of a queued job, in seconds.
MAX_POLL_SECONDS = 60.0
#: Sampler jobs may hold at most 10 million executions (circuits x shots), per IBM's job limits.
MAX_EXECUTIONS = 10_000_000

T = TypeVar("T")


def now() -> str:
    """UTC time as ISO 8601 (seconds)."""
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


class JobFailedError(ResumableRunError):
    """One or more jobs failed on the device; their errors are in the store's ``jobs`` table."""


@dataclass(frozen=True)
class JobLimits:
    """How much one sampler job may hold (IBM's job limits: 10 million executions)."""

    max_executions: int = MAX_EXECUTIONS
    max_circuits: int | None = None

    def __post_init__(self) -> None:
        if self.max_executions < 1 or (self.max_circuits is not None and self.max_circuits < 1):
            raise ValueError(f"job limits must be positive: {self!r}")

    def pack(self, count: int, *, shots: int) -> list[tuple[int, int]]:
        """``(start, count)`` per job: as few jobs as the limits allow, sizes balanced.

        >>> JobLimits().pack(100, shots=1000)
        [(0, 100)]
        >>> JobLimits(max_executions=250_000).pack(100, shots=10_000)
        [(0, 25), (25, 25), (50, 25), (75, 25)]
        """
        if shots > self.max_executions:
            raise UsageError(
                f"{shots} shots per circuit exceed the {self.max_executions} executions one "
                "job may hold: pass fewer --shots"
            )
        per_job = self.max_executions // shots
        if self.max_circuits is not None:
            per_job = min(per_job, self.max_circuits)
        jobs = max(1, math.ceil(count / per_job))
        base, extra = divmod(count, jobs)
        out, start = [], 0
        for j in range(jobs):
            size = base + (1 if j < extra else 0)
            out.append((start, size))
            start += size
        return out


def circuits_digest(circuits: Sequence[QuantumCircuit]) -> str:
    """SHA-256 of the instructions of ISA circuits: detects a changed job plan on resume."""
    h = hashlib.sha256()
    for circuit in circuits:
        h.update(f"circuit {circuit.num_qubits} {circuit.num_clbits}\n".encode())
        for inst in circuit.data:
            qubits = [circuit.find_bit(q).index for q in inst.qubits]
            clbits = [circuit.find_bit(c).index for c in inst.clbits]
            params = [
                f"{float(p):.12g}" if isinstance(p, (int, float)) else str(p)
                for p in inst.operation.params
            ]
            h.update(f"{inst.operation.name} {qubits} {clbits} {params}\n".encode())
    return h.hexdigest()


@dataclass(frozen=True)
class _Chunk:
    key: JobKey
    chunk: int
    start: int
    count: int
    shots: int
    digest: str
    projected: float


class IBMExecutor(Executor):
    """Runs batches of ISA circuits as sampler jobs on an IBM device, journaled in the store.

    ``max_qpu_seconds`` caps the projected QPU seconds of all jobs this executor submits (each
    is checked before it is sent). ``sleep`` waits between retries of transient errors,
    ``poll_sleep`` between status checks (from ``poll_seconds``, growing to ``max_poll_seconds``).
    """

    def __init__(
        self,
        backend: str,
        *,
        transport: Transport,
        limits: JobLimits | None = None,
        retry: RetryPolicy | None = None,
        poll_seconds: float = 5.0,
        max_poll_seconds: float = MAX_POLL_SECONDS,
        max_qpu_seconds: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        poll_sleep: Callable[[float], None] = time.sleep,
        secrets: Sequence[str] = (),
    ) -> None:
        super().__init__(backend)
        if poll_seconds < 0:
            raise ValueError(f"poll_seconds must be >= 0, got {poll_seconds}")
        if max_qpu_seconds is not None and not max_qpu_seconds > 0:
            raise UsageError(f"--max-qpu-seconds must be positive, got {max_qpu_seconds}")
        self.transport = transport
        self.limits = limits or JobLimits()
        self.retry = retry or RetryPolicy()
        self.poll_seconds = poll_seconds
        self.max_poll_seconds = max(poll_seconds, max_poll_seconds)
        self.poll_sleep = poll_sleep
        self.max_qpu_seconds = max_qpu_seconds
        self.sleep = sleep
        self.secrets = [s for s in secrets if s]
        self.committed_seconds = 0.0
        self.store: ResultsStore | None = None
        self.run_id: str | None = None
        self._upfront: tuple[dict[JobKey, Sequence[QuantumCircuit]], int, int] | None = None
        self._rep_delay = qpu_time.rep_delay_seconds(transport.backend)

    # -- hooks the protocol calls -----------------------------------------------------------

    def device(self) -> Any:
        """The Qiskit backend jobs run on (its target drives layout and transpilation)."""
        return self.transport.backend

    def attach(self, *, store: ResultsStore | None, run_id: str | None) -> None:
        """Journal jobs in ``store`` under ``run_id`` (an in-memory store when None)."""
        if store is None or run_id is None:
            store = ResultsStore(":memory:")
            run_id = store.begin_run(kind="qv", backend=self.backend, seed=None, created=now())
        self.store, self.run_id = store, run_id
        upfront, self._upfront = self._upfront, None
        if upfront is not None:
            circuits_by_key, shots, seed = upfront
            with redacted_logs(self.secrets):
                for key, circuits in circuits_by_key.items():
                    self.submit(circuits, key=key, shots=shots, seed=seed)

    def queue_upfront(
        self, circuits_by_key: Mapping[JobKey, Sequence[QuantumCircuit]], *, shots: int, seed: int
    ) -> None:
        """Submit these batches' jobs as soon as the run is attached, so they queue together in
        one Batch instead of one after another."""
        self._upfront = (dict(circuits_by_key), shots, seed)

    @property
    def method(self) -> str:
        """What executed the circuits, as recorded in each width's ``method``."""
        return "ibm_runtime_local" if self.transport.local else "ibm_runtime"

    # -- planning ---------------------------------------------------------------------------

    def plan(self, circuits: Sequence[QuantumCircuit], *, key: JobKey, shots: int) -> list[_Chunk]:
        """How a batch's circuits are packed into jobs, with each job's projected QPU time."""
        chunks = []
        for number, (start, count) in enumerate(self.limits.pack(len(circuits), shots=shots)):
            part = circuits[start : start + count]
            projection = qpu_time.project(
                circuits=part,
                shots=shots,
                jobs=1,
                target=self.transport.backend.target,
                rep_delay=self._rep_delay,
            )
            chunks.append(
                _Chunk(key, number, start, count, shots, circuits_digest(part), projection.seconds)
            )
        return chunks

    def projection(
        self, circuits: Sequence[QuantumCircuit], *, key: JobKey, shots: int
    ) -> qpu_time.Projection:
        """Projected QPU time of the jobs still to submit for a batch (none when all are in the
        journal as done or submitted)."""
        total = qpu_time.NOTHING
        latest = self._latest(key)
        for c in self.plan(circuits, key=key, shots=shots):
            job = latest.get(c.chunk)
            if job is not None and job.status in ("done", "submitted") and job.digest == c.digest:
                continue
            total = total + qpu_time.project(
                circuits=circuits[c.start : c.start + c.count],
                shots=shots,
                jobs=1,
                target=self.transport.backend.target,
                rep_delay=self._rep_delay,
            )
        return total

    def _latest(self, key: JobKey) -> dict[int, JobRecord]:
        if self.store is None or self.run_id is None:
            return {}
        return self.store.latest_jobs(self.run_id, key=key.name)

    # -- retries and redaction --------------------------------------------------------------

    def _clean(self, text: str) -> str:
        return redact(text, self.secrets)

    def _with_retries(self, what: str, call: Callable[[], T]) -> T:
        delays = self.retry.delays()
        for attempt in range(self.retry.attempts):
            try:
                return call()
            except Exception as exc:
                if not is_transient(exc):
                    if isinstance(exc, (UsageError, ResumableRunError)) or not _service_exception(
                        exc
                    ):
                        raise
                    raise ServiceError(
                        self._clean(f"{what} failed: {type(exc).__name__}: {exc}"),
                        run_id=self.run_id,
                    ) from None
                message = self._clean(f"{type(exc).__name__}: {exc}")
                if attempt == len(delays):
                    raise TransientFailure(
                        f"{what} kept failing after {self.retry.attempts} attempts ({message})",
                        run_id=self.run_id,
                    ) from None
                logger.warning(
                    "%s failed (%s); retry %d/%d in %.0f s",
                    what,
                    message,
                    attempt + 1,
                    len(delays),
                    delays[attempt],
                )
                self.sleep(delays[attempt])
        raise AssertionError("unreachable")  # pragma: no cover

    # -- submitting -------------------------------------------------------------------------

    def _put(self, job: JobRecord) -> None:
        assert self.store is not None
        self.store.put_job(job)

    def _submit(self, chunk: _Chunk, circuits: Sequence[QuantumCircuit], *, seed: int) -> None:
        """Submit one chunk unless the journal says it is done or already submitted."""
        assert self.store is not None and self.run_id is not None
        latest = self._latest(chunk.key).get(chunk.chunk)
        attempt = 1
        if latest is not None:
            if (latest.circuit_start, latest.circuit_count, latest.shots, latest.digest) != (
                chunk.start,
                chunk.count,
                chunk.shots,
                chunk.digest,
            ):
                raise UsageError(
                    f"run {self.run_id} {chunk.key.label} job {chunk.chunk} was "
                    "recorded for "
                    "other circuits (a different qiskit version or settings?): it cannot be "
                    "resumed; start a new run"
                )
            if latest.status in ("done", "submitted"):
                return
            if latest.status == "submitting":
                found = self._with_retries(
                    "looking up a job", functools.partial(self.transport.find, latest.tag)
                )
                if found is not None:
                    self._put(_replace(latest, job_id=found, status="submitted"))
                    return
                self._put(
                    _replace(
                        latest,
                        status="failed",
                        finished=now(),
                        error="never reached the service (interrupted while submitting)",
                    )
                )
            attempt = latest.attempt + 1
        if (
            self.max_qpu_seconds is not None
            and self.committed_seconds + chunk.projected > self.max_qpu_seconds + 1e-9
        ):
            raise UsageError(
                f"submitting {chunk.key.label} job {chunk.chunk} "
                f"(about {chunk.projected:.1f} "
                f"QPU s) would exceed --max-qpu-seconds {self.max_qpu_seconds:g} "
                f"({self.committed_seconds:.1f} s already submitted): nothing more was sent"
            )
        tag = f"quantumlimits:{self.run_id}:{chunk.key.name}:c{chunk.chunk}:a{attempt}"
        record = JobRecord(
            run_id=self.run_id,
            key=chunk.key.name,
            chunk=chunk.chunk,
            attempt=attempt,
            circuit_start=chunk.start,
            circuit_count=chunk.count,
            shots=chunk.shots,
            digest=chunk.digest,
            backend=str(getattr(self.transport.backend, "name", self.backend)),
            tag=tag,
            job_id=None,
            status="submitting",
            projected_seconds=round(chunk.projected, 6),
        )
        self._put(record)  # before sending: a crash from here on is found again by its tag
        part = circuits[chunk.start : chunk.start + chunk.count]
        job_seed = chunk.key.chunk_seed(seed, chunk.start)

        cap = None
        if self.max_qpu_seconds is not None:
            # the service cancels the job rather than let it spend more than the budget left
            cap = max(1, math.ceil(self.max_qpu_seconds - self.committed_seconds))

        def send() -> str:
            try:
                return self.transport.submit(
                    part, shots=chunk.shots, tag=tag, seed=job_seed, max_seconds=cap
                )
            except Exception as exc:
                if is_transient(exc):
                    # The request may have reached the service: never submit the same job twice.
                    found = self.transport.find(tag)
                    if found is not None:
                        return found
                raise

        try:
            job_id = self._with_retries(f"submitting {chunk.key.label} job {chunk.chunk}", send)
        except (UsageError, ResumableRunError):
            self._put(_replace(record, status="failed", finished=now(), error="not submitted"))
            raise
        self.committed_seconds += chunk.projected
        self._put(_replace(record, job_id=job_id, status="submitted", submitted=now()))
        logger.info("%s job %d submitted as %s", chunk.key.label, chunk.chunk, job_id)

    def submit(
        self, circuits: Sequence[QuantumCircuit], *, key: JobKey, shots: int, seed: int
    ) -> None:
        """Submit every job of a batch that the journal lacks (so batches queue together)."""
        if self.store is None:
            self.attach(store=None, run_id=None)
        for chunk in self.plan(circuits, key=key, shots=shots):
            self._submit(chunk, circuits, seed=seed)

    # -- waiting ----------------------------------------------------------------------------

    def _collect(
        self, key: JobKey, advance: Callable[[int], None], resubmit: Callable[[], None]
    ) -> dict[int, JobRecord]:
        """Wait for a batch's submitted jobs and store their counts. A lost job (local testing
        mode, submitted by a process that ended) is recorded failed and, once per call, every
        such job is sent again with ``resubmit``, so one resume recovers them all."""
        latest = self._latest(key)
        resent = False
        for job in latest.values():
            if job.status == "done":
                advance(job.circuit_count)
        delay = self.poll_seconds
        while True:
            pending = [j for j in latest.values() if j.status == "submitted"]
            if not pending:
                break
            for job in pending:
                assert job.job_id is not None
                job_id = job.job_id
                state, error = self._with_retries(
                    f"checking job {job_id}", functools.partial(self.transport.status, job_id)
                )
                if state == DONE:
                    outcome = self._with_retries(
                        f"fetching job {job_id}", functools.partial(self.transport.result, job_id)
                    )
                    if len(outcome.counts) != job.circuit_count or any(
                        sum(c.values()) != job.shots for c in outcome.counts
                    ):
                        latest[job.chunk] = _replace(
                            job,
                            status="failed",
                            finished=now(),
                            error="the job returned counts for other circuits or shots",
                        )
                    else:
                        latest[job.chunk] = _replace(
                            job,
                            status="done",
                            finished=now(),
                            counts=outcome.counts,
                            usage_seconds=outcome.usage_seconds,
                        )
                        advance(job.circuit_count)
                    self._put(latest[job.chunk])
                elif state in (FAILED, LOST):
                    latest[job.chunk] = _replace(
                        job,
                        status="failed",
                        finished=now(),
                        error=self._clean(("lost: " if state == LOST else "") + (error or state)),
                    )
                    self._put(latest[job.chunk])
            lost = [j for j in latest.values() if j.error and j.error.startswith("lost: ")]
            if lost and not resent:
                resent = True
                resubmit()
                latest = self._latest(key)
                continue
            if any(j.status == "submitted" for j in latest.values()):
                # queues take hours: poll less often the longer nothing changes
                self.poll_sleep(delay)
                delay = min(self.max_poll_seconds, delay * 1.5)
        return latest

    def execute(
        self,
        circuits: Sequence[Any],
        *,
        key: JobKey,
        shots: int,
        seed: int,
        physical_qubits: Sequence[int] = (),
        advance: Callable[[int], None],
        first_index: int = 0,
        tracked: Sequence[bytes | None] | None = None,
        mc_variances: list[float | None] | None = None,
    ) -> tuple[list[dict[int, int]], tuple[int, ...], str]:
        """Counts per circuit from the journal's finished jobs, submitting what is missing.

        A device's counts carry no simulation error: ``tracked`` is ignored and nothing is
        appended to ``mc_variances``.

        ``circuits`` may act on local qubits (local ``i`` on ``physical_qubits[i]``, as the QV
        protocol transpiles them); they are placed on the device's full register first.
        """
        if physical_qubits:
            size = self.device().num_qubits
            circuits = [embed(c, physical_qubits, size) for c in circuits]
        with redacted_logs(self.secrets):
            self.submit(circuits, key=key, shots=shots, seed=seed)
            latest = self._collect(
                key,
                advance,
                resubmit=lambda: self.submit(circuits, key=key, shots=shots, seed=seed),
            )
        failed = [j for j in latest.values() if j.status != "done"]
        if failed:
            first = failed[0]
            raise JobFailedError(
                f"{len(failed)} of {len(latest)} jobs of {key.label} failed on "
                f"{first.backend} (job {first.job_id}: {first.error})",
                run_id=self.run_id,
            )
        counts: list[dict[int, int]] = []
        for number in sorted(latest):
            job = latest[number]
            assert job.counts is not None
            counts.extend(job.counts)
        used: set[int] = set()
        for circuit in circuits:
            used.update(active_qubits(circuit))
        return counts, tuple(sorted(used)), self.method

    def close(self) -> None:
        """Close the transport's Batch or Session."""
        self.transport.close()


def _replace(job: JobRecord, **changes: Any) -> JobRecord:
    return replace(job, **changes)


def usage_summary(jobs: Sequence[JobRecord]) -> tuple[float, float | None]:
    """(projected QPU seconds, billed QPU seconds or None) over the latest attempt of each job
    and every failed attempt that reported usage."""
    projected = sum(j.projected_seconds or 0.0 for j in jobs if j.job_id is not None)
    used = [j.usage_seconds for j in jobs if j.usage_seconds is not None]
    return projected, (sum(used) if used else None)

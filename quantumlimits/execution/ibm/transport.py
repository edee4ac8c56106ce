"""The lowest layer: the only code that talks to qiskit-ibm-runtime.

:class:`RuntimeTransport` submits ISA circuits with the sampler primitive qiskit-ibm-runtime
0.50+ recommends (``qiskit_ibm_runtime.executor_sampler.Sampler``) in a ``Batch`` (default),
``Session`` or plain job mode, polls jobs, decodes their counts and usage, and finds a job again
by its tag. With ``QUANTUMLIMITS_IBM_LOCAL=<fake snapshot>`` (offline testing only) the device is
that fake backend in local testing mode; the code path is otherwise the same.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from qiskit import QuantumCircuit

from quantumlimits.errors import UsageError
from quantumlimits.execution.ibm.credentials import (
    Credentials,
    _network_error,
    connect,
    redacted_logs,
)

logger = logging.getLogger(__name__)

MODES = ("batch", "session", "job")
#: Offline testing only: run ``ibm_*`` backends on this fake snapshot in local testing mode.
ENV_LOCAL = "QUANTUMLIMITS_IBM_LOCAL"


PENDING, DONE, FAILED = "pending", "done", "failed"
#: A job that can never be collected: local testing mode keeps jobs in the memory of the process
#: that submitted it, so after that process ended the job is gone (the executor sends it again).
LOST = "lost"


@dataclass(frozen=True)
class JobOutcome:
    """A finished job's counts (one dict per circuit, in order) and its billed QPU seconds."""

    counts: tuple[dict[int, int], ...]
    usage_seconds: float | None


class Transport(Protocol):
    """The lowest layer: everything that crosses the network goes through these methods."""

    backend: Any
    local: bool

    def submit(
        self,
        circuits: Sequence[QuantumCircuit],
        *,
        shots: int,
        tag: str,
        seed: int,
        max_seconds: int | None = None,
    ) -> str:
        """Submit one sampler job (IBM cancels it beyond ``max_seconds`` of QPU time);
        return its job id."""
        ...

    def find(self, tag: str) -> str | None:
        """The id of a job submitted with ``tag``, or None (used after an ambiguous submit)."""
        ...

    def status(self, job_id: str) -> tuple[str, str | None]:
        """``(PENDING|DONE|FAILED|LOST, error message or None)``."""
        ...

    def result(self, job_id: str) -> JobOutcome:
        """Counts and usage of a finished job."""
        ...

    def close(self) -> None:
        """Close the Batch or Session (running jobs continue)."""
        ...


class RuntimeTransport:
    """qiskit-ibm-runtime's ``executor_sampler.Sampler`` on ``backend`` in ``mode``.

    ``backend`` is an ``IBMBackend`` from the service, or a fake backend (local testing mode:
    the same primitive runs the jobs locally). ``registry`` holds the jobs this process submitted
    (local mode can find jobs only there; a test passes one in to stand for the cloud).
    """

    def __init__(
        self,
        *,
        backend: Any,
        service: Any | None,
        mode: str = "batch",
        registry: dict[str, Any] | None = None,
    ) -> None:
        if mode not in MODES:
            raise UsageError(f"--mode must be one of {', '.join(MODES)}, got {mode!r}")
        self.backend = backend
        self.service = service
        self.mode = mode
        self.local = service is None
        self.registry: dict[str, Any] = registry if registry is not None else {}
        self._context: Any | None = None
        self._sampler: Any | None = None

    def _open(self) -> Any:
        if self._sampler is None:
            from qiskit_ibm_runtime import Batch, Session
            from qiskit_ibm_runtime.executor_sampler import Sampler

            if self.mode == "batch":
                self._context = Batch(backend=self.backend)
            elif self.mode == "session":
                self._context = Session(backend=self.backend)
            self._sampler = Sampler(mode=self._context or self.backend)
        return self._sampler

    def submit(
        self,
        circuits: Sequence[QuantumCircuit],
        *,
        shots: int,
        tag: str,
        seed: int,
        max_seconds: int | None = None,
    ) -> str:
        """Validate ISA circuits against the device (as the cloud does), then run the sampler.

        ``max_seconds`` becomes the job's ``max_execution_time``: IBM cancels a job whose QPU
        usage passes it, so a budget holds on the service's side too.
        """
        from qiskit_ibm_runtime.utils import validate_isa_circuits

        try:
            validate_isa_circuits(list(circuits), self.backend.target)
        except Exception as exc:
            raise UsageError(f"circuits are not ISA circuits of the device: {exc}") from None
        sampler = self._open()
        sampler.options.environment.job_tags = [tag]
        sampler.options.max_execution_time = max_seconds
        if self.local:
            sampler.options.simulator.seed_simulator = seed
        job = sampler.run(list(circuits), shots=shots)
        job_id = str(job.job_id())
        self.registry[job_id] = (tag, job)
        return job_id

    def _job(self, job_id: str) -> Any:
        if job_id in self.registry:
            return self.registry[job_id][1]
        if self.local:
            raise LookupError(
                f"job {job_id} is not in this process (local testing mode keeps jobs in memory)"
            )
        assert self.service is not None
        return self.service.job(job_id)

    def find(self, tag: str) -> str | None:
        """A job with ``tag``: this process's jobs, else the service's job list."""
        for job_id, (job_tag, _) in self.registry.items():
            if job_tag == tag:
                return job_id
        if self.local:
            return None
        assert self.service is not None
        jobs = self.service.jobs(job_tags=[tag], backend_name=self.backend.name, limit=1)
        return str(jobs[0].job_id()) if jobs else None

    def status(self, job_id: str) -> tuple[str, str | None]:
        """Normalised state of a job (local jobs report a JobStatus enum, cloud jobs a string)."""
        try:
            job = self._job(job_id)
        except LookupError as exc:
            return LOST, str(exc)
        raw = job.status()
        name = str(getattr(raw, "name", raw)).upper()
        if name == "DONE":
            return DONE, None
        if name in ("ERROR", "CANCELLED"):
            message = None
            if hasattr(job, "error_message"):
                message = job.error_message()
            else:
                try:
                    job.result()
                except Exception as exc:
                    message = f"{type(exc).__name__}: {exc}"
            return FAILED, message or name.lower()
        return PENDING, None

    def result(self, job_id: str) -> JobOutcome:
        """Counts per circuit from the sampler's bit arrays, and the job's usage."""
        job = self._job(job_id)
        result = job.result()
        counts = tuple(
            {int(k): int(v) for k, v in pub.join_data().get_int_counts().items()} for pub in result
        )
        return JobOutcome(counts=counts, usage_seconds=job_usage(job))

    def close(self) -> None:
        """Close the Batch or Session: no new jobs, running ones continue."""
        if self._context is not None:
            try:
                self._context.close()
            except Exception as exc:  # closing is best effort
                logger.warning("closing the %s failed: %s", self.mode, type(exc).__name__)
        self._context = None
        self._sampler = None


def job_usage(job: Any) -> float | None:
    """Billed QPU seconds of a finished job from its metrics, or None while IBM still computes
    them (``usage.status == 'pending'``) or when they cannot be read."""
    try:
        usage = dict(job.metrics().get("usage") or {})
    except Exception:  # usage is informative; failing to read it loses no data
        return None
    if usage.get("status") == "pending":
        return None
    value = usage.get("qpu_charge_time_seconds", usage.get("quantum_seconds"))
    return None if value is None else float(value)


def local_backend(environ: Mapping[str, str] | None = None) -> str | None:
    """The fake snapshot ``QUANTUMLIMITS_IBM_LOCAL`` names, or None (the real service)."""
    env = os.environ if environ is None else environ
    return env.get(ENV_LOCAL) or None


def open_transport(
    name: str,
    *,
    credentials: Credentials,
    mode: str = "batch",
    environ: Mapping[str, str] | None = None,
) -> RuntimeTransport:
    """The transport for the cloud device ``name`` (or its local stand-in, see ``ENV_LOCAL``)."""
    from quantumlimits.execution.backends import load_snapshot

    if mode not in MODES:
        raise UsageError(f"--mode must be one of {', '.join(MODES)}, got {mode!r}")
    local = local_backend(environ)
    if local is not None:
        logger.info("%s=%s: %s runs in local testing mode", ENV_LOCAL, local, name)
        return RuntimeTransport(backend=load_snapshot(local), service=None, mode=mode)
    service = connect(credentials)
    with redacted_logs([credentials.token]):
        try:
            backend = service.backend(name)
        except Exception as exc:
            if _network_error(exc):
                raise UsageError(
                    f"cannot reach IBM Quantum to open {name} (network error): retry later"
                ) from None
            raise UsageError(
                f"IBM Quantum has no device {name!r} for the account from "
                f"{credentials.describe()}: 'quantumlimits backends' lists the account's devices"
            ) from None
    return RuntimeTransport(backend=backend, service=service, mode=mode)


@dataclass(frozen=True)
class CloudDevice:
    """A device the account can use, as ``quantumlimits backends`` lists it."""

    name: str
    num_qubits: int
    status: str
    pending_jobs: int | None


def cloud_devices(service: Any) -> list[CloudDevice]:
    """The account's devices with qubits, status and pending jobs, sorted by name."""
    try:
        found = list(service.backends())
    except Exception as exc:
        reason = "network error" if _network_error(exc) else type(exc).__name__
        raise UsageError(f"cannot list the account's IBM Quantum devices ({reason})") from None
    out = []
    for backend in found:
        try:
            status = backend.status()
            state = str(status.status_msg or ("active" if status.operational else "offline"))
            if not status.operational and state == "active":
                state = "offline"
            pending: int | None = int(status.pending_jobs)
        except Exception:  # a device whose status cannot be read is still listed
            state, pending = "unknown", None
        out.append(CloudDevice(str(backend.name), int(backend.num_qubits), state, pending))
    return sorted(out, key=lambda d: d.name)

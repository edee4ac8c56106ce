"""IBM Quantum cloud execution: credentials, job packing, retries, and a job journal for resume.

Layers, lowest first:

* :class:`Transport` — the only code that talks to qiskit-ibm-runtime: submit ISA circuits with
  the recommended sampler primitive (``qiskit_ibm_runtime.executor_sampler.Sampler``, in a
  ``Batch`` by default), poll a job, fetch its counts and usage, find a job by its tag.
  :class:`RuntimeTransport` is the real one; tests wrap it to inject faults.
* :class:`IBMExecutor` — the QV protocol's executor for ``ibm_*`` backends: packs a width's
  circuits into as few jobs as the job limits allow, writes each job to the results store's
  ``jobs`` table *before* waiting on it, retries transient errors with capped exponential
  backoff, records usage and device errors, and on a second run (``quantumlimits resume``)
  reuses finished jobs, waits on submitted ones and resubmits only failed ones.

Credentials come from qiskit-ibm-runtime's own account handling (``QISKIT_IBM_TOKEN`` /
``QISKIT_IBM_INSTANCE`` or a saved account), channel ``ibm_quantum_platform``. The token never
leaves :class:`Credentials`: every message that could carry it passes through :func:`redact`.

Offline testing: with ``QUANTUMLIMITS_IBM_LOCAL=<fake snapshot>`` the service connection is
replaced by that fake backend in qiskit-ibm-runtime's local testing mode; everything else (the
sampler, Batch, job ids, journal, retries) is the same code. Never set it for real runs.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import logging
import math
import os
import re
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from qiskit import QuantumCircuit

from quantumlimits.errors import ResumableRunError, UsageError
from quantumlimits.execution import qpu_time
from quantumlimits.execution.transpile import active_qubits
from quantumlimits.qv.protocol import Executor
from quantumlimits.seeding import STREAM_SIMULATE, derive_seed
from quantumlimits.store import JobRecord, ResultsStore

logger = logging.getLogger(__name__)

CHANNEL = "ibm_quantum_platform"
PREFIX = "ibm_"
MODES = ("batch", "session", "job")
#: Offline testing only: run ``ibm_*`` backends on this fake snapshot in local testing mode.
ENV_LOCAL = "QUANTUMLIMITS_IBM_LOCAL"
ENV_TOKEN = "QISKIT_IBM_TOKEN"
ENV_INSTANCE = "QISKIT_IBM_INSTANCE"
#: Longest wait between two status checks of a queued job, in seconds.
MAX_POLL_SECONDS = 60.0
#: Sampler jobs may hold at most 10 million executions (circuits x shots), per IBM's job limits.
MAX_EXECUTIONS = 10_000_000
SETUP_HINT = (
    "set QISKIT_IBM_TOKEN (an IBM Cloud API key) and QISKIT_IBM_INSTANCE, or save an account "
    "with QiskitRuntimeService.save_account(...) and pass --account NAME (docs/ibm.md)"
)
_TOKEN_RE = re.compile(r"[A-Za-z0-9_\-.]{20,}")
REDACTED = "[REDACTED]"

T = TypeVar("T")


def now() -> str:
    """UTC time as ISO 8601 (seconds)."""
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


# -- secrets ---------------------------------------------------------------------------------


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every secret (and any long run of a secret's characters) replaced.

    >>> redact("bad token abcdefghijklmnopqrstuvwxyz0123", ["abcdefghijklmnopqrstuvwxyz0123"])
    'bad token [REDACTED]'
    """
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text


class _RedactingFilter(logging.Filter):
    def __init__(self, secrets: Sequence[str]) -> None:
        super().__init__()
        self.secrets = list(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message, self.secrets)
        if clean != message:
            record.msg, record.args = clean, None
        return True


@contextmanager
def redacted_logs(secrets: Sequence[str]) -> Iterator[None]:
    """Scrub ``secrets`` from records of qiskit-ibm-runtime's, urllib3's and our own loggers."""
    filt = _RedactingFilter([s for s in secrets if s])
    names = ["qiskit_ibm_runtime", "urllib3", "requests", "quantumlimits"]
    names += [n for n in logging.root.manager.loggerDict if n.startswith(tuple(names))]
    loggers = [logging.getLogger(n) for n in dict.fromkeys(names)]
    handlers = [h for lg in [logging.root, *loggers] for h in lg.handlers]
    for item in [*loggers, *handlers]:
        item.addFilter(filt)
    try:
        yield
    finally:
        for item in [*loggers, *handlers]:
            item.removeFilter(filt)


# -- credentials ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    """Where the IBM Quantum credential came from; the token itself is never shown.

    >>> c = Credentials(source="QISKIT_IBM_TOKEN", token="a" * 44, instance=None)
    >>> "a" * 44 in repr(c), c.describe()
    (False, 'QISKIT_IBM_TOKEN')
    """

    source: str
    token: str = field(repr=False)
    instance: str | None
    account: str | None = None
    channel: str = CHANNEL
    filename: str | None = None

    def __post_init__(self) -> None:
        token = self.token
        if not isinstance(token, str) or not token.strip():
            raise UsageError(
                f"the IBM Quantum token from {self.source} is empty or not text: {SETUP_HINT}"
            )
        if not _TOKEN_RE.fullmatch(token):
            problem = (
                "contains whitespace or quotes"
                if re.search(r"[\s'\"]", token)
                else f"is {len(token)} characters long or has characters an API key never has"
            )
            raise UsageError(
                f"the IBM Quantum token from {self.source} is malformed (it {problem}): "
                "copy the API key again from quantum.cloud.ibm.com; " + SETUP_HINT
            )

    def describe(self) -> str:
        """Where the credential came from, for messages (never the token)."""
        return self.source


def _accounts_file(filename: str | None) -> str | None:
    return os.path.expanduser(filename) if filename else None


def resolve_credentials(
    *,
    account: str | None = None,
    environ: Mapping[str, str] | None = None,
    filename: str | None = None,
) -> Credentials:
    """The credential qiskit-ibm-runtime would use: ``--account NAME``, else the environment
    (``QISKIT_IBM_TOKEN``, ``QISKIT_IBM_INSTANCE``), else the default saved account.

    Raises :class:`UsageError` with one line on how to set an account up when none is found or
    the token is malformed. Nothing here touches the network.
    """
    from qiskit_ibm_runtime import QiskitRuntimeService

    env = os.environ if environ is None else environ
    file = _accounts_file(filename)

    def saved(name: str | None) -> dict[str, Any]:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                found = QiskitRuntimeService.saved_accounts(filename=file, name=name)
        except Exception as exc:  # AccountNotFoundError or an unreadable file
            if name is not None:
                raise UsageError(
                    f"no saved IBM Quantum account named {name!r}: {SETUP_HINT}"
                ) from None
            logger.debug("no saved accounts: %s", type(exc).__name__)
            return {}
        return dict(found)

    if account is not None:
        found = saved(account)
        entry = found.get(account)
        if entry is None:
            raise UsageError(f"no saved IBM Quantum account named {account!r}: {SETUP_HINT}")
        return Credentials(
            source=f"saved account {account!r}",
            token=entry.get("token") or "",
            instance=entry.get("instance"),
            account=account,
            channel=entry.get("channel") or CHANNEL,
            filename=file,
        )
    token = env.get(ENV_TOKEN)
    if token is not None:
        return Credentials(source=ENV_TOKEN, token=token, instance=env.get(ENV_INSTANCE) or None)
    accounts = saved(None)
    if not accounts:
        raise UsageError(f"no IBM Quantum credentials found: {SETUP_HINT}")
    default = next(
        (n for n, a in accounts.items() if a.get("is_default_account")),
        next(
            (n for n in accounts if n in ("default-ibm-quantum-platform", "default")),
            next(iter(accounts)),
        ),
    )
    entry = accounts[default]
    return Credentials(
        source=f"saved account {default!r}",
        token=entry.get("token") or "",
        instance=entry.get("instance"),
        account=default,
        channel=entry.get("channel") or CHANNEL,
        filename=file,
    )


def _network_error(exc: BaseException) -> bool:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if is_transient(cur):
            return True
        cur = cur.__cause__ or cur.__context__
    return False


def connect(credentials: Credentials) -> Any:
    """A ``QiskitRuntimeService`` for ``credentials`` (raises one clear line on failure)."""
    from qiskit_ibm_runtime import QiskitRuntimeService

    with redacted_logs([credentials.token]):
        try:
            if credentials.account is not None:
                return QiskitRuntimeService(name=credentials.account, filename=credentials.filename)
            return QiskitRuntimeService(
                channel=CHANNEL, token=credentials.token, instance=credentials.instance
            )
        except Exception as exc:
            detail = redact(str(exc), [credentials.token]).strip().splitlines()
            why = detail[0] if detail else type(exc).__name__
            if _network_error(exc):
                raise UsageError(
                    f"cannot reach IBM Quantum to check the credential from "
                    f"{credentials.describe()} (network error): check the connection and retry"
                ) from None
            raise UsageError(
                f"IBM Quantum rejected the credential from {credentials.describe()} ({why}): "
                + SETUP_HINT
            ) from None


# -- transient errors and retries -------------------------------------------------------------

_TRANSIENT_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` is worth retrying: network errors, timeouts, HTTP 429 and 5xx."""
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    try:
        import requests

        if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout)):
            return True
    except ImportError:  # pragma: no cover - requests ships with qiskit-ibm-runtime
        pass
    status = getattr(exc, "status_code", None)
    return isinstance(status, int) and status in _TRANSIENT_STATUS


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff for transient errors: ``base * factor**k`` seconds, capped.

    >>> RetryPolicy(attempts=5, base_seconds=1, factor=2, cap_seconds=5).delays()
    (1.0, 2.0, 4.0, 5.0)
    """

    attempts: int = 6
    base_seconds: float = 2.0
    factor: float = 2.0
    cap_seconds: float = 60.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be >= 1, got {self.attempts}")
        if self.base_seconds < 0 or self.factor < 1 or self.cap_seconds < 0:
            raise ValueError(f"bad backoff {self!r}")

    def delays(self) -> tuple[float, ...]:
        """The waits between attempts."""
        return tuple(
            float(min(self.cap_seconds, self.base_seconds * self.factor**k))
            for k in range(self.attempts - 1)
        )


class TransientFailure(ResumableRunError):
    """A transient error (network, 5xx, timeout) outlasted every retry."""


class ServiceError(ResumableRunError):
    """IBM Quantum refused a request for good (e.g. an expired credential); message redacted."""


def _service_exception(exc: BaseException) -> bool:
    """Errors raised by qiskit-ibm-runtime or the HTTP layer (as opposed to programming errors)."""
    from qiskit.exceptions import QiskitError

    try:
        import requests

        if isinstance(exc, requests.exceptions.RequestException):
            return True
    except ImportError:  # pragma: no cover
        pass
    return isinstance(exc, QiskitError)


class JobFailedError(ResumableRunError):
    """One or more jobs failed on the device; their errors are in the store's ``jobs`` table."""


# -- job packing ------------------------------------------------------------------------------


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


# -- transport --------------------------------------------------------------------------------

PENDING, DONE, FAILED = "pending", "done", "failed"


@dataclass(frozen=True)
class JobOutcome:
    """A finished job's counts (one dict per circuit, in order) and its billed QPU seconds."""

    counts: tuple[dict[int, int], ...]
    usage_seconds: float | None


class Transport(Protocol):
    """The lowest layer: everything that crosses the network goes through these methods."""

    backend: Any
    local: bool

    def submit(self, circuits: Sequence[QuantumCircuit], *, shots: int, tag: str, seed: int) -> str:
        """Submit one sampler job; return its job id."""
        ...

    def find(self, tag: str) -> str | None:
        """The id of a job submitted with ``tag``, or None (used after an ambiguous submit)."""
        ...

    def status(self, job_id: str) -> tuple[str, str | None]:
        """``(PENDING|DONE|FAILED, error message or None)``."""
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

    def submit(self, circuits: Sequence[QuantumCircuit], *, shots: int, tag: str, seed: int) -> str:
        """Validate ISA circuits against the device (as the cloud does), then run the sampler."""
        from qiskit_ibm_runtime.utils import validate_isa_circuits

        try:
            validate_isa_circuits(list(circuits), self.backend.target)
        except Exception as exc:
            raise UsageError(f"circuits are not ISA circuits of the device: {exc}") from None
        sampler = self._open()
        sampler.options.environment.job_tags = [tag]
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
            return FAILED, str(exc)
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


# -- the executor -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Chunk:
    width: int
    chunk: int
    start: int
    count: int
    shots: int
    digest: str
    projected: float


class IBMExecutor(Executor):
    """Runs a width's ISA circuits as sampler jobs on an IBM device, journaled in the store.

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
        self._upfront: tuple[dict[int, Sequence[QuantumCircuit]], int, int] | None = None
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
            circuits_by_width, shots, seed = upfront
            with redacted_logs(self.secrets):
                for width, circuits in circuits_by_width.items():
                    self.submit_width(circuits, width=width, depth=width, shots=shots, seed=seed)

    def queue_upfront(
        self, circuits_by_width: Mapping[int, Sequence[QuantumCircuit]], *, shots: int, seed: int
    ) -> None:
        """Submit these widths' jobs as soon as the run is attached, so they queue together in
        one Batch instead of one after another (for square QV circuits: depth = width)."""
        self._upfront = (dict(circuits_by_width), shots, seed)

    @property
    def method(self) -> str:
        """What executed the circuits, as recorded in each width's ``method``."""
        return "ibm_runtime_local" if self.transport.local else "ibm_runtime"

    # -- planning ---------------------------------------------------------------------------

    def plan(self, circuits: Sequence[QuantumCircuit], *, width: int, shots: int) -> list[_Chunk]:
        """How a width's circuits are packed into jobs, with each job's projected QPU time."""
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
                _Chunk(
                    width, number, start, count, shots, circuits_digest(part), projection.seconds
                )
            )
        return chunks

    def projection(
        self, circuits: Sequence[QuantumCircuit], *, width: int, shots: int
    ) -> qpu_time.Projection:
        """Projected QPU time of the jobs still to submit for a width (none when all are in the
        journal as done or submitted)."""
        total = qpu_time.NOTHING
        latest = self._latest(width)
        for c in self.plan(circuits, width=width, shots=shots):
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

    def _latest(self, width: int) -> dict[int, JobRecord]:
        if self.store is None or self.run_id is None:
            return {}
        return self.store.latest_jobs(self.run_id, width=width)

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

    def _submit(
        self, chunk: _Chunk, circuits: Sequence[QuantumCircuit], *, depth: int, seed: int
    ) -> None:
        """Submit one chunk unless the journal says it is done or already submitted."""
        assert self.store is not None and self.run_id is not None
        latest = self._latest(chunk.width).get(chunk.chunk)
        attempt = 1
        if latest is not None:
            if (latest.circuit_start, latest.circuit_count, latest.shots, latest.digest) != (
                chunk.start,
                chunk.count,
                chunk.shots,
                chunk.digest,
            ):
                raise UsageError(
                    f"run {self.run_id} width {chunk.width} job {chunk.chunk} was recorded for "
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
                f"submitting width {chunk.width} job {chunk.chunk} (about {chunk.projected:.1f} "
                f"QPU s) would exceed --max-qpu-seconds {self.max_qpu_seconds:g} "
                f"({self.committed_seconds:.1f} s already submitted): nothing more was sent"
            )
        tag = f"quantumlimits:{self.run_id}:w{chunk.width}:c{chunk.chunk}:a{attempt}"
        record = JobRecord(
            run_id=self.run_id,
            width=chunk.width,
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
        job_seed = derive_seed(seed, STREAM_SIMULATE, chunk.width, depth, chunk.start)

        def send() -> str:
            try:
                return self.transport.submit(part, shots=chunk.shots, tag=tag, seed=job_seed)
            except Exception as exc:
                if is_transient(exc):
                    # The request may have reached the service: never submit the same job twice.
                    found = self.transport.find(tag)
                    if found is not None:
                        return found
                raise

        try:
            job_id = self._with_retries(f"submitting width {chunk.width} job {chunk.chunk}", send)
        except (UsageError, ResumableRunError):
            self._put(_replace(record, status="failed", finished=now(), error="not submitted"))
            raise
        self.committed_seconds += chunk.projected
        self._put(_replace(record, job_id=job_id, status="submitted", submitted=now()))
        logger.info("width %d job %d submitted as %s", chunk.width, chunk.chunk, job_id)

    def submit_width(
        self, circuits: Sequence[QuantumCircuit], *, width: int, depth: int, shots: int, seed: int
    ) -> None:
        """Submit every job of a width that the journal lacks (so widths queue together)."""
        if self.store is None:
            self.attach(store=None, run_id=None)
        for chunk in self.plan(circuits, width=width, shots=shots):
            self._submit(chunk, circuits, depth=depth, seed=seed)

    # -- waiting ----------------------------------------------------------------------------

    def _collect(self, width: int, advance: Callable[[int], None]) -> dict[int, JobRecord]:
        latest = self._latest(width)
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
                elif state == FAILED:
                    latest[job.chunk] = _replace(
                        job,
                        status="failed",
                        finished=now(),
                        error=self._clean(error or "failed"),
                    )
                    self._put(latest[job.chunk])
            if any(j.status == "submitted" for j in latest.values()):
                # queues take hours: poll less often the longer nothing changes
                self.poll_sleep(delay)
                delay = min(self.max_poll_seconds, delay * 1.5)
        return latest

    def execute(
        self,
        circuits: Sequence[Any],
        *,
        width: int,
        depth: int,
        shots: int,
        seed: int,
        advance: Callable[[int], None],
    ) -> tuple[list[dict[int, int]], tuple[int, ...], str]:
        """Counts per circuit from the journal's finished jobs, submitting what is missing."""
        with redacted_logs(self.secrets):
            self.submit_width(circuits, width=width, depth=depth, shots=shots, seed=seed)
            latest = self._collect(width, advance)
        failed = [j for j in latest.values() if j.status != "done"]
        if failed:
            first = failed[0]
            raise JobFailedError(
                f"{len(failed)} of {len(latest)} jobs of width {width} failed on "
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

    def run_counts(
        self,
        circuits: Sequence[QuantumCircuit],
        *,
        key: int,
        shots: int,
        seed: int,
        advance: Callable[[int], None] | None = None,
    ) -> list[dict[int, int]]:
        """Counts of any ISA circuits, journaled under ``key`` (for callers other than QV, such
        as classifier evaluation on hardware: one ``key`` per distinct batch of circuits, so
        ``resume`` finds its jobs again). Budget, retries and journal work as for QV widths."""
        counts, _, _ = self.execute(
            circuits, width=key, depth=0, shots=shots, seed=seed, advance=advance or _ignore
        )
        return counts

    def close(self) -> None:
        """Close the transport's Batch or Session."""
        self.transport.close()


def _ignore(_: int) -> None:
    pass


def _replace(job: JobRecord, **changes: Any) -> JobRecord:
    from dataclasses import replace

    return replace(job, **changes)


def usage_summary(jobs: Sequence[JobRecord]) -> tuple[float, float | None]:
    """(projected QPU seconds, billed QPU seconds or None) over the latest attempt of each job
    and every failed attempt that reported usage."""
    projected = sum(j.projected_seconds or 0.0 for j in jobs if j.job_id is not None)
    used = [j.usage_seconds for j in jobs if j.usage_seconds is not None]
    return projected, (sum(used) if used else None)


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

"""IBM Quantum cloud execution: credentials, job packing, retries, and a job journal for resume.

Layers, lowest first:

Modules: ``credentials`` (accounts, redaction), ``retry`` (transient errors, backoff),
``transport`` (the lowest layer), ``executor`` (:class:`IBMExecutor`).

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

from quantumlimits.execution.ibm.credentials import (
    CHANNEL,
    ENV_INSTANCE,
    ENV_TOKEN,
    REDACTED,
    SETUP_HINT,
    Credentials,
    connect,
    redact,
    redacted_logs,
    resolve_credentials,
)
from quantumlimits.execution.ibm.executor import (
    MAX_EXECUTIONS,
    MAX_POLL_SECONDS,
    IBMExecutor,
    JobFailedError,
    JobLimits,
    circuits_digest,
    usage_summary,
)
from quantumlimits.execution.ibm.retry import (
    RetryPolicy,
    ServiceError,
    TransientFailure,
    is_transient,
)
from quantumlimits.execution.ibm.transport import (
    DONE,
    ENV_LOCAL,
    FAILED,
    MODES,
    PENDING,
    CloudDevice,
    JobOutcome,
    RuntimeTransport,
    Transport,
    cloud_devices,
    job_usage,
    local_backend,
    open_transport,
)

__all__ = [
    "CHANNEL",
    "DONE",
    "ENV_INSTANCE",
    "ENV_LOCAL",
    "ENV_TOKEN",
    "FAILED",
    "MAX_EXECUTIONS",
    "MAX_POLL_SECONDS",
    "MODES",
    "PENDING",
    "REDACTED",
    "SETUP_HINT",
    "CloudDevice",
    "Credentials",
    "IBMExecutor",
    "JobFailedError",
    "JobLimits",
    "JobOutcome",
    "RetryPolicy",
    "RuntimeTransport",
    "ServiceError",
    "TransientFailure",
    "Transport",
    "circuits_digest",
    "cloud_devices",
    "connect",
    "is_transient",
    "job_usage",
    "local_backend",
    "open_transport",
    "redact",
    "redacted_logs",
    "resolve_credentials",
    "usage_summary",
]

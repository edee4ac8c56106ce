"""A fault-injecting wrapper around the lowest layer (the transport), and a shared 'cloud'.

``Cloud`` stands for IBM Quantum's side: the jobs it accepted outlive any one process, so a
run that "dies" can be resumed by a new executor with a new transport over the same cloud.
``FaultyTransport`` wraps a real :class:`RuntimeTransport` (local testing mode on a fake backend)
and injects, per call: transient network errors, timeouts, a job failing on the device, a
submit whose request reached the service but whose answer was lost, and process death.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import requests
from qiskit import QuantumCircuit
from qiskit_ibm_runtime.api.exceptions import RequestsApiError

from quantumlimits.execution.backends import load_snapshot
from quantumlimits.execution.ibm import FAILED, IBMExecutor, JobLimits, JobOutcome, RuntimeTransport
from quantumlimits.qv.protocol import QVWarning, run_qv
from quantumlimits.qv.results import QVResult
from quantumlimits.store import ResultsStore

#: A recognisable token planted wherever a token can go; no output may ever contain it.
PLANTED = "QLPLANTEDtoken-7c1e9d2b5a44f0e38b6d2c91aa07"
#: Small runs: width 2 (and 3), 4 circuits, 2 circuits per job.
SMALL = {"trials": 4, "shots": 64, "bootstrap_resamples": 200, "seed": 11}
LIMITS = JobLimits(max_executions=2 * 64)


def run_small(store: ResultsStore | None, executor: IBMExecutor, **kw: Any) -> QVResult:
    """A tiny QV run on the executor (width 2 unless told)."""
    settings = {**SMALL, "widths": [2], **kw}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QVWarning)
        return run_qv(backend="ibm_manila", store=store, executor=executor, **settings)


class Crash(BaseException):
    """The process dies here (not an Exception: nothing may catch and handle it)."""


@dataclass
class Cloud:
    """Jobs the service accepted, kept across transports (processes)."""

    backend_name: str = "fake_manila"
    registry: dict[str, Any] = field(default_factory=dict)
    submitted: list[str] = field(default_factory=list)  # tags, in order
    failed: set[str] = field(default_factory=set)  # tags of jobs that failed on the device

    def runs_per_chunk(self) -> Counter[str]:
        """How often each (run, width, chunk) ran to completion on the 'device'."""
        return Counter(t.rsplit(":a", 1)[0] for t in self.submitted if t not in self.failed)

    def transport(self) -> RuntimeTransport:
        return RuntimeTransport(
            backend=load_snapshot(self.backend_name), service=None, registry=self.registry
        )


@dataclass
class Faults:
    """What to break. Counters are decremented as faults fire."""

    submit_errors: int = 0  # transient errors raised by submit before the request is sent
    lost_submit_answers: int = 0  # submit reaches the service, then the answer is lost
    status_timeouts: int = 0  # status() raises TimeoutError
    result_errors: int = 0  # result() raises HTTP 503
    fail_job_numbers: tuple[int, ...] = ()  # the Nth submitted job (1-based) fails on the device
    crash_after_submits: int | None = None  # die right after the Nth submit reached the service
    crash_in_status: int | None = None  # die on the Nth status call
    errors_seen: list[str] = field(default_factory=list)


class FaultyTransport:
    """A transport that breaks the way the network and the device do."""

    def __init__(self, cloud: Cloud, faults: Faults | None = None, *, token: str = "") -> None:
        self.cloud = cloud
        self.inner = cloud.transport()
        self.faults = faults or Faults()
        self.backend = self.inner.backend
        self.local = True
        self.token = token
        self.status_calls = 0
        self.caps: list[int | None] = []
        self.failed_ids: set[str] = set()

    def submit(
        self,
        circuits: Sequence[QuantumCircuit],
        *,
        shots: int,
        tag: str,
        seed: int,
        max_seconds: int | None = None,
    ) -> str:
        f = self.faults
        self.caps.append(max_seconds)
        if f.submit_errors:
            f.submit_errors -= 1
            raise requests.exceptions.ConnectionError("connection reset by peer")
        job_id = self.inner.submit(
            circuits, shots=shots, tag=tag, seed=seed, max_seconds=max_seconds
        )
        self.cloud.submitted.append(tag)
        number = len(self.cloud.submitted)
        if number in f.fail_job_numbers:
            self.failed_ids.add(job_id)
            self.cloud.failed.add(tag)
        if f.crash_after_submits is not None and number >= f.crash_after_submits:
            f.crash_after_submits = None
            raise Crash(f"died after submitting {tag}")
        if f.lost_submit_answers:
            f.lost_submit_answers -= 1
            # the error text carries the token, as a careless HTTP layer might
            raise RequestsApiError(f"502 Bad Gateway (Authorization: Bearer {self.token})", 502)
        return job_id

    def find(self, tag: str) -> str | None:
        return self.inner.find(tag)

    def status(self, job_id: str) -> tuple[str, str | None]:
        f = self.faults
        self.status_calls += 1
        if f.crash_in_status is not None and self.status_calls >= f.crash_in_status:
            f.crash_in_status = None
            raise Crash("died while waiting")
        if f.status_timeouts:
            f.status_timeouts -= 1
            raise TimeoutError("read timed out")
        if job_id in self.failed_ids:
            self.inner.result(job_id)  # let the local job finish: a device failure is final
            return FAILED, f"Error code 1517; device calibration in progress (token {self.token})"
        return self.inner.status(job_id)

    def result(self, job_id: str) -> JobOutcome:
        f = self.faults
        if f.result_errors:
            f.result_errors -= 1
            raise RequestsApiError("503 Service Unavailable", 503)
        return self.inner.result(job_id)

    def close(self) -> None:
        self.inner.close()


def route_cloud(monkeypatch: Any, cloud: Cloud, faults: Faults) -> None:
    """Every IBM transport the command line opens is a FaultyTransport over ``cloud``."""
    from quantumlimits.execution import ibm

    def open_transport(name: str, **kw: object) -> FaultyTransport:
        return FaultyTransport(cloud, faults, token=PLANTED)

    monkeypatch.setattr(ibm, "open_transport", open_transport)


def resume_id(err: str) -> str:
    """The run id in a 'quantumlimits resume RUN_ID' hint."""
    return err.split("quantumlimits resume ")[-1].split()[0].rstrip(";")

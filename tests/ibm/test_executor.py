"""The IBM execution path end to end in local testing mode, with faults at the lowest layer."""

from __future__ import annotations

import pytest
from ibm_faults import SMALL, Crash, Faults, run_small
from qiskit import QuantumCircuit

from quantumlimits.errors import UsageError
from quantumlimits.execution.backends import load_snapshot
from quantumlimits.execution.executor import JobKey
from quantumlimits.execution.ibm import (
    JobFailedError,
    JobLimits,
    RuntimeTransport,
    TransientFailure,
    is_transient,
)
from quantumlimits.qv.build import job_key
from quantumlimits.qv.cloud import isa_circuits
from quantumlimits.qv.protocol import load_device
from quantumlimits.qv.settings import QVSettings


def _planned(*, width: int, trials: int, seed: int) -> list[QuantumCircuit]:
    """The ISA circuits a cloud QV run sends for ``width`` (built as the projection builds them)."""
    settings = QVSettings(backend="fake_manila", widths=[width], trials=trials, seed=seed)
    return isa_circuits(device=load_device("fake_manila"), settings=settings, width=width)


def _assert_no_chunk_ran_twice(cloud) -> None:  # type: ignore[no-untyped-def]
    runs = cloud.runs_per_chunk()
    assert runs and max(runs.values()) == 1, runs


def test_end_to_end_local_mode_records_jobs_and_usage(make_executor, store, cloud) -> None:
    ex, _ = make_executor()
    result = run_small(store, ex)
    width = result.widths[0]
    assert width.method == "ibm_runtime_local"
    assert len(width.heavy_counts) == SMALL["trials"]
    assert all(0 <= h <= SMALL["shots"] for h in width.heavy_counts)
    assert width.mean_hop > 0.5  # a noisy 2-qubit device still beats a coin
    assert store.row(result.run_id).status == "complete"
    jobs = store.jobs(result.run_id)
    assert [(j.key, j.chunk, j.attempt, j.status) for j in jobs] == [
        ("w2", 0, 1, "done"),
        ("w2", 1, 1, "done"),
    ]
    for job in jobs:
        assert job.job_id and job.submitted and job.finished and job.backend == "fake_manila"
        assert job.usage_seconds == 0.0  # local mode bills nothing, and says so
        assert job.projected_seconds is not None and job.projected_seconds > 2.0
        assert job.counts is not None and all(sum(c.values()) == 64 for c in job.counts)
    stored = store.qv_circuits(result.run_id)
    assert [c.heavy_count for c in stored] == list(width.heavy_counts)
    _assert_no_chunk_ran_twice(cloud)


def test_the_cloud_rejects_non_isa_circuits_and_nothing_is_sent(cloud) -> None:
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)  # h is not a fake_manila basis gate: the circuit is not ISA
    qc.measure_all()
    transport = cloud.transport()
    with pytest.raises(UsageError, match="not ISA circuits"):
        transport.submit([qc], shots=10, tag="t", seed=1)
    assert transport.registry == {}


def test_packing_fills_jobs_up_to_the_limits() -> None:
    assert JobLimits().pack(100, shots=1000) == [(0, 100)]
    assert JobLimits(max_executions=1000, max_circuits=3).pack(7, shots=100) == [
        (0, 3),
        (3, 2),
        (5, 2),
    ]
    with pytest.raises(UsageError, match="fewer --shots"):
        JobLimits(max_executions=10).pack(1, shots=11)


def test_transient_errors_are_retried_with_capped_backoff(make_executor, store, cloud, sleeps):
    faults = Faults(submit_errors=2, status_timeouts=1, result_errors=1)
    ex, _ = make_executor(faults)
    result = run_small(store, ex)
    assert store.row(result.run_id).status == "complete"
    assert sleeps.count(1.0) >= 3 and 2.0 in sleeps  # 1, 2 for submit; 1 for status, result
    assert all(s <= 3.0 for s in sleeps)
    assert len(cloud.submitted) == 2
    _assert_no_chunk_ran_twice(cloud)


def test_a_lost_submit_answer_is_found_by_tag_not_resubmitted(make_executor, store, cloud):
    ex, _ = make_executor(Faults(lost_submit_answers=1))
    result = run_small(store, ex)
    assert store.row(result.run_id).status == "complete"
    assert len(cloud.submitted) == 2  # the job whose answer was lost was adopted, not resent
    _assert_no_chunk_ran_twice(cloud)


def test_retries_give_up_with_a_resumable_run(make_executor, store, cloud, sleeps) -> None:
    ex, _ = make_executor(Faults(submit_errors=10))
    with pytest.raises(TransientFailure, match="resume qv-"):
        run_small(store, ex)
    assert sleeps == [1.0, 2.0, 3.0]  # 4 attempts, backoff capped at 3 s
    run_id = store.runs()[0].run_id
    assert store.row(run_id).status == "failed"
    assert cloud.submitted == []

    ex2, _ = make_executor()
    result = run_small(store, ex2, resume_run_id=run_id)
    assert result.run_id == run_id and store.row(run_id).status == "complete"
    _assert_no_chunk_ran_twice(cloud)


def test_a_device_failure_is_recorded_and_resume_resubmits_only_it(
    make_executor, store, cloud
) -> None:
    ex, _ = make_executor(Faults(fail_job_numbers=(2,)))
    with pytest.raises(JobFailedError, match="1 of 2 jobs of width 2 failed"):
        run_small(store, ex)
    run_id = store.runs()[0].run_id
    jobs = store.jobs(run_id)
    assert [(j.chunk, j.status) for j in jobs] == [(0, "done"), (1, "failed")]
    assert "1517" in (jobs[1].error or "")
    assert store.row(run_id).status == "failed"

    ex2, _ = make_executor()
    result = run_small(store, ex2, resume_run_id=run_id)
    assert store.row(run_id).status == "complete"
    attempts = [(j.chunk, j.attempt, j.status) for j in store.jobs(run_id)]
    assert attempts == [(0, 1, "done"), (1, 1, "failed"), (1, 2, "done")]
    assert len(cloud.submitted) == 3  # the finished job was never sent again
    _assert_no_chunk_ran_twice(cloud)

    fresh, _ = make_executor()
    again = run_small(None, fresh)  # same seed, no faults, another journal
    assert again.widths[0].heavy_counts == result.widths[0].heavy_counts


def test_death_while_waiting_resumes_from_the_journal(make_executor, store, cloud) -> None:
    ex, _ = make_executor(Faults(crash_in_status=1))
    with pytest.raises(Crash):
        run_small(store, ex)
    run_id = store.runs()[0].run_id
    assert {j.status for j in store.jobs(run_id)} == {"submitted"}  # ids were saved first
    assert store.qv_circuits(run_id) == []  # and no half-written result

    ex2, _ = make_executor()
    run_small(store, ex2, resume_run_id=run_id)
    assert store.row(run_id).status == "complete"
    assert len(cloud.submitted) == 2  # nothing resubmitted: both jobs were collected
    _assert_no_chunk_ran_twice(cloud)


def test_death_between_submit_and_record_is_found_by_tag(make_executor, store, cloud) -> None:
    ex, _ = make_executor(Faults(crash_after_submits=1))
    with pytest.raises(Crash):
        run_small(store, ex)
    run_id = store.runs()[0].run_id
    assert [j.status for j in store.jobs(run_id)] == ["submitting"]

    ex2, _ = make_executor()
    run_small(store, ex2, resume_run_id=run_id)
    assert len(cloud.submitted) == 2
    assert [(j.chunk, j.status) for j in store.jobs(run_id)] == [(0, "done"), (1, "done")]
    _assert_no_chunk_ran_twice(cloud)


def test_resuming_a_complete_width_sends_nothing(make_executor, store, cloud) -> None:
    ex, _ = make_executor()
    first = run_small(store, ex)
    ex2, _ = make_executor()
    again = run_small(store, ex2, resume_run_id=first.run_id)
    assert len(cloud.submitted) == 2
    assert again.widths[0].heavy_counts == first.widths[0].heavy_counts


def test_over_budget_is_refused_before_anything_is_sent(make_executor, store, cloud) -> None:
    ex, transport = make_executor(max_qpu_seconds=3.0)  # one job fits (~2.1 s), two do not
    with pytest.raises(UsageError, match="max-qpu-seconds"):
        run_small(store, ex)
    assert len(cloud.submitted) == 1  # the second was refused before sending
    assert transport.caps == [3]  # and the first carried the budget as its max_execution_time


def test_changed_circuits_cannot_resume(make_executor, store) -> None:
    ex, _ = make_executor(Faults(fail_job_numbers=(1,)))
    with pytest.raises(JobFailedError):
        run_small(store, ex)
    run_id = store.runs()[0].run_id
    ex2, _ = make_executor()
    with pytest.raises(UsageError, match="other circuits"):
        run_small(store, ex2, resume_run_id=run_id, optimization_level=0)


def test_projection_plans_the_same_circuits_the_protocol_runs(make_executor, store) -> None:
    ex, _ = make_executor()
    planned = _planned(width=2, trials=4, seed=SMALL["seed"])
    key = job_key(2, 2)
    before = ex.projection(planned, key=key, shots=64)
    assert before.jobs == 2 and before.seconds > 4.0
    result = run_small(store, ex)
    digests = {j.digest for j in store.jobs(result.run_id)}
    assert {c.digest for c in ex.plan(planned, key=key, shots=64)} == digests
    assert ex.projection(planned, key=key, shots=64).jobs == 0  # nothing left to send


def test_transient_classification() -> None:
    from qiskit_ibm_runtime.api.exceptions import RequestsApiError

    assert is_transient(TimeoutError()) and is_transient(ConnectionResetError())
    assert is_transient(RequestsApiError("busy", 503)) and is_transient(RequestsApiError("", 429))
    assert not is_transient(RequestsApiError("forbidden", 403))
    assert not is_transient(ValueError("bad circuit"))


def test_local_transport_cannot_find_jobs_of_another_process() -> None:
    transport = RuntimeTransport(backend=load_snapshot("fake_manila"), service=None)
    state, error = transport.status("no-such-job")
    assert state == "lost" and "local testing mode" in (error or "")
    assert transport.find("no-such-tag") is None


def test_usage_comes_from_job_metrics_and_pending_is_unknown() -> None:
    from quantumlimits.execution.ibm import job_usage

    class Job:
        def __init__(self, usage: dict[str, object]) -> None:
            self.usage = usage

        def metrics(self) -> dict[str, object]:
            return {"usage": self.usage}

    assert job_usage(Job({"qpu_charge_time_seconds": 7, "status": "complete"})) == 7.0
    assert job_usage(Job({"qpu_charge_time_seconds": 0, "status": "pending"})) is None
    assert job_usage(Job({"quantum_seconds": 3.5})) == 3.5


def test_the_executor_serves_any_caller_through_the_same_journal(make_executor, store):
    ex, _ = make_executor()
    run_id = store.begin_run(kind="classify", backend="ibm_manila", seed=0, created="2026")
    ex.attach(store=store, run_id=run_id)
    circuits = _planned(width=2, trials=3, seed=0)
    key = JobKey(name="batch-7", label="batch 7", seed_path=(7,))

    def counts_of() -> list[dict[int, int]]:
        return ex.execute(circuits, key=key, shots=64, seed=0, advance=lambda _: None)[0]

    counts = counts_of()
    assert [sum(c.values()) for c in counts] == [64, 64, 64]
    assert {(j.key, j.status) for j in store.jobs(run_id)} == {("batch-7", "done")}
    assert counts_of() == counts  # from the journal


def test_a_refusal_by_the_service_stops_resumably_and_redacted(make_executor, store, cloud):
    from ibm_faults import PLANTED
    from qiskit_ibm_runtime.api.exceptions import RequestsApiError

    from quantumlimits.execution.ibm import ServiceError

    ex, transport = make_executor()

    def expired(job_id: str) -> None:
        raise RequestsApiError(f"401 Unauthorized: token {PLANTED} expired", 401)

    transport.result = expired  # type: ignore[method-assign]
    with pytest.raises(ServiceError) as info:
        run_small(store, ex)
    assert PLANTED not in str(info.value) and "401" in str(info.value)
    assert "quantumlimits resume" in str(info.value)
    run_id = store.runs()[0].run_id
    assert {j.status for j in store.jobs(run_id)} == {"submitted"}  # collectable later
    ex2, _ = make_executor()
    run_small(store, ex2, resume_run_id=run_id)
    assert len(cloud.submitted) == 2 and store.row(run_id).status == "complete"


def test_the_service_paths_of_the_transport(cloud) -> None:
    """Against a stand-in service: jobs found by id and by tag through the service's API."""
    from quantumlimits.execution import ibm

    first = cloud.transport()
    circuits = _planned(width=2, trials=2, seed=3)
    job_id = first.submit(circuits, shots=32, tag="quantumlimits:r:w2:c0:a1", seed=1)
    calls: list[tuple[str, object]] = []

    class Service:
        def job(self, wanted: str) -> object:
            calls.append(("job", wanted))
            return first.registry[wanted][1]

        def jobs(self, *, job_tags: list[str], backend_name: str, limit: int) -> list[object]:
            calls.append(("jobs", (tuple(job_tags), backend_name, limit)))
            return [job for tag, job in first.registry.values() if tag in job_tags]

        def backend(self, name: str) -> object:
            if name != "ibm_manila":
                raise KeyError(name)
            return first.backend

    other_process = ibm.RuntimeTransport(backend=first.backend, service=Service())
    assert not other_process.local
    assert other_process.find("quantumlimits:r:w2:c0:a1") == job_id
    assert other_process.find("no-such-tag") is None
    outcome = other_process.result(job_id)
    assert [sum(c.values()) for c in outcome.counts] == [32, 32] and outcome.usage_seconds == 0
    assert other_process.status(job_id) == (ibm.DONE, None)
    assert ("job", job_id) in calls
    assert ("jobs", (("no-such-tag",), "fake_manila", 1)) in calls


def test_open_transport_names_a_missing_device(monkeypatch: pytest.MonkeyPatch) -> None:
    from quantumlimits.execution.ibm import Credentials, transport

    class Service:
        def backend(self, name: str) -> object:
            raise KeyError(name)

    monkeypatch.setattr(transport, "connect", lambda credentials: Service())
    creds = Credentials(source="QISKIT_IBM_TOKEN", token="x" * 44, instance=None)
    with pytest.raises(UsageError, match=r"no device 'ibm_nowhere'.*quantumlimits backends"):
        transport.open_transport("ibm_nowhere", credentials=creds, environ={})


def test_training_on_hardware_needs_a_budget() -> None:
    from quantumlimits.cli._ibm import require_budget

    with pytest.raises(UsageError, match="--max-qpu-seconds"):
        require_budget(what="training on ibm_torino", max_qpu_seconds=None)


def test_jobs_lost_with_their_process_are_all_sent_again_by_one_resume(
    make_executor, store, sleeps
) -> None:
    """Local testing mode keeps jobs in the memory of the process that submitted them: after it
    died, one resume sends every lost job of every width again (not one width per resume)."""
    from ibm_faults import PLANTED as TOKEN
    from ibm_faults import Cloud, FaultyTransport

    ex, _ = make_executor(Faults(crash_after_submits=4))
    ex.queue_upfront(
        {job_key(w, w): _planned(width=w, trials=4, seed=SMALL["seed"]) for w in (2, 3)},
        shots=64,
        seed=SMALL["seed"],
    )
    with pytest.raises(Crash):
        run_small(store, ex, widths=[2, 3])
    (row,) = store.runs()
    assert [j.status for j in store.jobs(row.run_id)] == ["submitted"] * 3 + ["submitting"]
    fresh = Cloud()  # a new process: the old jobs are nowhere
    transport = FaultyTransport(fresh, token=TOKEN)
    ex2, _ = make_executor()
    ex2.transport = transport
    result = run_small(store, ex2, widths=[2, 3], resume_run_id=row.run_id)
    assert store.row(row.run_id).status == "complete" and len(result.widths) == 2
    assert sorted(t.rsplit(":", 1)[1] for t in fresh.submitted) == ["a2"] * 4
    lost = [j for j in store.jobs(row.run_id) if j.attempt == 1]
    assert {j.status for j in lost} == {"failed"}

"""The job journal in the results store: schema 2, its migration from 1, and its records."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from quantumlimits.errors import StoreError
from quantumlimits.store import SCHEMA_VERSION, JobRecord, ResultsStore


def _v1_store(path: Path) -> str:
    with ResultsStore(path) as store:
        run_id = store.begin_run(kind="qv", backend="aer", seed=1, created="2026-01-01T00:00:00")
        store.finish_run(run_id, document={"x": 1}, summary="QV 4")
    with sqlite3.connect(path) as conn:  # make it exactly what schema 1 wrote
        conn.execute("DROP TABLE jobs")
        conn.execute("DROP TABLE run_inputs")
        conn.execute("UPDATE meta SET value='1' WHERE key='schema_version'")
    return run_id


def test_a_schema_1_store_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    run_id = _v1_store(path)
    assert SCHEMA_VERSION == 2
    with ResultsStore(path) as store:
        assert store.document(run_id) == {"x": 1} and store.row(run_id).summary == "QV 4"
        assert store.jobs(run_id) == [] and store.inputs(run_id) is None
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        (version,) = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    assert {"jobs", "run_inputs", "runs", "qv_circuits", "meta"} <= tables and version == "2"


def test_a_newer_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    ResultsStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value='3' WHERE key='schema_version'")
    with pytest.raises(StoreError, match="schema version 3"):
        ResultsStore(path)


def test_job_records_round_trip_and_validate(tmp_path: Path) -> None:
    with ResultsStore(tmp_path / "s.sqlite") as store:
        run_id = store.begin_run(kind="qv", backend="ibm_x", seed=0, created="2026-01-01T00:00:00")
        store.record_inputs(run_id, {"widths": [2], "shots": 10})
        job = JobRecord(
            run_id=run_id,
            width=2,
            chunk=0,
            attempt=1,
            circuit_start=0,
            circuit_count=2,
            shots=10,
            digest="d",
            backend="ibm_x",
            tag="t",
            job_id="j1",
            status="done",
            projected_seconds=2.5,
            usage_seconds=3.0,
            counts=({0: 6, 3: 4}, {1: 10}),
        )
        store.put_job(job)
        assert store.jobs(run_id) == [job]
        assert store.latest_jobs(run_id, width=2) == {0: job}
        assert store.inputs(run_id[:10]) == {"widths": [2], "shots": 10}
    with pytest.raises(ValueError, match="counts"):
        JobRecord(**{**job.__dict__, "counts": None})
    with pytest.raises(ValueError, match="status"):
        JobRecord(**{**job.__dict__, "status": "lost"})

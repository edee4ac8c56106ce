"""The job journal in the results store: schema 3, its migrations from 1 and 2, its records."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from quantumlimits.errors import StoreError
from quantumlimits.store import _SCHEMA_V1, _SCHEMA_V2, SCHEMA_VERSION, JobRecord, ResultsStore


def _old_store(path: Path, version: int) -> str:
    """A store exactly as schema ``version`` (1 or 2) wrote it, with one finished run."""
    with sqlite3.connect(path) as conn:
        conn.executescript(_SCHEMA_V1 + (_SCHEMA_V2 if version >= 2 else ""))
        conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(version),))
        conn.execute(
            "INSERT INTO runs(run_id, kind, created, backend, seed, status, summary, document) "
            "VALUES ('qv-1', 'qv', '2026-01-01T00:00:00', 'aer', 1, 'complete', 'QV 4', ?)",
            ('{"x": 1}',),
        )
    return "qv-1"


def _tables(path: Path) -> tuple[set[str], str]:
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        (version,) = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    return tables, version


def test_a_schema_1_store_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    run_id = _old_store(path, 1)
    assert SCHEMA_VERSION == 3
    with ResultsStore(path) as store:
        assert store.document(run_id) == {"x": 1} and store.row(run_id).summary == "QV 4"
        assert store.jobs(run_id) == [] and store.inputs(run_id) is None
        assert store.parts(run_id) == {}
    tables, version = _tables(path)
    assert {"jobs", "run_inputs", "run_parts", "runs", "qv_circuits", "meta"} <= tables
    assert version == "3"


def _legacy_job(conn: sqlite3.Connection, run_id: str, width: int, tag: str) -> None:
    conn.execute(
        "INSERT INTO jobs(run_id, width, chunk, attempt, circuit_start, circuit_count, shots, "
        "digest, backend, tag, job_id, status, counts) "
        "VALUES (?, ?, 0, 1, 0, 1, 10, 'd', 'ibm_x', ?, 'j', 'done', '[[[0, 10]]]')",
        (run_id, width, tag),
    )


def test_a_schema_2_journal_keeps_its_jobs_under_text_keys(tmp_path: Path) -> None:
    path = tmp_path / "v2.sqlite"
    _old_store(path, 2)
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO runs(run_id, kind, created, backend, seed, status) "
            "VALUES ('classify-1', 'classify', '2026-01-02T00:00:00', 'ibm_x', 0, 'running')"
        )
        _legacy_job(conn, "qv-1", 5, "quantumlimits:qv-1:w5:c0:a1")
        _legacy_job(conn, "classify-1", 2_003_000_007, "quantumlimits:classify-1:w2003000007:c0:a1")
    with ResultsStore(path, readonly=True) as store:  # read as it is: keys as migrated
        before = [(j.key, j.tag) for j in store.jobs("qv-1") + store.jobs("classify-1")]
    with ResultsStore(path) as store:
        after = [(j.key, j.tag) for j in store.jobs("qv-1") + store.jobs("classify-1")]
        (job,) = store.jobs("classify-1")
        assert job.counts == ({0: 10},) and store.latest_jobs("classify-1", key="m1/r3/s7")
    assert (
        before
        == after
        == [
            ("w5", "quantumlimits:qv-1:w5:c0:a1"),
            ("m1/r3/s7", "quantumlimits:classify-1:w2003000007:c0:a1"),
        ]
    )
    assert _tables(path)[1] == "3"


def test_a_newer_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    ResultsStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value='4' WHERE key='schema_version'")
    with pytest.raises(StoreError, match="schema version 4"):
        ResultsStore(path)


def test_job_records_round_trip_and_validate(tmp_path: Path) -> None:
    with ResultsStore(tmp_path / "s.sqlite") as store:
        run_id = store.begin_run(kind="qv", backend="ibm_x", seed=0, created="2026-01-01T00:00:00")
        store.record_inputs(run_id, {"widths": [2], "shots": 10})
        job = JobRecord(
            run_id=run_id,
            key="w2",
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
        assert store.latest_jobs(run_id, key="w2") == {0: job}
        assert store.latest_jobs(run_id, key="w3") == {}
        assert store.inputs(run_id[:10]) == {"widths": [2], "shots": 10}
    with pytest.raises(ValueError, match="counts"):
        JobRecord(**{**job.__dict__, "counts": None})
    with pytest.raises(ValueError, match="status"):
        JobRecord(**{**job.__dict__, "status": "lost"})
    with pytest.raises(ValueError, match="key"):
        JobRecord(**{**job.__dict__, "key": ""})

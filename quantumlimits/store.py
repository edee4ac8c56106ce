"""SQLite results store: every run, its document, and the raw counts needed to re-analyse it.

One file, WAL journal, schema versioned in ``meta``. A run is inserted as ``running`` before any
work starts, each finished width's circuits are committed as they complete, and the final document
is written in one transaction, so a crash leaves a run marked ``running`` with every completed
width intact, never a half-written row. Tables (documented in docs/results.md):

* ``meta(key, value)`` — ``schema_version``.
* ``runs(run_id, kind, created, backend, seed, status, summary, document)``.
* ``qv_circuits(run_id, width, depth, idx, shots, heavy_count, ideal_hop, heavy_mask, outcomes,
  counts)`` — heavy masks as packed bits, counts as two int64 arrays (outcome, count).
* ``run_inputs(run_id, inputs)`` — (schema 2) the settings a run started with, so it can resume.
* ``jobs(run_id, width, chunk, attempt, ...)`` — (schema 2) one row per cloud job submission:
  its circuits, job id, status, times, projected and used QPU seconds, error and counts.

Schema 1 stores are migrated to 2 in place when opened (the new tables are added; nothing else
changes).
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from quantumlimits.errors import StoreError

SCHEMA_VERSION = 2
ENV_STORE = "QUANTUMLIMITS_STORE"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id   TEXT PRIMARY KEY,
    kind     TEXT NOT NULL,
    created  TEXT NOT NULL,
    backend  TEXT,
    seed     INTEGER,
    status   TEXT NOT NULL CHECK (status IN ('running', 'complete', 'failed')),
    summary  TEXT NOT NULL DEFAULT '',
    document TEXT
);
CREATE TABLE IF NOT EXISTS qv_circuits (
    run_id      TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    width       INTEGER NOT NULL,
    depth       INTEGER NOT NULL,
    idx         INTEGER NOT NULL,
    shots       INTEGER NOT NULL,
    heavy_count INTEGER NOT NULL,
    ideal_hop   REAL NOT NULL,
    heavy_mask  BLOB NOT NULL,
    outcomes    BLOB NOT NULL,
    counts      BLOB NOT NULL,
    PRIMARY KEY (run_id, width, depth, idx)
);
CREATE INDEX IF NOT EXISTS runs_created ON runs(created);
"""

# Schema 2: the cloud job journal. Added by the migration from 1 (CREATE ... IF NOT EXISTS).
_SCHEMA_V2 = """
CREATE TABLE IF NOT EXISTS run_inputs (
    run_id TEXT PRIMARY KEY REFERENCES runs(run_id) ON DELETE CASCADE,
    inputs TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    run_id            TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    width             INTEGER NOT NULL,
    chunk             INTEGER NOT NULL,
    attempt           INTEGER NOT NULL,
    circuit_start     INTEGER NOT NULL,
    circuit_count     INTEGER NOT NULL,
    shots             INTEGER NOT NULL,
    digest            TEXT NOT NULL,
    backend           TEXT NOT NULL,
    tag               TEXT NOT NULL,
    job_id            TEXT,
    status            TEXT NOT NULL
                      CHECK (status IN ('submitting', 'submitted', 'done', 'failed')),
    submitted         TEXT,
    finished          TEXT,
    projected_seconds REAL,
    usage_seconds     REAL,
    error             TEXT,
    counts            TEXT,
    PRIMARY KEY (run_id, width, chunk, attempt)
);
CREATE INDEX IF NOT EXISTS jobs_job_id ON jobs(job_id);
"""

#: Job states in the ``jobs`` table. ``submitting``: the row is written, the job may or may not
#: have reached the service (found again by ``tag``); ``submitted``: the service accepted it
#: (``job_id`` set); ``done``: its counts are stored; ``failed``: it failed, with ``error``.
JOB_STATES = ("submitting", "submitted", "done", "failed")


def default_store_path() -> Path:
    """``$QUANTUMLIMITS_STORE``, else ``$XDG_DATA_HOME/quantumlimits/results.sqlite``."""
    env = os.environ.get(ENV_STORE)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "quantumlimits" / "results.sqlite"


def new_run_id(kind: str, created: str) -> str:
    """A readable unique run id: kind, UTC timestamp and 6 random hex digits."""
    stamp = created.replace("-", "").replace(":", "").replace("T", "-")[:15]
    return f"{kind}-{stamp}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class RunRow:
    """One row of ``runs`` without its document."""

    run_id: str
    kind: str
    created: str
    backend: str | None
    seed: int | None
    status: str
    summary: str


@dataclass(frozen=True)
class JobRecord:
    """One submission of one cloud job: a chunk of a width's circuits (a row of ``jobs``)."""

    run_id: str
    width: int
    chunk: int
    attempt: int
    circuit_start: int
    circuit_count: int
    shots: int
    digest: str
    backend: str
    tag: str
    job_id: str | None
    status: str
    submitted: str | None = None
    finished: str | None = None
    projected_seconds: float | None = None
    usage_seconds: float | None = None
    error: str | None = None
    counts: tuple[dict[int, int], ...] | None = None

    def __post_init__(self) -> None:
        if self.status not in JOB_STATES:
            raise ValueError(f"job status must be one of {JOB_STATES}, got {self.status!r}")
        if self.attempt < 1 or self.chunk < 0 or self.circuit_count < 1 or self.shots < 1:
            raise ValueError(f"bad job record {self.run_id}/{self.width}/{self.chunk}")
        if self.status == "done" and (
            self.counts is None or len(self.counts) != self.circuit_count
        ):
            raise ValueError("a done job needs the counts of each of its circuits")


_JOB_COLUMNS = (
    "run_id, width, chunk, attempt, circuit_start, circuit_count, shots, digest, backend, tag, "
    "job_id, status, submitted, finished, projected_seconds, usage_seconds, error, counts"
)


def _encode_counts(counts: Sequence[dict[int, int]] | None) -> str | None:
    if counts is None:
        return None
    return json.dumps([sorted((int(k), int(v)) for k, v in c.items()) for c in counts])


def _decode_counts(text: str | None) -> tuple[dict[int, int], ...] | None:
    if text is None:
        return None
    return tuple({int(k): int(v) for k, v in pairs} for pairs in json.loads(text))


@dataclass(frozen=True)
class StoredCircuit:
    """One circuit's stored outcome: what re-analysis needs."""

    width: int
    depth: int
    index: int
    shots: int
    heavy_count: int
    ideal_hop: float
    heavy_mask: bytes
    outcomes: np.ndarray
    counts: np.ndarray


class ResultsStore:
    """A results store at ``path`` (created with its parent folder when missing).

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     store = ResultsStore(pathlib.Path(d) / "r.sqlite")
    ...     run_id = store.begin_run(
    ...         kind="qv", backend="aer", seed=1, created="2026-01-01T00:00:00")
    ...     store.finish_run(run_id, document={"x": 1}, summary="QV 8")
    ...     [r.summary for r in store.runs()], store.document(run_id)
    (['QV 8'], {'x': 1})
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, timeout=30.0)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(
                f"cannot open the results store {self.path}: {exc}; "
                "pass --store with a writable path"
            ) from exc
        try:
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise StoreError(
                f"the results store {self.path} is not a readable quantumlimits store ({exc}); "
                "pass --store with another path, or move the file aside"
            ) from exc

    def _migrate(self) -> None:
        with self._conn:
            tables = {
                r[0]
                for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if tables and "meta" not in tables:
                raise StoreError(
                    f"{self.path} is an SQLite file but not a quantumlimits store: "
                    "pass --store with another path"
                )
            if "meta" in tables:
                row = self._conn.execute(
                    "SELECT value FROM meta WHERE key='schema_version'"
                ).fetchone()
                version = int(row[0]) if row else 0
                if version > SCHEMA_VERSION:
                    raise StoreError(
                        f"the results store {self.path} has schema version {version}, newer than "
                        f"this quantumlimits reads ({SCHEMA_VERSION}): upgrade quantumlimits or "
                        "pass --store with another path"
                    )
            self._conn.executescript(_SCHEMA)
            self._conn.executescript(_SCHEMA_V2)
            self._conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        try:
            with self._conn:
                yield self._conn
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"writing to the results store {self.path} failed: {exc}") from exc

    # -- runs -------------------------------------------------------------------------------

    def begin_run(self, *, kind: str, backend: str | None, seed: int | None, created: str) -> str:
        """Insert a run in state ``running`` and return its id."""
        run_id = new_run_id(kind, created)
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO runs(run_id, kind, created, backend, seed, status) "
                "VALUES (?, ?, ?, ?, ?, 'running')",
                (run_id, kind, created, backend, seed),
            )
        return run_id

    def finish_run(
        self, run_id: str, *, document: dict[str, Any], summary: str, status: str = "complete"
    ) -> None:
        """Write the final document and status of a run in one transaction."""
        text = json.dumps(document, sort_keys=True, allow_nan=False)
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE runs SET status=?, summary=?, document=? WHERE run_id=?",
                (status, summary, text, run_id),
            )
            if cur.rowcount != 1:
                raise StoreError(f"no run {run_id!r} in {self.path}")

    def mark_failed(self, run_id: str, *, summary: str) -> None:
        """Mark a run failed, keeping whatever it had stored."""
        with self._tx() as conn:
            conn.execute(
                "UPDATE runs SET status='failed', summary=? WHERE run_id=?", (summary, run_id)
            )

    def runs(self, *, kind: str | None = None, limit: int | None = None) -> list[RunRow]:
        """Runs, newest first."""
        sql = "SELECT run_id, kind, created, backend, seed, status, summary FROM runs"
        args: list[Any] = []
        if kind is not None:
            sql += " WHERE kind = ?"
            args.append(kind)
        sql += " ORDER BY created DESC, run_id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        return [RunRow(*row) for row in self._conn.execute(sql, args)]

    def resolve(self, run_id: str) -> str:
        """The full id of a run given its id or a unique prefix of it."""
        rows = self._conn.execute(
            "SELECT run_id FROM runs WHERE run_id = ? OR run_id LIKE ? ESCAPE '\\' LIMIT 3",
            (run_id, run_id.replace("%", "\\%").replace("_", "\\_") + "%"),
        ).fetchall()
        exact = [r[0] for r in rows if r[0] == run_id]
        if exact:
            return exact[0]
        if len(rows) == 1:
            return str(rows[0][0])
        if not rows:
            raise StoreError(
                f"no run {run_id!r} in {self.path}: 'quantumlimits history' lists the runs"
            )
        raise StoreError(f"run id prefix {run_id!r} is ambiguous: give more characters")

    def row(self, run_id: str) -> RunRow:
        """The ``runs`` row of a run (id or unique prefix)."""
        full = self.resolve(run_id)
        found = self._conn.execute(
            "SELECT run_id, kind, created, backend, seed, status, summary FROM runs "
            "WHERE run_id = ?",
            (full,),
        ).fetchone()
        return RunRow(*found)

    def document(self, run_id: str) -> dict[str, Any]:
        """The result document of a finished run."""
        full = self.resolve(run_id)
        (text,) = self._conn.execute(
            "SELECT document FROM runs WHERE run_id = ?", (full,)
        ).fetchone()
        if text is None:
            raise StoreError(f"run {full} has no result document yet (it did not finish)")
        result: dict[str, Any] = json.loads(text)
        return result

    # -- quantum volume circuits -------------------------------------------------------------

    def add_qv_circuits(self, run_id: str, circuits: Sequence[StoredCircuit]) -> None:
        """Store a batch of circuit outcomes (one width, typically) in one transaction."""
        rows = [
            (
                run_id,
                c.width,
                c.depth,
                c.index,
                c.shots,
                c.heavy_count,
                c.ideal_hop,
                c.heavy_mask,
                np.asarray(c.outcomes, dtype="<i8").tobytes(),
                np.asarray(c.counts, dtype="<i8").tobytes(),
            )
            for c in circuits
        ]
        with self._tx() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO qv_circuits(run_id, width, depth, idx, shots, heavy_count,"
                " ideal_hop, heavy_mask, outcomes, counts) VALUES (?,?,?,?,?,?,?,?,?,?)",
                rows,
            )

    def qv_circuits(self, run_id: str, *, width: int | None = None) -> list[StoredCircuit]:
        """Stored circuits of a run, ordered by width, depth and index."""
        full = self.resolve(run_id)
        sql = (
            "SELECT width, depth, idx, shots, heavy_count, ideal_hop, heavy_mask, outcomes, counts "
            "FROM qv_circuits WHERE run_id = ?"
        )
        args: list[Any] = [full]
        if width is not None:
            sql += " AND width = ?"
            args.append(width)
        sql += " ORDER BY width, depth, idx"
        return [
            StoredCircuit(
                width=w,
                depth=d,
                index=i,
                shots=s,
                heavy_count=h,
                ideal_hop=hop,
                heavy_mask=bytes(mask),
                outcomes=np.frombuffer(out, dtype="<i8").copy(),
                counts=np.frombuffer(cnt, dtype="<i8").copy(),
            )
            for (w, d, i, s, h, hop, mask, out, cnt) in self._conn.execute(sql, args)
        ]

    # -- run inputs and the cloud job journal (schema 2) ---------------------------------------

    def record_inputs(self, run_id: str, inputs: dict[str, Any]) -> None:
        """Store the settings a run started with (what ``resume`` needs to continue it)."""
        text = json.dumps(inputs, sort_keys=True, allow_nan=False)
        with self._tx() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO run_inputs(run_id, inputs) VALUES (?, ?)", (run_id, text)
            )

    def inputs(self, run_id: str) -> dict[str, Any] | None:
        """The settings a run started with, or None when it recorded none."""
        full = self.resolve(run_id)
        row = self._conn.execute(
            "SELECT inputs FROM run_inputs WHERE run_id = ?", (full,)
        ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def reopen_run(self, run_id: str) -> None:
        """Set a stopped run back to ``running`` (to resume it)."""
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE runs SET status='running', summary='resumed' WHERE run_id=?", (run_id,)
            )
            if cur.rowcount != 1:
                raise StoreError(f"no run {run_id!r} in {self.path}")

    def put_job(self, job: JobRecord) -> None:
        """Insert or replace one job submission row (committed before returning)."""
        row = (
            job.run_id,
            job.width,
            job.chunk,
            job.attempt,
            job.circuit_start,
            job.circuit_count,
            job.shots,
            job.digest,
            job.backend,
            job.tag,
            job.job_id,
            job.status,
            job.submitted,
            job.finished,
            job.projected_seconds,
            job.usage_seconds,
            job.error,
            _encode_counts(job.counts),
        )
        with self._tx() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO jobs({_JOB_COLUMNS}) VALUES "
                "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                row,
            )

    def jobs(self, run_id: str, *, width: int | None = None) -> list[JobRecord]:
        """Every submission of a run's jobs, ordered by width, chunk and attempt."""
        sql = f"SELECT {_JOB_COLUMNS} FROM jobs WHERE run_id = ?"
        args: list[Any] = [run_id]
        if width is not None:
            sql += " AND width = ?"
            args.append(width)
        sql += " ORDER BY width, chunk, attempt"
        out = []
        for row in self._conn.execute(sql, args):
            values = list(row)
            values[-1] = _decode_counts(values[-1])
            out.append(JobRecord(*values))
        return out

    def latest_jobs(self, run_id: str, *, width: int) -> dict[int, JobRecord]:
        """The latest submission of each chunk of a width, keyed by chunk."""
        latest: dict[int, JobRecord] = {}
        for job in self.jobs(run_id, width=width):
            latest[job.chunk] = job
        return latest

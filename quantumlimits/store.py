"""SQLite results store: every run, its document, and the raw counts needed to re-analyse it.

One file, WAL journal, schema versioned in ``meta``. A run is inserted as ``running`` before any
work starts, each finished part (a QV width, say) is committed as it completes, and the final
document is written in one transaction, so a crash leaves a run marked ``running`` with every
completed part intact, never a half-written row. Tables (documented in docs/results.md):

* ``meta(key, value)`` — ``schema_version``.
* ``runs(run_id, kind, created, backend, seed, status, summary, document)``.
* ``qv_circuits(run_id, width, depth, idx, shots, heavy_count, ideal_hop, heavy_mask, outcomes,
  counts)`` — heavy masks as packed bits, counts as two int64 arrays (outcome, count).
* ``run_inputs(run_id, inputs)`` — (schema 2) the settings a run started with, so it can resume.
* ``jobs(run_id, key, chunk, attempt, ...)`` — (schema 2; ``key`` since 3) one row per cloud job
  submission: its circuits, job id, status, times, projected and used QPU seconds, error and counts.
* ``run_parts(run_id, part, document)`` — (schema 3) each finished part of a run (a QV width, a
  mirror width) as JSON, so ``resume`` never runs it again.

Opening is strict. A store opened for reading (``readonly=True``: ``history``, ``show``,
``report``) is opened read-only by SQLite and never written; a missing file is an error. A store
opened for writing is created when missing and migrated in place from an older schema; an existing
file that is not a quantumlimits store, has a newer schema, or lacks a table its schema has, is
refused and left untouched (a damaged store is never repaired silently).
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from quantumlimits.errors import StoreError

SCHEMA_VERSION = 3
ENV_STORE = "QUANTUMLIMITS_STORE"

_SCHEMA_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    run_id   TEXT PRIMARY KEY,
    kind     TEXT NOT NULL,
    created  TEXT NOT NULL,
    backend  TEXT,
    seed     INTEGER,
    status   TEXT NOT NULL CHECK (status IN ('running', 'complete', 'failed')),
    summary  TEXT NOT NULL DEFAULT '',
    document TEXT
);
CREATE TABLE qv_circuits (
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
CREATE INDEX runs_created ON runs(created);
"""

# Schema 2: the settings a run started with, and the cloud job journal keyed by width.
_SCHEMA_V2 = """
CREATE TABLE run_inputs (
    run_id TEXT PRIMARY KEY REFERENCES runs(run_id) ON DELETE CASCADE,
    inputs TEXT NOT NULL
);
CREATE TABLE jobs (
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
CREATE INDEX jobs_job_id ON jobs(job_id);
"""

# Schema 3: finished parts of a run, and the journal keyed by an opaque text key (each caller
# names its own batches: "w5" for a QV width, "m0/r1/s7" for a classifier's training step).
_SCHEMA_V3 = """
CREATE TABLE run_parts (
    run_id   TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    part     TEXT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (run_id, part)
);
CREATE TABLE jobs_v3 (
    run_id            TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    key               TEXT NOT NULL,
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
    PRIMARY KEY (run_id, key, chunk, attempt)
);
"""

#: The tables each schema version has; a store lacking one of its version's tables is damaged.
TABLES = {
    1: frozenset({"meta", "runs", "qv_circuits"}),
    2: frozenset({"meta", "runs", "qv_circuits", "run_inputs", "jobs"}),
    3: frozenset({"meta", "runs", "qv_circuits", "run_inputs", "jobs", "run_parts"}),
}

#: Job states in the ``jobs`` table. ``submitting``: the row is written, the job may or may not
#: have reached the service (found again by ``tag``); ``submitted``: the service accepted it
#: (``job_id`` set); ``done``: its counts are stored; ``failed``: it failed, with ``error``.
JOB_STATES = ("submitting", "submitted", "done", "failed")

#: Schema 2 packed a classifier run's journal key into the width column (see
#: :func:`legacy_classify_key`); schema 3 writes it as text.
_LEGACY_MODEL = 10**9
_LEGACY_REP = 10**6


def legacy_classify_key(packed: int) -> str:
    """The schema-3 journal key of a schema-2 classifier key ``(model+1)·10⁹ + rep·10⁶ + step``.

    >>> legacy_classify_key(2_003_000_007)
    'm1/r3/s7'
    """
    model, rest = divmod(int(packed), _LEGACY_MODEL)
    rep, step = divmod(rest, _LEGACY_REP)
    return f"m{model - 1}/r{rep}/s{step}"


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
    """One submission of one cloud job: a chunk of a keyed batch of circuits (a row of ``jobs``).

    ``key`` is the caller's name for the batch (a QV width, a classifier's training step); the
    store and the executor treat it as opaque text.
    """

    run_id: str
    key: str
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
        if not self.key:
            raise ValueError("a job needs a key")
        if self.attempt < 1 or self.chunk < 0 or self.circuit_count < 1 or self.shots < 1:
            raise ValueError(f"bad job record {self.run_id}/{self.key}/{self.chunk}")
        if self.status == "done" and (
            self.counts is None or len(self.counts) != self.circuit_count
        ):
            raise ValueError("a done job needs the counts of each of its circuits")


_JOB_COLUMNS = (
    "run_id, key, chunk, attempt, circuit_start, circuit_count, shots, digest, backend, tag, "
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


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    """Each statement of ``script`` in the current transaction (``executescript`` would commit)."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _refuse(path: Path, problem: str) -> StoreError:
    return StoreError(
        f"the results store {path} {problem}: it was left untouched; pass --store with another "
        "path, or move the file aside"
    )


def _read_only_uri(path: Path, *, immutable: bool = False) -> str:
    uri = "file:" + quote(str(path.resolve())) + "?mode=ro"
    return uri + "&immutable=1" if immutable else uri


class ResultsStore:
    """A results store at ``path``.

    For writing (the default) it is created with its parent folder when missing, and an older
    schema is migrated; with ``readonly=True`` it must exist and is never written.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     store = ResultsStore(pathlib.Path(d) / "r.sqlite")
    ...     run_id = store.begin_run(
    ...         kind="qv", backend="aer", seed=1, created="2026-01-01T00:00:00")
    ...     store.finish_run(run_id, document={"x": 1}, summary="QV 8")
    ...     [r.summary for r in store.runs()], store.document(run_id)
    (['QV 8'], {'x': 1})
    """

    def __init__(self, path: str | os.PathLike[str], *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self.version = SCHEMA_VERSION
        memory = str(path) == ":memory:"
        if readonly:
            self._conn = self._open_read_only()
        else:
            if not memory and self.path.is_dir():
                raise StoreError(
                    f"the results store {self.path} is a folder: pass --store with a file path"
                )
            try:
                if not memory:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                self._conn = sqlite3.connect(self.path, timeout=30.0)
            except (OSError, sqlite3.Error) as exc:
                raise StoreError(
                    f"cannot open the results store {self.path}: {exc}; "
                    "pass --store with a writable path"
                ) from None
        try:
            self._conn.execute("PRAGMA foreign_keys = ON")
            if readonly:
                self.version = self._check(self._tables())
            else:
                self._open_for_writing()
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise _refuse(self.path, f"is not a readable quantumlimits store ({exc})") from None
        except StoreError:
            self._conn.close()
            raise

    def _open_read_only(self) -> sqlite3.Connection:
        if not self.path.exists():
            raise StoreError(
                f"no results store at {self.path}: pass --store with the path of an existing "
                "store (a command that runs something, such as 'quantumlimits qv', creates one)"
            )
        if self.path.is_dir():
            raise StoreError(
                f"the results store {self.path} is a folder: pass --store with a file path"
            )
        last: sqlite3.Error | None = None
        # mode=ro never writes the database; a WAL store on read-only media whose -shm file
        # cannot be created opens only as immutable (nothing can be writing it there).
        for immutable in (False, True):
            try:
                conn = sqlite3.connect(
                    _read_only_uri(self.path, immutable=immutable), uri=True, timeout=30.0
                )
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
                return conn
            except sqlite3.OperationalError as exc:
                last = exc
                if os.access(self.path.parent, os.W_OK):
                    break
            except sqlite3.DatabaseError as exc:
                raise _refuse(self.path, f"is not a readable quantumlimits store ({exc})") from None
        raise StoreError(
            f"cannot read the results store {self.path}: {last}; check its permissions or pass "
            "--store with another path"
        )

    def _tables(self) -> set[str]:
        return {
            r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }

    def _check(self, tables: set[str]) -> int:
        """The schema version of an existing store, refusing anything damaged or newer."""
        if "meta" not in tables:
            raise _refuse(self.path, "is an SQLite file but not a quantumlimits store")
        row = self._conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        try:
            version = int(row[0])
        except (TypeError, ValueError):
            raise _refuse(self.path, "has no readable schema version") from None
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the results store {self.path} has schema version {version}, newer than this "
                f"quantumlimits reads ({SCHEMA_VERSION}): upgrade quantumlimits or pass --store "
                "with another path"
            )
        if version not in TABLES:
            raise _refuse(self.path, f"has an unknown schema version {version}")
        missing = TABLES[version] - tables
        if missing:
            raise _refuse(
                self.path, f"is damaged: its table {', '.join(sorted(missing))} is missing"
            )
        return version

    def _open_for_writing(self) -> None:
        tables = self._tables()
        version = self._check(tables) if tables else 0
        if version == SCHEMA_VERSION:
            return
        if not tables:
            self._conn.execute("PRAGMA journal_mode = WAL")
        with self._conn:  # one transaction: a failed migration leaves the store as it was
            self._conn.execute("BEGIN IMMEDIATE")
            if version < 1:
                _run_script(self._conn, _SCHEMA_V1)
            if version < 2:
                _run_script(self._conn, _SCHEMA_V2)
            self._migrate_to_3()
            self._conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
        self.version = SCHEMA_VERSION

    def _migrate_to_3(self) -> None:
        """Schema 2 -> 3: ``run_parts``, and the job journal keyed by text.

        A QV width w becomes the key ``w<w>`` (``quantumlimits.qv.build.job_key``); a classifier
        run's packed key its :func:`legacy_classify_key`.
        """
        conn = self._conn
        _run_script(conn, _SCHEMA_V3)
        kinds = dict(conn.execute("SELECT run_id, kind FROM runs").fetchall())
        old_columns = _JOB_COLUMNS.replace("key, ", "width, ")
        moved = []
        for run_id, width, *rest in conn.execute(f"SELECT {old_columns} FROM jobs").fetchall():
            key = legacy_classify_key(width) if kinds.get(run_id) == "classify" else f"w{width}"
            moved.append((run_id, key, *rest))
        conn.executemany(
            f"INSERT INTO jobs_v3({_JOB_COLUMNS}) VALUES ({', '.join('?' * 18)})", moved
        )
        conn.execute("DROP TABLE jobs")
        conn.execute("ALTER TABLE jobs_v3 RENAME TO jobs")
        conn.execute("CREATE INDEX jobs_job_id ON jobs(job_id)")

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        if self.readonly:
            raise StoreError(f"the results store {self.path} was opened read-only")
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

    def reopen_run(self, run_id: str) -> None:
        """Set a stopped run back to ``running`` (to resume it)."""
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE runs SET status='running', summary='resumed' WHERE run_id=?", (run_id,)
            )
            if cur.rowcount != 1:
                raise StoreError(f"no run {run_id!r} in {self.path}")

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

    @contextmanager
    def recording(
        self,
        *,
        kind: str,
        backend: str | None,
        seed: int | None,
        inputs: Mapping[str, Any],
        created: str,
        resume: str | None = None,
    ) -> Iterator[RunRecord]:
        """The life of one run: begun (or, with ``resume``, reopened) and its ``inputs``
        recorded on entry; marked failed if the block raises (its finished parts stay);
        finished when the block calls :meth:`RunRecord.finish`.

        >>> import tempfile, pathlib
        >>> with tempfile.TemporaryDirectory() as d, ResultsStore(pathlib.Path(d) / "s") as s:
        ...     with s.recording(kind="qv", backend="aer", seed=1, inputs={"shots": 10},
        ...                      created="2026-01-01T00:00:00") as run:
        ...         run.add_part("w2", {"mean_hop": 0.8})
        ...         run.finish(document={"qv": 4}, summary="QV 4")
        ...     s.row(run.run_id).status, s.parts(run.run_id), s.inputs(run.run_id)
        ('complete', {'w2': {'mean_hop': 0.8}}, {'shots': 10})
        """
        if resume is not None:
            run_id = self.resolve(resume)
            self.reopen_run(run_id)
        else:
            run_id = self.begin_run(kind=kind, backend=backend, seed=seed, created=created)
            self.record_inputs(run_id, dict(inputs))
        record = RunRecord(self, run_id)
        try:
            yield record
        except BaseException:
            self.mark_failed(run_id, summary="interrupted or failed; finished parts are stored")
            raise
        if not record.finished:
            self.mark_failed(run_id, summary="ended without a result")

    # -- finished parts of a run (schema 3) ---------------------------------------------------

    def add_part(self, run_id: str, part: str, document: Mapping[str, Any]) -> None:
        """Store one finished part of a run (replacing an earlier one of the same name)."""
        text = json.dumps(document, sort_keys=True, allow_nan=False)
        with self._tx() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO run_parts(run_id, part, document) VALUES (?, ?, ?)",
                (run_id, part, text),
            )

    def parts(self, run_id: str) -> dict[str, dict[str, Any]]:
        """The finished parts of a run by name (none in a store older than schema 3)."""
        if self.version < 3:
            return {}
        full = self.resolve(run_id)
        rows = self._conn.execute(
            "SELECT part, document FROM run_parts WHERE run_id = ? ORDER BY rowid", (full,)
        )
        return {part: dict(json.loads(text)) for part, text in rows}

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

    def qv_circuits(
        self, run_id: str, *, width: int | None = None, depth: int | None = None
    ) -> list[StoredCircuit]:
        """Stored circuits of a run, ordered by width, depth and index (of one width, and of
        one depth of it, when given)."""
        full = self.resolve(run_id)
        sql = (
            "SELECT width, depth, idx, shots, heavy_count, ideal_hop, heavy_mask, outcomes, counts "
            "FROM qv_circuits WHERE run_id = ?"
        )
        args: list[Any] = [full]
        if width is not None:
            sql += " AND width = ?"
            args.append(width)
        if depth is not None:
            sql += " AND depth = ?"
            args.append(depth)
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

    # -- run inputs and the cloud job journal ---------------------------------------------------

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
        if self.version < 2:
            return None
        row = self._conn.execute(
            "SELECT inputs FROM run_inputs WHERE run_id = ?", (full,)
        ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def put_job(self, job: JobRecord) -> None:
        """Insert or replace one job submission row (committed before returning)."""
        row = (
            job.run_id,
            job.key,
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
                f"INSERT OR REPLACE INTO jobs({_JOB_COLUMNS}) VALUES ({', '.join('?' * 18)})", row
            )

    def jobs(self, run_id: str, *, key: str | None = None) -> list[JobRecord]:
        """Every submission of a run's jobs (of one key, when given), ordered by key, chunk and
        attempt."""
        if self.version < 2:
            return []
        if self.version < 3:  # a read-only schema-2 store: keys as the migration would write them
            kind = self.row(run_id).kind
            old = _JOB_COLUMNS.replace("key, ", "width, ")
            rows = []
            for run, width, *rest in self._conn.execute(
                f"SELECT {old} FROM jobs WHERE run_id = ? ORDER BY width, chunk, attempt", (run_id,)
            ):
                name = legacy_classify_key(width) if kind == "classify" else f"w{width}"
                rows.append((run, name, *rest))
        else:
            sql = f"SELECT {_JOB_COLUMNS} FROM jobs WHERE run_id = ?"
            args: list[Any] = [run_id]
            if key is not None:
                sql += " AND key = ?"
                args.append(key)
            rows = list(self._conn.execute(sql + " ORDER BY key, chunk, attempt", args))
        out = []
        for row in rows:
            values = list(row)
            values[-1] = _decode_counts(values[-1])
            record = JobRecord(*values)
            if key is None or record.key == key:
                out.append(record)
        return out

    def latest_jobs(self, run_id: str, *, key: str) -> dict[int, JobRecord]:
        """The latest submission of each chunk of a key's jobs, by chunk."""
        latest: dict[int, JobRecord] = {}
        for job in self.jobs(run_id, key=key):
            latest[job.chunk] = job
        return latest


class RunRecord:
    """A run being recorded (:meth:`ResultsStore.recording`), or not recorded at all
    (``store`` None: every method is a no-op and ``run_id`` is None)."""

    def __init__(self, store: ResultsStore | None, run_id: str | None) -> None:
        self.store = store
        self.run_id = run_id
        self.finished = False

    def add_part(self, part: str, document: Mapping[str, Any]) -> None:
        """Record a finished part, so resuming the run does not repeat it."""
        if self.store is not None and self.run_id is not None:
            self.store.add_part(self.run_id, part, document)

    def parts(self) -> dict[str, dict[str, Any]]:
        """Parts finished before (a resumed run's), by name."""
        if self.store is None or self.run_id is None:
            return {}
        return self.store.parts(self.run_id)

    def finish(self, *, document: dict[str, Any], summary: str) -> None:
        """Write the run's document and mark it complete."""
        if self.store is not None and self.run_id is not None:
            self.store.finish_run(self.run_id, document=document, summary=summary)
        self.finished = True


@contextmanager
def recording(
    store: ResultsStore | None,
    *,
    kind: str,
    backend: str | None,
    seed: int | None,
    inputs: Mapping[str, Any],
    created: str,
    resume: str | None = None,
) -> Iterator[RunRecord]:
    """:meth:`ResultsStore.recording`, or a record that records nothing when ``store`` is None."""
    if store is None:
        if resume is not None:
            raise StoreError("resuming a run needs its results store")
        yield RunRecord(None, None)
        return
    with store.recording(
        kind=kind, backend=backend, seed=seed, inputs=inputs, created=created, resume=resume
    ) as record:
        yield record

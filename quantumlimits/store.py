"""SQLite results store: every run, its document, and the raw counts needed to re-analyse it.

One file, WAL journal, schema versioned in ``meta``. A run is inserted as ``running`` before any
work starts, each finished width's circuits are committed as they complete, and the final document
is written in one transaction, so a crash leaves a run marked ``running`` with every completed
width intact, never a half-written row. Tables (documented in docs/results.md):

* ``meta(key, value)`` — ``schema_version``.
* ``runs(run_id, kind, created, backend, seed, status, summary, document)``.
* ``qv_circuits(run_id, width, depth, idx, shots, heavy_count, ideal_hop, heavy_mask, outcomes,
  counts)`` — heavy masks as packed bits, counts as two int64 arrays (outcome, count).
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

SCHEMA_VERSION = 1
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

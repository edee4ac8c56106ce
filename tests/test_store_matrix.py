"""Every command that opens a store, against every way a store can be wrong.

A damaged store (truncated, garbage header, a table missing), a newer one, and a missing path are
refused with one line and exit status 2, and the file's bytes are unchanged afterwards. A healthy
store read by a command that only reads (``history``, ``show``, ``report``) is unchanged too.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from quantumlimits.cli import main
from quantumlimits.store import SCHEMA_VERSION, TABLES, ResultsStore

QUICK_QV = ["qv", "--backend", "aer", "--widths", "2", "--trials", "2", "--shots", "8"]
RUN = "qv-"  # the one run of the healthy store, by prefix


def _read_commands(tmp: Path) -> list[list[str]]:
    return [
        ["history"],
        ["history", "--json", "--kind", "qv"],
        ["show", RUN],
        ["show", RUN, "--reanalyse", "--method", "bootstrap"],
        ["report", "--out", str(tmp / "report.html")],
    ]


def _write_commands() -> list[list[str]]:
    return [
        QUICK_QV,
        ["mirror", "--backend", "aer", "--widths", "2", "--trials", "2", "--shots", "8"],
        ["resume", RUN],
        ["timeline", "--backends", "fake_manila", "--max-width", "3"],
    ]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _checkpointed(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("healthy") / "store.sqlite"
    assert main([*QUICK_QV, "--store", str(path)]) == 0
    with ResultsStore(path) as store:  # a stopped run, so resume has something to do
        (row,) = store.runs()
        store.mark_failed(row.run_id, summary="stopped")
    _checkpointed(path)
    return path


def _copy(healthy: Path, tmp_path: Path) -> Path:
    path = tmp_path / "store.sqlite"
    path.write_bytes(healthy.read_bytes())
    return path


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def _garbage_header(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(b"not a database, not at all" + data[26:])


def _newer(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value=? WHERE key='schema_version'", (SCHEMA_VERSION + 1,))
    _checkpointed(path)


def _without(table: str) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        with sqlite3.connect(path) as conn:
            conn.execute(f"DROP TABLE {table}")
        _checkpointed(path)

    return damage


DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "truncated": (_truncated, "not a readable quantumlimits store"),
    "garbage header": (_garbage_header, "not a readable quantumlimits store"),
    "newer schema": (_newer, "newer than this quantumlimits reads"),
    **{
        f"no {table} table": (
            _without(table),
            "not a quantumlimits store" if table == "meta" else "damaged",
        )
        for table in sorted(TABLES[SCHEMA_VERSION])
    },
}


def _one_error(capsys: pytest.CaptureFixture[str]) -> str:
    lines = [line for line in capsys.readouterr().err.splitlines() if ": error: " in line]
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_a_damaged_or_newer_store_is_refused_and_left_as_it_was(
    case: str, healthy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _copy(healthy, tmp_path)
    damage, message = DAMAGE[case]
    damage(path)
    before = _digest(path)
    for argv in _read_commands(tmp_path) + _write_commands():
        assert main([*argv, "--store", str(path)]) == 2, argv
        assert message in _one_error(capsys), argv
        assert _digest(path) == before, argv
    assert not (tmp_path / "report.html").exists()


def test_commands_that_only_read_leave_a_healthy_store_unchanged(
    healthy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _copy(healthy, tmp_path)
    before = _digest(path)
    for argv in _read_commands(tmp_path):
        assert main([*argv, "--store", str(path)]) == 0, argv
        assert _digest(path) == before, argv
    capsys.readouterr()


def test_a_missing_store_is_an_error_for_commands_that_need_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mistyped.sqlite"
    for argv in [*_read_commands(tmp_path), ["resume", RUN]]:
        assert main([*argv, "--store", str(path)]) == 2, argv
        assert "no results store" in _one_error(capsys), argv
        assert not path.exists(), argv


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_a_store_on_read_only_media_can_be_read_but_not_written(
    healthy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "media"
    folder.mkdir()
    path = _copy(healthy, folder)
    before = _digest(path)
    path.chmod(0o444)
    folder.chmod(0o555)
    try:
        for argv in _read_commands(tmp_path):
            assert main([*argv, "--store", str(path)]) == 0, argv
        capsys.readouterr()
        for argv in _write_commands():
            assert main([*argv, "--store", str(path)]) == 2, argv
            _one_error(capsys)
    finally:
        folder.chmod(0o755)
        path.chmod(0o644)
    assert _digest(path) == before

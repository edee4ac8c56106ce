"""Shared fixtures: every test writes its store under tmp_path, never in the user's home."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "default-store.sqlite"
    monkeypatch.setenv("QUANTUMLIMITS_STORE", str(path))
    return path


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "results.sqlite"
